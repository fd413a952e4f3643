use std::fmt;

/// What kind of failure an [`Error`] is; front ends map it to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller sent something malformed or out of range (HTTP 400).
    InvalidArgument,
    /// No credential, or one that is malformed, unknown, expired or revoked (HTTP 401).
    Unauthenticated,
    /// A valid credential without the permission needed (HTTP 403).
    PermissionDenied,
    /// The named resource does not exist (HTTP 404).
    NotFound,
    /// The resource exists already, or the change clashes with another (HTTP 409).
    Conflict,
    /// The request is larger than the server accepts (HTTP 413).
    TooLarge,
    /// Too many attempts; the message says when to try again (HTTP 429).
    RateLimited,
    /// The server cannot take the request now (e.g. its write buffer is full); try again
    /// shortly (HTTP 503).
    Unavailable,
    /// Something broke inside the server (HTTP 500). The message is for the log: callers are
    /// told only that something broke.
    Internal,
}

/// An error with a message meant for the person who caused it: what was wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message)
    }
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PermissionDenied, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
