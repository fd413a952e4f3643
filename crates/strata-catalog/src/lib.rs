//! The catalog: Strata's single source of truth for metadata.
//!
//! [`Catalog`] is the one interface the rest of Strata uses. [`SqlCatalog`] implements it on
//! SQLite (the embedded default) and PostgreSQL (for many nodes), chosen by URL; both run the
//! same queries through sqlx's `Any` driver and differ only in their migrations' DDL.

mod migrations;
mod permissions;
mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use strata_types::{
    AuditEntry, AuditEvent, AuditQuery, Cluster, Column, Database, DatabaseSchema, DatabaseToken,
    DatabaseUpdate, DeviceAuthorization, DeviceStatus, Identity, NewDatabase, ParquetFile,
    PartitionTemplate, Permission, Result, SigningKey, Status, Table, TableSchema, TokenKind,
    TokenRecord, User, UserGroup, UserUpdate,
};
use uuid::Uuid;

pub use sql::{SqlCatalog, redact_url};

/// A user as it is created; the catalog assigns id and timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub group: UserGroup,
    /// An argon2id PHC string, for the built-in identity provider's sign-in.
    pub password_hash: Option<String>,
    /// The user's `sub` at an external identity provider.
    pub subject: Option<String>,
}

/// Tokens created, updated or revoked since a change sequence number, for refreshing a
/// node's in-memory token index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenChanges {
    /// The newest change included; pass it to the next call.
    pub seq: i64,
    pub management: Vec<TokenRecord>,
    pub database: Vec<DatabaseToken>,
}

