//! Each node's cache of database schemas, so a write costs no catalog round trip.
//!
//! Column types never change once set, so a cached schema is never wrong about a column it
//! has; it can only miss columns, tables or a deletion made since it was read. Misses are
//! settled by the catalog (`add_columns` is authoritative), and entries are re-read after
//! [`SchemaCache::max_age`] so deletions and renames reach every node quickly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_catalog::Catalog;
use strata_types::{DatabaseSchema, Result, TableSchema};

pub(crate) struct SchemaCache {
    catalog: Arc<dyn Catalog>,
    max_age: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    schema: Arc<DatabaseSchema>,
    read_at: Instant,
}

impl SchemaCache {
    pub(crate) fn new(catalog: Arc<dyn Catalog>, max_age: Duration) -> Self {
        SchemaCache {
            catalog,
            max_age,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The database's schema, read from the catalog when not cached or too old.
    pub(crate) async fn get(&self, database: &str) -> Result<Arc<DatabaseSchema>> {
        if let Some(entry) = self.entries.lock().unwrap().get(database)
            && entry.read_at.elapsed() < self.max_age
        {
            return Ok(entry.schema.clone());
        }
        self.reload(database).await
    }

    /// The database's schema read from the catalog now.
    pub(crate) async fn reload(&self, database: &str) -> Result<Arc<DatabaseSchema>> {
        match self.catalog.get_schema(database).await {
            Ok(schema) => {
                let schema = Arc::new(schema);
                self.entries.lock().unwrap().insert(
                    database.to_string(),
                    Entry {
                        schema: schema.clone(),
                        read_at: Instant::now(),
                    },
                );
                Ok(schema)
            }
            Err(e) => {
                self.entries.lock().unwrap().remove(database);
                Err(e)
            }
        }
    }

    /// Drops the cached schema of `database`, which was deleted, renamed or restored.
    pub(crate) fn forget(&self, database: &str) {
        self.entries.lock().unwrap().remove(database);
    }

    /// Records a table's schema as the catalog returned it after adding columns.
    pub(crate) fn update_table(&self, database: &str, table: TableSchema) {
        let mut entries = self.entries.lock().unwrap();
        let Some(entry) = entries.get_mut(database) else {
            return;
        };
        if entry.schema.database.id != table.table.database_id {
            return;
        }
        let mut schema = DatabaseSchema::clone(&entry.schema);
        match schema
            .tables
            .iter_mut()
            .find(|t| t.table.id == table.table.id)
        {
            Some(existing) => *existing = table,
            None => {
                schema.tables.push(table);
                schema
                    .tables
                    .sort_by(|a, b| a.table.name.cmp(&b.table.name));
            }
        }
        entry.schema = Arc::new(schema);
    }
}
