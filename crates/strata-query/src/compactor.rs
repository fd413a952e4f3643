//! The compactor: merges each partition's small and overlapping files into sorted files that
//! share no point, with the same deduplicating merge queries read through.
//!
//! Storage decides which partitions need it and writes and swaps the files
//! ([`strata_storage::CompactionJob`]); here the job's inputs are read in key order, a point
//! written more than once folded into one row, and the rows streamed into the output files.
//! Memory stays bounded (a row group of each input, and a part of the output, which goes to
//! the object store as it is written), one job runs at a time, and a job waits while
//! persistence is behind so that ingest keeps the cores. Every job is noted
//! for `system.compactor`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datafusion::execution::TaskContext;
use datafusion::physical_plan::execute_stream;
use futures::StreamExt;
use strata_storage::{
    CompactedPart, CompactedUpload, CompactionJob, CompactionPolicy, CompactionWriter,
};
use strata_types::{Error, ParquetFile, Result};

use crate::table::merged_files;
use crate::{QueryEngine, table_schema};

/// When the compactor looks for work, and what it does.
#[derive(Debug, Clone)]
pub struct CompactorConfig {
    pub policy: CompactionPolicy,
    /// How often partitions are checked.
    pub interval: Duration,
}

/// One compaction, as `system.compactor` shows it.
#[derive(Debug, Clone)]
pub struct CompactionRecord {
    /// When it started, in nanoseconds since the epoch.
    pub started_at: i64,
    pub database: String,
    pub table: String,
    pub partition_key: String,
    pub input_files: usize,
    pub input_bytes: u64,
    pub output_files: usize,
    pub output_bytes: u64,
    pub rows: u64,
    pub duration: Duration,
    pub error: Option<String>,
}

/// The node's most recent compactions, oldest first.
pub(crate) struct CompactionLog {
    records: Mutex<VecDeque<CompactionRecord>>,
    capacity: usize,
}

impl CompactionLog {
    pub(crate) fn new(capacity: usize) -> Self {
        CompactionLog {
            records: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
        }
    }

    fn record(&self, record: CompactionRecord) {
        let mut records = self.records.lock().expect("compaction log lock");
        if records.len() == self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// The compactions of one database.
    pub(crate) fn of(&self, database: &str) -> Vec<CompactionRecord> {
        self.records
            .lock()
            .expect("compaction log lock")
            .iter()
            .filter(|r| r.database == database)
            .cloned()
            .collect()
    }
}

impl QueryEngine {
    /// Compacts what needs it every interval, until the process ends.
    pub async fn run_compactor(self: Arc<Self>, config: CompactorConfig) {
        loop {
            tokio::time::sleep(config.interval).await;
            if let Err(e) = self.compact_now(&config.policy).await {
                tracing::error!(error = %e, "compaction failed; trying again later");
            }
        }
    }

    /// Runs every compaction due now, one after another; returns what each did.
    pub async fn compact_now(&self, policy: &CompactionPolicy) -> Result<Vec<CompactionRecord>> {
        let jobs = self
            .storage
            .compaction_jobs(policy, chrono::Utc::now())
            .await?;
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            let started_at = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
            let clock = Instant::now();
            let outcome = self.compact(&job, policy.target_bytes).await;
            let output = outcome.as_ref().map(Vec::as_slice).unwrap_or_default();
            let record = CompactionRecord {
                started_at,
                database: job.database.clone(),
                table: job.table.table.name.clone(),
                partition_key: job.partition_key.clone(),
                input_files: job.inputs.len(),
                input_bytes: job.input_bytes(),
                output_files: output.len(),
                output_bytes: output.iter().map(|f| f.size_bytes as u64).sum(),
                rows: output.iter().map(|f| f.row_count as u64).sum(),
                duration: clock.elapsed(),
                error: outcome.as_ref().err().map(|e| e.message.clone()),
            };
            match &record.error {
                None => tracing::info!(
                    database = record.database,
                    table = record.table,
                    partition = record.partition_key,
                    input_files = record.input_files,
                    output_files = record.output_files,
                    rows = record.rows,
                    "compacted a partition"
                ),
                Some(error) => tracing::warn!(
                    database = record.database,
                    table = record.table,
                    partition = record.partition_key,
                    error,
                    "compacting a partition failed; it is tried again later"
                ),
            }
            self.compactions.record(record.clone());
            done.push(record);
        }
        Ok(done)
    }

    /// Merges a job's inputs into new files and swaps them in; returns the new files.
    async fn compact(&self, job: &CompactionJob, target_bytes: u64) -> Result<Vec<ParquetFile>> {
        let mut output = Output::default();
        let result = self.merge_into(job, target_bytes, &mut output).await;
        if let Err(e) = result {
            if let Some(upload) = output.open.take() {
                self.storage.abandon_compacted(upload).await;
            }
            for file in &output.files {
                self.storage.abandon_upload(file).await;
            }
            return Err(e);
        }
        self.storage.commit_compaction(job, &output.files).await?;
        Ok(output.files)
    }

    /// Streams the merged rows of a job's inputs into files on the object store.
    async fn merge_into(
        &self,
        job: &CompactionJob,
        target_bytes: u64,
        output: &mut Output,
    ) -> Result<()> {
        let failed = |e: datafusion::error::DataFusionError| {
            Error::internal(format!("merging files failed: {e}"))
        };
        let written = |e: tokio::task::JoinError| {
            Error::internal(format!("writing compacted rows failed: {e}"))
        };
        let schema = table_schema(&job.table);
        let plan = merged_files(schema.clone(), &job.inputs, self.reader()).map_err(failed)?;
        let task = Arc::new(TaskContext::default().with_runtime(self.runtime()?));
        let mut rows = execute_stream(plan, task).map_err(failed)?;
        let mut writer = CompactionWriter::new(schema, &job.partition_key, target_bytes)?;
        loop {
            while self.storage.ingest_pressure() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let Some(batch) = rows.next().await else {
                break;
            };
            let batch = batch.map_err(failed)?;
            let (back, parts) = tokio::task::spawn_blocking(move || {
                let parts = writer.write(&batch);
                (writer, parts)
            })
            .await
            .map_err(written)?;
            writer = back;
            self.hand_over(job, parts?, output).await?;
        }
        let parts = tokio::task::spawn_blocking(move || writer.finish())
            .await
            .map_err(written)??;
        self.hand_over(job, parts, output).await
    }

    /// Sends what the writer has ready to the object store.
    async fn hand_over(
        &self,
        job: &CompactionJob,
        parts: Vec<CompactedPart>,
        output: &mut Output,
    ) -> Result<()> {
        for part in parts {
            match part {
                CompactedPart::Bytes { file, bytes } => {
                    if output.open.is_none() {
                        output.open = Some(self.storage.begin_compacted(job, file).await?);
                    }
                    output
                        .open
                        .as_mut()
                        .expect("opened above")
                        .put(bytes)
                        .await?;
                }
                CompactedPart::Finished(summary) => {
                    let upload = output.open.take().ok_or_else(|| {
                        Error::internal("a compacted file was finished before it was written")
                    })?;
                    let file = self.storage.finish_compacted(job, upload, summary).await?;
                    output.files.push(file);
                }
            }
        }
        Ok(())
    }
}

/// A job's output so far: the files uploaded, and the one being uploaded.
#[derive(Default)]
struct Output {
    files: Vec<ParquetFile>,
    open: Option<CompactedUpload>,
}
