use crate::common::{Env, transcripts};

#[test]
fn table_commands() {
    let env = Env::start();
    env.ok(&["database", "create", "mydb"]);
    let empty = env.ok(&["table", "list", "mydb"]);
    let empty_json = env.ok(&["table", "list", "--format", "json", "mydb"]);
    assert_eq!(empty_json.stdout, "[]\n");
    let create = env.ok(&["table", "create", "mydb", "cpu"]);
    let create_template = env.ok(&[
        "table",
        "create",
        "--template-timeformat",
        "%Y",
        "--template-tag",
        "region",
        "--template-tag-bucket",
        "host,50",
        "--format",
        "json",
        "mydb",
        "mem",
    ]);
    let list = env.ok(&["table", "list", "mydb"]);
    let list_json = env.ok(&["table", "list", "--format", "json", "mydb"]);
    let rename = env.ok(&["table", "rename", "mydb", "cpu", "cpu2"]);
    let rename_json = env.ok(&["table", "rename", "--format", "json", "mydb", "mem", "mem2"]);
    let delete = env.ok(&["table", "delete", "--force", "mydb", "cpu2"]);
    let deleted = env.ok(&["table", "list", "--filter-status", "deleted", "mydb"]);
    let deleted_json = env.ok(&[
        "table",
        "list",
        "--filter-status",
        "deleted",
        "--format",
        "json",
        "mydb",
    ]);
    let id = deleted_json.json()[0]["id"].as_i64().unwrap().to_string();
    let undelete = env.ok(&["table", "undelete", "--format", "json", "mydb", &id]);
    let after = env.ok(&["table", "list", "mydb"]);
    env.ok(&["table", "delete", "--force", "mydb", "mem2"]);
    let id = env
        .ok(&[
            "table",
            "list",
            "--filter-status",
            "deleted",
            "--format",
            "json",
            "mydb",
        ])
        .json()[0]["id"]
        .to_string();
    let undelete_table = env.ok(&["table", "undelete", "mydb", &id]);
    snap!(
        "table_commands",
        transcripts(&[
            &empty,
            &empty_json,
            &create,
            &create_template,
            &list,
            &list_json,
            &rename,
            &rename_json,
            &delete,
            &deleted,
            &deleted_json,
            &undelete,
            &after,
            &undelete_table
        ])
    );
}

#[test]
fn table_errors_from_the_server() {
    let env = Env::start();
    let no_db = env
        .fail(&["table", "create", "nodb", "cpu"])
        .stderr_has("404");
    env.ok(&["database", "create", "mydb"]);
    let no_table = env
        .fail(&["table", "delete", "--force", "mydb", "nope"])
        .stderr_has("404");
    let no_id = env
        .fail(&["table", "undelete", "mydb", "999"])
        .stderr_has("404");
    snap!("table_errors", transcripts(&[&no_db, &no_table, &no_id]));
}
