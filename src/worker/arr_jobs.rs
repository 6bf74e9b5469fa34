//! The Arr's own periodic jobs that qBitrr asks for, and when each is due: `RssSync` every
//! RssSyncTimer, `RefreshMonitoredDownloads` every RefreshDownloadsTimer (not on Lidarr, as
//! qBitrr), each off at 0. The schedule is pure (periods, last runs, now); the worker sends
//! what is due and records it.
//!
//! A restart must not ask for everything at once. A job whose period is at least
//! [`REMEMBER_FROM`] has its last run written to the store (a write per run, at most six an
//! hour), and runs again one period after it. A shorter job is not written (a write a minute
//! wears an SD card for nothing) and first runs one period after the start.

use std::time::Duration;

use crate::config::Arr;
use crate::model::{ArrKind, UnixTime};

/// Periods from which a job's last run is kept in the store across restarts.
pub(super) const REMEMBER_FROM: Duration = Duration::from_secs(10 * 60);

/// One of the Arr's periodic jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Job {
    RssSync,
    RefreshMonitoredDownloads,
}

impl Job {
    /// The Arr's command name (also the job's key in the store).
    pub(super) fn command(self) -> &'static str {
        match self {
            Self::RssSync => "RssSync",
            Self::RefreshMonitoredDownloads => "RefreshMonitoredDownloads",
        }
    }

    /// The config key that sets its period.
    pub(super) fn key(self) -> &'static str {
        match self {
            Self::RssSync => "RssSyncTimer",
            Self::RefreshMonitoredDownloads => "RefreshDownloadsTimer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Timer {
    job: Job,
    every: i64,
    next_at: UnixTime,
    /// Its runs are written to the store.
    remembered: bool,
    /// Its last request failed (a failure is warned about once, until one succeeds).
    failing: bool,
}

/// The schedule of one Arr instance's jobs.
#[derive(Debug, Default)]
pub(super) struct ArrJobs {
    timers: Vec<Timer>,
}

/// What the worker does after a job's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    /// Write the run to the store (it was accepted, and its job is remembered).
    pub(super) remember: bool,
    pub(super) news: News,
}

/// What a request says about the job's health, worth a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum News {
    None,
    /// The first failure since the last success: warn.
    StartedFailing,
    /// The first success after failures: say it works again.
    Recovered,
}

impl ArrJobs {
    /// The jobs `arr` asks for; `last_run` answers when a job whose period is at least
    /// [`REMEMBER_FROM`] last ran, as recorded (it is not asked about the others).
    pub(super) fn new(arr: &Arr, now: UnixTime, mut last_run: impl FnMut(Job) -> Option<UnixTime>) -> Self {
        let refresh = if arr.kind == ArrKind::Lidarr {
            None
        } else {
            arr.refresh_downloads_every
        };
        let timers = [
            (Job::RssSync, arr.rss_sync_every),
            (Job::RefreshMonitoredDownloads, refresh),
        ]
        .into_iter()
        .filter_map(|(job, every)| {
            let every_d = every?;
            let every = i64::try_from(every_d.as_secs()).unwrap_or(i64::MAX).max(1);
            let remembered = every_d >= REMEMBER_FROM;
            let after_start = now.saturating_add(every);
            let next_at = if remembered {
                // Never later than one period from now, whatever the clock did.
                last_run(job).map_or(now, |at| at.saturating_add(every).min(after_start))
            } else {
                after_start
            };
            Some(Timer {
                job,
                every,
                next_at,
                remembered,
                failing: false,
            })
        })
        .collect();
        Self { timers }
    }

    /// The jobs due at `now`.
    pub(super) fn due(&self, now: UnixTime) -> Vec<Job> {
        self.timers
            .iter()
            .filter(|t| now >= t.next_at)
            .map(|t| t.job)
            .collect()
    }

    /// Records that `job` was asked for at `now` (`ok`: the Arr accepted it). Either way it
    /// is next due one period later: a refused request is not retried every pass.
    pub(super) fn ran(&mut self, job: Job, ok: bool, now: UnixTime) -> Outcome {
        let Some(t) = self.timers.iter_mut().find(|t| t.job == job) else {
            return Outcome {
                remember: false,
                news: News::None,
            };
        };
        t.next_at = now.saturating_add(t.every);
        let was_failing = std::mem::replace(&mut t.failing, !ok);
        let news = match (ok, was_failing) {
            (false, false) => News::StartedFailing,
            (true, true) => News::Recovered,
            _ => News::None,
        };
        Outcome {
            remember: ok && t.remembered,
            news,
        }
    }

