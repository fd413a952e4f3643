//! Whether sources whose time ranges overlap hold a point in common.
//!
//! Generations persisted one after another overlap in time when writes arrive out of order
//! (concurrent writers, late data), and so do buffered batches, yet they usually share no
//! point. Reading the rows of the times where they overlap tells, so that counts from
//! statistics stay exact and scans read the sources as they are. Files never change, so a pair
//! of files is checked once; buffered batches are checked as queries see them.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, TimestampNanosecondArray};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::{DataType, Schema, TimestampNanosecondType};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowPredicateFn, ParquetRecordBatchReaderBuilder, RowFilter};
use strata_types::{ColumnType, Error, ParquetFile, Result, TIME_COLUMN};

use crate::columns::column_type_of;
use crate::overlap::{Source, conflict_windows};

/// Rows read in the times where sources overlap at most; with more, the sources are taken to
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
    let windows: Arc<[(i64, i64)]> = Arc::new([window]);
    // A file holds each point once, so a point met twice is in both.
    let (points, found) = add_file_points(store, a, windows.clone(), Points::default()).await?;
    if found != Found::New {
        return Ok(true);
    }
    if points.is_empty() {
        return Ok(false);
    }
    let (_, found) = add_file_points(store, b, windows, points).await?;
    Ok(found != Found::New)
}

