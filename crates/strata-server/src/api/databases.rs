use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use strata_auth::ManagementAction;
use strata_types::{
    DEFAULT_MAX_COLUMNS_PER_TABLE, DEFAULT_MAX_TABLES, Database, DatabaseUpdate, Error,
    MAX_COLUMNS_PER_TABLE_LIMIT, NewDatabase, PartitionTemplate, Result, validate_database_name,
    validate_retention_period,
};

use super::{rfc3339, status_filter};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, JsonBody, PathParams, QueryParams};

pub fn database_json(state: &AppState, db: &Database) -> Value {
    let mut value = json!({
        "accountId": state.identity.account_id,
        "clusterId": state.identity.cluster.id,
        "id": db.id,
        "name": db.name,
        "maxTables": db.max_tables,
        "maxColumnsPerTable": db.max_columns_per_table,
        "retentionPeriod": db.retention_period_ns,
        "status": db.status.as_str(),
        "createdAt": rfc3339(db.created_at),
    });
    if let Some(template) = &db.partition_template {
        value["partitionTemplate"] = json!(template);
    }
    if let Some(at) = db.deleted_at {
        value["deletedAt"] = json!(rfc3339(at));
    }
    value
}

#[derive(Deserialize)]
pub struct DatabasePath {
    #[serde(rename = "databaseName")]
    pub database: String,
}

#[derive(Deserialize)]
pub struct StatusParams {
    pub status: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<StatusParams>,
) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let databases = state
        .catalog
        .list_databases(status_filter(params.status.as_deref())?)
        .await?;
    Ok(Json(Value::Array(
        databases.iter().map(|d| database_json(&state, d)).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateDatabase {
    name: String,
    max_tables: Option<i32>,
    max_columns_per_table: Option<i32>,
    retention_period: Option<i64>,
    partition_template: Option<PartitionTemplate>,
}

/// Limits given as 0 (or not at all) take the default.
fn max_tables(value: i32) -> Result<i32> {
    match value {
        0 => Ok(DEFAULT_MAX_TABLES),
        v if v < 0 => Err(Error::invalid(format!(
            "maxTables {v} is negative; give at least 1 (0 takes the default of {DEFAULT_MAX_TABLES})"
        ))),
        v => Ok(v),
    }
}

fn max_columns(value: i32) -> Result<i32> {
    match value {
        0 => Ok(DEFAULT_MAX_COLUMNS_PER_TABLE),
        v if !(1..=MAX_COLUMNS_PER_TABLE_LIMIT).contains(&v) => Err(Error::invalid(format!(
            "maxColumnsPerTable {v} is out of range; give 1 to {MAX_COLUMNS_PER_TABLE_LIMIT} (0 takes the default of {DEFAULT_MAX_COLUMNS_PER_TABLE})"
        ))),
        v => Ok(v),
    }
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateDatabase>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        validate_database_name(&body.name)?;
        let retention_period_ns = body.retention_period.unwrap_or(0);
        validate_retention_period(retention_period_ns)?;
        if let Some(template) = &body.partition_template {
            template.validate()?;
        }
        state
            .catalog
            .create_database(NewDatabase {
                name: body.name.clone(),
                retention_period_ns,
                max_tables: max_tables(body.max_tables.unwrap_or(0))?,
                max_columns_per_table: max_columns(body.max_columns_per_table.unwrap_or(0))?,
                partition_template: body.partition_template.clone(),
            })
            .await
    }
    .await;
    let db = caller
        .audited(&state, "database.create", &body.name, result)
        .await?;
    Ok(Json(database_json(&state, &db)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateDatabase {
    max_tables: Option<i32>,
    max_columns_per_table: Option<i32>,
    retention_period: Option<i64>,
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<DatabasePath>,
    JsonBody(body): JsonBody<UpdateDatabase>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        if body.max_tables.is_none()
            && body.max_columns_per_table.is_none()
            && body.retention_period.is_none()
        {
            return Err(Error::invalid(
                "give at least one of maxTables, maxColumnsPerTable and retentionPeriod to change",
            ));
        }
        if let Some(retention) = body.retention_period {
            validate_retention_period(retention)?;
        }
        let update = DatabaseUpdate {
            retention_period_ns: body.retention_period,
            max_tables: body.max_tables.map(max_tables).transpose()?,
            max_columns_per_table: body.max_columns_per_table.map(max_columns).transpose()?,
        };
        state.catalog.update_database(&path.database, update).await
    }
    .await;
    let db = caller
        .audited(&state, "database.update", &path.database, result)
        .await?;
    Ok(Json(database_json(&state, &db)))
}

/// Deleting, renaming and restoring a database make this node forget its cached schema, so
/// the tokens' permissions (bound to database ids) see the change at once here.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<DatabasePath>,
) -> ApiResult<StatusCode> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        state
            .catalog
            .delete_database(&path.database, Utc::now())
            .await
    }
    .await;
    caller
        .audited(&state, "database.delete", &path.database, result)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<DatabasePath>,
    JsonBody(body): JsonBody<Rename>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        validate_database_name(&body.name)?;
        state
            .catalog
            .rename_database(&path.database, &body.name)
            .await
    }
    .await;
    let target = format!("{} -> {}", path.database, body.name);
    let db = caller
        .audited(&state, "database.rename", target, result)
        .await?;
    Ok(Json(database_json(&state, &db)))
}

pub fn parse_id(what: &str, value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Error::invalid(format!("{what} id {value:?} is not a positive integer; undelete takes the numeric id that list shows")))
}

/// `PUT /databases/{databaseId}/undelete`: by numeric id, within the undelete window.
pub async fn undelete(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<DatabasePath>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        let id = parse_id("database", &path.database)?;
        let since = Utc::now() - state.settings.soft_delete_window;
        state.catalog.undelete_database(id, since).await
    }
    .await;
    let db = caller
        .audited(&state, "database.undelete", &path.database, result)
        .await?;
    Ok(Json(database_json(&state, &db)))
}
