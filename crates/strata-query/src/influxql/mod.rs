//! InfluxQL on the same engine as SQL: each statement of a parsed [`strata_influxql::Query`]
//! is planned into DataFusion logical plans over the database's tables (SELECT) or answered
//! from the catalog and the data (SHOW), then shaped into series as InfluxQL reports them.
//!
//! Every statement gives one table in InfluxDB 3's InfluxQL shape: an `iox::measurement`
//! column, then `time`, then the `GROUP BY` tags, then the selected values, sorted by
//! measurement, tags and time. [`SeriesLayout`] says which columns name a series, so the
//! 1.x `/query` answer can split the table into `series` with `name` and `tags`.
//!
//! A SELECT's table streams ([`QueryStream`]); a request's statements run one after another
//! as its [`InfluxqlAnswer`] is read, each under the timeout from its own start.
//!
//! Expression trees may be [`strata_influxql::MAX_EXPRESSION_DEPTH`] levels deep, so every
//! function that recurses over one is `#[recursive]`: it grows the stack instead of
//! overflowing it.

mod expr;
mod fill;
mod integral;
mod mode;
mod percentile;
mod select;
mod selector;
mod show;
mod subquery;
mod transform;
pub mod v1;
mod zone;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use strata_influxql::{Literal, Query, Statement};
use strata_types::{DatabaseSchema, Error, ErrorKind, Result};

use crate::system::PendingRecord;
use crate::{QueryEngine, QueryOrigin, QueryResult, QueryStream};

/// The column naming each row's measurement, as InfluxDB 3 names it.
pub const MEASUREMENT_COLUMN: &str = "iox::measurement";

/// How a statement's table splits into InfluxQL series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesLayout {
    /// Whether the first column is [`MEASUREMENT_COLUMN`], the series' name.
    /// `SHOW RETENTION POLICIES` has none.
    pub has_measurement: bool,
    /// The `GROUP BY` tags: they split series and are reported as a series' `tags`.
    pub tag_columns: Vec<String>,
}

/// One statement's answer: how its rows split into series, and the rows as they come.
pub struct InfluxqlTable {
    pub layout: SeriesLayout,
    pub rows: QueryStream,
    /// Series InfluxDB 1.x lists with their columns and no values, by name (`None`: no
    /// name): one per database for `SHOW CONTINUOUS QUERIES`, one unnamed for `SHOW USERS`.
    /// The rows hold nothing of them; only 1.x answers show them.
    pub empty_series: Vec<Option<String>>,
}

/// A statement's answer computed whole (the SHOW statements), before it is streamed.
struct CollectedTable {
    result: QueryResult,
    layout: SeriesLayout,
    /// LIMIT and OFFSET per measurement, applied as it streams.
    shaping: fill::Shaping,
    /// See [`InfluxqlTable::empty_series`].
    empty_series: Vec<Option<String>>,
}

/// One InfluxQL request, owned: its answer is read after the caller has returned.
pub struct InfluxqlRequest {
    /// The database statements read unless they name another (`db` and `rp` of 1.x, already
    /// joined as `db/rp` by [`database_name`]).
    pub database: Option<String>,
    pub query: String,
    /// Values of `$name` bind parameters.
    pub params: HashMap<String, Literal>,
    /// Which databases the caller may read: every statement is held to it.
    pub access: Arc<dyn ReadAccess>,
    pub origin: QueryOrigin,
}

/// Which databases a caller may read, by id (permissions follow databases, not names).
pub trait ReadAccess: Send + Sync {
    fn may_read(&self, database_id: i64) -> bool;
    /// Whether the caller may read every database, those not created yet too: such a caller
    /// is told a database is missing, any other that it may not read it.
    fn may_read_every_database(&self) -> bool;
}

/// The database a 1.x `db` and retention policy `rp` name: `db`, or `db/rp` for any policy
/// but the default `autogen`, as writes name them.
pub fn database_name(db: &str, rp: Option<&str>) -> String {
    match rp {
        Some(rp) if !rp.is_empty() && rp != "autogen" => format!("{db}/{rp}"),
        _ => db.to_string(),
    }
}

