//! What a run measured, and the report printed at its end.

use std::collections::BTreeMap;
use std::fmt::{Display, Write};
use std::time::Duration;

/// Longest error body kept for a report.
const MAX_ERROR_BODY: usize = 500;

/// One sender's tally; the senders' tallies are merged at the end.
#[derive(Debug, Default)]
pub struct Stats {
    /// Lines in requests answered 2xx.
    pub lines: u64,
    /// Uncompressed line protocol bytes in requests answered 2xx.
    pub raw_bytes: u64,
    /// Bytes sent in requests answered 2xx (compressed, with --gzip).
    pub sent_bytes: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Requests sent again after a 503 or 429.
    pub retries: u64,
    /// Bodies given up on: refused for good, or unanswered.
    pub unwritten: u64,
    /// Latency of every body, from its first request to its last answer (retries included),
    /// in microseconds.
    pub latencies_us: Vec<u64>,
    /// Non-2xx answers by status: how many, and the first body.
    pub statuses: BTreeMap<u16, (u64, String)>,
    /// Requests that got no answer (connection refused, timeout): how many, the first error.
    pub transport_errors: Option<(u64, String)>,
    /// Time senders waited for a body to be built.
    pub starved: Duration,
}

impl Stats {
    pub fn record_status(&mut self, status: u16, body: impl FnOnce() -> String) {
        self.statuses
            .entry(status)
            .and_modify(|(n, _)| *n += 1)
            .or_insert_with(|| (1, truncate(body())));
    }

    pub fn record_transport_error(&mut self, error: impl FnOnce() -> String) {
        match &mut self.transport_errors {
            Some((n, _)) => *n += 1,
            None => self.transport_errors = Some((1, truncate(error()))),
        }
    }

    pub fn failed(&self) -> u64 {
        self.statuses.values().map(|(n, _)| n).sum::<u64>()
            + self.transport_errors.as_ref().map_or(0, |(n, _)| *n)
    }

    /// Adds `other` in; first errors seen stay first.
    pub fn merge(&mut self, other: Stats) {
        self.lines += other.lines;
        self.raw_bytes += other.raw_bytes;
        self.sent_bytes += other.sent_bytes;
        self.requests += other.requests;
        self.retries += other.retries;
        self.unwritten += other.unwritten;
        self.latencies_us.extend(other.latencies_us);
        for (status, (n, body)) in other.statuses {
            self.statuses
                .entry(status)
                .and_modify(|(m, _)| *m += n)
                .or_insert((n, body));
        }
        if let Some((n, error)) = other.transport_errors {
            match &mut self.transport_errors {
                Some((m, _)) => *m += n,
                None => self.transport_errors = Some((n, error)),
            }
        }
        self.starved += other.starved;
    }

    /// The report, one metric a line.
    pub fn report(&mut self, elapsed: Duration, concurrency: usize, gzip: bool) -> String {
        self.latencies_us.sort_unstable();
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut out = String::new();
        let mut line = |name: &str, value: String| push_line(&mut out, name, value);
        line("lines written", group(self.lines));
        line(
            "requests",
            format!(
                "{} ({} non-2xx or unanswered, {} retried)",
                group(self.requests),
                group(self.failed()),
                group(self.retries)
            ),
        );
        line("not written", format!("{} bodies", group(self.unwritten)));
        line("elapsed", format!("{secs:.2} s"));
        line("lines/s", group((self.lines as f64 / secs).round() as u64));
        line(
            "MB/s",
            format!(
                "{:.1} (line protocol, uncompressed)",
                self.raw_bytes as f64 / secs / 1e6
            ),
        );
        if gzip {
            line(
                "sent MB/s",
                format!(
                    "{:.1} (gzip, {:.1}x smaller)",
                    self.sent_bytes as f64 / secs / 1e6,
                    self.raw_bytes as f64 / self.sent_bytes.max(1) as f64
                ),
            );
        }
        for (name, p) in [("p50", 0.50), ("p90", 0.90), ("p99", 0.99)] {
            line(
                &format!("latency {name}"),
                millis(percentile(&self.latencies_us, p)),
            );
        }
        line("latency max", millis(self.latencies_us.last().copied()));
        for (status, (n, body)) in &self.statuses {
            line(
                &format!("status {status}"),
                format!("{} requests; first answer: {body}", group(*n)),
            );
        }
        if let Some((n, error)) = &self.transport_errors {
            line(
                "no answer",
                format!("{} requests; first error: {error}", group(*n)),
            );
        }
        // Waiting for bodies means the generator, not the server, set the pace.
        let starved = self.starved.as_secs_f64() / (secs * concurrency as f64);
        if starved > 0.01 {
            line(
                "generator",
                format!(
                    "senders waited {:.0}% of the time for bodies: the numbers above are the generator's; add --generator-threads or use --lines",
                    starved * 100.0
                ),
            );
        }
        out
    }
}

/// Appends one line of a report: the metric's name and its value, in aligned columns.
pub fn push_line(out: &mut String, name: &str, value: impl Display) {
    let _ = writeln!(out, "{:<18}{value}", format!("{name}:"));
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn millis(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |us| format!("{:.2} ms", us as f64 / 1000.0))
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An answer or error on one line, cut to a length a report can carry.
pub fn truncate(text: String) -> String {
    let text = text.trim().replace('\n', " ");
    match text.char_indices().nth(MAX_ERROR_BODY) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.5), Some(50));
        assert_eq!(percentile(&values, 0.9), Some(90));
        assert_eq!(percentile(&values, 0.99), Some(99));
        assert_eq!(percentile(&values, 1.0), Some(100));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn merged_report() {
        let mut a = Stats {
            lines: 20_000,
            raw_bytes: 4_000_000,
            sent_bytes: 4_000_000,
            requests: 2,
            latencies_us: vec![2_000, 1_000],
            ..Stats::default()
        };
        let mut b = Stats {
            requests: 3,
            retries: 1,
            unwritten: 2,
            latencies_us: vec![3_000, 4_000],
            ..Stats::default()
        };
        b.record_status(400, || "bad\nline".into());
        b.record_status(400, || unreachable!("only the first body is kept"));
        b.record_status(503, || "buffer full".into());
        a.record_transport_error(|| "connection refused".into());
        a.merge(b);
        assert_eq!(a.failed(), 4);
        let report = a.report(Duration::from_secs(2), 4, false);
        let expected = "\
lines written:    20,000
requests:         5 (4 non-2xx or unanswered, 1 retried)
not written:      2 bodies
elapsed:          2.00 s
lines/s:          10,000
MB/s:             2.0 (line protocol, uncompressed)
latency p50:      2.00 ms
latency p90:      4.00 ms
latency p99:      4.00 ms
latency max:      4.00 ms
status 400:       2 requests; first answer: bad line
status 503:       1 requests; first answer: buffer full
no answer:        1 requests; first error: connection refused
";
        assert_eq!(report, expected);
    }
}
