//! The files store's `clear()` of a large flat directory beside `rm -rf` of the same files.

use std::path::Path;
use std::time::{Duration, Instant};

use anykv_core::{KvStorage, KvStorageExt};
use anykv_fs::{FsOptions, FsStorage};

use crate::table::Row;

type BoxError = Box<dyn std::error::Error>;

/// Entries cleared at `BENCH_SCALE=1`.
const ENTRIES: f64 = 100_000.0;
/// Rounds per side: every round writes the files again, which dominates the row's run time.
const ROUNDS: usize = 2;

/// Writes `count` entries of `value` into `store`, in batches.
fn fill(store: &FsStorage, count: usize, value: &[u8]) -> Result<(), BoxError> {
    let keys: Vec<String> = (0..count).map(|i| format!("clear:{i:07}")).collect();
    for chunk in keys.chunks(1000) {
        let entries: Vec<(&str, &[u8])> = chunk.iter().map(|k| (k.as_str(), value)).collect();
        store.set_many(&entries, None)?;
    }
    Ok(())
}

/// `rm -rf` of `dir`, timed; the directory is made again for the next round.
fn remove_with_rm(dir: &Path) -> Result<Duration, BoxError> {
    let start = Instant::now();
    let status = std::process::Command::new("rm")
        .arg("-rf")
        .arg(dir)
        .status()?;
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(format!("rm -rf {} failed: {status}", dir.display()).into());
    }
    std::fs::create_dir_all(dir)?;
    Ok(elapsed)
}

/// The row `clear (N files)`: the best of [`ROUNDS`] clears of N freshly written entries, per
/// file, beside the best `rm -rf` of the same N entry files (written by the same store, so
/// the same names and sizes), sides interleaved.
pub fn row(root: &Path, value: &[u8], scale: f64) -> Result<Row, BoxError> {
    let count = ((ENTRIES * scale) as usize).max(1000);
    let ours = FsStorage::open(FsOptions::dir(root).namespace("clear-ours"))?;
    let (mut best_ours, mut best_raw) = (Duration::MAX, Duration::MAX);
    for round in 0..ROUNDS {
        for side in [round % 2, 1 - round % 2] {
            if side == 0 {
                fill(&ours, count, value)?;
                let start = Instant::now();
                ours.clear()?;
                best_ours = best_ours.min(start.elapsed());
                if ours.len()? != 0 {
                    return Err("clear left entries behind".into());
                }
            } else {
                // Opened each round: `rm -rf` takes its directory, lock file and all.
                let raw = FsStorage::open(FsOptions::dir(root).namespace("clear-raw"))?;
                fill(&raw, count, value)?;
                best_raw = best_raw.min(remove_with_rm(raw.dir())?);
            }
        }
    }
    let per_file = |total: Duration| total / count as u32;
    Ok(Row {
        backend: "fs",
        // A bench binary's row label, made once per run.
        op: Box::leak(format!("clear ({}k files)", count / 1000).into_boxed_str()),
        size: value.len(),
        ours: per_file(best_ours),
        raw: per_file(best_raw),
    })
}
