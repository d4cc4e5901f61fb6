//! [`Pool`]: the blocking connection pool of the backends whose sync face talks over
//! connections of their own (SQLite, Redis). One implementation, one timeout rule.
//!
//! - Connections are made lazily, up to a maximum, and each is lent to one caller at a time.
//! - A caller waits for a free connection at most the pool's *patience*, then gets a
//!   [`TimedOut`](crate::ErrorKind::TimedOut) error naming the backend and the operation:
//!   nobody waits forever, whatever holds the connections.
//! - A lease returns its connection when dropped (a panic included); the pool's `recycle` hook
//!   decides then whether it can be lent again (e.g. SQLite rolls back a transaction left open).
//!   A lease known to be broken is [`discard`](Lease::discard)ed, which frees its place: the
//!   next caller connects anew.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::{Error, ErrorKind, Result};

/// Makes a new connection.
type Connect<C> = Box<dyn Fn() -> Result<C> + Send + Sync>;
/// Readies a returned connection to be lent again; `false` drops it.
type Recycle<C> = Box<dyn Fn(&mut C) -> bool + Send + Sync>;

/// A pool of up to `max` connections of type `C` (see the [module](self)).
pub struct Pool<C> {
    state: Mutex<State<C>>,
    returned: Condvar,
    max: usize,
    patience: Duration,
    backend: &'static str,
    connect: Connect<C>,
    recycle: Recycle<C>,
}

struct State<C> {
    idle: Vec<C>,
    /// Connections that exist, idle or lent.
    open: usize,
    /// Callers waiting for a connection: a return wakes one only when there is one (a
    /// `notify_one` is a system call even with nobody waiting).
    waiting: usize,
}

impl<C> Pool<C> {
    /// A pool of `backend`'s connections, made by `connect`, at most `max` (at least 1), whose
    /// callers wait at most `patience` for one.
    pub fn new(
        backend: &'static str,
        max: usize,
        patience: Duration,
        connect: impl Fn() -> Result<C> + Send + Sync + 'static,
    ) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                waiting: 0,
            }),
            returned: Condvar::new(),
            max: max.max(1),
            patience,
            backend,
            connect: Box::new(connect),
            recycle: Box::new(|_| true),
        }
    }

    /// Adds `conn`, made already (to check the settings at open), as the first idle connection.
    pub fn with_first(self, conn: C) -> Self {
        {
            let mut state = self.lock();
            state.idle.push(conn);
            state.open += 1;
        }
        self
    }

    /// Sets the hook run on each connection returned by a lease: it readies the connection to
    /// be lent again, or returns `false` to drop it.
    pub fn with_recycle(
        mut self,
        recycle: impl Fn(&mut C) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.recycle = Box::new(recycle);
        self
    }

    /// The most connections this pool makes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// How long a caller waits for a free connection.
    pub fn patience(&self) -> Duration {
        self.patience
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<C>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection for `operation`: an idle one, a new one while fewer than the maximum
    /// exist, or the next one returned within the patience; else a timed-out error.
    pub fn lease(&self, operation: &'static str) -> Result<Lease<'_, C>> {
        let deadline = Instant::now() + self.patience;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Lease::new(self, conn));
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match (self.connect)() {
                    Ok(conn) => Ok(Lease::new(self, conn)),
                    Err(error) => {
                        self.forget_one();
                        Err(error)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::backend(
                    self.backend,
                    operation,
                    ErrorKind::TimedOut,
                    format!(
                        "all {} connections stayed busy for {:?}",
                        self.max, self.patience
                    ),
                ));
            }
            state.waiting += 1;
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            state.waiting -= 1;
        }
    }

    /// Runs `work` with a leased connection.
    pub fn with<R>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut C) -> Result<R>,
    ) -> Result<R> {
        let mut lease = self.lease(operation)?;
        work(&mut lease)
    }

    fn give_back(&self, mut conn: C) {
        if !(self.recycle)(&mut conn) {
            drop(conn);
            self.forget_one();
            return;
        }
        let mut state = self.lock();
        state.idle.push(conn);
        self.wake_one(state);
    }

    /// A lent connection is gone: its place is free.
    fn forget_one(&self) {
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        self.wake_one(state);
    }

    fn wake_one(&self, state: std::sync::MutexGuard<'_, State<C>>) {
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.returned.notify_one();
        }
    }
}

