//! [`RedisStorage`]: one Redis key per entry, both faces native.

use std::sync::Arc;
use std::time::Duration;

use anykv_core::limits::{check_entry, check_key};
use anykv_core::{
    AsyncKvStorage, BoxIter, BoxStream, Entry, Expiry, KvStorage, Namespace, Record, RecordIter,
    Result, Scan, SetEntry, Store, StoreInfo,
};
use async_trait::async_trait;
use futures_util::TryStreamExt;

use crate::config::RedisOptions;
use crate::conn::{AsyncConn, SyncConn};
use crate::error::BACKEND;
use crate::key_ops::{conditional_operation, KeyOps};
use crate::keys::KeyLayout;
use crate::scan::{scan_async, scan_sync, Want};

/// Redis refuses strings over 512 MiB (`proto-max-bulk-len`).
pub const MAX_VALUE_LEN: usize = 512 * 1024 * 1024;

/// Keys deleted per round trip by `clear`.
const CLEAR_BATCH: usize = 500;

/// A [`KvStorage`] and [`AsyncKvStorage`] with one Redis key per entry, `kv:<namespace>:<key>`.
///
/// TTLs are native (`SET … PX`, millisecond precision). What each operation costs on the
/// server is listed once, in the [crate docs](crate#details-and-costs).
///
/// The sync face uses pooled blocking connections, the async face one multiplexed connection
/// that reconnects by itself; both are created on first use, so a store outlives server restarts.
pub struct RedisStorage {
    namespace: Namespace,
    options: RedisOptions,
    ops: Arc<KeyOps>,
    sync: SyncConn,
    conn: AsyncConn,
}

impl RedisStorage {
    /// A store with `options` (connections are made on first use).
    pub fn new(options: RedisOptions) -> Result<Self> {
        let namespace = Namespace::new(options.namespace.as_str())?;
        Ok(RedisStorage {
            ops: Arc::new(KeyOps {
                layout: KeyLayout::new(options.key_prefix_or("kv")?, &namespace),
                cluster: options.cluster,
            }),
            sync: SyncConn::new(options.clone()),
            conn: AsyncConn::new(options.clone()),
            options,
            namespace,
        })
    }

    /// Reports to `report` every change any client makes to this store's entries (written,
    /// deleted, expired, evicted), until the returned listener is dropped: the feed of a near
    /// cache ([`Invalidation`](anykv_core::invalidation::Invalidation), see
    /// [`ChangeListener`](crate::ChangeListener) for the guarantees). Standalone servers only
    /// (Redis 6 or later, or Valkey): a cluster is a `Config` error.
    pub fn listen_for_changes(
        &self,
        report: impl Fn(anykv_core::invalidation::Invalidation) + Send + Sync + 'static,
    ) -> Result<crate::ChangeListener> {
        crate::changes::listen(
            &self.options,
            crate::changes::Tracked::PerKey(self.ops.layout.clone()),
            report,
        )
    }

    /// A store in `namespace` on the server of an existing client.
    pub fn from_client(client: &redis::Client, namespace: &str) -> Result<Self> {
        Self::new(RedisOptions::from_client(client)?.namespace(namespace))
    }

    /// A store whose async face uses an existing connection manager (no connection of its
    /// own, the manager's reconnection and timeouts); its sync face connects with `options`
    /// (which should name the same server) on first use.
    pub fn with_connection_manager(
        manager: redis::aio::ConnectionManager,
        options: RedisOptions,
    ) -> Result<Self> {
        let mut store = Self::new(options.clone())?;
        store.conn = AsyncConn::with_manager(options, manager);
        Ok(store)
    }

    /// A store whose async face uses an existing async cluster connection (no connection of
    /// its own); its sync face connects with `options` (which should name the same cluster).
    pub fn with_cluster_connection(
        conn: redis::cluster_async::ClusterConnection,
        options: RedisOptions,
    ) -> Result<Self> {
        let mut store = Self::new(options.clone())?;
        store.conn = AsyncConn::with_cluster_connection(options, conn);
        Ok(store)
    }

    /// A store for the server or cluster at `url`, in `namespace`.
    pub fn from_url(url: &str, namespace: &str) -> Result<Self> {
        Self::new(RedisOptions::from_url(url)?.namespace(namespace))
    }

