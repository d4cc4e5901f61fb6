//! [`DynamoStorage`]: one item per entry in a table shared by many namespaces.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anykv_core::limits::{check_entry, check_key};
use anykv_core::pagination::{paginate_page_stream, Page, DEFAULT_PAGE_SIZE};
use anykv_core::time::expiry_from_ttl;
use anykv_core::{
    AsyncKvStorage, BlockingAdapter, BoxStream, Entry, Error, ErrorKind, Namespace, Record, Result,
    Scan, SetEntry, Store, StoreInfo, Timestamp,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, Select, WriteRequest,
};
use aws_sdk_dynamodb::Client;

use crate::config::DynamoOptions;
use crate::error::{build_error, is_condition_failed, sdk_error, BACKEND};
use crate::item::{AttributeNames, Item, Layout};
use crate::table::ensure_table;

/// Keys per BatchGetItem (DynamoDB's limit).
const BATCH_GET: usize = 100;
/// Requests per BatchWriteItem (DynamoDB's limit).
const BATCH_WRITE: usize = 25;
/// Attempts for unprocessed keys / items before giving up with a retryable error.
const BATCH_ATTEMPTS: u32 = 10;

/// The projection of keys and expiries only.
const KEYS_AND_EXPIRY: &str = "#ns, #k, #e";

fn now_value(now: Timestamp) -> AttributeValue {
    AttributeValue::N(now.as_millis().to_string())
}

/// The condition of a conditional write, with its placeholders.
struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// The item is missing or expired at `now`.
    fn absent(layout: &Layout, now: Timestamp) -> Self {
        let expression = "attribute_not_exists(#k) OR #e <= :now";
        Condition {
            expression,
            names: layout.placeholders(&[expression]),
            values: HashMap::from([(":now".to_owned(), now_value(now))]),
        }
    }

    /// The item is live at `now` and its value is `expected`.
    fn holds(layout: &Layout, expected: &[u8], now: Timestamp) -> Self {
        let expression = "#v = :expected AND (attribute_not_exists(#e) OR #e > :now)";
        Condition {
            expression,
            names: layout.placeholders(&[expression]),
            values: HashMap::from([
                (":now".to_owned(), now_value(now)),
                (
                    ":expected".to_owned(),
                    AttributeValue::B(Blob::new(expected.to_vec())),
                ),
            ]),
        }
    }
}

