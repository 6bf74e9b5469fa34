//! One qBittorrent instance as the workers see it: a compact table of the
//! torrents in the categories they watch, kept up to date by one reader and
//! shared by every worker using that instance.
//!
//! How it is kept depends on what is cheap for that qBittorrent (measured:
//! `bench/qbittorrent_load.py`, results in bench/README.md):
//! - **sync/maindata** (WebAPI ≥ 2.11.0, qBittorrent 5.0): qBittorrent
//!   5 answers it from changes it already tracks, so an unchanged poll costs it
//!   almost nothing. The view keeps the `rid`; a full update replaces the
//!   table, partial objects merge field by field, `torrents_removed` deletes.
//!   An answer is applied only once it was read whole; any error or
//!   inconsistency drops the view and the next read starts again from rid 0,
//!   as does a full resync every `FullSyncTimer` (ours, default 10 minutes),
//!   which bounds the drift of values qBittorrent does not report as changes
//!   (seeding time).
//! - **Filtered lists** (older qBittorrent, which rebuilds and diffs its whole
//!   state on each `sync/maindata`): per watched category only what can need
//!   an action now — `filter=downloading` and `filter=errored` — and every
//!   torrent that left those sets (completed, moved, gone) read at once by
//!   hash; the whole category every `FullListTimer` (ours, default 5
//!   minutes), and the failed and recheck categories every 30 seconds.
//!
//! A worker calls `View::sync` at the start of its pass: the view is read
//! again only when it is older than half that worker's interval, so the
//! instance is polled at the pace of its fastest worker. Nothing here
//! decides: the view is a fast index, and the worker reads each torrent it
//! wants to act on again, by hash, before acting (so no action rests on a
//! value the view may hold from minutes ago).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use log::{debug, info, warn};

use crate::category::Subcategories;
use crate::config::{QbitInstance, ReadMode};
use crate::http::HttpError;
use crate::model::{Connection, Torrent, TorrentId, UnixTime};
use crate::qbit::{lock, ApiVersion, Field, Fields, ListFilter, ListQuery, SyncItem};
use crate::tracker::TrackerEntry;
use crate::upstream::Qbittorrent;

mod table;
#[cfg(test)]
mod tests;

pub(crate) use table::{Entry, Table};

/// The first WebAPI version whose `sync/maindata` costs qBittorrent little
/// (qBittorrent 5.0.0; measured on 5.1.0, against 4.5.2's full rebuild).
pub(crate) const MAINDATA_FROM: ApiVersion = ApiVersion(2, 11, 0);
/// The failed and recheck categories are listed at most this often (filtered-list mode).
const SPECIAL_LIST_PERIOD: Duration = Duration::from_secs(30);
/// From this WebAPI version (qBittorrent 5.0) `tracker` names a tracker whether or not it
/// answers (see [`Torrent::tracker_status_unknown`]).
pub(crate) const TRACKER_FIELD_ALWAYS_SET: ApiVersion = ApiVersion(2, 11, 0);
/// At most this many hashes per `torrents/info?hashes=` request.
pub(crate) const HASHES_PER_LOOKUP: usize = 200;

/// How often the view reads everything again (our own `[Settings]` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewTimers {
    /// `FullSyncTimer`: a `sync/maindata` from rid 0 at least this often.
    pub full_sync: Duration,
    /// `FullListTimer`: each watched category listed whole at least this often.
    pub full_list: Duration,
}

impl Default for ViewTimers {
    fn default() -> Self {
        Self {
            full_sync: Duration::from_secs(600),
            full_list: Duration::from_secs(300),
        }
    }
}

/// How the view is read from this qBittorrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    MainData,
    Lists,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MainData => "sync/maindata",
            Self::Lists => "filtered lists",
        }
    }
}

/// The categories one worker acts on: its own (with the subcategories it matches), and the
/// failed and recheck ones.
#[derive(Debug, Clone)]
pub struct Watch {
    pub category: String,
    pub subcategories: Subcategories,
    pub special: Vec<String>,
    /// The AddTags names of the worker's own tracker entries (the view keeps which of them each
    /// torrent has).
    pub add_tags: Vec<String>,
}

