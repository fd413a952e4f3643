//! User sessions for the management plane.
//!
//! The built-in identity provider ([`BuiltInProvider`]) is an OAuth2 device-flow (RFC 8628)
//! authorization server with OIDC discovery and a JWKS: a person approves a CLI's sign-in on a
//! web page with email and password, and the CLI receives a short-lived session JWT signed
//! with a node-local Ed25519 key whose public half every node reads from the catalog.
//! [`BuiltInProvider::verify_session`] turns such a JWT back into a user id.

mod device;
mod external;
mod keys;
mod password;
mod provider;
mod ratelimit;

pub use device::{DeviceCodeResponse, OAuthError, TokenResponse, normalize_user_code};
pub use external::{ExternalProvider, ExternalSession, ExternalSettings, ExternalUser, UserClaim};
pub use password::{
    MAX_PASSWORD_BYTES, check_password_strength, generate_password, hash_password, verify_password,
};
pub use provider::{
    BuiltInProvider, Decision, MAX_OAUTH_FIELD_BYTES, ProviderSettings, Session, SignInRefusal,
};
pub use ratelimit::RateLimiter;
