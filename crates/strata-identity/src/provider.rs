//! [`BuiltInProvider`]: the embedded identity provider.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use strata_auth::{Pepper, encode_hex};
use strata_catalog::{Catalog, NewUser};
use strata_types::{
    DeviceAuthorization, DeviceStatus, Error, ErrorKind, Result, User, UserGroup, normalize_email,
};
use uuid::Uuid;

use crate::device::{DeviceCodeResponse, OAuthError, TokenResponse, new_user_code};
use crate::keys::{ALGORITHM, KeyRing};
use crate::password::{MAX_PASSWORD_BYTES, generate_password, hash_password, verify_password};
use crate::{RateLimiter, normalize_user_code};

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const BOOTSTRAP_CLAIM: &str = "bootstrap_admin";
/// The longest `client_id`, `scope` or device code accepted from a caller.
pub const MAX_OAUTH_FIELD_BYTES: usize = 256;

/// Failed sign-ins are counted over this window.
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures for one email from one address before that address must wait for that email.
const FAILURES_PER_EMAIL_AND_ADDRESS: usize = 5;
/// Failures from one address, for any emails, before it must wait.
const FAILURES_PER_ADDRESS: usize = 20;
/// Failures for one email, from anywhere, past which each sign-in for it is delayed (never
/// refused: the real user, elsewhere, still gets in), a second more per further failure.
const FAILURES_PER_EMAIL_BEFORE_DELAY: usize = 20;
/// The longest such delay.
const MAX_SIGN_IN_DELAY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The public base URL of the server: the `iss` of sessions and the base of every endpoint.
    pub issuer: String,
    /// The `aud` of sessions.
    pub audience: String,
    pub session_lifetime: TimeDelta,
    pub device_code_lifetime: TimeDelta,
    pub poll_interval_secs: i64,
    /// How long a node signs with one key before it makes another.
    pub key_rotation: TimeDelta,
    /// Tolerance for clocks that disagree, on `exp` and `nbf`.
    pub clock_skew: TimeDelta,
}

impl ProviderSettings {
    pub fn new(issuer: String) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_string(),
            audience: "strata".to_string(),
            session_lifetime: TimeDelta::hours(1),
            device_code_lifetime: TimeDelta::minutes(10),
            poll_interval_secs: 5,
            key_rotation: TimeDelta::days(30),
            clock_skew: TimeDelta::seconds(60),
        }
    }
}

/// A verified session: whose it is and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// A sign-in that did not go through: the error for the person, and what the audit log may
/// keep (never what was typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRefusal {
    pub error: Error,
    /// The user whose email was typed, when there is one.
    pub user: Option<Uuid>,
    /// Why, in a few fixed words.
    pub reason: &'static str,
}

impl SignInRefusal {
    fn new(error: Error, user: Option<Uuid>, reason: &'static str) -> Self {
        SignInRefusal {
            error,
            user,
            reason,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    email: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    azp: String,
    scope: String,
}

pub struct BuiltInProvider {
    catalog: Arc<dyn Catalog>,
    pepper: Pepper,
    keys: KeyRing,
    settings: ProviderSettings,
    failures_per_email_and_address: RateLimiter,
    failures_per_address: RateLimiter,
    /// Counts past [`FAILURES_PER_EMAIL_BEFORE_DELAY`], for the delay.
    failures_per_email: RateLimiter,
}

impl BuiltInProvider {
    /// Opens the provider: this node's signing key from `key_dir`, published to the catalog.
    pub async fn open(
        catalog: Arc<dyn Catalog>,
        pepper: Pepper,
        key_dir: &Path,
        settings: ProviderSettings,
    ) -> Result<Arc<Self>> {
        let keys = KeyRing::open(catalog.clone(), key_dir).await?;
        let provider = Arc::new(Self {
            catalog,
            pepper,
            keys,
            settings,
            failures_per_email_and_address: RateLimiter::new(
                FAILURES_PER_EMAIL_AND_ADDRESS,
                FAILURE_WINDOW,
            ),
            failures_per_address: RateLimiter::new(FAILURES_PER_ADDRESS, FAILURE_WINDOW),
            failures_per_email: RateLimiter::new(
                FAILURES_PER_EMAIL_BEFORE_DELAY + MAX_SIGN_IN_DELAY.as_secs() as usize,
                FAILURE_WINDOW,
            ),
        });
        provider.rotate_keys().await?;
        Ok(provider)
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    async fn rotate_keys(&self) -> Result<bool> {
        let keep_old_for = self.settings.session_lifetime + self.settings.clock_skew;
        self.keys
            .rotate_if_due(self.settings.key_rotation, keep_old_for)
            .await
    }

    /// Rotates this node's key when due and re-reads the published keys, every `period`.
    pub fn spawn_maintenance(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let provider = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(provider) = provider.upgrade() else {
                    return;
                };
                if let Err(e) = provider.rotate_keys().await {
                    tracing::warn!(error = %e, "could not rotate the signing key");
                }
                if let Err(e) = provider.keys.reload().await {
                    tracing::warn!(error = %e, "could not reload signing keys");
                }
            }
        })
    }

