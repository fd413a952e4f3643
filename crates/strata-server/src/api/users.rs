use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use strata_auth::ManagementAction;

use super::rfc3339;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let users = state.catalog.list_users().await?;
    let account_id = state.identity.account_id;
    Ok(Json(Value::Array(
        users
            .iter()
            .map(|u| {
                json!({
                    "id": u.id,
                    "accountId": account_id,
                    "email": u.email,
                    "firstName": u.first_name,
                    "lastName": u.last_name,
                    "group": u.group.as_str(),
                    "status": u.status,
                    "createdAt": rfc3339(u.created_at),
                })
            })
            .collect(),
    )))
}
