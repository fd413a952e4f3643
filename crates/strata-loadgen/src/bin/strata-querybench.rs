//! `strata-querybench`: times queries over the data `strata-loadgen` writes and prints, for
//! each, the rows it returned and its latency (min, p50, p90, max) in an aligned table.
//!
//! The built-in sets read the `cpu` table, each query in InfluxQL (the 1.x `/query` endpoint)
//! and in SQL (`/api/v3/query_sql`). `--workload fleet` (the default, for strata-loadgen's
//! default data): the last value of every series, a one-minute mean over an hour of one series
//! (the hour in the middle of the data), a mean, max and count over a day of every series (the
//! day ending with the data), and the values of the `host` tag. `--workload hosts` (for
//! `strata-loadgen --shape hosts`): issue 11's Q1–Q5, named `q1-influxql`, `q1-sql`, …: the
//! last value by host, a one-minute mean over the middle hour of host-00042, a mean and max by
//! host over the last day, a count of every point, and the values of the `host` tag. The span of
//! the data comes from `--data-start` and `--data-end`, or else from asking the server for the
//! first and last time in `cpu`. `--query NAME=LANG:TEXT` adds a query or replaces the one of
//! that name.
//!
//! Each query runs `--warmup` times untimed, then `--runs` times, one request at a time over a
//! kept-alive connection; a run lasts from the request to the last byte of its answer. A query
//! that fails stops at its first failure, and the exit status is then 1, with the server's
//! answer printed under the table.
//!
//! ```text
//! STRATA_TOKEN=strata_db_... cargo run --release -p strata-loadgen --bin strata-querybench -- \
//!     --database bench --runs 20 --query 'mem=sql:SELECT avg(used_percent) FROM mem'
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use strata_loadgen::data::Shape;
use strata_loadgen::querybench::bench::{Bench, table};
use strata_loadgen::querybench::queries::{
    DataRange, Query, built_in_queries, parse_query, with_overrides,
};
use strata_loadgen::time::{When, now_ns, parse_duration, parse_when, rfc3339};

