use chrono::{DateTime, TimeDelta, Utc};

use crate::{Error, Result};

/// An RFC 3339 time, or the `2006-01-02T15:04:05+0000` form (offset without a colon) that
/// `date +%Y-%m-%dT%H:%M:%S%z` prints.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Error::invalid(format!(
                "{text:?} is not a time; write RFC 3339 such as 2030-01-31T00:00:00Z or 2030-01-31T00:00:00+0000"
            ))
        })
}

/// A duration such as `14d`, `36h`, `90m` or `30s` (one number and one unit).
pub fn parse_duration(text: &str) -> Result<TimeDelta> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| duration_error(text))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(duration_error(text)),
    };
    n.checked_mul(seconds)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| duration_error(text))
}

fn duration_error(text: &str) -> Error {
    Error::invalid(format!(
        "{text:?} is not a duration; write a whole number and a unit (s, m, h, d or w), e.g. 14d"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let a = parse_timestamp("2030-01-31T00:00:00Z").unwrap();
        assert_eq!(parse_timestamp("2030-01-31T01:00:00+0100").unwrap(), a);
        assert_eq!(parse_timestamp("2030-01-31T01:00:00+01:00").unwrap(), a);
        assert!(parse_timestamp("tomorrow").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d").unwrap(), TimeDelta::days(14));
        assert_eq!(parse_duration("90m").unwrap(), TimeDelta::minutes(90));
        for bad in ["", "d", "5", "5y", "-1d", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
