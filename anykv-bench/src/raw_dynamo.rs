//! The raw AWS SDK doing the same calls as `DynamoStorage`, driven from a plain thread the same
//! way (a runtime of its own, `block_on` per call), on the store's own client.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, PutRequest, ReturnValue, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use crate::raw::RawStore;

fn fail(e: impl std::error::Error + Send + Sync + 'static) -> anykv_core::Error {
    anykv_core::Error::backend("raw", "bench", anykv_core::ErrorKind::Other, e)
}

pub struct RawDynamo {
    runtime: tokio::runtime::Runtime,
    client: Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

impl RawDynamo {
    pub fn new(client: Client, table: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        Ok(RawDynamo {
            runtime,
            client,
            table: table.to_owned(),
        })
    }

    fn key(key: &str) -> Item {
        HashMap::from([
            ("ns".to_owned(), AttributeValue::S("raw".into())),
            (
                "k".to_owned(),
                AttributeValue::B(Blob::new(key.as_bytes().to_vec())),
            ),
        ])
    }

    fn item(key: &str, value: &[u8]) -> Item {
        let mut item = Self::key(key);
        item.insert("v".into(), AttributeValue::B(Blob::new(value.to_vec())));
        item
    }

    fn value(item: &mut Item) -> Option<Vec<u8>> {
        match item.remove("v") {
            Some(AttributeValue::B(blob)) => Some(blob.into_inner()),
            _ => None,
        }
    }
}

impl RawStore for RawDynamo {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .consistent_read(true);
        let output = self.runtime.block_on(get.send()).map_err(fail)?;
        Ok(output.item.and_then(|mut item| Self::value(&mut item)))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(key, value)));
        self.runtime.block_on(put.send()).map(drop).map_err(fail)
    }

    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .consistent_read(true)
            .projection_expression("k");
        Ok(self
            .runtime
            .block_on(get.send())
            .map_err(fail)?
            .item
            .is_some())
    }

    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .return_values(ReturnValue::AllOld);
        Ok(self
            .runtime
            .block_on(delete.send())
            .map_err(fail)?
            .attributes
            .is_some())
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error> {
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(|k| Self::key(k)).collect()))
            .consistent_read(true)
            .build()
            .map_err(fail)?;
        let output = self
            .runtime
            .block_on(
                self.client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send(),
            )
            .map_err(fail)?;
        let mut found: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        for mut item in output
            .responses
            .unwrap_or_default()
            .remove(&self.table)
            .unwrap_or_default()
        {
            if let (Some(AttributeValue::B(k)), Some(v)) =
                (item.get("k").cloned(), Self::value(&mut item))
            {
                found.insert(k.into_inner(), v);
            }
        }
        Ok(keys
            .iter()
            .map(|k| found.get(k.as_bytes()).cloned())
            .collect())
    }

    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error> {
        for chunk in entries.chunks(25) {
            let requests = chunk
                .iter()
                .map(|(k, v)| {
                    let put = PutRequest::builder()
                        .set_item(Some(Self::item(k, v)))
                        .build()?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, aws_sdk_dynamodb::error::BuildError>>()
                .map_err(fail)?;
            self.runtime
                .block_on(
                    self.client
                        .batch_write_item()
                        .request_items(&self.table, requests)
                        .send(),
                )
                .map_err(fail)?;
        }
        Ok(())
    }
}
