//! Management API handlers: parse the request, authorize, call the catalog or the
//! authenticator, audit, and shape the JSON answer.

pub mod audit;
pub mod clusters;
pub mod databases;
pub mod health;
pub mod management_tokens;
pub mod tables;
pub mod tokens;
pub mod users;

use chrono::{DateTime, SecondsFormat, Utc};
use strata_types::{ErrorKind, Outcome, Result};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
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
        result.map_err(Into::into)
    }
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
