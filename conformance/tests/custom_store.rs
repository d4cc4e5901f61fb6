//! The suite run on a store written outside the family, implementing only the six required
//! methods, and proof that the suite has teeth: deliberately broken variants fail it.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use storage_core::limits::{check_entry, check_key};
use storage_core::pagination::paginate;
use storage_core::time::expiry_from_ttl;
use storage_core::{Entry, KvStorage, Record, RecordIter, Result, ScanMode, Timestamp};

/// Bugs to plant in the toy store.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Bugs {
    len_counts_expired: bool,
    delete_many_skips_last: bool,
}

type Table = Arc<Mutex<BTreeMap<String, Entry>>>;

/// A custom store: a sorted map in a mutex, the six required methods and nothing else (plus the
/// two planted bugs when asked).
struct ToyStore {
    table: Table,
    bugs: Bugs,
}

impl ToyStore {
    fn live(&self, key: &str) -> Option<Entry> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table
            .get(key)
            .filter(|e| !e.is_expired_at(Timestamp::now()))
            .cloned()
    }
}

impl KvStorage for ToyStore {
    fn backend_name(&self) -> &'static str {
        "toy"
    }

    fn max_value_len(&self) -> usize {
        1 << 20
    }

    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        Ok(self.live(key))
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry("toy", key, value, self.max_value_len())?;
        let expires_at = expiry_from_ttl(ttl, Timestamp::now())?;
        let entry = Entry {
            value: value.to_vec(),
            expires_at,
        };
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned(), entry);
        Ok(())
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        check_entry("toy", key, value, self.max_value_len())?;
        let now = Timestamp::now();
        let expires_at = expiry_from_ttl(ttl, now)?;
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table.get(key).is_some_and(|e| !e.is_expired_at(now)) {
            return Ok(false);
        }
        table.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                expires_at,
            },
        );
        Ok(true)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let removed = self
            .table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        Ok(removed.is_some_and(|e| !e.is_expired_at(Timestamp::now())))
    }

    fn scan(&self, mode: ScanMode) -> Result<RecordIter<'_>> {
        Ok(paginate(100, move |after, limit| {
            let now = Timestamp::now();
            let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
            let start = after.map_or(Bound::Unbounded, Bound::Excluded);
            Ok(table
                .range::<str, _>((start, Bound::Unbounded))
                .filter(|(_, e)| !e.is_expired_at(now))
                .take(limit)
                .map(|(k, e)| Record {
                    key: k.clone(),
                    value: mode.values().then(|| e.value.clone()),
                    expires_at: e.expires_at,
                })
                .collect())
        }))
    }

    fn clear(&self) -> Result<()> {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }

    fn len(&self) -> Result<usize> {
        if self.bugs.len_counts_expired {
            return Ok(self.table.lock().unwrap_or_else(|e| e.into_inner()).len());
        }
        let mut count = 0;
        for record in self.scan(ScanMode::KeysOnly)? {
            record?;
            count += 1;
        }
        Ok(count)
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let keys = if self.bugs.delete_many_skips_last && !keys.is_empty() {
            &keys[..keys.len() - 1]
        } else {
            keys
        };
        let mut deleted = 0;
        for key in keys {
            deleted += usize::from(self.delete(key)?);
        }
        Ok(deleted)
    }
}

/// Namespaces of toy stores.
#[derive(Default)]
struct ToyBackend {
    tables: Mutex<HashMap<String, Table>>,
    bugs: Bugs,
}

impl ToyBackend {
    fn with_bugs(bugs: Bugs) -> Self {
        ToyBackend {
            tables: Mutex::default(),
            bugs,
        }
    }
}

impl conformance::Backend for ToyBackend {
    fn name(&self) -> String {
        "toy".into()
    }

    fn open(&self, namespace: &str) -> Result<Arc<dyn KvStorage>> {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let table = tables.entry(namespace.to_owned()).or_default().clone();
        Ok(Arc::new(ToyStore {
            table,
            bugs: self.bugs,
        }))
    }
}

conformance::conformance_tests!(correct_custom_store, ToyBackend::default());

#[test]
fn whole_suite_passes_with_one_call() {
    let outcome = conformance::run_all(&ToyBackend::default());
    assert!(outcome.is_ok(), "{}", outcome.err().unwrap_or_default());
}

#[test]
fn suite_catches_len_counting_expired_entries() {
    let broken = ToyBackend::with_bugs(Bugs {
        len_counts_expired: true,
        ..Bugs::default()
    });
    let report = conformance::run_all(&broken).err().unwrap_or_default();
    assert!(
        report.contains("ttl_hides_expired_entries_from_every_read"),
        "explicit TTL check missed the bug:\n{report}"
    );
    let model = conformance::checks::model_based_with_cases(&broken, 256);
    assert!(
        model.is_err(),
        "the model-based test missed len counting expired entries"
    );
    println!(
        "model-based report for the planted bug:\n{}",
        model.err().unwrap_or_default()
    );
}

#[test]
fn suite_catches_delete_many_skipping_a_key() {
    let broken = ToyBackend::with_bugs(Bugs {
        delete_many_skips_last: true,
        ..Bugs::default()
    });
    let report = conformance::run_all(&broken).err().unwrap_or_default();
    assert!(
        report.contains("bulk_operations"),
        "explicit bulk check missed the bug:\n{report}"
    );
    let model = conformance::checks::model_based_with_cases(&broken, 256);
    assert!(
        model.is_err(),
        "the model-based test missed delete_many skipping a key"
    );
}
