//! Tables: create, list, delete, rename, undelete, and the table limit.

use strata_catalog::Catalog;
use strata_types::{
    DatabaseUpdate, ErrorKind, NewDatabase, PartitionTemplate, Status, Table, TemplatePart,
};

use crate::support::{expect_err, hours, new_database, now, seconds};

fn names(tables: &[Table]) -> Vec<(&str, Status)> {
    tables.iter().map(|t| (t.name.as_str(), t.status)).collect()
}

pub async fn table_create_and_duplicate(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let before = now();
    let cpu = catalog.create_table("db", "cpu", None).await.unwrap();
    assert!(cpu.id > 0);
    assert_eq!(cpu.database_id, db.id);
    assert_eq!(cpu.name, "cpu");
    assert_eq!(cpu.partition_template, None);
    assert_eq!(cpu.status, Status::Active);
    assert_eq!(cpu.deleted_at, None);
    assert!(before <= cpu.created_at && cpu.created_at <= now());

    let template = PartitionTemplate(vec![
        TemplatePart::Tag("region".into()),
        TemplatePart::Time("%Y-%m-%d".into()),
    ]);
    let mem = catalog
        .create_table("db", "mem", Some(template.clone()))
        .await
        .unwrap();
    assert_ne!(mem.id, cpu.id);
    assert_eq!(mem.partition_template, Some(template));

    expect_err(
        catalog.create_table("db", "cpu", None).await,
        ErrorKind::Conflict,
        &["\"cpu\"", "\"db\"", "already exists"],
    );

    // Table names are per database.
    let other = catalog
        .create_database(new_database("other"))
        .await
        .unwrap();
    let other_cpu = catalog.create_table("other", "cpu", None).await.unwrap();
    assert_eq!(other_cpu.database_id, other.id);
    assert_ne!(other_cpu.id, cpu.id);

    assert_eq!(
        catalog
            .list_tables("db", Some(Status::Active))
            .await
            .unwrap(),
        vec![cpu, mem]
    );
    assert_eq!(
        catalog.list_tables("other", None).await.unwrap(),
        vec![other_cpu]
    );
}

