//! Query answers in InfluxDB 3's HTTP output formats, encoded batch by batch as the answer
//! streams. `json`, `jsonl` and `csv` hold one batch at a time; `parquet` holds the row group
//! it is filling (flushed at [`ROW_GROUP_BYTES`]); `pretty` lays out the whole answer at once
//! (column widths depend on every row), so it holds the answer, within the query's memory
//! pool. What the formats hold is accounted in that pool.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use datafusion::execution::memory_pool::MemoryReservation;
use futures::StreamExt;
use strata_types::{Error, Result};

use crate::{ByteStream, QueryStream};

/// A Parquet answer's row groups are flushed to the client once their encoded columns take
/// this much memory.
const ROW_GROUP_BYTES: usize = 16 << 20;

/// `format=json|jsonl|csv|pretty|parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// One JSON array of objects (the default).
    #[default]
    Json,
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header line.
    Csv,
    /// A text table, as a terminal shows it.
    Pretty,
    /// One Parquet file.
    Parquet,
}

impl OutputFormat {
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "json" => OutputFormat::Json,
            "jsonl" => OutputFormat::JsonLines,
            "csv" => OutputFormat::Csv,
            "pretty" => OutputFormat::Pretty,
            "parquet" => OutputFormat::Parquet,
            other => {
                return Err(Error::invalid(format!(
                    "format {other:?} is not supported; use json, jsonl, csv, pretty or parquet"
                )));
            }
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Json => "application/json",
            OutputFormat::JsonLines => "application/jsonl",
            OutputFormat::Csv => "text/csv",
            OutputFormat::Pretty => "text/plain; charset=utf-8",
            OutputFormat::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The answer in this format, a chunk per batch (or per row group) as `rows` yields
    /// them. The first chunk comes with the first batch, never before: an error until then
    /// is the stream's first item. An error after it is the stream's last item.
    pub fn encode(self, rows: QueryStream) -> ByteStream {
        let encoder: Box<dyn Encoder> = match self {
            OutputFormat::Json => Box::new(JsonArray(arrow::json::ArrayWriter::new(Vec::new()))),
            OutputFormat::JsonLines => {
                Box::new(JsonLines(arrow::json::LineDelimitedWriter::new(Vec::new())))
            }
            OutputFormat::Csv => Box::new(Csv {
                schema: plain_schema(&rows.schema()),
                started: false,
            }),
            OutputFormat::Pretty => Box::new(Pretty {
                schema: plain_schema(&rows.schema()),
                batches: Vec::new(),
                memory: rows.memory("format=pretty"),
                limit: rows.limits().memory_limit,
            }),
            OutputFormat::Parquet => match Parquet::new(&rows) {
                Ok(parquet) => Box::new(parquet),
                Err(e) => return futures::stream::once(async { Err(e) }).boxed(),
            },
        };
        encoded(rows, encoder)
    }

    /// What ends a body cut short by an error after its first bytes were sent, so that a
    /// person reading it sees why; `None` where the format has no place for it (Parquet, a
    /// file without its footer, is unreadable anyway; a pretty table is whole before its
    /// first byte).
    pub fn error_marker(self, message: &str) -> Option<Bytes> {
        match self {
            OutputFormat::Json | OutputFormat::JsonLines => {
                let line = serde_json::json!({ "error": message });
                Some(Bytes::from(format!("\n{line}\n")))
            }
            OutputFormat::Csv => Some(Bytes::from(format!("\nerror\n{}\n", csv_field(message)))),
            OutputFormat::Pretty | OutputFormat::Parquet => None,
        }
    }
}

/// A CSV field, quoted when it must be.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One format's encoding, a batch at a time.
trait Encoder: Send {
    /// The bytes for `batch` (empty while the format holds what it has).
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>>;
    /// The bytes that end the answer.
    fn finish(&mut self) -> Result<Vec<u8>>;
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("encoding the query result failed: {e}"))
}

