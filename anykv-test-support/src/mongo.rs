//! SecantusDB, a MongoDB wire-protocol server (GPL: run as a separate process only).

use std::time::Duration;

use crate::process::ServerProcess;
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
    ServerProcess::launch_listening(
        "SecantusDB (secantusd-py)",
        &program,
        &["--storage-path", ":memory:"],
        READY_WITHIN,
        |port| format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
    )
}
