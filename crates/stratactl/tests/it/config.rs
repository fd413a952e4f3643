//! Connection profiles: the file format and its errors, choosing a profile, the credential
//! precedence, and both URL shapes.

use crate::common::{Ctl, Env, clustered_profile, host_port, transcripts};
use crate::harness::Server;

/// Every key of influxctl's profile format is accepted.
#[test]
fn every_documented_key_is_accepted() {
    let env = Env::start();
    let (host, port) = host_port(&env.server);
    env.ctl.write_config(&format!(
        r#"## stratactl - example configuration
[[profile]]
  name = "default"
  product = "clustered"
  host = "{host}"
  port = "{port}"
  account_id = "11111111-1111-1111-1111-111111111111"
  cluster_id = "22222222-2222-2222-2222-222222222222"
  mgmt_token = "{token}"
  database = "mydb"
  token = "strata_db_notused"
  [profile.tls]
    insecure = false
    disable = true
  [profile.auth.oauth2]
    client_id = "stratactl"
    scopes = ["openid", "profile"]
    parameters = {{ audience = "" }}
    token_url = "https://idp.example.com/token"
    device_url = "https://idp.example.com/device"
  [profile.auth.token]
    token_file = "admin-token.json"

[[profile]]
  name = "other"
  product = "dedicated"
  port = 8086
"#,
        token = env.token
    ));
    env.ok(&["database", "list"]);
}

#[test]
fn config_file_errors_name_the_key_and_line() {
    let ctl = Ctl::new();
    let mut outs = Vec::new();
    for (case, text) in [
        (
            "unknown key",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  hots = \"x\"\n",
        ),
        (
            "unknown TLS key",
            "[[profile]]\n  name = \"default\"\n  [profile.tls]\n    verify = false\n",
        ),
        (
            "unknown oauth2 key (removed client_secret)",
            "[[profile]]\n  name = \"default\"\n  [profile.auth.oauth2]\n    client_secret = \"s\"\n",
        ),
        (
            "unknown top-level table",
            "[default]\n  account_id = \"x\"\n",
        ),
        (
            "duplicate profile",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n\n[[profile]]\n  name = \"default\"\n  product = \"dedicated\"\n",
        ),
        (
            "bad product",
            "[[profile]]\n  name = \"default\"\n  product = \"serverless\"\n",
        ),
        (
            "profile without a name",
            "[[profile]]\n  product = \"clustered\"\n",
        ),
        ("TOML syntax", "[[profile]\n  name = \"default\"\n"),
        ("no profile", "# nothing here\n"),
        (
            "no product",
            "[[profile]]\n  name = \"default\"\n  host = \"h\"\n  mgmt_token = \"t\"\n",
        ),
        (
            "no host",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  mgmt_token = \"t\"\n",
        ),
        (
            "bad port",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"h\"\n  port = \"https\"\n  mgmt_token = \"t\"\n",
        ),
        (
            "host with a scheme",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"https://h\"\n  mgmt_token = \"t\"\n",
        ),
        (
            "dedicated without ids",
            "[[profile]]\n  name = \"default\"\n  product = \"dedicated\"\n  host = \"h\"\n  mgmt_token = \"t\"\n",
        ),
        (
            "no credential",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"h\"\n",
        ),
        (
            "no credential, identity provider configured",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"h\"\n  [profile.auth.oauth2]\n    client_id = \"c\"\n",
        ),
        (
            "client certificate without key",
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"h\"\n  mgmt_token = \"t\"\n  [profile.tls]\n    cert = \"client.pem\"\n",
        ),
    ] {
        ctl.write_config(text);
        let out = ctl.run(&["database", "list"]).failure();
        outs.push(format!("## {case}\n{}", out.transcript()));
    }
    let text = outs.join("\n");
    snap!("config_file_errors", ctl.hide_home(&text));
    assert!(text.contains("unknown field `hots`") && text.contains("line 4"));
    assert!(text.contains("defined twice (first on line 2)") && text.contains("line 6"));
}

