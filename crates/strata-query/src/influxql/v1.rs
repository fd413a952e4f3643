//! InfluxDB 1.x `/query` answers: `{"results":[{"statement_id":0,"series":[{"name",
//! "tags","columns","values"}]}]}` as one document or in chunks, and the 1.x CSV shape.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Float64Type, Int64Type, TimeUnit, TimestampNanosecondType, UInt64Type,
};
use chrono::DateTime;
use serde_json::{Map, Value, json};
use strata_types::{Error, Result};

use super::{InfluxqlTable, MEASUREMENT_COLUMN};

/// The `epoch` parameter: times as integers in this unit instead of RFC 3339 strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epoch {
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl Epoch {
    pub fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "h" => Epoch::Hours,
            "m" => Epoch::Minutes,
            "s" => Epoch::Seconds,
            "ms" => Epoch::Milliseconds,
            "u" | "µ" | "us" => Epoch::Microseconds,
            "ns" => Epoch::Nanoseconds,
            other => {
                return Err(Error::invalid(format!(
                    "epoch {other:?} is not a time unit; use ns, u, µ, ms, s, m or h"
                )));
            }
        })
    }

    fn nanos(self) -> i64 {
        match self {
            Epoch::Hours => 3_600_000_000_000,
            Epoch::Minutes => 60_000_000_000,
            Epoch::Seconds => 1_000_000_000,
            Epoch::Milliseconds => 1_000_000,
            Epoch::Microseconds => 1_000,
            Epoch::Nanoseconds => 1,
        }
    }
}

/// One series: rows of one measurement and tag set.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    name: Option<String>,
    /// Present when the statement grouped by tags (missing tags are "").
    tags: Option<Vec<(String, String)>>,
    columns: Vec<String>,
    values: Vec<Vec<Value>>,
}

impl Series {
    fn to_json(&self, values: &[Vec<Value>], partial: bool) -> Value {
        let mut object = Map::new();
        if let Some(name) = &self.name {
            object.insert("name".into(), json!(name));
        }
        if let Some(tags) = &self.tags {
            let tags: Map<String, Value> =
                tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            object.insert("tags".into(), Value::Object(tags));
        }
        object.insert("columns".into(), json!(self.columns));
        object.insert("values".into(), json!(values));
        if partial {
            object.insert("partial".into(), json!(true));
        }
        Value::Object(object)
    }
}

/// A time as Go's RFC3339Nano prints it: fraction digits without trailing zeros.
fn rfc3339(ns: i64) -> String {
    let time = DateTime::from_timestamp_nanos(ns);
    let seconds = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let fraction = ns.rem_euclid(1_000_000_000);
    if fraction == 0 {
        return format!("{seconds}Z");
    }
    let digits = format!("{fraction:09}");
    format!("{seconds}.{}Z", digits.trim_end_matches('0'))
}

/// A column's values as JSON.
fn json_values(column: &ArrayRef, epoch: Option<Epoch>) -> Result<Vec<Value>> {
    let value_at: Box<dyn Fn(usize) -> Value + '_> = match column.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let array = column.as_primitive::<TimestampNanosecondType>();
            Box::new(move |i| match epoch {
                Some(epoch) => json!(array.value(i).div_euclid(epoch.nanos())),
                None => json!(rfc3339(array.value(i))),
            })
        }
        DataType::Float64 => {
            let array = column.as_primitive::<Float64Type>();
            Box::new(|i| {
                serde_json::Number::from_f64(array.value(i)).map_or(Value::Null, Value::Number)
            })
        }
        DataType::Int64 => {
            let array = column.as_primitive::<Int64Type>();
            Box::new(|i| json!(array.value(i)))
        }
        DataType::UInt64 => {
            let array = column.as_primitive::<UInt64Type>();
            Box::new(|i| json!(array.value(i)))
        }
        DataType::Boolean => {
            let array = column.as_boolean();
            Box::new(|i| json!(array.value(i)))
        }
        DataType::Utf8 => {
            let array = column.as_string::<i32>();
            Box::new(|i| json!(array.value(i)))
        }
        DataType::Null => Box::new(|_| Value::Null),
        _ => {
            let text = cast(column, &DataType::Utf8)
                .map_err(|e| Error::internal(format!("formatting failed: {e}")))?;
            return json_values(&text, epoch);
        }
    };
    Ok((0..column.len())
        .map(|i| {
            if column.is_valid(i) {
                value_at(i)
            } else {
                Value::Null
            }
        })
        .collect())
}

