//! HTTP byte ranges (RFC 9110 §14), shared by every download endpoint.

use std::ops::Range;

/// What a `Range` header asks of a body of known size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeSpec {
    Full,
    Part(Range<u64>),
    Unsatisfiable,
}

/// Parses a single `bytes=` range; several ranges or other units get the whole blob.
pub fn parse_range(header: &str, size: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let Some(n) = position(b) else {
            return RangeSpec::Full;
        };
        if n == 0 {
            return RangeSpec::Unsatisfiable;
        }
        size.saturating_sub(n)..size
    } else {
        let Some(start) = position(a) else {
            return RangeSpec::Full;
        };
        let end = if b.is_empty() {
            size
        } else {
            match position(b) {
                // `e` may be u64::MAX: the end is clamped to the size without overflowing.
                Some(e) if e >= start => e.min(size.saturating_sub(1)).saturating_add(1),
                // A range ending before it starts selects nothing.
                Some(_) => return RangeSpec::Unsatisfiable,
                None => return RangeSpec::Full,
            }
        };
        start..end
    };
    if range.start >= size {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Part(range)
}

/// A byte position: ASCII digits only (no sign); one too large for a u64 is past any end,
/// so it counts as u64::MAX.
fn position(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let part = |h: &str, size| match parse_range(h, size) {
            RangeSpec::Part(r) => Some(r),
            _ => None,
        };
        assert_eq!(part("bytes=0-9", 100), Some(0..10));
        assert_eq!(part("bytes=90-", 100), Some(90..100));
        assert_eq!(part("bytes=-10", 100), Some(90..100));
        assert!(matches!(parse_range("bytes=100-", 100), RangeSpec::Unsatisfiable));
        assert!(matches!(parse_range("bytes=0-1,4-5", 100), RangeSpec::Full));
        assert!(matches!(parse_range("bytes=0-0", 0), RangeSpec::Unsatisfiable));
        assert!(matches!(parse_range("bytes=500-0", 1000), RangeSpec::Unsatisfiable));
        assert!(matches!(parse_range("bytes=x-1", 1000), RangeSpec::Full));
        assert_eq!(
            part("bytes=50-500", 100),
            Some(50..100),
            "the end is clamped to the size"
        );
        assert!(
            matches!(parse_range("items=0-1", 100), RangeSpec::Full),
            "other units are ignored"
        );
        assert!(matches!(parse_range("bytes=-0", 100), RangeSpec::Unsatisfiable));
    }

    #[test]
    fn huge_positions_do_not_overflow() {
        let max = u64::MAX;
        assert_eq!(parse_range(&format!("bytes=0-{max}"), 100), RangeSpec::Part(0..100));
        assert_eq!(parse_range(&format!("bytes=5-{max}"), 100), RangeSpec::Part(5..100));
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999", 100),
            RangeSpec::Part(0..100)
        );
        assert_eq!(parse_range(&format!("bytes=-{max}"), 100), RangeSpec::Part(0..100));
        assert_eq!(
            parse_range("bytes=-99999999999999999999999", 100),
            RangeSpec::Part(0..100)
        );
        assert_eq!(parse_range(&format!("bytes={max}-"), 100), RangeSpec::Unsatisfiable);
        assert_eq!(
            parse_range(&format!("bytes={max}-{max}"), 100),
            RangeSpec::Unsatisfiable
        );
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 100),
            RangeSpec::Unsatisfiable
        );
        assert_eq!(parse_range(&format!("bytes=0-{max}"), max), RangeSpec::Part(0..max));
        assert_eq!(parse_range("bytes=+1-2", 100), RangeSpec::Full, "a sign is not a digit");
        assert_eq!(parse_range("bytes=1-+2", 100), RangeSpec::Full);
    }
}
