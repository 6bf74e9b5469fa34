//! Tracker entries (`[[qBit.Trackers]]`, `[[<Arr>.Torrent.Trackers]]`) and hit-and-run
//! obligations: which entry speaks for a torrent, the limits it sets, and whether removing the
//! torrent now would leave its tracker owed seeding. Pure: the worker reads a torrent's
//! trackers (`torrents/trackers`) and hands what they say to [`pick`]; the decision core asks
//! [`hit_and_run`] before any removal.

use std::fmt::Write as _;

/// `HitAndRunMode`: which of MinSeedRatio and MinSeedingTimeDays must be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HnrMode {
    /// No hit-and-run rule (qBitrr's default).
    #[default]
    Disabled,
    /// Every minimum that is set must be met (qBitrr reads a legacy `true` as this).
    And,
    /// One minimum that is set is enough.
    Or,
}

impl HnrMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::And => "and",
            Self::Or => "or",
        }
    }
}

/// A tracker's hit-and-run rule.
#[derive(Debug, Clone, PartialEq)]
pub struct HitAndRun {
    pub mode: HnrMode,
    /// MinSeedRatio (default 1.0; 0: not required).
    pub min_ratio: f64,
    /// MinSeedingTimeDays in seconds (default 0: not required).
    pub min_seeding_secs: i64,
    /// HitAndRunMinimumDownloadPercent (default 10): below it nothing is owed.
    pub min_download_percent: f64,
    /// HitAndRunPartialSeedRatio (default 1.0): the ratio owed for a partial download.
    pub partial_ratio: f64,
    /// TrackerUpdateBuffer in seconds (default 0): taken off the seeding time, for the
    /// tracker's statistics lag.
    pub update_buffer_secs: i64,
}

impl Default for HitAndRun {
    fn default() -> Self {
        Self {
            mode: HnrMode::Disabled,
            min_ratio: 1.0,
            min_seeding_secs: 0,
            min_download_percent: 10.0,
            partial_ratio: 1.0,
            update_buffer_secs: 0,
        }
    }
}

/// What a tracker entry (or SeedingMode/CategorySeeding) sets on a torrent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TorrentSettings {
    /// DownloadRateLimit in bytes/s (the config says KiB/s); `Some(0)`: unlimited; `None`
    /// (-1): left as it is.
    pub download_limit: Option<u32>,
    /// UploadRateLimit, as `download_limit`.
    pub upload_limit: Option<u32>,
    /// SuperSeedMode: super-seeding on once complete (false: left as it is).
    pub super_seed: bool,
}

/// At most this many different AddTags names across every tracker entry: the view keeps which of
/// them a torrent has as one bit each.
pub(crate) const MAX_ADD_TAG_NAMES: usize = 32;

/// The tags a tracker entry puts on its torrents (AddTags), shared so that rules are cheap to clone.
pub type Tags = std::sync::Arc<[String]>;

impl TorrentSettings {
    /// Whether it sets anything.
    pub fn any(&self) -> bool {
        self.download_limit.is_some() || self.upload_limit.is_some() || self.super_seed
    }
}

/// One tracker entry, as the rules use it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerEntry {
    /// Name (or the host when the entry has none): how logs name it.
    pub name: String,
    /// The host of URI, lower case: torrents announcing to it (or to a subdomain of it) match.
    /// Empty for the entry of `[qBit.CategorySeeding]`, which every torrent of its categories
    /// matches (at the lowest priority).
    pub host: String,
    /// Priority (default -100): of several matching entries the highest wins.
    pub priority: i64,
    /// MaximumETA in seconds, when positive (it then replaces Torrent.MaximumETA).
    pub maximum_eta: Option<i64>,
    /// MaxUploadRatio, when positive (it then replaces SeedingMode.MaxUploadRatio).
    pub max_upload_ratio: Option<f64>,
    /// MaxSeedingTime in seconds, when positive (it then replaces SeedingMode.MaxSeedingTime).
    pub max_seeding_time: Option<i64>,
    pub hnr: HitAndRun,
    /// Rate limits and super-seeding to set on its torrents.
    pub settings: TorrentSettings,
    /// AddTags: tags it puts on its torrents (and takes off those it no longer speaks for).
    pub add_tags: Tags,
    /// AddTrackerIfMissing: URI, added to every public torrent that announces to no tracker of
    /// its host.
    pub add_url: Option<String>,
    /// RemoveIfExists: the torrents' trackers of its host are removed (never a torrent's last
    /// tracker); such an entry speaks for no torrent.
    pub remove_if_exists: bool,
    /// SortTorrents: its downloads go up the qBittorrent queue by Priority.
    pub sort: bool,
}

