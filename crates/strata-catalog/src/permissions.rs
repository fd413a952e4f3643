//! Database token permissions as the catalog stores them: JSON
//! `[{"action", "resource", "databaseId"}]`, where `databaseId` is the database the name named
//! when the permission was granted, so access follows the database and not its name. Also the
//! data migration that binds permissions stored before ids were.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use strata_types::{Action, Error, Permission, Result};

use crate::sql::db_error;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    action: Action,
    resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_id: Option<i64>,
}

pub(crate) fn to_json(permissions: &[Permission]) -> String {
    let stored: Vec<Stored> = permissions
        .iter()
        .map(|p| Stored {
            action: p.action,
            resource: p.resource.clone(),
            database_id: p.database_id,
        })
        .collect();
    serde_json::to_string(&stored).expect("permissions serialize")
}

pub(crate) fn from_json(json: &str) -> Result<Vec<Permission>> {
    let stored: Vec<Stored> = serde_json::from_str(json)
        .map_err(|e| Error::internal(format!("catalog holds malformed permissions: {e}")))?;
    Ok(stored
        .into_iter()
        .map(|s| Permission {
            action: s.action,
            resource: s.resource,
            database_id: s.database_id,
        })
        .collect())
}

/// Binds every stored permission without a database id to the active database of its name.
/// One whose database is gone stays unbound, and allows nothing: a database created later
/// with that name is not the one it was granted on.
pub(crate) async fn bind_to_databases(tx: &mut Transaction<'static, Any>) -> Result<()> {
    let tokens = sqlx::query("SELECT id, permissions FROM database_tokens")
        .fetch_all(&mut **tx)
        .await
        .map_err(db_error)?;
    for token in tokens {
        let id: String = token.try_get("id").map_err(db_error)?;
        let mut permissions = from_json(
            &token
                .try_get::<String, _>("permissions")
                .map_err(db_error)?,
        )?;
        let mut changed = false;
        for permission in &mut permissions {
            if permission.is_all_databases() || permission.database_id.is_some() {
                continue;
            }
            permission.database_id =
                sqlx::query("SELECT id FROM databases WHERE name = $1 AND status = 'active'")
                    .bind(&permission.resource)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?
                    .map(|row| row.try_get::<i64, _>("id"))
                    .transpose()
                    .map_err(db_error)?;
            changed |= permission.database_id.is_some();
        }
        if changed {
            sqlx::query("UPDATE database_tokens SET permissions = $1 WHERE id = $2")
                .bind(to_json(&permissions))
                .bind(&id)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kept_and_older_rows_read_without_them() {
        let bound = Permission {
            database_id: Some(3),
            ..Permission::new(Action::Read, "db")
        };
        let all = Permission::new(Action::Write, "*");
        let json = to_json(&[bound.clone(), all.clone()]);
        assert_eq!(
            json,
            r#"[{"action":"read","resource":"db","databaseId":3},{"action":"write","resource":"*"}]"#
        );
        assert_eq!(from_json(&json).unwrap(), vec![bound, all]);
        let older = from_json(r#"[{"action":"read","resource":"db"}]"#).unwrap();
        assert_eq!(older, vec![Permission::new(Action::Read, "db")]);
    }
}
