//! Small formatting helpers for numbers, sizes, dates and URLs.

use maud::{html, Markup};

/// Percent-encodes a query-string component (unreserved characters and `/` stay).
pub fn encode(s: &str) -> String {
    const COMPONENT: &percent_encoding::AsciiSet = &trove_core::url::UNRESERVED.remove(b'/');
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

/// A query string from pairs, empty values left out: `?a=1&b=2` (or "" when empty).
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `1234` → `1.2k`, `3456789` → `3.5M`.
pub fn compact(n: i64) -> String {
    let f = n as f64;
    if n.abs() < 1000 {
        n.to_string()
    } else if n.abs() < 1_000_000 {
        trim(format!("{:.1}", f / 1e3)) + "k"
    } else if n.abs() < 1_000_000_000 {
        trim(format!("{:.1}", f / 1e6)) + "M"
    } else {
        trim(format!("{:.1}", f / 1e9)) + "B"
    }
}

fn trim(s: String) -> String {
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// `12345` → `12.1 KiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp as Trove writes them.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000)
}

/// `3 days ago`, relative to `now_ms`.
pub fn ago_from(ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - ms).max(0) / 1000;
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => plural(secs / 60, "minute"),
        3600..=86_399 => plural(secs / 3600, "hour"),
        86_400..=2_591_999 => plural(secs / 86_400, "day"),
        2_592_000..=31_535_999 => plural(secs / 2_592_000, "month"),
        _ => plural(secs / 31_536_000, "year"),
    }
}

/// A `<time>` element showing how long ago an RFC 3339 timestamp was.
pub fn time_ago(rfc3339: &str) -> Markup {
    let text = match parse_rfc3339(rfc3339) {
        Some(ms) => ago_from(ms, trove_core::now_ms()),
        None => rfc3339.to_string(),
    };
    html! { time datetime=(rfc3339) title=(date_time(rfc3339)) { (text) } }
}

/// `2024-05-06 12:34 UTC`.
pub fn date_time(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// `2024-05-06`.
pub fn date(rfc3339: &str) -> &str {
    rfc3339.get(0..10).unwrap_or(rfc3339)
}

/// The host (and port) of a base URL: `https://trove.example.com/` → `trove.example.com`.
pub fn host_of(base_url: &str) -> &str {
    let rest = base_url.split_once("://").map(|(_, r)| r).unwrap_or(base_url);
    rest.split('/').next().unwrap_or(rest)
}

/// Shortens a digest for display: `sha256:0123456789ab…`.
pub fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((algo, hex)) if hex.len() > 12 => format!("{algo}:{}…", &hex[..12]),
        _ => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1000), "1k");
        assert_eq!(compact(1260), "1.3k");
        assert_eq!(compact(3_456_789), "3.5M");
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(2048), "2.0 KiB");
    }

    #[test]
    fn times() {
        let ms = parse_rfc3339("2023-11-14T22:13:20.123Z").unwrap();
        assert_eq!(ms, 1_700_000_000_000);
        assert_eq!(trove_core::time::rfc3339(ms), "2023-11-14T22:13:20.000Z");
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00.000Z"), Some(951_782_400_000));
        assert_eq!(ago_from(0, 30_000), "just now");
        assert_eq!(ago_from(0, 120_000), "2 minutes ago");
        assert_eq!(ago_from(0, 86_400_000), "1 day ago");
        assert_eq!(ago_from(0, 400 * 86_400_000), "1 year ago");
    }

    #[test]
    fn urls() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd/%C3%A9");
        assert_eq!(
            query(&[("q", "x y"), ("page", ""), ("sort", "name")]),
            "?q=x%20y&sort=name"
        );
        assert_eq!(query(&[("q", "")]), "");
        assert_eq!(host_of("https://trove.example.com/"), "trove.example.com");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
