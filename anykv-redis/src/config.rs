//! [`RedisOptions`]: how to reach the server or cluster, from a URL, options or the environment.

use std::path::PathBuf;
use std::time::Duration;

use anykv_core::{Error, Namespace, Result, StoreUrl};
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};

/// Where and how to connect.
///
/// Precedence: an explicit option (a builder call or a URL) wins over the environment
/// (`REDIS_SERVICE_HOST`, `REDIS_SERVICE_PORT`, `REDIS_SERVICE_DB`, `REDIS_SERVICE_PASSWORD`),
/// which wins over the default `localhost:6379`, db 0.
///
/// ```
/// use anykv_redis::RedisOptions;
/// let standalone = RedisOptions::from_url("redis://:secret@127.0.0.1:6380/2")?;
/// let cluster = RedisOptions::from_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7000")?;
/// assert!(cluster.cluster && !standalone.cluster);
/// # Ok::<(), anykv_core::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct RedisOptions {
    /// `host:port` of the server, or of the cluster's seed nodes (the socket path for a Unix
    /// socket).
    pub nodes: Vec<String>,
    /// A Unix socket to connect to instead of TCP.
    pub unix_socket: Option<PathBuf>,
    /// Whether `nodes` belong to a Redis Cluster.
    pub cluster: bool,
    /// The master is found through Redis Sentinel: `nodes` are then the sentinels.
    pub sentinel: Option<Sentinel>,
    /// The database number (standalone only).
    pub db: i64,
    /// ACL user name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// TLS (`rediss://`), needs the `tls` feature.
    pub tls: bool,
    /// Certificates for TLS beyond the system's roots: a CA of your own, a client certificate.
    pub tls_certificates: TlsPem,
    /// The namespace of the store.
    pub namespace: String,
    /// The first part of every server key of the store, before the namespace: `None` for the
    /// defaults `kv` (`kv:<namespace>:<key>`) and `kvh` (the hash `kvh:<namespace>`). Letters,
    /// digits, `_`, `-` and `.` only, so no two configurations' keys meet.
    pub key_prefix: Option<String>,
    /// The connection of a client the application made ([`from_client`](Self::from_client)),
    /// used as it is (its TLS settings included) for its server.
    pub(crate) client_info: Option<Box<redis::ConnectionInfo>>,
    /// How long to wait for a connection (default 2 s).
    pub connect_timeout: Duration,
    /// How long to wait for a reply (default 5 s); past it a call fails with a retryable error.
    pub response_timeout: Duration,
    /// The most blocking connections the sync face opens for single-key and bulk calls
    /// (default 16); callers beyond it wait for one to come back, for up to the connect timeout
    /// plus the response timeout. (Scans open one more per master while they run.)
    pub max_sync_connections: usize,
}

/// A master found through Redis Sentinel: the store asks the sentinels (the options' `nodes`)
/// for the master's address when it connects, checks that the server it reaches is a master,
/// and asks again after a failover (a lost connection, or a `READONLY` answer from a demoted
/// master).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sentinel {
    /// The name the sentinels monitor the master under (`sentinel monitor <name> …`).
    pub master: String,
    /// The sentinels' password, when they ask for one (`requirepass` of the sentinels); the
    /// options' user and password are the master's.
    pub password: Option<String>,
}

impl Sentinel {
    /// The master monitored as `master`.
    pub fn new(master: impl Into<String>) -> Self {
        Sentinel {
            master: master.into(),
            password: None,
        }
    }

    /// The sentinels' password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
}

