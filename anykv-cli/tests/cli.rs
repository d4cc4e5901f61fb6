//! The `kvs` binary run against real stores: SQLite, fs and a Redis server of the suite.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use anykv::{KvStorage, Signed, Signer, SigningKey};
use serde_json::Value;

/// Runs `kvs` with `args` and `stdin`, with `env` set.
fn kvs(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvs"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run kvs: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin)
            .unwrap_or_else(|e| panic!("cannot feed kvs: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("kvs did not finish: {e}"))
}

/// The exit code, with the output shown when it is not the expected one.
fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn expect(output: &Output, expected: i32) -> String {
    assert_eq!(
        code(output),
        expected,
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn set_get_ls_rm_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}/cli.db?namespace=cli", dir.path().display());
    expect(
        &kvs(&["set", &url, "greeting", "--ttl", "1h"], b"hello\n", &[]),
        0,
    );
    expect(&kvs(&["set", &url, "plain", "--value", "v"], b"", &[]), 0);
    assert_eq!(
        expect(&kvs(&["get", &url, "greeting"], b"", &[]), 0),
        "hello\n"
    );
    let listed = kvs(&["ls", &url, "--long", "--json"], b"", &[]);
    expect(&listed, 0);
    let listed = json(&listed);
    let entries = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2, "{listed}");
    let greeting = entries
        .iter()
        .find(|entry| entry["key"] == "greeting")
        .cloned()
        .unwrap_or_default();
    let ttl = greeting["ttl_ms"].as_u64().unwrap_or(0);
    assert!(ttl > 3_000_000 && ttl <= 3_600_000, "{greeting}");
    assert_eq!(greeting["size"], 6);
    let prefixed = expect(&kvs(&["ls", &url, "--prefix", "gr"], b"", &[]), 0);
    assert_eq!(prefixed, "greeting\n");
    // touch: a new TTL, then none; a missing key is exit code 3; --ttl or --persist is needed.
    expect(&kvs(&["touch", &url, "plain", "--ttl", "2h"], b"", &[]), 0);
    let store = anykv::open(&url).unwrap_or_else(|e| panic!("{e}"));
    let left = store
        .expiry("plain")
        .ok()
        .flatten()
        .and_then(anykv::Expiry::ttl)
        .unwrap_or_default();
    assert!(
        left > Duration::from_secs(7000) && left <= Duration::from_secs(7200),
        "{left:?}"
    );
    expect(&kvs(&["touch", &url, "plain", "--persist"], b"", &[]), 0);
    assert_eq!(
        store.expiry("plain").ok().flatten(),
        Some(anykv::Expiry::Never)
    );
    assert_eq!(store.get("plain").ok().flatten(), Some(b"v".to_vec()));
    expect(&kvs(&["touch", &url, "nothing", "--persist"], b"", &[]), 3);
    expect(&kvs(&["touch", &url, "plain"], b"", &[]), 2);
    expect(&kvs(&["rm", &url, "greeting"], b"", &[]), 0);
    expect(&kvs(&["rm", &url, "greeting"], b"", &[]), 3);
    expect(&kvs(&["get", &url, "greeting"], b"", &[]), 3);
}

#[test]
fn mistakes_exit_with_their_codes_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}/x.db?walk=1", dir.path().display());
    let unknown = kvs(&["ls", &url], b"", &[]);
    expect(&unknown, 1);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("\"walk\""));
    let secret = kvs(&["ls", "redis://u:hunter2@127.0.0.1:1/0?walk=1"], b"", &[]);
    expect(&secret, 1);
    assert!(!String::from_utf8_lossy(&secret.stderr).contains("hunter2"));
    let good = format!("sqlite://{}/x.db", dir.path().display());
    expect(&kvs(&["set", &good, "k", "--ttl", "soon"], b"v", &[]), 2);
    let limited = format!("file://{}/files?max_value_len=4", dir.path().display());
    let too_big = kvs(&["set", &limited, "k"], b"12345", &[]);
    expect(&too_big, 1);
    assert!(String::from_utf8_lossy(&too_big.stderr).contains("limit of 4 bytes"));
}

