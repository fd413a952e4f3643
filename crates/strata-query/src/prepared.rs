//! What Flight SQL clients need beyond running a query: a statement's schemas without running
//! it, running it with parameters bound to its placeholders, and the catalog of what a
//! database's SQL can name.
//!
//! Parameters are positional: `$1`, `$2`, … or `?` (numbered in the order they appear). They
//! arrive as one row of an Arrow batch, column `i` for `$i+1`, and each value is cast to the type
//! the statement gives its placeholder, so a client may bind a string for a tag or an integer
//! for a float field.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::SchemaProvider;
use datafusion::catalog::information_schema::{INFORMATION_SCHEMA, InformationSchemaProvider};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::{LogicalPlan, TableType};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{Expr, Value, ValueWithSpan, visit_expressions_mut};
use strata_types::{Error, Result};

use crate::{QueryEngine, QueryOrigin, QueryStream};

/// The `table_type` of a measurement, as `information_schema.tables` names it.
pub const BASE_TABLE: &str = "BASE TABLE";
/// The `table_type` of `information_schema`'s views.
pub const VIEW: &str = "VIEW";

/// A statement planned but not run.
#[derive(Debug, Clone)]
pub struct PreparedQuery {
    /// The schema of its result.
    pub schema: SchemaRef,
    /// One field per placeholder (`$1`, `$2`, …), typed as the statement uses it, `Null` where
    /// the statement leaves the type open.
    pub parameters: SchemaRef,
}

/// A schema a query can name, with its tables.
#[derive(Debug, Clone)]
pub struct SqlSchema {
    pub catalog: String,
    pub name: String,
    pub tables: Vec<SqlTable>,
}

#[derive(Debug, Clone)]
pub struct SqlTable {
    pub name: String,
    /// [`BASE_TABLE`] or [`VIEW`].
    pub table_type: &'static str,
    pub schema: SchemaRef,
}

impl QueryEngine {
    /// Plans `sql` against `database` without running it. With `parameters`, binds them, so a
    /// bad value is refused before the query runs; without, its placeholders stay open (a
    /// statement described before its values are bound). Fails like [`QueryEngine::sql`].
    pub async fn prepare(
        &self,
        database: &str,
        sql: &str,
        parameters: Option<&RecordBatch>,
        origin: &QueryOrigin,
    ) -> Result<PreparedQuery> {
        let schema = self.storage.schema(database).await?;
        let context = self.session(&schema, origin)?;
        let binding = parameters.map_or(Binding::Open, |values| Binding::Values(Some(values)));
        let (frame, parameters) = self
            .plan(&context, sql, binding)
            .await
            .map_err(|e| self.refine_error(e, origin))?;
        Ok(PreparedQuery {
            schema: frame.schema().inner().clone(),
            parameters,
        })
    }

    /// Runs `sql` against `database` with `parameters` (one row, column `i` for `$i+1`) bound
    /// to its placeholders, under the same limits as [`QueryEngine::sql`].
    pub async fn sql_with_params(
        &self,
        database: &str,
        sql: &str,
        parameters: Option<&RecordBatch>,
        origin: &QueryOrigin,
    ) -> Result<QueryStream> {
        let schema = self.storage.schema(database).await?;
        let mut record = self.record(database, "sql", sql, origin);
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        let start = async {
            let context = self.session(&schema, origin)?;
            let (frame, _) = self
                .plan(&context, sql, Binding::Values(parameters))
                .await?;
            let schema = frame.schema().inner().clone();
            let batches = crate::execute(frame)
                .await
                .map_err(|e| self.query_error(e))?;
            let pool = context.runtime_env().memory_pool.clone();
            Ok(QueryStream::new(
                schema,
                batches,
                &self.config,
                deadline,
                pool,
            ))
        };
        match tokio::time::timeout_at(deadline, start)
            .await
            .unwrap_or_else(|_| Err(self.config.timed_out()))
        {
            Ok(rows) => Ok(rows.with_record(record)),
            Err(e) => {
                let e = self.refine_error(e, origin);
                record.note_error(&e);
                record.finish();
                Err(e)
            }
        }
    }

