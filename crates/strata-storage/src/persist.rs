//! Buffered batches → sorted Parquet files, one per partition.
//!
//! A table's batches may have different columns (columns are added as writes bring them), so
//! they are first aligned to one schema: tags by name, then fields by name, then `time`,
//! missing columns as nulls. Rows are sorted by the tags, then time, and split by partition
//! key; each partition becomes one Parquet file with column statistics.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, UInt32Array, new_null_array};
use arrow::compute::{concat_batches, interleave, take};
use arrow::datatypes::{Schema, TimestampNanosecondType};
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use strata_types::{ColumnType, Error, PartitionTemplate, Result, TIME_COLUMN};
use uuid::Uuid;

use crate::buffer::time_range;
use crate::columns::{arrow_schema, column_type_of};
use crate::partition::partition_rows;
use crate::stats::{SeriesIds, SeriesStats};

/// One Parquet file's contents and what is known of them.
pub struct EncodedFile {
    pub bytes: Bytes,
    pub summary: FileSummary,
}

/// What the catalog records of a written file, and its statistics.
pub struct FileSummary {
    pub id: Uuid,
    pub partition_key: String,
    /// The file's [`SeriesStats`], stored beside it.
    pub stats: SeriesStats,
    pub min_time: i64,
    pub max_time: i64,
    pub rows: usize,
}

/// Encodes a table's buffered batches as one file per partition, partitions in parallel.
///
/// The rows are never copied whole: only their tags and times are gathered to sort them, and
/// each file is written a slice of sorted rows at a time, so persisting takes a small part of
/// the memory the batches take.
pub(crate) fn encode_table(
    batches: &[RecordBatch],
    template: &PartitionTemplate,
) -> Result<Vec<EncodedFile>> {
    let rows = Rows::of(batches)?;
    if rows.count() == 0 {
        return Ok(Vec::new());
    }
    let partitions = partition_rows(&rows.key, template);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut files = Vec::with_capacity(partitions.len());
    for chunk in partitions.chunks(threads) {
        let encoded = std::thread::scope(|scope| {
            let running: Vec<_> = chunk
                .iter()
                .map(|(partition_key, members)| {
                    let rows = &rows;
                    scope.spawn(move || rows.encode(partition_key.clone(), members))
                })
                .collect();
            running
                .into_iter()
                .map(|thread| thread.join().map_err(|_| panicked("encoding a partition")))
                .collect::<Result<Vec<_>>>()
        })?;
        for file in encoded {
            files.push(file?);
        }
    }
    Ok(files)
}

/// Sorted rows written to a file at a time: enough to keep Parquet's encoders busy, few
/// enough that a slice is a small part of what is persisted.
const SLICE_ROWS: usize = 64 * 1024;

/// A table's buffered rows under one schema, with what sorting them needs.
struct Rows {
    /// The batches, aligned to `schema`.
    batches: Vec<RecordBatch>,
    schema: Arc<Schema>,
    /// Where each batch's rows start in the numbering of all rows, and the total last.
    starts: Vec<usize>,
    /// The tag and time columns of all rows, one after another (tags under one dictionary).
    key: RecordBatch,
    /// For each column of `schema`, its place in `key` if it is a tag or the time.
    in_key: Vec<Option<usize>>,
    /// Each row's series, numbered in the order of their tags ([`SeriesIds`]).
    series: Vec<u32>,
    series_count: usize,
}

