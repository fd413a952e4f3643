//! Users, groups and the built-in identity provider, over HTTP.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Api, Server, assert_error, client_from, eventually,
};

/// Adds a user with a password through the Management API; returns their id.
async fn add_user(api: &Api, email: &str, group: &str) -> String {
    let (status, user) = api
        .post(
            "/api/v0/users",
            json!({"email": email, "firstName": "Test", "lastName": group, "group": group,
                   "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_device_flow_from_start_to_session() {
    let server = Server::start();
    let (device_code, user_code) = server.start_device_flow().await;
    assert!(
        user_code.len() == 9 && user_code.as_bytes()[4] == b'-',
        "{user_code}"
    );

    let (status, pending) = server.poll_token(&device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(pending["error"], "authorization_pending");
    let (_, fast) = server.poll_token(&device_code).await;
    assert_eq!(fast["error"], "slow_down", "polled again at once");

    // The page a person opens: the code filled in, fields named as scripts expect.
    let page = reqwest::get(format!("{}/device?user_code={user_code}", server.base))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{user_code}\"")));
    for field in ["name=\"user_code\"", "name=\"email\"", "name=\"password\""] {
        assert!(html.contains(field), "{field}");
    }
    assert!(!html.contains("<script"), "works without JavaScript");

    let (status, html) = server
        .submit_sign_in(&user_code, ADMIN_EMAIL, "wrong password here", "approve")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        html.contains("role=\"alert\"") && html.contains("wrong email or password"),
        "{html}"
    );
    assert!(
        !html.contains("wrong password here"),
        "the password is never echoed"
    );
    let (status, html) = server
        .submit_sign_in("ZZZZ-ZZZ", ADMIN_EMAIL, ADMIN_PASSWORD, "approve")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("not valid"), "{html}");
    let (status, html) = server
        .submit_sign_in("BBBB-BBBB", ADMIN_EMAIL, ADMIN_PASSWORD, "approve")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("no sign-in is waiting"), "{html}");

    // Typed loosely: lower case, no dash.
    let loose = user_code.replace('-', "").to_lowercase();
    let (status, html) = server
        .submit_sign_in(&loose, ADMIN_EMAIL, ADMIN_PASSWORD, "approve")
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("You are signed in"));

    tokio::time::sleep(Duration::from_secs(5)).await; // the poll interval
    let (status, token) = server.poll_token(&device_code).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 3600);
    let session = token["access_token"].as_str().unwrap();
    let (_, again) = server.poll_token(&device_code).await;
    assert_eq!(
        again["error"], "invalid_grant",
        "a device code yields one session"
    );

    let api = server.api(session);
    let (status, users) = api.get("/api/v0/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users[0]["email"], ADMIN_EMAIL);
    assert_eq!(users[0]["group"], "Admin");

    let (_, audit) = api.get("/api/v0/auditLog").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"login.approve") && actions.contains(&"login.failed"),
        "{actions:?}"
    );
    assert!(!audit.to_string().contains(ADMIN_PASSWORD));
}

#[tokio::test]
async fn denied_expired_and_malformed_grants() {
    let server = Server::builder()
        .arg("--device-code-lifetime")
        .arg("1s")
        .start();
    let (device_code, user_code) = server.start_device_flow().await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, expired) = server.poll_token(&device_code).await;
    assert_eq!(expired["error"], "expired_token");
    let (status, html) = server
        .submit_sign_in(&user_code, ADMIN_EMAIL, ADMIN_PASSWORD, "approve")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");

    let server = Server::start();
    let (device_code, user_code) = server.start_device_flow().await;
    let (status, html) = server
        .submit_sign_in(&user_code, ADMIN_EMAIL, ADMIN_PASSWORD, "deny")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("denied"));
    let (_, denied) = server.poll_token(&device_code).await;
    assert_eq!(denied["error"], "access_denied");

    let (_, unsupported) = server
        .form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("device_code", "x"),
                ("client_id", "stratactl"),
            ],
        )
        .await;
    assert_eq!(unsupported["error"], "unsupported_grant_type");
    let (_, unknown) = server.poll_token("not-a-device-code").await;
    assert_eq!(unknown["error"], "invalid_grant");
    let (device_code, _) = server.start_device_flow().await;
    let (_, other_client) = server
        .form(
            "/oauth/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &device_code),
                ("client_id", "someone-else"),
            ],
        )
        .await;
    assert_eq!(other_client["error"], "invalid_grant");
    let (status, missing) = server.form("/oauth/device/code", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(missing["error"], "invalid_request");
}

