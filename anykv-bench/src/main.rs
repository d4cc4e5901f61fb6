//! Prints a table of per-operation latency for each backend beside the raw driver doing the same
//! work in the same run, and their ratio.
//!
//! `cargo run --release -p anykv-bench [--quick] [--report DIR] [GROUP…]`; the groups are
//! sqlite, fs, memory, redis, redis-async (the async face's rows only, also part of redis),
//! mongodb, dynamodb, facade (`keys()` through `anykv::open_async` beside the store used
//! directly, on SQLite and Redis), near (a hot key through a near cache over Redis beside a
//! Redis `GET` and the memory store) and storm (1,000 requests for 10 expired URLs with and
//! without the HTTP cache's coalescing: origin requests and latency, its own table), all by
//! default, and only the servers of the groups named are started.
//! `--quick` runs a tenth of the work in 2 rounds instead of 6, on 100-byte values only (about
//! a minute on a 2-core machine), and only prints. A full run of
//! every group also writes `docs/benchmarks.md` and `docs/benchmarks.svg`; `--report DIR` writes
//! the report of any run into DIR. `BENCH_SCALE` sets the amount of work.

mod async_redis;
mod clear;
mod concurrency;
mod facade;
mod near;
mod raw;
mod raw_dynamo;
mod raw_mongo;
mod raw_redis;
mod report;
mod storm;
mod table;

use std::time::Duration;

use anykv_core::{KvStorage, KvStorageExt};
use anykv_fs::{FsOptions, FsStorage};
use anykv_sqlite::{SqliteOptions, SqliteStorage};

use raw::{RawFs, RawMemory, RawSqlite, RawStore};
use table::{measure, Row};

/// The groups of rows, selected by naming them on the command line (all by default).
/// `redis-async` is the async face's rows alone (for profiling them); `redis` includes them.
const GROUPS: &[&str] = &[
    "sqlite",
    "fs",
    "memory",
    "redis",
    "redis-async",
    "mongodb",
    "dynamodb",
    "facade",
    "near",
    "storm",
];

const KEYS: usize = 1000;
const BATCH: usize = 100;

