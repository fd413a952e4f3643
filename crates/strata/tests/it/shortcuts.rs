//! Answers from the series index, last values and statistics are exactly the answers a scan of
//! the rows gives (`strata-scan-only: true`), whatever happened to the data: rows buffered or
//! persisted, new series and fields, points written again, a table deleted, a retention period
//! cutting through series, and a restart.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::*;

const MINUTE: i64 = 60_000_000_000;

/// InfluxQL statements (over `/query`) the shortcuts answer when they can. `RECENT` stands for
/// the start of the last half hour of the data's three.
const INFLUXQL: &[&str] = &[
    "SELECT last(usage) FROM cpu GROUP BY host",
    "SELECT last(usage) FROM cpu GROUP BY *",
    "SELECT last(usage) FROM cpu",
    "SELECT first(usage) FROM cpu GROUP BY *",
    "SELECT last(idle), last(usage) FROM cpu GROUP BY host",
    "SELECT last(*) FROM cpu GROUP BY host",
    "SELECT count(usage) FROM cpu",
    "SELECT count(usage) FROM cpu GROUP BY host",
    "SELECT max(usage), min(usage) FROM cpu GROUP BY region",
    "SELECT last(usage) FROM cpu WHERE time > RECENT GROUP BY host",
    "SELECT count(usage) FROM cpu WHERE time > RECENT",
    "SELECT last(usage) FROM cpu WHERE host = 'a' OR region = 'us' GROUP BY host",
    "SHOW TAG VALUES FROM cpu WITH KEY = host",
    "SHOW TAG VALUES WITH KEY = host",
    "SHOW TAG VALUES FROM cpu WITH KEY IN (\"host\", \"region\")",
    "SHOW TAG VALUES FROM cpu WITH KEY =~ /^h/",
    "SHOW TAG VALUES FROM cpu WITH KEY != region",
    "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'eu'",
    "SHOW TAG KEYS FROM cpu WHERE host = 'c'",
    "SHOW SERIES",
    "SHOW MEASUREMENTS WHERE host = 'c'",
    "SHOW SERIES FROM cpu WHERE region = 'eu' LIMIT 2",
];

/// SQL queries (over `/api/v3/query_sql`) the shortcuts answer when they can.
const SQL: &[&str] = &[
    "SELECT host, last_value(usage ORDER BY time) AS v FROM cpu GROUP BY host ORDER BY host",
    "SELECT host, region, last_value(usage ORDER BY time) FILTER (WHERE usage IS NOT NULL) AS v, max(time) AS t FROM cpu GROUP BY host, region ORDER BY host, region",
    "SELECT DISTINCT ON (host, region) host, region, time, usage, idle FROM cpu ORDER BY host, region, time DESC",
    "SELECT DISTINCT host FROM cpu ORDER BY host",
    "SELECT count(*) AS n FROM cpu",
    "SELECT count(usage) AS n, min(usage) AS lo, max(usage) AS hi, min(time) AS first, max(time) AS last FROM cpu",
    "SELECT region, count(*) AS n FROM cpu WHERE host <> 'b' GROUP BY region ORDER BY region",
];

struct Fixture {
    server: Server,
    mgmt: Api,
    token: String,
    /// Three hours ago, on a whole minute: the data's start.
    start: i64,
}

impl Fixture {
    async fn start(builder: ServerBuilder) -> Fixture {
        let server = builder.start();
        let (mgmt, token) = server.database_with_token("db").await;
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        Fixture {
            server,
            mgmt,
            token,
            start: (now - 180 * MINUTE) / MINUTE * MINUTE,
        }
    }

    /// Writes `(line prefix, minutes after the start)` points.
    async fn write(&self, points: &[(&str, i64)]) {
        let body: Vec<String> = points
            .iter()
            .map(|(line, minute)| format!("{line} {}", self.start + minute * MINUTE))
            .collect();
        self.server
            .write_lines(&self.token, "db", &body.join("\n"))
            .await;
    }

    async fn answer(&self, path: &str, q: &str, scan_only: bool) -> String {
        let mut request = reqwest::Client::new()
            .get(format!("{}{path}", self.server.base))
            .bearer_auth(&self.token)
            .query(&[("db", "db"), ("q", q)]);
        if scan_only {
            request = request.header("strata-scan-only", "true");
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        body
    }

    /// Every query answers as the scan does; returns the queries answered from rows.
    async fn assert_answers_are_the_scans(&self, moment: &str) -> Vec<&'static str> {
        let mut from_rows = Vec::new();
        for (path, queries) in [("/query", INFLUXQL), ("/api/v3/query_sql", SQL)] {
            for q in queries {
                let recent = (self.start + 150 * MINUTE).to_string();
                let text = q.replace("RECENT", &recent);
                let scanned = self.answer(path, &text, true).await;
                let before = self.statistics_answers().await;
                let answered = self.answer(path, &text, false).await;
                if self.statistics_answers().await == before {
                    from_rows.push(*q);
                }
                assert_eq!(answered, scanned, "{moment}: {q}");
            }
        }
        from_rows
    }

    /// The server's count of aggregations answered from statistics.
    async fn statistics_answers(&self) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.server.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("strata_query_statistics_answers_total "))
            .map_or(0, |v| v.trim().parse().unwrap())
    }

    async fn wait_for_persists(&self, n: usize) {
        let persisted = eventually(Duration::from_secs(30), async || {
            self.server
                .logs()
                .matches("persisted buffered rows")
                .count()
                >= n
        })
        .await;
        assert!(persisted, "{n} generations were not persisted");
    }
}

