//! Chunked answers (`chunked=true`): each chunk a whole 1.x response holding at most
//! `chunk_size` rows of one series. A series split over chunks says `partial` in all but its
//! last, and so does a statement with more to come. The chunks' encoding (JSON lines or
//! MessagePack documents) is a [`ChunkFormat`].

use arrow::array::RecordBatch;
use datafusion::execution::memory_pool::MemoryReservation;
use strata_types::{Error, Result};

use super::{AnswerWriter, Cell, Epoch, SeriesKey, Statement};

/// How chunks are encoded.
pub(super) trait ChunkFormat: Send + 'static {
    /// Appends row `row` of `cells` to `values`, the encoded rows of a chunk that holds
    /// `rows` rows so far.
    fn row(values: &mut Vec<u8>, rows: usize, cells: &[Cell<'_>], row: usize, epoch: Option<Epoch>);
    /// One chunk of statement `id`: `rows` rows of the series `key`, encoded as `values`.
    fn chunk(out: &mut Vec<u8>, id: usize, series: ChunkSeries<'_>, more: More);
    /// The series of statement `id` that have no rows, in one chunk.
    fn empty_series(out: &mut Vec<u8>, id: usize, keys: &[SeriesKey], columns: &[String]);
    /// A statement that has no rows.
    fn empty_statement(out: &mut Vec<u8>, id: usize);
    /// A statement that failed (after the chunks of its rows sent before, if any).
    fn failed_statement(out: &mut Vec<u8>, id: usize, message: &str);
}

/// The rows of one series in a chunk.
pub(super) struct ChunkSeries<'a> {
    pub key: &'a SeriesKey,
    pub columns: &'a [String],
    pub values: &'a [u8],
    pub rows: usize,
}

/// Whether rows of a chunk's series, and of its statement, are still to come.
#[derive(Debug, Clone, Copy)]
pub(super) struct More {
    pub of_series: bool,
    pub of_statement: bool,
}

/// The answer in chunks of at most `chunk_size` rows each.
pub(super) struct Chunks<F> {
    epoch: Option<Epoch>,
    chunk_size: usize,
    /// Chunks written.
    out: Vec<u8>,
    statement: Option<ChunkedStatement>,
    format: std::marker::PhantomData<F>,
}

impl<F> Chunks<F> {
    pub(super) fn new(epoch: Option<Epoch>, chunk_size: usize) -> Self {
        Chunks {
            epoch,
            chunk_size: chunk_size.max(1),
            out: Vec::new(),
            statement: None,
            format: std::marker::PhantomData,
        }
    }
}

struct ChunkedStatement {
    statement: Statement,
    /// The chunk being filled.
    chunk: Option<Chunk>,
    /// The chunk's bytes, in the statement's memory pool.
    memory: MemoryReservation,
}

/// Rows of one series waiting to go out.
struct Chunk {
    key: SeriesKey,
    /// The rows, encoded.
    values: Vec<u8>,
    rows: usize,
}

impl ChunkedStatement {
    /// Sends the chunk being filled, if any, and returns its series' key.
    fn send<F: ChunkFormat>(&mut self, out: &mut Vec<u8>, more: More) -> Option<SeriesKey> {
        let chunk = self.chunk.take()?;
        self.memory.free();
        let series = ChunkSeries {
            key: &chunk.key,
            columns: &self.statement.columns,
            values: &chunk.values,
            rows: chunk.rows,
        };
        F::chunk(out, self.statement.id, series, more);
        Some(chunk.key)
    }
}

impl<F: ChunkFormat> AnswerWriter for Chunks<F> {
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
                        let more = More {
                            of_series: false,
                            of_statement: true,
                        };
                        open.send::<F>(&mut self.out, more);
                        Some(key)
                    }
                    None if full => {
                        let more = More {
                            of_series: true,
                            of_statement: true,
                        };
                        open.send::<F>(&mut self.out, more)
                    }
                    None => None,
                };
                if let Some(key) = key {
                    open.chunk = Some(Chunk {
                        key,
                        values: Vec::new(),
                        rows: 0,
                    });
                }
                let chunk = open.chunk.as_mut().ok_or_else(|| {
                    Error::internal("formatting failed: a row continues no series")
                })?;
                F::row(&mut chunk.values, chunk.rows, &cells, row, self.epoch);
                chunk.rows += 1;
            }
        }
        let held = open.chunk.as_ref().map_or(0, |c| c.values.capacity());
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
        let empty = std::mem::take(&mut open.statement.empty_series);
        let last = More {
            of_series: false,
            of_statement: !empty.is_empty(),
        };
        let sent = open.send::<F>(&mut self.out, last).is_some();
        if !empty.is_empty() {
            F::empty_series(
                &mut self.out,
                open.statement.id,
                &empty,
                &open.statement.columns,
            );
        } else if !sent {
            F::empty_statement(&mut self.out, open.statement.id);
        }
    }

    fn failed(&mut self, id: usize, message: &str) {
        if let Some(mut open) = self.statement.take() {
            // The rows held were to be followed by more: they go out as partial.
            let more = More {
                of_series: true,
                of_statement: true,
            };
            open.send::<F>(&mut self.out, more);
        }
        F::failed_statement(&mut self.out, id, message);
    }

    fn finish(&mut self) {}

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}
