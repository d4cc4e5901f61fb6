//! Keyset pagination: turns "give me up to N entries after key K" into a streaming scan.
//!
//! Backends with ordered keys (memory, SQLite, MongoDB, DynamoDB) implement
//! [`KvStorage::scan`](crate::KvStorage::scan) with it, so a scan holds no lock or cursor
//! between pages and memory stays bounded by the page size.
//!
//! A page may report entries it could not read (an error naming the entry, see
//! [`Error::is_invalid_data`](crate::Error::is_invalid_data)) among the good ones: the scan
//! yields each such error in its place and goes on. An error fetching a page ends the scan.

use crate::entry::Record;
use crate::error::Result;
use crate::storage::RecordIter;

/// Entries fetched per page by the backends that use [`paginate`].
pub const DEFAULT_PAGE_SIZE: usize = 256;

/// One page of a keyset scan.
#[derive(Debug, Default)]
pub struct Page {
    /// The entries read, in key order: a record, or the error of an entry that could not be
    /// read (naming it).
    pub entries: Vec<Result<Record>>,
    /// The key of the page's last entry, good or bad: the next page starts after it.
    pub last_key: Option<String>,
}

impl Page {
    /// A page of `entries`, the next one starting after `last_key`.
    pub fn new(entries: Vec<Result<Record>>, last_key: Option<String>) -> Self {
        Page { entries, last_key }
    }
}

impl From<Vec<Record>> for Page {
    fn from(records: Vec<Record>) -> Self {
        let last_key = records.last().map(|record| record.key.clone());
        Page {
            entries: records.into_iter().map(Ok).collect(),
            last_key,
        }
    }
}

/// Streams records page by page. `fetch(after, limit)` returns up to `limit` live records whose
/// keys sort strictly after `after` (all keys when `None`), in key order.
pub fn paginate<'a, F>(page_size: usize, mut fetch: F) -> RecordIter<'a>
where
    F: FnMut(Option<&str>, usize) -> Result<Vec<Record>> + Send + 'a,
{
    paginate_pages(page_size, move |after, limit| {
        fetch(after, limit).map(Page::from)
    })
}

/// [`paginate`] for a backend that reads entries it may fail to decode: `fetch` returns a
/// [`Page`] whose bad entries are errors in their place.
pub fn paginate_pages<'a, F>(page_size: usize, fetch: F) -> RecordIter<'a>
where
    F: FnMut(Option<&str>, usize) -> Result<Page> + Send + 'a,
{
    Box::new(Pages {
        fetch,
        page_size: page_size.max(1),
        cursor: None,
        page: Vec::new().into_iter(),
        done: false,
    })
}

struct Pages<F> {
    fetch: F,
    page_size: usize,
    cursor: Option<String>,
    page: std::vec::IntoIter<Result<Record>>,
    done: bool,
}

impl<F> Iterator for Pages<F>
where
    F: FnMut(Option<&str>, usize) -> Result<Page>,
{
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(entry) = self.page.next() {
            return Some(entry);
        }
        if self.done {
            return None;
        }
        match (self.fetch)(self.cursor.as_deref(), self.page_size) {
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
            Ok(page) => {
                self.done = page.entries.len() < self.page_size || page.last_key.is_none();
                self.cursor = page.last_key;
                self.page = page.entries.into_iter();
                self.page.next()
            }
        }
    }
}

/// The async twin of [`paginate`]: `fetch(after, limit)` is a future of up to `limit` live
/// records whose keys sort strictly after `after`, in key order.
pub fn paginate_stream<'a, F, Fut>(page_size: usize, mut fetch: F) -> crate::BoxStream<'a, Record>
where
    F: FnMut(Option<String>, usize) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<Vec<Record>>> + Send + 'a,
{
    paginate_page_stream(page_size, move |after, limit| {
        let page = fetch(after, limit);
        async move { page.await.map(Page::from) }
    })
}

/// The async twin of [`paginate_pages`].
pub fn paginate_page_stream<'a, F, Fut>(page_size: usize, fetch: F) -> crate::BoxStream<'a, Record>
where
    F: FnMut(Option<String>, usize) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<Page>> + Send + 'a,
{
    struct State<F> {
        fetch: F,
        cursor: Option<String>,
        page: std::vec::IntoIter<Result<Record>>,
        done: bool,
    }
    let page_size = page_size.max(1);
    let state = State {
        fetch,
        cursor: None,
        page: Vec::new().into_iter(),
        done: false,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        move |mut state| async move {
            if let Some(entry) = state.page.next() {
                return Some((entry, state));
            }
            if state.done {
                return None;
            }
            match (state.fetch)(state.cursor.take(), page_size).await {
                Err(error) => {
                    state.done = true;
                    Some((Err(error), state))
                }
                Ok(page) => {
                    state.done = page.entries.len() < page_size || page.last_key.is_none();
                    state.cursor = page.last_key;
                    state.page = page.entries.into_iter();
                    let first = state.page.next()?;
                    Some((first, state))
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> Record {
        Record {
            key: key.to_owned(),
            value: None,
            expires_at: None,
        }
    }

    #[test]
    fn walks_every_page_once() {
        let keys: Vec<String> = (0..10).map(|i| format!("k{i:02}")).collect();
        let mut calls = 0;
        let iter = paginate(3, |after, limit| {
            calls += 1;
            Ok(keys
                .iter()
                .filter(|k| after.is_none_or(|a| k.as_str() > a))
                .take(limit)
                .map(|k| record(k))
                .collect())
        });
        let seen: Vec<String> = iter
            .map(|r| r.map(|r| r.key))
            .collect::<Result<_>>()
            .unwrap_or_default();
        assert_eq!(seen, keys);
    }

    #[test]
    fn a_bad_entry_is_reported_in_its_place_and_the_scan_goes_on() {
        let keys: Vec<String> = (0..10).map(|i| format!("k{i:02}")).collect();
        let iter = paginate_pages(3, |after, limit| {
            let chosen: Vec<&String> = keys
                .iter()
                .filter(|k| after.is_none_or(|a| k.as_str() > a))
                .take(limit)
                .collect();
            let entries = chosen
                .iter()
                .map(|k| match k.as_str() {
                    "k02" | "k04" => Err(crate::Error::corrupt(k, "planted")),
                    _ => Ok(record(k)),
                })
                .collect();
            Ok(Page::new(entries, chosen.last().map(|k| (*k).clone())))
        });
        let seen: Vec<std::result::Result<String, String>> = iter
            .map(|r| r.map(|r| r.key).map_err(|e| e.to_string()))
            .collect();
        assert_eq!(seen.len(), 10);
        assert_eq!(seen.iter().filter(|r| r.is_err()).count(), 2);
        assert!(seen[2].as_ref().is_err_and(|e| e.contains("k02")));
        assert_eq!(seen[9], Ok("k09".to_owned()));
    }
}