impl Rows {
    fn of(batches: &[RecordBatch]) -> Result<Rows> {
        let (schema, batches) = align(batches)?;
        let mut starts = vec![0];
        for batch in &batches {
            starts.push(starts.last().expect("starts at 0") + batch.num_rows());
        }
        let key_columns: Vec<usize> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(column_type_of(f), Some(ColumnType::Tag | ColumnType::Time)))
            .map(|(i, _)| i)
            .collect();
        let key_schema = Arc::new(schema.project(&key_columns).map_err(arrow_error)?);
        let projected = batches
            .iter()
            .map(|b| b.project(&key_columns))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(arrow_error)?;
        let key = concat_batches(&key_schema, &projected).map_err(arrow_error)?;
        let tags: Vec<ArrayRef> = key_schema
            .fields()
            .iter()
            .zip(key.columns())
            .filter(|(field, _)| column_type_of(field) == Some(ColumnType::Tag))
            .map(|(_, column)| column.clone())
            .collect();
        let series = SeriesIds::of(&tags, key.num_rows())?;
        let in_key = (0..schema.fields().len())
            .map(|c| key_columns.iter().position(|&k| k == c))
            .collect();
        Ok(Rows {
            batches,
            schema,
            starts,
            key,
            in_key,
            series: series.of_row,
            series_count: series.count,
        })
    }

    fn count(&self) -> usize {
        self.key.num_rows()
    }

    fn times(&self) -> &[i64] {
        match self.key.column_by_name(TIME_COLUMN) {
            Some(column) => column.as_primitive::<TimestampNanosecondType>().values(),
            None => &[],
        }
    }

    /// One partition's rows (`members`, numbers of rows) as a Parquet file sorted by every tag
    /// (in column order), then time, with its statistics. Rows of the same series and time
    /// are one point: as in InfluxDB, a point written again replaces the values it names and
    /// keeps the others, so each column takes the value of the last row (in write order) that
    /// has one.
    fn encode(&self, partition_key: String, members: &[u32]) -> Result<EncodedFile> {
        let times = self.times();
        let time_of = |row: u32| times.get(row as usize).copied().unwrap_or(0);
        let key_of = |row: u32| (self.series[row as usize], time_of(row), row);
        let keys = sort_by_series(members.len(), self.series_count, || {
            members.iter().map(|&row| key_of(row))
        });
        let mut points: Vec<&[(u32, i64, u32)]> = Vec::new();
        let mut start = 0;
        for end in 1..=keys.len() {
            if end == keys.len() || (keys[end].0, keys[end].1) != (keys[start].0, keys[start].1) {
                points.push(&keys[start..end]);
                start = end;
            }
        }

        // Slices are gathered and summarized on this thread while another encodes them.
        let (to_writer, slices) = std::sync::mpsc::sync_channel::<RecordBatch>(1);
        let schema = self.schema.clone();
        let (written, stats, (min_time, max_time)) = std::thread::scope(|scope| {
            let writer = scope.spawn(move || write_parquet(schema, slices));
            let summarized = (|| {
                let mut stats = Vec::new();
                let (mut min_time, mut max_time) = (i64::MAX, i64::MIN);
                for slice in points.chunks(SLICE_ROWS) {
                    let part = self.gather(slice)?;
                    let (first, last) = time_range(&part);
                    (min_time, max_time) = (min_time.min(first), max_time.max(last));
                    if to_writer.send(part.clone()).is_err() {
                        // The writer failed: its error is the one to report.
                        break;
                    }
                    stats.push(SeriesStats::of_rows(&part)?);
                }
                Ok::<_, Error>((stats, (min_time, max_time)))
            })();
            drop(to_writer);
            let written = writer
                .join()
                .map_err(|_| panicked("writing a file"))
                .and_then(|w| w);
            summarized.map(|(stats, range)| (written, stats, range))
        })?;
        let out = written?;
        // A series cut between slices has earlier times in the first: the parts share no point.
        let ranked: Vec<(u64, &SeriesStats)> = stats.iter().map(|s| (0, s)).collect();
        Ok(EncodedFile {
            bytes: out,
            summary: FileSummary {
                id: Uuid::new_v4(),
                partition_key,
                rows: points.len(),
                stats: SeriesStats::merge(&ranked)?,
                min_time,
                max_time,
            },
        })
    }

    /// One row per point, each column's value from the point's last row that has one.
    fn gather(&self, points: &[&[(u32, i64, u32)]]) -> Result<RecordBatch> {
        // A point's rows share their tags and time: those come from its newest row.
        let newest = UInt32Array::from_iter_values(points.iter().map(|p| p[p.len() - 1].2));
        // Field values come from the batches, each point's rows as (batch, row in batch).
        let place = |&(_, _, row): &(u32, i64, u32)| {
            let row = row as usize;
            let batch = self.starts.partition_point(|&start| start <= row) - 1;
            (batch, row - self.starts[batch])
        };
        let placed: Vec<(usize, usize)> = points.iter().flat_map(|p| p.iter().map(place)).collect();
        let mut ends = Vec::with_capacity(points.len());
        let mut end = 0;
        for point in points {
            end += point.len();
            ends.push(end);
        }
        let columns = (0..self.schema.fields().len())
            .map(|c| {
                if let Some(k) = self.in_key[c] {
                    return take(self.key.column(k), &newest, None).map_err(arrow_error);
                }
                let sources: Vec<&dyn Array> =
                    self.batches.iter().map(|b| b.column(c).as_ref()).collect();
                fold_latest(&sources, &placed, &ends).map_err(arrow_error)
            })
            .collect::<Result<Vec<_>>>()?;
        RecordBatch::try_new(self.schema.clone(), columns).map_err(arrow_error)
    }
}

