//! Wall-clock time as the daemon uses it: whole Unix seconds, and their
//! RFC 3339 form for logs and the status API. Pure apart from `unix_now`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unix time in whole seconds.
pub type UnixTime = i64;

/// Now, in Unix seconds (0 if the system clock is before 1970).
pub(crate) fn unix_now() -> UnixTime {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A wait that doubles: `first` for the first try (`n` ≤ 1), twice that for the second, …,
/// at most `max`; saturating, never overflowing.
pub(crate) fn doubling(first: Duration, n: u32, max: Duration) -> Duration {
    let factor = 1u32 << n.saturating_sub(1).min(31);
    first.saturating_mul(factor).min(max)
}

/// Unix seconds as RFC 3339 UTC, e.g. "2026-11-22T21:11:54Z".
pub fn rfc3339(t: UnixTime) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_381_914), "2026-11-22T21:11:54Z");
    }

    #[test]
    fn waits_double_up_to_their_cap() {
        let s = Duration::from_secs;
        let waits: Vec<u64> = (0..=6).map(|n| doubling(s(60), n, s(600)).as_secs()).collect();
        assert_eq!(waits, [60, 60, 120, 240, 480, 600, 600]);
        assert_eq!(doubling(Duration::MAX, u32::MAX, Duration::MAX), Duration::MAX);
        assert_eq!(doubling(Duration::ZERO, u32::MAX, s(1)), Duration::ZERO);
    }
}
