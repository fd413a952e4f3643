//! `SELECT`: one DataFusion plan per measurement of `FROM` (filter, then a projection of the
//! fields or an aggregation by time interval and tags), unioned, sorted by series and time,
//! then shaped into series ([`super::fill`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::datatypes::{
    DataType, Field as ArrowField, IntervalMonthDayNano, Schema, TimeUnit,
};
use datafusion::common::{Column, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::functions_aggregate::expr_fn::{
    avg, count, count_distinct, max, median, min, stddev, sum,
};
use datafusion::functions_aggregate::first_last::{first_value_udaf, last_value_udaf};
use datafusion::logical_expr::{Expr, ExprFunctionExt, SortExpr, cast, col, lit};
use datafusion::physical_plan::EmptyRecordBatchStream;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::prelude::SessionContext;
use strata_influxql::{
    Call, DimensionKind, Expr as QlExpr, ExprKind, Field, Fill, FunctionKind, Literal,
    MeasurementName, MeasurementSelection, SelectStatement, WildcardType,
};
use strata_types::{ColumnType, DatabaseSchema, Error, TIME_COLUMN, TableSchema};

use super::expr::{self, ReadBeyond, Scope, TimeRange, column_kind};
use super::fill::{FillSpec, Shaping, shape};
use super::integral::WindowedIntegrals;
use super::selector::Selector;
use super::subquery;
use super::transform::{Kind, Transform, Transforms};
use super::zone::{self, Windows};
use super::{MEASUREMENT_COLUMN, SeriesLayout, database_name, invalid};

/// The database a SELECT reads: the one its `FROM` names (`db.rp.m`), else the request's.
pub(super) fn database_of(
    select: &SelectStatement,
    request: Option<&str>,
) -> std::result::Result<String, Error> {
    let mut database: Option<String> = None;
    for source in &select.from {
        let named = match source {
            MeasurementSelection::Subquery(inner) => database_of(inner, request)?,
            MeasurementSelection::Name(name) => {
                let db = match (&name.database, request) {
                    (Some(db), _) => db.value.as_str(),
                    (None, Some(db)) => db.split_once('/').map_or(db, |(db, _)| db),
                    (None, None) => return Err(super::database_required()),
                };
                let rp = match &name.retention_policy {
                    Some(rp) => Some(rp.value.as_str()),
                    None => request.and_then(|r| r.split_once('/')).map(|(_, rp)| rp),
                };
                database_name(db, rp)
            }
        };
        match &database {
            Some(first) if *first != named => {
                return Err(Error::invalid(format!(
                    "a statement reads one database, but FROM names \"{first}\" and \"{named}\"; send one statement per database"
                )));
            }
            _ => database = Some(named),
        }
    }
    database.ok_or_else(super::database_required)
}

/// The measurements of `FROM`, in name order; names that do not exist are skipped, as
/// InfluxQL answers them with no series.
pub(super) fn measurements<'a>(
    schema: &'a DatabaseSchema,
    names: impl Iterator<Item = &'a MeasurementName>,
) -> Result<Vec<&'a TableSchema>> {
    let mut found = BTreeSet::new();
    for name in names {
        match name {
            MeasurementName::Name(ident) => {
                if schema.table(&ident.value).is_some() {
                    found.insert(ident.value.as_str());
                }
            }
            MeasurementName::Regex(regex) => {
                let regex = compile(&regex.pattern)?;
                for table in &schema.tables {
                    if regex.is_match(&table.table.name) {
                        found.insert(table.table.name.as_str());
                    }
                }
            }
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|name| schema.table(name))
        .collect())
}

pub(super) fn compile(pattern: &str) -> Result<regex::Regex> {
    regex::Regex::new(pattern)
        .map_err(|e| invalid(format!("invalid regular expression /{pattern}/: {e}")))
}

/// The current time in nanoseconds.
pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Most intervals `fill` may create per series: a guard against `GROUP BY time(1s)` over
/// years.
const MAX_INTERVALS: i64 = 1_000_000;

