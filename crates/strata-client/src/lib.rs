//! A typed, async client for Strata's Management API, and for writing line protocol and
//! querying through its data API ([`DataClient`]).
//!
//! Strata serves the Management API under two URL shapes that reach the same handlers:
//!
//! - clustered: `{base}/api/v0/…` ([`UrlShape::Clustered`]);
//! - dedicated: `{base}/api/v0/accounts/{accountId}/clusters/{clusterId}/…`
//!   ([`UrlShape::Dedicated`]).
//!
//! Build a [`Client`] from a [`ClientConfig`] and call one method per route. Every method
//! returns the server's answer as a typed value ([`Database`], [`Table`], [`DatabaseToken`],
//! [`ManagementToken`], [`Cluster`], [`User`], [`AuditEntry`]) or an [`Error`] that says
//! whether the server refused the request (with its HTTP status and `{code, message}`
//! message) or could not be reached (with a clear description of why).
//!
//! ```no_run
//! # async fn example() -> Result<(), strata_client::Error> {
//! use strata_client::{Client, ClientConfig, CreateDatabase, Secret, StatusFilter, UrlShape};
//!
//! let config = ClientConfig::new("http://127.0.0.1:8086", UrlShape::Clustered)?
//!     .with_token(Secret::new("strata_mgmt_…"));
//! let client = Client::new(config)?;
//! client.create_database(&CreateDatabase::named("telemetry")).await?;
//! for db in client.list_databases(StatusFilter::Active).await? {
//!     println!("{} {}", db.id, db.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Secrets stay secret: the bearer token and the `accessToken` of creation responses are
//! held in [`Secret`], whose `Debug` output is redacted, and the [`HttpEvent`]s given to an
//! [`Observer`] (for `--debug`/`--trace` style logging) carry redacted headers, URLs and
//! bodies.
//!
//! Writes and queries use a database token and the server's base URL whatever the URL
//! shape: [`DataClient::write_line_protocol`] sends a body to `/api/v2/write` (again, after a
//! backoff honouring `Retry-After`, when the server answers 503 or 429) and answers a refusal
//! as [`Error::Write`] (status, InfluxDB's error code, the first rejected line); [`DataClient::query`] runs SQL or InfluxQL over Arrow Flight (`DoGet` with
//! InfluxDB's JSON ticket) and returns the Arrow schema and record batches, or the server's
//! gRPC refusal as [`Error::Grpc`].
//!
//! Sessions come from the identity provider through the OAuth2 device flow
//! ([`Client::device_flow`], see [`oauth`]); a session is used like a management token,
//! with [`ClientConfig::with_token`].
//!
//! This crate holds no command-line code; `stratactl` is built on it.

mod client;
mod config;
mod data;
mod error;
mod flight;
pub mod oauth;
mod observe;
pub mod retry;
mod types;

pub use client::Client;
pub use config::{
    ClientConfig, DEFAULT_WRITE_RETRIES, Secret, TlsConfig, UrlShape, base_url_from_host,
};
pub use data::DataClient;
pub use error::{Error, GrpcCode, TransportErrorKind};
pub use flight::{QueryLanguage, QueryOptions, QueryResult};
pub use oauth::{
    DeviceAuthorization, DeviceFlow, Endpoints, OAuth2Settings, Poll, SessionToken,
    unverified_jwt_claims,
};
pub use observe::{HttpEvent, Observer, redact};
/// The unit of a write's timestamps (the `precision` query parameter).
pub use strata_lp::Precision;
pub use types::*;

/// The shared types the API's bodies are made of.
pub use strata_types::{Action, PartitionTemplate, Permission, Status, TagBucket, TemplatePart};
