//! The model-based property test: random operation sequences against the store and a model.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use storage_core::{Expiry, KvStorage};

use crate::{ensure, keys::nasty_keys, unique_namespace, Backend, CheckResult};

/// Margin for millisecond truncation between the model's clock and the store's.
const CLOCK_SLACK: Duration = Duration::from_millis(3);
/// The long TTL: never reached during a test.
const LONG_TTL: Duration = Duration::from_secs(3600);

/// A TTL choice for a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ttl {
    None,
    Short,
    Long,
}

/// A value, shown by length and first bytes so failing sequences stay readable.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Value(Vec<u8>);

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes {:02x?}",
            self.0.len(),
            &self.0[..self.0.len().min(4)]
        )
    }
}

/// One step of a sequence. Keys are indexes into [`nasty_keys`].
#[derive(Debug, Clone)]
enum Op {
    Get(usize),
    Contains(usize),
    Expiry(usize),
    Set(usize, Value, Ttl),
    SetIfAbsent(usize, Value, Ttl),
    Delete(usize),
    Pop(usize),
    Len,
    IsEmpty,
    Keys,
    Values,
    Items,
    Clear,
    GetMany(Vec<usize>),
    SetMany(Vec<(usize, Value)>, Ttl),
    DeleteMany(Vec<usize>),
    SetOther(usize, Value, Ttl),
    UpdateFromOther,
    Wait,
    PurgeExpired,
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => Just(Vec::new()),
        8 => proptest::collection::vec(any::<u8>(), 1..64),
        3 => proptest::collection::vec(any::<u8>(), 64..4096),
        1 => proptest::collection::vec(any::<u8>(), 60_000..70_000),
    ]
    .prop_map(Value)
}

fn ttl() -> impl Strategy<Value = Ttl> {
    prop_oneof![5 => Just(Ttl::None), 2 => Just(Ttl::Short), 2 => Just(Ttl::Long)]
}

fn op(keys: usize) -> impl Strategy<Value = Op> {
    let key = 0..keys;
    let key_list = proptest::collection::vec(0..keys, 0..8);
    prop_oneof![
        6 => key.clone().prop_map(Op::Get),
        2 => key.clone().prop_map(Op::Contains),
        2 => key.clone().prop_map(Op::Expiry),
        8 => (key.clone(), value(), ttl()).prop_map(|(k, v, t)| Op::Set(k, v, t)),
        3 => (key.clone(), value(), ttl()).prop_map(|(k, v, t)| Op::SetIfAbsent(k, v, t)),
        3 => key.clone().prop_map(Op::Delete),
        2 => key.clone().prop_map(Op::Pop),
        2 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
        1 => Just(Op::Keys),
        1 => Just(Op::Values),
        1 => Just(Op::Items),
        1 => Just(Op::Clear),
        2 => key_list.clone().prop_map(Op::GetMany),
        2 => (proptest::collection::vec((key.clone(), value()), 0..6), ttl()).prop_map(|(e, t)| Op::SetMany(e, t)),
        2 => key_list.prop_map(Op::DeleteMany),
        2 => (key, value(), ttl()).prop_map(|(k, v, t)| Op::SetOther(k, v, t)),
        1 => Just(Op::UpdateFromOther),
        1 => Just(Op::Wait),
        1 => Just(Op::PurgeExpired),
    ]
}

/// When a model entry expires.
#[derive(Debug, Clone, Copy)]
enum Life {
    Forever,
    Long,
    /// Certainly alive before `alive_until`, certainly gone after `dead_after`.
    Short {
        alive_until: Instant,
        dead_after: Instant,
    },
}

#[derive(Debug, Clone)]
struct ModelEntry {
    value: Vec<u8>,
    life: Life,
}

/// The model: what a correct store holds, per namespace.
#[derive(Default)]
struct Model {
    main: BTreeMap<String, ModelEntry>,
    other: BTreeMap<String, ModelEntry>,
}

