//! [`RedisHashStorage`]: one Redis hash per namespace, both faces native.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anykv_core::limits::{check_entry, check_key};
use anykv_core::{
    is_entry, readable_record, AsyncKvStorage, BoxIter, BoxStream, Entry, KvStorage, Namespace,
    Record, RecordIter, Result, Scan, ScanMode, SetEntry, Store, StoreInfo,
};
use async_trait::async_trait;
use futures_util::StreamExt;

use crate::config::RedisOptions;
use crate::conn::Plan;
use crate::conn::{AsyncConn, SyncConn};
use crate::error::BACKEND;
use crate::hash_ops::{HashOps, Indexed, PurgedBatch, HEADER_LEN};
use crate::key_ops::conditional_operation;
use crate::keys::KeyLayout;
use crate::scan::{scan_async, scan_sync, Want};
use crate::store::MAX_VALUE_LEN;

/// Fields per script call when the expiry index is built.
const INDEX_BATCH: usize = 500;

/// A script's plan builder and reply decoder, for one of the scripts that rely on the index.
type IndexedScript<T> = (
    fn(&HashOps) -> Plan,
    fn(Vec<redis::Value>) -> Result<Indexed<T>>,
);

/// A [`KvStorage`] and [`AsyncKvStorage`] keeping a whole namespace in one Redis hash,
/// `kvh:<namespace>`: compact, one key on the server, one slot on a cluster.
///
/// Every field carries its expiry, so reads are exact to the millisecond on every server; where
/// the server has hash-field expiry (Redis 7.4+, Valkey 9+: `HPEXPIRE`) it is set too, so the
/// server removes expired fields itself; elsewhere [`purge_expired`](KvStorage::purge_expired)
/// does.
/// What each operation costs on the server, and how `len`, `keys` and `purge_expired` use the
/// expiry index, is listed once, in the [crate docs](crate#details-and-costs). Writers of an
/// older version of this crate do not keep the index: do not mix them on one namespace.
///
/// On a server that expires fields itself, a field past its TTL is hidden from every read but
/// may still be counted by `HLEN` until the server's expiry cycle reaches it (Valkey 9 keeps it
/// through reads, Redis 8 until a read meets it): the scripts of `len`, `keys` and
/// `purge_expired` remove each such field among the due members (one `HSET` and `HDEL` in the
/// script), so `len` counts exactly the live entries on every server, and `purge_expired`
/// counts the expired fields it removed, including those the server hid, but not those the
/// server had already deleted. [`len_including_expired`](KvStorage::len_including_expired) is
/// `HLEN`: the fields held, hidden ones included.
pub struct RedisHashStorage {
    namespace: Namespace,
    options: RedisOptions,
    layout: KeyLayout,
    /// `[without, with]` native field expiry.
    ops: [Arc<HashOps>; 2],
    native: OnceLock<bool>,
    sync: SyncConn,
    conn: AsyncConn,
}

impl RedisHashStorage {
    /// A store with `options` (connections are made on first use).
    pub fn new(options: RedisOptions) -> Result<Self> {
        let namespace = Namespace::new(options.namespace.as_str())?;
        let layout = KeyLayout::new(options.key_prefix_or("kvh")?, &namespace);
        let plain = HashOps::new(&layout);
        let native = plain.with_native_ttl();
        Ok(RedisHashStorage {
            ops: [Arc::new(plain), Arc::new(native)],
            native: OnceLock::new(),
            sync: SyncConn::new(options.clone()),
            conn: AsyncConn::new(options.clone()),
            options,
            layout,
            namespace,
        })
    }

    /// Reports to `report` the changes any client makes to this store, until the returned
    /// listener is dropped. The store is one hash, so each change is reported as
    /// [`Everything`](anykv_core::invalidation::Invalidation::Everything) (the server tracks
    /// keys, not fields): a near cache in front of a hash store that is written often gains
    /// little. Standalone servers only, as for
    /// [`RedisStorage::listen_for_changes`](crate::RedisStorage::listen_for_changes).
    pub fn listen_for_changes(
        &self,
        report: impl Fn(anykv_core::invalidation::Invalidation) + Send + Sync + 'static,
    ) -> Result<crate::ChangeListener> {
        crate::changes::listen(
            &self.options,
            crate::changes::Tracked::Hash(self.layout.clone()),
            report,
        )
    }

    /// A store in `namespace` on the server of an existing client (its connection settings,
    /// TLS included, as they are).
    pub fn from_client(client: &redis::Client, namespace: &str) -> Result<Self> {
        Self::new(RedisOptions::from_client(client)?.namespace(namespace))
    }

