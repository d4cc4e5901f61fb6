//! [`GridFsStorage`]: values of any size in a GridFS bucket, one bucket per namespace.

use std::time::Duration;

use anykv_core::limits::{check_entry, check_key};
use anykv_core::pagination::{paginate_page_stream, Page, DEFAULT_PAGE_SIZE};
use anykv_core::{
    AsyncKvStorage, BlockingAdapter, BoxStream, Entry, Error, ErrorKind, Expiry, KeyRange,
    Namespace, Record, Result, Scan, SetEntry, Store, StoreInfo, Timestamp,
};
use async_trait::async_trait;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::GridFsBucketOptions;
use mongodb::{Client, Collection};

use crate::config::MongoOptions;
use crate::document::{self, and_live};
use crate::error::{is_duplicate_key, mongo_error, stream_error, BACKEND};
use crate::gridfs_bulk::record_with_value;
use crate::gridfs_files::BucketFiles;

/// The backend's name in errors and [`StoreInfo`].
pub(crate) const GRIDFS_BACKEND: &str = "mongodb-gridfs";

/// The default largest value: values are read back whole into memory, so they are bounded.
pub const DEFAULT_MAX_GRIDFS_VALUE: usize = 4 * 1024 * 1024 * 1024;
/// How often a read retries when a concurrent writer replaced the file it was reading.
pub(crate) const READ_ATTEMPTS: usize = 8;
/// Default age after which a file no key points to is garbage (see `with_orphan_grace`).
pub const DEFAULT_ORPHAN_GRACE: Duration = Duration::from_secs(600);

/// An [`AsyncKvStorage`] for values of any size: each value is a file of the GridFS bucket
/// `<namespace>`, and the collection `<namespace>.keys` maps each key to its current file:
/// `{_id: key, f: file id, n: length, e: expiry Date}`.
///
/// A write uploads a complete new file first, then swings the key's pointer to it in one atomic
/// `findAndModify` and deletes the file it replaced. So a reader always finds one whole version
/// (if the file it was reading is replaced under it, it follows the pointer again), and of
/// concurrent writers of one key the last pointer swing wins with one whole value.
/// `compare_and_set` and `compare_and_delete` read the value, compare it, and swing or remove
/// the pointer only if it still names the file compared (file ids are never reused), so they are
/// atomic too. Expired entries are invisible to reads;
/// [`purge_expired`](AsyncKvStorage::purge_expired) deletes them and their files.
///
/// A writer that dies between its upload and its pointer swing leaves a file no key points to;
/// so does a server whose `findAndModify` is not atomic under concurrency (SecantusDB 0.7.0b3
/// hands the same pre-image to concurrent callers; mongod does not). `purge_expired` also
/// deletes such orphan files once they are older than the orphan grace (10 minutes by default,
/// far longer than any upload in flight).
#[derive(Clone, Debug)]
pub struct GridFsStorage {
    bucket: GridFsBucket,
    keys: Collection<Document>,
    max_value_len: usize,
    orphan_grace: Duration,
    /// The longest any entry lives ([`MongoOptions::store_ttl`]).
    store_ttl: document::StoreTtl,
    /// The bucket's collections, for batches of files.
    stored_files: BucketFiles,
}

pub(crate) fn live_at(index: &Document, now: Timestamp) -> bool {
    !document::expiry(index).is_some_and(|at| at.is_expired_at(now))
}

pub(crate) fn file_id(index: &Document) -> Option<ObjectId> {
    index.get_object_id("f").ok()
}

impl GridFsStorage {
    /// Connects and opens the bucket of `options.namespace`.
    pub async fn connect(options: MongoOptions) -> Result<Self> {
        let (client, database) = options.client().await?;
        let store = Self::with_client(&client, &database, &options.namespace)?;
        match options.store_ttl {
            Some(ttl) => store.with_store_ttl(ttl).await,
            None => Ok(store),
        }
    }

    /// The same store with a TTL for the whole store (see [`MongoOptions::store_ttl`]): the
    /// pointers already stored that would outlive it now expire `ttl` from now.
    pub async fn with_store_ttl(mut self, ttl: Duration) -> Result<Self> {
        self.store_ttl.set(&self.keys, ttl).await?;
        Ok(self)
    }

    /// The expiry of a write with `ttl` at `now`, within the store's TTL.
    pub(crate) fn expiry(
        &self,
        ttl: Option<Duration>,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        self.store_ttl.expiry(ttl, now)
    }

