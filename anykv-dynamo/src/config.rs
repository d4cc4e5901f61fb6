//! [`DynamoOptions`]: which table, where, and how to connect.

use std::time::Duration;

use anykv_core::{Namespace, Result, StoreUrl};

use crate::item::AttributeNames;

/// Options for [`DynamoStorage`](crate::DynamoStorage).
///
/// ```
/// use anykv_dynamo::DynamoOptions;
/// let local = DynamoOptions::from_url("dynamodb://kv_cache?endpoint=http://127.0.0.1:8000&region=us-east-1&namespace=pages")?;
/// assert_eq!(local.table, "kv_cache");
/// let aws = DynamoOptions::new("kv_cache").region("eu-west-1").namespace("pages");
/// # Ok::<(), anykv_core::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct DynamoOptions {
    /// The table that holds every namespace.
    pub table: String,
    /// The namespace: the partition key value of this store's items.
    pub namespace: String,
    /// The region; `None` takes the standard chain (`AWS_REGION`, the profile's `region`; and
    /// the instance metadata, unless the endpoint is local). None found is an error at open.
    pub region: Option<String>,
    /// An endpoint other than AWS's (DynamoDB Local, dynalite): an `http://` or `https://` URL.
    /// A local one (`localhost`, a loopback address) never makes the store ask the cloud's
    /// instance metadata for credentials or a region.
    pub endpoint_url: Option<String>,
    /// A profile of the AWS configuration files; `None` takes `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// Static credentials `(access key id, secret)`; `None` takes the standard chain
    /// (environment, profile, web identity, ECS, IMDS; environment and profile only for a local
    /// endpoint). Open resolves them once: none found is a configuration error then.
    pub credentials: Option<(String, String)>,
    /// Create the table if it does not exist (pay-per-request, or with
    /// [`capacity`](Self::capacity)), and wait until it is active.
    pub create_table: bool,
    /// Timeout of one call (default 10 s).
    pub timeout: Duration,
    /// Strongly consistent reads (the default): a read sees every write that succeeded before
    /// it. `false` reads eventually consistently at half the read capacity: a read may miss a
    /// write of the last second or so (outside what the conformance suite checks).
    pub consistent_reads: bool,
    /// Whether creating the table turns on DynamoDB's own TTL on the `ttl` attribute (the
    /// default), which deletes expired items within days. `false` keeps them until
    /// `purge_expired` (reads never see them either way), for `get_stale`, or when the table's
    /// TTL is managed elsewhere.
    pub server_ttl: bool,
    /// Provisioned capacity `(read units, write units)` for a table this store creates;
    /// `None` (the default) creates it pay-per-request.
    pub capacity: Option<(i64, i64)>,
    /// The names of the items' attributes (default `ns`, `k`, `v`, `e`, `ttl`): for a table
    /// made elsewhere whose keys are named otherwise.
    pub attribute_names: AttributeNames,
}

impl std::fmt::Debug for DynamoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoOptions")
            .field("table", &self.table)
            .field("namespace", &self.namespace)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("profile", &self.profile)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(id, _)| (id, "<redacted>")),
            )
            .field("create_table", &self.create_table)
            .field("timeout", &self.timeout)
            .field("consistent_reads", &self.consistent_reads)
            .field("server_ttl", &self.server_ttl)
            .field("capacity", &self.capacity)
            .field("attribute_names", &self.attribute_names)
            .finish()
    }
}

impl DynamoOptions {
    /// Options for `table` with the standard AWS configuration chain.
    pub fn new(table: impl Into<String>) -> Self {
        DynamoOptions {
            table: table.into(),
            namespace: Namespace::DEFAULT.to_owned(),
            region: None,
            endpoint_url: None,
            profile: None,
            credentials: None,
            create_table: false,
            timeout: Duration::from_secs(10),
            consistent_reads: true,
            server_ttl: true,
            capacity: None,
            attribute_names: AttributeNames::default(),
        }
    }

    /// Options from a URL: `dynamodb://<table>` with the parameters `namespace`, `region`,
    /// `endpoint` (DynamoDB Local, dynalite: `http://127.0.0.1:8000`), `profile` (a profile of
    /// the AWS configuration files), `create_table` (bool), `timeout` (`10s`),
    /// `consistent_reads` (bool), `server_ttl` (bool), `read_capacity` with
    /// `write_capacity` (both or neither), and the attribute names `partition_key`, `sort_key`,
    /// `value_attribute`, `expiry_attribute`, `ttl_attribute`. Credentials
    /// come from the standard chain, never from the URL. Another scheme, an unknown parameter
    /// or a bad value is an error naming it.
    pub fn from_url(url: &str) -> Result<Self> {
        StoreUrl::read(url, Self::from_store_url)
    }

