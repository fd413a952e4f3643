//! Nodes on a PostgreSQL catalog: the many-machines shape. Needs STRATA_TEST_POSTGRES_URL
//! (scripts/test starts a throwaway PostgreSQL and sets it).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use crate::harness::{Server, eventually};

/// A new, empty database on the test PostgreSQL, or None (with a notice) outside CI.
async fn fresh_database() -> Option<String> {
    let Ok(url) = std::env::var("STRATA_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "STRATA_TEST_POSTGRES_URL is not set; run the tests through scripts/test"
        );
        eprintln!("skipped: STRATA_TEST_POSTGRES_URL is not set (scripts/test sets it)");
        return None;
    };
    let name = format!("strata_e2e_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    // The test server trusts loopback connections, so a password is accepted and ignored:
    // enough to check that it never reaches a log.
    let (base, _) = url.rsplit_once('/').unwrap();
    let base = base.replacen(
        "postgres://postgres@",
        "postgres://postgres:hunter2-secret@",
        1,
    );
    Some(format!("{base}/{name}"))
}

#[tokio::test]
async fn two_nodes_share_a_postgres_catalog() {
    let Some(catalog) = fresh_database().await else {
        return;
    };
    let pepper = "ab".repeat(32);
    let start = || {
        Server::builder()
            .arg("--catalog")
            .arg(catalog.clone())
            .env("STRATA_TOKEN_PEPPER", &pepper)
            .start()
    };
    let first = start();
    let second = start();
    assert!(
        !first.logs().contains("hunter2-secret")
            && first.logs().contains("postgres://postgres:***@"),
        "the catalog URL is logged with its password redacted"
    );

    let out = std::process::Command::new(crate::harness::strata_bin())
        .args([
            "admin",
            "management-token",
            "create",
            "--description",
            "pg",
            "--catalog",
            &catalog,
        ])
        .env("STRATA_TOKEN_PEPPER", &pepper)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let a = first.api(&token);
    let b = second.api(&token);
    a.create_database("shared").await;
    let (_, listed) = b.get("/api/v0/databases").await;
    assert_eq!(listed[0]["name"], "shared", "both nodes read one catalog");
    let (_, clusters_a) = a.get("/api/v0/clusters").await;
    let (_, clusters_b) = b.get("/api/v0/clusters").await;
    assert_eq!(
        clusters_a[0]["id"], clusters_b[0]["id"],
        "one cluster identity"
    );

    let (id, secret) = a
        .create_token(json!([{"action": "read", "resource": "shared"}]))
        .await;
    assert_eq!(
        b.with_token(&secret).get("/api/v0/databases").await.0,
        StatusCode::FORBIDDEN,
        "known to the other node at once"
    );
    assert_eq!(
        a.delete(&format!("/api/v0/tokens/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    let revoked = eventually(Duration::from_secs(5), async || {
        b.with_token(&secret).get("/api/v0/databases").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(revoked, "the revocation reached the other node");
}
