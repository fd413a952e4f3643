//! The records the catalog stores, as the rest of Strata sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PartitionTemplate, Permission};

/// The account and the cluster this catalog serves; created on first start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account_id: Uuid,
    pub cluster: Cluster,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserGroup {
    Admin,
    Member,
    Auditor,
}

impl UserGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            UserGroup::Admin => "Admin",
            UserGroup::Member => "Member",
            UserGroup::Auditor => "Auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "admin" => Some(UserGroup::Admin),
            "member" => Some(UserGroup::Member),
            "auditor" => Some(UserGroup::Auditor),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub group: UserGroup,
    pub status: String,
    /// The user's subject (`sub`) at an external identity provider, when sessions are matched
    /// by subject instead of email.
    pub subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sessions issued before this are refused: set when the user's password changes.
    pub sessions_valid_from: Option<DateTime<Utc>>,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub group: Option<UserGroup>,
}

/// A public key the identity provider signs sessions with. The private half never leaves the
/// node that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The JWT `kid`.
    pub kid: String,
    /// The JWT `alg`, e.g. `EdDSA`.
    pub algorithm: String,
    /// The raw public key, base64url without padding (a JWK's `x` for Ed25519).
    pub public_key: String,
    pub created_at: DateTime<Utc>,
    /// After this, sessions signed with the key have all expired and it leaves the JWKS.
    pub retire_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeviceStatus::Pending),
            "approved" => Some(DeviceStatus::Approved),
            "denied" => Some(DeviceStatus::Denied),
            _ => None,
        }
    }
}

/// One OAuth2 device authorization (RFC 8628) in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// HMAC of the device code under the pepper: the code itself is a bearer secret.
    pub device_code_hash: String,
    /// What the person types on the verification page, e.g. `BCDF-GHJK`.
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The least seconds between polls before `slow_down`.
    pub interval_secs: i64,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub status: DeviceStatus,
    /// Who approved or denied it.
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Deleted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Status::Active),
            "deleted" => Some(Status::Deleted),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub id: i64,
    pub name: String,
    pub retention_period_ns: i64,
    pub max_tables: i32,
    pub max_columns_per_table: i32,
    pub partition_template: Option<PartitionTemplate>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Database {
    /// Why a new table is refused when the database has its maximum of tables.
    pub fn table_limit_error(&self) -> crate::Error {
        crate::Error::invalid(format!(
            "database {:?} already has its maximum of {} tables; delete a table or raise the limit with `database update --max-tables`",
            self.name, self.max_tables
        ))
    }

    /// Why new columns are refused when `table` would have `columns` (counting `time`), more
    /// than the database allows per table.
    pub fn column_limit_error(&self, table: &str, columns: usize) -> crate::Error {
        crate::Error::invalid(format!(
            "table {table:?} would have {columns} columns; database {:?} allows {} per table (raise the limit with `database update --max-columns`)",
            self.name, self.max_columns_per_table
        ))
    }
}

/// What a new database is created with; limits already defaulted and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDatabase {
    pub name: String,
    pub retention_period_ns: i64,
    pub max_tables: i32,
    pub max_columns_per_table: i32,
    pub partition_template: Option<PartitionTemplate>,
}

/// A change to a database's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseUpdate {
    pub retention_period_ns: Option<i64>,
    pub max_tables: Option<i32>,
    pub max_columns_per_table: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub id: i64,
    pub database_id: i64,
    pub name: String,
    pub partition_template: Option<PartitionTemplate>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Who did something: a user, a management token, a database token, or nobody known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    User(Uuid),
    ManagementToken(Uuid),
    DatabaseToken(Uuid),
    /// The offline `strata admin` commands, run on the server's machine.
    System,
    Anonymous,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::ManagementToken(_) => "managementToken",
            Actor::DatabaseToken(_) => "databaseToken",
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User(id) | Actor::ManagementToken(id) | Actor::DatabaseToken(id) => Some(*id),
            Actor::System | Actor::Anonymous => None,
        }
    }

    pub fn from_parts(kind: &str, id: Option<Uuid>) -> Self {
        match (kind, id) {
            ("user", Some(id)) => Actor::User(id),
            ("managementToken", Some(id)) => Actor::ManagementToken(id),
            ("databaseToken", Some(id)) => Actor::DatabaseToken(id),
            ("system", _) => Actor::System,
            _ => Actor::Anonymous,
        }
    }

    /// The `createdBy` string of tokens: `user:<id>`, `managementToken:<id>` or `system`.
    pub fn label(&self) -> String {
        match self.id() {
            Some(id) => format!("{}:{id}", self.kind()),
            None => self.kind().to_string(),
        }
    }

    pub fn parse_label(label: &str) -> Self {
        match label.split_once(':') {
            Some((kind, id)) => Actor::from_parts(kind, Uuid::parse_str(id).ok()),
            None => Actor::from_parts(label, None),
        }
    }
}

/// Token metadata shared by both kinds. The secret is never here: only its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: Uuid,
    pub description: String,
    /// HMAC-SHA-256 of the secret under the server's pepper, hex-encoded.
    pub hash: String,
    /// A short, non-secret beginning of the token for people to recognise it by.
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Actor,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    /// Whether the token may be used at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseToken {
    pub token: TokenRecord,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenKind {
    Management,
    Database,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// An audit log entry as it is appended; the catalog assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub time: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub target: String,
    pub source: String,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub event: AuditEvent,
}

/// Which audit entries to list: newest first, `limit` at most, older than `before` (an id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor_id: Option<Uuid>,
    /// `user`, `managementToken`, `databaseToken`, `system` or `anonymous`.
    pub actor_kind: Option<String>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<i64>,
    pub limit: u32,
}
