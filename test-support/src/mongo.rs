//! SecantusDB, a MongoDB wire-protocol server (GPL: run as a separate process only).

use std::path::Path;
use std::time::Duration;

use crate::process::{Launch, ServerProcess};
use crate::tools::{find_program, MONGO_HOW_TO_GET};
use crate::TestServer;

/// How long SecantusDB (a Python program) may take to accept connections on a busy machine.
const READY_WITHIN: Duration = Duration::from_secs(180);

/// A MongoDB server: the one of `STORAGE_TEST_MONGO_URL` (a real mongod), or SecantusDB started
/// in memory on a free port.
pub fn mongo() -> Result<TestServer, String> {
    if let Ok(url) = std::env::var("STORAGE_TEST_MONGO_URL") {
        return Ok(TestServer::existing(url));
    }
    let program = find_program("secantusd-py", MONGO_HOW_TO_GET)?;
    let args = |ports: &[u16], _: &Path| {
        [
            "--host",
            "127.0.0.1",
            "--port",
            &ports[0].to_string(),
            "--storage-path",
            ":memory:",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let server = ServerProcess::launch(&Launch {
        name: "SecantusDB (secantusd-py)",
        program: &program,
        ports: 1,
        args: &args,
        ready: &accepts_connections,
        within: READY_WITHIN,
    })?;
    Ok(TestServer {
        url: format!("mongodb://127.0.0.1:{}/?directConnection=true", server.port),
        processes: vec![server],
    })
}

pub(crate) fn accepts_connections(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}
