//! Line protocol → per-table Arrow batches, validated against the database's schema.
//!
//! One pass over the body: each line is checked (syntax, retention, table name, every tag and
//! field against the catalog's column types and against the batch's own columns, the table
//! and column limits, and the write's memory budget) before any of its values is appended or
//! any column made for it, so a rejected line leaves no trace. Values go straight into
//! per-table column builders; nothing is allocated per line once a table's columns exist.
//!
//! Memory follows the body: every row holds a slot (a value or a null) in each column of its
//! table's batch, so lines that each name a few of many columns cost far more than their
//! bytes. The estimated size of the batches is kept under [`memory_budget`] of the body;
//! lines beyond it are rejected with a message saying to send smaller requests.

use std::collections::HashMap;

use arrow::array::TimestampNanosecondBuilder;
use arrow::record_batch::RecordBatch;
use strata_lp::{FieldValue, Line, Parser, Precision, Text};
use strata_types::{Column, ColumnType, DatabaseSchema, TIME_COLUMN, TableSchema};

use crate::columns::{ColumnBuilder, TIME_ZONE, arrow_field};

/// How many rejected lines a write reports (all are counted).
pub const MAX_REPORTED_REJECTIONS: usize = 100;
/// How much of a rejected line is quoted back.
const MAX_QUOTED_LINE: usize = 1024;
/// The most columns one write may add to the catalog, across its tables.
pub const MAX_NEW_COLUMNS_PER_WRITE: usize = 1000;
/// The estimated bytes of one slot of a column (a value or a null).
const SLOT_BYTES: usize = 8;
/// The estimated fixed bytes of one column of a batch (its field, array and buffers).
const COLUMN_BYTES: usize = 512;

/// The most bytes the batches of a `body_len`-byte write may be estimated to take: a
/// multiple of the body, and at least a megabyte, so a small write is never refused for it.
pub(crate) fn memory_budget(body_len: usize) -> usize {
    body_len.saturating_mul(16).saturating_add(1 << 20)
}

/// Why a line was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// Not valid line protocol.
    Syntax,
    /// A field or tag that clashes with the table's columns, a reserved name, or a table or
    /// column limit.
    Schema,
    /// A point older than the database's retention period.
    Retention,
}

/// A line that was not written: where it was, what was wrong, and the line itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number in the (decompressed) body.
    pub line: usize,
    pub reason: RejectReason,
    pub message: String,
    pub source: String,
}

/// The parse options of a write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IngestOptions {
    pub precision: Precision,
    /// The time of lines without a timestamp (the server's clock), in nanoseconds.
    pub default_time: i64,
    /// Points older than this (nanoseconds) are outside the retention period.
    pub oldest_allowed: Option<i64>,
}

/// The rows of one table taken from a write.
pub(crate) struct TableRows {
    pub name: String,
    /// The table's id, when the catalog has it.
    pub table_id: Option<i64>,
    /// Columns the catalog does not have yet, `time` first.
    pub new_columns: Vec<Column>,
    pub batch: RecordBatch,
}

/// A body, validated and split by table.
pub(crate) struct Ingested {
    pub tables: Vec<TableRows>,
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    pub rejected_count: usize,
}

/// Validates and converts `body`. `refused_tables` names tables whose lines are rejected
/// with the given message (a table or column limit the catalog reported).
pub(crate) fn ingest(
    body: &[u8],
    schema: &DatabaseSchema,
    refused_tables: &HashMap<String, String>,
    options: IngestOptions,
) -> Ingested {
    let mut ingest = Ingest {
        schema,
        refused_tables,
        options,
        tables: Vec::new(),
        by_name: HashMap::new(),
        slots: Vec::new(),
        accepted: 0,
        rejected: Vec::new(),
        rejected_count: 0,
        new_tables: 0,
        new_columns: 0,
        estimated_bytes: 0,
        budget: memory_budget(body.len()),
    };
    let mut parser = Parser::new(body).with_precision(options.precision);
    while let Some(result) = parser.next_line() {
        match result {
            Ok(line) => {
                if let Err((reason, message)) = ingest.add(&line) {
                    ingest.reject(line.number, reason, message, line.source);
                } else {
                    ingest.accepted += 1;
                }
            }
            Err(error) => {
                let source = error.source_line(body);
                ingest.reject(
                    error.line,
                    RejectReason::Syntax,
                    error.kind.to_string(),
                    &source,
                );
            }
        }
    }
    ingest.finish()
}

