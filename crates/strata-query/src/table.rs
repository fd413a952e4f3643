//! One measurement as a DataFusion table: the node's buffered rows and the table's Parquet
//! files, with files pruned by time and partition key, filters pushed into the Parquet
//! reader, a point found in more than one source merged into one row ([`DedupeExec`]) and rows
//! older than the retention period cut.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt64Array, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::{
    FileGroup, FileGroupPartitioner, FileScanConfigBuilder, ParquetFileReaderFactory, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown, col, lit};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr as PhysicalBinary, Column, Literal, not};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExecBuilder;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::union::UnionExec;
use object_store::ObjectMeta;
use object_store::path::Path as ObjectPath;
use strata_storage::{
    SeriesStats, Source, Storage, column_type_of, conflict_windows, key_may_hold,
};
use strata_types::{ColumnType, ParquetFile, PartitionTemplate, TIME_COLUMN};

use crate::dedupe::{DedupeExec, ordering};

/// The URL the engine registers the object store under.
pub(crate) const OBJECT_STORE_URL: &str = "strata://objects";

/// The column that ranks rows by write order on their way into [`DedupeExec`].
const SEQUENCE: &str = "__strata_sequence";

pub(crate) struct StrataTable {
    pub database_id: i64,
    pub table_id: i64,
    pub schema: SchemaRef,
    /// Rows older than this (nanoseconds) are never returned.
    pub oldest: Option<i64>,
    /// What the table's files are partitioned by, to skip files by tag value.
    pub template: PartitionTemplate,
    pub storage: Arc<Storage>,
    /// Opens the table's files, with their metadata cached across queries.
    pub reader: Arc<dyn ParquetFileReaderFactory>,
}

impl fmt::Debug for StrataTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrataTable")
            .field("database_id", &self.database_id)
            .field("table_id", &self.table_id)
            .finish()
    }
}

impl StrataTable {
    /// The merged [`SeriesStats`] of what a scan of the table reads now, when the node can
    /// keep them.
    pub(crate) async fn series_stats(&self) -> Result<Option<Arc<SeriesStats>>> {
        self.storage
            .series_stats(self.database_id, self.table_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))
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