impl std::fmt::Debug for Sentinel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sentinel")
            .field("master", &self.master)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Certificates (PEM) for TLS connections beyond the system's roots (feature `tls`).
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsPem {
    /// The CA certificate(s) the server's certificate must chain to, instead of the system's
    /// roots (a private CA).
    pub ca: Option<Vec<u8>>,
    /// A client certificate and its private key, for servers that ask for one
    /// (`tls-auth-clients yes`).
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsPem {
    /// Whether any certificate is set.
    pub fn is_set(&self) -> bool {
        self.ca.is_some() || self.client.is_some()
    }
}

impl std::fmt::Debug for TlsPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsPem")
            .field("ca", &self.ca.as_ref().map(|_| "<set>"))
            .field("client", &self.client.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Reads a PEM file named by a URL parameter; errors name the file, never its content.
fn read_pem(url: &StoreUrl, parameter: &str, path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| url.error(format!("{parameter}: cannot read {path}: {e}")))
}

/// The default of [`RedisOptions::max_sync_connections`].
pub const DEFAULT_MAX_SYNC_CONNECTIONS: usize = 16;

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("nodes", &self.nodes)
            .field("unix_socket", &self.unix_socket)
            .field("cluster", &self.cluster)
            .field("sentinel", &self.sentinel)
            .field("db", &self.db)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .field("tls_certificates", &self.tls_certificates)
            .field("namespace", &self.namespace)
            .field("key_prefix", &self.key_prefix)
            .field("max_sync_connections", &self.max_sync_connections)
            .finish()
    }
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self::from_env()
    }
}

const DEFAULT_HOST: &str = "localhost";
const DEFAULT_PORT: u16 = 6379;

