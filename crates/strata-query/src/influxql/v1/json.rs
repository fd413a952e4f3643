//! 1.x JSON answers: `{"results":[{"statement_id":0,"series":[{"name","tags","columns",
//! "values"}]}]}` as one document, or in chunks of JSON lines (`chunked=true`).
//!
//! JSON is written directly through serde_json's formatter, never built as a tree: the bytes
//! are those serde_json writes for the document (keys in its maps' order, numbers as it prints
//! them). An error after a statement's first rows is still the statement's: the document
//! closes the statement's series and gives its `error`; chunks end with a line holding it.

use arrow::array::RecordBatch;
use datafusion::execution::memory_pool::MemoryReservation;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use strata_types::Result;

use super::super::zone::rfc3339;
use super::chunks::{ChunkFormat, ChunkSeries, Chunks, More};
use super::{AnswerWriter, Cell, Describe, Epoch, SeriesKey, Statement, written};
use crate::ByteStream;
use crate::influxql::InfluxqlAnswer;

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
/// The answer in chunks of at most `chunk_size` rows, one JSON document per line.
pub fn encode_json_chunks(
    answer: InfluxqlAnswer,
    epoch: Option<Epoch>,
    chunk_size: usize,
    describe: Describe,
) -> ByteStream {
    written(
        answer,
        Chunks::<JsonLines>::new(epoch, chunk_size),
        describe,
    )
}

impl Cell<'_> {
    /// The value at `row` as JSON, as serde_json writes it (non-finite floats as `null`).
    fn write_json(&self, row: usize, epoch: Option<Epoch>, out: &mut Vec<u8>) {
        if self.is_null(row) {
            out.extend_from_slice(b"null");
            return;
        }
        // Writing to a Vec cannot fail.
        let _ = match self {
            Cell::Time(a, zone) => match epoch {
                Some(epoch) => serde_json::to_writer(out, &a.value(row).div_euclid(epoch.nanos())),
                None => {
                    out.push(b'"');
                    out.extend_from_slice(rfc3339(a.value(row), *zone).as_bytes());
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
        self.series_head(key, columns, partial);
        self.key("values");
        self.begin_array();
    }

    /// A series without values, which InfluxDB 1.x writes without `values`.
    fn series_without_values(&mut self, key: &SeriesKey, columns: &[String]) {
        self.series_head(key, columns, false);
        self.end_object();
    }

    /// A series' object up to its values: `{"columns":[…],"name":…,["partial":true,]
    /// "tags":{…}`.
    fn series_head(&mut self, key: &SeriesKey, columns: &[String], partial: bool) {
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

    /// The open statement's series without rows, after those with rows.
    fn empty_series(&mut self) {
        let Some(open) = &mut self.statement else {
            return;
        };
        for key in std::mem::take(&mut open.statement.empty_series) {
            if open.values_open {
                self.json.end_series();
                self.json.end_element();
                open.values_open = false;
            }
            if !open.series_open {
                self.json.key("series");
                self.json.begin_array();
                open.series_open = true;
            }
            self.json.element();
            self.json
                .series_without_values(&key, &open.statement.columns);
            self.json.end_element();
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
        self.empty_series();
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

/// Chunks as JSON lines.
struct JsonLines;

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

impl ChunkFormat for JsonLines {
    fn row(
        values: &mut Vec<u8>,
        rows: usize,
        cells: &[Cell<'_>],
        row: usize,
        epoch: Option<Epoch>,
    ) {
        // The rows are the elements of a JSON array opened by `chunk`.
        let mut json = Json {
            out: std::mem::take(values),
            formatter: CompactFormatter,
            open: vec![rows == 0],
        };
        json.row(cells, row, epoch);
        *values = json.out;
    }

    fn chunk(out: &mut Vec<u8>, id: usize, series: ChunkSeries<'_>, more: More) {
        line(out, |json| {
            json.begin_object();
            if more.of_statement {
                json.true_field("partial");
            }
            json.key("series");
            json.begin_array();
            json.element();
            json.begin_series(series.key, series.columns, more.of_series);
            json.out.extend_from_slice(series.values);
            json.end_series();
            json.end_element();
            json.end_array();
            json.end_value();
            json.number_field("statement_id", id);
            json.end_object();
        });
    }

    fn empty_series(out: &mut Vec<u8>, id: usize, keys: &[SeriesKey], columns: &[String]) {
        line(out, |json| {
            json.begin_object();
            json.key("series");
            json.begin_array();
            for key in keys {
                json.element();
                json.series_without_values(key, columns);
                json.end_element();
            }
            json.end_array();
            json.end_value();
            json.number_field("statement_id", id);
            json.end_object();
        });
    }

    fn empty_statement(out: &mut Vec<u8>, id: usize) {
        line(out, |json| {
            json.begin_object();
            json.number_field("statement_id", id);
            json.end_object();
        });
    }

    fn failed_statement(out: &mut Vec<u8>, id: usize, message: &str) {
        line(out, |json| json.failed_statement(id, message));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryConsumer, MemoryPool};

    use super::*;
    use crate::influxql::{MEASUREMENT_COLUMN, SeriesLayout};

    /// `SHOW CONTINUOUS QUERIES` over two databases: series without rows.
    fn without_rows(writer: &mut impl AnswerWriter) -> String {
        let schema = Arc::new(Schema::new(vec![
            Field::new(MEASUREMENT_COLUMN, DataType::Utf8, false),
            Field::new("name", DataType::Utf8, false),
            Field::new("query", DataType::Utf8, false),
        ]));
        let layout = SeriesLayout {
            has_measurement: true,
            tag_columns: Vec::new(),
        };
        let pool: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(1024));
        let statement = Statement::new(0, layout, &schema)
            .with_empty_series(vec![Some("db1".into()), Some("db2".into())]);
        writer.begin(statement, MemoryConsumer::new("test").register(&pool));
        writer.end();
        writer.finish();
        String::from_utf8(writer.take()).unwrap()
    }

    #[test]
    fn series_without_rows_have_no_values() {
        let series = r#"[{"columns":["name","query"],"name":"db1"},{"columns":["name","query"],"name":"db2"}]"#;
        assert_eq!(
            without_rows(&mut Document::new(CompactFormatter, None)),
            format!(r#"{{"results":[{{"series":{series},"statement_id":0}}]}}"#) + "\n"
        );
        assert_eq!(
            without_rows(&mut Chunks::<JsonLines>::new(None, 10)),
            format!(r#"{{"results":[{{"series":{series},"statement_id":0}}]}}"#) + "\n"
        );
    }
}
