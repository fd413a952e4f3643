//! Per-series statistics: for each series (a distinct set of tag values) of some rows, how many
//! rows it has and their time range, and for each field how many values it has, the smallest
//! and the largest, and the first and the last with their times.
//!
//! Every Parquet file has them in an object beside it (written with the file, Arrow IPC), and
//! buffered rows get them when a query first asks. Merged over all of a table's sources
//! ([`SeriesStats::merge`]) they are the table's series index (its series and tag values), its
//! last values, and the counts, minimums and maximums of its fields, so the queries that need
//! only those read no rows.
//!
//! A count (or minimum, maximum) is exact only when no point of the series is in the rows more
//! than once: a point written again replaces the values it names. Files hold each point once;
//! a buffered batch, or two sources whose time ranges overlap, may not, and such series are
//! marked [`SeriesStats::inexact`]. First and last values are exact either way: of copies of
//! one point, the latest write's value wins, as it does when rows are merged.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::sync::Arc;

use arrow::array::make_comparator;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray, UInt32Array,
    UInt64Array, new_null_array,
};
use arrow::compute::{SortOptions, cast, concat, take};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimestampNanosecondType};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use arrow::row::{RowConverter, Rows, SortField};
use bytes::Bytes;
use strata_types::{ColumnType, Error, Result, TIME_COLUMN};

use crate::columns::column_type_of;

/// The prefix of a tag column's name.
const TAG: &str = "tag:";
const ROWS: &str = "series:rows";
const MIN_TIME: &str = "series:min_time";
const MAX_TIME: &str = "series:max_time";
const INEXACT: &str = "series:inexact";

/// What is kept of each field, as `STAT:FIELD` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stat {
    Count,
    Min,
    Max,
    FirstTime,
    First,
    LastTime,
    Last,
}

impl Stat {
    const ALL: [Stat; 7] = [
        Stat::Count,
        Stat::Min,
        Stat::Max,
        Stat::FirstTime,
        Stat::First,
        Stat::LastTime,
        Stat::Last,
    ];

    fn prefix(self) -> &'static str {
        match self {
            Stat::Count => "count:",
            Stat::Min => "min:",
            Stat::Max => "max:",
            Stat::FirstTime => "first_time:",
            Stat::First => "first:",
            Stat::LastTime => "last_time:",
            Stat::Last => "last:",
        }
    }

    fn data_type(self, field: &DataType) -> DataType {
        match self {
            Stat::Count => DataType::UInt64,
            Stat::FirstTime | Stat::LastTime => DataType::Int64,
            _ => field.clone(),
        }
    }
}

/// One row per series, sorted by tag values (a missing tag first).
#[derive(Debug, Clone)]
pub struct SeriesStats {
    batch: RecordBatch,
    tags: Vec<String>,
    /// Each field's name, its column type and the index of its first stat column.
    fields: Vec<(String, ColumnType, usize)>,
}

/// One field's statistics, a value per series. Where the series has no value of the field,
/// `count` is 0 and the rest are null.
pub struct FieldStats<'a> {
    pub column_type: ColumnType,
    pub count: &'a UInt64Array,
    pub min: &'a ArrayRef,
    pub max: &'a ArrayRef,
    pub first_time: &'a Int64Array,
    pub first: &'a ArrayRef,
    pub last_time: &'a Int64Array,
    pub last: &'a ArrayRef,
}

impl SeriesStats {
    /// The statistics of `batch` (a table's rows in its Arrow layout, in any order; rows
    /// later in the batch were written later).
    pub fn of_rows(batch: &RecordBatch) -> Result<SeriesStats> {
        let schema = batch.schema();
        let mut tags: Vec<(String, ArrayRef)> = Vec::new();
        let mut fields: Vec<(String, ColumnType, ArrayRef)> = Vec::new();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            match column_type_of(field) {
                Some(ColumnType::Tag) => tags.push((field.name().clone(), column.clone())),
                Some(ColumnType::Time) | None => {}
                Some(field_type) => fields.push((field.name().clone(), field_type, column.clone())),
            }
        }
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        let rows = batch.num_rows();
        let times: &[i64] = match batch.column_by_name(TIME_COLUMN) {
            Some(column) => column.as_primitive::<TimestampNanosecondType>().values(),
            None if rows == 0 => &[],
            None => return Err(Error::internal("buffered rows without a time column")),
        };
        let tag_columns: Vec<ArrayRef> = tags.iter().map(|(_, c)| c.clone()).collect();
        let ids = SeriesIds::of(&tag_columns, rows)?;
        let series = ids.count;

        let mut count = vec![0u64; series];
        let mut min_time = vec![i64::MAX; series];
        let mut max_time = vec![i64::MIN; series];
        // Whether the series' rows so far came in increasing time order, which proves no point
        // is there twice; the others are checked by sorting their times.
        let mut increasing = vec![true; series];
        for (row, &s) in ids.of_row.iter().enumerate() {
            let (s, t) = (s as usize, times[row]);
            if count[s] > 0 && t <= max_time[s] {
                increasing[s] = false;
            }
            count[s] += 1;
            min_time[s] = min_time[s].min(t);
            max_time[s] = max_time[s].max(t);
        }
        let inexact = repeated_points(&ids.of_row, times, &increasing);

