//! `keys()` of a store opened by URL with `anykv::open_async` beside the same backend's async
//! store used directly: the facade (boxing, the error context layer, the async adapter over a
//! blocking store) must reach the backend's own tuned `keys()`, not fall back to a scan. In
//! these rows the "raw" column is the direct store, not a driver.

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt};
use futures_util::TryStreamExt;

use crate::table::{measure, Row};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Entries listed by each call.
const ENTRIES: usize = 11_000;

/// The rows for SQLite (a file in `dir`) and Redis (at `redis_url`, both layouts).
pub fn rows(
    dir: &std::path::Path,
    redis_url: Option<&str>,
    value: &[u8],
    scale: f64,
) -> Result<Vec<Row>, BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sqlite_path = dir.join("facade.sqlite");
    let sqlite_url = format!("sqlite://{}?namespace=facade", sqlite_path.display());
    let mut targets: Vec<(&'static str, String, Box<dyn AsyncKvStorage>)> = vec![(
        "sqlite",
        sqlite_url,
        Box::new(anykv_core::AsyncAdapter::new(
            anykv_sqlite::SqliteStorage::open(
                anykv_sqlite::SqliteOptions::path(&sqlite_path).namespace("facade"),
            )?,
        )),
    )];
    if let Some(url) = redis_url {
        let separator = if url.contains('?') { '&' } else { '?' };
        targets.push((
            "redis",
            format!("{url}{separator}namespace=facade"),
            Box::new(anykv_redis::RedisStorage::from_url(url, "facade")?),
        ));
        targets.push((
            "redis-hash",
            format!("{url}{separator}namespace=facade&hash=true"),
            Box::new(anykv_redis::RedisHashStorage::from_url(url, "facade")?),
        ));
    }
    let mut rows = Vec::new();
    for (backend, url, direct) in targets {
        let facade = runtime.block_on(anykv::open_async(&url))?;
        runtime.block_on(fill(direct.as_ref(), value))?;
        let calls = ((20.0 * scale) as usize).max(3);
        let list = |store: &dyn AsyncKvStorage| -> Result<(), BoxError> {
            runtime.block_on(async {
                for _ in 0..calls {
                    count_keys(store).await?;
                }
                Ok(())
            })
        };
        let (ours, raw) = measure(|| list(facade.as_ref()), || list(direct.as_ref()))?;
        runtime.block_on(direct.clear())?;
        rows.push(Row {
            backend,
            op: "keys via open_async (11k)",
            size: value.len(),
            ours: ours / calls as u32,
            raw: raw / calls as u32,
        });
    }
    Ok(rows)
}

/// Writes [`ENTRIES`] entries of `value`.
async fn fill(store: &dyn AsyncKvStorage, value: &[u8]) -> anykv_core::Result<()> {
    store.clear().await?;
    let keys: Vec<String> = (0..ENTRIES).map(|i| format!("facade:{i:06}")).collect();
    for chunk in keys.chunks(500) {
        let entries: Vec<(&str, &[u8])> = chunk.iter().map(|k| (k.as_str(), value)).collect();
        store.set_many(&entries, None).await?;
    }
    Ok(())
}

/// Lists the keys, checking their number.
async fn count_keys(store: &dyn AsyncKvStorage) -> Result<(), BoxError> {
    let listed = store
        .keys()
        .await?
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await?;
    if listed != ENTRIES {
        return Err(format!("listed {listed} keys, expected {ENTRIES}").into());
    }
    Ok(())
}
