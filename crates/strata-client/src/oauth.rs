//! Sign-in through the OAuth2 device authorization grant (RFC 8628), as `stratactl auth
//! login` does it.
//!
//! 1. [`Client::device_flow`] finds the identity provider's endpoints: the ones given in
//!    [`OAuth2Settings`], else those of the OIDC discovery document at
//!    `{base}/.well-known/openid-configuration` (Strata's built-in provider serves one).
//! 2. [`DeviceFlow::start`] asks for a device code; show the person its
//!    [`verification_uri_complete`](DeviceAuthorization::verification_uri_complete) (or
//!    [`verification_uri`](DeviceAuthorization::verification_uri) and the
//!    [`user_code`](DeviceAuthorization::user_code)).
//! 3. [`DeviceFlow::wait`] polls the token endpoint every `interval` seconds (5 more after
//!    each `slow_down`) until the person approves, denies, or the code expires.
//!
//! None of these requests carries the client's bearer token. The device code and the
//! session are [`Secret`]s, and the observer sees them redacted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;

use crate::client::{Body, api_error};
use crate::error::TransportErrorKind;
use crate::observe::redact;
use crate::{Client, Error, Secret};

/// The client id sent when the settings give none.
pub const DEFAULT_CLIENT_ID: &str = "stratactl";

/// The `grant_type` of token requests (RFC 8628 §3.4).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long to wait between polls when the provider does not say (RFC 8628 §3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How much longer to wait between polls after each `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The scope asked for when the profile names none.
pub const DEFAULT_SCOPE: &str = "openid email";

/// Form fields the flow itself sends; extra parameters cannot replace them.
const RESERVED: [&str; 4] = ["client_id", "scope", "grant_type", "device_code"];

/// How to reach the identity provider, as `[profile.auth.oauth2]` of a connection profile
/// gives it. Everything is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuth2Settings {
    /// The OAuth client id; [`DEFAULT_CLIENT_ID`] when `None` or blank.
    pub client_id: Option<String>,
    /// Sent as the space-separated `scope` of the device authorization request;
    /// [`DEFAULT_SCOPE`] when empty.
    pub scopes: Vec<String>,
    /// Extra fields of the device authorization request (e.g. Auth0's `audience`). Fields
    /// the flow sends itself (`client_id`, `scope`, …) are not replaced.
    pub parameters: BTreeMap<String, String>,
    /// The device authorization endpoint; discovered when `None`.
    pub device_url: Option<String>,
    /// The token endpoint; discovered when `None`.
    pub token_url: Option<String>,
}

impl OAuth2Settings {
    /// The client id sent to the provider.
    pub fn client_id(&self) -> &str {
        self.client_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .unwrap_or(DEFAULT_CLIENT_ID)
    }
}

/// The identity provider's endpoints for the device flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The `issuer` of the discovery document, when the endpoints were discovered.
    pub issuer: Option<String>,
    pub device_url: Url,
    pub token_url: Url,
}

/// A started sign-in: what to show the person, and the device code to poll with.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// The code the client polls with; never shown.
    pub device_code: Secret,
    /// The code the person checks (or types) on the verification page.
    pub user_code: String,
    /// The verification page.
    pub verification_uri: String,
    /// The verification page with the user code filled in, when the provider gives one.
    pub verification_uri_complete: Option<String>,
    /// How long the codes are valid.
    pub expires_in: Duration,
    /// How long to wait between polls.
    pub interval: Duration,
    started: Instant,
}

impl DeviceAuthorization {
    /// The address to open: the complete form when there is one.
    pub fn url_to_open(&self) -> &str {
        self.verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri)
    }
}

/// A session the identity provider issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// The bearer token for the Management API.
    pub access_token: Secret,
    /// `Bearer`, normally.
    pub token_type: String,
    /// From `expires_in`, else from the `exp` claim when the token is a JWT; `None` when
    /// neither says.
    pub expires_at: Option<DateTime<Utc>>,
    pub scope: Option<String>,
}

