//! The SHOW statements: from the catalog, and from the data when a `WHERE` clause or tag
//! values need it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::Column;
use datafusion::common::TableReference;
use datafusion::error::Result;
use datafusion::functions_aggregate::expr_fn::{count, min};
use datafusion::logical_expr::{Expr, cast, col, lit};
use datafusion::prelude::{DataFrame, SessionContext};
use strata_influxql::{
    CardinalityOf, ComparisonOperator, Condition, ConditionKind, Dimension, DimensionKind,
    ExprKind, Literal, QualifiedMeasurementName, ShowCardinality, ShowFieldKeys, ShowMeasurements,
    ShowSeries, ShowTagKeys, ShowTagValues, VarRefDataType, WithKey, WithMeasurement,
};
use strata_types::{ColumnType, DatabaseSchema, Status, TIME_COLUMN, TableSchema};

use super::expr::{self, Scope, TimeRange};
use super::fill::Shaping;
use super::select::{compile, measurements as resolve, now};
use super::{CollectedTable, MEASUREMENT_COLUMN, ReadAccess, SeriesLayout, invalid, string_table};
use crate::QueryEngine;

fn by_measurement() -> SeriesLayout {
    SeriesLayout {
        has_measurement: true,
        tag_columns: Vec::new(),
    }
}

/// `LIMIT`/`OFFSET` of a SHOW statement, per measurement.
fn limited(
    table: CollectedTable,
    limit: Option<u64>,
    offset: Option<u64>,
) -> Result<CollectedTable> {
    let shaping = Shaping {
        limit: limit.map(|l| l as usize),
        offset: offset.unwrap_or(0) as usize,
        ..Shaping::default()
    };
    Ok(CollectedTable { shaping, ..table })
}

/// The names of the active databases the caller may read, sorted.
async fn readable_databases(
    engine: &QueryEngine,
    access: &dyn ReadAccess,
) -> strata_types::Result<Vec<String>> {
    let mut names: Vec<String> = engine
        .catalog
        .list_databases(Some(Status::Active))
        .await?
        .into_iter()
        .filter(|d| access.may_read(d.id))
        .map(|d| d.name)
        .collect();
    names.sort();
    Ok(names)
}

/// `SHOW DATABASES`: the active databases the caller may read.
pub(super) async fn databases(
    engine: &QueryEngine,
    access: &dyn ReadAccess,
) -> strata_types::Result<CollectedTable> {
    let names = readable_databases(engine, access).await?;
    let measurement = vec!["databases".to_string(); names.len()];
    Ok(string_table(
        vec![(MEASUREMENT_COLUMN, measurement), ("name", names)],
        by_measurement(),
    ))
}

/// A Go-style duration, as InfluxDB 1.x prints retention policies: `720h0m0s`, `0s`.
fn go_duration(ns: i64) -> String {
    let seconds = ns / 1_000_000_000;
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// `SHOW RETENTION POLICIES`: one policy per database, its retention period (`0s`:
/// forever); `db/rp` databases name theirs.
pub(super) fn retention_policies(schema: &DatabaseSchema) -> CollectedTable {
    const HOUR: i64 = 3_600_000_000_000;
    let retention = schema.database.retention_period_ns;
    let shard_group = match retention {
        0 => 168 * HOUR,
        r if r < 2 * 24 * HOUR => HOUR,
        r if r < 180 * 24 * HOUR => 24 * HOUR,
        _ => 168 * HOUR,
    };
    let name = schema
        .database
        .name
        .split_once('/')
        .map_or("autogen", |(_, rp)| rp);
    let fields = vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("duration", DataType::Utf8, false),
        Field::new("shardGroupDuration", DataType::Utf8, false),
        Field::new("replicaN", DataType::Int64, false),
        Field::new("default", DataType::Boolean, false),
    ];
    let schema = Arc::new(Schema::new(fields));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![name])),
        Arc::new(StringArray::from(vec![go_duration(retention)])),
        Arc::new(StringArray::from(vec![go_duration(shard_group)])),
        Arc::new(Int64Array::from(vec![1])),
        Arc::new(BooleanArray::from(vec![true])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("one row per column");
    CollectedTable {
        result: crate::QueryResult {
            schema,
            batches: vec![batch],
        },
        layout: SeriesLayout {
            has_measurement: false,
            tag_columns: Vec::new(),
        },
        shaping: Shaping::default(),
        empty_series: Vec::new(),
    }
}

