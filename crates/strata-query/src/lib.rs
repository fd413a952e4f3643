//! The query engine: SQL and InfluxQL over a database's tables with DataFusion.
//!
//! Every query gets its own DataFusion session whose default schema (`public.iox`, as in
//! InfluxDB 3) holds one table per measurement of the database. A table's columns are its
//! catalog columns in name order: `time` (timestamp, nanoseconds, UTC), tags (dictionary-encoded
//! strings) and fields (their line-protocol types). Scanning a table unions the node's buffered
//! rows with the table's Parquet files, skipping files outside the query's time range or whose
//! partition key rules out a tag value the query asks for, merging a point written more than
//! once, and never returns rows older than the database's retention period.
//! `information_schema` is there. InfluxQL ([`influxql`]) is planned into the same engine. A
//! query runs under a timeout and a memory limit; either ends it with a clear error and the
//! server carries on. Answers are [`QueryStream`]s: batches as DataFusion computes them, which
//! the output formats encode one at a time, so an answer of any size takes memory in
//! proportion to a batch, not to the answer, and what a format must hold is accounted in the
//! query's memory pool.

mod compactor;
mod dedupe;
mod format;
mod from_stats;
pub mod influxql;
mod prepared;
mod reader;
mod stream;
mod system;
mod table;

use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use bytes::Bytes;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::execution::cache::default_cache::DefaultCache;
use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::stream::BoxStream;
use strata_catalog::Catalog;
use strata_storage::{Storage, arrow_field, table_template};
use strata_types::{DatabaseSchema, Error, Result};

pub use compactor::{CompactionRecord, CompactorConfig};
pub use format::OutputFormat;
pub use prepared::{BASE_TABLE, PreparedQuery, SqlSchema, SqlTable, VIEW};
pub use stream::QueryStream;
pub use system::QueryOrigin;

use system::{PendingRecord, QueryLog, system_tables_refused};
use table::{OBJECT_STORE_URL, StrataTable};

/// Limits every query runs under.
#[derive(Debug, Clone)]
pub struct QueryConfig {
    pub timeout: Duration,
    /// Memory one query may use for sorts, joins and aggregations, in bytes.
    pub memory_limit: usize,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            timeout: Duration::from_secs(60),
            memory_limit: 1 << 30,
        }
    }
}

impl QueryConfig {
    /// A DataFusion error in the caller's words.
    pub(crate) fn query_error(&self, error: DataFusionError) -> Error {
        match error.find_root() {
            DataFusionError::ResourcesExhausted(detail) => Error::invalid(format!(
                "the query needs more memory than the {} bytes a query may use ({detail}); narrow it or raise --query-memory-limit",
                self.memory_limit
            )),
            DataFusionError::IoError(_)
            | DataFusionError::ObjectStore(_)
            | DataFusionError::Internal(_) => Error::internal(format!("query failed: {error}")),
            DataFusionError::External(inner) => match inner.downcast_ref::<Error>() {
                Some(e) => e.clone(),
                None => Error::internal(format!("query failed: {error}")),
            },
            _ => Error::invalid(format!("query failed: {}", error.find_root())),
        }
    }

    /// A memory pool of the limit, for one query.
    pub(crate) fn memory_pool(&self) -> Arc<dyn MemoryPool> {
        Arc::new(GreedyMemoryPool::new(self.memory_limit))
    }

    pub(crate) fn timed_out(&self) -> Error {
        Error::invalid(format!(
            "the query ran longer than the {:?} allowed and was cancelled; narrow its time range or raise --query-timeout",
            self.timeout
        ))
    }
}

/// Rows a query has computed but not yet streamed (SHOW answers, built whole).
#[derive(Debug, Clone)]
pub(crate) struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// An answer encoded for the wire, chunk by chunk as its batches come.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// Cheap to clone: every part is shared.
#[derive(Clone)]
pub struct QueryEngine {
    catalog: Arc<dyn Catalog>,
    storage: Arc<Storage>,
    config: QueryConfig,
    /// Parquet footers and page indexes, kept across queries.
    metadata: Arc<FileMetadataCache>,
    /// Recent queries, for `system.queries`.
    log: Arc<QueryLog>,
    /// Recent compactions, for `system.compactor`.
    compactions: Arc<compactor::CompactionLog>,
}

/// Memory for Parquet metadata kept across queries.
const METADATA_CACHE_BYTES: usize = 64 << 20;

/// How many finished queries `system.queries` remembers.
const QUERY_LOG_CAPACITY: usize = 1000;

/// A table's Arrow schema: its columns in name order.
pub(crate) fn table_schema(table: &strata_types::TableSchema) -> SchemaRef {
    let mut columns: Vec<_> = table.columns.iter().collect();
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| arrow_field(&c.name, c.column_type))
            .collect::<Vec<_>>(),
    ))
}

