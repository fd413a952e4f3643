//! InfluxQL's `top(field, [tag, …], N)` and `bottom(…)`: the N points of each series (each
//! interval of a `GROUP BY time()` query) with the highest, or lowest, values, ties going to
//! the earliest, shown at their own times in time order. With tags, a point per distinct
//! combination of the tags competes (the best of each), and the tags are shown after the
//! value. Other fields or tags in the SELECT list show those of the chosen points.

use arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use datafusion::error::Result;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, ExprSchemable, SortExpr, cast, col, lit};
use strata_influxql::{Call, Expr as QlExpr, ExprKind, Field, Literal};
use strata_types::{ColumnType, TIME_COLUMN};

use super::expr::{self, Scope, column_kind};
use super::invalid;

/// A `top()` or `bottom()` call of a SELECT list.
pub(super) struct Selector {
    pub bottom: bool,
    /// What is ranked.
    pub argument: QlExpr,
    /// The tags a point per distinct combination of which competes.
    pub tags: Vec<String>,
    pub count: usize,
}

impl Selector {
    /// The `top()` or `bottom()` of a SELECT list, checked as InfluxDB checks it: the only
    /// function there, the others plain fields or tags.
    pub fn of(fields: &[Field]) -> Result<Option<Selector>> {
        let Some(call) = fields.iter().find_map(|f| top_or_bottom(&f.expr)) else {
            return Ok(None);
        };
        if fields
            .iter()
            .any(|f| top_or_bottom(&f.expr).is_none() && !is_plain(&f.expr))
        {
            return Err(invalid(format!(
                "selector function {}() cannot be combined with other functions",
                call.name
            )));
        }
        let (last, middle) = call.args[1..]
            .split_last()
            .expect("the parser checks top() has two arguments or more");
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
        Ok(Some(Selector {
            bottom: call.name == "bottom",
            argument: call.args[0].clone(),
            tags,
            count,
        }))
    }

    /// The SELECT list's columns, the call replaced by what it ranks and followed by its tags.
    pub fn columns(&self, fields: Vec<(QlExpr, String)>) -> Vec<(QlExpr, String)> {
        let mut out = Vec::with_capacity(fields.len() + self.tags.len());
        for (expr, name) in fields {
            if top_or_bottom(&expr).is_some() {
                out.push((self.argument.clone(), name));
                out.extend(
                    self.tags
                        .iter()
                        .map(|t| (QlExpr::var(t.clone()), t.clone())),
                );
            } else {
                out.push((expr, name));
            }
        }
        out
    }

    /// The rows of `frame` this selector keeps, ranked within `groups` (the series, and the
    /// interval).
    pub fn ranked(
        &self,
        frame: DataFrame,
        groups: Vec<Expr>,
        scope: &Scope<'_>,
    ) -> Result<DataFrame> {
        let value = expr::value(&self.argument, scope)?;
        let value_type = value.get_type(frame.schema())?;
        if !value_type.is_numeric() {
            return Err(invalid(format!(
                "{}() ranks numbers, and its values are {value_type}",
                if self.bottom { "bottom" } else { "top" }
            )));
        }
        let order = vec![
            value.clone().sort(self.bottom, false),
            col(TIME_COLUMN).sort(true, false),
        ];
        let mut frame = frame.filter(value.is_not_null())?;
        if !self.tags.is_empty() {
            let mut per_tags = groups.clone();
            per_tags.extend(self.tags.iter().map(|tag| tag_value(scope, tag)));
            frame = keep_first(frame, per_tags, order.clone(), 1)?;
        }
        keep_first(frame, groups, order, self.count)
    }
}

/// The rows of `frame` among the first `count` of their partition in `order`.
fn keep_first(
    frame: DataFrame,
    partition: Vec<Expr>,
    order: Vec<SortExpr>,
    count: usize,
) -> Result<DataFrame> {
    const RANK: &str = "__rank";
    let columns: Vec<Expr> = frame
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    let rank = row_number()
        .partition_by(partition)
        .order_by(order)
        .build()?
        .alias(RANK);
    frame
        .window(vec![rank])?
        .filter(col(RANK).lt_eq(lit(count as u64)))?
        .select(columns)
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

fn top_or_bottom(expr: &QlExpr) -> Option<&Call> {
    match &expr.kind {
        ExprKind::Call(call) if matches!(call.name.as_str(), "top" | "bottom") => Some(call),
        _ => None,
    }
}

fn is_plain(expr: &QlExpr) -> bool {
    matches!(expr.kind, ExprKind::VarRef { .. } | ExprKind::Wildcard(_))
}
