//! `compare_and_set` and `compare_and_delete`: what they compare, what they write, and that of
//! many contenders expecting the same value exactly one wins, on both faces.

use anykv_core::{Expiry, KvStorage, KvStorageExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fresh;
use super::race::{
    claim, race_key, race_tasks, race_threads, rounds, winners, AsyncAttempt, Outcomes, CONTENDERS,
    KEYS_PER_ROUND,
};
use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

const HOUR: Duration = Duration::from_secs(3600);

/// Asserts what `key` holds.
fn holds(store: &dyn KvStorage, key: &str, expected: Option<&[u8]>, after: &str) -> CheckResult {
    let stored = store.get(key).ctx("get")?;
    ensure!(
        stored.as_deref() == expected,
        "after {after}: {key:?} holds {stored:?}, expected {expected:?}"
    );
    Ok(())
}

/// `compare_and_set` writes only over exactly the expected live value (or, expecting nothing,
/// only where nothing live is), with the TTL it is given; `compare_and_delete` deletes only
/// exactly the expected live value. Prefixes, the empty value and expired entries are compared
/// as what they are; both faces agree.
pub fn compare_and_swap_semantics(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("cas");
    let store = backend.open(&namespace).ctx("open")?;
    let store = store.as_ref();
    let cas = |key: &str, expected: Option<&[u8]>, value: &[u8], ttl| {
        store
            .compare_and_set(key, expected, value, ttl)
            .ctx("compare_and_set")
    };
    ensure!(
        !cas("k", Some(b"a"), b"x", None)?,
        "compare_and_set expecting a value won on a missing key"
    );
    holds(store, "k", None, "a lost compare_and_set")?;
    ensure!(
        cas("k", None, b"a", None)?,
        "compare_and_set expecting nothing lost on a missing key"
    );
    ensure!(
        !cas("k", None, b"b", None)?,
        "compare_and_set expecting nothing won over a live entry"
    );
    for wrong in [&b"b"[..], b"", b"ab", b"A"] {
        ensure!(
            !cas("k", Some(wrong), b"x", None)?,
            "compare_and_set expecting {wrong:?} won over \"a\""
        );
    }
    holds(store, "k", Some(b"a"), "compare_and_sets that lost")?;
    ensure!(
        cas("k", Some(b"a"), b"ab", Some(HOUR))?,
        "compare_and_set expecting the stored value lost"
    );
    holds(store, "k", Some(b"ab"), "a compare_and_set that won")?;
    match store.expiry("k").ctx("expiry")?.and_then(Expiry::ttl) {
        Some(left) => ensure!(
            left > Duration::from_secs(3000) && left <= HOUR,
            "compare_and_set with a 1 h TTL: {left:?} left"
        ),
        None => return Err("compare_and_set dropped its 1 h TTL".into()),
    }
    ensure!(
        !cas("k", Some(b"a"), b"x", None)?,
        "compare_and_set expecting a prefix of the stored value won"
    );
    ensure!(
        cas("k", Some(b"ab"), b"", None)?,
        "compare_and_set writing the empty value lost"
    );
    ensure!(
        store.expiry("k").ctx("expiry")? == Some(Expiry::Never),
        "compare_and_set without a TTL kept the old one"
    );
    ensure!(
        cas("k", Some(b""), b"c", None)?,
        "compare_and_set expecting the empty value lost"
    );
    for wrong in [&b""[..], b"cc", b"d"] {
        ensure!(
            !store
                .compare_and_delete("k", wrong)
                .ctx("compare_and_delete")?,
            "compare_and_delete expecting {wrong:?} deleted \"c\""
        );
    }
    holds(store, "k", Some(b"c"), "compare_and_deletes that lost")?;
    ensure!(
        store
            .compare_and_delete("k", b"c")
            .ctx("compare_and_delete")?,
        "compare_and_delete expecting the stored value lost"
    );
    holds(store, "k", None, "a compare_and_delete that won")?;
    ensure!(
        !store
            .compare_and_delete("k", b"c")
            .ctx("compare_and_delete")?,
        "a second compare_and_delete found the entry"
    );
    expired_entries_are_absent(backend, store)?;
    both_faces_agree(backend, &namespace, store)?;
    store.clear().ctx("clear")
}

/// An expired entry is never its old value: comparisons with it fail, expecting nothing wins.
fn expired_entries_are_absent(backend: &dyn Backend, store: &dyn KvStorage) -> CheckResult {
    let tiny = Duration::from_millis(1);
    let (written, window) = Window::around(tiny, || {
        store.set("old", b"v", Some(tiny))?;
        store.set("old2", b"v", Some(tiny))
    });
    written.ctx("set")?;
    window.wait_until_gone();
    ensure!(
        !store
            .compare_and_set("old", Some(b"v"), b"w", None)
            .ctx("compare_and_set")?,
        "compare_and_set matched an expired entry's value"
    );
    ensure!(
        !store
            .compare_and_delete("old", b"v")
            .ctx("compare_and_delete")?,
        "compare_and_delete matched an expired entry's value"
    );
    let short = backend.short_ttl();
    let (won, window) = Window::around(short, || {
        store.compare_and_set("old2", None, b"new", Some(short))
    });
    ensure!(
        won.ctx("compare_and_set")?,
        "compare_and_set expecting nothing lost over an expired entry"
    );
    window.wait_until_gone();
    holds(
        store,
        "old2",
        None,
        "the short TTL of a compare_and_set ran out",
    )
}

/// The async face compares and writes the same bytes as the sync face.
fn both_faces_agree(backend: &dyn Backend, namespace: &str, store: &dyn KvStorage) -> CheckResult {
    let async_store = backend.open_async(namespace).ctx("open_async")?;
    let runtime = crate::runtime(2)?;
    store.set("faces", b"sync", None).ctx("set")?;
    runtime.block_on(async {
        ensure!(
            !async_store
                .compare_and_set("faces", Some(b"other"), b"x", None)
                .await
                .ctx("async compare_and_set")?,
            "async compare_and_set won expecting the wrong value"
        );
        ensure!(
            async_store
                .compare_and_set("faces", Some(b"sync"), b"async", Some(HOUR))
                .await
                .ctx("async compare_and_set")?,
            "async compare_and_set lost expecting the value the sync face wrote"
        );
        Ok::<_, String>(())
    })?;
    holds(store, "faces", Some(b"async"), "an async compare_and_set")?;
    runtime.block_on(async {
        ensure!(
            !async_store
                .compare_and_delete("faces", b"sync")
                .await
                .ctx("async compare_and_delete")?,
            "async compare_and_delete deleted a value it did not expect"
        );
        ensure!(
            async_store
                .compare_and_delete("faces", b"async")
                .await
                .ctx("async compare_and_delete")?,
            "async compare_and_delete lost expecting the stored value"
        );
        Ok::<_, String>(())
    })?;
    holds(store, "faces", None, "an async compare_and_delete")
}

/// The value every key of `round` holds when its race starts.
fn holder(round: usize) -> Vec<u8> {
    format!("holder {round}").into_bytes()
}

/// Even contenders delete the holder's value, odd ones replace it: both expect it.
fn takes_over_holder(contender: usize) -> bool {
    contender % 2 == 1
}

fn prepare_round(store: &dyn KvStorage, round: usize) -> CheckResult {
    let keys: Vec<String> = (0..KEYS_PER_ROUND).map(|k| race_key(round, k)).collect();
    let value = holder(round);
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &value[..])).collect();
    store.set_many(&entries, Some(HOUR)).ctx("set_many")
}

