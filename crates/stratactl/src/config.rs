//! Connection profiles (`[[profile]]` tables of a TOML file), the management credential,
//! and the API client built from them.
//!
//! - File: `--config`, else `STRATACTL_CONFIG`, else `$HOME/.config/stratactl/config.toml`.
//! - Profile: `--profile`, else `STRATACTL_PROFILE`, else `default`.
//! - Base URL: `https://host:port`, or `http://host:port` when `[profile.tls] disable =
//!   true`; without `port`, 443 with TLS and 80 without.
//! - URL shape: `product = "clustered"` uses `/api/v0/…`; `product = "dedicated"` uses
//!   `/api/v0/accounts/{account_id}/clusters/{cluster_id}/…` (`--account`/`--cluster`
//!   override the profile's ids).
//! - Management credential, first found wins: `STRATACTL_MGMT_TOKEN`, the profile's
//!   `mgmt_token`, the file named by `[profile.auth.token] token_file` (the token alone, or
//!   JSON `{"token": "…"}` / `{"access_token": "…"}`), the session of `auth login` cached
//!   for the profile (unexpired, for the same server; see [`crate::session`]), and last a
//!   sign-in through the device flow, on a terminal only (see [`crate::login`]).
//! - Relative paths (`token_file`, TLS files) are relative to the config file's directory;
//!   `~/` is the home directory.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::io::IsTerminal;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use serde::Deserialize;
use strata_client::{
    Client, ClientConfig, DataClient, HttpEvent, OAuth2Settings, Observer, Secret, TlsConfig,
    TransportErrorKind, UrlShape, base_url_from_host,
};
use toml::Spanned;

use crate::cli::{GlobalArgs, Timeout};
use crate::log::{debug, trace, warning};
use crate::{login, session};

pub const ENV_MGMT_TOKEN: &str = "STRATACTL_MGMT_TOKEN";

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profile: Vec<Profile>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    Dedicated,
    Clustered,
}

/// One `[[profile]]`, every key of influxctl's format.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: Spanned<String>,
    pub product: Option<Product>,
    pub host: Option<String>,
    pub port: Option<Port>,
    pub account_id: Option<String>,
    pub cluster_id: Option<String>,
    pub mgmt_token: Option<String>,
    /// Default database of `query`/`write`.
    pub database: Option<String>,
    /// Default database token of `query`/`write`.
    pub token: Option<String>,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub auth: Auth,
}

/// `port`: a string in influxctl's format (`"443"`); a bare integer is accepted too.
#[derive(Debug, Clone)]
pub struct Port(String);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number as a string, e.g. \"443\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Port, E> {
                Ok(Port(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Port, E> {
                Ok(Port(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Port, E> {
                Ok(Port(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub disable: bool,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca: Option<PathBuf>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub oauth2: Option<OAuth2>,
    pub token: Option<TokenAuth>,
}

/// `[profile.auth.oauth2]`: the identity provider for device-flow sign-in (`auth login`).
/// Without it, or for the endpoints it does not give, the server's OIDC discovery document
/// is used.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub client_id: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub parameters: Option<BTreeMap<String, String>>,
    pub token_url: Option<String>,
    pub device_url: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TokenAuth {
    pub token_file: PathBuf,
}

/// A profile and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub profile: Profile,
}

impl Loaded {
    pub fn name(&self) -> &str {
        self.profile.name.get_ref()
    }

    /// `path` as written, `~/` expanded, relative to the config file's directory.
    fn resolve(&self, path: &Path) -> PathBuf {
        if let Ok(rest) = path.strip_prefix("~")
            && let Some(home) = std::env::var_os("HOME")
        {
            return PathBuf::from(home).join(rest);
        }
        if path.is_absolute() {
            return path.to_path_buf();
        }
        self.path
            .parent()
            .map(|dir| dir.join(path))
            .unwrap_or_else(|| path.to_path_buf())
    }
}

pub fn default_config_path() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
        anyhow!("HOME is not set, so there is no default config file; pass --config PATH or set STRATACTL_CONFIG")
    })?;
    Ok(PathBuf::from(home).join(".config/stratactl/config.toml"))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

const EXAMPLE: &str = "[[profile]]
  name = \"default\"
  product = \"clustered\"
  host = \"strata.example.com\"
  port = \"443\"
  mgmt_token = \"strata_mgmt_…\"";

/// Reads the config file and picks the profile `name`.
pub fn load(explicit: Option<&Path>, name: &str) -> anyhow::Result<Loaded> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => default_config_path()?,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let how = if explicit.is_some() {
                "check --config / STRATACTL_CONFIG"
            } else {
                "create it, or pass --config PATH"
            };
            bail!(
                "config file {} does not exist; {how}. A minimal profile:\n{EXAMPLE}",
                path.display()
            );
        }
        Err(e) => bail!("cannot read config file {}: {e}", path.display()),
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "config file {}: {}",
            path.display(),
            e.to_string().trim_end()
        )
    })?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for profile in &file.profile {
        let line = line_of(&text, profile.name.span().start);
        if let Some(first) = seen.insert(profile.name.get_ref(), line) {
            bail!(
                "config file {}, line {line}: profile {:?} is defined twice (first on line {first}); profile names must be unique",
                path.display(),
                profile.name.get_ref()
            );
        }
    }
    if file.profile.is_empty() {
        bail!(
            "config file {} has no [[profile]]; add one, e.g.:\n{EXAMPLE}",
            path.display()
        );
    }
    let Some(profile) = file
        .profile
        .iter()
        .find(|p| p.name.get_ref() == name)
        .cloned()
    else {
        let names: Vec<&str> = file
            .profile
            .iter()
            .map(|p| p.name.get_ref().as_str())
            .collect();
        bail!(
            "profile {name:?} not found in config file {} (it has: {}); choose one with --profile or STRATACTL_PROFILE",
            path.display(),
            names.join(", ")
        );
    };
    debug!(
        "config file {}, profile {:?} (line {})",
        path.display(),
        name,
        line_of(&text, profile.name.span().start)
    );
    Ok(Loaded { path, profile })
}

