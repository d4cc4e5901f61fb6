//! [`StoreUrl`]: the one parser of store URLs (`sqlite:///path.db?namespace=x`,
//! `redis://user:secret@host/0`, …) that every backend's `from_url` reads its options from.
//!
//! It checks what every backend would otherwise check by hand: each query parameter may appear
//! once, is taken by the backend that understands it, and any left over is an error naming it;
//! values are parsed into typed options with errors that name the parameter. Credentials never
//! appear in errors: messages quote the URL with its password replaced by `***`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use url::Url;

use crate::error::{Error, Result};

/// A parsed store URL whose query parameters are taken one by one.
#[derive(Debug, Clone)]
pub struct StoreUrl {
    url: Url,
    params: BTreeMap<String, String>,
}

impl StoreUrl {
    /// Parses `text`. A parameter given twice is an error.
    pub fn parse(text: &str) -> Result<Self> {
        let url = Url::parse(text)
            .map_err(|e| Error::Config(format!("{}: not a URL: {e}", redact_text(text))))?;
        let mut params = BTreeMap::new();
        for (name, value) in url.query_pairs() {
            if params.insert(name.to_string(), value.to_string()).is_some() {
                return Err(Error::Config(format!(
                    "{}: parameter {name:?} is given more than once",
                    redacted(&url)
                )));
            }
        }
        Ok(StoreUrl { url, params })
    }

    /// The scheme, lowercase (`sqlite`, `redis+cluster`, …).
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The URL itself (host, port, path, user name, password).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL with its password replaced by `***` and no query: safe to print.
    pub fn redacted(&self) -> String {
        redacted(&self.url)
    }

    /// The URL without the parameters taken so far (the rest of the query kept): what a
    /// driver that parses its own connection string (MongoDB) should receive.
    pub fn without_taken_params(&self) -> Url {
        let mut url = self.url.clone();
        if self.params.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(&self.params);
        }
        url
    }

    /// The file path a `scheme:///absolute/path` or `scheme://relative/path` URL names
    /// (percent-decoded): an empty host makes the path absolute, a host is the first component
    /// of a relative path.
    pub fn file_path(&self) -> Result<PathBuf> {
        let decode = |text: &str| {
            percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| self.error("the path is not UTF-8 once decoded"))
        };
        let path = decode(self.url.path())?;
        let full = match self.url.host_str() {
            None | Some("") => path,
            Some(host) => format!("{}{path}", decode(host)?),
        };
        if full.is_empty() || full == "/" {
            return Err(self.error("no path given"));
        }
        Ok(PathBuf::from(full))
    }

    /// An error about this URL, naming what is wrong (the URL shown redacted).
    pub fn error(&self, what: impl std::fmt::Display) -> Error {
        Error::Config(format!("{}: {what}", self.redacted()))
    }

    /// Takes the parameter `name`, if given.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }

    /// Takes `name` and parses it with `parse`; a value `parse` refuses is an error naming the
    /// parameter and what was expected.
    pub fn take_parsed<T>(
        &mut self,
        name: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        let Some(value) = self.take(name) else {
            return Ok(None);
        };
        match parse(&value) {
            Some(parsed) => Ok(Some(parsed)),
            None => Err(self.error(format!("parameter {name}={value:?}: expected {expected}"))),
        }
    }

    /// Takes a boolean parameter: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
    pub fn take_bool(&mut self, name: &str) -> Result<Option<bool>> {
        self.take_parsed(name, "true or false", |value| {
            match value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            }
        })
    }

    /// Takes a whole-number parameter.
    pub fn take_usize(&mut self, name: &str) -> Result<Option<usize>> {
        self.take_parsed(name, "a whole number", |value| value.parse().ok())
    }

    /// Takes a duration parameter with its unit: `250ms`, `30s`, `5m`, `2h`.
    pub fn take_duration(&mut self, name: &str) -> Result<Option<Duration>> {
        self.take_parsed(
            name,
            "a duration such as 250ms, 30s, 5m or 2h",
            parse_duration,
        )
    }

    /// Fails if a parameter was given that nothing took, naming it and the ones `known`.
    pub fn finish(self, known: &[&str]) -> Result<()> {
        match self.params.keys().next() {
            None => Ok(()),
            Some(unknown) => Err(self.error(format!(
                "unknown parameter {unknown:?} for {}:// (known: {})",
                self.scheme(),
                known.join(", ")
            ))),
        }
    }
}

