//! Series-level shaping of a sorted InfluxQL answer as it streams: `fill()` of the intervals
//! of a `GROUP BY time()` query that had no data, `LIMIT`/`OFFSET` per series, and
//! `SLIMIT`/`SOFFSET` over series. Rows arrive sorted by series, then time, so the answer is
//! shaped a series at a time: LIMIT and OFFSET pass rows through as they come; `fill()` holds
//! the series it is filling (accounted in the query's memory pool, so a series too large is
//! refused clearly), and the intervals it adds are bounded by `max_intervals`. Once SLIMIT
//! series are out, the rest of the answer is not read.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, RecordBatch, TimestampNanosecondArray, UInt32Array,
};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, concat_batches, is_not_null, partition, take};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use strata_influxql::{Fill, Number};
use strata_types::TIME_COLUMN;

use super::expr::TimeRange;
use super::integral::WindowedIntegrals;
use super::transform::{SeriesTransforms, Transforms};
use super::zone::Windows;
use super::{MEASUREMENT_COLUMN, SeriesLayout, invalid};

/// How to fill the intervals of a `GROUP BY time()` query.
#[derive(Debug, Clone)]
pub(super) struct FillSpec {
    /// The intervals, in UTC or the statement's zone.
    pub windows: Windows,
    /// The query's time range; its upper end is always set for interval queries.
    pub range: TimeRange,
    /// Never `Fill::None`, which needs no filling.
    pub fill: Fill,
    /// The columns of `count()`s, which InfluxDB fills with 0 where `fill` is null: an empty
    /// interval holds no points.
    pub counts: Vec<String>,
    pub max_intervals: i64,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Shaping {
    pub fill: Option<FillSpec>,
    pub limit: Option<usize>,
    pub offset: usize,
    pub slimit: Option<usize>,
    pub soffset: usize,
    /// `ORDER BY time DESC`.
    pub descending: bool,
    /// Applied to each series after `fill`, before LIMIT and OFFSET.
    pub transforms: Option<Arc<Transforms>>,
    /// `integral()`s by interval, computed from each series' points before `fill`.
    pub integrals: Option<Arc<WindowedIntegrals>>,
}

impl Shaping {
    fn is_noop(&self) -> bool {
        self.fill.is_none()
            && self.transforms.is_none()
            && self.integrals.is_none()
            && self.limit.is_none()
            && self.offset == 0
            && self.slimit.is_none()
            && self.soffset == 0
    }

    /// The rows of a series that LIMIT and OFFSET keep, by position in the series.
    fn window(&self) -> Range<usize> {
        let end = self
            .limit
            .map_or(usize::MAX, |l| self.offset.saturating_add(l));
        self.offset..end
    }

    /// Whether the series at `index` (0 for the first) is among those SLIMIT and SOFFSET keep.
    fn keeps_series(&self, index: usize) -> bool {
        index >= self.soffset && !self.past_last_series(index)
    }

    /// Whether the series at `index` comes after the last that SLIMIT keeps.
    fn past_last_series(&self, index: usize) -> bool {
        self.slimit
            .is_some_and(|slimit| index >= self.soffset.saturating_add(slimit))
    }
}

/// Applies `shaping` to `rows` (of `schema`), sorted by series, then time; `memory` holds
/// the series being filled.
pub(super) fn shape(
    schema: SchemaRef,
    rows: SendableRecordBatchStream,
    layout: &SeriesLayout,
    shaping: Shaping,
    memory: MemoryReservation,
) -> Result<SendableRecordBatchStream> {
    if shaping.is_noop() {
        return Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)));
    }
    let schema = if shaping.fill.is_some() {
        // Filled intervals have no value to show for `count` and the like either.
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    } else {
        schema
    };
    let key_names: Vec<String> = layout
        .has_measurement
        .then(|| MEASUREMENT_COLUMN.to_string())
        .into_iter()
        .chain(layout.tag_columns.iter().cloned())
        .collect();
    let keys = key_names
        .iter()
        .map(|name| schema.index_of(name))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| invalid("a series column is missing from the result"))?;
    let reduced_schema = match &shaping.integrals {
        Some(integrals) => integrals.output_schema(&schema),
        None => schema.clone(),
    };
    let output_schema = match &shaping.transforms {
        Some(transforms) => transforms.output_schema(&reduced_schema),
        None => reduced_schema.clone(),
    };
    let transforms = shaping
        .transforms
        .clone()
        .map(|t| SeriesTransforms::new(t, output_schema.clone()));
    let shaper = Shaper {
        rows,
        schema,
        reduced_schema,
        transforms,
        keys,
        key_names,
        shaping,
        series: None,
        held: Vec::new(),
        memory,
        done: false,
    };
    let shaped = futures::stream::unfold(
        (shaper, VecDeque::new()),
        |(mut shaper, mut ready)| async move {
            loop {
                if let Some(batch) = ready.pop_front() {
                    return Some((Ok(batch), (shaper, ready)));
                }
                if shaper.done {
                    return None;
                }
                let shaped = match shaper.rows.next().await {
                    Some(Ok(batch)) => shaper.push(batch),
                    Some(Err(e)) => Err(e),
                    None => {
                        shaper.done = true;
                        shaper.end_series()
                    }
                };
                match shaped {
                    Ok(batches) => ready.extend(batches),
                    Err(e) => {
                        shaper.done = true;
                        return Some((Err(e), (shaper, ready)));
                    }
                }
            }
        },
    );
    Ok(Box::pin(RecordBatchStreamAdapter::new(
        output_schema,
        shaped,
    )))
}

