//! The parser's tests: each statement form, each error form, queries from InfluxData's
//! documentation, and the print/parse round trip on random trees.

mod docs;
mod errors;
mod roundtrip;
mod statements;

use strata_influxql::{SelectStatement, Statement, parse, parse_statement};

/// The one statement of `text`, which must parse.
pub fn statement(text: &str) -> Statement {
    parse_statement(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The `SELECT` of `text`, which must parse.
pub fn select(text: &str) -> SelectStatement {
    match statement(text) {
        Statement::Select(s) => *s,
        other => panic!("{text}: not a SELECT: {other:?}"),
    }
}

/// Parses, prints, parses again: both trees must be equal, and the printed text must be
/// stable. Returns the canonical text.
pub fn canonical(text: &str) -> String {
    let first = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let printed = first.to_string();
    let second = parse(&printed).unwrap_or_else(|e| panic!("{printed} (from {text}): {e}"));
    assert_eq!(first, second, "{text} printed as {printed}");
    assert_eq!(second.to_string(), printed);
    printed
}
