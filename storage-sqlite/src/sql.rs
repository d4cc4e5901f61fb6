//! The SQL of one namespace's table, built once per store from a checked table name.

use storage_core::Namespace;

/// Largest number of keys bound into one `IN (…)` list; bigger bulk calls are chunked.
pub(crate) const MAX_IN_PARAMS: usize = 500;

/// Every statement a store runs against its table.
pub(crate) struct Sql {
    pub create: String,
    pub get: String,
    pub expiry: String,
    pub set: String,
    pub set_if_absent: String,
    pub delete: String,
    pub pop: String,
    pub count: String,
    pub first_page: [String; 2],
    pub next_page: [String; 2],
    pub clear: String,
    pub purge: String,
    table: String,
}

/// `1` if the row is live at `?now`; `now` is always the last positional parameter it names.
const LIVE: &str = "(expires_at IS NULL OR expires_at > :now)";

impl Sql {
    pub(crate) fn new(namespace: &Namespace) -> Self {
        // Namespace names are checked to [A-Za-z0-9_-], so quoting cannot be escaped.
        let t = format!("\"kv_{}\"", namespace.as_str());
        let index = format!("\"kv_{}_expires_at\"", namespace.as_str());
        let page = |values: bool, after: bool| {
            format!(
                "SELECT key, {}, expires_at FROM {t} WHERE {LIVE}{} ORDER BY key LIMIT :limit",
                if values { "value" } else { "NULL" },
                if after { " AND key > :after" } else { "" },
            )
        };
        Sql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires_at INTEGER);
                 CREATE INDEX IF NOT EXISTS {index} ON {t} (expires_at) WHERE expires_at IS NOT NULL;"
            ),
            get: format!("SELECT value, expires_at FROM {t} WHERE key = :key AND {LIVE}"),
            expiry: format!("SELECT expires_at FROM {t} WHERE key = :key AND {LIVE}"),
            set: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES (:key, :value, :expires_at)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
            ),
            set_if_absent: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES (:key, :value, :expires_at)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE NOT {LIVE}"
            ),
            delete: format!("DELETE FROM {t} WHERE key = :key RETURNING {LIVE}"),
            pop: format!("DELETE FROM {t} WHERE key = :key RETURNING value, {LIVE}"),
            count: format!("SELECT COUNT(*) FROM {t} WHERE {LIVE}"),
            first_page: [page(false, false), page(true, false)],
            next_page: [page(false, true), page(true, true)],
            clear: format!("DELETE FROM {t}"),
            purge: format!("DELETE FROM {t} WHERE expires_at IS NOT NULL AND expires_at <= :now"),
            table: t,
        }
    }

    /// `SELECT key, value FROM t WHERE key IN (?1…?n) AND live`, `now` is `?{n+1}`.
    pub(crate) fn get_in(&self, n: usize) -> String {
        format!(
            "SELECT key, value FROM {} WHERE key IN ({}) AND (expires_at IS NULL OR expires_at > ?{})",
            self.table,
            placeholders(n),
            n + 1
        )
    }

    /// `DELETE … WHERE key IN (?1…?n) RETURNING live`, `now` is `?{n+1}`.
    pub(crate) fn delete_in(&self, n: usize) -> String {
        format!(
            "DELETE FROM {} WHERE key IN ({}) RETURNING (expires_at IS NULL OR expires_at > ?{})",
            self.table,
            placeholders(n),
            n + 1
        )
    }
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}
