//! The validated configuration: [`Config`] and the per-section types it is made of. This is all
//! the rest of the daemon ever sees of `config.toml`; the loading stages build it.

use std::path::PathBuf;
use std::time::Duration;

use crate::category::Subcategories;
use crate::file_filter::FileFilter;
use crate::model::ArrKind;
use crate::tracker::{TorrentSettings, TrackerEntry};

/// The validated configuration the daemon runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub settings: Settings,
    /// `[WebUI]`: the status server.
    pub webui: WebUi,
    /// Enabled qBittorrent instances (`[qBit]` is named "qBit", `[qBit-X]` is "qBit-X").
    pub qbit: Vec<QbitInstance>,
    /// Every Arr section, in file order (managed or not; see `Arr::managed`).
    pub arrs: Vec<Arr>,
}

/// `[Settings]` keys we act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// ConsoleLevel: one of CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG, TRACE (stored upper-case).
    pub console_level: String,
    /// Logging (write log files).
    pub logging: bool,
    /// LoopSleepTimer (default 5 s).
    pub loop_sleep: Duration,
    /// FailedCategory (default "failed").
    pub failed_category: String,
    /// RecheckCategory (default "recheck").
    pub recheck_category: String,
    /// Tagless (default false): keep our tags in the store instead of qBittorrent tags.
    pub tagless: bool,
    /// IgnoreTorrentsYoungerThan (default 180 s): age gate for the failed/recheck categories.
    pub ignore_younger_than: Duration,
    /// DryRun (ours; default false): decide and log, change nothing.
    pub dry_run: bool,
    /// TraceLoopExecution (from the design documents; default false): per-phase debug lines.
    pub trace_loop: bool,
    /// AutoRestartProcesses (default true).
    pub auto_restart: bool,
    /// MaxProcessRestarts (default 5).
    pub max_restarts: u32,
    /// ProcessRestartWindow (default 300 s).
    pub restart_window: Duration,
    /// ProcessRestartDelay (default 5 s).
    pub restart_delay: Duration,
    /// LogRotateSize (ours; default 5 MiB): a log file is rotated when it reaches this size.
    pub log_rotate_size: u64,
    /// LogRotateCount (ours; default 3): rotated files kept per log (`X.log.1` … `X.log.N`).
    pub log_rotate_count: u32,
    /// FullSyncTimer (ours; default 600 s): on qBittorrent 5, `sync/maindata` is read
    /// from scratch at least this often (values it does not report as changes drift).
    pub full_sync: Duration,
    /// FullListTimer (ours; default 300 s): on older qBittorrent, each category is listed
    /// whole at least this often (between, only downloads and errored torrents).
    pub full_list: Duration,
    /// QueueRefreshTimer (ours; default 60 s): the Arr queue is read at least this often,
    /// and otherwise only when the category changed or something is to be done.
    pub queue_refresh: Duration,
    /// SearchLoopDelay (default -1, which is 30 s): the pause after each search the search loop
    /// sends.
    pub search_delay: Duration,
    /// FreeSpace with AutoPauseResume: `None` when FreeSpace is -1 or AutoPauseResume false.
    pub free_space: Option<FreeSpaceGuard>,
}

/// Settings.FreeSpace, FreeSpaceFolder, AutoPauseResume: downloads that would leave the disk
/// with less than `keep_free` bytes free are paused until they fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeSpaceGuard {
    /// FreeSpace, in bytes.
    pub keep_free: u64,
    /// FreeSpaceFolder, else CompletedDownloadFolder (`None` when both are CHANGE_ME or
    /// empty): measured here when it is a folder on this machine; qBittorrent's own
    /// `free_space_on_disk` otherwise.
    pub folder: Option<PathBuf>,
}

/// `[WebUI]` keys we act on: the status server (`/health`, `/api/*`, `/metrics`).
#[derive(Debug, Clone, PartialEq)]
pub struct WebUi {
    /// Host (default "0.0.0.0").
    pub host: String,
    /// Port (default 6969).
    pub port: u16,
    /// Token; `None` when empty (one is then generated and kept in the data directory).
    pub token: Option<String>,
    /// AuthDisabled (default false): `/api/*` and `/metrics` without a token.
    pub auth_disabled: bool,
    /// AllowInsecureTokenQuery (default false, also when missing): the token may come as
    /// `?token=` (it then shows in proxy logs and browser history).
    pub allow_token_query: bool,
    /// UrlBase (default ""): the path prefix a reverse proxy serves us under, e.g.
    /// `/qbitrr`, without a trailing `/`; every route answers under it too.
    pub url_base: String,
}

