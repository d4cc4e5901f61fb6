//! The explicit checks of the suite, and [`run_all`].

mod async_face;
mod bulk;
mod concurrency;
mod layers;
mod limits;
mod namespaces;
mod ttl;

pub use crate::model::{model_based, model_based_with_cases};
pub use async_face::{async_face, async_face_concurrent_tasks, stores_work_as_trait_objects};
pub use bulk::{
    bulk_operations, iteration_streams_many_entries, large_bulk_operations,
    update_copies_remaining_ttl,
};
pub use concurrency::{concurrent_writers_and_readers, set_if_absent_has_one_winner};
pub use layers::{
    corrupt_bytes_through_codec, tampered_bytes_through_signing, typed_over_signed_round_trip,
};
pub use limits::{
    every_key_up_to_the_limit_works, long_keys_are_refused, values_over_the_limit_are_refused,
};
pub use namespaces::{entries_persist_across_reopen, namespaces_are_isolated};
pub use ttl::{invalid_ttls_are_refused, ttl_hides_expired_entries_from_every_read};

use crate::{Backend, CheckResult};

/// A named check of the suite.
pub type Check = (&'static str, fn(&dyn Backend) -> CheckResult);

/// Every check of the suite, in the order [`run_all`] runs them.
pub const CHECKS: &[Check] = &[
    ("model_based", model_based),
    (
        "ttl_hides_expired_entries_from_every_read",
        ttl_hides_expired_entries_from_every_read,
    ),
    ("invalid_ttls_are_refused", invalid_ttls_are_refused),
    ("namespaces_are_isolated", namespaces_are_isolated),
    (
        "entries_persist_across_reopen",
        entries_persist_across_reopen,
    ),
    (
        "concurrent_writers_and_readers",
        concurrent_writers_and_readers,
    ),
    ("set_if_absent_has_one_winner", set_if_absent_has_one_winner),
    (
        "every_key_up_to_the_limit_works",
        every_key_up_to_the_limit_works,
    ),
    ("long_keys_are_refused", long_keys_are_refused),
    (
        "values_over_the_limit_are_refused",
        values_over_the_limit_are_refused,
    ),
    ("bulk_operations", bulk_operations),
    ("large_bulk_operations", large_bulk_operations),
    ("update_copies_remaining_ttl", update_copies_remaining_ttl),
    (
        "iteration_streams_many_entries",
        iteration_streams_many_entries,
    ),
    ("corrupt_bytes_through_codec", corrupt_bytes_through_codec),
    (
        "tampered_bytes_through_signing",
        tampered_bytes_through_signing,
    ),
    ("typed_over_signed_round_trip", typed_over_signed_round_trip),
    ("async_face", async_face),
    ("async_face_concurrent_tasks", async_face_concurrent_tasks),
    ("stores_work_as_trait_objects", stores_work_as_trait_objects),
];

/// Runs every check against `backend`; `Err` lists each failed check with its report.
pub fn run_all(backend: &dyn Backend) -> CheckResult {
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|(name, check)| {
            check(backend)
                .err()
                .map(|report| format!("{name}: {report}"))
        })
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

/// Opens a store in a fresh namespace for one check.
pub(crate) fn fresh(
    backend: &dyn Backend,
    label: &str,
) -> Result<std::sync::Arc<dyn storage_core::KvStorage>, String> {
    backend
        .open(&crate::unique_namespace(label))
        .map_err(|e| format!("cannot open a store: {e}"))
}

/// Collects an iterator of results, naming the operation on error.
pub(crate) fn collect<T>(
    what: &str,
    iter: storage_core::Result<storage_core::BoxIter<'_, T>>,
) -> Result<Vec<T>, String> {
    use crate::Context;
    iter.ctx(what)?
        .collect::<storage_core::Result<Vec<T>>>()
        .ctx(what)
}
