//! The OpenAPI document the server publishes at `/api/v0/openapi.json`.

pub const OPENAPI_JSON: &str = include_str!("openapi.json");
