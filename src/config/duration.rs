//! Duration values as qBitrr writes them: an integer in the key's unit (seconds, or minutes for
//! StalledDelay-like keys), or a string such as "30s", "15m", "2h", "1d", "2w" or "1h30m".
//! `-1` means "off" where a key allows it; range checks are left to the caller, so a value too
//! large to count saturates (at `u64::MAX` seconds) rather than being mistaken for a non-duration.

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

/// A length of time as the config writes one ("90", "30m", "2h", "1h30m", "7d"): seconds,
/// `None` when it is not one, or negative.
pub(crate) fn seconds(text: &str) -> Option<u64> {
    match from_str(text, Unit::Seconds)? {
        DurationValue::Secs(s) => Some(s),
        DurationValue::Off | DurationValue::Negative(_) => None,
    }
}

/// An integer in `unit` (always a duration; one too large saturates).
pub(super) fn from_int(n: i64, unit: Unit) -> Option<DurationValue> {
    Some(match u64::try_from(n) {
        Ok(n) => DurationValue::Secs(n.saturating_mul(unit.seconds())),
        Err(_) if n == -1 => DurationValue::Off,
        Err(_) => DurationValue::Negative(n),
    })
}

/// ASCII digits as a number, saturating at `u64::MAX`. `None` when empty or not all digits.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().unwrap_or(u64::MAX))
}

/// A string: a plain integer (in `unit`) or number+unit parts ("1h30m", "2 w"). `None` when it
/// is not a duration.
pub(super) fn from_str(text: &str, unit: Unit) -> Option<DurationValue> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return from_int(n, unit);
    }
    if let Some(n) = text.strip_prefix('+').map_or(digits(text), digits) {
        // A plain integer beyond i64.
        return Some(DurationValue::Secs(n.saturating_mul(unit.seconds())));
    }
    if text.strip_prefix('-').and_then(digits).is_some() {
        return Some(DurationValue::Negative(i64::MIN));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let len = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let number = digits(&rest[..len])?;
        rest = rest[len..].trim_start();
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
        total = total.saturating_add(number.saturating_mul(seconds));
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
        let max = Some(DurationValue::Secs(u64::MAX));
        assert_eq!(from_int(i64::MAX, Unit::Minutes), max, "saturates");
        assert_eq!(
            from_int(i64::MIN, Unit::Seconds),
            Some(DurationValue::Negative(i64::MIN))
        );
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
        // Too large to count: saturated, for the caller's range check to reject.
        let max = Some(DurationValue::Secs(u64::MAX));
        assert_eq!(secs("99999999999999999999w"), max);
        assert_eq!(secs("99999999999999999999"), max);
        assert_eq!(secs("+99999999999999999999"), max);
        assert_eq!(secs("18446744073709551615w1s"), max);
        assert_eq!(
            secs("-99999999999999999999"),
            Some(DurationValue::Negative(i64::MIN))
        );
        for bad in ["", "abc", "5x", "h", "1.5h", "-5m", "1h-30m", "+", "-", "1e5"] {
            assert_eq!(secs(bad), None, "{bad:?}");
        }
    }
}
