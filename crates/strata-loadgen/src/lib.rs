//! What the two binaries share: `strata-loadgen` writes telegraf-like data to a Strata server,
//! and `strata-querybench` times queries over that data.

pub mod data;
pub mod http;
pub mod querybench;
pub mod report;
pub mod time;
