//! Query-time deduplication: a point (same tags, same time) read from more than one source —
//! Parquet files of different generations, the buffer — is returned once.
//!
//! [`DedupeExec`] reads rows sorted by the point key (the tags, then time) and then by a
//! sequence column that ranks the sources by write order. It folds every run of rows with one
//! key into a single row whose columns each take the run's last non-null value: as InfluxDB
//! merges a point written again, the newest write of a field wins and fields it did not name
//! keep their older values. It streams; only the rows of the run still open at the end of a
//! batch are held back.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::compute::SortOptions;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{
    EquivalenceProperties, LexOrdering, OrderingRequirements, PhysicalExpr, PhysicalSortExpr,
};
use datafusion::physical_plan::execution_plan::{Boundedness, CardinalityEffect, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, InputDistributionRequirements,
    Partitioning, PlanProperties,
};
use futures::StreamExt;
use strata_storage::fold_latest;

/// The ascending, nulls-first order of `columns` of `schema`: the order persisted files are
/// written in (a missing tag sorts first).
pub(crate) fn ordering(schema: &Schema, columns: &[usize]) -> Result<LexOrdering> {
    let exprs = columns.iter().map(|&i| {
        PhysicalSortExpr::new(
            Arc::new(Column::new(schema.field(i).name(), i)),
            SortOptions::default(),
        )
    });
    LexOrdering::new(exprs)
        .ok_or_else(|| DataFusionError::Internal("an ordering needs a column".into()))
}

