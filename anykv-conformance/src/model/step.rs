//! One step of a sequence: the call on the store, then the model's verdict on what it returned.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::face::Face;
use super::ops::{Op, Ttl};
use super::state::{Life, Model, Ns, Seen, Span, LONG_TTL};

/// A sequence in progress: the store's face, the keys, and the model.
pub(crate) struct Run<'a> {
    pub(crate) face: &'a dyn Face,
    pub(crate) keys: &'a [String],
    pub(crate) short: Duration,
    pub(crate) model: Model,
}

/// Runs a call, naming the step in its error, and returns its result with the span it ran in.
macro_rules! timed {
    ($step:expr, $call:expr) => {{
        let started = Instant::now();
        let result = $call.map_err(|e| format!("{:?}: unexpected error: {e}", $step))?;
        let span = Span {
            started,
            finished: Instant::now(),
        };
        (result, span)
    }};
}

impl<'a> Run<'a> {
    fn key(&self, index: usize) -> &'a str {
        let keys: &'a [String] = self.keys;
        &keys[index]
    }

    fn ttl(&self, ttl: Ttl) -> Option<Duration> {
        match ttl {
            Ttl::None => None,
            Ttl::Short => Some(self.short),
            Ttl::Long => Some(LONG_TTL),
        }
    }

    /// Runs `step` and checks its outcome against the model.
    pub(crate) fn step(&mut self, step: &Op) -> Result<(), String> {
        self.model.forget_expired(Instant::now());
        self.apply(step).map_err(|e| {
            format!(
                "{step:?}: {e}\n  the model's main namespace: {}",
                self.model.describe_main()
            )
        })
    }

    fn observe(&mut self, key: &str, seen: &[Seen<'_>], span: Span) -> Result<(), String> {
        self.model.observe(Ns::Main, key, seen, span)
    }

    fn apply(&mut self, step: &Op) -> Result<(), String> {
        let face = self.face;
        match step {
            Op::Get(k) => {
                let key = self.key(*k);
                let (got, span) = timed!(step, face.get(key));
                self.observe(key, &[seen_value(got.as_deref())], span)?;
            }
            Op::Contains(k) => {
                let key = self.key(*k);
                let (got, span) = timed!(step, face.contains(key));
                let seen = if got {
                    Seen::Present(None)
                } else {
                    Seen::Absent
                };
                self.observe(key, &[seen], span)?;
            }
            Op::Expiry(k) => {
                let key = self.key(*k);
                let (got, span) = timed!(step, face.expiry(key));
                let seen = got.map_or(Seen::Absent, Seen::Expiring);
                self.observe(key, &[seen], span)?;
            }
            Op::Set(k, v, t) => {
                let key = self.key(*k);
                let ttl = self.ttl(*t);
                let ((), span) = timed!(step, face.set(Ns::Main, key, &v.0, ttl));
                self.model.write(Ns::Main, key, &v.0, life(ttl, span));
            }
            Op::SetOther(k, v, t) => {
                let key = self.key(*k);
                let ttl = self.ttl(*t);
                let ((), span) = timed!(step, face.set(Ns::Other, key, &v.0, ttl));
                self.model.write(Ns::Other, key, &v.0, life(ttl, span));
            }
            Op::SetIfAbsent(k, v, t) => {
                let key = self.key(*k);
                let ttl = self.ttl(*t);
                let (won, span) = timed!(step, face.set_if_absent(key, &v.0, ttl));
                if won {
                    self.observe(key, &[Seen::Absent], span)
                        .map_err(|e| format!("it won, but {e}"))?;
                    self.model.write(Ns::Main, key, &v.0, life(ttl, span));
                } else {
                    self.observe(key, &[Seen::Present(None)], span)
                        .map_err(|e| format!("it lost, but {e}"))?;
                }
            }
            Op::Delete(k) => {
                let key = self.key(*k);
                let (existed, span) = timed!(step, face.delete(key));
                let seen = if existed {
                    Seen::Present(None)
                } else {
                    Seen::Absent
                };
                self.observe(key, &[seen], span)?;
                self.model.remove(Ns::Main, key);
            }
            Op::Pop(k) => {
                let key = self.key(*k);
                let (got, span) = timed!(step, face.pop(key));
                self.observe(key, &[seen_value(got.as_deref())], span)?;
                self.model.remove(Ns::Main, key);
            }
            Op::Len => {
                let (got, span) = timed!(step, face.len());
                self.model.observe_count(Ns::Main, got, span)?;
            }
            Op::PurgeExpired => {
                let started = Instant::now();
                let _ = timed!(step, face.purge_expired());
                let (got, span) = timed!(step, face.len());
                let span = Span { started, ..span };
                self.model
                    .observe_count(Ns::Main, got, span)
                    .map_err(|e| format!("len after purge_expired: {e}"))?;
            }
            Op::IsEmpty => {
                let (empty, span) = timed!(step, face.is_empty());
                self.observe_emptiness(empty, span)?;
            }
            Op::Keys => {
                let (got, span) = timed!(step, face.keys());
                let listed: Vec<(&str, Option<&[u8]>)> =
                    got.iter().map(|k| (k.as_str(), None)).collect();
                self.model.observe_listing(Ns::Main, &listed, span)?;
            }
            Op::Items => self.compare_items(step)?,
            Op::Values => {
                let (got, span) = timed!(step, face.values());
                self.model.observe_values(Ns::Main, &got, span)?;
            }
            Op::Clear => {
                let ((), _) = timed!(step, face.clear(Ns::Main));
                self.model.clear(Ns::Main);
            }
            Op::GetMany(ks) => {
                let keys: Vec<&str> = ks.iter().map(|k| self.key(*k)).collect();
                let (got, span) = timed!(step, face.get_many(&keys));
                if got.len() != keys.len() {
                    return Err(format!("{} results for {} keys", got.len(), keys.len()));
                }
                let mut seen: BTreeMap<&str, Vec<Seen<'_>>> = BTreeMap::new();
                for (key, value) in keys.iter().zip(&got) {
                    seen.entry(key)
                        .or_default()
                        .push(seen_value(value.as_deref()));
                }
                for (key, seen) in seen {
                    self.observe(key, &seen, span)?;
                }
            }
            Op::SetMany(entries, t) => {
                let pairs: Vec<(&str, &[u8])> = entries
                    .iter()
                    .map(|(k, v)| (self.key(*k), v.0.as_slice()))
                    .collect();
                let ttl = self.ttl(*t);
                let ((), span) = timed!(step, face.set_many(&pairs, ttl));
                for (key, value) in pairs {
                    self.model.write(Ns::Main, key, value, life(ttl, span));
                }
            }
            Op::DeleteMany(ks) => {
                let keys: Vec<&str> = ks.iter().map(|k| self.key(*k)).collect();
                let (got, span) = timed!(step, face.delete_many(&keys));
                let distinct: BTreeSet<String> = keys.iter().map(|k| (*k).to_owned()).collect();
                self.model
                    .observe_count_of(Ns::Main, &distinct, got, span)
                    .map_err(|e| format!("delete_many reported: {e}"))?;
                for key in distinct {
                    self.model.remove(Ns::Main, &key);
                }
            }
            Op::UpdateFromOther => {
                let (copied, span) = timed!(step, face.update_from_other());
                self.model.observe_update(copied, span)?;
            }
            Op::Wait => {
                if let Some(gone) = self.model.all_short_entries_gone_at() {
                    std::thread::sleep(gone.saturating_duration_since(Instant::now()));
                }
            }
        }
        Ok(())
    }

    fn observe_emptiness(&mut self, empty: bool, span: Span) -> Result<(), String> {
        if empty {
            return self
                .model
                .observe_count(Ns::Main, 0, span)
                .map_err(|e| format!("is_empty() said true: {e}"));
        }
        // Not empty: at least one entry may be live.
        self.model
            .observe_at_least_one(Ns::Main, span)
            .map_err(|e| format!("is_empty() said false: {e}"))
    }

    /// Lists the items of the main namespace and checks them against the model.
    pub(crate) fn compare_items(&mut self, step: &Op) -> Result<(), String> {
        let face = self.face;
        let (got, span) = timed!(step, face.items());
        let listed: Vec<(&str, Option<&[u8]>)> = got
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_slice())))
            .collect();
        self.model.observe_listing(Ns::Main, &listed, span)
    }
}

fn seen_value(value: Option<&[u8]>) -> Seen<'_> {
    value.map_or(Seen::Absent, |v| Seen::Present(Some(v)))
}

fn life(ttl: Option<Duration>, span: Span) -> Life {
    Life::of_write(ttl, span.started, span.finished)
}