/// A measurement's rows that satisfy `condition` (all of them without one).
async fn rows(
    context: &SessionContext,
    table: &TableSchema,
    condition: Option<&Condition>,
    params: &HashMap<String, Literal>,
) -> Result<DataFrame> {
    let frame = context
        .table(TableReference::bare(table.table.name.clone()))
        .await?;
    let Some(condition) = condition else {
        return Ok(frame);
    };
    let state = context.state();
    let scope = Scope {
        table,
        params,
        functions: &state,
        now: now(),
        read_beyond: None,
    };
    frame.filter(expr::condition(
        condition,
        &scope,
        &mut TimeRange::default(),
    )?)
}

/// Whether a measurement has a row satisfying `condition`. A condition on tags alone asks for
/// the earliest time, which the series statistics answer; any other reads rows until the
/// first match.
async fn has_rows(
    context: &SessionContext,
    table: &TableSchema,
    condition: &Condition,
    params: &HashMap<String, Literal>,
) -> Result<bool> {
    let matching = rows(context, table, Some(condition), params).await?;
    let on_tags_only = matching.logical_plan().expressions().iter().all(|e| {
        e.column_refs().iter().all(|c| {
            table
                .columns
                .iter()
                .any(|t| t.name == c.name && t.column_type == ColumnType::Tag)
        })
    });
    if !on_tags_only {
        return Ok(matching.limit(0, Some(1))?.count().await? > 0);
    }
    let earliest = matching.aggregate(vec![], vec![min(col(TIME_COLUMN)).alias("first")])?;
    let batches = crate::collect(earliest).await?;
    Ok(batches
        .iter()
        .any(|b| b.num_rows() > 0 && b.column(0).null_count() < b.num_rows()))
}

/// The measurements a SHOW statement's `FROM` names, or all of them.
fn from<'a>(
    schema: &'a DatabaseSchema,
    from: &'a [QualifiedMeasurementName],
) -> Result<Vec<&'a TableSchema>> {
    if from.is_empty() {
        let mut all: Vec<_> = schema.tables.iter().collect();
        all.sort_by(|a, b| a.table.name.cmp(&b.table.name));
        return Ok(all);
    }
    resolve(schema, from.iter().map(|m| &m.name))
}

fn columns_of(table: &TableSchema, kind: impl Fn(ColumnType) -> bool) -> Vec<&str> {
    let mut names: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| kind(c.column_type))
        .map(|c| c.name.as_str())
        .collect();
    names.sort();
    names
}

/// `SHOW MEASUREMENTS`: the measurements, those `WITH MEASUREMENT` names, and of those the
/// ones with rows satisfying `WHERE`.
pub(super) async fn measurements(
    context: &SessionContext,
    schema: &DatabaseSchema,
    show: &ShowMeasurements,
    params: &HashMap<String, Literal>,
) -> Result<CollectedTable> {
    let regex = match &show.with_measurement {
        Some(WithMeasurement::Regex(regex)) => Some(compile(&regex.pattern)?),
        _ => None,
    };
    let mut names = Vec::new();
    for table in from(schema, &[])? {
        let name = table.table.name.as_str();
        let named = match &show.with_measurement {
            None => true,
            Some(WithMeasurement::Equals(wanted)) => wanted.value == name,
            Some(WithMeasurement::Regex(_)) => regex.as_ref().is_some_and(|r| r.is_match(name)),
        };
        if !named {
            continue;
        }
        if let Some(condition) = &show.condition
            && !has_rows(context, table, condition, params).await?
        {
            continue;
        }
        names.push(name.to_string());
    }
    let measurement = vec!["measurements".to_string(); names.len()];
    limited(
        string_table(
            vec![(MEASUREMENT_COLUMN, measurement), ("name", names)],
            by_measurement(),
        ),
        show.limit,
        show.offset,
    )
}

/// `SHOW TAG KEYS`: each measurement's tag keys; with `WHERE`, those set on a matching row.
pub(super) async fn tag_keys(
    context: &SessionContext,
    schema: &DatabaseSchema,
    show: &ShowTagKeys,
    params: &HashMap<String, Literal>,
) -> Result<CollectedTable> {
    let (mut measurement, mut keys) = (Vec::new(), Vec::new());
    for table in from(schema, &show.from)? {
        let tags = columns_of(table, |t| t == ColumnType::Tag);
        let present: Vec<&str> = match &show.condition {
            None => tags,
            Some(condition) if !tags.is_empty() => {
                let counts: Vec<Expr> = tags
                    .iter()
                    .map(|t| count(col(Column::new_unqualified(*t))).alias(*t))
                    .collect();
                let frame = rows(context, table, Some(condition), params).await?;
                let batches = crate::collect(frame.aggregate(vec![], counts)?).await?;
                tags.into_iter()
                    .filter(|t| {
                        batches.iter().any(|b| {
                            b.column_by_name(t)
                                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                                .is_some_and(|c| c.iter().flatten().any(|n| n > 0))
                        })
                    })
                    .collect()
            }
            Some(_) => Vec::new(),
        };
        for key in present {
            measurement.push(table.table.name.clone());
            keys.push(key.to_string());
        }
    }
    limited(
        string_table(
            vec![(MEASUREMENT_COLUMN, measurement), ("tagKey", keys)],
            by_measurement(),
        ),
        show.limit,
        show.offset,
    )
}

