//! Compaction's part in storage: which partitions need it, writing merged rows as files of a
//! target size, and swapping those for their inputs in the catalog.
//!
//! Persistence writes a file per partition per generation, so a partition that keeps
//! receiving rows piles up small files, which may overlap in time. A job merges some of a
//! partition's files into level-1 files of about the target size: the job's inputs are every
//! file overlapping another input in time, so no file left out can share a point with the
//! output, and the output takes the write-order place of its newest input. The merge itself
//! (rows in key order, a point written more than once folded into one) is the query engine's;
//! its rows come here in key order and are cut into files at series boundaries, so no two
//! output files share a series. Replaced files stay readable for the deletion grace, for
//! queries in flight, before garbage collection deletes them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{OwnedRow, RowConverter, SortField};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use object_store::ObjectStoreExt;
use parquet::arrow::ArrowWriter;
use strata_types::{ColumnType, ParquetFile, Result, Status, TableSchema};
use uuid::Uuid;

use crate::buffer::time_range;
use crate::columns::column_type_of;
use crate::persist::{EncodedFile, arrow_error, parquet_error, properties};
use crate::stats::SeriesStats;
use crate::{Storage, object_path};

/// When partitions are compacted.
#[derive(Debug, Clone)]
pub struct CompactionPolicy {
    /// The size compacted files are cut at (at the next series boundary).
    pub target_bytes: u64,
    /// A partition with this many files written by persistence is compacted.
    pub max_new_files: usize,
    /// A partition without a new file for this long is compacted once, when it has files to
    /// merge.
    pub cold_after: Duration,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy {
            target_bytes: 100 << 20,
            max_new_files: 10,
            cold_after: Duration::from_secs(600),
        }
    }
}

/// Files of one partition to merge into one sorted run of files.
#[derive(Debug, Clone)]
pub struct CompactionJob {
    pub database_id: i64,
    pub database: String,
    pub table: TableSchema,
    pub partition_key: String,
    /// In write order: a point in two inputs takes the later one's values.
    pub inputs: Vec<ParquetFile>,
}

impl CompactionJob {
    pub fn input_bytes(&self) -> u64 {
        self.inputs.iter().map(|f| f.size_bytes as u64).sum()
    }
}

impl Storage {
    /// The partitions that need compaction now, with the files to merge.
    pub async fn compaction_jobs(
        &self,
        policy: &CompactionPolicy,
        now: DateTime<Utc>,
    ) -> Result<Vec<CompactionJob>> {
        let buffered = self.buffer.segments();
        let mut jobs = Vec::new();
        for database in self.catalog.list_databases(Some(Status::Active)).await? {
            let schema = match self.catalog.get_schema(&database.name).await {
                Ok(schema) => schema,
                // Deleted since it was listed.
                Err(e) if e.kind == strata_types::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut partitions: BTreeMap<(i64, String), Vec<ParquetFile>> = BTreeMap::new();
            for file in self.catalog.list_parquet_files(database.id).await? {
                // Rows of a generation still buffered are read from the buffer: its files
                // wait until it is released.
                if file.node_id == self.config.node_id && buffered.contains(&file.wal_segment) {
                    continue;
                }
                partitions
                    .entry((file.table_id, file.partition_key.clone()))
                    .or_default()
                    .push(file);
            }
            for ((table_id, partition_key), files) in partitions {
                let Some(table) = schema.tables.iter().find(|t| t.table.id == table_id) else {
                    continue;
                };
                if let Some(inputs) = choose_inputs(files, policy, now) {
                    jobs.push(CompactionJob {
                        database_id: database.id,
                        database: database.name.clone(),
                        table: table.clone(),
                        partition_key,
                        inputs,
                    });
                }
            }
        }
        Ok(jobs)
    }

    /// Uploads a file a job wrote; it is registered when the job commits.
    pub async fn upload_compacted(
        &self,
        job: &CompactionJob,
        file: EncodedFile,
    ) -> Result<ParquetFile> {
        let newest = job.inputs.last().expect("a job has inputs");
        let wal_segment = job
            .inputs
            .iter()
            .filter(|f| f.node_id == self.config.node_id)
            .map(|f| f.wal_segment)
            .max()
            .unwrap_or(newest.wal_segment);
        let placed = Placement {
            database_id: job.database_id,
            table_id: job.table.table.id,
            wal_segment,
            created_at: newest.created_at,
            compaction_level: 1,
        };
        self.upload(file, &placed).await
    }

    /// Registers a job's output in place of its inputs. Fails with `Conflict` when an input
    /// was replaced or deleted meanwhile; the output's objects are then deleted.
    pub async fn commit_compaction(
        &self,
        job: &CompactionJob,
        output: &[ParquetFile],
    ) -> Result<()> {
        let inputs: Vec<Uuid> = job.inputs.iter().map(|f| f.id).collect();
        match self
            .catalog
            .replace_parquet_files(&inputs, output, Utc::now())
            .await
        {
            Ok(()) => {
                self.files.invalidate();
                Ok(())
            }
            Err(e) => {
                for file in output {
                    self.delete_objects(&file.path).await;
                }
                Err(e)
            }
        }
    }

    /// Deletes the objects of an upload that will not be registered, and forgets the upload.
    pub async fn abandon_upload(&self, file: &ParquetFile) {
        self.delete_objects(&file.path).await;
    }
}

/// Where an uploaded file belongs and its place in write order.
pub(crate) struct Placement {
    pub database_id: i64,
    pub table_id: i64,
    pub wal_segment: i64,
    pub created_at: DateTime<Utc>,
    pub compaction_level: i32,
}

impl Storage {
    /// Uploads a file and its statistics, noting the upload first so that objects of an
    /// upload cut short are found and deleted later.
    pub(crate) async fn upload(
        &self,
        file: EncodedFile,
        placed: &Placement,
    ) -> Result<ParquetFile> {
        let path = object_path(
            placed.database_id,
            placed.table_id,
            &file.partition_key,
            file.id,
        );
        self.catalog
            .begin_parquet_upload(path.as_ref(), Utc::now())
            .await?;
        let size = file.bytes.len();
        let put = |path: object_store::path::Path, bytes: Bytes| async move {
            self.store.put(&path, bytes.into()).await.map_err(|e| {
                strata_types::Error::internal(format!(
                    "writing {path} to the object store failed: {e}"
                ))
            })
        };
        put(path.clone(), file.bytes).await?;
        put(crate::stats_path(path.as_ref())?, file.stats.to_ipc()?).await?;
        self.stats.put_file(file.id, Arc::new(file.stats));
        Ok(ParquetFile {
            id: file.id,
            database_id: placed.database_id,
            table_id: placed.table_id,
            partition_key: file.partition_key,
            path: path.to_string(),
            min_time: file.min_time,
            max_time: file.max_time,
            row_count: file.rows as i64,
            size_bytes: size as i64,
            node_id: self.config.node_id,
            wal_segment: placed.wal_segment,
            created_at: placed.created_at,
            compaction_level: placed.compaction_level,
        })
    }