/// Plans a SELECT and starts it: how its rows split into series, and the rows as they come.
pub(super) async fn run(
    context: &SessionContext,
    schema: &DatabaseSchema,
    select: &SelectStatement,
    params: &HashMap<String, Literal>,
) -> Result<(SeriesLayout, SendableRecordBatchStream)> {
    let zone = time_zone(select)?;
    let names = select.from.iter().filter_map(|s| match s {
        MeasurementSelection::Name(n) => Some(&n.name),
        MeasurementSelection::Subquery(_) => None,
    });
    let mut sources: Vec<Source> = measurements(schema, names)?
        .into_iter()
        .map(|table| Source {
            measurement: lit(table.table.name.clone()),
            groups: Vec::new(),
            schema: table.clone(),
        })
        .collect();
    let aggregate = select.fields.iter().any(|f| has_aggregate(&f.expr));
    if !select.fields.iter().all(|f| has_variable(&f.expr)) {
        return Err(invalid("field must contain at least one variable"));
    }
    let distinct = check_distinct(&select.fields)?;
    let is_integral = |f: &Field| matches!(&f.expr.kind, ExprKind::Call(c) if c.name == "integral");
    // integral() by interval is computed from the points as they stream (integral.rs).
    let integrals_by_interval =
        select.group_by_time().is_some() && select.fields.iter().any(is_integral);
    if integrals_by_interval && !select.fields.iter().all(is_integral) {
        return Err(invalid(
            "integral() with GROUP BY time() cannot be combined with other fields or functions; query them apart",
        ));
    }
    if integrals_by_interval && select.order_by == Some(strata_influxql::Order::Descending) {
        return Err(invalid(
            "integral() with GROUP BY time() is answered in time order only; leave out ORDER BY time DESC",
        ));
    }
    let selector = Selector::of(&select.fields)?;
    let group_by_time = select.group_by_time();
    let windows = windows(select, zone);
    let interval = windows.map(|w| w.interval);
    let intervals_before = check_transforms(&select.fields, interval)?;
    let descending = select.order_by == Some(strata_influxql::Order::Descending);
    let read_beyond = windows
        .filter(|_| intervals_before > 0)
        .map(|windows| ReadBeyond {
            windows,
            intervals: intervals_before,
            descending,
        });
    if group_by_time.is_some() && !aggregate {
        return Err(invalid(
            "GROUP BY time() needs an aggregate or selector function in the SELECT list, like mean(\"value\")",
        ));
    }
    if let Some((interval, _)) = group_by_time
        && interval.as_nanos() <= 0
    {
        return Err(invalid("the GROUP BY time() interval must be positive"));
    }
    // Subqueries run once the statement is known to be valid.
    for source in &select.from {
        if let MeasurementSelection::Subquery(inner) = source {
            let table =
                subquery::register(context, schema, inner, select.condition.as_ref(), params)
                    .await?;
            sources.push(Source {
                schema: table,
                measurement: col(MEASUREMENT_COLUMN),
                groups: vec![col(MEASUREMENT_COLUMN)],
            });
        }
    }
    let state = context.state();
    let now = now();

    let mut plans: Vec<(DataFrame, BTreeSet<String>)> = Vec::new();
    let mut tag_columns: BTreeSet<String> = BTreeSet::new();
    let mut value_names: Vec<String> = Vec::new();
    let mut counts: Vec<String> = Vec::new();
    let mut transforms: Vec<Transform> = Vec::new();
    let mut integral_columns: Vec<(String, i64)> = Vec::new();
    let mut range = TimeRange::default();
    // Whether a measurement was left out because the SELECT list names only its tags.
    let mut tags_only = false;
    for source in &sources {
        let table = &source.schema;
        let scope = Scope {
            table,
            params,
            functions: &state,
            now,
            read_beyond,
        };
        let tags = group_tags(select, table)?;
        let fields = expand(&select.fields, table, &tags)?;
        let fields = untransformed(fields, interval, &mut transforms)?;
        let fields = match &selector {
            Some(selector) => selector.columns(fields),
            None => fields,
        };
        let fields = if integrals_by_interval {
            integrated(fields, &mut integral_columns)?
        } else {
            fields
        };
        let referenced = referenced_fields(fields.iter().map(|(e, _)| e), table);
        if referenced.is_empty() {
            tags_only |= names_only_tags(fields.iter().map(|(e, _)| e), table);
            continue;
        }
        let mut frame = context
            .table(datafusion::common::TableReference::bare(
                table.table.name.clone(),
            ))
            .await?;
        range = TimeRange::default();
        if let Some(condition) = &select.condition {
            frame = frame.filter(expr::condition(condition, &scope, &mut range)?)?;
        }
        if group_by_time.is_some() && range.max.is_none() {
            // Like InfluxDB, interval queries end now unless told otherwise.
            range.max = Some(now);
            frame = frame.filter(col(TIME_COLUMN).lt_eq(time_literal(now)))?;
        }
        let present = referenced
            .iter()
            .map(|f| col(Column::new_unqualified(f.clone())).is_not_null())
            .reduce(Expr::or)
            .expect("at least one field");
        frame = frame.filter(present)?;

        let measurement = source.measurement.clone().alias(MEASUREMENT_COLUMN);
        let tag_output = tags.iter().map(|tag| {
            let value = match column_kind(table, tag, None) {
                Some(ColumnType::Tag) => {
                    cast(col(Column::new_unqualified(tag.clone())), DataType::Utf8)
                }
                _ => lit(ScalarValue::Utf8(None)),
            };
            value.alias(tag)
        });
        let mut projection = vec![measurement];
        let values: Vec<Expr>;
        // The time of a row: its interval's start, unless it shows a point at its own time.
        let mut time = col(TIME_COLUMN);
        if let Some(selector) = &selector {
            let mut groups: Vec<Expr> = tags
                .iter()
                .filter(|tag| column_kind(table, tag, None) == Some(ColumnType::Tag))
                .map(|tag| col(Column::new_unqualified(tag.clone())))
                .collect();
            groups.extend(source.groups.iter().cloned());
            let interval = interval_start(select, &scope)?;
            groups.extend(interval.clone());
            frame = selector.picked(frame, groups, &scope)?;
            if let Some(interval) = interval.filter(|_| !selector.picks_several()) {
                time = interval;
            }
        }
        if aggregate && selector.is_none() && !integrals_by_interval {
            let planned = plan_aggregate(select, &fields, &scope, &tags, &source.groups, range)?;
            frame = frame.aggregate(planned.group_by, planned.aggregates)?;
            if planned.empty_guard {
                frame = frame.filter(col(ROWS).gt(lit(0i64)))?;
            }
            projection.push(planned.time.alias(TIME_COLUMN));
            projection.extend(tag_output);
            values = planned.values;
        } else {
            projection.push(time.alias(TIME_COLUMN));
            projection.extend(tag_output);
            values = fields
                .iter()
                .map(|(e, name)| Ok(expr::value(e, &scope)?.alias(name)))
                .collect::<Result<_>>()?;
        }
        projection.extend(values);
        frame = frame.select(projection)?;
        // Columns of this measurement that name none of its fields: nulls, of whatever type
        // the column has in the measurements that have it.
        let absent: BTreeSet<String> = fields
            .iter()
            .filter(|(e, _)| referenced_fields(std::iter::once(e), table).is_empty())
            .map(|(_, name)| name.clone())
            .collect();
        for (expr, name) in &fields {
            if !value_names.contains(name) {
                value_names.push(name.clone());
            }
            if matches!(&expr.kind, ExprKind::Call(call) if call.name.eq_ignore_ascii_case("count"))
                && !counts.contains(name)
            {
                counts.push(name.clone());
            }
        }
        tag_columns.extend(tags);
        plans.push((frame, absent));
    }
    if plans.is_empty() && tags_only {
        return Err(invalid(
            "the SELECT list names no field of the measurement; select at least one field (tags alone are not points)",
        ));
    }

    let tag_columns: Vec<String> = tag_columns.into_iter().collect();
    let layout = SeriesLayout {
        has_measurement: true,
        tag_columns: tag_columns.clone(),
    };
    if select
        .fields
        .iter()
        .all(|f| matches!(f.expr.kind, ExprKind::Wildcard(_)))
    {
        // `*` over several measurements: every field and tag of any of them, by name.
        value_names.sort();
    }
    let mut plans = same_types(plans, &value_names)?.into_iter();
    let Some(mut frame) = plans.next() else {
        return Ok(empty(layout));
    };
    for other in plans {
        frame = frame.union_by_name(other)?;
    }
    let order: Vec<Expr> = [MEASUREMENT_COLUMN, TIME_COLUMN]
        .into_iter()
        .map(String::from)
        .chain(tag_columns.iter().cloned())
        .chain(value_names)
        .map(|name| col(Column::new_unqualified(name)))
        .collect();
    let mut sort: Vec<SortExpr> = std::iter::once(MEASUREMENT_COLUMN)
        .chain(tag_columns.iter().map(String::as_str))
        // ORDER BY time DESC lists the series backwards too, as InfluxDB does.
        .map(|c| col(Column::new_unqualified(c)).sort(!descending, !descending))
        .collect();
    sort.push(col(TIME_COLUMN).sort(!descending, false));
    if distinct {
        // distinct() lists an interval's values in the order they first came.
        sort.push(col(FIRST_SEEN).sort(true, false));
    }
    // Sorted before the projection, which keeps the order, so that hidden columns can sort.
    frame = frame.sort(sort)?.select(order)?;
    if let Some(zone) = zone {
        // Times shown in the statement's zone: the same instants.
        let zoned = DataType::Timestamp(TimeUnit::Nanosecond, Some(zone.name().into()));
        let columns: Vec<Expr> = frame
            .schema()
            .fields()
            .iter()
            .map(|field| {
                let column = col(Column::new_unqualified(field.name().clone()));
                if field.name() == TIME_COLUMN {
                    cast(column, zoned.clone()).alias(TIME_COLUMN)
                } else {
                    column
                }
            })
            .collect();
        frame = frame.select(columns)?;
    }

    let transforms = (!transforms.is_empty()).then(|| Transforms {
        keep_rows: select
            .fields
            .iter()
            .any(|f| transform_call(&f.expr).is_none()),
        descending,
        ..bounded(transforms, read_beyond, range)
    });
    let fill = match (group_by_time, select.fill) {
        // distinct(), top() and bottom() show the points an interval has: none for an empty
        // one.
        (Some(_), Some(Fill::None)) | (None, _) => None,
        (Some(_), _)
            if distinct
                || integrals_by_interval
                || selector.as_ref().is_some_and(Selector::picks_several) =>
        {
            None
        }
        (Some(_), fill) => windows.map(|windows| FillSpec {
            windows,
            range: transforms.as_ref().map_or(range, |t| t.reads),
            fill: fill.unwrap_or(Fill::Null),
            counts,
            max_intervals: MAX_INTERVALS,
        }),
    };
    // LIMIT 0 and SLIMIT 0 mean no limit, as in InfluxDB.
    let limit = select.limit.filter(|&l| l > 0).map(|l| l as usize);
    let offset = select.offset.unwrap_or(0) as usize;
    // One series needs no splitting: the plan itself can stop after LIMIT rows.
    let one_series = sources.len() == 1
        && sources[0].groups.is_empty()
        && tag_columns.is_empty()
        && fill.is_none()
        && transforms.is_none()
        && !integrals_by_interval;
    if one_series && (limit.is_some() || offset > 0) {
        frame = frame.limit(offset, limit)?;
    }
    let schema = frame.schema().inner().clone();
    let rows = crate::execute(frame).await?;
    let shaping = Shaping {
        fill,
        limit: if one_series { None } else { limit },
        offset: if one_series { 0 } else { offset },
        slimit: select.slimit.filter(|&l| l > 0).map(|l| l as usize),
        soffset: select.soffset.unwrap_or(0) as usize,
        descending,
        transforms: transforms.map(Arc::new),
        integrals: windows.filter(|_| integrals_by_interval).map(|windows| {
            Arc::new(WindowedIntegrals {
                columns: integral_columns,
                windows,
            })
        }),
    };
    let memory =
        MemoryConsumer::new("InfluxQL series").register(&context.runtime_env().memory_pool);
    let rows = shape(schema, rows, &layout, shaping, memory)?;
    Ok((layout, rows))
}

