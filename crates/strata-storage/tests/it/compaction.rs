//! Compaction's storage side: which files a job takes, how its rows are cut into files, and
//! what is left after a swap or an upload cut short.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::TimestampNanosecondArray;
use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringDictionaryBuilder};
use arrow::datatypes::Int32Type;
use chrono::{TimeDelta, Utc};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use strata_storage::{CompactionPolicy, CompactionWriter, arrow_schema};
use strata_types::ColumnType;

use crate::*;

fn policy(max_new_files: usize, cold_after: Duration) -> CompactionPolicy {
    CompactionPolicy {
        target_bytes: 100 << 20,
        max_new_files,
        cold_after,
        max_inputs: 32,
    }
}

/// Rows of `cpu` (host, time, usage) in key order.
fn sorted_rows(rows: &[(&str, i64, f64)]) -> RecordBatch {
    let schema = arrow_schema([
        ("host", ColumnType::Tag),
        ("time", ColumnType::Time),
        ("usage", ColumnType::Float),
    ]);
    let mut host = StringDictionaryBuilder::<Int32Type>::new();
    rows.iter().for_each(|r| host.append_value(r.0));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(host.finish()),
        Arc::new(
            TimestampNanosecondArray::from_iter_values(rows.iter().map(|r| r.1))
                .with_timezone("UTC"),
        ),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
    ];
    RecordBatch::try_new(schema, columns).unwrap()
}

#[test]
fn compacted_files_are_cut_where_a_series_ends() {
    let batch = sorted_rows(&[
        ("a", T, 1.0),
        ("a", T + 1, 2.0),
        ("b", T, 3.0),
        ("b", T + 5, 4.0),
        ("c", T + 2, 5.0),
    ]);
    // Any size is over a one-byte target: a file ends where its series does, never inside
    // one (here the rows come one at a time, so every boundary is seen).
    let mut writer = CompactionWriter::new(batch.schema(), "2023-11-14", 1).unwrap();
    let mut files = Vec::new();
    for row in 0..batch.num_rows() {
        files.extend(writer.write(&batch.slice(row, 1)).unwrap());
    }
    files.extend(writer.finish().unwrap());
    let series: Vec<(Vec<Option<&str>>, usize, i64, i64)> = files
        .iter()
        .map(|f| {
            (
                f.stats.tag("host").unwrap().iter().collect(),
                f.rows,
                f.min_time,
                f.max_time,
            )
        })
        .collect();
    assert_eq!(
        series,
        vec![
            (vec![Some("a")], 2, T, T + 1),
            (vec![Some("b")], 2, T, T + 5),
            (vec![Some("c")], 1, T + 2, T + 2),
        ],
        "each series in one file"
    );
    assert!(files.iter().all(|f| f.partition_key == "2023-11-14"));

    // A file full when a batch comes is cut at the batch's first new series.
    let mut writer = CompactionWriter::new(batch.schema(), "2023-11-14", 1).unwrap();
    assert!(writer.write(&batch.slice(0, 3)).unwrap().is_empty());
    let cut = writer.write(&batch.slice(3, 2)).unwrap();
    let hosts: Vec<Option<&str>> = cut[0].stats.tag("host").unwrap().iter().collect();
    assert_eq!((hosts, cut[0].rows), (vec![Some("a"), Some("b")], 4));

    // A large target keeps everything in one file.
    let mut writer = CompactionWriter::new(batch.schema(), "2023-11-14", 1 << 30).unwrap();
    assert!(writer.write(&batch).unwrap().is_empty());
    let file = writer.finish().unwrap().unwrap();
    assert_eq!((file.rows, file.stats.series()), (5, 3));
}

#[tokio::test]
async fn jobs_take_new_files_and_every_file_overlapping_them() {
    let node = Node::start().await;
    node.create_database("db").await;
    let minute = 60_000_000_000;
    // Three generations of one daily partition: the second overlaps the first in time.
    for (first, last) in [(0, 10), (5, 20), (30, 40)] {
        node.write(
            "db",
            &format!(
                "cpu,host=a v=1 {}\ncpu,host=b v=2 {}\n",
                T + first * minute,
                T + last * minute
            ),
        )
        .await;
        node.storage.persist().await.unwrap();
    }
    let now = Utc::now();
    let hot = policy(10, Duration::from_secs(3600));
    assert!(
        node.storage
            .compaction_jobs(&hot, now)
            .await
            .unwrap()
            .is_empty(),
        "three new files are not many, and the partition is not cold"
    );
    let many = policy(3, Duration::from_secs(3600));
    let jobs = node.storage.compaction_jobs(&many, now).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        (job.database.as_str(), job.table.table.name.as_str()),
        ("db", "cpu")
    );
    let starts: Vec<i64> = job
        .inputs
        .iter()
        .map(|f| (f.min_time - T) / minute)
        .collect();
    assert_eq!(starts, [0, 5, 30], "every file, in write order");

    let cold = policy(10, Duration::ZERO);
    assert_eq!(
        node.storage
            .compaction_jobs(&cold, now)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn replaced_files_and_uploads_cut_short_are_deleted_after_the_grace() {
    let node = Node::start().await;
    let db = node.create_database("db").await;
    node.write("db", &format!("cpu,host=a v=1 {T}\n")).await;
    node.storage.persist().await.unwrap();
    let old = node.catalog.list_parquet_files(db).await.unwrap().remove(0);

    // A compaction replaced the file (here with an empty list: the swap is what counts).
    let swapped = Utc::now();
    node.catalog
        .replace_parquet_files(&[old.id], &[], swapped)
        .await
        .unwrap();
    // An upload that never got registered left an object behind.
    let leftover = format!(
        "dbs/{db}/tables/1/2023-11-14/{}.parquet",
        uuid::Uuid::new_v4()
    );
    node.catalog
        .begin_parquet_upload(&leftover, swapped)
        .await
        .unwrap();
    node.store
        .put(
            &ObjectPath::parse(&leftover).unwrap(),
            PutPayload::from_static(b"PAR1"),
        )
        .await
        .unwrap();

    let exists = async |path: &str| {
        node.store
            .head(&ObjectPath::parse(path).unwrap())
            .await
            .is_ok()
    };
    let grace = TimeDelta::from_std(node.config.deletion_grace).unwrap();
    node.storage.collect_garbage(swapped).await.unwrap();
    assert!(
        exists(&old.path).await,
        "queries in flight may still read it"
    );
    assert!(exists(&leftover).await, "the upload may still be under way");

    let collected = node
        .storage
        .collect_garbage(swapped + grace + TimeDelta::seconds(1))
        .await
        .unwrap();
    assert_eq!(collected.files, 1);
    assert!(!exists(&old.path).await);
    assert!(!exists(&leftover).await);
    assert!(
        node.catalog
            .list_replaced_parquet_files(swapped + grace * 2)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        node.catalog
            .stale_parquet_uploads(swapped + grace * 2)
            .await
            .unwrap()
            .is_empty()
    );
}