/// Exactly one contender wins each key, and the key holds what the winner left.
fn judge_round(store: &dyn KvStorage, round: usize, won: &Outcomes) -> CheckResult {
    for key in 0..KEYS_PER_ROUND {
        let winners = winners(won, key);
        let name = race_key(round, key);
        ensure!(
            winners.len() == 1,
            "{name}: {} of {} contenders expecting the same value won ({winners:?}: even ones \
             compare_and_delete, odd ones compare_and_set), expected exactly one",
            winners.len(),
            won.len()
        );
        let winner = winners[0];
        let left = takes_over_holder(winner).then(|| claim(winner));
        holds(store, &name, left.as_deref(), "the race")?;
    }
    Ok(())
}

/// Of many threads released together that all expect a key's value, half deleting it with
/// `compare_and_delete` and half replacing it with `compare_and_set`, exactly one wins each key,
/// round after round. A store that compares, then writes, loses such a race.
pub fn conditional_writes_have_one_winner(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "cas_race")?;
    let started = Instant::now();
    for round in rounds(started) {
        prepare_round(store.as_ref(), round)?;
        let expected = holder(round);
        let attempt = |store: &dyn KvStorage, contender: usize, key: &str| {
            if takes_over_holder(contender) {
                store.compare_and_set(key, Some(&expected), &claim(contender), Some(HOUR))
            } else {
                store.compare_and_delete(key, &expected)
            }
        };
        let won = race_threads(&store, round, "a conditional write", &attempt)?;
        judge_round(store.as_ref(), round, &won).map_err(|e| format!("round {round}: {e}"))?;
    }
    store.clear().ctx("clear")
}

