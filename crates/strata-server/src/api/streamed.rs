//! Query answers sent as they are encoded, never collected first.
//!
//! The status waits for the answer's first chunk, so a query that fails before its first rows
//! (planning, a sort over the memory limit, the timeout) is refused with its status like any
//! other error. A query that fails after that can no longer change the status: the body ends
//! with the format's marker naming the error (when it has one), and the connection is closed
//! without ending the body, so that no client takes what it got for the whole answer.

use std::sync::Arc;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use strata_query::ByteStream;
use strata_types::Error;

use crate::error::caller_message;

/// How long a marker has to reach the client before its connection is closed.
const MARKER_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

/// What ends a body cut short by an error: the error's message in the format's words.
pub type Marker = Arc<dyn Fn(&str) -> Option<Bytes> + Send + Sync>;

/// `body` as the response, once its first chunk is there; `refuse` answers an error that
/// comes first.
pub async fn streamed(
    mut body: ByteStream,
    content_type: &'static str,
    marker: Marker,
    refuse: fn(Error) -> Response,
) -> Response {
    let first = match body.next().await {
        Some(Err(e)) => return refuse(e),
        Some(Ok(first)) => first,
        // An empty answer (JSON lines of no rows): an encoder is not polled again once ended.
        None => return ([(CONTENT_TYPE, content_type)], Body::empty()).into_response(),
    };
    let rest = futures::stream::unfold(Sending::Body(body), move |state| {
        let marker = marker.clone();
        async move {
            match state {
                Sending::Body(mut body) => match body.next().await? {
                    Ok(bytes) => Some((Ok(bytes), Sending::Body(body))),
                    Err(e) => {
                        let message = caller_message(e);
                        tracing::debug!(error = %message, "an answer failed after its first bytes");
                        match marker(&message) {
                            Some(marker) => Some((Ok(marker), Sending::Closing(message))),
                            None => Some((Err(std::io::Error::other(message)), Sending::Done)),
                        }
                    }
                },
                Sending::Closing(message) => {
                    // Time for the connection to write the marker out before it is closed:
                    // the error drops what the connection still holds, and a busy node may
                    // need more than one turn to send it.
                    tokio::time::sleep(MARKER_GRACE).await;
                    Some((Err(std::io::Error::other(message)), Sending::Done))
                }
                Sending::Done => None,
            }
        }
    });
    let chunks = futures::stream::once(async { Ok(first) }).chain(rest);
    ([(CONTENT_TYPE, content_type)], Body::from_stream(chunks)).into_response()
}

enum Sending {
    Body(ByteStream),
    /// The marker is out; the connection is to be closed with this error.
    Closing(String),
    Done,
}
