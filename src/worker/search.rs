//! One Arr's search loop (`[<Arr>.EntrySearch]`): a thread beside the torrent loop, so a
//! slow walk through a large library never delays an import or a removal. Each round reads
//! the Arr's wanted lists page by page (skipping what is in its queue and what was searched
//! this round, as remembered in the store), keeps the best few (`search::Picker`), and sends
//! their searches one at a time:
//!
//! - within the budget ([`SearchBudget`], shared with the torrent loop's searches after a
//!   removal, and stored, so a restart does not reset it);
//! - while fewer than SearchLimit searches are queued or running in the Arr;
//! - SearchLoopDelay apart;
//! - each recorded before it is sent, so a restart never sends it again this round.
//!
//! With Overseerr or Ombi on, their requests are read every SearchRequestsEvery; a wanted item
//! that was requested (a movie by its TMDB id; an episode by its series' TVDB id, looked up
//! once per series) is searched ahead of the rest.
//!
//! When every wanted item was searched, a new round starts after [`ROUND_PAUSE`]
//! (SearchAgainOnSearchCompletion). A 429 (or a 503 with `Retry-After`) holds every search of
//! this Arr until the Arr said, or for a doubling wait. A dry run reads the lists and says what
//! it would search, once per item, and sends nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use log::{debug, info, warn};

use crate::arr::WantedList;
use crate::clock::{rfc3339, unix_now, UnixTime};
use crate::config::{Arr, EntrySearch};
use crate::http::HttpError;
use crate::model::{ArrKind, AuditEntry};
use crate::requests::RequestApi;
use crate::search::{self, Budget, BudgetLeft, Candidate, Picker, Reason, Search};
use crate::shutdown::Shutdown;
use crate::status::{Board, SearchState};
use crate::store::{InstanceRecords, StoreError};
use crate::upstream::ArrApi;

mod profiles;

use profiles::TempPass;

/// Searches picked per round; the lists are read again after them (what was imported or
/// added meanwhile counts).
const BATCH: usize = 20;
/// The pause after a round found nothing left to search (qBitrr's loop timer).
pub(crate) const ROUND_PAUSE: Duration = Duration::from_secs(15 * 60);
/// The first wait after a failed round or a 429 without `Retry-After`; it doubles…
const BACKOFF_FIRST: Duration = Duration::from_secs(60);
/// …up to this.
const BACKOFF_MAX: Duration = Duration::from_secs(3600);
/// How long a search waits for the Arr's running searches to drop below SearchLimit before
/// the round is read again.
const LIMIT_WAIT_MAX: Duration = Duration::from_secs(30 * 60);

/// An Arr's search budget, shared by its search loop and its torrent loop (whose searches
/// after a removal draw from it first, as they come), and kept in the store.
#[derive(Clone)]
pub(crate) struct SearchBudget(Arc<Mutex<Budget>>);

/// Why a search may not go out now.
#[derive(Debug)]
pub(crate) enum NotNow {
    /// The budget is spent, or the Arr asked us to wait: not before this time.
    Until(UnixTime),
    /// The search could not be recorded.
    Store(StoreError),
}

impl SearchBudget {
    /// The budget `cfg` sets, with what the store remembers of it.
    pub(crate) fn load(cfg: &EntrySearch, records: &InstanceRecords, now: UnixTime) -> Self {
        let mut budget = Budget::new(cfg);
        match records.search_budget() {
            Ok(Some(bytes)) => budget.restore(&bytes, now),
            Ok(None) => {}
            Err(e) => warn!("the search budget could not be read, so it starts full: {e}"),
        }
        Self(Arc::new(Mutex::new(budget)))
    }

    /// No limit (managed categories, tests).
    pub(crate) fn unlimited() -> Self {
        let cfg = EntrySearch {
            per_hour: None,
            per_day: None,
            ..EntrySearch::default()
        };
        Self(Arc::new(Mutex::new(Budget::new(&cfg))))
    }

