//! Compaction on a running server: a partition's small, overlapping files become sorted files
//! that share no point and hold exactly the same points (a point written twice folded into
//! one), queries answer the same before, during and after, replaced files are deleted after
//! the grace, and a server killed at any moment loses and doubles nothing.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;

const MINUTE: i64 = 60_000_000_000;
/// 2023-11-14T00:00:00Z: every point below is in this day's partition.
const DAY: i64 = 1_699_920_000_000_000_000;

/// A node that compacts as soon as a partition has `max_new_files` new files, checks every
/// second, and deletes replaced files a second after the swap.
fn compacting(max_new_files: u32) -> ServerBuilder {
    let mut builder = Server::builder();
    for arg in [
        "--persist-interval",
        "1s",
        "--compaction-interval",
        "1s",
        "--file-deletion-grace",
        "1s",
        "--gc-interval",
        "1s",
        "--compaction-max-new-files",
    ] {
        builder = builder.arg(arg);
    }
    builder.arg(max_new_files.to_string())
}

struct Fixture {
    server: Server,
    token: String,
}

impl Fixture {
    async fn start(builder: ServerBuilder) -> Fixture {
        let server = builder.start();
        let (_, token) = server.database_with_token("db").await;
        Fixture { server, token }
    }

    async fn write(&self, body: &str) {
        self.server.write_lines(&self.token, "db", body).await;
    }

