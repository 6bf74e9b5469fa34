//! What the search loop asks an Arr to search for, in which order, and how fast: pure
//! functions of the Arr's wanted lists, what was searched before, the `[<Arr>.EntrySearch]`
//! config and the time. The loop that reads the lists and sends the searches is
//! `worker::search`.
//!
//! - [`Candidate`]s come from the Arr's `wanted/missing` and `wanted/cutoff` pages; a
//!   [`Picker`] keeps the best few while the pages stream by, so a 50,000-episode library
//!   never sits in memory.
//! - The order is qBitrr's: the reason (requested, missing, custom format below the minimum,
//!   quality cutoff unmet, upgrade), then, on Sonarr,
//!   what aired today, then the date, newest first (oldest with SearchInReverse).
//! - [`commands`] turns the picked items into the Arr's search commands, grouping episodes as
//!   SearchBySeries asks.
//! - A [`Budget`] caps the searches per hour and per day (ours), shared with the searches after
//!   a removal, and holds them all while the Arr asks us to slow down.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use serde_json::{json, Value};

use crate::clock::UnixTime;
use crate::config::{EntrySearch, SeriesSearch};
use crate::model::ArrKind;

pub(crate) mod profiles;
#[cfg(test)]
mod tests;

/// Why an item is searched, in qBitrr's order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Reason {
    /// Wanted, and asked for in Overseerr or Ombi.
    Request,
    /// Monitored, without a file (`wanted/missing`).
    Missing,
    /// Has a file whose custom-format score is below its profile's minimum.
    CustomFormat,
    /// Has a file below its profile's quality cutoff (`wanted/cutoff`).
    Quality,
    /// Has a file; an upgrade may exist (DoUpgradeSearch).
    Upgrade,
}

impl Reason {
    pub(crate) const ALL: [Reason; 5] = [
        Reason::Request,
        Reason::Missing,
        Reason::CustomFormat,
        Reason::Quality,
        Reason::Upgrade,
    ];

    /// For logs, the audit log and metrics.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reason::Request => "request",
            Reason::Missing => "missing",
            Reason::CustomFormat => "custom-format",
            Reason::Quality => "quality",
            Reason::Upgrade => "upgrade",
        }
    }
}

/// One wanted item as the Arr lists it: a movie, an episode, an album or a book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WantedItem {
    pub(crate) id: i64,
    /// Sonarr's series, Lidarr's artist, Readarr's author.
    pub(crate) parent: Option<i64>,
    /// Sonarr's season number.
    pub(crate) season: Option<i64>,
    /// Radarr's TMDB id (to match Overseerr's and Ombi's requests).
    pub(crate) tmdb: Option<i64>,
    pub(crate) title: String,
    /// When it was (or will be) released or aired.
    pub(crate) date: Option<UnixTime>,
    pub(crate) monitored: bool,
}

/// An item of the library with a file, for upgrade and custom-format searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedItem {
    pub(crate) item: WantedItem,
    /// Its quality profile.
    pub(crate) profile: Option<i64>,
    /// Its file's custom-format score.
    pub(crate) cf_score: Option<i64>,
}

/// A wanted item that may be searched, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) reason: Reason,
    pub(crate) item: WantedItem,
    /// Aired today (Sonarr, with PrioritizeTodaysReleases).
    pub(crate) today: bool,
    /// Oldest first (SearchInReverse).
    pub(crate) reverse: bool,
}

impl Candidate {
    pub(crate) fn new(
        reason: Reason,
        item: WantedItem,
        kind: ArrKind,
        cfg: &EntrySearch,
        now: UnixTime,
    ) -> Self {
        let today = kind == ArrKind::Sonarr
            && cfg.today_first
            && item
                .date
                .is_some_and(|d| d.div_euclid(86_400) == now.div_euclid(86_400));
        Self {
            reason,
            item,
            today,
            reverse: cfg.reverse,
        }
    }

    /// How `self` ranks against `other`: `Less` is searched first.
    fn rank(&self, other: &Self) -> Ordering {
        let by_date = match (self.item.date, other.item.date) {
            (Some(a), Some(b)) if self.reverse => a.cmp(&b),
            (Some(a), Some(b)) => b.cmp(&a),
            // Without a date: after every dated item.
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        self.reason
            .cmp(&other.reason)
            .then(other.today.cmp(&self.today))
            .then(by_date)
            .then(self.item.id.cmp(&other.item.id))
    }
}

/// The keys under which a search is remembered (see [`keys_of`]).
pub(crate) type SearchKey = String;

/// The keys that say whether `item` was searched already: its own, and on Sonarr those of its
/// season and series (a season or series search covers the episode).
pub(crate) fn keys_of(kind: ArrKind, item: &WantedItem) -> Vec<SearchKey> {
    let mut keys = vec![format!("{}{}", kind_letter(kind), item.id)];
    if kind == ArrKind::Sonarr {
        if let Some(series) = item.parent {
            if let Some(season) = item.season {
                keys.push(format!("s{series}:{season}"));
            }
            keys.push(format!("S{series}"));
        }
    }
    keys
}

fn kind_letter(kind: ArrKind) -> char {
    match kind {
        ArrKind::Radarr => 'm',
        ArrKind::Sonarr => 'e',
        ArrKind::Lidarr => 'a',
        ArrKind::Readarr => 'b',
    }
}

/// Whether the search loop may consider `item` at all: unmonitored only with Unmonitored, and
/// Sonarr's specials (season 0) only with AlsoSearchSpecials.
pub(crate) fn eligible(kind: ArrKind, item: &WantedItem, cfg: &EntrySearch) -> bool {
    (item.monitored || cfg.unmonitored) && (kind != ArrKind::Sonarr || cfg.specials || item.season != Some(0))
}

/// Keeps the `capacity` best candidates seen, whatever their number.
pub(crate) struct Picker {
    capacity: usize,
    /// A max-heap by rank: its top is the worst kept.
    kept: BinaryHeap<Ranked>,
    /// How many were offered.
    pub(crate) seen: u64,
}

struct Ranked(Candidate);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.0.rank(&other.0) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.rank(&other.0)
    }
}

