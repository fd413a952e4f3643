//! Starts the real `strata` binary on an ephemeral loopback port with a temporary data
//! directory, collects everything it logs, and talks to it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The `strata` binary. Other packages' tests (which include this file by `#[path]`) find it
/// beside their own test executable, where `cargo build`/`nextest --workspace` puts it.
pub fn strata_bin() -> PathBuf {
    if let Some(bin) = option_env!("CARGO_BIN_EXE_strata") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    let bin = exe
        .parent() // deps/
        .and_then(Path::parent) // debug/
        .map(|dir| dir.join("strata"))
        .expect("a target directory");
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p strata`",
        bin.display()
    );
    bin
}

/// The first Admin's email and password on servers the harness starts.
pub const ADMIN_EMAIL: &str = "admin@localhost";
pub const ADMIN_PASSWORD: &str = "harness admin password";

pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    logs: Arc<Mutex<String>>,
}

pub struct ServerBuilder {
    data_dir: Option<PathBuf>,
    http_bind: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    removed_envs: Vec<String>,
}

impl ServerBuilder {
    /// Shares a data directory (and so catalog and pepper) with another server.
    pub fn data_dir(mut self, dir: &Path) -> Self {
        self.data_dir = Some(dir.to_path_buf());
        self
    }

    pub fn http_bind(mut self, bind: &str) -> Self {
        self.http_bind = bind.to_string();
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Keeps the server's objects at `location` in the test S3 store ([`test_s3_location`]).
    pub fn on_test_s3(self, location: &str) -> Self {
        let var = |name: &str| std::env::var(name).unwrap();
        self.arg("--object-store")
            .arg(location)
            .env("AWS_ENDPOINT_URL", &var("STRATA_TEST_S3_ENDPOINT"))
            .env("AWS_REGION", &var("STRATA_TEST_S3_REGION"))
            .env("AWS_ACCESS_KEY_ID", &var("STRATA_TEST_S3_ACCESS_KEY_ID"))
            .env(
                "AWS_SECRET_ACCESS_KEY",
                &var("STRATA_TEST_S3_SECRET_ACCESS_KEY"),
            )
    }

    /// Starts the server without `key` in its environment (even the harness's defaults).
    pub fn env_remove(mut self, key: &str) -> Self {
        self.removed_envs.push(key.into());
        self
    }

    pub fn start(self) -> Server {
        let (temp, data_dir) = match self.data_dir {
            Some(dir) => (None, dir),
            None => {
                let temp = tempfile::tempdir().unwrap();
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let mut command = Command::new(strata_bin());
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--http-bind", &self.http_bind])
            .args(&self.args)
            .env("STRATA_LOG", "debug,sqlx=warn,hyper=info,h2=info")
            .env("STRATA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .envs(self.envs)
            .env_remove("STRATA_CATALOG");
        for key in &self.removed_envs {
            command.env_remove(key);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start strata serve");
        let logs = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let logs = logs.clone();
            let addr_tx = addr_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        let _ = addr_tx.send(rest.trim().to_string());
                    }
                    let mut logs = logs.lock().unwrap();
                    logs.push_str(&line);
                    logs.push('\n');
                }
            });
        }
        // Wait for the listen line; give up early if the process exits first.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let base = loop {
            match addr_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(base) => break base,
                Err(_) => {
                    let exited = child.try_wait().unwrap();
                    if exited.is_some() || std::time::Instant::now() > deadline {
                        let _ = child.kill();
                        std::thread::sleep(Duration::from_millis(200));
                        panic!(
                            "strata serve did not start ({exited:?}); its output:\n{}",
                            logs.lock().unwrap()
                        );
                    }
                }
            }
        };
        Server {
            child,
            base,
            data_dir,
            _temp: temp,
            logs,
        }
    }
}

impl Server {
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            data_dir: None,
            http_bind: "127.0.0.1:0".to_string(),
            args: Vec::new(),
            envs: Vec::new(),
            removed_envs: Vec::new(),
        }
    }

    pub fn start() -> Self {
        Self::builder().start()
    }

    /// The most memory the server process has held at once (its peak resident set), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc status");
        kib * 1024
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Everything the server has printed so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// A management token made with the offline `strata admin` command.
    pub fn bootstrap_token(&self) -> String {
        let out = admin(
            &self.data_dir,
            &["management-token", "create", "--description", "bootstrap"],
        );
        assert!(
            out.status.success(),
            "admin failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: self.base.clone(),
            token: Some(token.to_string()),
        }
    }

    /// Creates database `name` and a database token that may read and write it; returns the
    /// Management API (with the bootstrap token) and the token's secret.
    pub async fn database_with_token(&self, name: &str) -> (Api, String) {
        let mgmt = self.api(&self.bootstrap_token());
        mgmt.create_database(name).await;
        let (_, token) = mgmt
            .create_token(serde_json::json!([
                {"action": "read", "resource": name},
                {"action": "write", "resource": name}
            ]))
            .await;
        (mgmt, token)
    }

    /// Writes line protocol to `database` through `/api/v2/write`, failing the test unless
    /// every line is written.
    pub async fn write_lines(&self, token: &str, database: &str, body: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v2/write", self.base))
            .query(&[("bucket", database)])
            .bearer_auth(token)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "{}",
            response.text().await.unwrap()
        );
    }

    pub fn anonymous(&self) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: self.base.clone(),
            token: None,
        }
    }

    /// Signs in through the device flow as a person would (start, approve on the sign-in
    /// page, poll) and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let (device_code, user_code) = self.start_device_flow().await;
        let page = self
            .submit_sign_in(&user_code, email, password, "approve")
            .await;
        assert_eq!(page.0, StatusCode::OK, "{}", page.1);
        let (status, body) = self.poll_token(&device_code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// `POST /oauth/device/code` for client `stratactl`: (device code, user code).
    pub async fn start_device_flow(&self) -> (String, String) {
        let (status, body) = self
            .form("/oauth/device/code", &[("client_id", "stratactl")])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            body["device_code"].as_str().unwrap().to_string(),
            body["user_code"].as_str().unwrap().to_string(),
        )
    }

    /// Submits the sign-in page; returns its status and HTML.
    pub async fn submit_sign_in(
        &self,
        user_code: &str,
        email: &str,
        password: &str,
        action: &str,
    ) -> (StatusCode, String) {
        self.submit_sign_in_with(&reqwest::Client::new(), user_code, email, password, action)
            .await
    }

    /// [`Server::submit_sign_in`] through `client` (for one from another address).
    pub async fn submit_sign_in_with(
        &self,
        client: &reqwest::Client,
        user_code: &str,
        email: &str,
        password: &str,
        action: &str,
    ) -> (StatusCode, String) {
        let response = client
            .post(format!("{}/device", self.base))
            .form(&[
                ("user_code", user_code),
                ("email", email),
                ("password", password),
                ("action", action),
            ])
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// `POST /oauth/token` with the device grant for client `stratactl`.
    pub async fn poll_token(&self, device_code: &str) -> (StatusCode, Value) {
        self.form(
            "/oauth/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", device_code),
                ("client_id", "stratactl"),
            ],
        )
        .await
    }

    /// A form-encoded POST answered with JSON.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends SIG`signal` (e.g. `TERM`) and waits for the process to end; returns whether it
    /// exited cleanly.
    pub fn terminate(&mut self, signal: &str) -> bool {
        Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("strata serve did not stop within 10 s of SIG{signal}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client whose connections come from `127.0.0.N` (every loopback address reaches the
/// server), so tests can be callers at different addresses.
pub fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, n]))
        .build()
        .unwrap()
}

/// Runs `strata admin ARGS --data-dir DIR`.
pub fn admin(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(strata_bin())
        .arg("admin")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("STRATA_CATALOG")
        .output()
        .expect("run strata admin")
}

pub struct Api {
    http: reqwest::Client,
    pub base: String,
    token: Option<String>,
}

impl Api {
    pub fn with_token(&self, token: &str) -> Api {
        Api {
            http: self.http.clone(),
            base: self.base.clone(),
            token: Some(token.to_string()),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        json_response(request.send().await.expect("request failed")).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(Method::PUT, path, body).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a database and returns its JSON, failing the test on any error.
    pub async fn create_database(&self, name: &str) -> Value {
        let (status, body) = self
            .post("/api/v0/databases", serde_json::json!({ "name": name }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Creates a database token and returns (id, secret).
    pub async fn create_token(&self, permissions: Value) -> (String, String) {
        let (status, body) = self
            .post(
                "/api/v0/tokens",
                serde_json::json!({ "description": "test token", "permissions": permissions }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            body["id"].as_str().unwrap().to_string(),
            body["accessToken"].as_str().unwrap().to_string(),
        )
    }
}

/// A response's status and body: JSON when it parses, else the text as a JSON string, and
/// `null` when empty.
pub async fn json_response(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// A fresh prefix of the test S3 bucket (SeaweedFS's S3 API, started by scripts/test); `None`
/// when no S3 endpoint is configured, which CI never allows.
pub fn test_s3_location() -> Option<String> {
    let Some(bucket) = std::env::var_os("STRATA_TEST_S3_ENDPOINT")
        .and(std::env::var("STRATA_TEST_S3_BUCKET").ok())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the S3 tests (scripts/test)"
        );
        return None;
    };
    Some(format!("s3://{bucket}/{}", uuid::Uuid::new_v4()))
}

/// The value of `var`, which `scripts/test` sets for the tests that need `what`; `None`
/// (skip the test) outside it, except under CI, where it must be set.
pub fn set_by_test_script(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) => Some(value),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs {what}: set {var} (scripts/test does)"
            );
            eprintln!("skipped: {var} is not set (scripts/test sets it)");
            None
        }
    }
}

/// The interpreter `scripts/pyenv.sh` prepared (pyarrow, influxdb3-python, the 1.x client).
pub fn python() -> Option<String> {
    set_by_test_script("STRATA_TEST_PYTHON", "the Python clients")
}

/// Runs `tests/python/SCRIPT ARGS…` and returns the JSON it prints.
pub fn run_python(python: &str, script: &str, args: &[&str]) -> Value {
    let path = format!("{}/../../tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(path)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Asserts an error response: status, the `{code, message}` shape, and words in the message.
#[track_caller]
pub fn assert_error(response: &(StatusCode, Value), status: StatusCode, words: &str) {
    let (got, body) = response;
    assert_eq!(*got, status, "body: {body}");
    assert_eq!(body["code"], status.as_u16(), "body: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(words),
        "message {message:?} does not mention {words:?}"
    );
}

/// Polls `check` until it returns true or `limit` passes.
pub async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Node helpers of the e2e tests (Playwright scripts, the OIDC provider).
pub const NODE_HELPERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser");

/// An independent OIDC provider (npm `oidc-provider`, tests/browser/oidc-provider.mjs) on
/// loopback; killed when dropped.
pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_provider() -> Provider {
    start_provider_with_ttl(3600)
}

/// A provider whose access tokens last `ttl` seconds.
pub fn start_provider_with_ttl(ttl: u32) -> Provider {
    let mut child = Command::new("node")
        .arg(format!("{NODE_HELPERS}/oidc-provider.mjs"))
        .arg("0")
        .arg(ttl.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run node");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let issuer = lines
        .find_map(|line| line.ok()?.strip_prefix("listening on ").map(str::to_string))
        .expect("the provider did not start");
    // Keep reading, so the provider never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Provider { child, issuer }
}