    fn lock(&self) -> MutexGuard<'_, Budget> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one search from the budget and records that, or says why not now.
    pub(crate) fn take(&self, records: &InstanceRecords, now: UnixTime) -> Result<(), NotNow> {
        let mut budget = self.lock();
        if let Some(at) = budget.next_at(now) {
            return Err(NotNow::Until(at));
        }
        let mut spent = budget.clone();
        spent.spend(now);
        records
            .save_search_budget(spent.encode())
            .map_err(NotNow::Store)?;
        *budget = spent;
        Ok(())
    }

    /// The Arr asked us to slow down: no search before `until`.
    pub(crate) fn hold(&self, records: &InstanceRecords, until: UnixTime) {
        let mut budget = self.lock();
        budget.hold(until);
        if let Err(e) = records.save_search_budget(budget.encode()) {
            debug!("the search hold could not be recorded: {e}");
        }
    }

    /// When a search may go out (`None`: now).
    pub(crate) fn next_at(&self, now: UnixTime) -> Option<UnixTime> {
        self.lock().next_at(now)
    }

    pub(crate) fn left(&self, now: UnixTime) -> BudgetLeft {
        self.lock().left(now)
    }
}

/// How long to hold searches after the Arr answered `err`, the `n`-th time in a row; `None`
/// when it did not ask us to slow down.
pub(crate) fn slow_down_wait(err: &HttpError, n: u32) -> Option<Duration> {
    let said = err.slow_down()?;
    Some(said.unwrap_or_else(|| crate::clock::doubling(BACKOFF_FIRST, n, BACKOFF_MAX)))
}

/// Why a round ended early.
#[derive(Debug)]
enum RoundError {
    Arr(HttpError),
    Store(StoreError),
}

impl std::fmt::Display for RoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Arr(e) => write!(f, "{e}"),
            Self::Store(e) => write!(f, "the store: {e}"),
        }
    }
}

/// One Arr's search loop.
pub(crate) struct SearchLoop {
    name: String,
    kind: ArrKind,
    cfg: EntrySearch,
    /// SearchLoopDelay.
    delay: Duration,
    arr: Box<dyn ArrApi>,
    records: InstanceRecords,
    budget: SearchBudget,
    board: Arc<Board>,
    /// In a dry run, what was said to be searched (nothing is recorded in the store).
    dry_run: Option<HashSet<String>>,
    /// In a dry run, when the next round starts (kept in the store otherwise).
    dry_next_round: Option<UnixTime>,
    clock: fn() -> UnixTime,
    /// Slow-down answers in a row (for the doubling wait).
    slowed: u32,
    /// Failed rounds in a row (for the backoff, and to log an outage once).
    failures: u32,
    /// The Arr has no wanted lists (said once).
    no_lists_said: bool,
    /// Overseerr or Ombi, with what it said.
    requests: Option<RequestState>,
    /// Temp quality profiles.
    temp: TempPass,
}

/// A request manager and what was last read from it.
struct RequestState {
    api: Box<dyn RequestApi>,
    /// When to read it again.
    due: UnixTime,
    /// Requested movies, by TMDB id.
    movies: BTreeSet<i64>,
    /// Requested series, by Sonarr's series id.
    series: BTreeSet<i64>,
    /// Sonarr's series id of each TVDB id found (one Sonarr does not have yet is looked up
    /// again at the next read).
    series_ids: HashMap<i64, i64>,
    /// The last read failed (said once, until one works).
    failing: bool,
}

impl SearchLoop {
    pub(crate) fn new(
        arr_cfg: &Arr,
        delay: Duration,
        arr: Box<dyn ArrApi>,
        records: InstanceRecords,
        budget: SearchBudget,
        board: Arc<Board>,
        dry_run: bool,
    ) -> Self {
        Self {
            name: arr_cfg.name.clone(),
            kind: arr_cfg.kind,
            cfg: arr_cfg.search.clone(),
            delay,
            arr,
            records,
            budget,
            board,
            dry_run: dry_run.then(HashSet::new),
            dry_next_round: None,
            clock: unix_now,
            slowed: 0,
            failures: 0,
            no_lists_said: false,
            requests: None,
            temp: TempPass::new(&arr_cfg.search.temp, arr_cfg.search.unmonitored, dry_run),
        }
    }

