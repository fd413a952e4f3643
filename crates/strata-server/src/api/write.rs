//! The write endpoints: `POST /api/v2/write`, `POST /write` (InfluxDB 1.x) and
//! `POST /api/v3/write_lp`. Each reads its parameters and credentials the way its InfluxDB
//! API does and answers errors in that API's shape; the work is [`Storage::write`].
//!
//! [`Storage::write`]: strata_storage::Storage::write

use std::collections::HashMap;
use std::io::Read;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use strata_lp::Precision;
use strata_storage::{
    MAX_REPORTED_REJECTIONS, RejectReason, Rejection, WRITE_RETRY_AFTER, WriteOptions, WriteOutcome,
};
use strata_types::{Action, Error, ErrorKind};

use crate::AppState;
use crate::auth::Source;
use crate::data_auth::{Credentials, DataRequest, authorize_data};
use crate::error::{caller_message, status_of, v3_error_response};

/// Which InfluxDB API a request came in on; it fixes the error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
    V3,
}

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

/// `POST /api/v2/write?bucket=DB&org=…&precision=ns|us|ms|s`.
pub async fn v2(
    State(state): State<AppState>,
    Source(source): Source,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> Response {
    WriteRequest::new(Api::V2)
        .run(&state, &source, headers, params, body)
        .await
}

/// `POST /write?db=DB[&rp=RP]&precision=…`, with the 1.x credentials (`u`/`p` or Basic).
pub async fn v1(
    State(state): State<AppState>,
    Source(source): Source,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> Response {
    WriteRequest::new(Api::V1)
        .run(&state, &source, headers, params, body)
        .await
}

/// `POST /api/v3/write_lp?db=DB&precision=…&accept_partial=true|false`.
pub async fn v3(
    State(state): State<AppState>,
    Source(source): Source,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> Response {
    WriteRequest::new(Api::V3)
        .run(&state, &source, headers, params, body)
        .await
}

/// A write's parameters as its endpoint gave them; errors are answered after authentication.
struct WriteParams {
    database: Result<String, Error>,
    precision: Result<Precision, Error>,
    accept_partial: Result<bool, Error>,
    query_password: Option<String>,
}

impl WriteParams {
    /// Reads the query string the way `api` names things.
    fn read(api: Api, params: &HashMap<String, String>) -> WriteParams {
        let given = |name: &str| params.get(name).filter(|v| !v.is_empty());
        let missing = |name: &str| {
            Error::invalid(format!(
                "missing {name} value: name the database in `{name}=`"
            ))
        };
        let database = match api {
            Api::V2 => given("bucket").cloned().ok_or_else(|| missing("bucket")),
            Api::V3 => given("db").cloned().ok_or_else(|| missing("db")),
            Api::V1 => match (given("db"), given("rp")) {
                (None, _) => Err(missing("db")),
                (Some(db), Some(rp)) if rp != "autogen" => Ok(format!("{db}/{rp}")),
                (Some(db), _) => Ok(db.clone()),
            },
        };
        let accept_partial = match (api, params.get("accept_partial").map(String::as_str)) {
            (Api::V1 | Api::V2, _) => Ok(false),
            (Api::V3, None | Some("true")) => Ok(true),
            (Api::V3, Some("false")) => Ok(false),
            (Api::V3, Some(other)) => Err(Error::invalid(format!(
                "accept_partial={other:?} is not valid; use true or false"
            ))),
        };
        WriteParams {
            database,
            precision: precision(given("precision"), api),
            accept_partial,
            query_password: (api == Api::V1).then(|| params.get("p").cloned()).flatten(),
        }
    }
}

fn precision(given: Option<&String>, api: Api) -> Result<Precision, Error> {
    let Some(given) = given else {
        return Ok(Precision::Nanoseconds);
    };
    given.parse().map_err(|_| {
        Error::invalid(match api {
            Api::V2 => format!(
                "failed to deserialize org/bucket/precision in request: unknown variant `{given}`, expected one of `s`, `ms`, `us`, `ns`"
            ),
            _ => format!("precision {given:?} is not supported; use ns, us, ms or s"),
        })
    })
}

struct WriteRequest {
    api: Api,
    target: &'static str,
    credentials: Credentials,
}

impl WriteRequest {
    fn new(api: Api) -> Self {
        let (target, credentials) = match api {
            Api::V1 => ("POST /write", Credentials::V1),
            Api::V2 => ("POST /api/v2/write", Credentials::Bearer),
            Api::V3 => ("POST /api/v3/write_lp", Credentials::Bearer),
        };
        WriteRequest {
            api,
            target,
            credentials,
        }
    }
}

impl WriteRequest {
    async fn run(
        &self,
        state: &AppState,
        source: &str,
        mut headers: HeaderMap,
        params: Params,
        body: Body,
    ) -> Response {
        let params = match params {
            Ok(Query(params)) => WriteParams::read(self.api, &params),
            Err(e) => return self.error(Error::invalid(e.body_text())),
        };
        let WriteParams {
            database,
            precision,
            accept_partial,
            query_password,
        } = params;
        let request = DataRequest {
            target: self.target,
            source,
            credentials: self.credentials,
            query_password: query_password.as_deref(),
        };
        // Credentials first: nothing about the request is answered to an unknown caller.
        if let Err(e) = authorize_data(
            state,
            &mut headers,
            &request,
            Action::Write,
            database.as_deref().ok(),
        )
        .await
        {
            return self.error(e);
        }
        let (database, precision, accept_partial) = match (database, precision, accept_partial) {
            (Ok(d), Ok(p), Ok(a)) => (d, p, a),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return self.error(e),
        };
        let body = match read_body(&headers, body, state.settings.max_write_bytes).await {
            Ok(body) => body,
            Err(e) => return self.error(e),
        };
        let options = WriteOptions {
            precision,
            default_time: chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX),
            accept_partial,
        };
        match state.storage.write(&database, body, options).await {
            Ok(outcome) => {
                crate::metrics::lines_written(outcome.lines_written, outcome.rejected_count);
                self.outcome(outcome)
            }
            Err(e) => self.error(e),
        }
    }

    fn outcome(&self, outcome: WriteOutcome) -> Response {
        if outcome.rejected_count == 0 {
            return StatusCode::NO_CONTENT.into_response();
        }
        let retention_only = outcome
            .rejected
            .iter()
            .all(|r| r.reason == RejectReason::Retention);
        let status = if retention_only {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        let summary = summary(&outcome);
        let body = match self.api {
            Api::V3 => json!({
                "error": summary,
                "data": outcome.rejected.iter().map(|r| json!({
                    "original_line": r.source,
                    "line_number": r.line,
                    "error_message": r.message,
                })).collect::<Vec<_>>(),
            }),
            Api::V1 | Api::V2 => json!({
                "code": if retention_only { "unprocessable entity" } else { "invalid" },
                "line": outcome.rejected.first().map(|r| r.line),
                "message": format!("{summary}: errors encountered on line(s):\n{}", list(&outcome.rejected, outcome.rejected_count)),
            }),
        };
        (status, Json(body)).into_response()
    }

    fn error(&self, error: Error) -> Response {
        let mut response = if self.api == Api::V3 {
            v3_error_response(error)
        } else {
            let status = status_of(error.kind);
            let body = json!({ "code": code_name(status), "message": caller_message(error) });
            (status, Json(body)).into_response()
        };
        // A write refused for now (a full buffer, a WAL that cannot be written, a shutdown)
        // says when to try again, so clients back off instead of spinning.
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from(WRITE_RETRY_AFTER.as_secs().max(1)),
            );
        }
        response
    }
}

/// What happened to the write as a whole, e.g. `2 of 5 lines rejected; the other 3 were written`.
fn summary(outcome: &WriteOutcome) -> String {
    let total = outcome.valid_lines + outcome.rejected_count;
    if outcome.lines_written == 0 {
        format!(
            "{} of {total} lines rejected; nothing was written",
            outcome.rejected_count
        )
    } else {
        format!(
            "partial write: {} of {total} lines rejected; the other {} were written",
            outcome.rejected_count, outcome.lines_written
        )
    }
}

/// One line per reported rejection, and how many more were not listed.
fn list(rejected: &[Rejection], count: usize) -> String {
    let mut text = rejected
        .iter()
        .map(|r| format!("line {}: {} ({})", r.line, r.message, r.source))
        .collect::<Vec<_>>()
        .join("\n");
    if count > rejected.len() {
        text.push_str(&format!(
            "\n… and {} more (only the first {MAX_REPORTED_REJECTIONS} are listed)",
            count - rejected.len()
        ));
    }
    text
}

/// InfluxDB's error code names.
fn code_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not found",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "request too large",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable entity",
        StatusCode::TOO_MANY_REQUESTS => "too many requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "internal error",
    }
}

/// The body, gunzipped when it says so; at most `limit` bytes either way.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Error> {
    let too_large = move |what: &str| {
        Error::new(
            ErrorKind::TooLarge,
            format!(
                "the {what} is larger than {limit} bytes; split the write into smaller batches"
            ),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large("request body"));
    }
    let raw = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(too_large("request body"));
        }
        Err(e) => {
            return Err(Error::invalid(format!(
                "the request body could not be read: {e}"
            )));
        }
    };
    let encoding = headers
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("").trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(raw),
        Some("gzip") => tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(raw.len() * 4);
            flate2::read::MultiGzDecoder::new(raw.as_ref())
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| Error::invalid(format!("the body is not valid gzip: {e}")))?;
            if out.len() > limit {
                return Err(too_large("decompressed body"));
            }
            Ok(Bytes::from(out))
        })
        .await
        .map_err(|e| Error::internal(format!("decompressing a write failed: {e}")))?,
        Some(other) => Err(Error::invalid(format!(
            "Content-Encoding {other:?} is not supported; send the body uncompressed or with gzip"
        ))),
    }
}
