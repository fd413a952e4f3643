//! [`ExternalProvider`]: sessions issued by an OIDC provider Strata does not run (Keycloak,
//! Entra ID, Auth0, …). Strata only verifies them: issuer, audience, a signature by a key from
//! the provider's JWKS (fetched, cached, re-fetched for an unknown `kid`), an asymmetric
//! algorithm, `exp`/`nbf` within the skew. The user is the catalog user with the token's
//! `email` (which the provider must have verified, unless told otherwise) or `sub`;
//! optionally a groups claim decides the user's group.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use strata_types::{Error, Result, UserGroup, normalize_email};
use tokio::sync::Mutex;

/// Asymmetric algorithms only: never `none`, never an HMAC keyed with a public key.
const ALLOWED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];
/// The least time between two JWKS fetches caused by unknown key ids.
const REFETCH_SPACING: Duration = Duration::from_secs(5);

/// Which claim names the catalog user a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserClaim {
    /// `email`, matched to users' emails.
    Email,
    /// `sub`, matched to users' subjects (set with `user add --subject`).
    Subject,
}

#[derive(Debug, Clone)]
pub struct ExternalSettings {
    pub user_claim: UserClaim,
    /// With [`UserClaim::Email`], refuse sessions whose `email_verified` claim is not true:
    /// anyone may register an unverified address at many providers.
    pub require_verified_email: bool,
    pub issuer: String,
    pub audience: String,
    /// Discovered from the issuer when not given.
    pub jwks_uri: Option<String>,
    /// The claim holding a list of group names, and which name means which group.
    pub groups_claim: Option<String>,
    pub group_names: Vec<(String, UserGroup)>,
    pub clock_skew: TimeDelta,
}

/// Who an external session says the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalUser {
    /// The normalized `email` claim.
    Email(String),
    /// The `sub` claim.
    Subject(String),
}

/// A verified external session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSession {
    /// Which catalog user this is, by the configured claim.
    pub user: ExternalUser,
    /// The group the groups claim gives, when one is configured and matches.
    pub group: Option<UserGroup>,
    /// The `iat` claim, when the provider sets it.
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

pub struct ExternalProvider {
    settings: ExternalSettings,
    discovery: serde_json::Value,
    jwks_uri: String,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, (DecodingKey, bool)>>,
    last_fetch: Mutex<Option<Instant>>,
}

