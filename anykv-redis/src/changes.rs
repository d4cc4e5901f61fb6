//! A feed of the changes any client makes to a store's keys, from Redis's client-side caching
//! (RESP3 `CLIENT TRACKING … BCAST PREFIX`): what a near cache needs to stay correct across
//! processes and hosts.
//!
//! The listener holds one connection of its own, tracking the store's key prefix in broadcast
//! mode: the server pushes an `invalidate` message naming each key any client writes, deletes,
//! or that expires or is evicted, and a `null` one when the database is flushed. It pings the
//! server every [`PING_EVERY`]; a connection that breaks or stops answering is reported as
//! [`Invalidation::Lost`] at once, and the listener reconnects (backing off up to two seconds),
//! reporting [`Invalidation::Tracking`] once it tracks again. So a change is reported, or the
//! feed is reported lost, within the ping interval plus the response timeout.

use std::sync::Arc;
use std::time::Duration;

use anykv_core::invalidation::Invalidation;
use anykv_core::{Error, Result};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use crate::config::RedisOptions;
use crate::keys::KeyLayout;

/// How often the listener checks its connection.
pub const PING_EVERY: Duration = Duration::from_secs(1);

/// The longest pause between two attempts to reconnect.
const LONGEST_BACKOFF: Duration = Duration::from_secs(2);

/// What the listener is called on the server (`CLIENT LIST`).
pub const LISTENER_NAME: &str = "anykv-changes";

/// Where to report changes.
type Report = Arc<dyn Fn(Invalidation) + Send + Sync>;

/// Listens for changes of a store's keys until dropped. Made by
/// [`RedisStorage::listen_for_changes`](crate::RedisStorage::listen_for_changes) and
/// [`RedisHashStorage::listen_for_changes`](crate::RedisHashStorage::listen_for_changes).
#[derive(Debug)]
pub struct ChangeListener {
    task: tokio::task::JoinHandle<()>,
    /// The runtime the listener made for itself when it was started outside one.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for ChangeListener {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// How the keys of one store are reported.
#[derive(Debug, Clone)]
pub(crate) enum Tracked {
    /// One server key per entry: each changed key is reported.
    PerKey(KeyLayout),
    /// One hash for the whole store: any change of it may concern every entry.
    Hash(KeyLayout),
}

impl Tracked {
    /// The prefix the server tracks.
    fn prefix(&self) -> Vec<u8> {
        match self {
            Tracked::PerKey(layout) => layout.server_key(""),
            Tracked::Hash(layout) => layout.prefix_key(),
        }
    }

    /// What the invalidation of `keys` means for the store (`None`: nothing of it).
    fn invalidation(&self, keys: Vec<Vec<u8>>) -> Option<Invalidation> {
        match self {
            Tracked::PerKey(layout) => {
                let keys: Vec<String> = keys
                    .into_iter()
                    .filter_map(|key| layout.entry_key_of_owned(key))
                    .collect();
                (!keys.is_empty()).then_some(Invalidation::Keys(keys))
            }
            Tracked::Hash(layout) => {
                let hash = layout.prefix_key();
                keys.contains(&hash).then_some(Invalidation::Everything)
            }
        }
    }
}

/// Starts listening for changes of the keys `tracked` names on the standalone server of
/// `options`, reporting them to `report`: on the current tokio runtime, or on the blocking
/// adapter's runtime outside one.
pub(crate) fn listen(
    options: &RedisOptions,
    tracked: Tracked,
    report: impl Fn(Invalidation) + Send + Sync + 'static,
) -> Result<ChangeListener> {
    if options.cluster || options.sentinel.is_some() {
        return Err(Error::Config(
            "a change feed needs a standalone Redis server; on a cluster or behind Sentinel use \
             a near cache with a staleness bound instead"
                .into(),
        ));
    }
    let listening = Listening {
        client: crate::conn::resp3_client(options)?,
        tracked,
        report: Arc::new(report),
        response_timeout: options.response_timeout,
        connect_timeout: options.connect_timeout,
    };
    Ok(match tokio::runtime::Handle::try_current() {
        Ok(runtime) => ChangeListener {
            task: runtime.spawn(listening.run()),
            runtime: None,
        },
        Err(_) => {
            let runtime = anykv_core::adapter_runtime()?;
            ChangeListener {
                task: runtime.spawn(listening.run()),
                runtime: Some(runtime),
            }
        }
    })
}

/// The listener's task.
struct Listening {
    client: redis::Client,
    tracked: Tracked,
    report: Report,
    response_timeout: Duration,
    connect_timeout: Duration,
}

/// Reports [`Invalidation::Lost`] when dropped: the listener's task ends (its listener was
/// dropped, or its runtime shut down) without leaving a cache believing it is still fed.
struct LostOnExit(Report);

impl Drop for LostOnExit {
    fn drop(&mut self) {
        (self.0)(Invalidation::Lost);
    }
}

impl Listening {
    async fn run(self) {
        let _lost_on_exit = LostOnExit(self.report.clone());
        let mut backoff = Duration::from_millis(50);
        loop {
            let mut tracking = false;
            // Why the connection ended does not matter: the loss is what is reported.
            let _ = self.track(&mut tracking).await;
            if tracking {
                backoff = Duration::from_millis(50);
            }
            (self.report)(Invalidation::Lost);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(LONGEST_BACKOFF);
        }
    }

    /// Tracks on one connection until it breaks; `tracking` tells whether it got as far.
    async fn track(&self, tracking: &mut bool) -> redis::RedisResult<()> {
        let (pushes, mut received) = mpsc::unbounded_channel::<PushInfo>();
        let config = AsyncConnectionConfig::new()
            .set_push_sender(pushes)
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout));
        let mut connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(LISTENER_NAME)
            .query_async::<()>(&mut connection)
            .await?;
        redis::cmd("CLIENT")
            .arg("TRACKING")
            .arg("ON")
            .arg("BCAST")
            .arg("PREFIX")
            .arg(self.tracked.prefix())
            .query_async::<()>(&mut connection)
            .await?;
        *tracking = true;
        (self.report)(Invalidation::Tracking);
        let mut ping = tokio::time::interval(PING_EVERY);
        loop {
            tokio::select! {
                push = received.recv() => match push {
                    Some(push) if push.kind == PushKind::Disconnection => return Ok(()),
                    Some(push) => self.received(push),
                    None => return Ok(()),
                },
                _ = ping.tick() => alive(&mut connection).await?,
            }
        }
    }

    /// Reports what an `invalidate` message says.
    fn received(&self, push: PushInfo) {
        if push.kind != PushKind::Invalidate {
            return;
        }
        let keys = match push.data.into_iter().next() {
            Some(Value::Array(keys)) => keys,
            // `null`: the database was flushed.
            _ => return (self.report)(Invalidation::Everything),
        };
        let keys: Vec<Vec<u8>> = keys
            .into_iter()
            .filter_map(|key| match key {
                Value::BulkString(key) => Some(key),
                Value::SimpleString(key) => Some(key.into_bytes()),
                _ => None,
            })
            .collect();
        if let Some(invalidation) = self.tracked.invalidation(keys) {
            (self.report)(invalidation);
        }
    }
}

/// Checks that the server still answers on `connection`.
async fn alive(connection: &mut MultiplexedConnection) -> redis::RedisResult<()> {
    redis::cmd("PING").query_async::<()>(connection).await
}
