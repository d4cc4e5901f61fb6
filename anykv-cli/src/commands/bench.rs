//! `bench`: a quick latency figure for set and get on a store.

use std::time::{Duration, Instant};

use anykv::open;
use serde_json::json;

use crate::{Failure, Outcome};

/// Times `ops` sets of `size`-byte values, then `ops` gets of them, under keys of its own
/// (removed afterwards, also when a call fails), and prints the latency percentiles.
pub fn bench(url: &str, ops: usize, size: usize, json: bool) -> Result<Outcome, Failure> {
    if ops == 0 {
        return Err("--ops must be at least 1".into());
    }
    let store = open(url)?;
    let prefix = format!("kvs-bench:{}:", std::process::id());
    let keys: Vec<String> = (0..ops).map(|i| format!("{prefix}{i}")).collect();
    let value = vec![0x5a_u8; size];
    let timed = (|| -> Result<(Vec<Duration>, Vec<Duration>), Failure> {
        let mut sets = Vec::with_capacity(ops);
        for key in &keys {
            let started = Instant::now();
            store.set(key, &value, Some(Duration::from_secs(600)))?;
            sets.push(started.elapsed());
        }
        let mut gets = Vec::with_capacity(ops);
        for key in &keys {
            let started = Instant::now();
            let read = store.get(key)?;
            gets.push(started.elapsed());
            if read.as_deref() != Some(value.as_slice()) {
                return Err(format!("{key}: read back something else than was written").into());
            }
        }
        Ok((sets, gets))
    })();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let cleaned = store.delete_many(&key_refs);
    let (sets, gets) = timed?;
    cleaned?;
    let rows = [("set", summary(sets)), ("get", summary(gets))];
    if json {
        let report: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(op, s)| {
                (
                    (*op).to_owned(),
                    json!({
                        "ops": ops,
                        "p50_us": s.p50.as_micros() as u64,
                        "p90_us": s.p90.as_micros() as u64,
                        "p99_us": s.p99.as_micros() as u64,
                        "max_us": s.max.as_micros() as u64,
                        "ops_per_sec": s.ops_per_sec,
                    }),
                )
            })
            .collect();
        crate::output::json(
            &json!({ "backend": store.backend_name(), "value_bytes": size, "results": report }),
        )?;
    } else {
        println!(
            "{} ops of each kind, {size}-byte values, on {}",
            ops,
            store.backend_name()
        );
        println!("op        p50        p90        p99        max      ops/s");
        for (op, s) in &rows {
            println!(
                "{op:<4} {:>8.1?} {:>10.1?} {:>10.1?} {:>10.1?} {:>10.0}",
                s.p50, s.p90, s.p99, s.max, s.ops_per_sec
            );
        }
    }
    Ok(Outcome::Done)
}

/// Latency percentiles and throughput of one kind of operation.
struct Summary {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    ops_per_sec: f64,
}

fn summary(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    let at = |fraction: f64| {
        let index = (samples.len() as f64 * fraction) as usize;
        samples
            .get(index.min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Summary {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: samples.last().copied().unwrap_or_default(),
        ops_per_sec: samples.len() as f64 / total.as_secs_f64().max(f64::MIN_POSITIVE),
    }
}
