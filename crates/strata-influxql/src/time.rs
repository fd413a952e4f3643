//! Time literals: InfluxQL writes timestamps as strings (`time >= '2023-01-01T00:00:00Z'`).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// The nanoseconds since the Unix epoch of a timestamp string, as InfluxQL accepts them:
///
/// - RFC 3339, with a zone: `2023-01-01T00:00:00Z`, `2023-01-01T01:00:00.5+01:00`;
/// - a date and time without zone, meaning UTC: `2023-01-01 00:00:00`,
///   `2023-01-01T00:00:00.123456789`;
/// - a date, meaning midnight UTC: `2023-01-01`.
///
/// `None` when the text is none of these or lies outside the years 1677–2262 that
/// nanoseconds in an `i64` cover.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return t.timestamp_nanos_opt();
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return t.and_utc().timestamp_nanos_opt();
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp_nanos_opt()
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn accepted_forms() {
        let jan1 = 1_672_531_200_000_000_000;
        assert_eq!(parse_timestamp("2023-01-01T00:00:00Z"), Some(jan1));
        assert_eq!(parse_timestamp("2023-01-01T01:00:00+01:00"), Some(jan1));
        assert_eq!(
            parse_timestamp("2023-01-01T00:00:00.5Z"),
            Some(jan1 + 500_000_000)
        );
        assert_eq!(parse_timestamp("2023-01-01 00:00:00"), Some(jan1));
        assert_eq!(
            parse_timestamp("2023-01-01 00:00:00.000000001"),
            Some(jan1 + 1)
        );
        assert_eq!(parse_timestamp("2023-01-01T00:00:00"), Some(jan1));
        assert_eq!(parse_timestamp("2023-01-01"), Some(jan1));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
    }

    #[test]
    fn refused_forms() {
        for text in [
            "",
            "yesterday",
            "2023-13-01",
            "2023-01-01T25:00:00Z",
            "3000-01-01",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }
}
