//! InfluxQL over HTTP: the 1.x `/query` endpoint (JSON, CSV, epochs, chunks, several
//! statements) and `/api/v3/query_influxql`, with statements checked against the answers
//! InfluxDB gives for the same data.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;

/// An InfluxDB `{"error": …}` answer with this status, naming `words`.
fn assert_refused(answer: &(StatusCode, Value), status: StatusCode, words: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    let message = answer.1["error"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{words:?} not in {}", answer.1);
}

struct Fixture {
    server: Server,
    mgmt: Api,
    /// May read and write `db`.
    token: String,
}

/// 2023-01-01T00:00:00Z.
const T0: i64 = 1_672_531_200_000_000_000;
const MINUTE: i64 = 60_000_000_000;

impl Fixture {
    async fn start() -> Fixture {
        let server = Server::start();
        let (mgmt, token) = server.database_with_token("db").await;
        let fx = Fixture {
            server,
            mgmt,
            token,
        };
        // Host a at minutes 0, 1 and 3; b at 0 and 2; c (no region) at 0; and a second
        // measurement.
        let lines = [
            format!("cpu,host=a,region=eu usage=10,idle=90i {T0}"),
            format!("cpu,host=a,region=eu usage=20,idle=80i {}", T0 + MINUTE),
            format!("cpu,host=a,region=eu usage=30,idle=70i {}", T0 + 3 * MINUTE),
            format!("cpu,host=b,region=us usage=5,idle=95i {T0}"),
            format!("cpu,host=b,region=us usage=7 {}", T0 + 2 * MINUTE),
            format!("cpu,host=c usage=1 {T0}"),
            format!("mem,host=a used=100i {T0}"),
        ];
        fx.server
            .write_lines(
                &fx.token,
                "db",
                &lines.join(
                    "
",
                ),
            )
            .await;
        fx
    }

    /// GET /query with extra parameters and the fixture's token.
    async fn get(&self, params: &[(&str, &str)]) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}/query", self.server.base))
            .bearer_auth(&self.token)
            .query(params)
            .send()
            .await
            .unwrap()
    }

    /// The 1.x JSON answer to `q` on `db`.
    async fn query(&self, q: &str) -> Value {
        let (status, body) = json_response(self.get(&[("db", "db"), ("q", q)]).await).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        body
    }

    /// The series of a one-statement answer (failing on an error).
    async fn series(&self, q: &str) -> Value {
        let body = self.query(q).await;
        let result = &body["results"][0];
        assert!(result.get("error").is_none(), "{q}: {body}");
        result.get("series").cloned().unwrap_or(json!([]))
    }

    /// The values of a one-series answer.
    async fn values(&self, q: &str) -> Value {
        let series = self.series(q).await;
        assert_eq!(series.as_array().unwrap().len(), 1, "{q}: {series}");
        series[0]["values"].clone()
    }

    /// The error of a one-statement answer.
    async fn error(&self, q: &str) -> String {
        let body = self.query(q).await;
        body["results"][0]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{q} did not fail: {body}"))
            .to_string()
    }
}

