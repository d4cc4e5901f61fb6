//! What a correct store may hold, with time as an uncertainty window.
//!
//! A write with a TTL made between the instants `s` and `f` expires somewhere in
//! `(s + ttl, f + ttl]`. The model keeps that window: before it the entry is certainly alive,
//! after it certainly gone, inside it both are correct. An observation inside the window
//! settles which one happened (an entry seen gone stays gone), so no step is ever "too slow":
//! a slow step only widens what the model accepts for the entries it meets.
//!
//! A key may also have several possible entries at once (e.g. after `update` copied an entry
//! that was inside its window: the copy may or may not have happened); observations narrow
//! them down the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anykv_core::Expiry;

use crate::window::{Window, CLOCK_SLACK};

/// The long TTL: never reached during a test.
pub(crate) const LONG_TTL: Duration = Duration::from_secs(3600);

/// When a written entry stops being visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    /// No TTL.
    Forever,
    /// [`LONG_TTL`]: outlives the test.
    Long,
    /// Certainly visible before `alive_until`, certainly gone from `dead_after` on.
    Window {
        alive_until: Instant,
        dead_after: Instant,
    },
}

impl Life {
    /// The life of an entry written with `ttl` by a call that ran from `started` to `finished`.
    pub(crate) fn of_write(ttl: Option<Duration>, started: Instant, finished: Instant) -> Life {
        match ttl {
            None => Life::Forever,
            Some(ttl) if ttl >= LONG_TTL => Life::Long,
            Some(ttl) => {
                let window = Window::of_write(ttl, started, finished);
                Life::Window {
                    alive_until: window.alive_until,
                    dead_after: window.dead_after,
                }
            }
        }
    }

    /// The life of a copy made by a call that ran for `took`, of an entry with this life: the
    /// copy keeps the remaining TTL, counted from an instant up to `took` later.
    fn of_copy(self, took: Duration) -> Life {
        match self {
            Life::Window {
                alive_until,
                dead_after,
            } => Life::Window {
                alive_until,
                dead_after: dead_after + took + CLOCK_SLACK,
            },
            other => other,
        }
    }
}

/// An entry a correct store may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) value: Vec<u8>,
    pub(crate) life: Life,
}

/// Whether an entry is visible during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Yes,
    No,
    Maybe,
}

/// The interval a call ran in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) started: Instant,
    pub(crate) finished: Instant,
}

fn presence(possible: &Option<Written>, span: Span) -> Presence {
    match possible {
        None => Presence::No,
        Some(written) => match written.life {
            Life::Forever | Life::Long => Presence::Yes,
            Life::Window {
                alive_until,
                dead_after,
            } => {
                if span.finished < alive_until {
                    Presence::Yes
                } else if span.started >= dead_after {
                    Presence::No
                } else {
                    Presence::Maybe
                }
            }
        },
    }
}

/// What a call saw of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen<'a> {
    /// No live entry.
    Absent,
    /// A live entry, with this value if the call returned it.
    Present(Option<&'a [u8]>),
    /// A live entry with this expiry.
    Expiring(Expiry),
}

fn compatible(possible: &Option<Written>, seen: Seen<'_>, span: Span, short: Duration) -> bool {
    let visible = presence(possible, span);
    match (seen, possible) {
        (Seen::Absent, _) => visible != Presence::Yes,
        (_, None) => false,
        (Seen::Present(value), Some(written)) => {
            visible != Presence::No && value.is_none_or(|v| v == written.value.as_slice())
        }
        (Seen::Expiring(expiry), Some(written)) => {
            visible != Presence::No
                && match (expiry, written.life) {
                    (Expiry::Never, Life::Forever) => true,
                    (Expiry::At(at), Life::Long) => {
                        let left = at.remaining();
                        left <= LONG_TTL && left > LONG_TTL - Duration::from_secs(600)
                    }
                    (Expiry::At(at), Life::Window { .. }) => at.remaining() <= short + CLOCK_SLACK,
                    _ => false,
                }
        }
    }
}

/// Which namespace of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Main,
    Other,
}