impl RedisOptions {
    /// The environment's `REDIS_SERVICE_*` variables over the defaults.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) with a custom variable lookup (for tests and embedding).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let host = lookup("REDIS_SERVICE_HOST").unwrap_or_else(|| DEFAULT_HOST.to_owned());
        let port = lookup("REDIS_SERVICE_PORT")
            .and_then(|p| p.parse().ok())
            .unwrap_or(DEFAULT_PORT);
        RedisOptions {
            nodes: vec![format!("{host}:{port}")],
            unix_socket: None,
            cluster: false,
            sentinel: None,
            db: lookup("REDIS_SERVICE_DB")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
            username: None,
            password: lookup("REDIS_SERVICE_PASSWORD").filter(|p| !p.is_empty()),
            tls: false,
            tls_certificates: TlsPem::default(),
            client_info: None,
            namespace: Namespace::DEFAULT.to_owned(),
            key_prefix: None,
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(5),
            max_sync_connections: DEFAULT_MAX_SYNC_CONNECTIONS,
        }
    }

    /// Options from a URL:
    ///
    /// - `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS, feature `tls`);
    /// - `redis+cluster://[user:password@]host:port,host:port,…` (and `rediss+cluster://`):
    ///   a cluster through its seed nodes;
    /// - `redis+unix:///path/to/redis.sock` (or `unix:///…`): a Unix socket, the database in
    ///   the `db` parameter;
    /// - `redis+sentinel://host:26379,host:26380/mymaster[/db]` (and `rediss+sentinel://`): the
    ///   master the sentinels monitor as `mymaster` (`sentinel_password` if they ask for one;
    ///   the credentials are the master's).
    ///
    /// Credentials are percent-decoded. Parameters: `namespace`, `db`, `connect_timeout`,
    /// `response_timeout` (`250ms`, `5s`), `max_sync_connections`, `key_prefix`, and for
    /// `rediss://` `tls_ca_file` (a PEM file of the CA to trust instead of the system's roots)
    /// with `tls_cert_file` + `tls_key_file` (a client certificate and its key). Another scheme, an unknown
    /// parameter or a bad value is an error naming it, with the password hidden.
    pub fn from_url(url: &str) -> Result<Self> {
        StoreUrl::read(url, Self::from_store_url)
    }

    /// Like [`from_url`](Self::from_url), taking its parameters from `url` and leaving the
    /// rest there (for a caller that takes parameters of its own, then calls
    /// [`StoreUrl::finish`]).
    pub fn from_store_url(url: &mut StoreUrl) -> Result<Self> {
        let (tls, cluster, unix) = match url.scheme() {
            "redis" | "redis+sentinel" => (false, false, false),
            "rediss" | "rediss+sentinel" => (true, false, false),
            "redis+cluster" | "redis-cluster" => (false, true, false),
            "rediss+cluster" | "rediss-cluster" => (true, true, false),
            "redis+unix" | "unix" => (false, false, true),
            _ => {
                return Err(url.error(
                    "the scheme must be redis, rediss, redis+cluster, rediss+cluster, \
                     redis+sentinel, rediss+sentinel or redis+unix",
                ))
            }
        };
        let sentinel = url.scheme().ends_with("+sentinel");
        let mut options = Self::from_lookup(|_| None);
        options.tls = tls;
        options.cluster = cluster;
        options.username = url.username()?;
        options.password = url.password()?;
        if unix {
            let socket = url.file_path()?;
            options.nodes = vec![socket.display().to_string()];
            options.unix_socket = Some(socket);
        } else {
            options.nodes = url
                .hosts()
                .into_iter()
                .map(|host| match url_port_given(&host) {
                    true => host,
                    false => format!("{host}:{DEFAULT_PORT}"),
                })
                .collect();
            if options.nodes.is_empty() {
                return Err(url.error("no host"));
            }
            if !cluster && !sentinel && options.nodes.len() > 1 {
                return Err(url.error("several hosts need the redis+cluster:// scheme"));
            }
            let path = url.url().path().trim_start_matches('/').to_owned();
            if sentinel {
                // `redis+sentinel://s1:26379,s2:26379/<master name>[/<db>]`
                let (master, db) = match path.split_once('/') {
                    Some((master, db)) => (master, Some(db)),
                    None => (path.as_str(), None),
                };
                if master.is_empty() {
                    return Err(url.error(
                        "redis+sentinel:// needs the master's name as its path: \
                         redis+sentinel://host:26379/mymaster",
                    ));
                }
                let mut found = Sentinel::new(master);
                found.password = url.take("sentinel_password");
                options.sentinel = Some(found);
                if let Some(db) = db.filter(|db| !db.is_empty()) {
                    options.db = db.parse().map_err(|_| {
                        url.error("the path after the master must be a database number")
                    })?;
                }
            } else if !path.is_empty() {
                if cluster {
                    return Err(url.error("a cluster has no database number: drop the path"));
                }
                options.db = path
                    .parse()
                    .map_err(|_| url.error("the path must be a database number"))?;
            }
        }
        let db = url.take_parsed("db", "a database number", |db| db.parse().ok())?;
        if let Some(db) = db {
            if cluster {
                return Err(url.error("a cluster has no database number: drop db"));
            }
            options.db = db;
        }
        if let Some(namespace) = url.take("namespace") {
            options.namespace = namespace;
        }
        if let Some(prefix) = url.take("key_prefix") {
            check_key_prefix(&prefix).map_err(|why| url.error(why))?;
            options.key_prefix = Some(prefix);
        }
        if let Some(timeout) = url.take_duration("connect_timeout")? {
            options.connect_timeout = timeout;
        }
        if let Some(timeout) = url.take_duration("response_timeout")? {
            options.response_timeout = timeout;
        }
        if let Some(max) = url.take_usize("max_sync_connections")? {
            options = options.max_sync_connections(max);
        }
        let ca = url.take("tls_ca_file");
        let cert = url.take("tls_cert_file");
        let key = url.take("tls_key_file");
        if (ca.is_some() || cert.is_some() || key.is_some()) && !tls {
            return Err(url.error("tls_ca_file, tls_cert_file and tls_key_file need rediss://"));
        }
        if let Some(ca) = ca {
            options.tls_certificates.ca = Some(read_pem(url, "tls_ca_file", &ca)?);
        }
        match (cert, key) {
            (Some(cert), Some(key)) => {
                let cert = read_pem(url, "tls_cert_file", &cert)?;
                let key = read_pem(url, "tls_key_file", &key)?;
                options.tls_certificates.client = Some((cert, key));
            }
            (None, None) => {}
            _ => return Err(url.error("tls_cert_file and tls_key_file go together")),
        }
        Ok(options)
    }

    /// The server an existing [`redis::Client`] points at (TCP, TLS or a Unix socket).
    pub fn from_client(client: &redis::Client) -> Result<Self> {
        let info = client.get_connection_info();
        let mut options = Self::from_lookup(|_| None);
        let (node, tls) = match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => (format!("{host}:{port}"), false),
            redis::ConnectionAddr::TcpTls { host, port, .. } => (format!("{host}:{port}"), true),
            redis::ConnectionAddr::Unix(path) => {
                options.unix_socket = Some(path.clone());
                (path.display().to_string(), false)
            }
            other => {
                return Err(Error::Config(format!(
                    "unsupported redis address {other:?}"
                )))
            }
        };
        let settings = info.redis_settings();
        options.client_info = Some(Box::new(info.clone()));
        options.nodes = vec![node];
        options.tls = tls;
        options.db = settings.db();
        options.username = settings.username().map(str::to_owned);
        options.password = settings.password().map(str::to_owned);
        Ok(options)
    }

    /// Trusts `ca_pem` (PEM: one or more CA certificates) for the server's certificate instead
    /// of the system's roots (TLS, feature `tls`).
    pub fn tls_ca(mut self, ca_pem: impl Into<Vec<u8>>) -> Self {
        self.tls_certificates.ca = Some(ca_pem.into());
        self
    }

    /// Presents `cert_pem` with its private key `key_pem` to servers that ask for a client
    /// certificate (TLS, feature `tls`).
    pub fn tls_client_certificate(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls_certificates.client = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// The master monitored as `master` by the sentinels at `sentinels` (`host:port`).
    pub fn sentinel(mut self, sentinels: &[&str], sentinel: Sentinel) -> Self {
        self.nodes = sentinels.iter().map(|node| (*node).to_owned()).collect();
        self.unix_socket = None;
        self.cluster = false;
        self.sentinel = Some(sentinel);
        self
    }

    /// One standalone server.
    pub fn host(mut self, host: &str, port: u16) -> Self {
        self.nodes = vec![format!("{host}:{port}")];
        self.unix_socket = None;
        self.cluster = false;
        self.sentinel = None;
        self
    }

    /// One standalone server behind a Unix socket.
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        self.nodes = vec![path.display().to_string()];
        self.unix_socket = Some(path);
        self.cluster = false;
        self.sentinel = None;
        self
    }

    /// A cluster reached through these seed nodes (`host:port`).
    pub fn cluster_nodes(mut self, nodes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.nodes = nodes.into_iter().map(Into::into).collect();
        self.unix_socket = None;
        self.cluster = true;
        self.sentinel = None;
        self
    }

    /// The database number.
    pub fn db(mut self, db: i64) -> Self {
        self.db = db;
        self
    }

    /// The password (and optionally the ACL user).
    pub fn password(mut self, username: Option<&str>, password: &str) -> Self {
        self.username = username.map(str::to_owned);
        self.password = Some(password.to_owned());
        self
    }

    /// The namespace of the store.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The first part of every server key (see [`key_prefix`](Self::key_prefix)); checked
    /// when a store is made.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// The key prefix of a store whose default is `default`, checked.
    pub(crate) fn key_prefix_or(&self, default: &'static str) -> Result<&str> {
        match &self.key_prefix {
            Some(prefix) => {
                check_key_prefix(prefix).map_err(Error::Config)?;
                Ok(prefix)
            }
            None => Ok(default),
        }
    }

    /// The most blocking connections the sync face keeps (default 16, at least 1).
    pub fn max_sync_connections(mut self, max: usize) -> Self {
        self.max_sync_connections = max.max(1);
        self
    }

    /// The connect and response timeouts.
    pub fn timeouts(mut self, connect: Duration, response: Duration) -> Self {
        self.connect_timeout = connect;
        self.response_timeout = response;
        self
    }

    /// The driver's connection settings for one node (`host:port`, ignored for a Unix socket):
    /// address, TLS, credentials and database, without writing a URL.
    pub(crate) fn connection_info(&self, node: &str) -> Result<ConnectionInfo> {
        if let Some(info) = &self.client_info {
            if self.nodes.first().is_some_and(|first| first == node) {
                return Ok((**info).clone());
            }
        }
        let addr = match &self.unix_socket {
            Some(socket) => ConnectionAddr::Unix(socket.clone()),
            None => {
                let (host, port) = split_node(node).ok_or_else(|| {
                    Error::Config(format!("redis node {node:?} is not host:port"))
                })?;
                self.tcp_address(host, port)
            }
        };
        let mut settings = RedisConnectionInfo::default();
        if !self.cluster {
            settings = settings.set_db(self.db);
        }
        if let Some(username) = &self.username {
            settings = settings.set_username(username);
        }
        if let Some(password) = &self.password {
            settings = settings.set_password(password);
        }
        let info = addr
            .into_connection_info()
            .map_err(crate::error::redis_error("connect"))?;
        Ok(info.set_redis_settings(settings))
    }

    /// `host:port` over TCP, or over TLS for `rediss://`.
    fn tcp_address(&self, host: String, port: u16) -> ConnectionAddr {
        if self.tls {
            ConnectionAddr::TcpTls {
                host,
                port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(host, port)
        }
    }

    /// How to reach the sentinel `node` (`host:port`): TCP, or TLS with the options'
    /// certificates for `rediss+sentinel://`, with the sentinels' password; no database.
    pub(crate) fn sentinel_info(&self, node: &str) -> Result<ConnectionInfo> {
        let (host, port) = split_node(node)
            .ok_or_else(|| Error::Config(format!("sentinel {node:?} is not host:port")))?;
        let addr = self.tcp_address(host, port);
        let mut settings = RedisConnectionInfo::default();
        if let Some(password) = self.sentinel.as_ref().and_then(|s| s.password.as_ref()) {
            settings = settings.set_password(password);
        }
        let info = addr
            .into_connection_info()
            .map_err(crate::error::redis_error("connect"))?;
        Ok(info.set_redis_settings(settings))
    }

    /// What connection errors name: the server (`host:port` or the socket's path), or the
    /// cluster's seed nodes. Never a password.
    pub(crate) fn target(&self) -> String {
        if let Some(sentinel) = &self.sentinel {
            return format!(
                "master {:?} of sentinels {}",
                sentinel.master,
                self.nodes.join(",")
            );
        }
        match (&self.unix_socket, self.cluster) {
            (Some(socket), _) => socket.display().to_string(),
            (None, true) => format!("cluster {}", self.nodes.join(",")),
            (None, false) => self.nodes.join(","),
        }
    }
}