#[tokio::test]
async fn raw_selects_in_the_v1_shape() {
    let fx = Fixture::start().await;
    assert_eq!(
        fx.query("SELECT usage FROM cpu WHERE host = 'a'").await,
        json!({"results": [{"statement_id": 0, "series": [{
            "name": "cpu",
            "columns": ["time", "usage"],
            "values": [
                ["2023-01-01T00:00:00Z", 10.0],
                ["2023-01-01T00:01:00Z", 20.0],
                ["2023-01-01T00:03:00Z", 30.0]
            ]
        }]}]})
    );
    // `*` is every field and tag by name; a point lacking a selected field shows null.
    assert_eq!(
        fx.values("SELECT * FROM cpu WHERE host = 'b'").await,
        json!([
            ["2023-01-01T00:00:00Z", "b", 95, "us", 5.0],
            ["2023-01-01T00:02:00Z", "b", null, "us", 7.0]
        ])
    );
    let series = fx.series("SELECT *::field FROM cpu WHERE host = 'b'").await;
    assert_eq!(series[0]["columns"], json!(["time", "idle", "usage"]));
    // Arithmetic, aliases, and a field only some points have.
    assert_eq!(
        fx.values("SELECT usage * 2 AS double, idle FROM cpu WHERE host = 'b'")
            .await,
        json!([
            ["2023-01-01T00:00:00Z", 10.0, 95],
            ["2023-01-01T00:02:00Z", 14.0, null]
        ])
    );
    // Points without the selected field are not rows.
    assert_eq!(
        fx.values("SELECT idle FROM cpu WHERE host = 'b'").await,
        json!([["2023-01-01T00:00:00Z", 95]])
    );
    // Field conditions and time ranges.
    assert_eq!(
        fx.values("SELECT usage FROM cpu WHERE usage > 5 AND usage <= 20 AND time >= '2023-01-01T00:01:00Z'")
            .await,
        json!([["2023-01-01T00:01:00Z", 20.0], ["2023-01-01T00:02:00Z", 7.0]])
    );
    assert_eq!(
        fx.values(&format!(
            "SELECT usage FROM cpu WHERE time = {} AND host = 'a'",
            T0 + MINUTE
        ))
        .await,
        json!([["2023-01-01T00:01:00Z", 20.0]])
    );
    // ORDER BY time DESC with LIMIT on one series.
    assert_eq!(
        fx.values("SELECT usage FROM cpu WHERE host = 'a' ORDER BY time DESC LIMIT 2")
            .await,
        json!([
            ["2023-01-01T00:03:00Z", 30.0],
            ["2023-01-01T00:01:00Z", 20.0]
        ])
    );
    assert_eq!(
        fx.values("SELECT usage FROM cpu WHERE host = 'a' LIMIT 1 OFFSET 1")
            .await,
        json!([["2023-01-01T00:01:00Z", 20.0]])
    );
    // A measurement that does not exist has no series; a regex FROM reads several.
    assert_eq!(fx.series("SELECT usage FROM nothing").await, json!([]));
    let series = fx
        .series("SELECT * FROM /^(cpu|mem)$/ WHERE host = 'a' AND time = 1672531200000000000")
        .await;
    let names: Vec<&Value> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, vec!["cpu", "mem"]);
}

#[tokio::test]
async fn tag_conditions_treat_a_missing_tag_as_empty() {
    let fx = Fixture::start().await;
    let hosts = async |condition: &str| {
        let series = fx
            .series(&format!(
                "SELECT usage, host FROM cpu WHERE time = {T0} AND ({condition})"
            ))
            .await;
        let mut hosts: Vec<String> = series
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["values"].as_array().unwrap().clone())
            .map(|row| row[2].as_str().unwrap().to_string())
            .collect();
        hosts.sort();
        hosts
    };
    assert_eq!(hosts("region = 'eu'").await, ["a"]);
    assert_eq!(hosts("region = ''").await, ["c"]);
    assert_eq!(hosts("region != 'eu'").await, ["b", "c"]);
    assert_eq!(hosts("region != ''").await, ["a", "b"]);
    assert_eq!(hosts("host =~ /^[ab]$/").await, ["a", "b"]);
    assert_eq!(hosts("host !~ /a/").await, ["b", "c"]);
    assert_eq!(hosts("region =~ /^$/").await, ["c"]);
    assert_eq!(hosts("region !~ /e/").await, ["b", "c"]);
    assert_eq!(hosts("host = 'a' OR usage < 2").await, ["a", "c"]);
    assert_eq!(hosts("nonexistent = ''").await, ["a", "b", "c"]);
    assert_eq!(hosts("nonexistent = 'x'").await, Vec::<String>::new());
}

