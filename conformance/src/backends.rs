//! [`Backend`](crate::Backend)s for the stores of this crate family, behind their features.

#[cfg(feature = "memory")]
pub use memory::Memory;
#[cfg(feature = "memory")]
mod memory {
    use std::sync::Arc;

    use storage_core::{KvStorage, MemoryDatabase};

    /// [`storage_core::MemoryStorage`] namespaces of one [`MemoryDatabase`], with a 4 MiB value
    /// limit so the limit checks run.
    #[derive(Default)]
    pub struct Memory(MemoryDatabase);

    impl crate::Backend for Memory {
        fn name(&self) -> String {
            "memory".into()
        }

        fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
            Ok(Arc::new(
                self.0.open(namespace)?.with_max_value_len(4 << 20),
            ))
        }
    }
}

#[cfg(feature = "sqlite")]
pub use sqlite::Sqlite;
#[cfg(feature = "sqlite")]
mod sqlite {
    use std::sync::Arc;

    use storage_core::KvStorage;
    use storage_sqlite::{SqliteOptions, SqliteStorage};

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

        fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
            let options = SqliteOptions::path(self.dir.path().join("conformance.sqlite"))
                .namespace(namespace)
                .max_value_len(4 << 20);
            Ok(Arc::new(SqliteStorage::open(options)?))
        }

        fn persistent(&self) -> bool {
            true
        }
    }
}

#[cfg(feature = "fs")]
pub use fs::Fs;
#[cfg(feature = "fs")]
mod fs {
    use std::sync::Arc;

    use storage_core::KvStorage;
    use storage_fs::{FsOptions, FsStorage};

    /// [`FsStorage`] namespaces under one temporary root, with an extension and a 4 MiB value
    /// limit so the limit checks run.
    pub struct Fs {
        root: tempfile::TempDir,
    }

    impl Fs {
        /// A new root in a new temporary directory.
        pub fn new() -> Self {
            let root =
                tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
            Fs { root }
        }
    }

    impl Default for Fs {
        fn default() -> Self {
            Self::new()
        }
    }

    impl crate::Backend for Fs {
        fn name(&self) -> String {
            "fs".into()
        }

        fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
            let options = FsOptions::dir(self.root.path())
                .namespace(namespace)
                .extension("bin")
                .max_value_len(4 << 20);
            Ok(Arc::new(FsStorage::open(options)?))
        }

        fn persistent(&self) -> bool {
            true
        }
    }
}

#[cfg(feature = "redis")]
pub use redis::{start_redis, Redis, RedisKind};
#[cfg(feature = "redis")]
mod redis {
    use std::sync::Arc;
    use std::time::Duration;

    use storage_core::{AsyncKvStorage, KvStorage};
    use storage_redis::{RedisHashStorage, RedisOptions, RedisStorage};

    use crate::servers::{find_program, free_port, resp_command, ServerProcess};

    const HOW_TO_GET: &str =
        "Install it with `./scripts/test.sh` (which runs `apt-get install redis-server` \
        when it is missing) or `apt-get install redis-server`, or point the tests at a server with \
        STORAGE_TEST_REDIS_URL / STORAGE_TEST_REDIS_CLUSTER_URL.";

