//! The storage engine: writes in, durable on acknowledgement, Parquet on an object store.
//!
//! [`Storage::write`] validates line protocol against the database's schema (creating tables
//! and columns in the catalog as needed), appends the rows to the WAL (acknowledged after a
//! shared fsync) and to the in-memory [`Buffer`], where queries see them at once. In the
//! background the buffer is written to the object store as sorted Parquet files per
//! partition, the files are registered in the catalog and the WAL segments they cover are
//! deleted; files past their database's retention period, and those of databases and tables
//! deleted longer ago than the soft-delete window, are garbage collected.
//!
//! On start [`Storage::open`] replays the WAL segments not yet persisted, so a crash loses
//! no acknowledged write.

mod buffer;
mod columns;
mod compaction;
mod durable;
mod file_lists;
mod ingest;
mod memory;
mod overlap;
mod partition;
mod persist;
mod retention;
mod schema_cache;
mod shared_points;
mod stats;
mod stats_cache;
mod store;
mod wal;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use strata_catalog::Catalog;
use strata_lp::Precision;
use strata_types::{
    DatabaseSchema, Error, ErrorKind, ParquetFile, PartitionTemplate, Result, Status,
};
use uuid::Uuid;

pub use buffer::{Buffer, BufferedTable, Generation, TableBuffer};
pub use columns::{COLUMN_TYPE_KEY, arrow_field, arrow_schema, arrow_type, column_type_of};
pub use compaction::{
    CompactedPart, CompactedUpload, CompactionJob, CompactionPolicy, CompactionWriter,
};
pub use ingest::{MAX_REPORTED_REJECTIONS, RejectReason, Rejection};
pub use overlap::{Source, conflict_windows};
pub use partition::{default_template, key_may_hold, partition_rows, table_template};
pub use persist::{EncodedFile, FileSummary, fold_latest};
pub use retention::GarbageCollected;
pub use stats::{FieldStats, SeriesStats};
pub use store::{S3Options, check_object_store, open_object_store};

use buffer::BufferedPart;
use file_lists::FileLists;
use ingest::{IngestOptions, TableRows};
use schema_cache::SchemaCache;
use stats_cache::StatsCache;
use wal::{Wal, WalRecord, WalTable};

/// How often buffered batches are summarized for the tables queries ask statistics of...
const STATS_UPKEEP_INTERVAL: Duration = Duration::from_millis(250);
/// ...for this long after the last such query.
const STATS_WANTED_FOR: Duration = Duration::from_secs(600);

/// Pairs of a table's files whose time ranges overlap that are compared (by their statistics)
/// for shared points, and those of them whose rows are read; with more, the files are merged
/// as if they shared some (compaction keeps them few).
const MAX_PAIRS_COMPARED: usize = 256;
const MAX_PAIRS_READ: usize = 32;
/// Verdicts on pairs of files kept at most, for files long deleted too.
const MAX_PAIR_VERDICTS: usize = 100_000;

/// How many snapshots of a table a query takes for its statistics: the statistics of buffered
/// rows are folded in as writes come (by queries and in the background), and a snapshot older
/// than what was folded in is taken again.
const STATS_ATTEMPTS: usize = 3;

/// How many times a write re-reads the schema after losing a race to add a column.
const SCHEMA_ATTEMPTS: usize = 4;

/// Defaults for a node on a machine of 2 cores and 4 GB of memory, with room left for queries.
/// Persisting a generation takes about as much again as the generation while it runs, and
/// compaction and queries go on beside it: under sustained writes these keep the node near
/// 1 GB, where twice the buffer took it to 1.5 GB for a sixth more throughput.
pub const DEFAULT_PERSIST_BUFFER_BYTES: usize = 64 << 20;
pub const DEFAULT_MAX_BUFFER_BYTES: usize = 256 << 20;
pub const DEFAULT_WRITE_WAIT: Duration = Duration::from_secs(5);

/// How long a client refused for a full buffer is asked to wait before it retries.
pub const WRITE_RETRY_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Where the WAL segments live (node-local).
    pub wal_dir: PathBuf,
    /// This node's id; it names the WAL segments it persisted.
    pub node_id: Uuid,
    /// Buffered rows are persisted at least this often...
    pub persist_interval: Duration,
    /// ...and as soon as the active buffer holds this many bytes.
    pub persist_buffer_bytes: usize,
    /// Memory the buffer may take, counting what persisting it takes; a write that finds it
    /// full waits for persistence to free space.
    pub max_buffer_bytes: usize,
    /// How long a write waits for space in a full buffer before it is refused (503).
    pub write_wait: Duration,
    /// How long a node trusts its cached copy of a database's schema and list of files.
    pub schema_max_age: Duration,
    /// Deleted databases and tables keep their files this long (they can be undeleted).
    pub soft_delete_window: Duration,
    /// How often retention and garbage collection run.
    pub gc_interval: Duration,
    /// Memory for the [`SeriesStats`] kept for queries.
    pub stats_cache_bytes: usize,
    /// How long files compaction replaced stay for queries in flight, and how long an upload
    /// may take before its objects count as leftovers.
    pub deletion_grace: Duration,
}

