//! End-to-end tests of `stratactl`: the real binary against the real `strata serve` (started
//! by the server's own harness on an ephemeral port), with profiles in temporary config
//! files and `HOME` pointed at a temporary directory. Build the server first:
//! `cargo build -p strata`.

#[allow(dead_code)]
#[path = "../../../strata/tests/it/harness.rs"]
mod harness;

/// Asserts a snapshot with the filters that make output stable across runs: token secrets,
/// UUIDs, times and ports become placeholders of the same width, so tables stay aligned.
macro_rules! snap {
    ($name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in crate::common::FILTERS {
            settings.add_filter(pattern, *replacement);
        }
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}

mod common;

mod auth;
mod config;
mod databases;
mod guide;
mod influxctl;
mod management;
mod misc;
mod prompts;
mod query;
mod tables;
mod tokens;
mod transport;
mod users;
mod validation;
mod write;
