//! Credentials on management routes: the [`Caller`] extractor authenticates the request and
//! audits every failure. Secrets exist here only while being checked.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use strata_auth::{AuthFailure, Principal};
use strata_types::Outcome;

use crate::AppState;
use crate::error::ApiError;
use crate::metrics::token_check;

/// An authenticated caller and where the request came from.
pub struct Caller {
    pub principal: Principal,
    pub source: String,
}

/// The token in `Authorization: Bearer <t>` or `Authorization: Token <t>`.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthFailure> {
    let value = headers.get(AUTHORIZATION).ok_or(AuthFailure::Missing)?;
    let value = value.to_str().map_err(|_| AuthFailure::Invalid)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::Invalid)?;
    match scheme {
        "Bearer" | "Token" => Ok(token.trim()),
        _ => Err(AuthFailure::Invalid),
    }
}

pub fn source_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let source = source_of(parts);
        let checked = match bearer_token(&parts.headers) {
            Ok(token) => state.auth.authenticate_fresh(token, Utc::now()).await,
            Err(failure) => Err(failure),
        };
        match checked {
            // The management plane never serves database tokens, whatever the request.
            Ok(principal @ Principal::DatabaseToken { .. }) => {
                token_check("wrong_plane");
                let refusal = principal
                    .authorize(strata_auth::ManagementAction::Read)
                    .expect_err("database tokens are refused on the management plane");
                state
                    .audit
                    .record(
                        principal.actor(),
                        "auth.forbidden",
                        format!("{} {}", parts.method, parts.uri.path()),
                        &source,
                        Outcome::Denied,
                        "database token on the Management API",
                    )
                    .await;
                Err(ApiError(refusal))
            }
            Ok(principal) => {
                token_check("valid");
                Ok(Caller { principal, source })
            }
            Err(failure) => {
                token_check(failure.reason());
                state
                    .audit
                    .record(
                        failure.actor(),
                        "auth.failed",
                        format!("{} {}", parts.method, parts.uri.path()),
                        &source,
                        Outcome::Denied,
                        failure.reason(),
                    )
                    .await;
                Err(ApiError(failure.into_error()))
            }
        }
    }
}
