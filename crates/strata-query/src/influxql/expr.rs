//! InfluxQL expressions and `WHERE` conditions as DataFusion expressions over one
//! measurement, with InfluxQL's meaning: a missing tag is the empty string, a missing field
//! is null, and comparisons of `time` bound the query's time range.

use std::collections::HashMap;

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, binary_expr, cast, col, lit, when};
use strata_influxql::{
    BinaryOperator, Call, ComparisonOperator, Condition, ConditionKind, Expr as QlExpr, ExprKind,
    FunctionKind, Literal, VarRefDataType,
};
use strata_types::{ColumnType, TIME_COLUMN, TableSchema};

use super::invalid;
use super::zone::Windows;

/// What names in an expression refer to.
pub(super) struct Scope<'a> {
    pub table: &'a TableSchema,
    pub params: &'a HashMap<String, Literal>,
    pub functions: &'a SessionState,
    /// `now()`, in nanoseconds: one instant for the whole statement.
    pub now: i64,
    /// How far past its range a query reads for its transformations.
    pub read_beyond: Option<ReadBeyond>,
}

/// A `GROUP BY time()` query whose transformations need `intervals` intervals beyond the
/// first of its range, in the order it is answered: before its start (or, `ORDER BY time
/// DESC`, after its end), which moves that time bound.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadBeyond {
    pub windows: Windows,
    pub intervals: i64,
    pub descending: bool,
}

impl ReadBeyond {
    /// The start of the first interval of a range whose first time (last, descending) is
    /// `t`, moved `intervals` intervals on: where the transformation begins.
    pub fn first_interval(&self, t: i64, intervals: i64) -> i64 {
        let moved = intervals.saturating_mul(self.windows.interval);
        let first = self.windows.start(t);
        if self.descending {
            first.saturating_add(moved)
        } else {
            first.saturating_sub(moved)
        }
    }

    /// The time bound to read to, inclusive, for a range bound `t`.
    fn bound(&self, t: i64) -> i64 {
        let first = self.first_interval(t, self.intervals);
        if self.descending {
            first.saturating_add(self.windows.interval - 1)
        } else {
            first
        }
    }
}

/// The time range a condition allows, both ends inclusive, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TimeRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl TimeRange {
    fn lower(&mut self, t: i64) {
        self.min = Some(self.min.map_or(t, |m| m.max(t)));
    }

    fn upper(&mut self, t: i64) {
        self.max = Some(self.max.map_or(t, |m| m.min(t)));
    }

    pub fn contains(&self, t: i64) -> bool {
        self.min.is_none_or(|min| t >= min) && self.max.is_none_or(|max| t <= max)
    }
}

/// The column a name refers to in the measurement, if any (a `::tag`/`::field` cast that
/// does not fit the column's kind makes it refer to nothing).
pub(super) fn column_kind(
    table: &TableSchema,
    name: &str,
    cast: Option<VarRefDataType>,
) -> Option<ColumnType> {
    let column = table.column(name)?.column_type;
    let fits = match cast {
        None => true,
        Some(VarRefDataType::Tag) => column == ColumnType::Tag,
        Some(_) => column.is_field(),
    };
    fits.then_some(column)
}

/// A `time` reference, on either side of a comparison.
fn is_time(expr: &QlExpr) -> bool {
    matches!(&expr.kind, ExprKind::VarRef { name, .. } if name.value.eq_ignore_ascii_case(TIME_COLUMN))
}

/// A `WHERE` clause as a filter, and the time range its `AND`ed time comparisons allow.
pub(super) fn condition(
    condition: &Condition,
    scope: &Scope<'_>,
    range: &mut TimeRange,
) -> Result<Expr> {
    condition_in(condition, scope, Some(range))
}

