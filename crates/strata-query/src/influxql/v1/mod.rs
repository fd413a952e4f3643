//! InfluxDB 1.x `/query` answers, written as the statements' rows stream in: JSON (one
//! document, or chunks of JSON lines), MessagePack (one document, or chunks of documents) and
//! 1.x CSV.
//!
//! Every encoding reads the same events (a statement begins, its rows, it ends or fails) and
//! finds series where the series key changes. An error after a statement's first rows is
//! still the statement's, in its place in the answer. Only what an encoding must hold before
//! it can write (a chunk; a whole statement for MessagePack, whose arrays begin with their
//! length) is held, in the statement's memory pool.

mod chunks;
mod csv;
mod json;
mod msgpack;

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
use datafusion::execution::memory_pool::MemoryReservation;
use futures::StreamExt;
use strata_types::{Error, Result};

pub use csv::encode_csv;
pub use json::{encode_json, encode_json_chunks};
pub use msgpack::{encode_msgpack, encode_msgpack_chunks, msgpack_error};

use super::{Event, InfluxqlAnswer, MEASUREMENT_COLUMN, SeriesLayout};
use crate::ByteStream;

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
                    empty_series,
                } => {
                    let statement =
                        Statement::new(id, layout, &schema).with_empty_series(empty_series);
                    writer.begin(statement, memory);
                }
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
    /// Series listed without rows, written after those with rows (see
    /// [`super::InfluxqlTable::empty_series`]).
    empty_series: Vec<SeriesKey>,
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
            empty_series: Vec::new(),
        }
    }

    /// The statement, with series named `names` (`None`: no name) listed without rows.
    fn with_empty_series(mut self, names: Vec<Option<String>>) -> Self {
        self.empty_series = names
            .into_iter()
            .map(|name| SeriesKey { name, tags: None })
            .collect();
        self
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
    /// Times, and the zone they are shown in (`None`: UTC).
    Time(&'a TimestampNanosecondArray, Option<chrono_tz::Tz>),
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
            DataType::Timestamp(TimeUnit::Nanosecond, _) => Cell::Time(
                column.as_primitive::<TimestampNanosecondType>(),
                super::zone::of_column(column.as_ref()),
            ),
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
            Cell::Time(a, _) => a.is_null(row),
            Cell::Float(a) => a.is_null(row) || !a.value(row).is_finite(),
            Cell::Int(a) => a.is_null(row),
            Cell::UInt(a) => a.is_null(row),
            Cell::Bool(a) => a.is_null(row),
            Cell::Text(a) => a.is_null(row),
            Cell::Null => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