#[tokio::test]
async fn aggregates_and_selectors() {
    let fx = Fixture::start().await;
    assert_eq!(
        fx.query(
            "SELECT count(usage), sum(usage), mean(usage), median(usage), min(usage), max(usage), spread(usage), stddev(usage), percentile(usage, 50) FROM cpu WHERE host = 'a'"
        )
        .await,
        json!({"results": [{"statement_id": 0, "series": [{
            "name": "cpu",
            "columns": ["time", "count", "sum", "mean", "median", "min", "max", "spread", "stddev", "percentile"],
            "values": [["1970-01-01T00:00:00Z", 3, 60.0, 20.0, 20.0, 10.0, 30.0, 20.0, 10.0, 20.0]]
        }]}]})
    );
    // With a lower time bound the row is at that bound; a lone selector reports its point's
    // time.
    assert_eq!(
        fx.values(
            "SELECT mean(usage) FROM cpu WHERE host = 'a' AND time >= '2023-01-01T00:01:00Z'"
        )
        .await,
        json!([["2023-01-01T00:01:00Z", 25.0]])
    );
    for (selector, expected) in [
        ("first", json!([["2023-01-01T00:00:00Z", 10.0]])),
        ("last", json!([["2023-01-01T00:03:00Z", 30.0]])),
        ("max", json!([["2023-01-01T00:03:00Z", 30.0]])),
        ("min", json!([["2023-01-01T00:00:00Z", 10.0]])),
    ] {
        assert_eq!(
            fx.values(&format!(
                "SELECT {selector}(usage) FROM cpu WHERE host = 'a'"
            ))
            .await,
            expected,
            "{selector}"
        );
    }
    // Arithmetic on aggregates, names made unique, and `count(*)`.
    let series = fx
        .series("SELECT max(usage) - min(usage), mean(usage), mean(idle) FROM cpu WHERE host = 'a'")
        .await;
    assert_eq!(
        series[0]["columns"],
        json!(["time", "max_min", "mean", "mean_1"])
    );
    assert_eq!(series[0]["values"][0][1], json!(20.0));
    let series = fx.series("SELECT count(*) FROM cpu").await;
    assert_eq!(
        series[0]["columns"],
        json!(["time", "count_idle", "count_usage"])
    );
    assert_eq!(
        series[0]["values"][0],
        json!(["1970-01-01T00:00:00Z", 4, 6])
    );
    // No matching point: no series.
    assert_eq!(
        fx.series("SELECT mean(usage) FROM cpu WHERE host = 'zzz'")
            .await,
        json!([])
    );
}

#[tokio::test]
async fn group_by_time_fills_empty_intervals() {
    let fx = Fixture::start().await;
    let range = "host = 'a' AND time >= '2023-01-01T00:00:00Z' AND time < '2023-01-01T00:04:00Z'";
    let fill = async |fill: &str| {
        fx.values(&format!(
            "SELECT mean(usage) FROM cpu WHERE {range} GROUP BY time(1m) {fill}"
        ))
        .await
    };
    let minute = |m: i64| format!("2023-01-01T00:0{m}:00Z");
    assert_eq!(
        fill("").await,
        json!([
            [minute(0), 10.0],
            [minute(1), 20.0],
            [minute(2), null],
            [minute(3), 30.0]
        ])
    );
    assert_eq!(
        fill("fill(none)").await,
        json!([[minute(0), 10.0], [minute(1), 20.0], [minute(3), 30.0]])
    );
    assert_eq!(
        fill("fill(previous)").await,
        json!([
            [minute(0), 10.0],
            [minute(1), 20.0],
            [minute(2), 20.0],
            [minute(3), 30.0]
        ])
    );
    assert_eq!(
        fill("fill(linear)").await,
        json!([
            [minute(0), 10.0],
            [minute(1), 20.0],
            [minute(2), 25.0],
            [minute(3), 30.0]
        ])
    );
    assert_eq!(
        fill("fill(-1)").await,
        json!([
            [minute(0), 10.0],
            [minute(1), 20.0],
            [minute(2), -1.0],
            [minute(3), 30.0]
        ])
    );
    // Two-minute intervals, shifted by an offset, newest first, limited.
    assert_eq!(
        fx.values(&format!(
            "SELECT sum(usage) FROM cpu WHERE {range} GROUP BY time(2m, 1m) ORDER BY time DESC LIMIT 2"
        ))
        .await,
        json!([[minute(3), 30.0], [minute(1), 20.0]])
    );
    // Per tag: one series per host, each filled over the range.
    let series = fx
        .series(
            "SELECT max(usage) FROM cpu WHERE time >= '2023-01-01T00:00:00Z' AND time < '2023-01-01T00:02:00Z' GROUP BY time(1m), host fill(0)",
        )
        .await;
    assert_eq!(
        series,
        json!([
            {"name": "cpu", "tags": {"host": "a"}, "columns": ["time", "max"],
             "values": [[minute(0), 10.0], [minute(1), 20.0]]},
            {"name": "cpu", "tags": {"host": "b"}, "columns": ["time", "max"],
             "values": [[minute(0), 5.0], [minute(1), 0.0]]},
            {"name": "cpu", "tags": {"host": "c"}, "columns": ["time", "max"],
             "values": [[minute(0), 1.0], [minute(1), 0.0]]}
        ])
    );
    // Too many intervals is refused with a way out.
    let error = fx
        .error("SELECT mean(usage) FROM cpu WHERE time >= '2000-01-01T00:00:00Z' GROUP BY time(1s)")
        .await;
    assert!(error.contains("narrow the time range"), "{error}");
}

