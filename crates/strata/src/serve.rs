//! `strata serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use strata_auth::Authenticator;
use strata_server::{AppState, ServerSettings};
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
    /// How long deleted databases and tables can be undeleted (e.g. 14d, 36h).
    #[arg(long, env = "STRATA_SOFT_DELETE_WINDOW", default_value = "14d", value_parser = parse_window)]
    soft_delete_window: chrono::TimeDelta,
    /// Log format: text or json. Levels come from STRATA_LOG (e.g. info, debug).
    #[arg(long, env = "STRATA_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

/// The undelete window: at most 100 years, so "now minus the window" is always a valid time.
fn parse_window(text: &str) -> Result<chrono::TimeDelta, String> {
    let window = strata_types::parse_duration(text).map_err(|e| e.message)?;
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
    check_object_store(&object_store)?;
    let pepper = storage.pepper()?;
    let catalog = storage.open_catalog().await?;
    let auth = Authenticator::new(catalog.clone(), pepper).await?;
    let _refresh = auth.spawn_refresh();
    let addr = resolve_bind(&args.http_bind).await?;
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let settings = ServerSettings {
        soft_delete_window: args.soft_delete_window,
        public_url: format!("{scheme}://{local}"),
    };
    let state = AppState::new(catalog, auth, settings).await?;
    tracing::info!(
        account_id = %state.identity.account_id,
        cluster_id = %state.identity.cluster.id,
        catalog = %strata_catalog::redact_url(&storage.catalog_url()),
        object_store = %object_store,
        "catalog identity"
    );
    let app = strata_server::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    tokio::spawn({
        let handle = handle.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            handle.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
        }
    });
    tracing::info!("listening on {scheme}://{local}");
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
            axum_server::from_tcp_rustls(listener, tls)?
                .handle(handle)
                .serve(app)
                .await?;
        }
        (None, None) => {
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(app)
                .await?
        }
        _ => bail!("--tls-cert and --tls-key must be given together"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// `file:///ABSOLUTE/PATH` (created if missing) or `s3://BUCKET[/PREFIX]`.
fn check_object_store(url: &str) -> anyhow::Result<()> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            bail!("--object-store {url:?} needs an absolute path: file:///PATH");
        }
        std::fs::create_dir_all(path)
            .with_context(|| format!("cannot create object store directory {path}"))?;
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        let bucket = rest.split('/').next().unwrap_or_default();
        if bucket.is_empty() {
            bail!("--object-store {url:?} names no bucket: write s3://BUCKET[/PREFIX]");
        }
        return Ok(());
    }
    bail!("--object-store {url:?} is not supported: use file:///PATH or s3://BUCKET[/PREFIX]")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("cannot install the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
