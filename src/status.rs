//! The status board: what every worker and upstream is doing, shared by the
//! workers (who report after each pass), the supervisor (who reports starts,
//! restarts and stops) and the status server (who renders it).
//!
//! Rendering is pure: [`Board::health`], [`Board::processes_json`],
//! [`Board::status_json`] and [`Board::metrics`] take a snapshot and the time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::{ceil_secs, HttpError};
use crate::model::UnixTime;

/// Consecutive failed passes after which an unreachable upstream makes `/health` fail
/// (refused credentials, a login ban and a refused API key do at once: they do not pass by
/// themselves within a pass or two).
pub(crate) const UNHEALTHY_AFTER_FAILED_PASSES: u32 = 3;

/// A worker's life-cycle state, as `/api/processes` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    Running,
    Restarting,
    Stopped,
}

impl Life {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Restarting => "restarting",
            Self::Stopped => "stopped",
        }
    }
}

/// Everything known about one worker.
#[derive(Debug, Clone)]
pub(crate) struct WorkerState {
    pub name: String,
    pub kind: &'static str,
    pub category: String,
    pub arr_url: String,
    pub interval: Duration,
    pub life: Life,
    /// Why it is restarting or stopped.
    pub reason: Option<String>,
    pub started_at: UnixTime,
    /// Restarts within the current window (reset by a manual restart).
    pub restart_count: u32,
    pub restarts_total: u64,
    pub last_restart: Option<UnixTime>,
    pub passes: u64,
    pub last_pass_at: Option<UnixTime>,
    pub last_pass_seconds: f64,
    pub pass_seconds_total: f64,
    pub last_error: Option<String>,
    /// qBittorrent instance failing, for how many consecutive passes, and how (the last time).
    pub qbit_down: Option<(String, u32, QbitProblem)>,
    pub arr_failed_passes: u32,
    /// The Arr refused the API key on the last failed pass (a config change is needed).
    pub arr_key_refused: bool,
    pub arr_version: Option<String>,
    pub torrents_by_state: BTreeMap<&'static str, u64>,
    pub actions_by_rule: BTreeMap<&'static str, u64>,
    pub upstream_errors: BTreeMap<&'static str, u64>,
    /// A storm the storm guard holds back (what it is, in words), while it lasts.
    pub storm: Option<String>,
    /// The user acknowledged the current storm: act on those torrents after all.
    pub storm_acknowledged: bool,
    /// Torrents whose import failed and waits for its next try (last pass).
    pub imports_failing: u64,
    /// The worker said it would show life again by then (its sleep plus a generous pass);
    /// later, it is stuck, and the service watchdog stops being fed.
    pub alive_until: Option<UnixTime>,
    /// Its torrents' next clock-driven changes, soonest first (a few).
    pub upcoming: Vec<Upcoming>,
    /// Its search loop, once it ran (`None`: off, or not started yet).
    pub search: Option<SearchState>,
}

/// Where an Arr's search loop stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SearchState {
    /// What it does now, in words.
    pub doing: String,
    /// When it acts next (`None`: now).
    pub next_at: Option<UnixTime>,
    pub budget: crate::search::BudgetLeft,
    /// Wanted items the last read found, by reason ("missing", "quality").
    pub wanted: BTreeMap<&'static str, u64>,
    /// Of those, not searched yet this round.
    pub left_this_round: Option<u64>,
    /// Searches sent since the worker started, by reason.
    pub sent: BTreeMap<&'static str, u64>,
    /// The last search sent: when, and what.
    pub last: Option<(UnixTime, String)>,
    /// Rounds finished (every wanted item searched) since the worker started.
    pub rounds_done: u64,
    /// The request manager searched first, and how many of its requests are open.
    pub requests: Option<(&'static str, u64)>,
    /// Temp quality profiles: items on the temp profile we gave them, and profile changes
    /// sent since the worker started (`None`: not in use).
    pub temp_profiles: Option<TempProfileCounts>,
}

/// What the temp-profile pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TempProfileCounts {
    /// Items on the temp profile we gave them, after the last pass.
    pub on_temp: u64,
    /// Switches to a temp profile sent.
    pub switched: u64,
    /// Switches back to the main profile sent.
    pub restored: u64,
}

impl SearchState {
    /// `/api/status`'s `search` of an Arr.
    fn json(&self) -> Value {
        json!({
            "doing": self.doing,
            "next_at": self.next_at,
            "budget": {
                "hour_left": self.budget.hour,
                "day_left": self.budget.day,
                "next_at": self.budget.next_at.filter(|&t| t != UnixTime::MAX),
                "held_until": self.budget.held_until,
            },
            "wanted": self.wanted,
            "left_this_round": self.left_this_round,
            "sent": self.sent,
            "last": self.last.as_ref().map(|(at, what)| json!({"at": at, "what": what})),
            "rounds_done": self.rounds_done,
            "requests": self.requests.map(|(manager, open)| json!({"manager": manager, "open": open})),
            "temp_profiles": self.temp_profiles.map(|t| json!({
                "on_temp": t.on_temp, "switched": t.switched, "restored": t.restored,
            })),
        })
    }
}

impl WorkerState {
    pub(crate) fn new(
        name: &str,
        kind: &'static str,
        category: &str,
        arr_url: &str,
        interval: Duration,
        now: UnixTime,
    ) -> Self {
        Self {
            name: name.to_string(),
            kind,
            category: category.to_string(),
            arr_url: arr_url.to_string(),
            interval,
            life: Life::Running,
            reason: None,
            started_at: now,
            restart_count: 0,
            restarts_total: 0,
            last_restart: None,
            passes: 0,
            last_pass_at: None,
            last_pass_seconds: 0.0,
            pass_seconds_total: 0.0,
            last_error: None,
            qbit_down: None,
            arr_failed_passes: 0,
            arr_key_refused: false,
            arr_version: None,
            torrents_by_state: BTreeMap::new(),
            actions_by_rule: BTreeMap::new(),
            upstream_errors: BTreeMap::new(),
            storm: None,
            storm_acknowledged: false,
            imports_failing: 0,
            alive_until: None,
            upcoming: Vec::new(),
            search: None,
        }
    }

