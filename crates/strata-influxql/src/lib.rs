//! InfluxQL: a hand-written lexer and recursive-descent parser into a typed syntax tree, and
//! a printer that writes the tree back as canonical InfluxQL.
//!
//! The query planner (another crate) turns the tree into DataFusion logical plans; this crate
//! only says what the text means, with positions for the errors of both.
//!
//! ```
//! use strata_influxql::{parse, Statement, DimensionKind, Duration, Fill};
//!
//! let query = parse(
//!     r#"SELECT mean("water_level") FROM "h2o_feet" WHERE time >= now() - 12h
//!        GROUP BY time(12m), "location" fill(previous) LIMIT 10"#,
//! )?;
//! let Statement::Select(select) = &query.statements[0] else { unreachable!() };
//! assert_eq!(select.group_by_time(), Some((Duration(12 * Duration::MINUTE), None)));
//! assert_eq!(select.fill, Some(Fill::Previous));
//! assert_eq!(select.limit, Some(10));
//! assert_eq!(
//!     query.to_string(),
//!     "SELECT mean(water_level) FROM h2o_feet WHERE time >= now() - 12h \
//!      GROUP BY time(12m), location fill(previous) LIMIT 10"
//! );
//!
//! let err = parse("SELECT value").unwrap_err();
//! assert_eq!(err.to_string(), "found EOF, expected FROM at line 1, char 13");
//! # Ok::<(), strata_influxql::ParseError>(())
//! ```
//!
//! # Scope
//!
//! Statements (several may be sent at once, separated by `;`):
//!
//! - `SELECT fields FROM sources [WHERE …] [GROUP BY …] [fill(…)] [ORDER BY time ASC|DESC]
//!   [LIMIT n] [OFFSET n] [SLIMIT n] [SOFFSET n] [tz('…')]`, with subqueries in `FROM`;
//! - `SHOW DATABASES`, `SHOW RETENTION POLICIES`, `SHOW MEASUREMENTS`, `SHOW TAG KEYS`,
//!   `SHOW TAG VALUES`, `SHOW FIELD KEYS`, `SHOW SERIES`, with their `ON`, `FROM`, `WITH`,
//!   `WHERE`, `LIMIT` and `OFFSET` clauses;
//! - `SHOW SERIES`, `SHOW MEASUREMENT`, `SHOW TAG KEY`, `SHOW TAG VALUES` and `SHOW FIELD KEY`
//!   `[EXACT] CARDINALITY`, with `ON`, `FROM`, `WITH KEY` (tag values), `WHERE`, `GROUP BY`,
//!   `LIMIT` and `OFFSET` ([`ShowCardinality`]);
//! - `SHOW CONTINUOUS QUERIES`, `SHOW USERS`, `SHOW SUBSCRIPTIONS`.
//!
//! Keywords are case-insensitive and identifiers case-sensitive; `--` and `/* */` comments
//! are skipped. Literals: integers, floats, single-quoted strings, `true`/`false`, durations
//! (`10s`, `1h30m`, units `ns u µ ms s m h d w`), regexes (`/cpu.*/`) and bound parameters
//! (`$host`). Timestamps are string literals; [`parse_timestamp`] reads them.
//!
//! Not covered: the statements that change data or metadata (`CREATE`, `DROP`, `DELETE`,
//! `ALTER`, `GRANT`, `SET PASSWORD`, `KILL QUERY`), `SELECT … INTO`,
//! `EXPLAIN`, the other `SHOW` statements (`SHOW SHARDS`, `SHOW GRANTS`, `SHOW QUERIES`, …),
//! `SHOW TAG KEYS WITH KEY`, `ON *` and `ON db.rp`, and `SLIMIT`/`SOFFSET` on `SHOW`
//! statements.
//!
//! # The tree
//!
//! [`parse`] gives a [`Query`]: a list of [`Statement`]s, one variant per statement
//! ([`SelectStatement`], [`ShowMeasurements`], [`ShowTagValues`], …).
//!
//! Expressions come in two types, so a planner never meets a comparison where it wants a
//! value:
//!
//! - [`Expr`] is a value: a field or tag reference ([`ExprKind::VarRef`], with an optional
//!   `::field`/`::tag`/`::integer`… cast), a wildcard, a [`Literal`], a bound parameter, a
//!   [`Call`] (lower-cased name; the argument count of known functions is checked), a
//!   negation or an arithmetic [`BinaryOperator`]. Fields, function arguments and comparison
//!   operands are `Expr`s.
//! - [`Condition`] is a boolean: a comparison of two `Expr`s ([`ComparisonOperator`], where
//!   `=~`/`!~` always have a regex on the right), `AND`, `OR`, or a bare `Expr`.
//!   `WHERE` clauses are `Condition`s.
//!
//! Parentheses leave no node: they only shape the tree, and the printer puts back those the
//! precedence needs. A minus directly before a number or duration is part of the literal
//! (`-1h` is `Literal::Duration(Duration(-3_600_000_000_000))`).
//!
//! Clauses are typed too: `GROUP BY` is a list of [`Dimension`]s (`time(interval[,
//! offset])` with [`Duration`]s, a tag, a regex or `*`), `fill` a [`Fill`], `FROM` a list of
//! [`MeasurementSelection`]s (a [`QualifiedMeasurementName`] — `db.rp.name`, `db..name`,
//! `rp.name`, `name` or a regex — or a subquery).
//!
//! Nodes an error may point at carry a [`Span`] (byte offsets): statements, fields,
//! dimensions, measurement names, identifiers, expressions and conditions. Spans are ignored
//! by `==`, so a tree equals the tree parsed from its printed text:
//! `parse(&query.to_string()) == Ok(query)` — a property test checks it on random trees.
//!
//! # Errors
//!
//! A [`ParseError`] has a message, a byte position and a 1-based line and character;
//! it displays like InfluxDB's: `found FROM, expected identifier, string, number, bool at
//! line 1, char 8`.
//!
//! # Limits
//!
//! A hostile text costs bounded work and never overflows the stack: a query is at most
//! [`MAX_QUERY_BYTES`], a statement holds at most [`MAX_EXPRESSION_NODES`] expression nodes,
//! no expression tree is deeper than [`MAX_EXPRESSION_DEPTH`] (so every recursive walk over a
//! parsed tree, dropping it included, is bounded), and parentheses, calls and subqueries nest
//! at most 100 deep. Each limit is a [`ParseError`] naming it.

