//! MessagePack answers (`Accept: application/x-msgpack`), laid out as InfluxDB 1.x writes
//! them and its clients read them: `{"results":[{"statement_id","series":[{"name","tags",
//! "columns","values"}]}]}` with the keys in that order, integers in their smallest encoding,
//! and times (without `epoch`) as the timestamp extension, type 5: the seconds in 8 bytes,
//! then the nanoseconds in 4, big-endian. A failed statement is `{"error":…}`.
//!
//! A MessagePack array begins with its length, so a statement's series are held until it
//! ends, in its memory pool; past the pool the statement fails, and `chunked=true` asks for
//! a larger answer in pieces. Chunks are whole documents one after the other, as 1.x sends.

use arrow::array::RecordBatch;
use datafusion::execution::memory_pool::MemoryReservation;
use rmp::encode;
use strata_types::{Error, Result};

use super::chunks::{ChunkFormat, ChunkSeries, Chunks, More};
use super::{AnswerWriter, Cell, Describe, Epoch, SeriesKey, Statement, written};
use crate::ByteStream;
use crate::influxql::InfluxqlAnswer;

/// The extension type 1.x's encoder gives times.
const TIME_EXTENSION: i8 = 5;

/// The answer as one MessagePack document.
pub fn encode_msgpack(
    answer: InfluxqlAnswer,
    epoch: Option<Epoch>,
    describe: Describe,
) -> ByteStream {
    let mut out = Vec::new();
    map(&mut out, 1);
    string(&mut out, "results");
    array(&mut out, answer.statements_left());
    let document = Document {
        epoch,
        out,
        statement: None,
    };
    written(answer, document, describe)
}

/// The answer in chunks of at most `chunk_size` rows, each a MessagePack document.
pub fn encode_msgpack_chunks(
    answer: InfluxqlAnswer,
    epoch: Option<Epoch>,
    chunk_size: usize,
    describe: Describe,
) -> ByteStream {
    written(
        answer,
        Chunks::<MsgpackChunks>::new(epoch, chunk_size),
        describe,
    )
}

/// A request refused as a whole: `{"error": message}`.
pub fn msgpack_error(message: &str) -> Vec<u8> {
    let mut out = Vec::new();
    map(&mut out, 1);
    string(&mut out, "error");
    string(&mut out, message);
    out
}

// Writing to a Vec cannot fail: the encoder's results are ignored. Lengths beyond u32 cannot
// be held (the memory pool refuses them long before).

fn map(out: &mut Vec<u8>, len: usize) {
    let _ = encode::write_map_len(out, u32::try_from(len).unwrap_or(u32::MAX));
}

fn array(out: &mut Vec<u8>, len: usize) {
    let _ = encode::write_array_len(out, u32::try_from(len).unwrap_or(u32::MAX));
}

fn string(out: &mut Vec<u8>, text: &str) {
    let _ = encode::write_str(out, text);
}

fn integer(out: &mut Vec<u8>, value: i64) {
    let _ = encode::write_sint(out, value);
}

fn time(out: &mut Vec<u8>, ns: i64) {
    let _ = encode::write_ext_meta(out, 12, TIME_EXTENSION);
    out.extend_from_slice(&ns.div_euclid(1_000_000_000).to_be_bytes());
    // In 0..1e9: fits.
    out.extend_from_slice(&(ns.rem_euclid(1_000_000_000) as u32).to_be_bytes());
}

impl Cell<'_> {
    /// The value at `row` (nil for null and for non-finite floats, as JSON has them).
    fn write_msgpack(&self, row: usize, epoch: Option<Epoch>, out: &mut Vec<u8>) {
        if self.is_null(row) {
            let _ = encode::write_nil(out);
            return;
        }
        match self {
            Cell::Time(a, _) => match epoch {
                Some(epoch) => integer(out, a.value(row).div_euclid(epoch.nanos())),
                None => time(out, a.value(row)),
            },
            Cell::Float(a) => {
                let _ = encode::write_f64(out, a.value(row));
            }
            Cell::Int(a) => integer(out, a.value(row)),
            Cell::UInt(a) => {
                let _ = encode::write_uint(out, a.value(row));
            }
            Cell::Bool(a) => {
                let _ = encode::write_bool(out, a.value(row));
            }
            Cell::Text(a) => string(out, a.value(row)),
            Cell::Null => {
                let _ = encode::write_nil(out);
            }
        };
    }
}