    /// Whether its Arr answered its last call: None before it was asked.
    fn arr_alive(&self) -> Option<bool> {
        (self.passes > 0 || self.arr_failed_passes > 0).then_some(self.arr_failed_passes == 0)
    }

    /// How long without a completed pass before `/health` fails:
    /// three intervals plus the slowest request timeout.
    fn stale_after(&self) -> i64 {
        let secs = self
            .interval
            .as_secs()
            .saturating_mul(3)
            .saturating_add(crate::http::REQUEST_TIMEOUT.as_secs());
        i64::try_from(secs).unwrap_or(i64::MAX)
    }
}

/// One qBittorrent instance, as `/api/status` shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct QbitState {
    pub name: String,
    pub url: String,
    pub alive: Option<bool>,
    pub version: Option<String>,
    /// How the last failed call failed, until one succeeds.
    pub problem: Option<QbitProblem>,
    /// How its torrents are read, once they were.
    pub read: Option<QbitRead>,
    /// Since when it reports no connection (`connection_status` disconnected), if it does.
    pub disconnected_since: Option<UnixTime>,
}

/// How a qBittorrent's torrents are read (its view), for `/api/status` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QbitRead {
    pub mode: &'static str,
    /// Torrents the view holds.
    pub torrents: usize,
    pub requests: crate::view::ReadCounts,
}

#[derive(Debug, Default)]
struct State {
    started_at: UnixTime,
    /// One sample a minute, the newest last, at most [`HISTORY_MINUTES`] (the status page's chart).
    history: std::collections::VecDeque<Sample>,
    workers: Vec<WorkerState>,
    qbits: Vec<QbitState>,
    config_path: String,
    config_error: Option<String>,
    /// Why the store is unavailable, while it is.
    store_problem: Option<String>,
}

/// One torrent's next change the clock alone brings (from `explain`), for the status page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Upcoming {
    /// Which of the worker's qBittorrents holds it (its index).
    pub qbit: usize,
    pub hash: String,
    pub name: String,
    /// The rule that decides now, and why.
    pub rule: crate::decide::Rule,
    pub detail: String,
    /// When the decision changes, the rule that decides then and what it does.
    pub at: UnixTime,
    pub next_rule: crate::decide::Rule,
    pub what: String,
}

/// How many minutes of history the board keeps (6 hours, about 30 KB).
pub(crate) const HISTORY_MINUTES: usize = 360;

/// The groups of qBittorrent states the chart shows, in its order.
pub(crate) const STATE_GROUPS: [&str; 6] = ["downloading", "stalled", "seeding", "paused", "error", "other"];

/// Which of [`STATE_GROUPS`] a qBittorrent state is in.
fn state_group(state: &str) -> usize {
    match state {
        "downloading" | "forcedDL" | "metaDL" | "forcedMetaDL" | "queuedDL" | "allocating" | "checkingDL" => {
            0
        }
        "stalledDL" => 1,
        "uploading" | "stalledUP" | "forcedUP" | "queuedUP" | "checkingUP" => 2,
        "pausedDL" | "pausedUP" | "stoppedDL" | "stoppedUP" => 3,
        "error" | "missingFiles" => 4,
        _ => 5,
    }
}

/// One minute of history: torrents by state group as the last pass in it saw them (summed
/// over the workers), and the actions taken in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    /// The minute's start (Unix seconds).
    pub minute: UnixTime,
    /// Torrents per [`STATE_GROUPS`].
    pub torrents: [u64; 6],
    pub actions: u64,
}

impl State {
    /// A pass ended at `now` with `actions` actions: the current minute's sample is
    /// brought up to date (a new minute starts a sample, the oldest beyond the bound go).
    fn sample(&mut self, now: UnixTime, actions: u64) {
        let mut torrents = [0u64; 6];
        for w in &self.workers {
            for (state, n) in &w.torrents_by_state {
                torrents[state_group(state)] += n;
            }
        }
        let minute = now - now.rem_euclid(60);
        match self.history.back_mut() {
            Some(last) if last.minute == minute => {
                last.torrents = torrents;
                last.actions += actions;
            }
            _ => {
                if self.history.len() == HISTORY_MINUTES {
                    self.history.pop_front();
                }
                self.history.push_back(Sample {
                    minute,
                    torrents,
                    actions,
                });
            }
        }
    }
}

/// The shared board.
#[derive(Debug, Default)]
pub(crate) struct Board {
    state: Mutex<State>,
}

/// What one pass reports.
#[derive(Debug, Clone, Default)]
pub(crate) struct PassSummary {
    pub seconds: f64,
    pub torrents_by_state: BTreeMap<&'static str, u64>,
    /// Rules that produced actions, with counts.
    pub actions_by_rule: BTreeMap<&'static str, u64>,
    pub arr_version: Option<String>,
    /// Torrents whose import failed and waits for its next try.
    pub imports_failing: u64,
}

/// Which upstream made a pass fail.
#[derive(Debug, Clone)]
pub(crate) enum PassFailure {
    Qbit {
        name: String,
        error: String,
        problem: QbitProblem,
    },
    Arr {
        error: String,
        /// The Arr answered 401: the API key is wrong, which does not pass by itself.
        key_refused: bool,
    },
}

/// How a qBittorrent instance failed, as `/health` and `/api/status` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QbitProblem {
    /// No answer, or none the client could use.
    Unreachable,
    /// The credentials (or API key) were refused: needs a configuration change.
    CredentialsRefused,
    /// This IP is banned after too many failed logins; the next login is tried at `retry_at`.
    LoginBanned { retry_at: UnixTime },
}

