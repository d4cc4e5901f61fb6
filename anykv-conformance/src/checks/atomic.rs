//! Atomic and destructive writes: `set_if_absent` has one winner under contention on both faces
//! and keeps its TTL; `pop` removes what it returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_core::KvStorage;

use super::fresh;
use super::race::{
    claim, race_key, race_tasks, race_threads, rounds, winners, AsyncAttempt, Outcomes, CONTENDERS,
    KEYS_PER_ROUND,
};
use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Checks one round's outcome: `won[c][k]` says whether contender `c` won key `k`.
fn judge_round(store: &dyn KvStorage, round: usize, won: &Outcomes) -> CheckResult {
    for key in 0..KEYS_PER_ROUND {
        let winners = winners(won, key);
        let name = race_key(round, key);
        ensure!(
            winners.len() == 1,
            "{name}: {} of {} contenders won set_if_absent ({winners:?}), expected exactly one",
            winners.len(),
            won.len()
        );
        let stored = store.get(&name).ctx("get")?;
        ensure!(
            stored == Some(claim(winners[0])),
            "{name}: the stored value is not the winner's"
        );
    }
    Ok(())
}

/// Before odd rounds, every key of the round holds an expired entry: the race is the same.
fn prepare_round(store: &dyn KvStorage, round: usize) -> CheckResult {
    if round.is_multiple_of(2) {
        return Ok(());
    }
    let tiny = Duration::from_millis(1);
    let (written, window) = Window::around(tiny, || {
        (0..KEYS_PER_ROUND)
            .try_for_each(|key| store.set(&race_key(round, key), b"expired holder", Some(tiny)))
    });
    written.ctx("set")?;
    window.wait_until_gone();
    Ok(())
}

/// Of many threads released together calling `set_if_absent` on the same keys, exactly one wins
/// each key and its value is the one stored, over free keys and over expired entries, in every
/// round. A store that checks, then sets, loses such a race.
pub fn set_if_absent_has_one_winner(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "sia_race")?;
    let started = Instant::now();
    let attempt = |store: &dyn KvStorage, contender: usize, key: &str| {
        store.set_if_absent(key, &claim(contender), Some(Duration::from_secs(600)))
    };
    for round in rounds(started) {
        prepare_round(store.as_ref(), round)?;
        let won = race_threads(&store, round, "set_if_absent", &attempt)?;
        judge_round(store.as_ref(), round, &won).map_err(|e| format!("round {round}: {e}"))?;
    }
    store.clear().ctx("clear")
}

/// [`set_if_absent_has_one_winner`] on the async face: many tasks of a multi-thread runtime.
pub fn set_if_absent_has_one_winner_async(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("sia_race_async");
    let store = backend.open_async(&namespace).ctx("open_async")?;
    let sync = backend.open(&namespace).ctx("open")?;
    let runtime = crate::runtime(CONTENDERS.min(4))?;
    let started = Instant::now();
    let attempt: AsyncAttempt = Arc::new(|store, contender, key| {
        Box::pin(async move {
            store
                .set_if_absent(&key, &claim(contender), Some(Duration::from_secs(600)))
                .await
        })
    });
    for round in rounds(started) {
        prepare_round(sync.as_ref(), round)?;
        let won = race_tasks(&runtime, &store, round, "set_if_absent", &attempt)?;
        judge_round(sync.as_ref(), round, &won).map_err(|e| format!("round {round}: {e}"))?;
    }
    sync.clear().ctx("clear")
}

/// `set_if_absent` stores the TTL it is given: over a free key and over an expired entry, the
/// entry it writes reports an expiry and is gone once the TTL has certainly passed.
pub fn set_if_absent_keeps_the_ttl(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "sia_ttl")?;
    let short = backend.short_ttl();
    let tiny = Duration::from_millis(1);
    let (written, expired) = Window::around(tiny, || store.set("was expired", b"old", Some(tiny)));
    written.ctx("set")?;
    expired.wait_until_gone();
    let (won, window) = Window::around(short, || -> anykv_core::Result<(bool, bool)> {
        Ok((
            store.set_if_absent("free", b"1", Some(short))?,
            store.set_if_absent("was expired", b"2", Some(short))?,
        ))
    });
    let (free, over_expired) = won.ctx("set_if_absent")?;
    ensure!(
        free && over_expired,
        "set_if_absent lost on a free or expired key"
    );
    store
        .set_if_absent("hour", b"3", Some(Duration::from_secs(3600)))
        .ctx("set_if_absent")?;
    match store
        .expiry("hour")
        .ctx("expiry")?
        .and_then(anykv_core::Expiry::ttl)
    {
        Some(left) => ensure!(
            left > Duration::from_secs(3000) && left <= Duration::from_secs(3600),
            "set_if_absent with a 1 h TTL: {left:?} left"
        ),
        None => return Err("set_if_absent dropped a 1 h TTL: the entry never expires".into()),
    }
    window.wait_until_gone();
    for key in ["free", "was expired"] {
        ensure!(
            store.get(key).ctx("get")?.is_none(),
            "an entry written by set_if_absent with a short TTL outlived it ({key:?})"
        );
    }
    store.clear().ctx("clear")
}

/// `pop` returns the value and removes the entry: a second `pop`, `get`, `contains` and `len` see
/// nothing, on both faces.
pub fn pop_removes_the_entry(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("pop");
    let store = backend.open(&namespace).ctx("open")?;
    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    store.set("a", b"1", None).ctx("set")?;
    store
        .set("b", b"2", Some(Duration::from_secs(3600)))
        .ctx("set")?;
    ensure!(
        store.pop("a").ctx("pop")? == Some(b"1".to_vec()),
        "pop returned the wrong value"
    );
    ensure!(
        store.pop("a").ctx("pop")?.is_none(),
        "a second pop found the entry again"
    );
    ensure!(
        store.get("a").ctx("get")?.is_none(),
        "get sees a popped entry"
    );
    ensure!(
        !store.contains("a").ctx("contains")?,
        "contains sees a popped entry"
    );
    let runtime = crate::runtime(2)?;
    let popped = runtime.block_on(async_store.pop("b")).ctx("async pop")?;
    ensure!(
        popped == Some(b"2".to_vec()),
        "async pop returned the wrong value"
    );
    ensure!(
        store.get("b").ctx("get")?.is_none(),
        "get sees an entry popped by the async face"
    );
    ensure!(store.len().ctx("len")? == 0, "len counts popped entries");
    Ok(())
}
