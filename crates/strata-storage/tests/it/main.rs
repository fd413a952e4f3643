//! The storage engine against a real SQLite catalog, a real WAL directory and real object
//! stores (a local directory, and SeaweedFS's S3 API when `STRATA_TEST_S3_ENDPOINT` is set).

mod compaction;
mod engine;
mod persistence;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Float64Type, TimestampNanosecondType};
use bytes::Bytes;
use object_store::ObjectStore;
use strata_catalog::{Catalog, SqlCatalog};
use strata_lp::Precision;
use strata_storage::{Storage, StorageConfig, WriteOptions, WriteOutcome};
use strata_types::NewDatabase;
use tempfile::TempDir;
use uuid::Uuid;

/// 2023-11-14T22:13:20Z in nanoseconds.
pub const T: i64 = 1_700_000_000_000_000_000;

pub struct Node {
    pub dir: TempDir,
    pub catalog: Arc<dyn Catalog>,
    pub store: Arc<dyn ObjectStore>,
    pub storage: Arc<Storage>,
    pub config: StorageConfig,
}

impl Node {
    /// A node with a fresh catalog and a local object store.
    pub async fn start() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/catalog.db?mode=rwc", dir.path().display());
        let catalog: Arc<dyn Catalog> = Arc::new(SqlCatalog::open(&url).await.unwrap());
        let store: Arc<dyn ObjectStore> = Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(
                std::fs::create_dir_all(dir.path().join("objects"))
                    .map(|()| dir.path().join("objects"))
                    .unwrap(),
            )
            .unwrap(),
        );
        Node::with(dir, catalog, store).await
    }

    pub async fn with(
        dir: TempDir,
        catalog: Arc<dyn Catalog>,
        store: Arc<dyn ObjectStore>,
    ) -> Node {
        let config = StorageConfig {
            // Persistence and collection run only when a test asks.
            persist_interval: Duration::from_secs(3600),
            gc_interval: Duration::from_secs(3600),
            ..StorageConfig::new(dir.path(), Uuid::new_v4())
        };
        Node::open(dir, catalog, store, config).await
    }

    async fn open(
        dir: TempDir,
        catalog: Arc<dyn Catalog>,
        store: Arc<dyn ObjectStore>,
        config: StorageConfig,
    ) -> Node {
        let storage = Storage::open(catalog.clone(), store.clone(), config.clone())
            .await
            .unwrap();
        Node {
            dir,
            catalog,
            store,
            storage,
            config,
        }
    }

    /// The same node started again from its WAL directory, as after a crash.
    pub async fn restart(self) -> Node {
        let Node {
            dir,
            catalog,
            store,
            config,
            storage,
        } = self;
        drop(storage);
        Node::open(dir, catalog, store, config).await
    }

    pub async fn create_database(&self, name: &str) -> i64 {
        self.create_database_with(NewDatabase {
            name: name.into(),
            retention_period_ns: 0,
            max_tables: 500,
            max_columns_per_table: 250,
            partition_template: None,
        })
        .await
    }

    /// A database allowing `max_tables` tables of `max_columns` columns.
    pub async fn create_limited_database(&self, name: &str, max_tables: i32, max_columns: i32) {
        self.create_database_with(NewDatabase {
            name: name.into(),
            retention_period_ns: 0,
            max_tables,
            max_columns_per_table: max_columns,
            partition_template: None,
        })
        .await;
    }

    pub async fn create_database_with(&self, database: NewDatabase) -> i64 {
        self.catalog.create_database(database).await.unwrap().id
    }

    pub async fn write(&self, database: &str, body: &str) -> WriteOutcome {
        self.write_with(database, body, true).await
    }

    pub async fn write_with(
        &self,
        database: &str,
        body: &str,
        accept_partial: bool,
    ) -> WriteOutcome {
        self.storage
            .write(
                database,
                Bytes::from(body.to_string()),
                WriteOptions {
                    precision: Precision::Nanoseconds,
                    default_time: T,
                    accept_partial,
                },
            )
            .await
            .unwrap()
    }

    pub async fn table_id(&self, database: &str, table: &str) -> i64 {
        let schema = self.catalog.get_schema(database).await.unwrap();
        schema.table(table).expect("table exists").table.id
    }

    /// The table's buffered rows as one batch (columns as in the last batch written).
    pub async fn buffered(&self, database: &str, table: &str) -> Vec<RecordBatch> {
        let schema = self.catalog.get_schema(database).await.unwrap();
        let id = schema.table(table).expect("table exists").table.id;
        self.storage
            .table_data(schema.database.id, id)
            .await
            .unwrap()
            .buffered
    }
}

/// The values of a float column across batches (nulls as None).
pub fn floats(batches: &[RecordBatch], column: &str) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    for batch in batches {
        match batch.column_by_name(column) {
            Some(c) => {
                let c = c.as_primitive::<Float64Type>();
                out.extend((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i))));
            }
            None => out.extend(std::iter::repeat_n(None, batch.num_rows())),
        }
    }
    out
}

pub fn times(batches: &[RecordBatch]) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("time")
                .unwrap()
                .as_primitive::<TimestampNanosecondType>()
                .values()
                .to_vec()
        })
        .collect()
}

pub fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

pub fn concat(batches: &[RecordBatch]) -> RecordBatch {
    concat_batches(&batches[0].schema(), batches).unwrap()
}