impl StorageConfig {
    /// Defaults for a node whose data directory is `data_dir`.
    pub fn new(data_dir: &Path, node_id: Uuid) -> Self {
        StorageConfig {
            wal_dir: data_dir.join("wal"),
            node_id,
            persist_interval: Duration::from_secs(60),
            persist_buffer_bytes: DEFAULT_PERSIST_BUFFER_BYTES,
            max_buffer_bytes: DEFAULT_MAX_BUFFER_BYTES,
            write_wait: DEFAULT_WRITE_WAIT,
            schema_max_age: Duration::from_secs(1),
            soft_delete_window: Duration::from_secs(14 * 86_400),
            gc_interval: Duration::from_secs(60),
            stats_cache_bytes: 128 << 20,
            deletion_grace: Duration::from_secs(3600),
        }
    }
}

/// How to read a write's body.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    pub precision: Precision,
    /// The time of lines without a timestamp (the server's clock), in nanoseconds.
    pub default_time: i64,
    /// Write the valid lines when some are rejected (otherwise write none).
    pub accept_partial: bool,
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Lines written (durable and queryable).
    pub lines_written: usize,
    /// Lines that were valid: written, or not written because others were rejected and
    /// partial writes were not accepted.
    pub valid_lines: usize,
    /// The first [`MAX_REPORTED_REJECTIONS`] rejected lines.
    pub rejected: Vec<Rejection>,
    /// All rejected lines.
    pub rejected_count: usize,
}

/// What a query reads of one table: buffered batches and the Parquet files not also in them.
#[derive(Debug, Clone, Default)]
pub struct TableData {
    pub database_id: i64,
    pub table_id: i64,
    /// Buffered batches, oldest first: newer than every file.
    pub buffered: Vec<RecordBatch>,
    /// For each buffered batch, whether it holds no point twice (it may still repeat points
    /// of other batches and files).
    pub buffered_points_unique: Vec<bool>,
    /// For each buffered batch, its smallest and largest time.
    pub buffered_time_ranges: Vec<(i64, i64)>,
    /// Files in the order they were written.
    pub files: Vec<ParquetFile>,
    parts: Vec<BufferedPart>,
}

pub struct Storage {
    catalog: Arc<dyn Catalog>,
    store: Arc<dyn ObjectStore>,
    buffer: Arc<Buffer>,
    wal: Wal,
    schemas: SchemaCache,
    files: FileLists,
    stats: StatsCache,
    /// Tables whose statistics queries asked for, and when: their buffered batches are
    /// summarized in the background as they arrive.
    stats_wanted: std::sync::Mutex<HashMap<(i64, i64), Instant>>,
    /// Whether two files whose time ranges overlap share a point, by their ids (smaller first).
    shared_points: std::sync::Mutex<HashMap<(Uuid, Uuid), bool>>,
    config: StorageConfig,
    /// One persistence or garbage collection at a time.
    maintenance: tokio::sync::Mutex<()>,
}

impl Storage {
    /// Opens the engine: replays the WAL segments not yet persisted into the buffer and starts
    /// the WAL writer. Call [`Storage::run_background`] to persist and collect garbage.
    pub async fn open(
        catalog: Arc<dyn Catalog>,
        store: Arc<dyn ObjectStore>,
        config: StorageConfig,
    ) -> Result<Arc<Storage>> {
        let persisted = catalog.last_persisted_wal_segment(config.node_id).await?;
        let wal_dir = config.wal_dir.clone();
        let (generations, next_segment) =
            tokio::task::spawn_blocking(move || replay(&wal_dir, persisted))
                .await
                .map_err(|e| Error::internal(format!("WAL replay failed: {e}")))??;
        let buffer = Arc::new(Buffer::new(next_segment));
        let mut rows = 0;
        for generation in generations {
            rows += generation.rows();
            buffer.add_frozen(generation);
        }
        if rows > 0 {
            tracing::info!(rows, "replayed the WAL");
        }
        let wal = Wal::start(&config.wal_dir, next_segment, buffer.clone())?;
        Ok(Arc::new(Storage {
            schemas: SchemaCache::new(catalog.clone(), config.schema_max_age),
            files: FileLists::new(catalog.clone(), config.schema_max_age),
            stats: StatsCache::new(config.stats_cache_bytes),
            stats_wanted: std::sync::Mutex::new(HashMap::new()),
            shared_points: std::sync::Mutex::new(HashMap::new()),
            catalog,
            store,
            buffer,
            wal,
            config,
            maintenance: tokio::sync::Mutex::new(()),
        }))
    }

