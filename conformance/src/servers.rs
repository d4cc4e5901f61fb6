//! Test servers: started on free ports on 127.0.0.1 by the tests themselves, stopped when the
//! handle is dropped or the test process exits (whichever comes first).
//!
//! Each server runs under a tiny `sh` guard that kills it when the test process's end of a
//! pipe closes, so no server outlives the tests, even if the process is killed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A small runtime for backends whose async stores must outlive one test's runtime.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Finds `program` on the PATH or in the project's `.tools/bin`; the error says how to get it.
pub fn find_program(program: &str, how_to_get: &str) -> Result<PathBuf, String> {
    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(std::iter::once(tools))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("`{program}` was not found. {how_to_get}"))
}

/// A running server process.
pub struct ServerProcess {
    guard: Option<Child>,
    /// The port it listens on.
    pub port: u16,
    name: String,
}

impl ServerProcess {
    /// Starts `program args…` and waits until `ready()` holds (up to `within`).
    pub fn start(
        program: &PathBuf,
        args: &[String],
        port: u16,
        within: Duration,
        ready: impl Fn() -> bool,
    ) -> Result<Self, String> {
        let name = program.display().to_string();
        let guard = Command::new("sh")
            .arg("-c")
            .arg(r#""$@" & child=$!; cat >/dev/null; kill $child 2>/dev/null; wait $child 2>/dev/null"#)
            .arg("server-guard")
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let mut server = ServerProcess {
            guard: Some(guard),
            port,
            name,
        };
        let deadline = Instant::now() + within;
        while !ready() {
            let exited = server
                .guard
                .as_mut()
                .and_then(|g| g.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                server.stop();
                return Err(format!(
                    "{} did not become ready on port {port}",
                    server.name
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            drop(guard.stdin.take());
            let _ = guard.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends one inline command to a RESP server and returns the first reply line (or "").
pub fn resp_command(port: u16, command: &str) -> String {
    let attempt = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(format!("{command}\r\n").as_bytes())?;
        let mut reply = vec![0u8; 4096];
        let n = stream.read(&mut reply)?;
        Ok(String::from_utf8_lossy(&reply[..n]).into_owned())
    };
    attempt().unwrap_or_default()
}
