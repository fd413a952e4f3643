//! One function per command. Each checks its flags and arguments first (so a mistake is
//! reported without contacting the server), then connects, calls the API and prints.

mod audit;
mod auth;
mod cluster;
mod database;
mod input;
mod management;
mod query;
mod table;
mod token;
mod user;
mod write;

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};
use strata_client::{
    Action, Error, PartitionTemplate, Permission, Secret, StatusFilter, TagBucket, TemplatePart,
};
use uuid::Uuid;

use crate::cli::{Cli, Command, FilterStatus, Format, PermissionArgs, TemplateArgs};
use crate::config::Target;
use crate::render::print_json;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Cluster { command } => cluster::run(global, command).await,
        Command::Database { command } => database::run(global, command).await,
        Command::Table { command } => table::run(global, command).await,
        Command::Token { command } => token::run(global, command).await,
        Command::Management { command } => management::run(global, command).await,
        Command::Auth { command } => auth::run(global, command).await,
        Command::User { command } => user::run(global, command).await,
        Command::Audit { command } => audit::run(global, command).await,
        Command::Query(args) => query::run(global, args).await,
        Command::Write(args) => write::run(global, args).await,
        Command::Version => {
            println!("{}", version());
            Ok(())
        }
    }
}

/// Where the database token came from (never the token itself).
pub enum TokenSource {
    Flag,
    Profile(String),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Flag => f.write_str("the token given with --token"),
            TokenSource::Profile(in_file) => write!(f, "the token of {in_file}"),
        }
    }
}

/// What a data command does with its database token: `query` reads, `write` writes.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    /// `read` or `write`: the permission the token needs.
    fn permission(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    /// `query` or `write`: what the command does.
    fn verb(self) -> &'static str {
        match self {
            Access::Read => "query",
            Access::Write => "write",
        }
    }

    /// `to query` or `to write to`: what the database is for.
    fn purpose(self) -> &'static str {
        match self {
            Access::Read => "to query",
            Access::Write => "to write to",
        }
    }
}

/// The database and database token of `query` or `write`.
pub struct DataAccess {
    pub database: String,
    /// Whether `--database` gave it (else the profile's `database`).
    database_from_flag: bool,
    pub token: Secret,
    pub source: TokenSource,
}

impl DataAccess {
    /// `--database` and `--token`, else the profile's `database` and `token`; a missing or
    /// empty one is an error saying how to give it.
    pub fn resolve(
        target: &Target,
        database: Option<String>,
        token: Option<String>,
        access: Access,
    ) -> anyhow::Result<Self> {
        let profile = &target.loaded.profile;
        let in_file = target.in_file();
        let purpose = access.purpose();
        let (database, database_from_flag) = flag_or_profile(database, profile.database.as_ref());
        let Some(database) = database else {
            if database_from_flag {
                bail!("--database is empty; give the name of the database {purpose}");
            }
            bail!(
                "no database {purpose}: pass --database DATABASE_NAME, or set database = \"DATABASE_NAME\" in {in_file}"
            );
        };
        let (permission, verb) = (access.permission(), access.verb());
        let (token, token_from_flag) = flag_or_profile(token, profile.token.as_ref());
        let Some(token) = token else {
            if token_from_flag {
                bail!(
                    "--token is empty; give a database token with {permission} permission on {database:?}"
                );
            }
            bail!(
                "no database token to {verb} with: pass --token TOKEN, or set token = \"TOKEN\" in {in_file}; a management token cannot {verb}, so create a database token with `stratactl token create --{permission}-database {database} \"DESCRIPTION\"`"
            );
        };
        let source = if token_from_flag {
            TokenSource::Flag
        } else {
            TokenSource::Profile(in_file.to_string())
        };
        Ok(Self {
            database,
            database_from_flag,
            token: Secret::new(token),
            source,
        })
    }

    /// What the user can do about a refusal of the token (HTTP 401 and 403, or gRPC
    /// `UNAUTHENTICATED` and `PERMISSION_DENIED`) or of the database (404, `NOT_FOUND`);
    /// empty for other errors.
    pub fn hint(&self, error: &Error, target: &Target) -> String {
        if error.is_unauthorized() {
            format!(
                "; the server refused {}: it may be revoked, expired or mistyped",
                self.source
            )
        } else if error.is_forbidden() {
            format!("; the token used is {}", self.source)
        } else if error.is_not_found() && self.database_from_flag {
            "; check --database (`stratactl database list` lists the databases)".to_string()
        } else if error.is_not_found() {
            format!(
                "; check database in {}, or pass --database (`stratactl database list` lists the databases)",
                target.in_file()
            )
        } else {
            String::new()
        }
    }
}

/// A flag's value, else the profile key's; empty counts as missing.
fn flag_or_profile(flag: Option<String>, profile: Option<&String>) -> (Option<String>, bool) {
    match flag {
        Some(value) => (
            Some(value.trim().to_string()).filter(|v| !v.is_empty()),
            true,
        ),
        None => (
            profile
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
            false,
        ),
    }
}

