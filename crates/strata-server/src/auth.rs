//! Credentials on management routes: the [`Caller`] extractor authenticates the request and
//! audits every failure. Secrets exist here only while being checked.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, OriginalUri};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use strata_auth::{AuthFailure, Principal};
use strata_identity::ExternalUser;
use strata_types::{Error, Identity, Outcome};

use crate::error::ApiError;
use crate::metrics::token_check;
use crate::{AppState, Sessions};

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

/// The caller's address, as an extractor.
pub struct Source(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Source(source_of(parts)))
    }
}

pub fn source_of(parts: &Parts) -> String {
    source_of_peer(
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0),
    )
}

/// The caller's address: the connection's peer. (Forwarding headers are not trusted: behind
/// a proxy this is the proxy's address.)
pub fn source_of_peer(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(|| "unknown".to_string(), |peer| peer.ip().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let source = source_of(parts);
        // The route template, never the path itself: paths can carry anything a caller typed.
        let target = format!(
            "{} {}",
            parts.method,
            parts
                .extensions
                .get::<MatchedPath>()
                .map_or("unmatched", |p| p.as_str())
        );
        let checked = match bearer_token(&parts.headers) {
            Ok(token) if is_session_token(token) => session_principal(state, token).await,
            Ok(token) => state.auth.authenticate_fresh(token, Utc::now()).await,
            Err(failure) => Err(failure),
        };
        // Checked: nothing after this point needs, or may log, the credential.
        parts.headers.remove(AUTHORIZATION);
        let principal = match checked {
            Ok(principal) => principal,
            Err(failure) => {
                return Err(ApiError(refuse_credential(
                    state, failure, &target, &source,
                )));
            }
        };
        // The management plane never serves database tokens, whatever the request.
        if let Principal::DatabaseToken { .. } = principal {
            token_check("wrong_plane");
            let refusal = principal
                .authorize(strata_auth::ManagementAction::Read)
                .expect_err("database tokens are refused on the management plane");
            state.audit.record_in_background(
                principal.actor(),
                "auth.forbidden",
                target,
                &source,
                Outcome::Denied,
                "database token on the Management API",
            );
            return Err(ApiError(refusal));
        }
        token_check("valid");
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |u| u.path().to_string());
        check_dedicated_ids(&state.identity, &path)?;
        Ok(Caller { principal, source })
    }
}

/// Counts and audits a credential that failed authentication; returns the caller's 401.
pub fn refuse_credential(
    state: &AppState,
    failure: AuthFailure,
    target: &str,
    source: &str,
) -> Error {
    token_check(failure.reason());
    state.audit.record_in_background(
        failure.actor(),
        "auth.failed",
        target,
        source,
        Outcome::Denied,
        failure.reason(),
    );
    failure.into_error()
}

/// Session tokens are JWTs (three dot-separated parts); Strata's own tokens have a prefix.
pub fn is_session_token(token: &str) -> bool {
    !token.starts_with("strata_") && token.bytes().filter(|b| *b == b'.').count() == 2
}

/// A user session: a verified JWT whose user still exists (so removing a user ends their
/// sessions at once), with the user's group as it is now (or as an external provider's groups
/// claim says, when one is configured and matches).
async fn session_principal(state: &AppState, jwt: &str) -> Result<Principal, AuthFailure> {
    let failure = |reason| AuthFailure::Session { reason, user: None };
    let lookup_failed = |e: strata_types::Error| {
        tracing::error!(error = %e, "could not look up a session's user");
        failure("the session's user could not be looked up")
    };
    let (user, group, issued_at, expires_at) = match &state.sessions {
        Sessions::BuiltIn(provider) => {
            let session = provider.verify_session(jwt).await.map_err(failure)?;
            let user = match state.catalog.get_user(session.user_id).await {
                Ok(user) => user,
                Err(e) if e.kind == strata_types::ErrorKind::NotFound => {
                    return Err(AuthFailure::Session {
                        reason: "the session's user no longer exists",
                        user: Some(session.user_id),
                    });
                }
                Err(e) => return Err(lookup_failed(e)),
            };
            (user, None, Some(session.issued_at), session.expires_at)
        }
        Sessions::External { provider, .. } => {
            let session = provider.verify(jwt).await.map_err(failure)?;
            let found = match &session.user {
                ExternalUser::Email(email) => state
                    .catalog
                    .find_user_by_email(email)
                    .await
                    .map(|found| found.map(|(user, _)| user)),
                ExternalUser::Subject(subject) => state.catalog.find_user_by_subject(subject).await,
            };
            let user = found.map_err(lookup_failed)?.ok_or(failure(
                "the session's user is not a Strata user; ask an Admin to add it",
            ))?;
            (user, session.group, session.issued_at, session.expires_at)
        }
    };
    // A password change ends the sessions issued before it (`iat` has whole seconds).
    if let (Some(valid_from), Some(issued_at)) = (user.sessions_valid_from, issued_at)
        && issued_at.timestamp() < valid_from.timestamp()
    {
        return Err(AuthFailure::Session {
            reason: "the session ended when the user's password was changed",
            user: Some(user.id),
        });
    }
    Ok(Principal::User {
        id: user.id,
        group: group.unwrap_or(user.group),
        expires_at: Some(expires_at),
    })
}

/// Dedicated-shape URLs (`/api/v0/accounts/{accountId}/clusters/{clusterId}/…`) must name
/// this catalog's account, and its cluster when they name one. Checked after authentication,
/// so ids cannot be probed without a credential.
fn check_dedicated_ids(identity: &Identity, path: &str) -> Result<(), Error> {
    let mut segments = path.trim_start_matches('/').split('/');
    if !matches!(
        (segments.next(), segments.next(), segments.next()),
        (Some("api"), Some("v0"), Some("accounts"))
    ) {
        return Ok(());
    }
    if segments.next() != Some(identity.account_id.to_string().as_str()) {
        return Err(Error::not_found(
            "account not found: check the account id in the URL (or `account_id` in your profile)",
        ));
    }
    let _clusters = segments.next();
    match segments.next() {
        None | Some("") => Ok(()),
        Some(cluster) if cluster == identity.cluster.id.to_string() => Ok(()),
        Some(_) => Err(Error::not_found(
            "cluster not found: check the cluster id in the URL (or `cluster_id` in your profile)",
        )),
    }
}
