//! `copy`: every entry from one store to another, with its remaining TTL.

use std::io::IsTerminal;

use anykv::{open, KvStorage, Scan, SetEntry, Signer};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::{scanned, Scanned};
use crate::output;
use crate::{Failure, Outcome};

/// Entries written per bulk call.
const BATCH: usize = 256;

/// What a copy did.
#[derive(Default)]
struct Tally {
    copied: u64,
    kept_existing: u64,
    unreadable: u64,
}

/// How a copy treats what `dst` holds and signed entries.
pub struct Options {
    /// Keys `dst` already holds are left alone.
    pub skip_existing: bool,
    /// Signed entries are copied into another namespace too.
    pub force: bool,
}

/// Copies `src` into `dst`. Entries keep their remaining TTL (one that expires during the copy
/// is skipped); unreadable entries are counted and skipped. Running it again converges to the
/// same result, so an interrupted copy is resumed by repeating it; with `skip_existing`, keys
/// `dst` already holds are left alone. A signed entry bound for another namespace stops the
/// copy before it is written, unless `force`.
pub fn copy(src: &str, dst: &str, options: Options, json: bool) -> Result<Outcome, Failure> {
    let source = open(src)?;
    let target = open(dst)?;
    let skip_existing = options.skip_existing;
    let rebinds = !options.force && source.namespace_name() != target.namespace_name();
    let progress = progress_bar(source.as_ref(), json);
    let mut tally = Tally::default();
    let mut batch: Vec<(String, Vec<u8>, Option<std::time::Duration>)> = Vec::with_capacity(BATCH);
    for item in source.scan(Scan::with_values())? {
        progress.inc(1);
        match scanned(item)? {
            None => {}
            Some(Scanned::Unreadable(error)) => {
                tally.unreadable += 1;
                progress.suspend(|| eprintln!("kvs: skipped an unreadable entry: {error}"));
            }
            Some(Scanned::Live(record, ttl)) => {
                if rebinds && record.value.as_deref().is_some_and(Signer::looks_signed) {
                    write(target.as_ref(), &mut batch, skip_existing, &mut tally)?;
                    progress.finish_and_clear();
                    return Err(signed_into_another_namespace(
                        &record.key,
                        source.as_ref(),
                        target.as_ref(),
                        tally.copied,
                    ));
                }
                batch.push((record.key, record.value.unwrap_or_default(), ttl));
                if batch.len() == BATCH {
                    write(target.as_ref(), &mut batch, skip_existing, &mut tally)?;
                }
            }
        }
    }
    write(target.as_ref(), &mut batch, skip_existing, &mut tally)?;
    progress.finish_and_clear();
    if json {
        output::json(&json!({
            "copied": tally.copied,
            "kept_existing": tally.kept_existing,
            "unreadable": tally.unreadable,
        }))?;
    } else {
        println!(
            "copied {} entries ({} kept as they were, {} unreadable skipped)",
            tally.copied, tally.kept_existing, tally.unreadable
        );
    }
    Ok(if tally.unreadable == 0 {
        Outcome::Done
    } else {
        Outcome::BadEntries
    })
}

/// Writes and empties `batch`: one bulk write, or one conditional write per entry when
/// existing entries are kept.
fn write(
    target: &dyn KvStorage,
    batch: &mut Vec<(String, Vec<u8>, Option<std::time::Duration>)>,
    skip_existing: bool,
    tally: &mut Tally,
) -> Result<(), Failure> {
    if skip_existing {
        for (key, value, ttl) in batch.iter() {
            if target.set_if_absent(key, value, *ttl)? {
                tally.copied += 1;
            } else {
                tally.kept_existing += 1;
            }
        }
    } else {
        let entries: Vec<SetEntry<'_>> = batch
            .iter()
            .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
            .collect();
        target.set_entries(&entries)?;
        tally.copied += entries.len() as u64;
    }
    batch.clear();
    Ok(())
}

/// A progress bar on a terminal; none when stderr is piped or JSON is asked for.
fn progress_bar(source: &dyn KvStorage, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match source.len() {
        Ok(total) => ProgressBar::new(total as u64),
        Err(_) => ProgressBar::no_length(),
    };
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} entries, {per_sec}, {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// The refusal to copy the signed entry `key` from `source` into the other namespace of
/// `target`, after `copied` entries went over.
fn signed_into_another_namespace(
    key: &str,
    source: &dyn KvStorage,
    target: &dyn KvStorage,
    copied: u64,
) -> Failure {
    let name = |store: &dyn KvStorage| store.namespace_name().unwrap_or("(none)").to_owned();
    format!(
        "stopped before {key:?}, a signed entry: its signature binds namespace {:?}, so in \
         namespace {:?} it would not verify (the application would see a bad signature). Copy \
         into the same namespace (add ?namespace={} to the destination URL), or pass --force if \
         the application binds its signatures to another context; {copied} entries were copied \
         before it, and running the copy again resumes it",
        name(source),
        name(target),
        name(source),
    )
    .into()
}
