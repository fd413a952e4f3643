//! [`Authenticator`]: checks credentials against the index and runs the token lifecycle
//! (mint, update, revoke), writing the catalog first and then refreshing the index, so a
//! change is in force on this node before the call that made it returns.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use strata_catalog::{Catalog, TokenChanges};
use strata_types::{Actor, DatabaseToken, Error, Permission, Result, TokenKind, TokenRecord};
use tokio::sync::{Mutex, mpsc};
use uuid::Uuid;

use crate::index::TokenIndex;
use crate::pepper::encode_hex;
use crate::{
    AuthFailure, LAST_USED_RESOLUTION, ManagementAction, MintedSecret, Pepper, Principal,
    TOKEN_REFRESH_INTERVAL, TokenClass,
};

/// Token changes kept in the feed; a node further behind than this reloads every token.
const TOKEN_CHANGES_KEPT: i64 = 100_000;
/// How often (in refresh ticks) a node prunes the change feed.
const PRUNE_EVERY_TICKS: u64 = 300;
const PEPPER_FINGERPRINT_KEY: &str = "token_pepper_fingerprint";
const PEPPER_FINGERPRINT_TEXT: &str = "strata token pepper fingerprint v1";

/// The least time between two index refreshes caused by unknown tokens.
const MISS_REFRESH_SPACING: std::time::Duration = std::time::Duration::from_millis(100);

/// A database token to create, as the caller asked for it.
#[derive(Debug, Clone)]
pub struct NewDatabaseToken {
    pub description: String,
    pub permissions: Vec<Permission>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A management token to create, as the caller asked for it.
#[derive(Debug, Clone)]
pub struct NewManagementToken {
    pub description: String,
    pub expires_at: Option<DateTime<Utc>>,
}

pub struct Authenticator {
    catalog: Arc<dyn Catalog>,
    pepper: Pepper,
    index: TokenIndex,
    /// The newest catalog change the index has taken in; the lock keeps refreshes in order.
    seq: Mutex<i64>,
    /// When the last refresh caused by an unknown token started.
    miss_refresh: Mutex<Option<std::time::Instant>>,
    last_used: mpsc::Sender<(TokenKind, Uuid, DateTime<Utc>)>,
}

impl Authenticator {
    /// Loads every token into the index and starts the task that writes `last_used_at`.
    /// Must be called inside a Tokio runtime.
    pub async fn new(catalog: Arc<dyn Catalog>, pepper: Pepper) -> Result<Arc<Self>> {
        let (last_used, mut uses) = mpsc::channel::<(TokenKind, Uuid, DateTime<Utc>)>(1024);
        let writer_catalog = catalog.clone();
        tokio::spawn(async move {
            while let Some((kind, id, at)) = uses.recv().await {
                if let Err(e) = writer_catalog.record_token_use(kind, id, at).await {
                    tracing::warn!(token_id = %id, error = %e, "could not record token use");
                }
            }
        });
        let auth = Arc::new(Self {
            catalog,
            pepper,
            index: TokenIndex::default(),
            seq: Mutex::new(0),
            miss_refresh: Mutex::new(None),
            last_used,
        });
        auth.check_pepper().await?;
        auth.refresh().await?;
        Ok(auth)
    }

    /// Every node and admin command on a catalog must hash with the same pepper, or tokens
    /// minted by one are refused by another. The first to open the catalog records the
    /// pepper's fingerprint (an HMAC of a fixed text, which reveals nothing of the pepper);
    /// the rest must match it.
    async fn check_pepper(&self) -> Result<()> {
        let fingerprint = encode_hex(&self.pepper.hash(PEPPER_FINGERPRINT_TEXT));
        let recorded = self
            .catalog
            .claim_setting(PEPPER_FINGERPRINT_KEY, &fingerprint)
            .await?;
        if recorded != fingerprint {
            return Err(Error::invalid(
                "the token pepper differs from the one this catalog's tokens were made with; give every node and admin command the same pepper (--token-pepper-file, STRATA_TOKEN_PEPPER, or the token-pepper file of the first node's data directory)",
            ));
        }
        Ok(())
    }

