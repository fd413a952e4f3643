//! The generated data: a fleet of hosts reporting telegraf-like measurements, and the request
//! bodies cut from the endless stream of their points.
//!
//! The stream is a pure function of the line's index: line `i` is series `i % series` in round
//! `i / series`, at `start + round * interval`. So any batch can be built on any thread in any
//! order, and every point (series, time) is written once however the run is cut.

use std::io::Write;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-1"];
const ZONES: [&str; 3] = ["a", "b", "c"];

/// The shape of a measurement. Tables past the fourth reuse the shapes under a numbered name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Cpu,
    Mem,
    Disk,
    Net,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Cpu, Kind::Mem, Kind::Disk, Kind::Net];

    fn base_name(self) -> &'static str {
        match self {
            Kind::Cpu => "cpu",
            Kind::Mem => "mem",
            Kind::Disk => "disk",
            Kind::Net => "net",
        }
    }

    /// Series of this kind on one host: cores, disks, interfaces.
    fn per_host(self) -> usize {
        match self {
            Kind::Cpu => 8,
            Kind::Mem => 1,
            Kind::Disk => 4,
            Kind::Net => 2,
        }
    }
}

/// The name of table `t` (0-based): `cpu`, `mem`, `disk`, `net`, `cpu1`, `mem1`, …
pub fn table_name(t: usize) -> String {
    let kind = Kind::ALL[t % Kind::ALL.len()];
    match t / Kind::ALL.len() {
        0 => kind.base_name().to_owned(),
        n => format!("{}{n}", kind.base_name()),
    }
}

struct Series {
    /// Measurement, tags and the space before the fields: the part that never changes.
    prefix: Box<[u8]>,
    kind: Kind,
    /// Fixes the series' own scale (memory size, disk size, traffic rate) and seeds its values.
    seed: u64,
}

/// A fleet of hosts, each with every table's series (8 cores, 1 memory, 4 disks, 2 interfaces),
/// cut off at exactly the requested number of series.
pub struct Dataset {
    series: Vec<Series>,
    hosts: usize,
    tables: usize,
    start_ns: u64,
    interval_ns: u64,
}

impl Dataset {
    /// `series` distinct series over `tables` tables, the first round at `start_ns` and each
    /// next one `interval_ns` later.
    pub fn new(series: usize, tables: usize, start_ns: u64, interval_ns: u64) -> Self {
        assert!(
            series > 0 && tables > 0 && interval_ns > 0,
            "series, tables and the interval must be positive"
        );
        let mut all = Vec::with_capacity(series);
        let mut host = 0;
        let mut tables_used = 0;
        'fleet: loop {
            for t in 0..tables {
                let kind = Kind::ALL[t % Kind::ALL.len()];
                for v in 0..kind.per_host() {
                    if all.len() == series {
                        break 'fleet;
                    }
                    let seed = mix(all.len() as u64);
                    let prefix = prefix(&table_name(t), kind, host, v);
                    all.push(Series { prefix, kind, seed });
                    tables_used = tables_used.max(t + 1);
                }
            }
            host += 1;
        }
        let hosts = host + usize::from(all.len() % series_per_host(tables) != 0);
        Dataset {
            series: all,
            hosts,
            tables: tables_used,
            start_ns,
            interval_ns,
        }
    }

    /// How many distinct series the stream cycles through.
    pub fn series(&self) -> usize {
        self.series.len()
    }

    /// How many hosts the series are spread over.
    pub fn hosts(&self) -> usize {
        self.hosts
    }

    /// How many tables have series: fewer than asked when one host's series are more than
    /// the series asked for.
    pub fn tables(&self) -> usize {
        self.tables
    }

    /// Appends lines `first .. first + count` of the stream.
    pub fn write_lines(&self, first: u64, count: u64, out: &mut Vec<u8>) {
        let n = self.series.len() as u64;
        let mut round = first / n;
        let mut s = (first % n) as usize;
        let mut time = self.start_ns + round * self.interval_ns;
        for _ in 0..count {
            let series = &self.series[s];
            out.extend_from_slice(&series.prefix);
            let h = mix(series.seed ^ round.wrapping_mul(0xD1B5_4A32_D192_ED03));
            write_fields(series, round, h, out);
            out.push(b' ');
            push_u64(out, time);
            out.push(b'\n');
            s += 1;
            if s == self.series.len() {
                s = 0;
                round += 1;
                time += self.interval_ns;
            }
        }
    }

    /// The mean size of a line, from a sample of the first round.
    pub fn bytes_per_line(&self) -> f64 {
        let sample = self.series.len().min(4096) as u64;
        let mut out = Vec::new();
        self.write_lines(0, sample, &mut out);
        out.len() as f64 / sample as f64
    }
}

