//! The generated data: hosts reporting telegraf-like measurements, in one of two shapes, and
//! the request bodies cut from the endless stream of their points.
//!
//! The stream is a pure function of the line's index: line `i` is series `i % series` in round
//! `i / series`, at `start + round * interval`. So any batch can be built on any thread in any
//! order, and every point (series, time) is written once however the run is cut.

use std::io::Write;

use bytes::Bytes;
use clap::ValueEnum;
use flate2::Compression;
use flate2::write::GzEncoder;

const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-1"];
const ZONES: [&str; 3] = ["a", "b", "c"];
const SECOND_NS: u64 = 1_000_000_000;

/// What the data looks like; `strata-querybench --workload` names the same shapes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Shape {
    /// Telegraf-like cpu (per core), mem, disk and net tables: 15 series per host.
    #[default]
    Fleet,
    /// One table, cpu, with one series per host (tags dc, host, region) and four float fields.
    Hosts,
}

/// The unit of the timestamps in the bodies, which the write URL names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// Nanoseconds.
    #[default]
    Ns,
    /// Whole seconds, as telegraf and most collectors send them: shorter lines.
    S,
}

impl Precision {
    /// Nanoseconds in one unit.
    pub fn unit_ns(self) -> u64 {
        match self {
            Precision::Ns => 1,
            Precision::S => SECOND_NS,
        }
    }
}

/// What a measurement's series hold: their tags and fields. In a fleet, tables past the fourth
/// reuse the kinds under a numbered name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Cpu,
    Mem,
    Disk,
    Net,
    /// The `cpu` table of [`Shape::Hosts`]: all cores of a host together, four fields.
    HostCpu,
}

impl Kind {
    /// The kinds of a fleet, in table order.
    const FLEET: [Kind; 4] = [Kind::Cpu, Kind::Mem, Kind::Disk, Kind::Net];

    fn base_name(self) -> &'static str {
        match self {
            Kind::Cpu | Kind::HostCpu => "cpu",
            Kind::Mem => "mem",
            Kind::Disk => "disk",
            Kind::Net => "net",
        }
    }

    /// Series of this kind on one host: cores, disks, interfaces.
    fn per_host(self) -> usize {
        match self {
            Kind::Cpu => 8,
            Kind::Mem | Kind::HostCpu => 1,
            Kind::Disk => 4,
            Kind::Net => 2,
        }
    }
}