    pub fn verification_uri(&self) -> String {
        format!("{}/device", self.settings.issuer)
    }

    /// The OIDC discovery document.
    pub fn discovery(&self) -> serde_json::Value {
        let base = &self.settings.issuer;
        serde_json::json!({
            "issuer": base,
            "jwks_uri": format!("{base}/oauth/jwks"),
            "device_authorization_endpoint": format!("{base}/oauth/device/code"),
            "token_endpoint": format!("{base}/oauth/token"),
            "grant_types_supported": [DEVICE_GRANT],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "email", "profile"],
            "claims_supported": ["iss", "aud", "sub", "email", "iat", "nbf", "exp", "jti", "azp"],
        })
    }

    pub async fn jwks(&self) -> Result<serde_json::Value> {
        self.keys.jwks().await
    }

    fn device_code_hash(&self, device_code: &str) -> String {
        encode_hex(&self.pepper.hash(device_code))
    }

    /// What the audit log names an email typed at sign-in that is no user's: a keyed hash,
    /// so repeated attempts can be told apart and matched without keeping what was typed
    /// (which may be a password pasted into the wrong field).
    pub fn typed_email_label(&self, typed: &str) -> String {
        let hash = self
            .pepper
            .hash(&format!("sign-in email:{}", typed.trim().to_lowercase()));
        format!("unknown email #{}", &encode_hex(&hash)[..16])
    }

    /// `POST /oauth/device/code`: starts a sign-in for `client_id`.
    pub async fn start(
        &self,
        client_id: &str,
        scope: &str,
    ) -> std::result::Result<DeviceCodeResponse, OAuthError> {
        if client_id.trim().is_empty() {
            return Err(OAuthError::new("invalid_request", "client_id is required"));
        }
        check_length("client_id", client_id)?;
        check_length("scope", scope)?;
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)
            .map_err(|_| OAuthError::new("server_error", "no random numbers"))?;
        let device_code =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw);
        let now = Utc::now();
        // A clash of user codes is rare; try a few.
        for _ in 0..5 {
            let authorization = DeviceAuthorization {
                device_code_hash: self.device_code_hash(&device_code),
                user_code: new_user_code(),
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                created_at: now,
                expires_at: now + self.settings.device_code_lifetime,
                interval_secs: self.settings.poll_interval_secs,
                last_poll_at: None,
                status: DeviceStatus::Pending,
                user_id: None,
            };
            match self
                .catalog
                .create_device_authorization(&authorization)
                .await
            {
                Ok(()) => {
                    let uri = self.verification_uri();
                    return Ok(DeviceCodeResponse {
                        verification_uri_complete: format!(
                            "{uri}?user_code={}",
                            authorization.user_code
                        ),
                        verification_uri: uri,
                        device_code,
                        user_code: authorization.user_code,
                        expires_in: self.settings.device_code_lifetime.num_seconds(),
                        interval: self.settings.poll_interval_secs,
                    });
                }
                Err(e) if e.kind == ErrorKind::Conflict => continue,
                Err(e) => {
                    tracing::error!(error = %e, "could not start a device authorization");
                    return Err(OAuthError::new(
                        "server_error",
                        "the sign-in could not be started; try again",
                    ));
                }
            }
        }
        Err(OAuthError::new(
            "server_error",
            "the sign-in could not be started; try again",
        ))
    }

    /// `POST /oauth/token` with the device grant: pending, slow down, denied, expired, or a
    /// session token.
    pub async fn poll(
        &self,
        grant_type: &str,
        device_code: &str,
        client_id: &str,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        if grant_type != DEVICE_GRANT {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("only the device grant ({DEVICE_GRANT}) is supported"),
            ));
        }
        if device_code.is_empty() {
            return Err(OAuthError::new(
                "invalid_request",
                "device_code is required",
            ));
        }
        check_length("device_code", device_code)?;
        check_length("client_id", client_id)?;
        let hash = self.device_code_hash(device_code);
        let now = Utc::now();
        let internal = |e: Error| {
            tracing::error!(error = %e, "device authorization poll failed");
            OAuthError::new(
                "server_error",
                "the sign-in could not be checked; try again",
            )
        };
        let authorization = self
            .catalog
            .poll_device_authorization(&hash, now)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                OAuthError::new(
                    "invalid_grant",
                    "unknown device code; start the sign-in again",
                )
            })?;
        if authorization.client_id != client_id {
            return Err(OAuthError::new(
                "invalid_grant",
                "the device code was issued to another client",
            ));
        }
        if now >= authorization.expires_at {
            self.catalog
                .delete_device_authorization(&hash)
                .await
                .map_err(internal)?;
            return Err(OAuthError::new(
                "expired_token",
                "the sign-in expired; start it again",
            ));
        }
        match authorization.status {
            DeviceStatus::Pending => {
                let too_soon = authorization.last_poll_at.is_some_and(|last| {
                    now - last < TimeDelta::seconds(authorization.interval_secs)
                });
                Err(if too_soon {
                    OAuthError::new(
                        "slow_down",
                        format!("poll at most every {} seconds", authorization.interval_secs),
                    )
                } else {
                    OAuthError::new(
                        "authorization_pending",
                        "waiting for the sign-in to be approved",
                    )
                })
            }
            DeviceStatus::Denied => {
                self.catalog
                    .delete_device_authorization(&hash)
                    .await
                    .map_err(internal)?;
                Err(OAuthError::new("access_denied", "the sign-in was denied"))
            }
            DeviceStatus::Approved => {
                self.catalog
                    .delete_device_authorization(&hash)
                    .await
                    .map_err(internal)?;
                let user_id = authorization
                    .user_id
                    .ok_or_else(|| OAuthError::new("server_error", "approved without a user"))?;
                let user = self.catalog.get_user(user_id).await.map_err(|_| {
                    OAuthError::new("access_denied", "the approving user no longer exists")
                })?;
                let access_token = self
                    .issue_session(&user, client_id, &authorization.scope, now)
                    .map_err(internal)?;
                Ok(TokenResponse {
                    access_token,
                    token_type: "Bearer",
                    expires_in: self.settings.session_lifetime.num_seconds(),
                    scope: authorization.scope,
                })
            }
        }
    }

    /// A session JWT for `user`, signed with this node's current key.
    pub fn issue_session(
        &self,
        user: &User,
        client_id: &str,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let key = self.keys.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            sub: user.id.to_string(),
            email: user.email.clone(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + self.settings.session_lifetime).timestamp(),
            jti: Uuid::new_v4().to_string(),
            azp: client_id.to_string(),
            scope: scope.to_string(),
        };
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| Error::internal(format!("cannot sign a session: {e}")))
    }

    /// Checks a session JWT: a known key, EdDSA, signature, issuer, audience, `exp`/`nbf`
    /// within the skew. The `Err` says why, for the audit log.
    pub async fn verify_session(&self, jwt: &str) -> std::result::Result<Session, &'static str> {
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| "malformed session")?;
        if header.alg != Algorithm::EdDSA {
            return Err("session signed with an algorithm this server does not accept");
        }
        let kid = header.kid.ok_or("session names no signing key")?;
        let key = self
            .keys
            .decoding_key(&kid)
            .await
            .ok_or("session signed with an unknown key")?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.leeway = u64::try_from(self.settings.clock_skew.num_seconds()).unwrap_or(0);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data =
            jsonwebtoken::decode::<Claims>(jwt, &key, &validation).map_err(|e| jwt_failure(&e))?;
        let user_id =
            Uuid::parse_str(&data.claims.sub).map_err(|_| "session subject is not a user id")?;
        let expires_at = DateTime::from_timestamp(data.claims.exp, 0).ok_or("malformed session")?;
        let issued_at = DateTime::from_timestamp(data.claims.iat, 0).ok_or("malformed session")?;
        Ok(Session {
            user_id,
            issued_at,
            expires_at,
        })
    }

    /// The client that asked for the sign-in waiting for `user_code` (as typed), if one is.
    pub async fn requesting_client(&self, user_code: &str) -> Option<String> {
        let code = normalize_user_code(user_code)?;
        match self.catalog.find_device_authorization(&code).await {
            Ok(Some(authorization))
                if authorization.status == DeviceStatus::Pending
                    && authorization.expires_at > Utc::now() =>
            {
                Some(authorization.client_id)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "could not look up a sign-in's client");
                None
            }
        }
    }

    /// The sign-in on the verification page: checks the email and password, then approves or
    /// denies the pending authorization. Failures are limited per email and address and per
    /// address (the address waits), and slow down sign-ins for the email from anywhere (they
    /// are delayed, never refused, so guessing from one place cannot lock the user out).
    pub async fn decide(
        &self,
        user_code: &str,
        email: &str,
        password: &str,
        decision: Decision,
        source: &str,
    ) -> std::result::Result<User, SignInRefusal> {
        let code = normalize_user_code(user_code).ok_or_else(|| {
            SignInRefusal::new(
                Error::invalid("that code is not valid: it has eight letters, like BCDF-GHJK"),
                None,
                "malformed code",
            )
        })?;
        let email =
            normalize_email(email).map_err(|e| SignInRefusal::new(e, None, "malformed email"))?;
        let now = Instant::now();
        let address_key = source.to_string();
        let pair_key = format!("{email} from {source}");
        if let Some(wait) = self
            .failures_per_address
            .blocked(&address_key, now)
            .or_else(|| self.failures_per_email_and_address.blocked(&pair_key, now))
        {
            return Err(SignInRefusal::new(
                Error::new(
                    ErrorKind::RateLimited,
                    format!(
                        "too many failed sign-ins; try again in {} minutes",
                        wait.as_secs().div_ceil(60).max(1)
                    ),
                ),
                None,
                "too many failed sign-ins",
            ));
        }
        let failures_for_email = self.failures_per_email.recent(&email, now);
        if failures_for_email >= FAILURES_PER_EMAIL_BEFORE_DELAY {
            let excess = failures_for_email + 1 - FAILURES_PER_EMAIL_BEFORE_DELAY;
            let delay = Duration::from_secs(excess as u64).min(MAX_SIGN_IN_DELAY);
            metrics::counter!("strata_sign_in_delays_total").increment(1);
            tokio::time::sleep(delay).await;
        }
        let internal = |e: Error| SignInRefusal::new(e, None, "server error");
        let found = self
            .catalog
            .find_user_by_email(&email)
            .await
            .map_err(internal)?;
        let user_id = found.as_ref().map(|(user, _)| user.id);
        let matches = if password.len() > MAX_PASSWORD_BYTES {
            false // no password is this long: not worth hashing
        } else {
            let phc = found
                .as_ref()
                .and_then(|(_, hash)| hash.clone())
                .unwrap_or_else(|| dummy_hash().to_string());
            let candidate = password.to_string();
            // Verify even for unknown users, so timing does not tell who has an account.
            tokio::task::spawn_blocking(move || verify_password(&candidate, &phc))
                .await
                .map_err(|e| internal(Error::internal(format!("password check failed: {e}"))))?
        };
        let user = match (found, matches) {
            (Some((user, Some(_))), true) => user,
            _ => {
                self.failures_per_address.record_failure(&address_key, now);
                self.failures_per_email_and_address
                    .record_failure(&pair_key, now);
                self.failures_per_email.record_failure(&email, now);
                return Err(SignInRefusal::new(
                    Error::unauthenticated("wrong email or password"),
                    user_id,
                    "wrong email or password",
                ));
            }
        };
        self.failures_per_email_and_address.clear(&pair_key);
        let status = match decision {
            Decision::Approve => DeviceStatus::Approved,
            Decision::Deny => DeviceStatus::Denied,
        };
        self.catalog
            .decide_device_authorization(&code, status, user.id)
            .await
            .map_err(|e| {
                if e.kind == ErrorKind::NotFound {
                    SignInRefusal::new(
                        Error::not_found(
                            "no sign-in is waiting for that code; it may have expired: run `stratactl auth login` again",
                        ),
                        Some(user.id),
                        "no sign-in waiting for the code",
                    )
                } else {
                    SignInRefusal::new(e, Some(user.id), "server error")
                }
            })?;
        Ok(user)
    }

    /// On a catalog with no users, creates the first Admin (once across all nodes). Returns the
    /// user and, when no password was given, the generated one-time password to show once.
    pub async fn ensure_bootstrap_admin(
        &self,
        email: &str,
        password: Option<String>,
    ) -> Result<Option<(User, Option<String>)>> {
        if !self.catalog.list_users().await?.is_empty() {
            return Ok(None);
        }
        let claim = Uuid::new_v4().to_string();
        if self.catalog.claim_setting(BOOTSTRAP_CLAIM, &claim).await? != claim {
            return Ok(None); // another node (or an earlier start) made the first Admin
        }
        let email = normalize_email(email)?;
        let (password, generated) = match password {
            Some(password) => {
                crate::check_password_strength(&password)?;
                (password, false)
            }
            None => (generate_password(), true),
        };
        let to_hash = password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&to_hash))
            .await
            .map_err(|e| Error::internal(format!("password hashing failed: {e}")))??;
        let user = self
            .catalog
            .create_user(NewUser {
                email,
                first_name: "Admin".into(),
                last_name: String::new(),
                group: UserGroup::Admin,
                password_hash: Some(hash),
                subject: None,
            })
            .await?;
        Ok(Some((user, generated.then_some(password))))
    }
}

