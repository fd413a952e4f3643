//! InfluxQL's `percentile(field, N)`: the nearest-rank value, not an interpolation (unlike
//! SQL's `percentile_cont`), so an answer is always one of the points.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Field, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{Accumulator, AggregateUDF, Volatility, create_udaf};

/// The aggregate giving the `percent`th percentile of its (Float64) argument.
pub(super) fn percentile(percent: f64) -> AggregateUDF {
    let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
    create_udaf(
        "percentile",
        vec![DataType::Float64],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(move |_| {
            Ok(Box::new(Percentile {
                percent,
                values: Vec::new(),
            }))
        }),
        Arc::new(vec![list]),
    )
}

#[derive(Debug)]
struct Percentile {
    percent: f64,
    values: Vec<f64>,
}

impl Percentile {
    fn extend(&mut self, values: &Float64Array) {
        self.values.extend(values.iter().flatten());
    }
}

/// The nearest-rank pick: the value at rank ⌊n·p/100 + 0.5⌋ of the sorted values, none when
/// that rank is 0.
fn nearest_rank(values: &mut [f64], percent: f64) -> Option<f64> {
    let rank = (values.len() as f64 * percent / 100.0 + 0.5).floor() as usize;
    let index = rank.checked_sub(1)?;
    if index >= values.len() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[index])
}

impl Accumulator for Percentile {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.extend(values[0].as_primitive::<Float64Type>());
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(nearest_rank(
            &mut self.values,
            self.percent,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * std::mem::size_of::<f64>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self
            .values
            .iter()
            .map(|v| ScalarValue::Float64(Some(*v)))
            .collect();
        Ok(vec![ScalarValue::List(ScalarValue::new_list_nullable(
            &values,
            &DataType::Float64,
        ))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for i in 0..lists.len() {
            if lists.is_valid(i) {
                self.extend(lists.value(i).as_primitive::<Float64Type>());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn nearest_rank_picks_a_point() {
        let mut values = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(nearest_rank(&mut values, 50.0), Some(3.0));
        assert_eq!(nearest_rank(&mut values, 100.0), Some(5.0));
        assert_eq!(nearest_rank(&mut values, 90.0), Some(5.0));
        assert_eq!(nearest_rank(&mut values, 20.0), Some(1.0));
        assert_eq!(nearest_rank(&mut values, 5.0), None);
        assert_eq!(nearest_rank(&mut [], 50.0), None);
    }
}