        let mut columns: Vec<(String, ArrayRef)> = Vec::new();
        for ((name, _), column) in tags.iter().zip(&tag_columns) {
            let first_rows = UInt32Array::from(ids.first_row.clone());
            let values = take(column.as_ref(), &first_rows, None).map_err(arrow_error)?;
            columns.push((
                format!("{TAG}{name}"),
                cast(&values, &DataType::Utf8).map_err(arrow_error)?,
            ));
        }
        columns.push((ROWS.into(), Arc::new(UInt64Array::from(count))));
        columns.push((MIN_TIME.into(), Arc::new(Int64Array::from(min_time))));
        columns.push((MAX_TIME.into(), Arc::new(Int64Array::from(max_time))));
        columns.push((INEXACT.into(), Arc::new(BooleanArray::from(inexact))));
        for (name, _, column) in &fields {
            columns.extend(field_stats(name, column, times, &ids)?);
        }
        SeriesStats::from_columns(columns)
    }

    /// [`SeriesStats::merge`] of sources given oldest first: later sources were written later.
    pub fn merge_in_write_order<S: Borrow<SeriesStats>>(sources: &[S]) -> Result<SeriesStats> {
        let ranked: Vec<(u64, &SeriesStats)> =
            (0u64..).zip(sources.iter().map(Borrow::borrow)).collect();
        SeriesStats::merge(&ranked)
    }

    /// Merges the statistics of several sources into one row per series. Sources come with
    /// their rank in write order: of copies of a point, the higher rank's values win.
    pub fn merge(sources: &[(u64, &SeriesStats)]) -> Result<SeriesStats> {
        match sources {
            [] => {
                return SeriesStats::from_columns(vec![
                    (ROWS.into(), Arc::new(UInt64Array::from(Vec::<u64>::new()))),
                    (
                        MIN_TIME.into(),
                        Arc::new(Int64Array::from(Vec::<i64>::new())),
                    ),
                    (
                        MAX_TIME.into(),
                        Arc::new(Int64Array::from(Vec::<i64>::new())),
                    ),
                    (
                        INEXACT.into(),
                        Arc::new(BooleanArray::from(Vec::<bool>::new())),
                    ),
                ]);
            }
            [(_, only)] => return Ok((*only).clone()),
            _ => {}
        }
        // The union of the sources' tags and fields.
        let mut tag_names: Vec<&str> = sources
            .iter()
            .flat_map(|(_, s)| s.tags.iter().map(String::as_str))
            .collect();
        tag_names.sort_unstable();
        tag_names.dedup();
        let mut field_types: BTreeMap<&str, DataType> = BTreeMap::new();
        for (_, stats) in sources {
            for (name, _, first) in &stats.fields {
                let min = stats.batch.column(first + 1);
                field_types.insert(name.as_str(), min.data_type().clone());
            }
        }

        // Every source's rows under the union's columns, one after another.
        let mut layout: Vec<(String, DataType)> = tag_names
            .iter()
            .map(|t| (format!("{TAG}{t}"), DataType::Utf8))
            .collect();
        layout.push((ROWS.into(), DataType::UInt64));
        layout.push((MIN_TIME.into(), DataType::Int64));
        layout.push((MAX_TIME.into(), DataType::Int64));
        layout.push((INEXACT.into(), DataType::Boolean));
        for (name, data_type) in &field_types {
            for stat in Stat::ALL {
                layout.push((
                    format!("{}{name}", stat.prefix()),
                    stat.data_type(data_type),
                ));
            }
        }
        let mut all: Vec<ArrayRef> = Vec::with_capacity(layout.len());
        for (name, data_type) in &layout {
            let parts: Vec<ArrayRef> = sources
                .iter()
                .map(|(_, s)| match s.batch.column_by_name(name) {
                    Some(column) => column.clone(),
                    None if name.starts_with(Stat::Count.prefix()) => {
                        Arc::new(UInt64Array::from(vec![0; s.batch.num_rows()]))
                    }
                    None => new_null_array(data_type, s.batch.num_rows()),
                })
                .collect();
            let parts: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
            all.push(concat(&parts).map_err(arrow_error)?);
        }
        let rank: Vec<u64> = sources
            .iter()
            .flat_map(|(rank, s)| std::iter::repeat_n(*rank, s.batch.num_rows()))
            .collect();
        let column = |name: &str| {
            let i = layout
                .iter()
                .position(|(n, _)| n == name)
                .expect("in the layout");
            &all[i]
        };

        // Rows of the same series next to each other, in rank order.
        let tags: Vec<ArrayRef> = (0..tag_names.len()).map(|i| all[i].clone()).collect();
        let keys = match tags.is_empty() {
            true => None,
            false => Some(tag_rows(&tags, rank.len())?),
        };
        let mut order: Vec<u32> = (0..rank.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            keys.as_ref()
                .map_or(Ordering::Equal, |k| k.row(a).cmp(&k.row(b)))
                .then(rank[a].cmp(&rank[b]))
        });
        let mut runs: Vec<&[u32]> = Vec::new();
        let mut start = 0;
        for end in 1..=order.len() {
            let same = |a: u32, b: u32| {
                keys.as_ref()
                    .is_none_or(|k| k.row(a as usize) == k.row(b as usize))
            };
            if end == order.len() || !same(order[start], order[end]) {
                runs.push(&order[start..end]);
                start = end;
            }
        }

        let rows = column(ROWS).as_primitive::<arrow::datatypes::UInt64Type>();
        let min_time = column(MIN_TIME).as_primitive::<arrow::datatypes::Int64Type>();
        let max_time = column(MAX_TIME).as_primitive::<arrow::datatypes::Int64Type>();
        let inexact = column(INEXACT).as_boolean();
        let first_rows = UInt32Array::from_iter_values(runs.iter().map(|run| run[0]));
        let mut columns: Vec<(String, ArrayRef)> = Vec::new();
        for (i, name) in tag_names.iter().enumerate() {
            let values = take(all[i].as_ref(), &first_rows, None).map_err(arrow_error)?;
            columns.push((format!("{TAG}{name}"), values));
        }
        let sum = |run: &[u32]| run.iter().map(|&r| rows.value(r as usize)).sum::<u64>();
        columns.push((
            ROWS.into(),
            Arc::new(UInt64Array::from_iter_values(runs.iter().map(|r| sum(r)))),
        ));
        columns.push((
            MIN_TIME.into(),
            Arc::new(Int64Array::from_iter_values(runs.iter().map(|run| {
                run.iter()
                    .map(|&r| min_time.value(r as usize))
                    .min()
                    .unwrap_or(i64::MAX)
            }))),
        ));
        columns.push((
            MAX_TIME.into(),
            Arc::new(Int64Array::from_iter_values(runs.iter().map(|run| {
                run.iter()
                    .map(|&r| max_time.value(r as usize))
                    .max()
                    .unwrap_or(i64::MIN)
            }))),
        ));
        let overlapping = |run: &[u32]| {
            let mut spans: Vec<(i64, i64)> = run
                .iter()
                .map(|&r| (min_time.value(r as usize), max_time.value(r as usize)))
                .collect();
            spans.sort_unstable();
            spans.windows(2).any(|w| w[1].0 <= w[0].1)
        };
        columns.push((
            INEXACT.into(),
            Arc::new(BooleanArray::from_iter(runs.iter().map(|run| {
                Some(run.iter().any(|&r| inexact.value(r as usize)) || overlapping(run))
            }))),
        ));
        for name in field_types.keys() {
            let stat = |s: Stat| column(&format!("{}{name}", s.prefix()));
            let count = stat(Stat::Count).as_primitive::<arrow::datatypes::UInt64Type>();
            columns.push((
                format!("{}{name}", Stat::Count.prefix()),
                Arc::new(UInt64Array::from_iter_values(runs.iter().map(|run| {
                    run.iter().map(|&r| count.value(r as usize)).sum::<u64>()
                }))),
            ));
            let present = |r: u32| count.value(r as usize) > 0;
            for (kind, ordering) in [(Stat::Min, Ordering::Less), (Stat::Max, Ordering::Greater)] {
                let values = stat(kind);
                let compare =
                    make_comparator(values.as_ref(), values.as_ref(), SortOptions::default())
                        .map_err(arrow_error)?;
                let best = runs.iter().map(|run| {
                    run.iter()
                        .copied()
                        .filter(|&r| present(r))
                        .reduce(|best, r| {
                            if compare(r as usize, best as usize) == ordering {
                                r
                            } else {
                                best
                            }
                        })
                });
                let winners = UInt32Array::from_iter(best);
                columns.push((
                    format!("{}{name}", kind.prefix()),
                    take(values.as_ref(), &winners, None).map_err(arrow_error)?,
                ));
            }
            for (time_stat, value_stat, later) in [
                (Stat::FirstTime, Stat::First, false),
                (Stat::LastTime, Stat::Last, true),
            ] {
                let times = stat(time_stat).as_primitive::<arrow::datatypes::Int64Type>();
                // Runs are in rank order, so on a tie the later source wins.
                let best = runs.iter().map(|run| {
                    run.iter()
                        .copied()
                        .filter(|&r| present(r))
                        .reduce(|best, r| {
                            let (t, b) = (times.value(r as usize), times.value(best as usize));
                            if t == b || (t > b) == later { r } else { best }
                        })
                });
                let winners = UInt32Array::from_iter(best);
                columns.push((
                    format!("{}{name}", time_stat.prefix()),
                    take(times, &winners, None).map_err(arrow_error)?,
                ));
                columns.push((
                    format!("{}{name}", value_stat.prefix()),
                    take(stat(value_stat).as_ref(), &winners, None).map_err(arrow_error)?,
                ));
            }
        }
        SeriesStats::from_columns(columns)
    }

    /// The same statistics, every series exact: for sources known to share no point.
    pub(crate) fn exact(&self) -> Result<SeriesStats> {
        let index = self
            .batch
            .schema()
            .index_of(INEXACT)
            .expect("checked when built");
        let mut columns = self.batch.columns().to_vec();
        columns[index] = Arc::new(BooleanArray::from(vec![false; self.series()]));
        let batch = RecordBatch::try_new(self.batch.schema(), columns).map_err(arrow_error)?;
        Ok(SeriesStats {
            batch,
            ..self.clone()
        })
    }

    fn from_columns(columns: Vec<(String, ArrayRef)>) -> Result<SeriesStats> {
        let schema: SchemaRef = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, array)| Field::new(name, array.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new(schema, arrays).map_err(arrow_error)?;
        SeriesStats::from_batch(batch)
    }

    /// Reads the layout of a batch of statistics.
    fn from_batch(batch: RecordBatch) -> Result<SeriesStats> {
        let mut tags = Vec::new();
        let mut fields = Vec::new();
        let schema = batch.schema();
        for required in [ROWS, MIN_TIME, MAX_TIME, INEXACT] {
            if schema.index_of(required).is_err() {
                return Err(Error::internal(format!(
                    "series statistics without a {required} column"
                )));
            }
        }
        for (i, field) in schema.fields().iter().enumerate() {
            let name = field.name();
            if let Some(tag) = name.strip_prefix(TAG) {
                tags.push(tag.to_string());
            } else if let Some(field_name) = name.strip_prefix(Stat::Count.prefix()) {
                let stats: Vec<&str> = Stat::ALL
                    .iter()
                    .enumerate()
                    .filter_map(|(k, stat)| {
                        let column = schema.fields().get(i + k)?;
                        let expected = format!("{}{field_name}", stat.prefix());
                        (*column.name() == expected).then_some(column.name().as_str())
                    })
                    .collect();
                let column_type = (stats.len() == Stat::ALL.len())
                    .then(|| field_type(schema.field(i + 1).data_type()))
                    .flatten()
                    .ok_or_else(|| {
                        Error::internal(format!(
                            "series statistics of field {field_name:?} are incomplete"
                        ))
                    })?;
                fields.push((field_name.to_string(), column_type, i));
            }
        }
        Ok(SeriesStats {
            batch,
            tags,
            fields,
        })
    }

    /// How many series there are.
    pub fn series(&self) -> usize {
        self.batch.num_rows()
    }

    /// The tag names, sorted.
    pub fn tag_names(&self) -> &[String] {
        &self.tags
    }

    /// A tag's value in each series (null where the series does not have the tag).
    pub fn tag(&self, name: &str) -> Option<&StringArray> {
        self.batch
            .column_by_name(&format!("{TAG}{name}"))
            .map(|c| c.as_string::<i32>())
    }

    /// Each series' number of rows.
    pub fn rows(&self) -> &UInt64Array {
        self.u64_column(ROWS)
    }

    /// Each series' earliest time, in nanoseconds.
    pub fn min_time(&self) -> &Int64Array {
        self.i64_column(MIN_TIME)
    }

    /// Each series' latest time, in nanoseconds.
    pub fn max_time(&self) -> &Int64Array {
        self.i64_column(MAX_TIME)
    }

    /// Whether a point of the series may be counted more than once, so that its rows and its
    /// fields' counts, minimums and maximums are not exact.
    pub fn inexact(&self) -> &BooleanArray {
        self.batch
            .column_by_name(INEXACT)
            .expect("checked when built")
            .as_boolean()
    }

    /// Whether a series may repeat a point across `self` and `other`: it is in both with time
    /// ranges that meet (or was inexact in one already). Two sources can share a point only
    /// then.
    pub(crate) fn series_overlap(&self, other: &SeriesStats) -> Result<bool> {
        Ok(SeriesStats::merge(&[(0, self), (1, other)])?
            .inexact()
            .true_count()
            > 0)
    }

    /// The names of the fields, sorted.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(name, _, _)| name.as_str())
    }

    /// A field's statistics, if any series has the field's column.
    pub fn field(&self, name: &str) -> Option<FieldStats<'_>> {
        let (_, column_type, first) = self.fields.iter().find(|(n, _, _)| n == name)?;
        let column = |k: usize| self.batch.column(first + k);
        Some(FieldStats {
            column_type: *column_type,
            count: column(0).as_primitive(),
            min: column(1),
            max: column(2),
            first_time: column(3).as_primitive(),
            first: column(4),
            last_time: column(5).as_primitive(),
            last: column(6),
        })
    }

    fn u64_column(&self, name: &str) -> &UInt64Array {
        self.batch
            .column_by_name(name)
            .expect("checked when built")
            .as_primitive()
    }

    fn i64_column(&self, name: &str) -> &Int64Array {
        self.batch
            .column_by_name(name)
            .expect("checked when built")
            .as_primitive()
    }

    /// Memory held, in bytes: each allocation once, though statistics read from their stored
    /// form have every column in one buffer.
    pub fn memory_size(&self) -> usize {
        crate::memory::batch_bytes(&self.batch)
    }

    /// The stored form: an Arrow IPC file of one batch.
    pub fn to_ipc(&self) -> Result<Bytes> {
        let mut out = Vec::new();
        let mut writer =
            FileWriter::try_new(&mut out, &self.batch.schema()).map_err(arrow_error)?;
        writer.write(&self.batch).map_err(arrow_error)?;
        writer.finish().map_err(arrow_error)?;
        drop(writer);
        Ok(Bytes::from(out))
    }

    /// Reads the stored form back.
    pub fn from_ipc(bytes: Bytes) -> Result<SeriesStats> {
        let corrupt = |e: arrow::error::ArrowError| {
            Error::internal(format!("series statistics cannot be read: {e}"))
        };
        let reader = FileReader::try_new(Cursor::new(bytes), None).map_err(corrupt)?;
        let schema = reader.schema();
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(corrupt)?;
        let batch = arrow::compute::concat_batches(&schema, &batches).map_err(corrupt)?;
        SeriesStats::from_batch(batch)
    }
}

