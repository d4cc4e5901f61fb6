#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod concurrency;
mod default_ttl;
#[cfg(feature = "metrics")]
mod metrics_layer;
#[cfg(feature = "near")]
mod near;
#[cfg(feature = "retry")]
mod retry;
mod timeout;
#[cfg(feature = "tracing")]
mod tracing_layer;

pub use concurrency::ConcurrencyLimitLayer;
pub use default_ttl::DefaultTtlLayer;
#[cfg(feature = "metrics")]
pub use metrics_layer::MetricsLayer;
#[cfg(feature = "near")]
pub use near::{NearCache, NearOptions, NearStats, NearTier};
#[cfg(feature = "retry")]
pub use retry::RetryLayer;
pub use timeout::TimeoutLayer;
#[cfg(feature = "tracing")]
pub use tracing_layer::TracingLayer;
