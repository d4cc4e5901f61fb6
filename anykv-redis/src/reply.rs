//! Decoding replies.

use anykv_core::{Expiry, Result, Timestamp};
use redis::Value;

use crate::error::unexpected;

/// A bulk string or nil.
pub(crate) fn bytes(operation: &'static str, value: Value) -> Result<Option<Vec<u8>>> {
    match value {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => Ok(Some(bytes)),
        Value::SimpleString(text) => Ok(Some(text.into_bytes())),
        other => Err(unexpected(operation, other)),
    }
}

/// An integer.
pub(crate) fn int(operation: &'static str, value: &Value) -> Result<i64> {
    match value {
        Value::Int(n) => Ok(*n),
        Value::BulkString(text) => std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| unexpected(operation, value)),
        other => Err(unexpected(operation, other)),
    }
}

/// `OK` (true) or nil (false), as `SET … NX` answers.
pub(crate) fn ok_or_nil(operation: &'static str, value: &Value) -> Result<bool> {
    match value {
        Value::Okay => Ok(true),
        Value::SimpleString(s) if s == "OK" => Ok(true),
        Value::Nil => Ok(false),
        other => Err(unexpected(operation, other)),
    }
}

/// A `PEXPIRETIME` reply: `None` if the key is missing.
pub(crate) fn pexpiretime(operation: &'static str, value: &Value) -> Result<Option<Expiry>> {
    Ok(match int(operation, value)? {
        -2 => None,
        -1 => Some(Expiry::Never),
        at => Some(Expiry::At(Timestamp::from_millis(at))),
    })
}

/// The `[cursor, [elements…]]` reply of SCAN / HSCAN.
pub(crate) fn scan_page(operation: &'static str, value: Value) -> Result<(u64, Vec<Value>)> {
    let Value::Array(mut parts) = value else {
        return Err(unexpected(operation, value));
    };
    if parts.len() != 2 {
        return Err(unexpected(operation, parts));
    }
    let elements = match parts.pop() {
        Some(Value::Array(elements)) => elements,
        other => return Err(unexpected(operation, other)),
    };
    let cursor = int(operation, &parts[0])?;
    Ok((u64::try_from(cursor).unwrap_or(0), elements))
}

/// Takes the next reply of a plan.
pub(crate) fn next(
    operation: &'static str,
    replies: &mut impl Iterator<Item = Value>,
) -> Result<Value> {
    replies
        .next()
        .ok_or_else(|| unexpected(operation, "fewer replies than commands"))
}