/// The column type of a field whose values have this Arrow type.
fn field_type(data_type: &DataType) -> Option<ColumnType> {
    Some(match data_type {
        DataType::Float64 => ColumnType::Float,
        DataType::Int64 => ColumnType::Integer,
        DataType::UInt64 => ColumnType::UInteger,
        DataType::Utf8 => ColumnType::String,
        DataType::Boolean => ColumnType::Boolean,
        _ => return None,
    })
}

/// The series of each row of a batch: numbered in the order of their tag values.
pub(crate) struct SeriesIds {
    /// Each row's series.
    pub of_row: Vec<u32>,
    /// Each series' first row.
    pub first_row: Vec<u32>,
    pub count: usize,
}

impl SeriesIds {
    /// The series of `rows` rows with these tag columns, numbered in the order of their tag
    /// values (column by column, a missing value first). A table has far fewer series than
    /// rows, so values are compared once per distinct value: each dictionary-encoded column's
    /// values are ranked, and the ranks are combined column by column.
    pub(crate) fn of(tags: &[ArrayRef], rows: usize) -> Result<SeriesIds> {
        let mut series = Ranks {
            of_row: vec![0; rows],
            count: 1,
        };
        for column in tags {
            let Some(ranks) = value_ranks(column) else {
                return SeriesIds::of_encoded_rows(tags, rows);
            };
            series = combine_ranks(&series, &ranks);
        }
        let mut first_row = vec![u32::MAX; series.count as usize];
        for (row, &id) in series.of_row.iter().enumerate().rev() {
            first_row[id as usize] = row as u32;
        }
        Ok(SeriesIds {
            of_row: series.of_row,
            first_row,
            count: series.count as usize,
        })
    }

