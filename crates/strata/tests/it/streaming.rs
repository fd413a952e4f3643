//! Answers stream: a query's rows go to the client batch by batch as they are computed, so an
//! answer far larger than the query's memory limit is sent whole over HTTP and Flight, a
//! format that must hold the whole answer is refused by that limit, and a query that fails
//! after its first rows ends its body in a way no client takes for a whole answer.

use arrow_flight::{FlightClient, Ticket};
use futures::TryStreamExt;
use reqwest::StatusCode;
use serde_json::json;
use tonic::transport::Channel;

use crate::harness::*;

/// Rows of the large answers: as JSON lines about 180 MB, as Arrow 80 MB, against a 16 MiB
/// query memory limit.
const ROWS: u64 = 10_000_000;

const MEMORY_LIMIT: &str = "16777216";

/// How much the server's peak memory may grow while it sends a large answer: well under the
/// answer's size, so a server that collected the answer first could not stay within it.
const GROWTH_ALLOWED: u64 = 64 << 20;

fn huge_sql() -> String {
    format!("SELECT value FROM generate_series(1, {ROWS})")
}

/// A GET of `/api/v3/query_sql` with these parameters, as `token`.
async fn query_sql(server: &Server, token: &str, params: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/v3/query_sql", server.base))
        .bearer_auth(token)
        .query(params)
        .send()
        .await
        .unwrap()
}

/// A Flight client of `server` sending `token` as a bearer token.
async fn flight_client(server: &Server, token: &str) -> FlightClient {
    let channel = Channel::from_shared(server.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightClient::new(channel);
    client
        .add_header("authorization", &format!("Bearer {token}"))
        .unwrap();
    client
}

/// The body of `response` read chunk by chunk without keeping it: its lines, its last
/// `keep` bytes, and the error that ended it if it did not end cleanly.
async fn read_through(
    mut response: reqwest::Response,
    keep: usize,
) -> (u64, String, Option<reqwest::Error>) {
    let mut lines = 0;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                tail.extend_from_slice(&chunk);
                if tail.len() > keep {
                    tail.drain(..tail.len() - keep);
                }
            }
            Ok(None) => return (lines, String::from_utf8_lossy(&tail).into_owned(), None),
            Err(e) => return (lines, String::from_utf8_lossy(&tail).into_owned(), Some(e)),
        }
    }
}

#[tokio::test]
async fn an_answer_many_times_the_query_memory_limit_streams_whole_over_http_and_flight() {
    let server = Server::builder()
        .arg("--query-memory-limit")
        .arg(MEMORY_LIMIT)
        .start();
    let (_, token) = server.database_with_token("db").await;
    let sql = huge_sql();

    let before = server.peak_memory();
    let response = query_sql(
        &server,
        &token,
        &[("db", "db"), ("q", &sql), ("format", "jsonl")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (lines, tail, error) = read_through(response, 64).await;
    assert!(error.is_none(), "the answer ended cleanly: {error:?}");
    assert_eq!(lines, ROWS, "every row arrived");
    assert!(tail.ends_with(&format!("{{\"value\":{ROWS}}}\n")), "{tail}");
    let grown = server.peak_memory().saturating_sub(before);
    assert!(
        grown < GROWTH_ALLOWED,
        "a {lines}-line answer grew the server by {grown} bytes"
    );

    // Flight's DoGet sends the same rows as Arrow batches.
    let before = server.peak_memory();
    let mut client = flight_client(&server, &token).await;
    let ticket = json!({"database": "db", "sql_query": sql, "query_type": "sql"});
    let mut batches = client
        .do_get(Ticket::new(ticket.to_string()))
        .await
        .unwrap();
    let mut rows = 0;
    while let Some(batch) = batches.try_next().await.unwrap() {
        rows += batch.num_rows() as u64;
    }
    assert_eq!(rows, ROWS);
    let grown = server.peak_memory().saturating_sub(before);
    assert!(
        grown < GROWTH_ALLOWED,
        "a {rows}-row Flight answer grew the server by {grown} bytes"
    );
}

#[tokio::test]
async fn a_format_that_holds_the_whole_answer_is_refused_by_the_query_memory_limit() {
    let server = Server::builder()
        .arg("--query-memory-limit")
        .arg(MEMORY_LIMIT)
        .start();
    let (_, token) = server.database_with_token("db").await;
    let sql = huge_sql();
    let response = query_sql(
        &server,
        &token,
        &[("db", "db"), ("q", &sql), ("format", "pretty")],
    )
    .await;
    let (status, body) = json_response(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("format=pretty lays out the whole answer")
            && error.contains("more than the 16777216 bytes a query may use")
            && error.contains("use format=csv or jsonl, which stream"),
        "{error}"
    );
    // The same query in a format that streams is answered.
    let response = query_sql(
        &server,
        &token,
        &[
            ("db", "db"),
            ("q", "SELECT value FROM generate_series(1, 3)"),
            ("format", "pretty"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_answer_that_fails_after_its_first_rows_ends_with_the_error_and_a_broken_body() {
    let server = Server::builder().arg("--query-timeout").arg("2s").start();
    let (_, token) = server.database_with_token("db").await;
    let endless = "SELECT value FROM generate_series(1, 1000000000000)";

    for (format, marker) in [
        (
            "jsonl",
            "{\"error\":\"the query ran longer than the 2s allowed",
        ),
        ("csv", "error\nthe query ran longer than the 2s allowed"),
    ] {
        let response = query_sql(
            &server,
            &token,
            &[("db", "db"), ("q", endless), ("format", format)],
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{format}: rows came first"
        );
        let (lines, tail, error) = read_through(response, 4096).await;
        assert!(lines > 0, "{format}: rows were sent before the timeout");
        assert!(tail.contains(marker), "{format}: {tail}");
        assert!(
            error.is_some(),
            "{format}: the body was cut off, not ended: a client cannot take it for whole"
        );
    }

    // Flight ends the stream with the error's status.
    let mut client = flight_client(&server, &token).await;
    let ticket = json!({"database": "db", "sql_query": endless});
    let mut batches = client
        .do_get(Ticket::new(ticket.to_string()))
        .await
        .unwrap();
    let mut rows = 0;
    let error = loop {
        match batches.try_next().await {
            Ok(Some(batch)) => rows += batch.num_rows(),
            Ok(None) => panic!("an endless answer ended cleanly after {rows} rows"),
            Err(e) => break e.to_string(),
        }
    };
    assert!(rows > 0);
    assert!(error.contains("ran longer than the 2s allowed"), "{error}");

    // The server carries on.
    let response = query_sql(&server, &token, &[("db", "db"), ("q", "SELECT 1 AS one")]).await;
    let (status, body) = json_response(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([{"one": 1}]));
}

#[tokio::test]
async fn an_answer_of_no_rows_is_answered_in_every_format() {
    let server = Server::start();
    let (_, token) = server.database_with_token("db").await;
    let none = "SELECT value FROM generate_series(1, 0)";
    for (format, expected) in [("json", "[]"), ("jsonl", ""), ("csv", "value\n")] {
        let response = query_sql(
            &server,
            &token,
            &[("db", "db"), ("q", none), ("format", format)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(response.text().await.unwrap(), expected, "{format}");
    }
    for format in ["pretty", "parquet"] {
        let response = query_sql(
            &server,
            &token,
            &[("db", "db"), ("q", none), ("format", format)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{format}");
    }
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
}
