//! [`SqlCatalog`]: the catalog on SQLite or PostgreSQL through sqlx's `Any` driver.
//!
//! Every query is written once, in the SQL both dialects accept (`$n` placeholders,
//! `RETURNING`, partial unique indexes). Timestamps are stored as microseconds since the Unix
//! epoch and ids as text, so no query depends on a dialect's date or UUID types.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor, Row, Transaction};
use strata_types::{
    Actor, AuditEntry, AuditEvent, AuditQuery, Cluster, Column, ColumnType, Database,
    DatabaseSchema, DatabaseToken, DatabaseUpdate, DeviceAuthorization, DeviceStatus, Error,
    Identity, NewDatabase, Outcome, ParquetFile, PartitionTemplate, Permission, Result, SigningKey,
    Status, Table, TableSchema, TokenKind, TokenRecord, User, UserGroup, UserUpdate,
};
use uuid::Uuid;

use crate::{Catalog, NewUser, TokenChanges, migrations};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(Error::invalid(format!(
                "catalog URL {:?} is not supported; use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(url)
            )))
        }
    }

    pub(crate) fn auto_id(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        }
    }

    /// The collation that orders text by its bytes, as SQLite does by default: lists must come
    /// in the same order on both, and a PostgreSQL database's own collation (often
    /// `en_US.UTF-8`) would put `beta` before `DB_c` and `db_b` before `db-a`.
    fn bytewise(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BINARY",
            Dialect::Postgres => "\"C\"",
        }
    }
}

/// A catalog URL with any password removed (from the user info and from `password=` or
/// `sslpassword=` query parameters), for messages and logs.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            match base[scheme_end + 3..at].split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme_end + 3], &base[at..]),
                None => base.to_string(),
            }
        }
        _ => base.to_string(),
    };
    match query {
        None => base,
        Some(query) => {
            let params: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _))
                        if key.eq_ignore_ascii_case("password")
                            || key.eq_ignore_ascii_case("sslpassword") =>
                    {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
    }
}

pub(crate) fn db_error(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        tracing::info!(error = %db, "unique constraint refused a change");
        return Error::conflict(
            "the change clashes with an existing record of the same name or id",
        );
    }
    Error::internal(format!("catalog error: {e}"))
}

/// A query whose text is built at run time, only ever from constants and `$n` placeholders.
fn query(sql: String) -> sqlx::query::Query<'static, Any, sqlx::any::AnyArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

fn opt_from_micros(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_micros)
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s)
        .map_err(|e| Error::internal(format!("catalog holds a malformed id {s:?}: {e}")))
}

fn template_to_json(template: &Option<PartitionTemplate>) -> Option<String> {
    template
        .as_ref()
        .map(|t| serde_json::to_string(t).expect("partition templates serialize"))
}

fn template_from_json(json: Option<String>) -> Result<Option<PartitionTemplate>> {
    json.map(|j| {
        serde_json::from_str(&j).map_err(|e| {
            Error::internal(format!("catalog holds a malformed partition template: {e}"))
        })
    })
    .transpose()
}

const DATABASE_COLUMNS: &str = "id, name, retention_period_ns, max_tables, max_columns_per_table, partition_template, status, created_at, deleted_at";
const TABLE_COLUMNS: &str =
    "id, database_id, name, partition_template, status, created_at, deleted_at";
const TOKEN_COLUMNS: &str = "id, description, hash, display_prefix, created_at, created_by, expires_at, revoked_at, last_used_at";
const USER_COLUMNS: &str = "id, email, first_name, last_name, user_group, status, subject, created_at, updated_at, sessions_valid_from";
const PARQUET_COLUMNS: &str = "id, database_id, table_id, partition_key, path, min_time, max_time, row_count, size_bytes, node_id, wal_segment, created_at, compaction_level";

fn status_of(s: &str) -> Result<Status> {
    Status::parse(s)
        .ok_or_else(|| Error::internal(format!("catalog holds an unknown status {s:?}")))
}

/// A stored limit, refused (not truncated) when it does not fit an i32.
fn limit_of(row: &AnyRow, column: &str) -> Result<i32> {
    let value: i64 = row.try_get(column).map_err(db_error)?;
    i32::try_from(value)
        .map_err(|_| Error::internal(format!("catalog holds {column} = {value}, out of range")))
}

fn database_from_row(row: &AnyRow) -> Result<Database> {
    Ok(Database {
        id: row.try_get("id").map_err(db_error)?,
        name: row.try_get("name").map_err(db_error)?,
        retention_period_ns: row.try_get("retention_period_ns").map_err(db_error)?,
        max_tables: limit_of(row, "max_tables")?,
        max_columns_per_table: limit_of(row, "max_columns_per_table")?,
        partition_template: template_from_json(
            row.try_get("partition_template").map_err(db_error)?,
        )?,
        status: status_of(&row.try_get::<String, _>("status").map_err(db_error)?)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        deleted_at: opt_from_micros(row.try_get("deleted_at").map_err(db_error)?),
    })
}

fn table_from_row(row: &AnyRow) -> Result<Table> {
    Ok(Table {
        id: row.try_get("id").map_err(db_error)?,
        database_id: row.try_get("database_id").map_err(db_error)?,
        name: row.try_get("name").map_err(db_error)?,
        partition_template: template_from_json(
            row.try_get("partition_template").map_err(db_error)?,
        )?,
        status: status_of(&row.try_get::<String, _>("status").map_err(db_error)?)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        deleted_at: opt_from_micros(row.try_get("deleted_at").map_err(db_error)?),
    })
}

fn column_from_row(row: &AnyRow) -> Result<Column> {
    let column_type: String = row.try_get("column_type").map_err(db_error)?;
    Ok(Column {
        name: row.try_get("name").map_err(db_error)?,
        column_type: ColumnType::parse(&column_type).ok_or_else(|| {
            Error::internal(format!(
                "catalog holds an unknown column type {column_type:?}"
            ))
        })?,
    })
}

fn parquet_file_from_row(row: &AnyRow) -> Result<ParquetFile> {
    Ok(ParquetFile {
        id: parse_uuid(&row.try_get::<String, _>("id").map_err(db_error)?)?,
        database_id: row.try_get("database_id").map_err(db_error)?,
        table_id: row.try_get("table_id").map_err(db_error)?,
        partition_key: row.try_get("partition_key").map_err(db_error)?,
        path: row.try_get("path").map_err(db_error)?,
        min_time: row.try_get("min_time").map_err(db_error)?,
        max_time: row.try_get("max_time").map_err(db_error)?,
        row_count: row.try_get("row_count").map_err(db_error)?,
        size_bytes: row.try_get("size_bytes").map_err(db_error)?,
        node_id: parse_uuid(&row.try_get::<String, _>("node_id").map_err(db_error)?)?,
        wal_segment: row.try_get("wal_segment").map_err(db_error)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        compaction_level: limit_of(row, "compaction_level")?,
    })
}