/// One value per point of a column held in several arrays: the points' rows are `rows`
/// (array, row) in write order, point `i` being `rows[ends[i-1]..ends[i]]`, and each takes the
/// value of its last row that has one. As in InfluxDB, a point written again replaces the
/// values it names and keeps the others.
pub fn fold_latest(
    arrays: &[&dyn Array],
    rows: &[(usize, usize)],
    ends: &[usize],
) -> std::result::Result<ArrayRef, arrow::error::ArrowError> {
    if ends.len() == rows.len() {
        return interleave(arrays, rows);
    }
    let mut start = 0;
    let chosen: Vec<(usize, usize)> = ends
        .iter()
        .map(|&end| {
            let point = &rows[start..end];
            start = end;
            point
                .iter()
                .rev()
                .copied()
                .find(|&(a, r)| arrays[a].is_valid(r))
                .unwrap_or(point[point.len() - 1])
        })
        .collect();
    interleave(arrays, &chosen)
}

/// `(series, time, row)` keys, sorted. A series' rows come mostly in time order, so rows are
/// placed by series first (a counting sort), and then each series' few rows are put in order.
fn sort_by_series<I: Iterator<Item = (u32, i64, u32)>>(
    len: usize,
    series_count: usize,
    keys: impl Fn() -> I,
) -> Vec<(u32, i64, u32)> {
    if series_count > len.saturating_mul(4) {
        // Few rows of many series: counting would cost more than sorting.
        let mut sorted: Vec<_> = keys().collect();
        sorted.sort_unstable();
        return sorted;
    }
    let mut starts = vec![0usize; series_count + 1];
    for (series, _, _) in keys() {
        starts[series as usize + 1] += 1;
    }
    for s in 1..starts.len() {
        starts[s] += starts[s - 1];
    }
    let mut sorted = vec![(0, 0, 0); len];
    let mut next = starts.clone();
    for key in keys() {
        let at = &mut next[key.0 as usize];
        sorted[*at] = key;
        *at += 1;
    }
    for bounds in starts.windows(2) {
        let rows = &mut sorted[bounds[0]..bounds[1]];
        if !rows.is_sorted() {
            rows.sort_unstable();
        }
    }
    sorted
}

/// The slices, in order, as one Parquet file.
fn write_parquet(
    schema: Arc<Schema>,
    slices: std::sync::mpsc::Receiver<RecordBatch>,
) -> Result<Bytes> {
    let mut out = Vec::new();
    let properties = properties(&schema);
    let mut writer =
        ArrowWriter::try_new(&mut out, schema, Some(properties)).map_err(parquet_error)?;
    for slice in slices {
        writer.write(&slice).map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    Ok(Bytes::from(out))
}

fn panicked(what: &str) -> Error {
    Error::internal(format!("{what} for Parquet failed: the thread panicked"))
}

/// The batches under the union of their columns in file order (tags, fields, time), missing
/// columns as nulls.
fn align(batches: &[RecordBatch]) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    let mut columns: BTreeMap<(u8, String), ColumnType> = BTreeMap::new();
    for batch in batches {
        for field in batch.schema().fields() {
            let column_type = column_type_of(field).ok_or_else(|| {
                Error::internal(format!(
                    "buffered column {:?} has no column type",
                    field.name()
                ))
            })?;
            let rank = match column_type {
                ColumnType::Tag => 0,
                ColumnType::Time => 2,
                _ => 1,
            };
            columns.insert((rank, field.name().clone()), column_type);
        }
    }
    let schema = arrow_schema(columns.iter().map(|((_, name), t)| (name.as_str(), *t)));
    let aligned = batches
        .iter()
        .map(|batch| {
            let arrays = schema
                .fields()
                .iter()
                .map(|field| {
                    batch
                        .column_by_name(field.name())
                        .cloned()
                        .unwrap_or_else(|| new_null_array(field.data_type(), batch.num_rows()))
                })
                .collect();
            RecordBatch::try_new(schema.clone(), arrays).map_err(arrow_error)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((schema, aligned))
}

/// The statistics of a stored Parquet file, from its rows.
pub(crate) fn stats_of_parquet(bytes: Bytes) -> Result<SeriesStats> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|builder| builder.build())
        .map_err(parquet_error)?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(arrow_error)?;
    SeriesStats::of_rows(&concat_batches(&schema, &batches).map_err(arrow_error)?)
}