impl Watch {
    /// What the worker of Arr section `arr` watches.
    pub(crate) fn of(settings: &crate::config::Settings, arr: &crate::config::Arr) -> Self {
        Self {
            category: arr.category.clone(),
            subcategories: arr.subcategories.clone(),
            special: vec![
                settings.failed_category.clone(),
                settings.recheck_category.clone(),
            ],
            add_tags: add_tag_names(&arr.torrent.trackers),
        }
    }

    /// Whether torrents in `category` are the worker's own (not failed or recheck ones).
    pub(crate) fn owns(&self, category: &str) -> bool {
        self.subcategories.owns(&self.category, category)
    }

    /// The numbers of the worker's own categories in `table`.
    pub(crate) fn own_ids(&self, table: &Table) -> Vec<u32> {
        if self.subcategories.matched {
            table.categories.matching(|c| self.owns(c))
        } else {
            table.categories.find(&self.category).into_iter().collect()
        }
    }

    pub(crate) fn all(&self) -> Vec<&str> {
        std::iter::once(self.category.as_str())
            .chain(self.special.iter().map(String::as_str))
            .collect()
    }
}

/// A category the view reads in filtered-list mode.
struct Listed {
    name: String,
    /// The failed or recheck category of some worker (and no worker's own).
    special: bool,
    /// Its subcategories are some worker's too: it is read without qBittorrent's category
    /// filter (which takes subcategories only when qBittorrent's own "subcategories" option
    /// is on) and what is below it kept.
    subcategories: bool,
    /// When it was last listed whole.
    full_at: Option<Instant>,
    /// Its torrents not complete at the last read: looked up by hash once
    /// they leave the downloading and errored lists.
    unfinished: HashSet<TorrentId>,
}

impl Listed {
    /// Whether torrents in `category` are read with it.
    fn covers(&self, category: &str) -> bool {
        category == self.name || (self.subcategories && crate::category::is_below(category, &self.name))
    }

    /// The category filter to list it with.
    fn filter(&self) -> Option<&str> {
        (!self.subcategories).then_some(self.name.as_str())
    }
}

/// What qBittorrent says beside the torrents (`sync/maindata`; with filtered lists only the
/// connection status, from `transfer/info`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Server {
    pub(crate) free_space_on_disk: Option<i64>,
    pub(crate) connection_status: Option<String>,
    pub(crate) categories: HashSet<String>,
    pub(crate) tags: HashSet<String>,
}

/// The view's state, behind the lock.
pub(crate) struct ViewState {
    pub(crate) table: Table,
    pub(crate) server: Server,
    /// Whether qBittorrent can reach its peers, followed from `server.connection_status`
    /// (kept across resets: an outage outlasts a dropped view).
    pub(crate) link: Connection,
    /// Its `tracker` field says nothing of whether a tracker answers (qBittorrent 5).
    pub(crate) tracker_status_unknown: bool,
    mode: Option<Mode>,
    /// sync/maindata: the last `rid`; 0 when the next read must be a full one.
    rid: i64,
    /// sync/maindata: when the last full update was applied.
    full_at: Option<Instant>,
    /// Filtered lists: the watched categories.
    listed: Vec<Listed>,
    /// When the last read that succeeded started.
    synced_at: Option<Instant>,
    /// Reads done, for `/api/status` and tests.
    pub(crate) reads: ReadCounts,
}

/// Requests the view has sent, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadCounts {
    pub maindata_full: u64,
    pub maindata: u64,
    pub full_lists: u64,
    pub filtered_lists: u64,
    pub lookups: u64,
    /// `transfer/info` (filtered lists: the connection status).
    pub transfer_info: u64,
    /// Views dropped after an error or an inconsistent answer.
    pub resets: u64,
}

