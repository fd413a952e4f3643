//! Timestamp precision of a write (`precision=ns|us|ms|s`): what the server parses, the client
//! sends and stratactl's `--precision` names, one type for all of them.

use std::fmt;
use std::str::FromStr;

/// The unit of the timestamps in a write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `ns` (the default).
    #[default]
    Nanoseconds,
    /// `us` (also `µs`).
    Microseconds,
    /// `ms`.
    Milliseconds,
    /// `s`.
    Seconds,
}

impl Precision {
    /// Every precision, finest first.
    pub const ALL: [Precision; 4] = [
        Precision::Nanoseconds,
        Precision::Microseconds,
        Precision::Milliseconds,
        Precision::Seconds,
    ];

    /// Nanoseconds per unit.
    pub const fn multiplier(self) -> i64 {
        match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
        }
    }

    /// The short name used in query strings: `ns`, `us`, `ms` or `s`.
    pub const fn name(self) -> &'static str {
        match self {
            Precision::Nanoseconds => "ns",
            Precision::Microseconds => "us",
            Precision::Milliseconds => "ms",
            Precision::Seconds => "s",
        }
    }

    /// Converts a timestamp in this precision to nanoseconds since the epoch, or `None` when
    /// the result does not fit in an `i64`.
    #[inline]
    pub const fn to_nanos(self, timestamp: i64) -> Option<i64> {
        timestamp.checked_mul(self.multiplier())
    }

    /// A line's time in nanoseconds: its timestamp (in this precision) converted, or
    /// `default_nanos` (e.g. the server's clock, already in nanoseconds) when it has none.
    #[inline]
    pub fn time_or(
        self,
        timestamp: Option<i64>,
        default_nanos: i64,
    ) -> Result<i64, TimestampOverflow> {
        match timestamp {
            None => Ok(default_nanos),
            Some(t) => self.to_nanos(t).ok_or(TimestampOverflow {
                timestamp: t,
                precision: self,
            }),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = ParsePrecisionError;

    /// Accepts `ns`, `us`, `µs` (micro sign or Greek mu), `ms` and `s`; also InfluxDB 1.x's `n`
    /// and `u`, and InfluxDB 3's long names `nanosecond`, `microsecond`, `millisecond` and
    /// `second`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ns" | "n" | "nanosecond" => Precision::Nanoseconds,
            "us" | "u" | "µs" | "μs" | "microsecond" => Precision::Microseconds,
            "ms" | "millisecond" => Precision::Milliseconds,
            "s" | "second" => Precision::Seconds,
            _ => {
                return Err(ParsePrecisionError {
                    given: s.to_owned(),
                });
            }
        })
    }
}

/// An unknown precision name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsePrecisionError {
    /// What was given.
    pub given: String,
}

impl fmt::Display for ParsePrecisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid precision \"{}\": expected one of ns, us, ms, s",
            crate::error::snippet(&self.given)
        )
    }
}

impl std::error::Error for ParsePrecisionError {}

/// A timestamp that does not fit in `i64` nanoseconds once converted from its precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampOverflow {
    /// The timestamp as written.
    pub timestamp: i64,
    /// Its precision.
    pub precision: Precision,
}

impl fmt::Display for TimestampOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timestamp {} ({}) is out of range once converted to nanoseconds",
            self.timestamp,
            self.precision.name()
        )
    }
}

impl std::error::Error for TimestampOverflow {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for (s, p) in [
            ("ns", Precision::Nanoseconds),
            ("n", Precision::Nanoseconds),
            ("nanosecond", Precision::Nanoseconds),
            ("us", Precision::Microseconds),
            ("u", Precision::Microseconds),
            ("\u{b5}s", Precision::Microseconds),
            ("\u{3bc}s", Precision::Microseconds),
            ("microsecond", Precision::Microseconds),
            ("ms", Precision::Milliseconds),
            ("millisecond", Precision::Milliseconds),
            ("s", Precision::Seconds),
            ("second", Precision::Seconds),
        ] {
            assert_eq!(s.parse::<Precision>(), Ok(p), "{s}");
        }
        for p in Precision::ALL {
            assert_eq!(p.to_string().parse::<Precision>(), Ok(p));
        }
    }

    #[test]
    fn rejects_unknown_names_clearly() {
        for s in ["", "NS", "m", "h", "sec", "auto"] {
            let err = s.parse::<Precision>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid precision \"{s}\": expected one of ns, us, ms, s")
            );
        }
    }

    #[test]
    fn converts_with_overflow_checks() {
        assert_eq!(Precision::Seconds.to_nanos(2), Some(2_000_000_000));
        assert_eq!(Precision::Milliseconds.to_nanos(-3), Some(-3_000_000));
        assert_eq!(Precision::Microseconds.to_nanos(7), Some(7_000));
        assert_eq!(Precision::Nanoseconds.to_nanos(i64::MIN), Some(i64::MIN));
        assert_eq!(
            Precision::Seconds.to_nanos(i64::MAX / 1_000_000_000),
            Some(9_223_372_036_000_000_000)
        );
        assert_eq!(
            Precision::Seconds.to_nanos(i64::MAX / 1_000_000_000 + 1),
            None
        );
        assert_eq!(Precision::Seconds.to_nanos(i64::MIN), None);
        assert_eq!(Precision::Seconds.time_or(None, 42), Ok(42));
        assert_eq!(Precision::Seconds.time_or(Some(1), 42), Ok(1_000_000_000));
        let err = Precision::Seconds.time_or(Some(i64::MAX), 42).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "timestamp {} (s) is out of range once converted to nanoseconds",
                i64::MAX
            )
        );
    }
}
