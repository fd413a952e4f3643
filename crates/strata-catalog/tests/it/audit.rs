//! The audit log: append, then list newest first with filters and pages.

use chrono::{DateTime, TimeDelta, Utc};
use strata_catalog::Catalog;
use strata_types::{Actor, AuditEntry, AuditEvent, AuditQuery, Outcome};
use uuid::Uuid;

fn event(minute: i64, actor: Actor, action: &str, target: &str, outcome: Outcome) -> AuditEvent {
    AuditEvent {
        time: base() + TimeDelta::minutes(minute),
        actor,
        action: action.to_string(),
        target: target.to_string(),
        source: format!("10.0.0.{minute}"),
        outcome,
        detail: format!("event at minute {minute}"),
    }
}

fn base() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("2026-01-01 is representable")
}

fn at(minute: i64) -> DateTime<Utc> {
    base() + TimeDelta::minutes(minute)
}

/// The minutes (event numbers) of the entries, in the order listed.
fn minutes(entries: &[AuditEntry]) -> Vec<i64> {
    entries
        .iter()
        .map(|e| (e.event.time - base()).num_minutes())
        .collect()
}

fn query() -> AuditQuery {
    AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    }
}

pub async fn audit_lists_newest_first_with_filters_and_pages(catalog: &dyn Catalog) {
    assert!(catalog.list_audit(&query()).await.unwrap().is_empty());

    let user = Uuid::new_v4();
    let token = Uuid::new_v4();
    let events = [
        event(
            0,
            Actor::User(user),
            "database.create",
            "db1",
            Outcome::Success,
        ),
        event(
            1,
            Actor::ManagementToken(token),
            "token.create",
            "token",
            Outcome::Success,
        ),
        event(
            2,
            Actor::User(user),
            "database.delete",
            "db1",
            Outcome::Success,
        ),
        event(3, Actor::Anonymous, "auth", "", Outcome::Denied),
        event(
            4,
            Actor::ManagementToken(token),
            "database.create",
            "db2",
            Outcome::Success,
        ),
        event(
            5,
            Actor::System,
            "management.create",
            "token",
            Outcome::Success,
        ),
        event(
            6,
            Actor::User(user),
            "database.create",
            "db3",
            Outcome::Failed,
        ),
    ];
    // One entry on its own, then the rest as one batch: both keep their order.
    catalog.append_audit(&events[..1]).await.unwrap();
    catalog.append_audit(&events[1..]).await.unwrap();

    // Everything, newest first, exactly as appended.
    let all = catalog.list_audit(&query()).await.unwrap();
    assert_eq!(minutes(&all), [6, 5, 4, 3, 2, 1, 0]);
    let listed: Vec<AuditEvent> = all.iter().map(|e| e.event.clone()).collect();
    let newest_first: Vec<AuditEvent> = events.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "ids must fall");
    let id_of = |minute: usize| all[6 - minute].id;

    // Filters, alone and together.
    let by_user = AuditQuery {
        actor_id: Some(user),
        ..query()
    };
    assert_eq!(
        minutes(&catalog.list_audit(&by_user).await.unwrap()),
        [6, 2, 0]
    );
    let by_token = AuditQuery {
        actor_id: Some(token),
        ..query()
    };
    assert_eq!(
        minutes(&catalog.list_audit(&by_token).await.unwrap()),
        [4, 1]
    );
    for (kind, expected) in [("system", [5]), ("anonymous", [3])] {
        let by_kind = AuditQuery {
            actor_kind: Some(kind.into()),
            ..query()
        };
        assert_eq!(
            minutes(&catalog.list_audit(&by_kind).await.unwrap()),
            expected,
            "{kind}"
        );
    }
    let creates = AuditQuery {
        action: Some("database.create".into()),
        ..query()
    };
    assert_eq!(
        minutes(&catalog.list_audit(&creates).await.unwrap()),
        [6, 4, 0]
    );
    let user_creates = AuditQuery {
        actor_id: Some(user),
        action: Some("database.create".into()),
        ..query()
    };
    assert_eq!(
        minutes(&catalog.list_audit(&user_creates).await.unwrap()),
        [6, 0]
    );
    let nobody = AuditQuery {
        actor_id: Some(Uuid::new_v4()),
        ..query()
    };
    assert!(catalog.list_audit(&nobody).await.unwrap().is_empty());

    // `since` is inclusive, `until` exclusive.
    let since = AuditQuery {
        since: Some(at(2)),
        ..query()
    };
    assert_eq!(
        minutes(&catalog.list_audit(&since).await.unwrap()),
        [6, 5, 4, 3, 2]
    );
    let until = AuditQuery {
        until: Some(at(2)),
        ..query()
    };
    assert_eq!(minutes(&catalog.list_audit(&until).await.unwrap()), [1, 0]);
    let window = AuditQuery {
        since: Some(at(1)),
        until: Some(at(4)),
        ..query()
    };
    assert_eq!(
        minutes(&catalog.list_audit(&window).await.unwrap()),
        [3, 2, 1]
    );

    // Pages of two, each starting before the last id seen.
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = catalog
            .list_audit(&AuditQuery {
                before,
                limit: 2,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        pages.push(minutes(&page));
    }
    assert_eq!(pages, [vec![6, 5], vec![4, 3], vec![2, 1], vec![0]]);

    // `before` and `limit` with a filter.
    let page = catalog
        .list_audit(&AuditQuery {
            action: Some("database.create".into()),
            before: Some(id_of(6)),
            limit: 1,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(minutes(&page), [4]);
    let page = catalog
        .list_audit(&AuditQuery {
            before: Some(id_of(4)),
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(minutes(&page), [3, 2, 1, 0]);
}

pub async fn audit_entries_older_than_the_retention_are_pruned(catalog: &dyn Catalog) {
    let events: Vec<AuditEvent> = (0..5)
        .map(|minute| {
            event(
                minute,
                Actor::System,
                "database.create",
                "db",
                Outcome::Success,
            )
        })
        .collect();
    catalog.append_audit(&events).await.unwrap();
    assert_eq!(catalog.prune_audit(at(2)).await.unwrap(), 2);
    assert_eq!(
        minutes(&catalog.list_audit(&query()).await.unwrap()),
        [4, 3, 2]
    );
    assert_eq!(
        catalog.prune_audit(at(2)).await.unwrap(),
        0,
        "nothing left to prune"
    );
}