#[derive(Debug, Parser)]
#[command(
    name = "strata-querybench",
    version,
    about = "Times queries over the data strata-loadgen writes and prints their latency percentiles."
)]
struct Args {
    /// The server's base URL.
    #[arg(
        long,
        env = "STRATA_QUERYBENCH_URL",
        default_value = "http://127.0.0.1:8086"
    )]
    url: String,

    /// A database token that may read the database.
    #[arg(long, env = "STRATA_TOKEN", hide_env_values = true)]
    token: String,

    /// The database to query.
    #[arg(long, env = "STRATA_QUERYBENCH_DATABASE")]
    database: String,

    /// The built-in queries: those for the data of strata-loadgen's --shape of that name.
    #[arg(long, value_enum, default_value_t = Shape::Fleet)]
    workload: Shape,

    /// Timed runs of each query.
    #[arg(long, default_value_t = 10, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    runs: usize,

    /// Untimed runs of each query first, so that caches and the connection are warm.
    #[arg(long, default_value_t = 2)]
    warmup: usize,

    /// A query to add, or to run instead of the built-in one of that name (repeatable). LANG is
    /// sql, influxql (the 1.x /query endpoint) or influxql-v3 (/api/v3/query_influxql).
    #[arg(long = "query", value_name = "NAME=LANG:TEXT", value_parser = parse_query)]
    queries: Vec<Query>,

    /// The time of the data's first point: RFC 3339 or a duration ago (24h) [default: asked of
    /// the server].
    #[arg(long, value_parser = parse_when, requires = "data_end")]
    data_start: Option<When>,

    /// The time of the data's last point, as --data-start.
    #[arg(long, value_parser = parse_when, requires = "data_start")]
    data_end: Option<When>,

    /// Give up on a query after this long.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    timeout: Duration,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: starting the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(start(args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn start(args: Args) -> Result<ExitCode, String> {
    let bench = Bench::new(&args.url, &args.token, &args.database, args.timeout)?;
    let range = match (args.data_start, args.data_end) {
        (Some(start), Some(end)) => given_range(start, end, now_ns()?)?,
        _ => bench.data_range().await.map_err(|e| {
            format!("asking the server when the data starts and ends: {e}; or give --data-start and --data-end")
        })?,
    };
    eprintln!(
        "data from {} to {}; {} untimed and {} timed runs of each query",
        rfc3339(range.first_ns),
        rfc3339(range.last_ns),
        args.warmup,
        args.runs
    );
    let mut outcomes = Vec::new();
    for query in with_overrides(built_in_queries(args.workload, range), args.queries) {
        eprintln!("{} ({}): {}", query.name, query.language.name(), query.text);
        outcomes.push(bench.measure(query, args.warmup, args.runs).await);
    }
    print!("{}", table(&outcomes));
    Ok(if outcomes.iter().any(|o| o.error.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn given_range(start: When, end: When, now_ns: u64) -> Result<DataRange, String> {
    let (first_ns, last_ns) = (start.resolve(now_ns)?, end.resolve(now_ns)?);
    if first_ns > last_ns {
        return Err(format!(
            "--data-start {} is after --data-end {}",
            rfc3339(first_ns),
            rfc3339(last_ns)
        ));
    }
    Ok(DataRange { first_ns, last_ns })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(extra: &[&str]) -> Result<Args, String> {
        let mut argv = vec!["strata-querybench", "--token", "t", "--database", "db"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).map_err(|e| e.to_string())
    }

    #[test]
    fn flags() {
        Args::command().debug_assert();
        let args = parse(&[]).unwrap();
        assert_eq!(args.url, "http://127.0.0.1:8086");
        assert_eq!(args.workload, Shape::Fleet);
        assert_eq!((args.runs, args.warmup), (10, 2));
        assert_eq!((args.data_start, args.data_end), (None, None));
        assert!(args.queries.is_empty());
        let args = parse(&[
            "--runs",
            "3",
            "--warmup",
            "0",
            "--query",
            "a=sql:SELECT 1",
            "--query",
            "b=influxql:SHOW DATABASES",
            "--data-start",
            "24h",
            "--data-end",
            "2030-01-31T00:00:00Z",
        ])
        .unwrap();
        assert_eq!((args.runs, args.warmup), (3, 0));
        let names: Vec<_> = args.queries.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            args.data_start,
            Some(When::Ago(Duration::from_secs(86_400)))
        );
        assert_eq!(
            parse(&["--workload", "hosts"]).unwrap().workload,
            Shape::Hosts
        );
        let error = parse(&["--workload", "racks"]).unwrap_err();
        assert!(error.contains("--workload"), "{error}");
        assert!(parse(&["--runs", "0"]).is_err());
        let error = parse(&["--query", "SELECT 1"]).unwrap_err();
        assert!(error.contains("NAME=LANG:TEXT"), "{error}");
        let error = parse(&["--data-start", "24h"]).unwrap_err();
        assert!(error.contains("--data-end"), "{error}");
        let error = parse(&["--data-start", "soon", "--data-end", "0s"]).unwrap_err();
        assert!(error.contains("neither an RFC 3339 time"), "{error}");
        assert!(
            Args::try_parse_from(["strata-querybench", "--database", "db"]).is_err(),
            "a token is needed"
        );
    }

    #[test]
    fn given_ranges() {
        let now = 1_800_000_000_000_000_000;
        let day = Duration::from_secs(86_400);
        assert_eq!(
            given_range(When::Ago(day), When::Ago(Duration::ZERO), now),
            Ok(DataRange {
                first_ns: now - 86_400_000_000_000,
                last_ns: now
            })
        );
        let error = given_range(When::At(now), When::Ago(day), now).unwrap_err();
        assert!(error.contains("is after --data-end"), "{error}");
    }
}