    /// Opens the bucket `namespace` in `database` with an existing client.
    pub fn with_client(client: &Client, database: &str, namespace: &str) -> Result<Self> {
        let namespace = Namespace::new(namespace)?;
        let database = client.database(database);
        let bucket = database.gridfs_bucket(
            GridFsBucketOptions::builder()
                .bucket_name(namespace.as_str().to_owned())
                .build(),
        );
        let keys = database.collection::<Document>(&format!("{}.keys", namespace.as_str()));
        let stored_files = BucketFiles::new(&database, namespace.as_str());
        Ok(GridFsStorage {
            stored_files,
            bucket,
            keys,
            max_value_len: DEFAULT_MAX_GRIDFS_VALUE,
            orphan_grace: DEFAULT_ORPHAN_GRACE,
            store_ttl: document::StoreTtl::default(),
        })
    }

    /// The sync face: the store built on, and driven by, a runtime of its own.
    pub fn open_blocking(options: MongoOptions) -> Result<BlockingAdapter<GridFsStorage>> {
        BlockingAdapter::open(|| Self::connect(options))
    }

    /// How old a file no key points to must be before `purge_expired` deletes it.
    pub fn with_orphan_grace(mut self, grace: Duration) -> Self {
        self.orphan_grace = grace;
        self
    }

    /// Deletes files older than the orphan grace that no key points to; returns how many.
    async fn purge_orphans(&self) -> Result<usize> {
        let grace = i64::try_from(self.orphan_grace.as_millis()).unwrap_or(i64::MAX);
        let cutoff = DateTime::from_millis(Timestamp::now().as_millis().saturating_sub(grace));
        let files = self
            .bucket
            .find(doc! { "uploadDate": { "$lt": cutoff } })
            .await
            .map_err(mongo_error("purge_expired"))?;
        let files: Vec<_> = files
            .try_collect()
            .await
            .map_err(mongo_error("purge_expired"))?;
        let mut purged = 0;
        for file in files {
            let Bson::ObjectId(id) = file.id else {
                continue;
            };
            let key = file.filename.unwrap_or_default();
            let index = self.index_of(&key, "purge_expired").await?;
            if index.as_ref().and_then(file_id) != Some(id) {
                self.delete_file(Some(id)).await;
                purged += 1;
            }
        }
        Ok(purged)
    }

    /// Swings the pointer of `key` to `file`, an uploaded file of `length` bytes, and deletes
    /// the file it named (or `file`, if the swing fails).
    pub(crate) async fn point(
        &self,
        key: &str,
        file: ObjectId,
        length: usize,
        expires_at: Option<Timestamp>,
    ) -> Result<()> {
        let replaced = self.swing(key, file, length, expires_at).await?;
        self.delete_file(replaced).await;
        Ok(())
    }

    /// Swings the pointer of `key` to `file` (one `findAndModify`); returns the file it named
    /// before, for the caller to delete. If the swing fails, `file` is deleted.
    pub(crate) async fn swing(
        &self,
        key: &str,
        file: ObjectId,
        length: usize,
        expires_at: Option<Timestamp>,
    ) -> Result<Option<ObjectId>> {
        let replaced = self
            .keys
            .find_one_and_replace(
                doc! { "_id": key },
                Self::index(key, file, length, expires_at),
            )
            .upsert(true)
            .await;
        match replaced {
            Ok(old) => Ok(old.as_ref().and_then(file_id)),
            Err(error) => {
                self.delete_file(Some(file)).await;
                Err(mongo_error("set")(error))
            }
        }
    }

    /// The collection of the pointers.
    pub(crate) fn keys(&self) -> &Collection<Document> {
        &self.keys
    }

    /// The bucket's `files` and `chunks` collections, for batches of files.
    pub(crate) fn stored_files(&self) -> &BucketFiles {
        &self.stored_files
    }

    /// The bucket of the values' files.
    pub(crate) fn bucket(&self) -> &GridFsBucket {
        &self.bucket
    }

    /// The largest value the store takes.
    pub(crate) fn max_value_len(&self) -> usize {
        self.max_value_len
    }

    /// Refuses values over `max` bytes.
    pub fn with_max_value_len(mut self, max: usize) -> Self {
        self.max_value_len = max;
        self
    }

