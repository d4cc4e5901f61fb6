//! The Redis async face under 1 and 64 tasks of a multi-thread runtime, beside redis-rs's
//! `ConnectionManager` (one multiplexed connection) sending the same GET and SET.

use std::sync::Arc;

use anykv_core::AsyncKvStorage;
use anykv_redis::RedisStorage;

use crate::concurrency::on_tasks;
use crate::table::{measure, Row};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Task counts, the operations each row runs (times the scale; 64 tasks run ten times as many,
/// so a measurement lasts long enough to average the scheduling of 64 tasks on a few cores) and
/// the names of their rows.
const TASKS: [(usize, f64, &str, &str); 2] = [
    (1, 4000.0, "async get, 1 task", "async set, 1 task"),
    (64, 40000.0, "async get, 64 tasks", "async set, 64 tasks"),
];

/// The async rows for values of `value`'s size.
pub fn rows(url: &str, value: &[u8], scale: f64) -> Result<Vec<Row>, BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ours = Arc::new(RedisStorage::from_url(url, "bench-async")?);
    let raw =
        runtime.block_on(async { redis::Client::open(url)?.get_connection_manager().await })?;
    let keys: Arc<Vec<String>> = Arc::new((0..1000).map(|i| format!("async:{i:04}")).collect());
    let value: Arc<Vec<u8>> = Arc::new(value.to_vec());
    let mut rows = Vec::new();
    for (tasks, work, get_row, set_row) in TASKS {
        let iterations = ((work * scale) as usize).max(500);
        let ours_set = {
            let (ours, keys, value) = (ours.clone(), keys.clone(), value.clone());
            move |i: usize| {
                let (ours, keys, value) = (ours.clone(), keys.clone(), value.clone());
                async move {
                    AsyncKvStorage::set(&*ours, &keys[i % keys.len()], &value, None).await?;
                    Ok::<(), BoxError>(())
                }
            }
        };
        let raw_set = {
            let (raw, keys, value) = (raw.clone(), keys.clone(), value.clone());
            move |i: usize| {
                let (mut raw, keys, value) = (raw.clone(), keys.clone(), value.clone());
                async move {
                    redis::cmd("SET")
                        .arg(format!("rawasync:{}", keys[i % keys.len()]))
                        .arg(&value[..])
                        .query_async::<()>(&mut raw)
                        .await?;
                    Ok::<(), BoxError>(())
                }
            }
        };
        let ours_get = {
            let (ours, keys) = (ours.clone(), keys.clone());
            move |i: usize| {
                let (ours, keys) = (ours.clone(), keys.clone());
                async move {
                    AsyncKvStorage::get(&*ours, &keys[i % keys.len()]).await?;
                    Ok::<(), BoxError>(())
                }
            }
        };
        let raw_get = {
            let (raw, keys) = (raw.clone(), keys.clone());
            move |i: usize| {
                let (mut raw, keys) = (raw.clone(), keys.clone());
                async move {
                    redis::cmd("GET")
                        .arg(format!("rawasync:{}", keys[i % keys.len()]))
                        .query_async::<Option<Vec<u8>>>(&mut raw)
                        .await?;
                    Ok::<(), BoxError>(())
                }
            }
        };
        let (set_ours, set_raw) = measure(
            || on_tasks(&runtime, tasks, iterations, ours_set.clone()),
            || on_tasks(&runtime, tasks, iterations, raw_set.clone()),
        )?;
        let (get_ours, get_raw) = measure(
            || on_tasks(&runtime, tasks, iterations, ours_get.clone()),
            || on_tasks(&runtime, tasks, iterations, raw_get.clone()),
        )?;
        for (op, a, b) in [(get_row, get_ours, get_raw), (set_row, set_ours, set_raw)] {
            rows.push(Row {
                backend: "redis",
                op,
                size: value.len(),
                ours: a / iterations as u32,
                raw: b / iterations as u32,
            });
        }
    }
    Ok(rows)
}