/// `range` is `None` under an `OR`, where a time comparison no longer bounds the query.
#[recursive::recursive]
fn condition_in(
    condition: &Condition,
    scope: &Scope<'_>,
    mut range: Option<&mut TimeRange>,
) -> Result<Expr> {
    match &condition.kind {
        ConditionKind::And(lhs, rhs) => {
            let lhs = condition_in(lhs, scope, range.as_deref_mut())?;
            Ok(lhs.and(condition_in(rhs, scope, range)?))
        }
        ConditionKind::Or(lhs, rhs) => {
            Ok(condition_in(lhs, scope, None)?.or(condition_in(rhs, scope, None)?))
        }
        ConditionKind::Expr(expr) => value(expr, scope),
        ConditionKind::Comparison { lhs, op, rhs } => {
            if is_time(lhs) || is_time(rhs) {
                let (op, other) = if is_time(lhs) {
                    (*op, rhs)
                } else {
                    (swap(*op), lhs)
                };
                time_comparison(op, other, scope, range)
            } else {
                comparison(lhs, *op, rhs, scope)
            }
        }
    }
}

fn swap(op: ComparisonOperator) -> ComparisonOperator {
    use ComparisonOperator::*;
    match op {
        Lt => Gt,
        LtEq => GtEq,
        Gt => Lt,
        GtEq => LtEq,
        other => other,
    }
}

fn time_literal(t: i64) -> Expr {
    lit(ScalarValue::TimestampNanosecond(
        Some(t),
        Some("UTC".into()),
    ))
}

/// `time op value`: a filter on the time column, and a bound of the range when it is
/// reachable through `AND`s alone.
fn time_comparison(
    op: ComparisonOperator,
    value: &QlExpr,
    scope: &Scope<'_>,
    mut range: Option<&mut TimeRange>,
) -> Result<Expr> {
    use ComparisonOperator::*;
    let t = time_value(value, scope)?;
    let time = col(TIME_COLUMN);
    if let (Some(beyond), Some(range)) = (scope.read_beyond, &mut range) {
        // The bound the transformations read past is kept in the range as written.
        match (beyond.descending, op) {
            (false, Gt | GtEq) => {
                let lower = if op == Gt { t.saturating_add(1) } else { t };
                range.lower(lower);
                return Ok(time.gt_eq(time_literal(beyond.bound(lower))));
            }
            (true, Lt | LtEq) => {
                let upper = if op == Lt { t.saturating_sub(1) } else { t };
                range.upper(upper);
                return Ok(time.lt_eq(time_literal(beyond.bound(upper))));
            }
            _ => {}
        }
    }
    let filter = match op {
        Eq => time.eq(time_literal(t)),
        NotEq => time.not_eq(time_literal(t)),
        Lt => time.lt(time_literal(t)),
        LtEq => time.lt_eq(time_literal(t)),
        Gt => time.gt(time_literal(t)),
        GtEq => time.gt_eq(time_literal(t)),
        EqRegex | NotEqRegex => {
            return Err(invalid(format!(
                "time cannot be matched with a regular expression (at char {}); compare it with a timestamp",
                value.span.start + 1
            )));
        }
    };
    if let Some(range) = range {
        match op {
            Eq => {
                range.lower(t);
                range.upper(t);
            }
            Lt => range.upper(t.saturating_sub(1)),
            LtEq => range.upper(t),
            Gt => range.lower(t.saturating_add(1)),
            GtEq => range.lower(t),
            _ => {}
        }
    }
    Ok(filter)
}

/// The instant a time comparison's other side names, in nanoseconds.
#[recursive::recursive]
pub(super) fn time_value(expr: &QlExpr, scope: &Scope<'_>) -> Result<i64> {
    let overflow = || invalid(format!("the time {expr} is out of range"));
    match &expr.kind {
        ExprKind::Literal(literal) => time_of_literal(literal, expr),
        ExprKind::BindParameter(name) => time_of_literal(bound(scope, name)?, expr),
        ExprKind::Call(Call { name, .. }) if name == "now" => Ok(scope.now),
        ExprKind::Binary { lhs, op, rhs } => {
            let (lhs, rhs) = (time_value(lhs, scope)?, time_value(rhs, scope)?);
            match op {
                BinaryOperator::Add => lhs.checked_add(rhs).ok_or_else(overflow),
                BinaryOperator::Sub => lhs.checked_sub(rhs).ok_or_else(overflow),
                _ => Err(invalid(format!(
                    "invalid time expression {expr}: only + and - combine times and durations"
                ))),
            }
        }
        _ => Err(invalid(format!(
            "invalid time comparison with {expr}; compare time with a timestamp string ('2023-01-01T00:00:00Z'), an integer of nanoseconds or now() - 1h"
        ))),
    }
}

