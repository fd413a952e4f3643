//! `GET|POST /query`: InfluxDB 1.x's InfluxQL endpoint, for the 1.x clients and tools.
//!
//! Parameters `db`, `rp`, `q` (several statements separated by `;`), `epoch`, `chunked`,
//! `chunk_size`, `pretty` and `params` come from the query string or, for POST, a form body.
//! The token may also be the `p` parameter of the query string or a Basic password; it is
//! checked before the body is read. Each statement's answer or error is in its place in
//! `results`, as 1.x answers; the request fails as a whole (400) only when it cannot be read
//! or the query does not parse.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use strata_query::influxql::v1::{
    Epoch, encode_csv, encode_json, encode_json_chunks, encode_msgpack, encode_msgpack_chunks,
    msgpack_error,
};
use strata_query::influxql::{InfluxqlRequest, database_name, params_from_json};
use strata_types::{Action, Error};

use super::read_query_body;
use super::streamed::streamed;
use crate::AppState;
use crate::auth::Source;
use crate::data_auth::{
    Credentials, DataReader, DataRequest, SCAN_ONLY_HEADER, authenticate_data, query_origin,
    require_access,
};
use crate::error::{caller_message, status_of};

/// 1.x's default rows per chunk.
const DEFAULT_CHUNK_SIZE: usize = 10_000;

/// A 1.x error answer: `{"error": "…"}` with the error's status.
fn v1_error(error: Error) -> Response {
    let status = status_of(error.kind);
    (
        status,
        Json(serde_json::json!({ "error": caller_message(error) })),
    )
        .into_response()
}

/// A 1.x error answer in MessagePack, for a caller that asked for it.
fn v1_msgpack_error(error: Error) -> Response {
    let status = status_of(error.kind);
    let body = msgpack_error(&caller_message(error));
    (status, [(CONTENT_TYPE, MSGPACK)], body).into_response()
}

const MSGPACK: &str = "application/x-msgpack";

/// The answer's encoding, from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Csv,
    Msgpack,
}

impl Encoding {
    fn of(headers: &HeaderMap) -> Self {
        let accept = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        if accept.contains("application/csv") || accept.contains("text/csv") {
            Encoding::Csv
        } else if accept.contains(MSGPACK) && !accept.contains("json") {
            Encoding::Msgpack
        } else {
            Encoding::Json
        }
    }

    /// How a request refused as a whole is answered.
    fn refusal(self) -> fn(Error) -> Response {
        match self {
            Encoding::Msgpack => v1_msgpack_error,
            Encoding::Json | Encoding::Csv => v1_error,
        }
    }
}

/// The request's parameters: the query string, then a form body's (which win).
fn parameters(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        params.extend(url::form_urlencoded::parse(body).into_owned());
    }
    params
}

pub async fn query(
    State(state): State<AppState>,
    Source(source): Source,
    RawQuery(raw): RawQuery,
    mut headers: HeaderMap,
    body: Body,
) -> Response {
    let encoding = Encoding::of(&headers);
    let v1_error = encoding.refusal();
    // The credential first (a header, or `p` in the query string): the body is read only
    // for a caller with a database token.
    let in_url = parameters(raw.as_deref(), &headers, &[]);
    let data_request = DataRequest {
        target: "/query",
        source: &source,
        credentials: Credentials::V1,
        query_password: in_url.get("p").map(String::as_str),
    };
    let principal = match authenticate_data(&state, &mut headers, &data_request).await {
        Ok(principal) => principal,
        Err(e) => return v1_error(e),
    };
    let body = match read_query_body(body).await {
        Ok(body) => body,
        Err(e) => return v1_error(e),
    };
    let params = parameters(raw.as_deref(), &headers, &body);
    let database = params
        .get("db")
        .filter(|db| !db.is_empty())
        .map(|db| database_name(db, params.get("rp").map(String::as_str)));
    if let Some(database) = &database
        && let Err(e) =
            require_access(&state, &principal, &data_request, Action::Read, database).await
    {
        return v1_error(e);
    }
    let Some(text) = params.get("q").filter(|q| !q.trim().is_empty()) else {
        return v1_error(Error::invalid("missing required parameter \"q\""));
    };
    let epoch = match params.get("epoch").filter(|e| !e.is_empty()) {
        Some(epoch) => match Epoch::parse(epoch) {
            Ok(epoch) => Some(epoch),
            Err(e) => return v1_error(e),
        },
        None => None,
    };
    let chunk_size = match params.get("chunk_size").filter(|c| !c.is_empty()) {
        Some(size) => match size.parse::<usize>() {
            Ok(size) if size > 0 => size,
            _ => {
                return v1_error(Error::invalid(format!(
                    "chunk_size {size:?} is not a positive number of rows"
                )));
            }
        },
        None => DEFAULT_CHUNK_SIZE,
    };
    let chunked = params.get("chunked").is_some_and(|c| c == "true");
    let pretty = params.get("pretty").is_some_and(|p| p == "true");
    let bound = match params.get("params").filter(|p| !p.is_empty()) {
        Some(text) => match serde_json::from_str(text)
            .map_err(|e| Error::invalid(format!("params must be a JSON object: {e}")))
            .and_then(|value| params_from_json(&value))
        {
            Ok(bound) => bound,
            Err(e) => return v1_error(e),
        },
        None => HashMap::new(),
    };
    let request = InfluxqlRequest {
        database,
        query: text.clone(),
        params: bound,
        origin: query_origin(
            &principal,
            None,
            headers.get(SCAN_ONLY_HEADER).and_then(|v| v.to_str().ok()),
        ),
        access: Arc::new(DataReader(principal)),
    };
    let answer = match state.query.influxql(request) {
        Ok(answer) => answer,
        Err(e) => return v1_error(e),
    };
    let (body, content_type) = match encoding {
        Encoding::Csv => (encode_csv(answer, epoch, caller_message), "application/csv"),
        Encoding::Json if chunked => (
            encode_json_chunks(answer, epoch, chunk_size, caller_message),
            "application/json",
        ),
        Encoding::Json => (
            encode_json(answer, epoch, pretty, caller_message),
            "application/json",
        ),
        Encoding::Msgpack if chunked => (
            encode_msgpack_chunks(answer, epoch, chunk_size, caller_message),
            MSGPACK,
        ),
        Encoding::Msgpack => (encode_msgpack(answer, epoch, caller_message), MSGPACK),
    };
    // Errors are in the answer, in the statements' places: nothing to mark.
    streamed(body, content_type, Arc::new(|_| None), v1_error).await
}
