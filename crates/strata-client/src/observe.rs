use std::sync::Arc;
use std::time::Duration;

/// A callback that sees every request and answer, for debug logging. Everything it is given
/// is already redacted: the `Authorization` header's value, token secrets in URLs and
/// bodies, and the `accessToken` of creation responses never reach it.
pub type Observer = Arc<dyn Fn(&HttpEvent<'_>) + Send + Sync>;

/// One step of an HTTP exchange, as an [`Observer`] sees it. A Flight query is shown as
/// one too: `method` is `DoGet`, the request's body is the ticket, the answer's body a
/// summary of what came back.
#[derive(Debug)]
pub enum HttpEvent<'a> {
    Request {
        method: &'a str,
        url: &'a str,
        headers: &'a [(String, String)],
        body: Option<&'a str>,
    },
    Response {
        method: &'a str,
        url: &'a str,
        status: u16,
        elapsed: Duration,
        headers: &'a [(String, String)],
        body: &'a str,
    },
    /// The request got no answer (see [`Error::Transport`](crate::Error::Transport)), or a
    /// Flight query was refused with a gRPC status (see [`Error::Grpc`](crate::Error::Grpc)).
    Failed {
        method: &'a str,
        url: &'a str,
        elapsed: Duration,
        error: &'a str,
    },
}

const SECRET_KEYS: [&str; 7] = [
    "accessToken",
    "access_token",
    "token",
    "password",
    "device_code",
    "refresh_token",
    "id_token",
];
pub(crate) const REDACTED: &str = "[REDACTED]";

/// `text` with secrets replaced by `[REDACTED]`: anything that starts like a Strata token
/// (`strata_mgmt_…`, `strata_db_…`), and, when `text` is JSON, the values of `accessToken`,
/// `access_token`, `token`, `password`, `device_code`, `refresh_token` and `id_token`
/// fields.
pub fn redact(text: &str) -> String {
    let text = strata_types::redact_secrets_with(text, REDACTED).into_owned();
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return text;
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(mut value) => {
            if redact_json(&mut value) {
                value.to_string()
            } else {
                text
            }
        }
        Err(_) => text,
    }
}

/// An answer's headers as the observer is given them: name and value, in order.
pub(crate) fn header_pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Form fields as `a=b&c=d` for logs, with the values of secret fields (as [`redact`]
/// knows them) replaced by `[REDACTED]`.
pub(crate) fn redact_form(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(key, value)| {
            let value = if SECRET_KEYS.contains(&key.as_str()) {
                REDACTED.to_string()
            } else {
                redact(value)
            };
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Redacts secret fields in place; returns whether anything changed.
fn redact_json(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for (key, value) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) && value.is_string() {
                    *value = serde_json::Value::String(REDACTED.to_string());
                    changed = true;
                } else {
                    changed |= redact_json(value);
                }
            }
            changed
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, v| redact_json(v) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_prefixed_tokens_and_secret_fields() {
        assert_eq!(
            redact("/tokens/strata_db_abcDEF123?x=1"),
            "/tokens/strata_db_[REDACTED]?x=1"
        );
        let body = r#"{"id":"1","accessToken":"anything-at-all","nested":[{"token":"t"}]}"#;
        let out = redact(body);
        assert!(!out.contains("anything-at-all"), "{out}");
        assert!(!out.contains("\"t\""), "{out}");
        assert!(out.contains("\"id\":\"1\""), "{out}");
        assert_eq!(redact("plain text"), "plain text");
        assert_eq!(redact("{not json"), "{not json");
        let out = redact(r#"{"email":"a@b","password":"hunter2hunter2","device_code":"dc"}"#);
        assert!(!out.contains("hunter2") && !out.contains("\"dc\""), "{out}");
    }

    #[test]
    fn redacts_secret_form_fields() {
        let fields = [
            ("grant_type".to_string(), "device".to_string()),
            ("device_code".to_string(), "secret-code".to_string()),
        ];
        assert_eq!(
            redact_form(&fields),
            "grant_type=device&device_code=[REDACTED]"
        );
    }
}
