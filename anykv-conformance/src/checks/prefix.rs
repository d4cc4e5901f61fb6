//! Prefix scans and prefix deletion: exactly the keys starting with the prefix, whatever
//! characters it holds (glob, regex, SQL `LIKE`, path and Unicode ones), on both faces.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anykv_core::{AsyncKvStorageExt, KvStorage, KvStorageExt, Scan, SetEntry};
use futures_util::TryStreamExt;

use crate::{ensure, nasty_keys, unique_namespace, Backend, CheckResult, Context};

/// Entries under one prefix in the paging check: more than one page of every backend.
const MANY: usize = 300;

/// The prefixes checked over the nasty keys: every key's first one, two and three characters,
/// every whole key, the empty prefix, and prefixes no key has (one past the end of Unicode).
fn prefixes(keys: &[String]) -> BTreeSet<String> {
    let mut prefixes: BTreeSet<String> = ["", "zz-none", "\u{10FFFF}", "a\u{10FFFF}", "*?[]^"]
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    for key in keys {
        for len in 1..=3 {
            prefixes.insert(key.chars().take(len).collect());
        }
        prefixes.insert(key.clone());
    }
    prefixes
}

/// The keys a prefix scan of `store` lists, failing on a repeated key.
fn listed(store: &dyn KvStorage, scan: Scan<'_>) -> Result<BTreeSet<String>, String> {
    let mut keys = BTreeSet::new();
    for record in store.scan(scan).ctx("scan")? {
        let record = record.ctx("scan")?;
        ensure!(
            keys.insert(record.key.clone()),
            "a prefix scan listed {:?} twice",
            record.key
        );
    }
    Ok(keys)
}

/// A scan with a prefix lists exactly the live keys starting with it, with their values when
/// asked (the nasty keys: glob, regex and `LIKE` characters, NUL, Unicode, path separators);
/// expired entries are left out; a prefix holding more than a page of entries is listed whole
/// and once; `delete_prefix` removes exactly those keys and counts them; both faces agree.
pub fn prefix_scans_list_and_delete_exactly_their_keys(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("prefix");
    let store = backend.open(&namespace).ctx("open")?;
    let keys = nasty_keys();
    let entries: Vec<SetEntry<'_>> = keys
        .iter()
        .map(|key| SetEntry::new(key, key.as_bytes(), None))
        .collect();
    store.set_entries(&entries).ctx("set_entries")?;
    let everything: BTreeSet<String> = keys.iter().cloned().collect();
    for prefix in prefixes(&keys) {
        let want: BTreeSet<String> = everything
            .iter()
            .filter(|key| key.starts_with(&prefix))
            .cloned()
            .collect();
        let got = listed(store.as_ref(), Scan::keys_only().prefix(&prefix))?;
        ensure!(
            got == want,
            "scan with prefix {prefix:?} listed {got:?}, not {want:?}"
        );
    }
    for record in store
        .scan(Scan::with_values().prefix("a"))
        .ctx("scan with values")?
    {
        let record = record.ctx("scan with values")?;
        ensure!(
            record.value.as_deref() == Some(record.key.as_bytes()),
            "a prefix scan read another value for {:?}",
            record.key
        );
    }

    // Expired entries under the prefix are not listed.
    let short = backend.short_ttl();
    store.set("exp:gone", b"x", Some(short)).ctx("set")?;
    let written = Instant::now();
    store.set("exp:kept", b"x", None).ctx("set")?;
    std::thread::sleep(
        (written + short + Duration::from_millis(50)).saturating_duration_since(Instant::now()),
    );
    let got = listed(store.as_ref(), Scan::keys_only().prefix("exp:"))?;
    ensure!(
        got == BTreeSet::from(["exp:kept".to_owned()]),
        "a prefix scan after an expiry listed {got:?}"
    );

    // More than a page under one prefix, beside keys on both sides of its range.
    let many: Vec<String> = (0..MANY).map(|i| format!("m:{i:04}")).collect();
    let around = ["m", "m9", "l:1", "m;0", "n:1", "m:"];
    let entries: Vec<SetEntry<'_>> = many
        .iter()
        .map(String::as_str)
        .chain(around)
        .map(|key| SetEntry::new(key, b"v", None))
        .collect();
    store.set_entries(&entries).ctx("set_entries")?;
    let got = listed(store.as_ref(), Scan::keys_only().prefix("m:"))?;
    ensure!(
        got.len() == MANY + 1 && got.contains("m:") && many.iter().all(|k| got.contains(k)),
        "a prefix scan of {} entries listed {}",
        MANY + 1,
        got.len()
    );

    let len_before = store.len().ctx("len")?;
    let deleted = store.delete_prefix("m:").ctx("delete_prefix")?;
    ensure!(
        deleted == MANY + 1,
        "delete_prefix removed {deleted} entries, not {}",
        MANY + 1
    );
    let left = store.len().ctx("len")?;
    ensure!(
        left == len_before - deleted,
        "{left} entries left after deleting {deleted} of {len_before}"
    );
    for key in around.iter().filter(|k| !k.starts_with("m:")) {
        ensure!(
            store.contains(key).ctx("contains")?,
            "delete_prefix(\"m:\") removed {key:?}"
        );
    }
    let nasty_deleted = store.delete_prefix("*").ctx("delete_prefix")?;
    let starred = everything.iter().filter(|k| k.starts_with('*')).count();
    ensure!(
        nasty_deleted == starred && store.contains("a").ctx("contains")?,
        "delete_prefix(\"*\") removed {nasty_deleted} entries, not the {starred} starting with '*'"
    );
    ensure!(
        store.delete_prefix("zz-none").ctx("delete_prefix")? == 0,
        "delete_prefix of a prefix no key has removed something"
    );

    // The async face lists and deletes the same.
    let async_store = backend.open_async(&namespace).ctx("open_async")?;
    crate::runtime(1)?.block_on(async {
        let got: BTreeSet<String> = async_store
            .keys_with_prefix("a")
            .await
            .ctx("async keys_with_prefix")?
            .try_collect()
            .await
            .ctx("async keys_with_prefix")?;
        let want: BTreeSet<String> = listed(store.as_ref(), Scan::keys_only().prefix("a"))?;
        ensure!(
            !want.is_empty() && got == want,
            "async prefix listing {got:?}, blocking {want:?}"
        );
        let deleted = async_store
            .delete_prefix("a")
            .await
            .ctx("async delete_prefix")?;
        ensure!(
            deleted == want.len(),
            "async delete_prefix removed {deleted}, not {}",
            want.len()
        );
        Ok(())
    })?;
    ensure!(
        listed(store.as_ref(), Scan::keys_only().prefix("a"))?.is_empty(),
        "entries under \"a\" left after the async delete_prefix"
    );
    store.clear().ctx("clear")
}
