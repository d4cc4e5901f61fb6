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
//! | `/gen/NAME?cc=…&cc_first=…&status=…&delay_ms=…&gate=1&hang_first=1` | `status` (200 by default), `Cache-Control: cc` (`cc_first` for the first request, when given), body `NAME N`, after `delay_ms`; with `gate=1` not before the gate is open; with `hang_first=1` the first request never gets an answer. Subject to the [`Mode`]. |
//!
//! Every answered request's `x-caller` header is recorded per path ([`Origin::callers`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// Answers counted per path; 304s as `"304 PATH"`.
type Counts = Arc<Mutex<HashMap<String, usize>>>;

/// How the `/gen/` paths answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// As their query says.
    Normal = 0,
    /// `500 Internal Server Error`.
    Fail = 1,
    /// Never (the connection stays open without an answer).
    Hang = 2,
}

/// What the answering tasks share.
#[derive(Clone)]
struct State {
    counts: Counts,
    callers: Arc<Mutex<HashMap<String, Vec<String>>>>,
    mode: Arc<AtomicU8>,
    gate: watch::Receiver<bool>,
}

/// A running origin server; stops when dropped.
pub struct Origin {
    address: SocketAddr,
    state: State,
    gate: watch::Sender<bool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
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
        let (gate, gate_watch) = watch::channel(true);
        let state = State {
            counts: Counts::default(),
            callers: Arc::default(),
            mode: Arc::new(AtomicU8::new(Mode::Normal as u8)),
            gate: gate_watch,
        };
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (served, tracked) = (state.clone(), connections.clone());
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = served.clone();
                let service = service_fn(move |request| answer(request, state.clone()));
                let connection = tokio::spawn(async move {
                    // A client that goes away mid-request is not the test's concern.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                let mut tracked = tracked.lock().unwrap_or_else(|e| e.into_inner());
                tracked.retain(|connection| !connection.is_finished());
                tracked.push(connection.abort_handle());
            }
        });
        Origin {
            address,
            state,
            gate,
            connections,
            server,
        }
    }

    /// How the `/gen/` paths answer from now on.
    pub fn set_mode(&self, mode: Mode) {
        self.state.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Holds (`false`) or lets go (`true`) the answers of `gate=1` requests.
    pub fn set_gate(&self, open: bool) {
        self.gate.send_replace(open);
    }

    /// Stops listening and drops every open connection: clients are refused from now on.
    pub fn stop(&self) {
        self.server.abort();
        let connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        for connection in connections.iter() {
            connection.abort();
        }
    }

    /// The `x-caller` headers of the requests `path` got, in order of arrival.
    pub fn callers(&self, path: &str) -> Vec<String> {
        let callers = self.state.callers.lock().unwrap_or_else(|e| e.into_inner());
        callers.get(path).cloned().unwrap_or_default()
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
        let counts = self.state.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(name).copied().unwrap_or(0)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop();
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
    state: State,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let counts = &state.counts;
    let path = request.uri().path().to_owned();
    if let Some(name) = path.strip_prefix("/gen/") {
        return Ok(generated(&request, name, &state).await);
    }
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
        let n = count(counts, format!("304 {path}"));
        let response = response
            .status(StatusCode::NOT_MODIFIED)
            .header("etag", "\"v1\"")
            .header("cache-control", "no-cache")
            .header("x-revalidations", n.to_string())
            .body(Full::default());
        return Ok(response.unwrap_or_else(|e| panic!("{e}")));
    }
    let n = count(counts, path.clone());
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

/// The query parameter `name` of `request`, decoded.
fn parameter(request: &Request<Incoming>, name: &str) -> Option<String> {
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The answer of `/gen/NAME` (see the module's table).
async fn generated(
    request: &Request<Incoming>,
    name: &str,
    state: &State,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let caller = request
        .headers()
        .get("x-caller")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let n = count(&state.counts, path.clone());
    {
        let mut callers = state.callers.lock().unwrap_or_else(|e| e.into_inner());
        callers.entry(path).or_default().push(caller);
    }
    let never = || std::future::pending::<()>();
    let mode = state.mode.load(Ordering::SeqCst);
    if mode == Mode::Hang as u8 || (n == 1 && parameter(request, "hang_first").is_some()) {
        never().await;
    }
    if parameter(request, "gate").is_some() {
        let mut gate = state.gate.clone();
        // The sender lives as long as the origin; without it, answer at once.
        let _ = gate.wait_for(|open| *open).await;
    }
    if let Some(delay) = parameter(request, "delay_ms").and_then(|ms| ms.parse().ok()) {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let response = if mode == Mode::Fail as u8 {
        Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Full::new(Bytes::from(format!("failed {n}"))))
    } else {
        let first = parameter(request, "cc_first").filter(|_| n == 1);
        let cache_control = first
            .or_else(|| parameter(request, "cc"))
            .unwrap_or_else(|| "max-age=60".to_owned());
        let status = parameter(request, "status")
            .and_then(|status| status.parse::<u16>().ok())
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::OK);
        Response::builder()
            .status(status)
            .header("cache-control", cache_control)
            .body(Full::new(Bytes::from(format!("{name} {n}"))))
    };
    response.unwrap_or_else(|e| panic!("{e}"))
}
