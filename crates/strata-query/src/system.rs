//! Who asks, and what was asked: the origin of a query, and the node's log of recent queries
//! that `system.queries` shows to callers who send the `iox-debug` header, as InfluxDB 3 does.
//! A query's entry is written when its answer ends, not when its first row is ready: answers
//! stream, so only their end knows the rows sent and whether they all were.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{
    ArrayRef, BooleanArray, DurationNanosecondArray, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::catalog::MemorySchemaProvider;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use strata_types::{Error, Result};
use uuid::Uuid;

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

    /// Adds the `system` schema, with `queries`, to a session.
    pub fn register(&self, context: &SessionContext, database: &str) -> Result<()> {
        let failed = |e: datafusion::error::DataFusionError| {
            Error::internal(format!("cannot set up system tables: {e}"))
        };
        let catalog = context
            .catalog("public")
            .ok_or_else(|| Error::internal("the session has no catalog `public`"))?;
        catalog
            .register_schema("system", Arc::new(MemorySchemaProvider::new()))
            .map_err(failed)?;
        context
            .register_table("system.queries", Arc::new(self.table(database)?))
            .map_err(failed)?;
        Ok(())
    }
}

/// The refusal of a `system` table without the header.
pub(crate) fn system_tables_refused() -> Error {
    Error::invalid(
        "system tables are only there for debugging: send the iox-debug: true header (stratactl query --enable-system-tables)",
    )
}
