//! A full write buffer slows writes down instead of failing them: a write that finds it full
//! waits for persistence to free space, and only one that waits longer than `--write-wait` is
//! refused, with `Retry-After`.
//!
//! The servers here hold at most one byte in their buffer, so every write leaves it full, and
//! persist only every few seconds (never by size), so the tests know when space is freed.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;

/// A server whose buffer is full after any write and which persists every `interval`; a
/// write waits at most `write_wait` for space. It warns that the buffer fills before it is
/// persisted by size.
fn full_buffer_server(interval: &str, write_wait: &str) -> Server {
    let server = Server::builder()
        .arg("--max-buffer-bytes")
        .arg("1")
        .arg("--persist-buffer-bytes")
        .arg("1073741824")
        .arg("--persist-interval")
        .arg(interval)
        .arg("--write-wait")
        .arg(write_wait)
        .start();
    assert!(
        server
            .logs()
            .contains("--persist-buffer-bytes is more than half of --max-buffer-bytes"),
        "{}",
        server.logs()
    );
    server
}

/// Writes one line to `db` through `path`; returns the answer's status, `Retry-After` and body.
async fn write(
    server: &Server,
    token: &str,
    path: &str,
    line: &str,
) -> (StatusCode, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .bearer_auth(token)
        .body(line.to_string())
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, retry_after, body)
}

/// How many times the server has persisted buffered rows.
fn persists(server: &Server) -> usize {
    server.logs().matches("persisted buffered rows").count()
}

/// Writes a line and waits until it is persisted: the next persistence is an interval away.
async fn just_after_a_persist(server: &Server, token: &str) {
    let before = persists(server);
    server.write_lines(token, "db", "warmup v=1").await;
    let persisted = eventually(Duration::from_secs(60), async || persists(server) > before).await;
    assert!(persisted, "the server persisted nothing: {}", server.logs());
}

/// The value of `strata_write_buffer_waits_total` with this outcome.
async fn waits(server: &Server, outcome: &str) -> u64 {
    let label = format!("outcome=\"{outcome}\"");
    server
        .metrics()
        .await
        .lines()
        .find(|line| line.starts_with("strata_write_buffer_waits_total{") && line.contains(&label))
        .and_then(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

async fn count_rows(server: &Server, token: &str, table: &str) -> u64 {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v3/query_sql", server.base))
        .bearer_auth(token)
        .query(&[
            ("db", "db"),
            ("q", &format!("SELECT count(*) AS n FROM {table}")),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json_response(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body[0]["n"].as_u64().unwrap()
}

#[tokio::test]
async fn a_write_that_meets_a_full_buffer_waits_and_then_succeeds_once_persistence_frees_space() {
    let server = full_buffer_server("3s", "60s");
    let (_, token) = server.database_with_token("db").await;
    just_after_a_persist(&server, &token).await;

    // The first write fills the buffer; the second finds it full until the next persistence.
    let first = write(
        &server,
        &token,
        "/api/v3/write_lp?db=db",
        "cpu,host=a usage=1",
    )
    .await;
    assert_eq!(first.0, StatusCode::NO_CONTENT, "{first:?}");
    let persisted = persists(&server);
    let second = write(
        &server,
        &token,
        "/api/v3/write_lp?db=db",
        "cpu,host=b usage=2",
    )
    .await;
    assert_eq!(second.0, StatusCode::NO_CONTENT, "{second:?}");
    let freed = eventually(Duration::from_secs(10), async || {
        persists(&server) > persisted
    })
    .await;
    assert!(
        freed,
        "persistence let the second write in: {}",
        server.logs()
    );
    assert_eq!(waits(&server, "written").await, 1, "it waited");
    assert_eq!(waits(&server, "refused").await, 0);
    assert!(
        server
            .logs()
            .contains("a write waited for persistence to free buffer space"),
        "{}",
        server.logs()
    );
    assert_eq!(
        count_rows(&server, &token, "cpu").await,
        2,
        "both writes are queryable"
    );
}

#[tokio::test]
async fn a_write_that_finds_the_buffer_full_for_too_long_is_refused_with_retry_after() {
    let server = full_buffer_server("1h", "1s");
    let (_, token) = server.database_with_token("db").await;
    let first = write(
        &server,
        &token,
        "/api/v2/write?bucket=db",
        "cpu,host=a usage=1",
    )
    .await;
    assert_eq!(first.0, StatusCode::NO_CONTENT, "{first:?}");

    let (status, retry_after, body) = write(
        &server,
        &token,
        "/api/v2/write?bucket=db",
        "cpu,host=b usage=2",
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(body["code"], "unavailable", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("the write buffer is full")
            && message.contains("has not freed space in 1 s")
            && message.contains("retry in 1 s"),
        "{message}"
    );
    let (status, retry_after, body) = write(
        &server,
        &token,
        "/api/v3/write_lp?db=db",
        "cpu,host=c usage=3",
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("the write buffer is full"),
        "{body}"
    );

    assert_eq!(waits(&server, "refused").await, 2);
    assert_eq!(waits(&server, "written").await, 0);
    assert_eq!(
        count_rows(&server, &token, "cpu").await,
        1,
        "the refused writes wrote nothing, the first stays"
    );
    assert!(
        server.logs().contains("request failed"),
        "a 503 is logged as a failure: {}",
        server.logs()
    );
}
