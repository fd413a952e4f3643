//! Table schemas (columns and their types) and the Parquet files that hold a table's data.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Database, Table};

/// What a column holds. Fixed once the column exists: a tag stays a tag, a float field stays
/// a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnType {
    /// A tag (a dictionary-encoded string that identifies a series).
    Tag,
    /// The `time` column (nanoseconds since the epoch, UTC).
    Time,
    Float,
    Integer,
    UInteger,
    String,
    Boolean,
}

impl ColumnType {
    /// The name stored in the catalog and used in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            ColumnType::Tag => "tag",
            ColumnType::Time => "time",
            ColumnType::Float => "float",
            ColumnType::Integer => "integer",
            ColumnType::UInteger => "uinteger",
            ColumnType::String => "string",
            ColumnType::Boolean => "boolean",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "tag" => ColumnType::Tag,
            "time" => ColumnType::Time,
            "float" => ColumnType::Float,
            "integer" => ColumnType::Integer,
            "uinteger" => ColumnType::UInteger,
            "string" => ColumnType::String,
            "boolean" => ColumnType::Boolean,
            _ => return None,
        })
    }

    /// Whether this is a field type (not a tag and not time).
    pub const fn is_field(self) -> bool {
        !matches!(self, ColumnType::Tag | ColumnType::Time)
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of every table's time column.
pub const TIME_COLUMN: &str = "time";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: String,
    pub column_type: ColumnType,
}

impl Column {
    pub fn new(name: impl Into<String>, column_type: ColumnType) -> Self {
        Column {
            name: name.into(),
            column_type,
        }
    }
}

/// An active table and its columns, in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub table: Table,
    pub columns: Vec<Column>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// An active database with its active tables, ordered by table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSchema {
    pub database: Database,
    pub tables: Vec<TableSchema>,
}

impl DatabaseSchema {
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.table.name == name)
    }
}

/// A Parquet file in the object store holding rows of one table and one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetFile {
    pub id: Uuid,
    pub database_id: i64,
    pub table_id: i64,
    /// The partition key the table's template gave the file's rows (e.g. `2026-11-22|us-west`).
    pub partition_key: String,
    /// The object's path in the store.
    pub path: String,
    /// The earliest and latest `time` in the file, in nanoseconds since the epoch.
    pub min_time: i64,
    pub max_time: i64,
    pub row_count: i64,
    pub size_bytes: i64,
    /// The node that wrote the file and the newest of that node's WAL segments the file's rows
    /// came from: on restart a node skips the segments already persisted.
    pub node_id: Uuid,
    pub wal_segment: i64,
    /// When the file was written; a compacted file takes the time of its newest input, so
    /// that files keep their place in write order.
    pub created_at: DateTime<Utc>,
    /// 0 for a file persistence wrote, 1 for one compaction wrote.
    pub compaction_level: i32,
}
