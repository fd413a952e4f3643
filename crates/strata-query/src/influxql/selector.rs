//! Selectors answered by picking points, so that what is shown is a point's: its time and
//! the other fields or tags the SELECT list names beside the selector.
//!
//! - `top(field, [tag, …], N)` and `bottom(…)`: the N points of each series (each interval
//!   of a `GROUP BY time()` query) with the highest, or lowest, values, ties going to the
//!   earliest, at their own times in time order. With tags, the best point of each distinct
//!   combination of the tags competes, and the tags are shown after the value.
//! - `percentile(field, P)` alone: the point of nearest rank ⌊n·P/100 + 0.5⌋ by value.
//! - `sample(field, N)`: N points chosen at random, at their own times in time order.
//! - `first`, `last`, `min` or `max` beside other fields or tags: the point the function
//!   selects (first and last take the largest value of points at one time, as InfluxDB does;
//!   min and max the earliest point). Alone they are aggregates, answered faster.
//!
//! A point per series or interval is shown at its own time, or, in a `GROUP BY time()`
//! query, at its interval's start.

use arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{Expr, ExprFunctionExt, ExprSchemable, SortExpr, cast, col, lit};
use strata_influxql::{Call, Expr as QlExpr, ExprKind, Field, Literal};
use strata_types::{ColumnType, TIME_COLUMN};

use super::expr::{self, Scope, column_kind};
use super::invalid;

/// Which points a selector picks.
#[derive(Debug, Clone, PartialEq)]
enum Pick {
    /// The `count` highest (`bottom`: lowest), the best of each combination of `tags`.
    Top {
        count: usize,
        bottom: bool,
        tags: Vec<String>,
    },
    Percentile(f64),
    /// `count` points chosen at random.
    Sample {
        count: usize,
    },
    First,
    Last,
    Min,
    Max,
}

/// A selector answered by picking points.
pub(super) struct Selector {
    name: String,
    pick: Pick,
    /// What is selected.
    argument: QlExpr,
}

impl Selector {
    /// The selector of a SELECT list answered by picking points, if it has one, checked as
    /// InfluxDB checks it.
    pub fn of(fields: &[Field]) -> Result<Option<Selector>> {
        let calls: Vec<&Call> = fields.iter().filter_map(|f| call(&f.expr)).collect();
        let others_plain = fields
            .iter()
            .all(|f| call(&f.expr).is_some() || is_plain(&f.expr));
        let [call] = calls[..] else {
            if let Some(top) = calls
                .iter()
                .find(|c| matches!(c.name.as_str(), "top" | "bottom"))
            {
                return Err(invalid(format!(
                    "selector function {}() cannot be combined with other functions",
                    top.name
                )));
            }
            return Ok(None);
        };
        let pick = match call.name.as_str() {
            "top" | "bottom" if !others_plain => {
                return Err(invalid(format!(
                    "selector function {}() cannot be combined with other functions",
                    call.name
                )));
            }
            "top" | "bottom" => top(call)?,
            "percentile" if others_plain => Pick::Percentile(percent(call)?),
            "sample" if others_plain => Pick::Sample {
                count: sample_size(call)?,
            },
            // Alone, these are aggregates (answered from statistics where they can be).
            _ if fields.len() == 1 || !others_plain => return Ok(None),
            "first" => Pick::First,
            "last" => Pick::Last,
            "min" => Pick::Min,
            "max" => Pick::Max,
            _ => return Ok(None),
        };
        Ok(Some(Selector {
            name: call.name.clone(),
            pick,
            argument: call.args[0].clone(),
        }))
    }

    /// Whether several points of a series or interval may be picked: they are shown at
    /// their own times, also in a `GROUP BY time()` query (whose empty intervals are then
    /// not filled).
    pub fn picks_several(&self) -> bool {
        matches!(self.pick, Pick::Top { .. } | Pick::Sample { .. })
    }

