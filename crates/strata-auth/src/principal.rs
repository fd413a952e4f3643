//! Who a credential says the caller is, and what each kind of caller may do on the
//! management plane (SPEC §2's matrix).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use strata_types::{Action, Actor, Error, Permission, UserGroup};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A long-lived management token: every management action, never data.
    ManagementToken {
        id: Uuid,
        expires_at: Option<DateTime<Utc>>,
    },
    /// A database token: data on the databases it names, never management.
    DatabaseToken {
        id: Uuid,
        permissions: Arc<[Permission]>,
    },
    /// A user's identity-provider session: management actions by group, never data.
    User {
        id: Uuid,
        group: UserGroup,
        expires_at: Option<DateTime<Utc>>,
    },
}

/// The management actions the permission matrix distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagementAction {
    /// List or get databases, tables, database tokens, users and clusters.
    Read,
    /// Create, update, delete, rename or undelete databases and tables.
    ManageDatabases,
    /// Create, update or revoke database tokens.
    ManageDatabaseTokens,
    /// Create, update or remove users.
    ManageUsers,
    /// Create or promote Admin users, or set passwords: ways to take over the account, so
    /// an Admin's session or a management token that never expires may, and a token that
    /// expires (which cannot outlive its creator) may not.
    ManageAdmins,
    CreateManagementTokens,
    ListManagementTokens,
    RevokeManagementTokens,
    ReadAuditLog,
}

impl Principal {
    /// When this caller's credential stops working, if it does.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Principal::ManagementToken { expires_at, .. } | Principal::User { expires_at, .. } => {
                *expires_at
            }
            Principal::DatabaseToken { .. } => None,
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Principal::ManagementToken { id, .. } => Actor::ManagementToken(*id),
            Principal::DatabaseToken { id, .. } => Actor::DatabaseToken(*id),
            Principal::User { id, .. } => Actor::User(*id),
        }
    }

    /// Refuses (403) a management action this caller may not take.
    pub fn authorize(&self, action: ManagementAction) -> Result<(), Error> {
        use ManagementAction::*;
        let allowed = match self {
            Principal::ManagementToken { expires_at, .. } => {
                action != ManageAdmins || expires_at.is_none()
            }
            Principal::DatabaseToken { .. } => {
                return Err(Error::permission_denied(
                    "database tokens cannot use the Management API; authenticate with a management token or a user session",
                ));
            }
            Principal::User { group, .. } => match group {
                UserGroup::Admin => true,
                UserGroup::Member => matches!(action, Read | ManageDatabaseTokens),
                UserGroup::Auditor => matches!(action, Read | ListManagementTokens | ReadAuditLog),
            },
        };
        if allowed {
            Ok(())
        } else if let Principal::ManagementToken { .. } = self {
            Err(Error::permission_denied(format!(
                "a management token that expires may not {}",
                describe(action)
            )))
        } else {
            Err(Error::permission_denied(format!(
                "your user group may not {}; ask an Admin",
                describe(action)
            )))
        }
    }

    /// Whether this caller may read (`Action::Read`) or write time series in the database with
    /// id `database_id`.
    pub fn may_access_data(&self, action: Action, database_id: i64) -> bool {
        match self {
            Principal::DatabaseToken { permissions, .. } => {
                permissions.iter().any(|p| p.allows(action, database_id))
            }
            Principal::ManagementToken { .. } | Principal::User { .. } => false,
        }
    }

    /// Whether this caller may `action` on every database (`*`), those not created yet too.
    pub fn may_access_every_database(&self, action: Action) -> bool {
        match self {
            Principal::DatabaseToken { permissions, .. } => permissions
                .iter()
                .any(|p| p.action == action && p.is_all_databases()),
            Principal::ManagementToken { .. } | Principal::User { .. } => false,
        }
    }

    /// Whether this caller may put `permission` into a database token it creates. Management
    /// principals allowed to manage tokens may grant any data permission; nobody else any.
    pub fn may_grant(&self, _permission: &Permission) -> bool {
        self.authorize(ManagementAction::ManageDatabaseTokens)
            .is_ok()
    }
}

fn describe(action: ManagementAction) -> &'static str {
    match action {
        ManagementAction::Read => "read management resources",
        ManagementAction::ManageDatabases => "create, change or delete databases and tables",
        ManagementAction::ManageDatabaseTokens => "create, change or revoke database tokens",
        ManagementAction::ManageUsers => "manage users",
        ManagementAction::ManageAdmins => {
            "create or promote Admin users or set passwords (that needs an Admin's session or a management token that does not expire)"
        }
        ManagementAction::CreateManagementTokens => "create management tokens",
        ManagementAction::ListManagementTokens => "list management tokens",
        ManagementAction::RevokeManagementTokens => "revoke management tokens",
        ManagementAction::ReadAuditLog => "read the audit log",
    }
}

