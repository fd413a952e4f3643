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

/// One grant of a database token: `read` or `write` on a database name or on `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Permission {
    pub action: Action,
    pub resource: String,
}

impl Permission {
    pub const ALL_DATABASES: &'static str = "*";

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

    /// Whether this grant allows `action` on `database`.
    pub fn allows(&self, action: Action, database: &str) -> bool {
        self.action == action && (self.resource == Self::ALL_DATABASES || self.resource == database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_every_database_for_its_action_only() {
        let p = Permission {
            action: Action::Read,
            resource: "*".into(),
        };
        assert!(p.allows(Action::Read, "anything"));
        assert!(!p.allows(Action::Write, "anything"));
        let q = Permission {
            action: Action::Write,
            resource: "db".into(),
        };
        assert!(q.allows(Action::Write, "db"));
        assert!(!q.allows(Action::Write, "db2"));
    }

    #[test]
    fn resource_must_be_a_database_name_or_star() {
        let bad = Permission {
            action: Action::Read,
            resource: "no spaces".into(),
        };
        assert!(bad.validate().is_err());
    }
}
