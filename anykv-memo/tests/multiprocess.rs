//! Processes sharing one store (a SQLite file, a Redis server, Redis behind each process's
//! near cache fed by the server's change reports):
//! - exactly one refresh runs per stale window, however many processes read;
//! - a refresher killed mid-run is replaced after the retry duration, not before;
//! - statistics shared through the store count every process's calls once, and `forget_all`
//!   forgets every value of one cache.
//!
//! Runs without the test harness: the parent re-executes this binary as the workers.

use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_core::KvStorage;
use anykv_layers::{NearCache, NearOptions, NearTier};
use anykv_memo::{Memo, MemoOptions};
use anykv_redis::RedisStorage;
use anykv_sqlite::{SqliteOptions, SqliteStorage};

const REFRESH: Duration = Duration::from_millis(1500);
const RETRY: Duration = Duration::from_millis(2000);
const WORKERS: usize = 4;

/// Opens the store named by `spec`: `sqlite:<path>`, `redis:<url>` or `near:<redis url>`.
fn open(spec: &str) -> Result<Arc<dyn KvStorage>, String> {
    match spec.split_once(':') {
        Some(("near", url)) => {
            let tier = NearTier::fed(NearOptions::default().max_staleness(Duration::from_secs(60)));
            let fed = tier.clone();
            let store = RedisStorage::from_url(url, "memo").map_err(|e| e.to_string())?;
            let listener = store
                .listen_for_changes(move |change| fed.apply(change))
                .map_err(|e| e.to_string())?;
            let deadline = Instant::now() + Duration::from_secs(60);
            while !tier.is_serving() {
                if Instant::now() > deadline {
                    return Err("the change feed never tracked".into());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Arc::new(
                NearCache::new(store, tier).keeping_feed(Arc::new(listener)),
            ))
        }
        Some(("sqlite", path)) => Ok(Arc::new(
            SqliteStorage::open(SqliteOptions::path(path).namespace("memo"))
                .map_err(|e| e.to_string())?,
        )),
        Some(("redis", url)) => Ok(Arc::new(
            RedisStorage::from_url(url, "memo").map_err(|e| e.to_string())?,
        )),
        _ => Err(format!("bad store spec {spec}")),
    }
}

fn memo(store: Arc<dyn KvStorage>) -> Memo<String> {
    Memo::new(
        store,
        MemoOptions::new("report", REFRESH, Duration::from_secs(60)).retry(RETRY),
    )
}

/// The function every process memoizes: records each computation under a key of its own.
fn compute(
    store: Arc<dyn KvStorage>,
    label: String,
    work: Duration,
) -> impl FnOnce() -> Result<String, std::io::Error> + Send {
    move || {
        let marker = format!("computed/{label}/{}", std::process::id());
        store
            .set(&marker, b"", None)
            .map_err(std::io::Error::other)?;
        std::thread::sleep(work);
        Ok(label)
    }
}

fn computations(store: &Arc<dyn KvStorage>, label: &str) -> Result<usize, String> {
    let prefix = format!("computed/{label}/");
    let keys = store.keys().map_err(|e| e.to_string())?;
    Ok(keys
        .filter_map(Result::ok)
        .filter(|k| k.starts_with(&prefix))
        .count())
}

/// Worker: read the cache in a loop for `millis`, as a busy process would.
fn reader(spec: &str, label: &str, millis: u64) -> Result<(), String> {
    let store = open(spec)?;
    let memo = memo(store.clone());
    let until = Instant::now() + Duration::from_millis(millis);
    while Instant::now() < until {
        memo.call(
            &"daily",
            compute(store.clone(), label.to_owned(), Duration::from_millis(150)),
        )
        .map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let a refresh this process started finish before exiting.
    std::thread::sleep(Duration::from_millis(400));
    Ok(())
}

/// Worker: start a refresh that never finishes, then die (killed by the parent).
fn hanging_refresher(spec: &str) -> Result<(), String> {
    let store = open(spec)?;
    memo(store.clone())
        .call(
            &"daily",
            compute(store.clone(), "hung".to_owned(), Duration::from_secs(3600)),
        )
        .map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_secs(3600));
    Ok(())
}

/// Calls each counting worker makes.
const COUNTED_CALLS: usize = 40;

/// The cache whose statistics the workers share through the store.
fn counted(store: Arc<dyn KvStorage>) -> Memo<String> {
    Memo::new(
        store,
        MemoOptions::new("counted", Duration::from_secs(60), Duration::from_secs(120))
            .shared_stats(Duration::from_millis(100)),
    )
}

/// Worker: calls the counted cache over three arguments, then flushes what is left to flush.
fn counter(spec: &str) -> Result<(), String> {
    let store = open(spec)?;
    let memo = counted(store);
    for call in 0..COUNTED_CALLS {
        let arg = call % 3;
        memo.call(&arg, move || Ok::<_, std::io::Error>(arg.to_string()))
            .map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(5));
    }
    memo.flush_stats().map_err(|e| e.to_string())
}

