//! Databases: create, list, get, update, delete, rename, undelete.

use strata_catalog::Catalog;
use strata_types::{
    Database, DatabaseUpdate, ErrorKind, NewDatabase, PartitionTemplate, Status, TemplatePart,
};

use crate::support::{expect_err, hours, new_database, now, seconds};

const HOUR_NS: i64 = 3_600_000_000_000;

fn names(databases: &[Database]) -> Vec<(&str, Status)> {
    databases
        .iter()
        .map(|d| (d.name.as_str(), d.status))
        .collect()
}

pub async fn database_create_returns_id_and_settings(catalog: &dyn Catalog) {
    let template = PartitionTemplate(vec![
        TemplatePart::Tag("host".into()),
        TemplatePart::Time("%Y-%m".into()),
    ]);
    let before = now();
    let metrics = catalog
        .create_database(NewDatabase {
            name: "metrics".into(),
            retention_period_ns: 7 * 24 * HOUR_NS,
            max_tables: 42,
            max_columns_per_table: 99,
            partition_template: Some(template.clone()),
        })
        .await
        .unwrap();
    assert!(metrics.id > 0);
    assert_eq!(metrics.name, "metrics");
    assert_eq!(metrics.retention_period_ns, 7 * 24 * HOUR_NS);
    assert_eq!(metrics.max_tables, 42);
    assert_eq!(metrics.max_columns_per_table, 99);
    assert_eq!(metrics.partition_template, Some(template));
    assert_eq!(metrics.status, Status::Active);
    assert_eq!(metrics.deleted_at, None);
    assert!(before <= metrics.created_at && metrics.created_at <= now());

    let plain = catalog
        .create_database(new_database("plain"))
        .await
        .unwrap();
    assert_ne!(plain.id, metrics.id);
    assert_eq!(
        (
            plain.retention_period_ns,
            plain.max_tables,
            plain.max_columns_per_table,
            plain.partition_template.clone()
        ),
        (0, 500, 250, None)
    );
    assert_eq!(catalog.get_database("metrics").await.unwrap(), metrics);
    assert_eq!(catalog.get_database("plain").await.unwrap(), plain);
}

pub async fn database_duplicate_active_name_conflicts(catalog: &dyn Catalog) {
    let first = catalog.create_database(new_database("dup")).await.unwrap();
    expect_err(
        catalog
            .create_database(NewDatabase {
                max_tables: 1,
                ..new_database("dup")
            })
            .await,
        ErrorKind::Conflict,
        &["\"dup\"", "already exists"],
    );
    assert_eq!(
        catalog.list_databases(None).await.unwrap(),
        vec![first.clone()]
    );
    assert_eq!(catalog.get_database("dup").await.unwrap(), first);
}

pub async fn database_list_filters_by_status(catalog: &dyn Catalog) {
    assert!(catalog.list_databases(None).await.unwrap().is_empty());
    for name in ["b", "c", "a"] {
        catalog.create_database(new_database(name)).await.unwrap();
    }
    let at = now();
    let old_b = catalog.delete_database("b", at).await.unwrap();
    let new_b = catalog.create_database(new_database("b")).await.unwrap();

    let active = catalog.list_databases(Some(Status::Active)).await.unwrap();
    assert_eq!(
        names(&active),
        [
            ("a", Status::Active),
            ("b", Status::Active),
            ("c", Status::Active)
        ]
    );
    assert_eq!(active[1].id, new_b.id);

    let deleted = catalog.list_databases(Some(Status::Deleted)).await.unwrap();
    assert_eq!(deleted, vec![old_b.clone()]);
    assert_eq!(deleted[0].deleted_at, Some(at));

    // All of them, ordered by name, then id.
    let all = catalog.list_databases(None).await.unwrap();
    assert_eq!(
        names(&all),
        [
            ("a", Status::Active),
            ("b", Status::Deleted),
            ("b", Status::Active),
            ("c", Status::Active)
        ]
    );
    assert_eq!((all[1].id, all[2].id), (old_b.id, new_b.id));
    assert!(old_b.id < new_b.id);
}