/// Where a line's tag or field goes: a column the batch already has, or a new one (which
/// the catalog may already have).
#[derive(Clone, Copy)]
enum Slot {
    Existing(usize),
    New {
        column_type: ColumnType,
        in_catalog: bool,
    },
}

struct Ingest<'s> {
    schema: &'s DatabaseSchema,
    refused_tables: &'s HashMap<String, String>,
    options: IngestOptions,
    tables: Vec<TableBuilder>,
    by_name: HashMap<String, usize>,
    slots: Vec<Slot>,
    accepted: usize,
    rejected: Vec<Rejection>,
    rejected_count: usize,
    /// Tables of the write that the catalog does not have yet.
    new_tables: usize,
    /// Columns of the write that the catalog does not have yet, across tables.
    new_columns: usize,
    /// What the batches are estimated to take once built, and the most they may.
    estimated_bytes: usize,
    budget: usize,
}

struct TableBuilder {
    name: String,
    /// Index of the table in the database schema, when the catalog has it.
    known: Option<usize>,
    /// Why every line of this table is rejected, if it is.
    refused: Option<String>,
    columns: Vec<BatchColumn>,
    by_name: HashMap<String, usize>,
    time: TimestampNanosecondBuilder,
    rows: usize,
    /// Columns the table will have once this batch is in the catalog, `time` included.
    total_columns: usize,
}

struct BatchColumn {
    name: String,
    column_type: ColumnType,
    /// Not in the catalog yet.
    new: bool,
    builder: ColumnBuilder,
}

type LineResult = Result<(), (RejectReason, String)>;

