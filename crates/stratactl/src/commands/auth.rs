use crate::cli::{AuthCommand, GlobalArgs};
use crate::config::{capitalize, configured_credential, profile_name, target};
use crate::log::warning;
use crate::login::{self, Report};
use crate::session;

pub async fn run(global: &GlobalArgs, command: AuthCommand) -> anyhow::Result<()> {
    match command {
        AuthCommand::Login => {
            let target = target(global)?;
            if let Ok(Some((_, source))) = configured_credential(&target.loaded) {
                warning!(
                    "{} takes precedence over login sessions: management commands keep using it while it is set",
                    capitalize(&source.to_string())
                );
            }
            login::sign_in(&target, Report::Stdout).await?;
            Ok(())
        }
        AuthCommand::Logout => {
            // Only the profile's name is needed: logging out works whatever the config says.
            let profile = profile_name(global);
            let path = session::path_for(&profile)?;
            if session::remove(&path)? {
                println!(
                    "removed the cached login session of profile {:?} ({})",
                    profile,
                    path.display()
                );
            } else {
                println!(
                    "no cached login session for profile {:?} ({}); nothing to remove",
                    profile,
                    path.display()
                );
            }
            Ok(())
        }
    }
}
