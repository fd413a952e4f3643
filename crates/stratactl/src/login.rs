//! Sign-in through the identity provider's device flow: show the address and the code,
//! open a browser when there is one to open, wait for the approval, cache the session.
//!
//! The instructions go to stderr. A browser is tried only when both stdin and stderr are
//! terminals and `STRATACTL_NO_BROWSER` is not set: on Linux with `xdg-open` when a
//! graphical session is there (`DISPLAY` or `WAYLAND_DISPLAY`; without one `xdg-open` would
//! start a text browser over this very terminal), on macOS with `open`. Not finding or not
//! starting one is never an error: the address is printed either way.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{SecondsFormat, Utc};
use strata_client::DeviceAuthorization;

use crate::config::Target;
use crate::log::debug;
use crate::session::{self, CachedSession};

pub const ENV_NO_BROWSER: &str = "STRATACTL_NO_BROWSER";

/// Where the result line goes: stdout for `auth login`, stderr when a management command
/// signs in on its way (its stdout is the command's output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Stdout,
    Stderr,
}

/// Text from the identity provider made safe to print: no control characters (escape
/// sequences) that could drive the terminal.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// `10 minutes`, `90 seconds`.
fn lifetime_text(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_string(),
        s if s >= 120 && s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

fn instructions(authorization: &DeviceAuthorization) -> String {
    let code = printable(&authorization.user_code);
    let expires = lifetime_text(authorization.expires_in.as_secs());
    let body = match &authorization.verification_uri_complete {
        Some(url) => format!(
            "To sign in, open this address in a browser:\n\n    {}\n\nand check that the page shows the code {code} before you approve.",
            printable(url)
        ),
        None => format!(
            "To sign in, open this address in a browser:\n\n    {}\n\nand enter the code {code}.",
            printable(&authorization.verification_uri)
        ),
    };
    format!("{body}\nWaiting for the sign-in (the code expires in {expires})...")
}

/// The first executable `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The program that opens a URL in the desktop's browser, if this system has one to use.
fn opener() -> Option<PathBuf> {
    if cfg!(target_os = "macos") {
        return on_path("open");
    }
    if cfg!(unix) {
        let graphical = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
        return if graphical { on_path("xdg-open") } else { None };
    }
    None
}

/// Tries to open `url` in a browser; whether one was started.
fn open_browser(url: &str) -> bool {
    if std::env::var_os(ENV_NO_BROWSER).is_some() {
        debug!("not opening a browser: {ENV_NO_BROWSER} is set");
        return false;
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        debug!("not opening a browser: stdin or stderr is not a terminal");
        return false;
    }
    // Only web addresses, whole: nothing the opener could take for an option or a file.
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        debug!("not opening a browser: the verification address is not an http(s) URL");
        return false;
    }
    let Some(program) = opener() else {
        debug!("not opening a browser: no xdg-open (with a graphical session) or open found");
        return false;
    };
    match Command::new(&program)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Reap it whenever it ends; it does not hold the sign-in up.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(e) => {
            debug!("could not start {}: {e}", program.display());
            false
        }
    }
}

/// Runs the device flow for the profile's server and caches the session; returns it and
/// where it is cached. `report` says where the "signed in" line goes.
pub async fn sign_in(target: &Target, report: Report) -> anyhow::Result<(CachedSession, PathBuf)> {
    let client = target.client(None)?;
    let settings = target.oauth2();
    let flow = client
        .device_flow(settings)
        .await
        .map_err(|e| target.explain_sign_in(e))?;
    let endpoints = flow.endpoints();
    debug!(
        "identity provider: device authorization at {}, token at {}, client id {:?}",
        endpoints.device_url,
        endpoints.token_url,
        flow.settings().client_id()
    );
    let authorization = flow.start().await.map_err(|e| target.explain_sign_in(e))?;
    eprintln!("{}", instructions(&authorization));
    if open_browser(authorization.url_to_open()) {
        eprintln!("(The address was opened in your browser.)");
    }
    let token = flow
        .wait(&authorization)
        .await
        .map_err(|e| target.explain_sign_in(e))?;
    let email = token
        .unverified_claims()
        .and_then(|claims| {
            ["email", "preferred_username", "sub"]
                .iter()
                .find_map(|key| claims.get(*key)?.as_str().map(printable))
        })
        .filter(|e| !e.is_empty());
    let issuer = endpoints
        .issuer
        .clone()
        .unwrap_or_else(|| endpoints.token_url.origin().ascii_serialization());
    let session = CachedSession {
        profile: target.name().to_string(),
        host: target.base_url.clone(),
        issuer: Some(issuer),
        email,
        token_type: token.token_type.clone(),
        access_token: token.access_token.clone(),
        expires_at: token.expires_at,
        created_at: Utc::now(),
    };
    let path = session::save(&session)?;
    let until = session
        .expires_at
        .map(|at| {
            format!(
                "is valid until {} and ",
                at.to_rfc3339_opts(SecondsFormat::Secs, true)
            )
        })
        .unwrap_or_default();
    let line = format!(
        "signed in to {} as {}; the session {until}is cached in {}",
        target.base_url,
        session.who(),
        path.display()
    );
    match report {
        Report::Stdout => println!("{line}"),
        Report::Stderr => eprintln!("{line}"),
    }
    Ok((session, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(lifetime_text(600), "10 minutes");
        assert_eq!(lifetime_text(90), "90 seconds");
        assert_eq!(lifetime_text(60), "60 seconds");
        assert_eq!(lifetime_text(1), "1 second");
    }

    #[test]
    fn provider_text_cannot_drive_the_terminal() {
        assert_eq!(printable("ABCD-\u{1b}[2JEFGH"), "ABCD-[2JEFGH");
    }
}