fn token_from_row(row: &AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: parse_uuid(&row.try_get::<String, _>("id").map_err(db_error)?)?,
        description: row.try_get("description").map_err(db_error)?,
        hash: row.try_get("hash").map_err(db_error)?,
        display_prefix: row.try_get("display_prefix").map_err(db_error)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        created_by: Actor::parse_label(&row.try_get::<String, _>("created_by").map_err(db_error)?),
        expires_at: opt_from_micros(row.try_get("expires_at").map_err(db_error)?),
        revoked_at: opt_from_micros(row.try_get("revoked_at").map_err(db_error)?),
        last_used_at: opt_from_micros(row.try_get("last_used_at").map_err(db_error)?),
    })
}

fn database_token_from_row(row: &AnyRow) -> Result<DatabaseToken> {
    let permissions: String = row.try_get("permissions").map_err(db_error)?;
    Ok(DatabaseToken {
        token: token_from_row(row)?,
        permissions: crate::permissions::from_json(&permissions)?,
    })
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    let group: String = row.try_get("user_group").map_err(db_error)?;
    Ok(User {
        id: parse_uuid(&row.try_get::<String, _>("id").map_err(db_error)?)?,
        email: row.try_get("email").map_err(db_error)?,
        first_name: row.try_get("first_name").map_err(db_error)?,
        last_name: row.try_get("last_name").map_err(db_error)?,
        group: UserGroup::parse(&group)
            .ok_or_else(|| Error::internal(format!("catalog holds an unknown group {group:?}")))?,
        status: row.try_get("status").map_err(db_error)?,
        subject: row.try_get("subject").map_err(db_error)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        updated_at: from_micros(row.try_get("updated_at").map_err(db_error)?),
        sessions_valid_from: opt_from_micros(row.try_get("sessions_valid_from").map_err(db_error)?),
    })
}

fn signing_key_from_row(row: &AnyRow) -> Result<SigningKey> {
    Ok(SigningKey {
        kid: row.try_get("kid").map_err(db_error)?,
        algorithm: row.try_get("algorithm").map_err(db_error)?,
        public_key: row.try_get("public_key").map_err(db_error)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        retire_after: opt_from_micros(row.try_get("retire_after").map_err(db_error)?),
    })
}

fn device_authorization_from_row(row: &AnyRow) -> Result<DeviceAuthorization> {
    let status: String = row.try_get("status").map_err(db_error)?;
    let user_id: Option<String> = row.try_get("user_id").map_err(db_error)?;
    Ok(DeviceAuthorization {
        device_code_hash: row.try_get("device_code_hash").map_err(db_error)?,
        user_code: row.try_get("user_code").map_err(db_error)?,
        client_id: row.try_get("client_id").map_err(db_error)?,
        scope: row.try_get("scope").map_err(db_error)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
        expires_at: from_micros(row.try_get("expires_at").map_err(db_error)?),
        interval_secs: row.try_get("interval_secs").map_err(db_error)?,
        last_poll_at: opt_from_micros(row.try_get("last_poll_at").map_err(db_error)?),
        status: DeviceStatus::parse(&status).ok_or_else(|| {
            Error::internal(format!("catalog holds an unknown device status {status:?}"))
        })?,
        user_id: user_id.as_deref().map(parse_uuid).transpose()?,
    })
}

const DEVICE_COLUMNS: &str = "device_code_hash, user_code, client_id, scope, created_at, expires_at, interval_secs, last_poll_at, status, user_id";

fn audit_from_row(row: &AnyRow) -> Result<AuditEntry> {
    let actor_id: Option<String> = row.try_get("actor_id").map_err(db_error)?;
    let actor_kind: String = row.try_get("actor_kind").map_err(db_error)?;
    let outcome: String = row.try_get("outcome").map_err(db_error)?;
    Ok(AuditEntry {
        id: row.try_get("id").map_err(db_error)?,
        event: AuditEvent {
            time: from_micros(row.try_get("at").map_err(db_error)?),
            actor: Actor::from_parts(
                &actor_kind,
                actor_id.as_deref().map(parse_uuid).transpose()?,
            ),
            action: row.try_get("action").map_err(db_error)?,
            target: row.try_get("target").map_err(db_error)?,
            source: row.try_get("source").map_err(db_error)?,
            outcome: Outcome::parse(&outcome).ok_or_else(|| {
                Error::internal(format!("catalog holds an unknown outcome {outcome:?}"))
            })?,
            detail: row.try_get("detail").map_err(db_error)?,
        },
    })
}

fn token_table(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Management => "management_tokens",
        TokenKind::Database => "database_tokens",
    }
}

fn kind_label(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Management => "management",
        TokenKind::Database => "database",
    }
}

/// The catalog on SQLite or PostgreSQL.
pub struct SqlCatalog {
    pool: AnyPool,
    dialect: Dialect,
}