impl TrackerEntry {
    /// Whether the entry changes what is decided for a torrent that is not being removed: when
    /// it is removed or counted slow, or what is set on it.
    pub fn sets_limits(&self) -> bool {
        self.maximum_eta.is_some()
            || self.max_upload_ratio.is_some()
            || self.max_seeding_time.is_some()
            || self.settings.any()
            || !self.add_tags.is_empty()
    }

    fn matches(&self, host: &str) -> bool {
        host == self.host
            || host
                .strip_suffix(self.host.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    }
}

/// The host of a tracker URL or of a bare host name, lower case, without user, port or path;
/// `None` when there is none.
pub fn host_of(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty() && !host.contains(char::is_whitespace)).then(|| host.to_ascii_lowercase())
}

/// The entries that apply on one qBittorrent: the Arr's own, then the qBittorrent section's
/// whose host the Arr has no entry for (an Arr entry for the same host replaces it).
pub fn merge(qbit: &[TrackerEntry], arr: &[TrackerEntry]) -> Vec<TrackerEntry> {
    let mut all = arr.to_vec();
    all.extend(
        qbit.iter()
            .filter(|q| !arr.iter().any(|a| a.host == q.host))
            .cloned(),
    );
    all
}

/// The index in `entries` of the entry that speaks for a torrent announcing to `urls`: of
/// those matching one of its hosts, the highest Priority; the first listed of equals. An
/// entry without a host matches every torrent, trackerless ones too.
pub fn pick<S: AsRef<str>>(entries: &[TrackerEntry], urls: &[S]) -> Option<usize> {
    let hosts: Vec<String> = urls.iter().filter_map(|u| host_of(u.as_ref())).collect();
    let mut best: Option<usize> = None;
    for (i, entry) in entries.iter().enumerate() {
        if entry.remove_if_exists {
            continue;
        }
        let higher = best.is_none_or(|b| entry.priority > entries[b].priority);
        if higher && (entry.host.is_empty() || hosts.iter().any(|h| entry.matches(h))) {
            best = Some(i);
        }
    }
    best
}

/// Whether a tracker's message contains one of `texts` (case aside; blank texts say nothing).
fn says_any<S: AsRef<str>>(msg: &str, texts: &[S]) -> bool {
    let msg = msg.to_lowercase();
    texts
        .iter()
        .any(|t| !t.as_ref().is_empty() && msg.contains(&t.as_ref().to_lowercase()))
}

/// `RemoveTrackerWithMessage` when absent: qBitrr's texts of a tracker that cannot answer.
pub const DEAD_TRACKER_TEXTS: [&str; 4] = [
    "skipping tracker announce (unreachable)",
    "No such host is known",
    "unsupported URL protocol",
    "info hash is not authorized with this tracker",
];

/// What to change in a torrent's trackers (`torrents/addTrackers`, `torrents/removeTrackers`),
/// and why, for the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerEdit {
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub why: String,
}

