//! The command tree, flag for flag as `influxctl` v2.12 has it (see the module docs of
//! `main.rs` for what differs).

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use strata_client::Precision;

use crate::duration::parse_go_duration;

const ABOUT: &str = "stratactl administers Strata clusters: databases, tables, database tokens, management \
tokens, users and the audit log; it also writes line protocol and runs queries. It is a drop-in for influxctl: the same commands, flags, \
output and connection profiles.";

const AFTER_HELP: &str = "\
Connection profiles are read from --config / STRATACTL_CONFIG, else from \
~/.config/stratactl/config.toml, else from influxctl's ~/.config/influxctl/config.toml \
($XDG_CONFIG_HOME instead of ~/.config when it is set); --profile, else STRATACTL_PROFILE, \
else INFLUXCTL_PROFILE picks one (default \"default\"). The credential comes from \
STRATACTL_MGMT_TOKEN or INFLUXCTL_MGMT_TOKEN, else the profile's mgmt_token, else the file \
named by [profile.auth.token] token_file (the token alone, or JSON {\"token\": \"...\"}), \
else the session of `stratactl auth login` cached in ~/.cache/stratactl/, else (on a \
terminal) a new sign-in; `write` and `query` use a database token instead (--token, else the \
profile's token). The server is reached at https://HOST:PORT, or http://HOST:PORT with \
[profile.tls] disable = true; PORT defaults to 443 with TLS and 80 without.";

/// The command tree, with its version.
pub fn command() -> clap::Command {
    let version: &'static str = Box::leak(crate::commands::version_text().into_boxed_str());
    Cli::command().version(version)
}

#[derive(Parser, Debug)]
#[command(
    name = "stratactl",
    about = ABOUT,
    after_help = AFTER_HELP,
    disable_version_flag = true,
    arg_required_else_help = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalArgs {
    /// Log debug messages (requests, answers, configuration) to stderr.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Log everything --debug does plus HTTP headers and bodies (secrets redacted).
    #[arg(long, global = true)]
    pub trace: bool,
    /// How long each API call may take (Go duration: 30s, 1m0s, 1h30m; 0 waits forever).
    #[arg(
        long,
        global = true,
        default_value = "1m0s",
        value_name = "DURATION",
        value_parser = parse_timeout,
        allow_hyphen_values = true
    )]
    pub timeout: Timeout,
    /// Account id for dedicated profiles; overrides the profile's account_id.
    #[arg(
        long = "account",
        visible_alias = "account-id",
        global = true,
        value_name = "ACCOUNT_ID"
    )]
    pub account: Option<String>,
    /// Cluster id for dedicated profiles; overrides the profile's cluster_id.
    #[arg(
        long = "cluster",
        visible_alias = "cluster-id",
        global = true,
        value_name = "CLUSTER_ID"
    )]
    pub cluster: Option<String>,
    /// Configuration file [default: ~/.config/stratactl/config.toml, else
    /// ~/.config/influxctl/config.toml].
    #[arg(long, global = true, env = "STRATACTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Connection profile to use [default: $INFLUXCTL_PROFILE, else "default"].
    // Read through `config::profile_name`, which falls back to influxctl's variable.
    #[arg(long, global = true, env = "STRATACTL_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Print the version.
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,
}

/// The `--timeout` value and how the user wrote it (for messages).
#[derive(Debug, Clone)]
pub struct Timeout {
    pub duration: Duration,
    pub text: String,
}

fn parse_timeout(text: &str) -> Result<Timeout, String> {
    let duration = parse_go_duration(text)?;
    Ok(Timeout {
        duration,
        text: text.to_string(),
    })
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sign in through the identity provider, and sign out.
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// List and show clusters.
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
    /// Create, list, update, delete, rename and undelete databases.
    Database {
        #[command(subcommand)]
        command: DatabaseCommand,
    },
    /// Create, list, delete, rename and undelete tables.
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
    /// Create, list, show, update and revoke database tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Create, list and revoke management tokens.
    Management {
        #[command(subcommand)]
        command: ManagementCommand,
    },
    /// List, invite, update and delete users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Read the audit log (a Strata extra).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Query a database with SQL or InfluxQL and print the results.
    #[command(after_help = QUERY_AFTER_HELP)]
    Query(QueryArgs),
    /// Write line protocol to a database.
    #[command(after_help = WRITE_AFTER_HELP)]
    Write(WriteArgs),
    /// Print the version of stratactl.
    Version,
}

