//! How `query` shows an answer, as influxctl does: a go-pretty table with the columns as
//! named, numbers right-aligned, strings left-aligned and a `| TOTAL | N ROWS |` footer; or
//! JSON, an array with one object a row, keys in name order and times as integers of
//! nanoseconds since the epoch. Dictionary-encoded columns (tags) are shown as their values.

use std::fmt::Write as _;

use anyhow::Context as _;
use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::{DateTime, Utc};
use strata_client::QueryResult;

use crate::cli::TimeFormat;
use crate::render::{Align, Table};

/// One value of an answer.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A decimal, as Arrow writes it.
    Decimal(String),
    Bool(bool),
    Text(String),
    /// Nanoseconds since the epoch.
    Time(i64),
}

impl Cell {
    fn is_number(&self, time_format: TimeFormat) -> bool {
        match self {
            Cell::Int(_) | Cell::UInt(_) | Cell::Float(_) | Cell::Decimal(_) => true,
            Cell::Time(_) => time_format == TimeFormat::UnixNano,
            Cell::Null | Cell::Bool(_) | Cell::Text(_) => false,
        }
    }

    /// As a table shows it.
    fn text(&self, time_format: TimeFormat) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(v) => v.to_string(),
            Cell::UInt(v) => v.to_string(),
            Cell::Float(v) => go_float(*v),
            Cell::Decimal(v) | Cell::Text(v) => v.clone(),
            Cell::Bool(v) => v.to_string(),
            Cell::Time(ns) => match time_format {
                TimeFormat::Rfc3339Nano => rfc3339_nano(*ns),
                TimeFormat::UnixNano => ns.to_string(),
            },
        }
    }

    /// As JSON writes it.
    fn json(&self) -> String {
        match self {
            Cell::Null => "null".to_string(),
            Cell::Int(v) => v.to_string(),
            Cell::UInt(v) => v.to_string(),
            Cell::Float(v) if !v.is_finite() => "null".to_string(),
            Cell::Float(v) if *v != 0.0 && (v.abs() >= 1e21 || v.abs() < 1e-6) => format!("{v:e}"),
            Cell::Float(v) => v.to_string(),
            Cell::Decimal(v) => v.clone(),
            Cell::Bool(v) => v.to_string(),
            Cell::Text(v) => serde_json::Value::String(v.clone()).to_string(),
            Cell::Time(ns) => ns.to_string(),
        }
    }
}