/// Whether a point may be in more than one of a table's buffered batches (`unique` saying of
/// each whether it holds no point twice, `ranges` its smallest and largest time) and files, or twice in one batch: `false` only when
/// the rows in every time where they overlap hold each point once. The files must be known to
/// share no point with each other.
pub(crate) async fn buffer_may_share_points(
    store: &Arc<dyn ObjectStore>,
    batches: &[RecordBatch],
    unique: &[bool],
    ranges: &[(i64, i64)],
    files: &[ParquetFile],
) -> Result<bool> {
    let mut spans: Vec<(i64, i64, Source)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.min_time, f.max_time, Source::File(i)))
        .collect();
    for (i, &(first, last)) in ranges.iter().enumerate() {
        if first <= last {
            spans.push((first, last, Source::Batch(i)));
        }
    }
    let windows: Arc<[(i64, i64)]> = conflict_windows(&spans, true, |b| !unique[b]).into();
    if windows.is_empty() {
        return Ok(false);
    }
    let in_a_window = |(first, last): (i64, i64)| {
        let i = windows.partition_point(|w| w.1 < first);
        i < windows.len() && windows[i].0 <= last
    };
    let mut overlapping_files = Vec::new();
    let mut overlapping_batches = Vec::new();
    for (first, last, source) in spans {
        if in_a_window((first, last)) {
            match source {
                Source::File(i) => overlapping_files.push(&files[i]),
                Source::Batch(i) => overlapping_batches.push(batches[i].clone()),
            }
        }
    }
    // A file's rows in the windows, guessed from its size, when they would be too many to read.
    let too_many_to_read = overlapping_files.iter().any(|file| {
        let within: i128 = windows
            .iter()
            .map(|&(first, last)| {
                (last.min(file.max_time) as i128 - first.max(file.min_time) as i128 + 1).max(0)
            })
            .sum();
        let span = file.max_time as i128 - file.min_time as i128 + 1;
        within * file.row_count as i128 / span > MAX_ROWS as i128
    });
    if too_many_to_read {
        return Ok(true);
    }
    let in_memory = windows.clone();
    let (mut points, found) = tokio::task::spawn_blocking(move || {
        let mut points = Points::default();
        for batch in &overlapping_batches {
            let rows = filter_record_batch(batch, &within(batch, &in_memory))
                .map_err(|e| Error::internal(format!("reading buffered rows failed: {e}")))?;
            let found = points
                .add(&rows, &tag_names(&rows.schema()))
                .map_err(|e| Error::internal(format!("reading buffered rows failed: {e}")))?;
            if found != Found::New {
                return Ok((points, found));
            }
        }
        Ok::<_, Error>((points, Found::New))
    })
    .await
    .map_err(|e| Error::internal(format!("reading buffered rows failed: {e}")))??;
    if found != Found::New {
        return Ok(true);
    }
    for file in overlapping_files {
        let found;
        (points, found) = add_file_points(store, file, windows.clone(), points).await?;
        if found != Found::New {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What adding rows to [`Points`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Every point was new.
    New,
    /// A point was there already (or two hashes collide: a collision only makes the answer
    /// cautious).
    Repeat,
    /// More than [`MAX_ROWS`] points.
    TooMany,
}

/// The hashes of the points (series key and time) seen so far.
struct Points {
    seen: HashSet<u64>,
    hasher: RandomState,
}

impl Default for Points {
    fn default() -> Self {
        Points {
            seen: HashSet::new(),
            hasher: RandomState::new(),
        }
    }
}

impl Points {
    fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Adds the points of `batch`, whose tags are the columns named `tags`.
    fn add(
        &mut self,
        batch: &RecordBatch,
        tags: &[String],
    ) -> std::result::Result<Found, ReadError> {
        if self.seen.len() + batch.num_rows() > MAX_ROWS {
            return Ok(Found::TooMany);
        }
        let columns = tags
            .iter()
            .map(|name| -> std::result::Result<_, ReadError> {
                let column = batch
                    .column_by_name(name)
                    .ok_or_else(|| format!("the rows lost their tag {name}"))?;
                Ok(cast(column, &DataType::Utf8)?)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let times = batch
            .column_by_name(TIME_COLUMN)
            .ok_or("the rows have no time column")?
            .as_primitive::<TimestampNanosecondType>();
        let mut found = Found::New;
        for row in 0..batch.num_rows() {
            let mut hash = self.hasher.build_hasher();
            for (name, values) in tags.iter().zip(&columns) {
                let values = values.as_string::<i32>();
                if values.is_valid(row) {
                    hash.write(name.as_bytes());
                    hash.write_u8(0);
                    hash.write(values.value(row).as_bytes());
                    hash.write_u8(0);
                }
            }
            hash.write_i64(times.value(row));
            if !self.seen.insert(hash.finish()) {
                found = Found::Repeat;
            }
        }
        Ok(found)
    }
}

/// The tag columns of a schema, in name order: a series key is its tags in name order, so
/// sources with other columns agree.
fn tag_names(schema: &Schema) -> Vec<String> {
    let mut tags: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| column_type_of(f) == Some(ColumnType::Tag))
        .map(|f| f.name().clone())
        .collect();
    tags.sort_unstable();
    tags
}

/// Which of a batch's rows have a time within one of `windows` (sorted and apart).
fn within(batch: &RecordBatch, windows: &[(i64, i64)]) -> BooleanArray {
    let Some(times) = batch.column_by_name(TIME_COLUMN) else {
        return BooleanArray::from(vec![false; batch.num_rows()]);
    };
    times_within(times.as_primitive(), windows)
}

fn times_within(times: &TimestampNanosecondArray, windows: &[(i64, i64)]) -> BooleanArray {
    BooleanArray::from_unary(times, |t| {
        let i = windows.partition_point(|w| w.1 < t);
        i < windows.len() && windows[i].0 <= t
    })
}

/// Adds a file's points within `windows` to `points`.
async fn add_file_points(
    store: &Arc<dyn ObjectStore>,
    file: &ParquetFile,
    windows: Arc<[(i64, i64)]>,
    points: Points,
) -> Result<(Points, Found)> {
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
    tokio::task::spawn_blocking(move || {
        let mut points = points;
        let found = add_parquet_points(bytes, windows, &mut points)?;
        Ok::<_, ReadError>((points, found))
    })
    .await
    .map_err(|e| failed(&e))?
    .map_err(|e| failed(&e))
}

/// Why a file could not be read.
type ReadError = Box<dyn std::error::Error + Send + Sync>;

fn add_parquet_points(
    bytes: bytes::Bytes,
    windows: Arc<[(i64, i64)]>,
    points: &mut Points,
) -> std::result::Result<Found, ReadError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)?;
    let schema = builder.schema().clone();
    let Ok(time) = schema.index_of(TIME_COLUMN) else {
        return Ok(Found::New);
    };
    let tags = tag_names(&schema);
    let mut read = tags
        .iter()
        .map(|name| schema.index_of(name))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    read.push(time);
    let leaves = builder.parquet_schema();
    let read = ProjectionMask::roots(leaves, read);
    let in_windows = ArrowPredicateFn::new(ProjectionMask::roots(leaves, [time]), move |batch| {
        Ok(times_within(batch.column(0).as_primitive(), &windows))
    });
    let reader = builder
        .with_projection(read)
        .with_row_filter(RowFilter::new(vec![Box::new(in_windows)]))
        .build()?;
    for batch in reader {
        let found = points.add(&batch?, &tags)?;
        if found != Found::New {
            return Ok(found);
        }
    }
    Ok(Found::New)
}
