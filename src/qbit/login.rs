//! When the next login may be tried after qBittorrent refused the
//! credentials or banned this IP.
//!
//! qBittorrent counts failed logins per client IP and, after
//! `web_ui_max_auth_fail_count` (default 5), answers every login from that IP
//! with 403 for `web_ui_ban_duration` (default 1 h). A login tried while
//! banned is turned away before the password is checked: it neither counts
//! nor extends the ban, so retrying during a ban is harmless, and the waits
//! grow only to keep the log quiet. A refused password does count (the
//! count is cleared only by a good login from that IP or when a ban ends),
//! so refused credentials are retried slowly, never in a loop, and only a
//! few times: a password that stays wrong would otherwise get this IP — and
//! every other client on it, such as an Arr on the same host — banned. After
//! that, a changed `[qBit]` section (which makes new clients) or a restart
//! tries again.
//!
//! [`LoginGate`] is pure: every method takes the time, so the schedule is
//! tested without sleeping.

use std::time::{Duration, Instant};

use crate::http::{ceil_secs, HttpError};

/// The waits between login attempts after a failed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginBackoff {
    /// After a login answered 403 (IP banned); doubled after each further one in a row.
    pub ban_first: Duration,
    /// The longest wait between logins while banned.
    pub ban_max: Duration,
    /// After refused credentials (`Fails.` or 401).
    pub refused: Duration,
    /// Refusals in a row after which no login is tried any more (qBittorrent bans at 5 by default).
    pub refused_max: u32,
}

impl Default for LoginBackoff {
    /// 1, 2, 4, 8, then every 10 minutes while banned: a default ban (1 h) is
    /// noticed within 10 minutes of lifting, with about eight attempts in all.
    /// A refused password every 10 minutes, three times: the user who fixes
    /// it in qBittorrent within half an hour is back without a restart, and
    /// with two refusals to spare below qBittorrent's default ban.
    fn default() -> Self {
        Self {
            ban_first: Duration::from_secs(60),
            ban_max: Duration::from_secs(600),
            refused: Duration::from_secs(600),
            refused_max: 3,
        }
    }
}

impl LoginBackoff {
    /// The wait after the `n`th login in a row answered 403 (`n` ≥ 1):
    /// `ban_first` × 2^(n−1), at most `ban_max`.
    pub fn ban_wait(&self, n: u32) -> Duration {
        crate::clock::doubling(self.ban_first, n, self.ban_max)
    }
}

/// Why the last login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Credentials,
    Banned,
}

#[derive(Debug)]
struct Blocked {
    why: Refusal,
    /// What qBittorrent said, for the error.
    detail: String,
    /// No login before this; `None`: no login any more (refused too often).
    until: Option<Instant>,
}

/// The state of one client's logins: the failures in a row and the earliest next attempt.
#[derive(Debug, Default)]
pub(crate) struct LoginGate {
    backoff: LoginBackoff,
    /// Logins in a row answered 403.
    bans: u32,
    /// Logins in a row refused.
    refusals: u32,
    /// The last login failed: no other before `until`.
    blocked: Option<Blocked>,
}

impl LoginGate {
    pub(crate) fn new(backoff: LoginBackoff) -> Self {
        Self {
            backoff,
            ..Self::default()
        }
    }

    /// `Ok` when a login may be tried at `now`; else the last failure again,
    /// with the time left (the caller then does not touch the network).
    pub(crate) fn check(&self, endpoint: &str, now: Instant) -> Result<(), HttpError> {
        match &self.blocked {
            Some(b) if b.until.is_none_or(|until| now < until) => Err(self.error(b, endpoint, now)),
            _ => Ok(()),
        }
    }

