//! Property tests: generated points survive serialize → parse, and no input makes the
//! parser panic or produce a line that does not survive parse → serialize → parse.

mod common;

use common::{check_round_trip, exact};
use proptest::prelude::*;
use strata_lp::{OwnedFieldValue, Point};

/// Names (measurements, keys, tag values): plain, full of characters needing escapes, or
/// any Unicode but a line feed.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,9}",
        "[ ,=\\\\\"#\t\ra-zé🦀0-9]{1,8}",
        "[^\n]{1,12}",
    ]
}

fn measurement() -> impl Strategy<Value = String> {
    name().prop_filter("not writable as a measurement", |m| {
        !m.starts_with(['#', '\t']) && !m.contains('\0')
    })
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        (-1_000_000i64..1_000_000).prop_map(|i| i as f64 / 100.0),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
    ]
}

fn field_value() -> impl Strategy<Value = OwnedFieldValue> {
    prop_oneof![
        float().prop_map(OwnedFieldValue::Float),
        any::<i64>().prop_map(OwnedFieldValue::Integer),
        any::<u64>().prop_map(OwnedFieldValue::UInteger),
        "(?s).{0,16}".prop_map(OwnedFieldValue::String),
        "[\"\\\\\n\r a]{0,6}".prop_map(OwnedFieldValue::String),
        any::<bool>().prop_map(OwnedFieldValue::Boolean),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    (
        measurement(),
        prop::collection::vec((name(), name()), 0..6),
        prop::collection::vec((name(), field_value()), 1..8),
        prop::option::of(any::<i64>()),
    )
        .prop_filter_map("no field left", |(measurement, tags, fields, timestamp)| {
            let mut seen = std::collections::HashSet::new();
            let tags: Vec<_> = tags
                .into_iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .collect();
            let fields: Vec<_> = fields
                .into_iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .collect();
            (!fields.is_empty()).then_some(Point {
                measurement,
                tags,
                fields,
                timestamp,
            })
        })
}

/// What goes between points.
#[derive(Clone, Debug)]
enum Filler {
    Comment(String, String),
    Blank(String),
}

fn filler() -> impl Strategy<Value = Filler> {
    prop_oneof![
        ("[ \t]{0,3}", "[^\n]{0,20}").prop_map(|(ws, text)| Filler::Comment(ws, text)),
        "[ \t]{0,3}\r?".prop_map(Filler::Blank),
    ]
}

/// A body: points with comments, blank lines, leading and trailing whitespace and mixed line
/// endings, plus the line number each point should get.
fn body() -> impl Strategy<Value = (String, Vec<(usize, Point)>)> {
    prop::collection::vec(
        (
            prop::collection::vec(filler(), 0..3),
            "[ \t]{0,2}",
            point(),
            "[ \t]{0,2}",
            prop_oneof![Just("\n"), Just("\r\n")],
        ),
        0..12,
    )
    .prop_flat_map(|items| (Just(items), any::<bool>()))
    .prop_map(|(items, last_line_ending)| {
        let mut body = String::new();
        let mut expected = Vec::new();
        let n = items.len();
        for (idx, (fillers, lead, point, trail, ending)) in items.into_iter().enumerate() {
            for f in fillers {
                match f {
                    Filler::Comment(ws, text) => body.push_str(&format!("{ws}#{text}\n")),
                    Filler::Blank(ws) => body.push_str(&format!("{ws}\n")),
                }
            }
            let number = 1 + body.matches('\n').count();
            body.push_str(&lead);
            point
                .write_to(&mut body)
                .expect("generated points are writable");
            body.push_str(&trail);
            if idx + 1 < n || last_line_ending {
                body.push_str(ending);
            }
            expected.push((number, point));
        }
        (body, expected)
    })
}

/// [`common::check_round_trip`], and no line is numbered past the body's last line. Errors
/// are given as their messages.
fn check(input: &[u8]) -> Vec<Result<(usize, Point), String>> {
    let results = check_round_trip(input);
    let last_number = results.last().map_or(0, |r| match r {
        Ok((number, _)) => *number,
        Err(e) => e.line,
    });
    let newlines = input.iter().filter(|&&c| c == b'\n').count();
    assert!(last_number <= newlines + 1);
    results
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

/// Bytes that matter to the grammar, plus some that are not UTF-8.
fn lp_bytes() -> impl Strategy<Value = Vec<u8>> {
    const ALPHABET: &[u8] = b"ab=, \\\"\n\r\t#01.-eiutfTF\0\xff\xc3\xa9\xe2\x82";
    prop::collection::vec(prop::sample::select(ALPHABET), 0..160)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_points_round_trip((body, expected) in body()) {
        let got = check(body.as_bytes());
        let got: Vec<_> = got
            .into_iter()
            .map(|r| r.map(|(n, p)| (n, exact(&p))))
            .collect();
        let want: Vec<_> = expected.iter().map(|(n, p)| Ok((*n, exact(p)))).collect();
        prop_assert_eq!(got, want, "body: {:?}", body);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check(&bytes);
    }

    #[test]
    fn line_protocol_like_bytes_never_panic(bytes in lp_bytes()) {
        check(&bytes);
    }

    #[test]
    fn mutated_bodies_never_panic(
        (body, _) in body(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b"=, \\\"\n\r#.eiu\xff".as_slice())), 1..6),
    ) {
        let mut bytes = body.into_bytes();
        for (at, op, byte) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes.insert(i, byte),
                1 => { bytes.remove(i); }
                _ => bytes[i] = byte,
            }
        }
        check(&bytes);
    }
}
