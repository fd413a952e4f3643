//! Queries over Arrow Flight: `DoGet` with InfluxDB's JSON ticket on the server's port
//! (gRPC over HTTP/2: cleartext for `http://` base URLs, TLS for `https://`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow_flight::Ticket;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_client::FlightServiceClient;
use futures::{StreamExt, TryStreamExt};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use crate::client::read_file;
use crate::config::{ClientConfig, TlsConfig};
use crate::error::{Error, TransportErrorKind, chain, detail, transport_kind_of};
use crate::observe::{HttpEvent, REDACTED, header_pairs, redact};

/// The gRPC path of `DoGet`, as debug logs show it.
const DO_GET_PATH: &str = "/arrow.flight.protocol.FlightService/DoGet";

/// The language of a query: the ticket's `query_type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum QueryLanguage {
    /// `sql`, the default.
    #[default]
    Sql,
    /// `influxql`
    InfluxQl,
}

impl QueryLanguage {
    /// As the ticket writes it: `sql` or `influxql`.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::Sql => "sql",
            QueryLanguage::InfluxQl => "influxql",
        }
    }
}

impl fmt::Display for QueryLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for QueryLanguage {
    type Err = Error;

    /// `sql` or `influxql`.
    fn from_str(text: &str) -> Result<Self, Error> {
        match text {
            "sql" => Ok(QueryLanguage::Sql),
            "influxql" => Ok(QueryLanguage::InfluxQl),
            _ => Err(Error::config(format!(
                "query language {text:?} is not sql or influxql"
            ))),
        }
    }
}

/// How to run a query, besides its database and text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryOptions {
    pub language: QueryLanguage,
    /// Send `iox-debug: true`, which asks InfluxDB for its `system.*` tables.
    pub iox_debug: bool,
}

/// The answer to a query: its schema and all its record batches, in the order sent.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Bytes of Arrow IPC received (message headers and bodies).
    pub bytes: u64,
}

impl QueryResult {
    /// Rows in all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The Flight endpoint of a configuration: its origin (a path prefix plays no part in
/// gRPC), user agent, connect timeout and TLS settings.
pub(crate) fn endpoint(config: &ClientConfig) -> Result<Endpoint, Error> {
    let origin = config.origin();
    let mut endpoint = Endpoint::from_shared(origin.clone())
        .map_err(|e| Error::config(format!("{origin} is not a gRPC endpoint: {e}")))?
        .user_agent(config.user_agent.clone())
        .map_err(|_| Error::config("the user agent is not a valid header value"))?;
    if let Some(timeout) = config.timeout {
        endpoint = endpoint.connect_timeout(timeout);
    }
    if config.base_url.scheme() != "https" {
        return Ok(endpoint);
    }
    let TlsConfig {
        ca_file,
        insecure_skip_verify,
        client_cert,
        client_key,
    } = &config.tls;
    let mut tls = ClientTlsConfig::new();
    // The HTTP client has checked the files already; here they only need reading.
    if let (Some(cert), Some(key)) = (client_cert, client_key) {
        tls = tls.identity(Identity::from_pem(
            read_file("client certificate", cert)?,
            read_file("client key", key)?,
        ));
    }
    let endpoint = if *insecure_skip_verify {
        endpoint.tls_config_with_verifier(tls, Arc::new(AnyServerCertificate::new()))
    } else {
        if let Some(path) = ca_file {
            tls = tls.ca_certificate(Certificate::from_pem(read_file("CA file", path)?));
        }
        endpoint.tls_config(tls.with_webpki_roots())
    };
    endpoint.map_err(|e| {
        Error::config(format!(
            "cannot set up TLS for Arrow Flight: {}",
            chain(&e).join(": ")
        ))
    })
}

/// Accepts any server certificate (`insecure_skip_verify`), still checking that the server
/// holds its key.
#[derive(Debug)]
struct AnyServerCertificate(Arc<CryptoProvider>);

impl AnyServerCertificate {
    fn new() -> Self {
        Self(
            CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider())),
        )
    }
}

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The ticket InfluxDB 3's clients send.
pub(crate) fn ticket(database: &str, query: &str, language: QueryLanguage) -> String {
    serde_json::json!({
        "database": database,
        "sql_query": query,
        "query_type": language.as_str(),
    })
    .to_string()
}

