use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Server, assert_error};

#[tokio::test]
async fn create_with_defaults_and_with_every_setting() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let plain = api.create_database("plain").await;
    assert_eq!(plain["maxTables"], 500);
    assert_eq!(plain["maxColumnsPerTable"], 250);
    assert_eq!(plain["retentionPeriod"], 0);
    assert_eq!(plain["status"], "active");
    assert!(plain["id"].as_i64().unwrap() >= 1);
    assert!(plain.get("partitionTemplate").is_none());

    let template = json!([
        {"type": "time", "value": "%Y-%m"},
        {"type": "tag", "value": "region"},
        {"type": "bucket", "value": {"tagName": "host", "numberOfBuckets": 10}}
    ]);
    let (status, full) = api
        .post(
            "/api/v0/databases",
            json!({"name": "full/autogen", "maxTables": 10, "maxColumnsPerTable": 20,
                   "retentionPeriod": 3_600_000_000_000i64, "partitionTemplate": template}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["maxTables"], 10);
    assert_eq!(full["maxColumnsPerTable"], 20);
    assert_eq!(full["retentionPeriod"], 3_600_000_000_000i64);
    assert_eq!(full["partitionTemplate"], template);

    let (_, zeros) = api
        .post(
            "/api/v0/databases",
            json!({"name": "zeros", "maxTables": 0, "maxColumnsPerTable": 0}),
        )
        .await;
    assert_eq!(zeros["maxTables"], 500, "0 takes the default");
    assert_eq!(zeros["maxColumnsPerTable"], 250);

    let (status, list) = api.get("/api/v0/databases").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["full/autogen", "plain", "zeros"]);
}