/// Bind parameter values from a JSON object (`{"host": "a", "limit": 10}`), as the 1.x
/// `params` parameter and Flight tickets carry them.
pub fn params_from_json(value: &serde_json::Value) -> Result<HashMap<String, Literal>> {
    let serde_json::Value::Object(object) = value else {
        return Err(Error::invalid(
            "params must be a JSON object of names and values, like {\"host\": \"a\"}",
        ));
    };
    object
        .iter()
        .map(|(name, value)| {
            let literal = match value {
                serde_json::Value::String(s) => Literal::String(s.clone()),
                serde_json::Value::Bool(b) => Literal::Boolean(*b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Literal::Integer(i),
                    None => Literal::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                other => {
                    return Err(Error::invalid(format!(
                        "parameter {name:?} is {other}; give a string, number or boolean"
                    )));
                }
            };
            Ok((name.clone(), literal))
        })
        .collect()
}

/// Parses a query text, with the 1.x message prefix for syntax errors.
pub fn parse(text: &str) -> Result<Query> {
    strata_influxql::parse(text).map_err(|e| Error::invalid(format!("error parsing query: {e}")))
}

impl QueryEngine {
    /// Answers every statement of an InfluxQL request, one after another as the answer is
    /// read. A statement that fails has its error in its place, and the others still run (as
    /// InfluxDB 1.x answers). Fails as a whole only when the text does not parse.
    pub fn influxql(&self, request: InfluxqlRequest) -> Result<InfluxqlAnswer> {
        let mut record = self.influxql_record(&request);
        let statements = match statements(&request.query, None) {
            Ok(statements) => statements,
            Err(e) => {
                record.note_error(&e);
                record.finish();
                return Err(e);
            }
        };
        Ok(InfluxqlAnswer {
            engine: self.clone(),
            request,
            statements: statements.into_iter().enumerate(),
            current: None,
            record,
        })
    }

    /// Answers a request that must hold exactly one statement (Flight and `/api/v3`, which
    /// answer with one table).
    pub async fn influxql_one(&self, request: InfluxqlRequest) -> Result<InfluxqlTable> {
        let mut record = self.influxql_record(&request);
        let table = match statements(&request.query, Some(1)) {
            Ok(mut statements) => {
                let statement = statements.pop().expect("one statement");
                self.run_statement(&request, &statement).await
            }
            Err(e) => Err(e),
        };
        match table {
            Ok(table) => Ok(InfluxqlTable {
                layout: table.layout,
                rows: table.rows.with_record(record),
                empty_series: table.empty_series,
            }),
            Err(e) => {
                record.note_error(&e);
                record.finish();
                Err(e)
            }
        }
    }

    fn influxql_record(&self, request: &InfluxqlRequest) -> PendingRecord {
        let database = request.database.as_deref().unwrap_or_default();
        self.record(database, "influxql", &request.query, &request.origin)
    }

    /// Plans a statement and starts it, under the timeout from now to its last row.
    async fn run_statement(
        &self,
        request: &InfluxqlRequest,
        statement: &Statement,
    ) -> Result<InfluxqlTable> {
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        let started = tokio::time::timeout_at(deadline, self.statement(request, statement))
            .await
            .unwrap_or_else(|_| Err(self.config.timed_out()))?;
        let rows = QueryStream::new(
            started.schema,
            started.batches,
            &self.config,
            deadline,
            started.pool,
        );
        Ok(InfluxqlTable {
            layout: started.layout,
            rows,
            empty_series: started.empty_series,
        })
    }

    async fn statement(
        &self,
        request: &InfluxqlRequest,
        statement: &Statement,
    ) -> Result<StartedStatement> {
        let failed = |e| self.query_error(e);
        let params = &request.params;
        match statement {
            Statement::Select(select) => {
                let database = select::database_of(select, request.database.as_deref())?;
                let (schema, context) = self.open(request, &database).await?;
                let (layout, rows) = select::run(&context, &schema, select, params)
                    .await
                    .map_err(failed)?;
                Ok(StartedStatement::streaming(layout, rows, pool_of(&context)))
            }
            Statement::ShowDatabases(_) => {
                let table = show::databases(self, &*request.access).await?;
                StartedStatement::collected(table, self.config.memory_pool())
            }
            Statement::ShowRetentionPolicies(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, _) = self.open(request, &database).await?;
                let table = show::retention_policies(&schema);
                StartedStatement::collected(table, self.config.memory_pool())
            }
            Statement::ShowMeasurements(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, context) = self.open(request, &database).await?;
                let table = show::measurements(&context, &schema, show, params)
                    .await
                    .map_err(failed)?;
                StartedStatement::collected(table, pool_of(&context))
            }
            Statement::ShowTagKeys(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, context) = self.open(request, &database).await?;
                let table = show::tag_keys(&context, &schema, show, params)
                    .await
                    .map_err(failed)?;
                StartedStatement::collected(table, pool_of(&context))
            }
            Statement::ShowTagValues(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, context) = self.open(request, &database).await?;
                let table = show::tag_values(&context, &schema, show, params)
                    .await
                    .map_err(failed)?;
                StartedStatement::collected(table, pool_of(&context))
            }
            Statement::ShowSeries(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, context) = self.open(request, &database).await?;
                let table = show::series(&context, &schema, show, params)
                    .await
                    .map_err(failed)?;
                StartedStatement::collected(table, pool_of(&context))
            }
            Statement::ShowFieldKeys(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, _) = self.open(request, &database).await?;
                let table = show::field_keys(&schema, show).map_err(failed)?;
                StartedStatement::collected(table, self.config.memory_pool())
            }
            Statement::ShowCardinality(show) => {
                let database = on_database(show.on.as_ref(), request.database.as_deref())?;
                let (schema, context) = self.open(request, &database).await?;
                let table = show::cardinality(&context, &schema, show, params)
                    .await
                    .map_err(failed)?;
                StartedStatement::collected(table, pool_of(&context))
            }
            Statement::ShowContinuousQueries(_) => {
                let table = show::continuous_queries(self, &*request.access).await?;
                StartedStatement::collected(table, self.config.memory_pool())
            }
            Statement::ShowUsers(_) => {
                StartedStatement::collected(show::users(), self.config.memory_pool())
            }
            Statement::ShowSubscriptions(_) => {
                StartedStatement::collected(show::subscriptions(), self.config.memory_pool())
            }
        }
    }

    /// The schema of a database the caller may read, and a session over it.
    async fn open(
        &self,
        request: &InfluxqlRequest,
        database: &str,
    ) -> Result<(Arc<DatabaseSchema>, SessionContext)> {
        let refused = || {
            Error::permission_denied(format!(
                "this token may not read database \"{database}\"; use a token with read permission on it"
            ))
        };
        let schema = match self.storage.schema(database).await {
            Ok(schema) => schema,
            Err(e) if e.kind == ErrorKind::NotFound => {
                return Err(if request.access.may_read_every_database() {
                    Error::not_found(format!("database not found: {database}"))
                } else {
                    refused()
                });
            }
            Err(e) => return Err(e),
        };
        if !request.access.may_read(schema.database.id) {
            return Err(refused());
        }
        let context = self.session(&schema, &request.origin)?;
        Ok((schema, context))
    }
}

