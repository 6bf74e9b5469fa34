//! Domain types shared by the clients, the decision core and the loop:
//! a torrent as qBittorrent reports it, its record in an Arr queue, and the
//! per-application differences of the Arr APIs ([`ArrKind`]).
//!
//! Nothing here does I/O.

use std::collections::BTreeSet;
use std::fmt;

pub use crate::clock::UnixTime;

/// qBittorrent's torrent states (4.x and 5.x names; `paused*` became `stopped*` in 5.0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TorrentState {
    Error,
    MissingFiles,
    Uploading,
    PausedUp,
    StoppedUp,
    QueuedUp,
    StalledUp,
    CheckingUp,
    ForcedUp,
    Allocating,
    Downloading,
    MetaDl,
    ForcedMetaDl,
    PausedDl,
    StoppedDl,
    QueuedDl,
    StalledDl,
    CheckingDl,
    ForcedDl,
    CheckingResumeData,
    Moving,
    #[default]
    Unknown,
}

impl TorrentState {
    /// Every state, for tests and metrics.
    pub const ALL: [TorrentState; 22] = [
        Self::Error,
        Self::MissingFiles,
        Self::Uploading,
        Self::PausedUp,
        Self::StoppedUp,
        Self::QueuedUp,
        Self::StalledUp,
        Self::CheckingUp,
        Self::ForcedUp,
        Self::Allocating,
        Self::Downloading,
        Self::MetaDl,
        Self::ForcedMetaDl,
        Self::PausedDl,
        Self::StoppedDl,
        Self::QueuedDl,
        Self::StalledDl,
        Self::CheckingDl,
        Self::ForcedDl,
        Self::CheckingResumeData,
        Self::Moving,
        Self::Unknown,
    ];

    /// Parses qBittorrent's state string; anything unrecognised is `Unknown`, never an error.
    pub fn parse(s: &str) -> Self {
        match s {
            "error" => Self::Error,
            "missingFiles" => Self::MissingFiles,
            "uploading" => Self::Uploading,
            "pausedUP" => Self::PausedUp,
            "stoppedUP" => Self::StoppedUp,
            "queuedUP" => Self::QueuedUp,
            "stalledUP" => Self::StalledUp,
            "checkingUP" => Self::CheckingUp,
            "forcedUP" => Self::ForcedUp,
            "allocating" => Self::Allocating,
            "downloading" => Self::Downloading,
            "metaDL" => Self::MetaDl,
            "forcedMetaDL" => Self::ForcedMetaDl,
            "pausedDL" => Self::PausedDl,
            "stoppedDL" => Self::StoppedDl,
            "queuedDL" => Self::QueuedDl,
            "stalledDL" => Self::StalledDl,
            "checkingDL" => Self::CheckingDl,
            "forcedDL" => Self::ForcedDl,
            "checkingResumeData" => Self::CheckingResumeData,
            "moving" => Self::Moving,
            _ => Self::Unknown,
        }
    }

