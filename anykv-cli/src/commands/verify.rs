//! `verify`: every entry's signature checked with the application's signing configuration.

use anykv::{open, Scan, Signer, SigningKey};
use serde_json::json;

use super::{scanned, Scanned};
use crate::cli::SigningArgs;
use crate::output;
use crate::{Failure, Outcome};

/// Checks every entry; lists those that fail (and, with `delete`, removes each one that still
/// holds the bytes that failed, so a value rewritten meanwhile is kept).
pub fn verify(url: &str, args: &SigningArgs, delete: bool, json: bool) -> Result<Outcome, Failure> {
    let signer = signer(args)?;
    let store = open(url)?;
    let context = match &args.context {
        Some(context) => context.as_bytes().to_vec(),
        None => store
            .namespace_name()
            .unwrap_or_default()
            .as_bytes()
            .to_vec(),
    };
    let (mut checked, mut deleted, mut unreadable) = (0u64, 0u64, 0u64);
    let mut bad = BadEntries::new(json);
    for item in store.scan(Scan::with_values())? {
        let (record, _) = match scanned(item)? {
            None => continue,
            Some(Scanned::Unreadable(error)) => {
                unreadable += 1;
                bad.list(None, &error.to_string(), false);
                continue;
            }
            Some(Scanned::Live(record, ttl)) => (record, ttl),
        };
        checked += 1;
        let value = record.value.unwrap_or_default();
        let Err(error) = signer.verify_bound(&context, &record.key, &value) else {
            continue;
        };
        let removed = delete && store.compare_and_delete(&record.key, &value)?;
        deleted += u64::from(removed);
        bad.list(Some(&record.key), &error.to_string(), removed);
    }
    let failed = bad.count;
    if json {
        output::json(&json!({
            "checked": checked,
            "bad": bad.listed,
            "deleted": deleted,
            "unreadable": unreadable,
        }))?;
    } else {
        println!("{checked} entries checked, {failed} bad, {deleted} deleted");
    }
    Ok(if failed == deleted {
        Outcome::Done
    } else {
        Outcome::BadEntries
    })
}

/// The entries that failed: printed as they are found, or kept for the JSON report.
struct BadEntries {
    json: bool,
    listed: Vec<serde_json::Value>,
    count: u64,
}

impl BadEntries {
    fn new(json: bool) -> Self {
        BadEntries {
            json,
            listed: Vec::new(),
            count: 0,
        }
    }

    /// Lists one bad entry (`key` is `None` when the store could not even name it).
    fn list(&mut self, key: Option<&str>, reason: &str, deleted: bool) {
        self.count += 1;
        if self.json {
            self.listed
                .push(json!({ "key": key, "reason": reason, "deleted": deleted }));
        } else {
            let action = if deleted { "deleted" } else { "bad" };
            println!("{action}\t{}\t{reason}", key.unwrap_or("-"));
        }
    }
}

/// The application's signer: its secret from a file or an environment variable.
fn signer(args: &SigningArgs) -> Result<Signer, Failure> {
    let secret = match &args.secret_file {
        Some(path) => {
            let text = std::fs::read(path)
                .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
            let trimmed = text.strip_suffix(b"\n").unwrap_or(&text);
            trimmed.strip_suffix(b"\r").unwrap_or(trimmed).to_vec()
        }
        None => std::env::var(&args.secret_env)
            .map_err(|_| {
                format!(
                    "no signing secret: set {} or pass --secret-file",
                    args.secret_env
                )
            })?
            .into_bytes(),
    };
    if secret.is_empty() {
        return Err("the signing secret is empty".into());
    }
    Ok(Signer::new(
        &args.salt,
        [SigningKey::new(args.key_id.clone(), secret)?],
    )?)
}
