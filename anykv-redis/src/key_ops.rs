//! The commands of [`RedisStorage`](crate::RedisStorage): one Redis key per entry. Each
//! operation is a plan builder and a decoder, shared by the sync and the async face.

use std::time::Duration;

use anykv_core::time::ttl_millis;
use anykv_core::{Entry, Error, Expiry, Record, Result};
use redis::{Cmd, Value};

use crate::conn::Plan;
use crate::error::{unexpected, BACKEND};
use crate::keys::KeyLayout;
use crate::reply::{bytes, int, next, ok_or_nil, pexpiretime};
use crate::scan::{Item, ScanSource, Seen, Want, SCAN_COUNT};
use crate::script::Lua;

/// Reads a value and its absolute expiry in one atomic step.
static GET_WITH_EXPIRY: Lua = Lua::new(include_str!("lua/key/get_with_expiry.lua"));

/// `compare_and_set`: KEYS[1] the key; ARGV: expected value, new value, ttl in ms ('' for none).
static COMPARE_AND_SET: Lua = Lua::new(include_str!("lua/key/compare_and_set.lua"));

/// `compare_and_delete`: KEYS[1] the key; ARGV[1] the expected value.
static COMPARE_AND_DELETE: Lua = Lua::new(include_str!("lua/key/compare_and_delete.lua"));

/// `touch`: KEYS[1] the key; ARGV[1] the new ttl in ms ('' for none). 0 if there is no key.
static TOUCH: Lua = Lua::new(include_str!("lua/key/touch.lua"));

/// `increment`: KEYS[1] the counter; ARGV[1] the increment, ARGV[2] the TTL in ms of a new
/// counter ('' for none). `{1, value}` after adding, `{0, value}` / `{0}` when refused.
static INCREMENT: Lua = Lua::new(include_str!("lua/key/increment.lua"));

/// The operation name of a conditional write: `set_if_absent` when nothing is expected.
pub(crate) fn conditional_operation(expected: Option<&[u8]>) -> &'static str {
    if expected.is_some() {
        "compare_and_set"
    } else {
        "set_if_absent"
    }
}

/// Plans and decoders over one namespace's key layout.
#[derive(Debug, Clone)]
pub(crate) struct KeyOps {
    pub(crate) layout: KeyLayout,
    /// On a cluster, multi-key commands are split by hash slot.
    pub(crate) cluster: bool,
}

fn with_ttl(mut cmd: Cmd, ttl: Option<Duration>) -> Result<Cmd> {
    if let Some(ttl) = ttl {
        cmd.arg("PX").arg(ttl_millis(ttl)?);
    }
    Ok(cmd)
}

impl KeyOps {
    fn key_cmd(&self, name: &str, key: &str) -> (Cmd, Vec<u8>) {
        let server_key = self.layout.server_key(key);
        let mut cmd = redis::cmd(name);
        cmd.arg(&server_key);
        (cmd, server_key)
    }

    fn single(&self, name: &str, key: &str) -> Plan {
        let (cmd, server_key) = self.key_cmd(name, key);
        Plan::one(cmd, server_key)
    }

    pub(crate) fn get(&self, key: &str) -> Plan {
        self.single("GET", key)
    }

    pub(crate) fn decode_get(replies: Vec<Value>) -> Result<Option<Vec<u8>>> {
        bytes("get", next("get", &mut replies.into_iter())?)
    }

    /// GET and PEXPIRETIME atomically (a script touching one key: works on a cluster too).
    pub(crate) fn get_entry(&self, key: &str) -> Plan {
        let server_key = self.layout.server_key(key);
        let cmd = GET_WITH_EXPIRY.call(1).arg(&server_key).to_owned();
        Plan::script(&GET_WITH_EXPIRY, cmd, server_key)
    }

    pub(crate) fn decode_entry(replies: Vec<Value>) -> Result<Option<Entry>> {
        let reply = next("get", &mut replies.into_iter())?;
        let Value::Array(parts) = reply else {
            return Err(crate::error::unexpected("get", reply));
        };
        let mut parts = parts.into_iter();
        let value = bytes("get", parts.next().unwrap_or(Value::Nil))?;
        let expiry = pexpiretime("get", &parts.next().unwrap_or(Value::Int(-2)))?;
        Ok(match (value, expiry) {
            (Some(value), Some(Expiry::At(at))) => Some(Entry {
                value,
                expires_at: Some(at),
            }),
            (Some(value), Some(Expiry::Never)) => Some(Entry::new(value)),
            _ => None,
        })
    }

