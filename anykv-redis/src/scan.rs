//! Namespace-wide or prefix iteration: SCAN over every master (per-key store) or HSCAN over one hash,
//! in batches, deduplicated (SCAN may return a key twice), shared by both faces.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::Arc;

use anykv_core::{BoxStream, Record, RecordIter, Result, Scan, ScanMode};
use futures_util::stream;
use redis::{Cmd, Value};

use crate::conn::{AsyncConn, AsyncNodeConn, NodeConn, Plan, SyncConn};
use crate::reply::scan_page;

/// Elements asked of the server per SCAN / HSCAN call.
pub(crate) const SCAN_COUNT: usize = 1000;

/// What a scan reads of each entry it lists.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want {
    /// The records of this mode: keys with their expiries, and values for `WithValues`.
    Records(ScanMode),
    /// The same, of the expired entries the store still holds too (a hash store's fields
    /// without server-side expiry; the server removes expired keys of the per-key store).
    HeldRecords(ScanMode),
    /// Keys alone. SCAN skips keys the server has expired (it expires them as it meets them),
    /// so a layout that keeps expiries in the server asks nothing more.
    Keys,
}

impl Want {
    /// The records a scan asks for.
    pub(crate) fn of(scan: Scan<'_>) -> Self {
        if scan.lists_expired() {
            Want::HeldRecords(scan.mode())
        } else {
            Want::Records(scan.mode())
        }
    }

    /// The scan mode a source that cannot list bare keys reads.
    pub(crate) fn mode(self) -> ScanMode {
        self.records().unwrap_or(ScanMode::KeysOnly)
    }

    /// The mode of the records wanted; `None` for bare keys.
    pub(crate) fn records(self) -> Option<ScanMode> {
        match self {
            Want::Records(mode) | Want::HeldRecords(mode) => Some(mode),
            Want::Keys => None,
        }
    }

    /// Whether expired entries still held are wanted too.
    pub(crate) fn expired_too(self) -> bool {
        matches!(self, Want::HeldRecords(_))
    }
}

/// One element of a batch: a server key (SCAN), or a hash field with its stored value (HSCAN).
pub(crate) struct Item {
    /// The server key or the field name.
    pub(crate) name: Vec<u8>,
    /// The field's stored value (HSCAN); `None` for SCAN.
    pub(crate) stored: Option<Value>,
}

/// What is scanned and how a batch becomes records.
pub(crate) trait ScanSource: Send + Sync {
    /// Whether the scan visits every master of a cluster directly (SCAN of the keyspace)
    /// instead of going through the store's connection (HSCAN of one key, or any scan of a
    /// single server).
    fn per_node(&self) -> bool;

    /// The command fetching the batch at `cursor` of the entries whose keys start with
    /// `prefix` (a `MATCH` of the prefix, escaped), with its routing key.
    fn command(&self, cursor: u64, prefix: &str) -> (Cmd, Vec<u8>);

    /// Splits a batch into items (a key, or a field and its value), skipping those seen before.
    fn items(&self, elements: Vec<Value>, seen: &mut Seen) -> Vec<Item>;

    /// The commands that fetch what the records of `items` need (may be empty).
    fn follow_up(&self, items: &[Item], want: Want) -> Plan;

    /// The live records of `items`, given the follow-up replies; an entry that cannot be read
    /// is an error naming it, in its place.
    fn records(
        &self,
        items: Vec<Item>,
        replies: Vec<Value>,
        want: Want,
    ) -> Result<Vec<Result<Record>>>;

    /// The commands that tell which `items` hold data of a type this store cannot read (none
    /// by default): asked only when a follow-up failed.
    fn type_check(&self, _items: &[Item]) -> Plan {
        Plan::default()
    }

    /// Splits `items` by the replies of [`type_check`](Self::type_check): those to read, and
    /// an error for each of the others.
    fn split_unreadable(
        &self,
        items: Vec<Item>,
        _replies: Vec<Value>,
    ) -> (Vec<Item>, Vec<Result<Record>>) {
        (items, Vec::new())
    }
}

/// The keys already yielded, as 64-bit hashes: 8 bytes per key, never the values.
#[derive(Default)]
pub(crate) struct Seen {
    /// The hashes are set members as they are: hashing them again would cost a second SipHash
    /// per key listed.
    hashes: HashSet<u64, BuildHasherDefault<AlreadyHashed>>,
    state: RandomState,
}

/// The [`Hasher`] of [`Seen`]'s set, whose members are hashes already.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; this keeps any other input well mixed all the same.
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

impl Seen {
    /// Whether `key` is new (and remembers it).
    pub(crate) fn first_time(&mut self, key: &[u8]) -> bool {
        self.hashes.insert(self.state.hash_one(key))
    }
}

/// Where the scan stands.
struct Progress {
    /// The prefix of the keys listed.
    prefix: String,
    nodes: Vec<String>,
    node: usize,
    cursor: u64,
    seen: Seen,
    pending: VecDeque<Result<Record>>,
}

impl Progress {
    fn new(nodes: Vec<String>, prefix: &str) -> Self {
        Progress {
            prefix: prefix.to_owned(),
            nodes,
            node: 0,
            cursor: 0,
            seen: Seen::default(),
            pending: VecDeque::new(),
        }
    }

    fn done(&self) -> bool {
        self.node >= self.nodes.len()
    }

    /// What to do next: `Ok(item)` to yield, `Err(true)` when finished, `Err(false)` when a
    /// batch must be fetched.
    fn ready(&mut self) -> std::result::Result<Result<Record>, bool> {
        match self.pending.pop_front() {
            Some(record) => Ok(record),
            None => Err(self.done()),
        }
    }

