//! The suite on every backend of the family enabled by features
//! (`cargo test -p conformance --features all`).

#[cfg(feature = "memory")]
conformance::conformance_tests!(memory, conformance::backends::Memory::default());

#[cfg(feature = "sqlite")]
conformance::conformance_tests!(sqlite, conformance::backends::Sqlite::new());

#[cfg(feature = "fs")]
conformance::conformance_tests!(fs, conformance::backends::Fs::new());

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_per_key,
    conformance::backends::Redis::standalone(conformance::backends::RedisKind::PerKey)
        .unwrap_or_else(|e| panic!("{e}"))
);

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_hash,
    conformance::backends::Redis::standalone(conformance::backends::RedisKind::Hash)
        .unwrap_or_else(|e| panic!("{e}"))
);

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_cluster_per_key,
    conformance::backends::Redis::cluster(conformance::backends::RedisKind::PerKey)
        .unwrap_or_else(|e| panic!("{e}"))
);

#[cfg(feature = "mongo")]
conformance::conformance_tests!(
    mongo_documents,
    conformance::backends::Mongo::new(conformance::backends::MongoKind::Documents)
        .unwrap_or_else(|e| panic!("{e}"))
);

#[cfg(feature = "mongo")]
conformance::conformance_tests!(
    mongo_gridfs,
    conformance::backends::Mongo::new(conformance::backends::MongoKind::GridFs)
        .unwrap_or_else(|e| panic!("{e}"))
);

#[cfg(feature = "dynamo")]
conformance::conformance_tests!(
    dynamo,
    conformance::backends::Dynamo::new().unwrap_or_else(|e| panic!("{e}"))
);

#[cfg(feature = "redis")]
conformance::conformance_tests!(
    redis_cluster_hash,
    conformance::backends::Redis::cluster(conformance::backends::RedisKind::Hash)
        .unwrap_or_else(|e| panic!("{e}"))
);