/// Every process's calls are counted once in the shared statistics (hits, stale serves and
/// misses add up to the calls of all processes), and `forget_all` removes every value of the
/// cache and nothing of a cache whose name extends it.
fn stats_are_shared_and_forget_all_forgets(spec: &str) -> Result<(), String> {
    let store = open(spec)?;
    store.clear().map_err(|e| e.to_string())?;
    let workers = (0..WORKERS)
        .map(|_| spawn(&[spec, "count"]))
        .collect::<Result<Vec<_>, _>>()?;
    for mut worker in workers {
        let status = worker.wait().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("{spec}: a counting worker failed ({status})"));
        }
    }
    let memo = counted(store.clone());
    let shared = memo.shared_stats().map_err(|e| e.to_string())?;
    let calls = (shared.hit + shared.stale + shared.missed) as usize;
    if calls != WORKERS * COUNTED_CALLS || shared.success < 3 || shared.missed < 3 {
        return Err(format!(
            "{spec}: {WORKERS} processes x {COUNTED_CALLS} calls shared as {shared:?}"
        ));
    }
    let extended: Memo<String> = Memo::new(
        store.clone(),
        MemoOptions::new(
            "counted:1",
            Duration::from_secs(60),
            Duration::from_secs(120),
        ),
    );
    extended
        .call(&"a", || Ok::<_, std::io::Error>("kept".to_owned()))
        .map_err(|e| e.to_string())?;
    let forgotten = memo.forget_all().map_err(|e| e.to_string())?;
    if forgotten != 3 {
        return Err(format!(
            "{spec}: forget_all removed {forgotten} values, not 3"
        ));
    }
    let recomputed = memo
        .call(&1usize, || Ok::<_, std::io::Error>("again".to_owned()))
        .map_err(|e| e.to_string())?;
    let kept = extended
        .call(&"a", || Ok::<_, std::io::Error>("recomputed".to_owned()))
        .map_err(|e| e.to_string())?;
    if recomputed != "again" || kept != "kept" {
        return Err(format!(
            "{spec}: after forget_all: {recomputed:?} (want a new value), {kept:?} (want the other cache's)"
        ));
    }
    Ok(())
}

fn spawn(args: &[&str]) -> Result<std::process::Child, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    Command::new(exe)
        .arg("--worker")
        .args(args)
        .spawn()
        .map_err(|e| format!("cannot start a worker: {e}"))
}

/// Primes the value and waits until it is stale.
fn prime_and_go_stale(spec: &str, store: &Arc<dyn KvStorage>) -> Result<(), String> {
    store.clear().map_err(|e| e.to_string())?;
    memo(store.clone())
        .call(
            &"daily",
            compute(store.clone(), "prime".to_owned(), Duration::ZERO),
        )
        .map_err(|e| format!("{spec}: prime: {e}"))?;
    std::thread::sleep(REFRESH + Duration::from_millis(50));
    Ok(())
}

