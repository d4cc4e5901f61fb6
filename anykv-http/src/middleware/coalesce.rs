//! One origin fetch per URL across threads, processes and hosts.
//!
//! A caller that cannot answer from the store takes the URL's lease (an entry next to the
//! response's, see [`anykv_core::lease`]) before fetching. Callers that find the lease held wait
//! and look at the store until the response appears; when the fetch could not be stored (not
//! cacheable, or the origin failed) the fetcher leaves a note in the lease's place for the
//! lease's lifetime, and waiters act on it at once instead of queueing behind one another: they
//! fetch their own, or serve their stale response when the origin failed. A fetcher that
//! crashes stops renewing its lease, which runs out after the lease's lifetime; the next waiter
//! takes it over.

use std::time::{Instant, SystemTime};

use anykv_core::lease::Lease;
use anykv_core::Serializer;
use http_cache_semantics::BeforeRequest;
use reqwest::{Request, Response};
use reqwest_middleware::{Error, Result};

use super::fetch::Fetched;
use super::options::{poll_interval, OnWaitTimeout};
use super::origin::Origin;
use super::response::{respond_stored, stale_headers};
use super::stats::Counter;
use super::CacheMiddleware;
use crate::entry::Cached;
use crate::error::WaitTimedOut;

/// The note a fetcher leaves when its response could not be stored.
const NOT_STORED: &[u8] = b"anykv-http:not-stored";

/// The note a fetcher leaves when the origin failed.
const ORIGIN_FAILED: &[u8] = b"anykv-http:origin-failed";

/// The key of the lease of the response stored under `key`.
pub(crate) fn lease_key(key: &str) -> String {
    format!("lease:{key}")
}

/// What the lease entry of a URL says.
enum LeaseState {
    /// A fetch is under way (or the entry could not be read: keep waiting).
    Held,
    /// No one holds it: the fetch ended.
    Free,
    /// The last fetch could not be stored.
    NotStored,
    /// The last fetch found the origin failing.
    OriginFailed,
}

