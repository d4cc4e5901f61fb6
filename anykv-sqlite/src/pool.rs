//! A small pool of SQLite connections to one database, shared by the stores of that database.

use std::sync::{Condvar, Mutex};

use anykv_core::Result;
use rusqlite::Connection;

/// Hands out one connection at a time per caller; creates up to `max` lazily.
pub(crate) struct Pool {
    state: Mutex<PoolState>,
    returned: Condvar,
    max: usize,
    open: Box<dyn Fn() -> Result<Connection> + Send + Sync>,
}

struct PoolState {
    idle: Vec<Connection>,
    created: usize,
    /// Callers blocked in `checkout`; a check-in wakes one only when there is one (a
    /// `notify_one` is a system call even with nobody waiting).
    waiting: usize,
}

impl Pool {
    pub(crate) fn new(
        first: Connection,
        max: usize,
        open: Box<dyn Fn() -> Result<Connection> + Send + Sync>,
    ) -> Self {
        Pool {
            state: Mutex::new(PoolState {
                idle: vec![first],
                created: 1,
                waiting: 0,
            }),
            returned: Condvar::new(),
            max: max.max(1),
            open,
        }
    }

    /// Runs `work` with a connection of the pool. The connection goes back to the pool however
    /// `work` ends, a panic included, with any transaction it left open rolled back.
    pub(crate) fn with<R>(&self, work: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        let mut lease = Lease {
            pool: self,
            conn: Some(self.checkout()?),
        };
        match lease.conn.as_mut() {
            Some(conn) => work(conn),
            None => Err(anykv_core::Error::Config(
                "a pooled connection vanished while leased".into(),
            )),
        }
    }

    fn checkout(&self) -> Result<Connection> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.created < self.max {
                state.created += 1;
                drop(state);
                let opened = (self.open)();
                if opened.is_err() {
                    self.state.lock().unwrap_or_else(|e| e.into_inner()).created -= 1;
                }
                return opened;
            }
            state.waiting += 1;
            state = self.returned.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
        }
    }

    fn checkin(&self, conn: Connection) {
        if !conn.is_autocommit() {
            // The caller left a transaction open (an error or a panic): never hand it on.
            let _ = conn.execute_batch("ROLLBACK");
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle.push(conn);
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.returned.notify_one();
        }
    }
}

/// A connection checked out of the pool; dropping it (also while unwinding from a panic) checks
/// it back in.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.checkin(conn);
        }
    }
}
