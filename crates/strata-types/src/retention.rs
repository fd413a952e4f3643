use crate::{Error, Result};

pub const NANOS_PER_HOUR: i64 = 3_600 * 1_000_000_000;

/// A retention period is 0 (keep forever) or at least one hour, in nanoseconds.
pub fn validate_retention_period(nanos: i64) -> Result<()> {
    if nanos < 0 {
        return Err(Error::invalid(format!(
            "retentionPeriod {nanos} is negative; give 0 for infinite retention or at least 1 hour in nanoseconds"
        )));
    }
    if nanos != 0 && nanos < NANOS_PER_HOUR {
        return Err(Error::invalid(format!(
            "retentionPeriod {nanos}ns is shorter than the minimum of 1 hour ({NANOS_PER_HOUR}ns); give 0 for infinite retention"
        )));
    }
    Ok(())
}