    /// A store whose async face uses an existing connection manager; see
    /// [`RedisStorage::with_connection_manager`](crate::RedisStorage::with_connection_manager).
    pub fn with_connection_manager(
        manager: redis::aio::ConnectionManager,
        options: RedisOptions,
    ) -> Result<Self> {
        let mut store = Self::new(options.clone())?;
        store.conn = AsyncConn::with_manager(options, manager);
        Ok(store)
    }

    /// A store whose async face uses an existing async cluster connection; see
    /// [`RedisStorage::with_cluster_connection`](crate::RedisStorage::with_cluster_connection).
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

    fn ops_sync(&self) -> Result<&Arc<HashOps>> {
        let native = match self.native.get() {
            Some(native) => *native,
            None => *self.native.get_or_init_with_result(|| {
                Ok(HashOps::decode_probe(
                    self.sync.run("probe", HashOps::probe_native_ttl())?,
                ))
            })?,
        };
        Ok(&self.ops[usize::from(native)])
    }

    async fn ops_async(&self) -> Result<&Arc<HashOps>> {
        let native = match self.native.get() {
            Some(native) => *native,
            None => {
                let probe = HashOps::decode_probe(
                    self.conn.run("probe", HashOps::probe_native_ttl()).await?,
                );
                *self.native.get_or_init(|| probe)
            }
        };
        Ok(&self.ops[usize::from(native)])
    }

    fn check(key: &str, value: &[u8]) -> Result<()> {
        check_entry(BACKEND, key, value, MAX_VALUE_LEN - HEADER_LEN)
    }
}

trait OnceLockExt<T> {
    fn get_or_init_with_result(&self, init: impl FnOnce() -> Result<T>) -> Result<&T>;
}

impl<T> OnceLockExt<T> for OnceLock<T> {
    fn get_or_init_with_result(&self, init: impl FnOnce() -> Result<T>) -> Result<&T> {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        let value = init()?;
        Ok(self.get_or_init(|| value))
    }
}

impl Store for RedisHashStorage {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new(BACKEND)
            .max_value_len(MAX_VALUE_LEN - HEADER_LEN)
            .namespace(self.namespace.as_str())
    }
}

impl KvStorage for RedisHashStorage {
    fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        HashOps::decode_get(key, self.sync.run("get", self.ops_sync()?.get(key))?)
    }

    fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        HashOps::decode_stale(key, self.sync.run("get_stale", self.ops_sync()?.get(key))?)
    }

    fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        KvStorage::set_entries(self, &[SetEntry::new(key, value, ttl)])
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
        let plan = self
            .ops_sync()?
            .compare_and_set(key, expected, value, ttl)?;
        HashOps::decode_flag(operation, self.sync.run(operation, plan)?)
    }

    fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops_sync()?.touch(key, ttl)?;
        HashOps::decode_touch(key, self.sync.run("touch", plan)?)
    }

    fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops_sync()?.compare_and_delete(key, expected);
        HashOps::decode_flag(
            "compare_and_delete",
            self.sync.run("compare_and_delete", plan)?,
        )
    }

    fn delete(&self, key: &str) -> Result<bool> {
        Ok(KvStorage::delete_many(self, &[key])? > 0)
    }

    fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let replies = self.sync.run("pop", self.ops_sync()?.take(&[key]))?;
        Ok(HashOps::decode_take(&[key], replies)?.pop().flatten())
    }

    fn scan(&self, scan: Scan<'_>) -> Result<RecordIter<'_>> {
        scan_sync(
            &self.sync,
            self.ops_sync()?.clone(),
            Want::of(scan),
            scan.key_prefix(),
        )
    }

    fn clear(&self) -> Result<()> {
        self.sync.run("clear", self.ops_sync()?.clear()).map(drop)
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        HashOps::decode_many(
            keys,
            self.sync.run("get_many", self.ops_sync()?.get_many(keys))?,
        )
    }

    fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        entries
            .iter()
            .try_for_each(|e| Self::check(e.key, e.value))?;
        Store::check_entries(self, entries)?;
        self.sync
            .run("set", self.ops_sync()?.set_entries(entries)?)
            .map(drop)
    }

    fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let replies = self.sync.run("delete", self.ops_sync()?.take(keys))?;
        Ok(HashOps::decode_take(keys, replies)?
            .iter()
            .flatten()
            .count())
    }

    /// One reply of the keys alone (the values stay in the server) for hashes of up to
    /// 16 384 fields; larger ones are listed by pages.
    fn keys(&self) -> Result<BoxIter<'_, String>> {
        if let Some(keys) = self.indexed_sync("keys", KEYS_SCRIPT)? {
            return Ok(Box::new(keys.into_iter()));
        }
        let records = KvStorage::scan(self, Scan::keys_only())?;
        Ok(Box::new(records.map(|record| record.map(|r| r.key))))
    }

    fn len(&self) -> Result<usize> {
        if let Some(count) = self.indexed_sync("len", LEN_SCRIPT)? {
            return Ok(count);
        }
        let mut count = 0;
        for record in KvStorage::scan(self, Scan::keys_only())? {
            count += usize::from(is_entry(record)?);
        }
        Ok(count)
    }

    fn len_including_expired(&self) -> Result<usize> {
        let replies = self.sync.run("len", self.ops_sync()?.held_len())?;
        Ok(usize::try_from(HashOps::decode_sum("len", replies)?).unwrap_or(usize::MAX))
    }

    /// `MEMORY USAGE` of the hash and its expiry index: the server's estimate, from sampled
    /// fields on large hashes.
    fn size(&self) -> Result<Option<u64>> {
        let replies = self.sync.run("size", self.ops_sync()?.memory_usage())?;
        Ok(Some(HashOps::decode_sum("size", replies)?))
    }

    fn purge_expired(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let batch = self.indexed_sync("purge_expired", PURGE_SCRIPT)?;
            let batch = batch.ok_or_else(index_vanished)?;
            removed += batch.removed;
            if batch.last {
                return Ok(removed);
            }
        }
    }
}