impl QbitProblem {
    /// The problem `err` shows, seen at `now`.
    pub(crate) fn of(err: &HttpError, now: UnixTime) -> Self {
        match err {
            HttpError::Auth { .. } => Self::CredentialsRefused,
            HttpError::Banned { retry_in, .. } => Self::LoginBanned {
                retry_at: now.saturating_add(i64::try_from(ceil_secs(*retry_in)).unwrap_or(i64::MAX)),
            },
            HttpError::Unreachable { .. } | HttpError::Status { .. } | HttpError::Decode { .. } => {
                Self::Unreachable
            }
        }
    }

    /// Short text for `/api/status`.
    fn describe(self, now: UnixTime) -> String {
        match self {
            Self::Unreachable => "unreachable".into(),
            Self::CredentialsRefused => "credentials refused".into(),
            Self::LoginBanned { retry_at } => format!("login banned ({})", retrying(retry_at, now)),
        }
    }
}

fn retrying(at: UnixTime, now: UnixTime) -> String {
    format!("retrying in {}s", at.saturating_sub(now).max(0))
}

impl std::fmt::Display for PassFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Qbit { name, error, .. } => write!(f, "{name}: {error}"),
            Self::Arr { error, .. } => write!(f, "Arr: {error}"),
        }
    }
}

