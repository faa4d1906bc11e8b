//! The download chart: an inline SVG bar chart of daily downloads, styled by the page's
//! stylesheet (so it follows light and dark mode) and readable without JavaScript: every
//! bar has a tooltip, and the figure has a text summary for screen readers.

use crate::fmt::thousands;
use maud::{html, Markup};

const W: f64 = 720.0;
const H: f64 = 180.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

/// A "nice" axis maximum at or above `max`: 1, 2 or 5 times a power of ten.
pub fn nice_max(max: i64) -> i64 {
    if max <= 4 {
        return 4;
    }
    let mut p = 1i64;
    while p * 10 <= max {
        p *= 10;
    }
    for m in [1, 2, 4, 5, 10] {
        if p * m >= max {
            return p * m;
        }
    }
    p * 10
}

/// The chart for `(date, downloads)` pairs, oldest first.
pub fn downloads_chart(days: &[(String, i64)]) -> Markup {
    let n = days.len().max(1) as f64;
    let total: i64 = days.iter().map(|d| d.1).sum();
    let peak = days.iter().map(|d| d.1).max().unwrap_or(0);
    let top = nice_max(peak);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / n;
    let bar_w = (slot * 0.72).max(1.0);
    let y_of = |v: i64| TOP + plot_h - (v as f64 / top as f64) * plot_h;
    let first = days.first().map(|d| d.0.as_str()).unwrap_or("");
    let last = days.last().map(|d| d.0.as_str()).unwrap_or("");
    let middle = days.get(days.len() / 2).map(|d| d.0.as_str()).unwrap_or("");
    let summary = format!(
        "{} downloads over the last {} days, at most {} on one day.",
        thousands(total),
        days.len(),
        thousands(peak)
    );
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby="chart-title chart-desc"
                class="chart-svg" {
                title #chart-title { "Daily downloads" }
                desc #chart-desc { (summary) }
                @for frac in [0.0, 0.5, 1.0] {
                    @let v = (top as f64 * frac).round() as i64;
                    @let y = y_of(v);
                    line.grid x1=(LEFT) x2=(W - RIGHT) y1=(y) y2=(y) {}
                    text.axis x=(LEFT - 6.0) y=(y + 4.0) text-anchor="end" { (crate::fmt::compact(v)) }
                }
                @for (i, (date, count)) in days.iter().enumerate() {
                    @if *count > 0 {
                        @let h = (plot_h * *count as f64 / top as f64).max(1.5);
                        rect.bar x=(format!("{:.2}", LEFT + i as f64 * slot + (slot - bar_w) / 2.0))
                            y=(format!("{:.2}", TOP + plot_h - h)) width=(format!("{bar_w:.2}"))
                            height=(format!("{h:.2}")) rx="1" {
                            title { (date) ": " (thousands(*count)) " downloads" }
                        }
                    }
                }
                text.axis x=(LEFT) y=(H - 6.0) text-anchor="start" { (first) }
                text.axis x=(LEFT + plot_w / 2.0) y=(H - 6.0) text-anchor="middle" { (middle) }
                text.axis x=(W - RIGHT) y=(H - 6.0) text-anchor="end" { (last) }
                @if total == 0 {
                    text.empty x=(LEFT + plot_w / 2.0) y=(TOP + plot_h * 0.3) text-anchor="middle" {
                        "No downloads yet"
                    }
                }
            }
            figcaption.sr-only { (summary) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0), 4);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(10), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(33), 40);
        assert_eq!(nice_max(45), 50);
        assert_eq!(nice_max(51), 100);
        assert_eq!(nice_max(1234), 2000);
    }

    #[test]
    fn draws_a_bar_per_day_with_downloads() {
        let days: Vec<(String, i64)> = (0..90)
            .map(|i| (format!("d{i}"), if i % 3 == 0 { i } else { 0 }))
            .collect();
        let svg = downloads_chart(&days).into_string();
        assert_eq!(svg.matches("<rect").count(), 29);
        assert!(svg.contains("<svg"));
        assert!(svg.contains("d3: 3 downloads"));
        assert!(!svg.contains("No downloads yet"));
        let empty = downloads_chart(&[("2024-01-01".into(), 0)]).into_string();
        assert!(empty.contains("No downloads yet"));
    }
}
