//! Helpers shared by the cases.

use std::fmt::Debug;

use chrono::{DateTime, TimeDelta, Utc};
use strata_types::{
    Action, Actor, DatabaseToken, Error, ErrorKind, NewDatabase, Permission, Result, TokenRecord,
};
use uuid::Uuid;

/// Now, at the catalog's precision (microseconds), so that what goes in comes back equal.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).expect("now is representable")
}

pub fn seconds(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

pub fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

/// A database with the defaults `strata` gives one.
pub fn new_database(name: &str) -> NewDatabase {
    NewDatabase {
        name: name.to_string(),
        retention_period_ns: 0,
        max_tables: 500,
        max_columns_per_table: 250,
        partition_template: None,
    }
}

pub fn read(resource: &str) -> Permission {
    Permission::new(Action::Read, resource)
}

pub fn write(resource: &str) -> Permission {
    Permission::new(Action::Write, resource)
}

/// A token record as the auth layer would build it, with a made-up hash.
pub fn token_record(hash: &str, created_at: DateTime<Utc>, created_by: Actor) -> TokenRecord {
    TokenRecord {
        id: Uuid::new_v4(),
        description: format!("token with hash {hash}"),
        hash: hash.to_string(),
        display_prefix: format!("strata_{}", &hash[..hash.len().min(6)]),
        created_at,
        created_by,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

pub fn database_token(
    hash: &str,
    created_at: DateTime<Utc>,
    permissions: Vec<Permission>,
) -> DatabaseToken {
    DatabaseToken {
        token: token_record(hash, created_at, Actor::User(Uuid::new_v4())),
        permissions,
    }
}

/// Asserts that `result` failed with `kind` and a message mentioning every one of `parts`.
#[track_caller]
pub fn expect_err<T: Debug>(result: Result<T>, kind: ErrorKind, parts: &[&str]) -> Error {
    let error = match result {
        Ok(value) => panic!("expected a {kind:?} error, got Ok({value:?})"),
        Err(error) => error,
    };
    assert_eq!(
        error.kind, kind,
        "wrong error kind; the message was {:?}",
        error.message
    );
    for part in parts {
        assert!(
            error.message.contains(part),
            "the {kind:?} message {:?} does not mention {part:?}",
            error.message
        );
    }
    error
}
