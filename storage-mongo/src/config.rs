//! [`MongoOptions`]: where the store lives.

use std::time::Duration;

use storage_core::Namespace;

/// Options for [`MongoStorage`](crate::MongoStorage) and [`GridFsStorage`](crate::GridFsStorage).
///
/// ```
/// use storage_mongo::MongoOptions;
/// let options = MongoOptions::new("mongodb://127.0.0.1:27017").database("cache").namespace("pages");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MongoOptions {
    /// A `mongodb://` connection string.
    pub uri: String,
    /// The database: this one if set, else the one the connection string names
    /// (`mongodb://host/mydb`), else `kv_storage`.
    pub database: Option<String>,
    /// The namespace: the collection (or GridFS bucket) name.
    pub namespace: String,
    /// How long to wait for a usable server before a call fails with a retryable error
    /// (default 5 s).
    pub server_selection_timeout: Duration,
}

impl MongoOptions {
    /// Options for the deployment at `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        MongoOptions {
            uri: uri.into(),
            database: None,
            namespace: Namespace::DEFAULT.into(),
            server_selection_timeout: Duration::from_secs(5),
        }
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

    /// The server selection timeout.
    pub fn server_selection_timeout(mut self, timeout: Duration) -> Self {
        self.server_selection_timeout = timeout;
        self
    }

    /// The database used when neither the options nor the connection string name one.
    pub const DEFAULT_DATABASE: &'static str = "kv_storage";

    /// Connects a client; returns it with the database to use.
    pub(crate) async fn client(&self) -> storage_core::Result<(mongodb::Client, String)> {
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
