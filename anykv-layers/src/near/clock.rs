//! The clock of the staleness bound: read on every hit, so it must be cheap.
//!
//! On Linux it is `CLOCK_MONOTONIC_COARSE` (about 4 ns a read instead of about 22 for
//! [`Instant::now`](std::time::Instant::now) on this project's machines), monotonic, in ticks
//! of a few milliseconds: an entry is served at most its bound plus one tick after it was read.
//! Elsewhere it is [`Instant`](std::time::Instant).

use std::time::Duration;

/// A point of the coarse monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Tick(Duration);

impl Tick {
    /// Now.
    #[cfg(target_os = "linux")]
    pub(crate) fn now() -> Tick {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `clock_gettime` only writes the `timespec` it is given, which lives here.
        let failed = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) } != 0;
        if failed {
            return fallback();
        }
        let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
        let nanos = u32::try_from(now.tv_nsec).unwrap_or(0);
        Tick(Duration::new(seconds, nanos))
    }

    /// Now.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn now() -> Tick {
        fallback()
    }

    /// `self` plus `span`.
    pub(crate) fn after(self, span: Duration) -> Tick {
        Tick(self.0.saturating_add(span))
    }
}

/// The time since the first call, from [`Instant`](std::time::Instant).
fn fallback() -> Tick {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    Tick(START.get_or_init(std::time::Instant::now).elapsed())
}

#[cfg(test)]
mod tests {
    use super::Tick;
    use std::time::Duration;

    #[test]
    fn the_clock_moves_on_and_never_back() {
        let first = Tick::now();
        let mut last = first;
        while last <= first.after(Duration::from_millis(20)) {
            let now = Tick::now();
            assert!(now >= last, "went back");
            last = now;
        }
    }
}
