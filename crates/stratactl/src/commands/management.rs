use anyhow::bail;
use strata_client::{Client, CreateManagementToken};

use super::token::{print_created, revoke_each};
use super::{parse_expires_at, show};
use crate::cli::{GlobalArgs, ManagementCommand, ManagementSort};
use crate::config::connect;
use crate::resource_views::{ManagementTokenJson, management_table};

/// The description of a management token created without `--description`: the server
/// wants one, and influxctl sends a non-empty one.
const DEFAULT_DESCRIPTION: &str = "created by stratactl";

pub async fn run(global: &GlobalArgs, command: ManagementCommand) -> anyhow::Result<()> {
    match command {
        ManagementCommand::Create {
            description,
            expires_at,
            format,
        } => {
            let description = match description {
                Some(d) if d.trim().is_empty() => {
                    bail!(
                        "--description is empty; say what the token is for, or leave --description out"
                    )
                }
                Some(d) => d,
                None => DEFAULT_DESCRIPTION.to_string(),
            };
            let request = CreateManagementToken {
                description,
                expires_at: expires_at.as_deref().map(parse_expires_at).transpose()?,
            };
            let conn = connect(global).await?;
            let created = conn
                .call(conn.client.create_management_token(&request))
                .await?;
            print_created(
                format.format,
                ManagementTokenJson::from(&created.token),
                &created.token,
                created.access_token.expose(),
            )
        }
        ManagementCommand::List { format, sort } => {
            let conn = connect(global).await?;
            let mut tokens = conn.call(conn.client.list_management_tokens()).await?;
            // Ties (and unset times, which sort first) keep a stable order by id.
            tokens.sort_by(|a, b| {
                let key = match sort {
                    ManagementSort::Created => a.created_at.cmp(&b.created_at),
                    ManagementSort::Id => std::cmp::Ordering::Equal,
                    ManagementSort::Description => a.description.cmp(&b.description),
                    ManagementSort::Prefix => a.token_prefix.cmp(&b.token_prefix),
                    ManagementSort::Expires => a.expires_at.cmp(&b.expires_at),
                    ManagementSort::Revoked => a.revoked_at.cmp(&b.revoked_at),
                };
                key.then(a.id.cmp(&b.id))
            });
            show(
                format.format,
                || {
                    tokens
                        .iter()
                        .map(ManagementTokenJson::from)
                        .collect::<Vec<_>>()
                },
                || management_table(&tokens),
            )
        }
        ManagementCommand::Revoke { args } => {
            revoke_each(
                global,
                args,
                "management token",
                Client::revoke_management_token,
            )
            .await
        }
    }
}