/// Whether `WITH KEY` picks a tag key.
fn key_wanted(with: &WithKey, key: &str, regex: Option<&regex::Regex>) -> bool {
    match with {
        WithKey::Eq(k) => k.value == key,
        WithKey::NotEq(k) => k.value != key,
        WithKey::EqRegex(_) => regex.is_some_and(|r| r.is_match(key)),
        WithKey::NotEqRegex(_) => regex.is_some_and(|r| !r.is_match(key)),
        WithKey::In(keys) => keys.iter().any(|k| k.value == key),
    }
}

/// `SHOW TAG VALUES … WITH KEY …`: the distinct values of the chosen tag keys, per
/// measurement, sorted by key then value.
pub(super) async fn tag_values(
    context: &SessionContext,
    schema: &DatabaseSchema,
    show: &ShowTagValues,
    params: &HashMap<String, Literal>,
) -> Result<CollectedTable> {
    let regex = match &show.with_key {
        WithKey::EqRegex(r) | WithKey::NotEqRegex(r) => Some(compile(&r.pattern)?),
        _ => None,
    };
    let (mut measurement, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for table in from(schema, &show.from)? {
        let wanted: Vec<&str> = columns_of(table, |t| t == ColumnType::Tag)
            .into_iter()
            .filter(|key| key_wanted(&show.with_key, key, regex.as_ref()))
            .collect();
        for key in wanted {
            let column = col(Column::new_unqualified(key));
            let frame = rows(context, table, show.condition.as_ref(), params).await?;
            let distinct = frame
                .filter(column.clone().is_not_null())?
                .aggregate(vec![cast(column, DataType::Utf8).alias("value")], vec![])?;
            let batches = crate::collect(distinct).await?;
            let mut found: Vec<String> = batches
                .iter()
                .flat_map(|b| {
                    let array = b.column(0).as_string::<i32>();
                    (0..array.len())
                        .filter(|&i| array.is_valid(i))
                        .map(|i| array.value(i).to_string())
                        .collect::<Vec<_>>()
                })
                .collect();
            found.sort();
            for value in found {
                measurement.push(table.table.name.clone());
                keys.push(key.to_string());
                values.push(value);
            }
        }
    }
    limited(
        string_table(
            vec![
                (MEASUREMENT_COLUMN, measurement),
                ("key", keys),
                ("value", values),
            ],
            by_measurement(),
        ),
        show.limit,
        show.offset,
    )
}

/// `SHOW SERIES`: the series keys (`measurement,tag=value,…`, tags in name order, escaped as
/// InfluxDB 1.x prints them) of the measurements' series with rows satisfying `WHERE`, sorted,
/// `LIMIT`/`OFFSET` over the whole list; one unnamed series.
pub(super) async fn series(
    context: &SessionContext,
    schema: &DatabaseSchema,
    show: &ShowSeries,
    params: &HashMap<String, Literal>,
) -> Result<CollectedTable> {
    let mut keys: Vec<String> = Vec::new();
    for table in from(schema, &show.from)? {
        let name = table.table.name.as_str();
        let tags = columns_of(table, |t| t == ColumnType::Tag);
        let frame = rows(context, table, show.condition.as_ref(), params).await?;
        for values in series_in(frame, &tags).await? {
            let mut key = series_key_part(name, false);
            for (tag, value) in tags.iter().zip(&values) {
                if let Some(value) = value {
                    key.push(',');
                    key.push_str(&series_key_part(tag, true));
                    key.push('=');
                    key.push_str(&series_key_part(value, true));
                }
            }
            keys.push(key);
        }
    }
    keys.sort();
    let keys: Vec<String> = keys
        .into_iter()
        .skip(show.offset.unwrap_or(0) as usize)
        .take(show.limit.map_or(usize::MAX, |l| l as usize))
        .collect();
    Ok(string_table(
        vec![("key", keys)],
        SeriesLayout {
            has_measurement: false,
            tag_columns: Vec::new(),
        },
    ))
}

/// The series of a measurement's rows `frame`: for each, the values of its `tags` (`None`:
/// not set). Grouping by tags alone, the series statistics answer it without reading rows.
async fn series_in(frame: DataFrame, tags: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
    if tags.is_empty() {
        let counted = frame.aggregate(vec![], vec![count(lit(1)).alias("rows")])?;
        let batches = crate::collect(counted).await?;
        let any = batches.iter().any(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .is_some_and(|c| c.iter().flatten().any(|n| n > 0))
        });
        return Ok(if any { vec![Vec::new()] } else { Vec::new() });
    }
    let groups: Vec<Expr> = tags
        .iter()
        .map(|t| cast(col(Column::new_unqualified(*t)), DataType::Utf8).alias(*t))
        .collect();
    let batches = crate::collect(frame.aggregate(groups, vec![])?).await?;
    let mut series = Vec::new();
    for batch in &batches {
        let columns: Vec<&StringArray> = (0..tags.len())
            .map(|i| batch.column(i).as_string::<i32>())
            .collect();
        for row in 0..batch.num_rows() {
            series.push(
                columns
                    .iter()
                    .map(|c| c.is_valid(row).then(|| c.value(row).to_string()))
                    .collect(),
            );
        }
    }
    Ok(series)
}

