//! Each layer of this crate passes every operation to the store underneath as that same
//! operation, on both faces (the public suite's forwarding check over a spy store).

use std::sync::Arc;
use std::time::Duration;

use anykv_conformance::forwarding::{check_forwarding, check_forwarding_async, SpyStore};
use anykv_core::layer::{Layer, WithLayer};
use anykv_layers::{
    ConcurrencyLimitLayer, DefaultTtlLayer, MetricsLayer, RetryLayer, TimeoutLayer, TracingLayer,
};

fn forwards<L: Layer + 'static>(name: &str, layer: impl Fn() -> L) {
    let spy = Arc::new(SpyStore::new());
    let layered = spy.clone().with_layer(layer());
    if let Err(report) = check_forwarding(&layered, &spy, &[]) {
        panic!("{name} (blocking): {report}");
    }
    let layered = spy.clone().with_layer(layer());
    if let Err(report) = check_forwarding_async(&layered, &spy, &[]) {
        panic!("{name} (async): {report}");
    }
}

#[test]
fn every_layer_forwards_every_operation() {
    forwards("TracingLayer", TracingLayer::new);
    forwards("MetricsLayer", MetricsLayer::new);
    forwards("RetryLayer", RetryLayer::new);
    forwards("TimeoutLayer", || {
        TimeoutLayer::new(Duration::from_secs(60))
    });
    forwards("ConcurrencyLimitLayer", || ConcurrencyLimitLayer::new(4));
    forwards("DefaultTtlLayer", || {
        DefaultTtlLayer::new(Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e}"))
    });
    // Stacked, as an application would.
    let spy = Arc::new(SpyStore::new());
    let stacked = spy
        .clone()
        .with_layer(TimeoutLayer::new(Duration::from_secs(60)))
        .with_layer(RetryLayer::new())
        .with_layer(MetricsLayer::new())
        .with_layer(TracingLayer::new());
    if let Err(report) = check_forwarding(&stacked, &spy, &[]) {
        panic!("stacked layers (blocking): {report}");
    }
    if let Err(report) = check_forwarding_async(&stacked, &spy, &[]) {
        panic!("stacked layers (async): {report}");
    }
}
