//! The commands of [`RedisHashStorage`](crate::RedisHashStorage): one hash per namespace, one
//! field per entry, the expiry stored in front of each value so every read is exact whether or
//! not the server expires hash fields itself (Redis 7.4+ and Valkey 9+ do; Debian's 7.0 does
//! not).
//!
//! Field value layout: `N` + value (no expiry), or `E` + 16 lowercase hex digits of the expiry
//! in ms since the Unix epoch + value.
//!
//! Beside the hash `kvh:<namespace>` lives its expiry index `{kvh:<namespace>}:exp` (the same
//! cluster slot through the hash tag): a sorted set of every field written with an expiry,
//! scored by it, kept by the same script that writes the field, so `len` is `HLEN` minus the
//! fields of the index that are due and still held. Members may be stale (a field deleted or
//! rewritten without expiry since); they only cost a check when they fall due, and `len` drops
//! them then. The member [`INDEXED`] (not UTF-8, so never a field) says the index is complete:
//! `clear` sets it, and `len` builds the index from one scan when it is missing (a hash written
//! before the index existed). `purge_expired` works through the due members too.
//!
//! Where the server expires fields itself, `HLEN` may count fields it hides as expired; the
//! scripts remove those among the due members first (see `lua/hash/due.lua`), so the rule above holds
//! on every server.

use std::collections::HashSet;
use std::time::Duration;

use anykv_core::time::{expiry_from_ttl, ttl_millis};
use anykv_core::{Entry, Error, Record, Result, SetEntry, Timestamp};
use redis::{Cmd, Value};

use crate::conn::Plan;
use crate::error::unexpected;
use crate::keys::{escape_glob, KeyLayout};
use crate::reply::{bytes, int, next};
use crate::scan::{Item, ScanSource, Seen, Want, SCAN_COUNT};
use crate::script::Lua;

/// Bytes added to every value.
pub(crate) const HEADER_LEN: usize = 17;

/// Why a field is reported instead of listed.
const NOT_UTF8: &str = "hash field name is not UTF-8";

/// The member of an expiry index that says it is complete: not UTF-8, so never a field name.
pub(crate) const INDEXED: &[u8] = b"\xff";

/// Due members `len` and `keys` check in one script; past this many they scan instead.
pub(crate) const MAX_DUE: usize = 1000;

/// `set` / `set_many` of entries of which some have an expiry: the fields and their index
/// entries in one step. KEYS[1] hash, KEYS[2] index; ARGV: field, encoded value, field, ….
static SET_INDEXED: Lua = Lua::new(concat!(
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/set_indexed.lua")
));

/// `len`: `HLEN` less the due members of the index whose fields are still held and expired.
/// KEYS[1] hash, KEYS[2] index; ARGV: now (ms), [`INDEXED`], [`MAX_DUE`], native ('1' or '0').
/// -1 when the index is not complete, -2 when more than MAX_DUE members are due.
static LEN: Lua = Lua::new(concat!(
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/due.lua"),
    include_str!("lua/hash/len.lua")
));

/// Fields a hash may hold for `keys()` to list them in one reply (`HKEYS`); a larger hash is
/// listed by pages of `HSCAN` (values included before Redis 7.4). The reply holds at most
/// 16 MiB of keys at the longest key allowed (and the client its parsed copy as well), far less
/// at usual key lengths, within the bound every listing keeps.
pub(crate) const MAX_LISTED: usize = 16 * 1024;

/// `keys`: the fields and, apart, those of them that are expired, in one atomic step, so the
/// values stay in the server. KEYS[1] hash, KEYS[2] index; ARGV: now (ms), [`INDEXED`],
/// [`MAX_DUE`], [`MAX_LISTED`], native ('1' or '0'). `{fields, expired fields}`; -1 when the
/// index is not complete, -2 when more than MAX_DUE members are due, -3 when the hash holds
/// more than MAX_LISTED.
static LIST_KEYS: Lua = Lua::new(concat!(
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/due.lua"),
    include_str!("lua/hash/list_keys.lua")
));

