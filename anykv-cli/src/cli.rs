//! The command line: subcommands and their arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Inspect and manage any anykv store by URL (sqlite://, file://, redis://,
/// redis+cluster://, mongodb://, dynamodb://, memory://).
#[derive(Debug, Parser)]
#[command(
    name = "kvs",
    version,
    after_help = "Exit codes: 0 success, 1 error, 2 usage error, 3 key not found, \
                  4 bad entries found.\nURLs: see the anykv README (scheme table)."
)]
pub struct Cli {
    /// Print JSON for scripts instead of human tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the keys (streamed, in the store's order).
    Ls {
        /// The store.
        url: String,
        /// Only keys starting with this (matched as it is: no wildcards), listed by a prefix
        /// scan the backend runs itself where it can.
        #[arg(long)]
        prefix: Option<String>,
        /// Also show each entry's remaining TTL and size.
        #[arg(long, short)]
        long: bool,
        /// Also list the expired entries the store still holds (until `kvs purge`, or until
        /// the server removes them), marked `expired`.
        #[arg(long)]
        expired: bool,
    },
    /// Write the value of KEY to stdout (or to --output).
    Get {
        /// The store.
        url: String,
        /// The key.
        key: String,
        /// Write the value to this file instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Store a value under KEY, read from stdin, --file or --value.
    Set {
        /// The store.
        url: String,
        /// The key.
        key: String,
        /// Read the value from this file.
        #[arg(long, short, conflicts_with = "value")]
        file: Option<PathBuf>,
        /// The value itself.
        #[arg(long)]
        value: Option<String>,
        /// Expire the entry after this long (250ms, 30s, 5m, 2h).
        #[arg(long, value_parser = parse_ttl)]
        ttl: Option<Duration>,
    },
    /// Give an entry a new TTL (or none, with --persist) without rewriting its value; exit code
    /// 3 if there is no live entry. A signed entry keeps the expiry its signature binds: touch
    /// it through `Signed` in your program instead.
    Touch {
        /// The store.
        url: String,
        /// The key.
        key: String,
        /// Expire the entry this long from now (250ms, 30s, 5m, 2h).
        #[arg(long, value_parser = parse_ttl, required_unless_present = "persist")]
        ttl: Option<Duration>,
        /// Remove the entry's expiry.
        #[arg(long, conflicts_with = "ttl")]
        persist: bool,
    },
    /// Delete keys (exit code 3 if one of them did not exist), or every key with --prefix.
    Rm {
        /// The store.
        url: String,
        /// The keys.
        #[arg(required_unless_present = "prefix", conflicts_with = "prefix")]
        keys: Vec<String>,
        /// Delete every entry whose key starts with this (matched as it is: no wildcards),
        /// listed by a prefix scan the backend runs itself where it can.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Count the entries and their sizes.
    Stats {
        /// The store.
        url: String,
    },
    /// Remove expired entries the backend keeps until purged.
    Purge {
        /// The store.
        url: String,
    },
    /// Check every entry's signature; list the bad ones (exit code 4), or --delete them.
    Verify {
        /// The store.
        url: String,
        /// The signing configuration.
        #[command(flatten)]
        signing: SigningArgs,
        /// Delete the entries that fail (only if they still hold the bytes checked).
        #[arg(long)]
        delete: bool,
    },
    /// Copy every entry from SRC to DST with its remaining TTL; idempotent, so a broken copy
    /// is resumed by running it again.
    Copy {
        /// The source store.
        src: String,
        /// The destination store.
        dst: String,
        /// Keep entries DST already has instead of overwriting them.
        #[arg(long)]
        skip_existing: bool,
        /// Copy signed entries into another namespace too (they are refused otherwise: their
        /// signatures bind the source's namespace, so they would not verify there unless the
        /// application binds another context).
        #[arg(long)]
        force: bool,
    },
    /// Import another cache's stored responses into a store, in anykv-http's format.
    #[command(subcommand)]
    Import(ImportFrom),
    /// Measure set and get latency on the store (writes and then removes its own keys).
    Bench {
        /// The store.
        url: String,
        /// Operations of each kind.
        #[arg(long, default_value_t = 1000)]
        ops: usize,
        /// Value size in bytes.
        #[arg(long, default_value_t = 100)]
        size: usize,
    },
}

/// The caches `kvs import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// A Python requests-cache (1.x): its SQLite file, its filesystem directory or its Redis
    /// server, pickled or JSON. Each response keeps its expiry; unreadable entries are listed
    /// (exit code 4), the others imported.
    RequestsCache {
        /// The cache: `http_cache.sqlite`, the directory of a filesystem cache, or
        /// `redis://host:port/db[?namespace=http_cache]`.
        src: String,
        /// The store to write to.
        dst: String,
    },
}

/// Where `verify` finds the signing secret and how the application configured its signer.
#[derive(Debug, Args)]
pub struct SigningArgs {
    /// The environment variable holding the secret.
    #[arg(long, default_value = "KVS_SIGNING_SECRET")]
    pub secret_env: String,
    /// A file holding the secret (over --secret-env); a trailing newline is ignored.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// The salt the application signs with.
    #[arg(long, default_value = "")]
    pub salt: String,
    /// The key id the application signs with.
    #[arg(long, default_value = "default")]
    pub key_id: String,
    /// The context signatures are bound to, if not the store's namespace (`Signed::bind_to`).
    #[arg(long)]
    pub context: Option<String>,
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    anykv::parse_duration(text)
        .filter(|ttl| !ttl.is_zero())
        .ok_or_else(|| format!("{text:?}: expected a duration such as 250ms, 30s, 5m or 2h"))
}
