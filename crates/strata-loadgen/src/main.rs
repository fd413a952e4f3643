//! `strata-loadgen`: writes realistic line protocol to a Strata server over HTTP and reports
//! throughput and latency.
//!
//! The data is a fleet of hosts reporting telegraf-like `cpu` (8 cores), `mem`, `disk` (4) and
//! `net` (2 interfaces) measurements, 15 series per host, with tags `host`, `region`, `dc` and
//! each measurement's own, and 7–8 fields of every line protocol type. Past four tables the
//! shapes repeat as `cpu1`, `mem1`, …. Each round writes one point per series, `--interval`
//! (1 ms) after the previous round, starting at `--start` (the wall clock when the run starts),
//! so no point is written twice. `--start 24h --interval 86.4s` with `--lines` of 1,000 rounds
//! spreads the data over the past day, as a query benchmark wants it; `--first-round` with the
//! same (absolute) `--start` finishes a run cut short.
//!
//! Bodies are built off the timed path: by generator threads that keep a queue of bodies ahead
//! of the senders (filled before the clock starts), and all of them up front when `--lines`
//! bounds the run to at most 1 GiB of line protocol. `--dry-run` measures the generator alone.
//! `--concurrency` senders each keep one request in flight over a kept-alive HTTP/1.1
//! connection, until `--duration` passes or `--lines` are written.
//!
//! The report on stdout gives lines written, requests, elapsed time, lines/s, MB/s of
//! uncompressed line protocol, request latency percentiles and every non-2xx status with the
//! first answer seen. The exit status is 1 if any request failed. A 401, 403, 404 or 413 stops
//! the run at once, since every later request would get the same answer.
//!
//! ```text
//! STRATA_TOKEN=strata_db_... cargo run --release -p strata-loadgen -- \
//!     --database loadtest --series 100000 --batch-size 5000 --concurrency 8 --duration 1m --gzip
//! ```

mod cli;
mod run;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use reqwest::Url;
use strata_loadgen::data::{Batches, Dataset};
use strata_loadgen::http::endpoint_url;
use strata_loadgen::report::group;
use strata_loadgen::time::{now_ns, rfc3339};

use cli::Args;
use run::Settings;

fn main() -> ExitCode {
    let args = Args::parse();
    match start(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::from(2)
        }
    }
}

fn start(args: Args) -> Result<ExitCode, String> {
    let url = write_url(&args)?;
    let now = now_ns()?;
    let start = args.start.map_or(Ok(now), |start| start.resolve(now))?;
    let interval = u64::try_from(args.interval.as_nanos())
        .map_err(|_| format!("--interval {:?} is too long", args.interval))?;
    let rounds = args
        .lines
        .map_or(0, |lines| (lines - 1) / args.series as u64);
    check_last_time(start, interval, args.first_round.saturating_add(rounds))?;
    let batches = Batches::new(
        Dataset::new(args.series, args.tables, start, interval),
        args.batch_size as u64,
        args.lines,
        args.gzip,
    )
    .from_round(args.first_round)
    .ok_or_else(|| {
        format!(
            "--first-round {} is past the stream's end",
            args.first_round
        )
    })?;
    let batches = Arc::new(batches);
    let data = batches.data();
    eprintln!(
        "{} series on {} hosts in {} tables, from {} every {:?}; bodies of {} lines (~{:.1} MB uncompressed{})",
        group(data.series() as u64),
        group(data.hosts() as u64),
        data.tables(),
        rfc3339(start),
        args.interval,
        group(args.batch_size as u64),
        batches.bytes_per_line() * args.batch_size as f64 / 1e6,
        if args.gzip { ", sent gzipped" } else { "" },
    );
    let settings = Settings {
        url,
        token: args.token.clone().unwrap_or_default(),
        gzip: args.gzip,
        concurrency: args.concurrency,
        duration: args.duration,
        timeout: args.timeout,
        progress: args.progress,
        generator_threads: args.generator_threads,
    };
    if args.dry_run {
        print!("{}", run::dry_run(batches, &settings));
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "writing to {} with {} requests in flight",
        settings.url, settings.concurrency
    );
    let concurrency = settings.concurrency;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    let (mut stats, elapsed) = runtime.block_on(run::run(batches, settings))?;
    print!("{}", stats.report(elapsed, concurrency, args.gzip));
    Ok(if stats.failed() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The write URL: the endpoint's path under `--url`, with the database in the query.
fn write_url(args: &Args) -> Result<Url, String> {
    let (path, query) = args
        .endpoint
        .target(args.database.as_deref().unwrap_or_default());
    endpoint_url(&args.url, path, &query)
}

/// Refuses a run whose last round (its first, when no --lines bounds it) would be past 2262,
/// the last time line protocol holds: the server would reject those lines.
fn check_last_time(start: u64, interval: u64, last_round: u64) -> Result<(), String> {
    last_round
        .checked_mul(interval)
        .and_then(|offset| offset.checked_add(start))
        .filter(|&last| last <= i64::MAX as u64)
        .map(|_| ())
        .ok_or_else(|| {
            format!(
                "round {last_round} would be after 2262, the last time line protocol holds; use a shorter --interval, an earlier --start or fewer --lines"
            )
        })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn url(extra: &[&str]) -> Result<String, String> {
        let mut argv = vec!["strata-loadgen", "--token", "t", "--database", "my db/rp"];
        argv.extend_from_slice(extra);
        write_url(&Args::try_parse_from(argv).unwrap()).map(String::from)
    }

    #[test]
    fn write_urls() {
        assert_eq!(
            url(&[]).unwrap(),
            "http://127.0.0.1:8086/api/v2/write?bucket=my+db%2Frp&precision=ns"
        );
        assert_eq!(
            url(&["--endpoint", "v1", "--url", "https://db.example/strata/"]).unwrap(),
            "https://db.example/strata/write?db=my+db%2Frp"
        );
        assert_eq!(
            url(&["--endpoint", "v3"]).unwrap(),
            "http://127.0.0.1:8086/api/v3/write_lp?db=my+db%2Frp"
        );
        assert!(url(&["--url", "ftp://x"]).is_err());
        assert!(url(&["--url", "not a url"]).is_err());
    }

    #[test]
    fn last_times() {
        let day = 86_400_000_000_000;
        assert_eq!(check_last_time(0, day, 106_000), Ok(()));
        assert!(check_last_time(0, day, 107_000).is_err());
        assert!(check_last_time(1, u64::MAX, 2).is_err());
        assert_eq!(check_last_time(i64::MAX as u64, 1, 0), Ok(()));
    }
}
