//! Redis-only behaviour: recovery after the server goes away, namespace prefixes that never
//! match foreign keys, cluster-wide scans, construction from an existing client.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt, Error, ErrorKind, KvStorage, KvStorageExt};
use anykv_redis::{RedisHashStorage, RedisOptions, RedisStorage};
use anykv_test_support::start_redis;

/// A store's name with its two faces.
type Faces = (String, Arc<dyn KvStorage>, Arc<dyn AsyncKvStorage>);

fn stores(port: u16) -> Vec<Faces> {
    let options = RedisOptions::from_url(&format!("redis://127.0.0.1:{port}/0"))
        .unwrap_or_else(|e| panic!("{e}"))
        .namespace("faults")
        .timeouts(Duration::from_millis(500), Duration::from_secs(1));
    let per_key = Arc::new(RedisStorage::new(options.clone()).unwrap_or_else(|e| panic!("{e}")));
    let hash = Arc::new(RedisHashStorage::new(options).unwrap_or_else(|e| panic!("{e}")));
    vec![
        (
            "per-key".into(),
            per_key.clone() as Arc<dyn KvStorage>,
            per_key as Arc<dyn AsyncKvStorage>,
        ),
        (
            "hash".into(),
            hash.clone() as Arc<dyn KvStorage>,
            hash as Arc<dyn AsyncKvStorage>,
        ),
    ]
}

