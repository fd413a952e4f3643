//! `strata serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum_server::accept::NoDelayAcceptor;
use clap::Args;
use strata_auth::Authenticator;
use strata_identity::{
    BuiltInProvider, ExternalProvider, ExternalSettings, ProviderSettings, UserClaim,
};
use strata_query::{CompactorConfig, QueryConfig, QueryEngine};
use strata_server::{AppState, ServerSettings, Sessions};
use strata_storage::{
    CompactionPolicy, S3Options, Storage, StorageConfig, check_object_store,
    load_or_create_node_id, open_object_store,
};
use strata_types::UserGroup;
use tracing_subscriber::EnvFilter;

use crate::config::StorageArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// Address for HTTP and gRPC.
    #[arg(long, env = "STRATA_HTTP_BIND", default_value = "127.0.0.1:8086")]
    http_bind: String,
    /// Object store URL: file:///PATH or s3://BUCKET [default: DATA_DIR/objects]
    #[arg(long, env = "STRATA_OBJECT_STORE")]
    object_store: Option<String>,
    /// PEM certificate chain; with --tls-key, serve the same port over TLS.
    #[arg(long, env = "STRATA_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "STRATA_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address other than loopback (behind a proxy that terminates
    /// TLS). Without it, such a bind needs --tls-cert and --tls-key.
    #[arg(long, env = "STRATA_INSECURE_HTTP")]
    insecure_http: bool,
    /// The S3 endpoint of an S3-compatible store (e.g. http://127.0.0.1:8333); AWS S3 when unset.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    aws_endpoint_url: Option<String>,
    /// The S3 region.
    #[arg(long, env = "AWS_REGION")]
    aws_region: Option<String>,
    /// The S3 access key id.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    aws_access_key_id: Option<String>,
    /// The S3 secret access key (prefer the environment variable: flags show in `ps`).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    aws_secret_access_key: Option<String>,
    /// The largest write request body accepted, in bytes (compressed and decompressed).
    #[arg(long, env = "STRATA_MAX_WRITE_BYTES", default_value_t = 10 << 20)]
    max_write_bytes: usize,
    /// Buffered writes are persisted to the object store at least this often.
    #[arg(long, env = "STRATA_PERSIST_INTERVAL", default_value = "60s", value_parser = parse_lifetime)]
    persist_interval: chrono::TimeDelta,
    /// ...and as soon as the buffer holds this many bytes.
    #[arg(long, env = "STRATA_PERSIST_BUFFER_BYTES", default_value_t = strata_storage::DEFAULT_PERSIST_BUFFER_BYTES)]
    persist_buffer_bytes: usize,
    /// Memory the write buffer may take, in bytes, counting what persisting it takes; a write
    /// that finds it full waits for persistence to free space.
    #[arg(long, env = "STRATA_MAX_BUFFER_BYTES", default_value_t = strata_storage::DEFAULT_MAX_BUFFER_BYTES)]
    max_buffer_bytes: usize,
    /// How long a write waits for space in a full buffer before it is answered 503 with
    /// Retry-After.
    #[arg(long, env = "STRATA_WRITE_WAIT", default_value = "5s", value_parser = parse_lifetime)]
    write_wait: chrono::TimeDelta,
    /// A query running longer than this is cancelled.
    #[arg(long, env = "STRATA_QUERY_TIMEOUT", default_value = "60s", value_parser = parse_lifetime)]
    query_timeout: chrono::TimeDelta,
    /// Memory one query may use for sorts, joins and aggregations, in bytes.
    #[arg(long, env = "STRATA_QUERY_MEMORY_LIMIT", default_value_t = 1 << 30)]
    query_memory_limit: usize,
    /// Memory for the per-series statistics (series index, last values, counts) kept so that
    /// queries needing only them read no rows, in bytes. A table whose statistics do not fit
    /// in half of it is scanned instead.
    #[arg(long, env = "STRATA_STATS_CACHE_BYTES", default_value_t = 128 << 20)]
    stats_cache_bytes: usize,
    /// Compacted files are cut at about this size, in bytes.
    #[arg(long, env = "STRATA_COMPACTION_TARGET_BYTES", default_value_t = 100 << 20, value_parser = clap::value_parser!(u64).range(1 << 20..))]
    compaction_target_bytes: u64,
    /// A partition with this many files written by persistence is compacted.
    #[arg(long, env = "STRATA_COMPACTION_MAX_NEW_FILES", default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..))]
    compaction_max_new_files: u64,
    /// A partition without a new file for this long is compacted once.
    #[arg(long, env = "STRATA_COMPACTION_COLD_AFTER", default_value = "10m", value_parser = parse_lifetime)]
    compaction_cold_after: chrono::TimeDelta,
    /// How often partitions are checked for compaction.
    #[arg(long, env = "STRATA_COMPACTION_INTERVAL", default_value = "30s", value_parser = parse_lifetime)]
    compaction_interval: chrono::TimeDelta,
    /// How long files compaction replaced stay for queries in flight, and how long an upload
    /// may take before its objects count as leftovers and are deleted.
    #[arg(long, env = "STRATA_FILE_DELETION_GRACE", default_value = "1h", value_parser = parse_lifetime)]
    file_deletion_grace: chrono::TimeDelta,
    /// How often files past their retention period and those of long-deleted databases and
    /// tables are deleted.
    #[arg(long, env = "STRATA_GC_INTERVAL", default_value = "60s", value_parser = parse_lifetime)]
    gc_interval: chrono::TimeDelta,
    /// How long deleted databases and tables can be undeleted (e.g. 14d, 36h).
    #[arg(long, env = "STRATA_SOFT_DELETE_WINDOW", default_value = "14d", value_parser = parse_window)]
    soft_delete_window: chrono::TimeDelta,
    /// How long audit log entries are kept (e.g. 400d, 90d); older ones are deleted.
    #[arg(long, env = "STRATA_AUDIT_RETENTION", default_value = "400d", value_parser = parse_lifetime)]
    audit_retention: chrono::TimeDelta,
    /// Log format: text or json. Levels come from STRATA_LOG (e.g. info, debug).
    #[arg(long, env = "STRATA_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// The URL clients reach this node at: the cluster's URL, the issuer of user sessions and
    /// the base of the sign-in page [default: http(s)://the bound address].
    #[arg(long, env = "STRATA_PUBLIC_URL")]
    public_url: Option<String>,
    /// How long a user session (from `stratactl auth login`) lasts.
    #[arg(long, env = "STRATA_SESSION_LIFETIME", default_value = "1h", value_parser = parse_lifetime)]
    session_lifetime: chrono::TimeDelta,
    /// How long a sign-in started by `stratactl auth login` waits for approval.
    #[arg(long, env = "STRATA_DEVICE_CODE_LIFETIME", default_value = "10m", value_parser = parse_lifetime)]
    device_code_lifetime: chrono::TimeDelta,
    /// How far clocks may disagree when checking a session's expiry and start (e.g. 60s, 0s).
    #[arg(long, env = "STRATA_SESSION_CLOCK_SKEW", default_value = "60s", value_parser = parse_skew)]
    session_clock_skew: chrono::TimeDelta,
    /// How long this node signs sessions with one key before making a new one.
    #[arg(long, env = "STRATA_SIGNING_KEY_ROTATION", default_value = "30d", value_parser = parse_lifetime)]
    signing_key_rotation: chrono::TimeDelta,
    /// Verify user sessions issued by this OIDC provider (its exact issuer URL) instead of
    /// running the built-in one. Users are matched to catalog users by their `email` claim.
    #[arg(long, env = "STRATA_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// Which claim of the external provider's sessions names the catalog user: `email`
    /// (matched to users' emails) or `sub` (matched to users' subjects).
    #[arg(long, env = "STRATA_OIDC_USER_CLAIM", default_value = "email", value_parser = ["email", "sub"])]
    oidc_user_claim: String,
    /// Accept external sessions whose `email_verified` claim is not true (with
    /// --oidc-user-claim email). Only for a provider that lets no one claim an address they
    /// do not own.
    #[arg(long, env = "STRATA_OIDC_ALLOW_UNVERIFIED_EMAIL")]
    oidc_allow_unverified_email: bool,
    /// The `aud` the external provider's sessions must carry.
    #[arg(long, env = "STRATA_OIDC_AUDIENCE", default_value = "strata")]
    oidc_audience: String,
    /// The external provider's JWKS URL [default: from its discovery document].
    #[arg(long, env = "STRATA_OIDC_JWKS_URI", requires = "oidc_issuer")]
    oidc_jwks_uri: Option<String>,
    /// A claim listing the user's groups at the external provider; with the --oidc-*-group
    /// names it decides the user's group (else the catalog's group applies).
    #[arg(long, env = "STRATA_OIDC_GROUPS_CLAIM", requires = "oidc_issuer")]
    oidc_groups_claim: Option<String>,
    /// The provider's group name that makes a user Admin.
    #[arg(long, env = "STRATA_OIDC_ADMIN_GROUP", requires = "oidc_groups_claim")]
    oidc_admin_group: Option<String>,
    /// The provider's group name that makes a user Member.
    #[arg(long, env = "STRATA_OIDC_MEMBER_GROUP", requires = "oidc_groups_claim")]
    oidc_member_group: Option<String>,
    /// The provider's group name that makes a user Auditor.
    #[arg(
        long,
        env = "STRATA_OIDC_AUDITOR_GROUP",
        requires = "oidc_groups_claim"
    )]
    oidc_auditor_group: Option<String>,
    /// Email of the Admin user created on first start.
    #[arg(long, env = "STRATA_ADMIN_EMAIL", default_value = "admin@localhost")]
    admin_email: String,
    /// File with the first Admin's password [default: STRATA_ADMIN_PASSWORD, else generated
    /// and printed once].
    #[arg(long, env = "STRATA_ADMIN_PASSWORD_FILE")]
    admin_password_file: Option<PathBuf>,
}

