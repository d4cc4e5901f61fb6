//! One fetch from the origin and what is stored of it: the conditional request when a stale
//! response can be revalidated, the 304 that refreshes it, stale-if-error when the origin fails.

use std::time::SystemTime;

use anykv_core::Serializer;
use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH};
use http::StatusCode;
use http_cache::HttpResponse;
use http_cache_semantics::{AfterResponse, BeforeRequest, CachePolicy};
use reqwest::{Request, Response};
use reqwest_middleware::{Error, Result};

use super::directives::{staleness, StaleWindows};
use super::origin::Origin;
use super::response::{
    announced_over, head_of, respond, respond_stored, response_head, stale_headers, to_stored,
};
use super::rules::ExpireAfter;
use super::stats::Counter;
use super::CacheMiddleware;
use crate::entry::Cached;

/// What a fetch left in the store, which tells the callers waiting for it what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetched {
    /// Nothing was fetched: another caller's response was in the store already.
    ByAnother,
    /// The response (or its revalidation) is stored: waiters read it.
    Stored,
    /// The response could not be stored (not cacheable, too large): waiters fetch their own.
    NotStored,
    /// The origin failed, timed out or answered 5xx: waiters serve stale-if-error or fetch
    /// their own.
    Failed,
}

impl<C: Serializer + Clone + 'static> CacheMiddleware<C> {
    /// The stale windows of the stored `response`.
    pub(crate) fn windows(&self, response: &HttpResponse) -> StaleWindows {
        let defaults = StaleWindows {
            while_revalidate: self.options.stale_while_revalidate,
            if_error: self.options.stale_if_error,
        };
        StaleWindows::of(&response.headers, defaults, self.options.policy.shared)
    }

    /// `cached`, served stale because the origin failed, if its stale-if-error window covers
    /// now and it answers `head`.
    pub(crate) fn serve_stale_on_error(
        &self,
        cached: &Cached,
        head: &http::Request<()>,
    ) -> Option<Response> {
        let now = SystemTime::now();
        let policy = &cached.stored.policy;
        let matches = match policy.before_request(head, now) {
            BeforeRequest::Fresh(_) => true,
            BeforeRequest::Stale { matches, .. } => matches,
        };
        if !matches || staleness(policy, now) > self.windows(&cached.stored.response).if_error {
            return None;
        }
        self.counters.add(Counter::StaleIfError);
        let headers = stale_headers(&cached.stored.response, policy, now);
        Some(respond_stored(&cached.stored.response, headers, "STALE"))
    }

    /// Sends `request` to the origin (asking only for changes when `stale` can be
    /// revalidated) and stores the response under `key` when it may be.
    pub(crate) async fn fetch(
        &self,
        mut request: Request,
        key: &str,
        stale: Option<&Cached>,
        origin: Origin<'_>,
    ) -> (Result<Response>, Fetched) {
        let head = self.request_head(&request);
        let stale = stale.filter(|cached| {
            match cached
                .stored
                .policy
                .before_request(&head, SystemTime::now())
            {
                BeforeRequest::Stale {
                    request: revalidation,
                    matches: true,
                } => {
                    // The caller's headers (ignored ones included) with the policy's validators.
                    for name in [IF_NONE_MATCH, IF_MODIFIED_SINCE] {
                        match revalidation.headers.get(&name) {
                            Some(value) => request.headers_mut().insert(name, value.clone()),
                            None => request.headers_mut().remove(name),
                        };
                    }
                    true
                }
                BeforeRequest::Stale { matches: false, .. } => false,
                BeforeRequest::Fresh(_) => true,
            }
        });
        self.counters.add(Counter::OriginFetch);
        // A 5xx counts as the origin failing; it is the answer when nothing stale can be.
        let response = match origin.send(request, self.options.origin_timeout).await {
            Ok(response) if !response.status().is_server_error() => response,
            failed => {
                let served = stale.and_then(|cached| self.serve_stale_on_error(cached, &head));
                return (served.map_or(failed, Ok), Fetched::Failed);
            }
        };
        match (response.status(), stale) {
            (StatusCode::NOT_MODIFIED, Some(cached)) => {
                self.revalidated(response, key, cached, &head).await
            }
            _ => self.store_fetched(response, key, &head).await,
        }
    }

    /// Refreshes `cached` with the origin's `304` answer to its revalidation.
    async fn revalidated(
        &self,
        response: Response,
        key: &str,
        cached: &Cached,
        head: &http::Request<()>,
    ) -> (Result<Response>, Fetched) {
        let now = SystemTime::now();
        let after = cached
            .stored
            .policy
            .after_response(head, &response_head(&response), now);
        let AfterResponse::NotModified(policy, updated) = after else {
            // A 304 for some other representation than the one stored: pass it on.
            return (Ok(response), Fetched::NotStored);
        };
        self.counters.add(Counter::Revalidated);
        // The expiry rules apply to the refreshed headers as to a new response.
        let expire = self.rules.expiry_of(&cached.stored.response.url);
        let policy = match expire {
            ExpireAfter::Headers => policy,
            _ => CachePolicy::new_options(
                head,
                &head_of(
                    updated.status,
                    self.rules.policy_headers(&updated.headers, expire),
                ),
                now,
                self.options.policy,
            ),
        };
        let mut refreshed = cached.stored.response.clone();
        for (name, value) in &updated.headers {
            if let Ok(value) = value.to_str() {
                refreshed
                    .headers
                    .insert(name.as_str().to_owned(), value.to_owned());
            }
        }
        let window = self.windows(&refreshed).longest();
        let stored = match self.options.read_only {
            true => Ok(false),
            false => {
                self.manager
                    .store_response(key, &refreshed, &policy, window)
                    .await
            }
        };
        let answer = respond_stored(&refreshed, updated.headers, "REVALIDATED");
        match stored {
            Ok(true) => (Ok(answer), Fetched::Stored),
            Ok(false) => (Ok(answer), Fetched::NotStored),
            Err(failure) => (Err(Error::middleware(failure)), Fetched::Failed),
        }
    }

    /// Whether `response` may be stored at all: not in read-only mode, not a URL the rules
    /// keep out, a status and a filter that allow it, no larger than the store takes.
    fn may_store(&self, response: &Response, expire: ExpireAfter) -> bool {
        let limit = self.manager.store().max_value_len();
        !self.options.read_only
            && expire != ExpireAfter::DoNotCache
            && self
                .options
                .cacheable_statuses
                .is_none_or(|statuses| statuses.contains(response.status().as_u16()))
            && self.filter.as_ref().is_none_or(|filter| filter(response))
            && !announced_over(response.content_length(), limit)
    }

    /// Stores a full response from the origin when its policy allows, and hands it on.
    async fn store_fetched(
        &self,
        response: Response,
        key: &str,
        head: &http::Request<()>,
    ) -> (Result<Response>, Fetched) {
        let now = SystemTime::now();
        let expire = self.rules.expiry_of(response.url());
        if !self.may_store(&response, expire) {
            return (Ok(response), Fetched::NotStored);
        }
        let policy_head = head_of(
            response.status(),
            self.rules.policy_headers(response.headers(), expire),
        );
        let policy = CachePolicy::new_options(head, &policy_head, now, self.options.policy);
        if !policy.is_storable() {
            return (Ok(response), Fetched::NotStored);
        }
        // Stored under the URL the key names (without the ignored parameters).
        let (status, version, url) = (
            response.status(),
            response.version(),
            self.rules.normalized(response.url()),
        );
        let headers = response.headers().clone();
        let answer_url = response.url().clone();
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(error) => return (Err(Error::from(error)), Fetched::Failed),
        };
        let stored = match to_stored(status, version, &url, &headers, body) {
            Ok(stored) => stored,
            Err(body) => {
                // A header that is not text: handed on as it came, not stored.
                let answer = respond(status, version, answer_url, headers, body, "MISS");
                return (Ok(answer), Fetched::NotStored);
            }
        };
        let window = self.windows(&stored).longest();
        let outcome = self
            .manager
            .store_response(key, &stored, &policy, window)
            .await;
        let answer = respond(status, version, answer_url, headers, stored.body, "MISS");
        match outcome {
            Ok(true) => (Ok(answer), Fetched::Stored),
            Ok(false) => (Ok(answer), Fetched::NotStored),
            Err(failure) => (Err(Error::middleware(failure)), Fetched::Failed),
        }
    }
}
