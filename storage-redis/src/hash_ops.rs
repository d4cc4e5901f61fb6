//! The commands of [`RedisHashStorage`](crate::RedisHashStorage): one hash per namespace, one
//! field per entry, the expiry stored in front of each value so every read is exact whether or
//! not the server expires hash fields itself (Redis 7.4+ does; Debian's 7.0 does not).
//!
//! Field value layout: `N` + value (no expiry), or `E` + 16 lowercase hex digits of the expiry
//! in ms since the Unix epoch + value.

use std::time::Duration;

use redis::{Cmd, Value};
use storage_core::time::{expiry_from_ttl, ttl_millis};
use storage_core::{Entry, Error, Record, Result, SetEntry, Timestamp};

use crate::conn::Plan;
use crate::keys::KeyLayout;
use crate::reply::{bytes, int, next};
use crate::scan::{Item, ScanSource, Seen, Want, SCAN_COUNT};

/// Bytes added to every value.
pub(crate) const HEADER_LEN: usize = 17;

/// Lua: `live_payload(stored, now)`, the value of a stored field if it is live, else `nil`.
macro_rules! live_payload_lua {
    () => {
        r"
local function live_payload(stored, now)
  if not stored then return nil end
  local header = string.sub(stored, 1, 1)
  if header == 'N' then return string.sub(stored, 2) end
  if header == 'E' and tonumber(string.sub(stored, 2, 17), 16) > now then
    return string.sub(stored, 18)
  end
  return nil
end
"
    };
}

/// `set_if_absent` and `compare_and_set`: writes the field unless it holds a live value
/// (ARGV[5] absent), or only if its live value is ARGV[5].
/// KEYS[1] hash; ARGV: field, encoded value, now (ms), native ttl (ms, 0 for none or
/// unsupported), expected value.
const COMPARE_AND_SET: &str = concat!(
    live_payload_lua!(),
    r"
local current = live_payload(redis.call('HGET', KEYS[1], ARGV[1]), tonumber(ARGV[3]))
if #ARGV < 5 then
  if current then return 0 end
elseif current ~= ARGV[5] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] ~= '0' then
  redis.call('HPEXPIRE', KEYS[1], ARGV[4], 'FIELDS', 1, ARGV[1])
end
return 1
"
);

/// `touch`: rewrites a live field's header in the server (the value never travels), and sets or
/// (by the rewrite) clears its native expiry. KEYS[1] hash; ARGV: field, now (ms), new header,
/// native ttl (ms, 0 for none or unsupported). 1 touched, 0 no live field, -1 unreadable field.
const TOUCH: &str = concat!(
    live_payload_lua!(),
    r"
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local header = stored and string.sub(stored, 1, 1)
if stored and header ~= 'N' and not (header == 'E' and tonumber(string.sub(stored, 2, 17), 16)) then
  return -1
end
local payload = live_payload(stored, tonumber(ARGV[2]))
if not payload then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. payload)
if ARGV[4] ~= '0' then
  redis.call('HPEXPIRE', KEYS[1], ARGV[4], 'FIELDS', 1, ARGV[1])
end
return 1
"
);

/// `compare_and_delete`: deletes the field only if its live value is ARGV[3].
/// KEYS[1] hash; ARGV: field, now (ms), expected value.
const COMPARE_AND_DELETE: &str = concat!(
    live_payload_lua!(),
    r"
if live_payload(redis.call('HGET', KEYS[1], ARGV[1]), tonumber(ARGV[2])) ~= ARGV[3] then
  return 0
end
return redis.call('HDEL', KEYS[1], ARGV[1])
"
);

/// `purge_expired`: deletes the given fields that are (still) expired. KEYS[1] hash; ARGV[1]
/// now (ms); ARGV[2..] fields.
const PURGE: &str = r"
local purged = 0
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.sub(v, 1, 1) == 'E' and tonumber(string.sub(v, 2, 17), 16) <= tonumber(ARGV[1]) then
    purged = purged + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return purged
";

/// Reads and deletes fields atomically. KEYS[1] hash; ARGV fields. Returns the old values.
const TAKE: &str = r"
local values = redis.call('HMGET', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[1], unpack(ARGV))
return values
";

/// Fields per `TAKE` script call.
const TAKE_CHUNK: usize = 1000;

