//! What a URL names, before anything connects: the backend and its options, every parameter
//! checked. [`open`](crate::open) and [`open_async`](crate::open_async) then open it on their
//! face, so a mistake in a URL never costs a connection attempt.

use anykv_core::{Error, Result, StoreUrl};

/// The schemes the facade knows: the feature each needs, and whether this build has it.
const SCHEMES: &[(&str, &str, bool)] = &[
    ("memory", "memory", cfg!(feature = "memory")),
    ("sqlite", "sqlite", cfg!(feature = "sqlite")),
    ("file", "fs", cfg!(feature = "fs")),
    ("redis", "redis", cfg!(feature = "redis")),
    ("rediss", "redis-tls", cfg!(feature = "redis-tls")),
    ("redis+cluster", "redis", cfg!(feature = "redis")),
    ("rediss+cluster", "redis-tls", cfg!(feature = "redis-tls")),
    ("redis+unix", "redis", cfg!(feature = "redis")),
    ("redis+sentinel", "redis", cfg!(feature = "redis")),
    ("rediss+sentinel", "redis-tls", cfg!(feature = "redis-tls")),
    ("mongodb", "mongo", cfg!(feature = "mongo")),
    ("mongodb+srv", "mongo-srv", cfg!(feature = "mongo-srv")),
    ("dynamodb", "dynamo", cfg!(feature = "dynamo")),
];

/// A store named by a URL, not opened yet.
pub(crate) enum Target {
    /// `memory://NAME`.
    Memory {
        /// The name of the process-wide database.
        name: String,
        /// The namespace in it (the database's name unless the URL gives one).
        namespace: String,
        /// The value limit, if any.
        max_value_len: Option<usize>,
        /// The size caps (none by default).
        caps: anykv_core::caps::SizeCaps,
    },
    /// `sqlite://…`.
    #[cfg(feature = "sqlite")]
    Sqlite(anykv_sqlite::SqliteOptions),
    /// `file://…`.
    #[cfg(feature = "fs")]
    Fs(anykv_fs::FsOptions),
    /// `redis://…` and friends; `hash` picks [`anykv_redis::RedisHashStorage`].
    #[cfg(feature = "redis")]
    Redis {
        /// Where and how to connect.
        options: anykv_redis::RedisOptions,
        /// One hash per namespace instead of a key per entry.
        hash: bool,
    },
    /// `mongodb://…`; `gridfs` picks [`anykv_mongo::GridFsStorage`].
    #[cfg(feature = "mongo")]
    Mongo {
        /// Where and how to connect.
        options: anykv_mongo::MongoOptions,
        /// Values in a GridFS bucket instead of documents.
        gridfs: bool,
    },
    /// `dynamodb://TABLE`.
    #[cfg(feature = "dynamo")]
    Dynamo(anykv_dynamo::DynamoOptions),
}

/// The near cache a URL asks for: `near=true`, or any `near_*` parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NearParams {
    /// `near_max_bytes`.
    pub(crate) max_bytes: Option<u64>,
    /// `near_max_entries`.
    pub(crate) max_entries: Option<u64>,
    /// `near_max_value_len`.
    pub(crate) max_value_len: Option<usize>,
    /// `near_max_staleness`.
    pub(crate) max_staleness: Option<std::time::Duration>,
}

impl NearParams {
    /// The near-cache parameters of `url`, taken; `None` when it asks for none.
    fn take(url: &mut StoreUrl) -> Result<Option<NearParams>> {
        let on = url.take_bool("near")?;
        let params = NearParams {
            max_bytes: url.take_usize("near_max_bytes")?.map(|n| n as u64),
            max_entries: url.take_usize("near_max_entries")?.map(|n| n as u64),
            max_value_len: url.take_usize("near_max_value_len")?,
            max_staleness: url.take_duration("near_max_staleness")?,
        };
        let asked = on.unwrap_or(params != NearParams::default());
        if asked && !cfg!(feature = "near") {
            return Err(url.error(
                "near=… needs the feature \"near\" (of anykv, or of anykv-cli for kvs), which \
                 this build leaves out",
            ));
        }
        Ok(asked.then_some(params))
    }
}