/// The name of a fleet's table `t` (0-based): `cpu`, `mem`, `disk`, `net`, `cpu1`, `mem1`, …
pub fn table_name(t: usize) -> String {
    let kind = Kind::FLEET[t % Kind::FLEET.len()];
    match t / Kind::FLEET.len() {
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

/// The series of one [`Shape`], and when their points are.
pub struct Dataset {
    series: Vec<Series>,
    hosts: usize,
    tables: usize,
    start_ns: u64,
    interval_ns: u64,
    precision: Precision,
}

impl Dataset {
    /// A fleet of hosts, each with every table's series (8 cores, 1 memory, 4 disks,
    /// 2 interfaces), cut off at exactly `series` series over `tables` tables; the first round
    /// at `start_ns` and each next one `interval_ns` later.
    pub fn fleet(series: usize, tables: usize, start_ns: u64, interval_ns: u64) -> Self {
        assert!(
            series > 0 && tables > 0 && interval_ns > 0,
            "series, tables and the interval must be positive"
        );
        let mut all = Vec::with_capacity(series);
        let mut host = 0;
        let mut tables_used = 0;
        'fleet: loop {
            for t in 0..tables {
                let kind = Kind::FLEET[t % Kind::FLEET.len()];
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
            precision: Precision::Ns,
        }
    }

    /// `hosts` hosts with one series each in the one table `cpu`, timed as [`Dataset::fleet`].
    pub fn one_per_host(hosts: usize, start_ns: u64, interval_ns: u64) -> Self {
        assert!(
            hosts > 0 && interval_ns > 0,
            "hosts and the interval must be positive"
        );
        let kind = Kind::HostCpu;
        let series = (0..hosts)
            .map(|host| Series {
                prefix: prefix(kind.base_name(), kind, host, 0),
                kind,
                seed: mix(host as u64),
            })
            .collect();
        Dataset {
            series,
            hosts,
            tables: 1,
            start_ns,
            interval_ns,
            precision: Precision::Ns,
        }
    }

    /// Writes timestamps in `precision`; the start and the interval must be whole units.
    pub fn in_precision(mut self, precision: Precision) -> Self {
        let unit = precision.unit_ns();
        assert!(
            self.start_ns.is_multiple_of(unit) && self.interval_ns.is_multiple_of(unit),
            "the start and the interval must be whole units of {precision:?}"
        );
        self.precision = precision;
        self
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
        // In the precision's units, exact since both are whole units.
        let unit = self.precision.unit_ns();
        let interval = self.interval_ns / unit;
        let mut time = self.start_ns / unit + round * interval;
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
                time += interval;
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
        .map(|t| Kind::FLEET[t % Kind::FLEET.len()].per_host())
        .sum()
}

/// The `host` tag of host `host` (0-based): `host-00042`.
pub fn host_name(host: usize) -> String {
    format!("host-{host:05}")
}

/// The tags of series `v` (core, disk or interface) of `host`, in key order, as telegraf sends
/// them. No value needs escaping.
fn tags(kind: Kind, host: usize, v: usize) -> Vec<(&'static str, String)> {
    let region = REGIONS[host % REGIONS.len()];
    let zone = ZONES[(host / REGIONS.len()) % ZONES.len()];
    let dc = ("dc", format!("{region}{zone}"));
    let name = ("host", host_name(host));
    let region = ("region", region.to_owned());
    match kind {
        Kind::Cpu => vec![("cpu", format!("cpu{v}")), dc, name, region],
        Kind::Mem | Kind::HostCpu => vec![dc, name, region],
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
        Kind::Cpu | Kind::HostCpu => {
            // Hundredths of a percent; idle takes what the others leave.
            let user = h % 6000;
            let system = (h >> 16) % 2000;
            let iowait = (h >> 28) % 500;
            let irq = (h >> 37) % 30;
            let softirq = (h >> 42) % 120;
            let steal = (h >> 50) % 20;
            let guest = (h >> 58) % 5;
            let idle = 10_000 - (user + system + iowait + irq + softirq + steal + guest);
            let all = [
                (&b"usage_user="[..], user),
                (b",usage_system=", system),
                (b",usage_idle=", idle),
                (b",usage_iowait=", iowait),
                (b",usage_irq=", irq),
                (b",usage_softirq=", softirq),
                (b",usage_steal=", steal),
                (b",usage_guest=", guest),
            ];
            // A host's total keeps the four fields dashboards chart; the rest still take time.
            let written = if series.kind == Kind::Cpu { 8 } else { 4 };
            for (key, value) in &all[..written] {
                out.extend_from_slice(key);
                push_hundredths(out, *value);
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

    use strata_lp::{FieldType, FieldValue, Parser};

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
            let data = Dataset::fleet(series, tables, START, INTERVAL);
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
        assert_eq!(Dataset::fleet(10_000, 4, START, INTERVAL).hosts(), 667);
    }

    #[test]
    fn points_are_unique_and_types_stable_across_rounds_and_batches() {
        let data = Dataset::fleet(50, 4, START, INTERVAL);
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
        Dataset::fleet(10_000, 4, START, INTERVAL).write_lines(15 * 5 + 3, 1, &mut body);
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
    fn a_hosts_dataset_writes_one_cpu_series_per_host() {
        let data = Dataset::one_per_host(50, START, INTERVAL);
        assert_eq!((data.series(), data.hosts(), data.tables()), (50, 50, 1));
        let batches = Batches::new(data, 37, Some(50 * 2 + 3), false);
        let body: Vec<u8> = (0..)
            .map_while(|k| batches.build(k))
            .flat_map(|batch| batch.body.to_vec())
            .collect();
        let lines = parse(&body);
        assert_eq!(lines.len(), 103);
        assert_eq!(
            lines[42].0,
            "cpu,dc=eu-central-1b,host=host-00042,region=eu-central-1"
        );
        for (i, (key, time, fields)) in lines.iter().enumerate() {
            let host = host_name(i % 50);
            assert!(key.contains(&format!(",host={host},")), "line {i}: {key}");
            assert!(
                key.starts_with("cpu,dc=")
                    && key.ends_with(&format!(",region={}", REGIONS[i % 50 % 4]))
            );
            assert_eq!(*time, (START + (i / 50) as u64 * INTERVAL) as i64);
            let names: Vec<_> = fields.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(
                names,
                ["usage_user", "usage_system", "usage_idle", "usage_iowait"]
            );
            assert!(fields.iter().all(|(_, ty)| *ty == FieldType::Float));
        }
        // Percentages: the four fields of a host's total never add up to more than 100.
        let mut parser = Parser::new(&body);
        while let Some(line) = parser.next_line() {
            let sum: f64 = line
                .unwrap()
                .fields
                .iter()
                .map(|f| match f.value {
                    FieldValue::Float(v) if (0.0..=100.0).contains(&v) => v,
                    other => panic!("{other:?} is not a percentage"),
                })
                .sum();
            assert!(sum <= 100.0 + 1e-9, "{sum}");
        }
    }

    #[test]
    fn seconds_precision_writes_whole_seconds() {
        let interval = 10 * SECOND_NS;
        let in_ns = Dataset::one_per_host(3, START, interval);
        let in_s = Dataset::one_per_host(3, START, interval).in_precision(Precision::S);
        let (mut ns_body, mut s_body) = (Vec::new(), Vec::new());
        in_ns.write_lines(4, 5, &mut ns_body);
        in_s.write_lines(4, 5, &mut s_body);
        let (ns_lines, s_lines) = (parse(&ns_body), parse(&s_body));
        assert_eq!(s_lines.len(), 5);
        for (ns, s) in ns_lines.iter().zip(&s_lines) {
            assert_eq!((&ns.0, &ns.2), (&s.0, &s.2), "the same series and fields");
            assert_eq!(ns.1, s.1 * SECOND_NS as i64);
        }
        // Line 4 is in round 1; line 6 starts round 2.
        let seconds: Vec<_> = s_lines.iter().map(|(_, t, _)| *t).collect();
        let first = (START / SECOND_NS) as i64;
        assert_eq!(
            seconds,
            [first + 10, first + 10, first + 20, first + 20, first + 20]
        );
        // The same lines but for the nine digits of the timestamps.
        assert_eq!(ns_body.len(), s_body.len() + 5 * 9);
        assert_eq!(
            Dataset::fleet(5, 4, START, interval)
                .in_precision(Precision::Ns)
                .bytes_per_line(),
            Dataset::fleet(5, 4, START, interval).bytes_per_line()
        );
    }

    #[test]
    #[should_panic(expected = "whole units")]
    fn seconds_precision_needs_whole_seconds() {
        let _ = Dataset::one_per_host(3, START, 1_500_000_000).in_precision(Precision::S);
    }

    #[test]
    fn host_names_are_zero_padded() {
        assert_eq!(host_name(0), "host-00000");
        assert_eq!(host_name(42), "host-00042");
        assert_eq!(host_name(123_456), "host-123456");
    }

    #[test]
    fn a_run_finished_from_a_round_writes_what_one_run_would() {
        let lines = |batches: Batches| -> Vec<Parsed> {
            (0..)
                .map_while(|k| batches.build(k))
                .flat_map(|batch| parse(&batch.body))
                .collect()
        };
        let data = || Dataset::fleet(50, 4, START, INTERVAL);
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
        let batches = Batches::new(Dataset::fleet(10, 4, START, INTERVAL), 100, None, false);
        assert_eq!(batches.count(), None);
        let batch = batches.build(1_000_000).unwrap();
        assert_eq!(parse(&batch.body).len(), 100);
    }

    #[test]
    fn gzip_bodies_inflate_to_the_same_lines() {
        let plain = Batches::new(Dataset::fleet(100, 4, START, INTERVAL), 500, None, false);
        let gzipped = Batches::new(Dataset::fleet(100, 4, START, INTERVAL), 500, None, true);
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
