//! Cheap refusals for the endpoints anyone may call without a credential (the sign-in page
//! and the device grant): a token bucket per caller address, taken before anything else is
//! done with the request, and a body limit of a few KiB. Unauthenticated callers get almost
//! nothing: no body read past the limit, no validation, no catalog read or write.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_LENGTH, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use crate::error::error_response;

/// The largest body the unauthenticated endpoints take.
pub const MAX_PUBLIC_BODY_BYTES: usize = 4 << 10;
/// The most of a larger body read (and dropped) before answering 413.
const MAX_DRAINED_BYTES: usize = 2 << 20;
/// Addresses remembered at most; past this, those with full buckets are forgotten.
const MAX_ADDRESSES: usize = 100_000;

/// Requests per address to one endpoint: up to `burst` at once, then one per `every`.
pub struct Throttle {
    /// What the endpoint does, for the refusal's message and the metrics.
    endpoint: &'static str,
    burst: f64,
    every: Duration,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Throttle {
    pub fn new(endpoint: &'static str, burst: u32, every: Duration) -> Arc<Self> {
        Arc::new(Throttle {
            endpoint,
            burst: f64::from(burst),
            every,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `address`, or says how long until one is there.
    fn take(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().expect("throttle lock poisoned");
        if buckets.len() >= MAX_ADDRESSES {
            buckets.retain(|_, bucket| self.refilled(bucket, now) < self.burst);
            if buckets.len() >= MAX_ADDRESSES {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.every.mul_f64(1.0 - bucket.tokens))
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let earned = now.duration_since(bucket.at).as_secs_f64() / self.every.as_secs_f64();
        (bucket.tokens + earned).min(self.burst)
    }
}

/// Whom a bucket belongs to: the peer's address, or its /64 for IPv6 (which a single host
/// usually has whole).
fn caller(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().expect("checked")),
        v4 => v4,
    }
}

/// The layer: 429 with `Retry-After` when the caller's bucket is empty.
pub async fn throttled(
    State(throttle): State<Arc<Throttle>>,
    request: Request,
    next: Next,
) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    match throttle.take(caller(address), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            metrics::counter!("strata_throttled_requests_total", "endpoint" => throttle.endpoint)
                .increment(1);
            let seconds = wait.as_secs().max(1);
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "too many requests to {} from your address; try again in {seconds} seconds",
                    throttle.endpoint
                ),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    }
}

/// The layer: 413 for a body over [`MAX_PUBLIC_BODY_BYTES`]. Only that much is kept; the
/// rest of a body up to [`MAX_DRAINED_BYTES`] is read and dropped, so the caller (a browser)
/// gets the answer instead of a broken connection, and a larger one is not read at all.
pub async fn small_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_DRAINED_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return error_response(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        };
        seen += chunk.len();
        if seen <= MAX_PUBLIC_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        } else if seen > MAX_DRAINED_BYTES {
            break;
        }
    }
    if seen > MAX_PUBLIC_BODY_BYTES {
        return too_large();
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
}

fn too_large() -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "the request body is too large ({} KiB at most)",
            MAX_PUBLIC_BODY_BYTES >> 10
        ),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_a_burst_then_one_request_per_period() {
        let throttle = Throttle::new("test", 3, Duration::from_secs(10));
        let a = IpAddr::from([10, 0, 0, 1]);
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.take(a, t), Ok(()));
        }
        assert_eq!(throttle.take(a, t), Err(Duration::from_secs(10)));
        assert_eq!(
            throttle.take(IpAddr::from([10, 0, 0, 2]), t),
            Ok(()),
            "addresses have their own buckets"
        );
        assert_eq!(
            throttle.take(a, t + Duration::from_secs(5)),
            Err(Duration::from_secs(5))
        );
        assert_eq!(throttle.take(a, t + Duration::from_secs(10)), Ok(()));
        assert!(throttle.take(a, t + Duration::from_secs(10)).is_err());
    }

    #[test]
    fn an_ipv6_host_is_its_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(caller(one), caller(other));
        assert_ne!(caller(one), caller("2001:db8:1:3::1".parse().unwrap()));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(caller(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
