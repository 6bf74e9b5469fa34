//! One Arr instance's polling loop: read (the shared view of each
//! qBittorrent, brought up to date; the Arr queue when something changed or
//! it is due) → decide (pure, per torrent) → verify (each torrent to act on
//! read again by hash, and decided again on that) → apply (fixed order) →
//! persist (only what changed) → sleep, waking at once on shutdown.
//!
//! A failed fetch skips the pass and backs off; each outage is logged once
//! when it starts and once when it ends. An unavailable store (disk full, an
//! I/O error) skips passes the same way, so nothing is done that could not be
//! recorded; the store reopens itself and passes resume. This is the only
//! module that joins I/O to decisions.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};

use crate::clock::unix_now;
use crate::config::{Arr, FreeSpaceGuard, Settings};
use crate::decide::{self, Action, Decision, Inputs, Rule, Rules, Trackers};
use crate::free_space::Space;
use crate::http::HttpError;
use crate::model::{
    Connection, Memory, QueueEntry, QueueRow, QueueStep, Torrent, TorrentId, TorrentState, UnixTime,
};
use crate::shutdown::Shutdown;
use crate::status::{Board, PassFailure, PassSummary, QbitProblem, QbitRead};
use crate::store::{InstanceRecords, StoreError};
use crate::upstream::{ArrApi, Qbittorrent};
use crate::view::{Entry, Mode, Table, View, Watch};

mod arr_jobs;
mod decision_log;
mod executor;
pub(crate) mod format_minimum;
mod guard;
mod intents;
mod leftovers;
mod memory_table;
mod queue_order;
mod search;
mod settle;
pub(crate) mod space;
mod trackers;
mod watch;

use arr_jobs::{ArrJobs, News};
pub(crate) use decision_log::DecisionLog;
use executor::{Applied, Executor, Plan, QueueView};
use intents::Intents;
use memory_table::{Held, MemoryTable};
pub(crate) use search::{SearchBudget, SearchLoop};
use space::{SpaceOf, SpaceSource};
use trackers::TrackerBook;

/// Longest pause between passes while an upstream is down.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A queue row held for a torrent in the failed category is dropped after this long unseen.
const HELD_QUEUE_SECS: i64 = 24 * 3600;
/// A remembered torrent absent from qBittorrent for this long (while we could list it) is forgotten.
const FORGET_AFTER_SECS: u32 = 24 * 3600;
/// A decision without actions is taken again at least this often, even when its
/// inputs did not change and the rules name no time for it to change.
const HOLD_AT_MOST_SECS: i64 = 60;
/// At most this many torrents are read again (to be acted on) per qBittorrent and pass:
/// one `torrents/info?hashes=` request.
const VERIFY_PER_PASS: usize = crate::view::HASHES_PER_LOOKUP;
/// Why a removal keeps its files when qBittorrent's list of everything could not be read.
const UNREAD_CROSS_SEEDS: &str = "qBittorrent's torrents could not be read to rule out a cross-seed";
/// While the store is unavailable, it is asked again at least this long apart.
const STORE_POLL_MIN: Duration = Duration::from_millis(100);

/// Why a worker stopped other than by shutdown.
#[derive(Debug)]
pub(crate) enum WorkerError {
    /// The store failed; the worker cannot remember what it did.
    Store(StoreError),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(e) => write!(f, "store: {e}"),
        }
    }
}

impl std::error::Error for WorkerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
        }
    }
}

/// What a worker talks to, built by the supervisor (which decides whether the run is dry).
pub(crate) struct Connections {
    pub(crate) arr: Box<dyn ArrApi>,
    /// The view of every qBittorrent instance, shared with the other workers.
    pub(crate) qbits: Vec<Arc<View>>,
    /// This instance's records in the store.
    pub(crate) records: InstanceRecords,
    pub(crate) decisions: DecisionLog,
    /// The Arr's search budget, shared with its search loop.
    pub(crate) search_budget: SearchBudget,
    /// A dry run: the clients change nothing, and the Arr's periodic jobs are not asked for
    /// at all (rather than logged as "would" every minute).
    pub(crate) dry_run: bool,
}

/// How long a pass may take before its worker counts as stuck, and the service watchdog
/// (systemd's `WatchdogSec`) stops being fed: far beyond any pass, whose every request has
/// its own timeout. Test builds take `QBITRR_LITE_FAULT_STUCK_AFTER_SECS`.
fn stuck_after() -> i64 {
    #[cfg(feature = "fault-injection")]
    if let Some(secs) = std::env::var("QBITRR_LITE_FAULT_STUCK_AFTER_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return secs;
    }
    STUCK_AFTER_SECS
}

/// See [`stuck_after`].
const STUCK_AFTER_SECS: i64 = 15 * 60;

/// Tracks one upstream's reachability so an outage is logged once.
#[derive(Default)]
struct Outage {
    since: Option<Instant>,
}

impl Outage {
    fn failed(&mut self, instance: &str, what: &str, err: &HttpError) {
        if self.since.is_none() {
            self.since = Some(Instant::now());
            if err.is_transient() {
                warn!("{instance}: {what} failed: {err}; skipping passes and retrying with backoff until it answers");
            } else {
                error!("{instance}: {what} failed: {err}; this needs a configuration change (retrying with backoff)");
            }
        } else {
            debug!("{instance}: {what} still failing: {err}");
        }
    }

    fn ok(&mut self, instance: &str, what: &str) {
        if let Some(since) = self.since.take() {
            info!(
                "{instance}: {what} answers again (down for {}s)",
                since.elapsed().as_secs()
            );
        }
    }
}

/// Reports a failed qBittorrent call once per outage, whichever worker sees it first.
fn report_qbit_failure(instance: &str, client: &dyn Qbittorrent, err: &HttpError) {
    if client.mark_down() {
        let what = format!("{} ({})", client.name(), client.url());
        if err.is_transient() {
            warn!("{what} failed: {err}; every Arr instance skips its passes and retries with backoff until it answers");
        } else {
            error!("{what} failed: {err}; this needs a configuration change (retrying with backoff)");
        }
    } else {
        debug!("{instance}: {} still failing: {err}", client.name());
    }
}

/// What one pass saw and did, for tests and traces.
#[derive(Debug, Default, Clone)]
pub(crate) struct PassReport {
    pub torrents: usize,
    /// Each decision's rule, and whether it produced actions.
    pub decisions: Vec<(Rule, bool)>,
    /// Torrents by qBittorrent state (indexed as [`TorrentState::ALL`]).
    pub by_state: [u64; TorrentState::ALL.len()],
    /// Torrents listed in our category, and how many of them are missingFiles or errored.
    pub ours: u64,
    pub broken: u64,
    pub applied: Applied,
    pub persisted: usize,
}

impl PassReport {
    fn count_state(&mut self, state: TorrentState) {
        // ALL lists the states in declaration order (a model test holds it so).
        if let Some(n) = self.by_state.get_mut(state as usize) {
            *n += 1;
        }
    }

    /// Torrents by qBittorrent state name (the states seen only).
    pub(crate) fn states(&self) -> BTreeMap<&'static str, u64> {
        TorrentState::ALL
            .iter()
            .zip(self.by_state)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| (s.as_str(), n))
            .collect()
    }
}