    /// Searches what `api` says was requested first.
    pub(crate) fn with_requests(mut self, api: Box<dyn RequestApi>) -> Self {
        self.requests = Some(RequestState {
            api,
            due: 0,
            movies: BTreeSet::new(),
            series: BTreeSet::new(),
            series_ids: HashMap::new(),
            failing: false,
        });
        self
    }

    /// Reads the requests again when that is due. A failure keeps what was read before (and
    /// the searches go on): requests only change the order.
    fn refresh_requests(&mut self, now: UnixTime) {
        let every = i64::try_from(self.cfg.requests_every.as_secs()).unwrap_or(i64::MAX);
        let (name, arr, kind) = (&self.name, self.arr.as_ref(), self.kind);
        let Some(r) = self.requests.as_mut().filter(|r| r.due <= now) else {
            return;
        };
        r.due = now.saturating_add(every);
        let manager = r.api.manager().name();
        let requested = match r.api.requested() {
            Ok(requested) => requested,
            Err(e) => {
                if !std::mem::replace(&mut r.failing, true) {
                    warn!("{name}: {manager}'s requests could not be read, so none goes first: {e}");
                }
                return;
            }
        };
        if std::mem::replace(&mut r.failing, false) {
            info!("{name}: {manager}'s requests are read again");
        }
        r.movies = requested.movies;
        if kind == ArrKind::Sonarr {
            let mut series = BTreeSet::new();
            for tvdb in requested.series {
                if let Some(id) = r.series_ids.get(&tvdb) {
                    series.insert(*id);
                    continue;
                }
                match arr.series_by_tvdb(tvdb) {
                    Ok(Some(id)) => {
                        r.series_ids.insert(tvdb, id);
                        series.insert(id);
                    }
                    Ok(None) => {}
                    Err(e) => debug!("{name}: the series with TVDB id {tvdb} could not be looked up: {e}"),
                }
            }
            r.series = series;
        }
        let open = (r.movies.len() + r.series.len()) as u64;
        self.board.update(&self.name, |w| {
            let s = w.search.get_or_insert_with(SearchState::default);
            s.requests = Some((manager, open));
        });
    }

    /// Whether `item` was requested in Overseerr or Ombi.
    fn requested(&self, item: &search::WantedItem) -> bool {
        self.requests.as_ref().is_some_and(|r| match self.kind {
            ArrKind::Radarr => item.tmdb.is_some_and(|t| r.movies.contains(&t)),
            ArrKind::Sonarr => item.parent.is_some_and(|s| r.series.contains(&s)),
            _ => false,
        })
    }

    /// Runs rounds until `stop` is set.
    pub(crate) fn run(&mut self, stop: &Shutdown) {
        info!(
            "{}: searching for {} (SearchLimit {}, {}s apart, budget {})",
            self.name,
            if self.cfg.quality_unmet {
                "missing media and media below its quality cutoff"
            } else {
                "missing media"
            },
            self.cfg.limit,
            self.delay.as_secs(),
            budget_words(&self.cfg),
        );
        self.show("starting".into(), None);
        while !stop.is_set() {
            let wait = match self.round(stop) {
                Ok(wait) => {
                    if self.failures > 0 {
                        info!("{}: searching works again", self.name);
                    }
                    self.failures = 0;
                    wait
                }
                Err(e) => {
                    self.failures += 1;
                    if self.failures == 1 {
                        warn!("{}: searching paused: {e}", self.name);
                    } else {
                        debug!("{}: searching still paused: {e}", self.name);
                    }
                    let wait = crate::clock::doubling(BACKOFF_FIRST, self.failures, ROUND_PAUSE);
                    self.show(format!("paused: {e}"), Some(wait));
                    wait
                }
            };
            // The temp-profile pass runs when it is due, even while searches wait.
            let wait = self
                .temp
                .due_in(self.now())
                .map_or(wait, |due| wait.min(due.max(Duration::from_secs(1))));
            stop.wait_timeout(wait);
        }
    }

