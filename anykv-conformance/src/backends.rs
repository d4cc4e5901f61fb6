//! [`Backend`](crate::Backend)s for the stores of this crate family, behind their features.

#[cfg(feature = "memory")]
pub use memory::Memory;
#[cfg(feature = "memory")]
mod memory {
    use std::sync::Arc;

    use anykv_core::caps::SizeCaps;
    use anykv_core::{KvStorage, MemoryDatabase};

    /// [`anykv_core::MemoryStorage`] namespaces of one [`MemoryDatabase`], with a 4 MiB value
    /// limit so the limit checks run.
    #[derive(Default)]
    pub struct Memory(MemoryDatabase);

    impl crate::Backend for Memory {
        fn name(&self) -> String {
            "memory".into()
        }

        fn capabilities(&self) -> crate::Capabilities {
            crate::Capabilities {
                persistent: false,
                expiry: crate::ExpiryRemoval::Purge,
                stale_reads: true,
                size_caps: true,
            }
        }

        fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
            Ok(Arc::new(
                self.0.open(namespace)?.with_max_value_len(4 << 20),
            ))
        }

        fn open_capped(
            &self,
            namespace: &str,
            caps: SizeCaps,
        ) -> anykv_core::Result<Arc<dyn KvStorage>> {
            let store = self.0.open(namespace)?.with_max_value_len(4 << 20);
            Ok(Arc::new(store.with_caps(caps)))
        }
    }
}

#[cfg(feature = "sqlite")]
pub use sqlite::Sqlite;
#[cfg(feature = "sqlite")]
mod sqlite {
    use std::sync::Arc;

    use anykv_core::caps::SizeCaps;
    use anykv_core::KvStorage;
    use anykv_sqlite::{SqliteOptions, SqliteStorage};

    /// [`SqliteStorage`] tables in one database file in a temporary directory, with a 4 MiB value
    /// limit so the limit checks run.
    pub struct Sqlite {
        dir: tempfile::TempDir,
    }

    impl Sqlite {
        /// A new database in a new temporary directory.
        pub fn new() -> Self {
            let dir =
                tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
            Sqlite { dir }
        }
    }

    impl Default for Sqlite {
        fn default() -> Self {
            Self::new()
        }
    }

    impl crate::Backend for Sqlite {
        fn name(&self) -> String {
            "sqlite".into()
        }

        fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
            self.open_capped(namespace, SizeCaps::default())
        }

        fn open_capped(
            &self,
            namespace: &str,
            caps: SizeCaps,
        ) -> anykv_core::Result<Arc<dyn KvStorage>> {
            let options = SqliteOptions::path(self.dir.path().join("conformance.sqlite"))
                .namespace(namespace)
                .max_value_len(4 << 20)
                .caps(caps);
            Ok(Arc::new(SqliteStorage::open(options)?))
        }

        fn capabilities(&self) -> crate::Capabilities {
            crate::Capabilities {
                persistent: true,
                expiry: crate::ExpiryRemoval::Purge,
                stale_reads: true,
                size_caps: true,
            }
        }
    }
}

#[cfg(feature = "fs")]
pub use fs::Fs;
#[cfg(feature = "fs")]
mod fs {
    use std::sync::Arc;

    use anykv_core::caps::SizeCaps;
    use anykv_core::KvStorage;
    use anykv_fs::{FsOptions, FsStorage, Layout};

    /// [`FsStorage`] namespaces under one temporary root, with a 4 MiB value limit so the limit
    /// checks run: hashed files with the extension `bin`, or readable ones (`json`).
    pub struct Fs {
        root: tempfile::TempDir,
        layout: Layout,
    }

    impl Fs {
        /// Hashed files in a new temporary directory.
        pub fn new() -> Self {
            Self::with_layout(Layout::Hashed)
        }

        /// Readable files (named by their keys, holding only the values) in a new temporary
        /// directory.
        pub fn readable() -> Self {
            Self::with_layout(Layout::Readable)
        }

        fn with_layout(layout: Layout) -> Self {
            let root =
                tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
            Fs { root, layout }
        }
    }

    impl Default for Fs {
        fn default() -> Self {
            Self::new()
        }
    }