/// Why a credential was refused (always HTTP 401). The message tells the caller what to do
/// without saying whether some token id exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    /// Not a credential this server issues, or no such token.
    Invalid,
    Expired {
        kind: strata_types::TokenKind,
        id: Uuid,
    },
    Revoked {
        kind: strata_types::TokenKind,
        id: Uuid,
    },
    /// A user session that does not verify, or whose user is gone; `reason` says which.
    Session {
        reason: &'static str,
        user: Option<Uuid>,
    },
}

impl AuthFailure {
    pub fn reason(&self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::Invalid => "invalid",
            AuthFailure::Expired { .. } => "expired",
            AuthFailure::Revoked { .. } => "revoked",
            AuthFailure::Session { reason, .. } => reason,
        }
    }

    pub fn actor(&self) -> Actor {
        use strata_types::TokenKind;
        match self {
            AuthFailure::Missing | AuthFailure::Invalid => Actor::Anonymous,
            AuthFailure::Session { user, .. } => user.map_or(Actor::Anonymous, Actor::User),
            AuthFailure::Expired { kind, id } | AuthFailure::Revoked { kind, id } => match kind {
                TokenKind::Management => Actor::ManagementToken(*id),
                TokenKind::Database => Actor::DatabaseToken(*id),
            },
        }
    }

    pub fn into_error(self) -> Error {
        Error::unauthenticated(match self {
            AuthFailure::Missing => {
                "unauthorized: no credential; send `Authorization: Bearer <token>`".to_string()
            }
            AuthFailure::Invalid => "unauthorized: the token is not valid".to_string(),
            AuthFailure::Expired { .. } => "unauthorized: the token has expired".to_string(),
            AuthFailure::Revoked { .. } => "unauthorized: the token has been revoked".to_string(),
            AuthFailure::Session { reason, .. } => {
                format!("unauthorized: {reason}; sign in again with `stratactl auth login`")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(group: UserGroup) -> Principal {
        Principal::User {
            id: Uuid::nil(),
            group,
            expires_at: None,
        }
    }

    #[test]
    fn matrix() {
        use ManagementAction::*;
        let all = [
            Read,
            ManageDatabases,
            ManageDatabaseTokens,
            ManageUsers,
            ManageAdmins,
            CreateManagementTokens,
            ListManagementTokens,
            RevokeManagementTokens,
            ReadAuditLog,
        ];
        let mgmt = Principal::ManagementToken {
            id: Uuid::nil(),
            expires_at: None,
        };
        let db = Principal::DatabaseToken {
            id: Uuid::nil(),
            permissions: Arc::from(vec![]),
        };
        for action in all {
            assert!(mgmt.authorize(action).is_ok());
            assert!(user(UserGroup::Admin).authorize(action).is_ok());
            assert!(db.authorize(action).is_err());
        }
        let member = user(UserGroup::Member);
        assert!(member.authorize(Read).is_ok());
        assert!(member.authorize(ManageDatabaseTokens).is_ok());
        assert!(member.authorize(ManageDatabases).is_err());
        assert!(member.authorize(CreateManagementTokens).is_err());
        assert!(member.authorize(ManageAdmins).is_err());
        let expiring = Principal::ManagementToken {
            id: Uuid::nil(),
            expires_at: Some(Utc::now()),
        };
        assert!(expiring.authorize(ManageUsers).is_ok());
        let refused = expiring.authorize(ManageAdmins).unwrap_err();
        assert!(
            refused
                .message
                .contains("a management token that expires may not"),
            "{refused}"
        );
        let auditor = user(UserGroup::Auditor);
        assert!(auditor.authorize(ListManagementTokens).is_ok());
        assert!(auditor.authorize(ManageDatabaseTokens).is_err());
        assert!(auditor.authorize(RevokeManagementTokens).is_err());
    }

    #[test]
    fn only_database_tokens_touch_data() {
        let db = Principal::DatabaseToken {
            id: Uuid::nil(),
            permissions: Arc::from(vec![Permission {
                database_id: Some(1),
                ..Permission::new(Action::Write, "a")
            }]),
        };
        assert!(db.may_access_data(Action::Write, 1));
        assert!(!db.may_access_data(Action::Read, 1));
        assert!(!db.may_access_data(Action::Write, 2));
        assert!(!db.may_access_every_database(Action::Write));
        assert!(!user(UserGroup::Admin).may_access_data(Action::Read, 1));
    }
}
