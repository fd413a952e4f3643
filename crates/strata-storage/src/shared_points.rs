//! Whether two Parquet files whose time ranges overlap hold a point in common.
//!
//! Generations persisted one after another overlap in time when writes arrive out of order
//! (concurrent writers, late data), yet they usually share no point. Files never change, so
//! checking a pair once, by reading both files' rows in the time they share, lets queries treat
//! them as sources that need no merging: counts from statistics stay exact and scans read the
//! files as they are.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{and, cast};
use arrow::datatypes::{DataType, TimestampNanosecondType};
use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowPredicateFn, ParquetRecordBatchReaderBuilder, RowFilter};
use strata_types::{ColumnType, Error, ParquetFile, Result, TIME_COLUMN};

use crate::columns::column_type_of;

/// Rows of one file in the shared time range read at most; with more, the files are taken to
/// share points (compaction will merge them).
const MAX_ROWS: usize = 1 << 20;

/// Whether a point (series and time) may be in both files: `false` only when none is.
pub(crate) async fn may_share_points(
    store: &Arc<dyn ObjectStore>,
    a: &ParquetFile,
    b: &ParquetFile,
) -> Result<bool> {
    let window = (a.min_time.max(b.min_time), a.max_time.min(b.max_time));
    if window.0 > window.1 {
        return Ok(false);
    }
    let hasher = std::collections::hash_map::RandomState::new();
    let Some(in_a) = points(store, a, window, hasher.clone()).await? else {
        return Ok(true);
    };
    if in_a.is_empty() {
        return Ok(false);
    }
    let Some(in_b) = points(store, b, window, hasher).await? else {
        return Ok(true);
    };
    // Hashes may collide: a collision only makes the answer cautious.
    Ok(!in_a.is_disjoint(&in_b))
}

/// The hashes of the points (series key and time) of a file within `window`, both ends
/// included; `None` when there are more than [`MAX_ROWS`].
async fn points(
    store: &Arc<dyn ObjectStore>,
    file: &ParquetFile,
    window: (i64, i64),
    hasher: impl BuildHasher + Send + 'static,
) -> Result<Option<HashSet<u64>>> {
    let failed =
        |e: &dyn std::fmt::Display| Error::internal(format!("reading {} failed: {e}", file.path));
    let location = ObjectPath::parse(&file.path).map_err(|e| {
        Error::internal(format!(
            "the catalog holds an invalid object path {:?}: {e}",
            file.path
        ))
    })?;
    let bytes = store
        .get(&location)
        .await
        .map_err(|e| failed(&e))?
        .bytes()
        .await
        .map_err(|e| failed(&e))?;
    tokio::task::spawn_blocking(move || hashed_points(bytes, window, hasher))
        .await
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))
}

/// Why a file could not be read.
type ReadError = Box<dyn std::error::Error + Send + Sync>;

fn hashed_points(
    bytes: Bytes,
    (first, last): (i64, i64),
    hasher: impl BuildHasher,
) -> std::result::Result<Option<HashSet<u64>>, ReadError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)?;
    let schema = builder.schema().clone();
    let mut tags: Vec<(usize, String)> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| column_type_of(f) == Some(ColumnType::Tag))
        .map(|(i, f)| (i, f.name().clone()))
        .collect();
    tags.sort_by(|x, y| x.1.cmp(&y.1));
    let Ok(time) = schema.index_of(TIME_COLUMN) else {
        return Ok(Some(HashSet::new()));
    };
    let leaves = builder.parquet_schema();
    let read = ProjectionMask::roots(leaves, tags.iter().map(|(i, _)| *i).chain([time]));
    let in_window = ArrowPredicateFn::new(ProjectionMask::roots(leaves, [time]), move |batch| {
        let times = batch.column(0).as_primitive::<TimestampNanosecondType>();
        let after = BooleanArray::from_unary(times, |t| t >= first);
        let before = BooleanArray::from_unary(times, |t| t <= last);
        and(&after, &before)
    });
    let reader = builder
        .with_projection(read)
        .with_row_filter(RowFilter::new(vec![Box::new(in_window)]))
        .build()?;
    let mut points = HashSet::new();
    for batch in reader {
        let batch: RecordBatch = batch?;
        if points.len() + batch.num_rows() > MAX_ROWS {
            return Ok(None);
        }
        let columns = tags
            .iter()
            .map(|(_, name)| -> std::result::Result<_, ReadError> {
                let column = batch
                    .column_by_name(name)
                    .ok_or_else(|| format!("the file lost its column {name}"))?;
                Ok(cast(column, &DataType::Utf8)?)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let times = batch
            .column_by_name(TIME_COLUMN)
            .ok_or("the file lost its time column")?
            .as_primitive::<TimestampNanosecondType>();
        for row in 0..batch.num_rows() {
            // The series key is its tags in name order, so files with other columns agree.
            let mut hash = hasher.build_hasher();
            for ((_, name), values) in tags.iter().zip(&columns) {
                let values = values.as_string::<i32>();
                if values.is_valid(row) {
                    hash.write(name.as_bytes());
                    hash.write_u8(0);
                    hash.write(values.value(row).as_bytes());
                    hash.write_u8(0);
                }
            }
            hash.write_i64(times.value(row));
            points.insert(hash.finish());
        }
    }
    Ok(Some(points))
}
