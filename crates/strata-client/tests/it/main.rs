//! The client against the real `strata serve` (started by the server's own harness on an
//! ephemeral port): the device flow of the built-in identity provider and the users API.
//! Build the server first: `cargo build -p strata`.

#[allow(dead_code)]
#[path = "../../../strata/tests/it/harness.rs"]
mod harness;

mod device_flow;
mod users;
