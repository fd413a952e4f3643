//! The run: generator threads build bodies ahead into a queue, sender tasks post them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backon::Retryable;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, Url};
use strata_client::retry::{retry_after, write_backoff};
use tokio::sync::{Mutex, mpsc};

use strata_loadgen::data::{Batch, Batches};
use strata_loadgen::http::{bearer, error_chain};
use strata_loadgen::report::{Stats, group, push_line};

/// Bodies built before the clock starts are capped at this many uncompressed bytes.
const PREBUILT_BYTES: f64 = (1u64 << 30) as f64;

/// Answers that every later request would get too: going on would only flood the server's
/// audit log with refusals.
const FATAL: [StatusCode; 4] = [
    StatusCode::UNAUTHORIZED,
    StatusCode::FORBIDDEN,
    StatusCode::NOT_FOUND,
    StatusCode::PAYLOAD_TOO_LARGE,
];

pub struct Settings {
    pub url: Url,
    pub token: String,
    pub gzip: bool,
    pub concurrency: usize,
    pub duration: Duration,
    pub timeout: Duration,
    pub progress: Duration,
    pub generator_threads: usize,
    /// Times a body answered 503 or 429 is sent again.
    pub retries: usize,
}

/// Counters the progress line reads while the run goes on.
#[derive(Default)]
struct Live {
    lines: AtomicU64,
    requests: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
}

/// The bodies' queue and the threads filling it.
struct Generator {
    rx: Mutex<mpsc::Receiver<Batch>>,
    /// Bodies the queue holds at most.
    capacity: usize,
    /// Threads that have built their last body.
    finished: Arc<AtomicUsize>,
    threads: usize,
}

impl Generator {
    /// Starts `threads` threads; thread `g` builds bodies `g`, `g + threads`, … so the bodies
    /// stay distinct without coordination.
    fn start(batches: Arc<Batches>, threads: usize, capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let finished = Arc::new(AtomicUsize::new(0));
        for g in 0..threads {
            let (tx, batches, finished) = (tx.clone(), batches.clone(), finished.clone());
            std::thread::Builder::new()
                .name(format!("generator-{g}"))
                .spawn(move || {
                    let mut k = g as u64;
                    while let Some(batch) = batches.build(k) {
                        if tx.blocking_send(batch).is_err() {
                            break; // The run is over.
                        }
                        k += threads as u64;
                    }
                    finished.fetch_add(1, Ordering::Release);
                })
                .expect("spawning a generator thread");
        }
        Generator {
            rx: Mutex::new(rx),
            capacity,
            finished,
            threads,
        }
    }

