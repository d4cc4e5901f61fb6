//! [`StoreUrl`]: the one parser of store URLs (`sqlite:///path.db?namespace=x`,
//! `redis://user:secret@host/0`, …) that every backend's `from_url` reads its options from.
//!
//! It checks what every backend would otherwise check by hand: each query parameter may appear
//! once, is taken by the backend that understands it, and any left over is an error naming it;
//! values are parsed into typed options with errors that name the parameter. Credentials never
//! appear in errors: messages quote the URL with its password replaced by `***`.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Every parameter name a backend asked for: the known ones, listed when one is unknown.
    asked: BTreeSet<String>,
    /// The hosts of a multi-host authority (`h1:7000,h2:7000`), as written; `None` for one host.
    host_list: Option<Vec<String>>,
}

impl StoreUrl {
    /// Parses `text`. A parameter given twice is an error. An authority may list several
    /// hosts separated by commas (`redis+cluster://h1:7000,h2:7000`,
    /// `mongodb://h1,h2/db`): [`hosts`](Self::hosts) lists them, [`url`](Self::url) holds
    /// the first.
    pub fn parse(text: &str) -> Result<Self> {
        let not_a_url = |e: &dyn std::fmt::Display| {
            Error::Config(format!("{}: not a URL: {e}", redact_text(text)))
        };
        let (first_host_text, host_list) = split_host_list(text).map_err(|e| not_a_url(&e))?;
        let url = Url::parse(&first_host_text).map_err(|e| not_a_url(&e))?;
        if let Some(hosts) = &host_list {
            for host in hosts {
                Url::parse(&format!("{}://{host}", url.scheme()))
                    .map_err(|e| not_a_url(&format!("host {host:?}: {e}")))?;
            }
        }
        let mut params = BTreeMap::new();
        for (name, value) in url.query_pairs() {
            if params.insert(name.to_string(), value.to_string()).is_some() {
                return Err(Error::Config(format!(
                    "{}: parameter {name:?} is given more than once",
                    redacted(&url)
                )));
            }
        }
        Ok(StoreUrl {
            url,
            params,
            asked: BTreeSet::new(),
            host_list,
        })
    }

    /// Parses `text`, reads options from it with `read` (which takes the parameters it knows),
    /// and fails if any parameter is left: what every backend's `from_url` does.
    pub fn read<T>(text: &str, read: impl FnOnce(&mut StoreUrl) -> Result<T>) -> Result<T> {
        let mut url = StoreUrl::parse(text)?;
        let options = read(&mut url)?;
        url.finish()?;
        Ok(options)
    }

    /// The hosts of the authority as `host[:port]`, in the order written: several for
    /// `h1:7000,h2:7000`, one for a single host, none for a URL without one.
    pub fn hosts(&self) -> Vec<String> {
        if let Some(hosts) = &self.host_list {
            return hosts.clone();
        }
        match (self.url.host_str(), self.url.port()) {
            (None | Some(""), _) => Vec::new(),
            (Some(host), None) => vec![host.to_owned()],
            (Some(host), Some(port)) => vec![format!("{host}:{port}")],
        }
    }

    /// The user name, percent-decoded; `None` when empty.
    pub fn username(&self) -> Result<Option<String>> {
        self.decoded(self.url.username())
    }

    /// The password, percent-decoded; `None` when absent or empty.
    pub fn password(&self) -> Result<Option<String>> {
        self.decoded(self.url.password().unwrap_or(""))
    }

    fn decoded(&self, text: &str) -> Result<Option<String>> {
        if text.is_empty() {
            return Ok(None);
        }
        percent_decode_str(text)
            .decode_utf8()
            .map(|decoded| Some(decoded.into_owned()))
            .map_err(|_| self.error("the user information is not UTF-8 once decoded"))
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
        let shown = redacted(&self.url);
        match &self.host_list {
            Some(hosts) => with_host_list(&shown, hosts),
            None => shown,
        }
    }

    /// Hands every parameter not taken so far to a driver that parses its own connection
    /// string (MongoDB): the URL as written (every host, credentials) with only those
    /// parameters, which count as taken from now on.
    pub fn remaining_url(&mut self) -> String {
        let mut url = self.url.clone();
        if self.params.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(&self.params);
        }
        self.asked
            .extend(std::mem::take(&mut self.params).into_keys());
        match &self.host_list {
            Some(hosts) => with_host_list(url.as_str(), hosts),
            None => url.into(),
        }
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
        self.asked.insert(name.to_owned());
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

