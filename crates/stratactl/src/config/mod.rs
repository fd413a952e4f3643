//! Connection profiles (`[[profile]]` tables of a TOML file), the management credential,
//! and the API client built from them.
//!
//! - File: `--config`, else `STRATACTL_CONFIG`, else `CONFIG_DIR/stratactl/config.toml` if
//!   it exists, else influxctl's `CONFIG_DIR/influxctl/config.toml` if that exists;
//!   `CONFIG_DIR` is `$XDG_CONFIG_HOME` when set (absolute), else `$HOME/.config` (see
//!   [`lookup`]).
//! - Profile: `--profile`, else `STRATACTL_PROFILE`, else `INFLUXCTL_PROFILE`, else
//!   `default`.
//! - Base URL: `https://host:port`, or `http://host:port` when `[profile.tls] disable =
//!   true`; without `port`, 443 with TLS and 80 without.
//! - URL shape: `product = "clustered"` uses `/api/v0/…`; `product = "dedicated"` uses
//!   `/api/v0/accounts/{account_id}/clusters/{cluster_id}/…` (`--account`/`--cluster`
//!   override the profile's ids).
//! - Management credential, first found wins: `STRATACTL_MGMT_TOKEN`,
//!   `INFLUXCTL_MGMT_TOKEN`, the profile's `mgmt_token`, the file named by
//!   `[profile.auth.token] token_file` (the token alone, or JSON `{"token": "…"}` /
//!   `{"access_token": "…"}`), the session of `auth login` cached for the profile
//!   (unexpired, for the same server; see [`crate::session`]), and last a sign-in through the
//!   device flow, on a terminal only (see [`crate::login`]).
//! - Relative paths (`token_file`, TLS files) are relative to the config file's directory;
//!   `~/` is the home directory.

mod connection;
mod credential;
mod explain;
mod file;
mod lookup;
mod observer;
mod target;

pub use connection::connect;
pub use credential::configured_credential;
pub use explain::capitalize;
pub use lookup::profile_name;
pub use target::{Target, data_target, target};