    pub(crate) fn set(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
        only_if_absent: bool,
    ) -> Result<Plan> {
        let (mut cmd, server_key) = self.key_cmd("SET", key);
        cmd.arg(value);
        if only_if_absent {
            cmd.arg("NX");
        }
        Ok(Plan::one(with_ttl(cmd, ttl)?, server_key))
    }

    pub(crate) fn decode_set_if_absent(replies: Vec<Value>) -> Result<bool> {
        ok_or_nil(
            "set_if_absent",
            &next("set_if_absent", &mut replies.into_iter())?,
        )
    }

    /// `set_if_absent` (`SET NX`) when `expected` is `None`, else one script: a single key, so
    /// it runs on a cluster too.
    pub(crate) fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<Plan> {
        let Some(expected) = expected else {
            return self.set(key, value, ttl, true);
        };
        let server_key = self.layout.server_key(key);
        let ttl = ttl.map(ttl_millis).transpose()?;
        let mut cmd = COMPARE_AND_SET.call(1);
        cmd.arg(&server_key)
            .arg(expected)
            .arg(value)
            .arg(ttl.map(|ms| ms.to_string()).unwrap_or_default());
        Ok(Plan::script(&COMPARE_AND_SET, cmd, server_key))
    }

    /// Decodes `SET NX`'s answer or the script's 0 / 1.
    pub(crate) fn decode_conditional(operation: &'static str, replies: Vec<Value>) -> Result<bool> {
        match next(operation, &mut replies.into_iter())? {
            Value::Int(n) => Ok(n > 0),
            reply => ok_or_nil(operation, &reply),
        }
    }

    pub(crate) fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Plan {
        let server_key = self.layout.server_key(key);
        let cmd = COMPARE_AND_DELETE
            .call(1)
            .arg(&server_key)
            .arg(expected)
            .to_owned();
        Plan::script(&COMPARE_AND_DELETE, cmd, server_key)
    }

    pub(crate) fn delete(&self, key: &str) -> Plan {
        self.single("DEL", key)
    }