    /// A database's schema as this node knows it: read from the catalog at most
    /// [`StorageConfig::schema_max_age`] ago, or since this node last changed it.
    pub async fn schema(&self, database: &str) -> Result<Arc<DatabaseSchema>> {
        self.schemas.get(database).await
    }

    /// Forgets the cached schemas, after a database or table changed.
    pub fn forget_schemas(&self) {
        self.schemas.clear();
    }

    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Writes line protocol to `database`. Returns once the written lines are durable and
    /// queryable; rejected lines are reported in the outcome (and when some are rejected
    /// without `accept_partial`, nothing is written).
    ///
    /// A write that finds the buffer full waits up to [`StorageConfig::write_wait`] for
    /// persistence to free space. Fails with `NotFound` for an unknown database and
    /// `Unavailable` when the buffer stayed full (retry after [`WRITE_RETRY_AFTER`]).
    pub async fn write(
        &self,
        database: &str,
        body: Bytes,
        options: WriteOptions,
    ) -> Result<WriteOutcome> {
        let full = self
            .buffer
            .wait_for_space(self.config.max_buffer_bytes, self.config.write_wait);
        if full.await.is_err() {
            return Err(Error::unavailable(format!(
                "the write buffer is full: persisting to the object store has not freed space in {} s; retry in {} s (the answer's Retry-After)",
                self.config.write_wait.as_secs_f64(),
                WRITE_RETRY_AFTER.as_secs()
            )));
        }
        let mut schema = self.schemas.get(database).await?;
        let mut refused_tables = HashMap::new();
        for _ in 0..SCHEMA_ATTEMPTS {
            let ingest_options = IngestOptions {
                precision: options.precision,
                default_time: options.default_time,
                oldest_allowed: oldest_allowed(&schema, options.default_time),
            };
            let (schema_now, refused, body) =
                (schema.clone(), refused_tables.clone(), body.clone());
            let (mut ingested, ipc) = tokio::task::spawn_blocking(move || {
                let ingested = ingest::ingest(&body, &schema_now, &refused, ingest_options);
                let ipc = ingested
                    .tables
                    .iter()
                    .map(|t| Ok((wal::encode_ipc(&t.batch)?, stats::points_unique(&t.batch))))
                    .collect::<Result<Vec<_>>>();
                (ingested, ipc)
            })
            .await
            .map_err(|e| Error::internal(format!("parsing a write failed: {e}")))?;
            let outcome = WriteOutcome {
                lines_written: ingested.accepted,
                valid_lines: ingested.accepted,
                rejected: std::mem::take(&mut ingested.rejected),
                rejected_count: ingested.rejected_count,
            };
            if outcome.rejected_count > 0 && !options.accept_partial {
                return Ok(WriteOutcome {
                    lines_written: 0,
                    ..outcome
                });
            }
            match self
                .add_columns(database, &schema, &mut ingested.tables)
                .await
            {
                Ok(()) => {}
                Err(SchemaRetry::Lost) => {
                    schema = self.schemas.reload(database).await?;
                    continue;
                }
                Err(SchemaRetry::Refused { table, message }) => {
                    refused_tables.insert(table, message);
                    schema = self.schemas.reload(database).await?;
                    continue;
                }
                Err(SchemaRetry::Failed(e)) => return Err(e),
            }
            if !ingested.tables.is_empty() {
                let tables = ingested
                    .tables
                    .into_iter()
                    .zip(ipc?)
                    .map(|(t, (ipc, points_unique))| WalTable {
                        table_id: t.table_id.expect("every table was registered"),
                        batch: t.batch,
                        ipc,
                        points_unique,
                    })
                    .collect();
                self.wal
                    .append(WalRecord {
                        database_id: schema.database.id,
                        tables,
                    })
                    .await?;
            }
            return Ok(outcome);
        }
        Err(Error::unavailable(
            "the table's columns kept changing while this write was validated; retry it",
        ))
    }