impl ViewState {
    /// Whether every category of `watch` has been read whole since the last reset:
    /// only then is a torrent missing from the view known to be gone.
    pub(crate) fn complete_for(&self, watch: &Watch) -> bool {
        match self.mode {
            Some(Mode::MainData) => self.full_at.is_some(),
            Some(Mode::Lists) => watch
                .all()
                .iter()
                .all(|c| self.listed.iter().any(|l| l.name == *c && l.full_at.is_some())),
            None => false,
        }
    }

    /// Adds `watch`'s categories to those read; true when one is new, or newly read with its
    /// subcategories.
    fn register(&mut self, watch: &Watch) -> bool {
        self.watch_tags(watch.add_tags.iter().map(String::as_str));
        let mut new_category = false;
        let own = (&watch.category, false, watch.subcategories.matched);
        for (name, special, subcategories) in
            std::iter::once(own).chain(watch.special.iter().map(|s| (s, true, false)))
        {
            match self.listed.iter_mut().find(|l| l.name == *name) {
                Some(l) => {
                    l.special &= special;
                    if subcategories && !l.subcategories {
                        l.subcategories = true;
                        l.full_at = None;
                        new_category = true;
                    }
                }
                None => {
                    new_category = true;
                    self.listed.push(Listed {
                        name: name.clone(),
                        special,
                        subcategories,
                        full_at: None,
                        unfinished: HashSet::new(),
                    });
                }
            }
        }
        new_category
    }

    /// The table's numbers of the Arrs' own categories and the subcategories they match (not
    /// the failed and recheck ones): the downloads the free-space guard weighs together.
    pub(crate) fn managed_categories(&self) -> Vec<u32> {
        self.table
            .categories
            .matching(|c| self.listed.iter().any(|l| !l.special && l.covers(c)))
    }

    /// Keeps which of these AddTags names each torrent has; a name new after a read makes the
    /// next read start over (what was read said nothing of it).
    fn watch_tags<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        if self.table.watch_tags(names) && self.mode.is_some() {
            self.reset();
        }
    }

    /// Forgets everything read: the next read starts over.
    fn reset(&mut self) {
        self.table = self.table.empty_like();
        self.server = Server::default();
        self.mode = None;
        self.rid = 0;
        self.full_at = None;
        for l in &mut self.listed {
            l.full_at = None;
            l.unfinished.clear();
        }
        self.synced_at = None;
        self.reads.resets += 1;
    }
}

/// One qBittorrent instance's shared view.
pub struct View {
    client: Arc<dyn Qbittorrent>,
    /// The `[[<qBit>.Trackers]]` entries of this instance (the workers merge their own in).
    trackers: Vec<TrackerEntry>,
    timers: ViewTimers,
    forced: ReadMode,
    state: Mutex<ViewState>,
}

impl View {
    pub(crate) fn new(client: Arc<dyn Qbittorrent>, timers: ViewTimers, forced: ReadMode) -> Self {
        Self {
            client,
            trackers: Vec::new(),
            timers,
            forced,
            state: Mutex::new(ViewState {
                table: Table::default(),
                server: Server::default(),
                link: Connection::default(),
                tracker_status_unknown: false,
                mode: None,
                rid: 0,
                full_at: None,
                listed: Vec::new(),
                synced_at: None,
                reads: ReadCounts::default(),
            }),
        }
    }

    /// A view of the qBittorrent `cfg` describes (for tools and tests; the
    /// daemon builds its views with the dry-run decision made).
    pub fn connect(cfg: &QbitInstance, timers: ViewTimers) -> Self {
        Self::new(crate::upstream::connect_qbit(cfg, false), timers, cfg.read_mode)
    }

    /// Makes `watch`'s categories known before its worker first reads the view, so every
    /// worker's free-space budget counts the downloads of every Arr from the first pass.
    pub(crate) fn register(&self, watch: &Watch) {
        self.lock().register(watch);
    }

    /// Reads the view again now, whatever its age (for tools and tests).
    pub fn refresh(&self, watch: &Watch) -> Result<(), HttpError> {
        self.sync(watch, Duration::ZERO, crate::clock::unix_now())
            .map(drop)
    }