    /// The schemas a query on `database` can name, with their tables and columns, in name
    /// order: the measurements in `iox` and DataFusion's views in `information_schema`.
    pub async fn sql_schemas(&self, database: &str) -> Result<Vec<SqlSchema>> {
        let schema = self.storage.schema(database).await?;
        let state = self.session(&schema, &QueryOrigin::default())?.state();
        let catalogs = state.catalog_list().clone();
        let mut schemas = vec![];
        for catalog_name in catalogs.catalog_names() {
            let Some(catalog) = catalogs.catalog(&catalog_name) else {
                continue;
            };
            // information_schema is not among a catalog's schemas: the session adds it.
            let mut providers: Vec<(String, Arc<dyn SchemaProvider>)> = catalog
                .schema_names()
                .into_iter()
                .filter(|name| name != INFORMATION_SCHEMA)
                .filter_map(|name| catalog.schema(&name).map(|provider| (name, provider)))
                .collect();
            if state.config_options().catalog.information_schema {
                let provider = InformationSchemaProvider::new(catalogs.clone());
                providers.push((INFORMATION_SCHEMA.to_string(), Arc::new(provider)));
            }
            for (schema_name, provider) in providers {
                let mut tables = vec![];
                for name in provider.table_names() {
                    let Some(table) = provider
                        .table(&name)
                        .await
                        .map_err(|e| self.query_error(e))?
                    else {
                        continue;
                    };
                    // As information_schema.tables has it: its own tables are views.
                    let view =
                        schema_name == INFORMATION_SCHEMA || table.table_type() == TableType::View;
                    tables.push(SqlTable {
                        name,
                        table_type: if view { VIEW } else { BASE_TABLE },
                        schema: table.schema(),
                    });
                }
                tables.sort_by(|a, b| a.name.cmp(&b.name));
                schemas.push(SqlSchema {
                    catalog: catalog_name.clone(),
                    name: schema_name,
                    tables,
                });
            }
        }
        schemas.sort_by(|a, b| (&a.catalog, &a.name).cmp(&(&b.catalog, &b.name)));
        Ok(schemas)
    }

    /// Plans `sql` read-only with its placeholders bound as `binding` says; returns the query
    /// and the statement's parameter schema.
    async fn plan(
        &self,
        context: &SessionContext,
        sql: &str,
        binding: Binding<'_>,
    ) -> Result<(DataFrame, SchemaRef)> {
        let state = context.state();
        let dialect = state.config().options().sql_parser.dialect;
        let mut statement = state
            .sql_to_statement(sql, &dialect)
            .map_err(|e| self.query_error(e))?;
        number_placeholders(&mut statement)?;
        let plan = async {
            let plan = state.statement_to_plan(statement).await?;
            // Read-only, as `sql` runs: no DDL, DML, COPY or SET.
            SQLOptions::new()
                .with_allow_ddl(false)
                .with_allow_dml(false)
                .with_allow_statements(false)
                .verify_plan(&plan)?;
            Ok::<_, DataFusionError>(plan)
        }
        .await
        .map_err(|e| self.query_error(e))?;
        let expected = parameter_schema(&plan)?;
        let frame = context
            .execute_logical_plan(plan)
            .await
            .map_err(|e| self.query_error(e))?;
        let values = match binding {
            Binding::Open => vec![],
            Binding::Values(parameters) => parameter_values(&expected, parameters)?,
        };
        let frame = if values.is_empty() {
            frame
        } else {
            frame
                .with_param_values(values)
                .map_err(|e| self.query_error(e))?
        };
        Ok((frame, expected))
    }
}

/// How planning treats a statement's placeholders.
enum Binding<'a> {
    /// Left open: the statement is being described before its values are bound.
    Open,
    /// Bound to these values (one row, column `i` for `$i+1`), or to none: a statement that
    /// has placeholders must have them all bound.
    Values(Option<&'a RecordBatch>),
}