    /// Records that the credentials were refused at `now`; the error to return.
    pub(crate) fn refused(&mut self, endpoint: &str, detail: String, now: Instant) -> HttpError {
        // Refused, so not banned (any more): a later ban starts from the first wait.
        self.bans = 0;
        self.refusals = self.refusals.saturating_add(1);
        let wait = (self.refusals < self.backoff.refused_max).then_some(self.backoff.refused);
        self.block(Refusal::Credentials, wait, endpoint, detail, now)
    }

    /// Records a login answered 403 (IP banned) at `now`; the error to return.
    pub(crate) fn banned(&mut self, endpoint: &str, detail: String, now: Instant) -> HttpError {
        self.bans = self.bans.saturating_add(1);
        let wait = self.backoff.ban_wait(self.bans);
        self.block(Refusal::Banned, Some(wait), endpoint, detail, now)
    }

    /// A login succeeded: the next failure starts the schedule over.
    pub(crate) fn succeeded(&mut self) {
        self.bans = 0;
        self.refusals = 0;
        self.blocked = None;
    }

    fn block(
        &mut self,
        why: Refusal,
        wait: Option<Duration>,
        endpoint: &str,
        detail: String,
        now: Instant,
    ) -> HttpError {
        let b = Blocked {
            why,
            detail,
            // A wait too long for the clock is no login any more.
            until: wait.and_then(|w| now.checked_add(w)),
        };
        let err = self.error(&b, endpoint, now);
        self.blocked = Some(b);
        err
    }

