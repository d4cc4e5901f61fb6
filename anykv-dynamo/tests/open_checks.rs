//! What open checks before anything is sent: an endpoint that is a URL, a region, credentials
//! that resolve; and that a local endpoint never asks the cloud's instance metadata (IMDS) for
//! either. Alone in its test binary: it clears the AWS variables and points the instance
//! metadata at a local listener that counts connections, before any thread starts. No server
//! needed: opening without `create_table` sends nothing to the endpoint.

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anykv_core::ErrorKind;
use anykv_dynamo::{DynamoOptions, DynamoStorage};

/// Opens `url` (with `profile` files set up by the caller) and gives the error, if any.
fn open(url: &str) -> Option<anykv_core::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no runtime: {e}"));
    runtime.block_on(async {
        let options = DynamoOptions::from_url(url).ok()?;
        DynamoStorage::connect(options).await.err()
    })
}

#[test]
fn open_checks_region_and_credentials_and_never_asks_imds_for_a_local_endpoint() {
    let imds = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let imds_url = format!(
        "http://{}",
        imds.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    std::thread::spawn(move || {
        for connection in imds.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(connection);
        }
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AWS_CONFIG_FILE", &config);
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
    std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds_url);

    let local = "dynamodb://t?endpoint=http://127.0.0.1:1";
    let no_region = open(local).unwrap_or_else(|| panic!("opened without a region"));
    assert_eq!(no_region.kind(), ErrorKind::Config, "{no_region}");
    assert!(no_region.to_string().contains("region="), "{no_region}");

    let no_credentials = open(&format!("{local}&region=us-east-1"))
        .unwrap_or_else(|| panic!("opened without credentials"));
    assert_eq!(no_credentials.kind(), ErrorKind::Config, "{no_credentials}");
    let said = no_credentials.to_string();
    assert!(
        said.contains("no AWS credentials") && said.contains("AWS_ACCESS_KEY_ID"),
        "{said}"
    );

    let mut file = std::fs::File::create(&credentials).unwrap_or_else(|e| panic!("{e}"));
    writeln!(
        file,
        "[anykv-test]\naws_access_key_id = test\naws_secret_access_key = test"
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut file = std::fs::File::create(&config).unwrap_or_else(|e| panic!("{e}"));
    writeln!(file, "[profile anykv-test]\nregion = us-east-1").unwrap_or_else(|e| panic!("{e}"));
    let by_profile = open(&format!("{local}&profile=anykv-test"));
    assert!(by_profile.is_none(), "{by_profile:?}");
    let unknown_profile = open(&format!("{local}&profile=nobody&region=us-east-1"))
        .unwrap_or_else(|| panic!("opened with a profile that does not exist"));
    assert_eq!(
        unknown_profile.kind(),
        ErrorKind::Config,
        "{unknown_profile}"
    );

    assert_eq!(
        asked.load(Ordering::SeqCst),
        0,
        "a store with a local endpoint asked the instance metadata"
    );
}
