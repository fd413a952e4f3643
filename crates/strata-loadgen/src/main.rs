//! `strata-loadgen`: writes realistic line protocol to a Strata server over HTTP and reports
//! throughput and latency.
//!
//! The data (`--shape fleet`, the default) is a fleet of hosts reporting telegraf-like `cpu`
//! (8 cores), `mem`, `disk` (4) and `net` (2 interfaces) measurements, 15 series per host, with
//! tags `host`, `region`, `dc` and each measurement's own, and 7–8 fields of every line protocol
//! type. Past four tables the measurements repeat as `cpu1`, `mem1`, …. `--shape hosts` writes
//! one table, `cpu`, with one series per host (tags `dc`, `host`, `region`) and four float
//! fields.
//! Each round writes one point per series, `--interval` (1 ms) after the previous round,
//! starting at `--start` (the wall clock when the run starts), so no point is written twice.
//! `--start 24h --interval 86.4s` with `--lines` of 1,000 rounds spreads the data over the past
//! day, as a query benchmark wants it; `--first-round` with the same (absolute) `--start`
//! finishes a run cut short. `--precision s` writes timestamps in whole seconds.
//!
//! Bodies are built off the timed path: by generator threads that keep a queue of bodies ahead
//! of the senders (filled before the clock starts), and all of them up front when `--lines`
//! bounds the run to at most 1 GiB of line protocol. `--dry-run` measures the generator alone.
//! `--concurrency` senders each keep one request in flight over a kept-alive HTTP/1.1
//! connection, until `--duration` passes or `--lines` are written.
//!
//! A body answered 503 (the server's buffer stayed full) or 429 is sent again after a backoff
//! (doubling from 250 ms, never sooner than the answer's `Retry-After`), up to `--retries`
//! times.
//!
//! The report on stdout gives lines written, requests (and how many were non-2xx, unanswered or
//! retried), bodies not written, elapsed time, lines/s, MB/s of uncompressed line protocol,
//! write latency percentiles (from a body's first request to its last answer) and every non-2xx
//! status with the first answer seen. The exit status is 1 if any body was not written. A 401,
//! 403, 404 or 413 stops the run at once, since every later request would get the same answer.
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
use strata_loadgen::data::{Batches, Dataset, Precision, Shape};
use strata_loadgen::http::endpoint_url;
use strata_loadgen::report::group;
use strata_loadgen::time::{now_ns, rfc3339};