    pub(crate) async fn upload(&self, key: &str, value: &[u8]) -> Result<ObjectId> {
        let id = ObjectId::new();
        let mut stream = self
            .bucket
            .open_upload_stream(key)
            .id(Bson::ObjectId(id))
            .await
            .map_err(mongo_error("upload"))?;
        let written = async {
            stream.write_all(value).await?;
            stream.close().await
        }
        .await;
        if let Err(error) = written {
            let _ = stream.abort().await;
            return Err(stream_error("upload")(error));
        }
        Ok(id)
    }

    async fn download(&self, id: ObjectId, length: usize) -> Result<Vec<u8>> {
        let mut stream = self
            .bucket
            .open_download_stream(Bson::ObjectId(id))
            .await
            .map_err(mongo_error("download"))?;
        let mut value = Vec::with_capacity(length);
        stream
            .read_to_end(&mut value)
            .await
            .map_err(stream_error("download"))?;
        Ok(value)
    }

    /// Deletes the file `id`, if any (already gone is fine: see [`BucketFiles::delete`]).
    async fn delete_file(&self, id: Option<ObjectId>) {
        if let Some(id) = id {
            self.stored_files.delete(vec![id]).await;
        }
    }

    pub(crate) fn index(
        key: &str,
        file: ObjectId,
        length: usize,
        expires_at: Option<Timestamp>,
    ) -> Document {
        let mut index =
            doc! { "_id": key, "f": file, "n": i64::try_from(length).unwrap_or(i64::MAX) };
        if let Some(at) = expires_at {
            index.insert("e", DateTime::from_millis(at.as_millis()));
        }
        index
    }

    /// The length recorded in a pointer.
    pub(crate) fn length(index: &Document) -> usize {
        usize::try_from(index.get_i64("n").unwrap_or(0)).unwrap_or(0)
    }

    /// Reads the live entry of `key`, following the pointer again if the file was replaced.
    pub(crate) async fn read(&self, key: &str, index: Option<Document>) -> Result<Option<Entry>> {
        Ok(self
            .read_indexed(key, index, Held::Live)
            .await?
            .map(|(_, entry)| entry))
    }

    /// The pointer of `key` if its live value is `expected`: a conditional operation then
    /// swings or removes exactly that pointer (file ids are never reused, so a pointer that
    /// still names the file compared has not been written since).
    async fn pointer_if_value(&self, key: &str, expected: &[u8]) -> Result<Option<Document>> {
        Ok(self
            .read_indexed(key, None, Held::Live)
            .await?
            .filter(|(_, entry)| entry.value == expected)
            .map(|(index, _)| index))
    }

    /// The filter matching `index`'s pointer while it is live.
    fn same_pointer(key: &str, index: &Document) -> Document {
        and_live(doc! { "_id": key, "f": file_id(index) }, Timestamp::now())
    }

    /// [`read`](Self::read), with the pointer the value was read through; with
    /// [`Held::Expired`] an expired entry too, while its pointer and file are kept.
    async fn read_indexed(
        &self,
        key: &str,
        index: Option<Document>,
        held: Held,
    ) -> Result<Option<(Document, Entry)>> {
        let mut index = index;
        for _ in 0..READ_ATTEMPTS {
            let current = match index.take() {
                Some(index) => index,
                None => match self.index_of(key, "get").await? {
                    Some(found) => found,
                    None => return Ok(None),
                },
            };
            if held == Held::Live && !live_at(&current, Timestamp::now()) {
                return Ok(None);
            }
            let Some(file) = file_id(&current) else {
                return Err(Error::corrupt(key, "GridFS index entry without a file id"));
            };
            match self.download(file, Self::length(&current)).await {
                Ok(value) => {
                    let expires_at = document::expiry(&current);
                    return Ok(Some((current, Entry { value, expires_at })));
                }
                Err(error) => {
                    let now = self.index_of(key, "get").await?;
                    if now.as_ref().and_then(file_id) == Some(file) {
                        return Err(error);
                    }
                }
            }
        }
        Err(Error::backend(
            BACKEND,
            "get",
            ErrorKind::Conflict,
            "the value kept being replaced while reading it",
        ))
    }

