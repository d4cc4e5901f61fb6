//! `redis-server`: a standalone server and a 3-master cluster, of each [`RedisServer`] build.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::process::{Launch, ServerProcess};
use crate::tools::{find_program, find_tool, NATIVE_REDIS_HOW_TO_GET, REDIS_HOW_TO_GET};
use crate::TestServer;

/// A build of the server the Redis tests run on: the stores take another path where the server
/// expires hash fields itself, so the suites run on both kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisServer {
    /// Debian's `redis-server` (7.0): no hash-field expiry, so the hash store keeps expired
    /// fields until it purges them.
    Debian,
    /// Redis 8.2 (`.tools/redis8/redis-server`): expires hash fields itself, and deletes an
    /// expired field when a read meets it.
    Redis8,
    /// Valkey 9.1 (`.tools/valkey9/valkey-server`): expires hash fields itself, and hides an
    /// expired field from reads (still counted by `HLEN`) until its expiry cycle deletes it.
    Valkey9,
}

impl RedisServer {
    /// Every build, the default first.
    pub const ALL: [RedisServer; 3] = [
        RedisServer::Debian,
        RedisServer::Redis8,
        RedisServer::Valkey9,
    ];

    /// The build named by `STORAGE_TEST_REDIS_SERVER` (`debian`, `redis8` or `valkey9`), or
    /// Debian's when it is unset: the one [`redis`] and [`redis_cluster`] start.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("STORAGE_TEST_REDIS_SERVER") {
            Err(_) => Ok(RedisServer::Debian),
            Ok(name) => RedisServer::ALL
                .into_iter()
                .find(|server| server.name() == name)
                .ok_or_else(|| {
                    format!(
                        "STORAGE_TEST_REDIS_SERVER is {name:?}; it names one of debian, redis8, \
                         valkey9"
                    )
                }),
        }
    }

    /// Its name in `STORAGE_TEST_REDIS_SERVER`.
    pub fn name(self) -> &'static str {
        match self {
            RedisServer::Debian => "debian",
            RedisServer::Redis8 => "redis8",
            RedisServer::Valkey9 => "valkey9",
        }
    }

    /// Whether it expires hash fields itself (`HPEXPIRE`).
    pub fn expires_hash_fields(self) -> bool {
        self != RedisServer::Debian
    }

    pub(crate) fn program(self) -> Result<PathBuf, String> {
        match self {
            RedisServer::Debian => find_program("redis-server", REDIS_HOW_TO_GET),
            RedisServer::Redis8 => find_tool("redis8/redis-server", NATIVE_REDIS_HOW_TO_GET),
            RedisServer::Valkey9 => find_tool("valkey9/valkey-server", NATIVE_REDIS_HOW_TO_GET),
        }
    }
}

/// How long one `redis-server` may take to answer PING.
pub(crate) const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long a new cluster may take to reach `cluster_state:ok` on every node.
const CLUSTER_OK_WITHIN: Duration = Duration::from_secs(120);
/// How many times a whole cluster is built again before giving up.
const CLUSTER_ATTEMPTS: usize = 3;

/// A standalone server without persistence: the one of `STORAGE_TEST_REDIS_URL`, or one of
/// the build [`RedisServer::from_env`] names, started on a free port.
pub fn redis() -> Result<TestServer, String> {
    if let Ok(url) = std::env::var("STORAGE_TEST_REDIS_URL") {
        return Ok(TestServer::existing(url));
    }
    redis_on(RedisServer::from_env()?)
}

/// A standalone server of the build `server`, without persistence, started on a free port.
pub fn redis_on(server: RedisServer) -> Result<TestServer, String> {
    let process = start_server(server, None)?;
    Ok(TestServer {
        url: format!("redis://127.0.0.1:{}/0", process.port),
        processes: vec![process],
    })
}

