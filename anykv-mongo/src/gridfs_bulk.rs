//! The bulk operations of [`GridFsStorage`]: the files of a batch are written, read and
//! deleted together (see `gridfs_files`), the pointers one `findAndModify` each, so a
//! concurrent writer of the same key never loses its file nor leaves one behind.

use std::collections::{BTreeSet, HashMap};

use anykv_core::limits::check_key;
use anykv_core::{Record, Result, SetEntry, Store, Timestamp};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::document;
use crate::error::mongo_error;
use crate::gridfs::{file_id, live_at, GridFsStorage};
use crate::gridfs_files::{NewFile, CHUNK_SIZE};

/// Keys per `$in` list, and entries per batch of files.
const BATCH_ENTRIES: usize = 1000;
/// Bytes of values per batch of files.
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Values larger than this are uploaded one by one through the driver's stream, chunk by
/// chunk, instead of being copied into a batch.
const BATCHED_VALUE_MAX: usize = 4 * CHUNK_SIZE;

impl GridFsStorage {
    /// `get_many`: per 1000 keys, one `find` of the pointers and one of the chunks of their
    /// files; a value whose file was replaced meanwhile is read again through its pointer.
    pub(crate) async fn get_many_batched(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let mut found: HashMap<String, Vec<u8>> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_ENTRIES) {
            let pointers = self.pointers(chunk).await?;
            let now = Timestamp::now();
            let live: Vec<Document> = pointers.into_iter().filter(|p| live_at(p, now)).collect();
            let mut contents = self.values_of(&live).await?;
            for pointer in live {
                let key = document::key(&pointer)?;
                let value = match file_id(&pointer).and_then(|id| contents.remove(&id)) {
                    Some(value) => Some(value),
                    None => self.read(&key, None).await?.map(|entry| entry.value),
                };
                if let Some(value) = value {
                    found.insert(key, value);
                }
            }
        }
        Ok(keys.iter().map(|key| found.get(*key).cloned()).collect())
    }

    /// `set_many`: values up to 1 MiB are written in batches (their chunks in one `insert`,
    /// their file documents in another), larger ones through the driver's upload stream; then
    /// each key's pointer swings to its new file, and the files they named are deleted together.
    pub(crate) async fn set_entries_batched(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        Store::check_entries(self, entries)?;
        let now = Timestamp::now();
        // In the order given, so that of two entries of one key the later wins.
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        for entry in entries {
            if entry.value.len() > BATCHED_VALUE_MAX {
                self.set_batch(&std::mem::take(&mut batch), now).await?;
                batch_bytes = 0;
                let expires_at = self.expiry(entry.ttl, now)?;
                let file = self.upload(entry.key, entry.value).await?;
                self.point(entry.key, file, entry.value.len(), expires_at)
                    .await?;
                continue;
            }
            if batch.len() == BATCH_ENTRIES || batch_bytes + entry.value.len() > BATCH_BYTES {
                self.set_batch(&std::mem::take(&mut batch), now).await?;
                batch_bytes = 0;
            }
            batch_bytes += entry.value.len();
            batch.push(entry);
        }
        self.set_batch(&batch, now).await
    }

    async fn set_batch(&self, batch: &[&SetEntry<'_>], now: Timestamp) -> Result<()> {
        let expiries = batch
            .iter()
            .map(|entry| self.expiry(entry.ttl, now))
            .collect::<Result<Vec<_>>>()?;
        let files: Vec<NewFile<'_>> = batch
            .iter()
            .map(|entry| NewFile {
                id: ObjectId::new(),
                name: entry.key,
                content: entry.value,
            })
            .collect();
        self.stored_files().upload(&files).await?;
        let mut replaced = Vec::new();
        for (at, ((file, entry), expires_at)) in files.iter().zip(batch).zip(expiries).enumerate() {
            match self
                .swing(entry.key, file.id, entry.value.len(), expires_at)
                .await
            {
                Ok(old) => replaced.extend(old),
                Err(error) => {
                    // The swing deleted its own file; the later ones were never pointed to.
                    replaced.extend(files[at + 1..].iter().map(|file| file.id));
                    self.stored_files().delete(replaced).await;
                    return Err(error);
                }
            }
        }
        self.stored_files().delete(replaced).await;
        Ok(())
    }

    /// `delete_many`: each key's pointer taken away (one `findAndModify` each, so a concurrent
    /// write is either deleted with its file or kept whole), their files deleted together.
    pub(crate) async fn delete_many_batched(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let distinct: BTreeSet<&str> = keys.iter().copied().collect();
        let mut deleted = 0;
        let mut files = Vec::new();
        for key in distinct {
            if let Some(taken) = self.take_index(key, "delete_many").await? {
                deleted += usize::from(live_at(&taken, Timestamp::now()));
                files.extend(file_id(&taken));
            }
            if files.len() == BATCH_ENTRIES {
                self.stored_files().delete(std::mem::take(&mut files)).await;
            }
        }
        self.stored_files().delete(files).await;
        Ok(deleted)
    }

    /// The contents of the files `pointers` name (those of up to 1 MiB), read in one query of
    /// their chunks; a pointer whose file is not among them (replaced meanwhile, or larger) is
    /// left to the caller to read through the pointer.
    pub(crate) async fn values_of(
        &self,
        pointers: &[Document],
    ) -> Result<HashMap<ObjectId, Vec<u8>>> {
        let files: Vec<(ObjectId, usize)> = pointers
            .iter()
            .filter_map(|pointer| Some((file_id(pointer)?, Self::length(pointer))))
            .filter(|(_, length)| *length <= BATCHED_VALUE_MAX)
            .collect();
        self.stored_files().download(&files).await
    }

    /// The pointers of `keys`, live or expired, in one `find`.
    async fn pointers(&self, keys: &[&str]) -> Result<Vec<Document>> {
        let cursor = self
            .keys()
            .find(doc! { "_id": { "$in": keys } })
            .await
            .map_err(mongo_error("get_many"))?;
        cursor.try_collect().await.map_err(mongo_error("get_many"))
    }
}

/// A scanned record with its value, when the page's batch read it.
pub(crate) fn record_with_value(
    key: String,
    pointer: &Document,
    contents: &mut HashMap<ObjectId, Vec<u8>>,
) -> Option<Record> {
    let value = contents.remove(&file_id(pointer)?)?;
    Some(Record {
        key,
        value: Some(value),
        expires_at: document::expiry(pointer),
    })
}