impl<C> std::fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Pool")
            .field("backend", &self.backend)
            .field("max", &self.max)
            .field("open", &state.open)
            .field("idle", &state.idle.len())
            .field("patience", &self.patience)
            .finish()
    }
}

/// A connection lent by a [`Pool`]; dropping the lease gives it back.
pub struct Lease<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<'a, C> Lease<'a, C> {
    fn new(pool: &'a Pool<C>, conn: C) -> Self {
        Lease {
            pool,
            conn: Some(conn),
        }
    }

    /// Drops the connection instead of giving it back (it failed): the next caller connects
    /// anew.
    pub fn discard(mut self) {
        if self.conn.take().is_some() {
            self.pool.forget_one();
        }
    }
}

impl<C> Deref for Lease<'_, C> {
    type Target = C;

    fn deref(&self) -> &C {
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("a lease holds its connection until it is dropped"),
        }
    }
}

impl<C> DerefMut for Lease<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("a lease holds its connection until it is dropped"),
        }
    }
}

impl<C> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn counting_pool(max: usize, patience: Duration) -> (Pool<usize>, Arc<AtomicUsize>) {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let pool = Pool::new("test", max, patience, move || {
            Ok(counter.fetch_add(1, Ordering::SeqCst))
        });
        (pool, made)
    }

    #[test]
    fn connections_are_made_lazily_and_reused() -> Result<()> {
        let (pool, made) = counting_pool(2, Duration::from_secs(60));
        assert_eq!(made.load(Ordering::SeqCst), 0);
        let first = *pool.lease("get")?;
        let again = *pool.lease("get")?;
        assert_eq!((first, again, made.load(Ordering::SeqCst)), (0, 0, 1));
        let a = pool.lease("get")?;
        let b = pool.lease("get")?;
        assert_ne!(*a, *b);
        assert_eq!(made.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[test]
    fn a_caller_waits_at_most_the_patience() -> Result<()> {
        let (pool, _) = counting_pool(1, Duration::from_millis(50));
        let held = pool.lease("set")?;
        let Err(error) = pool.lease("get") else {
            panic!("a second lease of a one-connection pool was granted while the first was held");
        };
        assert_eq!(error.kind(), ErrorKind::TimedOut, "{error}");
        assert!(
            error.to_string().contains("all 1 connections stayed busy"),
            "{error}"
        );
        drop(held);
        assert!(pool.lease("get").is_ok());
        Ok(())
    }

    #[test]
    fn a_waiting_caller_gets_the_connection_given_back() -> Result<()> {
        let (pool, made) = counting_pool(1, Duration::from_secs(600));
        let pool = Arc::new(pool);
        let held = pool.lease("set")?;
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || pool.with("get", |conn| Ok(*conn)))
        };
        while pool.lock().waiting == 0 {
            std::thread::yield_now();
        }
        drop(held);
        let got = waiter
            .join()
            .unwrap_or_else(|_| Err(Error::Config("panicked".into())))?;
        assert_eq!((got, made.load(Ordering::SeqCst)), (0, 1));
        Ok(())
    }

    #[test]
    fn discarded_and_refused_connections_free_their_place() -> Result<()> {
        let (pool, made) = counting_pool(1, Duration::from_millis(10));
        pool.lease("get")?.discard();
        assert_eq!(*pool.lease("get")?, 1, "a new connection after a discard");
        let pool = pool.with_recycle(|_| false);
        drop(pool.lease("get")?);
        assert_eq!(
            *pool.lease("get")?,
            2,
            "a new connection after a refused one"
        );
        assert_eq!(made.load(Ordering::SeqCst), 3);
        Ok(())
    }

    #[test]
    fn a_failed_connect_frees_its_place() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let counter = attempts.clone();
        let pool: Pool<()> = Pool::new("test", 1, Duration::from_millis(10), move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Err(Error::backend(
                "test",
                "connect",
                ErrorKind::Unavailable,
                "refused",
            ))
        });
        for _ in 0..3 {
            let Err(error) = pool.lease("get") else {
                panic!("a connection that cannot be made was lent");
            };
            assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
        }
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            3,
            "each caller tried to connect"
        );
    }
}