    /// A new TTL for `key` (decoded by [`decode_conditional`](Self::decode_conditional)).
    /// `INCRBY` in a script that gives a new counter its TTL.
    pub(crate) fn increment(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<Plan> {
        let server_key = self.layout.server_key(key);
        let ttl = ttl.map(ttl_millis).transpose()?;
        let mut cmd = INCREMENT.call(1);
        cmd.arg(&server_key)
            .arg(by)
            .arg(ttl.map(|ms| ms.to_string()).unwrap_or_default());
        Ok(Plan::script(&INCREMENT, cmd, server_key))
    }

    /// The new value of `increment`, or the error the shared counter rules give for the value
    /// Redis refused.
    pub(crate) fn decode_increment(key: &str, by: i64, replies: Vec<Value>) -> Result<i64> {
        let reply = next("increment", &mut replies.into_iter())?;
        let Value::Array(parts) = reply else {
            return Err(unexpected("increment", reply));
        };
        let mut parts = parts.into_iter();
        let added = int("increment", &next("increment", &mut parts)?)? == 1;
        let stored = parts
            .next()
            .map(|value| bytes("increment", value))
            .transpose()?;
        match (added, stored.flatten()) {
            (true, Some(stored)) => anykv_core::counter::decode(key, &stored),
            (false, Some(stored)) => {
                // Refused: the shared rules name the reason (not a counter, or an overflow).
                anykv_core::counter::next(BACKEND, key, Some(&stored), by).and_then(|value| {
                    Err(unexpected("increment", format!("INCRBY refused {value}")))
                })
            }
            (_, None) => Err(Error::corrupt(key, "the key holds another Redis type")),
        }
    }

    pub(crate) fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<Plan> {
        let server_key = self.layout.server_key(key);
        let ttl = match ttl {
            Some(ttl) => ttl_millis(ttl)?.to_string(),
            None => String::new(),
        };
        let cmd = TOUCH.call(1).arg(&server_key).arg(ttl).to_owned();
        Ok(Plan::script(&TOUCH, cmd, server_key))
    }

    /// The number of keys the DEL commands of a plan removed.
    pub(crate) fn decode_deleted(replies: Vec<Value>) -> Result<usize> {
        replies
            .iter()
            .map(|reply| int("delete", reply).map(|n| usize::try_from(n).unwrap_or(0)))
            .sum()
    }

    pub(crate) fn pop(&self, key: &str) -> Plan {
        self.single("GETDEL", key)
    }

    pub(crate) fn decode_pop(replies: Vec<Value>) -> Result<Option<Vec<u8>>> {
        bytes("pop", next("pop", &mut replies.into_iter())?)
    }

    pub(crate) fn expiry(&self, key: &str) -> Plan {
        self.single("PEXPIRETIME", key)
    }

    pub(crate) fn decode_expiry(replies: Vec<Value>) -> Result<Option<Expiry>> {
        pexpiretime("expiry", &next("expiry", &mut replies.into_iter())?)
    }

    /// One `MGET` for all `keys` on a single server; on a cluster (whose pipelines the driver
    /// routes per key, refusing `MGET`) one `GET` per key, grouped by slot by the connection.
    pub(crate) fn get_many(&self, keys: &[&str]) -> Plan {
        if self.cluster {
            let mut plan = Plan::default();
            for key in keys {
                let (cmd, server_key) = self.key_cmd("GET", key);
                plan.push(cmd, server_key);
            }
            return plan;
        }
        let mut mget = redis::cmd("MGET");
        let mut first = None;
        for key in keys {
            let server_key = self.layout.server_key(key);
            mget.arg(&server_key);
            first.get_or_insert(server_key);
        }
        first.map_or_else(Plan::default, |first| Plan::one(mget, first))
    }

    /// `MGET` answers nil for a key of another type where `GET` fails: the keys it found
    /// nothing for are read again with `GET` (one pipeline), so such a key fails the call as
    /// it fails `get`. `None` when every key had a value.
    pub(crate) fn recheck_missing(
        &self,
        keys: &[&str],
        values: &[Option<Vec<u8>>],
    ) -> Option<(Plan, Vec<usize>)> {
        if self.cluster {
            // Read with GET already.
            return None;
        }
        let missing: Vec<usize> = (0..keys.len()).filter(|&i| values[i].is_none()).collect();
        if missing.is_empty() {
            return None;
        }
        let mut plan = Plan::default();
        for &position in &missing {
            let (cmd, server_key) = self.key_cmd("GET", keys[position]);
            plan.push(cmd, server_key);
        }
        Some((plan, missing))
    }

    /// Puts the values the recheck read into their places.
    pub(crate) fn fill_rechecked(
        values: &mut [Option<Vec<u8>>],
        positions: &[usize],
        replies: Vec<Value>,
    ) -> Result<()> {
        for (&position, reply) in positions.iter().zip(replies) {
            values[position] = bytes("get_many", reply)?;
        }
        Ok(())
    }

    /// The values of `keys` keys, in order, from an `MGET` array or `GET` replies.
    pub(crate) fn decode_many(keys: usize, replies: Vec<Value>) -> Result<Vec<Option<Vec<u8>>>> {
        let values = replies
            .into_iter()
            .flat_map(|reply| match reply {
                Value::Array(group) => group,
                single => vec![single],
            })
            .map(|value| bytes("get_many", value))
            .collect::<Result<Vec<_>>>()?;
        if values.len() != keys {
            return Err(crate::error::unexpected(
                "get_many",
                format!("{} values for {keys} keys", values.len()),
            ));
        }
        Ok(values)
    }

    pub(crate) fn set_many(&self, entries: &[anykv_core::SetEntry<'_>]) -> Result<Plan> {
        let mut plan = Plan::default();
        for entry in entries {
            let (mut cmd, server_key) = self.key_cmd("SET", entry.key);
            cmd.arg(entry.value);
            plan.push(with_ttl(cmd, entry.ttl)?, server_key);
        }
        Ok(plan)
    }

    pub(crate) fn delete_many(&self, keys: &[&str]) -> Plan {
        let mut plan = Plan::default();
        for key in keys {
            let (cmd, server_key) = self.key_cmd("DEL", key);
            plan.push(cmd, server_key);
        }
        plan
    }

    /// UNLINK of server keys found by a scan.
    pub(crate) fn unlink(server_keys: Vec<Vec<u8>>) -> Plan {
        let mut plan = Plan::default();
        for server_key in server_keys {
            let mut cmd = redis::cmd("UNLINK");
            cmd.arg(&server_key);
            plan.push(cmd, server_key);
        }
        plan
    }
}

impl KeyOps {
    /// The keys of a SCAN batch as records without expiry or value ([`Want::Keys`]).
    fn listed_keys(&self, items: Vec<Item>) -> Vec<Result<Record>> {
        items
            .into_iter()
            .filter_map(|item| self.layout.entry_key_of_owned(item.name))
            .map(|key| {
                Ok(Record {
                    key,
                    value: None,
                    expires_at: None,
                })
            })
            .collect()
    }
}

impl ScanSource for KeyOps {
    fn per_node(&self) -> bool {
        true
    }

    fn command(&self, cursor: u64, prefix: &str) -> (Cmd, Vec<u8>) {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor)
            .arg("MATCH")
            .arg(self.layout.pattern(prefix))
            .arg("COUNT")
            .arg(SCAN_COUNT);
        (cmd, Vec::new())
    }

    fn items(&self, elements: Vec<Value>, seen: &mut Seen) -> Vec<Item> {
        elements
            .into_iter()
            .filter_map(|element| match element {
                Value::BulkString(name) if self.layout.owns(&name) && seen.first_time(&name) => {
                    Some(Item { name, stored: None })
                }
                _ => None,
            })
            .collect()
    }

    fn follow_up(&self, items: &[Item], want: Want) -> Plan {
        let mut plan = Plan::default();
        let Some(mode) = want.records() else {
            return plan;
        };
        for Item {
            name: server_key, ..
        } in items
        {
            if mode.values() {
                plan.push(
                    redis::cmd("GET").arg(server_key).to_owned(),
                    server_key.clone(),
                );
            }
            plan.push(
                redis::cmd("PEXPIRETIME").arg(server_key).to_owned(),
                server_key.clone(),
            );
        }
        plan
    }

    fn type_check(&self, items: &[Item]) -> Plan {
        let mut plan = Plan::default();
        for item in items {
            plan.push(
                redis::cmd("TYPE").arg(&item.name).to_owned(),
                item.name.clone(),
            );
        }
        plan
    }

    fn split_unreadable(
        &self,
        items: Vec<Item>,
        replies: Vec<Value>,
    ) -> (Vec<Item>, Vec<Result<Record>>) {
        let mut readable = Vec::with_capacity(items.len());
        let mut unreadable = Vec::new();
        for (item, kind) in items.into_iter().zip(replies) {
            let kind = match kind {
                Value::SimpleString(kind) => kind,
                Value::BulkString(kind) => String::from_utf8_lossy(&kind).into_owned(),
                _ => String::new(),
            };
            match self.layout.entry_key(&item.name) {
                Some(key) if kind != "string" && kind != "none" => unreadable.push(Err(
                    Error::corrupt(&key, format!("the Redis key holds a {kind}, not a string")),
                )),
                _ => readable.push(item),
            }
        }
        (readable, unreadable)
    }

    fn records(
        &self,
        items: Vec<Item>,
        replies: Vec<Value>,
        want: Want,
    ) -> Result<Vec<Result<Record>>> {
        let Some(mode) = want.records() else {
            return Ok(self.listed_keys(items));
        };
        let mut replies = replies.into_iter();
        let mut records = Vec::with_capacity(items.len());
        for Item {
            name: server_key, ..
        } in items
        {
            let value = if mode.values() {
                bytes("scan", next("scan", &mut replies)?)?
            } else {
                None
            };
            let expiry = pexpiretime("scan", &next("scan", &mut replies)?)?;
            // Gone (expired or deleted) since SCAN listed it.
            let (Some(expiry), Some(key)) = (expiry, self.layout.entry_key(&server_key)) else {
                continue;
            };
            if mode.values() && value.is_none() {
                continue;
            }
            let expires_at = match expiry {
                Expiry::At(at) => Some(at),
                Expiry::Never => None,
            };
            records.push(Ok(Record {
                key,
                value,
                expires_at,
            }));
        }
        Ok(records)
    }
}