mod ast;
mod display;
mod error;
mod functions;
mod lexer;
mod parser;
mod time;

pub use ast::*;
pub use display::quote_ident;
pub use error::ParseError;
pub use parser::{MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_NODES, MAX_QUERY_BYTES};
pub use time::parse_timestamp;

/// Parses a query text: zero or more statements separated by `;` (empty statements are
/// skipped, so an empty text gives an empty [`Query`]).
pub fn parse(text: &str) -> Result<Query, ParseError> {
    parser::Parser::new(text).parse_query()
}

/// Parses a text holding exactly one statement (a trailing `;` is allowed).
pub fn parse_statement(text: &str) -> Result<Statement, ParseError> {
    let mut query = parse(text)?;
    match query.statements.len() {
        1 => Ok(query.statements.pop().expect("one statement")),
        0 => Err(ParseError::unexpected(
            text,
            text.len(),
            "EOF",
            &["SELECT", "SHOW"],
        )),
        _ => {
            let second = query.statements[1].span().start;
            Err(ParseError::new(
                text,
                second,
                "found a second statement, expected one statement",
            ))
        }
    }
}

/// Whether `word` is a reserved keyword, which must be double-quoted to be an identifier.
pub fn is_keyword(word: &str) -> bool {
    parser::is_reserved(word)
}
