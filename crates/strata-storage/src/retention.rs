//! Retention and garbage collection of Parquet files.

use std::time::Duration;

use chrono::{DateTime, Utc};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use strata_catalog::Catalog;
use strata_types::{Database, Error, ParquetFile, Result, Status};
use uuid::Uuid;

/// What one garbage collection deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GarbageCollected {
    pub files: usize,
    pub bytes: u64,
}

/// Deletes files wholly older than their database's retention period, and every file of a
/// database or table deleted before `now - soft_delete_window`. The object goes first, then
/// the catalog entry, so a crash in between leaves an entry whose object is gone (deleted
/// again next time), never an object nobody knows about. A file's statistics go with it.
pub(crate) async fn collect(
    catalog: &dyn Catalog,
    store: &dyn ObjectStore,
    soft_delete_window: Duration,
    now: DateTime<Utc>,
) -> Result<GarbageCollected> {
    let window = chrono::Duration::from_std(soft_delete_window)
        .map_err(|_| Error::internal("the soft-delete window is too long"))?;
    let purge_deleted_before = now - window;
    let now_nanos = now.timestamp_nanos_opt().unwrap_or(i64::MAX);
    let mut collected = GarbageCollected::default();
    for database in catalog.list_databases(None).await? {
        let files = catalog.list_parquet_files(database.id).await?;
        if files.is_empty() {
            continue;
        }
        let expired =
            expired_files(catalog, &database, files, purge_deleted_before, now_nanos).await?;
        if expired.is_empty() {
            continue;
        }
        let mut ids: Vec<Uuid> = Vec::with_capacity(expired.len());
        for file in &expired {
            let path = ObjectPath::parse(&file.path).map_err(|e| {
                Error::internal(format!(
                    "the catalog holds an invalid object path {:?}: {e}",
                    file.path
                ))
            })?;
            for path in [path, crate::stats_path(&file.path)?] {
                match store.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => {
                        return Err(Error::internal(format!("deleting {path} failed: {e}")));
                    }
                }
            }
            ids.push(file.id);
            collected.files += 1;
            collected.bytes += file.size_bytes as u64;
        }
        catalog.delete_parquet_files(&ids).await?;
    }
    Ok(collected)
}

async fn expired_files(
    catalog: &dyn Catalog,
    database: &Database,
    files: Vec<ParquetFile>,
    purge_deleted_before: DateTime<Utc>,
    now_nanos: i64,
) -> Result<Vec<ParquetFile>> {
    if database.status == Status::Deleted {
        let purge = database
            .deleted_at
            .is_some_and(|at| at <= purge_deleted_before);
        return Ok(if purge { files } else { Vec::new() });
    }
    let purged_tables: Vec<i64> = catalog
        .list_tables(&database.name, Some(Status::Deleted))
        .await?
        .into_iter()
        .filter(|t| t.deleted_at.is_some_and(|at| at <= purge_deleted_before))
        .map(|t| t.id)
        .collect();
    let retention = database.retention_period_ns;
    let oldest = now_nanos.saturating_sub(retention);
    Ok(files
        .into_iter()
        .filter(|f| purged_tables.contains(&f.table_id) || (retention > 0 && f.max_time < oldest))
        .collect())
}
