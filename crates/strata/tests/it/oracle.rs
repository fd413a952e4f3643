//! InfluxQL answers compared with InfluxDB 1.x's. The oracle (Debian's influxdb, which
//! `scripts/test` starts through `scripts/influxdb1.sh`) and Strata are given the same points,
//! and every statement must be answered the same by both. Answers are compared as MessagePack,
//! so a float 10 and an integer 10 differ as they do for InfluxDB's clients.
//!
//! Where InfluxDB's answer is arbitrary it is not compared: rows of one series that share a
//! time may come in any order (they are compared as a set), and floats may differ in their
//! last bits. Error messages are compared only in being errors: their words are Strata's own.

use std::fmt::Write as _;
use std::io::Cursor;

use reqwest::StatusCode;
use rmpv::Value as Msgpack;

use crate::harness::*;

/// 2024-01-01T00:00:00Z, in seconds.
const T0: i64 = 1_704_067_200;

/// The four hours of the dataset, for GROUP BY time.
const RANGE: &str = "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T04:00:00Z'";

/// The oracle's address, or `None` (skip) outside `scripts/test`, except under CI.
fn oracle_url() -> Option<String> {
    set_by_test_script(
        "STRATA_TEST_INFLUXDB1_URL",
        "the comparisons with InfluxDB 1.x",
    )
}

/// Line protocol of four measurements over four hours from T0, in nanoseconds:
/// - cpu: hosts a and b (region east) every 10 minutes and c (region west, the only one with a
///   tag dc) every 20; nothing from 01:30 to 02:20; usage_system missing at every third
///   point; float, integer, string and boolean fields.
/// - mem: hosts a and b every 15 minutes, integers (one negative) and a float missing now and
///   then.
/// - disk: two hosts and two paths hourly, a tag device on only some series.
/// - net: counters every 20 minutes, one of which resets.
fn dataset() -> String {
    let ns = |seconds: i64| (T0 + seconds) * 1_000_000_000;
    let mut lines = Vec::new();
    let statuses = ["ok", "warn", "ok", "crit", "ok"];
    for i in 0..24i64 {
        let second = i * 600;
        if (5400..8400).contains(&second) {
            continue;
        }
        for (host, base, cores) in [("a", 10.0, 4), ("b", 20.0, 8)] {
            let mut fields = vec![format!(
                "usage_user={}",
                base + ((i * 37) % 11) as f64 * 1.25
            )];
            if i % 3 != 0 {
                let system = ((i * 13) % 7) as f64 * 0.5 + if host == "b" { 1.0 } else { 0.0 };
                fields.push(format!("usage_system={system}"));
            }
            fields.push(format!("cores={}i", cores + i / 8));
            fields.push(format!("status=\"{}\"", statuses[(i % 5) as usize]));
            let active = (i + host.len() as i64) % 4 != 0;
            fields.push(format!("active={active}"));
            lines.push(format!(
                "cpu,host={host},region=east {} {}",
                fields.join(","),
                ns(second)
            ));
        }
        if i % 2 == 0 {
            lines.push(format!(
                "cpu,dc=dc1,host=c,region=west usage_user={},usage_system={},cores=2i,status=\"{}\",active={} {}",
                50.0 - i as f64 * 1.5,
                i as f64 * 0.25,
                statuses[((i + 2) % 5) as usize],
                i % 4 == 0,
                ns(second)
            ));
        }
    }
    for i in 0..16i64 {
        for (host, base) in [("a", 1000), ("b", 4000)] {
            let used = base + ((i * 53) % 17) * 10;
            let free = if host == "b" && i == 7 {
                -5
            } else {
                8192 - used
            };
            let mut fields = vec![format!("used={used}i"), format!("free={free}i")];
            if i % 4 != 2 {
                fields.push(format!(
                    "pct={}",
                    (used as f64 / 81.92 * 1000.0).round() / 1000.0
                ));
            }
            lines.push(format!(
                "mem,host={host} {} {}",
                fields.join(","),
                ns(i * 900)
            ));
        }
    }
    for i in 0..4i64 {
        for host in ["a", "b"] {
            for (path, device) in [("/", Some("sda1")), ("/var", None)] {
                let total = if path == "/" { 100_000 } else { 50_000 };
                let share = 0.2 + 0.1 * i as f64 + if host == "b" { 0.05 } else { 0.0 };
                let device = device.map(|d| format!(",device={d}")).unwrap_or_default();
                let label = format!("{host}{path}").replace('/', "_");
                lines.push(format!(
                    "disk,host={host},path={path}{device} total={total}i,used={},label=\"{label}\" {}",
                    total as f64 * share,
                    ns(i * 3600)
                ));
            }
        }
    }
    let mut counters = [("a", 0i64), ("b", 500i64)];
    for i in 0..12i64 {
        for (host, counter) in &mut counters {
            if *host == "a" && i == 6 {
                *counter = 10;
            } else {
                *counter += 100 + ((i * 7) % 5) * 20 + if *host == "b" { 50 } else { 0 };
            }
            lines.push(format!(
                "net,host={host} bytes_in={counter}i,errors={}i,rate={} {}",
                (i * 3) % 4,
                *counter as f64 / 12.5,
                ns(i * 1200)
            ));
        }
    }
    lines.join("\n")
}

/// The same data in InfluxDB 1.x and in Strata, each in a database of the test's name.
struct Pair {
    oracle: String,
    server: Server,
    token: String,
    database: String,
}

