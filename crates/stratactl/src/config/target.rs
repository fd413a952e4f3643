//! The profile's server: its URL, URL shape, TLS and timeout, and clients for it.

use anyhow::anyhow;
use strata_client::{
    Client, ClientConfig, DataClient, OAuth2Settings, Secret, TlsConfig, UrlShape,
    base_url_from_host,
};

use super::file::{Loaded, Product, Profile, load};
use super::lookup::profile_name;
use super::observer::observer;
use crate::cli::{GlobalArgs, Timeout};
use crate::log::warning;

/// The profile's server, and a client configuration for it without a credential.
pub struct Target {
    pub loaded: Loaded,
    pub product: Product,
    /// `http(s)://host:port`
    pub base_url: String,
    pub(super) config: ClientConfig,
    pub(super) in_file: String,
    pub(super) timeout_text: String,
}

/// Reads the chosen profile and works out its server: file, profile, URL, URL shape, TLS.
pub fn target(global: &GlobalArgs) -> anyhow::Result<Target> {
    let loaded = load(global.config.as_deref(), &profile_name(global))?;
    let name = loaded.name().to_string();
    let in_file = format!("profile {name:?} in {}", loaded.path.display());
    let product = loaded.profile.product.ok_or_else(|| {
        anyhow!("{in_file} has no product; set product = \"clustered\" (URLs /api/v0/…) or product = \"dedicated\" (with account_id and cluster_id)")
    })?;
    let shape = |profile: &Profile| match product {
        Product::Clustered => {
            if global.account.is_some() || global.cluster.is_some() {
                warning!(
                    "--account and --cluster are ignored: profile {name:?} is clustered (URLs /api/v0/…)"
                );
            }
            Ok(UrlShape::Clustered)
        }
        Product::Dedicated => {
            let pick = |flag: &Option<String>,
                        key: &Option<String>,
                        what: &str,
                        flag_name: &str| {
                flag.clone()
                    .or_else(|| key.clone())
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| {
                        anyhow!("{in_file} is dedicated but has no {what}; set {what} in the profile or pass {flag_name}")
                    })
            };
            Ok(UrlShape::Dedicated {
                account_id: pick(
                    &global.account,
                    &profile.account_id,
                    "account_id",
                    "--account",
                )?,
                cluster_id: pick(
                    &global.cluster,
                    &profile.cluster_id,
                    "cluster_id",
                    "--cluster",
                )?,
            })
        }
    };
    server(loaded, product, &global.timeout, shape)
}

/// Reads the chosen profile and works out its server for the data API (`write` and
/// `query`): file, profile, URL and TLS. The product and the dedicated ids play no part
/// (data requests go to `https://host:port` whatever the product), so they are not
/// required; `timeout` is the command's own.
pub fn data_target(global: &GlobalArgs, timeout: &Timeout) -> anyhow::Result<Target> {
    let loaded = load(global.config.as_deref(), &profile_name(global))?;
    // Only shown in debug lines; the data API has one URL shape.
    let product = loaded.profile.product.unwrap_or(Product::Clustered);
    server(loaded, product, timeout, |_| Ok(UrlShape::Clustered))
}

/// The profile's server: URL from host, port and `[profile.tls]`, the URL shape `shape`
/// gives (after the host is checked), the timeout, TLS files and the debug observer.
fn server(
    loaded: Loaded,
    product: Product,
    timeout: &Timeout,
    shape: impl FnOnce(&Profile) -> anyhow::Result<UrlShape>,
) -> anyhow::Result<Target> {
    let name = loaded.name().to_string();
    let profile = &loaded.profile;
    let in_file = format!("profile {name:?} in {}", loaded.path.display());
    let host = profile
        .host
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| {
            anyhow!("{in_file} has no host; set host (and port) to the Strata server's address")
        })?;
    let tls = &profile.tls;
    let base_url = base_url_from_host(
        host,
        profile.port.as_ref().map(|p| p.0.as_str()),
        !tls.disable,
    )
    .map_err(|e| anyhow!("{in_file}: {e}"))?;
    let shape = shape(profile)?;
    let mut config = ClientConfig::new(&base_url, shape)
        .map_err(|e| anyhow!("{in_file}: {e}"))?
        .with_user_agent(concat!("stratactl/", env!("CARGO_PKG_VERSION")));
    if !timeout.duration.is_zero() {
        config = config.with_timeout(timeout.duration);
    }
    if tls.disable {
        if tls.insecure || tls.ca.is_some() || tls.cert.is_some() || tls.key.is_some() {
            warning!(
                "[profile.tls] of profile {name:?} sets disable = true: its other TLS settings are ignored"
            );
        }
    } else {
        config = config.with_tls(TlsConfig {
            ca_file: tls.ca.as_deref().map(|p| loaded.resolve(p)),
            insecure_skip_verify: tls.insecure,
            client_cert: tls.cert.as_deref().map(|p| loaded.resolve(p)),
            client_key: tls.key.as_deref().map(|p| loaded.resolve(p)),
        });
        if tls.insecure {
            warning!("[profile.tls] insecure = true: the server's certificate is not verified");
        }
    }
    if crate::log::debug_enabled() {
        config = config.with_observer(observer());
    }
    Ok(Target {
        loaded,
        product,
        base_url,
        config,
        in_file,
        timeout_text: timeout.text.clone(),
    })
}

impl Target {
    pub fn name(&self) -> &str {
        self.loaded.name()
    }

    /// `[profile.auth.oauth2]` as the client's settings (all defaults without one).
    pub fn oauth2(&self) -> OAuth2Settings {
        let Some(oauth2) = &self.loaded.profile.auth.oauth2 else {
            return OAuth2Settings::default();
        };
        OAuth2Settings {
            client_id: oauth2.client_id.clone(),
            scopes: oauth2.scopes.clone().unwrap_or_default(),
            parameters: oauth2.parameters.clone().unwrap_or_default(),
            device_url: oauth2.device_url.clone(),
            token_url: oauth2.token_url.clone(),
        }
    }

    /// The profile's name and file, for messages: `profile "default" in /path/config.toml`.
    pub fn in_file(&self) -> &str {
        &self.in_file
    }

    /// A data API client for the server, with the database token `token`.
    pub fn data_client(&self, token: Secret) -> anyhow::Result<DataClient> {
        DataClient::new(self.config.clone().with_token(token))
            .map_err(|e| anyhow!("{}: {e}", self.in_file))
    }

    /// A client for the server, with `token` as its bearer credential.
    pub fn client(&self, token: Option<Secret>) -> anyhow::Result<Client> {
        let mut config = self.config.clone();
        if let Some(token) = token {
            config = config.with_token(token);
        }
        Client::new(config).map_err(|e| anyhow!("{}: {e}", self.in_file))
    }
}
