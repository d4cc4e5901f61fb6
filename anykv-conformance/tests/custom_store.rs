//! The suite run on a store written outside the family, implementing only `Store::info`, the
//! seven required methods and `purge_expired` through the public API, and proof that the suite
//! has teeth: each planted bug fails the check made for it, in every run.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anykv_conformance::checks::{run_named, run_named_within};
use anykv_conformance::{Backend, Capabilities, ExpiryRemoval};
use anykv_core::limits::{check_entry, check_key};
use anykv_core::pagination::paginate;
use anykv_core::time::expiry_from_ttl;
use anykv_core::{
    Entry, KvStorage, Record, RecordIter, Result, Scan, SetEntry, Store, StoreInfo, Timestamp,
};

/// A bug to plant in the toy store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bug {
    None,
    LenCountsExpired,
    ScanListsExpired,
    NamespacePrefixWithoutSeparator,
    NamespaceIgnoresCase,
    ClearClearsEveryNamespace,
    SetIfAbsentChecksThenSets,
    SetIfAbsentDropsTtl,
    PopDoesNotDelete,
    DeleteManySkipsLast,
    SetEntriesDropsTtl,
    TtlRoundedUpToSeconds,
    TtlRoundedDownToSeconds,
    PurgeRemovesLiveEntries,
    CompareThenWrite,
    CompareMatchesPrefix,
    CompareSeesExpired,
    CompareAndSetDropsTtl,
    /// `compare_and_set` with an expected value never succeeds (a broken conditional write).
    CompareAndSetNeverWins,
    /// `pop` never returns (a store that hangs).
    PopHangs,
    /// A prefix scan lists every key after the prefix, not only those starting with it.
    ScanRunsPastThePrefix,
    /// `Store::info` names no namespace.
    InfoWithoutNamespace,
    /// `purge_expired` left to its default (which removes nothing) under `ExpiryRemoval::Purge`.
    NoPurge,
}

/// The gap between the comparison and the write of the planted non-atomic conditional writes:
/// what a store without atomic conditional writes has between its read and its write (a network
/// round trip). Without it the gap is a few nanoseconds between two lock acquisitions, which the
/// contenders of a busy 2-core machine (time-sliced, not parallel) may never meet, and the
/// checks that catch the bug, whose runs are bounded in time, then pass by chance.
fn race_window() {
    std::thread::sleep(std::time::Duration::from_micros(20));
}

/// Every namespace's entries, in one sorted map keyed by `namespace/key`.
type Table = Arc<Mutex<BTreeMap<String, Entry>>>;

/// A custom store: one namespace of a shared sorted map in a mutex, `info` and the seven required methods
/// (plus the overrides a planted bug needs).
struct ToyStore {
    table: Table,
    prefix: String,
    bug: Bug,
}

impl ToyStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn expires_at(&self, ttl: Option<Duration>) -> Result<Option<Timestamp>> {
        let ttl = match (self.bug, ttl) {
            (Bug::TtlRoundedUpToSeconds, Some(ttl)) => {
                Some(Duration::from_secs(ttl.as_millis().div_ceil(1000) as u64))
            }
            (Bug::TtlRoundedDownToSeconds, Some(ttl)) => {
                Some(Duration::from_secs(ttl.as_secs().max(1)))
            }
            (_, ttl) => ttl,
        };
        expiry_from_ttl(ttl, Timestamp::now())
    }

    fn visible(&self, entry: &Entry, now: Timestamp) -> bool {
        self.bug == Bug::ScanListsExpired || !entry.is_expired_at(now)
    }

    /// Whether the entry of `key` in `table` is what a conditional write expects.
    fn matches(&self, table: &BTreeMap<String, Entry>, key: &str, expected: Option<&[u8]>) -> bool {
        let now = Timestamp::now();
        let current = table
            .get(&self.full_key(key))
            .filter(|e| self.bug == Bug::CompareSeesExpired || !e.is_expired_at(now));
        match (current, expected) {
            (None, None) => true,
            (Some(entry), Some(expected)) if self.bug == Bug::CompareMatchesPrefix => {
                entry.value.starts_with(expected)
            }
            (Some(entry), Some(expected)) => entry.value == expected,
            _ => false,
        }
    }

    fn count(&self, with_expired: bool) -> usize {
        let now = Timestamp::now();
        self.lock()
            .range::<str, _>((Bound::Included(self.prefix.as_str()), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&self.prefix))
            .filter(|(_, e)| with_expired || self.visible(e, now))
            .count()
    }
}