/// Builds the index of the given fields from what they hold now. KEYS[1] hash, KEYS[2] index;
/// ARGV fields.
static INDEX_FIELDS: Lua = Lua::new(concat!(
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/index_fields.lua")
));

/// `clear`: the hash and its index go, and the (empty) index is complete.
/// KEYS[1] hash, KEYS[2] index; ARGV[1] [`INDEXED`].
static CLEAR: Lua = Lua::new(include_str!("lua/hash/clear.lua"));

/// `set_if_absent` and `compare_and_set`: writes the field unless it holds a live value
/// (ARGV[5] absent), or only if its live value is ARGV[5].
/// KEYS[1] hash, KEYS[2] index; ARGV: field, encoded value, now (ms), native ttl (ms, 0 for
/// none or unsupported), expected value.
static COMPARE_AND_SET: Lua = Lua::new(concat!(
    include_str!("lua/hash/live_payload.lua"),
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/compare_and_set.lua")
));

/// `touch`: rewrites a live field's header in the server (the value never travels), and sets or
/// (by the rewrite) clears its native expiry. KEYS[1] hash, KEYS[2] index; ARGV: field, now
/// (ms), new header, native ttl (ms, 0 for none or unsupported). 1 touched, 0 no live field,
/// -1 unreadable field.
static TOUCH: Lua = Lua::new(concat!(
    include_str!("lua/hash/live_payload.lua"),
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/touch.lua")
));

/// `compare_and_delete`: deletes the field only if its live value is ARGV[3].
/// KEYS[1] hash; ARGV: field, now (ms), expected value.
static COMPARE_AND_DELETE: Lua = Lua::new(concat!(
    include_str!("lua/hash/live_payload.lua"),
    include_str!("lua/hash/compare_and_delete.lua")
));

/// `purge_expired`, one batch: deletes the expired fields among the first ARGV[2] due members
/// of the index, counting those the server had expired itself and still held (removed on the
/// way). KEYS[1] hash, KEYS[2] index; ARGV: now (ms), batch size, native ('1' or '0'),
/// [`INDEXED`]. `{removed, due members checked}`; -1 when the index is not complete.
static PURGE_DUE: Lua = Lua::new(concat!(
    include_str!("lua/hash/expiry_index.lua"),
    include_str!("lua/hash/due.lua"),
    include_str!("lua/hash/purge_due.lua")
));

/// Due members one [`PURGE_DUE`] call checks.
pub(crate) const PURGE_BATCH: usize = 500;

/// Reads and deletes fields atomically. KEYS[1] hash; ARGV fields. Returns the old values.
static TAKE: Lua = Lua::new(include_str!("lua/hash/take.lua"));

/// Fields per `TAKE` script call.
const TAKE_CHUNK: usize = 1000;

/// What a script that relies on the expiry index answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Indexed<T> {
    /// Its answer: the live entries (`len`), the live keys, an error in place of a field that
    /// is not UTF-8 (`keys`), or one batch of `purge_expired`.
    Done(T),
    /// The index is not complete (built by a scan first).
    Unindexed,
    /// Too many fields, or too many index members due, for one script: answer by a scan.
    TooMany,
}

impl<T> Indexed<T> {
    /// The answer of a script that returns a negative code instead: -1 unindexed, other
    /// negative codes too many.
    fn from_code(code: i64) -> Self {
        match code {
            -1 => Indexed::Unindexed,
            _ => Indexed::TooMany,
        }
    }
}

/// One batch of `purge_expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PurgedBatch {
    /// Expired fields removed.
    pub(crate) removed: usize,
    /// Whether the batch checked every due member (none are left to check).
    pub(crate) last: bool,
}

