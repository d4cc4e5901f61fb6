//! The rule every backend's scans follow for bad entries, as one assertion: a bad entry is
//! listed once, as an error naming it, counted once by `len`, and hides none of the others.

use anykv_core::{Error, KvStorage, KvStorageExt};
use std::collections::BTreeMap;

/// What one scan yielded: its good items and the errors it reported.
fn split<T>(
    what: &str,
    items: anykv_core::Result<anykv_core::BoxIter<'_, T>>,
) -> Result<(Vec<T>, Vec<Error>), String> {
    let items = items.map_err(|e| format!("{what} failed to start: {e}"))?;
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in items {
        match item {
            Ok(item) => good.push(item),
            Err(error) => bad.push(error),
        }
    }
    Ok((good, bad))
}

/// Asserts that `store` holds exactly `good` plus one bad entry whose error message contains
/// `bad_name`: `keys` and `items` list every good entry and one error naming the bad one (the
/// scans go on past it; `keys` may list the bad entry's key instead, when its key is `bad_name`),
/// `len` counts both, and `get` of each good key works.
pub fn assert_bad_entry_reported(
    store: &dyn KvStorage,
    good: &BTreeMap<String, Vec<u8>>,
    bad_name: &str,
) -> Result<(), String> {
    let check_errors = |what: &str, errors: &[Error]| -> Result<(), String> {
        match errors {
            [error] if error.is_invalid_data() && error.to_string().contains(bad_name) => Ok(()),
            _ => Err(format!(
                "{what}: expected one invalid-data error naming {bad_name:?}, got {errors:?}"
            )),
        }
    };
    // A keys-only scan may not read what makes the entry bad (a Redis key of another type):
    // then it lists the key itself, still exactly once.
    let (mut keys, errors) = split("keys", store.keys())?;
    keys.sort();
    let expected: Vec<String> = good.keys().cloned().collect();
    let listed_as_key = errors.is_empty() && keys.iter().any(|key| key == bad_name);
    if listed_as_key {
        keys.retain(|key| key != bad_name);
    }
    if keys != expected {
        return Err(format!(
            "keys listed {} of the {} good entries",
            keys.len(),
            good.len()
        ));
    }
    if !listed_as_key {
        check_errors("keys", &errors)?;
    }
    let (items, errors) = split("items", store.items())?;
    let items: BTreeMap<String, Vec<u8>> = items.into_iter().collect();
    if &items != good {
        return Err(format!(
            "items listed {} of the {} good entries (or wrong values)",
            items.len(),
            good.len()
        ));
    }
    check_errors("items", &errors)?;
    let len = store.len().map_err(|e| format!("len failed: {e}"))?;
    if len != good.len() + 1 {
        return Err(format!(
            "len is {len}; keys listed {} good entries and one bad one",
            good.len()
        ));
    }
    for (key, value) in good {
        let got = store.get(key).map_err(|e| format!("get {key:?}: {e}"))?;
        if got.as_ref() != Some(value) {
            return Err(format!("get {key:?} returned {got:?}"));
        }
    }
    Ok(())
}

/// `count` good entries `key 0000`… with values `value 0000`…, written to `store`.
pub fn write_good_entries(
    store: &dyn KvStorage,
    count: usize,
) -> anykv_core::Result<BTreeMap<String, Vec<u8>>> {
    let good: BTreeMap<String, Vec<u8>> = (0..count)
        .map(|i| (format!("key {i:04}"), format!("value {i:04}").into_bytes()))
        .collect();
    let entries: Vec<(&str, &[u8])> = good
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_slice()))
        .collect();
    store.set_many(&entries, None)?;
    Ok(good)
}
