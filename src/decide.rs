//! The decision core: a pure function from (the torrent as qBittorrent
//! reports it, its Arr queue entry, what we remember of it, the instance's
//! rules, now) to the actions to take, with the rule that fired and the
//! numbers it compared.
//!
//! No I/O, no clock, no logging. Rules are tried in a fixed order and the
//! first that matches decides (see [`decide`]). Destructive actions are only
//! produced behind the safety gates: our category (or a failed/recheck
//! category we saw the torrent in first), no `qBitrr-ignored` tag, not in a
//! protected state, older than the age gate, progress at most
//! MaximumDeletablePercentage, and seeding removal only after an import.

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::category::Subcategories;
use crate::config::{ImportMode, RemoveTorrent, StalledDelay};
use crate::file_filter::FileFilter;
use crate::free_space::{human, Space};
pub use crate::model::QueueStep;
use crate::model::{
    tags, Connection, ImportState, Memory, QueueEntry, Torrent, TorrentState, TrackedStatus, UnixTime,
};
use crate::qbit::Setting;
use crate::tracker::{self, Owing, TorrentSettings, TrackerEdit, TrackerEntry};

mod explain;
pub use explain::{explain, render, Check, Explanation, Next};

/// Seconds a completed torrent must have been complete before it is imported,
/// so qBittorrent has finished writing and moving its files.
pub(crate) const IMPORT_SETTLE_SECS: i64 = 10;
/// Seconds between two rechecks of a torrent that stays in the error state.
pub(crate) const ERROR_RECHECK_INTERVAL_SECS: i64 = 600;
/// A removal rests on what `torrents/trackers` said at most this many seconds ago (the worker
/// reads them again before a removal when older).
pub(crate) const TRACKERS_FRESH_SECS: i64 = 3_600;
/// With tracker edits on, a torrent's trackers are read again this long after the last read
/// (a tracker that dies while another still answers leaves no trace in the torrent list).
pub(crate) const TRACKER_EDITS_REFRESH_SECS: i64 = 86_400;
/// Where qBittorrent does not say whether a torrent's trackers answer (5.x), an announcing
/// private torrent's trackers are read again this long after the last read, for the
/// unregistered rule.
pub(crate) const UNKNOWN_STATUS_REFRESH_SECS: i64 = 6 * 3_600;

/// The rules of one Arr instance, as the decision core needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// The qBittorrent category this Arr owns.
    pub category: String,
    /// MatchSubcategories: which categories below `category` are this Arr's too.
    pub subcategories: Subcategories,
    /// Settings.FailedCategory / RecheckCategory.
    pub failed_category: String,
    pub recheck_category: String,
    /// Settings.Tagless: keep our tags in the store instead of qBittorrent.
    pub tagless: bool,
    /// Settings.IgnoreTorrentsYoungerThan (failed/recheck categories), seconds.
    pub category_min_age: i64,
    /// Torrent.IgnoreTorrentsYoungerThan (every removal rule), seconds.
    pub min_age: i64,
    pub stalled_delay: StalledDelay,
    pub re_search_stalled: bool,
    pub re_search: bool,
    /// Torrent.MaximumETA in seconds (None = off).
    pub maximum_eta: Option<i64>,
    pub do_not_remove_slow: bool,
    /// Fraction 0..=1: incomplete torrents above it are never deleted.
    pub max_deletable_progress: f64,
    pub max_upload_ratio: Option<f64>,
    /// Seconds.
    pub max_seeding_time: Option<i64>,
    pub remove_torrent: RemoveTorrent,
    /// SeedingMode's (CategorySeeding's) DownloadRateLimitPerTorrent/UploadRateLimitPerTorrent.
    pub settings: TorrentSettings,
    pub import_mode: ImportMode,
    /// ArrErrorCodesToBlocklist: texts that, in the status messages of a download whose
    /// import the Arr holds back, fail it.
    pub arr_error_codes: Vec<String>,
    /// EntrySearch.ForceMinimumCustomFormat with CustomFormatUnmetSearch: a
    /// download whose custom-format score is below its profile's minimum is failed.
    pub format_minimum: bool,
    /// Torrent.FolderExclusionRegex, FileNameExclusionRegex, FileExtensionAllowlist.
    pub file_filter: FileFilter,
    /// Torrent.AutoDelete: after an import, delete the files the filters excluded.
    pub auto_delete: bool,
    /// Torrent.RemovePrivateWithoutEntry (ours): a private torrent no tracker entry speaks
    /// for may be removed.
    pub remove_private_without_entry: bool,
    /// Some tracker entry of this Arr sets a limit (MaxUploadRatio, MaxSeedingTime,
    /// MaximumETA): a torrent the view knows no announce URL of has its trackers read before
    /// its limits are judged.
    pub tracker_limits: bool,
    /// Torrent.UnregisteredDelay (ours) in seconds; `None`: unregistered torrents are kept.
    pub unregistered_delay: Option<i64>,
    /// Every AddTags tag of the tracker entries that can apply: ours to add and remove.
    pub owned_tags: Vec<String>,
    /// Some tracker entry adds or removes trackers (AddTrackerIfMissing, RemoveIfExists), or
    /// SeedingMode.RemoveDeadTrackers is on: every torrent of ours has its trackers read once,
    /// and again a day on.
    pub tracker_edits: bool,
    /// Some tracker entry has SortTorrents on: every download of ours has its trackers read.
    pub sorts_queue: bool,
    /// An Arr stands behind the category. Without one (`[qBit] ManagedCategories`) there is
    /// nothing to import into, so a complete torrent is judged as imported, and no removal
    /// touches an Arr queue or searches.
    pub has_arr: bool,
}

impl Rules {
    /// Builds the rules of one Arr section.
    pub(crate) fn from_config(settings: &crate::config::Settings, arr: &crate::config::Arr) -> Self {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            category: arr.category.clone(),
            subcategories: arr.subcategories.clone(),
            failed_category: settings.failed_category.clone(),
            recheck_category: settings.recheck_category.clone(),
            tagless: settings.tagless,
            category_min_age: secs(settings.ignore_younger_than),
            min_age: secs(arr.torrent.ignore_younger_than),
            stalled_delay: arr.torrent.stalled_delay,
            re_search_stalled: arr.torrent.re_search_stalled,
            re_search: arr.re_search,
            maximum_eta: arr.torrent.maximum_eta.map(secs),
            do_not_remove_slow: arr.torrent.do_not_remove_slow,
            max_deletable_progress: arr.torrent.maximum_deletable_percentage,
            max_upload_ratio: arr.seeding.max_upload_ratio,
            max_seeding_time: arr.seeding.max_seeding_time.map(secs),
            remove_torrent: arr.seeding.remove_torrent,
            settings: arr.seeding.settings,
            import_mode: arr.import_mode,
            arr_error_codes: arr.arr_error_codes.clone(),
            format_minimum: arr.search.forces_format_minimum(),
            file_filter: arr.torrent.file_filter.clone(),
            auto_delete: arr.torrent.auto_delete,
            remove_private_without_entry: arr.torrent.remove_private_without_entry,
            tracker_limits: false,
            unregistered_delay: arr.torrent.unregistered_delay.map(secs),
            owned_tags: Vec::new(),
            tracker_edits: !arr.seeding.dead_tracker_texts.is_empty(),
            sorts_queue: false,
            has_arr: arr.has_arr(),
        }
    }

    /// Whether a torrent in `category` is this Arr's: its own category, or one below it that
    /// it matches (MatchSubcategories).
    pub fn owns(&self, category: &str) -> bool {
        self.subcategories.owns(&self.category, category)
    }

    /// These rules where `entries` are the tracker entries that can apply (the Arr's and its
    /// qBittorrents').
    pub(crate) fn with_entries<'e>(mut self, entries: impl IntoIterator<Item = &'e TrackerEntry>) -> Self {
        for entry in entries {
            self.tracker_limits |= entry.sets_limits();
            self.tracker_edits |= entry.add_url.is_some() || entry.remove_if_exists;
            self.sorts_queue |= entry.sort;
            for tag in entry.add_tags.iter() {
                if !self.owned_tags.contains(tag) {
                    self.owned_tags.push(tag.clone());
                }
            }
        }
        self
    }
}

/// The rule that decided, by name. Names are stable: logs, tests and metrics use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    // Keep `Rule::ALL` in this order.
    OtherCategory,
    IgnoredTag,
    FailedCategory,
    RecheckCategory,
    UnclaimedCategory,
    ProtectedState,
    ArrError,
    FormatMinimum,
    AllFilesExcluded,
    FileFilter,
    Import,
    ImportSettling,
    ImportRefused,
    ImportPending,
    ImportFailed,
    TagImported,
    FreeSpaceHeld,
    FreeSpacePause,
    FreeSpaceResume,
    ResumePaused,
    TooYoung,
    MissingFiles,
    ErrorRecheck,
    Unregistered,
    SeedingLimit,
    Offline,
    StalledFirstSeen,
    StalledWaiting,
    StalledTagOnly,
    StalledNearlyDone,
    StalledDelete,
    StalledOff,
    Slow,
    Stale,
    TrackersUnread,
    HitAndRun,
    PrivateKept,
    NoAction,
}