impl<C: Serializer + Clone + 'static> CacheMiddleware<C> {
    /// Answers `request` from the origin with at most one fetch under way per URL: this caller
    /// fetches when it gets the lease, else waits for the fetch under way. `seen` is what
    /// this caller found stored (a stale or non-matching response), if anything.
    pub(crate) async fn fetch_once(
        &self,
        request: Request,
        key: &str,
        seen: Option<Cached>,
        origin: Origin<'_>,
    ) -> Result<Response> {
        let lease = Lease::new(&lease_key(key), self.options.lease_ttl);
        let head = self.request_head(&request);
        let started = Instant::now();
        let mut polls = 0;
        loop {
            match lease.acquire_async(self.store().as_ref()).await {
                Ok(true) => {
                    return self
                        .fetch_holding(&lease, request, key, seen.as_ref(), origin)
                        .await
                        .0
                }
                Ok(false) => {}
                Err(error) => {
                    // The store failed: without bypass that fails the request; with it, fetch.
                    self.manager
                        .failed("lease", key, error)
                        .map_err(Error::middleware)?;
                    return self.fetch(request, key, seen.as_ref(), origin).await.0;
                }
            }
            match self.lease_state(&lease).await {
                LeaseState::Held => {}
                LeaseState::Free => {
                    if let Some(answer) = self.fetched_by_another(&head, key, &seen).await? {
                        return Ok(answer);
                    }
                    continue;
                }
                LeaseState::NotStored => {
                    return self.fetch(request, key, seen.as_ref(), origin).await.0
                }
                LeaseState::OriginFailed => {
                    let stale = seen.as_ref();
                    if let Some(served) = stale.and_then(|c| self.serve_stale_on_error(c, &head)) {
                        return Ok(served);
                    }
                    return self.fetch(request, key, stale, origin).await.0;
                }
            }
            if polls == 0 {
                self.counters.add(Counter::CoalescedWait);
            }
            let waited = started.elapsed();
            if waited >= self.options.wait {
                self.counters.add(Counter::WaitTimeout);
                return match self.options.on_wait_timeout {
                    OnWaitTimeout::Fetch => self.fetch(request, key, seen.as_ref(), origin).await.0,
                    OnWaitTimeout::Fail => Err(Error::middleware(WaitTimedOut::new(
                        request.url().to_string(),
                        waited,
                    ))),
                };
            }
            let pause = poll_interval(polls).min(self.options.wait - waited);
            tokio::time::sleep(pause).await;
            polls = polls.saturating_add(1);
            if let Some(answer) = self.fetched_by_another(&head, key, &seen).await? {
                return Ok(answer);
            }
        }
    }

    /// Fetches while holding `lease` (a heartbeat keeps it), then releases it, or leaves the
    /// note that tells waiters the response is not in the store.
    pub(crate) async fn fetch_holding(
        &self,
        lease: &Lease,
        request: Request,
        key: &str,
        seen: Option<&Cached>,
        origin: Origin<'_>,
    ) -> (Result<Response>, Fetched) {
        let store = self.store();
        // Another caller may have stored the response between this one's look and its lease.
        let head = self.request_head(&request);
        if let Ok(Some(answer)) = self.fetched_by_another(&head, key, &seen.cloned()).await {
            let _ = lease.release_async(store.as_ref()).await;
            return (Ok(answer), Fetched::ByAnother);
        }
        let heartbeat = lease.heartbeat_async(store);
        let (answer, fetched) = self.fetch(request, key, seen, origin).await;
        drop(heartbeat);
        let ended = match fetched {
            Fetched::Stored | Fetched::ByAnother => lease.release_async(store.as_ref()).await,
            Fetched::NotStored => self.leave_note(lease, NOT_STORED).await,
            Fetched::Failed => self.leave_note(lease, ORIGIN_FAILED).await,
        };
        if let Err(error) = ended {
            // The lease runs out by itself; waiters see the stored response or take over then.
            log::warn!("http cache: cannot end the lease of {key}: {error}");
        }
        (answer, fetched)
    }

    /// Replaces this owner's lease with `note` for the lease's lifetime.
    async fn leave_note(&self, lease: &Lease, note: &[u8]) -> anykv_core::Result<bool> {
        self.store()
            .compare_and_set(lease.key(), Some(lease.token()), note, Some(lease.ttl()))
            .await
    }

    /// What the lease entry of a URL says now.
    async fn lease_state(&self, lease: &Lease) -> LeaseState {
        match self.store().get(lease.key()).await {
            Ok(None) => LeaseState::Free,
            Ok(Some(note)) if note == NOT_STORED => LeaseState::NotStored,
            Ok(Some(note)) if note == ORIGIN_FAILED => LeaseState::OriginFailed,
            Ok(Some(_)) | Err(_) => LeaseState::Held,
        }
    }

    /// The response another caller stored for `head` since this one looked (`seen`), if
    /// there is one: fresh, or stale on arrival (fetched after this caller asked, so as recent
    /// as its own fetch would have been).
    async fn fetched_by_another(
        &self,
        head: &http::Request<()>,
        key: &str,
        seen: &Option<Cached>,
    ) -> Result<Option<Response>> {
        let found = self.manager.read(key).await.map_err(Error::middleware)?;
        let Some(found) =
            found.filter(|found| Some(found.fingerprint) != seen.as_ref().map(|s| s.fingerprint))
        else {
            return Ok(None);
        };
        let now = SystemTime::now();
        let headers = match found.stored.policy.before_request(head, now) {
            BeforeRequest::Fresh(parts) => parts.headers,
            BeforeRequest::Stale { matches: true, .. } => {
                stale_headers(&found.stored.response, &found.stored.policy, now)
            }
            // Another variant (`Vary`): not this caller's answer.
            BeforeRequest::Stale { matches: false, .. } => return Ok(None),
        };
        self.counters.add(Counter::CoalescedHit);
        Ok(Some(respond_stored(&found.stored.response, headers, "HIT")))
    }
}
