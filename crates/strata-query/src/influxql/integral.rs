//! InfluxQL's `integral(field[, unit])`: the area under the field's points, joined by straight
//! lines (the trapezoid rule), in value × `unit` (1s by default). Of points at one time only
//! the last counts, as InfluxDB reads them. Without `GROUP BY time()` it is an aggregate;
//! with it, each series' points are integrated interval by interval as they stream.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, RecordBatch, TimestampNanosecondArray, UInt32Array,
    new_null_array,
};
use arrow::compute::{cast, take};
use arrow::datatypes::{
    DataType, Field, Float64Type, Int64Type, Schema, SchemaRef, TimestampNanosecondType,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{Accumulator, AggregateUDF, Volatility, create_udaf};
use strata_types::TIME_COLUMN;

use super::invalid;
use super::zone::Windows;

/// The aggregate `integral(value, time)` of Float64 values, in `unit` nanoseconds.
pub(super) fn integral(unit: i64) -> AggregateUDF {
    let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, true)));
    create_udaf(
        "integral",
        vec![
            DataType::Float64,
            DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some("UTC".into())),
        ],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(move |_| {
            Ok(Box::new(Integral {
                unit,
                points: Vec::new(),
            }))
        }),
        Arc::new(vec![list(DataType::Int64), list(DataType::Float64)]),
    )
}

#[derive(Debug)]
struct Integral {
    unit: i64,
    /// The points: time and value.
    points: Vec<(i64, f64)>,
}

/// The area under `points`, sorted by time, in value × `unit`; none without points.
fn area(points: &mut [(i64, f64)], unit: i64) -> Option<f64> {
    // Stable: of points at one time, the last added stays last.
    points.sort_by_key(|(time, _)| *time);
    let mut previous: Option<(i64, f64)> = None;
    let mut sum = 0.0;
    for &(time, value) in points.iter() {
        if let Some((before, before_value)) = previous
            && time > before
        {
            sum += (value + before_value) / 2.0 * ((time - before) as f64 / unit as f64);
        }
        previous = Some((time, value));
    }
    previous.map(|_| sum)
}

impl Accumulator for Integral {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (value, time) = (
            values[0].as_primitive::<Float64Type>(),
            values[1].as_primitive::<TimestampNanosecondType>(),
        );
        for row in 0..value.len() {
            if value.is_valid(row) && time.is_valid(row) {
                self.points.push((time.value(row), value.value(row)));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(area(&mut self.points, self.unit)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.points.capacity() * std::mem::size_of::<(i64, f64)>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let times: Vec<ScalarValue> = self
            .points
            .iter()
            .map(|(t, _)| ScalarValue::Int64(Some(*t)))
            .collect();
        let values: Vec<ScalarValue> = self
            .points
            .iter()
            .map(|(_, v)| ScalarValue::Float64(Some(*v)))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&times, &DataType::Int64)),
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Float64)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (times, values) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for group in 0..times.len() {
            if times.is_valid(group) {
                let times = times.value(group);
                let values = values.value(group);
                let (times, values) = (
                    times.as_primitive::<Int64Type>(),
                    values.as_primitive::<Float64Type>(),
                );
                self.points.extend(
                    times
                        .values()
                        .iter()
                        .copied()
                        .zip(values.values().iter().copied()),
                );
            }
        }
        Ok(())
    }
}

/// The `integral()`s of a `GROUP BY time()` query, computed from each series' points as
/// InfluxDB computes them: the area of each interval, the line between two points on either
/// side of an interval's end cut at that end (where its value is interpolated). Only
/// intervals a series has points in get a row, and they are not filled.
#[derive(Debug)]
pub(super) struct WindowedIntegrals {
    /// The columns integrated, and the unit of each.
    pub columns: Vec<(String, i64)>,
    pub windows: Windows,
}

