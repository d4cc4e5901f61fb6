//! [`DefaultTtlLayer`]: a TTL for every write that passes none.

use std::time::Duration;

use anykv_core::layer::Layer;
use anykv_core::time::MAX_TTL;
use anykv_core::{Error, Result};

/// Gives every write that passes no TTL (`set`, the conditional writes, `set_many`,
/// `set_entries`, `touch`, and the entries `update` copies without an expiry) this store-wide
/// TTL, as requests-cache's `expire_after` does. A TTL the caller passes wins.
///
/// Through this layer no write can make an entry without expiry; write to the store underneath
/// ([`Layered::inner`](anykv_core::layer::Layered::inner)) for that.
#[derive(Debug, Clone, Copy)]
pub struct DefaultTtlLayer {
    ttl: Duration,
}

impl DefaultTtlLayer {
    /// Writes without a TTL expire after `ttl` (at least 1 ms, at most 100 years).
    pub fn new(ttl: Duration) -> Result<Self> {
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(Error::InvalidTtl {
                reason: "a default ttl must be between 1 ms and 100 years",
            });
        }
        Ok(DefaultTtlLayer { ttl })
    }

    /// The TTL given to writes that pass none.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

impl Layer for DefaultTtlLayer {
    fn write_ttl(&self, ttl: Option<Duration>) -> Option<Duration> {
        Some(ttl.unwrap_or(self.ttl))
    }
}
