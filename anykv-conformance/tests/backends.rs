//! The suite on every backend of the family enabled by features
//! (`cargo test -p anykv-conformance --features all`), on servers the tests start themselves (or the
//! ones named by the `STORAGE_TEST_*` variables, see the `anykv-test-support` crate).

#[cfg(any(feature = "redis", feature = "mongo", feature = "dynamo"))]
use anykv_conformance::Guarded;

#[cfg(feature = "memory")]
anykv_conformance::conformance_tests!(memory, anykv_conformance::backends::Memory::default());

#[cfg(feature = "sqlite")]
anykv_conformance::conformance_tests!(sqlite, anykv_conformance::backends::Sqlite::new());

#[cfg(feature = "fs")]
anykv_conformance::conformance_tests!(fs, anykv_conformance::backends::Fs::new());

#[cfg(feature = "fs")]
anykv_conformance::conformance_tests!(fs_readable, anykv_conformance::backends::Fs::readable());

/// Redis stores of `kind` on a server `start` brings up (or a `STORAGE_TEST_*` one).
#[cfg(feature = "redis")]
fn redis(
    start: impl FnOnce() -> Result<anykv_test_support::TestServer, String>,
    kind: anykv_conformance::backends::RedisKind,
) -> Result<Guarded<anykv_conformance::backends::Redis>, String> {
    let server = start()?;
    Ok(Guarded::new(
        anykv_conformance::backends::Redis::new(server.url(), kind),
        server,
    ))
}

/// The suite on both Redis stores, standalone and on a cluster, of each server build: the
/// default one (Debian's 7.0, or `STORAGE_TEST_REDIS_*`), and the two that expire hash fields
/// themselves (Redis 8, Valkey 9), on which the hash store takes another path.
#[cfg(feature = "redis")]
macro_rules! redis_suites {
    ($($name:ident: $start:expr, $kind:ident;)*) => {
        $(
            anykv_conformance::conformance_tests!(
                $name,
                redis($start, anykv_conformance::backends::RedisKind::$kind)
            );
        )*
    };
}

#[cfg(feature = "redis")]
use anykv_test_support::RedisServer::{Redis8, Valkey9};

#[cfg(feature = "redis")]
redis_suites! {
    redis_per_key: anykv_test_support::redis, PerKey;
    redis_hash: anykv_test_support::redis, Hash;
    redis_cluster_per_key: anykv_test_support::redis_cluster, PerKey;
    redis_cluster_hash: anykv_test_support::redis_cluster, Hash;
    redis8_per_key: || anykv_test_support::redis_on(Redis8), PerKey;
    redis8_hash: || anykv_test_support::redis_on(Redis8), Hash;
    redis8_cluster_per_key: || anykv_test_support::redis_cluster_on(Redis8), PerKey;
    redis8_cluster_hash: || anykv_test_support::redis_cluster_on(Redis8), Hash;
    valkey9_per_key: || anykv_test_support::redis_on(Valkey9), PerKey;
    valkey9_hash: || anykv_test_support::redis_on(Valkey9), Hash;
    valkey9_cluster_per_key: || anykv_test_support::redis_cluster_on(Valkey9), PerKey;
    valkey9_cluster_hash: || anykv_test_support::redis_cluster_on(Valkey9), Hash;
}

/// MongoDB stores of `kind` on SecantusDB (or `STORAGE_TEST_MONGO_URL`).
#[cfg(feature = "mongo")]
fn mongo(
    kind: anykv_conformance::backends::MongoKind,
) -> Result<Guarded<anykv_conformance::backends::Mongo>, String> {
    let server = anykv_test_support::mongo()?;
    let backend = anykv_conformance::backends::Mongo::new(server.url(), kind)?;
    Ok(Guarded::new(backend, server))
}

#[cfg(feature = "mongo")]
anykv_conformance::conformance_tests!(
    mongo_documents,
    mongo(anykv_conformance::backends::MongoKind::Documents)
);

#[cfg(feature = "mongo")]
anykv_conformance::conformance_tests!(
    mongo_queryable_values,
    mongo(anykv_conformance::backends::MongoKind::QueryableValues)
);

#[cfg(feature = "mongo")]
anykv_conformance::conformance_tests!(
    mongo_gridfs,
    mongo(anykv_conformance::backends::MongoKind::GridFs)
);

#[cfg(feature = "dynamo")]
anykv_conformance::conformance_tests!(dynamo, {
    anykv_test_support::dynamo().and_then(|server| {
        let backend = anykv_conformance::backends::Dynamo::new(server.url())?;
        Ok(Guarded::new(backend, server))
    })
});
