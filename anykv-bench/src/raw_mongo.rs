//! The raw `mongodb` driver doing the same work as `MongoStorage`, driven from a plain thread
//! the same way (a runtime of its own, `block_on` per call).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, spec::BinarySubtype, Binary, Bson, Document};
use mongodb::Collection;

use crate::raw::RawStore;

fn fail(e: mongodb::error::Error) -> anykv_core::Error {
    anykv_core::Error::backend("raw", "bench", anykv_core::ErrorKind::Other, e)
}

pub struct RawMongo {
    runtime: tokio::runtime::Runtime,
    collection: Collection<Document>,
}

impl RawMongo {
    pub fn new(url: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let collection = runtime.block_on(async {
            let client = mongodb::Client::with_uri_str(url).await?;
            Ok::<_, mongodb::error::Error>(
                client.database("kv_bench").collection::<Document>("raw"),
            )
        })?;
        Ok(RawMongo {
            runtime,
            collection,
        })
    }

    fn doc(key: &str, value: &[u8]) -> Document {
        doc! { "_id": key, "v": Binary { subtype: BinarySubtype::Generic, bytes: value.to_vec() } }
    }

    fn value(mut document: Document) -> Option<Vec<u8>> {
        match document.remove("v") {
            Some(Bson::Binary(binary)) => Some(binary.bytes),
            _ => None,
        }
    }
}

impl RawStore for RawMongo {
    fn version(&self) -> Option<String> {
        let info = self
            .runtime
            .block_on(async {
                self.collection
                    .client()
                    .database("admin")
                    .run_command(doc! { "buildInfo": 1 })
                    .await
            })
            .ok()?;
        Some(format!(
            "MongoDB wire protocol server {}",
            info.get_str("version").unwrap_or("(no version)")
        ))
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error> {
        let found = self
            .runtime
            .block_on(async { self.collection.find_one(doc! { "_id": key }).await })
            .map_err(fail)?;
        Ok(found.and_then(Self::value))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error> {
        let replace = self
            .collection
            .replace_one(doc! { "_id": key }, Self::doc(key, value))
            .upsert(true);
        self.runtime
            .block_on(async { replace.await })
            .map(drop)
            .map_err(fail)
    }

    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let find = self
            .collection
            .find_one(doc! { "_id": key })
            .projection(doc! { "v": 0 });
        Ok(self
            .runtime
            .block_on(async { find.await })
            .map_err(fail)?
            .is_some())
    }

    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let delete = self.collection.find_one_and_delete(doc! { "_id": key });
        Ok(self
            .runtime
            .block_on(async { delete.await })
            .map_err(fail)?
            .is_some())
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error> {
        let documents: Vec<Document> = self
            .runtime
            .block_on(async {
                self.collection
                    .find(doc! { "_id": { "$in": keys } })
                    .await?
                    .try_collect()
                    .await
            })
            .map_err(fail)?;
        let mut found: HashMap<String, Vec<u8>> = HashMap::new();
        for mut d in documents {
            if let (Ok(key), Some(Bson::Binary(v))) =
                (d.get_str("_id").map(str::to_owned), d.remove("v"))
            {
                found.insert(key, v.bytes);
            }
        }
        Ok(keys.iter().map(|k| found.get(*k).cloned()).collect())
    }

    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error> {
        let updates: Vec<Document> = entries
            .iter()
            .map(|(k, v)| doc! { "q": { "_id": *k }, "u": Self::doc(k, v), "upsert": true })
            .collect();
        let command = doc! { "update": "raw", "updates": updates, "ordered": true };
        let database = self.collection.namespace().db;
        self.runtime
            .block_on(async {
                let client = self.collection.client();
                client.database(&database).run_command(command).await
            })
            .map(drop)
            .map_err(fail)
    }
}