    /// Deletes a file's objects and forgets its upload; returns whether they are gone (what
    /// is left is tried again by the next garbage collection).
    pub(crate) async fn delete_objects(&self, path: &str) -> bool {
        let (Ok(parquet), Ok(stats)) = (
            object_store::path::Path::parse(path),
            crate::stats_path(path),
        ) else {
            tracing::warn!(path, "an object path the store cannot hold was left alone");
            return false;
        };
        for object in [parquet, stats] {
            if let Err(e) = self.store.delete(&object).await
                && !matches!(e, object_store::Error::NotFound { .. })
            {
                tracing::warn!(error = %e, %object, "deleting an object failed; trying again later");
                return false;
            }
        }
        if let Err(e) = self.catalog.forget_parquet_upload(path).await {
            tracing::warn!(error = %e, path, "forgetting an upload failed; trying again later");
            return false;
        }
        true
    }

    /// Whether persistence is behind: a frozen generation waits while another is written.
    /// Compaction waits while it is, so that ingest keeps the cores; one generation being
    /// written is the normal state of a node under steady writes, and compaction goes on
    /// beside it, or it would never run under load.
    pub fn ingest_pressure(&self) -> bool {
        self.buffer.frozen().len() > 1
    }
}

/// The files of a partition (in write order) to compact now, if it needs it: the files
/// persistence wrote, the small compacted ones, and every file overlapping one of those in
/// time, when there are many new files or the partition has gone cold.
fn choose_inputs(
    mut files: Vec<ParquetFile>,
    policy: &CompactionPolicy,
    now: DateTime<Utc>,
) -> Option<Vec<ParquetFile>> {
    if files.len() < 2 {
        return None;
    }
    files.sort_by_key(|f| (f.created_at, f.wal_segment));
    let small = |f: &ParquetFile| (f.size_bytes as u64) < policy.target_bytes / 2;
    let new = files.iter().filter(|f| f.compaction_level == 0).count();
    let newest = files.iter().map(|f| f.created_at).max()?;
    let cold = (now - newest)
        .to_std()
        .is_ok_and(|age| age >= policy.cold_after);
    if new < policy.max_new_files && !cold {
        return None;
    }
    let mut chosen: Vec<bool> = files
        .iter()
        .map(|f| f.compaction_level == 0 || small(f))
        .collect();
    // Every file overlapping a chosen one in time joins, transitively: a file left out then
    // shares no point with the output.
    loop {
        let mut grew = false;
        for i in 0..files.len() {
            if chosen[i] {
                continue;
            }
            let overlaps = files.iter().zip(&chosen).any(|(other, c)| {
                *c && other.min_time <= files[i].max_time && files[i].min_time <= other.max_time
            });
            if overlaps {
                chosen[i] = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let inputs: Vec<ParquetFile> = files
        .into_iter()
        .zip(chosen)
        .filter_map(|(f, c)| c.then_some(f))
        .collect();
    (inputs.len() >= 2).then_some(inputs)
}

/// Writes a job's rows, which come in key order (tags, then time), as files of about the
/// target size, each cut where a series ends.
pub struct CompactionWriter {
    schema: SchemaRef,
    partition_key: String,
    target_bytes: u64,
    tags: Vec<usize>,
    converter: RowConverter,
    open: Option<OpenFile>,
    /// The series of the last row written.
    last_series: Option<OwnedRow>,
}

struct OpenFile {
    id: Uuid,
    writer: ArrowWriter<Vec<u8>>,
    stats: Option<SeriesStats>,
    rows: usize,
    min_time: i64,
    max_time: i64,
}

impl CompactionWriter {
    /// A writer of rows in the table's Arrow layout `schema`.
    pub fn new(schema: SchemaRef, partition_key: &str, target_bytes: u64) -> Result<Self> {
        let tags: Vec<usize> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| column_type_of(f) == Some(ColumnType::Tag))
            .map(|(i, _)| i)
            .collect();
        let fields = tags
            .iter()
            .map(|&i| SortField::new(schema.field(i).data_type().clone()))
            .collect();
        Ok(CompactionWriter {
            converter: RowConverter::new(fields).map_err(arrow_error)?,
            schema,
            partition_key: partition_key.to_string(),
            target_bytes,
            tags,
            open: None,
            last_series: None,
        })
    }

    /// Writes rows; returns the files that became full.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<Vec<EncodedFile>> {
        let batch = RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec())
            .map_err(arrow_error)?;
        let mut finished = Vec::new();
        let mut rest = batch;
        while rest.num_rows() > 0 {
            let full = self
                .open
                .as_ref()
                .is_some_and(|f| f.size() >= self.target_bytes);
            let cut = if full { self.series_end(&rest)? } else { None };
            match cut {
                Some(0) => finished.extend(self.close()?),
                Some(at) => {
                    self.append(&rest.slice(0, at))?;
                    finished.extend(self.close()?);
                    rest = rest.slice(at, rest.num_rows() - at);
                }
                None => {
                    self.append(&rest)?;
                    break;
                }
            }
        }
        Ok(finished)
    }

    /// Closes the last file.
    pub fn finish(mut self) -> Result<Option<EncodedFile>> {
        self.close()
    }

    /// The first row of `batch` whose series differs from the row before it (the last one
    /// written, for the first row); `None` when the whole batch continues one series.
    fn series_end(&self, batch: &RecordBatch) -> Result<Option<usize>> {
        if self.tags.is_empty() {
            return Ok(Some(0));
        }
        let columns: Vec<ArrayRef> = self.tags.iter().map(|&i| batch.column(i).clone()).collect();
        let rows = self
            .converter
            .convert_columns(&columns)
            .map_err(arrow_error)?;
        let mut previous = self.last_series.as_ref().map(|r| r.row());
        for i in 0..rows.num_rows() {
            let row = rows.row(i);
            if previous.is_some_and(|p| p != row) {
                return Ok(Some(i));
            }
            previous = Some(row);
        }
        Ok(None)
    }

    fn append(&mut self, rows: &RecordBatch) -> Result<()> {
        if rows.num_rows() == 0 {
            return Ok(());
        }
        if self.open.is_none() {
            let writer = ArrowWriter::try_new(
                Vec::new(),
                self.schema.clone(),
                Some(properties(&self.schema)),
            )
            .map_err(parquet_error)?;
            self.open = Some(OpenFile {
                id: Uuid::new_v4(),
                writer,
                stats: None,
                rows: 0,
                min_time: i64::MAX,
                max_time: i64::MIN,
            });
        }
        let file = self.open.as_mut().expect("opened above");
        file.writer.write(rows).map_err(parquet_error)?;
        let stats = SeriesStats::of_rows(rows)?;
        file.stats = Some(match file.stats.take() {
            Some(before) => SeriesStats::merge(&[(0, &before), (1, &stats)])?,
            None => stats,
        });
        let (first, last) = time_range(rows);
        file.rows += rows.num_rows();
        file.min_time = file.min_time.min(first);
        file.max_time = file.max_time.max(last);
        if !self.tags.is_empty() {
            let columns: Vec<ArrayRef> =
                self.tags.iter().map(|&i| rows.column(i).clone()).collect();
            let converted = self
                .converter
                .convert_columns(&columns)
                .map_err(arrow_error)?;
            self.last_series = Some(converted.row(rows.num_rows() - 1).owned());
        }
        Ok(())
    }

    fn close(&mut self) -> Result<Option<EncodedFile>> {
        let Some(file) = self.open.take() else {
            return Ok(None);
        };
        let bytes = file.writer.into_inner().map_err(parquet_error)?;
        Ok(Some(EncodedFile {
            id: file.id,
            partition_key: self.partition_key.clone(),
            bytes: Bytes::from(bytes),
            stats: file.stats.expect("an open file has rows"),
            min_time: file.min_time,
            max_time: file.max_time,
            rows: file.rows,
        }))
    }
}

impl OpenFile {
    /// Bytes written, and buffered for the row group being written.
    fn size(&self) -> u64 {
        (self.writer.bytes_written() + self.writer.in_progress_size()) as u64
    }
}