/// A measurement name (or, `in_tags`, a tag key or value) escaped as in a series key:
/// commas and spaces, and in tags equals signs, get a backslash.
fn series_key_part(text: &str, in_tags: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == ',' || c == ' ' || (in_tags && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// InfluxQL's name for a field type.
fn field_type(column: ColumnType) -> &'static str {
    match column {
        ColumnType::Float => "float",
        ColumnType::Integer => "integer",
        ColumnType::UInteger => "unsigned",
        ColumnType::String => "string",
        ColumnType::Boolean => "boolean",
        ColumnType::Tag | ColumnType::Time => "",
    }
}

/// `SHOW FIELD KEYS`: each measurement's fields and their types.
pub(super) fn field_keys(schema: &DatabaseSchema, show: &ShowFieldKeys) -> Result<CollectedTable> {
    let tables = from(schema, &show.from)?;
    let (mut measurement, mut keys, mut types) = (Vec::new(), Vec::new(), Vec::new());
    for table in tables {
        let mut fields: Vec<_> = table
            .columns
            .iter()
            .filter(|c| c.column_type.is_field())
            .collect();
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        for field in fields {
            measurement.push(table.table.name.clone());
            keys.push(field.name.clone());
            types.push(field_type(field.column_type).to_string());
        }
    }
    let table = string_table(
        vec![
            (MEASUREMENT_COLUMN, measurement),
            ("fieldKey", keys),
            ("fieldType", types),
        ],
        by_measurement(),
    );
    limited(table, show.limit, show.offset)
}

/// `SHOW CONTINUOUS QUERIES`: Strata runs none, so each database the caller may read is a
/// series with InfluxDB's columns and no values, as 1.x lists a database without queries.
pub(super) async fn continuous_queries(
    engine: &QueryEngine,
    access: &dyn ReadAccess,
) -> strata_types::Result<CollectedTable> {
    let names = readable_databases(engine, access).await?;
    let mut table = string_table(
        vec![
            (MEASUREMENT_COLUMN, Vec::new()),
            ("name", Vec::new()),
            ("query", Vec::new()),
        ],
        by_measurement(),
    );
    table.empty_series = names.into_iter().map(Some).collect();
    Ok(table)
}

/// `SHOW USERS`: InfluxDB 1.x's users do not exist here (people sign in to the management
/// API, programs use tokens), so its one unnamed series has columns and no values.
pub(super) fn users() -> CollectedTable {
    let fields = vec![
        Field::new("user", DataType::Utf8, false),
        Field::new("admin", DataType::Boolean, false),
    ];
    let mut table = empty_table(fields, false);
    table.empty_series = vec![None];
    table
}

/// `SHOW SUBSCRIPTIONS`: there are none, and 1.x lists no series then.
pub(super) fn subscriptions() -> CollectedTable {
    let fields = vec![
        Field::new(MEASUREMENT_COLUMN, DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("mode", DataType::Utf8, false),
        Field::new("destinations", DataType::Utf8, false),
    ];
    empty_table(fields, true)
}

/// A table of no rows.
fn empty_table(fields: Vec<Field>, has_measurement: bool) -> CollectedTable {
    let schema = Arc::new(Schema::new(fields));
    CollectedTable {
        result: crate::QueryResult {
            batches: vec![RecordBatch::new_empty(schema.clone())],
            schema,
        },
        layout: SeriesLayout {
            has_measurement,
            tag_columns: Vec::new(),
        },
        shaping: Shaping::default(),
        empty_series: Vec::new(),
    }
}

/// The statement's name, for its errors.
fn cardinality_statement(show: &ShowCardinality) -> String {
    let what = match show.of {
        CardinalityOf::Series => "SERIES",
        CardinalityOf::Measurements => "MEASUREMENT",
        CardinalityOf::TagKeys => "TAG KEY",
        CardinalityOf::TagValues(_) => "TAG VALUES",
        CardinalityOf::FieldKeys => "FIELD KEY",
    };
    let exact = if show.exact { " EXACT" } else { "" };
    format!("SHOW {what}{exact} CARDINALITY")
}

/// `SHOW … [EXACT] CARDINALITY`, as InfluxDB 1.x answers it: counts over the series of the
/// measurements (their tags, from the series statistics) whose tags satisfy `WHERE`, one
/// `count` per measurement (one in all for `MEASUREMENT`) and `GROUP BY` tag values, none
/// where nothing is counted. Series and measurements without `EXACT` or any clause are one
/// `cardinality estimation`, which is exact here.
pub(super) async fn cardinality(
    context: &SessionContext,
    schema: &DatabaseSchema,
    show: &ShowCardinality,
    params: &HashMap<String, Literal>,
) -> Result<CollectedTable> {
    if show
        .group_by
        .iter()
        .any(|d| matches!(d.kind, DimensionKind::Time { .. }))
    {
        return Err(invalid(format!(
            "{} cannot GROUP BY time(): it counts series, which have no time; group by tags",
            cardinality_statement(show)
        )));
    }
    let on_time = show.condition.as_ref().is_some_and(mentions_time);
    let per_measurement = !matches!(show.of, CardinalityOf::Measurements);
    if on_time {
        // InfluxDB refuses time for all but TAG VALUES, which then counts nothing.
        if matches!(show.of, CardinalityOf::TagValues(_)) {
            return Ok(counts_table(per_measurement, &[], Vec::new(), "count"));
        }
        return Err(invalid(format!(
            "{} does not support time in WHERE: it counts the series of all time; remove the time condition",
            cardinality_statement(show)
        )));
    }
    let estimate = !show.exact
        && matches!(show.of, CardinalityOf::Series | CardinalityOf::Measurements)
        && show.from.is_empty()
        && show.condition.is_none()
        && show.group_by.is_empty()
        && show.limit.unwrap_or(0) == 0
        && show.offset.unwrap_or(0) == 0;
    let tables = from(schema, &show.from)?;
    let dimensions = grouped_tags(&show.group_by, &tables)?;
    let key_regex = match &show.of {
        CardinalityOf::TagValues(WithKey::EqRegex(r) | WithKey::NotEqRegex(r)) => {
            Some(compile(&r.pattern)?)
        }
        _ => None,
    };
    // (measurement, group's tag values) → the series counted, or the distinct names or
    // values of which the count is taken.
    let mut groups: BTreeMap<(String, Vec<String>), (i64, BTreeSet<String>)> = BTreeMap::new();
    for table in tables {
        let name = table.table.name.as_str();
        let tags = columns_of(table, |t| t == ColumnType::Tag);
        let filter = match &show.condition {
            Some(condition) => Some(SeriesFilter::new(condition, table, params)?),
            None => None,
        };
        let fields = columns_of(table, |t| t.is_field());
        let frame = context
            .table(TableReference::bare(table.table.name.clone()))
            .await?;
        for values in series_in(frame, &tags).await? {
            let series_tags = SeriesTags {
                keys: &tags,
                values: &values,
            };
            if filter.as_ref().is_some_and(|f| !f.matches(&series_tags)) {
                continue;
            }
            let measurement = if per_measurement { name } else { "" };
            let group: Vec<String> = dimensions
                .iter()
                .map(|d| series_tags.get(d).to_string())
                .collect();
            let (series, distinct) = groups.entry((measurement.to_string(), group)).or_default();
            *series += 1;
            match &show.of {
                CardinalityOf::Series => {}
                CardinalityOf::Measurements => {
                    distinct.insert(name.to_string());
                }
                CardinalityOf::TagKeys => {
                    for (key, value) in tags.iter().zip(&values) {
                        if value.is_some() {
                            distinct.insert(key.to_string());
                        }
                    }
                }
                CardinalityOf::TagValues(with_key) => {
                    for (key, value) in tags.iter().zip(&values) {
                        if let Some(value) = value
                            && key_wanted(with_key, key, key_regex.as_ref())
                        {
                            distinct.insert(value.clone());
                        }
                    }
                }
                CardinalityOf::FieldKeys => {
                    distinct.extend(fields.iter().map(|f| f.to_string()));
                }
            }
        }
    }
    let counted = groups.into_iter().filter_map(|(key, (series, distinct))| {
        let count = match show.of {
            CardinalityOf::Series => series,
            _ => distinct.len() as i64,
        };
        (count > 0).then_some((key, count))
    });
    if estimate {
        let total = counted.map(|(_, count)| count).sum();
        return Ok(counts_table(
            false,
            &[],
            vec![((String::new(), Vec::new()), total)],
            "cardinality estimation",
        ));
    }
    // Each series of the answer holds one row: OFFSET 1 leaves none, and LIMIT cuts nothing.
    let counted = if show.offset.unwrap_or(0) > 0 {
        Vec::new()
    } else {
        counted.collect()
    };
    Ok(counts_table(per_measurement, &dimensions, counted, "count"))
}

/// The counts of `SHOW … CARDINALITY`: a series per measurement (when `per_measurement`) and
/// values of the grouped tags, each of one row.
fn counts_table(
    per_measurement: bool,
    dimensions: &[String],
    counts: Vec<((String, Vec<String>), i64)>,
    column: &str,
) -> CollectedTable {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    if per_measurement {
        fields.push(Field::new(MEASUREMENT_COLUMN, DataType::Utf8, false));
        let names = counts.iter().map(|((m, _), _)| m.as_str());
        columns.push(Arc::new(StringArray::from_iter_values(names)));
    }
    for (i, dimension) in dimensions.iter().enumerate() {
        fields.push(Field::new(dimension, DataType::Utf8, false));
        let values = counts.iter().map(|((_, group), _)| group[i].as_str());
        columns.push(Arc::new(StringArray::from_iter_values(values)));
    }
    fields.push(Field::new(column, DataType::Int64, false));
    columns.push(Arc::new(Int64Array::from_iter_values(
        counts.iter().map(|(_, count)| *count),
    )));
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("one row per count");
    CollectedTable {
        result: crate::QueryResult {
            schema,
            batches: vec![batch],
        },
        layout: SeriesLayout {
            has_measurement: per_measurement,
            tag_columns: dimensions.to_vec(),
        },
        shaping: Shaping::default(),
        empty_series: Vec::new(),
    }
}

/// The tag keys `GROUP BY` names, sorted: a regex and `*` stand for the keys of all the
/// measurements counted (a measurement without one of them reads it as "").
fn grouped_tags(dimensions: &[Dimension], tables: &[&TableSchema]) -> Result<Vec<String>> {
    let all: BTreeSet<&str> = tables
        .iter()
        .flat_map(|t| columns_of(t, |c| c == ColumnType::Tag))
        .collect();
    let mut grouped = BTreeSet::new();
    for dimension in dimensions {
        match &dimension.kind {
            DimensionKind::Tag(key) => {
                grouped.insert(key.value.clone());
            }
            DimensionKind::Regex(regex) => {
                let regex = compile(&regex.pattern)?;
                grouped.extend(
                    all.iter()
                        .filter(|k| regex.is_match(k))
                        .map(|k| k.to_string()),
                );
            }
            DimensionKind::Wildcard => grouped.extend(all.iter().map(|k| k.to_string())),
            DimensionKind::Time { .. } => {}
        }
    }
    Ok(grouped.into_iter().collect())
}

/// Whether a condition compares `time`.
#[recursive::recursive]
fn mentions_time(condition: &Condition) -> bool {
    let is_time = |e: &strata_influxql::Expr| matches!(&e.kind, ExprKind::VarRef { name, .. } if name.value.eq_ignore_ascii_case(TIME_COLUMN));
    match &condition.kind {
        ConditionKind::And(lhs, rhs) | ConditionKind::Or(lhs, rhs) => {
            mentions_time(lhs) || mentions_time(rhs)
        }
        ConditionKind::Comparison { lhs, rhs, .. } => is_time(lhs) || is_time(rhs),
        ConditionKind::Expr(_) => false,
    }
}

/// One series' tags: its measurement's tag keys and its values of them.
struct SeriesTags<'a> {
    keys: &'a [&'a str],
    values: &'a [Option<String>],
}

