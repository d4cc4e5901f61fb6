//! Keyset pagination: turns "give me up to N entries after key K" into a streaming scan.
//!
//! Backends with ordered keys (memory, SQLite, MongoDB, DynamoDB) implement
//! [`KvStorage::scan`](crate::KvStorage::scan) with it, so a scan holds no lock or cursor
//! between pages and memory stays bounded by the page size.

use crate::entry::Record;
use crate::error::Result;
use crate::storage::RecordIter;

/// Entries fetched per page by the backends that use [`paginate`].
pub const DEFAULT_PAGE_SIZE: usize = 256;

/// Streams records page by page. `fetch(after, limit)` returns up to `limit` live records whose
/// keys sort strictly after `after` (all keys when `None`), in key order.
pub fn paginate<'a, F>(page_size: usize, fetch: F) -> RecordIter<'a>
where
    F: FnMut(Option<&str>, usize) -> Result<Vec<Record>> + Send + 'a,
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
    page: std::vec::IntoIter<Record>,
    done: bool,
}

impl<F> Iterator for Pages<F>
where
    F: FnMut(Option<&str>, usize) -> Result<Vec<Record>>,
{
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(record) = self.page.next() {
            return Some(Ok(record));
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
                self.done = page.len() < self.page_size;
                self.cursor = page.last().map(|record| record.key.clone());
                self.page = page.into_iter();
                self.page.next().map(Ok)
            }
        }
    }
}

/// The async twin of [`paginate`]: `fetch(after, limit)` is a future of up to `limit` live
/// records whose keys sort strictly after `after`, in key order.
pub fn paginate_stream<'a, F, Fut>(page_size: usize, fetch: F) -> crate::BoxStream<'a, Record>
where
    F: FnMut(Option<String>, usize) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<Vec<Record>>> + Send + 'a,
{
    struct State<F> {
        fetch: F,
        cursor: Option<String>,
        page: std::vec::IntoIter<Record>,
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
            if let Some(record) = state.page.next() {
                return Some((Ok(record), state));
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
                    state.done = page.len() < page_size;
                    state.cursor = page.last().map(|record| record.key.clone());
                    state.page = page.into_iter();
                    let first = state.page.next()?;
                    Some((Ok(first), state))
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
}
