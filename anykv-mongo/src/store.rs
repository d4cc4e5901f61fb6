//! [`MongoStorage`]: one document per entry, expiry in a BSON Date with a TTL index.

use std::collections::HashMap;
use std::time::Duration;

use anykv_core::limits::{check_entry, check_key};
use anykv_core::pagination::{paginate_page_stream, Page, DEFAULT_PAGE_SIZE};
use anykv_core::{
    AsyncKvStorage, BlockingAdapter, BoxStream, Entry, Error, ErrorKind, Expiry, KeyRange,
    Namespace, Record, Result, Scan, SetEntry, Store, StoreInfo, Timestamp,
};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::IndexOptions;
use mongodb::{Client, Collection, Database, IndexModel};

use crate::config::MongoOptions;
use crate::document::{self, and_live, MAX_VALUE_LEN};
use crate::error::{is_duplicate_key, mongo_error, BACKEND};

/// Keys per `$in` list.
const IN_CHUNK: usize = 1000;
/// Bytes of values per `update` command of a bulk write (under the 16 MB message limit).
const BULK_BYTES: usize = 8 * 1024 * 1024;

/// An [`AsyncKvStorage`] with one document per entry in the collection `<namespace>`:
/// `{_id: key, v: BinData, e: Date}`.
///
/// The store creates a TTL index on `e` (`expireAfterSeconds: 0`), so the server deletes
/// expired documents by itself (about once a minute); every read also filters on `e`, so expiry
/// is exact to the millisecond. What each operation costs on the server is listed once, in the
/// [crate docs](crate#details-and-costs). Values over 16 MB minus 2 KB are refused before
/// anything is sent;
/// use [`GridFsStorage`](crate::GridFsStorage) for them.
///
/// The sync face is [`BlockingAdapter`]: see [`MongoStorage::open_blocking`].
#[derive(Clone, Debug)]
pub struct MongoStorage {
    database: Database,
    collection: Collection<Document>,
    /// The longest any entry lives ([`MongoOptions::store_ttl`]).
    store_ttl: document::StoreTtl,
    /// How values are kept ([`MongoOptions::queryable_values`]).
    values: document::ValueForm,
}

impl MongoStorage {
    /// Connects and opens the collection of `options.namespace`, creating its TTL index.
    pub async fn connect(options: MongoOptions) -> Result<Self> {
        let (client, database) = options.client().await?;
        let store = Self::with_client(&client, &database, &options.namespace)
            .await?
            .with_queryable_values(options.queryable_values);
        match options.store_ttl {
            Some(ttl) => store.with_store_ttl(ttl).await,
            None => Ok(store),
        }
    }

    /// The same store with a TTL for the whole store (see [`MongoOptions::store_ttl`]): the
    /// documents already stored that would outlive it now expire `ttl` from now.
    pub async fn with_store_ttl(mut self, ttl: Duration) -> Result<Self> {
        self.store_ttl.set(&self.collection, ttl).await?;
        Ok(self)
    }

    /// The same store keeping JSON values as queryable BSON, or not (see
    /// [`MongoOptions::queryable_values`]). Reads take either form whatever this says.
    pub fn with_queryable_values(mut self, queryable_values: bool) -> Self {
        self.values.queryable_values = queryable_values;
        self
    }

    /// The expiry of a write with `ttl` at `now`, within the store's TTL.
    fn expiry(&self, ttl: Option<Duration>, now: Timestamp) -> Result<Option<Timestamp>> {
        self.store_ttl.expiry(ttl, now)
    }

    /// Opens `namespace` in `database` with an existing client, creating its TTL index.
    pub async fn with_client(client: &Client, database: &str, namespace: &str) -> Result<Self> {
        let namespace = Namespace::new(namespace)?;
        let database = client.database(database);
        let collection = database.collection::<Document>(namespace.as_str());
        let ttl = IndexModel::builder()
            .keys(doc! { "e": 1 })
            .options(
                IndexOptions::builder()
                    .expire_after(Duration::ZERO)
                    .name("e_ttl".to_owned())
                    .build(),
            )
            .build();
        collection
            .create_index(ttl)
            .await
            .map_err(mongo_error("create index"))?;
        Ok(MongoStorage {
            database,
            collection,
            store_ttl: document::StoreTtl::default(),
            values: document::ValueForm::default(),
        })
    }

    /// The sync face: the store built on, and driven by, a runtime of its own.
    pub fn open_blocking(options: MongoOptions) -> Result<BlockingAdapter<MongoStorage>> {
        BlockingAdapter::open(|| Self::connect(options))
    }

    /// The collection.
    pub fn collection(&self) -> &Collection<Document> {
        &self.collection
    }

