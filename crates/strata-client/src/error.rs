use std::fmt;
use std::time::Duration;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status. `message` is the server's own message
    /// (the `message` of its `{"code", "message"}` body), or a description of the body when
    /// it was not in that shape.
    Api {
        status: u16,
        /// The `code` of the error body, when there was one (normally equal to `status`).
        code: Option<i64>,
        message: String,
    },
    /// The server refused a write (an answer of the data API's `/api/v2/write`): its HTTP
    /// status and InfluxDB's `{"code", "line", "message"}` error body. `line` is the number
    /// (1-based, within the request's body) of the first rejected line, when lines were
    /// rejected; `message` lists the rejected lines (at most 100) with their reasons.
    Write {
        status: u16,
        /// InfluxDB's error code name: `invalid`, `unauthorized`, `forbidden`, `not found`,
        /// `request too large`, `unprocessable entity`, `unavailable`, …
        code: Option<String>,
        line: Option<u64>,
        message: String,
    },
    /// The server refused a query over Arrow Flight (gRPC) with a status: its code and the
    /// server's own message. [`Error::is_unauthorized`], [`Error::is_forbidden`] and
    /// [`Error::is_not_found`] hold for `UNAUTHENTICATED`, `PERMISSION_DENIED` and
    /// `NOT_FOUND` as they do for HTTP's 401, 403 and 404.
    Grpc { code: GrpcCode, message: String },
    /// The request did not get an answer: the server could not be reached, the TLS handshake
    /// failed, or no answer came within the timeout.
    Transport {
        kind: TransportErrorKind,
        /// Scheme, host and port of the server (never a path or a credential).
        origin: String,
        /// What went wrong, from the innermost cause outwards.
        detail: String,
    },
    /// The server answered with success but the body was not what the API documents.
    Decode {
        status: u16,
        method: String,
        path: String,
        detail: String,
    },
    /// The client could not be set up: a bad base URL or an unreadable TLS file.
    Config { message: String },
    /// The identity provider refused a step of the OAuth2 device flow (or it ended without a
    /// session): `error` is the OAuth2 error code (`access_denied`, `expired_token`,
    /// `invalid_grant`, …) and `description` the provider's own `error_description`.
    OAuth {
        error: String,
        description: Option<String>,
        /// Scheme, host and port of the identity provider.
        origin: String,
    },
}

/// The status code of a gRPC answer (an [`Error::Grpc`]), as gRPC defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrpcCode {
    Ok,
    Cancelled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    Unavailable,
    DataLoss,
    Unauthenticated,
}

