//! The Management API's request and response bodies, field for field as the server's
//! OpenAPI document (`GET /api/v0/openapi.json`) describes them. Fields are camelCase on the
//! wire; times are RFC 3339; token, user, account and cluster ids are UUIDs; database and
//! table ids are 64-bit integers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strata_types::{PartitionTemplate, Permission, Status};
use uuid::Uuid;

use crate::Secret;

/// Which databases or tables a list returns (the `status` query parameter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Only active ones (the server's default).
    #[default]
    Active,
    /// Only soft-deleted ones, which can still be undeleted.
    Deleted,
    /// Both.
    All,
}

impl StatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Active => "active",
            StatusFilter::Deleted => "deleted",
            StatusFilter::All => "all",
        }
    }
}

/// A database (`Database` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Database {
    pub account_id: Uuid,
    pub cluster_id: Uuid,
    /// The numeric id; undelete takes it.
    pub id: i64,
    pub name: String,
    pub max_tables: i32,
    pub max_columns_per_table: i32,
    /// In nanoseconds; 0 means infinite.
    pub retention_period: i64,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_template: Option<PartitionTemplate>,
    /// Present only on deleted databases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A table (`Table` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    pub account_id: Uuid,
    pub cluster_id: Uuid,
    pub database_name: String,
    /// The numeric id; undelete takes it.
    pub id: i64,
    pub name: String,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_template: Option<PartitionTemplate>,
    /// Present only on deleted tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A token's metadata (`ManagementToken` schema); never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenMetadata {
    pub account_id: Uuid,
    pub cluster_id: Uuid,
    pub id: Uuid,
    pub description: String,
    /// A short, non-secret beginning of the token to recognise it by.
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    /// `user:<id>`, `managementToken:<id>` or `system`.
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the token last authenticated (coalesced to about a minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A management token's metadata.
pub type ManagementToken = TokenMetadata;

/// A database token's metadata and permissions (`DatabaseToken` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseToken {
    #[serde(flatten)]
    pub token: TokenMetadata,
    pub permissions: Vec<Permission>,
}

/// A new database token with its secret (`CreatedDatabaseToken` schema). The secret is
/// returned only this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedDatabaseToken {
    #[serde(flatten)]
    pub token: DatabaseToken,
    pub access_token: Secret,
}

/// A new management token with its secret (`CreatedManagementToken` schema). The secret is
/// returned only this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedManagementToken {
    #[serde(flatten)]
    pub token: ManagementToken,
    pub access_token: Secret,
}

/// A cluster (`Cluster` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub state: String,
    /// The address clients reach the cluster at.
    pub url: String,
    pub category: i32,
    pub created_at: DateTime<Utc>,
}

/// A user of the account (`User` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `Admin`, `Member` or `Auditor`.
    pub group: String,
    pub status: String,
    /// The user's `sub` at an external identity provider, when one is set.
    #[serde(default)]
    pub subject: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// One audit log entry (`AuditEntry` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Increasing; page with [`AuditQuery::before`].
    pub id: i64,
    pub time: DateTime<Utc>,
    /// `user`, `managementToken`, `databaseToken`, `system` or `anonymous`.
    pub actor_kind: String,
    /// `None` for `system` and `anonymous`.
    pub actor_id: Option<Uuid>,
    /// E.g. `database.create`.
    pub action: String,
    pub target: String,
    pub source_address: String,
    /// `success`, `denied` or `failed`.
    pub outcome: String,
    /// Why it was denied or failed; empty on success.
    pub detail: String,
}

/// `POST /databases` (`CreateDatabaseRequest` schema). Limits left out (or 0) take the
/// server's defaults (500 tables, 250 columns per table); no retention period is infinite.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatabase {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tables: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_columns_per_table: Option<i32>,
    /// In nanoseconds; 0 is infinite, otherwise at least one hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_template: Option<PartitionTemplate>,
}

impl CreateDatabase {
    /// A database with every setting at its default.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// `PATCH /databases/{databaseName}` (`UpdateDatabaseRequest` schema): at least one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDatabase {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tables: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_columns_per_table: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_period: Option<i64>,
}

/// `PUT …/rename` (`RenameRequest` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    pub name: String,
}

/// `POST /databases/{databaseName}/tables` (`CreateTableRequest` schema). Without a
/// template the table inherits the database's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTable {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_template: Option<PartitionTemplate>,
}

