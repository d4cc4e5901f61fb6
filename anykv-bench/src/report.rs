//! The report of a full run: a Markdown table and an SVG chart of ours ÷ raw per row, with
//! the date, commit, machine and server versions they were measured on.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::table::Row;

/// Where and on what a run was measured.
pub struct Setting {
    pub date: String,
    pub commit: String,
    pub machine: String,
    pub servers: Vec<String>,
    pub scale: f64,
}

impl Setting {
    /// The date, commit and machine of this run; `servers` are the versions the groups found.
    pub fn of_this_run(servers: Vec<String>, scale: f64) -> Self {
        Setting {
            date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            commit: command_line("git", &["rev-parse", "--short", "HEAD"]),
            machine: machine(),
            servers,
            scale,
        }
    }
}

/// The first line a command prints, or `unknown`.
fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// CPU model, cores and memory, from /proc where there is one.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(String::from("? GiB"), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    format!(
        "{model}, {cores} cores, {memory_gib}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Writes `benchmarks.md` (the rows, then `sections` as they are) and `benchmarks.svg` into
/// `dir`.
pub fn write(dir: &Path, rows: &[Row], sections: &str, setting: &Setting) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = markdown(rows, setting) + sections;
    std::fs::write(dir.join("benchmarks.md"), text)?;
    std::fs::write(dir.join("benchmarks.svg"), svg(rows, setting))
}

fn markdown(rows: &[Row], setting: &Setting) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks: each backend beside its raw driver\n");
    let _ = writeln!(
        out,
        "Measured {} at commit `{}` on {}; servers: {}; `BENCH_SCALE={}`.\n",
        setting.date,
        setting.commit,
        setting.machine,
        if setting.servers.is_empty() {
            "none".to_owned()
        } else {
            setting.servers.join(", ")
        },
        setting.scale
    );
    let _ = writeln!(
        out,
        "Produced by `cargo run --release -p anykv-bench`. Each row runs the same work on both \
         sides in the same process (same keys, same values, same durability: the raw side uses \
         the store's schema, pragmas and commands), in alternating rounds, best round kept. The \
         ratio is ours ÷ raw time: below 1 is faster. ![chart](benchmarks.svg)\n"
    );
    out.push_str(&crate::table::markdown(rows));
    out
}

/// Bars of log₂(ratio) around a line at 1×, from 1/8× to 16×.
fn svg(rows: &[Row], setting: &Setting) -> String {
    const LABEL: f64 = 300.0;
    const PLOT: f64 = 560.0;
    const BAR: f64 = 16.0;
    const TOP: f64 = 50.0;
    let (low, high) = (-3.0f64, 4.0f64);
    let x_of = |ratio: f64| {
        let log = ratio.max(1e-9).log2().clamp(low, high);
        LABEL + (log - low) / (high - low) * PLOT
    };
    let height = TOP + BAR * rows.len() as f64 + 30.0;
    let width = LABEL + PLOT + 80.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        out,
        r#"<text x="4" y="16" font-size="13">ours ÷ raw driver time per operation (log scale; left of 1× is faster)</text>"#
    );
    let _ = writeln!(
        out,
        r##"<text x="4" y="32" fill="#555">{} · {} · {}</text>"##,
        escape(&setting.date),
        escape(&setting.commit),
        escape(&setting.machine)
    );
    for tick in [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0] {
        let x = x_of(tick);
        let stroke = if tick == 1.0 { "#000" } else { "#ddd" };
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="{stroke}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{tick}×</text>"##,
            height - 25.0,
            height - 12.0
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let ratio = row.ratio();
        let y = TOP + BAR * i as f64;
        let (from, to) = (x_of(1.0).min(x_of(ratio)), x_of(1.0).max(x_of(ratio)));
        let fill = if ratio <= 1.25 { "#4c9a2a" } else { "#c0392b" };
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{from:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/><text x="{:.1}" y="{:.1}">{ratio:.2}×</text>"##,
            LABEL - 6.0,
            y + 12.0,
            escape(&format!(
                "{} · {} · {}",
                row.backend,
                row.op,
                row.size_label()
            )),
            y + 2.0,
            (to - from).max(1.0),
            BAR - 4.0,
            LABEL + PLOT + 6.0,
            y + 12.0
        );
    }
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_chart_has_a_bar_per_row_and_the_table_a_line_per_row() {
        let rows = vec![
            Row {
                backend: "sqlite",
                op: "get",
                size: 100,
                ours: Duration::from_micros(3),
                raw: Duration::from_micros(2),
            },
            Row {
                backend: "redis",
                op: "keys <11k>",
                size: 10 * 1024,
                ours: Duration::from_micros(1),
                raw: Duration::from_micros(4),
            },
        ];
        let setting = Setting {
            date: "2026-12-02".into(),
            commit: "abc1234".into(),
            machine: "test".into(),
            servers: vec!["redis 7.0.15".into()],
            scale: 1.0,
        };
        let chart = svg(&rows, &setting);
        assert_eq!(chart.matches("<rect").count(), 2);
        assert!(chart.contains("1.50×") && chart.contains("0.25×"));
        assert!(chart.contains("keys &lt;11k&gt;"));
        let table = markdown(&rows, &setting);
        assert!(table.contains("| sqlite | get | 100 B | 3.00 | 2.00 | 1.50x |"));
        assert!(table.contains("redis 7.0.15") && table.contains("abc1234"));
    }
}
