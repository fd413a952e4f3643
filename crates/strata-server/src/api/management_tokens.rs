use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use strata_auth::{ManagementAction, NewManagementToken};

use super::tokens::{
    TokenPath, TokenView, audit_target, parse_expiry, parse_token_id, secret_response,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, JsonBody, PathParams};

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    caller
        .principal
        .authorize(ManagementAction::ListManagementTokens)?;
    let tokens = state.auth.list_management_tokens().await?;
    let views: Vec<_> = tokens
        .iter()
        .map(|t| TokenView::management(&state, t))
        .collect();
    Ok(Json(views).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TokenPath>,
) -> ApiResult<Response> {
    caller
        .principal
        .authorize(ManagementAction::ListManagementTokens)?;
    let token = state
        .catalog
        .get_management_token(parse_token_id(&path.token_id)?)
        .await?;
    Ok(Json(TokenView::management(&state, &token)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateManagementToken {
    description: String,
    expires_at: Option<String>,
    expiration_type: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateManagementToken>,
) -> ApiResult<Response> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::CreateManagementTokens)?;
        let expires_at = parse_expiry(body.expires_at.as_deref(), body.expiration_type.as_deref())?;
        let new = NewManagementToken {
            description: body.description.clone(),
            expires_at,
        };
        state
            .auth
            .create_management_token(Some(&caller.principal), new, Utc::now())
            .await
    }
    .await;
    let target = result
        .as_ref()
        .map_or_else(|_| body.description.clone(), |(t, _)| t.id.to_string());
    let (token, secret) = caller
        .audited(&state, "managementToken.create", target, result)
        .await?;
    Ok(secret_response(
        TokenView::management(&state, &token).with_secret(&secret),
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TokenPath>,
) -> ApiResult<StatusCode> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::RevokeManagementTokens)?;
        let id = parse_token_id(&path.token_id)?;
        state
            .auth
            .revoke_management_token(Some(&caller.principal), id)
            .await
    }
    .await;
    caller
        .audited(
            &state,
            "managementToken.revoke",
            audit_target(&path.token_id),
            result,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
