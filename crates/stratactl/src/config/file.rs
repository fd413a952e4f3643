//! The config file: its `[[profile]]` tables, and the profile a command uses.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use serde::Deserialize;
use toml::Spanned;

use super::lookup::{DefaultFiles, present};
use crate::log::debug;

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
pub struct Port(pub(super) String);

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
    pub(super) fn resolve(&self, path: &Path) -> PathBuf {
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

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

const EXAMPLE: &str = "[[profile]]
  name = \"default\"
  product = \"clustered\"
  host = \"strata.example.com\"
  port = \"443\"
  mgmt_token = \"strata_mgmt_…\"";

/// Reads the config file (`explicit`, else the first of the [`DefaultFiles`] there is) and
/// picks the profile `name`.
pub fn load(explicit: Option<&Path>, name: &str) -> anyhow::Result<Loaded> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let files = DefaultFiles::from_env()?;
            let Some(path) = files.pick(present) else {
                bail!(
                    "no config file: neither {} nor influxctl's {} exists; create one of them, or pass --config PATH (or set STRATACTL_CONFIG). A minimal profile:\n{EXAMPLE}",
                    files.stratactl.display(),
                    files.influxctl.display()
                );
            };
            if path == files.influxctl {
                debug!(
                    "{} does not exist, so influxctl's config file is read",
                    files.stratactl.display()
                );
            }
            path.to_path_buf()
        }
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
            "profile {name:?} not found in config file {} (it has: {}); choose one with --profile, STRATACTL_PROFILE or INFLUXCTL_PROFILE",
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
