//! Who asks, and what was asked: the origin of a query, and the node's log of recent queries
//! that `system.queries` shows to callers who send the `iox-debug` header, as InfluxDB 3 does.
//! A query's entry is written when its answer ends, not when its first row is ready: answers
//! stream, so only their end knows the rows sent and whether they all were.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::collections::BTreeMap;

use arrow::array::{
    ArrayRef, BooleanArray, DurationNanosecondArray, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use datafusion::catalog::{MemorySchemaProvider, Session, TableProvider};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use strata_storage::Storage;
use strata_types::{DatabaseSchema, Error, ParquetFile, Result};
use uuid::Uuid;

use crate::QueryEngine;
use crate::compactor::CompactionRecord;

/// Who runs a query, and whether they asked for the `system` tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryOrigin {
    /// The database token's id (never its secret).
    pub token_id: Option<Uuid>,
    /// The `iox-debug` header: the `system` schema is there.
    pub debug: bool,
    /// Read rows for every answer, never series statistics (a check of the shortcuts).
    pub scan_only: bool,
}

/// When a query started: the wall clock for the log, a monotonic clock for its duration.
pub(crate) struct Started {
    at: i64,
    clock: std::time::Instant,
}

impl Started {
    pub(crate) fn now() -> Self {
        Started {
            at: chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0),
            clock: std::time::Instant::now(),
        }
    }
}

/// One finished query.
#[derive(Debug, Clone)]
pub(crate) struct QueryRecord {
    pub issue_time: i64,
    pub database: String,
    pub query_type: &'static str,
    pub query_text: String,
    pub token_id: Option<Uuid>,
    pub duration: Duration,
    pub rows: u64,
    pub error: Option<String>,
}

/// A running query's entry, written to the log once: when its answer ends, when it fails, or,
/// if it is dropped before either (the client went away), as abandoned.
pub(crate) struct PendingRecord {
    log: Arc<QueryLog>,
    started: Started,
    /// Taken when the entry is written.
    record: Option<QueryRecord>,
}

impl PendingRecord {
    pub fn new(
        log: Arc<QueryLog>,
        database: &str,
        query_type: &'static str,
        text: &str,
        origin: &QueryOrigin,
    ) -> Self {
        let started = Started::now();
        let record = QueryRecord {
            issue_time: started.at,
            database: database.to_string(),
            query_type,
            query_text: text.to_string(),
            token_id: origin.token_id,
            duration: Duration::ZERO,
            rows: 0,
            error: None,
        };
        PendingRecord {
            log,
            started,
            record: Some(record),
        }
    }

    /// Counts rows sent to the client.
    pub fn add_rows(&mut self, rows: usize) {
        if let Some(record) = &mut self.record {
            record.rows += rows as u64;
        }
    }

    /// Notes an error; the first one is the query's.
    pub fn note_error(&mut self, error: &Error) {
        if let Some(record) = &mut self.record {
            record.error.get_or_insert_with(|| error.message.clone());
        }
    }

    /// Writes the entry (once; later calls do nothing).
    pub fn finish(&mut self) {
        if let Some(mut record) = self.record.take() {
            record.duration = self.started.clock.elapsed();
            self.log.record(record);
        }
    }
}

impl Drop for PendingRecord {
    fn drop(&mut self) {
        if let Some(record) = &self.record {
            let abandoned = Error::invalid(format!(
                "the answer was abandoned after {} rows: the client went away before it ended",
                record.rows
            ));
            self.note_error(&abandoned);
            self.finish();
        }
    }
}

/// The node's most recent queries, oldest first.
pub(crate) struct QueryLog {
    records: Mutex<VecDeque<QueryRecord>>,
    capacity: usize,
}

impl QueryLog {
    pub fn new(capacity: usize) -> Self {
        QueryLog {
            records: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
        }
    }