/// Plans and decoders for one namespace's hash.
#[derive(Debug, Clone)]
pub(crate) struct HashOps {
    hash: Vec<u8>,
    /// The hash's expiry index, `{<hash>}:exp`.
    index: Vec<u8>,
    /// Whether the server expires hash fields itself (HPEXPIRE).
    pub(crate) native_ttl: bool,
    /// Scans yield expired fields too (for purge_expired).
    include_expired: bool,
}

/// Encodes a value with its expiry.
pub(crate) fn encode(value: &[u8], expires_at: Option<Timestamp>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + value.len());
    match expires_at {
        None => out.push(b'N'),
        Some(at) => out.extend_from_slice(format!("E{:016x}", at.as_millis().max(0)).as_bytes()),
    }
    out.extend_from_slice(value);
    out
}

/// Reads a stored field value's header: its length and the expiry it holds.
fn header(field: &str, stored: &[u8]) -> Result<(usize, Option<Timestamp>)> {
    match stored.first() {
        Some(b'N') => Ok((1, None)),
        Some(b'E') if stored.len() >= HEADER_LEN => {
            let hex = std::str::from_utf8(&stored[1..HEADER_LEN]).ok();
            let millis = hex.and_then(|h| i64::from_str_radix(h, 16).ok());
            let millis =
                millis.ok_or_else(|| Error::corrupt(field, "bad expiry header in hash field"))?;
            Ok((HEADER_LEN, Some(Timestamp::from_millis(millis))))
        }
        _ => Err(Error::corrupt(
            field,
            "hash field without the storage header",
        )),
    }
}

/// Decodes a stored field value into its entry (expired or not), in place.
pub(crate) fn decode(field: &str, mut stored: Vec<u8>) -> Result<Entry> {
    let (header_len, expires_at) = header(field, &stored)?;
    stored.drain(..header_len);
    Ok(Entry {
        value: stored,
        expires_at,
    })
}

fn live(field: &str, stored: Option<Vec<u8>>, now: Timestamp) -> Result<Option<Entry>> {
    match stored {
        None => Ok(None),
        Some(stored) => Ok(Some(decode(field, stored)?).filter(|e| !e.is_expired_at(now))),
    }
}

impl HashOps {
    pub(crate) fn new(layout: &KeyLayout) -> Self {
        let hash = layout.prefix_key();
        let mut index = Vec::with_capacity(hash.len() + 6);
        index.push(b'{');
        index.extend_from_slice(&hash);
        index.extend_from_slice(b"}:exp");
        HashOps {
            index,
            hash,
            native_ttl: false,
            include_expired: false,
        }
    }

    /// The same hash, for a server that expires hash fields itself.
    pub(crate) fn with_native_ttl(&self) -> Self {
        HashOps {
            native_ttl: true,
            ..self.clone()
        }
    }

    /// The same hash, scanned with expired fields included.
    pub(crate) fn including_expired(&self) -> Self {
        HashOps {
            include_expired: true,
            ..self.clone()
        }
    }

    fn cmd(&self, name: &str) -> Cmd {
        let mut cmd = redis::cmd(name);
        cmd.arg(&self.hash);
        cmd
    }

    fn plan(&self, cmd: Cmd) -> Plan {
        Plan::one(cmd, self.hash.clone())
    }

    /// `EVALSHA <script> 2 <hash> <index>`, for the arguments to follow.
    fn script(&self, script: &'static Lua) -> Cmd {
        let mut cmd = script.call(2);
        cmd.arg(&self.hash).arg(&self.index);
        cmd
    }

    /// The plan of one call of `script` (made by [`script`](Self::script)).
    fn script_plan(&self, script: &'static Lua, call: Cmd) -> Plan {
        Plan::script(script, call, self.hash.clone())
    }

    /// Asks whether the server knows HPEXPIRE.
    pub(crate) fn probe_native_ttl() -> Plan {
        Plan::one(
            redis::cmd("COMMAND").arg("INFO").arg("HPEXPIRE").to_owned(),
            Vec::new(),
        )
    }

