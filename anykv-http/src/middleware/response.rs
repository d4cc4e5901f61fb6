//! Between reqwest's requests and responses, the policy's view of them, and stored responses.

use std::collections::HashMap;
use std::time::SystemTime;

use http::header::{HeaderMap, HeaderName, HeaderValue, AGE};
use http_cache::{HttpResponse, HttpVersion};
use http_cache_semantics::CachePolicy;
use reqwest::{Request, Response, ResponseBuilderExt, Url};

/// The header telling how the cache answered: `HIT`, `MISS`, `STALE` (stale-while-revalidate
/// or stale-if-error) or `REVALIDATED` (a 304 refreshed the stored response).
pub const CACHE_STATUS_HEADER: &str = "x-cache";

/// What the policy needs of a request: method, URI (`url`: the request's, normalized) and
/// headers.
pub(crate) fn request_head(request: &Request, url: &Url) -> http::Request<()> {
    let mut head = http::Request::new(());
    *head.method_mut() = request.method().clone();
    // A reqwest URL is always a valid URI; an unparsable one would only fail to match.
    *head.uri_mut() = url.as_str().parse().unwrap_or_default();
    *head.headers_mut() = request.headers().clone();
    head
}

/// What the policy needs of a response: status and headers.
pub(crate) fn response_head(response: &Response) -> http::Response<()> {
    head_of(response.status(), response.headers().clone())
}

/// A response head of `status` with `headers`, for the policy.
pub(crate) fn head_of(status: http::StatusCode, headers: HeaderMap) -> http::Response<()> {
    let mut head = http::Response::new(());
    *head.status_mut() = status;
    *head.headers_mut() = headers;
    head
}

/// A response as it is stored; the body back when a header is not text (it could not be
/// stored without changing it). Repeated headers are joined with commas.
pub(crate) fn to_stored(
    status: http::StatusCode,
    version: http::Version,
    url: &Url,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> Result<HttpResponse, Vec<u8>> {
    let mut stored: HashMap<String, String> = HashMap::with_capacity(headers.keys_len());
    for (name, value) in headers {
        let Ok(value) = value.to_str() else {
            return Err(body);
        };
        stored
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    Ok(HttpResponse {
        body,
        headers: stored,
        status: status.as_u16(),
        url: url.clone(),
        version: HttpVersion::try_from(version).unwrap_or(HttpVersion::Http11),
    })
}

/// The headers of a stored response.
pub(crate) fn stored_headers(response: &HttpResponse) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    headers
}

/// The headers of a stale stored response served at `now`: as stored, with its `Age`.
pub(crate) fn stale_headers(
    response: &HttpResponse,
    policy: &CachePolicy,
    now: SystemTime,
) -> HeaderMap {
    let mut headers = stored_headers(response);
    let age = policy.age(now).as_secs();
    headers.insert(AGE, HeaderValue::from(age));
    headers
}

/// A response to hand to the caller.
pub(crate) fn respond(
    status: http::StatusCode,
    version: http::Version,
    url: Url,
    mut headers: HeaderMap,
    body: Vec<u8>,
    cache_status: &'static str,
) -> Response {
    headers.insert(
        HeaderName::from_static(CACHE_STATUS_HEADER),
        HeaderValue::from_static(cache_status),
    );
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.version_mut() = version;
    *response.headers_mut() = headers;
    // The URL travels in an extension only reqwest's builder extension can set.
    let (mut parts, body) = response.into_parts();
    if let Some(extensions) = http::response::Builder::new().url(url).extensions_ref() {
        parts.extensions = extensions.clone();
    }
    Response::from(http::Response::from_parts(parts, body))
}

/// A stored response served with `headers` (its own, updated by the policy). Its status was
/// checked when it was read ([`readable_status`]).
pub(crate) fn respond_stored(
    response: &HttpResponse,
    headers: HeaderMap,
    cache_status: &'static str,
) -> Response {
    respond(
        readable_status(response).unwrap_or(http::StatusCode::BAD_GATEWAY),
        response.version.into(),
        response.url.clone(),
        headers,
        response.body.clone(),
        cache_status,
    )
}

/// The status of a stored response, `None` when it is no HTTP status (a damaged entry).
pub(crate) fn readable_status(response: &HttpResponse) -> Option<http::StatusCode> {
    http::StatusCode::from_u16(response.status).ok()
}

/// Whether a response announcing `content_length` bytes is larger than `limit`.
pub(crate) fn announced_over(content_length: Option<u64>, limit: usize) -> bool {
    content_length.is_some_and(|length| length > limit as u64)
}
