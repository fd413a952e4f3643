use std::time::Duration;

use reqwest::StatusCode;

use crate::harness::{Server, admin, assert_error, eventually};

#[tokio::test]
async fn offline_tokens_work_at_once_and_revoke_reaches_the_server() {
    let server = Server::start();
    let out = admin(
        &server.data_dir,
        &[
            "management-token",
            "create",
            "--description",
            "iac",
            "--expires-at",
            "2099-01-01T00:00:00+0000",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the token alone on stdout");
    let token = stdout.trim();
    let api = server.api(token);
    assert_eq!(
        api.get("/api/v0/databases").await.0,
        StatusCode::OK,
        "honoured at once"
    );

    let out = admin(
        &server.data_dir,
        &["management-token", "list", "--format", "json"],
    );
    assert!(out.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["description"] == "iac")
        .unwrap();
    assert_eq!(entry["createdBy"], "system");
    assert_eq!(entry["expiresAt"], "2099-01-01T00:00:00Z");
    let id = entry["id"].as_str().unwrap().to_string();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(token));

    let out = admin(&server.data_dir, &["management-token", "revoke", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another process changed the catalog: the server's index refresh (1 s) picks it up.
    let refused = eventually(Duration::from_secs(5), async || {
        api.get("/api/v0/databases").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(refused, "the offline revoke reached the running server");
    assert_error(
        &api.get("/api/v0/databases").await,
        StatusCode::UNAUTHORIZED,
        "revoked",
    );
}

#[test]
fn admin_errors_name_the_problem_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = admin(
        dir.path(),
        &[
            "management-token",
            "create",
            "--description",
            "x",
            "--expires-at",
            "next week",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
    assert!(out.stdout.is_empty());

    let out = admin(
        dir.path(),
        &[
            "management-token",
            "create",
            "--description",
            "x",
            "--expires-at",
            "2001-01-01T00:00:00Z",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the future"));

    let missing = uuid::Uuid::new_v4().to_string();
    let out = admin(
        dir.path(),
        &["management-token", "revoke", "not-a-uuid", &missing],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a token id")
            && stderr.contains("not found")
            && stderr.contains("2 of 2"),
        "{stderr}"
    );
}

#[tokio::test]
async fn two_nodes_on_one_catalog_see_each_others_revocations() {
    let first = Server::start();
    let second = Server::builder().data_dir(&first.data_dir).start();
    let admin_api = first.api(&first.bootstrap_token());
    let (status, created) = admin_api
        .post(
            "/api/v0/managementTokens",
            serde_json::json!({"description": "shared"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = created["accessToken"].as_str().unwrap();
    // Minted on the first node, accepted at once by the second.
    assert_eq!(
        second.api(token).get("/api/v0/databases").await.0,
        StatusCode::OK
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        admin_api
            .delete(&format!("/api/v0/managementTokens/{id}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let refused = eventually(Duration::from_secs(5), async || {
        second.api(token).get("/api/v0/databases").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(
        refused,
        "a revocation on one node reaches the other within the refresh bound"
    );
}
