//! Connections, and running a [`Plan`] on them: one round trip for a standalone server, one
//! pipeline per hash slot (sent concurrently) on a cluster.
//!
//! Both faces share everything above this module: operations build a [`Plan`] and decode its
//! replies; only running it differs between the sync and the async connection.

use std::collections::BTreeMap;
use std::sync::Arc;

use anykv_core::pool::Pool;
use anykv_core::{Error, Result};
use futures_util::future::try_join_all;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConnection};
use redis::{Cmd, ConnectionInfo, Value};

use crate::config::RedisOptions;
use crate::error::{redis_error, redis_error_at, timed_out_at, unexpected};
use crate::keys::slot;
use crate::script::{is_unknown_script, Lua};

/// Commands to run in one go, each with the server key it touches (for cluster routing).
/// Operations that must be atomic use one Lua script on one key instead of MULTI/EXEC, so they
/// work the same on a cluster.
#[derive(Default)]
pub(crate) struct Plan {
    cmds: Vec<Planned>,
}

/// One command of a plan.
struct Planned {
    cmd: Cmd,
    key: Vec<u8>,
    /// The script, when `cmd` is its `EVALSHA` (see [`Lua`]).
    script: Option<&'static Lua>,
}

impl Plan {
    /// A plan of one command.
    pub(crate) fn one(cmd: Cmd, key: Vec<u8>) -> Self {
        let mut plan = Plan::default();
        plan.push(cmd, key);
        plan
    }

    /// A plan of one script call (`call` made by [`Lua::call`]).
    pub(crate) fn script(script: &'static Lua, call: Cmd, key: Vec<u8>) -> Self {
        let mut plan = Plan::default();
        plan.push_script(script, call, key);
        plan
    }

    /// Adds a command touching `key`.
    pub(crate) fn push(&mut self, cmd: Cmd, key: Vec<u8>) {
        self.cmds.push(Planned {
            cmd,
            key,
            script: None,
        });
    }

