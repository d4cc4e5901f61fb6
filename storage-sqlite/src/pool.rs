//! A small pool of SQLite connections to one database, shared by the stores of that database.

use std::sync::{Condvar, Mutex};

use rusqlite::Connection;
use storage_core::Result;

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

    /// Runs `work` with a connection of the pool.
    pub(crate) fn with<R>(&self, work: impl FnOnce(&mut Connection) -> Result<R>) -> Result<R> {
        let mut conn = self.checkout()?;
        let result = work(&mut conn);
        if !conn.is_autocommit() {
            // A failed call left a transaction open; never hand it to the next caller.
            let _ = conn.execute_batch("ROLLBACK");
        }
        self.checkin(conn);
        result
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
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle.push(conn);
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.returned.notify_one();
        }
    }
}
