//! Rows of many callers: threads sharing one store (each thread of the raw side has a
//! connection of its own), and tasks on a multi-thread runtime sharing one async store.

use std::cell::Cell;
use std::future::Future;

use crate::table::{measure, Row};

/// The most threads a row uses; raw stores open this many connections.
pub const MAX_THREADS: usize = 16;

/// Thread counts of the thread rows.
pub const THREADS: [(usize, &str, &str); 3] = [
    (1, "get, 1 thread", "set, 1 thread"),
    (4, "get, 4 threads", "set, 4 threads"),
    (16, "get, 16 threads", "set, 16 threads"),
];

/// An operation on key number `i`, callable from many threads.
pub type KeyOp<'a, E> = dyn Fn(usize) -> Result<(), E> + Sync + 'a;

thread_local! {
    static SLOT: Cell<usize> = const { Cell::new(0) };
}

/// The calling thread's slot: which of a raw store's connections it uses.
pub fn slot() -> usize {
    SLOT.with(Cell::get)
}

/// Runs `op(i)` for every `i` below `iterations` on `threads` threads (thread `t` takes
/// `t, t + threads, …`), each in a slot of its own.
pub fn on_threads<E: Send>(threads: usize, iterations: usize, op: &KeyOp<'_, E>) -> Result<(), E> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    SLOT.with(|slot| slot.set(t));
                    (t..iterations).step_by(threads).try_for_each(op)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Result<Vec<()>, E>>()
            .map(drop)
    })
}

/// The get and set rows at 1, 4 and 16 threads: `ours` and `raw` are each `(get, set)` of key
/// number `i`.
pub fn thread_rows<E: Send>(
    backend: &'static str,
    size: usize,
    iterations: usize,
    ours: (&KeyOp<'_, E>, &KeyOp<'_, E>),
    raw: (&KeyOp<'_, E>, &KeyOp<'_, E>),
) -> Result<Vec<Row>, E> {
    let mut rows = Vec::new();
    for (threads, get_op, set_op) in THREADS {
        for (op, ours, raw) in [(get_op, ours.0, raw.0), (set_op, ours.1, raw.1)] {
            let (a, b) = measure(
                || on_threads(threads, iterations, ours),
                || on_threads(threads, iterations, raw),
            )?;
            rows.push(Row {
                backend,
                op,
                size,
                ours: a / iterations as u32,
                raw: b / iterations as u32,
            });
        }
    }
    Ok(rows)
}

/// Runs `op(i)` for every `i` below `iterations` as `tasks` tasks on `runtime`.
pub fn on_tasks<F, Fut, E>(
    runtime: &tokio::runtime::Runtime,
    tasks: usize,
    iterations: usize,
    op: F,
) -> Result<(), E>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Send + 'static + From<tokio::task::JoinError>,
{
    runtime.block_on(async move {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let op = op.clone();
                tokio::spawn(async move {
                    for i in (t..iterations).step_by(tasks) {
                        op(i).await?;
                    }
                    Ok::<(), E>(())
                })
            })
            .collect();
        for handle in handles {
            handle.await??;
        }
        Ok(())
    })
}