    /// Checks the connection of the sync face (`PING`).
    pub fn ping(&self) -> Result<()> {
        let plan = crate::conn::Plan::one(redis::cmd("PING"), Vec::new());
        self.sync.run("ping", plan).map(drop)
    }

    /// Checks the connection of the async face (`PING`).
    pub async fn ping_async(&self) -> Result<()> {
        let plan = crate::conn::Plan::one(redis::cmd("PING"), Vec::new());
        self.conn.run("ping", plan).await.map(drop)
    }

    fn check(key: &str, value: &[u8]) -> Result<()> {
        check_entry(BACKEND, key, value, MAX_VALUE_LEN)
    }
}

fn check_keys(keys: &[&str]) -> Result<()> {
    keys.iter().try_for_each(|key| check_key(key))
}

impl Store for RedisStorage {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new(BACKEND)
            .max_value_len(MAX_VALUE_LEN)
            .namespace(self.namespace.as_str())
    }
}

impl KvStorage for RedisStorage {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        KeyOps::decode_entry(self.sync.run("get", self.ops.get_entry(key))?)
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        KeyOps::decode_get(self.sync.run("get", self.ops.get(key))?)
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        Self::check(key, value)?;
        self.sync
            .run("set", self.ops.set(key, value, ttl, false)?)
            .map(drop)
    }

    fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        Self::check(key, value)?;
        KeyOps::decode_set_if_absent(
            self.sync
                .run("set_if_absent", self.ops.set(key, value, ttl, true)?)?,
        )
    }

    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        Self::check(key, value)?;
        let operation = conditional_operation(expected);
        let plan = self.ops.compare_and_set(key, expected, value, ttl)?;
        KeyOps::decode_conditional(operation, self.sync.run(operation, plan)?)
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops.compare_and_delete(key, expected);
        KeyOps::decode_conditional(
            "compare_and_delete",
            self.sync.run("compare_and_delete", plan)?,
        )
    }

    fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        Ok(KeyOps::decode_deleted(self.sync.run("delete", self.ops.delete(key))?)? > 0)
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        KeyOps::decode_pop(self.sync.run("pop", self.ops.pop(key))?)
    }

    fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        check_key(key)?;
        KeyOps::decode_expiry(self.sync.run("expiry", self.ops.expiry(key))?)
    }

    fn contains(&self, key: &str) -> Result<bool> {
        Ok(KvStorage::expiry(self, key)?.is_some())
    }

    fn increment(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        check_key(key)?;
        let plan = self.ops.increment(key, by, ttl)?;
        KeyOps::decode_increment(key, by, self.sync.run("increment", plan)?)
    }

    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops.touch(key, ttl)?;
        KeyOps::decode_conditional("touch", self.sync.run("touch", plan)?)
    }

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        scan_sync(
            &self.sync,
            self.ops.clone(),
            Want::of(scan),
            scan.key_prefix(),
        )
    }

    fn keys(&self) -> Result<BoxIter<'_, String>> {
        let listed = scan_sync(&self.sync, self.ops.clone(), Want::Keys, "")?;
        Ok(Box::new(listed.map(|record| record.map(|r| r.key))))
    }

    fn len(&self) -> Result<usize> {
        let mut count = 0;
        for record in scan_sync(&self.sync, self.ops.clone(), Want::Keys, "")? {
            record?;
            count += 1;
        }
        Ok(count)
    }

    fn clear(&self) -> Result<()> {
        let mut batch = Vec::with_capacity(CLEAR_BATCH);
        for record in scan_sync(&self.sync, self.ops.clone(), Want::Keys, "")? {
            batch.push(self.ops.layout.server_key(&record?.key));
            if batch.len() == CLEAR_BATCH {
                self.sync
                    .run("clear", KeyOps::unlink(std::mem::take(&mut batch)))?;
            }
        }
        self.sync.run("clear", KeyOps::unlink(batch)).map(drop)
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        check_keys(keys)?;
        let replies = self.sync.run("get_many", self.ops.get_many(keys))?;
        let mut values = KeyOps::decode_many(keys.len(), replies)?;
        if let Some((plan, positions)) = self.ops.recheck_missing(keys, &values) {
            let replies = self.sync.run("get_many", plan)?;
            KeyOps::fill_rechecked(&mut values, &positions, replies)?;
        }
        Ok(values)
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        Store::check_entries(self, entries)?;
        self.sync
            .run("set_many", self.ops.set_many(entries)?)
            .map(drop)
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        check_keys(keys)?;
        KeyOps::decode_deleted(self.sync.run("delete_many", self.ops.delete_many(keys))?)
    }
}

