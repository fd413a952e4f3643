use anyhow::{anyhow, bail};
use chrono::{DateTime, TimeDelta, Utc};
use strata_client::{AuditEntry, AuditQuery};
use uuid::Uuid;

use super::show;
use crate::cli::{AuditCommand, GlobalArgs};
use crate::config::connect;
use crate::duration::parse_go_duration;
use crate::log::warning;
use crate::resource_views::{AuditJson, audit_table};

/// `--since`/`--until`: an RFC 3339 time, or a Go duration meaning that long ago.
fn parse_time(flag: &str, text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(at) = strata_types::parse_timestamp(text) {
        return Ok(at);
    }
    let ago = parse_go_duration(text)
        .ok()
        .or_else(|| {
            // Days and weeks, which Go durations lack (with Go's optional `+`).
            let days = text.strip_prefix('+').unwrap_or(text);
            if !days.ends_with(['d', 'w']) {
                return None;
            }
            strata_types::parse_duration(days).ok()?.to_std().ok()
        })
        .ok_or_else(|| {
            anyhow!("{flag} {text:?} is neither a time nor a duration; write RFC 3339 such as 2030-01-31T00:00:00Z, or how long ago, such as 90m, 24h or 7d")
        })?;
    let ago = TimeDelta::from_std(ago).map_err(|_| anyhow!("{flag} {text:?} is too long ago"))?;
    now.checked_sub_signed(ago)
        .ok_or_else(|| anyhow!("{flag} {text:?} is too long ago"))
}

fn check_actor(actor: &str) -> anyhow::Result<()> {
    if matches!(actor, "system" | "anonymous") || Uuid::parse_str(actor).is_ok() {
        return Ok(());
    }
    bail!(
        "--actor {:?} is not an actor; give a user or token id (a UUID), `system` or `anonymous`",
        strata_client::redact(actor)
    )
}

pub async fn run(global: &GlobalArgs, command: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::List {
        format,
        actor,
        action,
        since,
        until,
        limit,
        before,
    } = command;
    if let Some(actor) = &actor {
        check_actor(actor)?;
    }
    if limit == 0 {
        bail!("--limit 0 lists nothing; give at least 1");
    }
    let now = Utc::now();
    let since = since
        .as_deref()
        .map(|t| parse_time("--since", t, now))
        .transpose()?;
    let until = until
        .as_deref()
        .map(|t| parse_time("--until", t, now))
        .transpose()?;
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        bail!("--since is after --until; nothing can match");
    }
    let conn = connect(global).await?;
    let mut entries: Vec<AuditEntry> = Vec::new();
    let mut query = AuditQuery {
        actor,
        action,
        since,
        until,
        before,
        limit: None,
    };
    // Page through the log until `limit` entries are in or it runs out.
    let mut more = false;
    while entries.len() < limit as usize {
        let want = (limit as usize - entries.len()).min(AuditQuery::MAX_LIMIT as usize);
        query.limit = Some(want as u32);
        let page = conn.call(conn.client.list_audit_log(&query)).await?;
        let full = page.len() == want;
        query.before = page.last().map(|e| e.id);
        entries.extend(page);
        if !full {
            break;
        }
        more = entries.len() >= limit as usize;
    }
    if more && let Some(last) = entries.last() {
        warning!(
            "showing the newest {limit} matching entries; older ones may follow: add --before {} (or raise --limit)",
            last.id
        );
    }
    show(
        format.format,
        || entries.iter().map(AuditJson::from).collect::<Vec<_>>(),
        || audit_table(&entries),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_ago_in_days_and_weeks() {
        let now = Utc::now();
        let ago = |text: &str| parse_time("--since", text, now).map(|at| now - at);
        assert_eq!(ago("7d").unwrap(), TimeDelta::days(7));
        assert_eq!(ago("+2w").unwrap(), TimeDelta::weeks(2));
        assert_eq!(ago("90m").unwrap(), TimeDelta::minutes(90));
        // Refused, not a panic: a unit that is not ASCII, and weeks beyond any range.
        for bad in ["7µ", "2000000000000000000w", "1.5d", "d"] {
            assert!(ago(bad).is_err(), "{bad}");
        }
    }
}
