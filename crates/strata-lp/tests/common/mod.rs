//! Helpers shared by the integration tests and the fuzz target.
#![allow(dead_code)]

use strata_lp::{LineError, OwnedFieldValue, Parser, Point, parse_points};

/// Every line of `body` as a point or an error.
pub fn parse(body: &str) -> Vec<Result<Point, LineError>> {
    parse_points(body.as_bytes()).collect()
}

/// The points of a body that must parse without error.
pub fn ok(body: &str) -> Vec<Point> {
    parse(body)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{:?}: {e}", short(body))))
        .collect()
}

/// At most 200 characters of `s`, for failure messages.
pub fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// The single point of a one-line body.
pub fn one(body: &str) -> Point {
    let mut points = ok(body);
    assert_eq!(points.len(), 1, "{:?}", short(body));
    points.remove(0)
}

/// The single error of a one-line body.
pub fn err(body: &str) -> LineError {
    let mut results = parse(body);
    assert_eq!(results.len(), 1, "{:?}: {results:?}", short(body));
    match results.remove(0) {
        Ok(p) => panic!("{:?} parsed as {p:?}", short(body)),
        Err(e) => e,
    }
}

/// A float field value.
pub fn float(v: f64) -> OwnedFieldValue {
    OwnedFieldValue::Float(v)
}

/// A point in a comparable form: floats as their bits.
pub type Exact = (
    String,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Option<i64>,
);

/// A point with float fields compared by their bits (so -0.0 differs from 0.0).
pub fn exact(p: &Point) -> Exact {
    (
        p.measurement.clone(),
        p.tags.clone(),
        p.fields
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    OwnedFieldValue::Float(f) => format!("F{:x}", f.to_bits()),
                    other => format!("{other:?}"),
                };
                (k.clone(), v)
            })
            .collect(),
        p.timestamp,
    )
}

/// Parses `input` to the end, checking what must hold for any input: line numbers increase,
/// errors point inside the body, the parser ends at the end of the body, and every parsed line
/// survives being written and parsed again. Returns each line's number and point, or its error.
pub fn check_round_trip(input: &[u8]) -> Vec<Result<(usize, Point), LineError>> {
    let mut out = Vec::new();
    let mut parser = Parser::new(input);
    let mut last_number = 0;
    while let Some(result) = parser.next_line() {
        match result {
            Ok(line) => {
                assert!(line.number > last_number, "line numbers increase");
                last_number = line.number;
                let point = line.to_point();
                let written = line.to_string();
                let mut again = Parser::new(written.as_bytes());
                let reparsed = again
                    .next_line()
                    .expect("the written line is a line")
                    .unwrap_or_else(|e| panic!("{written:?} does not parse: {e}"))
                    .to_point();
                assert_eq!(exact(&reparsed), exact(&point), "{written:?}");
                assert!(again.next_line().is_none(), "{written:?} is one line");
                out.push(Ok((line.number, point)));
            }
            Err(e) => {
                assert!(e.line > last_number, "line numbers increase");
                last_number = e.line;
                assert!(e.column >= 1);
                assert!(e.span.start <= e.span.end && e.span.end <= input.len());
                let _ = e.to_string();
                out.push(Err(e));
            }
        }
    }
    assert_eq!(parser.position(), input.len());
    out
}
