//! Durations and points in time as the flags of both binaries take them, and times as queries
//! write them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat};

/// One or more number-and-unit pairs: `30s`, `1.5s`, `500ms`, `2m`, `1h`, `1m30s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{text:?} is not a duration; write a number and a unit (ms, s, m or h), e.g. 30s")
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let unit_end = rest[number_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |n| number_end + n);
        let number: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        let seconds = match &rest[number_end..unit_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(number * seconds).map_err(|_| bad())?;
        rest = &rest[unit_end..];
    }
    Ok(total)
}

/// A point in time given on the command line: fixed, or relative to when the run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Nanoseconds since the Unix epoch.
    At(u64),
    /// This long before now.
    Ago(Duration),
}

/// An RFC 3339 time (`2030-01-31T00:00:00Z`) or a duration ago (`24h`, `90m`).
pub fn parse_when(text: &str) -> Result<When, String> {
    if let Ok(ago) = parse_duration(text) {
        return Ok(When::Ago(ago));
    }
    let time = strata_types::parse_timestamp(text.trim()).map_err(|_| {
        format!(
            "{text:?} is neither an RFC 3339 time (e.g. 2030-01-31T00:00:00Z) nor a duration ago (e.g. 24h)"
        )
    })?;
    time.timestamp_nanos_opt()
        .and_then(|ns| u64::try_from(ns).ok())
        .map(When::At)
        .ok_or_else(|| format!("{text:?} is outside 1970 to 2262, the times line protocol holds"))
}

impl When {
    /// Nanoseconds since the Unix epoch, `Ago` counted back from `now_ns`.
    pub fn resolve(self, now_ns: u64) -> Result<u64, String> {
        match self {
            When::At(ns) => Ok(ns),
            When::Ago(ago) => u64::try_from(ago.as_nanos())
                .ok()
                .and_then(|ago| now_ns.checked_sub(ago))
                .ok_or_else(|| format!("{ago:?} ago is before 1970")),
        }
    }
}

/// Now, in nanoseconds since the Unix epoch, cut to whole milliseconds so that times counted
/// from it stay round numbers.
pub fn now_ns() -> Result<u64, String> {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_owned())?
        .as_millis();
    Ok(ms as u64 * 1_000_000)
}

/// `ns` since the Unix epoch as RFC 3339 in UTC, with only the fraction digits it needs
/// (whole seconds have none), as InfluxQL and SQL take time literals.
pub fn rfc3339(ns: u64) -> String {
    DateTime::from_timestamp_nanos(ns as i64).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, ms) in [
            ("30s", 30_000),
            ("0s", 0),
            ("1.5s", 1_500),
            ("86.4s", 86_400),
            ("500ms", 500),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("1m30s", 90_000),
            (" 10s ", 10_000),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "30", "s", "1d", "1.2.3s", "-1s", "1 s", "10sec", "ms5"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn points_in_time() {
        const NOW: u64 = 1_800_000_000_000_000_000;
        assert_eq!(
            parse_when("24h"),
            Ok(When::Ago(Duration::from_secs(86_400)))
        );
        assert_eq!(
            parse_when("24h").unwrap().resolve(NOW),
            Ok(NOW - 86_400 * 1_000_000_000)
        );
        assert_eq!(parse_when("0s").unwrap().resolve(NOW), Ok(NOW));
        let at = 1_700_000_000_500_000_000;
        for text in [
            "2023-11-14T22:13:20.5Z",
            "2023-11-15T00:13:20.5+02:00",
            " 2023-11-14T22:13:20.5Z ",
        ] {
            assert_eq!(parse_when(text), Ok(When::At(at)), "{text}");
        }
        assert_eq!(When::At(at).resolve(NOW), Ok(at));
        assert_eq!(rfc3339(at), "2023-11-14T22:13:20.500Z");
        assert_eq!(rfc3339(1_700_000_000_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(
            parse_when(&rfc3339(1_700_000_000_000_000_001)),
            Ok(When::At(1_700_000_000_000_000_001))
        );
    }

    #[test]
    fn points_in_time_that_cannot_be() {
        let error = parse_when("yesterday").unwrap_err();
        assert!(error.contains("neither an RFC 3339 time"), "{error}");
        assert!(parse_when("1d").is_err(), "days are not a duration unit");
        assert!(parse_when("2023-11-14").is_err(), "a date alone");
        let error = parse_when("1960-01-01T00:00:00Z").unwrap_err();
        assert!(error.contains("outside 1970 to 2262"), "{error}");
        assert!(parse_when("2300-01-01T00:00:00Z").is_err());
        let error = parse_when("1000000h").unwrap().resolve(0).unwrap_err();
        assert!(error.contains("before 1970"), "{error}");
    }
}