impl SeriesTags<'_> {
    /// The value of tag `key`, "" when the series has none.
    fn get(&self, key: &str) -> &str {
        self.keys
            .iter()
            .position(|k| *k == key)
            .and_then(|i| self.values[i].as_deref())
            .unwrap_or("")
    }
}

/// A `WHERE` clause as InfluxDB 1.x's series index reads it for one measurement: a tag
/// compared with `=`, `!=`, `=~` or `!~` to a string or regex (a tag not set reads as "");
/// any other comparison, of a field above all, is false.
enum SeriesFilter {
    Constant(bool),
    And(Box<SeriesFilter>, Box<SeriesFilter>),
    Or(Box<SeriesFilter>, Box<SeriesFilter>),
    Tag { key: String, test: TagTest },
}

enum TagTest {
    Equals(String),
    NotEquals(String),
    Matches(regex::Regex),
    NotMatches(regex::Regex),
}

impl SeriesFilter {
    #[recursive::recursive]
    fn new(
        condition: &Condition,
        table: &TableSchema,
        params: &HashMap<String, Literal>,
    ) -> Result<Self> {
        let both = |lhs, rhs| -> Result<(Box<Self>, Box<Self>)> {
            Ok((
                Box::new(Self::new(lhs, table, params)?),
                Box::new(Self::new(rhs, table, params)?),
            ))
        };
        Ok(match &condition.kind {
            ConditionKind::And(lhs, rhs) => {
                let (lhs, rhs) = both(lhs, rhs)?;
                SeriesFilter::And(lhs, rhs)
            }
            ConditionKind::Or(lhs, rhs) => {
                let (lhs, rhs) = both(lhs, rhs)?;
                SeriesFilter::Or(lhs, rhs)
            }
            ConditionKind::Expr(e) => SeriesFilter::Constant(matches!(
                literal_of(e, params)?,
                Some(Literal::Boolean(true))
            )),
            ConditionKind::Comparison { lhs, op, rhs } => {
                // The tag on either side: `'a' = host` is `host = 'a'`.
                let (key, value) = match (tag_of(lhs, table), tag_of(rhs, table)) {
                    (Some(key), None) => (key, rhs),
                    (None, Some(key)) => (key, lhs),
                    _ => return Ok(SeriesFilter::Constant(false)),
                };
                let test = match (op, literal_of(value, params)?) {
                    (ComparisonOperator::Eq, Some(Literal::String(s))) => {
                        TagTest::Equals(s.clone())
                    }
                    (ComparisonOperator::NotEq, Some(Literal::String(s))) => {
                        TagTest::NotEquals(s.clone())
                    }
                    (ComparisonOperator::EqRegex, Some(Literal::Regex(r))) => {
                        TagTest::Matches(compile(&r.pattern)?)
                    }
                    (ComparisonOperator::NotEqRegex, Some(Literal::Regex(r))) => {
                        TagTest::NotMatches(compile(&r.pattern)?)
                    }
                    _ => return Ok(SeriesFilter::Constant(false)),
                };
                SeriesFilter::Tag { key, test }
            }
        })
    }

