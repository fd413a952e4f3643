use serde::{Deserialize, Serialize};

use crate::{Error, Result, validate_database_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Read,
    Write,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }
}

/// One grant of a database token: `read` or `write` on a database or on `*`.
///
/// The API names the database (`resource`); access follows the database it named when the
/// grant was made (`database_id`), so renaming the database keeps the access, and a new
/// database given a deleted one's name does not inherit it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Permission {
    pub action: Action,
    /// A database name, or `*`.
    pub resource: String,
    /// The database `resource` named when the permission was granted; `None` for `*`, and
    /// for a permission not granted yet. Never taken from or shown to callers.
    #[serde(skip)]
    pub database_id: Option<i64>,
}

impl Permission {
    pub const ALL_DATABASES: &'static str = "*";

    /// A permission as a caller asks for it, not yet bound to a database.
    pub fn new(action: Action, resource: impl Into<String>) -> Self {
        Permission {
            action,
            resource: resource.into(),
            database_id: None,
        }
    }

    /// Whether this is `*`.
    pub fn is_all_databases(&self) -> bool {
        self.resource == Self::ALL_DATABASES
    }

    pub fn validate(&self) -> Result<()> {
        if self.resource == Self::ALL_DATABASES {
            return Ok(());
        }
        validate_database_name(&self.resource).map_err(|e| {
            Error::invalid(format!(
                "permission resource must be a database name or \"*\": {}",
                e.message
            ))
        })
    }

    /// Whether this grant allows `action` on the database with id `database_id`.
    pub fn allows(&self, action: Action, database_id: i64) -> bool {
        self.action == action && (self.is_all_databases() || self.database_id == Some(database_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_every_database_for_its_action_only() {
        let p = Permission::new(Action::Read, "*");
        assert!(p.allows(Action::Read, 1));
        assert!(!p.allows(Action::Write, 1));
        let q = Permission {
            database_id: Some(7),
            ..Permission::new(Action::Write, "db")
        };
        assert!(q.allows(Action::Write, 7));
        assert!(
            !q.allows(Action::Write, 8),
            "another database, whatever its name"
        );
        assert!(
            !Permission::new(Action::Write, "db").allows(Action::Write, 7),
            "a permission not bound to a database allows none"
        );
    }

    #[test]
    fn resource_must_be_a_database_name_or_star() {
        let bad = Permission::new(Action::Read, "no spaces");
        assert!(bad.validate().is_err());
    }
}