    /// The torrents of `categories` as the view holds them, sorted by hash (no names;
    /// paths only as far as the rules need them).
    pub fn torrents(&self, categories: &[&str]) -> Vec<Torrent> {
        let state = self.lock();
        let mut out = Vec::new();
        let mut t = Torrent::default();
        state.table.each_in(categories, |e| {
            e.fill(&mut t, &state.table);
            out.push(t.clone());
        });
        out
    }

    /// The announce URLs of torrent `hash`: all of them with sync/maindata; with filtered lists
    /// the one that answered its last announce (none when none did).
    pub fn trackers_of(&self, hash: &str) -> Vec<String> {
        let state = self.lock();
        let Some(e) = TorrentId::parse(hash).and_then(|id| state.table.get(&id).copied()) else {
            return Vec::new();
        };
        state
            .table
            .trackers
            .urls(e.trackers)
            .map(str::to_string)
            .collect()
    }

    /// How it is read, once it was.
    pub fn mode(&self) -> Option<Mode> {
        self.lock().mode
    }

    /// The requests it has sent, by kind.
    pub fn reads(&self) -> ReadCounts {
        self.lock().reads
    }

    /// How it is read, how much it holds and what it asked, for the status board.
    pub(crate) fn describe(&self) -> Option<(Mode, usize, ReadCounts)> {
        let state = self.lock();
        state.mode.map(|m| (m, state.table.entries().len(), state.reads))
    }

    /// This view, with its instance's tracker entries.
    pub(crate) fn with_trackers(mut self, entries: Vec<TrackerEntry>) -> Self {
        let names = add_tag_names(&entries);
        self.lock().watch_tags(names.iter().map(String::as_str));
        self.trackers = entries;
        self
    }

    /// The `[[<qBit>.Trackers]]` entries of this instance.
    pub(crate) fn trackers(&self) -> &[TrackerEntry] {
        &self.trackers
    }

    pub(crate) fn client(&self) -> &Arc<dyn Qbittorrent> {
        &self.client
    }

