//! The origin server of the tests: a real HTTP/1.1 server (hyper) on 127.0.0.1, started by the
//! test, that counts what it answers per path.
//!
//! | path | answer |
//! |---|---|
//! | `/max-age` (any query) | `max-age=60`, body `response N` |
//! | `/short` | `max-age=1`, body `response N` |
//! | `/no-store` | `no-store`, body `response N` |
//! | `/etag` | `no-cache` with ETag `"v1"`: `x-revalidations: 0`; 304 to `If-None-Match: "v1"` with `x-revalidations: N` |
//! | `/vary` | `max-age=60`, `Vary: accept-language`, body `LANGUAGE N` |
//! | `/big/SIZE` | `max-age=60`, a body of SIZE bytes |

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Answers counted per path; 304s as `"304 PATH"`.
type Counts = Arc<Mutex<HashMap<String, usize>>>;

/// A running origin server; stops when dropped.
pub struct Origin {
    address: SocketAddr,
    counts: Counts,
    server: JoinHandle<()>,
}

impl Origin {
    /// Starts a server on a free port of 127.0.0.1 on the current runtime.
    pub async fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let counts = Counts::default();
        let served = counts.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counts = served.clone();
                let service = service_fn(move |request| answer(request, counts.clone()));
                tokio::spawn(async move {
                    // A client that goes away mid-request is not the test's concern.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Origin {
            address,
            counts,
            server,
        }
    }

    /// The URL of `path` (with any query) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// How many full (200) answers `path` got.
    pub fn hits(&self, path: &str) -> usize {
        self.count(path)
    }

    /// How many 304 answers `path` got.
    pub fn not_modified(&self, path: &str) -> usize {
        self.count(&format!("304 {path}"))
    }

    fn count(&self, name: &str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(name).copied().unwrap_or(0)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Counts `name` and returns the new count.
fn count(counts: &Counts, name: String) -> usize {
    let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
    let count = counts.entry(name).or_default();
    *count += 1;
    *count
}

async fn answer(
    request: Request<Incoming>,
    counts: Counts,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut response = Response::builder();
    if path == "/etag" && header("if-none-match").contains("\"v1\"") {
        let n = count(&counts, format!("304 {path}"));
        let response = response
            .status(StatusCode::NOT_MODIFIED)
            .header("etag", "\"v1\"")
            .header("cache-control", "no-cache")
            .header("x-revalidations", n.to_string())
            .body(Full::default());
        return Ok(response.unwrap_or_else(|e| panic!("{e}")));
    }
    let n = count(&counts, path.clone());
    let (cache_control, body) = match path.as_str() {
        "/short" => ("max-age=1", format!("response {n}").into_bytes()),
        "/no-store" => ("no-store", format!("response {n}").into_bytes()),
        "/etag" => {
            // A header the 304s update (only headers the stored response has are updated).
            response = response
                .header("etag", "\"v1\"")
                .header("x-revalidations", "0");
            ("no-cache", format!("response {n}").into_bytes())
        }
        "/vary" => {
            response = response.header("vary", "accept-language");
            let language = header("accept-language");
            ("max-age=60", format!("{language} {n}").into_bytes())
        }
        _ => match path.strip_prefix("/big/").map(str::parse::<usize>) {
            Some(Ok(size)) => ("max-age=60", big_body(size, n)),
            _ => ("max-age=60", format!("response {n}").into_bytes()),
        },
    };
    let response = response
        .header("cache-control", cache_control)
        .body(Full::new(Bytes::from(body)));
    Ok(response.unwrap_or_else(|e| panic!("{e}")))
}

/// `size` bytes that differ from answer to answer (the answer number comes first).
pub fn big_body(size: usize, answer: usize) -> Vec<u8> {
    let mut body = format!("{answer:08}").into_bytes();
    body.extend((0..size).map(|i| (i % 251) as u8));
    body.truncate(size);
    body
}