    pub fn record(&self, record: QueryRecord) {
        let mut records = self.records.lock().expect("query log lock");
        if records.len() == self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// `system.queries` for one database: only its own queries, whoever ran them.
    fn table(&self, database: &str) -> Result<MemTable> {
        let records: Vec<QueryRecord> = self
            .records
            .lock()
            .expect("query log lock")
            .iter()
            .filter(|r| r.database == database)
            .cloned()
            .collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "issue_time",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                false,
            ),
            Field::new("query_type", DataType::Utf8, false),
            Field::new("query_text", DataType::Utf8, false),
            Field::new("database", DataType::Utf8, false),
            Field::new("token_id", DataType::Utf8, true),
            Field::new(
                "completed_duration",
                DataType::Duration(TimeUnit::Nanosecond),
                false,
            ),
            Field::new("rows", DataType::UInt64, false),
            Field::new("success", DataType::Boolean, false),
            Field::new("error", DataType::Utf8, true),
        ]));
        let column = |f: &dyn Fn(&QueryRecord) -> Option<String>| -> ArrayRef {
            Arc::new(records.iter().map(f).collect::<StringArray>())
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(
                TimestampNanosecondArray::from_iter_values(records.iter().map(|r| r.issue_time))
                    .with_timezone("UTC"),
            ),
            column(&|r| Some(r.query_type.to_string())),
            column(&|r| Some(r.query_text.clone())),
            column(&|r| Some(r.database.clone())),
            column(&|r| r.token_id.map(|id| id.to_string())),
            Arc::new(DurationNanosecondArray::from_iter_values(
                records
                    .iter()
                    .map(|r| i64::try_from(r.duration.as_nanos()).unwrap_or(i64::MAX)),
            )),
            Arc::new(UInt64Array::from_iter_values(
                records.iter().map(|r| r.rows),
            )),
            Arc::new(BooleanArray::from_iter(
                records.iter().map(|r| Some(r.error.is_none())),
            )),
            column(&|r| r.error.clone()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| Error::internal(format!("cannot list queries: {e}")))?;
        MemTable::try_new(schema, vec![vec![batch]])
            .map_err(|e| Error::internal(format!("cannot list queries: {e}")))
    }
}

/// Adds the `system` schema to a session: `queries` and `compactor` (this node's recent
/// queries and compactions of the database), `partitions` and `tables`.
pub(crate) fn register(
    context: &SessionContext,
    engine: &QueryEngine,
    schema: &DatabaseSchema,
) -> Result<()> {
    let failed = |e: datafusion::error::DataFusionError| {
        Error::internal(format!("cannot set up system tables: {e}"))
    };
    let catalog = context
        .catalog("public")
        .ok_or_else(|| Error::internal("the session has no catalog `public`"))?;
    catalog
        .register_schema("system", Arc::new(MemorySchemaProvider::new()))
        .map_err(failed)?;
    let database = &schema.database.name;
    let tables: [(&str, Arc<dyn TableProvider>); 4] = [
        ("queries", Arc::new(engine.log.table(database)?)),
        (
            "compactor",
            Arc::new(compactor_table(&engine.compactions.of(database))?),
        ),
        (
            "partitions",
            Arc::new(PartitionsTable {
                schema: schema.clone(),
                storage: engine.storage.clone(),
                compactions: engine.compactions.of(database),
            }),
        ),
        ("tables", Arc::new(tables_table(schema)?)),
    ];
    for (name, table) in tables {
        context
            .register_table(format!("system.{name}").as_str(), table)
            .map_err(failed)?;
    }
    Ok(())
}

fn timestamp_field(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        nullable,
    )
}

fn listing_error(e: arrow::error::ArrowError) -> Error {
    Error::internal(format!("cannot list system rows: {e}"))
}

/// One batch as a table.
fn mem_table(schema: SchemaRef, columns: Vec<ArrayRef>) -> Result<MemTable> {
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(listing_error)?;
    MemTable::try_new(schema, vec![vec![batch]])
        .map_err(|e| Error::internal(format!("cannot list system rows: {e}")))
}

/// `system.compactor`: the node's recent compactions, oldest first.
fn compactor_table(records: &[CompactionRecord]) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        timestamp_field("started_at", false),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("partition_key", DataType::Utf8, false),
        Field::new("input_files", DataType::UInt64, false),
        Field::new("input_bytes", DataType::UInt64, false),
        Field::new("output_files", DataType::UInt64, false),
        Field::new("output_bytes", DataType::UInt64, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("duration", DataType::Duration(TimeUnit::Nanosecond), false),
        Field::new("success", DataType::Boolean, false),
        Field::new("error", DataType::Utf8, true),
    ]));
    let text = |f: &dyn Fn(&CompactionRecord) -> Option<String>| -> ArrayRef {
        Arc::new(records.iter().map(f).collect::<StringArray>())
    };
    let count = |f: &dyn Fn(&CompactionRecord) -> u64| -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(records.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampNanosecondArray::from_iter_values(records.iter().map(|r| r.started_at))
                .with_timezone("UTC"),
        ),
        text(&|r| Some(r.table.clone())),
        text(&|r| Some(r.partition_key.clone())),
        count(&|r| r.input_files as u64),
        count(&|r| r.input_bytes),
        count(&|r| r.output_files as u64),
        count(&|r| r.output_bytes),
        count(&|r| r.rows),
        Arc::new(DurationNanosecondArray::from_iter_values(
            records
                .iter()
                .map(|r| i64::try_from(r.duration.as_nanos()).unwrap_or(i64::MAX)),
        )),
        Arc::new(BooleanArray::from_iter(
            records.iter().map(|r| Some(r.error.is_none())),
        )),
        text(&|r| r.error.clone()),
    ];
    mem_table(schema, columns)
}