    /// qBittorrent's own name for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::MissingFiles => "missingFiles",
            Self::Uploading => "uploading",
            Self::PausedUp => "pausedUP",
            Self::StoppedUp => "stoppedUP",
            Self::QueuedUp => "queuedUP",
            Self::StalledUp => "stalledUP",
            Self::CheckingUp => "checkingUP",
            Self::ForcedUp => "forcedUP",
            Self::Allocating => "allocating",
            Self::Downloading => "downloading",
            Self::MetaDl => "metaDL",
            Self::ForcedMetaDl => "forcedMetaDL",
            Self::PausedDl => "pausedDL",
            Self::StoppedDl => "stoppedDL",
            Self::QueuedDl => "queuedDL",
            Self::StalledDl => "stalledDL",
            Self::CheckingDl => "checkingDL",
            Self::ForcedDl => "forcedDL",
            Self::CheckingResumeData => "checkingResumeData",
            Self::Moving => "moving",
            Self::Unknown => "unknown",
        }
    }

    /// States the user or qBittorrent is busy with: never touched.
    /// Forced (user override), checking, allocating, moving, queued for download, unknown.
    pub(crate) fn is_protected(self) -> bool {
        matches!(
            self,
            Self::ForcedDl
                | Self::ForcedUp
                | Self::ForcedMetaDl
                | Self::CheckingUp
                | Self::CheckingDl
                | Self::CheckingResumeData
                | Self::Allocating
                | Self::Moving
                | Self::QueuedDl
                | Self::Unknown
        )
    }

    /// Completed states in which the content is in place (seeding, queued or stopped after completion).
    pub fn is_complete(self) -> bool {
        matches!(
            self,
            Self::Uploading | Self::StalledUp | Self::QueuedUp | Self::PausedUp | Self::StoppedUp
        )
    }

    /// A download stopped by the user or by qBittorrent (4.x "paused", 5.x "stopped").
    pub(crate) fn is_stopped_download(self) -> bool {
        matches!(self, Self::PausedDl | Self::StoppedDl)
    }

    /// A download that is not moving: no peers, or still fetching metadata.
    pub(crate) fn is_stalled(self) -> bool {
        matches!(self, Self::StalledDl | Self::MetaDl)
    }

    /// Still fetching the metadata (so `last_activity` keeps moving and means nothing).
    pub(crate) fn is_metadata(self) -> bool {
        matches!(self, Self::MetaDl | Self::ForcedMetaDl)
    }
}

impl fmt::Display for TorrentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of a qBittorrent torrent that the rules use.
#[derive(Debug, Clone, PartialEq)]
pub struct Torrent {
    /// Lower-case hex, qBittorrent's torrent ID.
    pub hash: String,
    pub name: String,
    pub category: String,
    pub state: TorrentState,
    /// Tags, split from qBittorrent's ", "-joined string.
    pub tags: Vec<String>,
    /// 0.0..=1.0 of the selected files.
    pub progress: f64,
    /// Bytes still to download.
    pub amount_left: i64,
    pub size: i64,
    pub added_on: UnixTime,
    /// ≤ 0 (or before `added_on`) when not completed.
    pub completion_on: UnixTime,
    pub last_activity: UnixTime,
    /// Seconds; 8640000 means "infinite / not applicable".
    pub eta: i64,
    /// -1 when above 9999 (qBittorrent clamps).
    pub ratio: f64,
    /// Seconds spent seeding.
    pub seeding_time: i64,
    /// qBittorrent's ratio limit for this torrent (`max_ratio`: its own — which the Arrs set
    /// from the indexer's seed criteria — or the global one); negative: none.
    pub max_ratio: f64,
    /// qBittorrent's seeding-time limit for this torrent in minutes (`max_seeding_time`, its
    /// own or the global one); negative: none.
    pub max_seeding_minutes: i64,
    pub content_path: String,
    pub save_path: String,
    /// Its place in qBittorrent's download queue (`priority`: 1 is first); 0 or less when it
    /// has none (queueing off, or complete).
    pub queue_position: i64,
    /// Some tracker answered its last announce (qBittorrent's `tracker` is set); false for a
    /// torrent whose every tracker fails, and for one that is not announcing (paused).
    pub tracker_working: bool,
    /// qBittorrent 5 (WebAPI 2.11) names a tracker in `tracker` whether or not it answers
    /// (checked on 5.1.0; 4.5.2 leaves it empty while none does): `tracker_working` then
    /// says nothing, and only `torrents/trackers` tells. Set by whoever knows the version.
    pub tracker_status_unknown: bool,
    /// qBittorrent's `tracker`: the URL of the tracker that answered its last announce; empty
    /// when none did.
    pub tracker_url: String,
    /// Its own upload and download limits in bytes/s (`up_limit`, `dl_limit`); 0: none
    /// (qBittorrent says -1 or 0).
    pub up_limit: u32,
    pub dl_limit: u32,
    /// Super-seeding is on (`super_seeding`).
    pub super_seeding: bool,
}