    /// [`SeriesIds::of`] for tag columns of any type: each row's tags are encoded in Arrow's
    /// byte-comparable row format, and distinct encodings are numbered in sorted order.
    fn of_encoded_rows(tags: &[ArrayRef], rows: usize) -> Result<SeriesIds> {
        let encoded = tag_rows(tags, rows)?;
        let mut ids: HashMap<&[u8], u32> = HashMap::new();
        let mut of_row: Vec<u32> = Vec::with_capacity(rows);
        let mut first_row: Vec<u32> = Vec::new();
        for (row, encoded) in encoded.iter().enumerate() {
            let next = ids.len() as u32;
            let id = *ids.entry(encoded.data()).or_insert(next);
            if id == next {
                first_row.push(row as u32);
            }
            of_row.push(id);
        }
        let mut distinct: Vec<(&[u8], u32)> = ids.into_iter().collect();
        distinct.sort_unstable();
        let mut rank = vec![0u32; distinct.len()];
        for (position, (_, id)) in distinct.iter().enumerate() {
            rank[*id as usize] = position as u32;
        }
        let mut first_by_rank = vec![0u32; distinct.len()];
        for (id, row) in first_row.iter().enumerate() {
            first_by_rank[rank[id] as usize] = *row;
        }
        Ok(SeriesIds {
            of_row: of_row.iter().map(|id| rank[*id as usize]).collect(),
            first_row: first_by_rank,
            count: distinct.len(),
        })
    }
}

