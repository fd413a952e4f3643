//! InfluxQL's transformations, over each series' points in time order as InfluxDB computes
//! them: `derivative` and `non_negative_derivative` (change per unit of time), `difference`
//! and `non_negative_difference`, `elapsed`, `moving_average` and `cumulative_sum`.
//!
//! A transformation reads one column: raw values, or the values of an aggregate per interval
//! of a `GROUP BY time()` query (after `fill()`). Points without a value are passed over; of
//! several points at one time only the first counts for a derivative or difference, as
//! InfluxDB joins series. A row whose transformations give nothing is left out
//! unless the query selects other columns too; rows before [`Transforms::from`] only fed the
//! transformations (the query read one interval or more before its range for them).

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, UInt64Array,
};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef, UInt64Type};
use datafusion::error::Result;
use strata_types::TIME_COLUMN;

use super::expr::TimeRange;
use super::invalid;

/// One transformation, of the column of its name.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// Change per `unit` nanoseconds; with `non_negative`, negative changes are left out.
    Derivative {
        unit: i64,
        non_negative: bool,
    },
    Difference {
        non_negative: bool,
    },
    /// Time since the point before, in `unit` nanoseconds.
    Elapsed {
        unit: i64,
    },
    /// The mean of the last `points` points.
    MovingAverage {
        points: usize,
    },
    CumulativeSum,
}

impl Kind {
    /// How many intervals before its range a `GROUP BY time()` query reads for this
    /// transformation, so that the range's first interval has its points before.
    pub fn intervals_before(&self) -> i64 {
        match self {
            Kind::Derivative { .. } | Kind::Difference { .. } | Kind::Elapsed { .. } => 1,
            Kind::MovingAverage { points } => *points as i64 - 1,
            Kind::CumulativeSum => 0,
        }
    }

    /// The type of the transformed column, for values of `input`.
    fn output_type(&self, input: &DataType) -> DataType {
        match self {
            Kind::Derivative { .. } | Kind::MovingAverage { .. } => DataType::Float64,
            Kind::Elapsed { .. } => DataType::Int64,
            Kind::Difference { .. } | Kind::CumulativeSum => input.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Transform {
    pub column: String,
    pub kind: Kind,
    /// The points it reads: a query reads beyond its range only for the transformations
    /// that need it.
    pub reads: TimeRange,
}

/// A SELECT's transformations.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Transforms {
    pub transforms: Vec<Transform>,
    /// Whether rows are shown without a transformed value (other columns are selected).
    pub keep_rows: bool,
    /// The rows shown: those beyond were read for the transformations only.
    pub shown: TimeRange,
    /// The rows read, for all transformations.
    pub reads: TimeRange,
    pub descending: bool,
}

impl Transforms {
    /// The schema of transformed rows of `schema`.
    pub fn output_schema(&self, schema: &SchemaRef) -> SchemaRef {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(
                |field| match self.transforms.iter().find(|t| &t.column == field.name()) {
                    Some(t) => {
                        Field::new(field.name(), t.kind.output_type(field.data_type()), true)
                    }
                    None => field.as_ref().clone(),
                },
            )
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    }
}

/// The transformations of one series, as its rows come.
pub(super) struct SeriesTransforms {
    transforms: Arc<Transforms>,
    schema: SchemaRef,
    states: Vec<State>,
}

impl SeriesTransforms {
    /// `schema` is that of the transformed rows.
    pub fn new(transforms: Arc<Transforms>, schema: SchemaRef) -> Self {
        let states = vec![State::default(); transforms.transforms.len()];
        SeriesTransforms {
            transforms,
            schema,
            states,
        }
    }

    /// Starts a new series.
    pub fn reset(&mut self) {
        self.states.fill(State::default());
    }

    /// The next rows of the series, transformed.
    pub fn apply(&mut self, rows: &RecordBatch) -> Result<RecordBatch> {
        let times = rows
            .column_by_name(TIME_COLUMN)
            .and_then(|c| c.as_primitive_opt::<arrow::datatypes::TimestampNanosecondType>())
            .ok_or_else(|| invalid("the time column is not a timestamp"))?
            .clone();
        let mut columns = rows.columns().to_vec();
        let mut shown = vec![self.transforms.keep_rows; rows.num_rows()];
        for (transform, state) in self.transforms.transforms.iter().zip(&mut self.states) {
            let index = rows.schema().index_of(&transform.column)?;
            let output = state.run(
                transform,
                times.values(),
                &columns[index],
                self.transforms.descending,
            )?;
            for (row, shown) in shown.iter_mut().enumerate() {
                *shown |= output.is_valid(row);
            }
            columns[index] = output;
        }
        let keep: BooleanArray = shown
            .iter()
            .zip(times.values())
            .map(|(&shown, &t)| Some(shown && self.transforms.shown.contains(t)))
            .collect();
        let transformed = RecordBatch::try_new(self.schema.clone(), columns)?;
        Ok(filter_record_batch(&transformed, &keep)?)
    }
}

/// A number of a transformed column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
}

impl Number {
    fn at(column: &ArrayRef, row: usize) -> Option<Number> {
        if column.is_null(row) {
            return None;
        }
        match column.data_type() {
            DataType::Float64 => Some(Number::Float(
                column.as_primitive::<Float64Type>().value(row),
            )),
            DataType::Int64 => Some(Number::Integer(
                column.as_primitive::<Int64Type>().value(row),
            )),
            DataType::UInt64 => Some(Number::Unsigned(
                column.as_primitive::<UInt64Type>().value(row),
            )),
            _ => None,
        }
    }

