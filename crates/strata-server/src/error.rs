//! Errors on the wire: always `{"code": <status>, "message": "…"}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use strata_types::{Error, ErrorKind};

#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "code": status.as_u16(), "message": message });
    (status, Json(body)).into_response()
}

/// What the caller is told. An internal error's details (catalog errors, paths) are for
/// operators: they go to the log under an incident id, and the caller gets the id.
pub fn caller_message(error: Error) -> String {
    if error.kind != ErrorKind::Internal {
        return error.message;
    }
    let incident = uuid::Uuid::new_v4();
    tracing::error!(%incident, error = %error.message, "internal error");
    format!("internal error (incident {incident}); the server log has the details")
}

/// An error in InfluxDB 3's shape, `{"error": "…"}`, used by the `/api/v3/…` data endpoints.
pub fn v3_error_response(error: Error) -> Response {
    let status = status_of(error.kind);
    (
        status,
        Json(serde_json::json!({ "error": caller_message(error) })),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.kind);
        error_response(status, &caller_message(self.0))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body whose rejections use the API's error shape and say what was wrong.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError(Error::new(
                    ErrorKind::TooLarge,
                    "the request body is too large (2 MiB at most)",
                )))
            }
            Err(rejection) => Err(ApiError(Error::invalid(describe_rejection(&rejection)))),
        }
    }
}

fn describe_rejection(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "the request body must be JSON: send `Content-Type: application/json`".to_string()
        }
        JsonRejection::JsonSyntaxError(e) => {
            format!("the request body is not valid JSON: {}", e.body_text())
        }
        JsonRejection::JsonDataError(e) => format!(
            "the request body does not match the expected shape: {}",
            e.body_text()
        ),
        other => format!("cannot read the request body: {}", other.body_text()),
    }
}

/// Query parameters whose rejections use the API's error shape.
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(Error::invalid(format!(
                "bad query parameters: {}",
                rejection.body_text()
            )))),
        }
    }
}

/// Path parameters whose rejections (such as invalid UTF-8) use the API's error shape.
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(Error::invalid(format!(
                "bad path: {}",
                rejection.body_text()
            )))),
        }
    }
}