/// Where the management credential came from (never the credential itself).
#[derive(Debug, Clone)]
pub enum CredentialSource {
    Env,
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
    fn session_file(&self) -> Option<&Path> {
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
            CredentialSource::Env => write!(f, "the management token in {ENV_MGMT_TOKEN}"),
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

const HOW_TO_SUPPLY: &str = "set mgmt_token in the profile, export STRATACTL_MGMT_TOKEN, or name a file holding the token with [profile.auth.token] token_file; make a management token with `stratactl management create` (with an existing one) or, on the server's machine, `strata admin management-token create`";

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
/// `mgmt_token` > `token_file`; `None` when there is none (a login session is used then).
pub fn configured_credential(
    loaded: &Loaded,
) -> anyhow::Result<Option<(Secret, CredentialSource)>> {
    let profile = &loaded.profile;
    if let Ok(token) = std::env::var(ENV_MGMT_TOKEN)
        && !token.trim().is_empty()
    {
        return Ok(Some((Secret::new(token.trim()), CredentialSource::Env)));
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

/// The management credential, by precedence: `STRATACTL_MGMT_TOKEN` > `mgmt_token` >
/// `token_file` > the cached login session (unexpired, for this server) > a sign-in now
/// through the device flow (only when standard input is a terminal, so someone is there to
/// approve it).
async fn credential(target: &Target) -> anyhow::Result<(Secret, CredentialSource)> {
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

/// The profile's server, and a client configuration for it without a credential.
pub struct Target {
    pub loaded: Loaded,
    pub product: Product,
    /// `http(s)://host:port`
    pub base_url: String,
    config: ClientConfig,
    in_file: String,
    timeout_text: String,
}

fn observer() -> Observer {
    Arc::new(|event: &HttpEvent<'_>| match event {
        HttpEvent::Request {
            method,
            url,
            headers,
            body,
        } => {
            trace!("> {method} {url}");
            for (name, value) in *headers {
                trace!("> {name}: {value}");
            }
            if let Some(body) = body {
                trace!("> {body}");
            }
        }
        HttpEvent::Response {
            method,
            url,
            status,
            elapsed,
            headers,
            body,
        } => {
            debug!("{method} {url} -> {status} ({} ms)", elapsed.as_millis());
            for (name, value) in *headers {
                trace!("< {name}: {value}");
            }
            if !body.is_empty() {
                trace!("< {body}");
            }
        }
        HttpEvent::Failed {
            method,
            url,
            elapsed,
            error,
        } => debug!(
            "{method} {url} failed after {} ms: {error}",
            elapsed.as_millis()
        ),
    })
}

/// Reads the chosen profile and works out its server: file, profile, URL, URL shape, TLS.
pub fn target(global: &GlobalArgs) -> anyhow::Result<Target> {
    let loaded = load(global.config.as_deref(), &global.profile)?;
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
    let loaded = load(global.config.as_deref(), &global.profile)?;
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
            _ => self.explain(error, None),
        }
    }

    /// Whether `origin` is the server's (rather than an identity provider's elsewhere).
    fn is_server(&self, origin: &str) -> bool {
        self.config.origin() == origin
    }

    /// An API error with what the user can do about it. A 401 to a login session deletes
    /// the session from the cache.
    pub fn explain(
        &self,
        error: strata_client::Error,
        source: Option<&CredentialSource>,
    ) -> anyhow::Error {
        use strata_client::Error as E;
        let profile = self.name();
        let file = self.loaded.path.display();
        match (&error, source) {
            (E::Api { status: 401, .. }, Some(source)) => match source.session_file() {
                Some(path) => {
                    let dropped = match session::remove(path) {
                        Ok(_) => "it is now deleted".to_string(),
                        Err(e) => format!("deleting it failed ({e:#}), so delete it by hand"),
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

    /// An API error with what the user can do about it.
    pub fn explain(&self, error: strata_client::Error) -> anyhow::Error {
        self.target.explain(error, Some(&self.source))
    }
}

pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
