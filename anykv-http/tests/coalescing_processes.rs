//! One origin fetch per URL across processes, on every backend that processes share (a SQLite
//! file, a files directory, Redis, Redis behind each process's near cache, MongoDB, DynamoDB),
//! against an origin that counts requests:
//! - 8 processes × 32 concurrent requests for one expired URL, the origin taking 300 ms:
//!   exactly one origin request for the refresh, every caller gets the refreshed response from
//!   the store but the fetcher, and callers in every process waited for the fetch (the origin
//!   holds the refresh until each process has looked in the store 32 times: either all its
//!   callers found the stale response, or some were already waiting and looking again);
//! - the same with the fetching process killed (`SIGKILL`) mid-fetch: after its lease runs out
//!   one other process takes over (one more origin request), every other caller gets that
//!   response, none waits forever.
//!
//! Runs without the test harness: the parent runs the origin and re-executes this binary as
//! the workers, which open the store by URL.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anykv_core::layer::{AsyncRun, Call, Layer, LayerFuture, Operation, Outcome, WithLayer};
use anykv_core::AsyncKvStorage;
use anykv_http::{CacheMiddleware, CacheStats};
use reqwest_middleware::ClientBuilder;

mod common;

use common::origin::Origin;

const PROCESSES: usize = 8;
const TASKS: usize = 32;
/// The lease's lifetime without a heartbeat when the fetcher is killed: how long it holds the
/// others up. Long enough that a live fetcher's heartbeat (every third of it) is never late on
/// a busy machine, or a second origin request would come from a slow machine, not a bug.
const SHORT_LEASE: Duration = Duration::from_secs(5);
/// The lease of the storm, where no fetcher dies: no heartbeat can be that late.
const LONG_LEASE: Duration = Duration::from_secs(60);
/// The longest a caller waits for another's fetch: far longer than any test step, so a caller
/// that gives up is a failure, not a slow machine.
const WAIT: Duration = Duration::from_secs(120);
/// The longest the parent waits for any step of the workers.
const DEADLINE: Duration = Duration::from_secs(240);

/// Counts the lookups of cached responses (`get` of a `GET:` key).
struct CountLookups(Arc<AtomicUsize>);

impl Layer for CountLookups {
    fn call_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> LayerFuture<'a, T> {
        if call.operation == Operation::Get && call.key.is_some_and(|k| k.starts_with("GET:")) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        run()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a client: {e}"))
}

fn middleware(store: Arc<dyn AsyncKvStorage>, lease: Duration) -> CacheMiddleware {
    CacheMiddleware::new(store, client())
        .lease_ttl(lease)
        .wait(WAIT)
}

/// Worker: opens `store_url`, says `ready`, waits for `go` on stdin, sends [`TASKS`]
/// concurrent GETs of `target`, says `looked` once all of them have looked in the store, then
/// one `answer STATUS BODY` line each and its `stats`.
fn worker(store_url: &str, target: &str, lease: Duration) -> Result<(), String> {
    let runtime = anykv_test_support::runtime();
    runtime.block_on(async {
        let lookups = Arc::new(AtomicUsize::new(0));
        let store = anykv::open_async(store_url)
            .await
            .map_err(|e| format!("cannot open {store_url}: {e}"))?;
        let store: Arc<dyn AsyncKvStorage> =
            Arc::new(store.with_layer(CountLookups(lookups.clone())));
        let cache = middleware(store, lease);
        let client = ClientBuilder::new(client()).with(cache.clone()).build();
        println!("ready");
        let mut go = String::new();
        std::io::stdin()
            .read_line(&mut go)
            .map_err(|e| e.to_string())?;
        let caller = std::process::id().to_string();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let request = client.get(target).header("x-caller", caller.as_str());
                tokio::spawn(async move {
                    let response = request.send().await.map_err(|e| format!("{e:#}"))?;
                    let status = response.status().as_u16();
                    let body = response.text().await.map_err(|e| e.to_string())?;
                    Ok::<_, String>((status, body))
                })
            })
            .collect();
        let started = Instant::now();
        while lookups.load(Ordering::SeqCst) < TASKS {
            if started.elapsed() > DEADLINE {
                return Err("the callers never looked in the store".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!("looked");
        for task in tasks {
            let (status, body) = task.await.map_err(|e| e.to_string())??;
            println!("answer {status} {body}");
        }
        let stats = cache.stats();
        println!(
            "stats {} {} {} {} {}",
            stats.origin_fetches,
            stats.coalesced_waits,
            stats.coalesced_hits,
            stats.wait_timeouts,
            stats.hits
        );
        Ok(())
    })
}

/// A worker process and the lines it printed, read by a thread of its own.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn spawn(store_url: &str, target: &str, lease: Duration) -> Result<Worker, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let lease = lease.as_millis().to_string();
        let mut child = Command::new(exe)
            .args(["--worker", store_url, target, lease.as_str()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start a worker: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("a worker without stdout")?;
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            lines,
        })
    }

    /// Waits for the line `expected`.
    fn expect(&self, expected: &str) -> Result<(), String> {
        match self.lines.recv_timeout(DEADLINE) {
            Ok(line) if line == expected => Ok(()),
            Ok(line) => Err(format!("a worker said {line:?}, expected {expected:?}")),
            Err(_) => Err(format!("a worker never said {expected:?}")),
        }
    }

    fn go(&mut self) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("go twice")?;
        writeln!(stdin, "go").map_err(|e| e.to_string())
    }

    /// Its answers and stats, once it exited successfully.
    fn finish(mut self) -> Result<(Vec<String>, CacheStats), String> {
        drop(self.stdin.take());
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let mut answers = Vec::new();
        let mut stats = CacheStats::default();
        // Every line, up to the end of its output (the reader thread may still be forwarding
        // lines when the process has exited).
        loop {
            let line = match self.lines.recv_timeout(DEADLINE) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err("a worker's output never ended".to_owned())
                }
            };
            if let Some(answer) = line.strip_prefix("answer ") {
                answers.push(answer.to_owned());
            } else if let Some(counts) = line.strip_prefix("stats ") {
                let counts: Vec<u64> = counts.split(' ').filter_map(|n| n.parse().ok()).collect();
                if let [fetches, waits, coalesced_hits, timeouts, hits] = counts[..] {
                    stats.origin_fetches = fetches;
                    stats.coalesced_waits = waits;
                    stats.coalesced_hits = coalesced_hits;
                    stats.wait_timeouts = timeouts;
                    stats.hits = hits;
                }
            }
        }
        if !status.success() {
            return Err(format!("a worker failed ({status})"));
        }
        Ok((answers, stats))
    }
}

