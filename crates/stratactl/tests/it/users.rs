//! `user invite`, `user update` and `user delete`: output, the server's refusals (the last
//! Admin among them) and the mistakes caught before any request.

use crate::common::{Ctl, Env, block_on, transcripts};
use crate::harness::ADMIN_EMAIL;

fn user_id(env: &Env, email: &str) -> String {
    let list = env.ok(&["user", "list", "--format", "json"]).json();
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap_or_else(|| panic!("no user {email}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn user_invite_update_delete() {
    let env = Env::start();
    let password = env.ctl.write_file("password", "first password 123\n");
    let password = password.to_str().unwrap();
    let new_password = env.ctl.write_file("new-password", "second password 456");
    let new_password = new_password.to_str().unwrap();

    let ada = env.ok(&[
        "user",
        "invite",
        "--group",
        "admin",
        "--password-file",
        password,
        "Ada",
        "Lovelace",
        "Ada@Example.com",
    ]);
    let bob = env.ok(&[
        "user",
        "invite",
        "--format",
        "json",
        "Bob",
        "Smith",
        "bob@example.com",
    ]);
    assert_eq!(bob.json()["group"], "Member");
    assert!(
        bob.stderr.contains("has no password"),
        "{}",
        bob.transcript()
    );
    let ada_id = user_id(&env, "ada@example.com");
    let bob_id = bob.json()["id"].as_str().unwrap().to_string();
    // Ada signs in with her password.
    block_on(env.server.sign_in("ada@example.com", "first password 123"));

    let update = env.ok(&[
        "user",
        "update",
        "--last-name",
        "King",
        "--group",
        "auditor",
        &bob_id,
    ]);
    let update_json = env.ok(&[
        "user",
        "update",
        "--first-name",
        "Robert",
        "--password-file",
        new_password,
        "--format",
        "json",
        &bob_id,
    ]);
    assert_eq!(update_json.json()["first_name"], "Robert");
    assert_eq!(update_json.json()["group"], "Auditor");
    block_on(env.server.sign_in("bob@example.com", "second password 456"));
    let list = env.ok(&["user", "list"]);

    // Deleting goes on past failures and fails at the end.
    let missing = "00000000-0000-4000-8000-000000000000";
    let delete = env
        .fail(&[
            "user",
            "delete",
            "--force",
            &bob_id,
            missing,
            "not-a-user-id",
        ])
        .stderr_has("2 of 3 user deletions failed");
    assert!(delete.stdout.contains(&format!("deleted user {bob_id}")));
    // Without --force and a terminal, nothing is deleted.
    let unasked = env
        .fail(&["user", "delete", &ada_id])
        .stderr_has("pass --force");
    // The last Admin stays: neither removed nor moved to another group.
    env.ok(&["user", "delete", "--force", &ada_id]);
    let admin_id = user_id(&env, ADMIN_EMAIL);
    let last_delete = env
        .fail(&["user", "delete", "--force", &admin_id])
        .stderr_has(
            "admin@localhost is the last Admin; make another user Admin first (HTTP 409 Conflict)",
        );
    let last_demote = env
        .fail(&["user", "update", "--group", "member", &admin_id])
        .stderr_has("is the last Admin");
    let after = env.ok(&["user", "list", "--format", "json"]).json();
    assert_eq!(after.as_array().unwrap().len(), 1);
    snap!(
        "user_invite_update_delete",
        transcripts(&[
            &ada,
            &bob,
            &update,
            &update_json,
            &list,
            &delete,
            &unasked,
            &last_delete,
            &last_demote
        ])
    );
}

#[test]
fn user_refusals_and_mistakes() {
    // Caught before any request (no config file at all).
    let ctl = Ctl::new();
    let empty = ctl.write_file("empty", "");
    let two_lines = ctl.write_file("two-lines", "one\ntwo\n");
    let uuid = "00000000-0000-4000-8000-000000000000";
    let mut outs = Vec::new();
    for args in [
        &["user", "invite", "Ada", "Lovelace", "not-an-email"][..],
        &[
            "user",
            "invite",
            "--group",
            "owner",
            "Ada",
            "Lovelace",
            "a@example.com",
        ],
        &["user", "invite", "Ada", "a@example.com"],
        &[
            "user",
            "invite",
            "--password-file",
            "/nonexistent/pw",
            "A",
            "B",
            "a@example.com",
        ],
        &[
            "user",
            "invite",
            "--password-file",
            empty.to_str().unwrap(),
            "A",
            "B",
            "a@example.com",
        ],
        &[
            "user",
            "invite",
            "--password-file",
            two_lines.to_str().unwrap(),
            "A",
            "B",
            "a@example.com",
        ],
        &["user", "update", uuid],
        &["user", "update", "--first-name", "X", "bob@example.com"],
        &["user", "delete"],
    ] {
        let out = ctl.run(args);
        assert_ne!(out.code, 0, "{}", out.transcript());
        assert!(!out.stderr.contains("config file"), "{}", out.transcript());
        outs.push(out);
    }
    // Refused by the server.
    let env = Env::start();
    let short = env.ctl.write_file("short", "short\n");
    outs.push(
        env.fail(&[
            "user",
            "invite",
            "--password-file",
            short.to_str().unwrap(),
            "A",
            "B",
            "a@example.com",
        ])
        .stderr_has("the password is too short: use at least 12 characters"),
    );
    env.ok(&["user", "invite", "A", "B", "a@example.com"]);
    outs.push(
        env.fail(&["user", "invite", "A", "B", "a@example.com"])
            .stderr_has("409"),
    );
    outs.push(
        env.fail(&["user", "update", "--first-name", "X", uuid])
            .stderr_has("404"),
    );
    let text = transcripts(&outs.iter().collect::<Vec<_>>());
    snap!("user_refusals_and_mistakes", ctl.hide_home(&text));
}