/// A float as Go's `%v` prints it (what influxctl's tables show): the shortest decimal that
/// reads back the same, in exponent form (`1.5e+06`) when the exponent is below -4 or 6 and
/// over.
fn go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let scientific = format!("{v:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("LowerExp writes an exponent");
    let exponent: i32 = exponent.parse().expect("LowerExp writes a number");
    if (-4..6).contains(&exponent) {
        return v.to_string();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// Go's `time.RFC3339Nano` in UTC: trailing zeros of the fraction left out, and the
/// fraction too when it is zero (`2022-01-01T08:00:00Z`, `2022-01-01T08:00:00.5Z`).
fn rfc3339_nano(ns: i64) -> String {
    let at: DateTime<Utc> = DateTime::from_timestamp_nanos(ns);
    let mut out = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    let fraction = at.timestamp_subsec_nanos();
    if fraction > 0 {
        let digits = format!("{fraction:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// The values of a column, decoded.
fn cells(array: &ArrayRef) -> anyhow::Result<Vec<Cell>> {
    let array = match array.data_type() {
        DataType::Dictionary(_, values) => cast(array, values)
            .with_context(|| format!("cannot decode a column of type {}", array.data_type()))?,
        _ => array.clone(),
    };
    let nulls = array.logical_nulls();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let each = |value: &dyn Fn(usize) -> Cell| -> Vec<Cell> {
        (0..array.len())
            .map(|i| if is_null(i) { Cell::Null } else { value(i) })
            .collect()
    };
    let formatter = || {
        ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
            .with_context(|| format!("cannot show a column of type {}", array.data_type()))
    };
    Ok(match array.data_type() {
        DataType::Null => vec![Cell::Null; array.len()],
        DataType::Int8 => each(&|i| Cell::Int(array.as_primitive::<Int8Type>().value(i).into())),
        DataType::Int16 => each(&|i| Cell::Int(array.as_primitive::<Int16Type>().value(i).into())),
        DataType::Int32 => each(&|i| Cell::Int(array.as_primitive::<Int32Type>().value(i).into())),
        DataType::Int64 => each(&|i| Cell::Int(array.as_primitive::<Int64Type>().value(i))),
        DataType::UInt8 => each(&|i| Cell::UInt(array.as_primitive::<UInt8Type>().value(i).into())),
        DataType::UInt16 => {
            each(&|i| Cell::UInt(array.as_primitive::<UInt16Type>().value(i).into()))
        }
        DataType::UInt32 => {
            each(&|i| Cell::UInt(array.as_primitive::<UInt32Type>().value(i).into()))
        }
        DataType::UInt64 => each(&|i| Cell::UInt(array.as_primitive::<UInt64Type>().value(i))),
        // Narrower floats through their own shortest decimal, so 0.1 stays 0.1.
        DataType::Float16 => each(&|i| {
            Cell::Float(short_f64(
                array.as_primitive::<Float16Type>().value(i).to_f32(),
            ))
        }),
        DataType::Float32 => {
            each(&|i| Cell::Float(short_f64(array.as_primitive::<Float32Type>().value(i))))
        }
        DataType::Float64 => each(&|i| Cell::Float(array.as_primitive::<Float64Type>().value(i))),
        DataType::Boolean => each(&|i| Cell::Bool(array.as_boolean().value(i))),
        DataType::Utf8 => each(&|i| Cell::Text(array.as_string::<i32>().value(i).to_string())),
        DataType::LargeUtf8 => each(&|i| Cell::Text(array.as_string::<i64>().value(i).to_string())),
        DataType::Utf8View => each(&|i| Cell::Text(array.as_string_view().value(i).to_string())),
        DataType::Timestamp(unit, _) => each(&|i| match unit {
            TimeUnit::Second => time(array.as_primitive::<TimestampSecondType>().value(i), 1),
            TimeUnit::Millisecond => time(
                array.as_primitive::<TimestampMillisecondType>().value(i),
                1_000,
            ),
            TimeUnit::Microsecond => time(
                array.as_primitive::<TimestampMicrosecondType>().value(i),
                1_000_000,
            ),
            TimeUnit::Nanosecond => {
                Cell::Time(array.as_primitive::<TimestampNanosecondType>().value(i))
            }
        }),
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => {
            let shown = formatter()?;
            each(&|i| Cell::Decimal(shown.value(i).to_string()))
        }
        _ => {
            let shown = formatter()?;
            each(&|i| Cell::Text(shown.value(i).to_string()))
        }
    })
}

/// A time of `per_second` units since the epoch; beyond what nanoseconds can hold (before
/// 1677 or after 2262), as RFC 3339 text.
fn time(value: i64, per_second: i64) -> Cell {
    if let Some(ns) = value.checked_mul(1_000_000_000 / per_second) {
        return Cell::Time(ns);
    }
    let secs = value.div_euclid(per_second);
    let nanos = value.rem_euclid(per_second) * (1_000_000_000 / per_second);
    match DateTime::from_timestamp(secs, nanos as u32) {
        Some(at) => Cell::Text(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        None => Cell::Text(value.to_string()),
    }
}

/// An `f32` as the `f64` of its shortest decimal.
fn short_f64(v: f32) -> f64 {
    if !v.is_finite() {
        return v.into();
    }
    v.to_string().parse().unwrap_or(v.into())
}

/// The answer's columns: names and values, all batches one after another.
fn columns(result: &QueryResult) -> anyhow::Result<Vec<(String, Vec<Cell>)>> {
    let mut columns: Vec<(String, Vec<Cell>)> = result
        .schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), Vec::new()))
        .collect();
    for batch in &result.batches {
        anyhow::ensure!(
            batch.num_columns() == columns.len(),
            "the server sent a record batch of {} columns for a schema of {}",
            batch.num_columns(),
            columns.len()
        );
        for (column, array) in columns.iter_mut().zip(batch.columns()) {
            column.1.extend(cells(array)?);
        }
    }
    Ok(columns)
}

/// The table influxctl prints. A column is right-aligned (header and footer too) when all
/// its values are numbers, as go-pretty does; a table of one column gets a second, empty
/// one for the footer's row count.
pub fn table(result: &QueryResult, time_format: TimeFormat) -> anyhow::Result<String> {
    let mut columns = columns(result)?;
    let rows = result.num_rows();
    while columns.len() < 2 {
        columns.push((String::new(), vec![Cell::Null; rows]));
    }
    let heads: Vec<(&str, Align)> = columns
        .iter()
        .map(|(name, values)| {
            let numeric = values
                .iter()
                .all(|v| *v == Cell::Null || v.is_number(time_format));
            let align = if numeric { Align::Right } else { Align::Left };
            (name.as_str(), align)
        })
        .collect();
    let mut table = Table::new(&heads);
    for row in 0..rows {
        table.row(
            columns
                .iter()
                .map(|(_, values)| values[row].text(time_format))
                .collect(),
        );
    }
    let mut footer = vec!["TOTAL".to_string(), format!("{rows} ROWS")];
    footer.resize(columns.len(), String::new());
    table.footer(footer);
    Ok(table.render())
}

/// An array of one object a row, keys in name order, pretty-printed as the other commands'
/// JSON; `[]` without rows.
pub fn json(result: &QueryResult) -> anyhow::Result<String> {
    let mut columns = columns(result)?;
    let rows = result.num_rows();
    if rows == 0 {
        return Ok("[]".to_string());
    }
    columns.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<String> = columns
        .iter()
        .map(|(name, _)| serde_json::Value::String(name.clone()).to_string())
        .collect();
    let mut out = String::from("[\n");
    for row in 0..rows {
        if columns.is_empty() {
            out.push_str("  {}");
        } else {
            out.push_str("  {\n");
            for (i, ((_, values), key)) in columns.iter().zip(&keys).enumerate() {
                let comma = if i + 1 < columns.len() { "," } else { "" };
                let _ = writeln!(out, "    {key}: {}{comma}", values[row].json());
            }
            out.push_str("  }");
        }
        out.push_str(if row + 1 < rows { ",\n" } else { "\n" });
    }
    out.push(']');
    Ok(out)
}

/// What `--perf-debug` shows: the client's figures (the server sends no statistics).
pub struct Perf {
    pub duration: std::time::Duration,
    pub rows: usize,
    pub bytes: u64,
}

impl Perf {
    /// `Metric | Value` rows with human units.
    pub fn table(&self) -> String {
        let mut table = Table::new(&[("Metric", Align::Left), ("Value", Align::Left)]);
        table.row(vec![
            "Client Duration".into(),
            human_duration(self.duration),
        ]);
        table.row(vec!["Output Rows".into(), self.rows.to_string()]);
        table.row(vec!["Output Size".into(), human_bytes(self.bytes)]);
        table.render()
    }

    /// influxctl's keys.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "client_duration_secs": self.duration.as_secs_f64(),
            "output_bytes": self.bytes,
            "output_rows": self.rows,
        })
    }
}