    /// Filters prune files, row groups and pages and are re-checked on every row.
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
        // Every write has a time, so a table without one has no rows yet.
        let Ok(time) = self.schema.index_of(TIME_COLUMN) else {
            let projected = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => self.schema.clone(),
            };
            return Ok(Arc::new(EmptyExec::new(projected)));
        };
        let data = self
            .storage
            .table_data(self.database_id, self.table_id)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let (mut min, max) = time_bounds(filters);
        if let Some(oldest) = self.oldest {
            min = Some(min.map_or(oldest, |m| m.max(oldest)));
        }
        let in_range = |(first, last): (i64, i64)| {
            min.is_none_or(|min| last >= min) && max.is_none_or(|max| first <= max)
        };
        // Only tags are in partition keys; a field of the same name is not.
        let pinned: Vec<(&str, &str)> = pinned_values(filters)
            .into_iter()
            .filter(|(column, _)| {
                self.schema
                    .field_with_name(column)
                    .is_ok_and(|f| column_type_of(f) == Some(ColumnType::Tag))
            })
            .collect();
        let may_hold_pinned = |file: &ParquetFile| {
            pinned
                .iter()
                .all(|(tag, value)| key_may_hold(&file.partition_key, &self.template, tag, value))
        };
        // Time is always read: rows are cut by retention and split by time between plain
        // reads and merging. It is projected away at the end when the query does not ask.
        let columns: Vec<usize> = match projection {
            Some(p) if !p.contains(&time) => p.iter().copied().chain([time]).collect(),
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let retention = self.oldest.map(|oldest| {
            col(TIME_COLUMN).gt_eq(lit(ScalarValue::TimestampNanosecond(
                Some(oldest),
                Some("UTC".into()),
            )))
        });
        let mut key: Vec<usize> = (0..self.schema.fields().len())
            .filter(|&i| column_type_of(self.schema.field(i)) == Some(ColumnType::Tag))
            .collect();
        key.push(time);
        let key_names: HashSet<&str> = key
            .iter()
            .map(|&i| self.schema.field(i).name().as_str())
            .collect();
        // DataFusion pushes the query's filters (re-checked above the scan) into every Parquet
        // reader it reaches, but not through DedupeExec: rows still to be merged get the
        // filters on key columns here. Not those on fields: a value written over must not
        // decide whether a point is returned.
        let key_filters = filters.iter().chain(retention.as_ref()).filter(|e| {
            e.column_refs()
                .iter()
                .all(|c| key_names.contains(c.name.as_str()))
        });
        let key_predicate = conjunction(key_filters.cloned())
            .map(|e| {
                state.create_physical_expr(e, &DFSchema::try_from(self.schema.as_ref().clone())?)
            })
            .transpose()?;
        let scan = Scan {
            schema: self.schema.clone(),
            sequenced: sequenced(&self.schema),
            columns: columns.clone(),
            key,
            key_predicate,
            reader: self.reader.clone(),
            split_files: pinned.is_empty(),
        };

        // In write order (`Storage::table_data`).
        let files: Vec<&ParquetFile> = data
            .files
            .iter()
            .filter(|f| in_range((f.min_time, f.max_time)) && may_hold_pinned(f))
            .collect();
        let mut spans: Vec<(i64, i64, Source)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.min_time, f.max_time, Source::File(i)))
            .collect();
        // The buffer is newer than every file, and its batches are oldest first.
        let mut next = files.len() as u64;
        let mut batches = Vec::new();
        let mut repeats_within = Vec::new();
        let buffered = data
            .buffered
            .iter()
            .zip(&data.buffered_points_unique)
            .zip(&data.buffered_time_ranges);
        for ((batch, &unique), &range) in buffered {
            if range.0 <= range.1 && in_range(range) {
                spans.push((range.0, range.1, Source::Batch(batches.len())));
                let batch = align(batch, &self.schema)?;
                batches.push(with_sequence(&batch, &scan.sequenced, next)?);
                repeats_within.push(!unique);
            }
            next += batch.num_rows() as u64;
        }

        let mut plain = Vec::new();
        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        // Batches to merge in groups where no file needs merging are merged as one: one sort
        // beats a sort and a plan branch per group. Their windows lie within their groups'
        // batches, which no other group's batches overlap, so the windows apply to all.
        let mut buffered_alone = Vec::new();
        let mut buffered_alone_windows = Vec::new();
        // Batches none of whose points may be anywhere else, read as they are.
        let mut plain_batches = Vec::new();
        let files_disjoint = files.len() > 1
            && self
                .storage
                .files_share_no_point(&data)
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let partitions = state.config().target_partitions();
        for group in overlapping(spans.clone(), files_disjoint) {
            if let [Source::File(i)] = group.as_slice() {
                plain.push(files[*i]);
                continue;
            }
            let group_spans: Vec<(i64, i64, Source)> = spans
                .iter()
                .filter(|s| group.contains(&s.2))
                .copied()
                .collect();
            let windows = conflict_windows(&group_spans, files_disjoint, |b| repeats_within[b]);
            let mut merged_files = Vec::new();
            let mut alone_files = Vec::new();
            let mut merged_batches = Vec::new();
            let mut alone_batches = Vec::new();
            for &(first, last, source) in &group_spans {
                let range = (first, last);
                let in_a_window = windows.iter().any(|w| overlaps(*w, range));
                let only_in_windows = windows.iter().any(|w| contains(*w, range));
                match source {
                    Source::File(i) => {
                        if in_a_window {
                            merged_files.push((i as u64, files[i]));
                        }
                        if !only_in_windows {
                            alone_files.push(files[i]);
                        }
                    }
                    Source::Batch(i) if !in_a_window => plain_batches.push(batches[i].clone()),
                    Source::Batch(i) => {
                        merged_batches.push(batches[i].clone());
                        if !only_in_windows {
                            alone_batches.push(batches[i].clone());
                        }
                    }
                }
            }
            // Rows outside every window where sources overlap are in one source only.
            if !alone_files.is_empty() {
                inputs.push(scan.files(&alone_files, partitions, &windows)?);
            }
            if !alone_batches.is_empty() {
                inputs.push(scan.batches(alone_batches, partitions, &windows)?);
            }
            if merged_files.is_empty() {
                buffered_alone.extend(merged_batches);
                buffered_alone_windows.extend(windows);
            } else {
                inputs.push(scan.deduplicated(&merged_files, merged_batches, &windows)?);
            }
        }
        if !buffered_alone.is_empty() {
            buffered_alone_windows.sort_unstable();
            inputs.push(scan.deduplicated(&[], buffered_alone, &buffered_alone_windows)?);
        }
        if !plain_batches.is_empty() {
            inputs.push(scan.batches(plain_batches, partitions, &[])?);
        }
        if !plain.is_empty() {
            inputs.push(scan.files(&plain, partitions, &[])?);
        }
        let read = Arc::new(self.schema.project(&columns)?);
        let plan = if inputs.is_empty() {
            Arc::new(EmptyExec::new(read.clone())) as Arc<dyn ExecutionPlan>
        } else {
            UnionExec::try_new(inputs)?
        };
        let output: Vec<usize> = (0..projection.map_or(columns.len(), Vec::len)).collect();
        let plan: Arc<dyn ExecutionPlan> = match retention {
            Some(retention) => {
                let predicate = state
                    .create_physical_expr(retention, &DFSchema::try_from(read.as_ref().clone())?)?;
                Arc::new(
                    FilterExecBuilder::new(predicate, plan)
                        .apply_projection(Some(output))?
                        .build()?,
                )
            }
            None if output.len() < columns.len() => {
                let exprs = output.iter().map(|&i| {
                    let name = read.field(i).name();
                    ProjectionExpr::new(Arc::new(Column::new(name, i)), name)
                });
                Arc::new(ProjectionExec::try_new(exprs, plan)?)
            }
            None => plan,
        };
        Ok(plan)
    }
}

