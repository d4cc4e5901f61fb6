//! Quickstart: typed, signed values with a TTL, on a store opened by URL (SQLite by default).
//!
//! `cargo run -p anykv --features sqlite --example quickstart`
//!
//! Set `ANYKV_URL` to run the same code on another store, e.g.
//! `ANYKV_URL=redis://127.0.0.1:6379/0?namespace=responses` (with `--features redis`).

use std::time::Duration;

use anykv::{KvStorage, Signed, Signer, SigningKey, Typed};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct CachedResponse {
    status: u16,
    body: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The store: ANYKV_URL if set, else a SQLite file in a temporary directory.
    let dir = tempfile::tempdir()?;
    let url = std::env::var(anykv::URL_VARIABLE).unwrap_or_else(|_| {
        format!(
            "sqlite://{}/cache.db?namespace=responses",
            dir.path().display()
        )
    });
    let store = anykv::open(&url)?;
    println!("store: {} ({url})", store.backend_name());

    // Sign with the newest key, verify with any: rotate by putting a new key first.
    let signer = Signer::new(
        "http-cache",
        [SigningKey::new("2026-11", "a long random secret")?],
    )?;
    let cache: Typed<_, CachedResponse> = Typed::new(Signed::new(&store, signer));

    let response = CachedResponse {
        status: 200,
        body: "<html>hello</html>".into(),
    };
    let key = "GET https://example.com/";
    cache.set(key, &response, Some(Duration::from_secs(300)))?;

    let hit = cache.get(key)?;
    println!("hit: {hit:?}");
    assert_eq!(hit, Some(response));
    println!(
        "expires in: {:?}",
        cache.expiry(key)?.and_then(|expiry| expiry.ttl())
    );

    // Tampering with the stored bytes is caught before anything is deserialized.
    let mut raw = store.get(key)?.unwrap_or_default();
    if let Some(byte) = raw.last_mut() {
        *byte ^= 1;
    }
    store.set(key, &raw, None)?;
    match cache.get(key) {
        Err(error) => println!("tampered entry refused: {error} ({})", error.kind()),
        Ok(value) => return Err(format!("tampering went unnoticed: {value:?}").into()),
    }
    store.delete(key)?;
    Ok(())
}