/// Drives `encoder` over `rows`: a chunk per batch that gives bytes, then the end. The end
/// (a pretty table's whole layout, a Parquet footer) is computed off the async threads.
fn encoded(rows: QueryStream, encoder: Box<dyn Encoder>) -> ByteStream {
    struct State {
        rows: QueryStream,
        encoder: Option<Box<dyn Encoder>>,
    }
    let state = State {
        rows,
        encoder: Some(encoder),
    };
    futures::stream::unfold(state, |mut state| async move {
        let mut encoder = state.encoder.take()?;
        loop {
            match state.rows.next().await {
                Some(Ok(batch)) => match encoder.batch(&batch) {
                    Ok(bytes) if bytes.is_empty() => continue,
                    Ok(bytes) => {
                        state.encoder = Some(encoder);
                        return Some((Ok(Bytes::from(bytes)), state));
                    }
                    Err(e) => {
                        state.rows.end(Some(&e));
                        return Some((Err(e), state));
                    }
                },
                Some(Err(e)) => return Some((Err(e), state)),
                None => {
                    let end = tokio::task::spawn_blocking(move || encoder.finish())
                        .await
                        .unwrap_or_else(|e| Err(failed(e)));
                    return match end {
                        Ok(bytes) if bytes.is_empty() => None,
                        Ok(bytes) => Some((Ok(Bytes::from(bytes)), state)),
                        Err(e) => Some((Err(e), state)),
                    };
                }
            }
        }
    })
    .boxed()
}

/// `schema` with dictionary-encoded columns as plain strings: text formats show tags so.
fn plain_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(_, value) => {
                f.as_ref().clone().with_data_type(value.as_ref().clone())
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `batch` with dictionary-encoded columns cast to plain strings.
fn plain_strings(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = plain_schema(&batch.schema());
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| cast(c, f.data_type()))
        .collect::<arrow::error::Result<Vec<_>>>()
        .map_err(failed)?;
    RecordBatch::try_new(schema, columns).map_err(failed)
}

struct JsonArray(arrow::json::ArrayWriter<Vec<u8>>);

impl Encoder for JsonArray {
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        self.0.write(&plain_strings(batch)?).map_err(failed)?;
        Ok(std::mem::take(self.0.get_mut()))
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        // `[]` when no row was written.
        self.0.finish().map_err(failed)?;
        Ok(std::mem::take(self.0.get_mut()))
    }
}

struct JsonLines(arrow::json::LineDelimitedWriter<Vec<u8>>);

impl Encoder for JsonLines {
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        self.0.write(&plain_strings(batch)?).map_err(failed)?;
        Ok(std::mem::take(self.0.get_mut()))
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }
}

struct Csv {
    schema: SchemaRef,
    /// Whether the header line is out.
    started: bool,
}

impl Csv {
    fn write(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut writer = arrow::csv::WriterBuilder::new()
            .with_header(!self.started)
            .build(&mut out);
        writer.write(batch).map_err(failed)?;
        drop(writer);
        self.started = true;
        Ok(out)
    }
}

impl Encoder for Csv {
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        self.write(&plain_strings(batch)?)
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        if self.started {
            return Ok(Vec::new());
        }
        self.write(&RecordBatch::new_empty(self.schema.clone()))
    }
}

struct Pretty {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    /// The batches held, in the query's pool.
    memory: MemoryReservation,
    limit: usize,
}

impl Encoder for Pretty {
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        let batch = plain_strings(batch)?;
        self.memory
            .try_grow(batch.get_array_memory_size())
            .map_err(|_| {
                Error::invalid(format!(
                    "format=pretty lays out the whole answer before sending it, and this answer needs more than the {} bytes a query may use; use format=csv or jsonl, which stream, or narrow the query",
                    self.limit
                ))
            })?;
        self.batches.push(batch);
        Ok(Vec::new())
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        let mut all = vec![RecordBatch::new_empty(self.schema.clone())];
        all.append(&mut self.batches);
        let table = arrow::util::pretty::pretty_format_batches(&all).map_err(failed)?;
        self.memory.free();
        Ok(format!("{table}\n").into_bytes())
    }
}

struct Parquet {
    writer: parquet::arrow::ArrowWriter<Vec<u8>>,
    /// The row group being filled, in the query's pool.
    memory: MemoryReservation,
    limits: crate::QueryConfig,
}

impl Parquet {
    fn new(rows: &QueryStream) -> Result<Self> {
        let writer = parquet::arrow::ArrowWriter::try_new(Vec::new(), rows.schema(), None)
            .map_err(failed)?;
        Ok(Parquet {
            writer,
            memory: rows.memory("format=parquet"),
            limits: rows.limits().clone(),
        })
    }
}

impl Encoder for Parquet {
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        self.writer.write(batch).map_err(failed)?;
        if self.writer.in_progress_size() >= ROW_GROUP_BYTES {
            self.writer.flush().map_err(failed)?;
        }
        self.memory
            .try_resize(self.writer.memory_size())
            .map_err(|e| self.limits.query_error(e))?;
        Ok(std::mem::take(self.writer.inner_mut()))
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        self.writer.finish().map_err(failed)?;
        self.memory.free();
        Ok(std::mem::take(self.writer.inner_mut()))
    }
}