/// A planned query made ready to run: optimized, with aggregations answered from series
/// statistics where they can be ([`from_stats`]), then planned physically. Every way of
/// running a query goes through here.
async fn physical_plan(
    frame: DataFrame,
) -> datafusion::error::Result<(Arc<dyn ExecutionPlan>, Arc<TaskContext>)> {
    let (state, plan) = frame.into_parts();
    let plan = state.optimize(&plan)?;
    let plan = from_stats::rewrite(plan, &state).await?;
    let physical = state
        .query_planner()
        .create_physical_plan(&plan, &state)
        .await?;
    Ok((physical, state.task_ctx()))
}

/// Runs a planned query to the end, for answers that are small by nature (SHOW).
pub(crate) async fn collect(frame: DataFrame) -> datafusion::error::Result<Vec<RecordBatch>> {
    let (plan, context) = physical_plan(frame).await?;
    datafusion::physical_plan::collect(plan, context).await
}

/// Starts a planned query; its batches come as the stream is read.
pub(crate) async fn execute(
    frame: DataFrame,
) -> datafusion::error::Result<SendableRecordBatchStream> {
    let (plan, context) = physical_plan(frame).await?;
    datafusion::physical_plan::execute_stream(plan, context)
}

impl QueryEngine {
    pub fn new(catalog: Arc<dyn Catalog>, storage: Arc<Storage>, config: QueryConfig) -> Self {
        QueryEngine {
            catalog,
            storage,
            config,
            metadata: Arc::new(DefaultCache::new(METADATA_CACHE_BYTES)),
            log: Arc::new(QueryLog::new(QUERY_LOG_CAPACITY)),
            compactions: Arc::new(compactor::CompactionLog::new(QUERY_LOG_CAPACITY)),
        }
    }

    /// Runs SQL against `database`. Fails with `NotFound` for an unknown database and
    /// `InvalidArgument` for a query that is wrong, naming the problem; a query too slow or
    /// too large fails so too, or, once its answer streams, ends the stream with that error.
    pub async fn sql(
        &self,
        database: &str,
        sql: &str,
        origin: &QueryOrigin,
    ) -> Result<QueryStream> {
        self.sql_with_params(database, sql, None, origin).await
    }

    /// The log entry of a query starting now, written when its answer ends.
    pub(crate) fn record(
        &self,
        database: &str,
        query_type: &'static str,
        text: &str,
        origin: &QueryOrigin,
    ) -> PendingRecord {
        PendingRecord::new(self.log.clone(), database, query_type, text, origin)
    }

    /// A query error, with a hint when it named a `system` table without asking for them.
    pub(crate) fn refine_error(&self, error: Error, origin: &QueryOrigin) -> Error {
        if !origin.debug && error.message.contains("table 'public.system.") {
            return system_tables_refused();
        }
        error
    }

    /// A session over the database's tables, and the `system` tables when asked for.
    fn session(&self, schema: &DatabaseSchema, origin: &QueryOrigin) -> Result<SessionContext> {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema("public", "iox")
            .with_create_default_catalog_and_schema(true)
            .with_information_schema(true)
            .with_extension(Arc::new(from_stats::Shortcuts(!origin.scan_only)));
        // Tables split their files for parallel reads themselves (table.rs).
        config.options_mut().optimizer.repartition_file_scans = false;
        let context = SessionContext::new_with_config_rt(config, self.runtime()?);
        let oldest = (schema.database.retention_period_ns > 0).then(|| {
            chrono::Utc::now()
                .timestamp_nanos_opt()
                .unwrap_or(i64::MAX)
                .saturating_sub(schema.database.retention_period_ns)
        });
        let reader = self.reader();
        for table in &schema.tables {
            let provider = StrataTable {
                database_id: schema.database.id,
                table_id: table.table.id,
                schema: table_schema(table),
                oldest,
                template: table_template(&schema.database, Some(&table.table)),
                storage: self.storage.clone(),
                reader: reader.clone(),
            };
            context
                .register_table(table.table.name.as_str(), Arc::new(provider))
                .map_err(|e| Error::internal(format!("cannot register table: {e}")))?;
        }
        if origin.debug {
            system::register(&context, self, schema)?;
        }
        Ok(context)
    }

    /// The runtime of one query or compaction: its own memory pool, the node's object store.
    fn runtime(&self) -> Result<Arc<RuntimeEnv>> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(self.config.memory_pool())
            .build_arc()
            .map_err(|e| Error::internal(format!("cannot set up a query: {e}")))?;
        let url = url::Url::parse(OBJECT_STORE_URL).expect("a valid URL");
        runtime.register_object_store(&url, self.storage.object_store().clone());
        Ok(runtime)
    }

    /// Opens Parquet files with their metadata from the node's cache.
    fn reader(&self) -> Arc<dyn ParquetFileReaderFactory> {
        Arc::new(reader::CachingReaders::new(
            self.storage.object_store().clone(),
            self.metadata.clone(),
        ))
    }

    fn query_error(&self, error: DataFusionError) -> Error {
        self.config.query_error(error)
    }
}
