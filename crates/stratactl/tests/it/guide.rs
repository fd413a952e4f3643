//! The sequence of InfluxData's management-token guides: create a management token, put it in
//! a profile's `mgmt_token`, create a database, create a database token with read and write
//! on it, write line protocol and query it back with SQL, update the token to read-only and
//! see the write refused, revoke it and see the query refused, list the management tokens,
//! revoke the management token, and see the next management command refused. (Querying with
//! InfluxQL waits for the server's InfluxQL support.)

use crate::common::{Ctl, clustered_profile, transcripts};
use crate::harness::Server;

#[test]
fn management_token_guide() {
    let server = Server::start();
    let ctl = Ctl::new();
    // An administrator's first management token, made on the server's machine.
    let bootstrap = server.bootstrap_token();
    ctl.write_config(&clustered_profile(
        "admin",
        &server,
        &format!("  mgmt_token = \"{bootstrap}\""),
    ));

    // 1. Create a management token for automation; the secret is the last line of stdout.
    let create = ctl
        .run(&[
            "--profile",
            "admin",
            "management",
            "create",
            "--expires-at",
            "2099-01-01T00:00:00Z",
            "--description",
            "CI pipeline",
        ])
        .success();
    let automation = create.last_line();
    assert!(automation.starts_with("strata_mgmt_"));
    let automation_id = create
        .stdout
        .lines()
        .find(|l| l.contains("|          id | "))
        .unwrap()
        .split('|')
        .nth(2)
        .unwrap()
        .trim()
        .to_string();

    // 2. Put it in a profile's mgmt_token (the default profile).
    ctl.write_config(&format!(
        "{}\n{}",
        clustered_profile("admin", &server, &format!("  mgmt_token = \"{bootstrap}\"")),
        clustered_profile(
            "default",
            &server,
            &format!("  mgmt_token = \"{automation}\"")
        )
    ));

    // 3. Create a database.
    let database = ctl
        .run(&["database", "create", "--retention-period", "30d", "sensors"])
        .success();

    // 4. A database token with read and write on it.
    let token = ctl
        .run(&[
            "token",
            "create",
            "--read-database",
            "sensors",
            "--write-database",
            "sensors",
            "sensors read/write",
        ])
        .success();
    let db_secret = token.last_line();
    assert!(db_secret.starts_with("strata_db_"));
    let list = ctl.run(&["token", "list"]).success();
    let token_id = list
        .stdout
        .lines()
        .find(|l| l.contains("sensors read/write"))
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();

    // Write line protocol with it and query it back with SQL.
    let data = |command: &str, text: &str| {
        ctl.run(&[
            command,
            "--database",
            "sensors",
            "--token",
            &db_secret,
            text,
        ])
    };
    // The database keeps 30 days, so the points are from now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    data("write", &format!("air,room=kitchen temp=21.5 {now}")).success();
    let rows = ctl
        .run(&[
            "query",
            "--database",
            "sensors",
            "--token",
            &db_secret,
            "--format",
            "json",
            "SELECT room, temp FROM air",
        ])
        .success()
        .json();
    assert_eq!(rows, serde_json::json!([{"room": "kitchen", "temp": 21.5}]));
    // And with InfluxQL.
    let rows = ctl
        .run(&[
            "query",
            "--database",
            "sensors",
            "--token",
            &db_secret,
            "--format",
            "json",
            "--language",
            "influxql",
            "SELECT mean(temp) FROM air WHERE time > now() - 1h GROUP BY room",
        ])
        .success()
        .json();
    assert_eq!(rows[0]["iox::measurement"], "air");
    assert_eq!(rows[0]["room"], "kitchen");
    assert_eq!(rows[0]["mean"], 21.5);

    // 5. Update it to read-only.
    let update = ctl
        .run(&["token", "update", "--read-database", "sensors", &token_id])
        .success();
    let got = ctl
        .run(&["token", "get", "--format", "json", &token_id])
        .success()
        .json();
    assert_eq!(
        got["permissions"],
        serde_json::json!([{"action": "read", "resource": "sensors"}])
    );

    // Writes are refused now; queries still work.
    data("write", &format!("air,room=hall temp=19 {}", now + 1))
        .failure()
        .stderr_has("403");
    data("query", "SELECT count(*) FROM air").success();

    // 6. Revoke it.
    let revoke = ctl
        .run(&["token", "revoke", "--force", &token_id])
        .success();
    let after = ctl.run(&["token", "list", "--format", "json"]).success();
    assert_eq!(after.stdout, "[]\n");
    data("query", "SELECT count(*) FROM air")
        .failure()
        .stderr_has("revoked");

    // 7. List the management tokens, and revoke the automation token with itself.
    let mgmt_list = ctl.run(&["management", "list"]).success();
    assert!(mgmt_list.stdout.contains(&automation_id));
    let mgmt_revoke = ctl
        .run(&["management", "revoke", "--force", &automation_id])
        .success();

    // 8. The next management command with it is refused.
    let refused = ctl
        .run(&["database", "list"])
        .failure()
        .stderr_has("401")
        .stderr_has("revoked");
    assert!(!refused.stderr.contains(&automation));
    // The administrator's token still works and shows the revocation.
    let listed = ctl
        .run(&[
            "--profile",
            "admin",
            "management",
            "list",
            "--format",
            "json",
        ])
        .success()
        .json();
    let revoked = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == automation_id.as_str())
        .unwrap()
        .clone();
    assert!(revoked.get("revoked_at").is_some());
    assert_eq!(revoked["description"], "CI pipeline");

    snap!(
        "management_token_guide",
        transcripts(&[
            &create,
            &database,
            &token,
            &list,
            &update,
            &revoke,
            &mgmt_list,
            &mgmt_revoke,
            &refused
        ])
    );
}