    /// Waits until the queue is full or every body is built.
    async fn fill(&self) {
        loop {
            let done = self.finished.load(Ordering::Acquire) == self.threads;
            if done || self.rx.lock().await.len() >= self.capacity {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The next body, or `None` when there are no more or the deadline has passed.
    async fn next(&self, deadline: Instant) -> Option<Batch> {
        // `timeout_at` alone would not do: it hands out a ready body even past its deadline.
        if Instant::now() >= deadline {
            return None;
        }
        let mut rx = self.rx.lock().await;
        tokio::time::timeout_at(deadline.into(), rx.recv())
            .await
            .ok()
            .flatten()
    }
}

/// How many bodies to queue: all of them when they fit in [`PREBUILT_BYTES`], so a run bounded
/// by lines sends only bodies built before the clock started; otherwise enough to ride out the
/// generator's hiccups.
fn queue_capacity(batches: &Batches, concurrency: usize) -> usize {
    let floor = (4 * concurrency).max(16);
    match batches.count() {
        Some(n)
            if n as f64 * batches.batch_size() as f64 * batches.bytes_per_line()
                <= PREBUILT_BYTES =>
        {
            n as usize
        }
        Some(n) => floor.min(n as usize),
        None => floor,
    }
}

/// Builds bodies as fast as it can for `duration` (or until they run out) and reports the
/// rate: the generator's ceiling, with no server involved.
pub fn dry_run(batches: Arc<Batches>, settings: &Settings) -> String {
    let threads = settings.generator_threads;
    let start = Instant::now();
    let deadline = start + settings.duration;
    let totals: Vec<(u64, u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|g| {
                let batches = &batches;
                scope.spawn(move || {
                    let (mut lines, mut raw, mut sent) = (0, 0, 0);
                    let mut k = g as u64;
                    while Instant::now() < deadline {
                        let Some(batch) = batches.build(k) else { break };
                        lines += batch.lines;
                        raw += batch.raw_bytes;
                        sent += batch.body.len() as u64;
                        k += threads as u64;
                    }
                    (lines, raw, sent)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("generator"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let (lines, raw, sent) = totals
        .iter()
        .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    let mut out = String::new();
    push_line(&mut out, "lines built", group(lines));
    push_line(&mut out, "elapsed", format!("{secs:.2} s"));
    push_line(
        &mut out,
        "lines/s",
        format!(
            "{} ({threads} generator thread{})",
            group((lines as f64 / secs) as u64),
            if threads == 1 { "" } else { "s" },
        ),
    );
    push_line(
        &mut out,
        "MB/s",
        format!(
            "{:.1} (line protocol, uncompressed)",
            raw as f64 / secs / 1e6
        ),
    );
    if settings.gzip {
        push_line(
            &mut out,
            "gzip MB/s",
            format!(
                "{:.1} (gzip, {:.1}x smaller)",
                sent as f64 / secs / 1e6,
                raw as f64 / sent.max(1) as f64
            ),
        );
    }
    out
}

/// Runs the load and returns what it measured and how long it took.
pub async fn run(batches: Arc<Batches>, settings: Settings) -> Result<(Stats, Duration), String> {
    let client = client(&settings)?;
    let capacity = queue_capacity(&batches, settings.concurrency);
    let generator = Arc::new(Generator::start(
        batches,
        settings.generator_threads,
        capacity,
    ));
    let building = Instant::now();
    generator.fill().await;
    let queued = generator.rx.lock().await.len();
    eprintln!(
        "built {queued} bodies in {:.2} s; writing",
        building.elapsed().as_secs_f64()
    );

    let live = Arc::new(Live::default());
    let start = Instant::now();
    let deadline = start + settings.duration;
    let retries = settings.retries;
    let senders: Vec<_> = (0..settings.concurrency)
        .map(|_| {
            let (client, url, generator, live) = (
                client.clone(),
                settings.url.clone(),
                generator.clone(),
                live.clone(),
            );
            tokio::spawn(
                async move { send(client, url, &generator, &live, deadline, retries).await },
            )
        })
        .collect();
    let progress = (!settings.progress.is_zero())
        .then(|| tokio::spawn(progress(live.clone(), start, settings.progress)));

    let mut stats = Stats::default();
    for sender in senders {
        stats.merge(sender.await.map_err(|e| format!("a sender failed: {e}"))?);
    }
    let elapsed = start.elapsed();
    if let Some(progress) = progress {
        progress.abort();
    }
    Ok((stats, elapsed))
}

fn client(settings: &Settings) -> Result<Client, String> {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, bearer(&settings.token)?);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if settings.gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Client::builder()
        .http1_only()
        .pool_max_idle_per_host(settings.concurrency)
        .tcp_nodelay(true)
        .timeout(settings.timeout)
        .default_headers(headers)
        .user_agent(concat!("strata-loadgen/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))
}

/// Why a body was not written: a non-2xx answer, or none.
enum Failure {
    Refused {
        status: StatusCode,
        body: Bytes,
        retry_after: Option<Duration>,
    },
    Unanswered(reqwest::Error),
}

impl Failure {
    /// 503 (the server's buffer stayed full) and 429 ask the client to come back later.
    fn asks_to_retry(&self) -> bool {
        matches!(self, Failure::Refused { status, .. }
            if *status == StatusCode::SERVICE_UNAVAILABLE || *status == StatusCode::TOO_MANY_REQUESTS)
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Refused { retry_after, .. } => *retry_after,
            Failure::Unanswered(_) => None,
        }
    }

    fn record(&self, stats: &mut Stats) {
        match self {
            Failure::Refused { status, body, .. } => stats.record_status(status.as_u16(), || {
                String::from_utf8_lossy(body).into_owned()
            }),
            Failure::Unanswered(e) => stats.record_transport_error(|| error_chain(e)),
        }
    }
}

/// Posts one body and reads the whole answer, so the connection can carry the next request.
async fn post(client: &Client, url: &Url, body: Bytes) -> Result<(), Failure> {
    let response = client
        .post(url.clone())
        .body(body)
        .send()
        .await
        .map_err(Failure::Unanswered)?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = response.bytes().await.map_err(Failure::Unanswered)?;
    if status.is_success() {
        return Ok(());
    }
    Err(Failure::Refused {
        status,
        body,
        retry_after,
    })
}

/// One connection's worth of load: post bodies one after another until the deadline, the last
/// body or a fatal answer. A body answered 503 or 429 is sent again after a backoff, up to
/// `retries` times; its latency runs from its first request to its last answer.
async fn send(
    client: Client,
    url: Url,
    generator: &Generator,
    live: &Live,
    deadline: Instant,
    retries: usize,
) -> Stats {
    let mut stats = Stats::default();
    loop {
        if live.stop.load(Ordering::Relaxed) {
            break;
        }
        let waiting = Instant::now();
        let Some(batch) = generator.next(deadline).await else {
            break;
        };
        stats.starved += waiting.elapsed();
        let sent = Instant::now();
        let post = || post(&client, &url, batch.body.clone());
        let outcome = post
            .retry(write_backoff(retries))
            .when(Failure::asks_to_retry)
            .adjust(|failure, backoff| {
                let asked = failure.retry_after();
                backoff.map(|wait| asked.map_or(wait, |asked| asked.max(wait)))
            })
            .notify(|failure, _| {
                // An answer the write is retried after still counts as a non-2xx answer.
                stats.requests += 1;
                live.requests.fetch_add(1, Ordering::Relaxed);
                live.failed.fetch_add(1, Ordering::Relaxed);
                stats.retries += 1;
                failure.record(&mut stats);
            })
            .await;
        stats.latencies_us.push(sent.elapsed().as_micros() as u64);
        stats.requests += 1;
        live.requests.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(()) => {
                stats.lines += batch.lines;
                stats.raw_bytes += batch.raw_bytes;
                stats.sent_bytes += batch.body.len() as u64;
                live.lines.fetch_add(batch.lines, Ordering::Relaxed);
            }
            Err(failure) => {
                failure.record(&mut stats);
                stats.unwritten += 1;
                live.failed.fetch_add(1, Ordering::Relaxed);
                let stop = match &failure {
                    Failure::Refused { status, .. } if FATAL.contains(status) => Some(format!(
                        "the server answered {status}, and would answer every request the same way"
                    )),
                    // Nothing listens: every request would fail at once, in a tight loop.
                    Failure::Unanswered(e) if e.is_connect() => {
                        Some("cannot connect to the server".to_string())
                    }
                    _ => None,
                };
                if let Some(reason) = stop {
                    if !live.stop.swap(true, Ordering::Relaxed) {
                        eprintln!("stopping: {reason}");
                    }
                    break;
                }
            }
        }
    }
    stats
}

async fn progress(live: Arc<Live>, start: Instant, every: Duration) {
    let mut ticker = tokio::time::interval_at((start + every).into(), every);
    let mut last = 0;
    loop {
        ticker.tick().await;
        let lines = live.lines.load(Ordering::Relaxed);
        eprintln!(
            "[{:>5.0}s] {} lines ({} lines/s), {} requests, {} failed",
            start.elapsed().as_secs_f64(),
            group(lines),
            group(((lines - last) as f64 / every.as_secs_f64()) as u64),
            group(live.requests.load(Ordering::Relaxed)),
            group(live.failed.load(Ordering::Relaxed)),
        );
        last = lines;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_loadgen::data::Dataset;

    fn batches(lines: Option<u64>) -> Arc<Batches> {
        Arc::new(Batches::new(Dataset::fleet(100, 4, 0, 1), 10, lines, false))
    }

    #[tokio::test]
    async fn the_deadline_ends_the_run_even_with_bodies_queued() {
        let generator = Generator::start(batches(None), 2, 8);
        generator.fill().await;
        assert_eq!(generator.rx.lock().await.len(), 8);
        let past = Instant::now();
        assert!(generator.next(past).await.is_none());
        let future = Instant::now() + Duration::from_secs(60);
        assert_eq!(generator.next(future).await.unwrap().lines, 10);
    }

    #[tokio::test]
    async fn every_body_of_a_bounded_run_is_handed_out_once() {
        let generator = Generator::start(batches(Some(95)), 3, 10);
        generator.fill().await;
        let future = Instant::now() + Duration::from_secs(60);
        let mut lines = 0;
        let mut bodies = std::collections::HashSet::new();
        while let Some(batch) = generator.next(future).await {
            lines += batch.lines;
            assert!(bodies.insert(batch.body), "a body handed out twice");
        }
        assert_eq!((lines, bodies.len()), (95, 10));
    }

    #[test]
    fn bodies_of_a_small_bounded_run_are_all_built_up_front() {
        assert_eq!(queue_capacity(&batches(Some(1_000_000)), 4), 100_000);
        assert_eq!(queue_capacity(&batches(None), 4), 16);
        assert_eq!(queue_capacity(&batches(None), 8), 32);
        let huge = Batches::new(Dataset::fleet(100, 4, 0, 1), 10_000, Some(1 << 40), false);
        assert_eq!(queue_capacity(&huge, 4), 16);
    }
}