/// Entries written to SQLite, copied to Redis, then to fs, keep their values and TTLs; a
/// second copy changes nothing.
#[test]
fn copy_sqlite_to_redis_to_fs_keeps_values_and_ttls() -> anykv::Result<()> {
    let redis = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("kvs_copy");
    let sqlite = format!("sqlite://{}/src.db?namespace=copy", dir.path().display());
    let redis_url = format!("{}?namespace={namespace}", redis.url());
    let fs = format!("file://{}/dst?namespace=copy", dir.path().display());
    let source = anykv::open(&sqlite)?;
    for i in 0..600 {
        let ttl = (i % 2 == 0).then(|| Duration::from_secs(3600));
        source.set(&format!("key-{i}"), format!("value {i}").as_bytes(), ttl)?;
    }
    for (from, to) in [(&sqlite, &redis_url), (&redis_url, &fs), (&redis_url, &fs)] {
        let copied = kvs(&["copy", from, to, "--json"], b"", &[]);
        expect(&copied, 0);
        assert_eq!(json(&copied)["copied"], 600, "{from} -> {to}");
    }
    let target = anykv::open(&fs)?;
    assert_eq!(target.len()?, 600);
    for i in [0, 1, 298, 599] {
        let entry = target.get_entry(&format!("key-{i}"))?;
        let entry = entry.unwrap_or_else(|| panic!("key-{i} was not copied"));
        assert_eq!(entry.value, format!("value {i}").into_bytes());
        let remaining = anykv::Expiry::from_option(entry.expires_at).ttl();
        match i % 2 {
            0 => assert!(
                remaining.is_some_and(
                    |ttl| ttl > Duration::from_secs(3000) && ttl <= Duration::from_secs(3600)
                ),
                "key-{i}: {remaining:?}"
            ),
            _ => assert_eq!(remaining, None, "key-{i} gained a TTL"),
        }
    }
    target.set("key-0", b"changed in fs", None)?;
    let kept = kvs(
        &["copy", &redis_url, &fs, "--skip-existing", "--json"],
        b"",
        &[],
    );
    expect(&kept, 0);
    assert_eq!(json(&kept)["kept_existing"], 600);
    assert_eq!(target.get("key-0")?, Some(b"changed in fs".to_vec()));
    anykv::open(&redis_url)?.clear()
}

/// `verify` lists a tampered entry (exit code 4) and, with `--delete`, removes only it.
#[test]
fn verify_finds_and_deletes_a_tampered_entry() -> anykv::Result<()> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "sqlite://{}/signed.db?namespace=pages",
        dir.path().display()
    );
    let raw = anykv::open(&url)?;
    let signer = Signer::new("app-salt", [SigningKey::new("k1", "s3cret")?])?;
    let signed = Signed::new(&raw, signer);
    for key in ["a", "b", "c"] {
        signed.set(key, b"payload", None)?;
    }
    let mut bytes = raw.get("b")?.unwrap_or_default();
    if let Some(last) = bytes.last_mut() {
        *last ^= 1;
    }
    raw.set("b", &bytes, None)?;
    let env = [("APP_SECRET", "s3cret")];
    let args = [
        "verify",
        &url,
        "--secret-env",
        "APP_SECRET",
        "--salt",
        "app-salt",
        "--key-id",
        "k1",
    ];
    let report = kvs(&args, b"", &env);
    let text = expect(&report, 4);
    assert!(text.contains("bad\tb\t"), "{text}");
    assert!(
        text.contains("3 entries checked, 1 bad, 0 deleted"),
        "{text}"
    );
    let wrong = kvs(&args, b"", &[("APP_SECRET", "another")]);
    expect(&wrong, 4);
    let mut deleting = args.to_vec();
    deleting.extend(["--delete", "--json"]);
    let deleted = kvs(&deleting, b"", &env);
    expect(&deleted, 0);
    assert_eq!(json(&deleted)["deleted"], 1);
    assert_eq!(raw.get("b")?, None);
    assert_eq!(signed.get("a")?, Some(b"payload".to_vec()));
    expect(&kvs(&args, b"", &env), 0);
    Ok(())
}

