//! Sessions from an independent OIDC provider: npm `oidc-provider` on loopback
//! (tests/browser/oidc-provider.mjs), its device flow completed in headless Chromium.
//! scripts/test installs both and sets STRATA_TEST_BROWSER.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    NODE_HELPERS as HELPERS, Provider, Server, admin, assert_error, eventually, start_provider,
    start_provider_with_ttl,
};

fn enabled() -> bool {
    if std::env::var_os("STRATA_TEST_BROWSER").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "STRATA_TEST_BROWSER is not set; run the tests through scripts/test"
    );
    eprintln!("skipped: STRATA_TEST_BROWSER is not set (scripts/test sets it)");
    false
}

/// A session from the provider for `login`, through its device flow (approved in Chromium).
async fn provider_session(issuer: &str, login: &str) -> String {
    let http = reqwest::Client::new();
    let codes: Value = http
        .post(format!("{issuer}/device/auth"))
        .form(&[("client_id", "stratactl"), ("scope", "openid email")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out = tokio::process::Command::new("node")
        .arg(format!("{HELPERS}/oidc-sign-in.mjs"))
        .arg(codes["verification_uri_complete"].as_str().unwrap())
        .arg(login)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: Value = http
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", codes["device_code"].as_str().unwrap()),
            ("client_id", "stratactl"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no session from the provider: {token}"))
        .to_string()
}

fn external_server(provider: &Provider, audience: &str) -> Server {
    Server::builder()
        .arg("--oidc-issuer")
        .arg(provider.issuer.as_str())
        .arg("--oidc-audience")
        .arg(audience)
        .arg("--oidc-groups-claim")
        .arg("groups")
        .arg("--oidc-admin-group")
        .arg("strata-admins")
        .start()
}

#[tokio::test]
async fn sessions_from_an_external_provider() {
    if !enabled() {
        return;
    }
    let provider = start_provider();
    let server = external_server(&provider, "strata");
    for (email, group) in [
        ("alice@example.com", "auditor"),
        ("bob@example.com", "member"),
    ] {
        let out = admin(
            &server.data_dir,
            &["user", "add", "--email", email, "--group", group],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Strata points CLIs at the provider; its own sign-in endpoints are off.
    let (_, discovery) = server
        .anonymous()
        .get("/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery["issuer"], provider.issuer.as_str());
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{}/device/auth", provider.issuer)
    );
    assert_error(
        &server.anonymous().get("/oauth/jwks").await,
        StatusCode::NOT_FOUND,
        "identity provider at",
    );
    let (status, _) = server
        .form("/oauth/device/code", &[("client_id", "stratactl")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Alice is an Auditor in the catalog, but the provider's groups claim makes her Admin.
    let alice = server.api(&provider_session(&provider.issuer, "alice").await);
    assert_eq!(alice.get("/api/v0/users").await.0, StatusCode::OK);
    assert_eq!(
        alice
            .post("/api/v0/databases", json!({"name": "from-oidc"}))
            .await
            .0,
        StatusCode::OK
    );
    let (status, token) = alice
        .post("/api/v0/managementTokens", json!({"description": "ci"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert!(token["createdBy"].as_str().unwrap().starts_with("user:"));
    // Bob has no group at the provider: his catalog group (Member) applies.
    let bob_session = provider_session(&provider.issuer, "bob").await;
    let bob = server.api(&bob_session);
    assert_error(
        &bob.post("/api/v0/databases", json!({"name": "x"})).await,
        StatusCode::FORBIDDEN,
        "may not",
    );
    assert_eq!(bob.get("/api/v0/databases").await.0, StatusCode::OK);

    // Refusals: an unknown user, a forged signature, another audience, another issuer's key.
    let mallory = server.api(&provider_session(&provider.issuer, "mallory").await);
    assert_error(
        &mallory.get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "not a Strata user",
    );
    let mut forged = bob_session.clone().into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_error(
        &bob.with_token(&forged).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "signature",
    );
    let strict = external_server(&provider, "another-audience");
    assert_error(
        &strict.api(&bob_session).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "another audience",
    );
    let built_in = Server::start();
    let foreign = built_in
        .sign_in(crate::harness::ADMIN_EMAIL, crate::harness::ADMIN_PASSWORD)
        .await;
    assert_error(
        &bob.with_token(&foreign).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "algorithm",
    );

    // Each refusal is audited.
    let mgmt = server.api(&server.bootstrap_token());
    let audited = eventually(std::time::Duration::from_secs(5), async || {
        let (_, entries) = mgmt.get("/api/v0/auditLog?action=auth.failed").await;
        entries.as_array().unwrap().len() >= 3
    })
    .await;
    assert!(audited);
    let (_, entries) = mgmt.get("/api/v0/auditLog?action=auth.failed").await;
    let details: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("not a Strata user")),
        "{details:?}"
    );
}

#[tokio::test]
async fn expired_and_other_issuers_sessions_are_refused() {
    if !enabled() {
        return;
    }
    let provider = start_provider_with_ttl(2);
    let server = Server::builder()
        .arg("--oidc-issuer")
        .arg(provider.issuer.as_str())
        .arg("--session-clock-skew")
        .arg("0s")
        .start();
    let out = admin(
        &server.data_dir,
        &[
            "user",
            "add",
            "--email",
            "bob@example.com",
            "--group",
            "member",
        ],
    );
    assert!(out.status.success());
    let bob = server.api(&provider_session(&provider.issuer, "bob").await);
    assert_eq!(bob.get("/api/v0/users").await.0, StatusCode::OK);
    let expired = eventually(std::time::Duration::from_secs(6), async || {
        bob.get("/api/v0/users").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(expired);
    assert_error(
        &bob.get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "session expired",
    );

    // Another provider, same (development) signing keys, another issuer.
    let other = start_provider();
    let foreign = provider_session(&other.issuer, "bob").await;
    assert_error(
        &server.api(&foreign).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "another issuer",
    );
}

#[tokio::test]
async fn sessions_matched_by_subject() {
    if !enabled() {
        return;
    }
    let provider = start_provider();
    let server = Server::builder()
        .arg("--oidc-issuer")
        .arg(provider.issuer.as_str())
        .arg("--oidc-user-claim")
        .arg("sub")
        .start();
    // Carol's email in the catalog differs from the provider's: the subject decides.
    let out = admin(
        &server.data_dir,
        &[
            "user",
            "add",
            "--email",
            "carol.ops@example.net",
            "--subject",
            "carol",
            "--group",
            "admin",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(
        &server.data_dir,
        &[
            "user",
            "add",
            "--email",
            "dave@example.com",
            "--group",
            "admin",
        ],
    );
    assert!(out.status.success());
    let carol = server.api(&provider_session(&provider.issuer, "carol").await);
    let (status, users) = carol.get("/api/v0/users").await;
    assert_eq!(status, StatusCode::OK);
    let listed = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["subject"] == "carol")
        .unwrap();
    assert_eq!(listed["email"], "carol.ops@example.net");
    // Dave exists by email only: with subject matching, his session names nobody.
    let dave = server.api(&provider_session(&provider.issuer, "dave").await);
    assert_error(
        &dave.get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "not a Strata user",
    );
    // Subjects are unique, and set through the API too.
    let (status, created) = carol
        .post(
            "/api/v0/users",
            json!({"email": "erin@example.com", "group": "Member", "subject": "erin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["subject"], "erin");
    assert_error(
        &carol
            .post(
                "/api/v0/users",
                json!({"email": "x@example.com", "group": "Member", "subject": "erin"}),
            )
            .await,
        StatusCode::CONFLICT,
        "already exists",
    );
    assert_error(
        &carol
            .post(
                "/api/v0/users",
                json!({"email": "y@example.com", "group": "Member", "subject": " "}),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "blank",
    );
}

#[test]
fn an_unreachable_provider_stops_the_server_with_a_clear_error() {
    let out = Command::new(crate::harness::strata_bin())
        .args([
            "serve",
            "--http-bind",
            "127.0.0.1:0",
            "--oidc-issuer",
            "http://127.0.0.1:9",
            "--data-dir",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot use the identity provider at http://127.0.0.1:9"),
        "{stderr}"
    );
}

#[tokio::test]
async fn unverified_emails_are_refused_unless_allowed() {
    if !enabled() {
        return;
    }
    let provider = start_provider();
    let add = |server: &Server, email: &str| {
        let out = admin(
            &server.data_dir,
            &["user", "add", "--email", email, "--group", "member"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let strict = Server::builder()
        .arg("--oidc-issuer")
        .arg(provider.issuer.as_str())
        .start();
    add(&strict, "eve@example.com");
    add(&strict, "bob@example.com");
    let eve = provider_session(&provider.issuer, "eve").await;
    assert_error(
        &strict.api(&eve).get("/api/v0/users").await,
        StatusCode::UNAUTHORIZED,
        "email is not verified",
    );
    let bob = provider_session(&provider.issuer, "bob").await;
    assert_eq!(
        strict.api(&bob).get("/api/v0/users").await.0,
        StatusCode::OK
    );

    let relaxed = Server::builder()
        .arg("--oidc-issuer")
        .arg(provider.issuer.as_str())
        .arg("--oidc-allow-unverified-email")
        .start();
    add(&relaxed, "eve@example.com");
    assert_eq!(
        relaxed.api(&eve).get("/api/v0/users").await.0,
        StatusCode::OK
    );
}
