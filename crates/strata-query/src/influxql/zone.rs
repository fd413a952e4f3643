//! `GROUP BY time()` intervals, in UTC or in the time zone a statement names with `tz()`.
//!
//! In a zone, intervals fall on local time as InfluxDB places them: a day starts at local
//! midnight, and across a change of the zone's offset an interval is as much longer or
//! shorter (when the change is smaller than the interval). Times are then shown in the zone
//! (`2024-01-01T00:00:00-05:00`); the instants are the same.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, TimeUnit, TimestampNanosecondType};
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use strata_influxql::{MeasurementSelection, SelectStatement, Statement};
use strata_types::Error;

/// The zone a `tz()` names; `None` for UTC.
pub(super) fn zone(name: &str) -> std::result::Result<Option<Tz>, Error> {
    let zone: Tz = name.parse().map_err(|_| {
        Error::invalid(format!(
            "error parsing query: unable to find time zone {name}"
        ))
    })?;
    Ok((zone != Tz::UTC && zone != Tz::Etc__UTC).then_some(zone))
}

/// Checks every `tz()` of a request's statements (subqueries included), as InfluxDB does
/// while parsing.
pub(super) fn check(statements: &[Statement]) -> std::result::Result<(), Error> {
    fn check_select(select: &SelectStatement) -> std::result::Result<(), Error> {
        if let Some(name) = &select.timezone {
            zone(name)?;
        }
        for source in &select.from {
            if let MeasurementSelection::Subquery(inner) = source {
                check_select(inner)?;
            }
        }
        Ok(())
    }
    for statement in statements {
        if let Statement::Select(select) = statement {
            check_select(select)?;
        }
    }
    Ok(())
}

/// The intervals of a `GROUP BY time(interval, offset)`, in `zone` or UTC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Windows {
    pub interval: i64,
    pub offset: i64,
    pub zone: Option<Tz>,
}

impl Windows {
    /// How far the zone's local time is ahead of UTC at `t`, in nanoseconds.
    fn zone_offset(&self, t: i64) -> i64 {
        self.zone.map_or(0, |zone| {
            let utc = DateTime::from_timestamp_nanos(t).naive_utc();
            i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1_000_000_000
        })
    }

    /// Moves a boundary found with the offset at `t` by how the offset differs at the
    /// boundary, unless that change is as large as an interval.
    fn adjusted(&self, boundary: i64, zone_at_t: i64) -> i64 {
        let change = zone_at_t - self.zone_offset(boundary);
        if change != 0 && change.abs() < self.interval {
            boundary.saturating_add(change)
        } else {
            boundary
        }
    }

    /// The start of the interval holding `t`.
    pub fn start(&self, t: i64) -> i64 {
        let t = t.saturating_sub(self.offset);
        let zone = self.zone_offset(t);
        let start = t - t.saturating_add(zone).rem_euclid(self.interval);
        self.adjusted(start, zone).saturating_add(self.offset)
    }

    /// The start of the interval after the one holding `t`.
    pub fn next(&self, t: i64) -> i64 {
        let t = t.saturating_sub(self.offset);
        let zone = self.zone_offset(t);
        let end =
            t.saturating_add(self.interval - t.saturating_add(zone).rem_euclid(self.interval));
        self.adjusted(end.saturating_add(self.offset), zone)
    }

    /// The function giving each time's interval start, for a zone's intervals.
    pub fn udf(self) -> ScalarUDF {
        let time = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        create_udf(
            "influxql_interval",
            vec![time.clone()],
            time,
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| {
                let times = match &args[0] {
                    ColumnarValue::Array(array) => array.clone(),
                    ColumnarValue::Scalar(scalar) => scalar.to_array()?,
                };
                let times = times.as_primitive::<TimestampNanosecondType>();
                let starts: TimestampNanosecondArray = times
                    .iter()
                    .map(|t| t.map(|t| self.start(t)))
                    .collect::<TimestampNanosecondArray>()
                    .with_timezone("UTC");
                Ok(ColumnarValue::Array(Arc::new(starts) as ArrayRef))
            }),
        )
    }
}

/// `t` as Go's RFC3339Nano writes it in `zone`: fraction digits without trailing zeros, and
/// `Z` for UTC.
pub(super) fn rfc3339(t: i64, zone: Option<Tz>) -> String {
    let fraction = t.rem_euclid(1_000_000_000);
    let fraction = if fraction == 0 {
        String::new()
    } else {
        format!(".{}", format!("{fraction:09}").trim_end_matches('0'))
    };
    let utc = DateTime::from_timestamp_nanos(t);
    match zone {
        None => format!("{}{fraction}Z", utc.format("%Y-%m-%dT%H:%M:%S")),
        Some(zone) => {
            let local = utc.with_timezone(&zone);
            format!(
                "{}{fraction}{}",
                local.format("%Y-%m-%dT%H:%M:%S"),
                local.format("%:z")
            )
        }
    }
}

/// The zone of a time column, `None` for UTC.
pub(super) fn of_column(column: &dyn Array) -> Option<Tz> {
    match column.data_type() {
        DataType::Timestamp(_, Some(name)) => zone(name).ok().flatten(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn days_start_at_local_midnight_across_daylight_saving() {
        let days = Windows {
            interval: 24 * HOUR,
            offset: 0,
            zone: zone("America/New_York").unwrap(),
        };
        let start = days.start(at("2024-03-10T12:00:00-04:00"));
        assert_eq!(start, at("2024-03-10T00:00:00-05:00"));
        // The day the clocks go forward has 23 hours.
        assert_eq!(days.next(start), at("2024-03-11T00:00:00-04:00"));
        assert_eq!(
            days.start(at("2024-01-01T03:00:00Z")),
            at("2023-12-31T00:00:00-05:00")
        );
        let utc = Windows { zone: None, ..days };
        assert_eq!(
            utc.start(at("2024-01-01T03:00:00Z")),
            at("2024-01-01T00:00:00Z")
        );
    }

    #[test]
    fn times_print_like_go_rfc3339nano() {
        let new_york = zone("America/New_York").unwrap();
        assert_eq!(
            rfc3339(at("2024-01-01T00:00:00Z"), None),
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(at("2024-01-01T00:00:00.5Z"), new_york),
            "2023-12-31T19:00:00.5-05:00"
        );
        assert_eq!(rfc3339(-1, None), "1969-12-31T23:59:59.999999999Z");
        assert!(
            zone("Nowhere/Bogus")
                .unwrap_err()
                .message
                .contains("unable to find time zone")
        );
        assert_eq!(zone("UTC").unwrap(), None);
    }
}