/// `1.619 s`, `7.0 ms`, `42.0 µs`, `800 ns`.
fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.1} ms", secs * 1e3)
    } else if secs >= 1e-6 {
        format!("{:.1} µs", secs * 1e6)
    } else {
        format!("{} ns", d.as_nanos())
    }
}

/// `64 B`, `1.5 kB`, `83 MB` (decimal units, as go-humanize writes them).
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 10 {
        return format!("{bytes} B");
    }
    let exponent = ((bytes as f64).log10() / 3.0).floor() as usize;
    let exponent = exponent.min(UNITS.len() - 1);
    let value = (bytes as f64 / 1000f64.powi(exponent as i32) * 10.0 + 0.5).floor() / 10.0;
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[exponent])
    } else {
        format!("{value:.0} {}", UNITS[exponent])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BooleanArray, DictionaryArray, Float64Array, Int64Array, StringArray,
        TimestampNanosecondArray, TimestampSecondArray, UInt64Array,
    };
    use arrow::datatypes::{Field, Schema};
    use arrow::record_batch::RecordBatch;

    use super::*;

    fn result(columns: Vec<(&str, ArrayRef)>) -> QueryResult {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let batch =
            RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
                .unwrap();
        QueryResult {
            schema,
            batches: vec![batch],
            bytes: 0,
        }
    }

    fn home() -> QueryResult {
        let rooms: DictionaryArray<Int32Type> = vec![Some("Kitchen"), Some("Living Room")]
            .into_iter()
            .collect();
        result(vec![
            ("co", Arc::new(Int64Array::from(vec![0, 12]))),
            ("hum", Arc::new(Float64Array::from(vec![35.9, 36.0]))),
            ("room", Arc::new(rooms)),
            ("temp", Arc::new(Float64Array::from(vec![Some(21.0), None]))),
            (
                "time",
                Arc::new(TimestampNanosecondArray::from(vec![
                    1_641_024_000_000_000_000,
                    1_641_027_600_500_000_000,
                ])),
            ),
        ])
    }

    #[test]
    fn tables_look_like_influxctls() {
        assert_eq!(
            table(&home(), TimeFormat::Rfc3339Nano).unwrap(),
            "\
+-------+--------+-------------+------+------------------------+
|    co |    hum | room        | temp | time                   |
+-------+--------+-------------+------+------------------------+
|     0 |   35.9 | Kitchen     |   21 | 2022-01-01T08:00:00Z   |
|    12 |     36 | Living Room |      | 2022-01-01T09:00:00.5Z |
+-------+--------+-------------+------+------------------------+
| TOTAL | 2 ROWS |             |      |                        |
+-------+--------+-------------+------+------------------------+
"
        );
        let unix = table(&home(), TimeFormat::UnixNano).unwrap();
        assert!(
            unix.contains("| Kitchen     |   21 | 1641024000000000000 |"),
            "{unix}"
        );
    }

    #[test]
    fn one_column_gets_a_second_for_the_footer() {
        let answer = result(vec![("n", Arc::new(UInt64Array::from(vec![3])))]);
        assert_eq!(
            table(&answer, TimeFormat::Rfc3339Nano).unwrap(),
            "\
+-------+--------+
|     n |        |
+-------+--------+
|     3 |        |
+-------+--------+
| TOTAL | 1 ROWS |
+-------+--------+
"
        );
    }

    #[test]
    fn json_is_an_array_of_objects_in_name_order() {
        let answer = result(vec![
            ("time", Arc::new(TimestampSecondArray::from(vec![1, 2]))),
            ("b", Arc::new(BooleanArray::from(vec![Some(true), None]))),
            (
                "a \"quoted\"",
                Arc::new(StringArray::from(vec!["x\ny", "z"])),
            ),
            ("f", Arc::new(Float64Array::from(vec![f64::NAN, 2.5e-7]))),
        ]);
        let text = json(&answer).unwrap();
        assert_eq!(
            text,
            "\
[
  {
    \"a \\\"quoted\\\"\": \"x\\ny\",
    \"b\": true,
    \"f\": null,
    \"time\": 1000000000
  },
  {
    \"a \\\"quoted\\\"\": \"z\",
    \"b\": null,
    \"f\": 2.5e-7,
    \"time\": 2000000000
  }
]"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[1]["f"], 2.5e-7);
        let empty = result(vec![("a", Arc::new(Int64Array::from(Vec::<i64>::new())))]);
        assert_eq!(json(&empty).unwrap(), "[]");
    }

    #[test]
    fn floats_as_go_prints_them() {
        for (v, text) in [
            (21.0, "21"),
            (35.9, "35.9"),
            (-0.5, "-0.5"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (1e-100, "1e-100"),
            (f64::INFINITY, "+Inf"),
            (0.0, "0"),
        ] {
            assert_eq!(go_float(v), text, "{v}");
        }
        assert_eq!(short_f64(0.1f32), 0.1);
    }

    #[test]
    fn rfc3339_nano_trims_the_fraction() {
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(1), "1970-01-01T00:00:00.000000001Z");
        assert_eq!(rfc3339_nano(-1_500_000_000), "1969-12-31T23:59:58.5Z");
        assert_eq!(time(1, 1), Cell::Time(1_000_000_000));
        assert_eq!(
            time(-10_000_000_000_000, 1_000),
            Cell::Text("1653-02-10T06:13:20Z".into())
        );
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(64), "64 B");
        assert_eq!(human_bytes(1500), "1.5 kB");
        assert_eq!(human_bytes(82_854_982), "83 MB");
        use std::time::Duration;
        assert_eq!(human_duration(Duration::from_millis(1619)), "1.619 s");
        assert_eq!(human_duration(Duration::from_micros(7000)), "7.0 ms");
        assert_eq!(human_duration(Duration::from_nanos(42_000)), "42.0 µs");
    }
}