/// `system.tables`: each table and its own partition template (none: the database's, or the
/// default of a partition per day).
fn tables_table(schema: &DatabaseSchema) -> Result<MemTable> {
    let table_schema = Arc::new(Schema::new(vec![
        Field::new("table_name", DataType::Utf8, false),
        Field::new("partition_template", DataType::Utf8, true),
    ]));
    let names: StringArray = schema
        .tables
        .iter()
        .map(|t| Some(t.table.name.clone()))
        .collect();
    let templates: StringArray = schema
        .tables
        .iter()
        .map(|t| {
            t.table
                .partition_template
                .as_ref()
                .and_then(|p| serde_json::to_string(p).ok())
        })
        .collect();
    mem_table(table_schema, vec![Arc::new(names), Arc::new(templates)])
}

/// `system.partitions`: per partition of each table, its files, rows, bytes and time range,
/// when it last got a new file and when this node last compacted it. Read from the
/// database's files when queried.
struct PartitionsTable {
    schema: DatabaseSchema,
    storage: Arc<Storage>,
    compactions: Vec<CompactionRecord>,
}

impl std::fmt::Debug for PartitionsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionsTable")
            .field("database", &self.schema.database.name)
            .finish()
    }
}

impl PartitionsTable {
    fn arrow_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("table_name", DataType::Utf8, false),
            Field::new("partition_key", DataType::Utf8, false),
            Field::new("num_files", DataType::Int64, false),
            Field::new("total_size_mb", DataType::Int64, false),
            Field::new("total_size_bytes", DataType::Int64, false),
            Field::new("row_count", DataType::Int64, false),
            timestamp_field("min_time", false),
            timestamp_field("max_time", false),
            timestamp_field("last_new_file_created_at", false),
            timestamp_field("last_compacted_at", true),
        ]))
    }

    async fn rows(&self) -> Result<RecordBatch> {
        let files = self.storage.files(self.schema.database.id).await?;
        let mut partitions: BTreeMap<(&str, &str), Vec<&ParquetFile>> = BTreeMap::new();
        for file in files.iter() {
            let Some(table) = self
                .schema
                .tables
                .iter()
                .find(|t| t.table.id == file.table_id)
            else {
                continue;
            };
            partitions
                .entry((table.table.name.as_str(), file.partition_key.as_str()))
                .or_default()
                .push(file);
        }
        let sum = |files: &[&ParquetFile], f: fn(&ParquetFile) -> i64| -> i64 {
            files.iter().map(|x| f(x)).sum()
        };
        let time = |values: Vec<Option<i64>>| -> ArrayRef {
            Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC"))
        };
        let groups: Vec<(&(&str, &str), &Vec<&ParquetFile>)> = partitions.iter().collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                groups.iter().map(|(k, _)| k.0),
            )),
            Arc::new(StringArray::from_iter_values(
                groups.iter().map(|(k, _)| k.1),
            )),
            Arc::new(Int64Array::from_iter_values(
                groups.iter().map(|(_, f)| f.len() as i64),
            )),
            Arc::new(Int64Array::from_iter_values(
                groups.iter().map(|(_, f)| sum(f, |x| x.size_bytes) >> 20),
            )),
            Arc::new(Int64Array::from_iter_values(
                groups.iter().map(|(_, f)| sum(f, |x| x.size_bytes)),
            )),
            Arc::new(Int64Array::from_iter_values(
                groups.iter().map(|(_, f)| sum(f, |x| x.row_count)),
            )),
            time(
                groups
                    .iter()
                    .map(|(_, f)| f.iter().map(|x| x.min_time).min())
                    .collect(),
            ),
            time(
                groups
                    .iter()
                    .map(|(_, f)| f.iter().map(|x| x.max_time).max())
                    .collect(),
            ),
            time(
                groups
                    .iter()
                    .map(|(_, f)| {
                        f.iter()
                            .filter_map(|x| x.created_at.timestamp_nanos_opt())
                            .max()
                    })
                    .collect(),
            ),
            time(
                groups
                    .iter()
                    .map(|((table, key), _)| {
                        self.compactions
                            .iter()
                            .filter(|r| {
                                r.error.is_none() && r.table == *table && r.partition_key == *key
                            })
                            .map(|r| r.started_at)
                            .max()
                    })
                    .collect(),
            ),
        ];
        RecordBatch::try_new(Self::arrow_schema(), columns).map_err(listing_error)
    }
}

#[async_trait]
impl TableProvider for PartitionsTable {
    fn schema(&self) -> SchemaRef {
        Self::arrow_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let batch = self
            .rows()
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        MemorySourceConfig::try_new_exec(&[vec![batch]], Self::arrow_schema(), projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}

/// The refusal of a `system` table without the header.
pub(crate) fn system_tables_refused() -> Error {
    Error::invalid(
        "system tables are only there for debugging: send the iox-debug: true header (stratactl query --enable-system-tables)",
    )
}