impl SessionToken {
    /// The claims of the token when it is a JWT, read without checking its signature: for
    /// display (who signed in) only, never to decide anything.
    pub fn unverified_claims(&self) -> Option<serde_json::Map<String, Value>> {
        unverified_jwt_claims(self.access_token.expose())
    }
}

/// The payload of a JWT (`header.payload.signature`), decoded without checking the
/// signature; `None` when `token` is not shaped like a JWT.
pub fn unverified_jwt_claims(token: &str) -> Option<serde_json::Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// One poll's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Approved: the session.
    Ready(SessionToken),
    /// `authorization_pending`: not approved yet.
    Pending,
    /// `slow_down`: not approved yet, and polls must come [`SLOW_DOWN_STEP`] further apart.
    SlowDown,
}

/// A device flow against one identity provider. Made by [`Client::device_flow`].
pub struct DeviceFlow<'a> {
    client: &'a Client,
    settings: OAuth2Settings,
    endpoints: Endpoints,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: Option<String>,
    device_authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    error_description: Option<String>,
}

fn endpoint(what: &str, text: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::config(format!(
            "the {what} {text:?} is not a URL ({e}); write it as https://idp.example.com/…"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::config(format!(
            "the {what} {text:?} must be an http:// or https:// URL with a host"
        )));
    }
    Ok(url)
}

/// Seconds as JSON providers write them: a number, or (some providers) a string.
fn seconds(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_field(body: &Value, key: &str) -> Option<String> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Client {
    /// Prepares a device flow: the endpoints `settings` gives, or those of the OIDC
    /// discovery document at `{base}/.well-known/openid-configuration` for the ones it does
    /// not.
    pub async fn device_flow(&self, settings: OAuth2Settings) -> Result<DeviceFlow<'_>, Error> {
        let given = |url: &Option<String>, what: &str| {
            url.as_deref()
                .filter(|u| !u.trim().is_empty())
                .map(|u| endpoint(what, u))
                .transpose()
        };
        let device_url = given(&settings.device_url, "device authorization endpoint")?;
        let token_url = given(&settings.token_url, "token endpoint")?;
        let endpoints = match (device_url, token_url) {
            (Some(device_url), Some(token_url)) => Endpoints {
                issuer: None,
                device_url,
                token_url,
            },
            (device_url, token_url) => {
                let discovered = self.discover().await?;
                Endpoints {
                    issuer: discovered.issuer,
                    device_url: device_url.unwrap_or(discovered.device_url),
                    token_url: token_url.unwrap_or(discovered.token_url),
                }
            }
        };
        Ok(DeviceFlow {
            client: self,
            settings,
            endpoints,
        })
    }

    /// `GET {base}/.well-known/openid-configuration`: the issuer and the device flow's
    /// endpoints.
    pub async fn discover(&self) -> Result<Endpoints, Error> {
        let url = self.url(&[".well-known", "openid-configuration"]);
        let shown = url.to_string();
        let (status, text) = self
            .exchange(Method::GET, url.clone(), Body::None, false)
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(Error::config(format!(
                "{shown} answered 404: the server publishes no OpenID configuration, so the identity provider's device authorization and token endpoints must be given"
            )));
        }
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        let decode = |detail: String| Error::Decode {
            status: status.as_u16(),
            method: "GET".into(),
            path: url.path().to_string(),
            detail,
        };
        let doc: Discovery = serde_json::from_str(&text)
            .map_err(|e| decode(format!("not an OpenID configuration document: {e}")))?;
        let device = doc.device_authorization_endpoint.ok_or_else(|| {
            Error::config(format!(
                "the OpenID configuration at {shown} has no device_authorization_endpoint: the identity provider does not offer the device flow, or its device endpoint must be given"
            ))
        })?;
        let token = doc.token_endpoint.ok_or_else(|| {
            Error::config(format!(
                "the OpenID configuration at {shown} has no token_endpoint; the token endpoint must be given"
            ))
        })?;
        Ok(Endpoints {
            issuer: doc.issuer,
            device_url: endpoint("device_authorization_endpoint", &device)?,
            token_url: endpoint("token_endpoint", &token)?,
        })
    }
}