impl SqlCatalog {
    /// Connects to `url` (`sqlite://PATH?mode=rwc` or `postgres://…`), migrates the schema and
    /// creates the account and cluster identity when the catalog is new.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of_url(url)?;
        let options = match dialect {
            // One connection: SQLite has one writer, and waiting in the pool beats SQLITE_BUSY.
            Dialect::Sqlite => AnyPoolOptions::new().max_connections(1).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000").await?;
                    Ok(())
                })
            }),
            Dialect::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = options.connect(url).await.map_err(|e| {
            Error::internal(format!(
                "could not open the catalog at {}: {e}",
                redact_url(url)
            ))
        })?;
        migrations::run(&pool, dialect).await?;
        let catalog = Self { pool, dialect };
        catalog.ensure_identity().await?;
        Ok(catalog)
    }

    async fn ensure_identity(&self) -> Result<()> {
        let now = micros(Utc::now());
        let account_id = Uuid::new_v4().to_string();
        let mut tx = self.begin_exclusive().await?;
        let inserted = sqlx::query(
            "INSERT INTO accounts (singleton, id, created_at) VALUES (1, $1, $2) ON CONFLICT (singleton) DO NOTHING",
        )
        .bind(&account_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
        if inserted == 1 {
            sqlx::query(
                "INSERT INTO clusters (id, account_id, name, state, created_at) VALUES ($1, $2, $3, 'ready', $4)",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(&account_id)
            .bind("strata")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    /// A write transaction. On SQLite it takes the write lock at `BEGIN IMMEDIATE`, so another
    /// process writing at the same moment (the offline admin command) waits for it
    /// (busy_timeout) instead of failing with "database is locked" on lock upgrade.
    /// Inserts files, and ends their uploads: an upload is over once its file is registered.
    async fn insert_parquet_files(
        tx: &mut Transaction<'static, Any>,
        files: &[ParquetFile],
    ) -> Result<()> {
        for file in files {
            query("DELETE FROM parquet_uploads WHERE path = $1".to_string())
                .bind(&file.path)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
            query(format!(
                "INSERT INTO parquet_files ({PARQUET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ))
            .bind(file.id.to_string())
            .bind(file.database_id)
            .bind(file.table_id)
            .bind(&file.partition_key)
            .bind(&file.path)
            .bind(file.min_time)
            .bind(file.max_time)
            .bind(file.row_count)
            .bind(file.size_bytes)
            .bind(file.node_id.to_string())
            .bind(file.wal_segment)
            .bind(micros(file.created_at))
            .bind(i64::from(file.compaction_level))
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.pool.begin().await,
        }
        .map_err(db_error)
    }

    /// A transaction that serialises with every other writer of token state, so that the
    /// order of `token_changes.seq` is the order in which changes become visible.
    async fn begin_exclusive(&self) -> Result<Transaction<'static, Any>> {
        let mut tx = self.begin_write().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("LOCK TABLE token_changes IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        Ok(tx)
    }

    async fn log_token_change(
        tx: &mut Transaction<'static, Any>,
        kind: TokenKind,
        id: Uuid,
    ) -> Result<()> {
        sqlx::query("INSERT INTO token_changes (kind, token_id) VALUES ($1, $2)")
            .bind(kind_label(kind))
            .bind(id.to_string())
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn active_database(tx: &mut Transaction<'static, Any>, name: &str) -> Result<Database> {
        let row = query(format!(
            "SELECT {DATABASE_COLUMNS} FROM databases WHERE name = $1 AND status = 'active'"
        ))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?;
        match row {
            Some(row) => database_from_row(&row),
            None => Err(database_not_found(name)),
        }
    }

    async fn active_table_exists(
        tx: &mut Transaction<'static, Any>,
        database_id: i64,
        name: &str,
    ) -> Result<bool> {
        let row = sqlx::query(
            "SELECT id FROM tables WHERE database_id = $1 AND name = $2 AND status = 'active'",
        )
        .bind(database_id)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?;
        Ok(row.is_some())
    }

    async fn active_table_count(
        tx: &mut Transaction<'static, Any>,
        database_id: i64,
    ) -> Result<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM tables WHERE database_id = $1 AND status = 'active'")
            .bind(database_id)
            .fetch_one(&mut **tx)
            .await
            .and_then(|row| row.try_get("n"))
            .map_err(db_error)
    }

    /// On PostgreSQL, locks the row of the active database `name` until the transaction ends,
    /// so that table changes in one database are checked and made one at a time: otherwise
    /// concurrent creates each count the tables before the others commit and together exceed
    /// `max_tables`. SQLite needs nothing: it has one writer, and this catalog one connection.
    async fn lock_active_database(
        &self,
        tx: &mut Transaction<'static, Any>,
        name: &str,
    ) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query(
                "SELECT id FROM databases WHERE name = $1 AND status = 'active' FOR UPDATE",
            )
            .bind(name)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }

    /// Refuses (`Conflict`) to let `user` stop being an Admin when no other user is one.
    /// Counted in the transaction that changes the user, with the Admins' rows locked on
    /// PostgreSQL, so two concurrent changes cannot each count the other as the Admin left.
    async fn keep_an_admin(&self, tx: &mut Transaction<'static, Any>, user: &User) -> Result<()> {
        if user.group != UserGroup::Admin {
            return Ok(());
        }
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        };
        let admins = query(format!("SELECT id FROM users WHERE user_group = $1{lock}"))
            .bind(UserGroup::Admin.as_str())
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?
            .len();
        if admins <= 1 {
            return Err(Error::conflict(format!(
                "{} is the last Admin; make another user Admin first",
                user.email
            )));
        }
        Ok(())
    }

    /// The active database with this id, its row locked as [`Self::lock_active_database`]
    /// locks it, for the writers that know a database by id.
    async fn lock_active_database_by_id(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
    ) -> Result<Database> {
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        };
        let row = query(format!(
            "SELECT {DATABASE_COLUMNS} FROM databases WHERE id = $1 AND status = 'active'{lock}"
        ))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::not_found(format!("no active database has id {id}")))?;
        database_from_row(&row)
    }

    /// Adds an active table to `database` within its table limit. The caller holds the
    /// database's lock and knows that no active table has the name.
    async fn insert_table(
        tx: &mut Transaction<'static, Any>,
        database: &Database,
        name: &str,
        partition_template: &Option<PartitionTemplate>,
    ) -> Result<Table> {
        check_table_limit(database, Self::active_table_count(tx, database.id).await?)?;
        let row = query(format!(
            "INSERT INTO tables (database_id, name, partition_template, status, created_at) VALUES ($1, $2, $3, 'active', $4) RETURNING {TABLE_COLUMNS}"
        ))
        .bind(database.id)
        .bind(name)
        .bind(template_to_json(partition_template))
        .bind(micros(Utc::now()))
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
        table_from_row(&row)
    }

    /// A table's columns in the order they were added.
    async fn table_columns(
        tx: &mut Transaction<'static, Any>,
        table_id: i64,
    ) -> Result<Vec<Column>> {
        let rows = sqlx::query(
            "SELECT name, column_type FROM columns WHERE table_id = $1 ORDER BY position",
        )
        .bind(table_id)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_error)?;
        rows.iter().map(column_from_row).collect()
    }

    async fn get_token(&self, kind: TokenKind, id: Uuid) -> Result<AnyRow> {
        let table = token_table(kind);
        let extra = if kind == TokenKind::Database {
            ", permissions"
        } else {
            ""
        };
        query(format!(
            "SELECT {TOKEN_COLUMNS}{extra} FROM {table} WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::not_found(format!("{} token {id} not found", kind_label(kind))))
    }

    async fn revoke_token(&self, kind: TokenKind, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_exclusive().await?;
        let updated = query(format!(
            "UPDATE {} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            token_table(kind)
        ))
        .bind(micros(at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
        if updated == 0 {
            // Tell apart "no such token" from "already revoked" for the caller.
            let revoked: Option<i64> = query(format!(
                "SELECT revoked_at FROM {} WHERE id = $1",
                token_table(kind)
            ))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::not_found(format!("{} token {id} not found", kind_label(kind))))?
            .try_get("revoked_at")
            .map_err(db_error)?;
            if let Some(revoked) = revoked {
                return Err(Error::not_found(format!(
                    "{} token {id} was already revoked at {}",
                    kind_label(kind),
                    from_micros(revoked).to_rfc3339()
                )));
            }
        }
        Self::log_token_change(&mut tx, kind, id).await?;
        tx.commit().await.map_err(db_error)
    }

    /// The rows of `select` (a token table) changed after `seq`; every row when `seq` is 0,
    /// since changes of old tokens may have been pruned.
    async fn changed_tokens(
        &self,
        select: String,
        seq: i64,
        kind: TokenKind,
    ) -> Result<Vec<AnyRow>> {
        let rows = if seq == 0 {
            query(select).fetch_all(&self.pool).await
        } else {
            query(format!(
                "{select} WHERE id IN (SELECT token_id FROM token_changes WHERE seq > $1 AND kind = $2)"
            ))
            .bind(seq)
            .bind(kind_label(kind))
            .fetch_all(&self.pool)
            .await
        };
        rows.map_err(db_error)
    }

    async fn insert_token(
        tx: &mut Transaction<'static, Any>,
        kind: TokenKind,
        token: &TokenRecord,
        permissions: Option<String>,
    ) -> Result<()> {
        let (extra_column, extra_value) = match kind {
            TokenKind::Database => (", permissions", ", $10"),
            TokenKind::Management => ("", ""),
        };
        let statement = format!(
            "INSERT INTO {} ({TOKEN_COLUMNS}{extra_column}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9{extra_value})",
            token_table(kind)
        );
        let mut q = query(statement)
            .bind(token.id.to_string())
            .bind(&token.description)
            .bind(&token.hash)
            .bind(&token.display_prefix)
            .bind(micros(token.created_at))
            .bind(token.created_by.label())
            .bind(token.expires_at.map(micros))
            .bind(token.revoked_at.map(micros))
            .bind(token.last_used_at.map(micros));
        if let Some(permissions) = permissions {
            q = q.bind(permissions);
        }
        q.execute(&mut **tx).await.map_err(db_error)?;
        Self::log_token_change(tx, kind, token.id).await
    }
}

fn user_not_found(id: Uuid) -> Error {
    Error::not_found(format!("user {id} not found"))
}

fn database_not_found(name: &str) -> Error {
    Error::not_found(format!("database {name:?} not found"))
}

fn table_not_found(database: &str, name: &str) -> Error {
    Error::not_found(format!("table {name:?} not found in database {database:?}"))
}

#[async_trait]
impl Catalog for SqlCatalog {
    async fn identity(&self) -> Result<Identity> {
        let row = sqlx::query("SELECT id FROM accounts WHERE singleton = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        let account_id = parse_uuid(&row.try_get::<String, _>("id").map_err(db_error)?)?;
        let cluster = self
            .list_clusters()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::internal("the catalog has an account but no cluster"))?;
        Ok(Identity {
            account_id,
            cluster,
        })
    }

    async fn list_clusters(&self) -> Result<Vec<Cluster>> {
        let rows = sqlx::query(
            "SELECT id, account_id, name, state, created_at FROM clusters ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                Ok(Cluster {
                    id: parse_uuid(&row.try_get::<String, _>("id").map_err(db_error)?)?,
                    account_id: parse_uuid(
                        &row.try_get::<String, _>("account_id").map_err(db_error)?,
                    )?,
                    name: row.try_get("name").map_err(db_error)?,
                    state: row.try_get("state").map_err(db_error)?,
                    created_at: from_micros(row.try_get("created_at").map_err(db_error)?),
                })
            })
            .collect()
    }

    async fn create_user(&self, user: NewUser) -> Result<User> {
        let now = Utc::now();
        let id = Uuid::new_v4();
        let result = sqlx::query(
            "INSERT INTO users (id, email, first_name, last_name, user_group, status, password_hash, subject, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $8)",
        )
        .bind(id.to_string())
        .bind(&user.email)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(user.group.as_str())
        .bind(user.password_hash.clone())
        .bind(user.subject.clone())
        .bind(micros(now))
        .execute(&self.pool)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                // Say which: the email or the subject is taken.
                let message = match (&user.subject, self.find_user_by_email(&user.email).await?) {
                    (Some(subject), None) => {
                        format!("a user with subject {subject:?} already exists")
                    }
                    _ => format!("a user with email {:?} already exists", user.email),
                };
                return Err(Error::conflict(message));
            }
            other => other.map_err(db_error)?,
        };
        Ok(User {
            id,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            group: user.group,
            status: "active".into(),
            subject: user.subject,
            created_at: from_micros(micros(now)),
            updated_at: from_micros(micros(now)),
            sessions_valid_from: None,
        })
    }

    async fn get_user(&self, id: Uuid) -> Result<User> {
        let row = query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?
            .ok_or_else(|| user_not_found(id))?;
        user_from_row(&row)
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let row = query(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|row| {
            let hash: Option<String> = row.try_get("password_hash").map_err(db_error)?;
            Ok((user_from_row(&row)?, hash))
        })
        .transpose()
    }

    async fn find_user_by_subject(&self, subject: &str) -> Result<Option<User>> {
        query(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE subject = $1"
        ))
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let row = query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .ok_or_else(|| user_not_found(id))?;
        let mut user = user_from_row(&row)?;
        if update.group.is_some_and(|group| group != UserGroup::Admin) {
            self.keep_an_admin(&mut tx, &user).await?;
        }
        if let Some(first) = update.first_name {
            user.first_name = first;
        }
        if let Some(last) = update.last_name {
            user.last_name = last;
        }
        if let Some(group) = update.group {
            user.group = group;
        }
        user.updated_at = from_micros(micros(Utc::now()));
        sqlx::query(
            "UPDATE users SET first_name = $1, last_name = $2, user_group = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(user.group.as_str())
        .bind(micros(user.updated_at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(user)
    }

    async fn remove_user(&self, id: Uuid) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let row = query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .ok_or_else(|| user_not_found(id))?;
        let user = user_from_row(&row)?;
        self.keep_an_admin(&mut tx, &user).await?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(user)
    }

    async fn set_user_password(&self, id: Uuid, password_hash: &str) -> Result<User> {
        let now = micros(Utc::now());
        let row = query(format!(
            "UPDATE users SET password_hash = $1, updated_at = $2, sessions_valid_from = $2 WHERE id = $3 RETURNING {USER_COLUMNS}"
        ))
        .bind(password_hash)
        .bind(now)
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| user_not_found(id))?;
        user_from_row(&row)
    }

    async fn add_signing_key(&self, key: &SigningKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, public_key, created_at, retire_after) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.public_key)
        .bind(micros(key.created_at))
        .bind(key.retire_after.map(micros))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn list_signing_keys(&self, now: DateTime<Utc>) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, algorithm, public_key, created_at, retire_after FROM signing_keys WHERE retire_after IS NULL OR retire_after > $1 ORDER BY created_at DESC, kid",
        )
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(signing_key_from_row).collect()
    }

    async fn retire_signing_key(&self, kid: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE signing_keys SET retire_after = $1 WHERE kid = $2 AND (retire_after IS NULL OR retire_after > $1)",
        )
        .bind(micros(at))
        .bind(kid)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn create_device_authorization(&self, authorization: &DeviceAuthorization) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Expired authorizations free their user codes.
        sqlx::query("DELETE FROM device_authorizations WHERE expires_at <= $1")
            .bind(micros(authorization.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let inserted = query(format!(
            "INSERT INTO device_authorizations ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&authorization.device_code_hash)
        .bind(&authorization.user_code)
        .bind(&authorization.client_id)
        .bind(&authorization.scope)
        .bind(micros(authorization.created_at))
        .bind(micros(authorization.expires_at))
        .bind(authorization.interval_secs)
        .bind(authorization.last_poll_at.map(micros))
        .bind(authorization.status.as_str())
        .bind(authorization.user_id.map(|id| id.to_string()))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(Error::conflict("the user code is taken; pick another"));
            }
            other => other.map_err(db_error)?,
        };
        tx.commit().await.map_err(db_error)
    }

    async fn find_device_authorization(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>> {
        query(format!(
            "SELECT {DEVICE_COLUMNS} FROM device_authorizations WHERE user_code = $1"
        ))
        .bind(user_code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .as_ref()
        .map(device_authorization_from_row)
        .transpose()
    }

    async fn poll_device_authorization(
        &self,
        device_code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<DeviceAuthorization>> {
        let mut tx = self.begin_write().await?;
        let before = query(format!(
            "SELECT {DEVICE_COLUMNS} FROM device_authorizations WHERE device_code_hash = $1"
        ))
        .bind(device_code_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .as_ref()
        .map(device_authorization_from_row)
        .transpose()?;
        if before.is_some() {
            sqlx::query(
                "UPDATE device_authorizations SET last_poll_at = $1 WHERE device_code_hash = $2",
            )
            .bind(micros(at))
            .bind(device_code_hash)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(before)
    }

    async fn decide_device_authorization(
        &self,
        user_code: &str,
        status: DeviceStatus,
        user_id: Uuid,
    ) -> Result<DeviceAuthorization> {
        let row = query(format!(
            "UPDATE device_authorizations SET status = $1, user_id = $2 WHERE user_code = $3 AND status = 'pending' AND expires_at > $4 RETURNING {DEVICE_COLUMNS}"
        ))
        .bind(status.as_str())
        .bind(user_id.to_string())
        .bind(user_code)
        .bind(micros(Utc::now()))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::not_found("no sign-in is waiting for that code; it may have expired"))?;
        device_authorization_from_row(&row)
    }

    async fn delete_device_authorization(&self, device_code_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM device_authorizations WHERE device_code_hash = $1")
            .bind(device_code_hash)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let bytewise = self.dialect.bytewise();
        let rows = query(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY email COLLATE {bytewise}"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn create_database(&self, database: NewDatabase) -> Result<Database> {
        let mut tx = self.begin_write().await?;
        if Self::active_database(&mut tx, &database.name).await.is_ok() {
            return Err(Error::conflict(format!(
                "database {:?} already exists; choose another name or delete it first",
                database.name
            )));
        }
        let row = query(format!(
            "INSERT INTO databases (name, retention_period_ns, max_tables, max_columns_per_table, partition_template, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING {DATABASE_COLUMNS}"
        ))
        .bind(&database.name)
        .bind(database.retention_period_ns)
        .bind(i64::from(database.max_tables))
        .bind(i64::from(database.max_columns_per_table))
        .bind(template_to_json(&database.partition_template))
        .bind(micros(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let created = database_from_row(&row)?;
        tx.commit().await.map_err(db_error)?;
        Ok(created)
    }

    async fn list_databases(&self, status: Option<Status>) -> Result<Vec<Database>> {
        let bytewise = self.dialect.bytewise();
        let rows =
            match status {
                Some(status) => query(format!(
                    "SELECT {DATABASE_COLUMNS} FROM databases WHERE status = $1 ORDER BY name COLLATE {bytewise}, id"
                ))
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await,
                None => {
                    query(format!(
                        "SELECT {DATABASE_COLUMNS} FROM databases ORDER BY name COLLATE {bytewise}, id"
                    ))
                    .fetch_all(&self.pool)
                    .await
                }
            }
            .map_err(db_error)?;
        rows.iter().map(database_from_row).collect()
    }

    async fn get_database(&self, name: &str) -> Result<Database> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let database = Self::active_database(&mut tx, name).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(database)
    }

    async fn update_database(&self, name: &str, update: DatabaseUpdate) -> Result<Database> {
        let mut tx = self.begin_write().await?;
        // Two concurrent partial updates must not undo each other.
        self.lock_active_database(&mut tx, name).await?;
        let mut database = Self::active_database(&mut tx, name).await?;
        if let Some(retention) = update.retention_period_ns {
            database.retention_period_ns = retention;
        }
        if let Some(max_tables) = update.max_tables {
            database.max_tables = max_tables;
        }
        if let Some(max_columns) = update.max_columns_per_table {
            database.max_columns_per_table = max_columns;
        }
        sqlx::query(
            "UPDATE databases SET retention_period_ns = $1, max_tables = $2, max_columns_per_table = $3 WHERE id = $4",
        )
        .bind(database.retention_period_ns)
        .bind(i64::from(database.max_tables))
        .bind(i64::from(database.max_columns_per_table))
        .bind(database.id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(database)
    }

    async fn delete_database(&self, name: &str, at: DateTime<Utc>) -> Result<Database> {
        let row = query(format!(
            "UPDATE databases SET status = 'deleted', deleted_at = $1 WHERE name = $2 AND status = 'active' RETURNING {DATABASE_COLUMNS}"
        ))
        .bind(micros(at))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        match row {
            Some(row) => database_from_row(&row),
            None => Err(database_not_found(name)),
        }
    }

    async fn rename_database(&self, name: &str, new_name: &str) -> Result<Database> {
        let mut tx = self.begin_write().await?;
        let mut database = Self::active_database(&mut tx, name).await?;
        if name == new_name {
            return Ok(database);
        }
        if Self::active_database(&mut tx, new_name).await.is_ok() {
            return Err(Error::conflict(format!(
                "cannot rename database {name:?} to {new_name:?}: a database with that name already exists"
            )));
        }
        sqlx::query("UPDATE databases SET name = $1 WHERE id = $2")
            .bind(new_name)
            .bind(database.id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        database.name = new_name.to_string();
        Ok(database)
    }

    async fn undelete_database(&self, id: i64, deleted_since: DateTime<Utc>) -> Result<Database> {
        let mut tx = self.begin_write().await?;
        let row = query(format!(
            "SELECT {DATABASE_COLUMNS} FROM databases WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::not_found(format!("no database has id {id}")))?;
        let mut database = database_from_row(&row)?;
        check_restorable(
            "database",
            &database.name,
            id,
            (database.status, database.deleted_at),
            deleted_since,
        )?;
        if Self::active_database(&mut tx, &database.name).await.is_ok() {
            return Err(Error::conflict(format!(
                "cannot undelete database {:?} (id {id}): an active database has that name; rename or delete it first",
                database.name
            )));
        }
        sqlx::query("UPDATE databases SET status = 'active', deleted_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        database.status = Status::Active;
        database.deleted_at = None;
        Ok(database)
    }

    async fn create_table(
        &self,
        database: &str,
        name: &str,
        partition_template: Option<PartitionTemplate>,
    ) -> Result<Table> {
        let mut tx = self.begin_write().await?;
        self.lock_active_database(&mut tx, database).await?;
        let db = Self::active_database(&mut tx, database).await?;
        if Self::active_table_exists(&mut tx, db.id, name).await? {
            return Err(Error::conflict(format!(
                "table {name:?} already exists in database {database:?}"
            )));
        }
        let table = Self::insert_table(&mut tx, &db, name, &partition_template).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(table)
    }

    async fn list_tables(&self, database: &str, status: Option<Status>) -> Result<Vec<Table>> {
        let bytewise = self.dialect.bytewise();
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let db = Self::active_database(&mut tx, database).await?;
        let rows = match status {
            Some(status) => query(format!(
                "SELECT {TABLE_COLUMNS} FROM tables WHERE database_id = $1 AND status = $2 ORDER BY name COLLATE {bytewise}, id"
            ))
            .bind(db.id)
            .bind(status.as_str())
            .fetch_all(&mut *tx)
            .await,
            None => query(format!(
                "SELECT {TABLE_COLUMNS} FROM tables WHERE database_id = $1 ORDER BY name COLLATE {bytewise}, id"
            ))
            .bind(db.id)
            .fetch_all(&mut *tx)
            .await,
        }
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        rows.iter().map(table_from_row).collect()
    }

    async fn delete_table(&self, database: &str, name: &str, at: DateTime<Utc>) -> Result<Table> {
        let mut tx = self.begin_write().await?;
        self.lock_active_database(&mut tx, database).await?;
        let db = Self::active_database(&mut tx, database).await?;
        let row = query(format!(
            "UPDATE tables SET status = 'deleted', deleted_at = $1 WHERE database_id = $2 AND name = $3 AND status = 'active' RETURNING {TABLE_COLUMNS}"
        ))
        .bind(micros(at))
        .bind(db.id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| table_not_found(database, name))?;
        let table = table_from_row(&row)?;
        tx.commit().await.map_err(db_error)?;
        Ok(table)
    }

    async fn rename_table(&self, database: &str, name: &str, new_name: &str) -> Result<Table> {
        let mut tx = self.begin_write().await?;
        self.lock_active_database(&mut tx, database).await?;
        let db = Self::active_database(&mut tx, database).await?;
        if name != new_name && Self::active_table_exists(&mut tx, db.id, new_name).await? {
            return Err(Error::conflict(format!(
                "cannot rename table {name:?} to {new_name:?}: database {database:?} already has a table with that name"
            )));
        }
        let row = query(format!(
            "UPDATE tables SET name = $1 WHERE database_id = $2 AND name = $3 AND status = 'active' RETURNING {TABLE_COLUMNS}"
        ))
        .bind(new_name)
        .bind(db.id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| table_not_found(database, name))?;
        let table = table_from_row(&row)?;
        tx.commit().await.map_err(db_error)?;
        Ok(table)
    }

    async fn undelete_table(
        &self,
        database: &str,
        id: i64,
        deleted_since: DateTime<Utc>,
    ) -> Result<Table> {
        let mut tx = self.begin_write().await?;
        self.lock_active_database(&mut tx, database).await?;
        let db = Self::active_database(&mut tx, database).await?;
        let row = query(format!(
            "SELECT {TABLE_COLUMNS} FROM tables WHERE id = $1 AND database_id = $2"
        ))
        .bind(id)
        .bind(db.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| {
            Error::not_found(format!("database {database:?} has no table with id {id}"))
        })?;
        let mut table = table_from_row(&row)?;
        check_restorable(
            "table",
            &table.name,
            id,
            (table.status, table.deleted_at),
            deleted_since,
        )?;
        if Self::active_table_exists(&mut tx, db.id, &table.name).await? {
            return Err(Error::conflict(format!(
                "cannot undelete table {:?} (id {id}): an active table has that name; rename or delete it first",
                table.name
            )));
        }
        check_table_limit(&db, Self::active_table_count(&mut tx, db.id).await?)?;
        sqlx::query("UPDATE tables SET status = 'active', deleted_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        table.status = Status::Active;
        table.deleted_at = None;
        Ok(table)
    }

    async fn get_schema(&self, name: &str) -> Result<DatabaseSchema> {
        let bytewise = self.dialect.bytewise();
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let database = Self::active_database(&mut tx, name).await?;
        let tables = query(format!(
            "SELECT {TABLE_COLUMNS} FROM tables WHERE database_id = $1 AND status = 'active' ORDER BY name COLLATE {bytewise}, id"
        ))
        .bind(database.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        let column_rows = sqlx::query(
            "SELECT table_id, name, column_type FROM columns WHERE table_id IN (SELECT id FROM tables WHERE database_id = $1 AND status = 'active') ORDER BY table_id, position",
        )
        .bind(database.id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        let mut columns: HashMap<i64, Vec<Column>> = HashMap::new();
        for row in &column_rows {
            let table_id: i64 = row.try_get("table_id").map_err(db_error)?;
            columns
                .entry(table_id)
                .or_default()
                .push(column_from_row(row)?);
        }
        let tables = tables
            .iter()
            .map(|row| {
                let table = table_from_row(row)?;
                let columns = columns.remove(&table.id).unwrap_or_default();
                Ok(TableSchema { table, columns })
            })
            .collect::<Result<_>>()?;
        Ok(DatabaseSchema { database, tables })
    }

    async fn add_columns(
        &self,
        database_id: i64,
        table: &str,
        columns: &[Column],
    ) -> Result<TableSchema> {
        let mut tx = self.begin_write().await?;
        // Under the database's lock, so that two writers adding the same column cannot both
        // see it missing and give it different types.
        let database = self
            .lock_active_database_by_id(&mut tx, database_id)
            .await?;
        let found = query(format!(
            "SELECT {TABLE_COLUMNS} FROM tables WHERE database_id = $1 AND name = $2 AND status = 'active'"
        ))
        .bind(database_id)
        .bind(table)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let (table_record, mut schema) = match found {
            Some(row) => {
                let table_record = table_from_row(&row)?;
                let schema = Self::table_columns(&mut tx, table_record.id).await?;
                (table_record, schema)
            }
            None => (
                Self::insert_table(&mut tx, &database, table, &None).await?,
                Vec::new(),
            ),
        };
        let existing = schema.len();
        let mut types: HashMap<String, ColumnType> = schema
            .iter()
            .map(|c| (c.name.clone(), c.column_type))
            .collect();
        for column in columns {
            match types.get(&column.name) {
                Some(&column_type) if column_type == column.column_type => {}
                Some(&column_type) => {
                    return Err(Error::conflict(format!(
                        "column {:?} of table {table:?} is {column_type}; it cannot be written as {}",
                        column.name, column.column_type
                    )));
                }
                None => {
                    types.insert(column.name.clone(), column.column_type);
                    schema.push(column.clone());
                }
            }
        }
        // Checked only when columns are added: a table over a since-lowered limit keeps
        // taking writes to the columns it has.
        let limit = database.max_columns_per_table;
        if schema.len() > existing && schema.len() > usize::try_from(limit).unwrap_or(0) {
            return Err(database.column_limit_error(table, schema.len()));
        }
        let now = micros(Utc::now());
        for (position, column) in schema.iter().enumerate().skip(existing) {
            sqlx::query(
                "INSERT INTO columns (table_id, name, column_type, position, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(table_record.id)
            .bind(&column.name)
            .bind(column.column_type.as_str())
            .bind(position as i64)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(TableSchema {
            table: table_record,
            columns: schema,
        })
    }

    async fn add_parquet_files(&self, files: &[ParquetFile]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        Self::insert_parquet_files(&mut tx, files).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn replace_parquet_files(
        &self,
        replaced: &[Uuid],
        added: &[ParquetFile],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut marked = 0;
        for chunk in replaced.chunks(DELETE_CHUNK) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let mut q = query(format!(
                "UPDATE parquet_files SET replaced_at = $1 WHERE replaced_at IS NULL AND id IN ({})",
                placeholders.join(", ")
            ))
            .bind(micros(at));
            for id in chunk {
                q = q.bind(id.to_string());
            }
            marked += q.execute(&mut *tx).await.map_err(db_error)?.rows_affected();
        }
        if marked != replaced.len() as u64 {
            return Err(Error::conflict(
                "some of the files to replace were replaced or deleted meanwhile; plan again",
            ));
        }
        Self::insert_parquet_files(&mut tx, added).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn list_parquet_files(&self, database_id: i64) -> Result<Vec<ParquetFile>> {
        let rows = query(format!(
            "SELECT {PARQUET_COLUMNS} FROM parquet_files WHERE database_id = $1 AND replaced_at IS NULL ORDER BY table_id, min_time, id"
        ))
        .bind(database_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(parquet_file_from_row).collect()
    }

    async fn begin_parquet_upload(&self, path: &str, at: DateTime<Utc>) -> Result<()> {
        query("INSERT INTO parquet_uploads (path, started_at) VALUES ($1, $2)".to_string())
            .bind(path)
            .bind(micros(at))
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn stale_parquet_uploads(&self, started_before: DateTime<Utc>) -> Result<Vec<String>> {
        let rows = query(
            "SELECT path FROM parquet_uploads WHERE started_at < $1 ORDER BY started_at, path"
                .to_string(),
        )
        .bind(micros(started_before))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| row.try_get("path").map_err(db_error))
            .collect()
    }

    async fn forget_parquet_upload(&self, path: &str) -> Result<()> {
        query("DELETE FROM parquet_uploads WHERE path = $1".to_string())
            .bind(path)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list_replaced_parquet_files(
        &self,
        replaced_before: DateTime<Utc>,
    ) -> Result<Vec<ParquetFile>> {
        let rows = query(format!(
            "SELECT {PARQUET_COLUMNS} FROM parquet_files WHERE replaced_at < $1 ORDER BY replaced_at, id"
        ))
        .bind(micros(replaced_before))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(parquet_file_from_row).collect()
    }

    async fn delete_parquet_files(&self, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        // In chunks, as both backends limit the parameters of one statement.
        for chunk in ids.chunks(DELETE_CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let mut q = query(format!(
                "DELETE FROM parquet_files WHERE id IN ({})",
                placeholders.join(", ")
            ));
            for id in chunk {
                q = q.bind(id.to_string());
            }
            q.execute(&mut *tx).await.map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn last_persisted_wal_segment(&self, node_id: Uuid) -> Result<Option<i64>> {
        sqlx::query("SELECT MAX(wal_segment) AS segment FROM parquet_files WHERE node_id = $1")
            .bind(node_id.to_string())
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get("segment"))
            .map_err(db_error)
    }

    async fn create_database_token(&self, token: &DatabaseToken) -> Result<()> {
        let mut tx = self.begin_exclusive().await?;
        Self::insert_token(
            &mut tx,
            TokenKind::Database,
            &token.token,
            Some(crate::permissions::to_json(&token.permissions)),
        )
        .await?;
        tx.commit().await.map_err(db_error)
    }

    async fn list_database_tokens(&self, include_revoked: bool) -> Result<Vec<DatabaseToken>> {
        let filter = if include_revoked {
            ""
        } else {
            "WHERE revoked_at IS NULL"
        };
        let rows = query(format!(
            "SELECT {TOKEN_COLUMNS}, permissions FROM database_tokens {filter} ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(database_token_from_row).collect()
    }

    async fn get_database_token(&self, id: Uuid) -> Result<DatabaseToken> {
        database_token_from_row(&self.get_token(TokenKind::Database, id).await?)
    }

    async fn update_database_token(
        &self,
        id: Uuid,
        description: Option<String>,
        permissions: Option<Vec<Permission>>,
    ) -> Result<DatabaseToken> {
        let mut tx = self.begin_exclusive().await?;
        let row = query(format!(
            "SELECT {TOKEN_COLUMNS}, permissions FROM database_tokens WHERE id = $1 AND revoked_at IS NULL"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::not_found(format!("database token {id} not found or revoked")))?;
        let mut token = database_token_from_row(&row)?;
        if let Some(description) = description {
            token.token.description = description;
        }
        if let Some(permissions) = permissions {
            token.permissions = permissions;
        }
        sqlx::query("UPDATE database_tokens SET description = $1, permissions = $2 WHERE id = $3")
            .bind(&token.token.description)
            .bind(crate::permissions::to_json(&token.permissions))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        Self::log_token_change(&mut tx, TokenKind::Database, id).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(token)
    }

    async fn revoke_database_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<DatabaseToken> {
        self.revoke_token(TokenKind::Database, id, at).await?;
        self.get_database_token(id).await
    }

    async fn create_management_token(&self, token: &TokenRecord) -> Result<()> {
        let mut tx = self.begin_exclusive().await?;
        Self::insert_token(&mut tx, TokenKind::Management, token, None).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn list_management_tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = query(format!(
            "SELECT {TOKEN_COLUMNS} FROM management_tokens ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(token_from_row).collect()
    }

    async fn get_management_token(&self, id: Uuid) -> Result<TokenRecord> {
        token_from_row(&self.get_token(TokenKind::Management, id).await?)
    }

    async fn revoke_management_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<TokenRecord> {
        self.revoke_token(TokenKind::Management, id, at).await?;
        self.get_management_token(id).await
    }

    async fn record_token_use(&self, kind: TokenKind, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_exclusive().await?;
        query(format!(
            "UPDATE {} SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            token_table(kind)
        ))
        .bind(micros(at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        // Nodes serve token listings from their index, so the new time travels the feed too.
        Self::log_token_change(&mut tx, kind, id).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn token_changes_since(&self, seq: i64) -> Result<TokenChanges> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) AS newest, COALESCE(MIN(seq), 0) AS oldest FROM token_changes",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let newest: i64 = row.try_get("newest").map_err(db_error)?;
        let oldest: i64 = row.try_get("oldest").map_err(db_error)?;
        // Changes after `seq` were pruned: only a full reload is sure to miss nothing.
        let seq = if seq + 1 < oldest { 0 } else { seq };
        if newest <= seq {
            return Ok(TokenChanges {
                seq,
                ..TokenChanges::default()
            });
        }
        let management = self
            .changed_tokens(
                format!("SELECT {TOKEN_COLUMNS} FROM management_tokens"),
                seq,
                TokenKind::Management,
            )
            .await?;
        let database = self
            .changed_tokens(
                format!("SELECT {TOKEN_COLUMNS}, permissions FROM database_tokens"),
                seq,
                TokenKind::Database,
            )
            .await?;
        Ok(TokenChanges {
            seq: newest,
            management: management
                .iter()
                .map(token_from_row)
                .collect::<Result<_>>()?,
            database: database
                .iter()
                .map(database_token_from_row)
                .collect::<Result<_>>()?,
        })
    }

    async fn prune_token_changes(&self, keep: i64) -> Result<u64> {
        let mut tx = self.begin_exclusive().await?;
        let removed = sqlx::query(
            "DELETE FROM token_changes WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM token_changes) - $1",
        )
        .bind(keep)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
        tx.commit().await.map_err(db_error)?;
        Ok(removed)
    }

    async fn claim_setting(&self, key: &str, value: &str) -> Result<String> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let stored: String = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get("value"))
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(stored)
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for event in events {
            sqlx::query(
                "INSERT INTO audit_log (at, actor_kind, actor_id, action, target, source, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(micros(event.time))
            .bind(event.actor.kind())
            .bind(event.actor.id().map(|id| id.to_string()))
            .bind(&event.action)
            .bind(&event.target)
            .bind(&event.source)
            .bind(event.outcome.as_str())
            .bind(&event.detail)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn list_audit(&self, audit_query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        enum Bind {
            Int(i64),
            Text(String),
        }
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        let mut condition = |sql: &str, bind: Bind| {
            binds.push(bind);
            conditions.push(format!("{sql} ${}", binds.len()));
        };
        if let Some(actor) = audit_query.actor_id {
            condition("actor_id =", Bind::Text(actor.to_string()));
        }
        if let Some(kind) = &audit_query.actor_kind {
            condition("actor_kind =", Bind::Text(kind.clone()));
        }
        if let Some(action) = &audit_query.action {
            condition("action =", Bind::Text(action.clone()));
        }
        if let Some(since) = audit_query.since {
            condition("at >=", Bind::Int(micros(since)));
        }
        if let Some(until) = audit_query.until {
            condition("at <", Bind::Int(micros(until)));
        }
        if let Some(before) = audit_query.before {
            condition("id <", Bind::Int(before));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT id, at, actor_kind, actor_id, action, target, source, outcome, detail FROM audit_log {filter} ORDER BY id DESC LIMIT {}",
            audit_query.limit
        );
        let mut q = query(sql);
        for bind in binds {
            q = match bind {
                Bind::Int(v) => q.bind(v),
                Bind::Text(v) => q.bind(v),
            };
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(micros(before))
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(db_error)
    }
}

/// How many files one `DELETE` names.
const DELETE_CHUNK: usize = 500;

/// Checks that a soft-deleted `kind` (database, table) can be restored: it is deleted, and
/// not before `deleted_since` (when the undelete window began).
fn check_restorable(
    kind: &str,
    name: &str,
    id: i64,
    (status, deleted_at): (Status, Option<DateTime<Utc>>),
    deleted_since: DateTime<Utc>,
) -> Result<()> {
    let deleted_at = match (status, deleted_at) {
        (Status::Deleted, Some(at)) => at,
        _ => {
            return Err(Error::conflict(format!(
                "{kind} {name:?} (id {id}) is not deleted"
            )));
        }
    };
    if deleted_at < deleted_since {
        return Err(Error::not_found(format!(
            "{kind} {name:?} (id {id}) was deleted at {} and can no longer be restored: the undelete window has passed",
            deleted_at.to_rfc3339()
        )));
    }
    Ok(())
}

fn check_table_limit(database: &Database, active_tables: i64) -> Result<()> {
    if active_tables >= i64::from(database.max_tables) {
        return Err(database.table_limit_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://strata:s3cret@db:5432/strata"),
            "postgres://strata:***@db:5432/strata"
        );
        assert_eq!(
            redact_url("postgres://db/strata?user=u&password=s3cret&sslmode=require"),
            "postgres://db/strata?user=u&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("sqlite://data/catalog.db"),
            "sqlite://data/catalog.db"
        );
    }
}
