//! Series-level shaping of a sorted InfluxQL answer: `fill()` of the intervals of a
//! `GROUP BY time()` query that had no data, `LIMIT`/`OFFSET` per series, and
//! `SLIMIT`/`SOFFSET` over series.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, RecordBatch, TimestampNanosecondArray, UInt32Array,
};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, concat_batches, is_not_null, partition, take};
use arrow::datatypes::{DataType, Schema};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use strata_influxql::{Fill, Number};
use strata_types::TIME_COLUMN;

use super::expr::TimeRange;
use super::{MEASUREMENT_COLUMN, SeriesLayout, invalid};
use crate::QueryResult;

/// How to fill the intervals of a `GROUP BY time()` query.
#[derive(Debug, Clone, Copy)]
pub(super) struct FillSpec {
    pub interval: i64,
    pub offset: i64,
    /// The query's time range; its upper end is always set for interval queries.
    pub range: TimeRange,
    /// Never `Fill::None`, which needs no filling.
    pub fill: Fill,
    pub max_intervals: i64,
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Shaping {
    pub fill: Option<FillSpec>,
    pub limit: Option<usize>,
    pub offset: usize,
    pub slimit: Option<usize>,
    pub soffset: usize,
    /// `ORDER BY time DESC`.
    pub descending: bool,
}

impl Shaping {
    fn is_noop(&self) -> bool {
        self.fill.is_none()
            && self.limit.is_none()
            && self.offset == 0
            && self.slimit.is_none()
            && self.soffset == 0
    }
}

/// Applies `shaping` to a result sorted by series, then time.
pub(super) fn shape(
    result: QueryResult,
    layout: &SeriesLayout,
    shaping: &Shaping,
) -> Result<QueryResult> {
    if shaping.is_noop() || result.batches.iter().all(|b| b.num_rows() == 0) {
        return Ok(result);
    }
    let mut all = concat_batches(&result.schema, &result.batches)?;
    let mut schema = result.schema;
    if shaping.fill.is_some() {
        // Filled intervals have no value to show for `count` and the like either.
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect();
        schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        all = all.with_schema(schema.clone())?;
    }
    let key_names: Vec<&str> = layout
        .has_measurement
        .then_some(MEASUREMENT_COLUMN)
        .into_iter()
        .chain(layout.tag_columns.iter().map(String::as_str))
        .collect();
    let keys: Vec<ArrayRef> = key_names
        .iter()
        .map(|name| all.column_by_name(name).cloned())
        .collect::<Option<_>>()
        .ok_or_else(|| invalid("a series column is missing from the result"))?;
    let ranges = if keys.is_empty() {
        // No series key: the whole table is one series.
        std::iter::once(0..all.num_rows()).collect()
    } else {
        partition(&keys)?.ranges()
    };
    let mut batches = Vec::new();
    let series = ranges
        .into_iter()
        .skip(shaping.soffset)
        .take(shaping.slimit.unwrap_or(usize::MAX));
    for rows in series {
        let mut batch = all.slice(rows.start, rows.len());
        if let Some(spec) = &shaping.fill {
            batch = fill(&batch, spec, shaping.descending, &key_names)?;
        }
        let start = shaping.offset.min(batch.num_rows());
        let len = shaping
            .limit
            .unwrap_or(usize::MAX)
            .min(batch.num_rows() - start);
        if len > 0 {
            batches.push(batch.slice(start, len));
        }
    }
    Ok(QueryResult { schema, batches })
}

/// The start of the interval holding `t`.
fn bucket(t: i64, interval: i64, offset: i64) -> i64 {
    t - (t - offset).rem_euclid(interval)
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
    let start = bucket(
        spec.range.min.unwrap_or(first_row_time),
        spec.interval,
        spec.offset,
    );
    let end = bucket(
        spec.range.max.unwrap_or(first_row_time),
        spec.interval,
        spec.offset,
    );
    if end < start {
        return Ok(series.clone());
    }
    let count = (end - start) / spec.interval + 1;
    if count > spec.max_intervals {
        return Err(invalid(format!(
            "GROUP BY time() over this time range makes {count} intervals per series, more than the {} allowed; narrow the time range (WHERE time >= … AND time <= …), use a larger interval or fill(none)",
            spec.max_intervals
        )));
    }
    // Interval start times in output order, and the row holding each (rows are sorted by
    // time in the same order).
    let mut grid: Vec<i64> = (0..count).map(|i| start + i * spec.interval).collect();
    if descending {
        grid.reverse();
    }
    let mut rows: Vec<Option<u32>> = Vec::with_capacity(grid.len());
    let mut next = 0usize;
    for &t in &grid {
        while next < times.len() && before(times.value(next), t, descending) {
            next += 1;
        }
        if next < times.len() && times.value(next) == t {
            rows.push(Some(next as u32));
            next += 1;
        } else {
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
            Arc::new(TimestampNanosecondArray::from(grid.clone()).with_timezone("UTC"))
        } else if keys.contains(&name) {
            take(column, &key_rows, None)?
        } else {
            fill_values(&take(column, &picks, None)?, &grid, spec.fill)?
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
        assert_eq!(bucket(125, 60, 0), 120);
        assert_eq!(bucket(125, 60, 10), 70);
        assert_eq!(bucket(-1, 60, 0), -60);
        assert_eq!(bucket(60, 60, 0), 60);
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
