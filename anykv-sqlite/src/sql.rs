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
    /// `?1` now, `?2` limit: live keys, expiries and value lengths in each order of
    /// [`SortBy`](anykv_core::SortBy) (see [`Sql::sorted`]).
    sorted: [String; 6],
    /// Bytes of the held keys and values.
    pub bytes: String,
    /// `?1` now, `?2` limit, `?3` the lower bound, `?4` the upper one: the pages of a scan,
    /// by [`PageBounds`].
    pages: [[[String; 2]; 2]; 3],
    pub clear: String,
    pub purge: String,
    pub key_listing: KeyListingSql,
    table: String,
}

/// The lower bound of a page of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lower {
    /// From the first key.
    None,
    /// From `?3` (the prefix), included.
    Inclusive,
    /// After `?3` (the last key of the page before).
    Exclusive,
}

/// Which bounds a page of a scan has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageBounds {
    /// The lower bound.
    pub lower: Lower,
    /// Whether keys are below `?4` (the end of the prefix's range).
    pub upper: bool,
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
        let page = |lower: usize, upper: usize, values: usize| {
            format!(
                "SELECT key, {}, expires_at FROM {t} WHERE {}{}{} ORDER BY key LIMIT ?2",
                if values == 1 { "value" } else { "NULL" },
                live(1),
                ["", " AND key >= ?3", " AND key > ?3"][lower],
                if upper == 1 { " AND key < ?4" } else { "" },
            )
        };
        let pages = std::array::from_fn(|lower| {
            std::array::from_fn(|upper| std::array::from_fn(|values| page(lower, upper, values)))
        });
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
            sorted: [
                "expires_at IS NULL, expires_at, key",
                "LENGTH(value) DESC, key",
                "key",
                "expires_at IS NULL DESC, expires_at DESC, key DESC",
                "LENGTH(value), key DESC",
                "key DESC",
            ]
            .map(|order| {
                format!(
                    "SELECT key, expires_at, LENGTH(value) FROM {t} WHERE {} ORDER BY {order} LIMIT ?2",
                    live(1)
                )
            }),
            bytes: format!("SELECT COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0) FROM {t}"),
            pages,
            clear: format!("DELETE FROM {t}"),
            purge: format!("DELETE FROM {t} WHERE expires_at IS NOT NULL AND expires_at <= ?1"),
            key_listing: KeyListingSql::new(&t),
            table: t,
        }
    }

    /// The query of `sorted` in the order `by`.
    pub(crate) fn sorted(&self, by: anykv_core::SortBy) -> &str {
        use anykv_core::SortBy;
        let index = match by {
            SortBy::Expiry => 0,
            SortBy::Size => 1,
            SortBy::Key => 2,
            SortBy::LatestExpiry => 3,
            SortBy::Smallest => 4,
            SortBy::KeyDescending => 5,
        };
        &self.sorted[index]
    }

    /// The page query of a scan bounded as `bounds` says, reading values or not.
    pub(crate) fn page(&self, bounds: PageBounds, values: bool) -> &str {
        let lower = match bounds.lower {
            Lower::None => 0,
            Lower::Inclusive => 1,
            Lower::Exclusive => 2,
        };
        &self.pages[lower][usize::from(bounds.upper)][usize::from(values)]
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
