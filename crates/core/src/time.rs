//! Dates and times as Trove writes and reads them: RFC 3339 in UTC with a `Z`, through `chrono`.
//! Every timestamp is stored as milliseconds since the Unix epoch (see [`crate::now_ms`]).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

const MS_PER_DAY: i64 = 86_400_000;

/// The moment `ms` milliseconds after the epoch, clamped to what chrono represents (±262 000
/// years, far beyond any stored time).
fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `1700000000123` → `2023-11-14T22:13:20.123Z`: always milliseconds, as the API shows times.
pub fn rfc3339(ms: i64) -> String {
    utc(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `1700000000123` → `2023-11-14T22:13:20Z`: whole seconds, as backup manifests show times.
pub fn rfc3339_secs(ms: i64) -> String {
    utc(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Milliseconds since the epoch of an RFC 3339 time (any precision and offset), or `None`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// `2023-11-14` for a day number counted from the epoch.
pub fn date(day: i64) -> String {
    utc(day.saturating_mul(MS_PER_DAY)).format("%Y-%m-%d").to_string()
}

/// The day number (counted from the epoch) of a `YYYY-MM-DD` date, or of the date that starts
/// an RFC 3339 time; `None` if it is not a valid date.
pub fn day_number(date: &str) -> Option<i64> {
    let day = NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
    Some(day.to_epoch_days().into())
}

/// Days since the epoch for a millisecond timestamp.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(date(day_of(951_782_400_000)), "2000-02-29");
        // Before the epoch and at the edges of four-digit years.
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(-62_167_219_200_000), "0000-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(date(-1), "1969-12-31");
    }

    #[test]
    fn formats_whole_seconds() {
        assert_eq!(rfc3339_secs(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_secs(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_secs(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_secs(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses() {
        for ms in [0, 1_700_000_000_123, 951_782_400_000, -1] {
            assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        }
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000_000));
        assert_eq!(parse_rfc3339("2023-11-14T23:13:20.5+01:00"), Some(1_700_000_000_500));
        for bad in ["", "2023-11-14", "2023-11-14T22:13:20", "2023-02-30T00:00:00Z", "nope"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_numbers() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-02-29"), Some(11_016));
        assert_eq!(date(day_number("2026-11-01").unwrap()), "2026-11-01");
        assert_eq!(day_number("2023-11-14T22:13:20.123Z"), Some(day_of(1_700_000_000_123)));
        assert_eq!(day_number("2026-13-01"), None);
        assert_eq!(day_number("2026-02-30"), None);
        assert_eq!(day_number("nope"), None);
    }
}
