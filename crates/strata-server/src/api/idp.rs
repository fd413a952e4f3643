//! The built-in identity provider's endpoints: OIDC discovery, JWKS, the device grant's two
//! endpoints, and the verification page a person signs in on.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::{Html, IntoResponse, Json, Response};
use serde::Deserialize;
use strata_identity::{BuiltInProvider, Decision, OAuthError};
use strata_types::{Actor, Error, ErrorKind, Outcome};

use crate::auth::Source;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::{AppState, Sessions};

/// The built-in provider, or 404 when sessions come from an external provider.
fn built_in(state: &AppState) -> Result<&BuiltInProvider, ApiError> {
    match &state.sessions {
        Sessions::BuiltIn(provider) => Ok(provider),
        Sessions::External { provider, .. } => Err(ApiError(Error::not_found(format!(
            "this server's users sign in with the identity provider at {}",
            provider.settings().issuer
        )))),
    }
}

/// OIDC discovery: the built-in provider's, or the external provider's (so CLIs find its
/// device and token endpoints through this server's address).
pub async fn discovery(State(state): State<AppState>) -> Json<serde_json::Value> {
    match &state.sessions {
        Sessions::BuiltIn(provider) => Json(provider.discovery()),
        Sessions::External { discovery, .. } => Json(discovery.as_ref().clone()),
    }
}

pub async fn jwks(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(built_in(&state)?.jwks().await?))
}