    /// The state, for reading the torrents (held while a worker decides).
    pub(crate) fn lock(&self) -> MutexGuard<'_, ViewState> {
        lock(&self.state)
    }

    /// Brings the view up to date for `watch`, unless it was read within
    /// `fresh` and already covers `watch`'s categories. On an error the pass
    /// must not use the view. `Some(link)` when this read, at `now`, saw
    /// qBittorrent lose or regain its connection (logged here, once per outage).
    pub(crate) fn sync(
        &self,
        watch: &Watch,
        fresh: Duration,
        now: UnixTime,
    ) -> Result<Option<Connection>, HttpError> {
        let mut state = self.lock();
        let new_category = state.register(watch);
        let recent = state.synced_at.is_some_and(|at| at.elapsed() < fresh);
        let covered = state.mode == Some(Mode::MainData) || !new_category;
        if recent && covered {
            return Ok(None);
        }
        let started = Instant::now();
        let result = self.read(&mut state);
        match result {
            Ok(()) => {
                state.synced_at = Some(started);
                Ok(self.follow_link(&mut state, now))
            }
            Err(e) => {
                state.reset();
                Err(e)
            }
        }
    }

    /// The connection after this read's `connection_status`; `Some` when it changed.
    fn follow_link(&self, state: &mut ViewState, now: UnixTime) -> Option<Connection> {
        let was = state.link;
        let is = was.after(state.server.connection_status.as_deref(), now);
        if is == was {
            return None;
        }
        state.link = is;
        let qbit = self.client.name();
        match (was, is) {
            (_, Connection::Down { .. }) => warn!(
                "{qbit} reports no connection (connection_status disconnected): nothing is removed \
                 as stalled, slow or stale until it is back"
            ),
            (Connection::Down { since }, _) => info!(
                "{qbit} is connected again (after {}s); stalled and inactivity clocks count from now",
                now - since
            ),
            _ => {}
        }
        Some(is)
    }

    /// Looks up by hash torrents the view has not seen (filtered lists only:
    /// downloads the Arr knows of, e.g. added already complete, which no
    /// downloading list shows before the next whole list). Those found join
    /// the view; how many were found. With sync/maindata, the view holds
    /// every torrent already and nothing is asked.
    pub(crate) fn adopt(&self, hashes: &[&str]) -> Result<usize, HttpError> {
        let mut state = self.lock();
        if state.mode != Some(Mode::Lists) {
            return Ok(0);
        }
        let unseen: Vec<&str> = hashes
            .iter()
            .copied()
            .filter(|h| TorrentId::parse(h).is_some_and(|id| state.table.get(&id).is_none()))
            .collect();
        let found = self.keyed_by_hash(&unseen, &mut state.reads)?;
        for (id, t) in &found {
            let Some(listed) = state.listed.iter().position(|l| l.covers(&t.category)) else {
                continue; // not a watched category: not the view's business
            };
            state.table.upsert(*id, t);
            if !t.state.is_complete() {
                state.listed[listed].unfinished.insert(*id);
            }
        }
        Ok(found.len())
    }

    /// These torrents as qBittorrent lists them now, in any category
    /// (`torrents/info?hashes=`, [`HASHES_PER_LOOKUP`] per request); `f` gets each.
    /// The number of requests sent.
    pub(crate) fn read_by_hash(
        &self,
        hashes: &[&str],
        f: &mut dyn FnMut(&Torrent),
    ) -> Result<u64, HttpError> {
        let mut requests = 0;
        for chunk in hashes.chunks(HASHES_PER_LOOKUP) {
            let query = ListQuery {
                category: None,
                filter: ListFilter::All,
                hashes: chunk,
            };
            self.client.torrents_where(&query, f)?;
            requests += 1;
        }
        Ok(requests)
    }

    /// Another torrent whose content path is `t`'s, so removing `t` with its files would take
    /// that torrent's files too (a cross-seed): its hash. The view is searched; with filtered
    /// lists, which hold only the watched categories, all of qBittorrent's torrents are read
    /// when `complete` (cross-seeds are made of complete data) and `all` has not been read
    /// yet in this pass (it keeps them).
    pub(crate) fn sharing_files(
        &self,
        t: &Torrent,
        complete: bool,
        all: &mut Option<Vec<(String, String)>>,
    ) -> Result<Option<String>, HttpError> {
        let key = table::path_key(&t.content_path);
        if key == 0 {
            return Ok(None);
        }
        let me = TorrentId::parse(&t.hash);
        let (whole, found) = {
            let state = self.lock();
            let found = state
                .table
                .entries()
                .iter()
                .find(|e| e.content_path == key && Some(e.id) != me)
                .map(|e| e.id.to_string());
            (state.mode == Some(Mode::MainData), found)
        };
        if found.is_some() || whole || !complete {
            return Ok(found);
        }
        if all.is_none() {
            let mut list = Vec::new();
            let query = ListQuery {
                category: None,
                filter: ListFilter::All,
                hashes: &[],
            };
            self.client.torrents_where(&query, &mut |o| {
                list.push((o.hash.clone(), table::trimmed(&o.content_path).to_string()));
            })?;
            *all = Some(list);
        }
        let path = table::trimmed(&t.content_path);
        Ok(all
            .iter()
            .flatten()
            .find(|(hash, p)| *hash != t.hash && p == path)
            .map(|(hash, _)| hash.clone()))
    }

    /// [`View::read_by_hash`], each torrent with its id, the requests counted as lookups.
    fn keyed_by_hash(
        &self,
        hashes: &[&str],
        reads: &mut ReadCounts,
    ) -> Result<Vec<(TorrentId, Torrent)>, HttpError> {
        let mut found = Vec::new();
        reads.lookups += self.read_by_hash(hashes, &mut keep_keyed(&mut found))?;
        Ok(found)
    }

    /// The torrents `query` lists, each with its id.
    fn keyed(&self, query: &ListQuery<'_>) -> Result<Vec<(TorrentId, Torrent)>, HttpError> {
        let mut listed = Vec::new();
        self.client.torrents_where(query, &mut keep_keyed(&mut listed))?;
        Ok(listed)
    }

    fn read(&self, state: &mut ViewState) -> Result<(), HttpError> {
        // Cached by the client until a new session, an outage or a 404: a qBittorrent
        // that came back as another version is read the way that suits it.
        let api = self.client.api_version()?;
        state.tracker_status_unknown = api >= TRACKER_FIELD_ALWAYS_SET;
        let mode = match self.forced {
            ReadMode::MainData => Mode::MainData,
            ReadMode::Lists => Mode::Lists,
            ReadMode::Auto if api >= MAINDATA_FROM => Mode::MainData,
            ReadMode::Auto => Mode::Lists,
        };
        if state.mode != Some(mode) {
            if state.mode.is_some() {
                state.reset();
            }
            info!(
                "{}: WebAPI {api}: reading torrents by {}",
                self.client.name(),
                mode.as_str()
            );
            state.mode = Some(mode);
        }
        match mode {
            Mode::MainData => self.read_maindata(state),
            Mode::Lists => self.read_lists(state),
        }
    }

    fn read_maindata(&self, state: &mut ViewState) -> Result<(), HttpError> {
        let full_due = state
            .full_at
            .is_none_or(|at| at.elapsed() >= self.timers.full_sync);
        let rid = if full_due { 0 } else { state.rid };
        match self.apply_maindata(state, rid)? {
            Applied::Done => Ok(()),
            Applied::Inconsistent(why) => {
                // Never a decision on a half-understood answer: start again from scratch.
                info!(
                    "{}: sync/maindata: {why}; reading everything again",
                    self.client.name()
                );
                state.reset();
                state.mode = Some(Mode::MainData);
                match self.apply_maindata(state, 0)? {
                    Applied::Done => Ok(()),
                    Applied::Inconsistent(why) => Err(HttpError::decode(
                        &format!("{} /api/v2/sync/maindata", self.client.name()),
                        why,
                    )),
                }
            }
        }
    }

    /// Reads one `sync/maindata` answer whole, then applies it.
    fn apply_maindata(&self, state: &mut ViewState, rid: i64) -> Result<Applied, HttpError> {
        let mut staged = Staged {
            table: state.table.empty_like(),
            ..Staged::default()
        };
        self.client.maindata(rid, &mut |item| staged.take(item))?;
        if rid == 0 {
            state.reads.maindata_full += 1;
        } else {
            state.reads.maindata += 1;
        }
        let Some(new_rid) = staged.rid else {
            return Ok(Applied::Inconsistent("the answer has no rid".into()));
        };
        let full = staged.full || rid == 0;
        if rid == 0 && !staged.full {
            return Ok(Applied::Inconsistent(
                "a first answer that is not a full update".into(),
            ));
        }
        if full {
            for (url, hashes) in &staged.trackers {
                staged.table.set_tracker(url, hashes.as_deref());
            }
            state.table.replace(std::mem::take(&mut staged.table));
            state.server = Server::default();
            state.full_at = Some(Instant::now());
        } else {
            // A torrent first seen in a partial answer must come whole.
            let entries = staged.table.entries();
            if let Some((e, _)) = entries.iter().zip(&staged.present).find(|(e, present)| {
                state.table.get(&e.id).is_none()
                    && !(present.has(Field::State) && present.has(Field::Category))
            }) {
                return Ok(Applied::Inconsistent(format!(
                    "a partial update for torrent {}, which was not known",
                    e.id
                )));
            }
            for (e, present) in entries.iter().zip(&staged.present) {
                state.table.merge_from(e, *present, &staged.table);
            }
        }
        for id in &staged.removed {
            state.table.remove(id);
        }
        if !full {
            for (url, hashes) in &staged.trackers {
                state.table.set_tracker(url, hashes.as_deref());
            }
        }
        staged.server(&mut state.server);
        state.rid = new_rid;
        if staged.unkeyed > 0 {
            debug!(
                "{}: {} torrent(s) without a 40-digit hash left out of the view",
                self.client.name(),
                staged.unkeyed
            );
        }
        Ok(Applied::Done)
    }

    fn read_lists(&self, state: &mut ViewState) -> Result<(), HttpError> {
        // What sync/maindata carries in server_state; a failure leaves the last status known.
        state.reads.transfer_info += 1;
        match self.client.connection_status() {
            Ok(status) => state.server.connection_status = Some(status),
            Err(e) => debug!("{}: transfer/info: {e}", self.client.name()),
        }
        let names: Vec<(String, bool)> = state.listed.iter().map(|l| (l.name.clone(), l.special)).collect();
        for (name, special) in names {
            let period = if special {
                SPECIAL_LIST_PERIOD.min(self.timers.full_list)
            } else {
                self.timers.full_list
            };
            let full_at = state
                .listed
                .iter()
                .find(|l| l.name == name)
                .and_then(|l| l.full_at);
            let full_due = full_at.is_none_or(|at| at.elapsed() >= period);
            if full_due {
                self.list_whole(state, &name)?;
            } else if !special {
                self.list_unfinished(state, &name)?;
            }
        }
        Ok(())
    }

    /// The whole category (with its subcategories when they are read): replaces what the
    /// view held of it.
    fn list_whole(&self, state: &mut ViewState, category: &str) -> Result<(), HttpError> {
        let started = Instant::now();
        let Some(i) = state.listed.iter().position(|l| l.name == category) else {
            return Ok(());
        };
        let l = &state.listed[i];
        let mut listed = self.keyed(&ListQuery {
            category: l.filter(),
            filter: ListFilter::All,
            hashes: &[],
        })?;
        state.reads.full_lists += 1;
        listed.retain(|(_, t)| l.covers(&t.category));
        let covered = state.table.categories.matching(|c| l.covers(c));
        let keep: HashSet<TorrentId> = listed.iter().map(|(id, _)| *id).collect();
        state.table.retain_in_categories(&covered, |id| keep.contains(id));
        let mut unfinished = HashSet::new();
        for (id, t) in &listed {
            state.table.upsert(*id, t);
            if !t.state.is_complete() {
                unfinished.insert(*id);
            }
        }
        let l = &mut state.listed[i];
        l.full_at = Some(started);
        l.unfinished = unfinished;
        Ok(())
    }

    /// The downloads and errored torrents of `category` (and its subcategories when they are
    /// read), and, by hash, those that left them.
    fn list_unfinished(&self, state: &mut ViewState, category: &str) -> Result<(), HttpError> {
        let Some(i) = state.listed.iter().position(|l| l.name == category) else {
            return Ok(());
        };
        let l = &state.listed[i];
        let mut listed: Vec<(TorrentId, Torrent)> = Vec::new();
        for filter in [ListFilter::Downloading, ListFilter::Errored] {
            listed.extend(self.keyed(&ListQuery {
                category: l.filter(),
                filter,
                hashes: &[],
            })?);
            state.reads.filtered_lists += 1;
        }
        listed.retain(|(_, t)| l.covers(&t.category));
        let now_unfinished: HashSet<TorrentId> = listed.iter().map(|(id, _)| *id).collect();
        // Taken, not copied: a failed read drops the whole view anyway (see `sync`).
        let before = std::mem::take(&mut state.listed[i].unfinished);
        // Those that left the lists: completed, moving, recategorised or deleted.
        let left: Vec<TorrentId> = before.difference(&now_unfinished).copied().collect();
        let left_hashes: Vec<String> = left.iter().map(ToString::to_string).collect();
        let left_hashes: Vec<&str> = left_hashes.iter().map(String::as_str).collect();
        let found = self.keyed_by_hash(&left_hashes, &mut state.reads)?;
        // Applied only now that every read succeeded.
        let mut unfinished = now_unfinished;
        let l = &state.listed[i];
        let more: Vec<TorrentId> = found
            .iter()
            .filter(|(_, t)| !t.state.is_complete() && l.covers(&t.category))
            .map(|(id, _)| *id)
            .collect();
        unfinished.extend(more);
        for (id, t) in listed.iter().chain(&found) {
            state.table.upsert(*id, t);
        }
        let found_ids: HashSet<TorrentId> = found.iter().map(|(id, _)| *id).collect();
        for id in left.iter().filter(|id| !found_ids.contains(id)) {
            state.table.remove(id);
        }
        state.listed[i].unfinished = unfinished;
        Ok(())
    }
}

