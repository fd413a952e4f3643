use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Server, assert_error};

fn actions(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_management_action_and_failed_authentication_is_audited() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    api.patch("/api/v0/databases/db", json!({"maxTables": 9}))
        .await;
    api.put("/api/v0/databases/db/rename", Some(json!({"name": "db2"})))
        .await;
    api.post("/api/v0/databases/db2/tables", json!({"name": "t"}))
        .await;
    api.put(
        "/api/v0/databases/db2/tables/t/rename",
        Some(json!({"name": "t2"})),
    )
    .await;
    api.delete("/api/v0/databases/db2/tables/t2").await;
    let (id, secret) = api
        .create_token(json!([{"action": "read", "resource": "db2"}]))
        .await;
    api.patch(&format!("/api/v0/tokens/{id}"), json!({"description": "x"}))
        .await;
    api.delete(&format!("/api/v0/tokens/{id}")).await;
    api.post("/api/v0/databases", json!({"name": "db2"})).await; // refused: conflict
    api.delete("/api/v0/databases/db2").await;
    api.with_token("strata_db_garbage")
        .get("/api/v0/databases")
        .await;
    api.with_token(&secret).get("/api/v0/databases").await; // revoked

    let (status, entries) = api.get("/api/v0/auditLog").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        actions(&entries),
        [
            "auth.failed",
            "auth.failed",
            "database.delete",
            "database.create",
            "token.revoke",
            "token.update",
            "token.create",
            "table.delete",
            "table.rename",
            "table.create",
            "database.rename",
            "database.update",
            "database.create",
            "managementToken.create",
        ]
    );
    let newest = &entries[0];
    assert_eq!(newest["outcome"], "denied");
    assert_eq!(newest["detail"], "revoked");
    assert_eq!(newest["actorKind"], "databaseToken");
    assert_eq!(newest["actorId"], id.as_str());
    assert_eq!(newest["sourceAddress"], "127.0.0.1");
    assert_eq!(entries[1]["detail"], "invalid");
    assert_eq!(entries[1]["actorKind"], "anonymous");
    assert_eq!(entries[3]["outcome"], "failed");
    assert!(
        entries[3]["detail"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    assert_eq!(entries[4]["target"], id.as_str());
    assert!(
        !entries.to_string().contains(&secret),
        "no secret in the audit log"
    );

    // Filters and pages.
    let (_, creates) = api.get("/api/v0/auditLog?action=database.create").await;
    assert_eq!(actions(&creates), ["database.create", "database.create"]);
    let actor = entries[2]["actorId"].as_str().unwrap();
    let (_, by_actor) = api.get(&format!("/api/v0/auditLog?actor={actor}")).await;
    assert_eq!(by_actor.as_array().unwrap().len(), 11);
    let (_, page) = api.get("/api/v0/auditLog?limit=2").await;
    assert_eq!(actions(&page), ["auth.failed", "auth.failed"]);
    let last = page[1]["id"].as_i64().unwrap();
    let (_, next) = api
        .get(&format!("/api/v0/auditLog?limit=2&before={last}"))
        .await;
    assert_eq!(actions(&next), ["database.delete", "database.create"]);
    let future = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let (_, none) = api
        .get(&format!("/api/v0/auditLog?since={}", urlencode(&future)))
        .await;
    assert_eq!(none, json!([]));
    let (_, all) = api
        .get(&format!("/api/v0/auditLog?until={}", urlencode(&future)))
        .await;
    assert_eq!(all.as_array().unwrap().len(), 14);

    assert_error(
        &api.get("/api/v0/auditLog?limit=0").await,
        StatusCode::BAD_REQUEST,
        "limit",
    );
    assert_error(
        &api.get("/api/v0/auditLog?since=yesterday").await,
        StatusCode::BAD_REQUEST,
        "RFC 3339",
    );
    assert_error(
        &api.get("/api/v0/auditLog?actor=me").await,
        StatusCode::BAD_REQUEST,
        "UUID",
    );
    assert_error(
        &api.get("/api/v0/auditLog?colour=red").await,
        StatusCode::BAD_REQUEST,
        "unknown field",
    );
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
