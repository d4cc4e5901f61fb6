//! Four processes writing one database file at once with the default settings: no
//! "database is locked" error, no lost write.
//!
//! Runs without the test harness: the parent re-executes this binary as the workers.

use anykv_core::{KvStorage, KvStorageExt};
use std::process::{Command, ExitCode};

use anykv_sqlite::{SqliteOptions, SqliteStorage};

const WORKERS: usize = 4;
const WRITES: usize = 300;

fn worker(path: &str, id: usize) -> Result<(), String> {
    let store = SqliteStorage::open(SqliteOptions::path(path).namespace("shared"))
        .map_err(|e| e.to_string())?;
    let other = store.namespace("bulk").map_err(|e| e.to_string())?;
    for i in 0..WRITES {
        let key = format!("w{id}/k{i}");
        store
            .set(&key, key.as_bytes(), None)
            .map_err(|e| format!("set {key}: {e}"))?;
        store
            .get(&format!("w{}/k{i}", (id + 1) % WORKERS))
            .map_err(|e| format!("get: {e}"))?;
        if i % 50 == 0 {
            let batch: Vec<String> = (0..20).map(|j| format!("w{id}/b{i}/{j}")).collect();
            let entries: Vec<(&str, &[u8])> =
                batch.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
            other
                .set_many(&entries, None)
                .map_err(|e| format!("set_many: {e}"))?;
            store.len().map_err(|e| format!("len: {e}"))?;
        }
        store
            .set_if_absent(&format!("once/{i}"), format!("{id}").as_bytes(), None)
            .map_err(|e| format!("set_if_absent: {e}"))?;
    }
    Ok(())
}

fn parent() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("shared.sqlite");
    let path = path.to_str().ok_or("temp path is not UTF-8")?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let children: Vec<_> = (0..WORKERS)
        .map(|id| {
            Command::new(&exe)
                .args(["--worker", path, &id.to_string()])
                .spawn()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot start a worker: {e}"))?;
    for child in children {
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!("a worker failed ({})", output.status));
        }
    }
    let store = SqliteStorage::open(SqliteOptions::path(path).namespace("shared"))
        .map_err(|e| e.to_string())?;
    let bulk = store.namespace("bulk").map_err(|e| e.to_string())?;
    let expected = WORKERS * WRITES + WRITES;
    let len = store.len().map_err(|e| e.to_string())?;
    if len != expected {
        return Err(format!("lost writes: {len} entries, expected {expected}"));
    }
    for id in 0..WORKERS {
        for i in 0..WRITES {
            let key = format!("w{id}/k{i}");
            if store.get(&key).map_err(|e| e.to_string())?.as_deref() != Some(key.as_bytes()) {
                return Err(format!("{key} is missing or wrong"));
            }
        }
    }
    let bulk_len = bulk.len().map_err(|e| e.to_string())?;
    if bulk_len != WORKERS * (WRITES / 50) * 20 {
        return Err(format!("lost bulk writes: {bulk_len}"));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let outcome = match args.iter().position(|a| a == "--worker") {
        Some(at) => {
            let path = args.get(at + 1).cloned().unwrap_or_default();
            let id = args.get(at + 2).and_then(|id| id.parse().ok()).unwrap_or(0);
            worker(&path, id)
        }
        None => parent(),
    };
    match outcome {
        Ok(()) => {
            if !args.iter().any(|a| a == "--worker") {
                println!("multiprocess: {WORKERS} processes x {WRITES} writes, no lock error, no lost write");
                println!("1 passed, 0 failed");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("multiprocess: {error}");
            if !args.iter().any(|a| a == "--worker") {
                println!("0 passed, 1 failed");
            }
            ExitCode::FAILURE
        }
    }
}