/// The string value of a series-key column at a row ("" when null).
fn key_text(column: &ArrayRef, row: usize) -> &str {
    if column.is_null(row) {
        return "";
    }
    column.as_string::<i32>().value(row)
}

/// A statement's table split into series, in order.
fn series_of(table: &InfluxqlTable, epoch: Option<Epoch>) -> Result<Vec<Series>> {
    let layout = &table.layout;
    let schema = &table.result.schema;
    let is_key = |name: &str| {
        (layout.has_measurement && name == MEASUREMENT_COLUMN)
            || layout.tag_columns.iter().any(|t| t == name)
    };
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|name| !is_key(name))
        .collect();
    let mut series: Vec<Series> = Vec::new();
    for batch in &table.result.batches {
        let batch = utf8_keys(batch, layout)?;
        let name_column = batch
            .column_by_name(MEASUREMENT_COLUMN)
            .filter(|_| layout.has_measurement);
        let tag_columns: Vec<(&String, &ArrayRef)> = layout
            .tag_columns
            .iter()
            .filter_map(|t| batch.column_by_name(t).map(|c| (t, c)))
            .collect();
        let mut value_columns = columns
            .iter()
            .map(|name| {
                let column = batch.column_by_name(name).expect("a column of the schema");
                Ok(json_values(column, epoch)?.into_iter())
            })
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            let values: Vec<Value> = value_columns
                .iter_mut()
                .map(|c| c.next().expect("a value for every row"))
                .collect();
            let name = name_column.map(|c| key_text(c, row));
            // Rows are sorted by series: a row usually continues the last one, and then its
            // key is only compared, not copied.
            let continues = series.last().is_some_and(|last| {
                last.name.as_deref() == name
                    && last.tags.as_ref().is_none_or(|tags| {
                        tags.iter()
                            .zip(&tag_columns)
                            .all(|((_, value), (_, c))| value == key_text(c, row))
                    })
            });
            if continues {
                series.last_mut().expect("a series").values.push(values);
                continue;
            }
            let tags = (!layout.tag_columns.is_empty()).then(|| {
                tag_columns
                    .iter()
                    .map(|(t, c)| ((*t).clone(), key_text(c, row).to_string()))
                    .collect::<Vec<_>>()
            });
            series.push(Series {
                name: name.map(str::to_string),
                tags,
                columns: columns.clone(),
                values: vec![values],
            });
        }
    }
    Ok(series)
}

/// The batch with its series-key columns as plain strings.
fn utf8_keys(batch: &RecordBatch, layout: &super::SeriesLayout) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let key = field.name() == MEASUREMENT_COLUMN || layout.tag_columns.contains(field.name());
        if key && field.data_type() != &DataType::Utf8 {
            columns.push(
                cast(column, &DataType::Utf8)
                    .map_err(|e| Error::internal(format!("formatting failed: {e}")))?,
            );
            fields.push(field.as_ref().clone().with_data_type(DataType::Utf8));
        } else {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
        }
    }
    RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )
    .map_err(|e| Error::internal(format!("formatting failed: {e}")))
}

/// A statement's series, or the message of its error.
fn statement_series(
    result: &Result<InfluxqlTable>,
    epoch: Option<Epoch>,
) -> std::result::Result<Vec<Series>, String> {
    match result {
        Ok(table) => series_of(table, epoch).map_err(|e| e.message),
        Err(e) => Err(e.message.clone()),
    }
}

/// One statement's entry of `results`, whole.
fn statement_json(id: usize, result: &Result<InfluxqlTable>, epoch: Option<Epoch>) -> Value {
    let mut object = Map::new();
    object.insert("statement_id".into(), json!(id));
    match statement_series(result, epoch) {
        Ok(series) => {
            if !series.is_empty() {
                let series: Vec<Value> =
                    series.iter().map(|s| s.to_json(&s.values, false)).collect();
                object.insert("series".into(), Value::Array(series));
            }
        }
        Err(message) => {
            object.insert("error".into(), json!(message));
        }
    }
    Value::Object(object)
}

