//! Each node's cache of the databases' registered Parquet files, so a query costs no catalog
//! round trip.
//!
//! Lists are re-read after a maximum age, so files other nodes register and delete are seen
//! within it. This node's own changes (persistence, garbage collection) invalidate the list at
//! once; a read that started before such a change is not kept, so no list missing a file this
//! node registered outlives the change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_catalog::Catalog;
use strata_types::{ParquetFile, Result};

pub(crate) struct FileLists {
    catalog: Arc<dyn Catalog>,
    max_age: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    lists: HashMap<i64, (Arc<Vec<ParquetFile>>, Instant)>,
    /// Counts invalidations: a read that saw another count than now is not kept.
    changes: u64,
}

impl FileLists {
    pub(crate) fn new(catalog: Arc<dyn Catalog>, max_age: Duration) -> Self {
        FileLists {
            catalog,
            max_age,
            state: Mutex::new(State::default()),
        }
    }

    /// The database's files, ordered by table.
    pub(crate) async fn get(&self, database_id: i64) -> Result<Arc<Vec<ParquetFile>>> {
        let changes = {
            let state = self.state.lock().unwrap();
            if let Some((files, read_at)) = state.lists.get(&database_id)
                && read_at.elapsed() < self.max_age
            {
                return Ok(files.clone());
            }
            state.changes
        };
        let read_at = Instant::now();
        let files = Arc::new(self.catalog.list_parquet_files(database_id).await?);
        let mut state = self.state.lock().unwrap();
        if state.changes == changes {
            state.lists.insert(database_id, (files.clone(), read_at));
        }
        Ok(files)
    }

    /// Forgets the lists after this node registered or deleted files.
    pub(crate) fn invalidate(&self) {
        let mut state = self.state.lock().unwrap();
        state.changes += 1;
        state.lists.clear();
    }
}
