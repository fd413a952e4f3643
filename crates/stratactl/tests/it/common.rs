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
    (r"localhost:\d+", "localhost:PPPPP"),
    (r"/tmp/\.tmp[0-9A-Za-z]+", "[TMP]"),
    (r"\(\d+ ms\)", "(N ms)"),
    // Device-flow user codes.
    (
        r"\b[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}\b",
        "XXXX-XXXX",
    ),
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

    #[track_caller]
    pub fn stdout_has(self, words: &str) -> Self {
        assert!(
            self.stdout.contains(words),
            "stdout does not mention {words:?}:\n{}",
            self.transcript()
        );
        self
    }

    fn new(args: &[&str], output: std::process::Output) -> Self {
        Self {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
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
        write_creating_dirs(&self.config_path(), text);
    }

    /// `$HOME/.config/influxctl/config.toml`, where influxctl keeps its profiles.
    pub fn influxctl_config_path(&self) -> PathBuf {
        self.home().join(".config/influxctl/config.toml")
    }

    pub fn write_influxctl_config(&self, text: &str) {
        write_creating_dirs(&self.influxctl_config_path(), text);
    }

    /// A file in `HOME`; returns its path.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `stratactl` with `HOME` here, never a browser, and no `STRATACTL_*`, `INFLUXCTL_*`,
    /// `XDG_*` or proxy variables inherited.
    pub fn command(&self) -> Command {
        self.isolated(Command::new(env!("CARGO_BIN_EXE_stratactl")))
    }

    /// A symbolic link to `stratactl` named `name`, in `HOME/bin`; returns its path.
    pub fn link_as(&self, name: &str) -> PathBuf {
        let dir = self.home().join("bin");
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join(name);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_stratactl"), &link).unwrap();
        link
    }

    /// `program ARGS` (e.g. a link made by [`Ctl::link_as`]) with `envs`, in the environment
    /// of [`Ctl::command`].
    pub fn run_program(&self, program: &Path, envs: &[(&str, &str)], args: &[&str]) -> Out {
        let mut cmd = self.isolated(Command::new(program));
        cmd.args(args).envs(envs.iter().copied());
        Out::new(args, cmd.output().expect("run the program"))
    }

    /// `stratactl ARGS` (one shell word list) on a pseudo-terminal, through util-linux
    /// `script`, with the environment of [`Ctl::command`]; `None` (after saying the test is
    /// skipped) when `script` is not installed.
    pub fn on_a_terminal(&self, args: &str) -> Option<Command> {
        if Command::new("script").arg("--version").output().is_err() {
            eprintln!("skipped: util-linux `script` is not installed");
            return None;
        }
        let command = format!("{} {args}", env!("CARGO_BIN_EXE_stratactl"));
        let mut cmd = self.isolated(Command::new("script"));
        cmd.args(["-qec", &command, "/dev/null"]);
        Some(cmd)
    }

    /// `cmd` with `HOME` here, never a browser, and no `STRATACTL_*`, `INFLUXCTL_*`, `XDG_*`
    /// or proxy variables inherited.
    fn isolated(&self, mut cmd: Command) -> Command {
        cmd.env("HOME", self.home());
        cmd.env("STRATACTL_NO_BROWSER", "1");
        for var in [
            "STRATACTL_CONFIG",
            "STRATACTL_PROFILE",
            "STRATACTL_MGMT_TOKEN",
            "INFLUXCTL_PROFILE",
            "INFLUXCTL_MGMT_TOKEN",
            "XDG_CACHE_HOME",
            "XDG_CONFIG_HOME",
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

    /// Runs a command that must fail, and how long it took.
    pub fn fail_timed(&self, args: &[&str]) -> (Out, std::time::Duration) {
        let started = std::time::Instant::now();
        let out = self.run(args).failure();
        (out, started.elapsed())
    }

    pub fn run_env(&self, envs: &[(&str, &str)], args: &[&str]) -> Out {
        let mut cmd = self.command();
        cmd.args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Out::new(args, cmd.output().expect("run stratactl"))
    }

    /// `text` with this `HOME`'s path replaced by `[HOME]`.
    pub fn hide_home(&self, text: &str) -> String {
        text.replace(&*self.home().to_string_lossy(), "[HOME]")
    }
}

fn write_creating_dirs(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Host and port of a server's base URL.
pub fn host_port(server: &Server) -> (String, String) {
    let rest = server.base.split("://").nth(1).unwrap();
    let (host, port) = rest.rsplit_once(':').unwrap();
    (host.to_string(), port.to_string())
}

/// A local port nothing listens on (it was free a moment ago).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A local port that accepts connections (into the kernel's backlog) and never answers,
/// for as long as the listener lives.
pub fn silent_port() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A `default` profile for `write` and `query` at `127.0.0.1:port` over plain HTTP, with
/// database `db` and a database token but no product.
pub fn unreachable_profile(ctl: &Ctl, port: u16) {
    ctl.write_config(&format!(
        "[[profile]]\n  name = \"default\"\n  host = \"127.0.0.1\"\n  port = \"{port}\"\n  database = \"db\"\n  token = \"strata_db_x\"\n  [profile.tls]\n    disable = true\n"
    ));
}

/// A server over TLS with a self-signed certificate for `localhost`, kept in `dir`.
pub struct TlsServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TlsServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
        let server = Server::builder()
            .arg("--tls-cert")
            .arg(cert_path.to_str().unwrap())
            .arg("--tls-key")
            .arg(key_path.to_str().unwrap())
            .start();
        Self {
            server,
            dir,
            cert_path,
            key_path,
        }
    }
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
        Self::on(Server::start())
    }

    /// The environment of a server started with flags of the test's own.
    pub fn on(server: Server) -> Self {
        let token = server.bootstrap_token();
        let env = Self {
            server,
            ctl: Ctl::new(),
            token,
        };
        env.profile("");
        env
    }

    /// The `default` profile with the management token and `extra` lines (e.g. `database`
    /// and `token` keys).
    pub fn profile(&self, extra: &str) {
        let mut lines = format!("  mgmt_token = \"{}\"", self.token);
        if !extra.is_empty() {
            lines.push('\n');
            lines.push_str(extra);
        }
        self.ctl
            .write_config(&clustered_profile("default", &self.server, &lines));
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

/// `stratactl ARGS` with `input` on standard input.
pub fn run_stdin(ctl: &Ctl, args: &[&str], input: &str) -> Out {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut cmd = ctl.command();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start stratactl");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    Out::new(args, child.wait_with_output().unwrap())
}

/// Transcripts of several runs, one after another.
pub fn transcripts(outs: &[&Out]) -> String {
    outs.iter()
        .map(|o| o.transcript())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `stratactl` run that is waiting for a device-flow sign-in.
pub struct Signing {
    child: std::process::Child,
    args: Vec<String>,
    lines: std::sync::mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    stdout: std::thread::JoinHandle<String>,
}

impl Signing {
    /// Starts `stratactl ARGS` (stdin not a terminal) with `envs`.
    pub fn start(ctl: &Ctl, envs: &[(&str, &str)], args: &[&str]) -> Self {
        use std::io::{BufRead, Read};
        let mut cmd = ctl.command();
        cmd.args(args)
            .envs(envs.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("start stratactl");
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            out.read_to_string(&mut text).unwrap();
            text
        });
        let err = child.stderr.take().unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, lines) = std::sync::mpsc::channel();
        let all = stderr.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let mut all = all.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            args: args.iter().map(|a| a.to_string()).collect(),
            lines,
            stderr,
            stdout,
        }
    }

    /// The user code of the address it printed (waits up to 30 s for it).
    #[track_caller]
    pub fn user_code(&self) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some((_, rest)) = line.split_once("user_code=") {
                        return rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
                            .collect();
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no verification address on stderr:\n{}",
            self.stderr.lock().unwrap()
        );
    }

    /// Waits (up to 60 s) for it to end.
    pub fn finish(mut self) -> Out {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("stratactl did not finish:\n{}", self.stderr.lock().unwrap());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let stdout = self.stdout.join().unwrap();
        // Let the reader thread take the last lines.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let stderr = self.stderr.lock().unwrap().clone();
        Out {
            args: self.args,
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

/// Runs async harness calls from these synchronous tests.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Answers the sign-in page for `code` as the harness's first Admin with `action`
/// (`approve` or `deny`).
#[track_caller]
pub fn answer_as_admin(server: &Server, code: &str, action: &str) {
    answer(
        server,
        code,
        crate::harness::ADMIN_EMAIL,
        crate::harness::ADMIN_PASSWORD,
        action,
    );
}

#[track_caller]
pub fn answer(server: &Server, code: &str, email: &str, password: &str, action: &str) {
    let (status, page) = block_on(server.submit_sign_in(code, email, password, action));
    assert!(status.is_success(), "{status}: {page}");
}

/// `stratactl [envs] auth login`, approved as the first Admin: the finished run.
#[track_caller]
pub fn login_as_admin(ctl: &Ctl, server: &Server, envs: &[(&str, &str)]) -> Out {
    let signing = Signing::start(ctl, envs, &["auth", "login"]);
    answer_as_admin(server, &signing.user_code(), "approve");
    signing.finish()
}

/// Unix permission bits of a file or directory.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}