/// The possible entries of every key, per namespace. A key not in a map is certainly absent.
#[derive(Debug, Default)]
pub(crate) struct Model {
    main: BTreeMap<String, Vec<Option<Written>>>,
    other: BTreeMap<String, Vec<Option<Written>>>,
    /// The short TTL, for checking reported expiries.
    pub(crate) short: Duration,
}

const ABSENT: &[Option<Written>] = &[None];

impl Model {
    pub(crate) fn new(short: Duration) -> Self {
        Model {
            short,
            ..Model::default()
        }
    }

    fn map(&mut self, ns: Ns) -> &mut BTreeMap<String, Vec<Option<Written>>> {
        match ns {
            Ns::Main => &mut self.main,
            Ns::Other => &mut self.other,
        }
    }

    fn map_ref(&self, ns: Ns) -> &BTreeMap<String, Vec<Option<Written>>> {
        match ns {
            Ns::Main => &self.main,
            Ns::Other => &self.other,
        }
    }

    /// The possible entries of `key`.
    pub(crate) fn possible(&self, ns: Ns, key: &str) -> &[Option<Written>] {
        self.map_ref(ns).get(key).map_or(ABSENT, Vec::as_slice)
    }

    fn put(&mut self, ns: Ns, key: &str, mut possible: Vec<Option<Written>>) {
        let mut distinct: Vec<Option<Written>> = Vec::with_capacity(possible.len());
        for p in possible.drain(..) {
            if !distinct.contains(&p) {
                distinct.push(p);
            }
        }
        if distinct == ABSENT {
            self.map(ns).remove(key);
        } else {
            self.map(ns).insert(key.to_owned(), distinct);
        }
    }

    /// Records a write: `key` now holds `value` for sure.
    pub(crate) fn write(&mut self, ns: Ns, key: &str, value: &[u8], life: Life) {
        let written = Written {
            value: value.to_vec(),
            life,
        };
        self.put(ns, key, vec![Some(written)]);
    }

    /// Records a removal: `key` is absent for sure.
    pub(crate) fn remove(&mut self, ns: Ns, key: &str) {
        self.map(ns).remove(key);
    }

    /// Records a `clear` of a namespace.
    pub(crate) fn clear(&mut self, ns: Ns) {
        self.map(ns).clear();
    }

    /// Every key that may have an entry, in either namespace.
    fn known_keys(&self, ns: Ns) -> BTreeSet<String> {
        self.map_ref(ns).keys().cloned().collect()
    }

    /// Checks that a call during `span` could see `seen` (every element, e.g. a key listed twice
    /// by one call) for `key`, and keeps only the possibilities that agree. An entry seen gone
    /// inside its window is gone from then on.
    pub(crate) fn observe(
        &mut self,
        ns: Ns,
        key: &str,
        seen: &[Seen<'_>],
        span: Span,
    ) -> Result<(), String> {
        let short = self.short;
        let before = self.possible(ns, key).to_vec();
        let kept: Vec<Option<Written>> = before
            .iter()
            .filter(|p| seen.iter().all(|s| compatible(p, *s, span, short)))
            .map(|p| {
                if seen.contains(&Seen::Absent) {
                    None
                } else {
                    p.clone()
                }
            })
            .collect();
        if kept.is_empty() {
            return Err(format!(
                "key {key:?} ({ns:?} namespace): the store showed {seen:?}, but a correct store \
                 holds one of {}",
                describe(&before, span)
            ));
        }
        self.put(ns, key, kept);
        Ok(())
    }

    /// The fewest and the most live entries a call during `span` may count among `keys`.
    fn count_range<'k>(
        &self,
        ns: Ns,
        keys: impl Iterator<Item = &'k String>,
        span: Span,
    ) -> (usize, usize, Vec<String>) {
        let (mut least, mut most, mut unsure) = (0, 0, Vec::new());
        for key in keys {
            let visible: Vec<Presence> = self
                .possible(ns, key)
                .iter()
                .map(|p| presence(p, span))
                .collect();
            if visible.iter().all(|v| *v == Presence::Yes) {
                least += 1;
                most += 1;
            } else if visible.iter().any(|v| *v != Presence::No) {
                most += 1;
                unsure.push(key.clone());
            }
        }
        (least, most, unsure)
    }