    /// Registers new tables and columns; fills in the tables' ids.
    async fn add_columns(
        &self,
        database: &str,
        schema: &DatabaseSchema,
        tables: &mut [TableRows],
    ) -> Result<(), SchemaRetry> {
        for table in tables.iter_mut() {
            if table.new_columns.is_empty() {
                continue;
            }
            match self
                .catalog
                .add_columns(schema.database.id, &table.name, &table.new_columns)
                .await
            {
                Ok(added) => {
                    table.table_id = Some(added.table.id);
                    self.schemas.update_table(database, added);
                }
                Err(e) if e.kind == ErrorKind::Conflict => return Err(SchemaRetry::Lost),
                Err(e) if e.kind == ErrorKind::InvalidArgument => {
                    return Err(SchemaRetry::Refused {
                        table: table.name.clone(),
                        message: e.message,
                    });
                }
                Err(e) if e.kind == ErrorKind::NotFound => {
                    return Err(SchemaRetry::Failed(Error::not_found(format!(
                        "database \"{database}\" not found"
                    ))));
                }
                Err(e) => return Err(SchemaRetry::Failed(e)),
            }
        }
        Ok(())
    }

    /// A database's registered files, from the node's cache.
    pub async fn files(&self, database_id: i64) -> Result<Arc<Vec<ParquetFile>>> {
        self.files.get(database_id).await
    }

    /// What a query reads of a table now: its buffered batches and its registered files,
    /// leaving out files this node wrote from rows still buffered.
    pub async fn table_data(&self, database_id: i64, table_id: i64) -> Result<TableData> {
        // The buffer first: persistence registers a generation's files before it releases the
        // generation, so its rows are seen in one or the other (or both, and then the files
        // are left out), never in neither.
        let buffered = self.buffer.table((database_id, table_id));
        let files = self.files.get(database_id).await?;
        let mut files: Vec<ParquetFile> = files
            .iter()
            .filter(|f| f.table_id == table_id)
            .filter(|f| {
                !(f.node_id == self.config.node_id && buffered.segments.contains(&f.wal_segment))
            })
            .cloned()
            .collect();
        // Write order: a node persists its generations in turn, nodes as their clocks say.
        files.sort_by_key(|f| (f.created_at, f.wal_segment));
        Ok(TableData {
            database_id,
            table_id,
            buffered: buffered.batches,
            buffered_points_unique: buffered.points_unique,
            buffered_time_ranges: buffered.time_ranges,
            files,
            parts: buffered.parts,
        })
    }

    /// The [`SeriesStats`] of everything a query reads of a table now ([`Storage::table_data`]),
    /// merged; `None` when they are too large to keep in the configured memory.
    pub async fn series_stats(
        &self,
        database_id: i64,
        table_id: i64,
    ) -> Result<Option<Arc<SeriesStats>>> {
        self.stats_wanted
            .lock()
            .unwrap()
            .insert((database_id, table_id), Instant::now());
        for _ in 0..STATS_ATTEMPTS {
            let data = self.table_data(database_id, table_id).await?;
            match self.stats_of(&data).await? {
                Ok(stats) => return Ok(Some(stats)),
                Err(Unavailable::TooLarge) => return Ok(None),
                Err(Unavailable::Moved) => continue,
            }
        }
        Ok(None)
    }

    /// The [`SeriesStats`] of what a query reads of a table, merged.
    async fn stats_of(
        &self,
        data: &TableData,
    ) -> Result<std::result::Result<Arc<SeriesStats>, Unavailable>> {
        let Some(files) = self.files_stats(data).await? else {
            return Ok(Err(Unavailable::TooLarge));
        };
        if data.parts.is_empty() {
            return Ok(Ok(files));
        }
        let parts = data.parts.clone();
        let files_exact = files.inexact().true_count() == 0;
        let merged = tokio::task::spawn_blocking(move || {
            let mut sources: Vec<Arc<SeriesStats>> = vec![files];
            for part in &parts {
                match part.stats()? {
                    Some(stats) => sources.push(stats),
                    None => return Ok(None),
                }
            }
            Ok::<_, Error>(Some(SeriesStats::merge_in_write_order(&sources)?))
        })
        .await
        .map_err(|e| Error::internal(format!("merging series statistics failed: {e}")))??;
        let Some(merged) = merged else {
            return Ok(Err(Unavailable::Moved));
        };
        // Buffered batches overlap the newest files and each other when writes arrive out of
        // order (concurrent writers), so their series seem to repeat points, yet they rarely do.
        let no_repeats = merged.inexact().true_count() > 0
            && files_exact
            && !shared_points::buffer_may_share_points(
                &self.store,
                &data.buffered,
                &data.buffered_points_unique,
                &data.buffered_time_ranges,
                &data.files,
            )
            .await?;
        Ok(Ok(Arc::new(match no_repeats {
            true => merged.exact()?,
            false => merged,
        })))
    }