fn one_refresh_per_stale_window(spec: &str) -> Result<(), String> {
    let store = open(spec)?;
    prime_and_go_stale(spec, &store)?;
    let workers = (0..WORKERS)
        .map(|_| spawn(&[spec, "reader", "window", "400"]))
        .collect::<Result<Vec<_>, _>>()?;
    for mut worker in workers {
        let status = worker.wait().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("{spec}: a reader failed ({status})"));
        }
    }
    let refreshes = computations(&store, "window")?;
    if refreshes != 1 {
        return Err(format!(
            "{spec}: {WORKERS} processes ran {refreshes} refreshes in one stale window, expected 1"
        ));
    }
    Ok(())
}

fn killed_refresher_is_replaced_after_retry(spec: &str) -> Result<(), String> {
    let store = open(spec)?;
    prime_and_go_stale(spec, &store)?;
    let locked_at = Instant::now();
    let mut hung = spawn(&[spec, "hang"])?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while computations(&store, "hung")? == 0 {
        if Instant::now() > deadline {
            return Err(format!("{spec}: the hanging refresher never started"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    hung.kill().map_err(|e| e.to_string())?;
    let _ = hung.wait();

    let memo = memo(store.clone());
    // Before the retry duration: the dead refresher's lock holds, the stale value is served.
    while locked_at.elapsed() < RETRY - Duration::from_millis(300) {
        let value = memo
            .call(
                &"daily",
                compute(store.clone(), "early".to_owned(), Duration::ZERO),
            )
            .map_err(|e| e.to_string())?;
        if value != "prime" || memo.stats().refresh != 0 {
            return Err(format!(
                "{spec}: refreshed before the retry duration ({value})"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // After it: the next reader takes over.
    std::thread::sleep(RETRY);
    memo.call(
        &"daily",
        compute(store.clone(), "retried".to_owned(), Duration::ZERO),
    )
    .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let value = memo
            .call(
                &"daily",
                compute(store.clone(), "unused".to_owned(), Duration::ZERO),
            )
            .map_err(|e| e.to_string())?;
        if value == "retried" {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{spec}: no refresh after the retry duration (value {value})"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if computations(&store, "early")? != 0 || memo.stats().refresh != 1 {
        return Err(format!(
            "{spec}: wrong refreshes after the retry: {:?}",
            memo.stats()
        ));
    }
    Ok(())
}

fn parent() -> Result<usize, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let redis = anykv_test_support::redis()?;
    let specs = [
        format!("sqlite:{}", dir.path().join("memo.sqlite").display()),
        format!("redis:{}", redis.url()),
        format!("near:{}", redis.url()),
    ];
    let mut passed = 0;
    for spec in &specs {
        one_refresh_per_stale_window(spec)?;
        passed += 1;
        killed_refresher_is_replaced_after_retry(spec)?;
        passed += 1;
        stats_are_shared_and_forget_all_forgets(spec)?;
        passed += 1;
    }
    Ok(passed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--worker") {
        let arg = |i: usize| args.get(at + i).map(String::as_str).unwrap_or("");
        let outcome = match arg(2) {
            "reader" => reader(arg(1), arg(3), arg(4).parse().unwrap_or(400)),
            "hang" => hanging_refresher(arg(1)),
            "count" => counter(arg(1)),
            other => Err(format!("unknown worker mode {other}")),
        };
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("worker: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match parent() {
        Ok(passed) => {
            println!("memo multiprocess: one refresh per stale window and retry after a killed refresher, on SQLite, Redis, and Redis behind near caches");
            println!("{passed} passed, 0 failed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("memo multiprocess: {error}");
            println!("0 passed, 1 failed");
            ExitCode::FAILURE
        }
    }
}
