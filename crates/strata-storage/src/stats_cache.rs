//! The node's cache of [`SeriesStats`]: each Parquet file's, and each table's merged over its
//! files, least recently used first out once they hold more than the configured bytes.
//!
//! A table's merged statistics are kept with the list of files they cover; a query whose file
//! list only adds newer files merges those into the kept ones, any other change merges anew.
//! Statistics too large to keep are not an answer: the query reads rows instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::buffer::TableKey;
use crate::stats::SeriesStats;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    File(Uuid),
    Table(TableKey),
}

struct Entry {
    stats: Arc<SeriesStats>,
    /// For a table, the files its statistics cover, in write order.
    files: Vec<Uuid>,
    bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    clock: u64,
}

pub(crate) struct StatsCache {
    capacity: usize,
    state: Mutex<State>,
}

/// What the cache holds of a table's merged statistics.
pub(crate) struct CachedTable {
    pub stats: Arc<SeriesStats>,
    pub files: Vec<Uuid>,
}

impl StatsCache {
    pub(crate) fn new(capacity: usize) -> Self {
        StatsCache {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    /// The bytes it may hold.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether statistics of this size may be kept at all.
    pub(crate) fn fits(&self, bytes: usize) -> bool {
        bytes <= self.capacity / 2
    }

    pub(crate) fn file(&self, id: Uuid) -> Option<Arc<SeriesStats>> {
        self.get(&Key::File(id)).map(|e| e.stats)
    }

    pub(crate) fn table(&self, key: TableKey) -> Option<CachedTable> {
        self.get(&Key::Table(key)).map(|e| CachedTable {
            stats: e.stats,
            files: e.files,
        })
    }

    pub(crate) fn put_file(&self, id: Uuid, stats: Arc<SeriesStats>) {
        self.put(Key::File(id), stats, Vec::new());
    }

    pub(crate) fn put_table(&self, key: TableKey, stats: Arc<SeriesStats>, files: Vec<Uuid>) {
        self.put(Key::Table(key), stats, files);
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.state.lock().unwrap().bytes
    }

    fn get(&self, key: &Key) -> Option<Entry> {
        let mut state = self.state.lock().unwrap();
        state.clock += 1;
        let now = state.clock;
        let entry = state.entries.get_mut(key)?;
        entry.last_used = now;
        Some(Entry {
            stats: entry.stats.clone(),
            files: entry.files.clone(),
            bytes: entry.bytes,
            last_used: now,
        })
    }

    fn put(&self, key: Key, stats: Arc<SeriesStats>, files: Vec<Uuid>) {
        let bytes = stats.memory_size() + files.len() * size_of::<Uuid>();
        if !self.fits(bytes) {
            return;
        }
        let mut state = self.state.lock().unwrap();
        state.clock += 1;
        let entry = Entry {
            stats,
            files,
            bytes,
            last_used: state.clock,
        };
        if let Some(old) = state.entries.insert(key, entry) {
            state.bytes -= old.bytes;
        }
        state.bytes += bytes;
        while state.bytes > self.capacity {
            let Some(oldest) = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            let entry = state.entries.remove(&oldest).expect("just found");
            state.bytes -= entry.bytes;
        }
    }
}
