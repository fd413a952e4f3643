use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use strata_auth::ManagementAction;
use strata_types::{Cluster, Error};

use super::rfc3339;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, PathParams};

fn cluster_json(cluster: &Cluster, url: &str) -> Value {
    json!({
        "id": cluster.id,
        "accountId": cluster.account_id,
        "name": cluster.name,
        "state": cluster.state,
        "url": url,
        "category": 1,
        "createdAt": rfc3339(cluster.created_at),
    })
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let clusters = state.catalog.list_clusters().await?;
    Ok(Json(Value::Array(
        clusters
            .iter()
            .map(|c| cluster_json(c, &state.settings.public_url))
            .collect(),
    )))
}

#[derive(Deserialize)]
pub struct ClusterPath {
    #[serde(rename = "clusterId")]
    cluster_id: String,
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(path): PathParams<ClusterPath>,
) -> ApiResult<Json<Value>> {
    caller.principal.authorize(ManagementAction::Read)?;
    let clusters = state.catalog.list_clusters().await?;
    let cluster = clusters
        .iter()
        .find(|c| c.id.to_string() == path.cluster_id)
        .ok_or_else(|| Error::not_found(format!("cluster {} not found", path.cluster_id)))?;
    Ok(Json(cluster_json(cluster, &state.settings.public_url)))
}
