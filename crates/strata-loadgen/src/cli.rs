//! Command-line flags, each with a `STRATA_LOADGEN_*` variable (the token with `STRATA_TOKEN`).

use std::time::Duration;

use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "strata-loadgen",
    version,
    about = "Writes telegraf-like line protocol to a Strata server and reports throughput and latency."
)]
pub struct Args {
    /// The server's base URL.
    #[arg(
        long,
        env = "STRATA_LOADGEN_URL",
        default_value = "http://127.0.0.1:8086"
    )]
    pub url: String,

    /// A database token that may write to the database.
    #[arg(
        long,
        env = "STRATA_TOKEN",
        hide_env_values = true,
        required_unless_present = "dry_run"
    )]
    pub token: Option<String>,

    /// The database to write to; it must exist.
    #[arg(
        long,
        env = "STRATA_LOADGEN_DATABASE",
        required_unless_present = "dry_run"
    )]
    pub database: Option<String>,

    /// Which write API to use.
    #[arg(long, env = "STRATA_LOADGEN_ENDPOINT", value_enum, default_value_t = Endpoint::V2)]
    pub endpoint: Endpoint,

    /// Distinct series (spread over hosts, 15 per host with the four base tables).
    #[arg(long, env = "STRATA_LOADGEN_SERIES", default_value_t = 10_000, value_parser = positive())]
    pub series: usize,

    /// Tables (measurements): cpu, mem, disk, net, then cpu1, mem1, …
    #[arg(long, env = "STRATA_LOADGEN_TABLES", default_value_t = 4, value_parser = positive())]
    pub tables: usize,

    /// Lines per request.
    #[arg(long, env = "STRATA_LOADGEN_BATCH_SIZE", default_value_t = 10_000, value_parser = positive())]
    pub batch_size: usize,

    /// Requests in flight at once.
    #[arg(long, env = "STRATA_LOADGEN_CONCURRENCY", default_value_t = 4, value_parser = positive())]
    pub concurrency: usize,

    /// How long to write (e.g. 30s, 2m, 500ms); the run ends at this or --lines, whichever
    /// comes first.
    #[arg(long, env = "STRATA_LOADGEN_DURATION", default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Lines to write in all. Bodies for up to 1 GiB of lines are all built before the clock
    /// starts.
    #[arg(long, env = "STRATA_LOADGEN_LINES", value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    pub lines: Option<u64>,

    /// Compress bodies with gzip (level 1).
    #[arg(long, env = "STRATA_LOADGEN_GZIP")]
    pub gzip: bool,

    /// Give up on a request after this long.
    #[arg(long, env = "STRATA_LOADGEN_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Print a progress line on stderr this often; 0s for none.
    #[arg(long, env = "STRATA_LOADGEN_PROGRESS", default_value = "5s", value_parser = parse_duration)]
    pub progress: Duration,

    /// Threads building bodies ahead of the senders while the run goes on. More help with
    /// --gzip, whose compression is the slow part.
    #[arg(long, env = "STRATA_LOADGEN_GENERATOR_THREADS", default_value_t = 1, value_parser = positive())]
    pub generator_threads: usize,

    /// Only build bodies, as fast as possible, and report how fast: no server needed.
    #[arg(long)]
    pub dry_run: bool,
}

/// The write APIs the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Endpoint {
    /// `POST /api/v2/write?bucket=DB&precision=ns` (InfluxDB 2.x).
    V2,
    /// `POST /write?db=DB` (InfluxDB 1.x).
    V1,
    /// `POST /api/v3/write_lp?db=DB` (InfluxDB 3).
    V3,
}

impl Endpoint {
    /// The path and query parameters of a write to `database`, in nanoseconds.
    pub fn target(self, database: &str) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Endpoint::V2 => (
                "/api/v2/write",
                vec![("bucket", database.to_owned()), ("precision", "ns".into())],
            ),
            Endpoint::V1 => ("/write", vec![("db", database.to_owned())]),
            Endpoint::V3 => ("/api/v3/write_lp", vec![("db", database.to_owned())]),
        }
    }
}

fn positive() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..)
}

/// One or more number-and-unit pairs: `30s`, `1.5s`, `500ms`, `2m`, `1h`, `1m30s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{text:?} is not a duration; write a number and a unit (ms, s, m or h), e.g. 30s")
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let unit_end = rest[number_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |n| number_end + n);
        let number: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        let seconds = match &rest[number_end..unit_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(number * seconds).map_err(|_| bad())?;
        rest = &rest[unit_end..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn durations() {
        for (text, ms) in [
            ("30s", 30_000),
            ("0s", 0),
            ("1.5s", 1_500),
            ("500ms", 500),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("1m30s", 90_000),
            (" 10s ", 10_000),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "30", "s", "1d", "1.2.3s", "-1s", "1 s", "10sec", "ms5"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flags() {
        Args::command().debug_assert();
        let args =
            Args::try_parse_from(["strata-loadgen", "--token", "t", "--database", "db"]).unwrap();
        assert_eq!(args.url, "http://127.0.0.1:8086");
        assert_eq!(args.endpoint, Endpoint::V2);
        assert_eq!(
            (args.series, args.tables, args.batch_size, args.concurrency),
            (10_000, 4, 10_000, 4)
        );
        assert_eq!(args.duration, Duration::from_secs(30));
        assert_eq!(args.lines, None);
        assert!(!args.gzip);
        let args = Args::try_parse_from([
            "strata-loadgen",
            "--dry-run",
            "--endpoint",
            "v3",
            "--lines",
            "100",
            "--duration",
            "1m",
            "--gzip",
        ])
        .unwrap();
        assert_eq!(
            (args.endpoint, args.lines, args.duration, args.gzip),
            (Endpoint::V3, Some(100), Duration::from_secs(60), true)
        );
        // A real run needs a token and a database; nothing may be zero.
        assert!(Args::try_parse_from(["strata-loadgen", "--database", "db"]).is_err());
        assert!(Args::try_parse_from(["strata-loadgen", "--dry-run", "--series", "0"]).is_err());
        assert!(Args::try_parse_from(["strata-loadgen", "--dry-run", "--lines", "0"]).is_err());
    }

    #[test]
    fn write_targets() {
        assert_eq!(
            Endpoint::V2.target("db"),
            (
                "/api/v2/write",
                vec![("bucket", "db".into()), ("precision", "ns".into())]
            )
        );
        assert_eq!(Endpoint::V1.target("db").0, "/write");
        assert_eq!(Endpoint::V3.target("db").0, "/api/v3/write_lp");
    }
}
