//! Parser throughput on one core: `cargo run --release -p strata-lp --example throughput`.
//!
//! Generates a body of realistic lines (telegraf-like `cpu`, `mem`, `disk` and `net` lines,
//! several tags, 3–10 fields, nanosecond timestamps), parses it repeatedly with one
//! [`Parser`] and prints lines/s and MB/s.

use std::time::{Duration, Instant};

use strata_lp::{FieldValue, Parser};

fn body(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 200);
    let ts = 1_700_000_000_000_000_000i64;
    for i in 0..lines {
        let host = i % 1000;
        let t = ts + i as i64 * 10_000_000;
        match i % 4 {
            0 => s.push_str(&format!(
                "cpu,cpu=cpu{},host=host-{host},region=us-west-2,dc=dc{} usage_user={}.{:03},usage_system=2.{:03},usage_idle=95.{:03},usage_iowait=0.125,usage_irq=0,usage_softirq=0.0625,usage_steal=0,usage_guest=0,usage_guest_nice=0,usage_nice=0.5 {t}\n",
                i % 8,
                host % 4,
                i % 100,
                i % 1000,
                (i * 7) % 1000,
                (i * 13) % 1000,
            )),
            1 => s.push_str(&format!(
                "mem,host=host-{host},region=us-west-2 total=17179869184i,available={}i,used={}i,used_percent={}.25,active={}i,free={}i {t}\n",
                8_000_000_000u64 + i as u64,
                9_000_000_000u64 - i as u64,
                i % 100,
                4_000_000_000u64 + i as u64,
                2_000_000_000u64 + i as u64,
            )),
            2 => s.push_str(&format!(
                "disk,device=nvme0n1p{},fstype=ext4,host=host-{host},mode=rw,path=/var/lib/data{} free={}u,inodes_free={}u,total=512000000000u,used_percent={}.5,status=\"ok\",healthy=true {t}\n",
                i % 4,
                i % 3,
                100_000_000_000u64 + i as u64,
                30_000_000u64 + i as u64,
                i % 100,
            )),
            _ => s.push_str(&format!(
                "net,host=host-{host},interface=eth{} bytes_recv={}i,bytes_sent={}i,packets_recv={}i,packets_sent={}i,err_in=0i,err_out=0i {t}\n",
                i % 2,
                1_000_000_000u64 + i as u64 * 1500,
                500_000_000u64 + i as u64 * 900,
                10_000_000u64 + i as u64,
                9_000_000u64 + i as u64,
            )),
        }
    }
    s
}

fn main() {
    let lines = 100_000;
    let body = body(lines);
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
