//! Errors of API calls, with what the user can do about them.

use anyhow::anyhow;
use strata_client::TransportErrorKind;

use super::credential::{CredentialSource, HOW_TO_SUPPLY};
use super::target::Target;

impl Target {
    /// A failed sign-in step with what the user can do about it.
    pub fn explain_sign_in(&self, error: strata_client::Error) -> anyhow::Error {
        use strata_client::Error as E;
        match &error {
            E::Config { .. } => anyhow!(
                "{error}: set device_url and token_url under [profile.auth.oauth2] of {}",
                self.in_file
            ),
            E::Transport { origin, .. } if !self.is_server(origin) => anyhow!(
                "{error}; check device_url and token_url under [profile.auth.oauth2] of {}",
                self.in_file
            ),
            _ => self.explain(error, None, None),
        }
    }

    /// Whether `origin` is the server's (rather than an identity provider's elsewhere).
    fn is_server(&self, origin: &str) -> bool {
        self.config.origin() == origin
    }

    /// An API error with what the user can do about it, given the credential the call used
    /// (when it used one) and, for a refused login session, whether deleting it from the
    /// cache worked ([`Connection::explain`](super::Connection::explain) deletes it).
    pub fn explain(
        &self,
        error: strata_client::Error,
        source: Option<&CredentialSource>,
        session_deleted: Option<&anyhow::Result<bool>>,
    ) -> anyhow::Error {
        use strata_client::Error as E;
        let profile = self.name();
        let file = self.loaded.path.display();
        match (&error, source) {
            (E::Api { status: 401, .. }, Some(source)) => match source.session_file() {
                Some(_) => {
                    let dropped = match session_deleted {
                        Some(Ok(_)) => "it is now deleted".to_string(),
                        Some(Err(e)) => {
                            format!("deleting it failed ({e:#}), so delete it by hand")
                        }
                        None => "it is still cached".to_string(),
                    };
                    anyhow!(
                        "{error}; the server refused {source} (it may have expired, be for another server, or its user may have been removed), and {dropped}: sign in again with `stratactl auth login`, or set a management token"
                    )
                }
                None => anyhow!(
                    "{error}; the server refused {source}: it may be revoked, expired or mistyped. {}",
                    capitalize(HOW_TO_SUPPLY)
                ),
            },
            (E::Api { status: 403, .. }, Some(source)) if source.session_file().is_some() => {
                anyhow!(
                    "{error}; {source} is not allowed to do this (an Admin can change a user's group with `stratactl user update --group`)"
                )
            }
            (E::Api { status: 403, .. }, Some(source)) => {
                anyhow!("{error}; {source} is not allowed to do this")
            }
            (E::Transport { kind, .. }, _) => match kind {
                TransportErrorKind::Timeout(_) => anyhow!(
                    "no answer from {} within {} (--timeout); check that the server is up and reachable, or raise --timeout",
                    self.base_url,
                    self.timeout_text
                ),
                TransportErrorKind::Connect => anyhow!(
                    "{error}; check host and port of profile {profile:?} in {file}, and that the server is running"
                ),
                TransportErrorKind::Tls => anyhow!(
                    "{error}; if the server's certificate comes from a private CA set [profile.tls] ca to its PEM bundle, and if the server speaks plain HTTP set [profile.tls] disable = true (profile {profile:?} in {file})"
                ),
                _ => anyhow!("{error}; check host and port of profile {profile:?} in {file}"),
            },
            _ => anyhow!("{error}"),
        }
    }
}

pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
