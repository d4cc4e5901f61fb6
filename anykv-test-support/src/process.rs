//! One server process: started under a guard that kills it when the test process goes away,
//! with its output in a log file whose tail explains a failed start.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;

/// How many ports a start tries before it gives up.
const ATTEMPTS: usize = 3;
/// How many lines of the server's log a failure quotes.
const LOG_TAIL_LINES: usize = 25;

/// The guard: runs the server in the background with stdin from /dev/null, watches the pipe
/// from the test process on fd 3 and kills the server when it closes (the test process ended or
/// dropped the handle), then removes the server's scratch directory once the server is gone
/// (servers kept in statics are never dropped, so their `TempDir` never removes it); it exits
/// with the server, so an early exit is seen at once (its log still there to quote).
const GUARD: &str = r#"dir=$1
shift
exec 3<&0
"$@" </dev/null &
child=$!
(cat <&3 >/dev/null; kill $child 2>/dev/null
 while kill -0 $child 2>/dev/null; do sleep 0.1; done
 rm -rf "$dir") &
exec 3<&-
wait $child"#;

/// What to start, and how to tell that it is ready.
pub struct Launch<'a> {
    /// A name for messages, e.g. `"redis-server"`.
    pub name: &'a str,
    /// The program.
    pub program: &'a Path,
    /// How many free ports one attempt needs (the first is the one clients use).
    pub ports: usize,
    /// The arguments for the chosen ports and the server's own scratch directory.
    pub args: &'a dyn Fn(&[u16], &Path) -> Vec<String>,
    /// Whether the server on this port answers yet.
    pub ready: &'a dyn Fn(u16) -> bool,
    /// How long one attempt may take to become ready: generous, since a busy machine is slow.
    pub within: Duration,
}

/// A running server process.
pub struct ServerProcess {
    guard: Option<Child>,
    /// The port clients use.
    pub port: u16,
    /// Every port this process was given (the first is [`port`](Self::port)).
    pub ports: Vec<u16>,
    name: String,
    dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Launches a server that takes `--host 127.0.0.1 --port <port>` and `args`, and is ready
    /// once it accepts connections; returns it with the URL `url(port)` names.
    pub(crate) fn launch_listening(
        name: &str,
        program: &Path,
        args: &[&str],
        within: Duration,
        url: impl Fn(u16) -> String,
    ) -> Result<crate::TestServer, String> {
        let args = |ports: &[u16], _: &Path| {
            let port = ports[0].to_string();
            ["--host", "127.0.0.1", "--port", &port]
                .iter()
                .chain(args)
                .map(|s| (*s).to_owned())
                .collect()
        };
        let server = ServerProcess::launch(&Launch {
            name,
            program,
            ports: 1,
            args: &args,
            ready: &|port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            within,
        })?;
        Ok(crate::TestServer {
            url: url(server.port),
            processes: vec![server],
        })
    }

    /// Starts the server on free ports and waits until it is ready. When an attempt fails (the
    /// port was taken meanwhile, the server exited, or it did not answer in time), tries again on
    /// new ports; after the last attempt the error quotes every attempt and the server's log.
    pub fn launch(launch: &Launch<'_>) -> Result<Self, String> {
        let mut failures = Vec::new();
        for attempt in 1..=ATTEMPTS {
            let ports = distinct_free_ports(launch.ports)?;
            match Self::start_on(launch, &ports) {
                Ok(server) => return Ok(server),
                Err(failure) => failures.push(format!("attempt {attempt}: {failure}")),
            }
        }
        Err(format!(
            "{} could not be started in {ATTEMPTS} attempts:\n{}",
            launch.name,
            failures.join("\n")
        ))
    }

    /// Starts the server on exactly these ports (once, no retry) and waits until it is ready.
    pub fn start_on(launch: &Launch<'_>, ports: &[u16]) -> Result<Self, String> {
        let port = *ports.first().ok_or("a server needs at least one port")?;
        let dir = tempfile::Builder::new()
            .prefix("kv-test-server-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let log = File::create(log_path(dir.path()))
            .map_err(|e| format!("cannot create the server log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot share the server log: {e}"))?;
        let guard = Command::new("sh")
            .arg("-c")
            .arg(GUARD)
            .arg("server-guard")
            .arg(dir.path())
            .arg(launch.program)
            .args((launch.args)(ports, dir.path()))
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.name))?;
        let mut server = ServerProcess {
            guard: Some(guard),
            port,
            ports: ports.to_vec(),
            name: launch.name.to_owned(),
            dir,
        };
        let started = Instant::now();
        loop {
            if (launch.ready)(port) {
                return Ok(server);
            }
            if let Some(status) = server.exit_status() {
                return Err(format!(
                    "{} on port {port} exited ({status}) before it was ready; its log ends:\n{}",
                    server.name,
                    server.log_tail()
                ));
            }
            if started.elapsed() > launch.within {
                // The log first: stopping the server removes its directory.
                let log = server.log_tail();
                server.stop();
                return Err(format!(
                    "{} on port {port} was not ready after {:?}; its log ends:\n{log}",
                    server.name, launch.within,
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's scratch directory (removed when the handle is dropped).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last lines the server wrote to its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(log_path(self.dir.path())).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
        if tail.is_empty() {
            "  (the log is empty)".to_owned()
        } else {
            tail.iter()
                .map(|line| format!("  | {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
    }

    /// How the server exited, if it did.
    fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.guard
            .as_mut()
            .and_then(|g| g.try_wait().ok().flatten())
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

fn log_path(dir: &Path) -> PathBuf {
    dir.join("server.log")
}

/// `count` free ports, all different.
fn distinct_free_ports(count: usize) -> Result<Vec<u16>, String> {
    let mut ports: Vec<u16> = Vec::with_capacity(count);
    while ports.len() < count {
        let port = free_port()?;
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    Ok(ports)
}
