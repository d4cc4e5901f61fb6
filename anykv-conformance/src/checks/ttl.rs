//! TTL checks: expired entries are invisible to every read and count for nothing; TTLs are kept
//! to the millisecond; invalid TTLs are refused; purging removes only expired entries.

use anykv_core::{Error, Expiry, KvStorage, KvStorageExt};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anykv_core::time::MAX_TTL;

use super::{collect, fresh};
use crate::window::Window;
use crate::{ensure, Backend, CheckResult, Context, ExpiryRemoval};

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
    let (written, window) = Window::around(short, || {
        store.set("short", b"3", Some(short))?;
        store.set_many(&[("short many", b"4")], Some(short))
    });
    written.ctx("set and set_many")?;
    let (read, span_end) = (store.get("short").ctx("get")?, Instant::now());
    ensure!(
        read == Some(b"3".to_vec()) || span_end >= window.alive_until,
        "a fresh short-TTL entry is not readable"
    );
    match store.expiry("short").ctx("expiry")? {
        Some(Expiry::At(at)) => ensure!(
            at.remaining() <= short,
            "expiry {at:?} is later than the TTL allows"
        ),
        None if Instant::now() >= window.alive_until => {}
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
    let (len, span_end) = (store.len().ctx("len")?, Instant::now());
    ensure!(
        len == 4 || (span_end >= window.alive_until && len >= 2),
        "len before expiry: {len}"
    );

    window.wait_until_gone();

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
    let tiny = Duration::from_millis(1);
    let (written, window) = Window::around(tiny, || store.set("short", b"3", Some(tiny)));
    written.ctx("set")?;
    window.wait_until_gone();
    ensure!(
        store.delete_many(&["short"]).ctx("delete_many")? == 0,
        "delete_many counted an expired entry"
    );
    let (written, window) = Window::around(tiny, || store.set("short", b"3", Some(tiny)));
    written.ctx("set")?;
    window.wait_until_gone();
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
    let purged = store.purge_expired().ctx("purge_expired")?;
    let kept = [("forever", &b"1"[..]), ("long", b"2"), ("short", b"new")];
    kept_after_purge(store.as_ref(), purged, &kept)?;
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

/// Writes short-TTL entries through every write (set, set_if_absent, set_many) and waits until
/// they have certainly expired.
fn write_short_entries(store: &dyn KvStorage, ttl: Duration) -> CheckResult {
    let (written, window) = Window::around(ttl, || -> anykv_core::Result<()> {
        store.set("set", b"1", Some(ttl))?;
        store.set_if_absent("set_if_absent", b"2", Some(ttl))?;
        store.set_many(&[("set_many 1", b"3"), ("set_many 2", b"4")], Some(ttl))
    });
    written.ctx("writes with a short TTL")?;
    window.wait_until_gone();
    Ok(())
}

/// A namespace whose every entry has expired is empty to `is_empty`, `len`, `keys`, `values` and
/// `items`; one live entry beside expired ones counts as one.
pub fn expired_entries_are_not_counted(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "expired_count")?;
    write_short_entries(store.as_ref(), backend.short_ttl())?;
    ensure!(
        store.is_empty().ctx("is_empty")?,
        "is_empty() is false when every entry has expired"
    );
    let len = store.len().ctx("len")?;
    ensure!(len == 0, "len() is {len} when every entry has expired");
    let keys = collect("keys", store.keys())?;
    ensure!(keys.is_empty(), "keys() lists expired entries: {keys:?}");
    let values = collect("values", store.values())?;
    ensure!(
        values.is_empty(),
        "values() yields {} expired values",
        values.len()
    );
    let items = collect("items", store.items())?;
    ensure!(
        items.is_empty(),
        "items() yields {} expired items",
        items.len()
    );

    store.set("live", b"5", None).ctx("set")?;
    write_short_entries(store.as_ref(), backend.short_ttl())?;
    ensure!(
        !store.is_empty().ctx("is_empty")?,
        "is_empty() is true with a live entry"
    );
    let len = store.len().ctx("len")?;
    ensure!(
        len == 1,
        "len() is {len} for one live entry beside expired ones"
    );
    ensure!(
        collect("keys", store.keys())? == vec!["live".to_owned()],
        "keys() beside expired entries"
    );
    ensure!(
        collect("values", store.values())? == vec![b"5".to_vec()],
        "values() beside expired entries"
    );
    ensure!(
        collect("items", store.items())? == vec![("live".to_owned(), b"5".to_vec())],
        "items() beside expired entries"
    );
    store.clear().ctx("clear")
}

/// How many times [`ttl_is_kept_to_the_millisecond`] tries for a decisive reading on a machine
/// too busy to give one.
const PRECISION_ATTEMPTS: usize = 5;

