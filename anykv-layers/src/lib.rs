//! Layers over any store ([`KvStorage`](anykv_core::KvStorage) and
//! [`AsyncKvStorage`](anykv_core::AsyncKvStorage)), built on the core's forwarding base
//! ([`anykv_core::layer`]): each is a [`Layer`](anykv_core::layer::Layer), so it wraps
//! every operation of both faces and stacks with the others.
//!
//! | layer | feature | what |
//! |---|---|---|
//! | [`TracingLayer`] | `tracing` | a span per operation: backend, operation, namespace, key count, bytes, outcome, duration |
//! | [`MetricsLayer`] | `metrics` | counts, errors by kind, bytes, latency histograms, hits and misses through the `metrics` facade |
//! | [`RetryLayer`] | `retry` | retries retryable errors of operations safe to repeat, with exponential backoff and jitter (`backon`) |
//! | [`TimeoutLayer`] | – | a deadline per operation on the async face |
//! | [`ConcurrencyLimitLayer`] | – | at most N operations in flight, across both faces |
//! | [`DefaultTtlLayer`] | – | a store-wide TTL for every write that passes none |
//!
//! ```
//! use std::time::Duration;
//! use anykv_core::layer::WithLayer;
//! use anykv_core::{KvStorage, MemoryStorage};
//! use anykv_layers::{ConcurrencyLimitLayer, MetricsLayer, RetryLayer, TracingLayer};
//!
//! let store = MemoryStorage::new()
//!     .with_layer(RetryLayer::new())
//!     .with_layer(ConcurrencyLimitLayer::new(64))
//!     .with_layer(MetricsLayer::new())
//!     .with_layer(TracingLayer::new());
//! store.set("k", b"v", Some(Duration::from_secs(60)))?;
//! assert_eq!(store.get("k")?, Some(b"v".to_vec()));
//! # Ok::<(), anykv_core::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod concurrency;
mod default_ttl;
#[cfg(feature = "metrics")]
mod metrics_layer;
#[cfg(feature = "retry")]
mod retry;
mod timeout;
#[cfg(feature = "tracing")]
mod tracing_layer;

pub use concurrency::ConcurrencyLimitLayer;
pub use default_ttl::DefaultTtlLayer;
#[cfg(feature = "metrics")]
pub use metrics_layer::MetricsLayer;
#[cfg(feature = "retry")]
pub use retry::RetryLayer;
pub use timeout::TimeoutLayer;
#[cfg(feature = "tracing")]
pub use tracing_layer::TracingLayer;