impl TrackerEdit {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// The edit `entries` and `dead_texts` (RemoveTrackerWithMessage, when RemoveDeadTrackers is
/// on) ask of the torrent `list` describes:
/// - its trackers of a RemoveIfExists entry's host go;
/// - so do those whose last message holds one of `dead_texts` (case aside), unless an
///   AddTrackerIfMissing entry wants their host (removed, it would be added back each read);
/// - a public torrent gets each AddTrackerIfMissing URI whose host none of its trackers has
///   (never a private one: its tracker must not learn of other trackers, nor others of it);
/// - a torrent is never left without a tracker: when every one it has would go and none is
///   added, none goes (an unregistered torrent is then the unregistered rule's to judge).
pub fn edit<S: AsRef<str>>(list: &TrackerList, entries: &[TrackerEntry], dead_texts: &[S]) -> TrackerEdit {
    let hosts: Vec<Option<String>> = list.urls.iter().map(|u| host_of(u)).collect();
    let matches = |entry: &TrackerEntry, host: &Option<String>| {
        !entry.host.is_empty() && host.as_deref().is_some_and(|h| entry.matches(h))
    };
    let mut edit = TrackerEdit::default();
    let mut why: Vec<String> = Vec::new();
    for (i, url) in list.urls.iter().enumerate() {
        let host = &hosts[i];
        if let Some(e) = entries.iter().find(|e| e.remove_if_exists && matches(e, host)) {
            edit.remove.push(url.clone());
            why.push(format!("{url}: RemoveIfExists of {}", e.name));
            continue;
        }
        let wanted = entries.iter().any(|e| e.add_url.is_some() && matches(e, host));
        let msg = list.messages.get(i).map_or("", String::as_str);
        if !wanted && says_any(msg, dead_texts) {
            edit.remove.push(url.clone());
            why.push(format!("{url}: dead ({msg:?}, RemoveDeadTrackers)"));
        }
    }
    if !list.private {
        for e in entries {
            let Some(url) = &e.add_url else { continue };
            let present = hosts.iter().any(|h| matches(e, h));
            if !present && !edit.add.contains(url) {
                edit.add.push(url.clone());
                why.push(format!("{url}: AddTrackerIfMissing of {}", e.name));
            }
        }
    }
    if edit.add.is_empty() && !edit.remove.is_empty() && edit.remove.len() == list.urls.len() {
        edit.remove.clear();
        why.retain(|w| w.contains("AddTrackerIfMissing"));
    }
    edit.why = why.join("; ");
    edit
}

/// A download's place in qBittorrent's queue and the Priority it is sorted by
/// ([`sort_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued<Id> {
    pub id: Id,
    /// qBittorrent's queue position (1 is the top).
    pub position: i64,
    pub key: i64,
}

/// What SortTorrents sorts a download by: the Priority of the entry that speaks for it when
/// that entry has SortTorrents on; below every such entry otherwise.
pub fn sort_key(entry: Option<&TrackerEntry>) -> i64 {
    entry.filter(|e| e.sort).map_or(i64::MIN, |e| e.priority)
}

