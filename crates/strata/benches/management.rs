//! Management calls over HTTP against a real `strata serve` on SQLite: create, list and revoke
//! 10,000 database tokens. Prints latencies and throughput; asserts nothing about time.
//!
//! Run: `cargo bench -p strata --bench management`

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::Server;
use serde_json::json;
use tokio::sync::Semaphore;

const TOKENS: usize = 10_000;
const IN_FLIGHT: usize = 16;
const LIST_RUNS: usize = 20;

fn summary(name: &str, mut latencies: Vec<Duration>, total: Duration) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "{name:<28} n={:<6} total={:>8.1} ms  rate={:>8.0}/s  p50={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        latencies.len(),
        total.as_secs_f64() * 1e3,
        latencies.len() as f64 / total.as_secs_f64(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
}

/// Runs `count` requests made by `request`, at most IN_FLIGHT at once; returns their latencies.
async fn run_all<F, Fut>(count: usize, request: F) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let call = request(i);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            call.await;
            drop(permit);
            t.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        latencies.push(task.await.unwrap());
    }
    (latencies, started.elapsed())
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes benches this way
    }
    let server = Server::builder()
        .env("STRATA_LOG", "warn,strata::serve=info")
        .start();
    let token = server.bootstrap_token();
    let api = Arc::new(server.api(&token));
    api.create_database("bench").await;
    println!(
        "management benchmark: {TOKENS} database tokens over HTTP/1.1 on SQLite, {IN_FLIGHT} requests in flight"
    );

    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(TOKENS)));
    let (latencies, total) = run_all(TOKENS, |i| {
        let api = api.clone();
        let ids = ids.clone();
        async move {
            let (status, body) = api
                .post(
                    "/api/v0/tokens",
                    json!({"description": format!("bench {i}"), "permissions": [{"action": "write", "resource": "bench"}]}),
                )
                .await;
            assert!(status.is_success(), "{body}");
            ids.lock().unwrap().push(body["id"].as_str().unwrap().to_string());
        }
    })
    .await;
    summary("create token", latencies, total);

    // Timed: the request and the whole body; the count is checked outside the timed span.
    let http = reqwest::Client::new();
    let mut latencies = Vec::new();
    let started = Instant::now();
    for _ in 0..LIST_RUNS {
        let t = Instant::now();
        let body = http
            .get(format!("{}/api/v0/tokens", api.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        latencies.push(t.elapsed());
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(listed.len(), TOKENS);
    }
    summary("list 10,000 tokens", latencies, started.elapsed());

    let ids: Vec<String> = ids.lock().unwrap().clone();
    let ids = Arc::new(ids);
    let (latencies, total) = run_all(TOKENS, |i| {
        let api = api.clone();
        let ids = ids.clone();
        async move {
            let (status, body) = api.delete(&format!("/api/v0/tokens/{}", ids[i])).await;
            assert!(status.is_success(), "{body}");
        }
    })
    .await;
    summary("revoke token", latencies, total);
    let (_, left) = api.get("/api/v0/tokens").await;
    assert_eq!(left.as_array().unwrap().len(), 0);
}
