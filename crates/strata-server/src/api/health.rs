use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;

use crate::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "name": "strata", "status": "pass", "version": VERSION }))
}

/// `GET|HEAD /ping`: 204 with the version headers InfluxDB clients look for.
pub async fn ping() -> impl IntoResponse {
    (
        StatusCode::NO_CONTENT,
        [
            (
                HeaderName::from_static("x-influxdb-build"),
                HeaderValue::from_static("Strata"),
            ),
            (
                HeaderName::from_static("x-influxdb-version"),
                HeaderValue::from_static(VERSION),
            ),
        ],
    )
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], {
        metrics::gauge!("strata_stats_cache_bytes").set(state.storage.stats_cache_bytes() as f64);
        let buffer = state.storage.buffer();
        metrics::gauge!("strata_write_buffer_bytes").set(buffer.bytes().1 as f64);
        let (admitted, refused) = buffer.waits();
        metrics::counter!("strata_write_buffer_waits_total", "outcome" => "written")
            .absolute(admitted);
        metrics::counter!("strata_write_buffer_waits_total", "outcome" => "refused")
            .absolute(refused);
        let handle = crate::metrics::handle();
        handle.run_upkeep();
        handle.render()
    })
}

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::OPENAPI_JSON,
    )
}