impl Rule {
    /// Every rule, in declaration order (so `ALL[r as usize] == r`).
    pub const ALL: [Rule; 38] = [
        Self::OtherCategory,
        Self::IgnoredTag,
        Self::FailedCategory,
        Self::RecheckCategory,
        Self::UnclaimedCategory,
        Self::ProtectedState,
        Self::ArrError,
        Self::FormatMinimum,
        Self::AllFilesExcluded,
        Self::FileFilter,
        Self::Import,
        Self::ImportSettling,
        Self::ImportRefused,
        Self::ImportPending,
        Self::ImportFailed,
        Self::TagImported,
        Self::FreeSpaceHeld,
        Self::FreeSpacePause,
        Self::FreeSpaceResume,
        Self::ResumePaused,
        Self::TooYoung,
        Self::MissingFiles,
        Self::ErrorRecheck,
        Self::Unregistered,
        Self::SeedingLimit,
        Self::Offline,
        Self::StalledFirstSeen,
        Self::StalledWaiting,
        Self::StalledTagOnly,
        Self::StalledNearlyDone,
        Self::StalledDelete,
        Self::StalledOff,
        Self::Slow,
        Self::Stale,
        Self::TrackersUnread,
        Self::HitAndRun,
        Self::PrivateKept,
        Self::NoAction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::OtherCategory => "other-category",
            Self::IgnoredTag => "ignored-tag",
            Self::FailedCategory => "failed-category",
            Self::RecheckCategory => "recheck-category",
            Self::UnclaimedCategory => "unclaimed-category",
            Self::ProtectedState => "protected-state",
            Self::ArrError => "arr-error",
            Self::FormatMinimum => "custom-format-min",
            Self::AllFilesExcluded => "all-files-excluded",
            Self::FileFilter => "file-filter",
            Self::Import => "import",
            Self::ImportSettling => "import-settling",
            Self::ImportRefused => "import-refused",
            Self::ImportPending => "import-pending",
            Self::ImportFailed => "import-failed",
            Self::TagImported => "tag-imported",
            Self::FreeSpaceHeld => "free-space-held",
            Self::FreeSpacePause => "free-space-pause",
            Self::FreeSpaceResume => "free-space-resume",
            Self::ResumePaused => "resume-paused",
            Self::TooYoung => "too-young",
            Self::MissingFiles => "missing-files",
            Self::ErrorRecheck => "error-recheck",
            Self::Unregistered => "unregistered",
            Self::SeedingLimit => "seeding-limit",
            Self::Offline => "offline",
            Self::StalledFirstSeen => "stalled-first-seen",
            Self::StalledWaiting => "stalled-waiting",
            Self::StalledTagOnly => "stalled-tag-only",
            Self::StalledNearlyDone => "stalled-nearly-done",
            Self::StalledDelete => "stalled-delete",
            Self::StalledOff => "stalled-off",
            Self::Slow => "slow",
            Self::Stale => "stale",
            Self::TrackersUnread => "trackers-unread",
            Self::HitAndRun => "hit-and-run",
            Self::PrivateKept => "private-kept",
            Self::NoAction => "no-action",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing to do to a torrent. The loop applies them in a fixed order
/// (resume, pause, recheck, category, file filters, imports, failures, tags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Resume,
    /// Pause (4.x) or stop (5.x) the torrent.
    Pause,
    Recheck,
    SetCategory(String),
    /// Send the Arr's Downloaded*Scan for this path (recorded as being sent first).
    Import {
        path: String,
    },
    /// An import was recorded but its answer never came: find it in the Arr's commands,
    /// or send it (this path) when the Arr has none.
    FindImport {
        path: String,
    },
    /// Follow the import command to completion, and see the download leave the queue.
    CheckImport {
        command: i64,
    },
    /// Remove the torrent from qBittorrent first; then, only if that worked,
    /// do `queue` to its Arr queue entry, then search the media again when `research`.
    Remove {
        delete_files: bool,
        queue: QueueStep,
        research: bool,
    },
    /// Blocklist the release in the Arr but keep the torrent (ReSearchStalled), then search when `research`.
    BlocklistKeep {
        research: bool,
    },
    /// Read the torrent's files once and set those the file filters exclude to priority 0
    /// (remembered, with whether every file was excluded).
    FilterFiles,
    /// Read the torrent's trackers (`torrents/trackers`) before anything else is decided:
    /// the worker does it while verifying, and decides again on what they say.
    ReadTrackers,
    AddTag(&'static str),
    RemoveTag(&'static str),
    /// A rate limit or super-seeding, from its tracker entry or SeedingMode, where the torrent
    /// differs (set once; set again only when it drifts).
    Set(Setting),
    /// Its tracker entry's AddTags tag, which it lacks.
    TagWith(String),
    /// An AddTags tag of an entry that does not speak for it (any more).
    Untag(String),
    /// Trackers to add (AddTrackerIfMissing) and remove (RemoveIfExists, RemoveDeadTrackers);
    /// its trackers are read again after.
    EditTrackers(TrackerEdit),
}

impl Action {
    /// True for actions that lose data or tell the Arr a download failed.
    pub(crate) fn is_destructive(&self) -> bool {
        matches!(self, Self::Remove { .. } | Self::BlocklistKeep { .. })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resume => f.write_str("resume"),
            Self::Pause => f.write_str("pause"),
            Self::Recheck => f.write_str("recheck"),
            Self::SetCategory(c) => write!(f, "set category {c:?}"),
            Self::Import { path } => write!(f, "import {path:?}"),
            Self::FindImport { path } => write!(f, "find the import of {path:?} in the Arr's commands"),
            Self::CheckImport { command } => write!(f, "check import command {command}"),
            Self::Remove {
                delete_files,
                queue,
                research,
            } => {
                f.write_str(if *delete_files {
                    "remove torrent and files"
                } else {
                    "remove torrent (keep files)"
                })?;
                match queue {
                    QueueStep::Keep => {}
                    QueueStep::Remove => f.write_str(", remove from the Arr queue")?,
                    QueueStep::Blocklist => f.write_str(", blocklist")?,
                }
                if *research {
                    f.write_str(", search again")?;
                }
                Ok(())
            }
            Self::Set(setting) => write!(f, "set {setting}"),
            Self::TagWith(tag) => write!(f, "tag {tag:?}"),
            Self::Untag(tag) => write!(f, "untag {tag:?}"),
            Self::EditTrackers(edit) => write!(f, "edit trackers ({})", edit.why),
            Self::BlocklistKeep { research } => {
                f.write_str("blocklist (keep torrent)")?;
                if *research {
                    f.write_str(", search again")?;
                }
                Ok(())
            }
            Self::FilterFiles => f.write_str("skip the files the file filters exclude"),
            Self::ReadTrackers => f.write_str("read its trackers"),
            Self::AddTag(t) => write!(f, "add tag {t}"),
            Self::RemoveTag(t) => write!(f, "remove tag {t}"),
        }
    }
}

/// The outcome for one torrent.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub rule: Rule,
    /// The numbers the rule compared, for the log line.
    pub detail: String,
    pub actions: Vec<Action>,
    /// What to remember now, whatever the actions' outcome. (Facts that depend
    /// on an action succeeding, such as `imported_at`, are recorded by the loop.)
    pub memory: Memory,
}

/// Everything the decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub torrent: &'a Torrent,
    pub queue: Option<&'a QueueEntry>,
    pub memory: &'a Memory,
    pub rules: &'a Rules,
    /// Whether the torrent's qBittorrent can reach its peers.
    pub connection: Connection,
    /// What the free-space guard says of it.
    pub space: Space,
    /// What its trackers said, when they were read.
    pub trackers: Trackers<'a>,
    pub now: UnixTime,
}

/// What `torrents/trackers` said of a torrent, as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trackers<'a> {
    /// Not read yet, and no announce URL known.
    Unread,
    /// Not read yet, but the view knows announce URLs of it (sync/maindata's tracker map, or
    /// the tracker that answered last on older qBittorrent): the entry they pick is enough to
    /// judge limits and set what entries set. Not enough to remove it (privacy, hit-and-run and
    /// the trackers' messages are unknown): that reads its trackers first.
    Hosts { entry: Option<&'a TrackerEntry> },
    Read {
        private: bool,
        /// The tracker entry that speaks for it (see [`tracker::pick`]).
        entry: Option<&'a TrackerEntry>,
        /// When they were read.
        at: UnixTime,
        /// Some tracker answered its last announce then.
        working: bool,
        /// Every tracker has called it unregistered, in each read since `since`.
        unregistered: Option<Unregistered<'a>>,
        /// What the tracker entries and RemoveDeadTrackers would change in its trackers.
        edit: Option<&'a TrackerEdit>,
    },
}

/// Every tracker of a torrent calls it unregistered (see [`tracker::unregistered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unregistered<'a> {
    /// The first read that said so, of those since that all did.
    pub since: UnixTime,
    /// What a tracker answered.
    pub message: &'a str,
}

impl<'a> Trackers<'a> {
    fn entry(self) -> Option<&'a TrackerEntry> {
        self.known_entry().flatten()
    }

    /// The entry that speaks for the torrent, read or picked from the view's announce URLs
    /// (`Some(None)`: none does); `None` while neither is known.
    pub(crate) fn known_entry(self) -> Option<Option<&'a TrackerEntry>> {
        match self {
            Self::Read { entry, .. } | Self::Hosts { entry } => Some(entry),
            Self::Unread => None,
        }
    }

    fn is_read(self) -> bool {
        matches!(self, Self::Read { .. })
    }
}

