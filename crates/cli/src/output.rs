//! Printing: human text by default, one JSON document with `--json`; progress bars on a
//! terminal's stderr only.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON with `--json`, else the human text.
    pub fn emit(&self, value: serde_json::Value, human: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        } else {
            let text = human();
            if !text.is_empty() {
                println!("{}", text.trim_end_matches('\n'));
            }
        }
    }

    /// A status line for people (stderr; silent with `--json`).
    pub fn status(&self, line: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", line.as_ref());
        }
    }

    pub fn warn(&self, line: impl AsRef<str>) {
        eprintln!("warning: {}", line.as_ref());
    }
}

/// `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A one-line progress bar redrawn on stderr, at most ten times a second. Invisible when
/// stderr is not a terminal (scripts, CI, `--json`).
#[derive(Clone)]
pub struct Progress {
    inner: Option<Arc<Mutex<Bar>>>,
}

struct Bar {
    label: String,
    total: u64,
    done: u64,
    items: (u64, u64),
    last: Option<Instant>,
    started: Instant,
}

impl Progress {
    pub fn new(out: &Out, label: &str, total_bytes: u64, total_items: u64) -> Progress {
        let visible = !out.json && std::io::stderr().is_terminal();
        Progress {
            inner: visible.then(|| {
                Arc::new(Mutex::new(Bar {
                    label: label.to_string(),
                    total: total_bytes,
                    done: 0,
                    items: (0, total_items),
                    last: None,
                    started: Instant::now(),
                }))
            }),
        }
    }

    pub fn hidden() -> Progress {
        Progress { inner: None }
    }

    /// Adds `n` bytes.
    pub fn add(&self, n: u64) {
        self.update(|b| b.done += n);
    }

    /// Sets the bytes done so far.
    pub fn set(&self, n: u64) {
        self.update(|b| b.done = n);
    }

    /// Counts one finished item.
    pub fn item_done(&self) {
        self.update(|b| b.items.0 += 1);
    }

    fn update(&self, f: impl FnOnce(&mut Bar)) {
        let Some(inner) = &self.inner else { return };
        let Ok(mut b) = inner.lock() else { return };
        f(&mut b);
        let due = b.last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if due || b.done >= b.total {
            b.last = Some(Instant::now());
            draw(&b);
        }
    }

    /// Clears the line.
    pub fn finish(&self) {
        if let Some(inner) = &self.inner {
            if let Ok(b) = inner.lock() {
                draw(&b);
            }
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

fn draw(b: &Bar) {
    const WIDTH: usize = 30;
    let frac = if b.total == 0 {
        1.0
    } else {
        (b.done as f64 / b.total as f64).min(1.0)
    };
    let filled = (frac * WIDTH as f64) as usize;
    let bar: String = (0..WIDTH)
        .map(|i| match i.cmp(&filled) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal => '>',
            std::cmp::Ordering::Greater => ' ',
        })
        .collect();
    let secs = b.started.elapsed().as_secs_f64().max(0.001);
    let items = if b.items.1 > 1 {
        format!(" {}/{}", b.items.0, b.items.1)
    } else {
        String::new()
    };
    eprint!(
        "\r\x1b[2K{} [{bar}] {:>3}%{items} {} / {} ({}/s)",
        b.label,
        (frac * 100.0) as u32,
        human_bytes(b.done),
        human_bytes(b.total),
        human_bytes((b.done as f64 / secs) as u64)
    );
    let _ = std::io::stderr().flush();
}

/// `▁▂▃▅█`: one bar per value, zero as the lowest bar and any non-zero day visibly higher.
pub fn sparkline(values: &[i64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(0);
    values
        .iter()
        .map(|&v| {
            if v <= 0 || max == 0 {
                BARS[0]
            } else {
                let level = ((v as f64 / max as f64) * 7.0).ceil() as usize;
                BARS[level.clamp(1, 7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0, 1, 2, 4, 8]), "▁▂▃▅█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[1, 1000]).chars().next(), Some('▂'));
    }
}
