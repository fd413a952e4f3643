//! Table schemas (columns and their types) and the Parquet files registered for tables.

use strata_catalog::Catalog;
use strata_types::{
    Column, ColumnType, DatabaseUpdate, ErrorKind, NewDatabase, ParquetFile, Status, TIME_COLUMN,
    TableSchema,
};
use uuid::Uuid;

use crate::concurrency::{join_all, tally, warm_up};
use crate::support::{expect_err, hours, new_database, now};

fn time() -> Column {
    Column::new(TIME_COLUMN, ColumnType::Time)
}

fn tag(name: &str) -> Column {
    Column::new(name, ColumnType::Tag)
}

fn float(name: &str) -> Column {
    Column::new(name, ColumnType::Float)
}

fn integer(name: &str) -> Column {
    Column::new(name, ColumnType::Integer)
}

fn column_names(schema: &TableSchema) -> Vec<&str> {
    schema.columns.iter().map(|c| c.name.as_str()).collect()
}

/// A file of `table_id` in `database_id`, written by `node_id` from WAL segments up to
/// `wal_segment`, whose rows start at `min_time` (nanoseconds).
fn parquet_file(
    database_id: i64,
    table_id: i64,
    node_id: Uuid,
    wal_segment: i64,
    min_time: i64,
) -> ParquetFile {
    let id = Uuid::new_v4();
    ParquetFile {
        id,
        database_id,
        table_id,
        partition_key: "2026-11-22|us-west".into(),
        path: format!("dbs/{database_id}/{table_id}/{id}.parquet"),
        min_time,
        max_time: min_time + 3_600_000_000_000,
        row_count: 1000 + wal_segment,
        size_bytes: 65_536 + wal_segment,
        node_id,
        wal_segment,
        created_at: now(),
        compaction_level: 0,
    }
}

pub async fn schema_of_a_new_database_has_no_tables(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let schema = catalog.get_schema("db").await.unwrap();
    assert_eq!(schema.database, db);
    assert!(schema.tables.is_empty());

    // Tables made without columns are listed, by name bytewise.
    for name in ["mem", "cpu", "Disk"] {
        catalog.create_table("db", name, None).await.unwrap();
    }
    let schema = catalog.get_schema("db").await.unwrap();
    let tables: Vec<(&str, usize)> = schema
        .tables
        .iter()
        .map(|t| (t.table.name.as_str(), t.columns.len()))
        .collect();
    assert_eq!(tables, [("Disk", 0), ("cpu", 0), ("mem", 0)]);
    assert_eq!(
        schema
            .tables
            .iter()
            .map(|t| t.table.clone())
            .collect::<Vec<_>>(),
        catalog
            .list_tables("db", Some(Status::Active))
            .await
            .unwrap()
    );

    expect_err(
        catalog.get_schema("nope").await,
        ErrorKind::NotFound,
        &["\"nope\"", "not found"],
    );
    catalog.delete_database("db", now()).await.unwrap();
    expect_err(
        catalog.get_schema("db").await,
        ErrorKind::NotFound,
        &["\"db\"", "not found"],
    );
}

pub async fn add_columns_creates_the_table_and_keeps_column_order(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let before = now();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), tag("host"), float("usage")])
        .await
        .unwrap();
    assert_eq!(cpu.table.database_id, db.id);
    assert_eq!(cpu.table.name, "cpu");
    assert_eq!(cpu.table.status, Status::Active);
    assert_eq!(cpu.table.partition_template, None);
    assert!(before <= cpu.table.created_at && cpu.table.created_at <= now());
    assert_eq!(
        cpu.columns,
        [time(), tag("host"), float("usage")],
        "columns come back in the order they were added"
    );
    assert_eq!(
        catalog.list_tables("db", None).await.unwrap(),
        vec![cpu.table.clone()]
    );

    // Later columns go after the earlier ones, whatever their names.
    let cpu = catalog
        .add_columns(
            db.id,
            "cpu",
            &[tag("a_region"), float("usage"), float("idle")],
        )
        .await
        .unwrap();
    assert_eq!(
        column_names(&cpu),
        ["time", "host", "usage", "a_region", "idle"]
    );
    assert_eq!(cpu.column("a_region"), Some(&tag("a_region")));

    // A table made by create_table takes columns too.
    let mem = catalog.create_table("db", "mem", None).await.unwrap();
    let mem_schema = catalog
        .add_columns(db.id, "mem", &[integer("used"), time()])
        .await
        .unwrap();
    assert_eq!(mem_schema.table, mem);
    assert_eq!(column_names(&mem_schema), ["used", "time"]);

    let schema = catalog.get_schema("db").await.unwrap();
    assert_eq!(schema.tables, vec![cpu, mem_schema]);
    assert_eq!(schema.table("cpu").unwrap().columns.len(), 5);
}