/// What a torrent object without a field means: empty, zero, and no share limits.
impl Default for Torrent {
    fn default() -> Self {
        Self {
            hash: String::new(),
            name: String::new(),
            category: String::new(),
            state: TorrentState::default(),
            tags: Vec::new(),
            progress: 0.0,
            amount_left: 0,
            size: 0,
            added_on: 0,
            completion_on: 0,
            last_activity: 0,
            eta: 0,
            ratio: 0.0,
            seeding_time: 0,
            max_ratio: -1.0,
            max_seeding_minutes: -1,
            content_path: String::new(),
            save_path: String::new(),
            queue_position: 0,
            // A torrent object without `tracker` gives no sign of failing trackers.
            tracker_working: true,
            up_limit: 0,
            dl_limit: 0,
            super_seeding: false,
            tracker_url: String::new(),
            tracker_status_unknown: false,
        }
    }
}

/// A torrent's ID in 20 bytes: qBittorrent's `hash` (40 hex digits: the v1
/// info-hash, or the v2 one truncated) without the text. Keys the worker's
/// per-torrent memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TorrentId([u8; 20]);

impl TorrentId {
    /// Parses 40 hex digits (either case); `None` for anything else.
    pub fn parse(hash: &str) -> Option<Self> {
        let digits = hash.as_bytes();
        if digits.len() != 40 {
            return None;
        }
        let mut id = [0u8; 20];
        for (byte, pair) in id.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
        }
        Some(Self(id))
    }
}

#[inline]
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hex, as qBittorrent writes it.
impl TorrentId {
    /// Appends the 40 lower-case hex digits to `out`.
    pub(crate) fn write_hex(&self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0u8; 40];
        for (pair, b) in digits.chunks_exact_mut(2).zip(self.0) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 15)];
        }
        // Hex digits are ASCII.
        out.push_str(std::str::from_utf8(&digits).unwrap_or_default());
    }
}

impl fmt::Display for TorrentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// qBittorrent's ETA value for "infinite / not applicable".
#[cfg(test)]
pub(crate) const ETA_INFINITE: i64 = 8_640_000;

impl Torrent {
    /// Downloaded whole: a complete state and nothing left (what import and seeding go by).
    pub(crate) fn is_complete(&self) -> bool {
        self.state.is_complete() && self.amount_left == 0
    }

    /// True when the torrent has the tag (qBittorrent tags are case-sensitive).
    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// True when completion_on is a real completion time.
    pub(crate) fn completed_at(&self) -> Option<UnixTime> {
        (self.completion_on > 0 && self.completion_on >= self.added_on).then_some(self.completion_on)
    }
}

/// What one Arr's queue says about one download (all queue rows with the same downloadId).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct QueueEntry {
    /// Queue item ids (Sonarr has one row per episode, Lidarr one per album).
    pub ids: Vec<i64>,
    /// The media to search for again: movie ids (Radarr), episode ids (Sonarr),
    /// album ids (Lidarr) or book ids (Readarr).
    pub media_ids: Vec<i64>,
    /// The series, artist or author id where the Arr has one.
    pub parent_id: Option<i64>,
    /// trackedDownloadState of the first row, e.g. "downloading", "importPending", "imported".
    pub tracked_state: String,
    /// What the Arr says is wrong with it (errorMessage and statusMessages, shortened), if anything.
    pub messages: String,
    /// trackedDownloadStatus, the worst of its rows.
    pub tracked_status: TrackedStatus,
    /// Every statusMessages title and message of its rows, whole (most downloads have none):
    /// what ArrErrorCodesToBlocklist is matched against.
    pub status_messages: Vec<String>,
    /// customFormatScore, the highest of its rows (Radarr, Sonarr).
    pub format_score: Option<i64>,
    /// The minimum custom-format score of its movie's or series' quality profile, when
    /// ForceMinimumCustomFormat asks for it and its score is below some profile's minimum
    /// (filled in by the worker; `None`: not known).
    pub format_minimum: Option<i64>,
}

