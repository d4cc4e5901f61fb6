//! [`DynamoOptions`]: which table, where, and how to connect.

use std::time::Duration;

use storage_core::{Error, Namespace, Result};

/// Options for [`DynamoStorage`](crate::DynamoStorage).
///
/// ```
/// use storage_dynamo::DynamoOptions;
/// let local = DynamoOptions::from_url("dynamodb://kv_cache?endpoint=http://127.0.0.1:8000&region=us-east-1&namespace=pages")?;
/// assert_eq!(local.table, "kv_cache");
/// let aws = DynamoOptions::new("kv_cache").region("eu-west-1").namespace("pages");
/// # Ok::<(), storage_core::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct DynamoOptions {
    /// The table that holds every namespace.
    pub table: String,
    /// The namespace: the partition key value of this store's items.
    pub namespace: String,
    /// The region; `None` takes the standard chain (`AWS_REGION`, profile).
    pub region: Option<String>,
    /// An endpoint other than AWS's (DynamoDB Local, dynalite).
    pub endpoint_url: Option<String>,
    /// Static credentials `(access key id, secret)`; `None` takes the standard chain
    /// (environment, profile, web identity, ECS, IMDS).
    pub credentials: Option<(String, String)>,
    /// Create the table (pay-per-request) if it does not exist, and wait until it is active.
    pub create_table: bool,
    /// Timeout of one call (default 10 s).
    pub timeout: Duration,
}

impl std::fmt::Debug for DynamoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoOptions")
            .field("table", &self.table)
            .field("namespace", &self.namespace)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(id, _)| (id, "<redacted>")),
            )
            .field("create_table", &self.create_table)
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
            credentials: None,
            create_table: false,
            timeout: Duration::from_secs(10),
        }
    }

    /// Parses `dynamodb://<table>?region=…&endpoint=…&namespace=…&create_table=true`.
    pub fn from_url(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::Config(format!("invalid dynamodb URL: {why}"));
        let rest = url
            .strip_prefix("dynamodb://")
            .ok_or_else(|| bad("the scheme must be dynamodb://"))?;
        let (table, query) = rest.split_once('?').unwrap_or((rest, ""));
        let table = table.trim_end_matches('/');
        if table.is_empty() {
            return Err(bad("no table name"));
        }
        let mut options = Self::new(table);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "region" => options.region = Some(value.to_owned()),
                "endpoint" | "endpoint_url" => options.endpoint_url = Some(value.to_owned()),
                "namespace" => options.namespace = value.to_owned(),
                "create_table" => options.create_table = value == "true" || value == "1",
                other => return Err(bad(&format!("unknown parameter {other:?}"))),
            }
        }
        Ok(options)
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

    /// Builds an SDK client from these options.
    pub(crate) async fn client(&self) -> aws_sdk_dynamodb::Client {
        use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(3)))
            .build();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http)
            .timeout_config(timeouts);
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some((id, secret)) = &self.credentials {
            let credentials = aws_sdk_dynamodb::config::Credentials::new(
                id,
                secret,
                None,
                None,
                "storage-dynamo",
            );
            loader = loader.credentials_provider(credentials);
        }
        aws_sdk_dynamodb::Client::new(&loader.load().await)
    }
}
