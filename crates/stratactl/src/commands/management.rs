use anyhow::bail;
use strata_client::CreateManagementToken;

use super::token::secret_warnings;
use super::{ArgText, each, parse_expires_at, parse_token_id, show};
use crate::cli::{Format, GlobalArgs, ManagementCommand, ManagementSort};
use crate::config::connect;
use crate::output::print_json;
use crate::prompt;
use crate::views::{ManagementTokenJson, WithSecret, created_detail, management_table};

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
            let conn = connect(global)?;
            let created = conn
                .client
                .create_management_token(&request)
                .await
                .map_err(|e| conn.explain(e))?;
            let secret = created.access_token.expose();
            match format.format {
                Format::Json => {
                    secret_warnings();
                    print_json(&WithSecret {
                        object: ManagementTokenJson::from(&created.token),
                        token: secret,
                    })
                }
                Format::Table => {
                    print!("{}", created_detail(&created.token));
                    secret_warnings();
                    println!("{secret}");
                    Ok(())
                }
            }
        }
        ManagementCommand::List { format, sort } => {
            let conn = connect(global)?;
            let mut tokens = conn
                .client
                .list_management_tokens()
                .await
                .map_err(|e| conn.explain(e))?;
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
        ManagementCommand::Revoke { force, token_ids } => {
            prompt::check_can_ask(force, "revoke management tokens")?;
            let conn = connect(global)?;
            let items: Vec<ArgText> = token_ids.into_iter().map(ArgText).collect();
            each(&items, "revocations", |item| {
                let conn = &conn;
                let raw = item.0.clone();
                async move {
                    let id = parse_token_id(&raw)?;
                    if !prompt::confirm(
                        force,
                        &format!("Are you sure you want to revoke management token {id}? This cannot be undone"),
                    )? {
                        eprintln!("management token {id} was not revoked");
                        return Ok(None);
                    }
                    conn.client
                        .revoke_management_token(id)
                        .await
                        .map_err(|e| conn.explain(e))?;
                    Ok(Some(format!("revoked management token {id}")))
                }
            })
            .await
        }
    }
}
