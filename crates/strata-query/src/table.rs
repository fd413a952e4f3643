//! One measurement as a DataFusion table: the node's buffered rows and the table's Parquet
//! files, unioned, with files pruned by time and rows older than the retention period cut.

use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown, col, lit};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExecBuilder;
use datafusion::physical_plan::union::UnionExec;
use strata_storage::Storage;
use strata_types::{ParquetFile, TIME_COLUMN};

/// The URL the engine registers the object store under.
pub(crate) const OBJECT_STORE_URL: &str = "strata://objects";

pub(crate) struct StrataTable {
    pub database_id: i64,
    pub table_id: i64,
    pub schema: SchemaRef,
    /// Rows older than this (nanoseconds) are never returned.
    pub oldest: Option<i64>,
    pub storage: Arc<Storage>,
}

impl fmt::Debug for StrataTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrataTable")
            .field("database_id", &self.database_id)
            .field("table_id", &self.table_id)
            .finish()
    }
}

#[async_trait]
impl datafusion::catalog::TableProvider for StrataTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Filters are used to prune files and re-checked on every row.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let data = self
            .storage
            .table_data(self.database_id, self.table_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let (mut min, max) = time_bounds(filters);
        if let Some(oldest) = self.oldest {
            min = Some(min.map_or(oldest, |m| m.max(oldest)));
        }
        // Read time too when rows must be cut by retention; the filter projects it away.
        let time_index = self.schema.index_of(TIME_COLUMN).ok();
        let cut = self.oldest.zip(time_index);
        let scan_projection = match (projection, cut) {
            (Some(p), Some((_, t))) if !p.contains(&t) => {
                Some(p.iter().copied().chain([t]).collect::<Vec<_>>())
            }
            (p, _) => p.cloned(),
        };

        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        let buffered = data
            .buffered
            .iter()
            .map(|batch| align(batch, &self.schema))
            .collect::<Result<Vec<_>>>()?;
        if !buffered.is_empty() {
            inputs.push(MemorySourceConfig::try_new_exec(
                &[buffered],
                self.schema.clone(),
                scan_projection.clone(),
            )?);
        }
        let files: Vec<&ParquetFile> = data
            .files
            .iter()
            .filter(|f| min.is_none_or(|min| f.max_time >= min))
            .filter(|f| max.is_none_or(|max| f.min_time <= max))
            .collect();
        if !files.is_empty() {
            let source = Arc::new(ParquetSource::new(self.schema.clone()));
            let mut builder =
                FileScanConfigBuilder::new(ObjectStoreUrl::parse(OBJECT_STORE_URL)?, source);
            for file in files {
                builder = builder.with_file(PartitionedFile::new(
                    file.path.clone(),
                    file.size_bytes as u64,
                ));
            }
            let config = builder
                .with_projection_indices(scan_projection.clone())?
                .build();
            inputs.push(DataSourceExec::from_data_source(config));
        }
        let projected = match &scan_projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        let plan = if inputs.is_empty() {
            Arc::new(EmptyExec::new(projected.clone())) as Arc<dyn ExecutionPlan>
        } else {
            UnionExec::try_new(inputs)?
        };
        let Some((oldest, _)) = cut else {
            return Ok(plan);
        };
        let df_schema = DFSchema::try_from(projected.as_ref().clone())?;
        let predicate = state.create_physical_expr(
            col(TIME_COLUMN).gt_eq(lit(ScalarValue::TimestampNanosecond(
                Some(oldest),
                Some("UTC".into()),
            ))),
            &df_schema,
        )?;
        let output: Vec<usize> = match projection {
            Some(p) => (0..p.len()).collect(),
            None => (0..projected.fields().len()).collect(),
        };
        let filter = FilterExecBuilder::new(predicate, plan)
            .apply_projection(Some(output))?
            .build()?;
        Ok(Arc::new(filter))
    }
}

/// A buffered batch in the table's schema: columns in the table's order, missing ones null.
fn align(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(column.clone()),
            Some(column) => Ok(cast(column, field.data_type())?),
            None => Ok(new_null_array(field.data_type(), batch.num_rows()) as ArrayRef),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// The time range the filters allow, from comparisons of `time` with timestamp literals.
fn time_bounds(filters: &[Expr]) -> (Option<i64>, Option<i64>) {
    let mut min: Option<i64> = None;
    let mut max: Option<i64> = None;
    let mut visit = Vec::from_iter(filters.iter());
    while let Some(expr) = visit.pop() {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
            continue;
        };
        if *op == Operator::And {
            visit.push(left);
            visit.push(right);
            continue;
        }
        let (op, value) = match (left.as_ref(), right.as_ref()) {
            (Expr::Column(c), Expr::Literal(v, _)) if c.name == TIME_COLUMN => (*op, v),
            (Expr::Literal(v, _), Expr::Column(c)) if c.name == TIME_COLUMN => match op.swap() {
                Some(op) => (op, v),
                None => continue,
            },
            _ => continue,
        };
        let ScalarValue::TimestampNanosecond(Some(t), _) = value else {
            continue;
        };
        match op {
            Operator::Gt | Operator::GtEq => min = Some(min.map_or(*t, |m| m.max(*t))),
            Operator::Lt | Operator::LtEq => max = Some(max.map_or(*t, |m| m.min(*t))),
            Operator::Eq => {
                min = Some(min.map_or(*t, |m| m.max(*t)));
                max = Some(max.map_or(*t, |m| m.min(*t)));
            }
            _ => {}
        }
    }
    (min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(t: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(
            Some(t),
            Some("UTC".into()),
        ))
    }

    #[test]
    fn time_bounds_come_from_comparisons_with_timestamps() {
        let filters = [
            col("time").gt_eq(ts(10)).and(col("time").lt(ts(50))),
            ts(40).gt(col("time")),
            col("host").eq(lit("a")),
        ];
        assert_eq!(time_bounds(&filters), (Some(10), Some(40)));
        assert_eq!(time_bounds(&[col("time").eq(ts(7))]), (Some(7), Some(7)));
        assert_eq!(
            time_bounds(&[col("time").gt(lit(5i64))]),
            (None, None),
            "not a timestamp"
        );
        assert_eq!(
            time_bounds(&[col("time").gt(ts(1)).or(col("time").lt(ts(0)))]),
            (None, None),
            "OR says nothing about the range"
        );
    }
}