/// The series being read: its key, its place among the series, and its rows so far.
struct Series {
    key: Vec<ScalarValue>,
    index: usize,
    rows: usize,
}

struct Shaper {
    rows: SendableRecordBatchStream,
    /// The schema of the rows read (before transformations).
    schema: SchemaRef,
    /// The schema of a series' rows once its integrals are computed.
    reduced_schema: SchemaRef,
    transforms: Option<SeriesTransforms>,
    /// The columns naming a series (measurement and tags), by index and name.
    keys: Vec<usize>,
    key_names: Vec<String>,
    shaping: Shaping,
    series: Option<Series>,
    /// The rows of the series being filled.
    held: Vec<RecordBatch>,
    memory: MemoryReservation,
    /// Whether no more rows are to be read.
    done: bool,
}

impl Shaper {
    /// Takes a batch of rows; returns the shaped rows it completes.
    fn push(&mut self, batch: RecordBatch) -> Result<Vec<RecordBatch>> {
        let batch = batch.with_schema(self.schema.clone())?;
        let key_columns: Vec<ArrayRef> =
            self.keys.iter().map(|&i| batch.column(i).clone()).collect();
        let runs = if key_columns.is_empty() {
            // No series key: the whole answer is one series.
            std::iter::once(0..batch.num_rows()).collect()
        } else {
            partition(&key_columns)?.ranges()
        };
        let mut out = Vec::new();
        for run in runs {
            let key = key_columns
                .iter()
                .map(|c| ScalarValue::try_from_array(c, run.start))
                .collect::<Result<Vec<_>>>()?;
            if self.series.as_ref().is_none_or(|s| s.key != key) {
                out.extend(self.end_series()?);
                let index = self.series.as_ref().map_or(0, |s| s.index + 1);
                if self.shaping.past_last_series(index) {
                    // Nothing further is shown: the rest of the answer is not read.
                    self.done = true;
                    return Ok(out);
                }
                self.series = Some(Series {
                    key,
                    index,
                    rows: 0,
                });
                if let Some(transforms) = &mut self.transforms {
                    transforms.reset();
                }
            }
            let series = self.series.as_mut().expect("a series");
            if !self.shaping.keeps_series(series.index) {
                continue;
            }
            let rows = batch.slice(run.start, run.len());
            if self.shaping.fill.is_some() || self.shaping.integrals.is_some() {
                // A slice keeps its batch's buffers: counted by its share of them.
                let bytes = batch.get_array_memory_size() * run.len() / batch.num_rows().max(1);
                self.memory
                    .try_grow(bytes)
                    .map_err(|e| series_too_large(&e))?;
                self.held.push(rows);
                continue;
            }
            let rows = match &mut self.transforms {
                Some(transforms) => transforms.apply(&rows)?,
                None => rows,
            };
            let first = series.rows;
            series.rows += rows.num_rows();
            let window = self.shaping.window();
            let start = window.start.clamp(first, series.rows);
            let end = window.end.clamp(start, series.rows);
            if end > start {
                out.push(rows.slice(start - first, end - start));
            }
        }
        Ok(out)
    }

