//! How results are shown: human text, or JSON for scripts.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

/// A size for people: `512 B`, `1.5 KiB`, `3.2 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A remaining TTL for people: `-` for none, else `59s`, `4m59s`, `2h0m`, `3d4h`.
pub fn ttl(remaining: Option<Duration>) -> String {
    let Some(remaining) = remaining else {
        return "-".to_owned();
    };
    let seconds = remaining.as_secs();
    match seconds {
        0 => format!("{}ms", remaining.as_millis()),
        1..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m{}s", seconds / 60, seconds % 60),
        3600..=86_399 => format!("{}h{}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d{}h", seconds / 86_400, seconds % 86_400 / 3600),
    }
}

/// A remaining TTL for scripts: milliseconds, or null for none.
pub fn ttl_ms(remaining: Option<Duration>) -> Value {
    remaining.map_or(Value::Null, |ttl| {
        Value::from(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
    })
}

/// Prints one JSON document on stdout.
pub fn json(value: &Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)
}

/// A streamed JSON array on stdout, one element at a time, so a long listing needs no memory.
/// Nothing is written before the first element or the end, so a listing that fails before its
/// first element leaves stdout empty; one that fails later still leaves a valid (shorter) array,
/// closed when the array is dropped, and the error goes to stderr.
pub struct JsonArray {
    /// Whether the opening `[` is out (and the array must be closed).
    opened: bool,
}

impl JsonArray {
    /// A new array; writes nothing yet.
    pub fn start() -> std::io::Result<Self> {
        Ok(JsonArray { opened: false })
    }

    /// Writes one element.
    pub fn push(&mut self, value: &Value) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        let separator = if self.opened { "," } else { "[" };
        self.opened = true;
        write!(out, "{separator}\n  {value}")
    }

    /// Closes the array (`[]` when it is empty).
    pub fn finish(mut self) -> std::io::Result<()> {
        let closing = if self.opened { "\n]" } else { "[]" };
        self.opened = false;
        writeln!(std::io::stdout().lock(), "{closing}")
    }
}

impl Drop for JsonArray {
    /// An array left by an error is closed, so stdout still holds valid JSON.
    fn drop(&mut self) {
        if self.opened {
            let _ = writeln!(std::io::stdout().lock(), "\n]");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ttls_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(ttl(None), "-");
        assert_eq!(ttl(Some(Duration::from_millis(250))), "250ms");
        assert_eq!(ttl(Some(Duration::from_secs(299))), "4m59s");
        assert_eq!(ttl(Some(Duration::from_secs(7300))), "2h1m");
        assert_eq!(ttl(Some(Duration::from_secs(2 * 86_400 + 3600))), "2d1h");
    }
}
