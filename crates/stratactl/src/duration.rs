//! The two duration grammars of influxctl: Go's `time.ParseDuration` for `--timeout`, and
//! the retention-period grammar of `--retention-period` (reference §7.1).

use std::time::Duration;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_HOUR: i64 = 3_600 * 1_000_000_000;

/// A decimal number `int[.frac]` times `unit` nanoseconds, exactly (no floating point).
fn scaled(int: &str, frac: &str, unit: i128) -> Option<i128> {
    let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut total = whole.checked_mul(unit)?;
    let mut scale: i128 = 1;
    let mut frac_value: i128 = 0;
    for digit in frac.bytes().take(30) {
        scale *= 10;
        frac_value = frac_value * 10 + i128::from(digit - b'0');
    }
    if scale > 1 {
        total = total.checked_add(frac_value * unit / scale)?;
    }
    Some(total)
}

/// Splits `text` into `(integer digits, fraction digits, unit letters)` groups.
fn groups(text: &str) -> Result<Vec<(&str, &str, &str)>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let int_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int, after) = rest.split_at(int_end);
        let (frac, after) = match after.strip_prefix('.') {
            Some(after) => {
                let end = after
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len());
                after.split_at(end)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(format!("expected a number at {rest:?}"));
        }
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        if unit.is_empty() {
            return Err(format!("{}{} has no unit", int, dotted(frac)));
        }
        out.push((int, frac, unit));
        rest = after;
    }
    Ok(out)
}

fn dotted(frac: &str) -> String {
    if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    }
}

/// Go's `time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `1m0s`, `0`. Units ns, us (µs),
/// ms, s, m, h. Negative durations are refused (a timeout cannot be negative).
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let help = "write a number and a unit (ns, us, ms, s, m, h), e.g. 30s, 1m0s or 1h30m";
    if text.starts_with('-') {
        return Err(format!("{text:?} is negative; {help}"));
    }
    let body = text.strip_prefix('+').unwrap_or(text);
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    if body.is_empty() {
        return Err(format!("the duration is empty; {help}"));
    }
    let mut total: i128 = 0;
    for (int, frac, unit) in
        groups(body).map_err(|e| format!("{text:?} is not a duration ({e}); {help}"))?
    {
        let nanos = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SECOND,
            "m" => 60 * NANOS_PER_SECOND,
            "h" => 3_600 * NANOS_PER_SECOND,
            other => {
                return Err(format!(
                    "{text:?} is not a duration (unknown unit {other:?}); {help}"
                ));
            }
        };
        total = scaled(int, frac, nanos)
            .and_then(|n| total.checked_add(n))
            .filter(|n| *n <= i128::from(i64::MAX))
            .ok_or_else(|| format!("{text:?} is too long a duration"))?;
    }
    let nanos = u64::try_from(total).map_err(|_| format!("{text:?} is too long a duration"))?;
    Ok(Duration::from_nanos(nanos))
}

/// A retention period in influxctl's grammar, in nanoseconds: one or more
/// `<number><unit>` groups, summed; the number may be fractional; units `s`, `m` (minute),
/// `h`, `d`, `w`, `mo` (30 days), `y` (365 days). Zero (any unit, or a bare `0`) is
/// infinite. Non-zero periods must be at least one hour.
pub fn parse_retention(text: &str) -> Result<i64, String> {
    let help = "write groups of a number and a unit (s, m, h, d, w, mo, y), e.g. 30d, 6w, 1mo, 1y, 2.5d or 30d12h; 0 keeps data forever";
    if text.is_empty() {
        return Err(format!("the retention period is empty; {help}"));
    }
    if text == "0" {
        return Ok(0);
    }
    if text.starts_with('-') {
        return Err(format!("retention period {text:?} is negative; {help}"));
    }
    let parts =
        groups(text).map_err(|e| format!("{text:?} is not a retention period ({e}); {help}"))?;
    let mut total: i128 = 0;
    for (int, frac, unit) in parts {
        let seconds: i128 = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            "mo" => 30 * 86_400,
            "y" => 365 * 86_400,
            other => {
                return Err(format!(
                    "{text:?} is not a retention period (unknown unit {other:?}); {help}"
                ));
            }
        };
        total = scaled(int, frac, seconds * NANOS_PER_SECOND)
            .and_then(|n| total.checked_add(n))
            .filter(|n| *n <= i128::from(i64::MAX))
            .ok_or_else(|| {
                format!("retention period {text:?} is too long (about 292 years at most)")
            })?;
    }
    let nanos = i64::try_from(total).expect("checked above");
    if nanos != 0 && nanos < NANOS_PER_HOUR {
        return Err(format!(
            "retention period {text:?} is shorter than the minimum of 1h; give at least 1h, or 0 to keep data forever"
        ));
    }
    Ok(nanos)
}

/// A retention period as `database list` shows it: `infinite` for 0, otherwise days,
/// hours, minutes and seconds (`30d`, `1d12h`, `1h30m`), days preferred over large hour
/// counts.
pub fn format_retention(nanos: i64) -> String {
    if nanos <= 0 {
        return "infinite".to_string();
    }
    let mut out = String::new();
    let mut seconds = nanos / 1_000_000_000;
    let rest_nanos = nanos % 1_000_000_000;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            out.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    if rest_nanos > 0 {
        out.push_str(&format!("{rest_nanos}ns"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = NANOS_PER_HOUR;
    const D: i64 = 24 * H;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m0s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("2h45m").unwrap(),
            Duration::from_secs(9900)
        );
        assert_eq!(
            parse_go_duration("300ms").unwrap(),
            Duration::from_millis(300)
        );
        assert_eq!(
            parse_go_duration("10µs").unwrap(),
            Duration::from_micros(10)
        );
        assert_eq!(
            parse_go_duration(".5s").unwrap(),
            Duration::from_millis(500)
        );
        for bad in [
            "",
            "5",
            "-1s",
            "1d",
            "1x",
            "s",
            "1.s.",
            "1h 2m",
            "99999999999h",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn retention_periods() {
        assert_eq!(parse_retention("0").unwrap(), 0);
        assert_eq!(parse_retention("0s").unwrap(), 0);
        assert_eq!(parse_retention("0d").unwrap(), 0);
        assert_eq!(parse_retention("3d").unwrap(), 3 * D);
        assert_eq!(parse_retention("6w").unwrap(), 42 * D);
        assert_eq!(parse_retention("1mo").unwrap(), 30 * D);
        assert_eq!(parse_retention("1y").unwrap(), 365 * D);
        assert_eq!(parse_retention("30d30d").unwrap(), 60 * D);
        assert_eq!(parse_retention("2.5d").unwrap(), 60 * H);
        assert_eq!(parse_retention("1h30m").unwrap(), 90 * 60 * 1_000_000_000);
        assert_eq!(parse_retention("3600s").unwrap(), H);
        assert_eq!(parse_retention("1mo1d").unwrap(), 31 * D);
        for bad in [
            "", "30", "-1d", "1x", "1 d", "30m", "d", "1.d2", "1000y", "1ms",
        ] {
            assert!(parse_retention(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn retention_display() {
        assert_eq!(format_retention(0), "infinite");
        assert_eq!(format_retention(D), "1d");
        assert_eq!(format_retention(365 * D), "365d");
        assert_eq!(format_retention(36 * H), "1d12h");
        assert_eq!(format_retention(90 * 60 * 1_000_000_000), "1h30m");
        assert_eq!(format_retention(H + 1), "1h1ns");
    }
}
