//! [`MongoOptions`]: where the store lives.

use std::time::Duration;

use anykv_core::{Namespace, Result, StoreUrl};

/// Options for [`MongoStorage`](crate::MongoStorage) and [`GridFsStorage`](crate::GridFsStorage).
///
/// ```
/// use anykv_mongo::MongoOptions;
/// let options = MongoOptions::new("mongodb://127.0.0.1:27017").database("cache").namespace("pages");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MongoOptions {
    /// A `mongodb://` connection string.
    pub uri: String,
    /// The database: this one if set, else the one the connection string names
    /// (`mongodb://host/mydb`), else `anykv`.
    pub database: Option<String>,
    /// The namespace: the collection (or GridFS bucket) name.
    pub namespace: String,
    /// How long to wait for a usable server before a call fails with a retryable error
    /// (default 5 s).
    pub server_selection_timeout: Duration,
    /// A TTL for the whole store, as requests-cache's MongoDB `ttl`: every entry expires at
    /// the latest this long after it was written (an entry's own shorter TTL stays), and the
    /// entries already stored when the store opens expire at the latest this long after that,
    /// all by the TTL index. `None` (the default): entries keep the TTL they were written with.
    pub store_ttl: Option<Duration>,
    /// Keep JSON and BSON values as queryable BSON in [`MongoStorage`](crate::MongoStorage)
    /// (default off): a value that is JSON as `serde_json` writes it (the
    /// [`PlainJson`](anykv_core::PlainJson) serializer's) is stored as the BSON document, array
    /// or scalar it parses to, and a BSON document (the [`PlainBson`](crate::PlainBson)
    /// serializer's) as itself, so other tools query them (`{"v.name": "Ada"}`); every other
    /// value, and any that would not read back byte for byte, stays binary. Reads return the
    /// same bytes either way. Not used by [`GridFsStorage`](crate::GridFsStorage).
    pub queryable_values: bool,
}

impl MongoOptions {
    /// Options for the deployment at `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        MongoOptions {
            uri: uri.into(),
            database: None,
            namespace: Namespace::DEFAULT.into(),
            server_selection_timeout: Duration::from_secs(5),
            store_ttl: None,
            queryable_values: false,
        }
    }

    /// Options from a URL: a `mongodb://` or `mongodb+srv://` connection string (every host,
    /// credentials, the database in the path) with the parameters `namespace` (the collection
    /// or bucket), `database` (over the path's), `store_ttl` (`1h`: see
    /// [`store_ttl`](Self::store_ttl)), `queryable_values` (bool: see
    /// [`queryable_values`](Self::queryable_values)) and `serverSelectionTimeoutMS`; every other
    /// parameter goes to the driver, which refuses the ones it does not know when the store
    /// connects. Errors name the URL with its password hidden.
    ///
    /// ```
    /// use anykv_mongo::MongoOptions;
    /// let options = MongoOptions::from_url("mongodb://a.local,b.local/app?replicaSet=rs0&namespace=pages")?;
    /// assert_eq!(options.namespace, "pages");
    /// assert_eq!(options.uri, "mongodb://a.local,b.local/app?replicaSet=rs0");
    /// # Ok::<(), anykv_core::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        StoreUrl::read(url, Self::from_store_url)
    }

    /// Like [`from_url`](Self::from_url) on a parsed URL: takes this crate's parameters and
    /// hands the rest to the driver (every parameter counts as taken afterwards), so a caller
    /// takes its own parameters first.
    pub fn from_store_url(url: &mut StoreUrl) -> Result<Self> {
        if !matches!(url.scheme(), "mongodb" | "mongodb+srv") {
            return Err(url.error("not a mongodb:// or mongodb+srv:// URL"));
        }
        if url.hosts().is_empty() {
            return Err(url.error("no host"));
        }
        let namespace = url.take("namespace");
        let database = url.take("database");
        let store_ttl = url.take_duration("store_ttl")?;
        let queryable_values = url.take_bool("queryable_values")?;
        let timeout = url.take_parsed("serverSelectionTimeoutMS", "milliseconds", |ms| {
            ms.parse().ok().map(Duration::from_millis)
        })?;
        let mut options = MongoOptions::new(url.remaining_url());
        if let Some(namespace) = namespace {
            options.namespace = namespace;
        }
        options.database = database;
        options.store_ttl = store_ttl;
        options.queryable_values = queryable_values.unwrap_or(false);
        if let Some(timeout) = timeout {
            options.server_selection_timeout = timeout;
        }
        Ok(options)
    }

    /// The database name, over the one the connection string names.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// The namespace (collection or bucket name).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// A TTL for the whole store (see [`store_ttl`](Self::store_ttl)).
    pub fn store_ttl(mut self, ttl: Duration) -> Self {
        self.store_ttl = Some(ttl);
        self
    }

    /// Keeps JSON and BSON values as queryable BSON, or not (see
    /// [`queryable_values`](Self::queryable_values)).
    pub fn queryable_values(mut self, queryable_values: bool) -> Self {
        self.queryable_values = queryable_values;
        self
    }

    /// The server selection timeout.
    pub fn server_selection_timeout(mut self, timeout: Duration) -> Self {
        self.server_selection_timeout = timeout;
        self
    }

    /// The database used when neither the options nor the connection string name one (named
    /// after the facade's earlier name, `kv-storage`, so existing data stays where it is).
    pub const DEFAULT_DATABASE: &'static str = "kv_storage";

    /// Connects a client; returns it with the database to use.
    pub(crate) async fn client(&self) -> Result<(mongodb::Client, String)> {
        let mut options = mongodb::options::ClientOptions::parse(&self.uri)
            .await
            .map_err(crate::error::mongo_error("connect"))?;
        options.server_selection_timeout = Some(self.server_selection_timeout);
        options.connect_timeout = Some(self.server_selection_timeout);
        let database = self
            .database
            .clone()
            .or_else(|| options.default_database.clone())
            .unwrap_or_else(|| Self::DEFAULT_DATABASE.to_owned());
        let client =
            mongodb::Client::with_options(options).map_err(crate::error::mongo_error("connect"))?;
        Ok((client, database))
    }
}
