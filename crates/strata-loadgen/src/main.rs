//! `strata-loadgen`: writes realistic line protocol to a Strata server over HTTP and reports
//! throughput and latency.
//!
//! The data is a fleet of hosts reporting telegraf-like `cpu` (8 cores), `mem`, `disk` (4) and
//! `net` (2 interfaces) measurements, 15 series per host, with tags `host`, `region`, `dc` and
//! each measurement's own, and 7–8 fields of every line protocol type. Past four tables the
//! shapes repeat as `cpu1`, `mem1`, …. Each round writes one point per series, 1 ms after the
//! previous round, starting at the wall clock when the run starts, so no point is written twice.
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
mod data;
mod report;
mod run;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use reqwest::Url;

use cli::Args;
use data::{Batches, Dataset};
use report::group;
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
    // Whole milliseconds, so every timestamp in the run is a round number.
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_owned())?
        .as_millis() as u64
        * 1_000_000;
    let batches = Arc::new(Batches::new(
        Dataset::new(args.series, args.tables, now_ns),
        args.batch_size as u64,
        args.lines,
        args.gzip,
    ));
    let data = batches.data();
    eprintln!(
        "{} series on {} hosts in {} tables; bodies of {} lines (~{:.1} MB uncompressed{})",
        group(data.series() as u64),
        group(data.hosts() as u64),
        data.tables(),
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
    let mut url = Url::parse(&args.url).map_err(|e| format!("--url {:?}: {e}", args.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("--url {:?} must be http:// or https://", args.url));
    }
    let (path, query) = args
        .endpoint
        .target(args.database.as_deref().unwrap_or_default());
    // Keep a path prefix (a proxy's mount point) and put the endpoint under it.
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}{path}"));
    url.query_pairs_mut().clear().extend_pairs(query);
    Ok(url)
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
}