    pub(crate) fn decode_probe(replies: Vec<Value>) -> bool {
        matches!(replies.first(), Some(Value::Array(infos)) if matches!(infos.first(), Some(Value::Array(_))))
    }

    pub(crate) fn get(&self, key: &str) -> Plan {
        self.plan(self.cmd("HGET").arg(key).to_owned())
    }

    pub(crate) fn decode_get(key: &str, replies: Vec<Value>) -> Result<Option<Entry>> {
        live(
            key,
            bytes("get", next("get", &mut replies.into_iter())?)?,
            Timestamp::now(),
        )
    }

    /// The field `get` read, live or expired.
    pub(crate) fn decode_stale(key: &str, replies: Vec<Value>) -> Result<Option<Entry>> {
        bytes("get_stale", next("get_stale", &mut replies.into_iter())?)?
            .map(|stored| decode(key, stored))
            .transpose()
    }

    fn push_native_ttl(&self, plan: &mut Plan, key: &str, ttl: Option<Duration>) -> Result<()> {
        if !self.native_ttl {
            return Ok(());
        }
        let cmd = match ttl {
            Some(ttl) => self
                .cmd("HPEXPIRE")
                .arg(ttl_millis(ttl)?)
                .arg("FIELDS")
                .arg(1)
                .arg(key)
                .to_owned(),
            None => self
                .cmd("HPERSIST")
                .arg("FIELDS")
                .arg(1)
                .arg(key)
                .to_owned(),
        };
        plan.push(cmd, self.hash.clone());
        Ok(())
    }