fn overlaps(window: (i64, i64), range: (i64, i64)) -> bool {
    window.0 <= range.1 && range.0 <= window.1
}

fn contains(window: (i64, i64), range: (i64, i64)) -> bool {
    window.0 <= range.0 && range.1 <= window.1
}

/// `time` within one of the windows.
fn in_windows(windows: &[(i64, i64)], time: Arc<Column>) -> Arc<dyn PhysicalExpr> {
    let at = |t: i64| -> Arc<dyn PhysicalExpr> {
        Arc::new(Literal::new(ScalarValue::TimestampNanosecond(
            Some(t),
            Some("UTC".into()),
        )))
    };
    let compare = |op: Operator, t: i64| -> Arc<dyn PhysicalExpr> {
        Arc::new(PhysicalBinary::new(time.clone(), op, at(t)))
    };
    windows
        .iter()
        .map(|&(first, last)| -> Arc<dyn PhysicalExpr> {
            Arc::new(PhysicalBinary::new(
                compare(Operator::GtEq, first),
                Operator::And,
                compare(Operator::LtEq, last),
            ))
        })
        .reduce(|a, b| Arc::new(PhysicalBinary::new(a, Operator::Or, b)))
        .unwrap_or_else(|| Arc::new(Literal::new(ScalarValue::Boolean(Some(false)))))
}

/// The rows of `files` (in write order) in key order, a point in more than one of them one
/// row whose fields are the latest values written: what compaction writes back.
pub(crate) fn merged_files(
    schema: SchemaRef,
    files: &[ParquetFile],
    reader: Arc<dyn ParquetFileReaderFactory>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let time = schema.index_of(TIME_COLUMN)?;
    let mut key: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| column_type_of(schema.field(i)) == Some(ColumnType::Tag))
        .collect();
    key.push(time);
    let scan = Scan {
        sequenced: sequenced(&schema),
        columns: (0..schema.fields().len()).collect(),
        schema,
        key,
        key_predicate: None,
        reader,
        split_files: false,
    };
    let ranked: Vec<(u64, &ParquetFile)> = files
        .iter()
        .enumerate()
        .map(|(rank, f)| (rank as u64, f))
        .collect();
    scan.deduplicated(&ranked, Vec::new(), &[])
}

