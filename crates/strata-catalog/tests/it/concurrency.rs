//! What must hold when several callers (or nodes) change the catalog at once.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use strata_catalog::{Catalog, SqlCatalog};
use strata_types::{ErrorKind, NewDatabase, Result, Status};

use crate::fixture::Fixture;
use crate::support::{database_token, new_database, now, read};

/// Runs `futures` concurrently and returns their outputs in order (a tiny `join_all`).
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

/// Makes the catalog's connection pool (if it has one) open several connections, so that the
/// racing calls below really run at the same time instead of queueing for the first one.
pub(crate) async fn warm_up(catalog: &dyn Catalog) {
    for _ in 0..3 {
        join_all((0..10).map(|_| catalog.list_databases(None)).collect()).await;
    }
}

/// How many results succeeded, and the kinds of the failures.
pub(crate) fn tally<T>(results: &[Result<T>]) -> (usize, Vec<ErrorKind>) {
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let errors = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| e.kind)
        .collect();
    (ok, errors)
}

pub async fn nodes_opening_a_new_catalog_together_share_one_identity(fixture: &Fixture) {
    let url = fixture.empty_store().await;
    let opened = join_all((0..4).map(|_| SqlCatalog::open(&url)).collect()).await;
    let catalogs: Vec<SqlCatalog> = opened
        .into_iter()
        .map(|c| c.unwrap_or_else(|e| panic!("opening together failed: {}", e.message)))
        .collect();
    let identity = catalogs[0].identity().await.unwrap();
    for catalog in &catalogs {
        assert_eq!(catalog.identity().await.unwrap(), identity);
        assert_eq!(
            catalog.list_clusters().await.unwrap(),
            vec![identity.cluster.clone()]
        );
    }
}

pub async fn concurrent_creates_of_one_database_name_leave_one(catalog: &dyn Catalog) {
    let results = join_all(
        (0..6)
            .map(|_| catalog.create_database(new_database("race")))
            .collect(),
    )
    .await;
    let (ok, errors) = tally(&results);
    assert_eq!(ok, 1, "exactly one create may win: {results:?}");
    assert_eq!(errors, vec![ErrorKind::Conflict; 5], "{results:?}");
    assert_eq!(catalog.list_databases(None).await.unwrap().len(), 1);
}

pub async fn concurrent_table_creates_respect_the_table_limit(catalog: &dyn Catalog) {
    warm_up(catalog).await;
    // A few rounds, each in a new database, as a lost race shows only now and then.
    for (round, limit) in [1, 2, 1, 3].into_iter().enumerate() {
        let database = format!("limited{round}");
        catalog
            .create_database(NewDatabase {
                max_tables: limit,
                ..new_database(&database)
            })
            .await
            .unwrap();
        let names: Vec<String> = (0..8).map(|i| format!("t{i}")).collect();
        let results = join_all(
            names
                .iter()
                .map(|name| catalog.create_table(&database, name, None))
                .collect(),
        )
        .await;
        let (ok, errors) = tally(&results);
        let active = catalog
            .list_tables(&database, Some(Status::Active))
            .await
            .unwrap();
        assert_eq!(
            active.len(),
            limit as usize,
            "database {database} may hold at most {limit} tables, has {}: {results:?}",
            active.len()
        );
        assert_eq!(ok, limit as usize, "{results:?}");
        assert_eq!(
            errors,
            vec![ErrorKind::InvalidArgument; 8 - limit as usize],
            "{results:?}"
        );
    }
}

pub async fn concurrent_creates_of_one_table_name_leave_one(catalog: &dyn Catalog) {
    catalog.create_database(new_database("db")).await.unwrap();
    warm_up(catalog).await;
    let results = join_all(
        (0..6)
            .map(|_| catalog.create_table("db", "cpu", None))
            .collect(),
    )
    .await;
    let (ok, errors) = tally(&results);
    assert_eq!(ok, 1, "exactly one create may win: {results:?}");
    assert_eq!(errors, vec![ErrorKind::Conflict; 5], "{results:?}");
    assert_eq!(catalog.list_tables("db", None).await.unwrap().len(), 1);
}

pub async fn concurrent_revokes_of_one_token_succeed_once(catalog: &dyn Catalog) {
    let token = database_token("race-hash", now(), vec![read("db")]);
    catalog.create_database_token(&token).await.unwrap();
    let before = catalog.token_changes_since(0).await.unwrap().seq;
    warm_up(catalog).await;
    let at = now();
    let results = join_all(
        (0..6)
            .map(|_| catalog.revoke_database_token(token.token.id, at))
            .collect(),
    )
    .await;
    let (ok, errors) = tally(&results);
    assert_eq!(ok, 1, "exactly one revoke may win: {results:?}");
    assert_eq!(errors, vec![ErrorKind::NotFound; 5], "{results:?}");
    let changes = catalog.token_changes_since(before).await.unwrap();
    assert_eq!(changes.database.len(), 1);
    assert_eq!(changes.database[0].token.revoked_at, Some(at));
}

pub async fn concurrent_changes_never_leave_no_admin(catalog: &dyn Catalog) {
    use strata_types::{UserGroup, UserUpdate};
    let mut admins = Vec::new();
    for i in 0..4 {
        let user = catalog
            .create_user(strata_catalog::NewUser {
                email: format!("admin{i}@example.com"),
                first_name: String::new(),
                last_name: String::new(),
                group: UserGroup::Admin,
                password_hash: None,
                subject: None,
            })
            .await
            .unwrap();
        admins.push(user.id);
    }
    warm_up(catalog).await;
    // Every Admin demoted or removed at once: one must be refused.
    let demote = UserUpdate {
        group: Some(UserGroup::Auditor),
        ..UserUpdate::default()
    };
    let results = join_all(
        admins
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let demote = demote.clone();
                async move {
                    if i % 2 == 0 {
                        catalog.update_user(*id, demote).await.map(|_| ())
                    } else {
                        catalog.remove_user(*id).await.map(|_| ())
                    }
                }
            })
            .collect(),
    )
    .await;
    let (ok, errors) = tally(&results);
    assert_eq!(ok, 3, "{results:?}");
    assert_eq!(errors, vec![ErrorKind::Conflict], "{results:?}");
    let left = catalog.list_users().await.unwrap();
    assert_eq!(
        left.iter().filter(|u| u.group == UserGroup::Admin).count(),
        1,
        "{left:?}"
    );
}