impl Board {
    pub(crate) fn new(config_path: &str, now: UnixTime) -> Self {
        Self {
            state: Mutex::new(State {
                started_at: now,
                config_path: config_path.to_string(),
                ..State::default()
            }),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Adds or replaces a worker's entry (keeping its counters when it exists).
    pub(crate) fn register(&self, w: WorkerState) {
        self.with(|s| match s.workers.iter_mut().find(|x| x.name == w.name) {
            Some(old) => {
                old.kind = w.kind;
                old.category = w.category;
                old.arr_url = w.arr_url;
                old.interval = w.interval;
            }
            None => s.workers.push(w),
        });
    }

    /// Removes a worker whose section left the config.
    pub(crate) fn unregister(&self, name: &str) {
        self.with(|s| s.workers.retain(|w| w.name != name));
    }

    pub(crate) fn set_qbits(&self, qbits: Vec<QbitState>) {
        self.with(|s| s.qbits = qbits);
    }

    pub(crate) fn qbit_seen(&self, name: &str, alive: bool, version: Option<String>) {
        self.with(|s| {
            if let Some(q) = s.qbits.iter_mut().find(|q| q.name == name) {
                q.alive = Some(alive);
                if alive {
                    q.problem = None;
                }
                if version.is_some() {
                    q.version = version;
                }
            }
        });
    }

    /// Whether `name` reports no connection, since when.
    pub(crate) fn qbit_connection(&self, name: &str, disconnected_since: Option<UnixTime>) {
        self.with(|s| {
            if let Some(q) = s.qbits.iter_mut().find(|q| q.name == name) {
                q.disconnected_since = disconnected_since;
            }
        });
    }

    /// How `name`'s torrents are read now (after a read of its view).
    pub(crate) fn qbit_read(&self, name: &str, read: QbitRead) {
        self.with(|s| {
            if let Some(q) = s.qbits.iter_mut().find(|q| q.name == name) {
                q.read = Some(read);
            }
        });
    }

    /// The store is unavailable (`problem` names why and the file); `worker` skipped its pass.
    pub(crate) fn store_unavailable(&self, worker: &str, problem: &str) {
        self.with(|s| s.store_problem = Some(problem.to_string()));
        self.update(worker, |w| w.last_error = Some(problem.to_string()));
    }

    /// The store works (again).
    pub(crate) fn store_works(&self) {
        self.with(|s| s.store_problem = None);
    }

    pub(crate) fn set_config_error(&self, error: Option<String>) {
        self.with(|s| s.config_error = error);
    }

    /// Updates one worker's entry.
    pub(crate) fn update(&self, name: &str, f: impl FnOnce(&mut WorkerState)) {
        self.with(|s| {
            if let Some(w) = s.workers.iter_mut().find(|w| w.name == name) {
                f(w);
            }
        });
    }

    /// A worker's storm guard holds back `storm` (or, with `None`, nothing any more: a
    /// later storm needs a new acknowledgement).
    pub(crate) fn set_storm(&self, name: &str, storm: Option<String>) {
        self.update(name, |w| {
            if storm.is_none() {
                w.storm_acknowledged = false;
            }
            w.storm = storm;
        });
    }

    /// The user says the storm is expected: the worker acts on those torrents after all.
    /// False when there is no such worker or no storm.
    pub(crate) fn acknowledge_storm(&self, name: &str) -> bool {
        let mut found = false;
        self.update(name, |w| {
            if w.storm.is_some() {
                w.storm_acknowledged = true;
                found = true;
            }
        });
        found
    }

    pub(crate) fn storm_acknowledged(&self, name: &str) -> bool {
        let mut acknowledged = false;
        self.update(name, |w| acknowledged = w.storm_acknowledged);
        acknowledged
    }

    pub(crate) fn pass_ok(&self, name: &str, now: UnixTime, p: PassSummary) {
        let actions: u64 = p.actions_by_rule.values().sum();
        self.update(name, |w| {
            w.passes += 1;
            w.last_pass_at = Some(now);
            w.last_pass_seconds = p.seconds;
            w.pass_seconds_total += p.seconds;
            w.qbit_down = None;
            w.arr_failed_passes = 0;
            w.arr_key_refused = false;
            w.torrents_by_state = p.torrents_by_state;
            w.imports_failing = p.imports_failing;
            for (rule, n) in p.actions_by_rule {
                *w.actions_by_rule.entry(rule).or_default() += n;
            }
            if p.arr_version.is_some() {
                w.arr_version = p.arr_version;
            }
        });
        self.with(|s| s.sample(now, actions));
    }

    /// `/api/history`: the last [`HISTORY_MINUTES`] minutes, one sample each (minutes with no
    /// pass are absent), oldest first.
    pub(crate) fn history_json(&self) -> Value {
        let samples: Vec<Value> = self.with(|s| {
            s.history
                .iter()
                .map(|h| {
                    let mut v = json!({ "t": h.minute, "actions": h.actions });
                    for (group, n) in STATE_GROUPS.iter().zip(h.torrents) {
                        v[*group] = json!(n);
                    }
                    v
                })
                .collect()
        });
        json!({ "minutes": HISTORY_MINUTES, "groups": STATE_GROUPS, "samples": samples })
    }

    pub(crate) fn pass_failed(&self, name: &str, failure: PassFailure) {
        if let PassFailure::Qbit {
            name: qbit, problem, ..
        } = &failure
        {
            self.with(|s| {
                if let Some(q) = s.qbits.iter_mut().find(|q| q.name == *qbit) {
                    q.problem = Some(*problem);
                }
            });
        }
        self.update(name, |w| match failure {
            PassFailure::Qbit { name, error, problem } => {
                let n = w.qbit_down.as_ref().map_or(0, |(_, n, _)| *n) + 1;
                w.qbit_down = Some((name, n, problem));
                *w.upstream_errors.entry("qbit").or_default() += 1;
                w.last_error = Some(error);
            }
            PassFailure::Arr { error, key_refused } => {
                w.arr_failed_passes += 1;
                w.arr_key_refused = key_refused;
                *w.upstream_errors.entry("arr").or_default() += 1;
                w.last_error = Some(error);
            }
        });
    }

    /// A worker's torrents' next changes (see [`Upcoming`]).
    pub(crate) fn set_upcoming(&self, name: &str, upcoming: Vec<Upcoming>) {
        self.update(name, |w| w.upcoming = upcoming);
    }

    /// `/api/upcoming`: every worker's next changes, soonest first.
    pub(crate) fn upcoming_json(&self, now: UnixTime) -> Value {
        let mut all: Vec<(String, Upcoming)> = self.with(|s| {
            s.workers
                .iter()
                .flat_map(|w| w.upcoming.iter().map(|u| (w.name.clone(), u.clone())))
                .collect()
        });
        all.sort_by(|a, b| (a.1.at, &a.1.hash).cmp(&(b.1.at, &b.1.hash)));
        let list: Vec<Value> = all
            .into_iter()
            .map(|(arr, u)| {
                json!({
                    "arr": arr, "hash": u.hash, "name": u.name,
                    "rule": u.rule.name(), "detail": u.detail,
                    "at": u.at, "in": u.at - now, "next_rule": u.next_rule.name(), "what": u.what,
                })
            })
            .collect();
        json!({ "upcoming": list })
    }

    /// A worker shows life: it will again by `until` (see [`WorkerState::alive_until`]).
    pub(crate) fn beat(&self, name: &str, until: UnixTime) {
        self.update(name, |w| w.alive_until = Some(until));
    }

    /// The running workers that showed no life by when they said they would.
    pub(crate) fn stuck(&self, now: UnixTime) -> Vec<String> {
        self.with(|s| {
            s.workers
                .iter()
                .filter(|w| w.life == Life::Running && w.alive_until.is_some_and(|t| t < now))
                .map(|w| w.name.clone())
                .collect()
        })
    }

    /// When the daemon started (Unix seconds).
    pub(crate) fn started_at(&self) -> UnixTime {
        self.with(|s| s.started_at)
    }

    pub(crate) fn snapshot(&self) -> Vec<WorkerState> {
        self.with(|s| s.workers.clone())
    }

    /// `/health`: (healthy, JSON body). Healthy when every worker runs and
    /// completed a pass recently, no upstream has failed for
    /// [`UNHEALTHY_AFTER_FAILED_PASSES`] passes in a row, no qBittorrent
    /// refused the credentials or banned the login, no Arr refused its API key, and the
    /// store works.
    pub(crate) fn health(&self, now: UnixTime) -> (bool, Value) {
        self.with(|s| {
            let mut problems: Vec<Value> = Vec::new();
            // Workers see the same ban at slightly different times: name it once per instance.
            let mut bans_named: Vec<&str> = Vec::new();
            let mut push = |part: &str, problem: String| {
                if !problems
                    .iter()
                    .any(|p| p["part"] == part && p["problem"] == problem.as_str())
                {
                    problems.push(json!({"part": part, "problem": problem}));
                }
            };
            for w in &s.workers {
                match w.life {
                    Life::Stopped => {
                        push(
                            &w.name,
                            format!("stopped: {}", w.reason.as_deref().unwrap_or("unknown")),
                        );
                        continue;
                    }
                    Life::Restarting => {
                        push(
                            &w.name,
                            format!("restarting: {}", w.reason.as_deref().unwrap_or("unknown")),
                        );
                        continue;
                    }
                    Life::Running => {}
                }
                match &w.qbit_down {
                    Some((qbit, n, QbitProblem::Unreachable)) if *n >= UNHEALTHY_AFTER_FAILED_PASSES => {
                        push(qbit, format!("qBittorrent unreachable for {n} passes"));
                    }
                    Some((qbit, _, QbitProblem::CredentialsRefused)) => push(
                        qbit,
                        format!(
                            "qBittorrent credentials refused (check [{qbit}] UserName/Password or APIKey)"
                        ),
                    ),
                    Some((qbit, _, QbitProblem::LoginBanned { retry_at }))
                        if !bans_named.contains(&qbit.as_str()) =>
                    {
                        bans_named.push(qbit);
                        push(
                            qbit,
                            format!("qBittorrent login banned ({})", retrying(*retry_at, now)),
                        );
                    }
                    _ => {}
                }
                if let Some(storm) = w.storm.as_ref().filter(|_| !w.storm_acknowledged) {
                    push(&w.name, storm.clone());
                }
                if w.arr_key_refused {
                    push(
                        &w.name,
                        format!("{} refused the API key (check [{}] APIKey)", w.kind, w.name),
                    );
                } else if w.arr_failed_passes >= UNHEALTHY_AFTER_FAILED_PASSES {
                    push(
                        &w.name,
                        format!("{} unreachable for {} passes", w.kind, w.arr_failed_passes),
                    );
                }
                let since = w.last_pass_at.unwrap_or(w.started_at);
                if now - since > w.stale_after() {
                    push(&w.name, format!("no completed pass for {}s", now - since));
                }
            }
            for q in &s.qbits {
                if let Some(since) = q.disconnected_since {
                    push(
                        &q.name,
                        format!(
                            "qBittorrent reports no connection (connection_status disconnected) for {}s: \
                             nothing is removed as stalled, slow or stale until it is back",
                            now - since
                        ),
                    );
                }
            }
            if let Some(problem) = &s.store_problem {
                push("store", problem.clone());
            }
            if s.workers.is_empty() {
                push("daemon", "no worker is configured".into());
            }
            let healthy = problems.is_empty();
            let body = if healthy {
                json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "workers": s.workers.len()})
            } else {
                json!({"status": "unhealthy", "version": env!("CARGO_PKG_VERSION"), "problems": problems})
            };
            (healthy, body)
        })
    }

