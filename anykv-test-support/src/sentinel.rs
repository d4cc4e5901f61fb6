//! Redis Sentinel: a master, one replica of it, and a sentinel monitoring them as
//! [`SENTINEL_MASTER`], each a Debian `redis-server` on free ports.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::process::{Launch, ServerProcess};
use crate::redis::{answers_ping, resp_command, server_args, RedisServer, READY_WITHIN};
use crate::TestServer;

/// The name the sentinel monitors the master under.
pub const SENTINEL_MASTER: &str = "anykv";

/// How long the replica and the sentinel may take to see each other.
const SETTLED_WITHIN: Duration = Duration::from_secs(120);

/// A master, a replica and a sentinel: its URL is `redis+sentinel://127.0.0.1:<sentinel
/// port>/anykv`, and its [`ports`](TestServer::ports) are the master's, the replica's and the
/// sentinel's, in that order. Returns once the replica is in sync and the sentinel knows it.
pub fn redis_sentinel() -> Result<TestServer, String> {
    let program = RedisServer::Debian.program()?;
    let master = launch(
        &program,
        "redis-server (sentinel's master)",
        &|ports, dir| server_args(ports[0], dir, &[]),
    )?;
    let master_port = master.port.to_string();
    let replica = launch(&program, "redis-server (replica)", &|ports, dir| {
        server_args(ports[0], dir, &["--replicaof", "127.0.0.1", &master_port])
    })?;
    let sentinel = launch(&program, "redis-server --sentinel", &|ports, dir| {
        let config = dir.join("sentinel.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndir {dir}\n\
             sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {master_port} 1\n\
             sentinel down-after-milliseconds {SENTINEL_MASTER} 2000\n\
             sentinel failover-timeout {SENTINEL_MASTER} 20000\n",
            port = ports[0],
            dir = dir.display()
        );
        // The sentinel rewrites its configuration file, so it lives in its own directory.
        if let Err(error) = std::fs::write(&config, text) {
            eprintln!("cannot write {}: {error}", config.display());
        }
        vec![config.display().to_string(), "--sentinel".to_owned()]
    })?;
    let deadline = Instant::now() + SETTLED_WITHIN;
    let replica_port = replica.port.to_string();
    while !resp_command(replica.port, "INFO replication").contains("master_link_status:up")
        || !resp_command(
            sentinel.port,
            &format!("SENTINEL REPLICAS {SENTINEL_MASTER}"),
        )
        .contains(&replica_port)
    {
        if Instant::now() > deadline {
            return Err(format!(
                "the replica and the sentinel did not settle within {SETTLED_WITHIN:?}:\n\
                 replica:\n{}\nsentinel:\n{}",
                replica.log_tail(),
                sentinel.log_tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(TestServer {
        url: format!(
            "redis+sentinel://127.0.0.1:{}/{SENTINEL_MASTER}",
            sentinel.port
        ),
        processes: vec![master, replica, sentinel],
    })
}

fn launch(
    program: &Path,
    name: &str,
    args: &dyn Fn(&[u16], &Path) -> Vec<String>,
) -> Result<ServerProcess, String> {
    ServerProcess::launch(&Launch {
        name,
        program,
        ports: 1,
        args,
        ready: &answers_ping,
        within: READY_WITHIN,
    })
}