/// `len`'s script.
const LEN_SCRIPT: IndexedScript<usize> = (HashOps::len, HashOps::decode_len);
/// `keys`' script (for hashes of up to 16 384 fields).
const KEYS_SCRIPT: IndexedScript<Vec<Result<String>>> =
    (HashOps::list_keys, HashOps::decode_list_keys);
/// `purge_expired`'s script (one batch of due members).
const PURGE_SCRIPT: IndexedScript<PurgedBatch> = (HashOps::purge_due, HashOps::decode_purge);

/// The error of a purge whose index was removed under it twice (by a concurrent `DEL` of the
/// index key or an eviction): nothing is lost, the next call rebuilds it.
fn index_vanished() -> anykv_core::Error {
    anykv_core::Error::backend(
        BACKEND,
        "purge_expired",
        anykv_core::ErrorKind::Unavailable,
        "the expiry index was removed twice while purge_expired ran; try again",
    )
}

impl RedisHashStorage {
    /// Runs one of the scripts that rely on the expiry index, building the index first where
    /// it is missing (a hash written before it existed, or whose index key was removed): the
    /// script's answer, or `None` where a scan must answer instead.
    fn indexed_sync<T>(
        &self,
        operation: &'static str,
        (plan, decode): IndexedScript<T>,
    ) -> Result<Option<T>> {
        let ops = self.ops_sync()?;
        for _ in 0..2 {
            match decode(self.sync.run(operation, plan(ops))?)? {
                Indexed::Done(answer) => return Ok(Some(answer)),
                Indexed::TooMany => return Ok(None),
                Indexed::Unindexed => self.index_sync(ops)?,
            }
        }
        Ok(None)
    }

    /// [`indexed_sync`](Self::indexed_sync) on the async face.
    async fn indexed_async<T>(
        &self,
        operation: &'static str,
        (plan, decode): IndexedScript<T>,
    ) -> Result<Option<T>> {
        let ops = self.ops_async().await?;
        for _ in 0..2 {
            match decode(self.conn.run(operation, plan(ops)).await?)? {
                Indexed::Done(answer) => return Ok(Some(answer)),
                Indexed::TooMany => return Ok(None),
                Indexed::Unindexed => self.index_async(ops).await?,
            }
        }
        Ok(None)
    }

    /// Puts every field with an expiry into the expiry index, in batches, then marks it
    /// complete.
    fn index_sync(&self, ops: &HashOps) -> Result<()> {
        let mut batches = IndexBatches::new(ops);
        let all = scan_sync(
            &self.sync,
            Arc::new(ops.including_expired()),
            Want::Records(ScanMode::KeysOnly),
            "",
        )?;
        for record in all {
            if let Some(plan) = batches.add(record)? {
                self.sync.run("index", plan)?;
            }
        }
        self.sync.run("index", batches.last())?;
        self.sync.run("index", ops.mark_indexed()).map(drop)
    }

    /// [`index_sync`](Self::index_sync) on the async face.
    async fn index_async(&self, ops: &HashOps) -> Result<()> {
        let mut batches = IndexBatches::new(ops);
        let mut all = scan_async(
            &self.conn,
            Arc::new(ops.including_expired()),
            Want::Records(ScanMode::KeysOnly),
            "",
        )
        .await?;
        while let Some(record) = all.next().await {
            if let Some(plan) = batches.add(record)? {
                self.conn.run("index", plan).await?;
            }
        }
        self.conn.run("index", batches.last()).await?;
        self.conn.run("index", ops.mark_indexed()).await.map(drop)
    }
}

/// The batches that build the expiry index, filled from a scan; the faces only send them.
struct IndexBatches<'a> {
    ops: &'a HashOps,
    batch: Vec<String>,
}