    /// Like [`from_url`](Self::from_url), taking its parameters from `url` and leaving the
    /// rest there (for a caller that takes parameters of its own, then calls
    /// [`StoreUrl::finish`]).
    pub fn from_store_url(url: &mut StoreUrl) -> Result<Self> {
        if url.scheme() != "dynamodb" {
            return Err(url.error("not a dynamodb:// URL"));
        }
        if url.url().password().is_some() || !url.url().username().is_empty() {
            return Err(url.error(
                "credentials do not belong in a dynamodb:// URL: use the AWS environment or a profile",
            ));
        }
        let table = match url.hosts().as_slice() {
            [table] if matches!(url.url().path(), "" | "/") => table.clone(),
            [] => return Err(url.error("no table name: dynamodb://TABLE")),
            _ => return Err(url.error("one table name and nothing else: dynamodb://TABLE")),
        };
        let mut options = Self::new(table);
        if let Some(namespace) = url.take("namespace") {
            options.namespace = namespace;
        }
        options.region = url.take("region");
        options.endpoint_url = url.take("endpoint");
        if let Some(endpoint) = &options.endpoint_url {
            crate::client::check_endpoint(endpoint).map_err(|why| url.error(why))?;
        }
        options.profile = url.take("profile");
        if let Some(create) = url.take_bool("create_table")? {
            options.create_table = create;
        }
        if let Some(timeout) = url.take_duration("timeout")? {
            options.timeout = timeout;
        }
        if let Some(consistent) = url.take_bool("consistent_reads")? {
            options.consistent_reads = consistent;
        }
        if let Some(server_ttl) = url.take_bool("server_ttl")? {
            options.server_ttl = server_ttl;
        }
        let names = &mut options.attribute_names;
        for (parameter, name) in [
            ("partition_key", &mut names.namespace),
            ("sort_key", &mut names.key),
            ("value_attribute", &mut names.value),
            ("expiry_attribute", &mut names.expires_at),
            ("ttl_attribute", &mut names.ttl),
        ] {
            if let Some(given) = url.take(parameter) {
                *name = given;
            }
        }
        options
            .attribute_names
            .check()
            .map_err(|error| url.error(error.to_string()))?;
        let read = url.take_usize("read_capacity")?;
        let write = url.take_usize("write_capacity")?;
        options.capacity = match (read, write) {
            (None, None) => None,
            (Some(read), Some(write)) if read > 0 && write > 0 => Some((read as i64, write as i64)),
            _ => {
                return Err(
                    url.error("read_capacity and write_capacity go together, each at least 1")
                )
            }
        };
        Ok(options)
    }

    /// A profile of the AWS configuration files (`~/.aws/config`, `~/.aws/credentials`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom endpoint.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Static credentials.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key_id.into(), secret.into()));
        self
    }

    /// Whether to create the table when it is missing.
    pub fn create_table(mut self, create: bool) -> Self {
        self.create_table = create;
        self
    }

    /// Strongly consistent reads (`true`, the default) or eventually consistent ones.
    pub fn consistent_reads(mut self, consistent: bool) -> Self {
        self.consistent_reads = consistent;
        self
    }

    /// Whether creating the table turns on DynamoDB's own TTL (default `true`).
    pub fn server_ttl(mut self, on: bool) -> Self {
        self.server_ttl = on;
        self
    }

    /// The names of the items' attributes (see [`AttributeNames`]), for a table made elsewhere.
    pub fn attribute_names(mut self, names: AttributeNames) -> Self {
        self.attribute_names = names;
        self
    }

    /// Creates the table with provisioned capacity instead of pay-per-request.
    pub fn capacity(mut self, read_units: i64, write_units: i64) -> Self {
        self.capacity = Some((read_units.max(1), write_units.max(1)));
        self
    }

    /// How the table is created.
    pub(crate) fn table_settings(&self) -> crate::table::TableSettings {
        crate::table::TableSettings {
            capacity: self.capacity,
            server_ttl: self.server_ttl,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() -> Result<()> {
        let options = DynamoOptions::from_url(
            "dynamodb://kv_cache?endpoint=http://127.0.0.1:8000&region=us-east-1&namespace=pages&profile=ci&create_table=true&timeout=3s",
        )?;
        assert_eq!(options.table, "kv_cache");
        assert_eq!(options.namespace, "pages");
        assert_eq!(options.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            options.endpoint_url.as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(options.profile.as_deref(), Some("ci"));
        assert!(options.create_table);
        assert_eq!(options.timeout, Duration::from_secs(3));
        let plain = DynamoOptions::from_url("dynamodb://kv_cache/")?;
        assert_eq!((plain.table.as_str(), plain.region), ("kv_cache", None));
        assert!(plain.consistent_reads && plain.server_ttl && plain.capacity.is_none());
        let tuned = DynamoOptions::from_url(
            "dynamodb://t?consistent_reads=false&server_ttl=off&read_capacity=5&write_capacity=2",
        )?;
        assert!(!tuned.consistent_reads && !tuned.server_ttl);
        assert_eq!(tuned.capacity, Some((5, 2)));
        Ok(())
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let error = |url: &str| {
            DynamoOptions::from_url(url)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(error("dynamodb://").contains("no table name"));
        assert!(error("dynamodb://t/extra").contains("one table name"));
        assert!(error("redis://t").contains("not a dynamodb:// URL"));
        assert!(error("dynamodb://t?regoin=x").contains("\"regoin\""));
        assert!(error("dynamodb://t?create_table=perhaps").contains("create_table"));
        assert!(error("dynamodb://t?read_capacity=5").contains("write_capacity"));
        assert!(error("dynamodb://t?read_capacity=0&write_capacity=1").contains("at least 1"));
        for endpoint in ["not-a-url", "ftp://h/", "http://", "127.0.0.1:8000"] {
            let said = error(&format!("dynamodb://t?endpoint={endpoint}"));
            assert!(said.contains("endpoint"), "{endpoint}: {said}");
        }
        let secret = error("dynamodb://AKIA:hunter2@t");
        assert!(
            secret.contains("credentials") && !secret.contains("hunter2"),
            "{secret}"
        );
    }
}