impl Target {
    /// Reads `url`: its scheme, options and parameters, and the near cache it asks for. An
    /// unknown scheme, a scheme whose feature this build leaves out, an unknown parameter or a
    /// bad value is an error naming it, with the password hidden.
    pub(crate) fn parse(url: &str) -> Result<(Target, Option<NearParams>)> {
        let mut url = StoreUrl::parse(url)?;
        if let Some(error) = missing_feature(&url, SCHEMES) {
            return Err(error);
        }
        let near = NearParams::take(&mut url)?;
        let target = match url.scheme() {
            "memory" => memory(&mut url)?,
            #[cfg(feature = "sqlite")]
            "sqlite" => Target::Sqlite(anykv_sqlite::SqliteOptions::from_store_url(&mut url)?),
            #[cfg(feature = "fs")]
            "file" => Target::Fs(anykv_fs::FsOptions::from_store_url(&mut url)?),
            #[cfg(feature = "redis")]
            "redis" | "rediss" | "redis+cluster" | "rediss+cluster" | "redis+unix"
            | "redis+sentinel" | "rediss+sentinel" => {
                let hash = url.take_bool("hash")?.unwrap_or(false);
                let options = anykv_redis::RedisOptions::from_store_url(&mut url)?;
                Target::Redis { options, hash }
            }
            #[cfg(feature = "mongo")]
            "mongodb" | "mongodb+srv" => {
                let gridfs = url.take_bool("gridfs")?.unwrap_or(false);
                let options = anykv_mongo::MongoOptions::from_store_url(&mut url)?;
                Target::Mongo { options, gridfs }
            }
            #[cfg(feature = "dynamo")]
            "dynamodb" => Target::Dynamo(anykv_dynamo::DynamoOptions::from_store_url(&mut url)?),
            scheme => return Err(unknown_scheme(&url, scheme)),
        };
        url.finish()?;
        Ok((target, near))
    }
}

/// The error for a URL whose scheme needs a feature that `schemes` (scheme, feature, built)
/// says this build leaves out; `None` when the scheme is built or unknown.
fn missing_feature(url: &StoreUrl, schemes: &[(&str, &str, bool)]) -> Option<Error> {
    let (scheme, feature, _) = schemes
        .iter()
        .find(|(scheme, _, built)| *scheme == url.scheme() && !built)?;
    Some(url.error(format!(
        "{scheme}:// needs the feature {feature:?} (of anykv, or of anykv-cli for kvs), \
         which this build leaves out"
    )))
}

/// `memory://[NAME][?namespace=NS&max_value_len=N&max_entries=N&max_bytes=N]`.
fn memory(url: &mut StoreUrl) -> Result<Target> {
    let name = match url.url().host_str() {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => anykv_core::Namespace::DEFAULT.to_owned(),
    };
    if !matches!(url.url().path(), "" | "/") {
        return Err(url.error("memory://NAME takes no path"));
    }
    let namespace = url.take("namespace").unwrap_or_else(|| name.clone());
    let max_value_len = url.take_usize("max_value_len")?;
    let caps = anykv_core::caps::SizeCaps::from_store_url(url)?;
    Ok(Target::Memory {
        name,
        namespace,
        max_value_len,
        caps,
    })
}

fn unknown_scheme(url: &StoreUrl, scheme: &str) -> Error {
    url.error(format!(
        "unknown scheme {scheme:?} (known: {})",
        SCHEMES
            .iter()
            .map(|(scheme, _, _)| *scheme)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever features this test build has, a scheme marked as left out is refused naming
    /// its feature, and a built or unknown one is not refused for that reason.
    #[test]
    fn a_scheme_without_its_feature_names_the_feature() -> Result<()> {
        let table = [("redis", "redis", false), ("sqlite", "sqlite", true)];
        let url = StoreUrl::parse("redis://user:hunter2@cache.local/0")?;
        let message = missing_feature(&url, &table)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("feature \"redis\""), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        assert!(missing_feature(&StoreUrl::parse("sqlite::memory:")?, &table).is_none());
        assert!(missing_feature(&StoreUrl::parse("postgres://db/x")?, &table).is_none());
        Ok(())
    }
}
