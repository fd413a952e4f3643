//! The write endpoints end to end: each API's parameters, credentials and error shapes,
//! durability across `kill -9`, and Parquet files read back with pyarrow from both stores.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;

/// A server that persists every second, with a database `db` and a token that may write it.
struct Fixture {
    server: Server,
    mgmt: Api,
    token: String,
}

impl Fixture {
    async fn start() -> Fixture {
        Fixture::start_with(Server::builder()).await
    }

    async fn start_with(builder: ServerBuilder) -> Fixture {
        let server = builder.arg("--persist-interval").arg("1s").start();
        let mgmt = server.api(&server.bootstrap_token());
        mgmt.create_database("db").await;
        let (_, token) = mgmt
            .create_token(json!([{"action": "write", "resource": "db"}]))
            .await;
        Fixture {
            server,
            mgmt,
            token,
        }
    }

    async fn write(&self, path: &str, body: &str) -> (StatusCode, Value) {
        send(
            &self.server,
            path,
            Some(&self.token),
            body.as_bytes().to_vec(),
            &[],
        )
        .await
    }
}

/// POSTs a body with an optional bearer token and extra headers; returns status and JSON.
async fn send(
    server: &Server,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    json_response(request.send().await.expect("request failed")).await
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Every Parquet file under `location` as pyarrow reads it.
fn read_parquet(python: &str, location: &str) -> Vec<Value> {
    run_python(python, "read_parquet.py", &[location])
        .as_array()
        .unwrap()
        .clone()
}

/// All rows of all files, once the files hold at least `rows` rows (persistence runs every
/// second); fails the test after 30 s.
async fn persisted_rows(python: &str, location: &str, rows: usize) -> Vec<Value> {
    let mut found = Vec::new();
    let done = eventually(Duration::from_secs(30), async || {
        found = read_parquet(python, location)
            .into_iter()
            .flat_map(|f| f["rows"].as_array().unwrap().clone())
            .collect();
        found.len() >= rows
    })
    .await;
    assert!(done, "only {} of {rows} rows were persisted", found.len());
    found
}

fn local_objects(server: &Server) -> String {
    format!("file://{}/objects", server.data_dir.display())
}

#[tokio::test]
async fn every_endpoint_and_precision_writes_and_the_files_are_readable_by_pyarrow() {
    let fx = Fixture::start().await;
    let server = &fx.server;
    assert_eq!(
        fx.write(
            "/api/v2/write?bucket=db&org=any&precision=s",
            "m,api=v2 v=1 1700000000"
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let v1 = format!("/write?db=db&precision=ms&u=ignored&p={}", fx.token);
    let (status, body) = send(
        server,
        &v1,
        None,
        b"m,api=v1 v=2 1700000000001".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("anyone:{}", fx.token));
    let (status, body) = send(
        server,
        "/write?db=db&precision=us",
        None,
        b"m,api=basic v=3 1700000000000002".to_vec(),
        &[("authorization", &format!("Basic {basic}"))],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        fx.write("/api/v3/write_lp?db=db", "m,api=v3 v=4 1700000000000000003")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = send(
        server,
        "/api/v2/write?bucket=db",
        Some(&fx.token),
        gzip(b"m,api=gzip v=5 1700000000000000004\n"),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = send(
        server,
        "/api/v2/write?bucket=db",
        None,
        b"m,api=token-scheme v=6 1700000000000000005".to_vec(),
        &[("authorization", &format!("Token {}", fx.token))],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let Some(python) = python() else { return };
    let rows = persisted_rows(&python, &local_objects(server), 6).await;
    let by_api: HashMap<String, (i64, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["api"].as_str().unwrap().to_string(),
                (r["time"].as_i64().unwrap(), r["v"].as_f64().unwrap()),
            )
        })
        .collect();
    const T: i64 = 1_700_000_000_000_000_000;
    assert_eq!(by_api["v2"], (T, 1.0), "precision s");
    assert_eq!(by_api["v1"], (T + 1_000_000, 2.0), "precision ms");
    assert_eq!(by_api["basic"], (T + 2_000, 3.0), "precision us");
    assert_eq!(by_api["v3"], (T + 3, 4.0));
    assert_eq!(by_api["gzip"], (T + 4, 5.0));
    assert_eq!(by_api["token-scheme"], (T + 5, 6.0));

    let files = read_parquet(&python, &local_objects(server));
    let file = &files[0];
    assert!(
        file["path"].as_str().unwrap().contains("/2023-11-14/"),
        "daily partitions: {}",
        file["path"]
    );
    let column_types: Vec<(&str, &str)> = file["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["column_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        column_types,
        vec![
            ("api", "iox::column_type::tag"),
            ("v", "iox::column_type::field::float"),
            ("time", "iox::column_type::timestamp"),
        ]
    );
    assert_eq!(file["sorted_by"], json!(["api", "time"]));
    assert_eq!(file["statistics"], json!(true));
}

#[tokio::test]
async fn rejected_lines_are_reported_in_each_apis_shape() {
    let fx = Fixture::start().await;
    // v2: all or nothing, InfluxDB's {code, line, message}.
    let (status, body) = fx
        .write(
            "/api/v2/write?bucket=db",
            "ok v=1 1\nbad v=oops 2\nok v=3 3\n",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["line"], 2);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("1 of 3 lines rejected; nothing was written"),
        "{message}"
    );
    assert!(
        message.contains("line 2:") && message.contains("bad v=oops 2"),
        "{message}"
    );

    // v3: partial writes by default, InfluxDB 3's {error, data}.
    let (status, body) = fx
        .write(
            "/api/v3/write_lp?db=db",
            "ok v=1 1\nbad v=oops 2\nok v=3 3\n",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().starts_with("partial write"),
        "{body}"
    );
    assert_eq!(body["data"][0]["line_number"], 2);
    assert_eq!(body["data"][0]["original_line"], "bad v=oops 2");
    assert!(
        body["data"][0]["error_message"]
            .as_str()
            .unwrap()
            .contains("oops"),
        "{body}"
    );

    let (status, body) = fx
        .write(
            "/api/v3/write_lp?db=db&accept_partial=false",
            "none v=1 1\nbad v=oops 2\n",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("nothing was written"),
        "{body}"
    );
    let (status, body) = fx
        .write("/api/v3/write_lp?db=db&accept_partial=maybe", "x v=1")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("accept_partial"),
        "{body}"
    );

    // At most 100 rejected lines are listed; the rest are counted.
    let many: String = (0..150).map(|i| format!("bad v= {i}\n")).collect();
    let (status, body) = fx.write("/api/v2/write?bucket=db", &many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("line 100:") && !message.contains("line 101:"),
        "{message}"
    );
    assert!(message.contains("and 50 more"), "{message}");

    // Schema conflicts: a field changing type, a tag written as a field, the time column.
    assert_eq!(
        fx.write("/api/v2/write?bucket=db", "t,host=a v=1 1")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    for (line, words) in [
        (
            "t,host=a v=1i 2",
            "column \"v\" of table \"t\" is a float field, but this line writes it as an integer field",
        ),
        ("t v=1,host=2 3", "column \"host\" of table \"t\" is a tag"),
        ("t,host=a time=1 4", "\"time\" cannot be a field"),
        ("t,a=1 a=1 5", "\"a\""),
    ] {
        let (status, body) = fx.write("/api/v2/write?bucket=db", line).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{line}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(words), "{line}: {message}");
    }

    // Python reads back exactly the lines that were accepted.
    let Some(python) = python() else { return };
    let rows = persisted_rows(&python, &local_objects(&fx.server), 3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows_now = read_parquet(&python, &local_objects(&fx.server))
        .into_iter()
        .flat_map(|f| f["rows"].as_array().unwrap().clone())
        .count();
    assert_eq!(rows_now, rows.len());
    assert_eq!(
        rows.len(),
        3,
        "two partial v3 lines and the t line: {rows:?}"
    );
}

#[tokio::test]
async fn parameters_limits_and_unknown_databases_are_clear_errors() {
    let fx = Fixture::start_with(Server::builder().arg("--max-write-bytes").arg("1000")).await;
    let (_, star) = fx
        .mgmt
        .create_token(json!([{"action": "write", "resource": "*"}]))
        .await;
    let server = &fx.server;

    let (status, body) = fx.write("/api/v2/write?org=x", "m v=1").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("missing bucket value"),
        "{body}"
    );
    let (_, body) = fx
        .write("/api/v2/write?bucket=db&precision=m", "m v=1")
        .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown variant `m`"),
        "{body}"
    );
    let (status, body) = send(
        server,
        "/write?precision=s",
        Some(&fx.token),
        b"m v=1".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("missing db"),
        "{body}"
    );

    let (status, body) = send(
        server,
        "/api/v2/write?bucket=nope",
        Some(&star),
        b"m v=1".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"code": "not found", "message": "database \"nope\" not found"})
    );
    let (status, body) = send(
        server,
        "/api/v3/write_lp?db=nope",
        Some(&star),
        b"m v=1".to_vec(),
        &[],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"error": "database \"nope\" not found"})
        )
    );

    let big = "m v=1\n".repeat(200);
    let (status, body) = fx.write("/api/v2/write?bucket=db", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "request too large");
    let (status, body) = send(
        server,
        "/api/v2/write?bucket=db",
        Some(&fx.token),
        gzip(big.as_bytes()),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("decompressed"),
        "{body}"
    );
    let (status, body) = send(
        server,
        "/api/v2/write?bucket=db",
        Some(&fx.token),
        b"not gzip at all".to_vec(),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("not valid gzip"),
        "{body}"
    );
    let (status, body) = send(
        server,
        "/api/v2/write?bucket=db",
        Some(&fx.token),
        b"m v=1".to_vec(),
        &[("content-encoding", "br")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Content-Encoding"),
        "{body}"
    );

    // Retention: a point from 2020 in a database keeping one hour.
    let (status, body) = fx
        .mgmt
        .post(
            "/api/v0/databases",
            json!({"name": "recent", "retentionPeriod": 3_600_000_000_000i64}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        server,
        "/api/v2/write?bucket=recent&precision=s",
        Some(&star),
        b"m v=1 1577836800".to_vec(),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "unprocessable entity");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("retention period"),
        "{body}"
    );

    // Table and column limits.
    let (status, body) = fx
        .mgmt
        .post(
            "/api/v0/databases",
            json!({"name": "tiny", "maxTables": 1, "maxColumnsPerTable": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let write_tiny = async |line: &str| {
        send(
            server,
            "/api/v2/write?bucket=tiny",
            Some(&star),
            line.as_bytes().to_vec(),
            &[],
        )
        .await
    };
    let (status, body) = write_tiny("cpu a=1,b=2,c=3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("allows 3 per table"),
        "{body}"
    );
    assert_eq!(write_tiny("cpu a=1,b=2").await.0, StatusCode::NO_CONTENT);
    let (status, body) = write_tiny("mem a=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("table"),
        "{body}"
    );
}

#[tokio::test]
async fn only_a_database_token_with_write_permission_may_write() {
    let fx = Fixture::start().await;
    let server = &fx.server;
    let write = async |token: Option<&str>| {
        send(
            server,
            "/api/v2/write?bucket=db",
            token,
            b"m v=1".to_vec(),
            &[],
        )
        .await
    };
    let (status, body) = write(None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert_eq!(
        write(Some("strata_db_not-a-token")).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (_, read_only) = fx
        .mgmt
        .create_token(json!([{"action": "read", "resource": "db"}]))
        .await;
    let (status, body) = write(Some(&read_only)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("may not write database \"db\""),
        "{body}"
    );
    fx.mgmt.create_database("other").await;
    let (_, other) = fx
        .mgmt
        .create_token(json!([{"action": "write", "resource": "other"}]))
        .await;
    assert_eq!(write(Some(&other)).await.0, StatusCode::FORBIDDEN);
    let (_, star) = fx
        .mgmt
        .create_token(json!([{"action": "write", "resource": "*"}]))
        .await;
    assert_eq!(write(Some(&star)).await.0, StatusCode::NO_CONTENT);

    let management = server.bootstrap_token();
    let (status, body) = write(Some(&management)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("management tokens cannot"),
        "{body}"
    );
    let session = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, body) = write(Some(&session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("user sessions cannot"),
        "{body}"
    );

    // A revoked token is refused at once.
    let (id, token) = fx
        .mgmt
        .create_token(json!([{"action": "write", "resource": "db"}]))
        .await;
    assert_eq!(write(Some(&token)).await.0, StatusCode::NO_CONTENT);
    let (status, _) = fx.mgmt.delete(&format!("/api/v0/tokens/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = write(Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
}

#[tokio::test]
async fn concurrent_first_writes_of_a_new_column_agree_on_its_type() {
    let fx = Arc::new(Fixture::start().await);
    for round in 0..3 {
        let mut tasks = Vec::new();
        for value in ["1.5", "\"text\""] {
            let fx = fx.clone();
            let line = format!("race c{round}={value} {round}");
            tasks.push(tokio::spawn(async move {
                fx.write("/api/v2/write?bucket=db", &line).await
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            if status == StatusCode::BAD_REQUEST {
                assert!(
                    body["message"]
                        .as_str()
                        .unwrap()
                        .contains("schema conflict"),
                    "{body}"
                );
            }
            statuses.push(status);
        }
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST]
        );
    }
}

#[tokio::test]
async fn a_kill_9_during_a_write_load_loses_no_acknowledged_point() {
    let Some(python) = python() else { return };
    let data = tempfile::tempdir().unwrap();
    let fx = Fixture::start_with(Server::builder().data_dir(data.path())).await;
    let acknowledged: Arc<Mutex<Vec<(u32, u32)>>> = Arc::default();
    let base = fx.server.base.clone();
    let mut writers = Vec::new();
    for writer in 0..4u32 {
        let (base, token, acknowledged) = (base.clone(), fx.token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for batch in 0u32.. {
                // 100 points per batch, each unique by (writer, batch, i).
                let body: String = (0..100u32)
                    .map(|i| {
                        format!(
                            "load,writer={writer} batch={batch}i,i={i}i {}\n",
                            1_700_000_000_000_000_000u64 + u64::from(batch) * 1000 + u64::from(i)
                        )
                    })
                    .collect();
                let sent = client
                    .post(format!("{base}/api/v2/write?bucket=db"))
                    .bearer_auth(&token)
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == StatusCode::NO_CONTENT => {
                        acknowledged.lock().unwrap().push((writer, batch));
                    }
                    _ => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut server = fx.server;
    server.terminate("KILL");
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "the load ran: {} batches",
        acknowledged.len()
    );

    // Restarted on the same data directory, the node replays its WAL and persists it.
    let restarted = Server::builder()
        .data_dir(data.path())
        .arg("--persist-interval")
        .arg("1s")
        .start();
    let location = format!("file://{}/objects", data.path().display());
    let rows = persisted_rows(&python, &location, acknowledged.len() * 100).await;
    let mut seen = BTreeSet::new();
    for row in &rows {
        let key = (
            row["writer"].as_str().unwrap().parse::<u32>().unwrap(),
            row["batch"].as_i64().unwrap() as u32,
            row["i"].as_i64().unwrap() as u32,
        );
        assert!(seen.insert(key), "point {key:?} was stored twice");
    }
    for (writer, batch) in &acknowledged {
        for i in 0..100 {
            assert!(
                seen.contains(&(*writer, *batch, i)),
                "acknowledged point {writer}/{batch}/{i} was lost"
            );
        }
    }
    drop(restarted);
}

#[tokio::test]
async fn persists_to_an_s3_compatible_store() {
    let Some(location) = test_s3_location() else {
        return;
    };
    let Some(python) = python() else { return };
    let fx = Fixture::start_with(Server::builder().on_test_s3(&location)).await;
    let (status, body) = fx
        .write(
            "/api/v2/write?bucket=db",
            "weather,city=oslo temp=-3.5 1700000000000000000\nweather,city=lima temp=19.25 1700000000000000000\n",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let rows = persisted_rows(&python, &location, 2).await;
    let mut temps: Vec<(String, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["city"].as_str().unwrap().to_string(),
                r["temp"].as_f64().unwrap(),
            )
        })
        .collect();
    temps.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(temps, vec![("lima".into(), 19.25), ("oslo".into(), -3.5)]);
    assert!(
        !fx.server.data_dir.join("objects").exists(),
        "nothing went to the local directory"
    );
}

#[tokio::test]
async fn a_server_with_wrong_s3_credentials_does_not_start() {
    let Some(location) = test_s3_location() else {
        return;
    };
    let endpoint = std::env::var("STRATA_TEST_S3_ENDPOINT").unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(strata_bin())
        .args(["serve", "--http-bind", "127.0.0.1:0", "--object-store"])
        .arg(&location)
        .arg("--data-dir")
        .arg(data.path())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "nobody")
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed")
        .env("AWS_REGION", "us-east-1")
        .env("STRATA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("STRATA_CATALOG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used"), "{stderr}");
    assert!(
        !stderr.contains("s3cr3t-never-printed"),
        "the secret is not echoed: {stderr}"
    );
}

#[tokio::test]
async fn a_write_naming_many_columns_costs_memory_in_proportion_to_its_body() {
    let fx = Fixture::start().await;
    let (status, body) = fx.write("/api/v2/write?bucket=db", "warm v=1").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let before = fx.server.peak_memory();
    // 10,000 new columns in about 100 kB, one a line: the lines past the column limit are
    // refused before their columns are made.
    let wide: String = (0..10_000).map(|i| format!("w f{i}=1\n")).collect();
    assert!(wide.len() < 100_000);
    let (status, answer) = fx
        .write("/api/v3/write_lp?db=db&accept_partial=true", &wide)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let first = &answer["data"][0];
    assert_eq!(first["line_number"], 250, "{answer}");
    assert!(
        first["error_message"]
            .as_str()
            .unwrap()
            .contains("table \"w\" would have 251 columns; database \"db\" allows 250"),
        "{answer}"
    );
    assert_grew_little(&fx.server, before);

    // The table now has its 250 columns. Lines setting one column each cost a slot in all
    // 250: more than a write of this size may take, refused as a whole on /api/v2.
    let sparse: String = (0..10_000).map(|i| format!("w f{}=2\n", i % 249)).collect();
    let (status, answer) = fx.write("/api/v2/write?bucket=db", &sparse).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("too sparse"), "{message}");
    assert!(
        message.contains("send fewer lines per request"),
        "{message}"
    );
    // On /api/v3 the lines within the write's memory are taken, and no more.
    let before = fx.server.peak_memory();
    let (status, answer) = fx
        .write("/api/v3/write_lp?db=db&accept_partial=true", &sparse)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let first = &answer["data"][0];
    assert!(first["line_number"].as_u64().unwrap() > 1000, "{answer}");
    assert!(
        first["error_message"]
            .as_str()
            .unwrap()
            .contains("too sparse"),
        "{answer}"
    );
    assert_grew_little(&fx.server, before);
    // The same lines in small requests are written.
    for chunk in sparse.lines().collect::<Vec<_>>().chunks(400).take(3) {
        let (status, answer) = fx.write("/api/v2/write?bucket=db", &chunk.join("\n")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    }
}

/// A write of about 100 kB may raise the server's peak memory by a few MB, no more. The peak
/// is the process's resident high-water mark: under a loaded test run a write may land on a
/// thread whose allocator arena is new, which alone takes several MB, hence the margin (a
/// write whose columns multiplied its rows would take gigabytes).
#[track_caller]
fn assert_grew_little(server: &Server, before: u64) {
    let grown = server.peak_memory().saturating_sub(before);
    assert!(
        grown < 24 << 20,
        "a 100 kB write grew the server's peak memory by {} MB",
        grown >> 20
    );
}
