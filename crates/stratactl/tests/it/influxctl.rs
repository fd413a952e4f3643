//! A machine set up for influxctl: stratactl reads influxctl's config file when it has none of
//! its own, honours influxctl's variables after its own, and works under the name `influxctl`.

use std::path::Path;

use crate::common::{Ctl, clustered_profile};
use crate::harness::Server;

const BAD_TOKEN: &str = "strata_mgmt_notavalidtoken";

/// A server and a temporary `HOME` with no config file yet.
struct Setup {
    server: Server,
    token: String,
    ctl: Ctl,
}

impl Setup {
    fn start() -> Self {
        let server = Server::start();
        let token = server.bootstrap_token();
        Self {
            server,
            token,
            ctl: Ctl::new(),
        }
    }

    /// A clustered profile `name` for the server with `mgmt_token = token`.
    fn profile(&self, name: &str, token: &str) -> String {
        clustered_profile(name, &self.server, &format!("  mgmt_token = \"{token}\""))
    }
}

fn config_line(path: &Path) -> String {
    format!("config file {}, profile", path.display())
}

#[test]
fn influxctl_config_file_is_read_when_stratactl_has_none() {
    let s = Setup::start();
    s.ctl
        .write_influxctl_config(&s.profile("default", &s.token));
    s.ctl
        .run(&["--debug", "database", "list"])
        .success()
        .stderr_has(&config_line(&s.ctl.influxctl_config_path()));

    // XDG_CONFIG_HOME moves both files, as Go's os.UserConfigDir (so influxctl) has it.
    let xdg = s.ctl.home().join("xdg");
    let xdg_influxctl = xdg.join("influxctl/config.toml");
    std::fs::create_dir_all(xdg_influxctl.parent().unwrap()).unwrap();
    std::fs::write(&xdg_influxctl, s.profile("xdg", &s.token)).unwrap();
    let with_xdg = [("XDG_CONFIG_HOME", xdg.to_str().unwrap())];
    s.ctl
        .run_env(
            &with_xdg,
            &["--debug", "--profile", "xdg", "database", "list"],
        )
        .success()
        .stderr_has(&config_line(&xdg_influxctl));
    // ~/.config is not read then.
    s.ctl
        .run_env(&with_xdg, &["database", "list"])
        .failure()
        .stderr_has(&format!(
            "profile \"default\" not found in config file {}",
            xdg_influxctl.display()
        ));
    // And stratactl's file there wins over influxctl's.
    let xdg_stratactl = xdg.join("stratactl/config.toml");
    std::fs::create_dir_all(xdg_stratactl.parent().unwrap()).unwrap();
    std::fs::write(&xdg_stratactl, s.profile("xdg", &s.token)).unwrap();
    s.ctl
        .run_env(
            &with_xdg,
            &["--debug", "--profile", "xdg", "database", "list"],
        )
        .success()
        .stderr_has(&config_line(&xdg_stratactl));
}

#[test]
fn stratactl_config_file_wins_when_both_exist() {
    let s = Setup::start();
    s.ctl.write_config(&s.profile("default", &s.token));
    s.ctl.write_influxctl_config(&format!(
        "{}\n{}",
        s.profile("default", BAD_TOKEN),
        s.profile("influx-only", &s.token)
    ));
    s.ctl
        .run(&["--debug", "database", "list"])
        .success()
        .stderr_has(&config_line(&s.ctl.config_path()));
    // The files are not merged: influxctl's profiles are not seen.
    s.ctl
        .run(&["--profile", "influx-only", "database", "list"])
        .failure()
        .stderr_has(&format!(
            "profile \"influx-only\" not found in config file {}",
            s.ctl.config_path().display()
        ));
}

