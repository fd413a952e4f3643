//! `auth login` and `auth logout` through the built-in identity provider's device flow, the
//! login cache, and where a cached session stands among the credentials.

use std::path::PathBuf;

use crate::common::{
    Ctl, Env, Signing, answer, answer_as_admin, clustered_profile, login_as_admin, mode,
    transcripts,
};
use crate::harness::{ADMIN_EMAIL, Server};

const NOT_A_TERMINAL: &str = "sign-in cannot start here because standard input is not a terminal: run `stratactl auth login`";

fn cache_json(path: &PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn login_caches_a_session_that_management_commands_use() {
    let server = Server::start();
    let ctl = Ctl::new();
    ctl.write_config(&clustered_profile("default", &server, ""));
    let xdg = ctl.home().join("xdg-cache");
    let xdg_env = [("XDG_CACHE_HOME", xdg.to_str().unwrap())];

    let login = login_as_admin(&ctl, &server, &xdg_env).success();
    assert!(
        login
            .stderr
            .contains(&format!("{}/device?user_code=", server.base)),
        "{}",
        login.transcript()
    );
    assert!(
        login
            .stderr
            .contains("and check that the page shows the code")
    );

    // The cache: $XDG_CACHE_HOME/stratactl/default.json, owner-only.
    let dir = xdg.join("stratactl");
    let file = dir.join("default.json");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&file), 0o600);
    let cached = cache_json(&file);
    assert_eq!(cached["profile"], "default");
    assert_eq!(cached["host"], server.base.as_str());
    assert_eq!(cached["issuer"], server.base.as_str());
    assert_eq!(cached["email"], ADMIN_EMAIL);
    assert_eq!(cached["token_type"], "Bearer");
    assert!(cached["expires_at"].is_string());
    let token = cached["access_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("ey"), "a JWT");
    assert!(!login.stdout.contains(&token) && !login.stderr.contains(&token));

    // Management commands use it, without a management token anywhere.
    let list = ctl
        .run_env(&xdg_env, &["--debug", "database", "list"])
        .success()
        .stderr_has(&format!(
            "credential: the login session of {ADMIN_EMAIL} cached in {}",
            file.display()
        ));
    let trace = ctl
        .run_env(&xdg_env, &["--trace", "database", "create", "fromsession"])
        .success()
        .stderr_has("Authorization: Bearer [REDACTED]");
    for out in [&list, &trace] {
        assert!(!out.stderr.contains(&token), "{}", out.transcript());
    }
    // An Admin's session may create the first management token.
    let created = ctl
        .run_env(
            &xdg_env,
            &[
                "management",
                "create",
                "--description",
                "ci",
                "--format",
                "json",
            ],
        )
        .success();
    assert!(
        created.json()["created_by"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );
    ctl.run_env(&xdg_env, &["user", "list"]).success();

    // Without XDG_CACHE_HOME the cache is ~/.cache/stratactl/.
    let home_cache = ctl.home().join(".cache/stratactl/default.json");
    let none_there = ctl.run(&["auth", "logout"]).success();
    std::fs::create_dir_all(home_cache.parent().unwrap()).unwrap();
    std::fs::copy(&file, &home_cache).unwrap();
    ctl.run(&["--debug", "database", "list"])
        .success()
        .stderr_has(&format!("cached in {}", home_cache.display()));
    ctl.run(&["auth", "logout"]).success();
    assert!(!home_cache.exists());

    // Logout deletes the file, says so, and is fine with nothing to delete.
    let logout = ctl.run_env(&xdg_env, &["auth", "logout"]).success();
    assert!(!file.exists());
    let again = ctl.run_env(&xdg_env, &["auth", "logout"]).success();
    // Then, with no credential and no terminal, commands say how to get one.
    let refused = ctl
        .run_env(&xdg_env, &["database", "list"])
        .failure()
        .stderr_has(NOT_A_TERMINAL);
    snap!(
        "login_and_logout",
        transcripts(&[&login, &none_there, &logout, &again, &refused])
    );
}

#[test]
fn a_denied_login_fails_with_the_providers_message() {
    let server = Server::start();
    let ctl = Ctl::new();
    ctl.write_config(&clustered_profile("default", &server, ""));
    let signing = Signing::start(&ctl, &[], &["auth", "login"]);
    answer_as_admin(&server, &signing.user_code(), "deny");
    let denied = signing
        .finish()
        .failure()
        .stderr_has("the sign-in was denied (access_denied)");
    assert!(!ctl.home().join(".cache/stratactl/default.json").exists());
    snap!("denied_login", denied.transcript());
}

#[test]
fn a_login_nobody_approves_in_time_fails() {
    let server = Server::builder()
        .arg("--device-code-lifetime")
        .arg("1s")
        .start();
    let ctl = Ctl::new();
    ctl.write_config(&clustered_profile("default", &server, ""));
    let expired = ctl
        .run(&["auth", "login"])
        .failure()
        .stderr_has("the code expires in 1 second")
        .stderr_has(
            "the sign-in code expired before it was approved: the sign-in expired; start it again (expired_token)",
        );
    assert!(!ctl.home().join(".cache/stratactl").exists());
    snap!("expired_login", expired.transcript());
}

#[test]
fn a_session_the_server_refuses_is_dropped() {
    let mut first = Server::start();
    let ctl = Ctl::new();
    ctl.write_config(&clustered_profile("default", &first, ""));
    login_as_admin(&ctl, &first, &[]).success();
    let file = ctl.home().join(".cache/stratactl/default.json");
    assert!(file.exists());

    // Another server (another data dir: other keys, other users) at the same address.
    let address = first.base.trim_start_matches("http://").to_string();
    assert!(first.terminate("TERM"));
    let _second = Server::builder().http_bind(&address).start();
    let refused = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("401")
        .stderr_has("and it is now deleted: sign in again with `stratactl auth login`");
    assert!(!file.exists(), "a refused session is deleted");
    let next = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has(NOT_A_TERMINAL);
    snap!("refused_session", transcripts(&[&refused, &next]));
}

#[test]
fn configured_credentials_come_before_a_cached_login() {
    let server = Server::start();
    let good = server.bootstrap_token();
    let ctl = Ctl::new();
    let profile = |extra: &str| clustered_profile("default", &server, extra);
    ctl.write_config(&profile(&format!("  mgmt_token = \"{good}\"")));
    // Signing in while a management token is configured works, with a warning.
    let login = login_as_admin(&ctl, &server, &[])
        .success()
        .stderr_has("The mgmt_token of profile \"default\" takes precedence over login sessions");
    let file = ctl.home().join(".cache/stratactl/default.json");
    assert!(file.exists());
    let list = |envs: &[(&str, &str)]| ctl.run_env(envs, &["--debug", "database", "list"]);

    // mgmt_token beats the cached login; a bad one is refused and the session stays.
    list(&[])
        .success()
        .stderr_has("credential: the mgmt_token of profile \"default\"");
    ctl.write_config(&profile("  mgmt_token = \"strata_mgmt_notavalidtoken\""));
    list(&[])
        .failure()
        .stderr_has("the server refused the mgmt_token");
    assert!(
        file.exists(),
        "a refused management token leaves the session alone"
    );
    // STRATACTL_MGMT_TOKEN and token_file beat it too.
    ctl.write_config(&profile(""));
    list(&[("STRATACTL_MGMT_TOKEN", &good)])
        .success()
        .stderr_has("credential: the management token in STRATACTL_MGMT_TOKEN");
    let token_file = ctl.write_file("token", &good);
    ctl.write_config(&profile(&format!(
        "  [profile.auth.token]\n    token_file = \"{}\"",
        token_file.display()
    )));
    list(&[])
        .success()
        .stderr_has("credential: the token in token_file");
    // Alone, the cached login is used.
    ctl.write_config(&profile(""));
    list(&[])
        .success()
        .stderr_has("credential: the login session of admin@localhost cached in");

    // A session is used only for the server it was made for ...
    let (_, port) = crate::common::host_port(&server);
    ctl.write_config(&format!(
        "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"localhost\"\n  port = \"{port}\"\n  [profile.tls]\n    disable = true\n"
    ));
    let elsewhere = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("(the cached login session is for http://127.0.0.1:");
    // ... and only before it expires.
    ctl.write_config(&profile(""));
    let mut cached = cache_json(&file);
    cached["expires_at"] = "2001-02-03T04:05:06Z".into();
    std::fs::write(&file, cached.to_string()).unwrap();
    let expired = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("(the cached login session expired at 2001-02-03T04:05:06Z)")
        .stderr_has(NOT_A_TERMINAL);
    // A cache file that is not a session is ignored with a warning.
    std::fs::write(&file, "not json").unwrap();
    let unreadable = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("is not a login session stratactl can read");
    snap!(
        "credential_precedence_with_a_login",
        transcripts(&[&login, &elsewhere, &expired, &unreadable])
    );
}

#[test]
fn a_members_session_is_refused_what_its_group_may_not_do() {
    let Env { server, ctl, .. } = Env::start();
    let password = ctl.write_file("password", "member password 123\n");
    ctl.run(&[
        "user",
        "invite",
        "--password-file",
        password.to_str().unwrap(),
        "Mem",
        "Ber",
        "member@example.com",
    ])
    .success();
    ctl.write_config(&clustered_profile("default", &server, ""));
    // Even --trace never shows the session or the device code.
    let signing = Signing::start(&ctl, &[], &["--trace", "auth", "login"]);
    answer(
        &server,
        &signing.user_code(),
        "member@example.com",
        "member password 123",
        "approve",
    );
    let login = signing
        .finish()
        .success()
        .stdout_has("as member@example.com")
        .stderr_has("device_code=[REDACTED]")
        .stderr_has("\"access_token\":\"[REDACTED]\"");
    let cached = cache_json(&ctl.home().join(".cache/stratactl/default.json"));
    let token = cached["access_token"].as_str().unwrap();
    assert!(!login.stderr.contains(token) && !login.stdout.contains(token));
    ctl.run(&["database", "list"]).success();
    ctl.run(&["token", "create", "--read-database", "*", "reader"])
        .success();
    let refused = ctl
        .run(&["database", "create", "nope"])
        .failure()
        .stderr_has("403")
        .stderr_has("the login session of member@example.com cached in")
        .stderr_has("an Admin can change a user's group");
    assert!(ctl.home().join(".cache/stratactl/default.json").exists());
    snap!("member_session_refused", refused.transcript());
}

/// With no credential on a terminal, a management command signs in on its way.
#[test]
fn on_a_terminal_a_command_without_credentials_signs_in_first() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let ctl = Ctl::new();
    let Some(mut terminal) = ctl.on_a_terminal("database list") else {
        return;
    };
    let server = Server::start();
    ctl.write_config(&clustered_profile("default", &server, ""));
    let mut child = terminal
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Held open until the end: the terminal's input.
    let _stdin = child.stdin.take().unwrap();
    let mut screen = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let code = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("no sign-in address:\n{screen}"))
            .unwrap();
        screen.push_str(&line);
        screen.push('\n');
        if let Some((_, code)) = line.split_once("user_code=") {
            break code.trim().to_string();
        }
    };
    answer_as_admin(&server, &code, "approve");
    for line in lines {
        screen.push_str(&line.unwrap());
        screen.push('\n');
    }
    let status = child.wait().unwrap();
    let screen = screen.replace('\r', "");
    assert!(status.success(), "{screen}");
    assert!(screen.contains("signed in to"), "{screen}");
    assert!(screen.contains("DATABASE NAME"), "{screen}");
    assert!(ctl.home().join(".cache/stratactl/default.json").exists());
    // The next command uses the cached session, no terminal needed.
    ctl.run(&["database", "list"]).success();
}

