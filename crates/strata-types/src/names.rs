use crate::{Error, Result};

/// Database names: 1–64 characters of `[A-Za-z0-9_-]` and `/` (for `db/rp`), not starting with `_`.
pub fn validate_database_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 {
        return Err(Error::invalid(format!(
            "database name {name:?} must be between 1 and 64 characters long"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/')))
    {
        return Err(Error::invalid(format!(
            "database name {name:?} contains {bad:?}; use only letters, digits, '_', '-' and '/'"
        )));
    }
    if name.starts_with('_') {
        return Err(Error::invalid(format!(
            "database name {name:?} must not start with '_' (reserved for system databases)"
        )));
    }
    Ok(())
}

/// Table (measurement) names: non-empty UTF-8 without control characters; the `iox_` and `_`
/// prefixes are reserved and `time` names the timestamp column.
pub fn validate_table_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("table name must not be empty"));
    }
    if name.len() > 255 {
        return Err(Error::invalid(format!(
            "table name {name:?} is longer than 255 bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "table name {name:?} contains a control character"
        )));
    }
    if name.starts_with("iox_") || name.starts_with('_') {
        return Err(Error::invalid(format!(
            "table name {name:?} uses a reserved prefix ('iox_' and '_' are reserved)"
        )));
    }
    if name == "time" {
        return Err(Error::invalid(
            "table name \"time\" is reserved for the timestamp column",
        ));
    }
    Ok(())
}

/// The longest email address (RFC 5321's limit on a forward path).
pub const MAX_EMAIL_BYTES: usize = 254;

/// A user's email, trimmed and lower-cased so it matches however it is typed.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim();
    if email.len() > MAX_EMAIL_BYTES {
        // Not echoed: it may be anything, pasted into the wrong field.
        return Err(Error::invalid(format!(
            "an email address has at most {MAX_EMAIL_BYTES} characters"
        )));
    }
    let email = email.to_lowercase();
    let valid = email.len() <= MAX_EMAIL_BYTES
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid(format!(
            "{email:?} is not an email address; write it as name@example.com"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names() {
        for ok in ["a", "my-db_1", "telegraf/autogen", &"x".repeat(64)] {
            validate_database_name(ok).unwrap();
        }
        for bad in [
            "",
            "_internal",
            "has space",
            "dot.ted",
            &"x".repeat(65),
            "é",
        ] {
            assert!(validate_database_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in ["", "ada", "@example.com", "ada@", "a da@example.com"] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn table_names() {
        for ok in ["cpu", "température", "a-b_c"] {
            validate_table_name(ok).unwrap();
        }
        for bad in ["", "iox_x", "_x", "time", "a\nb"] {
            assert!(validate_table_name(bad).is_err(), "{bad:?} accepted");
        }
    }
}