/// Collects each listed torrent with its id (those without a 40-digit hash cannot be kept).
fn keep_keyed(into: &mut Vec<(TorrentId, Torrent)>) -> impl FnMut(&Torrent) + '_ {
    |t| {
        if let Some(id) = TorrentId::parse(&t.hash) {
            into.push((id, t.clone()));
        }
    }
}

enum Applied {
    Done,
    /// The answer cannot be applied to what the view holds.
    Inconsistent(String),
}

/// The AddTags names of `entries`, each once.
fn add_tag_names(entries: &[TrackerEntry]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for tag in entries.iter().flat_map(|e| e.add_tags.iter()) {
        if !names.contains(tag) {
            names.push(tag.clone());
        }
    }
    names
}

/// A set of torrents, exactly sized.
type Torrents = Box<[TorrentId]>;

/// A `sync/maindata` answer as read, before it is applied.
#[derive(Default)]
struct Staged {
    rid: Option<i64>,
    full: bool,
    /// The torrents as read, unsorted, with the fields each object held.
    table: Table,
    present: Vec<Fields>,
    removed: Vec<TorrentId>,
    unkeyed: usize,
    categories: Vec<(String, bool)>,
    tags: Vec<(String, bool)>,
    /// Announce URLs and their torrents, sorted (`None`: the URL is gone).
    trackers: Vec<(Box<str>, Option<Torrents>)>,
    free_space: Option<i64>,
    connection: Option<String>,
}

