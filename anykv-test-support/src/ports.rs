//! Free ports on 127.0.0.1.

use std::net::TcpListener;

/// A TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before the
/// server binds it; the launchers retry on a new port when that happens.
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}
