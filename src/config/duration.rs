//! Duration values as qBitrr writes them: an integer in the key's unit (seconds, or minutes for
//! StalledDelay-like keys), or a string such as "30s", "15m", "2h", "1d", "2w" or "1h30m".
//! `-1` means "off" where a key allows it; range checks are left to the caller.

use super::schema::Unit;

/// A duration key's value before range checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DurationValue {
    /// `-1`: the feature is off.
    Off,
    /// A length in seconds.
    Secs(u64),
    /// A negative number other than -1 (always an error).
    Negative(i64),
}

/// An integer in `unit`. `None` when it overflows.
pub(super) fn from_int(n: i64, unit: Unit) -> Option<DurationValue> {
    match n {
        -1 => Some(DurationValue::Off),
        n if n < 0 => Some(DurationValue::Negative(n)),
        n => u64::try_from(n)
            .ok()?
            .checked_mul(unit.seconds())
            .map(DurationValue::Secs),
    }
}

/// A string: a plain integer (in `unit`) or number+unit parts ("1h30m", "2 w"). `None` when it
/// is not a duration.
pub(super) fn from_str(text: &str, unit: Unit) -> Option<DurationValue> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return from_int(n, unit);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let letters = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let seconds = match rest[..letters].to_ascii_lowercase().as_str() {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(seconds)?)?;
        rest = rest[letters..].trim_start();
        parts += 1;
    }
    (parts > 0).then_some(DurationValue::Secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_in_the_key_unit() {
        assert_eq!(from_int(30, Unit::Seconds), Some(DurationValue::Secs(30)));
        assert_eq!(from_int(15, Unit::Minutes), Some(DurationValue::Secs(900)));
        assert_eq!(from_int(0, Unit::Minutes), Some(DurationValue::Secs(0)));
        assert_eq!(from_int(-1, Unit::Seconds), Some(DurationValue::Off));
        assert_eq!(from_int(-5, Unit::Seconds), Some(DurationValue::Negative(-5)));
        assert_eq!(from_int(i64::MAX, Unit::Minutes), None);
    }

    #[test]
    fn duration_strings() {
        let secs = |s: &str| from_str(s, Unit::Seconds);
        assert_eq!(secs("30s"), Some(DurationValue::Secs(30)));
        assert_eq!(secs("15m"), Some(DurationValue::Secs(900)));
        assert_eq!(secs("2h"), Some(DurationValue::Secs(7_200)));
        assert_eq!(secs("1d"), Some(DurationValue::Secs(86_400)));
        assert_eq!(secs("2w"), Some(DurationValue::Secs(1_209_600)));
        assert_eq!(secs("1h30m"), Some(DurationValue::Secs(5_400)));
        assert_eq!(secs(" 1h 30m 15s "), Some(DurationValue::Secs(5_415)));
        assert_eq!(secs("2H"), Some(DurationValue::Secs(7_200)));
        assert_eq!(secs("300"), Some(DurationValue::Secs(300)));
        assert_eq!(secs("-1"), Some(DurationValue::Off));
        assert_eq!(from_str("15", Unit::Minutes), Some(DurationValue::Secs(900)));
        assert_eq!(from_str("90s", Unit::Minutes), Some(DurationValue::Secs(90)));
        for bad in [
            "",
            "abc",
            "5x",
            "h",
            "1.5h",
            "-5m",
            "1h-30m",
            "99999999999999999999w",
        ] {
            assert_eq!(secs(bad), None, "{bad:?}");
        }
    }
}