/// Hosts a and b in eu, c in us (without usage at first), each over the first hour; and a
/// second measurement.
const FIRST: &[(&str, i64)] = &[
    ("cpu,host=a,region=eu usage=10,idle=90i", 0),
    ("cpu,host=a,region=eu usage=20,idle=80i", 20),
    ("cpu,host=a,region=eu usage=30", 59),
    ("cpu,host=b,region=eu usage=5", 10),
    ("cpu,host=b,region=eu usage=7,idle=93i", 50),
    ("cpu,host=c,region=us idle=50i", 30),
    ("mem,host=a used=100i", 0),
];

#[tokio::test]
async fn statistics_answer_as_the_scan_does_through_the_life_of_the_data() {
    let fx = Fixture::start(Server::builder().arg("--persist-interval").arg("1s")).await;
    fx.write(FIRST).await;
    fx.assert_answers_are_the_scans("buffered").await;

    fx.wait_for_persists(1).await;
    let from_rows = fx.assert_answers_are_the_scans("persisted").await;
    assert_eq!(from_rows, Vec::<&str>::new(), "answered from rows");

    // A new series, a new field, a point written again (a's last one, with a new value and
    // without idle), and points in the last half hour.
    fx.write(&[
        ("cpu,host=d,region=us usage=1,temp=40", 170),
        ("cpu,host=a,region=eu usage=35", 59),
        ("cpu,host=b,region=eu usage=8,temp=41", 175),
        ("cpu,host=c,region=us usage=2", 176),
    ])
    .await;
    fx.assert_answers_are_the_scans("buffered over files").await;
    fx.wait_for_persists(2).await;
    fx.assert_answers_are_the_scans("two generations").await;

    // The second measurement goes; the first stays.
    let (status, body) = fx.mgmt.delete("/api/v0/databases/db/tables/mem").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    fx.assert_answers_are_the_scans("a table deleted").await;

    // A retention period of two hours cuts a's and b's first points and all of c's but one.
    let (status, body) = fx
        .mgmt
        .patch(
            "/api/v0/databases/db",
            json!({"retentionPeriod": 7_200_000_000_000i64}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fx.assert_answers_are_the_scans("cut by retention").await;

    // After a restart, what the WAL held is persisted again and the statistics are read back.
    let data_dir = fx.server.data_dir.clone();
    let Fixture {
        mut server,
        token,
        mgmt: _,
        start,
    } = fx;
    assert!(server.terminate("TERM"));
    let server = Server::builder().data_dir(&data_dir).start();
    let fx = Fixture {
        mgmt: server.api(&server.bootstrap_token()),
        server,
        token,
        start,
    };
    let from_rows = fx.assert_answers_are_the_scans("restarted").await;
    assert!(
        from_rows.len() < INFLUXQL.len() + SQL.len(),
        "no answer came from statistics after the restart"
    );
}

#[tokio::test]
async fn files_that_overlap_in_time_but_share_no_point_are_read_as_one_clean_source() {
    let fx = Fixture::start(Server::builder().arg("--persist-interval").arg("1s")).await;
    // Two generations over minutes 0..=10 and 5..=20, with no point in both (as concurrent
    // writers' batches land in either).
    fx.write(&[
        ("m,host=a v=1", 0),
        ("m,host=b v=2", 5),
        ("m,host=a v=3", 10),
    ])
    .await;
    fx.wait_for_persists(1).await;
    fx.write(&[
        ("m,host=a v=4", 5),
        ("m,host=b v=5", 7),
        ("m,host=b v=6", 20),
    ])
    .await;
    fx.wait_for_persists(2).await;

    for q in [
        "SELECT count(v) AS n FROM m",
        "SELECT host, count(*) AS n, max(v) AS hi FROM m GROUP BY host ORDER BY host",
    ] {
        let scanned = fx.answer("/api/v3/query_sql", q, true).await;
        let before = fx.statistics_answers().await;
        let answered = fx.answer("/api/v3/query_sql", q, false).await;
        assert_eq!(answered, scanned, "{q}");
        assert_eq!(
            fx.statistics_answers().await,
            before + 1,
            "{q} is answered from statistics"
        );
    }
    let plan = fx
        .answer("/api/v3/query_sql", "EXPLAIN SELECT sum(v) FROM m", false)
        .await;
    assert!(!plan.contains("DedupeExec"), "nothing is merged: {plan}");
    assert!(
        fx.answer("/api/v3/query_sql", "SELECT sum(v) AS s FROM m", false)
            .await
            .contains("\"s\":21.0"),
    );
}

#[tokio::test]
async fn statistics_too_large_for_their_memory_leave_queries_to_the_rows() {
    let fx = Fixture::start(
        Server::builder()
            .arg("--persist-interval")
            .arg("1s")
            .arg("--stats-cache-bytes")
            .arg("1"),
    )
    .await;
    fx.write(FIRST).await;
    fx.wait_for_persists(1).await;
    let from_rows = fx
        .assert_answers_are_the_scans("no memory for statistics")
        .await;
    assert_eq!(
        from_rows.len(),
        INFLUXQL.len() + SQL.len(),
        "every answer came from rows"
    );
}