impl Inputs<'_> {
    /// Whether the unregistered rule watches it: UnregisteredDelay is set, and the torrent
    /// announces (it is active).
    fn announces(&self) -> bool {
        use TorrentState as S;
        self.rules.unregistered_delay.is_some()
            && matches!(
                self.torrent.state,
                S::Downloading | S::StalledDl | S::MetaDl | S::Uploading | S::StalledUp
            )
    }

    /// Whether its trackers are worth reading for the unregistered rule: it announces, yet no
    /// tracker answered its last announce.
    fn announce_failing(&self) -> bool {
        self.announces() && !self.torrent.tracker_status_unknown && !self.torrent.tracker_working
    }

    /// It announces, and qBittorrent (5) does not say whether a tracker answers: its trackers
    /// are read once, and a private torrent's again every [`UNKNOWN_STATUS_REFRESH_SECS`].
    fn announce_unknown(&self) -> bool {
        self.announces() && self.torrent.tracker_status_unknown
    }

    /// Torrent.MaximumETA, or its tracker entry's when that sets one.
    fn maximum_eta(&self) -> Option<i64> {
        self.trackers
            .entry()
            .and_then(|e| e.maximum_eta)
            .or(self.rules.maximum_eta)
    }

    /// SeedingMode.MaxUploadRatio and MaxSeedingTime, each replaced by its tracker entry's
    /// when that sets one (a -1 there leaves SeedingMode's), and which entry that was.
    fn seeding_limits(&self) -> (Option<f64>, Option<i64>, Option<&str>) {
        let entry = self.trackers.entry();
        let ratio = entry.and_then(|e| e.max_upload_ratio);
        let time = entry.and_then(|e| e.max_seeding_time);
        let from = entry
            .filter(|_| ratio.is_some() || time.is_some())
            .map(|e| e.name.as_str());
        (
            ratio.or(self.rules.max_upload_ratio),
            time.or(self.rules.max_seeding_time),
            from,
        )
    }

    fn has_tag(&self, tag: &str) -> bool {
        if self.rules.tagless && tag != tags::IGNORED {
            self.memory.tags.contains(tag)
        } else {
            self.torrent.has_tag(tag)
        }
    }

    fn imported(&self) -> bool {
        !self.rules.has_arr
            || self.memory.imported_at.is_some()
            || self.has_tag(tags::IMPORTED)
            || self.queue.is_some_and(|q| q.tracked_state == "imported")
    }

    /// What [`Inputs::imported`] went by, for [`explain`].
    fn imported_why(&self) -> String {
        if !self.rules.has_arr {
            "no Arr behind the category (qBit.ManagedCategories): nothing to import into".into()
        } else if let Some(at) = self.memory.imported_at {
            format!("imported {}s ago", self.now - at)
        } else if self.has_tag(tags::IMPORTED) {
            let place = if self.rules.tagless { " (in the store)" } else { "" };
            format!("tagged {}{place}", tags::IMPORTED)
        } else {
            "the Arr's queue says imported".into()
        }
    }

    fn age(&self) -> i64 {
        self.now - self.torrent.added_on
    }

    /// Torrent.IgnoreTorrentsYoungerThan, its clock reported to `tr`: `Some(numbers)` while
    /// the torrent is younger.
    fn too_young<T: Trace>(&self, tr: &mut T) -> Option<String> {
        let min_age = self.rules.min_age;
        tr.clock(self.torrent.added_on.saturating_add(min_age), || {
            format!("age reaches IgnoreTorrentsYoungerThan {min_age}s")
        });
        let age = self.age();
        (age < min_age).then(|| format!("age {age}s < IgnoreTorrentsYoungerThan {min_age}s"))
    }

    /// When inactivity started counting: the last activity, or the end of the last outage
    /// when that is later.
    fn idle_since(&self) -> UnixTime {
        self.connection.counted_from(self.torrent.last_activity)
    }

    /// Seconds without activity (see [`Inputs::idle_since`]).
    fn idle(&self) -> i64 {
        self.now - self.idle_since()
    }

    /// A download further along than MaximumDeletablePercentage, which is never failed: why.
    fn past_deletable(&self, complete: bool) -> Option<String> {
        let (progress, max) = (self.torrent.progress, self.rules.max_deletable_progress);
        (!complete && progress > max)
            .then(|| format!("progress {progress:.4} > MaximumDeletablePercentage {max}"))
    }

    /// The failure path for a download that will not finish: remove it with
    /// its files, blocklist the release (unless ReSearchStalled already did), search again.
    fn fail(&self) -> Action {
        Action::Remove {
            delete_files: true,
            queue: if self.memory.blocklisted_at.is_none() {
                QueueStep::Blocklist
            } else {
                QueueStep::Remove
            },
            research: self.rules.re_search && self.memory.searched_at.is_none(),
        }
    }
}

/// Decides what to do with one torrent. First match wins, in this order:
///
/// 1. `other-category`: not our category, nor failed/recheck → nothing.
/// 2. `ignored-tag`: tagged `qBitrr-ignored` → nothing, ever.
/// 3. `failed-category` / `recheck-category` (only torrents we first saw in
///    our category: `unclaimed-category` otherwise; and older than
///    Settings.IgnoreTorrentsYoungerThan): remove + blocklist + search /
///    recheck + move back to our category.
/// 4. `protected-state`: forced, checking, allocating, moving, queuedDL, unknown → nothing.
///
///    4a. `arr-error`: complete, older than Torrent.IgnoreTorrentsYoungerThan, and the Arr
///    holds its import back (importPending, importBlocked or a warning) with a status message
///    that contains an ArrErrorCodesToBlocklist text → remove with files + blocklist + search.
///
///    4a'. `custom-format-min`: ForceMinimumCustomFormat and CustomFormatUnmetSearch on, not
///    imported, older than Torrent.IgnoreTorrentsYoungerThan, not above
///    MaximumDeletablePercentage while incomplete, and the Arr's queue gives it a custom-format
///    score below its movie's, series', artist's or author's quality profile minimum → remove
///    with files + blocklist + search.
///
///    4b. `all-files-excluded`: an earlier file check found every file excluded by the file
///    filters, and it is not imported; once older than Torrent.IgnoreTorrentsYoungerThan (`too-young` before) →
///    remove with files + blocklist + search.
///
///    4c. `file-filter`: incomplete, not imported, metadata known, not checked yet, and a
///    filter list is set → read its files once and skip (priority 0) those excluded. This
///    action goes with the decision of the rules below (unless it removes the torrent), so a
///    check that keeps failing never holds them back.
///
/// 5. `import` once, when complete for a few seconds (`import-settling` before),
///    whatever the seeding rules say; `import-refused` for a torrent without a root
///    folder (its content path is the category folder).
/// 6. `resume-paused`: a paused/stopped incomplete download → resume.
/// 7. `too-young`: added less than Torrent.IgnoreTorrentsYoungerThan ago → nothing destructive.
/// 8. `missing-files` → remove the torrent, keep what files remain, no blocklist.
/// 9. `error-recheck` → recheck (at most every 10 minutes).
///
///    9a. `unregistered`: every tracker has called it unregistered (Torrent.UnregisteredMessages)
///    for Torrent.UnregisteredDelay, as a read at least that long after the first one that
///    said so confirms (read again first) → an imported torrent is removed with its files; a
///    download (not above MaximumDeletablePercentage) is failed: removed with files,
///    blocklisted, searched again. Hit-and-run does not hold it back (rule 15).
/// 10. `seeding-limit` (imported only) per RemoveTorrent → remove with files.
///
///     10a. `offline`: qBittorrent reports `connection_status` disconnected → nothing (no
///     stalled clock starts, nothing is removed as stalled, slow or stale; after the outage
///     those clocks count from its end, and `slow` waits IgnoreTorrentsYoungerThan).
///
/// 11. stalled (stalledDL, metaDL) per StalledDelay: `stalled-first-seen`
///     (tag, optional ReSearchStalled blocklist), `stalled-waiting`,
///     `stalled-tag-only`, `stalled-nearly-done`, `stalled-delete`;
///     `stalled-off` with StalledDelay -1 (never removed, also not as slow or stale).
/// 12. `slow`: ETA above MaximumETA with DoNotRemoveSlow off → fail.
/// 13. `stale`: no activity for MaximumETA → fail.
/// 14. `no-action`.
/// 15. Over every removal decided above, the trackers (see `tracker_gate`): `trackers-unread`
///     (read them first), `hit-and-run` (its tracker entry's HnR rule is owed), `private-kept`
///     (private, no tracker entry, RemovePrivateWithoutEntry off) keep the torrent.
///
/// Every decision for a torrent that is no longer stalled forgets the stalled
/// clock and removes the `qBitrr-allowed_stalled` tag.
///
/// [`explain`] runs the same code and also reports every rule passed over.
pub fn decide(input: Inputs<'_>) -> Decision {
    decide_traced(input, &mut Silent)
}

/// What the rules report besides their decision, for [`explain`]: each rule
/// tried that did not match and why, and each comparison with the clock.
///
/// The rules take it as a generic parameter: [`decide`] passes [`Silent`],
/// whose methods are empty, so its texts are never built and the calls
/// compile away. There is one copy of the rules, and `explain` runs it.
pub(crate) trait Trace {
    /// `rule` was tried and did not match, because of `why`.
    fn passed(&mut self, rule: Rule, why: impl FnOnce() -> String);
    /// A comparison with the clock whose outcome turns at `at` (later times
    /// compare the other way); `what` says what is reached then, to follow
    /// "once": "age reaches IgnoreTorrentsYoungerThan 180s".
    fn clock(&mut self, at: UnixTime, what: impl FnOnce() -> String);
}

/// The tracer of [`decide`]: records nothing.
pub(crate) struct Silent;

impl Trace for Silent {
    #[inline(always)]
    fn passed(&mut self, _: Rule, _: impl FnOnce() -> String) {}
    #[inline(always)]
    fn clock(&mut self, _: UnixTime, _: impl FnOnce() -> String) {}
}

/// [`decide`], and the earliest time after `now` at which the same inputs
/// could be decided otherwise (`None`: only other inputs can change it). The
/// rules report every comparison with the clock (see [`Trace::clock`]), so a
/// decision on unchanged inputs stands until then.
pub(crate) fn decide_until(input: Inputs<'_>) -> (Decision, Option<UnixTime>) {
    let mut turn = NextTurn {
        now: input.now,
        earliest: None,
    };
    let d = decide_traced(input, &mut turn);
    (d, turn.earliest)
}

