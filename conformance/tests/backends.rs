//! The suite on every backend of the family enabled by features
//! (`cargo test -p conformance --features all`).

#[cfg(feature = "memory")]
conformance::conformance_tests!(memory, conformance::backends::Memory::default());

#[cfg(feature = "sqlite")]
conformance::conformance_tests!(sqlite, conformance::backends::Sqlite::new());

#[cfg(feature = "fs")]
conformance::conformance_tests!(fs, conformance::backends::Fs::new());
