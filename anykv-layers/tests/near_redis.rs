//! [`NearCache`] over Redis, fed by the server's client-side caching
//! (`RedisStorage::listen_for_changes`), on a real server:
//! - the whole conformance suite, both faces;
//! - another client's writes are seen as soon as the server's invalidation arrives: the delay
//!   over 1,000 writes is measured and printed (p50, p99);
//! - an entry is never served once the server has expired it;
//! - a dropped feed connection stops the near cache from serving and empties it (no stale read
//!   after missed invalidations), until it tracks again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anykv_conformance::backends::{Redis, RedisKind};
use anykv_conformance::{Backend, Capabilities, Guarded};
use anykv_core::KvStorage;
use anykv_layers::{NearCache, NearOptions, NearTier};
use anykv_redis::{ChangeListener, RedisOptions, RedisStorage, LISTENER_NAME};

/// The longest a condition is waited for.
const DEADLINE: Duration = Duration::from_secs(60);

/// A tier fed by a listener on the store of `options`, and the listener.
fn fed_tier(options: &RedisOptions) -> anykv_core::Result<(NearTier, Arc<ChangeListener>)> {
    // A long staleness bound: the feed, not the bound, must keep the tier correct.
    let tier = NearTier::fed(NearOptions::default().max_staleness(Duration::from_secs(3600)));
    let fed = tier.clone();
    let listener =
        RedisStorage::new(options.clone())?.listen_for_changes(move |change| fed.apply(change))?;
    Ok((tier, Arc::new(listener)))
}

/// Redis stores behind near caches fed by the server, one tier (and listener) per namespace.
struct NearRedis {
    url: String,
    tiers: Mutex<HashMap<String, (NearTier, Arc<ChangeListener>)>>,
}

impl NearRedis {
    fn options(&self, namespace: &str) -> anykv_core::Result<RedisOptions> {
        Ok(RedisOptions::from_url(&self.url)?.namespace(namespace))
    }

    fn near(&self, namespace: &str) -> anykv_core::Result<NearCache<RedisStorage>> {
        let options = self.options(namespace)?;
        let mut tiers = self.tiers.lock().unwrap_or_else(|e| e.into_inner());
        let (tier, listener) = match tiers.get(namespace) {
            Some(found) => found.clone(),
            None => {
                let fed = fed_tier(&options)?;
                tiers.insert(namespace.to_owned(), fed.clone());
                fed
            }
        };
        Ok(NearCache::new(RedisStorage::new(options)?, tier).keeping_feed(listener))
    }
}

impl Backend for NearRedis {
    fn name(&self) -> String {
        format!("redis at {} behind a fed near cache", self.url)
    }

    fn capabilities(&self) -> Capabilities {
        Redis::new(&self.url, RedisKind::PerKey).capabilities()
    }

    fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
        Ok(Arc::new(self.near(namespace)?))
    }

    fn open_async(
        &self,
        namespace: &str,
    ) -> anykv_core::Result<Arc<dyn anykv_core::AsyncKvStorage>> {
        Ok(Arc::new(self.near(namespace)?))
    }
}

fn near_redis() -> Result<Guarded<NearRedis>, String> {
    let server = anykv_test_support::redis()?;
    let backend = NearRedis {
        url: server.url().to_owned(),
        tiers: Mutex::default(),
    };
    Ok(Guarded::new(backend, server))
}

anykv_conformance::conformance_tests!(near_cache_over_redis, near_redis());

/// Waits until `done`, up to [`DEADLINE`].
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < DEADLINE,
            "{what} did not happen within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Two processes' views of one namespace: each its own connections, tier and feed.
fn two_clients(url: &str) -> (NearCache<RedisStorage>, NearCache<RedisStorage>) {
    let namespace = anykv_test_support::unique_name("near");
    let open = || {
        let options = RedisOptions::from_url(url)
            .map(|options| options.namespace(namespace.as_str()))
            .unwrap_or_else(|e| panic!("{e}"));
        let (tier, listener) = fed_tier(&options).unwrap_or_else(|e| panic!("{e}"));
        let store = RedisStorage::new(options).unwrap_or_else(|e| panic!("{e}"));
        NearCache::new(store, tier).keeping_feed(listener)
    };
    let (a, b) = (open(), open());
    wait_until("tracking", || {
        a.tier().is_serving() && b.tier().is_serving()
    });
    (a, b)
}

