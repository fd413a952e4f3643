use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, Server, assert_error, eventually};

#[tokio::test]
async fn refused_credentials_get_401_saying_which() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let anonymous = server.anonymous();
    assert_error(
        &anonymous.get("/api/v0/databases").await,
        StatusCode::UNAUTHORIZED,
        "no credential",
    );
    for garbage in ["nope", "strata_mgmt_", "Bearer", &"a".repeat(80)] {
        assert_error(
            &api.with_token(garbage).get("/api/v0/databases").await,
            StatusCode::UNAUTHORIZED,
            "not valid",
        );
    }
    // Well-formed but unknown: a real token from another server's pepper.
    let other = Server::start();
    let foreign = other.bootstrap_token();
    assert_error(
        &api.with_token(&foreign).get("/api/v0/databases").await,
        StatusCode::UNAUTHORIZED,
        "not valid",
    );

    // A scheme other than Bearer/Token is refused; `Token` works like `Bearer`.
    let token = server.bootstrap_token();
    let basic = reqwest::Client::new()
        .get(format!("{}/api/v0/databases", server.base))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    let token_scheme = reqwest::Client::new()
        .get(format!("{}/api/v0/databases", server.base))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(token_scheme.status(), StatusCode::OK);
}

#[tokio::test]
async fn expired_and_revoked_management_tokens_are_refused() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let soon = chrono::Utc::now() + chrono::TimeDelta::milliseconds(1500);
    let (status, created) = api
        .post(
            "/api/v0/managementTokens",
            json!({"description": "short", "expiresAt": soon.to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let short = api.with_token(created["accessToken"].as_str().unwrap());
    assert_eq!(short.get("/api/v0/databases").await.0, StatusCode::OK);
    let expired = eventually(Duration::from_secs(5), async || {
        short.get("/api/v0/databases").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(expired);
    assert_error(
        &short.get("/api/v0/databases").await,
        StatusCode::UNAUTHORIZED,
        "expired",
    );

    let (_, created) = api
        .post(
            "/api/v0/managementTokens",
            json!({"description": "to revoke"}),
        )
        .await;
    let doomed = api.with_token(created["accessToken"].as_str().unwrap());
    assert_eq!(doomed.get("/api/v0/databases").await.0, StatusCode::OK);
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        api.delete(&format!("/api/v0/managementTokens/{id}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    // Refused on the very next request: the revoke is in force before its response returns.
    assert_error(
        &doomed.get("/api/v0/databases").await,
        StatusCode::UNAUTHORIZED,
        "revoked",
    );
}

#[tokio::test]
async fn database_tokens_get_403_on_every_management_route() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    let (_, secret) = api
        .create_token(
            json!([{"action": "read", "resource": "*"}, {"action": "write", "resource": "*"}]),
        )
        .await;
    let data = api.with_token(&secret);
    let id = uuid::Uuid::new_v4();
    let (_, clusters) = api.get("/api/v0/clusters").await;
    let account = clusters[0]["accountId"].as_str().unwrap();
    let cluster = clusters[0]["id"].as_str().unwrap();
    let mut checked = 0;
    for (method, path) in strata_server::served_routes() {
        // The data plane is where database tokens belong (tested in write.rs and query.rs).
        if strata_server::PUBLIC_PATHS.contains(&path.as_str())
            || strata_server::DATA_PATHS.contains(&path.as_str())
        {
            continue;
        }
        let path = path
            .replace("{accountId}", account)
            .replace("{clusterId}", cluster)
            .replace("{databaseName}", "db")
            .replace("{tableName}", "t")
            .replace("{tokenId}", &id.to_string());
        let body = (method != "get" && method != "delete")
            .then(|| json!({"name": "x", "description": "x"}));
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = data.send(method.clone(), &path, body).await;
        assert_error(
            &response,
            StatusCode::FORBIDDEN,
            "database tokens cannot use the Management API",
        );
        checked += 1;
    }
    assert_eq!(
        checked, 56,
        "every management route under both URL shapes, and clusters"
    );
    // And nothing changed.
    let (_, databases) = api.get("/api/v0/databases").await;
    assert_eq!(databases.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn management_tokens_mint_management_tokens_that_cannot_outlive_them() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let limit = chrono::Utc::now() + chrono::TimeDelta::hours(2);
    let (status, parent) = api
        .post(
            "/api/v0/managementTokens",
            json!({"description": "parent", "expiresAt": limit.to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{parent}");
    let parent_api = api.with_token(parent["accessToken"].as_str().unwrap());
    let parent_id = parent["id"].as_str().unwrap();

    let (status, child) = parent_api
        .post("/api/v0/managementTokens", json!({"description": "child"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{child}");
    assert_eq!(child["createdBy"], format!("managementToken:{parent_id}"));
    assert_eq!(
        child["expiresAt"], parent["expiresAt"],
        "a child without an expiry inherits its parent's"
    );

    let later = limit + chrono::TimeDelta::hours(1);
    assert_error(
        &parent_api
            .post(
                "/api/v0/managementTokens",
                json!({"description": "too long", "expiresAt": later.to_rfc3339()}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "cannot outlive",
    );
    assert_error(
        &api.post("/api/v0/managementTokens", json!({"description": " "}))
            .await,
        StatusCode::BAD_REQUEST,
        "description",
    );
    assert_error(
        &api.post(
            "/api/v0/managementTokens",
            json!({"description": "past", "expiresAt": "2001-01-01T00:00:00Z"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not in the future",
    );
    assert_error(
        &api.post(
            "/api/v0/managementTokens",
            json!({"description": "bad", "expiresAt": "tomorrow"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "RFC 3339",
    );
}

#[tokio::test]
async fn management_token_listing_keeps_revoked_tokens_and_never_shows_secrets() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let (_, created) = api
        .post("/api/v0/managementTokens", json!({"description": "ci"}))
        .await;
    let secret = created["accessToken"].as_str().unwrap().to_string();
    assert!(secret.starts_with("strata_mgmt_"));
    assert!(secret.starts_with(created["tokenPrefix"].as_str().unwrap()));
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        api.delete(&format!("/api/v0/managementTokens/{id}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.delete(&format!("/api/v0/managementTokens/{id}")).await,
        StatusCode::NOT_FOUND,
        "already revoked",
    );
    let (status, list) = api.get("/api/v0/managementTokens").await;
    assert_eq!(status, StatusCode::OK);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap();
    assert!(listed["revokedAt"].is_string());
    assert_eq!(listed["description"], "ci");
    assert!(!list.to_string().contains(&secret));
    let (status, got) = api.get(&format!("/api/v0/managementTokens/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(got["revokedAt"].is_string());
    assert!(got.get("accessToken").is_none());
    assert_error(
        &api.get("/api/v0/managementTokens/not-a-uuid").await,
        StatusCode::BAD_REQUEST,
        "not a UUID",
    );
    assert_error(
        &api.get(&format!(
            "/api/v0/managementTokens/{}",
            uuid::Uuid::new_v4()
        ))
        .await,
        StatusCode::NOT_FOUND,
        "not found",
    );
}

#[tokio::test]
async fn last_used_is_recorded() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let (_, created) = api
        .post("/api/v0/managementTokens", json!({"description": "used"}))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert!(created.get("lastUsedAt").is_none());
    api.with_token(created["accessToken"].as_str().unwrap())
        .get("/api/v0/databases")
        .await;
    let recorded = eventually(Duration::from_secs(5), async || {
        api.get(&format!("/api/v0/managementTokens/{id}")).await.1["lastUsedAt"].is_string()
    })
    .await;
    assert!(recorded);
}

#[tokio::test]
async fn no_secret_ever_reaches_the_logs() {
    let server = Server::start();
    let bootstrap = server.bootstrap_token();
    let api = server.api(&bootstrap);
    api.create_database("db").await;
    let (_, db_secret) = api
        .create_token(json!([{"action": "read", "resource": "db"}]))
        .await;
    let (_, mgmt) = api
        .post("/api/v0/managementTokens", json!({"description": "m"}))
        .await;
    let mgmt_secret = mgmt["accessToken"].as_str().unwrap().to_string();
    // Used, refused, and sent where they do not belong.
    api.with_token(&db_secret).get("/api/v0/databases").await;
    api.with_token(&mgmt_secret).get("/api/v0/tokens").await;
    api.with_token(&format!("{mgmt_secret}x"))
        .get("/api/v0/tokens")
        .await;
    api.get(&format!("/api/v0/tokens?secret={db_secret}")).await;
    let pepper = std::fs::read_to_string(server.data_dir.join("token-pepper")).unwrap();
    let logs = server.logs();
    assert!(logs.contains("request"), "debug logs were captured: {logs}");
    for secret in [bootstrap.as_str(), &db_secret, &mgmt_secret, pepper.trim()] {
        assert!(!logs.contains(secret), "a secret appears in the logs");
    }
}

#[tokio::test]
async fn no_token_outlives_the_credential_that_creates_it() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    api.create_database("db").await;
    let limit = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let (_, parent) = api
        .post(
            "/api/v0/managementTokens",
            json!({"description": "an hour", "expiresAt": limit.to_rfc3339()}),
        )
        .await;
    let hourly = api.with_token(parent["accessToken"].as_str().unwrap());
    let read_db = json!([{"action": "read", "resource": "db"}]);
    // A database token minted by it expires with it, or is refused past it.
    let (status, token) = hourly
        .post(
            "/api/v0/tokens",
            json!({"description": "app", "permissions": read_db}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["expiresAt"], parent["expiresAt"]);
    let later = limit + chrono::TimeDelta::days(1);
    assert_error(
        &hourly
            .post(
                "/api/v0/tokens",
                json!({"description": "app", "permissions": read_db, "expiresAt": later.to_rfc3339()}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "cannot outlive the credential that creates it",
    );
    // So does one minted with a user session, database or management token alike.
    let session = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.api(&session);
    let (_, minted) = admin
        .post(
            "/api/v0/tokens",
            json!({"description": "by a person", "permissions": read_db}),
        )
        .await;
    let (_, management) = admin
        .post(
            "/api/v0/managementTokens",
            json!({"description": "by a person"}),
        )
        .await;
    for token in [&minted, &management] {
        let expires: chrono::DateTime<chrono::Utc> =
            token["expiresAt"].as_str().unwrap().parse().unwrap();
        assert!(
            expires <= chrono::Utc::now() + chrono::TimeDelta::hours(1),
            "{token}"
        );
    }
    // A non-expiring management token still mints tokens that never expire.
    let (_, forever) = api
        .post(
            "/api/v0/tokens",
            json!({"description": "forever", "permissions": read_db}),
        )
        .await;
    assert!(forever.get("expiresAt").is_none(), "{forever}");

    // Making Admins and setting passwords: not with a token that expires.
    let admin_user = json!({"email": "eve@example.com", "group": "Admin"});
    assert_error(
        &hourly.post("/api/v0/users", admin_user.clone()).await,
        StatusCode::FORBIDDEN,
        "a management token that expires may not create or promote Admin users",
    );
    let (status, member) = hourly
        .post(
            "/api/v0/users",
            json!({"email": "eve@example.com", "group": "Member"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "members are fine: {member}");
    let eve = format!("/api/v0/users/{}", member["id"].as_str().unwrap());
    for change in [
        json!({"group": "Admin"}),
        json!({"password": "a long enough password"}),
    ] {
        assert_error(
            &hourly.patch(&eve, change).await,
            StatusCode::FORBIDDEN,
            "a management token that expires may not",
        );
    }
    let (status, _) = admin.patch(&eve, json!({"group": "Admin"})).await;
    assert_eq!(status, StatusCode::OK, "an Admin's session may");
    let (status, _) = api
        .patch(&eve, json!({"password": "a long enough password"}))
        .await;
    assert_eq!(status, StatusCode::OK, "a token that never expires may");
}

#[tokio::test]
async fn a_password_change_ends_the_users_sessions() {
    let server = Server::start();
    let session = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = server.api(&session);
    let (_, users) = admin.get("/api/v0/users").await;
    let me = format!("/api/v0/users/{}", users[0]["id"].as_str().unwrap());
    // Sessions carry whole seconds: the change must come in a later second than the sign-in.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = admin
        .patch(&me, json!({"password": "my new long password"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_error(
        &admin.get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "the session ended when the user's password was changed",
    );
    let fresh = server.sign_in(ADMIN_EMAIL, "my new long password").await;
    assert_eq!(
        server.api(&fresh).get("/api/v0/users").await.0,
        StatusCode::OK
    );
}