    /// Takes every parameter named `<prefix><name>` (e.g. `pragma.cache_size`), as `(name,
    /// value)` pairs in name order.
    pub fn take_prefixed(&mut self, prefix: &str) -> Vec<(String, String)> {
        self.asked.insert(format!("{prefix}*"));
        let names: Vec<String> = self
            .params
            .keys()
            .filter(|name| name.starts_with(prefix) && name.len() > prefix.len())
            .cloned()
            .collect();
        names
            .into_iter()
            .filter_map(|name| {
                let value = self.params.remove(&name)?;
                Some((name[prefix.len()..].to_owned(), value))
            })
            .collect()
    }

    /// Fails if a parameter was given that nothing took, naming it and the ones asked for.
    pub fn finish(self) -> Result<()> {
        match self.params.keys().next() {
            None => Ok(()),
            Some(unknown) => Err(self.error(format!(
                "unknown parameter {unknown:?} for {}:// (known: {})",
                self.scheme(),
                self.asked
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// Splits a multi-host authority: `text` with only its first host, and the list of hosts
/// (`None` when the authority names at most one).
fn split_host_list(text: &str) -> std::result::Result<(String, Option<Vec<String>>), String> {
    let Some(scheme_end) = text.find("://") else {
        return Ok((text.to_owned(), None));
    };
    let authority_start = scheme_end + 3;
    let authority_end = text[authority_start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |at| authority_start + at);
    let authority = &text[authority_start..authority_end];
    let hosts_start = authority.rfind('@').map_or(0, |at| at + 1);
    let hosts = &authority[hosts_start..];
    if !hosts.contains(',') {
        return Ok((text.to_owned(), None));
    }
    let list: Vec<String> = hosts.split(',').map(str::to_owned).collect();
    if list.iter().any(String::is_empty) {
        return Err("an empty host in the host list".to_owned());
    }
    let first = format!(
        "{}{}{}",
        &text[..authority_start + hosts_start],
        list[0],
        &text[authority_end..]
    );
    Ok((first, Some(list)))
}

/// `shown` (a redacted one-host URL) with its host replaced by the whole list.
fn with_host_list(shown: &str, hosts: &[String]) -> String {
    let Some(scheme_end) = shown.find("://") else {
        return shown.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = shown[authority_start..]
        .find(['/', '?', '#'])
        .map_or(shown.len(), |at| authority_start + at);
    let hosts_start = shown[authority_start..authority_end]
        .rfind('@')
        .map_or(authority_start, |at| authority_start + at + 1);
    format!(
        "{}{}{}",
        &shown[..hosts_start],
        hosts.join(","),
        &shown[authority_end..]
    )
}

/// Parses a duration with its unit, as URLs and the `kvs` tool write them: `250ms`, `30s`,
/// `5m` or `2h`; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<Duration> {
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
        url.finish()
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
        let error = url.finish().err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("\"walk\"") && e.contains("known: wal")),
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
        let mut kept = StoreUrl::parse("mongodb://u:p@h1,h2:27018/db?namespace=x&replicaSet=rs0")?;
        kept.take("namespace");
        assert_eq!(
            kept.remaining_url(),
            "mongodb://u:p@h1,h2:27018/db?replicaSet=rs0"
        );
        kept.finish()?;
        Ok(())
    }

    #[test]
    fn several_hosts_are_listed_and_shown() -> Result<()> {
        let url = StoreUrl::parse(
            "rediss+cluster://u:s%40cret@a.local:7000,b.local:7001,[::1]:7002/?x=1",
        )?;
        assert_eq!(url.hosts(), ["a.local:7000", "b.local:7001", "[::1]:7002"]);
        assert_eq!(url.username()?.as_deref(), Some("u"));
        assert_eq!(url.password()?.as_deref(), Some("s@cret"));
        assert_eq!(
            url.redacted(),
            "rediss+cluster://u:***@a.local:7000,b.local:7001,[::1]:7002/"
        );
        let one = StoreUrl::parse("mongodb://db.local/app")?;
        assert_eq!(one.hosts(), ["db.local"]);
        assert_eq!(
            StoreUrl::parse("mongodb://a,b:27018/app")?.hosts(),
            ["a", "b:27018"]
        );
        assert!(StoreUrl::parse("redis+cluster://a:1,,b:2").is_err());
        assert!(StoreUrl::parse("redis+cluster://a:1,b:notaport").is_err());
        assert!(StoreUrl::parse("memory://")?.hosts().is_empty());
        Ok(())
    }
}
