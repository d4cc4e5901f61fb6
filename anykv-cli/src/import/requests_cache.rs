//! Reading the responses a Python requests-cache (1.x) stored: its SQLite file (`responses`
//! table) or its filesystem directory (one file a response), pickled or JSON. A response is a
//! plain dict once read (requests-cache unstructures its `CachedResponse` with cattrs): the
//! pickle holds no class, so the reader needs no Python.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One stored response, as requests-cache kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    /// The cache's own key of it.
    pub key: String,
    /// The URL the response came from.
    pub url: String,
    /// The request's method.
    pub method: String,
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: Vec<(String, String)>,
    /// The request headers (what `Vary` compares).
    pub request_headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When it was stored.
    pub created_at: SystemTime,
    /// When requests-cache expires it (`None`: never).
    pub expires: Option<SystemTime>,
}

/// Where a requests-cache keeps its responses.
pub enum Source {
    /// A SQLite file (`backend='sqlite'`).
    Sqlite(PathBuf),
    /// A directory (`backend='filesystem'`).
    Directory(PathBuf),
    /// A Redis server (`backend='redis'`): the string keys `<namespace>:<key>`.
    Redis {
        /// The server, as `redis://host:port/db` (without the namespace parameter).
        url: String,
        /// requests-cache's namespace (default `http_cache`).
        namespace: String,
    },
}

impl Source {
    /// The source named by `location`: a `redis://…[?namespace=…]` URL, a directory (a
    /// filesystem cache) or a file (a SQLite one).
    pub fn named(location: &str) -> Result<Self, String> {
        if location.starts_with("redis://") || location.starts_with("rediss://") {
            let (url, query) = location.split_once('?').unwrap_or((location, ""));
            let mut namespace = "http_cache".to_owned();
            for pair in query.split('&').filter(|pair| !pair.is_empty()) {
                match pair.split_once('=') {
                    Some(("namespace", value)) => namespace = value.to_owned(),
                    _ => return Err(format!("{location}: the only parameter is namespace")),
                }
            }
            return Ok(Source::Redis {
                url: url.to_owned(),
                namespace,
            });
        }
        Self::at(Path::new(location))
    }

    /// The source at `path`: a directory is a filesystem cache, a file a SQLite one.
    pub fn at(path: &Path) -> Result<Self, String> {
        if path.is_dir() {
            Ok(Source::Directory(path.to_owned()))
        } else if path.is_file() {
            Ok(Source::Sqlite(path.to_owned()))
        } else {
            Err(format!(
                "{}: no requests-cache there (a .sqlite file or a directory)",
                path.display()
            ))
        }
    }

    /// Every stored response in turn: read, or why it could not be (naming it).
    pub fn responses(&self) -> Result<Vec<Result<CachedResponse, String>>, String> {
        match self {
            Source::Sqlite(path) => sqlite_responses(path),
            Source::Directory(dir) => directory_responses(dir),
            Source::Redis { url, namespace } => redis_responses(url, namespace),
        }
    }
}

/// The rows of the `responses` table.
fn sqlite_responses(path: &Path) -> Result<Vec<Result<CachedResponse, String>>, String> {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut stmt = conn
        .prepare("SELECT key, value FROM responses")
        .map_err(|e| format!("{}: not a requests-cache SQLite file ({e})", path.display()))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, rusqlite::types::Value>(0)?,
                row.get::<_, rusqlite::types::Value>(1)?,
            ))
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut responses = Vec::new();
    for row in rows {
        let (key, value) = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let key = match key {
            rusqlite::types::Value::Text(key) => key,
            other => format!("{other:?}"),
        };
        responses.push(match value {
            rusqlite::types::Value::Blob(bytes) => decode(&key, &bytes),
            rusqlite::types::Value::Text(text) => decode(&key, text.as_bytes()),
            _ => Err(format!("{key}: no value")),
        });
    }
    Ok(responses)
}

/// The `.pkl` / `.json` files of a filesystem cache (and its `responses/` folder, if any).
fn directory_responses(dir: &Path) -> Result<Vec<Result<CachedResponse, String>>, String> {
    let mut responses = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if !matches!(extension, "pkl" | "pickle" | "json") {
                continue;
            }
            let key = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            responses.push(match std::fs::read(&path) {
                Ok(bytes) => decode(&key, &bytes),
                Err(e) => Err(format!("{}: {e}", path.display())),
            });
        }
    }
    Ok(responses)
}