/// Refuses an OAuth parameter longer than anyone sends.
fn check_length(name: &str, value: &str) -> std::result::Result<(), OAuthError> {
    if value.len() > MAX_OAUTH_FIELD_BYTES {
        return Err(OAuthError::new(
            "invalid_request",
            format!("{name} is longer than {MAX_OAUTH_FIELD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A hash of a random password, verified against when the user does not exist.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&generate_password()).expect("hashing a random password"))
}

/// Why a session JWT failed verification, in words for the audit log and the 401.
pub(crate) fn jwt_failure(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as Jwt;
    match e.kind() {
        Jwt::ExpiredSignature => "session expired",
        Jwt::ImmatureSignature => "session not valid yet",
        Jwt::InvalidIssuer => "session from another issuer",
        Jwt::InvalidAudience => "session for another audience",
        Jwt::InvalidSignature => "session signature does not verify",
        _ => "malformed session",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_catalog::SqlCatalog;

    /// A provider on a fresh SQLite catalog, with one user.
    async fn provider() -> (Arc<BuiltInProvider>, User, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("catalog.db").display()
        );
        let catalog: Arc<dyn Catalog> = Arc::new(SqlCatalog::open(&url).await.unwrap());
        let pepper = Pepper::from_hex(&"07".repeat(32)).unwrap();
        let mut settings = ProviderSettings::new("http://strata.test".into());
        settings.clock_skew = TimeDelta::zero();
        let provider = BuiltInProvider::open(catalog.clone(), pepper, dir.path(), settings)
            .await
            .unwrap();
        let user = catalog
            .create_user(NewUser {
                email: "ada@example.com".into(),
                first_name: "Ada".into(),
                last_name: String::new(),
                group: UserGroup::Member,
                password_hash: None,
                subject: None,
            })
            .await
            .unwrap();
        (provider, user, dir)
    }

    #[tokio::test]
    async fn sessions_verify_only_within_their_lifetime() {
        let (provider, user, _dir) = provider().await;
        let now = Utc::now();
        let current = provider
            .issue_session(&user, "stratactl", "openid", now)
            .unwrap();
        assert_eq!(
            provider.verify_session(&current).await.unwrap().user_id,
            user.id
        );

        let future = provider
            .issue_session(&user, "stratactl", "openid", now + TimeDelta::hours(1))
            .unwrap();
        assert_eq!(
            provider.verify_session(&future).await,
            Err("session not valid yet")
        );
        let past = provider
            .issue_session(&user, "stratactl", "openid", now - TimeDelta::hours(2))
            .unwrap();
        assert_eq!(provider.verify_session(&past).await, Err("session expired"));
    }
}