#[test]
fn stats_purge_and_bench_report() -> anykv::Result<()> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("file://{}/stats?namespace=s", dir.path().display());
    let store = anykv::open(&url)?;
    store.set("small", b"12", None)?;
    store.set("large", &[7u8; 5000], Some(Duration::from_secs(600)))?;
    store.set("short", b"x", Some(Duration::from_millis(1)))?;
    // The short entry expires; wait until the store no longer shows it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store.contains("short")? {
        assert!(
            std::time::Instant::now() < deadline,
            "a 1 ms TTL never passed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = kvs(&["stats", &url, "--json"], b"", &[]);
    expect(&stats, 0);
    let stats = json(&stats);
    assert_eq!(stats["entries"], 2, "{stats}");
    assert_eq!(stats["with_ttl"], 1, "{stats}");
    assert_eq!(stats["total_bytes"], 5002, "{stats}");
    assert_eq!(stats["largest"]["key"], "large", "{stats}");
    assert_eq!(
        stats["expired_present"], 1,
        "the expired file is still there: {stats}"
    );
    let store_bytes = stats["store_bytes"].as_u64().unwrap_or(0);
    assert!(
        store_bytes > 5003,
        "the entry files hold keys, values and headers: {stats}"
    );
    let purged = kvs(&["purge", &url, "--json"], b"", &[]);
    expect(&purged, 0);
    assert_eq!(json(&purged)["purged"], 1);
    let stats = json(&kvs(&["stats", &url, "--json"], b"", &[]));
    assert_eq!(stats["expired_present"], 0, "purged: {stats}");
    let bench = kvs(&["bench", &url, "--ops", "50", "--json"], b"", &[]);
    expect(&bench, 0);
    let bench = json(&bench);
    assert_eq!(bench["results"]["get"]["ops"], 50, "{bench}");
    assert!(
        bench["results"]["set"]["p50_us"].as_u64().is_some(),
        "{bench}"
    );
    assert_eq!(store.len()?, 2, "bench left its keys behind");
    Ok(())
}

/// `memory://` stores live as long as the `kvs` process: enough for `bench` and as a `copy`
/// destination that counts what it received.
#[test]
fn memory_urls_work_within_one_run() -> anykv::Result<()> {
    let bench = kvs(
        &["bench", "memory://cli", "--ops", "20", "--json"],
        b"",
        &[],
    );
    expect(&bench, 0);
    assert_eq!(json(&bench)["backend"], "memory");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sqlite = format!("sqlite://{}/m.db", dir.path().display());
    let source = anykv::open(&sqlite)?;
    source.set("a", b"1", None)?;
    source.set("b", b"2", Some(Duration::from_secs(60)))?;
    let copied = kvs(&["copy", &sqlite, "memory://sink", "--json"], b"", &[]);
    expect(&copied, 0);
    assert_eq!(json(&copied)["copied"], 2);
    Ok(())
}

/// `--json ls` on a store that cannot be reached leaves stdout empty (no lone `[`) and says
/// why on stderr; a listing of an empty store is `[]`.
#[test]
fn json_listing_is_valid_json_or_nothing() {
    let dead = kvs(&["--json", "ls", "redis://127.0.0.1:1/0"], b"", &[]);
    expect(&dead, 1);
    assert!(
        dead.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&dead.stdout)
    );
    assert!(
        String::from_utf8_lossy(&dead.stderr).contains("kvs: "),
        "{}",
        String::from_utf8_lossy(&dead.stderr)
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = format!("sqlite://{}/empty.db", dir.path().display());
    let listed = kvs(&["--json", "ls", &empty], b"", &[]);
    expect(&listed, 0);
    assert_eq!(json(&listed), serde_json::json!([]));
}

/// A signed entry is not copied into another namespace (its signature binds the namespace)
/// unless `--force`; into the same namespace of another store it is, and still verifies.
#[test]
fn copy_refuses_signed_entries_bound_for_another_namespace() -> anykv::Result<()> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = format!("sqlite://{}/a.db?namespace=app", dir.path().display());
    let other_namespace = format!("sqlite://{}/a.db?namespace=elsewhere", dir.path().display());
    let same_namespace = format!("file://{}/copy?namespace=app", dir.path().display());
    let signer = || Signer::new("salt", [SigningKey::new("k1", "secret")?]);
    Signed::new(anykv::open(&source)?, signer()?).set("token", b"payload", None)?;

    let refused = kvs(&["copy", &source, &other_namespace], b"", &[]);
    expect(&refused, 1);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("\"token\", a signed entry") && said.contains("--force"),
        "{said}"
    );
    assert_eq!(
        anykv::open(&other_namespace)?.len()?,
        0,
        "refused, yet written"
    );

    expect(&kvs(&["copy", &source, &same_namespace], b"", &[]), 0);
    let copied = Signed::new(anykv::open(&same_namespace)?, signer()?);
    assert_eq!(copied.get("token")?, Some(b"payload".to_vec()));

    expect(
        &kvs(&["copy", &source, &other_namespace, "--force"], b"", &[]),
        0,
    );
    assert_eq!(anykv::open(&other_namespace)?.len()?, 1);
    Ok(())
}