/// One row per point of its input, whose last column is the sequence (not output).
#[derive(Debug)]
pub(crate) struct DedupeExec {
    input: Arc<dyn ExecutionPlan>,
    /// The input columns naming a point: the tags, then time.
    key: Vec<usize>,
    /// The key, then the sequence: equal keys arrive oldest write first.
    required: LexOrdering,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl DedupeExec {
    pub(crate) fn try_new(input: Arc<dyn ExecutionPlan>, key: Vec<usize>) -> Result<Self> {
        let input_schema = input.schema();
        let sequence = input_schema.fields().len() - 1;
        let required = ordering(&input_schema, &[key.as_slice(), &[sequence]].concat())?;
        let schema = Arc::new(input_schema.project(&(0..sequence).collect::<Vec<_>>())?);
        // Runs collapse in place, so the output keeps the input's order by key.
        let properties = PlanProperties::new(
            EquivalenceProperties::new_with_orderings(schema.clone(), [ordering(&schema, &key)?]),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(DedupeExec {
            input,
            key,
            required,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl DisplayAs for DedupeExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let schema = self.input.schema();
        let key: Vec<&str> = self
            .key
            .iter()
            .map(|&i| schema.field(i).name().as_str())
            .collect();
        write!(f, "DedupeExec: key=[{}]", key.join(", "))
    }
}

impl ExecutionPlan for DedupeExec {
    fn name(&self) -> &str {
        "DedupeExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    /// Rows of one point must meet in one stream.
    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        InputDistributionRequirements::new(vec![Distribution::SinglePartition])
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        vec![Some(OrderingRequirements::from(self.required.clone()))]
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::LowerEqual
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(DedupeExec::try_new(
            children.swap_remove(0),
            self.key.clone(),
        )?))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let deduper = Deduper::try_new(self.schema(), self.key.clone())?;
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let output = futures::stream::unfold(Some((input, deduper, metrics)), |state| async move {
            let (mut input, mut deduper, metrics) = state?;
            loop {
                let folded = match input.next().await {
                    Some(Ok(batch)) => {
                        let _timer = metrics.elapsed_compute().timer();
                        deduper.push(batch).transpose()
                    }
                    Some(Err(e)) => Some(Err(e)),
                    None => {
                        let last = deduper.finish().transpose();
                        metrics.done();
                        return last.map(|last| (last, None));
                    }
                };
                if let Some(folded) = folded {
                    if let Ok(batch) = &folded {
                        metrics.record_output(batch.num_rows());
                    }
                    let next = folded.is_ok().then_some((input, deduper, metrics));
                    return Some((folded, next));
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            output,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// The folding state between batches.
struct Deduper {
    converter: RowConverter,
    key: Vec<usize>,
    /// The input's columns but the sequence.
    schema: SchemaRef,
    /// The batches the open run's rows are in, oldest first.
    held: Vec<RecordBatch>,
    /// The open run: its rows as (index in `held`, row) and its key.
    open: Vec<(usize, usize)>,
    open_key: Option<OwnedRow>,
}

impl Deduper {
    fn try_new(schema: SchemaRef, key: Vec<usize>) -> Result<Self> {
        let fields = key
            .iter()
            .map(|&i| SortField::new(schema.field(i).data_type().clone()))
            .collect();
        Ok(Deduper {
            converter: RowConverter::new(fields)?,
            key,
            schema,
            held: Vec::new(),
            open: Vec::new(),
            open_key: None,
        })
    }

    /// Folds a batch: the runs it completes, or `None` when it only extends the open run.
    fn push(&mut self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        if batch.num_rows() == 0 {
            return Ok(None);
        }
        let columns: Vec<ArrayRef> = self.key.iter().map(|&i| batch.column(i).clone()).collect();
        let keys = self.converter.convert_columns(&columns)?;
        let current = self.held.len();
        self.held.push(batch);
        let mut rows = std::mem::take(&mut self.open);
        // Where each completed run ends in `rows`.
        let mut ends = Vec::new();
        let mut previous = self.open_key.as_ref().map(OwnedRow::row);
        for (i, key) in keys.iter().enumerate() {
            if previous.is_some_and(|p| p != key) {
                ends.push(rows.len());
            }
            rows.push((current, i));
            previous = Some(key);
        }
        self.open_key = Some(keys.row(keys.num_rows() - 1).owned());
        let complete = ends.last().copied().unwrap_or(0);
        self.open = rows.split_off(complete);
        let folded = (complete > 0)
            .then(|| self.fold(&rows, &ends))
            .transpose()?;
        // Keep only the batches the open run still needs.
        let first = self.open[0].0;
        self.held.drain(..first);
        self.open.iter_mut().for_each(|(b, _)| *b -= first);
        Ok(folded)
    }

    /// The open run, folded, once the input has ended.
    fn finish(&mut self) -> Result<Option<RecordBatch>> {
        if self.open.is_empty() {
            return Ok(None);
        }
        let rows = std::mem::take(&mut self.open);
        let folded = self.fold(&rows, &[rows.len()])?;
        self.held.clear();
        self.open_key = None;
        Ok(Some(folded))
    }

    /// One row per run (`rows[ends[i-1]..ends[i]]`), each column its run's last non-null
    /// value.
    fn fold(&self, rows: &[(usize, usize)], ends: &[usize]) -> Result<RecordBatch> {
        let columns = (0..self.schema.fields().len())
            .map(|c| {
                let arrays: Vec<&dyn Array> =
                    self.held.iter().map(|b| b.column(c).as_ref()).collect();
                fold_latest(&arrays, rows, ends)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{
        Float64Array, StringDictionaryBuilder, TimestampNanosecondArray, UInt64Array,
    };
    use arrow::datatypes::{DataType, Field, Int32Type};
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::physical_plan::collect;
    use strata_storage::arrow_field;
    use strata_types::ColumnType;

    use super::*;

    const T: i64 = 1_700_000_000_000_000_000;

    type Row = (Option<&'static str>, i64, Option<f64>, Option<f64>, u64);

    /// Rows of (host, time, usage, idle, sequence).
    fn batch(rows: &[Row]) -> RecordBatch {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        rows.iter().for_each(|r| host.append_option(r.0));
        let schema = Schema::new(vec![
            arrow_field("host", ColumnType::Tag),
            arrow_field("time", ColumnType::Time),
            arrow_field("usage", ColumnType::Float),
            arrow_field("idle", ColumnType::Float),
            Field::new("sequence", DataType::UInt64, false),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(host.finish()),
            Arc::new(
                TimestampNanosecondArray::from_iter_values(rows.iter().map(|r| r.1))
                    .with_timezone("UTC"),
            ),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.2))),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.3))),
            Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.4))),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    /// Runs `DedupeExec` over batches already sorted by (host, time, sequence).
    async fn dedupe(batches: Vec<RecordBatch>) -> String {
        let schema = batches[0].schema();
        let input = MemorySourceConfig::try_new_exec(&[batches], schema, None).unwrap();
        let plan = Arc::new(DedupeExec::try_new(input, vec![0, 1]).unwrap());
        let output = collect(plan, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        pretty_format_batches(&output).unwrap().to_string()
    }

    #[tokio::test]
    async fn equal_keys_collapse_to_the_latest_non_null_value_of_each_field() {
        let first = batch(&[
            (None, T, Some(7.0), None, 0),
            (None, T, None, Some(70.0), 3),
            (Some("a"), T, Some(1.0), Some(10.0), 1),
            (Some("a"), T, Some(2.0), None, 4),
            (Some("a"), T + 1, Some(5.0), None, 2),
            (Some("b"), T, Some(3.0), None, 5),
        ]);
        // b@T goes on through the next two batches.
        let second = batch(&[(Some("b"), T, None, Some(30.0), 6)]);
        let third = batch(&[
            (Some("b"), T, Some(9.0), None, 7),
            (Some("c"), T, Some(1.0), Some(1.0), 8),
        ]);
        assert_eq!(
            dedupe(vec![first, second, third]).await,
            "\
+------+--------------------------------+-------+------+
| host | time                           | usage | idle |
+------+--------------------------------+-------+------+
|      | 2023-11-14T22:13:20Z           | 7.0   | 70.0 |
| a    | 2023-11-14T22:13:20Z           | 2.0   | 10.0 |
| a    | 2023-11-14T22:13:20.000000001Z | 5.0   |      |
| b    | 2023-11-14T22:13:20Z           | 9.0   | 30.0 |
| c    | 2023-11-14T22:13:20Z           | 1.0   | 1.0  |
+------+--------------------------------+-------+------+"
        );
    }

    #[tokio::test]
    async fn a_missing_tag_is_a_key_value_of_its_own() {
        let rows = batch(&[
            (None, T, Some(1.0), None, 0),
            (Some("a"), T, Some(2.0), None, 1),
        ]);
        let output = dedupe(vec![rows]).await;
        assert_eq!(output.lines().count(), 6, "two rows:\n{output}");
    }

    #[tokio::test]
    async fn distinct_points_pass_unchanged_and_empty_batches_are_skipped() {
        let rows = batch(&[
            (Some("a"), T, Some(1.0), None, 0),
            (Some("a"), T + 1, None, Some(2.0), 1),
        ]);
        let empty = batch(&[]);
        let output = dedupe(vec![rows.clone(), empty]).await;
        let expected = pretty_format_batches(&[rows.project(&[0, 1, 2, 3]).unwrap()])
            .unwrap()
            .to_string();
        assert_eq!(output, expected);
    }
}