/// Whether no point (series and time) is in more than one of the batch's rows; `false` when
/// that cannot be told cheaply. Run on every write, so series are told apart by their tag
/// dictionaries' keys, not by sorting values: each dictionary must hold each value once (as
/// ingest builds them), which is checked.
pub(crate) fn points_unique(batch: &RecordBatch) -> bool {
    let rows = batch.num_rows();
    // Each row's series as one number: its keys, a digit each, in mixed radix.
    let mut series = vec![0u64; rows];
    let mut radix = 1u64;
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if column_type_of(field) != Some(ColumnType::Tag) {
            continue;
        }
        let Some(dictionary) = column.as_dictionary_opt::<arrow::datatypes::Int32Type>() else {
            return false;
        };
        let Some(values) = dictionary.values().as_string_opt::<i32>() else {
            return false;
        };
        let mut seen = std::collections::HashSet::with_capacity(values.len());
        if !values.iter().all(|value| seen.insert(value)) {
            return false;
        }
        // A missing tag is a digit of its own.
        let digits = values.len() as u64 + 1;
        let Some(next) = radix.checked_mul(digits) else {
            return false;
        };
        let keys = dictionary.keys();
        for (row, id) in series.iter_mut().enumerate() {
            let digit = match keys.is_valid(row) {
                true => keys.value(row) as u64 + 1,
                false => 0,
            };
            *id += digit * radix;
        }
        radix = next;
    }
    let Some(times) = batch.column_by_name(TIME_COLUMN) else {
        return false;
    };
    let times = times.as_primitive::<TimestampNanosecondType>().values();
    let mut points: Vec<(u64, i64)> = series.into_iter().zip(times.iter().copied()).collect();
    points.sort_unstable();
    points.windows(2).all(|w| w[0] != w[1])
}

/// Each row's rank among some distinct values (or combinations of values), and how many
/// ranks there are.
struct Ranks {
    of_row: Vec<u32>,
    count: u32,
}

/// Each row's rank among a dictionary-encoded string column's distinct values, a missing
/// value (rank 0) before every value; `None` for a column of another type.
fn value_ranks(column: &ArrayRef) -> Option<Ranks> {
    let dictionary = column.as_dictionary_opt::<arrow::datatypes::Int32Type>()?;
    let values = dictionary.values().as_string_opt::<i32>()?;
    let keys = dictionary.keys();
    // Only the values rows use are ranked: a slice of rows may share a large dictionary.
    let mut used = vec![false; values.len()];
    for row in 0..keys.len() {
        if keys.is_valid(row)
            && let Some(used) = used.get_mut(keys.value(row) as usize)
        {
            *used = true;
        }
    }
    let mut order: Vec<u32> = (0..values.len() as u32)
        .filter(|&i| used[i as usize] && values.is_valid(i as usize))
        .collect();
    order.sort_unstable_by_key(|&i| values.value(i as usize));
    // Equal values (a dictionary may repeat one) share a rank.
    let mut rank_of_key = vec![0u32; values.len()];
    let mut rank = 0;
    let mut previous: Option<&str> = None;
    for &i in &order {
        let value = values.value(i as usize);
        if previous != Some(value) {
            rank += 1;
            previous = Some(value);
        }
        rank_of_key[i as usize] = rank;
    }
    let of_row = (0..keys.len())
        .map(|row| match keys.is_valid(row) {
            true => rank_of_key
                .get(keys.value(row) as usize)
                .copied()
                .unwrap_or(0),
            false => 0,
        })
        .collect();
    Some(Ranks {
        of_row,
        count: rank + 1,
    })
}

