//! dynalite, a DynamoDB implementation on Node.js.

use std::path::Path;
use std::time::Duration;

use crate::mongo::accepts_connections;
use crate::process::{Launch, ServerProcess};
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
    let args = |ports: &[u16], _: &Path| {
        [
            "--host",
            "127.0.0.1",
            "--port",
            &ports[0].to_string(),
            "--createTableMs",
            "0",
            "--deleteTableMs",
            "0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let server = ServerProcess::launch(&Launch {
        name: "dynalite",
        program: &program,
        ports: 1,
        args: &args,
        ready: &accepts_connections,
        within: READY_WITHIN,
    })?;
    Ok(TestServer {
        url: format!("http://127.0.0.1:{}", server.port),
        processes: vec![server],
    })
}
