//! `get_many` on the per-key store: values in the order asked, across hash slots on a cluster,
//! and a key of another Redis type fails the call as `get` does (where `MGET` would say nil).

use anykv_core::{AsyncKvStorage, KvStorage};
use anykv_redis::RedisStorage;

fn check(url: &str) {
    let namespace = anykv_test_support::unique_name("get_many");
    let store = RedisStorage::from_url(url, &namespace).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<String> = (0..300).map(|i| format!("key {i}")).collect();
    for (i, key) in keys.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
        KvStorage::set(&store, key, format!("value {i}").as_bytes(), None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let asked: Vec<&str> = keys.iter().rev().map(String::as_str).collect();
    let expected: Vec<Option<Vec<u8>>> = (0..300)
        .rev()
        .map(|i| (i % 3 != 0).then(|| format!("value {i}").into_bytes()))
        .collect();
    let got = KvStorage::get_many(&store, &asked).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, expected, "{url}: blocking face");
    let runtime = anykv_test_support::runtime();
    let got = runtime
        .block_on(AsyncKvStorage::get_many(&store, &asked))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, expected, "{url}: async face");

    let client = if url.starts_with("redis+cluster://") {
        None
    } else {
        Some(redis::Client::open(url).unwrap_or_else(|e| panic!("{e}")))
    };
    if let Some(client) = client {
        let mut raw = client.get_connection().unwrap_or_else(|e| panic!("{e}"));
        let _: () = redis::cmd("RPUSH")
            .arg(format!("kv:{namespace}:a list"))
            .arg("x")
            .query(&mut raw)
            .unwrap_or_else(|e| panic!("{e}"));
        let mixed = KvStorage::get_many(&store, &["key 1", "a list"]);
        assert!(mixed.is_err(), "a list read as a value: {mixed:?}");
        assert!(KvStorage::get(&store, "a list").is_err());
    }
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn values_come_back_in_order_and_other_types_fail() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    check(server.url());
}

#[test]
fn a_cluster_answers_per_slot_in_order() {
    let cluster = anykv_test_support::redis_cluster().unwrap_or_else(|e| panic!("{e}"));
    check(cluster.url());
}
