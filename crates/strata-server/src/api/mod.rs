//! Management API handlers: parse the request, authorize, call the catalog or the
//! authenticator, audit, and shape the JSON answer.

pub mod audit;
pub mod clusters;
pub mod databases;
pub mod health;
pub mod idp;
pub mod management_tokens;
pub mod query;
mod streamed;
pub mod tables;
pub mod tokens;
pub mod users;
pub mod v1_query;
pub mod write;

use chrono::{DateTime, SecondsFormat, Utc};
use strata_types::{ErrorKind, Outcome, Result};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A time that serializes as RFC 3339 in UTC (as [`rfc3339`] writes it) with no string in between.
pub struct Rfc3339(pub DateTime<Utc>);

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.format("%Y-%m-%dT%H:%M:%S%.fZ"))
    }
}

impl Caller {
    /// Writes the audit entry for a management action with its outcome, then returns the result.
    pub async fn audited<T>(
        &self,
        state: &AppState,
        action: &str,
        target: impl Into<String>,
        result: Result<T>,
    ) -> ApiResult<T> {
        let (outcome, detail) = match &result {
            Ok(_) => (Outcome::Success, String::new()),
            Err(e) if e.kind == ErrorKind::PermissionDenied => (Outcome::Denied, e.message.clone()),
            Err(e) => (Outcome::Failed, e.message.clone()),
        };
        state
            .audit
            .record(
                self.principal.actor(),
                action,
                target,
                &self.source,
                outcome,
                detail,
            )
            .await;
        // Queries and writes on this node see a database or table change at once (other
        // nodes re-read schemas within a second).
        if result.is_ok() && (action.starts_with("database.") || action.starts_with("table.")) {
            state.storage.forget_schemas();
        }
        result.map_err(Into::into)
    }
}

/// The largest query request body read: room for the longest InfluxQL query, encoded.
const MAX_QUERY_BODY_BYTES: usize = 4 << 20;

/// A query request's body, read once the caller is authenticated; 413 past
/// [`MAX_QUERY_BODY_BYTES`].
pub async fn read_query_body(body: axum::body::Body) -> Result<axum::body::Bytes> {
    axum::body::to_bytes(body, MAX_QUERY_BODY_BYTES)
        .await
        .map_err(|_| {
            strata_types::Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the request body is too large ({} MiB at most)",
                    MAX_QUERY_BODY_BYTES >> 20
                ),
            )
        })
}

/// `?status=active|deleted|all` (default `active`).
pub fn status_filter(status: Option<&str>) -> Result<Option<strata_types::Status>> {
    match status {
        None | Some("active") => Ok(Some(strata_types::Status::Active)),
        Some("all") => Ok(None),
        Some(other) => strata_types::Status::parse(other).map(Some).ok_or_else(|| {
            strata_types::Error::invalid(format!(
                "status {other:?} is not supported; use active, deleted or all"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_and_string_times_agree() {
        for at in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.120Z",
            "2026-01-02T03:04:05.123456Z",
            "2026-01-02T03:04:05.123456789Z",
        ] {
            let at: DateTime<Utc> = at.parse().unwrap();
            let typed = serde_json::to_string(&Rfc3339(at)).unwrap();
            assert_eq!(typed, format!("\"{}\"", rfc3339(at)));
        }
    }
}
