use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::observe::Observer;

/// A secret string (a token). Its `Debug` output never shows the value; call
/// [`Secret::expose`] where the value is really needed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Which URL shape the Management API is reached under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlShape {
    /// `/api/v0/…`, as InfluxDB Clustered serves it.
    Clustered,
    /// `/api/v0/accounts/{account_id}/clusters/{cluster_id}/…`, as InfluxDB Cloud Dedicated
    /// serves it.
    Dedicated {
        account_id: String,
        cluster_id: String,
    },
}

/// TLS settings for `https` base URLs. Plain HTTP needs none: give an `http://` base URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// A PEM bundle of CA certificates to trust besides the built-in web roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate. For tests only: it gives up all protection against
    /// an attacker in the middle.
    pub insecure_skip_verify: bool,
    /// A PEM client certificate (chain), sent when the server asks for one; needs `client_key`.
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
}

/// Everything a [`Client`](crate::Client) needs to reach the Management API.
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) base_url: Url,
    pub(crate) shape: UrlShape,
    pub(crate) token: Option<Secret>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) tls: TlsConfig,
    pub(crate) observer: Option<Observer>,
    pub(crate) user_agent: String,
    pub(crate) write_retries: usize,
}

/// How many times a write the server answers 503 or 429 is sent again, by default.
pub const DEFAULT_WRITE_RETRIES: usize = 10;

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url.as_str())
            .field("shape", &self.shape)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .field("write_retries", &self.write_retries)
            .finish()
    }
}

impl ClientConfig {
    /// A configuration for the server at `base_url` (`http://host:port` or
    /// `https://host:port`, optionally with a path prefix), without a token, TLS settings or
    /// timeout.
    pub fn new(base_url: &str, shape: UrlShape) -> Result<Self, Error> {
        let url = Url::parse(base_url).map_err(|e| {
            Error::config(format!(
                "{base_url:?} is not a base URL ({e}); write e.g. https://strata.example.com:443"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "base URL {base_url:?} must start with http:// or https://"
            )));
        }
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(Error::config(format!(
                "base URL {base_url:?} names no host"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "base URL {base_url:?} must not have a query or fragment"
            )));
        }
        Ok(Self {
            base_url: url,
            shape,
            token: None,
            timeout: None,
            tls: TlsConfig::default(),
            observer: None,
            user_agent: concat!("strata-client/", env!("CARGO_PKG_VERSION")).to_string(),
            write_retries: DEFAULT_WRITE_RETRIES,
        })
    }

    /// The bearer token sent with every request (a management token or a user session).
    pub fn with_token(mut self, token: Secret) -> Self {
        self.token = Some(token);
        self
    }

    /// How long a whole request (connect, send, answer) may take; none by default.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// Called with every request and answer, secrets redacted; for debug logging.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// How many times a write answered 503 (the server's buffer is full) or 429 is sent again,
    /// after a backoff that doubles from 250 ms up to 10 s and is never shorter than the
    /// answer's `Retry-After` (default [`DEFAULT_WRITE_RETRIES`]; 0 for none).
    pub fn with_write_retries(mut self, retries: usize) -> Self {
        self.write_retries = retries;
        self
    }

    /// The `User-Agent` header (default `strata-client/<version>`).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// Scheme, host and port of the server (the port left out when it is the scheme's
    /// default), as [`Error::Transport`](crate::Error::Transport) names it.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    pub fn shape(&self) -> &UrlShape {
        &self.shape
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

/// The base URL for a host name (or IP address) and port as connection profiles give them:
/// `https://host:port`, or `http://host:port` when `tls` is false. Without a port, 443 is
/// used with TLS and 80 without. IPv6 addresses are bracketed.
pub fn base_url_from_host(host: &str, port: Option<&str>, tls: bool) -> Result<String, Error> {
    let host = host.trim();
    if host.is_empty() {
        return Err(Error::config(
            "the host is empty; give a host name or IP address",
        ));
    }
    if host.contains("://") {
        return Err(Error::config(format!(
            "host {host:?} must be a host name or IP address without a scheme (use the TLS settings for http/https)"
        )));
    }
    if host.contains(['/', '?', '#', '@', ' ']) {
        return Err(Error::config(format!(
            "host {host:?} must be a host name or IP address, without a path or port"
        )));
    }
    let bare_v6 = host.contains(':') && !host.starts_with('[');
    if !bare_v6 && host.contains(':') && !host.ends_with(']') {
        return Err(Error::config(format!(
            "host {host:?} must not include a port; give the port separately"
        )));
    }
    let port = match port.map(str::trim) {
        None | Some("") => {
            if tls {
                443
            } else {
                80
            }
        }
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            Error::config(format!(
                "port {p:?} is not a port number; give 1 to 65535 (e.g. \"443\")"
            ))
        })?,
    };
    let scheme = if tls { "https" } else { "http" };
    let host = if bare_v6 {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let url = format!("{scheme}://{host}:{port}");
    Url::parse(&url).map_err(|e| Error::config(format!("host {host:?} is not valid: {e}")))?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_from_profiles() {
        assert_eq!(
            base_url_from_host("strata.example.com", None, true).unwrap(),
            "https://strata.example.com:443"
        );
        assert_eq!(
            base_url_from_host("strata.example.com", None, false).unwrap(),
            "http://strata.example.com:80"
        );
        assert_eq!(
            base_url_from_host("127.0.0.1", Some("8086"), false).unwrap(),
            "http://127.0.0.1:8086"
        );
        assert_eq!(
            base_url_from_host("::1", Some("8086"), true).unwrap(),
            "https://[::1]:8086"
        );
        for (host, port) in [
            ("", None),
            ("http://x", None),
            ("x:80", None),
            ("x/y", None),
            ("x", Some("0")),
            ("x", Some("65536")),
            ("x", Some("https")),
        ] {
            assert!(
                base_url_from_host(host, port, true).is_err(),
                "{host} {port:?}"
            );
        }
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let config = ClientConfig::new("http://h:1", UrlShape::Clustered)
            .unwrap()
            .with_token(Secret::new("strata_mgmt_supersecret"));
        assert!(!format!("{config:?}").contains("supersecret"));
    }

    #[test]
    fn base_urls_are_checked() {
        for bad in ["h:1", "ftp://h", "http://", "http://h/?q=1", "not a url"] {
            assert!(
                ClientConfig::new(bad, UrlShape::Clustered).is_err(),
                "{bad}"
            );
        }
        ClientConfig::new("https://h/prefix", UrlShape::Clustered).unwrap();
    }
}