/// The string keys `<namespace>:*` of a Redis server (SCAN, then GET each).
fn redis_responses(
    url: &str,
    namespace: &str,
) -> Result<Vec<Result<CachedResponse, String>>, String> {
    let client = redis::Client::open(url).map_err(|e| format!("{url}: {e}"))?;
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(10))
        .map_err(|e| format!("{url}: {e}"))?;
    let prefix = format!("{namespace}:");
    let mut pattern = anykv_redis::escape_glob(prefix.as_bytes());
    pattern.push(b'*');
    let keys: Vec<Vec<u8>> = redis::cmd("SCAN")
        .cursor_arg(0)
        .arg("MATCH")
        .arg(&pattern)
        .arg("COUNT")
        .arg(1000)
        .clone()
        .iter(&mut conn)
        .map_err(|e| format!("{url}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{url}: {e}"))?;
    let mut responses = Vec::with_capacity(keys.len());
    for server_key in keys {
        let key =
            String::from_utf8_lossy(&server_key[prefix.len().min(server_key.len())..]).into_owned();
        let value: redis::RedisResult<Option<Vec<u8>>> =
            redis::cmd("GET").arg(&server_key).query(&mut conn);
        responses.push(match value {
            Ok(Some(bytes)) => decode(&key, &bytes),
            // Expired or deleted since the scan.
            Ok(None) => continue,
            Err(e) => Err(format!("{key}: {e}")),
        });
    }
    Ok(responses)
}

