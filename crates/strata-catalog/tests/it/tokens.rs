//! Database and management tokens, their use, and the change feed nodes refresh from.

use std::collections::BTreeMap;

use strata_catalog::Catalog;
use strata_types::{Actor, DatabaseToken, ErrorKind, Permission, TokenKind, TokenRecord};
use uuid::Uuid;

use crate::fixture::Fixture;
use crate::support::{
    database_token, expect_err, hours, new_database, now, read, seconds, token_record, write,
};

fn revoked(mut token: DatabaseToken, at: chrono::DateTime<chrono::Utc>) -> DatabaseToken {
    token.token.revoked_at = Some(at);
    token
}

pub async fn database_token_create_get_and_list(catalog: &dyn Catalog) {
    assert!(catalog.list_database_tokens(true).await.unwrap().is_empty());
    let t = now();
    let mut a = database_token("hash-a", t, vec![read("db1"), write("db1")]);
    a.token.expires_at = Some(t + hours(24 * 30));
    let mut b = database_token("hash-b", t + seconds(1), vec![read("*")]);
    b.token.created_by = Actor::ManagementToken(Uuid::new_v4());
    let mut c = database_token("hash-c", t + seconds(2), vec![write("db2")]);
    c.token.created_by = Actor::System;
    // Created out of order: listing is by creation time.
    for token in [&c, &a, &b] {
        catalog.create_database_token(token).await.unwrap();
    }

    assert_eq!(catalog.get_database_token(a.token.id).await.unwrap(), a);
    assert_eq!(catalog.get_database_token(b.token.id).await.unwrap(), b);
    assert_eq!(catalog.get_database_token(c.token.id).await.unwrap(), c);
    assert_eq!(
        catalog.list_database_tokens(false).await.unwrap(),
        vec![a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        catalog.list_database_tokens(true).await.unwrap(),
        vec![a, b, c]
    );

    let unknown = Uuid::new_v4();
    expect_err(
        catalog.get_database_token(unknown).await,
        ErrorKind::NotFound,
        &[&unknown.to_string(), "not found"],
    );
}

pub async fn database_token_update_changes_only_given_fields(catalog: &dyn Catalog) {
    let t = now();
    let mut token = database_token("hash-u", t, vec![read("db1"), write("db1")]);
    token.token.description = "ingest".into();
    token.token.expires_at = Some(t + hours(1));
    catalog.create_database_token(&token).await.unwrap();

    // Description only.
    token.token.description = "ingest for db1".into();
    let updated = catalog
        .update_database_token(token.token.id, Some("ingest for db1".into()), None)
        .await
        .unwrap();
    assert_eq!(updated, token);
    assert_eq!(
        catalog.get_database_token(token.token.id).await.unwrap(),
        token
    );

    // Permissions only: the new set replaces the old one.
    token.permissions = vec![read("db2")];
    let updated = catalog
        .update_database_token(token.token.id, None, Some(vec![read("db2")]))
        .await
        .unwrap();
    assert_eq!(updated, token);
    assert_eq!(
        catalog.get_database_token(token.token.id).await.unwrap(),
        token
    );

    // Both, then neither.
    token.token.description = "both".into();
    token.permissions = vec![write("*"), read("*")];
    let updated = catalog
        .update_database_token(
            token.token.id,
            Some("both".into()),
            Some(vec![write("*"), read("*")]),
        )
        .await
        .unwrap();
    assert_eq!(updated, token);
    let updated = catalog
        .update_database_token(token.token.id, None, None)
        .await
        .unwrap();
    assert_eq!(updated, token);
    assert_eq!(
        catalog.get_database_token(token.token.id).await.unwrap(),
        token
    );

    let unknown = Uuid::new_v4();
    expect_err(
        catalog
            .update_database_token(unknown, Some("x".into()), None)
            .await,
        ErrorKind::NotFound,
        &[&unknown.to_string()],
    );

    // A revoked token cannot be changed.
    let at = now();
    catalog
        .revoke_database_token(token.token.id, at)
        .await
        .unwrap();
    expect_err(
        catalog
            .update_database_token(token.token.id, Some("after".into()), Some(vec![]))
            .await,
        ErrorKind::NotFound,
        &[&token.token.id.to_string(), "revoked"],
    );
    assert_eq!(
        catalog.get_database_token(token.token.id).await.unwrap(),
        revoked(token, at)
    );
}

pub async fn database_token_revoke_hides_it_and_is_not_repeatable(catalog: &dyn Catalog) {
    let t = now();
    let a = database_token("hash-ra", t, vec![read("db")]);
    let b = database_token("hash-rb", t + seconds(1), vec![write("db")]);
    catalog.create_database_token(&a).await.unwrap();
    catalog.create_database_token(&b).await.unwrap();

    let at = t + seconds(5);
    let revoked_a = catalog.revoke_database_token(a.token.id, at).await.unwrap();
    assert_eq!(revoked_a, revoked(a.clone(), at));
    assert_eq!(
        catalog.get_database_token(a.token.id).await.unwrap(),
        revoked_a
    );
    assert_eq!(
        catalog.list_database_tokens(false).await.unwrap(),
        vec![b.clone()]
    );
    assert_eq!(
        catalog.list_database_tokens(true).await.unwrap(),
        vec![revoked_a.clone(), b.clone()]
    );

    // Revoking again fails and keeps the first revocation time.
    expect_err(
        catalog
            .revoke_database_token(a.token.id, at + seconds(60))
            .await,
        ErrorKind::NotFound,
        &[&a.token.id.to_string(), "already revoked"],
    );
    assert_eq!(
        catalog.get_database_token(a.token.id).await.unwrap(),
        revoked_a
    );

    let unknown = Uuid::new_v4();
    let error = expect_err(
        catalog.revoke_database_token(unknown, at).await,
        ErrorKind::NotFound,
        &[&unknown.to_string(), "not found"],
    );
    assert!(!error.message.contains("already revoked"));
}

pub async fn token_duplicate_hash_or_id_conflicts(catalog: &dyn Catalog) {
    let t = now();
    let a = database_token("same-hash", t, vec![read("db")]);
    catalog.create_database_token(&a).await.unwrap();
    expect_err(
        catalog
            .create_database_token(&database_token("same-hash", t, vec![write("db")]))
            .await,
        ErrorKind::Conflict,
        &[],
    );
    let mut same_id = database_token("other-hash", t, vec![read("db")]);
    same_id.token.id = a.token.id;
    expect_err(
        catalog.create_database_token(&same_id).await,
        ErrorKind::Conflict,
        &[],
    );
    assert_eq!(
        catalog.list_database_tokens(true).await.unwrap(),
        vec![a.clone()]
    );

    let m = token_record("mgmt-hash", t, Actor::System);
    catalog.create_management_token(&m).await.unwrap();
    expect_err(
        catalog
            .create_management_token(&token_record("mgmt-hash", t, Actor::System))
            .await,
        ErrorKind::Conflict,
        &[],
    );
    assert_eq!(
        catalog.list_management_tokens().await.unwrap(),
        vec![m.clone()]
    );

    // The failed attempts left nothing behind in the change feed either.
    let changes = catalog.token_changes_since(0).await.unwrap();
    assert_eq!(changes.database, vec![a]);
    assert_eq!(changes.management, vec![m]);
}

pub async fn management_token_create_list_get_revoke(catalog: &dyn Catalog) {
    assert!(catalog.list_management_tokens().await.unwrap().is_empty());
    let t = now();
    let mut m1 = token_record("m-hash-1", t, Actor::User(Uuid::new_v4()));
    m1.expires_at = Some(t + hours(24));
    let m2 = token_record("m-hash-2", t + seconds(1), Actor::ManagementToken(m1.id));
    catalog.create_management_token(&m2).await.unwrap();
    catalog.create_management_token(&m1).await.unwrap();

    assert_eq!(catalog.get_management_token(m1.id).await.unwrap(), m1);
    assert_eq!(catalog.get_management_token(m2.id).await.unwrap(), m2);
    assert_eq!(
        catalog.list_management_tokens().await.unwrap(),
        vec![m1.clone(), m2.clone()]
    );
    // The two kinds live apart.
    expect_err(
        catalog.get_database_token(m1.id).await,
        ErrorKind::NotFound,
        &[],
    );

    let at = t + seconds(10);
    let revoked_m2 = catalog.revoke_management_token(m2.id, at).await.unwrap();
    assert_eq!(
        revoked_m2,
        TokenRecord {
            revoked_at: Some(at),
            ..m2.clone()
        }
    );
    assert_eq!(
        catalog.get_management_token(m2.id).await.unwrap(),
        revoked_m2
    );
    // Revoked tokens stay listed, with their revocation time.
    assert_eq!(
        catalog.list_management_tokens().await.unwrap(),
        vec![m1.clone(), revoked_m2.clone()]
    );
    expect_err(
        catalog.revoke_management_token(m2.id, now()).await,
        ErrorKind::NotFound,
        &[&m2.id.to_string(), "already revoked"],
    );
    assert_eq!(
        catalog.get_management_token(m2.id).await.unwrap(),
        revoked_m2
    );

    let unknown = Uuid::new_v4();
    expect_err(
        catalog.get_management_token(unknown).await,
        ErrorKind::NotFound,
        &[&unknown.to_string(), "not found"],
    );
    expect_err(
        catalog.revoke_management_token(unknown, now()).await,
        ErrorKind::NotFound,
        &[&unknown.to_string(), "not found"],
    );
}

pub async fn record_token_use_sets_last_used_at(catalog: &dyn Catalog) {
    let t = now();
    let db_token = database_token("use-db", t, vec![read("db")]);
    let mgmt = token_record("use-mgmt", t, Actor::System);
    catalog.create_database_token(&db_token).await.unwrap();
    catalog.create_management_token(&mgmt).await.unwrap();

    let used = t + seconds(30);
    catalog
        .record_token_use(TokenKind::Database, db_token.token.id, used)
        .await
        .unwrap();
    let got = catalog.get_database_token(db_token.token.id).await.unwrap();
    assert_eq!(got.token.last_used_at, Some(used));
    assert_eq!(
        catalog.get_management_token(mgmt.id).await.unwrap(),
        mgmt,
        "using a database token must not touch management tokens"
    );

    catalog
        .record_token_use(TokenKind::Management, mgmt.id, used + seconds(1))
        .await
        .unwrap();
    catalog
        .record_token_use(TokenKind::Management, mgmt.id, used + seconds(90))
        .await
        .unwrap();
    assert_eq!(
        catalog.get_management_token(mgmt.id).await.unwrap(),
        TokenRecord {
            last_used_at: Some(used + seconds(90)),
            ..mgmt
        }
    );
    // The kind names the table: a database token id used as a management one changes nothing.
    catalog
        .record_token_use(
            TokenKind::Management,
            db_token.token.id,
            used + seconds(600),
        )
        .await
        .unwrap();
    let got = catalog.get_database_token(db_token.token.id).await.unwrap();
    assert_eq!(got.token.last_used_at, Some(used));
    assert_eq!(
        got,
        DatabaseToken {
            token: TokenRecord {
                last_used_at: Some(used),
                ..db_token.token.clone()
            },
            ..db_token
        }
    );
}

fn by_id(tokens: Vec<DatabaseToken>) -> BTreeMap<Uuid, DatabaseToken> {
    tokens.into_iter().map(|t| (t.token.id, t)).collect()
}

pub async fn token_changes_since_returns_what_changed(catalog: &dyn Catalog) {
    let empty = catalog.token_changes_since(0).await.unwrap();
    assert!(empty.database.is_empty() && empty.management.is_empty());

    let t = now();
    let a = database_token("feed-a", t, vec![read("db")]);
    let b = database_token("feed-b", t + seconds(1), vec![write("db")]);
    let m = token_record("feed-m", t, Actor::System);
    catalog.create_database_token(&a).await.unwrap();
    catalog.create_management_token(&m).await.unwrap();
    catalog.create_database_token(&b).await.unwrap();

    // From zero: every token.
    let all = catalog.token_changes_since(0).await.unwrap();
    assert!(all.seq > 0, "seq must be positive, got {}", all.seq);
    assert_eq!(
        by_id(all.database),
        by_id(vec![a.clone(), b.clone()]),
        "token_changes_since(0) must return every database token"
    );
    assert_eq!(all.management, vec![m.clone()]);

    // Nothing happened since.
    let none = catalog.token_changes_since(all.seq).await.unwrap();
    assert_eq!(none.seq, all.seq);
    assert!(none.database.is_empty() && none.management.is_empty());

    // Using a token is a change too: nodes list tokens from their index, last use included.
    let used_at = t + seconds(2);
    catalog
        .record_token_use(TokenKind::Database, a.token.id, used_at)
        .await
        .unwrap();
    let after_use = catalog.token_changes_since(all.seq).await.unwrap();
    assert!(after_use.seq > all.seq);
    assert_eq!(after_use.database.len(), 1);
    assert_eq!(after_use.database[0].token.id, a.token.id);
    assert_eq!(after_use.database[0].token.last_used_at, Some(used_at));
    let all = after_use;

    // A revoke: just that token, revoked.
    let at = t + seconds(3);
    catalog.revoke_database_token(b.token.id, at).await.unwrap();
    let after_revoke = catalog.token_changes_since(all.seq).await.unwrap();
    assert!(after_revoke.seq > all.seq);
    assert!(after_revoke.management.is_empty());
    assert_eq!(after_revoke.database, vec![revoked(b.clone(), at)]);
    assert_eq!(
        after_revoke.database[0].token.revoked_at,
        Some(at),
        "the change feed must carry the revocation"
    );

    // Several changes to one token since the last seq: it is listed once, as it is now.
    catalog
        .update_database_token(a.token.id, Some("first".into()), None)
        .await
        .unwrap();
    let updated = catalog
        .update_database_token(a.token.id, Some("second".into()), Some(vec![read("*")]))
        .await
        .unwrap();
    let m_at = t + seconds(4);
    catalog.revoke_management_token(m.id, m_at).await.unwrap();
    let later = catalog.token_changes_since(after_revoke.seq).await.unwrap();
    assert!(later.seq > after_revoke.seq);
    assert_eq!(later.database, vec![updated]);
    assert_eq!(
        later.management,
        vec![TokenRecord {
            revoked_at: Some(m_at),
            ..m
        }]
    );
    let quiet = catalog.token_changes_since(later.seq).await.unwrap();
    assert_eq!(quiet.seq, later.seq);
    assert!(quiet.database.is_empty() && quiet.management.is_empty());
}

pub async fn last_used_never_goes_back(catalog: &dyn Catalog) {
    let t = now();
    let token = database_token("monotonic", t, vec![read("db")]);
    catalog.create_database_token(&token).await.unwrap();
    let id = token.token.id;
    catalog
        .record_token_use(TokenKind::Database, id, t + seconds(120))
        .await
        .unwrap();
    // Another node's older observation arrives late.
    catalog
        .record_token_use(TokenKind::Database, id, t + seconds(60))
        .await
        .unwrap();
    let got = catalog.get_database_token(id).await.unwrap();
    assert_eq!(got.token.last_used_at, Some(t + seconds(120)));
}

pub async fn a_node_behind_a_pruned_feed_reloads_every_token(catalog: &dyn Catalog) {
    let t = now();
    let old = database_token("pruned-old", t, vec![read("db")]);
    catalog.create_database_token(&old).await.unwrap();
    let behind = catalog.token_changes_since(0).await.unwrap();
    for i in 0..5 {
        let token = database_token(&format!("pruned-{i}"), t + seconds(i + 1), vec![read("db")]);
        catalog.create_database_token(&token).await.unwrap();
    }
    let removed = catalog.prune_token_changes(2).await.unwrap();
    assert_eq!(removed, 4, "all but the newest two changes are gone");
    assert_eq!(catalog.prune_token_changes(2).await.unwrap(), 0);

    // `behind.seq` is older than the oldest change kept: a full reload, the old token included.
    let caught_up = catalog.token_changes_since(behind.seq).await.unwrap();
    assert_eq!(caught_up.database.len(), 6);
    assert!(
        caught_up
            .database
            .iter()
            .any(|d| d.token.id == old.token.id)
    );
    // A node that is current sees nothing new, and a full load is still complete.
    let current = catalog.token_changes_since(caught_up.seq).await.unwrap();
    assert!(current.database.is_empty() && current.seq == caught_up.seq);
    assert_eq!(
        catalog.token_changes_since(0).await.unwrap().database.len(),
        6
    );
}

pub async fn permissions_stored_by_name_are_bound_to_their_database(fixture: &Fixture) {
    let catalog = fixture.catalog();
    let kept = catalog.create_database(new_database("kept")).await.unwrap();
    catalog.create_database(new_database("gone")).await.unwrap();
    catalog.delete_database("gone", now()).await.unwrap();
    // Permissions without database ids, as catalogs before version 7 hold them.
    let token = database_token(
        "old-hash",
        now(),
        vec![read("kept"), read("gone"), write("*")],
    );
    catalog.create_database_token(&token).await.unwrap();
    fixture
        .execute("DELETE FROM schema_migrations WHERE version = 7")
        .await;
    let upgraded = fixture.reopen().await;
    let permissions = upgraded
        .get_database_token(token.token.id)
        .await
        .unwrap()
        .permissions;
    assert_eq!(
        permissions,
        vec![
            Permission {
                database_id: Some(kept.id),
                ..read("kept")
            },
            read("gone"),
            write("*"),
        ],
        "a name whose database is gone is bound to none, and so allows nothing"
    );
}
