//! The account and cluster identity, and users.

use strata_catalog::{Catalog, NewUser};
use strata_types::{ErrorKind, UserGroup};

use crate::fixture::Fixture;
use crate::support::{expect_err, new_database, now, seconds};

pub async fn identity_is_created_once_and_stable_across_reopen(fixture: &Fixture) {
    let catalog = fixture.catalog();
    let first = catalog.identity().await.unwrap();
    assert_eq!(first.cluster.account_id, first.account_id);
    assert_ne!(first.cluster.id, first.account_id);
    assert!(!first.account_id.is_nil() && !first.cluster.id.is_nil());
    assert_eq!(first.cluster.name, "strata");
    assert_eq!(first.cluster.state, "ready");
    assert_eq!(catalog.identity().await.unwrap(), first);

    // Opening the same catalog again (a restart, or a second node) keeps the identity.
    let reopened = fixture.reopen().await;
    let again = reopened.identity().await.unwrap();
    assert_eq!(again.account_id, first.account_id);
    assert_eq!(again.cluster.id, first.cluster.id);
    assert_eq!(again, first);
    assert_eq!(
        reopened.list_clusters().await.unwrap(),
        vec![first.cluster.clone()]
    );
    // ... and it is the same store: what one handle writes the other reads.
    let created = catalog
        .create_database(new_database("shared"))
        .await
        .unwrap();
    assert_eq!(reopened.get_database("shared").await.unwrap(), created);
    drop(reopened);
    let third = fixture.reopen().await;
    assert_eq!(third.identity().await.unwrap(), first);
}

pub async fn list_clusters_returns_the_one_cluster(catalog: &dyn Catalog) {
    let identity = catalog.identity().await.unwrap();
    let clusters = catalog.list_clusters().await.unwrap();
    assert_eq!(clusters, vec![identity.cluster.clone()]);
    assert!(identity.cluster.created_at <= now());
}

fn new_user(email: &str, first: &str, last: &str, group: UserGroup) -> NewUser {
    NewUser {
        email: email.to_string(),
        first_name: first.to_string(),
        last_name: last.to_string(),
        group,
        password_hash: None,
        subject: None,
    }
}

pub async fn users_are_created_listed_and_unique_by_email(catalog: &dyn Catalog) {
    assert!(catalog.list_users().await.unwrap().is_empty());
    let before = now();
    let bob = catalog
        .create_user(new_user(
            "bob@example.com",
            "Bob",
            "Builder",
            UserGroup::Member,
        ))
        .await
        .unwrap();
    assert_eq!(bob.email, "bob@example.com");
    assert_eq!(bob.first_name, "Bob");
    assert_eq!(bob.last_name, "Builder");
    assert_eq!(bob.group, UserGroup::Member);
    assert_eq!(bob.status, "active");
    assert!(before <= bob.created_at && bob.created_at <= now());
    let carol = catalog
        .create_user(new_user(
            "carol@example.com",
            "Carol",
            "C",
            UserGroup::Auditor,
        ))
        .await
        .unwrap();
    let alice = catalog
        .create_user(new_user(
            "alice@example.com",
            "Alice",
            "A",
            UserGroup::Admin,
        ))
        .await
        .unwrap();
    assert!(alice.id != bob.id && bob.id != carol.id && alice.id != carol.id);

    // Ordered by email; what was returned at creation is what is stored.
    assert_eq!(
        catalog.list_users().await.unwrap(),
        vec![alice.clone(), bob.clone(), carol.clone()]
    );

    expect_err(
        catalog
            .create_user(new_user(
                "bob@example.com",
                "Robert",
                "Other",
                UserGroup::Admin,
            ))
            .await,
        ErrorKind::Conflict,
        &["bob@example.com", "already exists"],
    );
    let users = catalog.list_users().await.unwrap();
    assert_eq!(users, vec![alice, bob, carol]);
}

pub async fn users_are_listed_by_email_bytewise(catalog: &dyn Catalog) {
    for email in [
        "b.x@example.com",
        "Zed@example.com",
        "b_a@example.com",
        "a@example.com",
    ] {
        catalog
            .create_user(new_user(email, "F", "L", UserGroup::Member))
            .await
            .unwrap();
    }
    let users = catalog.list_users().await.unwrap();
    let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "Zed@example.com",
            "a@example.com",
            "b.x@example.com",
            "b_a@example.com"
        ]
    );
}

pub async fn settings_are_claimed_once(catalog: &dyn Catalog) {
    assert_eq!(catalog.claim_setting("k", "first").await.unwrap(), "first");
    assert_eq!(
        catalog.claim_setting("k", "second").await.unwrap(),
        "first",
        "the first value stays"
    );
    assert_eq!(catalog.claim_setting("other", "x").await.unwrap(), "x");
}