    /// The JSON rows of a SQL query; `debug` asks for the system tables.
    async fn rows(&self, sql: &str, debug: bool) -> Vec<Value> {
        let mut request = reqwest::Client::new()
            .get(format!("{}/api/v3/query_sql", self.server.base))
            .bearer_auth(&self.token)
            .query(&[("db", "db"), ("q", sql)]);
        if debug {
            request = request.header("iox-debug", "true");
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{sql}: {body}");
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// Every point, in key order.
    async fn points(&self) -> Vec<Value> {
        self.rows(
            "SELECT host, usage, idle, CAST(time AS BIGINT) AS t FROM cpu ORDER BY host, t",
            false,
        )
        .await
    }

    /// The cpu partition's files, as system.partitions counts them.
    async fn files(&self) -> i64 {
        let rows = self
            .rows(
                "SELECT num_files FROM system.partitions WHERE table_name = 'cpu'",
                true,
            )
            .await;
        rows.first().map_or(0, |r| r["num_files"].as_i64().unwrap())
    }

    async fn persisted(&self, generations: usize) {
        let persisted = eventually(Duration::from_secs(30), async || {
            self.server
                .logs()
                .matches("persisted buffered rows")
                .count()
                >= generations
        })
        .await;
        assert!(persisted, "{generations} generations were not persisted");
    }
}

/// Generation `g` of host `h`: minutes `10g .. 10g + 15` (overlapping the next generation),
/// and a point at minute 0 written again by every generation.
fn generation(g: i64) -> String {
    let mut lines = Vec::new();
    for host in ["a", "b", "c"] {
        for minute in (10 * g..10 * g + 15).step_by(5) {
            lines.push(format!(
                "cpu,host={host} usage={} {}",
                g * 100 + minute,
                DAY + minute * MINUTE
            ));
        }
        lines.push(format!("cpu,host={host} idle={g}i {DAY}"));
    }
    lines.join("\n")
}

fn object_files(server: &Server, suffix: &str) -> usize {
    fn walk(dir: &std::path::Path, suffix: &str) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let path = e.path();
                        if path.is_dir() {
                            walk(&path, suffix)
                        } else {
                            usize::from(path.to_string_lossy().ends_with(suffix))
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&server.data_dir.join("objects"), suffix)
}

#[tokio::test]
async fn a_partitions_files_become_one_sorted_file_holding_the_same_points() {
    let fx = Fixture::start(compacting(100)).await;
    for g in 0..3 {
        fx.write(&generation(g)).await;
        fx.persisted(g as usize + 1).await;
    }
    assert_eq!(fx.files().await, 3, "three generations, three files");
    let before = fx.points().await;
    // Minute 0 is written by all three generations: one point, the last write's idle.
    let first_a: Vec<&Value> = before
        .iter()
        .filter(|p| p["host"] == "a" && p["t"] == DAY)
        .collect();
    assert_eq!(first_a.len(), 1, "{before:?}");
    assert_eq!(first_a[0]["idle"], 2);
    assert_eq!(first_a[0]["usage"], 0.0);

    // Restarted with a low threshold, the node compacts the partition.
    let data_dir = fx.server.data_dir.clone();
    let Fixture { mut server, token } = fx;
    assert!(server.terminate("TERM"));
    let fx = Fixture {
        server: compacting(3).data_dir(&data_dir).start(),
        token,
    };
    let compacted = eventually(Duration::from_secs(30), async || fx.files().await == 1).await;
    assert!(
        compacted,
        "the partition still has {} files",
        fx.files().await
    );
    assert_eq!(fx.points().await, before, "the same points, each once");
    let jobs = fx
        .rows(
            "SELECT table_name, partition_key, input_files, output_files, rows, success FROM system.compactor",
            true,
        )
        .await;
    assert_eq!(
        jobs,
        vec![serde_json::json!({
            "table_name": "cpu", "partition_key": "2023-11-14", "input_files": 3,
            "output_files": 1, "rows": before.len(), "success": true
        })]
    );
    let partitions = fx
        .rows(
            "SELECT partition_key, row_count, last_compacted_at IS NOT NULL AS compacted FROM system.partitions",
            true,
        )
        .await;
    assert_eq!(
        partitions,
        vec![
            serde_json::json!({"partition_key": "2023-11-14", "row_count": before.len(), "compacted": true})
        ]
    );
    // The replaced files' objects go after the grace; the new file and its statistics stay.
    let cleaned = eventually(Duration::from_secs(30), async || {
        object_files(&fx.server, ".parquet") == 1 && object_files(&fx.server, ".stats.arrow") == 1
    })
    .await;
    assert!(
        cleaned,
        "{} Parquet objects are left",
        object_files(&fx.server, ".parquet")
    );
    let tables = fx
        .rows(
            "SELECT table_name, partition_template FROM system.tables",
            true,
        )
        .await;
    assert_eq!(
        tables,
        vec![serde_json::json!({"table_name": "cpu"})],
        "cpu has no template of its own"
    );
}

#[tokio::test]
async fn queries_answer_the_same_while_files_are_compacted() {
    let fx = Fixture::start(compacting(3)).await;
    let mut expected = None;
    for g in 0..6 {
        fx.write(&generation(g)).await;
        fx.persisted(g as usize + 1).await;
        // Every answer, whatever compaction is doing, is the whole set of points so far.
        let points = fx.points().await;
        let count = fx
            .rows("SELECT count(*) AS n, sum(usage) AS s FROM cpu", false)
            .await;
        assert_eq!(count[0]["n"], points.len(), "generation {g}");
        expected = Some(points);
    }
    let expected = expected.unwrap();
    let settled = eventually(Duration::from_secs(30), async || fx.files().await <= 2).await;
    assert!(settled, "{} files are left", fx.files().await);
    for _ in 0..5 {
        assert_eq!(fx.points().await, expected);
    }
}

#[tokio::test]
async fn a_node_killed_at_any_moment_loses_and_doubles_nothing() {
    // The directory outlives every server started on it.
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    // A partition left with fewer new files than start a compaction is compacted once cold.
    let node = || {
        compacting(3)
            .arg("--compaction-cold-after")
            .arg("2s")
            .data_dir(&data_dir)
    };
    let Fixture { mut server, token } = Fixture::start(node()).await;
    // Each round writes a generation, then the node is killed a little later each time:
    // before, during or after persistence and compaction.
    for round in 0..8u64 {
        server
            .write_lines(&token, "db", &generation(round as i64))
            .await;
        std::thread::sleep(Duration::from_millis(150 * round + 600));
        assert!(!server.terminate("KILL"));
        server = node().start();
    }
    let fx = Fixture { server, token };
    let settled = eventually(Duration::from_secs(60), async || fx.files().await <= 2).await;
    assert!(settled, "{} files are left", fx.files().await);

    // What a node that never died holds for the same writes.
    let reference = Fixture::start(Server::builder()).await;
    for round in 0..8 {
        reference.write(&generation(round)).await;
    }
    assert_eq!(fx.points().await, reference.points().await);
    // Replaced files and the leftovers of uploads cut short are collected.
    let clean = eventually(Duration::from_secs(30), async || {
        object_files(&fx.server, ".parquet") as i64 == fx.files().await
    })
    .await;
    assert!(
        clean,
        "{} Parquet objects for {} files",
        object_files(&fx.server, ".parquet"),
        fx.files().await
    );
}

/// `rows` points of 100 hosts, one every second from `first`, with two fields of values that do
/// not compress (as from an xorshift generator seeded with `seed`).
fn incompressible(first: i64, rows: i64, seed: u64) -> Vec<String> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..rows)
        .map(|i| {
            let time = DAY + (first + i / 100) * 1_000_000_000;
            format!("cpu,host=h{} a={},b={} {time}", i % 100, next(), next())
        })
        .collect()
}

