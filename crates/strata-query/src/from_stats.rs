//! Aggregations answered from series statistics ([`SeriesStats`]) instead of rows.
//!
//! Once DataFusion has optimized a query, each `Aggregate` that reads one measurement directly
//! (through filters and projections) is looked at. When its groups are tags, its filters are
//! on tags, on time, or ask that a field be set, and each aggregate is a count, a minimum or a
//! maximum of a field, the first or last value by time, or the first or last time, it is
//! answered from the table's merged statistics: the series index for the groups, the last
//! values, the counts. Anything the statistics cannot answer exactly (a time range that cuts
//! through a series for a count, a point that may be counted twice, two series tied for the
//! last value of a group) leaves the aggregation to the rows.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray, UInt32Array,
    make_comparator, new_null_array,
};
use arrow::compute::{SortOptions, cast, take};
use arrow::datatypes::{Field, Schema};
use datafusion::catalog::TableProvider;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, DFSchemaRef, ScalarValue, TableReference};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::error::Result;
use datafusion::execution::SessionState;
use datafusion::logical_expr::expr::{AggregateFunction, NullTreatment};
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, Expr, LogicalPlan, LogicalPlanBuilder, Operator, SortExpr, col,
};
use strata_storage::{SeriesStats, column_type_of};
use strata_types::ColumnType;

use crate::table::StrataTable;

/// Whether a session may answer from statistics: off for callers who ask for rows only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shortcuts(pub bool);

