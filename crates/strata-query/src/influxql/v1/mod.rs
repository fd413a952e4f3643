//! InfluxDB 1.x `/query` answers, written as the statements' rows stream in:
//! `{"results":[{"statement_id":0,"series":[{"name","tags","columns","values"}]}]}` as one
//! document or in chunks of JSON lines (`chunked=true`), and the 1.x CSV shape.
//!
//! JSON is written directly through serde_json's formatter, never built as a tree: the bytes
//! are those serde_json writes for the document (keys in its maps' order, numbers as it prints
//! them). An error after a statement's first rows is still the statement's: the document
//! closes the statement's series and gives its `error`; chunks end with a line holding it; CSV
//! gives an `error` row. Only the chunk being filled is held (in the statement's memory pool).

use std::ops::Range;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt64Array,
};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Float64Type, Int64Type, SchemaRef, TimeUnit, TimestampNanosecondType, UInt64Type,
};
use bytes::Bytes;
use chrono::DateTime;
use datafusion::execution::memory_pool::MemoryReservation;
use futures::StreamExt;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use strata_types::{Error, Result};

use super::{Event, InfluxqlAnswer, MEASUREMENT_COLUMN, SeriesLayout};
use crate::ByteStream;
use crate::format::csv_field;

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

/// What the caller is told of an error (internal details belong in the server's log).
pub type Describe = fn(Error) -> String;

/// The answer as one JSON document (indented when `pretty`).
pub fn encode_json(
    answer: InfluxqlAnswer,
    epoch: Option<Epoch>,
    pretty: bool,
    describe: Describe,
) -> ByteStream {
    if pretty {
        written(
            answer,
            Document::new(PrettyFormatter::new(), epoch),
            describe,
        )
    } else {
        written(answer, Document::new(CompactFormatter, epoch), describe)
    }
}

/// The answer in chunks of at most `chunk_size` rows, one JSON document per line, as 1.x
/// sends `chunked=true`: a series split over chunks says `"partial": true` in all but its
/// last, and so does a statement with more to come.
pub fn encode_json_chunks(
    answer: InfluxqlAnswer,
    epoch: Option<Epoch>,
    chunk_size: usize,
    describe: Describe,
) -> ByteStream {
    let chunks = Chunks {
        epoch,
        chunk_size: chunk_size.max(1),
        out: Vec::new(),
        statement: None,
    };
    written(answer, chunks, describe)
}

/// The answer in 1.x CSV: `name,tags,time,…` headers, times in nanoseconds (or `epoch`), a
/// blank line between statements, and errors as `error` rows.
pub fn encode_csv(answer: InfluxqlAnswer, epoch: Option<Epoch>, describe: Describe) -> ByteStream {
    let csv = Csv {
        epoch: epoch.unwrap_or(Epoch::Nanoseconds),
        out: Vec::new(),
        statement: None,
    };
    written(answer, csv, describe)
}

/// One way of writing an answer, event by event.
trait AnswerWriter: Send + 'static {
    fn begin(&mut self, statement: Statement, memory: MemoryReservation);
    /// Fails when the rows cannot be written (a chunk larger than the memory pool allows).
    fn rows(&mut self, batch: &RecordBatch) -> Result<()>;
    fn end(&mut self);
    /// Statement `id` failed with `message`, before its first rows or after some.
    fn failed(&mut self, id: usize, message: &str);
    fn finish(&mut self);
    /// The bytes written since the last call.
    fn take(&mut self) -> Vec<u8>;
}

/// `answer` through `writer`, a chunk of bytes for each event that writes some.
fn written(answer: InfluxqlAnswer, writer: impl AnswerWriter, describe: Describe) -> ByteStream {
    futures::stream::unfold(Some((answer, writer)), move |state| async move {
        let (mut answer, mut writer) = state?;
        loop {
            let Some(event) = answer.next().await else {
                writer.finish();
                let bytes = writer.take();
                return (!bytes.is_empty()).then(|| (Ok(Bytes::from(bytes)), None));
            };
            match event {
                Event::Begin {
                    id,
                    layout,
                    schema,
                    memory,
                } => writer.begin(Statement::new(id, layout, &schema), memory),
                Event::Rows(batch) => {
                    if let Err(error) = writer.rows(&batch)
                        && let Some(Event::Failed { id, error }) = answer.fail_statement(error)
                    {
                        writer.failed(id, &describe(error));
                    }
                }
                Event::End => writer.end(),
                Event::Failed { id, error } => writer.failed(id, &describe(error)),
            }
            let bytes = writer.take();
            if !bytes.is_empty() {
                return Some((Ok(Bytes::from(bytes)), Some((answer, writer))));
            }
        }
    })
    .boxed()
}

