//! InfluxQL on the same engine as SQL: each statement of a parsed [`strata_influxql::Query`]
//! is planned into DataFusion logical plans over the database's tables (SELECT) or answered
//! from the catalog and the data (SHOW), then shaped into series as InfluxQL reports them.
//!
//! Every statement gives one table in InfluxDB 3's InfluxQL shape: an `iox::measurement`
//! column, then `time`, then the `GROUP BY` tags, then the selected values, sorted by
//! measurement, tags and time. [`SeriesLayout`] says which columns name a series, so the
//! 1.x `/query` answer can split the table into `series` with `name` and `tags`.
//!
//! Expression trees may be [`strata_influxql::MAX_EXPRESSION_DEPTH`] levels deep, so every
//! function that recurses over one is `#[recursive]`: it grows the stack instead of
//! overflowing it.

mod expr;
mod fill;
mod percentile;
mod select;
mod show;
pub mod v1;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use strata_influxql::{Literal, Query, Statement};
use strata_types::{DatabaseSchema, Error, ErrorKind, Result};

use crate::{QueryEngine, QueryOrigin, QueryResult, Started};

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

/// One statement's answer.
#[derive(Debug, Clone)]
pub struct InfluxqlTable {
    pub result: QueryResult,
    pub layout: SeriesLayout,
}

/// One InfluxQL request.
pub struct InfluxqlRequest<'a> {
    /// The database statements read unless they name another (`db` and `rp` of 1.x, already
    /// joined as `db/rp` by [`database_name`]).
    pub database: Option<&'a str>,
    pub query: &'a str,
    /// Values of `$name` bind parameters.
    pub params: &'a HashMap<String, Literal>,
    /// Which databases the caller may read: every statement is held to it.
    pub access: &'a dyn ReadAccess,
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
    /// Runs every statement of an InfluxQL request, each on its own. A statement that fails
    /// has its error in its place, and the others still run (as InfluxDB 1.x answers).
    /// Fails as a whole only when the text does not parse.
    pub async fn influxql(
        &self,
        request: &InfluxqlRequest<'_>,
    ) -> Result<Vec<Result<InfluxqlTable>>> {
        let started = Started::now();
        let results = self.statements(request, None).await;
        let outcome = match &results {
            Ok(results) => results.iter().find_map(|r| r.as_ref().err()).map_or_else(
                || Ok(results.iter().flatten().map(|t| t.result.num_rows()).sum()),
                Err,
            ),
            Err(e) => Err(e),
        };
        self.log_influxql(request, started, outcome);
        results
    }

    /// Runs a request that must hold exactly one statement (Flight and `/api/v3`, which
    /// answer with one table).
    pub async fn influxql_one(&self, request: &InfluxqlRequest<'_>) -> Result<InfluxqlTable> {
        let started = Started::now();
        let result = self
            .statements(request, Some(1))
            .await
            .and_then(|mut results| results.pop().expect("one statement"));
        let outcome = result.as_ref().map(|t| t.result.num_rows());
        self.log_influxql(request, started, outcome);
        result
    }

    /// Parses the request and runs its statements, each under the timeout; `expected` is
    /// the number of statements the caller takes.
    async fn statements(
        &self,
        request: &InfluxqlRequest<'_>,
        expected: Option<usize>,
    ) -> Result<Vec<Result<InfluxqlTable>>> {
        let query = parse(request.query)?;
        match (query.statements.len(), expected) {
            (0, _) => {
                return Err(Error::invalid(
                    "error parsing query: the query holds no statement; send SELECT or SHOW",
                ));
            }
            (n, Some(expected)) if n != expected => {
                return Err(Error::invalid(format!(
                    "the query holds {n} statements; send one InfluxQL statement per request"
                )));
            }
            _ => {}
        }
        let mut results = Vec::with_capacity(query.statements.len());
        for statement in &query.statements {
            let run = self.statement(request, statement);
            let result = match tokio::time::timeout(self.config.timeout, run).await {
                Ok(result) => result,
                Err(_) => Err(self.timed_out()),
            };
            results.push(result);
        }
        Ok(results)
    }

    fn log_influxql(
        &self,
        request: &InfluxqlRequest<'_>,
        started: Started,
        outcome: std::result::Result<usize, &Error>,
    ) {
        let database = request.database.unwrap_or_default();
        self.log_query(
            database,
            "influxql",
            request.query,
            &request.origin,
            started,
            outcome,
        );
    }

    async fn statement(
        &self,
        request: &InfluxqlRequest<'_>,
        statement: &Statement,
    ) -> Result<InfluxqlTable> {
        let failed = |e| self.query_error(e);
        match statement {
            Statement::Select(select) => {
                let database = select::database_of(select, request.database)?;
                let (schema, context) = self.open(request, &database).await?;
                select::run(&context, &schema, select, request.params)
                    .await
                    .map_err(failed)
            }
            Statement::ShowDatabases(_) => show::databases(self, request.access).await,
            Statement::ShowRetentionPolicies(show) => {
                let database = on_database(show.on.as_ref(), request.database)?;
                let (schema, _) = self.open(request, &database).await?;
                Ok(show::retention_policies(&schema))
            }
            Statement::ShowMeasurements(show) => {
                let database = on_database(show.on.as_ref(), request.database)?;
                let (schema, context) = self.open(request, &database).await?;
                show::measurements(&context, &schema, show, request.params)
                    .await
                    .map_err(failed)
            }
            Statement::ShowTagKeys(show) => {
                let database = on_database(show.on.as_ref(), request.database)?;
                let (schema, context) = self.open(request, &database).await?;
                show::tag_keys(&context, &schema, show, request.params)
                    .await
                    .map_err(failed)
            }
            Statement::ShowTagValues(show) => {
                let database = on_database(show.on.as_ref(), request.database)?;
                let (schema, context) = self.open(request, &database).await?;
                show::tag_values(&context, &schema, show, request.params)
                    .await
                    .map_err(failed)
            }
            Statement::ShowSeries(show) => {
                let database = on_database(show.on.as_ref(), request.database)?;
                let (schema, context) = self.open(request, &database).await?;
                show::series(&context, &schema, show, request.params)
                    .await
                    .map_err(failed)
            }
            Statement::ShowFieldKeys(show) => {
                let database = on_database(show.on.as_ref(), request.database)?;
                let (schema, _) = self.open(request, &database).await?;
                show::field_keys(&schema, show).map_err(failed)
            }
        }
    }

    /// The schema of a database the caller may read, and a session over it.
    async fn open(
        &self,
        request: &InfluxqlRequest<'_>,
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
fn string_table(columns: Vec<(&str, Vec<String>)>, layout: SeriesLayout) -> InfluxqlTable {
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
    InfluxqlTable {
        result: QueryResult {
            schema,
            batches: vec![batch],
        },
        layout,
    }
}