/// Runs one query: connects, sends `DoGet`, and collects the answer, all within the
/// configuration's timeout.
pub(crate) async fn query(
    config: &ClientConfig,
    endpoint: &Endpoint,
    database: &str,
    query: &str,
    options: &QueryOptions,
) -> Result<QueryResult, Error> {
    let origin = config.origin();
    let ticket = ticket(database, query, options.language);
    let mut metadata = MetadataMap::new();
    let mut shown_headers = Vec::new();
    if let Some(token) = &config.token {
        let value = MetadataValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| Error::config("the token holds characters a gRPC header cannot"))?;
        metadata.insert("authorization", value);
        shown_headers.push(("authorization".to_string(), format!("Bearer {REDACTED}")));
    }
    if options.iox_debug {
        metadata.insert("iox-debug", MetadataValue::from_static("true"));
        shown_headers.push(("iox-debug".to_string(), "true".to_string()));
    }
    let url = format!("{origin}{DO_GET_PATH}");
    let observer = config.observer.as_ref();
    if let Some(observe) = observer {
        observe(&HttpEvent::Request {
            method: "DoGet",
            url: &url,
            headers: &shown_headers,
            body: Some(&redact(&ticket)),
        });
    }
    let started = Instant::now();
    let run = async {
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| transport_error(&e, &origin, config.timeout))?;
        let mut client = FlightServiceClient::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        let mut request = tonic::Request::new(Ticket {
            ticket: ticket.clone().into(),
        });
        *request.metadata_mut() = metadata;
        let response = client
            .do_get(request)
            .await
            .map_err(|s| status_error(s, &origin, config.timeout))?;
        let headers = response.metadata().clone();
        let bytes = Arc::new(AtomicU64::new(0));
        let counted = {
            let bytes = bytes.clone();
            response.into_inner().map(move |message| {
                let data = message.map_err(|s| FlightError::Tonic(Box::new(s)))?;
                let size = data.data_header.len() + data.data_body.len();
                bytes.fetch_add(size as u64, Ordering::Relaxed);
                Ok(data)
            })
        };
        let mut stream = FlightRecordBatchStream::new_from_flight_data(counted);
        let mut batches = Vec::new();
        while let Some(batch) = stream
            .try_next()
            .await
            .map_err(|e| flight_error(e, &origin, config.timeout))?
        {
            batches.push(batch);
        }
        let schema = stream
            .schema()
            .cloned()
            .or_else(|| batches.first().map(RecordBatch::schema))
            .unwrap_or_else(|| Arc::new(Schema::empty()));
        let result = QueryResult {
            schema,
            batches,
            bytes: bytes.load(Ordering::Relaxed),
        };
        Ok::<_, Error>((result, headers))
    };
    let outcome = match config.timeout {
        Some(limit) => match tokio::time::timeout(limit, run).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::Transport {
                kind: TransportErrorKind::Timeout(Some(limit)),
                origin: origin.clone(),
                detail: format!("the query did not finish within {limit:?}"),
            }),
        },
        None => run.await,
    };
    match outcome {
        Ok((result, headers)) => {
            if let Some(observe) = observer {
                let headers = header_pairs(&headers.into_headers());
                let body = format!(
                    "{} rows in {} record batches ({} bytes of Arrow IPC)",
                    result.num_rows(),
                    result.batches.len(),
                    result.bytes
                );
                observe(&HttpEvent::Response {
                    method: "DoGet",
                    url: &url,
                    status: 200,
                    elapsed: started.elapsed(),
                    headers: &headers,
                    body: &body,
                });
            }
            Ok(result)
        }
        Err(error) => {
            if let Some(observe) = observer {
                observe(&HttpEvent::Failed {
                    method: "DoGet",
                    url: &url,
                    elapsed: started.elapsed(),
                    error: &redact(&error.to_string()),
                });
            }
            Err(error)
        }
    }
}