impl Ingest<'_> {
    fn reject(&mut self, line: usize, reason: RejectReason, message: String, source: &str) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_REPORTED_REJECTIONS {
            self.rejected.push(Rejection {
                line,
                reason,
                message,
                source: quote(source),
            });
        }
    }

    fn add(&mut self, line: &Line<'_, '_>) -> LineResult {
        let time = line.timestamp.unwrap_or(self.options.default_time);
        if let Some(oldest) = self.options.oldest_allowed
            && time < oldest
        {
            return Err((
                RejectReason::Retention,
                format!(
                    "point time {} is outside the database's retention period (the oldest time accepted now is {})",
                    format_nanos(time),
                    format_nanos(oldest)
                ),
            ));
        }
        let t = self.table(line.measurement);
        let table = &mut self.tables[t];
        if let Some(refused) = &table.refused {
            return Err((RejectReason::Schema, refused.clone()));
        }
        let known = table.known.map(|i| &self.schema.tables[i]);
        let database = &self.schema.database;
        // A table the catalog does not have takes one of the database's free tables.
        if known.is_none()
            && table.rows == 0
            && self.schema.tables.len() + self.new_tables >= limit(database.max_tables)
        {
            return Err(schema(database.table_limit_error().message));
        }
        self.slots.clear();
        for tag in line.tags {
            self.slots.push(
                table
                    .resolve(tag.key, ColumnType::Tag, known)
                    .map_err(schema)?,
            );
        }
        for field in line.fields {
            let column_type = field_type(&field.value);
            self.slots.push(
                table
                    .resolve(field.key, column_type, known)
                    .map_err(schema)?,
            );
        }
        // Checked before any column is made: the column limits, then the memory budget.
        let (mut new_in_batch, mut new_in_catalog) = (0, 0);
        for slot in &self.slots {
            if let Slot::New { in_catalog, .. } = slot {
                new_in_batch += 1;
                new_in_catalog += usize::from(!in_catalog);
            }
        }
        if new_in_catalog > 0 {
            let columns = table.total_columns + new_in_catalog;
            if columns > limit(database.max_columns_per_table) {
                return Err(schema(
                    database.column_limit_error(&table.name, columns).message,
                ));
            }
            if self.new_columns + new_in_catalog > MAX_NEW_COLUMNS_PER_WRITE {
                return Err(schema(format!(
                    "this write adds more than {MAX_NEW_COLUMNS_PER_WRITE} new columns; send it in smaller requests"
                )));
            }
        }
        let row_slots = table.columns.len() + new_in_batch + 1;
        let cost =
            SLOT_BYTES * (row_slots + new_in_batch * table.rows) + COLUMN_BYTES * new_in_batch;
        if self.estimated_bytes + cost > self.budget {
            return Err(schema(format!(
                "this write is too sparse to take at once: its lines name many columns but set few of each, which would take more than the {} MiB of memory a write of its size may; send fewer lines per request",
                self.budget >> 20,
            )));
        }
        self.estimated_bytes += cost;
        self.new_columns += new_in_catalog;
        table.total_columns += new_in_catalog;
        if known.is_none() && table.rows == 0 {
            self.new_tables += 1;
        }
        let row = table.rows;
        let tag_slots = &self.slots[..line.tags.len()];
        for (tag, slot) in line.tags.iter().zip(tag_slots) {
            let column = table.column(*slot, tag.key, row);
            if let ColumnBuilder::Tag(b) = column {
                append_text(tag.value, |s| b.append_value(s));
            }
        }
        let field_slots = &self.slots[line.tags.len()..];
        for (field, slot) in line.fields.iter().zip(field_slots) {
            let column = table.column(*slot, field.key, row);
            match (column, &field.value) {
                (ColumnBuilder::Float(b), FieldValue::Float(v)) => b.append_value(*v),
                (ColumnBuilder::Integer(b), FieldValue::Integer(v)) => b.append_value(*v),
                (ColumnBuilder::UInteger(b), FieldValue::UInteger(v)) => b.append_value(*v),
                (ColumnBuilder::Boolean(b), FieldValue::Boolean(v)) => b.append_value(*v),
                (ColumnBuilder::String(b), FieldValue::String(v)) => {
                    append_text(*v, |s| b.append_value(s))
                }
                _ => unreachable!("slots were resolved to columns of the value's type"),
            }
        }
        table.time.append_value(time);
        table.rows += 1;
        Ok(())
    }

    /// The builder of the line's table, created on first sight.
    fn table(&mut self, measurement: Text<'_>) -> usize {
        let found = match measurement.as_plain() {
            Some(name) => self.by_name.get(name),
            None => self.by_name.get(measurement.unescape().as_ref()),
        };
        if let Some(&i) = found {
            return i;
        }
        let name = measurement.unescape().into_owned();
        let refused = match strata_types::validate_table_name(&name) {
            Err(e) => Some(e.message),
            Ok(()) => self.refused_tables.get(&name).cloned(),
        };
        let known = self.schema.tables.iter().position(|t| t.table.name == name);
        // A new table's first column is `time`.
        let total_columns = known.map_or(1, |i| {
            let table = &self.schema.tables[i];
            table.columns.len() + usize::from(table.column(TIME_COLUMN).is_none())
        });
        let i = self.tables.len();
        self.tables.push(TableBuilder {
            name: name.clone(),
            known,
            refused,
            columns: Vec::new(),
            by_name: HashMap::new(),
            time: TimestampNanosecondBuilder::new().with_timezone(TIME_ZONE),
            rows: 0,
            total_columns,
        });
        self.by_name.insert(name, i);
        i
    }

    fn finish(self) -> Ingested {
        let schema = self.schema;
        let tables = self
            .tables
            .into_iter()
            .filter(|t| t.rows > 0)
            .map(|t| t.finish(schema))
            .collect();
        Ingested {
            tables,
            accepted: self.accepted,
            rejected: self.rejected,
            rejected_count: self.rejected_count,
        }
    }
}

impl TableBuilder {
    /// Where a tag or field of `column_type` named `key` goes, or why it cannot.
    fn resolve(
        &self,
        key: Text<'_>,
        column_type: ColumnType,
        known: Option<&TableSchema>,
    ) -> Result<Slot, String> {
        let found = match key.as_plain() {
            Some(name) => self.by_name.get(name),
            None => self.by_name.get(key.unescape().as_ref()),
        };
        if let Some(&i) = found {
            let existing = self.columns[i].column_type;
            return if existing == column_type {
                Ok(Slot::Existing(i))
            } else {
                Err(conflict(
                    &self.name,
                    &self.columns[i].name,
                    existing,
                    column_type,
                ))
            };
        }
        let name = key.unescape();
        if name == TIME_COLUMN {
            return Err(format!(
                "\"time\" cannot be a {} in table \"{}\": it names the timestamp column; rename the {}",
                if column_type == ColumnType::Tag {
                    "tag"
                } else {
                    "field"
                },
                self.name,
                if column_type == ColumnType::Tag {
                    "tag"
                } else {
                    "field"
                },
            ));
        }
        let in_catalog = match known.and_then(|t| t.column(&name)) {
            Some(existing) if existing.column_type != column_type => {
                return Err(conflict(
                    &self.name,
                    &name,
                    existing.column_type,
                    column_type,
                ));
            }
            found => found.is_some(),
        };
        Ok(Slot::New {
            column_type,
            in_catalog,
        })
    }