    pub(crate) fn set_entries(&self, entries: &[SetEntry<'_>]) -> Result<Plan> {
        let now = Timestamp::now();
        let mut plan = Plan::default();
        if entries.is_empty() {
            return Ok(Plan::default());
        }
        // Without an expiry among them, the index needs nothing (stale members are harmless).
        let indexed = entries.iter().any(|entry| entry.ttl.is_some());
        let mut write = if indexed {
            self.script(&SET_INDEXED)
        } else {
            self.cmd("HSET")
        };
        for entry in entries {
            write
                .arg(entry.key)
                .arg(encode(entry.value, expiry_from_ttl(entry.ttl, now)?));
        }
        if indexed {
            plan.push_script(&SET_INDEXED, write, self.hash.clone());
        } else {
            plan.push(write, self.hash.clone());
        }
        for entry in entries {
            self.push_native_ttl(&mut plan, entry.key, entry.ttl)?;
        }
        Ok(plan)
    }

    /// `set_if_absent` (`expected` `None`) or `compare_and_set`, as one script.
    pub(crate) fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<Plan> {
        let now = Timestamp::now();
        let native = match (self.native_ttl, ttl) {
            (true, Some(ttl)) => ttl_millis(ttl)?,
            _ => 0,
        };
        let mut cmd = self.script(&COMPARE_AND_SET);
        cmd.arg(key)
            .arg(encode(value, expiry_from_ttl(ttl, now)?))
            .arg(now.as_millis())
            .arg(native);
        if let Some(expected) = expected {
            cmd.arg(expected);
        }
        Ok(self.script_plan(&COMPARE_AND_SET, cmd))
    }

    /// `touch`, as one script (decoded by [`decode_touch`](Self::decode_touch)).
    pub(crate) fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<Plan> {
        let now = Timestamp::now();
        let native = match (self.native_ttl, ttl) {
            (true, Some(ttl)) => ttl_millis(ttl)?,
            _ => 0,
        };
        let mut cmd = self.script(&TOUCH);
        cmd.arg(key)
            .arg(now.as_millis())
            .arg(encode(b"", expiry_from_ttl(ttl, now)?))
            .arg(native);
        Ok(self.script_plan(&TOUCH, cmd))
    }

    pub(crate) fn decode_touch(key: &str, replies: Vec<Value>) -> Result<bool> {
        match int("touch", &next("touch", &mut replies.into_iter())?)? {
            n if n < 0 => Err(Error::corrupt(key, "hash field without the storage header")),
            n => Ok(n > 0),
        }
    }

    /// `compare_and_delete`, as one script.
    pub(crate) fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Plan {
        let cmd = COMPARE_AND_DELETE
            .call(1)
            .arg(&self.hash)
            .arg(key)
            .arg(Timestamp::now().as_millis())
            .arg(expected)
            .to_owned();
        self.script_plan(&COMPARE_AND_DELETE, cmd)
    }

    pub(crate) fn decode_flag(operation: &'static str, replies: Vec<Value>) -> Result<bool> {
        Ok(int(operation, &next(operation, &mut replies.into_iter())?)? > 0)
    }

    /// Reads and deletes fields atomically (one script).
    pub(crate) fn take(&self, keys: &[&str]) -> Plan {
        if keys.is_empty() {
            return Plan::default();
        }
        let mut plan = Plan::default();
        // Lua's unpack() takes at most ~8000 values: one script call per chunk.
        for chunk in keys.chunks(TAKE_CHUNK) {
            let mut cmd = TAKE.call(1);
            cmd.arg(&self.hash);
            for key in chunk {
                cmd.arg(*key);
            }
            plan.push_script(&TAKE, cmd, self.hash.clone());
        }
        plan
    }

    /// The live values the `take` of `keys` removed, one per distinct key.
    pub(crate) fn decode_take(keys: &[&str], replies: Vec<Value>) -> Result<Vec<Option<Vec<u8>>>> {
        let values: Vec<Value> = replies
            .into_iter()
            .flat_map(|reply| match reply {
                Value::Array(values) => values,
                _ => Vec::new(),
            })
            .collect();
        let now = Timestamp::now();
        let mut seen = std::collections::HashSet::new();
        keys.iter()
            .zip(values)
            .map(|(key, value)| {
                let value = if seen.insert(*key) {
                    bytes("delete", value)?
                } else {
                    None
                };
                Ok(live(key, value, now)?.map(|e| e.value))
            })
            .collect()
    }

    pub(crate) fn get_many(&self, keys: &[&str]) -> Plan {
        if keys.is_empty() {
            return Plan::default();
        }
        let mut cmd = self.cmd("HMGET");
        for key in keys {
            cmd.arg(*key);
        }
        self.plan(cmd)
    }

    pub(crate) fn decode_many(keys: &[&str], replies: Vec<Value>) -> Result<Vec<Option<Vec<u8>>>> {
        let values = match replies.into_iter().next() {
            Some(Value::Array(values)) => values,
            _ => vec![Value::Nil; keys.len()],
        };
        let now = Timestamp::now();
        keys.iter()
            .zip(values)
            .map(|(key, value)| Ok(live(key, bytes("get_many", value)?, now)?.map(|e| e.value)))
            .collect()
    }

    pub(crate) fn clear(&self) -> Plan {
        self.script_plan(&CLEAR, self.script(&CLEAR).arg(INDEXED).to_owned())
    }

    /// Whether the server expires fields itself, as the scripts take it.
    fn native_arg(&self) -> &'static str {
        if self.native_ttl {
            "1"
        } else {
            "0"
        }
    }

    /// `len` from the index, as one script (decoded by [`decode_len`](Self::decode_len)).
    pub(crate) fn len(&self) -> Plan {
        let cmd = self
            .script(&LEN)
            .arg(Timestamp::now().as_millis())
            .arg(INDEXED)
            .arg(MAX_DUE)
            .arg(self.native_arg())
            .to_owned();
        self.script_plan(&LEN, cmd)
    }

