//! `strata admin`: offline commands run on the server's machine against its catalog.

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use strata_auth::{Authenticator, NewManagementToken};
use strata_types::{Actor, Outcome};
use uuid::Uuid;

use crate::config::StorageArgs;

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create, list and revoke management tokens without a running server.
    #[command(name = "management-token")]
    ManagementToken {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a management token and print it, alone, on stdout.
    Create {
        #[command(flatten)]
        storage: StorageArgs,
        /// What the token is for.
        #[arg(long)]
        description: String,
        /// When the token stops working (RFC 3339); never, if not given.
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// List management tokens, revoked ones included.
    List {
        #[command(flatten)]
        storage: StorageArgs,
        /// table or json.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Revoke management tokens by id.
    Revoke {
        #[command(flatten)]
        storage: StorageArgs,
        #[arg(required = true)]
        token_ids: Vec<String>,
    },
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let AdminCommand::ManagementToken { command } = args.command;
    match command {
        TokenCommand::Create {
            storage,
            description,
            expires_at,
        } => {
            let expires_at = expires_at
                .as_deref()
                .map(strata_types::parse_timestamp)
                .transpose()
                .context("--expires-at")?;
            storage.ensure_data_dir()?;
            let auth = authenticator(&storage).await?;
            let (token, secret) = auth
                .create_management_token(
                    None,
                    NewManagementToken {
                        description,
                        expires_at,
                    },
                    Utc::now(),
                )
                .await?;
            audit(&auth, "managementToken.create", token.id).await;
            eprintln!(
                "created management token {} ({}); store it safely: it is shown only this once",
                token.id, token.display_prefix
            );
            println!("{secret}");
        }
        TokenCommand::List { storage, format } => {
            let catalog = storage.open_catalog().await?;
            let tokens = catalog.list_management_tokens().await?;
            let time = |t: Option<chrono::DateTime<Utc>>| {
                t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default()
            };
            if format == "json" {
                let rows: Vec<_> = tokens
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id, "description": t.description, "tokenPrefix": t.display_prefix,
                            "createdAt": time(Some(t.created_at)), "createdBy": t.created_by.label(),
                            "expiresAt": t.expires_at.map(|_| time(t.expires_at)),
                            "revokedAt": t.revoked_at.map(|_| time(t.revoked_at)),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<36}  {:<18}  {:<20}  {:<20}  {:<20}  DESCRIPTION",
                    "ID", "PREFIX", "CREATED AT", "EXPIRES AT", "REVOKED AT"
                );
                for t in &tokens {
                    println!(
                        "{:<36}  {:<18}  {:<20}  {:<20}  {:<20}  {}",
                        t.id,
                        t.display_prefix,
                        time(Some(t.created_at)),
                        time(t.expires_at),
                        time(t.revoked_at),
                        t.description
                    );
                }
            }
        }
        TokenCommand::Revoke { storage, token_ids } => {
            let auth = authenticator(&storage).await?;
            let mut failed = 0;
            for raw in &token_ids {
                let result = match Uuid::parse_str(raw) {
                    Ok(id) => auth
                        .revoke_management_token(None, id)
                        .await
                        .map_err(anyhow::Error::from),
                    Err(_) => Err(anyhow::anyhow!("{raw:?} is not a token id (a UUID)")),
                };
                match result {
                    Ok(token) => {
                        audit(&auth, "managementToken.revoke", token.id).await;
                        eprintln!("revoked management token {}", token.id);
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {raw}: {e:#}");
                    }
                }
            }
            if failed > 0 {
                anyhow::bail!(
                    "{failed} of {} tokens could not be revoked",
                    token_ids.len()
                );
            }
        }
    }
    Ok(())
}

async fn authenticator(storage: &StorageArgs) -> anyhow::Result<std::sync::Arc<Authenticator>> {
    let pepper = storage.pepper()?;
    let catalog = storage.open_catalog().await?;
    Ok(Authenticator::new(catalog, pepper).await?)
}

async fn audit(auth: &Authenticator, action: &str, id: Uuid) {
    strata_auth::Audit::new(auth.catalog().clone())
        .record(
            Actor::System,
            action,
            id.to_string(),
            "local",
            Outcome::Success,
            "strata admin",
        )
        .await;
}
