//! Parser throughput on one core, over bodies of 10,000 lines: telegraf-like lines (the body of
//! `examples/throughput.rs`), lines whose names need escapes, and lines with string fields.
//! Each body is measured twice, in MB/s (`bytes/…`, decimal megabytes like the example) and in
//! lines/s (`lines/…`).
//!
//! Run: `cargo bench -p strata-lp --bench parse`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use strata_lp::{FieldValue, Parser};

#[path = "common/telegraf.rs"]
mod telegraf;
use telegraf::realistic;

const LINES: usize = 10_000;

/// Measurements, tag keys, tag values and field keys with escaped spaces, commas and equals
/// signs (Windows counters, paths with spaces), so the parser takes its escape-aware paths.
fn escaped(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 200);
    let ts = 1_700_000_000_000_000_000i64;
    for i in 0..lines {
        let host = i % 1000;
        let t = ts + i as i64 * 10_000_000;
        match i % 2 {
            0 => s.push_str(&format!(
                "win_disk\\ io,host=WIN-{host},instance=C:\\\\Program\\ Files\\\\App{},objectname=Logical\\ Disk %\\ Disk\\ Time={}.5,Avg.\\ Disk\\ Queue\\ Length={}.25,Free\\ Megabytes={}i {t}\n",
                i % 7,
                i % 100,
                i % 10,
                50_000 + i,
            )),
            _ => s.push_str(&format!(
                "app\\,metrics,host=host-{host},label=a\\=b\\,c{},path=/srv/my\\ app/data{} req\\ count={}i,p\\=99={}.75,err\\,rate=0.{:03} {t}\n",
                i % 5,
                i % 3,
                1_000 + i,
                i % 500,
                i % 1000,
            )),
        }
    }
    s
}

/// Log-like lines whose values are mostly strings, some with escaped quotes and backslashes.
fn strings(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 250);
    let ts = 1_700_000_000_000_000_000i64;
    for i in 0..lines {
        let host = i % 1000;
        let t = ts + i as i64 * 10_000_000;
        let level = ["info", "warn", "error", "debug"][i % 4];
        s.push_str(&format!(
            "syslog,appname=app{},facility=daemon,host=host-{host},severity={level} message=\"request {i} from 10.0.{}.{} took {} ms: GET /api/v2/items?id={i}\",procid=\"{}\",version=1i,facility_code=3i,severity_code={}i,timestamp={}i,raw=\"key=\\\"value {i}\\\" path=C:\\\\temp\\\\{}\" {t}\n",
            i % 16,
            i % 256,
            (i * 7) % 256,
            i % 900,
            10_000 + i % 5000,
            i % 8,
            ts + i as i64,
            i % 10,
        ));
    }
    s
}

/// Parses every line of `body`, touching each value so nothing is optimized away.
fn parse(body: &[u8]) -> usize {
    let mut parser = Parser::new(body);
    let mut n = 0;
    let mut sum = 0.0f64;
    while let Some(line) = parser.next_line() {
        let line = line.expect("valid body");
        n += 1;
        for field in line.fields {
            match field.value {
                FieldValue::Float(v) => sum += v,
                FieldValue::Integer(v) => sum += v as f64,
                FieldValue::UInteger(v) => sum += v as f64,
                FieldValue::String(t) => sum += t.len() as f64,
                FieldValue::Boolean(b) => sum += f64::from(u8::from(b)),
            }
        }
    }
    black_box(sum);
    n
}

fn bodies() -> [(&'static str, String); 3] {
    let bodies = [
        ("realistic", realistic(LINES)),
        ("escaped", escaped(LINES)),
        ("strings", strings(LINES)),
    ];
    for (name, body) in &bodies {
        assert_eq!(parse(body.as_bytes()), LINES, "{name}");
    }
    bodies
}

fn benches(c: &mut Criterion) {
    let bodies = bodies();
    let mut group = c.benchmark_group("bytes");
    for (name, body) in &bodies {
        group.throughput(Throughput::BytesDecimal(body.len() as u64));
        group.bench_function(*name, |b| b.iter(|| parse(black_box(body.as_bytes()))));
    }
    group.finish();
    let mut group = c.benchmark_group("lines");
    for (name, body) in &bodies {
        group.throughput(Throughput::Elements(LINES as u64));
        group.bench_function(*name, |b| b.iter(|| parse(black_box(body.as_bytes()))));
    }
    group.finish();
}

criterion_group!(parse_benches, benches);
criterion_main!(parse_benches);