/// Rows per Parquet data page, at most.
const PAGE_ROWS: usize = 4096;

/// Rows per Parquet row group, at most. A reader holds a row group's column chunks while it
/// reads them, and compaction reads all of its inputs at once, so its memory is about this
/// times the number of inputs; row groups also prune by their statistics, which smaller ones
/// make sharper. One persistence slice is one row group.
const ROW_GROUP_ROWS: usize = SLICE_ROWS;

/// How every file is written: Snappy, page statistics, small pages, sorted by tags then time.
pub(crate) fn properties(schema: &Schema) -> WriterProperties {
    let sorting = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(column_type_of(f), Some(ColumnType::Tag | ColumnType::Time)))
        .map(|(i, _)| SortingColumn {
            column_idx: i as i32,
            descending: false,
            nulls_first: true,
        })
        .collect();
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Page)
        // Small pages, so that a query for one series reads little more than its rows: rows
        // are sorted by series, and the page index prunes by tags and time.
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_sorting_columns(Some(sorting))
        .build()
}

pub(crate) fn arrow_error(e: arrow::error::ArrowError) -> Error {
    Error::internal(format!("preparing rows for Parquet failed: {e}"))
}

pub(crate) fn parquet_error(e: parquet::errors::ParquetError) -> Error {
    Error::internal(format!("encoding Parquet failed: {e}"))
}

#[cfg(test)]
mod tests {
    use arrow::array::{
        Array, AsArray, Float64Array, StringDictionaryBuilder, TimestampNanosecondArray,
    };
    use arrow::datatypes::{Float64Type, Int32Type, TimestampNanosecondType};
    use std::sync::Arc;

    use super::*;
    use crate::columns::arrow_field;
    use crate::partition::default_template;