    /// Whether no point is in more than one of a table's files (their statistics show no
    /// series whose time ranges in two files overlap), so they need no merging; `false` when
    /// that is not known.
    pub async fn files_share_no_point(&self, data: &TableData) -> Result<bool> {
        Ok(self
            .files_stats(data)
            .await?
            .is_some_and(|stats| stats.inexact().true_count() == 0))
    }

    /// The statistics of a table's files, merged, from the cache when they are there.
    async fn files_stats(&self, data: &TableData) -> Result<Option<Arc<SeriesStats>>> {
        let key = (data.database_id, data.table_id);
        let ids: Vec<Uuid> = data.files.iter().map(|f| f.id).collect();
        let cached = self.stats.table(key);
        let (base, new_files) = match &cached {
            Some(cached) if cached.files == ids => return Ok(Some(cached.stats.clone())),
            // Only newer files since: merge them into what is kept.
            Some(cached) if ids.starts_with(&cached.files) => (
                Some(cached.stats.clone()),
                &data.files[cached.files.len()..],
            ),
            _ => (None, &data.files[..]),
        };
        // Files' statistics are merged a few at a time, so only the merged statistics and
        // those of the files in hand are held, never those of every file at once.
        let mut merged = base;
        let mut pending: Vec<Arc<SeriesStats>> = Vec::new();
        let mut pending_bytes = 0;
        for (i, file) in new_files.iter().enumerate() {
            let stats = self.file_stats(file).await?;
            pending_bytes += stats.memory_size();
            pending.push(stats);
            // Merged statistics stay under half the cache (checked below), so files in hand
            // up to a quarter more keep what is held bounded without merging after each file.
            if pending_bytes > self.stats.capacity() / 4 || i + 1 == new_files.len() {
                let sources: Vec<Arc<SeriesStats>> =
                    merged.into_iter().chain(pending.drain(..)).collect();
                merged = Some(Arc::new(merge_in_order(sources).await?));
                pending_bytes = 0;
                if !self
                    .stats
                    .fits(merged.as_ref().map_or(0, |m| m.memory_size()))
                {
                    return Ok(None);
                }
            }
        }
        let Some(merged) = merged else {
            return Ok(Some(Arc::new(SeriesStats::merge(&[])?)));
        };
        let merged = Arc::unwrap_or_clone(merged);
        // Files persisted one after another may overlap in time without sharing a point.
        let merged = if merged.inexact().true_count() > 0
            && self.files_share_points(&data.files).await? == Some(false)
        {
            merged.exact()?
        } else {
            merged
        };
        let merged = Arc::new(merged);
        if !self.stats.fits(merged.memory_size()) {
            return Ok(None);
        }
        self.stats.put_table(key, merged.clone(), ids);
        Ok(Some(merged))
    }

