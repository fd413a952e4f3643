//! Helpers shared by the integration tests.
#![allow(dead_code)]

use strata_lp::{LineError, OwnedFieldValue, Point, parse_points};

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