/// A statement being written: what its rows look like and where its series begin.
struct Statement {
    id: usize,
    layout: SeriesLayout,
    /// The columns shown as values (all but the series key).
    columns: Vec<String>,
    /// The key of the series the last row belonged to.
    last: Option<SeriesKey>,
}

/// A series' name and, when the statement groups by tags, its tags.
#[derive(Debug, Clone, PartialEq)]
struct SeriesKey {
    name: Option<String>,
    tags: Option<Vec<(String, String)>>,
}

/// A batch as the writers read it: series keys as text, and the values.
struct Rows {
    len: usize,
    name: Option<ArrayRef>,
    tags: Vec<(String, ArrayRef)>,
    values: Vec<ArrayRef>,
}

impl Statement {
    fn new(id: usize, layout: SeriesLayout, schema: &SchemaRef) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|name| !is_key(&layout, name))
            .collect();
        Statement {
            id,
            layout,
            columns,
            last: None,
        }
    }

    fn rows(&self, batch: &RecordBatch) -> Result<Rows> {
        let text = |column: &ArrayRef| {
            cast(column, &DataType::Utf8)
                .map_err(|e| Error::internal(format!("formatting failed: {e}")))
        };
        let name = match batch.column_by_name(MEASUREMENT_COLUMN) {
            Some(column) if self.layout.has_measurement => Some(text(column)?),
            _ => None,
        };
        let mut tags = Vec::new();
        for tag in &self.layout.tag_columns {
            if let Some(column) = batch.column_by_name(tag) {
                tags.push((tag.clone(), text(column)?));
            }
        }
        let values = self
            .columns
            .iter()
            .map(|name| {
                let column = batch.column_by_name(name).ok_or_else(|| {
                    Error::internal(format!("formatting failed: no column {name}"))
                })?;
                if Cell::is_shown_as_is(column.data_type()) {
                    Ok(column.clone())
                } else {
                    text(column)
                }
            })
            .collect::<Result<_>>()?;
        Ok(Rows {
            len: batch.num_rows(),
            name,
            tags,
            values,
        })
    }

    /// The runs of rows of one series in `rows`, each with its key when it begins a series
    /// (the first may continue the last batch's).
    fn series_runs(&mut self, rows: &Rows) -> Vec<(Range<usize>, Option<SeriesKey>)> {
        let mut runs: Vec<(Range<usize>, Option<SeriesKey>)> = Vec::new();
        for row in 0..rows.len {
            let continues = self.last.as_ref().is_some_and(|key| key.is_at(rows, row));
            match runs.last_mut() {
                Some((run, _)) if continues => run.end = row + 1,
                _ if continues => runs.push((row..row + 1, None)),
                _ => {
                    let key = SeriesKey::at(&self.layout, rows, row);
                    self.last = Some(key.clone());
                    runs.push((row..row + 1, Some(key)));
                }
            }
        }
        runs
    }
}

fn is_key(layout: &SeriesLayout, name: &str) -> bool {
    (layout.has_measurement && name == MEASUREMENT_COLUMN)
        || layout.tag_columns.iter().any(|t| t == name)
}

/// The string value of a series-key column at a row ("" when null).
fn key_text(column: &ArrayRef, row: usize) -> &str {
    if column.is_null(row) {
        return "";
    }
    column.as_string::<i32>().value(row)
}

impl SeriesKey {
    fn at(layout: &SeriesLayout, rows: &Rows, row: usize) -> Self {
        SeriesKey {
            name: rows.name.as_ref().map(|c| key_text(c, row).to_string()),
            tags: (!layout.tag_columns.is_empty()).then(|| {
                rows.tags
                    .iter()
                    .map(|(tag, c)| (tag.clone(), key_text(c, row).to_string()))
                    .collect()
            }),
        }
    }

    /// Whether `row` belongs to this series (compared, not copied: most rows do).
    fn is_at(&self, rows: &Rows, row: usize) -> bool {
        self.name.as_deref() == rows.name.as_ref().map(|c| key_text(c, row))
            && self.tags.as_ref().is_none_or(|tags| {
                tags.iter()
                    .zip(&rows.tags)
                    .all(|((_, value), (_, c))| value == key_text(c, row))
            })
    }

