//! Schema migrations, one list for both dialects. Each migration runs once, in a transaction,
//! and is recorded in `schema_migrations`.

use sqlx::{AnyPool, Row};
use strata_types::{Error, Result};

use crate::sql::{Dialect, db_error};

struct Migration {
    version: i64,
    description: &'static str,
    /// The DDL, with `{id}` standing for the dialect's auto-increment primary key.
    sql: &'static str,
    /// Rows rewritten after the DDL, in the same transaction.
    data: Option<DataMigration>,
}

/// A change to rows that SQL common to both dialects cannot make.
#[derive(Clone, Copy)]
enum DataMigration {
    /// Database token permissions name the database id they were granted on.
    BindPermissionsToDatabases,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "accounts, clusters, users, databases, tables, tokens, audit log",
        sql: r#"
CREATE TABLE accounts (
    singleton BIGINT PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE clusters (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    user_group TEXT NOT NULL,
    status TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE databases (
    id {id},
    name TEXT NOT NULL,
    retention_period_ns BIGINT NOT NULL,
    max_tables BIGINT NOT NULL,
    max_columns_per_table BIGINT NOT NULL,
    partition_template TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX databases_active_name ON databases (name) WHERE status = 'active';
CREATE TABLE tables (
    id {id},
    database_id BIGINT NOT NULL REFERENCES databases (id),
    name TEXT NOT NULL,
    partition_template TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX tables_active_name ON tables (database_id, name) WHERE status = 'active';
CREATE TABLE database_tokens (
    id TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE TABLE management_tokens (
    id TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE TABLE token_changes (
    seq {id},
    kind TEXT NOT NULL,
    token_id TEXT NOT NULL
);
CREATE TABLE audit_log (
    id {id},
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
"#,
        data: None,
    },
    Migration {
        version: 2,
        description: "settings shared by every node (the token pepper's fingerprint)",
        sql: r#"
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
        data: None,
    },
    Migration {
        version: 3,
        description: "identity provider: signing keys and device authorizations",
        sql: r#"
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retire_after BIGINT
);
CREATE TABLE device_authorizations (
    device_code_hash TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval_secs BIGINT NOT NULL,
    last_poll_at BIGINT,
    status TEXT NOT NULL,
    user_id TEXT
);
"#,
        data: None,
    },
    Migration {
        version: 4,
        description: "users' subjects at an external identity provider",
        sql: r#"
ALTER TABLE users ADD COLUMN subject TEXT;
CREATE UNIQUE INDEX users_subject ON users (subject);
"#,
        data: None,
    },
    Migration {
        version: 5,
        description: "table columns and Parquet files",
        // Columns and files hang off table ids and are kept when their table or database is
        // (soft) deleted. `position` keeps columns in the order they were added. A file's
        // `min_time` and `max_time` are the data's nanoseconds, not catalog microseconds.
        sql: r#"
CREATE TABLE columns (
    table_id BIGINT NOT NULL REFERENCES tables (id),
    name TEXT NOT NULL,
    column_type TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (table_id, name),
    UNIQUE (table_id, position)
);
CREATE TABLE parquet_files (
    id TEXT PRIMARY KEY,
    database_id BIGINT NOT NULL,
    table_id BIGINT NOT NULL,
    partition_key TEXT NOT NULL,
    path TEXT NOT NULL,
    min_time BIGINT NOT NULL,
    max_time BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    wal_segment BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX parquet_files_database ON parquet_files (database_id);
CREATE INDEX parquet_files_node_segment ON parquet_files (node_id, wal_segment);
"#,
        data: None,
    },
    Migration {
        version: 6,
        description: "the time before which a user's sessions are refused",
        sql: r#"
ALTER TABLE users ADD COLUMN sessions_valid_from BIGINT;
"#,
        data: None,
    },
    Migration {
        version: 7,
        description: "database token permissions bound to database ids",
        sql: "",
        data: Some(DataMigration::BindPermissionsToDatabases),
    },
    Migration {
        version: 8,
        description: "compaction levels of Parquet files, files replaced by compaction, uploads not yet registered",
        sql: r#"
ALTER TABLE parquet_files ADD COLUMN compaction_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE parquet_files ADD COLUMN replaced_at BIGINT;
CREATE INDEX parquet_files_replaced ON parquet_files (replaced_at);
CREATE TABLE parquet_uploads (
    path TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL
);
"#,
        data: None,
    },
];

pub(crate) async fn run(pool: &AnyPool, dialect: Dialect) -> Result<()> {
    // SQLite: take the write lock up front, so two processes migrating at once wait in turn.
    let mut tx = match dialect {
        Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Dialect::Postgres => pool.begin().await,
    }
    .map_err(db_error)?;
    if dialect == Dialect::Postgres {
        // Nodes starting together must not migrate twice.
        sqlx::query("SELECT pg_advisory_xact_lock(7206914)")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await
        .and_then(|rows| rows.iter().map(|row| row.try_get("version")).collect())
        .map_err(db_error)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(unknown) = applied.iter().find(|v| **v > newest) {
        return Err(Error::internal(format!(
            "the catalog has schema version {unknown}, newer than this build knows ({newest}); run a newer strata"
        )));
    }
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let ddl = migration.sql.replace("{id}", dialect.auto_id());
        for statement in ddl.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        match migration.data {
            Some(DataMigration::BindPermissionsToDatabases) => {
                crate::permissions::bind_to_databases(&mut tx).await?;
            }
            None => {}
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.description)
        .bind(chrono::Utc::now().timestamp_micros())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "catalog migrated"
        );
    }
    tx.commit().await.map_err(db_error)
}