    /// Adds a script call (made by [`Lua::call`]) touching `key`.
    pub(crate) fn push_script(&mut self, script: &'static Lua, call: Cmd, key: Vec<u8>) {
        self.cmds.push(Planned {
            cmd: call,
            key,
            script: Some(script),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// The command of a one-command plan (sent alone: no pipeline to build or decode), with its
    /// script if it calls one; or the plan itself.
    fn into_single(mut self) -> std::result::Result<(Cmd, Option<&'static Lua>), Self> {
        match self.cmds.len() {
            1 => self
                .cmds
                .pop()
                .map(|planned| (planned.cmd, planned.script))
                .ok_or(self),
            _ => Err(self),
        }
    }

    /// The commands with their keys, script calls in full (a pipeline's other commands run
    /// even when one script is unknown: see [`Lua`]).
    fn into_cmds(self) -> impl Iterator<Item = (Cmd, Vec<u8>)> {
        self.cmds.into_iter().map(|planned| match planned.script {
            Some(script) => (script.in_full(&planned.cmd), planned.key),
            None => (planned.cmd, planned.key),
        })
    }

    /// The commands as one pipeline.
    fn into_pipeline(self) -> redis::Pipeline {
        pipeline(self.into_cmds().map(|(cmd, _)| cmd))
    }

    /// The commands grouped by hash slot, each with its index in the plan.
    fn by_slot(self) -> BTreeMap<u16, Vec<(usize, Cmd)>> {
        let mut groups: BTreeMap<u16, Vec<(usize, Cmd)>> = BTreeMap::new();
        for (index, (cmd, key)) in self.into_cmds().enumerate() {
            groups.entry(slot(&key)).or_default().push((index, cmd));
        }
        groups
    }
}

/// Sends one command on a blocking connection; an unknown script is sent again in full.
fn query_one(
    conn: &mut dyn redis::ConnectionLike,
    cmd: Cmd,
    script: Option<&'static Lua>,
) -> redis::RedisResult<Value> {
    match (cmd.query::<Value>(conn), script) {
        (Err(error), Some(script)) if is_unknown_script(&error) => script.in_full(&cmd).query(conn),
        (reply, _) => reply,
    }
}

/// [`query_one`] on an async connection.
async fn query_one_async<L>(
    conn: &mut L,
    cmd: Cmd,
    script: Option<&'static Lua>,
) -> redis::RedisResult<Value>
where
    L: redis::aio::ConnectionLike + Send,
{
    match (cmd.query_async::<Value>(conn).await, script) {
        (Err(error), Some(script)) if is_unknown_script(&error) => {
            Box::pin(in_full_async(conn, script, &cmd)).await
        }
        (reply, _) => reply,
    }
}

/// Sends the script call `call` again in full (`EVAL`): boxed by its callers, as it is rare
/// and inline its state would enlarge the future of every call (each async call's future is
/// allocated and copied: see `call_futures_stay_small`).
async fn in_full_async<L>(
    conn: &mut L,
    script: &'static Lua,
    call: &Cmd,
) -> redis::RedisResult<Value>
where
    L: redis::aio::ConnectionLike + Send,
{
    script.in_full(call).query_async::<Value>(conn).await
}

fn pipeline(cmds: impl Iterator<Item = Cmd>) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for cmd in cmds {
        pipe.add_command(cmd);
    }
    pipe
}

/// The nodes a namespace-wide SCAN must visit: the server, or every cluster master.
fn masters_from_cluster_slots(reply: &Value) -> Result<Vec<String>> {
    let Value::Array(ranges) = reply else {
        return Err(unexpected("cluster slots", reply));
    };
    let mut masters: Vec<String> = Vec::new();
    for range in ranges {
        let Value::Array(fields) = range else {
            continue;
        };
        let Some(Value::Array(master)) = fields.get(2) else {
            continue;
        };
        let host = match master.first() {
            Some(Value::BulkString(host)) => String::from_utf8_lossy(host).into_owned(),
            Some(Value::SimpleString(host)) => host.clone(),
            other => return Err(unexpected("cluster slots", other)),
        };
        let Some(Value::Int(port)) = master.get(1) else {
            return Err(unexpected("cluster slots", master));
        };
        let node = format!("{host}:{port}");
        if !masters.contains(&node) {
            masters.push(node);
        }
    }
    Ok(masters)
}

fn cluster_client(options: &RedisOptions) -> Result<ClusterClient> {
    let nodes = options
        .nodes
        .iter()
        .map(|node| options.connection_info(node))
        .collect::<Result<Vec<_>>>()?;
    let builder = ClusterClientBuilder::new(nodes)
        .connection_timeout(options.connect_timeout)
        .response_timeout(options.response_timeout)
        .retries(2);
    let builder = match tls_certificates(options)? {
        None => builder,
        #[cfg(feature = "tls")]
        Some(certificates) => builder.certs(certificates),
    };
    builder
        .build()
        .map_err(redis_error_at("connect", &options.target()))
}

/// The server of a standalone store.
fn first_node(options: &RedisOptions) -> Result<&str> {
    options
        .nodes
        .first()
        .map(String::as_str)
        .ok_or_else(|| Error::Config("redis options name no server".into()))
}

fn client(options: &RedisOptions, node: &str) -> Result<redis::Client> {
    client_of(options, options.connection_info(node)?, node)
}

/// A client of `info`, with the certificates of `options` when it has any.
pub(crate) fn client_of(
    options: &RedisOptions,
    info: ConnectionInfo,
    node: &str,
) -> Result<redis::Client> {
    let client = match tls_certificates(options)? {
        None => redis::Client::open(info),
        #[cfg(feature = "tls")]
        Some(certificates) => redis::Client::build_with_tls(info, certificates),
    };
    client.map_err(redis_error_at("connect", node))
}

/// The certificates of `options` as the driver takes them; `None` without any. Makes sure
/// rustls has a crypto provider first (see [`install_crypto_provider`]).
#[cfg(feature = "tls")]
fn tls_certificates(options: &RedisOptions) -> Result<Option<redis::TlsCertificates>> {
    if options.tls {
        install_crypto_provider();
    }
    let pem = &options.tls_certificates;
    if !pem.is_set() {
        return Ok(None);
    }
    Ok(Some(redis::TlsCertificates {
        client_tls: pem
            .client
            .as_ref()
            .map(|(cert, key)| redis::ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.clone(),
            }),
        root_cert: pem.ca.clone(),
    }))
}

/// Installs rustls's `ring` provider as the process default, once, unless the application
/// installed one already: rustls panics at the first TLS connection when no provider was
/// installed and its features do not name exactly one.
#[cfg(feature = "tls")]
fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Another thread may install one at the same moment: either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    });
}