    /// The SELECT list's columns, the call replaced by what it selects (and followed by the
    /// tags of `top()`).
    pub fn columns(&self, fields: Vec<(QlExpr, String)>) -> Vec<(QlExpr, String)> {
        let tags = match &self.pick {
            Pick::Top { tags, .. } => tags.as_slice(),
            _ => &[],
        };
        let mut out = Vec::with_capacity(fields.len() + tags.len());
        for (expr, name) in fields {
            if call(&expr).is_some() {
                out.push((self.argument.clone(), name));
                out.extend(tags.iter().map(|t| (QlExpr::var(t.clone()), t.clone())));
            } else {
                out.push((expr, name));
            }
        }
        out
    }

    /// The rows of `frame` this selector picks within `groups` (the series, and the
    /// interval).
    pub fn picked(
        &self,
        frame: DataFrame,
        groups: Vec<Expr>,
        scope: &Scope<'_>,
    ) -> Result<DataFrame> {
        let value = expr::value(&self.argument, scope)?;
        let value_type = value.get_type(frame.schema())?;
        let ranks_values = !matches!(self.pick, Pick::First | Pick::Last | Pick::Sample { .. });
        if ranks_values && !value_type.is_numeric() {
            return Err(invalid(format!(
                "{}() selects by number, and its values are {value_type}",
                self.name
            )));
        }
        let time = || col(TIME_COLUMN);
        let by_value = |descending: bool| value.clone().sort(!descending, false);
        let frame = frame.filter(value.clone().is_not_null())?;
        match &self.pick {
            Pick::Top {
                count,
                bottom,
                tags,
            } => {
                let order = vec![by_value(!bottom), time().sort(true, false)];
                let mut frame = frame;
                if !tags.is_empty() {
                    let mut per_tags = groups.clone();
                    per_tags.extend(tags.iter().map(|tag| tag_value(scope, tag)));
                    frame = keep(frame, per_tags, order.clone(), Rank::AtMost(1))?;
                }
                keep(frame, groups, order, Rank::AtMost(*count))
            }
            Pick::Percentile(percent) => {
                let order = vec![by_value(false), time().sort(true, false)];
                keep(frame, groups, order, Rank::Percentile(*percent))
            }
            Pick::Sample { count } => {
                let random = scope.functions.udf("random")?.call(vec![]);
                keep(
                    frame,
                    groups,
                    vec![random.sort(true, false)],
                    Rank::AtMost(*count),
                )
            }
            Pick::First => {
                let order = vec![time().sort(true, false), by_value(true)];
                keep(frame, groups, order, Rank::AtMost(1))
            }
            Pick::Last => {
                let order = vec![time().sort(false, false), by_value(true)];
                keep(frame, groups, order, Rank::AtMost(1))
            }
            Pick::Min | Pick::Max => {
                let order = vec![by_value(self.pick == Pick::Max), time().sort(true, false)];
                keep(frame, groups, order, Rank::AtMost(1))
            }
        }
    }
}

/// Which ranks of a partition are kept.
enum Rank {
    AtMost(usize),
    /// The nearest rank of the percentile, of the partition's size.
    Percentile(f64),
}

/// The rows of `frame` whose rank in their partition, in `order`, `rank` keeps.
fn keep(
    frame: DataFrame,
    partition: Vec<Expr>,
    order: Vec<SortExpr>,
    rank: Rank,
) -> Result<DataFrame> {
    const RANK: &str = "__rank";
    const SIZE: &str = "__size";
    let columns: Vec<Expr> = frame
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    let row = row_number()
        .partition_by(partition.clone())
        .order_by(order)
        .build()?
        .alias(RANK);
    let kept = match rank {
        Rank::AtMost(count) => frame
            .window(vec![row])?
            .filter(col(RANK).lt_eq(lit(count as u64)))?,
        Rank::Percentile(percent) => {
            let size = Expr::from(WindowFunction::new(count_udaf(), vec![lit(1)]))
                .partition_by(partition)
                .build()?
                .alias(SIZE);
            // ⌊n·P/100 + 0.5⌋, which is 0 (no point) for small P.
            let nearest = cast(
                cast(col(SIZE), DataType::Float64) * lit(percent / 100.0) + lit(0.5),
                DataType::UInt64,
            );
            frame
                .window(vec![size])?
                .window(vec![row])?
                .filter(col(RANK).eq(nearest))?
        }
    };
    kept.select(columns)
}