#[tokio::test]
async fn files_compacted_on_s3_stream_up_in_parts() {
    let Some(location) = test_s3_location() else {
        return;
    };
    let fx = Fixture::start(compacting(100).on_test_s3(&location)).await;
    // Three generations of 300,000 rows each, every one overlapping the next by a tenth.
    for g in 0..3 {
        for body in incompressible(g * 2_700, 300_000, g as u64 + 7).chunks(50_000) {
            fx.write(&body.join("\n")).await;
        }
        fx.persisted(g as usize + 1).await;
    }
    // A generation written over more than a second may be persisted in two parts.
    let files = fx.files().await;
    assert!(files >= 3, "{files} files");
    let summary = "SELECT host, count(*) AS n, min(a) AS a0, max(a) AS a1, min(b) AS b0, \
                   max(b) AS b1, min(time) AS t0, max(time) AS t1 FROM cpu GROUP BY host ORDER BY host";
    let one_host = "SELECT a, b, time FROM cpu WHERE host = 'h42' ORDER BY time";
    let before = (
        fx.rows(summary, false).await,
        fx.rows(one_host, false).await,
    );
    // Each host has 8,400 seconds: the 300 each generation shares with the next are its.
    assert_eq!(before.1.len(), 8_400);

    let data_dir = fx.server.data_dir.clone();
    let Fixture { mut server, token } = fx;
    assert!(server.terminate("TERM"));
    // Cold after two seconds: a file persisted after the first compaction (the rest of a
    // generation persisted in parts) is folded in too.
    let fx = Fixture {
        server: compacting(3)
            .arg("--compaction-cold-after")
            .arg("2s")
            .on_test_s3(&location)
            .data_dir(&data_dir)
            .start(),
        token,
    };
    let compacted = eventually(Duration::from_secs(120), async || fx.files().await == 1).await;
    assert!(compacted, "{} files are left", fx.files().await);
    // One file of more than a part (8 MiB), so it went up as a multipart upload.
    let partition = fx
        .rows(
            "SELECT total_size_mb, row_count FROM system.partitions",
            true,
        )
        .await;
    assert!(
        partition[0]["total_size_mb"].as_f64().unwrap() > 8.5,
        "{partition:?}"
    );
    assert_eq!(
        partition[0]["row_count"], 840_000,
        "points written twice are one"
    );
    assert_eq!(
        (
            fx.rows(summary, false).await,
            fx.rows(one_host, false).await
        ),
        before,
        "the same points"
    );
    assert!(
        !fx.server.data_dir.join("objects").exists(),
        "nothing went to the local directory"
    );
}