/// One `[qBit]` / `[qBit-<Name>]` section that is not `Disabled`.
#[derive(Debug, Clone, PartialEq)]
pub struct QbitInstance {
    /// Section name: `qBit` or `qBit-<Name>`.
    pub name: String,
    /// Base URL, e.g. "http://127.0.0.1:8080" (Host may carry a scheme; Port is appended unless Host has one).
    pub url: String,
    /// UserName / Password; `None` when left out (localhost bypass).
    pub username: Option<String>,
    pub password: Option<String>,
    /// APIKey (ours, qBittorrent 5.2+): sent as `Authorization: Bearer`, no login.
    pub api_key: Option<String>,
    /// SkipTLSVerify.
    pub skip_tls_verify: bool,
    /// ReadMode (ours; default auto): how its torrents are read.
    pub read_mode: ReadMode,
    /// `[[<qBit>.Trackers]]`: entries every Arr on this instance inherits.
    pub trackers: Vec<TrackerEntry>,
    /// MatchSubcategories: the default of the Arr sections (from the `[qBit]` section) and of
    /// this instance's managed categories.
    pub match_subcategories: bool,
}

/// `[qBit] ReadMode` (ours): how a qBittorrent's torrents are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// `sync/maindata` from qBittorrent 5.0 (WebAPI 2.11), filtered lists before.
    #[default]
    Auto,
    /// Always `sync/maindata` (cheap on qBittorrent 5; on 4.x it costs qBittorrent more than lists).
    MainData,
    /// Always filtered lists.
    Lists,
}

/// One `[Radarr-*]`, `[Sonarr-*]`, `[Lidarr-*]` or `[Readarr-*]` section, or one category of a
/// `[qBit] ManagedCategories` (see [`Owner`]): what one worker runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Arr {
    /// Section name, e.g. "Radarr-1080"; for a managed category `<qBit section>.<category>`.
    pub name: String,
    /// The kind of Arr (for a managed category, meaningless: see [`Owner`]).
    pub kind: ArrKind,
    /// Whose the category is.
    pub owner: Owner,
    /// Managed (default true). Unmanaged sections get no worker.
    pub managed: bool,
    /// URI, without a trailing slash.
    pub uri: String,
    /// APIKey.
    pub api_key: String,
    /// SkipTLSVerify.
    pub skip_tls_verify: bool,
    /// Category (default: section name lower-cased).
    pub category: String,
    /// MatchSubcategories (the Arr's own, else `[qBit]`'s; a managed category's from its qBit
    /// section), with the categories of more specific owners it yields.
    pub subcategories: Subcategories,
    /// ReSearch (default true).
    pub re_search: bool,
    /// importMode (default "Auto"): Auto, Move or Copy, as written.
    pub import_mode: ImportMode,
    /// CheckInterval (design documents; overrides Settings.LoopSleepTimer when set).
    pub check_interval: Option<Duration>,
    /// DelayAfterImport / DelayAfterSearch / DelayAfterBlacklist (design documents; default 0).
    pub delay_after_import: Duration,
    pub delay_after_search: Duration,
    pub delay_after_blacklist: Duration,
    /// RssSyncTimer (default 1 min; `None`: 0, off): how often the Arr is asked for an RSS sync.
    pub rss_sync_every: Option<Duration>,
    /// RefreshDownloadsTimer (default 1 min; `None`: 0, off): how often the Arr is asked to
    /// refresh its monitored downloads (not Lidarr, as qBitrr).
    pub refresh_downloads_every: Option<Duration>,
    /// ArrErrorCodesToBlocklist: a download whose queue record holds one of these texts in its
    /// status messages, while the Arr holds its import back, is removed with its files,
    /// blocklisted and searched again.
    pub arr_error_codes: Vec<String>,
    /// `[<Arr>.Torrent]`.
    pub torrent: TorrentRules,
    /// `[<Arr>.Torrent.SeedingMode]`.
    pub seeding: SeedingRules,
    /// `[<Arr>.EntrySearch]`: the Arr's search loop (off for a managed category).
    pub search: EntrySearch,
}

