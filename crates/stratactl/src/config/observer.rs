//! The client's observer of HTTP exchanges, shown by `--debug` (and `--trace` for headers and
//! bodies).

use std::sync::Arc;

use strata_client::{HttpEvent, Observer};

use crate::log::{debug, trace};

pub(super) fn observer() -> Observer {
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