/// `auth login` against a server whose users sign in at an external OIDC provider (npm
/// `oidc-provider` on loopback, approved in headless Chromium): the same command, the same
/// cache, found through the server's discovery document. scripts/test sets
/// STRATA_TEST_BROWSER after installing Node's helpers and Chromium.
#[test]
fn login_through_an_external_provider_works_the_same() {
    if std::env::var_os("STRATA_TEST_BROWSER").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "STRATA_TEST_BROWSER is not set; run scripts/test"
        );
        eprintln!("skipped: STRATA_TEST_BROWSER is not set (scripts/test sets it)");
        return;
    }
    let helpers = crate::harness::NODE_HELPERS;
    let provider = crate::harness::start_provider();
    let issuer = provider.issuer.clone();

    let server = Server::builder()
        .arg("--oidc-issuer")
        .arg(issuer.as_str())
        .start();
    let added = crate::harness::admin(
        &server.data_dir,
        &[
            "user",
            "add",
            "--email",
            "alice@example.com",
            "--group",
            "admin",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let ctl = Ctl::new();
    ctl.write_config(&clustered_profile("default", &server, ""));
    let xdg = ctl.home().join("xdg-cache");
    let xdg_env = [("XDG_CACHE_HOME", xdg.to_str().unwrap())];

    let signing = Signing::start(&ctl, &xdg_env, &["auth", "login"]);
    let code = signing.user_code();
    let approved = std::process::Command::new("node")
        .arg(format!("{helpers}/oidc-sign-in.mjs"))
        .arg(format!("{issuer}/device?user_code={code}"))
        .arg("alice")
        .output()
        .unwrap();
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let login = signing.finish().success();
    assert!(
        login.stderr.contains(&format!("{issuer}/device")),
        "{}",
        login.transcript()
    );
    let cached = cache_json(&xdg.join("stratactl/default.json"));
    assert_eq!(cached["email"], "alice@example.com");
    ctl.run_env(&xdg_env, &["database", "create", "from-external-login"])
        .success();
    ctl.run_env(&xdg_env, &["database", "list"])
        .success()
        .stdout_has("from-external-login");
}
