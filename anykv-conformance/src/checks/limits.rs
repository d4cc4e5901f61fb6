//! Limit checks: every key up to 1024 bytes works, longer ones and oversized values are refused
//! with typed errors and write nothing.

use anykv_core::{Error, ErrorKind, KvStorageExt, MAX_KEY_LEN};
use std::collections::BTreeSet;

use super::{collect, fresh};
use crate::{ensure, nasty_keys, Backend, CheckResult, Context};

/// Values larger than this are not allocated by the suite; a larger limit is not exercised.
const LARGEST_TESTED_LIMIT: usize = 64 << 20;

/// Every nasty key, and keys of many lengths up to 1024 bytes, is stored, listed and deleted
/// unchanged and distinct from every other.
pub fn every_key_up_to_the_limit_works(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "keys")?;
    let mut keys = nasty_keys();
    for len in [
        1,
        2,
        63,
        64,
        255,
        256,
        257,
        511,
        512,
        1000,
        1023,
        MAX_KEY_LEN,
    ] {
        keys.push("x".repeat(len - 1) + "/");
    }
    let keys: Vec<String> = keys
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for key in &keys {
        store
            .set(key, key.as_bytes(), None)
            .ctx(&format!("set {key:?}"))?;
    }
    for key in &keys {
        ensure!(
            store.get(key).ctx("get")?.as_deref() == Some(key.as_bytes()),
            "key {key:?} reads back wrong"
        );
    }
    let listed: BTreeSet<String> = collect("keys", store.keys())?.into_iter().collect();
    let expected: BTreeSet<String> = keys.iter().cloned().collect();
    ensure!(
        listed == expected,
        "keys listed differ: missing {:?}, extra {:?}",
        expected.difference(&listed).collect::<Vec<_>>(),
        listed.difference(&expected).collect::<Vec<_>>()
    );
    ensure!(
        store.len().ctx("len")? == keys.len(),
        "len differs from the number of distinct keys"
    );
    for key in &keys {
        ensure!(
            store.delete(key).ctx("delete")?,
            "delete {key:?} found nothing"
        );
    }
    ensure!(
        store.is_empty().ctx("is_empty")?,
        "entries left after deleting every key"
    );
    Ok(())
}

/// A key of 1025 bytes is refused with `KeyTooLong` by every operation, and nothing is written.
pub fn long_keys_are_refused(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "long_keys")?;
    let long = "k".repeat(MAX_KEY_LEN + 1);
    let too_long = |e: &Error| {
        matches!(e, Error::KeyTooLong { len, max } if *len == MAX_KEY_LEN + 1 && *max == MAX_KEY_LEN)
            && e.kind() == ErrorKind::LimitExceeded
            && !e.is_retryable()
    };
    let outcomes: Vec<(&str, Option<Error>)> = vec![
        ("set", store.set(&long, b"v", None).err()),
        (
            "set_if_absent",
            store.set_if_absent(&long, b"v", None).err(),
        ),
        (
            "compare_and_set",
            store.compare_and_set(&long, Some(b"v"), b"w", None).err(),
        ),
        (
            "compare_and_delete",
            store.compare_and_delete(&long, b"v").err(),
        ),
        ("get", store.get(&long).err()),
        ("contains", store.contains(&long).err()),
        ("expiry", store.expiry(&long).err()),
        ("delete", store.delete(&long).err()),
        ("pop", store.pop(&long).err()),
        ("get_many", store.get_many(&["ok", &long]).err()),
        (
            "set_many",
            store.set_many(&[("ok", b"v"), (&long, b"v")], None).err(),
        ),
        ("delete_many", store.delete_many(&["ok", &long]).err()),
    ];
    for (operation, error) in outcomes {
        ensure!(
            error.as_ref().is_some_and(too_long),
            "{operation} with a 1025-byte key: expected KeyTooLong, got {error:?}"
        );
    }
    ensure!(
        store.is_empty().ctx("is_empty")?,
        "a refused key wrote something"
    );
    Ok(())
}

/// The empty value works; a value of `max_value_len + 1` bytes is refused with `ValueTooLarge`
/// naming the limit and nothing is written (bulk writes included); a value of exactly the limit
/// is stored.
pub fn values_over_the_limit_are_refused(backend: &dyn Backend) -> CheckResult {
    let store = fresh(backend, "values")?;
    store.set("empty", b"", None).ctx("set empty value")?;
    ensure!(
        store.get("empty").ctx("get")? == Some(Vec::new()),
        "the empty value does not read back"
    );
    store.delete("empty").ctx("delete")?;
    let max = store.max_value_len();
    if max > LARGEST_TESTED_LIMIT {
        return Ok(());
    }
    let over = vec![7u8; max + 1];
    let refused = |e: &Option<Error>| matches!(e, Some(error @ Error::ValueTooLarge { len, max: limit, .. }) if *len == max + 1 && *limit == max && error.kind() == ErrorKind::LimitExceeded);
    let outcomes = [
        ("set", store.set("big", &over, None).err()),
        (
            "set_if_absent",
            store.set_if_absent("big", &over, None).err(),
        ),
        (
            "compare_and_set",
            store.compare_and_set("big", None, &over, None).err(),
        ),
        (
            "set_many",
            store
                .set_many(&[("small", b"v"), ("big", &over)], None)
                .err(),
        ),
    ];
    for (operation, error) in outcomes {
        ensure!(
            refused(&error),
            "{operation} of {} bytes (limit {max}): expected ValueTooLarge, got {error:?}",
            max + 1
        );
    }
    ensure!(
        store.is_empty().ctx("is_empty")?,
        "a refused value wrote something"
    );
    let exact = vec![9u8; max];
    store
        .set("exact", &exact, None)
        .ctx("set a value of exactly the limit")?;
    ensure!(
        store.get("exact").ctx("get")? == Some(exact),
        "a value of exactly the limit reads back wrong"
    );
    store.clear().ctx("clear")
}