    fn error(&self, b: &Blocked, endpoint: &str, now: Instant) -> HttpError {
        let Some(until) = b.until else {
            let detail = match b.why {
                Refusal::Credentials => format!(
                    "{}; refused {} times in a row: no more login attempts (each counts towards \
                     qBittorrent's IP ban) until [qBit] UserName/Password is changed or qbitrr-lite restarts",
                    b.detail, self.refusals
                ),
                Refusal::Banned => b.detail.clone(),
            };
            return HttpError::Auth {
                endpoint: endpoint.to_string(),
                detail,
            };
        };
        let left = until.saturating_duration_since(now);
        match b.why {
            Refusal::Banned => HttpError::Banned {
                endpoint: endpoint.to_string(),
                detail: b.detail.clone(),
                retry_in: left,
            },
            Refusal::Credentials => HttpError::Auth {
                endpoint: endpoint.to_string(),
                detail: format!(
                    "{}; next login attempt in {}s (refused logins are retried every {}s at most: \
                     each one counts towards qBittorrent's IP ban)",
                    b.detail,
                    ceil_secs(left),
                    ceil_secs(self.backoff.refused),
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "qBit POST /api/v2/auth/login";

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn ban_waits_double_from_one_minute_and_stop_at_ten() {
        let b = LoginBackoff::default();
        let waits: Vec<u64> = (1..=7).map(|n| b.ban_wait(n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(b.ban_wait(u32::MAX), secs(600), "no overflow");
        assert_eq!(b.ban_wait(0), secs(60));
    }

    #[test]
    fn a_ban_blocks_logins_for_a_growing_wait() {
        let t0 = Instant::now();
        let mut gate = LoginGate::new(LoginBackoff::default());
        assert!(gate.check(ENDPOINT, t0).is_ok(), "open at first");

        let err = gate.banned(ENDPOINT, "Your IP address has been banned".into(), t0);
        assert!(
            matches!(err, HttpError::Banned { retry_in, .. } if retry_in == secs(60)),
            "{err}"
        );
        assert!(err.is_transient());
        match gate.check(ENDPOINT, t0 + secs(59)) {
            Err(HttpError::Banned { retry_in, detail, .. }) => {
                assert_eq!(retry_in, secs(1));
                assert_eq!(detail, "Your IP address has been banned");
            }
            other => panic!("still banned: {other:?}"),
        }
        assert!(
            gate.check(ENDPOINT, t0 + secs(60)).is_ok(),
            "one try after a minute"
        );

        // Banned again: two minutes, then four.
        let t1 = t0 + secs(60);
        gate.banned(ENDPOINT, "banned".into(), t1);
        assert!(gate.check(ENDPOINT, t1 + secs(119)).is_err());
        let t2 = t1 + secs(120);
        assert!(gate.check(ENDPOINT, t2).is_ok());
        gate.banned(ENDPOINT, "banned".into(), t2);
        assert!(gate.check(ENDPOINT, t2 + secs(239)).is_err());
        assert!(gate.check(ENDPOINT, t2 + secs(240)).is_ok());

        // A good login starts the schedule over.
        gate.succeeded();
        assert!(gate.check(ENDPOINT, t2).is_ok());
        let err = gate.banned(ENDPOINT, "banned".into(), t2);
        assert!(
            matches!(err, HttpError::Banned { retry_in, .. } if retry_in == secs(60)),
            "{err}"
        );
    }

    #[test]
    fn refused_credentials_wait_the_slow_interval_and_need_a_fix() {
        let t0 = Instant::now();
        let mut gate = LoginGate::new(LoginBackoff::default());
        let err = gate.refused(ENDPOINT, "user name or password refused".into(), t0);
        assert!(
            matches!(err, HttpError::Auth { .. }) && !err.is_transient(),
            "{err}"
        );
        assert!(err.to_string().contains("next login attempt in 600s"), "{err}");
        let again = gate.check(ENDPOINT, t0 + secs(599)).unwrap_err();
        assert!(matches!(again, HttpError::Auth { .. }), "{again}");
        assert!(again
            .to_string()
            .contains("user name or password refused; next login attempt in 1s"));
        assert!(gate.check(ENDPOINT, t0 + secs(600)).is_ok());

        // Refused after a ban: the ban count restarts.
        let t1 = t0 + secs(600);
        gate.banned(ENDPOINT, "banned".into(), t1);
        gate.banned(ENDPOINT, "banned".into(), t1 + secs(60));
        gate.refused(ENDPOINT, "refused".into(), t1 + secs(180));
        let t2 = t1 + secs(780);
        let err = gate.banned(ENDPOINT, "banned".into(), t2);
        assert!(
            matches!(err, HttpError::Banned { retry_in, .. } if retry_in == secs(60)),
            "{err}"
        );
    }

    #[test]
    fn the_waits_are_configurable() {
        let quick = LoginBackoff {
            ban_first: Duration::ZERO,
            ban_max: Duration::ZERO,
            refused: Duration::ZERO,
            refused_max: 3,
        };
        let t0 = Instant::now();
        let mut gate = LoginGate::new(quick);
        gate.banned(ENDPOINT, "banned".into(), t0);
        assert!(gate.check(ENDPOINT, t0).is_ok());
        gate.refused(ENDPOINT, "refused".into(), t0);
        assert!(gate.check(ENDPOINT, t0).is_ok());
    }

    #[test]
    fn refused_three_times_in_a_row_no_login_is_tried_again() {
        let t0 = Instant::now();
        let mut gate = LoginGate::new(LoginBackoff::default());
        for n in 0..2u64 {
            let at = t0 + secs(600 * n);
            assert!(gate.check(ENDPOINT, at).is_ok(), "attempt {}", n + 1);
            gate.refused(ENDPOINT, "refused".into(), at);
        }
        let third = t0 + secs(1200);
        assert!(gate.check(ENDPOINT, third).is_ok());
        let err = gate.refused(ENDPOINT, "refused".into(), third);
        assert!(
            err.to_string()
                .contains("refused 3 times in a row: no more login attempts"),
            "{err}"
        );
        // Not after a day either: two refusals stay below qBittorrent's ban of five.
        let later = gate.check(ENDPOINT, third + secs(86_400)).unwrap_err();
        assert!(
            matches!(later, HttpError::Auth { .. }) && !later.is_transient(),
            "{later}"
        );
        // A good login (another client's session, a fixed password) starts over.
        gate.succeeded();
        assert!(gate.check(ENDPOINT, third).is_ok());
    }
}
