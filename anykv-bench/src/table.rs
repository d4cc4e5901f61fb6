//! Timing and the printed table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One line of the table: time per operation (per batch for bulk rows).
pub struct Row {
    pub backend: &'static str,
    pub op: &'static str,
    pub size: usize,
    pub ours: Duration,
    pub raw: Duration,
}

/// Rounds per row: 6, or 2 in a quick run (see [`set_quick`]).
static ROUNDS: AtomicUsize = AtomicUsize::new(6);

/// Makes every later row run 2 rounds instead of 6.
pub fn set_quick() {
    ROUNDS.store(2, Ordering::Relaxed);
}

/// Runs `ours` and `raw` alternately for several rounds (who goes first alternates too) and
/// keeps each side's best round, so both see the same machine state.
pub fn measure<E>(
    mut ours: impl FnMut() -> Result<(), E>,
    mut raw: impl FnMut() -> Result<(), E>,
) -> Result<(Duration, Duration), E> {
    let (mut best_ours, mut best_raw) = (Duration::MAX, Duration::MAX);
    for round in 0..ROUNDS.load(Ordering::Relaxed) {
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

/// The rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| backend | operation | value | ours (µs/op) | raw driver (µs/op) | ratio |\n|---|---|---:|---:|---:|---:|\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.2} | {} |\n",
            row.backend,
            row.op,
            row.size_label(),
            row.ours.as_secs_f64() * 1e6,
            row.raw.as_secs_f64() * 1e6,
            ratio_label(row.ratio())
        ));
    }
    out
}

/// A ratio as `1.02x`, or `0.0012x` when it is tiny (a cache beside a round trip).
fn ratio_label(ratio: f64) -> String {
    if ratio < 0.1 {
        format!("{ratio:.4}x")
    } else {
        format!("{ratio:.2}x")
    }
}

impl Row {
    /// Ours ÷ raw time: below 1 is faster.
    pub fn ratio(&self) -> f64 {
        self.ours.as_secs_f64() / self.raw.as_secs_f64().max(1e-12)
    }

    /// The value size, as `100 B` or `10 KB`.
    pub fn size_label(&self) -> String {
        if self.size >= 1024 {
            format!("{} KB", self.size / 1024)
        } else {
            format!("{} B", self.size)
        }
    }
}
