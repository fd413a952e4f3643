//! Where a node keeps its state, shared by `serve` and the offline `admin` commands.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use strata_auth::Pepper;
use strata_catalog::{Catalog, SqlCatalog};

#[derive(Args, Debug, Clone)]
pub struct StorageArgs {
    /// Directory for the embedded catalog, local object store and token pepper.
    #[arg(long, env = "STRATA_DATA_DIR", default_value = "./strata-data")]
    pub data_dir: PathBuf,
    /// Catalog URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB
    /// [default: sqlite://DATA_DIR/catalog.db]
    #[arg(long, env = "STRATA_CATALOG", hide_env_values = true)]
    pub catalog: Option<String>,
    /// File holding the token pepper (64 hex characters) [default: DATA_DIR/token-pepper,
    /// created on first start]. STRATA_TOKEN_PEPPER may hold the value itself.
    #[arg(long, env = "STRATA_TOKEN_PEPPER_FILE")]
    pub token_pepper_file: Option<PathBuf>,
}

impl StorageArgs {
    /// Creates the data directory readable by this user only (0700), and makes an existing
    /// one so: it holds the catalog, the WAL, keys, the pepper and the objects.
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let dir = &self.data_dir;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        let mode = std::fs::metadata(dir)
            .with_context(|| format!("cannot read data directory {}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make data directory {} private", dir.display()))?;
            tracing::warn!(
                data_dir = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                "the data directory was open to other users; it is now 0700"
            );
        }
        Ok(())
    }

    pub fn catalog_url(&self) -> String {
        self.catalog.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("catalog.db").display()
            )
        })
    }

    pub async fn open_catalog(&self) -> anyhow::Result<Arc<dyn Catalog>> {
        let catalog = SqlCatalog::open(&self.catalog_url()).await?;
        Ok(Arc::new(catalog))
    }

    /// The pepper from --token-pepper-file (or STRATA_TOKEN_PEPPER_FILE), else the value in
    /// STRATA_TOKEN_PEPPER, else DATA_DIR/token-pepper (created when absent).
    pub fn pepper(&self) -> anyhow::Result<Pepper> {
        if let Some(path) = &self.token_pepper_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read token pepper file {}", path.display()))?;
            return Pepper::from_hex(&text).with_context(|| path.display().to_string());
        }
        if let Ok(hex) = std::env::var("STRATA_TOKEN_PEPPER") {
            return Pepper::from_hex(&hex).context("STRATA_TOKEN_PEPPER");
        }
        Ok(Pepper::load_or_create(Path::new(&self.data_dir))?)
    }
}
