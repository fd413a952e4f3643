//! Subqueries in `FROM`: the inner SELECT's answer (its fill, limits and transformations
//! applied) read by the outer SELECT as a measurement whose tags are the inner `GROUP BY`
//! tags and whose fields are the inner columns. Rows keep the inner series' names, so the
//! outer answer is named after the inner measurements, as InfluxDB names it.
//!
//! The inner answer streams into the outer query: it is read once, as it comes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::SessionContext;
use strata_influxql::{
    Condition, ConditionKind, Dimension, DimensionKind, Expr as QlExpr, ExprKind, Fill, Literal,
    SelectStatement,
};
use strata_types::{Column, ColumnType, DatabaseSchema, Status, TIME_COLUMN, Table, TableSchema};

use super::{MEASUREMENT_COLUMN, invalid};

/// Most subqueries a statement may hold, nested ones included.
const MAX_SUBQUERIES: usize = 100;

/// Runs `inner` and registers its answer in `context` as a table; returns the schema the
/// outer query reads it by (named as the table is).
pub(super) async fn register(
    context: &SessionContext,
    schema: &DatabaseSchema,
    inner: &SelectStatement,
    outer_condition: Option<&Condition>,
    params: &HashMap<String, Literal>,
) -> Result<TableSchema> {
    let mut inner = inner.clone();
    let raw = !inner.fields.iter().any(|f| has_call(&f.expr));
    let grouped = inner
        .group_by
        .iter()
        .any(|d| !matches!(d.kind, DimensionKind::Time { .. }));
    if raw && !grouped {
        // A raw inner query keeps its series' tags for the outer one, as InfluxDB's does.
        inner.group_by.push(Dimension::new(DimensionKind::Wildcard));
    }
    // An inner query's empty intervals hold no point for the outer one (not even a count
    // of 0), unless it asks for a fill.
    inner.fill.get_or_insert(Fill::None);
    // The outer query's time range bounds the inner one (its intervals, its fill).
    let mut bounds = Vec::new();
    if let Some(condition) = outer_condition {
        time_bounds(condition, &mut bounds);
    }
    for bound in bounds {
        inner.condition = Some(match inner.condition.take() {
            Some(condition) => Condition::and(condition, bound),
            None => bound,
        });
    }
    let (layout, rows) = Box::pin(super::select::run(context, schema, &inner, params)).await?;
    // Named after the inner query has run: its own subqueries take names too.
    let name = (0..MAX_SUBQUERIES)
        .map(|n| format!("influxql_subquery_{n}"))
        .find(|name| !context.table_exist(name.as_str()).unwrap_or(true))
        .ok_or_else(|| {
            invalid(format!(
                "a statement may hold at most {MAX_SUBQUERIES} subqueries"
            ))
        })?;
    let rows_schema = rows.schema();
    let mut columns = vec![Column::new(TIME_COLUMN, ColumnType::Time)];
    for field in rows_schema.fields() {
        let name = field.name();
        if name == MEASUREMENT_COLUMN || name == TIME_COLUMN {
            continue;
        }
        let column_type = if layout.tag_columns.contains(name) {
            ColumnType::Tag
        } else {
            match field.data_type() {
                DataType::Int64 => ColumnType::Integer,
                DataType::UInt64 => ColumnType::UInteger,
                DataType::Utf8 => ColumnType::String,
                DataType::Boolean => ColumnType::Boolean,
                _ => ColumnType::Float,
            }
        };
        columns.push(Column::new(name.clone(), column_type));
    }
    let table = StreamingTable::try_new(
        rows_schema.clone(),
        vec![Arc::new(ReadOnce {
            schema: rows_schema,
            rows: Mutex::new(Some(rows)),
        })],
    )?;
    context.register_table(name.as_str(), Arc::new(table))?;
    Ok(TableSchema {
        table: Table {
            id: 0,
            database_id: 0,
            name,
            partition_template: None,
            status: Status::Active,
            created_at: chrono::Utc::now(),
            deleted_at: None,
        },
        columns,
    })
}

/// The time comparisons of `condition` that bound it through ANDs alone.
fn time_bounds(condition: &Condition, out: &mut Vec<Condition>) {
    match &condition.kind {
        ConditionKind::And(lhs, rhs) => {
            time_bounds(lhs, out);
            time_bounds(rhs, out);
        }
        ConditionKind::Comparison { lhs, rhs, .. } if is_time(lhs) || is_time(rhs) => {
            out.push(condition.clone());
        }
        _ => {}
    }
}

fn is_time(expr: &QlExpr) -> bool {
    matches!(&expr.kind, ExprKind::VarRef { name, .. } if name.value.eq_ignore_ascii_case(TIME_COLUMN))
}

/// Whether an expression calls a function.
fn has_call(expr: &QlExpr) -> bool {
    match &expr.kind {
        ExprKind::Call(_) => true,
        ExprKind::Binary { lhs, rhs, .. } => has_call(lhs) || has_call(rhs),
        ExprKind::Negate(inner) => has_call(inner),
        _ => false,
    }
}

/// A stream that can be read once, as a partition of a table.
struct ReadOnce {
    schema: SchemaRef,
    rows: Mutex<Option<SendableRecordBatchStream>>,
}

impl std::fmt::Debug for ReadOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOnce").finish_non_exhaustive()
    }
}

impl PartitionStream for ReadOnce {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self.rows.lock().ok().and_then(|mut rows| rows.take());
        match taken {
            Some(rows) => rows,
            None => {
                let error = invalid("a subquery's answer is read once, and it was read already");
                Box::pin(RecordBatchStreamAdapter::new(
                    self.schema.clone(),
                    futures::stream::once(async move { Err::<_, DataFusionError>(error) }),
                ))
            }
        }
    }
}