/// Reads `key` through `near` until it is held in memory (a read answered from it): a fill
/// may be dropped by the server's report of an earlier write arriving meanwhile.
fn hold(near: &NearCache<RedisStorage>, key: &str) -> anykv_core::Result<()> {
    let started = Instant::now();
    loop {
        let hits = near.stats().hits;
        near.get(key)?;
        if near.stats().hits > hits {
            return Ok(());
        }
        assert!(started.elapsed() < DEADLINE, "{key} never held");
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[test]
fn another_clients_writes_are_seen_when_the_server_reports_them() -> anykv_core::Result<()> {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = two_clients(server.url());
    let mut delays = Vec::with_capacity(1000);
    a.set("hot", b"0", None)?;
    for i in 1..=1000u32 {
        // B holds the current value in memory...
        hold(&b, "hot")?;
        // ...A writes; B sees the new value once the server's invalidation arrives.
        let value = i.to_string().into_bytes();
        a.set("hot", &value, None)?;
        let written = Instant::now();
        loop {
            if b.get("hot")?.as_deref() == Some(value.as_slice()) {
                break;
            }
            assert!(written.elapsed() < DEADLINE, "write {i} never seen");
        }
        delays.push(written.elapsed());
    }
    delays.sort();
    println!(
        "near cache over Redis: another client's write seen after p50 {:?}, p99 {:?}, max {:?} (1,000 writes)",
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        percentile(&delays, 1.0)
    );
    let stats = b.stats();
    assert!(stats.invalidations >= 1000, "{stats:?}");
    Ok(())
}

#[test]
fn an_expired_entry_is_never_served() -> anykv_core::Result<()> {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = two_clients(server.url());
    a.set("short", b"v", Some(Duration::from_millis(300)))?;
    hold(&b, "short")?;
    // Until the server expires it, B may serve it; once the server does, B does not.
    while a.inner().get("short")?.is_some() {
        let _ = b.get("short")?;
    }
    assert_eq!(b.get("short")?, None);
    Ok(())
}

/// Kills the connection of every change listener on the server; how many it killed.
fn kill_listeners(url: &str) -> usize {
    let client = redis::Client::open(url).unwrap_or_else(|e| panic!("{e}"));
    let mut connection = client.get_connection().unwrap_or_else(|e| panic!("{e}"));
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut connection)
        .unwrap_or_else(|e| panic!("CLIENT LIST: {e}"));
    let name = format!(" name={LISTENER_NAME} ");
    let ids: Vec<String> = clients
        .lines()
        .filter(|line| line.contains(&name))
        .filter_map(|line| line.split(' ').find_map(|field| field.strip_prefix("id=")))
        .map(str::to_owned)
        .collect();
    for id in &ids {
        let _: redis::RedisResult<()> = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query(&mut connection);
    }
    ids.len()
}

#[test]
fn a_lost_feed_empties_the_near_cache_until_it_tracks_again() -> anykv_core::Result<()> {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = two_clients(server.url());
    a.set("k", b"v1", None)?;
    hold(&b, "k")?;
    let lost = b.stats().feed_lost;
    assert!(
        kill_listeners(server.url()) >= 2,
        "no listener connection found"
    );
    wait_until("the loss reported", || b.stats().feed_lost > lost);
    // Written while B may not hear of it: B must not serve v1.
    a.inner().set("k", b"v2", None)?;
    assert_eq!(b.get("k")?.as_deref(), Some(&b"v2"[..]));
    wait_until("tracking again", || b.tier().is_serving());
    assert_eq!(b.get("k")?.as_deref(), Some(&b"v2"[..]));
    let hits = b.stats().hits;
    assert_eq!(b.get("k")?.as_deref(), Some(&b"v2"[..]));
    assert_eq!(b.stats().hits, hits + 1, "serving from memory again");
    Ok(())
}

#[test]
fn a_dropped_listener_leaves_the_tier_unfed_and_serving_nothing() -> anykv_core::Result<()> {
    let server = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let options = RedisOptions::from_url(server.url())?
        .namespace(anykv_test_support::unique_name("near_drop").as_str());
    let (tier, listener) = fed_tier(&options)?;
    wait_until("tracking", || tier.is_serving());
    drop(listener);
    wait_until("the feed reported gone", || !tier.is_serving());
    let store = NearCache::new(RedisStorage::new(options)?, tier.clone());
    store.set("k", b"v", None)?;
    store.get("k")?;
    store.get("k")?;
    assert_eq!(tier.stats().hits, 0, "served without a feed");
    Ok(())
}
