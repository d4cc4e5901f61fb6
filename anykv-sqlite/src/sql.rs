//! The SQL of one namespace's table, built once per store from a checked table name.

use anykv_core::Namespace;

use crate::key_listing::KeyListingSql;

/// Largest number of keys bound into one `IN (…)` list; bigger bulk calls are chunked.
pub(crate) const MAX_IN_PARAMS: usize = 500;

/// Every statement a store runs against its table.
pub(crate) struct Sql {
    pub create: String,
    /// Whether the table exists (one row: 0 or 1).
    pub table_exists: String,
    pub get: String,
    /// `get` without the liveness condition: expired rows too, until purged.
    pub get_stale: String,
    pub expiry: String,
    pub touch: String,
    pub set: String,
    pub set_if_absent: String,
    pub set_if_value: String,
    pub delete: String,
    pub delete_if_value: String,
    pub pop: String,
    pub count: String,
    /// Rows held, expired ones included.
    pub count_held: String,
    /// `?1` now, `?2` limit: live keys, expiries and value lengths, soonest expiry first.
    pub sorted_by_expiry: String,
    /// `?1` now, `?2` limit: the same, largest value first.
    pub sorted_by_size: String,
    /// Bytes of the held keys and values.
    pub bytes: String,
    pub first_page: [String; 2],
    pub next_page: [String; 2],
    pub clear: String,
    pub purge: String,
    pub key_listing: KeyListingSql,
    table: String,
}

/// The condition "the row is live at `?n`" (`?n` is the current time in ms).
fn live(n: usize) -> String {
    format!("(expires_at IS NULL OR expires_at > ?{n})")
}

/// The name (unquoted) of `namespace`'s table, `kv_<namespace, case folded>`: the one place
/// that names it. Namespace names are checked to `[A-Za-z0-9_-]` (and `~` from case folding),
/// so quoting cannot be escaped. SQLite ignores case in identifiers: the folded name keeps `Ab`
/// and `aB` in tables of their own.
pub(crate) fn table_name(namespace: &Namespace) -> String {
    format!("kv_{}", namespace.case_folded())
}

impl Sql {
    pub(crate) fn new(namespace: &Namespace) -> Self {
        let table_name = table_name(namespace);
        let t = format!("\"{table_name}\"");
        let index = format!("\"{table_name}_expires_at\"");
        // Positional parameters throughout: binding by name costs a lookup per parameter.
        let page = |values: bool, after: bool| {
            format!(
                "SELECT key, {}, expires_at FROM {t} WHERE {}{} ORDER BY key LIMIT ?2",
                if values { "value" } else { "NULL" },
                live(1),
                if after { " AND key > ?3" } else { "" },
            )
        };
        Sql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires_at INTEGER);
                 CREATE INDEX IF NOT EXISTS {index} ON {t} (expires_at) WHERE expires_at IS NOT NULL;"
            ),
            table_exists: format!(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table_name}'"
            ),
            get: format!("SELECT value, expires_at FROM {t} WHERE key = ?1 AND {}", live(2)),
            get_stale: format!("SELECT value, expires_at FROM {t} WHERE key = ?1"),
            expiry: format!("SELECT expires_at FROM {t} WHERE key = ?1 AND {}", live(2)),
            touch: format!(
                "UPDATE {t} SET expires_at = ?2 WHERE key = ?1 AND {}",
                live(3)
            ),
            set: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
            ),
            set_if_absent: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE NOT {}",
                live(4)
            ),
            set_if_value: format!(
                "UPDATE {t} SET value = ?2, expires_at = ?3 WHERE key = ?1 AND value = ?5 AND {}",
                live(4)
            ),
            delete: format!("DELETE FROM {t} WHERE key = ?1 RETURNING {}", live(2)),
            delete_if_value: format!(
                "DELETE FROM {t} WHERE key = ?1 AND value = ?2 AND {}",
                live(3)
            ),
            pop: format!("DELETE FROM {t} WHERE key = ?1 RETURNING value, {}", live(2)),
            count: format!("SELECT COUNT(*) FROM {t} WHERE {}", live(1)),
            count_held: format!("SELECT COUNT(*) FROM {t}"),
            sorted_by_expiry: format!(
                "SELECT key, expires_at, LENGTH(value) FROM {t} WHERE {}
                 ORDER BY expires_at IS NULL, expires_at, key LIMIT ?2",
                live(1)
            ),
            sorted_by_size: format!(
                "SELECT key, expires_at, LENGTH(value) FROM {t} WHERE {}
                 ORDER BY LENGTH(value) DESC, key LIMIT ?2",
                live(1)
            ),
            bytes: format!("SELECT COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0) FROM {t}"),
            first_page: [page(false, false), page(true, false)],
            next_page: [page(false, true), page(true, true)],
            clear: format!("DELETE FROM {t}"),
            purge: format!("DELETE FROM {t} WHERE expires_at IS NOT NULL AND expires_at <= ?1"),
            key_listing: KeyListingSql::new(&t),
            table: t,
        }
    }

    /// `SELECT key, value FROM t WHERE key IN (?1…?n) AND live`, `now` is `?{n+1}`.
    pub(crate) fn get_in(&self, n: usize) -> String {
        format!(
            "SELECT key, value FROM {} WHERE key IN ({}) AND {}",
            self.table,
            placeholders(n),
            live(n + 1)
        )
    }

    /// `DELETE … WHERE key IN (?1…?n) RETURNING live`, `now` is `?{n+1}`.
    pub(crate) fn delete_in(&self, n: usize) -> String {
        format!(
            "DELETE FROM {} WHERE key IN ({}) RETURNING {}",
            self.table,
            placeholders(n),
            live(n + 1)
        )
    }
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}
