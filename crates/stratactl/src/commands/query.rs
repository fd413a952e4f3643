//! `query`: SQL or InfluxQL from the command line, a file or standard input, run over Arrow
//! Flight with a database token, and the answer printed as influxctl prints it (see
//! [`crate::query_results`]).

use std::io::Read as _;
use std::time::Instant;

use anyhow::{anyhow, bail};
use strata_client::{Error, QueryLanguage, QueryOptions};

use super::input::{InputKind, Located, Source, locate};
use super::{Access, DataAccess, show};
use crate::cli::{Format, GlobalArgs, QueryArgs, QueryLanguage as Language};
use crate::config::{Target, data_target};
use crate::log::debug;
use crate::query_results::{self, Perf};

const QUERY: InputKind = InputKind {
    argument: "the query argument",
    file: "a file holding a query",
    literal: "the query itself",
    example: "'SELECT * FROM cpu'",
};

/// The query: from the file the argument names if there is one, standard input for `-`,
/// and otherwise the argument itself.
fn read(argument: String) -> anyhow::Result<(String, Source)> {
    let located = locate(argument, &QUERY)?;
    let source = located.source(&QUERY);
    let text = match located {
        Located::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| anyhow!("cannot read the query from standard input: {e}"))?;
            text
        }
        Located::File(path, _) => std::fs::read_to_string(&path)
            .map_err(|e| anyhow!("cannot read file {}: {e}", path.display()))?,
        Located::Literal(text) => text,
    };
    if text.trim().is_empty() {
        bail!("nothing to query: {source} holds no query");
    }
    Ok((text.trim().to_string(), source))
}

fn language(language: Language) -> QueryLanguage {
    match language {
        Language::Sql => QueryLanguage::Sql,
        Language::Influxql => QueryLanguage::InfluxQl,
    }
}

pub async fn run(global: &GlobalArgs, args: QueryArgs) -> anyhow::Result<()> {
    let target = data_target(global, &args.timeout)?;
    let access = DataAccess::resolve(&target, args.database, args.token, Access::Read)?;
    let (query, query_source) = read(args.query)?;
    let client = target.data_client(access.token.clone())?;
    let options = QueryOptions {
        language: language(args.language),
        iox_debug: args.enable_system_tables,
    };
    let database = &access.database;
    debug!(
        "querying database {database:?} at {} over Arrow Flight with {}: {} from {query_source}, timeout {}",
        target.base_url, access.source, options.language, args.timeout.text
    );
    let started = Instant::now();
    let result = client
        .query_with(database, &query, &options)
        .await
        .map_err(|error| {
            let failure = Failure {
                target: &target,
                access: &access,
            };
            failure.explain(error)
        })?;
    let duration = started.elapsed();
    debug!(
        "{} rows in {} record batches in {} ms",
        result.num_rows(),
        result.batches.len(),
        duration.as_millis()
    );
    if args.perf_debug {
        let perf = Perf {
            duration,
            rows: result.num_rows(),
            bytes: result.bytes,
        };
        return show(args.format.format, || perf.json(), || perf.table());
    }
    let text = match args.format.format {
        Format::Table => query_results::table(&result, args.time_format)?,
        Format::Json => query_results::json(&result)? + "\n",
    };
    print!("{text}");
    Ok(())
}

/// A refused or unanswered query, and what messages about it need.
struct Failure<'a> {
    target: &'a Target,
    access: &'a DataAccess,
}

impl Failure<'_> {
    /// The error with what the user can do about it.
    fn explain(&self, error: Error) -> anyhow::Error {
        let what = format!("querying database {:?} failed", self.access.database);
        let reason = match &error {
            Error::Transport { .. } => format!("{:#}", self.target.explain(error, None, None)),
            Error::Grpc { .. } => {
                let hint = self.access.hint(&error, self.target);
                format!("{error}{hint}")
            }
            _ => error.to_string(),
        };
        anyhow!("{what}: {reason}")
    }
}
