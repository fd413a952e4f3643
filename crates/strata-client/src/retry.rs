//! How Strata's clients come back to a server that asked them to: a write answered 503 (its
//! buffer stayed full) or 429 is sent again after a backoff, never sooner than the answer's
//! `Retry-After`. Shared by strata-client's writes and strata-loadgen.

use std::time::Duration;

use backon::ExponentialBuilder;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Waits between the attempts of a write the server asked to retry: doubling from 250 ms to
/// at most 10 s, jittered so that many writers do not come back at once.
pub fn write_backoff(retries: usize) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(retries)
        .with_jitter()
}

/// An answer's `Retry-After` in seconds (the HTTP-date form is not used by Strata).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?;
    seconds.trim().parse().ok().map(Duration::from_secs)
}
