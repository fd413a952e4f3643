//! The in-memory buffer: acknowledged rows not yet in Parquet, in Arrow form, queryable.
//!
//! Rows are grouped in generations, one per WAL segment. The WAL writer appends to the
//! active generation right after the fsync that made the rows durable; rotating the WAL
//! freezes the active generation, which stays queryable until its Parquet files are
//! registered and it is released.
//!
//! The buffer's memory is bounded: a write that finds it full waits for persistence to release
//! a generation ([`Buffer::wait_for_space`]), and the working memory of a generation being
//! persisted counts as buffered until its files are registered.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use arrow::array::AsArray;
use arrow::compute::concat_batches;
use arrow::datatypes::TimestampNanosecondType;
use arrow::record_batch::RecordBatch;
use strata_types::{Error, Result, TIME_COLUMN};
use tokio::sync::Notify;

use crate::memory::batch_bytes;
use crate::stats::SeriesStats;

/// A database id and a table id.
pub type TableKey = (i64, i64);

/// The rows of one WAL segment.
#[derive(Debug, Default)]
pub struct Generation {
    pub segment: i64,
    pub tables: HashMap<TableKey, TableBuffer>,
    /// Memory held by the batches, each allocation counted once.
    pub bytes: usize,
}

/// One table's buffered batches (their schemas may differ as columns are added).
#[derive(Debug, Default, Clone)]
pub struct TableBuffer {
    pub batches: Vec<RecordBatch>,
    /// For each batch, whether it holds no point twice.
    pub points_unique: Vec<bool>,
    /// For each batch, its smallest and largest time.
    pub time_ranges: Vec<(i64, i64)>,
    pub rows: usize,
    pub min_time: i64,
    pub max_time: i64,
    /// The batches' statistics, folded in as queries ask for them.
    stats: Arc<Mutex<FoldedStats>>,
}

/// The [`SeriesStats`] of a table's first `batches` batches in one generation.
#[derive(Debug, Default)]
struct FoldedStats {
    batches: usize,
    stats: Option<Arc<SeriesStats>>,
}

impl Generation {
    fn new(segment: i64) -> Self {
        Generation {
            segment,
            ..Default::default()
        }
    }

    pub(crate) fn append(&mut self, key: TableKey, batch: RecordBatch, points_unique: bool) {
        if batch.num_rows() == 0 {
            return;
        }
        let (min, max) = time_range(&batch);
        self.bytes += batch_bytes(&batch);
        let table = self.tables.entry(key).or_insert_with(|| TableBuffer {
            min_time: i64::MAX,
            max_time: i64::MIN,
            ..Default::default()
        });
        table.rows += batch.num_rows();
        table.min_time = table.min_time.min(min);
        table.max_time = table.max_time.max(max);
        table.batches.push(batch);
        table.points_unique.push(points_unique);
        table.time_ranges.push((min, max));
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    pub fn rows(&self) -> usize {
        self.tables.values().map(|t| t.rows).sum()
    }
}

/// The smallest and largest `time` of a batch.
pub(crate) fn time_range(batch: &RecordBatch) -> (i64, i64) {
    let Some(column) = batch.column_by_name(TIME_COLUMN) else {
        return (i64::MAX, i64::MIN);
    };
    let times = column.as_primitive::<TimestampNanosecondType>();
    let mut range = (i64::MAX, i64::MIN);
    for t in times.values().iter().take(times.len()) {
        range.0 = range.0.min(*t);
        range.1 = range.1.max(*t);
    }
    range
}

#[derive(Default)]
struct State {
    active: Generation,
    frozen: Vec<Arc<Generation>>,
}

/// The node's buffer, shared by the WAL writer (appends), the persister and queries.
#[derive(Default)]
pub struct Buffer {
    state: RwLock<State>,
    /// Working memory of the generations being persisted now.
    persisting: AtomicUsize,
    /// Woken when a generation is released or persistence ends.
    freed: Notify,
    waits: WaitCounts,
}

/// How writes fared that found the buffer full.
#[derive(Default)]
struct WaitCounts {
    /// Waited, then were let in.
    admitted: AtomicU64,
    /// Waited as long as they may, then were refused.
    refused: AtomicU64,
}

/// A write found the buffer full for longer than it may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BufferFull;

/// Counts memory as buffered while a generation is persisted; gives it back when dropped.
pub(crate) struct PersistingMemory<'a> {
    buffer: &'a Buffer,
    bytes: usize,
}

impl Drop for PersistingMemory<'_> {
    fn drop(&mut self) {
        self.buffer
            .persisting
            .fetch_sub(self.bytes, Ordering::Relaxed);
        self.buffer.freed.notify_waiters();
    }
}

/// What a query sees of one table in the buffer.
#[derive(Debug, Default, Clone)]
pub struct BufferedTable {
    pub batches: Vec<RecordBatch>,
    /// For each batch, whether it holds no point twice.
    pub points_unique: Vec<bool>,
    /// For each batch, its smallest and largest time.
    pub time_ranges: Vec<(i64, i64)>,
    /// WAL segments whose rows are included; files this node registered for them must not be
    /// read as well.
    pub segments: Vec<i64>,
    /// The table's batches of each generation, oldest first.
    pub(crate) parts: Vec<BufferedPart>,
}