/// Without the `tls` feature there are no certificates to use: asking for some is an error.
#[cfg(not(feature = "tls"))]
fn tls_certificates(options: &RedisOptions) -> Result<Option<std::convert::Infallible>> {
    if options.tls_certificates.is_set() {
        return Err(Error::Config(
            "TLS certificates need the `tls` feature of anykv-redis (`redis-tls` of anykv)".into(),
        ));
    }
    Ok(None)
}

/// A client of the standalone server of `options` speaking RESP3 (for push messages).
pub(crate) fn resp3_client(options: &RedisOptions) -> Result<redis::Client> {
    let node = first_node(options)?;
    let info = options.connection_info(node)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(redis::ProtocolVersion::RESP3);
    client_of(options, info.set_redis_settings(settings), node)
}

// ----------------------------------------------------------------------------------------------
// Sync

/// Makes the blocking connections of a store.
struct Connector {
    options: RedisOptions,
    /// What connection errors name (see [`RedisOptions::target`]).
    target: String,
}

impl Connector {
    fn connect_node(&self, node: &str) -> Result<redis::Connection> {
        let target = self.node_target(node);
        let conn = client(&self.options, node)?
            .get_connection_with_timeout(self.options.connect_timeout)
            .map_err(redis_error_at("connect", target))?;
        conn.set_read_timeout(Some(self.options.response_timeout))
            .and_then(|()| conn.set_write_timeout(Some(self.options.response_timeout)))
            .map_err(redis_error_at("connect", target))?;
        Ok(conn)
    }

    /// What errors on `node` name: the node, or the socket's path.
    fn node_target<'a>(&'a self, node: &'a str) -> &'a str {
        match self.options.unix_socket {
            Some(_) => &self.target,
            None => node,
        }
    }

    fn connect(&self) -> Result<SyncLink> {
        if let Some(sentinel) = &self.options.sentinel {
            let master = crate::sentinel::master(&self.options, sentinel)?;
            let mut conn = self.connect_node(&master)?;
            let role: Value = crate::sentinel::role()
                .query(&mut conn)
                .map_err(redis_error_at("connect", &master))?;
            crate::sentinel::check_master(&master, &role)?;
            return Ok(SyncLink::Single(conn));
        }
        if self.options.cluster {
            let conn = cluster_client(&self.options)?
                .get_connection()
                .map_err(redis_error_at("connect", &self.target))?;
            conn.set_read_timeout(Some(self.options.response_timeout))
                .map_err(redis_error_at("connect", &self.target))?;
            Ok(SyncLink::Cluster(Box::new(conn)))
        } else {
            Ok(SyncLink::Single(
                self.connect_node(first_node(&self.options)?)?,
            ))
        }
    }
}

enum SyncLink {
    Single(redis::Connection),
    Cluster(Box<ClusterConnection>),
}

/// Pooled blocking connections, at most `max_sync_connections` (the shared [`Pool`]); a caller
/// waits for one at most the connect plus the response timeout. A connection that failed is
/// dropped (freeing its place), the next call reconnects.
pub(crate) struct SyncConn {
    options: RedisOptions,
    /// What connection errors name (see [`RedisOptions::target`]).
    target: String,
    pool: Pool<SyncLink>,
}

impl SyncConn {
    pub(crate) fn new(options: RedisOptions) -> Self {
        let connector = Connector {
            options: options.clone(),
            target: options.target(),
        };
        let patience = options.connect_timeout + options.response_timeout;
        SyncConn {
            pool: Pool::new(
                crate::error::BACKEND,
                options.max_sync_connections,
                patience,
                move || connector.connect(),
            ),
            target: options.target(),
            options,
        }
    }

    /// Runs `plan`; replies in command order.
    pub(crate) fn run(&self, operation: &'static str, plan: Plan) -> Result<Vec<Value>> {
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let mut link = self.pool.lease(operation)?;
        let replies = match &mut *link {
            SyncLink::Single(conn) => match plan.into_single() {
                Ok((cmd, script)) => query_one(conn, cmd, script).map(|reply| vec![reply]),
                Err(plan) => plan.into_pipeline().query::<Vec<Value>>(conn),
            },
            SyncLink::Cluster(conn) => match plan.into_single() {
                Ok((cmd, script)) => query_one(conn.as_mut(), cmd, script).map(|reply| vec![reply]),
                Err(plan) => {
                    let mut pipe = redis::cluster::cluster_pipe();
                    for (cmd, _) in plan.into_cmds() {
                        pipe.add_command(cmd);
                    }
                    pipe.query::<Vec<Value>>(conn.as_mut())
                }
            },
        };
        if replies.as_ref().is_err_and(crate::error::is_retryable) {
            link.discard();
        }
        replies.map_err(redis_error_at(operation, &self.target))
    }

