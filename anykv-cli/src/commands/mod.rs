//! The subcommands, one module per group.

mod bench;
mod copy;
mod entries;
mod import;
mod maintenance;
mod verify;

use anykv::time::{remaining_ttl, Timestamp};
use anykv::{Error, Record};

use crate::cli::{Command, ImportFrom};
use crate::{Failure, Outcome};

/// Runs `command`, printing JSON when `json` is set.
pub fn run(command: Command, json: bool) -> Result<Outcome, Failure> {
    match command {
        Command::Ls {
            url,
            prefix,
            long,
            expired,
        } => entries::ls(&url, prefix.as_deref(), long, expired, json),
        Command::Get { url, key, output } => entries::get(&url, &key, output.as_deref(), json),
        Command::Set {
            url,
            key,
            file,
            value,
            ttl,
        } => entries::set(&url, &key, file.as_deref(), value, ttl, json),
        Command::Touch { url, key, ttl, .. } => entries::touch(&url, &key, ttl, json),
        Command::Rm { url, keys, prefix } => match prefix {
            Some(prefix) => entries::rm_prefix(&url, &prefix, json),
            None => entries::rm(&url, &keys, json),
        },
        Command::Stats { url } => maintenance::stats(&url, json),
        Command::Purge { url } => maintenance::purge(&url, json),
        Command::Verify {
            url,
            signing,
            delete,
        } => verify::verify(&url, &signing, delete, json),
        Command::Copy {
            src,
            dst,
            skip_existing,
            force,
        } => copy::copy(
            &src,
            &dst,
            copy::Options {
                skip_existing,
                force,
            },
            json,
        ),
        Command::Bench { url, ops, size } => bench::bench(&url, ops, size, json),
        Command::Import(ImportFrom::RequestsCache { src, dst }) => {
            import::requests_cache(&src, &dst, json)
        }
    }
}

/// What a scan yields, sorted out: a live entry with its remaining TTL, an entry that cannot
/// be read (listed, not fatal), or nothing (expired while scanning).
enum Scanned {
    Live(Record, Option<std::time::Duration>),
    Unreadable(Error),
}

/// Sorts one scanned item; an error that is not about the entry itself (a lost connection)
/// ends the command.
fn scanned(item: anykv::Result<Record>) -> Result<Option<Scanned>, Failure> {
    match item {
        Ok(record) => Ok(remaining_ttl(record.expires_at, Timestamp::now())
            .map(|ttl| Scanned::Live(record, ttl))),
        Err(error) if error.is_invalid_data() => Ok(Some(Scanned::Unreadable(error))),
        Err(error) => Err(error.into()),
    }
}