/// A value read from a pickle or a JSON document: the few shapes a response dict holds.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Map(map) => map.get(name),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        match self {
            Value::Map(map) => map
                .iter()
                .filter_map(|(name, value)| match value {
                    Value::Text(text) => Some((name.clone(), text.clone())),
                    Value::List(values) => Some((
                        name.clone(),
                        values
                            .iter()
                            .filter_map(Value::text)
                            .collect::<Vec<_>>()
                            .join(", "),
                    )),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn from_pickle(value: serde_pickle::Value) -> Value {
    use serde_pickle::{HashableValue, Value as P};
    let key = |key: HashableValue| match key {
        HashableValue::String(text) => text,
        HashableValue::Bytes(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        other => format!("{other:?}"),
    };
    match value {
        P::None => Value::Null,
        P::Bool(b) => Value::Bool(b),
        P::I64(n) => Value::Number(n as f64),
        P::F64(n) => Value::Number(n),
        P::Int(n) => Value::Text(n.to_string()),
        P::String(text) => Value::Text(text),
        P::Bytes(bytes) => Value::Bytes(bytes),
        P::List(items) | P::Tuple(items) => {
            Value::List(items.into_iter().map(from_pickle).collect())
        }
        P::Dict(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| (key(k), from_pickle(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn from_json(value: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => Value::Number(n.as_f64().unwrap_or_default()),
        J::String(text) => Value::Text(text),
        J::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        J::Object(map) => Value::Map(map.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

/// A stored response from its bytes: a pickle (protocol 2 or later starts with `0x80`) or JSON.
pub fn decode(key: &str, bytes: &[u8]) -> Result<CachedResponse, String> {
    let value = if bytes.first() == Some(&0x80) {
        let options = serde_pickle::DeOptions::new().replace_unresolved_globals();
        serde_pickle::value_from_slice(bytes, options)
            .map(from_pickle)
            .map_err(|e| format!("{key}: not a readable pickle ({e})"))?
    } else {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .map(from_json)
            .map_err(|e| format!("{key}: neither a pickle nor JSON ({e})"))?
    };
    response(key, &value)
}

/// The response a decoded dict holds.
fn response(key: &str, value: &Value) -> Result<CachedResponse, String> {
    let field = |name: &str| value.get(name).ok_or_else(|| format!("{key}: no {name:?}"));
    let url = field("url")?
        .text()
        .ok_or_else(|| format!("{key}: url is not text"))?
        .to_owned();
    let status = match field("status_code")? {
        Value::Number(n) if (100.0..1000.0).contains(n) => *n as u16,
        other => return Err(format!("{key}: status_code {other:?}")),
    };
    let body = match (value.get("_content"), value.get("_decoded_content")) {
        (Some(Value::Bytes(bytes)), _) => bytes.clone(),
        (Some(Value::Text(encoded)), _) => {
            base64_decode(encoded).ok_or_else(|| format!("{key}: _content is not base64"))?
        }
        (_, Some(Value::Text(text))) => text.clone().into_bytes(),
        (_, Some(decoded @ (Value::Map(_) | Value::List(_)))) => to_json(decoded).into_bytes(),
        _ => Vec::new(),
    };
    let request = value.get("request");
    let created_at = match value.get("created_at").and_then(Value::text) {
        Some(text) => parse_iso(text).ok_or_else(|| format!("{key}: created_at {text:?}"))?,
        None => SystemTime::now(),
    };
    let expires = match value.get("expires") {
        Some(Value::Text(text)) => {
            Some(parse_iso(text).ok_or_else(|| format!("{key}: expires {text:?}"))?)
        }
        _ => None,
    };
    Ok(CachedResponse {
        key: key.to_owned(),
        url,
        method: request
            .and_then(|r| r.get("method"))
            .and_then(Value::text)
            .unwrap_or("GET")
            .to_owned(),
        status,
        headers: field("headers")?.pairs(),
        request_headers: request
            .and_then(|r| r.get("headers"))
            .map(Value::pairs)
            .unwrap_or_default(),
        body,
        created_at,
        expires,
    })
}

/// JSON text of a decoded body requests-cache kept as a document.
fn to_json(value: &Value) -> String {
    fn convert(value: &Value) -> serde_json::Value {
        match value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(text) => serde_json::Value::String(text.clone()),
            Value::Bytes(bytes) => {
                serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())
            }
            Value::List(items) => serde_json::Value::Array(items.iter().map(convert).collect()),
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), convert(v))).collect(),
            ),
        }
    }
    convert(value).to_string()
}

/// Standard base64 (with or without padding); `None` if it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// An ISO 8601 instant as Python's `isoformat()` writes it: `2026-12-06T10:41:46.989284+00:00`
/// (the fraction and the offset optional; no offset is UTC).
fn parse_iso(text: &str) -> Option<SystemTime> {
    let (date, rest) = text.split_once('T').or_else(|| text.split_once(' '))?;
    let mut date = date.split('-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let offset_at = rest.rfind(['+', '-']).filter(|&at| at >= 8);
    let (time, offset) = match (offset_at, rest.strip_suffix('Z')) {
        (_, Some(time)) => (time, 0),
        (Some(at), None) => {
            let (hours, minutes) = rest[at + 1..].split_once(':')?;
            let seconds = hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60;
            (
                &rest[..at],
                if &rest[at..=at] == "-" {
                    -seconds
                } else {
                    seconds
                },
            )
        }
        (None, None) => (rest, 0),
    };
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock = clock.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    let micros: u64 = format!("{fraction:0<6}").get(..6)?.parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_instants_and_base64_are_read() {
        let at = parse_iso("2026-12-06T10:41:46.989284+00:00")
            .map(|t| t.duration_since(UNIX_EPOCH).unwrap_or_default());
        assert_eq!(
            at,
            Some(Duration::from_secs(1_796_553_706) + Duration::from_micros(989_284))
        );
        let shifted = parse_iso("2026-12-06T12:41:46.989284+02:00");
        assert_eq!(shifted, parse_iso("2026-12-06T10:41:46.989284"));
        assert_eq!(parse_iso("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(base64_decode("aGVsbG8gL2E="), Some(b"hello /a".to_vec()));
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn a_json_response_is_read() -> Result<(), String> {
        let json = br#"{"_content": "aGk=", "created_at": "2026-12-06T10:00:00+00:00",
            "expires": null, "headers": {"Content-Type": "text/plain"}, "status_code": 200,
            "url": "http://h/p", "request": {"method": "GET", "headers": {"Accept": "*/*"}}}"#;
        let response = decode("k", json)?;
        assert_eq!(
            (response.body.as_slice(), response.status, response.expires),
            (&b"hi"[..], 200, None)
        );
        assert_eq!(
            response.request_headers,
            [("Accept".to_owned(), "*/*".to_owned())]
        );
        assert!(decode("bad", b"\x80\x04garbage").is_err_and(|e| e.starts_with("bad:")));
        Ok(())
    }
}
