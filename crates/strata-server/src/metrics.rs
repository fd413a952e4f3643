//! Prometheus metrics: requests by route, method and status, their latencies, and token
//! checks by outcome.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process-wide recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests embedding several servers).
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn token_check(outcome: &'static str) {
    metrics::counter!("strata_token_checks_total", "outcome" => outcome).increment(1);
}

/// Counts lines written and rejected by the write endpoints.
pub fn lines_written(written: usize, rejected: usize) {
    metrics::counter!("strata_write_lines_total", "outcome" => "written").increment(written as u64);
    if rejected > 0 {
        metrics::counter!("strata_write_lines_total", "outcome" => "rejected")
            .increment(rejected as u64);
    }
}

/// Requests taking longer than this are logged at INFO; others at DEBUG (errors at WARN).
const SLOW_REQUEST: std::time::Duration = std::time::Duration::from_secs(1);

/// Counts and times every request, and logs it without query string or credentials: failures
/// and slow requests at WARN and INFO, the others at DEBUG.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&crate::layers::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed();
    let labels = [
        ("route", route.clone()),
        ("method", method.to_string()),
        ("status", status.clone()),
    ];
    metrics::counter!("strata_http_requests_total", &labels).increment(1);
    metrics::histogram!("strata_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    let elapsed_ms = elapsed.as_secs_f64() * 1e3;
    if response.status().is_server_error() {
        tracing::warn!(%method, route, status, request_id, elapsed_ms, "request failed");
    } else if elapsed >= SLOW_REQUEST {
        tracing::info!(%method, route, status, request_id, elapsed_ms, "slow request");
    } else {
        tracing::debug!(%method, route, status, request_id, elapsed_ms, "request");
    }
    response
}