/// `0.1.0 (linux/x86_64)`: the version and the platform it was built for.
pub fn version_text() -> String {
    format!(
        "{} ({}/{})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

pub fn version() -> String {
    format!("stratactl {}", version_text())
}

/// `--expires-at`: RFC 3339 or the `+hhmm` offset form; must be in the future.
pub fn parse_expires_at(text: &str) -> anyhow::Result<DateTime<Utc>> {
    let at = strata_types::parse_timestamp(text).map_err(|_| {
        anyhow!(
            "--expires-at {text:?} is not a time; write RFC 3339 such as 2030-01-31T00:00:00Z, or 2030-01-31T00:00:00+0000 as `date +%Y-%m-%dT%H:%M:%S%z` prints it"
        )
    })?;
    if at <= Utc::now() {
        bail!(
            "--expires-at {text:?} is in the past; give a future time, or leave --expires-at out for a token that never expires"
        );
    }
    Ok(at)
}

/// `--read-database` / `--write-database` as a permission set, in the order given, without
/// repeats.
pub fn permissions(args: &PermissionArgs) -> anyhow::Result<Vec<Permission>> {
    let mut out: Vec<Permission> = Vec::new();
    for (action, names, flag) in [
        (Action::Read, &args.read, "--read-database"),
        (Action::Write, &args.write, "--write-database"),
    ] {
        for name in names {
            let permission = Permission::new(action, name.clone());
            permission
                .validate()
                .map_err(|e| anyhow!("{flag} {name:?}: {}", e.message))?;
            if !out.contains(&permission) {
                out.push(permission);
            }
        }
    }
    Ok(out)
}

const TIME_FORMATS: [&str; 3] = ["%Y-%m-%d", "%Y-%m", "%Y"];

/// The partition template of `--template-timeformat`, `--template-tag` and
/// `--template-tag-bucket`: the time part first, then tags, then buckets. The time format is
/// required whenever any template flag is used.
pub fn template(args: &TemplateArgs) -> anyhow::Result<Option<PartitionTemplate>> {
    if args.tags.is_empty() && args.buckets.is_empty() && args.time_format.is_none() {
        return Ok(None);
    }
    let Some(time_format) = &args.time_format else {
        bail!(
            "--template-timeformat is required with --template-tag and --template-tag-bucket: a custom partition template needs a time part; add --template-timeformat '%Y-%m-%d' (or '%Y-%m', '%Y')"
        );
    };
    if !TIME_FORMATS.contains(&time_format.as_str()) {
        bail!(
            "--template-timeformat {time_format:?} is not supported; use '%Y-%m-%d' (daily), '%Y-%m' (monthly) or '%Y' (yearly)"
        );
    }
    let mut parts = vec![TemplatePart::Time(time_format.clone())];
    for tag in &args.tags {
        if tag.trim().is_empty() {
            bail!("--template-tag is empty; give a tag name");
        }
        parts.push(TemplatePart::Tag(tag.clone()));
    }
    for bucket in &args.buckets {
        let bad = || {
            anyhow!(
                "--template-tag-bucket {bucket:?} is not TAG,N; give a tag name and a number of buckets, e.g. --template-tag-bucket host,100"
            )
        };
        let (tag, n) = bucket.rsplit_once(',').ok_or_else(bad)?;
        let n: i32 = n.trim().parse().map_err(|_| bad())?;
        if tag.trim().is_empty() {
            return Err(bad());
        }
        parts.push(TemplatePart::Bucket(TagBucket {
            tag_name: tag.to_string(),
            number_of_buckets: n,
        }));
    }
    let template = PartitionTemplate(parts);
    template.validate().map_err(|e| {
        anyhow!(
            "the partition template of the --template-* flags is not valid: {}",
            e.message.replace("partitionTemplate", "the template")
        )
    })?;
    Ok(Some(template))
}

/// `--filter-status` of `database list` and `table list` as the client's filter.
pub fn status_filter(filter: FilterStatus) -> StatusFilter {
    match filter {
        FilterStatus::Active => StatusFilter::Active,
        FilterStatus::Deleted => StatusFilter::Deleted,
    }
}

pub fn parse_token_id(text: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        // Not echoed as given: a secret pasted where the id goes must not be printed.
        anyhow!(
            "{:?} is not a token id; token ids are UUIDs, as `token list` and `management list` show them",
            strata_client::redact(text)
        )
    })
}

/// A command-line argument, displayed with anything shaped like a token secret redacted.
pub struct ArgText(pub String);

impl std::fmt::Display for ArgText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&strata_client::redact(&self.0))
    }
}

/// Revokes or deletes each item in turn, carrying on past failures; fails at the end if
/// any failed.
pub async fn each<T, F, Fut>(items: &[T], noun: &str, mut act: F) -> anyhow::Result<()>
where
    T: std::fmt::Display,
    F: FnMut(&T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<String>>>,
{
    let mut failed = 0;
    for item in items {
        match act(item).await {
            Ok(Some(done)) => println!("{done}"),
            Ok(None) => {}
            Err(e) => {
                failed += 1;
                eprintln!("Error: {item}: {e:#}");
            }
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} {noun} failed (see the errors above)",
            items.len()
        );
    }
    Ok(())
}

/// Prints a value as a table (by `table`) or JSON (by `json`).
pub fn show<J: serde::Serialize>(
    format: Format,
    json: impl FnOnce() -> J,
    table: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&json()),
        Format::Table => {
            print!("{}", table());
            Ok(())
        }
    }
}
