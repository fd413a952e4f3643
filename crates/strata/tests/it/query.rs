//! SQL over HTTP (`/api/v3/query_sql`): written rows are readable at once, before and after
//! persistence; formats, retention, errors and credentials.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;

struct Fixture {
    server: Server,
    mgmt: Api,
    /// May read and write `db`.
    token: String,
}

impl Fixture {
    async fn start(builder: ServerBuilder) -> Fixture {
        let server = builder.start();
        let (mgmt, token) = server.database_with_token("db").await;
        Fixture {
            server,
            mgmt,
            token,
        }
    }

    async fn write(&self, body: &str) {
        self.server.write_lines(&self.token, "db", body).await;
    }

    /// GET /api/v3/query_sql; returns status, content type and body text.
    async fn query_as(
        &self,
        token: Option<&str>,
        params: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut request = reqwest::Client::new()
            .get(format!("{}/api/v3/query_sql", self.server.base))
            .query(params);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    async fn rows(&self, sql: &str) -> Vec<Value> {
        let (status, _, body) = self
            .query_as(Some(&self.token), &[("db", "db"), ("q", sql)])
            .await;
        assert_eq!(status, StatusCode::OK, "{sql}: {body}");
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// The physical plan `EXPLAIN` gives for `sql`.
    async fn physical_plan(&self, sql: &str) -> String {
        let rows = self.rows(&format!("EXPLAIN {sql}")).await;
        let plan = rows.iter().find(|row| row["plan_type"] == "physical_plan");
        plan.expect("a physical plan")["plan"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

const T: i64 = 1_700_000_000_000_000_000;

#[tokio::test]
async fn written_rows_are_queryable_at_once_and_after_persistence() {
    let fx = Fixture::start(Server::builder().arg("--persist-interval").arg("1s")).await;
    fx.write(&format!(
        "cpu,host=a usage=1.5,count=3i {T}\ncpu,host=b usage=2.5 {}\n",
        T + 1
    ))
    .await;
    let rows = fx
        .rows("SELECT host, usage, count, time FROM cpu ORDER BY time")
        .await;
    assert_eq!(
        rows,
        vec![
            json!({"host": "a", "usage": 1.5, "count": 3, "time": "2023-11-14T22:13:20Z"}),
            json!({"host": "b", "usage": 2.5, "time": "2023-11-14T22:13:20.000000001Z"}),
        ]
    );

    // Once persisted, the same rows come from Parquet, and new writes from the buffer.
    let objects = fx.server.data_dir.join("objects");
    let persisted = eventually(Duration::from_secs(30), async || {
        walk(&objects).iter().any(|p| p.ends_with(".parquet"))
    })
    .await;
    assert!(persisted, "no Parquet file appeared");
    fx.write(&format!("cpu,host=c usage=3.5 {}\n", T + 2)).await;
    let rows = fx
        .rows("SELECT count(*) AS n, sum(usage) AS total FROM cpu")
        .await;
    assert_eq!(rows, vec![json!({"n": 3, "total": 7.5})]);
    let rows = fx
        .rows(&format!(
            "SELECT host FROM cpu WHERE time > to_timestamp_nanos({T}) ORDER BY host"
        ))
        .await;
    assert_eq!(rows, vec![json!({"host": "b"}), json!({"host": "c"})]);

    // `SELECT *` lists columns by name, and information_schema knows the table.
    let rows = fx.rows("SELECT * FROM cpu WHERE host = 'a'").await;
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["count", "host", "time", "usage"]);
    let rows = fx
        .rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'cpu' ORDER BY column_name")
        .await;
    assert_eq!(
        rows[1],
        json!({"column_name": "host", "data_type": "Dictionary(Int32, Utf8)"})
    );
    assert_eq!(
        rows[2],
        json!({"column_name": "time", "data_type": "Timestamp(ns, \"UTC\")"})
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn every_output_format() {
    let fx = Fixture::start(Server::builder()).await;
    fx.write(&format!("m,tag=x v=1 {T}\nm,tag=y v=2 {}\n", T + 1))
        .await;
    let q = "SELECT tag, v FROM m ORDER BY v";
    let query = async |format: &str| {
        fx.query_as(
            Some(&fx.token),
            &[("db", "db"), ("q", q), ("format", format)],
        )
        .await
    };
    let (status, content_type, body) = query("jsonl").await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/jsonl")
    );
    assert_eq!(
        body,
        "{\"tag\":\"x\",\"v\":1.0}\n{\"tag\":\"y\",\"v\":2.0}\n"
    );
    let (_, content_type, body) = query("csv").await;
    assert_eq!(content_type, "text/csv");
    assert_eq!(body, "tag,v\nx,1.0\ny,2.0\n");
    let (_, _, body) = query("pretty").await;
    assert!(
        body.contains("| tag | v   |") && body.contains("| y   | 2.0 |"),
        "{body}"
    );
    let response = reqwest::Client::new()
        .get(format!("{}/api/v3/query_sql", fx.server.base))
        .query(&[("db", "db"), ("q", q), ("format", "parquet")])
        .bearer_auth(&fx.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().starts_with(b"PAR1"));
    let (status, _, body) = query("xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("format \\\"xml\\\" is not supported"),
        "{body}"
    );

    // POST with a JSON body; an empty result is an empty array.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v3/query_sql", fx.server.base))
        .bearer_auth(&fx.token)
        .json(&json!({"db": "db", "q": "SELECT * FROM m WHERE v > 5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "[]");
}

#[tokio::test]
async fn query_errors_and_credentials() {
    let fx = Fixture::start(Server::builder()).await;
    fx.write(&format!("m v=1 {T}\n")).await;
    let token = Some(fx.token.as_str());
    let error = |body: &str| {
        serde_json::from_str::<Value>(body).unwrap()["error"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let (status, _, body) = fx
        .query_as(token, &[("db", "db"), ("q", "SELECT * FROM nope")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(&body).contains("nope"), "{body}");
    let (status, _, body) = fx.query_as(token, &[("db", "db"), ("q", "SELEKT 1")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(&body).contains("SELEKT"), "{body}");
    // Queries only read: no DDL, DML, COPY or SET reaching the server's files or settings.
    for sql in [
        "CREATE EXTERNAL TABLE passwd (line TEXT) STORED AS CSV LOCATION '/etc/passwd'",
        "COPY (SELECT 1) TO '/tmp/strata-copy.csv'",
        "INSERT INTO m VALUES (now(), 1.0)",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let (status, _, body) = fx.query_as(token, &[("db", "db"), ("q", sql)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{sql}: {body}");
        assert!(
            error(&body).contains("not supported") || error(&body).contains("not allowed"),
            "{sql}: {body}"
        );
    }
    assert!(!std::path::Path::new("/tmp/strata-copy.csv").exists());
    let (status, _, body) = fx.query_as(token, &[("db", "db")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(&body).contains("missing q"), "{body}");
    let (_, star) = fx
        .mgmt
        .create_token(json!([{"action": "read", "resource": "*"}]))
        .await;
    let (status, _, body) = fx
        .query_as(Some(&star), &[("db", "other"), ("q", "SELECT 1")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "database \"other\" not found");

    let q = [("db", "db"), ("q", "SELECT * FROM m")];
    assert_eq!(fx.query_as(None, &q).await.0, StatusCode::UNAUTHORIZED);
    let (_, write_only) = fx
        .mgmt
        .create_token(json!([{"action": "write", "resource": "db"}]))
        .await;
    let (status, _, body) = fx.query_as(Some(&write_only), &q).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        error(&body).contains("may not read database \"db\""),
        "{body}"
    );
    let management = fx.server.bootstrap_token();
    assert_eq!(
        fx.query_as(Some(&management), &q).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(fx.query_as(Some(&star), &q).await.0, StatusCode::OK);
}

#[tokio::test]
async fn rows_older_than_the_retention_period_are_never_returned() {
    let fx = Fixture::start(Server::builder()).await;
    fx.write(&format!("m v=1 {T}\n")).await;
    assert_eq!(fx.rows("SELECT v FROM m").await.len(), 1);
    let (status, body) = fx
        .mgmt
        .patch(
            "/api/v0/databases/db",
            json!({"retentionPeriod": 3_600_000_000_000i64}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The 2023 point is now far outside one hour; a fresh one is inside.
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    fx.write(&format!("m v=2 {now}\n")).await;
    let rows = eventually(Duration::from_secs(5), async || {
        fx.rows("SELECT v FROM m").await == vec![json!({"v": 2.0})]
    })
    .await;
    assert!(
        rows,
        "the old point is hidden: {:?}",
        fx.rows("SELECT v FROM m").await
    );
}

#[tokio::test]
async fn a_query_over_its_memory_limit_fails_clearly_and_the_server_carries_on() {
    let fx = Fixture::start(
        Server::builder()
            .arg("--query-memory-limit")
            .arg("100000")
            .arg("--persist-interval")
            .arg("1s"),
    )
    .await;
    let body: String = (0..20_000)
        .map(|i| format!("m,k=k{i} v={i} {}\n", T + i))
        .collect();
    fx.write(&body).await;
    // Persisted, the rows are counted without the sort that merging buffered rows needs.
    wait_for_persists(&fx.server, 1).await;
    let (status, _, body) = fx
        .query_as(
            Some(&fx.token),
            &[
                ("db", "db"),
                ("q", "SELECT k, count(*) FROM m GROUP BY k ORDER BY k"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("more memory than the 100000 bytes"), "{body}");
    assert_eq!(
        fx.rows("SELECT count(*) AS n FROM m").await,
        vec![json!({"n": 20000})]
    );
}

#[tokio::test]
async fn a_query_over_its_time_limit_is_cancelled() {
    let fx = Fixture::start(Server::builder().arg("--query-timeout").arg("1s")).await;
    let (status, _, body) = fx
        .query_as(
            Some(&fx.token),
            &[
                ("db", "db"),
                (
                    "q",
                    "SELECT count(*) FROM generate_series(1, 1000000000000)",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("ran longer than the 1s allowed"), "{body}");
    assert_eq!(
        fx.query_as(Some(&fx.token), &[("db", "db"), ("q", "SELECT 1 AS one")])
            .await
            .0,
        StatusCode::OK
    );
}

/// Waits until the server has persisted `n` buffer generations (registered their files).
async fn wait_for_persists(server: &Server, n: usize) {
    let persisted = eventually(Duration::from_secs(30), async || {
        server.logs().matches("persisted buffered rows").count() >= n
    })
    .await;
    assert!(persisted, "{n} generations were not persisted");
}

#[tokio::test]
async fn only_the_times_where_files_overlap_are_merged() {
    let fx = Fixture::start(Server::builder().arg("--persist-interval").arg("1s")).await;
    let line =
        |host: &str, usage: i64, t: i64| format!("cpu,host={host} usage={usage} {}\n", T + t);
    // Two files over 0..=10 and 5..=20: they overlap in 5..=10, where b's point at 7 is
    // written twice; everything else is in one file only.
    fx.write(&[line("a", 1, 0), line("b", 2, 7), line("a", 3, 10)].concat())
        .await;
    wait_for_persists(&fx.server, 1).await;
    fx.write(&[line("c", 4, 5), line("b", 5, 7), line("a", 6, 20)].concat())
        .await;
    wait_for_persists(&fx.server, 2).await;

    let sql = "SELECT host, usage, CAST(time AS BIGINT) - 1700000000000000000 AS t FROM cpu ORDER BY t, host";
    let expected = vec![
        json!({"host": "a", "usage": 1.0, "t": 0}),
        json!({"host": "c", "usage": 4.0, "t": 5}),
        json!({"host": "b", "usage": 5.0, "t": 7}),
        json!({"host": "a", "usage": 3.0, "t": 10}),
        json!({"host": "a", "usage": 6.0, "t": 20}),
    ];
    assert_eq!(fx.rows(sql).await, expected);
    let plan = fx.physical_plan(sql).await;
    assert!(plan.contains("DedupeExec"), "the overlap is merged: {plan}");
    assert!(
        plan.contains("NOT time@") || plan.contains("NOT (time@"),
        "the rest is read as it is: {plan}"
    );
    assert_eq!(
        fx.rows("SELECT sum(usage) AS s FROM cpu").await,
        vec![json!({"s": 19.0})]
    );
}

#[tokio::test]
async fn a_point_written_again_in_a_later_file_is_one_row_with_its_latest_fields() {
    let fx = Fixture::start(Server::builder().arg("--persist-interval").arg("1s")).await;
    fx.write(&format!(
        "cpu,host=a usage=1,idle=5 {T}\ncpu,host=b usage=7 {T}\n"
    ))
    .await;
    wait_for_persists(&fx.server, 1).await;
    // The same point again: usage changed, temp added, idle not named.
    fx.write(&format!("cpu,host=a usage=2,temp=40 {T}\n")).await;
    wait_for_persists(&fx.server, 2).await;

    let rows = fx
        .rows("SELECT host, usage, idle, temp, time FROM cpu ORDER BY host")
        .await;
    assert_eq!(
        rows,
        vec![
            json!({"host": "a", "usage": 2.0, "idle": 5.0, "temp": 40.0, "time": "2023-11-14T22:13:20Z"}),
            json!({"host": "b", "usage": 7.0, "time": "2023-11-14T22:13:20Z"}),
        ]
    );
    assert_eq!(
        fx.rows("SELECT count(*) AS n FROM cpu").await,
        vec![json!({"n": 2})]
    );
    // Filters on fields see the merged point, never a value written over.
    assert!(
        fx.rows("SELECT host FROM cpu WHERE usage < 1.5")
            .await
            .is_empty()
    );
    assert_eq!(
        fx.rows("SELECT usage FROM cpu WHERE idle = 5").await,
        vec![json!({"usage": 2.0})]
    );
    let plan = fx.physical_plan("SELECT usage FROM cpu").await;
    assert!(plan.contains("DedupeExec"), "{plan}");
}

#[tokio::test]
async fn a_point_written_again_while_its_first_write_is_in_parquet_is_one_row() {
    let data = tempfile::tempdir().unwrap();
    let mut fx = Fixture::start(
        Server::builder()
            .data_dir(data.path())
            .arg("--persist-interval")
            .arg("1s"),
    )
    .await;
    fx.write(&format!("cpu,host=a usage=1,idle=5 {T}\n")).await;
    wait_for_persists(&fx.server, 1).await;
    // Restarted so that later writes stay in the buffer.
    assert!(fx.server.terminate("TERM"));
    fx.server = Server::builder()
        .data_dir(data.path())
        .arg("--persist-interval")
        .arg("1h")
        .start();

    fx.write(&format!("cpu,host=a usage=2,temp=40 {T}\n")).await;
    assert_eq!(
        fx.rows("SELECT host, usage, idle, temp FROM cpu").await,
        vec![json!({"host": "a", "usage": 2.0, "idle": 5.0, "temp": 40.0})]
    );
    // Twice in the buffer: the later write wins.
    fx.write(&format!("cpu,host=a usage=3 {T}\n")).await;
    assert_eq!(
        fx.rows("SELECT host, usage, idle, temp FROM cpu").await,
        vec![json!({"host": "a", "usage": 3.0, "idle": 5.0, "temp": 40.0})]
    );
    // Filters on fields see the merged point, never a value written over.
    assert_eq!(
        fx.rows("SELECT usage FROM cpu WHERE idle = 5").await,
        vec![json!({"usage": 3.0})]
    );
    assert!(
        fx.rows("SELECT host FROM cpu WHERE usage < 2.5")
            .await
            .is_empty()
    );
    assert!(
        !fx.server.logs().contains("persisted buffered rows"),
        "the later writes were still buffered"
    );
}

#[tokio::test]
async fn buffered_writes_that_share_no_point_are_read_without_merging() {
    let fx = Fixture::start(Server::builder().arg("--persist-interval").arg("1h")).await;
    let later = T + 10;
    fx.write(&format!("cpu,host=a usage=1 {T}\ncpu,host=b usage=2 {T}\n"))
        .await;
    fx.write(&format!(
        "cpu,host=a usage=3 {later}\ncpu,host=b usage=4 {later}\n"
    ))
    .await;
    let sql = "SELECT host, usage FROM cpu ORDER BY time, host";
    let usage = |rows: Vec<serde_json::Value>| -> Vec<(String, f64)> {
        rows.iter()
            .map(|r| {
                (
                    r["host"].as_str().unwrap().to_owned(),
                    r["usage"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let expected = |pairs: &[(&str, f64)]| -> Vec<(String, f64)> {
        pairs.iter().map(|(h, u)| (h.to_string(), *u)).collect()
    };
    assert_eq!(
        usage(fx.rows(sql).await),
        expected(&[("a", 1.0), ("b", 2.0), ("a", 3.0), ("b", 4.0)])
    );
    let plan = fx.physical_plan(sql).await;
    assert!(!plan.contains("DedupeExec"), "nothing to merge: {plan}");

    // A write naming one point twice is merged: its later line wins.
    let last = T + 20;
    fx.write(&format!(
        "cpu,host=c usage=5 {last}\ncpu,host=c usage=6 {last}\n"
    ))
    .await;
    assert_eq!(
        usage(
            fx.rows("SELECT host, usage FROM cpu WHERE host = 'c'")
                .await
        ),
        expected(&[("c", 6.0)])
    );
    let plan = fx.physical_plan(sql).await;
    assert!(plan.contains("DedupeExec"), "{plan}");
    // And a later write of a point already buffered replaces it.
    fx.write(&format!("cpu,host=a usage=7 {T}\n")).await;
    assert_eq!(
        usage(fx.rows(sql).await),
        expected(&[("a", 7.0), ("b", 2.0), ("a", 3.0), ("b", 4.0), ("c", 6.0)])
    );
}

#[tokio::test]
async fn filters_on_time_and_tags_return_the_same_rows_from_the_buffer_and_from_parquet() {
    const HOUR: i64 = 3_600_000_000_000;
    let data = tempfile::tempdir().unwrap();
    let mut fx = Fixture::start(
        Server::builder()
            .data_dir(data.path())
            .arg("--persist-interval")
            .arg("1h"),
    )
    .await;
    // Three days of points, six hours apart: three daily files once persisted.
    let mut body = String::new();
    for i in 0..10i64 {
        for (host, region) in [("a", "eu"), ("b", "us"), ("c", "us")] {
            body.push_str(&format!(
                "cpu,host={host},region={region} usage={i} {}\n",
                T + i * 6 * HOUR
            ));
        }
    }
    body.push_str(&format!("cpu,region=eu usage=100 {}\n", T + 6 * HOUR));
    fx.write(&body).await;

    let at = |i: i64| format!("to_timestamp_nanos({})", T + i * 6 * HOUR);
    let checks: Vec<(String, Vec<Value>)> = vec![
        (
            format!(
                "SELECT usage FROM cpu WHERE host = 'b' AND time >= {} AND time < {} ORDER BY time",
                at(3),
                at(6)
            ),
            vec![
                json!({"usage": 3.0}),
                json!({"usage": 4.0}),
                json!({"usage": 5.0}),
            ],
        ),
        (
            "SELECT count(*) AS n FROM cpu WHERE host IN ('a', 'c') AND usage >= 5".into(),
            vec![json!({"n": 10})],
        ),
        (
            "SELECT usage FROM cpu WHERE host IS NULL".into(),
            vec![json!({"usage": 100.0})],
        ),
        (
            format!("SELECT host FROM cpu WHERE time = {} ORDER BY host", at(9)),
            vec![
                json!({"host": "a"}),
                json!({"host": "b"}),
                json!({"host": "c"}),
            ],
        ),
        (
            format!(
                "SELECT count(*) AS n FROM cpu WHERE region = 'us' AND host <> 'c' AND time > {}",
                at(7)
            ),
            vec![json!({"n": 2})],
        ),
        (
            "SELECT count(*) AS n FROM cpu WHERE host = 'zzz'".into(),
            vec![json!({"n": 0})],
        ),
    ];
    for (sql, expected) in &checks {
        assert_eq!(&fx.rows(sql).await, expected, "from the buffer: {sql}");
    }

    // Restarted with a short interval, the node replays its WAL and persists it.
    assert!(fx.server.terminate("TERM"));
    fx.server = Server::builder()
        .data_dir(data.path())
        .arg("--persist-interval")
        .arg("1s")
        .start();
    wait_for_persists(&fx.server, 1).await;
    for (sql, expected) in &checks {
        assert_eq!(&fx.rows(sql).await, expected, "from Parquet: {sql}");
    }
    let plan = fx.physical_plan(&checks[0].0).await;
    assert!(
        !plan.contains("DedupeExec") && plan.contains("predicate="),
        "files that overlap nothing are read as they are, with the filters pushed down: {plan}"
    );
}

#[tokio::test]
async fn system_queries_lists_recent_queries_with_the_debug_header_only() {
    let server = Server::start();
    let mgmt = server.api(&server.bootstrap_token());
    mgmt.create_database("db").await;
    mgmt.create_database("other").await;
    let (token_id, token) = mgmt
        .create_token(json!([
            {"action": "read", "resource": "db"},
            {"action": "write", "resource": "db"},
            {"action": "read", "resource": "other"}
        ]))
        .await;
    let query = async |db: &str, q: &str, debug: bool| {
        let mut request = reqwest::Client::new()
            .get(format!("{}/api/v3/query_sql", server.base))
            .bearer_auth(&token)
            .query(&[("db", db), ("q", q)]);
        if debug {
            request = request.header("iox-debug", "true");
        }
        json_response(request.send().await.unwrap()).await
    };
    let (status, _) = query("db", "SELECT 1 AS marker_one", false).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = query("db", "SELECT nope FROM nowhere", false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = query("other", "SELECT 2 AS elsewhere", false).await;
    assert_eq!(status, StatusCode::OK);
    let influxql = reqwest::Client::new()
        .get(format!("{}/query", server.base))
        .bearer_auth(&token)
        .query(&[("db", "db"), ("q", "SHOW MEASUREMENTS")])
        .send()
        .await
        .unwrap();
    assert_eq!(influxql.status(), StatusCode::OK);

    let (status, body) = query(
        "db",
        "SELECT query_type, query_text, database, token_id, rows, success, error FROM system.queries ORDER BY issue_time",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!([
            {"query_type": "sql", "query_text": "SELECT 1 AS marker_one", "database": "db",
             "token_id": token_id, "rows": 1, "success": true},
            {"query_type": "sql", "query_text": "SELECT nope FROM nowhere", "database": "db",
             "token_id": token_id, "rows": 0, "success": false,
             "error": "query failed: Error during planning: table 'public.iox.nowhere' not found"},
            {"query_type": "influxql", "query_text": "SHOW MEASUREMENTS", "database": "db",
             "token_id": token_id, "rows": 0, "success": true}
        ]),
        "only this database's queries, with the token's id"
    );
    assert!(
        !body.to_string().contains(&token),
        "the secret is never listed"
    );
    let (status, body) = query("db", "SELECT count(*) FROM system.queries", false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("iox-debug"),
        "{body}"
    );
}

#[tokio::test]
async fn a_tag_equality_reads_only_the_files_whose_partition_may_hold_the_value() {
    let server = Server::builder()
        .arg("--persist-interval")
        .arg("1s")
        .start();
    let mgmt = server.api(&server.bootstrap_token());
    let template = json!([{"type": "time", "value": "%Y-%m-%d"}, {"type": "tag", "value": "host"}]);
    let (status, body) = mgmt
        .post(
            "/api/v0/databases",
            json!({"name": "db", "partitionTemplate": template}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, token) = mgmt
        .create_token(json!([
            {"action": "read", "resource": "db"},
            {"action": "write", "resource": "db"}
        ]))
        .await;
    let fx = Fixture {
        server,
        mgmt,
        token,
    };
    // One file per host, and one for the point without a host; `a|b` is encoded in its key.
    let mut body = String::new();
    for (i, host) in (0..).zip(["a", "b", "a|b"]) {
        body.push_str(&format!("cpu,host={host} usage={i} {}\n", T + i));
        body.push_str(&format!("cpu,host={host} usage={} {}\n", i + 10, T + i + 1));
    }
    body.push_str(&format!("cpu usage=99 {T}\n"));
    fx.write(&body).await;
    wait_for_persists(&fx.server, 1).await;

    let files_read = async |sql: &str| {
        let plan = fx.physical_plan(sql).await;
        (plan.matches(".parquet").count(), plan)
    };
    let (files, plan) = files_read("SELECT usage FROM cpu").await;
    assert_eq!(files, 4, "{plan}");
    for sql in [
        "SELECT usage FROM cpu WHERE host = 'a' ORDER BY time",
        "SELECT usage FROM cpu WHERE 'a' = host AND usage >= 0 ORDER BY time",
    ] {
        assert_eq!(
            fx.rows(sql).await,
            vec![json!({"usage": 0.0}), json!({"usage": 10.0})],
            "{sql}"
        );
        let (files, plan) = files_read(sql).await;
        assert_eq!(files, 1, "only host a's file: {plan}");
    }
    assert_eq!(
        fx.rows("SELECT usage FROM cpu WHERE host = 'a|b' ORDER BY time")
            .await,
        vec![json!({"usage": 2.0}), json!({"usage": 12.0})]
    );
    let (files, plan) = files_read("SELECT usage FROM cpu WHERE host = 'a|b'").await;
    assert_eq!(files, 1, "{plan}");
    let (files, plan) = files_read("SELECT usage FROM cpu WHERE host = 'nope'").await;
    assert_eq!(files, 0, "{plan}");

    // Not an equality ANDed at the top: every file is read (by a sum, which the series
    // statistics do not answer).
    for sql in [
        "SELECT sum(usage) AS n FROM cpu WHERE host != 'a'",
        "SELECT sum(usage) AS n FROM cpu WHERE host = 'a' OR usage = 99",
    ] {
        let (files, plan) = files_read(sql).await;
        assert_eq!(files, 4, "{sql}: {plan}");
    }
    assert_eq!(
        fx.rows("SELECT count(*) AS n FROM cpu WHERE host != 'a'")
            .await,
        vec![json!({"n": 4})]
    );
    assert_eq!(
        fx.rows("SELECT count(*) AS n FROM cpu WHERE host = 'a' OR usage = 99")
            .await,
        vec![json!({"n": 3})]
    );
}