fn life(ttl: Ttl, short: Duration, started: Instant, finished: Instant) -> Life {
    match ttl {
        Ttl::None => Life::Forever,
        Ttl::Long => Life::Long,
        Ttl::Short => Life::Short {
            alive_until: started + short - CLOCK_SLACK,
            dead_after: finished + short + CLOCK_SLACK,
        },
    }
}

fn duration(ttl: Ttl, short: Duration) -> Option<Duration> {
    match ttl {
        Ttl::None => None,
        Ttl::Short => Some(short),
        Ttl::Long => Some(LONG_TTL),
    }
}

impl Model {
    fn entries(&mut self) -> impl Iterator<Item = &mut BTreeMap<String, ModelEntry>> {
        [&mut self.main, &mut self.other].into_iter()
    }

    /// Before a step: waits out every short entry that might expire during the step, so every
    /// entry is certainly alive or certainly gone while it runs.
    fn settle(&mut self, margin: Duration) {
        loop {
            let now = Instant::now();
            let at_risk = self
                .entries()
                .flat_map(|m| m.values())
                .filter_map(|e| match e.life {
                    Life::Short {
                        alive_until,
                        dead_after,
                    } if now + margin >= alive_until => Some(dead_after),
                    _ => None,
                })
                .max();
            let Some(dead_after) = at_risk else { return };
            std::thread::sleep(dead_after.saturating_duration_since(Instant::now()));
            self.drop_dead();
        }
    }

    /// Waits until every short entry is gone.
    fn wait_all(&mut self) {
        let last = self
            .entries()
            .flat_map(|m| m.values())
            .filter_map(|e| match e.life {
                Life::Short { dead_after, .. } => Some(dead_after),
                _ => None,
            })
            .max();
        if let Some(dead_after) = last {
            std::thread::sleep(dead_after.saturating_duration_since(Instant::now()));
        }
        self.drop_dead();
    }

    fn drop_dead(&mut self) {
        let now = Instant::now();
        for map in self.entries() {
            map.retain(
                |_, e| !matches!(e.life, Life::Short { dead_after, .. } if dead_after <= now),
            );
        }
    }

    /// After a step: every remaining short entry must still have been certainly alive.
    fn check_no_overrun(&self, step: &Op) -> Result<(), String> {
        let now = Instant::now();
        let overrun = self
            .main
            .values()
            .chain(self.other.values())
            .any(|e| matches!(e.life, Life::Short { alive_until, .. } if alive_until <= now));
        ensure!(
            !overrun,
            "step {step:?} took so long that a short-TTL entry may have expired during it; \
             raise Backend::short_ttl for this backend"
        );
        Ok(())
    }
}

struct Run<'a> {
    main: &'a dyn KvStorage,
    other: &'a dyn KvStorage,
    keys: &'a [String],
    short: Duration,
    model: Model,
}