impl<'a> IndexBatches<'a> {
    fn new(ops: &'a HashOps) -> Self {
        IndexBatches {
            ops,
            batch: Vec::with_capacity(INDEX_BATCH),
        }
    }

    /// Takes a scanned field; the plan of a full batch to send, if it completes one.
    fn add(&mut self, scanned: Result<Record>) -> Result<Option<Plan>> {
        // A field that cannot be decoded has no known expiry: it is left alone.
        let Some(record) = readable_record(scanned)? else {
            return Ok(None);
        };
        if record.expires_at.is_some() {
            self.batch.push(record.key);
        }
        Ok((self.batch.len() == INDEX_BATCH).then(|| self.last()))
    }

    /// The plan of what is left in the batch.
    fn last(&mut self) -> Plan {
        self.ops.index_fields(&std::mem::take(&mut self.batch))
    }
}

#[async_trait]
impl AsyncKvStorage for RedisHashStorage {
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        let plan = self.ops_async().await?.get(key);
        HashOps::decode_get(key, self.conn.run("get", plan).await?)
    }

    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        let plan = self.ops_async().await?.get(key);
        HashOps::decode_stale(key, self.conn.run("get_stale", plan).await?)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        AsyncKvStorage::set_entries(self, &[SetEntry::new(key, value, ttl)]).await
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
        let plan = self
            .ops_async()
            .await?
            .compare_and_set(key, expected, value, ttl)?;
        HashOps::decode_flag(operation, self.conn.run(operation, plan).await?)
    }

    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops_async().await?.touch(key, ttl)?;
        HashOps::decode_touch(key, self.conn.run("touch", plan).await?)
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let plan = self.ops_async().await?.compare_and_delete(key, expected);
        HashOps::decode_flag(
            "compare_and_delete",
            self.conn.run("compare_and_delete", plan).await?,
        )
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        Ok(AsyncKvStorage::delete_many(self, &[key]).await? > 0)
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let plan = self.ops_async().await?.take(&[key]);
        Ok(
            HashOps::decode_take(&[key], self.conn.run("pop", plan).await?)?
                .pop()
                .flatten(),
        )
    }

    async fn scan(&self, scan: Scan<'_>) -> Result<BoxStream<'_, Record>> {
        let ops = self.ops_async().await?.clone();
        scan_async(&self.conn, ops, Want::of(scan), scan.key_prefix()).await
    }

    async fn clear(&self) -> Result<()> {
        let plan = self.ops_async().await?.clear();
        self.conn.run("clear", plan).await.map(drop)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let plan = self.ops_async().await?.get_many(keys);
        HashOps::decode_many(keys, self.conn.run("get_many", plan).await?)
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        entries
            .iter()
            .try_for_each(|e| Self::check(e.key, e.value))?;
        Store::check_entries(self, entries)?;
        let plan = self.ops_async().await?.set_entries(entries)?;
        self.conn.run("set", plan).await.map(drop)
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let plan = self.ops_async().await?.take(keys);
        Ok(
            HashOps::decode_take(keys, self.conn.run("delete", plan).await?)?
                .iter()
                .flatten()
                .count(),
        )
    }

    /// See the blocking face's `keys`.
    async fn keys(&self) -> Result<BoxStream<'_, String>> {
        if let Some(keys) = self.indexed_async("keys", KEYS_SCRIPT).await? {
            return Ok(futures_util::stream::iter(keys).boxed());
        }
        let records = AsyncKvStorage::scan(self, Scan::keys_only()).await?;
        Ok(records.map(|record| record.map(|r| r.key)).boxed())
    }

    async fn len(&self) -> Result<usize> {
        if let Some(count) = self.indexed_async("len", LEN_SCRIPT).await? {
            return Ok(count);
        }
        let mut records = AsyncKvStorage::scan(self, Scan::keys_only()).await?;
        let mut count = 0;
        while let Some(record) = records.next().await {
            count += usize::from(is_entry(record)?);
        }
        Ok(count)
    }

    async fn len_including_expired(&self) -> Result<usize> {
        let plan = self.ops_async().await?.held_len();
        let replies = self.conn.run("len", plan).await?;
        Ok(usize::try_from(HashOps::decode_sum("len", replies)?).unwrap_or(usize::MAX))
    }

    async fn size(&self) -> Result<Option<u64>> {
        let plan = self.ops_async().await?.memory_usage();
        Ok(Some(HashOps::decode_sum(
            "size",
            self.conn.run("size", plan).await?,
        )?))
    }

    async fn purge_expired(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let batch = self.indexed_async("purge_expired", PURGE_SCRIPT).await?;
            let batch = batch.ok_or_else(index_vanished)?;
            removed += batch.removed;
            if batch.last {
                return Ok(removed);
            }
        }
    }
}
