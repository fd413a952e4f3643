//! Confirmation prompts: `--force` skips them; without a terminal on stdin the command
//! refuses rather than waiting; on a terminal only `y` goes ahead.

use std::io::Write;
use std::process::Stdio;

use crate::common::{Env, transcripts};

#[test]
fn without_a_terminal_and_without_force_nothing_is_deleted() {
    let env = Env::start();
    env.ok(&["database", "create", "keep"]);
    env.ok(&["table", "create", "keep", "cpu"]);
    let token = env.ok(&["token", "create", "--format", "json", "t"]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mgmt = env
        .ok(&[
            "management",
            "create",
            "--description",
            "m",
            "--format",
            "json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let outs = [
        env.fail(&["database", "delete", "keep"]),
        env.fail(&["table", "delete", "keep", "cpu"]),
        env.fail(&["token", "revoke", &token]),
        env.fail(&["token", "delete", &token]),
        env.fail(&["management", "revoke", &mgmt]),
        env.fail(&["database", "delete", "--force=false", "keep"]),
    ];
    for out in &outs {
        assert!(out.stderr.contains("pass --force"), "{}", out.transcript());
        assert!(out.stdout.is_empty());
    }
    snap!(
        "prompt_refusals",
        transcripts(&outs.iter().collect::<Vec<_>>())
    );
    assert!(env.ok(&["database", "list"]).stdout.contains("keep"));
    assert!(env.ok(&["table", "list", "keep"]).stdout.contains("cpu"));
    assert!(env.ok(&["token", "list"]).stdout.contains(&token));
    let list = env.ok(&["management", "list", "--format", "json"]).json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("revoked_at").is_none())
    );

    // --force, and Go's --force=true, go ahead.
    env.ok(&["table", "delete", "--force=true", "keep", "cpu"]);
    env.ok(&["database", "delete", "-force", "keep"]);
    env.ok(&["token", "revoke", "--force", &token]);
    env.ok(&["management", "revoke", "--force", &mgmt]);
}

/// Runs stratactl on a pseudo-terminal (through util-linux `script`), typing `answer`.
fn on_a_terminal(env: &Env, args: &str, answer: &str) -> Option<(bool, String)> {
    let mut child = env
        .ctl
        .on_a_terminal(args)?
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    ))
}

#[test]
fn on_a_terminal_only_y_goes_ahead() {
    let env = Env::start();
    env.ok(&["database", "create", "a"]);
    env.ok(&["database", "create", "b"]);
    let Some((ok, screen)) = on_a_terminal(&env, "database delete a", "n") else {
        return;
    };
    assert!(ok, "{screen}");
    assert!(
        screen.contains("Are you sure you want to delete database \"a\"? (y/N): "),
        "{screen}"
    );
    assert!(
        screen.contains("database \"a\" was not deleted"),
        "{screen}"
    );
    let (ok, screen) = on_a_terminal(&env, "database delete b", "y").unwrap();
    assert!(ok, "{screen}");
    assert!(screen.contains("deleted database \"b\""), "{screen}");
    let list = env.ok(&["database", "list", "--format", "json"]).json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["database_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a"]);

    let id = env.ok(&["token", "create", "--format", "json", "t"]).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (ok, screen) = on_a_terminal(&env, &format!("token revoke {id}"), "y").unwrap();
    assert!(ok, "{screen}");
    assert!(
        screen.contains(&format!("revoked database token {id}")),
        "{screen}"
    );

    // Deleting a user names them in the question.
    let user = env.ok(&[
        "user",
        "invite",
        "--format",
        "json",
        "A",
        "B",
        "ab@example.com",
    ]);
    let user = user.json()["id"].as_str().unwrap().to_string();
    let (ok, screen) = on_a_terminal(&env, &format!("user delete {user}"), "n").unwrap();
    assert!(ok, "{screen}");
    assert!(
        screen.contains(&format!(
            "Are you sure you want to delete user {user} (ab@example.com)? Their access ends at once and this cannot be undone (y/N): "
        )),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("user {user} was not deleted")),
        "{screen}"
    );
    let (ok, screen) = on_a_terminal(&env, &format!("user delete {user}"), "y").unwrap();
    assert!(ok, "{screen}");
    assert!(screen.contains(&format!("deleted user {user}")), "{screen}");
}