/// A table's batches in one generation, as a query saw them.
#[derive(Debug, Clone)]
pub(crate) struct BufferedPart {
    batches: Vec<RecordBatch>,
    stats: Arc<Mutex<FoldedStats>>,
}

impl BufferedPart {
    /// The statistics of the part's batches: those of the batches not yet folded in are
    /// computed and kept for the next query. `None` when a newer query already folded in
    /// batches this one does not see.
    pub(crate) fn stats(&self) -> Result<Option<Arc<SeriesStats>>> {
        let mut folded = self.stats.lock().unwrap();
        if folded.batches > self.batches.len() {
            return Ok(None);
        }
        if folded.batches < self.batches.len() {
            let mut stats = folded.stats.clone();
            for run in runs_to_summarize(&self.batches[folded.batches..]) {
                let rows = concat_batches(&run[0].schema(), run)
                    .map_err(|e| Error::internal(format!("summarizing buffered rows: {e}")))?;
                let new = SeriesStats::of_rows(&rows)?;
                stats = Some(Arc::new(match &stats {
                    Some(old) => SeriesStats::merge(&[(0, old), (1, &new)])?,
                    None => new,
                }));
            }
            folded.stats = stats;
            folded.batches = self.batches.len();
        }
        Ok(folded.stats.clone())
    }
}

/// Rows summarized at once when a query first needs a part's statistics: each write's batch
/// names most series of a table again, so its rows are summarized with its neighbours' (one
/// merge per run, not per write), in runs small enough to copy.
const SUMMARY_RUN_BYTES: usize = 32 << 20;