impl Store for ToyStore {
    fn info(&self) -> StoreInfo<'_> {
        let info = StoreInfo::new("toy").max_value_len(1 << 20);
        if self.bug == Bug::InfoWithoutNamespace {
            return info;
        }
        match self.prefix.strip_suffix('/') {
            Some(namespace) => info.namespace(namespace),
            None => info,
        }
    }
}

impl KvStorage for ToyStore {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        let now = Timestamp::now();
        Ok(self
            .lock()
            .get(&self.full_key(key))
            .filter(|e| !e.is_expired_at(now))
            .cloned())
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry("toy", key, value, self.max_value_len())?;
        let entry = Entry {
            value: value.to_vec(),
            expires_at: self.expires_at(ttl)?,
        };
        self.lock().insert(self.full_key(key), entry);
        Ok(())
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.compare_and_set(key, None, value, ttl)
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        check_entry("toy", key, value, self.max_value_len())?;
        if expected.is_some() && self.bug == Bug::CompareAndSetNeverWins {
            return Ok(false);
        }
        let drops_ttl = match expected {
            None => self.bug == Bug::SetIfAbsentDropsTtl,
            Some(_) => self.bug == Bug::CompareAndSetDropsTtl,
        };
        let ttl = if drops_ttl { None } else { ttl };
        let unlocked = match expected {
            None => self.bug == Bug::SetIfAbsentChecksThenSets,
            Some(_) => self.bug == Bug::CompareThenWrite,
        };
        if unlocked {
            if !self.matches(&self.lock(), key, expected) {
                return Ok(false);
            }
            race_window();
            self.set(key, value, ttl)?;
            return Ok(true);
        }
        let expires_at = self.expires_at(ttl)?;
        let mut table = self.lock();
        if !self.matches(&table, key, expected) {
            return Ok(false);
        }
        let entry = Entry {
            value: value.to_vec(),
            expires_at,
        };
        table.insert(self.full_key(key), entry);
        Ok(true)
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let matched = self.matches(&self.lock(), key, Some(expected));
        if self.bug == Bug::CompareThenWrite {
            race_window();
            return Ok(matched && self.delete(key)?);
        }
        let mut table = self.lock();
        if !self.matches(&table, key, Some(expected)) {
            return Ok(false);
        }
        table.remove(&self.full_key(key));
        Ok(true)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let removed = self.lock().remove(&self.full_key(key));
        Ok(removed.is_some_and(|e| !e.is_expired_at(Timestamp::now())))
    }

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        let listed = self.full_key(scan.key_prefix());
        let with_values = scan.values();
        Ok(paginate(100, move |after, limit| {
            let now = Timestamp::now();
            let table = self.lock();
            let start = match after {
                Some(key) => Bound::Excluded(self.full_key(key)),
                None => Bound::Included(listed.clone()),
            };
            Ok(table
                .range::<String, _>((start, Bound::Unbounded))
                .take_while(|(k, _)| {
                    let past_the_prefix = self.bug == Bug::ScanRunsPastThePrefix;
                    k.starts_with(if past_the_prefix {
                        &self.prefix
                    } else {
                        &listed
                    })
                })
                .filter(|(_, e)| self.visible(e, now))
                .take(limit)
                .map(|(k, e)| Record {
                    key: k[self.prefix.len()..].to_owned(),
                    value: with_values.then(|| e.value.clone()),
                    expires_at: e.expires_at,
                })
                .collect())
        }))
    }

    fn clear(&self) -> Result<()> {
        let everything = self.bug == Bug::ClearClearsEveryNamespace;
        self.lock()
            .retain(|k, _| !everything && !k.starts_with(&self.prefix));
        Ok(())
    }

    fn len(&self) -> Result<usize> {
        Ok(self.count(self.bug == Bug::LenCountsExpired))
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if self.bug == Bug::PopDoesNotDelete {
            return self.get(key);
        }
        if self.bug == Bug::PopHangs {
            loop {
                std::thread::park();
            }
        }
        check_key(key)?;
        let now = Timestamp::now();
        Ok(self
            .lock()
            .remove(&self.full_key(key))
            .filter(|e| !e.is_expired_at(now))
            .map(|e| e.value))
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let keys = match (self.bug, keys) {
            (Bug::DeleteManySkipsLast, [first @ .., _]) => first,
            _ => keys,
        };
        let mut deleted = 0;
        for key in keys {
            deleted += usize::from(self.delete(key)?);
        }
        Ok(deleted)
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.check_entries(entries)?;
        let drop_ttl = self.bug == Bug::SetEntriesDropsTtl;
        entries.iter().try_for_each(|entry| {
            let ttl = if drop_ttl { None } else { entry.ttl };
            self.set(entry.key, entry.value, ttl)
        })
    }

    fn purge_expired(&self) -> Result<usize> {
        if self.bug == Bug::NoPurge {
            return Ok(0);
        }
        let now = Timestamp::now();
        let mut table = self.lock();
        let before = table.len();
        let everything = self.bug == Bug::PurgeRemovesLiveEntries;
        table.retain(|k, e| !(k.starts_with(&self.prefix) && (everything || e.is_expired_at(now))));
        Ok(before - table.len())
    }
}

