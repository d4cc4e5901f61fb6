//! Scripts travel by their SHA1 (`EVALSHA`), not in full, and a server that lost them (`SCRIPT
//! FLUSH`, a restart) gets them in full once (`EVAL`) and the call succeeds. Seen from the
//! server's side through `MONITOR`, filtered by the store's own namespace, so other clients of
//! a shared server do not count.

use std::time::Duration;

use anykv_core::{AsyncKvStorage, KvStorage};
use anykv_redis::{RedisHashStorage, RedisStorage};

fn connection(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The commands the server ran that name `tag`, up to the `ECHO` of `sentinel`.
fn monitored(monitor: &mut redis::Connection, url: &str, tag: &str, sentinel: &str) -> Vec<String> {
    let _: String = redis::cmd("ECHO")
        .arg(sentinel)
        .query(&mut connection(url))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    loop {
        let line = match monitor.recv_response() {
            Ok(redis::Value::SimpleString(line)) => line,
            Ok(other) => format!("{other:?}"),
            Err(e) => panic!("MONITOR stopped before the sentinel: {e}"),
        };
        if line.contains(sentinel) {
            return seen;
        }
        if line.contains(tag) {
            seen.push(line);
        }
    }
}

fn count(lines: &[String], command: &str) -> usize {
    let quoted = format!("] \"{command}\" ");
    lines.iter().filter(|line| line.contains(&quoted)).count()
}

#[test]
fn scripts_go_by_sha_and_come_back_in_full_once_after_a_flush() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let url = server.url();
    let namespace = anykv_test_support::unique_name("scripts");
    let store = RedisStorage::from_url(url, &namespace).unwrap_or_else(|e| panic!("{e}"));
    let hash = RedisHashStorage::from_url(url, &namespace).unwrap_or_else(|e| panic!("{e}"));
    let runtime = anykv_test_support::runtime();
    let mut monitor = connection(url);
    redis::cmd("MONITOR")
        .exec(&mut monitor)
        .unwrap_or_else(|e| panic!("{e}"));
    monitor
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap_or_else(|e| panic!("{e}"));

    let write_all = |round: usize| -> anykv_core::Result<()> {
        for step in 0..5 {
            let (old, new) = (format!("{round}.{step}"), format!("{round}.{}", step + 1));
            for face in ["sync", "async"] {
                let key = format!("{face}-key");
                if step == 0 {
                    KvStorage::set(&store, &key, old.as_bytes(), None)?;
                    KvStorage::set(&hash, &key, old.as_bytes(), None)?;
                }
                let won = match face {
                    "sync" => {
                        KvStorage::compare_and_set(
                            &store,
                            &key,
                            Some(old.as_bytes()),
                            new.as_bytes(),
                            None,
                        )? && KvStorage::compare_and_set(
                            &hash,
                            &key,
                            Some(old.as_bytes()),
                            new.as_bytes(),
                            None,
                        )?
                    }
                    _ => runtime.block_on(async {
                        Ok::<_, anykv_core::Error>(
                            AsyncKvStorage::compare_and_set(
                                &store,
                                &key,
                                Some(old.as_bytes()),
                                new.as_bytes(),
                                None,
                            )
                            .await?
                                && AsyncKvStorage::compare_and_set(
                                    &hash,
                                    &key,
                                    Some(old.as_bytes()),
                                    new.as_bytes(),
                                    None,
                                )
                                .await?,
                        )
                    })?,
                };
                assert!(won, "{face} compare_and_set from {old} lost");
            }
        }
        Ok(())
    };

    write_all(1).unwrap_or_else(|e| panic!("{e}"));
    let first = monitored(&mut monitor, url, &namespace, "sentinel-1");
    assert_eq!(count(&first, "EVALSHA"), 20, "{first:#?}");
    assert!(
        count(&first, "EVAL") <= 2,
        "a script went in full more than once per store: {first:#?}"
    );

    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut connection(url))
        .unwrap_or_else(|e| panic!("{e}"));
    write_all(2).unwrap_or_else(|e| panic!("after SCRIPT FLUSH: {e}"));
    let second = monitored(&mut monitor, url, &namespace, "sentinel-2");
    assert_eq!(
        count(&second, "EVAL"),
        2,
        "after a flush, each store's script goes in full exactly once: {second:#?}"
    );
    assert_eq!(count(&second, "EVALSHA"), 20, "{second:#?}");
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
    KvStorage::clear(&hash).unwrap_or_else(|e| panic!("{e}"));
}
