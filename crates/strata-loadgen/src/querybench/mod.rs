//! The query benchmark: a set of queries over the data `strata-loadgen` writes, each run a
//! number of times over one kept-alive connection, one query at a time, and timed from the
//! request to the last byte of its answer.

pub mod bench;
pub mod queries;