    /// Checks a count of the live entries of a namespace (`len`, `purge` then `len`), and
    /// settles the unsure keys when the count leaves no choice.
    pub(crate) fn observe_count(&mut self, ns: Ns, got: usize, span: Span) -> Result<(), String> {
        let keys = self.known_keys(ns);
        self.observe_count_of(ns, &keys, got, span)
    }

    /// Like [`observe_count`](Self::observe_count) for the entries among `keys`.
    pub(crate) fn observe_count_of(
        &mut self,
        ns: Ns,
        keys: &BTreeSet<String>,
        got: usize,
        span: Span,
    ) -> Result<(), String> {
        let (least, most, unsure) = self.count_range(ns, keys.iter(), span);
        if got < least || got > most {
            return Err(format!(
                "counted {got} live entries, but a correct store has between {least} and {most} \
                 ({} of them may or may not have expired during the call)",
                unsure.len()
            ));
        }
        let settled = if got == least {
            Some(Seen::Absent)
        } else if got == most {
            Some(Seen::Present(None))
        } else {
            None
        };
        if let Some(seen) = settled {
            for key in unsure {
                self.observe(ns, &key, &[seen], span)?;
            }
        }
        Ok(())
    }

    /// Checks that at least one entry of a namespace was live during `span` (`is_empty` said
    /// false), settling the one unsure key when it is the only candidate.
    pub(crate) fn observe_at_least_one(&mut self, ns: Ns, span: Span) -> Result<(), String> {
        let keys = self.known_keys(ns);
        let (least, most, unsure) = self.count_range(ns, keys.iter(), span);
        if most == 0 {
            return Err("a correct store has no live entry".into());
        }
        if let [only] = unsure.as_slice() {
            if least == 0 {
                self.observe(ns, only, &[Seen::Present(None)], span)?;
            }
        }
        Ok(())
    }

    /// Checks a listing of a namespace (`keys`, or `items` with values): each key at most once,
    /// every live entry listed, nothing else.
    pub(crate) fn observe_listing(
        &mut self,
        ns: Ns,
        listed: &[(&str, Option<&[u8]>)],
        span: Span,
    ) -> Result<(), String> {
        let mut seen: BTreeMap<&str, Option<&[u8]>> = BTreeMap::new();
        for (key, value) in listed {
            if seen.insert(key, *value).is_some() {
                return Err(format!("key {key:?} was listed twice"));
            }
        }
        let mut keys = self.known_keys(ns);
        keys.extend(seen.keys().map(|k| (*k).to_owned()));
        for key in keys {
            let what = match seen.get(key.as_str()) {
                Some(value) => Seen::Present(*value),
                None => Seen::Absent,
            };
            self.observe(ns, &key, &[what], span)?;
        }
        Ok(())
    }

    /// Checks the values of a namespace, without their keys: every certain value is there, and
    /// nothing that no entry may hold.
    pub(crate) fn observe_values(&self, ns: Ns, got: &[Vec<u8>], span: Span) -> Result<(), String> {
        let mut certain: Vec<&[u8]> = Vec::new();
        let mut possible: Vec<&[u8]> = Vec::new();
        for entries in self.map_ref(ns).values() {
            let present: Vec<&Written> = entries
                .iter()
                .filter(|p| presence(p, span) != Presence::No)
                .flatten()
                .collect();
            let all_yes = entries.iter().all(|p| presence(p, span) == Presence::Yes);
            if all_yes && present.windows(2).all(|w| w[0].value == w[1].value) {
                if let Some(first) = present.first() {
                    certain.push(&first.value);
                }
            }
            possible.extend(present.iter().map(|w| w.value.as_slice()));
        }
        let mut rest: Vec<&[u8]> = got.iter().map(Vec::as_slice).collect();
        for value in certain {
            let at = rest
                .iter()
                .position(|v| *v == value)
                .ok_or_else(|| format!("values() misses a live value of {} bytes", value.len()))?;
            rest.swap_remove(at);
        }
        for value in got {
            if !possible.contains(&value.as_slice()) {
                return Err(format!(
                    "values() yielded a value of {} bytes that no entry holds",
                    value.len()
                ));
            }
        }
        let (least, most, _) = self.count_range(ns, self.map_ref(ns).keys(), span);
        if got.len() < least || got.len() > most {
            return Err(format!(
                "values() yielded {} values, a correct store has between {least} and {most}",
                got.len()
            ));
        }
        Ok(())
    }

