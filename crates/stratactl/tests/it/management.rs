use crate::common::{Env, transcripts};

#[test]
fn create_list_revoke() {
    let env = Env::start();
    let create = env.ok(&["management", "create", "--description", "automation"]);
    let secret = create.last_line();
    assert!(
        secret.starts_with("strata_mgmt_"),
        "{}",
        create.transcript()
    );
    assert_eq!(
        create.stderr,
        "warn\tplease copy the token and store in a safe place\nwarn\tthis is the *only time* you will see the token\n"
    );
    let create_json = env.ok(&[
        "management",
        "create",
        "--expires-at",
        "2099-12-31T23:59:59+0100",
        "--format",
        "json",
    ]);
    let created = create_json.json();
    assert!(
        created["token"]
            .as_str()
            .unwrap()
            .starts_with("strata_mgmt_")
    );
    assert_eq!(created["description"], "created by stratactl");
    assert_eq!(created["expires_at"]["seconds"], 4_102_441_199_i64);
    assert!(created.get("revoked_at").is_none());
    let id = created["id"].as_str().unwrap().to_string();

    let list = env.ok(&["management", "list"]);
    let revoke = env.ok(&["management", "revoke", "--force", &id]);
    // Revoked tokens stay listed, with their revocation time.
    let after = env.ok(&["management", "list"]);
    let after_json = env.ok(&["management", "list", "--format", "json"]);
    let revoked = after_json.json();
    let entry = revoked
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(entry["revoked_at"]["seconds"].as_i64().unwrap() > 0);
    let by_description = env.ok(&["management", "list", "--sort", "description"]);
    snap!(
        "management_create_list_revoke",
        transcripts(&[
            &create,
            &create_json,
            &list,
            &revoke,
            &after,
            &after_json,
            &by_description
        ])
    );
    for sort in [
        "created",
        "id",
        "description",
        "prefix",
        "expires",
        "revoked",
    ] {
        let out = env.ok(&["management", "list", "--sort", sort, "--format", "json"]);
        assert_eq!(out.json().as_array().unwrap().len(), 3, "--sort {sort}");
    }
}

#[test]
fn revoking_several_carries_on_past_a_failure() {
    let env = Env::start();
    let ids: Vec<String> = (0..2)
        .map(|i| {
            env.ok(&[
                "management",
                "create",
                "--description",
                &format!("t{i}"),
                "--format",
                "json",
            ])
            .json()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let out = env
        .fail(&["management", "revoke", "--force", &ids[0], unknown, &ids[1]])
        .stderr_has("not found")
        .stderr_has("1 of 3 revocations failed");
    for id in &ids {
        assert!(
            out.stdout
                .contains(&format!("revoked management token {id}"))
        );
    }
    let list = env.ok(&["management", "list", "--format", "json"]).json();
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("revoked_at").is_some())
        .count();
    assert_eq!(revoked, 2);
}
