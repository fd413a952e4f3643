//! End-to-end tests: the real `strata` binary, driven over HTTP on loopback.

mod harness;

mod admin;
mod audit;
mod auth;
mod backpressure;
mod browser;
mod compaction;
mod databases;
mod flight;
mod flight_sql;
mod identity;
mod influxql;
mod messagepack;
mod oidc;
mod oracle;
mod postgres;
mod query;
mod server;
mod shortcuts;
mod streaming;
mod tables;
mod tokens;
mod write;