/// One row: the array of its values.
fn row(out: &mut Vec<u8>, cells: &[Cell<'_>], row: usize, epoch: Option<Epoch>) {
    array(out, cells.len());
    for cell in cells {
        cell.write_msgpack(row, epoch, out);
    }
}

/// A series whose `rows` rows are encoded in `values`.
fn series(
    out: &mut Vec<u8>,
    key: &SeriesKey,
    columns: &[String],
    values: &[u8],
    rows: usize,
    partial: bool,
) {
    let len = 2
        + usize::from(key.name.is_some())
        + usize::from(key.tags.is_some())
        + usize::from(partial);
    map(out, len);
    if let Some(name) = &key.name {
        string(out, "name");
        string(out, name);
    }
    if let Some(tags) = &key.tags {
        let mut tags: Vec<&(String, String)> = tags.iter().collect();
        tags.sort();
        string(out, "tags");
        map(out, tags.len());
        for (tag, value) in tags {
            string(out, tag);
            string(out, value);
        }
    }
    string(out, "columns");
    array(out, columns.len());
    for column in columns {
        string(out, column);
    }
    string(out, "values");
    array(out, rows);
    out.extend_from_slice(values);
    if partial {
        string(out, "partial");
        let _ = encode::write_bool(out, true);
    }
}

/// A statement's result: `{"statement_id", "series": [what `write_series` writes]}`.
fn statement(
    out: &mut Vec<u8>,
    id: usize,
    partial: bool,
    series_count: usize,
    write_series: impl FnOnce(&mut Vec<u8>),
) {
    map(out, 2 + usize::from(partial));
    string(out, "statement_id");
    integer(out, i64::try_from(id).unwrap_or(i64::MAX));
    string(out, "series");
    array(out, series_count);
    write_series(out);
    if partial {
        string(out, "partial");
        let _ = encode::write_bool(out, true);
    }
}

fn failed_statement(out: &mut Vec<u8>, message: &str) {
    map(out, 1);
    string(out, "error");
    string(out, message);
}

/// The answer as one document: the statements' results, each written when it ends.
struct Document {
    epoch: Option<Epoch>,
    out: Vec<u8>,
    statement: Option<HeldStatement>,
}

/// A statement whose series are held until it ends.
struct HeldStatement {
    statement: Statement,
    memory: MemoryReservation,
    /// The series ended so far, encoded, and how many.
    series: Vec<u8>,
    series_count: usize,
    /// The series being read: its key, its rows encoded, and how many.
    current: Option<(SeriesKey, Vec<u8>, usize)>,
}

impl HeldStatement {
    fn end_series(&mut self) {
        if let Some((key, values, rows)) = self.current.take() {
            series(
                &mut self.series,
                &key,
                &self.statement.columns,
                &values,
                rows,
                false,
            );
            self.series_count += 1;
        }
    }

    fn held(&self) -> usize {
        self.series.capacity()
            + self
                .current
                .as_ref()
                .map_or(0, |(_, values, _)| values.capacity())
    }
}

impl AnswerWriter for Document {
    fn begin(&mut self, statement: Statement, memory: MemoryReservation) {
        self.statement = Some(HeldStatement {
            statement,
            memory,
            series: Vec::new(),
            series_count: 0,
            current: None,
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
                open.end_series();
                open.current = Some((key, Vec::new(), 0));
            }
            let (_, values, count) = open
                .current
                .as_mut()
                .ok_or_else(|| Error::internal("formatting failed: a row continues no series"))?;
            for at in range {
                row(values, &cells, at, self.epoch);
                *count += 1;
            }
        }
        let held = open.held();
        open.memory.try_resize(held).map_err(|e| {
            Error::invalid(format!(
                "a MessagePack answer holds a whole statement, and this one needs more memory than a query may use ({e}); ask for it in chunks (chunked=true) or narrow the query"
            ))
        })
    }

    fn end(&mut self) {
        let Some(mut open) = self.statement.take() else {
            return;
        };
        open.end_series();
        for key in std::mem::take(&mut open.statement.empty_series) {
            series(
                &mut open.series,
                &key,
                &open.statement.columns,
                &[],
                0,
                false,
            );
            open.series_count += 1;
        }
        statement(
            &mut self.out,
            open.statement.id,
            false,
            open.series_count,
            |out| out.extend_from_slice(&open.series),
        );
    }

    fn failed(&mut self, _id: usize, message: &str) {
        self.statement = None;
        failed_statement(&mut self.out, message);
    }

    fn finish(&mut self) {}

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// Chunks as MessagePack documents.
struct MsgpackChunks;

/// One document holding one result: `{"results": [what `write` writes]}`.
fn document(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    map(out, 1);
    string(out, "results");
    array(out, 1);
    write(out);
}

impl ChunkFormat for MsgpackChunks {
    fn row(
        values: &mut Vec<u8>,
        _rows: usize,
        cells: &[Cell<'_>],
        at: usize,
        epoch: Option<Epoch>,
    ) {
        row(values, cells, at, epoch);
    }

    fn chunk(out: &mut Vec<u8>, id: usize, chunk: ChunkSeries<'_>, more: More) {
        document(out, |out| {
            statement(out, id, more.of_statement, 1, |out| {
                series(
                    out,
                    chunk.key,
                    chunk.columns,
                    chunk.values,
                    chunk.rows,
                    more.of_series,
                )
            })
        });
    }

    fn empty_series(out: &mut Vec<u8>, id: usize, keys: &[SeriesKey], columns: &[String]) {
        document(out, |out| {
            statement(out, id, false, keys.len(), |out| {
                for key in keys {
                    series(out, key, columns, &[], 0, false);
                }
            })
        });
    }

    fn empty_statement(out: &mut Vec<u8>, id: usize) {
        document(out, |out| statement(out, id, false, 0, |_| {}));
    }

    fn failed_statement(out: &mut Vec<u8>, _id: usize, message: &str) {
        document(out, |out| failed_statement(out, message));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryConsumer, MemoryPool};

    use super::*;
    use crate::influxql::SeriesLayout;

    fn rows(n: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
            Field::new("v", DataType::Float64, true),
        ]));
        let times = TimestampNanosecondArray::from_iter_values(0..n as i64);
        let values = Float64Array::from_iter_values((0..n).map(|i| i as f64));
        RecordBatch::try_new(schema, vec![Arc::new(times), Arc::new(values)]).unwrap()
    }

    #[test]
    fn a_statement_is_held_within_its_memory_pool() {
        let pool: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(64 * 1024));
        let layout = SeriesLayout {
            has_measurement: false,
            tag_columns: Vec::new(),
        };
        let mut document = Document {
            epoch: None,
            out: Vec::new(),
            statement: None,
        };
        let batch = rows(1_000);
        let memory = MemoryConsumer::new("test").register(&pool);
        document.begin(Statement::new(0, layout.clone(), &batch.schema()), memory);
        document
            .rows(&batch)
            .expect("1,000 rows (about 25 kB) fit in 64 KiB");
        let error = document.rows(&rows(10_000)).unwrap_err();
        assert!(
            error
                .message
                .contains("needs more memory than a query may use")
                && error.message.contains("chunked=true"),
            "{}",
            error.message
        );
        // What a statement held is given back when it ends.
        document.failed(0, "too large");
        assert_eq!(pool.reserved(), 0);
        let memory = MemoryConsumer::new("test").register(&pool);
        document.begin(Statement::new(1, layout, &batch.schema()), memory);
        document.rows(&batch).unwrap();
        document.end();
        assert_eq!(pool.reserved(), 0);
    }
}