/// Parses `250ms`, `30s`, `5m` or `2h`.
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => Some(Duration::from_secs(number.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(number.checked_mul(3600)?)),
        _ => None,
    }
}

/// `url` with its password replaced by `***` and without its query.
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only URLs with a host carry a password, and those accept a new one.
        let _ = shown.set_password(Some("***"));
    }
    shown.set_query(None);
    shown.to_string()
}

/// Text that is not a URL, redacted as far as it looks like one: anything between `://` and
/// the last `@` (user information) is hidden.
fn redact_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}://***@{}", &text[..start], &text[at + 1..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_taken_typed_and_leftovers_refused() -> Result<()> {
        let mut url = StoreUrl::parse(
            "sqlite:///var/cache/app.db?namespace=http&wal=off&pool_size=8&busy_timeout=30s",
        )?;
        assert_eq!(url.scheme(), "sqlite");
        assert_eq!(url.url().path(), "/var/cache/app.db");
        assert_eq!(url.take("namespace").as_deref(), Some("http"));
        assert_eq!(url.take_bool("wal")?, Some(false));
        assert_eq!(url.take_usize("pool_size")?, Some(8));
        assert_eq!(
            url.take_duration("busy_timeout")?,
            Some(Duration::from_secs(30))
        );
        assert_eq!(url.take_duration("absent")?, None);
        url.finish(&["namespace"])
    }

    #[test]
    fn bad_values_and_unknown_parameters_name_the_parameter() -> Result<()> {
        let mut url = StoreUrl::parse("sqlite://app.db?wal=maybe&walk=1")?;
        let error = url.take_bool("wal").err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("wal=\"maybe\"")),
            "{error:?}"
        );
        let error = url.finish(&["wal"]).err().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("\"walk\"")),
            "{error:?}"
        );
        let twice = StoreUrl::parse("memory://?namespace=a&namespace=b").err();
        assert!(twice.is_some_and(|e| e.to_string().contains("more than once")));
        Ok(())
    }

    #[test]
    fn credentials_never_show_in_errors() -> Result<()> {
        let mut url = StoreUrl::parse("redis://user:hunter2@cache.local:6379/0?timeout=soon")?;
        let error = url.take_duration("timeout").err().map(|e| e.to_string());
        let error = error.unwrap_or_default();
        assert!(error.contains("user:***@cache.local"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        let unparsable = StoreUrl::parse("redis://user:hunter2@[bad").err();
        let shown = unparsable.map(|e| e.to_string()).unwrap_or_default();
        assert!(!shown.contains("hunter2"), "{shown}");
        Ok(())
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("1d"), None);
    }

    #[test]
    fn special_forms_parse() -> Result<()> {
        let memory = StoreUrl::parse("sqlite::memory:")?;
        assert_eq!(
            (memory.scheme(), memory.url().path()),
            ("sqlite", ":memory:")
        );
        let relative = StoreUrl::parse("sqlite://dir/relative.db")?;
        assert_eq!(relative.file_path()?, PathBuf::from("dir/relative.db"));
        let absolute = StoreUrl::parse("file:///var/cache/my%20app")?;
        assert_eq!(absolute.file_path()?, PathBuf::from("/var/cache/my app"));
        assert!(StoreUrl::parse("file:///")?.file_path().is_err());
        let mut kept = StoreUrl::parse("mongodb://h/db?namespace=x&replicaSet=rs0")?;
        kept.take("namespace");
        assert_eq!(
            kept.without_taken_params().as_str(),
            "mongodb://h/db?replicaSet=rs0"
        );
        Ok(())
    }
}
