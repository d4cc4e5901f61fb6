//! Expiry instants and TTL arithmetic, shared by every backend so they all round the same way.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// The longest TTL accepted: 100 years. Longer ones are refused with [`Error::InvalidTtl`].
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A wall-clock instant in whole milliseconds since the Unix epoch: when an entry expires.
///
/// Wall-clock time (not a monotonic clock) because expiry is shared with other processes and
/// servers. An entry whose expiry is `<= now` is expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Self {
        let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        };
        Timestamp(millis)
    }

    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch, rounded up (an entry is never dropped early by a
    /// backend whose native expiry has second precision).
    pub fn as_secs_ceil(self) -> i64 {
        self.0.div_euclid(1000) + i64::from(self.0.rem_euclid(1000) != 0)
    }

    /// Whether this expiry has passed at `now`.
    pub fn is_expired_at(self, now: Timestamp) -> bool {
        self <= now
    }

    /// Whether this expiry has passed now.
    pub fn is_expired(self) -> bool {
        self.is_expired_at(Timestamp::now())
    }

    /// The time left until this expiry (zero once it has passed).
    pub fn remaining(self) -> Duration {
        self.remaining_at(Timestamp::now())
    }

    /// The time left at `now`.
    pub fn remaining_at(self, now: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(now.0)).unwrap_or(0))
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.0.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_millis(self.0.unsigned_abs())
        }
    }
}

/// A TTL checked and converted to whole milliseconds (rounded up, so 1 µs becomes 1 ms).
///
/// Zero and TTLs over [`MAX_TTL`] are refused with [`Error::InvalidTtl`]: every backend
/// refuses them the same way.
pub fn ttl_millis(ttl: Duration) -> Result<i64> {
    if ttl.is_zero() {
        return Err(Error::InvalidTtl {
            reason: "a ttl must be at least 1 ms (delete the key instead)",
        });
    }
    if ttl > MAX_TTL {
        return Err(Error::InvalidTtl {
            reason: "a ttl must not exceed 100 years",
        });
    }
    let millis = ttl.as_millis() + u128::from(!ttl.subsec_nanos().is_multiple_of(1_000_000));
    Ok(i64::try_from(millis).unwrap_or(i64::MAX))
}

/// The expiry instant of an entry written `now` with `ttl`; `None` for no TTL.
pub fn expiry_from_ttl(ttl: Option<Duration>, now: Timestamp) -> Result<Option<Timestamp>> {
    ttl.map(|ttl| Ok(Timestamp(now.0.saturating_add(ttl_millis(ttl)?))))
        .transpose()
}

/// The TTL that remains of `expires_at` at `now`: `Some(None)` for no expiry, `None` if it has
/// already passed (the entry is gone).
pub fn remaining_ttl(expires_at: Option<Timestamp>, now: Timestamp) -> Option<Option<Duration>> {
    match expires_at {
        None => Some(None),
        Some(at) if at.is_expired_at(now) => None,
        Some(at) => Some(Some(at.remaining_at(now))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_whole_milliseconds() {
        assert_eq!(ttl_millis(Duration::from_micros(1)).ok(), Some(1));
        assert_eq!(ttl_millis(Duration::from_micros(1500)).ok(), Some(2));
        assert_eq!(ttl_millis(Duration::from_millis(7)).ok(), Some(7));
    }

    #[test]
    fn zero_and_huge_ttls_are_refused() {
        assert!(matches!(
            ttl_millis(Duration::ZERO),
            Err(Error::InvalidTtl { .. })
        ));
        assert!(matches!(
            ttl_millis(MAX_TTL + Duration::from_secs(1)),
            Err(Error::InvalidTtl { .. })
        ));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(Timestamp::from_millis(1000).as_secs_ceil(), 1);
        assert_eq!(Timestamp::from_millis(1001).as_secs_ceil(), 2);
        assert_eq!(Timestamp::from_millis(-1).as_secs_ceil(), 0);
    }

    #[test]
    fn expiry_is_inclusive_of_now() {
        let now = Timestamp::from_millis(5_000);
        assert!(Timestamp::from_millis(5_000).is_expired_at(now));
        assert!(!Timestamp::from_millis(5_001).is_expired_at(now));
        assert_eq!(
            remaining_ttl(Some(Timestamp::from_millis(5_250)), now),
            Some(Some(Duration::from_millis(250)))
        );
        assert_eq!(remaining_ttl(Some(now), now), None);
    }
}