/// A duration flag: numbers with units, as humantime reads them (`60s`, `10m`, `1h30m`, `14d`).
fn parse_duration_flag(text: &str) -> Result<chrono::TimeDelta, String> {
    let duration = humantime::parse_duration(text).map_err(|e| {
        format!("{text:?} is not a duration ({e}); write numbers with units, e.g. 60s, 10m, 1h30m or 14d")
    })?;
    chrono::TimeDelta::from_std(duration).map_err(|_| format!("{text:?} is too long"))
}

fn parse_lifetime(text: &str) -> Result<chrono::TimeDelta, String> {
    let lifetime = parse_duration_flag(text)?;
    if lifetime <= chrono::TimeDelta::zero() {
        return Err(format!("{text:?} must be longer than zero"));
    }
    Ok(lifetime)
}

fn to_std(delta: chrono::TimeDelta) -> std::time::Duration {
    delta.to_std().unwrap_or_default()
}

fn parse_skew(text: &str) -> Result<chrono::TimeDelta, String> {
    let skew = parse_duration_flag(text)?;
    if skew > chrono::TimeDelta::minutes(10) {
        return Err(format!(
            "{text:?} is more skew than 10 minutes; fix the clocks instead"
        ));
    }
    Ok(skew)
}

/// Sessions verified for an external OIDC provider.
async fn external_sessions(args: &ServeArgs, issuer: &str) -> anyhow::Result<Sessions> {
    let group_names = [
        (&args.oidc_admin_group, UserGroup::Admin),
        (&args.oidc_member_group, UserGroup::Member),
        (&args.oidc_auditor_group, UserGroup::Auditor),
    ]
    .into_iter()
    .filter_map(|(name, group)| name.clone().map(|name| (name, group)))
    .collect();
    let provider = ExternalProvider::open(ExternalSettings {
        user_claim: if args.oidc_user_claim == "sub" {
            UserClaim::Subject
        } else {
            UserClaim::Email
        },
        require_verified_email: !args.oidc_allow_unverified_email,
        issuer: issuer.to_string(),
        audience: args.oidc_audience.clone(),
        jwks_uri: args.oidc_jwks_uri.clone(),
        groups_claim: args.oidc_groups_claim.clone(),
        group_names,
        clock_skew: args.session_clock_skew,
    })
    .await
    .with_context(|| format!("cannot use the identity provider at {issuer}"))?;
    tracing::info!(
        issuer,
        "user sessions come from an external identity provider"
    );
    let discovery = std::sync::Arc::new(provider.discovery().clone());
    Ok(Sessions::External {
        provider: std::sync::Arc::new(provider),
        discovery,
    })
}

