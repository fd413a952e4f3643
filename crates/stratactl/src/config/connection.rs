//! A client for the profile's server with its management credential.

use strata_client::Client;

use super::credential::{CredentialSource, credential};
use super::target::{Target, target};
use crate::cli::GlobalArgs;
use crate::log::debug;
use crate::session;

/// A client for the profile with its management credential, and what error messages need
/// to say.
pub struct Connection {
    pub client: Client,
    pub target: Target,
    pub source: CredentialSource,
}

/// Builds the client for the chosen profile: file, profile, URL, credential, TLS. Signs in
/// first when the profile has no credential and no usable cached session (on a terminal).
pub async fn connect(global: &GlobalArgs) -> anyhow::Result<Connection> {
    let target = target(global)?;
    let (token, source) = credential(&target).await?;
    debug!(
        "endpoint {} ({:?} URL shape), credential: {source}",
        target.base_url, target.product
    );
    let client = target.client(Some(token))?;
    Ok(Connection {
        client,
        target,
        source,
    })
}

impl Connection {
    /// Awaits an API call of this connection's client; a failure comes back
    /// [explained](Self::explain).
    pub async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, strata_client::Error>>,
    ) -> anyhow::Result<T> {
        call.await.map_err(|e| self.explain(e))
    }

    /// An API error with what the user can do about it. A login session the server refused
    /// (401) is of no more use, so it is deleted from the cache.
    pub fn explain(&self, error: strata_client::Error) -> anyhow::Error {
        let refused = matches!(error, strata_client::Error::Api { status: 401, .. });
        let session_deleted = match self.source.session_file() {
            Some(path) if refused => Some(session::remove(path)),
            _ => None,
        };
        self.target
            .explain(error, Some(&self.source), session_deleted.as_ref())
    }
}
