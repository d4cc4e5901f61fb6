//! Every wrapper anykv-core ships passes each operation to the store underneath as that same
//! operation, on both faces: smart pointers, `Layered`, both adapters, `Signed` (except the
//! operations it reroutes on purpose, listed below), the facade's composition (a boxed store,
//! behind an `AsyncAdapter` on the async face, under a `ContextLayer`), and `Typed`. The layers
//! of anykv-layers are checked in that crate's tests.

use std::sync::Arc;

use anykv_conformance::forwarding::{check_forwarding, check_forwarding_async, Rerouted, SpyStore};
use anykv_core::layer::{ContextLayer, Operation, WithLayer};
use anykv_core::{
    AsyncAdapter, AsyncKvStorage, AsyncTyped, BlockingAdapter, KvStorage, Signed, Signer,
    SigningKey, Typed,
};

/// What `Signed` does through other operations on purpose: it reads the signed expiry through
/// `get_entry`, re-signs on `touch`, verifies each value of `sorted` through its `scan`, and
/// `contains` through its `get`.
const SIGNED_REROUTES: Rerouted<'static> = &[
    (Operation::Expiry, &[Operation::GetEntry]),
    (
        Operation::Touch,
        &[Operation::GetEntry, Operation::CompareAndSet],
    ),
    (Operation::Sorted, &[Operation::Scan]),
    (Operation::Contains, &[Operation::Get]),
    // A signed counter is a signed value: the default's read and compare-and-set, signed.
    (Operation::Increment, &[Operation::GetEntry]),
];

fn signer() -> Signer {
    let key = SigningKey::new("k1", "a secret of some length").unwrap_or_else(|e| panic!("{e}"));
    Signer::new("salt", [key]).unwrap_or_else(|e| panic!("{e}"))
}

fn passes(result: Result<(), String>, wrapper: &str) {
    if let Err(report) = result {
        panic!("{wrapper}: {report}");
    }
}

#[test]
fn smart_pointers_forward_every_operation() {
    let spy = Arc::new(SpyStore::new());
    passes(check_forwarding(&spy, &spy, &[]), "Arc (blocking)");
    passes(check_forwarding(&&*spy, &spy, &[]), "& (blocking)");
    let boxed: Box<dyn KvStorage> = Box::new(spy.clone());
    passes(check_forwarding(&boxed, &spy, &[]), "Box<dyn KvStorage>");
    passes(check_forwarding_async(&spy, &spy, &[]), "Arc (async)");
    let boxed: Box<dyn AsyncKvStorage> = Box::new(spy.clone());
    passes(
        check_forwarding_async(&boxed, &spy, &[]),
        "Box<dyn AsyncKvStorage>",
    );
}

#[test]
fn layered_forwards_every_operation() {
    let spy = Arc::new(SpyStore::new());
    let layered = spy.clone().with_layer(ContextLayer);
    passes(check_forwarding(&layered, &spy, &[]), "Layered (blocking)");
    passes(
        check_forwarding_async(&layered, &spy, &[]),
        "Layered (async)",
    );
}

#[test]
fn adapters_forward_every_operation() {
    let spy = Arc::new(SpyStore::new());
    let async_face = AsyncAdapter::from_arc(spy.clone());
    passes(
        check_forwarding_async(&async_face, &spy, &[]),
        "AsyncAdapter",
    );
    let blocking = BlockingAdapter::from_arc(spy.clone()).unwrap_or_else(|e| panic!("{e}"));
    passes(check_forwarding(&blocking, &spy, &[]), "BlockingAdapter");
    let round_trip =
        BlockingAdapter::new(AsyncAdapter::from_arc(spy.clone())).unwrap_or_else(|e| panic!("{e}"));
    passes(
        check_forwarding(&round_trip, &spy, &[]),
        "BlockingAdapter over AsyncAdapter",
    );
}

#[test]
fn signed_forwards_every_operation_it_does_not_reroute() {
    let spy = Arc::new(SpyStore::new());
    let signed = Signed::new(spy.clone(), signer());
    passes(
        check_forwarding(&signed, &spy, SIGNED_REROUTES),
        "Signed (blocking)",
    );
    let signed = Signed::new_async(spy.clone(), signer());
    passes(
        check_forwarding_async(&signed, &spy, SIGNED_REROUTES),
        "Signed (async)",
    );
}