    /// Which store type to test.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RedisKind {
        /// [`RedisStorage`], one key per entry.
        PerKey,
        /// [`RedisHashStorage`], one hash per namespace.
        Hash,
    }

    /// Redis stores on a server (or cluster) the tests start themselves, or the one named by
    /// `STORAGE_TEST_REDIS_URL` (`STORAGE_TEST_REDIS_CLUSTER_URL` for a cluster).
    pub struct Redis {
        url: String,
        kind: RedisKind,
        /// The servers this backend started; they stop when it is dropped or the process exits.
        _servers: Vec<ServerProcess>,
        /// The cluster's node files.
        _dir: Option<tempfile::TempDir>,
    }

    fn wait_ping(port: u16) -> bool {
        resp_command(port, "PING").starts_with("+PONG")
    }

    /// Starts a standalone `redis-server` without persistence on a free port.
    pub fn start_redis(
        port: u16,
        extra: &[&str],
        dir: &std::path::Path,
    ) -> Result<ServerProcess, String> {
        let program = find_program("redis-server", HOW_TO_GET)?;
        let mut args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
            "--dir",
            &dir.display().to_string(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        ServerProcess::start(&program, &args, port, Duration::from_secs(10), || {
            wait_ping(port)
        })
    }

    impl Redis {
        /// A standalone server.
        pub fn standalone(kind: RedisKind) -> Result<Self, String> {
            if let Ok(url) = std::env::var("STORAGE_TEST_REDIS_URL") {
                return Ok(Redis {
                    url,
                    kind,
                    _servers: Vec::new(),
                    _dir: None,
                });
            }
            let dir = std::env::temp_dir();
            let port = free_port()?;
            let server = start_redis(port, &[], &dir)?;
            Ok(Redis {
                url: format!("redis://127.0.0.1:{port}/0"),
                kind,
                _servers: vec![server],
                _dir: None,
            })
        }

        /// A 3-master cluster.
        pub fn cluster(kind: RedisKind) -> Result<Self, String> {
            if let Ok(url) = std::env::var("STORAGE_TEST_REDIS_CLUSTER_URL") {
                return Ok(Redis {
                    url,
                    kind,
                    _servers: Vec::new(),
                    _dir: None,
                });
            }
            let cli = find_program("redis-cli", HOW_TO_GET)?;
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let mut servers = Vec::new();
            let mut nodes = Vec::new();
            for _ in 0..3 {
                let port = free_port()?;
                let config = format!("nodes-{port}.conf");
                let extra = [
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &config,
                    "--cluster-node-timeout",
                    "3000",
                ];
                servers.push(start_redis(port, &extra, dir.path())?);
                nodes.push(format!("127.0.0.1:{port}"));
            }
            let created = std::process::Command::new(cli)
                .args(["--cluster", "create"])
                .args(&nodes)
                .args(["--cluster-replicas", "0", "--cluster-yes"])
                .output()
                .map_err(|e| format!("redis-cli --cluster create: {e}"))?;
            if !created.status.success() {
                return Err(format!(
                    "redis-cli --cluster create failed: {}",
                    String::from_utf8_lossy(&created.stdout)
                ));
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while !servers
                .iter()
                .all(|s| resp_command(s.port, "CLUSTER INFO").contains("cluster_state:ok"))
            {
                if std::time::Instant::now() > deadline {
                    return Err("the test cluster did not reach cluster_state:ok".into());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(Redis {
                url: format!("redis+cluster://{}", nodes.join(",")),
                kind,
                _servers: servers,
                _dir: Some(dir),
            })
        }

        /// The URL the stores connect to.
        pub fn url(&self) -> &str {
            &self.url
        }

        fn options(&self, namespace: &str) -> storage_core::Result<RedisOptions> {
            Ok(RedisOptions::from_url(&self.url)?.namespace(namespace))
        }
    }

    impl crate::Backend for Redis {
        fn name(&self) -> String {
            format!("redis {:?} at {}", self.kind, self.url)
        }

        fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
            let options = self.options(namespace)?;
            Ok(match self.kind {
                RedisKind::PerKey => Arc::new(RedisStorage::new(options)?),
                RedisKind::Hash => Arc::new(RedisHashStorage::new(options)?),
            })
        }

        fn open_async(&self, namespace: &str) -> storage_core::Result<Arc<dyn AsyncKvStorage>> {
            let options = self.options(namespace)?;
            Ok(match self.kind {
                RedisKind::PerKey => Arc::new(RedisStorage::new(options)?),
                RedisKind::Hash => Arc::new(RedisHashStorage::new(options)?),
            })
        }

        fn persistent(&self) -> bool {
            true
        }
    }
}

#[cfg(feature = "mongo")]
pub use mongo::{start_secantus, Mongo, MongoKind};
#[cfg(feature = "mongo")]
mod mongo {
    use std::sync::Arc;
    use std::time::Duration;

    use storage_core::{AsyncKvStorage, KvStorage};
    use storage_mongo::{GridFsStorage, MongoOptions, MongoStorage};

    use crate::servers::{find_program, free_port, ServerProcess};

    const HOW_TO_GET: &str = "Install it with `./scripts/test.sh` (which installs SecantusDB==0.7.0b3 from PyPI \
        into .tools/secantus-venv and links .tools/bin/secantusd-py), or point the tests at a MongoDB \
        server with STORAGE_TEST_MONGO_URL.";

    /// Which store type to test.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MongoKind {
        /// [`MongoStorage`]: one document per entry.
        Documents,
        /// [`GridFsStorage`]: one GridFS file per entry.
        GridFs,
    }

    /// Starts SecantusDB (a MongoDB wire-protocol server, run as a separate process) in memory on
    /// a free port.
    pub fn start_secantus() -> Result<(ServerProcess, String), String> {
        let program = find_program("secantusd-py", HOW_TO_GET)?;
        let port = free_port()?;
        let args: Vec<String> = [
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--storage-path",
            ":memory:",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let ready = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        let server = ServerProcess::start(&program, &args, port, Duration::from_secs(60), ready)?;
        Ok((
            server,
            format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
        ))
    }

    /// MongoDB stores on SecantusDB started by the tests, or on the server of
    /// `STORAGE_TEST_MONGO_URL` (a real mongod).
    pub struct Mongo {
        url: String,
        kind: MongoKind,
        runtime: tokio::runtime::Runtime,
        /// The server this backend started; it stops when it is dropped or the process exits.
        _server: Option<ServerProcess>,
    }

    impl Mongo {
        /// Starts (or finds) the server.
        pub fn new(kind: MongoKind) -> Result<Self, String> {
            let (server, url) = match std::env::var("STORAGE_TEST_MONGO_URL") {
                Ok(url) => (None, url),
                Err(_) => {
                    let (server, url) = start_secantus()?;
                    (Some(server), url)
                }
            };
            let runtime = crate::servers::runtime()?;
            Ok(Mongo {
                url,
                kind,
                runtime,
                _server: server,
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
        }
    }

    impl crate::Backend for Mongo {
        fn name(&self) -> String {
            format!("mongodb {:?} at {}", self.kind, self.url)
        }

        fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
            let options = self.options(namespace);
            Ok(match self.kind {
                MongoKind::Documents => Arc::new(MongoStorage::open_blocking(options)?),
                MongoKind::GridFs => Arc::new(GridFsStorage::open_blocking(options)?),
            })
        }

        fn open_async(&self, namespace: &str) -> storage_core::Result<Arc<dyn AsyncKvStorage>> {
            let options = self.options(namespace);
            Ok(match self.kind {
                MongoKind::Documents => {
                    Arc::new(self.runtime.block_on(MongoStorage::connect(options))?)
                }
                MongoKind::GridFs => {
                    Arc::new(self.runtime.block_on(GridFsStorage::connect(options))?)
                }
            })
        }

        fn persistent(&self) -> bool {
            true
        }

        fn short_ttl(&self) -> Duration {
            Duration::from_millis(400)
        }
    }
}

#[cfg(feature = "dynamo")]
pub use dynamo::{start_dynalite, Dynamo};
#[cfg(feature = "dynamo")]
mod dynamo {
    use std::sync::Arc;
    use std::time::Duration;

    use storage_core::{AsyncKvStorage, KvStorage};
    use storage_dynamo::{DynamoOptions, DynamoStorage};

    use crate::servers::{find_program, free_port, ServerProcess};

    const HOW_TO_GET: &str = "Install it with `./scripts/test.sh` (which runs `npm install dynalite@4` into \
        .tools/dynalite and links .tools/bin/dynalite), or point the tests at another endpoint with \
        STORAGE_TEST_DYNAMO_ENDPOINT (`aws` for AWS itself with the standard credential chain).";

    const TABLE: &str = "kv_conformance";

    /// Starts dynalite (npm `dynalite@4`) on a free port; returns it and its endpoint URL.
    pub fn start_dynalite() -> Result<(ServerProcess, String), String> {
        let program = find_program("dynalite", HOW_TO_GET)?;
        let port = free_port()?;
        let args: Vec<String> = [
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--createTableMs",
            "0",
            "--deleteTableMs",
            "0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let ready = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        let server = ServerProcess::start(&program, &args, port, Duration::from_secs(30), ready)?;
        Ok((server, format!("http://127.0.0.1:{port}")))
    }

    /// [`DynamoStorage`] namespaces of one table on dynalite started by the tests, or on the
    /// endpoint of `STORAGE_TEST_DYNAMO_ENDPOINT`.
    pub struct Dynamo {
        endpoint: Option<String>,
        runtime: tokio::runtime::Runtime,
        /// The server this backend started; it stops when it is dropped or the process exits.
        _server: Option<ServerProcess>,
    }

    impl Dynamo {
        /// Starts (or finds) the server and creates the table.
        pub fn new() -> Result<Self, String> {
            let (server, endpoint) = match std::env::var("STORAGE_TEST_DYNAMO_ENDPOINT") {
                Ok(endpoint) if endpoint == "aws" => (None, None),
                Ok(endpoint) => (None, Some(endpoint)),
                Err(_) => {
                    let (server, endpoint) = start_dynalite()?;
                    (Some(server), Some(endpoint))
                }
            };
            let runtime = crate::servers::runtime()?;
            let backend = Dynamo {
                endpoint,
                runtime,
                _server: server,
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

        fn open(&self, namespace: &str) -> storage_core::Result<Arc<dyn KvStorage>> {
            Ok(Arc::new(DynamoStorage::open_blocking(
                self.options(namespace),
            )?))
        }

        fn open_async(&self, namespace: &str) -> storage_core::Result<Arc<dyn AsyncKvStorage>> {
            Ok(Arc::new(self.runtime.block_on(DynamoStorage::connect(
                self.options(namespace),
            ))?))
        }

        fn persistent(&self) -> bool {
            true
        }

        fn short_ttl(&self) -> Duration {
            Duration::from_millis(300)
        }
    }
}
