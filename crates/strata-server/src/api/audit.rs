use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use strata_auth::ManagementAction;
use strata_types::{AuditQuery, Error};
use uuid::Uuid;

use super::rfc3339;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, QueryParams};

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditParams {
    actor: Option<String>,
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

fn parse_time(name: &str, value: &Option<String>) -> Result<Option<DateTime<Utc>>, Error> {
    value
        .as_deref()
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| Error::invalid(format!("{name} {v:?} is not an RFC 3339 time: {e}")))
        })
        .transpose()
}

/// `GET /auditLog`: newest first; page with `before=<id of the last entry seen>`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<AuditParams>,
) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::ReadAuditLog)?;
    let (actor_id, actor_kind) = match params.actor.as_deref() {
        None => (None, None),
        Some(kind @ ("system" | "anonymous")) => (None, Some(kind.to_string())),
        Some(id) => match Uuid::parse_str(id) {
            Ok(id) => (Some(id), None),
            Err(_) => {
                return Err(Error::invalid(
                    "actor must be a user or token id (a UUID), `system` or `anonymous`",
                )
                .into());
            }
        },
    };
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid(format!("limit must be between 1 and {MAX_LIMIT}")).into());
    }
    let query = AuditQuery {
        actor_id,
        actor_kind,
        action: params.action,
        since: parse_time("since", &params.since)?,
        until: parse_time("until", &params.until)?,
        before: params.before,
        limit,
    };
    let entries = state.catalog.list_audit(&query).await?;
    Ok(Json(Value::Array(
        entries
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "time": rfc3339(e.event.time),
                    "actorKind": e.event.actor.kind(),
                    "actorId": e.event.actor.id(),
                    "action": e.event.action,
                    "target": e.event.target,
                    "sourceAddress": e.event.source,
                    "outcome": e.event.outcome.as_str(),
                    "detail": e.event.detail,
                })
            })
            .collect(),
    )))
}