/// A measurement a SELECT reads: a table of the database, or a subquery's answer.
struct Source {
    schema: TableSchema,
    /// The name of each row's series: the measurement's, or the inner series'.
    measurement: Expr,
    /// What else splits the groups of an aggregate (a subquery's rows carry several names).
    groups: Vec<Expr>,
}

/// The transformations of a query over `range` (as written), with the times each reads and
/// the times shown.
fn bounded(
    mut transforms: Vec<Transform>,
    beyond: Option<ReadBeyond>,
    range: TimeRange,
) -> Transforms {
    let mut reads = range;
    let mut shown = TimeRange::default();
    // The bound the transformations read past: the range's start, or its end descending
    // (an interval's time is its start).
    let bound = beyond.and_then(|b| if b.descending { range.max } else { range.min });
    if let (Some(beyond), Some(bound)) = (beyond, bound) {
        // The range of the intervals from the one `intervals` beyond the bound's.
        let from = |intervals| {
            let first = beyond.first_interval(bound, intervals);
            if beyond.descending {
                TimeRange {
                    min: None,
                    max: Some(first + beyond.windows.interval - 1),
                }
            } else {
                TimeRange {
                    min: Some(first),
                    max: None,
                }
            }
        };
        for transform in &mut transforms {
            transform.reads = from(transform.kind.intervals_before());
        }
        shown = from(0);
        let widest = from(beyond.intervals);
        reads = TimeRange {
            min: widest.min.or(range.min),
            max: widest.max.or(range.max),
        };
    }
    Transforms {
        transforms,
        keep_rows: false,
        shown,
        reads,
        descending: false,
    }
}