pub async fn add_columns_again_changes_nothing(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let columns = [time(), tag("host"), float("usage")];
    let first = catalog.add_columns(db.id, "cpu", &columns).await.unwrap();
    let again = catalog.add_columns(db.id, "cpu", &columns).await.unwrap();
    assert_eq!(again, first);
    // A subset, nothing at all, or a request naming one column twice (the same way).
    assert_eq!(
        catalog
            .add_columns(db.id, "cpu", &[float("usage")])
            .await
            .unwrap(),
        first
    );
    assert_eq!(catalog.add_columns(db.id, "cpu", &[]).await.unwrap(), first);
    let with_idle = catalog
        .add_columns(db.id, "cpu", &[float("idle"), float("idle"), time()])
        .await
        .unwrap();
    assert_eq!(column_names(&with_idle), ["time", "host", "usage", "idle"]);
    assert_eq!(
        catalog.get_schema("db").await.unwrap().tables,
        vec![with_idle]
    );
}

pub async fn a_column_type_conflict_adds_nothing(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), float("usage")])
        .await
        .unwrap();
    expect_err(
        catalog
            .add_columns(
                db.id,
                "cpu",
                &[tag("host"), integer("usage"), float("idle")],
            )
            .await,
        ErrorKind::Conflict,
        &[
            "column \"usage\"",
            "table \"cpu\"",
            "is float",
            "as integer",
        ],
    );
    // A tag and a field of one name clash as well.
    expect_err(
        catalog.add_columns(db.id, "cpu", &[tag("usage")]).await,
        ErrorKind::Conflict,
        &["\"usage\"", "float", "tag"],
    );
    assert_eq!(
        catalog.get_schema("db").await.unwrap().tables,
        vec![cpu.clone()],
        "a refused call adds none of its columns"
    );

    // Within one request the first type named wins, and a table the request would create is
    // not created.
    expect_err(
        catalog
            .add_columns(db.id, "mem", &[time(), float("used"), integer("used")])
            .await,
        ErrorKind::Conflict,
        &["\"used\"", "\"mem\"", "is float", "as integer"],
    );
    assert_eq!(
        catalog.get_schema("db").await.unwrap().tables,
        vec![cpu],
        "the refused call created no table"
    );
}

pub async fn the_column_limit_counts_every_column_and_adds_nothing_beyond_it(
    catalog: &dyn Catalog,
) {
    let db = catalog
        .create_database(NewDatabase {
            max_columns_per_table: 3,
            ..new_database("small")
        })
        .await
        .unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), tag("host"), float("usage")])
        .await
        .unwrap();
    let error = expect_err(
        catalog
            .add_columns(db.id, "cpu", &[float("usage"), float("idle")])
            .await,
        ErrorKind::InvalidArgument,
        &[
            "\"cpu\"",
            "4 columns",
            "\"small\"",
            "allows 3",
            "--max-columns",
        ],
    );
    assert!(
        !error.message.contains("idle"),
        "the message is about the count: {error:?}"
    );
    // A new table over the limit is not created either (`time` counts).
    expect_err(
        catalog
            .add_columns(db.id, "mem", &[time(), tag("a"), tag("b"), float("c")])
            .await,
        ErrorKind::InvalidArgument,
        &["\"mem\"", "4 columns", "allows 3"],
    );
    assert_eq!(
        catalog.get_schema("small").await.unwrap().tables,
        vec![cpu.clone()]
    );

    // Below a lowered limit, the columns a table has still take writes; new ones do not.
    catalog
        .update_database(
            "small",
            DatabaseUpdate {
                max_columns_per_table: Some(2),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        catalog
            .add_columns(db.id, "cpu", &[time(), float("usage")])
            .await
            .unwrap(),
        cpu
    );
    expect_err(
        catalog.add_columns(db.id, "cpu", &[float("idle")]).await,
        ErrorKind::InvalidArgument,
        &["4 columns", "allows 2"],
    );

    // Raised, it lets the column in.
    catalog
        .update_database(
            "small",
            DatabaseUpdate {
                max_columns_per_table: Some(4),
                ..DatabaseUpdate::default()
            },
        )
        .await
        .unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[float("idle")])
        .await
        .unwrap();
    assert_eq!(column_names(&cpu), ["time", "host", "usage", "idle"]);
}