/// Ranks of each row's pair (its rank in `left`, its rank in `right`), in the pairs' order:
/// the ranks of rows by several columns, one column at a time. Only the pairs that occur get
/// a rank.
fn combine_ranks(left: &Ranks, right: &Ranks) -> Ranks {
    let pair = |row: usize| {
        u64::from(left.of_row[row]) * u64::from(right.count) + u64::from(right.of_row[row])
    };
    let rows = left.of_row.len();
    let pairs = u64::from(left.count) * u64::from(right.count);
    // A table indexed by pair when it is no larger than a few times the rows, else a map.
    let rank_of_pair: Box<dyn Fn(u64) -> u32> = if pairs <= (4 * rows as u64).max(1 << 16) {
        let mut seen = vec![false; pairs as usize];
        (0..rows).for_each(|row| seen[pair(row) as usize] = true);
        let mut rank = 0u32;
        let table: Vec<u32> = seen
            .iter()
            .map(|&seen| {
                rank += u32::from(seen);
                rank.wrapping_sub(1)
            })
            .collect();
        Box::new(move |p| table[p as usize])
    } else {
        let mut distinct: Vec<u64> = (0..rows).map(pair).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let ranks: HashMap<u64, u32> = distinct
            .iter()
            .enumerate()
            .map(|(rank, &p)| (p, rank as u32))
            .collect();
        Box::new(move |p| ranks[&p])
    };
    let of_row: Vec<u32> = (0..rows).map(|row| rank_of_pair(pair(row))).collect();
    let count = of_row.iter().max().map_or(0, |m| m + 1);
    Ranks { of_row, count }
}

/// Tag values in Arrow's row format (a missing tag sorts first).
fn tag_rows(tags: &[ArrayRef], rows: usize) -> Result<Rows> {
    let fields = tags
        .iter()
        .map(|t| {
            SortField::new_with_options(
                t.data_type().clone(),
                SortOptions {
                    descending: false,
                    nulls_first: true,
                },
            )
        })
        .collect();
    let converter = RowConverter::new(fields).map_err(arrow_error)?;
    let encoded = converter.convert_columns(tags).map_err(arrow_error)?;
    debug_assert_eq!(encoded.num_rows(), rows);
    Ok(encoded)
}

/// Which series hold a point more than once; only those whose rows did not come in
/// increasing time order can.
fn repeated_points(series: &[u32], times: &[i64], increasing: &[bool]) -> Vec<bool> {
    let mut repeated = vec![false; increasing.len()];
    if increasing.iter().all(|i| *i) {
        return repeated;
    }
    let mut by_series: HashMap<u32, Vec<i64>> = HashMap::new();
    for (row, &s) in series.iter().enumerate() {
        if !increasing[s as usize] {
            by_series.entry(s).or_default().push(times[row]);
        }
    }
    for (s, mut times) in by_series {
        times.sort_unstable();
        repeated[s as usize] = times.windows(2).any(|w| w[0] == w[1]);
    }
    repeated
}

/// The `STAT:FIELD` columns of one field of a batch.
fn field_stats(
    name: &str,
    column: &ArrayRef,
    times: &[i64],
    ids: &SeriesIds,
) -> Result<Vec<(String, ArrayRef)>> {
    let series = ids.count;
    let mut count = vec![0u64; series];
    let mut min: Vec<Option<u32>> = vec![None; series];
    let mut max: Vec<Option<u32>> = vec![None; series];
    let mut first: Vec<Option<u32>> = vec![None; series];
    let mut last: Vec<Option<u32>> = vec![None; series];
    let compare = make_comparator(column.as_ref(), column.as_ref(), SortOptions::default())
        .map_err(arrow_error)?;
    for (row, &s) in ids.of_row.iter().enumerate() {
        if column.is_null(row) {
            continue;
        }
        let (s, r) = (s as usize, row as u32);
        count[s] += 1;
        let better = |best: Option<u32>, wanted: Ordering| match best {
            None => Some(r),
            Some(b) if compare(row, b as usize) == wanted => Some(r),
            keep => keep,
        };
        min[s] = better(min[s], Ordering::Less);
        max[s] = better(max[s], Ordering::Greater);
        let t = times[row];
        // Of two rows of one point, the later one was written later and wins.
        first[s] = match first[s] {
            Some(b) if times[b as usize] < t => Some(b),
            _ => Some(r),
        };
        last[s] = match last[s] {
            Some(b) if times[b as usize] > t => Some(b),
            _ => Some(r),
        };
    }
    let gather = |rows: &[Option<u32>]| -> Result<ArrayRef> {
        let indices = UInt32Array::from(rows.to_vec());
        take(column.as_ref(), &indices, None).map_err(arrow_error)
    };
    let time_of = |rows: &[Option<u32>]| -> ArrayRef {
        Arc::new(Int64Array::from_iter(
            rows.iter().map(|r| r.map(|r| times[r as usize])),
        ))
    };
    let named = |stat: Stat| format!("{}{name}", stat.prefix());
    Ok(vec![
        (named(Stat::Count), Arc::new(UInt64Array::from(count))),
        (named(Stat::Min), gather(&min)?),
        (named(Stat::Max), gather(&max)?),
        (named(Stat::FirstTime), time_of(&first)),
        (named(Stat::First), gather(&first)?),
        (named(Stat::LastTime), time_of(&last)),
        (named(Stat::Last), gather(&last)?),
    ])
}

