//! InfluxQL's `integral(field[, unit])`: the area under the field's points, joined by straight
//! lines (the trapezoid rule), in value × `unit` (1s by default). Of points at one time only
//! the last counts, as InfluxDB reads them.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, TimestampNanosecondType};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{Accumulator, AggregateUDF, Volatility, create_udaf};

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

#[cfg(test)]
mod tests {
    use super::area;

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