/// The tracer of [`decide_until`]: the earliest clock comparison still to turn.
struct NextTurn {
    now: UnixTime,
    earliest: Option<UnixTime>,
}

impl Trace for NextTurn {
    #[inline(always)]
    fn passed(&mut self, _: Rule, _: impl FnOnce() -> String) {}
    #[inline(always)]
    fn clock(&mut self, at: UnixTime, _: impl FnOnce() -> String) {
        if at > self.now {
            self.earliest = Some(self.earliest.map_or(at, |e| e.min(at)));
        }
    }
}

/// [`decide`], reporting to `tr`.
pub(crate) fn decide_traced<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Decision {
    let touchable = |rule| {
        !matches!(
            rule,
            Rule::OtherCategory | Rule::IgnoredTag | Rule::UnclaimedCategory | Rule::ProtectedState
        )
    };
    let d = decide_rule(input, tr);
    let mut d = if touchable(d.rule) {
        let mut d = tracker_gate(input, d, tr);
        mark_hit_and_run(input, &mut d);
        apply_settings(input, &mut d);
        d
    } else {
        d
    };
    let removed = d.actions.iter().any(|a| matches!(a, Action::Remove { .. }));
    let touchable = touchable(d.rule);
    if touchable && !removed && !input.torrent.state.is_stalled() {
        forget_stalled(input, &mut d);
    }
    // The file check only matters before the import; forgetting it keeps the memory small.
    if d.memory.imported_at.is_some() {
        d.memory.files_checked_at = None;
    }
    if !input.rules.has_arr {
        without_arr(&mut d);
    }
    d
}

/// Without an Arr, a removal is only a removal: no queue entry to remove or blocklist, nothing
/// to search again, and nothing to blocklist while keeping the torrent.
fn without_arr(d: &mut Decision) {
    d.actions.retain(|a| !matches!(a, Action::BlocklistKeep { .. }));
    for action in &mut d.actions {
        if let Action::Remove { queue, research, .. } = action {
            *queue = QueueStep::Keep;
            *research = false;
        }
    }
}

/// 9a. `unregistered` (see [`decide`]).
fn unregistered<T: Trace>(input: Inputs<'_>, complete: bool, tr: &mut T) -> Option<Decision> {
    let (r, now) = (input.rules, input.now);
    let Some(delay) = r.unregistered_delay else {
        tr.passed(Rule::Unregistered, || {
            "Torrent.UnregisteredDelay is -1 (off)".into()
        });
        return None;
    };
    let Trackers::Read {
        at,
        unregistered: Some(u),
        ..
    } = input.trackers
    else {
        tr.passed(Rule::Unregistered, || match input.trackers {
            Trackers::Unread | Trackers::Hosts { .. } => "its trackers were not read".into(),
            Trackers::Read { .. } => "not every tracker calls it unregistered".into(),
        });
        return None;
    };
    let due = u.since.saturating_add(delay);
    let said = || {
        format!(
            "every tracker calls it unregistered ({:?}) since {}s",
            u.message,
            now - u.since
        )
    };
    tr.clock(due, || {
        format!("UnregisteredDelay {delay}s has passed since its trackers first said so")
    });
    if now < due {
        tr.passed(Rule::Unregistered, || {
            format!("{} (< UnregisteredDelay {delay}s)", said())
        });
        return None;
    }
    if let Some(why) = input.past_deletable(complete) {
        tr.passed(Rule::Unregistered, || format!("{}, but {why}", said()));
        return None;
    }
    if at < due {
        let detail = format!("{}; read again to confirm (UnregisteredDelay {delay}s)", said());
        return Some(decision(
            input,
            Rule::Unregistered,
            detail,
            vec![Action::ReadTrackers],
        ));
    }
    let action = if complete {
        Action::Remove {
            delete_files: true,
            queue: QueueStep::Keep,
            research: false,
        }
    } else {
        input.fail()
    };
    let detail = format!("{} (≥ UnregisteredDelay {delay}s)", said());
    Some(decision(input, Rule::Unregistered, detail, vec![action]))
}

/// Turns a decided removal with files into one that keeps them, because `why` (another
/// torrent shares them: a cross-seed, whose files qBittorrent would delete along).
pub(crate) fn keep_files(d: &mut Decision, why: &str) {
    let mut kept = false;
    for a in &mut d.actions {
        if let Action::Remove { delete_files, .. } = a {
            kept |= std::mem::replace(delete_files, false);
        }
    }
    if kept {
        let _ = write!(d.detail, "; files kept: {why}");
    }
}

/// Rule 15, the trackers' say over every removal: none rests on trackers not read
/// (`trackers-unread`: they are read first, and nothing is removed when that fails; the
/// worker also reads them again when older than [`TRACKERS_FRESH_SECS`]); none while the
/// tracker entry that speaks for the torrent has a hit-and-run rule it has not met
/// (`hit-and-run`); none of a private torrent no entry speaks for, unless
/// RemovePrivateWithoutEntry (`private-kept`); `unregistered` is held back by neither. What
/// else the decision does stands. Without a removal, a torrent has its trackers read when a
/// tracker entry may set its limits and the view knows no announce URL of it, for tracker
/// edits, for SortTorrents (a download), or when they fail (for rule 9a).
fn tracker_gate<T: Trace>(input: Inputs<'_>, mut d: Decision, tr: &mut T) -> Decision {
    let (t, r, now) = (input.torrent, input.rules, input.now);
    if !d.actions.iter().any(|a| matches!(a, Action::Remove { .. })) {
        let ours = r.owns(&t.category);
        let read = match input.trackers {
            Trackers::Unread => {
                r.tracker_limits
                    || r.tracker_edits
                    || (r.sorts_queue && !t.is_complete())
                    || input.announce_failing()
                    || input.announce_unknown()
            }
            // The view's announce URLs pick its entry; edits need the trackers' messages.
            Trackers::Hosts { .. } => r.tracker_edits || input.announce_failing() || input.announce_unknown(),
            // Read again when they fail since a read that found one working, or an hour on.
            Trackers::Read {
                at,
                working,
                unregistered: None,
                ..
            } if input.announce_failing() => {
                tr.clock(at.saturating_add(TRACKERS_FRESH_SECS), || {
                    "its trackers, failing, are read again".into()
                });
                working || now - at >= TRACKERS_FRESH_SECS
            }
            // qBittorrent 5 does not say whether they answer: read again an hour on when none
            // answered at the last read (as a failing tracker on 4.x), and a private torrent's
            // every 6 hours.
            Trackers::Read {
                private,
                at,
                working,
                unregistered: None,
                ..
            } if input.announce_unknown() && (private || !working) => {
                let every = if working {
                    UNKNOWN_STATUS_REFRESH_SECS
                } else {
                    TRACKERS_FRESH_SECS
                };
                tr.clock(at.saturating_add(every), || {
                    "its trackers are read again (qBittorrent does not say whether they answer)".into()
                });
                now - at >= every
            }
            // Tracker edits: once a day.
            Trackers::Read { at, .. } if r.tracker_edits => {
                tr.clock(at.saturating_add(TRACKER_EDITS_REFRESH_SECS), || {
                    "its trackers are read again for the tracker edits".into()
                });
                now - at >= TRACKER_EDITS_REFRESH_SECS
            }
            // Rule 9a reads them again when its delay has passed.
            Trackers::Read { .. } => false,
        };
        if ours && read && !d.actions.contains(&Action::ReadTrackers) {
            d.actions.push(Action::ReadTrackers);
        }
        return d;
    }
    if d.rule == Rule::Unregistered {
        tr.passed(Rule::HitAndRun, || {
            "unregistered: no tracker to owe seeding to".into()
        });
        return d;
    }
    let keep = |mut d: Decision, rule: Rule, why: String| {
        d.detail = format!("{} would remove it ({}); {why}", d.rule, d.detail);
        d.rule = rule;
        d.actions.retain(|a| !matches!(a, Action::Remove { .. }));
        d
    };
    let Trackers::Read {
        private, entry, at, ..
    } = input.trackers
    else {
        let mut d = keep(d, Rule::TrackersUnread, "its trackers are read first".into());
        d.actions.push(Action::ReadTrackers);
        return d;
    };
    tr.passed(Rule::TrackersUnread, || {
        format!("its trackers were read {}s ago", now - at)
    });
    match entry {
        Some(e) => match tracker::hit_and_run(&e.hnr, t.progress, t.ratio, t.seeding_time) {
            Owing::Owed(numbers) => {
                return keep(
                    d,
                    Rule::HitAndRun,
                    format!("{numbers}, tracker entry {:?}", e.name),
                );
            }
            Owing::Cleared(numbers) => tr.passed(Rule::HitAndRun, || {
                format!("{numbers}, tracker entry {:?}", e.name)
            }),
            Owing::Nothing => tr.passed(Rule::HitAndRun, || {
                format!("tracker entry {:?} has HitAndRunMode disabled", e.name)
            }),
        },
        None if private && !r.remove_private_without_entry => {
            let why = "a private torrent no tracker entry speaks for is kept \
                       (Torrent.RemovePrivateWithoutEntry is off)";
            return keep(d, Rule::PrivateKept, why.into());
        }
        None => tr.passed(Rule::PrivateKept, || {
            if private {
                "private, no tracker entry; RemovePrivateWithoutEntry is on".into()
            } else {
                "not private, and no tracker entry speaks for it".into()
            }
        }),
    }
    d
}

/// `qBitrr-hnr_active`, as qBitrr sets it: on while hit-and-run holds back a removal; off once
/// its trackers, read, hold nothing back (a removal takes it along).
fn mark_hit_and_run(input: Inputs<'_>, d: &mut Decision) {
    let removed = d.actions.iter().any(|a| matches!(a, Action::Remove { .. }));
    if d.rule == Rule::HitAndRun {
        set_tag(input, d, tags::HNR_ACTIVE, true);
    } else if !removed && input.trackers.is_read() && input.has_tag(tags::HNR_ACTIVE) {
        set_tag(input, d, tags::HNR_ACTIVE, false);
    }
}

