//! Functions defined by `memoize!` on both faces, on SQLite: cached calls, the bypass (runs the
//! body, leaves the cache alone) and the invalidation of one argument set.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anykv_core::{AsyncAdapter, AsyncKvStorage, KvStorage};
use anykv_memo::{memoize, AsyncMemo, Memo, MemoOptions};
use anykv_sqlite::{SqliteOptions, SqliteStorage};

static BLOCKING_CALLS: AtomicU64 = AtomicU64::new(0);
static KEYED_CALLS: AtomicU64 = AtomicU64::new(0);
static ASYNC_CALLS: AtomicU64 = AtomicU64::new(0);

fn sqlite(label: &str) -> Arc<dyn KvStorage> {
    let options = SqliteOptions::temp_dir().namespace(anykv_test_support::unique_name(label));
    Arc::new(SqliteStorage::open(options).unwrap_or_else(|e| panic!("{e}")))
}

fn options(name: &str) -> MemoOptions {
    MemoOptions::new(name, Duration::from_secs(600), Duration::from_secs(3600))
}

static BLOCKING: LazyLock<Memo<String>> =
    LazyLock::new(|| Memo::new(sqlite("macro_sync"), options("greet")));

static ASYNC: LazyLock<AsyncMemo<String>> = LazyLock::new(|| {
    let store: Arc<dyn AsyncKvStorage> = Arc::new(AsyncAdapter::from_arc(sqlite("macro_async")));
    AsyncMemo::new(store, options("greet_async"))
});

memoize! {
    /// A greeting and the number of the call that made it.
    fn greet(name: String, excited: bool) -> Result<String, std::io::Error>
        using BLOCKING, bypass greet_uncached, invalidate forget_greeting => {
        let call = BLOCKING_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(format!("hello {name}{} #{call}", if excited { "!" } else { "" }))
    }
}

static KEYED: LazyLock<AsyncMemo<String>> = LazyLock::new(|| {
    let store: Arc<dyn AsyncKvStorage> = Arc::new(AsyncAdapter::from_arc(sqlite("macro_keyed")));
    AsyncMemo::new(store, options("keyed"))
});

/// Not `Serialize`: an argument the key leaves out.
struct Client {
    label: &'static str,
}

memoize! {
    /// A value keyed on `id` and `lang` only: the client and the trace flag do not select it.
    async fn describe(client: Arc<Client>, id: u32, trace: bool, lang: String) -> Result<String, std::io::Error>
        using KEYED, key (id, lang), invalidate forget_description => {
        let call = KEYED_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(format!("{} {id} {lang} trace={trace} #{call}", client.label))
    }
}

memoize! {
    /// The async twin of `greet`.
    async fn greet_async(name: String) -> Result<String, std::io::Error>
        using ASYNC, bypass greet_async_uncached, invalidate forget_async_greeting => {
        tokio::task::yield_now().await;
        let call = ASYNC_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(format!("hello {name} #{call}"))
    }
}

#[test]
fn blocking_functions_cache_bypass_and_forget_per_argument_set(
) -> Result<(), Box<dyn std::error::Error>> {
    assert_eq!(greet("ada".into(), false)?, "hello ada #1");
    assert_eq!(greet("ada".into(), false)?, "hello ada #1", "cached");
    assert_eq!(
        greet("ada".into(), true)?,
        "hello ada! #2",
        "other arguments, other entry"
    );
    assert_eq!(
        greet_uncached("ada".into(), false)?,
        "hello ada #3",
        "the bypass runs the body"
    );
    assert_eq!(
        greet("ada".into(), false)?,
        "hello ada #1",
        "and leaves the cache alone"
    );
    assert!(forget_greeting("ada".into(), false)?);
    assert!(
        !forget_greeting("ada".into(), false)?,
        "nothing left to forget"
    );
    assert_eq!(
        greet("ada".into(), true)?,
        "hello ada! #2",
        "the other entry stays"
    );
    assert_eq!(
        greet("ada".into(), false)?,
        "hello ada #4",
        "computed again"
    );
    Ok(())
}

#[test]
fn async_functions_cache_bypass_and_forget_per_argument_set(
) -> Result<(), Box<dyn std::error::Error>> {
    anykv_test_support::runtime().block_on(async {
        assert_eq!(greet_async("bo".into()).await?, "hello bo #1");
        assert_eq!(greet_async("bo".into()).await?, "hello bo #1", "cached");
        assert_eq!(greet_async_uncached("bo".into()).await?, "hello bo #2");
        assert_eq!(greet_async("bo".into()).await?, "hello bo #1");
        assert!(forget_async_greeting("bo".into()).await?);
        assert_eq!(
            greet_async("bo".into()).await?,
            "hello bo #3",
            "computed again"
        );
        assert_eq!(ASYNC.stats().refresh, 2);
        Ok(())
    })
}

#[test]
fn a_key_clause_keys_on_the_arguments_it_names() -> Result<(), Box<dyn std::error::Error>> {
    anykv_test_support::runtime().block_on(async {
        let (first, second) = (
            Arc::new(Client { label: "a" }),
            Arc::new(Client { label: "b" }),
        );
        let value = describe(first.clone(), 1, false, "en".into()).await?;
        assert_eq!(value, "a 1 en trace=false #1");
        let same = describe(second.clone(), 1, true, "en".into()).await?;
        assert_eq!(same, value, "another client and trace flag, the same entry");
        let other = describe(first.clone(), 1, false, "fr".into()).await?;
        assert_eq!(
            other, "a 1 fr trace=false #2",
            "a key argument selects another entry"
        );
        assert!(forget_description(second, 1, true, "en".into()).await?);
        let again = describe(first, 1, false, "en".into()).await?;
        assert_eq!(
            again, "a 1 en trace=false #3",
            "forgotten by its key arguments"
        );
        Ok(())
    })
}
