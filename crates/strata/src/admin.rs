//! `strata admin`: offline commands run on the server's machine against its catalog.

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use strata_auth::{Authenticator, NewManagementToken};
use strata_catalog::{Catalog, NewUser};
use strata_types::{Actor, Outcome, User, UserGroup, UserUpdate};
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
    /// Add, list, regroup and remove users without a running server.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user. With the built-in identity provider, give a password to sign in with
    /// (--password-file or STRATA_USER_PASSWORD).
    Add {
        #[command(flatten)]
        storage: StorageArgs,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// admin, member or auditor.
        #[arg(long, value_parser = ["admin", "member", "auditor"])]
        group: String,
        /// File holding the password (the built-in identity provider's sign-in).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
        /// The user's `sub` at an external identity provider (with `--oidc-user-claim sub`).
        #[arg(long)]
        subject: Option<String>,
    },
    /// List users.
    List {
        #[command(flatten)]
        storage: StorageArgs,
        /// table or json.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Put a user (by email or id) in another group.
    SetGroup {
        #[command(flatten)]
        storage: StorageArgs,
        /// The user's email or id.
        user: String,
        /// admin, member or auditor.
        #[arg(value_parser = ["admin", "member", "auditor"])]
        group: String,
    },
    /// Remove a user (by email or id); their sessions stop working at once.
    Remove {
        #[command(flatten)]
        storage: StorageArgs,
        /// The user's email or id.
        user: String,
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
    match args.command {
        AdminCommand::ManagementToken { command } => management_token(command).await,
        AdminCommand::User { command } => user(command).await,
    }
}

async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            storage,
            email,
            first_name,
            last_name,
            group,
            password_file,
            subject,
        } => {
            let email = strata_types::normalize_email(&email)?;
            let group = UserGroup::parse(&group).expect("clap checked the group");
            let password = match password_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read --password-file {}", path.display()))?
                        .trim_end_matches(['\n', '\r'])
                        .to_string(),
                ),
                None => std::env::var("STRATA_USER_PASSWORD").ok(),
            };
            let password_hash = match password {
                Some(password) => {
                    strata_identity::check_password_strength(&password)?;
                    Some(strata_identity::hash_password(&password)?)
                }
                None => None,
            };
            storage.ensure_data_dir()?;
            let catalog = storage.open_catalog().await?;
            let user = catalog
                .create_user(NewUser {
                    email,
                    first_name,
                    last_name,
                    group,
                    password_hash,
                    subject,
                })
                .await?;
            audit_catalog(&catalog, "user.create", user.id).await;
            eprintln!(
                "added {} ({}) to {}",
                user.email,
                user.id,
                user.group.as_str()
            );
            println!("{}", user.id);
        }
        UserCommand::List { storage, format } => {
            let catalog = storage.open_catalog().await?;
            let users = catalog.list_users().await?;
            if format == "json" {
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "id": u.id, "email": u.email, "firstName": u.first_name,
                            "lastName": u.last_name, "group": u.group.as_str(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!("{:<36}  {:<8}  {:<32}  NAME", "ID", "GROUP", "EMAIL");
                for u in &users {
                    println!(
                        "{:<36}  {:<8}  {:<32}  {} {}",
                        u.id,
                        u.group.as_str(),
                        u.email,
                        u.first_name,
                        u.last_name
                    );
                }
            }
        }
        UserCommand::SetGroup {
            storage,
            user,
            group,
        } => {
            let catalog = storage.open_catalog().await?;
            let found = find_user(catalog.as_ref(), &user).await?;
            let group = UserGroup::parse(&group).expect("clap checked the group");
            let updated = catalog
                .update_user(
                    found.id,
                    UserUpdate {
                        group: Some(group),
                        ..UserUpdate::default()
                    },
                )
                .await?;
            audit_catalog(&catalog, "user.update", updated.id).await;
            eprintln!("{} is now in {}", updated.email, updated.group.as_str());
        }
        UserCommand::Remove { storage, user } => {
            let catalog = storage.open_catalog().await?;
            let found = find_user(catalog.as_ref(), &user).await?;
            catalog.remove_user(found.id).await?;
            audit_catalog(&catalog, "user.remove", found.id).await;
            eprintln!("removed {} ({})", found.email, found.id);
        }
    }
    Ok(())
}

/// A user named by id or email.
async fn find_user(catalog: &dyn Catalog, user: &str) -> anyhow::Result<User> {
    if let Ok(id) = Uuid::parse_str(user) {
        return Ok(catalog.get_user(id).await?);
    }
    let email = strata_types::normalize_email(user)?;
    catalog
        .find_user_by_email(&email)
        .await?
        .map(|(user, _)| user)
        .with_context(|| format!("no user has the email {email}"))
}

async fn audit_catalog(catalog: &std::sync::Arc<dyn Catalog>, action: &str, id: Uuid) {
    strata_auth::Audit::new(catalog.clone())
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

async fn management_token(command: TokenCommand) -> anyhow::Result<()> {
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
            audit_catalog(auth.catalog(), "managementToken.create", token.id).await;
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
                        audit_catalog(auth.catalog(), "managementToken.revoke", token.id).await;
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