    pub(crate) fn decode_len(replies: Vec<Value>) -> Result<Indexed<usize>> {
        Ok(match int("len", &next("len", &mut replies.into_iter())?)? {
            n if n < 0 => Indexed::from_code(n),
            n => Indexed::Done(usize::try_from(n).unwrap_or(usize::MAX)),
        })
    }

    /// The live keys in one step, for hashes of at most [`MAX_LISTED`] fields.
    pub(crate) fn list_keys(&self) -> Plan {
        let cmd = self
            .script(&LIST_KEYS)
            .arg(Timestamp::now().as_millis())
            .arg(INDEXED)
            .arg(MAX_DUE)
            .arg(MAX_LISTED)
            .arg(self.native_arg())
            .to_owned();
        self.script_plan(&LIST_KEYS, cmd)
    }

    pub(crate) fn decode_list_keys(replies: Vec<Value>) -> Result<Indexed<Vec<Result<String>>>> {
        let (fields, expired) = match next("keys", &mut replies.into_iter())? {
            Value::Array(parts) => match <[Value; 2]>::try_from(parts) {
                Ok([Value::Array(fields), Value::Array(expired)]) => (fields, expired),
                Ok(other) => return Err(unexpected("keys", other)),
                Err(parts) => return Err(unexpected("keys", parts)),
            },
            reply => return Ok(Indexed::from_code(int("keys", &reply)?)),
        };
        let expired: HashSet<Vec<u8>> = expired
            .into_iter()
            .filter_map(|field| match field {
                Value::BulkString(field) => Some(field),
                _ => None,
            })
            .collect();
        let mut keys = Vec::with_capacity(fields.len() - expired.len().min(fields.len()));
        for field in fields {
            let Value::BulkString(field) = field else {
                return Err(unexpected("keys", field));
            };
            if expired.contains(&field) {
                continue;
            }
            keys.push(String::from_utf8(field).map_err(|e| {
                let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
                Error::corrupt(&shown, NOT_UTF8)
            }));
        }
        Ok(Indexed::Done(keys))
    }

    /// `HLEN`: the fields held, expired ones included.
    pub(crate) fn held_len(&self) -> Plan {
        self.plan(self.cmd("HLEN"))
    }

    /// `MEMORY USAGE` of the hash and of its expiry index (sampled by the server).
    pub(crate) fn memory_usage(&self) -> Plan {
        let mut plan = Plan::default();
        for key in [&self.hash, &self.index] {
            let cmd = redis::cmd("MEMORY").arg("USAGE").arg(key).to_owned();
            plan.push(cmd, self.hash.clone());
        }
        plan
    }

    /// The sum of the integer replies (nil, for a missing key, counts 0).
    pub(crate) fn decode_sum(operation: &'static str, replies: Vec<Value>) -> Result<u64> {
        replies.iter().try_fold(0u64, |sum, reply| match reply {
            Value::Nil => Ok(sum),
            reply => Ok(sum + u64::try_from(int(operation, reply)?).unwrap_or(0)),
        })
    }

    /// Indexes `fields` from what they hold now (one script).
    pub(crate) fn index_fields(&self, fields: &[String]) -> Plan {
        if fields.is_empty() {
            return Plan::default();
        }
        let mut cmd = self.script(&INDEX_FIELDS);
        for field in fields {
            cmd.arg(field);
        }
        self.script_plan(&INDEX_FIELDS, cmd)
    }

    /// Marks the index complete, once every field has been indexed.
    pub(crate) fn mark_indexed(&self) -> Plan {
        let cmd = redis::cmd("ZADD")
            .arg(&self.index)
            .arg("+inf")
            .arg(INDEXED)
            .to_owned();
        self.plan(cmd)
    }

    /// One batch of `purge_expired` (decoded by [`decode_purge`](Self::decode_purge)).
    pub(crate) fn purge_due(&self) -> Plan {
        let cmd = self
            .script(&PURGE_DUE)
            .arg(Timestamp::now().as_millis())
            .arg(PURGE_BATCH)
            .arg(self.native_arg())
            .arg(INDEXED)
            .to_owned();
        self.script_plan(&PURGE_DUE, cmd)
    }