/// Kills the server while a writer runs, checks every failure is a typed, retryable error that
/// came back within the timeout, restarts the server on the same port, and checks the same store
/// objects (both faces) work again.
#[test]
fn stores_fail_typed_and_recover_when_the_server_restarts() {
    let mut server = start_redis(None).unwrap_or_else(|e| panic!("{e}"));
    let port = server.port;
    let rt = anykv_test_support::runtime();
    let stores = stores(port);
    for (name, sync, asynchronous) in &stores {
        sync.set("k", b"v", None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = rt
            .block_on(asynchronous.get("k"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, Some(b"v".to_vec()), "{name}");
    }

    // A writer keeps going while the server dies under it.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (store, stop, failures) = (stores[0].1.clone(), stop.clone(), failures.clone());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match KvStorage::set(&store, &format!("w{i}"), b"x", None) {
                    Ok(()) => {}
                    Err(error) => {
                        assert!(
                            error.is_retryable(),
                            "a lost server must give a retryable error, got {error}"
                        );
                        assert!(
                            started.elapsed() < Duration::from_secs(5),
                            "a call hung for {:?}",
                            started.elapsed()
                        );
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    server.stop();
    for (name, sync, asynchronous) in &stores {
        let started = Instant::now();
        let error = sync.get("k").err();
        assert!(
            matches!(
                &error,
                Some(error @ Error::Backend { backend: "redis", .. })
                    if matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::TimedOut)
            ),
            "{name} sync: {error:?}"
        );
        let error = rt.block_on(asynchronous.get("k")).err();
        assert!(
            matches!(
                &error,
                Some(error @ Error::Backend { backend: "redis", .. })
                    if matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::TimedOut)
            ),
            "{name} async: {error:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{name}: failing took {:?}",
            started.elapsed()
        );
    }
    std::thread::sleep(Duration::from_millis(200));

    let _server = start_redis(Some(port)).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(15);
    for (name, sync, asynchronous) in &stores {
        loop {
            let sync_ok = sync.set("back", b"1", None).and_then(|()| sync.get("back"));
            let async_ok = rt.block_on(async {
                asynchronous.set("back", b"2", None).await?;
                asynchronous.get("back").await
            });
            if matches!(sync_ok, Ok(Some(_))) && matches!(async_ok, Ok(Some(_))) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not recover: sync {sync_ok:?}, async {async_ok:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer
        .join()
        .unwrap_or_else(|_| panic!("the writer thread failed"));
    assert!(
        failures.load(Ordering::Relaxed) > 0,
        "the writer never saw the server go away"
    );
}

/// Entries and clear() never touch keys outside the namespace, even ones that share its prefix
/// characters or glob metacharacters.
#[test]
fn namespace_prefix_is_exact() {
    let redis = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let client = redis::Client::open(redis.url()).unwrap_or_else(|e| panic!("{e}"));
    let mut raw = client.get_connection().unwrap_or_else(|e| panic!("{e}"));
    let foreign = ["kv:ns_exact2:a", "kv:ns_exactX", "kv:ns_exac:t", "other"];
    for key in foreign {
        redis::cmd("SET")
            .arg(key)
            .arg("foreign")
            .query::<()>(&mut raw)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let store = RedisStorage::from_client(&client, "ns_exact").unwrap_or_else(|e| panic!("{e}"));
    KvStorage::set(&store, "*", b"1", None).unwrap_or_else(|e| panic!("{e}"));
    KvStorage::set(&store, "[a]?", b"2", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(KvStorage::len(&store).unwrap_or_default(), 2);
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
    for key in foreign {
        let exists: bool = redis::cmd("EXISTS")
            .arg(key)
            .query(&mut raw)
            .unwrap_or_default();
        assert!(exists, "clear() removed the foreign key {key}");
        redis::cmd("DEL")
            .arg(key)
            .query::<()>(&mut raw)
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// On a cluster, entries spread over every master, and len / keys / clear see all of them. Only
/// this test's namespace is looked at: the servers may hold other keys.
#[test]
fn cluster_scans_cover_every_master() {
    let redis = anykv_test_support::redis_cluster().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("spread");
    let store = RedisStorage::new(
        RedisOptions::from_url(redis.url())
            .unwrap_or_else(|e| panic!("{e}"))
            .namespace(&namespace),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<String> = (0..300).map(|i| format!("key-{i}")).collect();
    let entries: Vec<(&str, &[u8])> = keys.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
    KvStorageExt::set_many(&store, &entries, None).unwrap_or_else(|e| panic!("{e}"));
    let pattern = format!("kv:{namespace}:*");
    let nodes: Vec<String> = redis
        .url()
        .trim_start_matches("redis+cluster://")
        .split(',')
        .map(str::to_owned)
        .collect();
    let ours_on = |node: &str| -> usize {
        let client =
            redis::Client::open(format!("redis://{node}")).unwrap_or_else(|e| panic!("{e}"));
        let mut connection = client
            .get_connection()
            .unwrap_or_else(|e| panic!("{node}: {e}"));
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(&pattern)
            .query(&mut connection)
            .unwrap_or_else(|e| panic!("{node}: {e}"));
        keys.len()
    };
    let masters: Vec<&String> = nodes
        .iter()
        .filter(|node| {
            let client =
                redis::Client::open(format!("redis://{node}")).unwrap_or_else(|e| panic!("{e}"));
            let mut connection = client
                .get_connection()
                .unwrap_or_else(|e| panic!("{node}: {e}"));
            let role: Vec<redis::Value> = redis::cmd("ROLE")
                .query(&mut connection)
                .unwrap_or_default();
            matches!(role.first(), Some(redis::Value::BulkString(r)) if r == b"master")
        })
        .collect();
    assert!(
        masters.len() >= 2,
        "the cluster has fewer than 2 masters: {nodes:?}"
    );
    let mut total = 0;
    for node in &masters {
        let held = ours_on(node);
        assert!(held > 0, "master {node} holds none of the 300 entries");
        total += held;
    }
    assert_eq!(total, 300, "the masters hold {total} of the 300 entries");
    assert_eq!(KvStorage::len(&store).unwrap_or_default(), 300);
    assert_eq!(
        KvStorage::keys(&store)
            .map(|k| k.count())
            .unwrap_or_default(),
        300
    );
    KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
    for node in &masters {
        assert_eq!(ours_on(node), 0, "clear() left entries on {node}");
    }
}

/// The server's count of connected clients.
fn connected_clients(port: u16) -> usize {
    anykv_test_support::resp_command(port, "INFO clients")
        .lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// 64 threads on one store with a bound of 8 never make the sync face open more than 8
/// connections (the server's count, less the probe's own), and every write lands.
#[test]
fn the_sync_pool_never_opens_more_than_its_bound() {
    let server = start_redis(None).unwrap_or_else(|e| panic!("{e}"));
    let options = RedisOptions::from_url(&format!("redis://127.0.0.1:{}/0", server.port))
        .unwrap_or_else(|e| panic!("{e}"))
        .namespace("bounded")
        .max_sync_connections(8);
    let store = RedisStorage::new(options).unwrap_or_else(|e| panic!("{e}"));
    let done = AtomicBool::new(false);
    let most = std::thread::scope(|scope| {
        let probe = scope.spawn(|| {
            let mut most = 0;
            while !done.load(Ordering::Relaxed) {
                most = most.max(connected_clients(server.port).saturating_sub(1));
                std::thread::sleep(Duration::from_millis(5));
            }
            most
        });
        let writers: Vec<_> = (0..64)
            .map(|t| {
                let store = &store;
                scope.spawn(move || {
                    for i in 0..40 {
                        KvStorage::set(store, &format!("{t}/{i}"), b"v", None)
                            .unwrap_or_else(|e| panic!("write {t}/{i}: {e}"));
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap_or_else(|_| panic!("a writer failed"));
        }
        done.store(true, Ordering::Relaxed);
        probe.join().unwrap_or(usize::MAX)
    });
    assert!(
        most <= 8,
        "the sync face had {most} connections open, over its bound of 8"
    );
    assert!(most > 0, "the probe never saw the store's connections");
    assert_eq!(KvStorage::len(&store).unwrap_or_default(), 64 * 40);
}

/// Runs one raw command on the server at `url`, as another client would.
fn raw(url: &str, cmd: &redis::Cmd) -> Result<(), String> {
    let mut conn = redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .map_err(|e| e.to_string())?;
    cmd.query::<redis::Value>(&mut conn)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The number of good items and of errors the async face's `items` yields.
fn async_items(store: &dyn AsyncKvStorage) -> Result<(usize, usize), String> {
    use futures_util::StreamExt;
    let runtime = anykv_test_support::runtime();
    runtime.block_on(async {
        let items = store.items().await.map_err(|e| e.to_string())?;
        let items: Vec<_> = items.collect().await;
        let bad = items.iter().filter(|item| item.is_err()).count();
        Ok((items.len() - bad, bad))
    })
}

/// One bad entry among 600 good ones (a hash field without the storage header, one with a bad
/// expiry header, a per-key entry of another Redis type) is reported once and hides nothing,
/// on both faces.
#[test]
fn one_bad_entry_hides_no_good_one() -> Result<(), String> {
    let server = anykv_test_support::redis()?;
    let url = server.url();
    let hash_key = |ns: &str| format!("kvh:{ns}");
    type Plant = Box<dyn Fn(&str) -> redis::Cmd>;
    let cases: Vec<(&str, bool, Plant)> = vec![
        (
            "no header",
            true,
            Box::new(move |ns| {
                redis::cmd("HSET")
                    .arg(hash_key(ns))
                    .arg("no header")
                    .arg("plain bytes")
                    .to_owned()
            }),
        ),
        (
            "bad expiry",
            true,
            Box::new(move |ns| {
                redis::cmd("HSET")
                    .arg(hash_key(ns))
                    .arg("bad expiry")
                    .arg("Ezzzzzzzzzzzzzzzzvalue")
                    .to_owned()
            }),
        ),
        (
            "a list",
            false,
            Box::new(|ns| {
                redis::cmd("RPUSH")
                    .arg(format!("kv:{ns}:a list"))
                    .arg("1")
                    .to_owned()
            }),
        ),
    ];
    for (bad, hash, plant) in cases {
        let namespace = anykv_test_support::unique_name("bad_entry");
        let options = RedisOptions::from_url(url)
            .map_err(|e| e.to_string())?
            .namespace(&namespace);
        let (sync, async_face): (Arc<dyn KvStorage>, Arc<dyn AsyncKvStorage>) = if hash {
            let store = Arc::new(RedisHashStorage::new(options).map_err(|e| e.to_string())?);
            (store.clone(), store)
        } else {
            let store = Arc::new(RedisStorage::new(options).map_err(|e| e.to_string())?);
            (store.clone(), store)
        };
        let good = anykv_test_support::write_good_entries(sync.as_ref(), 600)
            .map_err(|e| e.to_string())?;
        raw(url, &plant(&namespace))?;
        anykv_test_support::assert_bad_entry_reported(sync.as_ref(), &good, bad)
            .map_err(|e| format!("{bad}: {e}"))?;
        let (items, errors) = async_items(async_face.as_ref())?;
        assert_eq!((items, errors), (600, 1), "{bad}: the async face's items");
        sync.clear().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A `redis+unix://` URL reaches the server through its socket, on both faces and both stores,
/// with the database of the `db` parameter.
#[test]
fn a_unix_socket_url_reaches_the_server() -> Result<(), Error> {
    let server = anykv_test_support::redis_unix().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("{}?db=3&namespace=unix", server.url());
    let per_key = RedisStorage::new(RedisOptions::from_url(&url)?)?;
    let hash = RedisHashStorage::new(RedisOptions::from_url(&url)?)?;
    KvStorage::set(&per_key, "k", b"by socket", None)?;
    KvStorage::set(&hash, "h", b"hash by socket", None)?;
    assert_eq!(
        KvStorage::get(&per_key, "k")?.as_deref(),
        Some(&b"by socket"[..])
    );
    let runtime = anykv_test_support::runtime();
    let read = runtime.block_on(AsyncKvStorage::get(&hash, "h"))?;
    assert_eq!(read.as_deref(), Some(&b"hash by socket"[..]));
    let keys = KvStorage::keys(&per_key)?.collect::<Result<Vec<_>, _>>()?;
    assert_eq!(keys, ["k"]);
    // db 3 holds both entries; db 0 holds none.
    let port = server.ports()[0];
    assert!(anykv_test_support::resp_command(port, "DBSIZE").starts_with(":0"));
    let dbsize_3 = {
        let client = redis::Client::open(format!("{}?db=3", server.url()))
            .map_err(|e| Error::Config(e.to_string()))?;
        let mut connection = client
            .get_connection()
            .map_err(|e| Error::Config(e.to_string()))?;
        redis::cmd("DBSIZE")
            .query::<i64>(&mut connection)
            .map_err(|e| Error::Config(e.to_string()))?
    };
    assert_eq!(dbsize_3, 2);
    Ok(())
}

/// `touch` of a hash field without the storage header is an invalid-data error naming the key
/// (as `get` is), not a quiet `false`; the field is left as it was.
#[test]
fn touch_of_an_unreadable_hash_field_is_an_error() -> Result<(), String> {
    let server = anykv_test_support::redis()?;
    let namespace = anykv_test_support::unique_name("touch_bad");
    let options = RedisOptions::from_url(server.url())
        .map_err(|e| e.to_string())?
        .namespace(&namespace);
    let store = RedisHashStorage::new(options).map_err(|e| e.to_string())?;
    raw(
        server.url(),
        redis::cmd("HSET")
            .arg(format!("kvh:{namespace}"))
            .arg("planted")
            .arg("plain bytes"),
    )?;
    for touched in [
        KvStorage::touch(&store, "planted", Some(Duration::from_secs(60))),
        KvStorage::touch(&store, "planted", None),
    ] {
        match touched {
            Err(error) => assert!(
                error.is_invalid_data() && error.to_string().contains("planted"),
                "{error}"
            ),
            Ok(answer) => return Err(format!("touch of an unreadable field said {answer}")),
        }
    }
    let error = KvStorage::get(&store, "planted").err();
    assert!(
        error.is_some_and(|e| e.is_invalid_data()),
        "the field changed"
    );
    KvStorage::clear(&store).map_err(|e| e.to_string())
}

/// A server that stops answering writes (`CLIENT PAUSE 30000 WRITE`): writes on both faces of
/// both stores fail as `TimedOut` after the response timeout instead of waiting for the
/// server, and work again once it answers (`CLIENT UNPAUSE`, which the pause lets through).
#[test]
fn calls_time_out_on_a_paused_server_and_recover() -> Result<(), String> {
    let server = anykv_test_support::redis()?;
    let url = server.url();
    let options = RedisOptions::from_url(url)
        .map_err(|e| e.to_string())?
        .namespace("paused")
        .timeouts(Duration::from_secs(5), Duration::from_millis(300));
    let per_key = Arc::new(RedisStorage::new(options.clone()).map_err(|e| e.to_string())?);
    let hash = Arc::new(RedisHashStorage::new(options).map_err(|e| e.to_string())?);
    let faces: Vec<Faces> = vec![
        ("per-key".into(), per_key.clone(), per_key),
        ("hash".into(), hash.clone(), hash),
    ];
    let runtime = anykv_test_support::runtime();
    // Connected first, so the pause meets requests, not connection set-up.
    for (name, sync, async_face) in &faces {
        sync.set("k", b"v", None)
            .map_err(|e| format!("{name}: {e}"))?;
        runtime
            .block_on(async_face.get("k"))
            .map_err(|e| format!("{name} async: {e}"))?;
    }
    raw(
        url,
        redis::cmd("CLIENT").arg("PAUSE").arg(30_000).arg("WRITE"),
    )?;
    let outcomes: Vec<(String, anykv_core::Result<()>)> = faces
        .iter()
        .flat_map(|(name, sync, async_face)| {
            [
                (format!("{name} sync"), sync.set("k", b"w", None)),
                (
                    format!("{name} async"),
                    runtime.block_on(async_face.set("k", b"w", None)),
                ),
            ]
        })
        .collect();
    raw(url, &redis::cmd("CLIENT").arg("UNPAUSE").to_owned())?;
    for (name, outcome) in outcomes {
        match outcome {
            Err(error) if error.kind() == ErrorKind::TimedOut => {}
            other => return Err(format!("{name} on a paused server: {other:?}")),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for (name, sync, async_face) in &faces {
        loop {
            let sync_write = sync.set("k", b"after", None);
            let async_write = runtime.block_on(async_face.set("k", b"after", None));
            if sync_write.is_ok() && async_write.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{name} did not recover: {sync_write:?} / {async_write:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// A configured key prefix starts every server key of both layouts; stores of one namespace
/// under different prefixes never see, count or clear each other's entries.
#[test]
fn key_prefixes_keep_stores_apart() {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("prefixed");
    let options = |prefix: Option<&str>| {
        let options = RedisOptions::from_url(server.url())
            .unwrap_or_else(|e| panic!("{e}"))
            .namespace(&namespace);
        match prefix {
            Some(prefix) => options.key_prefix(prefix),
            None => options,
        }
    };
    let mut raw = redis::Client::open(server.url())
        .and_then(|client| client.get_connection())
        .unwrap_or_else(|e| panic!("{e}"));
    let exists = |raw: &mut redis::Connection, key: &str| -> bool {
        redis::cmd("EXISTS")
            .arg(key)
            .query::<i64>(raw)
            .unwrap_or_else(|e| panic!("{e}"))
            == 1
    };
    let plain = RedisStorage::new(options(None)).unwrap_or_else(|e| panic!("{e}"));
    let app = RedisStorage::new(options(Some("app.cache"))).unwrap_or_else(|e| panic!("{e}"));
    let app_hash =
        RedisHashStorage::new(options(Some("app.cache"))).unwrap_or_else(|e| panic!("{e}"));
    for (store, value) in [
        (&plain as &dyn KvStorage, b"plain"),
        (&app, b"appkv"),
        (&app_hash, b"hashv"),
    ] {
        store
            .set("k", value, None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(exists(&mut raw, &format!("kv:{namespace}:k")));
    assert!(exists(&mut raw, &format!("app.cache:{namespace}:k")));
    assert!(
        exists(&mut raw, &format!("app.cache:{namespace}")),
        "the hash"
    );
    for (store, value) in [
        (&plain as &dyn KvStorage, &b"plain"[..]),
        (&app, b"appkv"),
        (&app_hash, b"hashv"),
    ] {
        assert_eq!(
            store.get("k").unwrap_or_else(|e| panic!("{e}")).as_deref(),
            Some(value)
        );
        assert_eq!(store.len().unwrap_or_else(|e| panic!("{e}")), 1);
    }
    KvStorage::clear(&app).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        KvStorage::get(&plain, "k")
            .unwrap_or_else(|e| panic!("{e}"))
            .as_deref(),
        Some(&b"plain"[..])
    );
    assert_eq!(
        KvStorage::len(&app_hash).unwrap_or_else(|e| panic!("{e}")),
        1
    );
    KvStorage::clear(&plain).unwrap_or_else(|e| panic!("{e}"));
    KvStorage::clear(&app_hash).unwrap_or_else(|e| panic!("{e}"));
    let Err(refused) = RedisStorage::new(options(Some("a:b"))) else {
        panic!("a key prefix with ':' was accepted");
    };
    assert!(refused.to_string().contains("key_prefix"), "{refused}");
}
