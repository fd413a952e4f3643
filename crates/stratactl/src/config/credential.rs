//! The management credential: where it comes from, by precedence, and signing in when there is
//! none.

use std::fmt;
use std::path::{Path, PathBuf};

use std::io::IsTerminal;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use strata_client::Secret;

use super::file::Loaded;
use super::target::Target;
use crate::log::debug;
use crate::{login, session};

/// Variables that may hold a management token, first set wins: stratactl's, then
/// influxctl's (added in 2.10.1; its docs do not name it, and this is the name that fits its
/// `INFLUXCTL_PROFILE`).
const MGMT_TOKEN_VARS: [&str; 2] = ["STRATACTL_MGMT_TOKEN", "INFLUXCTL_MGMT_TOKEN"];

/// Where the management credential came from (never the credential itself).
#[derive(Debug, Clone)]
pub enum CredentialSource {
    /// The variable that held it.
    Env(&'static str),
    MgmtToken {
        profile: String,
    },
    TokenFile {
        path: PathBuf,
    },
    /// A session of an earlier `auth login`, from the login cache.
    CachedLogin {
        who: String,
        path: PathBuf,
    },
    /// A session from the sign-in this command just ran (and cached at `path`).
    NewLogin {
        who: String,
        path: PathBuf,
    },
}

impl CredentialSource {
    /// The login cache file of a session.
    pub(super) fn session_file(&self) -> Option<&Path> {
        match self {
            CredentialSource::CachedLogin { path, .. }
            | CredentialSource::NewLogin { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Env(var) => write!(f, "the management token in {var}"),
            CredentialSource::MgmtToken { profile } => {
                write!(f, "the mgmt_token of profile {profile:?}")
            }
            CredentialSource::TokenFile { path } => {
                write!(f, "the token in token_file {}", path.display())
            }
            CredentialSource::CachedLogin { who, path } => {
                write!(f, "the login session of {who} cached in {}", path.display())
            }
            CredentialSource::NewLogin { who, .. } => {
                write!(f, "the login session of {who} from this sign-in")
            }
        }
    }
}

pub(super) const HOW_TO_SUPPLY: &str = "set mgmt_token in the profile, export STRATACTL_MGMT_TOKEN, or name a file holding the token with [profile.auth.token] token_file; make a management token with `stratactl management create` (with an existing one) or, on the server's machine, `strata admin management-token create`";

const HOW_TO_SIGN_IN: &str = "run `stratactl auth login` (it shows an address where you approve the sign-in, and later commands use the session it caches), or set mgmt_token in the profile, export STRATACTL_MGMT_TOKEN, or name a file holding a management token with [profile.auth.token] token_file";

/// The token of a `token_file`: the token alone, or JSON `{"token": "…"}` (also
/// `{"access_token": "…"}`).
fn read_token_file(path: &Path) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read token_file {}", path.display()))?;
    let text = text.trim();
    if text.is_empty() {
        bail!(
            "token_file {} is empty; put the token in it",
            path.display()
        );
    }
    if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            anyhow!(
                "token_file {} starts with '{{' but is not JSON ({e}); write the token alone, or {{\"token\": \"…\"}}",
                path.display()
            )
        })?;
        let token = ["token", "access_token"]
            .iter()
            .find_map(|key| value.get(key).and_then(|v| v.as_str()))
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                anyhow!(
                    "token_file {} is JSON without a \"token\" field; write the token alone, or {{\"token\": \"…\"}}",
                    path.display()
                )
            })?;
        return Ok(Secret::new(token.trim()));
    }
    if text.contains(char::is_whitespace) {
        bail!(
            "token_file {} must hold the token alone (or JSON {{\"token\": \"…\"}}), but has several words",
            path.display()
        );
    }
    Ok(Secret::new(text))
}

/// The credential configured for the profile, by precedence: `STRATACTL_MGMT_TOKEN` >
/// `INFLUXCTL_MGMT_TOKEN` > `mgmt_token` > `token_file`; `None` when there is none (a login
/// session is used then).
pub fn configured_credential(
    loaded: &Loaded,
) -> anyhow::Result<Option<(Secret, CredentialSource)>> {
    let profile = &loaded.profile;
    for var in MGMT_TOKEN_VARS {
        if let Ok(token) = std::env::var(var)
            && !token.trim().is_empty()
        {
            return Ok(Some((
                Secret::new(token.trim()),
                CredentialSource::Env(var),
            )));
        }
    }
    if let Some(token) = profile.mgmt_token.as_deref().map(str::trim)
        && !token.is_empty()
    {
        return Ok(Some((
            Secret::new(token),
            CredentialSource::MgmtToken {
                profile: loaded.name().to_string(),
            },
        )));
    }
    if let Some(auth) = &profile.auth.token {
        let path = loaded.resolve(&auth.token_file);
        let token = read_token_file(&path)?;
        return Ok(Some((token, CredentialSource::TokenFile { path })));
    }
    Ok(None)
}

/// The management credential, by precedence: `STRATACTL_MGMT_TOKEN` >
/// `INFLUXCTL_MGMT_TOKEN` > `mgmt_token` > `token_file` > the cached login session
/// (unexpired, for this server) > a sign-in now through the device flow (only when standard
/// input is a terminal, so someone is there to approve it).
pub(super) async fn credential(target: &Target) -> anyhow::Result<(Secret, CredentialSource)> {
    if let Some(found) = configured_credential(&target.loaded)? {
        return Ok(found);
    }
    let name = target.name();
    let mut why_not_cached = String::new();
    if let Some((session, path)) = session::load(name)? {
        if session.host != target.base_url {
            why_not_cached = format!(
                " (the cached login session is for {}, not {})",
                session.host, target.base_url
            );
        } else if !session.is_fresh(Utc::now()) {
            let at = session
                .expires_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            why_not_cached = format!(" (the cached login session expired at {at})");
        } else {
            let who = session.who().to_string();
            return Ok((
                session.access_token,
                CredentialSource::CachedLogin { who, path },
            ));
        }
        debug!("not using {}{why_not_cached}", path.display());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no management credential for profile {name:?}{why_not_cached}, and sign-in cannot start here because standard input is not a terminal: {HOW_TO_SIGN_IN}"
        );
    }
    let (session, path) = login::sign_in(target, login::Report::Stderr).await?;
    let who = session.who().to_string();
    Ok((
        session.access_token,
        CredentialSource::NewLogin { who, path },
    ))
}
