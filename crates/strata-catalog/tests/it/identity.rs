//! The account and cluster identity, and users.

use strata_catalog::{Catalog, NewUser};
use strata_types::{ErrorKind, UserGroup};

use crate::fixture::Fixture;
use crate::support::{expect_err, new_database, now};

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