pub async fn table_limit_counts_active_tables_only(catalog: &dyn Catalog) {
    catalog
        .create_database(NewDatabase {
            max_tables: 2,
            ..new_database("small")
        })
        .await
        .unwrap();
    catalog.create_table("small", "a", None).await.unwrap();
    let b = catalog.create_table("small", "b", None).await.unwrap();
    expect_err(
        catalog.create_table("small", "c", None).await,
        ErrorKind::InvalidArgument,
        &["\"small\"", "maximum of 2 tables"],
    );
    assert_eq!(catalog.list_tables("small", None).await.unwrap().len(), 2);

    // A deleted table does not count ...
    let at = now();
    catalog.delete_table("small", "b", at).await.unwrap();
    catalog.create_table("small", "c", None).await.unwrap();
    // ... until it comes back.
    expect_err(
        catalog.undelete_table("small", b.id, at - hours(1)).await,
        ErrorKind::InvalidArgument,
        &["maximum of 2 tables"],
    );
    catalog
        .update_database(
            "small",
            DatabaseUpdate {
                max_tables: Some(3),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    let restored = catalog
        .undelete_table("small", b.id, at - hours(1))
        .await
        .unwrap();
    assert_eq!(restored, b);
    assert_eq!(
        names(&catalog.list_tables("small", None).await.unwrap()),
        [
            ("a", Status::Active),
            ("b", Status::Active),
            ("c", Status::Active)
        ]
    );
}

pub async fn table_list_filters_by_status(catalog: &dyn Catalog) {
    catalog.create_database(new_database("db")).await.unwrap();
    assert!(catalog.list_tables("db", None).await.unwrap().is_empty());
    for name in ["y", "z", "x"] {
        catalog.create_table("db", name, None).await.unwrap();
    }
    let at = now();
    let deleted_y = catalog.delete_table("db", "y", at).await.unwrap();
    let new_y = catalog.create_table("db", "y", None).await.unwrap();

    let active = catalog
        .list_tables("db", Some(Status::Active))
        .await
        .unwrap();
    assert_eq!(
        names(&active),
        [
            ("x", Status::Active),
            ("y", Status::Active),
            ("z", Status::Active)
        ]
    );
    assert_eq!(active[1], new_y);

    let deleted = catalog
        .list_tables("db", Some(Status::Deleted))
        .await
        .unwrap();
    assert_eq!(deleted, vec![deleted_y.clone()]);
    assert_eq!(deleted[0].deleted_at, Some(at));

    // All, by name then id.
    let all = catalog.list_tables("db", None).await.unwrap();
    assert_eq!(
        names(&all),
        [
            ("x", Status::Active),
            ("y", Status::Deleted),
            ("y", Status::Active),
            ("z", Status::Active)
        ]
    );
    assert_eq!((all[1].id, all[2].id), (deleted_y.id, new_y.id));
}

pub async fn table_delete_rename_and_undelete(catalog: &dyn Catalog) {
    catalog.create_database(new_database("db")).await.unwrap();
    let cpu = catalog.create_table("db", "cpu", None).await.unwrap();
    let at = now();
    let deleted = catalog.delete_table("db", "cpu", at).await.unwrap();
    assert_eq!(
        deleted,
        Table {
            status: Status::Deleted,
            deleted_at: Some(at),
            ..cpu.clone()
        }
    );
    expect_err(
        catalog.delete_table("db", "cpu", now()).await,
        ErrorKind::NotFound,
        &["\"cpu\"", "\"db\"", "not found"],
    );

    // The name can be used again, and then the old table cannot come back under it.
    let cpu2 = catalog.create_table("db", "cpu", None).await.unwrap();
    assert_ne!(cpu2.id, cpu.id);
    expect_err(
        catalog.undelete_table("db", cpu.id, at - hours(1)).await,
        ErrorKind::Conflict,
        &["\"cpu\"", "active table has that name"],
    );

    // Rename keeps the id and refuses a taken name.
    catalog.create_table("db", "mem", None).await.unwrap();
    expect_err(
        catalog.rename_table("db", "cpu", "mem").await,
        ErrorKind::Conflict,
        &["\"cpu\"", "\"mem\""],
    );
    let renamed = catalog.rename_table("db", "cpu", "cpu_v2").await.unwrap();
    assert_eq!(
        renamed,
        Table {
            name: "cpu_v2".into(),
            ..cpu2.clone()
        }
    );
    expect_err(
        catalog.rename_table("db", "missing", "other").await,
        ErrorKind::NotFound,
        &["\"missing\""],
    );

    // Now the old table comes back, with its id.
    let restored = catalog
        .undelete_table("db", cpu.id, at - hours(1))
        .await
        .unwrap();
    assert_eq!(restored, cpu);
    assert_eq!(
        names(&catalog.list_tables("db", None).await.unwrap()),
        [
            ("cpu", Status::Active),
            ("cpu_v2", Status::Active),
            ("mem", Status::Active)
        ]
    );
    expect_err(
        catalog.undelete_table("db", cpu.id, at - hours(1)).await,
        ErrorKind::Conflict,
        &["\"cpu\"", "not deleted"],
    );

    // Outside the undelete window, or unknown here: not found.
    let at2 = now();
    catalog.delete_table("db", "cpu", at2).await.unwrap();
    expect_err(
        catalog.undelete_table("db", cpu.id, at2 + seconds(1)).await,
        ErrorKind::NotFound,
        &["\"cpu\"", "undelete window"],
    );
    expect_err(
        catalog.undelete_table("db", cpu.id + 1000, at2).await,
        ErrorKind::NotFound,
        &["\"db\""],
    );
    catalog
        .create_database(new_database("elsewhere"))
        .await
        .unwrap();
    expect_err(
        catalog.undelete_table("elsewhere", cpu.id, at2).await,
        ErrorKind::NotFound,
        &["\"elsewhere\""],
    );
    // At the very start of the window it is still restorable.
    assert_eq!(
        catalog.undelete_table("db", cpu.id, at2).await.unwrap(),
        cpu
    );
}

pub async fn tables_of_an_unknown_or_deleted_database_are_not_found(catalog: &dyn Catalog) {
    let parts = &["\"nope\"", "not found"];
    expect_err(
        catalog.create_table("nope", "cpu", None).await,
        ErrorKind::NotFound,
        parts,
    );
    expect_err(
        catalog.list_tables("nope", None).await,
        ErrorKind::NotFound,
        parts,
    );
    expect_err(
        catalog.delete_table("nope", "cpu", now()).await,
        ErrorKind::NotFound,
        parts,
    );
    expect_err(
        catalog.rename_table("nope", "cpu", "mem").await,
        ErrorKind::NotFound,
        parts,
    );
    expect_err(
        catalog.undelete_table("nope", 1, now()).await,
        ErrorKind::NotFound,
        parts,
    );

    catalog.create_database(new_database("gone")).await.unwrap();
    catalog.create_table("gone", "cpu", None).await.unwrap();
    catalog.delete_database("gone", now()).await.unwrap();
    expect_err(
        catalog.list_tables("gone", None).await,
        ErrorKind::NotFound,
        &["\"gone\""],
    );
    expect_err(
        catalog.create_table("gone", "mem", None).await,
        ErrorKind::NotFound,
        &["\"gone\""],
    );
}
