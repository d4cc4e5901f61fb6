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