/// `POST /tokens` (`CreateDatabaseTokenRequest` schema).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatabaseToken {
    /// What the token is for; must not be empty.
    pub description: String,
    pub permissions: Vec<Permission>,
    /// When the token stops working; never, if `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `PATCH /tokens/{tokenId}` (`UpdateDatabaseTokenRequest` schema): at least one field.
/// `permissions` replaces the whole permission set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDatabaseToken {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
}

/// `POST /managementTokens` (`CreateManagementTokenRequest` schema).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateManagementToken {
    /// What the token is for; must not be empty.
    pub description: String,
    /// When the token stops working; never, if `None`. A token minted by an expiring token
    /// cannot outlive it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `POST /users` (`InviteUserRequest` schema).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `Admin`, `Member` or `Auditor` (any case).
    pub group: String,
    /// The password for the built-in identity provider's sign-in page (at least 12
    /// characters); none for users who sign in through an external provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// The user's `sub` at an external identity provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// `PATCH /users/{userId}` (`UpdateUserRequest` schema): at least one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `Admin`, `Member` or `Auditor` (any case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
}

/// The filters and page of `GET /auditLog`. Entries come newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// A user or token id, `system` or `anonymous`.
    pub actor: Option<String>,
    /// E.g. `database.create`.
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only entries older than this id (the id of the last entry of the previous page).
    pub before: Option<i64>,
    /// Entries per page: 1 to 1000 (the server's default is 100).
    pub limit: Option<u32>,
}

impl AuditQuery {
    /// The most entries the server returns in one page.
    pub const MAX_LIMIT: u32 = 1000;
}

#[cfg(test)]
mod tests {
    //! The types against the server's OpenAPI document: every field a type writes is a
    //! property of its schema, and every required property is written.

    use std::collections::BTreeSet;

    use serde_json::Value;
    use strata_types::{Action, TemplatePart};

    use super::*;

    const OPENAPI: &str = include_str!("../../strata-server/src/openapi.json");

    fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["components"]["schemas"][name]
    }

    /// (properties, required) of a schema, following `allOf` and `$ref`.
    fn fields(doc: &Value, schema: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            return fields(doc, self::schema(doc, name));
        }
        let mut properties = BTreeSet::new();
        let mut required = BTreeSet::new();
        if let Some(parts) = schema["allOf"].as_array() {
            for part in parts {
                let (p, r) = fields(doc, part);
                properties.extend(p);
                required.extend(r);
            }
        }
        if let Some(map) = schema["properties"].as_object() {
            properties.extend(map.keys().cloned());
        }
        if let Some(list) = schema["required"].as_array() {
            required.extend(list.iter().map(|v| v.as_str().unwrap().to_string()));
        }
        (properties, required)
    }

    #[track_caller]
    fn conforms<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
        name: &str,
        full: &T,
    ) {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let (properties, required) = fields(&doc, schema(&doc, name));
        assert!(!properties.is_empty(), "schema {name} not found");
        let json = serde_json::to_value(full).unwrap();
        let written: BTreeSet<String> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(written, properties, "{name}: fields differ from the schema");
        assert!(
            required.is_subset(&written),
            "{name}: a required field is missing"
        );
        let back: T = serde_json::from_value(json).unwrap();
        assert_eq!(&back, full, "{name} does not round-trip");
    }

    fn now() -> DateTime<Utc> {
        "2026-01-02T03:04:05.123456Z".parse().unwrap()
    }

    fn template() -> PartitionTemplate {
        PartitionTemplate(vec![
            TemplatePart::Time("%Y".into()),
            TemplatePart::Tag("host".into()),
        ])
    }

    fn metadata() -> TokenMetadata {
        TokenMetadata {
            account_id: Uuid::new_v4(),
            cluster_id: Uuid::new_v4(),
            id: Uuid::new_v4(),
            description: "d".into(),
            token_prefix: "strata_db_abcd".into(),
            created_at: now(),
            created_by: "system".into(),
            expires_at: Some(now()),
            revoked_at: Some(now()),
            last_used_at: Some(now()),
        }
    }

    fn database_token() -> DatabaseToken {
        DatabaseToken {
            token: metadata(),
            permissions: vec![Permission::new(Action::Read, "*")],
        }
    }

    #[test]
    fn responses_match_the_openapi_document() {
        conforms(
            "Database",
            &Database {
                account_id: Uuid::new_v4(),
                cluster_id: Uuid::new_v4(),
                id: 1,
                name: "db".into(),
                max_tables: 500,
                max_columns_per_table: 250,
                retention_period: 0,
                status: Status::Deleted,
                created_at: now(),
                partition_template: Some(template()),
                deleted_at: Some(now()),
            },
        );
        conforms(
            "Table",
            &Table {
                account_id: Uuid::new_v4(),
                cluster_id: Uuid::new_v4(),
                database_name: "db".into(),
                id: 1,
                name: "t".into(),
                status: Status::Active,
                created_at: now(),
                partition_template: Some(template()),
                deleted_at: Some(now()),
            },
        );
        conforms("ManagementToken", &metadata());
        conforms("DatabaseToken", &database_token());
        conforms(
            "CreatedDatabaseToken",
            &CreatedDatabaseToken {
                token: database_token(),
                access_token: Secret::new("strata_db_x"),
            },
        );
        conforms(
            "CreatedManagementToken",
            &CreatedManagementToken {
                token: metadata(),
                access_token: Secret::new("strata_mgmt_x"),
            },
        );
        conforms(
            "Cluster",
            &Cluster {
                id: Uuid::new_v4(),
                account_id: Uuid::new_v4(),
                name: "c".into(),
                state: "ready".into(),
                url: "http://h:1".into(),
                category: 1,
                created_at: now(),
            },
        );
        conforms(
            "User",
            &User {
                id: Uuid::new_v4(),
                account_id: Uuid::new_v4(),
                email: "a@b".into(),
                first_name: "A".into(),
                last_name: "B".into(),
                group: "Admin".into(),
                status: "active".into(),
                subject: Some("sub-1".into()),
                created_at: now(),
                updated_at: Some(now()),
            },
        );
        conforms(
            "AuditEntry",
            &AuditEntry {
                id: 1,
                time: now(),
                actor_kind: "system".into(),
                actor_id: Some(Uuid::new_v4()),
                action: "database.create".into(),
                target: "db".into(),
                source_address: "127.0.0.1".into(),
                outcome: "success".into(),
                detail: String::new(),
            },
        );
    }

    #[test]
    fn requests_match_the_openapi_document() {
        conforms(
            "CreateDatabaseRequest",
            &CreateDatabase {
                name: "db".into(),
                max_tables: Some(1),
                max_columns_per_table: Some(2),
                retention_period: Some(3),
                partition_template: Some(template()),
            },
        );
        conforms(
            "UpdateDatabaseRequest",
            &UpdateDatabase {
                max_tables: Some(1),
                max_columns_per_table: Some(2),
                retention_period: Some(3),
            },
        );
        conforms("RenameRequest", &Rename { name: "x".into() });
        conforms(
            "CreateTableRequest",
            &CreateTable {
                name: "t".into(),
                partition_template: Some(template()),
            },
        );
        conforms(
            "InviteUserRequest",
            &InviteUser {
                email: "a@example.com".into(),
                first_name: "A".into(),
                last_name: "B".into(),
                group: "Member".into(),
                password: Some(Secret::new("correct horse battery")),
                subject: Some("sub-1".into()),
            },
        );
        conforms(
            "UpdateUserRequest",
            &UpdateUser {
                first_name: Some("A".into()),
                last_name: Some("B".into()),
                group: Some("Auditor".into()),
                password: Some(Secret::new("correct horse battery")),
            },
        );
        conforms(
            "UpdateDatabaseTokenRequest",
            &UpdateDatabaseToken {
                description: Some("d".into()),
                permissions: Some(vec![]),
            },
        );
    }

    /// The creation requests also accept `expirationType`, which this client never sends
    /// (it sends `expiresAt` alone, or nothing for no expiry).
    #[test]
    fn token_creation_requests_write_a_subset_of_their_schema() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        for (name, json) in [
            (
                "CreateDatabaseTokenRequest",
                serde_json::to_value(CreateDatabaseToken {
                    description: "d".into(),
                    permissions: vec![],
                    expires_at: Some(now()),
                })
                .unwrap(),
            ),
            (
                "CreateManagementTokenRequest",
                serde_json::to_value(CreateManagementToken {
                    description: "d".into(),
                    expires_at: Some(now()),
                })
                .unwrap(),
            ),
        ] {
            let (properties, required) = fields(&doc, schema(&doc, name));
            let written: BTreeSet<String> = json.as_object().unwrap().keys().cloned().collect();
            assert!(written.is_subset(&properties), "{name}: {written:?}");
            assert!(required.is_subset(&written), "{name}: {required:?}");
        }
    }
}