impl ExternalProvider {
    /// Reads the provider's discovery document (optional when the JWKS address is given) and
    /// fetches its keys once.
    pub async fn open(settings: ExternalSettings) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::internal(format!("cannot build an HTTP client: {e}")))?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            settings.issuer.trim_end_matches('/')
        );
        let discovery: serde_json::Value = match fetch_json(&http, &url).await {
            Ok(discovery) => discovery,
            Err(e) => match &settings.jwks_uri {
                Some(uri) => serde_json::json!({ "issuer": settings.issuer, "jwks_uri": uri }),
                None => return Err(e),
            },
        };
        if discovery["issuer"].as_str() != Some(settings.issuer.as_str()) {
            return Err(Error::invalid(format!(
                "{url} names issuer {} instead of {}; give --oidc-issuer exactly as the provider names itself",
                discovery["issuer"], settings.issuer
            )));
        }
        let jwks_uri = match &settings.jwks_uri {
            Some(uri) => uri.clone(),
            None => discovery["jwks_uri"]
                .as_str()
                .ok_or_else(|| Error::invalid(format!("{url} has no jwks_uri")))?
                .to_string(),
        };
        let provider = Self {
            settings,
            discovery,
            jwks_uri,
            http,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
        };
        provider.fetch_keys().await?;
        Ok(provider)
    }

    pub fn settings(&self) -> &ExternalSettings {
        &self.settings
    }

    /// The provider's discovery document (device and token endpoints for CLIs).
    pub fn discovery(&self) -> &serde_json::Value {
        &self.discovery
    }

    async fn fetch_keys(&self) -> Result<()> {
        let set: JwkSet = fetch_json(&self.http, &self.jwks_uri).await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            // Symmetric keys are never accepted from a published key set.
            if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                continue;
            }
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, (key, true));
                }
                Err(e) => {
                    tracing::warn!(kid, error = %e, "ignoring a key of the identity provider")
                }
            }
        }
        *self.keys.write().expect("key lock poisoned") = keys;
        Ok(())
    }

    /// The key for `kid`, fetching the JWKS again (spaced out) when it is unknown.
    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some((key, _)) = self.keys.read().expect("key lock poisoned").get(kid) {
            return Some(key.clone());
        }
        {
            let mut last = self.last_fetch.lock().await;
            if last.is_none_or(|at| at.elapsed() >= REFETCH_SPACING) {
                *last = Some(Instant::now());
                if let Err(e) = self.fetch_keys().await {
                    tracing::warn!(error = %e, "could not fetch the identity provider's keys");
                }
            }
        }
        self.keys
            .read()
            .expect("key lock poisoned")
            .get(kid)
            .map(|(key, _)| key.clone())
    }

    /// Verifies an external session; the `Err` says why, for the audit log.
    pub async fn verify(&self, jwt: &str) -> std::result::Result<ExternalSession, &'static str> {
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| "malformed session")?;
        if !ALLOWED.contains(&header.alg) {
            return Err("session signed with an algorithm this server does not accept");
        }
        let kid = header.kid.ok_or("session names no signing key")?;
        let key = self
            .key(&kid)
            .await
            .ok_or("session signed with an unknown key")?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.leeway = u64::try_from(self.settings.clock_skew.num_seconds()).unwrap_or(0);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation)
            .map_err(|e| crate::provider::jwt_failure(&e))?;
        let claims = data.claims;
        let user = match self.settings.user_claim {
            UserClaim::Email => {
                // Some providers send the flag as a string.
                let verified = matches!(&claims["email_verified"], serde_json::Value::Bool(true))
                    || claims["email_verified"] == "true";
                if self.settings.require_verified_email && !verified {
                    return Err("the session's email is not verified by the identity provider");
                }
                ExternalUser::Email(
                    claims["email"]
                        .as_str()
                        .and_then(|e| normalize_email(e).ok())
                        .ok_or("session has no email claim")?,
                )
            }
            UserClaim::Subject => ExternalUser::Subject(
                claims["sub"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .ok_or("session has no sub claim")?
                    .to_string(),
            ),
        };
        let expires_at = claims["exp"]
            .as_i64()
            .and_then(|exp| DateTime::from_timestamp(exp, 0))
            .ok_or("malformed session")?;
        let group = self.settings.groups_claim.as_ref().and_then(|claim| {
            let names: Vec<&str> = claims[claim.as_str()]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            // The most privileged group any name grants.
            [UserGroup::Admin, UserGroup::Member, UserGroup::Auditor]
                .into_iter()
                .find(|group| {
                    self.settings
                        .group_names
                        .iter()
                        .any(|(name, g)| g == group && names.contains(&name.as_str()))
                })
        });
        let issued_at = claims["iat"]
            .as_i64()
            .and_then(|iat| DateTime::from_timestamp(iat, 0));
        Ok(ExternalSession {
            user,
            group,
            issued_at,
            expires_at,
        })
    }
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T> {
    let response = http.get(url).send().await.map_err(|e| {
        Error::internal(format!("cannot reach the identity provider at {url}: {e}"))
    })?;
    if !response.status().is_success() {
        return Err(Error::internal(format!(
            "{url} answered {}",
            response.status()
        )));
    }
    response.json().await.map_err(|e| {
        Error::internal(format!(
            "{url} did not answer JSON the server understands: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A provider answering its discovery document and an empty key set on loopback;
    /// returns its issuer and how many times the key set was fetched.
    async fn empty_provider() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let fetches = Arc::new(AtomicUsize::new(0));
        let (answer_issuer, counted) = (issuer.clone(), fetches.clone());
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = vec![0u8; 4096];
                let n = socket.read(&mut request).await.unwrap();
                let request = String::from_utf8_lossy(&request[..n]).to_string();
                let body = if request.starts_with("GET /.well-known/openid-configuration") {
                    serde_json::json!({"issuer": answer_issuer, "jwks_uri": format!("{answer_issuer}/jwks")})
                } else {
                    counted.fetch_add(1, Ordering::SeqCst);
                    serde_json::json!({"keys": []})
                }
                .to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
            }
        });
        (issuer, fetches)
    }

    /// A JWT naming key `kid` (its signature does not matter: the key is never found).
    fn jwt_with_kid(kid: &str) -> String {
        let part = |json: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
        };
        format!(
            "{}.{}.c2lnbmF0dXJl",
            part(serde_json::json!({"alg": "RS256", "kid": kid})),
            part(serde_json::json!({"sub": "x"}))
        )
    }

    #[tokio::test]
    async fn unknown_key_ids_refetch_the_key_set_at_most_once_per_spacing() {
        let (issuer, fetches) = empty_provider().await;
        let provider = ExternalProvider::open(ExternalSettings {
            user_claim: UserClaim::Email,
            require_verified_email: true,
            issuer,
            audience: "strata".into(),
            jwks_uri: None,
            groups_claim: None,
            group_names: Vec::new(),
            clock_skew: TimeDelta::zero(),
        })
        .await
        .unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched once at start");
        for i in 0..50 {
            assert_eq!(
                provider
                    .verify(&jwt_with_kid(&format!("made-up-{i}")))
                    .await,
                Err("session signed with an unknown key")
            );
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "fifty unknown key ids cost one more fetch"
        );
    }
}