/// A failure to connect (TCP, TLS or HTTP/2) as an [`Error::Transport`].
fn transport_error(
    error: &(dyn std::error::Error + 'static),
    origin: &str,
    timeout: Option<Duration>,
) -> Error {
    // tonic's wrapper ("transport error") says nothing its causes do not.
    let detail = detail(&chain(error), |_, c| c == "transport error");
    let lower = detail.to_ascii_lowercase();
    let kind = match transport_kind_of(&lower, timeout) {
        Some(kind) => kind,
        None if lower.contains("tcp connect error")
            || lower.contains("connection refused")
            || lower.contains("dns error")
            || lower.contains("failed to lookup")
            || lower.contains("unreachable") =>
        {
            TransportErrorKind::Connect
        }
        None => TransportErrorKind::Other,
    };
    Error::Transport {
        kind,
        origin: origin.to_string(),
        detail,
    }
}

/// A gRPC status: the server's refusal as an [`Error::Grpc`], or, when the client made it
/// from a failure of the connection (it then has a source), an [`Error::Transport`].
pub(crate) fn status_error(
    status: tonic::Status,
    origin: &str,
    timeout: Option<Duration>,
) -> Error {
    if let Some(source) = std::error::Error::source(&status) {
        let mut error = transport_error(source, origin, timeout);
        if let Error::Transport { detail, .. } = &mut error
            && !matches!(status.message(), "" | "transport error")
            && !detail.contains(status.message())
        {
            *detail = format!("{}: {detail}", status.message());
        }
        return error;
    }
    Error::Grpc {
        code: status.code().into(),
        message: redact(status.message()),
    }
}

/// A failure while reading the answer's stream.
fn flight_error(error: FlightError, origin: &str, timeout: Option<Duration>) -> Error {
    match error {
        FlightError::Tonic(status) => status_error(*status, origin, timeout),
        other => Error::Decode {
            status: 200,
            method: "DoGet".to_string(),
            path: DO_GET_PATH.to_string(),
            detail: format!("the answer is not an Arrow Flight stream: {other}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GrpcCode, UrlShape};

    #[test]
    fn languages() {
        assert_eq!("sql".parse::<QueryLanguage>().unwrap(), QueryLanguage::Sql);
        assert_eq!(
            "influxql".parse::<QueryLanguage>().unwrap(),
            QueryLanguage::InfluxQl
        );
        assert!("flux".parse::<QueryLanguage>().is_err());
        assert_eq!(QueryLanguage::default().as_str(), "sql");
    }

    #[test]
    fn tickets_are_influxdbs_json() {
        let t: serde_json::Value = serde_json::from_str(&ticket(
            "db",
            "SELECT \"a\" FROM t",
            QueryLanguage::InfluxQl,
        ))
        .unwrap();
        assert_eq!(
            t,
            serde_json::json!({"database": "db", "sql_query": "SELECT \"a\" FROM t", "query_type": "influxql"})
        );
    }

    #[test]
    fn statuses_from_the_server_keep_their_code_and_message() {
        let e = status_error(
            tonic::Status::permission_denied("may not read database \"db\""),
            "http://h:1",
            None,
        );
        assert_eq!(
            e,
            Error::Grpc {
                code: GrpcCode::PermissionDenied,
                message: "may not read database \"db\"".into()
            }
        );
        assert!(e.is_forbidden() && !e.is_unauthorized());
        assert_eq!(e.status(), None);
        assert_eq!(e.api_message(), Some("may not read database \"db\""));
        assert_eq!(
            e.to_string(),
            "may not read database \"db\" (gRPC status PERMISSION_DENIED)"
        );
        let e = status_error(tonic::Status::unauthenticated("no"), "http://h:1", None);
        assert!(e.is_unauthorized());
        let e = status_error(tonic::Status::not_found("nope"), "http://h:1", None);
        assert!(e.is_not_found());
        let e = status_error(
            tonic::Status::invalid_argument("bad strata_db_abcdefgh"),
            "http://h:1",
            None,
        );
        assert_eq!(e.grpc_code(), Some(GrpcCode::InvalidArgument));
        assert!(!e.to_string().contains("abcdefgh"), "{e}");
        let e = status_error(tonic::Status::unimplemented("no"), "http://h:1", None);
        assert_eq!(e.grpc_code(), Some(GrpcCode::Unimplemented));
    }

    #[test]
    fn statuses_made_by_the_client_are_transport_errors() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset");
        let status = tonic::Status::from_error(Box::new(io));
        let e = status_error(status, "http://h:1", None);
        assert!(
            matches!(
                &e,
                Error::Transport {
                    kind: TransportErrorKind::Other,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("connection reset"), "{e}");
    }

    #[tokio::test]
    async fn endpoints_follow_the_base_url() {
        let plain = ClientConfig::new("http://127.0.0.1:1/prefix", UrlShape::Clustered).unwrap();
        assert_eq!(
            endpoint(&plain).unwrap().uri().to_string(),
            "http://127.0.0.1:1/"
        );
        let tls = ClientConfig::new("https://localhost:8443", UrlShape::Clustered)
            .unwrap()
            .with_tls(TlsConfig {
                insecure_skip_verify: true,
                ..TlsConfig::default()
            });
        endpoint(&tls).unwrap();
        let missing = ClientConfig::new("https://localhost:8443", UrlShape::Clustered)
            .unwrap()
            .with_tls(TlsConfig {
                ca_file: Some("/nonexistent/ca.pem".into()),
                ..TlsConfig::default()
            });
        assert!(
            endpoint(&missing)
                .unwrap_err()
                .to_string()
                .contains("/nonexistent/ca.pem")
        );
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let config = ClientConfig::new(&format!("http://127.0.0.1:{port}"), UrlShape::Clustered)
            .unwrap()
            .with_timeout(Duration::from_secs(5));
        let e = query(
            &config,
            &endpoint(&config).unwrap(),
            "db",
            "SELECT 1",
            &QueryOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Transport {
                    kind: TransportErrorKind::Connect,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with(&format!("cannot connect to http://127.0.0.1:{port}: ")),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = ClientConfig::new(&format!("http://127.0.0.1:{port}"), UrlShape::Clustered)
            .unwrap()
            .with_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let e = query(
            &config,
            &endpoint(&config).unwrap(),
            "db",
            "SELECT 1",
            &QueryOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            matches!(
                &e,
                Error::Transport {
                    kind: TransportErrorKind::Timeout(Some(_)),
                    ..
                }
            ),
            "{e:?}"
        );
        drop(listener);
    }
}
