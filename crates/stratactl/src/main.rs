//! `stratactl`, the Strata admin CLI: a drop-in for `influxctl` v2.12.
//!
//! Commands: `auth login|logout`, `cluster get|list`, `database create|list|update|delete|
//! rename|undelete`, `table create|list|delete|rename|undelete`, `token create|list|get|
//! update|revoke` (alias `delete`), `management create|list|revoke`, `user list|invite|
//! update|delete`, `audit list` (Strata's extra), `query` (SQL or InfluxQL over Arrow Flight)
//! and `write` (line protocol), both with a database token, `version` and `help`. The HTTP
//! and gRPC live in `strata-client`; this crate parses the command line, reads connection
//! profiles (see [`config`]), keeps login sessions (see [`session`] and [`login`]) and
//! prints (query answers: see [`results`]).
//!
//! Conventions kept from influxctl: errors on stderr (`Error: …`) with exit status 1; log
//! lines on stderr as `LEVEL<TAB>message`; tables drawn like go-pretty; JSON in snake_case
//! with `{seconds, nanos}` times; `-flag`, `--flag=true|false` and `h` for `help` accepted
//! as Go's flag package and urfave/cli accept them (see [`args`]).

mod args;
mod cli;
mod commands;
mod config;
mod duration;
mod log;
mod login;
mod prompt;
mod query_results;
mod render;
mod resource_views;
mod session;

use std::process::ExitCode;

use clap::FromArgMatches;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let mut command = cli::command();
    // clap names the program after argv[0]'s file name in usage and errors, so a link or copy
    // named `influxctl` calls itself that.
    let argv = args::normalize(&mut command, std::env::args_os().collect());
    let parsed = command
        .try_get_matches_from(argv)
        .and_then(|matches| cli::Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                // A command group without a subcommand shows its help, as urfave/cli does.
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    print!("{}", e.render());
                    ExitCode::SUCCESS
                }
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                _ => {
                    let _ = e.print();
                    ExitCode::FAILURE
                }
            };
        }
    };
    log::init(cli.global.debug, cli.global.trace);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