const WRITE_AFTER_HELP: &str = "\
The argument is read as a file when a file of that name exists, as standard input when it \
is -, and otherwise as line protocol itself. Lines go to the profile's server (host, port, \
TLS settings) in batches of --batch-size, one request each; blank lines and # comments are \
skipped. The database and the token default to the profile's database and token keys; \
--database and --token override them. Nothing is printed when every batch is written. The \
first batch the server refuses stops the write, and the error says which input lines were \
written before it.

Examples:
  stratactl write --database mydb 'cpu,host=a usage=0.5 1700000000000000000'
  stratactl write --database mydb --precision s --batch-size 5000 data.lp
  generate-metrics | stratactl write --database mydb -";

const QUERY_AFTER_HELP: &str = "\
The argument is read as a file when a file of that name exists, as standard input when it \
is -, and otherwise as the query itself; one statement per run. The query goes to the \
profile's server (host, port, TLS settings) over Arrow Flight (gRPC). The database and the \
token default to the profile's database and token keys; --database and --token override \
them. Tables end with a TOTAL row giving the number of rows; JSON is an array of objects, \
one a row, with times as nanoseconds since the epoch.

Examples:
  stratactl query --database mydb 'SELECT host, avg(usage) FROM cpu GROUP BY host'
  stratactl query --format json --database mydb query.sql
  echo 'SELECT * FROM cpu LIMIT 10' | stratactl query --time-format unixnano -";

/// The flags and argument of `query`.
#[derive(Args, Debug)]
pub struct QueryArgs {
    /// Database to query [default: the profile's database].
    #[arg(long, value_name = "DATABASE_NAME")]
    pub database: Option<String>,
    /// Database token with read permissions on the database [default: the profile's token].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Query language.
    #[arg(long, value_enum, default_value = "sql")]
    pub language: QueryLanguage,
    #[command(flatten)]
    pub format: FormatArg,
    /// How tables show timestamps: RFC 3339 with as many fractional digits as needed, or
    /// nanoseconds since the epoch (JSON always has nanoseconds).
    #[arg(long, value_enum, default_value = "rfc3339nano")]
    pub time_format: TimeFormat,
    /// Allow InfluxDB's system.* tables (sends the iox-debug: true header; SQL only).
    #[arg(long)]
    pub enable_system_tables: bool,
    /// Print how long the query took and how much it returned instead of its rows.
    #[arg(long)]
    pub perf_debug: bool,
    /// Client timeout in seconds for the whole query (a Go duration such as 1m30s works too;
    /// 0 waits forever) [default: 60, or the global --timeout if given; this one wins over
    /// it].
    // Shares the global flag's id, as `write --timeout` does (see there).
    #[arg(
        id = "timeout",
        long = "timeout",
        default_value = "60",
        hide_default_value = true,
        value_name = "SECONDS",
        value_parser = parse_seconds_timeout,
        allow_hyphen_values = true
    )]
    pub timeout: Timeout,
    /// The query: the text itself, a path to a file holding it, or - to read it from
    /// standard input.
    #[arg(value_name = "QUERY")]
    pub query: String,
}

/// `--language` of `query`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    Sql,
    Influxql,
}

/// `--time-format` of `query`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// 2022-01-01T08:00:00.5Z
    #[value(name = "rfc3339nano")]
    Rfc3339Nano,
    /// 1641024000500000000
    #[value(name = "unixnano")]
    UnixNano,
}

