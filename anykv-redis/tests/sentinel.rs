//! Redis Sentinel: stores find the master through a real sentinel, and after a failover
//! (`SENTINEL FAILOVER`, the replica promoted, the old master demoted) their writes resume on
//! the new master, on both faces.

use std::time::{Duration, Instant};

use anykv_core::{AsyncKvStorage, KvStorage};
use anykv_redis::{RedisOptions, RedisStorage, Sentinel};
use anykv_test_support::{redis_sentinel, resp_command, SENTINEL_MASTER};

/// How long a failover may take to be seen and written through: generous, a busy machine is slow.
const FAILOVER_WITHIN: Duration = Duration::from_secs(120);

/// `EXISTS <server key>` on the server at `port`: whether it holds the key.
fn holds(port: u16, server_key: &str) -> bool {
    resp_command(port, &format!("EXISTS {server_key}")).starts_with(":1")
}

/// The port the sentinel names as the master's.
fn master_port(sentinel: u16) -> Option<u16> {
    let reply = resp_command(
        sentinel,
        &format!("SENTINEL GET-MASTER-ADDR-BY-NAME {SENTINEL_MASTER}"),
    );
    reply
        .lines()
        .nth(4)
        .and_then(|port| port.trim().parse().ok())
}

#[test]
fn writes_resume_on_the_new_master_after_a_failover() -> anykv_core::Result<()> {
    let server = redis_sentinel().unwrap_or_else(|e| panic!("{e}"));
    let [old_master, replica, sentinel] = server.ports()[..] else {
        panic!("a sentinel setup has three servers: {:?}", server.ports());
    };
    let namespace = anykv_test_support::unique_name("sentinel");
    let url = format!("{}?namespace={namespace}", server.url());
    let store = RedisStorage::new(RedisOptions::from_url(&url)?)?;
    let async_store = RedisStorage::new(
        RedisOptions::from_lookup(|_| None)
            .sentinel(
                &[&format!("127.0.0.1:{sentinel}")],
                Sentinel::new(SENTINEL_MASTER),
            )
            .namespace(&namespace),
    )?;
    let runtime = anykv_test_support::runtime();
    KvStorage::set(&store, "before", b"1", None)?;
    runtime.block_on(AsyncKvStorage::set(
        &async_store,
        "before async",
        b"1",
        None,
    ))?;
    let key = |k: &str| format!("kv:{namespace}:{k}");
    assert!(
        holds(old_master, &key("before")),
        "the write went elsewhere than the master"
    );
    assert!(holds(old_master, &key("before async")));

    let deadline = Instant::now() + FAILOVER_WITHIN;
    // The sentinel refuses until it has seen the replica's own INFO: ask until it agrees.
    loop {
        let reply = resp_command(sentinel, &format!("SENTINEL FAILOVER {SENTINEL_MASTER}"));
        if reply.starts_with("+OK") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sentinel never started a failover: {reply}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    while master_port(sentinel) != Some(replica) {
        assert!(
            Instant::now() < deadline,
            "the sentinel never named the replica master"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Writes resume, on the new master: failures in between are retryable, never lost data.
    let mut failures = 0;
    loop {
        let written = KvStorage::set(&store, "after", b"2", None)
            .and_then(|()| KvStorage::get(&store, "after"));
        match written {
            Ok(Some(value)) if value == b"2" && holds(replica, &key("after")) => break,
            Ok(_) => {}
            Err(error) => {
                assert!(
                    error.is_retryable(),
                    "a failover error that is not retryable: {error}"
                );
                failures += 1;
            }
        }
        assert!(
            Instant::now() < deadline,
            "blocking writes never resumed on the new master"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    runtime.block_on(async {
        loop {
            let written = async {
                AsyncKvStorage::set(&async_store, "after async", b"2", None).await?;
                AsyncKvStorage::get(&async_store, "after async").await
            }
            .await;
            match written {
                Ok(Some(value)) if value == b"2" && holds(replica, &key("after async")) => break,
                Ok(_) => {}
                Err(error) => {
                    assert!(
                        error.is_retryable(),
                        "a failover error that is not retryable: {error}"
                    );
                    failures += 1;
                }
            }
            assert!(
                Instant::now() < deadline,
                "async writes never resumed on the new master"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    // The data written before the failover is on the new master too (it was replicated).
    assert_eq!(KvStorage::get(&store, "before")?, Some(b"1".to_vec()));
    println!("writes resumed after {failures} retryable failures");
    Ok(())
}

#[test]
fn sentinel_urls_name_the_master_and_a_database() -> anykv_core::Result<()> {
    let options = RedisOptions::from_url(
        "redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster/2?sentinel_password=s",
    )?;
    let sentinel = options.sentinel.clone();
    assert_eq!(
        sentinel.as_ref().map(|s| s.master.as_str()),
        Some("mymaster")
    );
    assert_eq!(sentinel.and_then(|s| s.password), Some("s".to_owned()));
    assert_eq!(options.nodes.len(), 2);
    assert_eq!(options.db, 2);
    assert!(!format!("{options:?}").contains("pw"));
    assert!(RedisOptions::from_url("redis+sentinel://127.0.0.1:26379").is_err());
    // No sentinel answers: an error naming the master and what each sentinel said.
    let port = anykv_test_support::free_port().unwrap_or_else(|e| panic!("{e}"));
    let store = RedisStorage::new(RedisOptions::from_url(&format!(
        "redis+sentinel://127.0.0.1:{port}/nothing?connect_timeout=1s"
    ))?)?;
    let error = KvStorage::get(&store, "k").err();
    assert!(
        error
            .as_ref()
            .is_some_and(|e| e.is_retryable() && e.to_string().contains("nothing")),
        "{error:?}"
    );
    Ok(())
}