    /// Whether a series is held until it ends: to be integrated by interval, or filled.
    fn holds_series(&self) -> bool {
        self.shaping.fill.is_some() || self.shaping.integrals.is_some()
    }

    /// Completes the series being read, when it is held: integrated, filled, transformed and
    /// cut to LIMIT/OFFSET.
    fn end_series(&mut self) -> Result<Vec<RecordBatch>> {
        if self.held.is_empty() || !self.holds_series() {
            return Ok(Vec::new());
        }
        let mut rows = concat_batches(&self.schema, &std::mem::take(&mut self.held))?;
        let keys: Vec<&str> = self.key_names.iter().map(String::as_str).collect();
        if let Some(integrals) = &self.shaping.integrals {
            rows = integrals.reduce(&rows, &keys, &self.reduced_schema)?;
        }
        if let Some(spec) = &self.shaping.fill {
            rows = fill(&rows, spec, self.shaping.descending, &keys)?;
        }
        self.memory.free();
        if let Some(transforms) = &mut self.transforms {
            rows = transforms.apply(&rows)?;
        }
        let window = self.shaping.window();
        let start = window.start.min(rows.num_rows());
        let end = window.end.min(rows.num_rows());
        Ok((end > start)
            .then(|| rows.slice(start, end - start))
            .into_iter()
            .collect())
    }
}

fn series_too_large(error: &DataFusionError) -> DataFusionError {
    invalid(format!(
        "fill() holds one series at a time, and a series of this query needs more memory than a query may use ({error}); narrow its time range, GROUP BY more tags or raise --query-memory-limit"
    ))
}

