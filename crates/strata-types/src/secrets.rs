//! The class prefixes of token secrets, and redaction of anything shaped like one, shared by
//! the server (the audit log) and the client (debug logs and messages).

use std::borrow::Cow;

/// The beginning of every management token secret.
pub const MANAGEMENT_TOKEN_PREFIX: &str = "strata_mgmt_";
/// The beginning of every database token secret.
pub const DATABASE_TOKEN_PREFIX: &str = "strata_db_";
/// Every token class prefix.
pub const TOKEN_PREFIXES: [&str; 2] = [MANAGEMENT_TOKEN_PREFIX, DATABASE_TOKEN_PREFIX];

/// `text` with anything that starts like a token (a class prefix and what follows it)
/// replaced, so a secret pasted into a URL or a name never reaches the audit log.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    redact_secrets_with(text, "<redacted>")
}

/// As [`redact_secrets`], with `marker` standing in for each secret's body after its class
/// prefix.
pub fn redact_secrets_with<'a>(text: &'a str, marker: &str) -> Cow<'a, str> {
    if !TOKEN_PREFIXES.iter().any(|p| text.contains(p)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = TOKEN_PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        out.push_str(&rest[..at]);
        out.push_str(prefix);
        out.push_str(marker);
        let after = &rest[at + prefix.len()..];
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_from_text() {
        // Shaped as minted secrets are: the prefix, 43 body and 6 checksum characters.
        let db = "strata_db_x7QaL2kP9vR4tY8wZ1bN6mC3dF5gH0jS2uE7iO4aB9cD1eF3g";
        let mgmt = "strata_mgmt_Qm3Zr8Tn1Vb6Xc4Lk9Jh2Gf7Dd5Ss0Aa3Pp8Oo1Ii6Uu4Yy9T";
        let text = format!("DELETE /api/v0/tokens/{db} and {mgmt}x: done");
        let redacted = redact_secrets(&text);
        assert_eq!(
            redacted,
            "DELETE /api/v0/tokens/strata_db_<redacted> and strata_mgmt_<redacted>: done"
        );
        assert!(matches!(
            redact_secrets("plain text"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
