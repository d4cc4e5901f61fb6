//! The stores the memo's tests run on: one of each real backend.

use std::sync::{Arc, OnceLock};

use storage_core::{KvStorage, MemoryStorage};
use storage_redis::RedisStorage;
use storage_sqlite::{SqliteOptions, SqliteStorage};
use test_support::TestServer;

/// The Redis server of this test binary, started once.
pub fn redis() -> &'static TestServer {
    static REDIS: OnceLock<TestServer> = OnceLock::new();
    REDIS.get_or_init(|| test_support::redis().unwrap_or_else(|e| panic!("{e}")))
}

/// One store of each real backend, each in a namespace of its own.
pub fn stores(label: &str) -> Vec<(&'static str, Arc<dyn KvStorage>)> {
    let namespace = test_support::unique_name(label);
    let sqlite = SqliteStorage::open(SqliteOptions::temp_dir().namespace(&namespace))
        .unwrap_or_else(|e| panic!("{e}"));
    let redis = RedisStorage::from_url(redis().url(), &namespace).unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("memory", Arc::new(MemoryStorage::new())),
        ("sqlite", Arc::new(sqlite)),
        ("redis", Arc::new(redis)),
    ]
}