    /// The tags as `k=v,k=v`, as 1.x CSV shows them.
    fn tags_text(&self) -> String {
        self.tags
            .iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// One column of a batch, typed for writing.
enum Cell<'a> {
    Time(&'a TimestampNanosecondArray),
    Float(&'a Float64Array),
    Int(&'a Int64Array),
    UInt(&'a UInt64Array),
    Bool(&'a BooleanArray),
    Text(&'a StringArray),
    Null,
}

impl<'a> Cell<'a> {
    /// Whether a column of this type is written as it is (others as their text).
    fn is_shown_as_is(data_type: &DataType) -> bool {
        matches!(
            data_type,
            DataType::Timestamp(TimeUnit::Nanosecond, _)
                | DataType::Float64
                | DataType::Int64
                | DataType::UInt64
                | DataType::Boolean
                | DataType::Utf8
                | DataType::Null
        )
    }

    /// `column`, which [`Statement::rows`] made of a type shown as is.
    fn of(column: &'a ArrayRef) -> Self {
        match column.data_type() {
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                Cell::Time(column.as_primitive::<TimestampNanosecondType>())
            }
            DataType::Float64 => Cell::Float(column.as_primitive::<Float64Type>()),
            DataType::Int64 => Cell::Int(column.as_primitive::<Int64Type>()),
            DataType::UInt64 => Cell::UInt(column.as_primitive::<UInt64Type>()),
            DataType::Boolean => Cell::Bool(column.as_boolean()),
            DataType::Utf8 => Cell::Text(column.as_string::<i32>()),
            _ => Cell::Null,
        }
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            Cell::Time(a) => a.is_null(row),
            Cell::Float(a) => a.is_null(row) || !a.value(row).is_finite(),
            Cell::Int(a) => a.is_null(row),
            Cell::UInt(a) => a.is_null(row),
            Cell::Bool(a) => a.is_null(row),
            Cell::Text(a) => a.is_null(row),
            Cell::Null => true,
        }
    }

    /// The value at `row` as JSON, as serde_json writes it (non-finite floats as `null`).
    fn write_json(&self, row: usize, epoch: Option<Epoch>, out: &mut Vec<u8>) {
        if self.is_null(row) {
            out.extend_from_slice(b"null");
            return;
        }
        // Writing to a Vec cannot fail.
        let _ = match self {
            Cell::Time(a) => match epoch {
                Some(epoch) => serde_json::to_writer(out, &a.value(row).div_euclid(epoch.nanos())),
                None => {
                    out.push(b'"');
                    out.extend_from_slice(rfc3339(a.value(row)).as_bytes());
                    out.push(b'"');
                    Ok(())
                }
            },
            Cell::Float(a) => serde_json::to_writer(out, &a.value(row)),
            Cell::Int(a) => serde_json::to_writer(out, &a.value(row)),
            Cell::UInt(a) => serde_json::to_writer(out, &a.value(row)),
            Cell::Bool(a) => serde_json::to_writer(out, &a.value(row)),
            Cell::Text(a) => serde_json::to_writer(out, a.value(row)),
            Cell::Null => Ok(()),
        };
    }

    /// The value at `row` as a 1.x CSV field: times as integers, floats as Go prints them
    /// (10, not 10.0), nothing for null.
    fn write_csv(&self, row: usize, epoch: Epoch, out: &mut Vec<u8>) {
        if self.is_null(row) {
            return;
        }
        let text = match self {
            Cell::Time(a) => a.value(row).div_euclid(epoch.nanos()).to_string(),
            Cell::Float(a) => a.value(row).to_string(),
            Cell::Int(a) => a.value(row).to_string(),
            Cell::UInt(a) => a.value(row).to_string(),
            Cell::Bool(a) => a.value(row).to_string(),
            Cell::Text(a) => csv_field(a.value(row)),
            Cell::Null => String::new(),
        };
        out.extend_from_slice(text.as_bytes());
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

/// JSON written as it goes through a serde_json formatter, which keeps the bytes those of
/// serde_json's own writer (compact, or pretty with its indentation).
struct Json<F> {
    out: Vec<u8>,
    formatter: F,
    /// For each array or object open: whether its next element is its first.
    open: Vec<bool>,
}

impl<F: Formatter> Json<F> {
    fn new(formatter: F) -> Self {
        Json {
            out: Vec::new(),
            formatter,
            open: Vec::new(),
        }
    }

    fn next_is_first(&mut self) -> bool {
        self.open
            .last_mut()
            .map(|first| std::mem::replace(first, false))
            .unwrap_or(true)
    }

    // Writing to a Vec cannot fail: the formatter's results are ignored.
    fn begin_object(&mut self) {
        let _ = self.formatter.begin_object(&mut self.out);
        self.open.push(true);
    }

    /// Opens the value of `key` in the open object; [`Json::end_value`] closes it.
    fn key(&mut self, key: &str) {
        let first = self.next_is_first();
        let _ = self.formatter.begin_object_key(&mut self.out, first);
        self.string(key);
        let _ = self.formatter.end_object_key(&mut self.out);
        let _ = self.formatter.begin_object_value(&mut self.out);
    }

    fn end_value(&mut self) {
        let _ = self.formatter.end_object_value(&mut self.out);
    }

    fn end_object(&mut self) {
        self.open.pop();
        let _ = self.formatter.end_object(&mut self.out);
    }

    fn begin_array(&mut self) {
        let _ = self.formatter.begin_array(&mut self.out);
        self.open.push(true);
    }

    /// Opens the next element of the open array; [`Json::end_element`] closes it.
    fn element(&mut self) {
        let first = self.next_is_first();
        let _ = self.formatter.begin_array_value(&mut self.out, first);
    }

    fn end_element(&mut self) {
        let _ = self.formatter.end_array_value(&mut self.out);
    }

    fn end_array(&mut self) {
        self.open.pop();
        let _ = self.formatter.end_array(&mut self.out);
    }

    fn string(&mut self, text: &str) {
        let _ = serde_json::to_writer(&mut self.out, text);
    }

    fn string_field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
        self.end_value();
    }

    fn number_field(&mut self, key: &str, value: usize) {
        self.key(key);
        let _ = serde_json::to_writer(&mut self.out, &value);
        self.end_value();
    }

    fn true_field(&mut self, key: &str) {
        self.key(key);
        self.out.extend_from_slice(b"true");
        self.end_value();
    }

    /// A series up to its values, which are left open: `{"columns":[…],"name":…,
    /// ["partial":true,]"tags":{…},"values":[`.
    fn begin_series(&mut self, key: &SeriesKey, columns: &[String], partial: bool) {
        self.begin_object();
        self.key("columns");
        self.begin_array();
        for column in columns {
            self.element();
            self.string(column);
            self.end_element();
        }
        self.end_array();
        self.end_value();
        if let Some(name) = &key.name {
            self.string_field("name", name);
        }
        if partial {
            self.true_field("partial");
        }
        if let Some(tags) = &key.tags {
            let mut tags: Vec<&(String, String)> = tags.iter().collect();
            tags.sort();
            self.key("tags");
            self.begin_object();
            for (tag, value) in tags {
                self.string_field(tag, value);
            }
            self.end_object();
            self.end_value();
        }
        self.key("values");
        self.begin_array();
    }

    /// The values of `rows` at `row`, as the next element of the open values.
    fn row(&mut self, cells: &[Cell<'_>], row: usize, epoch: Option<Epoch>) {
        self.element();
        self.begin_array();
        for cell in cells {
            self.element();
            cell.write_json(row, epoch, &mut self.out);
            self.end_element();
        }
        self.end_array();
        self.end_element();
    }

    /// Closes a series begun by [`Json::begin_series`].
    fn end_series(&mut self) {
        self.end_array();
        self.end_value();
        self.end_object();
    }

    /// A whole statement that has only an error: `{"error":…,"statement_id":…}`.
    fn failed_statement(&mut self, id: usize, message: &str) {
        self.begin_object();
        self.string_field("error", message);
        self.number_field("statement_id", id);
        self.end_object();
    }
}

/// The answer as one document, written as it comes.
struct Document<F> {
    json: Json<F>,
    epoch: Option<Epoch>,
    statement: Option<DocumentStatement>,
}

struct DocumentStatement {
    statement: Statement,
    /// Whether `"series":[` is open, and whether a series' values are.
    series_open: bool,
    values_open: bool,
}

impl<F: Formatter> Document<F> {
    fn new(formatter: F, epoch: Option<Epoch>) -> Self {
        let mut json = Json::new(formatter);
        json.begin_object();
        json.key("results");
        json.begin_array();
        Document {
            json,
            epoch,
            statement: None,
        }
    }

    /// Closes the open statement's series, if it has any.
    fn close_series(&mut self) {
        let Some(open) = &mut self.statement else {
            return;
        };
        if open.values_open {
            self.json.end_series();
            self.json.end_element();
            open.values_open = false;
        }
        if open.series_open {
            self.json.end_array();
            self.json.end_value();
            open.series_open = false;
        }
    }
}

impl<F: Formatter + Send + 'static> AnswerWriter for Document<F> {
    fn begin(&mut self, statement: Statement, _memory: MemoryReservation) {
        self.json.element();
        self.json.begin_object();
        self.statement = Some(DocumentStatement {
            statement,
            series_open: false,
            values_open: false,
        });
    }

    fn rows(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(open) = &mut self.statement else {
            return Ok(());
        };
        let rows = open.statement.rows(batch)?;
        let cells: Vec<Cell<'_>> = rows.values.iter().map(Cell::of).collect();
        for (range, starts) in open.statement.series_runs(&rows) {
            if let Some(key) = starts {
                if open.values_open {
                    self.json.end_series();
                    self.json.end_element();
                }
                if !open.series_open {
                    self.json.key("series");
                    self.json.begin_array();
                    open.series_open = true;
                }
                self.json.element();
                self.json.begin_series(&key, &open.statement.columns, false);
                open.values_open = true;
            }
            for row in range {
                self.json.row(&cells, row, self.epoch);
            }
        }
        Ok(())
    }

    fn end(&mut self) {
        self.close_series();
        if let Some(open) = self.statement.take() {
            self.json.number_field("statement_id", open.statement.id);
            self.json.end_object();
            self.json.end_element();
        }
    }

    fn failed(&mut self, id: usize, message: &str) {
        self.close_series();
        match self.statement.take() {
            // After some rows: the statement's series so far, then its error.
            Some(_) => {
                self.json.string_field("error", message);
                self.json.number_field("statement_id", id);
                self.json.end_object();
            }
            None => {
                self.json.element();
                self.json.failed_statement(id, message);
            }
        }
        self.json.end_element();
    }

    fn finish(&mut self) {
        self.json.end_array();
        self.json.end_value();
        self.json.end_object();
        self.json.out.push(b'\n');
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.json.out)
    }
}

/// The answer in JSON lines of at most `chunk_size` rows each.
struct Chunks {
    epoch: Option<Epoch>,
    chunk_size: usize,
    /// Lines written.
    out: Vec<u8>,
    statement: Option<ChunkedStatement>,
}

struct ChunkedStatement {
    statement: Statement,
    /// The chunk being filled.
    chunk: Option<Chunk>,
    /// The chunk's bytes, in the statement's memory pool.
    memory: MemoryReservation,
}

/// Rows of one series waiting to go out as a line.
struct Chunk {
    key: SeriesKey,
    /// The rows, as the elements of an open JSON array.
    values: Json<CompactFormatter>,
    rows: usize,
}

impl Chunk {
    fn new(key: SeriesKey) -> Self {
        let mut values = Json::new(CompactFormatter);
        values.open.push(true);
        Chunk {
            key,
            values,
            rows: 0,
        }
    }
}

/// Writes one line to `out`: `{"results":[` what `write` writes `]}`.
fn line(out: &mut Vec<u8>, write: impl FnOnce(&mut Json<CompactFormatter>)) {
    let mut json = Json::new(CompactFormatter);
    json.begin_object();
    json.key("results");
    json.begin_array();
    json.element();
    write(&mut json);
    json.end_element();
    json.end_array();
    json.end_value();
    json.end_object();
    out.append(&mut json.out);
    out.push(b'\n');
}

impl ChunkedStatement {
    /// Sends the chunk being filled, if any, and returns its series' key; `more_of_series`
    /// and `more_of_statement` say whether rows of its series, and of its statement, are
    /// still to come.
    fn send(
        &mut self,
        out: &mut Vec<u8>,
        more_of_series: bool,
        more_of_statement: bool,
    ) -> Option<SeriesKey> {
        let chunk = self.chunk.take()?;
        self.memory.free();
        let (id, columns) = (self.statement.id, &self.statement.columns);
        line(out, |json| {
            json.begin_object();
            if more_of_statement {
                json.true_field("partial");
            }
            json.key("series");
            json.begin_array();
            json.element();
            json.begin_series(&chunk.key, columns, more_of_series);
            json.out.extend_from_slice(&chunk.values.out);
            json.end_series();
            json.end_element();
            json.end_array();
            json.end_value();
            json.number_field("statement_id", id);
            json.end_object();
        });
        Some(chunk.key)
    }
}

impl AnswerWriter for Chunks {
    fn begin(&mut self, statement: Statement, memory: MemoryReservation) {
        self.statement = Some(ChunkedStatement {
            statement,
            chunk: None,
            memory,
        });
    }

    fn rows(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(open) = &mut self.statement else {
            return Ok(());
        };
        let rows = open.statement.rows(batch)?;
        let cells: Vec<Cell<'_>> = rows.values.iter().map(Cell::of).collect();
        for (range, starts) in open.statement.series_runs(&rows) {
            let mut starts = starts;
            for row in range {
                let full = open
                    .chunk
                    .as_ref()
                    .is_some_and(|chunk| chunk.rows == self.chunk_size);
                let key = match starts.take() {
                    Some(key) => {
                        open.send(&mut self.out, false, true);
                        Some(key)
                    }
                    None if full => open.send(&mut self.out, true, true),
                    None => None,
                };
                if let Some(key) = key {
                    open.chunk = Some(Chunk::new(key));
                }
                let chunk = open.chunk.as_mut().ok_or_else(|| {
                    Error::internal("formatting failed: a row continues no series")
                })?;
                chunk.values.row(&cells, row, self.epoch);
                chunk.rows += 1;
            }
        }
        let held = open.chunk.as_ref().map_or(0, |c| c.values.out.capacity());
        open.memory.try_resize(held).map_err(|e| {
            Error::invalid(format!(
                "a chunk of {} rows needs more memory than a query may use ({e}); ask for a smaller chunk_size",
                self.chunk_size
            ))
        })
    }

    fn end(&mut self) {
        let Some(mut open) = self.statement.take() else {
            return;
        };
        if open.send(&mut self.out, false, false).is_none() {
            // No rows: the statement alone.
            let id = open.statement.id;
            line(&mut self.out, |json| {
                json.begin_object();
                json.number_field("statement_id", id);
                json.end_object();
            });
        }
    }

    fn failed(&mut self, id: usize, message: &str) {
        if let Some(mut open) = self.statement.take() {
            // The rows held were to be followed by more: they go out as partial.
            open.send(&mut self.out, true, true);
        }
        line(&mut self.out, |json| json.failed_statement(id, message));
    }

    fn finish(&mut self) {}

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// The answer in 1.x CSV.
struct Csv {
    epoch: Epoch,
    out: Vec<u8>,
    statement: Option<CsvStatement>,
}

struct CsvStatement {
    statement: Statement,
    /// Whether the header is out.
    header: bool,
    /// The `name` and `tags` fields of the series being written.
    series: (String, String),
}

impl Csv {
    /// The blank line that separates a statement from the one before.
    fn separate(&mut self, id: usize) {
        if id > 0 {
            self.out.push(b'\n');
        }
    }

    fn error(&mut self, message: &str) {
        self.out.extend_from_slice(b"error\n");
        self.out.extend_from_slice(csv_field(message).as_bytes());
        self.out.push(b'\n');
    }
}

impl AnswerWriter for Csv {
    fn begin(&mut self, statement: Statement, _memory: MemoryReservation) {
        self.separate(statement.id);
        self.statement = Some(CsvStatement {
            statement,
            header: false,
            series: Default::default(),
        });
    }

    fn rows(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(open) = &mut self.statement else {
            return Ok(());
        };
        let rows = open.statement.rows(batch)?;
        let cells: Vec<Cell<'_>> = rows.values.iter().map(Cell::of).collect();
        for (range, starts) in open.statement.series_runs(&rows) {
            if let Some(key) = starts {
                if !open.header {
                    let names: Vec<String> = ["name", "tags"]
                        .into_iter()
                        .map(String::from)
                        .chain(open.statement.columns.iter().map(|c| csv_field(c)))
                        .collect();
                    self.out.extend_from_slice(names.join(",").as_bytes());
                    self.out.push(b'\n');
                    open.header = true;
                }
                open.series = (
                    csv_field(key.name.as_deref().unwrap_or("")),
                    csv_field(&key.tags_text()),
                );
            }
            for row in range {
                self.out.extend_from_slice(open.series.0.as_bytes());
                self.out.push(b',');
                self.out.extend_from_slice(open.series.1.as_bytes());
                for cell in &cells {
                    self.out.push(b',');
                    cell.write_csv(row, self.epoch, &mut self.out);
                }
                self.out.push(b'\n');
            }
        }
        Ok(())
    }

    fn end(&mut self) {
        self.statement = None;
    }

    fn failed(&mut self, id: usize, message: &str) {
        if self.statement.take().is_none() {
            self.separate(id);
        }
        self.error(message);
    }

    fn finish(&mut self) {}

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
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
}
