//! The sign-in page in a real browser: headless Chromium, driven by Playwright from
//! tests/browser/sign-in.mjs. scripts/test installs both and sets STRATA_TEST_BROWSER.

use reqwest::StatusCode;

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, Server};

#[tokio::test]
async fn a_person_signs_in_with_a_browser() {
    if std::env::var_os("STRATA_TEST_BROWSER").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "STRATA_TEST_BROWSER is not set; run the tests through scripts/test"
        );
        eprintln!("skipped: STRATA_TEST_BROWSER is not set (scripts/test sets it)");
        return;
    }
    let server = Server::start();
    let (status, codes) = server
        .form("/oauth/device/code", &[("client_id", "stratactl")])
        .await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/browser/sign-in.mjs"
    );
    let screenshot = server.data_dir.join("signed-in.png");
    let out = tokio::process::Command::new("node")
        .arg(script)
        .arg(codes["verification_uri_complete"].as_str().unwrap())
        .arg(codes["user_code"].as_str().unwrap())
        .arg(ADMIN_EMAIL)
        .arg(ADMIN_PASSWORD)
        .arg(&screenshot)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["title"], "Sign in to Strata");
    assert_eq!(seen["passwordEchoed"], false);
    assert_eq!(seen["emailKept"], ADMIN_EMAIL);
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 0);

    // The command line polling all along now gets its session.
    let (status, token) = server
        .poll_token(codes["device_code"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let session = token["access_token"].as_str().unwrap();
    assert_eq!(
        server.api(session).get("/api/v0/users").await.0,
        StatusCode::OK
    );
}