#[async_trait]
impl AsyncKvStorage for RedisStorage {
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        KeyOps::decode_entry(self.conn.run("get", self.ops.get_entry(key)).await?)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        KeyOps::decode_get(self.conn.run("get", self.ops.get(key)).await?)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        Self::check(key, value)?;
        let plan = self.ops.set(key, value, ttl, false)?;
        self.conn.run("set", plan).await.map(drop)
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        Self::check(key, value)?;
        let plan = self.ops.set(key, value, ttl, true)?;
        KeyOps::decode_set_if_absent(self.conn.run("set_if_absent", plan).await?)
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        Self::check(key, value)?;
        let operation = conditional_operation(expected);
        let plan = self.ops.compare_and_set(key, expected, value, ttl)?;
        KeyOps::decode_conditional(operation, self.conn.run(operation, plan).await?)
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops.compare_and_delete(key, expected);
        KeyOps::decode_conditional(
            "compare_and_delete",
            self.conn.run("compare_and_delete", plan).await?,
        )
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        Ok(KeyOps::decode_deleted(self.conn.run("delete", self.ops.delete(key)).await?)? > 0)
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        KeyOps::decode_pop(self.conn.run("pop", self.ops.pop(key)).await?)
    }

    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        check_key(key)?;
        KeyOps::decode_expiry(self.conn.run("expiry", self.ops.expiry(key)).await?)
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        Ok(AsyncKvStorage::expiry(self, key).await?.is_some())
    }

    async fn increment(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        check_key(key)?;
        let plan = self.ops.increment(key, by, ttl)?;
        KeyOps::decode_increment(key, by, self.conn.run("increment", plan).await?)
    }

    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops.touch(key, ttl)?;
        KeyOps::decode_conditional("touch", self.conn.run("touch", plan).await?)
    }

    async fn scan(&self, scan: Scan<'_>) -> Result<BoxStream<'_, Record>> {
        scan_async(
            &self.conn,
            self.ops.clone(),
            Want::of(scan),
            scan.key_prefix(),
        )
        .await
    }

    async fn keys(&self) -> Result<BoxStream<'_, String>> {
        let listed = scan_async(&self.conn, self.ops.clone(), Want::Keys, "").await?;
        Ok(Box::pin(listed.map_ok(|record| record.key)))
    }

    async fn len(&self) -> Result<usize> {
        let listed = scan_async(&self.conn, self.ops.clone(), Want::Keys, "").await?;
        listed
            .try_fold(0, |count, _| async move { Ok(count + 1) })
            .await
    }

    async fn clear(&self) -> Result<()> {
        let mut records = scan_async(&self.conn, self.ops.clone(), Want::Keys, "").await?;
        let mut batch = Vec::with_capacity(CLEAR_BATCH);
        while let Some(record) = records.try_next().await? {
            batch.push(self.ops.layout.server_key(&record.key));
            if batch.len() == CLEAR_BATCH {
                self.conn
                    .run("clear", KeyOps::unlink(std::mem::take(&mut batch)))
                    .await?;
            }
        }
        self.conn
            .run("clear", KeyOps::unlink(batch))
            .await
            .map(drop)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        check_keys(keys)?;
        let replies = self.conn.run("get_many", self.ops.get_many(keys)).await?;
        let mut values = KeyOps::decode_many(keys.len(), replies)?;
        if let Some((plan, positions)) = self.ops.recheck_missing(keys, &values) {
            let replies = self.conn.run("get_many", plan).await?;
            KeyOps::fill_rechecked(&mut values, &positions, replies)?;
        }
        Ok(values)
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        Store::check_entries(self, entries)?;
        let plan = self.ops.set_many(entries)?;
        self.conn.run("set_many", plan).await.map(drop)
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        check_keys(keys)?;
        KeyOps::decode_deleted(
            self.conn
                .run("delete_many", self.ops.delete_many(keys))
                .await?,
        )
    }
}