/// A statement planned and started, not yet under the request's limits.
struct StartedStatement {
    layout: SeriesLayout,
    schema: SchemaRef,
    batches: SendableRecordBatchStream,
    /// The statement's memory pool.
    pool: Arc<dyn MemoryPool>,
    /// See [`InfluxqlTable::empty_series`].
    empty_series: Vec<Option<String>>,
}

impl StartedStatement {
    fn streaming(
        layout: SeriesLayout,
        batches: SendableRecordBatchStream,
        pool: Arc<dyn MemoryPool>,
    ) -> Self {
        StartedStatement {
            layout,
            schema: batches.schema(),
            batches,
            pool,
            empty_series: Vec::new(),
        }
    }

    /// A table computed whole, cut to its LIMIT and OFFSET as it streams.
    fn collected(table: CollectedTable, pool: Arc<dyn MemoryPool>) -> Result<Self> {
        let QueryResult { schema, batches } = table.result;
        let batches = MemoryStream::try_new(batches, schema.clone(), None)
            .map_err(|e| Error::internal(format!("cannot send an answer: {e}")))?;
        let memory = MemoryConsumer::new("SHOW").register(&pool);
        let batches = fill::shape(
            schema.clone(),
            Box::pin(batches),
            &table.layout,
            table.shaping,
            memory,
        )
        .map_err(|e| Error::internal(format!("cannot send an answer: {e}")))?;
        Ok(StartedStatement {
            layout: table.layout,
            schema,
            batches,
            pool,
            empty_series: table.empty_series,
        })
    }
}

/// The memory pool of a session.
fn pool_of(context: &SessionContext) -> Arc<dyn MemoryPool> {
    context.runtime_env().memory_pool.clone()
}