/// The facade's composition: `anykv::open` boxes the store and puts a `ContextLayer`
/// around it; `open_async` does the same over an `AsyncAdapter` for the blocking backends.
#[test]
fn the_facades_composition_forwards_every_operation() {
    let spy = Arc::new(SpyStore::new());
    let boxed: Box<dyn KvStorage> = Box::new(spy.clone());
    let opened: Box<dyn KvStorage> = Box::new(boxed.with_layer(ContextLayer));
    passes(check_forwarding(&opened, &spy, &[]), "open()");
    let boxed: Box<dyn AsyncKvStorage> = Box::new(AsyncAdapter::from_arc(spy.clone()));
    let opened: Box<dyn AsyncKvStorage> = Box::new(boxed.with_layer(ContextLayer));
    passes(check_forwarding_async(&opened, &spy, &[]), "open_async()");
}

/// `Typed` is not a store, but each of its methods must reach the store's operation of the same
/// name (`pop` decodes before it deletes, so a value it cannot decode is never lost; `is_empty`,
/// `items` and `set_many` are the conveniences of `KvStorageExt`, on `scan` and `set_entries`).
#[test]
fn typed_calls_the_operation_of_the_same_name() {
    let spy = Arc::new(SpyStore::new());
    let typed: Typed<_, String> = Typed::new(spy.clone());
    let reaches = |what: &str, wanted: &[Operation], call: &dyn Fn()| {
        typed
            .set("k", &"v".to_owned(), None)
            .unwrap_or_else(|e| panic!("{e}"));
        spy.take_log();
        call();
        let log = spy.take_log();
        assert!(
            wanted.iter().all(|op| log.contains(op)),
            "Typed::{what} reached the store as {log:?}, not {wanted:?}"
        );
    };
    let value = "v".to_owned();
    reaches("get", &[Operation::Get], &|| drop(typed.get("k")));
    reaches("get_stale", &[Operation::GetStale], &|| {
        drop(typed.get_stale("k"))
    });
    reaches("set", &[Operation::Set], &|| {
        drop(typed.set("k", &value, None))
    });
    reaches("set_if_absent", &[Operation::SetIfAbsent], &|| {
        drop(typed.set_if_absent("k", &value, None))
    });
    reaches("compare_and_set", &[Operation::CompareAndSet], &|| {
        drop(typed.compare_and_set("k", Some(&value), &value, None))
    });
    reaches(
        "compare_and_delete",
        &[Operation::CompareAndDelete],
        &|| drop(typed.compare_and_delete("k", &value)),
    );
    reaches("delete", &[Operation::Delete], &|| drop(typed.delete("k")));
    reaches(
        "pop",
        &[Operation::GetEntry, Operation::CompareAndDelete],
        &|| drop(typed.pop("k")),
    );
    reaches("contains", &[Operation::Contains], &|| {
        drop(typed.contains("k"))
    });
    reaches("expiry", &[Operation::Expiry], &|| drop(typed.expiry("k")));
    reaches("touch", &[Operation::Touch], &|| {
        drop(typed.touch("k", None))
    });
    reaches("len", &[Operation::Len], &|| drop(typed.len()));
    reaches("is_empty", &[Operation::Scan], &|| drop(typed.is_empty()));
    reaches("clear", &[Operation::Clear], &|| drop(typed.clear()));
    reaches("get_many", &[Operation::GetMany], &|| {
        drop(typed.get_many(&["k"]))
    });
    reaches("set_many", &[Operation::SetEntries], &|| {
        drop(typed.set_many(&[("k", value.clone())], None))
    });
    reaches("delete_many", &[Operation::DeleteMany], &|| {
        drop(typed.delete_many(&["k"]))
    });
    reaches("keys", &[Operation::Keys], &|| {
        drop(typed.keys().map(|keys| keys.count()))
    });
    reaches("items", &[Operation::Scan], &|| {
        drop(typed.items().map(|items| items.count()))
    });
}

/// The async `Typed` lists keys through the store's own `keys`.
#[test]
fn async_typed_lists_keys_through_the_stores_keys() {
    let spy = Arc::new(SpyStore::new());
    let typed: AsyncTyped<_, String> = AsyncTyped::new(spy.clone());
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        typed
            .set("k", &"v".to_owned(), None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        spy.take_log();
        drop(typed.keys().await);
        assert_eq!(spy.take_log(), [Operation::Keys]);
        drop(typed.items().await);
        assert_eq!(spy.take_log(), [Operation::Scan]);
        drop(typed.len().await);
        assert_eq!(spy.take_log(), [Operation::Len]);
    });
}