/// The sources in groups whose time ranges (`(first, last, source)`) overlap, transitively:
/// a point can only be in more than one source of the same group. Files known to share no
/// point (`files_disjoint`) are joined only through a buffered batch they both overlap.
/// Groups come in order of their first start.
fn overlapping(mut spans: Vec<(i64, i64, Source)>, files_disjoint: bool) -> Vec<Vec<Source>> {
    spans.sort_by_key(|&(first, _, _)| first);
    let mut parent: Vec<usize> = (0..spans.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    // A sweep in start order: each span is joined to the earlier ones still open at its start.
    let mut open: Vec<usize> = Vec::new();
    for i in 0..spans.len() {
        let (first, _, source) = spans[i];
        open.retain(|&j| spans[j].1 >= first);
        for &j in &open {
            let both_files = matches!((source, spans[j].2), (Source::File(_), Source::File(_)));
            if !(files_disjoint && both_files) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
        open.push(i);
    }
    let mut groups: Vec<Vec<Source>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for (i, span) in spans.iter().enumerate() {
        let r = root(&mut parent, i);
        let g = *group_of.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(span.2);
    }
    groups
}

/// The table's columns and a last [`SEQUENCE`] column.
fn sequenced(schema: &Schema) -> SchemaRef {
    let mut fields = schema.fields().to_vec();
    fields.push(Arc::new(Field::new(SEQUENCE, DataType::UInt64, false)));
    Arc::new(Schema::new(fields))
}

/// A buffered batch in the table's schema with its rows numbered from `first`.
fn with_sequence(batch: &RecordBatch, sequenced: &SchemaRef, first: u64) -> Result<RecordBatch> {
    let sequence = UInt64Array::from_iter_values(first..first + batch.num_rows() as u64);
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(sequence));
    Ok(RecordBatch::try_new(sequenced.clone(), columns)?)
}

/// What the parts of one scan share.
struct Scan {
    schema: SchemaRef,
    /// See [`sequenced`].
    sequenced: SchemaRef,
    /// The table columns every part yields, in this order.
    columns: Vec<usize>,
    /// The columns naming a point: the tags, then time.
    key: Vec<usize>,
    /// The filters on key columns, for rows still to be merged.
    key_predicate: Option<Arc<dyn PhysicalExpr>>,
    reader: Arc<dyn ParquetFileReaderFactory>,
    /// Whether large files are split into byte ranges read in parallel: not when the query
    /// pins a series, whose rows are in a few pages that each range would find again.
    split_files: bool,
}

impl Scan {
    /// A Parquet reader that skips row groups and pages by its predicate (`predicate`, or what
    /// DataFusion pushes down) and filters rows while decoding; files' metadata comes from the
    /// node's cache. Files are written without bloom filters, so none are looked for (a read
    /// per row group).
    fn parquet_source(
        &self,
        schema: impl Into<TableSchema>,
        predicate: Option<&Arc<dyn PhysicalExpr>>,
    ) -> Arc<ParquetSource> {
        let source = ParquetSource::new(schema)
            .with_enable_page_index(true)
            .with_pushdown_filters(true)
            .with_reorder_filters(true)
            .with_bloom_filter_on_read(false)
            .with_parquet_file_reader_factory(self.reader.clone());
        Arc::new(match predicate {
            Some(predicate) => source.with_predicate(predicate.clone()),
            None => source,
        })
    }

    /// Files read as they are: those that share no point with another source, or their
    /// rows outside `windows` where they may.
    fn files(
        &self,
        files: &[&ParquetFile],
        partitions: usize,
        windows: &[(i64, i64)],
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let group = FileGroup::new(
            files
                .iter()
                .map(|f| partitioned_file(f))
                .collect::<Result<_>>()?,
        );
        // The reader's predicate (over the table's columns) skips pages; the filter (over the
        // columns read) makes sure of every row.
        let outside = |columns: &[usize]| not(in_windows(windows, self.time_in(columns)));
        let all: Vec<usize> = (0..self.schema.fields().len()).collect();
        let pruning = match windows {
            [] => None,
            _ => Some(outside(&all)?),
        };
        let source = self.parquet_source(self.schema.clone(), pruning.as_ref());
        let mut groups = group.split_files(partitions);
        if self.split_files {
            groups = FileGroupPartitioner::new()
                .with_target_partitions(partitions)
                .repartition_file_groups(&groups)
                .unwrap_or(groups);
        }
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::parse(OBJECT_STORE_URL)?, source)
            .with_file_groups(groups)
            .with_projection_indices(Some(self.columns.clone()))?
            .build();
        let read = DataSourceExec::from_data_source(config);
        Ok(match windows {
            [] => read,
            _ => Arc::new(FilterExecBuilder::new(outside(&self.columns)?, read).build()?),
        })
    }

    /// Buffered batches (with their sequence column) read as they are: those that share no
    /// point with another source, or their rows outside `windows` where they may.
    fn batches(
        &self,
        batches: Vec<RecordBatch>,
        partitions: usize,
        windows: &[(i64, i64)],
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions.clamp(1, batches.len())];
        for (i, batch) in batches.into_iter().enumerate() {
            let part = i % parts.len();
            parts[part].push(batch);
        }
        let read = MemorySourceConfig::try_new_exec(
            &parts,
            self.sequenced.clone(),
            Some(self.columns.clone()),
        )?;
        Ok(match windows {
            [] => read,
            _ => {
                let outside = not(in_windows(windows, self.time_in(&self.columns)))?;
                Arc::new(FilterExecBuilder::new(outside, read).build()?)
            }
        })
    }

    /// The `time` column among `columns` (table column indices), for an expression over them.
    fn time_in(&self, columns: &[usize]) -> Arc<Column> {
        let time = *self.key.last().expect("the key ends with time");
        let position = columns
            .iter()
            .position(|c| *c == time)
            .expect("time is always read");
        Arc::new(Column::new(TIME_COLUMN, position))
    }

    /// Files (with their rank in write order) and buffered batches (with a sequence column)
    /// whose rows may name the same points: merged by key and write order, one row per point.
    /// With `windows`, only the files' rows within them are read.
    fn deduplicated(
        &self,
        files: &[(u64, &ParquetFile)],
        batches: Vec<RecordBatch>,
        windows: &[(i64, i64)],
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let sequence = self.schema.fields().len();
        let read: Vec<usize> = BTreeSet::from_iter(self.columns.iter().chain(&self.key).copied())
            .into_iter()
            .collect();
        let position = |c: &usize| read.binary_search(c).expect("read holds the column");
        let read_key: Vec<usize> = self.key.iter().map(position).collect();
        let read_with_sequence: Vec<usize> = read.iter().copied().chain([sequence]).collect();
        let by_key = ordering(
            &self.sequenced.project(&read_with_sequence)?,
            &[read_key.as_slice(), &[read.len()]].concat(),
        )?;

        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        if !files.is_empty() {
            let source = self.parquet_source(
                TableSchema::builder(self.schema.clone())
                    .with_table_partition_cols(vec![self.sequenced.fields()[sequence].clone()])
                    .build(),
                self.key_predicate.as_ref(),
            );
            let mut builder =
                FileScanConfigBuilder::new(ObjectStoreUrl::parse(OBJECT_STORE_URL)?, source)
                    .with_projection_indices(Some(read_with_sequence.clone()))?
                    // Persisted files are sorted by tags, then time (strata-storage's
                    // persist.rs), and the sequence is the same for a whole file.
                    .with_output_ordering(vec![ordering(
                        &self.sequenced,
                        &[self.key.as_slice(), &[sequence]].concat(),
                    )?]);
            for (rank, file) in files {
                builder = builder.with_file(
                    partitioned_file(file)?
                        .with_partition_values(vec![ScalarValue::UInt64(Some(*rank))]),
                );
            }
            let read_files = DataSourceExec::from_data_source(builder.build());
            inputs.push(if windows.is_empty() {
                read_files
            } else {
                let inside = in_windows(windows, self.time_in(&read));
                Arc::new(FilterExecBuilder::new(inside, read_files).build()?)
            });
        }
        if !batches.is_empty() {
            // Buffered rows the key filters refuse, or outside the windows, need no sorting.
            let inside = (!windows.is_empty()).then(|| {
                let time = Arc::new(Column::new(TIME_COLUMN, self.key[self.key.len() - 1]));
                in_windows(windows, time)
            });
            let predicate = match (&self.key_predicate, inside) {
                (Some(key), Some(inside)) => Some(Arc::new(PhysicalBinary::new(
                    key.clone(),
                    Operator::And,
                    inside,
                )) as Arc<dyn PhysicalExpr>),
                (key, inside) => key.clone().or(inside),
            };
            let buffered: Arc<dyn ExecutionPlan> = match &predicate {
                Some(predicate) => Arc::new(
                    FilterExecBuilder::new(
                        predicate.clone(),
                        MemorySourceConfig::try_new_exec(&[batches], self.sequenced.clone(), None)?,
                    )
                    .apply_projection(Some(read_with_sequence))?
                    .build()?,
                ),
                None => MemorySourceConfig::try_new_exec(
                    &[batches],
                    self.sequenced.clone(),
                    Some(read_with_sequence),
                )?,
            };
            inputs.push(Arc::new(SortExec::new(by_key.clone(), buffered)));
        }
        let merged = SortPreservingMergeExec::new(by_key, UnionExec::try_new(inputs)?);
        let deduplicated = Arc::new(DedupeExec::try_new(Arc::new(merged), read_key)?);
        if read == self.columns {
            return Ok(deduplicated);
        }
        let exprs = self.columns.iter().map(|c| {
            let name = self.schema.field(*c).name();
            ProjectionExpr::new(Arc::new(Column::new(name, position(c))), name)
        });
        Ok(Arc::new(ProjectionExec::try_new(exprs, deduplicated)?))
    }
}

