//! Persistence to Parquet on both object stores, and retention / garbage collection.

use chrono::{TimeDelta, Utc};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use strata_storage::{S3Options, column_type_of, open_object_store};
use strata_types::{ColumnType, DatabaseUpdate, PartitionTemplate, Status, TemplatePart};

use crate::*;

const DAY: i64 = 86_400_000_000_000;

/// Reads a file back from the store with the parquet crate's reader.
async fn read_file(store: &dyn ObjectStore, path: &str) -> RecordBatch {
    let bytes = store
        .get(&ObjectPath::parse(path).unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
    concat(&batches)
}

async fn persists_sorted_files_per_partition(node: Node) {
    let db = node.create_database("db").await;
    node.write(
        "db",
        &format!(
            "cpu,host=b usage=1 {t1}\ncpu,host=a usage=2 {t2}\ncpu,host=a usage=3 {t0}\ncpu,host=a usage=4 {next_day}\n",
            t0 = T,
            t1 = T + 1,
            t2 = T + 2,
            next_day = T + DAY
        ),
    )
    .await;
    node.write(
        "db",
        &format!("cpu,host=c usage=5,note=\"late column\" {}\n", T + 3),
    )
    .await;
    let table = node.table_id("db", "cpu").await;

    let files = node.storage.persist().await.unwrap();
    assert_eq!(files.len(), 2, "one file per day: {files:#?}");
    let registered = node.catalog.list_parquet_files(db).await.unwrap();
    assert_eq!(registered.len(), 2);
    let day1 = registered
        .iter()
        .find(|f| f.partition_key == "2023-11-14")
        .unwrap();
    assert_eq!(
        (day1.min_time, day1.max_time, day1.row_count),
        (T, T + 3, 4)
    );
    assert!(
        day1.path
            .starts_with(&format!("dbs/{db}/tables/{table}/2023-11-14/")),
        "{}",
        day1.path
    );
    assert!(day1.size_bytes > 0);

    let batch = read_file(node.store.as_ref(), &day1.path).await;
    assert_eq!(batch.num_rows(), 4);
    let names: Vec<_> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, vec!["host", "note", "usage", "time"]);
    let kinds: Vec<_> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| column_type_of(f))
        .collect();
    assert_eq!(
        kinds,
        vec![
            Some(ColumnType::Tag),
            Some(ColumnType::String),
            Some(ColumnType::Float),
            Some(ColumnType::Time)
        ]
    );
    // Sorted by host, then time.
    assert_eq!(
        times(std::slice::from_ref(&batch)),
        vec![T, T + 2, T + 1, T + 3]
    );
    assert_eq!(
        floats(std::slice::from_ref(&batch), "usage"),
        vec![Some(3.0), Some(2.0), Some(1.0), Some(5.0)]
    );

    // Persisted rows left the buffer; the WAL segments they came from are gone.
    let data = node.storage.table_data(db, table).await.unwrap();
    assert!(data.buffered.is_empty());
    assert_eq!(data.files.len(), 2);
    assert_eq!(std::fs::read_dir(&node.config.wal_dir).unwrap().count(), 1);
}

#[tokio::test]
async fn persists_sorted_files_per_partition_to_a_local_directory() {
    persists_sorted_files_per_partition(Node::start().await).await;
}

/// SeaweedFS's S3 API; `None` (the test is skipped) when no server was started for the tests,
/// except under CI, where it must be there.
fn s3_settings() -> Option<(String, S3Options)> {
    let Ok(endpoint) = std::env::var("STRATA_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the S3 tests: start SeaweedFS with scripts/s3.sh (scripts/test does)"
        );
        eprintln!("skipped: STRATA_TEST_S3_ENDPOINT is not set (scripts/test sets it)");
        return None;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let url = format!("s3://{}/{}", var("STRATA_TEST_S3_BUCKET"), Uuid::new_v4());
    Some((
        url,
        S3Options {
            endpoint: Some(endpoint),
            region: Some(var("STRATA_TEST_S3_REGION")),
            access_key_id: Some(var("STRATA_TEST_S3_ACCESS_KEY_ID")),
            secret_access_key: Some(var("STRATA_TEST_S3_SECRET_ACCESS_KEY")),
        },
    ))
}

#[tokio::test]
async fn persists_sorted_files_per_partition_to_s3() {
    let Some((url, options)) = s3_settings() else {
        return;
    };
    let store = open_object_store(&url, &options).unwrap();
    strata_storage::check_object_store(store.as_ref(), &url)
        .await
        .unwrap();
    let local = Node::start().await;
    let node = Node::with(local.dir, local.catalog, store).await;
    persists_sorted_files_per_partition(node).await;
}