/// OAuth answers carry `Cache-Control: no-store` (RFC 6749 §5.1); errors are 400 JSON.
fn oauth_answer<T: serde::Serialize>(result: Result<T, OAuthError>) -> Response {
    match result {
        Ok(body) => ([(CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(error) => {
            let status = if error.error == "server_error" {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, [(CACHE_CONTROL, "no-store")], Json(error)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct DeviceCodeForm {
    client_id: Option<String>,
    scope: Option<String>,
}

/// `POST /oauth/device/code` (form-encoded `client_id`, optional `scope`).
pub async fn device_code(
    State(state): State<AppState>,
    form: Result<Form<DeviceCodeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_answer::<()>(Err(OAuthError::new(
            "invalid_request",
            "send client_id (and optionally scope) as application/x-www-form-urlencoded",
        )));
    };
    let provider = match built_in(&state) {
        Ok(provider) => provider,
        Err(e) => return e.into_response(),
    };
    let scope = form.scope.unwrap_or_else(|| "openid".to_string());
    oauth_answer(
        provider
            .start(form.client_id.as_deref().unwrap_or_default(), &scope)
            .await,
    )
}

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    device_code: Option<String>,
    client_id: Option<String>,
}

/// `POST /oauth/token` with `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
pub async fn token(
    State(state): State<AppState>,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_answer::<()>(Err(OAuthError::new(
            "invalid_request",
            "send grant_type, device_code and client_id as application/x-www-form-urlencoded",
        )));
    };
    let provider = match built_in(&state) {
        Ok(provider) => provider,
        Err(e) => return e.into_response(),
    };
    oauth_answer(
        provider
            .poll(
                form.grant_type.as_deref().unwrap_or_default(),
                form.device_code.as_deref().unwrap_or_default(),
                form.client_id.as_deref().unwrap_or_default(),
            )
            .await,
    )
}

#[derive(Deserialize)]
pub struct PageQuery {
    user_code: Option<String>,
}

/// `GET /device`: the sign-in form, with the code filled in when the link carried it, and
/// the client that asked for the sign-in when the code is one waiting.
pub async fn page(State(state): State<AppState>, Query(query): Query<PageQuery>) -> Response {
    let code = query.user_code.unwrap_or_default();
    let client = match &state.sessions {
        Sessions::BuiltIn(provider) if !code.is_empty() => provider.requesting_client(&code).await,
        _ => None,
    };
    Html(render_form(
        &Shown {
            user_code: &code,
            email: "",
            client: client.as_deref(),
        },
        None,
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    user_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    action: Option<String>,
}

/// `POST /device`: sign in and approve (or deny) the code. Fields `user_code`, `email`,
/// `password`, and `action` = `approve` (the default) or `deny`.
pub async fn sign_in(
    State(state): State<AppState>,
    Source(source): Source,
    form: Result<Form<SignIn>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        let page = render_form(
            &Shown::default(),
            Some("The form could not be read; please fill it in again."),
        );
        return (StatusCode::BAD_REQUEST, Html(page)).into_response();
    };
    let provider = match built_in(&state) {
        Ok(provider) => provider,
        Err(e) => return e.into_response(),
    };
    let shown = Shown {
        user_code: &form.user_code,
        email: &form.email,
        client: None,
    };
    let decision = match form.action.as_deref() {
        None | Some("approve") => Decision::Approve,
        Some("deny") => Decision::Deny,
        Some(_) => {
            let page = render_form(&shown, Some("Choose Approve or Deny."));
            return (StatusCode::BAD_REQUEST, Html(page)).into_response();
        }
    };
    let client = provider.requesting_client(&form.user_code).await;
    let result = provider
        .decide(
            &form.user_code,
            &form.email,
            &form.password,
            decision,
            &source,
        )
        .await;
    match result {
        Ok(user) => {
            let (action, message) = match decision {
                Decision::Approve => (
                    "login.approve",
                    "You are signed in. You can close this page and return to your terminal.",
                ),
                Decision::Deny => (
                    "login.deny",
                    "The sign-in was denied. The command line that asked for it will be refused.",
                ),
            };
            state
                .audit
                .record(
                    Actor::User(user.id),
                    action,
                    user.id.to_string(),
                    &source,
                    Outcome::Success,
                    format!(
                        "device flow for client {}",
                        client.as_deref().unwrap_or("unknown")
                    ),
                )
                .await;
            Html(render_done(message)).into_response()
        }
        Err(refusal) => {
            let status = match refusal.error.kind {
                ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
                ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            let message = if refusal.error.kind == ErrorKind::Internal {
                tracing::error!(error = %refusal.error.message, "sign-in failed");
                "Something went wrong on the server; please try again.".to_string()
            } else {
                refusal.error.message
            };
            // Never what was typed: the user's id, or a keyed hash of the email.
            let target = refusal.user.map_or_else(
                || provider.typed_email_label(&form.email),
                |id| id.to_string(),
            );
            state.audit.record_in_background(
                Actor::Anonymous,
                "login.failed",
                target,
                &source,
                Outcome::Denied,
                refusal.reason,
            );
            let page = render_form(
                &Shown {
                    client: client.as_deref(),
                    ..shown
                },
                Some(&message),
            );
            (status, Html(page)).into_response()
        }
    }
}

/// Text made safe to put in HTML, in element content and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5}\
label{display:block;margin-top:1rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin-top:1.5rem;margin-right:.5rem;padding:.5rem 1.25rem;font-size:1rem}\
.error{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecea}";

fn page_shell(body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sign in to Strata</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
}

/// What the sign-in form shows: the code and email as typed (never the password), and the
/// client that asked for the sign-in, when known.
#[derive(Default, Clone, Copy)]
struct Shown<'a> {
    user_code: &'a str,
    email: &'a str,
    client: Option<&'a str>,
}

fn render_form(form: &Shown<'_>, error: Option<&str>) -> String {
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>\n",
                escape(e)
            )
        })
        .unwrap_or_default();
    let client = form
        .client
        .map(|client| {
            format!(
                "<p id=\"client\">Requested by <strong>{}</strong>. Approve only a sign-in you started yourself.</p>\n",
                escape(client)
            )
        })
        .unwrap_or_default();
    page_shell(&format!(
        "<h1>Sign in to Strata</h1>\n\
         <p>Check that the code below matches the one your command line shows, then sign in to approve it.</p>\n\
         {client}\
         {error}\
         <form method=\"post\">\n\
         <label for=\"user_code\">Code</label>\n\
         <input id=\"user_code\" name=\"user_code\" value=\"{code}\" required autocomplete=\"one-time-code\" autocapitalize=\"characters\" spellcheck=\"false\">\n\
         <label for=\"email\">Email</label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" value=\"{email}\" required autocomplete=\"username\">\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\n\
         <button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button>\n\
         </form>\n",
        code = escape(form.user_code),
        email = escape(form.email),
    ))
}

fn render_done(message: &str) -> String {
    page_shell(&format!(
        "<h1>Sign in to Strata</h1>\n<p role=\"status\" id=\"done\">{}</p>\n",
        escape(message)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_echo_and_never_hold_a_password() {
        let page = render_form(
            &Shown {
                user_code: "<script>",
                email: "a\"b@example.com",
                client: Some("<b>cli</b>"),
            },
            Some("bad & wrong"),
        );
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("a&quot;b@example.com"));
        assert!(page.contains("bad &amp; wrong"));
        assert!(page.contains("Requested by <strong>&lt;b&gt;cli&lt;/b&gt;</strong>"));
        assert!(!page.contains("<script>"));
        for field in ["name=\"user_code\"", "name=\"email\"", "name=\"password\""] {
            assert!(page.contains(field), "{field}");
        }
        assert!(
            !page.contains("type=\"password\" value"),
            "the password field is never filled"
        );
    }
}