fn series_per_host(tables: usize) -> usize {
    (0..tables)
        .map(|t| Kind::ALL[t % Kind::ALL.len()].per_host())
        .sum()
}

/// The tags of series `v` (core, disk or interface) of `host`, in key order, as telegraf sends
/// them. No value needs escaping.
fn tags(kind: Kind, host: usize, v: usize) -> Vec<(&'static str, String)> {
    let region = REGIONS[host % REGIONS.len()];
    let zone = ZONES[(host / REGIONS.len()) % ZONES.len()];
    let dc = ("dc", format!("{region}{zone}"));
    let name = ("host", format!("host-{host:05}"));
    let region = ("region", region.to_owned());
    match kind {
        Kind::Cpu => vec![("cpu", format!("cpu{v}")), dc, name, region],
        Kind::Mem => vec![dc, name, region],
        Kind::Disk => vec![
            dc,
            ("device", format!("nvme{v}n1")),
            ("fstype", "ext4".into()),
            name,
            ("mode", "rw".into()),
            ("path", format!("/data{v}")),
            region,
        ],
        Kind::Net => vec![dc, name, ("interface", format!("eth{v}")), region],
    }
}

/// The tags of the `cpu` series of `core` on `host`: what a query for one series names.
pub fn cpu_tags(host: usize, core: usize) -> Vec<(&'static str, String)> {
    tags(Kind::Cpu, host, core)
}

/// The measurement and tags, and the space before the fields.
fn prefix(table: &str, kind: Kind, host: usize, v: usize) -> Box<[u8]> {
    let mut line = table.to_owned();
    for (key, value) in tags(kind, host, v) {
        line.push_str(&format!(",{key}={value}"));
    }
    line.push(' ');
    line.into_bytes().into_boxed_slice()
}

/// The fields of one point; `h` is this point's random word, `round` drives the counters.
fn write_fields(series: &Series, round: u64, h: u64, out: &mut Vec<u8>) {
    let seed = series.seed;
    match series.kind {
        Kind::Cpu => {
            // Hundredths of a percent; idle takes what the others leave.
            let user = h % 6000;
            let system = (h >> 16) % 2000;
            let iowait = (h >> 28) % 500;
            let irq = (h >> 37) % 30;
            let softirq = (h >> 42) % 120;
            let steal = (h >> 50) % 20;
            let guest = (h >> 58) % 5;
            let idle = 10_000 - (user + system + iowait + irq + softirq + steal + guest);
            for (key, value) in [
                (&b"usage_user="[..], user),
                (b",usage_system=", system),
                (b",usage_idle=", idle),
                (b",usage_iowait=", iowait),
                (b",usage_irq=", irq),
                (b",usage_softirq=", softirq),
                (b",usage_steal=", steal),
                (b",usage_guest=", guest),
            ] {
                out.extend_from_slice(key);
                push_hundredths(out, value);
            }
        }
        Kind::Mem => {
            let total = (8u64 << 30) << (seed % 4);
            let used_pct = 2000 + h % 6000;
            let used = total / 10_000 * used_pct;
            let available = total - used;
            let free = available / 100 * (20 + (h >> 20) % 50);
            for (key, value) in [
                (&b"total="[..], total),
                (b",available=", available),
                (b",used=", used),
                (b",free=", free),
                (b",cached=", available - free),
            ] {
                out.extend_from_slice(key);
                push_u64(out, value);
                out.push(b'i');
            }
            out.extend_from_slice(b",used_percent=");
            push_hundredths(out, used_pct);
            out.extend_from_slice(b",available_percent=");
            push_hundredths(out, 10_000 - used_pct);
        }
        Kind::Disk => {
            let total = (256_000_000_000u64) << (seed % 4);
            let used_pct = 1000 + (seed >> 8) % 7000 + h % 50;
            let used = total / 10_000 * used_pct;
            out.extend_from_slice(b"total=");
            push_u64(out, total);
            out.extend_from_slice(b"u,used=");
            push_u64(out, used);
            out.extend_from_slice(b"u,free=");
            push_u64(out, total - used);
            out.extend_from_slice(b"u,inodes_free=");
            push_u64(out, 30_000_000 - (h >> 8) % 1_000_000);
            out.extend_from_slice(b"u,used_percent=");
            push_hundredths(out, used_pct);
            let (status, healthy): (&[u8], bool) = match (h >> 40) % 1000 {
                0 => (b"read-only", false),
                1..=9 => (b"degraded", false),
                _ => (b"ok", true),
            };
            out.extend_from_slice(b",status=\"");
            out.extend_from_slice(status);
            out.extend_from_slice(if healthy {
                b"\",healthy=true"
            } else {
                b"\",healthy=false"
            });
        }
        Kind::Net => {
            // Counters grow every round; the jitter stays below one round's growth.
            let rate = 1000 + seed % 100_000;
            let recv = (seed >> 20) % 1_000_000_000 + round * rate + h % rate;
            let sent = (seed >> 40) % 1_000_000_000 + round * (rate / 2) + (h >> 20) % (rate / 2);
            out.extend_from_slice(b"bytes_recv=");
            push_u64(out, recv);
            out.extend_from_slice(b"u,bytes_sent=");
            push_u64(out, sent);
            out.extend_from_slice(b"u,packets_recv=");
            push_u64(out, recv / 1200);
            out.extend_from_slice(b"u,packets_sent=");
            push_u64(out, sent / 900);
            out.extend_from_slice(b"u,err_in=");
            push_u64(out, round / (5000 + seed % 1000));
            out.extend_from_slice(b"i,err_out=0i,drop_in=");
            push_u64(out, round / (500 + seed % 100));
            out.extend_from_slice(if (h >> 50).is_multiple_of(10_000) {
                b"i,up=false"
            } else {
                b"i,up=true"
            });
        }
    }
}

