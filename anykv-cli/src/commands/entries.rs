//! `ls`, `get`, `set`, `rm`: single entries and listings.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use anykv::time::{remaining_ttl, Timestamp};
use anykv::{open, KvStorageExt, Scan};
use serde_json::json;

use super::{scanned, Scanned};
use crate::output::{self, JsonArray};
use crate::{Failure, Outcome};

/// Lists the keys (with `long`, their remaining TTL and size), streamed; with `expired`, the
/// expired entries the store still holds too (marked).
pub fn ls(
    url: &str,
    prefix: Option<&str>,
    long: bool,
    expired: bool,
    json: bool,
) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let scan = if long {
        Scan::with_values()
    } else {
        Scan::keys_only()
    };
    let scan = if expired {
        scan.including_expired()
    } else {
        scan
    };
    let mut array = if json {
        Some(JsonArray::start()?)
    } else {
        None
    };
    let mut stdout = std::io::stdout().lock();
    let mut bad = 0usize;
    for item in store.scan(scan.prefix(prefix.unwrap_or_default()))? {
        if let Ok(record) = &item {
            if expired && record.expires_at.is_some_and(|at| at.is_expired()) {
                let size = record.value.as_ref().map(Vec::len);
                match (&mut array, long) {
                    (Some(array), true) => {
                        array.push(&json!({ "key": record.key, "expired": true, "size": size }))?
                    }
                    (Some(array), false) => array.push(&json!(record.key))?,
                    (None, true) => writeln!(
                        stdout,
                        "{:>10} {:>10}  {}",
                        "expired",
                        output::size(size.unwrap_or(0) as u64),
                        record.key
                    )?,
                    (None, false) => writeln!(stdout, "{}", record.key)?,
                }
                continue;
            }
        }
        let Some(scanned) = scanned(item)? else {
            continue;
        };
        let (record, ttl) = match scanned {
            Scanned::Live(record, ttl) => (record, ttl),
            Scanned::Unreadable(error) => {
                bad += 1;
                match &mut array {
                    Some(array) => array.push(&json!({ "error": error.to_string() }))?,
                    None => eprintln!("kvs: unreadable entry: {error}"),
                }
                continue;
            }
        };
        let size = record.value.as_ref().map(Vec::len);
        match (&mut array, long) {
            (Some(array), true) => array.push(&json!({
                "key": record.key,
                "ttl_ms": output::ttl_ms(ttl),
                "size": size,
            }))?,
            (Some(array), false) => array.push(&json!(record.key))?,
            (None, true) => writeln!(
                stdout,
                "{:>10} {:>10}  {}",
                output::ttl(ttl),
                output::size(size.unwrap_or(0) as u64),
                record.key
            )?,
            (None, false) => writeln!(stdout, "{}", record.key)?,
        }
    }
    drop(stdout);
    if let Some(array) = array {
        array.finish()?;
    }
    Ok(if bad == 0 {
        Outcome::Done
    } else {
        Outcome::BadEntries
    })
}

/// Writes the value of `key` to stdout or `output`.
pub fn get(url: &str, key: &str, output: Option<&Path>, json: bool) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let Some(entry) = store.get_entry(key)? else {
        eprintln!("kvs: no entry under {key:?}");
        return Ok(Outcome::NotFound);
    };
    let ttl = remaining_ttl(entry.expires_at, Timestamp::now()).flatten();
    if let Some(path) = output {
        std::fs::write(path, &entry.value)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if json {
        let value = match (output, std::str::from_utf8(&entry.value)) {
            (Some(_), _) => {
                json!({ "key": key, "size": entry.value.len(), "ttl_ms": output::ttl_ms(ttl) })
            }
            (None, Ok(text)) => json!({ "key": key, "value": text, "ttl_ms": output::ttl_ms(ttl) }),
            (None, Err(_)) => {
                json!({ "key": key, "value_hex": hex(&entry.value), "ttl_ms": output::ttl_ms(ttl) })
            }
        };
        output::json(&value)?;
    } else if output.is_none() {
        std::io::stdout().lock().write_all(&entry.value)?;
    }
    Ok(Outcome::Done)
}

/// Stores a value from `--value`, `--file` or stdin under `key`.
pub fn set(
    url: &str,
    key: &str,
    file: Option<&Path>,
    value: Option<String>,
    ttl: Option<Duration>,
    json: bool,
) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let limit = store.max_value_len();
    let value = match (value, file) {
        (Some(value), _) => value.into_bytes(),
        (None, Some(path)) => {
            let file = std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            read_at_most(file, limit)?
        }
        (None, None) => read_at_most(std::io::stdin().lock(), limit)?,
    };
    store.set(key, &value, ttl)?;
    if json {
        output::json(&json!({ "key": key, "size": value.len(), "ttl_ms": output::ttl_ms(ttl) }))?;
    }
    Ok(Outcome::Done)
}

/// Deletes `keys`; `NotFound` if one of them had no entry.
pub fn rm(url: &str, keys: &[String], json: bool) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let mut missing = Vec::new();
    for key in keys {
        if !store.delete(key)? {
            missing.push(key.as_str());
        }
    }
    if json {
        output::json(&json!({ "removed": keys.len() - missing.len(), "missing": missing }))?;
    } else {
        for key in &missing {
            eprintln!("kvs: no entry under {key:?}");
        }
    }
    Ok(if missing.is_empty() {
        Outcome::Done
    } else {
        Outcome::NotFound
    })
}

/// Deletes every entry whose key starts with `prefix`.
pub fn rm_prefix(url: &str, prefix: &str, json: bool) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let removed = store.delete_prefix(prefix)?;
    if json {
        output::json(&json!({ "prefix": prefix, "removed": removed }))?;
    } else {
        eprintln!("kvs: removed {removed} entries under {prefix:?}");
    }
    Ok(Outcome::Done)
}

/// `kvs touch`: a new TTL (`None`: no expiry) for a live entry.
pub fn touch(url: &str, key: &str, ttl: Option<Duration>, json: bool) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let touched = store.touch(key, ttl)?;
    if json {
        output::json(&json!({ "key": key, "touched": touched, "ttl_ms": output::ttl_ms(ttl) }))?;
    } else if !touched {
        eprintln!("kvs: no entry under {key:?}");
    }
    Ok(if touched {
        Outcome::Done
    } else {
        Outcome::NotFound
    })
}

/// Reads all of `input`, refusing more than `limit` bytes without reading them all.
fn read_at_most(input: impl Read, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut value = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    input.take(cap).read_to_end(&mut value)?;
    if value.len() > limit {
        return Err(format!("the value is over this store's limit of {limit} bytes").into());
    }
    Ok(value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
