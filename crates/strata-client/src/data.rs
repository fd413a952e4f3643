//! The data API: writing line protocol and querying, with a database token.

use backon::Retryable;
use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;
use strata_lp::Precision;

use crate::client::{Body, Client, api_error};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::flight::{self, QueryLanguage, QueryOptions, QueryResult};
use crate::observe::redact;
use crate::retry::write_backoff;

/// A client for the data API, authenticated with a database token.
///
/// It is built from the same [`ClientConfig`] as a management [`Client`] (base URL, TLS,
/// timeout, observer), with the database token as its token; the configuration's URL shape
/// plays no part, since the data API lives at the server's base URL whatever the product
/// (`{base}/api/v2/write`, never under `/api/v0/accounts/…`). Queries go over Arrow Flight
/// to the same host and port (gRPC: HTTP/2 in cleartext for `http://`, TLS with the same
/// settings for `https://`; a path prefix of the base URL plays no part in gRPC).
///
/// ```no_run
/// # async fn example() -> Result<(), strata_client::Error> {
/// use strata_client::{ClientConfig, DataClient, Precision, QueryLanguage, Secret, UrlShape};
///
/// let config = ClientConfig::new("http://127.0.0.1:8086", UrlShape::Clustered)?
///     .with_token(Secret::new("strata_db_…"));
/// let data = DataClient::new(config)?;
/// data.write_line_protocol("telemetry", Precision::Seconds, b"cpu,host=a usage=0.5 1700000000".to_vec())
///     .await?;
/// let answer = data.query("telemetry", "SELECT * FROM cpu", QueryLanguage::Sql).await?;
/// println!("{} rows", answer.num_rows());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DataClient {
    client: Client,
}

/// The error body of InfluxDB's v1 and v2 write endpoints.
#[derive(Deserialize)]
struct WriteErrorBody {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    line: Option<u64>,
    message: String,
}

impl DataClient {
    /// Builds a client; reads the TLS files the configuration names.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Ok(Self {
            client: Client::new(config)?,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        self.client.config()
    }

    /// `POST /api/v2/write?bucket={database}&precision={precision}` with `body` (line
    /// protocol, sent as is) as `text/plain; charset=utf-8`.
    ///
    /// The server writes all of the body or none of it: `Ok` means every line is durable.
    /// A write answered 503 (the server's buffer stayed full) or 429 is sent again after a
    /// backoff, never sooner than the answer's `Retry-After`, up to the configuration's
    /// [`write_retries`](ClientConfig::with_write_retries) times.
    /// A refusal is an [`Error::Write`] with the server's status, code, first rejected line
    /// (counted within `body`) and message; no answer is an [`Error::Transport`], after which
    /// the body may or may not have been written (unless the connection was never made).
    pub async fn write_line_protocol(
        &self,
        database: &str,
        precision: Precision,
        body: impl Into<Bytes>,
    ) -> Result<(), Error> {
        let mut url = self.client.url(&["api", "v2", "write"]);
        url.query_pairs_mut()
            .append_pair("bucket", database)
            .append_pair("precision", precision.name());
        let body: Bytes = body.into();
        let send = || async {
            let answer = self
                .client
                .answer(
                    Method::POST,
                    url.clone(),
                    Body::LineProtocol(body.clone()),
                    true,
                )
                .await
                .map_err(|e| (e, None))?;
            if answer.status.is_success() {
                return Ok(());
            }
            Err((write_error(answer.status, &answer.text), answer.retry_after))
        };
        send.retry(write_backoff(self.config().write_retries))
            .when(|(error, _)| matches!(error.status(), Some(503 | 429)))
            .adjust(|(_, retry_after), backoff| {
                backoff.map(|wait| retry_after.map_or(wait, |asked| asked.max(wait)))
            })
            .await
            .map_err(|(error, _)| error)
    }

    /// Runs a query over Arrow Flight: `DoGet` with the ticket `{"database", "sql_query",
    /// "query_type"}` and the token as `authorization: Bearer …` metadata, and collects every
    /// record batch of the answer.
    ///
    /// A refusal is an [`Error::Grpc`] with the server's status code and message
    /// (`UNAUTHENTICATED` counts as [`Error::is_unauthorized`], `PERMISSION_DENIED` as
    /// [`Error::is_forbidden`], `NOT_FOUND` as [`Error::is_not_found`]); a connection that
    /// fails, or an answer not complete within the configuration's timeout (which covers the
    /// whole query: connecting, running and receiving), is an [`Error::Transport`].
    pub async fn query(
        &self,
        database: &str,
        query: &str,
        language: QueryLanguage,
    ) -> Result<QueryResult, Error> {
        let options = QueryOptions {
            language,
            ..QueryOptions::default()
        };
        self.query_with(database, query, &options).await
    }

    /// [`DataClient::query`] with more options (e.g. the `iox-debug` metadata).
    pub async fn query_with(
        &self,
        database: &str,
        query: &str,
        options: &QueryOptions,
    ) -> Result<QueryResult, Error> {
        // Set up here rather than in `new`, so that writes never depend on gRPC's TLS setup.
        let endpoint = flight::endpoint(self.config())?;
        flight::query(self.config(), &endpoint, database, query, options).await
    }
}

/// A refused write: InfluxDB's `{code, line, message}`, or what the body was if not that.
fn write_error(status: reqwest::StatusCode, text: &str) -> Error {
    let (code, line, message) = match serde_json::from_str::<WriteErrorBody>(text) {
        Ok(body) => {
            let code = match body.code {
                Some(serde_json::Value::String(code)) => Some(code),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            (code, body.line, redact(&body.message))
        }
        Err(_) => {
            // Not the write shape: perhaps a proxy's page, or the Management API's shape.
            let message = api_error(status, text)
                .api_message()
                .unwrap_or_default()
                .to_string();
            (None, None, message)
        }
    };
    Error::Write {
        status: status.as_u16(),
        code,
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UrlShape;

    #[test]
    fn write_errors() {
        let e = write_error(
            reqwest::StatusCode::BAD_REQUEST,
            r#"{"code":"invalid","line":2,"message":"1 of 2 lines rejected"}"#,
        );
        assert_eq!(
            e,
            Error::Write {
                status: 400,
                code: Some("invalid".into()),
                line: Some(2),
                message: "1 of 2 lines rejected".into()
            }
        );
        assert_eq!(e.rejected_line(), Some(2));
        assert_eq!(
            e.to_string(),
            "1 of 2 lines rejected (HTTP 400 Bad Request)"
        );
        let e = write_error(
            reqwest::StatusCode::NOT_FOUND,
            r#"{"code":"not found","message":"database \"x\" not found"}"#,
        );
        assert!(e.is_not_found());
        assert_eq!(e.rejected_line(), None);
        let e = write_error(reqwest::StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert_eq!(e.status(), Some(502));
        assert!(e.to_string().contains("bad gateway"), "{e}");
        let e = write_error(
            reqwest::StatusCode::FORBIDDEN,
            r#"{"code":"forbidden","message":"no: strata_db_abcdefgh"}"#,
        );
        assert!(!e.to_string().contains("abcdefgh"), "{e}");
    }

    #[test]
    fn writes_go_to_the_base_url_whatever_the_shape() {
        let config = ClientConfig::new(
            "http://h:1/prefix",
            UrlShape::Dedicated {
                account_id: "a".into(),
                cluster_id: "c".into(),
            },
        )
        .unwrap();
        let data = DataClient::new(config).unwrap();
        assert_eq!(
            data.client.url(&["api", "v2", "write"]).as_str(),
            "http://h:1/prefix/api/v2/write"
        );
    }
}