/// The flags and argument of `write`.
#[derive(Args, Debug)]
pub struct WriteArgs {
    /// Database to write to [default: the profile's database].
    #[arg(long, value_name = "DATABASE_NAME")]
    pub database: Option<String>,
    /// Database token with write permissions on the target database [default: the
    /// profile's token].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Precision of data timestamps.
    #[arg(long, default_value = "ns", value_parser = precision_parser())]
    pub precision: Precision,
    /// Number of lines (metrics) to write per batch (one request each).
    #[arg(long, default_value = "10000", value_name = "N", value_parser = parse_batch_size)]
    pub batch_size: usize,
    /// Client timeout in seconds, per batch (a Go duration such as 1m30s works too; 0 waits
    /// forever) [default: 10, or the global --timeout if given; this one wins over it].
    // The id is the global flag's, so the global one is not added to this command (two
    // `--timeout`s) and both values have the same type; clap shares a global argument's
    // value between a command and its subcommand, the one given on the command line
    // winning, so `write --timeout 5` wins and a global `--timeout 30s` alone applies too.
    #[arg(
        id = "timeout",
        long = "timeout",
        default_value = "10",
        hide_default_value = true,
        value_name = "SECONDS",
        value_parser = parse_seconds_timeout,
        allow_hyphen_values = true
    )]
    pub timeout: Timeout,
    /// Line protocol to write: the text itself, a path to a file, or - to read from
    /// standard input.
    #[arg(value_name = "LINE_PROTOCOL")]
    pub line_protocol: String,
}

/// `--precision` of `write`: the short names only, listed in help and errors.
fn precision_parser() -> impl TypedValueParser<Value = Precision> {
    PossibleValuesParser::new(Precision::ALL.map(Precision::name))
        .map(|name| name.parse().expect("a possible value names a precision"))
}

fn parse_batch_size(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("the batch size must be at least 1 line".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "{text:?} is not a number of lines; give a whole number of at least 1 (default 10000)"
        )),
    }
}

/// `write --timeout` and `query --timeout`: whole seconds as influxctl takes them, or a Go
/// duration.
fn parse_seconds_timeout(text: &str) -> Result<Timeout, String> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: u64 = trimmed
            .parse()
            .map_err(|_| format!("{text:?} seconds is too long a timeout"))?;
        return Ok(Timeout {
            duration: Duration::from_secs(seconds),
            text: format!("{seconds}s"),
        });
    }
    parse_timeout(text).map_err(|e| format!("{e} (or whole seconds, e.g. 10)"))
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(Args, Debug, Clone, Copy)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterStatus {
    Active,
    Deleted,
}

#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Show one cluster.
    Get {
        #[command(flatten)]
        format: FormatArg,
        /// The cluster's id.
        #[arg(value_name = "CLUSTER_ID")]
        cluster_id: String,
    },
    /// List the clusters of the account.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
}

