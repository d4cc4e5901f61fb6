//! The suite on every backend of the family enabled by features
//! (`cargo test -p conformance --features all`), on servers the tests start themselves (or the
//! ones named by the `STORAGE_TEST_*` variables, see the `test-support` crate).

#[cfg(any(feature = "redis", feature = "mongo", feature = "dynamo"))]
use conformance::Guarded;

#[cfg(feature = "memory")]
conformance::conformance_tests!(memory, conformance::backends::Memory::default());

#[cfg(feature = "sqlite")]
conformance::conformance_tests!(sqlite, conformance::backends::Sqlite::new());

#[cfg(feature = "fs")]
conformance::conformance_tests!(fs, conformance::backends::Fs::new());

/// Redis stores of `kind` on a server `start` brings up (or a `STORAGE_TEST_*` one).
#[cfg(feature = "redis")]
fn redis(
    start: fn() -> Result<test_support::TestServer, String>,
    kind: conformance::backends::RedisKind,
) -> Guarded<conformance::backends::Redis> {
    let server = start().unwrap_or_else(|e| panic!("{e}"));
    Guarded::new(
        conformance::backends::Redis::new(server.url(), kind),
        server,
    )
}

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_per_key,
    redis(
        test_support::redis,
        conformance::backends::RedisKind::PerKey
    )
);

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_hash,
    redis(test_support::redis, conformance::backends::RedisKind::Hash)
);

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_cluster_per_key,
    redis(
        test_support::redis_cluster,
        conformance::backends::RedisKind::PerKey
    )
);

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_cluster_hash,
    redis(
        test_support::redis_cluster,
        conformance::backends::RedisKind::Hash
    )
);

/// MongoDB stores of `kind` on SecantusDB (or `STORAGE_TEST_MONGO_URL`).
#[cfg(feature = "mongo")]
fn mongo(kind: conformance::backends::MongoKind) -> Guarded<conformance::backends::Mongo> {
    let server = test_support::mongo().unwrap_or_else(|e| panic!("{e}"));
    let backend =
        conformance::backends::Mongo::new(server.url(), kind).unwrap_or_else(|e| panic!("{e}"));
    Guarded::new(backend, server)
}

#[cfg(feature = "mongo")]
conformance::conformance_tests!(
    mongo_documents,
    mongo(conformance::backends::MongoKind::Documents)
);

#[cfg(feature = "mongo")]
conformance::conformance_tests!(
    mongo_gridfs,
    mongo(conformance::backends::MongoKind::GridFs)
);

#[cfg(feature = "dynamo")]
conformance::conformance_tests!(dynamo, {
    let server = test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    let backend =
        conformance::backends::Dynamo::new(server.url()).unwrap_or_else(|e| panic!("{e}"));
    Guarded::new(backend, server)
});
