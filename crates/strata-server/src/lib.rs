//! The HTTP front of a Strata node: the Management API under both URL shapes, the write and
//! SQL query endpoints, `/health`, `/ping`, `/metrics` and the OpenAPI document. Handlers translate HTTP to library calls.

mod api;
mod auth;
mod data_auth;
mod error;
mod flight;
mod flight_sql;
mod guard;
mod layers;
mod metrics;
mod openapi;
mod routes;

use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use axum::Router;
use axum::http::header::AUTHORIZATION;
use chrono::TimeDelta;
use strata_auth::{Audit, Authenticator};
use strata_catalog::Catalog;
use strata_identity::{BuiltInProvider, ExternalProvider};
use strata_query::QueryEngine;
use strata_storage::Storage;
use strata_types::Identity;

pub use openapi::OPENAPI_JSON;
pub use routes::{DATA_PATHS, PUBLIC_PATHS, served_routes};

/// Settings of the management plane that are not in the catalog.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// How long a deleted database or table can be undeleted.
    pub soft_delete_window: TimeDelta,
    /// The address clients reach this node at, shown as the cluster's URL.
    pub public_url: String,
    /// The largest write body accepted, compressed or decompressed.
    pub max_write_bytes: usize,
}

/// The identity provider user sessions come from: the built-in one, or an external OIDC
/// provider whose sessions this server only verifies.
#[derive(Clone)]
pub enum Sessions {
    BuiltIn(Arc<BuiltInProvider>),
    External {
        provider: Arc<ExternalProvider>,
        /// The provider's discovery document, served at this server's own discovery URL so
        /// that CLIs find the device and token endpoints through the cluster's address.
        discovery: Arc<serde_json::Value>,
    },
}

/// Everything a handler may use; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub catalog: Arc<dyn Catalog>,
    pub auth: Arc<Authenticator>,
    pub audit: Audit,
    pub identity: Arc<Identity>,
    pub settings: Arc<ServerSettings>,
    /// Who issues and verifies user sessions.
    pub sessions: Sessions,
    pub storage: Arc<Storage>,
    pub query: Arc<QueryEngine>,
}

impl AppState {
    pub async fn new(
        catalog: Arc<dyn Catalog>,
        auth: Arc<Authenticator>,
        sessions: Sessions,
        storage: Arc<Storage>,
        query: Arc<QueryEngine>,
        settings: ServerSettings,
    ) -> strata_types::Result<Self> {
        let identity = catalog.identity().await?;
        Ok(Self {
            audit: Audit::new(catalog.clone()),
            catalog,
            auth,
            identity: Arc::new(identity),
            settings: Arc::new(settings),
            sessions,
            storage,
            query,
        })
    }
}

/// The whole HTTP service. Credentials are marked sensitive before any layer could log them.
pub fn router(state: AppState) -> Router {
    metrics::handle();
    let flight = FlightServiceServer::new(flight::FlightEndpoint::new(state.clone()));
    let http = routes::build().with_state(state);
    // gRPC (Arrow Flight) and HTTP share the port; requests are told apart by path.
    tonic::service::Routes::from(http)
        .add_service(flight)
        .into_axum_router()
        .layer(axum::middleware::from_fn(layers::security_headers))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(layers::request_id))
        .layer(tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
}
