use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use strata_auth::ManagementAction;
use strata_catalog::NewUser;
use strata_types::{Error, Result, User, UserGroup, UserUpdate, normalize_email};
use uuid::Uuid;

use super::rfc3339;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, JsonBody, PathParams};

fn user_json(state: &AppState, user: &User) -> Value {
    json!({
        "id": user.id,
        "accountId": state.identity.account_id,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "group": user.group.as_str(),
        "status": user.status,
        "subject": user.subject,
        "createdAt": rfc3339(user.created_at),
        "updatedAt": rfc3339(user.updated_at),
    })
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let users = state.catalog.list_users().await?;
    Ok(Json(Value::Array(
        users.iter().map(|u| user_json(&state, u)).collect(),
    )))
}

#[derive(Deserialize)]
pub struct UserPath {
    #[serde(rename = "userId")]
    user_id: String,
}

fn parse_user_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| {
        Error::invalid("the user id in the URL is not a UUID; use the id `user list` shows")
    })
}

fn parse_group(group: &str) -> Result<UserGroup> {
    UserGroup::parse(group).ok_or_else(|| {
        Error::invalid(format!(
            "group {group:?} is not one of Admin, Member or Auditor"
        ))
    })
}

/// Hashes a new password off the async threads, after checking its strength.
async fn password_hash(password: String) -> Result<String> {
    strata_identity::check_password_strength(&password)?;
    tokio::task::spawn_blocking(move || strata_identity::hash_password(&password))
        .await
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))?
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<UserPath>,
) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let user = state
        .catalog
        .get_user(parse_user_id(&path.user_id)?)
        .await?;
    Ok(Json(user_json(&state, &user)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteUser {
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    group: String,
    /// For the built-in identity provider; write-only.
    password: Option<String>,
    /// The user's `sub` at an external identity provider (`--oidc-user-claim sub`).
    subject: Option<String>,
}

/// A subject as given: trimmed, and not blank.
fn subject_of(subject: &Option<String>) -> Result<Option<String>> {
    match subject.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(Error::invalid(
            "subject must not be blank; leave it out instead",
        )),
        Some(subject) => Ok(Some(subject.to_string())),
    }
}

/// `POST /users`: invites (creates) a user.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<InviteUser>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller.principal.authorize(ManagementAction::ManageUsers)?;
        let email = normalize_email(&body.email)?;
        let group = parse_group(&body.group)?;
        if group == UserGroup::Admin || body.password.is_some() {
            caller.principal.authorize(ManagementAction::ManageAdmins)?;
        }
        let password_hash = match body.password.clone() {
            Some(password) => Some(password_hash(password).await?),
            None => None,
        };
        state
            .catalog
            .create_user(NewUser {
                email,
                first_name: body.first_name.trim().to_string(),
                last_name: body.last_name.trim().to_string(),
                group,
                password_hash,
                subject: subject_of(&body.subject)?,
            })
            .await
    }
    .await;
    let target = result
        .as_ref()
        .map_or_else(|_| body.email.trim().to_string(), |u| u.id.to_string());
    let user = caller
        .audited(&state, "user.create", target, result)
        .await?;
    Ok(Json(user_json(&state, &user)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUser {
    first_name: Option<String>,
    last_name: Option<String>,
    group: Option<String>,
    password: Option<String>,
}

/// `PATCH /users/{userId}`: names, group and/or password.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<UserPath>,
    JsonBody(body): JsonBody<UpdateUser>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller.principal.authorize(ManagementAction::ManageUsers)?;
        let id = parse_user_id(&path.user_id)?;
        if body.first_name.is_none()
            && body.last_name.is_none()
            && body.group.is_none()
            && body.password.is_none()
        {
            return Err(Error::invalid(
                "give at least one of firstName, lastName, group and password",
            ));
        }
        let group = body.group.as_deref().map(parse_group).transpose()?;
        if group == Some(UserGroup::Admin) || body.password.is_some() {
            caller.principal.authorize(ManagementAction::ManageAdmins)?;
        }
        let password_hash = match body.password.clone() {
            Some(password) => Some(password_hash(password).await?),
            None => None,
        };
        let user = state
            .catalog
            .update_user(
                id,
                UserUpdate {
                    first_name: body.first_name.as_deref().map(|s| s.trim().to_string()),
                    last_name: body.last_name.as_deref().map(|s| s.trim().to_string()),
                    group,
                },
            )
            .await?;
        // Setting a password also ends the user's sessions.
        match password_hash {
            Some(hash) => state.catalog.set_user_password(id, &hash).await,
            None => Ok(user),
        }
    }
    .await;
    let target = parse_user_id(&path.user_id)
        .map_or_else(|_| "<not a user id>".to_string(), |id| id.to_string());
    let user = caller
        .audited(&state, "user.update", target, result)
        .await?;
    Ok(Json(user_json(&state, &user)))
}

/// `DELETE /users/{userId}`: removes the user; their sessions stop working at once.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<UserPath>,
) -> ApiResult<StatusCode> {
    let result = async {
        caller.principal.authorize(ManagementAction::ManageUsers)?;
        let id = parse_user_id(&path.user_id)?;
        // The catalog refuses to remove the last Admin.
        state.catalog.remove_user(id).await
    }
    .await;
    let target = parse_user_id(&path.user_id)
        .map_or_else(|_| "<not a user id>".to_string(), |id| id.to_string());
    caller
        .audited(&state, "user.remove", target, result)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