/// `times` sign-ins as the first Admin with a wrong password through `client`.
async fn fail_sign_ins(server: &Server, client: &reqwest::Client, user_code: &str, times: usize) {
    for _ in 0..times {
        let (status, _) = server
            .submit_sign_in_with(
                client,
                user_code,
                ADMIN_EMAIL,
                "not the password",
                "approve",
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let server = Server::start();
    let (_, user_code) = server.start_device_flow().await;
    let attacker = client_from(2);
    fail_sign_ins(&server, &attacker, &user_code, 5).await;
    let (status, html) = server
        .submit_sign_in_with(
            &attacker,
            &user_code,
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            "approve",
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "that address waits for that email, even with the right password"
    );
    assert!(html.contains("too many failed sign-ins"), "{html}");
    // The same address may still sign in as someone else...
    let mgmt = server.api(&server.bootstrap_token());
    add_user(&mgmt, "other@example.com", "Member").await;
    let (status, html) = server
        .submit_sign_in_with(
            &attacker,
            &user_code,
            "other@example.com",
            "a long enough password",
            "deny",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // ...and the real user, from their own address, signs in.
    let (_, user_code) = server.start_device_flow().await;
    let (status, html) = server
        .submit_sign_in_with(
            &client_from(3),
            &user_code,
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            "approve",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
}

#[tokio::test]
async fn many_failures_for_one_email_delay_its_sign_ins_but_never_refuse_them() {
    let server = Server::start();
    let (_, user_code) = server.start_device_flow().await;
    // Twenty failures for one email from four addresses, five each.
    for n in 2..6 {
        fail_sign_ins(&server, &client_from(n), &user_code, 5).await;
    }
    let delays = async || {
        server
            .metrics()
            .await
            .lines()
            .find_map(|line| line.strip_prefix("strata_sign_in_delays_total "))
            .map_or(0, |v| v.trim().parse::<u64>().unwrap())
    };
    assert_eq!(delays().await, 0);
    let (status, html) = server
        .submit_sign_in_with(
            &client_from(6),
            &user_code,
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            "approve",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "delayed, not refused: {html}");
    assert_eq!(delays().await, 1);
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_address() {
    let server = Server::start();
    let (_, user_code) = server.start_device_flow().await;
    // Twenty failures from one address, each for a different email (so no per-user limit).
    for i in 0..20 {
        let (status, _) = server
            .submit_sign_in(
                &user_code,
                &format!("guess{i}@example.com"),
                "not the password",
                "approve",
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (status, html) = server
        .submit_sign_in(&user_code, ADMIN_EMAIL, ADMIN_PASSWORD, "approve")
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address waits, whoever signs in"
    );
    assert!(html.contains("too many failed sign-ins"), "{html}");
}

#[tokio::test]
async fn discovery_and_jwks_describe_the_provider() {
    let server = Server::start();
    let api = server.anonymous();
    let (status, discovery) = api.get("/.well-known/openid-configuration").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(discovery["issuer"], server.base.as_str());
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{}/oauth/device/code", server.base)
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth/token", server.base)
    );
    let (_, jwks) = api.get("/oauth/jwks").await;
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["alg"], "EdDSA");
    assert!(key["kid"].is_string() && key["x"].is_string());
    assert!(key.get("d").is_none(), "no private part");
}

/// One session per group, and what each may do (SPEC §2).
#[tokio::test]
async fn the_permission_matrix_for_user_sessions() {
    let server = Server::start();
    let admin = server.api(&server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await);
    admin.create_database("db").await;
    add_user(&admin, "member@example.com", "Member").await;
    add_user(&admin, "auditor@example.com", "Auditor").await;
    let member = server.api(
        &server
            .sign_in("member@example.com", "a long enough password")
            .await,
    );
    let auditor = server.api(
        &server
            .sign_in("auditor@example.com", "a long enough password")
            .await,
    );

    // Reads: everyone.
    for (who, api) in [
        ("admin", &admin),
        ("member", &member),
        ("auditor", &auditor),
    ] {
        for path in [
            "/api/v0/databases",
            "/api/v0/databases/db/tables",
            "/api/v0/tokens",
            "/api/v0/users",
            "/api/v0/clusters",
        ] {
            assert_eq!(api.get(path).await.0, StatusCode::OK, "{who} {path}");
        }
    }
    // Databases and tables: Admin only.
    let refused = "your user group may not";
    for api in [&member, &auditor] {
        assert_error(
            &api.post("/api/v0/databases", json!({"name": "x"})).await,
            StatusCode::FORBIDDEN,
            refused,
        );
        assert_error(
            &api.patch("/api/v0/databases/db", json!({"maxTables": 9}))
                .await,
            StatusCode::FORBIDDEN,
            refused,
        );
        assert_error(
            &api.post("/api/v0/databases/db/tables", json!({"name": "t"}))
                .await,
            StatusCode::FORBIDDEN,
            refused,
        );
        assert_error(
            &api.delete("/api/v0/databases/db").await,
            StatusCode::FORBIDDEN,
            refused,
        );
    }
    assert_eq!(
        admin
            .post("/api/v0/databases/db/tables", json!({"name": "t"}))
            .await
            .0,
        StatusCode::OK
    );
    // Database tokens: Admin and Member, within what they may grant.
    let (id, _) = member
        .create_token(json!([{"action": "read", "resource": "db"}]))
        .await;
    assert_eq!(
        member
            .patch(&format!("/api/v0/tokens/{id}"), json!({"description": "m"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        member.delete(&format!("/api/v0/tokens/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    admin
        .create_token(json!([{"action": "write", "resource": "*"}]))
        .await;
    assert_error(
        &auditor
            .post("/api/v0/tokens", json!({"description": "a"}))
            .await,
        StatusCode::FORBIDDEN,
        refused,
    );
    // Users: Admin only.
    for api in [&member, &auditor] {
        assert_error(
            &api.post(
                "/api/v0/users",
                json!({"email": "x@example.com", "group": "Member"}),
            )
            .await,
            StatusCode::FORBIDDEN,
            refused,
        );
    }
    // Management tokens: only Admin creates; Auditor may list; Member may not even list.
    let (status, created) = admin
        .post("/api/v0/managementTokens", json!({"description": "ci"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        created["createdBy"].as_str().unwrap().starts_with("user:"),
        "{created}"
    );
    let mgmt_id = created["id"].as_str().unwrap();
    for api in [&member, &auditor] {
        assert_error(
            &api.post("/api/v0/managementTokens", json!({"description": "x"}))
                .await,
            StatusCode::FORBIDDEN,
            refused,
        );
        assert_error(
            &api.delete(&format!("/api/v0/managementTokens/{mgmt_id}"))
                .await,
            StatusCode::FORBIDDEN,
            refused,
        );
    }
    assert_eq!(
        auditor.get("/api/v0/managementTokens").await.0,
        StatusCode::OK
    );
    assert_error(
        &member.get("/api/v0/managementTokens").await,
        StatusCode::FORBIDDEN,
        refused,
    );
    // The audit log: Admin and Auditor.
    assert_eq!(auditor.get("/api/v0/auditLog").await.0, StatusCode::OK);
    assert_error(
        &member.get("/api/v0/auditLog").await,
        StatusCode::FORBIDDEN,
        refused,
    );
    assert_eq!(
        admin
            .delete(&format!("/api/v0/managementTokens/{mgmt_id}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn users_are_managed_and_removal_ends_their_sessions() {
    let server = Server::start();
    let admin = server.api(&server.bootstrap_token());
    let id = add_user(&admin, " Grace@Example.com ", "Member").await;
    let (_, user) = admin.get(&format!("/api/v0/users/{id}")).await;
    assert_eq!(user["email"], "grace@example.com", "emails are normalized");
    let session = server
        .sign_in("GRACE@example.com", "a long enough password")
        .await;
    let grace = server.api(&session);
    assert_error(
        &grace.post("/api/v0/databases", json!({"name": "x"})).await,
        StatusCode::FORBIDDEN,
        "may not",
    );

    // Promotion takes effect on the very next request of the same session.
    let (status, promoted) = admin
        .patch(
            &format!("/api/v0/users/{id}"),
            json!({"group": "admin", "firstName": "Grace"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{promoted}");
    assert_eq!(promoted["group"], "Admin");
    assert_eq!(
        grace
            .post("/api/v0/databases", json!({"name": "x"}))
            .await
            .0,
        StatusCode::OK
    );

    let validation = [
        (
            json!({"email": "not-an-email", "group": "Member"}),
            "not an email address",
        ),
        (
            json!({"email": "a@example.com", "group": "Owner"}),
            "not one of Admin, Member or Auditor",
        ),
        (
            json!({"email": "a@example.com", "group": "Member", "password": "short"}),
            "too short",
        ),
        (
            json!({"email": "grace@example.com", "group": "Member"}),
            "already exists",
        ),
        (json!({"email": "a@example.com"}), "missing field `group`"),
    ];
    for (body, words) in validation {
        let response = admin.post("/api/v0/users", body).await;
        let status = if words == "already exists" {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_error(&response, status, words);
    }
    assert_error(
        &admin.patch(&format!("/api/v0/users/{id}"), json!({})).await,
        StatusCode::BAD_REQUEST,
        "at least one",
    );
    assert_error(
        &admin.get("/api/v0/users/nope").await,
        StatusCode::BAD_REQUEST,
        "not a UUID",
    );

    assert_eq!(
        admin.delete(&format!("/api/v0/users/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &grace.get("/api/v0/databases").await,
        StatusCode::UNAUTHORIZED,
        "no longer exists",
    );
    assert_error(
        &admin.get(&format!("/api/v0/users/{id}")).await,
        StatusCode::NOT_FOUND,
        "not found",
    );

    // The last Admin stays.
    let (_, users) = admin.get("/api/v0/users").await;
    let last_admin = users[0]["id"].as_str().unwrap();
    assert_error(
        &admin.delete(&format!("/api/v0/users/{last_admin}")).await,
        StatusCode::CONFLICT,
        "last Admin",
    );
    assert_error(
        &admin
            .patch(
                &format!("/api/v0/users/{last_admin}"),
                json!({"group": "Member"}),
            )
            .await,
        StatusCode::CONFLICT,
        "last Admin",
    );
}

#[tokio::test]
async fn forged_and_expired_sessions_are_refused() {
    let server = Server::builder()
        .arg("--session-lifetime")
        .arg("2s")
        .arg("--session-clock-skew")
        .arg("0s")
        .start();
    let session = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = server.api(&session);
    assert_eq!(api.get("/api/v0/users").await.0, StatusCode::OK);

    // Change one character inside the signature (not the last, which holds padding bits).
    let mut forged = session.clone().into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_error(
        &api.with_token(&forged).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "signature",
    );
    assert_error(
        &api.with_token("a.b.c").get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "malformed session",
    );
    // A session from another server: a key this one does not know.
    let other = Server::start();
    let foreign = other.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_error(
        &api.with_token(&foreign).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "unknown key",
    );

    let expired = eventually(Duration::from_secs(6), async || {
        api.get("/api/v0/users").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(expired);
    assert_error(
        &api.get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "session expired",
    );
    let (_, audit) = server
        .api(&server.bootstrap_token())
        .get("/api/v0/auditLog?action=auth.failed")
        .await;
    let details: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.contains(&"session expired")
            && details.contains(&"session signature does not verify"),
        "{details:?}"
    );
}

#[tokio::test]
async fn signing_keys_rotate_and_old_sessions_keep_working() {
    let server = Server::builder()
        .arg("--signing-key-rotation")
        .arg("2s")
        .start();
    let session = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let kid_of = |jwt: &str| -> String {
        use base64::Engine;
        let header = jwt.split('.').next().unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap();
        serde_json::from_slice::<Value>(&header).unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first_kid = kid_of(&session);
    let rotated = eventually(Duration::from_secs(10), async || {
        server.anonymous().get("/oauth/jwks").await.1["keys"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    })
    .await;
    assert!(rotated, "a second key was published");
    // A key is published before the node signs with it, so a sign-in right after the JWKS
    // changes may still get the old key; within a rotation period it gets the new one.
    let mut newer = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for _ in 0..20 {
        if kid_of(&newer) != first_kid {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        newer = server.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }
    assert_ne!(kid_of(&newer), first_kid, "new sessions use the new key");
    assert_eq!(
        server.api(&session).get("/api/v0/users").await.0,
        StatusCode::OK,
        "old sessions still verify"
    );
    let key_file = std::fs::metadata(server.data_dir.join("identity-signing-key.json")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key_file.permissions().mode() & 0o777, 0o600);
}

#[tokio::test]
async fn the_first_admin_gets_a_generated_password_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::builder()
        .data_dir(dir.path())
        .env("STRATA_ADMIN_EMAIL", "Root@Example.com")
        .env_remove("STRATA_ADMIN_PASSWORD")
        .start();
    let logs = server.logs();
    let password = logs
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password printed: {logs}"))
        .to_string();
    assert!(password.len() >= 20);
    let session = server.sign_in("root@example.com", &password).await;
    assert_eq!(
        server.api(&session).get("/api/v0/users").await.0,
        StatusCode::OK
    );
    drop(server);
    let again = Server::builder()
        .data_dir(dir.path())
        .env_remove("STRATA_ADMIN_PASSWORD")
        .start();
    assert!(
        !again.logs().contains("password: "),
        "shown only on the first start"
    );
}

#[test]
fn offline_user_commands() {
    use crate::harness::admin;
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("pw");
    std::fs::write(&password, "offline password 1\n").unwrap();
    let out = admin(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Ops@Example.com",
            "--first-name",
            "Op",
            "--group",
            "auditor",
            "--password-file",
            password.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    let out = admin(
        dir.path(),
        &["user", "set-group", "ops@example.com", "member"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(dir.path(), &["user", "list", "--format", "json"]);
    let users: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(users[0]["email"], "ops@example.com");
    assert_eq!(users[0]["group"], "Member");
    let out = admin(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "ops@example.com",
            "--group",
            "admin",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = admin(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "x@example.com",
            "--group",
            "owner",
        ],
    );
    assert!(!out.status.success());
    let out = admin(dir.path(), &["user", "remove", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(dir.path(), &["user", "remove", "ops@example.com"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user has the email"));
}

#[tokio::test]
async fn unauthenticated_sign_in_endpoints_are_cheap_to_refuse() {
    let server = Server::start();
    let catalog = server.data_dir.join("catalog.db");
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let before = size(&catalog) + size(&catalog.with_extension("db-wal"));
    // 40 sign-in posts with a 1 MB field: refused for their size, or throttled after the
    // first 30 (give or take the few a busy node answers before it has counted the ones
    // before them). Either refusal may come before the body is read, and then the
    // connection may close under the sender instead.
    let junk = "x".repeat(1 << 20);
    let (mut too_large, mut throttled, mut cut) = (0, 0, 0);
    for _ in 0..40 {
        let sent = reqwest::Client::new()
            .post(format!("{}/device", server.base))
            .form(&[
                ("user_code", "BCDF-GHJK"),
                ("email", &junk),
                ("password", &junk),
            ])
            .send()
            .await;
        match sent.map(|response| response.status()) {
            Ok(StatusCode::PAYLOAD_TOO_LARGE) => too_large += 1,
            Ok(StatusCode::TOO_MANY_REQUESTS) => throttled += 1,
            Err(_) => cut += 1,
            Ok(other) => panic!("a 1 MB sign-in was answered {other}"),
        }
    }
    assert!(
        too_large + cut >= 30 && throttled + cut >= 5,
        "{too_large} refused for size, {throttled} throttled, {cut} cut off"
    );
    let after = size(&catalog) + size(&catalog.with_extension("db-wal"));
    assert!(
        after < before + (256 << 10),
        "the catalog grew from {before} to {after} bytes"
    );

    // Fields are bounded.
    let long = "c".repeat(300);
    let (status, answer) = server
        .form("/oauth/device/code", &[("client_id", &long)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["error_description"],
        "client_id is longer than 256 bytes"
    );
    let (_, answer) = server
        .form(
            "/oauth/device/code",
            &[("client_id", "stratactl"), ("scope", &long)],
        )
        .await;
    assert_eq!(
        answer["error_description"],
        "scope is longer than 256 bytes"
    );
    let (_, answer) = server
        .form(
            "/oauth/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &long),
                ("client_id", "stratactl"),
            ],
        )
        .await;
    assert_eq!(
        answer["error_description"],
        "device_code is longer than 256 bytes"
    );

    // Device codes per address: the throttle comes before validation and the catalog.
    let mut answers = Vec::new();
    for _ in 0..10 {
        answers.push(server.form("/oauth/device/code", &[]).await.0);
    }
    let (status, answer) = server
        .form("/oauth/device/code", &[("client_id", "stratactl")])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert_eq!(answer["code"], 429);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("from your address"),
        "{answer}"
    );
    assert_eq!(
        answers
            .iter()
            .filter(|s| **s == StatusCode::BAD_REQUEST)
            .count(),
        8,
        "two of the ten went to the requests above: {answers:?}"
    );
    // Another address is not held back.
    let response = client_from(2)
        .post(format!("{}/oauth/device/code", server.base))
        .form(&[("client_id", "stratactl")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let user_code = response.json::<Value>().await.unwrap()["user_code"]
        .as_str()
        .unwrap()
        .to_string();

    // Refusals are audited without what was typed.
    let pasted = "correct horse battery staple";
    let (status, _) = server
        .submit_sign_in_with(
            &client_from(3),
            &user_code,
            pasted,
            "whatever it is",
            "approve",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .submit_sign_in_with(
            &client_from(3),
            &user_code,
            "nobody@example.com",
            pasted,
            "approve",
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .submit_sign_in_with(&client_from(3), &user_code, ADMIN_EMAIL, pasted, "approve")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mgmt = server.api(&server.bootstrap_token());
    let (_, users) = mgmt.get("/api/v0/users").await;
    let admin_id = users[0]["id"].as_str().unwrap().to_string();
    let mut failed = Vec::new();
    assert!(
        eventually(Duration::from_secs(10), async || {
            let (_, audit) = mgmt.get("/api/v0/auditLog?action=login.failed").await;
            failed = audit.as_array().unwrap().clone();
            failed.len() == 3
        })
        .await,
        "{failed:?}"
    );
    let text = serde_json::to_string(&failed).unwrap();
    assert!(!text.contains(pasted) && !text.contains("nobody"), "{text}");
    assert!(!text.contains(&junk[..100]), "{text}");
    let targets: Vec<&str> = failed
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets[0], admin_id, "a known user is named by id");
    assert!(targets[1].starts_with("unknown email #"), "{targets:?}");
    assert!(targets[2].starts_with("unknown email #"), "{targets:?}");
    let details: Vec<&str> = failed
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        [
            "wrong email or password",
            "wrong email or password",
            "malformed email"
        ]
    );
    // The server carries on.
    assert_eq!(server.anonymous().get("/health").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_sign_in_page_names_its_client_and_cannot_be_framed() {
    let server = Server::start();
    let (_, user_code) = server.start_device_flow().await;
    let page = reqwest::Client::new()
        .get(format!("{}/device?user_code={user_code}", server.base))
        .header("x-request-id", "my-request-1")
        .send()
        .await
        .unwrap();
    let headers = page.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-request-id"], "my-request-1");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Requested by <strong>stratactl</strong>"),
        "{html}"
    );
    // Without a waiting code, no client is named; every answer has its own request id.
    let page = reqwest::get(format!("{}/device?user_code=BCDF-GHJK", server.base))
        .await
        .unwrap();
    assert!(page.headers()["x-request-id"].to_str().unwrap().len() >= 32);
    assert!(!page.text().await.unwrap().contains("Requested by"));
    let api = reqwest::get(format!("{}/health", server.base))
        .await
        .unwrap();
    assert_eq!(api.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn the_audit_log_is_pruned_past_its_retention() {
    let server = Server::builder().arg("--audit-retention").arg("5s").start();
    let mgmt = server.api(&server.bootstrap_token());
    mgmt.create_database("kept-briefly").await;
    let created = async || {
        let (_, audit) = mgmt.get("/api/v0/auditLog?action=database.create").await;
        audit.as_array().unwrap().len()
    };
    assert_eq!(created().await, 1);
    assert!(
        eventually(Duration::from_secs(30), async || created().await == 0).await,
        "the entry outlived its retention"
    );
}