/// One Arr instance's loop state.
pub(crate) struct Worker {
    arr_cfg: Arr,
    rules: Rules,
    interval: Duration,
    /// A view read less than this long ago is not read again (half the interval).
    view_fresh: Duration,
    trace: bool,
    arr: Box<dyn ArrApi>,
    views: Vec<Arc<View>>,
    /// The views' clients, in the same order (what the executor acts through).
    qbits: Vec<Arc<dyn Qbittorrent>>,
    /// The categories this worker acts on.
    watch: Watch,
    /// Its torrents' next clock-driven changes (the status page's "what happens next").
    upcoming: watch::Watchlist,
    /// The Arr queue as last read, when, and the views' change count of our category then.
    queue: HashMap<String, QueueEntry>,
    queue_read: Option<(Instant, u64)>,
    /// How many times the queue was read (part of each held decision's fingerprint).
    queue_reads: u64,
    /// ForceMinimumCustomFormat: the profiles' custom-format minimums and whose is whose.
    format_minimums: format_minimum::FormatMinimums,
    queue_refresh: Duration,
    /// Queue downloads looked up in the views because no view held them, and when
    /// (not again before `adopt_again_after`).
    adopted: HashMap<String, Instant>,
    adopt_again_after: Duration,
    /// Per qBittorrent, the last suspect read again when there were more than
    /// [`VERIFY_PER_PASS`]: the next pass starts after it.
    verified_up_to: Vec<Option<String>>,
    /// A torrent, reused for each one read from a view.
    scratch: Torrent,
    records: InstanceRecords,
    decisions: DecisionLog,
    /// The Arr's search budget: a search after a removal waits for it.
    search_budget: SearchBudget,
    /// What is remembered per torrent, and when each was last listed (in [`Self::clock`] seconds).
    memory: MemoryTable,
    /// Start of the worker's own clock for "last listed".
    started: Instant,
    /// Torrents whose record in the store must be brought to what `memory` holds (absent
    /// there: deleted), written with the plans' at the end of the pass. Ids only: a first
    /// pass changes every torrent, and copies of their memory would be a peak the
    /// allocator keeps.
    changed: Vec<TorrentId>,
    /// Removals and blocklists started and not finished (also in the store).
    intents: Intents,
    /// Queue rows of our torrents seen in the failed category, until they are acted on
    /// (see [`QueueView`]), with when each was last seen.
    held_queue: HashMap<String, (QueueEntry, UnixTime)>,
    /// What was just set on torrents, not sent again while qBittorrent catches up.
    settle: settle::Settle,
    /// SortTorrents: when each queue was last sorted.
    queue_order: queue_order::QueueOrder,
    /// The queue rows of our torrents as remembered in the store (a fingerprint each), so a
    /// row is written when it first appears or changes, not every pass.
    queue_rows: HashMap<TorrentId, u64>,
    /// Queue rows to write (or, `None`, to forget) at the end of the pass.
    row_changes: Vec<(String, Option<QueueRow>)>,
    /// Removals of the last hour, for MaxRemovalsPerHour.
    budget: guard::RemovalBudget,
    /// The storm guard is holding torrents back.
    storm: bool,
    arr_outage: Outage,
    board: Arc<Board>,
    /// Whether the versions of the Arr and qBittorrent were read yet (once, for `/api/status`).
    versions_known: bool,
    /// Whether `memory` and `intents` were read from the store (deferred while it is unavailable).
    loaded: bool,
    /// Whether this worker's last pass was skipped because the store was unavailable.
    store_down: bool,
    /// Test-only fault injection: panic at the start of every pass.
    #[cfg(feature = "fault-injection")]
    fault_panic: bool,
    /// Test-only fault injection: hang in the first pass (a stuck worker).
    #[cfg(feature = "fault-injection")]
    fault_hang: bool,
    passes: u64,
    /// The Arr's periodic jobs (RssSync, RefreshMonitoredDownloads), set up at the first
    /// pass that has read the store; never in a dry run.
    jobs: Option<ArrJobs>,
    dry_run: bool,
    /// Settings.FreeSpace with AutoPauseResume (`None`: off).
    free_space: Option<FreeSpaceGuard>,
    /// Per qBittorrent, the free-space verdicts of this pass.
    spaces: Vec<SpaceOf>,
    /// Per qBittorrent, where its free space was last read from (to log each change once).
    space_sources: Vec<Option<SpaceSource>>,
    /// The tracker entries per qBittorrent, and what each torrent's trackers said.
    trackers: TrackerBook,
}

