//! Scope checks: namespaces never see each other, even when their names are prefixes of each
//! other or differ only by a separator; persistent stores survive a reopen.

use anykv_core::{KvStorage, KvStorageExt};
use std::collections::BTreeSet;
use std::sync::Arc;

use super::collect;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Suffixes that make names which a store prefixing keys without a separator, escaping
/// separators carelessly, or ignoring case would confuse with the base name.
/// `B` and `bB` differ from `b` and `bb` only in case, which SQLite identifiers and the file
/// names of macOS and Windows ignore.
const SUFFIXES: &[&str] = &["", "b", "_b", "-b", ":b", "_", "-", "bb", "B", "bB"];

/// Namespaces whose names are prefixes of each other or differ only by a separator (`a`, `ab`,
/// `a_b`, `a-b`, `a:b` where the backend accepts the name, …) or only in case (`ab`, `aB`) never
/// see, count or clear each other's entries, not even keys that would collide if the name and key
/// were simply joined.
pub fn namespaces_are_isolated(backend: &dyn Backend) -> CheckResult {
    let base = unique_namespace("iso");
    let mut spaces: Vec<(String, Arc<dyn KvStorage>)> = Vec::new();
    for suffix in SUFFIXES {
        let name = format!("{base}{suffix}");
        match backend.open(&name) {
            Ok(store) => spaces.push((name, store)),
            // A name the backend refuses (e.g. with ':') is no namespace to confuse.
            Err(anykv_core::Error::InvalidNamespace { .. }) if !suffix.is_empty() => {}
            Err(error) => return Err(format!("open namespace {name:?}: {error}")),
        }
    }
    ensure!(
        spaces.len() >= 4,
        "fewer than 4 of the namespace names {SUFFIXES:?} were accepted"
    );
    // Each namespace writes "k" and, for every longer name `base + s`, the key that joined
    // without a separator collides with that namespace's "k": (base, s + "k") ~ (base + s, "k").
    let mut own: Vec<BTreeSet<String>> = Vec::new();
    for (name, store) in &spaces {
        let mut keys = BTreeSet::from(["k".to_owned(), String::new()]);
        for (other, _) in &spaces {
            if let Some(rest) = other.strip_prefix(name.as_str()).filter(|r| !r.is_empty()) {
                keys.insert(format!("{rest}k"));
                keys.insert(format!(":{rest}:k"));
            }
        }
        for key in &keys {
            store
                .set(key, format!("{name}/{key}").as_bytes(), None)
                .ctx("set")?;
        }
        own.push(keys);
    }
    for ((name, store), keys) in spaces.iter().zip(&own) {
        see_only_own(name, store.as_ref(), keys)?;
    }
    // A second store of one namespace shares its entries.
    let (first_name, _) = &spaces[0];
    let again = backend.open(first_name).ctx("open")?;
    ensure!(
        again.get("k").ctx("get")? == Some(format!("{first_name}/k").into_bytes()),
        "a second store of one namespace does not share its entries"
    );
    // Clearing each namespace in turn leaves every other one whole.
    for cleared in 0..spaces.len() {
        spaces[cleared].1.clear().ctx("clear")?;
        ensure!(
            spaces[cleared].1.is_empty().ctx("is_empty")?,
            "clear left entries in {:?}",
            spaces[cleared].0
        );
        for ((name, store), keys) in spaces.iter().zip(&own).skip(cleared + 1) {
            see_only_own(name, store.as_ref(), keys)
                .map_err(|e| format!("after clearing {:?}: {e}", spaces[cleared].0))?;
        }
    }
    Ok(())
}

/// The namespace `name` holds exactly `keys`, each with its own value, by every read.
fn see_only_own(name: &str, store: &dyn KvStorage, keys: &BTreeSet<String>) -> CheckResult {
    let listed: BTreeSet<String> = collect("keys", store.keys())?.into_iter().collect();
    ensure!(
        &listed == keys,
        "namespace {name:?} lists {listed:?}, but holds {keys:?}"
    );
    let len = store.len().ctx("len")?;
    ensure!(
        len == keys.len(),
        "namespace {name:?} counts {len} entries, holds {}",
        keys.len()
    );
    for (key, value) in collect("items", store.items())? {
        ensure!(
            value == format!("{name}/{key}").into_bytes(),
            "namespace {name:?} yields another namespace's value under {key:?}"
        );
    }
    for key in keys {
        ensure!(
            store.get(key).ctx("get")? == Some(format!("{name}/{key}").into_bytes()),
            "namespace {name:?} reads another namespace's value under {key:?}"
        );
    }
    for probe in ["bk", "b:k", "_bk", "-bk", "bbk", ":b:k"] {
        if !keys.contains(probe) {
            ensure!(
                !store.contains(probe).ctx("contains")?,
                "namespace {name:?} sees {probe:?}, written in another namespace"
            );
        }
    }
    Ok(())
}

/// For persistent backends: entries, and their TTLs, survive dropping every store and reopening.
pub fn entries_persist_across_reopen(backend: &dyn Backend) -> CheckResult {
    let namespace = unique_namespace("persist");
    {
        let store = backend.open(&namespace).ctx("open")?;
        store.set("kept", b"value", None).ctx("set")?;
        store
            .set("ttl", b"value", Some(std::time::Duration::from_secs(3600)))
            .ctx("set")?;
    }
    let store: Arc<dyn KvStorage> = backend.open(&namespace).ctx("reopen")?;
    ensure!(
        store.get("kept").ctx("get")? == Some(b"value".to_vec()),
        "entry lost across reopen"
    );
    ensure!(
        matches!(
            store.expiry("ttl").ctx("expiry")?,
            Some(anykv_core::Expiry::At(_))
        ),
        "TTL lost across reopen"
    );
    store.clear().ctx("clear")
}
