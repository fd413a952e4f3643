use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Server, assert_error};

#[tokio::test]
async fn database_token_lifecycle() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    api.create_database("other").await;
    let expires = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
    let (status, created) = api
        .post(
            "/api/v0/tokens",
            json!({"description": "app", "expiresAt": expires,
                   "permissions": [{"action": "write", "resource": "db"}, {"action": "read", "resource": "db"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["accessToken"].as_str().unwrap();
    assert!(
        secret.starts_with("strata_db_") && secret.len() >= 59,
        "{secret}"
    );
    let id = created["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert!(
        created["createdBy"]
            .as_str()
            .unwrap()
            .starts_with("managementToken:")
    );
    assert!(created["expiresAt"].is_string());
    assert_eq!(
        created["permissions"],
        json!([{"action": "read", "resource": "db"}, {"action": "write", "resource": "db"}])
    );

    let (status, got) = api.get(&format!("/api/v0/tokens/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(got.get("accessToken").is_none(), "the secret is shown once");
    assert_eq!(got["permissions"], created["permissions"]);

    // Update: description alone, then a permission set that replaces the old one.
    let (_, updated) = api
        .patch(
            &format!("/api/v0/tokens/{id}"),
            json!({"description": "renamed"}),
        )
        .await;
    assert_eq!(updated["description"], "renamed");
    assert_eq!(updated["permissions"], created["permissions"]);
    let (status, updated) = api
        .patch(
            &format!("/api/v0/tokens/{id}"),
            json!({"permissions": [{"action": "read", "resource": "other"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        updated["permissions"],
        json!([{"action": "read", "resource": "other"}])
    );
    assert_eq!(updated["description"], "renamed");
    assert_error(
        &api.patch(&format!("/api/v0/tokens/{id}"), json!({})).await,
        StatusCode::BAD_REQUEST,
        "description and/or permissions",
    );

    let (_, list) = api.get("/api/v0/tokens").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(secret));

    assert_eq!(
        api.delete(&format!("/api/v0/tokens/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.delete(&format!("/api/v0/tokens/{id}")).await,
        StatusCode::NOT_FOUND,
        "already revoked",
    );
    assert_eq!(
        api.get("/api/v0/tokens").await.1,
        json!([]),
        "revoked tokens are hidden"
    );
    let (_, with_revoked) = api.get("/api/v0/tokens?includeRevoked=true").await;
    assert!(with_revoked[0]["revokedAt"].is_string());
    let (status, revoked) = api.get(&format!("/api/v0/tokens/{id}")).await;
    assert_eq!(status, StatusCode::OK, "get shows revoked tokens too");
    assert!(revoked["revokedAt"].is_string());
    assert_error(
        &api.patch(&format!("/api/v0/tokens/{id}"), json!({"description": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "revoked",
    );
}

#[tokio::test]
async fn token_validation_errors() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    let cases = [
        (json!({"permissions": []}), "missing field `description`"),
        (json!({"description": " "}), "needs a description"),
        (
            json!({"description": "d", "permissions": [{"action": "delete", "resource": "db"}]}),
            "unknown variant",
        ),
        (
            json!({"description": "d", "permissions": [{"action": "read", "resource": "bad name"}]}),
            "database name or \"*\"",
        ),
        (
            json!({"description": "d", "permissions": [{"action": "read", "resource": "ghost"}]}),
            "does not exist",
        ),
        (
            json!({"description": "d", "expiresAt": "2001-01-01T00:00:00Z"}),
            "not in the future",
        ),
        (json!({"description": "d", "expiresAt": "soon"}), "RFC 3339"),
        (
            json!({"description": "d", "expirationType": "datetime"}),
            "needs expiresAt",
        ),
        (
            json!({"description": "d", "expirationType": "forever"}),
            "not supported",
        ),
        (json!({"description": "d", "scopes": []}), "unknown field"),
    ];
    for (body, words) in cases {
        assert_error(
            &api.post("/api/v0/tokens", body.clone()).await,
            StatusCode::BAD_REQUEST,
            words,
        );
    }
    assert_error(
        &api.get("/api/v0/tokens/123").await,
        StatusCode::BAD_REQUEST,
        "not a UUID",
    );
    let missing = uuid::Uuid::new_v4();
    assert_error(
        &api.get(&format!("/api/v0/tokens/{missing}")).await,
        StatusCode::NOT_FOUND,
        "not found",
    );
    assert_error(
        &api.delete(&format!("/api/v0/tokens/{missing}")).await,
        StatusCode::NOT_FOUND,
        "not found",
    );
    assert_eq!(
        api.get("/api/v0/tokens?includeRevoked=true").await.1,
        json!([]),
        "nothing was created"
    );

    // A token with no permissions, and one on every database (including later ones).
    let (status, empty) = api
        .post("/api/v0/tokens", json!({"description": "none"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["permissions"], json!([]));
    let (status, _) = api
        .post(
            "/api/v0/tokens",
            json!({"description": "all", "expirationType": "noExpiration",
                                       "permissions": [{"action": "read", "resource": "*"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_query_parameters_get_the_error_shape() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    assert_error(
        &api.get("/api/v0/tokens?includeRevoked=maybe").await,
        StatusCode::BAD_REQUEST,
        "bad query parameters",
    );
}

#[tokio::test]
async fn updates_are_validated_like_creates_and_secrets_are_not_cached() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    let (id, _) = api
        .create_token(json!([{"action": "read", "resource": "db"}]))
        .await;
    assert_error(
        &api.patch(
            &format!("/api/v0/tokens/{id}"),
            json!({"permissions": [{"action": "read", "resource": "ghost"}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "does not exist",
    );
    assert_error(
        &api.patch(&format!("/api/v0/tokens/{id}"), json!({"description": ""}))
            .await,
        StatusCode::BAD_REQUEST,
        "must not be empty",
    );
    let (_, got) = api.get(&format!("/api/v0/tokens/{id}")).await;
    assert_eq!(
        got["permissions"],
        json!([{"action": "read", "resource": "db"}]),
        "unchanged"
    );

    for path in ["/api/v0/tokens", "/api/v0/managementTokens"] {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", server.base))
            .bearer_auth(server.bootstrap_token())
            .json(&json!({"description": "cached?"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn permissions_follow_the_database_not_its_name() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("sensors").await;
    let (id, token) = api
        .create_token(json!([
            {"action": "read", "resource": "sensors"},
            {"action": "write", "resource": "sensors"}
        ]))
        .await;
    let write_with = async |token: &str, database: &str| {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v2/write?bucket={database}", server.base))
            .bearer_auth(token)
            .body("m v=1")
            .send()
            .await
            .unwrap();
        response.status()
    };
    let write = async |database: &str| write_with(&token, database).await;
    let query = async |database: &str, q: &str| {
        let response = reqwest::Client::new()
            .get(format!("{}/query", server.base))
            .bearer_auth(&token)
            .query(&[("db", database), ("q", q)])
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    assert_eq!(write("sensors").await, StatusCode::NO_CONTENT);

    // Renamed: the token keeps its access, and its permissions show the new name.
    let (status, _) = api
        .put(
            "/api/v0/databases/sensors/rename",
            Some(json!({"name": "plant"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(write("plant").await, StatusCode::NO_CONTENT);
    assert_eq!(query("plant", "SELECT v FROM m").await.0, StatusCode::OK);
    let (_, shown) = api.get(&format!("/api/v0/tokens/{id}")).await;
    assert_eq!(
        shown["permissions"],
        json!([
            {"action": "read", "resource": "plant"},
            {"action": "write", "resource": "plant"}
        ])
    );

    // Deleted, and another database made with its name: not the token's.
    assert_eq!(
        api.delete("/api/v0/databases/plant").await.0,
        StatusCode::NO_CONTENT
    );
    api.create_database("plant").await;
    assert_eq!(write("plant").await, StatusCode::FORBIDDEN);
    let (status, body) = query("plant", "SELECT v FROM m").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, databases) = query("", "SHOW DATABASES").await;
    assert!(!databases.contains("plant"), "{databases}");
    let (_, star) = api
        .create_token(json!([{"action": "write", "resource": "*"}]))
        .await;
    assert_eq!(
        write_with(&star, "plant").await,
        StatusCode::NO_CONTENT,
        "* covers new databases"
    );
}
