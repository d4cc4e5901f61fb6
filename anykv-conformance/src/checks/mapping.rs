//! `setdefault` and `popitem`, the `dict` methods of the extension traits: what they return,
//! and that racing callers agree (one default stored, no entry popped twice), on both faces.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use anykv_core::{AsyncKvStorageExt, KvStorage, KvStorageExt};

use super::fresh;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Threads racing on one `setdefault`.
const THREADS: usize = 8;
/// Threads draining the store by `popitem`, and the entries they drain (each `popitem` lists
/// keys once: kept small so slow emulators finish in a second or two).
const DRAINERS: usize = 4;
const ENTRIES: usize = 16;
const HOUR: Duration = Duration::from_secs(3600);

/// A popped entry: its key and value.
type Item = (String, Vec<u8>);

/// `setdefault` stores its default (with its TTL) only where nothing live is and returns the
/// value held; of threads racing on one missing key, all get the one value stored. `popitem`
/// removes and returns each entry once, to one of the threads draining the store, then `None`.
pub fn setdefault_and_popitem(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "mapping")?;
    let stored = store
        .setdefault("k", b"first", Some(HOUR))
        .ctx("setdefault")?;
    ensure!(
        stored == b"first",
        "setdefault on a missing key returned {stored:?}"
    );
    ensure!(
        store
            .get_entry("k")
            .ctx("get_entry")?
            .is_some_and(|e| e.expires_at.is_some()),
        "setdefault dropped its TTL"
    );
    let kept = store.setdefault("k", b"second", None).ctx("setdefault")?;
    ensure!(
        kept == b"first",
        "setdefault over a live value returned {kept:?}"
    );
    ensure!(
        store.get("k").ctx("get")? == Some(b"first".to_vec()),
        "setdefault over a live value changed it"
    );

    let barrier = Barrier::new(THREADS);
    let got: Vec<Result<Vec<u8>, String>> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, barrier): (Arc<dyn KvStorage>, _) = (store.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    store
                        .setdefault("raced", format!("default {t}").as_bytes(), None)
                        .ctx("setdefault")
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let got = got.into_iter().collect::<Result<BTreeSet<_>, _>>()?;
    let held = store.get("raced").ctx("get")?;
    ensure!(
        got.len() == 1 && held.as_ref() == got.first(),
        "racing setdefaults returned {got:?} while the store holds {held:?}"
    );

    store.clear().ctx("clear")?;
    let keys: BTreeSet<String> = (0..ENTRIES).map(|i| format!("e{i:02}")).collect();
    for key in &keys {
        store.set(key, key.as_bytes(), None).ctx("set")?;
    }
    let popped: Vec<Result<Vec<Item>, String>> = std::thread::scope(|scope| {
        let drainers: Vec<_> = (0..DRAINERS)
            .map(|_| {
                let store: Arc<dyn KvStorage> = store.clone();
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    while let Some(item) = store.popitem().ctx("popitem")? {
                        mine.push(item);
                    }
                    Ok(mine)
                })
            })
            .collect();
        drainers
            .into_iter()
            .map(|d| d.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let popped: Vec<(String, Vec<u8>)> =
        popped.into_iter().collect::<Result<Vec<_>, _>>()?.concat();
    let popped_keys: BTreeSet<String> = popped.iter().map(|(k, _)| k.clone()).collect();
    ensure!(
        popped.len() == ENTRIES && popped_keys == keys,
        "{} pops for {ENTRIES} entries, {} distinct keys",
        popped.len(),
        popped_keys.len()
    );
    ensure!(
        popped.iter().all(|(k, v)| k.as_bytes() == v.as_slice()),
        "popitem paired a key with another's value"
    );
    ensure!(
        store.len().ctx("len")? == 0,
        "entries left after draining by popitem"
    );

    let namespace = unique_namespace("mapping_async");
    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    crate::runtime(1)?.block_on(async {
        let value = async_store
            .setdefault("a", b"v", None)
            .await
            .ctx("async setdefault")?;
        ensure!(value == b"v", "async setdefault returned {value:?}");
        let item = async_store.popitem().await.ctx("async popitem")?;
        ensure!(
            item == Some(("a".into(), b"v".to_vec())),
            "async popitem returned {item:?}"
        );
        let none = async_store.popitem().await.ctx("async popitem")?;
        ensure!(
            none.is_none(),
            "async popitem of an empty store returned {none:?}"
        );
        Ok(())
    })
}
