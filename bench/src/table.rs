//! Timing and the printed table.

use std::time::{Duration, Instant};

/// One line of the table: time per operation (per batch for bulk rows).
pub struct Row {
    pub backend: &'static str,
    pub op: &'static str,
    pub size: usize,
    pub ours: Duration,
    pub raw: Duration,
}

const ROUNDS: usize = 6;

/// Runs `ours` and `raw` alternately for several rounds (who goes first alternates too) and
/// keeps each side's best round, so both see the same machine state.
pub fn measure<E>(
    mut ours: impl FnMut() -> Result<(), E>,
    mut raw: impl FnMut() -> Result<(), E>,
) -> Result<(Duration, Duration), E> {
    let (mut best_ours, mut best_raw) = (Duration::MAX, Duration::MAX);
    for round in 0..ROUNDS {
        for side in [round % 2, 1 - round % 2] {
            let start = Instant::now();
            if side == 0 {
                ours()?;
                best_ours = best_ours.min(start.elapsed());
            } else {
                raw()?;
                best_raw = best_raw.min(start.elapsed());
            }
        }
    }
    Ok((best_ours, best_raw))
}

/// Prints the rows as a Markdown table.
pub fn print(rows: &[Row]) {
    println!("| backend | operation | value | ours (µs/op) | raw driver (µs/op) | ratio |");
    println!("|---|---|---:|---:|---:|---:|");
    for row in rows {
        let ours = row.ours.as_secs_f64() * 1e6;
        let raw = row.raw.as_secs_f64() * 1e6;
        let size = if row.size >= 1024 {
            format!("{} KB", row.size / 1024)
        } else {
            format!("{} B", row.size)
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2}x |",
            row.backend,
            row.op,
            size,
            ours,
            raw,
            ours / raw.max(1e-9)
        );
    }
}
