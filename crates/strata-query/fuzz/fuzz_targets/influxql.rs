//! Arbitrary text as an InfluxQL request to a real query engine (a SQLite catalog, a local
//! object store, rows both persisted and buffered): parsing and planning must answer with a
//! result or an error, never a panic or a stack overflow, and a query that parses must print
//! back to text that parses to the same tree. Answers are read to their end through the 1.x
//! JSON writer.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use strata_catalog::{Catalog, SqlCatalog};
use strata_influxql::Literal;
use strata_lp::Precision;
use futures::StreamExt;
use strata_query::influxql::v1::encode_json;
use strata_query::influxql::{InfluxqlRequest, ReadAccess};
use strata_query::{QueryConfig, QueryEngine, QueryOrigin};
use strata_storage::{Storage, StorageConfig, WriteOptions, open_object_store};
use strata_types::NewDatabase;

/// 2023-01-01T00:00:00Z.
const T0: i64 = 1_672_531_200_000_000_000;
const MINUTE: i64 = 60_000_000_000;

struct Engine {
    runtime: tokio::runtime::Runtime,
    query: QueryEngine,
    params: HashMap<String, Literal>,
    _dir: tempfile::TempDir,
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let query = runtime.block_on(open(dir.path()));
        let params = HashMap::from([
            ("host".to_string(), Literal::String("a".into())),
            ("min".to_string(), Literal::Integer(5)),
            ("since".to_string(), Literal::String("2023-01-01T00:00:00Z".into())),
        ]);
        Engine {
            runtime,
            query,
            params,
            _dir: dir,
        }
    })
}

/// A database `db` with tags and every field type, in two tables, some rows in Parquet and
/// some only in the buffer.
async fn open(dir: &std::path::Path) -> QueryEngine {
    let url = format!("sqlite://{}/catalog.db?mode=rwc", dir.display());
    let catalog: Arc<dyn Catalog> = Arc::new(SqlCatalog::open(&url).await.expect("a catalog"));
    catalog
        .create_database(NewDatabase {
            name: "db".into(),
            retention_period_ns: 0,
            max_tables: 10,
            max_columns_per_table: 50,
            partition_template: None,
        })
        .await
        .expect("a database");
    let store = open_object_store(
        &format!("file://{}/objects", dir.display()),
        &Default::default(),
    )
    .expect("an object store");
    let storage = Storage::open(
        catalog.clone(),
        store,
        StorageConfig::new(dir, uuid::Uuid::new_v4()),
    )
    .await
    .expect("storage");
    let write = async |lines: String| {
        let outcome = storage
            .write(
                "db",
                Bytes::from(lines),
                WriteOptions {
                    precision: Precision::Nanoseconds,
                    default_time: T0,
                    accept_partial: false,
                },
            )
            .await
            .expect("a write");
        assert_eq!(outcome.rejected_count, 0, "{outcome:?}");
    };
    let lines = |from: i64| {
        (from..from + 20)
            .map(|i| {
                format!(
                    "cpu,host={},region={} usage={}.5,idle={i}i,up={},note=\"n{i}\",count={i}u {}\nmem,host=a used={i}i {}\n",
                    ["a", "b", "c"][i as usize % 3],
                    ["eu", "us"][i as usize % 2],
                    i * 3,
                    i % 2 == 0,
                    T0 + i * MINUTE,
                    T0 + i * MINUTE,
                )
            })
            .collect::<String>()
    };
    write(lines(0)).await;
    storage.persist().await.expect("persisted");
    write(lines(10)).await;
    QueryEngine::new(
        catalog,
        storage,
        QueryConfig {
            timeout: Duration::from_secs(2),
            memory_limit: 64 << 20,
        },
    )
}

/// A caller who may read every database.
struct Everything;

impl ReadAccess for Everything {
    fn may_read(&self, _: i64) -> bool {
        true
    }

    fn may_read_every_database(&self) -> bool {
        true
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(query) = strata_influxql::parse(text) {
        let printed = query.to_string();
        assert_eq!(
            strata_influxql::parse(&printed).as_ref(),
            Ok(&query),
            "{text:?} printed as {printed:?}"
        );
    }
    let engine = engine();
    let request = InfluxqlRequest {
        database: Some("db".to_string()),
        query: text.to_string(),
        params: engine.params.clone(),
        access: Arc::new(Everything),
        origin: QueryOrigin::default(),
    };
    // Every statement runs as its answer is read: read it all, as the 1.x endpoint does.
    if let Ok(answer) = engine.query.influxql(request) {
        let answer = encode_json(answer, None, false, |e| e.message);
        engine.runtime.block_on(answer.for_each(|_| async {}));
    }
});
