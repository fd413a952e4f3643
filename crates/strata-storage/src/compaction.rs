//! Compaction's part in storage: which partitions need it, writing merged rows as files of a
//! target size, and swapping those for their inputs in the catalog.
//!
//! Persistence writes a file per partition per generation, so a partition that keeps
//! receiving rows piles up small files, which may overlap in time. A job merges some of a
//! partition's files into level-1 files of about the target size, and the output takes the
//! write-order place of its newest input: while the partition takes writes, a bounded run of
//! files that are neighbours in write order; once it is cold, every small file with every
//! file overlapping their span of time (see [`choose_inputs`]). The merge itself
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
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use parquet::arrow::ArrowWriter;
use strata_types::{ColumnType, Error, ParquetFile, Result, Status, TableSchema};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::buffer::time_range;
use crate::columns::column_type_of;
use crate::persist::{EncodedFile, FileSummary, arrow_error, parquet_error, properties};
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
    /// The most files a job of a partition still taking writes merges. A merge holds a row
    /// group of each input at a time, so this bounds its memory.
    pub max_inputs: usize,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy {
            target_bytes: 100 << 20,
            max_new_files: 10,
            cold_after: Duration::from_secs(600),
            max_inputs: 32,
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

    /// Starts uploading a file of a job's output, which is written a part at a time; it is
    /// registered when the job commits.
    pub async fn begin_compacted(
        &self,
        job: &CompactionJob,
        file: Uuid,
    ) -> Result<CompactedUpload> {
        let path = object_path(
            job.database_id,
            job.table.table.id,
            &job.partition_key,
            file,
        );
        self.begin_upload(&path).await?;
        let writer = BufWriter::with_capacity(self.store.clone(), path.clone(), UPLOAD_PART_BYTES)
            .with_max_concurrency(2);
        Ok(CompactedUpload {
            path,
            writer,
            size: 0,
        })
    }

    /// Completes an upload whose bytes are all put; returns the file as the catalog is to
    /// record it.
    pub async fn finish_compacted(
        &self,
        job: &CompactionJob,
        mut upload: CompactedUpload,
        summary: FileSummary,
    ) -> Result<ParquetFile> {
        if let Err(e) = upload.writer.shutdown().await {
            // A writer that failed to finish cannot be aborted; what it left is deleted.
            self.delete_objects(upload.path.as_ref()).await;
            return Err(Error::internal(format!(
                "writing a compacted file to the object store failed: {e}"
            )));
        }
        self.uploaded(
            summary,
            upload.size,
            upload.path,
            &self.compacted_placement(job),
        )
        .await
    }

    /// Stops an upload that will not be registered and deletes what it wrote.
    pub async fn abandon_compacted(&self, mut upload: CompactedUpload) {
        if let Err(e) = upload.writer.abort().await {
            tracing::warn!(error = %e, path = %upload.path, "aborting an upload failed");
        }
        self.delete_objects(upload.path.as_ref()).await;
    }

    /// Where a job's output goes in write order: the place of its newest input.
    fn compacted_placement(&self, job: &CompactionJob) -> Placement {
        let newest = job.inputs.last().expect("a job has inputs");
        let wal_segment = job
            .inputs
            .iter()
            .filter(|f| f.node_id == self.config.node_id)
            .map(|f| f.wal_segment)
            .max()
            .unwrap_or(newest.wal_segment);
        Placement {
            database_id: job.database_id,
            table_id: job.table.table.id,
            wal_segment,
            created_at: newest.created_at,
            compaction_level: 1,
        }
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

/// Bytes of a compacted file collected before they go to the store as one part.
const UPLOAD_PART_BYTES: usize = 8 << 20;

/// A compacted file on its way to the object store, a part at a time.
pub struct CompactedUpload {
    path: ObjectPath,
    writer: BufWriter,
    size: usize,
}

impl CompactedUpload {
    /// Adds the file's next bytes.
    pub async fn put(&mut self, bytes: Bytes) -> Result<()> {
        self.size += bytes.len();
        self.writer.put(bytes).await.map_err(|e| {
            Error::internal(format!(
                "writing {} to the object store failed: {e}",
                self.path
            ))
        })
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
            &file.summary.partition_key,
            file.summary.id,
        );
        self.begin_upload(&path).await?;
        let size = file.bytes.len();
        self.put(&path, file.bytes).await?;
        self.uploaded(file.summary, size, path, placed).await
    }

    /// Notes an upload, so that its objects are deleted if it is cut short.
    async fn begin_upload(&self, path: &ObjectPath) -> Result<()> {
        self.catalog
            .begin_parquet_upload(path.as_ref(), Utc::now())
            .await
    }

    async fn put(&self, path: &ObjectPath, bytes: Bytes) -> Result<()> {
        self.store.put(path, bytes.into()).await.map_err(|e| {
            Error::internal(format!("writing {path} to the object store failed: {e}"))
        })?;
        Ok(())
    }

    /// Puts the statistics of a file whose bytes are stored; returns the file as the catalog
    /// is to record it.
    async fn uploaded(
        &self,
        summary: FileSummary,
        size: usize,
        path: ObjectPath,
        placed: &Placement,
    ) -> Result<ParquetFile> {
        self.put(&crate::stats_path(path.as_ref())?, summary.stats.to_ipc()?)
            .await?;
        self.stats.put_file(summary.id, Arc::new(summary.stats));
        Ok(ParquetFile {
            id: summary.id,
            database_id: placed.database_id,
            table_id: placed.table_id,
            partition_key: summary.partition_key,
            path: path.to_string(),
            min_time: summary.min_time,
            max_time: summary.max_time,
            row_count: summary.rows as i64,
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

/// The files of a partition (in write order) to compact now, if it needs it.
///
/// Files persistence wrote and small compacted ones are worth merging. While the partition
/// takes writes and holds many new files, a job merges the oldest run of such files that are
/// neighbours in write order, at most `max_inputs` of them: no file outside the run is
/// between two of its files in write order, so the output taking the run's place changes no
/// point's latest write, whatever the files' times. Once the partition has gone cold, one
/// job merges every such file together with every file overlapping the span of their times,
/// transitively: no file left out then shares a point with the output, or even a time, and
/// the partition ends as files that no two share a point.
fn choose_inputs(
    mut files: Vec<ParquetFile>,
    policy: &CompactionPolicy,
    now: DateTime<Utc>,
) -> Option<Vec<ParquetFile>> {
    if files.len() < 2 {
        return None;
    }
    files.sort_by_key(|f| (f.created_at, f.wal_segment));
    let mergeable: Vec<bool> = files
        .iter()
        .map(|f| f.compaction_level == 0 || (f.size_bytes as u64) < policy.target_bytes / 2)
        .collect();
    let new = files.iter().filter(|f| f.compaction_level == 0).count();
    let newest = files.iter().map(|f| f.created_at).max()?;
    let cold = (now - newest)
        .to_std()
        .is_ok_and(|age| age >= policy.cold_after);
    let chosen = if cold {
        // A lone small file is what the last job left: nothing to merge it with.
        if new == 0 && mergeable.iter().filter(|m| **m).count() < 2 {
            return None;
        }
        overlapping_closure(&files, mergeable)
    } else if new >= policy.max_new_files {
        oldest_run(&mergeable, policy.max_inputs)
    } else {
        return None;
    };
    let inputs: Vec<ParquetFile> = files
        .into_iter()
        .zip(chosen)
        .filter_map(|(f, c)| c.then_some(f))
        .collect();
    (inputs.len() >= 2).then_some(inputs)
}

/// The chosen files and every file overlapping the span of their times, until no more join.
/// The span, not each file's times: the output's files each hold series over the whole span,
/// so a file left inside it would seem to share points with them, and queries would merge.
fn overlapping_closure(files: &[ParquetFile], mut chosen: Vec<bool>) -> Vec<bool> {
    let span = |chosen: &[bool]| {
        files
            .iter()
            .zip(chosen)
            .filter(|(_, c)| **c)
            .fold((i64::MAX, i64::MIN), |(min, max), (f, _)| {
                (min.min(f.min_time), max.max(f.max_time))
            })
    };
    loop {
        let (min, max) = span(&chosen);
        let mut grew = false;
        for (file, chosen) in files.iter().zip(chosen.iter_mut()) {
            if !*chosen && file.min_time <= max && min <= file.max_time {
                *chosen = true;
                grew = true;
            }
        }
        if !grew {
            return chosen;
        }
    }
}

/// The first run of at least two neighbouring mergeable files, cut at `max_inputs` files.
fn oldest_run(mergeable: &[bool], max_inputs: usize) -> Vec<bool> {
    let mut chosen = vec![false; mergeable.len()];
    let mut start = 0;
    while start < mergeable.len() {
        let length = mergeable[start..]
            .iter()
            .take_while(|m| **m)
            .take(max_inputs)
            .count();
        if length >= 2 {
            chosen[start..start + length].fill(true);
            break;
        }
        start += length + 1;
    }
    chosen
}

/// What a compaction writer has ready for the object store, in order: each file's bytes a
/// part at a time, then its summary.
pub enum CompactedPart {
    /// The next bytes of file `file`.
    Bytes { file: Uuid, bytes: Bytes },
    /// The file whose bytes came before is whole.
    Finished(FileSummary),
}

/// Writes a job's rows, which come in key order (tags, then time), as files of about the
/// target size, each cut where a series ends. A file's bytes are handed on as its row groups
/// are written, so the writer holds about one row group, whatever the target.
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

/// Statistics of appended batches kept apart before they are merged: merging on every
/// batch re-sorted the whole file's series each time.
const STATS_MERGED_EVERY: usize = 64;

struct OpenFile {
    id: Uuid,
    writer: ArrowWriter<Vec<u8>>,
    /// The statistics of what was appended, oldest first; merged now and then.
    stats: Vec<SeriesStats>,
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

    /// Writes rows; returns what of the files is ready.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<Vec<CompactedPart>> {
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
        if let Some(file) = &mut self.open {
            finished.extend(file.written());
        }
        Ok(finished)
    }

    /// Closes the last file; returns the rest of it.
    pub fn finish(mut self) -> Result<Vec<CompactedPart>> {
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
                stats: Vec::new(),
                rows: 0,
                min_time: i64::MAX,
                max_time: i64::MIN,
            });
        }
        let file = self.open.as_mut().expect("opened above");
        file.writer.write(rows).map_err(parquet_error)?;
        file.stats.push(SeriesStats::of_rows(rows)?);
        if file.stats.len() == STATS_MERGED_EVERY {
            let merged = SeriesStats::merge_in_write_order(&file.stats)?;
            file.stats = vec![merged];
        }
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

    /// The rest of the open file and its summary, if a file is open.
    fn close(&mut self) -> Result<Vec<CompactedPart>> {
        let Some(file) = self.open.take() else {
            return Ok(Vec::new());
        };
        let rest = file.writer.into_inner().map_err(parquet_error)?;
        let stats = SeriesStats::merge_in_write_order(&file.stats)?;
        Ok(vec![
            CompactedPart::Bytes {
                file: file.id,
                bytes: Bytes::from(rest),
            },
            CompactedPart::Finished(FileSummary {
                id: file.id,
                partition_key: self.partition_key.clone(),
                stats,
                min_time: file.min_time,
                max_time: file.max_time,
                rows: file.rows,
            }),
        ])
    }
}

impl OpenFile {
    /// The bytes of the row groups written since the last call. The writer only appends,
    /// and counts offsets itself, so what it wrote can be taken away.
    fn written(&mut self) -> Option<CompactedPart> {
        let bytes = std::mem::take(self.writer.inner_mut());
        (!bytes.is_empty()).then(|| CompactedPart::Bytes {
            file: self.id,
            bytes: Bytes::from(bytes),
        })
    }

    /// Bytes written, and buffered for the row group being written.
    fn size(&self) -> u64 {
        (self.writer.bytes_written() + self.writer.in_progress_size()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: i64 = 1 << 20;

    /// A file written `order`-th, of `level`, `size` bytes, holding times `min..=max`.
    fn file(order: i64, level: i32, size: i64, (min, max): (i64, i64)) -> ParquetFile {
        ParquetFile {
            id: Uuid::new_v4(),
            database_id: 1,
            table_id: 1,
            partition_key: "2026-12-03".into(),
            path: format!("file-{order}"),
            min_time: min,
            max_time: max,
            row_count: 1,
            size_bytes: size,
            node_id: Uuid::nil(),
            wal_segment: order,
            created_at: DateTime::from_timestamp(order, 0).unwrap(),
            compaction_level: level,
        }
    }

    fn policy(max_new_files: usize, max_inputs: usize) -> CompactionPolicy {
        CompactionPolicy {
            target_bytes: 100 << 20,
            max_new_files,
            cold_after: Duration::from_secs(600),
            max_inputs,
        }
    }

    /// The `path`s of the chosen files, or none.
    fn chosen(files: Vec<ParquetFile>, policy: &CompactionPolicy, now: i64) -> Vec<String> {
        let now = DateTime::from_timestamp(now, 0).unwrap();
        choose_inputs(files, policy, now)
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn a_hot_partition_merges_its_oldest_run_of_neighbouring_files() {
        // Two files of an earlier job (a full one and its small tail), then new files; every
        // file overlaps every other in time.
        let files = vec![
            file(4, 0, MB, (0, 10)),
            file(1, 1, 90 * MB, (0, 10)),
            file(2, 1, 10 * MB, (0, 10)),
            file(3, 0, MB, (0, 10)),
            file(5, 0, MB, (0, 10)),
        ];
        assert_eq!(
            chosen(files.clone(), &policy(3, 3), 6),
            ["file-2", "file-3", "file-4"],
            "the full file stays out although it overlaps; the run is cut at three files"
        );
        assert_eq!(
            chosen(files.clone(), &policy(3, 32), 6),
            ["file-2", "file-3", "file-4", "file-5"]
        );
        assert!(
            chosen(files, &policy(4, 32), 6).is_empty(),
            "three new files are not many"
        );

        // A lone mergeable file between full ones is no run.
        let files = vec![
            file(1, 0, MB, (0, 10)),
            file(2, 1, 90 * MB, (0, 10)),
            file(3, 0, MB, (20, 30)),
            file(4, 0, MB, (40, 50)),
        ];
        assert_eq!(chosen(files, &policy(3, 32), 5), ["file-3", "file-4"]);
    }

    #[test]
    fn a_cold_partition_merges_its_small_files_with_every_file_they_overlap() {
        let cold = 6 + 600;
        let files = vec![
            file(1, 1, 90 * MB, (0, 10)),
            file(2, 1, 90 * MB, (50, 60)),
            file(3, 0, MB, (5, 20)),
            file(4, 0, MB, (20, 30)),
        ];
        assert_eq!(
            chosen(files, &policy(10, 2), cold),
            ["file-1", "file-3", "file-4"],
            "the full file it overlaps joins, however many; the one apart stays"
        );

        // What a job leaves (full files and one small one, all over the same times) is left.
        let compacted = vec![
            file(1, 1, 90 * MB, (0, 60)),
            file(1, 1, 90 * MB, (0, 60)),
            file(1, 1, 10 * MB, (0, 60)),
        ];
        assert!(chosen(compacted.clone(), &policy(10, 32), cold).is_empty());
        // A file of full size inside the span of the small ones joins them, although it
        // overlaps neither: the output spans their times.
        let files = vec![
            file(1, 0, MB, (0, 5)),
            file(2, 1, 90 * MB, (10, 20)),
            file(3, 0, MB, (35, 40)),
            file(4, 1, 90 * MB, (50, 60)),
        ];
        assert_eq!(
            chosen(files, &policy(10, 32), cold),
            ["file-1", "file-2", "file-3"]
        );

        // A second small file is merged with the first, and so with all it overlaps.
        let mut more = compacted;
        more.push(file(2, 1, 10 * MB, (70, 80)));
        assert_eq!(chosen(more, &policy(10, 32), cold).len(), 4);
    }
}
