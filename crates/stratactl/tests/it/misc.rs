use crate::common::{Ctl, Env, transcripts};

#[test]
fn cluster_get_and_list() {
    let env = Env::start();
    let list = env.ok(&["cluster", "list"]);
    let list_json = env.ok(&["cluster", "list", "--format", "json"]);
    let id = list_json.json()[0]["cluster_id"]
        .as_str()
        .unwrap()
        .to_string();
    let get = env.ok(&["cluster", "get", &id]);
    let get_json = env.ok(&["cluster", "get", "--format", "json", &id]);
    assert_eq!(get_json.json()["url"], env.server.base.as_str());
    let missing = env
        .fail(&["cluster", "get", "00000000-0000-4000-8000-000000000000"])
        .stderr_has("404");
    snap!(
        "cluster_get_and_list",
        transcripts(&[&list, &list_json, &get, &get_json, &missing])
    );
}

#[test]
fn user_list() {
    let env = Env::start();
    let table = env.ok(&["user", "list"]);
    let json = env.ok(&["user", "list", "--format", "json"]);
    assert!(json.json().is_array());
    snap!("user_list", transcripts(&[&table, &json]));
}

#[test]
fn audit_list_filters_and_pages() {
    let env = Env::start();
    env.ok(&["database", "create", "a"]);
    env.ok(&["database", "create", "b"]);
    env.fail(&["database", "create", "a"]);
    env.ok(&["database", "delete", "--force", "b"]);
    let all = env.ok(&["audit", "list"]);
    let json = env.ok(&["audit", "list", "--format", "json"]);
    let entries = json.json();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 5, "{}", json.transcript());
    let creates = env.ok(&["audit", "list", "--action", "database.create"]);
    let system = env.ok(&["audit", "list", "--actor", "system", "--format", "json"]);
    assert_eq!(system.json().as_array().unwrap().len(), 1);
    let actor = entries[0]["actor_id"].as_str().unwrap();
    let by_token = env.ok(&["audit", "list", "--actor", actor, "--format", "json"]);
    assert_eq!(by_token.json().as_array().unwrap().len(), 4);
    // Paging: two at a time, then on from the last id.
    let first = env.ok(&["audit", "list", "--limit", "2"]);
    assert!(first.stderr.contains("--before"), "{}", first.transcript());
    let last_id = entries[1]["id"].as_i64().unwrap().to_string();
    let next = env.ok(&["audit", "list", "--limit", "2", "--before", &last_id]);
    let since = env.ok(&["audit", "list", "--since", "1h", "--format", "json"]);
    assert_eq!(since.json().as_array().unwrap().len(), 5);
    let until = env.ok(&[
        "audit",
        "list",
        "--until",
        "2000-01-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(until.stdout, "[]\n");
    snap!(
        "audit_list",
        transcripts(&[&all, &json, &creates, &system, &first, &next, &until])
    );
}

#[test]
fn version_and_help() {
    let ctl = Ctl::new();
    let version = ctl.run(&["version"]).success();
    assert!(
        version
            .stdout
            .starts_with(&format!("stratactl {} (", env!("CARGO_PKG_VERSION"))),
        "{}",
        version.stdout
    );
    let flag = ctl.run(&["--version"]).success();
    assert_eq!(flag.stdout, version.stdout);
    for args in [
        &["help"][..],
        &["--help"],
        &["-h"],
        &["h"],
        &["database"],
        &["database", "help"],
        &["database", "h"],
        &["database", "--help"],
        &["help", "token", "create"],
        &["token", "create", "-h"],
    ] {
        let out = ctl.run(args).success();
        assert!(
            out.stdout.contains("Usage: stratactl"),
            "{}",
            out.transcript()
        );
    }
    let help = ctl.run(&["help"]);
    let database = ctl.run(&["database", "--help"]);
    let token_create = ctl.run(&["token", "create", "--help"]);
    snap!("help", transcripts(&[&help, &database, &token_create]));
    // Every command of the tree has its help, and nothing in help is not a command.
    for group in [
        "cluster",
        "database",
        "table",
        "token",
        "management",
        "user",
        "audit",
    ] {
        ctl.run(&[group, "--help"]).success();
    }
}