    impl crate::Backend for Fs {
        fn name(&self) -> String {
            match self.layout {
                Layout::Readable => "fs-readable".into(),
                _ => "fs".into(),
            }
        }

        fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
            self.open_capped(namespace, SizeCaps::default())
        }

        fn open_capped(
            &self,
            namespace: &str,
            caps: SizeCaps,
        ) -> anykv_core::Result<Arc<dyn KvStorage>> {
            let options = FsOptions::dir(self.root.path())
                .namespace(namespace)
                .layout(self.layout)
                .max_value_len(4 << 20)
                .caps(caps);
            let options = match self.layout {
                Layout::Readable => options,
                _ => options.extension("bin"),
            };
            Ok(Arc::new(FsStorage::open(options)?))
        }

        fn capabilities(&self) -> crate::Capabilities {
            crate::Capabilities {
                persistent: true,
                expiry: crate::ExpiryRemoval::Purge,
                stale_reads: true,
                size_caps: true,
            }
        }
    }
}

#[cfg(feature = "redis")]
pub use redis::{Redis, RedisKind};
#[cfg(feature = "redis")]
mod redis {
    use std::sync::Arc;

    use anykv_core::{AsyncKvStorage, KvStorage};
    use anykv_redis::{RedisHashStorage, RedisOptions, RedisStorage};

    /// Which store type to test.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RedisKind {
        /// [`RedisStorage`], one key per entry.
        PerKey,
        /// [`RedisHashStorage`], one hash per namespace.
        Hash,
    }

    /// Redis stores on the server (or cluster, `redis+cluster://…`) of a URL.
    pub struct Redis {
        url: String,
        kind: RedisKind,
    }

    impl Redis {
        /// Stores of `kind` on the server of `url`.
        pub fn new(url: impl Into<String>, kind: RedisKind) -> Self {
            Redis {
                url: url.into(),
                kind,
            }
        }

        /// The URL the stores connect to.
        pub fn url(&self) -> &str {
            &self.url
        }

        fn options(&self, namespace: &str) -> anykv_core::Result<RedisOptions> {
            Ok(RedisOptions::from_url(&self.url)?.namespace(namespace))
        }
    }

    impl crate::Backend for Redis {
        fn name(&self) -> String {
            format!("redis {:?} at {}", self.kind, self.url)
        }

        fn capabilities(&self) -> crate::Capabilities {
            crate::Capabilities {
                persistent: true,
                // Keys expire by themselves; so do hash fields on Redis 7.4+ (HPEXPIRE).
                expiry: crate::ExpiryRemoval::Server,
                stale_reads: false,
                size_caps: false,
            }
        }

        fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
            let options = self.options(namespace)?;
            Ok(match self.kind {
                RedisKind::PerKey => Arc::new(RedisStorage::new(options)?),
                RedisKind::Hash => Arc::new(RedisHashStorage::new(options)?),
            })
        }

        fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
            let options = self.options(namespace)?;
            Ok(match self.kind {
                RedisKind::PerKey => Arc::new(RedisStorage::new(options)?),
                RedisKind::Hash => Arc::new(RedisHashStorage::new(options)?),
            })
        }
    }
}

#[cfg(feature = "mongo")]
pub use mongo::{Mongo, MongoKind};
#[cfg(feature = "mongo")]
mod mongo {
    use std::sync::Arc;
    use std::time::Duration;

    use anykv_core::{AsyncKvStorage, KvStorage};
    use anykv_mongo::{GridFsStorage, MongoOptions, MongoStorage};