    /// Whether two of the files hold the same point: `Some(false)` when every pair whose time
    /// ranges overlap was found (now, or before: files never change) to share none; `None`
    /// when there are too many such pairs to check.
    async fn files_share_points(&self, files: &[ParquetFile]) -> Result<Option<bool>> {
        let mut by_start: Vec<&ParquetFile> = files.iter().collect();
        by_start.sort_by_key(|f| f.min_time);
        let mut pairs = Vec::new();
        for (i, a) in by_start.iter().enumerate() {
            for b in &by_start[i + 1..] {
                if b.min_time > a.max_time {
                    break;
                }
                if pairs.len() == MAX_PAIRS_COMPARED {
                    return Ok(None);
                }
                pairs.push((*a, *b));
            }
        }
        let mut read = 0;
        for (a, b) in pairs {
            let key = if a.id < b.id {
                (a.id, b.id)
            } else {
                (b.id, a.id)
            };
            let known = self.shared_points.lock().unwrap().get(&key).copied();
            let shared = match known {
                Some(shared) => shared,
                None => {
                    // Most pairs are told apart by their statistics: a compaction's outputs
                    // span the same times with other series, neighbouring generations meet
                    // at their edges only for a few series.
                    let series_meet = self
                        .file_stats(a)
                        .await?
                        .series_overlap(&*self.file_stats(b).await?)?;
                    if series_meet {
                        read += 1;
                        if read > MAX_PAIRS_READ {
                            return Ok(None);
                        }
                    }
                    let shared =
                        series_meet && shared_points::may_share_points(&self.store, a, b).await?;
                    let mut verdicts = self.shared_points.lock().unwrap();
                    if verdicts.len() >= MAX_PAIR_VERDICTS {
                        verdicts.clear();
                    }
                    verdicts.insert(key, shared);
                    shared
                }
            };
            if shared {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }

    /// A file's statistics: from the cache, else from the object beside it, else (files
    /// written before statistics were kept) computed from the file's rows and stored.
    async fn file_stats(&self, file: &ParquetFile) -> Result<Arc<SeriesStats>> {
        if let Some(stats) = self.stats.file(file.id) {
            return Ok(stats);
        }
        let path = stats_path(&file.path)?;
        let stats = match self.store.get(&path).await {
            Ok(object) => {
                let bytes = object.bytes().await.map_err(|e| {
                    Error::internal(format!("reading {path} from the object store failed: {e}"))
                })?;
                tokio::task::spawn_blocking(move || SeriesStats::from_ipc(bytes))
                    .await
                    .map_err(|e| Error::internal(format!("reading {path} failed: {e}")))??
            }
            Err(object_store::Error::NotFound { .. }) => {
                let stats = self.compute_file_stats(file).await?;
                let bytes = stats.to_ipc()?;
                if let Err(e) = self.store.put(&path, bytes.into()).await {
                    tracing::warn!(error = %e, %path, "storing series statistics failed; they are computed again when needed");
                }
                stats
            }
            Err(e) => {
                return Err(Error::internal(format!(
                    "reading {path} from the object store failed: {e}"
                )));
            }
        };
        let stats = Arc::new(stats);
        self.stats.put_file(file.id, stats.clone());
        Ok(stats)
    }

    /// Reads a Parquet file whole and computes its statistics.
    async fn compute_file_stats(&self, file: &ParquetFile) -> Result<SeriesStats> {
        let location = ObjectPath::parse(&file.path).map_err(|e| {
            Error::internal(format!(
                "the catalog holds an invalid object path {:?}: {e}",
                file.path
            ))
        })?;
        let bytes = self
            .store
            .get(&location)
            .await
            .map_err(|e| Error::internal(format!("reading {location} failed: {e}")))?
            .bytes()
            .await
            .map_err(|e| Error::internal(format!("reading {location} failed: {e}")))?;
        tokio::task::spawn_blocking(move || persist::stats_of_parquet(bytes))
            .await
            .map_err(|e| Error::internal(format!("reading {location} failed: {e}")))?
    }

    /// Memory held by cached [`SeriesStats`].
    pub fn stats_cache_bytes(&self) -> usize {
        self.stats.bytes()
    }

    /// Persists everything buffered now: rotates the WAL, writes the frozen generations as
    /// Parquet, registers the files and deletes the WAL segments. Returns the files written.
    pub async fn persist(&self) -> Result<Vec<ParquetFile>> {
        let _one_at_a_time = self.maintenance.lock().await;
        self.wal.rotate().await?;
        let mut written = Vec::new();
        for generation in self.buffer.frozen() {
            written.extend(self.persist_generation(&generation).await?);
        }
        Ok(written)
    }

    async fn persist_generation(&self, generation: &Generation) -> Result<Vec<ParquetFile>> {
        // The sort keys, the slices in hand and the encoded files take up to about as much
        // again while they run (`persist.rs`).
        let _working = self.buffer.persisting(generation.bytes);
        let templates = self.templates(generation).await?;
        // Tables are encoded side by side, as many at once as there are cores, and stored in turn.
        let jobs: Vec<_> = generation
            .tables
            .iter()
            .map(|(&key, table)| {
                let template = templates
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(default_template);
                (key, template, table.batches.clone())
            })
            .collect();
        let encode = |(key, template, batches): (_, PartitionTemplate, Vec<RecordBatch>)| async move {
            let encoded =
                tokio::task::spawn_blocking(move || persist::encode_table(&batches, &template))
                    .await
                    .map_err(|e| Error::internal(format!("encoding Parquet failed: {e}")))?;
            Ok::<_, Error>((key, encoded?))
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut encoded = futures::stream::iter(jobs).map(encode).buffered(cores);
        let mut files = Vec::new();
        while let Some(table) = encoded.next().await {
            let ((database_id, table_id), encoded) = table?;
            let placed = compaction::Placement {
                database_id,
                table_id,
                wal_segment: generation.segment,
                created_at: chrono::Utc::now(),
                compaction_level: 0,
            };
            for file in encoded {
                files.push(self.upload(file, &placed).await?);
            }
        }
        self.catalog.add_parquet_files(&files).await?;
        // Queries see the files before the rows leave the buffer.
        self.files.invalidate();
        self.buffer.release(generation.segment);
        self.wal.delete_through(generation.segment)?;
        tracing::info!(
            segment = generation.segment,
            files = files.len(),
            rows = generation.rows(),
            "persisted buffered rows"
        );
        Ok(files)
    }

    /// The partition template of every table in a generation ([`table_template`]).
    async fn templates(
        &self,
        generation: &Generation,
    ) -> Result<HashMap<(i64, i64), PartitionTemplate>> {
        let databases = self.catalog.list_databases(None).await?;
        let mut templates = HashMap::new();
        for database in databases {
            if !generation.tables.keys().any(|(d, _)| *d == database.id) {
                continue;
            }
            let tables = if database.status == Status::Active {
                self.catalog.list_tables(&database.name, None).await?
            } else {
                Vec::new()
            };
            for &(database_id, table_id) in generation.tables.keys() {
                if database_id != database.id {
                    continue;
                }
                let table = tables.iter().find(|t| t.id == table_id);
                let template = table_template(&database, table);
                templates.insert((database_id, table_id), template);
            }
        }
        Ok(templates)
    }

    /// Deletes files past their database's retention period and those of databases and
    /// tables deleted longer ago than the soft-delete window.
    pub async fn collect_garbage(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<GarbageCollected> {
        let _one_at_a_time = self.maintenance.lock().await;
        let collected = retention::collect(
            self.catalog.as_ref(),
            self.store.as_ref(),
            self.config.soft_delete_window,
            now,
        )
        .await;
        self.files.invalidate();
        let mut collected = collected?;
        // Files compaction replaced, once queries in flight are done with them, and objects
        // of uploads cut short.
        let grace = chrono::Duration::from_std(self.config.deletion_grace)
            .map_err(|_| Error::internal("the deletion grace is too long"))?;
        for file in self
            .catalog
            .list_replaced_parquet_files(now - grace)
            .await?
        {
            if self.delete_objects(&file.path).await {
                self.catalog.delete_parquet_files(&[file.id]).await?;
                collected.files += 1;
                collected.bytes += file.size_bytes as u64;
            }
        }
        for path in self.catalog.stale_parquet_uploads(now - grace).await? {
            tracing::info!(path, "deleting the objects of an upload that was cut short");
            self.delete_objects(&path).await;
        }
        Ok(collected)
    }

    /// Keeps series statistics ready: first those of every table's files, then, as writes
    /// arrive, those of the buffered batches of tables queries asked statistics of in the last
    /// [`STATS_WANTED_FOR`], so the next such query folds in little.
    async fn keep_stats(self: Arc<Self>) {
        if let Err(e) = self.load_files_stats().await {
            tracing::warn!(error = %e, "reading the files' series statistics failed; queries read them as needed");
        }
        loop {
            tokio::time::sleep(STATS_UPKEEP_INTERVAL).await;
            let wanted: Vec<(i64, i64)> = {
                let mut wanted = self.stats_wanted.lock().unwrap();
                wanted.retain(|_, at| at.elapsed() < STATS_WANTED_FOR);
                wanted.keys().copied().collect()
            };
            for key in wanted {
                let parts = self.buffer.table(key).parts;
                let folded = tokio::task::spawn_blocking(move || {
                    parts.iter().try_for_each(|p| p.stats().map(|_| ()))
                })
                .await;
                if let Ok(Err(e)) = folded {
                    tracing::warn!(error = %e, "summarizing buffered rows failed");
                }
            }
        }
    }

    /// Reads the statistics of every table's files into the cache.
    async fn load_files_stats(&self) -> Result<()> {
        for database in self.catalog.list_databases(Some(Status::Active)).await? {
            let files = self.catalog.list_parquet_files(database.id).await?;
            let mut tables: Vec<i64> = files.iter().map(|f| f.table_id).collect();
            tables.dedup();
            for table_id in tables {
                let data = self.table_data(database.id, table_id).await?;
                self.files_stats(&data).await?;
            }
        }
        Ok(())
    }

    /// Persists and collects garbage on their schedules until the process ends, and keeps
    /// series statistics ready.
    pub async fn run_background(self: Arc<Self>) {
        tokio::spawn(self.clone().keep_stats());
        let tick = Duration::from_millis(250)
            .min(self.config.persist_interval)
            .min(self.config.gc_interval);
        let mut last_persist = Instant::now();
        let mut last_gc = Instant::now();
        loop {
            tokio::time::sleep(tick).await;
            let (active, _) = self.buffer.bytes();
            let due = last_persist.elapsed() >= self.config.persist_interval
                || active >= self.config.persist_buffer_bytes
                || !self.buffer.frozen().is_empty();
            if due {
                last_persist = Instant::now();
                if let Err(e) = self.persist().await {
                    tracing::error!(error = %e, "persisting buffered rows failed; retrying later (the WAL keeps them)");
                }
            }
            if last_gc.elapsed() >= self.config.gc_interval {
                last_gc = Instant::now();
                match self.collect_garbage(chrono::Utc::now()).await {
                    Ok(collected) if collected.files > 0 => {
                        tracing::info!(
                            files = collected.files,
                            bytes = collected.bytes,
                            "deleted expired files"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "garbage collection failed; retrying later")
                    }
                }
            }
        }
    }
}

enum SchemaRetry {
    /// Another writer added a column first: re-read the schema and validate again.
    Lost,
    /// The catalog refused the table's new columns (a limit): reject its lines.
    Refused {
        table: String,
        message: String,
    },
    Failed(Error),
}

/// The oldest time a database accepts now, if it has a retention period.
fn oldest_allowed(schema: &DatabaseSchema, now: i64) -> Option<i64> {
    let retention = schema.database.retention_period_ns;
    (retention > 0).then(|| now.saturating_sub(retention))
}

/// Why a table's statistics are not at hand.
enum Unavailable {
    /// Larger than the memory configured for them.
    TooLarge,
    /// Buffered rows were summarized beyond the snapshot by then.
    Moved,
}

/// [`SeriesStats::merge_in_write_order`] off the async threads.
async fn merge_in_order(sources: Vec<Arc<SeriesStats>>) -> Result<SeriesStats> {
    tokio::task::spawn_blocking(move || SeriesStats::merge_in_write_order(&sources))
        .await
        .map_err(|e| Error::internal(format!("merging series statistics failed: {e}")))?
}

/// Where a file lives in the object store: `dbs/DB/tables/TABLE/PARTITION/FILE.parquet`.
fn object_path(database_id: i64, table_id: i64, partition_key: &str, id: Uuid) -> ObjectPath {
    ObjectPath::from_iter([
        "dbs".to_string(),
        database_id.to_string(),
        "tables".to_string(),
        table_id.to_string(),
        partition_key.to_string(),
        format!("{id}.parquet"),
    ])
}

/// Where a file's [`SeriesStats`] live: beside it, `FILE.stats.arrow`.
pub(crate) fn stats_path(parquet_path: &str) -> Result<ObjectPath> {
    let stem = parquet_path.strip_suffix(".parquet").ok_or_else(|| {
        Error::internal(format!(
            "the catalog holds a path that is not a Parquet file: {parquet_path:?}"
        ))
    })?;
    ObjectPath::parse(format!("{stem}.stats.arrow")).map_err(|e| {
        Error::internal(format!(
            "the catalog holds an invalid object path {parquet_path:?}: {e}"
        ))
    })
}

/// Reads the WAL segments not yet persisted; returns their generations and the number for
/// the next segment. Segments already persisted, and empty ones, are deleted.
fn replay(dir: &Path, persisted: Option<i64>) -> Result<(Vec<Generation>, i64)> {
    let segments = wal::list_segments(dir)?;
    let newest = segments.last().map(|s| s.0);
    let mut generations = Vec::new();
    for (number, path) in &segments {
        let remove = |path: &Path| {
            std::fs::remove_file(path).map_err(|e| {
                Error::internal(format!("cannot delete WAL segment {}: {e}", path.display()))
            })
        };
        if persisted.is_some_and(|p| *number <= p) {
            remove(path)?;
            continue;
        }
        let records = wal::read_segment(path, Some(*number) == newest)?;
        let mut generation = Generation {
            segment: *number,
            ..Default::default()
        };
        for record in records {
            for (table_id, batches) in record.tables {
                for batch in batches {
                    let unique = stats::points_unique(&batch);
                    generation.append((record.database_id, table_id), batch, unique);
                }
            }
        }
        if generation.is_empty() {
            remove(path)?;
        } else {
            generations.push(generation);
        }
    }
    let next = newest.unwrap_or(0).max(persisted.unwrap_or(0)) + 1;
    Ok((generations, next))
}

/// This node's id, kept in `DATA_DIR/node-id` (created on first start).
pub fn load_or_create_node_id(data_dir: &Path) -> Result<Uuid> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().parse().map_err(|_| {
            Error::internal(format!(
                "{} does not hold a node id (a UUID); restore it or delete it to start as a new node",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                Error::internal(format!("cannot create {}: {e}", data_dir.display()))
            })?;
            let id = Uuid::new_v4();
            std::fs::write(&path, format!("{id}\n"))
                .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))?;
            Ok(id)
        }
        Err(e) => Err(Error::internal(format!("cannot read {}: {e}", path.display()))),
    }
}