    fn float(self) -> f64 {
        match self {
            Number::Float(f) => f,
            Number::Integer(i) => i as f64,
            Number::Unsigned(u) => u as f64,
        }
    }

    /// `self - before`, in their type (integers wrap, as InfluxDB's do).
    fn minus(self, before: Number) -> Number {
        match (self, before) {
            (Number::Integer(a), Number::Integer(b)) => Number::Integer(a.wrapping_sub(b)),
            (Number::Unsigned(a), Number::Unsigned(b)) => Number::Unsigned(a.wrapping_sub(b)),
            (a, b) => Number::Float(a.float() - b.float()),
        }
    }

    fn plus(self, other: Number) -> Number {
        match (self, other) {
            (Number::Integer(a), Number::Integer(b)) => Number::Integer(a.wrapping_add(b)),
            (Number::Unsigned(a), Number::Unsigned(b)) => Number::Unsigned(a.wrapping_add(b)),
            (a, b) => Number::Float(a.float() + b.float()),
        }
    }

    fn is_negative(self) -> bool {
        match self {
            Number::Float(f) => f < 0.0,
            Number::Integer(i) => i < 0,
            Number::Unsigned(_) => false,
        }
    }
}

/// What a transformation remembers of a series' points so far.
#[derive(Debug, Clone, Default)]
struct State {
    /// The last point that counted: its time and value.
    previous: Option<(i64, Number)>,
    /// The last points' values (moving_average).
    window: VecDeque<f64>,
    sum: Option<Number>,
}

impl State {
    /// The transformation of `input`'s values at `times`, a value for the rows that have one.
    fn run(
        &mut self,
        transform: &Transform,
        times: &[i64],
        input: &ArrayRef,
        descending: bool,
    ) -> Result<ArrayRef> {
        let (kind, name) = (&transform.kind, &transform.column);
        let input_type = input.data_type();
        if !matches!(
            input_type,
            DataType::Float64 | DataType::Int64 | DataType::UInt64 | DataType::Null
        ) {
            return Err(invalid(format!(
                "the transformation {name}() needs numbers, and its values are {input_type}"
            )));
        }
        let mut out: Vec<Option<Number>> = Vec::with_capacity(times.len());
        for (row, &time) in times.iter().enumerate() {
            let value = Number::at(input, row).filter(|_| transform.reads.contains(time));
            let Some(value) = value else {
                out.push(None);
                continue;
            };
            out.push(self.next(kind, time, value, descending));
        }
        Ok(column(&kind.output_type(input_type), out))
    }