/// Consecutive batches of one schema, up to [`SUMMARY_RUN_BYTES`] a run (at least one batch).
fn runs_to_summarize(batches: &[RecordBatch]) -> Vec<&[RecordBatch]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, batch) in batches.iter().enumerate() {
        let size = batch_bytes(batch);
        let same_schema = batches[start].schema() == batch.schema();
        if i > start && (!same_schema || bytes + size > SUMMARY_RUN_BYTES) {
            runs.push(&batches[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < batches.len() {
        runs.push(&batches[start..]);
    }
    runs
}

impl Buffer {
    pub(crate) fn new(segment: i64) -> Self {
        Buffer {
            state: RwLock::new(State {
                active: Generation::new(segment),
                frozen: Vec::new(),
            }),
            ..Default::default()
        }
    }

    pub(crate) fn append(&self, key: TableKey, batch: RecordBatch, points_unique: bool) {
        self.state
            .write()
            .unwrap()
            .active
            .append(key, batch, points_unique);
    }

    pub(crate) fn active_is_empty(&self) -> bool {
        self.state.read().unwrap().active.is_empty()
    }

    /// Adds a generation recovered from the WAL, frozen (it is persisted first).
    pub(crate) fn add_frozen(&self, generation: Generation) {
        let mut state = self.state.write().unwrap();
        state.frozen.push(Arc::new(generation));
        state.frozen.sort_by_key(|g| g.segment);
    }

    /// Freezes the active generation and starts one for `next_segment`; `None` when the
    /// active generation is empty (nothing is frozen then).
    pub(crate) fn freeze(&self, next_segment: i64) -> Option<Arc<Generation>> {
        let mut state = self.state.write().unwrap();
        if state.active.is_empty() {
            state.active.segment = next_segment;
            return None;
        }
        let frozen = Arc::new(std::mem::replace(
            &mut state.active,
            Generation::new(next_segment),
        ));
        state.frozen.push(frozen.clone());
        Some(frozen)
    }

    /// The WAL segments whose rows are buffered: the frozen generations' and the active one's.
    pub(crate) fn segments(&self) -> Vec<i64> {
        let state = self.state.read().unwrap();
        state
            .frozen
            .iter()
            .map(|g| g.segment)
            .chain([state.active.segment])
            .collect()
    }

    /// Frozen generations, oldest first.
    pub fn frozen(&self) -> Vec<Arc<Generation>> {
        self.state.read().unwrap().frozen.clone()
    }

    /// Drops a frozen generation once its rows are in registered Parquet files.
    pub(crate) fn release(&self, segment: i64) {
        self.state
            .write()
            .unwrap()
            .frozen
            .retain(|g| g.segment != segment);
        self.freed.notify_waiters();
    }

    /// Memory held by the active generation, and by all generations plus the working memory
    /// of persisting them.
    pub fn bytes(&self) -> (usize, usize) {
        let state = self.state.read().unwrap();
        let frozen: usize = state.frozen.iter().map(|g| g.bytes).sum();
        let persisting = self.persisting.load(Ordering::Relaxed);
        (state.active.bytes, state.active.bytes + frozen + persisting)
    }

    /// Counts `bytes` of working memory as buffered until the guard is dropped.
    pub(crate) fn persisting(&self, bytes: usize) -> PersistingMemory<'_> {
        self.persisting.fetch_add(bytes, Ordering::Relaxed);
        PersistingMemory {
            buffer: self,
            bytes,
        }
    }

    /// Returns once the buffer holds at most `limit` bytes, or `BufferFull` when it still
    /// holds more after `wait`. Writes that waited are counted ([`Buffer::waits`]).
    pub(crate) async fn wait_for_space(
        &self,
        limit: usize,
        wait: Duration,
    ) -> Result<(), BufferFull> {
        let started = Instant::now();
        let deadline = tokio::time::Instant::from_std(started + wait);
        let mut waited = false;
        loop {
            // Registered before the check, so a release between the two is not missed.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.bytes().1 <= limit {
                if waited {
                    self.waits.admitted.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        waited_ms = started.elapsed().as_millis() as u64,
                        "a write waited for persistence to free buffer space"
                    );
                }
                return Ok(());
            }
            waited = true;
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                self.waits.refused.fetch_add(1, Ordering::Relaxed);
                return Err(BufferFull);
            }
        }
    }

    /// Writes that found the buffer full: those let in after waiting, and those refused.
    pub fn waits(&self) -> (u64, u64) {
        (
            self.waits.admitted.load(Ordering::Relaxed),
            self.waits.refused.load(Ordering::Relaxed),
        )
    }

    /// The table's buffered batches, oldest first.
    pub fn table(&self, key: TableKey) -> BufferedTable {
        let state = self.state.read().unwrap();
        let mut out = BufferedTable::default();
        let generations = state
            .frozen
            .iter()
            .map(|g| g.as_ref())
            .chain(std::iter::once(&state.active));
        for generation in generations {
            out.segments.push(generation.segment);
            if let Some(table) = generation.tables.get(&key) {
                out.batches.extend(table.batches.iter().cloned());
                out.points_unique.extend(&table.points_unique);
                out.time_ranges.extend(&table.time_ranges);
                out.parts.push(BufferedPart {
                    batches: table.batches.clone(),
                    stats: table.stats.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn frozen_rows(buffer: &Buffer, segment: i64) {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let values = Int64Array::from_iter_values(0..1000);
        let batch = RecordBatch::try_new(schema, vec![Arc::new(values)]).unwrap();
        buffer.append((1, 1), batch, false);
        buffer.freeze(segment + 1).expect("rows were appended");
    }

    fn batch_of(column: &str, rows: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new(
            column,
            DataType::Int64,
            false,
        )]));
        let values = Int64Array::from_iter_values(0..rows);
        RecordBatch::try_new(schema, vec![Arc::new(values)]).unwrap()
    }

    #[test]
    fn batches_are_summarized_in_runs_of_one_schema_and_a_bounded_size() {
        let small = || batch_of("v", 1000);
        let wider = batch_of("w", 1000);
        // Each a quarter of a run's bytes: the small batch before them and three fill a run.
        let big = || batch_of("v", (SUMMARY_RUN_BYTES / 8 / 4) as i64);
        let batches = vec![small(), small(), wider, small(), big(), big(), big(), big()];
        let lengths: Vec<usize> = runs_to_summarize(&batches)
            .iter()
            .map(|run| run.len())
            .collect();
        assert_eq!(lengths, vec![2, 1, 4, 1]);
        let huge = vec![batch_of("v", (SUMMARY_RUN_BYTES / 4) as i64)];
        assert_eq!(
            runs_to_summarize(&huge).len(),
            1,
            "a batch over a run's size is its own run"
        );
        assert!(runs_to_summarize(&[]).is_empty());
    }

    #[tokio::test]
    async fn a_write_waits_for_a_full_buffer_until_a_generation_is_released() {
        let buffer = Arc::new(Buffer::new(1));
        frozen_rows(&buffer, 1);
        let full = buffer.bytes().1;
        assert!(full >= 8000, "1,000 values take 8,000 bytes: {full}");
        let waiting = tokio::spawn({
            let buffer = buffer.clone();
            async move {
                buffer
                    .wait_for_space(full - 1, Duration::from_secs(600))
                    .await
            }
        });
        // The test's runtime has one thread: the write runs until it waits.
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the buffer is full");
        // Memory persistence holds counts as buffered until it is given back.
        let working = buffer.persisting(full);
        assert_eq!(buffer.bytes().1, 2 * full);
        buffer.release(1);
        assert_eq!(buffer.bytes().1, full);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "persisting still holds memory");
        drop(working);
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(buffer.waits(), (1, 0), "one write waited and was let in");
        assert_eq!(
            buffer.wait_for_space(0, Duration::ZERO).await,
            Ok(()),
            "an empty buffer lets a write in at once"
        );
        assert_eq!(buffer.waits(), (1, 0), "without waiting");
    }

    #[tokio::test]
    async fn a_write_is_refused_when_the_buffer_stays_full() {
        let buffer = Buffer::new(1);
        frozen_rows(&buffer, 1);
        let outcome = buffer.wait_for_space(100, Duration::from_millis(20)).await;
        assert_eq!(outcome, Err(BufferFull));
        assert_eq!(buffer.waits(), (0, 1));
    }
}
