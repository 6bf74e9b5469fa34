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

/// An RFC 3339 / ISO 8601 time as the Arrs write it ("2024-01-30T18:00:00Z", also with a
/// fraction or a `+hh:mm` offset, or a bare date) in Unix seconds; `None` when it is not one.
pub(crate) fn parse_rfc3339(text: &str) -> Option<UnixTime> {
    let text = text.trim();
    let (date, rest) = text.split_at(text.find(['T', 't', ' ']).unwrap_or(text.len()));
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(0..=9999).contains(&year) {
        return None;
    }
    let mut secs = 0;
    let mut offset = 0;
    if let Some(time) = rest.get(1..) {
        let (clock, zone) = match time.find(['Z', 'z', '+', '-']) {
            Some(i) => time.split_at(i),
            None => (time, ""),
        };
        let clock = clock.split('.').next()?;
        let mut hms = clock.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let m: i64 = hms.next().unwrap_or("0").parse().ok()?;
        let s: i64 = hms.next().unwrap_or("0").parse().ok()?;
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        secs = h * 3600 + m * 60 + s;
        if let Some(sign @ ('+' | '-')) = zone.chars().next() {
            let (oh, om) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
            let off = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
            offset = if sign == '+' { off } else { -off };
        }
    }
    Some(days_from_civil(year, month, day) * 86_400 + secs - offset)
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    fn arr_times_are_read_back() {
        for t in [0, 951_782_400, 1_795_381_914, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
        assert_eq!(parse_rfc3339("2026-11-22T21:11:54.1234567Z"), Some(1_795_381_914));
        assert_eq!(parse_rfc3339("2026-11-22T23:11:54+02:00"), Some(1_795_381_914));
        assert_eq!(parse_rfc3339("2026-11-22"), Some(1_795_381_914 - 76_314));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-22T25:00:00Z",
            "2026-11-22Tx",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
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
