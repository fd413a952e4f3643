//! The login cache: the session of `stratactl auth login`, one JSON file per profile.
//!
//! - Directory: `$XDG_CACHE_HOME/stratactl/` when `XDG_CACHE_HOME` is an absolute path,
//!   else `$HOME/.cache/stratactl/`; made (and kept) mode 0700.
//! - File: `<profile>.json` (characters other than `A-Za-z0-9_-` percent-encoded), mode
//!   0600, written to a temporary file and renamed into place.
//! - Content: the session, when it expires, and the server (base URL) and issuer it belongs
//!   to. A session is used only for the server it was made for, and only until a minute
//!   before it expires; the server refusing it (401) deletes the file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use strata_client::Secret;

use crate::log::{debug, warning};

/// A session counts as expired this long before it does, so a command does not start with
/// one that runs out on the way.
const EXPIRY_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// One cached login. `Debug` never shows the token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedSession {
    /// The profile it was made for.
    pub profile: String,
    /// The server's base URL (`http(s)://host:port`): the session is used only there.
    pub host: String,
    /// The identity provider that issued it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Who signed in (from the session's claims), for messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub token_type: String,
    pub access_token: Secret,
    /// When the session ends; `None` when the provider did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl CachedSession {
    /// Whether it may be used now (it has not expired, with a margin).
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at - EXPIRY_MARGIN > now)
    }

    /// `admin@example.com`, or `someone` when the session did not say.
    pub fn who(&self) -> &str {
        self.email.as_deref().unwrap_or("someone")
    }
}

/// `$XDG_CACHE_HOME/stratactl` or `$HOME/.cache/stratactl`.
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Ok(xdg.join("stratactl"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
        anyhow!("neither XDG_CACHE_HOME nor HOME is set, so there is no place to keep the login session; set one of them")
    })?;
    Ok(PathBuf::from(home).join(".cache/stratactl"))
}

/// The file name of a profile's session: the name with every character other than
/// `A-Za-z0-9_-` percent-encoded (so `..` or `a/b` stay one plain file), then `.json`.
pub fn file_name(profile: &str) -> String {
    let mut out = String::new();
    for byte in profile.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if out.is_empty() {
        out.push('%');
    }
    format!("{out}.json")
}

/// Where the session of `profile` is kept.
pub fn path_for(profile: &str) -> anyhow::Result<PathBuf> {
    Ok(cache_dir()?.join(file_name(profile)))
}

/// Makes the cache directory (mode 0700), and narrows it to 0700 if it exists.
fn make_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot make the login cache directory {}", dir.display()))?;
        let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).with_context(|| {
                format!(
                    "cannot restrict the login cache directory {} to its owner",
                    dir.display()
                )
            })?;
        }
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot make the login cache directory {}", dir.display()))?;
    Ok(())
}

/// Writes the session of its profile (mode 0600); returns the file's path.
pub fn save(session: &CachedSession) -> anyhow::Result<PathBuf> {
    let path = path_for(&session.profile)?;
    let dir = path.parent().expect("the cache file is in a directory");
    make_dir(dir)?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        file_name(&session.profile),
        std::process::id()
    ));
    let text = serde_json::to_string_pretty(session).expect("sessions serialize");
    let write = || -> std::io::Result<()> {
        let _ = fs::remove_file(&temp);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temp, &path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&temp);
        anyhow!("cannot write the login session to {}: {e}", path.display())
    })?;
    Ok(path)
}

/// The cached session of `profile`, if there is a readable one. A file that cannot be
/// read as a session is reported and ignored (a new login replaces it).
pub fn load(profile: &str) -> anyhow::Result<Option<(CachedSession, PathBuf)>> {
    let path = path_for(profile)?;
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            debug!("no cached login session at {}", path.display());
            return Ok(None);
        }
        Err(e) => {
            warning!(
                "cannot read the cached login session {}: {e}; ignoring it",
                path.display()
            );
            return Ok(None);
        }
    };
    match serde_json::from_str::<CachedSession>(&text) {
        Ok(session) => Ok(Some((session, path))),
        Err(e) => {
            warning!(
                "{} is not a login session stratactl can read ({e}); ignoring it (`stratactl auth login` replaces it)",
                path.display()
            );
            Ok(None)
        }
    }
}

/// Deletes a session file; whether there was one.
pub fn remove(path: &Path) -> anyhow::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(anyhow!(
            "cannot delete the cached login session {}: {e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_become_one_plain_file_name() {
        assert_eq!(file_name("default"), "default.json");
        assert_eq!(file_name("prod_eu-1"), "prod_eu-1.json");
        assert_eq!(file_name(".."), "%2E%2E.json");
        assert_eq!(file_name("a/b"), "a%2Fb.json");
        assert_eq!(file_name("é"), "%C3%A9.json");
        assert_eq!(file_name(""), "%.json");
    }

    #[test]
    fn freshness_has_a_margin_and_tokens_do_not_debug_print() {
        let now = Utc::now();
        let mut session = CachedSession {
            profile: "p".into(),
            host: "http://h:1".into(),
            issuer: None,
            email: None,
            token_type: "Bearer".into(),
            access_token: Secret::new("eyJsecret"),
            expires_at: Some(now + TimeDelta::minutes(10)),
            created_at: now,
        };
        assert!(session.is_fresh(now));
        session.expires_at = Some(now + TimeDelta::seconds(30));
        assert!(!session.is_fresh(now));
        session.expires_at = None;
        assert!(session.is_fresh(now));
        assert!(!format!("{session:?}").contains("eyJsecret"));
    }
}
