//! The in-memory token index: keyed hash → token state, so that checking a token costs an
//! HMAC and a map lookup, with no catalog round trip.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use strata_catalog::TokenChanges;
use strata_types::{Permission, TokenKind, TokenRecord};
use uuid::Uuid;

use crate::pepper::{TokenHash, decode_hex};

#[derive(Debug)]
pub struct IndexedToken {
    pub kind: TokenKind,
    pub id: Uuid,
    pub permissions: Arc<[Permission]>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When this node last wrote `last_used_at` for the token (µs since the epoch; 0 = never).
    pub(crate) last_use_recorded: AtomicI64,
}

#[derive(Default)]
pub struct TokenIndex {
    tokens: RwLock<HashMap<TokenHash, Arc<IndexedToken>>>,
}

impl TokenIndex {
    pub fn get(&self, hash: &TokenHash) -> Option<Arc<IndexedToken>> {
        self.tokens
            .read()
            .expect("token index lock poisoned")
            .get(hash)
            .cloned()
    }

    pub fn len(&self) -> usize {
        self.tokens.read().expect("token index lock poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes in tokens read from the catalog, replacing older state of the same tokens.
    pub fn apply(&self, changes: &TokenChanges) {
        let entries = changes
            .management
            .iter()
            .map(|t| (TokenKind::Management, t, Arc::from(Vec::new())))
            .chain(changes.database.iter().map(|t| {
                (
                    TokenKind::Database,
                    &t.token,
                    Arc::from(t.permissions.clone()),
                )
            }));
        let mut tokens = self.tokens.write().expect("token index lock poisoned");
        for (kind, record, permissions) in entries {
            let Some(hash) = hash_of(record) else {
                tracing::error!(token_id = %record.id, "catalog holds a malformed token hash; token ignored");
                continue;
            };
            let last_use_recorded = tokens
                .get(&hash)
                .map_or(0, |old| old.last_use_recorded.load(Ordering::Relaxed));
            tokens.insert(
                hash,
                Arc::new(IndexedToken {
                    kind,
                    id: record.id,
                    permissions,
                    expires_at: record.expires_at,
                    revoked_at: record.revoked_at,
                    last_use_recorded: AtomicI64::new(last_use_recorded),
                }),
            );
        }
    }
}

fn hash_of(record: &TokenRecord) -> Option<TokenHash> {
    decode_hex(&record.hash)?.try_into().ok()
}