fn time_of_literal(literal: &Literal, expr: &QlExpr) -> Result<i64> {
    match literal {
        Literal::String(text) => strata_influxql::parse_timestamp(text).ok_or_else(|| {
            invalid(format!(
                "invalid timestamp string '{text}' (at char {}); write RFC 3339 like '2023-01-01T00:00:00Z'",
                expr.span.start + 1
            ))
        }),
        Literal::Integer(ns) => Ok(*ns),
        Literal::Duration(d) => Ok(d.as_nanos()),
        _ => Err(invalid(format!(
            "invalid time comparison with {expr}; compare time with a timestamp string, an integer of nanoseconds or now() - 1h"
        ))),
    }
}

fn bound<'a>(scope: &'a Scope<'_>, name: &str) -> Result<&'a Literal> {
    scope.params.get(name).ok_or_else(|| {
        invalid(format!(
            "missing parameter ${name}: give its value in the request's params"
        ))
    })
}

/// Whether an expression refers to a tag, or to nothing (which InfluxQL treats as a tag
/// holding the empty string).
fn tag_like(expr: &QlExpr, table: &TableSchema) -> bool {
    match &expr.kind {
        ExprKind::VarRef { name, data_type } => !matches!(
            column_kind(table, &name.value, *data_type),
            Some(kind) if kind.is_field()
        ),
        _ => false,
    }
}

fn string_operand(expr: &QlExpr, scope: &Scope<'_>) -> Result<Option<String>> {
    let literal = match &expr.kind {
        ExprKind::Literal(l) => l,
        ExprKind::BindParameter(name) => bound(scope, name)?,
        _ => return Ok(None),
    };
    Ok(match literal {
        Literal::String(s) => Some(s.clone()),
        _ => None,
    })
}

fn comparison(
    lhs: &QlExpr,
    op: ComparisonOperator,
    rhs: &QlExpr,
    scope: &Scope<'_>,
) -> Result<Expr> {
    use ComparisonOperator::*;
    if let (EqRegex | NotEqRegex, ExprKind::Literal(Literal::Regex(regex))) = (op, &rhs.kind) {
        let pattern = &regex.pattern;
        let compiled = regex::Regex::new(pattern).map_err(|e| {
            invalid(format!(
                "invalid regular expression /{pattern}/ (at char {}): {e}",
                rhs.span.start + 1
            ))
        })?;
        let value = value(lhs, scope)?;
        let operator = if op == EqRegex {
            Operator::RegexMatch
        } else {
            Operator::RegexNotMatch
        };
        let matched = binary_expr(value.clone(), operator, lit(pattern.as_str()));
        // A missing tag is "": it matches when the pattern matches the empty string.
        if tag_like(lhs, scope.table) && compiled.is_match("") == (op == EqRegex) {
            return Ok(value.is_null().or(matched));
        }
        return Ok(matched);
    }
    if matches!(op, Eq | NotEq) {
        let (tag, text) = if tag_like(lhs, scope.table) {
            (lhs, string_operand(rhs, scope)?)
        } else if tag_like(rhs, scope.table) {
            (rhs, string_operand(lhs, scope)?)
        } else {
            (lhs, None)
        };
        if let Some(text) = text {
            let tag = value(tag, scope)?;
            // A missing tag equals "" and differs from every other value.
            return Ok(match (op, text.is_empty()) {
                (Eq, true) => tag.clone().is_null().or(tag.eq(lit(""))),
                (Eq, false) => tag.eq(lit(text)),
                (_, true) => tag.clone().is_not_null().and(tag.not_eq(lit(""))),
                (_, false) => tag.clone().is_null().or(tag.not_eq(lit(text))),
            });
        }
    }
    let operator = match op {
        Eq => Operator::Eq,
        NotEq => Operator::NotEq,
        Lt => Operator::Lt,
        LtEq => Operator::LtEq,
        Gt => Operator::Gt,
        GtEq => Operator::GtEq,
        EqRegex | NotEqRegex => {
            return Err(invalid(format!(
                "{} needs a regular expression on its right, like /pattern/ (at char {})",
                op.as_str(),
                rhs.span.start + 1
            )));
        }
    };
    Ok(binary_expr(
        value(lhs, scope)?,
        operator,
        value(rhs, scope)?,
    ))
}