/// Rate limits and super-seeding for a torrent of our category that stays: per setting, its
/// tracker entry's, else SeedingMode's; set only where the torrent differs, so each is sent
/// once and again only when the torrent drifts. Nothing while trackers that may set them are
/// unread (they are read first), and super-seeding only once complete (qBittorrent has none
/// for a download). Likewise its entry's AddTags, and off the other entries' AddTags.
fn apply_settings(input: Inputs<'_>, d: &mut Decision) {
    let (t, r) = (input.torrent, input.rules);
    let leaves = d.actions.iter().any(|a| matches!(a, Action::Remove { .. }));
    if !r.owns(&t.category) || leaves || (input.trackers == Trackers::Unread && r.tracker_limits) {
        return;
    }
    if let Trackers::Read { edit: Some(edit), .. } = input.trackers {
        d.actions.push(Action::EditTrackers(edit.clone()));
    }
    let entry = input.trackers.entry().map(|e| e.settings).unwrap_or_default();
    let upload = entry.upload_limit.or(r.settings.upload_limit);
    let download = entry.download_limit.or(r.settings.download_limit);
    if let Some(bytes) = upload.filter(|b| *b != t.up_limit) {
        d.actions.push(Action::Set(Setting::UploadLimit(bytes)));
    }
    if let Some(bytes) = download.filter(|b| *b != t.dl_limit) {
        d.actions.push(Action::Set(Setting::DownloadLimit(bytes)));
    }
    let complete = t.is_complete();
    if entry.super_seed && complete && !t.super_seeding {
        d.actions.push(Action::Set(Setting::SuperSeeding(true)));
    }
    // AddTags: the entry's on, the other entries' off. With Tagless, qBitrr keeps them out of
    // qBittorrent, and so do we.
    if r.tagless || r.owned_tags.is_empty() {
        return;
    }
    let wanted: &[String] = input.trackers.entry().map_or(&[], |e| &e.add_tags);
    for tag in wanted.iter().filter(|tag| !t.has_tag(tag)) {
        d.actions.push(Action::TagWith(tag.clone()));
    }
    for tag in r
        .owned_tags
        .iter()
        .filter(|tag| !wanted.contains(tag) && t.has_tag(tag))
    {
        d.actions.push(Action::Untag(tag.clone()));
    }
}

fn forget_stalled(input: Inputs<'_>, d: &mut Decision) {
    d.memory.stalled_since = None;
    if input.rules.tagless {
        d.memory.tags.remove(tags::ALLOWED_STALLED);
    } else if input.torrent.has_tag(tags::ALLOWED_STALLED) {
        d.actions.push(Action::RemoveTag(tags::ALLOWED_STALLED));
    }
}

fn decision(input: Inputs<'_>, rule: Rule, detail: String, actions: Vec<Action>) -> Decision {
    Decision {
        rule,
        detail,
        actions,
        memory: input.memory.clone(),
    }
}

/// States in which qBittorrent counts seeding time.
fn seeds(state: TorrentState) -> bool {
    matches!(state, TorrentState::Uploading | TorrentState::StalledUp)
}

fn decide_rule<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Decision {
    let t = input.torrent;
    let r = input.rules;
    let now = input.now;

    // 1. Category.
    let in_failed = t.category == r.failed_category;
    let in_recheck = t.category == r.recheck_category;
    let ours = r.owns(&t.category);
    if !ours && !in_failed && !in_recheck {
        return decision(
            input,
            Rule::OtherCategory,
            format!(
                "category {:?} is none of ours ({:?}, FailedCategory {:?}, RecheckCategory {:?})",
                t.category, r.category, r.failed_category, r.recheck_category
            ),
            vec![],
        );
    }
    tr.passed(Rule::OtherCategory, || {
        let which = if t.category == r.category {
            "ours"
        } else if ours {
            "below ours (MatchSubcategories)"
        } else if in_failed {
            "FailedCategory"
        } else {
            "RecheckCategory"
        };
        format!("category {:?} is {which}", t.category)
    });

    // 2. The user's "hands off" tag.
    if t.has_tag(tags::IGNORED) {
        return decision(
            input,
            Rule::IgnoredTag,
            format!("tagged {}", tags::IGNORED),
            vec![],
        );
    }
    tr.passed(Rule::IgnoredTag, || format!("no {} tag", tags::IGNORED));

    // 3. Failed and recheck categories: only torrents we know were ours.
    if in_failed || in_recheck {
        let Some(first_seen) = input.memory.first_seen else {
            return decision(
                input,
                Rule::UnclaimedCategory,
                format!("in category {:?} but never seen in {:?}", t.category, r.category),
                vec![],
            );
        };
        tr.passed(Rule::UnclaimedCategory, || {
            format!("first seen in {:?} {}s ago", r.category, now - first_seen)
        });
        let age = input.age();
        tr.clock(t.added_on.saturating_add(r.category_min_age), || {
            format!(
                "age reaches Settings.IgnoreTorrentsYoungerThan {}s",
                r.category_min_age
            )
        });
        if age < r.category_min_age {
            return decision(
                input,
                Rule::TooYoung,
                format!(
                    "age {age}s < Settings.IgnoreTorrentsYoungerThan {}s",
                    r.category_min_age
                ),
                vec![],
            );
        }
        tr.passed(Rule::TooYoung, || {
            format!(
                "age {age}s ≥ Settings.IgnoreTorrentsYoungerThan {}s",
                r.category_min_age
            )
        });
        if in_failed {
            let detail = format!("moved to FailedCategory {:?}", r.failed_category);
            return decision(input, Rule::FailedCategory, detail, vec![input.fail()]);
        }
        tr.passed(Rule::FailedCategory, || {
            format!("category {:?} is not FailedCategory", t.category)
        });
        let detail = format!("moved to RecheckCategory {:?}", r.recheck_category);
        let actions = vec![Action::Recheck, Action::SetCategory(r.category.clone())];
        return decision(input, Rule::RecheckCategory, detail, actions);
    }
    tr.passed(Rule::FailedCategory, || {
        format!(
            "category {:?} is not FailedCategory {:?}",
            t.category, r.failed_category
        )
    });
    tr.passed(Rule::RecheckCategory, || {
        format!(
            "category {:?} is not RecheckCategory {:?}",
            t.category, r.recheck_category
        )
    });

    let mut seen = input.memory.clone();
    if seen.first_seen.is_none() {
        seen.first_seen = Some(now);
    }
    let input = Inputs {
        memory: &seen,
        ..input
    };
    let mut d = decide_owned(input, tr);
    d.memory.first_seen = seen.first_seen;
    d
}

/// Rules 4–14, for a torrent in our own category.
fn decide_owned<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Decision {
    let t = input.torrent;

    // 4. States qBittorrent or the user is busy with.
    if t.state.is_protected() {
        return decision(input, Rule::ProtectedState, format!("state {}", t.state), vec![]);
    }
    tr.passed(Rule::ProtectedState, || {
        format!("state {} is not protected", t.state)
    });

    // 4a. The Arr refuses the import for a listed reason: fail the download.
    let complete = t.is_complete();
    if let Some(d) = arr_error(input, complete, tr) {
        return d;
    }

    // 4a'. Below the custom-format minimum (ForceMinimumCustomFormat): fail it.
    if let Some(d) = below_format_minimum(input, complete, tr) {
        return d;
    }

    // 4b. Every file excluded: fail it.
    if let Some(d) = all_files_excluded(input, tr) {
        return d;
    }

    // 4c. The file check goes with whatever the other rules decide (unless that removes the
    // torrent), so a check that keeps failing never holds the rules below back.
    let check_files = file_check_due(input, complete, tr);
    let mut d = decide_rest(input, complete, tr);
    if check_files && !d.actions.iter().any(Action::is_destructive) {
        d.actions.push(Action::FilterFiles);
    }
    untag_free_space(input, &mut d);
    d
}

/// Adds (or, `add` false, removes) one of our tags: a qBittorrent tag, or with Tagless the
/// store's.
fn set_tag(input: Inputs<'_>, d: &mut Decision, tag: &'static str, add: bool) {
    if input.rules.tagless {
        if add {
            d.memory.tags.insert(tag.to_string());
        } else {
            d.memory.tags.remove(tag);
        }
    } else if input.torrent.has_tag(tag) != add {
        d.actions.push(if add {
            Action::AddTag(tag)
        } else {
            Action::RemoveTag(tag)
        });
    }
}