/// The `torrents/topPrio` calls, in order, that put `downloads` in order of their keys (highest
/// first; equals keep their order): none when they are in order already. qBittorrent moves the
/// torrents of one call to the top keeping their order, so one call per key above the lowest,
/// lowest first, does it; what else is in the queue keeps its order below them.
pub fn queue_moves<Id: Clone>(downloads: &[Queued<Id>]) -> Vec<Vec<Id>> {
    let mut by_position: Vec<&Queued<Id>> = downloads.iter().collect();
    by_position.sort_by_key(|d| d.position);
    if by_position.windows(2).all(|w| w[0].key >= w[1].key) {
        return Vec::new();
    }
    let mut keys: Vec<i64> = downloads.iter().map(|d| d.key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.iter()
        .skip(1)
        .map(|k| {
            by_position
                .iter()
                .filter(|d| d.key == *k)
                .map(|d| d.id.clone())
                .collect()
        })
        .collect()
}

/// What a torrent owes its tracker, by [`hit_and_run`].
#[derive(Debug, Clone, PartialEq)]
pub enum Owing {
    /// The entry has no hit-and-run rule.
    Nothing,
    /// Nothing is owed (any more); the numbers that say so.
    Cleared(String),
    /// Removing it now would be a hit-and-run; the numbers.
    Owed(String),
}

/// What a torrent with `progress` (0..=1), share `ratio` (negative: above 9999) and
/// `seeding_secs` owes under `hnr`:
/// - below HitAndRunMinimumDownloadPercent, nothing;
/// - a partial download, HitAndRunPartialSeedRatio;
/// - a complete one, MinSeedRatio and (`and`) or (`or`) MinSeedingTimeDays, counting only
///   the minimums that are set (above 0), the seeding time less TrackerUpdateBuffer.
pub fn hit_and_run(hnr: &HitAndRun, progress: f64, ratio: f64, seeding_secs: i64) -> Owing {
    if hnr.mode == HnrMode::Disabled {
        return Owing::Nothing;
    }
    let ratio = if ratio < 0.0 { f64::INFINITY } else { ratio };
    let percent = (progress * 100.0).clamp(0.0, 100.0);
    let mut s = String::with_capacity(96);
    let ratio_text = |s: &mut String| {
        if ratio.is_infinite() {
            s.push_str("ratio above 9999");
        } else {
            let _ = write!(s, "ratio {ratio:.2}");
        }
    };
    if percent < hnr.min_download_percent {
        let _ = write!(
            s,
            "HnR: downloaded {percent:.1}% < HitAndRunMinimumDownloadPercent {}: nothing owed",
            hnr.min_download_percent
        );
        return Owing::Cleared(s);
    }
    if progress < 1.0 {
        s.push_str("HnR: partial download (");
        let _ = write!(s, "{percent:.1}%), ");
        ratio_text(&mut s);
        let met = ratio >= hnr.partial_ratio;
        let _ = write!(
            s,
            " {} HitAndRunPartialSeedRatio {}",
            if met { "≥" } else { "<" },
            hnr.partial_ratio
        );
        return if met { Owing::Cleared(s) } else { Owing::Owed(s) };
    }
    let seeded = seeding_secs.saturating_sub(hnr.update_buffer_secs).max(0);
    let ratio_req = (hnr.min_ratio > 0.0).then_some(hnr.min_ratio);
    let time_req = (hnr.min_seeding_secs > 0).then_some(hnr.min_seeding_secs);
    let ratio_met = ratio_req.map(|min| ratio >= min);
    let time_met = time_req.map(|min| seeded >= min);
    let days = |secs: i64| secs as f64 / 86_400.0;
    s.push_str("HnR: ");
    match time_req {
        Some(min) => {
            let _ = write!(s, "seeded {:.2} of {:.2} days", days(seeded), days(min));
        }
        None => {
            let _ = write!(s, "seeded {:.2} days (no minimum)", days(seeded));
        }
    }
    if hnr.update_buffer_secs > 0 {
        let _ = write!(s, " (less TrackerUpdateBuffer {}s)", hnr.update_buffer_secs);
    }
    s.push_str(", ");
    ratio_text(&mut s);
    match ratio_req {
        Some(min) => {
            let _ = write!(s, " of {min:.2}");
        }
        None => s.push_str(" (no minimum)"),
    }
    let _ = write!(s, " (HitAndRunMode {})", hnr.mode.name());
    let set: Vec<bool> = [ratio_met, time_met].into_iter().flatten().collect();
    let cleared = match hnr.mode {
        HnrMode::Disabled => true,
        HnrMode::And => set.iter().all(|m| *m),
        HnrMode::Or => set.is_empty() || set.iter().any(|m| *m),
    };
    if cleared {
        Owing::Cleared(s)
    } else {
        Owing::Owed(s)
    }
}

/// What `torrents/trackers` says of a torrent: whether it is private, and the URLs it
/// announces to (DHT, PeX and LSD rows left out) with what each last answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackerList {
    pub private: bool,
    pub urls: Vec<String>,
    /// Each URL's last message (`msg`), in the order of `urls`; empty when it said nothing.
    pub messages: Vec<String>,
    /// Some tracker answered its last announce (qBittorrent's status 2, "working").
    pub working: bool,
}

/// `UnregisteredMessages` when absent (ours): what trackers answer for a torrent they no
/// longer know — qBitrr's hit-and-run bypass texts and the common trackers' own, compared
/// case-insensitively as parts of the message. Kept specific: a bare "not found" would also
/// match an HTTP 404 from a tracker that is down.
pub const UNREGISTERED_TEXTS: [&str; 11] = [
    "unregistered",
    "not registered",
    "torrent not found",
    "torrent is not found",
    "infohash not found",
    "info hash is not authorized",
    "torrent is not authorized",
    "unknown torrent",
    "torrent does not exist",
    "torrent has been deleted",
    "trumped",
];

/// The message saying the torrent is unregistered when **every** tracker of `list` said so
/// (one of `texts` is part of its message, case aside); `None` when one tracker said
/// something else or nothing, or there is none.
pub fn unregistered<'l, S: AsRef<str>>(list: &'l TrackerList, texts: &[S]) -> Option<&'l str> {
    if list.urls.is_empty() || list.messages.len() != list.urls.len() || list.working {
        return None;
    }
    list.messages
        .iter()
        .all(|m| says_any(m, texts))
        .then(|| list.messages.first().map(String::as_str))
        .flatten()
}

#[cfg(test)]
mod tests;
