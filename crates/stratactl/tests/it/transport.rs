//! Reaching the server: refused connections, timeouts, and TLS settings.

use std::time::{Duration, Instant};

use crate::common::{Ctl, TlsServer, free_port, host_port, silent_port, transcripts};

fn profile(host: &str, port: u16, tls: &str) -> String {
    format!(
        "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"{host}\"\n  port = \"{port}\"\n  mgmt_token = \"strata_mgmt_x\"\n  [profile.tls]\n{tls}\n"
    )
}

#[test]
fn an_unreachable_server_is_reported_clearly() {
    let port = free_port();
    let ctl = Ctl::new();
    ctl.write_config(&profile("127.0.0.1", port, "    disable = true"));
    let out = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has(&format!("cannot connect to http://127.0.0.1:{port}"))
        .stderr_has("check host and port of profile \"default\"");
    snap!("unreachable", ctl.hide_home(&out.transcript()));
}

#[test]
fn a_silent_server_times_out_within_the_timeout() {
    let (listener, port) = silent_port();
    let ctl = Ctl::new();
    ctl.write_config(&profile("127.0.0.1", port, "    disable = true"));
    let started = Instant::now();
    let out = ctl
        .run(&["--timeout", "1s", "database", "list"])
        .failure()
        .stderr_has(&format!("no answer from http://127.0.0.1:{port} within 1s"))
        .stderr_has("raise --timeout");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    snap!("timeout", out.transcript());
    drop(listener);
}

#[test]
fn tls_settings() {
    let TlsServer {
        server,
        dir,
        cert_path,
        key_path,
    } = TlsServer::start();
    let token = server.bootstrap_token();
    let (_, port) = host_port(&server);
    let port: u16 = port.parse().unwrap();
    let ctl = Ctl::new();
    let write = |tls: &str| {
        ctl.write_config(&profile("localhost", port, tls).replace("strata_mgmt_x", &token))
    };

    // The server's CA, given as [profile.tls] ca: verified TLS.
    write(&format!("    ca = \"{}\"", cert_path.display()));
    ctl.run(&["--debug", "database", "list"])
        .success()
        .stderr_has(&format!("endpoint https://localhost:{port} "));
    // Relative to the config file's directory.
    std::fs::copy(&cert_path, ctl.config_path().with_file_name("ca.pem")).unwrap();
    write("    ca = \"ca.pem\"");
    ctl.run(&["database", "list"]).success();

    // Without it the certificate is not trusted, and the error says what to set.
    write("");
    let untrusted = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("TLS handshake with https://localhost")
        .stderr_has("[profile.tls] ca");

    // insecure skips verification, with a warning.
    write("    insecure = true");
    ctl.run(&["database", "list"])
        .success()
        .stderr_has("certificate is not verified");

    // Plain HTTP to a TLS server fails.
    write("    disable = true");
    ctl.run(&["--timeout", "5s", "database", "list"]).failure();

    // TLS files that cannot be used are named.
    write("    ca = \"/nonexistent/ca.pem\"");
    let no_ca = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("/nonexistent/ca.pem");
    write(&format!("    ca = \"{}\"", key_path.display()));
    let not_a_cert = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("CA file");
    write(&format!("    key = \"{}\"", key_path.display()));
    ctl.run(&["database", "list"])
        .failure()
        .stderr_has("needs its certificate");
    // A client certificate and key are loaded (the server does not ask for one).
    write(&format!(
        "    ca = \"{}\"\n    cert = \"{}\"\n    key = \"{}\"",
        cert_path.display(),
        cert_path.display(),
        key_path.display()
    ));
    ctl.run(&["database", "list"]).success();
    write(&format!(
        "    cert = \"{}\"\n    key = \"{}\"",
        cert_path.display(),
        cert_path.display()
    ));
    ctl.run(&["database", "list"])
        .failure()
        .stderr_has("not a PEM certificate and private key");
    let tmp = dir.path().to_string_lossy().to_string();
    let text = ctl
        .hide_home(&transcripts(&[&untrusted, &no_ca, &not_a_cert]))
        .replace(&tmp, "[CERTS]")
        .replace(&format!("localhost:{port}"), "localhost:PPPPP");
    snap!("tls_errors", text);
}
