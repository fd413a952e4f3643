//! Command-line flags, each with a `STRATA_LOADGEN_*` variable (the token with `STRATA_TOKEN`).

use std::time::Duration;

use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use strata_loadgen::data::{Precision, Shape};
use strata_loadgen::time::{When, parse_duration, parse_when};

/// `--tables` unless given: the four base tables of a fleet.
pub const DEFAULT_TABLES: usize = 4;

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

    /// What the data looks like.
    #[arg(long, env = "STRATA_LOADGEN_SHAPE", value_enum, default_value_t = Shape::Fleet)]
    pub shape: Shape,

    /// Distinct series: with --shape fleet spread over hosts, 15 per host with the four base
    /// tables; with --shape hosts, the number of hosts.
    #[arg(long, env = "STRATA_LOADGEN_SERIES", default_value_t = 10_000, value_parser = positive())]
    pub series: usize,

    /// Tables (measurements) of --shape fleet: cpu, mem, disk, net, then cpu1, mem1, …
    /// --shape hosts writes only cpu and refuses another number.
    #[arg(long, env = "STRATA_LOADGEN_TABLES", default_value_t = DEFAULT_TABLES, value_parser = positive())]
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

    /// The time of the first round: an RFC 3339 time (2030-01-31T00:00:00Z) or a duration ago
    /// (24h) [default: now]. With --interval, spreads a run over the past.
    #[arg(long, env = "STRATA_LOADGEN_START", value_parser = parse_when)]
    pub start: Option<When>,

    /// Time between a series' consecutive points. Small by default, so that a long run at a
    /// high rate stays close to the wall clock.
    #[arg(long, env = "STRATA_LOADGEN_INTERVAL", default_value = "1ms", value_parser = parse_interval)]
    pub interval: Duration,

    /// The unit of the timestamps written, named in the write URL. With s, --interval must be
    /// whole seconds and --start is rounded down to the second.
    #[arg(long, env = "STRATA_LOADGEN_PRECISION", value_enum, default_value_t = Precision::Ns)]
    pub precision: Precision,

    /// Start at this round of the stream (at --start + N × --interval). With the --start of an
    /// earlier run cut short, writes the rest of it, as one run would have.
    #[arg(long, env = "STRATA_LOADGEN_FIRST_ROUND", default_value_t = 0)]
    pub first_round: u64,

    /// Compress bodies with gzip (level 1).
    #[arg(long, env = "STRATA_LOADGEN_GZIP")]
    pub gzip: bool,

    /// Give up on a request after this long.
    #[arg(long, env = "STRATA_LOADGEN_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Times a body answered 503 (the server's buffer stayed full) or 429 is sent again, after
    /// a backoff that honours the answer's Retry-After; 0 for none.
    #[arg(long, env = "STRATA_LOADGEN_RETRIES", default_value_t = 10)]
    pub retries: usize,

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
    /// `POST /api/v2/write?bucket=DB&precision=ns|s` (InfluxDB 2.x).
    V2,
    /// `POST /write?db=DB[&precision=s]` (InfluxDB 1.x).
    V1,
    /// `POST /api/v3/write_lp?db=DB[&precision=second]` (InfluxDB 3).
    V3,
}

impl Endpoint {
    /// The path and query parameters of a write to `database` with timestamps in `precision`.
    /// Nanoseconds are every endpoint's default, so only v2, which always names it, says so.
    pub fn target(
        self,
        database: &str,
        precision: Precision,
    ) -> (&'static str, Vec<(&'static str, &str)>) {
        let (path, database_key) = match self {
            Endpoint::V2 => ("/api/v2/write", "bucket"),
            Endpoint::V1 => ("/write", "db"),
            Endpoint::V3 => ("/api/v3/write_lp", "db"),
        };
        // Each API's own spelling of the unit.
        let unit = match (self, precision) {
            (Endpoint::V2, Precision::Ns) => Some("ns"),
            (Endpoint::V1 | Endpoint::V3, Precision::Ns) => None,
            (Endpoint::V1 | Endpoint::V2, Precision::S) => Some("s"),
            (Endpoint::V3, Precision::S) => Some("second"),
        };
        let mut query = vec![(database_key, database)];
        query.extend(unit.map(|unit| ("precision", unit)));
        (path, query)
    }
}

fn positive() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..)
}

/// A duration of at least a nanosecond: rounds at the same time would write over each other.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text)?;
    if interval.as_nanos() == 0 {
        return Err(format!(
            "{text:?} is no time at all; points of one series need distinct times"
        ));
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

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
        assert_eq!(
            (args.start, args.interval),
            (None, Duration::from_millis(1))
        );
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
    fn start_and_interval() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["strata-loadgen", "--dry-run"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).map_err(|e| e.to_string())
        };
        let args = parse(&["--start", "24h", "--interval", "86.4s"]).unwrap();
        assert_eq!(args.start, Some(When::Ago(Duration::from_secs(86_400))));
        assert_eq!(args.interval, Duration::from_millis(86_400));
        let args = parse(&["--start", "2030-01-31T00:00:00Z"]).unwrap();
        assert_eq!(args.start, Some(When::At(1_896_048_000_000_000_000)));

        let error = parse(&["--start", "yesterday"]).unwrap_err();
        assert!(error.contains("--start"), "{error}");
        assert!(error.contains("neither an RFC 3339 time"), "{error}");
        let error = parse(&["--interval", "0s"]).unwrap_err();
        assert!(error.contains("--interval"), "{error}");
        assert!(error.contains("no time at all"), "{error}");
        let error = parse(&["--interval", "1d"]).unwrap_err();
        assert!(error.contains("is not a duration"), "{error}");
        assert_eq!(parse(&[]).unwrap().first_round, 0);
        assert_eq!(parse(&["--first-round", "975"]).unwrap().first_round, 975);
        assert!(parse(&["--first-round", "-1"]).is_err());
    }

    #[test]
    fn write_targets() {
        use Precision::{Ns, S};
        assert_eq!(
            Endpoint::V2.target("db", Ns),
            ("/api/v2/write", vec![("bucket", "db"), ("precision", "ns")])
        );
        assert_eq!(
            Endpoint::V1.target("db", Ns),
            ("/write", vec![("db", "db")])
        );
        assert_eq!(
            Endpoint::V3.target("db", Ns),
            ("/api/v3/write_lp", vec![("db", "db")])
        );
        assert_eq!(
            Endpoint::V2.target("db", S).1,
            [("bucket", "db"), ("precision", "s")]
        );
        assert_eq!(
            Endpoint::V1.target("db", S).1,
            [("db", "db"), ("precision", "s")]
        );
        assert_eq!(
            Endpoint::V3.target("db", S).1,
            [("db", "db"), ("precision", "second")]
        );
    }

    #[test]
    fn shape_and_precision() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["strata-loadgen", "--dry-run"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).map_err(|e| e.to_string())
        };
        let args = parse(&[]).unwrap();
        assert_eq!(
            (args.shape, args.precision, args.tables),
            (Shape::Fleet, Precision::Ns, DEFAULT_TABLES)
        );
        let args = parse(&["--shape", "hosts", "--precision", "s"]).unwrap();
        assert_eq!((args.shape, args.precision), (Shape::Hosts, Precision::S));
        let error = parse(&["--shape", "racks"]).unwrap_err();
        assert!(
            error.contains("fleet") && error.contains("hosts"),
            "{error}"
        );
        let error = parse(&["--precision", "ms"]).unwrap_err();
        assert!(error.contains("--precision"), "{error}");
    }
}