    /// "RssSync every 60s, RefreshMonitoredDownloads every 60s", or `None` when none is on.
    pub(super) fn describe(&self) -> Option<String> {
        let parts: Vec<String> = self
            .timers
            .iter()
            .map(|t| format!("{} every {}s", t.job.command(), t.every))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    const NOW: UnixTime = 1_800_000_000;

    fn arr(kind: &str, keys: &str) -> Arr {
        let text = format!(
            "[qBit]\nHost = \"localhost\"\n\n[{kind}-1]\nURI = \"http://arr:7878\"\nAPIKey = \"0123456789abcdef\"\n{keys}"
        );
        load_str(&text, "config.toml", &[]).unwrap().config.arrs.remove(0)
    }

    fn never(_: Job) -> Option<UnixTime> {
        None
    }

    #[test]
    fn schedules_by_period_kind_and_last_run() {
        struct Case {
            what: &'static str,
            kind: &'static str,
            keys: &'static str,
            last_run: Option<UnixTime>,
            due_at: &'static [(UnixTime, &'static [Job])],
        }
        use Job::{RefreshMonitoredDownloads as Refresh, RssSync as Rss};
        let cases = [
            Case {
                what: "qBitrr's defaults: both every minute, first one minute after the start",
                kind: "Radarr",
                keys: "",
                last_run: None,
                due_at: &[(NOW, &[]), (NOW + 59, &[]), (NOW + 60, &[Rss, Refresh])],
            },
            Case {
                what: "0 turns a job off",
                kind: "Sonarr",
                keys: "RssSyncTimer = 0\nRefreshDownloadsTimer = 5",
                last_run: None,
                due_at: &[
                    (NOW + 299, &[]),
                    (NOW + 300, &[Refresh]),
                    (NOW + 100_000, &[Refresh]),
                ],
            },
            Case {
                what: "Lidarr has no refresh, as in qBitrr",
                kind: "Lidarr",
                keys: "",
                last_run: None,
                due_at: &[(NOW + 60, &[Rss])],
            },
            Case {
                what: "a long period never recorded runs at once",
                kind: "Readarr",
                keys: "RssSyncTimer = 30\nRefreshDownloadsTimer = 0",
                last_run: None,
                due_at: &[(NOW, &[Rss])],
            },
            Case {
                what: "a long period runs one period after its recorded run",
                kind: "Radarr",
                keys: "RssSyncTimer = 30\nRefreshDownloadsTimer = 0",
                last_run: Some(NOW - 600),
                due_at: &[(NOW, &[]), (NOW + 1_199, &[]), (NOW + 1_200, &[Rss])],
            },
            Case {
                what: "a recorded run in the future (clock set back) waits one period at most",
                kind: "Radarr",
                keys: "RssSyncTimer = \"1h\"\nRefreshDownloadsTimer = 0",
                last_run: Some(NOW + 86_400),
                due_at: &[(NOW + 3_599, &[]), (NOW + 3_600, &[Rss])],
            },
        ];
        for case in cases {
            let jobs = ArrJobs::new(&arr(case.kind, case.keys), NOW, |_| case.last_run);
            for (at, want) in case.due_at {
                assert_eq!(jobs.due(*at), *want, "{}: at NOW + {}", case.what, at - NOW);
            }
        }
    }

    #[test]
    fn a_run_moves_the_job_one_period_on_and_failures_are_reported_once() {
        let outcome = |remember, news| Outcome { remember, news };
        let quiet = outcome(false, News::None);
        let mut jobs = ArrJobs::new(&arr("Radarr", "RefreshDownloadsTimer = 0"), NOW, never);
        assert_eq!(jobs.ran(Job::RssSync, true, NOW + 60), quiet, "not remembered");
        assert_eq!(jobs.due(NOW + 119), []);
        assert_eq!(jobs.due(NOW + 120), [Job::RssSync]);
        assert_eq!(
            jobs.ran(Job::RssSync, false, NOW + 120),
            outcome(false, News::StartedFailing)
        );
        assert_eq!(jobs.due(NOW + 121), [], "a refused request waits a period");
        assert_eq!(jobs.ran(Job::RssSync, false, NOW + 180), quiet);
        assert_eq!(
            jobs.ran(Job::RssSync, true, NOW + 240),
            outcome(false, News::Recovered)
        );
        assert_eq!(jobs.ran(Job::RefreshMonitoredDownloads, true, NOW), quiet, "off");

        let mut long = ArrJobs::new(&arr("Sonarr", "RssSyncTimer = 15"), NOW, never);
        assert_eq!(long.ran(Job::RssSync, true, NOW), outcome(true, News::None));
        assert_eq!(
            long.ran(Job::RefreshMonitoredDownloads, true, NOW),
            quiet,
            "a one-minute job is not remembered"
        );
        assert_eq!(
            long.ran(Job::RssSync, false, NOW + 900),
            outcome(false, News::StartedFailing)
        );
        assert_eq!(
            long.ran(Job::RssSync, true, NOW + 1_800),
            outcome(true, News::Recovered),
            "a remembered job's recovery is written"
        );
        assert_eq!(
            long.describe().as_deref(),
            Some("RssSync every 900s, RefreshMonitoredDownloads every 60s")
        );
        assert_eq!(
            ArrJobs::new(
                &arr("Radarr", "RssSyncTimer = 0\nRefreshDownloadsTimer = 0"),
                NOW,
                never
            )
            .describe(),
            None
        );
    }
}
