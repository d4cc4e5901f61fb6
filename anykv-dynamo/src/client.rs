//! The SDK client of a store: built from [`DynamoOptions`], with every part of the
//! configuration checked at open (endpoint, region, credentials), so a configuration mistake is
//! a configuration error there, not an "unavailable, retryable" error at every call.

use std::time::Duration;

use anykv_core::{Error, ErrorKind, Result};
use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::region::ProfileFileRegionProvider;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_dynamodb::config::ProvideCredentials;

use crate::config::DynamoOptions;
use crate::error::BACKEND;

/// Why `endpoint` is not an endpoint URL (`http://` or `https://` with a host), if it is not.
pub(crate) fn check_endpoint(endpoint: &str) -> std::result::Result<(), String> {
    let parsed = url_of(endpoint)?;
    match parsed.scheme() {
        "http" | "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" | "https" => Err(format!("endpoint {endpoint:?} names no host")),
        other => Err(format!(
            "endpoint {endpoint:?} must be an http:// or https:// URL, not {other}://"
        )),
    }
}

fn url_of(endpoint: &str) -> std::result::Result<url::Url, String> {
    url::Url::parse(endpoint).map_err(|e| {
        format!("endpoint {endpoint:?} is not a URL ({e}): e.g. http://127.0.0.1:8000")
    })
}

/// Whether `endpoint` is on this machine (`localhost`, a loopback address).
fn is_local(endpoint: &str) -> bool {
    let Ok(parsed) = url_of(endpoint) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn config_error(message: String) -> Error {
    Error::backend(BACKEND, "open", ErrorKind::Config, message)
}

/// Builds the SDK client of `options`, after checking that its endpoint is a URL, that a
/// region is found, and that credentials resolve. With a local endpoint, region and
/// credentials come from the environment and the profile only: never from the cloud's instance
/// metadata.
pub(crate) async fn client(options: &DynamoOptions) -> Result<aws_sdk_dynamodb::Client> {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let local = match &options.endpoint_url {
        Some(endpoint) => {
            check_endpoint(endpoint).map_err(config_error)?;
            is_local(endpoint)
        }
        None => false,
    };
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(3)))
        .build();
    let providers = ProviderConfig::without_region().with_http_client(http.clone());
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader = match &options.region {
        Some(region) => loader.region(aws_config::Region::new(region.clone())),
        None if local => loader.region(local_region_chain(&providers, options.profile.as_deref())),
        None => loader,
    };
    loader = match &options.credentials {
        Some((id, secret)) => loader.credentials_provider(
            aws_sdk_dynamodb::config::Credentials::new(id, secret, None, None, "anykv-dynamo"),
        ),
        None if local => loader.credentials_provider(local_credentials_chain(
            &providers,
            options.profile.as_deref(),
        )),
        None => loader,
    };
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(config_error(
            "no region: add region=… to the URL (any region does for a local endpoint), set \
             AWS_REGION, or name a profile that has one (profile=…)"
                .into(),
        ));
    }
    let Some(credentials) = config.credentials_provider() else {
        return Err(config_error("no credentials provider".into()));
    };
    if let Err(error) = credentials.provide_credentials().await {
        return Err(credentials_error(&error, local));
    }
    Ok(aws_sdk_dynamodb::Client::new(&config))
}

/// Region from the environment, then the profile: what a local endpoint reads.
fn local_region_chain(providers: &ProviderConfig, profile: Option<&str>) -> RegionProviderChain {
    let mut from_profile = ProfileFileRegionProvider::builder().configure(providers);
    if let Some(profile) = profile {
        from_profile = from_profile.profile_name(profile);
    }
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(from_profile.build())
}

/// Credentials from the environment, then the profile: what a local endpoint reads.
fn local_credentials_chain(
    providers: &ProviderConfig,
    profile: Option<&str>,
) -> CredentialsProviderChain {
    let mut from_profile = ProfileFileCredentialsProvider::builder().configure(providers);
    if let Some(profile) = profile {
        from_profile = from_profile.profile_name(profile);
    }
    CredentialsProviderChain::first_try(
        "Environment",
        EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else("Profile", from_profile.build())
}

/// The error of credentials that did not resolve at open: none found or misconfigured is a
/// configuration error naming where they may come from; a provider that timed out or failed
/// keeps its kind (retryable).
fn credentials_error(error: &CredentialsError, local: bool) -> Error {
    let sources = if local {
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values do for a local endpoint) or a \
         profile (profile=…, AWS_PROFILE)"
    } else {
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (profile=…, AWS_PROFILE), web \
         identity, or the instance's role"
    };
    let cause = crate::error::causes_of(error);
    let kind = match error {
        CredentialsError::ProviderTimedOut(_) => ErrorKind::TimedOut,
        CredentialsError::ProviderError(_) => ErrorKind::Unavailable,
        _ => ErrorKind::Config,
    };
    Error::backend(
        BACKEND,
        "open",
        kind,
        format!("no AWS credentials ({cause}): set {sources}"),
    )
}