/// Records a write in one namespace of the model.
fn remember(map: &mut BTreeMap<String, ModelEntry>, key: &str, value: &Value, life: Life) {
    let entry = ModelEntry {
        value: value.0.clone(),
        life,
    };
    map.insert(key.to_owned(), entry);
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

macro_rules! call {
    ($step:expr, $call:expr) => {
        $call.map_err(|e| format!("{:?}: unexpected error: {e}", $step))?
    };
}

impl<'a> Run<'a> {
    fn key(&self, index: usize) -> &'a str {
        let keys: &'a [String] = self.keys;
        &keys[index]
    }

    fn step(&mut self, step: &Op) -> Result<(), String> {
        self.model.settle(self.short / 2);
        let started = Instant::now();
        self.apply(step, started)?;
        self.model.check_no_overrun(step)
    }

    fn apply(&mut self, step: &Op, started: Instant) -> Result<(), String> {
        let short = self.short;
        match step {
            Op::Get(k) => {
                let got = call!(step, self.main.get(self.key(*k)));
                let want = self.model.main.get(self.key(*k)).map(|e| e.value.clone());
                ensure!(
                    got == want,
                    "{step:?}: got {:?}, model has {:?}",
                    got.map(Value),
                    want.map(Value)
                );
            }
            Op::Contains(k) => {
                let got = call!(step, self.main.contains(self.key(*k)));
                let want = self.model.main.contains_key(self.key(*k));
                ensure!(got == want, "{step:?}: got {got}, model says {want}");
            }
            Op::Expiry(k) => {
                let got = call!(step, self.main.expiry(self.key(*k)));
                let want = self.model.main.get(self.key(*k)).map(|e| e.life);
                let agrees = match (got, want) {
                    (None, None) => true,
                    (Some(Expiry::Never), Some(Life::Forever)) => true,
                    (Some(Expiry::At(at)), Some(Life::Long)) => {
                        let left = at.remaining();
                        left <= LONG_TTL && left > LONG_TTL - Duration::from_secs(600)
                    }
                    (Some(Expiry::At(at)), Some(Life::Short { .. })) => at.remaining() <= short,
                    _ => false,
                };
                ensure!(agrees, "{step:?}: got {got:?}, model has {want:?}");
            }
            Op::Set(k, v, t) => {
                call!(step, self.main.set(self.key(*k), &v.0, duration(*t, short)));
                let life = life(*t, short, started, Instant::now());
                let key = self.key(*k);
                remember(&mut self.model.main, key, v, life);
            }
            Op::SetIfAbsent(k, v, t) => {
                let won = call!(
                    step,
                    self.main
                        .set_if_absent(self.key(*k), &v.0, duration(*t, short))
                );
                let want = !self.model.main.contains_key(self.key(*k));
                ensure!(
                    won == want,
                    "{step:?}: returned {won}, model says the key was absent: {want}"
                );
                if won {
                    let life = life(*t, short, started, Instant::now());
                    let key = self.key(*k);
                    remember(&mut self.model.main, key, v, life);
                }
            }
            Op::Delete(k) => {
                let got = call!(step, self.main.delete(self.key(*k)));
                let want = self.model.main.remove(self.key(*k)).is_some();
                ensure!(
                    got == want,
                    "{step:?}: returned {got}, model says it existed: {want}"
                );
            }
            Op::Pop(k) => {
                let got = call!(step, self.main.pop(self.key(*k)));
                let want = self.model.main.remove(self.key(*k)).map(|e| e.value);
                ensure!(
                    got == want,
                    "{step:?}: got {:?}, model has {:?}",
                    got.map(Value),
                    want.map(Value)
                );
            }
            Op::Len => {
                let got = call!(step, self.main.len());
                ensure!(
                    got == self.model.main.len(),
                    "{step:?}: got {got}, model has {}",
                    self.model.main.len()
                );
            }
            Op::IsEmpty => {
                let got = call!(step, self.main.is_empty());
                ensure!(got == self.model.main.is_empty(), "{step:?}: got {got}");
            }
            Op::Keys => {
                let got: Vec<String> = call!(
                    step,
                    call!(step, self.main.keys()).collect::<storage_core::Result<_>>()
                );
                let want: Vec<String> = self.model.main.keys().cloned().collect();
                ensure!(
                    sorted(got.clone()) == want,
                    "{step:?}: got {got:?}, model has {want:?}"
                );
            }
            Op::Values => {
                let got: Vec<Vec<u8>> = call!(
                    step,
                    call!(step, self.main.values()).collect::<storage_core::Result<_>>()
                );
                let want: Vec<Vec<u8>> =
                    sorted(self.model.main.values().map(|e| e.value.clone()).collect());
                ensure!(
                    sorted(got) == want,
                    "{step:?}: values differ from the model"
                );
            }
            Op::Items => self.compare_items(step)?,
            Op::Clear => {
                call!(step, self.main.clear());
                self.model.main.clear();
            }
            Op::GetMany(ks) => {
                let keys: Vec<&str> = ks.iter().map(|k| self.key(*k)).collect();
                let got = call!(step, self.main.get_many(&keys));
                let want: Vec<Option<Vec<u8>>> = keys
                    .iter()
                    .map(|k| self.model.main.get(*k).map(|e| e.value.clone()))
                    .collect();
                ensure!(got == want, "{step:?}: get_many differs from the model");
            }
            Op::SetMany(entries, t) => {
                let pairs: Vec<(&str, &[u8])> = entries
                    .iter()
                    .map(|(k, v)| (self.key(*k), v.0.as_slice()))
                    .collect();
                call!(step, self.main.set_many(&pairs, duration(*t, short)));
                let life = life(*t, short, started, Instant::now());
                for (k, v) in entries {
                    let key = self.key(*k);
                    remember(&mut self.model.main, key, v, life);
                }
            }
            Op::DeleteMany(ks) => {
                let keys: Vec<&str> = ks.iter().map(|k| self.key(*k)).collect();
                let got = call!(step, self.main.delete_many(&keys));
                let distinct: BTreeSet<&str> = keys.iter().copied().collect();
                let want = distinct
                    .iter()
                    .filter(|k| self.model.main.remove(**k).is_some())
                    .count();
                ensure!(
                    got == want,
                    "{step:?}: deleted {got}, model had {want} of those keys"
                );
            }
            Op::SetOther(k, v, t) => {
                call!(
                    step,
                    self.other.set(self.key(*k), &v.0, duration(*t, short))
                );
                let life = life(*t, short, started, Instant::now());
                let key = self.key(*k);
                remember(&mut self.model.other, key, v, life);
            }
            Op::UpdateFromOther => {
                let copied = call!(step, self.main.update(self.other));
                ensure!(
                    copied == self.model.other.len(),
                    "{step:?}: copied {copied}, other store has {}",
                    self.model.other.len()
                );
                let other = self.model.other.clone();
                self.model.main.extend(other);
            }
            Op::Wait => self.model.wait_all(),
            Op::PurgeExpired => {
                call!(step, self.main.purge_expired());
                let got = call!(step, self.main.len());
                ensure!(
                    got == self.model.main.len(),
                    "{step:?}: len {got} after purge, model has {}",
                    self.model.main.len()
                );
            }
        }
        Ok(())
    }

    fn compare_items(&self, step: &Op) -> Result<(), String> {
        let got: Vec<(String, Vec<u8>)> = call!(
            step,
            call!(step, self.main.items()).collect::<storage_core::Result<_>>()
        );
        let want: Vec<(String, Vec<u8>)> = self
            .model
            .main
            .iter()
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect();
        if sorted(got.clone()) != want {
            let got_keys: Vec<&String> = got.iter().map(|(k, _)| k).collect();
            let want_keys: Vec<&String> = want.iter().map(|(k, _)| k).collect();
            return Err(format!(
                "{step:?}: items differ: got keys {got_keys:?}, model has {want_keys:?}"
            ));
        }
        Ok(())
    }
}

