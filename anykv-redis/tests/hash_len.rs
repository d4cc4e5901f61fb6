//! `RedisHashStorage::len`, `keys` and `purge_expired` from the expiry index: exact with expired
//! fields still held, on both paths (a server without hash-field expiry, such as Debian's 7.0,
//! keeps them until a purge; Redis 8 and Valkey 9 expire them themselves, but hide them from
//! reads while `HLEN` still counts them until their expiry cycle runs, which a test here
//! pauses), with stale index members (deleted fields, fields rewritten without a TTL), on hashes
//! written before the index existed, past the number of due members one script checks, and
//! (`keys`) past the fields one reply lists. `STORAGE_TEST_REDIS_SERVER` picks the server build.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;

use anykv_core::{AsyncKvStorage, KvStorage, KvStorageExt, Store};
use anykv_redis::RedisHashStorage;

fn store(url: &str, label: &str) -> RedisHashStorage {
    RedisHashStorage::from_url(url, &anykv_test_support::unique_name(label))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Waits until every key of `keys` reads as missing.
fn wait_expired(store: &RedisHashStorage, keys: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while keys
        .iter()
        .any(|key| !matches!(KvStorage::get(store, key), Ok(None)))
    {
        assert!(Instant::now() < deadline, "entries never expired");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `len` on both faces (the async one on the runtime its connection lives on), after checking
/// that `keys` on both faces lists as many keys, each once (first, so `keys` meets a hash
/// without an index before `len` builds it).
fn both_lens(store: &RedisHashStorage) -> (usize, usize) {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(anykv_test_support::runtime);
    let sync_listed: Vec<String> = KvStorage::keys(store)
        .and_then(|keys| keys.collect())
        .unwrap_or_else(|e| panic!("{e}"));
    let async_listed: Vec<String> = runtime
        .block_on(async { AsyncKvStorage::keys(store).await?.try_collect().await })
        .unwrap_or_else(|e| panic!("{e}"));
    let (sync_count, async_count) = (sync_listed.len(), async_listed.len());
    let sync_keys: BTreeSet<String> = sync_listed.into_iter().collect();
    let async_keys: BTreeSet<String> = async_listed.into_iter().collect();
    assert_eq!(
        (sync_keys.len(), async_keys.len()),
        (sync_count, async_count),
        "a key listed twice (distinct keys, keys listed; blocking, async)"
    );
    assert!(
        sync_keys == async_keys,
        "the faces list different keys: {} blocking, {} async, {} in one only",
        sync_keys.len(),
        async_keys.len(),
        sync_keys.symmetric_difference(&async_keys).count()
    );
    let sync = KvStorage::len(store).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sync_keys.len(), sync, "keys lists the entries len counts");
    let async_len = runtime
        .block_on(AsyncKvStorage::len(store))
        .unwrap_or_else(|e| panic!("{e}"));
    (sync, async_len)
}

fn set(store: &RedisHashStorage, key: &str, ttl: Option<Duration>) {
    KvStorage::set(store, key, b"value", ttl).unwrap_or_else(|e| panic!("{e}"));
}

/// Whether the server expires hash fields itself (`HPEXPIRE`): the store's native path.
fn expires_hash_fields(raw: &mut redis::Connection) -> bool {
    let info: redis::Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("HPEXPIRE")
        .query(raw)
        .unwrap_or_else(|e| panic!("{e}"));
    matches!(info, redis::Value::Array(infos) if matches!(infos.first(), Some(redis::Value::Array(_))))
}

/// `HLEN`: the fields the server holds, expired ones included.
fn held(raw: &mut redis::Connection, store: &RedisHashStorage) -> usize {
    redis::cmd("HLEN")
        .arg(format!(
            "kvh:{}",
            Store::namespace_name(store).unwrap_or_default()
        ))
        .query(raw)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Pauses (or resumes) the server's active expiry: `DEBUG SET-ACTIVE-EXPIRE`, which the test
/// servers allow over loopback.
fn set_active_expiry(raw: &mut redis::Connection, on: bool) {
    redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(u8::from(on))
        .query::<()>(raw)
        .unwrap_or_else(|e| {
            panic!(
                "this test pauses the server's active expiry and needs DEBUG \
                 (enable-debug-command local or yes): {e}"
            )
        });
}

/// Writes 5 permanent, 5 hour-long and 7 short-lived entries, and waits (by the clock alone:
/// a read may delete an expired field on Redis 8) until the short ones are past their TTL on
/// the client's clock and on the server's.
fn write_and_expire(raw: &mut redis::Connection, store: &RedisHashStorage) -> Vec<String> {
    let short = Duration::from_millis(300);
    for i in 0..5 {
        set(store, &format!("plain {i}"), None);
        set(store, &format!("hour {i}"), Some(Duration::from_secs(3600)));
    }
    let expiring: Vec<String> = (0..7).map(|i| format!("short {i}")).collect();
    for key in &expiring {
        set(store, key, Some(short));
    }
    let written = Instant::now();
    let server_ms = |raw: &mut redis::Connection| -> u128 {
        let (secs, micros): (u64, u64) = redis::cmd("TIME")
            .query(raw)
            .unwrap_or_else(|e| panic!("{e}"));
        u128::from(secs) * 1000 + u128::from(micros) / 1000
    };
    let server_written = server_ms(raw);
    std::thread::sleep(short + Duration::from_millis(50));
    let deadline = written + Duration::from_secs(60);
    while server_ms(raw) <= server_written + short.as_millis() + 50 {
        assert!(Instant::now() < deadline, "the server's clock stands still");
        std::thread::sleep(Duration::from_millis(20));
    }
    expiring
}

#[test]
fn len_leaves_out_expired_fields_the_hash_still_holds() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let store = store(server.url(), "hash_len");
    // The index of an empty hash is complete from here on: every count below comes from it.
    assert_eq!(both_lens(&store), (0, 0));
    let short = Duration::from_millis(300);
    for i in 0..10 {
        set(&store, &format!("plain {i}"), None);
        set(
            &store,
            &format!("hour {i}"),
            Some(Duration::from_secs(3600)),
        );
    }
    let expiring: Vec<String> = (0..6).map(|i| format!("short {i}")).collect();
    for key in &expiring {
        set(&store, key, Some(short));
    }
    // Stale members: a short-lived field deleted, one rewritten without TTL, one touched to
    // last an hour, one set through compare_and_set with a short TTL.
    set(&store, "deleted", Some(short));
    assert!(KvStorage::delete(&store, "deleted").unwrap_or(false));
    set(&store, "made permanent", Some(short));
    set(&store, "made permanent", None);
    set(&store, "touched", Some(short));
    assert!(KvStorage::touch(&store, "touched", Some(Duration::from_secs(3600))).unwrap_or(false));
    assert!(KvStorage::set_if_absent(&store, "absent", b"v", Some(short)).unwrap_or(false));
    assert_eq!(both_lens(&store), (29, 29), "everything live");

    let mut gone = expiring.clone();
    gone.push("absent".into());
    wait_expired(&store, &gone);
    assert_eq!(
        both_lens(&store),
        (22, 22),
        "7 expired fields are held by the hash and not counted"
    );
    let purged = KvStorage::purge_expired(&store).unwrap_or_else(|e| panic!("{e}"));
    if expires_hash_fields(&mut raw(server.url())) {
        // The server may have deleted them itself, and `len` above removes those it hid.
        assert!(purged <= 7, "purge_expired removed {purged}; 7 had expired");
    } else {
        assert_eq!(purged, 7, "purge_expired removes every expired field held");
    }
    assert_eq!(both_lens(&store), (22, 22), "the same after the purge");
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(both_lens(&store), (0, 0));
}

#[test]
fn a_hash_written_without_the_index_is_indexed_by_its_first_len() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("legacy");
    let mut raw = raw(server.url());
    let hash = format!("kvh:{namespace}");
    // What an earlier version wrote: a permanent field, a live one, two expired ones.
    let future = format!("E{:016x}", 4_000_000_000_000_i64);
    let past = format!("E{:016x}", 1_000_i64);
    let _: () = redis::cmd("HSET")
        .arg(&hash)
        .arg("permanent")
        .arg("Nvalue")
        .arg("live")
        .arg(format!("{future}value"))
        .arg("expired 1")
        .arg(format!("{past}value"))
        .arg("expired 2")
        .arg(format!("{past}value"))
        .query(&mut raw)
        .unwrap_or_else(|e| panic!("{e}"));
    let store =
        RedisHashStorage::from_url(server.url(), &namespace).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(both_lens(&store), (2, 2));
    let members: usize = redis::cmd("ZCARD")
        .arg(format!("{{{hash}}}:exp"))
        .query(&mut raw)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        members, 4,
        "three fields with an expiry and the completeness mark"
    );
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn len_past_the_due_members_one_script_checks_counts_by_a_scan() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let store = store(server.url(), "many_due");
    assert_eq!(both_lens(&store), (0, 0));
    let short = Duration::from_millis(300);
    let expiring: Vec<String> = (0..1500).map(|i| format!("short {i}")).collect();
    let values: Vec<(&str, &[u8])> = expiring
        .iter()
        .map(|key| (key.as_str(), &b"v"[..]))
        .collect();
    KvStorageExt::set_many(&store, &values, Some(short)).unwrap_or_else(|e| panic!("{e}"));
    set(&store, "plain", None);
    assert_eq!(both_lens(&store), (1501, 1501));
    wait_expired(&store, &expiring);
    assert_eq!(both_lens(&store), (1, 1));
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn keys_of_a_hash_past_the_fields_one_reply_lists_come_by_pages() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let store = store(server.url(), "many_fields");
    // One more than `keys` lists in one reply (16 384), a few of them expired.
    let keys: Vec<String> = (0..16 * 1024 + 1).map(|i| format!("key {i:05}")).collect();
    for chunk in keys.chunks(4096) {
        let values: Vec<(&str, &[u8])> =
            chunk.iter().map(|key| (key.as_str(), &b"v"[..])).collect();
        KvStorageExt::set_many(&store, &values, None).unwrap_or_else(|e| panic!("{e}"));
    }
    let expiring: Vec<String> = (0..3).map(|i| format!("short {i}")).collect();
    for key in &expiring {
        set(&store, key, Some(Duration::from_millis(300)));
    }
    wait_expired(&store, &expiring);
    assert_eq!(both_lens(&store), (keys.len(), keys.len()));
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
}

