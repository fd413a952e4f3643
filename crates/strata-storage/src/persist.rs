//! Buffered batches → sorted Parquet files, one per partition.
//!
//! A table's batches may have different columns (columns are added as writes bring them), so
//! they are first aligned to one schema: tags by name, then fields by name, then `time`,
//! missing columns as nulls. Rows are sorted by the tags, then time, and split by partition
//! key; each partition becomes one Parquet file with column statistics.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray, UInt32Array, new_null_array};
use arrow::compute::{concat_batches, take_record_batch};
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

/// One Parquet file's contents and what the catalog records about it.
pub struct EncodedFile {
    pub id: Uuid,
    pub partition_key: String,
    pub bytes: Bytes,
    /// The file's [`SeriesStats`], stored beside it.
    pub stats: SeriesStats,
    pub min_time: i64,
    pub max_time: i64,
    pub rows: usize,
}

/// Encodes a table's buffered batches as one file per partition, partitions in parallel.
pub(crate) fn encode_table(
    batches: &[RecordBatch],
    template: &PartitionTemplate,
) -> Result<Vec<EncodedFile>> {
    let batch = align_and_concat(batches)?;
    if batch.num_rows() == 0 {
        return Ok(Vec::new());
    }
    let sorted = sort(&batch)?;
    // The unsorted copy goes before the files are made: persistence's memory is the buffer's.
    drop(batch);
    let mut partitions = partition_rows(&sorted, template);
    if let [(_, rows)] = partitions.as_slice()
        && rows.len() == sorted.num_rows()
    {
        // One partition holding every row, in order (the usual case): no copy needed.
        let (partition_key, _) = partitions.remove(0);
        return Ok(vec![encode_file(partition_key, sorted)?]);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut files = Vec::with_capacity(partitions.len());
    for chunk in partitions.chunks(threads) {
        let encoded = std::thread::scope(|scope| {
            let running: Vec<_> = chunk
                .iter()
                .map(|(partition_key, rows)| {
                    let sorted = &sorted;
                    scope.spawn(move || {
                        let indices = UInt32Array::from(rows.clone());
                        let part = take_record_batch(sorted, &indices).map_err(arrow_error)?;
                        encode_file(partition_key.clone(), part)
                    })
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

/// One partition's rows as a Parquet file and its statistics, computed side by side.
fn encode_file(partition_key: String, part: RecordBatch) -> Result<EncodedFile> {
    let (min_time, max_time) = time_range(&part);
    let (bytes, stats) = std::thread::scope(|scope| {
        let stats = scope.spawn(|| SeriesStats::of_rows(&part));
        let bytes = write_parquet(&part);
        let stats = stats
            .join()
            .map_err(|_| panicked("computing series statistics"));
        (bytes, stats)
    });
    Ok(EncodedFile {
        id: Uuid::new_v4(),
        partition_key,
        rows: part.num_rows(),
        bytes: bytes?,
        stats: stats??,
        min_time,
        max_time,
    })
}

fn panicked(what: &str) -> Error {
    Error::internal(format!("{what} for Parquet failed: the thread panicked"))
}

/// The union of the batches' columns in file order (tags, fields, time) and the rows of all
/// batches under it.
fn align_and_concat(batches: &[RecordBatch]) -> Result<RecordBatch> {
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
    concat_batches(&schema, &aligned).map_err(arrow_error)
}

/// Sorts by every tag (in column order), then time, merging rows with the same series and
/// time (see [`merge_duplicates`]): rows are numbered by series ([`SeriesIds`]), and sorted by
/// (series number, time, position), a plain integer sort.
fn sort(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let tags: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(field, _)| column_type_of(field) == Some(ColumnType::Tag))
        .map(|(_, column)| column.clone())
        .collect();
    let times = match batch.column_by_name(TIME_COLUMN) {
        Some(column) => column
            .as_primitive::<TimestampNanosecondType>()
            .values()
            .clone(),
        None => return Ok(batch.clone()),
    };
    let series = SeriesIds::of(&tags, batch.num_rows())?.of_row;
    let mut keys: Vec<(u32, i64, u32)> = series
        .iter()
        .zip(times.iter())
        .enumerate()
        .map(|(row, (series, time))| (*series, *time, row as u32))
        .collect();
    keys.sort_unstable();
    if keys
        .windows(2)
        .all(|w| (w[0].0, w[0].1) != (w[1].0, w[1].1))
    {
        let order = UInt32Array::from_iter_values(keys.into_iter().map(|(_, _, row)| row));
        return take_record_batch(batch, &order).map_err(arrow_error);
    }
    merge_duplicates(batch, &keys)
}

/// Takes the rows in `keys` order, folding the rows of each (series, time) into one: as in
/// InfluxDB, a point written again replaces the values it names and keeps the others, so each
/// column takes the value of the last row (in write order) that has one.
fn merge_duplicates(batch: &RecordBatch, keys: &[(u32, i64, u32)]) -> Result<RecordBatch> {
    let mut groups: Vec<&[(u32, i64, u32)]> = Vec::new();
    let mut start = 0;
    for end in 1..=keys.len() {
        if end == keys.len() || (keys[end].0, keys[end].1) != (keys[start].0, keys[start].1) {
            groups.push(&keys[start..end]);
            start = end;
        }
    }
    let columns = batch
        .columns()
        .iter()
        .map(|column| {
            let indices = UInt32Array::from_iter_values(groups.iter().map(|group| {
                group
                    .iter()
                    .rev()
                    .find(|(_, _, row)| column.is_valid(*row as usize))
                    .unwrap_or(&group[group.len() - 1])
                    .2
            }));
            arrow::compute::take(column.as_ref(), &indices, None).map_err(arrow_error)
        })
        .collect::<Result<Vec<_>>>()?;
    RecordBatch::try_new(batch.schema(), columns).map_err(arrow_error)
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

fn write_parquet(batch: &RecordBatch) -> Result<Bytes> {
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 2);
    let mut writer =
        ArrowWriter::try_new(&mut out, batch.schema(), Some(properties(&batch.schema())))
            .map_err(parquet_error)?;
    writer.write(batch).map_err(parquet_error)?;
    writer.close().map_err(parquet_error)?;
    Ok(Bytes::from(out))
}

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

    const T: i64 = 1_700_000_000_000_000_000;
    const DAY: i64 = 86_400_000_000_000;

    #[test]
    fn batches_with_different_columns_become_sorted_files_per_day() {
        let first = batch(&["b", "a"], &[T + 2, T + 1], false);
        let second = batch(&["a", "b"], &[T, T + DAY], true);
        let files = encode_table(&[first, second], &default_template()).unwrap();
        assert_eq!(files.len(), 2);
        let day1 = &files[0];
        assert_eq!(day1.partition_key, "2023-11-14");
        assert_eq!((day1.rows, day1.min_time, day1.max_time), (3, T, T + 2));
        let reader = ParquetRecordBatchReaderBuilder::try_new(day1.bytes.clone())
            .unwrap()
            .build()
            .unwrap();
        let read: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        let read = &read[0];
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
        assert_eq!(files[1].partition_key, "2023-11-15");
        assert_eq!(files[1].rows, 1);
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
        let sorted = sort(&batch).unwrap();
        assert_eq!(
            sorted.num_rows(),
            3,
            "the three writes of a@T are one point"
        );
        let usage = sorted.column(1).as_primitive::<Float64Type>();
        assert_eq!(usage.values().to_vec(), vec![2.0, 4.0, 1.0]);
        let idle = sorted.column(2).as_primitive::<Float64Type>();
        assert_eq!(
            (idle.is_null(0), idle.value(1), idle.is_null(2)),
            (true, 50.0, true)
        );
    }
}
