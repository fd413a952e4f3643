use std::path::Path;

use anyhow::{Context, anyhow, bail};
use strata_client::{InviteUser, Secret, UpdateUser, User};
use uuid::Uuid;

use super::{ArgText, each, show};
use crate::cli::{Format, GlobalArgs, UserCommand};
use crate::config::connect;
use crate::log::warning;
use crate::prompt;
use crate::resource_views::{UserJson, users_table};

fn parse_user_id(text: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        anyhow!(
            "{:?} is not a user id; user ids are UUIDs, as `stratactl user list` shows them",
            strata_client::redact(text)
        )
    })
}

/// The password in a `--password-file`: its one line, without the line ending.
fn read_password(path: &Path) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --password-file {}", path.display()))?;
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!(
            "--password-file {} is empty; put the password in it, on one line",
            path.display()
        );
    }
    if password.contains(['\n', '\r']) {
        bail!(
            "--password-file {} has several lines; put the password alone on one line",
            path.display()
        );
    }
    Ok(Secret::new(password))
}

fn show_one(format: Format, user: &User) -> anyhow::Result<()> {
    show(
        format,
        || UserJson::from(user),
        || users_table(std::slice::from_ref(user)),
    )
}

pub async fn run(global: &GlobalArgs, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::List { format } => {
            let conn = connect(global).await?;
            let users = conn.call(conn.client.list_users()).await?;
            show(
                format.format,
                || users.iter().map(UserJson::from).collect::<Vec<_>>(),
                || users_table(&users),
            )
        }
        UserCommand::Invite {
            group,
            password_file,
            format,
            first_name,
            last_name,
            email,
        } => {
            let email = strata_types::normalize_email(&email).map_err(|e| anyhow!(e.message))?;
            let request = InviteUser {
                email,
                first_name: first_name.trim().to_string(),
                last_name: last_name.trim().to_string(),
                group: group.as_api().to_string(),
                password: password_file.as_deref().map(read_password).transpose()?,
                subject: None,
            };
            let conn = connect(global).await?;
            let user = conn.call(conn.client.invite_user(&request)).await?;
            if request.password.is_none() {
                warning!(
                    "{} has no password, so they cannot sign in on the built-in identity provider's page until one is set with `stratactl user update --password-file FILE {}` (users of an external identity provider need none)",
                    user.email,
                    user.id
                );
            }
            show_one(format.format, &user)
        }
        UserCommand::Update {
            first_name,
            last_name,
            group,
            password_file,
            format,
            user_id,
        } => {
            let id = parse_user_id(&user_id)?;
            let request = UpdateUser {
                first_name: first_name.map(|n| n.trim().to_string()),
                last_name: last_name.map(|n| n.trim().to_string()),
                group: group.map(|g| g.as_api().to_string()),
                password: password_file.as_deref().map(read_password).transpose()?,
            };
            if request == UpdateUser::default() {
                bail!(
                    "nothing to update: give --first-name, --last-name, --group and/or --password-file"
                );
            }
            let conn = connect(global).await?;
            let user = conn.call(conn.client.update_user(id, &request)).await?;
            show_one(format.format, &user)
        }
        UserCommand::Delete { force, user_ids } => {
            prompt::check_can_ask(force, "delete users")?;
            let conn = connect(global).await?;
            let items: Vec<ArgText> = user_ids.into_iter().map(ArgText).collect();
            each(&items, "user deletions", |item| {
                let conn = &conn;
                let raw = item.0.clone();
                async move {
                    let id = parse_user_id(&raw)?;
                    if !force {
                        let user = conn.call(conn.client.get_user(id)).await?;
                        let question = format!(
                            "Are you sure you want to delete user {id} ({})? Their access ends at once and this cannot be undone",
                            user.email
                        );
                        if !prompt::confirm(false, &question)? {
                            eprintln!("user {id} was not deleted");
                            return Ok(None);
                        }
                    }
                    conn.call(conn.client.remove_user(id)).await?;
                    Ok(Some(format!("deleted user {id}")))
                }
            })
            .await
        }
    }
}