use cli::{Args, DEFAULT_TABLES};
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
    let (start, interval) = timing(&args, now_ns()?)?;
    let rounds = args
        .lines
        .map_or(0, |lines| (lines - 1) / args.series as u64);
    check_last_time(start, interval, args.first_round.saturating_add(rounds))?;
    let batches = Batches::new(
        dataset(&args, start, interval)?,
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
        "{} series on {} hosts in {} tables, from {} every {:?}{}; bodies of {} lines (~{:.1} MB uncompressed{})",
        group(data.series() as u64),
        group(data.hosts() as u64),
        data.tables(),
        rfc3339(start),
        args.interval,
        match args.precision {
            Precision::Ns => "",
            Precision::S => " in whole seconds",
        },
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
        retries: args.retries,
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
    Ok(if stats.unwritten > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The write URL: the endpoint's path under `--url`, with the database and the precision in
/// the query.
fn write_url(args: &Args) -> Result<Url, String> {
    let (path, query) = args
        .endpoint
        .target(args.database.as_deref().unwrap_or_default(), args.precision);
    endpoint_url(&args.url, path, &query)
}

/// The first round's time and the interval, in nanoseconds. `--precision s` needs both on
/// whole seconds: the start is rounded down to its second, and an interval with a fraction of
/// a second is refused, since its points would not fit the unit.
fn timing(args: &Args, now_ns: u64) -> Result<(u64, u64), String> {
    let start = args
        .start
        .map_or(Ok(now_ns), |start| start.resolve(now_ns))?;
    let interval = u64::try_from(args.interval.as_nanos())
        .map_err(|_| format!("--interval {:?} is too long", args.interval))?;
    let unit = args.precision.unit_ns();
    if !interval.is_multiple_of(unit) {
        return Err(format!(
            "--interval {:?} is not a whole number of seconds, which --precision s timestamps need; give whole seconds (e.g. 10s) or use --precision ns",
            args.interval
        ));
    }
    Ok((start / unit * unit, interval))
}

/// The data of `--shape`, placed in time and written in `--precision`.
fn dataset(args: &Args, start: u64, interval: u64) -> Result<Dataset, String> {
    let data = match args.shape {
        Shape::Fleet => Dataset::fleet(args.series, args.tables, start, interval),
        Shape::Hosts if args.tables != DEFAULT_TABLES => {
            return Err(format!(
                "--tables {} does not apply to --shape hosts, which writes the one table cpu; leave --tables out, or use --shape fleet",
                args.tables
            ));
        }
        Shape::Hosts => Dataset::one_per_host(args.series, start, interval),
    };
    Ok(data.in_precision(args.precision))
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

    fn args(extra: &[&str]) -> Args {
        let mut argv = vec!["strata-loadgen", "--token", "t", "--database", "my db/rp"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap()
    }

    fn url(extra: &[&str]) -> Result<String, String> {
        write_url(&args(extra)).map(String::from)
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
    fn write_urls_name_seconds_precision() {
        assert_eq!(
            url(&["--precision", "s"]).unwrap(),
            "http://127.0.0.1:8086/api/v2/write?bucket=my+db%2Frp&precision=s"
        );
        assert_eq!(
            url(&["--precision", "s", "--endpoint", "v1"]).unwrap(),
            "http://127.0.0.1:8086/write?db=my+db%2Frp&precision=s"
        );
        assert_eq!(
            url(&["--precision", "s", "--endpoint", "v3"]).unwrap(),
            "http://127.0.0.1:8086/api/v3/write_lp?db=my+db%2Frp&precision=second"
        );
    }

    #[test]
    fn seconds_precision_rounds_the_start_down_and_refuses_fractional_intervals() {
        const NOW: u64 = 1_800_000_000_123_000_000;
        const SECOND: u64 = 1_000_000_000;
        let whole = NOW / SECOND * SECOND;
        assert_eq!(
            timing(&args(&["--interval", "10s"]), NOW),
            Ok((NOW, 10 * SECOND))
        );
        assert_eq!(
            timing(&args(&["--precision", "s", "--interval", "10s"]), NOW),
            Ok((whole, 10 * SECOND))
        );
        assert_eq!(
            timing(
                &args(&[
                    "--precision",
                    "s",
                    "--interval",
                    "1m",
                    "--start",
                    "2030-01-31T00:00:00.75Z"
                ]),
                NOW
            ),
            Ok((1_896_048_000 * SECOND, 60 * SECOND))
        );
        for (given, shown) in [("86.4s", "86.4s"), ("1500ms", "1.5s"), ("1ms", "1ms")] {
            let error = timing(&args(&["--precision", "s", "--interval", given]), NOW).unwrap_err();
            assert!(
                error.contains(&format!(
                    "--interval {shown} is not a whole number of seconds"
                )),
                "{error}"
            );
            assert!(error.contains("--precision ns"), "{error}");
        }
        // Nanoseconds take any interval.
        assert_eq!(
            timing(&args(&["--interval", "86.4s"]), NOW),
            Ok((NOW, 86_400_000_000))
        );
    }

    #[test]
    fn datasets_of_each_shape() {
        let data = dataset(&args(&["--series", "30"]), 0, 1).unwrap();
        assert_eq!((data.series(), data.hosts(), data.tables()), (30, 2, 4));
        let data = dataset(&args(&["--series", "30", "--shape", "hosts"]), 0, 1).unwrap();
        assert_eq!((data.series(), data.hosts(), data.tables()), (30, 30, 1));
        let explicit_default = args(&["--shape", "hosts", "--tables", "4"]);
        assert!(dataset(&explicit_default, 0, 1).is_ok());
        let error = dataset(&args(&["--shape", "hosts", "--tables", "2"]), 0, 1)
            .err()
            .unwrap();
        assert_eq!(
            error,
            "--tables 2 does not apply to --shape hosts, which writes the one table cpu; leave --tables out, or use --shape fleet"
        );
        let mut body = Vec::new();
        let seconds = args(&["--shape", "hosts", "--series", "2", "--precision", "s"]);
        dataset(&seconds, 1_700_000_000_000_000_000, 10_000_000_000)
            .unwrap()
            .write_lines(2, 1, &mut body);
        let line = String::from_utf8(body).unwrap();
        assert!(
            line.starts_with("cpu,dc=us-east-1a,host=host-00000,region=us-east-1 usage_user="),
            "{line}"
        );
        assert!(line.ends_with(" 1700000010\n"), "{line}");
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