/// `ls --prefix` and `rm --prefix` list and delete exactly the keys starting with the prefix,
/// glob and `LIKE` characters matched as they are, on SQLite and Redis.
#[test]
fn prefixes_list_and_remove_exactly_their_keys() -> anykv::Result<()> {
    let redis = anykv_test_support::redis().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("kvs_prefix");
    let urls = [
        format!("sqlite://{}/p.db?namespace=prefix", dir.path().display()),
        format!("{}?namespace={namespace}", redis.url()),
    ];
    let keys = [
        "user:1", "user:2", "user*", "user%x", "users", "use", "u*er:1",
    ];
    for url in &urls {
        let store = anykv::open(url)?;
        for key in keys {
            store.set(key, b"v", None)?;
        }
        let listed = json(&kvs(&["ls", url, "--prefix", "user", "--json"], b"", &[]));
        let mut listed: Vec<String> = listed
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|key| key.as_str().map(str::to_owned))
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            ["user%x", "user*", "user:1", "user:2", "users"],
            "{url}"
        );
        let starred = expect(&kvs(&["ls", url, "--prefix", "u*"], b"", &[]), 0);
        assert_eq!(starred, "u*er:1\n", "{url}");
        let removed = kvs(&["rm", url, "--prefix", "user:", "--json"], b"", &[]);
        expect(&removed, 0);
        assert_eq!(json(&removed)["removed"], 2, "{url}");
        let mut left: Vec<String> = store.keys()?.collect::<anykv::Result<_>>()?;
        left.sort();
        assert_eq!(left, ["u*er:1", "use", "user%x", "user*", "users"], "{url}");
        expect(&kvs(&["rm", url], b"", &[]), 2);
    }
    Ok(())
}

/// `kvs stats` shows the statistics memo caches share through the store.
#[test]
fn stats_show_the_memo_statistics_shared_in_the_store() -> anykv::Result<()> {
    use anykv::memo::{Memo, MemoOptions};
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}/memo.db?namespace=memo", dir.path().display());
    let options = MemoOptions::new("square", Duration::from_secs(60), Duration::from_secs(120))
        .shared_stats(Duration::from_secs(3600));
    let memo: Memo<u64> = Memo::new(anykv::open(&url)?.into(), options);
    for n in [1u64, 2, 1, 1] {
        let square = memo.call(&n, move || Ok::<_, std::io::Error>(n * n));
        assert_eq!(square.ok(), Some(n * n));
    }
    memo.flush_stats()?;
    let stats = json(&kvs(&["stats", &url, "--json"], b"", &[]));
    let square = &stats["memo"][0];
    assert_eq!(square["name"], "square", "{stats}");
    assert_eq!(
        (square["hit"].as_u64(), square["missed"].as_u64()),
        (Some(2), Some(2)),
        "{stats}"
    );
    let text = expect(&kvs(&["stats", &url], b"", &[]), 0);
    assert!(
        text.contains("memo \"square\"  hit 2 stale 0 missed 2 (50.0% served)"),
        "{text}"
    );
    Ok(())
}

/// `ls --expired` lists the expired entries the store still holds, marked, until `purge`.
#[test]
fn ls_lists_expired_entries_when_asked() -> anykv::Result<()> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}/expired.db", dir.path().display());
    let store = anykv::open(&url)?;
    store.set("kept", b"v", None)?;
    store.set("gone", b"vv", Some(Duration::from_millis(50)))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store.get("gone")?.is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the entry never expired"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(expect(&kvs(&["ls", &url], b"", &[]), 0), "kept\n");
    let listed = json(&kvs(
        &["ls", &url, "--expired", "--long", "--json"],
        b"",
        &[],
    ));
    let gone = listed
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["key"] == "gone").cloned())
        .unwrap_or_default();
    assert_eq!(
        (gone["expired"].as_bool(), gone["size"].as_u64()),
        (Some(true), Some(2)),
        "{listed}"
    );
    let text = expect(&kvs(&["ls", &url, "--expired", "--long"], b"", &[]), 0);
    assert!(
        text.lines()
            .any(|line| line.contains("expired") && line.ends_with("gone")),
        "{text}"
    );
    expect(&kvs(&["purge", &url], b"", &[]), 0);
    assert_eq!(
        expect(&kvs(&["ls", &url, "--expired"], b"", &[]), 0),
        "kept\n"
    );
    Ok(())
}