pub async fn add_columns_respects_the_table_limit(catalog: &dyn Catalog) {
    let db = catalog
        .create_database(NewDatabase {
            max_tables: 1,
            ..new_database("small")
        })
        .await
        .unwrap();
    catalog.add_columns(db.id, "cpu", &[time()]).await.unwrap();
    expect_err(
        catalog.add_columns(db.id, "mem", &[time()]).await,
        ErrorKind::InvalidArgument,
        &["\"small\"", "maximum of 1 tables"],
    );
    // The table it has still takes columns.
    let cpu = catalog
        .add_columns(db.id, "cpu", &[float("usage")])
        .await
        .unwrap();
    assert_eq!(catalog.get_schema("small").await.unwrap().tables, vec![cpu]);
}

pub async fn add_columns_to_an_unknown_or_deleted_database_is_not_found(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), float("usage")])
        .await
        .unwrap();
    expect_err(
        catalog.add_columns(db.id + 1000, "cpu", &[time()]).await,
        ErrorKind::NotFound,
        &[&(db.id + 1000).to_string()],
    );
    let at = now();
    catalog.delete_database("db", at).await.unwrap();
    expect_err(
        catalog.add_columns(db.id, "cpu", &[float("idle")]).await,
        ErrorKind::NotFound,
        &[&db.id.to_string()],
    );
    // Deleting is soft: the database comes back with its tables' columns.
    catalog
        .undelete_database(db.id, at - hours(1))
        .await
        .unwrap();
    assert_eq!(catalog.get_schema("db").await.unwrap().tables, vec![cpu]);
}

pub async fn tables_keep_their_columns_when_renamed_deleted_and_restored(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), tag("host"), float("usage")])
        .await
        .unwrap();

    let renamed = catalog.rename_table("db", "cpu", "cpu_v2").await.unwrap();
    let schema = catalog.get_schema("db").await.unwrap();
    assert_eq!(
        schema.tables,
        vec![TableSchema {
            table: renamed.clone(),
            columns: cpu.columns.clone(),
        }]
    );
    // The columns hang off the table, not its name.
    let cpu_v2 = catalog
        .add_columns(db.id, "cpu_v2", &[float("idle")])
        .await
        .unwrap();
    assert_eq!(cpu_v2.table, renamed);
    assert_eq!(column_names(&cpu_v2), ["time", "host", "usage", "idle"]);

    // A deleted table leaves the schema; writing its name makes a new, empty table.
    let at = now();
    catalog.delete_table("db", "cpu_v2", at).await.unwrap();
    assert!(catalog.get_schema("db").await.unwrap().tables.is_empty());
    let fresh = catalog
        .add_columns(db.id, "cpu_v2", &[time(), integer("usage")])
        .await
        .unwrap();
    assert_ne!(fresh.table.id, renamed.id);
    assert_eq!(fresh.columns, [time(), integer("usage")]);

    // Restored (under its old name freed again), it has its own columns back.
    catalog.delete_table("db", "cpu_v2", now()).await.unwrap();
    catalog
        .undelete_table("db", renamed.id, at - hours(1))
        .await
        .unwrap();
    assert_eq!(catalog.get_schema("db").await.unwrap().tables, vec![cpu_v2]);
}

pub async fn concurrent_add_columns_agree_on_each_type(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    warm_up(catalog).await;
    let types = [
        ColumnType::Float,
        ColumnType::Integer,
        ColumnType::String,
        ColumnType::Boolean,
    ];
    // A few rounds, as a lost race shows only now and then: in even rounds the table is new,
    // in odd ones it exists.
    for round in 0..6 {
        let table = format!("cpu{round}");
        if round % 2 == 1 {
            catalog.create_table("db", &table, None).await.unwrap();
        }
        let requests: Vec<Vec<Column>> = (0..8)
            .map(|i| {
                vec![
                    time(),
                    tag(&format!("host{i}")),
                    Column::new("value", types[i % types.len()]),
                ]
            })
            .collect();
        let results = join_all(
            requests
                .iter()
                .map(|columns| catalog.add_columns(db.id, &table, columns))
                .collect(),
        )
        .await;
        let (ok, errors) = tally(&results);
        assert!(ok >= 1, "someone must win: {results:?}");
        assert!(
            errors.iter().all(|kind| *kind == ErrorKind::Conflict),
            "{results:?}"
        );
        let schema = catalog.get_schema("db").await.unwrap();
        let stored = schema
            .table(&table)
            .unwrap_or_else(|| panic!("table {table} was not created: {results:?}"));
        let winner = stored.column("value").unwrap().column_type;
        // Exactly the callers asking for the winning type succeeded, and only their tags exist.
        for (i, (columns, result)) in requests.iter().zip(&results).enumerate() {
            let agrees = columns[2].column_type == winner;
            assert_eq!(result.is_ok(), agrees, "caller {i}: {result:?}");
            assert_eq!(
                stored.column(&format!("host{i}")).is_some(),
                agrees,
                "caller {i}'s tag"
            );
            if let Ok(returned) = result {
                assert_eq!(returned.table, stored.table);
                assert_eq!(returned.column("value").unwrap().column_type, winner);
            }
        }
        assert_eq!(ok, 2, "two of the eight callers asked for each type");
        assert_eq!(stored.columns.len(), 2 + ok);
        assert_eq!(
            catalog
                .list_tables("db", None)
                .await
                .unwrap()
                .iter()
                .filter(|t| t.name == table)
                .count(),
            1,
            "one table {table}"
        );
    }
}

