//! `kvs import requests-cache SRC DST`: the responses a Python requests-cache stored, into any
//! store, in anykv-http's format (what `CacheMiddleware` and `KvCacheManager` read).

use anykv_http::KvCacheManager;
use http_cache::HttpResponse;
use serde_json::json;

use crate::import::requests_cache::{CachedResponse, Source};
use crate::output;
use crate::{Failure, Outcome};

/// What became of the responses of a source.
#[derive(Default)]
struct Tally {
    imported: usize,
    /// Stale past the grace, or not storable by HTTP's rules.
    skipped: usize,
    /// Entries that could not be read or written, with why.
    unreadable: Vec<String>,
}

/// Imports every response of the requests-cache at `source` into the store at `url`, keeping
/// each one's expiry. Entries that cannot be read are listed, never fatal.
pub fn requests_cache(source: &str, url: &str, json: bool) -> Result<Outcome, Failure> {
    let responses = Source::named(source)?.responses()?;
    let runtime = anykv::adapter_runtime()?;
    let tally = runtime.block_on(async {
        let store = anykv::open_async(url).await?;
        let manager = KvCacheManager::new(store);
        let mut tally = Tally::default();
        for response in responses {
            let response = match response {
                Ok(response) => response,
                Err(why) => {
                    tally.unreadable.push(why);
                    continue;
                }
            };
            match import_one(&manager, &response).await {
                Ok(true) => tally.imported += 1,
                Ok(false) => tally.skipped += 1,
                Err(why) => tally.unreadable.push(format!("{}: {why}", response.key)),
            }
        }
        Ok::<_, Failure>(tally)
    })?;
    if json {
        output::json(&json!({
            "imported": tally.imported,
            "skipped": tally.skipped,
            "unreadable": tally.unreadable,
        }))?;
    } else {
        for why in &tally.unreadable {
            eprintln!("kvs: unreadable entry: {why}");
        }
        eprintln!(
            "kvs: imported {} responses, skipped {} (expired or not storable), {} unreadable",
            tally.imported,
            tally.skipped,
            tally.unreadable.len()
        );
    }
    Ok(if tally.unreadable.is_empty() {
        Outcome::Done
    } else {
        Outcome::BadEntries
    })
}

/// Stores one response; `false` when it is not worth storing (expired, not storable).
async fn import_one<S: anykv::AsyncKvStorage + 'static>(
    manager: &KvCacheManager<S>,
    response: &CachedResponse,
) -> Result<bool, String> {
    let url = url::Url::parse(&response.url).map_err(|e| format!("url {:?}: {e}", response.url))?;
    let mut request = http::Request::builder()
        .method(response.method.as_str())
        .uri(response.url.as_str());
    for (name, value) in &response.request_headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request.body(()).map_err(|e| format!("request: {e}"))?;
    let stored = HttpResponse {
        body: response.body.clone(),
        headers: response
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
            .collect(),
        status: response.status,
        url,
        version: http_cache::HttpVersion::Http11,
    };
    let fresh_until = response.expires;
    if fresh_until.is_some_and(|until| until <= std::time::SystemTime::now()) {
        return Ok(false);
    }
    manager
        .import(&request, &stored, response.created_at, fresh_until)
        .await
        .map_err(|e| e.to_string())
}
