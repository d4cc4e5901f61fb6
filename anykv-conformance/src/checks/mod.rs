//! The explicit checks of the suite, the one list of every check, and [`run_all`].

mod async_face;
mod atomic;
mod bulk;
mod caps;
mod concurrency;
mod conditional;
mod counter;
mod counts;
mod faces;
mod layers;
mod limits;
mod mapping;
mod namespaces;
mod prefix;
mod race;
mod signing;
mod sorted;
mod stale;
mod touch;
mod ttl;

pub use crate::model::{model_based, model_based_async, model_based_with_cases};
pub use async_face::{async_face, async_face_concurrent_tasks, stores_work_as_trait_objects};
pub use atomic::{
    pop_removes_the_entry, set_if_absent_has_one_winner, set_if_absent_has_one_winner_async,
    set_if_absent_keeps_the_ttl,
};
pub use bulk::{
    bulk_operations, delete_many_removes_every_listed_key, iteration_streams_many_entries,
    large_bulk_operations, update_copies_remaining_ttl,
};
pub use caps::{
    size_caps_bound_bytes_and_refuse_larger_values, size_caps_count_entries_already_held,
    size_caps_drop_expired_entries_first, size_caps_evict_least_recently_used_first,
};
pub use concurrency::concurrent_writers_and_readers;
pub use conditional::{
    compare_and_set_counts_exactly, compare_and_swap_semantics, conditional_writes_have_one_winner,
    conditional_writes_have_one_winner_async,
};
pub use counter::increment_counts_every_call;
pub use counts::counts_include_expired_entries_and_sizes_follow_writes;
pub use faces::typed_and_signed_agree_across_faces;
pub use layers::{
    corrupt_bytes_through_codec, tampered_bytes_through_signing, typed_over_signed_round_trip,
};
pub use limits::{
    every_key_up_to_the_limit_works, long_keys_are_refused, values_over_the_limit_are_refused,
};
pub use mapping::setdefault_and_popitem;
pub use namespaces::{entries_persist_across_reopen, namespaces_are_isolated};
pub use prefix::prefix_scans_list_and_delete_exactly_their_keys;
pub use signing::signatures_bind_namespace_and_expiry;
pub use sorted::sorted_lists_soonest_expiry_or_largest_first;
pub use stale::{
    scans_list_expired_entries_when_asked, stale_reads_see_expired_entries_until_purged,
};
pub use touch::touch_changes_only_the_expiry;
pub use ttl::{
    expired_entries_are_not_counted, invalid_ttls_are_refused, purge_expired_removes_only_expired,
    ttl_hides_expired_entries_from_every_read, ttl_is_kept_to_the_millisecond,
};

use crate::{Backend, Capabilities, CheckResult};
use std::time::Duration;

/// The one list of the suite's checks, each with the capability it needs. [`CHECKS`] and the
/// tests of [`conformance_tests!`](crate::conformance_tests) are both made from it.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_checks {
    (@expand tests [$($args:tt)*] $($list:tt)*) => {
        $crate::conformance_tests!(@emit_tests [$($args)*] $($list)*);
    };
    (@expand list [] $($check:ident : $needs:ident),* $(,)?) => {
        /// Every check of the suite, in the order [`run_all`] runs them:
        ///
        $( #[doc = concat!("- [`", stringify!($check), "`](", stringify!($check), ")")] )*
        pub const CHECKS: &[Check] = &[
            $( Check { name: stringify!($check), run: $check, needs: Needs::$needs } ),*
        ];
    };
    (@$mode:ident [$($args:tt)*]) => {
        $crate::__with_checks!(@expand $mode [$($args)*]
            model_based: Nothing,
            model_based_async: Nothing,
            ttl_hides_expired_entries_from_every_read: Nothing,
            expired_entries_are_not_counted: Nothing,
            ttl_is_kept_to_the_millisecond: Nothing,
            invalid_ttls_are_refused: Nothing,
            purge_expired_removes_only_expired: Nothing,
            touch_changes_only_the_expiry: Nothing,
            stale_reads_see_expired_entries_until_purged: Nothing,
            scans_list_expired_entries_when_asked: Nothing,
            counts_include_expired_entries_and_sizes_follow_writes: Nothing,
            sorted_lists_soonest_expiry_or_largest_first: Nothing,
            size_caps_evict_least_recently_used_first: SizeCaps,
            size_caps_drop_expired_entries_first: SizeCaps,
            size_caps_bound_bytes_and_refuse_larger_values: SizeCaps,
            size_caps_count_entries_already_held: SizeCaps,
            namespaces_are_isolated: Nothing,
            entries_persist_across_reopen: Persistence,
            concurrent_writers_and_readers: Nothing,
            set_if_absent_has_one_winner: Nothing,
            set_if_absent_has_one_winner_async: Nothing,
            set_if_absent_keeps_the_ttl: Nothing,
            compare_and_swap_semantics: Nothing,
            conditional_writes_have_one_winner: Nothing,
            conditional_writes_have_one_winner_async: Nothing,
            compare_and_set_counts_exactly: Nothing,
            pop_removes_the_entry: Nothing,
            setdefault_and_popitem: Nothing,
            increment_counts_every_call: Nothing,
            prefix_scans_list_and_delete_exactly_their_keys: Nothing,
            every_key_up_to_the_limit_works: Nothing,
            long_keys_are_refused: Nothing,
            values_over_the_limit_are_refused: Nothing,
            bulk_operations: Nothing,
            delete_many_removes_every_listed_key: Nothing,
            large_bulk_operations: Nothing,
            update_copies_remaining_ttl: Nothing,
            iteration_streams_many_entries: Nothing,
            corrupt_bytes_through_codec: Nothing,
            tampered_bytes_through_signing: Nothing,
            signatures_bind_namespace_and_expiry: Nothing,
            typed_over_signed_round_trip: Nothing,
            typed_and_signed_agree_across_faces: Nothing,
            async_face: Nothing,
            async_face_concurrent_tasks: Nothing,
            stores_work_as_trait_objects: Nothing,
        );
    };
}