    /// Checks what `update` copied from the other namespace into the main one (`copied`
    /// entries, during `span`) and records the copies. An entry of the other namespace inside its
    /// window may or may not have been copied: the main namespace then may hold either, unless
    /// the count settles it.
    pub(crate) fn observe_update(&mut self, copied: usize, span: Span) -> Result<(), String> {
        let keys = self.known_keys(Ns::Other);
        let (least, most, unsure) = self.count_range(Ns::Other, keys.iter(), span);
        if copied < least || copied > most {
            return Err(format!(
                "update copied {copied} entries, but the other store has between {least} and \
                 {most} live ones"
            ));
        }
        let took = span.finished.saturating_duration_since(span.started);
        for key in keys {
            let source = self.possible(Ns::Other, &key).to_vec();
            let is_unsure = unsure.contains(&key);
            let certainly_copied = !is_unsure || copied == most;
            if is_unsure && copied == least {
                self.observe(Ns::Other, &key, &[Seen::Absent], span)?;
                continue;
            }
            let mut possible: Vec<Option<Written>> = source
                .iter()
                .flatten()
                .map(|w| {
                    Some(Written {
                        value: w.value.clone(),
                        life: w.life.of_copy(took),
                    })
                })
                .filter(|p| presence(p, span) != Presence::No)
                .collect();
            if possible.is_empty() {
                continue;
            }
            if !certainly_copied {
                possible.extend(self.possible(Ns::Main, &key).iter().cloned());
            }
            self.put(Ns::Main, &key, possible);
        }
        Ok(())
    }

    /// Forgets every entry certainly gone at `now`.
    pub(crate) fn forget_expired(&mut self, now: Instant) {
        let span = Span {
            started: now,
            finished: now,
        };
        for ns in [Ns::Main, Ns::Other] {
            let keys = self.known_keys(ns);
            for key in keys {
                let possible: Vec<Option<Written>> = self
                    .possible(ns, &key)
                    .iter()
                    .map(|p| {
                        (presence(p, span) != Presence::No)
                            .then(|| p.clone())
                            .flatten()
                    })
                    .collect();
                self.put(ns, &key, possible);
            }
        }
    }

    /// The instant from which every entry with a short TTL is certainly gone.
    pub(crate) fn all_short_entries_gone_at(&self) -> Option<Instant> {
        self.main
            .values()
            .chain(self.other.values())
            .flatten()
            .flatten()
            .filter_map(|w| match w.life {
                Life::Window { dead_after, .. } => Some(dead_after),
                _ => None,
            })
            .max()
    }

    /// The keys of the main namespace that may hold an entry, for reports.
    pub(crate) fn describe_main(&self) -> String {
        let keys: Vec<&String> = self.main.keys().collect();
        format!("{keys:?}")
    }
}

fn describe(possible: &[Option<Written>], span: Span) -> String {
    let shown: Vec<String> = possible
        .iter()
        .map(|p| match p {
            None => "no entry".to_owned(),
            Some(w) => format!(
                "{} bytes {:02x?} ({:?}, {})",
                w.value.len(),
                &w.value[..w.value.len().min(4)],
                presence(p, span),
                match w.life {
                    Life::Forever => "no TTL".to_owned(),
                    Life::Long => "1 h TTL".to_owned(),
                    Life::Window {
                        alive_until,
                        dead_after,
                    } => format!(
                        "short TTL: alive until {:?} before the call ended, gone {:?} after it \
                         started",
                        alive_until.saturating_duration_since(span.finished),
                        dead_after.saturating_duration_since(span.started)
                    ),
                }
            ),
        })
        .collect();
    format!("[{}]", shown.join(", "))
}
