//! Races: contenders released together (threads, or tasks of a multi-thread runtime) try the
//! same atomic operation on the same keys, round after round; the checks judge each round.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anykv_core::{AsyncKvStorage, Error, KvStorage};

use crate::Context;

/// Threads (or tasks) racing in each round.
pub(super) const CONTENDERS: usize = 8;
/// Rounds of a race: at least the first number, and more, up to the second, while the time
/// budget lasts. A check-then-set store over a network has a wide race window and loses within
/// a few rounds; an in-process one has a window of nanoseconds and needs many rounds (its rounds
/// take microseconds, so it gets all of them).
const ROUNDS: (usize, usize) = (3, 200);
/// How long a race goes on adding rounds after the minimum.
const RACE_BUDGET: Duration = Duration::from_secs(4);
/// Keys every contender tries in one round, in the same order, so that they collide on each.
pub(super) const KEYS_PER_ROUND: usize = 24;

/// `won[c][k]`: whether contender `c` won key `k` of a round.
pub(super) type Outcomes = Vec<Vec<bool>>;

/// One contender's attempt at one key on the async face.
pub(super) type AsyncAttempt = Arc<
    dyn Fn(
            Arc<dyn AsyncKvStorage>,
            usize,
            String,
        ) -> Pin<Box<dyn Future<Output = anykv_core::Result<bool>> + Send>>
        + Send
        + Sync,
>;

/// The rounds of a race that began at `started`.
pub(super) fn rounds(started: Instant) -> impl Iterator<Item = usize> {
    (0..ROUNDS.1).take_while(move |round| *round < ROUNDS.0 || started.elapsed() < RACE_BUDGET)
}

/// The name of key `key` of round `round`.
pub(super) fn race_key(round: usize, key: usize) -> String {
    format!("race:{round}:{key}")
}

/// The value contender `contender` writes.
pub(super) fn claim(contender: usize) -> Vec<u8> {
    format!("winner {contender}").into_bytes()
}

/// The contenders whose attempt at key `key` won.
pub(super) fn winners(won: &Outcomes, key: usize) -> Vec<usize> {
    (0..won.len()).filter(|c| won[*c][key]).collect()
}

/// Runs one round on threads: every contender calls `attempt(store, contender, key)` on every
/// key of `round`, in the same order.
pub(super) fn race_threads(
    store: &Arc<dyn KvStorage>,
    round: usize,
    operation: &str,
    attempt: &(dyn Fn(&dyn KvStorage, usize, &str) -> anykv_core::Result<bool> + Sync),
) -> Result<Outcomes, String> {
    let barrier = Barrier::new(CONTENDERS);
    let outcomes: Vec<Result<Vec<bool>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CONTENDERS)
            .map(|c| {
                let (store, barrier) = (store.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    (0..KEYS_PER_ROUND)
                        .map(|key| attempt(store.as_ref(), c, &race_key(round, key)).ctx(operation))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a contender thread panicked".into()))
            })
            .collect()
    });
    outcomes.into_iter().collect()
}

/// Runs one round on tasks of `runtime`, like [`race_threads`].
pub(super) fn race_tasks(
    runtime: &tokio::runtime::Runtime,
    store: &Arc<dyn AsyncKvStorage>,
    round: usize,
    operation: &str,
    attempt: &AsyncAttempt,
) -> Result<Outcomes, String> {
    runtime.block_on(async {
        let start = Arc::new(tokio::sync::Barrier::new(CONTENDERS));
        let tasks: Vec<_> = (0..CONTENDERS)
            .map(|c| {
                let (store, start, attempt) = (store.clone(), start.clone(), attempt.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let mut won = Vec::with_capacity(KEYS_PER_ROUND);
                    for key in 0..KEYS_PER_ROUND {
                        won.push(attempt(store.clone(), c, race_key(round, key)).await?);
                    }
                    Ok::<_, Error>(won)
                })
            })
            .collect();
        let mut won = Vec::with_capacity(CONTENDERS);
        for task in tasks {
            let outcome = task
                .await
                .map_err(|e| format!("a contender task failed: {e}"))?;
            won.push(outcome.ctx(operation)?);
        }
        Ok(won)
    })
}