__with_checks!(@list []);

/// A capability a check needs; a backend without it skips the check, and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Runs on every backend.
    Nothing,
    /// [`Capabilities::persistent`].
    Persistence,
    /// [`Capabilities::size_caps`].
    SizeCaps,
}

impl Needs {
    /// Why a backend with `capabilities` skips a check that needs this, if it does.
    pub fn unmet(self, capabilities: &Capabilities) -> Option<&'static str> {
        match self {
            Needs::Nothing => None,
            Needs::Persistence => (!capabilities.persistent)
                .then_some("the backend says it is not persistent (Capabilities::persistent)"),
            Needs::SizeCaps => (!capabilities.size_caps).then_some(
                "the backend says it has no size caps (Capabilities::size_caps): \
                 its server's own eviction policy applies",
            ),
        }
    }
}

/// A named check of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Its name, the same as its function's and its test's.
    pub name: &'static str,
    /// The check.
    pub run: fn(&dyn Backend) -> CheckResult,
    /// The capability it needs.
    pub needs: Needs,
}

/// How a check ended, when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It ran and passed.
    Passed,
    /// It does not apply to the backend, for this reason.
    Skipped(&'static str),
}

impl Check {
    /// Runs the check on `backend`, or skips it (printing why) when the backend lacks what it
    /// needs. `Err` is the report, naming the backend and the check.
    pub fn run_on(&self, backend: &dyn Backend) -> Result<Verdict, String> {
        if let Some(reason) = self.needs.unmet(&backend.capabilities()) {
            println!("skipped {} on {}: {reason}", self.name, backend.name());
            return Ok(Verdict::Skipped(reason));
        }
        (self.run)(backend)
            .map(|()| Verdict::Passed)
            .map_err(|report| format!("{} failed {}:\n{report}", backend.name(), self.name))
    }
}

/// Runs the check called `name` on `backend` (see [`Check::run_on`]).
pub fn run_named(backend: &dyn Backend, name: &str) -> Result<Verdict, String> {
    CHECKS
        .iter()
        .find(|check| check.name == name)
        .ok_or_else(|| format!("no check is called {name}"))?
        .run_on(backend)
}

/// How long one check of [`conformance_tests!`](crate::conformance_tests) may run before it
/// fails as hung: `ANYKV_CHECK_TIMEOUT_SECS` seconds if set, else 15 minutes (the slowest check
/// on a loaded 2-core machine takes about a minute; the bound only catches a store that never
/// answers).
pub fn check_time_bound() -> Duration {
    std::env::var("ANYKV_CHECK_TIMEOUT_SECS")
        .ok()
        .and_then(|secs| secs.trim().parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(15 * 60))
}

/// [`run_named`] bounded in time: a check that has not ended after `bound` fails with a report
/// naming it (its thread is left behind, blocked in the store). A panic in the check is its
/// report too.
pub fn run_named_within(
    backend: &'static dyn Backend,
    name: &str,
    bound: Duration,
) -> Result<Verdict, String> {
    let (done, outcome) = std::sync::mpsc::channel();
    let check = name.to_owned();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_named(backend, &check)
            }));
            let _ = done.send(ran.unwrap_or_else(|panic| {
                Err(format!(
                    "{} panicked in {check}: {}",
                    backend.name(),
                    crate::slot::panic_message(panic.as_ref())
                ))
            }));
        })
        .map_err(|e| format!("cannot start a thread for {name}: {e}"))?;
    outcome.recv_timeout(bound).unwrap_or_else(|_| {
        Err(format!(
            "{}: {name} did not end within {bound:?}: the store never answered one of its calls \
             (a hang, or a wait without a deadline; the bound is ANYKV_CHECK_TIMEOUT_SECS)",
            backend.name()
        ))
    })
}

/// Runs every check against `backend`; `Err` lists each failed check with its report. Skipped
/// checks are printed with their reason.
pub fn run_all(backend: &dyn Backend) -> CheckResult {
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|check| check.run_on(backend).err())
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} checks failed on {}:\n{}",
            failures.len(),
            CHECKS.len(),
            backend.name(),
            failures.join("\n")
        ))
    }
}

/// What a report says when signatures did not bind a namespace: where the namespace comes from.
pub(crate) const NAMESPACE_HINT: &str =
    "signatures bind the namespace a store names in Store::info: add StoreInfo::namespace";

/// What a report says when `purge_expired` removed nothing of what expired.
pub(crate) const PURGE_HINT: &str = "a store that says ExpiryRemoval::Purge must implement \
     KvStorage::purge_expired (its default removes nothing); a store whose server drops expired \
     entries itself says ExpiryRemoval::Server";

/// Opens a store in a fresh namespace for one check.
pub(crate) fn fresh(
    backend: &dyn Backend,
    label: &str,
) -> Result<std::sync::Arc<dyn anykv_core::KvStorage>, String> {
    backend
        .open(&crate::unique_namespace(label))
        .map_err(|e| format!("cannot open a store: {e}"))
}

/// Collects an iterator of results, naming the operation on error.
pub(crate) fn collect<T>(
    what: &str,
    iter: anykv_core::Result<anykv_core::BoxIter<'_, T>>,
) -> Result<Vec<T>, String> {
    use crate::Context;
    iter.ctx(what)?
        .collect::<anykv_core::Result<Vec<T>>>()
        .ctx(what)
}