/// A TTL of 1.3 s is neither rounded down nor up to whole seconds: the entry is visible past
/// 1 s, gone once 1.3 s have certainly passed, and `expiry` reports what is left of 1.3 s.
/// Each reading counts only when the instants around it prove it (a busy machine retries).
pub fn ttl_is_kept_to_the_millisecond(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "ttl_precision")?;
    let ttl = Duration::from_millis(1300);
    for _ in 0..PRECISION_ATTEMPTS {
        let started = Instant::now();
        let (written, window) = Window::around(ttl, || store.set("k", b"v", Some(ttl)));
        written.ctx("set")?;
        let mut decisive = false;

        let asked = Instant::now();
        let expiry = store.expiry("k").ctx("expiry")?;
        let left = match expiry {
            Some(Expiry::At(at)) => Some(at.remaining()),
            _ => None,
        };
        let answered = Instant::now();
        if answered < window.alive_until {
            let Some(left) = left else {
                return Err(format!("expiry of a live 1.3 s entry: {expiry:?}"));
            };
            let most = window.dead_after.saturating_duration_since(asked);
            let least = window.alive_until.saturating_duration_since(answered);
            ensure!(
                left <= most + Duration::from_millis(2),
                "expiry reports {left:?} left of a 1.3 s TTL, more than the {most:?} that can \
                 be left: the TTL was rounded up"
            );
            ensure!(
                left + Duration::from_millis(2) >= least,
                "expiry reports {left:?} left of a 1.3 s TTL, less than the {least:?} that must \
                 be left: the TTL was rounded down"
            );
            decisive = true;
        }

        let past_one_second = started + Duration::from_millis(1050);
        std::thread::sleep(past_one_second.saturating_duration_since(Instant::now()));
        let visible = store.contains("k").ctx("contains")?;
        if Instant::now() < window.alive_until {
            ensure!(
                visible,
                "an entry with a 1.3 s TTL is gone after about 1 s: the TTL was rounded down"
            );
            decisive = true;
        }

        window.wait_until_gone();
        let asked = Instant::now();
        ensure!(
            !store.contains("k").ctx("contains")?,
            "an entry with a 1.3 s TTL is still there after 1.3 s: the TTL was rounded up"
        );
        // Before 2 s have passed, a TTL rounded up to whole seconds would still show.
        decisive |= asked < started + Duration::from_millis(1900);
        store.delete("k").ctx("delete")?;
        if decisive {
            return store.clear().ctx("clear");
        }
    }
    println!(
        "ttl_is_kept_to_the_millisecond on {}: no reading was decisive in {PRECISION_ATTEMPTS} \
         attempts (the machine is too busy to tell 1.3 s from 1 s or 2 s)",
        backend.name()
    );
    store.clear().ctx("clear")
}

/// `purge_expired` removes expired entries and nothing else; where only the purge removes them,
/// it counts exactly the expired ones.
pub fn purge_expired_removes_only_expired(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "purge")?;
    store.set("keep", b"1", None).ctx("set")?;
    store
        .set("hour", b"2", Some(Duration::from_secs(3600)))
        .ctx("set")?;
    write_short_entries(store.as_ref(), backend.short_ttl())?;
    let purged = store.purge_expired().ctx("purge_expired")?;
    match backend.capabilities().expiry {
        ExpiryRemoval::Purge => ensure!(
            purged == 4,
            "purge_expired removed {purged} entries; 4 had expired{}",
            if purged == 0 {
                format!(" ({})", super::PURGE_HINT)
            } else {
                String::new()
            }
        ),
        ExpiryRemoval::Server => ensure!(
            purged <= 4,
            "purge_expired removed {purged} entries; only 4 had expired"
        ),
    }
    let again = store.purge_expired().ctx("purge_expired")?;
    ensure!(again == 0, "a second purge_expired removed {again} entries");
    kept_after_purge(store.as_ref(), purged, &[("keep", b"1"), ("hour", b"2")])?;
    ensure!(
        matches!(store.expiry("hour").ctx("expiry")?, Some(Expiry::At(_))),
        "purge_expired removed the expiry of an entry with a long TTL"
    );
    store.clear().ctx("clear")
}

/// After a purge that removed `purged` entries, each live entry of `kept` still reads its value
/// and `len` counts exactly them; a failure says which figures it saw.
fn kept_after_purge(store: &dyn KvStorage, purged: usize, kept: &[(&str, &[u8])]) -> CheckResult {
    let mut lost = Vec::new();
    for (key, value) in kept {
        let read = store.get(key).ctx("get")?;
        if read.as_deref() != Some(*value) {
            lost.push(format!("{key:?} reads {read:?}"));
        }
    }
    let len = store.len().ctx("len")?;
    ensure!(
        lost.is_empty(),
        "purge_expired (which removed {purged}) lost live entries: {}; len is {len}",
        lost.join(", ")
    );
    ensure!(
        len == kept.len(),
        "after purge_expired (which removed {purged}) every one of the {} live entries reads \
         its value, but len is {len}",
        kept.len()
    );
    Ok(())
}
