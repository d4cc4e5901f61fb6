//! Table creation, readiness and TTL setup.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anykv_core::{Error, ErrorKind, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProvisionedThroughput,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use crate::error::{build_error, sdk_error, BACKEND};
use crate::item::AttributeNames;

/// How long `ensure_table` waits for a new table to become active.
const ACTIVE_WITHIN: Duration = Duration::from_secs(120);

static TTL_WARNED: AtomicBool = AtomicBool::new(false);

/// How a store creates its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableSettings {
    /// Provisioned `(read, write)` units; pay-per-request when `None`.
    pub(crate) capacity: Option<(i64, i64)>,
    /// Whether to turn on DynamoDB's TTL on the `ttl` attribute.
    pub(crate) server_ttl: bool,
}

impl Default for TableSettings {
    fn default() -> Self {
        TableSettings {
            capacity: None,
            server_ttl: true,
        }
    }
}

/// Creates `table` (`ns` S hash key, `k` B range key; pay-per-request or provisioned) unless
/// it exists, waits until it is active, and enables TTL on the `ttl` attribute if asked.
pub(crate) async fn ensure_table(
    client: &Client,
    table: &str,
    names: &AttributeNames,
    settings: TableSettings,
) -> Result<()> {
    let attribute = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .map_err(build_error("create table"))
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(build_error("create table"))
    };
    let mut create = client.create_table().table_name(table);
    create = match settings.capacity {
        None => create.billing_mode(BillingMode::PayPerRequest),
        Some((read, write)) => create
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(
                ProvisionedThroughput::builder()
                    .read_capacity_units(read)
                    .write_capacity_units(write)
                    .build()
                    .map_err(build_error("create table"))?,
            ),
    };
    let created = create
        .attribute_definitions(attribute(&names.namespace, ScalarAttributeType::S)?)
        .attribute_definitions(attribute(&names.key, ScalarAttributeType::B)?)
        .key_schema(key(&names.namespace, KeyType::Hash)?)
        .key_schema(key(&names.key, KeyType::Range)?)
        .send()
        .await;
    if let Err(error) = created {
        let exists = error
            .as_service_error()
            .is_some_and(|e| e.is_resource_in_use_exception());
        if !exists {
            return Err(sdk_error("create table")(error));
        }
    }
    wait_active(client, table).await?;
    if settings.server_ttl {
        enable_ttl(client, table, &names.ttl).await?;
    }
    Ok(())
}

async fn wait_active(client: &Client, table: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + ACTIVE_WITHIN;
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(sdk_error("describe table"))?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Error::backend(
                BACKEND,
                "create table",
                ErrorKind::TimedOut,
                format!("table {table} is not active: {status:?}"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Turns on DynamoDB's TTL for the `ttl` attribute. A server without the TTL API (dynalite) is
/// not an error: reads filter on the exact expiry anyway. It is reported once per process.
async fn enable_ttl(client: &Client, table: &str, attribute: &str) -> Result<()> {
    let spec = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(attribute)
        .build()
        .map_err(build_error("enable ttl"))?;
    let outcome = client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await;
    match outcome {
        Ok(_) => Ok(()),
        Err(error) => {
            use aws_sdk_dynamodb::error::ProvideErrorMetadata;
            let message = format!(
                "{}: {}",
                error.code().unwrap_or("no error code"),
                error.message().unwrap_or("no message")
            );
            if message.contains("already enabled") {
                return Ok(());
            }
            if !TTL_WARNED.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "anykv-dynamo: could not enable TTL on table {table} ({message}); \
                     expired items are still invisible to reads, and purge_expired() removes them"
                );
            }
            Ok(())
        }
    }
}