/// 5b. The free-space guard: a download that does not fit is paused and tagged; one paused
/// and tagged by it is resumed once it fits; no paused download is resumed while it does
/// not fit (`resume-paused` would otherwise), nor one the guard paused while the free space
/// cannot be measured.
fn free_space<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Option<Decision> {
    let t = input.torrent;
    let stopped = t.state.is_stopped_download();
    let tagged = input.has_tag(tags::FREE_SPACE_PAUSED);
    let paused_by_us = || format!("state {}, tagged {}", t.state, tags::FREE_SPACE_PAUSED);
    match input.space {
        Space::Off => {
            tr.passed(Rule::FreeSpaceHeld, || "Settings.FreeSpace is off".into());
        }
        Space::Unknown if stopped && tagged => {
            let detail = format!(
                "{}; free space cannot be measured now: kept paused",
                paused_by_us()
            );
            return Some(decision(input, Rule::FreeSpaceHeld, detail, vec![]));
        }
        Space::Unknown => {
            tr.passed(Rule::FreeSpaceHeld, || {
                "free space cannot be measured now: nothing is paused for it".into()
            });
        }
        Space::Short { need, budget } if t.amount_left > 0 && !t.state.is_complete() => {
            let numbers = format!(
                "{} left to download, {} fit above Settings.FreeSpace",
                human(need),
                human(budget.max(0))
            );
            if stopped {
                let detail = format!("state {}; {numbers}: not resumed", t.state);
                return Some(decision(input, Rule::FreeSpaceHeld, detail, vec![]));
            }
            let detail = format!("state {}; {numbers}", t.state);
            let mut d = decision(input, Rule::FreeSpacePause, detail, vec![Action::Pause]);
            set_tag(input, &mut d, tags::FREE_SPACE_PAUSED, true);
            return Some(d);
        }
        Space::Fits if stopped && tagged && t.amount_left > 0 => {
            let detail = format!("{}; it fits now", paused_by_us());
            let mut d = decision(input, Rule::FreeSpaceResume, detail, vec![Action::Resume]);
            set_tag(input, &mut d, tags::FREE_SPACE_PAUSED, false);
            return Some(d);
        }
        Space::Short { .. } | Space::Fits => {
            tr.passed(Rule::FreeSpaceHeld, || {
                if matches!(input.space, Space::Fits) {
                    "it fits in the free space".into()
                } else {
                    format!(
                        "state {}, {} bytes left: nothing to pause",
                        t.state, t.amount_left
                    )
                }
            });
        }
    }
    None
}

/// Our free-space tag goes once the guard no longer holds the torrent: it runs and fits, the
/// guard is off, or it is complete (never while it is removed, which takes the tag along).
fn untag_free_space(input: Inputs<'_>, d: &mut Decision) {
    if !input.has_tag(tags::FREE_SPACE_PAUSED) || d.actions.iter().any(|a| matches!(a, Action::Remove { .. }))
    {
        return;
    }
    if matches!(
        d.rule,
        Rule::FreeSpaceHeld | Rule::FreeSpacePause | Rule::FreeSpaceResume
    ) {
        return;
    }
    let done = input.torrent.is_complete();
    let free = match input.space {
        Space::Off => true,
        Space::Fits => !input.torrent.state.is_stopped_download(),
        Space::Unknown | Space::Short { .. } => false,
    };
    if free || done {
        set_tag(input, d, tags::FREE_SPACE_PAUSED, false);
    }
}

/// Rules 5–14, for a torrent in our own category that no rule before them decided.
fn decide_rest<T: Trace>(input: Inputs<'_>, complete: bool, tr: &mut T) -> Decision {
    let t = input.torrent;
    let r = input.rules;
    let now = input.now;

    // 5. Import, once, independent of the seeding rules.
    if complete && !input.imported() {
        return decide_import(input, tr);
    }
    tr.passed(Rule::Import, || {
        if complete {
            format!("imported already ({})", input.imported_why())
        } else {
            format!("not complete: state {}, {} bytes left", t.state, t.amount_left)
        }
    });

    // 5b. Free space: pause what does not fit, resume what the guard paused once it fits.
    if let Some(d) = free_space(input, tr) {
        return d;
    }

    // 6. Paused or stopped downloads are resumed.
    if t.state.is_stopped_download() && t.amount_left > 0 {
        let detail = format!("state {}, {} bytes left", t.state, t.amount_left);
        return decision(input, Rule::ResumePaused, detail, vec![Action::Resume]);
    }
    tr.passed(Rule::ResumePaused, || {
        if t.state.is_stopped_download() {
            format!("state {}, but nothing left to download", t.state)
        } else {
            format!("state {} is not a paused or stopped download", t.state)
        }
    });

    // 7. Nothing destructive for young torrents.
    if let Some(detail) = input.too_young(tr) {
        return decision(input, Rule::TooYoung, detail, vec![]);
    }
    tr.passed(Rule::TooYoung, || {
        format!("age {}s ≥ IgnoreTorrentsYoungerThan {}s", input.age(), r.min_age)
    });

    // 8. Files gone from disk: drop the torrent, keep what remains, no blocklist.
    if t.state == TorrentState::MissingFiles {
        let action = Action::Remove {
            delete_files: false,
            queue: QueueStep::Remove,
            research: r.re_search && !input.imported() && input.memory.searched_at.is_none(),
        };
        return decision(
            input,
            Rule::MissingFiles,
            "state missingFiles".into(),
            vec![action],
        );
    }
    tr.passed(Rule::MissingFiles, || {
        format!("state {} is not missingFiles", t.state)
    });

    // 9. Errors are rechecked.
    if t.state == TorrentState::Error {
        if let Some(at) = input.memory.rechecked_at {
            tr.clock(at.saturating_add(ERROR_RECHECK_INTERVAL_SECS), || {
                format!("the last recheck is {ERROR_RECHECK_INTERVAL_SECS}s old")
            });
        }
        let due = input
            .memory
            .rechecked_at
            .is_none_or(|at| now - at >= ERROR_RECHECK_INTERVAL_SECS);
        if due {
            return decision(
                input,
                Rule::ErrorRecheck,
                "state error".into(),
                vec![Action::Recheck],
            );
        }
        tr.passed(Rule::ErrorRecheck, || {
            let ago = input.memory.rechecked_at.map_or(0, |at| now - at);
            format!("state error, rechecked {ago}s ago (< {ERROR_RECHECK_INTERVAL_SECS}s)")
        });
        let detail = format!("state error, rechecked less than {ERROR_RECHECK_INTERVAL_SECS}s ago");
        return decision(input, Rule::NoAction, detail, vec![]);
    }
    tr.passed(Rule::ErrorRecheck, || format!("state {} is not error", t.state));

    // 9a. The trackers no longer know it.
    if let Some(d) = unregistered(input, complete, tr) {
        return d;
    }

    // 10. Seeded enough (only once imported: never lose media the Arr has not taken).
    if complete {
        let mut d = if let Some(detail) = seeding_limit_reached(input, tr) {
            let action = Action::Remove {
                delete_files: true,
                queue: QueueStep::Keep,
                research: false,
            };
            decision(input, Rule::SeedingLimit, detail, vec![action])
        } else if !r.tagless && input.memory.imported_at.is_some() && !t.has_tag(tags::IMPORTED) {
            // Tagged until the tag holds (a failed call is decided again next pass).
            let detail = format!("imported, without the {} tag", tags::IMPORTED);
            decision(
                input,
                Rule::TagImported,
                detail,
                vec![Action::AddTag(tags::IMPORTED)],
            )
        } else {
            tr.passed(Rule::TagImported, || {
                if r.tagless {
                    "Tagless: our tags are kept in the store".into()
                } else if input.memory.imported_at.is_none() {
                    "imported as the tag or the Arr's queue says; no import of ours to tag".into()
                } else {
                    format!("tagged {}", tags::IMPORTED)
                }
            });
            decision(
                input,
                Rule::NoAction,
                format!("state {}, imported", t.state),
                vec![],
            )
        };
        // Imported as the queue or the tag says, with our own follow-up unfinished: settle it.
        if d.memory.import != ImportState::None {
            d.memory.import = ImportState::None;
            d.memory.imported_at.get_or_insert(now);
        }
        return d;
    }
    tr.passed(Rule::SeedingLimit, || format!("not complete: state {}", t.state));

    // 10a. A torrent cannot be stalled, slow or stale for want of a connection.
    if let Connection::Down { since } = input.connection {
        let detail = format!(
            "qBittorrent reports no connection (disconnected for {}s): nothing is removed for inactivity",
            now - since
        );
        return decision(input, Rule::Offline, detail, vec![]);
    }
    tr.passed(Rule::Offline, || match input.connection {
        Connection::Up { back_at: Some(b) } => format!("connected again {}s ago", now - b),
        _ => "qBittorrent is connected".into(),
    });

    // 11. Stalled downloads. StalledDelay -1: never removed for stalling, also not as slow or stale.
    if t.state.is_stalled() {
        if r.stalled_delay == StalledDelay::Off {
            let detail = format!("state {}; StalledDelay -1: never removed for stalling", t.state);
            return decision(input, Rule::StalledOff, detail, vec![]);
        }
        tr.passed(Rule::StalledOff, || {
            format!(
                "state {}, StalledDelay {} (not -1)",
                t.state,
                stalled_delay_text(r.stalled_delay)
            )
        });
        return decide_stalled(input, tr);
    }
    tr.passed(Rule::StalledDelete, || {
        format!("state {} is not stalled (stalledDL, metaDL)", t.state)
    });

    let progress_ok = t.progress <= r.max_deletable_progress;
    if let Some(max_eta) = input.maximum_eta().filter(|e| *e > 0) {
        // 12. Too slow to finish in time.
        let downloading = matches!(t.state, TorrentState::Downloading | TorrentState::StalledDl);
        // After an outage, qBittorrent's ETA needs a while to come down: the age gate again.
        let back_at = input.connection.back_at();
        if let Some(b) = back_at {
            tr.clock(b.saturating_add(r.min_age), || {
                format!("connected again for IgnoreTorrentsYoungerThan {}s", r.min_age)
            });
        }
        let settled = back_at.is_none_or(|b| now - b >= r.min_age);
        if downloading && !r.do_not_remove_slow && t.eta > max_eta && progress_ok && settled {
            let detail = format!(
                "ETA {}s > MaximumETA {max_eta}s; progress {:.3} ≤ {:.3}",
                t.eta, t.progress, r.max_deletable_progress
            );
            return decision(input, Rule::Slow, detail, vec![input.fail()]);
        }
        tr.passed(Rule::Slow, || {
            if !downloading {
                format!("state {} is not downloading", t.state)
            } else if !settled {
                format!(
                    "connected again {}s ago (< IgnoreTorrentsYoungerThan {}s)",
                    now - back_at.unwrap_or(now),
                    r.min_age
                )
            } else if r.do_not_remove_slow {
                format!("DoNotRemoveSlow (ETA {}s, MaximumETA {max_eta}s)", t.eta)
            } else if t.eta <= max_eta {
                format!("ETA {}s ≤ MaximumETA {max_eta}s", t.eta)
            } else {
                format!(
                    "ETA {}s > MaximumETA {max_eta}s but progress {:.3} > MaximumDeletablePercentage {:.3}",
                    t.eta, t.progress, r.max_deletable_progress
                )
            }
        });
        // 13. No activity for longer than MaximumETA.
        let idle = input.idle();
        tr.clock(
            input.idle_since().saturating_add(max_eta).saturating_add(1),
            || format!("no activity for longer than MaximumETA {max_eta}s"),
        );
        let incomplete = !t.state.is_complete() && t.amount_left > 0;
        if incomplete && idle > max_eta && progress_ok {
            let detail = format!(
                "no activity for {idle}s > MaximumETA {max_eta}s; progress {:.3} ≤ {:.3}",
                t.progress, r.max_deletable_progress
            );
            return decision(input, Rule::Stale, detail, vec![input.fail()]);
        }
        tr.passed(Rule::Stale, || {
            if !incomplete {
                format!("nothing left to download (state {})", t.state)
            } else if idle <= max_eta {
                format!("no activity for {idle}s ≤ MaximumETA {max_eta}s")
            } else {
                format!(
                    "no activity for {idle}s > MaximumETA {max_eta}s but progress {:.3} > MaximumDeletablePercentage {:.3}",
                    t.progress, r.max_deletable_progress
                )
            }
        });
    } else {
        tr.passed(Rule::Slow, || "MaximumETA off".into());
        tr.passed(Rule::Stale, || "MaximumETA off".into());
    }

    decision(input, Rule::NoAction, format!("state {}", t.state), vec![])
}