/// What the command line asked for.
struct Args {
    quick: bool,
    report: Option<std::path::PathBuf>,
    groups: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: false,
        report: None,
        groups: Vec::new(),
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--report" => {
                let dir = given.next().ok_or("--report needs a directory")?;
                args.report = Some(dir.into());
            }
            group if GROUPS.contains(&group) => args.groups.push(arg),
            unknown => {
                return Err(format!(
                    "unknown argument {unknown:?}; usage: anykv-bench [--quick] [--report DIR] \
                     [GROUP…], the groups being {GROUPS:?}"
                ))
            }
        }
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if args.quick { 0.1 } else { 1.0 });
    let groups = &args.groups;
    if args.quick {
        table::set_quick();
    }
    let wants = |group: &str| groups.is_empty() || groups.iter().any(|g| g == group);
    let dir = tempfile::tempdir()?;
    // Only the servers of the groups this run covers are started.
    let async_redis_rows = wants("redis") || wants("redis-async");
    let redis = (async_redis_rows || wants("facade") || wants("near") || wants("storm"))
        .then(anykv_test_support::redis)
        .transpose()?;
    let mongo = wants("mongodb")
        .then(anykv_test_support::mongo)
        .transpose()?;
    let dynamo = wants("dynamodb")
        .then(anykv_test_support::dynamo)
        .transpose()?;
    let mut rows = Vec::new();
    let mut servers = Vec::new();
    // A quick run measures 100-byte values only.
    let sizes: &[usize] = if args.quick {
        &[100]
    } else {
        &[100, 10 * 1024]
    };
    for &size in sizes {
        let value = vec![0xA5u8; size];
        if wants("sqlite") {
            let sqlite_path = dir.path().join(format!("bench-{size}.sqlite"));
            let ours = SqliteStorage::open(SqliteOptions::path(&sqlite_path).namespace("ours"))?;
            // A file of its own, so neither side pays for the other's WAL checkpoints.
            let raw = RawSqlite::open(&dir.path().join(format!("raw-{size}.sqlite")), "raw")?;
            note_version(&mut servers, &raw);
            rows.extend(compare("sqlite", &ours, &raw, &value, scale)?);
        }
        if wants("fs") {
            let fs_root = dir.path().join(format!("fs-{size}"));
            let ours = FsStorage::open(FsOptions::dir(&fs_root).namespace("ours"))?;
            let raw = RawFs::open(&fs_root.join("raw"))?;
            note_version(&mut servers, &raw);
            rows.extend(compare("fs", &ours, &raw, &value, scale)?);
            if size == 100 {
                rows.push(clear::row(&fs_root, &value, scale)?);
            }
        }
        if wants("memory") {
            let ours = anykv_core::MemoryStorage::new();
            let raw = RawMemory::default();
            note_version(&mut servers, &raw);
            rows.extend(compare("memory", &ours, &raw, &value, scale)?);
        }
        if let Some(redis) = redis.as_ref().filter(|_| wants("redis")) {
            // The sync face of each Redis store; KvStorage:: picks it over the async one.
            let ours = anykv_redis::RedisStorage::from_url(redis.url(), "bench")?;
            let raw = raw_redis::RawRedis::new(redis.url(), false)?;
            note_version(&mut servers, &raw);
            rows.extend(compare("redis", &ours, &raw, &value, scale)?);
            let ours = anykv_redis::RedisHashStorage::from_url(redis.url(), "bench")?;
            let raw = raw_redis::RawRedis::new(redis.url(), true)?;
            note_version(&mut servers, &raw);
            rows.extend(compare("redis-hash", &ours, &raw, &value, scale)?);
        }
        if let Some(redis) = redis.as_ref().filter(|_| async_redis_rows && size < 1024) {
            rows.extend(async_redis::rows(redis.url(), &value, scale).map_err(|e| e.to_string())?);
        }
        if wants("facade") && size < 1024 {
            let redis_url = redis.as_ref().map(|redis| redis.url());
            rows.extend(
                facade::rows(dir.path(), redis_url, &value, scale).map_err(|e| e.to_string())?,
            );
        }
        if let Some(redis) = redis.as_ref().filter(|_| wants("near")) {
            rows.extend(near::rows(redis.url(), &value, scale)?);
        }
        if let Some(mongo) = &mongo {
            let options = anykv_mongo::MongoOptions::new(mongo.url())
                .database("kv_bench")
                .namespace("ours");
            let ours = anykv_mongo::MongoStorage::open_blocking(options)?;
            let raw = raw_mongo::RawMongo::new(mongo.url())?;
            note_version(&mut servers, &raw);
            rows.extend(compare("mongodb", &ours, &raw, &value, scale * 0.25)?);
        }
        if let Some(dynamo) = &dynamo {
            let options = dynamo_options(dynamo.url(), "ours");
            let ours = anykv_dynamo::DynamoStorage::open_blocking(options)?;
            let client = ours.inner().client().clone();
            let raw = raw_dynamo::RawDynamo::new(client, ours.inner().table())?;
            note_version(&mut servers, &raw);
            rows.extend(compare("dynamodb", &ours, &raw, &value, scale * 0.25)?);
        }
    }
    print!("{}", table::markdown(&rows));
    let storms = match redis.as_ref().filter(|_| wants("storm")) {
        Some(redis) => storm::markdown(&storm::run(redis.url()).map_err(|e| e.to_string())?),
        None => String::new(),
    };
    print!("{storms}");
    // The committed report is the whole table: only a full run of every group replaces it.
    let whole_run = !args.quick && args.groups.is_empty();
    let report = match args.report {
        Some(dir) => Some(dir),
        None if whole_run => Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")),
        None => None,
    };
    if let Some(dir) = report {
        report::write(
            &dir,
            &rows,
            &storms,
            &report::Setting::of_this_run(servers, scale),
        )?;
        println!("\nwrote {}", dir.join("benchmarks.md").display());
    }
    Ok(())
}

