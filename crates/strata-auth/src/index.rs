//! The in-memory token index: keyed hash → token state, so that checking a token costs an
//! HMAC and a map lookup, with no catalog round trip.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use strata_catalog::TokenChanges;
use strata_types::{DatabaseToken, Permission, TokenKind, TokenRecord};

use crate::pepper::{TokenHash, decode_hex};

/// A token as the index knows it: its whole catalog record, so listings need no catalog read.
#[derive(Debug)]
pub struct IndexedToken {
    pub kind: TokenKind,
    pub record: TokenRecord,
    pub permissions: Arc<[Permission]>,
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

    /// Tokens of one kind, ordered by creation time then id, as the catalog lists them.
    fn of_kind(&self, kind: TokenKind, include_revoked: bool) -> Vec<Arc<IndexedToken>> {
        let mut found: Vec<_> = self
            .tokens
            .read()
            .expect("token index lock poisoned")
            .values()
            .filter(|t| t.kind == kind && (include_revoked || t.record.revoked_at.is_none()))
            .cloned()
            .collect();
        found.sort_by_key(|t| (t.record.created_at, t.record.id));
        found
    }

    pub fn database_tokens(&self, include_revoked: bool) -> Vec<DatabaseToken> {
        self.of_kind(TokenKind::Database, include_revoked)
            .into_iter()
            .map(|t| DatabaseToken {
                token: t.record.clone(),
                permissions: t.permissions.to_vec(),
            })
            .collect()
    }

    pub fn management_tokens(&self) -> Vec<TokenRecord> {
        self.of_kind(TokenKind::Management, true)
            .into_iter()
            .map(|t| t.record.clone())
            .collect()
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
            let old = tokens.get(&hash);
            let last_use_recorded =
                old.map_or(0, |old| old.last_use_recorded.load(Ordering::Relaxed));
            // Revocation is final: a stale copy of a token never un-revokes it.
            let mut record = record.clone();
            if record.revoked_at.is_none() {
                record.revoked_at = old.and_then(|old| old.record.revoked_at);
            }
            tokens.insert(
                hash,
                Arc::new(IndexedToken {
                    kind,
                    record,
                    permissions,
                    last_use_recorded: AtomicI64::new(last_use_recorded),
                }),
            );
        }
    }
}

fn hash_of(record: &TokenRecord) -> Option<TokenHash> {
    decode_hex(&record.hash)?.try_into().ok()
}