/// Whether a qBittorrent can reach its peers, as it reports (`connection_status`), for the
/// rules that remove a torrent for inactivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connection {
    /// Connected or firewalled; `back_at`: when it came back from the last outage seen.
    Up { back_at: Option<UnixTime> },
    /// "disconnected" (not listening: a VPN interface gone, the network down), `since` then.
    Down { since: UnixTime },
}

impl Default for Connection {
    fn default() -> Self {
        Self::Up { back_at: None }
    }
}

impl Connection {
    /// The connection after qBittorrent reported `status` at `now`: an outage starts at
    /// "disconnected" and ends at any other status; nothing reported changes nothing.
    pub(crate) fn after(self, status: Option<&str>, now: UnixTime) -> Self {
        match (self, status) {
            (Self::Up { .. }, Some("disconnected")) => Self::Down { since: now },
            (Self::Down { .. }, Some(s)) if s != "disconnected" => Self::Up { back_at: Some(now) },
            (same, _) => same,
        }
    }

    /// When the last outage seen ended, while connected.
    pub(crate) fn back_at(self) -> Option<UnixTime> {
        match self {
            Self::Up { back_at } => back_at,
            Self::Down { .. } => None,
        }
    }

    /// `t`, or the end of the last outage when that is later: when inactivity can have
    /// started counting.
    pub(crate) fn counted_from(self, t: UnixTime) -> UnixTime {
        self.back_at().map_or(t, |b| t.max(b))
    }
}

/// An Arr's trackedDownloadStatus: whether it sees a problem with a download.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackedStatus {
    #[default]
    Ok,
    Warning,
    Error,
}

impl TrackedStatus {
    /// As the Arrs spell it ("ok", "warning", "error"); anything else counts as ok.
    pub fn parse(s: &str) -> Self {
        match s {
            "warning" => Self::Warning,
            "error" => Self::Error,
            _ => Self::Ok,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// Which *Arr application a section talks to (from its name prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArrKind {
    Radarr,
    Sonarr,
    Lidarr,
    Readarr,
}

/// The per-application differences of the Arr APIs.
impl ArrKind {
    /// The API prefix under the instance's URI.
    pub fn api_prefix(self) -> &'static str {
        match self {
            Self::Radarr | Self::Sonarr => "/api/v3",
            Self::Lidarr | Self::Readarr => "/api/v1",
        }
    }

    /// The command that imports a finished download.
    pub fn scan_command(self) -> &'static str {
        match self {
            Self::Radarr => "DownloadedMoviesScan",
            Self::Sonarr => "DownloadedEpisodesScan",
            Self::Lidarr => "DownloadedAlbumsScan",
            Self::Readarr => "DownloadedBooksScan",
        }
    }

    /// The command that searches the media again, and its id-list field.
    pub fn search_command(self) -> (&'static str, &'static str) {
        match self {
            Self::Radarr => ("MoviesSearch", "movieIds"),
            Self::Sonarr => ("EpisodeSearch", "episodeIds"),
            Self::Lidarr => ("AlbumSearch", "albumIds"),
            Self::Readarr => ("BookSearch", "bookIds"),
        }
    }

    /// The queue record field naming the media searched by [`ArrKind::search_command`].
    pub fn media_id_field(self) -> &'static str {
        match self {
            Self::Radarr => "movieId",
            Self::Sonarr => "episodeId",
            Self::Lidarr => "albumId",
            Self::Readarr => "bookId",
        }
    }

    /// The queue query flag that also lists downloads the Arr could not match.
    pub fn include_unknown_param(self) -> &'static str {
        match self {
            Self::Radarr => "includeUnknownMovieItems",
            Self::Sonarr => "includeUnknownSeriesItems",
            Self::Lidarr => "includeUnknownArtistItems",
            Self::Readarr => "includeUnknownAuthorItems",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Radarr => "Radarr",
            Self::Sonarr => "Sonarr",
            Self::Lidarr => "Lidarr",
            Self::Readarr => "Readarr",
        }
    }
}

