//! With the `metrics` feature every memo counter also goes to the `metrics` facade, labelled
//! with the memo's name and the event.

#![cfg(feature = "metrics")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anykv_core::MemoryStorage;
use anykv_memo::{Memo, MemoOptions};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

#[test]
fn every_counter_is_a_metric_labelled_with_the_memo_and_the_event() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let options = MemoOptions::new("squares", Duration::from_secs(60), Duration::from_secs(600));
    let memo: Memo<u64> = Memo::new(Arc::new(MemoryStorage::new()), options);
    metrics::with_local_recorder(&recorder, || {
        for _ in 0..3 {
            let value = memo.call(&7, || Ok::<_, std::io::Error>(49));
            assert_eq!(value.ok(), Some(49));
        }
        let failed = memo.call(&8, || Err::<u64, _>(std::io::Error::other("down")));
        assert!(failed.is_err());
    });
    let mut events: BTreeMap<String, u64> = BTreeMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let (_, key) = key.into_parts();
        assert_eq!(key.name(), "kv_memo_events_total");
        let label = |name: &str| {
            key.labels()
                .find(|label| label.key() == name)
                .map(|label| label.value().to_owned())
        };
        assert_eq!(label("memo").as_deref(), Some("squares"));
        if let (Some(event), DebugValue::Counter(count)) = (label("event"), value) {
            events.insert(event, count);
        }
    }
    let stats = memo.stats();
    let event = |name: &str| events.get(name).copied().unwrap_or(0);
    assert_eq!(
        (stats.hit, stats.missed, stats.failed),
        (2, 2, 1),
        "{stats:?}"
    );
    for (name, count) in [
        ("refresh", stats.refresh),
        ("wait", stats.wait),
        ("sleep", stats.sleep),
        ("failed", stats.failed),
        ("missed", stats.missed),
        ("success", stats.success),
        ("default", stats.default),
        ("wait_timeout", stats.wait_timeout),
        ("hit", stats.hit),
        ("stale", stats.stale),
    ] {
        assert_eq!(
            event(name),
            count,
            "{name}: metrics {events:?}, stats {stats:?}"
        );
    }
}