/// Adds the version behind `raw` to the report's list, once.
fn note_version(servers: &mut Vec<String>, raw: &dyn RawStore) {
    if let Some(version) = raw.version() {
        if !servers.contains(&version) {
            servers.push(version);
        }
    }
}

/// Runs every operation on `ours` and `raw` with the same keys and values.
fn compare(
    backend: &'static str,
    ours: &dyn KvStorage,
    raw: &dyn RawStore,
    value: &[u8],
    scale: f64,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("bench:key:{i:06}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let entries: Vec<(&str, &[u8])> = refs.iter().map(|k| (*k, value)).collect();
    let iterations = ((if backend == "memory" {
        20_000.0
    } else {
        2_000.0
    }) * scale)
        .max(50.0) as usize;
    let batches = (iterations / 20).max(5);
    let size = value.len();
    let mut rows = Vec::new();
    let mut row = |op: &'static str, ours_time: Duration, raw_time: Duration, per: usize| {
        rows.push(Row {
            backend,
            op,
            size,
            ours: ours_time / per as u32,
            raw: raw_time / per as u32,
        });
    };

    ours.set_many(&entries, None)?;
    raw.set_many(&entries)?;

    let (a, b) = measure(
        || (0..iterations).try_for_each(|i| ours.get(refs[i % KEYS]).map(drop)),
        || (0..iterations).try_for_each(|i| raw.get(refs[i % KEYS]).map(drop)),
    )?;
    row("get", a, b, iterations);
    let (a, b) = measure(
        || (0..iterations).try_for_each(|i| ours.set(refs[i % KEYS], value, None)),
        || (0..iterations).try_for_each(|i| raw.set(refs[i % KEYS], value)),
    )?;
    row("set", a, b, iterations);
    let (a, b) = measure(
        || (0..iterations).try_for_each(|i| ours.contains(refs[i % KEYS]).map(drop)),
        || (0..iterations).try_for_each(|i| raw.contains(refs[i % KEYS]).map(drop)),
    )?;
    row("contains", a, b, iterations);
    let (a, b) = measure(
        || {
            (0..iterations).try_for_each(|i| {
                ours.delete(refs[i % KEYS])
                    .map(drop)
                    .and_then(|()| ours.set(refs[i % KEYS], value, None))
            })
        },
        || {
            (0..iterations).try_for_each(|i| {
                raw.delete(refs[i % KEYS])
                    .map(drop)
                    .and_then(|()| raw.set(refs[i % KEYS], value))
            })
        },
    )?;
    row("delete+set", a, b, iterations);
    let (a, b) = measure(
        || {
            (0..batches).try_for_each(|i| {
                ours.get_many(&refs[(i * BATCH) % KEYS..][..BATCH])
                    .map(drop)
            })
        },
        || {
            (0..batches)
                .try_for_each(|i| raw.get_many(&refs[(i * BATCH) % KEYS..][..BATCH]).map(drop))
        },
    )?;
    row("get_many(100)", a, b, batches);
    let (a, b) = measure(
        || {
            (0..batches)
                .try_for_each(|i| ours.set_many(&entries[(i * BATCH) % KEYS..][..BATCH], None))
        },
        || (0..batches).try_for_each(|i| raw.set_many(&entries[(i * BATCH) % KEYS..][..BATCH])),
    )?;
    row("set_many(100)", a, b, batches);
    rows.extend(compare_scans(backend, ours, raw, value, scale)?);
    if size < 1024 && !matches!(backend, "mongodb" | "dynamodb") {
        let iterations = iterations.max(1000) * 2;
        let ours_get = |i: usize| ours.get(refs[i % KEYS]).map(drop);
        let ours_set = |i: usize| ours.set(refs[i % KEYS], value, None);
        let raw_get = |i: usize| raw.get(refs[i % KEYS]).map(drop);
        let raw_set = |i: usize| raw.set(refs[i % KEYS], value);
        rows.extend(concurrency::thread_rows(
            backend,
            size,
            iterations,
            (&ours_get, &ours_set),
            (&raw_get, &raw_set),
        )?);
    }
    Ok(rows)
}

