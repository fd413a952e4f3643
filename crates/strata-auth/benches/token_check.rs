//! The cost of checking a token: keyed hash + index lookup + expiry/revocation checks, through
//! `Authenticator::authenticate` over an index loaded from a real SQLite catalog.
//!
//! Run: `cargo bench -p strata-auth --bench token_check`

use std::sync::Arc;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use strata_auth::{Authenticator, NewDatabaseToken, NewManagementToken, Pepper};
use strata_catalog::{Catalog, SqlCatalog};
use strata_types::{Action, NewDatabase, Permission};

const TOKENS: usize = 10_000;

fn setup(
    runtime: &tokio::runtime::Runtime,
) -> (Arc<Authenticator>, String, String, tempfile::TempDir) {
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("catalog.db").display()
        );
        let catalog: Arc<dyn Catalog> = Arc::new(SqlCatalog::open(&url).await.unwrap());
        catalog
            .create_database(NewDatabase {
                name: "db".into(),
                retention_period_ns: 0,
                max_tables: 500,
                max_columns_per_table: 250,
                partition_template: None,
            })
            .await
            .unwrap();
        let auth = Authenticator::new(catalog, Pepper::from_hex(&"42".repeat(32)).unwrap())
            .await
            .unwrap();
        let (_, root) = auth
            .create_management_token(
                None,
                NewManagementToken {
                    description: "bench".into(),
                    expires_at: None,
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let principal = auth.authenticate(&root, Utc::now()).unwrap();
        let mut last = String::new();
        for i in 0..TOKENS {
            let new = NewDatabaseToken {
                description: format!("token {i}"),
                permissions: vec![Permission::new(Action::Read, "db")],
                expires_at: None,
            };
            last = auth
                .create_database_token(&principal, new, Utc::now())
                .await
                .unwrap()
                .1;
        }
        assert!(auth.index().len() > TOKENS);
        (auth, root, last, dir)
    })
}

fn token_check(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (auth, management, database, _dir) = setup(&runtime);
    let _guard = runtime.enter();
    let mut group = c.benchmark_group(format!(
        "token_check ({} tokens indexed)",
        auth.index().len()
    ));
    group.bench_function("valid database token", |b| {
        b.iter(|| {
            auth.authenticate(std::hint::black_box(&database), Utc::now())
                .unwrap()
        })
    });
    group.bench_function("valid management token", |b| {
        b.iter(|| {
            auth.authenticate(std::hint::black_box(&management), Utc::now())
                .unwrap()
        })
    });
    let mut unknown = database.clone();
    unknown.replace_range(12..14, "zz");
    group.bench_function("malformed token (checksum fails)", |b| {
        b.iter(|| {
            auth.authenticate(std::hint::black_box(&unknown), Utc::now())
                .unwrap_err()
        })
    });
    group.finish();
}

criterion_group!(benches, token_check);
criterion_main!(benches);