/// The catalog holds paths encoded (a `|` in a partition key is `%7C`), so they are parsed,
/// not encoded again as `PartitionedFile::new` would.
fn partitioned_file(file: &ParquetFile) -> Result<PartitionedFile> {
    let location =
        ObjectPath::parse(&file.path).map_err(|e| DataFusionError::External(Box::new(e)))?;
    Ok(PartitionedFile::new_from_meta(ObjectMeta {
        location,
        last_modified: file.created_at,
        size: file.size_bytes as u64,
        e_tag: None,
        version: None,
    }))
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

/// The `(column, value)` pairs the filters pin with `column = 'value'` (either way round),
/// ANDed at the top level: every row returned has them.
fn pinned_values(filters: &[Expr]) -> Vec<(&str, &str)> {
    filters
        .iter()
        .flat_map(split_conjunction)
        .filter_map(|expr| {
            let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) = expr
            else {
                return None;
            };
            match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v, _)) | (Expr::Literal(v, _), Expr::Column(c)) => {
                    Some((c.name.as_str(), v.try_as_str().flatten()?))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, StringDictionaryBuilder, TimestampNanosecondArray};
    use arrow::datatypes::Int32Type;
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::physical_plan::parquet::DefaultParquetFileReaderFactory;
    use datafusion::execution::TaskContext;
    use datafusion::physical_plan::collect;
    use strata_storage::arrow_field;

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

    #[test]
    fn pinned_values_come_from_equalities_anded_at_the_top() {
        let dictionary = lit(ScalarValue::Dictionary(
            Box::new(DataType::Int32),
            Box::new(ScalarValue::from("b")),
        ));
        let filters = [
            col("host").eq(lit("a")).and(col("time").gt(ts(1))),
            dictionary.eq(col("region")),
            col("dc").eq(lit("x")).or(col("dc").eq(lit("y"))),
            col("rack").not_eq(lit("r1")),
            col("usage").eq(lit(5.0)),
            col("zone").eq(lit(ScalarValue::Utf8(None))),
        ];
        assert_eq!(
            pinned_values(&filters),
            vec![("host", "a"), ("region", "b")],
            "not under OR, not !=, only strings"
        );
    }

    #[test]
    fn sources_are_grouped_only_where_their_time_ranges_overlap() {
        let spans = vec![
            (20, 30, Source::File(0)),
            (0, 10, Source::File(1)),
            (31, 40, Source::Batch(0)),
            (5, 15, Source::File(2)),
            (15, 18, Source::Batch(1)),
            (50, 50, Source::File(3)),
        ];
        let groups = overlapping(spans.clone(), false);
        assert_eq!(
            groups,
            vec![
                vec![Source::File(1), Source::File(2), Source::Batch(1)],
                vec![Source::File(0)],
                vec![Source::Batch(0)],
                vec![Source::File(3)],
            ],
            "a range touching another at one instant overlaps it; files 0 and 3 overlap nothing"
        );
        let mut spans = spans;
        spans.push((0, 3, Source::File(4)));
        assert_eq!(
            overlapping(spans, true),
            vec![
                vec![Source::File(1)],
                vec![Source::File(4)],
                vec![Source::File(2), Source::Batch(1)],
                vec![Source::File(0)],
                vec![Source::Batch(0)],
                vec![Source::File(3)],
            ],
            "files that share no point are joined only through a batch"
        );
    }

    const T: i64 = 1_700_000_000_000_000_000;

    /// A buffered batch of `cpu` (host, idle, time, usage) with `usage` only.
    fn usage(first: u64, rows: &[(Option<&str>, i64, f64)]) -> RecordBatch {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        rows.iter().for_each(|r| host.append_option(r.0));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(host.finish()),
            Arc::new(Float64Array::new_null(rows.len())),
            Arc::new(
                TimestampNanosecondArray::from_iter_values(rows.iter().map(|r| r.1))
                    .with_timezone("UTC"),
            ),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
        ];
        let batch = RecordBatch::try_new(cpu(), columns).unwrap();
        with_sequence(&batch, &sequenced(&cpu()), first).unwrap()
    }

    fn cpu() -> SchemaRef {
        Arc::new(Schema::new(vec![
            arrow_field("host", ColumnType::Tag),
            arrow_field("idle", ColumnType::Float),
            arrow_field("time", ColumnType::Time),
            arrow_field("usage", ColumnType::Float),
        ]))
    }

    #[tokio::test]
    async fn buffered_writes_of_one_point_are_one_row_even_when_the_key_is_not_projected() {
        let scan = Scan {
            schema: cpu(),
            sequenced: sequenced(&cpu()),
            columns: vec![3],
            key: vec![0, 2],
            key_predicate: None,
            reader: Arc::new(DefaultParquetFileReaderFactory::new(Arc::new(
                object_store::memory::InMemory::new(),
            ))),
            split_files: true,
        };
        let older = usage(
            0,
            &[(Some("a"), T, 1.0), (None, T, 2.0), (Some("b"), T, 3.0)],
        );
        let newer = usage(3, &[(Some("a"), T, 4.0), (Some("a"), T, 5.0)]);
        let plan = scan.deduplicated(&[], vec![newer, older], &[]).unwrap();
        let output = collect(plan, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        assert_eq!(
            pretty_format_batches(&output).unwrap().to_string(),
            "\
+-------+
| usage |
+-------+
| 2.0   |
| 5.0   |
| 3.0   |
+-------+",
            "sorted by host (missing first), the last write of a@T wins"
        );
    }
}
