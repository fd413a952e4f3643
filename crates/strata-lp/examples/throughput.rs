//! Parser throughput on one core: `cargo run --release -p strata-lp --example throughput`.
//!
//! Generates a body of realistic lines (telegraf-like `cpu`, `mem`, `disk` and `net` lines,
//! several tags, 3–10 fields, nanosecond timestamps), parses it repeatedly with one
//! [`Parser`] and prints lines/s and MB/s.

use std::time::{Duration, Instant};

use strata_lp::{FieldValue, Parser};

#[path = "../benches/common/telegraf.rs"]
mod telegraf;

fn main() {
    let lines = 100_000;
    let body = telegraf::realistic(lines);
    let bytes = body.len();
    let mut parser = Parser::new(body.as_bytes());
    let mut checksum = 0.0f64;
    let mut rounds = 0u32;
    let mut best = Duration::MAX;
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline || rounds < 3 {
        let start = Instant::now();
        let mut n = 0;
        while let Some(line) = parser.next_line() {
            let line = line.expect("valid body");
            n += 1;
            for f in line.fields {
                if let FieldValue::Float(v) = f.value {
                    checksum += v;
                }
            }
        }
        best = best.min(start.elapsed());
        assert_eq!(n, lines);
        parser = parser.reuse(body.as_bytes());
        rounds += 1;
    }
    let secs = best.as_secs_f64();
    println!(
        "{lines} lines, {:.1} MB, {:.0} bytes/line: best of {rounds} rounds {:.2} ms = {:.2} M lines/s, {:.0} MB/s (checksum {checksum:.0})",
        bytes as f64 / 1e6,
        bytes as f64 / lines as f64,
        secs * 1e3,
        lines as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6,
    );
}
