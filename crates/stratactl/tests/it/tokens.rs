use crate::common::{Env, transcripts};

/// The id in a `token list` table row, as InfluxData's docs scripts take it:
/// `grep … | head -n1 | cut -d' ' -f2`.
fn first_id_like_the_docs(table: &str, grep: &str) -> String {
    let line = table.lines().find(|l| l.contains(grep)).unwrap();
    line.split(' ').nth(1).unwrap().to_string()
}

#[test]
fn create_prints_a_detail_table_warnings_and_the_token_alone() {
    let env = Env::start();
    env.ok(&["database", "create", "mydb"]);
    let create = env.ok(&[
        "token",
        "create",
        "--read-database",
        "mydb",
        "--write-database",
        "mydb",
        "--expires-at",
        "2099-01-31T00:00:00+0000",
        "Read/write token for mydb",
    ]);
    // The secret is alone on the last line of stdout; the warnings are on stderr.
    let secret = create.last_line();
    assert!(secret.starts_with("strata_db_"), "{}", create.transcript());
    assert_eq!(
        create.stderr,
        "warn\tplease copy the token and store in a safe place\nwarn\tthis is the *only time* you will see the token\n"
    );
    assert!(
        create
            .stdout
            .contains("|  expires at | 2099-01-31T00:00:00Z")
    );
    let json = env.ok(&[
        "token",
        "create",
        "--read-database",
        "*",
        "--format",
        "json",
        "read everything",
    ]);
    assert!(
        json.json()["token"]
            .as_str()
            .unwrap()
            .starts_with("strata_db_")
    );
    let none = env.ok(&["token", "create", "no permissions"]);
    snap!("token_create", transcripts(&[&create, &json, &none]));
}

#[test]
fn list_get_update_revoke() {
    let env = Env::start();
    env.ok(&["database", "create", "mydb"]);
    let empty = env.ok(&["token", "list"]);
    let empty_json = env.ok(&["token", "list", "--format", "json"]);
    assert_eq!(empty_json.stdout, "[]\n");
    env.ok(&["token", "create", "--read-database", "mydb", "b reader"]);
    let list = env.ok(&["token", "list"]);
    let id = first_id_like_the_docs(&list.stdout, "b reader");
    assert_eq!(id.len(), 36, "{id:?}");
    env.ok(&["token", "create", "--write-database", "mydb", "a writer"]);
    let by_description = env.ok(&["token", "list", "--sort", "description"]);
    let json = env.ok(&["token", "list", "--sort", "description", "--format", "json"]);
    let get = env.ok(&["token", "get", &id]);
    let get_json = env.ok(&["token", "get", "--format", "json", &id]);
    let update = env.ok(&[
        "token",
        "update",
        "--read-database",
        "mydb",
        "--write-database",
        "mydb",
        &id,
    ]);
    assert!(update.stdout.contains("read:mydb, write:mydb"));
    let update_json = env.ok(&[
        "token",
        "update",
        "--read-database",
        "mydb",
        "--write-database",
        "mydb",
        "--read-database",
        "mydb",
        "--format",
        "json",
        &id,
    ]);
    assert_eq!(
        update_json.json()["permissions"].as_array().unwrap().len(),
        2
    );
    let revoke = env.ok(&["token", "revoke", "--force", &id]);
    let after = env.ok(&["token", "list", "--sort", "description"]);
    let with_revoked = env.ok(&[
        "token",
        "list",
        "--sort",
        "description",
        "--include-revoked",
        "--format",
        "json",
    ]);
    let get_revoked = env
        .fail(&["token", "get", &id])
        .stderr_has("pass --include-revoked");
    let get_included = env.ok(&["token", "get", "--include-revoked", &id]);
    snap!(
        "token_list_get_update_revoke",
        transcripts(&[
            &empty,
            &empty_json,
            &list,
            &by_description,
            &json,
            &get,
            &get_json,
            &update,
            &update_json,
            &revoke,
            &after,
            &with_revoked,
            &get_revoked,
            &get_included
        ])
    );
    assert!(!after.stdout.contains(&id));
    assert_eq!(with_revoked.json().as_array().unwrap().len(), 2);
}

#[test]
fn delete_is_an_alias_of_revoke_and_carries_on_past_failures() {
    let env = Env::start();
    let a = env.ok(&["token", "create", "--format", "json", "a"]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = env.ok(&["token", "create", "--format", "json", "b"]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let out = env
        .fail(&["token", "delete", "--force", &a, unknown, "not-an-id", &b])
        .stderr_has("not found")
        .stderr_has("\"not-an-id\" is not a token id")
        .stderr_has("2 of 4 revocations failed");
    assert!(out.stdout.contains(&format!("revoked database token {a}")));
    assert!(out.stdout.contains(&format!("revoked database token {b}")));
    let list = env.ok(&["token", "list", "--format", "json"]);
    assert_eq!(list.stdout, "[]\n");
}

#[test]
fn a_secret_given_where_an_id_goes_is_not_echoed() {
    let env = Env::start();
    let secret = env.ok(&["token", "create", "x"]).last_line();
    let out = env.fail(&["token", "get", &secret]);
    assert!(!out.stderr.contains(&secret), "{}", out.transcript());
    let out = env.fail(&["token", "revoke", "--force", &secret]);
    assert!(!out.stderr.contains(&secret), "{}", out.transcript());
}

#[test]
fn a_database_token_cannot_run_management_commands() {
    let env = Env::start();
    let secret = env
        .ok(&["token", "create", "--read-database", "*", "r"])
        .last_line();
    let out = env
        .ctl
        .run_env(&[("STRATACTL_MGMT_TOKEN", &secret)], &["database", "list"])
        .failure()
        .stderr_has("403")
        .stderr_has("database tokens cannot use the Management API");
    assert!(!out.stderr.contains(&secret));
}