/// What we remember of one torrent across passes and restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Memory {
    /// When we first saw it in our category (lets us claim it in the failed/recheck categories).
    pub first_seen: Option<UnixTime>,
    /// When the Arr was seen to have imported it (its import command completed and the
    /// download left its queue, or the queue says imported).
    pub imported_at: Option<UnixTime>,
    /// Where its import stands before that.
    pub import: ImportState,
    /// When we first saw it stalled (the StalledDelay clock).
    pub stalled_since: Option<UnixTime>,
    /// When its release was blocklisted in the Arr (ReSearchStalled, or the failure path).
    pub blocklisted_at: Option<UnixTime>,
    /// When a search for its media was sent.
    pub searched_at: Option<UnixTime>,
    /// When it was last rechecked.
    pub rechecked_at: Option<UnixTime>,
    /// When its files were checked against the file filters (forgotten once it is imported).
    pub files_checked_at: Option<UnixTime>,
    /// When that check found every file excluded: the torrent is then failed.
    pub all_files_excluded_at: Option<UnixTime>,
    /// Our tags when Settings.Tagless is on.
    pub tags: BTreeSet<String>,
}

/// Where a torrent's import stands until the Arr has imported it. Recorded
/// before the command is sent, so a crash or a lost answer never sends it
/// twice: the Arr's command list is asked first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ImportState {
    #[default]
    None,
    /// Attempt `attempt` is about to be sent, or was sent without an answer: look for it
    /// in the Arr's commands before sending it again.
    Sending { since: UnixTime, attempt: u32 },
    /// The Arr accepted attempt `attempt` as command `command`; follow it to completion.
    Sent {
        since: UnixTime,
        command: i64,
        attempt: u32,
    },
    /// It failed `attempts` times in a row; not again before `retry_at`.
    Failed { attempts: u32, retry_at: UnixTime },
}

/// A torrent's Arr queue row as remembered: enough to blocklist and search again after
/// the Arr dropped it (it does, about a minute after the torrent leaves its category).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct QueueRow {
    pub(crate) ids: Vec<i64>,
    pub(crate) media_ids: Vec<i64>,
}

impl QueueRow {
    pub(crate) fn of(entry: &QueueEntry) -> Self {
        Self {
            ids: entry.ids.clone(),
            media_ids: entry.media_ids.clone(),
        }
    }

    /// As a queue entry: the ids, nothing else known.
    pub(crate) fn entry(&self) -> QueueEntry {
        QueueEntry {
            ids: self.ids.clone(),
            media_ids: self.media_ids.clone(),
            ..QueueEntry::default()
        }
    }
}

/// One line of the audit log: a step that deleted something or changed an Arr
/// (or, in a dry run, would have), with the rule that decided it and its numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct AuditEntry {
    pub(crate) time: UnixTime,
    pub(crate) instance: String,
    pub(crate) hash: String,
    pub(crate) name: String,
    pub(crate) rule: String,
    /// The numbers the rule compared.
    pub(crate) detail: String,
    /// What was done: "delete with files", "blocklist", "search", "import", "imported", …
    pub(crate) step: String,
    /// "ok", or what went wrong.
    pub(crate) outcome: String,
    /// Only decided: a dry run sent nothing.
    #[serde(default)]
    pub(crate) dry_run: bool,
}

/// What a removal does to the torrent's Arr queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum QueueStep {
    /// Leave the queue alone (seeding removal: the Arr is done with it).
    Keep,
    /// Remove the entry without blocklisting (missing files).
    Remove,
    /// Remove the entry and blocklist the release (a failed download).
    Blocklist,
}

