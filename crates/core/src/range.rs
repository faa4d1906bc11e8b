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
        let Ok(n) = b.parse::<u64>() else {
            return RangeSpec::Full;
        };
        if n == 0 {
            return RangeSpec::Unsatisfiable;
        }
        size.saturating_sub(n)..size
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return RangeSpec::Full;
        };
        let end = if b.is_empty() {
            size
        } else {
            match b.parse::<u64>() {
                Ok(e) if e >= start => (e + 1).min(size),
                // A range ending before it starts selects nothing.
                Ok(_) => return RangeSpec::Unsatisfiable,
                Err(_) => return RangeSpec::Full,
            }
        };
        start..end
    };
    if range.start >= size {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Part(range)
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
}
