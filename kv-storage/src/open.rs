//! [`open`] and [`open_async`]: any store, named by a URL.

#[cfg(any(feature = "memory", feature = "sqlite", feature = "fs"))]
use storage_core::AsyncAdapter;
use storage_core::{AsyncKvStorage, Error, KvStorage, Result, StoreUrl};

/// The environment variable [`open_default`] reads.
pub const URL_VARIABLE: &str = "KV_STORAGE_URL";

/// The schemes [`open`] knows: the feature each needs, and whether this build has it.
const SCHEMES: &[(&str, &str, bool)] = &[
    ("memory", "memory", cfg!(feature = "memory")),
    ("sqlite", "sqlite", cfg!(feature = "sqlite")),
    ("file", "fs", cfg!(feature = "fs")),
    ("redis", "redis", cfg!(feature = "redis")),
    ("rediss", "redis-tls", cfg!(feature = "redis-tls")),
    ("redis+cluster", "redis", cfg!(feature = "redis")),
    ("rediss+cluster", "redis-tls", cfg!(feature = "redis-tls")),
    ("redis+unix", "redis", cfg!(feature = "redis")),
    ("mongodb", "mongo", cfg!(feature = "mongo")),
    ("mongodb+srv", "mongo-srv", cfg!(feature = "mongo-srv")),
    ("dynamodb", "dynamo", cfg!(feature = "dynamo")),
];

/// The process-wide in-memory database behind `memory://` URLs: the same name opens the same
/// store everywhere in the process.
#[cfg(feature = "memory")]
fn memory_database() -> &'static storage_core::MemoryDatabase {
    static DATABASE: std::sync::OnceLock<storage_core::MemoryDatabase> = std::sync::OnceLock::new();
    DATABASE.get_or_init(storage_core::MemoryDatabase::new)
}

/// Opens the store `url` names, as a blocking store:
///
/// - `memory://[name]` (feature `memory`): the process-wide in-memory store `name`;
///   parameter `max_value_len`;
/// - `sqlite:///absolute/path.db`, `sqlite://relative/path.db`, `sqlite::memory:` (feature
///   `sqlite`): see `SqliteOptions::from_url`;
/// - `file:///absolute/dir`, `file://relative/dir` (feature `fs`): see `FsOptions::from_url`.
///
/// The network schemes (`redis://`, `rediss://`, `redis+cluster://`, `mongodb://`,
/// `mongodb+srv://`, `dynamodb://`) are recognised and answered with an error saying they are
/// not opened by URL yet (use the backend's own constructor), or which feature enables them.
/// Every error names the URL with its password hidden.
pub fn open(url: &str) -> Result<Box<dyn KvStorage>> {
    let parsed = StoreUrl::parse(url)?;
    match parsed.scheme() {
        #[cfg(feature = "memory")]
        "memory" => open_memory(parsed).map(|store| Box::new(store) as Box<dyn KvStorage>),
        #[cfg(feature = "sqlite")]
        "sqlite" => {
            let options = storage_sqlite::SqliteOptions::from_url(url)?;
            Ok(Box::new(storage_sqlite::SqliteStorage::open(options)?))
        }
        #[cfg(feature = "fs")]
        "file" => {
            let options = storage_fs::FsOptions::from_url(url)?;
            Ok(Box::new(storage_fs::FsStorage::open(options)?))
        }
        scheme => Err(unavailable(&parsed, scheme)),
    }
}

/// Opens the store `url` names, as an async store (the local stores run on tokio's blocking
/// pool through [`AsyncAdapter`]). The same URLs as [`open`].
pub fn open_async(url: &str) -> Result<Box<dyn AsyncKvStorage>> {
    let parsed = StoreUrl::parse(url)?;
    match parsed.scheme() {
        #[cfg(feature = "memory")]
        "memory" => Ok(Box::new(AsyncAdapter::new(open_memory(parsed)?))),
        #[cfg(feature = "sqlite")]
        "sqlite" => {
            let options = storage_sqlite::SqliteOptions::from_url(url)?;
            Ok(Box::new(AsyncAdapter::new(
                storage_sqlite::SqliteStorage::open(options)?,
            )))
        }
        #[cfg(feature = "fs")]
        "file" => {
            let options = storage_fs::FsOptions::from_url(url)?;
            Ok(Box::new(AsyncAdapter::new(storage_fs::FsStorage::open(
                options,
            )?)))
        }
        scheme => Err(unavailable(&parsed, scheme)),
    }
}

/// Opens the store named by the environment variable `KV_STORAGE_URL`.
pub fn open_default() -> Result<Box<dyn KvStorage>> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) => open(&url),
        Err(_) => Err(Error::Config(format!(
            "{URL_VARIABLE} is not set: set it to a store URL such as sqlite:///var/cache/app.db"
        ))),
    }
}

#[cfg(feature = "memory")]
fn open_memory(mut url: StoreUrl) -> Result<storage_core::MemoryStorage> {
    let name = match url.url().host_str() {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => storage_core::Namespace::DEFAULT.to_owned(),
    };
    if !matches!(url.url().path(), "" | "/") {
        return Err(url.error("memory://NAME takes no path"));
    }
    let max_value_len = url.take_usize("max_value_len")?;
    url.finish(&["max_value_len"])?;
    let store = memory_database().open(&name)?;
    Ok(match max_value_len {
        Some(max) => store.with_max_value_len(max),
        None => store,
    })
}

/// The error for a scheme this build cannot open.
fn unavailable(url: &StoreUrl, scheme: &str) -> Error {
    match SCHEMES.iter().find(|(known, _, _)| *known == scheme) {
        Some((_, feature, false)) => url.error(format!(
            "{scheme}:// needs the kv-storage feature {feature:?}, which this build leaves out"
        )),
        Some(_) => url.error(format!(
            "{scheme}:// stores are not opened by URL yet: use the backend crate's constructor"
        )),
        None => url.error(format!(
            "unknown scheme {scheme:?} (known: {})",
            SCHEMES
                .iter()
                .map(|(scheme, _, _)| *scheme)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