impl Pair {
    async fn start(database: &str) -> Option<Pair> {
        let oracle = oracle_url()?;
        let server = Server::start();
        let (_, token) = server.database_with_token(database).await;
        let pair = Pair {
            oracle,
            server,
            token,
            database: database.to_string(),
        };
        let client = reqwest::Client::new();
        // CREATE DATABASE, again until SHOW DATABASES has it: InfluxDB 1.6 may lose one of
        // several changes to its meta store made at once, and the tests run side by side. The
        // data is written over itself when a test runs again.
        let mut created = false;
        for _ in 0..20 {
            let create = format!("CREATE DATABASE \"{database}\"");
            let response = client
                .post(format!("{}/query", pair.oracle))
                .form(&[("q", create.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{create}");
            let (_, databases) = pair.ask(&pair.oracle, None, "SHOW DATABASES").await;
            if databases.to_string().contains(&format!("\"{database}\"")) {
                created = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(created, "InfluxDB did not keep the database {database}");
        let lines = dataset();
        let response = client
            .post(format!("{}/write", pair.oracle))
            .query(&[("db", database)])
            .body(lines.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        pair.server.write_lines(&pair.token, database, &lines).await;
        Some(pair)
    }

    /// The status and MessagePack answer of `base`'s `/query` to `q`.
    async fn ask(&self, base: &str, token: Option<&str>, q: &str) -> (StatusCode, Msgpack) {
        let mut request = reqwest::Client::new()
            .get(format!("{base}/query"))
            .header("Accept", "application/x-msgpack")
            .query(&[("db", self.database.as_str()), ("q", q)]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        let value = rmpv::decode::read_value(&mut Cursor::new(&body[..]))
            .unwrap_or_else(|e| panic!("{base}: {q}: not MessagePack ({e}): {body:?}"));
        (status, value)
    }

    /// The times of a JSON answer, as written.
    async fn json_times(&self, base: &str, token: Option<&str>, q: &str) -> Vec<String> {
        let mut request = reqwest::Client::new()
            .get(format!("{base}/query"))
            .query(&[("db", self.database.as_str()), ("q", q)]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        let mut times = Vec::new();
        for series in answer["results"][0]["series"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for row in series["values"].as_array().into_iter().flatten() {
                times.push(row[0].as_str().unwrap_or_default().to_string());
            }
        }
        assert!(!times.is_empty(), "{q}: {answer}");
        times
    }

    /// Asks both every query (`{db}` stands for the database) and fails listing each one they
    /// answer differently.
    async fn assert_same(&self, queries: &[&str]) {
        let mut differences = String::new();
        for query in queries {
            let q = query
                .replace("{db}", &self.database)
                .replace("$RANGE", RANGE);
            let expected = self.ask(&self.oracle, None, &q).await;
            let got = self.ask(&self.server.base, Some(&self.token), &q).await;
            if expected.0 != got.0 || !same(&normalized(&expected.1), &normalized(&got.1)) {
                let _ = writeln!(
                    differences,
                    "\n{q}\n  InfluxDB: {} {}\n  Strata:   {} {}",
                    expected.0,
                    shown(&expected.1),
                    got.0,
                    shown(&got.1)
                );
            }
        }
        assert!(
            differences.is_empty(),
            "answers that differ from InfluxDB 1.x's:{differences}"
        );
    }
}

/// An answer as JSON, its times as nanoseconds, cut short when long.
fn shown(value: &Msgpack) -> String {
    fn json(value: &Msgpack) -> serde_json::Value {
        match value {
            Msgpack::Ext(5, bytes) if bytes.len() == 12 => {
                let seconds = i64::from_be_bytes(bytes[..8].try_into().unwrap());
                let nanos = u32::from_be_bytes(bytes[8..].try_into().unwrap());
                serde_json::json!(format!("t{}", seconds * 1_000_000_000 + i64::from(nanos)))
            }
            Msgpack::Array(items) => items.iter().map(json).collect(),
            Msgpack::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.to_string().trim_matches('"').to_string(), json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Msgpack::F64(f) => serde_json::json!(f),
            Msgpack::Integer(i) => serde_json::json!(i.as_i64()),
            Msgpack::String(s) => serde_json::json!(s.as_str()),
            Msgpack::Boolean(b) => serde_json::json!(b),
            Msgpack::Nil => serde_json::Value::Null,
            other => serde_json::json!(other.to_string()),
        }
    }
    let mut text = json(value).to_string();
    if text.len() > 1500 {
        text.truncate(text.floor_char_boundary(1500));
        text.push('…');
    }
    text
}

/// `value` with the rows of every series that share a time in one order, and every error the
/// same error.
fn normalized(value: &Msgpack) -> Msgpack {
    match value {
        Msgpack::Map(entries) => Msgpack::Map(
            entries
                .iter()
                .map(|(key, value)| match key.as_str() {
                    Some("values") => (key.clone(), ties_ordered(value)),
                    Some("error") => (key.clone(), Msgpack::from("an error")),
                    _ => (key.clone(), normalized(value)),
                })
                .collect(),
        ),
        Msgpack::Array(items) => Msgpack::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// Rows (arrays whose first value is the time) with each run of one time sorted.
fn ties_ordered(rows: &Msgpack) -> Msgpack {
    let Some(rows) = rows.as_array() else {
        return rows.clone();
    };
    let mut rows = rows.clone();
    let time = |row: &Msgpack| row.as_array().and_then(|r| r.first()).cloned();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start + 1;
        while end < rows.len() && time(&rows[end]) == time(&rows[start]) {
            end += 1;
        }
        rows[start..end].sort_by_key(|row| row.to_string());
        start = end;
    }
    Msgpack::Array(rows)
}

/// Equal but for the order of map keys (Go's maps have none) and floats' last bits.
fn same(a: &Msgpack, b: &Msgpack) -> bool {
    match (a, b) {
        (Msgpack::F64(x), Msgpack::F64(y)) => {
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Msgpack::Integer(x), Msgpack::Integer(y)) => {
            x.as_i64() == y.as_i64() && x.as_u64() == y.as_u64()
        }
        (Msgpack::Array(x), Msgpack::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Msgpack::Map(x), Msgpack::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(key, value)| {
                    y.iter()
                        .find(|(k, _)| k == key)
                        .is_some_and(|(_, v)| same(value, v))
                })
        }
        _ => a == b,
    }
}

#[tokio::test]
async fn raw_selects_conditions_and_arithmetic() {
    let Some(pair) = Pair::start("oracle_raw").await else {
        return;
    };
    pair.assert_same(&[
        "SELECT * FROM cpu",
        "SELECT * FROM mem WHERE host = 'b'",
        "SELECT usage_user, usage_system FROM cpu WHERE host = 'a'",
        "SELECT usage_user FROM cpu WHERE host = 'c' AND time >= '2024-01-01T01:00:00Z'",
        "SELECT * FROM disk",
        "SELECT \"usage_user\"::float, \"status\"::string, \"active\"::boolean FROM cpu WHERE host = 'a' LIMIT 3",
        "SELECT *::field FROM cpu WHERE host = 'b' LIMIT 2",
        "SELECT host, usage_user FROM cpu WHERE host = 'b' LIMIT 3",
        "SELECT usage_user, host, region FROM cpu WHERE region = 'west'",
        "SELECT usage_user FROM cpu WHERE dc = '' AND host = 'a' LIMIT 3",
        "SELECT usage_user FROM cpu WHERE dc != '' LIMIT 3",
        "SELECT usage_user FROM cpu WHERE usage_user > 30",
        "SELECT usage_user FROM cpu WHERE usage_user > 20 AND usage_system < 2",
        "SELECT usage_user FROM cpu WHERE status = 'crit'",
        "SELECT usage_user FROM cpu WHERE active = false AND host = 'a'",
        "SELECT usage_user FROM cpu WHERE active = true AND host = 'b' LIMIT 2",
        "SELECT usage_user FROM cpu WHERE status != 'ok' AND host = 'a' LIMIT 3",
        "SELECT usage_user FROM cpu WHERE usage_user = 22.5",
        "SELECT usage_user, cores FROM cpu WHERE host = 'a' AND cores > 4 LIMIT 2",
        "SELECT nonexistent FROM cpu",
        "SELECT * FROM nonexistent",
        "SELECT usage_user FROM cpu WHERE time > '2024-01-01T03:30:00Z'",
        "SELECT usage_user FROM cpu WHERE time > 1704078000000000000",
        "SELECT usage_user FROM cpu WHERE time >= '2024-01-01T03:30:00Z' - 10m AND host = 'a'",
        "SELECT usage_user FROM cpu WHERE time = '2024-01-01T00:00:00Z' AND host = 'b'",
        "SELECT * FROM cpu WHERE host = 'a' ORDER BY time DESC LIMIT 2",
        "SELECT \"usage_user\" FROM \"cpu\" WHERE \"host\" = 'a' LIMIT 1",
        "SELECT usage_user FROM cpu WHERE host =~ /^[ab]$/ AND time < '2024-01-01T00:30:00Z'",
        "SELECT usage_user FROM cpu WHERE host !~ /a/ AND time < '2024-01-01T00:30:00Z'",
        "SELECT usage_user FROM cpu WHERE status =~ /cr/",
        "SELECT usage_user FROM cpu WHERE dc =~ /^$/ AND host = 'b' LIMIT 2",
        // Arithmetic and math.
        "SELECT usage_user + usage_system FROM cpu WHERE host = 'a'",
        "SELECT usage_user * 2 - 1 FROM cpu WHERE host = 'b' LIMIT 3",
        "SELECT cores * 2, cores + 1, cores - 10 FROM cpu WHERE host = 'b' LIMIT 2",
        "SELECT used % 7 FROM mem WHERE host = 'a' LIMIT 3",
        "SELECT used & 255, used | 1, used ^ 3 FROM mem WHERE host = 'a' LIMIT 2",
        "SELECT -usage_user FROM cpu WHERE host = 'a' LIMIT 2",
        "SELECT usage_user + cores FROM cpu WHERE host = 'a' LIMIT 2",
        "SELECT (usage_user + usage_system) / 2 AS avg_use FROM cpu WHERE host = 'b' LIMIT 3",
        "SELECT sqrt(usage_user), pow(usage_user, 2) FROM cpu WHERE host = 'a' LIMIT 2",
        "SELECT floor(usage_user), ceil(usage_user), round(usage_user) FROM cpu WHERE host = 'b' LIMIT 3",
        "SELECT exp(usage_system), log(usage_user, 2) FROM cpu WHERE host = 'a' LIMIT 2",
        // Casts, rounding integers, math on floats.
        "SELECT cores::float, usage_user::integer, status::float, usage_user::string, active::integer, cores::unsigned FROM cpu WHERE host = 'a' LIMIT 2",
        "SELECT floor(cores), ceil(cores), round(cores), abs(cores) FROM cpu WHERE host = 'a' LIMIT 1",
        "SELECT sqrt(free), sqrt(used) FROM mem WHERE host = 'b' AND time >= '2024-01-01T01:30:00Z' AND time < '2024-01-01T02:00:00Z'",
        "SELECT exp(1) FROM cpu",
        "SELECT nosuchfn(usage_user) FROM cpu",
        "SELECT mean(status) FROM cpu",
        "SELECT sum(active) FROM cpu",
        // `/` gives a float, and 0 for a divisor of 0.
        "SELECT cores / 3 FROM cpu WHERE host = 'a' LIMIT 2",
        "SELECT used / free FROM mem WHERE host = 'a' LIMIT 2",
        "SELECT usage_user / 0, cores / 0 FROM cpu WHERE host = 'a' LIMIT 2",
        "SELECT usage_user / usage_system FROM cpu WHERE host = 'c' LIMIT 3",
        "SELECT sum(cores) / count(cores) FROM cpu",
        "SELECT mean(usage_user) / 2 FROM cpu WHERE $RANGE GROUP BY time(1h)",
        // Several measurements whose fields agree.
        "SELECT used FROM /^(mem|disk)$/ WHERE host = 'a' AND time < '2024-01-01T00:20:00Z'",
        "SELECT * FROM \"{db}\".\"autogen\".\"mem\" WHERE host = 'a' LIMIT 1",
        "SELECT * FROM {db}..mem WHERE host = 'a' LIMIT 1",
        // Several measurements whose fields differ: the union of the columns, by name.
        "SELECT * FROM /^(cpu|mem)$/ WHERE time < '2024-01-01T00:20:00Z'",
        "SELECT bytes_in, used FROM mem, net WHERE time < '2024-01-01T00:40:00Z'",
        "SELECT * FROM mem, net WHERE host = 'b' AND time < '2024-01-01T00:40:00Z'",
        "SELECT label, used FROM disk, mem WHERE host = 'a' AND time < '2024-01-01T01:00:00Z'",
        // Limits.
        "SELECT usage_user FROM cpu WHERE host = 'a' LIMIT 3 OFFSET 2",
        "SELECT usage_user FROM cpu GROUP BY host LIMIT 1 OFFSET 1",
        "SELECT usage_user FROM cpu GROUP BY host SLIMIT 1",
        "SELECT usage_user FROM cpu GROUP BY host SLIMIT 1 SOFFSET 1",
        "SELECT usage_user FROM cpu WHERE host = 'a' ORDER BY time DESC LIMIT 3",
        "SELECT usage_user FROM cpu WHERE time < '2024-01-01T00:20:00Z' GROUP BY host ORDER BY time DESC",
        "SELECT max(used) FROM mem, disk WHERE time < '2024-01-01T00:20:00Z' GROUP BY host ORDER BY time DESC",
        "SELECT last(usage_user) FROM cpu GROUP BY host ORDER BY time DESC",
        "SELECT usage_user FROM cpu GROUP BY host LIMIT 2",
        "SELECT * FROM cpu GROUP BY host LIMIT 1",
        "SELECT usage_user FROM cpu WHERE host = 'a' LIMIT 0",
        "SELECT usage_user FROM cpu WHERE time < '2024-01-01T00:30:00Z' GROUP BY host SLIMIT 0",
    ])
    .await;
}

#[tokio::test]
async fn aggregates_and_selectors() {
    let Some(pair) = Pair::start("oracle_aggregates").await else {
        return;
    };
    pair.assert_same(&[
        "SELECT count(usage_user) FROM cpu",
        "SELECT count(usage_system) FROM cpu GROUP BY host",
        "SELECT count(*) FROM cpu",
        "SELECT count(status), count(active), count(cores) FROM cpu",
        "SELECT mean(usage_user) FROM cpu",
        "SELECT mean(usage_user), mean(usage_system) FROM cpu GROUP BY host",
        "SELECT mean(cores) FROM cpu",
        "SELECT median(usage_user) FROM cpu GROUP BY host",
        "SELECT median(cores) FROM cpu",
        "SELECT spread(usage_user) FROM cpu GROUP BY host",
        "SELECT spread(cores) FROM cpu",
        "SELECT stddev(usage_user) FROM cpu GROUP BY host",
        "SELECT stddev(cores) FROM cpu",
        "SELECT sum(usage_user) FROM cpu GROUP BY host",
        "SELECT sum(cores) FROM cpu",
        "SELECT sum(used), sum(pct) FROM mem",
        "SELECT mean(usage_user), count(usage_user), sum(usage_user), min(usage_user), max(usage_user) FROM cpu WHERE region = 'east'",
        "SELECT count(usage_user) FROM cpu WHERE host = 'zzz'",
        "SELECT mean(usage_user) * 2 FROM cpu",
        "SELECT round(mean(usage_user)) FROM cpu GROUP BY host",
        "SELECT first(usage_user) FROM cpu GROUP BY host",
        "SELECT last(usage_user) FROM cpu GROUP BY host",
        "SELECT last(status) FROM cpu",
        "SELECT last(usage_user) FROM cpu",
        "SELECT first(active), last(cores) FROM cpu WHERE host = 'b'",
        "SELECT first(usage_user) FROM cpu WHERE host = 'a'",
        "SELECT max(usage_user) FROM cpu",
        "SELECT min(usage_user) FROM cpu GROUP BY host",
        "SELECT min(cores), max(cores) FROM cpu",
        "SELECT max(usage_user), min(usage_user) FROM cpu",
        "SELECT min(usage_user), max(usage_user) FROM cpu WHERE host = 'a'",
        "SELECT max(cores) FROM cpu WHERE host = 'b'",
        "SELECT last(status), last(active) FROM cpu GROUP BY host",
        "SELECT stddev(usage_user) FROM cpu WHERE host = 'c' AND time < '2024-01-01T00:10:00Z'",
        "SELECT count(used) FROM mem, disk",
        "SELECT count(used) FROM /.*/",
        "SELECT mean(used) FROM /m.*/ GROUP BY host",
        "SELECT mean(used) FROM mem, disk GROUP BY host",
        "SELECT max(bytes_in), max(used) FROM mem, net GROUP BY host",
        // integral() per series (InfluxDB 1.6 lists the series of an integral() grouped by
        // tags backwards, and twice for two integrals; with several series at one time,
        // which point counts last is its arbitrary choice: each series is asked apart).
        "SELECT integral(usage_user) FROM cpu WHERE host = 'b'",
        "SELECT integral(usage_user, 1m) FROM cpu WHERE host = 'a'",
        "SELECT integral(cores) FROM cpu WHERE host = 'a'",
        "SELECT integral(used, 1h), integral(free, 1h) FROM mem WHERE host = 'b'",
        "SELECT integral(usage_user) FROM cpu WHERE host = 'c' AND time < '2024-01-01T00:00:00Z'",
        "SELECT integral(usage_user, 5) FROM cpu",
        "SELECT integral(status) FROM cpu",
        // mode() of every type.
        "SELECT mode(status), mode(cores), mode(usage_user), mode(active) FROM cpu GROUP BY host",
        "SELECT mode(usage_system) FROM cpu WHERE host = 'a'",
        "SELECT mode(used) FROM mem WHERE $RANGE GROUP BY time(1h), host",
        // distinct(), alone or counted.
        "SELECT distinct(status) FROM cpu",
        "SELECT distinct(usage_system) FROM cpu WHERE host = 'a'",
        "SELECT distinct(cores) FROM cpu GROUP BY host",
        "SELECT distinct(status) FROM cpu WHERE host = 'a' AND time >= '2024-01-01T01:00:00Z' AND time < '2024-01-01T03:00:00Z' GROUP BY time(30m)",
        "SELECT count(distinct(status)), count(distinct(cores)) FROM cpu GROUP BY host",
        "SELECT count(distinct(status)) FROM cpu WHERE host = 'a' AND time >= '2024-01-01T01:00:00Z' AND time < '2024-01-01T03:00:00Z' GROUP BY time(30m)",
        "SELECT distinct(status), mean(usage_user) FROM cpu",
        // Selectors that show their point: its time and other fields or tags.
        "SELECT max(usage_user), host, status FROM cpu",
        "SELECT min(usage_user), host FROM cpu GROUP BY region",
        "SELECT last(usage_user), status FROM cpu WHERE host = 'a'",
        "SELECT first(usage_user), status FROM cpu",
        "SELECT first(usage_user), last(usage_user) FROM cpu WHERE host = 'a' AND $RANGE GROUP BY time(1h)",
        "SELECT max(usage_user), host FROM cpu WHERE $RANGE GROUP BY time(1h)",
        "SELECT max(usage_user), * FROM cpu WHERE host = 'b'",
        "SELECT percentile(usage_user, 50) FROM cpu WHERE host = 'b'",
        "SELECT percentile(usage_user, 90), status FROM cpu WHERE region = 'west' GROUP BY host",
        "SELECT percentile(cores, 25) FROM cpu WHERE host = 'a'",
        "SELECT percentile(usage_user, 0) FROM cpu",
        "SELECT percentile(usage_user, 100) FROM cpu WHERE host = 'c'",
        "SELECT max(usage_user), mean(usage_user), host FROM cpu",
        // sample(): what it chooses is random, but not when it may take every point.
        "SELECT sample(usage_user, 100) FROM cpu WHERE host = 'c'",
        "SELECT sample(status, 50), usage_user FROM cpu WHERE host = 'c' AND time < '2024-01-01T01:00:00Z'",
        "SELECT sample(usage_user, 0) FROM cpu",
        // top() and bottom().
        "SELECT top(usage_user, 3) FROM cpu WHERE host = 'a'",
        "SELECT top(usage_user, host, 2) FROM cpu",
        "SELECT top(usage_user, host, region, 2) FROM cpu",
        "SELECT bottom(cores, 2) FROM cpu GROUP BY host",
        "SELECT bottom(used, 3) FROM mem",
        "SELECT top(usage_user, 2) FROM cpu WHERE host = 'a' AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T02:00:00Z' GROUP BY time(1h)",
        "SELECT bottom(usage_user, 2) FROM cpu WHERE host = 'a' AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T03:00:00Z' GROUP BY time(1h) fill(0)",
        "SELECT top(usage_user, 2), host FROM cpu",
        "SELECT top(usage_user, 2), status, region FROM cpu WHERE host = 'b'",
        "SELECT top(usage_user, 2), mean(usage_user) FROM cpu",
        "SELECT top(status, 2) FROM cpu",
        "SELECT top(usage_user, 0) FROM cpu",
        // GROUP BY tags.
        "SELECT mean(usage_user) FROM cpu GROUP BY region",
        "SELECT mean(usage_user) FROM cpu GROUP BY host, region",
        "SELECT mean(usage_user) FROM cpu GROUP BY *",
        "SELECT mean(usage_user) FROM cpu GROUP BY dc",
        "SELECT mean(usage_user) FROM cpu GROUP BY /^h/",
        "SELECT count(used) FROM disk GROUP BY *",
        "SELECT mean(usage_user) FROM cpu GROUP BY nosuchtag",
        "SELECT mean(usage_user) FROM cpu WHERE host =~ /.*/ GROUP BY host",
        "SELECT mean(usage_user) FROM cpu GROUP BY host SLIMIT 2 SOFFSET 1",
        // Statements refused by both.
        "SELECT FROM cpu",
        "SELECT mean(*) FROM cpu",
        "SELECT max(*) FROM mem",
        "SELECT count(*) FROM mem GROUP BY host",
        "SELECT spread(*) FROM net",
        "SELECT count(used) FROM mem; SELECT count(usage_user) FROM cpu",
        "SELECT count(used) FROM mem; SELECT bogus( FROM cpu",
    ])
    .await;
}

#[tokio::test]
async fn group_by_time_and_fill() {
    let Some(pair) = Pair::start("oracle_group_by_time").await else {
        return;
    };
    pair.assert_same(&[
        "SELECT max(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h)",
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(none)",
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(0)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(previous)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(linear)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(-1)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(null)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h, 15m)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h, -15m)",
        "SELECT sum(cores) FROM cpu WHERE $RANGE GROUP BY time(45m)",
        "SELECT mean(usage_user) FROM cpu WHERE time >= '2024-01-01T00:05:00Z' AND time < '2024-01-01T02:00:00Z' GROUP BY time(20m)",
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h), host",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h), host fill(0)",
        "SELECT count(usage_user) FROM cpu WHERE time >= '2024-01-01T01:30:00Z' AND time < '2024-01-01T02:20:00Z'",
        "SELECT mean(usage_user) FROM cpu WHERE time >= '2024-01-01T01:30:00Z' AND time < '2024-01-01T02:20:00Z' GROUP BY time(10m)",
        "SELECT max(used) FROM mem WHERE $RANGE GROUP BY time(1h) ORDER BY time DESC",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h) LIMIT 2",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h) LIMIT 2 OFFSET 1",
        "SELECT count(usage_user) FROM cpu GROUP BY time(1h) fill(none)",
        "SELECT mean(usage_user), max(usage_system) FROM cpu WHERE $RANGE GROUP BY time(2h)",
        "SELECT percentile(usage_user, 50) FROM cpu WHERE $RANGE GROUP BY time(1h)",
        // integral() by interval: the line across an interval's end is cut there.
        "SELECT integral(usage_user, 1m) FROM cpu WHERE host = 'a' AND time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T02:00:00Z' GROUP BY time(1h)",
        "SELECT integral(usage_user) FROM cpu WHERE host = 'a' AND $RANGE GROUP BY time(30m)",
        "SELECT integral(used, 1m), integral(free, 1m) FROM mem WHERE host = 'b' AND $RANGE GROUP BY time(1h) fill(0)",
        "SELECT integral(usage_user) FROM cpu WHERE host = 'c' AND $RANGE GROUP BY time(45m)",
        "SELECT integral(bytes_in, 1s) FROM net WHERE host = 'a' AND $RANGE GROUP BY time(40m) fill(none)",
        "SELECT max(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h), host",
        "SELECT median(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h)",
        "SELECT sum(usage_user) FROM cpu WHERE $RANGE AND host = 'a' GROUP BY time(30m)",
        "SELECT mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h), host LIMIT 1",
        // count() of an empty interval is 0 where the fill is null.
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m)",
        "SELECT count(usage_user), mean(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m)",
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m) fill(previous)",
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(30m), host",
        "SELECT count(usage_user) AS n FROM cpu WHERE $RANGE GROUP BY time(30m) fill(null)",
        "SELECT count(usage_user) FROM cpu WHERE time >= '2024-01-01T01:30:00Z' AND time < '2024-01-01T02:20:00Z' GROUP BY time(10m)",
        "SELECT count(usage_user) FROM cpu WHERE time >= '2024-01-01T01:00:00Z' AND time < '2024-01-01T02:30:00Z' GROUP BY time(10m)",
    ])
    .await;
}

#[tokio::test]
async fn transformations() {
    let Some(pair) = Pair::start("oracle_transformations").await else {
        return;
    };
    let a = "host = 'a' AND time < '2024-01-01T01:00:00Z'";
    let w = "host = 'a' AND time >= '2024-01-01T00:30:00Z' AND time < '2024-01-01T03:00:00Z'";
    let queries = [
        // Over raw points, each series apart.
        format!("SELECT derivative(usage_user) FROM cpu WHERE {a}"),
        format!("SELECT derivative(usage_user, 1m) FROM cpu WHERE {a}"),
        format!("SELECT derivative(usage_system) FROM cpu WHERE {a}"),
        format!("SELECT derivative(usage_user) FROM cpu WHERE {a} ORDER BY time DESC"),
        "SELECT derivative(usage_user) FROM cpu WHERE time < '2024-01-01T00:30:00Z' GROUP BY host".into(),
        "SELECT non_negative_derivative(bytes_in, 1m) FROM net GROUP BY host".into(),
        "SELECT difference(bytes_in), non_negative_difference(bytes_in) FROM net GROUP BY host".into(),
        format!("SELECT difference(cores), cumulative_sum(cores), elapsed(cores), elapsed(cores, 1m), moving_average(cores, 2) FROM cpu WHERE {a}"),
        format!("SELECT moving_average(usage_user, 3) FROM cpu WHERE {a}"),
        format!("SELECT cumulative_sum(usage_system) FROM cpu WHERE {a}"),
        "SELECT elapsed(rate, 1s) FROM net WHERE host = 'b' LIMIT 3 OFFSET 2".into(),
        "SELECT derivative(usage_user) FROM cpu WHERE time < '2024-01-01T01:00:00Z' GROUP BY host LIMIT 2 OFFSET 1".into(),
        // Over aggregates of a GROUP BY time() query, which reads an interval before its range.
        format!("SELECT derivative(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT derivative(mean(usage_user), 1m) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT mean(usage_user), derivative(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT derivative(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m) fill(0)"),
        format!("SELECT derivative(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m) fill(none)"),
        format!("SELECT difference(mean(usage_user)), non_negative_difference(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT moving_average(mean(usage_user), 2) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT moving_average(mean(usage_user), 3) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT cumulative_sum(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT elapsed(mean(usage_user)), elapsed(mean(usage_user), 1m) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT non_negative_derivative(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT difference(sum(cores)), cumulative_sum(sum(cores)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT difference(max(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m)"),
        "SELECT derivative(mean(usage_user), 1h) FROM cpu WHERE $RANGE GROUP BY time(30m), host fill(0)".into(),
        "SELECT non_negative_derivative(max(bytes_in)) FROM net WHERE time >= '2024-01-01T01:00:00Z' AND time < '2024-01-01T04:00:00Z' GROUP BY time(1h), host".into(),
        format!("SELECT derivative(mean(usage_user)) FROM cpu WHERE {w} GROUP BY time(30m) ORDER BY time DESC"),
        // Refused by both.
        format!("SELECT derivative(usage_user), usage_user FROM cpu WHERE {a}"),
        format!("SELECT derivative(mean(usage_user)) FROM cpu WHERE {a}"),
        format!("SELECT derivative(usage_user) FROM cpu WHERE {w} GROUP BY time(30m)"),
        format!("SELECT moving_average(usage_user, 1) FROM cpu WHERE {a}"),
        format!("SELECT derivative(usage_user, 5) FROM cpu WHERE {a}"),
        format!("SELECT derivative(status) FROM cpu WHERE {a}"),
    ];
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    pair.assert_same(&queries).await;
}

#[tokio::test]
async fn subqueries() {
    let Some(pair) = Pair::start("oracle_subqueries").await else {
        return;
    };
    pair.assert_same(&[
        "SELECT mean(m) FROM (SELECT max(usage_user) AS m FROM cpu GROUP BY host)",
        "SELECT sum(d) FROM (SELECT difference(bytes_in) AS d FROM net WHERE host = 'a')",
        "SELECT count(u) FROM (SELECT usage_user AS u FROM cpu) GROUP BY host",
        "SELECT max(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE $RANGE GROUP BY time(30m), host) GROUP BY host",
        "SELECT m FROM (SELECT mean(usage_user) AS m FROM cpu WHERE $RANGE GROUP BY time(1h)) WHERE m > 22",
        "SELECT mean(used) FROM (SELECT used FROM mem, disk) GROUP BY host",
        "SELECT top(m, 2) FROM (SELECT max(usage_user) AS m FROM cpu GROUP BY host)",
        "SELECT max(s) FROM (SELECT sum(m) AS s FROM (SELECT max(usage_user) AS m FROM cpu GROUP BY host))",
        "SELECT mean(x) FROM (SELECT usage_user AS x FROM cpu WHERE host = 'zzz')",
        // The outer time range bounds the inner query's intervals.
        "SELECT max(m) FROM (SELECT mean(usage_user) AS m FROM cpu GROUP BY time(30m)) WHERE time >= '2024-01-01T01:00:00Z' AND time < '2024-01-01T03:00:00Z'",
        "SELECT count(m) FROM (SELECT count(usage_user) AS m FROM cpu GROUP BY time(30m)) WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T03:00:00Z'",
        "SELECT m FROM (SELECT mean(usage_user) AS m FROM cpu GROUP BY time(30m)) WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T03:00:00Z'",
        "SELECT m FROM (SELECT mean(usage_user) AS m FROM cpu GROUP BY time(30m) fill(0)) WHERE time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T03:00:00Z'",
    ])
    .await;
}

#[tokio::test]
async fn time_zones() {
    let Some(pair) = Pair::start("oracle_time_zones").await else {
        return;
    };
    let days = "time >= '2023-12-31T00:00:00Z' AND time < '2024-01-02T00:00:00Z'";
    let queries = [
        "SELECT usage_user FROM cpu WHERE host = 'a' AND time < '2024-01-01T00:30:00Z' tz('America/New_York')".to_string(),
        "SELECT count(usage_user) FROM cpu WHERE $RANGE GROUP BY time(1h) tz('America/New_York')".to_string(),
        format!("SELECT count(usage_user) FROM cpu WHERE {days} GROUP BY time(1d) tz('America/New_York')"),
        format!("SELECT max(used) FROM mem WHERE {days} GROUP BY time(1d), host tz('Asia/Kolkata')"),
        format!("SELECT mean(usage_user) FROM cpu WHERE {days} GROUP BY time(1d) fill(0) tz('Europe/Paris')"),
        "SELECT last(usage_user) FROM cpu WHERE host = 'b' tz('Australia/Sydney')".to_string(),
        "SELECT usage_user FROM cpu tz('UTC') LIMIT 1".to_string(),
        "SELECT usage_user FROM cpu tz('Nowhere/Bogus')".to_string(),
    ];
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    pair.assert_same(&queries).await;
    // MessagePack times are instants; in JSON they are written in the zone.
    for q in &queries[..4] {
        let q = q.replace("$RANGE", RANGE);
        assert_eq!(
            pair.json_times(&pair.oracle, None, &q).await,
            pair.json_times(&pair.server.base, Some(&pair.token), &q)
                .await,
            "{q}"
        );
    }
}

#[tokio::test]
async fn show_statements() {
    let Some(pair) = Pair::start("oracle_show").await else {
        return;
    };
    pair.assert_same(&[
        "SHOW MEASUREMENTS",
        "SHOW MEASUREMENTS WITH MEASUREMENT =~ /^(cpu|mem)$/",
        "SHOW MEASUREMENTS WITH MEASUREMENT = cpu",
        "SHOW MEASUREMENTS WHERE host = 'c'",
        "SHOW MEASUREMENTS LIMIT 2 OFFSET 1",
        "SHOW MEASUREMENTS ON {db}",
        "SHOW TAG KEYS",
        "SHOW TAG KEYS FROM cpu",
        "SHOW TAG KEYS FROM disk WHERE host = 'a'",
        "SHOW TAG KEYS LIMIT 1",
        "SHOW TAG KEYS FROM /^(mem|net)$/",
        "SHOW TAG VALUES WITH KEY = host",
        "SHOW TAG VALUES FROM cpu WITH KEY = host",
        "SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)",
        "SHOW TAG VALUES FROM cpu WITH KEY =~ /^(h|d)/",
        "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'east'",
        "SHOW TAG VALUES FROM disk WITH KEY = device",
        "SHOW TAG VALUES WITH KEY != host",
        "SHOW TAG VALUES WITH KEY = host LIMIT 1 OFFSET 1",
        "SHOW TAG VALUES FROM cpu WITH KEY = \"region\"",
        "SHOW TAG VALUES FROM nosuch WITH KEY = host",
        "SHOW FIELD KEYS",
        "SHOW FIELD KEYS FROM cpu",
        "SHOW FIELD KEYS FROM /^(mem|net)$/",
        "SHOW FIELD KEYS FROM nosuch",
        "SHOW SERIES",
        "SHOW SERIES FROM cpu",
        "SHOW SERIES FROM cpu WHERE region = 'east'",
        "SHOW SERIES LIMIT 3 OFFSET 2",
        "SHOW SERIES FROM disk WHERE device = 'sda1'",
        "SHOW SERIES WHERE host = 'a'",
        "SHOW SERIES ON {db} FROM mem",
        "SHOW RETENTION POLICIES",
        "SHOW RETENTION POLICIES ON {db}",
    ])
    .await;
}

#[tokio::test]
async fn show_cardinality_and_other_show_statements() {
    let Some(pair) = Pair::start("oracle_cardinality").await else {
        return;
    };
    pair.assert_same(&[
        // Without EXACT or any clause, InfluxDB's estimate (exact at this size).
        "SHOW SERIES CARDINALITY",
        "SHOW SERIES CARDINALITY ON {db}",
        "SHOW SERIES CARDINALITY LIMIT 0",
        "SHOW MEASUREMENT CARDINALITY",
        "SHOW MEASUREMENT CARDINALITY ON {db}",
        // Exact counts: per measurement, FROM, WHERE on tags, GROUP BY tags.
        "SHOW SERIES EXACT CARDINALITY",
        "SHOW SERIES EXACT CARDINALITY ON {db}",
        "SHOW SERIES CARDINALITY FROM cpu",
        "SHOW SERIES EXACT CARDINALITY FROM cpu, mem WHERE region = 'east'",
        "SHOW SERIES CARDINALITY FROM /^(cpu|mem)$/",
        "SHOW SERIES CARDINALITY WHERE host = 'a'",
        "SHOW SERIES EXACT CARDINALITY WHERE host =~ /a|b/ AND region != 'west'",
        "SHOW SERIES EXACT CARDINALITY WHERE region = 'east' OR path = '/'",
        "SHOW SERIES EXACT CARDINALITY WHERE dc = ''",
        "SHOW SERIES EXACT CARDINALITY WHERE nosuch != 'x'",
        "SHOW SERIES EXACT CARDINALITY WHERE 'a' = host",
        "SHOW SERIES EXACT CARDINALITY WHERE host = 'zzz'",
        "SHOW SERIES EXACT CARDINALITY WHERE host = 'a' OR usage_user > 1",
        "SHOW SERIES EXACT CARDINALITY WHERE usage_user > 1",
        "SHOW SERIES EXACT CARDINALITY GROUP BY host",
        "SHOW SERIES EXACT CARDINALITY GROUP BY host, region",
        "SHOW SERIES EXACT CARDINALITY GROUP BY *",
        "SHOW SERIES EXACT CARDINALITY GROUP BY /^(h|p)/",
        "SHOW SERIES CARDINALITY LIMIT 1",
        "SHOW SERIES EXACT CARDINALITY OFFSET 1",
        "SHOW SERIES CARDINALITY FROM nosuch",
        "SHOW MEASUREMENT EXACT CARDINALITY",
        "SHOW MEASUREMENT CARDINALITY FROM cpu",
        "SHOW MEASUREMENT EXACT CARDINALITY FROM /^(mem|disk)$/",
        "SHOW MEASUREMENT CARDINALITY WHERE region = 'east'",
        "SHOW MEASUREMENT EXACT CARDINALITY WHERE host = 'zzz'",
        "SHOW MEASUREMENT EXACT CARDINALITY GROUP BY host",
        "SHOW MEASUREMENT EXACT CARDINALITY LIMIT 1 OFFSET 1",
        "SHOW TAG KEY CARDINALITY",
        "SHOW TAG KEY EXACT CARDINALITY ON {db} FROM cpu",
        "SHOW TAG KEY CARDINALITY WHERE host = 'a'",
        "SHOW TAG KEY CARDINALITY WHERE device != 'sda1'",
        "SHOW TAG KEY CARDINALITY GROUP BY host",
        "SHOW TAG VALUES CARDINALITY WITH KEY = host",
        "SHOW TAG VALUES EXACT CARDINALITY ON {db} FROM cpu WITH KEY = host",
        "SHOW TAG VALUES CARDINALITY WITH KEY IN (host, path)",
        "SHOW TAG VALUES CARDINALITY WITH KEY =~ /^(h|p)/",
        "SHOW TAG VALUES CARDINALITY WITH KEY != host",
        "SHOW TAG VALUES CARDINALITY WITH KEY IN (host, region) WHERE host =~ /a|c/",
        "SHOW TAG VALUES CARDINALITY WITH KEY = host WHERE region = 'east'",
        "SHOW TAG VALUES CARDINALITY WITH KEY = host GROUP BY region",
        "SHOW TAG VALUES CARDINALITY WITH KEY = nosuch",
        "SHOW TAG VALUES CARDINALITY WITH KEY = host WHERE time > 0",
        "SHOW FIELD KEY CARDINALITY",
        "SHOW FIELD KEY EXACT CARDINALITY ON {db} FROM cpu",
        "SHOW FIELD KEY CARDINALITY WHERE region = 'west'",
        "SHOW FIELD KEY CARDINALITY GROUP BY host",
        "SHOW FIELD KEY CARDINALITY OFFSET 1",
        // Refused by both: time in WHERE, and a missing WITH KEY.
        "SHOW SERIES CARDINALITY WHERE time > 0",
        "SHOW MEASUREMENT EXACT CARDINALITY WHERE time > 0",
        "SHOW TAG KEY CARDINALITY WHERE time > 0",
        "SHOW FIELD KEY CARDINALITY WHERE time > 0",
        "SHOW TAG VALUES CARDINALITY",
        // Objects Strata does not have, answered as InfluxDB answers for none.
        "SHOW USERS",
        "SHOW SUBSCRIPTIONS",
        "SHOW USERS; SHOW SUBSCRIPTIONS; SHOW SERIES CARDINALITY",
    ])
    .await;
    // SHOW CONTINUOUS QUERIES lists every database, and the oracle holds the other tests':
    // this test's database must be listed the same by both, and Strata lists no other.
    let query = "SHOW CONTINUOUS QUERIES";
    let (status, oracle) = pair.ask(&pair.oracle, None, query).await;
    assert_eq!(status, StatusCode::OK);
    let (status, strata) = pair.ask(&pair.server.base, Some(&pair.token), query).await;
    assert_eq!(status, StatusCode::OK);
    let expected = series_named(&oracle, &pair.database);
    let got = series_named(&strata, &pair.database);
    assert_eq!(expected.len(), 1, "{}", shown(&oracle));
    assert!(
        got.len() == 1 && same(expected[0], got[0]),
        "{query}\n  InfluxDB: {}\n  Strata:   {}",
        shown(&oracle),
        shown(&strata)
    );
    assert_eq!(series_named(&strata, "").len(), 1, "{}", shown(&strata));
}

/// The series of the first result of `answer` named `name`, or all of them for "".
fn series_named<'a>(answer: &'a Msgpack, name: &str) -> Vec<&'a Msgpack> {
    let field = |map: &'a Msgpack, key: &str| {
        map.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    };
    let series = field(answer, "results")
        .and_then(|r| r.as_array()?.first())
        .and_then(|r| field(r, "series"))
        .and_then(Msgpack::as_array);
    series
        .into_iter()
        .flatten()
        .filter(|s| name.is_empty() || field(s, "name").and_then(Msgpack::as_str) == Some(name))
        .collect()
}