    /// Whether a series passes.
    #[recursive::recursive]
    fn matches(&self, tags: &SeriesTags<'_>) -> bool {
        match self {
            SeriesFilter::Constant(value) => *value,
            SeriesFilter::And(lhs, rhs) => lhs.matches(tags) && rhs.matches(tags),
            SeriesFilter::Or(lhs, rhs) => lhs.matches(tags) || rhs.matches(tags),
            SeriesFilter::Tag { key, test } => {
                let value = tags.get(key);
                match test {
                    TagTest::Equals(s) => value == s,
                    TagTest::NotEquals(s) => value != s,
                    TagTest::Matches(r) => r.is_match(value),
                    TagTest::NotMatches(r) => !r.is_match(value),
                }
            }
        }
    }
}

/// The tag an expression names: a name that is no field of the table (a tag, or nothing,
/// which reads as a tag not set), or one cast `::tag`.
fn tag_of(expr: &strata_influxql::Expr, table: &TableSchema) -> Option<String> {
    let ExprKind::VarRef { name, data_type } = &expr.kind else {
        return None;
    };
    let is_field = table
        .columns
        .iter()
        .any(|c| c.name == name.value && c.column_type.is_field());
    match data_type {
        Some(VarRefDataType::Tag) => Some(name.value.clone()),
        Some(_) => None,
        None if is_field => None,
        None => Some(name.value.clone()),
    }
}