#[test]
fn influxctl_profile_picks_a_profile_and_stratactl_choices_beat_it() {
    let s = Setup::start();
    s.ctl.write_config(&format!(
        "{}\n{}",
        s.profile("good", &s.token),
        s.profile("bad", BAD_TOKEN)
    ));
    let list = ["--debug", "database", "list"];
    s.ctl
        .run_env(&[("INFLUXCTL_PROFILE", "good")], &list)
        .success()
        .stderr_has("profile \"good\"");
    s.ctl
        .run_env(&[("INFLUXCTL_PROFILE", "bad")], &list)
        .failure()
        .stderr_has("401");
    s.ctl
        .run_env(
            &[("INFLUXCTL_PROFILE", "bad"), ("STRATACTL_PROFILE", "good")],
            &list,
        )
        .success()
        .stderr_has("profile \"good\"");
    s.ctl
        .run_env(
            &[("INFLUXCTL_PROFILE", "bad")],
            &["--profile", "good", "database", "list"],
        )
        .success();
    s.ctl
        .run_env(&[("INFLUXCTL_PROFILE", "missing")], &list)
        .failure()
        .stderr_has("profile \"missing\" not found")
        .stderr_has("choose one with --profile, STRATACTL_PROFILE or INFLUXCTL_PROFILE");
    // Commands that need only the profile's name use it too.
    s.ctl
        .run_env(&[("INFLUXCTL_PROFILE", "good")], &["auth", "logout"])
        .success()
        .stdout_has("profile \"good\"");
}

#[test]
fn influxctl_mgmt_token_is_used_after_stratactls() {
    let s = Setup::start();
    s.ctl
        .write_config(&clustered_profile("default", &s.server, ""));
    let list = ["--debug", "database", "list"];
    s.ctl
        .run_env(&[("INFLUXCTL_MGMT_TOKEN", &s.token)], &list)
        .success()
        .stderr_has("credential: the management token in INFLUXCTL_MGMT_TOKEN");
    s.ctl
        .run_env(&[("INFLUXCTL_MGMT_TOKEN", BAD_TOKEN)], &list)
        .failure()
        .stderr_has("the server refused the management token in INFLUXCTL_MGMT_TOKEN");
    s.ctl
        .run_env(
            &[
                ("STRATACTL_MGMT_TOKEN", &s.token),
                ("INFLUXCTL_MGMT_TOKEN", BAD_TOKEN),
            ],
            &list,
        )
        .success()
        .stderr_has("credential: the management token in STRATACTL_MGMT_TOKEN");
    // Like stratactl's variable, it wins over the profile's mgmt_token.
    s.ctl.write_config(&s.profile("default", BAD_TOKEN));
    s.ctl
        .run_env(&[("INFLUXCTL_MGMT_TOKEN", &s.token)], &list)
        .success()
        .stderr_has("credential: the management token in INFLUXCTL_MGMT_TOKEN");
}

#[test]
fn linked_as_influxctl() {
    let s = Setup::start();
    let influxctl = s.ctl.link_as("influxctl");
    for (args, usage) in [
        (&["--help"][..], "Usage: influxctl [OPTIONS] <COMMAND>"),
        (&["help"], "Usage: influxctl [OPTIONS] <COMMAND>"),
        (&["database"], "Usage: influxctl database "),
        (
            &["token", "create", "--help"],
            "Usage: influxctl token create ",
        ),
    ] {
        let out = s.ctl.run_program(&influxctl, &[], args).success();
        assert!(
            out.stdout.contains(usage) && !out.stdout.contains("stratactl ["),
            "{}",
            out.transcript()
        );
    }
    s.ctl
        .run_program(&influxctl, &[], &["token", "create", "--bogus"])
        .failure()
        .stderr_has("Usage: influxctl token create");

    // Everything else works the same: influxctl's file and variables, then the commands.
    s.ctl.write_influxctl_config(&s.profile("prod", &s.token));
    let prod = [("INFLUXCTL_PROFILE", "prod")];
    s.ctl
        .run_program(&influxctl, &prod, &["database", "create", "linked"])
        .success();
    let list = s
        .ctl
        .run_program(&influxctl, &prod, &["database", "list", "--format", "json"])
        .success()
        .json();
    assert_eq!(list[0]["database_name"], "linked", "{list}");
}

#[test]
fn no_config_file_error_names_both_places() {
    let ctl = Ctl::new();
    ctl.run(&["database", "list"])
        .failure()
        .stderr_has(&format!(
            "neither {} nor influxctl's {} exists",
            ctl.config_path().display(),
            ctl.influxctl_config_path().display()
        ))
        .stderr_has("pass --config PATH");
    let xdg = ctl.home().join("xdg");
    ctl.run_env(
        &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())],
        &["database", "list"],
    )
    .failure()
    .stderr_has(&format!(
        "neither {} nor influxctl's {} exists",
        xdg.join("stratactl/config.toml").display(),
        xdg.join("influxctl/config.toml").display()
    ));
}