/// Starts [`PROCESSES`] workers on `target` and lets them go at once, once all are ready.
fn start_workers(store_url: &str, target: &str, lease: Duration) -> Result<Vec<Worker>, String> {
    let mut workers = (0..PROCESSES)
        .map(|_| Worker::spawn(store_url, target, lease))
        .collect::<Result<Vec<_>, _>>()?;
    for worker in &workers {
        worker.expect("ready")?;
    }
    for worker in &mut workers {
        worker.go()?;
    }
    Ok(workers)
}

/// Waits until `done`, up to [`DEADLINE`].
fn wait_until(what: &str, done: impl Fn() -> bool) -> Result<(), String> {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > DEADLINE {
            return Err(format!("{what} did not happen within {DEADLINE:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// GETs `url` once through a cache on `store_url`: the body.
fn prime(runtime: &tokio::runtime::Runtime, store_url: &str, url: &str) -> Result<String, String> {
    runtime.block_on(async {
        let store = anykv::open_async(store_url)
            .await
            .map_err(|e| e.to_string())?;
        let client = ClientBuilder::new(client())
            .with(middleware(Arc::from(store), LONG_LEASE))
            .build();
        let response = client.get(url).send().await.map_err(|e| format!("{e:#}"))?;
        response.text().await.map_err(|e| e.to_string())
    })
}

/// 256 callers in 8 processes, one expired URL: one origin request.
fn one_fetch_per_refresh(
    runtime: &tokio::runtime::Runtime,
    origin: &Origin,
    backend: &str,
    store_url: &str,
) -> Result<(), String> {
    let path = format!("/gen/storm-{backend}");
    // Primed fresh for 1 s only; the refresh is fresh for an hour, so a caller of a slow
    // machine that first looks after the refresh was stored finds it fresh (a hit), not stale.
    let url = origin.url(&format!(
        "{path}?gate=1&delay_ms=300&cc_first=max-age%3D1&cc=max-age%3D3600"
    ));
    origin.set_gate(true);
    let primed = prime(runtime, store_url, &url)?;
    if primed != format!("storm-{backend} 1") {
        return Err(format!("priming answered {primed:?}"));
    }
    // max-age=1 at first: stale a second after it was stored (its age counts from its `Date`).
    std::thread::sleep(Duration::from_millis(1100));
    origin.set_gate(false);
    let workers = start_workers(store_url, &url, LONG_LEASE)?;
    for worker in &workers {
        worker.expect("looked")?;
    }
    // Every caller has found the stale response; the refresh is held at the origin until now.
    origin.set_gate(true);
    let mut answers = Vec::new();
    let mut total = CacheStats::default();
    let mut processes_that_waited = 0;
    for worker in workers {
        let (mut got, stats) = worker.finish()?;
        answers.append(&mut got);
        total.origin_fetches += stats.origin_fetches;
        total.coalesced_waits += stats.coalesced_waits;
        total.coalesced_hits += stats.coalesced_hits;
        total.wait_timeouts += stats.wait_timeouts;
        total.hits += stats.hits;
        processes_that_waited += usize::from(stats.coalesced_waits > 0);
    }
    let expected = format!("200 storm-{backend} 2");
    let wrong: Vec<_> = answers.iter().filter(|a| **a != expected).collect();
    let callers = PROCESSES * TASKS;
    if answers.len() != callers || !wrong.is_empty() {
        return Err(format!(
            "{} answers, expected {callers} of {expected:?}; others: {wrong:?}",
            answers.len()
        ));
    }
    let requests = origin.hits(&path);
    let others = callers as u64 - 1;
    if requests != 2
        || total.origin_fetches != 1
        || total.coalesced_hits + total.hits != others
        || total.wait_timeouts != 0
        || processes_that_waited != PROCESSES
    {
        return Err(format!(
            "{requests} origin requests (expected 1 to prime + 1 refresh), {processes_that_waited} \
             processes waited (expected {PROCESSES}), stats summed over the processes: {total:?}, \
             expected 1 fetch and {others} answers from the store"
        ));
    }
    println!(
        "  {backend}: {callers} callers in {PROCESSES} processes, 1 origin request; {} waited for it",
        total.coalesced_waits
    );
    Ok(())
}

/// The fetching process is killed mid-fetch: another takes over after the lease runs out.
fn killed_fetcher_is_replaced(
    origin: &Origin,
    backend: &str,
    store_url: &str,
) -> Result<(), String> {
    let path = format!("/gen/killed-{backend}");
    let url = origin.url(&format!("{path}?hang_first=1&delay_ms=300&cc=max-age%3D60"));
    let mut workers = start_workers(store_url, &url, SHORT_LEASE)?;
    wait_until("the first origin request", || origin.hits(&path) >= 1)?;
    let fetcher = origin.callers(&path).first().cloned().unwrap_or_default();
    let position = workers
        .iter()
        .position(|worker| worker.child.id().to_string() == fetcher)
        .ok_or_else(|| format!("the origin's first caller {fetcher:?} is no worker"))?;
    let mut killed = workers.swap_remove(position);
    killed.child.kill().map_err(|e| e.to_string())?;
    let killed_at = Instant::now();
    let _ = killed.child.wait();
    let mut answers = Vec::new();
    for worker in workers {
        answers.append(&mut worker.finish()?.0);
    }
    let took_over_after = killed_at.elapsed();
    let expected = format!("200 killed-{backend} 2");
    let callers = (PROCESSES - 1) * TASKS;
    let wrong: Vec<_> = answers.iter().filter(|a| **a != expected).collect();
    if answers.len() != callers || !wrong.is_empty() {
        return Err(format!(
            "{} answers, expected {callers} of {expected:?}; others: {wrong:?}",
            answers.len()
        ));
    }
    let requests = origin.callers(&path);
    if requests.len() != 2 || requests[1] == fetcher {
        return Err(format!(
            "origin requests from {requests:?}: expected the killed {fetcher} and one other"
        ));
    }
    println!(
        "  {backend}: fetcher killed, another took over; all {callers} answered {took_over_after:.1?} after the kill (lease {SHORT_LEASE:?})"
    );
    Ok(())
}

/// `url` with `params` appended to its query.
fn with_params(url: &str, params: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

fn parent() -> Result<usize, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let redis = anykv_test_support::redis()?;
    let mongo = anykv_test_support::mongo()?;
    let dynamo = anykv_test_support::dynamo()?;
    let mut dynamo_url = "dynamodb://kv_http_test?create_table=true&timeout=30s".to_owned();
    if dynamo.url() != "aws" {
        dynamo_url.push_str(&format!("&endpoint={}&region=us-east-1", dynamo.url()));
    }
    let namespace = anykv_test_support::unique_name("http_coalescing");
    let stores = [
        (
            "sqlite",
            format!("sqlite://{}", dir.path().join("http.sqlite").display()),
        ),
        (
            "files",
            format!("file://{}", dir.path().join("files").display()),
        ),
        ("redis", redis.url().to_owned()),
        // Every process reads through a near cache fed by the server's change reports.
        ("redis-near", with_params(redis.url(), "near=true")),
        ("mongodb", with_params(mongo.url(), "database=kv_http_test")),
        ("dynamodb", dynamo_url),
    ];
    let runtime = anykv_test_support::runtime();
    let origin = runtime.block_on(Origin::start());
    let mut passed = 0;
    for (backend, url) in &stores {
        let url = with_params(url, &format!("namespace={namespace}"));
        one_fetch_per_refresh(&runtime, &origin, backend, &url)
            .map_err(|e| format!("{backend}: one fetch per refresh: {e}"))?;
        passed += 1;
        killed_fetcher_is_replaced(&origin, backend, &url)
            .map_err(|e| format!("{backend}: killed fetcher: {e}"))?;
        passed += 1;
        runtime
            .block_on(async { anykv::open_async(&url).await?.clear().await })
            .map_err(|e| format!("{backend}: clear: {e}"))?;
    }
    Ok(passed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--worker") {
        let arg = |i: usize| args.get(at + i).map(String::as_str).unwrap_or("");
        let lease = Duration::from_millis(arg(3).parse().unwrap_or(5000));
        return match worker(arg(1), arg(2), lease) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("worker: {error}");
                ExitCode::FAILURE
            }
        };
    }
    // Local DynamoDB endpoints take any credentials; URLs never carry them. Set before any
    // thread starts; the workers inherit them.
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
    println!("http coalescing across processes:");
    match parent() {
        Ok(passed) => {
            println!("{passed} passed, 0 failed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("http coalescing across processes: {error}");
            println!("0 passed, 1 failed");
            ExitCode::FAILURE
        }
    }
}
