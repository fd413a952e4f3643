//! The SHOW statements: from the catalog, and from the data when a `WHERE` clause or tag
//! values need it.

use std::collections::HashMap;
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
    Condition, Literal, QualifiedMeasurementName, ShowFieldKeys, ShowMeasurements, ShowSeries,
    ShowTagKeys, ShowTagValues, WithKey, WithMeasurement,
};
use strata_types::{ColumnType, DatabaseSchema, Status, TIME_COLUMN, TableSchema};

use super::expr::{self, Scope, TimeRange};
use super::fill::Shaping;
use super::select::{compile, measurements as resolve, now};
use super::{CollectedTable, MEASUREMENT_COLUMN, ReadAccess, SeriesLayout, string_table};
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

/// `SHOW DATABASES`: the active databases the caller may read.
pub(super) async fn databases(
    engine: &QueryEngine,
    access: &dyn ReadAccess,
) -> strata_types::Result<CollectedTable> {
    let mut names: Vec<String> = engine
        .catalog
        .list_databases(Some(Status::Active))
        .await?
        .into_iter()
        .filter(|d| access.may_read(d.id))
        .map(|d| d.name)
        .collect();
    names.sort();
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
        if tags.is_empty() {
            let counted = frame.aggregate(vec![], vec![count(lit(1)).alias("rows")])?;
            let batches = crate::collect(counted).await?;
            let any = batches.iter().any(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .is_some_and(|c| c.iter().flatten().any(|n| n > 0))
            });
            if any {
                keys.push(series_key_part(name, false));
            }
            continue;
        }
        let groups: Vec<Expr> = tags
            .iter()
            .map(|t| cast(col(Column::new_unqualified(*t)), DataType::Utf8).alias(*t))
            .collect();
        let batches = crate::collect(frame.aggregate(groups, vec![])?).await?;
        for batch in &batches {
            let columns: Vec<&StringArray> = (0..tags.len())
                .map(|i| batch.column(i).as_string::<i32>())
                .collect();
            for row in 0..batch.num_rows() {
                let mut key = series_key_part(name, false);
                for (tag, values) in tags.iter().zip(&columns) {
                    if values.is_valid(row) {
                        key.push(',');
                        key.push_str(&series_key_part(tag, true));
                        key.push('=');
                        key.push_str(&series_key_part(values.value(row), true));
                    }
                }
                keys.push(key);
            }
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

#[cfg(test)]
mod tests {
    use super::{go_duration, series_key_part};

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