#[test]
fn choosing_the_file_and_the_profile() {
    let server = Server::start();
    let token = server.bootstrap_token();
    let ctl = Ctl::new();
    let good = clustered_profile("good", &server, &format!("  mgmt_token = \"{token}\""));
    let other = ctl.write_file("other.toml", &good);

    // No file at the default place.
    let missing = ctl.run(&["database", "list"]).failure();
    // --config and STRATACTL_CONFIG; a missing profile names the ones there are.
    let no_default = ctl
        .run(&["--config", other.to_str().unwrap(), "database", "list"])
        .failure()
        .stderr_has("profile \"default\" not found")
        .stderr_has("(it has: good)");
    ctl.run(&[
        "--config",
        other.to_str().unwrap(),
        "--profile",
        "good",
        "database",
        "list",
    ])
    .success();
    ctl.run_env(
        &[
            ("STRATACTL_CONFIG", other.to_str().unwrap()),
            ("STRATACTL_PROFILE", "good"),
        ],
        &["database", "list"],
    )
    .success();
    // The flag wins over the variable.
    ctl.run_env(
        &[
            ("STRATACTL_CONFIG", "/nonexistent/config.toml"),
            ("STRATACTL_PROFILE", "bad"),
        ],
        &[
            "--config",
            other.to_str().unwrap(),
            "--profile",
            "good",
            "database",
            "list",
        ],
    )
    .success();
    let explicit_missing = ctl
        .run(&["--config", "/nonexistent/config.toml", "database", "list"])
        .failure()
        .stderr_has("/nonexistent/config.toml does not exist");
    // The default file, and global flags written after the command.
    ctl.write_config(&good);
    ctl.run(&["database", "list", "--profile", "good"])
        .success();
    snap!(
        "choosing_the_file_and_the_profile",
        ctl.hide_home(&transcripts(&[&missing, &no_default, &explicit_missing]))
    );
}

#[test]
fn credential_precedence() {
    let server = Server::start();
    let good = server.bootstrap_token();
    let bad = "strata_mgmt_notavalidtoken";
    let ctl = Ctl::new();
    let raw_file = ctl.write_file("raw-token", &format!("{good}\n"));
    // Read below through a path relative to the config file.
    let _json_file = ctl.write_file("token.json", &format!("{{\"token\": \"{good}\"}}"));
    let bad_file = ctl.write_file("bad-token", bad);
    let profile = |extra: &str| clustered_profile("default", &server, extra);
    let list = |envs: &[(&str, &str)]| ctl.run_env(envs, &["--debug", "database", "list"]);

    // token_file: the token alone, or JSON {"token": …}; relative to the config file or absolute.
    ctl.write_config(&profile(&format!(
        "  [profile.auth.token]\n    token_file = \"{}\"",
        raw_file.display()
    )));
    list(&[])
        .success()
        .stderr_has("credential: the token in token_file");
    ctl.write_config(&profile(
        "  [profile.auth.token]\n    token_file = \"../../token.json\"",
    ));
    list(&[]).success();
    // mgmt_token beats token_file.
    ctl.write_config(&profile(&format!(
        "  mgmt_token = \"{good}\"\n  [profile.auth.token]\n    token_file = \"{}\"",
        bad_file.display()
    )));
    list(&[])
        .success()
        .stderr_has("credential: the mgmt_token of profile \"default\"");
    ctl.write_config(&profile(&format!(
        "  mgmt_token = \"{bad}\"\n  [profile.auth.token]\n    token_file = \"{}\"",
        raw_file.display()
    )));
    list(&[]).failure().stderr_has("401");
    // STRATACTL_MGMT_TOKEN beats both.
    list(&[("STRATACTL_MGMT_TOKEN", &good)])
        .success()
        .stderr_has("credential: the management token in STRATACTL_MGMT_TOKEN");
    ctl.write_config(&profile(&format!("  mgmt_token = \"{good}\"")));
    let refused = list(&[("STRATACTL_MGMT_TOKEN", bad)])
        .failure()
        .stderr_has("the server refused the management token in STRATACTL_MGMT_TOKEN");
    // No secret is ever logged, even with --debug/--trace and a refusal.
    for out in [&refused, &list(&[("STRATACTL_MGMT_TOKEN", &good)])] {
        assert!(!out.stderr.contains(&good) && !out.stderr.contains(bad));
    }
    let trace = ctl.run(&["--trace", "management", "create", "--description", "t"]);
    let trace = trace.success();
    let created = trace.last_line();
    assert!(trace.stderr.contains("Authorization: Bearer [REDACTED]"));
    assert!(!trace.stderr.contains(&good), "{}", trace.stderr);
    assert!(!trace.stderr.contains(&created), "{}", trace.stderr);

    // Token files that cannot be used.
    let mut outs = Vec::new();
    for (name, text) in [
        ("empty", ""),
        ("json-without-token", "{\"access\": \"x\"}"),
        ("broken-json", "{\"token\": "),
        ("two-words", "one two"),
    ] {
        let path = ctl.write_file(name, text);
        ctl.write_config(&profile(&format!(
            "  [profile.auth.token]\n    token_file = \"{}\"",
            path.display()
        )));
        outs.push(list(&[]).failure());
    }
    ctl.write_config(&profile(
        "  [profile.auth.token]\n    token_file = \"missing-file\"",
    ));
    outs.push(list(&[]).failure().stderr_has("missing-file"));
    ctl.write_config(&profile(""));
    outs.push(list(&[]).failure().stderr_has(
        "sign-in cannot start here because standard input is not a terminal: run `stratactl auth login`",
    ));
    snap!(
        "unusable_credentials",
        ctl.hide_home(&transcripts(&outs.iter().collect::<Vec<_>>()))
    );
}