    /// Which store type to test.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MongoKind {
        /// [`MongoStorage`]: one document per entry.
        Documents,
        /// [`MongoStorage`] keeping JSON values (the suite's counters, among others) as
        /// queryable BSON ([`MongoOptions::queryable_values`]).
        QueryableValues,
        /// [`GridFsStorage`]: one GridFS file per entry.
        GridFs,
    }

    /// MongoDB stores in the database `kv_conformance` of the server of a connection string.
    pub struct Mongo {
        url: String,
        kind: MongoKind,
        runtime: tokio::runtime::Runtime,
    }

    impl Mongo {
        /// Stores of `kind` on the server of `url`.
        pub fn new(url: impl Into<String>, kind: MongoKind) -> Result<Self, String> {
            Ok(Mongo {
                url: url.into(),
                kind,
                runtime: crate::runtime(1)?,
            })
        }

        /// The connection string.
        pub fn url(&self) -> &str {
            &self.url
        }

        fn options(&self, namespace: &str) -> MongoOptions {
            MongoOptions::new(&self.url)
                .database("kv_conformance")
                .namespace(namespace)
                .queryable_values(self.kind == MongoKind::QueryableValues)
        }
    }

    impl crate::Backend for Mongo {
        fn name(&self) -> String {
            format!("mongodb {:?} at {}", self.kind, self.url)
        }

        fn capabilities(&self) -> crate::Capabilities {
            crate::Capabilities {
                persistent: true,
                expiry: crate::ExpiryRemoval::Server,
                // GridFS pointers have no TTL index: expired entries stay until a purge.
                stale_reads: self.kind == MongoKind::GridFs,
                size_caps: false,
            }
        }

        fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
            let options = self.options(namespace);
            Ok(match self.kind {
                MongoKind::Documents | MongoKind::QueryableValues => {
                    Arc::new(MongoStorage::open_blocking(options)?)
                }
                MongoKind::GridFs => Arc::new(GridFsStorage::open_blocking(options)?),
            })
        }

        fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
            let options = self.options(namespace);
            Ok(match self.kind {
                MongoKind::Documents | MongoKind::QueryableValues => {
                    Arc::new(self.runtime.block_on(MongoStorage::connect(options))?)
                }
                MongoKind::GridFs => {
                    Arc::new(self.runtime.block_on(GridFsStorage::connect(options))?)
                }
            })
        }

        fn short_ttl(&self) -> Duration {
            Duration::from_millis(400)
        }
    }
}

#[cfg(feature = "dynamo")]
pub use dynamo::Dynamo;
#[cfg(feature = "dynamo")]
mod dynamo {
    use std::sync::Arc;
    use std::time::Duration;

    use anykv_core::{AsyncKvStorage, KvStorage};
    use anykv_dynamo::{DynamoOptions, DynamoStorage};

    const TABLE: &str = "kv_conformance";

    /// [`DynamoStorage`] namespaces of one table at an endpoint (dynalite, DynamoDB Local), or on
    /// AWS itself with the standard credential chain.
    pub struct Dynamo {
        endpoint: Option<String>,
        runtime: tokio::runtime::Runtime,
    }

    impl Dynamo {
        /// The table at `endpoint` (`"aws"` for AWS itself), created if missing.
        pub fn new(endpoint: &str) -> Result<Self, String> {
            let backend = Dynamo {
                endpoint: (endpoint != "aws").then(|| endpoint.to_owned()),
                runtime: crate::runtime(1)?,
            };
            let options = backend.options("setup").create_table(true);
            backend
                .runtime
                .block_on(DynamoStorage::connect(options))
                .map_err(|e| format!("cannot create the test table: {e}"))?;
            Ok(backend)
        }

        /// Options for `namespace` of the test table.
        pub fn options(&self, namespace: &str) -> DynamoOptions {
            let mut options = DynamoOptions::new(TABLE).namespace(namespace);
            if let Some(endpoint) = &self.endpoint {
                options = options
                    .endpoint_url(endpoint)
                    .region("us-east-1")
                    .credentials("test", "test");
            }
            options
        }
    }

    impl crate::Backend for Dynamo {
        fn name(&self) -> String {
            format!("dynamodb at {}", self.endpoint.as_deref().unwrap_or("aws"))
        }

        fn capabilities(&self) -> crate::Capabilities {
            crate::Capabilities {
                persistent: true,
                expiry: crate::ExpiryRemoval::Server,
                stale_reads: false,
                size_caps: false,
            }
        }

        fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
            Ok(Arc::new(DynamoStorage::open_blocking(
                self.options(namespace),
            )?))
        }

        fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
            Ok(Arc::new(self.runtime.block_on(DynamoStorage::connect(
                self.options(namespace),
            ))?))
        }

        fn short_ttl(&self) -> Duration {
            Duration::from_millis(300)
        }
    }
}
