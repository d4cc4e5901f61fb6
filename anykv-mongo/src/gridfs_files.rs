//! Many GridFS files at once: uploads, downloads and deletions of a batch in a few commands on
//! the bucket's `files` and `chunks` collections, in the format of the GridFS specification
//! (the driver reads these files, and these functions read the driver's).
//!
//! Bulk operations of [`GridFsStorage`](crate::GridFsStorage) use them for the files, and keep
//! one `findAndModify` per key for the pointers, so that no file is lost or left behind by a
//! concurrent writer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anykv_core::Result;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, spec::BinarySubtype, Binary, Bson, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};

use crate::error::mongo_error;

/// The chunk size of the files written here: the driver's default, 255 KiB.
pub(crate) const CHUNK_SIZE: usize = 255 * 1024;

/// The `files` and `chunks` collections of one bucket.
#[derive(Clone, Debug)]
pub(crate) struct BucketFiles {
    files: Collection<Document>,
    chunks: Collection<Document>,
    /// Whether the indexes GridFS readers need were made (by this store; making them again is
    /// harmless).
    indexed: Arc<AtomicBool>,
}

/// A file to write: its id, the name GridFS records (the key) and its content.
pub(crate) struct NewFile<'a> {
    pub(crate) id: ObjectId,
    pub(crate) name: &'a str,
    pub(crate) content: &'a [u8],
}

impl BucketFiles {
    /// The collections of the bucket `bucket` in `database`.
    pub(crate) fn new(database: &Database, bucket: &str) -> Self {
        BucketFiles {
            files: database.collection(&format!("{bucket}.files")),
            chunks: database.collection(&format!("{bucket}.chunks")),
            indexed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Makes the indexes of the GridFS specification (`files`: filename + uploadDate; `chunks`:
    /// files_id + n, unique), once per store.
    async fn ensure_indexes(&self) -> Result<()> {
        if self.indexed.load(Ordering::Acquire) {
            return Ok(());
        }
        self.files
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "filename": 1, "uploadDate": 1 })
                    .build(),
            )
            .await
            .map_err(mongo_error("upload"))?;
        let unique = IndexOptions::builder().unique(true).build();
        self.chunks
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "files_id": 1, "n": 1 })
                    .options(unique)
                    .build(),
            )
            .await
            .map_err(mongo_error("upload"))?;
        self.indexed.store(true, Ordering::Release);
        Ok(())
    }

    /// Writes every file of `files`: their chunks in one `insert` (split by the driver into
    /// messages of the server's size), then their `files` documents, which make them readable.
    /// On an error the files already written are removed.
    pub(crate) async fn upload(&self, files: &[NewFile<'_>]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        self.ensure_indexes().await?;
        let now = DateTime::now();
        let mut chunks = Vec::new();
        for file in files {
            for (n, data) in file.content.chunks(CHUNK_SIZE).enumerate() {
                chunks.push(doc! {
                    "_id": ObjectId::new(),
                    "files_id": file.id,
                    "n": i32::try_from(n).unwrap_or(i32::MAX),
                    "data": Binary { subtype: BinarySubtype::Generic, bytes: data.to_vec() },
                });
            }
        }
        let documents: Vec<Document> = files
            .iter()
            .map(|file| {
                doc! {
                    "_id": file.id,
                    "length": i64::try_from(file.content.len()).unwrap_or(i64::MAX),
                    "chunkSize": i32::try_from(CHUNK_SIZE).unwrap_or(i32::MAX),
                    "uploadDate": now,
                    "filename": file.name,
                }
            })
            .collect();
        let written = async {
            if !chunks.is_empty() {
                self.chunks.insert_many(chunks).await?;
            }
            self.files.insert_many(documents).await.map(drop)
        }
        .await;
        if let Err(error) = written {
            self.delete(files.iter().map(|file| file.id).collect())
                .await;
            return Err(mongo_error("upload")(error));
        }
        Ok(())
    }

    /// The contents of the complete files among `files` (id, expected length), read in one
    /// query of their chunks; a file whose chunks are missing or of another length (deleted
    /// or replaced meanwhile) is left out, for the caller to read again.
    pub(crate) async fn download(
        &self,
        files: &[(ObjectId, usize)],
    ) -> Result<HashMap<ObjectId, Vec<u8>>> {
        let expected: HashMap<ObjectId, usize> = files.iter().copied().collect();
        let mut contents: HashMap<ObjectId, Vec<u8>> = HashMap::with_capacity(files.len());
        let mut broken = Vec::new();
        if files.is_empty() {
            return Ok(contents);
        }
        let ids: Vec<ObjectId> = expected.keys().copied().collect();
        let mut cursor = self
            .chunks
            .find(doc! { "files_id": { "$in": ids } })
            .sort(doc! { "files_id": 1, "n": 1 })
            .await
            .map_err(mongo_error("download"))?;
        while let Some(chunk) = cursor.try_next().await.map_err(mongo_error("download"))? {
            let (Ok(id), Ok(n), Ok(data)) = (
                chunk.get_object_id("files_id"),
                chunk.get_i32("n"),
                chunk.get_binary_generic("data"),
            ) else {
                continue;
            };
            let Some(&length) = expected.get(&id) else {
                continue;
            };
            let content = contents
                .entry(id)
                .or_insert_with(|| Vec::with_capacity(length));
            let in_order = usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(CHUNK_SIZE))
                == Some(content.len());
            if in_order && content.len() + data.len() <= length {
                content.extend_from_slice(data);
            } else {
                broken.push(id);
            }
        }
        for id in broken {
            contents.remove(&id);
        }
        contents.retain(|id, content| expected.get(id) == Some(&content.len()));
        for (&id, &length) in &expected {
            if length == 0 && self.exists(id).await? {
                contents.insert(id, Vec::new());
            }
        }
        Ok(contents)
    }

    /// Whether the `files` document of `id` exists (an empty file has no chunk to tell).
    async fn exists(&self, id: ObjectId) -> Result<bool> {
        let found = self
            .files
            .find_one(doc! { "_id": id })
            .await
            .map_err(mongo_error("download"))?;
        Ok(found.is_some())
    }

    /// Removes the files `ids` (their `files` documents first, so no reader finds a file without
    /// its chunks, then the chunks). Files already gone are fine; a failure leaves orphans, which
    /// `purge_expired` removes.
    pub(crate) async fn delete(&self, ids: Vec<ObjectId>) {
        if ids.is_empty() {
            return;
        }
        let ids: Vec<Bson> = ids.into_iter().map(Bson::ObjectId).collect();
        let _ = self
            .files
            .delete_many(doc! { "_id": { "$in": &ids } })
            .await;
        let _ = self
            .chunks
            .delete_many(doc! { "files_id": { "$in": &ids } })
            .await;
    }
}
