//! Scope checks: namespaces never see each other; persistent stores survive a reopen.

use storage_core::KvStorage;

use super::collect;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Two namespaces of one backend never see, count or clear each other's entries.
pub fn namespaces_are_isolated(backend: &dyn Backend) -> CheckResult {
    let (name_a, name_b) = (unique_namespace("iso_a"), unique_namespace("iso_b"));
    let a = backend.open(&name_a).ctx("open")?;
    let b = backend.open(&name_b).ctx("open")?;
    a.set("shared", b"from a", None).ctx("set")?;
    a.set("only a", b"1", None).ctx("set")?;
    b.set("shared", b"from b", None).ctx("set")?;
    ensure!(
        a.get("shared").ctx("get")? == Some(b"from a".to_vec()),
        "namespace a sees b's value"
    );
    ensure!(
        b.get("shared").ctx("get")? == Some(b"from b".to_vec()),
        "namespace b sees a's value"
    );
    ensure!(
        !b.contains("only a").ctx("contains")?,
        "namespace b sees a's key"
    );
    ensure!(
        a.len().ctx("len")? == 2 && b.len().ctx("len")? == 1,
        "len counts another namespace"
    );
    ensure!(
        collect("keys", b.keys())? == vec!["shared".to_owned()],
        "keys lists another namespace"
    );
    b.clear().ctx("clear")?;
    ensure!(
        a.len().ctx("len")? == 2,
        "clear of one namespace removed another's entries"
    );
    let again = backend.open(&name_a).ctx("open")?;
    ensure!(
        again.get("only a").ctx("get")? == Some(b"1".to_vec()),
        "a second store of one namespace does not share its entries"
    );
    a.clear().ctx("clear")
}

/// For persistent backends: entries, and their TTLs, survive dropping every store and reopening.
pub fn entries_persist_across_reopen(backend: &dyn Backend) -> CheckResult {
    if !backend.persistent() {
        return Ok(());
    }
    let namespace = unique_namespace("persist");
    {
        let store = backend.open(&namespace).ctx("open")?;
        store.set("kept", b"value", None).ctx("set")?;
        store
            .set("ttl", b"value", Some(std::time::Duration::from_secs(3600)))
            .ctx("set")?;
    }
    let store: std::sync::Arc<dyn KvStorage> = backend.open(&namespace).ctx("reopen")?;
    ensure!(
        store.get("kept").ctx("get")? == Some(b"value".to_vec()),
        "entry lost across reopen"
    );
    ensure!(
        matches!(
            store.expiry("ttl").ctx("expiry")?,
            Some(storage_core::Expiry::At(_))
        ),
        "TTL lost across reopen"
    );
    store.clear().ctx("clear")
}