impl Picker {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            kept: BinaryHeap::with_capacity(capacity.saturating_add(1).min(1024)),
            seen: 0,
        }
    }

    pub(crate) fn offer(&mut self, candidate: Candidate) {
        self.seen += 1;
        if self.capacity == 0 {
            return;
        }
        if self.kept.len() == self.capacity {
            match self.kept.peek() {
                Some(worst) if candidate.rank(&worst.0) == Ordering::Less => {
                    self.kept.pop();
                }
                _ => return,
            }
        }
        self.kept.push(Ranked(candidate));
    }

    /// The kept candidates, best first.
    pub(crate) fn best(self) -> Vec<Candidate> {
        self.kept.into_sorted_vec().into_iter().map(|r| r.0).collect()
    }
}

/// One search command for the Arr, with what it covers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Search {
    pub(crate) reason: Reason,
    /// The command body for `POST command`.
    pub(crate) body: Value,
    /// What it is, in words, for logs and the audit log.
    pub(crate) label: String,
    /// Remembered as searched once it is sent.
    pub(crate) keys: Vec<SearchKey>,
    /// The media ids it covers (to skip what is in the Arr's queue, and for the audit log).
    pub(crate) media_ids: Vec<i64>,
}

/// The search commands for `picked` (best first), in that order: one per item, except on
/// Sonarr where SearchBySeries groups episodes into a series or a season search.
pub(crate) fn commands(kind: ArrKind, picked: &[Candidate], by_series: SeriesSearch) -> Vec<Search> {
    if kind != ArrKind::Sonarr || by_series == SeriesSearch::Episode {
        return picked.iter().map(|c| single(kind, c)).collect();
    }
    // Group by series (SeriesSearch) or season (smart), in the order of each group's best.
    // (series, season): the season is `None` when grouping by series.
    type Group = (i64, Option<i64>);
    let mut groups: Vec<(Option<Group>, Vec<&Candidate>)> = Vec::new();
    let mut index: BTreeMap<Group, usize> = BTreeMap::new();
    for c in picked {
        let Some(series) = c.item.parent else {
            groups.push((None, vec![c]));
            continue;
        };
        let key = match by_series {
            SeriesSearch::Series => (series, None),
            _ => (series, c.item.season),
        };
        match index.get(&key) {
            Some(&i) => groups[i].1.push(c),
            None => {
                index.insert(key, groups.len());
                groups.push((Some(key), vec![c]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(key, members)| match (key, by_series) {
            (Some((series, _)), SeriesSearch::Series) => grouped(
                members,
                json!({"name": "SeriesSearch", "seriesId": series}),
                format!("series {series}"),
                format!("S{series}"),
            ),
            (Some((series, Some(season))), _) if members.len() > 1 => grouped(
                members,
                json!({"name": "SeasonSearch", "seriesId": series, "seasonNumber": season}),
                format!("series {series} season {season}"),
                format!("s{series}:{season}"),
            ),
            _ => single(kind, members[0]),
        })
        .collect()
}

fn single(kind: ArrKind, c: &Candidate) -> Search {
    let id = c.item.id;
    let body = match kind {
        ArrKind::Radarr => json!({"name": "MoviesSearch", "movieIds": [id]}),
        ArrKind::Sonarr => json!({"name": "EpisodeSearch", "episodeIds": [id]}),
        ArrKind::Lidarr => json!({"name": "AlbumSearch", "albumIds": [id]}),
        ArrKind::Readarr => json!({"name": "BookSearch", "bookIds": [id]}),
    };
    Search {
        reason: c.reason,
        body,
        label: format!("{:?}", c.item.title),
        keys: vec![keys_of(kind, &c.item).swap_remove(0)],
        media_ids: vec![id],
    }
}

fn grouped(members: Vec<&Candidate>, body: Value, what: String, key: SearchKey) -> Search {
    let reason = members.iter().map(|c| c.reason).min().unwrap_or(Reason::Missing);
    let titles: Vec<&str> = members.iter().take(3).map(|c| c.item.title.as_str()).collect();
    let more = members.len().saturating_sub(titles.len());
    let label = if more > 0 {
        format!("{what} ({:?} and {more} more)", titles.join(", "))
    } else {
        format!("{what} ({:?})", titles.join(", "))
    };
    let mut keys = vec![key];
    keys.extend(members.iter().map(|c| format!("e{}", c.item.id)));
    Search {
        reason,
        body,
        label,
        keys,
        media_ids: members.iter().map(|c| c.item.id).collect(),
    }
}

/// One hour and one day, in seconds.
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// The searches one Arr may still be sent: at most `per_hour` in any hour and `per_day` in any
/// day (`None`: no limit), and none while the Arr asked us to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Budget {
    per_hour: Option<u32>,
    per_day: Option<u32>,
    /// When each search of the last day was sent, oldest first.
    sent: VecDeque<UnixTime>,
    /// No search before this (the Arr's Retry-After, or our backoff after a 429).
    held_until: UnixTime,
}

/// Where a budget stands, for `/api/status` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub(crate) struct BudgetLeft {
    /// Searches left this hour and this day (`None`: no limit).
    pub(crate) hour: Option<u32>,
    pub(crate) day: Option<u32>,
    /// The next search may go out at this time (`None`: now).
    pub(crate) next_at: Option<UnixTime>,
    /// The Arr asked us to wait until this time.
    pub(crate) held_until: Option<UnixTime>,
}

impl Budget {
    pub(crate) fn new(cfg: &EntrySearch) -> Self {
        Self {
            per_hour: cfg.per_hour,
            per_day: cfg.per_day,
            sent: VecDeque::new(),
            held_until: 0,
        }
    }

    /// When the next search may go out: `None` now, else the time it may.
    pub(crate) fn next_at(&self, now: UnixTime) -> Option<UnixTime> {
        let mut at = (self.held_until > now).then_some(self.held_until);
        let window = |limit: Option<u32>, span: i64| -> Option<UnixTime> {
            let limit = usize::try_from(limit?).unwrap_or(usize::MAX);
            if limit == 0 {
                return Some(UnixTime::MAX);
            }
            // Free again when the oldest of the last `limit` (send times are in order) leaves
            // the window.
            (self.within(now, span) >= limit).then(|| self.sent[self.sent.len() - limit] + span)
        };
        for free in [window(self.per_hour, HOUR), window(self.per_day, DAY)]
            .into_iter()
            .flatten()
        {
            at = Some(at.map_or(free, |a| a.max(free)));
        }
        at
    }

    /// How many searches were sent within `span` before `now` (the newest are at the back).
    fn within(&self, now: UnixTime, span: i64) -> usize {
        self.sent.iter().rev().take_while(|&&t| t > now - span).count()
    }

    /// Counts a search sent at `now`.
    pub(crate) fn spend(&mut self, now: UnixTime) {
        self.sent.push_back(now);
        self.trim(now);
    }

    /// Keeps only the send times a limit can still count: those within its window, and no
    /// more than the largest limit (none without limits), so the budget stays a few bytes.
    fn trim(&mut self, now: UnixTime) {
        let span = match (self.per_hour, self.per_day) {
            (_, Some(_)) => DAY,
            (Some(_), None) => HOUR,
            (None, None) => 0,
        };
        let keep = self.per_hour.max(self.per_day).map_or(0, |n| n as usize);
        while self.sent.len() > keep || self.sent.front().is_some_and(|&t| t <= now - span) {
            self.sent.pop_front();
        }
    }

    /// No search before `until` (the Arr asked us to slow down).
    pub(crate) fn hold(&mut self, until: UnixTime) {
        self.held_until = self.held_until.max(until);
    }

    pub(crate) fn left(&self, now: UnixTime) -> BudgetLeft {
        let left = |limit: Option<u32>, span| {
            limit.map(|l| l.saturating_sub(u32::try_from(self.within(now, span)).unwrap_or(u32::MAX)))
        };
        BudgetLeft {
            hour: left(self.per_hour, HOUR),
            day: left(self.per_day, DAY),
            next_at: self.next_at(now),
            held_until: (self.held_until > now).then_some(self.held_until),
        }
    }

    /// The stored form: the hold, then the send times of the last day, as little-endian i64s.
    pub(crate) fn encode(&self) -> Vec<u8> {
        std::iter::once(self.held_until)
            .chain(self.sent.iter().copied())
            .flat_map(i64::to_le_bytes)
            .collect()
    }

    /// Restores what [`Budget::encode`] stored (the limits come from the config, which may
    /// have changed since); damaged bytes restore nothing.
    pub(crate) fn restore(&mut self, bytes: &[u8], now: UnixTime) {
        if !bytes.len().is_multiple_of(8) || bytes.is_empty() {
            return;
        }
        let mut times = bytes
            .chunks_exact(8)
            .filter_map(|c| <[u8; 8]>::try_from(c).ok().map(i64::from_le_bytes));
        self.held_until = times.next().unwrap_or(0);
        // A hold or a send in the future is a clock that went back: do not wait for it.
        if self.held_until > now + DAY {
            self.held_until = 0;
        }
        self.sent = times.filter(|&t| t > now - DAY && t <= now).collect();
        self.trim(now);
    }
}
