//! The middleware's stale modes against a real origin, on memory and on a SQLite file:
//! - stale-while-revalidate: callers inside the window are answered while the origin holds
//!   the one refresh back (so none waited for it); the refresh then replaces the entry;
//! - stale-if-error: the origin hanging past the timeout, answering 500, and stopped: a stale
//!   response inside its window is served, outside it (or when the response forbids it) the
//!   caller gets the error.

use std::time::{Duration, Instant};

use anykv_http::CacheMiddleware;
use reqwest_middleware::ClientWithMiddleware;

mod common;

use common::middleware::{caching_client, plain_client, stores, try_get};
use common::origin::{Mode, Origin};

/// How long a stored `max-age=1` response surely takes to be stale by more than a second
/// (`Date` has whole seconds).
const WELL_STALE: Duration = Duration::from_millis(3500);

/// The longest a condition is waited for.
const DEADLINE: Duration = Duration::from_secs(60);

/// GETs `url`: status, `x-cache`, body; the error's text when it failed.
async fn get(client: &ClientWithMiddleware, url: &str) -> Result<(u16, String, String), String> {
    try_get(client, url, &[]).await
}

async fn expect(client: &ClientWithMiddleware, url: &str, status: u16, cache: &str, body: &str) {
    let got = get(client, url).await;
    assert_eq!(
        got,
        Ok((status, cache.to_owned(), body.to_owned())),
        "GET {url}"
    );
}

#[test]
fn stale_while_revalidate_answers_at_once_and_refreshes_once() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let cache = CacheMiddleware::new(store, plain_client());
            let client = caching_client(cache.clone());
            let url =
                origin.url("/gen/swr?gate=1&cc=max-age%3D1%2C%20stale-while-revalidate%3D600");
            expect(&client, &url, 200, "MISS", "swr 1").await;
            tokio::time::sleep(WELL_STALE).await;
            // The origin holds every answer back: a caller that waited for it would not return.
            origin.set_gate(false);
            let callers = (0..32).map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move { get(&client, &url).await })
            });
            for caller in futures_util::future::join_all(callers).await {
                let answer = caller.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    answer,
                    Ok((200, "STALE".to_owned(), "swr 1".to_owned())),
                    "{name}"
                );
            }
            let started = Instant::now();
            while origin.hits("/gen/swr") < 2 {
                assert!(
                    started.elapsed() < DEADLINE,
                    "{name}: no background refresh"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            origin.set_gate(true);
            loop {
                let (_, _, body) = get(&client, &url).await.unwrap_or_else(|e| panic!("{e}"));
                if body == "swr 2" {
                    break;
                }
                assert_eq!(body, "swr 1", "{name}");
                assert!(
                    started.elapsed() < DEADLINE,
                    "{name}: the refresh never landed"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            expect(&client, &url, 200, "HIT", "swr 2").await;
            assert_eq!(
                origin.hits("/gen/swr"),
                2,
                "{name}: one refresh for 32 callers"
            );
            // The refresh task counts itself once it has released its lease, which may be a
            // moment after its response is visible.
            while cache.stats().background_refreshes == 0 {
                assert!(
                    started.elapsed() < DEADLINE,
                    "{name}: the refresh was never counted"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let stats = cache.stats();
            assert!(stats.stale_while_revalidate >= 32, "{name}: {stats:?}");
            assert_eq!(stats.background_refreshes, 1, "{name}: {stats:?}");
            assert_eq!(stats.refresh_failures, 0, "{name}: {stats:?}");
        });
    }
}

/// The URLs of one failure mode: inside the stale-if-error window, outside it, and forbidden
/// by `must-revalidate`.
struct FailureUrls {
    inside: String,
    outside: String,
    forbidden: String,
}

impl FailureUrls {
    fn new(origin: &Origin, mode: &str) -> Self {
        FailureUrls {
            inside: origin.url(&format!(
                "/gen/{mode}-in?cc=max-age%3D1%2Cstale-if-error%3D600"
            )),
            outside: origin.url(&format!(
                "/gen/{mode}-out?cc=max-age%3D1%2Cstale-if-error%3D1"
            )),
            forbidden: origin.url(&format!(
                "/gen/{mode}-forbidden?cc=max-age%3D1%2Cstale-if-error%3D600%2Cmust-revalidate"
            )),
        }
    }

    fn all(&self) -> [&String; 3] {
        [&self.inside, &self.outside, &self.forbidden]
    }
}

#[test]
fn stale_if_error_serves_inside_its_window_and_fails_outside() {
    for (name, store, _dir) in stores() {
        anykv_test_support::runtime().block_on(async {
            let origin = Origin::start().await;
            let cache = CacheMiddleware::new(store, plain_client())
                .origin_timeout(Some(Duration::from_secs(1)));
            let client = caching_client(cache.clone());
            let modes =
                ["hang", "fail", "stop"].map(|mode| (mode, FailureUrls::new(&origin, mode)));
            for (mode, urls) in &modes {
                for url in urls.all() {
                    let (status, _, _) = get(&client, url).await.unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(status, 200, "{name}: priming {mode}");
                }
            }
            tokio::time::sleep(WELL_STALE).await;
            for (mode, urls) in &modes {
                match *mode {
                    "hang" => origin.set_mode(Mode::Hang),
                    "fail" => origin.set_mode(Mode::Fail),
                    _ => origin.stop(),
                }
                let body = format!("{mode}-in 1");
                expect(&client, &urls.inside, 200, "STALE", &body).await;
                for url in [&urls.outside, &urls.forbidden] {
                    let got = get(&client, url).await;
                    match *mode {
                        "fail" => assert!(
                            matches!(&got, Ok((500, cache, _)) if cache.is_empty()),
                            "{name}: {url}: {got:?}"
                        ),
                        "hang" => assert!(
                            matches!(&got, Err(text) if text.contains("did not answer")),
                            "{name}: {url}: {got:?}"
                        ),
                        _ => assert!(got.is_err(), "{name}: {url}: {got:?}"),
                    }
                }
            }
            let stats = cache.stats();
            assert_eq!(stats.stale_if_error, 3, "{name}: {stats:?}");
        });
    }
}