/// A removal or a blocklist that was started and is not finished: recorded
/// before its first step, each step marked as it succeeds, retried until done
/// (also across restarts and after the torrent left qBittorrent). The steps
/// run in this order: the qBittorrent delete, the Arr queue step, the search.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Intent {
    /// The torrent's name, for the log.
    pub(crate) name: String,
    /// The rule that decided it, and the numbers it compared, for the logs.
    pub(crate) rule: String,
    #[serde(default)]
    pub(crate) detail: String,
    /// The qBittorrent section holding the torrent.
    pub(crate) qbit: String,
    /// `Some(delete_files)`: remove the torrent from qBittorrent; `None`: keep it (ReSearchStalled).
    pub(crate) delete: Option<bool>,
    /// What to do to its Arr queue entry.
    pub(crate) queue: QueueStep,
    /// Search the media again.
    pub(crate) research: bool,
    /// The Arr queue item ids and the media they are for, as the queue said when it was started.
    pub(crate) queue_ids: Vec<i64>,
    pub(crate) media_ids: Vec<i64>,
    /// The steps done so far.
    pub(crate) deleted: bool,
    pub(crate) queue_done: bool,
    pub(crate) searched: bool,
    /// Set just before a search is sent: the newest command id the Arr listed then. Still
    /// set on the next attempt, it means the last answer was lost, and a search the Arr
    /// queued after this id is that one (not sent again).
    #[serde(default)]
    pub(crate) search_after: Option<i64>,
    pub(crate) started_at: UnixTime,
    /// Failed attempts so far, and when to try again.
    pub(crate) attempts: u32,
    pub(crate) next_try_at: UnixTime,
}

impl Intent {
    /// Every step done (or not asked for).
    pub(crate) fn is_done(&self) -> bool {
        let queue_left = self.queue != QueueStep::Keep && !self.queue_ids.is_empty() && !self.queue_done;
        let search_left = self.research && !self.media_ids.is_empty() && !self.searched;
        (self.deleted || self.delete.is_none()) && !queue_left && !search_left
    }

    /// Asks for what `other` asks for too: the torrent's removal, the stronger queue step, a search.
    pub(crate) fn merge(&mut self, delete: Option<bool>, queue: QueueStep, research: bool) {
        if self.delete.is_none() {
            self.delete = delete;
            self.deleted = false;
        }
        if queue > self.queue && !self.queue_done {
            self.queue = queue;
        }
        self.research |= research;
    }
}

/// The tags qBitrr uses; the same names, so a switch from qBitrr keeps its state.
pub mod tags {
    /// Set by the user: never touch this torrent.
    pub const IGNORED: &str = "qBitrr-ignored";
    /// Set after the import command was accepted.
    pub const IMPORTED: &str = "qBitrr-imported";
    /// Set while a torrent is stalled and within its StalledDelay.
    pub const ALLOWED_STALLED: &str = "qBitrr-allowed_stalled";
    /// Set on a download paused because it does not fit in the free space (Settings.FreeSpace).
    pub const FREE_SPACE_PAUSED: &str = "qBitrr-free_space_paused";
    /// Set while a tracker entry's hit-and-run rule holds back a removal of the torrent.
    pub const HNR_ACTIVE: &str = "qBitrr-hnr_active";
    /// Every tag a rule reads (a view keeps only these, as bits, in this order).
    pub const READ_BY_RULES: [&str; 5] = [IGNORED, IMPORTED, ALLOWED_STALLED, FREE_SPACE_PAUSED, HNR_ACTIVE];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_is_listed_in_declaration_order() {
        for (i, state) in TorrentState::ALL.iter().enumerate() {
            assert_eq!(*state as usize, i, "{state}");
        }
    }

    #[test]
    fn a_torrent_id_is_40_hex_digits_and_prints_lower_case() {
        let hash = "0123456789ABCDEFabcdef0123456789abcdef01";
        let id = TorrentId::parse(hash).unwrap();
        assert_eq!(id.to_string(), hash.to_ascii_lowercase());
        assert_eq!(TorrentId::parse(&hash.to_ascii_lowercase()), Some(id));
        for bad in [
            "",
            "abc",
            &hash[..39],
            &format!("{hash}0"),
            &hash.replace('A', "g"),
            "+1",
        ] {
            assert_eq!(TorrentId::parse(bad), None, "{bad:?}");
        }
        // A multi-byte character must not split into "hex" bytes.
        assert_eq!(TorrentId::parse(&format!("é{}", &hash[2..])), None);
    }
}
