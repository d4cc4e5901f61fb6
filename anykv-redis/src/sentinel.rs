//! Finding the master through Redis Sentinel: ask each sentinel in turn for the master's
//! address, then check that the server there is a master (a sentinel's answer can trail a
//! failover by a moment).

use anykv_core::{Error, ErrorKind, Result};
use redis::{Cmd, Value};

use crate::config::{RedisOptions, Sentinel};
use crate::error::BACKEND;

/// `SENTINEL GET-MASTER-ADDR-BY-NAME <master>`.
fn ask(sentinel: &Sentinel) -> Cmd {
    redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg(&sentinel.master)
        .to_owned()
}

/// The `host:port` of a sentinel's answer; `None` when it knows no such master.
fn address(reply: Value) -> Option<String> {
    let Value::Array(parts) = reply else {
        return None;
    };
    let text = |value: &Value| match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    };
    match parts.as_slice() {
        [host, port] => {
            let (host, port) = (text(host)?, text(port)?);
            Some(if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            })
        }
        _ => None,
    }
}

/// The error when no sentinel named the master: what each one said.
fn not_found(options: &RedisOptions, sentinel: &Sentinel, tried: Vec<String>) -> Error {
    Error::backend(
        BACKEND,
        "connect",
        ErrorKind::Unavailable,
        format!(
            "no sentinel of {} named a master {:?}: {}",
            options.nodes.join(","),
            sentinel.master,
            tried.join("; ")
        ),
    )
}

/// The master's `host:port`, asking the sentinels one by one (blocking).
pub(crate) fn master(options: &RedisOptions, sentinel: &Sentinel) -> Result<String> {
    let mut tried = Vec::new();
    for node in &options.nodes {
        let answer = (|| -> Result<Option<String>> {
            let client = crate::conn::client_of(options, options.sentinel_info(node)?, node)?;
            let mut conn = client
                .get_connection_with_timeout(options.connect_timeout)
                .map_err(crate::error::redis_error("connect"))?;
            conn.set_read_timeout(Some(options.response_timeout))
                .map_err(crate::error::redis_error("connect"))?;
            let reply: Value = ask(sentinel)
                .query(&mut conn)
                .map_err(crate::error::redis_error("connect"))?;
            Ok(address(reply))
        })();
        match answer {
            Ok(Some(address)) => return Ok(address),
            Ok(None) => tried.push(format!("{node}: no such master")),
            Err(error) => tried.push(format!("{node}: {error}")),
        }
    }
    Err(not_found(options, sentinel, tried))
}

/// [`master`], async.
pub(crate) async fn master_async(options: &RedisOptions, sentinel: &Sentinel) -> Result<String> {
    let mut tried = Vec::new();
    for node in &options.nodes {
        let answer = async {
            let client = crate::conn::client_of(options, options.sentinel_info(node)?, node)?;
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(options.connect_timeout))
                .set_response_timeout(Some(options.response_timeout));
            let mut conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map_err(crate::error::redis_error("connect"))?;
            let reply: Value = ask(sentinel)
                .query_async(&mut conn)
                .await
                .map_err(crate::error::redis_error("connect"))?;
            Ok::<_, Error>(address(reply))
        }
        .await;
        match answer {
            Ok(Some(address)) => return Ok(address),
            Ok(None) => tried.push(format!("{node}: no such master")),
            Err(error) => tried.push(format!("{node}: {error}")),
        }
    }
    Err(not_found(options, sentinel, tried))
}

/// `ROLE`, whose answer starts with `master` on a master.
pub(crate) fn role() -> Cmd {
    redis::cmd("ROLE")
}

/// Whether the answer to [`role`] is a master's; an error (retryable) naming `address` if not.
pub(crate) fn check_master(address: &str, reply: &Value) -> Result<()> {
    let first = match reply {
        Value::Array(parts) => parts.first(),
        _ => None,
    };
    let is_master = matches!(first, Some(Value::BulkString(role)) if role == b"master")
        || matches!(first, Some(Value::SimpleString(role)) if role == "master");
    if is_master {
        return Ok(());
    }
    Err(Error::backend(
        BACKEND,
        "connect",
        ErrorKind::Unavailable,
        format!("{address}, named master by the sentinels, is not a master (yet): {reply:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_addresses() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        assert_eq!(
            address(Value::Array(vec![bulk("127.0.0.1"), bulk("6380")])),
            Some("127.0.0.1:6380".to_owned())
        );
        assert_eq!(
            address(Value::Array(vec![bulk("::1"), bulk("6380")])),
            Some("[::1]:6380".to_owned())
        );
        assert_eq!(address(Value::Nil), None);
        assert!(check_master("a", &Value::Array(vec![bulk("master")])).is_ok());
        assert!(check_master("a", &Value::Array(vec![bulk("slave")])).is_err());
    }
}