/// Starts a standalone server of the build [`RedisServer::from_env`] names, without
/// persistence: on `port` exactly (once), or on a free port (with retries) when `None`.
pub fn start_redis(port: Option<u16>) -> Result<ServerProcess, String> {
    start_server(RedisServer::from_env()?, port)
}

fn start_server(server: RedisServer, port: Option<u16>) -> Result<ServerProcess, String> {
    let program = server.program()?;
    let args = |ports: &[u16], dir: &Path| server_args(ports[0], dir, &[]);
    let launch = Launch {
        name: server.name(),
        program: &program,
        ports: 1,
        args: &args,
        ready: &answers_ping,
        within: READY_WITHIN,
    };
    match port {
        Some(port) => ServerProcess::start_on(&launch, &[port]),
        None => ServerProcess::launch(&launch),
    }
}

/// A standalone server listening on a Unix socket in its own directory (and, for the
/// readiness check, on a free TCP port): its URL is `redis+unix:///…/redis.sock`.
pub fn redis_unix() -> Result<TestServer, String> {
    let program = RedisServer::from_env()?.program()?;
    let args = |ports: &[u16], dir: &Path| {
        let socket = dir.join("redis.sock").display().to_string();
        server_args(
            ports[0],
            dir,
            &["--unixsocket", &socket, "--unixsocketperm", "700"],
        )
    };
    let launch = Launch {
        name: "redis-server (unix socket)",
        program: &program,
        ports: 1,
        args: &args,
        ready: &answers_ping,
        within: READY_WITHIN,
    };
    let server = ServerProcess::launch(&launch)?;
    let socket = server.dir().join("redis.sock");
    let deadline = Instant::now() + READY_WITHIN;
    while !socket.exists() {
        if Instant::now() > deadline {
            return Err(format!(
                "redis-server made no socket at {} within {READY_WITHIN:?}:\n{}",
                socket.display(),
                server.log_tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(TestServer {
        url: format!("redis+unix://{}", socket.display()),
        processes: vec![server],
    })
}

/// A 3-master cluster without replicas: the one of `STORAGE_TEST_REDIS_CLUSTER_URL`
/// (`redis+cluster://host:port,host:port,…`), or one of the build [`RedisServer::from_env`]
/// names, started on free ports.
pub fn redis_cluster() -> Result<TestServer, String> {
    if let Ok(url) = std::env::var("STORAGE_TEST_REDIS_CLUSTER_URL") {
        return Ok(TestServer::existing(url));
    }
    redis_cluster_on(RedisServer::from_env()?)
}

/// A 3-master cluster of the build `server`, without replicas, started on free ports.
pub fn redis_cluster_on(server: RedisServer) -> Result<TestServer, String> {
    build_cluster(server, None)
}

/// A 3-master cluster, in up to [`CLUSTER_ATTEMPTS`] attempts.
pub(crate) fn build_cluster(
    server: RedisServer,
    tls: Option<&ClusterTls>,
) -> Result<TestServer, String> {
    let mut failures = Vec::new();
    for attempt in 1..=CLUSTER_ATTEMPTS {
        match start_cluster_with(server, tls) {
            Ok(cluster) => return Ok(cluster),
            Err(failure) => failures.push(format!("attempt {attempt}: {failure}")),
        }
    }
    Err(format!(
        "the test Redis Cluster could not be built in {CLUSTER_ATTEMPTS} attempts:\n{}",
        failures.join("\n")
    ))
}

/// The TLS settings of a cluster's nodes: their arguments, and `redis-cli`'s.
pub(crate) struct ClusterTls {
    /// `redis-server` arguments beyond the TLS port (certificates, `--tls-cluster yes`, …).
    pub(crate) server_args: Vec<String>,
    /// `redis-cli` arguments to reach the nodes over TLS.
    pub(crate) cli_args: Vec<String>,
}

/// Builds a 3-master cluster; with `tls`, clients reach the nodes over TLS only on their third
/// port (the first, plain, answers the harness's readiness checks on loopback).
pub(crate) fn start_cluster_with(
    server: RedisServer,
    tls: Option<&ClusterTls>,
) -> Result<TestServer, String> {
    let program = server.program()?;
    let cli = find_program("redis-cli", REDIS_HOW_TO_GET)?;
    // Each node gets two free ports: clients use the first, the cluster bus the second (by
    // default the bus is port + 10000, which may be taken or past 65535); a TLS node a third.
    let args = |ports: &[u16], dir: &Path| {
        let bus = ports[1].to_string();
        let config = format!("nodes-{}.conf", ports[0]);
        let mut extra = vec![
            "--cluster-enabled".to_owned(),
            "yes".to_owned(),
            "--cluster-config-file".to_owned(),
            config,
            "--cluster-node-timeout".to_owned(),
            "5000".to_owned(),
            "--cluster-port".to_owned(),
            bus,
        ];
        if let (Some(tls), Some(tls_port)) = (tls, ports.get(2)) {
            extra.extend(["--tls-port".to_owned(), tls_port.to_string()]);
            extra.extend(tls.server_args.iter().cloned());
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        server_args(ports[0], dir, &extra)
    };
    let launch = Launch {
        name: "redis-server (cluster node)",
        program: &program,
        ports: if tls.is_some() { 3 } else { 2 },
        args: &args,
        ready: &answers_ping,
        within: READY_WITHIN,
    };
    let servers = (0..3)
        .map(|_| ServerProcess::launch(&launch))
        .collect::<Result<Vec<_>, _>>()?;
    let client_port = |s: &ServerProcess| match tls {
        Some(_) => s.ports.get(2).copied().unwrap_or(s.port),
        None => s.port,
    };
    let nodes: Vec<String> = servers
        .iter()
        .map(|s| format!("127.0.0.1:{}", client_port(s)))
        .collect();
    let created = std::process::Command::new(cli)
        .args(["--cluster", "create"])
        .args(&nodes)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .args(tls.map(|tls| tls.cli_args.clone()).unwrap_or_default())
        .output()
        .map_err(|e| format!("redis-cli --cluster create: {e}"))?;
    if !created.status.success() {
        return Err(format!(
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&created.stdout),
            String::from_utf8_lossy(&created.stderr)
        ));
    }
    let started = Instant::now();
    while !servers
        .iter()
        .all(|s| resp_command(s.port, "CLUSTER INFO").contains("cluster_state:ok"))
    {
        if started.elapsed() > CLUSTER_OK_WITHIN {
            let logs: Vec<String> = servers
                .iter()
                .map(|s| format!("node on port {}:\n{}", s.port, s.log_tail()))
                .collect();
            return Err(format!(
                "the cluster did not reach cluster_state:ok within {CLUSTER_OK_WITHIN:?}:\n{}",
                logs.join("\n")
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let scheme = if tls.is_some() {
        "rediss+cluster"
    } else {
        "redis+cluster"
    };
    Ok(TestServer {
        url: format!("{scheme}://{}", nodes.join(",")),
        processes: servers,
    })
}

pub(crate) fn server_args(port: u16, dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--protected-mode",
        "no",
        "--dir",
        &dir.display().to_string(),
        // Lets a test pause active expiry (`DEBUG SET-ACTIVE-EXPIRE 0`), over loopback only.
        "--enable-debug-command",
        "local",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

pub(crate) fn answers_ping(port: u16) -> bool {
    resp_command(port, "PING").starts_with("+PONG")
}

/// Sends one inline command to a RESP server on 127.0.0.1 and returns the first reply chunk
/// (or "" when the server does not answer).
pub fn resp_command(port: u16, command: &str) -> String {
    let attempt = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(format!("{command}\r\n").as_bytes())?;
        let mut reply = vec![0u8; 4096];
        let n = stream.read(&mut reply)?;
        Ok(String::from_utf8_lossy(&reply[..n]).into_owned())
    };
    attempt().unwrap_or_default()
}
