use crate::common::{Env, transcripts};

#[test]
fn empty_lists_are_an_empty_table_and_an_empty_json_array() {
    let env = Env::start();
    let table = env.ok(&["database", "list"]);
    let json = env.ok(&["database", "list", "--format", "json"]);
    assert_eq!(json.stdout, "[]\n");
    snap!("empty_database_list", transcripts(&[&table, &json]));
}

#[test]
fn create_list_update_rename() {
    let env = Env::start();
    let create = env.ok(&["database", "create", "mydb1"]);
    let create_more = env.ok(&[
        "database",
        "create",
        "--retention-period",
        "30d12h",
        "--max-tables",
        "100",
        "--max-columns",
        "200",
        "mydb3",
    ]);
    let create_json = env.ok(&[
        "database",
        "create",
        "--retention-period",
        "1y",
        "--template-timeformat",
        "%Y-%m",
        "--template-tag",
        "host",
        "--template-tag-bucket",
        "rack,10",
        "--format",
        "json",
        "telegraf/autogen",
    ]);
    let list = env.ok(&["database", "list"]);
    let list_json = env.ok(&["database", "list", "--format", "json"]);
    snap!(
        "database_create_and_list",
        transcripts(&[&create, &create_more, &create_json, &list, &list_json])
    );
    let json = list_json.json();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[1]["retention_period_ns"], 2_635_200_000_000_000_i64);

    let update = env.ok(&[
        "database",
        "update",
        "--retention-period",
        "2.5d",
        "--max-tables",
        "1000",
        "mydb1",
    ]);
    let update_one = env.ok(&["database", "update", "--max-columns", "300", "mydb1"]);
    let infinite = env.ok(&[
        "database",
        "update",
        "--retention-period",
        "0",
        "--format",
        "json",
        "mydb3",
    ]);
    let rename = env.ok(&["database", "rename", "mydb1", "renamed"]);
    let rename_json = env.ok(&["database", "rename", "--format", "json", "mydb3", "mydb4"]);
    let list = env.ok(&["database", "list"]);
    snap!(
        "database_update_and_rename",
        transcripts(&[
            &update,
            &update_one,
            &infinite,
            &rename,
            &rename_json,
            &list
        ])
    );
}

#[test]
fn delete_and_undelete() {
    let env = Env::start();
    env.ok(&["database", "create", "a"]);
    env.ok(&["database", "create", "b"]);
    let delete = env.ok(&["database", "delete", "--force", "a", "b"]);
    let deleted = env.ok(&["database", "list", "--filter-status", "deleted"]);
    let deleted_json = env.ok(&[
        "database",
        "list",
        "--filter-status",
        "deleted",
        "--format",
        "json",
    ]);
    let active = env.ok(&["database", "list", "--format", "json"]);
    assert_eq!(active.stdout, "[]\n");
    let undelete = env.ok(&["database", "undelete", "a"]);
    let undelete_json = env.ok(&["database", "undelete", "--format", "json", "b"]);
    let after = env.ok(&["database", "list"]);
    snap!(
        "database_delete_and_undelete",
        transcripts(&[
            &delete,
            &deleted,
            &deleted_json,
            &undelete,
            &undelete_json,
            &after
        ])
    );
    assert!(after.stdout.contains("| a "));

    // Undelete refuses names with no deleted database, and clashes with an active one.
    env.fail(&["database", "undelete", "nothing"])
        .stderr_has("no deleted database is named \"nothing\"");
    env.ok(&["database", "delete", "--force", "b"]);
    env.ok(&["database", "create", "b"]);
    env.fail(&["database", "undelete", "b"]).stderr_has("409");
}

#[test]
fn deleting_several_carries_on_past_a_failure() {
    let env = Env::start();
    env.ok(&["database", "create", "one"]);
    env.ok(&["database", "create", "two"]);
    let out = env
        .fail(&["database", "delete", "--force", "one", "missing", "two"])
        .stderr_has("database \"missing\" not found")
        .stderr_has("1 of 3 database deletions failed");
    assert!(out.stdout.contains("deleted database \"one\""));
    assert!(out.stdout.contains("deleted database \"two\""));
    let list = env.ok(&["database", "list", "--format", "json"]);
    assert_eq!(list.stdout, "[]\n");
}

#[test]
fn server_refusals_are_reported_with_their_status() {
    let env = Env::start();
    env.ok(&["database", "create", "dup"]);
    let exists = env.fail(&["database", "create", "dup"]).stderr_has("409");
    let missing = env
        .fail(&["database", "update", "--max-tables", "5", "nope"])
        .stderr_has("404");
    snap!("database_refusals", transcripts(&[&exists, &missing]));
}