pub async fn users_are_found_updated_and_removed(catalog: &dyn Catalog) {
    use strata_types::UserUpdate;
    let mut new = new_user("ada@example.com", "Ada", "Lovelace", UserGroup::Member);
    new.password_hash = Some("$argon2id$fake".into());
    let ada = catalog.create_user(new).await.unwrap();
    assert_eq!(catalog.get_user(ada.id).await.unwrap(), ada);
    let (found, hash) = catalog
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, ada);
    assert_eq!(hash.as_deref(), Some("$argon2id$fake"));
    assert!(
        catalog
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );

    let updated = catalog
        .update_user(
            ada.id,
            UserUpdate {
                group: Some(UserGroup::Admin),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.group, UserGroup::Admin);
    assert_eq!(updated.first_name, "Ada", "untouched fields stay");
    assert!(updated.updated_at >= ada.updated_at);
    assert_eq!(updated.sessions_valid_from, None);
    let changed = catalog
        .set_user_password(ada.id, "$argon2id$other")
        .await
        .unwrap();
    let valid_from = changed.sessions_valid_from.expect("sessions end");
    assert!(valid_from >= updated.updated_at);
    assert_eq!(catalog.get_user(ada.id).await.unwrap(), changed);
    let (_, hash) = catalog
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash.as_deref(), Some("$argon2id$other"));

    // Ada is the only Admin: she stays one.
    let last = catalog.remove_user(ada.id).await.unwrap_err();
    assert_eq!(last.kind, ErrorKind::Conflict);
    assert_eq!(
        last.message,
        "ada@example.com is the last Admin; make another user Admin first"
    );
    let demote = UserUpdate {
        group: Some(UserGroup::Member),
        ..UserUpdate::default()
    };
    let last = catalog
        .update_user(ada.id, demote.clone())
        .await
        .unwrap_err();
    assert_eq!(last.kind, ErrorKind::Conflict);
    catalog
        .create_user(new_user("bob@example.com", "Bob", "B", UserGroup::Admin))
        .await
        .unwrap();
    assert_eq!(catalog.remove_user(ada.id).await.unwrap().id, ada.id);
    for result in [
        catalog.get_user(ada.id).await.map(|_| ()),
        catalog.remove_user(ada.id).await.map(|_| ()),
        catalog
            .update_user(ada.id, UserUpdate::default())
            .await
            .map(|_| ()),
        catalog.set_user_password(ada.id, "x").await.map(|_| ()),
    ] {
        assert_eq!(result.unwrap_err().kind, ErrorKind::NotFound);
    }
    // The email is free again.
    catalog
        .create_user(new_user("ada@example.com", "Ada", "L", UserGroup::Auditor))
        .await
        .unwrap();
}

pub async fn signing_keys_are_listed_until_retired(catalog: &dyn Catalog) {
    use strata_types::SigningKey;
    let t = now();
    let key = |kid: &str, at| SigningKey {
        kid: kid.into(),
        algorithm: "EdDSA".into(),
        public_key: format!("pk-{kid}"),
        created_at: at,
        retire_after: None,
    };
    catalog.add_signing_key(&key("old", t)).await.unwrap();
    catalog
        .add_signing_key(&key("new", t + seconds(1)))
        .await
        .unwrap();
    let kids = |keys: Vec<SigningKey>| keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
    assert_eq!(
        kids(catalog.list_signing_keys(t).await.unwrap()),
        ["new", "old"]
    );
    catalog
        .retire_signing_key("old", t + seconds(60))
        .await
        .unwrap();
    assert_eq!(
        kids(catalog.list_signing_keys(t + seconds(30)).await.unwrap()),
        ["new", "old"]
    );
    assert_eq!(
        kids(catalog.list_signing_keys(t + seconds(61)).await.unwrap()),
        ["new"]
    );
}

pub async fn device_authorizations_are_polled_decided_and_deleted(catalog: &dyn Catalog) {
    use strata_types::{DeviceAuthorization, DeviceStatus};
    let t = now();
    let pending = DeviceAuthorization {
        device_code_hash: "hash-1".into(),
        user_code: "BCDF-GHJK".into(),
        client_id: "stratactl".into(),
        scope: "openid".into(),
        created_at: t,
        expires_at: t + seconds(600),
        interval_secs: 5,
        last_poll_at: None,
        status: DeviceStatus::Pending,
        user_id: None,
    };
    catalog.create_device_authorization(&pending).await.unwrap();
    let clash = DeviceAuthorization {
        device_code_hash: "hash-2".into(),
        ..pending.clone()
    };
    assert_eq!(
        catalog
            .create_device_authorization(&clash)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Conflict
    );
    assert_eq!(
        catalog
            .find_device_authorization("BCDF-GHJK")
            .await
            .unwrap(),
        Some(pending.clone())
    );

    let first = catalog
        .poll_device_authorization("hash-1", t + seconds(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.last_poll_at, None,
        "returned as it was before the poll"
    );
    let second = catalog
        .poll_device_authorization("hash-1", t + seconds(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.last_poll_at, Some(t + seconds(5)));
    assert!(
        catalog
            .poll_device_authorization("nope", t)
            .await
            .unwrap()
            .is_none()
    );

    let user = uuid::Uuid::new_v4();
    let approved = catalog
        .decide_device_authorization("BCDF-GHJK", DeviceStatus::Approved, user)
        .await
        .unwrap();
    assert_eq!(approved.status, DeviceStatus::Approved);
    assert_eq!(approved.user_id, Some(user));
    assert_eq!(
        catalog
            .decide_device_authorization("BCDF-GHJK", DeviceStatus::Denied, user)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::NotFound,
        "only pending authorizations can be decided"
    );
    catalog.delete_device_authorization("hash-1").await.unwrap();
    assert!(
        catalog
            .find_device_authorization("BCDF-GHJK")
            .await
            .unwrap()
            .is_none()
    );

    // Expired authorizations free their user codes for new ones.
    let expired = DeviceAuthorization {
        device_code_hash: "hash-3".into(),
        user_code: "LMNP-QRST".into(),
        expires_at: t - seconds(1),
        created_at: t - seconds(600),
        ..pending.clone()
    };
    catalog.create_device_authorization(&expired).await.unwrap();
    let reuse = DeviceAuthorization {
        device_code_hash: "hash-4".into(),
        user_code: "LMNP-QRST".into(),
        ..pending
    };
    catalog.create_device_authorization(&reuse).await.unwrap();
}
