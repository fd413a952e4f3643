//! Compaction's storage side: which files a job takes, how its rows are cut into files, and
//! what is left after a swap or an upload cut short.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::TimestampNanosecondArray;
use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringDictionaryBuilder};
use arrow::datatypes::Int32Type;
use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use strata_storage::{
    CompactedPart, CompactionPolicy, CompactionWriter, FileSummary, arrow_schema,
};
use strata_types::ColumnType;

use crate::*;

fn policy(max_new_files: usize, cold_after: Duration) -> CompactionPolicy {
    CompactionPolicy {
        max_new_files,
        cold_after,
        ..CompactionPolicy::default()
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

/// The files of a writer's parts: each one's bytes put together, and its summary.
fn files_of(parts: Vec<CompactedPart>) -> Vec<(Bytes, FileSummary)> {
    let mut files = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut open = None;
    for part in parts {
        match part {
            CompactedPart::Bytes { file, bytes: more } => {
                assert!(open.is_none_or(|id| id == file), "one file at a time");
                open = Some(file);
                bytes.extend_from_slice(&more);
            }
            CompactedPart::Finished(summary) => {
                assert_eq!(open.take(), Some(summary.id), "bytes before the summary");
                files.push((Bytes::from(std::mem::take(&mut bytes)), summary));
            }
        }
    }
    assert!(open.is_none(), "every file finished");
    files
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
    let mut parts = Vec::new();
    for row in 0..batch.num_rows() {
        parts.extend(writer.write(&batch.slice(row, 1)).unwrap());
    }
    parts.extend(writer.finish().unwrap());
    let files = files_of(parts);
    for (bytes, summary) in &files {
        let rows: usize = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap().num_rows())
            .sum();
        assert_eq!(rows, summary.rows, "each file's parts make the whole file");
    }
    let series: Vec<(Vec<Option<&str>>, usize, i64, i64)> = files
        .iter()
        .map(|(_, f)| {
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
    assert!(files.iter().all(|(_, f)| f.partition_key == "2023-11-14"));

    // A file full when a batch comes is cut at the batch's first new series.
    let mut writer = CompactionWriter::new(batch.schema(), "2023-11-14", 1).unwrap();
    let first = writer.write(&batch.slice(0, 3)).unwrap();
    assert!(
        !first
            .iter()
            .any(|p| matches!(p, CompactedPart::Finished(_))),
        "nothing is full before the batch"
    );
    let mut parts = first;
    parts.extend(writer.write(&batch.slice(3, 2)).unwrap());
    let cut = &files_of(parts)[0].1;
    let hosts: Vec<Option<&str>> = cut.stats.tag("host").unwrap().iter().collect();
    assert_eq!((hosts, cut.rows), (vec![Some("a"), Some("b")], 4));

    // A large target keeps everything in one file.
    let mut writer = CompactionWriter::new(batch.schema(), "2023-11-14", 1 << 30).unwrap();
    let mut parts = writer.write(&batch).unwrap();
    assert!(
        !parts
            .iter()
            .any(|p| matches!(p, CompactedPart::Finished(_)))
    );
    parts.extend(writer.finish().unwrap());
    let files = files_of(parts);
    assert_eq!(files.len(), 1);
    assert_eq!((files[0].1.rows, files[0].1.stats.series()), (5, 3));
}

#[test]
fn a_compacted_file_is_handed_on_as_its_row_groups_are_written() {
    let rows: Vec<(&str, i64, f64)> = (0..200_000).map(|i| ("a", T + i, i as f64)).collect();
    let batch = sorted_rows(&rows);
    let mut writer = CompactionWriter::new(batch.schema(), "2023-11-14", 1 << 30).unwrap();
    let mut parts = Vec::new();
    for start in (0..batch.num_rows()).step_by(8192) {
        let length = 8192.min(batch.num_rows() - start);
        parts.extend(writer.write(&batch.slice(start, length)).unwrap());
    }
    let before_finish: usize = parts
        .iter()
        .map(|p| match p {
            CompactedPart::Bytes { bytes, .. } => bytes.len(),
            CompactedPart::Finished(_) => 0,
        })
        .sum();
    parts.extend(writer.finish().unwrap());
    let files = files_of(parts);
    assert_eq!(files.len(), 1);
    assert!(
        before_finish > files[0].0.len() / 2,
        "most of the file ({} bytes) was handed on before it was finished, not {before_finish}",
        files[0].0.len()
    );
    let read: usize = ParquetRecordBatchReaderBuilder::try_new(files[0].0.clone())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!((read, files[0].1.rows), (200_000, 200_000));
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
