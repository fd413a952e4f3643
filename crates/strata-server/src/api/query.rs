//! `GET|POST /api/v3/query_sql`: SQL with a database token that may read the database, the
//! result in `format=json|jsonl|csv|pretty|parquet`. Errors are InfluxDB 3's `{"error": …}`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use strata_query::OutputFormat;
use strata_types::{Action, Error};

use crate::AppState;
use crate::auth::Source;
use crate::data_auth::{Credentials, DataRequest, authorize_data};
use crate::error::v3_error_response;

/// The parameters, from the query string (GET) or a JSON body (POST).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlRequest {
    db: Option<String>,
    q: Option<String>,
    format: Option<String>,
}

pub async fn sql_get(
    State(state): State<AppState>,
    Source(source): Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let request = match params {
        Ok(Query(mut params)) => Ok(SqlRequest {
            db: params.remove("db"),
            q: params.remove("q"),
            format: params.remove("format"),
        }),
        Err(e) => Err(Error::invalid(e.body_text())),
    };
    run(&state, &source, headers, request).await
}

pub async fn sql_post(
    State(state): State<AppState>,
    Source(source): Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Parameters may come in the query string, the JSON body, or both (the body wins).
    let mut request = match params {
        Ok(Query(mut params)) => SqlRequest {
            db: params.remove("db"),
            q: params.remove("q"),
            format: params.remove("format"),
        },
        Err(e) => return v3_error_response(Error::invalid(e.body_text())),
    };
    let request = if body.is_empty() {
        Ok(request)
    } else {
        serde_json::from_slice::<SqlRequest>(&body)
            .map(|b| {
                request.db = b.db.or(request.db);
                request.q = b.q.or(request.q);
                request.format = b.format.or(request.format);
                request
            })
            .map_err(|e| {
                Error::invalid(format!(
                    "the body must be JSON like {{\"db\": \"…\", \"q\": \"SELECT …\", \"format\": \"json\"}}: {e}"
                ))
            })
    };
    run(&state, &source, headers, request).await
}

async fn run(
    state: &AppState,
    source: &str,
    mut headers: HeaderMap,
    request: Result<SqlRequest, Error>,
) -> Response {
    let database = request.as_ref().ok().and_then(|r| r.db.clone());
    let data_request = DataRequest {
        target: "/api/v3/query_sql",
        source,
        credentials: Credentials::Bearer,
        query_password: None,
    };
    if let Err(e) = authorize_data(
        state,
        &mut headers,
        &data_request,
        Action::Read,
        database.as_deref().filter(|d| !d.is_empty()),
    )
    .await
    {
        return v3_error_response(e);
    }
    let request = match request {
        Ok(request) => request,
        Err(e) => return v3_error_response(e),
    };
    let Some(database) = request.db.filter(|d| !d.is_empty()) else {
        return v3_error_response(Error::invalid(
            "missing db value: name the database in `db`",
        ));
    };
    let Some(sql) = request.q.filter(|q| !q.trim().is_empty()) else {
        return v3_error_response(Error::invalid("missing q value: give the SQL query in `q`"));
    };
    let format = match request.format.as_deref().map(OutputFormat::parse) {
        None => OutputFormat::Json,
        Some(Ok(format)) => format,
        Some(Err(e)) => return v3_error_response(e),
    };
    let result = match state.query.sql(&database, &sql).await {
        Ok(result) => result,
        Err(e) => return v3_error_response(e),
    };
    match tokio::task::spawn_blocking(move || format.encode(&result)).await {
        Ok(Ok(body)) => ([(CONTENT_TYPE, format.content_type())], body).into_response(),
        Ok(Err(e)) => v3_error_response(e),
        Err(e) => v3_error_response(Error::internal(format!("encoding a result failed: {e}"))),
    }
}