impl GrpcCode {
    /// As gRPC names it: `UNAUTHENTICATED`, `PERMISSION_DENIED`, …
    pub fn as_str(self) -> &'static str {
        match self {
            GrpcCode::Ok => "OK",
            GrpcCode::Cancelled => "CANCELLED",
            GrpcCode::Unknown => "UNKNOWN",
            GrpcCode::InvalidArgument => "INVALID_ARGUMENT",
            GrpcCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            GrpcCode::NotFound => "NOT_FOUND",
            GrpcCode::AlreadyExists => "ALREADY_EXISTS",
            GrpcCode::PermissionDenied => "PERMISSION_DENIED",
            GrpcCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            GrpcCode::FailedPrecondition => "FAILED_PRECONDITION",
            GrpcCode::Aborted => "ABORTED",
            GrpcCode::OutOfRange => "OUT_OF_RANGE",
            GrpcCode::Unimplemented => "UNIMPLEMENTED",
            GrpcCode::Internal => "INTERNAL",
            GrpcCode::Unavailable => "UNAVAILABLE",
            GrpcCode::DataLoss => "DATA_LOSS",
            GrpcCode::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// The HTTP status that means the same, for the codes that have one.
    fn http_status(self) -> Option<u16> {
        match self {
            GrpcCode::Unauthenticated => Some(401),
            GrpcCode::PermissionDenied => Some(403),
            GrpcCode::NotFound => Some(404),
            GrpcCode::AlreadyExists | GrpcCode::Aborted => Some(409),
            _ => None,
        }
    }
}

impl From<tonic::Code> for GrpcCode {
    fn from(code: tonic::Code) -> Self {
        use tonic::Code as C;
        match code {
            C::Ok => GrpcCode::Ok,
            C::Cancelled => GrpcCode::Cancelled,
            C::Unknown => GrpcCode::Unknown,
            C::InvalidArgument => GrpcCode::InvalidArgument,
            C::DeadlineExceeded => GrpcCode::DeadlineExceeded,
            C::NotFound => GrpcCode::NotFound,
            C::AlreadyExists => GrpcCode::AlreadyExists,
            C::PermissionDenied => GrpcCode::PermissionDenied,
            C::ResourceExhausted => GrpcCode::ResourceExhausted,
            C::FailedPrecondition => GrpcCode::FailedPrecondition,
            C::Aborted => GrpcCode::Aborted,
            C::OutOfRange => GrpcCode::OutOfRange,
            C::Unimplemented => GrpcCode::Unimplemented,
            C::Internal => GrpcCode::Internal,
            C::Unavailable => GrpcCode::Unavailable,
            C::DataLoss => GrpcCode::DataLoss,
            C::Unauthenticated => GrpcCode::Unauthenticated,
        }
    }
}

impl fmt::Display for GrpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of transport failure an [`Error::Transport`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// No connection: refused, unreachable host, unknown name.
    Connect,
    /// The TLS handshake failed (untrusted or invalid certificate, not a TLS server, …).
    Tls,
    /// No answer within the configured timeout.
    Timeout(Option<Duration>),
    /// The connection broke or the answer could not be read.
    Other,
}

impl Error {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// The HTTP status of an [`Error::Api`] or [`Error::Write`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Write { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's message of an [`Error::Api`], [`Error::Write`] or [`Error::Grpc`].
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. }
            | Error::Write { message, .. }
            | Error::Grpc { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The status code of an [`Error::Grpc`].
    pub fn grpc_code(&self) -> Option<GrpcCode> {
        match self {
            Error::Grpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The HTTP status, or for a gRPC refusal the HTTP status meaning the same.
    fn http_like_status(&self) -> Option<u16> {
        match self {
            Error::Grpc { code, .. } => code.http_status(),
            _ => self.status(),
        }
    }

    /// The first rejected line of a refused write (1-based, within the request's body).
    pub fn rejected_line(&self) -> Option<u64> {
        match self {
            Error::Write { line, .. } => *line,
            _ => None,
        }
    }

    /// 401 (or gRPC `UNAUTHENTICATED`): the credential is missing, malformed, unknown,
    /// expired or revoked.
    pub fn is_unauthorized(&self) -> bool {
        self.http_like_status() == Some(401)
    }

    /// 403 (or gRPC `PERMISSION_DENIED`): the credential is valid but may not do this.
    pub fn is_forbidden(&self) -> bool {
        self.http_like_status() == Some(403)
    }

    /// 404 (or gRPC `NOT_FOUND`).
    pub fn is_not_found(&self) -> bool {
        self.http_like_status() == Some(404)
    }

    /// 409 (or gRPC `ALREADY_EXISTS` or `ABORTED`).
    pub fn is_conflict(&self) -> bool {
        self.http_like_status() == Some(409)
    }

    /// The OAuth2 error code of an [`Error::OAuth`] (e.g. `access_denied`).
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Error::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                status, message, ..
            }
            | Error::Write {
                status, message, ..
            } => write!(f, "{message} (HTTP {status} {})", reason(*status)),
            Error::Grpc { code, message } => write!(f, "{message} (gRPC status {code})"),
            Error::Transport {
                kind,
                origin,
                detail,
            } => match kind {
                TransportErrorKind::Connect => write!(f, "cannot connect to {origin}: {detail}"),
                TransportErrorKind::Tls => {
                    write!(f, "TLS handshake with {origin} failed: {detail}")
                }
                TransportErrorKind::Timeout(Some(limit)) => {
                    write!(f, "no answer from {origin} within {limit:?}")
                }
                TransportErrorKind::Timeout(None) => write!(f, "no answer from {origin} in time"),
                TransportErrorKind::Other => {
                    write!(f, "the request to {origin} failed: {detail}")
                }
            },
            Error::Decode {
                status,
                method,
                path,
                detail,
            } => write!(
                f,
                "unexpected answer to {method} {path} (HTTP {status}): {detail}"
            ),
            Error::Config { message } => f.write_str(message),
            Error::OAuth {
                error,
                description,
                origin,
            } => {
                let said = description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                match error.as_str() {
                    "access_denied" => {
                        write!(f, "the sign-in was refused at {origin}{said} ({error})")
                    }
                    "expired_token" => write!(
                        f,
                        "the sign-in code expired before it was approved{said} ({error})"
                    ),
                    _ => write!(
                        f,
                        "the identity provider at {origin} refused the sign-in{said} ({error})"
                    ),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

/// The messages of an error and its causes, innermost last, without repeats.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !out.iter().any(|seen| seen.contains(&text)) {
            out.push(text);
        }
        next = e.source();
    }
    out
}

/// The `detail` of a transport failure: its `causes` joined with `: `, without the wrappers
/// that say nothing their causes do not (those `wrapper` picks by position and text, and
/// hyper-util's `client error (…)`); all of them when only wrappers are left.
pub(crate) fn detail(causes: &[String], wrapper: impl Fn(usize, &str) -> bool) -> String {
    let kept: Vec<&str> = causes
        .iter()
        .enumerate()
        .filter(|(i, c)| !wrapper(*i, c) && !c.starts_with("client error ("))
        .map(|(_, c)| c.as_str())
        .collect();
    if kept.is_empty() {
        causes.join(": ")
    } else {
        kept.join(": ")
    }
}

/// Classifies a reqwest failure that got no HTTP answer.
pub(crate) fn transport(error: &reqwest::Error, origin: &str, timeout: Option<Duration>) -> Error {
    // The outermost message ("error sending request for url (…)") says nothing the origin
    // does not; the causes say what happened.
    let detail = detail(&chain(error), |i, _| i == 0);
    let lower = detail.to_ascii_lowercase();
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout(timeout)
    } else if let Some(kind) = transport_kind_of(&lower, timeout) {
        kind
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    };
    Error::Transport {
        kind,
        origin: origin.to_string(),
        detail,
    }
}

/// The kind of a transport failure, from what its causes say (`lower`, lowercased); a
/// timeout is one of the configured `timeout`.
pub(crate) fn transport_kind_of(
    lower: &str,
    timeout: Option<Duration>,
) -> Option<TransportErrorKind> {
    if lower.contains("timed out") || lower.contains("deadline has elapsed") {
        Some(TransportErrorKind::Timeout(timeout))
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("corrupt message")
        || lower.contains("invalidcontenttype")
        || lower.contains("alpn")
    {
        Some(TransportErrorKind::Tls)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_show_the_server_message_and_status() {
        let e = Error::Api {
            status: 404,
            code: Some(404),
            message: "database \"x\" not found".into(),
        };
        assert_eq!(
            e.to_string(),
            "database \"x\" not found (HTTP 404 Not Found)"
        );
        assert!(e.is_not_found());
        assert_eq!(e.api_message(), Some("database \"x\" not found"));
    }

    #[test]
    fn oauth_errors_carry_the_providers_description() {
        let e = Error::OAuth {
            error: "access_denied".into(),
            description: Some("the sign-in was denied".into()),
            origin: "http://idp:1".into(),
        };
        assert_eq!(
            e.to_string(),
            "the sign-in was refused at http://idp:1: the sign-in was denied (access_denied)"
        );
        assert_eq!(e.oauth_error(), Some("access_denied"));
        let e = Error::OAuth {
            error: "invalid_client".into(),
            description: None,
            origin: "http://idp:1".into(),
        };
        assert_eq!(
            e.to_string(),
            "the identity provider at http://idp:1 refused the sign-in (invalid_client)"
        );
    }

    #[test]
    fn transport_errors_say_where_and_why() {
        let e = Error::Transport {
            kind: TransportErrorKind::Timeout(Some(Duration::from_secs(2))),
            origin: "http://127.0.0.1:9".into(),
            detail: "operation timed out".into(),
        };
        assert_eq!(e.to_string(), "no answer from http://127.0.0.1:9 within 2s");
        assert_eq!(e.status(), None);
    }
}
