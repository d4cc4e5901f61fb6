#![cfg(all(
    feature = "sqlite",
    feature = "fs",
    feature = "redis",
    feature = "mongo",
    feature = "dynamo"
))]

//! What a user reads when something is wrong, for every scheme, table-driven: each error has
//! the right kind, names what it is about (the path, the host, the parameter), is one bounded
//! line, and never shows the value being written (raw or base64) or a password. No server is
//! needed: the stores are unreachable or misconfigured on purpose. Alone in its test binary,
//! as one test: it sets the AWS variables a local DynamoDB endpoint reads before any thread
//! starts.

use anykv::{open, ErrorKind, KvStorage};

/// The value every case tries to write; no error may show it.
const VALUE: &[u8] = b"the-value-no-error-may-show-5f1e0c";

/// The password in the URLs; no error may show it.
const PASSWORD: &str = "hunter2-pw";

/// Standard base64 of `bytes`, to look for a value an error would show encoded.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
    }
    out
}

/// One bad input: the URL, the kinds its error may have, and what the text must name.
struct Case {
    url: String,
    kinds: &'static [ErrorKind],
    names: String,
}

/// What a server that does not answer is: refused at once, or out of time while the driver
/// retries (a busy machine makes either happen; both are retryable).
const UNREACHABLE: &[ErrorKind] = &[ErrorKind::Unavailable, ErrorKind::TimedOut];

/// Opens `url` and writes [`VALUE`]; the error of whichever step failed.
fn failure(url: &str) -> anykv::Error {
    match open(url).and_then(|store| store.set("the-key", VALUE, None)) {
        Ok(()) => panic!("{url}: opening and writing succeeded"),
        Err(error) => error,
    }
}

fn cases(dir: &std::path::Path) -> Vec<Case> {
    let file = dir.join("a-file");
    std::fs::write(&file, b"not a directory").unwrap_or_else(|e| panic!("{e}"));
    let file = file.display().to_string();
    let dir = dir.display().to_string();
    let port = anykv_test_support::free_port().unwrap_or_else(|e| panic!("{e}"));
    let mut cases = Vec::new();
    let mut case = |url: String, kinds: &'static [ErrorKind], names: &str| {
        cases.push(Case {
            url,
            kinds,
            names: names.to_owned(),
        })
    };
    case(
        format!("sqlite://{file}/sub/db.sqlite"),
        &[ErrorKind::InvalidInput],
        &file,
    );
    case(format!("sqlite://{dir}"), &[ErrorKind::InvalidInput], &dir);
    case(
        format!("sqlite://{dir}/db.sqlite?max_value_len=4"),
        &[ErrorKind::LimitExceeded],
        "limit of 4 bytes",
    );
    case(
        format!("file://{file}/store"),
        &[ErrorKind::InvalidInput],
        &file,
    );
    case(
        format!("file://{dir}/files?max_value_len=4"),
        &[ErrorKind::LimitExceeded],
        "limit of 4 bytes",
    );
    case(
        "memory://errors?max_value_len=4".into(),
        &[ErrorKind::LimitExceeded],
        "limit of 4 bytes",
    );
    case(
        format!("redis://user:{PASSWORD}@127.0.0.1:{port}/0?connect_timeout=500ms"),
        UNREACHABLE,
        &format!("127.0.0.1:{port}"),
    );
    case(
        format!("redis://user:{PASSWORD}@127.0.0.1:{port}/0?hash=true&connect_timeout=500ms"),
        UNREACHABLE,
        &format!("127.0.0.1:{port}"),
    );
    case(
        format!("mongodb://user:{PASSWORD}@127.0.0.1:{port}/db?serverSelectionTimeoutMS=500"),
        UNREACHABLE,
        &format!("127.0.0.1:{port}"),
    );
    case(
        format!(
            "mongodb://user:{PASSWORD}@127.0.0.1:{port}/db?gridfs=true&serverSelectionTimeoutMS=500"
        ),
        UNREACHABLE,
        &format!("127.0.0.1:{port}"),
    );
    case(
        "dynamodb://t?endpoint=not-a-url&region=us-east-1".into(),
        &[ErrorKind::Config],
        "endpoint",
    );
    case(
        format!("dynamodb://t?endpoint=http://127.0.0.1:{port}&region=us-east-1&timeout=2s"),
        UNREACHABLE,
        &format!("127.0.0.1:{port}"),
    );
    cases
}

#[test]
fn every_scheme_says_what_is_wrong_and_never_shows_the_value() {
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        std::env::set_var(name, value);
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let encoded = base64(VALUE);
    let mut wrong = Vec::new();
    for case in cases(dir.path()) {
        let error = failure(&case.url);
        let text = error.to_string();
        let debug = format!("{error:?}");
        let mut complaints = Vec::new();
        if !case.kinds.contains(&error.kind()) {
            complaints.push(format!(
                "kind {:?}, not one of {:?}",
                error.kind(),
                case.kinds
            ));
        }
        if !text.contains(&case.names) {
            complaints.push(format!("does not name {:?}", case.names));
        }
        for shown in [&text, &debug] {
            if shown.contains("the-value-no-error") || shown.contains(&encoded[..24]) {
                complaints.push("shows the value".into());
            }
            if shown.contains(PASSWORD) {
                complaints.push("shows the password".into());
            }
        }
        if text.contains('\n') || text.len() > 1000 {
            complaints.push(format!("{} bytes over several lines", text.len()));
        }
        if text.contains("Topology") || text.contains("SdkBody") {
            complaints.push("dumps the driver's state".into());
        }
        println!("{}\n  {text}\n", case.url);
        if !complaints.is_empty() {
            wrong.push(format!("{}: {}\n  {text}", case.url, complaints.join(", ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