    /// Takes a SCAN / HSCAN reply: moves the cursor (to the next node when this one is
    /// exhausted) and returns the new items.
    fn absorb(&mut self, source: &dyn ScanSource, reply: Value) -> Result<Vec<Item>> {
        let (cursor, elements) = scan_page("scan", reply)?;
        self.cursor = cursor;
        if cursor == 0 {
            self.node += 1;
        }
        Ok(source.items(elements, &mut self.seen))
    }
}

/// The blocking scan.
pub(crate) fn scan_sync<'a>(
    conn: &'a SyncConn,
    source: Arc<dyn ScanSource>,
    want: Want,
    prefix: &str,
) -> Result<RecordIter<'a>> {
    let masters = if source.per_node() {
        conn.scan_nodes()?
    } else {
        None
    };
    let direct = masters.is_some();
    let mut progress = Progress::new(masters.unwrap_or_else(|| vec![String::new()]), prefix);
    let mut node_conn: Option<(usize, NodeConn)> = None;
    let mut fetch = move || -> Result<Option<Result<Record>>> {
        loop {
            match progress.ready() {
                Ok(item) => return Ok(Some(item)),
                Err(true) => return Ok(None),
                Err(false) => {}
            }
            let (cmd, key) = source.command(progress.cursor, &progress.prefix);
            let reply = if direct {
                if node_conn.as_ref().is_none_or(|(n, _)| *n != progress.node) {
                    node_conn = Some((progress.node, conn.node(&progress.nodes[progress.node])?));
                }
                match node_conn.as_mut() {
                    Some((_, node)) => node.query("scan", &cmd)?,
                    None => return Ok(None),
                }
            } else {
                conn.run("scan", Plan::one(cmd, key))?
                    .pop()
                    .unwrap_or(Value::Nil)
            };
            let mut items = progress.absorb(source.as_ref(), reply)?;
            let replies = match conn.run("scan", source.follow_up(&items, want)) {
                Ok(replies) => replies,
                Err(error) => {
                    // Keys of another type make the follow-up fail: report each, read the rest.
                    let types = conn.run("scan", source.type_check(&items))?;
                    let (readable, unreadable) = source.split_unreadable(items, types);
                    if unreadable.is_empty() {
                        return Err(error);
                    }
                    progress.pending.extend(unreadable);
                    items = readable;
                    conn.run("scan", source.follow_up(&items, want))?
                }
            };
            progress
                .pending
                .extend(source.records(items, replies, want)?);
        }
    };
    // Bad entries are items of their own; only a failure of the scan itself ends it.
    let mut failed = false;
    Ok(Box::new(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        match fetch() {
            Ok(item) => item,
            Err(error) => {
                failed = true;
                Some(Err(error))
            }
        }
    })))
}

/// The async scan.
pub(crate) async fn scan_async<'a>(
    conn: &'a AsyncConn,
    source: Arc<dyn ScanSource>,
    want: Want,
    prefix: &str,
) -> Result<BoxStream<'a, Record>> {
    let masters = if source.per_node() {
        conn.scan_nodes().await?
    } else {
        None
    };
    let direct = masters.is_some();
    struct State {
        progress: Progress,
        node_conn: Option<(usize, AsyncNodeConn)>,
        failed: bool,
    }
    let state = State {
        progress: Progress::new(masters.unwrap_or_else(|| vec![String::new()]), prefix),
        node_conn: None,
        failed: false,
    };
    Ok(Box::pin(stream::unfold(state, move |mut state| {
        let source = source.clone();
        async move {
            if state.failed {
                return None;
            }
            let next: Result<Option<Result<Record>>> = async {
                loop {
                    let progress = &mut state.progress;
                    match progress.ready() {
                        Ok(item) => return Ok(Some(item)),
                        Err(true) => return Ok(None),
                        Err(false) => {}
                    }
                    let (cmd, key) = source.command(progress.cursor, &progress.prefix);
                    let reply = if direct {
                        if state
                            .node_conn
                            .as_ref()
                            .is_none_or(|(n, _)| *n != progress.node)
                        {
                            let node = conn.node(&progress.nodes[progress.node]).await?;
                            state.node_conn = Some((progress.node, node));
                        }
                        match state.node_conn.as_mut() {
                            Some((_, node)) => node.query("scan", &cmd).await?,
                            None => return Ok(None),
                        }
                    } else {
                        conn.run("scan", Plan::one(cmd, key))
                            .await?
                            .pop()
                            .unwrap_or(Value::Nil)
                    };
                    let mut items = progress.absorb(source.as_ref(), reply)?;
                    let replies = match conn.run("scan", source.follow_up(&items, want)).await {
                        Ok(replies) => replies,
                        Err(error) => {
                            // See the blocking scan.
                            let types = conn.run("scan", source.type_check(&items)).await?;
                            let (readable, unreadable) = source.split_unreadable(items, types);
                            if unreadable.is_empty() {
                                return Err(error);
                            }
                            progress.pending.extend(unreadable);
                            items = readable;
                            conn.run("scan", source.follow_up(&items, want)).await?
                        }
                    };
                    progress
                        .pending
                        .extend(source.records(items, replies, want)?);
                }
            }
            .await;
            match next {
                Ok(Some(item)) => Some((item, state)),
                Ok(None) => None,
                Err(error) => {
                    state.failed = true;
                    Some((Err(error), state))
                }
            }
        }
    })))
}