#[tokio::test]
async fn group_by_tags_limits_and_series_limits() {
    let fx = Fixture::start().await;
    let series = fx
        .series("SELECT last(usage) FROM cpu GROUP BY region")
        .await;
    assert_eq!(
        series,
        json!([
            {"name": "cpu", "tags": {"region": ""}, "columns": ["time", "last"],
             "values": [["2023-01-01T00:00:00Z", 1.0]]},
            {"name": "cpu", "tags": {"region": "eu"}, "columns": ["time", "last"],
             "values": [["2023-01-01T00:03:00Z", 30.0]]},
            {"name": "cpu", "tags": {"region": "us"}, "columns": ["time", "last"],
             "values": [["2023-01-01T00:02:00Z", 7.0]]}
        ])
    );
    // Raw rows per series, LIMIT per series, SLIMIT/SOFFSET over series.
    let series = fx
        .series("SELECT usage FROM cpu GROUP BY host LIMIT 1")
        .await;
    let firsts: Vec<(&Value, &Value)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["tags"]["host"], &s["values"][0][1]))
        .collect();
    assert_eq!(
        firsts,
        vec![
            (&json!("a"), &json!(10.0)),
            (&json!("b"), &json!(5.0)),
            (&json!("c"), &json!(1.0))
        ]
    );
    assert!(
        series
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["values"].as_array().unwrap().len() == 1)
    );
    let series = fx
        .series("SELECT usage FROM cpu GROUP BY * SLIMIT 1 SOFFSET 1")
        .await;
    assert_eq!(series.as_array().unwrap().len(), 1);
    assert_eq!(series[0]["tags"], json!({"host": "b", "region": "us"}));
    assert_eq!(series[0]["columns"], json!(["time", "usage"]));
}