/// The whole answer as one JSON document.
pub fn encode_json(
    results: &[Result<InfluxqlTable>],
    epoch: Option<Epoch>,
    pretty: bool,
) -> Vec<u8> {
    let statements: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(id, result)| statement_json(id, result, epoch))
        .collect();
    let document = json!({ "results": statements });
    let mut out = if pretty {
        serde_json::to_vec_pretty(&document)
    } else {
        serde_json::to_vec(&document)
    }
    .expect("JSON values serialize");
    out.push(b'\n');
    out
}

/// The answer in chunks of at most `chunk_size` rows, one JSON document per line, as 1.x
/// sends `chunked=true`: a series split over chunks says `"partial": true` in all but its
/// last, and so does a statement with more to come.
pub fn encode_json_chunks(
    results: &[Result<InfluxqlTable>],
    epoch: Option<Epoch>,
    chunk_size: usize,
) -> Vec<Vec<u8>> {
    let chunk_size = chunk_size.max(1);
    let line = |statement: Value| {
        let mut out = serde_json::to_vec(&json!({ "results": [statement] })).expect("JSON");
        out.push(b'\n');
        out
    };
    let mut chunks = Vec::new();
    for (id, result) in results.iter().enumerate() {
        let series = match statement_series(result, epoch) {
            Ok(series) if !series.is_empty() => series,
            _ => {
                chunks.push(line(statement_json(id, result, epoch)));
                continue;
            }
        };
        for (index, one) in series.iter().enumerate() {
            let pieces: Vec<&[Vec<Value>]> = one.values.chunks(chunk_size).collect();
            for (piece_index, piece) in pieces.iter().enumerate() {
                let more_of_series = piece_index + 1 < pieces.len();
                let more_of_statement = more_of_series || index + 1 < series.len();
                let mut statement = Map::new();
                statement.insert("statement_id".into(), json!(id));
                statement.insert("series".into(), json!([one.to_json(piece, more_of_series)]));
                if more_of_statement {
                    statement.insert("partial".into(), json!(true));
                }
                chunks.push(line(Value::Object(statement)));
            }
        }
    }
    chunks
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The answer in 1.x CSV: `name,tags,time,…` headers, times in nanoseconds (or `epoch`), a
/// blank line between statements, and errors as `error` rows.
pub fn encode_csv(results: &[Result<InfluxqlTable>], epoch: Option<Epoch>) -> Vec<u8> {
    let epoch = Some(epoch.unwrap_or(Epoch::Nanoseconds));
    let mut out = String::new();
    for (id, result) in results.iter().enumerate() {
        if id > 0 {
            out.push('\n');
        }
        let series = match statement_series(result, epoch) {
            Ok(series) => series,
            Err(message) => {
                out.push_str(&format!("error\n{}\n", csv_field(&message)));
                continue;
            }
        };
        let mut header: Option<&Vec<String>> = None;
        for one in &series {
            if header != Some(&one.columns) {
                let names: Vec<String> = ["name", "tags"]
                    .into_iter()
                    .map(String::from)
                    .chain(one.columns.iter().map(|c| csv_field(c)))
                    .collect();
                out.push_str(&names.join(","));
                out.push('\n');
                header = Some(&one.columns);
            }
            let tags = one
                .tags
                .iter()
                .flatten()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            for row in &one.values {
                let mut fields = vec![
                    csv_field(one.name.as_deref().unwrap_or("")),
                    csv_field(&tags),
                ];
                fields.extend(row.iter().map(|v| match v {
                    Value::Null => String::new(),
                    Value::String(s) => csv_field(s),
                    // Floats as Go prints them: 10, not 10.0.
                    Value::Number(n) if n.is_f64() => n.as_f64().unwrap_or_default().to_string(),
                    other => other.to_string(),
                }));
                out.push_str(&fields.join(","));
                out.push('\n');
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_like_go_rfc3339nano() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_672_531_200_500_000_000), "2023-01-01T00:00:00.5Z");
        assert_eq!(
            rfc3339(1_672_531_200_000_000_001),
            "2023-01-01T00:00:00.000000001Z"
        );
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn epochs() {
        assert_eq!(Epoch::parse("µ").unwrap(), Epoch::Microseconds);
        assert_eq!(Epoch::parse("u").unwrap(), Epoch::Microseconds);
        assert_eq!(
            Epoch::parse("d").unwrap_err().message,
            "epoch \"d\" is not a time unit; use ns, u, µ, ms, s, m or h"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
