//! `anykv::open` called from async code, the usual shape of a Rust service
//! (`#[tokio::main] async fn main`): it never panics, for any scheme. On a multi-thread runtime
//! the store opens and works (the blocking calls move off the worker); on a current-thread
//! runtime a store that needs a runtime of its own (MongoDB, DynamoDB) is refused with an error
//! that names the async face, and the others open and work.

#![cfg(all(
    feature = "sqlite",
    feature = "fs",
    feature = "redis",
    feature = "mongo",
    feature = "dynamo"
))]

use std::panic::AssertUnwindSafe;

use anykv::{open, Error, KvStorage, Result};
use anykv_test_support::TestServer;

/// One URL of each scheme, on the test servers and in `dir`.
/// (DynamoDB is opened by its options, with the static credentials a local endpoint takes:
/// a test cannot set the AWS environment once threads run.)
fn every_scheme(dir: &std::path::Path, servers: &Servers) -> Vec<(String, bool)> {
    // (URL, whether the store needs a runtime of its own)
    vec![
        ("memory://in_runtime".to_owned(), false),
        (format!("sqlite://{}/in_runtime.db", dir.display()), false),
        (format!("file://{}/in_runtime", dir.display()), false),
        (servers.redis.url().to_owned(), false),
        (with_param(servers.redis.url(), "hash=true"), false),
        (servers.mongo.url().to_owned(), true),
        (with_param(servers.mongo.url(), "gridfs=true"), true),
    ]
}

struct Servers {
    redis: TestServer,
    mongo: TestServer,
    dynamo: TestServer,
}

fn servers() -> Servers {
    let start =
        |server: std::result::Result<TestServer, String>| server.unwrap_or_else(|e| panic!("{e}"));
    Servers {
        redis: start(anykv_test_support::redis()),
        mongo: start(anykv_test_support::mongo()),
        dynamo: start(anykv_test_support::dynamo()),
    }
}

/// Opens `url` and writes and reads one entry through it.
fn open_and_use(url: &str) -> Result<()> {
    use_store(open(&with_namespace(url))?, url)
}

/// Opens the DynamoDB store at `endpoint` with the blocking face `open` gives, and uses it.
fn open_dynamo_and_use(endpoint: &str) -> Result<()> {
    let url = format!(
        "dynamodb://kv_open_in_runtime?endpoint={endpoint}&region=us-east-1&create_table=true"
    );
    let options =
        anykv::dynamo::DynamoOptions::from_url(&with_namespace(&url))?.credentials("test", "test");
    use_store(
        Box::new(anykv::dynamo::DynamoStorage::open_blocking(options)?),
        &url,
    )
}

fn use_store(store: Box<dyn KvStorage>, url: &str) -> Result<()> {
    store.set("k", b"v", None)?;
    assert_eq!(store.get("k")?.as_deref(), Some(&b"v"[..]), "{url}");
    store.clear()
}

fn with_namespace(url: &str) -> String {
    with_param(url, &format!("namespace=in_runtime_{}", std::process::id()))
}

/// `url` with `param` appended to its query.
fn with_param(url: &str, param: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}")
}

/// Runs `call` on `runtime`'s own thread as `#[tokio::main]` would, and fails the test with
/// the panic's message if it panics.
fn inside(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    call: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let outcome = runtime.block_on(async { std::panic::catch_unwind(AssertUnwindSafe(call)) });
    outcome.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        panic!("open({url}) panicked inside a runtime: {message}")
    })
}

#[test]
fn open_inside_a_multi_thread_runtime_works_for_every_scheme() {
    let servers = servers();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for (url, _) in every_scheme(dir.path(), &servers) {
        if let Err(error) = inside(&runtime, &url, || open_and_use(&url)) {
            panic!("open({url}) inside a multi-thread runtime: {error}");
        }
    }
    let endpoint = servers.dynamo.url();
    if let Err(error) = inside(&runtime, endpoint, || open_dynamo_and_use(endpoint)) {
        panic!("DynamoStorage::open_blocking inside a multi-thread runtime: {error}");
    }
}

#[test]
fn open_inside_a_current_thread_runtime_refuses_with_a_clear_error_or_works() {
    let servers = servers();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for (url, own_runtime) in every_scheme(dir.path(), &servers) {
        let outcome = inside(&runtime, &url, || open_and_use(&url));
        match (own_runtime, outcome) {
            (false, Ok(())) => {}
            (true, Err(Error::BlockingInAsyncContext)) => {
                let message = Error::BlockingInAsyncContext.to_string();
                assert!(message.contains("open_async"), "{message}");
            }
            (_, other) => panic!("open({url}) inside a current-thread runtime: {other:?}"),
        }
    }
    let endpoint = servers.dynamo.url();
    match inside(&runtime, endpoint, || open_dynamo_and_use(endpoint)) {
        Err(Error::BlockingInAsyncContext) => {}
        other => panic!("DynamoStorage::open_blocking inside a current-thread runtime: {other:?}"),
    }
}
