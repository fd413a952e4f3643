use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strata_auth::{ManagementAction, NewDatabaseToken};
use strata_types::{Action, DatabaseToken, Error, Permission, Result, TokenRecord};
use uuid::Uuid;

use super::Rfc3339;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, JsonBody, PathParams, QueryParams};

/// A token as the API shows it: never the secret, except `accessToken` once, on creation.
/// Borrowed and typed, so listing thousands serializes straight into the response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView<'a> {
    account_id: Uuid,
    cluster_id: Uuid,
    id: Uuid,
    description: &'a str,
    token_prefix: &'a str,
    created_at: Rfc3339,
    created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<Rfc3339>,
    /// Database tokens only.
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<Vec<PermissionView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
}

impl<'a> TokenView<'a> {
    pub fn management(state: &AppState, token: &'a TokenRecord) -> Self {
        Self {
            account_id: state.identity.account_id,
            cluster_id: state.identity.cluster.id,
            id: token.id,
            description: &token.description,
            token_prefix: &token.display_prefix,
            created_at: Rfc3339(token.created_at),
            created_by: token.created_by.label(),
            expires_at: token.expires_at.map(Rfc3339),
            revoked_at: token.revoked_at.map(Rfc3339),
            last_used_at: token.last_used_at.map(Rfc3339),
            permissions: None,
            access_token: None,
        }
    }

    /// A database token, its permissions naming each database as it is named now.
    pub fn database(state: &AppState, token: &'a DatabaseToken, names: &'a DatabaseNames) -> Self {
        let permissions = token
            .permissions
            .iter()
            .map(|p| PermissionView {
                action: p.action,
                resource: p
                    .database_id
                    .and_then(|id| names.get(&id))
                    .unwrap_or(&p.resource),
            })
            .collect();
        Self {
            permissions: Some(permissions),
            ..Self::management(state, &token.token)
        }
    }

    /// The creation response: the only time the secret is shown.
    pub fn with_secret(self, secret: &'a str) -> Self {
        Self {
            access_token: Some(secret),
            ..self
        }
    }
}

/// A permission as the API shows it.
#[derive(Serialize)]
pub struct PermissionView<'a> {
    action: Action,
    resource: &'a str,
}

/// Every database's name now (a renamed one's new name), by id.
pub type DatabaseNames = HashMap<i64, String>;

async fn database_names(state: &AppState) -> Result<DatabaseNames> {
    Ok(state
        .catalog
        .list_databases(None)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// The token id of a URL. The text is not echoed back: a mistaken caller may have put a
/// secret where the id goes.
pub fn parse_token_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| {
        Error::invalid("the token id in the URL is not a UUID; use the id that token listings show")
    })
}

/// What the audit log names as the target of a call on `/tokens/{tokenId}`.
pub fn audit_target(id: &str) -> String {
    parse_token_id(id).map_or_else(|_| "<not a token id>".to_string(), |id| id.to_string())
}

/// A response that carries a secret: never to be stored by a cache.
pub fn secret_response(view: TokenView<'_>) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(view),
    )
        .into_response()
}

/// `expiresAt` as RFC 3339, with the `expirationType` some clients send beside it.
pub fn parse_expiry(
    expires_at: Option<&str>,
    expiration_type: Option<&str>,
) -> Result<Option<DateTime<Utc>>> {
    let at = expires_at
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| Error::invalid(format!("expiresAt {v:?} is not an RFC 3339 time ({e}); write e.g. 2030-01-31T00:00:00Z")))
        })
        .transpose()?;
    match (expiration_type, at) {
        (None, at) => Ok(at),
        (Some("noExpiration"), None) => Ok(None),
        (Some("noExpiration"), Some(_)) => Err(Error::invalid(
            "expirationType noExpiration cannot be given with expiresAt",
        )),
        (Some("datetime"), Some(at)) => Ok(Some(at)),
        (Some("datetime"), None) => Err(Error::invalid("expirationType datetime needs expiresAt")),
        (Some(other), _) => Err(Error::invalid(format!(
            "expirationType {other:?} is not supported; use datetime or noExpiration"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    include_revoked: Option<bool>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> ApiResult<Response> {
    caller.principal.authorize(ManagementAction::Read)?;
    let tokens = state
        .auth
        .list_database_tokens(params.include_revoked.unwrap_or(false))
        .await?;
    let names = database_names(&state).await?;
    let views: Vec<_> = tokens
        .iter()
        .map(|t| TokenView::database(&state, t, &names))
        .collect();
    Ok(Json(views).into_response())
}

#[derive(Deserialize)]
pub struct TokenPath {
    #[serde(rename = "tokenId")]
    pub token_id: String,
}

/// `GET /tokens/{tokenId}`: revoked tokens too, with `revokedAt`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TokenPath>,
) -> ApiResult<Response> {
    caller.principal.authorize(ManagementAction::Read)?;
    let token = state
        .catalog
        .get_database_token(parse_token_id(&path.token_id)?)
        .await?;
    let names = database_names(&state).await?;
    Ok(Json(TokenView::database(&state, &token, &names)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    description: String,
    #[serde(default)]
    permissions: Vec<Permission>,
    expires_at: Option<String>,
    expiration_type: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateToken>,
) -> ApiResult<Response> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabaseTokens)?;
        if body.description.trim().is_empty() {
            return Err(Error::invalid(
                "a database token needs a description saying what it is for",
            ));
        }
        let expires_at = parse_expiry(body.expires_at.as_deref(), body.expiration_type.as_deref())?;
        let new = NewDatabaseToken {
            description: body.description.clone(),
            permissions: body.permissions.clone(),
            expires_at,
        };
        state
            .auth
            .create_database_token(&caller.principal, new, Utc::now())
            .await
    }
    .await;
    let target = result.as_ref().map_or_else(
        |_| body.description.clone(),
        |(t, _)| t.token.id.to_string(),
    );
    let (token, secret) = caller
        .audited(&state, "token.create", target, result)
        .await?;
    let names = database_names(&state).await?;
    Ok(secret_response(
        TokenView::database(&state, &token, &names).with_secret(&secret),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateToken {
    description: Option<String>,
    permissions: Option<Vec<Permission>>,
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TokenPath>,
    JsonBody(body): JsonBody<UpdateToken>,
) -> ApiResult<Response> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabaseTokens)?;
        let id = parse_token_id(&path.token_id)?;
        if body.description.is_none() && body.permissions.is_none() {
            return Err(Error::invalid(
                "give description and/or permissions to change",
            ));
        }
        if body
            .description
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            return Err(Error::invalid("description must not be empty"));
        }
        state
            .auth
            .update_database_token(
                &caller.principal,
                id,
                body.description.clone(),
                body.permissions.clone(),
            )
            .await
    }
    .await;
    let token = caller
        .audited(&state, "token.update", audit_target(&path.token_id), result)
        .await?;
    let names = database_names(&state).await?;
    Ok(Json(TokenView::database(&state, &token, &names)).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TokenPath>,
) -> ApiResult<StatusCode> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabaseTokens)?;
        let id = parse_token_id(&path.token_id)?;
        state
            .auth
            .revoke_database_token(&caller.principal, id)
            .await
    }
    .await;
    caller
        .audited(&state, "token.revoke", audit_target(&path.token_id), result)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
