//! Stores on the connections an application already has: the async face of both stores runs
//! on the application's connection manager (a server) or cluster connection, keeping no
//! connection of its own, as the servers' client counts show.

use std::sync::Arc;

use anykv_core::{AsyncKvStorage, AsyncKvStorageExt, Scan};
use anykv_redis::{RedisHashStorage, RedisOptions, RedisStorage};
use anykv_test_support::{redis, redis_cluster, resp_command};
use futures_util::TryStreamExt;

/// `connected_clients` of the server on `port` (the asking connection included).
fn clients(port: u16) -> usize {
    let info = resp_command(port, "INFO clients");
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no client count in {info:?}"))
}

/// Whether the client counts of `ports` come back to `before` (a server counts a closed
/// connection out a moment after it closes, so this waits, up to a generous deadline).
fn back_to(ports: &[u16], before: &[usize]) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now: Vec<usize> = ports.iter().map(|port| clients(*port)).collect();
        if now == before {
            return true;
        }
        if std::time::Instant::now() > deadline {
            eprintln!("client counts {now:?}, before {before:?}");
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Writes, reads, counts, increments and lists through `store`'s async face.
async fn exercise(store: &dyn AsyncKvStorage) -> anykv_core::Result<()> {
    store.set("a", b"1", None).await?;
    store.set("b", b"2", None).await?;
    assert_eq!(store.get("a").await?, Some(b"1".to_vec()));
    assert_eq!(store.increment("n", 3, None).await?, 3);
    let listed: Vec<_> = store
        .scan(Scan::keys_only().prefix("a"))
        .await?
        .try_collect()
        .await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(store.delete_prefix("").await?, 3);
    Ok(())
}

#[test]
fn the_async_face_runs_on_the_applications_connection_manager() -> anykv_core::Result<()> {
    let server = redis().unwrap_or_else(|e| panic!("{e}"));
    let port = server.ports()[0];
    anykv_test_support::runtime().block_on(async {
        let client = redis::Client::open(server.url()).unwrap_or_else(|e| panic!("{e}"));
        let manager = client
            .get_connection_manager()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let namespace = anykv_test_support::unique_name("existing");
        let options = RedisOptions::from_url(server.url())?.namespace(&namespace);
        let before = clients(port);
        let stores: Vec<Arc<dyn AsyncKvStorage>> = vec![
            Arc::new(RedisStorage::with_connection_manager(
                manager.clone(),
                options.clone(),
            )?),
            Arc::new(RedisHashStorage::with_connection_manager(manager, options)?),
        ];
        for store in &stores {
            exercise(store.as_ref()).await?;
        }
        assert!(
            back_to(&[port], &[before]),
            "a store kept a connection of its own"
        );
        Ok(())
    })
}

#[test]
fn the_async_face_runs_on_the_applications_cluster_connection() -> anykv_core::Result<()> {
    let cluster = redis_cluster().unwrap_or_else(|e| panic!("{e}"));
    let ports = cluster.ports();
    anykv_test_support::runtime().block_on(async {
        let options = RedisOptions::from_url(cluster.url())?
            .namespace(anykv_test_support::unique_name("existing_cluster"));
        let nodes: Vec<String> = options
            .nodes
            .iter()
            .map(|n| format!("redis://{n}"))
            .collect();
        let conn = redis::cluster::ClusterClient::new(nodes)
            .unwrap_or_else(|e| panic!("{e}"))
            .get_async_connection()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let before: Vec<usize> = ports.iter().map(|port| clients(*port)).collect();
        let stores: Vec<Arc<dyn AsyncKvStorage>> = vec![
            Arc::new(RedisStorage::with_cluster_connection(
                conn.clone(),
                options.clone(),
            )?),
            Arc::new(RedisHashStorage::with_cluster_connection(conn, options)?),
        ];
        for store in &stores {
            exercise(store.as_ref()).await?;
        }
        // A cluster's scans (here of `delete_prefix`) open one connection per master while
        // they run; none stays.
        assert!(
            back_to(&ports, &before),
            "a store kept connections of its own"
        );
        Ok(())
    })
}