/// The value of a literal or bound parameter; `None` for any other expression.
fn literal_of<'a>(
    expr: &'a strata_influxql::Expr,
    params: &'a HashMap<String, Literal>,
) -> Result<Option<&'a Literal>> {
    match &expr.kind {
        ExprKind::Literal(literal) => Ok(Some(literal)),
        ExprKind::BindParameter(name) => params.get(name).map(Some).ok_or_else(|| {
            invalid(format!(
                "missing parameter ${name}: give its value in the request's params"
            ))
        }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use strata_influxql::{Literal, Statement, parse_statement};
    use strata_types::{Column, ColumnType, Status, Table, TableSchema};

    use super::{SeriesFilter, SeriesTags, go_duration, mentions_time, series_key_part};

    fn cpu() -> TableSchema {
        TableSchema {
            table: Table {
                id: 1,
                database_id: 1,
                name: "cpu".into(),
                partition_template: None,
                status: Status::Active,
                created_at: chrono::Utc::now(),
                deleted_at: None,
            },
            columns: vec![
                Column::new("host", ColumnType::Tag),
                Column::new("region", ColumnType::Tag),
                Column::new("usage", ColumnType::Float),
                Column::new("time", ColumnType::Time),
            ],
        }
    }

    /// Which of the series (host, region) `WHERE condition` keeps, by host.
    fn kept(condition: &str, params: &HashMap<String, Literal>) -> Vec<&'static str> {
        let text = format!("SHOW SERIES CARDINALITY WHERE {condition}");
        let Ok(Statement::ShowCardinality(show)) = parse_statement(&text) else {
            panic!("{text}")
        };
        let filter = SeriesFilter::new(show.condition.as_ref().unwrap(), &cpu(), params)
            .unwrap_or_else(|e| panic!("{condition}: {e}"));
        let keys = ["host", "region"];
        let series = [
            ("a", [Some("a".to_string()), Some("east".to_string())]),
            ("b", [Some("b".to_string()), None]),
        ];
        series
            .iter()
            .filter(|(_, values)| {
                filter.matches(&SeriesTags {
                    keys: &keys,
                    values,
                })
            })
            .map(|(host, _)| *host)
            .collect()
    }

    #[test]
    fn series_are_filtered_on_tags_as_influxdb_series_index_does() {
        let none = HashMap::new();
        assert_eq!(kept("host = 'a'", &none), ["a"]);
        assert_eq!(kept("'a' = host", &none), ["a"]);
        assert_eq!(kept("host::tag != 'a'", &none), ["b"]);
        assert_eq!(kept("host =~ /a|b/ AND region !~ /w/", &none), ["a", "b"]);
        // A tag not set, and a name that is nothing, read as "".
        assert_eq!(kept("region = ''", &none), ["b"]);
        assert_eq!(kept("nosuch != 'x'", &none), ["a", "b"]);
        // A field, an ordering or a number never matches a series.
        assert!(kept("usage > 1", &none).is_empty());
        assert!(kept("usage != 1", &none).is_empty());
        assert_eq!(kept("host = 'a' OR usage > 1", &none), ["a"]);
        assert!(kept("host > 'a'", &none).is_empty());
        assert!(kept("host != 1", &none).is_empty());
        assert_eq!(kept("true", &none), ["a", "b"]);
        let params = HashMap::from([("h".to_string(), Literal::String("b".into()))]);
        assert_eq!(kept("host = $h", &params), ["b"]);
    }

    #[test]
    fn a_missing_parameter_is_named() {
        let Ok(Statement::ShowCardinality(show)) =
            parse_statement("SHOW TAG KEY CARDINALITY WHERE host = $h")
        else {
            panic!()
        };
        let error = SeriesFilter::new(show.condition.as_ref().unwrap(), &cpu(), &HashMap::new())
            .err()
            .expect("no value for $h");
        assert!(
            error.to_string().contains("missing parameter $h"),
            "{error}"
        );
    }

    #[test]
    fn time_is_found_on_either_side_of_a_comparison() {
        let condition = |text: &str| {
            let Ok(Statement::ShowCardinality(show)) =
                parse_statement(&format!("SHOW SERIES CARDINALITY WHERE {text}"))
            else {
                panic!("{text}")
            };
            show.condition.unwrap()
        };
        assert!(mentions_time(&condition("host = 'a' OR time > 0")));
        assert!(mentions_time(&condition("now() - 1h < TIME")));
        assert!(!mentions_time(&condition("host = 'time'")));
    }

    #[test]
    fn series_keys_escape_as_influxdb_prints_them() {
        assert_eq!(series_key_part("my cpu,1=x", false), r"my\ cpu\,1=x");
        assert_eq!(series_key_part("a=b c,d", true), r"a\=b\ c\,d");
    }

    #[test]
    fn durations_print_as_go_does() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(30 * 24 * 3_600_000_000_000), "720h0m0s");
        assert_eq!(go_duration(90 * 60_000_000_000), "1h30m0s");
        assert_eq!(go_duration(5 * 60_000_000_000), "5m0s");
    }
}