/// The unit of an `integral()`: its second argument, 1s by default.
fn integral_unit(call: &Call, at: &QlExpr) -> Result<i64> {
    match call.args.get(1).map(|a| &a.kind) {
        None => Ok(1_000_000_000),
        Some(ExprKind::Literal(Literal::Duration(d))) if d.as_nanos() > 0 => Ok(d.as_nanos()),
        Some(_) => Err(invalid(format!(
            "second argument to integral must be a positive duration, like integral(\"value\", 1m) (at char {})",
            at.span.start + 1
        ))),
    }
}

/// The SELECT fields, all `integral()`s, replaced by the fields they integrate (under their
/// names); the columns and their units are added to `columns`.
fn integrated(
    fields: Vec<(QlExpr, String)>,
    columns: &mut Vec<(String, i64)>,
) -> Result<Vec<(QlExpr, String)>> {
    fields
        .into_iter()
        .map(|(expr, name)| {
            let ExprKind::Call(call) = &expr.kind else {
                return Ok((expr, name));
            };
            let unit = integral_unit(call, &expr)?;
            if !columns.iter().any(|(c, _)| *c == name) {
                columns.push((name.clone(), unit));
            }
            let argument = call
                .args
                .first()
                .cloned()
                .ok_or_else(|| invalid("integral() needs a field, like integral(\"value\")"))?;
            Ok((argument, name))
        })
        .collect()
}

/// The transformation call a SELECT field is, if it is one.
fn transform_call(expr: &QlExpr) -> Option<&Call> {
    match &expr.kind {
        ExprKind::Call(call) if call.kind() == Some(FunctionKind::Transformation) => Some(call),
        _ => None,
    }
}

/// Whether an expression holds a transformation anywhere.
fn has_transform(expr: &QlExpr) -> bool {
    match &expr.kind {
        ExprKind::Call(call) => {
            call.kind() == Some(FunctionKind::Transformation) || call.args.iter().any(has_transform)
        }
        ExprKind::Binary { lhs, rhs, .. } => has_transform(lhs) || has_transform(rhs),
        ExprKind::Negate(inner) => has_transform(inner),
        _ => false,
    }
}

/// Checks a SELECT's transformations as InfluxDB does; returns how many intervals before
/// its range a `GROUP BY time(interval)` query reads for them.
fn check_transforms(fields: &[Field], interval: Option<i64>) -> Result<i64> {
    let mut intervals_before = 0;
    let mut raw_transforms = false;
    for field in fields {
        let Some(call) = transform_call(&field.expr) else {
            if has_transform(&field.expr) {
                return Err(invalid(format!(
                    "a transformation inside an expression is not supported (at char {}): select it on its own",
                    field.expr.span.start + 1
                )));
            }
            continue;
        };
        let kind = transform_kind(call, &field.expr, interval)?;
        let argument = &call.args[0];
        match interval {
            Some(_) if !has_aggregate(argument) => {
                return Err(invalid(format!(
                    "aggregate function required inside the call to {}",
                    call.name
                )));
            }
            None if has_aggregate(argument) => {
                return Err(invalid(format!(
                    "{} aggregate requires a GROUP BY interval",
                    call.name
                )));
            }
            Some(_) => intervals_before = intervals_before.max(kind.intervals_before()),
            None => raw_transforms = true,
        }
    }
    if raw_transforms && fields.iter().any(|f| transform_call(&f.expr).is_none()) {
        return Err(invalid(
            "mixing aggregate and non-aggregate queries is not supported",
        ));
    }
    Ok(intervals_before)
}

/// The transformation a call asks for, its arguments checked in InfluxDB's words. A change
/// per time is per second by default, per interval in a `GROUP BY time()` query.
fn transform_kind(call: &Call, at: &QlExpr, interval: Option<i64>) -> Result<Kind> {
    let duration = |default: i64| -> Result<i64> {
        match call.args.get(1).map(|a| &a.kind) {
            None => Ok(default),
            Some(ExprKind::Literal(Literal::Duration(d))) if d.as_nanos() > 0 => Ok(d.as_nanos()),
            Some(ExprKind::Literal(Literal::Duration(d))) => Err(invalid(format!(
                "duration argument must be positive, got {d}"
            ))),
            Some(_) => Err(invalid(format!(
                "second argument to {} must be a duration (at char {})",
                call.name,
                at.span.start + 1
            ))),
        }
    };
    let name = call.name.as_str();
    Ok(match name {
        "derivative" | "non_negative_derivative" => Kind::Derivative {
            unit: duration(interval.unwrap_or(1_000_000_000))?,
            non_negative: name == "non_negative_derivative",
        },
        "difference" | "non_negative_difference" => Kind::Difference {
            non_negative: name == "non_negative_difference",
        },
        "elapsed" => Kind::Elapsed { unit: duration(1)? },
        "cumulative_sum" => Kind::CumulativeSum,
        "moving_average" => match call.args.get(1).map(|a| &a.kind) {
            Some(ExprKind::Literal(Literal::Integer(points))) if *points > 1 => {
                Kind::MovingAverage {
                    points: *points as usize,
                }
            }
            Some(ExprKind::Literal(Literal::Integer(points))) => {
                return Err(invalid(format!(
                    "moving_average window must be greater than 1, got {points}"
                )));
            }
            _ => {
                return Err(invalid(format!(
                    "second argument for moving_average must be an integer (at char {})",
                    at.span.start + 1
                )));
            }
        },
        _ => {
            return Err(invalid(format!(
                "function {name}() is not supported (at char {})",
                at.span.start + 1
            )));
        }
    })
}