/// [`conditional_writes_have_one_winner`] on the async face: many tasks of a multi-thread
/// runtime.
pub fn conditional_writes_have_one_winner_async(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("cas_race_async");
    let store = backend.open_async(&namespace).ctx("open_async")?;
    let sync = backend.open(&namespace).ctx("open")?;
    let runtime = crate::runtime(CONTENDERS.min(4))?;
    let started = Instant::now();
    for round in rounds(started) {
        prepare_round(sync.as_ref(), round)?;
        let expected = Arc::new(holder(round));
        let attempt: AsyncAttempt = Arc::new(move |store, contender, key| {
            let expected = expected.clone();
            Box::pin(async move {
                if takes_over_holder(contender) {
                    store
                        .compare_and_set(&key, Some(&expected), &claim(contender), Some(HOUR))
                        .await
                } else {
                    store.compare_and_delete(&key, &expected).await
                }
            })
        });
        let won = race_tasks(&runtime, &store, round, "a conditional write", &attempt)?;
        judge_round(sync.as_ref(), round, &won).map_err(|e| format!("round {round}: {e}"))?;
    }
    sync.clear().ctx("clear")
}

/// Increments per contender in [`compare_and_set_counts_exactly`]: at least the first number,
/// and more, up to the second, while [`COUNTER_BUDGET`] lasts (an in-process store's race
/// window is narrow and needs many increments; a network store's is wide).
const INCREMENTS: (usize, usize) = (12, 2000);
/// Losses in a row, while no contender wins, after which a contender gives up: a store whose
/// `compare_and_set` never succeeds fails the check instead of hanging it.
const MOST_LOSSES_WITHOUT_A_WIN: usize = 100;
/// How long the contenders go on incrementing after the minimum.
const COUNTER_BUDGET: Duration = Duration::from_secs(3);

/// Threads increment one counter with read, then `compare_and_set` from the value read,
/// retrying when they lose: no increment is lost, so the counter ends at exactly the number of
/// winning `compare_and_set`s, and they started from 0, 1, 2, … once each.
pub fn compare_and_set_counts_exactly(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "cas_counter")?;
    store.set("counter", b"0", None).ctx("set")?;
    let started = Instant::now();
    let more = |done: usize| {
        done < INCREMENTS.0 || (done < INCREMENTS.1 && started.elapsed() < COUNTER_BUDGET)
    };
    let wins = AtomicUsize::new(0);
    let increment = |store: &dyn KvStorage| -> Result<Vec<u64>, String> {
        let mut won_from = Vec::new();
        // Losses in a row while no contender won: a linearizable store lets a contender lose
        // only to a win, and each other contender has at most one win not yet counted.
        let mut stalled = 0;
        let mut wins_seen = wins.load(Ordering::SeqCst);
        while more(won_from.len()) {
            let read = store.get("counter").ctx("get")?.unwrap_or_default();
            let current: u64 = std::str::from_utf8(&read)
                .ok()
                .and_then(|text| text.parse().ok())
                .ok_or_else(|| format!("the counter holds {read:?}, not a number"))?;
            let next = (current + 1).to_string();
            if store
                .compare_and_set("counter", Some(&read), next.as_bytes(), None)
                .ctx("compare_and_set")?
            {
                won_from.push(current);
                wins_seen = wins.fetch_add(1, Ordering::SeqCst) + 1;
                stalled = 0;
                continue;
            }
            let wins_now = wins.load(Ordering::SeqCst);
            if wins_now != wins_seen {
                (wins_seen, stalled) = (wins_now, 0);
                continue;
            }
            stalled += 1;
            ensure!(
                stalled < MOST_LOSSES_WITHOUT_A_WIN,
                "compare_and_set from the value just read ({read:?}) lost {stalled} times in a \
                 row while no contender won: a conditional write must succeed when the value \
                 is still the one expected ({} increments had won)",
                wins_now
            );
        }
        Ok(won_from)
    };
    let outcomes: Vec<Result<Vec<u64>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CONTENDERS)
            .map(|_| {
                let store = store.clone();
                scope.spawn(move || increment(store.as_ref()))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let mut won_from: Vec<u64> = outcomes
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .concat();
    won_from.sort_unstable();
    let total = won_from.len();
    let expected: Vec<u64> = (0..total as u64).collect();
    ensure!(
        won_from == expected,
        "{total} winning compare_and_sets did not start from 0..{total} once each: {won_from:?}"
    );
    holds(
        store.as_ref(),
        "counter",
        Some(total.to_string().as_bytes()),
        &format!("{total} increments"),
    )?;
    store.clear().ctx("clear")
}
