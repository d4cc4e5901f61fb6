//! Test servers for the crate family's own tests, started on free ports of 127.0.0.1 and stopped
//! when their handle is dropped or the test process exits, whichever comes first. Never
//! published: the public suite (`anykv-conformance`) takes URLs and does not start anything.
//!
//! Every launcher first honours an environment variable that points the tests at an existing
//! server instead:
//!
//! | server | variable | started otherwise |
//! |---|---|---|
//! | Redis | `STORAGE_TEST_REDIS_URL` | `redis-server` (Debian package; `STORAGE_TEST_REDIS_SERVER=redis8` or `valkey9` for the builds in `.tools/`, see [`RedisServer`]) |
//! | Redis Cluster | `STORAGE_TEST_REDIS_CLUSTER_URL` | 3 `redis-server` masters |
//! | MongoDB | `STORAGE_TEST_MONGO_URL` | SecantusDB from `.tools/` (PyPI) |
//! | DynamoDB | `STORAGE_TEST_DYNAMO_ENDPOINT` (`aws` for AWS itself) | dynalite from `.tools/` (npm) |
//!
//! Start-up is built for a slow, busy machine: generous readiness deadlines, a new port on each
//! of several attempts (another process may take a port between its choice and the bind), and
//! on final failure an error that quotes the tail of the server's own log.
#![deny(missing_docs)]

mod dynamo;
mod mongo;
mod pattern;
mod ports;
mod process;
mod redis;
mod scans;
mod sentinel;
mod tls;
mod tools;

pub use dynamo::dynamo;
pub use mongo::mongo;
pub use pattern::{Pattern, PatternCheck};
pub use ports::free_port;
pub use process::ServerProcess;
pub use redis::{
    redis, redis_cluster, redis_cluster_on, redis_on, redis_unix, resp_command, start_redis,
    RedisServer,
};
pub use scans::{assert_bad_entry_reported, write_good_entries};
pub use sentinel::{redis_sentinel, SENTINEL_MASTER};
pub use tls::{redis_tls, redis_tls_cluster, TlsFiles, OPENSSL_HOW_TO_GET};
pub use tools::{find_program, find_tool, tools_dir, REQUESTS_CACHE_HOW_TO_GET};

use std::sync::atomic::{AtomicU64, Ordering};

/// Servers the tests talk to, kept running while this handle lives.
pub struct TestServer {
    url: String,
    processes: Vec<ServerProcess>,
}

impl TestServer {
    /// A server somebody else runs (named by an environment variable): nothing to stop.
    fn existing(url: String) -> Self {
        TestServer {
            url,
            processes: Vec::new(),
        }
    }

    /// The URL (or endpoint) to connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The ports of the processes this handle started (empty for an existing server).
    pub fn ports(&self) -> Vec<u16> {
        self.processes.iter().map(|p| p.port).collect()
    }

    /// Whether the tests started this server themselves (and so own everything on it).
    pub fn is_ours(&self) -> bool {
        !self.processes.is_empty()
    }
}

/// A multi-thread tokio runtime for a test's async calls; panics (failing the test) when the
/// machine cannot start one.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"))
}

/// A name no other caller of this process gets, derived from `label`: for namespaces, tables
/// and directories of one test.
pub fn unique_name(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect();
    format!("{label}_{}_{n}", std::process::id())
}