#[tokio::test]
async fn show_statements() {
    let fx = Fixture::start().await;
    fx.mgmt.create_database("other").await;
    let body = fx
        .query(
            "SHOW DATABASES; SHOW MEASUREMENTS; SHOW TAG KEYS FROM cpu; SHOW TAG VALUES WITH KEY = host; SHOW FIELD KEYS; SHOW RETENTION POLICIES",
        )
        .await;
    assert_eq!(
        body,
        json!({"results": [
            // Only the databases the token may read.
            {"statement_id": 0, "series": [{"name": "databases", "columns": ["name"], "values": [["db"]]}]},
            {"statement_id": 1, "series": [{"name": "measurements", "columns": ["name"], "values": [["cpu"], ["mem"]]}]},
            {"statement_id": 2, "series": [{"name": "cpu", "columns": ["tagKey"], "values": [["host"], ["region"]]}]},
            {"statement_id": 3, "series": [
                {"name": "cpu", "columns": ["key", "value"], "values": [["host", "a"], ["host", "b"], ["host", "c"]]},
                {"name": "mem", "columns": ["key", "value"], "values": [["host", "a"]]}
            ]},
            {"statement_id": 4, "series": [
                {"name": "cpu", "columns": ["fieldKey", "fieldType"], "values": [["idle", "integer"], ["usage", "float"]]},
                {"name": "mem", "columns": ["fieldKey", "fieldType"], "values": [["used", "integer"]]}
            ]},
            {"statement_id": 5, "series": [{"columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
                                             "values": [["autogen", "0s", "168h0m0s", 1, true]]}]}
        ]})
    );
    // WHERE clauses read the data.
    assert_eq!(
        fx.values("SHOW MEASUREMENTS WHERE host = 'b'").await,
        json!([["cpu"]])
    );
    assert_eq!(
        fx.values("SHOW MEASUREMENTS WITH MEASUREMENT =~ /^m/")
            .await,
        json!([["mem"]])
    );
    assert_eq!(
        fx.values("SHOW TAG KEYS FROM cpu WHERE host = 'c'").await,
        json!([["host"]])
    );
    assert_eq!(
        fx.values("SHOW TAG VALUES FROM cpu WITH KEY IN (host, region) WHERE region = 'us'")
            .await,
        json!([["host", "b"], ["region", "us"]])
    );
    assert_eq!(
        fx.values("SHOW TAG VALUES FROM cpu WITH KEY =~ /reg/ LIMIT 1")
            .await,
        json!([["region", "eu"]])
    );
    // Another database than the token's is refused for that statement.
    let error = fx.error("SHOW MEASUREMENTS ON other").await;
    assert!(error.contains("may not read database \"other\""), "{error}");
    // The database may come from the statement alone.
    let response = fx.get(&[("q", "SHOW MEASUREMENTS ON db")]).await;
    let (status, body) = json_response(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"][0]["series"][0]["values"],
        json!([["cpu"], ["mem"]])
    );
}

/// The answers InfluxDB 1.x gives for the fixture's data.
#[tokio::test]
async fn show_series_lists_series_keys_as_influxdb_does() {
    let fx = Fixture::start().await;
    let series = |keys: &[&str]| {
        let values: Vec<Value> = keys.iter().map(|k| json!([k])).collect();
        json!({"results": [{"statement_id": 0, "series": [{"columns": ["key"], "values": values}]}]})
    };
    assert_eq!(
        fx.query("SHOW SERIES").await,
        series(&[
            "cpu,host=a,region=eu",
            "cpu,host=b,region=us",
            "cpu,host=c",
            "mem,host=a"
        ])
    );
    assert_eq!(
        fx.query("SHOW SERIES FROM cpu WHERE region = 'eu'").await,
        series(&["cpu,host=a,region=eu"])
    );
    assert_eq!(
        fx.query("SHOW SERIES WHERE host = 'a'").await,
        series(&["cpu,host=a,region=eu", "mem,host=a"])
    );
    assert_eq!(
        fx.query("SHOW SERIES LIMIT 2 OFFSET 1").await,
        series(&["cpu,host=b,region=us", "cpu,host=c"])
    );
    assert_eq!(
        fx.query("SHOW SERIES FROM nope").await,
        json!({"results": [{"statement_id": 0}]})
    );
    // Keys escape what line protocol escapes in names and tags.
    fx.server
        .write_lines(&fx.token, "db", "my\\ m,k\\=1=a\\,b v=1 1")
        .await;
    assert_eq!(
        fx.values("SHOW SERIES FROM \"my m\"").await,
        json!([["my\\ m,k\\=1=a\\,b"]])
    );
}