    async fn page(
        &self,
        expired_too: bool,
        range: &KeyRange,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<Document>> {
        let filter = document::page_filter(range, after);
        let cursor = self
            .keys
            .find(document::scanned(filter, expired_too))
            .sort(doc! { "_id": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(mongo_error("scan"))?;
        cursor.try_collect().await.map_err(mongo_error("scan"))
    }

    async fn records(
        &self,
        scan: Scan<'static>,
        range: &KeyRange,
        after: Option<String>,
        limit: usize,
    ) -> Result<Page> {
        let mode = scan.mode();
        let indexes = self.page(scan.lists_expired(), range, after, limit).await?;
        // The values of the page in one read of their chunks; a file replaced meanwhile is
        // read again through its pointer below.
        let mut contents = if mode.values() {
            self.values_of(&indexes).await?
        } else {
            Default::default()
        };
        let mut last_key = None;
        let mut entries = Vec::with_capacity(indexes.len());
        for index in indexes {
            let key = match document::key(&index) {
                Ok(key) => key,
                Err(error) => {
                    entries.push(Err(error));
                    continue;
                }
            };
            last_key = Some(key.clone());
            let expires_at = document::expiry(&index);
            if !mode.values() {
                entries.push(Ok(Record {
                    key,
                    value: None,
                    expires_at,
                }));
                continue;
            }
            if let Some(record) = record_with_value(key.clone(), &index, &mut contents) {
                entries.push(Ok(record));
                continue;
            }
            let held = if scan.lists_expired() {
                Held::Expired
            } else {
                Held::Live
            };
            match self.read_indexed(&key, Some(index), held).await {
                Ok(Some((_, entry))) => entries.push(Ok(Record {
                    key,
                    value: Some(entry.value),
                    expires_at: entry.expires_at,
                })),
                Ok(None) => {}
                Err(error) if error.is_invalid_data() => entries.push(Err(error)),
                Err(error) => return Err(error),
            }
        }
        Ok(Page::new(entries, last_key))
    }

    /// Removes the pointer of `key` (live or expired) and returns it.
    pub(crate) async fn take_index(
        &self,
        key: &str,
        operation: &'static str,
    ) -> Result<Option<Document>> {
        check_key(key)?;
        self.keys
            .find_one_and_delete(doc! { "_id": key })
            .await
            .map_err(mongo_error(operation))
    }

    /// How many pointers match `filter`.
    async fn count_pointers(&self, filter: Document, operation: &'static str) -> Result<usize> {
        let count = self
            .keys
            .count_documents(filter)
            .await
            .map_err(mongo_error(operation))?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// The pointer of `key`, live or expired.
    pub(crate) async fn index_of(
        &self,
        key: &str,
        operation: &'static str,
    ) -> Result<Option<Document>> {
        self.keys
            .find_one(doc! { "_id": key })
            .await
            .map_err(mongo_error(operation))
    }
}

/// Which entries a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Live entries only.
    Live,
    /// Expired entries too, while the store holds them.
    Expired,
}

impl Store for GridFsStorage {
    fn info(&self) -> StoreInfo<'_> {
        let info = StoreInfo::new(GRIDFS_BACKEND).max_value_len(self.max_value_len);
        match self.keys.name().strip_suffix(".keys") {
            Some(namespace) => info.namespace(namespace),
            None => info,
        }
    }
}

#[async_trait]
impl AsyncKvStorage for GridFsStorage {
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        self.read(key, None).await
    }

    /// The entry through its pointer even after it expired, until `purge_expired` (or the
    /// TTL monitor, where the server runs one on the pointers) removes it.
    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        check_key(key)?;
        Ok(self
            .read_indexed(key, None, Held::Expired)
            .await?
            .map(|(_, entry)| entry))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        check_entry(GRIDFS_BACKEND, key, value, self.max_value_len)?;
        let expires_at = self.expiry(ttl, Timestamp::now())?;
        let file = self.upload(key, value).await?;
        self.point(key, file, value.len(), expires_at).await
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        check_entry(GRIDFS_BACKEND, key, value, self.max_value_len)?;
        let now = Timestamp::now();
        let expires_at = self.expiry(ttl, now)?;
        let file = self.upload(key, value).await?;
        let mut only_expired = doc! { "_id": key };
        only_expired.extend(document::expired(now));
        let claimed = self
            .keys
            .find_one_and_replace(
                only_expired,
                Self::index(key, file, value.len(), expires_at),
            )
            .upsert(true)
            .await;
        match claimed {
            Ok(old) => {
                self.delete_file(old.as_ref().and_then(file_id)).await;
                Ok(true)
            }
            Err(error) => {
                self.delete_file(Some(file)).await;
                if is_duplicate_key(&error) {
                    Ok(false)
                } else {
                    Err(mongo_error("set_if_absent")(error))
                }
            }
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
        check_entry(GRIDFS_BACKEND, key, value, self.max_value_len)?;
        let expires_at = self.expiry(ttl, Timestamp::now())?;
        let Some(current) = self.pointer_if_value(key, expected).await? else {
            return Ok(false);
        };
        let file = self.upload(key, value).await?;
        let swung = self
            .keys
            .find_one_and_replace(
                Self::same_pointer(key, &current),
                Self::index(key, file, value.len(), expires_at),
            )
            .await;
        match swung {
            Ok(Some(old)) => {
                self.delete_file(file_id(&old)).await;
                Ok(true)
            }
            Ok(None) => {
                self.delete_file(Some(file)).await;
                Ok(false)
            }
            Err(error) => {
                self.delete_file(Some(file)).await;
                Err(mongo_error("compare_and_set")(error))
            }
        }
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let Some(current) = self.pointer_if_value(key, expected).await? else {
            return Ok(false);
        };
        let taken = self
            .keys
            .find_one_and_delete(Self::same_pointer(key, &current))
            .await
            .map_err(mongo_error("compare_and_delete"))?;
        match taken {
            Some(taken) => {
                self.delete_file(file_id(&taken)).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let Some(taken) = self.take_index(key, "delete").await? else {
            return Ok(false);
        };
        self.delete_file(file_id(&taken)).await;
        Ok(live_at(&taken, Timestamp::now()))
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(taken) = self.take_index(key, "pop").await? else {
            return Ok(None);
        };
        let file = file_id(&taken);
        let value = match file {
            Some(file) if live_at(&taken, Timestamp::now()) => {
                Some(self.download(file, Self::length(&taken)).await)
            }
            _ => None,
        };
        self.delete_file(file).await;
        value.transpose()
    }

    async fn expiry(&self, key: &str) -> Result<Option<Expiry>> {
        check_key(key)?;
        let index = self.index_of(key, "expiry").await?;
        Ok(index
            .filter(|index| live_at(index, Timestamp::now()))
            .map(|index| Expiry::from_option(document::expiry(&index))))
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        Ok(AsyncKvStorage::expiry(self, key).await?.is_some())
    }

    async fn scan(&self, scan: Scan<'_>) -> Result<BoxStream<'_, Record>> {
        let range = scan.key_range();
        let scan = scan.prefix("");
        Ok(paginate_page_stream(
            DEFAULT_PAGE_SIZE,
            move |after, limit| {
                let range = range.clone();
                async move { self.records(scan, &range, after, limit).await }
            },
        ))
    }

    async fn clear(&self) -> Result<()> {
        self.keys
            .delete_many(Document::new())
            .await
            .map_err(mongo_error("clear"))?;
        match self.bucket.drop().await {
            Ok(()) => Ok(()),
            // Dropping a bucket that was never written is not an error.
            Err(error) if matches!(*error.kind, mongodb::error::ErrorKind::Command(ref c) if c.code == 26) => {
                Ok(())
            }
            Err(error) => Err(mongo_error("clear")(error)),
        }
    }

    async fn len(&self) -> Result<usize> {
        self.count_pointers(document::live(Timestamp::now()), "len")
            .await
    }

    /// Pointers held, expired ones included until `purge_expired` removes them.
    async fn len_including_expired(&self) -> Result<usize> {
        self.count_pointers(doc! {}, "len_including_expired").await
    }

    /// The bytes of the values held (the lengths their pointers record; GridFS adds its chunk
    /// and file documents' overhead), in one aggregation over the pointers.
    async fn size(&self) -> Result<Option<u64>> {
        document::total(&self.keys, Bson::from("$n"), "size")
            .await
            .map(Some)
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        self.delete_many_batched(keys).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        self.get_many_batched(keys).await
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        self.set_entries_batched(entries).await
    }

    async fn purge_expired(&self) -> Result<usize> {
        let now = Timestamp::now();
        let cursor = self
            .keys
            .find(document::expired(now))
            .await
            .map_err(mongo_error("purge_expired"))?;
        let expired: Vec<Document> = cursor
            .try_collect()
            .await
            .map_err(mongo_error("purge_expired"))?;
        let mut purged = 0;
        for index in expired {
            let key = document::key(&index)?;
            let mut filter = doc! { "_id": &key };
            filter.extend(document::expired(now));
            // Re-checked atomically: a key rewritten since the find is left alone.
            if let Some(taken) = self
                .keys
                .find_one_and_delete(filter)
                .await
                .map_err(mongo_error("purge_expired"))?
            {
                self.delete_file(file_id(&taken)).await;
                purged += 1;
            }
        }
        self.purge_orphans().await?;
        Ok(purged)
    }
}