/// Queue states in which the Arr holds an import back for something it found.
const HELD_IMPORT_STATES: [&str; 2] = ["importPending", "importBlocked"];

/// Rule 4a: the failure decision when the Arr holds a complete download's import back with a
/// status message that contains one of ArrErrorCodesToBlocklist's texts.
fn arr_error<T: Trace>(input: Inputs<'_>, complete: bool, tr: &mut T) -> Option<Decision> {
    let r = input.rules;
    let Some(q) = input.queue.filter(|_| complete && !r.arr_error_codes.is_empty()) else {
        tr.passed(Rule::ArrError, || {
            if !complete {
                "not complete".into()
            } else if r.arr_error_codes.is_empty() {
                "ArrErrorCodesToBlocklist is empty".into()
            } else {
                "not in the Arr's queue".into()
            }
        });
        return None;
    };
    let held =
        HELD_IMPORT_STATES.contains(&q.tracked_state.as_str()) || q.tracked_status != TrackedStatus::Ok;
    let found = q.status_messages.iter().find_map(|m| {
        r.arr_error_codes
            .iter()
            .find(|code| m.contains(code.as_str()))
            .map(|code| (m, code))
    });
    let (message, code) = match found {
        Some(hit) if held => hit,
        _ => {
            tr.passed(Rule::ArrError, || {
                format!(
                    "queue state {}, status {}: {}",
                    q.tracked_state,
                    q.tracked_status.as_str(),
                    if found.is_some() {
                        "the import is not held back"
                    } else {
                        "no status message holds an ArrErrorCodesToBlocklist text"
                    }
                )
            });
            return None;
        }
    };
    if let Some(why) = input.too_young(tr) {
        tr.passed(Rule::ArrError, || why);
        return None;
    }
    let detail = format!(
        "queue state {}, status {}: {message:?} contains ArrErrorCodesToBlocklist {code:?}",
        q.tracked_state,
        q.tracked_status.as_str()
    );
    Some(decision(input, Rule::ArrError, detail, vec![input.fail()]))
}

/// Rule 4a': the failure decision for a download whose custom-format score, as the Arr's
/// queue gives it, is below its profile's minimum (ForceMinimumCustomFormat).
fn below_format_minimum<T: Trace>(input: Inputs<'_>, complete: bool, tr: &mut T) -> Option<Decision> {
    let r = input.rules;
    if !r.format_minimum {
        tr.passed(Rule::FormatMinimum, || {
            "ForceMinimumCustomFormat (with CustomFormatUnmetSearch) is off".into()
        });
        return None;
    }
    let Some(q) = input.queue else {
        tr.passed(Rule::FormatMinimum, || "not in the Arr's queue".into());
        return None;
    };
    let (score, minimum) = match (q.format_score, q.format_minimum) {
        (Some(score), Some(minimum)) if score < minimum => (score, minimum),
        (Some(score), Some(minimum)) => {
            tr.passed(Rule::FormatMinimum, || {
                format!("custom-format score {score} is not below the minimum {minimum}")
            });
            return None;
        }
        (None, _) => {
            tr.passed(Rule::FormatMinimum, || {
                "the Arr gives no custom-format score".into()
            });
            return None;
        }
        (Some(score), None) => {
            tr.passed(Rule::FormatMinimum, || {
                format!(
                    "custom-format score {score} is below no profile's minimum (or its profile is not known)"
                )
            });
            return None;
        }
    };
    let said = || format!("custom-format score {score} is below its profile's minimum {minimum}");
    // `imported()` also reads the queue's "imported"; "importing" is on its way there.
    if input.imported() || q.tracked_state == "importing" {
        tr.passed(Rule::FormatMinimum, || format!("{}, but it is imported", said()));
        return None;
    }
    if let Some(why) = input.past_deletable(complete) {
        tr.passed(Rule::FormatMinimum, || format!("{}, but {why}", said()));
        return None;
    }
    if let Some(why) = input.too_young(tr) {
        tr.passed(Rule::FormatMinimum, || why);
        return None;
    }
    let detail = format!("{} (ForceMinimumCustomFormat)", said());
    Some(decision(input, Rule::FormatMinimum, detail, vec![input.fail()]))
}

/// Rule 4b: fail a torrent whose every file the filters exclude (found by an earlier check).
fn all_files_excluded<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Option<Decision> {
    let m = input.memory;
    if let Some(at) = m.all_files_excluded_at.filter(|_| !input.imported()) {
        if let Some(why) = input.too_young(tr) {
            let detail = format!("every file is excluded by the file filters; {why}");
            return Some(decision(input, Rule::TooYoung, detail, vec![]));
        }
        let detail = format!(
            "every file is excluded by the file filters (found {}s ago)",
            input.now - at
        );
        return Some(decision(
            input,
            Rule::AllFilesExcluded,
            detail,
            vec![input.fail()],
        ));
    }
    tr.passed(Rule::AllFilesExcluded, || {
        if m.all_files_excluded_at.is_some() {
            format!(
                "every file is excluded, but it is imported ({})",
                input.imported_why()
            )
        } else {
            "no file check found every file excluded".into()
        }
    });
    None
}

/// Rule 4c: whether the torrent's files are to be checked now (its first chance).
fn file_check_due<T: Trace>(input: Inputs<'_>, complete: bool, tr: &mut T) -> bool {
    let t = input.torrent;
    let m = input.memory;
    let why_not = if input.rules.file_filter.is_off() {
        Some("every file-filter list is empty".to_string())
    } else if m.files_checked_at.is_some() {
        Some("its files were checked already".to_string())
    } else if complete || input.imported() {
        Some("complete or imported: its files stay as they are".to_string())
    } else if t.state.is_metadata() || t.size <= 0 {
        Some(format!("no metadata yet (state {}, size {})", t.state, t.size))
    } else {
        None
    };
    if let Some(why) = why_not {
        tr.passed(Rule::FileFilter, || why);
        return false;
    }
    tr.passed(Rule::FileFilter, || {
        format!(
            "files not checked yet: checked along with what the rules below decide (state {}, {} \
             bytes)",
            t.state, t.size
        )
    });
    true
}

/// Rule 5, for a complete torrent not imported yet.
fn decide_import<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Decision {
    let t = input.torrent;
    let now = input.now;
    let Some(done_at) = t.completed_at() else {
        return decision(
            input,
            Rule::ImportSettling,
            "no completion time yet".into(),
            vec![],
        );
    };
    let since = now - done_at;
    tr.clock(done_at.saturating_add(IMPORT_SETTLE_SECS), || {
        format!("completed {IMPORT_SETTLE_SECS}s ago")
    });
    if since < IMPORT_SETTLE_SECS || t.content_path.is_empty() {
        let detail = format!("completed {since}s ago (< {IMPORT_SETTLE_SECS}s) or no content path");
        return decision(input, Rule::ImportSettling, detail, vec![]);
    }
    tr.passed(Rule::ImportSettling, || {
        format!("complete, not imported; completed {since}s ago (≥ {IMPORT_SETTLE_SECS}s)")
    });
    if rootless(t) {
        let detail = format!(
            "content path {:?} is the save path: the torrent has no root folder, and importing \
             the whole folder could take other downloads' files; import it by hand",
            t.content_path
        );
        return decision(input, Rule::ImportRefused, detail, vec![]);
    }
    tr.passed(Rule::ImportRefused, || {
        format!("content path {:?} is not the save path", t.content_path)
    });
    let path = t.content_path.clone();
    match input.memory.import {
        ImportState::None => {
            let detail = format!("state {}, completed {since}s ago, not imported yet", t.state);
            decision(input, Rule::Import, detail, vec![Action::Import { path }])
        }
        ImportState::Sending { since, .. } => {
            let detail = format!(
                "import recorded {}s ago, its answer never came: looking for it in the Arr's commands",
                now - since
            );
            decision(
                input,
                Rule::ImportPending,
                detail,
                vec![Action::FindImport { path }],
            )
        }
        ImportState::Sent { since, command, .. } => {
            let detail = format!("import command {command} sent {}s ago", now - since);
            decision(
                input,
                Rule::ImportPending,
                detail,
                vec![Action::CheckImport { command }],
            )
        }
        ImportState::Failed { attempts, retry_at } => {
            tr.clock(retry_at, || {
                format!("the import's retry is due (after {attempts} failure(s))")
            });
            if now < retry_at {
                let detail = format!(
                    "the import failed {attempts} time(s) in a row; next try in {}s",
                    retry_at - now
                );
                return decision(input, Rule::ImportFailed, detail, vec![]);
            }
            tr.passed(Rule::ImportFailed, || {
                format!(
                    "the import failed {attempts} time(s); its retry was due {}s ago",
                    now - retry_at
                )
            });
            let detail = format!("the import failed {attempts} time(s) in a row; trying again");
            decision(input, Rule::Import, detail, vec![Action::Import { path }])
        }
    }
}