/// Namespaces of toy stores, all in one shared map.
struct ToyBackend {
    table: Table,
    bug: Bug,
}

impl ToyBackend {
    fn with_bug(bug: Bug) -> Self {
        ToyBackend {
            table: Table::default(),
            bug,
        }
    }
}

impl Backend for ToyBackend {
    fn name(&self) -> String {
        format!("toy store with bug {:?}", self.bug)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: true,
            expiry: ExpiryRemoval::Purge,
            // The toy store keeps the trait's default: live entries only.
            stale_reads: false,
            size_caps: false,
        }
    }

    /// An in-process map answers in microseconds: a short TTL keeps the model's waits short.
    fn short_ttl(&self) -> Duration {
        Duration::from_millis(40)
    }

    fn open(&self, namespace: &str) -> Result<Arc<dyn KvStorage>> {
        anykv_core::Namespace::new(namespace)?;
        let separator = if self.bug == Bug::NamespacePrefixWithoutSeparator {
            ""
        } else {
            "/"
        };
        let namespace = if self.bug == Bug::NamespaceIgnoresCase {
            namespace.to_ascii_lowercase()
        } else {
            namespace.to_owned()
        };
        Ok(Arc::new(ToyStore {
            table: self.table.clone(),
            prefix: format!("{namespace}{separator}"),
            bug: self.bug,
        }))
    }
}

anykv_conformance::conformance_tests!(correct_custom_store, ToyBackend::with_bug(Bug::None));

// `run_all` on a correct store is the crate's doctest (the README's custom store).

/// Asserts that the check `check` fails on a store with `bug`.
fn caught(bug: Bug, check: &str) {
    let outcome = run_named(&ToyBackend::with_bug(bug), check);
    match outcome {
        Err(report) => println!("{bug:?} caught by {check}:\n{report}"),
        Ok(verdict) => panic!("{check} missed the planted bug {bug:?} ({verdict:?})"),
    }
}

/// One test per planted bug, naming the check built to catch it.
macro_rules! planted {
    ($($test:ident: $bug:ident => $check:ident;)*) => {$(
        #[test]
        fn $test() {
            caught(Bug::$bug, stringify!($check));
        }
    )*};
}

planted! {
    len_counting_expired_entries: LenCountsExpired => expired_entries_are_not_counted;
    len_counting_expired_entries_in_the_ttl_check: LenCountsExpired => ttl_hides_expired_entries_from_every_read;
    scans_listing_expired_entries: ScanListsExpired => expired_entries_are_not_counted;
    namespaces_prefixed_without_a_separator: NamespacePrefixWithoutSeparator => namespaces_are_isolated;
    namespaces_differing_in_case_shared: NamespaceIgnoresCase => namespaces_are_isolated;
    clear_leaving_its_namespace: ClearClearsEveryNamespace => namespaces_are_isolated;
    set_if_absent_checking_then_setting: SetIfAbsentChecksThenSets => set_if_absent_has_one_winner;
    set_if_absent_checking_then_setting_on_the_async_face: SetIfAbsentChecksThenSets => set_if_absent_has_one_winner_async;
    set_if_absent_dropping_the_ttl: SetIfAbsentDropsTtl => set_if_absent_keeps_the_ttl;
    pop_not_deleting: PopDoesNotDelete => pop_removes_the_entry;
    delete_many_skipping_a_key: DeleteManySkipsLast => delete_many_removes_every_listed_key;
    delete_many_skipping_a_key_in_bulk: DeleteManySkipsLast => bulk_operations;
    bulk_writes_dropping_ttls: SetEntriesDropsTtl => update_copies_remaining_ttl;
    ttl_rounded_up_to_seconds: TtlRoundedUpToSeconds => ttl_is_kept_to_the_millisecond;
    ttl_rounded_down_to_seconds: TtlRoundedDownToSeconds => ttl_is_kept_to_the_millisecond;
    purge_removing_live_entries: PurgeRemovesLiveEntries => purge_expired_removes_only_expired;
    conditional_writes_comparing_then_writing: CompareThenWrite => conditional_writes_have_one_winner;
    conditional_writes_comparing_then_writing_on_the_async_face: CompareThenWrite => conditional_writes_have_one_winner_async;
    compare_and_set_losing_increments: CompareThenWrite => compare_and_set_counts_exactly;
    comparisons_matching_a_prefix: CompareMatchesPrefix => compare_and_swap_semantics;
    comparisons_seeing_expired_values: CompareSeesExpired => compare_and_swap_semantics;
    compare_and_set_dropping_the_ttl: CompareAndSetDropsTtl => compare_and_swap_semantics;
    increments_losing_counts: CompareThenWrite => increment_counts_every_call;
    prefix_scans_running_past_the_prefix: ScanRunsPastThePrefix => prefix_scans_list_and_delete_exactly_their_keys;
}

