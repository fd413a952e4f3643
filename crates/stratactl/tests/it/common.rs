//! Running `stratactl` with a temporary `HOME` and config file against a real server.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::Server;

/// Snapshot filters, applied in order. Replacements keep the width of what they replace
/// where it is fixed, so tables stay aligned in the snapshots.
pub const FILTERS: &[(&str, &str)] = &[
    // Written in the background at most once a minute: present or not by timing.
    (r#",\n\s*"last_used_at": \{[^}]*\}"#, ""),
    (r"strata_mgmt_[0-9A-Za-z]{49}", "[MANAGEMENT TOKEN SECRET]"),
    (r"strata_db_[0-9A-Za-z]{49}", "[DATABASE TOKEN SECRET]"),
    (r"strata_mgmt_[0-9A-Za-z]{4}\b", "strata_mgmt_XXXX"),
    (r"strata_db_[0-9A-Za-z]{4}\b", "strata_db_XXXX"),
    (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "UUUUUUUU-UUUU-UUUU-UUUU-UUUUUUUUUUUU",
    ),
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
        "YYYY-MM-DDTHH:MM:SSZ",
    ),
    (r#""seconds": \d+"#, r#""seconds": "[SECONDS]""#),
    (r#""nanos": \d+"#, r#""nanos": "[NANOS]""#),
    (r"127\.0\.0\.1:\d+", "127.0.0.1:PPPPP"),
    (r"/tmp/\.tmp[0-9A-Za-z]+", "[TMP]"),
    (r"\(\d+ ms\)", "(N ms)"),
];

/// What a run printed and how it ended.
pub struct Out {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The command, exit status, stdout and stderr, for snapshots.
    pub fn transcript(&self) -> String {
        let mut out = format!("$ stratactl {}\n", self.args.join(" "));
        if self.code != 0 {
            out.push_str(&format!("[exit status {}]\n", self.code));
        }
        if !self.stdout.is_empty() {
            out.push_str("--- stdout\n");
            out.push_str(&self.stdout);
        }
        if !self.stderr.is_empty() {
            out.push_str("--- stderr\n");
            out.push_str(&self.stderr);
        }
        out
    }

    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "expected success:\n{}", self.transcript());
        self
    }

    #[track_caller]
    pub fn failure(self) -> Self {
        assert_eq!(
            self.code,
            1,
            "expected exit status 1:\n{}",
            self.transcript()
        );
        assert!(
            self.stderr.contains("Error: ") || self.stderr.contains("error: "),
            "no error message on stderr:\n{}",
            self.transcript()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, words: &str) -> Self {
        assert!(
            self.stderr.contains(words),
            "stderr does not mention {words:?}:\n{}",
            self.transcript()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.transcript()))
    }

    /// The last line of stdout (where creation commands print the secret).
    pub fn last_line(&self) -> String {
        self.stdout.lines().last().unwrap_or_default().to_string()
    }
}

/// A temporary `HOME` for one test, with the config file at the default place.
pub struct Ctl {
    home: tempfile::TempDir,
}

impl Ctl {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// `$HOME/.config/stratactl/config.toml`
    pub fn config_path(&self) -> PathBuf {
        self.home().join(".config/stratactl/config.toml")
    }

    pub fn write_config(&self, text: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A file in `HOME`; returns its path.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `stratactl` with `HOME` here and no `STRATACTL_*` or proxy variables inherited.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stratactl"));
        cmd.env("HOME", self.home());
        for var in [
            "STRATACTL_CONFIG",
            "STRATACTL_PROFILE",
            "STRATACTL_MGMT_TOKEN",
            "http_proxy",
            "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_env(&[], args)
    }

    pub fn run_env(&self, envs: &[(&str, &str)], args: &[&str]) -> Out {
        let mut cmd = self.command();
        cmd.args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run stratactl");
        Out {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

/// Host and port of a server's base URL.
pub fn host_port(server: &Server) -> (String, String) {
    let rest = server.base.split("://").nth(1).unwrap();
    let (host, port) = rest.rsplit_once(':').unwrap();
    (host.to_string(), port.to_string())
}

/// A clustered, plain-HTTP profile for `server`; `extra` lines go inside the profile.
pub fn clustered_profile(name: &str, server: &Server, extra: &str) -> String {
    let (host, port) = host_port(server);
    format!(
        "[[profile]]\n  name = \"{name}\"\n  product = \"clustered\"\n  host = \"{host}\"\n  port = \"{port}\"\n{extra}\n  [profile.tls]\n    disable = true\n"
    )
}

/// A server, its bootstrap management token, and a `default` profile using it.
pub struct Env {
    pub server: Server,
    pub ctl: Ctl,
    pub token: String,
}

impl Env {
    pub fn start() -> Self {
        let server = Server::start();
        let token = server.bootstrap_token();
        let ctl = Ctl::new();
        ctl.write_config(&clustered_profile(
            "default",
            &server,
            &format!("  mgmt_token = \"{token}\""),
        ));
        Self { server, ctl, token }
    }

    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Out {
        self.ctl.run(args).success()
    }

    #[track_caller]
    pub fn fail(&self, args: &[&str]) -> Out {
        self.ctl.run(args).failure()
    }
}

/// Transcripts of several runs, one after another.
pub fn transcripts(outs: &[&Out]) -> String {
    outs.iter()
        .map(|o| o.transcript())
        .collect::<Vec<_>>()
        .join("\n")
}
