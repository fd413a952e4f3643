use anyhow::bail;
use serde::Serialize;
use strata_client::{Client, CreateDatabaseToken, ManagementToken, UpdateDatabaseToken};
use uuid::Uuid;

use super::{ArgText, each, parse_expires_at, parse_token_id, permissions, show};
use crate::cli::{Format, GlobalArgs, RevokeArgs, TokenCommand, TokenSort};
use crate::config::connect;
use crate::log::warning;
use crate::prompt;
use crate::render::print_json;
use crate::resource_views::{
    DatabaseTokenJson, WithSecret, created_detail, token_detail, tokens_table,
};

/// The warnings every token creation prints, on stderr, before the secret.
fn secret_warnings() {
    warning!("please copy the token and store in a safe place");
    warning!("this is the *only time* you will see the token");
}

/// What `token create` and `management create` print: the new token as JSON (`json`, with
/// the secret under `token`) or as a detail table of `token`, with the warnings and then
/// the secret alone.
pub fn print_created(
    format: Format,
    json: impl Serialize,
    token: &ManagementToken,
    secret: &str,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            secret_warnings();
            print_json(&WithSecret {
                object: json,
                token: secret,
            })
        }
        Format::Table => {
            print!("{}", created_detail(token));
            secret_warnings();
            println!("{secret}");
            Ok(())
        }
    }
}

/// `token revoke` and `management revoke` of a `kind` of token: asks about each id (unless
/// `--force`) and revokes it with `revoke`, carrying on past failures.
pub async fn revoke_each(
    global: &GlobalArgs,
    args: RevokeArgs,
    kind: &str,
    revoke: impl AsyncFn(&Client, Uuid) -> Result<(), strata_client::Error>,
) -> anyhow::Result<()> {
    let RevokeArgs { force, token_ids } = args;
    prompt::check_can_ask(force, &format!("revoke {kind}s"))?;
    let conn = connect(global).await?;
    let items: Vec<ArgText> = token_ids.into_iter().map(ArgText).collect();
    each(&items, "revocations", |item| {
        let conn = &conn;
        let revoke = &revoke;
        let raw = item.0.clone();
        async move {
            let id = parse_token_id(&raw)?;
            if !prompt::confirm(
                force,
                &format!("Are you sure you want to revoke {kind} {id}? This cannot be undone"),
            )? {
                eprintln!("{kind} {id} was not revoked");
                return Ok(None);
            }
            conn.call(revoke(&conn.client, id)).await?;
            Ok(Some(format!("revoked {kind} {id}")))
        }
    })
    .await
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
            let conn = connect(global).await?;
            let created = conn
                .call(conn.client.create_database_token(&request))
                .await?;
            print_created(
                format.format,
                DatabaseTokenJson::from(&created.token),
                &created.token.token,
                created.access_token.expose(),
            )
        }
        TokenCommand::List {
            format,
            sort,
            include_revoked,
        } => {
            let conn = connect(global).await?;
            let mut tokens = conn
                .call(conn.client.list_database_tokens(include_revoked))
                .await?;
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
            let conn = connect(global).await?;
            let token = conn.call(conn.client.get_database_token(id)).await?;
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
            let conn = connect(global).await?;
            let token = conn
                .call(conn.client.update_database_token(id, &request))
                .await?;
            show(
                format.format,
                || DatabaseTokenJson::from(&token),
                || token_detail(&token),
            )
        }
        TokenCommand::Revoke { args } => {
            revoke_each(
                global,
                args,
                "database token",
                Client::revoke_database_token,
            )
            .await
        }
    }
}
