//! The object store that holds Parquet files: a local directory or an S3-compatible bucket.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::prefix::PrefixStore;
use strata_types::{Error, Result};

use crate::durable::DurableLocalStore;

/// S3 settings beyond the URL; unset ones come from the environment as the AWS SDKs name it
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, ...).
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// The endpoint of an S3-compatible server, e.g. `http://127.0.0.1:8333`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Opens the store named by `url`: `file:///ABSOLUTE/PATH` or `s3://BUCKET[/PREFIX]`.
pub fn open_object_store(url: &str, s3: &S3Options) -> Result<Arc<dyn ObjectStore>> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(Error::invalid(format!(
                "object store {url:?} needs an absolute path: file:///PATH"
            )));
        }
        std::fs::create_dir_all(path).map_err(|e| {
            Error::invalid(format!(
                "cannot create the object store directory {path}: {e}"
            ))
        })?;
        // Files must be on disk before the catalog lists them and the WAL forgets their rows.
        let store = DurableLocalStore::new(std::path::Path::new(path))
            .map_err(|e| Error::invalid(format!("cannot use {path} as the object store: {e}")))?;
        return Ok(Arc::new(store));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::invalid(format!(
                "object store {url:?} names no bucket: write s3://BUCKET[/PREFIX]"
            )));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = s3
            .endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        if let Some(endpoint) = endpoint {
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        let region = s3
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok());
        if let Some(region) = region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &s3.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .map_err(|e| Error::invalid(format!("cannot use object store {url:?}: {e}")))?;
        let prefix = prefix.trim_matches('/');
        if prefix.is_empty() {
            return Ok(Arc::new(store));
        }
        return Ok(Arc::new(PrefixStore::new(store, prefix)));
    }
    Err(Error::invalid(format!(
        "object store {url:?} is not supported: use file:///PATH or s3://BUCKET[/PREFIX]"
    )))
}

/// Checks that the store answers and the credentials work, so a bad setting fails at start.
pub async fn check_object_store(store: &dyn ObjectStore, url: &str) -> Result<()> {
    store
        .list_with_delimiter(None)
        .await
        .map(|_| ())
        .map_err(|e| Error::invalid(format!("the object store {url:?} cannot be used: {e}")))
}