pub async fn parquet_files_are_added_listed_and_deleted(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let other = catalog
        .create_database(new_database("other"))
        .await
        .unwrap();
    let cpu = catalog.create_table("db", "cpu", None).await.unwrap();
    let mem = catalog.create_table("db", "mem", None).await.unwrap();
    let elsewhere = catalog.create_table("other", "cpu", None).await.unwrap();
    let (node_a, node_b) = (Uuid::new_v4(), Uuid::new_v4());

    assert!(catalog.list_parquet_files(db.id).await.unwrap().is_empty());
    assert_eq!(
        catalog.last_persisted_wal_segment(node_a).await.unwrap(),
        None
    );
    catalog.add_parquet_files(&[]).await.unwrap();

    // Nanosecond times far beyond what microseconds would need, to see they come back whole.
    let t = 1_795_000_000_123_456_789_i64;
    let hour = 3_600_000_000_000_i64;
    let mut files = vec![
        parquet_file(db.id, mem.id, node_a, 3, t),
        parquet_file(db.id, cpu.id, node_a, 7, t + 2 * hour),
        parquet_file(db.id, cpu.id, node_b, 2, t),
        parquet_file(db.id, cpu.id, node_a, 5, t + hour),
        // Two files of one table with the same start, ordered by id.
        parquet_file(db.id, mem.id, node_b, 1, t + hour),
        parquet_file(db.id, mem.id, node_a, 4, t + hour),
    ];
    let in_other = parquet_file(other.id, elsewhere.id, node_b, 9, t);
    catalog.add_parquet_files(&files[..4]).await.unwrap();
    catalog.add_parquet_files(&files[4..]).await.unwrap();
    catalog
        .add_parquet_files(std::slice::from_ref(&in_other))
        .await
        .unwrap();

    files.sort_by_key(|f| (f.table_id, f.min_time, f.id.to_string()));
    assert_eq!(catalog.list_parquet_files(db.id).await.unwrap(), files);
    assert_eq!(
        catalog.list_parquet_files(other.id).await.unwrap(),
        vec![in_other.clone()]
    );
    assert_eq!(
        catalog.last_persisted_wal_segment(node_a).await.unwrap(),
        Some(7)
    );
    assert_eq!(
        catalog.last_persisted_wal_segment(node_b).await.unwrap(),
        Some(9)
    );
    assert_eq!(
        catalog
            .last_persisted_wal_segment(Uuid::new_v4())
            .await
            .unwrap(),
        None
    );

    // All or nothing: a batch with a file already registered adds none of its files.
    let newer = parquet_file(db.id, cpu.id, node_a, 11, t + 3 * hour);
    expect_err(
        catalog
            .add_parquet_files(&[newer.clone(), files[0].clone()])
            .await,
        ErrorKind::Conflict,
        &[],
    );
    assert_eq!(catalog.list_parquet_files(db.id).await.unwrap(), files);
    assert_eq!(
        catalog.last_persisted_wal_segment(node_a).await.unwrap(),
        Some(7)
    );

    // Deleting a table or its database keeps the files: they still need collecting.
    catalog.delete_table("db", "mem", now()).await.unwrap();
    catalog.delete_database("db", now()).await.unwrap();
    assert_eq!(catalog.list_parquet_files(db.id).await.unwrap(), files);

    // Unknown ids are ignored, also among many (more than one statement's worth).
    catalog.delete_parquet_files(&[]).await.unwrap();
    let mut ids: Vec<Uuid> = (0..1200).map(|_| Uuid::new_v4()).collect();
    let (gone, kept): (Vec<ParquetFile>, Vec<ParquetFile>) =
        files.iter().cloned().partition(|f| f.node_id == node_a);
    ids.splice(600..600, gone.iter().map(|f| f.id));
    catalog.delete_parquet_files(&ids).await.unwrap();
    assert_eq!(catalog.list_parquet_files(db.id).await.unwrap(), kept);
    assert_eq!(
        catalog.last_persisted_wal_segment(node_a).await.unwrap(),
        None
    );
    assert_eq!(
        catalog.last_persisted_wal_segment(node_b).await.unwrap(),
        Some(9)
    );

    catalog
        .delete_parquet_files(&[in_other.id, in_other.id])
        .await
        .unwrap();
    assert!(
        catalog
            .list_parquet_files(other.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        catalog.last_persisted_wal_segment(node_b).await.unwrap(),
        Some(2)
    );
}

pub async fn compaction_replaces_files_in_one_transaction(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), tag("host")])
        .await
        .unwrap()
        .table;
    let node = Uuid::new_v4();
    let hour = 3_600_000_000_000;
    let inputs: Vec<ParquetFile> = (0..3)
        .map(|i| parquet_file(db.id, cpu.id, node, i, i * hour))
        .collect();
    let untouched = parquet_file(db.id, cpu.id, node, 9, 9 * hour);
    catalog.add_parquet_files(&inputs).await.unwrap();
    catalog
        .add_parquet_files(std::slice::from_ref(&untouched))
        .await
        .unwrap();
    let output = ParquetFile {
        compaction_level: 1,
        ..parquet_file(db.id, cpu.id, node, 2, 0)
    };
    let ids: Vec<Uuid> = inputs.iter().map(|f| f.id).collect();
    let at = now();
    catalog
        .replace_parquet_files(&ids, std::slice::from_ref(&output), at)
        .await
        .unwrap();
    assert_eq!(
        catalog.list_parquet_files(db.id).await.unwrap(),
        vec![output.clone(), untouched.clone()],
        "the inputs left the listing and the output joined it"
    );
    assert_eq!(
        catalog.last_persisted_wal_segment(node).await.unwrap(),
        Some(9)
    );
    let replaced = catalog
        .list_replaced_parquet_files(at + hours(1))
        .await
        .unwrap();
    let mut replaced_ids: Vec<Uuid> = replaced.iter().map(|f| f.id).collect();
    replaced_ids.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(
        replaced_ids, sorted_ids,
        "replaced files stay known until their objects are deleted"
    );
    assert!(
        catalog
            .list_replaced_parquet_files(at)
            .await
            .unwrap()
            .is_empty(),
        "none was replaced before the swap"
    );

    // Replacing a file that is gone changes nothing.
    let again = ParquetFile {
        compaction_level: 1,
        ..parquet_file(db.id, cpu.id, node, 9, 0)
    };
    expect_err(
        catalog
            .replace_parquet_files(&[untouched.id, ids[0]], std::slice::from_ref(&again), at)
            .await,
        ErrorKind::Conflict,
        &["replaced or deleted meanwhile"],
    );
    assert_eq!(
        catalog.list_parquet_files(db.id).await.unwrap(),
        vec![output.clone(), untouched.clone()]
    );
    catalog.delete_parquet_files(&ids).await.unwrap();
    assert!(
        catalog
            .list_replaced_parquet_files(at + hours(1))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn uploads_are_ended_by_registering_their_files(catalog: &dyn Catalog) {
    let db = catalog.create_database(new_database("db")).await.unwrap();
    let cpu = catalog
        .add_columns(db.id, "cpu", &[time(), tag("host")])
        .await
        .unwrap()
        .table;
    let node = Uuid::new_v4();
    let registered = parquet_file(db.id, cpu.id, node, 1, 0);
    let compacted = ParquetFile {
        compaction_level: 1,
        ..parquet_file(db.id, cpu.id, node, 1, 0)
    };
    let cut_short = "dbs/1/tables/1/x/cut-short.parquet";
    let started = now();
    for path in [registered.path.as_str(), compacted.path.as_str(), cut_short] {
        catalog.begin_parquet_upload(path, started).await.unwrap();
    }
    catalog
        .add_parquet_files(std::slice::from_ref(&registered))
        .await
        .unwrap();
    catalog
        .replace_parquet_files(&[registered.id], std::slice::from_ref(&compacted), now())
        .await
        .unwrap();
    assert!(
        catalog
            .stale_parquet_uploads(started)
            .await
            .unwrap()
            .is_empty(),
        "none began before the first"
    );
    assert_eq!(
        catalog
            .stale_parquet_uploads(started + hours(1))
            .await
            .unwrap(),
        vec![cut_short.to_string()],
        "only the upload whose file was never registered is left"
    );
    catalog.forget_parquet_upload(cut_short).await.unwrap();
    assert!(
        catalog
            .stale_parquet_uploads(started + hours(1))
            .await
            .unwrap()
            .is_empty()
    );
}