    /// The masters to SCAN one by one on a cluster; `None` on a single server, whose keys the
    /// store's own connections scan.
    pub(crate) fn scan_nodes(&self) -> Result<Option<Vec<String>>> {
        if !self.options.cluster {
            return Ok(None);
        }
        let plan = Plan::one(redis::cmd("CLUSTER").arg("SLOTS").to_owned(), Vec::new());
        let reply = self.run("cluster slots", plan)?;
        masters_from_cluster_slots(reply.first().unwrap_or(&Value::Nil)).map(Some)
    }

    /// A direct connection to one node, for SCAN.
    pub(crate) fn node(&self, node: &str) -> Result<NodeConn> {
        let connector = Connector {
            options: self.options.clone(),
            target: self.target.clone(),
        };
        Ok(NodeConn(connector.connect_node(node)?))
    }
}

/// A blocking connection to one node.
pub(crate) struct NodeConn(redis::Connection);

impl NodeConn {
    pub(crate) fn query(&mut self, operation: &'static str, cmd: &Cmd) -> Result<Value> {
        cmd.query::<Value>(&mut self.0)
            .map_err(redis_error(operation))
    }
}

// ----------------------------------------------------------------------------------------------
// Async

#[derive(Clone)]
enum AsyncLink {
    Single(ConnectionManager),
    Cluster(redis::cluster_async::ClusterConnection),
    /// The master the sentinels name, found again after a failover.
    Sentinel(Arc<SentinelLink>),
}

/// The connection to the master of a Sentinel setup: made on first use from the sentinels'
/// answer, and forgotten when a call fails in a way a failover explains (a lost connection, a
/// `READONLY` demoted master), so the next call asks the sentinels again.
struct SentinelLink {
    current: tokio::sync::Mutex<Option<ConnectionManager>>,
}

impl SentinelLink {
    /// The connection to the current master, found through the sentinels when there is none.
    async fn manager(&self, options: &RedisOptions) -> Result<ConnectionManager> {
        let mut current = self.current.lock().await;
        if let Some(manager) = current.as_ref() {
            return Ok(manager.clone());
        }
        let Some(sentinel) = &options.sentinel else {
            return Err(Error::Config("no sentinel configured".into()));
        };
        let master = crate::sentinel::master_async(options, sentinel).await?;
        let mut manager = client(options, &master)?
            .get_connection_manager_with_config(manager_config(options))
            .await
            .map_err(redis_error_at("connect", &master))?;
        let role: Value = crate::sentinel::role()
            .query_async(&mut manager)
            .await
            .map_err(redis_error_at("connect", &master))?;
        crate::sentinel::check_master(&master, &role)?;
        *current = Some(manager.clone());
        Ok(manager)
    }

    /// Forgets the connection, so the next call asks the sentinels again.
    async fn forget(&self) {
        *self.current.lock().await = None;
    }

    /// Runs `plan` on the current master; a failure a failover explains forgets it.
    async fn run(
        &self,
        options: &RedisOptions,
        operation: &'static str,
        target: &str,
        plan: Plan,
    ) -> Result<Vec<Value>> {
        let conn = self.manager(options).await?;
        let replies = run_on_server(plan, conn).await;
        if replies.as_ref().is_err_and(crate::error::is_retryable) {
            self.forget().await;
        }
        replies.map_err(redis_error_at(operation, target))
    }
}

/// How this store's connection managers connect, time out and retry.
fn manager_config(options: &RedisOptions) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(options.connect_timeout))
        .set_response_timeout(Some(options.response_timeout))
        .set_number_of_retries(1)
}

/// A multiplexed async connection that reconnects by itself, created on first use.
pub(crate) struct AsyncConn {
    options: RedisOptions,
    /// What connection errors name (see [`RedisOptions::target`]).
    target: String,
    link: tokio::sync::OnceCell<AsyncLink>,
    /// The link bounds every request by the response timeout itself (the connection manager
    /// this store configures), so a call needs no timer of its own: one timer fewer per call.
    /// A manager given by the caller, or a cluster connection, gets the call's own timer.
    link_times_out: bool,
}