/// The SELECT fields with each transformation replaced by what it reads (under the
/// transformation's name); the transformations are added to `transforms`.
fn untransformed(
    fields: Vec<(QlExpr, String)>,
    interval: Option<i64>,
    transforms: &mut Vec<Transform>,
) -> Result<Vec<(QlExpr, String)>> {
    fields
        .into_iter()
        .map(|(expr, name)| {
            let Some(call) = transform_call(&expr) else {
                return Ok((expr, name));
            };
            let kind = transform_kind(call, &expr, interval)?;
            if !transforms.iter().any(|t| t.column == name) {
                transforms.push(Transform {
                    column: name.clone(),
                    kind,
                    reads: TimeRange::default(),
                });
            }
            Ok((call.args[0].clone(), name))
        })
        .collect()
}

/// The measurements' frames with each value column of one type, so that they can be put one
/// after the other: where measurements disagree, numbers become floats and anything else
/// strings. A column a measurement has none of the fields for (`absent`) takes the type of the
/// others instead of setting its own.
fn same_types(
    plans: Vec<(DataFrame, BTreeSet<String>)>,
    value_names: &[String],
) -> Result<Vec<DataFrame>> {
    let types: HashMap<&str, DataType> = value_names
        .iter()
        .filter_map(|name| {
            let present: Vec<&DataType> = plans
                .iter()
                .filter(|(_, absent)| !absent.contains(name))
                .filter_map(|(frame, _)| {
                    frame
                        .schema()
                        .field_with_unqualified_name(name)
                        .ok()
                        .map(|f| f.data_type())
                })
                .collect();
            let first = *present.first()?;
            let common = if present.iter().all(|t| *t == first) {
                first.clone()
            } else if present.iter().all(|t| t.is_numeric()) {
                DataType::Float64
            } else {
                DataType::Utf8
            };
            Some((name.as_str(), common))
        })
        .collect();
    plans
        .into_iter()
        .map(|(frame, absent)| {
            let columns: Vec<Expr> = frame
                .schema()
                .fields()
                .iter()
                .map(|field| {
                    let name = field.name();
                    let column = col(Column::new_unqualified(name.clone()));
                    match types.get(name.as_str()) {
                        Some(common) if absent.contains(name) => {
                            cast(lit(ScalarValue::Null), common.clone()).alias(name)
                        }
                        Some(common) if field.data_type() != common => {
                            cast(column, common.clone()).alias(name)
                        }
                        _ => column,
                    }
                })
                .collect();
            frame.select(columns)
        })
        .collect()
}

/// The answer of a SELECT that reads no measurement: no rows.
fn empty(layout: SeriesLayout) -> (SeriesLayout, SendableRecordBatchStream) {
    let schema = Arc::new(Schema::new(vec![
        ArrowField::new(MEASUREMENT_COLUMN, DataType::Utf8, false),
        ArrowField::new(
            TIME_COLUMN,
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        ),
    ]));
    (layout, Box::pin(EmptyRecordBatchStream::new(schema)))
}

pub(super) fn time_literal(t: i64) -> Expr {
    lit(ScalarValue::TimestampNanosecond(
        Some(t),
        Some("UTC".into()),
    ))
}

/// Whether an expression calls an aggregate or selector function.
#[recursive::recursive]
fn has_aggregate(expr: &QlExpr) -> bool {
    match &expr.kind {
        ExprKind::Call(call) => {
            matches!(
                call.kind(),
                Some(
                    strata_influxql::FunctionKind::Aggregate
                        | strata_influxql::FunctionKind::Selector
                )
            ) || call.args.iter().any(has_aggregate)
        }
        ExprKind::Binary { lhs, rhs, .. } => has_aggregate(lhs) || has_aggregate(rhs),
        ExprKind::Negate(inner) => has_aggregate(inner),
        _ => false,
    }
}

/// The tag keys of `GROUP BY` for one measurement, in name order (a regex or `*` picks
/// among the measurement's tags; a named tag it does not have still makes a column).
fn group_tags(select: &SelectStatement, table: &TableSchema) -> Result<Vec<String>> {
    let mut tags = BTreeSet::new();
    let table_tags = || {
        table
            .columns
            .iter()
            .filter(|c| c.column_type == ColumnType::Tag)
            .map(|c| c.name.clone())
    };
    for dimension in &select.group_by {
        match &dimension.kind {
            DimensionKind::Time { .. } => {}
            DimensionKind::Tag(tag) => {
                if column_kind(table, &tag.value, None).is_some_and(ColumnType::is_field) {
                    return Err(invalid(format!(
                        "cannot GROUP BY \"{}\": it is a field of \"{}\", and only tags group series (at char {})",
                        tag.value,
                        table.table.name,
                        dimension.span.start + 1
                    )));
                }
                tags.insert(tag.value.clone());
            }
            DimensionKind::Regex(regex) => {
                let regex = compile(&regex.pattern)?;
                tags.extend(table_tags().filter(|t| regex.is_match(t)));
            }
            DimensionKind::Wildcard => tags.extend(table_tags()),
        }
    }
    Ok(tags.into_iter().collect())
}