/// Waits before retry `attempt` of unprocessed batch work: 25 ms doubling, at most 1 s.
async fn backoff(attempt: u32) {
    let millis = 25u64.saturating_mul(1 << attempt.min(6)).min(1000);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

fn unprocessed(operation: &'static str) -> Error {
    Error::backend(
        BACKEND,
        operation,
        ErrorKind::Unavailable,
        "DynamoDB kept returning unprocessed items",
    )
}

/// An [`AsyncKvStorage`] with one DynamoDB item per entry; one table holds many namespaces.
///
/// Layout: partition key `ns` (S, the namespace), sort key `k` (B, the entry key; see the `item`
/// module for why Binary), value `v` (B), exact expiry `e` (N, ms) and `ttl` (N, epoch seconds,
/// the attribute DynamoDB's TTL deletes by, up to days late). Reads filter on `e`, so expiry is
/// exact to the millisecond.
///
/// Calls per operation: `get` / `contains` / `expiry` one consistent GetItem; `set` one
/// PutItem; `set_if_absent` one conditional PutItem (`attribute_not_exists(k) OR e <= now`);
/// `compare_and_set` / `compare_and_delete` one PutItem / DeleteItem conditioned on
/// `v = expected AND (attribute_not_exists(e) OR e > now)`;
/// `delete` / `pop` one DeleteItem returning the old item; `get_many` one BatchGetItem per 100
/// keys; `set_many` one BatchWriteItem per 25 entries (unprocessed items retried with backoff);
/// `delete_many` one BatchGetItem per 100 keys (to count live entries) and one BatchWriteItem per
/// 25; `keys` / `values` / `items` consistent Query pages on the namespace's partition (never a
/// Scan); `len` a paginated Query with `Select=COUNT` (exact; never the table's item-count
/// estimate); `clear` Query pages plus BatchWriteItem deletes. Values that would make an item
/// exceed 400 KB (attribute names included) are refused before sending.
///
/// The sync face is [`BlockingAdapter`]: see [`DynamoStorage::open_blocking`].
#[derive(Clone, Debug)]
pub struct DynamoStorage {
    client: Client,
    table: String,
    /// The namespace and the attribute names of its items.
    layout: Layout,
    /// What errors of reaching the service name: the endpoint, or the region's service.
    place: std::sync::Arc<str>,
    /// Strongly consistent reads.
    consistent_reads: bool,
    /// How [`create_table`](Self::create_table) creates the table.
    settings: crate::table::TableSettings,
}

impl DynamoStorage {
    /// Connects with `options`, creating the table first if `options.create_table`.
    pub async fn connect(options: DynamoOptions) -> Result<Self> {
        let client = crate::client::client(&options).await?;
        let mut store = Self::with_client(client, &options.table, &options.namespace)?;
        if let Some(endpoint) = &options.endpoint_url {
            store.place = endpoint.as_str().into();
        }
        store.consistent_reads = options.consistent_reads;
        store.settings = options.table_settings();
        store = store.with_attribute_names(options.attribute_names.clone())?;
        if options.create_table {
            store
                .create_table()
                .await
                .map_err(|error| store.name_place(error))?;
        }
        Ok(store)
    }

    /// The same store, naming its items' attributes `names` (for a table made elsewhere; see
    /// [`DynamoOptions::attribute_names`]).
    pub fn with_attribute_names(mut self, names: AttributeNames) -> Result<Self> {
        names.check()?;
        self.layout.names = names;
        Ok(self)
    }

    /// A store for `namespace` in `table` with an existing client.
    pub fn with_client(client: Client, table: &str, namespace: &str) -> Result<Self> {
        let place = match client.config().region() {
            Some(region) => format!("DynamoDB in {region}"),
            None => "DynamoDB".to_owned(),
        };
        Ok(DynamoStorage {
            client,
            table: table.to_owned(),
            layout: Layout {
                names: AttributeNames::default(),
                namespace: Namespace::new(namespace)?.as_str().to_owned(),
            },
            place: place.into(),
            consistent_reads: true,
            settings: crate::table::TableSettings::default(),
        })
    }

    /// Reads strongly consistently (`true`, the default) or eventually
    /// ([`DynamoOptions::consistent_reads`]).
    pub fn with_consistent_reads(mut self, consistent: bool) -> Self {
        self.consistent_reads = consistent;
        self
    }

    /// Maps an SDK error for `operation`, naming where the store was going when it could not
    /// get there.
    fn sdk_error<E>(
        &self,
        operation: &'static str,
    ) -> impl Fn(SdkError<E, HttpResponse>) -> Error + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        move |error| self.name_place(sdk_error(operation)(error))
    }

    /// `error`, naming the endpoint when it is about reaching it.
    fn name_place(&self, error: Error) -> Error {
        match error.kind() {
            ErrorKind::Unavailable | ErrorKind::TimedOut => error.at(&*self.place),
            _ => error,
        }
    }

    /// The sync face: the store built on, and driven by, a runtime of its own.
    pub fn open_blocking(options: DynamoOptions) -> Result<BlockingAdapter<DynamoStorage>> {
        BlockingAdapter::open(|| Self::connect(options))
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table if it is missing (with the options' capacity), waits until it is
    /// active, enables TTL (unless the options turned it off).
    pub async fn create_table(&self) -> Result<()> {
        ensure_table(&self.client, &self.table, &self.layout.names, self.settings).await
    }

    fn primary_key(&self, key: &str) -> Item {
        self.layout.primary_key(key)
    }

    /// Refuses a key over the limit, or a value over [`max_value_len`](anykv_core::Store::max_value_len):
    /// the room the 400 KB item limit leaves for the longest key with an expiry, so one limit
    /// holds for every key.
    fn check(&self, key: &str, value: &[u8]) -> Result<()> {
        check_entry(BACKEND, key, value, self.layout.max_value_len())
    }

    async fn get_item(&self, key: &str, with_value: bool) -> Result<Option<Item>> {
        let found = self.get_held_item(key, with_value).await?;
        let now = Timestamp::now();
        Ok(found.filter(|item| self.layout.is_live(item, now)))
    }

    /// The item of `key`, live or expired (until DynamoDB's TTL removes it).
    async fn get_held_item(&self, key: &str, with_value: bool) -> Result<Option<Item>> {
        check_key(key)?;
        let mut request = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.primary_key(key)))
            .consistent_read(self.consistent_reads);
        if !with_value {
            request = request
                .projection_expression(KEYS_AND_EXPIRY)
                .set_expression_attribute_names(Some(self.layout.placeholders(&[KEYS_AND_EXPIRY])));
        }
        let output = request.send().await.map_err(self.sdk_error("get"))?;
        Ok(output.item)
    }

    async fn delete_item(&self, key: &str, operation: &'static str) -> Result<Option<Item>> {
        check_key(key)?;
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self.primary_key(key)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(self.sdk_error(operation))?;
        let now = Timestamp::now();
        Ok(output
            .attributes
            .filter(|item| self.layout.is_live(item, now)))
    }

    /// Consistent BatchGetItem of distinct keys, unprocessed keys retried with backoff.
    async fn batch_get(&self, keys: &[&str], projection: Option<&str>) -> Result<Vec<Item>> {
        let distinct: Vec<&str> = keys
            .iter()
            .copied()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut found = Vec::with_capacity(distinct.len());
        for chunk in distinct.chunks(BATCH_GET) {
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(
                    chunk.iter().map(|key| self.primary_key(key)).collect(),
                ))
                .consistent_read(self.consistent_reads);
            if let Some(projection) = projection {
                request = request
                    .projection_expression(projection)
                    .set_expression_attribute_names(Some(self.layout.placeholders(&[projection])));
            }
            let mut pending = Some(request.build().map_err(build_error("get_many"))?);
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                if attempt == BATCH_ATTEMPTS {
                    return Err(unprocessed("get_many"));
                }
                if attempt > 0 {
                    backoff(attempt).await;
                }
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(self.sdk_error("get_many"))?;
                if let Some(mut responses) = output.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .filter(|left| !left.keys().is_empty());
                attempt += 1;
            }
        }
        Ok(found)
    }

    /// BatchWriteItem in chunks of 25, unprocessed items retried with backoff.
    async fn batch_write(
        &self,
        requests: Vec<WriteRequest>,
        operation: &'static str,
    ) -> Result<()> {
        let mut requests = requests.into_iter().peekable();
        while requests.peek().is_some() {
            let mut pending: Vec<WriteRequest> = requests.by_ref().take(BATCH_WRITE).collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt == BATCH_ATTEMPTS {
                    return Err(unprocessed(operation));
                }
                if attempt > 0 {
                    backoff(attempt).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut pending))
                    .send()
                    .await
                    .map_err(self.sdk_error(operation))?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .unwrap_or_default();
                attempt += 1;
            }
        }
        Ok(())
    }

    fn delete_request(&self, key: &str) -> Result<WriteRequest> {
        let delete = DeleteRequest::builder()
            .set_key(Some(self.primary_key(key)))
            .build()
            .map_err(build_error("delete_many"))?;
        Ok(WriteRequest::builder().delete_request(delete).build())
    }

    /// One Query page of the namespace's keys starting with `prefix` (all with `""`: a
    /// `begins_with` key condition otherwise) after `start`, with an optional filter.
    async fn query(
        &self,
        prefix: &str,
        start: Option<Item>,
        limit: Option<i32>,
        projection: Option<&str>,
        filter: Option<&str>,
        count_only: bool,
    ) -> Result<(Vec<Item>, i32, Option<Item>)> {
        let mut values = HashMap::from([(
            ":ns".to_owned(),
            AttributeValue::S(self.layout.namespace.clone()),
        )]);
        if filter.is_some() {
            values.insert(":now".to_owned(), now_value(Timestamp::now()));
        }
        let key_condition = if prefix.is_empty() {
            "#ns = :ns"
        } else {
            values.insert(
                ":prefix".to_owned(),
                AttributeValue::B(Blob::new(prefix.as_bytes())),
            );
            "#ns = :ns AND begins_with(#k, :prefix)"
        };
        let names = self.layout.placeholders(&[
            key_condition,
            projection.unwrap_or(""),
            filter.unwrap_or(""),
        ]);
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .consistent_read(self.consistent_reads)
            .set_exclusive_start_key(start)
            .set_limit(limit);
        if let Some(projection) = projection {
            request = request.projection_expression(projection);
        }
        if let Some(filter) = filter {
            request = request.filter_expression(filter);
        }
        if count_only {
            request = request.select(Select::Count);
        }
        let output = request.send().await.map_err(self.sdk_error("query"))?;
        Ok((
            output.items.unwrap_or_default(),
            output.count,
            output.last_evaluated_key,
        ))
    }

    /// Up to `limit` live records after `after`, in key order.
    async fn page(
        &self,
        scan: Scan<'static>,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<Page> {
        let mode = scan.mode();
        let mut start = after.map(|key| self.primary_key(&key));
        let projection = if mode.values() {
            None
        } else {
            Some(KEYS_AND_EXPIRY)
        };
        let mut entries = Vec::with_capacity(limit);
        let mut last_key = None;
        loop {
            let want = i32::try_from(limit - entries.len()).unwrap_or(i32::MAX);
            let (items, _, next) = self
                .query(prefix, start, Some(want), projection, None, false)
                .await?;
            let now = Timestamp::now();
            for found in items
                .into_iter()
                .filter(|i| scan.lists_expired() || self.layout.is_live(i, now))
            {
                if let Some(key) = self.layout.key_for_cursor(&found) {
                    last_key = Some(key);
                }
                entries.push(self.layout.record(found, mode.values()));
            }
            match next {
                Some(next) if entries.len() < limit => start = Some(next),
                _ => return Ok(Page::new(entries, last_key)),
            }
        }
    }
}