pub async fn database_get_finds_only_active_databases(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("here")).await.unwrap();
    assert_eq!(catalog.get_database("here").await.unwrap(), db);
    expect_err(
        catalog.get_database("nowhere").await,
        ErrorKind::NotFound,
        &["\"nowhere\"", "not found"],
    );
    catalog.delete_database("here", now()).await.unwrap();
    expect_err(
        catalog.get_database("here").await,
        ErrorKind::NotFound,
        &["\"here\"", "not found"],
    );
}

pub async fn database_update_changes_only_given_fields(catalog: &dyn Catalog) {
    let template = PartitionTemplate(vec![TemplatePart::Time("%Y".into())]);
    let original = catalog
        .create_database(NewDatabase {
            name: "tuned".into(),
            retention_period_ns: HOUR_NS,
            max_tables: 10,
            max_columns_per_table: 100,
            partition_template: Some(template),
        })
        .await
        .unwrap();

    let mut expected = original.clone();
    expected.retention_period_ns = 2 * HOUR_NS;
    let updated = catalog
        .update_database(
            "tuned",
            DatabaseUpdate {
                retention_period_ns: Some(2 * HOUR_NS),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated, expected);
    assert_eq!(catalog.get_database("tuned").await.unwrap(), expected);

    expected.max_tables = 20;
    let updated = catalog
        .update_database(
            "tuned",
            DatabaseUpdate {
                max_tables: Some(20),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated, expected);
    assert_eq!(catalog.get_database("tuned").await.unwrap(), expected);

    expected.max_columns_per_table = 200;
    let updated = catalog
        .update_database(
            "tuned",
            DatabaseUpdate {
                max_columns_per_table: Some(200),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated, expected);
    assert_eq!(catalog.get_database("tuned").await.unwrap(), expected);

    // Nothing given: nothing changes.
    let updated = catalog
        .update_database("tuned", DatabaseUpdate::default())
        .await
        .unwrap();
    assert_eq!(updated, expected);

    // Everything given.
    expected.retention_period_ns = 0;
    expected.max_tables = 5;
    expected.max_columns_per_table = 50;
    let updated = catalog
        .update_database(
            "tuned",
            DatabaseUpdate {
                retention_period_ns: Some(0),
                max_tables: Some(5),
                max_columns_per_table: Some(50),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated, expected);
    assert_eq!(catalog.get_database("tuned").await.unwrap(), expected);
    assert_eq!(updated.id, original.id);

    expect_err(
        catalog
            .update_database("missing", DatabaseUpdate::default())
            .await,
        ErrorKind::NotFound,
        &["\"missing\""],
    );
    catalog.delete_database("tuned", now()).await.unwrap();
    expect_err(
        catalog
            .update_database(
                "tuned",
                DatabaseUpdate {
                    max_tables: Some(1),
                    ..DatabaseUpdate::default()
                },
            )
            .await,
        ErrorKind::NotFound,
        &["\"tuned\""],
    );
    let deleted = catalog.list_databases(Some(Status::Deleted)).await.unwrap();
    assert_eq!(deleted[0].max_tables, 5);
}

pub async fn database_delete_is_soft_and_undelete_needs_the_name_free(catalog: &dyn Catalog) {
    let old = catalog
        .create_database(NewDatabase {
            retention_period_ns: HOUR_NS,
            max_tables: 7,
            ..new_database("events")
        })
        .await
        .unwrap();
    let at = now();
    let deleted = catalog.delete_database("events", at).await.unwrap();
    assert_eq!(
        deleted,
        Database {
            status: Status::Deleted,
            deleted_at: Some(at),
            ..old.clone()
        }
    );
    expect_err(
        catalog.get_database("events").await,
        ErrorKind::NotFound,
        &["\"events\""],
    );
    expect_err(
        catalog.delete_database("events", now()).await,
        ErrorKind::NotFound,
        &["\"events\"", "not found"],
    );

    // The name is free again.
    let new = catalog
        .create_database(new_database("events"))
        .await
        .unwrap();
    assert_ne!(new.id, old.id);
    assert_eq!(new.max_tables, 500);

    // The old one cannot come back while its name is taken ...
    expect_err(
        catalog.undelete_database(old.id, at - hours(1)).await,
        ErrorKind::Conflict,
        &["\"events\"", "active database has that name"],
    );
    assert_eq!(
        catalog.list_databases(Some(Status::Deleted)).await.unwrap(),
        vec![deleted]
    );

    // ... and can once the new one has another name.
    let renamed = catalog
        .rename_database("events", "events_new")
        .await
        .unwrap();
    assert_eq!(renamed.id, new.id);
    let restored = catalog
        .undelete_database(old.id, at - hours(1))
        .await
        .unwrap();
    assert_eq!(restored, old);
    assert_eq!(catalog.get_database("events").await.unwrap(), old);
    assert_eq!(catalog.get_database("events_new").await.unwrap().id, new.id);
    assert!(
        catalog
            .list_databases(Some(Status::Deleted))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn database_undelete_outside_the_window_is_not_found(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("old")).await.unwrap();
    let at = now();
    catalog.delete_database("old", at).await.unwrap();

    // Deleted before the start of the window: gone for good.
    expect_err(
        catalog.undelete_database(db.id, at + seconds(1)).await,
        ErrorKind::NotFound,
        &["\"old\"", "undelete window"],
    );
    expect_err(
        catalog.undelete_database(db.id + 1000, at).await,
        ErrorKind::NotFound,
        &[&(db.id + 1000).to_string()],
    );
    // Deleted exactly at the start of the window: still restorable.
    let restored = catalog.undelete_database(db.id, at).await.unwrap();
    assert_eq!(restored, db);
}

pub async fn database_undelete_of_an_active_database_conflicts(catalog: &dyn Catalog) {
    let db = catalog
        .create_database(new_database("alive"))
        .await
        .unwrap();
    expect_err(
        catalog.undelete_database(db.id, now() - hours(1)).await,
        ErrorKind::Conflict,
        &["\"alive\"", "not deleted"],
    );
    assert_eq!(catalog.get_database("alive").await.unwrap(), db);
}

pub async fn database_rename_keeps_the_id_and_refuses_taken_names(catalog: &dyn Catalog) {
    let alpha = catalog
        .create_database(NewDatabase {
            max_tables: 3,
            ..new_database("alpha")
        })
        .await
        .unwrap();
    let beta = catalog.create_database(new_database("beta")).await.unwrap();

    expect_err(
        catalog.rename_database("alpha", "beta").await,
        ErrorKind::Conflict,
        &["\"alpha\"", "\"beta\""],
    );
    assert_eq!(catalog.get_database("alpha").await.unwrap(), alpha);
    assert_eq!(catalog.get_database("beta").await.unwrap(), beta);

    let gamma = catalog.rename_database("alpha", "gamma").await.unwrap();
    assert_eq!(
        gamma,
        Database {
            name: "gamma".into(),
            ..alpha.clone()
        }
    );
    assert_eq!(catalog.get_database("gamma").await.unwrap(), gamma);
    expect_err(
        catalog.get_database("alpha").await,
        ErrorKind::NotFound,
        &["\"alpha\""],
    );
    expect_err(
        catalog.rename_database("alpha", "delta").await,
        ErrorKind::NotFound,
        &["\"alpha\""],
    );
    // Renaming to its own name changes nothing.
    assert_eq!(catalog.rename_database("beta", "beta").await.unwrap(), beta);
    // A name held only by a deleted database is free.
    catalog.delete_database("beta", now()).await.unwrap();
    let renamed = catalog.rename_database("gamma", "beta").await.unwrap();
    assert_eq!(renamed.id, alpha.id);
    assert_eq!(catalog.get_database("beta").await.unwrap().id, alpha.id);
}

pub async fn database_and_table_lists_sort_names_bytewise(catalog: &dyn Catalog) {
    // Upper case before lower case, '-' before '_': the order of the names' bytes, whatever
    // the collation of the database holding the catalog.
    let shuffled = ["db_b", "Alpha", "dbz", "DB_c", "beta", "db-a"];
    let sorted = ["Alpha", "DB_c", "beta", "db-a", "db_b", "dbz"];
    for name in shuffled {
        catalog.create_database(new_database(name)).await.unwrap();
    }
    for name in shuffled {
        catalog.create_table("Alpha", name, None).await.unwrap();
    }
    let databases = catalog.list_databases(None).await.unwrap();
    let names: Vec<&str> = databases.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, sorted);
    let active = catalog.list_databases(Some(Status::Active)).await.unwrap();
    assert_eq!(active, databases);
    let tables = catalog.list_tables("Alpha", None).await.unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, sorted);
}