/// `[<Arr>.EntrySearch]` keys we act on: what the search loop asks the Arr to look for, in
/// which order, and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct EntrySearch {
    /// SearchMissing (default true): search for monitored media without a file. As in qBitrr,
    /// it also decides whether the search loop runs at all.
    pub missing: bool,
    /// QualityUnmetSearch (default false): also search media below its quality cutoff.
    pub quality_unmet: bool,
    /// DoUpgradeSearch (default false): also search media that has a file.
    pub upgrade: bool,
    /// CustomFormatUnmetSearch (default false): also search media whose file's custom-format
    /// score is below its profile's minimum (Radarr, Sonarr, Lidarr: Readarr's book files carry
    /// no score).
    pub custom_format: bool,
    /// AlsoSearchSpecials (default false): Sonarr's season 0 too.
    pub specials: bool,
    /// Unmonitored (default false): unmonitored media too.
    pub unmonitored: bool,
    /// SearchLimit (default 5): at most this many `*Search` commands queued or running in the
    /// Arr (counted from its command list) before another is sent.
    pub limit: u32,
    /// SearchByYear (default true): newest year first (oldest with SearchInReverse).
    pub by_year: bool,
    /// SearchInReverse (default false): oldest first.
    pub reverse: bool,
    /// SearchAgainOnSearchCompletion (default true): once everything was searched, start over.
    pub again_on_completion: bool,
    /// SearchBySeries (default "smart"; Sonarr only).
    pub by_series: SeriesSearch,
    /// PrioritizeTodaysReleases (default true; Sonarr only): episodes aired today first.
    pub today_first: bool,
    /// Ours, SearchesPerHour / SearchesPerDay (default 20 / 200; `None`: -1, no limit): the
    /// searches this Arr may be asked for, shared by the search loop and the searches after a
    /// removal, so that indexers are not hammered.
    pub per_hour: Option<u32>,
    pub per_day: Option<u32>,
    /// `[<Arr>.EntrySearch.Overseerr]` or `.Ombi` (Overseerr when both are on; Radarr and Sonarr
    /// only): requested media is searched first.
    pub requests: Option<RequestSource>,
    /// SearchRequestsEvery (default 300 s): how often the requests are read.
    pub requests_every: Duration,
    /// UseTempForMissing and the keys with it.
    pub temp: TempProfiles,
    /// ForceMinimumCustomFormat (default false): with CustomFormatUnmetSearch, a download whose
    /// custom-format score is below its profile's minimum is failed (rule
    /// `custom-format-min`).
    pub force_minimum_format: bool,
}

/// Temporary quality profiles: missing media is switched to a more lenient profile, and back
/// once it has its files (`search::profiles`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TempProfiles {
    /// UseTempForMissing (default false).
    pub on: bool,
    /// KeepTempProfile (default false): an item stays on the temp profile after its import.
    pub keep: bool,
    /// QualityProfileMappings (default none): main profile name → temp profile name, as the
    /// Arr spells them.
    pub mappings: Vec<(String, String)>,
    /// ForceResetTempProfiles (default false): at start, every item on a temp profile goes
    /// back to its main one.
    pub force_reset: bool,
    /// TempProfileResetTimeoutMinutes (default 0, never): an item goes back to its main profile
    /// after this long on the temp one.
    pub timeout: Option<Duration>,
    /// ProfileSwitchRetryAttempts (default 3): a failed switch is tried again this many times
    /// before the next pass.
    pub retries: u32,
}

/// A request manager whose requests are searched first.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSource {
    pub manager: RequestManager,
    /// OverseerrURI / OmbiURI, without a trailing slash.
    pub uri: String,
    /// OverseerrAPIKey / OmbiAPIKey.
    pub api_key: String,
    /// ApprovedOnly (default true): only approved requests.
    pub approved_only: bool,
    pub skip_tls_verify: bool,
    /// Is4K (Overseerr; default true only for a section whose name holds "4K"): the 4K requests
    /// instead of the others.
    pub is_4k: bool,
}

/// Which request manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestManager {
    Overseerr,
    Ombi,
}

impl RequestManager {
    pub fn name(self) -> &'static str {
        match self {
            Self::Overseerr => "Overseerr",
            Self::Ombi => "Ombi",
        }
    }
}

impl EntrySearch {
    /// No search loop (a managed category has no Arr to ask).
    pub fn off() -> Self {
        Self {
            missing: false,
            ..Self::default()
        }
    }

    /// Whether the search loop runs.
    pub fn runs(&self) -> bool {
        self.missing
    }

    /// Whether downloads below their profile's custom-format minimum are failed: both
    /// ForceMinimumCustomFormat and CustomFormatUnmetSearch on, as qBitrr has it.
    pub fn forces_format_minimum(&self) -> bool {
        self.force_minimum_format && self.custom_format
    }
}

impl Default for EntrySearch {
    /// qBitrr's defaults, and ours for the budget.
    fn default() -> Self {
        Self {
            missing: true,
            quality_unmet: false,
            upgrade: false,
            custom_format: false,
            specials: false,
            unmonitored: false,
            limit: 5,
            by_year: true,
            reverse: false,
            again_on_completion: true,
            by_series: SeriesSearch::Smart,
            today_first: true,
            per_hour: Some(20),
            per_day: Some(200),
            requests: None,
            requests_every: Duration::from_secs(300),
            temp: TempProfiles {
                retries: 3,
                ..TempProfiles::default()
            },
            force_minimum_format: false,
        }
    }
}

/// SearchBySeries: how Sonarr is asked for episodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesSearch {
    /// true: one `SeriesSearch` per series.
    Series,
    /// false: one `EpisodeSearch` per episode.
    Episode,
    /// "smart": a `SeasonSearch` for a season with several episodes wanted, an `EpisodeSearch`
    /// for a single one.
    Smart,
}