/// The built-in identity provider, its key maintenance, and the first Admin on a new catalog.
async fn built_in_sessions(
    args: &ServeArgs,
    data_dir: &std::path::Path,
    catalog: std::sync::Arc<dyn strata_catalog::Catalog>,
    pepper: strata_auth::Pepper,
    public_url: String,
) -> anyhow::Result<Sessions> {
    let mut provider_settings = ProviderSettings::new(public_url);
    provider_settings.session_lifetime = args.session_lifetime;
    provider_settings.key_rotation = args.signing_key_rotation;
    provider_settings.device_code_lifetime = args.device_code_lifetime;
    provider_settings.clock_skew = args.session_clock_skew;
    let provider = BuiltInProvider::open(catalog, pepper, data_dir, provider_settings).await?;
    let maintenance = (args.signing_key_rotation / 4)
        .to_std()
        .unwrap_or_default()
        .clamp(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(60),
        );
    // The task stops when the provider is dropped, at shutdown.
    let _maintenance = provider.spawn_maintenance(maintenance);
    if let Some((user, password)) = provider
        .ensure_bootstrap_admin(&args.admin_email, admin_password(args)?)
        .await?
    {
        tracing::info!(user_id = %user.id, email = user.email, "created the first Admin user");
        if let Some(password) = password {
            // Shown once, on stdout, never in the log.
            println!(
                "Created the first Admin user.\n  email:    {}\n  password: {password}\nSign in with `stratactl auth login`; this password is not shown again.",
                user.email
            );
        }
    }
    Ok(Sessions::BuiltIn(provider))
}

