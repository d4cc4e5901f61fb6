//! Quickstart: typed, signed values with a TTL in SQLite.
//!
//! `cargo run -p anykv-sqlite --example sqlite_quickstart`

use std::time::Duration;

use anykv_core::{KvStorage, Signed, Signer, SigningKey, Typed};
use anykv_sqlite::{SqliteOptions, SqliteStorage};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct CachedResponse {
    status: u16,
    body: String,
}

fn main() -> Result<(), anykv_core::Error> {
    // One SQLite file (here in a temp dir; SqliteOptions::path or ::cache_dir for real use).
    let sqlite = SqliteStorage::open(SqliteOptions::temp_dir().namespace("responses"))?;

    // Sign with the newest key, verify with any: rotate by putting a new key first.
    let signer = Signer::new(
        "http-cache",
        [SigningKey::new("2026-11", "a long random secret")?],
    )?;
    let cache: Typed<_, CachedResponse> = Typed::new(Signed::new(sqlite.clone(), signer));

    let response = CachedResponse {
        status: 200,
        body: "<html>hello</html>".into(),
    };
    cache.set(
        "GET https://example.com/",
        &response,
        Some(Duration::from_secs(300)),
    )?;

    let hit = cache.get("GET https://example.com/")?;
    println!("hit: {hit:?}");
    assert_eq!(hit, Some(response));
    println!(
        "expires in: {:?}",
        cache
            .expiry("GET https://example.com/")?
            .and_then(|e| e.ttl())
    );

    // Tampering with the stored bytes is caught before anything is deserialized.
    let mut raw = sqlite.get("GET https://example.com/")?.unwrap_or_default();
    if let Some(byte) = raw.last_mut() {
        *byte ^= 1;
    }
    sqlite.set("GET https://example.com/", &raw, None)?;
    match cache.get("GET https://example.com/") {
        Err(error) => println!("tampered entry refused: {error}"),
        Ok(value) => panic!("tampering went unnoticed: {value:?}"),
    }
    Ok(())
}