#[test]
fn both_url_shapes() {
    let env = Env::start();
    let cluster = env.ok(&["cluster", "list", "--format", "json"]).json()[0].clone();
    let account_id = cluster["account_id"].as_str().unwrap().to_string();
    let cluster_id = cluster["cluster_id"].as_str().unwrap().to_string();
    let (host, port) = host_port(&env.server);
    let dedicated = |account: &str, cluster: &str| {
        format!(
            "[[profile]]\n  name = \"default\"\n  product = \"dedicated\"\n  host = \"{host}\"\n  port = \"{port}\"\n  account_id = \"{account}\"\n  cluster_id = \"{cluster}\"\n  mgmt_token = \"{}\"\n  [profile.tls]\n    disable = true\n",
            env.token
        )
    };
    let clustered = env.ok(&["--debug", "database", "create", "short"]);
    assert!(clustered.stderr.contains("/api/v0/databases -> 200"));

    env.ctl.write_config(&dedicated(&account_id, &cluster_id));
    let out = env.ok(&["--debug", "database", "create", "long"]);
    assert!(
        out.stderr.contains(&format!(
            "/api/v0/accounts/{account_id}/clusters/{cluster_id}/databases -> 200"
        )),
        "{}",
        out.stderr
    );
    let list = env.ok(&["database", "list", "--format", "json"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    env.ok(&["cluster", "get", &cluster_id]);
    env.ok(&["--debug", "cluster", "list"])
        .stderr_has(&format!("/api/v0/accounts/{account_id}/clusters -> 200"));
    // Every command group works under the dedicated shape.
    env.ok(&["table", "create", "long", "cpu"]);
    env.ok(&["token", "create", "--read-database", "long", "r"]);
    env.ok(&["management", "list"]);
    env.ok(&["user", "list"]);
    env.ok(&["audit", "list", "--limit", "1"]);

    // Wrong ids are refused by the server; --account/--cluster (and the -id spellings)
    // override the profile.
    let unknown = "00000000-0000-4000-8000-000000000000";
    env.ctl.write_config(&dedicated(unknown, unknown));
    let wrong = env.fail(&["database", "list"]).stderr_has("404");
    env.ok(&[
        "--account",
        &account_id,
        "--cluster",
        &cluster_id,
        "database",
        "list",
    ]);
    env.ok(&[
        "--account-id",
        &account_id,
        "--cluster-id",
        &cluster_id,
        "database",
        "list",
    ]);
    env.fail(&["--account", &account_id, "database", "list"])
        .stderr_has("cluster not found");
    snap!("dedicated_wrong_ids", wrong.transcript());

    // --account on a clustered profile is ignored, with a warning.
    env.profile("");
    env.ok(&["--account", unknown, "database", "list"])
        .stderr_has("--account and --cluster are ignored");
}

#[test]
fn base_url_defaults_to_https_on_443_and_http_on_80() {
    let ctl = Ctl::new();
    let profile = |tls: &str| {
        format!(
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"127.0.0.1\"\n  mgmt_token = \"t\"\n{tls}"
        )
    };
    ctl.write_config(&profile(""));
    ctl.run(&["--debug", "--timeout", "5s", "database", "list"])
        .failure()
        .stderr_has("endpoint https://127.0.0.1:443 ");
    ctl.write_config(&profile("  [profile.tls]\n    disable = true\n"));
    ctl.run(&["--debug", "--timeout", "5s", "database", "list"])
        .failure()
        .stderr_has("endpoint http://127.0.0.1:80 ");
}
