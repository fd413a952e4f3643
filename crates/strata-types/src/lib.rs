//! Types shared by every Strata crate: the error type, validated names, permissions,
//! partition templates and the records the catalog stores.
//!
//! Nothing here does I/O; everything here validates its input and says what was wrong.

mod error;
mod names;
mod partition;
mod permission;
mod records;
mod retention;
mod schema;
mod secrets;

pub use error::{Error, ErrorKind, Result};
pub use names::{MAX_EMAIL_BYTES, normalize_email, validate_database_name, validate_table_name};
pub use partition::{DEFAULT_TIME_FORMAT, PartitionTemplate, TagBucket, TemplatePart};
pub use permission::{Action, Permission};
pub use records::*;
pub use retention::{NANOS_PER_HOUR, validate_retention_period};
pub use schema::{Column, ColumnType, DatabaseSchema, ParquetFile, TIME_COLUMN, TableSchema};
pub use secrets::{
    DATABASE_TOKEN_PREFIX, MANAGEMENT_TOKEN_PREFIX, TOKEN_PREFIXES, redact_secrets,
    redact_secrets_with,
};

/// Defaults for a new database, as InfluxDB Cloud Dedicated has them.
pub const DEFAULT_MAX_TABLES: i32 = 500;
pub const DEFAULT_MAX_COLUMNS_PER_TABLE: i32 = 250;
/// The largest column limit a database may be given (including `time`).
pub const MAX_COLUMNS_PER_TABLE_LIMIT: i32 = 1000;

mod time;
pub use time::{parse_duration, parse_timestamp};