/// A store that leaves out a part the suite needs fails only the checks that need it, and each
/// of their reports says what to add.
#[test]
fn a_missing_part_is_named_by_the_checks_that_need_it() {
    for (bug, hint) in [
        (Bug::InfoWithoutNamespace, "StoreInfo::namespace"),
        (Bug::NoPurge, "implement KvStorage::purge_expired"),
    ] {
        let failures: Vec<String> = anykv_conformance::CHECKS
            .iter()
            .filter_map(|check| check.run_on(&ToyBackend::with_bug(bug)).err())
            .collect();
        assert!(!failures.is_empty(), "{bug:?} passed the whole suite");
        for report in &failures {
            assert!(
                report.contains(hint),
                "{bug:?}: a report does not say {hint:?}:\n{report}"
            );
        }
        println!(
            "{bug:?}: {} checks fail, each saying {hint:?}",
            failures.len()
        );
    }
}

/// A store whose conditional write never succeeds fails the counter check (it hung before).
#[test]
fn a_compare_and_set_that_never_wins_fails_instead_of_hanging() {
    let report = run_named(
        &ToyBackend::with_bug(Bug::CompareAndSetNeverWins),
        "compare_and_set_counts_exactly",
    )
    .err()
    .unwrap_or_else(|| panic!("compare_and_set_counts_exactly passed a store that never wins"));
    assert!(report.contains("lost 100 times in a row"), "{report}");
}

/// A check whose store never answers fails at its time bound, naming the check and the bound.
#[test]
fn a_hung_check_fails_at_its_time_bound() {
    let backend: &'static ToyBackend = Box::leak(Box::new(ToyBackend::with_bug(Bug::PopHangs)));
    let bound = Duration::from_secs(2);
    let report = run_named_within(backend, "pop_removes_the_entry", bound)
        .err()
        .unwrap_or_else(|| panic!("a check whose pop never returns passed"));
    assert!(
        report.contains("pop_removes_the_entry") && report.contains("did not end within 2s"),
        "{report}"
    );
}

/// The model-based test finds bugs on its own too, and reports a seed that replays them. The
/// seeds are fixed, so this test draws the same sequences in every run and cannot miss by chance.
#[test]
fn model_catches_planted_bugs_and_names_the_seed() {
    for bug in [
        Bug::LenCountsExpired,
        Bug::DeleteManySkipsLast,
        Bug::PopDoesNotDelete,
    ] {
        let run = anykv_conformance::ModelRun {
            face: anykv_conformance::FaceKind::Sync,
            cases: 128,
            seed: 7,
        };
        let report = anykv_conformance::run_model(&ToyBackend::with_bug(bug), run)
            .err()
            .unwrap_or_else(|| panic!("the model-based test missed {bug:?}"));
        assert!(
            report.contains("CONFORMANCE_SEED=7"),
            "the report does not say how to replay: {report}"
        );
        println!("{bug:?}:\n{report}\n");
    }
}

/// The same seed draws the same sequences: a failure replays.
#[test]
fn a_seed_replays_the_same_failure() {
    let run = anykv_conformance::ModelRun {
        face: anykv_conformance::FaceKind::Sync,
        cases: 64,
        seed: 42,
    };
    let first = anykv_conformance::run_model(&ToyBackend::with_bug(Bug::PopDoesNotDelete), run);
    let second = anykv_conformance::run_model(&ToyBackend::with_bug(Bug::PopDoesNotDelete), run);
    let minimal = |report: &str| {
        report
            .lines()
            .find(|line| line.contains("minimal failing input"))
            .map(str::to_owned)
    };
    let (first, second) = (
        first.err().unwrap_or_default(),
        second.err().unwrap_or_default(),
    );
    assert!(
        minimal(&first).is_some(),
        "seed 42 found no failure: {first}"
    );
    assert_eq!(
        minimal(&first),
        minimal(&second),
        "the same seed shrank to different sequences"
    );
}