    fn batch(hosts: &[&str], times: &[i64], with_usage: bool) -> RecordBatch {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        hosts.iter().for_each(|h| host.append_value(h));
        let mut fields = vec![arrow_field("host", ColumnType::Tag)];
        let mut arrays: Vec<arrow::array::ArrayRef> = vec![Arc::new(host.finish())];
        if with_usage {
            fields.push(arrow_field("usage", ColumnType::Float));
            arrays.push(Arc::new(Float64Array::from(
                times.iter().map(|t| *t as f64).collect::<Vec<_>>(),
            )));
        }
        fields.push(arrow_field("time", ColumnType::Time));
        arrays.push(Arc::new(
            TimestampNanosecondArray::from(times.to_vec()).with_timezone("UTC"),
        ));
        RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), arrays).unwrap()
    }

    /// A file's rows in one batch.
    fn read(file: &EncodedFile) -> RecordBatch {
        let reader = ParquetRecordBatchReaderBuilder::try_new(file.bytes.clone())
            .unwrap()
            .build()
            .unwrap();
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        concat_batches(&schema, &batches).unwrap()
    }

    const T: i64 = 1_700_000_000_000_000_000;
    const DAY: i64 = 86_400_000_000_000;

    #[test]
    fn batches_with_different_columns_become_sorted_files_per_day() {
        let first = batch(&["b", "a"], &[T + 2, T + 1], false);
        let second = batch(&["a", "b"], &[T, T + DAY], true);
        let files = encode_table(&[first, second], &default_template()).unwrap();
        assert_eq!(files.len(), 2);
        let day1 = &files[0];
        assert_eq!(day1.summary.partition_key, "2023-11-14");
        assert_eq!(
            (
                day1.summary.rows,
                day1.summary.min_time,
                day1.summary.max_time
            ),
            (3, T, T + 2)
        );
        let read = read(day1);
        let names: Vec<_> = read
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, vec!["host", "usage", "time"]);
        let times = read.column(2).as_primitive::<TimestampNanosecondType>();
        assert_eq!(
            times.values().to_vec(),
            vec![T, T + 1, T + 2],
            "sorted by host, then time"
        );
        let usage = read.column(1).as_primitive::<Float64Type>();
        assert_eq!(usage.value(0), T as f64);
        assert!(
            usage.is_null(1) && usage.is_null(2),
            "rows written before the column existed are null"
        );
        assert_eq!(files[1].summary.partition_key, "2023-11-15");
        assert_eq!(files[1].summary.rows, 1);
    }

    #[test]
    fn rows_without_a_tag_sort_first_and_a_point_written_again_keeps_its_latest_values() {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        for h in [Some("b"), None, Some("a"), Some("a"), Some("a")] {
            match h {
                Some(h) => host.append_value(h),
                None => host.append_null(),
            }
        }
        let batch = RecordBatch::try_new(
            Arc::new(arrow::datatypes::Schema::new(vec![
                arrow_field("host", ColumnType::Tag),
                arrow_field("usage", ColumnType::Float),
                arrow_field("idle", ColumnType::Float),
                arrow_field("time", ColumnType::Time),
            ])),
            vec![
                Arc::new(host.finish()),
                Arc::new(Float64Array::from(vec![
                    Some(1.0),
                    Some(2.0),
                    Some(3.0),
                    Some(4.0),
                    None,
                ])),
                Arc::new(Float64Array::from(vec![
                    None,
                    None,
                    Some(30.0),
                    None,
                    Some(50.0),
                ])),
                Arc::new(
                    TimestampNanosecondArray::from(vec![T, T + 9, T, T, T]).with_timezone("UTC"),
                ),
            ],
        )
        .unwrap();
        let files = encode_table(&[batch], &default_template()).unwrap();
        let sorted = read(&files[0]);
        assert_eq!(
            sorted.num_rows(),
            3,
            "the three writes of a@T are one point"
        );
        let column = |name| {
            sorted
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Float64Type>()
        };
        assert_eq!(column("usage").values().to_vec(), vec![2.0, 4.0, 1.0]);
        let idle = column("idle");
        assert_eq!(
            (idle.is_null(0), idle.value(1), idle.is_null(2)),
            (true, 50.0, true)
        );
    }

    #[test]
    fn keys_sorted_by_series_are_in_the_order_a_plain_sort_gives() {
        let keys: Vec<(u32, i64, u32)> = (0..200u32)
            .map(|row| (row * 7 % 5, i64::from(row * 13 % 11), row))
            .collect();
        let mut expected = keys.clone();
        expected.sort_unstable();
        for series_count in [5, 10_000] {
            let sorted = sort_by_series(keys.len(), series_count, || keys.iter().copied());
            assert_eq!(sorted, expected, "{series_count} series");
        }
    }

    #[test]
    fn rows_of_many_batches_are_written_in_slices_with_the_statistics_of_the_whole_file() {
        // Three hosts, a point a second each, the hosts interleaved; the second batch writes
        // every tenth point of the first again with a new value.
        let day = T - T.rem_euclid(DAY);
        let times: Vec<i64> = (0..SLICE_ROWS as i64 * 2)
            .map(|i| day + i / 3 * 1_000_000_000)
            .collect();
        let hosts: Vec<&str> = (0..times.len()).map(|i| ["c", "a", "b"][i % 3]).collect();
        let first = batch(&hosts, &times, true);
        let again: Vec<usize> = (0..times.len()).step_by(10).collect();
        let mut second = batch(
            &again.iter().map(|&i| hosts[i]).collect::<Vec<_>>(),
            &again.iter().map(|&i| times[i]).collect::<Vec<_>>(),
            true,
        );
        let rewritten: Vec<f64> = (0..again.len()).map(|i| -(i as f64)).collect();
        second = RecordBatch::try_new(
            second.schema(),
            vec![
                second.column(0).clone(),
                Arc::new(Float64Array::from(rewritten)),
                second.column(2).clone(),
            ],
        )
        .unwrap();
        let third = batch(&["a"], &[day + DAY * 3 / 4], false);
        let files = encode_table(&[first, second, third], &default_template()).unwrap();
        assert_eq!(files.len(), 1);
        let file = &files[0];
        assert_eq!(
            file.summary.rows,
            times.len() + 1,
            "points written again are one row"
        );

        let rows = read(file);
        assert_eq!(rows.num_rows(), file.summary.rows);
        let host = arrow::compute::cast(rows.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
        let host = host.as_string::<i32>();
        let time = rows.column(2).as_primitive::<TimestampNanosecondType>();
        for row in 1..rows.num_rows() {
            let before = (host.value(row - 1), time.value(row - 1));
            assert!(
                before < (host.value(row), time.value(row)),
                "sorted at row {row}"
            );
        }
        let usage = rows.column(1).as_primitive::<Float64Type>();
        let negative = (0..usage.len()).filter(|&r| usage.is_valid(r) && usage.value(r) < 0.0);
        // The rewrite of point 0 wrote -0.0, which is not below 0.
        assert_eq!(negative.count(), again.len() - 1, "the latest writes win");

        let whole = SeriesStats::of_rows(&rows).unwrap();
        let stats = &file.summary.stats;
        assert_eq!(stats.series(), 3);
        assert_eq!(stats.tag("host").unwrap(), whole.tag("host").unwrap());
        assert_eq!(stats.rows(), whole.rows());
        assert_eq!(stats.min_time(), whole.min_time());
        assert_eq!(stats.max_time(), whole.max_time());
        assert_eq!(stats.inexact(), whole.inexact());
        assert!(stats.inexact().iter().all(|i| i == Some(false)));
        let (field, expected) = (stats.field("usage").unwrap(), whole.field("usage").unwrap());
        assert_eq!(field.count, expected.count);
        assert_eq!(field.min, expected.min);
        assert_eq!(field.max, expected.max);
        assert_eq!(field.last, expected.last);
        assert_eq!(field.last_time, expected.last_time);
        assert_eq!(
            (file.summary.min_time, file.summary.max_time),
            (day, day + DAY * 3 / 4)
        );
    }
}

