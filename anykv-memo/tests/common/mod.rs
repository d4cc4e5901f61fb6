//! The stores the memo's tests run on: one of each real backend.

use std::sync::{Arc, OnceLock};

use anykv_core::{KvStorage, MemoryStorage};
use anykv_redis::RedisStorage;
use anykv_sqlite::{SqliteOptions, SqliteStorage};
use anykv_test_support::TestServer;

/// The Redis server of this test binary, started once.
pub fn redis() -> &'static TestServer {
    static REDIS: OnceLock<TestServer> = OnceLock::new();
    REDIS.get_or_init(|| anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}")))
}

/// One store of each real backend, each in a namespace of its own.
pub fn stores(label: &str) -> Vec<(&'static str, Arc<dyn KvStorage>)> {
    let namespace = anykv_test_support::unique_name(label);
    let sqlite = SqliteStorage::open(SqliteOptions::temp_dir().namespace(&namespace))
        .unwrap_or_else(|e| panic!("{e}"));
    let redis = RedisStorage::from_url(redis().url(), &namespace).unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("memory", Arc::new(MemoryStorage::new())),
        ("sqlite", Arc::new(sqlite)),
        ("redis", Arc::new(redis)),
    ]
}