#[tokio::test]
async fn v1_parameters_formats_and_errors() {
    let fx = Fixture::start().await;
    let q = "SELECT usage FROM cpu WHERE host = 'a'";
    // epoch
    let (_, body) = json_response(fx.get(&[("db", "db"), ("q", q), ("epoch", "s")]).await).await;
    assert_eq!(
        body["results"][0]["series"][0]["values"],
        json!([[1672531200, 10.0], [1672531260, 20.0], [1672531380, 30.0]])
    );
    let (status, body) =
        json_response(fx.get(&[("db", "db"), ("q", q), ("epoch", "days")]).await).await;
    assert_refused(
        &(status, body),
        StatusCode::BAD_REQUEST,
        "is not a time unit",
    );
    // chunks
    let response = fx
        .get(&[
            ("db", "db"),
            ("q", q),
            ("chunked", "true"),
            ("chunk_size", "2"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let chunks: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        chunks,
        vec![
            json!({"results": [{"statement_id": 0, "partial": true, "series": [{"name": "cpu", "columns": ["time", "usage"], "partial": true,
                "values": [["2023-01-01T00:00:00Z", 10.0], ["2023-01-01T00:01:00Z", 20.0]]}]}]}),
            json!({"results": [{"statement_id": 0, "series": [{"name": "cpu", "columns": ["time", "usage"],
                "values": [["2023-01-01T00:03:00Z", 30.0]]}]}]}),
        ]
    );
    // CSV
    let response = reqwest::Client::new()
        .get(format!("{}/query", fx.server.base))
        .bearer_auth(&fx.token)
        .header("Accept", "application/csv")
        .query(&[
            ("db", "db"),
            (
                "q",
                "SELECT usage FROM cpu WHERE time = 1672531200000000000 GROUP BY host",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/csv");
    assert_eq!(
        response.text().await.unwrap(),
        "name,tags,time,usage\ncpu,host=a,1672531200000000000,10\ncpu,host=b,1672531200000000000,5\ncpu,host=c,1672531200000000000,1\n"
    );
    // POST with a form body, the token as `p`, bind parameters.
    let response = reqwest::Client::new()
        .post(format!("{}/query?p={}", fx.server.base, fx.token))
        .form(&[
            ("db", "db"),
            (
                "q",
                "SELECT usage FROM cpu WHERE host = $host AND usage > $min",
            ),
            ("params", r#"{"host": "a", "min": 15}"#),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json_response(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"][0]["series"][0]["values"],
        json!([
            ["2023-01-01T00:01:00Z", 20.0],
            ["2023-01-01T00:03:00Z", 30.0]
        ])
    );
    // Basic authentication, with the token as the password.
    let response = reqwest::Client::new()
        .get(format!("{}/query", fx.server.base))
        .basic_auth("anyone", Some(&fx.token))
        .query(&[("db", "db"), ("q", "SHOW MEASUREMENTS")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Several statements: each answers in its place, a failing one with its error.
    let body = fx
        .query("SELECT usage FROM cpu WHERE host = 'c'; SELECT nope(usage) FROM cpu; SELECT usage FROM mem")
        .await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0]["series"][0]["values"],
        json!([["2023-01-01T00:00:00Z", 1.0]])
    );
    assert!(
        results[1]["error"]
            .as_str()
            .unwrap()
            .contains("undefined function nope()"),
        "{body}"
    );
    assert_eq!(results[2], json!({"statement_id": 2}));

    // Errors of the request as a whole, and of statements.
    let (status, body) =
        json_response(fx.get(&[("db", "db"), ("q", "SELECT FROM cpu")]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 8"})
    );
    let (status, body) = json_response(fx.get(&[("db", "db")]).await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "missing required parameter \"q\""})
        )
    );
    for (q, words) in [
        (
            "SELECT usage, mean(usage) FROM cpu",
            "mixing aggregate and non-aggregate",
        ),
        (
            "SELECT usage FROM cpu GROUP BY time(1m)",
            "needs an aggregate",
        ),
        (
            "SELECT mean(usage) FROM cpu GROUP BY usage",
            "only tags group series",
        ),
        ("SELECT host FROM cpu", "names no field"),
        (
            "SELECT usage FROM cpu WHERE time > 'yesterday'",
            "invalid timestamp string 'yesterday'",
        ),
        (
            "SELECT usage FROM cpu WHERE host = $missing",
            "missing parameter $missing",
        ),
        (
            "SELECT usage FROM cpu WHERE host =~ /(/",
            "invalid regular expression",
        ),
        (
            "SELECT integral(usage), mean(usage) FROM cpu WHERE time >= 0 GROUP BY time(1m)",
            "integral() with GROUP BY time() cannot be combined",
        ),
        (
            "SELECT integral(usage) FROM cpu WHERE time >= 0 GROUP BY time(1m) ORDER BY time DESC",
            "leave out ORDER BY time DESC",
        ),
    ] {
        let error = fx.error(q).await;
        assert!(error.contains(words), "{q}: {error}");
    }
    let response = fx.get(&[("db", "nope"), ("q", "SHOW MEASUREMENTS")]).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "a token without read on it"
    );
}

#[tokio::test]
async fn credentials_on_the_influxql_endpoints() {
    let fx = Fixture::start().await;
    let (_, write_only) = fx
        .mgmt
        .create_token(json!([{"action": "write", "resource": "db"}]))
        .await;
    let bootstrap = fx.server.bootstrap_token();
    for path in ["/query", "/api/v3/query_influxql"] {
        let url = format!("{}{path}", fx.server.base);
        let params = [("db", "db"), ("q", "SHOW MEASUREMENTS")];
        let anonymous = reqwest::Client::new()
            .get(&url)
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        for token in [&write_only, &bootstrap] {
            let refused = reqwest::Client::new()
                .get(&url)
                .bearer_auth(token)
                .query(&params)
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        }
    }
}

#[tokio::test]
async fn the_v3_influxql_endpoint_answers_one_table() {
    let fx = Fixture::start().await;
    let get = async |params: &[(&str, &str)]| {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v3/query_influxql", fx.server.base))
            .bearer_auth(&fx.token)
            .query(params)
            .send()
            .await
            .unwrap();
        json_response(response).await
    };
    let (status, body) = get(&[
        ("db", "db"),
        ("q", "SELECT mean(usage) FROM cpu WHERE time >= '2023-01-01T00:00:00Z' AND time < '2023-01-01T00:02:00Z' GROUP BY time(1m), host fill(none)"),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!([
            {"iox::measurement": "cpu", "time": "2023-01-01T00:00:00Z", "host": "a", "mean": 10.0},
            {"iox::measurement": "cpu", "time": "2023-01-01T00:01:00Z", "host": "a", "mean": 20.0},
            {"iox::measurement": "cpu", "time": "2023-01-01T00:00:00Z", "host": "b", "mean": 5.0},
            {"iox::measurement": "cpu", "time": "2023-01-01T00:00:00Z", "host": "c", "mean": 1.0}
        ])
    );
    let (status, body) = get(&[
        ("db", "db"),
        ("q", "SHOW FIELD KEYS FROM mem"),
        ("format", "csv"),
    ])
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!("iox::measurement,fieldKey,fieldType\nmem,used,integer\n")
    );
    let (status, body) = get(&[("db", "db"), ("q", "SHOW DATABASES; SHOW MEASUREMENTS")]).await;
    assert_refused(
        &(status, body),
        StatusCode::BAD_REQUEST,
        "send one InfluxQL statement",
    );
    let (status, body) = get(&[("db", "db"), ("q", "SELECT nope FROM")]).await;
    assert_refused(
        &(status, body),
        StatusCode::BAD_REQUEST,
        "error parsing query",
    );
    // POST with a JSON body and bind parameters.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v3/query_influxql", fx.server.base))
        .bearer_auth(&fx.token)
        .json(&json!({"db": "db", "q": "SELECT usage FROM cpu WHERE host = $h", "params": {"h": "c"}, "format": "jsonl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.unwrap(),
        "{\"iox::measurement\":\"cpu\",\"time\":\"2023-01-01T00:00:00Z\",\"usage\":1.0}\n"
    );
}

#[tokio::test]
async fn sample_chooses_points_of_each_series() {
    let fx = Fixture::start().await;
    for _ in 0..5 {
        let series = fx
            .series("SELECT sample(usage, 2) FROM cpu GROUP BY host")
            .await;
        let all = fx.series("SELECT usage FROM cpu GROUP BY host").await;
        assert_eq!(series.as_array().unwrap().len(), 3, "{series}");
        for (sampled, all) in series
            .as_array()
            .unwrap()
            .iter()
            .zip(all.as_array().unwrap())
        {
            let values = sampled["values"].as_array().unwrap();
            let points = all["values"].as_array().unwrap();
            assert_eq!(values.len(), points.len().min(2), "{sampled}");
            // Points of the series, in time order.
            assert!(values.iter().all(|v| points.contains(v)), "{sampled}");
            assert!(
                values
                    .windows(2)
                    .all(|w| w[0][0].as_str() < w[1][0].as_str()),
                "{sampled}"
            );
        }
    }
}

#[tokio::test]
async fn relative_times_use_now() {
    let fx = Fixture::start().await;
    // A point without a timestamp is written at the server's now.
    fx.server
        .write_lines(&fx.token, "db", "recent value=1")
        .await;
    assert_eq!(
        fx.values("SELECT count(value) FROM recent WHERE time > now() - 1h")
            .await[0][1],
        json!(1)
    );
    assert_eq!(
        fx.series("SELECT value FROM recent WHERE time < now() - 1h")
            .await,
        json!([])
    );
    // GROUP BY time() without an upper bound ends now.
    let values = fx
        .values("SELECT count(value) FROM recent WHERE time > now() - 5m GROUP BY time(1m)")
        .await;
    let counts: Vec<&Value> = values.as_array().unwrap().iter().map(|r| &r[1]).collect();
    assert!(counts.len() >= 5 && counts.len() <= 6, "{values}");
    assert!(counts.contains(&&json!(1)), "{values}");
}

#[tokio::test]
async fn expression_limits_answer_400_and_the_server_carries_on() {
    let fx = Fixture::start().await;
    let post = async |q: &str| {
        let response = reqwest::Client::new()
            .post(format!("{}/query", fx.server.base))
            .bearer_auth(&fx.token)
            .form(&[("db", "db"), ("q", q)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}\n{}", fx.server.logs()));
        json_response(response).await
    };
    // 200,000 ORs: refused while parsing, never a stack overflow.
    let chain = vec!["a"; 200_000].join(" OR ");
    let answer = post(&format!("SELECT usage FROM cpu WHERE {chain}")).await;
    assert_refused(&answer, StatusCode::BAD_REQUEST, "levels deep");
    // The deepest tree allowed (a comparison is 2 levels, each OR and the AND add one) is
    // planned and answered.
    let mut terms = vec!["host = 'x'"; strata_influxql::MAX_EXPRESSION_DEPTH - 3];
    terms.push("host = 'b'");
    let (status, body) = post(&format!(
        "SELECT usage FROM cpu WHERE time = 1672531200000000000 AND ({})",
        terms.join(" OR ")
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"][0]["series"][0]["values"],
        json!([["2023-01-01T00:00:00Z", 5.0]])
    );
    // A query over the size limit.
    let long = format!(
        "SELECT usage FROM cpu WHERE host = '{}'",
        "x".repeat(strata_influxql::MAX_QUERY_BYTES)
    );
    let answer = post(&long).await;
    assert_refused(
        &answer,
        StatusCode::BAD_REQUEST,
        "more than the 1048576 allowed",
    );
    assert_eq!(
        fx.values("SELECT count(usage) FROM cpu").await[0][1],
        json!(6)
    );
}

#[tokio::test]
async fn the_credential_is_checked_before_the_body_is_read() {
    let fx = Fixture::start().await;
    let url = format!("{}/query", fx.server.base);
    // `p` in a form body is not a credential: the body is read only after one is checked.
    let response = reqwest::Client::new()
        .post(&url)
        .form(&[("db", "db"), ("q", "SHOW MEASUREMENTS"), ("p", &fx.token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // In the query string it is.
    let response = reqwest::Client::new()
        .post(format!("{url}?p={}", fx.token))
        .form(&[("db", "db"), ("q", "SHOW MEASUREMENTS")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // A token reading another database named only in the body is refused after reading it.
    fx.mgmt.create_database("other").await;
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&fx.token)
        .form(&[("db", "other"), ("q", "SHOW MEASUREMENTS")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