    fn now(&self) -> UnixTime {
        (self.clock)()
    }

    /// Shows what the loop does on the board, with when it acts next.
    fn show(&self, doing: String, next: Option<Duration>) {
        let now = self.now();
        let next_at = next.map(|d| now.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)));
        let left = self.budget.left(now);
        self.board.update(&self.name, |w| {
            let s = w.search.get_or_insert_with(SearchState::default);
            s.doing = doing;
            s.next_at = next_at;
            s.budget = left;
        });
    }

    /// One round: read the lists, pick the best, send their searches.
    fn round(&mut self, stop: &Shutdown) -> Result<Duration, RoundError> {
        self.temp_profiles(stop);
        let now = self.now();
        if let Some(wait) = self.between_rounds(now)? {
            return Ok(wait);
        }
        if let Some(at) = self.budget.next_at(now) {
            let wait = secs_until(at, now);
            self.show(budget_wait_words(self.budget.left(now), at), Some(wait));
            return Ok(wait);
        }
        self.refresh_requests(now);
        let picked = match self.pick(now)? {
            Picked::NoLists => {
                if !std::mem::replace(&mut self.no_lists_said, true) {
                    warn!(
                        "{}: this {} has no wanted lists (Radarr needs 5.6 or later), so nothing is \
                         searched; asked again every hour",
                        self.name,
                        self.kind.name()
                    );
                }
                self.show(
                    "the Arr has no wanted lists (Radarr 5.6 or later)".into(),
                    Some(BACKOFF_MAX),
                );
                return Ok(BACKOFF_MAX);
            }
            Picked::Done { wanted } => return self.round_done(wanted),
            Picked::Some(picked) => picked,
        };
        for search in search::commands(self.kind, &picked, self.cfg.by_series) {
            if stop.is_set() {
                break;
            }
            if let Some(next) = self.send(&search, stop)? {
                return Ok(next);
            }
            if stop.wait_timeout(self.delay) {
                break;
            }
        }
        Ok(Duration::ZERO)
    }

    /// How long until the next round, while the last one is finished; when it is due, the
    /// searches of the last round are forgotten and `None` says to start.
    fn between_rounds(&mut self, now: UnixTime) -> Result<Option<Duration>, RoundError> {
        let next = match self.dry_run {
            Some(_) => self.dry_next_round,
            None => self.records.next_search_round().map_err(RoundError::Store)?,
        };
        let Some(at) = next else {
            return Ok(None);
        };
        if at > now {
            let wait = secs_until(at, now);
            self.show(
                format!(
                    "every wanted item was searched; the next round starts at {}",
                    rfc3339(at)
                ),
                Some(wait),
            );
            return Ok(Some(wait));
        }
        let forgotten = match &mut self.dry_run {
            Some(said) => {
                self.dry_next_round = None;
                std::mem::take(said).len()
            }
            None => {
                let n = self.records.forget_searched().map_err(RoundError::Store)?;
                self.records
                    .save_next_search_round(None)
                    .map_err(RoundError::Store)?;
                n
            }
        };
        info!(
            "{}: a new search round starts ({forgotten} searches forgotten)",
            self.name
        );
        Ok(None)
    }

    /// Every wanted item was searched this round (or nothing is wanted).
    fn round_done(&mut self, wanted: u64) -> Result<Duration, RoundError> {
        if wanted == 0 {
            self.show("nothing is wanted".into(), Some(ROUND_PAUSE));
            return Ok(ROUND_PAUSE);
        }
        if !self.cfg.again_on_completion {
            self.show(
                format!("all {wanted} wanted items were searched; only new ones will be"),
                Some(ROUND_PAUSE),
            );
            return Ok(ROUND_PAUSE);
        }
        // Recorded, so that a restart in between does not start the next round early.
        let at = self
            .now()
            .saturating_add(i64::try_from(ROUND_PAUSE.as_secs()).unwrap_or(i64::MAX));
        match self.dry_run {
            Some(_) => self.dry_next_round = Some(at),
            None => self
                .records
                .save_next_search_round(Some(at))
                .map_err(RoundError::Store)?,
        }
        info!(
            "{}: all {wanted} wanted items were searched; the next round starts at {}",
            self.name,
            rfc3339(at)
        );
        self.board.update(&self.name, |w| {
            if let Some(s) = &mut w.search {
                s.rounds_done += 1;
            }
        });
        self.show(
            format!(
                "every wanted item was searched; the next round starts at {}",
                rfc3339(at)
            ),
            Some(ROUND_PAUSE),
        );
        Ok(ROUND_PAUSE)
    }

    /// Reads the wanted lists (and, for upgrade and custom-format searches, the library) and
    /// keeps the best not searched yet.
    fn pick(&mut self, now: UnixTime) -> Result<Picked, RoundError> {
        let lists: Vec<(Reason, WantedList)> = std::iter::once((Reason::Missing, WantedList::Missing))
            .chain(
                self.cfg
                    .quality_unmet
                    .then_some((Reason::Quality, WantedList::Cutoff)),
            )
            .collect();
        let monitored: &[bool] = if self.cfg.unmonitored {
            &[true, false]
        } else {
            &[true]
        };
        let mut sieve = Sieve {
            search: self,
            now,
            picker: Picker::new(BATCH),
            in_queue: None,
            wanted: BTreeMap::new(),
            error: None,
        };
        let arr = self.arr.as_ref();
        // Radarr before 5.6 has no wanted lists (its library may still be read for upgrades).
        let mut no_lists = false;
        for (reason, list) in lists {
            for &monitored in monitored {
                let has = arr.wanted(list, monitored, &mut |items| {
                    sieve.offer(items.into_iter().map(|i| (reason, i)).collect());
                });
                match has {
                    Ok(true) => {}
                    // The cutoff list alone missing is not worth a warning of its own.
                    Ok(false) if list == WantedList::Missing => no_lists = true,
                    Ok(false) => {}
                    Err(e) => return Err(RoundError::Arr(e)),
                }
                sieve.check()?;
            }
        }
        // Readarr's book files carry no custom-format score: none is below a minimum, so neither
        // the minimums nor (for that alone) the library are read there.
        let scored = self.kind != ArrKind::Readarr;
        let (upgrade, custom_format) = (self.cfg.upgrade, self.cfg.custom_format && scored);
        if upgrade || custom_format {
            let minimums = if custom_format {
                arr.format_minimums().map_err(RoundError::Arr)?
            } else {
                HashMap::new()
            };
            let mut page = Vec::with_capacity(LIBRARY_PAGE);
            arr.library(&mut |owned| {
                let below_minimum = custom_format
                    && owned
                        .profile
                        .and_then(|p| minimums.get(&p))
                        .is_some_and(|min| owned.cf_score.unwrap_or(0) < *min);
                let reason = match (below_minimum, upgrade) {
                    (true, _) => Reason::CustomFormat,
                    (false, true) => Reason::Upgrade,
                    (false, false) => return,
                };
                page.push((reason, owned.item));
                if page.len() == LIBRARY_PAGE {
                    sieve.offer(std::mem::take(&mut page));
                }
            })
            .map_err(RoundError::Arr)?;
            sieve.offer(page);
            sieve.check()?;
        }
        let Sieve { picker, wanted, .. } = sieve;
        if no_lists && picker.seen == 0 {
            return Ok(Picked::NoLists);
        }
        let total: u64 = wanted.values().sum();
        let left = picker.seen;
        self.board.update(&self.name, |w| {
            let s = w.search.get_or_insert_with(SearchState::default);
            s.wanted = wanted;
            s.left_this_round = Some(left);
        });
        let picked = picker.best();
        if picked.is_empty() {
            return Ok(Picked::Done { wanted: total });
        }
        Ok(Picked::Some(picked))
    }

    /// Sends one search, if the budget and SearchLimit let it; `Some` ends the round early, to
    /// read the lists again after that long.
    fn send(&mut self, search: &Search, stop: &Shutdown) -> Result<Option<Duration>, RoundError> {
        // SearchLimit: wait while the Arr has that many searches queued or running.
        let mut waited = Duration::ZERO;
        loop {
            let running = self.arr.searches_running().map_err(RoundError::Arr)?;
            if running < self.cfg.limit as usize {
                break;
            }
            if waited >= LIMIT_WAIT_MAX {
                return Ok(Some(Duration::ZERO));
            }
            let step = self.delay.max(Duration::from_secs(5));
            self.show(
                format!(
                    "{running} searches queued or running in the Arr (SearchLimit {})",
                    self.cfg.limit
                ),
                Some(step),
            );
            if stop.wait_timeout(step) {
                return Ok(Some(Duration::ZERO));
            }
            waited += step;
        }
        let now = self.now();
        if let Some(said) = &mut self.dry_run {
            // Nothing is sent or recorded; the dry-run client says what would be, once.
            said.extend(search.keys.iter().cloned());
            self.arr.command(&search.body).map_err(RoundError::Arr)?;
            self.sent(search, now, "ok".into());
            return Ok(None);
        }
        match self.budget.take(&self.records, now) {
            Ok(()) => {}
            Err(NotNow::Until(at)) => {
                let wait = secs_until(at, now);
                self.show(budget_wait_words(self.budget.left(now), at), Some(wait));
                return Ok(Some(wait));
            }
            Err(NotNow::Store(e)) => return Err(RoundError::Store(e)),
        }
        // Recorded first: a search whose answer is lost, or one sent just before a crash, is
        // not sent again this round.
        self.records
            .mark_searched(&search.keys, now)
            .map_err(RoundError::Store)?;
        match self.arr.command(&search.body) {
            Ok(_) => {
                self.slowed = 0;
                self.sent(search, now, "ok".into());
                Ok(None)
            }
            Err(e) => {
                self.audit(search, now, format!("failed: {e}"));
                if let Some(wait) = slow_down_wait(&e, self.slowed + 1) {
                    self.slowed += 1;
                    // Not taken: searched again when the hold ends.
                    self.forget(search);
                    let until = now.saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX));
                    self.budget.hold(&self.records, until);
                    warn!(
                        "{}: the {} asked us to slow down; no search before {} ({e})",
                        self.name,
                        self.kind.name(),
                        rfc3339(until)
                    );
                    self.show(
                        format!("the Arr asked us to wait until {}", rfc3339(until)),
                        Some(wait),
                    );
                    return Ok(Some(wait));
                }
                if matches!(e, HttpError::Status { .. } | HttpError::Auth { .. }) {
                    // Refused, so not queued: searched again in a later round.
                    self.forget(search);
                }
                Err(RoundError::Arr(e))
            }
        }
    }

    /// Forgets that `search` was sent (the Arr refused it).
    fn forget(&self, search: &Search) {
        if let Err(e) = self.records.unmark_searched(&search.keys) {
            debug!("{}: could not forget a refused search: {e}", self.name);
        }
    }

    fn sent(&mut self, search: &Search, now: UnixTime, outcome: String) {
        let verb = if self.dry_run.is_some() {
            "would search"
        } else {
            "searched"
        };
        info!(
            "{}: {verb} {} ({})",
            self.name,
            search.label,
            search.reason.name()
        );
        self.audit(search, now, outcome);
        let left = self.budget.left(now);
        let last = format!("{} ({})", search.label, search.reason.name());
        self.board.update(&self.name, |w| {
            let s = w.search.get_or_insert_with(SearchState::default);
            *s.sent.entry(search.reason.name()).or_default() += 1;
            s.last = Some((now, last));
            s.budget = left;
            s.doing = "searching".into();
            if let Some(n) = &mut s.left_this_round {
                *n = n.saturating_sub(search.media_ids.len() as u64);
            }
        });
    }

    fn audit(&self, search: &Search, now: UnixTime, outcome: String) {
        let entry = AuditEntry {
            time: now,
            instance: self.name.clone(),
            hash: String::new(),
            name: search.label.clone(),
            rule: format!("search-{}", search.reason.name()),
            detail: search.body.to_string(),
            step: "search".into(),
            outcome,
            dry_run: false,
        };
        if let Err(e) = self.records.append_audit(vec![entry]) {
            debug!("{}: the audit log could not be written: {e}", self.name);
        }
    }
}