/// Replaces the aggregations of `plan` that statistics answer with their answers.
pub(crate) async fn rewrite(plan: LogicalPlan, state: &SessionState) -> Result<LogicalPlan> {
    let enabled = state
        .config()
        .get_extension::<Shortcuts>()
        .is_none_or(|s| s.0);
    if !enabled {
        return Ok(plan);
    }
    let mut requests = Vec::new();
    plan.apply(|node| {
        if let LogicalPlan::Aggregate(aggregate) = node
            && let Some(request) = Request::of(aggregate)?
        {
            requests.push((node.clone(), request));
            return Ok(TreeNodeRecursion::Jump);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    let mut answers = Vec::new();
    for (node, request) in requests {
        if let Some(answer) = request.answer(state).await? {
            tracing::debug!(table = %request.qualifier, "answered an aggregation from series statistics");
            metrics::counter!("strata_query_statistics_answers_total").increment(1);
            answers.push((node, answer));
        }
    }
    if answers.is_empty() {
        return Ok(plan);
    }
    plan.transform_down(
        |node| match answers.iter().position(|(original, _)| *original == node) {
            Some(i) => Ok(Transformed::new(
                answers[i].1.clone(),
                true,
                TreeNodeRecursion::Jump,
            )),
            None => Ok(Transformed::no(node)),
        },
    )
    .map(|t| t.data)
}

/// The first or the last, by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    First,
    Last,
}

/// One aggregate, as statistics know it.
#[derive(Debug, Clone, PartialEq)]
enum Wanted {
    /// `count(*)`, `count(1)`, `count(time)`.
    Rows,
    /// `count(field)`.
    Count(String),
    /// `count(tag)`: the rows that have the tag.
    CountTag(String),
    Min(String),
    Max(String),
    /// `first_value`/`last_value(x ORDER BY time)`: of the rows where `x` is set when nulls
    /// are skipped (`FILTER (WHERE x IS NOT NULL)`, `IGNORE NULLS`), else of all rows.
    Value {
        column: Kind,
        end: End,
        skip_nulls: bool,
    },
    /// `min(time)`/`max(time)`, of the rows where `field` is set when there is one.
    Time {
        end: End,
        field: Option<String>,
    },
}

/// What a column of the measurement is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Tag(String),
    Field(String),
    Time,
}

/// The time range a query reads, both ends included.
#[derive(Debug, Clone, Copy)]
struct Window {
    first: i64,
    last: i64,
}

impl Window {
    const ALL: Window = Window {
        first: i64::MIN,
        last: i64::MAX,
    };

    /// The times `time <op> t` holds for; `None` for an operator that is no range.
    fn of(op: Operator, t: i64) -> Option<Window> {
        let all = Window::ALL;
        Some(match op {
            Operator::Gt => Window {
                first: t.checked_add(1)?,
                ..all
            },
            Operator::GtEq => Window { first: t, ..all },
            Operator::Lt => Window {
                last: t.checked_sub(1)?,
                ..all
            },
            Operator::LtEq => Window { last: t, ..all },
            Operator::Eq => Window { first: t, last: t },
            _ => return None,
        })
    }

    fn and(self, other: Window) -> Window {
        Window {
            first: self.first.max(other.first),
            last: self.last.min(other.last),
        }
    }
}

/// An aggregation over one measurement that statistics may answer.
struct Request {
    table: Arc<dyn TableProvider>,
    qualifier: TableReference,
    /// The tag of each group expression.
    groups: Vec<String>,
    wanted: Vec<Wanted>,
    window: Window,
    tag_filters: Vec<Expr>,
    /// Rows are read only where one of these fields is set.
    present: Option<Vec<String>>,
    /// The aggregation's output.
    schema: DFSchemaRef,
}

impl Request {
    /// What `aggregate` asks, if it has a shape statistics can answer.
    fn of(aggregate: &Aggregate) -> Result<Option<Request>> {
        let mut exprs: Vec<Expr> = aggregate
            .group_expr
            .iter()
            .chain(&aggregate.aggr_expr)
            .cloned()
            .collect();
        let groups = aggregate.group_expr.len();
        let mut filters: Vec<Expr> = Vec::new();
        let mut node = aggregate.input.as_ref();
        let scan = loop {
            match node {
                LogicalPlan::Projection(projection) => {
                    let inline = |e: Expr| {
                        e.transform(|e| match &e {
                            Expr::Column(c) => match projection.schema.index_of_column(c) {
                                Ok(i) => Ok(Transformed::yes(
                                    projection.expr[i].clone().unalias_nested().data,
                                )),
                                Err(_) => Ok(Transformed::no(e)),
                            },
                            _ => Ok(Transformed::no(e)),
                        })
                        .map(|t| t.data)
                    };
                    exprs = exprs.into_iter().map(inline).collect::<Result<_>>()?;
                    filters = filters.into_iter().map(inline).collect::<Result<_>>()?;
                    node = projection.input.as_ref();
                }
                LogicalPlan::Filter(filter) => {
                    filters.extend(split_conjunction(&filter.predicate).into_iter().cloned());
                    node = filter.input.as_ref();
                }
                LogicalPlan::TableScan(scan) if scan.fetch.is_none() => break scan,
                _ => return Ok(None),
            }
        };
        let Ok(table) = source_as_provider(&scan.source) else {
            return Ok(None);
        };
        let Some(strata) = table.downcast_ref::<StrataTable>() else {
            return Ok(None);
        };
        filters.extend(scan.filters.iter().flat_map(split_conjunction).cloned());
        let columns = Columns {
            table: strata,
            qualifier: &scan.table_name,
        };

        let mut window = Window {
            first: strata.oldest.unwrap_or(i64::MIN),
            ..Window::ALL
        };
        let mut tag_filters = Vec::new();
        let mut present: Option<Vec<String>> = None;
        for filter in filters {
            if let Some((op, t)) = columns.time_comparison(&filter) {
                let Some(bound) = Window::of(op, t) else {
                    return Ok(None);
                };
                window = window.and(bound);
            } else if columns.only_tags(&filter) {
                tag_filters.push(filter);
            } else if let Some(fields) = columns.fields_set(&filter) {
                match &present {
                    Some(known) if *known != fields => return Ok(None),
                    _ => present = Some(fields),
                }
            } else {
                return Ok(None);
            }
        }

        let mut group_tags = Vec::with_capacity(groups);
        for expr in &exprs[..groups] {
            match columns.kind(strip_cast(expr.clone().unalias_nested().data)) {
                Some(Kind::Tag(tag)) => group_tags.push(tag),
                _ => return Ok(None),
            }
        }
        let mut wanted = Vec::new();
        for expr in &exprs[groups..] {
            let Expr::AggregateFunction(function) = expr.clone().unalias_nested().data else {
                return Ok(None);
            };
            match columns.wanted(&function, &group_tags, present.as_deref()) {
                Some(w) => wanted.push(w),
                None => return Ok(None),
            }
        }
        // A field filter narrows the rows: only aggregates it cannot change are answered.
        if let Some(fields) = &present
            && !wanted.iter().all(|w| unaffected_by_presence(w, fields))
        {
            return Ok(None);
        }
        Ok(Some(Request {
            table,
            qualifier: scan.table_name.clone(),
            groups: group_tags,
            wanted,
            window,
            tag_filters,
            present,
            schema: aggregate.schema.clone(),
        }))
    }

    /// The answer as a plan of its rows, or `None` when statistics cannot give it exactly.
    async fn answer(&self, state: &SessionState) -> Result<Option<LogicalPlan>> {
        let table = self
            .table
            .downcast_ref::<StrataTable>()
            .expect("checked in Request::of");
        let Some(stats) = table.series_stats().await? else {
            return Ok(None);
        };
        let selected = self.selected(&stats, table, state)?;
        let Some(groups) = self.group(&stats, &selected) else {
            return Ok(None);
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for (i, tag) in self.groups.iter().enumerate() {
            let values = stats.tag(tag);
            let array = StringArray::from_iter(groups.iter().map(|g| {
                values.and_then(|v| v.is_valid(g.series[0]).then(|| v.value(g.series[0])))
            }));
            columns.push(cast(&array, self.schema.field(i).data_type())?);
        }
        for (k, wanted) in self.wanted.iter().enumerate() {
            let Some(array) = answer(wanted, &stats, &groups, self.window)? else {
                return Ok(None);
            };
            let field = self.schema.field(self.groups.len() + k);
            columns.push(cast(&array, field.data_type())?);
        }
        let fields: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| Field::new(format!("c{i}"), f.data_type().clone(), f.is_nullable()))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        let rows = MemTable::try_new(schema, vec![vec![batch]])?;
        let names = self
            .schema
            .iter()
            .enumerate()
            .map(|(i, (qualifier, field))| {
                col(format!("c{i}")).alias_qualified(qualifier.cloned(), field.name())
            });
        let plan = LogicalPlanBuilder::scan(
            "strata_statistics",
            provider_as_source(Arc::new(rows)),
            None,
        )?
        .project(names)?
        .build()?;
        Ok(Some(plan))
    }

    /// The series the query reads: those the tag filters keep that have rows in the window
    /// (and, with a field filter, values of one of its fields). `None` where that is unknown.
    fn selected(
        &self,
        stats: &SeriesStats,
        table: &StrataTable,
        state: &SessionState,
    ) -> Result<Vec<Option<bool>>> {
        let keep = self.tag_mask(stats, table, state)?;
        Ok((0..stats.series())
            .map(|s| {
                if !keep.value(s) || keep.is_null(s) {
                    return Some(false);
                }
                match &self.present {
                    None => present_in(span_of_rows(stats, s), self.window),
                    Some(fields) => {
                        let mut any = Some(false);
                        for field in fields {
                            match present_in(span_of_field(stats, field, s), self.window) {
                                Some(true) => return Some(true),
                                Some(false) => {}
                                None => any = None,
                            }
                        }
                        any
                    }
                }
            })
            .collect())
    }

    /// Where the tag filters hold, by series.
    fn tag_mask(
        &self,
        stats: &SeriesStats,
        table: &StrataTable,
        state: &SessionState,
    ) -> Result<BooleanArray> {
        let series = stats.series();
        if self.tag_filters.is_empty() {
            return Ok(BooleanArray::from(vec![true; series]));
        }
        let tags: Vec<&Field> = table
            .schema
            .fields()
            .iter()
            .map(|f| f.as_ref())
            .filter(|f| column_type_of(f) == Some(ColumnType::Tag))
            .collect();
        let columns = tags
            .iter()
            .map(|f| match stats.tag(f.name()) {
                Some(values) => cast(values, f.data_type()),
                None => Ok(new_null_array(f.data_type(), series)),
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let schema = Arc::new(Schema::new(
            tags.iter().map(|f| (*f).clone()).collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        let df_schema = DFSchema::try_from_qualified_schema(self.qualifier.clone(), &schema)?;
        let mut mask = BooleanArray::from(vec![true; series]);
        for filter in &self.tag_filters {
            let predicate = state.create_physical_expr(filter.clone(), &df_schema)?;
            let result = predicate.evaluate(&batch)?.into_array(series)?;
            mask = arrow::compute::and_kleene(&mask, result.as_boolean())?;
        }
        Ok(mask)
    }

    /// The selected series by group, groups in order of their first series; `None` when
    /// whether a series is selected is unknown. Without `GROUP BY` there is one group.
    fn group(&self, stats: &SeriesStats, selected: &[Option<bool>]) -> Option<Vec<Group>> {
        let mut groups: Vec<Group> = Vec::new();
        let mut index: HashMap<Vec<Option<&str>>, usize> = HashMap::new();
        let tags: Vec<Option<&StringArray>> = self.groups.iter().map(|t| stats.tag(t)).collect();
        for (s, selected) in selected.iter().enumerate() {
            if !(*selected)? {
                continue;
            }
            let key: Vec<Option<&str>> = tags
                .iter()
                .map(|t| t.and_then(|t| t.is_valid(s).then(|| t.value(s))))
                .collect();
            let next = groups.len();
            let i = *index.entry(key).or_insert(next);
            if i == next {
                groups.push(Group { series: Vec::new() });
            }
            groups[i].series.push(s);
        }
        if self.groups.is_empty() && groups.is_empty() {
            groups.push(Group { series: Vec::new() });
        }
        Some(groups)
    }
}

/// The series of one group of the answer.
struct Group {
    series: Vec<usize>,
}

/// Whether an aggregate's value over the rows where one of `fields` is set is its value over
/// all rows.
fn unaffected_by_presence(wanted: &Wanted, fields: &[String]) -> bool {
    let one_of = |f: &String| fields.contains(f);
    match wanted {
        Wanted::Count(f) | Wanted::Min(f) | Wanted::Max(f) => one_of(f),
        Wanted::Value {
            column: Kind::Field(f),
            skip_nulls: true,
            ..
        } => one_of(f),
        Wanted::Time { field: Some(f), .. } => one_of(f),
        _ => false,
    }
}

/// The column under casts (a tag grouped as a string).
fn strip_cast(expr: Expr) -> Expr {
    match expr {
        Expr::Cast(cast) => strip_cast(*cast.expr),
        Expr::TryCast(cast) => strip_cast(*cast.expr),
        other => other,
    }
}

/// The measurement's columns, as a query names them.
struct Columns<'a> {
    table: &'a StrataTable,
    qualifier: &'a TableReference,
}

impl Columns<'_> {
    fn kind(&self, expr: Expr) -> Option<Kind> {
        let Expr::Column(column) = expr else {
            return None;
        };
        if column
            .relation
            .as_ref()
            .is_some_and(|r| r != self.qualifier)
        {
            return None;
        }
        let field = self.table.schema.field_with_name(&column.name).ok()?;
        match column_type_of(field)? {
            ColumnType::Tag => Some(Kind::Tag(column.name)),
            ColumnType::Time => Some(Kind::Time),
            _ => Some(Kind::Field(column.name)),
        }
    }

    /// `time <op> timestamp`, either way round.
    fn time_comparison(&self, expr: &Expr) -> Option<(Operator, i64)> {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
            return None;
        };
        let (op, value) = match (self.kind(*left.clone()), self.kind(*right.clone())) {
            (Some(Kind::Time), None) => (*op, right.as_ref()),
            (None, Some(Kind::Time)) => (op.swap()?, left.as_ref()),
            _ => return None,
        };
        match value {
            Expr::Literal(ScalarValue::TimestampNanosecond(Some(t), _), _) => Some((op, *t)),
            _ => None,
        }
    }

    /// Whether every column the expression reads is a tag (and it reads some).
    fn only_tags(&self, expr: &Expr) -> bool {
        let columns = expr.column_refs();
        !columns.is_empty()
            && columns
                .into_iter()
                .all(|c| matches!(self.kind(Expr::Column(c.clone())), Some(Kind::Tag(_))))
    }

    /// `f IS NOT NULL [OR g IS NOT NULL …]` for fields: the fields.
    fn fields_set(&self, expr: &Expr) -> Option<Vec<String>> {
        let mut fields = Vec::new();
        let mut visit = vec![expr];
        while let Some(expr) = visit.pop() {
            match expr {
                Expr::BinaryExpr(BinaryExpr {
                    left,
                    op: Operator::Or,
                    right,
                }) => {
                    visit.push(left);
                    visit.push(right);
                }
                Expr::IsNotNull(inner) => match self.kind(*inner.clone())? {
                    Kind::Field(f) => fields.push(f),
                    _ => return None,
                },
                _ => return None,
            }
        }
        fields.sort();
        fields.dedup();
        Some(fields)
    }

    /// What an aggregate function asks, if statistics know it.
    fn wanted(
        &self,
        function: &AggregateFunction,
        groups: &[String],
        present: Option<&[String]>,
    ) -> Option<Wanted> {
        let params = &function.params;
        if params.distinct {
            return None;
        }
        let argument = match params.args.as_slice() {
            [arg] => arg.clone(),
            _ => return None,
        };
        // FILTER (WHERE x IS NOT NULL) on the aggregate's own argument (`Some(true)`), none
        // (`Some(false)`), or another (`None`).
        let own_filter = match params.filter.as_deref() {
            None => Some(false),
            Some(Expr::IsNotNull(inner)) if **inner == argument => Some(true),
            Some(_) => None,
        };
        let name = function.func.name();
        let column = self.kind(argument.clone());
        let wanted = match (name, column) {
            ("count", None) if matches!(argument, Expr::Literal(ref v, _) if !v.is_null()) => {
                match present {
                    Some([field]) => Wanted::Count(field.clone()),
                    Some(_) => return None,
                    None => Wanted::Rows,
                }
            }
            ("count", Some(Kind::Time)) => Wanted::Rows,
            ("count", Some(Kind::Field(f))) => Wanted::Count(f),
            ("count", Some(Kind::Tag(t))) if present.is_none() => Wanted::CountTag(t),
            ("min", Some(Kind::Field(f))) => Wanted::Min(f),
            ("max", Some(Kind::Field(f))) => Wanted::Max(f),
            ("min" | "max", Some(Kind::Time)) => {
                let end = if name == "min" { End::First } else { End::Last };
                let field = match (&params.filter, present) {
                    (Some(filter), _) => match filter.as_ref() {
                        Expr::IsNotNull(inner) => match self.kind(*inner.clone())? {
                            Kind::Field(f) => Some(f),
                            _ => return None,
                        },
                        _ => return None,
                    },
                    (None, Some([field])) => Some(field.clone()),
                    (None, Some(_)) => return None,
                    (None, None) => None,
                };
                return Some(Wanted::Time { end, field });
            }
            ("first_value" | "last_value", Some(column)) if own_filter.is_some() => {
                let mut end = if name == "first_value" {
                    End::First
                } else {
                    End::Last
                };
                match time_order(&params.order_by, groups, self)? {
                    true => {}
                    false => {
                        end = match end {
                            End::First => End::Last,
                            End::Last => End::First,
                        }
                    }
                }
                let skip_nulls = own_filter == Some(true)
                    || params.null_treatment == Some(NullTreatment::IgnoreNulls);
                Wanted::Value {
                    column,
                    end,
                    skip_nulls,
                }
            }
            _ => return None,
        };
        // A count, minimum or maximum ignores nulls anyway.
        match (own_filter?, &wanted) {
            (false, _) | (true, Wanted::Value { .. } | Wanted::Count(_)) => Some(wanted),
            (true, Wanted::Min(_) | Wanted::Max(_)) => Some(wanted),
            (true, _) => None,
        }
    }
}

/// Whether an aggregate's `ORDER BY` is by time ascending (`Some(true)`) or descending
/// (`Some(false)`), after any of the group's tags (the same on every row of a group).
fn time_order(order: &[SortExpr], groups: &[String], columns: &Columns<'_>) -> Option<bool> {
    let mut rest = order;
    while let [first, tail @ ..] = rest {
        match columns.kind(first.expr.clone())? {
            Kind::Tag(tag) if groups.contains(&tag) => rest = tail,
            Kind::Time if tail.is_empty() => return Some(first.asc),
            _ => return None,
        }
    }
    None
}

/// The first and last time of something in a series: its rows, or a field's values. `None`
/// when it has none.
type Span = Option<(i64, i64)>;

fn span_of_rows(stats: &SeriesStats, s: usize) -> Span {
    (stats.rows().value(s) > 0).then(|| (stats.min_time().value(s), stats.max_time().value(s)))
}

fn span_of_field(stats: &SeriesStats, field: &str, s: usize) -> Span {
    let field = stats.field(field)?;
    (field.count.value(s) > 0).then(|| (field.first_time.value(s), field.last_time.value(s)))
}

/// Whether there is anything of the span in the window; `None` when that is unknown.
fn present_in(span: Span, window: Window) -> Option<bool> {
    let Some((first, last)) = span else {
        return Some(false);
    };
    if last < window.first || first > window.last {
        return Some(false);
    }
    let inside = |t: i64| window.first <= t && t <= window.last;
    if inside(first) || inside(last) {
        return Some(true);
    }
    None
}

/// Whether all of the span is in the window (`Some(true)`), none of it (`Some(false)`), or
/// some of it (`None`).
fn wholly_in(span: Span, window: Window) -> Option<bool> {
    let Some((first, last)) = span else {
        return Some(false);
    };
    if last < window.first || first > window.last {
        return Some(false);
    }
    (window.first <= first && last <= window.last).then_some(true)
}

/// The time of the span's first or last point in the window: `Some(None)` when it has none
/// there, `None` when that is unknown.
fn end_in(span: Span, end: End, window: Window) -> Option<Option<i64>> {
    let Some((first, last)) = span else {
        return Some(None);
    };
    if last < window.first || first > window.last {
        return Some(None);
    }
    match end {
        End::Last if last <= window.last => Some(Some(last)),
        End::First if first >= window.first => Some(Some(first)),
        _ => None,
    }
}

/// One aggregate's value for every group; `None` when statistics cannot give it exactly.
fn answer(
    wanted: &Wanted,
    stats: &SeriesStats,
    groups: &[Group],
    window: Window,
) -> Result<Option<ArrayRef>> {
    let exact = |s: usize| !stats.inexact().value(s);
    Ok(Some(match wanted {
        Wanted::Rows | Wanted::Count(_) | Wanted::CountTag(_) => {
            let mut counts = Vec::with_capacity(groups.len());
            for group in groups {
                let mut total: i64 = 0;
                for &s in &group.series {
                    let (span, count) = match wanted {
                        Wanted::Count(f) => match stats.field(f) {
                            Some(field) => (span_of_field(stats, f, s), field.count.value(s)),
                            None => (None, 0),
                        },
                        Wanted::CountTag(t) if stats.tag(t).is_none_or(|v| v.is_null(s)) => {
                            (None, 0)
                        }
                        _ => (span_of_rows(stats, s), stats.rows().value(s)),
                    };
                    match wholly_in(span, window) {
                        Some(false) => {}
                        Some(true) if exact(s) => total += count as i64,
                        _ => return Ok(None),
                    }
                }
                counts.push(total);
            }
            Arc::new(Int64Array::from(counts))
        }
        Wanted::Min(f) | Wanted::Max(f) => {
            let Some(field) = stats.field(f) else {
                return Ok(Some(null_values(groups.len())));
            };
            let values = if matches!(wanted, Wanted::Min(_)) {
                field.min
            } else {
                field.max
            };
            let better = if matches!(wanted, Wanted::Min(_)) {
                Ordering::Less
            } else {
                Ordering::Greater
            };
            let compare =
                make_comparator(values.as_ref(), values.as_ref(), SortOptions::default())?;
            let mut winners = Vec::with_capacity(groups.len());
            for group in groups {
                let mut best: Option<usize> = None;
                for &s in &group.series {
                    match wholly_in(span_of_field(stats, f, s), window) {
                        Some(false) => continue,
                        Some(true) if exact(s) => {}
                        _ => return Ok(None),
                    }
                    if best.is_none_or(|b| compare(s, b) == better) {
                        best = Some(s);
                    }
                }
                winners.push(best.map(|b| b as u32));
            }
            take(values.as_ref(), &UInt32Array::from(winners), None)?
        }
        Wanted::Time { end, field } => {
            let mut times = Vec::with_capacity(groups.len());
            for group in groups {
                let mut best: Option<i64> = None;
                for &s in &group.series {
                    let span = match field {
                        Some(f) => span_of_field(stats, f, s),
                        None => span_of_rows(stats, s),
                    };
                    let Some(time) = end_in(span, *end, window) else {
                        return Ok(None);
                    };
                    best = match (best, time, end) {
                        (None, t, _) => t,
                        (Some(b), Some(t), End::Last) => Some(b.max(t)),
                        (Some(b), Some(t), End::First) => Some(b.min(t)),
                        (b, None, _) => b,
                    };
                }
                times.push(best);
            }
            Arc::new(Int64Array::from(times))
        }
        Wanted::Value {
            column,
            end,
            skip_nulls,
        } => {
            // The series whose first (last) row, or value, is the group's, by time.
            let mut winners: Vec<Option<usize>> = Vec::with_capacity(groups.len());
            for group in groups {
                let mut best: Option<(i64, usize)> = None;
                for &s in &group.series {
                    let span = match (column, skip_nulls) {
                        (Kind::Field(f), true) => span_of_field(stats, f, s),
                        (Kind::Tag(t), true) if stats.tag(t).is_none_or(|v| v.is_null(s)) => None,
                        _ => span_of_rows(stats, s),
                    };
                    let Some(time) = end_in(span, *end, window) else {
                        return Ok(None);
                    };
                    let Some(time) = time else { continue };
                    best = match best {
                        // Two series with a row at the same time: which one the rows would
                        // give is not defined.
                        Some((b, _)) if b == time => return Ok(None),
                        Some((b, bs)) if (time > b) != (*end == End::Last) => Some((b, bs)),
                        _ => Some((time, s)),
                    };
                }
                winners.push(best.map(|(_, s)| s));
            }
            value_of(column, *end, *skip_nulls, stats, &winners)?
        }
    }))
}

/// The values of `column` at the winning series' first or last row or value.
fn value_of(
    column: &Kind,
    end: End,
    skip_nulls: bool,
    stats: &SeriesStats,
    winners: &[Option<usize>],
) -> Result<ArrayRef> {
    let indices = UInt32Array::from_iter(winners.iter().map(|w| w.map(|s| s as u32)));
    let row_time = |s: usize| match end {
        End::First => stats.min_time().value(s),
        End::Last => stats.max_time().value(s),
    };
    Ok(match column {
        Kind::Time => Arc::new(Int64Array::from_iter(
            winners.iter().map(|w| w.map(row_time)),
        )),
        Kind::Tag(tag) => match stats.tag(tag) {
            Some(values) => take(values, &indices, None)?,
            None => new_null_array(&arrow::datatypes::DataType::Utf8, winners.len()),
        },
        Kind::Field(f) => {
            let Some(field) = stats.field(f) else {
                return Ok(null_values(winners.len()));
            };
            let (times, values) = match end {
                End::First => (field.first_time, field.first),
                End::Last => (field.last_time, field.last),
            };
            // Of all rows, the field's value at the winning row: null unless the field's
            // own first (last) value is at that row.
            let at_row = UInt32Array::from_iter(winners.iter().map(|w| {
                w.filter(|&s| skip_nulls || (times.is_valid(s) && times.value(s) == row_time(s)))
                    .map(|s| s as u32)
            }));
            take(values.as_ref(), &at_row, None)?
        }
    })
}

/// A column of nulls for a field no series has: cast to the field's type by the caller.
fn null_values(len: usize) -> ArrayRef {
    new_null_array(&arrow::datatypes::DataType::Null, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Window = Window {
        first: 10,
        last: 20,
    };

    #[test]
    fn windows_come_from_time_comparisons_with_both_ends_included() {
        let w = |op, t| Window::of(op, t).map(|w| (w.first, w.last));
        assert_eq!(w(Operator::Gt, 5), Some((6, i64::MAX)));
        assert_eq!(w(Operator::GtEq, 5), Some((5, i64::MAX)));
        assert_eq!(w(Operator::Lt, 5), Some((i64::MIN, 4)));
        assert_eq!(w(Operator::LtEq, 5), Some((i64::MIN, 5)));
        assert_eq!(w(Operator::Eq, 5), Some((5, 5)));
        assert_eq!(w(Operator::NotEq, 5), None);
        assert_eq!(
            w(Operator::Gt, i64::MAX),
            None,
            "nothing is after the end of time"
        );
        let both = Window::of(Operator::Gt, 5)
            .unwrap()
            .and(Window::of(Operator::Lt, 9).unwrap());
        assert_eq!((both.first, both.last), (6, 8));
    }

    #[test]
    fn a_span_is_in_out_or_across_the_window() {
        assert_eq!(wholly_in(Some((10, 20)), WINDOW), Some(true));
        assert_eq!(wholly_in(Some((1, 9)), WINDOW), Some(false));
        assert_eq!(wholly_in(Some((21, 30)), WINDOW), Some(false));
        assert_eq!(wholly_in(Some((5, 15)), WINDOW), None);
        assert_eq!(wholly_in(None, WINDOW), Some(false));

        assert_eq!(
            present_in(Some((5, 15)), WINDOW),
            Some(true),
            "its last is in"
        );
        assert_eq!(
            present_in(Some((15, 25)), WINDOW),
            Some(true),
            "its first is in"
        );
        assert_eq!(
            present_in(Some((5, 25)), WINDOW),
            None,
            "maybe nothing in between"
        );
        assert_eq!(present_in(Some((21, 25)), WINDOW), Some(false));
    }

    #[test]
    fn the_last_in_the_window_is_known_unless_the_window_ends_before_the_span() {
        assert_eq!(end_in(Some((5, 15)), End::Last, WINDOW), Some(Some(15)));
        assert_eq!(end_in(Some((5, 25)), End::Last, WINDOW), None);
        assert_eq!(end_in(Some((1, 5)), End::Last, WINDOW), Some(None));
        assert_eq!(end_in(Some((15, 25)), End::First, WINDOW), Some(Some(15)));
        assert_eq!(end_in(Some((5, 25)), End::First, WINDOW), None);
        assert_eq!(end_in(None, End::First, WINDOW), Some(None));
    }
}