/// The SELECT list for one measurement: wildcards expanded (`*`, `*::field`, `mean(*)`),
/// `time` dropped (every answer has it), each with its column name, made unique as
/// InfluxQL does (`mean`, `mean_1`).
fn expand(fields: &[Field], table: &TableSchema, tags: &[String]) -> Result<Vec<(QlExpr, String)>> {
    let mut columns: Vec<_> = table
        .columns
        .iter()
        .filter(|c| c.column_type != ColumnType::Time && !tags.contains(&c.name))
        .collect();
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<(QlExpr, String)> = Vec::new();
    for field in fields {
        match &field.expr.kind {
            ExprKind::Wildcard(kind) => {
                for column in &columns {
                    let wanted = match kind {
                        None => true,
                        Some(WildcardType::Field) => column.column_type.is_field(),
                        Some(WildcardType::Tag) => column.column_type == ColumnType::Tag,
                    };
                    if wanted {
                        out.push((QlExpr::var(column.name.clone()), column.name.clone()));
                    }
                }
            }
            ExprKind::Call(call)
                if matches!(
                    call.args.first(),
                    Some(QlExpr {
                        kind: ExprKind::Wildcard(_),
                        ..
                    })
                ) =>
            {
                let prefix = field
                    .alias
                    .as_ref()
                    .map_or(call.name.as_str(), |a| a.as_str());
                for column in columns
                    .iter()
                    .filter(|c| accepts(&call.name, c.column_type))
                {
                    let mut args = call.args.clone();
                    args[0] = QlExpr::var(column.name.clone());
                    out.push((
                        QlExpr::call(call.name.clone(), args),
                        format!("{prefix}_{}", column.name),
                    ));
                }
            }
            ExprKind::VarRef { name, .. } if name.value == TIME_COLUMN => {}
            _ => {
                let name = match &field.alias {
                    Some(alias) => alias.value.clone(),
                    None => default_name(&field.expr),
                };
                out.push((field.expr.clone(), name));
            }
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, name) in &mut out {
        let n = seen.entry(name.clone()).or_insert(0);
        if *n > 0 {
            *name = format!("{name}_{n}");
        }
        *n += 1;
    }
    Ok(out)
}

/// Whether `function(*)` takes a column of this type.
fn accepts(function: &str, column: ColumnType) -> bool {
    let numeric = matches!(
        column,
        ColumnType::Float | ColumnType::Integer | ColumnType::UInteger
    );
    match function {
        "count" | "first" | "last" | "mode" | "distinct" => column.is_field(),
        _ => numeric,
    }
}

/// InfluxQL's name for an unaliased column: a field's name, a function's name, and the
/// names of both sides of arithmetic joined by `_`.
#[recursive::recursive]
fn default_name(expr: &QlExpr) -> String {
    match &expr.kind {
        ExprKind::VarRef { name, .. } => name.value.clone(),
        ExprKind::Call(call) => call.name.clone(),
        ExprKind::Negate(inner) => default_name(inner),
        ExprKind::Binary { lhs, rhs, .. } => {
            let names: Vec<String> = [lhs, rhs]
                .into_iter()
                .map(|side| default_name(side))
                .filter(|n| !n.is_empty())
                .collect();
            names.join("_")
        }
        _ => String::new(),
    }
}

/// The fields an expression list reads (for "a point is there when one of its selected
/// fields is").
fn referenced_fields<'a>(
    exprs: impl Iterator<Item = &'a QlExpr>,
    table: &TableSchema,
) -> Vec<String> {
    #[recursive::recursive]
    fn walk(expr: &QlExpr, table: &TableSchema, out: &mut BTreeSet<String>) {
        match &expr.kind {
            ExprKind::VarRef { name, data_type }
                if column_kind(table, &name.value, *data_type)
                    .is_some_and(ColumnType::is_field) =>
            {
                out.insert(name.value.clone());
            }
            ExprKind::Call(call) => call.args.iter().for_each(|a| walk(a, table, out)),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, table, out);
                walk(rhs, table, out);
            }
            ExprKind::Negate(inner) => walk(inner, table, out),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for expr in exprs {
        walk(expr, table, &mut out);
    }
    out.into_iter().collect()
}

/// Whether every name in the expressions is a tag of the measurement (fields it lacks are
/// merely absent: no rows, no error).
fn names_only_tags<'a>(exprs: impl Iterator<Item = &'a QlExpr>, table: &TableSchema) -> bool {
    #[recursive::recursive]
    fn walk(expr: &QlExpr, table: &TableSchema, tags: &mut usize, other: &mut usize) {
        match &expr.kind {
            ExprKind::VarRef { name, data_type } => {
                match column_kind(table, &name.value, *data_type) {
                    Some(ColumnType::Tag) => *tags += 1,
                    _ => *other += 1,
                }
            }
            ExprKind::Call(call) => call.args.iter().for_each(|a| walk(a, table, tags, other)),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, table, tags, other);
                walk(rhs, table, tags, other);
            }
            ExprKind::Negate(inner) => walk(inner, table, tags, other),
            _ => {}
        }
    }
    let (mut tags, mut other) = (0, 0);
    for expr in exprs {
        walk(expr, table, &mut tags, &mut other);
    }
    tags > 0 && other == 0
}

/// The hidden count that tells an empty aggregate (no group at all) from a real one.
const ROWS: &str = "__rows";

struct AggregatePlan {
    group_by: Vec<Expr>,
    aggregates: Vec<Expr>,
    /// Whether the aggregation has no group and must drop its row when nothing matched.
    empty_guard: bool,
    time: Expr,
    values: Vec<Expr>,
}

