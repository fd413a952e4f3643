//! The audit trail writer: every management change and every failed authentication.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{TimeDelta, Utc};
use strata_catalog::Catalog;
use strata_types::{Actor, AuditEvent, Outcome};
use tokio::sync::mpsc;

use crate::redact_secrets;

/// Entries waiting for the background writer; past this, new ones are dropped (and counted).
const BACKGROUND_QUEUE: usize = 10_000;
/// The most entries the background writer appends in one transaction.
const BATCH: usize = 500;
/// The most characters an entry keeps of its target and of its detail: an entry's size must
/// not follow what a caller sent.
const MAX_TARGET_CHARS: usize = 256;
const MAX_DETAIL_CHARS: usize = 1024;

#[derive(Clone)]
pub struct Audit {
    catalog: Arc<dyn Catalog>,
    background: mpsc::Sender<AuditEvent>,
    dropped: Arc<AtomicU64>,
}

impl Audit {
    /// Starts the background writer; must be called inside a Tokio runtime.
    pub fn new(catalog: Arc<dyn Catalog>) -> Self {
        let (background, mut queue) = mpsc::channel::<AuditEvent>(BACKGROUND_QUEUE);
        let writer = catalog.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while queue.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = writer.append_audit(&batch).await {
                    tracing::error!(entries = batch.len(), error = %e, "could not append to the audit log");
                }
                batch.clear();
            }
        });
        Self {
            catalog,
            background,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Appends one entry before returning; anything shaped like a token in `target` or
    /// `detail` is redacted. A failure to append is logged, not returned: the action it
    /// describes has already happened (or been refused) and its caller deserves that answer.
    pub async fn record(
        &self,
        actor: Actor,
        action: &str,
        target: impl Into<String>,
        source: &str,
        outcome: Outcome,
        detail: impl Into<String>,
    ) {
        let event = event(actor, action, target.into(), source, outcome, detail.into());
        if let Err(e) = self
            .catalog
            .append_audit(std::slice::from_ref(&event))
            .await
        {
            tracing::error!(action, error = %e, "could not append to the audit log");
        }
    }

    /// Queues an entry for the background writer, which appends in batches. For refusals that
    /// anyone can cause without a credential: a flood of them costs a bounded queue and batched
    /// writes, never the caller's latency. Entries beyond the queue are dropped and counted.
    pub fn record_in_background(
        &self,
        actor: Actor,
        action: &str,
        target: impl Into<String>,
        source: &str,
        outcome: Outcome,
        detail: impl Into<String>,
    ) {
        let event = event(actor, action, target.into(), source, outcome, detail.into());
        if self.background.try_send(event).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    "the audit queue is full; entries are being dropped"
                );
            }
        }
    }

    /// Deletes entries older than `retention`, now and then every `period`, until the
    /// process ends. Every node may run it: deleting is idempotent.
    pub fn spawn_retention(
        &self,
        retention: TimeDelta,
        period: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let catalog = self.catalog.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match catalog.prune_audit(Utc::now() - retention).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "pruned the audit log"),
                    Err(e) => tracing::warn!(error = %e, "could not prune the audit log"),
                }
            }
        })
    }
}

fn event(
    actor: Actor,
    action: &str,
    target: String,
    source: &str,
    outcome: Outcome,
    detail: String,
) -> AuditEvent {
    AuditEvent {
        time: Utc::now(),
        actor,
        action: action.to_string(),
        target: shortened(&redact_secrets(&target), MAX_TARGET_CHARS),
        source: shortened(source, MAX_TARGET_CHARS),
        outcome,
        detail: shortened(&redact_secrets(&detail), MAX_DETAIL_CHARS),
    }
}

/// `text` cut to `max` characters, marked with `…` when cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_a_bounded_part_of_what_callers_sent() {
        let long = "é".repeat(5000);
        let event = event(
            Actor::Anonymous,
            "login.failed",
            long.clone(),
            &long,
            Outcome::Denied,
            long.clone(),
        );
        assert_eq!(event.target.chars().count(), MAX_TARGET_CHARS + 1);
        assert!(event.target.ends_with('…'));
        assert_eq!(event.source.chars().count(), MAX_TARGET_CHARS + 1);
        assert_eq!(event.detail.chars().count(), MAX_DETAIL_CHARS + 1);
        assert_eq!(shortened("short", 10), "short");
    }
}