impl Worker {
    pub(crate) fn new(
        settings: &Settings,
        arr_cfg: &Arr,
        connections: Connections,
        board: Arc<Board>,
    ) -> Result<Self, WorkerError> {
        let Connections {
            arr,
            qbits: views,
            records,
            decisions,
            search_budget,
            dry_run,
        } = connections;
        let qbits: Vec<Arc<dyn Qbittorrent>> = views.iter().map(|v| Arc::clone(v.client())).collect();
        let qbits_len = qbits.len();
        let (memory, intents, queue_rows, loaded) = match load_records(&records, &arr_cfg.name) {
            Ok((memory, intents, rows)) => (memory, intents, rows, true),
            Err(e) if e.is_outage() => {
                // Read at the first pass the store allows; no pass runs before.
                warn!(
                    "{}: {e}; its records will be read once the store works again",
                    arr_cfg.name
                );
                (MemoryTable::default(), Intents::new(), HashMap::new(), false)
            }
            Err(e) => return Err(WorkerError::Store(e)),
        };
        let per_qbit: Vec<&[crate::tracker::TrackerEntry]> = views.iter().map(|v| v.trackers()).collect();
        let trackers = TrackerBook::new(
            &per_qbit,
            &arr_cfg.torrent.trackers,
            &arr_cfg.torrent.unregistered_messages,
            &arr_cfg.seeding.dead_tracker_texts,
        );
        Ok(Self {
            rules: Rules::from_config(settings, arr_cfg).with_entries(trackers.all()),
            interval: arr_cfg.check_interval.unwrap_or(settings.loop_sleep),
            view_fresh: arr_cfg.check_interval.unwrap_or(settings.loop_sleep) / 2,
            trace: settings.trace_loop,
            arr,
            views,
            qbits,
            watch: Watch::of(settings, arr_cfg),
            upcoming: watch::Watchlist::default(),
            queue: HashMap::new(),
            queue_read: None,
            queue_reads: 0,
            format_minimums: format_minimum::FormatMinimums::default(),
            queue_refresh: settings.queue_refresh,
            adopted: HashMap::new(),
            adopt_again_after: settings.full_list,
            scratch: Torrent::default(),
            verified_up_to: vec![None; qbits_len],
            records,
            decisions,
            search_budget,
            memory,
            started: Instant::now(),
            changed: Vec::new(),
            intents,
            held_queue: HashMap::new(),
            settle: settle::Settle::default(),
            queue_order: queue_order::QueueOrder::default(),
            queue_rows,
            row_changes: Vec::new(),
            budget: guard::RemovalBudget::default(),
            storm: false,
            arr_outage: Outage::default(),
            board,
            versions_known: false,
            loaded,
            store_down: false,
            // A fault-injection hook for the supervisor's tests: QBITRR_LITE_FAULT_PANIC=<section>.
            #[cfg(feature = "fault-injection")]
            fault_panic: std::env::var("QBITRR_LITE_FAULT_PANIC").is_ok_and(|v| v == arr_cfg.name),
            // QBITRR_LITE_FAULT_HANG=<section>: that worker hangs (the watchdog's tests).
            #[cfg(feature = "fault-injection")]
            fault_hang: std::env::var("QBITRR_LITE_FAULT_HANG").is_ok_and(|v| v == arr_cfg.name),
            passes: 0,
            jobs: None,
            dry_run,
            free_space: settings.free_space.clone(),
            spaces: vec![SpaceOf::Off; qbits_len],
            space_sources: vec![None; qbits_len],
            trackers,
            arr_cfg: arr_cfg.clone(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.arr_cfg.name
    }

    /// Runs passes until shutdown. Returns an error only when the store fails.
    pub(crate) fn run(&mut self, shutdown: &Shutdown) -> Result<(), WorkerError> {
        let mode = self.decisions.mode_note();
        info!(
            "{}: watching category {:?} every {}s{mode}",
            self.name(),
            self.rules.category,
            self.interval.as_secs_f64()
        );
        let mut failures: u32 = 0;
        while !shutdown.is_set() {
            let started = Instant::now();
            let now = unix_now();
            self.board
                .beat(&self.arr_cfg.name, now.saturating_add(stuck_after()));
            let sleep = match self.pass(now, shutdown) {
                Ok(report) => {
                    failures = 0;
                    if std::mem::take(&mut self.store_down) {
                        self.board.store_works();
                    }
                    self.report(now, started.elapsed(), &report);
                    self.after_pass(&report)
                }
                Err(PassError::Upstream(failure)) => {
                    failures = failures.saturating_add(1);
                    if let PassFailure::Qbit { name, .. } = &failure {
                        self.board.qbit_seen(name, false, None);
                    }
                    self.board.pass_failed(&self.arr_cfg.name, failure);
                    backoff(self.interval, failures)
                }
                Err(PassError::Store(e)) if e.is_outage() => {
                    // The store logs the outage once; this worker waits for its reopen.
                    if !std::mem::replace(&mut self.store_down, true) {
                        debug!("{}: pass skipped: {e}", self.name());
                    }
                    self.board.store_unavailable(&self.arr_cfg.name, &e.problem());
                    self.records
                        .retry_in()
                        .unwrap_or(Duration::ZERO)
                        .min(self.interval)
                        .max(STORE_POLL_MIN)
                }
                Err(PassError::Store(e)) => return Err(WorkerError::Store(e)),
            };
            if self.trace {
                debug!("{}: sleep phase: {}s", self.name(), sleep.as_secs_f64());
            }
            let sleep_secs = i64::try_from(sleep.as_secs()).unwrap_or(i64::MAX);
            let until = unix_now()
                .saturating_add(sleep_secs)
                .saturating_add(stuck_after());
            self.board.beat(&self.arr_cfg.name, until);
            if shutdown.wait_timeout(sleep) {
                break;
            }
        }
        info!("{}: stopped", self.name());
        Ok(())
    }

    /// Publishes a completed pass on the status board (and, once, the upstream versions).
    fn report(&mut self, now: UnixTime, took: Duration, report: &PassReport) {
        let mut summary = PassSummary {
            seconds: took.as_secs_f64(),
            torrents_by_state: report.states(),
            ..PassSummary::default()
        };
        for (rule, acted) in &report.decisions {
            if *acted {
                *summary.actions_by_rule.entry(rule.name()).or_default() += 1;
            }
            if *rule == Rule::ImportFailed {
                summary.imports_failing += 1;
            }
        }
        if !self.versions_known {
            self.versions_known = true;
            summary.arr_version = self.arr.version().ok();
            for client in &self.qbits {
                if let Ok(v) = client.version() {
                    self.board.qbit_seen(client.name(), true, Some(v));
                }
            }
        }
        for client in &self.qbits {
            self.board.qbit_seen(client.name(), true, None);
        }
        for view in &self.views {
            if let Some((mode, torrents, requests)) = view.describe() {
                let read = QbitRead {
                    mode: mode.as_str(),
                    torrents,
                    requests,
                };
                self.board.qbit_read(view.client().name(), read);
            }
        }
        self.board.pass_ok(&self.arr_cfg.name, now, summary);
        // The budget as it stands, with the searches after removals (the search loop shows
        // only its own as it spends them).
        let left = self.search_budget.left(now);
        self.board.update(&self.arr_cfg.name, |w| {
            if let Some(s) = &mut w.search {
                s.budget = left;
            }
        });
    }

    /// The pause after a good pass: the interval, or longer after imports,
    /// searches or blocklists when the Delay* keys ask for it.
    fn after_pass(&self, report: &PassReport) -> Duration {
        let mut sleep = self.interval;
        let a = &report.applied;
        if a.imports > 0 {
            sleep = sleep.max(self.arr_cfg.delay_after_import);
        }
        if a.searches > 0 {
            sleep = sleep.max(self.arr_cfg.delay_after_search);
        }
        if a.blocklists > 0 {
            sleep = sleep.max(self.arr_cfg.delay_after_blacklist);
        }
        sleep
    }

    /// Brings every view up to date; which could be read, and the first failure.
    fn sync_views(&mut self, now: UnixTime) -> (Vec<bool>, Option<PassFailure>) {
        let fresh = self.view_fresh;
        let mut failure = None;
        let mut synced = Vec::with_capacity(self.views.len());
        for view in &self.views {
            let client = view.client();
            match view.sync(&self.watch, fresh, now) {
                Ok(link) => {
                    synced.push(true);
                    // The worker whose read saw the change tells the board (shared by all).
                    if let Some(link) = link {
                        let since = match link {
                            Connection::Down { since } => Some(since),
                            Connection::Up { .. } => None,
                        };
                        self.board.qbit_connection(client.name(), since);
                    }
                    if let Some(down) = client.mark_up() {
                        info!(
                            "{} ({}) answers again (down for {}s)",
                            client.name(),
                            client.url(),
                            down.as_secs()
                        );
                    }
                }
                Err(e) => {
                    synced.push(false);
                    report_qbit_failure(&self.arr_cfg.name, client.as_ref(), &e);
                    failure.get_or_insert(PassFailure::Qbit {
                        name: client.name().to_string(),
                        error: e.to_string(),
                        problem: QbitProblem::of(&e, unix_now()),
                    });
                }
            }
        }
        (synced, failure)
    }

    /// The free-space verdicts of each view read this pass (a view not read keeps its last).
    fn weigh_space(&mut self, synced: &[bool]) {
        let Some(guard) = self.free_space.clone() else {
            return;
        };
        for (i, view) in self.views.clone().iter().enumerate() {
            if !synced[i] {
                continue;
            }
            let state = view.lock();
            let (free, source) = space::measure(&guard, state.server.free_space_on_disk);
            if self.space_sources[i].as_ref() != Some(&source) {
                space::log_source(&self.arr_cfg.name, view.client().name(), &guard, &source);
                self.space_sources[i] = Some(source);
            }
            let now = match free {
                Some(free) => SpaceOf::Measured(space::weigh(&state, free, guard.keep_free)),
                None => SpaceOf::Unknown,
            };
            space::log_change(&self.arr_cfg.name, view.client().name(), &self.spaces[i], &now);
            self.spaces[i] = now;
        }
    }

    /// How often our category has changed in the views read this pass.
    fn category_changes(&self, synced: &[bool]) -> u64 {
        self.views
            .iter()
            .zip(synced)
            .filter(|(_, ok)| **ok)
            .map(|(v, _)| {
                let state = v.lock();
                state.table.changes_of_all(&self.watch.own_ids(&state.table))
            })
            .sum()
    }

    /// Reads the Arr queue (and remembers when, and at which change count).
    fn read_queue(&mut self, changes: u64) -> Result<(), PassFailure> {
        match self.arr.queue() {
            Ok(mut q) => {
                if self.rules.format_minimum {
                    self.format_minimums
                        .fill(&self.arr_cfg.name, self.arr.as_ref(), &mut q);
                }
                self.arr_outage.ok(&self.arr_cfg.name, "Arr queue");
                self.queue = q;
                self.queue_read = Some((Instant::now(), changes));
                self.queue_reads += 1;
                Ok(())
            }
            Err(e) => {
                let what = format!("Arr queue ({})", self.arr_cfg.uri);
                self.arr_outage.failed(&self.arr_cfg.name, &what, &e);
                Err(PassFailure::Arr {
                    error: e.to_string(),
                    key_refused: matches!(e, HttpError::Auth { .. }),
                })
            }
        }
    }

    /// Downloads in the queue that no view holds are looked up by hash (once per
    /// `adopt_again_after`): with filtered lists, one added already complete
    /// would otherwise wait for the next whole list.
    fn adopt_queued(&mut self, synced: &[bool]) {
        let lists = self
            .views
            .iter()
            .zip(synced)
            .any(|(v, ok)| *ok && v.mode() == Some(Mode::Lists));
        if !lists {
            // With sync/maindata every torrent is in the view already.
            self.adopted.clear();
            return;
        }
        let now = Instant::now();
        let again = self.adopt_again_after;
        self.adopted.retain(|_, at| now.duration_since(*at) < again);
        let wanted: Vec<String> = self
            .queue
            .keys()
            .filter(|h| TorrentId::parse(h).is_some() && !self.adopted.contains_key(*h))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return;
        }
        let hashes: Vec<&str> = wanted.iter().map(String::as_str).collect();
        for (view, _) in self.views.iter().zip(synced).filter(|(_, ok)| **ok) {
            match view.adopt(&hashes) {
                Ok(0) => {}
                Ok(n) => debug!(
                    "{}: {n} download(s) of the queue found by hash in {}",
                    self.arr_cfg.name,
                    view.client().name()
                ),
                // The next queue read tries again; the pass goes on without them.
                Err(e) => debug!("{}: looking up queued downloads failed: {e}", self.arr_cfg.name),
            }
        }
        for h in wanted {
            self.adopted.insert(h, now);
        }
    }

    /// Whether the queue must be read before deciding: never read, our category
    /// changed since, or older than QueueRefreshTimer.
    fn queue_due(&self, changes: u64) -> bool {
        self.queue_read
            .is_none_or(|(at, seen)| seen != changes || at.elapsed() >= self.queue_refresh)
    }

    /// One pass at time `now`; `stop` ends it between two actions.
    pub(crate) fn pass(&mut self, now: UnixTime, stop: &Shutdown) -> Result<PassReport, PassError> {
        #[cfg(feature = "fault-injection")]
        assert!(
            !self.fault_panic,
            "fault injection: QBITRR_LITE_FAULT_PANIC={}",
            self.arr_cfg.name
        );
        #[cfg(feature = "fault-injection")]
        if self.fault_hang {
            warn!(
                "{}: fault injection: QBITRR_LITE_FAULT_HANG: hanging",
                self.name()
            );
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        // Nothing is done that could not be recorded: an unavailable store skips the pass.
        self.records.available().map_err(PassError::Store)?;
        if !self.loaded {
            let (memory, intents, rows) =
                load_records(&self.records, &self.arr_cfg.name).map_err(PassError::Store)?;
            (self.memory, self.intents, self.queue_rows, self.loaded) = (memory, intents, rows, true);
        }
        // What an earlier pass could not write goes first, so this pass's records win.
        if !self.changed.is_empty() {
            let pending = std::mem::take(&mut self.changed);
            self.save_changed(pending).map_err(PassError::Store)?;
        }
        self.passes += 1;
        let started = Instant::now();
        let name = self.arr_cfg.name.clone();

        // Read: the views, then the queue when something in our category changed or it is due.
        let (synced, failure) = self.sync_views(now);
        if let Some(failure) = failure.clone().filter(|_| !synced.contains(&true)) {
            return Err(PassError::Upstream(failure));
        }
        let changes = self.category_changes(&synced);
        let mut queue_fresh = false;
        if self.queue_due(changes) {
            self.read_queue(changes).map_err(PassError::Upstream)?;
            queue_fresh = true;
            self.adopt_queued(&synced);
        }
        self.run_jobs(now);

        self.weigh_space(&synced);

        // Decide on what the views hold; what would be acted on is only a suspect so far.
        let queue = std::mem::take(&mut self.queue);
        let mut report = PassReport::default();
        let seen_at = self.clock();
        let mut complete = failure.is_none();
        let mut seen = 0;
        let mut suspects: Vec<Vec<String>> = vec![Vec::new(); self.views.len()];
        let mut sorts: Vec<Option<Vec<Vec<String>>>> = vec![None; self.views.len()];
        let watch = self.watch.clone();
        let mut t = std::mem::take(&mut self.scratch);
        let spaces = std::mem::take(&mut self.spaces);
        for (i, view) in self.views.clone().iter().enumerate() {
            if !synced[i] {
                continue;
            }
            let state = view.lock();
            complete &= state.complete_for(&self.watch);
            let table = &state.table;
            let ids = CategoryIds {
                ours: watch.own_ids(table),
                failed: table.categories.find(&self.rules.failed_category),
            };
            let mut categories = ids.ours.clone();
            categories.extend(watch.special.iter().filter_map(|c| table.categories.find(c)));
            let look = Look {
                qbit: i,
                queue: &queue,
                queue_fresh,
                connection: state.link,
                tracker_status_unknown: state.tracker_status_unknown,
                space: &spaces[i],
                now,
                seen_at,
            };
            table.each_of(&categories, |e| {
                seen += 1;
                if self.consider(e, &ids, table, &mut t, &look, &mut report) {
                    suspects[i].push(t.hash.clone());
                }
            });
            if self.rules.sorts_queue {
                sorts[i] = queue_order::plan(table, &ids.ours, &self.trackers, i);
            }
            self.upcoming.prune(now, |u| {
                u.qbit != i || TorrentId::parse(&u.hash).is_some_and(|id| table.get(&id).is_some())
            });
        }
        self.name_upcoming();
        self.scratch = t;
        self.spaces = spaces;
        report.torrents = seen;
        for (i, list) in suspects.iter_mut().enumerate() {
            self.take_turn(i, list);
        }

        // Verify: each suspect read again by hash and decided on that record. A removal
        // or blocklist is decided with a queue read in this pass.
        let mut fresh: Vec<(usize, Torrent)> = Vec::new();
        for (i, hashes) in suspects.iter().enumerate() {
            if hashes.is_empty() {
                continue;
            }
            match self.read_again(i, hashes) {
                Ok(list) => fresh.extend(list.into_iter().map(|t| (i, t))),
                Err(e) => {
                    let client = Arc::clone(&self.qbits[i]);
                    report_qbit_failure(&name, client.as_ref(), &e);
                }
            }
        }
        let mut decided: Vec<Decision> = fresh
            .iter()
            .map(|(i, t)| self.decide_now(*i, t, &queue, now))
            .collect();
        self.read_trackers(&fresh, &mut decided, &queue, now);
        let mut queue = queue;
        if !queue_fresh
            && decided
                .iter()
                .any(|d| d.actions.iter().any(Action::is_destructive))
        {
            match self.read_queue(changes) {
                Ok(()) => queue = std::mem::take(&mut self.queue),
                Err(failure) => {
                    self.queue = queue;
                    return Err(PassError::Upstream(failure));
                }
            }
            queue_fresh = true;
            for (d, (i, t)) in decided.iter_mut().zip(&fresh) {
                if d.actions.iter().any(Action::is_destructive) {
                    *d = self.decide_now(*i, t, &queue, now);
                }
            }
        }
        // A read that failed, or waits its turn, leaves the decision without its removal.
        for d in &mut decided {
            d.actions.retain(|a| *a != Action::ReadTrackers);
        }
        self.keep_shared_files(&fresh, &mut decided);
        let mut plans: Vec<Plan> = Vec::new();
        for ((qbit, t), d) in fresh.iter().zip(decided) {
            if let Some(plan) = self.settle(*qbit, t, d, &mut report) {
                plans.push(plan);
            }
        }
        if self.trace {
            debug!(
                "{name}: pass {} read phase: {seen} torrents, {} queue entries{}, {} to verify, in {} ms",
                self.passes,
                queue.len(),
                if queue_fresh { " (read)" } else { "" },
                suspects.iter().map(Vec::len).sum::<usize>(),
                started.elapsed().as_millis()
            );
        }
        if self.trace {
            debug!("{name}: decide phase: {} decisions", plans.len());
        }

        self.brake(&mut plans, &report, now);
        self.settle.pace(&mut plans, now);

        // Apply. A write that fails because the store became unavailable ends the
        // pass between two actions, as shutdown does.
        let halt = stop.child();
        self.records.halt_on_outage(Some(halt.clone()));
        let audit = RefCell::new(Vec::new());
        let executor = Executor {
            instance: &name,
            arr: self.arr.as_ref(),
            qbits: &self.qbits,
            records: &self.records,
            stop: &halt,
            tagless: self.rules.tagless,
            import_mode: self.rules.import_mode,
            now,
            retry_base: i64::try_from(self.interval.as_secs()).unwrap_or(i64::MAX),
            audit: &audit,
            filter: &self.rules.file_filter,
            auto_delete: self.rules.auto_delete,
            dry_run: self.dry_run,
            search_budget: &self.search_budget,
        };
        let mut held: HashMap<String, QueueEntry> = self
            .held_queue
            .iter()
            .map(|(hash, (entry, _))| (hash.clone(), entry.clone()))
            .collect();
        // A removal whose row the Arr has dropped (or that was held before a restart) takes
        // the row remembered while the torrent was ours.
        for plan in &plans {
            let needs_row = plan.decision.actions.iter().any(|a| {
                matches!(
                    a,
                    Action::Remove { queue, .. } if *queue != QueueStep::Keep
                ) || matches!(a, Action::BlocklistKeep { .. })
            });
            if needs_row && !queue.contains_key(&plan.hash) && !held.contains_key(&plan.hash) {
                match self.records.queue_row(&plan.hash) {
                    Ok(Some(row)) => {
                        held.insert(plan.hash.clone(), row.entry());
                    }
                    Ok(None) => {}
                    Err(e) => warn!(
                        "{name}: could not read the remembered queue row of {}: {e}",
                        plan.hash
                    ),
                }
            }
        }
        let view = QueueView {
            current: &queue,
            held: &held,
        };
        report.applied = executor.apply(&mut plans, &view, &mut self.intents);
        if !halt.is_set() {
            self.queue_order
                .apply(&name, &self.qbits, sorts, now, self.dry_run);
        }
        // What earlier passes (or runs) left undone, when due and when it can be recorded.
        let resumed = if self.records.is_down() {
            Vec::new()
        } else {
            executor.intent_steps().resume_due(&mut self.intents)
        };
        for (_, progress) in &resumed {
            executor.count(progress, &mut report.applied);
        }
        for (hash, progress) in resumed {
            self.remember_progress(&hash, progress, now);
        }
        self.queue = queue;
        if self.trace {
            debug!("{name}: apply phase: {:?}", report.applied);
        }

        let removed = plans.iter().filter(|p| p.removed).count();
        self.budget.spend(u32::try_from(removed).unwrap_or(u32::MAX), now);
        // Held rows go once their torrent is removed, or after a day unseen in the failed category.
        for plan in plans.iter().filter(|p| p.removed) {
            self.held_queue.remove(&plan.hash);
            if let Some(id) = TorrentId::parse(&plan.hash) {
                self.trackers.forget(&id);
            }
        }
        // Trackers edited (or not, on an error) are read again: the next pass sees what is. A
        // dry run changed nothing, and reading again would only find the same edit.
        for plan in plans.iter().filter(|_| !self.dry_run) {
            let edited = plan.has(|a| matches!(a, Action::EditTrackers(_)));
            if let Some(id) = TorrentId::parse(&plan.hash).filter(|_| edited) {
                self.trackers.forget(&id);
            }
        }
        self.held_queue
            .retain(|_, (_, seen)| now.saturating_sub(*seen) < HELD_QUEUE_SECS);

        // Persist.
        let changes = self.remember(&plans, complete);
        let memory = &self.memory;
        self.trackers.retain(|id| memory.contains(id));
        report.persisted = changes.len();
        // Rows of torrents removed or forgotten go too.
        let gone = plans
            .iter()
            .filter(|p| p.removed)
            .filter_map(|p| TorrentId::parse(&p.hash))
            .chain(changes.iter().filter(|id| !self.memory.contains(id)).copied());
        for id in gone.collect::<Vec<_>>() {
            if self.queue_rows.remove(&id).is_some() {
                self.row_changes.push((id.to_string(), None));
            }
        }
        self.save_changed(changes).map_err(PassError::Store)?;
        let rows = std::mem::take(&mut self.row_changes);
        if let Err(e) = self.records.save_queue_rows(&rows) {
            // Written again when the rows are next seen.
            for (hash, _) in &rows {
                if let Some(id) = TorrentId::parse(hash) {
                    self.queue_rows.remove(&id);
                }
            }
            warn!("{name}: could not remember the Arr queue rows: {e}");
        }
        let audit = audit.into_inner();
        if !audit.is_empty() {
            // The audit log is a record for the user: failing to write it stops nothing.
            if let Err(e) = self.records.append_audit(audit) {
                warn!("{name}: could not write the audit log: {e}");
            }
        }
        if self.trace {
            debug!(
                "{name}: persist phase: {} record(s) written, {} remembered; pass took {} ms",
                report.persisted,
                self.memory.len(),
                started.elapsed().as_millis()
            );
        }
        Ok(report)
    }

    /// The brakes on mass removal (see `guard`): the storm guard, then the removal caps.
    fn brake(&mut self, plans: &mut [Plan], report: &PassReport, now: UnixTime) {
        let name = &self.arr_cfg.name;
        if guard::is_storm(report.ours, report.broken) {
            let storm = format!(
                "{} of {} torrents in category {:?} are missingFiles or errored at once (a disk or \
                 mount missing?): none of them is acted on until it clears or is acknowledged \
                 (POST /api/processes/{name}/acknowledge)",
                report.broken, report.ours, self.rules.category
            );
            if !self.storm {
                warn!("{name}: {storm}");
                self.storm = true;
            }
            self.board.set_storm(name, Some(storm));
            if !self.board.storm_acknowledged(name) {
                let held = guard::hold_back_storm(plans);
                debug!("{name}: storm guard: {held} decision(s) held back");
            }
        } else if self.storm {
            info!(
                "{name}: the storm cleared ({} of {} torrents missingFiles or errored)",
                report.broken, report.ours
            );
            self.storm = false;
            self.board.set_storm(name, None);
        }
        let caps = &self.arr_cfg.torrent;
        let allowance = self
            .budget
            .allowance(caps.max_removals_per_pass, caps.max_removals_per_hour, now);
        let deferred = guard::defer_removals(plans, allowance);
        if deferred > 0 {
            warn!(
                "{name}: {deferred} removal(s) deferred to a later pass: {allowance} allowed now \
                 (MaxRemovalsPerPass {}, MaxRemovalsPerHour {})",
                caps.max_removals_per_pass, caps.max_removals_per_hour
            );
        }
    }

    /// Reads the trackers of the torrents whose decision asks for it, or would remove a torrent
    /// whose trackers were read longer than [`decide::TRACKERS_FRESH_SECS`] ago (at most
    /// [`trackers::READS_PER_PASS`]), and decides those again on what they say.
    fn read_trackers(
        &mut self,
        fresh: &[(usize, Torrent)],
        decided: &mut [Decision],
        queue: &HashMap<String, QueueEntry>,
        now: UnixTime,
    ) {
        let stale = |t: &Torrent| {
            TorrentId::parse(&t.hash)
                .is_none_or(|id| now - self.trackers.read_at(&id) >= decide::TRACKERS_FRESH_SECS)
        };
        let wanting: Vec<usize> = (0..decided.len())
            .filter(|k| {
                let actions = &decided[*k].actions;
                actions.contains(&Action::ReadTrackers)
                    || (actions.iter().any(|a| matches!(a, Action::Remove { .. })) && stale(&fresh[*k].1))
            })
            .collect();
        // Those beyond this pass's reads are decided as unread: nothing of theirs is removed.
        for k in wanting.iter().skip(trackers::READS_PER_PASS) {
            let (qbit, t) = &fresh[*k];
            if let Some(id) = TorrentId::parse(&t.hash) {
                self.trackers.forget(&id);
            }
            decided[*k] = self.decide_now(*qbit, t, queue, now);
        }
        for k in wanting.into_iter().take(trackers::READS_PER_PASS) {
            let (qbit, t) = &fresh[k];
            let Some(id) = TorrentId::parse(&t.hash) else {
                continue;
            };
            let Some(client) = self.qbits.get(*qbit).map(Arc::clone) else {
                continue;
            };
            match client.trackers(&t.hash) {
                Ok(list) => {
                    let entry = self.trackers.record(*qbit, id, &list, now);
                    debug!(
                        "{}: trackers of {}: {}private, {} URL(s), tracker entry {}",
                        self.arr_cfg.name,
                        t.hash,
                        if list.private { "" } else { "not " },
                        list.urls.len(),
                        entry.map_or_else(|| "none".to_string(), |n| format!("{n:?}"))
                    );
                    decided[k] = self.decide_now(*qbit, t, queue, now);
                }
                Err(e) => {
                    report_qbit_failure(&self.arr_cfg.name, client.as_ref(), &e);
                    // What they said before is too old to remove on: decided as unread.
                    self.trackers.forget(&id);
                    decided[k] = self.decide_now(*qbit, t, queue, now);
                }
            }
        }
    }

    /// A removal with files keeps them when another torrent shares them (see
    /// [`View::sharing_files`]), or when that cannot be known.
    fn keep_shared_files(&self, fresh: &[(usize, Torrent)], decided: &mut [Decision]) {
        let mut all: Vec<Option<Vec<(String, String)>>> = vec![None; self.views.len()];
        let mut unknown = vec![false; self.views.len()];
        for ((qbit, t), d) in fresh.iter().zip(decided.iter_mut()) {
            let deletes = d.actions.iter().any(|a| {
                matches!(
                    a,
                    Action::Remove {
                        delete_files: true,
                        ..
                    }
                )
            });
            if !deletes {
                continue;
            }
            let (Some(view), Some(all), Some(unknown)) =
                (self.views.get(*qbit), all.get_mut(*qbit), unknown.get_mut(*qbit))
            else {
                continue;
            };
            let complete = t.is_complete();
            if *unknown && complete {
                decide::keep_files(d, UNREAD_CROSS_SEEDS);
                continue;
            }
            match view.sharing_files(t, complete, all) {
                Ok(None) => {}
                Ok(Some(other)) => {
                    decide::keep_files(d, &format!("torrent {other} has the same content path"));
                }
                Err(e) => {
                    report_qbit_failure(&self.arr_cfg.name, view.client().as_ref(), &e);
                    *unknown = true;
                    decide::keep_files(d, UNREAD_CROSS_SEEDS);
                }
            }
        }
    }

    /// A kept torrent whose blocklist or search finished on a later pass remembers it,
    /// so it is not decided again.
    fn remember_progress(&mut self, hash: &str, progress: intents::Progress, now: UnixTime) {
        let Some(id) = TorrentId::parse(hash) else { return };
        let Some(mut memory) = self.memory.get(&id) else {
            return;
        };
        if progress.blocklisted {
            memory.blocklisted_at = Some(now);
        }
        if progress.searched {
            memory.searched_at = Some(now);
        }
        if progress.blocklisted || progress.searched {
            let seen = self.clock();
            self.memory.insert(id, &memory, seen);
            self.changed.push(id);
        }
    }

    /// Seconds since the worker started: the clock of "last listed".
    fn clock(&self) -> u32 {
        u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    /// Decides one torrent as the view holds it. True when the decision has
    /// actions: the torrent is then read again and decided on that before
    /// anything is done (see [`Self::decide_verified`]). A decision without
    /// actions is final: its memory change is kept.
    fn consider(
        &mut self,
        e: &Entry,
        ids: &CategoryIds,
        table: &Table,
        t: &mut Torrent,
        look: &Look<'_>,
        report: &mut PassReport,
    ) -> bool {
        report.count_state(e.state);
        let ours = ids.ours.contains(&e.category);
        let failed = ids.failed == Some(e.category);
        if ours {
            report.ours += 1;
            if matches!(e.state, TorrentState::MissingFiles | TorrentState::Error) {
                report.broken += 1;
            }
        }
        let (memory, held) = self.memory.get_seen_held(&e.id, look.seen_at).unwrap_or_default();
        // A decision that stands: the same inputs (the queue unread since), and its
        // time has not come. Rows in the failed category are followed every pass.
        let space = look.space.of(&e.id);
        let read_at = self.trackers.read_at(&e.id);
        let print = inputs_print(e, &memory, self.queue_reads, look.connection, space, read_at);
        let clock = u32::try_from(look.now.max(0)).unwrap_or(u32::MAX);
        if !look.queue_fresh && !failed && held.until != 0 && held.print == print && clock < held.until {
            report.decisions.push((Rule::ALL[usize::from(held.rule)], false));
            return false;
        }
        e.fill(t, table);
        t.tracker_status_unknown = look.tracker_status_unknown;
        let queued = look.queue.get(&t.hash);
        if ours && look.queue_fresh {
            if let Some(entry) = queued {
                // Compared without a copy; copied only when it is new or changed.
                let row = fingerprint(&entry.ids, &entry.media_ids);
                if self.queue_rows.insert(e.id, row) != Some(row) {
                    self.row_changes.push((t.hash.clone(), Some(QueueRow::of(entry))));
                }
            }
        } else if failed {
            if let Some(entry) = queued {
                self.held_queue.insert(t.hash.clone(), (entry.clone(), look.now));
            } else if let Some((_, seen)) = self.held_queue.get_mut(&t.hash) {
                *seen = look.now;
            }
        }
        let inputs = Inputs {
            torrent: t,
            queue: queued,
            memory: &memory,
            rules: &self.rules,
            connection: look.connection,
            space,
            trackers: self
                .trackers
                .of(look.qbit, &e.id, table.trackers.urls(e.trackers)),
            now: look.now,
        };
        let (d, until) = decide::decide_until(inputs);
        if !d.actions.is_empty() {
            self.upcoming.set(&t.hash, None);
            return true;
        }
        match until {
            Some(at) if self.upcoming.wants(&t.hash, at, look.now) => {
                let next = decide::explain(inputs).next.map(|n| watch::Upcoming {
                    qbit: look.qbit,
                    hash: t.hash.clone(),
                    name: t.name.clone(),
                    rule: d.rule,
                    detail: d.detail.clone(),
                    at: n.at,
                    next_rule: n.rule,
                    what: n.what,
                });
                self.upcoming.set(&t.hash, next);
            }
            None => self.upcoming.set(&t.hash, None),
            Some(_) => {}
        }
        report.decisions.push((d.rule, false));
        self.decisions.log(&self.arr_cfg.name, t, &d);
        // Most torrents need nothing and change nothing. Those that only change
        // memory (first sight above all) need no plan either.
        if d.memory != memory {
            self.memory.insert(e.id, &d.memory, look.seen_at);
            self.changed.push(e.id);
        } else {
            let until = until
                .unwrap_or(i64::MAX)
                .min(look.now.saturating_add(HOLD_AT_MOST_SECS));
            let held = Held {
                print,
                until: u32::try_from(until.max(0)).unwrap_or(u32::MAX),
                rule: d.rule as u8,
            };
            self.memory.hold(&e.id, held);
        }
        false
    }

    /// Keeps at most [`VERIFY_PER_PASS`] of qBittorrent `qbit`'s suspects (sorted
    /// by hash), taking turns: those after the last one verified come first, so
    /// none waits for ever behind others that keep wanting an action (a dry
    /// run, an import being followed).
    fn take_turn(&mut self, qbit: usize, suspects: &mut Vec<String>) {
        if suspects.len() <= VERIFY_PER_PASS {
            return;
        }
        let after = self
            .verified_up_to
            .get(qbit)
            .cloned()
            .flatten()
            .unwrap_or_default();
        let start = suspects.partition_point(|h| *h <= after);
        suspects.rotate_left(start);
        suspects.truncate(VERIFY_PER_PASS);
        debug!(
            "{}: more torrents to act on than are read again per pass ({VERIFY_PER_PASS}); the rest wait their turn",
            self.arr_cfg.name
        );
        if let Some(slot) = self.verified_up_to.get_mut(qbit) {
            *slot = suspects.last().cloned();
        }
    }

    /// Looks up the names of torrents new to the "what happens next" list (the view keeps
    /// none), one request per qBittorrent, and publishes the list.
    fn name_upcoming(&mut self) {
        for (i, view) in self.views.iter().enumerate() {
            let hashes = self.upcoming.unnamed(i);
            if hashes.is_empty() {
                continue;
            }
            let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
            let mut names: Vec<(String, String)> = Vec::new();
            if let Err(e) = view.read_by_hash(&refs, &mut |t| names.push((t.hash.clone(), t.name.clone()))) {
                debug!("{}: names for the status page: {e}", self.arr_cfg.name);
            }
            for (hash, name) in names {
                self.upcoming.name(&hash, &name);
            }
        }
        self.board
            .set_upcoming(&self.arr_cfg.name, self.upcoming.soonest());
    }

    /// The torrents `hashes` of qBittorrent `qbit` as it lists them now.
    fn read_again(&self, qbit: usize, hashes: &[String]) -> Result<Vec<Torrent>, HttpError> {
        let mut fresh = Vec::with_capacity(hashes.len());
        let hashes: Vec<&str> = hashes.iter().map(String::as_str).collect();
        let view = &self.views[qbit];
        view.read_by_hash(&hashes, &mut |t| fresh.push(t.clone()))?;
        let unknown = view.lock().tracker_status_unknown;
        for t in &mut fresh {
            t.tracker_status_unknown = unknown;
        }
        Ok(fresh)
    }

    /// Decides a torrent of qBittorrent `qbit` read again just now (no side effect).
    fn decide_now(
        &self,
        qbit: usize,
        t: &Torrent,
        queue: &HashMap<String, QueueEntry>,
        now: UnixTime,
    ) -> Decision {
        let id = TorrentId::parse(&t.hash);
        let memory = id.and_then(|id| self.memory.get(&id)).unwrap_or_default();
        let space = match (self.spaces.get(qbit), id) {
            (Some(spaces), Some(id)) => spaces.of(&id),
            _ => Space::Unknown,
        };
        // The connection, and the announce URLs the view holds as the pass's first decision
        // had them.
        let (connection, urls): (Connection, Vec<String>) = match self.views.get(qbit) {
            Some(view) => {
                let state = view.lock();
                let set = id.and_then(|id| state.table.get(&id)).map_or(0, |e| e.trackers);
                let urls = state.table.trackers.urls(set).map(str::to_string).collect();
                (state.link, urls)
            }
            None => Default::default(),
        };
        decide::decide(Inputs {
            torrent: t,
            queue: queue.get(&t.hash),
            memory: &memory,
            rules: &self.rules,
            connection,
            space,
            trackers: id.map_or(Trackers::Unread, |id| {
                self.trackers.of(qbit, &id, urls.iter().map(String::as_str))
            }),
            now,
        })
    }

    /// Takes the decision on a torrent read again just now: a plan when it needs
    /// an action; otherwise its memory change is kept.
    fn settle(&mut self, qbit: usize, t: &Torrent, d: Decision, report: &mut PassReport) -> Option<Plan> {
        let id = TorrentId::parse(&t.hash)?;
        report.decisions.push((d.rule, !d.actions.is_empty()));
        self.decisions.log(&self.arr_cfg.name, t, &d);
        if d.actions.is_empty() {
            if self.memory.get(&id).unwrap_or_default() != d.memory {
                self.memory.insert(id, &d.memory, self.clock());
                self.changed.push(id);
            }
            return None;
        }
        Some(Plan {
            qbit,
            hash: t.hash.clone(),
            name: t.name.clone(),
            save_path: t.save_path.clone(),
            content_path: t.content_path.clone(),
            decision: d,
            removed: false,
            recorded: false,
        })
    }

    /// Asks the Arr for its periodic jobs that are due; never in a dry run. Set up at the
    /// first call, from the last runs the store recorded.
    fn run_jobs(&mut self, now: UnixTime) {
        let name = &self.arr_cfg.name;
        if self.jobs.is_none() {
            let records = &self.records;
            let jobs = ArrJobs::new(&self.arr_cfg, now, |job| {
                records.job_ran_at(job.command()).unwrap_or_else(|e| {
                    warn!(
                        "{name}: when {} last ran could not be read ({e}); it runs now",
                        job.command()
                    );
                    None
                })
            });
            match (jobs.describe(), self.dry_run) {
                (Some(what), false) => info!("{name}: asks the Arr for {what}"),
                (Some(what), true) => info!("{name}: dry run: not asking the Arr for {what}"),
                (None, _) => {}
            }
            self.jobs = Some(if self.dry_run { ArrJobs::default() } else { jobs });
        }
        let Some(jobs) = self.jobs.as_mut() else { return };
        for job in jobs.due(now) {
            let command = job.command();
            let sent = self.arr.command(&serde_json::json!({ "name": command }));
            if let Ok(id) = &sent {
                debug!("{name}: asked the Arr for {command} (command {id})");
            }
            let outcome = jobs.ran(job, sent.is_ok(), now);
            match (outcome.news, sent) {
                (News::StartedFailing, Err(e)) => warn!(
                    "{name}: the Arr did not take {command} ({e}); asking again each {} period",
                    job.key()
                ),
                (News::Recovered, _) => info!("{name}: the Arr takes {command} again"),
                _ => {}
            }
            if outcome.remember {
                if let Err(e) = self.records.save_job_ran_at(command, now) {
                    warn!("{name}: could not record that {command} ran: {e}");
                }
            }
        }
    }

    /// Writes the records of `ids` as the memory table holds them now (absent: deleted).
    /// On failure they are kept, and written first at the next pass.
    fn save_changed(&mut self, mut ids: Vec<TorrentId>) -> Result<(), StoreError> {
        ids.sort_unstable();
        ids.dedup();
        let memory = &self.memory;
        let saved = self.records.save_each(&ids, |id| memory.get(id));
        if saved.is_err() {
            self.changed = ids;
        }
        saved
    }

    /// Updates the in-memory records from the plans and returns the changes to write.
    /// `complete`: every list was read in full this pass; only then may remembered
    /// torrents that have not been listed for [`FORGET_AFTER_SECS`] be forgotten.
    fn remember(&mut self, plans: &[Plan], complete: bool) -> Vec<TorrentId> {
        let mut changes = std::mem::take(&mut self.changed);
        let now = self.clock();
        for plan in plans {
            let Some(id) = TorrentId::parse(&plan.hash) else {
                continue; // never planned: see consider()
            };
            if plan.removed {
                if self.memory.remove(&id) && !plan.recorded {
                    changes.push(id);
                }
                continue;
            }
            let new = &plan.decision.memory;
            let old = self.memory.get(&id);
            let unchanged = old.as_ref().unwrap_or(&Memory::default()) == new;
            if !unchanged {
                self.memory.insert(id, new, now);
                // Imports and removals were written as they happened.
                if !plan.recorded {
                    changes.push(id);
                }
            } else if old.is_some() {
                self.memory.seen(&id, now);
            }
        }
        self.memory.settle();
        if complete {
            for id in self
                .memory
                .forget_unseen_since(now.saturating_sub(FORGET_AFTER_SECS))
            {
                debug!("{}: forgetting {id}: gone from qBittorrent", self.arr_cfg.name);
                changes.push(id);
            }
        }
        changes
    }
}

/// Reads one instance's records and unfinished intents from the store.
/// What a worker reads from the store at its start.
type Records = (MemoryTable, Intents, HashMap<TorrentId, u64>);

fn load_records(records: &InstanceRecords, instance: &str) -> Result<Records, StoreError> {
    let mut memory = MemoryTable::default();
    records.load_each(|hash, m| match TorrentId::parse(hash) {
        Some(id) => memory.insert(id, &m, 0),
        None => debug!("{instance}: store record {hash:?} is not a torrent hash; ignored"),
    })?;
    memory.settle();
    let mut intents = Intents::new();
    let now = unix_now();
    records.load_intents(|hash, mut intent| {
        // A (re)start tries what is left at once.
        intent.next_try_at = intent.next_try_at.min(now);
        intents.insert(hash.to_string(), intent);
    })?;
    if !intents.is_empty() {
        info!(
            "{instance}: {} unfinished removal(s) from before the restart will be finished",
            intents.len()
        );
    }
    let mut rows = HashMap::new();
    records.load_queue_rows(|hash, row| {
        if let Some(id) = TorrentId::parse(hash) {
            rows.insert(id, fingerprint(&row.ids, &row.media_ids));
        }
    })?;
    Ok((memory, intents, rows))
}

/// A fingerprint of what a torrent is decided on: its view entry, its memory and
/// which reading of the Arr queue (a new reading may change its queue entry).
fn inputs_print(
    e: &Entry,
    memory: &Memory,
    queue_reads: u64,
    connection: Connection,
    space: Space,
    trackers_read_at: UnixTime,
) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = FoldHasher::default();
    (e, memory, queue_reads, connection, space.kind(), trackers_read_at).hash(&mut h);
    let full = h.finish();
    (full ^ (full >> 32)) as u32
}

/// A fast, non-cryptographic hasher for fingerprints of our own data (nothing
/// an outsider chooses can make it slow: the fingerprints key no table).
#[derive(Default)]
struct FoldHasher(u64);

impl std::hash::Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// The ids of our categories (ours and the subcategories we match) and the failed one in a
/// view's table.
struct CategoryIds {
    ours: Vec<u32>,
    failed: Option<u32>,
}

/// What every torrent of a pass is looked at with.
struct Look<'a> {
    /// Which qBittorrent (index into the views).
    qbit: usize,
    queue: &'a HashMap<String, QueueEntry>,
    /// The queue was read in this pass.
    queue_fresh: bool,
    /// Whether the view's qBittorrent can reach its peers.
    connection: Connection,
    /// Its `tracker` field says nothing of whether a tracker answers (qBittorrent 5).
    tracker_status_unknown: bool,
    /// The free-space verdicts for the view's downloads.
    space: &'a SpaceOf,
    now: UnixTime,
    seen_at: u32,
}

/// A short fingerprint of a queue row (its item and media ids), to see when it changed.
fn fingerprint(ids: &[i64], media_ids: &[i64]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (ids, media_ids).hash(&mut h);
    h.finish()
}

/// Why a pass was skipped.
#[derive(Debug)]
pub(crate) enum PassError {
    /// qBittorrent or the Arr did not answer (already logged).
    Upstream(PassFailure),
    Store(StoreError),
}

impl fmt::Display for PassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upstream(failure) => write!(f, "{failure}"),
            Self::Store(e) => write!(f, "store: {e}"),
        }
    }
}

impl std::error::Error for PassError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Upstream(_) => None,
            Self::Store(e) => Some(e),
        }
    }
}

/// interval × 2^failures, capped at [`MAX_BACKOFF`] (and never below the interval).
pub(crate) fn backoff(interval: Duration, failures: u32) -> Duration {
    crate::clock::doubling(interval, failures.saturating_add(1), MAX_BACKOFF).max(interval)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod backoff_tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let s = Duration::from_secs(5);
        assert_eq!(backoff(s, 1), Duration::from_secs(10));
        assert_eq!(backoff(s, 3), Duration::from_secs(40));
        assert_eq!(backoff(s, 30), MAX_BACKOFF);
        assert_eq!(backoff(Duration::from_secs(600), 2), Duration::from_secs(600));
    }

    #[test]
    fn backoff_of_extreme_intervals_saturates() {
        assert_eq!(backoff(Duration::MAX, u32::MAX), Duration::MAX);
        assert_eq!(backoff(Duration::ZERO, u32::MAX), Duration::ZERO);
        assert_eq!(backoff(Duration::from_secs(1), u32::MAX), MAX_BACKOFF);
    }
}