/// The partition template flags of `database create` and `table create`.
#[derive(Args, Debug, Clone, Default)]
pub struct TemplateArgs {
    /// Partition by the value of this tag (repeatable).
    #[arg(long = "template-tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Partition by a hash of this tag's value into N buckets: TAG,N (repeatable).
    #[arg(long = "template-tag-bucket", value_name = "TAG,N")]
    pub buckets: Vec<String>,
    /// Time part of the partition template: %Y-%m-%d, %Y-%m or %Y; required with any other
    /// --template-* flag [default: %Y-%m-%d].
    #[arg(long = "template-timeformat", value_name = "FORMAT")]
    pub time_format: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum DatabaseCommand {
    /// Create a database.
    Create {
        /// How long data is kept: e.g. 30d, 1w, 1mo, 1y, 2.5d, 1h30m; 0 keeps it forever.
        #[arg(
            long,
            default_value = "0s",
            value_name = "DURATION",
            allow_hyphen_values = true
        )]
        retention_period: String,
        /// Most tables the database may hold (0 takes the default of 500).
        #[arg(
            long,
            default_value_t = 0,
            value_name = "N",
            allow_negative_numbers = true
        )]
        max_tables: i64,
        /// Most columns a table may have, including time (0 takes the default of 250).
        #[arg(
            long,
            default_value_t = 0,
            value_name = "N",
            allow_negative_numbers = true
        )]
        max_columns: i64,
        #[command(flatten)]
        template: TemplateArgs,
        #[command(flatten)]
        format: FormatArg,
        /// The new database's name.
        #[arg(value_name = "DATABASE_NAME")]
        name: String,
    },
    /// List databases.
    List {
        /// Which databases to list.
        #[arg(long, value_enum, default_value = "active")]
        filter_status: FilterStatus,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Change a database's retention period and limits.
    Update {
        /// New retention period (0 keeps data forever).
        #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
        retention_period: Option<String>,
        /// New table limit.
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        max_tables: Option<i64>,
        /// New column limit per table (affects tables created afterwards).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        max_columns: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        name: String,
    },
    /// Delete databases (restorable with `database undelete` for a while).
    Delete {
        /// Do not ask for confirmation.
        #[arg(long)]
        force: bool,
        /// The databases to delete.
        #[arg(value_name = "DATABASE_NAME", required = true)]
        names: Vec<String>,
    },
    /// Rename a database; it keeps its id, settings and data.
    Rename {
        #[command(flatten)]
        format: FormatArg,
        /// The database's current name.
        #[arg(value_name = "CURRENT_DB_NAME")]
        name: String,
        /// Its new name.
        #[arg(value_name = "NEW_DB_NAME")]
        new_name: String,
    },
    /// Restore a deleted database by name.
    Undelete {
        #[command(flatten)]
        format: FormatArg,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TableCommand {
    /// Create a table, optionally with its own partition template.
    Create {
        #[command(flatten)]
        template: TemplateArgs,
        #[command(flatten)]
        format: FormatArg,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        database: String,
        /// The table's name.
        #[arg(value_name = "TABLE_NAME")]
        table: String,
    },
    /// List the tables of a database.
    List {
        /// Which tables to list.
        #[arg(long, value_enum, default_value = "active")]
        filter_status: FilterStatus,
        #[command(flatten)]
        format: FormatArg,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        database: String,
    },
    /// Delete a table (restorable with `table undelete` for a while).
    Delete {
        /// Do not ask for confirmation.
        #[arg(long)]
        force: bool,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        database: String,
        /// The table's name.
        #[arg(value_name = "TABLE_NAME")]
        table: String,
    },
    /// Rename a table; it keeps its id.
    Rename {
        #[command(flatten)]
        format: FormatArg,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        database: String,
        /// The table's current name.
        #[arg(value_name = "CURRENT_TABLE_NAME")]
        table: String,
        /// Its new name.
        #[arg(value_name = "NEW_TABLE_NAME")]
        new_name: String,
    },
    /// Restore a deleted table by its numeric id (see `table list --filter-status deleted`).
    Undelete {
        #[command(flatten)]
        format: FormatArg,
        /// The database's name.
        #[arg(value_name = "DATABASE_NAME")]
        database: String,
        /// The deleted table's numeric id.
        #[arg(value_name = "TABLE_ID")]
        table_id: String,
    },
}

/// `--read-database` / `--write-database`.
#[derive(Args, Debug, Clone, Default)]
pub struct PermissionArgs {
    /// Grant read on this database; "*" for all databases (repeatable).
    #[arg(long = "read-database", value_name = "DATABASE_NAME")]
    pub read: Vec<String>,
    /// Grant write on this database; "*" for all databases (repeatable).
    #[arg(long = "write-database", value_name = "DATABASE_NAME")]
    pub write: Vec<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSort {
    Id,
    Description,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagementSort {
    Created,
    Id,
    Description,
    Prefix,
    Expires,
    Revoked,
}

/// The arguments of `token revoke` and `management revoke`.
#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub force: bool,
    /// The ids of the tokens to revoke.
    #[arg(value_name = "TOKEN_ID", required = true)]
    pub token_ids: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a database token and print it once.
    Create {
        #[command(flatten)]
        permissions: PermissionArgs,
        /// When the token stops working (RFC 3339, or 2030-01-31T00:00:00+0000); never, if
        /// not given.
        #[arg(long, value_name = "TIME")]
        expires_at: Option<String>,
        #[command(flatten)]
        format: FormatArg,
        /// What the token is for.
        #[arg(value_name = "TOKEN_DESCRIPTION")]
        description: String,
    },
    /// List database tokens.
    List {
        #[command(flatten)]
        format: FormatArg,
        /// Sort by.
        #[arg(long, value_enum, default_value = "id")]
        sort: TokenSort,
        /// Include revoked tokens.
        #[arg(long)]
        include_revoked: bool,
    },
    /// Show one database token.
    Get {
        #[command(flatten)]
        format: FormatArg,
        /// Show the token even if it is revoked.
        #[arg(long)]
        include_revoked: bool,
        /// The token's id.
        #[arg(value_name = "TOKEN_ID")]
        token_id: String,
    },
    /// Replace a database token's permissions.
    Update {
        #[command(flatten)]
        permissions: PermissionArgs,
        #[command(flatten)]
        format: FormatArg,
        /// The token's id.
        #[arg(value_name = "TOKEN_ID")]
        token_id: String,
    },
    /// Revoke database tokens, immediately and for good.
    #[command(visible_alias = "delete")]
    Revoke {
        #[command(flatten)]
        args: RevokeArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ManagementCommand {
    /// Create a management token and print it once.
    Create {
        /// What the token is for.
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// When the token stops working (RFC 3339, or 2030-01-31T00:00:00+0000); never, if
        /// not given.
        #[arg(long, value_name = "TIME")]
        expires_at: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List management tokens, revoked ones included.
    List {
        #[command(flatten)]
        format: FormatArg,
        /// Sort by.
        #[arg(long, value_enum, default_value = "created")]
        sort: ManagementSort,
    },
    /// Revoke management tokens, for good.
    Revoke {
        #[command(flatten)]
        args: RevokeArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Sign in through the identity provider (OAuth2 device flow) and cache the session for
    /// the profile.
    #[command(
        long_about = "Sign in through the identity provider (OAuth2 device flow) and \
cache the session for the profile. stratactl prints an address and a code; open the address \
in a browser (stratactl opens it when it can; set STRATACTL_NO_BROWSER to stop that), check \
the code, sign in and approve. The session is kept in $XDG_CACHE_HOME/stratactl/ (else \
~/.cache/stratactl/), readable only by you, and used by management commands of the profile \
that have no management token, until it expires or the server refuses it."
    )]
    Login,
    /// Delete the profile's cached session.
    Logout,
}

/// A user's group.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Everything on the management plane.
    Admin,
    /// Read, and create, update or revoke database tokens.
    Member,
    /// Read only.
    Auditor,
}

impl Group {
    /// The group as the API writes it.
    pub fn as_api(self) -> &'static str {
        match self {
            Group::Admin => "Admin",
            Group::Member => "Member",
            Group::Auditor => "Auditor",
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// List the users of the account.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Invite (create) a user.
    Invite {
        /// The user's group.
        #[arg(long, value_enum, default_value = "member")]
        group: Group,
        /// A file holding the user's password for the built-in identity provider's sign-in
        /// page (one line, at least 12 characters).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
        /// The user's first name.
        #[arg(value_name = "FIRST_NAME")]
        first_name: String,
        /// The user's last name.
        #[arg(value_name = "LAST_NAME")]
        last_name: String,
        /// The user's email address, which they sign in with.
        #[arg(value_name = "EMAIL")]
        email: String,
    },
    /// Change a user's name, group or password.
    Update {
        /// New first name.
        #[arg(long, value_name = "NAME")]
        first_name: Option<String>,
        /// New last name.
        #[arg(long, value_name = "NAME")]
        last_name: Option<String>,
        /// New group.
        #[arg(long, value_enum)]
        group: Option<Group>,
        /// A file holding the new password (one line, at least 12 characters).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
        /// The user's id.
        #[arg(value_name = "USER_ID")]
        user_id: String,
    },
    /// Delete users, at once and for good; their sessions stop working.
    Delete {
        /// Do not ask for confirmation.
        #[arg(long)]
        force: bool,
        /// The ids of the users to delete.
        #[arg(value_name = "USER_ID", required = true)]
        user_ids: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// List audit log entries, newest first.
    List {
        #[command(flatten)]
        format: FormatArg,
        /// Only entries by this actor: a user or token id, `system` or `anonymous`.
        #[arg(long, value_name = "ACTOR")]
        actor: Option<String>,
        /// Only entries of this action, e.g. database.create or auth.failed.
        #[arg(long, value_name = "ACTION")]
        action: Option<String>,
        /// Only entries at or after this time (RFC 3339) or this long ago (e.g. 24h, 7d).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only entries before this time (RFC 3339) or this long ago.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Most entries to show (pages through the log as needed).
        #[arg(long, default_value_t = 100, value_name = "N")]
        limit: u32,
        /// Only entries older than this entry id (to continue a previous listing).
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
    },
}