    async fn find_one(&self, key: &str, with_value: bool) -> Result<Option<Document>> {
        let found = self.find_held(key, with_value).await?;
        let now = Timestamp::now();
        Ok(found.filter(|d| !document::expiry(d).is_some_and(|at| at.is_expired_at(now))))
    }

    /// The document of `key`, live or expired (until the TTL monitor removes it).
    async fn find_held(&self, key: &str, with_value: bool) -> Result<Option<Document>> {
        check_key(key)?;
        let find = self.collection.find_one(doc! { "_id": key });
        let find = if with_value {
            find
        } else {
            find.projection(doc! { "v": 0 })
        };
        find.await.map_err(mongo_error("get"))
    }

    /// The documents matching `filter`.
    async fn count(&self, filter: Document) -> Result<usize> {
        let count = self
            .collection
            .count_documents(filter)
            .await
            .map_err(mongo_error("len"))?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    async fn take(&self, key: &str, operation: &'static str) -> Result<Option<Document>> {
        check_key(key)?;
        let taken = self
            .collection
            .find_one_and_delete(doc! { "_id": key })
            .await
            .map_err(mongo_error(operation))?;
        let now = Timestamp::now();
        Ok(taken.filter(|d| !document::expiry(d).is_some_and(|at| at.is_expired_at(now))))
    }

    async fn page(
        &self,
        scan: Scan<'static>,
        range: &KeyRange,
        after: Option<String>,
        limit: usize,
    ) -> Result<Page> {
        let mode = scan.mode();
        let filter = document::page_filter(range, after);
        let find = self
            .collection
            .find(document::scanned(filter, scan.lists_expired()))
            .sort(doc! { "_id": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX));
        let find = if mode.values() {
            find
        } else {
            find.projection(doc! { "v": 0 })
        };
        let cursor = find.await.map_err(mongo_error("scan"))?;
        let documents: Vec<Document> = cursor.try_collect().await.map_err(mongo_error("scan"))?;
        Ok(document::page(documents, |d| {
            document::record(d, mode.values())
        }))
    }

    async fn write_batch(&self, updates: Vec<Document>) -> Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let command =
            doc! { "update": self.collection.name(), "updates": updates, "ordered": true };
        let reply = self
            .database
            .run_command(command)
            .await
            .map_err(mongo_error("set_many"))?;
        match reply.get("writeErrors") {
            Some(Bson::Array(errors)) if !errors.is_empty() => Err(Error::backend(
                BACKEND,
                "set_many",
                ErrorKind::Other,
                format!(
                    "{} documents were not written: {:?}",
                    errors.len(),
                    errors.first()
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl Store for MongoStorage {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new(BACKEND)
            .max_value_len(MAX_VALUE_LEN)
            .namespace(self.collection.name())
    }
}

#[async_trait]
impl AsyncKvStorage for MongoStorage {
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let found = self.find_one(key, true).await?;
        found
            .map(|found| document::entry_of(key, found))
            .transpose()
    }

    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let found = self.find_held(key, true).await?;
        found
            .map(|found| document::entry_of(key, found))
            .transpose()
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry(BACKEND, key, value, MAX_VALUE_LEN)?;
        let entry = self
            .values
            .entry(key, value, self.expiry(ttl, Timestamp::now())?);
        self.collection
            .replace_one(doc! { "_id": key }, entry)
            .upsert(true)
            .await
            .map(drop)
            .map_err(mongo_error("set"))
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        check_entry(BACKEND, key, value, MAX_VALUE_LEN)?;
        let now = Timestamp::now();
        let entry = self.values.entry(key, value, self.expiry(ttl, now)?);
        // Matches only an expired entry; with none, the upsert inserts, and a live entry makes
        // the insert fail on the unique _id: exactly one concurrent caller wins.
        let mut only_expired = doc! { "_id": key };
        only_expired.extend(document::expired(now));
        match self
            .collection
            .replace_one(only_expired, entry)
            .upsert(true)
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if is_duplicate_key(&error) => Ok(false),
            Err(error) => Err(mongo_error("set_if_absent")(error)),
        }
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let Some(expected) = expected else {
            return self.set_if_absent(key, value, ttl).await;
        };
        check_entry(BACKEND, key, value, MAX_VALUE_LEN)?;
        let now = Timestamp::now();
        let entry = self.values.entry(key, value, self.expiry(ttl, now)?);
        let filter = and_live(document::holding(key, expected), now);
        let replaced = self
            .collection
            .replace_one(filter, entry)
            .await
            .map_err(mongo_error("compare_and_set"))?;
        Ok(replaced.matched_count > 0)
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let filter = and_live(document::holding(key, expected), Timestamp::now());
        let deleted = self
            .collection
            .delete_one(filter)
            .await
            .map_err(mongo_error("compare_and_delete"))?;
        Ok(deleted.deleted_count > 0)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.take(key, "delete").await?.is_some())
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.take(key, "pop").await? {
            Some(mut taken) => Ok(Some(document::value(key, &mut taken)?)),
            None => Ok(None),
        }
    }

    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        Ok(self
            .find_one(key, false)
            .await?
            .map(|d| Expiry::from_option(document::expiry(&d))))
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.find_one(key, false).await?.is_some())
    }

    /// One `updateOne` of the expiry field, filtered on the key and liveness.
    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let now = Timestamp::now();
        let update = match self.expiry(ttl, now)? {
            Some(at) => {
                doc! { "$set": { "e": mongodb::bson::DateTime::from_millis(at.as_millis()) } }
            }
            None => doc! { "$unset": { "e": "" } },
        };
        let touched = self
            .collection
            .update_one(and_live(doc! { "_id": key }, now), update)
            .await
            .map_err(mongo_error("touch"))?;
        Ok(touched.matched_count > 0)
    }

    async fn scan(&self, scan: Scan<'_>) -> Result<BoxStream<'_, Record>> {
        let range = scan.key_range();
        let scan = scan.prefix("");
        Ok(paginate_page_stream(
            DEFAULT_PAGE_SIZE,
            move |after, limit| {
                let range = range.clone();
                async move { self.page(scan, &range, after, limit).await }
            },
        ))
    }

    async fn clear(&self) -> Result<()> {
        self.collection
            .delete_many(Document::new())
            .await
            .map(drop)
            .map_err(mongo_error("clear"))
    }

    async fn len(&self) -> Result<usize> {
        self.count(document::live(Timestamp::now())).await
    }

    async fn len_including_expired(&self) -> Result<usize> {
        self.count(doc! {}).await
    }

    /// The bytes of the keys and values held, in one aggregation over the collection
    /// (`$binarySize` + `$strLenBytes`, MongoDB 4.4+; a value kept as BSON counts the length
    /// of its JSON); the server adds document and index overhead.
    async fn size(&self) -> Result<Option<u64>> {
        let bytes = doc! { "$add": [ document::value_len(), { "$strLenBytes": "$_id" } ] };
        document::total(&self.collection, Bson::from(bytes), "size")
            .await
            .map(Some)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let mut found: HashMap<String, Vec<u8>> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(IN_CHUNK) {
            // `_id $in` alone uses the _id index on every server; expiry is checked here.
            let cursor = self
                .collection
                .find(doc! { "_id": { "$in": chunk } })
                .await
                .map_err(mongo_error("get_many"))?;
            let documents: Vec<Document> = cursor
                .try_collect()
                .await
                .map_err(mongo_error("get_many"))?;
            let now = Timestamp::now();
            for mut d in documents {
                if document::expiry(&d).is_some_and(|at| at.is_expired_at(now)) {
                    continue;
                }
                let key = document::key(&d)?;
                let value = document::value(&key, &mut d)?;
                found.insert(key, value);
            }
        }
        Ok(keys.iter().map(|key| found.get(*key).cloned()).collect())
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        Store::check_entries(self, entries)?;
        let now = Timestamp::now();
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        for entry in entries {
            let document = self
                .values
                .entry(entry.key, entry.value, self.expiry(entry.ttl, now)?);
            if batch_bytes + entry.value.len() > BULK_BYTES || batch.len() == IN_CHUNK {
                self.write_batch(std::mem::take(&mut batch)).await?;
                batch_bytes = 0;
            }
            batch_bytes += entry.value.len();
            batch.push(doc! { "q": { "_id": entry.key }, "u": document, "upsert": true });
        }
        self.write_batch(batch).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let mut deleted = 0;
        for chunk in keys.chunks(IN_CHUNK) {
            let filter = doc! { "_id": { "$in": chunk } };
            let cursor = self
                .collection
                .find(filter.clone())
                .projection(doc! { "v": 0 })
                .await
                .map_err(mongo_error("delete_many"))?;
            let found: Vec<Document> = cursor
                .try_collect()
                .await
                .map_err(mongo_error("delete_many"))?;
            let now = Timestamp::now();
            let live = found
                .iter()
                .filter(|d| !document::expiry(d).is_some_and(|at| at.is_expired_at(now)))
                .count();
            let result = self
                .collection
                .delete_many(filter)
                .await
                .map_err(mongo_error("delete_many"))?;
            // Expired documents go too; only the live ones count as deleted entries.
            deleted += live.min(usize::try_from(result.deleted_count).unwrap_or(0));
        }
        Ok(deleted)
    }

    async fn purge_expired(&self) -> Result<usize> {
        let result = self
            .collection
            .delete_many(document::expired(Timestamp::now()))
            .await
            .map_err(mongo_error("purge_expired"))?;
        Ok(usize::try_from(result.deleted_count).unwrap_or(0))
    }
}