impl DeviceFlow<'_> {
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn settings(&self) -> &OAuth2Settings {
        &self.settings
    }

    /// An error answer of the provider: its OAuth2 error, or the HTTP status and body.
    fn refusal(url: &Url, status: StatusCode, text: &str) -> Error {
        match serde_json::from_str::<OAuthErrorBody>(text) {
            Ok(body) => Error::OAuth {
                error: body.error,
                description: body.error_description.map(|d| redact(&d)),
                origin: url.origin().ascii_serialization(),
            },
            Err(_) => api_error(status, text),
        }
    }

    fn decode_error(url: &Url, status: StatusCode, detail: String) -> Error {
        Error::Decode {
            status: status.as_u16(),
            method: "POST".into(),
            path: url.path().to_string(),
            detail,
        }
    }

    /// `POST` to the device authorization endpoint: a new device code and user code.
    pub async fn start(&self) -> Result<DeviceAuthorization, Error> {
        let url = self.endpoints.device_url.clone();
        let mut fields = vec![(
            "client_id".to_string(),
            self.settings.client_id().to_string(),
        )];
        let scopes: Vec<&str> = self
            .settings
            .scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        // OIDC providers want at least `openid`; a profile's scopes replace the default.
        let scope = if scopes.is_empty() {
            DEFAULT_SCOPE.to_string()
        } else {
            scopes.join(" ")
        };
        fields.push(("scope".to_string(), scope));
        for (key, value) in &self.settings.parameters {
            if !RESERVED.contains(&key.as_str()) {
                fields.push((key.clone(), value.clone()));
            }
        }
        let started = Instant::now();
        let (status, text) = self
            .client
            .exchange(Method::POST, url.clone(), Body::Form(fields), false)
            .await?;
        if !status.is_success() {
            return Err(Self::refusal(&url, status, &text));
        }
        let body: Value = serde_json::from_str(&text)
            .map_err(|e| Self::decode_error(&url, status, format!("not JSON: {e}")))?;
        let missing = |field: &str| {
            Self::decode_error(
                &url,
                status,
                format!("the device authorization answer has no {field}"),
            )
        };
        let device_code = text_field(&body, "device_code").ok_or_else(|| missing("device_code"))?;
        let user_code = text_field(&body, "user_code").ok_or_else(|| missing("user_code"))?;
        // Some providers (Google) spell it verification_url.
        let verification_uri = text_field(&body, "verification_uri")
            .or_else(|| text_field(&body, "verification_url"))
            .ok_or_else(|| missing("verification_uri"))?;
        let expires_in = seconds(body.get("expires_in")).ok_or_else(|| missing("expires_in"))?;
        let interval = seconds(body.get("interval"))
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL)
            .max(Duration::from_secs(1));
        Ok(DeviceAuthorization {
            device_code: Secret::new(device_code),
            user_code,
            verification_uri,
            verification_uri_complete: text_field(&body, "verification_uri_complete"),
            expires_in: Duration::from_secs(expires_in),
            interval,
            started,
        })
    }

    /// One `POST` to the token endpoint.
    pub async fn poll(&self, authorization: &DeviceAuthorization) -> Result<Poll, Error> {
        let url = self.endpoints.token_url.clone();
        let fields = vec![
            ("grant_type".to_string(), DEVICE_GRANT.to_string()),
            (
                "device_code".to_string(),
                authorization.device_code.expose().to_string(),
            ),
            (
                "client_id".to_string(),
                self.settings.client_id().to_string(),
            ),
        ];
        let asked = Utc::now();
        let (status, text) = self
            .client
            .exchange(Method::POST, url.clone(), Body::Form(fields), false)
            .await?;
        if !status.is_success() {
            return match Self::refusal(&url, status, &text) {
                Error::OAuth { error, .. } if error == "authorization_pending" => Ok(Poll::Pending),
                Error::OAuth { error, .. } if error == "slow_down" => Ok(Poll::SlowDown),
                other => Err(other),
            };
        }
        let body: Value = serde_json::from_str(&text)
            .map_err(|e| Self::decode_error(&url, status, format!("not JSON: {e}")))?;
        let access_token = text_field(&body, "access_token").ok_or_else(|| {
            Self::decode_error(&url, status, "the token answer has no access_token".into())
        })?;
        let token_type = text_field(&body, "token_type").unwrap_or_else(|| "Bearer".into());
        let expires_at = seconds(body.get("expires_in"))
            .and_then(|s| i64::try_from(s).ok())
            .and_then(TimeDelta::try_seconds)
            .map(|lifetime| asked + lifetime)
            .or_else(|| {
                unverified_jwt_claims(&access_token)?
                    .get("exp")?
                    .as_i64()
                    .and_then(|exp| DateTime::from_timestamp(exp, 0))
            });
        Ok(Poll::Ready(SessionToken {
            access_token: Secret::new(access_token),
            token_type,
            expires_at,
            scope: text_field(&body, "scope"),
        }))
    }

    /// Polls until the person approves (the session), denies (`access_denied`), or the code
    /// expires (`expired_token`, from the provider or, failing that, from the clock). Waits
    /// `interval` before each poll, [`SLOW_DOWN_STEP`] more after each `slow_down`, and twice
    /// as long after a poll that timed out. Any other refusal ends the flow with the
    /// provider's description.
    pub async fn wait(&self, authorization: &DeviceAuthorization) -> Result<SessionToken, Error> {
        let deadline = authorization.started + authorization.expires_in;
        let mut interval = authorization.interval;
        loop {
            tokio::time::sleep(interval).await;
            match self.poll(authorization).await {
                Ok(Poll::Ready(session)) => return Ok(session),
                Ok(Poll::Pending) => {}
                Ok(Poll::SlowDown) => interval += SLOW_DOWN_STEP,
                Err(Error::Transport {
                    kind: TransportErrorKind::Timeout(_),
                    ..
                }) if Instant::now() < deadline => interval *= 2,
                Err(e) => return Err(e),
            }
            if Instant::now() >= deadline {
                return Err(Error::OAuth {
                    error: "expired_token".into(),
                    description: Some(format!(
                        "no approval came within {} s",
                        authorization.expires_in.as_secs()
                    )),
                    origin: self.endpoints.token_url.origin().ascii_serialization(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_defaults_to_stratactl() {
        assert_eq!(OAuth2Settings::default().client_id(), "stratactl");
        let settings = OAuth2Settings {
            client_id: Some(" ".into()),
            ..OAuth2Settings::default()
        };
        assert_eq!(settings.client_id(), "stratactl");
        let settings = OAuth2Settings {
            client_id: Some("mine".into()),
            ..OAuth2Settings::default()
        };
        assert_eq!(settings.client_id(), "mine");
    }

    #[test]
    fn jwt_claims_are_read_for_display() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"email":"a@b","exp":2000000000}"#);
        let claims = unverified_jwt_claims(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims["email"], "a@b");
        assert!(unverified_jwt_claims("strata_mgmt_abc").is_none());
        assert!(unverified_jwt_claims("a.b.c.d").is_none());
        assert!(unverified_jwt_claims("a.!!!.c").is_none());
    }

    #[test]
    fn seconds_as_numbers_or_strings() {
        assert_eq!(seconds(Some(&serde_json::json!(600))), Some(600));
        assert_eq!(seconds(Some(&serde_json::json!("600"))), Some(600));
        assert_eq!(seconds(Some(&serde_json::json!(-1))), None);
        assert_eq!(seconds(None), None);
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        endpoint("token endpoint", "https://idp.example.com/token").unwrap();
        for bad in ["idp.example.com/token", "ftp://idp/x", "not a url"] {
            let e = endpoint("token endpoint", bad).unwrap_err();
            assert!(e.to_string().contains("token endpoint"), "{e}");
        }
    }
}