fn plan_aggregate(
    select: &SelectStatement,
    fields: &[(QlExpr, String)],
    scope: &Scope<'_>,
    tags: &[String],
    groups: &[Expr],
    range: TimeRange,
) -> Result<AggregatePlan> {
    let mut group_by: Vec<Expr> = groups
        .iter()
        .map(|g| g.clone().alias(MEASUREMENT_COLUMN))
        .collect();
    if let Some(bucket) = interval_start(select, scope)? {
        group_by.push(bucket.alias(TIME_COLUMN));
    }
    for tag in tags {
        let value = match column_kind(scope.table, tag, None) {
            // Grouped as plain strings: DataFusion groups those faster than dictionaries.
            Some(ColumnType::Tag) => {
                cast(col(Column::new_unqualified(tag.clone())), DataType::Utf8)
            }
            _ => lit(ScalarValue::Utf8(None)),
        };
        group_by.push(value.alias(tag));
    }

    let mut aggregates: Vec<Expr> = Vec::new();
    let mut values = Vec::new();
    if let [(expr, name)] = fields
        && let Some(argument) = distinct_argument(expr)
    {
        // One row per value: the values are a grouping key.
        group_by.push(expr::value(argument, scope)?.alias(name));
        aggregates.push(min(col(TIME_COLUMN)).alias(FIRST_SEEN));
        values.push(col(Column::new_unqualified(name.clone())).alias(name));
        values.push(col(FIRST_SEEN));
        return Ok(AggregatePlan {
            time: interval_time(select, range),
            group_by,
            aggregates,
            empty_guard: false,
            values,
        });
    }
    for (expr, name) in fields {
        if let Some(var) = raw_reference(expr) {
            return Err(invalid(format!(
                "mixing aggregate and non-aggregate queries is not supported: \"{var}\" is not inside a function (at char {})",
                expr.span.start + 1
            )));
        }
        let value = expr::value_with(expr, scope, &mut |call, at| {
            let aggregate = aggregate_call(call, at, scope)?;
            let alias = format!("__a{}", aggregates.len());
            aggregates.push(aggregate.alias(&alias));
            Ok(col(alias))
        })?;
        values.push(value.alias(name));
    }

    // A lone selector reports the time of the point it selected, without GROUP BY time().
    let selector_time = match fields {
        [
            (
                QlExpr {
                    kind: ExprKind::Call(call),
                    ..
                },
                _,
            ),
        ] if select.group_by_time().is_none() => selector_time(call, scope)?,
        _ => None,
    };
    let time = if let Some(selected) = selector_time {
        aggregates.push(selected.alias("__time"));
        col("__time")
    } else {
        interval_time(select, range)
    };
    let empty_guard = group_by.is_empty();
    if empty_guard {
        aggregates.push(count(lit(1i64)).alias(ROWS));
    }
    Ok(AggregatePlan {
        group_by,
        aggregates,
        empty_guard,
        time,
        values,
    })
}

/// The zone of the statement's `tz()`; `None` for UTC.
fn time_zone(select: &SelectStatement) -> Result<Option<chrono_tz::Tz>> {
    select
        .timezone
        .as_deref()
        .map(zone::zone)
        .transpose()
        .map(Option::flatten)
        .map_err(|e| invalid(e.message))
}

/// The statement's `GROUP BY time()` intervals, if it has them.
fn windows(select: &SelectStatement, zone: Option<chrono_tz::Tz>) -> Option<Windows> {
    select.group_by_time().map(|(interval, offset)| Windows {
        interval: interval.as_nanos(),
        offset: offset.map_or(0, |o| o.as_nanos()),
        zone,
    })
}

/// The start of the `GROUP BY time()` interval of each row, if the query has one.
fn interval_start(select: &SelectStatement, scope: &Scope<'_>) -> Result<Option<Expr>> {
    let Some((interval, offset)) = select.group_by_time() else {
        return Ok(None);
    };
    if let Some(windows) = windows(select, time_zone(select)?).filter(|w| w.zone.is_some()) {
        return Ok(Some(windows.udf().call(vec![col(TIME_COLUMN)])));
    }
    let interval = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(
        0,
        0,
        interval.as_nanos(),
    )));
    let origin = time_literal(offset.map_or(0, |o| o.as_nanos()));
    Ok(Some(scope.functions.udf("date_bin")?.call(vec![
        lit(interval),
        col(TIME_COLUMN),
        origin,
    ])))
}

/// The time of an aggregate's row: its interval's start, or without GROUP BY time() the
/// start of the query's range.
fn interval_time(select: &SelectStatement, range: TimeRange) -> Expr {
    if select.group_by_time().is_some() {
        col(TIME_COLUMN)
    } else {
        time_literal(range.min.unwrap_or(0))
    }
}

/// Whether an expression reads a field or tag (or `*`), not constants alone.
fn has_variable(expr: &QlExpr) -> bool {
    match &expr.kind {
        ExprKind::VarRef { .. } | ExprKind::Wildcard(_) => true,
        ExprKind::Call(call) => call.args.iter().any(has_variable),
        ExprKind::Binary { lhs, rhs, .. } => has_variable(lhs) || has_variable(rhs),
        ExprKind::Negate(inner) => has_variable(inner),
        ExprKind::Literal(_) | ExprKind::BindParameter(_) => false,
    }
}

/// The hidden column of when a `distinct()` value first came.
const FIRST_SEEN: &str = "__first_seen";

/// What `distinct(x)` reads, when the expression is one.
fn distinct_argument(expr: &QlExpr) -> Option<&QlExpr> {
    match &expr.kind {
        ExprKind::Call(call) if call.name == "distinct" => call.args.first(),
        _ => None,
    }
}

/// Whether the SELECT is `distinct(x)`, which InfluxDB allows only alone.
fn check_distinct(fields: &[Field]) -> Result<bool> {
    let distinct = fields.iter().any(|f| distinct_argument(&f.expr).is_some());
    if distinct && fields.len() > 1 {
        return Err(invalid(
            "aggregate function distinct() cannot be combined with other functions or fields",
        ));
    }
    Ok(distinct)
}