/// Plans and decoders for one namespace's hash.
#[derive(Debug, Clone)]
pub(crate) struct HashOps {
    hash: Vec<u8>,
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

/// Decodes a stored field value into its entry (expired or not).
pub(crate) fn decode(field: &str, stored: Vec<u8>) -> Result<Entry> {
    match stored.first() {
        Some(b'N') => Ok(Entry::new(stored[1..].to_vec())),
        Some(b'E') if stored.len() >= HEADER_LEN => {
            let hex = std::str::from_utf8(&stored[1..HEADER_LEN]).ok();
            let millis = hex.and_then(|h| i64::from_str_radix(h, 16).ok());
            let millis =
                millis.ok_or_else(|| Error::corrupt(field, "bad expiry header in hash field"))?;
            Ok(Entry {
                value: stored[HEADER_LEN..].to_vec(),
                expires_at: Some(Timestamp::from_millis(millis)),
            })
        }
        _ => Err(Error::corrupt(
            field,
            "hash field without the storage header",
        )),
    }
}

fn live(field: &str, stored: Option<Vec<u8>>, now: Timestamp) -> Result<Option<Entry>> {
    match stored {
        None => Ok(None),
        Some(stored) => Ok(Some(decode(field, stored)?).filter(|e| !e.is_expired_at(now))),
    }
}

impl HashOps {
    pub(crate) fn new(layout: &KeyLayout) -> Self {
        HashOps {
            hash: layout.prefix_key(),
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
        let mut hset = self.cmd("HSET");
        for entry in entries {
            hset.arg(entry.key)
                .arg(encode(entry.value, expiry_from_ttl(entry.ttl, now)?));
        }
        plan.push(hset, self.hash.clone());
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
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(COMPARE_AND_SET)
            .arg(1)
            .arg(&self.hash)
            .arg(key)
            .arg(encode(value, expiry_from_ttl(ttl, now)?))
            .arg(now.as_millis())
            .arg(native);
        if let Some(expected) = expected {
            cmd.arg(expected);
        }
        Ok(self.plan(cmd))
    }

    /// `touch`, as one script (decoded by [`decode_touch`](Self::decode_touch)).
    pub(crate) fn touch(&self, key: &str, ttl: Option<Duration>) -> Result<Plan> {
        let now = Timestamp::now();
        let native = match (self.native_ttl, ttl) {
            (true, Some(ttl)) => ttl_millis(ttl)?,
            _ => 0,
        };
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(TOUCH)
            .arg(1)
            .arg(&self.hash)
            .arg(key)
            .arg(now.as_millis())
            .arg(encode(b"", expiry_from_ttl(ttl, now)?))
            .arg(native);
        Ok(self.plan(cmd))
    }

    pub(crate) fn decode_touch(key: &str, replies: Vec<Value>) -> Result<bool> {
        match int("touch", &next("touch", &mut replies.into_iter())?)? {
            n if n < 0 => Err(Error::corrupt(key, "hash field without the storage header")),
            n => Ok(n > 0),
        }
    }

    /// `compare_and_delete`, as one script.
    pub(crate) fn compare_and_delete(&self, key: &str, expected: &[u8]) -> Plan {
        let cmd = redis::cmd("EVAL")
            .arg(COMPARE_AND_DELETE)
            .arg(1)
            .arg(&self.hash)
            .arg(key)
            .arg(Timestamp::now().as_millis())
            .arg(expected)
            .to_owned();
        self.plan(cmd)
    }

    pub(crate) fn decode_flag(operation: &'static str, replies: Vec<Value>) -> Result<bool> {
        Ok(int(operation, &next(operation, &mut replies.into_iter())?)? > 0)
    }

    /// The count a purge script returned (0 for an empty plan).
    pub(crate) fn decode_flag_count(replies: Vec<Value>) -> Result<usize> {
        match replies.first() {
            None => Ok(0),
            Some(reply) => Ok(usize::try_from(int("purge_expired", reply)?).unwrap_or(0)),
        }
    }

    /// Reads and deletes fields atomically (one script).
    pub(crate) fn take(&self, keys: &[&str]) -> Plan {
        if keys.is_empty() {
            return Plan::default();
        }
        let mut plan = Plan::default();
        // Lua's unpack() takes at most ~8000 values: one script call per chunk.
        for chunk in keys.chunks(TAKE_CHUNK) {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(TAKE).arg(1).arg(&self.hash);
            for key in chunk {
                cmd.arg(*key);
            }
            plan.push(cmd, self.hash.clone());
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
        self.plan(redis::cmd("DEL").arg(&self.hash).to_owned())
    }

    pub(crate) fn purge(&self, fields: &[String]) -> Plan {
        if fields.is_empty() {
            return Plan::default();
        }
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(PURGE)
            .arg(1)
            .arg(&self.hash)
            .arg(Timestamp::now().as_millis());
        for field in fields {
            cmd.arg(field);
        }
        self.plan(cmd)
    }
}

impl ScanSource for HashOps {
    fn per_node(&self) -> bool {
        false
    }

    fn command(&self, cursor: u64) -> (Cmd, Vec<u8>) {
        (
            self.cmd("HSCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .to_owned(),
            self.hash.clone(),
        )
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
                    records.push(Err(Error::corrupt(&shown, "hash field name is not UTF-8")));
                    continue;
                }
            };
            let entry = match decode(&key, stored) {
                Ok(entry) => entry,
                // Its expiry is unknown: reported, as every bad entry is, live or not.
                Err(error) => {
                    records.push(Err(error));
                    continue;
                }
            };
            if entry.is_expired_at(now) && !self.include_expired {
                continue;
            }
            records.push(Ok(Record {
                key,
                value: mode.values().then_some(entry.value),
                expires_at: entry.expires_at,
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
