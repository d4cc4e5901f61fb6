//! `kvs import requests-cache`: caches written by requests-cache itself (SQLite, filesystem and
//! Redis, pickle and JSON, from `.tools/requests-cache-venv`) imported into SQLite stores, read back
//! through anykv-http's manager: same bodies, the same expiries, the expired and the corrupt
//! entries left out (the corrupt one listed).

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anykv_http::KvCacheManager;
use http_cache::CacheManager;
use serde_json::Value;

fn writer_output(dir: &std::path::Path, redis_url: &str) -> Value {
    let python = anykv_test_support::find_tool(
        "requests-cache-venv/bin/python",
        anykv_test_support::REQUESTS_CACHE_HOW_TO_GET,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/requests_cache_writer.py"
    );
    let output = Command::new(python)
        .arg(script)
        .arg(dir)
        .arg(redis_url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the requests-cache writer: {e}"));
    assert!(
        output.status.success(),
        "the requests-cache writer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("manifest: {e}"))
}

#[test]
fn caches_written_by_requests_cache_are_imported_with_their_expiries() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let redis = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let manifest = writer_output(dir.path(), redis.url());
    let sqlite_pickle = manifest["caches"]["sqlite_pickle"]
        .as_str()
        .unwrap_or_default();
    // An entry requests-cache could not have written: listed, never fatal.
    rusqlite::Connection::open(sqlite_pickle)
        .and_then(|conn| {
            conn.execute(
                "INSERT INTO responses (key, value, expires) VALUES ('corrupt', X'80046e6f74206120706963', NULL)",
                [],
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let caches = manifest["caches"].as_object().cloned().unwrap_or_default();
    assert_eq!(caches.len(), 6, "{manifest}");
    let runtime = anykv_test_support::runtime();
    for (name, source) in caches {
        let source = source.as_str().unwrap_or_default();
        let url = format!("sqlite://{}/{name}.db", dir.path().display());
        let output = Command::new(env!("CARGO_BIN_EXE_kvs"))
            .args(["import", "requests-cache", source, &url, "--json"])
            .output()
            .unwrap_or_else(|e| panic!("kvs: {e}"));
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&output.stderr)));
        let corrupt = usize::from(name == "sqlite_pickle");
        assert_eq!(report["imported"], 3, "{name}: {report}");
        assert_eq!(
            report["skipped"], 1,
            "{name}: the expired response: {report}"
        );
        assert_eq!(
            report["unreadable"].as_array().map(Vec::len),
            Some(corrupt),
            "{name}: {report}"
        );
        assert_eq!(
            output.status.code(),
            Some(if corrupt == 1 { 4 } else { 0 }),
            "{name}"
        );

        runtime.block_on(async {
            let store = anykv::open_async(&url)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let manager = KvCacheManager::new(store);
            for expected in manifest["responses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let url = expected["url"].as_str().unwrap_or_default();
                let (response, policy) = manager
                    .get(&format!("GET:{url}"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("{name}: {url} was not imported"));
                assert_eq!(
                    String::from_utf8_lossy(&response.body),
                    expected["body"].as_str().unwrap_or_default(),
                    "{name}: {url}"
                );
                // Fresh until requests-cache's own expiry (an hour after it was written).
                let expires = UNIX_EPOCH
                    + Duration::from_secs_f64(expected["expires"].as_f64().unwrap_or_default());
                let left = policy.time_to_live(SystemTime::now());
                let want = expires
                    .duration_since(SystemTime::now())
                    .unwrap_or_default();
                assert!(
                    left <= want + Duration::from_secs(2)
                        && left + Duration::from_secs(120) >= want,
                    "{name}: {url}: fresh for {left:?}, requests-cache said {want:?}"
                );
            }
            let expired = manifest["expired"].as_str().unwrap_or_default();
            let gone = manager
                .get(&format!("GET:{expired}"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(gone.is_none(), "{name}: the expired response was imported");
        });
    }
}

#[test]
fn a_missing_or_foreign_source_is_an_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}/dst.db", dir.path().display());
    let missing = dir.path().join("nothing.sqlite");
    let output = Command::new(env!("CARGO_BIN_EXE_kvs"))
        .args([
            "import",
            "requests-cache",
            &missing.display().to_string(),
            &url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("kvs: {e}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing.sqlite"));
    let foreign = dir.path().join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .and_then(|conn| conn.execute("CREATE TABLE other (x)", []))
        .unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new(env!("CARGO_BIN_EXE_kvs"))
        .args([
            "import",
            "requests-cache",
            &foreign.display().to_string(),
            &url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("kvs: {e}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a requests-cache"));
}
