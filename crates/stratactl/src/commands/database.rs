use anyhow::{anyhow, bail};
use strata_client::{CreateDatabase, Database, StatusFilter, UpdateDatabase};
use strata_types::{MAX_COLUMNS_PER_TABLE_LIMIT, validate_database_name};

use super::{each, show, status_filter, template};
use crate::cli::{DatabaseCommand, FilterStatus, Format, GlobalArgs};
use crate::config::connect;
use crate::duration::parse_retention;
use crate::log::warning;
use crate::prompt;
use crate::resource_views::{DatabaseJson, databases_table};

fn check_name(flag: &str, name: &str) -> anyhow::Result<()> {
    validate_database_name(name).map_err(|e| anyhow!("{flag}{}", e.message))
}

fn retention(text: &str) -> anyhow::Result<i64> {
    parse_retention(text).map_err(|e| anyhow!("--retention-period: {e}"))
}

fn max_tables(value: i64) -> anyhow::Result<i32> {
    i32::try_from(value)
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| anyhow!("--max-tables {value} is out of range; give a positive number (0 takes the default of 500)"))
}

fn max_columns(value: i64) -> anyhow::Result<i32> {
    i32::try_from(value)
        .ok()
        .filter(|v| (0..=MAX_COLUMNS_PER_TABLE_LIMIT).contains(v))
        .ok_or_else(|| {
            anyhow!("--max-columns {value} is out of range; give 1 to {MAX_COLUMNS_PER_TABLE_LIMIT} (0 takes the default of 250)")
        })
}

fn show_one(format: Format, db: &Database) -> anyhow::Result<()> {
    show(
        format,
        || DatabaseJson::from(db),
        || databases_table(std::slice::from_ref(db), false),
    )
}

pub async fn run(global: &GlobalArgs, command: DatabaseCommand) -> anyhow::Result<()> {
    match command {
        DatabaseCommand::Create {
            retention_period,
            max_tables: tables,
            max_columns: columns,
            template: template_args,
            format,
            name,
        } => {
            check_name("", &name)?;
            let request = CreateDatabase {
                name,
                retention_period: Some(retention(&retention_period)?),
                max_tables: Some(max_tables(tables)?).filter(|v| *v != 0),
                max_columns_per_table: Some(max_columns(columns)?).filter(|v| *v != 0),
                partition_template: template(&template_args)?,
            };
            let conn = connect(global).await?;
            let db = conn.call(conn.client.create_database(&request)).await?;
            show_one(format.format, &db)
        }
        DatabaseCommand::List {
            filter_status,
            format,
        } => {
            let status = status_filter(filter_status);
            let conn = connect(global).await?;
            let databases = conn.call(conn.client.list_databases(status)).await?;
            show(
                format.format,
                || databases.iter().map(DatabaseJson::from).collect::<Vec<_>>(),
                || databases_table(&databases, filter_status == FilterStatus::Deleted),
            )
        }
        DatabaseCommand::Update {
            retention_period,
            max_tables: tables,
            max_columns: columns,
            format,
            name,
        } => {
            let request = UpdateDatabase {
                retention_period: retention_period.as_deref().map(retention).transpose()?,
                max_tables: tables.map(max_tables).transpose()?,
                max_columns_per_table: columns.map(max_columns).transpose()?,
            };
            if request == UpdateDatabase::default() {
                bail!(
                    "nothing to update: give --retention-period, --max-tables and/or --max-columns (the name and partition template cannot be changed here; use `database rename` for the name)"
                );
            }
            let conn = connect(global).await?;
            let db = conn
                .call(conn.client.update_database(&name, &request))
                .await?;
            show_one(format.format, &db)
        }
        DatabaseCommand::Delete { force, names } => {
            prompt::check_can_ask(force, "delete databases")?;
            let conn = connect(global).await?;
            each(&names, "database deletions", |name| {
                let conn = &conn;
                let name = name.clone();
                async move {
                    warning!(
                        "deleting database {name:?}: its data stops being readable or writable; it can be restored with `stratactl database undelete {name}` within the server's undelete window (14 days by default)"
                    );
                    warning!(
                        "database tokens are bound to names: tokens that grant access to {name:?} also grant it on any new database created with that name"
                    );
                    if !prompt::confirm(force, &format!("Are you sure you want to delete database {name:?}?"))? {
                        eprintln!("database {name:?} was not deleted");
                        return Ok(None);
                    }
                    conn.call(conn.client.delete_database(&name)).await?;
                    Ok(Some(format!("deleted database {name:?}")))
                }
            })
            .await
        }
        DatabaseCommand::Rename {
            format,
            name,
            new_name,
        } => {
            check_name("the new name: ", &new_name)?;
            let conn = connect(global).await?;
            let db = conn
                .call(conn.client.rename_database(&name, &new_name))
                .await?;
            warning!(
                "database tokens that name {name:?} no longer grant access to it; update them with `stratactl token update` to name {new_name:?}"
            );
            show_one(format.format, &db)
        }
        DatabaseCommand::Undelete { format, name } => {
            let conn = connect(global).await?;
            let deleted = conn
                .call(conn.client.list_databases(StatusFilter::Deleted))
                .await?;
            let mut candidates: Vec<&Database> =
                deleted.iter().filter(|d| d.name == name).collect();
            if candidates.is_empty()
                && let Ok(id) = name.parse::<i64>()
            {
                candidates = deleted.iter().filter(|d| d.id == id).collect();
            }
            // The most recently deleted first.
            candidates.sort_by_key(|d| std::cmp::Reverse(d.deleted_at));
            let Some(db) = candidates.first() else {
                bail!(
                    "no deleted database is named {name:?}; `stratactl database list --filter-status deleted` lists the ones that can be undeleted"
                );
            };
            if candidates.len() > 1 {
                warning!(
                    "{} deleted databases are named {name:?}; undeleting the most recently deleted one (id {})",
                    candidates.len(),
                    db.id
                );
            }
            let restored = conn.call(conn.client.undelete_database(db.id)).await?;
            show_one(format.format, &restored)
        }
    }
}
