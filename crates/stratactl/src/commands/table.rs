use anyhow::{anyhow, bail};
use strata_client::{CreateTable, Table};
use strata_types::validate_table_name;

use super::{show, status_filter, template};
use crate::cli::{FilterStatus, Format, GlobalArgs, TableCommand};
use crate::config::connect;
use crate::log::warning;
use crate::prompt;
use crate::resource_views::{TableJson, tables_table};

fn show_one(format: Format, table: &Table) -> anyhow::Result<()> {
    show(
        format,
        || TableJson::from(table),
        || tables_table(std::slice::from_ref(table), false),
    )
}

fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    validate_table_name(name).map_err(|e| anyhow!("{what}{}", e.message))
}

pub async fn run(global: &GlobalArgs, command: TableCommand) -> anyhow::Result<()> {
    match command {
        TableCommand::Create {
            template: template_args,
            format,
            database,
            table,
        } => {
            check_name("", &table)?;
            let request = CreateTable {
                name: table,
                partition_template: template(&template_args)?,
            };
            let conn = connect(global).await?;
            let created = conn
                .call(conn.client.create_table(&database, &request))
                .await?;
            show_one(format.format, &created)
        }
        TableCommand::List {
            filter_status,
            format,
            database,
        } => {
            let status = status_filter(filter_status);
            let conn = connect(global).await?;
            let tables = conn
                .call(conn.client.list_tables(&database, status))
                .await?;
            show(
                format.format,
                || tables.iter().map(TableJson::from).collect::<Vec<_>>(),
                || tables_table(&tables, filter_status == FilterStatus::Deleted),
            )
        }
        TableCommand::Delete {
            force,
            database,
            table,
        } => {
            prompt::check_can_ask(force, "delete a table")?;
            let conn = connect(global).await?;
            warning!(
                "deleting table {table:?} of database {database:?}: pause writes to it first, or the next write creates a new, empty table of that name; it can be restored with `stratactl table undelete {database} <TABLE_ID>` within the server's undelete window"
            );
            if !prompt::confirm(
                force,
                &format!(
                    "Are you sure you want to delete table {table:?} of database {database:?}?"
                ),
            )? {
                eprintln!("table {table:?} was not deleted");
                return Ok(());
            }
            conn.call(conn.client.delete_table(&database, &table))
                .await?;
            println!("deleted table {table:?} of database {database:?}");
            Ok(())
        }
        TableCommand::Rename {
            format,
            database,
            table,
            new_name,
        } => {
            check_name("the new name: ", &new_name)?;
            let conn = connect(global).await?;
            let renamed = conn
                .call(conn.client.rename_table(&database, &table, &new_name))
                .await?;
            show_one(format.format, &renamed)
        }
        TableCommand::Undelete {
            format,
            database,
            table_id,
        } => {
            let Some(id) = table_id.trim().parse::<i64>().ok().filter(|id| *id > 0) else {
                bail!(
                    "table id {table_id:?} is not a number; undelete takes the numeric id that `stratactl table list --filter-status deleted {database}` shows"
                );
            };
            let conn = connect(global).await?;
            let restored = conn.call(conn.client.undelete_table(&database, id)).await?;
            show_one(format.format, &restored)
        }
    }
}