impl Staged {
    fn take(&mut self, item: SyncItem<'_>) {
        match item {
            SyncItem::Rid(rid) => self.rid = Some(rid),
            SyncItem::FullUpdate(full) => self.full = full,
            SyncItem::Torrent {
                hash,
                fields,
                present,
            } => match TorrentId::parse(hash) {
                Some(id) => {
                    self.table.push_unsorted(id, fields, present);
                    self.present.push(present);
                }
                None => self.unkeyed += 1,
            },
            SyncItem::TorrentRemoved(hash) => {
                if let Some(id) = TorrentId::parse(hash) {
                    self.removed.push(id);
                }
            }
            SyncItem::Category(name) => self.categories.push((name.to_string(), true)),
            SyncItem::CategoryRemoved(name) => self.categories.push((name.to_string(), false)),
            SyncItem::Tag(name) => self.tags.push((name.to_string(), true)),
            SyncItem::TagRemoved(name) => self.tags.push((name.to_string(), false)),
            SyncItem::Tracker { url, hashes } => {
                let mut ids: Box<[TorrentId]> = hashes.into();
                ids.sort_unstable();
                self.trackers.push((url.into(), Some(ids)));
            }
            SyncItem::TrackerRemoved(url) => self.trackers.push((url.into(), None)),
            SyncItem::FreeSpace(bytes) => self.free_space = Some(bytes),
            SyncItem::Connection(status) => self.connection = Some(status.to_string()),
        }
    }

    /// Applies what the answer says beside the torrents.
    fn server(&mut self, server: &mut Server) {
        for (name, present) in self.categories.drain(..) {
            if present {
                server.categories.insert(name);
            } else {
                server.categories.remove(&name);
            }
        }
        for (name, present) in self.tags.drain(..) {
            if present {
                server.tags.insert(name);
            } else {
                server.tags.remove(&name);
            }
        }
        if let Some(f) = self.free_space {
            server.free_space_on_disk = Some(f);
        }
        if let Some(c) = self.connection.take() {
            server.connection_status = Some(c);
        }
    }
}
