//! Arrow Flight `DoGet` with the JSON ticket, driven by pyarrow's Flight client and by the
//! official InfluxDB 3 Python client (influxdb3-python), on the server's one port.

use serde_json::{Value, json};

use crate::harness::*;

async fn fixture() -> (Server, Api, String) {
    let server = Server::start();
    let (mgmt, token) = server.database_with_token("db").await;
    (server, mgmt, token)
}

#[tokio::test]
async fn the_official_python_client_writes_and_reads_back_through_flight() {
    let Some(python) = python() else { return };
    let (server, _, token) = fixture().await;
    let rows = run_python(
        &python,
        "influxdb3_client.py",
        &[&server.base, &token, "db"],
    );
    assert_eq!(
        rows["sql"],
        json!([
            {"city": "oslo", "temp": -3.5, "humidity": 80, "time": 1_700_000_000_000_000_000i64},
            {"city": "lima", "temp": 19.25, "humidity": 71, "time": 1_700_000_000_000_000_001i64},
            {"city": "oslo", "temp": -4.0, "humidity": 82, "time": 1_700_000_000_000_000_002i64},
        ])
    );
    // InfluxQL through the same client: one row per city, at the time of its maximum.
    assert_eq!(
        rows["influxql"],
        json!([
            {"iox::measurement": "weather", "time": 1_700_000_000_000_000_001i64, "city": "lima", "max": 19.25},
            {"iox::measurement": "weather", "time": 1_700_000_000_000_000_000i64, "city": "oslo", "max": -3.5},
        ])
    );
}

#[tokio::test]
async fn flight_tickets_credentials_and_errors() {
    let Some(python) = python() else { return };
    let (server, mgmt, token) = fixture().await;
    let url = server.base.replace("http://", "grpc+tcp://");
    let query = |token: &str, database: &str, sql: &str, kind: &str| {
        run_python(
            &python,
            "flight_query.py",
            &[&url, token, database, sql, kind],
        )
    };
    server
        .write_lines(&token, "db", "m,host=a v=1 1\nm,host=b v=2 2\n")
        .await;

    let answer = query(&token, "db", "SELECT host, v FROM m ORDER BY v", "sql");
    assert_eq!(
        answer,
        json!({"rows": [{"host": "a", "v": 1.0}, {"host": "b", "v": 2.0}]})
    );

    let error = |answer: Value| {
        (
            answer["error"].as_str().unwrap_or_default().to_string(),
            answer["message"].as_str().unwrap_or_default().to_string(),
        )
    };
    let (kind, _) = error(query("", "db", "SELECT 1", "sql"));
    assert_eq!(kind, "FlightUnauthenticatedError");
    let (kind, _) = error(query("strata_db_not-a-token", "db", "SELECT 1", "sql"));
    assert_eq!(kind, "FlightUnauthenticatedError");
    let (_, write_only) = mgmt
        .create_token(json!([{"action": "write", "resource": "db"}]))
        .await;
    let (kind, message) = error(query(&write_only, "db", "SELECT 1", "sql"));
    assert_eq!(kind, "FlightUnauthorizedError", "{message}");
    assert!(
        message.contains("may not read database \"db\""),
        "{message}"
    );
    let management = server.bootstrap_token();
    let (kind, _) = error(query(&management, "db", "SELECT 1", "sql"));
    assert_eq!(kind, "FlightUnauthorizedError");
    let (kind, message) = error(query(&token, "db", "SELECT * FROM nope", "sql"));
    assert_eq!(kind, "ArrowInvalid", "{message}");
    assert!(message.contains("nope"), "{message}");
    let (_, message) = error(query(&token, "db", "SELECT 1", "graphql"));
    assert!(message.contains("query_type \"graphql\""), "{message}");
}
