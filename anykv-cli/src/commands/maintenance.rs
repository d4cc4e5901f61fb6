//! `stats` and `purge`.

use anykv::{open, Scan};
use serde_json::json;

use super::{scanned, Scanned};
use crate::output;
use crate::{Failure, Outcome};

/// Counts the live entries, those with a TTL, the unreadable ones, and their sizes (one scan
/// with values, in bounded memory).
pub fn stats(url: &str, json: bool) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let (mut entries, mut with_ttl, mut bad, mut total) = (0u64, 0u64, 0u64, 0u64);
    let mut largest: Option<(String, u64)> = None;
    for item in store.scan(Scan::with_values())? {
        match scanned(item)? {
            None => {}
            Some(Scanned::Unreadable(_)) => bad += 1,
            Some(Scanned::Live(record, ttl)) => {
                entries += 1;
                with_ttl += u64::from(ttl.is_some());
                let size = record.value.as_ref().map_or(0, Vec::len) as u64;
                total += size;
                if largest.as_ref().is_none_or(|(_, most)| size > *most) {
                    largest = Some((record.key, size));
                }
            }
        }
    }
    // Entries the scan saw (live, or unreadable) are not expired ones.
    let expired_kept = (store.len_including_expired()? as u64).saturating_sub(entries + bad);
    let store_size = store.size()?;
    if json {
        output::json(&json!({
            "backend": store.backend_name(),
            "namespace": store.namespace_name(),
            "entries": entries,
            "with_ttl": with_ttl,
            "unreadable": bad,
            "total_bytes": total,
            "largest": largest.as_ref().map(|(key, size)| json!({ "key": key, "bytes": size })),
            "expired_present": expired_kept,
            "store_bytes": store_size,
        }))?;
    } else {
        println!("backend        {}", store.backend_name());
        println!("namespace      {}", store.namespace_name().unwrap_or("-"));
        println!("entries        {entries}");
        println!("with TTL       {with_ttl}");
        println!("unreadable     {bad}");
        println!("total size     {}", output::size(total));
        match &largest {
            Some((key, size)) => println!("largest        {} ({key})", output::size(*size)),
            None => println!("largest        -"),
        }
        println!("expired, kept  {expired_kept} (`kvs purge` removes them; 0 where the backend cannot tell)");
        match store_size {
            Some(bytes) => println!("store size     {}", output::size(bytes)),
            None => println!("store size     not told by this backend"),
        }
    }
    Ok(if bad == 0 {
        Outcome::Done
    } else {
        Outcome::BadEntries
    })
}

/// Removes the expired entries the backend keeps until purged.
pub fn purge(url: &str, json: bool) -> Result<Outcome, Failure> {
    let store = open(url)?;
    let purged = store.purge_expired()?;
    if json {
        output::json(&json!({ "purged": purged }))?;
    } else {
        println!("purged {purged} expired entries");
    }
    Ok(Outcome::Done)
}