#[tokio::test]
async fn every_validation_error_says_what_was_wrong() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("taken").await;
    let cases = [
        (json!({"name": ""}), "between 1 and 64"),
        (json!({"name": "x".repeat(65)}), "between 1 and 64"),
        (json!({"name": "has space"}), "contains ' '"),
        (json!({"name": "_internal"}), "must not start with '_'"),
        (
            json!({"name": "r", "retentionPeriod": 1_800_000_000_000i64}),
            "minimum of 1 hour",
        ),
        (json!({"name": "r", "retentionPeriod": -1}), "negative"),
        (json!({"name": "t", "maxTables": -5}), "maxTables"),
        (
            json!({"name": "c", "maxColumnsPerTable": 1001}),
            "maxColumnsPerTable",
        ),
        (
            json!({"name": "p", "partitionTemplate": []}),
            "between 1 and 8",
        ),
        (
            json!({"name": "p", "partitionTemplate": [{"type": "time", "value": "%H"}]}),
            "not supported",
        ),
        (
            json!({"name": "p", "partitionTemplate": [{"type": "tag", "value": "a"}, {"type": "tag", "value": "a"}]}),
            "more than once",
        ),
        (json!({"name": "u", "retention": 5}), "unknown field"),
        (json!({"maxTables": 5}), "missing field `name`"),
        (json!({"name": 5}), "invalid type"),
    ];
    for (body, words) in cases {
        assert_error(
            &api.post("/api/v0/databases", body.clone()).await,
            StatusCode::BAD_REQUEST,
            words,
        );
    }
    assert_error(
        &api.post("/api/v0/databases", json!({"name": "taken"}))
            .await,
        StatusCode::CONFLICT,
        "already exists",
    );
    let raw = reqwest::Client::new()
        .post(format!("{}/api/v0/databases", server.base))
        .bearer_auth(server.bootstrap_token())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    assert!(raw.text().await.unwrap().contains("not valid JSON"));
    let no_type = reqwest::Client::new()
        .post(format!("{}/api/v0/databases", server.base))
        .bearer_auth(server.bootstrap_token())
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), StatusCode::BAD_REQUEST);
    assert!(no_type.text().await.unwrap().contains("Content-Type"));
    // Nothing of the refused requests was created.
    assert_eq!(
        api.get("/api/v0/databases")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn update_changes_only_what_is_given() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    let (status, updated) = api
        .patch("/api/v0/databases/db", json!({"maxTables": 7}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["maxTables"], 7);
    assert_eq!(updated["maxColumnsPerTable"], 250);
    assert_eq!(updated["retentionPeriod"], 0);
    let (_, updated) = api
        .patch(
            "/api/v0/databases/db",
            json!({"retentionPeriod": 86_400_000_000_000i64, "maxColumnsPerTable": 100}),
        )
        .await;
    assert_eq!(updated["maxTables"], 7);
    assert_eq!(updated["maxColumnsPerTable"], 100);
    assert_eq!(updated["retentionPeriod"], 86_400_000_000_000i64);
    assert_error(
        &api.patch("/api/v0/databases/db", json!({})).await,
        StatusCode::BAD_REQUEST,
        "at least one",
    );
    assert_error(
        &api.patch("/api/v0/databases/db", json!({"retentionPeriod": 5}))
            .await,
        StatusCode::BAD_REQUEST,
        "1 hour",
    );
    assert_error(
        &api.patch("/api/v0/databases/db", json!({"name": "x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "unknown field",
    );
    assert_error(
        &api.patch("/api/v0/databases/missing", json!({"maxTables": 1}))
            .await,
        StatusCode::NOT_FOUND,
        "\"missing\" not found",
    );
}

#[tokio::test]
async fn soft_delete_undelete_and_name_reuse() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let original = api.create_database("metrics").await;
    let id = original["id"].as_i64().unwrap();
    assert_eq!(
        api.delete("/api/v0/databases/metrics").await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.delete("/api/v0/databases/metrics").await,
        StatusCode::NOT_FOUND,
        "not found",
    );
    assert_eq!(api.get("/api/v0/databases").await.1, json!([]));
    let (_, deleted) = api.get("/api/v0/databases?status=deleted").await;
    assert_eq!(deleted[0]["id"], id);
    assert_eq!(deleted[0]["status"], "deleted");
    assert!(deleted[0]["deletedAt"].is_string());
    assert_error(
        &api.get("/api/v0/databases?status=gone").await,
        StatusCode::BAD_REQUEST,
        "active, deleted or all",
    );

    // The name is free again; while a new database holds it, undelete is refused.
    let reused = api.create_database("metrics").await;
    assert_ne!(reused["id"], id);
    assert_error(
        &api.put(&format!("/api/v0/databases/{id}/undelete"), None)
            .await,
        StatusCode::CONFLICT,
        "active database has that name",
    );
    let (status, renamed) = api
        .put(
            "/api/v0/databases/metrics/rename",
            Some(json!({"name": "metrics-new"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["id"], reused["id"], "rename keeps the id");
    let (status, restored) = api
        .put(&format!("/api/v0/databases/{id}/undelete"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["name"], "metrics");
    assert_eq!(restored["status"], "active");
    assert_error(
        &api.put(&format!("/api/v0/databases/{id}/undelete"), None)
            .await,
        StatusCode::CONFLICT,
        "not deleted",
    );
    assert_error(
        &api.put("/api/v0/databases/metrics/undelete", None).await,
        StatusCode::BAD_REQUEST,
        "numeric id",
    );
    assert_error(
        &api.put("/api/v0/databases/999/undelete", None).await,
        StatusCode::NOT_FOUND,
        "no database has id 999",
    );
    let (_, all) = api.get("/api/v0/databases?status=all").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn rename_errors() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("a").await;
    api.create_database("b").await;
    assert_error(
        &api.put("/api/v0/databases/a/rename", Some(json!({"name": "b"})))
            .await,
        StatusCode::CONFLICT,
        "already exists",
    );
    assert_error(
        &api.put(
            "/api/v0/databases/a/rename",
            Some(json!({"name": "bad name"})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "contains",
    );
    assert_error(
        &api.put("/api/v0/databases/zzz/rename", Some(json!({"name": "c"})))
            .await,
        StatusCode::NOT_FOUND,
        "not found",
    );
}

#[tokio::test]
async fn undelete_is_refused_after_the_window() {
    let server = Server::builder()
        .arg("--soft-delete-window")
        .arg("1s")
        .start();
    let api = server.api(&server.bootstrap_token());
    let db = api.create_database("brief").await;
    api.delete("/api/v0/databases/brief").await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_error(
        &api.put(&format!("/api/v0/databases/{}/undelete", db["id"]), None)
            .await,
        StatusCode::NOT_FOUND,
        "undelete window has passed",
    );
}

#[tokio::test]
async fn malformed_paths_big_bodies_and_huge_numbers_get_json_errors() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    assert_error(
        &api.patch("/api/v0/databases/%FF", json!({"maxTables": 1}))
            .await,
        StatusCode::BAD_REQUEST,
        "bad path",
    );
    // Without a credential the path is not even looked at.
    assert_eq!(
        server
            .anonymous()
            .patch("/api/v0/databases/%FF", json!({}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // A body just over the limit (2 MiB): sent whole over a raw socket, so the client never
    // races the server's early answer, which it may give before reading the last bytes.
    let token = server.bootstrap_token();
    let address = server.base.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let body = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        let mut socket = std::net::TcpStream::connect(address).unwrap();
        write!(
            socket,
            "POST /api/v0/databases HTTP/1.1\r\nHost: strata\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = socket.read(&mut buffer) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            if String::from_utf8_lossy(&answer).contains("too large") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#""code":413"#) && answer.contains("too large"),
        "{answer}"
    );
    assert_error(
        &api.post(
            "/api/v0/databases",
            json!({"name": "big", "maxTables": 3_000_000_000i64}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid value",
    );
    assert_error(
        &api.patch("/api/v0/databases/db", json!({"retentionPeriod": 1e300}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid type",
    );
    assert_eq!(
        api.get("/api/v0/databases")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