impl Store for DynamoStorage {
    fn info(&self) -> StoreInfo<'_> {
        StoreInfo::new(BACKEND)
            .max_value_len(self.layout.max_value_len())
            .namespace(&self.layout.namespace)
    }
}

#[async_trait]
impl AsyncKvStorage for DynamoStorage {
    async fn get_entry(&self, key: &str) -> Result<Option<Entry>> {
        let found = self.get_item(key, true).await?;
        found
            .map(|found| self.layout.entry_of(key, found))
            .transpose()
    }

    async fn get_stale(&self, key: &str) -> Result<Option<Entry>> {
        let found = self.get_held_item(key, true).await?;
        found
            .map(|found| self.layout.entry_of(key, found))
            .transpose()
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.check(key, value)?;
        let entry = self
            .layout
            .item(key, value, expiry_from_ttl(ttl, Timestamp::now())?);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(entry))
            .send()
            .await
            .map(drop)
            .map_err(self.sdk_error("set"))
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.check(key, value)?;
        let now = Timestamp::now();
        let entry = self.layout.item(key, value, expiry_from_ttl(ttl, now)?);
        let (operation, condition) = match expected {
            None => ("set_if_absent", Condition::absent(&self.layout, now)),
            Some(expected) => (
                "compare_and_set",
                Condition::holds(&self.layout, expected, now),
            ),
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(entry))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(Some(condition.values))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(self.sdk_error(operation)(error)),
        }
    }

    /// One `UpdateItem` of the expiry attributes, on the condition that the item is live.
    async fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<bool> {
        check_key(key)?;
        let now = Timestamp::now();
        let condition = "attribute_exists(#k) AND (attribute_not_exists(#e) OR #e > :now)";
        let mut values = HashMap::from([(":now".to_owned(), now_value(now))]);
        let update = match expiry_from_ttl(ttl, now)? {
            Some(at) => {
                values.insert(
                    ":e".to_owned(),
                    AttributeValue::N(at.as_millis().to_string()),
                );
                values.insert(
                    ":ttl".to_owned(),
                    AttributeValue::N(at.as_secs_ceil().to_string()),
                );
                "SET #e = :e, #ttl = :ttl"
            }
            None => "REMOVE #e, #ttl",
        };
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.primary_key(key)))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(self.layout.placeholders(&[condition, update])))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(self.sdk_error("touch")(error)),
        }
    }

    async fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Result<bool> {
        check_key(key)?;
        let condition = Condition::holds(&self.layout, expected, Timestamp::now());
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self.primary_key(key)))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(Some(condition.values))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(self.sdk_error("compare_and_delete")(error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.delete_item(key, "delete").await?.is_some())
    }

    async fn pop(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.delete_item(key, "pop").await? {
            Some(mut old) => Ok(Some(self.layout.value(key, &mut old)?)),
            None => Ok(None),
        }
    }

    async fn expiry(&self, key: &str) -> Result<Option<anykv_core::Expiry>> {
        Ok(self
            .get_item(key, false)
            .await?
            .map(|found| anykv_core::Expiry::from_option(self.layout.expiry(&found))))
    }

    async fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.get_item(key, false).await?.is_some())
    }

    async fn scan(&self, scan: Scan<'_>) -> Result<BoxStream<'_, Record>> {
        let prefix = scan.key_prefix().to_owned();
        let scan = scan.prefix("");
        Ok(paginate_page_stream(
            DEFAULT_PAGE_SIZE,
            move |after, limit| {
                let prefix = prefix.clone();
                async move { self.page(scan, &prefix, after, limit).await }
            },
        ))
    }

    async fn clear(&self) -> Result<()> {
        let mut start = None;
        loop {
            let (items, _, next) = self
                .query("", start, None, Some("#ns, #k"), None, false)
                .await?;
            let requests = items
                .iter()
                .map(|found| {
                    self.layout
                        .key(found)
                        .and_then(|key| self.delete_request(&key))
                })
                .collect::<Result<Vec<_>>>()?;
            self.batch_write(requests, "clear").await?;
            match next {
                Some(next) => start = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn len(&self) -> Result<usize> {
        let mut start = None;
        let mut total = 0usize;
        loop {
            let live = Some("attribute_not_exists(#e) OR #e > :now");
            let (_, count, next) = self.query("", start, None, None, live, true).await?;
            total += usize::try_from(count).unwrap_or(0);
            match next {
                Some(next) => start = Some(next),
                None => return Ok(total),
            }
        }
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now();
        let mut found: HashMap<String, Vec<u8>> = HashMap::with_capacity(keys.len());
        for mut got in self.batch_get(keys, None).await? {
            if self.layout.is_live(&got, now) {
                let key = self.layout.key(&got)?;
                let value = self.layout.value(&key, &mut got)?;
                found.insert(key, value);
            }
        }
        Ok(keys.iter().map(|key| found.get(*key).cloned()).collect())
    }

    async fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<()> {
        Store::check_entries(self, entries)?;
        let now = Timestamp::now();
        // One request per key (DynamoDB refuses duplicates in a batch): the last write wins.
        let mut last: HashMap<&str, &SetEntry<'_>> = HashMap::with_capacity(entries.len());
        for entry in entries {
            last.insert(entry.key, entry);
        }
        let mut requests = Vec::with_capacity(last.len());
        for entry in last.values() {
            let stored = self
                .layout
                .item(entry.key, entry.value, expiry_from_ttl(entry.ttl, now)?);
            let put = PutRequest::builder()
                .set_item(Some(stored))
                .build()
                .map_err(build_error("set_many"))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(requests, "set_many").await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<usize> {
        keys.iter().try_for_each(|key| check_key(key))?;
        let now = Timestamp::now();
        let live = self
            .batch_get(keys, Some(KEYS_AND_EXPIRY))
            .await?
            .iter()
            .filter(|found| self.layout.is_live(found, now))
            .count();
        let distinct: HashSet<&str> = keys.iter().copied().collect();
        let requests = distinct
            .iter()
            .map(|key| self.delete_request(key))
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(requests, "delete_many").await?;
        Ok(live)
    }

    async fn purge_expired(&self) -> Result<usize> {
        let mut start = None;
        let mut purged = 0;
        loop {
            let expired = Some("#e <= :now");
            let (items, _, next) = self
                .query("", start, None, Some(KEYS_AND_EXPIRY), expired, false)
                .await?;
            for found in items {
                let key = self.layout.key(&found)?;
                let now = Timestamp::now();
                // Conditional: an entry rewritten since the query is left alone.
                let deleted = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(self.primary_key(&key)))
                    .condition_expression("#e <= :now")
                    .expression_attribute_names("#e", &self.layout.names.expires_at)
                    .expression_attribute_values(":now", now_value(now))
                    .send()
                    .await;
                match deleted {
                    Ok(_) => purged += 1,
                    Err(error) if is_condition_failed(&error) => {}
                    Err(error) => return Err(self.sdk_error("purge_expired")(error)),
                }
            }
            match next {
                Some(next) => start = Some(next),
                None => return Ok(purged),
            }
        }
    }
}