    /// `/api/processes`, in the shape of qBitrr's process list.
    pub(crate) fn processes_json(&self, now: UnixTime) -> Value {
        let list: Vec<Value> = self
            .snapshot()
            .iter()
            .map(|w| {
                json!({
                    "name": w.name,
                    "kind": w.kind,
                    "category": w.category,
                    "status": w.life.as_str(),
                    "reason": w.reason,
                    "uptime": if w.life == Life::Running { now - w.started_at } else { 0 },
                    "restart_count": w.restart_count,
                    "last_restart": w.last_restart.map(crate::clock::rfc3339),
                    "passes": w.passes,
                    "last_pass": w.last_pass_at.map(crate::clock::rfc3339),
                    "last_pass_seconds": w.last_pass_seconds,
                    "last_error": w.last_error,
                    "imports_failing": w.imports_failing,
                })
            })
            .collect();
        json!({ "processes": list })
    }

    /// `/api/status`: reachability and versions of every upstream, our version, the config state.
    pub(crate) fn status_json(&self, now: UnixTime) -> Value {
        self.with(|s| {
            let qbits: Vec<Value> = s
                .qbits
                .iter()
                .map(|q| {
                    json!({
                        "name": q.name, "url": q.url, "alive": q.alive, "version": q.version,
                        "problem": q.problem.map(|p| p.describe(now)),
                        "read": q.read.map(|r| json!({
                            "mode": r.mode,
                            "torrents": r.torrents,
                            "requests": {
                                "maindata_full": r.requests.maindata_full,
                                "maindata": r.requests.maindata,
                                "full_lists": r.requests.full_lists,
                                "filtered_lists": r.requests.filtered_lists,
                                "lookups": r.requests.lookups,
                                "transfer_info": r.requests.transfer_info,
                            },
                            "resets": r.requests.resets,
                        })),
                    })
                })
                .collect();
            let arrs: Vec<Value> = s
                .workers
                .iter()
                .map(|w| {
                    json!({
                        "name": w.name, "type": w.kind, "category": w.category, "url": w.arr_url,
                        "alive": w.arr_alive(),
                        "version": w.arr_version,
                        "search": w.search.as_ref().map(|s| s.json()),
                    })
                })
                .collect();
            json!({
                "version": env!("CARGO_PKG_VERSION"),
                "uptime": now - s.started_at,
                "config": {"path": s.config_path, "error": s.config_error},
                "qbit": qbits,
                "arrs": arrs,
            })
        })
    }

