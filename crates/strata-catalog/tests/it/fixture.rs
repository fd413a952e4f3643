//! A fresh, empty catalog for one test, on SQLite or on PostgreSQL.

use std::sync::Mutex;

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use strata_catalog::{Catalog, SqlCatalog, redact_url};
use tempfile::TempDir;
use uuid::Uuid;

/// The environment variable naming the PostgreSQL server the PostgreSQL tests use: a URL
/// whose user may create databases, e.g. the one `scripts/pg.sh start DIR` prints.
pub const POSTGRES_URL_VAR: &str = "STRATA_TEST_POSTGRES_URL";

/// One test's catalog, and what to clean up after it.
pub struct Fixture {
    url: String,
    catalog: SqlCatalog,
    store: Store,
    /// Further PostgreSQL databases made by [`Fixture::empty_store`], dropped by `finish`.
    extra_databases: Mutex<Vec<String>>,
}

enum Store {
    /// The directory holding the SQLite file; removed when dropped.
    Sqlite { dir: TempDir },
    /// A database of its own on the server at `admin_url`.
    Postgres { admin_url: String, database: String },
}

impl Fixture {
    /// A catalog in a new SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}/catalog.db?mode=rwc", dir.path().display());
        let catalog = open(&url).await;
        Self {
            url,
            catalog,
            store: Store::Sqlite { dir },
            extra_databases: Mutex::default(),
        }
    }

    /// A catalog in a new database on the PostgreSQL server named by
    /// `STRATA_TEST_POSTGRES_URL`, or `None` (after saying so) when that is unset outside CI.
    pub async fn postgres() -> Option<Self> {
        let admin_url = postgres_url()?;
        let database = create_database(&admin_url).await;
        let url = with_database(&admin_url, &database);
        let catalog = open(&url).await;
        Some(Self {
            url,
            catalog,
            store: Store::Postgres {
                admin_url,
                database,
            },
            extra_databases: Mutex::default(),
        })
    }

    /// The URL of another, empty store on the same backend, for cases that need a catalog
    /// nobody has opened yet.
    pub async fn empty_store(&self) -> String {
        match &self.store {
            Store::Sqlite { dir } => format!(
                "sqlite://{}/{}.db?mode=rwc",
                dir.path().display(),
                Uuid::new_v4().simple()
            ),
            Store::Postgres { admin_url, .. } => {
                let database = create_database(admin_url).await;
                self.extra_databases.lock().unwrap().push(database.clone());
                with_database(admin_url, &database)
            }
        }
    }

    pub fn catalog(&self) -> &dyn Catalog {
        &self.catalog
    }

    /// Runs `sql` on the catalog's store directly, as an older build or an operator would.
    pub async fn execute(&self, sql: &str) {
        let mut connection = sqlx::AnyConnection::connect(&self.url).await.unwrap();
        connection
            .execute(AssertSqlSafe(sql.to_string()))
            .await
            .unwrap();
        connection.close().await.ok();
    }

    /// Opens the same catalog again, as a restarted node would.
    pub async fn reopen(&self) -> SqlCatalog {
        open(&self.url).await
    }

    /// Closes the catalog and drops its PostgreSQL database (a SQLite file goes with its
    /// temporary directory). Not called when a test fails, so that its data can be looked at.
    pub async fn finish(self) {
        let Self {
            catalog,
            store,
            extra_databases,
            ..
        } = self;
        drop(catalog);
        if let Store::Postgres {
            admin_url,
            database,
        } = store
        {
            let mut admin = admin_connection(&admin_url).await;
            let mut databases = extra_databases.into_inner().unwrap();
            databases.push(database);
            for database in databases {
                // FORCE (PostgreSQL 13+) ends the connections a closed pool may still hold.
                if let Err(e) = admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                    )))
                    .await
                {
                    eprintln!("note: could not drop test database {database}: {e}");
                }
            }
            admin.close().await.ok();
        }
    }
}

/// Creates a new, empty database named `strata_t_<random>` on the server; returns its name.
///
/// Where the server can (PostgreSQL 15+ with ICU), the database sorts text by the `en-US`
/// collation, as a typical production server (`en_US.UTF-8`) does, rather than by the bytewise
/// `C` collation a test server often has: the catalog must behave the same under both.
async fn create_database(admin_url: &str) -> String {
    let database = format!("strata_t_{}", Uuid::new_v4().simple());
    let mut admin = admin_connection(admin_url).await;
    let linguistic = admin
        .execute(AssertSqlSafe(format!(
            "CREATE DATABASE {database} TEMPLATE template0 ENCODING 'UTF8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        )))
        .await;
    if linguistic.is_err() {
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "could not create database {database} on {}: {e}",
                    redact_url(admin_url)
                )
            });
    }
    admin.close().await.ok();
    database
}

async fn open(url: &str) -> SqlCatalog {
    SqlCatalog::open(url).await.unwrap_or_else(|e| {
        panic!(
            "could not open the catalog at {}: {} ({:?})",
            redact_url(url),
            e.message,
            e.kind
        )
    })
}

async fn admin_connection(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "could not connect to {POSTGRES_URL_VAR}={}: {e}",
            redact_url(url)
        )
    })
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The PostgreSQL server URL, or `None` after a skip notice; in CI a missing URL fails.
fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ if in_ci() => panic!(
            "{POSTGRES_URL_VAR} is not set, and CI is: the PostgreSQL catalog tests must run in CI. \
             Start a server with `export {POSTGRES_URL_VAR}=$(scripts/pg.sh start DIR)` first."
        ),
        _ => {
            eprintln!(
                "SKIPPED: {POSTGRES_URL_VAR} is not set, so this PostgreSQL catalog test did not run. \
                 To run it: `export {POSTGRES_URL_VAR}=$(scripts/pg.sh start /tmp/strata-pg)`."
            );
            None
        }
    }
}

/// `url` with its database (the path) replaced by `database`, keeping any query string.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{database}", &base[..path]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn database_urls_keep_everything_but_the_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/strata_test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
}