/// A multi-file torrent without a root folder: qBittorrent reports its save
/// path (the category folder) as its content path.
fn rootless(t: &Torrent) -> bool {
    let trim = |p: &str| p.trim_end_matches(['/', '\\']).to_string();
    !t.save_path.is_empty() && trim(&t.content_path) == trim(&t.save_path)
}

/// RemoveTorrent with MaxUploadRatio / MaxSeedingTime; `Some(numbers)` when reached.
/// Each configured limit is raised to qBittorrent's own for the torrent (set by the
/// Arr from the indexer's seed criteria, or qBittorrent's global one) when that is
/// larger, so a torrent is never removed before the indexer's requirement is met.
/// A tracker entry's positive MaxUploadRatio / MaxSeedingTime replaces SeedingMode's.
fn seeding_limit_reached<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Option<String> {
    let (t, r, now) = (input.torrent, input.rules, input.now);
    let (max_upload_ratio, max_seeding_time, from) = input.seeding_limits();
    if r.remove_torrent == RemoveTorrent::Never {
        tr.passed(Rule::SeedingLimit, || {
            "RemoveTorrent -1: never removed for seeding".into()
        });
        return None;
    }
    // qBittorrent reports -1 for ratios above 9999.
    let ratio = if t.ratio < 0.0 { f64::INFINITY } else { t.ratio };
    let qbit_ratio = (t.max_ratio >= 0.0).then_some(t.max_ratio);
    let qbit_time = (t.max_seeding_minutes >= 0).then(|| t.max_seeding_minutes.saturating_mul(60));
    let ratio_limit = max_upload_ratio.map(|max| qbit_ratio.map_or(max, |q| max.max(q)));
    let time_limit = max_seeding_time.map(|max| qbit_time.map_or(max, |q| max.max(q)));
    let ratio_met = ratio_limit.map(|max| ratio >= max);
    let time_met = time_limit.map(|max| t.seeding_time >= max);
    if let Some(limit) = time_limit.filter(|_| seeds(t.state)) {
        tr.clock(now.saturating_add(limit.saturating_sub(t.seeding_time)), || {
            format!("seeding for {limit}s (the higher of MaxSeedingTime and qBittorrent's limit)")
        });
    }
    let reached = match r.remove_torrent {
        RemoveTorrent::Never => false,
        RemoveTorrent::Ratio => ratio_met == Some(true),
        RemoveTorrent::Time => time_met == Some(true),
        RemoveTorrent::RatioOrTime => ratio_met == Some(true) || time_met == Some(true),
        RemoveTorrent::RatioAndTime => ratio_met == Some(true) && time_met == Some(true),
    };
    // One string, written in place: the log line of every removal pays for it.
    let numbers = || {
        let cmp = |met: Option<bool>| if met == Some(true) { "≥" } else { "<" };
        let mut s = String::with_capacity(128);
        let _ = write!(s, "RemoveTorrent {:?}", r.remove_torrent);
        if let Some(name) = from {
            let _ = write!(s, " (limits of tracker entry {name:?})");
        }
        s.push_str(": ratio ");
        if t.ratio < 0.0 {
            s.push_str("above 9999");
        } else {
            let _ = write!(s, "{:.3}", t.ratio);
        }
        match (max_upload_ratio, qbit_ratio) {
            (None, _) => s.push_str(", MaxUploadRatio off"),
            (Some(ours), None) => {
                let _ = write!(s, " {} MaxUploadRatio {ours}", cmp(ratio_met));
            }
            (Some(ours), Some(q)) if q > ours => {
                let _ = write!(s, " {} qBittorrent's {q} (MaxUploadRatio {ours})", cmp(ratio_met));
            }
            (Some(ours), Some(q)) => {
                let _ = write!(s, " {} MaxUploadRatio {ours} (qBittorrent's {q})", cmp(ratio_met));
            }
        }
        let _ = write!(s, "; seeding {}s", t.seeding_time);
        match (max_seeding_time, qbit_time) {
            (None, _) => s.push_str(", MaxSeedingTime off"),
            (Some(ours), None) => {
                let _ = write!(s, " {} MaxSeedingTime {ours}s", cmp(time_met));
            }
            (Some(ours), Some(q)) if q > ours => {
                let _ = write!(
                    s,
                    " {} qBittorrent's {q}s (MaxSeedingTime {ours}s)",
                    cmp(time_met)
                );
            }
            (Some(ours), Some(q)) => {
                let _ = write!(
                    s,
                    " {} MaxSeedingTime {ours}s (qBittorrent's {q}s)",
                    cmp(time_met)
                );
            }
        }
        s
    };
    if reached {
        Some(numbers())
    } else {
        tr.passed(Rule::SeedingLimit, numbers);
        None
    }
}

fn stalled_delay_text(d: StalledDelay) -> String {
    match d {
        StalledDelay::Off => "-1 (off)".into(),
        StalledDelay::TagOnly => "0 (tag only)".into(),
        StalledDelay::After(d) => format!("{}s", d.as_secs()),
    }
}

fn decide_stalled<T: Trace>(input: Inputs<'_>, tr: &mut T) -> Decision {
    let t = input.torrent;
    let r = input.rules;
    let now = input.now;

    let Some(since) = input.memory.stalled_since else {
        let mut d = decision(
            input,
            Rule::StalledFirstSeen,
            format!("state {}, first seen stalled", t.state),
            vec![],
        );
        d.memory.stalled_since = Some(now);
        if r.tagless {
            d.memory.tags.insert(tags::ALLOWED_STALLED.to_string());
        } else if !t.has_tag(tags::ALLOWED_STALLED) {
            d.actions.push(Action::AddTag(tags::ALLOWED_STALLED));
        }
        // A nearly finished download is not given up on (MaximumDeletablePercentage).
        let give_up = t.progress <= r.max_deletable_progress;
        if r.re_search_stalled && give_up && input.queue.is_some() && input.memory.blocklisted_at.is_none() {
            d.actions.push(Action::BlocklistKeep {
                research: r.re_search && input.memory.searched_at.is_none(),
            });
        }
        return d;
    };
    // Time without a connection does not count.
    let since = input.connection.counted_from(since);
    let stalled_for = now - since;
    tr.passed(Rule::StalledFirstSeen, || {
        format!("state {}, first seen stalled {stalled_for}s ago", t.state)
    });
    let delay = match r.stalled_delay {
        StalledDelay::After(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        StalledDelay::TagOnly | StalledDelay::Off => {
            let detail = format!("stalled for {stalled_for}s; StalledDelay 0 never removes");
            return decision(input, Rule::StalledTagOnly, detail, vec![]);
        }
    };
    tr.passed(Rule::StalledTagOnly, || format!("StalledDelay {delay}s (not 0)"));
    // Metadata downloads keep touching last_activity, so only stalled data counts as idle.
    let idle = input.idle();
    let metadata = t.state.is_metadata();
    tr.clock(since.saturating_add(delay), || {
        format!("stalled for StalledDelay {delay}s")
    });
    if !metadata {
        tr.clock(input.idle_since().saturating_add(r.min_age), || {
            format!("idle for IgnoreTorrentsYoungerThan {}s", r.min_age)
        });
    }
    let idle_ok = metadata || idle >= r.min_age;
    let detail = |cmp: &str| {
        if metadata {
            format!(
                "state {}: stalled for {stalled_for}s {cmp} StalledDelay {delay}s; metadata download, idle time not counted",
                t.state
            )
        } else {
            format!(
                "state {}: stalled for {stalled_for}s {cmp} StalledDelay {delay}s; idle {idle}s {} IgnoreTorrentsYoungerThan {}s",
                t.state,
                if idle_ok { "≥" } else { "<" },
                r.min_age
            )
        }
    };
    if stalled_for < delay || !idle_ok {
        let cmp = if stalled_for < delay { "<" } else { "≥" };
        return decision(input, Rule::StalledWaiting, detail(cmp), vec![]);
    }
    tr.passed(Rule::StalledWaiting, || detail("≥"));
    if t.progress > r.max_deletable_progress {
        let detail = format!(
            "stalled for {stalled_for}s but progress {:.3} > MaximumDeletablePercentage {:.3}",
            t.progress, r.max_deletable_progress
        );
        return decision(input, Rule::StalledNearlyDone, detail, vec![]);
    }
    tr.passed(Rule::StalledNearlyDone, || {
        format!(
            "progress {:.3} ≤ MaximumDeletablePercentage {:.3}",
            t.progress, r.max_deletable_progress
        )
    });
    let detail = format!(
        "stalled for {stalled_for}s ≥ StalledDelay {delay}s; progress {:.3} ≤ {:.3}",
        t.progress, r.max_deletable_progress
    );
    decision(input, Rule::StalledDelete, detail, vec![input.fail()])
}

#[cfg(test)]
mod tests;
