//! Authentication for Strata: token secrets and their format, the keyed hash ("pepper") that
//! is all the catalog ever stores, the in-memory index that makes a token check a hash and a
//! map lookup, the principals a credential resolves to, and the token lifecycle (mint,
//! update, revoke) that keeps catalog and index in step.

mod audit;
mod index;
mod pepper;
mod principal;
mod secret;
mod tokens;

pub use audit::Audit;
pub use index::{IndexedToken, TokenIndex};
pub use pepper::{Pepper, TokenHash, decode_hex, encode_hex};
pub use principal::{AuthFailure, ManagementAction, Principal};
pub use secret::{MintedSecret, TokenClass};
pub use strata_types::redact_secrets;
pub use tokens::{Authenticator, NewDatabaseToken, NewManagementToken};

/// How often a node re-reads token changes made by other nodes; the documented bound on how
/// long a revocation elsewhere takes to reach this node (plus one catalog round trip).
pub const TOKEN_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
/// `last_used_at` is written at most once per this interval per token.
pub const LAST_USED_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