#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    /// The account and cluster this catalog serves (created when the catalog was first opened).
    async fn identity(&self) -> Result<Identity>;
    async fn list_clusters(&self) -> Result<Vec<Cluster>>;

    /// Fails with `Conflict` when a user has the email.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    /// Ordered by email.
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn get_user(&self, id: Uuid) -> Result<User>;
    /// The user with this (normalized) email and their password hash, if any.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<(User, Option<String>)>>;
    /// The user with this subject at an external identity provider, if any.
    async fn find_user_by_subject(&self, subject: &str) -> Result<Option<User>>;
    async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User>;
    /// Deletes the user; their id stays in the audit log.
    async fn remove_user(&self, id: Uuid) -> Result<User>;
    /// Sets the password and ends the user's sessions: those issued before now are refused.
    async fn set_user_password(&self, id: Uuid, password_hash: &str) -> Result<User>;

    async fn add_signing_key(&self, key: &SigningKey) -> Result<()>;
    /// Every signing key not yet retired at `now`, newest first.
    async fn list_signing_keys(&self, now: DateTime<Utc>) -> Result<Vec<SigningKey>>;
    /// Marks a key to leave the JWKS after `at`.
    async fn retire_signing_key(&self, kid: &str, at: DateTime<Utc>) -> Result<()>;

    /// Fails with `Conflict` when the user code is taken by an authorization in progress.
    async fn create_device_authorization(&self, authorization: &DeviceAuthorization) -> Result<()>;
    async fn find_device_authorization(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>>;
    /// Records a poll; returns the authorization as it was before it.
    async fn poll_device_authorization(
        &self,
        device_code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<DeviceAuthorization>>;
    /// Approves or denies a pending authorization; `NotFound` when none is pending.
    async fn decide_device_authorization(
        &self,
        user_code: &str,
        status: DeviceStatus,
        user_id: Uuid,
    ) -> Result<DeviceAuthorization>;
    /// Forgets an authorization (its token was issued, or it expired).
    async fn delete_device_authorization(&self, device_code_hash: &str) -> Result<()>;

    /// Fails with `Conflict` when an active database has the name.
    async fn create_database(&self, database: NewDatabase) -> Result<Database>;
    /// Databases with the given status, or all of them; ordered by name, then id.
    async fn list_databases(&self, status: Option<Status>) -> Result<Vec<Database>>;
    /// The active database with this name.
    async fn get_database(&self, name: &str) -> Result<Database>;
    async fn update_database(&self, name: &str, update: DatabaseUpdate) -> Result<Database>;
    /// Soft delete: the database keeps its id and settings and can be undeleted.
    async fn delete_database(&self, name: &str, at: DateTime<Utc>) -> Result<Database>;
    async fn rename_database(&self, name: &str, new_name: &str) -> Result<Database>;
    /// Restores a database deleted at or after `deleted_since`, when its name is free.
    async fn undelete_database(&self, id: i64, deleted_since: DateTime<Utc>) -> Result<Database>;

    /// Fails with `InvalidArgument` when the database already has its maximum of tables.
    async fn create_table(
        &self,
        database: &str,
        name: &str,
        partition_template: Option<PartitionTemplate>,
    ) -> Result<Table>;
    async fn list_tables(&self, database: &str, status: Option<Status>) -> Result<Vec<Table>>;
    async fn delete_table(&self, database: &str, name: &str, at: DateTime<Utc>) -> Result<Table>;
    async fn rename_table(&self, database: &str, name: &str, new_name: &str) -> Result<Table>;
    async fn undelete_table(
        &self,
        database: &str,
        id: i64,
        deleted_since: DateTime<Utc>,
    ) -> Result<Table>;

    /// The active database with this name, its active tables and their columns.
    async fn get_schema(&self, database: &str) -> Result<DatabaseSchema>;
    /// Adds columns to a table of an active database, creating the table first when no active
    /// table has the name; columns the table already has with the same type are skipped.
    /// Returns the table's whole schema afterwards. One transaction, serialized with other
    /// changes to the database's tables, so concurrent writers agree on every column's type.
    ///
    /// Fails with `NotFound` when the database is not active, `Conflict` when a column exists
    /// with another type (naming both), and `InvalidArgument` when the table limit or the
    /// column limit (which counts `time`) would be exceeded.
    async fn add_columns(
        &self,
        database_id: i64,
        table: &str,
        columns: &[Column],
    ) -> Result<TableSchema>;

    /// Registers files in one transaction.
    async fn add_parquet_files(&self, files: &[ParquetFile]) -> Result<()>;
    /// Swaps files for the files compaction made of them, in one transaction: the replaced
    /// files leave the listings (they stay known, for [`Catalog::list_replaced_parquet_files`])
    /// and the added ones join them. Fails with `Conflict`, changing nothing, when a replaced
    /// file was replaced or deleted meanwhile.
    async fn replace_parquet_files(
        &self,
        replaced: &[Uuid],
        added: &[ParquetFile],
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Every file of a database (all tables, deleted ones included) but those replaced,
    /// ordered by table, then minimum time.
    async fn list_parquet_files(&self, database_id: i64) -> Result<Vec<ParquetFile>>;
    /// Notes that a file's objects are being uploaded to `path`: registering the file
    /// ([`Catalog::add_parquet_files`], [`Catalog::replace_parquet_files`]) ends the upload in
    /// the same transaction, so an upload still noted long after it began was cut short and
    /// its objects are leftovers nothing refers to.
    async fn begin_parquet_upload(&self, path: &str, at: DateTime<Utc>) -> Result<()>;
    /// Paths of uploads begun before `started_before` whose files were never registered.
    async fn stale_parquet_uploads(&self, started_before: DateTime<Utc>) -> Result<Vec<String>>;
    /// Forgets an upload whose leftovers were deleted.
    async fn forget_parquet_upload(&self, path: &str) -> Result<()>;
    /// Files replaced before `replaced_before`, whose objects are due for deletion.
    async fn list_replaced_parquet_files(
        &self,
        replaced_before: DateTime<Utc>,
    ) -> Result<Vec<ParquetFile>>;
    /// Forgets files (after their objects were deleted); unknown ids are ignored.
    async fn delete_parquet_files(&self, ids: &[Uuid]) -> Result<()>;
    /// The newest WAL segment of `node_id` whose rows are in registered files, if any.
    async fn last_persisted_wal_segment(&self, node_id: Uuid) -> Result<Option<i64>>;

    async fn create_database_token(&self, token: &DatabaseToken) -> Result<()>;
    /// Ordered by creation time, then id.
    async fn list_database_tokens(&self, include_revoked: bool) -> Result<Vec<DatabaseToken>>;
    async fn get_database_token(&self, id: Uuid) -> Result<DatabaseToken>;
    /// Changes description and/or replaces the permission set of a token that is not revoked.
    async fn update_database_token(
        &self,
        id: Uuid,
        description: Option<String>,
        permissions: Option<Vec<Permission>>,
    ) -> Result<DatabaseToken>;
    async fn revoke_database_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<DatabaseToken>;

    async fn create_management_token(&self, token: &TokenRecord) -> Result<()>;
    /// Every management token, revoked ones included; ordered by creation time, then id.
    async fn list_management_tokens(&self) -> Result<Vec<TokenRecord>>;
    async fn get_management_token(&self, id: Uuid) -> Result<TokenRecord>;
    async fn revoke_management_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<TokenRecord>;

    /// Stores `value` under `key` unless a value is there already; returns the stored value.
    /// Nodes use it to agree on things they must share (the pepper's fingerprint).
    async fn claim_setting(&self, key: &str, value: &str) -> Result<String>;

    /// Records when a token was last used (callers coalesce these writes).
    async fn record_token_use(&self, kind: TokenKind, id: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// Every token changed after `seq`; `seq = 0` returns every token, and so does a `seq`
    /// older than the oldest change still kept (see [`Catalog::prune_token_changes`]).
    async fn token_changes_since(&self, seq: i64) -> Result<TokenChanges>;
    /// Forgets all but the newest `keep` token changes; returns how many were removed.
    async fn prune_token_changes(&self, keep: i64) -> Result<u64>;

    /// Appends entries in one transaction, in order.
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()>;
    /// Newest first.
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// Deletes the entries older than `before`; returns how many.
    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64>;
}
