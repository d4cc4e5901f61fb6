//! TTL checks: expired entries are invisible to every read; invalid TTLs are refused.

use std::collections::BTreeSet;
use std::time::Duration;

use storage_core::time::MAX_TTL;
use storage_core::{Error, Expiry};

use super::{collect, fresh};
use crate::{ensure, Backend, CheckResult, Context};

/// An entry past its TTL is invisible to get, contains, expiry, len, keys, values, items, pop,
/// get_many, delete, delete_many, update and set_if_absent, whether or not it was purged.
pub fn ttl_hides_expired_entries_from_every_read(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "ttl")?;
    let copy = fresh(backend, "ttl_copy")?;
    let short = backend.short_ttl();
    store.set("forever", b"1", None).ctx("set")?;
    store
        .set("long", b"2", Some(Duration::from_secs(3600)))
        .ctx("set")?;
    store.set("short", b"3", Some(short)).ctx("set")?;
    store
        .set_many(&[("short many", b"4")], Some(short))
        .ctx("set_many")?;

    ensure!(
        store.get("short").ctx("get")? == Some(b"3".to_vec()),
        "a fresh short-TTL entry is not readable"
    );
    match store.expiry("short").ctx("expiry")? {
        Some(Expiry::At(at)) => ensure!(
            at.remaining() <= short,
            "expiry {at:?} is later than the TTL allows"
        ),
        other => return Err(format!("expiry of a short-TTL entry: {other:?}")),
    }
    ensure!(
        store.expiry("forever").ctx("expiry")? == Some(Expiry::Never),
        "an entry without TTL must say Never"
    );
    match store.expiry("long").ctx("expiry")?.and_then(Expiry::ttl) {
        Some(left) => ensure!(
            left <= Duration::from_secs(3600) && left > Duration::from_secs(3500),
            "remaining TTL of a 1 h entry is {left:?}"
        ),
        None => return Err("a 1 h entry has no expiry".into()),
    }
    ensure!(store.len().ctx("len")? == 4, "len before expiry");

    std::thread::sleep(short + Duration::from_millis(50));

    for key in ["short", "short many"] {
        ensure!(
            store.get(key).ctx("get")?.is_none(),
            "get returned an expired entry"
        );
        ensure!(
            !store.contains(key).ctx("contains")?,
            "contains saw an expired entry"
        );
        ensure!(
            store.expiry(key).ctx("expiry")?.is_none(),
            "expiry of an expired entry"
        );
    }
    ensure!(
        store.len().ctx("len")? == 2,
        "len counts expired entries: {}",
        store.len().ctx("len")?
    );
    let keys: BTreeSet<String> = collect("keys", store.keys())?.into_iter().collect();
    ensure!(
        keys == BTreeSet::from(["forever".to_owned(), "long".to_owned()]),
        "keys lists expired entries: {keys:?}"
    );
    ensure!(
        collect("values", store.values())?.len() == 2,
        "values yields expired entries"
    );
    ensure!(
        collect("items", store.items())?.len() == 2,
        "items yields expired entries"
    );
    ensure!(
        store.get_many(&["short", "forever"]).ctx("get_many")? == vec![None, Some(b"1".to_vec())],
        "get_many returned an expired entry"
    );
    ensure!(
        copy.update(store.as_ref()).ctx("update")? == 2,
        "update copied expired entries"
    );
    ensure!(copy.len().ctx("len")? == 2, "update wrote expired entries");
    ensure!(
        store.pop("short").ctx("pop")?.is_none(),
        "pop returned an expired entry"
    );
    ensure!(
        !store.delete("short many").ctx("delete")?,
        "delete reported an expired entry as existing"
    );
    store
        .set("short", b"3", Some(Duration::from_millis(1)))
        .ctx("set")?;
    std::thread::sleep(Duration::from_millis(20));
    ensure!(
        store.delete_many(&["short"]).ctx("delete_many")? == 0,
        "delete_many counted an expired entry"
    );
    store
        .set("short", b"3", Some(Duration::from_millis(1)))
        .ctx("set")?;
    std::thread::sleep(Duration::from_millis(20));
    ensure!(
        store
            .set_if_absent("short", b"new", None)
            .ctx("set_if_absent")?,
        "set_if_absent lost to an expired entry"
    );
    ensure!(
        store.get("short").ctx("get")? == Some(b"new".to_vec()),
        "set_if_absent over an expired entry"
    );
    store.purge_expired().ctx("purge_expired")?;
    ensure!(
        store.len().ctx("len")? == 3,
        "purge_expired removed live entries"
    );
    store.clear().ctx("clear")?;
    copy.clear().ctx("clear")
}

/// A zero TTL and one over 100 years are refused with `InvalidTtl`, and nothing is written.
pub fn invalid_ttls_are_refused(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "bad_ttl")?;
    for ttl in [Duration::ZERO, MAX_TTL + Duration::from_secs(1)] {
        let refused = [
            store.set("k", b"v", Some(ttl)).err(),
            store.set_if_absent("k", b"v", Some(ttl)).err(),
            store.set_many(&[("a", b"v"), ("k", b"v")], Some(ttl)).err(),
        ];
        for error in refused {
            ensure!(
                matches!(error, Some(Error::InvalidTtl { .. })),
                "ttl {ttl:?}: expected InvalidTtl, got {error:?}"
            );
        }
        ensure!(
            store.is_empty().ctx("is_empty")?,
            "a refused TTL wrote something"
        );
    }
    store
        .set("k", b"v", Some(Duration::from_micros(1500)))
        .ctx("set with a sub-millisecond TTL")?;
    Ok(())
}
