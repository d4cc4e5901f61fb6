//! The whole conformance suite on memory stores under every layer, on both faces: the
//! forwarding base passes every operation through unchanged.

use std::sync::Arc;
use std::time::Duration;

use anykv_conformance::{Backend, Capabilities, ExpiryRemoval};
use anykv_core::layer::WithLayer;
use anykv_core::{AsyncAdapter, AsyncKvStorage, KvStorage, MemoryDatabase, MemoryStorage};
use anykv_layers::{ConcurrencyLimitLayer, MetricsLayer, RetryLayer, TimeoutLayer, TracingLayer};

/// Memory namespaces, each under retry, concurrency limit, timeout, metrics and tracing.
#[derive(Default)]
struct LayeredMemory(MemoryDatabase);

impl LayeredMemory {
    fn store(&self, namespace: &str) -> anykv_core::Result<MemoryStorage> {
        Ok(self.0.open(namespace)?.with_max_value_len(4 << 20))
    }
}

macro_rules! every_layer {
    ($store:expr) => {
        $store
            .with_layer(RetryLayer::new())
            .with_layer(ConcurrencyLimitLayer::new(16))
            .with_layer(TimeoutLayer::new(Duration::from_secs(120)))
            .with_layer(MetricsLayer::new())
            .with_layer(TracingLayer::new())
    };
}

impl Backend for LayeredMemory {
    fn name(&self) -> String {
        "memory under every layer".into()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            persistent: false,
            expiry: ExpiryRemoval::Purge,
            stale_reads: true,
            size_caps: false,
        }
    }

    fn open(&self, namespace: &str) -> anykv_core::Result<Arc<dyn KvStorage>> {
        Ok(Arc::new(every_layer!(self.store(namespace)?)))
    }

    fn open_async(&self, namespace: &str) -> anykv_core::Result<Arc<dyn AsyncKvStorage>> {
        Ok(Arc::new(every_layer!(AsyncAdapter::new(
            self.store(namespace)?
        ))))
    }
}

anykv_conformance::conformance_tests!(every_layer_over_memory, LayeredMemory::default());
