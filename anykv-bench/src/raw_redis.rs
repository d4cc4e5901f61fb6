//! The raw `redis` client doing the same commands as the Redis stores.

use std::sync::Mutex;

use redis::{Connection, Value};

use crate::raw::RawStore;

fn fail(e: redis::RedisError) -> anykv_core::Error {
    anykv_core::Error::backend("raw", "bench", anykv_core::ErrorKind::Other, e)
}

/// A blocking connection per thread (see [`crate::concurrency::slot`]); `hash` switches to the
/// hash commands of `RedisHashStorage`.
pub struct RawRedis {
    conns: Vec<Mutex<Connection>>,
    prefix: String,
    hash: Option<String>,
}

impl RawRedis {
    pub fn new(url: &str, hash: bool) -> Result<Self, Box<dyn std::error::Error>> {
        let client = redis::Client::open(url)?;
        let conns = (0..crate::concurrency::MAX_THREADS)
            .map(|_| client.get_connection().map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RawRedis {
            conns,
            prefix: "raw:".into(),
            hash: hash.then(|| "rawhash".to_owned()),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conns[crate::concurrency::slot() % self.conns.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn one(&self, cmd: &redis::Cmd) -> Result<Value, anykv_core::Error> {
        cmd.query(&mut *self.conn()).map_err(fail)
    }

    fn bytes(value: Value) -> Option<Vec<u8>> {
        match value {
            Value::BulkString(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl RawStore for RawRedis {
    fn version(&self) -> Option<String> {
        let info = self.one(redis::cmd("INFO").arg("server")).ok()?;
        let text = match info {
            Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Value::VerbatimString { text, .. } => text,
            _ => return None,
        };
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))?;
        Some(format!("redis-server {}", version.trim()))
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, anykv_core::Error> {
        let cmd = match &self.hash {
            Some(h) => redis::cmd("HGET").arg(h).arg(key).to_owned(),
            None => redis::cmd("GET").arg(self.key(key)).to_owned(),
        };
        Ok(Self::bytes(self.one(&cmd)?))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), anykv_core::Error> {
        let cmd = match &self.hash {
            Some(h) => redis::cmd("HSET").arg(h).arg(key).arg(value).to_owned(),
            None => redis::cmd("SET").arg(self.key(key)).arg(value).to_owned(),
        };
        self.one(&cmd).map(drop)
    }

    fn contains(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let cmd = match &self.hash {
            Some(h) => redis::cmd("HGET").arg(h).arg(key).to_owned(),
            None => redis::cmd("PEXPIRETIME").arg(self.key(key)).to_owned(),
        };
        Ok(!matches!(self.one(&cmd)?, Value::Nil | Value::Int(-2)))
    }

    fn delete(&self, key: &str) -> Result<bool, anykv_core::Error> {
        let cmd = match &self.hash {
            Some(h) => redis::cmd("HDEL").arg(h).arg(key).to_owned(),
            None => redis::cmd("DEL").arg(self.key(key)).to_owned(),
        };
        Ok(matches!(self.one(&cmd)?, Value::Int(1)))
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, anykv_core::Error> {
        match &self.hash {
            Some(h) => {
                let reply = self.one(redis::cmd("HMGET").arg(h).arg(keys))?;
                let Value::Array(values) = reply else {
                    return Ok(Vec::new());
                };
                Ok(values.into_iter().map(Self::bytes).collect())
            }
            None => {
                let mut mget = redis::cmd("MGET");
                for key in keys {
                    mget.arg(self.key(key));
                }
                let Value::Array(values) = self.one(&mget)? else {
                    return Ok(Vec::new());
                };
                Ok(values.into_iter().map(Self::bytes).collect())
            }
        }
    }

    fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), anykv_core::Error> {
        match &self.hash {
            Some(h) => {
                let mut cmd = redis::cmd("HSET");
                cmd.arg(h);
                for (key, value) in entries {
                    cmd.arg(*key).arg(*value);
                }
                self.one(&cmd).map(drop)
            }
            None => {
                let mut pipe = redis::pipe();
                for (key, value) in entries {
                    pipe.cmd("SET").arg(self.key(key)).arg(*value);
                }
                pipe.query::<Vec<Value>>(&mut *self.conn())
                    .map(drop)
                    .map_err(fail)
            }
        }
    }

    fn keys(&self) -> Result<Option<usize>, anykv_core::Error> {
        if let Some(h) = &self.hash {
            // HSCAN NOVALUES needs Redis 7.4; HKEYS lists the fields in one reply.
            let keys: Vec<String> = redis::cmd("HKEYS")
                .arg(h)
                .query(&mut *self.conn())
                .map_err(fail)?;
            return Ok(Some(keys.len()));
        }
        let mut cursor = 0u64;
        let mut count = 0;
        loop {
            let cmd = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{}*", self.prefix))
                .arg("COUNT")
                .arg(1000)
                .to_owned();
            let (next, keys): (u64, Vec<String>) = cmd.query(&mut *self.conn()).map_err(fail)?;
            count += keys.len();
            cursor = next;
            if cursor == 0 {
                return Ok(Some(count));
            }
        }
    }

    fn len(&self) -> Result<Option<usize>, anykv_core::Error> {
        match &self.hash {
            Some(h) => {
                let count: usize = redis::cmd("HLEN")
                    .arg(h)
                    .query(&mut *self.conn())
                    .map_err(fail)?;
                Ok(Some(count))
            }
            None => self.keys(),
        }
    }
}