impl AsyncConn {
    pub(crate) fn new(options: RedisOptions) -> Self {
        AsyncConn {
            link_times_out: !options.cluster,
            target: options.target(),
            options,
            link: tokio::sync::OnceCell::new(),
        }
    }

    /// Uses an existing connection manager instead of making one.
    pub(crate) fn with_manager(options: RedisOptions, manager: ConnectionManager) -> Self {
        AsyncConn {
            target: options.target(),
            options,
            link: tokio::sync::OnceCell::new_with(Some(AsyncLink::Single(manager))),
            link_times_out: false,
        }
    }

    /// Uses an existing async cluster connection instead of making one.
    pub(crate) fn with_cluster_connection(
        options: RedisOptions,
        conn: redis::cluster_async::ClusterConnection,
    ) -> Self {
        AsyncConn {
            target: options.target(),
            options,
            link: tokio::sync::OnceCell::new_with(Some(AsyncLink::Cluster(conn))),
            link_times_out: false,
        }
    }

    /// The connection, made on first use. The connecting future is large (a few KiB), so it is
    /// boxed: inline, every call's future would carry it, and a call would allocate and copy
    /// that much for nothing once the connection exists.
    async fn link(&self) -> Result<AsyncLink> {
        match self.link.get() {
            Some(link) => Ok(link.clone()),
            None => Box::pin(self.first_link()).await,
        }
    }

    async fn first_link(&self) -> Result<AsyncLink> {
        let options = &self.options;
        let connect = async {
            if options.sentinel.is_some() {
                Ok::<_, Error>(AsyncLink::Sentinel(Arc::new(SentinelLink {
                    current: tokio::sync::Mutex::new(None),
                })))
            } else if options.cluster {
                let conn = cluster_client(options)?
                    .get_async_connection()
                    .await
                    .map_err(redis_error_at("connect", &self.target))?;
                Ok::<_, Error>(AsyncLink::Cluster(conn))
            } else {
                let conn = client(options, first_node(options)?)?
                    .get_connection_manager_with_config(manager_config(options))
                    .await
                    .map_err(redis_error_at("connect", &self.target))?;
                Ok(AsyncLink::Single(conn))
            }
        };
        let deadline = options.connect_timeout + options.response_timeout;
        let link = tokio::time::timeout(deadline, self.link.get_or_try_init(|| connect))
            .await
            .map_err(|_| timed_out_at("connect", &self.target))??;
        Ok(link.clone())
    }

    /// Runs `plan`; replies in command order.
    pub(crate) async fn run(&self, operation: &'static str, plan: Plan) -> Result<Vec<Value>> {
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let link = self.link().await?;
        let work = async {
            match link {
                AsyncLink::Single(conn) => run_on_server(plan, conn)
                    .await
                    .map_err(redis_error_at(operation, &self.target)),
                // Boxed: inline, finding the master would enlarge every call's future.
                AsyncLink::Sentinel(sentinel) => {
                    Box::pin(sentinel.run(&self.options, operation, &self.target, plan)).await
                }
                // Boxed: inline, the cluster's larger futures would enlarge every call's.
                AsyncLink::Cluster(conn) => Box::pin(run_on_cluster(plan, conn))
                    .await
                    .map_err(redis_error_at(operation, &self.target)),
            }
        };
        if self.link_times_out {
            return work.await;
        }
        tokio::time::timeout(self.options.response_timeout, work)
            .await
            .map_err(|_| timed_out_at(operation, &self.target))?
    }

    /// See [`SyncConn::scan_nodes`].
    pub(crate) async fn scan_nodes(&self) -> Result<Option<Vec<String>>> {
        if !self.options.cluster {
            return Ok(None);
        }
        let plan = Plan::one(redis::cmd("CLUSTER").arg("SLOTS").to_owned(), Vec::new());
        let reply = self.run("cluster slots", plan).await?;
        masters_from_cluster_slots(reply.first().unwrap_or(&Value::Nil)).map(Some)
    }

    /// A direct connection to one node, for SCAN.
    pub(crate) async fn node(&self, node: &str) -> Result<AsyncNodeConn> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.options.connect_timeout))
            .set_response_timeout(Some(self.options.response_timeout));
        let conn = client(&self.options, node)?
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(redis_error_at("connect", node))?;
        Ok(AsyncNodeConn(conn))
    }
}

