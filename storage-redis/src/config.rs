//! [`RedisOptions`]: how to reach the server or cluster, from a URL, options or the environment.

use std::time::Duration;

use storage_core::{Error, Namespace, Result};

/// Where and how to connect.
///
/// Precedence: an explicit option (a builder call or a URL) wins over the environment
/// (`REDIS_SERVICE_HOST`, `REDIS_SERVICE_PORT`, `REDIS_SERVICE_DB`, `REDIS_SERVICE_PASSWORD`),
/// which wins over the default `localhost:6379`, db 0.
///
/// ```
/// use storage_redis::RedisOptions;
/// let standalone = RedisOptions::from_url("redis://:secret@127.0.0.1:6380/2")?;
/// let cluster = RedisOptions::from_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7000")?;
/// assert!(cluster.cluster && !standalone.cluster);
/// # Ok::<(), storage_core::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct RedisOptions {
    /// `host:port` of the server, or of the cluster's seed nodes.
    pub nodes: Vec<String>,
    /// Whether `nodes` belong to a Redis Cluster.
    pub cluster: bool,
    /// The database number (standalone only).
    pub db: i64,
    /// ACL user name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// TLS (`rediss://`), needs the `tls` feature.
    pub tls: bool,
    /// The namespace of the store.
    pub namespace: String,
    /// How long to wait for a connection (default 2 s).
    pub connect_timeout: Duration,
    /// How long to wait for a reply (default 5 s); past it a call fails with a retryable error.
    pub response_timeout: Duration,
    /// The most blocking connections the sync face opens for single-key and bulk calls
    /// (default 8); callers beyond it wait for one to come back, for up to the connect timeout
    /// plus the response timeout. (Scans open one more per master while they run.)
    pub max_sync_connections: usize,
}

/// The default of [`RedisOptions::max_sync_connections`].
pub const DEFAULT_MAX_SYNC_CONNECTIONS: usize = 8;

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("nodes", &self.nodes)
            .field("cluster", &self.cluster)
            .field("db", &self.db)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .field("namespace", &self.namespace)
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
            cluster: false,
            db: lookup("REDIS_SERVICE_DB")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
            username: None,
            password: lookup("REDIS_SERVICE_PASSWORD").filter(|p| !p.is_empty()),
            tls: false,
            namespace: Namespace::DEFAULT.to_owned(),
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(5),
            max_sync_connections: DEFAULT_MAX_SYNC_CONNECTIONS,
        }
    }

    /// Parses `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS), or
    /// `redis+cluster://[user:password@]host:port,host:port` (and `rediss+cluster://`).
    pub fn from_url(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::Config(format!("invalid redis URL: {why}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("missing scheme"))?;
        let (tls, cluster) = match scheme {
            "redis" => (false, false),
            "rediss" => (true, false),
            "redis+cluster" | "redis-cluster" => (false, true),
            "rediss+cluster" | "rediss-cluster" => (true, true),
            _ => {
                return Err(bad(
                    "scheme must be redis, rediss, redis+cluster or rediss+cluster",
                ))
            }
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((credentials, hosts)) => (Some(credentials), hosts),
            None => (None, authority),
        };
        let mut options = Self::from_lookup(|_| None);
        options.tls = tls;
        options.cluster = cluster;
        if let Some(credentials) = credentials {
            let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
            options.username = (!user.is_empty())
                .then(|| percent_decode(user))
                .transpose()?;
            options.password = (!password.is_empty())
                .then(|| percent_decode(password))
                .transpose()?;
        }
        options.nodes = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| {
                if h.contains(':') {
                    h.to_owned()
                } else {
                    format!("{h}:{DEFAULT_PORT}")
                }
            })
            .collect();
        if options.nodes.is_empty() {
            return Err(bad("no host"));
        }
        if !cluster && options.nodes.len() > 1 {
            return Err(bad("several hosts need the redis+cluster:// scheme"));
        }
        let db = path.split('?').next().unwrap_or("");
        if !db.is_empty() {
            options.db = db
                .parse()
                .map_err(|_| bad("the path must be a database number"))?;
        }
        Ok(options)
    }

    /// The server an existing [`redis::Client`] points at (TCP or TLS; not Unix sockets).
    pub fn from_client(client: &redis::Client) -> Result<Self> {
        let info = client.get_connection_info();
        let (node, tls) = match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => (format!("{host}:{port}"), false),
            redis::ConnectionAddr::TcpTls { host, port, .. } => (format!("{host}:{port}"), true),
            other => {
                return Err(Error::Config(format!(
                    "unsupported redis address {other:?}"
                )))
            }
        };
        let settings = info.redis_settings();
        let mut options = Self::from_lookup(|_| None);
        options.nodes = vec![node];
        options.tls = tls;
        options.db = settings.db();
        options.username = settings.username().map(str::to_owned);
        options.password = settings.password().map(str::to_owned);
        Ok(options)
    }

    /// One standalone server.
    pub fn host(mut self, host: &str, port: u16) -> Self {
        self.nodes = vec![format!("{host}:{port}")];
        self.cluster = false;
        self
    }

    /// A cluster reached through these seed nodes (`host:port`).
    pub fn cluster_nodes(mut self, nodes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.nodes = nodes.into_iter().map(Into::into).collect();
        self.cluster = true;
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

    /// The most blocking connections the sync face keeps (default 8, at least 1).
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

    /// The URL of one node, with credentials and database, as the driver takes it.
    pub(crate) fn node_url(&self, node: &str) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let credentials = match (&self.username, &self.password) {
            (None, None) => String::new(),
            (user, password) => format!(
                "{}:{}@",
                percent_encode(user.as_deref().unwrap_or("")),
                percent_encode(password.as_deref().unwrap_or(""))
            ),
        };
        let db = if self.cluster {
            String::new()
        } else {
            format!("/{}", self.db)
        };
        format!("{scheme}://{credentials}{node}{db}")
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::Config("invalid percent-encoding in redis URL".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::Config("redis URL credentials are not UTF-8".into()))
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
        assert_eq!(o.node_url("h:7"), "redis://user:p%40ss@h:7/3");
        let c = RedisOptions::from_url("redis+cluster://a:1,b:2")?;
        assert!(c.cluster && c.nodes == ["a:1", "b:2"]);
        assert!(RedisOptions::from_url("http://x").is_err());
        assert!(RedisOptions::from_url("redis://a:1,b:2").is_err());
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