/// With the server's active expiry paused, expired fields stay held on every path (the server
/// hides them on Redis 8 and Valkey 9, keeps them visible on 7.0): `purge_expired` removes and
/// counts exactly them, and `len` counts exactly the live entries, before and after a purge.
#[test]
fn len_and_purge_are_exact_while_active_expiry_lags() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let mut raw = raw(server.url());
    let native = expires_hash_fields(&mut raw);
    set_active_expiry(&mut raw, false);

    // Purge first: it finds every expired field still held.
    let purged_first = store(server.url(), "purge_first");
    write_and_expire(&mut raw, &purged_first);
    assert_eq!(
        held(&mut raw, &purged_first),
        17,
        "the server held 17 fields"
    );
    let purged = KvStorage::purge_expired(&purged_first).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        purged, 7,
        "purge_expired removed {purged} of the 7 expired fields held"
    );
    assert_eq!(
        held(&mut raw, &purged_first),
        10,
        "purge_expired left expired fields"
    );
    assert_eq!(both_lens(&purged_first), (10, 10));
    assert_eq!(KvStorage::purge_expired(&purged_first).ok(), Some(0));

    // Counted first: `len` leaves the 7 out whether the server hides them or not.
    let counted_first = store(server.url(), "counted_first");
    write_and_expire(&mut raw, &counted_first);
    assert_eq!(
        held(&mut raw, &counted_first),
        17,
        "the server held 17 fields"
    );
    assert_eq!(both_lens(&counted_first), (10, 10));
    let purged = KvStorage::purge_expired(&counted_first).unwrap_or_else(|e| panic!("{e}"));
    if native {
        // `len` and `keys` removed the fields the server hid; the purge removes the rest.
        assert!(purged <= 7, "purge_expired removed {purged}; 7 had expired");
    } else {
        assert_eq!(
            purged, 7,
            "purge_expired removed {purged} of the 7 expired fields"
        );
    }
    assert_eq!(
        held(&mut raw, &counted_first),
        10,
        "expired fields are still held"
    );
    assert_eq!(both_lens(&counted_first), (10, 10));

    set_active_expiry(&mut raw, true);
    for store in [purged_first, counted_first] {
        KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
    }
}
