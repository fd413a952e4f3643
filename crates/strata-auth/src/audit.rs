//! The audit trail writer: every management action and every failed authentication.

use std::sync::Arc;

use chrono::Utc;
use strata_catalog::Catalog;
use strata_types::{Actor, AuditEvent, Outcome};

#[derive(Clone)]
pub struct Audit {
    catalog: Arc<dyn Catalog>,
}

impl Audit {
    pub fn new(catalog: Arc<dyn Catalog>) -> Self {
        Self { catalog }
    }

    /// Appends one entry. A failure to append is logged, not returned: the action it
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
        let event = AuditEvent {
            time: Utc::now(),
            actor,
            action: action.to_string(),
            target: target.into(),
            source: source.to_string(),
            outcome,
            detail: detail.into(),
        };
        if let Err(e) = self.catalog.append_audit(&event).await {
            tracing::error!(action, error = %e, "could not append to the audit log");
        }
    }
}