/// Parses a request's text into its statements; `expected` is how many the caller takes.
fn statements(text: &str, expected: Option<usize>) -> Result<Vec<Statement>> {
    let query = parse(text)?;
    zone::check(&query.statements)?;
    match (query.statements.len(), expected) {
        (0, _) => Err(Error::invalid(
            "error parsing query: the query holds no statement; send SELECT or SHOW",
        )),
        (n, Some(expected)) if n != expected => Err(Error::invalid(format!(
            "the query holds {n} statements; send one InfluxQL statement per request"
        ))),
        _ => Ok(query.statements),
    }
}

/// What a request's answer is made of, in order: for each statement, `Begin`, its `Rows`
/// and `End`, or `Failed` (before `Begin`, or after some of its rows).
pub(crate) enum Event {
    Begin {
        id: usize,
        layout: SeriesLayout,
        schema: SchemaRef,
        /// For what a writer of the answer holds, in the statement's memory pool.
        memory: MemoryReservation,
        /// See [`InfluxqlTable::empty_series`].
        empty_series: Vec<Option<String>>,
    },
    Rows(RecordBatch),
    End,
    Failed {
        id: usize,
        error: Error,
    },
}

/// The answer to a request's statements, each run when the one before has been read to its
/// end. Its `system.queries` entry (all statements' rows, the first error) is written when
/// the last statement ends, or as abandoned if the answer is dropped before.
pub struct InfluxqlAnswer {
    engine: QueryEngine,
    request: InfluxqlRequest,
    statements: std::iter::Enumerate<std::vec::IntoIter<Statement>>,
    /// The statement being read, and its id.
    current: Option<(usize, QueryStream)>,
    record: PendingRecord,
}

impl InfluxqlAnswer {
    /// What comes next; `None` after the last statement.
    pub(crate) async fn next(&mut self) -> Option<Event> {
        if let Some((id, rows)) = &mut self.current {
            let id = *id;
            return Some(match rows.next().await {
                Some(Ok(batch)) => {
                    self.record.add_rows(batch.num_rows());
                    Event::Rows(batch)
                }
                Some(Err(error)) => {
                    self.current = None;
                    self.record.note_error(&error);
                    Event::Failed { id, error }
                }
                None => {
                    self.current = None;
                    Event::End
                }
            });
        }
        let Some((id, statement)) = self.statements.next() else {
            self.record.finish();
            return None;
        };
        Some(
            match self.engine.run_statement(&self.request, &statement).await {
                Ok(table) => {
                    let memory = table.rows.memory("1.x answer");
                    let schema = table.rows.schema();
                    self.current = Some((id, table.rows));
                    Event::Begin {
                        id,
                        layout: table.layout,
                        schema,
                        memory,
                        empty_series: table.empty_series,
                    }
                }
                Err(error) => {
                    self.record.note_error(&error);
                    Event::Failed { id, error }
                }
            },
        )
    }

    /// How many statements are still to be read, the one being read included.
    pub(crate) fn statements_left(&self) -> usize {
        self.statements.len() + usize::from(self.current.is_some())
    }

    /// Ends the statement being read with `error`, which the answer's writer met; returns
    /// the `Failed` event that says so.
    pub(crate) fn fail_statement(&mut self, error: Error) -> Option<Event> {
        let (id, mut rows) = self.current.take()?;
        rows.end(Some(&error));
        self.record.note_error(&error);
        Some(Event::Failed { id, error })
    }
}

/// The database of `ON db`, else the request's.
fn on_database(on: Option<&strata_influxql::Ident>, request: Option<&str>) -> Result<String> {
    on.map(|d| d.value.clone())
        .or_else(|| request.map(str::to_string))
        .ok_or_else(database_required)
}

/// A planning error: the statement is wrong, in the caller's words.
fn invalid(message: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(Error::invalid(message)))
}

fn database_required() -> Error {
    Error::invalid(
        "database name required: name it in `db` or in the statement (ON db, FROM db.rp.measurement)",
    )
}

/// A table of string columns, for the SHOW statements.
fn string_table(columns: Vec<(&str, Vec<String>)>, layout: SeriesLayout) -> CollectedTable {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, _)| Field::new(*name, DataType::Utf8, false))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays: Vec<ArrayRef> = columns
        .into_iter()
        .map(|(_, values)| Arc::new(StringArray::from(values)) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("columns of equal length");
    CollectedTable {
        result: QueryResult {
            schema,
            batches: vec![batch],
        },
        layout,
        shaping: fill::Shaping::default(),
        empty_series: Vec::new(),
    }
}