/// Rewrites `?` placeholders to `$1`, `$2`, … in the order they appear: DataFusion binds
/// values by position only to numbered placeholders.
fn number_placeholders(statement: &mut Statement) -> Result<()> {
    let Statement::Statement(statement) = statement else {
        return Ok(());
    };
    let (mut questions, mut numbered) = (0, false);
    let _ = visit_expressions_mut(statement.as_mut(), |expr| {
        if let Expr::Value(ValueWithSpan {
            value: Value::Placeholder(name),
            ..
        }) = expr
        {
            if name == "?" {
                questions += 1;
                *name = format!("${questions}");
            } else {
                numbered = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    if questions > 0 && numbered {
        return Err(Error::invalid(
            "write the query's parameters either as ? or as $1, $2, …, not both",
        ));
    }
    Ok(())
}

/// The statement's parameters in position order. A dictionary-typed placeholder (one compared
/// with a tag) takes its value type, which is what clients bind.
fn parameter_schema(plan: &LogicalPlan) -> Result<SchemaRef> {
    let placeholders = plan
        .get_parameter_fields()
        .map_err(|e| Error::invalid(format!("cannot type the query's parameters: {e}")))?;
    let mut types = BTreeMap::new();
    for (id, field) in placeholders {
        let position = id
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "the parameter {id} is named; number parameters $1, $2, … or write ?"
                ))
            })?;
        let data_type = match field.map(|f| f.data_type().clone()) {
            Some(DataType::Dictionary(_, value)) => *value,
            Some(data_type) => data_type,
            None => DataType::Null,
        };
        types.insert(position, data_type);
    }
    let count = types.keys().next_back().copied().unwrap_or(0);
    let fields: Vec<_> = (1..=count)
        .map(|n| {
            let data_type = types.get(&n).cloned().unwrap_or(DataType::Null);
            Field::new(format!("${n}"), data_type, true)
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// The values of `parameters`' one row, each cast to its placeholder's type.
fn parameter_values(
    expected: &Schema,
    parameters: Option<&RecordBatch>,
) -> Result<Vec<ScalarValue>> {
    let wanted = expected.fields().len();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let Some(batch) = parameters else {
        if wanted == 0 {
            return Ok(vec![]);
        }
        return Err(Error::invalid(format!(
            "the query takes {wanted} parameter{} but none were bound",
            plural(wanted)
        )));
    };
    if batch.num_columns() != wanted {
        let bound = batch.num_columns();
        return Err(Error::invalid(format!(
            "the query takes {wanted} parameter{} but {bound} {} bound",
            plural(wanted),
            if bound == 1 { "was" } else { "were" }
        )));
    }
    if wanted > 0 && batch.num_rows() != 1 {
        return Err(Error::invalid(format!(
            "bind one row of parameter values, not {}",
            batch.num_rows()
        )));
    }
    expected
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            let value = ScalarValue::try_from_array(column, 0).map_err(|e| {
                Error::invalid(format!("cannot read parameter {}: {e}", field.name()))
            })?;
            let wanted_type = field.data_type();
            if *wanted_type == DataType::Null || value.data_type() == *wanted_type {
                return Ok(value);
            }
            value.cast_to(wanted_type).map_err(|_| {
                Error::invalid(format!(
                    "parameter {} must be {wanted_type}, but {value} ({}) was bound and cannot be converted",
                    field.name(),
                    value.data_type()
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use datafusion::datasource::MemTable;

    fn batch(columns: Vec<ArrayRef>) -> RecordBatch {
        let fields: Vec<_> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(format!("p{i}"), c.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    }

    async fn parameters_of(sql: &str) -> Result<SchemaRef> {
        // Columns typed as Strata's tables type them: a tag is a dictionary.
        let tag = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let schema = Arc::new(Schema::new(vec![
            Field::new("host", tag, true),
            Field::new("v", DataType::Float64, true),
        ]));
        let context = SessionContext::new();
        let table = MemTable::try_new(schema, vec![vec![]]).unwrap();
        context.register_table("t", Arc::new(table)).unwrap();
        let state = context.state();
        let mut statement = state
            .sql_to_statement(sql, &state.config().options().sql_parser.dialect)
            .unwrap();
        number_placeholders(&mut statement)?;
        let plan = state.statement_to_plan(statement).await.unwrap();
        parameter_schema(&plan)
    }

    #[tokio::test]
    async fn question_marks_are_numbered_in_order_and_typed() {
        let schema = parameters_of("SELECT host FROM t WHERE host = ? AND v > ?")
            .await
            .unwrap();
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        assert_eq!(
            fields,
            [
                ("$1".to_string(), DataType::Utf8),
                ("$2".to_string(), DataType::Float64)
            ]
        );
        let error = parameters_of("SELECT host FROM t WHERE host = ? AND v > $2")
            .await
            .unwrap_err();
        assert!(error.message.contains("not both"), "{}", error.message);
    }

    #[test]
    fn values_are_cast_to_their_placeholders_types_or_refused_by_name() {
        let expected = Schema::new(vec![
            Field::new("$1", DataType::Utf8, true),
            Field::new("$2", DataType::Float64, true),
        ]);
        let values = parameter_values(
            &expected,
            Some(&batch(vec![
                Arc::new(StringArray::from(vec!["a"])),
                Arc::new(Int64Array::from(vec![2])),
            ])),
        )
        .unwrap();
        assert_eq!(
            values,
            [ScalarValue::from("a"), ScalarValue::Float64(Some(2.0))]
        );

        let refused = |parameters: Option<&RecordBatch>| {
            parameter_values(&expected, parameters).unwrap_err().message
        };
        let message = refused(Some(&batch(vec![
            Arc::new(StringArray::from(vec!["a"])),
            Arc::new(StringArray::from(vec!["high"])),
        ])));
        assert!(
            message.contains("parameter $2 must be Float64") && message.contains("high"),
            "{message}"
        );
        let message = refused(None);
        assert!(message.contains("takes 2 parameters but none"), "{message}");
        let message = refused(Some(&batch(vec![Arc::new(StringArray::from(vec!["a"]))])));
        assert!(
            message.contains("takes 2 parameters but 1 was bound"),
            "{message}"
        );
        let message = refused(Some(&batch(vec![
            Arc::new(StringArray::from(vec!["a", "b"])),
            Arc::new(Int64Array::from(vec![1, 2])),
        ])));
        assert!(message.contains("one row"), "{message}");
    }
}