/// Why `prefix` cannot start server keys, if it cannot: it must be 1-64 letters, digits, `_`,
/// `-` or `.` (no `:`, which separates the namespace; no glob or hash-tag characters).
fn check_key_prefix(prefix: &str) -> std::result::Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if prefix.is_empty() || prefix.len() > 64 || !prefix.chars().all(allowed) {
        return Err(format!(
            "key_prefix {prefix:?} must be 1 to 64 letters, digits, '_', '-' or '.'"
        ));
    }
    Ok(())
}

/// `host:port`, `[v6]:port`, `host` or `[v6]` as the host (without brackets) and the port
/// (6379 when none is given).
fn split_node(node: &str) -> Option<(String, u16)> {
    let (host, port) = match node.rfind(']') {
        Some(bracket) => {
            let host = node.get(1..bracket).filter(|_| node.starts_with('['))?;
            (host, node[bracket + 1..].strip_prefix(':'))
        }
        None => match node.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (node, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => DEFAULT_PORT,
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// Whether `host` (`name`, `name:port`, `[v6]` or `[v6]:port`) names its port.
fn url_port_given(host: &str) -> bool {
    match host.rfind(']') {
        Some(bracket) => host[bracket..].contains(':'),
        None => host.contains(':'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() -> Result<()> {
        let o = RedisOptions::from_url("redis://user:p%40ss@h:7/3")?;
        assert_eq!(
            (
                o.nodes.clone(),
                o.db,
                o.username.clone(),
                o.password.clone()
            ),
            (
                vec!["h:7".to_owned()],
                3,
                Some("user".to_owned()),
                Some("p@ss".to_owned())
            )
        );
        let info = o.connection_info("h:7")?;
        assert_eq!(info.addr(), &ConnectionAddr::Tcp("h".into(), 7));
        let settings = info.redis_settings();
        assert_eq!(
            (settings.db(), settings.username(), settings.password()),
            (3, Some("user"), Some("p@ss"))
        );
        let c = RedisOptions::from_url("redis+cluster://a:1,b:2?namespace=pages")?;
        assert!(c.cluster && c.nodes == ["a:1", "b:2"] && c.namespace == "pages");
        let defaults = RedisOptions::from_url("redis://cache.local")?;
        assert_eq!(
            (defaults.nodes, defaults.db),
            (vec!["cache.local:6379".to_owned()], 0)
        );
        let tuned = RedisOptions::from_url(
            "redis://[::1]:7000/2?connect_timeout=250ms&response_timeout=3s&max_sync_connections=4",
        )?;
        assert_eq!(
            (
                tuned.nodes,
                tuned.db,
                tuned.connect_timeout,
                tuned.response_timeout
            ),
            (
                vec!["[::1]:7000".to_owned()],
                2,
                Duration::from_millis(250),
                Duration::from_secs(3)
            )
        );
        assert_eq!(tuned.max_sync_connections, 4);
        let unix = RedisOptions::from_url("redis+unix:///run/redis%20x/redis.sock?db=5")?;
        assert_eq!(
            (unix.unix_socket.clone(), unix.db),
            (Some(PathBuf::from("/run/redis x/redis.sock")), 5)
        );
        let info = unix.connection_info("ignored")?;
        assert_eq!(
            (info.addr(), info.redis_settings().db()),
            (&ConnectionAddr::Unix("/run/redis x/redis.sock".into()), 5)
        );
        let v6 = o.connection_info("[::1]:7000")?;
        assert_eq!(v6.addr(), &ConnectionAddr::Tcp("::1".into(), 7000));
        assert_eq!(split_node("h"), Some(("h".into(), DEFAULT_PORT)));
        assert_eq!(split_node("[::1]"), Some(("::1".into(), DEFAULT_PORT)));
        assert_eq!(split_node("h:x"), None);
        assert_eq!(split_node(":1"), None);
        Ok(())
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() -> Result<()> {
        let error = |url: &str| {
            RedisOptions::from_url(url)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(error("http://x").contains("scheme must be"));
        assert!(error("redis://a:1,b:2").contains("redis+cluster"));
        assert!(error("redis://h/notanumber").contains("database number"));
        assert!(error("redis+cluster://a:1,b:2/3").contains("no database number"));
        let unknown = error("redis://u:hunter2@h/0?pool=3");
        assert!(unknown.contains("\"pool\"") && unknown.contains("max_sync_connections"));
        assert!(!unknown.contains("hunter2"), "{unknown}");
        assert!(error("redis://h?response_timeout=5").contains("response_timeout"));
        for bad in ["", "a:b", "a*", "{tag}", "x y"] {
            let said = error(&format!("redis://h?key_prefix={bad}"));
            assert!(said.contains("key_prefix"), "{bad:?}: {said}");
        }
        let tuned = RedisOptions::from_url("redis://h?key_prefix=app.cache-2")?;
        assert_eq!(tuned.key_prefix_or("kv")?, "app.cache-2");
        Ok(())
    }

    #[test]
    fn explicit_beats_environment_beats_default() {
        let env = |name: &str| match name {
            "REDIS_SERVICE_HOST" => Some("envhost".to_owned()),
            "REDIS_SERVICE_PORT" => Some("7000".to_owned()),
            "REDIS_SERVICE_DB" => Some("4".to_owned()),
            "REDIS_SERVICE_PASSWORD" => Some("envpass".to_owned()),
            _ => None,
        };
        let from_env = RedisOptions::from_lookup(env);
        assert_eq!(
            (
                from_env.nodes.clone(),
                from_env.db,
                from_env.password.clone()
            ),
            (
                vec!["envhost:7000".to_owned()],
                4,
                Some("envpass".to_owned())
            )
        );
        let explicit = RedisOptions::from_lookup(env).host("explicit", 1).db(0);
        assert_eq!(
            (explicit.nodes.clone(), explicit.db),
            (vec!["explicit:1".to_owned()], 0)
        );
        let default = RedisOptions::from_lookup(|_| None);
        assert_eq!(
            (default.nodes.clone(), default.db, default.password),
            (vec!["localhost:6379".to_owned()], 0, None)
        );
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let o = RedisOptions::from_lookup(|_| None).password(None, "hunter2");
        assert!(!format!("{o:?}").contains("hunter2"));
    }
}
