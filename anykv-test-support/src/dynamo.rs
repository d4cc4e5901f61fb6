//! dynalite, a DynamoDB implementation on Node.js.

use std::time::Duration;

use crate::process::ServerProcess;
use crate::tools::{find_program, DYNAMO_HOW_TO_GET};
use crate::TestServer;

/// How long dynalite may take to accept connections on a busy machine.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// A DynamoDB endpoint: the one of `STORAGE_TEST_DYNAMO_ENDPOINT` (`aws` means AWS itself with the
/// standard credential chain), or dynalite started in memory on a free port. The URL is the
/// endpoint, or `aws`.
pub fn dynamo() -> Result<TestServer, String> {
    if let Ok(endpoint) = std::env::var("STORAGE_TEST_DYNAMO_ENDPOINT") {
        return Ok(TestServer::existing(endpoint));
    }
    let program = find_program("dynalite", DYNAMO_HOW_TO_GET)?;
    ServerProcess::launch_listening(
        "dynalite",
        &program,
        &["--createTableMs", "0", "--deleteTableMs", "0"],
        READY_WITHIN,
        |port| format!("http://127.0.0.1:{port}"),
    )
}