#[tokio::test]
async fn wrong_s3_credentials_are_reported_at_start() {
    let Some((url, mut options)) = s3_settings() else {
        return;
    };
    options.secret_access_key = Some("not-the-secret".into());
    let store = open_object_store(&url, &options).unwrap();
    let error = strata_storage::check_object_store(store.as_ref(), &url)
        .await
        .unwrap_err();
    assert!(error.message.contains("cannot be used"), "{error}");
}

#[tokio::test]
async fn tag_and_bucket_parts_name_the_partitions() {
    let node = Node::start().await;
    let db = node
        .create_database_with(NewDatabase {
            name: "parts".into(),
            retention_period_ns: 0,
            max_tables: 500,
            max_columns_per_table: 250,
            partition_template: Some(PartitionTemplate(vec![
                TemplatePart::Time("%Y".into()),
                TemplatePart::Tag("region".into()),
            ])),
        })
        .await;
    node.write(
        "parts",
        &format!(
            "cpu,region=eu v=1 {T}\ncpu,region=us v=2 {T}\ncpu v=3 {T}\ncpu,region=eu v=4 {}\n",
            T + 1
        ),
    )
    .await;
    node.storage.persist().await.unwrap();
    let mut keys: Vec<(String, i64)> = node
        .catalog
        .list_parquet_files(db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.partition_key, f.row_count))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            ("2023|!".into(), 1),
            ("2023|eu".into(), 2),
            ("2023|us".into(), 1)
        ]
    );
}

#[tokio::test]
async fn files_past_retention_and_of_long_deleted_tables_and_databases_are_collected() {
    let node = Node::start().await;
    let db = node.create_database("db").await;
    let gone = node.create_database("gone").await;
    node.write("db", &format!("old v=1 {T}\nkept v=1 {T}\n"))
        .await;
    node.write("gone", &format!("cpu v=1 {T}\n")).await;
    node.storage.persist().await.unwrap();
    assert_eq!(node.catalog.list_parquet_files(db).await.unwrap().len(), 2);
    let paths: Vec<String> = node
        .catalog
        .list_parquet_files(db)
        .await
        .unwrap()
        .into_iter()
        .chain(node.catalog.list_parquet_files(gone).await.unwrap())
        .map(|f| f.path)
        .collect();

    let now = Utc::now();
    // Nothing is due yet: no retention, nothing deleted.
    assert_eq!(node.storage.collect_garbage(now).await.unwrap().files, 0);

    // A table deleted 15 days ago (past the 14-day window) and a database deleted just now.
    node.catalog
        .delete_table("db", "old", now - TimeDelta::days(15))
        .await
        .unwrap();
    node.catalog.delete_database("gone", now).await.unwrap();
    let collected = node.storage.collect_garbage(now).await.unwrap();
    assert_eq!(collected.files, 1, "only the long-deleted table's file");
    assert_eq!(
        node.catalog.list_parquet_files(gone).await.unwrap().len(),
        1,
        "still undeletable"
    );

    // Fifteen days on, the deleted database's files go too.
    let later = now + TimeDelta::days(15);
    assert_eq!(node.storage.collect_garbage(later).await.unwrap().files, 1);
    assert!(
        node.catalog
            .list_parquet_files(gone)
            .await
            .unwrap()
            .is_empty()
    );

    // Retention: the 2023 points are far older than one hour.
    node.catalog
        .update_database(
            "db",
            DatabaseUpdate {
                retention_period_ns: Some(3_600_000_000_000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(node.storage.collect_garbage(now).await.unwrap().files, 1);
    assert!(
        node.catalog
            .list_parquet_files(db)
            .await
            .unwrap()
            .is_empty()
    );
    for path in paths {
        let missing = node.store.head(&ObjectPath::parse(&path).unwrap()).await;
        assert!(
            matches!(missing, Err(object_store::Error::NotFound { .. })),
            "{path} was deleted from the store"
        );
    }
    let statuses: Vec<Status> = node
        .catalog
        .list_databases(None)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(statuses, vec![Status::Active, Status::Deleted]);
}

#[test]
fn the_local_store_syncs_what_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let store = open_object_store(&url, &S3Options::default()).unwrap();
    assert!(
        store.to_string().starts_with("DurableLocalStore("),
        "{store}"
    );
}
