//! Credentials on data routes: only a database token with the right permission on the
//! database gets through. Management tokens and user sessions are refused (403) whatever
//! they could do on the management plane.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use chrono::Utc;
use strata_auth::{AuthFailure, Principal};
use strata_query::QueryOrigin;
use strata_query::influxql::ReadAccess;
use strata_types::{Action, Error, ErrorKind, Outcome};

use crate::AppState;
use crate::auth::{bearer_token, is_session_token, refuse_credential};
use crate::metrics::token_check;

/// The header (or gRPC metadata) that asks for the `system` tables, as InfluxDB 3 names it.
pub const DEBUG_HEADER: &str = "iox-debug";

/// The header (or gRPC metadata) that makes a query read rows for every answer, never the
/// series statistics: a way to check an answer the statistics gave.
pub const SCAN_ONLY_HEADER: &str = "strata-scan-only";

/// Who runs a query: the database token's id, whether the request asked for the `system`
/// tables with `debug` (the value of [`DEBUG_HEADER`]), and whether it asked for rows only
/// with `scan_only` ([`SCAN_ONLY_HEADER`]).
pub fn query_origin(
    principal: &Principal,
    debug: Option<&str>,
    scan_only: Option<&str>,
) -> QueryOrigin {
    let token_id = match principal {
        Principal::DatabaseToken { id, .. } => Some(*id),
        _ => None,
    };
    let yes = |v: Option<&str>| v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    QueryOrigin {
        token_id,
        debug: yes(debug),
        scan_only: yes(scan_only),
    }
}

/// What a database token may read, for the InfluxQL engine (which finds the databases its
/// statements name).
pub struct DataReader(pub Principal);

impl ReadAccess for DataReader {
    fn may_read(&self, database_id: i64) -> bool {
        self.0.may_access_data(Action::Read, database_id)
    }

    fn may_read_every_database(&self) -> bool {
        self.0.may_access_every_database(Action::Read)
    }
}

/// Where a data request may carry its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer|Token <token>` only.
    Bearer,
    /// Also the InfluxDB 1.x forms: `Authorization: Basic` (password = token) and `p=<token>`.
    V1,
}

/// Where a data request came from and how it may carry its token.
pub struct DataRequest<'a> {
    /// The endpoint (a route template), for the audit log.
    pub target: &'a str,
    pub source: &'a str,
    pub credentials: Credentials,
    /// The 1.x `p=` query parameter.
    pub query_password: Option<&'a str>,
}

/// Authenticates the request and checks that its database token may `action` on `database`
/// (when the request names one).
pub async fn authorize_data(
    state: &AppState,
    headers: &mut HeaderMap,
    request: &DataRequest<'_>,
    action: Action,
    database: Option<&str>,
) -> Result<Principal, Error> {
    let principal = authenticate_data(state, headers, request).await?;
    if let Some(database) = database {
        require_access(state, &principal, request, action, database).await?;
    }
    Ok(principal)
}

/// Authenticates the request: a database token, nothing else.
pub async fn authenticate_data(
    state: &AppState,
    headers: &mut HeaderMap,
    request: &DataRequest<'_>,
) -> Result<Principal, Error> {
    let (target, source) = (request.target, request.source);
    let token = data_token(headers, request.query_password, request.credentials);
    let checked = match token {
        // A JWT is a user session, never a database token.
        Ok(token) if is_session_token(&token) => Err(AuthFailure::Session {
            reason: "a user session cannot read or write data",
            user: None,
        }),
        Ok(token) => state.auth.authenticate_fresh(&token, Utc::now()).await,
        Err(failure) => Err(failure),
    };
    headers.remove(AUTHORIZATION);
    let principal = match checked {
        Ok(principal) => principal,
        Err(AuthFailure::Session { .. }) => {
            token_check("wrong_plane");
            return Err(refuse(
                state,
                None,
                target,
                source,
                "user session on the data plane",
                "user sessions cannot read or write data; use a database token (create one with `stratactl token create`)",
            ));
        }
        Err(failure) => return Err(refuse_credential(state, failure, target, source)),
    };
    if !matches!(principal, Principal::DatabaseToken { .. }) {
        token_check("wrong_plane");
        return Err(refuse(
            state,
            Some(&principal),
            target,
            source,
            "management token on the data plane",
            "management tokens cannot read or write data; use a database token (create one with `stratactl token create`)",
        ));
    }
    token_check("valid");
    Ok(principal)
}

/// Refuses (403, audited) a database token that may not `action` on `database`.
pub async fn require_access(
    state: &AppState,
    principal: &Principal,
    request: &DataRequest<'_>,
    action: Action,
    database: &str,
) -> Result<(), Error> {
    if !may_access(state, principal, action, database).await? {
        let verb = match action {
            Action::Read => "read",
            Action::Write => "write",
        };
        return Err(refuse(
            state,
            Some(principal),
            request.target,
            request.source,
            &format!("no {verb} permission on database \"{database}\""),
            &format!(
                "this token may not {verb} database \"{database}\"; use a token with {verb} permission on it"
            ),
        ));
    }
    Ok(())
}

/// Whether `principal` may `action` on the database named `database`: permissions are bound
/// to database ids, so the name is looked up. A database that does not exist is for a token
/// on `*` to find missing (404 later); any other token is refused as for any database it
/// may not use.
async fn may_access(
    state: &AppState,
    principal: &Principal,
    action: Action,
    database: &str,
) -> Result<bool, Error> {
    match state.storage.schema(database).await {
        Ok(schema) => Ok(principal.may_access_data(action, schema.database.id)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(principal.may_access_every_database(action)),
        Err(e) => Err(e),
    }
}

fn refuse(
    state: &AppState,
    principal: Option<&Principal>,
    target: &str,
    source: &str,
    detail: &str,
    message: &str,
) -> Error {
    state.audit.record_in_background(
        principal.map_or(strata_types::Actor::Anonymous, Principal::actor),
        "auth.forbidden",
        target,
        source,
        Outcome::Denied,
        detail,
    );
    Error::permission_denied(message)
}

/// The token of a data request, from the places its API allows.
fn data_token(
    headers: &HeaderMap,
    query_password: Option<&str>,
    credentials: Credentials,
) -> Result<String, AuthFailure> {
    if credentials == Credentials::V1 {
        if let Some(value) = headers.get(AUTHORIZATION) {
            let value = value.to_str().map_err(|_| AuthFailure::Invalid)?;
            if let Some(encoded) = value.strip_prefix("Basic ") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| AuthFailure::Invalid)?;
                let decoded = String::from_utf8(decoded).map_err(|_| AuthFailure::Invalid)?;
                let (_user, password) = decoded.split_once(':').ok_or(AuthFailure::Invalid)?;
                return Ok(password.to_string());
            }
        } else if let Some(password) = query_password {
            return Ok(password.to_string());
        }
    }
    bearer_token(headers).map(str::to_string)
}