    pub(crate) fn decode_purge(replies: Vec<Value>) -> Result<Indexed<PurgedBatch>> {
        let counts = match next("purge_expired", &mut replies.into_iter())? {
            Value::Array(counts) => counts,
            reply => return Ok(Indexed::from_code(int("purge_expired", &reply)?)),
        };
        let count = |index: usize| -> Result<usize> {
            let reply = counts
                .get(index)
                .ok_or_else(|| unexpected("purge_expired", &counts))?;
            Ok(usize::try_from(int("purge_expired", reply)?).unwrap_or(0))
        };
        Ok(Indexed::Done(PurgedBatch {
            removed: count(0)?,
            last: count(1)? < PURGE_BATCH,
        }))
    }
}

impl ScanSource for HashOps {
    fn per_node(&self) -> bool {
        false
    }

    fn command(&self, cursor: u64, prefix: &str) -> (Cmd, Vec<u8>) {
        let mut cmd = self.cmd("HSCAN");
        cmd.arg(cursor);
        if !prefix.is_empty() {
            let mut pattern = escape_glob(prefix.as_bytes());
            pattern.push(b'*');
            cmd.arg("MATCH").arg(pattern);
        }
        cmd.arg("COUNT").arg(SCAN_COUNT);
        (cmd, self.hash.clone())
    }

    fn items(&self, elements: Vec<Value>, seen: &mut Seen) -> Vec<Item> {
        let mut items = Vec::with_capacity(elements.len() / 2);
        let mut elements = elements.into_iter();
        while let (Some(field), Some(stored)) = (elements.next(), elements.next()) {
            if let Value::BulkString(name) = field {
                if seen.first_time(&name) {
                    items.push(Item {
                        name,
                        stored: Some(stored),
                    });
                }
            }
        }
        items
    }

    fn follow_up(&self, _items: &[Item], _want: Want) -> Plan {
        Plan::default()
    }

    fn records(
        &self,
        items: Vec<Item>,
        _replies: Vec<Value>,
        want: Want,
    ) -> Result<Vec<Result<Record>>> {
        let mode = want.mode();
        let now = Timestamp::now();
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            let (field, Some(Value::BulkString(stored))) = (item.name, item.stored) else {
                continue;
            };
            let key = match String::from_utf8(field) {
                Ok(key) => key,
                Err(e) => {
                    let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    records.push(Err(Error::corrupt(&shown, NOT_UTF8)));
                    continue;
                }
            };
            let (header_len, expires_at) = match header(&key, &stored) {
                Ok(header) => header,
                // Its expiry is unknown: reported, as every bad entry is, live or not.
                Err(error) => {
                    records.push(Err(error));
                    continue;
                }
            };
            let expired_too = self.include_expired || want.expired_too();
            if expires_at.is_some_and(|at| at.is_expired_at(now)) && !expired_too {
                continue;
            }
            let value = mode.values().then(|| {
                let mut value = stored;
                value.drain(..header_len);
                value
            });
            records.push(Ok(Record {
                key,
                value,
                expires_at,
            }));
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frozen format: field values written by this version stay readable.
    #[test]
    fn frozen_format_golden() -> Result<()> {
        assert_eq!(encode(b"v", None), b"Nv");
        let with_expiry = encode(b"v", Some(Timestamp::from_millis(0x1234)));
        assert_eq!(with_expiry, b"E0000000000001234v");
        assert_eq!(
            decode("k", with_expiry)?.expires_at,
            Some(Timestamp::from_millis(0x1234))
        );
        assert!(matches!(
            decode("k", b"Xjunk".to_vec()),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            decode("k", b"Eshort".to_vec()),
            Err(Error::Corrupt { .. })
        ));
        Ok(())
    }
}
