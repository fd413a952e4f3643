//! Parses arbitrary bytes; every line that parses must survive being written back and parsed
//! again unchanged, and the parser must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_lp::{OwnedFieldValue, Parser, Point};

/// A point with floats as their bits, so that `-0.0` and `0.0` differ.
type Exact = (
    String,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Option<i64>,
);

fn exact(p: &Point) -> Exact {
    let fields = p
        .fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                OwnedFieldValue::Float(f) => format!("F{:x}", f.to_bits()),
                other => format!("{other:?}"),
            };
            (k.clone(), v)
        })
        .collect();
    (p.measurement.clone(), p.tags.clone(), fields, p.timestamp)
}

fuzz_target!(|data: &[u8]| {
    let mut parser = Parser::new(data);
    let mut last = 0;
    while let Some(result) = parser.next_line() {
        match result {
            Ok(line) => {
                assert!(line.number > last, "line numbers increase");
                last = line.number;
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
            }
            Err(e) => {
                assert!(e.line > last, "line numbers increase");
                last = e.line;
                assert!(e.column >= 1);
                assert!(e.span.start <= e.span.end && e.span.end <= data.len());
                let _ = e.to_string();
            }
        }
    }
    assert_eq!(parser.position(), data.len());
});
