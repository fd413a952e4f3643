//! `GET|POST /api/v3/query_sql` and `/api/v3/query_influxql`: one query with a database
//! token that may read the database, the result in `format=json|jsonl|csv|pretty|parquet`.
//! Errors are InfluxDB 3's `{"error": …}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use strata_auth::Principal;
use strata_query::influxql::{InfluxqlRequest, params_from_json};
use strata_query::{OutputFormat, QueryStream};
use strata_types::{Action, Error};

use super::read_query_body;
use super::streamed::{Marker, streamed};
use crate::AppState;
use crate::auth::Source;
use crate::data_auth::{
    Credentials, DEBUG_HEADER, DataReader, DataRequest, SCAN_ONLY_HEADER, authenticate_data,
    query_origin, require_access,
};
use crate::error::v3_error_response;

/// The query language of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Sql,
    Influxql,
}

impl Language {
    /// The endpoint's data request: a bearer token, for the audit log under its route.
    fn data_request(self, source: &str) -> DataRequest<'_> {
        DataRequest {
            target: match self {
                Language::Sql => "/api/v3/query_sql",
                Language::Influxql => "/api/v3/query_influxql",
            },
            source,
            credentials: Credentials::Bearer,
            query_password: None,
        }
    }
}

/// The parameters, from the query string (GET) or a JSON body (POST).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryRequest {
    db: Option<String>,
    q: Option<String>,
    format: Option<String>,
    /// InfluxQL bind parameters, a JSON object (in a query string, its text).
    params: Option<serde_json::Value>,
}

impl QueryRequest {
    fn from_query_string(mut params: HashMap<String, String>) -> Result<Self, Error> {
        let bound = match params.remove("params") {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| Error::invalid(format!("params must be a JSON object: {e}")))?,
            ),
            None => None,
        };
        Ok(QueryRequest {
            db: params.remove("db"),
            q: params.remove("q"),
            format: params.remove("format"),
            params: bound,
        })
    }
}

pub async fn sql_get(
    state: State<AppState>,
    source: Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    get(Language::Sql, state, source, params, headers).await
}

pub async fn sql_post(
    state: State<AppState>,
    source: Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    post(Language::Sql, state, source, params, headers, body).await
}

pub async fn influxql_get(
    state: State<AppState>,
    source: Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    get(Language::Influxql, state, source, params, headers).await
}

pub async fn influxql_post(
    state: State<AppState>,
    source: Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    post(Language::Influxql, state, source, params, headers, body).await
}

async fn get(
    language: Language,
    State(state): State<AppState>,
    Source(source): Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    mut headers: HeaderMap,
) -> Response {
    let data_request = language.data_request(&source);
    let principal = match authenticate_data(&state, &mut headers, &data_request).await {
        Ok(principal) => principal,
        Err(e) => return v3_error_response(e),
    };
    let request = match params {
        Ok(Query(params)) => QueryRequest::from_query_string(params),
        Err(e) => Err(Error::invalid(e.body_text())),
    };
    run(language, &state, &data_request, principal, headers, request).await
}

async fn post(
    language: Language,
    State(state): State<AppState>,
    Source(source): Source,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    mut headers: HeaderMap,
    body: Body,
) -> Response {
    // The credential first: the body is read only for a caller with a database token.
    let data_request = language.data_request(&source);
    let principal = match authenticate_data(&state, &mut headers, &data_request).await {
        Ok(principal) => principal,
        Err(e) => return v3_error_response(e),
    };
    let body = match read_query_body(body).await {
        Ok(body) => body,
        Err(e) => return v3_error_response(e),
    };
    // Parameters may come in the query string, the JSON body, or both (the body wins).
    let mut request = match params.map_err(|e| Error::invalid(e.body_text())) {
        Ok(Query(params)) => match QueryRequest::from_query_string(params) {
            Ok(request) => request,
            Err(e) => return v3_error_response(e),
        },
        Err(e) => return v3_error_response(e),
    };
    let request = if body.is_empty() {
        Ok(request)
    } else {
        serde_json::from_slice::<QueryRequest>(&body)
            .map(|b| {
                request.db = b.db.or(request.db);
                request.q = b.q.or(request.q);
                request.format = b.format.or(request.format);
                request.params = b.params.or(request.params);
                request
            })
            .map_err(|e| {
                Error::invalid(format!(
                    "the body must be JSON like {{\"db\": \"…\", \"q\": \"SELECT …\", \"format\": \"json\"}}: {e}"
                ))
            })
    };
    run(language, &state, &data_request, principal, headers, request).await
}

/// Runs an authenticated caller's request, once it may read the database it names.
async fn run(
    language: Language,
    state: &AppState,
    data_request: &DataRequest<'_>,
    principal: Principal,
    headers: HeaderMap,
    request: Result<QueryRequest, Error>,
) -> Response {
    let request = match request {
        Ok(request) => request,
        Err(e) => return v3_error_response(e),
    };
    let database = request.db.filter(|d| !d.is_empty());
    if let Some(database) = &database
        && let Err(e) =
            require_access(state, &principal, data_request, Action::Read, database).await
    {
        return v3_error_response(e);
    }
    let Some(query) = request.q.filter(|q| !q.trim().is_empty()) else {
        return v3_error_response(Error::invalid("missing q value: give the query in `q`"));
    };
    let format = match request.format.as_deref().map(OutputFormat::parse) {
        None => OutputFormat::Json,
        Some(Ok(format)) => format,
        Some(Err(e)) => return v3_error_response(e),
    };
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = query_origin(&principal, header(DEBUG_HEADER), header(SCAN_ONLY_HEADER));
    let rows: Result<QueryStream, Error> = match language {
        Language::Sql => match database {
            Some(database) => state.query.sql(&database, &query, &origin).await,
            None => Err(Error::invalid(
                "missing db value: name the database in `db`",
            )),
        },
        Language::Influxql => {
            let params = match request.params.as_ref().map(params_from_json).transpose() {
                Ok(params) => params.unwrap_or_default(),
                Err(e) => return v3_error_response(e),
            };
            let request = InfluxqlRequest {
                database,
                query,
                params,
                access: Arc::new(DataReader(principal)),
                origin,
            };
            state
                .query
                .influxql_one(request)
                .await
                .map(|table| table.rows)
        }
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return v3_error_response(e),
    };
    let marker: Marker = Arc::new(move |message| format.error_marker(message));
    streamed(
        format.encode(rows),
        format.content_type(),
        marker,
        v3_error_response,
    )
    .await
}