    /// `/metrics` in the Prometheus text format.
    pub(crate) fn metrics(&self, now: UnixTime) -> String {
        let workers = self.snapshot();
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, String)>| {
            let _ = writeln!(
                out,
                "# HELP qbitrr_lite_{name} {help}\n# TYPE qbitrr_lite_{name} {kind}"
            );
            for (labels, value) in rows {
                let _ = writeln!(out, "qbitrr_lite_{name}{{{labels}}} {value}");
            }
        };
        // `arr`, not `instance`: Prometheus sets `instance` on every scraped series itself.
        let label = |w: &WorkerState| format!("arr=\"{}\"", escape(&w.name));
        family(
            "build_info",
            "gauge",
            "Always 1; the version in a label.",
            vec![(format!("version=\"{}\"", env!("CARGO_PKG_VERSION")), "1".into())],
        );
        family(
            "worker_running",
            "gauge",
            "1 while the worker runs, 0 when restarting or stopped.",
            workers
                .iter()
                .map(|w| (label(w), u8::from(w.life == Life::Running).to_string()))
                .collect(),
        );
        let qbits: Vec<QbitState> = self.with(|s| s.qbits.clone());
        family(
            "upstream_up",
            "gauge",
            "1 when the upstream answered its last call, 0 when it failed (absent until known).",
            qbits
                .iter()
                .filter_map(|q| {
                    let up = q.alive?;
                    Some((
                        format!("upstream=\"{}\",kind=\"qbittorrent\"", escape(&q.name)),
                        u8::from(up).to_string(),
                    ))
                })
                .chain(workers.iter().filter_map(|w| {
                    let up = w.arr_alive()?;
                    Some((
                        format!(
                            "upstream=\"{}\",kind=\"{}\"",
                            escape(&w.name),
                            w.kind.to_ascii_lowercase()
                        ),
                        u8::from(up).to_string(),
                    ))
                }))
                .collect(),
        );
        family(
            "passes_total",
            "counter",
            "Completed passes.",
            workers.iter().map(|w| (label(w), w.passes.to_string())).collect(),
        );
        family(
            "pass_duration_seconds_total",
            "counter",
            "Time spent in completed passes.",
            workers
                .iter()
                .map(|w| (label(w), format!("{:.6}", w.pass_seconds_total)))
                .collect(),
        );
        family(
            "last_pass_duration_seconds",
            "gauge",
            "Duration of the last completed pass.",
            workers
                .iter()
                .map(|w| (label(w), format!("{:.6}", w.last_pass_seconds)))
                .collect(),
        );
        family(
            "imports_failing",
            "gauge",
            "Torrents whose import failed and waits for its next try.",
            workers
                .iter()
                .map(|w| (label(w), w.imports_failing.to_string()))
                .collect(),
        );
        family(
            "last_successful_pass_timestamp_seconds",
            "gauge",
            "Unix time of the last completed pass.",
            workers
                .iter()
                .filter_map(|w| w.last_pass_at.map(|t| (label(w), t.to_string())))
                .collect(),
        );
        family(
            "torrents",
            "gauge",
            "Torrents seen in the last pass, by qBittorrent state.",
            workers
                .iter()
                .flat_map(|w| {
                    w.torrents_by_state
                        .iter()
                        .map(move |(state, n)| (format!("{},state=\"{state}\"", label(w)), n.to_string()))
                })
                .collect(),
        );
        family(
            "actions_total",
            "counter",
            "Decisions that produced actions, by rule (every rule from 0, so rate() sees the first).",
            workers
                .iter()
                .flat_map(|w| {
                    crate::decide::Rule::ALL.iter().map(move |rule| {
                        let n = w.actions_by_rule.get(rule.name()).copied().unwrap_or(0);
                        (format!("{},rule=\"{}\"", label(w), rule.name()), n.to_string())
                    })
                })
                .collect(),
        );
        let searching: Vec<(&WorkerState, &SearchState)> = workers
            .iter()
            .filter_map(|w| w.search.as_ref().map(|s| (w, s)))
            .collect();
        family(
            "searches_total",
            "counter",
            "Searches the search loop sent, by reason (every reason from 0).",
            searching
                .iter()
                .flat_map(|(w, s)| {
                    crate::search::Reason::ALL.iter().map(move |r| {
                        let n = s.sent.get(r.name()).copied().unwrap_or(0);
                        (format!("{},reason=\"{}\"", label(w), r.name()), n.to_string())
                    })
                })
                .collect(),
        );
        family(
            "search_wanted",
            "gauge",
            "Wanted items the search loop's last read found, by reason.",
            searching
                .iter()
                .flat_map(|(w, s)| {
                    s.wanted
                        .iter()
                        .map(move |(r, n)| (format!("{},reason=\"{r}\"", label(w)), n.to_string()))
                })
                .collect(),
        );
        family(
            "search_budget_remaining",
            "gauge",
            "Searches the budget still allows, per window (absent without a limit).",
            searching
                .iter()
                .flat_map(|(w, s)| {
                    [("hour", s.budget.hour), ("day", s.budget.day)]
                        .into_iter()
                        .filter_map(move |(window, left)| {
                            Some((format!("{},window=\"{window}\"", label(w)), left?.to_string()))
                        })
                })
                .collect(),
        );
        family(
            "search_temp_profiles",
            "gauge",
            "Items on the temp quality profile the search loop gave them (UseTempForMissing).",
            searching
                .iter()
                .filter_map(|(w, s)| s.temp_profiles.map(|t| (label(w), t.on_temp.to_string())))
                .collect(),
        );
        family(
            "search_next_timestamp_seconds",
            "gauge",
            "Unix time the search loop acts next.",
            searching
                .iter()
                .filter_map(|(w, s)| s.next_at.map(|t| (label(w), t.to_string())))
                .collect(),
        );
        family(
            "restarts_total",
            "counter",
            "Worker restarts.",
            workers
                .iter()
                .map(|w| (label(w), w.restarts_total.to_string()))
                .collect(),
        );
        family(
            "upstream_errors_total",
            "counter",
            "Passes skipped because qBittorrent or the Arr failed.",
            workers
                .iter()
                .flat_map(|w| {
                    ["qbit", "arr"].into_iter().map(move |u| {
                        (
                            format!("{},upstream=\"{u}\"", label(w)),
                            w.upstream_errors.get(u).copied().unwrap_or(0).to_string(),
                        )
                    })
                })
                .collect(),
        );
        let reads: Vec<(String, QbitRead)> = self.with(|s| {
            s.qbits
                .iter()
                .filter_map(|q| q.read.map(|r| (q.name.clone(), r)))
                .collect()
        });
        family(
            "qbit_requests_total",
            "counter",
            "Requests that read qBittorrent's torrents, by kind (the view of each qBittorrent).",
            reads
                .iter()
                .flat_map(|(name, r)| {
                    let c = r.requests;
                    [
                        ("maindata_full", c.maindata_full),
                        ("maindata", c.maindata),
                        ("full_list", c.full_lists),
                        ("filtered_list", c.filtered_lists),
                        ("lookup", c.lookups),
                        ("transfer_info", c.transfer_info),
                    ]
                    .into_iter()
                    .map(move |(kind, n)| {
                        (
                            format!("qbit=\"{}\",kind=\"{kind}\"", escape(name)),
                            n.to_string(),
                        )
                    })
                })
                .collect(),
        );
        family(
            "qbit_view_torrents",
            "gauge",
            "Torrents held in the view of each qBittorrent.",
            reads
                .iter()
                .map(|(name, r)| (format!("qbit=\"{}\"", escape(name)), r.torrents.to_string()))
                .collect(),
        );
        let uptime = self.with(|s| now - s.started_at);
        let _ = writeln!(
            out,
            "# HELP qbitrr_lite_uptime_seconds Seconds since start.\n# TYPE qbitrr_lite_uptime_seconds gauge\nqbitrr_lite_uptime_seconds {uptime}"
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Rule;

    const NOW: i64 = 1_800_000_000;

    fn board_with(name: &str) -> Board {
        let b = Board::new("/c/config.toml", NOW - 100);
        b.register(WorkerState::new(
            name,
            "Radarr",
            "radarr",
            "http://r",
            Duration::from_secs(5),
            NOW - 100,
        ));
        b
    }

    #[test]
    fn health_ok_then_each_failure_named() {
        let b = board_with("Radarr-1080");
        b.pass_ok("Radarr-1080", NOW, PassSummary::default());
        let (ok, body) = b.health(NOW + 1);
        assert!(ok, "{body}");
        assert_eq!(body["status"], "ok");
        assert!(
            body.to_string().contains("\"status\":\"ok\""),
            "stable keyword for Uptime Kuma"
        );

        // No pass for longer than 3 intervals + the request timeout.
        let (ok, body) = b.health(NOW + 3 * 5 + 30 + 1);
        assert!(!ok);
        assert_eq!(body["problems"][0]["part"], "Radarr-1080");

        // qBittorrent down for 3 passes.
        for _ in 0..3 {
            b.pass_failed(
                "Radarr-1080",
                PassFailure::Qbit {
                    name: "qBit".into(),
                    error: "refused".into(),
                    problem: QbitProblem::Unreachable,
                },
            );
        }
        let (ok, body) = b.health(NOW + 1);
        assert!(!ok);
        assert_eq!(
            body["problems"][0],
            json!({"part": "qBit", "problem": "qBittorrent unreachable for 3 passes"})
        );

        b.pass_ok("Radarr-1080", NOW + 2, PassSummary::default());
        assert!(b.health(NOW + 3).0, "recovers");

        b.update("Radarr-1080", |w| {
            w.life = Life::Stopped;
            w.reason = Some("restart limit hit".into());
        });
        let (ok, body) = b.health(NOW + 3);
        assert!(!ok);
        assert_eq!(body["problems"][0]["problem"], "stopped: restart limit hit");
    }

    #[test]
    fn health_names_an_unavailable_store_until_it_works_again() {
        let b = board_with("Radarr-1080");
        b.pass_ok("Radarr-1080", NOW, PassSummary::default());
        let problem = "store unavailable: no space left on device (/data/qbitrr-lite.redb)";
        b.store_unavailable("Radarr-1080", problem);
        let (ok, body) = b.health(NOW + 1);
        assert!(!ok);
        assert_eq!(body["problems"][0], json!({"part": "store", "problem": problem}));
        assert_eq!(b.processes_json(NOW + 1)["processes"][0]["last_error"], problem);
        b.store_works();
        assert!(b.health(NOW + 1).0, "recovers");
    }

    #[test]
    fn health_names_refused_credentials_and_a_login_ban_at_once() {
        let b = board_with("Radarr-1080");
        b.set_qbits(vec![QbitState {
            name: "qBit".into(),
            url: "http://q".into(),
            ..QbitState::default()
        }]);
        b.pass_ok("Radarr-1080", NOW, PassSummary::default());
        let refused = HttpError::Auth {
            endpoint: "qBit POST /api/v2/auth/login".into(),
            detail: "user name or password refused".into(),
        };
        b.qbit_seen("qBit", false, None);
        b.pass_failed(
            "Radarr-1080",
            PassFailure::Qbit {
                name: "qBit".into(),
                error: refused.to_string(),
                problem: QbitProblem::of(&refused, NOW),
            },
        );
        let (ok, body) = b.health(NOW + 1);
        assert!(!ok, "no need to wait three passes: {body}");
        assert_eq!(
            body["problems"][0],
            json!({"part": "qBit", "problem": "qBittorrent credentials refused (check [qBit] UserName/Password or APIKey)"})
        );
        assert!(!body.to_string().contains("unreachable"), "{body}");
        let status = b.status_json(NOW + 1);
        assert_eq!(status["qbit"][0]["alive"], false);
        assert_eq!(status["qbit"][0]["problem"], "credentials refused");

        // Banned: two workers' reports a second apart (so their retry times differ)
        // name it once, with the time left.
        b.register(WorkerState::new(
            "Sonarr",
            "Sonarr",
            "tv",
            "http://s",
            Duration::from_secs(5),
            NOW,
        ));
        for (worker, at) in [("Radarr-1080", NOW), ("Sonarr", NOW + 1)] {
            let banned = HttpError::Banned {
                endpoint: "qBit POST /api/v2/auth/login".into(),
                detail: "Your IP address has been banned".into(),
                retry_in: Duration::from_secs(240),
            };
            b.pass_failed(
                worker,
                PassFailure::Qbit {
                    name: "qBit".into(),
                    error: banned.to_string(),
                    problem: QbitProblem::of(&banned, at),
                },
            );
        }
        let (ok, body) = b.health(NOW + 40);
        assert!(!ok);
        assert_eq!(
            body["problems"],
            json!([{"part": "qBit", "problem": "qBittorrent login banned (retrying in 200s)"}])
        );
        assert_eq!(
            b.status_json(NOW + 40)["qbit"][0]["problem"],
            "login banned (retrying in 201s)",
            "the latest report"
        );

        // Answers again: the problem is gone from both.
        b.qbit_seen("qBit", true, None);
        b.pass_ok("Radarr-1080", NOW + 300, PassSummary::default());
        b.pass_ok("Sonarr", NOW + 300, PassSummary::default());
        assert!(b.health(NOW + 301).0);
        assert_eq!(b.status_json(NOW + 301)["qbit"][0]["problem"], Value::Null);
    }

    #[test]
    fn health_names_a_refused_arr_key_at_once_and_an_arr_outage_after_three_passes() {
        let b = board_with("Radarr-1080");
        b.pass_ok("Radarr-1080", NOW, PassSummary::default());
        let arr_failed = |key_refused| PassFailure::Arr {
            error: "Radarr GET /api/v3/queue: HTTP 401".into(),
            key_refused,
        };
        b.pass_failed("Radarr-1080", arr_failed(true));
        let (ok, body) = b.health(NOW + 1);
        assert!(!ok, "no need to wait three passes: {body}");
        assert_eq!(
            body["problems"],
            json!([{"part": "Radarr-1080", "problem": "Radarr refused the API key (check [Radarr-1080] APIKey)"}])
        );
        b.pass_ok("Radarr-1080", NOW + 2, PassSummary::default());
        assert!(b.health(NOW + 3).0, "a good pass ends it");

        for _ in 0..UNHEALTHY_AFTER_FAILED_PASSES - 1 {
            b.pass_failed("Radarr-1080", arr_failed(false));
        }
        assert!(b.health(NOW + 4).0, "two failed passes are not an outage yet");
        b.pass_failed("Radarr-1080", arr_failed(false));
        let (ok, body) = b.health(NOW + 4);
        assert!(!ok);
        assert_eq!(body["problems"][0]["problem"], "Radarr unreachable for 3 passes");
    }

    #[test]
    fn history_keeps_a_sample_a_minute_for_six_hours() {
        let b = board_with("Radarr-1080");
        let pass = |stalled: u64, actions: u64| {
            let mut p = PassSummary::default();
            p.torrents_by_state.insert("stalledDL", stalled);
            p.torrents_by_state.insert("uploading", 5);
            p.torrents_by_state.insert("moving", 1);
            if actions > 0 {
                p.actions_by_rule.insert("stalled-delete", actions);
            }
            p
        };
        let minute = NOW - NOW.rem_euclid(60);
        b.pass_ok("Radarr-1080", minute + 1, pass(3, 1));
        b.pass_ok("Radarr-1080", minute + 30, pass(2, 1));
        b.pass_ok("Radarr-1080", minute + 61, pass(2, 0));
        let h = b.history_json();
        let samples = h["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2, "{h}");
        assert_eq!(
            samples[0],
            json!({"t": minute, "actions": 2, "downloading": 0, "stalled": 2, "seeding": 5, "paused": 0, "error": 0, "other": 1})
        );
        assert_eq!(samples[1]["t"], minute + 60);
        for i in 2..HISTORY_MINUTES as i64 + 10 {
            b.pass_ok("Radarr-1080", minute + 60 * i, pass(1, 0));
        }
        let h = b.history_json();
        let samples = h["samples"].as_array().unwrap();
        assert_eq!(samples.len(), HISTORY_MINUTES, "bounded");
        assert_eq!(
            samples.last().unwrap()["t"],
            minute + 60 * (HISTORY_MINUTES as i64 + 9)
        );
    }

    #[test]
    fn a_fresh_worker_is_healthy_until_its_first_pass_is_overdue() {
        let b = Board::new("c", NOW);
        b.register(WorkerState::new(
            "Sonarr",
            "Sonarr",
            "tv",
            "u",
            Duration::from_secs(5),
            NOW,
        ));
        assert!(b.health(NOW + 1).0);
        assert!(!b.health(NOW + 46).0);
    }

    #[test]
    fn metrics_are_prometheus_text() {
        let b = board_with("Radarr-1080");
        let mut p = PassSummary {
            seconds: 0.25,
            ..PassSummary::default()
        };
        p.torrents_by_state.insert("stalledDL", 2);
        p.actions_by_rule.insert("import", 1);
        b.pass_ok("Radarr-1080", NOW, p);
        b.set_qbits(vec![QbitState {
            name: "qBit".into(),
            ..QbitState::default()
        }]);
        let requests = crate::view::ReadCounts {
            maindata_full: 1,
            maindata: 40,
            ..Default::default()
        };
        b.qbit_read(
            "qBit",
            QbitRead {
                mode: "sync/maindata",
                torrents: 2_000,
                requests,
            },
        );
        let read = &b.status_json(NOW)["qbit"][0]["read"];
        assert_eq!(read["mode"], "sync/maindata");
        assert_eq!(read["requests"]["maindata"], 40);
        let m = b.metrics(NOW);
        assert!(
            m.contains("qbitrr_lite_qbit_requests_total{qbit=\"qBit\",kind=\"maindata\"} 40"),
            "{m}"
        );
        assert!(
            m.contains("qbitrr_lite_qbit_view_torrents{qbit=\"qBit\"} 2000"),
            "{m}"
        );
        assert!(
            m.contains("qbitrr_lite_passes_total{arr=\"Radarr-1080\"} 1"),
            "{m}"
        );
        assert!(
            m.contains("qbitrr_lite_torrents{arr=\"Radarr-1080\",state=\"stalledDL\"} 2"),
            "{m}"
        );
        assert!(
            m.contains("qbitrr_lite_actions_total{arr=\"Radarr-1080\",rule=\"import\"} 1"),
            "{m}"
        );
        assert!(m.contains(&format!(
            "qbitrr_lite_last_successful_pass_timestamp_seconds{{arr=\"Radarr-1080\"}} {NOW}"
        )));
        // Every rule's counter from 0; the version; the Arr answered, qBittorrent not known yet.
        assert!(
            m.contains("qbitrr_lite_actions_total{arr=\"Radarr-1080\",rule=\"stalled-delete\"} 0"),
            "{m}"
        );
        assert_eq!(m.matches("qbitrr_lite_actions_total{").count(), Rule::ALL.len());
        assert!(m.contains(&format!(
            "qbitrr_lite_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(
            m.contains("qbitrr_lite_upstream_up{upstream=\"Radarr-1080\",kind=\"radarr\"} 1"),
            "{m}"
        );
        assert!(!m.contains("kind=\"qbittorrent\""), "{m}");
        assert!(!m.contains("instance="), "Prometheus' own label: {m}");
        for line in m.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn processes_have_the_documented_shape() {
        let b = board_with("Radarr-1080");
        let p = b.processes_json(NOW);
        let w = &p["processes"][0];
        for key in [
            "name",
            "category",
            "status",
            "restart_count",
            "uptime",
            "last_restart",
            "last_pass",
            "last_error",
        ] {
            assert!(w.get(key).is_some(), "{key} missing: {p}");
        }
        assert_eq!(w["status"], "running");
        assert_eq!(w["uptime"], 100);
    }
}
