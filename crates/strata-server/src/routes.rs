//! The route table. Every route is registered through [`RouteTable`], which also records it,
//! so a test can check the OpenAPI document against what the server really serves.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::AppState;
use crate::api::{
    audit, clusters, databases, health, idp, management_tokens, query, tables, tokens, users,
    v1_query, write,
};
use crate::error::error_response;
use crate::guard::{Throttle, small_body, throttled};

/// Routes anyone may call: service endpoints and the identity provider's.
pub const PUBLIC_PATHS: [&str; 9] = [
    "/health",
    "/ping",
    "/metrics",
    "/api/v0/openapi.json",
    "/.well-known/openid-configuration",
    "/oauth/jwks",
    "/oauth/device/code",
    "/oauth/token",
    "/device",
];

/// The data plane's HTTP routes: database tokens only.
pub const DATA_PATHS: [&str; 6] = [
    "/api/v2/write",
    "/write",
    "/api/v3/write_lp",
    "/api/v3/query_sql",
    "/api/v3/query_influxql",
    "/query",
];

pub const DEDICATED_PREFIX: &str = "/api/v0/accounts/{accountId}/clusters/{clusterId}";
pub const CLUSTERED_PREFIX: &str = "/api/v0";

struct RouteTable {
    router: Router<AppState>,
    served: Vec<(&'static str, String)>,
}

impl RouteTable {
    fn new() -> Self {
        Self {
            router: Router::new(),
            served: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.served.push((method, path.to_string()));
        self.router = self.router.route(path, route);
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("get", path, on(MethodFilter::GET, h))
    }
    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("post", path, on(MethodFilter::POST, h))
    }
    fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("put", path, on(MethodFilter::PUT, h))
    }
    fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("patch", path, on(MethodFilter::PATCH, h))
    }
    fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("delete", path, on(MethodFilter::DELETE, h))
    }

    /// A route anyone may call: throttled per address, then held to a small body, before
    /// the handler sees it.
    fn public<H: Handler<T, AppState>, T: 'static>(
        self,
        method: &'static str,
        filter: MethodFilter,
        path: &'static str,
        h: H,
        throttle: Arc<Throttle>,
    ) -> Self {
        let route = on(filter, h)
            .layer(from_fn(small_body))
            .layer(from_fn_with_state(throttle, throttled));
        self.add(method, path, route)
    }
}

/// The Management API resources, relative to either URL prefix.
fn management() -> RouteTable {
    RouteTable::new()
        .get("/databases", databases::list)
        .post("/databases", databases::create)
        .patch("/databases/{databaseName}", databases::update)
        .delete("/databases/{databaseName}", databases::delete)
        .put("/databases/{databaseName}/rename", databases::rename)
        .put("/databases/{databaseName}/undelete", databases::undelete)
        .get("/databases/{databaseName}/tables", tables::list)
        .post("/databases/{databaseName}/tables", tables::create)
        .delete(
            "/databases/{databaseName}/tables/{tableName}",
            tables::delete,
        )
        .put(
            "/databases/{databaseName}/tables/{tableName}/rename",
            tables::rename,
        )
        .put(
            "/databases/{databaseName}/tables/{tableName}/undelete",
            tables::undelete,
        )
        .get("/tokens", tokens::list)
        .post("/tokens", tokens::create)
        .get("/tokens/{tokenId}", tokens::get)
        .patch("/tokens/{tokenId}", tokens::update)
        .delete("/tokens/{tokenId}", tokens::revoke)
        .get("/managementTokens", management_tokens::list)
        .post("/managementTokens", management_tokens::create)
        .get("/managementTokens/{tokenId}", management_tokens::get)
        .delete("/managementTokens/{tokenId}", management_tokens::revoke)
        .get("/users", users::list)
        .post("/users", users::create)
        .get("/users/{userId}", users::get)
        .patch("/users/{userId}", users::update)
        .delete("/users/{userId}", users::remove)
        .get("/auditLog", audit::list)
}

fn top_level() -> RouteTable {
    // Device codes are catalog rows: the fewest. A CLI polls every few seconds; a person
    // posts the page a few times.
    let sign_in_starts = Throttle::new("POST /oauth/device/code", 10, Duration::from_secs(30));
    let token_polls = Throttle::new("POST /oauth/token", 60, Duration::from_secs(1));
    let sign_in_posts = Throttle::new("POST /device", 30, Duration::from_secs(2));
    let sign_in_pages = Throttle::new("GET /device", 60, Duration::from_secs(1));
    RouteTable::new()
        .get("/health", health::health)
        .get("/ping", health::ping)
        .add("head", "/ping", on(MethodFilter::HEAD, health::ping))
        .get("/metrics", health::metrics)
        .get("/api/v0/openapi.json", health::openapi)
        .get("/.well-known/openid-configuration", idp::discovery)
        .get("/oauth/jwks", idp::jwks)
        .public(
            "post",
            MethodFilter::POST,
            "/oauth/device/code",
            idp::device_code,
            sign_in_starts,
        )
        .public(
            "post",
            MethodFilter::POST,
            "/oauth/token",
            idp::token,
            token_polls,
        )
        .public(
            "get",
            MethodFilter::GET,
            "/device",
            idp::page,
            sign_in_pages,
        )
        .public(
            "post",
            MethodFilter::POST,
            "/device",
            idp::sign_in,
            sign_in_posts,
        )
        .post("/api/v2/write", write::v2)
        .post("/write", write::v1)
        .post("/api/v3/write_lp", write::v3)
        .get("/api/v3/query_sql", query::sql_get)
        .post("/api/v3/query_sql", query::sql_post)
        .get("/api/v3/query_influxql", query::influxql_get)
        .post("/api/v3/query_influxql", query::influxql_post)
        .get("/query", v1_query::query)
        .post("/query", v1_query::query)
        .get("/api/v0/clusters", clusters::list)
        .get("/api/v0/clusters/{clusterId}", clusters::get)
}

fn dedicated_clusters() -> RouteTable {
    RouteTable::new()
        .get("/api/v0/accounts/{accountId}/clusters", clusters::list)
        .get(
            "/api/v0/accounts/{accountId}/clusters/{clusterId}",
            clusters::get,
        )
}

/// Every (method, path) the server serves, with both prefixes spelled out.
pub fn served_routes() -> Vec<(&'static str, String)> {
    let management = management().served;
    let mut all = top_level().served;
    all.extend(dedicated_clusters().served);
    for prefix in [CLUSTERED_PREFIX, DEDICATED_PREFIX] {
        all.extend(management.iter().map(|(m, p)| (*m, format!("{prefix}{p}"))));
    }
    all
}

/// The account and cluster ids of dedicated-shape URLs are checked by the `Caller` extractor,
/// after authentication.
pub fn build() -> Router<AppState> {
    top_level()
        .router
        .nest(CLUSTERED_PREFIX, management().router)
        .merge(dedicated_clusters().router)
        .nest(DEDICATED_PREFIX, management().router)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found(OriginalUri(uri): OriginalUri) -> impl IntoResponse {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no such endpoint: {}; see /api/v0/openapi.json for the API",
            uri.path()
        ),
    )
}

async fn method_not_allowed(req: Request) -> impl IntoResponse {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{} is not allowed on {}; see /api/v0/openapi.json for the API",
            req.method(),
            req.uri().path()
        ),
    )
}
