use reqwest::StatusCode;
use serde_json::json;

use std::time::Duration;

use crate::harness::{Server, assert_error};

#[tokio::test]
async fn health_ping_metrics_and_openapi_need_no_credential() {
    let server = Server::start();
    let api = server.anonymous();
    let (status, body) = api.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "pass");

    let ping = reqwest::get(format!("{}/ping", server.base)).await.unwrap();
    assert_eq!(ping.status(), StatusCode::NO_CONTENT);
    assert!(ping.headers().contains_key("x-influxdb-version"));
    let head = reqwest::Client::new()
        .head(format!("{}/ping", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::NO_CONTENT);

    let (status, doc) = api.get("/api/v0/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["paths"].as_object().is_some_and(|p| !p.is_empty()),
        "{doc}"
    );

    // A refused management call and a served one, then both show in the metrics.
    assert_eq!(
        api.get("/api/v0/databases").await.0,
        StatusCode::UNAUTHORIZED
    );
    let metrics = server.metrics().await;
    assert!(metrics.contains("strata_http_requests_total"), "{metrics}");
    assert!(
        metrics.contains(r#"route="/api/v0/databases""#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"status="401""#), "{metrics}");
    assert!(
        metrics.contains(r#"strata_token_checks_total{outcome="missing"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("strata_http_request_duration_seconds"),
        "{metrics}"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let server = Server::start();
    let api = server.anonymous();
    assert_error(
        &api.get("/api/v0/nothing-here").await,
        StatusCode::NOT_FOUND,
        "no such endpoint",
    );
    assert_error(
        &api.send(reqwest::Method::PUT, "/health", None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "not allowed",
    );
}

#[tokio::test]
async fn both_url_shapes_reach_the_same_resources() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let (status, clusters) = api.get("/api/v0/clusters").await;
    assert_eq!(status, StatusCode::OK);
    let cluster = &clusters[0];
    let account = cluster["accountId"].as_str().unwrap();
    let cluster_id = cluster["id"].as_str().unwrap();
    assert_eq!(cluster["state"], "ready");
    assert_eq!(cluster["url"], server.base.as_str());

    let dedicated = format!("/api/v0/accounts/{account}/clusters/{cluster_id}");
    let (status, created) = api
        .post(&format!("{dedicated}/databases"), json!({"name": "shaped"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["accountId"], account);
    assert_eq!(created["clusterId"], cluster_id);
    let (_, listed) = api.get("/api/v0/databases").await;
    assert_eq!(listed[0]["name"], "shaped");

    let (status, got) = api.get(&dedicated).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["id"], cluster_id);
    let (status, list) = api
        .get(&format!("/api/v0/accounts/{account}/clusters"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        api.get(&format!("/api/v0/clusters/{cluster_id}")).await.0,
        StatusCode::OK
    );

    let other = uuid::Uuid::new_v4();
    assert_error(
        &api.get(&format!(
            "/api/v0/accounts/{other}/clusters/{cluster_id}/databases"
        ))
        .await,
        StatusCode::NOT_FOUND,
        "account not found",
    );
    assert_error(
        &api.get(&format!(
            "/api/v0/accounts/{account}/clusters/{other}/databases"
        ))
        .await,
        StatusCode::NOT_FOUND,
        "cluster not found",
    );
    // Without a credential, ids cannot be probed: 401 whatever the ids.
    let anonymous = server.anonymous();
    assert_eq!(
        anonymous
            .get(&format!(
                "/api/v0/accounts/{other}/clusters/{cluster_id}/databases"
            ))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous
            .get(&format!(
                "/api/v0/accounts/{account}/clusters/{cluster_id}/databases"
            ))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_error(
        &api.get(&format!("/api/v0/clusters/{other}")).await,
        StatusCode::NOT_FOUND,
        "not found",
    );
}

#[tokio::test]
async fn a_new_server_has_exactly_one_user_the_first_admin() {
    let server = Server::start();
    let api = server.api(&server.bootstrap_token());
    let (status, users) = api.get("/api/v0/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
    assert_eq!(users[0]["email"], crate::harness::ADMIN_EMAIL);
    assert_eq!(users[0]["group"], "Admin");
}

#[tokio::test]
async fn identity_is_created_once_and_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::builder().data_dir(dir.path()).start();
    let token = first.bootstrap_token();
    let (_, before) = first.api(&token).get("/api/v0/clusters").await;
    assert!(
        first.logs().contains(before[0]["id"].as_str().unwrap()),
        "cluster id is logged at start"
    );
    drop(first);
    let second = Server::builder().data_dir(dir.path()).start();
    let (_, after) = second.api(&token).get("/api/v0/clusters").await;
    for key in ["id", "accountId", "createdAt", "name"] {
        assert_eq!(before[0][key], after[0][key], "{key}");
    }
}

#[tokio::test]
async fn sigterm_and_sigint_shut_down_gracefully() {
    for signal in ["TERM", "INT"] {
        let mut server = Server::start();
        assert!(
            server.terminate(signal),
            "SIG{signal}: exit status was not success"
        );
        assert!(server.logs().contains("stopped"), "{}", server.logs());
    }
}

#[tokio::test]
async fn binds_to_a_host_name() {
    let server = Server::builder().http_bind("localhost:0").start();
    assert_eq!(server.anonymous().get("/health").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_second_pepper_on_one_catalog_is_refused() {
    let server = Server::start();
    let out = std::process::Command::new(crate::harness::strata_bin())
        .args([
            "admin",
            "management-token",
            "create",
            "--description",
            "x",
            "--data-dir",
        ])
        .arg(&server.data_dir)
        .env("STRATA_TOKEN_PEPPER", "cd".repeat(32))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no token was printed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pepper differs"), "{stderr}");
}

#[tokio::test]
async fn serves_the_same_port_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let server = Server::builder()
        .arg("--tls-cert")
        .arg(cert_path.to_str().unwrap())
        .arg("--tls-key")
        .arg(key_path.to_str().unwrap())
        .start();
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let port = server.base.rsplit(':').next().unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let health = client
        .get(format!("https://localhost:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // Plain HTTP to the TLS port is not served.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/health")).await;
    assert!(plain.map_or(true, |r| r.status() != StatusCode::OK));
}

#[tokio::test]
async fn a_bad_flag_value_stops_the_server_with_a_clear_error() {
    let out = std::process::Command::new(crate::harness::strata_bin())
        .args(["serve", "--http-bind", "not-an-address", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--http-bind") && stderr.contains("HOST:PORT"),
        "{stderr}"
    );

    let out = std::process::Command::new(crate::harness::strata_bin())
        .args(["serve", "--soft-delete-window", "20000000w", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("100 years"));

    for (store, words) in [
        ("ftp://host/x", "file:///PATH or s3://BUCKET"),
        ("file://relative/dir", "absolute path"),
        ("s3://", "names no bucket"),
    ] {
        let out = std::process::Command::new(crate::harness::strata_bin())
            .args(["serve", "--object-store", store, "--data-dir"])
            .arg(tempfile::tempdir().unwrap().path())
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(words), "{store}: {stderr}");
    }

    let out = std::process::Command::new(crate::harness::strata_bin())
        .args(["serve", "--catalog", "mysql://x", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sqlite://") && stderr.contains("postgres://"),
        "{stderr}"
    );
}

#[tokio::test]
async fn plain_http_beyond_loopback_needs_insecure_http() {
    let out = std::process::Command::new(crate::harness::strata_bin())
        .args(["serve", "--http-bind", "0.0.0.0:0", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .env("STRATA_ADMIN_PASSWORD", crate::harness::ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--http-bind 0.0.0.0:")
            && stderr.contains("--tls-cert and --tls-key, or --insecure-http"),
        "{stderr}"
    );

    let server = Server::builder()
        .http_bind("0.0.0.0:0")
        .arg("--insecure-http")
        .start();
    assert!(
        server.logs().contains("serving plain HTTP beyond loopback"),
        "{}",
        server.logs()
    );
    let port = server.base.rsplit(':').next().unwrap();
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    let server = Server::builder()
        .data_dir(&data_dir)
        .arg("--persist-interval")
        .arg("1s")
        .start();
    let (_, token) = server.database_with_token("db").await;
    server.write_lines(&token, "db", "m v=1").await;
    let persisted = crate::harness::eventually(Duration::from_secs(30), async || {
        walk(&data_dir.join("objects"))
            .iter()
            .any(|path| path.extension().is_some_and(|e| e == "parquet"))
    })
    .await;
    assert!(persisted, "no Parquet file was written");
    let mut open = Vec::new();
    for path in std::iter::once(data_dir.clone()).chain(walk(&data_dir)) {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            open.push(format!("{} {mode:o}", path.display()));
        }
    }
    assert!(open.is_empty(), "open to other users: {open:#?}");
    // Everything the server keeps is there: catalog, WAL, keys, pepper, objects.
    for name in [
        "catalog.db",
        "wal",
        "identity-signing-key.json",
        "token-pepper",
        "objects",
    ] {
        assert!(data_dir.join(name).exists(), "{name}");
    }

    // An existing data directory open to others is made private at start.
    drop(server);
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = Server::builder().data_dir(&data_dir).start();
    let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(
        server.logs().contains("it is now 0700"),
        "{}",
        server.logs()
    );
}

/// Every file and directory below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}
