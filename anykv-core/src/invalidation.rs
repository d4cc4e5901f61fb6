//! What a store's server says about changes made by any client: the feed a near cache (a copy
//! of entries in process memory) needs to stay correct across processes and hosts.

/// One message of an invalidation feed.
///
/// A feed starts with [`Lost`](Invalidation::Lost) until it listens, then
/// [`Tracking`](Invalidation::Tracking). Between `Tracking` and the next `Lost`, every change of
/// the store's entries by any client is reported, by key or as
/// [`Everything`](Invalidation::Everything); outside that span changes may go unreported, so a
/// cache that relies on the feed must not answer from memory then.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalidation {
    /// The entries of these keys changed (written, deleted, expired, given another TTL).
    Keys(Vec<String>),
    /// Any entry may have changed (the store was cleared, or its server flushed).
    Everything,
    /// The feed listens: from now on every change is reported.
    Tracking,
    /// The feed stopped listening (its connection broke): changes may go unreported until the
    /// next [`Tracking`](Invalidation::Tracking).
    Lost,
}