    /// The transformation's value at a point, if it has one.
    fn next(&mut self, kind: &Kind, time: i64, value: Number, descending: bool) -> Option<Number> {
        match kind {
            Kind::MovingAverage { points } => {
                self.window.push_back(value.float());
                if self.window.len() > *points {
                    self.window.pop_front();
                }
                (self.window.len() == *points)
                    .then(|| Number::Float(self.window.iter().sum::<f64>() / *points as f64))
            }
            Kind::CumulativeSum => {
                let sum = self.sum.map_or(value, |sum| sum.plus(value));
                self.sum = Some(sum);
                Some(sum)
            }
            Kind::Elapsed { unit } => {
                // Every point counts, a second one at a time too (its elapsed time is 0).
                let (before_time, _) = self.previous.replace((time, value))?;
                let elapsed = if descending {
                    before_time - time
                } else {
                    time - before_time
                };
                Some(Number::Integer(elapsed / unit))
            }
            Kind::Derivative { .. } | Kind::Difference { .. } => {
                let Some((before_time, before)) = self.previous else {
                    self.previous = Some((time, value));
                    return None;
                };
                if time == before_time {
                    // A second point at one time: only the first counts.
                    return None;
                }
                self.previous = Some((time, value));
                let elapsed = if descending {
                    before_time - time
                } else {
                    time - before_time
                };
                match kind {
                    Kind::Derivative { unit, non_negative } => {
                        let change =
                            (value.float() - before.float()) / (elapsed as f64 / *unit as f64);
                        (!non_negative || change >= 0.0).then_some(Number::Float(change))
                    }
                    Kind::Difference { non_negative } => {
                        let change = value.minus(before);
                        (!non_negative || !change.is_negative()).then_some(change)
                    }
                    _ => None,
                }
            }
        }
    }
}

/// A column of `data_type` holding `values`.
fn column(data_type: &DataType, values: Vec<Option<Number>>) -> ArrayRef {
    match data_type {
        DataType::Int64 => Arc::new(
            values
                .into_iter()
                .map(|v| match v? {
                    Number::Integer(i) => Some(i),
                    other => Some(other.float() as i64),
                })
                .collect::<Int64Array>(),
        ),
        DataType::UInt64 => Arc::new(
            values
                .into_iter()
                .map(|v| match v? {
                    Number::Unsigned(u) => Some(u),
                    other => Some(other.float() as u64),
                })
                .collect::<UInt64Array>(),
        ),
        _ => Arc::new(
            values
                .into_iter()
                .map(|v| v.map(Number::float))
                .collect::<Float64Array>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transform(column: &str, kind: Kind) -> Transform {
        Transform {
            column: column.to_string(),
            kind,
            reads: TimeRange::default(),
        }
    }

    fn run(kind: Kind, points: &[(i64, Option<f64>)]) -> Vec<Option<f64>> {
        let times: Vec<i64> = points.iter().map(|p| p.0).collect();
        let input: ArrayRef = Arc::new(points.iter().map(|p| p.1).collect::<Float64Array>());
        let output = State::default()
            .run(&transform("t", kind), &times, &input, false)
            .unwrap();
        let output = output.as_primitive::<Float64Type>();
        (0..output.len())
            .map(|i| output.is_valid(i).then(|| output.value(i)))
            .collect()
    }

    #[test]
    fn changes_skip_missing_values_and_repeated_times() {
        let points = [
            (0, Some(1.0)),
            (10, None),
            (20, Some(3.0)),
            (20, Some(9.0)),
            (30, Some(2.0)),
        ];
        assert_eq!(
            run(
                Kind::Derivative {
                    unit: 10,
                    non_negative: false
                },
                &points
            ),
            [None, None, Some(1.0), None, Some(-1.0)]
        );
        assert_eq!(
            run(
                Kind::Derivative {
                    unit: 10,
                    non_negative: true
                },
                &points
            ),
            [None, None, Some(1.0), None, None]
        );
        assert_eq!(
            run(
                Kind::Difference {
                    non_negative: false
                },
                &points
            ),
            [None, None, Some(2.0), None, Some(-1.0)]
        );
    }

    #[test]
    fn windows_and_sums() {
        let points = [(0, Some(1.0)), (10, Some(3.0)), (20, None), (30, Some(5.0))];
        assert_eq!(
            run(Kind::MovingAverage { points: 2 }, &points),
            [None, Some(2.0), None, Some(4.0)]
        );
        assert_eq!(
            run(Kind::CumulativeSum, &points),
            [Some(1.0), Some(4.0), None, Some(9.0)]
        );
    }

    #[test]
    fn integers_keep_their_type_where_influxdb_keeps_it() {
        let input: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), Some(3), Some(10)]));
        let times = [0, 1_000, 3_000];
        let difference = State::default()
            .run(
                &transform(
                    "d",
                    Kind::Difference {
                        non_negative: false,
                    },
                ),
                &times,
                &input,
                false,
            )
            .unwrap();
        assert_eq!(
            difference.as_primitive::<Int64Type>().values(),
            &[0, -2, 7][..]
        );
        assert!(difference.is_null(0));
        let elapsed = State::default()
            .run(
                &transform("e", Kind::Elapsed { unit: 1_000 }),
                &times,
                &input,
                false,
            )
            .unwrap();
        assert_eq!(elapsed.as_primitive::<Int64Type>().value(2), 2);
        let strings: ArrayRef = Arc::new(arrow::array::StringArray::from(vec!["a"]));
        let error = State::default()
            .run(
                &transform("cumulative_sum", Kind::CumulativeSum),
                &[0],
                &strings,
                false,
            )
            .unwrap_err();
        assert!(error.to_string().contains("needs numbers"), "{error}");
    }
}
