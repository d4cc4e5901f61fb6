//! A hot key read through a near cache in front of Redis (fed by the server's change reports),
//! beside a Redis `GET` by the raw driver and beside the bare memory store: the near cache must
//! be many times faster than a round trip and close to memory. In these rows the "raw" column
//! is the comparison named in the operation.

use std::time::Duration;

use anykv_core::{KvStorage, MemoryStorage};
use anykv_layers::{NearCache, NearOptions, NearTier};
use anykv_redis::RedisStorage;

use crate::raw::RawStore;
use crate::raw_redis::RawRedis;
use crate::table::{measure, Row};

type BoxError = Box<dyn std::error::Error>;

/// The longest the feed may take to start tracking.
const TRACKING_WITHIN: Duration = Duration::from_secs(60);

/// The rows for a hot key on the Redis server at `url`.
pub fn rows(url: &str, value: &[u8], scale: f64) -> Result<Vec<Row>, BoxError> {
    let tier = NearTier::fed(NearOptions::default().max_staleness(Duration::from_secs(3600)));
    let fed = tier.clone();
    let store = RedisStorage::from_url(url, "bench_near")?;
    let listener = store.listen_for_changes(move |change| fed.apply(change))?;
    let near = NearCache::new(store, tier.clone());
    let started = std::time::Instant::now();
    while !tier.is_serving() {
        if started.elapsed() > TRACKING_WITHIN {
            return Err("the change feed never started tracking".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let raw = RawRedis::new(url, false)?;
    let memory = MemoryStorage::new();
    near.set("hot", value, None)?;
    raw.set("hot", value)?;
    memory.set("hot", value, None)?;
    let iterations = ((200_000.0 * scale) as usize).max(1000);
    let redis_iterations = ((2_000.0 * scale) as usize).max(50);
    let per = |time: Duration, count: usize| time / count as u32;
    let near_get = || (0..iterations).try_for_each(|_| near.get("hot").map(drop));
    let (ours, theirs) = measure(
        || near_get().map_err(|e| e.to_string()),
        || {
            (0..redis_iterations)
                .try_for_each(|_| raw.get("hot").map(drop))
                .map_err(|e| e.to_string())
        },
    )?;
    let mut rows = vec![Row {
        backend: "redis + near cache",
        op: "hot get vs Redis GET",
        size: value.len(),
        ours: per(ours, iterations),
        raw: per(theirs, redis_iterations),
    }];
    let (ours, theirs) = measure(
        || near_get().map_err(|e| e.to_string()),
        || {
            (0..iterations)
                .try_for_each(|_| memory.get("hot").map(drop))
                .map_err(|e| e.to_string())
        },
    )?;
    rows.push(Row {
        backend: "redis + near cache",
        op: "hot get vs memory store",
        size: value.len(),
        ours: per(ours, iterations),
        raw: per(theirs, iterations),
    });
    // Leave the server as found: the Redis rows count every raw key.
    near.delete("hot")?;
    raw.delete("hot")?;
    drop(listener);
    Ok(rows)
}