/// How many entries the scan rows add to the `KEYS` already written (11k listed in all).
const SCAN_ENTRIES: usize = 10_000;

/// `keys()` and `len()` over 11k entries beside the raw driver's listing and count (where the
/// bench has one for the driver): the same entries on both sides, written in batches first.
fn compare_scans(
    backend: &'static str,
    ours: &dyn KvStorage,
    raw: &dyn RawStore,
    value: &[u8],
    scale: f64,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    if raw.keys()?.is_none() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = (0..SCAN_ENTRIES)
        .map(|i| format!("bench:scan:{i:06}"))
        .collect();
    for chunk in keys.chunks(500) {
        let entries: Vec<(&str, &[u8])> = chunk.iter().map(|k| (k.as_str(), value)).collect();
        ours.set_many(&entries, None)?;
        raw.set_many(&entries)?;
    }
    let expected = SCAN_ENTRIES + KEYS;
    let ours_keys = || -> anykv_core::Result<()> {
        // Counted as the raw side counts: each key checked, then dropped (collecting them into
        // a Vec cost 0.3-0.5 ms here that the raw side never paid).
        let listed = ours.keys()?.try_fold(0, |n, key| key.map(|_| n + 1))?;
        check_count("ours keys", listed, expected)
    };
    let raw_keys = || check_count("raw keys", raw.keys()?.unwrap_or(0), expected);
    let ours_len = || check_count("ours len", ours.len()?, expected);
    let raw_len = || check_count("raw len", raw.len()?.unwrap_or(0), expected);
    let mut rows = Vec::new();
    let ops: [(&str, Listing<'_>, Listing<'_>); 2] = [
        ("keys (11k)", &ours_keys, &raw_keys),
        ("len (11k)", &ours_len, &raw_len),
    ];
    for (op, ours_op, raw_op) in ops {
        let calls = calls_per_sample(ours_op, raw_op, scale)?;
        let (a, b) = measure(
            || (0..calls).try_for_each(|_| ours_op()),
            || (0..calls).try_for_each(|_| raw_op()),
        )?;
        rows.push(Row {
            backend,
            op,
            size: value.len(),
            ours: a / calls as u32,
            raw: b / calls as u32,
        });
    }
    Ok(rows)
}

/// One call of a listing (or count), checked.
type Listing<'a> = &'a dyn Fn() -> anykv_core::Result<()>;

/// Calls of a listing per measured sample: 20 times the scale, and at least enough for a
/// sample to last 50 ms on the slower side, so that a store answering in 40 µs (a count kept
/// by the server) is not measured over a fraction of a millisecond, where one preemption of the
/// process weighs more than the work.
fn calls_per_sample(ours: Listing<'_>, raw: Listing<'_>, scale: f64) -> anykv_core::Result<usize> {
    let timed = |op: Listing<'_>| -> anykv_core::Result<Duration> {
        let start = std::time::Instant::now();
        op()?;
        Ok(start.elapsed())
    };
    let slower = timed(ours)?.max(timed(raw)?).max(Duration::from_micros(1));
    let enough = (Duration::from_millis(50).as_secs_f64() / slower.as_secs_f64()).ceil() as usize;
    Ok(((20.0 * scale) as usize).max(enough).clamp(1, 10_000))
}

fn check_count(what: &str, got: usize, expected: usize) -> anykv_core::Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(anykv_core::Error::Config(format!(
            "{what}: {got} entries, expected {expected}"
        )))
    }
}

/// Options for `namespace` of the bench table at `endpoint` (`aws` for AWS itself).
fn dynamo_options(endpoint: &str, namespace: &str) -> anykv_dynamo::DynamoOptions {
    let options = anykv_dynamo::DynamoOptions::new("kv_bench")
        .namespace(namespace)
        .create_table(true);
    match endpoint {
        "aws" => options,
        endpoint => options
            .endpoint_url(endpoint)
            .region("us-east-1")
            .credentials("test", "test"),
    }
}
