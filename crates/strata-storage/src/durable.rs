//! A local directory as an object store whose writes are durable when they return.
//!
//! `object_store`'s `LocalFileSystem` writes a temporary file and renames it into place
//! without fsync, so after a power loss a file the catalog lists (and whose rows' WAL segment
//! was deleted) could be missing or empty. [`DurableLocalStore`] fsyncs each file it writes
//! and every directory from the file's up to the store's root (the rename, and directories
//! the write created), before the write returns.

use std::fmt;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result, UploadPart,
};

#[derive(Debug)]
pub struct DurableLocalStore {
    inner: LocalFileSystem,
    root: PathBuf,
}

impl DurableLocalStore {
    /// The store rooted at `root`, an existing directory.
    pub fn new(root: &FsPath) -> Result<Self> {
        Ok(DurableLocalStore {
            inner: LocalFileSystem::new_with_prefix(root)?,
            root: std::fs::canonicalize(root).map_err(store_error)?,
        })
    }

    /// Makes the object at `location`, and its directory entries, durable.
    async fn sync(&self, location: &Path) -> Result<()> {
        let file = self.inner.path_to_filesystem(location)?;
        sync_off_thread(file, self.root.clone()).await
    }
}

/// [`sync_file_and_directories`] on a blocking thread.
async fn sync_off_thread(file: PathBuf, root: PathBuf) -> Result<()> {
    tokio::task::spawn_blocking(move || sync_file_and_directories(&file, &root))
        .await
        .map_err(store_error)?
        .map(drop)
        .map_err(store_error)
}

fn store_error(e: impl std::error::Error + Send + Sync + 'static) -> object_store::Error {
    object_store::Error::Generic {
        store: "DurableLocalStore",
        source: Box::new(e),
    }
}

/// Fsyncs `file`, then each directory from its parent up to and including `root`; returns
/// the directories synced.
pub(crate) fn sync_file_and_directories(
    file: &FsPath,
    root: &FsPath,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::File::open(file)?.sync_all()?;
    let mut synced = Vec::new();
    for directory in file.ancestors().skip(1) {
        if !directory.starts_with(root) {
            break;
        }
        std::fs::File::open(directory)?.sync_all()?;
        synced.push(directory.to_path_buf());
    }
    Ok(synced)
}

impl fmt::Display for DurableLocalStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DurableLocalStore({})", self.root.display())
    }
}

#[async_trait]
impl ObjectStore for DurableLocalStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let put = self.inner.put_opts(location, payload, opts).await?;
        self.sync(location).await?;
        Ok(put)
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let upload = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(DurableUpload {
            upload,
            file: self.inner.path_to_filesystem(location)?,
            root: self.root.clone(),
        }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await?;
        self.sync(to).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await?;
        self.sync(to).await
    }
}

/// A multipart write that is durable once completed.
#[derive(Debug)]
struct DurableUpload {
    upload: Box<dyn MultipartUpload>,
    file: PathBuf,
    root: PathBuf,
}

#[async_trait]
impl MultipartUpload for DurableUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.upload.put_part(data)
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let put = self.upload.complete().await?;
        sync_off_thread(self.file.clone(), self.root.clone()).await?;
        Ok(put)
    }

    async fn abort(&mut self) -> Result<()> {
        self.upload.abort().await
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt;

    use super::*;

    #[tokio::test]
    async fn a_put_syncs_its_file_and_every_directory_up_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = DurableLocalStore::new(dir.path()).unwrap();
        let location = Path::from("dbs/1/tables/2/2026-01-01/file.parquet");
        store
            .put(&location, Bytes::from_static(b"rows").into())
            .await
            .unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let file = root.join("dbs/1/tables/2/2026-01-01/file.parquet");
        assert_eq!(std::fs::read(&file).unwrap(), b"rows");
        let synced = sync_file_and_directories(&file, &root).unwrap();
        let expected: Vec<PathBuf> = [
            "dbs/1/tables/2/2026-01-01",
            "dbs/1/tables/2",
            "dbs/1/tables",
            "dbs/1",
            "dbs",
            "",
        ]
        .iter()
        .map(|d| root.join(d).components().collect())
        .collect();
        assert_eq!(synced, expected);
        // Reads, lists and deletes go to the directory as before.
        let listed: Vec<_> = futures::StreamExt::collect::<Vec<_>>(store.list(None)).await;
        assert_eq!(listed.len(), 1);
        store.delete(&location).await.unwrap();
        assert!(!file.exists());
    }
}
