use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use strata_auth::ManagementAction;
use strata_types::{PartitionTemplate, Table, validate_table_name};

use super::databases::{Rename, StatusParams, parse_id};
use super::{rfc3339, status_filter};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, JsonBody, PathParams, QueryParams};

fn table_json(state: &AppState, database: &str, table: &Table) -> Value {
    let mut value = json!({
        "accountId": state.identity.account_id,
        "clusterId": state.identity.cluster.id,
        "databaseName": database,
        "id": table.id,
        "name": table.name,
        "status": table.status.as_str(),
        "createdAt": rfc3339(table.created_at),
    });
    if let Some(template) = &table.partition_template {
        value["partitionTemplate"] = json!(template);
    }
    if let Some(at) = table.deleted_at {
        value["deletedAt"] = json!(rfc3339(at));
    }
    value
}

#[derive(Deserialize)]
pub struct DatabasePath {
    #[serde(rename = "databaseName")]
    database: String,
}

#[derive(Deserialize)]
pub struct TablePath {
    #[serde(rename = "databaseName")]
    database: String,
    #[serde(rename = "tableName")]
    table: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTable {
    name: String,
    partition_template: Option<PartitionTemplate>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<DatabasePath>,
    JsonBody(body): JsonBody<CreateTable>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        validate_table_name(&body.name)?;
        let template = match body.partition_template.clone() {
            Some(template) => Some(template),
            // Tables without their own template inherit the database's.
            None => {
                state
                    .catalog
                    .get_database(&path.database)
                    .await?
                    .partition_template
            }
        };
        if let Some(template) = &template {
            template.validate()?;
        }
        state
            .catalog
            .create_table(&path.database, &body.name, template)
            .await
    }
    .await;
    let target = format!("{}/{}", path.database, body.name);
    let table = caller
        .audited(&state, "table.create", target, result)
        .await?;
    Ok(Json(table_json(&state, &path.database, &table)))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<DatabasePath>,
    QueryParams(params): QueryParams<StatusParams>,
) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let tables = state
        .catalog
        .list_tables(&path.database, status_filter(params.status.as_deref())?)
        .await?;
    Ok(Json(Value::Array(
        tables
            .iter()
            .map(|t| table_json(&state, &path.database, t))
            .collect(),
    )))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TablePath>,
) -> ApiResult<StatusCode> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        state
            .catalog
            .delete_table(&path.database, &path.table, Utc::now())
            .await
    }
    .await;
    let target = format!("{}/{}", path.database, path.table);
    caller
        .audited(&state, "table.delete", target, result)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TablePath>,
    JsonBody(body): JsonBody<Rename>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        validate_table_name(&body.name)?;
        state
            .catalog
            .rename_table(&path.database, &path.table, &body.name)
            .await
    }
    .await;
    let target = format!("{}/{} -> {}", path.database, path.table, body.name);
    let table = caller
        .audited(&state, "table.rename", target, result)
        .await?;
    Ok(Json(table_json(&state, &path.database, &table)))
}

/// `PUT /databases/{databaseName}/tables/{tableId}/undelete`: by numeric id.
pub async fn undelete(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<TablePath>,
) -> ApiResult<Json<Value>> {
    let result = async {
        caller
            .principal
            .authorize(ManagementAction::ManageDatabases)?;
        let id = parse_id("table", &path.table)?;
        let since = Utc::now() - state.settings.soft_delete_window;
        state
            .catalog
            .undelete_table(&path.database, id, since)
            .await
    }
    .await;
    let target = format!("{}/{}", path.database, path.table);
    let table = caller
        .audited(&state, "table.undelete", target, result)
        .await?;
    Ok(Json(table_json(&state, &path.database, &table)))
}
