//! InfluxQL's `mode(field)`: the most frequent value, of any type, chosen as InfluxDB 1.x
//! chooses it. Its points are ordered by value (then time), and runs of one value counted;
//! a run replaces the best so far when it is longer, or as long and its first point is no
//! later than the best run's last. A run counts from its second point, so of values seen
//! once each the smallest is the mode. Of booleans, true wins ties.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef, TimestampNanosecondType};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

/// `mode(value, time)`.
pub(super) fn mode() -> AggregateUDF {
    AggregateUDF::from(Mode {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Mode {
    signature: Signature,
}

impl AggregateUDFImpl for Mode {
    fn name(&self) -> &str {
        "mode"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Points {
            data_type: args.return_field.data_type().clone(),
            points: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, data_type: &DataType| {
            Arc::new(Field::new_list(
                format!("{}_{name}", args.name),
                Field::new_list_field(data_type.clone(), true),
                true,
            ))
        };
        Ok(vec![
            list("values", args.return_type()),
            list("times", &DataType::Int64),
        ])
    }
}

/// The points of a group: each value and its time.
#[derive(Debug)]
struct Points {
    data_type: DataType,
    points: Vec<(ScalarValue, i64)>,
}

impl Points {
    fn add(&mut self, values: &ArrayRef, times: &[i64]) -> Result<()> {
        for (row, &time) in times.iter().enumerate() {
            if values.is_valid(row) {
                self.points
                    .push((ScalarValue::try_from_array(values, row)?, time));
            }
        }
        Ok(())
    }
}

/// The mode of `points`, as InfluxDB picks it.
fn pick(points: &mut [(ScalarValue, i64)]) -> Option<ScalarValue> {
    if let Some((ScalarValue::Boolean(_), _)) = points.first() {
        let trues = points
            .iter()
            .filter(|(v, _)| *v == ScalarValue::Boolean(Some(true)))
            .count();
        return Some(ScalarValue::Boolean(Some(trues * 2 >= points.len())));
    }
    points.sort_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    let (first, first_time) = points.first()?.clone();
    let (mut best, mut best_count, mut best_time) = (first.clone(), 0, first_time);
    let (mut run, mut run_count, mut run_time) = (first, 0, first_time);
    for (value, time) in points.iter() {
        if *value != run {
            (run, run_count, run_time) = (value.clone(), 1, *time);
            continue;
        }
        run_count += 1;
        if best_count > run_count || (best_count == run_count && run_time > best_time) {
            continue;
        }
        (best, best_count, best_time) = (value.clone(), run_count, *time);
    }
    Some(best)
}

impl Accumulator for Points {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let times = values[1].as_primitive::<TimestampNanosecondType>();
        self.add(&values[0], times.values())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        match pick(&mut self.points) {
            Some(mode) => Ok(mode),
            None => ScalarValue::try_from(&self.data_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .points
                .iter()
                .map(|(v, _)| v.size() + std::mem::size_of::<i64>())
                .sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self.points.iter().map(|(v, _)| v.clone()).collect();
        let times: Vec<ScalarValue> = self
            .points
            .iter()
            .map(|(_, t)| ScalarValue::Int64(Some(*t)))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &self.data_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&times, &DataType::Int64)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (values, times) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for group in 0..values.len() {
            if values.is_valid(group) {
                let times = times.value(group);
                let times = times.as_primitive::<arrow::datatypes::Int64Type>();
                self.add(&values.value(group), times.values())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(points: &[(f64, i64)]) -> Option<ScalarValue> {
        let mut points: Vec<(ScalarValue, i64)> = points
            .iter()
            .map(|(v, t)| (ScalarValue::Float64(Some(*v)), *t))
            .collect();
        pick(&mut points)
    }

    #[test]
    fn the_most_frequent_value_with_influxdb_s_ties() {
        let float = |v| Some(ScalarValue::Float64(Some(v)));
        assert_eq!(floats(&[(2.0, 1), (1.0, 2), (2.0, 3)]), float(2.0));
        // All seen once: the smallest.
        assert_eq!(floats(&[(5.0, 1), (3.0, 2), (4.0, 3)]), float(3.0));
        // As frequent: the one whose first point is no later than the other's last.
        assert_eq!(
            floats(&[(3.0, 10), (2.5, 20), (3.0, 30), (2.5, 40)]),
            float(3.0)
        );
        assert_eq!(floats(&[]), None);
        let mut booleans = vec![
            (ScalarValue::Boolean(Some(true)), 1),
            (ScalarValue::Boolean(Some(false)), 2),
        ];
        assert_eq!(pick(&mut booleans), Some(ScalarValue::Boolean(Some(true))));
    }
}
