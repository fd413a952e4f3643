use reqwest::StatusCode;
use serde_json::{Value, json};

use std::time::Duration;

use crate::harness::{Server, assert_error, eventually};

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

    // Refused credentials are audited by a background writer: wait for both entries.
    let written = eventually(Duration::from_secs(5), async || {
        api.get("/api/v0/auditLog")
            .await
            .1
            .as_array()
            .unwrap()
            .len()
            == 14
    })
    .await;
    assert!(written, "{}", api.get("/api/v0/auditLog").await.1);
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
    let (_, system) = api.get("/api/v0/auditLog?actor=system").await;
    assert_eq!(actions(&system), ["managementToken.create"]);
    let (_, anonymous) = api.get("/api/v0/auditLog?actor=anonymous").await;
    assert_eq!(actions(&anonymous), ["auth.failed"]);
    assert_error(
        &api.get("/api/v0/auditLog?colour=red").await,
        StatusCode::BAD_REQUEST,
        "unknown field",
    );
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn undeletes_management_revokes_and_refusals_are_audited_without_secrets() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let db = api.create_database("db").await;
    let (_, table) = api
        .post("/api/v0/databases/db/tables", json!({"name": "t"}))
        .await;
    api.delete("/api/v0/databases/db/tables/t").await;
    api.put(
        &format!("/api/v0/databases/db/tables/{}/undelete", table["id"]),
        None,
    )
    .await;
    api.delete("/api/v0/databases/db").await;
    api.put(&format!("/api/v0/databases/{}/undelete", db["id"]), None)
        .await;
    let (_, mgmt) = api
        .post("/api/v0/managementTokens", json!({"description": "m"}))
        .await;
    api.delete(&format!(
        "/api/v0/managementTokens/{}",
        mgmt["id"].as_str().unwrap()
    ))
    .await;
    let (_, secret) = api
        .create_token(json!([{"action": "read", "resource": "db"}]))
        .await;
    api.with_token(&secret).get("/api/v0/users").await;
    // A secret pasted where an id goes: refused, and never stored.
    let response = api.delete(&format!("/api/v0/tokens/{secret}")).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "not a UUID");
    assert!(
        !response.1.to_string().contains(&secret),
        "the answer does not echo it"
    );
    api.with_token(&format!("{secret}garbage"))
        .get(&format!("/api/v0/tokens/{secret}"))
        .await;

    let complete = eventually(Duration::from_secs(5), async || {
        let (_, entries) = api.get("/api/v0/auditLog").await;
        actions(&entries)
            .iter()
            .filter(|a| a.starts_with("auth."))
            .count()
            == 2
    })
    .await;
    assert!(complete);
    let (_, entries) = api.get("/api/v0/auditLog").await;
    let seen = actions(&entries);
    for action in [
        "table.undelete",
        "database.undelete",
        "managementToken.revoke",
        "auth.forbidden",
        "auth.failed",
        "token.revoke",
    ] {
        assert!(
            seen.iter().any(|a| a == action),
            "{action} missing from {seen:?}"
        );
    }
    let text = entries.to_string();
    assert!(
        !text.contains(&secret),
        "no secret in the audit log: {text}"
    );
    let forbidden = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "auth.forbidden")
        .unwrap();
    assert_eq!(forbidden["target"], "GET /api/v0/users");
    assert_eq!(forbidden["actorKind"], "databaseToken");
    let failed_revoke = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "token.revoke")
        .unwrap();
    assert_eq!(failed_revoke["target"], "<not a token id>");
    assert_eq!(failed_revoke["outcome"], "failed");
}