fn top(call: &Call) -> Result<Pick> {
    let (last, middle) = call
        .args
        .get(1..)
        .and_then(<[QlExpr]>::split_last)
        .ok_or_else(|| {
            invalid(format!(
                "{}() needs a field and a number of points, like {}(\"value\", 3)",
                call.name, call.name
            ))
        })?;
    let count = match &last.kind {
        ExprKind::Literal(Literal::Integer(n)) if *n >= 1 => *n as usize,
        ExprKind::Literal(Literal::Integer(n)) => {
            return Err(invalid(format!(
                "limit ({n}) in {} function must be at least 1",
                call.name
            )));
        }
        _ => {
            return Err(invalid(format!(
                "expected integer as last argument in {}(), found {last}",
                call.name
            )));
        }
    };
    let tags = middle
        .iter()
        .map(|arg| match &arg.kind {
            ExprKind::VarRef { name, .. } => Ok(name.value.clone()),
            _ => Err(invalid(format!(
                "only fields or tags are allowed in {}(), found {arg}",
                call.name
            ))),
        })
        .collect::<Result<_>>()?;
    Ok(Pick::Top {
        count,
        bottom: call.name == "bottom",
        tags,
    })
}

fn sample_size(call: &Call) -> Result<usize> {
    match call.args.get(1).map(|a| &a.kind) {
        Some(ExprKind::Literal(Literal::Integer(n))) if *n >= 1 => Ok(*n as usize),
        Some(ExprKind::Literal(Literal::Integer(n))) => Err(invalid(format!(
            "sample window must be greater than 1, got {n}"
        ))),
        _ => Err(invalid(
            "sample() needs a number of points as its second argument, like sample(\"value\", 10)",
        )),
    }
}

fn percent(call: &Call) -> Result<f64> {
    let percent = match call.args.get(1).map(|a| &a.kind) {
        Some(ExprKind::Literal(Literal::Integer(p))) => *p as f64,
        Some(ExprKind::Literal(Literal::Float(p))) => *p,
        _ => {
            return Err(invalid(
                "percentile() needs a number as its second argument, like percentile(\"value\", 95)",
            ));
        }
    };
    if !(0.0..=100.0).contains(&percent) {
        return Err(invalid(format!(
            "percentile() takes a percentage between 0 and 100, not {percent}"
        )));
    }
    Ok(percent)
}

/// A tag's value as a string ("" where the measurement has no such tag).
fn tag_value(scope: &Scope<'_>, tag: &str) -> Expr {
    match column_kind(scope.table, tag, None) {
        Some(ColumnType::Tag) => cast(
            col(datafusion::common::Column::new_unqualified(tag)),
            DataType::Utf8,
        ),
        _ => lit(""),
    }
}

/// A selector or aggregate call that is a whole SELECT field.
fn call(expr: &QlExpr) -> Option<&Call> {
    match &expr.kind {
        ExprKind::Call(call)
            if matches!(
                call.kind(),
                Some(
                    strata_influxql::FunctionKind::Aggregate
                        | strata_influxql::FunctionKind::Selector
                )
            ) =>
        {
            Some(call)
        }
        _ => None,
    }
}

fn is_plain(expr: &QlExpr) -> bool {
    matches!(expr.kind, ExprKind::VarRef { .. } | ExprKind::Wildcard(_))
}
