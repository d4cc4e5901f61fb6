//! The operations a model-based sequence is made of, and how proptest draws them.

use std::fmt;

use proptest::prelude::*;

/// A TTL choice for a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ttl {
    /// No TTL.
    None,
    /// [`Backend::short_ttl`](crate::Backend::short_ttl): expires during the sequence.
    Short,
    /// An hour: outlives the sequence.
    Long,
}

/// A value, shown by length and first bytes so failing sequences stay readable.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Value(pub(crate) Vec<u8>);

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

/// One step of a sequence. Keys are indexes into [`nasty_keys`](crate::nasty_keys); every step
/// works on the main namespace but `SetOther`, which writes to a second one that
/// `UpdateFromOther` copies from.
#[derive(Debug, Clone)]
pub(crate) enum Op {
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
    prop_oneof![5 => Just(Ttl::None), 3 => Just(Ttl::Short), 2 => Just(Ttl::Long)]
}

/// One operation over `keys` keys. Keys are drawn mostly from a few so that steps meet the
/// same entries often.
pub(crate) fn op(keys: usize) -> impl Strategy<Value = Op> {
    let key = prop_oneof![3 => 0..keys.min(6), 1 => 0..keys];
    let key_list = proptest::collection::vec(key.clone(), 0..8);
    prop_oneof![
        6 => key.clone().prop_map(Op::Get),
        2 => key.clone().prop_map(Op::Contains),
        2 => key.clone().prop_map(Op::Expiry),
        8 => (key.clone(), value(), ttl()).prop_map(|(k, v, t)| Op::Set(k, v, t)),
        4 => (key.clone(), value(), ttl()).prop_map(|(k, v, t)| Op::SetIfAbsent(k, v, t)),
        3 => key.clone().prop_map(Op::Delete),
        3 => key.clone().prop_map(Op::Pop),
        2 => Just(Op::Len),
        2 => Just(Op::IsEmpty),
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