/// Runs random sequences of every operation against the backend and the model, comparing every
/// result, and shrinks a failure to a minimal sequence. `CONFORMANCE_CASES` sets the number of
/// sequences (default 32).
pub fn model_based(backend: &dyn Backend) -> CheckResult {
    let cases = std::env::var("CONFORMANCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    model_based_with_cases(backend, cases)
}

/// [`model_based`] with an explicit number of cases.
pub fn model_based_with_cases(backend: &dyn Backend, cases: u32) -> CheckResult {
    let open = |label: &str| {
        backend
            .open(&unique_namespace(label))
            .map_err(|e| format!("cannot open a store: {e}"))
    };
    let (main, other) = (open("model_main")?, open("model_other")?);
    let keys = nasty_keys();
    let config = Config {
        cases,
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = proptest::collection::vec(op(keys.len()), 1..40);
    let outcome = runner.run(&strategy, |ops| {
        let reset = main.clear().and_then(|()| other.clear());
        reset.map_err(|e| TestCaseError::fail(format!("clear before the case: {e}")))?;
        let mut run = Run {
            main: main.as_ref(),
            other: other.as_ref(),
            keys: &keys,
            short: backend.short_ttl(),
            model: Model::default(),
        };
        for step in &ops {
            run.step(step).map_err(TestCaseError::fail)?;
        }
        run.compare_items(&Op::Items).map_err(TestCaseError::fail)
    });
    let _ = main.clear().and_then(|()| other.clear());
    outcome.map_err(|error| {
        format!("model-based test failed: {error}\nkey indexes refer to conformance::nasty_keys()")
    })
}