    pub fn catalog(&self) -> &Arc<dyn Catalog> {
        &self.catalog
    }

    pub fn index(&self) -> &TokenIndex {
        &self.index
    }

    /// Takes token changes made anywhere in the cluster into this node's index.
    pub async fn refresh(&self) -> Result<()> {
        let mut seq = self.seq.lock().await;
        let changes = self.catalog.token_changes_since(*seq).await?;
        self.index.apply(&changes);
        *seq = changes.seq;
        Ok(())
    }

    /// Database tokens as the catalog holds them now: the index, refreshed first, so a listing
    /// costs one change-feed read instead of reading every token row.
    pub async fn list_database_tokens(&self, include_revoked: bool) -> Result<Vec<DatabaseToken>> {
        self.refresh().await?;
        Ok(self.index.database_tokens(include_revoked))
    }

    /// Every management token, revoked ones included; see [`Self::list_database_tokens`].
    pub async fn list_management_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.refresh().await?;
        Ok(self.index.management_tokens())
    }

    /// Refreshes the index every [`TOKEN_REFRESH_INTERVAL`] until the process ends.
    pub fn spawn_refresh(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let auth = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TOKEN_REFRESH_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            loop {
                tick.tick().await;
                let Some(auth) = auth.upgrade() else { return };
                if let Err(e) = auth.refresh().await {
                    tracing::warn!(error = %e, "could not refresh the token index");
                }
                ticks += 1;
                if ticks.is_multiple_of(PRUNE_EVERY_TICKS) {
                    match auth.catalog.prune_token_changes(TOKEN_CHANGES_KEPT).await {
                        Ok(0) => {}
                        Ok(removed) => tracing::debug!(removed, "pruned the token change feed"),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not prune the token change feed")
                        }
                    }
                }
            }
        })
    }

    /// Like [`Self::authenticate`], but a well-formed token this node has not seen yet (minted
    /// on another node or offline moments ago) waits for a catalog refresh that starts after
    /// the request arrived, so new tokens work at once. Such refreshes run one at a time, at
    /// most one per [`MISS_REFRESH_SPACING`], and every request waiting on one is answered by
    /// it: a flood of made-up tokens costs a bounded number of catalog reads.
    pub async fn authenticate_fresh(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Principal, AuthFailure> {
        match self.authenticate(secret, now) {
            Err(AuthFailure::Invalid) if TokenClass::of(secret).is_some() => {
                self.refresh_after(std::time::Instant::now()).await;
                self.authenticate(secret, now)
            }
            other => other,
        }
    }

    /// Makes sure a refresh that started at or after `asked_at` has completed.
    async fn refresh_after(&self, asked_at: std::time::Instant) {
        let mut last_started = self.miss_refresh.lock().await;
        if last_started.is_some_and(|started| started >= asked_at) {
            return;
        }
        if let Some(started) = *last_started {
            tokio::time::sleep_until((started + MISS_REFRESH_SPACING).into()).await;
        }
        let started = std::time::Instant::now();
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "could not refresh the token index");
        }
        *last_started = Some(started);
    }

    /// Checks a token secret: format, keyed hash, index lookup, revocation and expiry.
    pub fn authenticate(&self, secret: &str, now: DateTime<Utc>) -> Result<Principal, AuthFailure> {
        if TokenClass::of(secret).is_none() {
            return Err(AuthFailure::Invalid);
        }
        let token = self
            .index
            .get(&self.pepper.hash(secret))
            .ok_or(AuthFailure::Invalid)?;
        let (id, kind) = (token.record.id, token.kind);
        if token.record.revoked_at.is_some() {
            return Err(AuthFailure::Revoked { kind, id });
        }
        if token.record.expires_at.is_some_and(|at| now >= at) {
            return Err(AuthFailure::Expired { kind, id });
        }
        self.note_use(&token, now);
        Ok(match token.kind {
            TokenKind::Management => Principal::ManagementToken {
                id,
                expires_at: token.record.expires_at,
            },
            TokenKind::Database => Principal::DatabaseToken {
                id,
                permissions: token.permissions.clone(),
            },
        })
    }

    /// Queues a `last_used_at` write unless one went out for this token within the resolution.
    fn note_use(&self, token: &crate::IndexedToken, now: DateTime<Utc>) {
        let now_us = now.timestamp_micros();
        let last = token.last_use_recorded.load(Ordering::Relaxed);
        if now_us - last < LAST_USED_RESOLUTION.num_microseconds().unwrap_or(i64::MAX) {
            return;
        }
        if token
            .last_use_recorded
            .compare_exchange(last, now_us, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            // A full queue drops the update: last-used is advisory and must never slow a request.
            let _ = self.last_used.try_send((token.kind, token.record.id, now));
        }
    }

    fn token_record(
        &self,
        minted: &MintedSecret,
        description: String,
        created_by: Actor,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> TokenRecord {
        TokenRecord {
            id: Uuid::new_v4(),
            description,
            hash: encode_hex(&self.pepper.hash(&minted.secret)),
            display_prefix: minted.display_prefix(),
            created_at: catalog_precision(now),
            created_by,
            expires_at: expires_at.map(catalog_precision),
            revoked_at: None,
            last_used_at: None,
        }
    }

    /// Creates a database token; returns it with the secret, which is never seen again.
    pub async fn create_database_token(
        &self,
        creator: &Principal,
        new: NewDatabaseToken,
        now: DateTime<Utc>,
    ) -> Result<(DatabaseToken, String)> {
        creator.authorize(ManagementAction::ManageDatabaseTokens)?;
        let permissions = self.checked_permissions(creator, new.permissions).await?;
        let expires_at = checked_expiry(creator, new.expires_at, now)?;
        let minted = MintedSecret::mint(TokenClass::Database);
        let token = DatabaseToken {
            token: self.token_record(&minted, new.description, creator.actor(), expires_at, now),
            permissions,
        };
        self.catalog.create_database_token(&token).await?;
        self.take_in_committed(TokenChanges {
            database: vec![token.clone()],
            ..TokenChanges::default()
        })
        .await;
        Ok((token, minted.secret))
    }

    /// Changes a database token's description and/or replaces its whole permission set.
    pub async fn update_database_token(
        &self,
        editor: &Principal,
        id: Uuid,
        description: Option<String>,
        permissions: Option<Vec<Permission>>,
    ) -> Result<DatabaseToken> {
        editor.authorize(ManagementAction::ManageDatabaseTokens)?;
        let permissions = match permissions {
            Some(p) => Some(self.checked_permissions(editor, p).await?),
            None => None,
        };
        let token = self
            .catalog
            .update_database_token(id, description, permissions)
            .await?;
        self.take_in_committed(TokenChanges {
            database: vec![token.clone()],
            ..TokenChanges::default()
        })
        .await;
        Ok(token)
    }

    pub async fn revoke_database_token(
        &self,
        revoker: &Principal,
        id: Uuid,
    ) -> Result<DatabaseToken> {
        revoker.authorize(ManagementAction::ManageDatabaseTokens)?;
        let token = self.catalog.revoke_database_token(id, Utc::now()).await?;
        self.take_in_committed(TokenChanges {
            database: vec![token.clone()],
            ..TokenChanges::default()
        })
        .await;
        Ok(token)
    }

    /// Creates a management token for `creator` (a principal, or the offline admin command
    /// when `None`). A token minted by a credential that expires cannot outlive it.
    pub async fn create_management_token(
        &self,
        creator: Option<&Principal>,
        new: NewManagementToken,
        now: DateTime<Utc>,
    ) -> Result<(TokenRecord, String)> {
        let (actor, expires_at) = match creator {
            Some(principal) => {
                principal.authorize(ManagementAction::CreateManagementTokens)?;
                (
                    principal.actor(),
                    checked_expiry(principal, new.expires_at, now)?,
                )
            }
            None => (Actor::System, future_expiry(new.expires_at, now)?),
        };
        if new.description.trim().is_empty() {
            return Err(Error::invalid(
                "a management token needs a description saying what it is for",
            ));
        }
        let minted = MintedSecret::mint(TokenClass::Management);
        let token = self.token_record(&minted, new.description, actor, expires_at, now);
        self.catalog.create_management_token(&token).await?;
        self.take_in_committed(TokenChanges {
            management: vec![token.clone()],
            ..TokenChanges::default()
        })
        .await;
        Ok((token, minted.secret))
    }

    pub async fn revoke_management_token(
        &self,
        revoker: Option<&Principal>,
        id: Uuid,
    ) -> Result<TokenRecord> {
        if let Some(principal) = revoker {
            principal.authorize(ManagementAction::RevokeManagementTokens)?;
        }
        let token = self.catalog.revoke_management_token(id, Utc::now()).await?;
        self.take_in_committed(TokenChanges {
            management: vec![token.clone()],
            ..TokenChanges::default()
        })
        .await;
        Ok(token)
    }

    /// After a token change is committed, catches the index up with the catalog, so the change
    /// is in force here before the caller hears of it. Should that read fail, the changed token
    /// goes into the index on its own (the next refresh brings the rest): the change has been
    /// made, so it is never reported as failed.
    async fn take_in_committed(&self, changed: TokenChanges) {
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "could not refresh the token index after a change; taking in the change alone");
            self.index.apply(&changed);
        }
    }

    /// Validates a permission set: well-formed, grantable by `creator`, naming databases that
    /// exist (or `*`), each bound to the id of the database it names; duplicates are dropped
    /// and the set is sorted.
    async fn checked_permissions(
        &self,
        creator: &Principal,
        permissions: Vec<Permission>,
    ) -> Result<Vec<Permission>> {
        let mut checked = Vec::with_capacity(permissions.len());
        for permission in permissions {
            permission.validate()?;
            if !creator.may_grant(&permission) {
                return Err(Error::permission_denied(format!(
                    "you may not grant {} on {:?}",
                    permission.action.as_str(),
                    permission.resource
                )));
            }
            let database_id = if permission.is_all_databases() {
                None
            } else {
                let database = self.catalog.get_database(&permission.resource).await.map_err(|e| {
                    if e.kind == strata_types::ErrorKind::NotFound {
                        Error::invalid(format!(
                            "permission names database {:?}, which does not exist; create it first or use \"*\"",
                            permission.resource
                        ))
                    } else {
                        e
                    }
                })?;
                Some(database.id)
            };
            checked.push(Permission {
                database_id,
                ..permission
            });
        }
        checked.sort();
        checked.dedup();
        Ok(checked)
    }
}

/// Times as the catalog keeps them (microseconds), so a token reads the same before and
/// after it is stored.
fn catalog_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// An expiry must lie in the future.
fn future_expiry(
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    match expires_at {
        Some(at) if at <= now => Err(Error::invalid(format!(
            "expiresAt {} is not in the future",
            at.to_rfc3339()
        ))),
        other => Ok(other),
    }
}

/// The expiry of a token a principal creates: in the future and no later than the expiry of
/// the creator's own credential (a management token with `expiresAt`, or a user's session),
/// which it inherits when none is asked for: a credential cannot outlive itself by minting
/// another.
fn checked_expiry(
    creator: &Principal,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let expires_at = future_expiry(expires_at, now)?;
    match (creator.expires_at(), expires_at) {
        (Some(limit), None) => Ok(Some(limit)),
        (Some(limit), Some(at)) if at > limit => Err(Error::invalid(format!(
            "expiresAt {} is later than your own credential's expiry ({}); a token cannot outlive the credential that creates it: create it with a management token that does not expire",
            at.to_rfc3339(),
            limit.to_rfc3339()
        ))),
        (_, at) => Ok(at),
    }
}