/// A value expression evaluated row by row (no aggregates).
pub(super) fn value(expr: &QlExpr, scope: &Scope<'_>) -> Result<Expr> {
    value_with(expr, scope, &mut |call, _| {
        Err(invalid(format!(
            "{}() cannot be used here (at char {}): aggregate and selector functions belong in the SELECT list",
            call.name,
            expr.span.start + 1
        )))
    })
}

/// A value expression in which aggregate and selector calls are turned into expressions by
/// `aggregate` (the SELECT list of an aggregate query).
#[recursive::recursive]
pub(super) fn value_with(
    expr: &QlExpr,
    scope: &Scope<'_>,
    aggregate: &mut dyn FnMut(&Call, &QlExpr) -> Result<Expr>,
) -> Result<Expr> {
    match &expr.kind {
        ExprKind::VarRef { name, data_type } => {
            if name.value == TIME_COLUMN {
                return Ok(col(TIME_COLUMN));
            }
            match column_kind(scope.table, &name.value, *data_type) {
                Some(kind) => Ok(cast_as(
                    col(datafusion::common::Column::new_unqualified(
                        name.value.clone(),
                    )),
                    kind,
                    *data_type,
                )),
                None => Ok(lit(ScalarValue::Utf8(None))),
            }
        }
        ExprKind::Literal(literal) => literal_value(literal, expr),
        ExprKind::BindParameter(name) => literal_value(bound(scope, name)?, expr),
        ExprKind::Negate(inner) => Ok(Expr::Negative(Box::new(value_with(
            inner, scope, aggregate,
        )?))),
        ExprKind::Binary { lhs, op, rhs } => {
            let operator = match op {
                BinaryOperator::Add => Operator::Plus,
                BinaryOperator::Sub => Operator::Minus,
                BinaryOperator::Mul => Operator::Multiply,
                BinaryOperator::Div => Operator::Divide,
                BinaryOperator::Mod => Operator::Modulo,
                BinaryOperator::BitwiseAnd => Operator::BitwiseAnd,
                BinaryOperator::BitwiseOr => Operator::BitwiseOr,
                BinaryOperator::BitwiseXor => Operator::BitwiseXor,
            };
            let lhs = value_with(lhs, scope, aggregate)?;
            let rhs = value_with(rhs, scope, aggregate)?;
            if operator == Operator::Divide {
                return divided(lhs, rhs);
            }
            Ok(Expr::BinaryExpr(BinaryExpr::new(
                Box::new(lhs),
                operator,
                Box::new(rhs),
            )))
        }
        ExprKind::Call(call) => match call.kind() {
            Some(FunctionKind::Aggregate | FunctionKind::Selector) => aggregate(call, expr),
            Some(FunctionKind::Math) => {
                // Rounding an integer field leaves it as it is, as InfluxDB does.
                if matches!(call.name.as_str(), "floor" | "ceil" | "round")
                    && let [argument] = &call.args[..]
                    && integer_field(argument, scope)
                {
                    return value_with(argument, scope, aggregate);
                }
                let keeps_type = matches!(call.name.as_str(), "abs" | "floor" | "ceil" | "round");
                let mut args = call
                    .args
                    .iter()
                    .map(|a| {
                        let value = value_with(a, scope, aggregate)?;
                        // The others work on floats (the square root of a negative integer
                        // is NaN, shown as null, not an error).
                        Ok(if keeps_type {
                            value
                        } else {
                            cast(value, DataType::Float64)
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let name = match call.name.as_str() {
                    // InfluxQL's log(x, base) is DataFusion's log(base, x).
                    "log" => {
                        args.reverse();
                        "log"
                    }
                    "pow" => "power",
                    other => other,
                };
                if name == "sqrt" {
                    // No root of a negative number: null, where DataFusion would fail.
                    let x = args[0].clone();
                    return when(x.clone().lt(lit(0.0)), lit(ScalarValue::Float64(None)))
                        .otherwise(scope.functions.udf(name)?.call(args));
                }
                Ok(scope.functions.udf(name)?.call(args))
            }
            Some(FunctionKind::Now) => Ok(time_literal(scope.now)),
            None => Err(invalid(format!("undefined function {}()", call.name))),
            Some(FunctionKind::Transformation) => Err(invalid(format!(
                "function {}() is not supported here (at char {})",
                call.name,
                expr.span.start + 1
            ))),
        },
        ExprKind::Wildcard(_) => Err(invalid(format!(
            "a wildcard cannot be used here (at char {})",
            expr.span.start + 1
        ))),
    }
}

/// A field read with a `::type` cast: numbers converted to the type asked for, anything else
/// (a string as a float, a number as a string) null, as InfluxDB reads it.
fn cast_as(column: Expr, kind: ColumnType, wanted: Option<VarRefDataType>) -> Expr {
    let numeric = matches!(
        kind,
        ColumnType::Float | ColumnType::Integer | ColumnType::UInteger
    );
    let converted = |data_type| {
        if numeric {
            cast(column.clone(), data_type)
        } else {
            lit(ScalarValue::Null)
        }
    };
    match wanted {
        Some(VarRefDataType::Float) => converted(DataType::Float64),
        Some(VarRefDataType::Integer) => converted(DataType::Int64),
        Some(VarRefDataType::Unsigned) => converted(DataType::UInt64),
        Some(VarRefDataType::String) if kind != ColumnType::String => lit(ScalarValue::Null),
        Some(VarRefDataType::Boolean) if kind != ColumnType::Boolean => lit(ScalarValue::Null),
        _ => column,
    }
}

/// Whether an expression is an integer field.
fn integer_field(expr: &QlExpr, scope: &Scope<'_>) -> bool {
    matches!(&expr.kind, ExprKind::VarRef { name, data_type }
        if matches!(
            column_kind(scope.table, &name.value, *data_type),
            Some(ColumnType::Integer | ColumnType::UInteger)
        ) && !matches!(data_type, Some(VarRefDataType::Float)))
}

/// InfluxQL's `/`: a float whatever the operands (5 / 2 is 2.5), and 0 where the divisor is
/// 0, as InfluxDB answers.
fn divided(lhs: Expr, rhs: Expr) -> Result<Expr> {
    let float = |e: Expr| cast(e, DataType::Float64);
    when(float(rhs.clone()).eq(lit(0.0)), lit(0.0)).otherwise(float(lhs) / float(rhs))
}

fn literal_value(literal: &Literal, expr: &QlExpr) -> Result<Expr> {
    Ok(match literal {
        Literal::Integer(i) => lit(*i),
        Literal::Float(f) => lit(*f),
        Literal::String(s) => lit(s.clone()),
        Literal::Boolean(b) => lit(*b),
        Literal::Duration(d) => lit(d.as_nanos()),
        Literal::Regex(_) => {
            return Err(invalid(format!(
                "a regular expression can only follow =~ or !~ (at char {})",
                expr.span.start + 1
            )));
        }
    })
}