fn arrow_error(e: arrow::error::ArrowError) -> Error {
    Error::internal(format!("computing series statistics failed: {e}"))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, StringDictionaryBuilder, TimestampNanosecondArray};
    use arrow::datatypes::{Float64Type, Int32Type};

    use super::*;
    use crate::columns::arrow_field;

    /// A `cpu` batch of (host, time, usage) rows, in the order given.
    fn cpu(rows: &[(Option<&str>, i64, Option<f64>)]) -> RecordBatch {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        rows.iter().for_each(|r| host.append_option(r.0));
        let schema = Arc::new(Schema::new(vec![
            arrow_field("host", ColumnType::Tag),
            arrow_field("time", ColumnType::Time),
            arrow_field("usage", ColumnType::Float),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(host.finish()),
            Arc::new(
                TimestampNanosecondArray::from_iter_values(rows.iter().map(|r| r.1))
                    .with_timezone("UTC"),
            ),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.2))),
        ];
        RecordBatch::try_new(schema, columns).unwrap()
    }

    fn hosts(stats: &SeriesStats) -> Vec<Option<&str>> {
        stats.tag("host").unwrap().iter().collect()
    }

    fn floats(array: &ArrayRef) -> Vec<Option<f64>> {
        array.as_primitive::<Float64Type>().iter().collect()
    }

    /// A dictionary column whose dictionary repeats a value, holds one no row uses, and a
    /// null, as dictionaries concatenated from several batches may.
    fn tag_column(rows: &[Option<u8>]) -> ArrayRef {
        let values = StringArray::from(vec![
            Some("b"),
            Some("a"),
            None,
            Some("b"),
            Some("c"),
            Some("unused"),
        ]);
        let keys = arrow::array::Int32Array::from_iter(rows.iter().map(|r| r.map(i32::from)));
        Arc::new(
            arrow::array::DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap(),
        )
    }

    #[test]
    fn sources_overlap_only_where_one_series_has_times_that_meet_in_both() {
        let stats =
            |rows: &[(Option<&str>, i64, Option<f64>)]| SeriesStats::of_rows(&cpu(rows)).unwrap();
        // As a compaction's outputs are: the same time range, other series.
        let a = stats(&[(Some("a"), 1, None), (Some("a"), 9, None)]);
        let b = stats(&[(Some("b"), 1, None), (Some("b"), 9, None), (None, 5, None)]);
        assert!(!a.series_overlap(&b).unwrap());
        assert!(!b.series_overlap(&a).unwrap());
        let later_a = stats(&[(Some("a"), 10, None), (Some("b"), 3, None)]);
        assert!(
            !a.series_overlap(&later_a).unwrap(),
            "a's times do not meet"
        );
        assert!(
            b.series_overlap(&later_a).unwrap(),
            "b at 3 is within b's 1..9"
        );
        let edge = stats(&[(Some("a"), 9, None)]);
        assert!(a.series_overlap(&edge).unwrap(), "both ends are included");
        let untagged = stats(&[(None, 5, None)]);
        assert!(
            b.series_overlap(&untagged).unwrap(),
            "the series without tags is one series"
        );
        assert!(!a.series_overlap(&untagged).unwrap());
    }

    #[test]
    fn series_numbered_from_dictionary_ranks_match_the_row_format_numbering() {
        // Three columns of keys drawn from a fixed pseudo-random sequence, some rows null.
        let mut state = 7u32;
        let mut next = |rows: usize| -> Vec<Option<u8>> {
            (0..rows)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    let k = (state >> 16) % 6;
                    (k != 5).then_some(k as u8)
                })
                .collect()
        };
        for rows in [0, 1, 7, 500] {
            let tags: Vec<ArrayRef> = (0..3).map(|_| tag_column(&next(rows))).collect();
            let by_ranks = SeriesIds::of(&tags, rows).unwrap();
            let by_rows = SeriesIds::of_encoded_rows(&tags, rows).unwrap();
            assert_eq!(by_ranks.of_row, by_rows.of_row, "{rows} rows");
            assert_eq!(by_ranks.first_row, by_rows.first_row, "{rows} rows");
            assert_eq!(by_ranks.count, by_rows.count, "{rows} rows");
        }
    }

    #[test]
    fn a_batch_holds_its_points_once_unless_a_series_repeats_a_time() {
        let batch = |host: ArrayRef, times: Vec<i64>| {
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![
                    crate::columns::arrow_field("host", ColumnType::Tag),
                    crate::columns::arrow_field("time", ColumnType::Time),
                ])),
                vec![
                    host,
                    Arc::new(
                        arrow::array::TimestampNanosecondArray::from(times).with_timezone("UTC"),
                    ),
                ],
            )
            .unwrap()
        };
        // As ingest builds them: each value once in the dictionary.
        let built = |hosts: &[Option<&str>]| -> ArrayRef {
            Arc::new(
                hosts
                    .iter()
                    .copied()
                    .collect::<arrow::array::DictionaryArray<Int32Type>>(),
            )
        };
        let (a, b) = (Some("a"), Some("b"));
        assert!(
            points_unique(&batch(built(&[a, b, None]), vec![5, 5, 5])),
            "a series a row"
        );
        assert!(
            points_unique(&batch(built(&[a, b, a]), vec![5, 5, 6])),
            "one series, two times"
        );
        assert!(!points_unique(&batch(built(&[a, b, a]), vec![5, 6, 5])));
        assert!(!points_unique(&batch(
            built(&[None, b, None]),
            vec![5, 6, 5]
        )));
        // A dictionary that repeats a value cannot be told apart by keys: not known unique.
        assert!(!points_unique(&batch(
            tag_column(&[Some(0), Some(1)]),
            vec![5, 5]
        )));
    }

    #[test]
    fn ranks_of_many_possible_pairs_are_combined_through_a_map() {
        let left = Ranks {
            of_row: vec![900_000, 3, 900_000, 3],
            count: 1 << 20,
        };
        let right = Ranks {
            of_row: vec![5, 800_000, 4, 800_000],
            count: 1 << 20,
        };
        let combined = combine_ranks(&left, &right);
        assert_eq!((combined.of_row, combined.count), (vec![2, 0, 1, 0], 3));
    }

    #[test]
    fn each_series_gets_its_rows_times_and_field_values() {
        let stats = SeriesStats::of_rows(&cpu(&[
            (Some("b"), 20, Some(2.0)),
            (Some("a"), 30, None),
            (Some("a"), 10, Some(5.0)),
            (None, 5, Some(1.0)),
            (Some("a"), 20, Some(3.0)),
        ]))
        .unwrap();
        assert_eq!(
            hosts(&stats),
            [None, Some("a"), Some("b")],
            "sorted, missing first"
        );
        assert_eq!(stats.rows().values(), &[1, 3, 1]);
        assert_eq!(stats.min_time().values(), &[5, 10, 20]);
        assert_eq!(stats.max_time().values(), &[5, 30, 20]);
        assert!(stats.inexact().iter().all(|i| i == Some(false)));
        let usage = stats.field("usage").unwrap();
        assert_eq!(usage.column_type, ColumnType::Float);
        assert_eq!(
            usage.count.values(),
            &[1, 2, 1],
            "a's row at 30 has no usage"
        );
        assert_eq!(floats(usage.min), [Some(1.0), Some(3.0), Some(2.0)]);
        assert_eq!(floats(usage.max), [Some(1.0), Some(5.0), Some(2.0)]);
        assert_eq!(floats(usage.first), [Some(1.0), Some(5.0), Some(2.0)]);
        assert_eq!(usage.first_time.values(), &[5, 10, 20]);
        assert_eq!(floats(usage.last), [Some(1.0), Some(3.0), Some(2.0)]);
        assert_eq!(usage.last_time.values(), &[5, 20, 20]);
    }

    #[test]
    fn a_point_written_twice_in_one_batch_makes_its_series_inexact_and_the_later_value_wins() {
        let stats = SeriesStats::of_rows(&cpu(&[
            (Some("a"), 10, Some(1.0)),
            (Some("b"), 10, Some(1.0)),
            (Some("b"), 5, Some(1.0)),
            (Some("a"), 10, Some(4.0)),
        ]))
        .unwrap();
        assert_eq!(
            stats.inexact().iter().collect::<Vec<_>>(),
            [Some(true), Some(false)],
            "b came out of order but holds each point once"
        );
        let usage = stats.field("usage").unwrap();
        assert_eq!(floats(usage.last), [Some(4.0), Some(1.0)]);
        assert_eq!(floats(usage.first), [Some(4.0), Some(1.0)]);
    }

    #[test]
    fn merging_adds_counts_flags_overlaps_and_lets_the_later_source_win_a_tie() {
        let older = SeriesStats::of_rows(&cpu(&[
            (Some("a"), 10, Some(1.0)),
            (Some("a"), 20, Some(2.0)),
            (Some("b"), 10, Some(7.0)),
        ]))
        .unwrap();
        let newer = SeriesStats::of_rows(&cpu(&[
            (Some("a"), 20, Some(9.0)),
            (Some("b"), 30, None),
            (Some("c"), 30, Some(3.0)),
        ]))
        .unwrap();
        let merged = SeriesStats::merge(&[(1, &newer), (0, &older)]).unwrap();
        assert_eq!(hosts(&merged), [Some("a"), Some("b"), Some("c")]);
        assert_eq!(merged.rows().values(), &[3, 2, 1]);
        assert_eq!(
            merged.inexact().iter().collect::<Vec<_>>(),
            [Some(true), Some(false), Some(false)],
            "a's sources overlap at 20"
        );
        assert_eq!(merged.min_time().values(), &[10, 10, 30]);
        assert_eq!(merged.max_time().values(), &[20, 30, 30]);
        let usage = merged.field("usage").unwrap();
        assert_eq!(usage.count.values(), &[3, 1, 1]);
        assert_eq!(floats(usage.last), [Some(9.0), Some(7.0), Some(3.0)]);
        assert_eq!(usage.last_time.values(), &[20, 10, 30]);
        assert_eq!(floats(usage.max), [Some(9.0), Some(7.0), Some(3.0)]);
        assert_eq!(floats(usage.first), [Some(1.0), Some(7.0), Some(3.0)]);
    }

    #[test]
    fn merging_unions_tags_and_fields_of_sources_with_different_columns() {
        let with_host = SeriesStats::of_rows(&cpu(&[(Some("a"), 10, Some(1.0))])).unwrap();
        let schema = Arc::new(Schema::new(vec![
            arrow_field("time", ColumnType::Time),
            arrow_field("up", ColumnType::Boolean),
        ]));
        let without = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(TimestampNanosecondArray::from(vec![5]).with_timezone("UTC")),
                Arc::new(BooleanArray::from(vec![true])),
            ],
        )
        .unwrap();
        let without = SeriesStats::of_rows(&without).unwrap();
        let merged = SeriesStats::merge(&[(0, &with_host), (1, &without)]).unwrap();
        assert_eq!(hosts(&merged), [None, Some("a")]);
        assert_eq!(merged.field_names().collect::<Vec<_>>(), ["up", "usage"]);
        assert_eq!(merged.field("up").unwrap().count.values(), &[1, 0]);
        assert_eq!(merged.field("usage").unwrap().count.values(), &[0, 1]);
        assert_eq!(merged.field("up").unwrap().column_type, ColumnType::Boolean);
    }

    #[test]
    fn the_stored_form_reads_back_the_same() {
        let stats =
            SeriesStats::of_rows(&cpu(&[(Some("a"), 10, Some(1.0)), (None, 20, None)])).unwrap();
        let read = SeriesStats::from_ipc(stats.to_ipc().unwrap()).unwrap();
        assert_eq!(read.batch, stats.batch);
        assert_eq!(read.tag_names(), ["host"]);
        assert!(SeriesStats::from_ipc(Bytes::from_static(b"not arrow")).is_err());
        let empty = SeriesStats::merge(&[]).unwrap();
        assert_eq!(empty.series(), 0);
        assert_eq!(SeriesStats::of_rows(&cpu(&[])).unwrap().series(), 0);
    }
}