/// Library items read from the store at a time.
const LIBRARY_PAGE: usize = 250;

/// What a round's reads pass through: eligible, not in the Arr's queue, not searched yet this
/// round, into the picker (a requested item as a request).
struct Sieve<'a> {
    search: &'a SearchLoop,
    now: UnixTime,
    picker: Picker,
    /// The media ids in the Arr's queue, read once a list has items (an empty library costs
    /// one request a round).
    in_queue: Option<HashSet<i64>>,
    /// Eligible items seen, by reason.
    wanted: BTreeMap<&'static str, u64>,
    /// The first error; what follows it is not offered.
    error: Option<RoundError>,
}

impl Sieve<'_> {
    fn offer(&mut self, items: Vec<(Reason, search::WantedItem)>) {
        let (kind, cfg) = (self.search.kind, &self.search.cfg);
        let items: Vec<_> = items
            .into_iter()
            .filter(|(_, i)| search::eligible(kind, i, cfg))
            .collect();
        for (reason, _) in &items {
            *self.wanted.entry(reason.name()).or_default() += 1;
        }
        if items.is_empty() || self.error.is_some() {
            return;
        }
        let in_queue = match &mut self.in_queue {
            Some(q) => q,
            None => match self.search.arr.queue() {
                Ok(queue) => self
                    .in_queue
                    .insert(queue.values().flat_map(|e| e.media_ids.iter().copied()).collect()),
                Err(e) => {
                    self.error = Some(RoundError::Arr(e));
                    return;
                }
            },
        };
        let fresh: Vec<_> = items
            .into_iter()
            .filter(|(_, i)| !in_queue.contains(&i.id))
            .collect();
        let keys: Vec<Vec<String>> = fresh.iter().map(|(_, i)| search::keys_of(kind, i)).collect();
        let flat: Vec<String> = keys.iter().flatten().cloned().collect();
        let searched = match self.search.records.searched(&flat) {
            Ok(s) => s,
            Err(e) => {
                self.error = Some(RoundError::Store(e));
                return;
            }
        };
        let said = &self.search.dry_run;
        let mut at = 0;
        for ((reason, item), keys) in fresh.into_iter().zip(keys) {
            let done = searched[at..at + keys.len()].iter().any(Option::is_some)
                || said.as_ref().is_some_and(|s| keys.iter().any(|k| s.contains(k)));
            at += keys.len();
            if !done {
                let reason = if self.search.requested(&item) {
                    Reason::Request
                } else {
                    reason
                };
                self.picker
                    .offer(Candidate::new(reason, item, kind, cfg, self.now));
            }
        }
    }

    /// The first error a read ran into, if any.
    fn check(&mut self) -> Result<(), RoundError> {
        self.error.take().map_or(Ok(()), Err)
    }
}

/// What a round found.
enum Picked {
    /// The Arr has no wanted lists.
    NoLists,
    /// Nothing left to search this round; `wanted` items are wanted in all.
    Done { wanted: u64 },
    /// The best not searched yet, best first.
    Some(Vec<Candidate>),
}

fn secs_until(at: UnixTime, now: UnixTime) -> Duration {
    Duration::from_secs(u64::try_from(at.saturating_sub(now)).unwrap_or(0).max(1))
}

fn budget_wait_words(left: BudgetLeft, at: UnixTime) -> String {
    if left.held_until.is_some() {
        format!("the Arr asked us to wait until {}", rfc3339(at))
    } else if at == UnixTime::MAX {
        "the search budget is 0".into()
    } else {
        format!("the search budget is spent until {}", rfc3339(at))
    }
}

fn budget_words(cfg: &EntrySearch) -> String {
    let one = |n: Option<u32>, per: &str| match n {
        Some(n) => format!("{n} per {per}"),
        None => format!("no limit per {per}"),
    };
    format!("{}, {}", one(cfg.per_hour, "hour"), one(cfg.per_day, "day"))
}

#[cfg(test)]
mod tests;