impl WindowedIntegrals {
    /// The schema of the rows: the integrals are floats.
    pub fn output_schema(&self, schema: &SchemaRef) -> SchemaRef {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|field| {
                if self.columns.iter().any(|(name, _)| name == field.name()) {
                    Field::new(field.name(), DataType::Float64, true)
                } else {
                    field.as_ref().clone()
                }
            })
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    }

    /// One series' points, in time order, as a row per interval (of `output`'s schema);
    /// `keys` name the series' columns.
    pub fn reduce(
        &self,
        rows: &RecordBatch,
        keys: &[&str],
        output: &SchemaRef,
    ) -> Result<RecordBatch> {
        let times = rows
            .column_by_name(TIME_COLUMN)
            .ok_or_else(|| invalid("the time column is missing"))?
            .as_primitive::<TimestampNanosecondType>()
            .clone();
        let mut intervals: BTreeMap<i64, Vec<Option<f64>>> = BTreeMap::new();
        for (index, (name, unit)) in self.columns.iter().enumerate() {
            let column = rows
                .column_by_name(name)
                .ok_or_else(|| invalid(format!("the column {name} is missing")))?;
            let values = cast(column, &DataType::Float64)?;
            let values = values.as_primitive::<Float64Type>();
            let points = (0..values.len())
                .filter(|&row| values.is_valid(row))
                .map(|row| (times.value(row), values.value(row)));
            for (start, area) in self.areas(points, *unit) {
                intervals
                    .entry(start)
                    .or_insert_with(|| vec![None; self.columns.len()])[index] = Some(area);
            }
        }
        let first_row = UInt32Array::from(vec![0u32; intervals.len()]);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(output.fields().len());
        for field in output.fields() {
            let name = field.name().as_str();
            let column: ArrayRef = if name == TIME_COLUMN {
                let zone = match field.data_type() {
                    DataType::Timestamp(_, Some(zone)) => zone.clone(),
                    _ => "UTC".into(),
                };
                Arc::new(
                    TimestampNanosecondArray::from(intervals.keys().copied().collect::<Vec<_>>())
                        .with_timezone(zone),
                )
            } else if let Some(index) = self.columns.iter().position(|(c, _)| c == name) {
                Arc::new(
                    intervals
                        .values()
                        .map(|areas| areas[index])
                        .collect::<Float64Array>(),
                )
            } else if keys.contains(&name) {
                let column = rows
                    .column_by_name(name)
                    .ok_or_else(|| invalid(format!("the column {name} is missing")))?;
                take(column, &first_row, None)?
            } else {
                new_null_array(field.data_type(), intervals.len())
            };
            columns.push(column);
        }
        Ok(RecordBatch::try_new(output.clone(), columns)?)
    }

    /// Each interval's start and area, from points in time order.
    fn areas(&self, points: impl Iterator<Item = (i64, f64)>, unit: i64) -> Vec<(i64, f64)> {
        let unit = unit as f64;
        let mut out = Vec::new();
        let mut previous: Option<(i64, f64)> = None;
        let (mut start, mut end, mut sum) = (0, 0, 0.0);
        for (time, value) in points {
            let Some((before, before_value)) = previous else {
                previous = Some((time, value));
                (start, end) = (self.windows.start(time), self.windows.next(time));
                continue;
            };
            if time == before {
                previous = Some((time, value));
                continue;
            }
            if time >= end {
                // The line to this point, cut at the interval's end.
                let at_end = before_value
                    + (value - before_value) * ((end - before) as f64 / (time - before) as f64);
                sum += (at_end + before_value) / 2.0 * ((end - before) as f64 / unit);
                out.push((start, sum));
                previous = Some((end, at_end));
                // The next interval is this point's: what lies between (a gap of whole
                // intervals) is added to it, as InfluxDB adds it.
                (start, end, sum) = (self.windows.start(time), self.windows.next(time), 0.0);
            }
            let (before, before_value) = previous.unwrap_or((time, value));
            sum += (value + before_value) / 2.0 * ((time - before) as f64 / unit);
            previous = Some((time, value));
        }
        if previous.is_some() {
            out.push((start, sum));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_by_interval_cut_lines_at_interval_ends() {
        let integrals = WindowedIntegrals {
            columns: Vec::new(),
            windows: Windows {
                interval: 10,
                offset: 0,
                zone: None,
            },
        };
        let areas = |points: &[(i64, f64)]| integrals.areas(points.iter().copied(), 1);
        // 5→15 crosses the end of [0, 10) at 10, where the line is at 10.
        assert_eq!(
            areas(&[(0, 0.0), (5, 10.0), (15, 10.0)]),
            [(0, 25.0 + 50.0), (10, 50.0)]
        );
        // A gap of whole intervals goes to the interval of the point after it.
        assert_eq!(
            areas(&[(0, 0.0), (8, 8.0), (32, 8.0)]),
            [(0, 32.0 + 16.0), (30, 176.0)]
        );
        assert_eq!(areas(&[(3, 1.0)]), [(0, 0.0)]);
        assert!(areas(&[]).is_empty());
    }

    #[test]
    fn trapezoids_in_the_unit() {
        // 0→10 over 10 s, then 10→20 over 10 s: 50 + 150.
        let mut points = vec![(10_000, 10.0), (0, 0.0), (20_000, 20.0)];
        assert_eq!(area(&mut points, 1_000), Some(200.0));
        assert_eq!(area(&mut points, 10_000), Some(20.0));
        // A second point at one time adds no area.
        let mut points = vec![(0, 0.0), (0, 4.0), (10, 4.0)];
        assert_eq!(area(&mut points, 1), Some(40.0));
        assert_eq!(area(&mut [(5, 1.0)], 1), Some(0.0));
        assert_eq!(area(&mut [], 1), None);
    }
}
