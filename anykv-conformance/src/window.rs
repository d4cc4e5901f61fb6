//! Time as uncertainty windows, for checks that wait for entries to expire: never assume a speed,
//! only what the instants before and after each call prove.

use std::time::{Duration, Instant};

/// Margin for millisecond truncation between the suite's clock and the store's.
pub(crate) const CLOCK_SLACK: Duration = Duration::from_millis(3);

/// When an entry written with a TTL by a call that ran from `started` to `finished` is visible:
/// certainly before `alive_until`, certainly not from `dead_after` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) alive_until: Instant,
    pub(crate) dead_after: Instant,
}

impl Window {
    /// The window of a write of `ttl` that ran from `started` to `finished`.
    pub(crate) fn of_write(ttl: Duration, started: Instant, finished: Instant) -> Self {
        Window {
            alive_until: (started + ttl).checked_sub(CLOCK_SLACK).unwrap_or(started),
            dead_after: finished + ttl + CLOCK_SLACK,
        }
    }

    /// Runs `write`, which writes entries with `ttl`, and returns its outcome and their window.
    pub(crate) fn around<T>(ttl: Duration, write: impl FnOnce() -> T) -> (T, Self) {
        let started = Instant::now();
        let outcome = write();
        (outcome, Window::of_write(ttl, started, Instant::now()))
    }

    /// Sleeps until the entries are certainly gone.
    pub(crate) fn wait_until_gone(&self) {
        std::thread::sleep(self.dead_after.saturating_duration_since(Instant::now()));
    }
}