/// One series with a row for every interval of the query's range. `keys` are the columns
/// naming the series (measurement and tags), the same on every row.
fn fill(
    series: &RecordBatch,
    spec: &FillSpec,
    descending: bool,
    keys: &[&str],
) -> Result<RecordBatch> {
    let schema = series.schema();
    let time_index = schema.index_of(TIME_COLUMN)?;
    let times = series
        .column(time_index)
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .ok_or_else(|| invalid("the time column is not a timestamp"))?;
    let first_row_time = (0..times.len()).map(|i| times.value(i)).min().unwrap_or(0);
    let windows = spec.windows;
    let start = windows.start(spec.range.min.unwrap_or(first_row_time));
    let end = windows.start(spec.range.max.unwrap_or(first_row_time));
    // Interval start times in output order, and the rows holding each (rows are sorted by
    // time in the same order; an interval may have several, as distinct() gives).
    let mut intervals: Vec<i64> = Vec::new();
    let mut t = start;
    while t <= end {
        if intervals.len() as i64 >= spec.max_intervals {
            return Err(invalid(format!(
                "GROUP BY time() over this time range makes more than the {} intervals per series allowed; narrow the time range (WHERE time >= … AND time <= …), use a larger interval or fill(none)",
                spec.max_intervals
            )));
        }
        intervals.push(t);
        let next = windows.next(t);
        if next <= t {
            break;
        }
        t = next;
    }
    if descending {
        intervals.reverse();
    }
    let mut grid: Vec<i64> = Vec::with_capacity(intervals.len());
    let mut rows: Vec<Option<u32>> = Vec::with_capacity(intervals.len());
    let mut next = 0usize;
    for &t in &intervals {
        while next < times.len() && before(times.value(next), t, descending) {
            next += 1;
        }
        let first = next;
        while next < times.len() && times.value(next) == t {
            grid.push(t);
            rows.push(Some(next as u32));
            next += 1;
        }
        if next == first {
            grid.push(t);
            rows.push(None);
        }
    }
    let picks = UInt32Array::from(rows);
    let key_rows = UInt32Array::from(vec![0u32; grid.len()]);
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let column = series.column(index);
        let name = field.name().as_str();
        let filled: ArrayRef = if index == time_index {
            let zone = match field.data_type() {
                DataType::Timestamp(_, Some(zone)) => zone.clone(),
                _ => "UTC".into(),
            };
            Arc::new(TimestampNanosecondArray::from(grid.clone()).with_timezone(zone))
        } else if keys.contains(&name) {
            take(column, &key_rows, None)?
        } else {
            let fill = match spec.fill {
                Fill::Null if spec.counts.iter().any(|c| c == name) => {
                    Fill::Value(Number::Integer(0))
                }
                fill => fill,
            };
            fill_values(&take(column, &picks, None)?, &grid, fill)?
        };
        columns.push(filled);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Whether `a` comes before `b` in output order.
fn before(a: i64, b: i64, descending: bool) -> bool {
    if descending { a > b } else { a < b }
}

/// The nulls of a value column filled as `fill` says.
fn fill_values(column: &ArrayRef, times: &[i64], fill: Fill) -> Result<ArrayRef> {
    if column.null_count() == 0 {
        return Ok(column.clone());
    }
    match fill {
        Fill::Null | Fill::None => Ok(column.clone()),
        Fill::Value(number) => {
            let numeric = matches!(
                column.data_type(),
                DataType::Float64 | DataType::Int64 | DataType::UInt64
            );
            if !numeric {
                return Ok(column.clone());
            }
            let value = match number {
                Number::Integer(i) => ScalarValue::Int64(Some(i)),
                Number::Float(f) => ScalarValue::Float64(Some(f)),
            };
            let value = value.cast_to(column.data_type())?;
            Ok(zip(&is_not_null(column)?, column, &value.to_scalar()?)?)
        }
        Fill::Previous => {
            let mut last: Option<u32> = None;
            let picks: UInt32Array = (0..column.len())
                .map(|i| {
                    if column.is_valid(i) {
                        last = Some(i as u32);
                    }
                    last
                })
                .collect();
            Ok(take(column, &picks, None)?)
        }
        Fill::Linear => {
            let numeric = matches!(
                column.data_type(),
                DataType::Float64 | DataType::Int64 | DataType::UInt64
            );
            if !numeric {
                return Ok(column.clone());
            }
            let floats = cast(column, &DataType::Float64)?;
            let floats = floats
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("cast to Float64");
            let known: Vec<usize> = (0..floats.len()).filter(|&i| floats.is_valid(i)).collect();
            let mut out: Vec<Option<f64>> = (0..floats.len())
                .map(|i| floats.is_valid(i).then(|| floats.value(i)))
                .collect();
            for pair in known.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let (va, vb) = (floats.value(a), floats.value(b));
                let (ta, tb) = (times[a] as f64, times[b] as f64);
                for (i, slot) in out.iter_mut().enumerate().take(b).skip(a + 1) {
                    let t = times[i] as f64;
                    let mut v = va + (vb - va) * (t - ta) / (tb - ta);
                    if column.data_type() != &DataType::Float64 {
                        v = v.trunc();
                    }
                    *slot = Some(v);
                }
            }
            let filled: ArrayRef = Arc::new(Float64Array::from(out));
            Ok(cast(&filled, column.data_type())?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    #[test]
    fn buckets_start_at_the_offset() {
        let windows = |offset| Windows {
            interval: 60,
            offset,
            zone: None,
        };
        assert_eq!(windows(0).start(125), 120);
        assert_eq!(windows(10).start(125), 70);
        assert_eq!(windows(0).start(-1), -60);
        assert_eq!(windows(0).start(60), 60);
        assert_eq!(windows(10).next(125), 130);
    }

    fn values(column: &ArrayRef) -> Vec<Option<i64>> {
        let column = cast(column, &DataType::Int64).unwrap();
        let column = column.as_any().downcast_ref::<Int64Array>().unwrap();
        (0..column.len())
            .map(|i| column.is_valid(i).then(|| column.value(i)))
            .collect()
    }

    #[test]
    fn fills_fill_nulls_as_influxql_does() {
        let column: ArrayRef = Arc::new(Int64Array::from(vec![
            None,
            Some(10),
            None,
            None,
            Some(40),
            None,
        ]));
        let times = [0, 1, 2, 3, 4, 5];
        assert_eq!(
            values(&fill_values(&column, &times, Fill::Null).unwrap()),
            vec![None, Some(10), None, None, Some(40), None]
        );
        assert_eq!(
            values(&fill_values(&column, &times, Fill::Value(Number::Integer(7))).unwrap()),
            vec![Some(7), Some(10), Some(7), Some(7), Some(40), Some(7)]
        );
        assert_eq!(
            values(&fill_values(&column, &times, Fill::Previous).unwrap()),
            vec![None, Some(10), Some(10), Some(10), Some(40), Some(40)]
        );
        assert_eq!(
            values(&fill_values(&column, &times, Fill::Linear).unwrap()),
            vec![None, Some(10), Some(20), Some(30), Some(40), None]
        );
    }
}
