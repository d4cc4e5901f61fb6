//! `stats` and `purge`.

use anykv::memo::{MemoStats, SHARED_PREFIX};
use anykv::{open, readable_record, KvStorage, Scan};
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
    let memo_stats = shared_memo_stats(&*store)?;
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
            "memo": memo_stats.iter().map(|(name, stats)| json!({
                "name": name,
                "hit": stats.hit,
                "stale": stats.stale,
                "missed": stats.missed,
                "refresh": stats.refresh,
                "success": stats.success,
                "failed": stats.failed,
                "wait": stats.wait,
                "wait_timeout": stats.wait_timeout,
                "default": stats.default,
                "store_failed": stats.store_failed,
                "hit_ratio": stats.hit_ratio(),
            })).collect::<Vec<_>>(),
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
        for (name, stats) in &memo_stats {
            let ratio = stats
                .hit_ratio()
                .map_or("-".to_owned(), |ratio| format!("{:.1}%", ratio * 100.0));
            println!(
                "memo {name:?}  hit {} stale {} missed {} ({ratio} served), refreshed {} ({} failed), waited {} ({} timed out), store failures {}",
                stats.hit,
                stats.stale,
                stats.missed,
                stats.refresh,
                stats.failed,
                stats.wait,
                stats.wait_timeout,
                stats.store_failed
            );
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

/// The statistics memo caches share in this store
/// ([`MemoOptions::shared_stats`](anykv::memo::MemoOptions::shared_stats)), by a prefix scan.
fn shared_memo_stats(store: &dyn KvStorage) -> Result<Vec<(String, MemoStats)>, Failure> {
    let mut entries = Vec::new();
    for item in store.scan(Scan::with_values().prefix(SHARED_PREFIX))? {
        if let Some(record) = readable_record(item)? {
            entries.push((record.key, record.value.unwrap_or_default()));
        }
    }
    Ok(MemoStats::of_shared_entries(entries))
}
