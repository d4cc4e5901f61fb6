//! DynamoDB-only behaviour: the item-size limit at its worst case, the TTL attribute in epoch
//! seconds beside the exact expiry, idempotent table creation.

use anykv_core::{AsyncKvStorage, Error, Store, MAX_KEY_LEN};
use std::time::Duration;

use anykv_dynamo::DynamoOptions;
use anykv_dynamo::DynamoStorage;
use anykv_test_support::TestServer;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

/// Options for `namespace` of the test table at the test endpoint (dynalite, or the one of
/// `STORAGE_TEST_DYNAMO_ENDPOINT`; `aws` for AWS itself).
fn options(server: &TestServer, namespace: &str) -> DynamoOptions {
    let options = DynamoOptions::new("kv_dynamo_specific")
        .namespace(namespace)
        .create_table(true);
    match server.url() {
        "aws" => options,
        endpoint => options
            .endpoint_url(endpoint)
            .region("us-east-1")
            .credentials("test", "test"),
    }
}

/// The longest key with a TTL and a value of exactly `max_value_len` is accepted by the server:
/// the size computation (attribute names included) never lets through an item DynamoDB refuses.
#[test]
fn the_largest_allowed_item_fits_dynamodb() {
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::runtime().block_on(async {
        let store = DynamoStorage::connect(options(&server, "dynamo_size"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let key = "k".repeat(MAX_KEY_LEN);
        let max = store.max_value_len();
        assert!(max > 400_000 && max < 400 * 1024, "limit {max}");
        let value = vec![7u8; max];
        store
            .set(&key, &value, Some(Duration::from_secs(600)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.get(&key).await.unwrap_or_default().map(|v| v.len()),
            Some(max)
        );
        let error = store.set(&key, &vec![7u8; max + 1], None).await.err();
        assert!(
            matches!(error, Some(Error::ValueTooLarge { max: m, .. }) if m == max),
            "{error:?}"
        );
        store.clear().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

/// Items carry `ttl` in whole epoch seconds (rounded up, for DynamoDB's TTL) and `e` in ms
/// (for exact reads); creating an existing table again is fine.
#[test]
fn items_carry_ttl_seconds_and_exact_expiry() {
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::runtime().block_on(async {
        let store = DynamoStorage::connect(options(&server, "dynamo_ttl"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .create_table()
            .await
            .unwrap_or_else(|e| panic!("creating an existing table: {e}"));
        store
            .set("k", b"v", Some(Duration::from_millis(90_500)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let expiry = store.expiry("k").await.unwrap_or_else(|e| panic!("{e}"));
        let Some(anykv_core::Expiry::At(at)) = expiry else {
            panic!("no expiry: {expiry:?}")
        };
        let left = at.remaining();
        assert!(
            left <= Duration::from_millis(90_500) && left > Duration::from_secs(89),
            "{left:?}"
        );
        let raw = store
            .client()
            .get_item()
            .table_name(store.table())
            .key("ns", AttributeValue::S("dynamo_ttl".into()))
            .key("k", AttributeValue::B(Blob::new(b"k".to_vec())))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let item = raw.item.unwrap_or_default();
        assert_eq!(
            item.get("e"),
            Some(&AttributeValue::N(at.as_millis().to_string())),
            "exact expiry in ms"
        );
        assert_eq!(
            item.get("ttl"),
            Some(&AttributeValue::N(at.as_secs_ceil().to_string())),
            "TTL in epoch seconds"
        );
        store.clear().await.unwrap_or_else(|e| panic!("{e}"));
    });
}

/// An item another client wrote with a string value (not binary) among 600 good ones is
/// reported once, naming its key, and hides nothing from `keys`, `items` or `len`.
#[test]
fn one_bad_item_hides_no_good_one() {
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    let namespace = anykv_test_support::unique_name("bad_item");
    let store = DynamoStorage::open_blocking(options(&server, &namespace))
        .unwrap_or_else(|e| panic!("{e}"));
    let good =
        anykv_test_support::write_good_entries(&store, 600).unwrap_or_else(|e| panic!("{e}"));
    let inner = store.inner();
    let put = inner
        .client()
        .put_item()
        .table_name(inner.table())
        .item("ns", AttributeValue::S(namespace.clone()))
        .item(
            "k",
            AttributeValue::B(Blob::new(b"planted by hand".to_vec())),
        )
        .item("v", AttributeValue::S("a string, not binary".into()))
        .send();
    let put = store.block_on(async { put.await.map(drop).map_err(|e| e.to_string()) });
    put.unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::assert_bad_entry_reported(&store, &good, "planted by hand")
        .unwrap_or_else(|e| panic!("{e}"));
    anykv_core::KvStorage::clear(&store).unwrap_or_else(|e| panic!("{e}"));
}

/// An SDK client of its own whose endpoint is not a URL (open refuses one; an application's
/// client is not checked), so a request cannot even be sent, and its error carries it.
fn client_with_a_broken_endpoint() -> aws_sdk_dynamodb::Client {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url("not-a-url")
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A failing call's error, whatever failed, shows neither the value it carried (raw or base64)
/// nor the SDK's request, in its message or its `Debug`, and stays short. No server.
#[test]
fn errors_never_show_the_value_or_the_request() {
    let value = b"the-value-no-error-may-show-0123456789";
    let base64 = "dGhlLXZhbHVlLW5vLWVycm9yLW1heS1zaG93LTAxMjM0NTY3ODk=";
    let runtime = anykv_test_support::runtime();
    let error = runtime.block_on(async {
        let store =
            DynamoStorage::with_client(client_with_a_broken_endpoint(), "kv_errors", "default")
                .unwrap_or_else(|e| panic!("{e}"));
        AsyncKvStorage::set(&store, "k", value, None).await.err()
    });
    let Some(error) = error else {
        panic!("a write to an endpoint that is not a URL succeeded");
    };
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(
            !shown.contains("the-value-no-error") && !shown.contains(&base64[..24]),
            "the error shows the value: {shown}"
        );
        assert!(
            !shown.contains("SdkBody"),
            "the error shows the request: {shown}"
        );
        assert!(
            shown.len() < 1000,
            "an error of {} bytes: {shown}",
            shown.len()
        );
    }
}

/// A table created with provisioned capacity has it (and pay-per-request is the default); a
/// store reading eventually consistently, on a table whose server TTL was left off, stores
/// and reads as any other.
#[test]
fn tables_are_created_as_the_options_say() {
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::runtime().block_on(async {
        let table = anykv_test_support::unique_name("kv_provisioned");
        let mut options = options(&server, "dynamo_capacity")
            .capacity(3, 2)
            .server_ttl(false)
            .consistent_reads(false);
        options.table = table.clone();
        let store = DynamoStorage::connect(options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let described = store
            .client()
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let throughput = described
            .table()
            .and_then(|t| t.provisioned_throughput())
            .unwrap_or_else(|| panic!("no throughput described"));
        assert_eq!(throughput.read_capacity_units(), Some(3));
        assert_eq!(throughput.write_capacity_units(), Some(2));
        store
            .set("k", b"v", Some(Duration::from_secs(60)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Eventually consistent reads see the write at the latest a moment later.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while store
            .get("k")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the write never became visible"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        store
            .client()
            .delete_table()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
}

/// A read request's operation and its `ConsistentRead` flag.
type ReadFlag = (&'static str, Option<bool>);

/// Records the `ConsistentRead` flag of every read request a client sends.
#[derive(Debug, Default, Clone)]
struct ReadFlags(std::sync::Arc<std::sync::Mutex<Vec<ReadFlag>>>);

impl ReadFlags {
    fn take(&self) -> Vec<ReadFlag> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl aws_sdk_dynamodb::config::Intercept for ReadFlags {
    fn name(&self) -> &'static str {
        "read flags"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<
            '_,
        >,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::{
            batch_get_item::BatchGetItemInput, get_item::GetItemInput, query::QueryInput,
        };
        let input = context.input();
        let mut flags = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(get) = input.downcast_ref::<GetItemInput>() {
            flags.push(("get_item", get.consistent_read()));
        } else if let Some(query) = input.downcast_ref::<QueryInput>() {
            flags.push(("query", query.consistent_read()));
        } else if let Some(batch) = input.downcast_ref::<BatchGetItemInput>() {
            for keys in batch
                .request_items()
                .into_iter()
                .flat_map(|items| items.values())
            {
                flags.push(("batch_get_item", keys.consistent_read()));
            }
        }
        Ok(())
    }
}

/// Every read request of a store carries the consistency its options ask for.
#[test]
fn reads_ask_for_the_consistency_the_options_say() {
    use futures_util::TryStreamExt;
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::runtime().block_on(async {
        let opened = DynamoStorage::connect(options(&server, "dynamo_consistency"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let flags = ReadFlags::default();
        let config = opened
            .client()
            .config()
            .to_builder()
            .interceptor(flags.clone())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        for consistent in [true, false] {
            let store = DynamoStorage::with_client(
                client.clone(),
                "kv_dynamo_specific",
                "dynamo_consistency",
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .with_consistent_reads(consistent);
            store
                .set("k", b"v", None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            flags.take();
            store.get("k").await.unwrap_or_else(|e| panic!("{e}"));
            store
                .get_many(&["k", "other"])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let keys: Vec<String> = store
                .keys()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .try_collect()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(keys, ["k"]);
            let seen = flags.take();
            let kinds: Vec<&str> = seen.iter().map(|(kind, _)| *kind).collect();
            assert!(
                ["get_item", "batch_get_item", "query"]
                    .iter()
                    .all(|kind| kinds.contains(kind)),
                "{seen:?}"
            );
            assert!(
                seen.iter().all(|(_, flag)| *flag == Some(consistent)),
                "consistent {consistent}: {seen:?}"
            );
            store.clear().await.unwrap_or_else(|e| panic!("{e}"));
        }
    });
}

/// A table whose attributes are named otherwise (`pk`, `sk`, …, as tables made by other tools
/// are): the store creates its key schema with those names and every operation uses them
/// (writes, conditional writes, counters, prefix scans, expiry, purge); URL parameters name
/// them too, and names DynamoDB refuses are configuration errors.
#[test]
fn custom_attribute_names_are_used_everywhere() {
    use anykv_core::{AsyncKvStorageExt, Scan};
    use anykv_dynamo::AttributeNames;
    use futures_util::TryStreamExt;
    let server = anykv_test_support::dynamo().unwrap_or_else(|e| panic!("{e}"));
    anykv_test_support::runtime().block_on(async {
        let table = anykv_test_support::unique_name("kv_named");
        let names = AttributeNames::new("pk", "sk", "body", "exp_ms", "expires");
        let mut options = options(&server, "named").attribute_names(names);
        options.table = table.clone();
        let store = DynamoStorage::connect(options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let described = store
            .client()
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut schema: Vec<String> = described
            .table()
            .map(|t| {
                t.key_schema()
                    .iter()
                    .map(|k| k.attribute_name().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        schema.sort();
        assert_eq!(schema, ["pk", "sk"]);

        let ok = |what: &str, result: anykv_core::Result<bool>| {
            assert!(result.unwrap_or_else(|e| panic!("{what}: {e}")), "{what}");
        };
        store
            .set("user:1", b"a", Some(Duration::from_secs(600)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        ok(
            "set_if_absent",
            store.set_if_absent("user:2", b"b", None).await,
        );
        ok(
            "compare_and_set",
            store
                .compare_and_set("user:2", Some(b"b"), b"c", None)
                .await,
        );
        ok(
            "touch",
            store.touch("user:1", Some(Duration::from_secs(900))).await,
        );
        assert_eq!(store.increment("count", 5, None).await.ok(), Some(5));
        store
            .set("gone", b"x", Some(Duration::from_millis(50)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let raw = store
            .client()
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S("named".into()))
            .key("sk", AttributeValue::B(Blob::new(b"user:1".to_vec())))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .item
            .unwrap_or_default();
        let mut attributes: Vec<&str> = raw.keys().map(String::as_str).collect();
        attributes.sort_unstable();
        assert_eq!(attributes, ["body", "exp_ms", "expires", "pk", "sk"]);
        let users: Vec<String> = store
            .keys_with_prefix("user:")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(users.len(), 2, "{users:?}");
        assert_eq!(
            store.get("user:2").await.ok().flatten(),
            Some(b"c".to_vec())
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while store.get("gone").await.ok().flatten().is_some() {
            assert!(std::time::Instant::now() < deadline, "never expired");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let held: Vec<_> = store
            .scan(Scan::keys_only().including_expired())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(held.len(), 4, "{held:?}");
        assert_eq!(store.purge_expired().await.ok(), Some(1));
        assert_eq!(store.len().await.ok(), Some(3));
        store
            .client()
            .delete_table()
            .table_name(&table)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
    let url =
        "dynamodb://t?endpoint=http://127.0.0.1:1&region=us-east-1&partition_key=pk&sort_key=sk";
    let parsed = DynamoOptions::from_url(url).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.attribute_names.namespace, "pk");
    assert_eq!(parsed.attribute_names.value, "v");
    let clash = DynamoOptions::from_url("dynamodb://t?partition_key=k");
    assert!(clash.is_err_and(|e| e.to_string().contains("two attributes")));
}