/// Who a worker's category belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// An Arr section: imports, blocklists and searches go to the Arr at `uri`.
    Arr,
    /// A category of `[qBit] ManagedCategories` on the qBit section named here: no Arr behind
    /// it, so no import, blocklist or search; `[qBit.CategorySeeding]` gives its rules, and
    /// only that qBittorrent is watched.
    Qbit(String),
}

impl Arr {
    /// Whether an Arr stands behind the category.
    pub fn has_arr(&self) -> bool {
        self.owner == Owner::Arr
    }

    /// Whether its worker watches the qBit section named `qbit`: an Arr's watches every one, a
    /// managed category only its own.
    pub fn watches(&self, qbit: &str) -> bool {
        match &self.owner {
            Owner::Arr => true,
            Owner::Qbit(name) => name == qbit,
        }
    }

    /// What the worker is, for `/api/processes`: the kind of Arr, or `category`.
    pub fn kind_label(&self) -> &'static str {
        match self.owner {
            Owner::Arr => self.kind.name(),
            Owner::Qbit(_) => "category",
        }
    }

    /// The key whose value is the category, for messages: `<section>.Category` or
    /// `<qBit section>.ManagedCategories`.
    pub fn category_key(&self) -> String {
        match &self.owner {
            Owner::Arr => format!("{}.Category", self.name),
            Owner::Qbit(qbit) => format!("{qbit}.ManagedCategories"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    Auto,
    Move,
    Copy,
}

/// `[<Arr>.Torrent]` keys we act on.
#[derive(Debug, Clone, PartialEq)]
pub struct TorrentRules {
    /// IgnoreTorrentsYoungerThan (default 180 s): age gate for every removal rule.
    pub ignore_younger_than: Duration,
    /// MaximumETA (default -1 = off).
    pub maximum_eta: Option<Duration>,
    /// MaximumDeletablePercentage (default 0.99), a fraction 0..=1.
    pub maximum_deletable_percentage: f64,
    /// DoNotRemoveSlow (default true).
    pub do_not_remove_slow: bool,
    /// StalledDelay (default 15 min).
    pub stalled_delay: StalledDelay,
    /// ReSearchStalled (default false).
    pub re_search_stalled: bool,
    /// MaxRemovalsPerPass (ours; default 20): torrents removed in one pass at most.
    pub max_removals_per_pass: u32,
    /// MaxRemovalsPerHour (ours; default 100): torrents removed in any hour at most.
    pub max_removals_per_hour: u32,
    /// FolderExclusionRegex, FileNameExclusionRegex, FileExtensionAllowlist and
    /// CaseSensitiveMatches, compiled.
    pub file_filter: FileFilter,
    /// AutoDelete (default false): after an import, delete the files the filters excluded.
    pub auto_delete: bool,
    /// `[[<Arr>.Torrent.Trackers]]`: this Arr's entries (one for a host replaces the
    /// qBittorrent section's).
    pub trackers: Vec<TrackerEntry>,
    /// RemovePrivateWithoutEntry (ours; default false): a private torrent no tracker entry
    /// speaks for may be removed.
    pub remove_private_without_entry: bool,
    /// UnregisteredDelay (ours; default 60 min; `None`: -1, never): how long every tracker of a
    /// torrent must have called it unregistered before it is removed.
    pub unregistered_delay: Option<Duration>,
    /// UnregisteredMessages (ours; default [`crate::tracker::UNREGISTERED_TEXTS`]): the texts
    /// that, as part of a tracker's message, say the torrent is unregistered.
    pub unregistered_messages: Vec<String>,
}

/// StalledDelay: -1 off, 0 tag only (never delete), N minutes (or a duration string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StalledDelay {
    Off,
    TagOnly,
    After(Duration),
}

/// `[<Arr>.Torrent.SeedingMode]` keys we act on.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedingRules {
    /// MaxUploadRatio (default -1 = none).
    pub max_upload_ratio: Option<f64>,
    /// MaxSeedingTime (default -1 = none), seconds or a duration string.
    pub max_seeding_time: Option<Duration>,
    /// RemoveTorrent: -1 never, 1 ratio, 2 time, 3 ratio OR time, 4 ratio AND time.
    pub remove_torrent: RemoveTorrent,
    /// DownloadRateLimitPerTorrent / UploadRateLimitPerTorrent (default -1: left alone), set on
    /// every torrent no tracker entry sets its own for.
    pub settings: TorrentSettings,
    /// RemoveTrackerWithMessage when RemoveDeadTrackers is on (empty: off): a tracker whose
    /// last message holds one of these is removed from its torrent (never the last one).
    pub dead_tracker_texts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveTorrent {
    Never,
    Ratio,
    Time,
    RatioOrTime,
    RatioAndTime,
}