/// A field or tag used outside any function, if the expression has one.
#[recursive::recursive]
fn raw_reference(expr: &QlExpr) -> Option<String> {
    match &expr.kind {
        ExprKind::VarRef { name, .. } => Some(name.value.clone()),
        ExprKind::Binary { lhs, rhs, .. } => raw_reference(lhs).or_else(|| raw_reference(rhs)),
        ExprKind::Negate(inner) => raw_reference(inner),
        ExprKind::Call(call) if !has_aggregate(expr) => call.args.iter().find_map(raw_reference),
        _ => None,
    }
}

/// The single argument of an aggregate as a DataFusion expression.
fn argument(call: &Call, at: &QlExpr, scope: &Scope<'_>) -> Result<Expr> {
    let arg = call.args.first().ok_or_else(|| {
        invalid(format!(
            "{}() needs an argument (at char {})",
            call.name,
            at.span.start + 1
        ))
    })?;
    if has_aggregate(arg) {
        return Err(invalid(format!(
            "{}() of another aggregate is not supported (at char {})",
            call.name,
            at.span.start + 1
        )));
    }
    expr::value(arg, scope)
}

/// Points in time order. (Of points of several series at one time InfluxDB takes the largest
/// value; so do selectors shown with other fields, but a lone `first` or `last` takes any of
/// them, which keeps it answerable from series statistics.)
fn by_time() -> Vec<SortExpr> {
    vec![col(TIME_COLUMN).sort(true, false)]
}

/// `first_value(value ORDER BY order) FILTER (WHERE filter)`, or `last_value`. (The order
/// and the filter must be built together: building either alone drops the other.)
fn first_or_last(first: bool, value: Expr, order: Vec<SortExpr>, filter: Expr) -> Result<Expr> {
    let function = if first {
        first_value_udaf()
    } else {
        last_value_udaf()
    };
    function
        .call(vec![value])
        .order_by(order)
        .filter(filter)
        .build()
}

/// An InfluxQL aggregate or selector as a DataFusion aggregate. Each ignores the rows where
/// its argument is null (points without that field).
fn aggregate_call(call: &Call, at: &QlExpr, scope: &Scope<'_>) -> Result<Expr> {
    if call.name == "count"
        && let Some(distinct) = call.args.first().and_then(distinct_argument)
    {
        return Ok(count_distinct(expr::value(distinct, scope)?));
    }
    if matches!(
        call.name.as_str(),
        "mean" | "median" | "stddev" | "sum" | "spread" | "percentile" | "integral"
    ) && let Some(QlExpr {
        kind: ExprKind::VarRef { name, data_type },
        ..
    }) = call.args.first()
        && let Some(kind @ (ColumnType::String | ColumnType::Boolean)) =
            column_kind(scope.table, &name.value, *data_type)
    {
        return Err(invalid(format!(
            "{}() needs numbers, and {} holds {} values (at char {})",
            call.name,
            name.value,
            kind.as_str(),
            at.span.start + 1
        )));
    }
    let arg = argument(call, at, scope)?;
    let present = arg.clone().is_not_null();
    let float = cast(arg.clone(), DataType::Float64);
    Ok(match call.name.as_str() {
        "count" => count(arg),
        "sum" => sum(arg),
        "mean" => avg(arg),
        "median" => median(float),
        "min" => min(arg),
        "max" => max(arg),
        "spread" => max(arg.clone()) - min(arg),
        "stddev" => stddev(float),
        "mode" => super::mode::mode().call(vec![arg, col(TIME_COLUMN)]),
        "integral" => {
            super::integral::integral(integral_unit(call, at)?).call(vec![float, col(TIME_COLUMN)])
        }
        "first" => first_or_last(true, arg, by_time(), present)?,
        "last" => first_or_last(false, arg, by_time(), present)?,
        "percentile" => {
            let percent = match call.args.get(1).map(|a| &a.kind) {
                Some(ExprKind::Literal(Literal::Integer(p))) => *p as f64,
                Some(ExprKind::Literal(Literal::Float(p))) => *p,
                _ => {
                    return Err(invalid(format!(
                        "percentile() needs a number as its second argument, like percentile(\"value\", 95) (at char {})",
                        at.span.start + 1
                    )));
                }
            };
            if !(0.0..=100.0).contains(&percent) {
                return Err(invalid(format!(
                    "percentile() takes a percentage between 0 and 100, not {percent} (at char {})",
                    at.span.start + 1
                )));
            }
            super::percentile::percentile(percent).call(vec![float])
        }
        other => {
            return Err(invalid(format!(
                "function {other}() is not supported (at char {}); use count, sum, mean, median, mode, integral, min, max, first, last, spread, stddev or percentile",
                at.span.start + 1
            )));
        }
    })
}

/// The time of the point a lone `first`, `last`, `min` or `max` selects.
fn selector_time(call: &Call, scope: &Scope<'_>) -> Result<Option<Expr>> {
    let Some(arg) = call.args.first() else {
        return Ok(None);
    };
    if !matches!(call.name.as_str(), "first" | "last" | "min" | "max") || has_aggregate(arg) {
        return Ok(None);
    }
    let arg = expr::value(arg, scope)?;
    let present = arg.clone().is_not_null();
    let time = col(TIME_COLUMN);
    let selected = match call.name.as_str() {
        "first" => min(time).filter(present).build()?,
        "last" => max(time).filter(present).build()?,
        // The earliest of the points holding the largest (smallest) value.
        name => {
            let order = vec![
                arg.sort(name == "min", false),
                col(TIME_COLUMN).sort(true, false),
            ];
            first_or_last(true, time, order, present)?
        }
    };
    Ok(Some(selected))
}