/// Runs a plan on one server: one command alone (sent in full when the server does not know
/// its script), or a pipeline.
async fn run_on_server(plan: Plan, mut conn: ConnectionManager) -> redis::RedisResult<Vec<Value>> {
    match plan.into_single() {
        Ok((cmd, script)) => match cmd.query_async::<Value>(&mut conn).await {
            Err(error) if is_unknown_script(&error) => match script {
                Some(script) => Box::pin(in_full_async(&mut conn, script, &cmd)).await,
                None => Err(error),
            },
            reply => reply,
        }
        .map(|reply| vec![reply]),
        Err(plan) => {
            plan.into_pipeline()
                .query_async::<Vec<Value>>(&mut conn)
                .await
        }
    }
}

/// Runs a plan on a cluster: one command alone, or [`run_by_slot`].
async fn run_on_cluster(
    plan: Plan,
    mut conn: redis::cluster_async::ClusterConnection,
) -> redis::RedisResult<Vec<Value>> {
    match plan.into_single() {
        Ok((cmd, script)) => query_one_async(&mut conn, cmd, script)
            .await
            .map(|reply| vec![reply]),
        Err(plan) => run_by_slot(plan, conn).await,
    }
}

/// Runs a plan on a cluster: one pipeline per hash slot, all sent concurrently.
async fn run_by_slot(
    plan: Plan,
    conn: redis::cluster_async::ClusterConnection,
) -> redis::RedisResult<Vec<Value>> {
    let count = plan.cmds.len();
    let mut all_indexes = Vec::new();
    let sends: Vec<_> = plan
        .by_slot()
        .into_values()
        .map(|group| {
            let (indexes, cmds): (Vec<usize>, Vec<Cmd>) = group.into_iter().unzip();
            all_indexes.push(indexes);
            let mut conn = conn.clone();
            let pipe = pipeline(cmds.into_iter());
            async move { pipe.query_async::<Vec<Value>>(&mut conn).await }
        })
        .collect();
    let replies = try_join_all(sends).await?;
    let mut ordered = vec![Value::Nil; count];
    for (indexes, replies) in all_indexes.iter().zip(replies) {
        if replies.len() != indexes.len() {
            return Err(redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "reply count differs from command count",
            )));
        }
        for (&index, reply) in indexes.iter().zip(replies) {
            ordered[index] = reply;
        }
    }
    Ok(ordered)
}

/// An async connection to one node.
pub(crate) struct AsyncNodeConn(MultiplexedConnection);

impl AsyncNodeConn {
    pub(crate) async fn query(&mut self, operation: &'static str, cmd: &Cmd) -> Result<Value> {
        cmd.query_async::<Value>(&mut self.0)
            .await
            .map_err(redis_error(operation))
    }
}

#[cfg(test)]
mod tests {
    use anykv_core::AsyncKvStorage;

    use crate::{RedisHashStorage, RedisStorage};

    /// Every async call allocates its future (the trait's methods are boxed) and copies it there,
    /// so a call's future must not carry the connecting future (a few KiB, used once): 3.7 KiB
    /// per call cost the async face 20 % of its throughput under 64 tasks. No server needed:
    /// creating a store and a future connects nothing.
    #[test]
    fn call_futures_stay_small() -> anykv_core::Result<()> {
        const MOST: usize = 1024;
        let url = "redis://127.0.0.1:1";
        let store = RedisStorage::from_url(url, "sizes")?;
        let hash = RedisHashStorage::from_url(url, "sizes")?;
        let sizes = [
            (
                "get",
                std::mem::size_of_val(&*AsyncKvStorage::get(&store, "k")),
            ),
            (
                "set",
                std::mem::size_of_val(&*AsyncKvStorage::set(&store, "k", b"v", None)),
            ),
            (
                "hash get",
                std::mem::size_of_val(&*AsyncKvStorage::get(&hash, "k")),
            ),
            (
                "hash set",
                std::mem::size_of_val(&*AsyncKvStorage::set(&hash, "k", b"v", None)),
            ),
        ];
        for (call, size) in sizes {
            assert!(
                size <= MOST,
                "the future of an async {call} takes {size} bytes, over {MOST}"
            );
        }
        Ok(())
    }
}
