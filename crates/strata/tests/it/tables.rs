use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Server, assert_error};

#[tokio::test]
async fn tables_lifecycle() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let template = json!([{"type": "time", "value": "%Y"}, {"type": "tag", "value": "host"}]);
    api.post(
        "/api/v0/databases",
        json!({"name": "db", "partitionTemplate": template}),
    )
    .await;

    let (status, cpu) = api
        .post("/api/v0/databases/db/tables", json!({"name": "cpu"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cpu}");
    assert_eq!(cpu["databaseName"], "db");
    assert_eq!(cpu["name"], "cpu");
    assert_eq!(
        cpu["partitionTemplate"], template,
        "inherits the database's template"
    );
    let own = json!([{"type": "tag", "value": "region"}]);
    let (_, mem) = api
        .post(
            "/api/v0/databases/db/tables",
            json!({"name": "mem", "partitionTemplate": own}),
        )
        .await;
    assert_eq!(mem["partitionTemplate"], own);

    let (_, list) = api.get("/api/v0/databases/db/tables").await;
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cpu", "mem"]);

    assert_error(
        &api.post("/api/v0/databases/db/tables", json!({"name": "cpu"}))
            .await,
        StatusCode::CONFLICT,
        "already exists",
    );
    assert_error(
        &api.post("/api/v0/databases/db/tables", json!({"name": "iox_x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "reserved",
    );
    assert_error(
        &api.post("/api/v0/databases/db/tables", json!({"name": ""}))
            .await,
        StatusCode::BAD_REQUEST,
        "empty",
    );
    assert_error(
        &api.post("/api/v0/databases/nope/tables", json!({"name": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "\"nope\" not found",
    );
    assert_error(
        &api.get("/api/v0/databases/nope/tables").await,
        StatusCode::NOT_FOUND,
        "not found",
    );

    let (status, renamed) = api
        .put(
            "/api/v0/databases/db/tables/cpu/rename",
            Some(json!({"name": "cpu2"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["id"], cpu["id"]);
    assert_error(
        &api.put(
            "/api/v0/databases/db/tables/cpu2/rename",
            Some(json!({"name": "mem"})),
        )
        .await,
        StatusCode::CONFLICT,
        "already has a table",
    );

    assert_eq!(
        api.delete("/api/v0/databases/db/tables/cpu2").await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.delete("/api/v0/databases/db/tables/cpu2").await,
        StatusCode::NOT_FOUND,
        "not found",
    );
    let (_, deleted) = api.get("/api/v0/databases/db/tables?status=deleted").await;
    assert_eq!(deleted[0]["name"], "cpu2");
    assert!(deleted[0]["deletedAt"].is_string());

    let id = cpu["id"].as_i64().unwrap();
    api.post("/api/v0/databases/db/tables", json!({"name": "cpu2"}))
        .await;
    assert_error(
        &api.put(&format!("/api/v0/databases/db/tables/{id}/undelete"), None)
            .await,
        StatusCode::CONFLICT,
        "active table has that name",
    );
    api.delete("/api/v0/databases/db/tables/cpu2").await;
    let (status, restored) = api
        .put(&format!("/api/v0/databases/db/tables/{id}/undelete"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["status"], "active");
    assert_error(
        &api.put("/api/v0/databases/db/tables/cpu2/undelete", None)
            .await,
        StatusCode::BAD_REQUEST,
        "numeric id",
    );
}

#[tokio::test]
async fn the_table_limit_holds() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.post(
        "/api/v0/databases",
        json!({"name": "small", "maxTables": 1}),
    )
    .await;
    assert_eq!(
        api.post("/api/v0/databases/small/tables", json!({"name": "a"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &api.post("/api/v0/databases/small/tables", json!({"name": "b"}))
            .await,
        StatusCode::BAD_REQUEST,
        "maximum of 1 tables",
    );
    api.patch("/api/v0/databases/small", json!({"maxTables": 2}))
        .await;
    assert_eq!(
        api.post("/api/v0/databases/small/tables", json!({"name": "b"}))
            .await
            .0,
        StatusCode::OK
    );
}
