use anyhow::bail;
use strata_client::{CreateDatabaseToken, UpdateDatabaseToken};

use super::{ArgText, each, parse_expires_at, parse_token_id, permissions, show};
use crate::cli::{Format, GlobalArgs, TokenCommand, TokenSort};
use crate::config::connect;
use crate::log::warning;
use crate::output::print_json;
use crate::prompt;
use crate::views::{DatabaseTokenJson, WithSecret, created_detail, token_detail, tokens_table};

/// The warnings every token creation prints, on stderr, before the secret.
pub fn secret_warnings() {
    warning!("please copy the token and store in a safe place");
    warning!("this is the *only time* you will see the token");
}

pub async fn run(global: &GlobalArgs, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            permissions: permission_args,
            expires_at,
            format,
            description,
        } => {
            if description.trim().is_empty() {
                bail!(
                    "the token description is empty; say what the token is for, e.g. \"Telegraf writes to mydb\""
                );
            }
            let request = CreateDatabaseToken {
                description,
                permissions: permissions(&permission_args)?,
                expires_at: expires_at.as_deref().map(parse_expires_at).transpose()?,
            };
            if request.permissions.is_empty() {
                warning!(
                    "the token has no permissions: give --read-database and/or --write-database to let it read or write"
                );
            }
            let conn = connect(global)?;
            let created = conn
                .client
                .create_database_token(&request)
                .await
                .map_err(|e| conn.explain(e))?;
            let secret = created.access_token.expose();
            match format.format {
                Format::Json => {
                    secret_warnings();
                    print_json(&WithSecret {
                        object: DatabaseTokenJson::from(&created.token),
                        token: secret,
                    })
                }
                Format::Table => {
                    print!("{}", created_detail(&created.token.token));
                    secret_warnings();
                    println!("{secret}");
                    Ok(())
                }
            }
        }
        TokenCommand::List {
            format,
            sort,
            include_revoked,
        } => {
            let conn = connect(global)?;
            let mut tokens = conn
                .client
                .list_database_tokens(include_revoked)
                .await
                .map_err(|e| conn.explain(e))?;
            match sort {
                TokenSort::Id => tokens.sort_by_key(|a| a.token.id),
                TokenSort::Description => tokens.sort_by(|a, b| {
                    (&a.token.description, a.token.id).cmp(&(&b.token.description, b.token.id))
                }),
            }
            show(
                format.format,
                || {
                    tokens
                        .iter()
                        .map(DatabaseTokenJson::from)
                        .collect::<Vec<_>>()
                },
                || tokens_table(&tokens),
            )
        }
        TokenCommand::Get {
            format,
            include_revoked,
            token_id,
        } => {
            let id = parse_token_id(&token_id)?;
            let conn = connect(global)?;
            let token = conn
                .client
                .get_database_token(id)
                .await
                .map_err(|e| conn.explain(e))?;
            if token.token.revoked_at.is_some() && !include_revoked {
                bail!("database token {id} is revoked; pass --include-revoked to show it anyway");
            }
            show(
                format.format,
                || DatabaseTokenJson::from(&token),
                || token_detail(&token),
            )
        }
        TokenCommand::Update {
            permissions: permission_args,
            format,
            token_id,
        } => {
            let id = parse_token_id(&token_id)?;
            let permissions = permissions(&permission_args)?;
            if permissions.is_empty() {
                bail!(
                    "give the new permissions with --read-database and/or --write-database; they replace the token's whole permission set (to take all access away, revoke the token)"
                );
            }
            let request = UpdateDatabaseToken {
                description: None,
                permissions: Some(permissions),
            };
            let conn = connect(global)?;
            let token = conn
                .client
                .update_database_token(id, &request)
                .await
                .map_err(|e| conn.explain(e))?;
            show(
                format.format,
                || DatabaseTokenJson::from(&token),
                || token_detail(&token),
            )
        }
        TokenCommand::Revoke { force, token_ids } => {
            prompt::check_can_ask(force, "revoke database tokens")?;
            let conn = connect(global)?;
            let items: Vec<ArgText> = token_ids.into_iter().map(ArgText).collect();
            each(&items, "revocations", |item| {
                let conn = &conn;
                let raw = item.0.clone();
                async move {
                    let id = parse_token_id(&raw)?;
                    if !prompt::confirm(
                        force,
                        &format!("Are you sure you want to revoke database token {id}? This cannot be undone"),
                    )? {
                        eprintln!("database token {id} was not revoked");
                        return Ok(None);
                    }
                    conn.client
                        .revoke_database_token(id)
                        .await
                        .map_err(|e| conn.explain(e))?;
                    Ok(Some(format!("revoked database token {id}")))
                }
            })
            .await
        }
    }
}