    /// The builder for a resolved slot, padded with nulls up to `row`.
    fn column(&mut self, slot: Slot, key: Text<'_>, row: usize) -> &mut ColumnBuilder {
        let i = match slot {
            Slot::Existing(i) => i,
            Slot::New {
                column_type,
                in_catalog,
            } => {
                let name = key.unescape().into_owned();
                let i = self.columns.len();
                self.by_name.insert(name.clone(), i);
                self.columns.push(BatchColumn {
                    name,
                    column_type,
                    new: !in_catalog,
                    builder: ColumnBuilder::new(column_type),
                });
                i
            }
        };
        let builder = &mut self.columns[i].builder;
        builder.pad_to(row);
        builder
    }

    fn finish(mut self, schema: &DatabaseSchema) -> TableRows {
        let known = self.known.map(|i| &schema.tables[i]);
        let mut new_columns = Vec::new();
        if known.is_none_or(|t| t.column(TIME_COLUMN).is_none()) {
            new_columns.push(Column::new(TIME_COLUMN, ColumnType::Time));
        }
        let mut fields = Vec::with_capacity(self.columns.len() + 1);
        let mut arrays = Vec::with_capacity(self.columns.len() + 1);
        for column in &mut self.columns {
            if column.new {
                new_columns.push(Column::new(column.name.clone(), column.column_type));
            }
            column.builder.pad_to(self.rows);
            fields.push(arrow_field(&column.name, column.column_type));
            arrays.push(column.builder.finish());
        }
        fields.push(arrow_field(TIME_COLUMN, ColumnType::Time));
        arrays.push(std::sync::Arc::new(self.time.finish()));
        let batch = RecordBatch::try_new(
            std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
            arrays,
        )
        .expect("every column has one value or null per row");
        let batch = crate::memory::shrink_batch(batch);
        TableRows {
            name: self.name,
            table_id: known.map(|t| t.table.id),
            new_columns,
            batch,
        }
    }
}

fn schema(message: String) -> (RejectReason, String) {
    (RejectReason::Schema, message)
}

/// A database limit as a count (limits are never negative).
fn limit(value: i32) -> usize {
    usize::try_from(value).unwrap_or(0)
}

fn field_type(value: &FieldValue<'_>) -> ColumnType {
    match value {
        FieldValue::Float(_) => ColumnType::Float,
        FieldValue::Integer(_) => ColumnType::Integer,
        FieldValue::UInteger(_) => ColumnType::UInteger,
        FieldValue::String(_) => ColumnType::String,
        FieldValue::Boolean(_) => ColumnType::Boolean,
    }
}

/// "a tag", "a float field", ...
fn describe(column_type: ColumnType) -> String {
    match column_type {
        ColumnType::Tag => "a tag".into(),
        ColumnType::Time => "the time column".into(),
        ColumnType::Integer => "an integer field".into(),
        ColumnType::UInteger => "a uinteger field".into(),
        other => format!("a {other} field"),
    }
}

fn conflict(table: &str, column: &str, existing: ColumnType, written: ColumnType) -> String {
    format!(
        "schema conflict: column \"{column}\" of table \"{table}\" is {}, but this line writes it as {}",
        describe(existing),
        describe(written)
    )
}

/// Appends the unescaped text without allocating when it has no escape sequence.
fn append_text(text: Text<'_>, append: impl FnOnce(&str)) {
    match text.as_plain() {
        Some(s) => append(s),
        None => append(&text.unescape()),
    }
}

fn quote(source: &str) -> String {
    if source.len() <= MAX_QUOTED_LINE {
        return source.to_string();
    }
    let mut end = MAX_QUOTED_LINE;
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &source[..end])
}

/// RFC 3339 in UTC with nanoseconds, or the raw number when out of chrono's range.
pub(crate) fn format_nanos(nanos: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(nanos)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