/// The first Admin's password: from --admin-password-file, else STRATA_ADMIN_PASSWORD.
fn admin_password(args: &ServeArgs) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.admin_password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --admin-password-file {}", path.display()))?;
        return Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()));
    }
    Ok(std::env::var("STRATA_ADMIN_PASSWORD").ok())
}

/// The undelete window: at most 100 years, so "now minus the window" is always a valid time.
fn parse_window(text: &str) -> Result<chrono::TimeDelta, String> {
    let window = parse_duration_flag(text)?;
    if window > chrono::TimeDelta::days(36_500) {
        return Err(format!(
            "{text:?} is longer than the largest window, 100 years (36500d)"
        ));
    }
    Ok(window)
}

/// `HOST:PORT`, where HOST is an address or a name (the first address it resolves to).
async fn resolve_bind(bind: &str) -> anyhow::Result<SocketAddr> {
    let mut addrs = tokio::net::lookup_host(bind)
        .await
        .with_context(|| format!("--http-bind {bind:?} is not HOST:PORT (e.g. 127.0.0.1:8086)"))?;
    addrs
        .next()
        .with_context(|| format!("--http-bind {bind:?} resolves to no address"))
}

/// Tokens, passwords and sessions cross the network in clear text over plain HTTP: only on
/// loopback, unless the operator says a proxy in front provides TLS.
fn check_transport(args: &ServeArgs, addr: SocketAddr) -> anyhow::Result<()> {
    if args.tls_cert.is_some() || addr.ip().is_loopback() {
        return Ok(());
    }
    if !args.insecure_http {
        bail!(
            "--http-bind {addr} is reachable from other machines, and without TLS every token and password would cross the network readable by anyone on the way; give --tls-cert and --tls-key, or --insecure-http when a proxy in front of this server provides TLS"
        );
    }
    tracing::warn!(
        %addr,
        "serving plain HTTP beyond loopback (--insecure-http): tokens and passwords cross the network unencrypted unless a proxy in front provides TLS"
    );
    Ok(())
}

fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_env("STRATA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(&args.log_format);
    let storage = &args.storage;
    storage.ensure_data_dir()?;
    let object_store = args.object_store.clone().unwrap_or_else(|| {
        format!(
            "file://{}",
            std::path::absolute(storage.data_dir.join("objects"))
                .unwrap_or_default()
                .display()
        )
    });
    let s3 = S3Options {
        endpoint: args.aws_endpoint_url.clone(),
        region: args.aws_region.clone(),
        access_key_id: args.aws_access_key_id.clone(),
        secret_access_key: args.aws_secret_access_key.clone(),
    };
    let store = open_object_store(&object_store, &s3)
        .map_err(|e| anyhow::anyhow!("--object-store: {e}"))?;
    check_object_store(store.as_ref(), &object_store)
        .await
        .map_err(|e| anyhow::anyhow!("--object-store: {e}"))?;
    let pepper = storage.pepper()?;
    let catalog = storage.open_catalog().await?;
    let auth = Authenticator::new(catalog.clone(), pepper.clone()).await?;
    let _refresh = auth.spawn_refresh();
    let addr = resolve_bind(&args.http_bind).await?;
    check_transport(&args, addr)?;
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{local}"));
    let settings = ServerSettings {
        soft_delete_window: args.soft_delete_window,
        public_url: public_url.clone(),
        max_write_bytes: args.max_write_bytes,
    };
    if args.persist_buffer_bytes > args.max_buffer_bytes / 2 {
        tracing::warn!(
            persist_buffer_bytes = args.persist_buffer_bytes,
            max_buffer_bytes = args.max_buffer_bytes,
            "--persist-buffer-bytes is more than half of --max-buffer-bytes: the buffer can fill before it is persisted, and writes then wait for --persist-interval; lower --persist-buffer-bytes"
        );
    }
    let node_id = load_or_create_node_id(&storage.data_dir)?;
    let engine = Storage::open(
        catalog.clone(),
        store,
        StorageConfig {
            persist_interval: to_std(args.persist_interval),
            persist_buffer_bytes: args.persist_buffer_bytes,
            max_buffer_bytes: args.max_buffer_bytes,
            write_wait: to_std(args.write_wait),
            soft_delete_window: to_std(args.soft_delete_window),
            gc_interval: to_std(args.gc_interval),
            stats_cache_bytes: args.stats_cache_bytes,
            deletion_grace: to_std(args.file_deletion_grace),
            ..StorageConfig::new(&storage.data_dir, node_id)
        },
    )
    .await?;
    tokio::spawn(engine.clone().run_background());
    let sessions = match &args.oidc_issuer {
        Some(issuer) => external_sessions(&args, issuer).await?,
        None => {
            built_in_sessions(
                &args,
                &storage.data_dir,
                catalog.clone(),
                pepper,
                public_url,
            )
            .await?
        }
    };
    let query = Arc::new(QueryEngine::new(
        catalog.clone(),
        engine.clone(),
        QueryConfig {
            timeout: to_std(args.query_timeout),
            memory_limit: args.query_memory_limit,
        },
    ));
    tokio::spawn(query.clone().run_compactor(CompactorConfig {
        policy: CompactionPolicy {
            target_bytes: args.compaction_target_bytes,
            max_new_files: args.compaction_max_new_files as usize,
            cold_after: to_std(args.compaction_cold_after),
            ..CompactionPolicy::default()
        },
        interval: to_std(args.compaction_interval),
    }));
    let state = AppState::new(catalog, auth, sessions, engine, query, settings).await?;
    // Pruned about ten times per retention period, at least every hour.
    let prune_every = to_std(args.audit_retention / 10).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(3600),
    );
    let _audit_retention = state
        .audit
        .spawn_retention(args.audit_retention, prune_every);
    tracing::info!(
        account_id = %state.identity.account_id,
        cluster_id = %state.identity.cluster.id,
        catalog = %strata_catalog::redact_url(&storage.catalog_url()),
        object_store = %object_store,
        "catalog identity"
    );
    let app = strata_server::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let signal = shutdown_signal();
    tokio::spawn({
        let handle = handle.clone();
        async move {
            signal.await;
            tracing::info!("shutting down: finishing requests in flight");
            handle.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
        }
    });
    tracing::info!("listening on {scheme}://{local}");
    // Answers stream in chunks: without TCP_NODELAY a chunk written while the one before is
    // unacknowledged waits for the client's delayed ACK (40 ms) before it is sent.
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| {
                    format!(
                        "cannot load TLS certificate {} and key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            let acceptor =
                axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(NoDelayAcceptor);
            axum_server::from_tcp(listener)?
                .acceptor(acceptor)
                .handle(handle)
                .serve(app)
                .await?;
        }
        (None, None) => {
            axum_server::from_tcp(listener)?
                .acceptor(NoDelayAcceptor)
                .handle(handle)
                .serve(app)
                .await?
        }
        _ => bail!("--tls-cert and --tls-key must be given together"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when it
/// is first polled, so a signal sent as soon as the server answers still stops it gracefully.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt =
            signal(SignalKind::interrupt()).expect("cannot install the SIGINT handler");
        let mut terminate =
            signal(SignalKind::terminate()).expect("cannot install the SIGTERM handler");
        async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn duration_flags_take_numbers_with_units() {
        for (text, expected) in [
            ("60s", TimeDelta::seconds(60)),
            ("10m", TimeDelta::minutes(10)),
            ("1h30m", TimeDelta::minutes(90)),
            ("14d", TimeDelta::days(14)),
            ("400d", TimeDelta::days(400)),
            ("2w", TimeDelta::days(14)),
            ("500ms", TimeDelta::milliseconds(500)),
        ] {
            assert_eq!(parse_lifetime(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn duration_flags_refuse_what_is_no_duration_or_out_of_bounds() {
        for text in ["10", "soon", "", "1x"] {
            let error = parse_lifetime(text).unwrap_err();
            assert!(
                error.starts_with(&format!("{text:?} is not a duration (")),
                "{error}"
            );
            assert!(error.ends_with("e.g. 60s, 10m, 1h30m or 14d"), "{error}");
        }
        assert_eq!(
            parse_lifetime("0s").unwrap_err(),
            "\"0s\" must be longer than zero"
        );
        assert_eq!(parse_skew("10m"), Ok(TimeDelta::minutes(10)));
        assert!(parse_skew("11m").unwrap_err().contains("fix the clocks"));
        assert_eq!(parse_window("36500d"), Ok(TimeDelta::days(36_500)));
        assert!(
            parse_window("36501d")
                .unwrap_err()
                .contains("the largest window")
        );
        assert_eq!(
            parse_lifetime("9999999999999999s").unwrap_err(),
            "\"9999999999999999s\" is too long"
        );
    }
}