/// How long persisting takes, printed: `cargo test --release -p strata-storage --lib
/// persist::benchmark -- --ignored --nocapture`.
#[cfg(test)]
mod benchmark {
    use super::*;
    use crate::columns::arrow_field;
    use crate::partition::default_template;
    use arrow::array::{Float64Array, StringDictionaryBuilder, TimestampNanosecondArray};
    use arrow::datatypes::Int32Type;

    /// 430 writes of one point for each of 10,000 series (three tags, four fields), as one
    /// generation of the soak benchmark holds them.
    #[test]
    #[ignore = "a benchmark: run on demand"]
    fn encoding_a_generation_of_ten_thousand_series() {
        let series = 10_000;
        let t0 = 1_700_000_000_000_000_000i64;
        let batches: Vec<RecordBatch> = (0..430)
            .map(|round| {
                let mut tags: Vec<StringDictionaryBuilder<Int32Type>> =
                    (0..3).map(|_| StringDictionaryBuilder::new()).collect();
                for s in 0..series {
                    tags[0].append_value(format!("dc{}", s % 7));
                    tags[1].append_value(format!("host{s}"));
                    tags[2].append_value(format!("region{}", s % 3));
                }
                let mut fields = vec![
                    arrow_field("dc", ColumnType::Tag),
                    arrow_field("host", ColumnType::Tag),
                    arrow_field("region", ColumnType::Tag),
                ];
                let mut arrays: Vec<ArrayRef> = tags
                    .iter_mut()
                    .map(|t| Arc::new(t.finish()) as ArrayRef)
                    .collect();
                for f in ["a", "b", "c", "d"] {
                    fields.push(arrow_field(f, ColumnType::Float));
                    arrays.push(Arc::new(Float64Array::from_iter_values(
                        (0..series).map(|s| (s * round) as f64 * 0.37),
                    )));
                }
                fields.push(arrow_field("time", ColumnType::Time));
                arrays.push(Arc::new(
                    TimestampNanosecondArray::from_iter_values(
                        (0..series).map(|_| t0 + round as i64 * 1_000_000),
                    )
                    .with_timezone("UTC"),
                ));
                RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
            })
            .collect();
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let files = encode_table(&batches, &default_template()).unwrap();
            eprintln!(
                "{} rows in {:?}, {} bytes",
                files[0].summary.rows,
                started.elapsed(),
                files[0].bytes.len()
            );
        }
    }
}