/// A request body and what it holds.
pub struct Batch {
    pub lines: u64,
    /// Line protocol bytes before compression.
    pub raw_bytes: u64,
    pub body: Bytes,
}

/// The stream from line `first_line` (0 unless [`Batches::from_round`] says otherwise) cut into
/// request bodies of `batch_size` lines, up to `total_lines` if given.
pub struct Batches {
    data: Dataset,
    first_line: u64,
    batch_size: u64,
    total_lines: Option<u64>,
    gzip: bool,
    /// [`Dataset::bytes_per_line`], sampled once.
    bytes_per_line: f64,
    capacity: usize,
}

impl Batches {
    pub fn new(data: Dataset, batch_size: u64, total_lines: Option<u64>, gzip: bool) -> Self {
        assert!(batch_size > 0, "batch_size must be positive");
        let bytes_per_line = data.bytes_per_line();
        let capacity = (bytes_per_line * 1.1) as usize * batch_size as usize;
        Batches {
            data,
            first_line: 0,
            batch_size,
            total_lines,
            gzip,
            bytes_per_line,
            capacity,
        }
    }

    /// Starts the bodies at round `round` of the stream, so that a run cut short can be
    /// finished by another, writing exactly the points one run would have. `None` if the
    /// stream has no such round.
    pub fn from_round(mut self, round: u64) -> Option<Self> {
        self.first_line = round.checked_mul(self.data.series() as u64)?;
        Some(self)
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Lines per body (the last body of a bounded run may have fewer).
    pub fn batch_size(&self) -> u64 {
        self.batch_size
    }

    /// The mean size of a line, uncompressed.
    pub fn bytes_per_line(&self) -> f64 {
        self.bytes_per_line
    }

    /// How many bodies there are, if the run is bounded by lines.
    pub fn count(&self) -> Option<u64> {
        self.total_lines.map(|t| t.div_ceil(self.batch_size))
    }

    /// Body `k` (0-based), or `None` past the last one.
    pub fn build(&self, k: u64) -> Option<Batch> {
        let first = k.checked_mul(self.batch_size)?;
        let lines = match self.total_lines {
            Some(total) if first >= total => return None,
            Some(total) => self.batch_size.min(total - first),
            None => self.batch_size,
        };
        let mut raw = Vec::with_capacity(self.capacity);
        self.data
            .write_lines(self.first_line.checked_add(first)?, lines, &mut raw);
        let raw_bytes = raw.len() as u64;
        let body = if self.gzip { gzip(&raw) } else { raw };
        Some(Batch {
            lines,
            raw_bytes,
            body: Bytes::from(body),
        })
    }
}

/// Level 1: inflating costs the server about the same at any level, and the fastest level keeps
/// the generator ahead of the senders.
fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(raw.len() / 4), Compression::fast());
    encoder
        .write_all(raw)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// SplitMix64's finalizer: a cheap, well-spread hash.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Decimal digits without going through `fmt`, which would be most of the generator's time.
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// `v / 100` with two decimals: always written with a point, so it is a float.
fn push_hundredths(out: &mut Vec<u8>, v: u64) {
    push_u64(out, v / 100);
    let frac = v % 100;
    out.extend_from_slice(&[b'.', b'0' + (frac / 10) as u8, b'0' + (frac % 10) as u8]);
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::io::Read;

    use strata_lp::{FieldType, Parser};

    use super::*;

    const START: u64 = 1_700_000_000_000_000_000;
    /// 86.4 s: 1,000 rounds a day.
    const INTERVAL: u64 = 86_400_000_000;

    /// A line's series key (measurement and tags), timestamp and field types.
    type Parsed = (String, i64, Vec<(String, FieldType)>);

    /// Every line of `body`, failing on a bad line.
    fn parse(body: &[u8]) -> Vec<Parsed> {
        let mut parser = Parser::new(body);
        let mut out = Vec::new();
        while let Some(line) = parser.next_line() {
            let line = line.unwrap_or_else(|e| panic!("{e}: {}", e.source_line(body)));
            let mut key = line.measurement.unescape().into_owned();
            for tag in line.tags {
                key.push_str(&format!(",{}={}", tag.key.unescape(), tag.value.unescape()));
            }
            let fields = line
                .fields
                .iter()
                .map(|f| (f.key.unescape().into_owned(), f.value.field_type()))
                .collect();
            out.push((key, line.timestamp.expect("every line has a time"), fields));
        }
        out
    }

    #[test]
    fn table_names_cycle_with_a_suffix() {
        let names: Vec<_> = (0..9).map(table_name).collect();
        assert_eq!(
            names,
            [
                "cpu", "mem", "disk", "net", "cpu1", "mem1", "disk1", "net1", "cpu2"
            ]
        );
    }

    #[test]
    fn one_round_holds_every_series_once() {
        for (series, tables) in [(10_000, 4), (1, 1), (7, 2), (100, 9), (15, 4), (16, 4)] {
            let data = Dataset::new(series, tables, START, INTERVAL);
            assert_eq!(data.series(), series);
            let mut body = Vec::new();
            data.write_lines(0, series as u64, &mut body);
            let lines = parse(&body);
            assert_eq!(lines.len(), series);
            let keys: HashSet<_> = lines.iter().map(|(k, _, _)| k.clone()).collect();
            assert_eq!(keys.len(), series, "{series} series over {tables} tables");
            assert!(lines.iter().all(|(_, t, _)| *t == START as i64));
            let tables_seen: HashSet<_> =
                keys.iter().map(|k| k.split(',').next().unwrap()).collect();
            assert_eq!(tables_seen.len(), data.tables());
            if series >= series_per_host(tables) {
                assert_eq!(data.tables(), tables);
            }
            let hosts: HashSet<_> = keys
                .iter()
                .map(|k| k.split(",host=").nth(1).unwrap().split(',').next().unwrap())
                .collect();
            assert_eq!(
                hosts.len(),
                data.hosts(),
                "{series} series over {tables} tables"
            );
        }
        // 15 series per host with the four tables.
        assert_eq!(Dataset::new(10_000, 4, START, INTERVAL).hosts(), 667);
    }

    #[test]
    fn points_are_unique_and_types_stable_across_rounds_and_batches() {
        let data = Dataset::new(50, 4, START, INTERVAL);
        let batches = Batches::new(data, 37, Some(50 * 5 + 3), false);
        assert_eq!(batches.count(), Some(7));
        let mut points = HashSet::new();
        let mut types: HashMap<String, HashMap<String, FieldType>> = HashMap::new();
        let mut lines = 0;
        for k in 0..7 {
            let batch = batches.build(k).unwrap();
            assert_eq!(batch.lines, if k < 6 { 37 } else { 253 - 6 * 37 });
            assert_eq!(batch.raw_bytes, batch.body.len() as u64);
            let parsed = parse(&batch.body);
            assert_eq!(parsed.len() as u64, batch.lines);
            for (key, time, fields) in parsed {
                let table = key.split(',').next().unwrap().to_owned();
                assert!((4..=10).contains(&fields.len()), "{key}: {fields:?}");
                let known = types.entry(table).or_default();
                for (field, ty) in fields {
                    assert_eq!(
                        *known.entry(field.clone()).or_insert(ty),
                        ty,
                        "{key} {field}"
                    );
                }
                assert_eq!(time, (START + lines / 50 * INTERVAL) as i64, "{key}");
                assert!(points.insert((key, time)), "a point written twice");
                lines += 1;
            }
        }
        assert!(batches.build(7).is_none());
        assert_eq!(lines, 253);
        assert_eq!(points.len(), 253);
        // Round 5 holds the last three lines, five intervals after the start.
        let last_round = (START + 5 * INTERVAL) as i64;
        assert_eq!(points.iter().filter(|(_, t)| *t == last_round).count(), 3);
        let all: HashSet<FieldType> = types.values().flat_map(|t| t.values().copied()).collect();
        assert_eq!(
            all.len(),
            5,
            "floats, integers, unsigned, strings and booleans: {all:?}"
        );
    }

    #[test]
    fn cpu_tags_name_a_written_series() {
        let mut body = Vec::new();
        Dataset::new(10_000, 4, START, INTERVAL).write_lines(15 * 5 + 3, 1, &mut body);
        let (key, _, _) = parse(&body).remove(0);
        let tags: String = cpu_tags(5, 3)
            .iter()
            .map(|(k, v)| format!(",{k}={v}"))
            .collect();
        assert_eq!(key, format!("cpu{tags}"));
        assert_eq!(
            key,
            "cpu,cpu=cpu3,dc=us-west-2b,host=host-00005,region=us-west-2"
        );
    }

    #[test]
    fn a_run_finished_from_a_round_writes_what_one_run_would() {
        let lines = |batches: Batches| -> Vec<Parsed> {
            (0..)
                .map_while(|k| batches.build(k))
                .flat_map(|batch| parse(&batch.body))
                .collect()
        };
        let data = || Dataset::new(50, 4, START, INTERVAL);
        let whole = lines(Batches::new(data(), 37, Some(50 * 5 + 3), false));
        let head = lines(Batches::new(data(), 37, Some(50 * 3), false));
        let tail = Batches::new(data(), 64, Some(50 * 2 + 3), false)
            .from_round(3)
            .unwrap();
        assert_eq!([head, lines(tail)].concat(), whole);
        assert!(
            Batches::new(data(), 37, None, false)
                .from_round(u64::MAX)
                .is_none()
        );
    }

    #[test]
    fn unbounded_batches_go_on() {
        let batches = Batches::new(Dataset::new(10, 4, START, INTERVAL), 100, None, false);
        assert_eq!(batches.count(), None);
        let batch = batches.build(1_000_000).unwrap();
        assert_eq!(parse(&batch.body).len(), 100);
    }

    #[test]
    fn gzip_bodies_inflate_to_the_same_lines() {
        let plain = Batches::new(Dataset::new(100, 4, START, INTERVAL), 500, None, false);
        let gzipped = Batches::new(Dataset::new(100, 4, START, INTERVAL), 500, None, true);
        let (a, b) = (plain.build(3).unwrap(), gzipped.build(3).unwrap());
        assert_eq!(a.raw_bytes, b.raw_bytes);
        assert!(b.body.len() < a.body.len() / 3);
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&b.body[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated, a.body);
    }

    #[test]
    fn numbers_are_written_like_fmt() {
        for v in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
        for (v, text) in [(0, "0.00"), (5, "0.05"), (123, "1.23"), (10_000, "100.00")] {
            let mut out = Vec::new();
            push_hundredths(&mut out, v);
            assert_eq!(out, text.as_bytes());
        }
    }
}
