//! The key schema of qBitrr 5.14.7's `config.toml`.
//!
//! This file owns the list of every table and key qBitrr knows, with its TOML type, whether
//! qbitrr-lite acts on it ([`Use::Supported`], with the values it accepts: its [`Bounds`]) and,
//! for the keys it does not act on yet, qBitrr's default (so that only keys the user changed are
//! reported as ignored). It also owns section classification, secret-key detection and the "did
//! you mean" suggestions.

use crate::model::ArrKind;

/// Unit of a bare integer given to a duration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Seconds,
    Minutes,
}

impl Unit {
    /// Seconds in one unit.
    pub(super) fn seconds(self) -> u64 {
        match self {
            Unit::Seconds => 1,
            Unit::Minutes => 60,
        }
    }
}

/// The TOML type a key must have.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ty {
    Bool,
    Int,
    /// A float; integers are accepted too.
    Float,
    Str,
    /// An integer in the given unit, or a duration string ("30s", "15m", "1h30m").
    Duration(Unit),
    /// A string or a number (FreeSpace: "-1", "50G").
    Scalar,
    /// A boolean or a string (SearchBySeries: true/false/"smart"; HitAndRunMode).
    BoolOrStr,
    /// An array of strings.
    StrList,
    /// A free-form table (QualityProfileMappings).
    Map,
    /// A sub-table with its own keys.
    Table(&'static TableSchema),
    /// An array of tables (Trackers).
    Tables(&'static TableSchema),
}

impl Ty {
    /// How the type is named in messages ("expected ...").
    pub(super) fn describe(self) -> &'static str {
        match self {
            Ty::Bool => "true or false",
            Ty::Int => "a whole number",
            Ty::Float => "a number",
            Ty::Str => "a string",
            Ty::Duration(Unit::Seconds) => {
                "a number of seconds or a duration string like \"30s\", \"15m\", \"2h\", \"1d\", \"1h30m\""
            }
            Ty::Duration(Unit::Minutes) => {
                "a number of minutes or a duration string like \"30s\", \"15m\", \"2h\", \"1d\", \"1h30m\""
            }
            Ty::Scalar => "a string or a number",
            Ty::BoolOrStr => "true, false or a string",
            Ty::StrList => "a list of strings",
            Ty::Map => "a table",
            Ty::Table(_) => "a table (a [section])",
            Ty::Tables(_) => "a list of tables ([[...]] sections)",
        }
    }
}

/// qBitrr's default value of a key qbitrr-lite does not act on.
#[derive(Debug, Clone, Copy)]
pub(super) enum Dflt {
    Bool(bool),
    Int(i64),
    Str(&'static str),
    /// A list; compared without regard to order (qBitrr writes some lists from a set).
    List(&'static [&'static str]),
    /// Any value counts as the default (internal keys, tracker entries).
    Any,
}

const MINUTE: u64 = 60;
const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// The longest a section name ([qBit-<Name>], [Radarr-<Name>], ...) may be, in characters.
pub(super) const SECTION_NAME_MAX: usize = 255;

/// What characters a text key may hold, besides its length (checked on the trimmed value, as
/// the value is used trimmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chars {
    /// Anything (passwords).
    Any,
    /// No control characters (newline, tab, NUL, ...).
    Line,
    /// No control characters and no spaces: hosts, URLs and API keys.
    Word,
    /// A qBittorrent category: no control characters, no backslash, no `/` at either end or
    /// twice in a row (qBittorrent's own rule; `/` separates subcategories).
    Category,
    /// A folder: no control characters; `CHANGE_ME` (qBitrr's default) means "not set".
    Folder,
    /// A URL path prefix for a reverse proxy: empty, or from `/`, no spaces, `?`, `#` or `\`.
    UrlPath,
    /// A qBittorrent tag: no control characters, no comma (qBittorrent splits tags on it).
    Tag,
}

/// Why `text` breaks the bounds `max`/`chars`, if it does. Never shows the text; for a
/// `secret` not even its length.
pub(super) fn text_problem(text: &str, max: usize, chars: Chars, secret: bool) -> Option<String> {
    let count = text.chars().count();
    if count > max {
        return Some(if secret {
            format!("is longer than {max} characters")
        } else {
            format!("is {count} characters long")
        });
    }
    let text = text.trim();
    if chars != Chars::Any {
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Some(format!("contains {}", control_name(c)));
        }
    }
    let problem = match chars {
        Chars::Word if text.chars().any(char::is_whitespace) => "contains a space",
        Chars::Category if text.contains('\\') => "contains a backslash",
        Chars::Category if text.starts_with('/') || text.ends_with('/') => "starts or ends with /",
        Chars::Category if text.contains("//") => "contains //",
        Chars::Tag if text.contains(',') => "contains a comma",
        Chars::UrlPath if text.chars().any(char::is_whitespace) => "contains a space",
        Chars::UrlPath if !text.is_empty() && !text.starts_with('/') => "does not start with /",
        Chars::UrlPath if text.contains(['?', '#', '\\']) => "contains ?, # or a backslash",
        _ => return None,
    };
    Some(problem.to_string())
}

/// A control character in words.
fn control_name(c: char) -> String {
    match c {
        '\n' => "a newline".to_string(),
        '\r' => "a carriage return".to_string(),
        '\t' => "a tab".to_string(),
        '\0' => "a NUL character".to_string(),
        c => format!("the control character U+{:04X}", u32::from(c)),
    }
}

/// The values a supported key accepts: the single declaration of its documented range. The
/// validation stage checks values against it and names it in messages; the README's table of
/// ranges is checked against it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bounds {
    /// true or false.
    Flag,
    /// A whole number, `min..=max`.
    Int { min: i64, max: i64 },
    /// One of these whole numbers, each with what it means.
    Codes(&'static [(i64, &'static str)]),
    /// A duration of `min..=max` seconds; -1 too (off) when `off`.
    Secs { min: u64, max: u64, off: bool },
    /// A number up to `max`, from `min` (or above it, when `above`); -1 too (off) when `off`.
    Float {
        min: f64,
        max: f64,
        above: bool,
        off: bool,
    },
    /// A byte size, `min..=max`; -1 too (off) when `off`.
    Size { min: u64, max: u64, off: bool },
    /// Text of at most `max` characters.
    Text { max: usize, chars: Chars },
    /// One of these words, in any case.
    OneOf(&'static [&'static str]),
    /// A list of at most `items` texts, each not blank and at most `max` characters.
    Texts { items: usize, max: usize, chars: Chars },
    /// A table of at most `items` names to names, each not blank and at most `max` characters.
    NameMap { items: usize, max: usize },
}

/// Log levels (ConsoleLevel).
/// `[qBit] ReadMode` (ours): how the torrents are read.
pub(super) const READ_MODES: &[&str] = &["auto", "maindata", "lists"];
pub(super) const LOG_LEVELS: &[&str] = &["CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG", "TRACE"];
/// Import modes (importMode).
pub(super) const IMPORT_MODES: &[&str] = &["Auto", "Move", "Copy"];

const fn int(min: i64, max: i64) -> Bounds {
    Bounds::Int { min, max }
}

const fn secs(min: u64, max: u64) -> Bounds {
    Bounds::Secs { min, max, off: false }
}

/// -1 (off), or 0 to `max` seconds.
const fn secs_or_off(max: u64) -> Bounds {
    Bounds::Secs {
        min: 0,
        max,
        off: true,
    }
}

const fn text(max: usize, chars: Chars) -> Bounds {
    Bounds::Text { max, chars }
}

const FLAG: Bounds = Bounds::Flag;
const PORT: Bounds = int(1, 65_535);
const CATEGORY: Bounds = text(255, Chars::Category);
/// `[qBit] ManagedCategories`.
const CATEGORIES: Bounds = Bounds::Texts {
    items: 100,
    max: 255,
    chars: Chars::Category,
};
/// SeedingMode/CategorySeeding `RemoveTorrent`.
const REMOVE_TORRENT: Bounds = Bounds::Codes(&[
    (-1, "never"),
    (1, "at MaxUploadRatio"),
    (2, "at MaxSeedingTime"),
    (3, "at either"),
    (4, "at both"),
]);
const URL: Bounds = text(2_048, Chars::Word);
const FOLDER: Bounds = text(4_096, Chars::Folder);
const API_KEY: Bounds = text(1_024, Chars::Word);
/// An interval between passes.
const INTERVAL: Bounds = secs(1, DAY);
/// A pause or a delay.
const DELAY: Bounds = secs(0, DAY);
/// An age gate.
const AGE: Bounds = secs(0, YEAR);
/// Texts looked for in an Arr's status messages.
const ERROR_TEXTS: Bounds = Bounds::Texts {
    items: 100,
    max: 1_000,
    chars: Chars::Line,
};

/// QualityProfileMappings: quality profile names, main → temp.
const PROFILE_NAMES: Bounds = Bounds::NameMap { items: 100, max: 255 };

/// A file filter's regexes (each also compiled when the config is read).
const PATTERNS: Bounds = Bounds::Texts {
    items: 100,
    max: 1_000,
    chars: Chars::Line,
};

impl Bounds {
    /// The accepted values in words, in the key's unit (`unit` for durations), as the README
    /// documents them: "1 to 86400 seconds (1d)", "-1 (off) or 0 to 525600 minutes (365d)".
    pub(super) fn describe(self, unit: Unit) -> String {
        match self {
            Bounds::Flag => "true or false".to_string(),
            Bounds::Int { min, max } => format!("{min} to {max}"),
            Bounds::Codes(codes) => {
                let each: Vec<String> = codes.iter().map(|(n, what)| format!("{n} ({what})")).collect();
                either(&each)
            }
            Bounds::Secs { min, max, off } => {
                let per = unit.seconds();
                let name = match unit {
                    Unit::Seconds => "seconds",
                    Unit::Minutes => "minutes",
                };
                let range = format!("{} to {} {name} ({})", min / per, max / per, span(max));
                if off {
                    format!("-1 (off) or {range}")
                } else {
                    range
                }
            }
            Bounds::Float { min, max, above, off } => {
                let range = if above {
                    format!("more than {min} up to {max}")
                } else {
                    format!("{min} to {max}")
                };
                if off {
                    format!("-1 (off) or {range}")
                } else {
                    range
                }
            }
            Bounds::Size { min, max, off } => format!(
                "{}{} to {} (bytes, or a number with K, M, G or T)",
                if off { "-1 (off) or " } else { "" },
                size(min),
                size(max)
            ),
            Bounds::Text { max, chars } => {
                let rule = match chars {
                    Chars::Any => "",
                    Chars::Line => ", no control characters",
                    Chars::Folder => ", no control characters (CHANGE_ME: not set)",
                    Chars::Word => ", no spaces or control characters",
                    Chars::Category => {
                        ", no control characters, no backslash, no / at either end or twice in a row"
                    }
                    Chars::Tag => ", no control characters, no comma",
                    Chars::UrlPath => ", empty or from /, no spaces, ?, # or backslash",
                };
                format!("at most {max} characters{rule}")
            }
            Bounds::OneOf(words) => {
                let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                format!("{} (any case)", either(&words))
            }
            Bounds::Texts { items, max, chars } => {
                let each = Bounds::Text { max, chars }.describe(unit);
                format!("a list of at most {items} texts, each not blank and {each}")
            }
            Bounds::NameMap { items, max } => format!(
                "a table of at most {items} names to names, each not blank and at most {max} characters, no control characters"
            ),
        }
    }
}

/// "a", "a or b", "a, b or c".
fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Seconds as the largest whole unit: "1d", "365d", "2h", "90s".
fn span(secs: u64) -> String {
    match secs {
        0 => "0s".to_string(),
        s if s % DAY == 0 => format!("{}d", s / DAY),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % MINUTE == 0 => format!("{}m", s / MINUTE),
        s => format!("{s}s"),
    }
}

/// Bytes as the largest whole unit: "64K", "1G".
fn size(bytes: u64) -> String {
    match bytes {
        b if b != 0 && b % (1 << 40) == 0 => format!("{}T", b >> 40),
        b if b != 0 && b % (1 << 30) == 0 => format!("{}G", b >> 30),
        b if b != 0 && b % (1 << 20) == 0 => format!("{}M", b >> 20),
        b if b != 0 && b % (1 << 10) == 0 => format!("{}K", b >> 10),
        b => b.to_string(),
    }
}

/// Whether qbitrr-lite acts on a key.
#[derive(Debug, Clone, Copy)]
pub(super) enum Use {
    /// Read into [`super::types::Config`] by the validation stage, under this name, within these
    /// bounds; its default lives there.
    Supported(Bounds),
    /// Known to qBitrr but not used by qbitrr-lite yet, with qBitrr's default.
    Unsupported(Dflt),
}

/// One key of a table.
#[derive(Debug)]
pub(super) struct Key {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) usage: Use,
}

/// The keys of one kind of table.
#[derive(Debug)]
pub(super) struct TableSchema {
    pub(super) keys: &'static [Key],
}

impl Key {
    /// The bounds of a supported key.
    pub(super) fn bounds(&self) -> Option<Bounds> {
        match self.usage {
            Use::Supported(bounds) => Some(bounds),
            Use::Unsupported(_) => None,
        }
    }

    /// A supported key's accepted values in words (see [`Bounds::describe`]).
    pub(super) fn allowed(&self) -> Option<String> {
        let unit = match self.ty {
            Ty::Duration(unit) => unit,
            _ => Unit::Seconds,
        };
        Some(self.bounds()?.describe(unit))
    }
}

impl TableSchema {
    /// The key named exactly `name` (TOML keys are case-sensitive).
    pub(super) fn get(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The names of all keys, for suggestions.
    pub(super) fn names(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().map(|k| k.name)
    }
}

const fn sup(name: &'static str, ty: Ty, bounds: Bounds) -> Key {
    Key {
        name,
        ty,
        usage: Use::Supported(bounds),
    }
}

const fn uns(name: &'static str, ty: Ty, default: Dflt) -> Key {
    Key {
        name,
        ty,
        usage: Use::Unsupported(default),
    }
}

const SECS: Ty = Ty::Duration(Unit::Seconds);
const MINS: Ty = Ty::Duration(Unit::Minutes);

/// The placeholder qBitrr writes into keys the user must fill in.
pub(super) const PLACEHOLDER: &str = "CHANGE_ME";

/// `[Settings]`.
pub(super) static SETTINGS: TableSchema = TableSchema {
    keys: &[
        uns("ConfigVersion", Ty::Str, Dflt::Any),
        sup("ConsoleLevel", Ty::Str, Bounds::OneOf(LOG_LEVELS)),
        sup("Logging", Ty::Bool, FLAG),
        sup("CompletedDownloadFolder", Ty::Str, FOLDER),
        sup(
            "FreeSpace",
            Ty::Scalar,
            Bounds::Size {
                min: 0,
                max: 1 << 50,
                off: true,
            },
        ),
        sup("FreeSpaceFolder", Ty::Str, FOLDER),
        sup("AutoPauseResume", Ty::Bool, FLAG),
        uns("NoInternetSleepTimer", SECS, Dflt::Int(15)),
        sup("LoopSleepTimer", SECS, INTERVAL),
        // -1: 30 s.
        sup("SearchLoopDelay", SECS, secs_or_off(DAY)),
        sup("FailedCategory", Ty::Str, CATEGORY),
        sup("RecheckCategory", Ty::Str, CATEGORY),
        sup("Tagless", Ty::Bool, FLAG),
        sup("IgnoreTorrentsYoungerThan", SECS, AGE),
        uns(
            "PingURLS",
            Ty::StrList,
            Dflt::List(&["one.one.one.one", "dns.google.com"]),
        ),
        uns("FFprobeAutoUpdate", Ty::Bool, Dflt::Bool(true)),
        uns("AutoUpdateEnabled", Ty::Bool, Dflt::Bool(false)),
        uns("AutoUpdateCron", Ty::Str, Dflt::Str("0 3 * * 0")),
        uns("AutoUpdateChannel", Ty::Str, Dflt::Str("latest")),
        sup("AutoRestartProcesses", Ty::Bool, FLAG),
        sup("MaxProcessRestarts", Ty::Int, int(0, 1_000)),
        sup("ProcessRestartWindow", SECS, secs(0, 7 * DAY)),
        sup("ProcessRestartDelay", SECS, DELAY),
        sup("DryRun", Ty::Bool, FLAG),
        sup("TraceLoopExecution", Ty::Bool, FLAG),
        sup(
            "LogRotateSize",
            Ty::Scalar,
            Bounds::Size {
                min: 64 << 10,
                max: 1 << 30,
                off: false,
            },
        ),
        sup("LogRotateCount", Ty::Int, int(0, 100)),
        // Ours: how often qBittorrent and the Arr queue are read whole.
        sup("FullSyncTimer", SECS, secs(60, DAY)),
        sup("FullListTimer", SECS, secs(30, DAY)),
        sup("QueueRefreshTimer", SECS, secs(5, DAY)),
    ],
};

/// `[WebUI]`.
pub(super) static WEBUI: TableSchema = TableSchema {
    keys: &[
        sup("Host", Ty::Str, text(255, Chars::Word)),
        sup("Port", Ty::Int, PORT),
        sup("Token", Ty::Str, text(1_024, Chars::Line)),
        sup("AuthDisabled", Ty::Bool, FLAG),
        uns("AllowInsecureExposure", Ty::Bool, Dflt::Bool(false)),
        sup("AllowInsecureTokenQuery", Ty::Bool, FLAG),
        uns("BehindHttpsProxy", Ty::Bool, Dflt::Bool(false)),
        sup("UrlBase", Ty::Str, text(255, Chars::UrlPath)),
        uns("LocalAuthEnabled", Ty::Bool, Dflt::Bool(false)),
        uns("OIDCEnabled", Ty::Bool, Dflt::Bool(false)),
        uns("Username", Ty::Str, Dflt::Str("")),
        uns("PasswordHash", Ty::Str, Dflt::Str("")),
        uns("LiveArr", Ty::Bool, Dflt::Bool(true)),
        uns("Theme", Ty::Str, Dflt::Str("Dark")),
        uns("ViewDensity", Ty::Str, Dflt::Str("Comfortable")),
        uns("OIDC", Ty::Table(&OIDC), Dflt::Any),
    ],
};

/// `[WebUI.OIDC]`. qBitrr's generator writes LiveArr/Theme/ViewDensity after this header, so a
/// TOML reader finds them here; they are accepted silently.
static OIDC: TableSchema = TableSchema {
    keys: &[
        uns("Authority", Ty::Str, Dflt::Str("")),
        uns("ClientId", Ty::Str, Dflt::Str("")),
        uns("ClientSecret", Ty::Str, Dflt::Str("")),
        uns("Scopes", Ty::Str, Dflt::Str("openid profile")),
        uns("CallbackPath", Ty::Str, Dflt::Str("/signin-oidc")),
        uns("RequireHttpsMetadata", Ty::Bool, Dflt::Bool(true)),
        uns("LiveArr", Ty::Bool, Dflt::Bool(true)),
        uns("Theme", Ty::Str, Dflt::Str("Dark")),
        uns("ViewDensity", Ty::Str, Dflt::Str("Comfortable")),
    ],
};

/// `[qBit]` and `[qBit-<Name>]`.
pub(super) static QBIT: TableSchema = TableSchema {
    keys: &[
        sup("Disabled", Ty::Bool, FLAG),
        // A host name or address, or a URL with scheme and path.
        sup("Host", Ty::Str, URL),
        sup("Port", Ty::Int, PORT),
        sup("UserName", Ty::Str, text(255, Chars::Line)),
        sup("Password", Ty::Str, text(1_024, Chars::Any)),
        sup("SkipTLSVerify", Ty::Bool, FLAG),
        sup("APIKey", Ty::Str, API_KEY),
        // Ours: sync/maindata or filtered lists; auto chooses by version.
        sup("ReadMode", Ty::Str, Bounds::OneOf(READ_MODES)),
        sup("ManagedCategories", Ty::StrList, CATEGORIES),
        sup("MatchSubcategories", Ty::Bool, FLAG),
        // Each entry's keys are checked (and reported when not supported) on their own.
        uns("Trackers", Ty::Tables(&TRACKER), Dflt::Any),
        // Its keys are checked on their own.
        uns("CategorySeeding", Ty::Table(&CATEGORY_SEEDING), Dflt::Any),
    ],
};

/// `[qBit.CategorySeeding]`: the rules of the qBit section's ManagedCategories.
pub(super) static CATEGORY_SEEDING: TableSchema = TableSchema {
    keys: &[
        sup("DownloadRateLimitPerTorrent", Ty::Int, RATE_LIMIT),
        sup("UploadRateLimitPerTorrent", Ty::Int, RATE_LIMIT),
        sup("MaxUploadRatio", Ty::Float, UPLOAD_RATIO),
        sup("MaxSeedingTime", SECS, secs_or_off(10 * YEAR)),
        sup("RemoveTorrent", Ty::Int, REMOVE_TORRENT),
        sup("HitAndRunMode", Ty::BoolOrStr, Bounds::OneOf(HNR_MODES)),
        sup("MinSeedRatio", Ty::Float, ratio(0.0, 1e6)),
        sup("MinSeedingTimeDays", Ty::Float, ratio(0.0, 3_650.0)),
        sup("HitAndRunMinimumDownloadPercent", Ty::Float, ratio(0.0, 100.0)),
        sup("HitAndRunPartialSeedRatio", Ty::Float, ratio(0.0, 1e6)),
        sup("TrackerUpdateBuffer", SECS, secs(0, 30 * DAY)),
        sup("StalledDelay", MINS, secs_or_off(YEAR)),
        sup("IgnoreTorrentsYoungerThan", SECS, AGE),
    ],
};

/// One `[[qBit.Trackers]]` / `[[<Arr>.Torrent.Trackers]]` entry: the limits and the
/// hit-and-run rule are acted on; what an entry would set on the torrent (rate limits,
/// super-seeding, trackers, tags, queue order) is not yet, and reported when set.
pub(super) static TRACKER: TableSchema = TableSchema {
    keys: &[
        sup("Name", Ty::Str, text(255, Chars::Line)),
        sup("URI", Ty::Str, URL),
        sup("Priority", Ty::Int, int(-1_000_000, 1_000_000)),
        sup("MaximumETA", SECS, secs_or_off(YEAR)),
        sup("DownloadRateLimit", Ty::Int, RATE_LIMIT),
        sup("UploadRateLimit", Ty::Int, RATE_LIMIT),
        sup("MaxUploadRatio", Ty::Float, UPLOAD_RATIO),
        sup("MaxSeedingTime", SECS, secs_or_off(10 * YEAR)),
        sup("SuperSeedMode", Ty::Bool, FLAG),
        sup("AddTrackerIfMissing", Ty::Bool, FLAG),
        sup("RemoveIfExists", Ty::Bool, FLAG),
        sup(
            "AddTags",
            Ty::StrList,
            Bounds::Texts {
                items: 20,
                max: 255,
                chars: Chars::Tag,
            },
        ),
        sup("SortTorrents", Ty::Bool, FLAG),
        // true reads as "and", false as "disabled" (qBitrr's legacy booleans).
        sup("HitAndRunMode", Ty::BoolOrStr, Bounds::OneOf(HNR_MODES)),
        sup("MinSeedRatio", Ty::Float, ratio(0.0, 1e6)),
        sup("MinSeedingTimeDays", Ty::Float, ratio(0.0, 3_650.0)),
        sup("HitAndRunMinimumDownloadPercent", Ty::Float, ratio(0.0, 100.0)),
        sup("HitAndRunPartialSeedRatio", Ty::Float, ratio(0.0, 1e6)),
        sup("TrackerUpdateBuffer", SECS, secs(0, 30 * DAY)),
    ],
};

/// Rate limits in KiB/s: -1 leaves the torrent's alone, 0 is unlimited; at most ~4 GB/s, so
/// that the limit in bytes fits qBittorrent's.
const RATE_LIMIT: Bounds = int(-1, 4_000_000);

/// MaxUploadRatio: -1 (off) or above 0.
const UPLOAD_RATIO: Bounds = Bounds::Float {
    min: 0.0,
    max: 1e6,
    above: true,
    off: true,
};

/// `SearchBySeries`.
pub(super) const SERIES_SEARCH: &[&str] = &["smart", "true", "false"];

/// `HitAndRunMode`.
pub(super) const HNR_MODES: &[&str] = &["and", "or", "disabled"];

/// A number from `min` to `max`, no "off".
const fn ratio(min: f64, max: f64) -> Bounds {
    Bounds::Float {
        min,
        max,
        above: false,
        off: false,
    }
}

/// `[Radarr-*]`, `[Sonarr-*]`, `[Lidarr-*]`, `[Readarr-*]`.
pub(super) static ARR: TableSchema = TableSchema {
    keys: &[
        sup("Managed", Ty::Bool, FLAG),
        sup("URI", Ty::Str, URL),
        sup("APIKey", Ty::Str, API_KEY),
        sup("SkipTLSVerify", Ty::Bool, FLAG),
        sup("Category", Ty::Str, CATEGORY),
        sup("ReSearch", Ty::Bool, FLAG),
        sup("importMode", Ty::Str, Bounds::OneOf(IMPORT_MODES)),
        // 0 turns it off.
        sup("RssSyncTimer", MINS, secs(0, DAY)),
        sup("RefreshDownloadsTimer", MINS, secs(0, DAY)),
        sup("ArrErrorCodesToBlocklist", Ty::StrList, ERROR_TEXTS),
        sup("MatchSubcategories", Ty::Bool, FLAG),
        sup("CheckInterval", SECS, INTERVAL),
        sup("DelayAfterImport", SECS, DELAY),
        sup("DelayAfterSearch", SECS, DELAY),
        sup("DelayAfterBlacklist", SECS, DELAY),
        uns("EntrySearch", Ty::Table(&ENTRY_SEARCH), Dflt::Any),
        uns("Torrent", Ty::Table(&TORRENT), Dflt::Any),
    ],
};

/// `[<Arr>.EntrySearch]`.
pub(super) static ENTRY_SEARCH: TableSchema = TableSchema {
    keys: &[
        sup("SearchMissing", Ty::Bool, FLAG),
        sup("AlsoSearchSpecials", Ty::Bool, FLAG),
        sup("Unmonitored", Ty::Bool, FLAG),
        sup("SearchLimit", Ty::Int, int(1, 100)),
        sup("SearchByYear", Ty::Bool, FLAG),
        sup("SearchInReverse", Ty::Bool, FLAG),
        sup("SearchRequestsEvery", SECS, secs(60, DAY)),
        sup("DoUpgradeSearch", Ty::Bool, FLAG),
        sup("QualityUnmetSearch", Ty::Bool, FLAG),
        sup("CustomFormatUnmetSearch", Ty::Bool, FLAG),
        sup("ForceMinimumCustomFormat", Ty::Bool, FLAG),
        sup("SearchAgainOnSearchCompletion", Ty::Bool, FLAG),
        sup("UseTempForMissing", Ty::Bool, FLAG),
        sup("KeepTempProfile", Ty::Bool, FLAG),
        sup("QualityProfileMappings", Ty::Map, PROFILE_NAMES),
        sup("ForceResetTempProfiles", Ty::Bool, FLAG),
        // 0 turns it off.
        sup("TempProfileResetTimeoutMinutes", MINS, secs(0, YEAR)),
        sup("ProfileSwitchRetryAttempts", Ty::Int, int(0, 10)),
        // true and false may also be written as booleans.
        sup("SearchBySeries", Ty::BoolOrStr, Bounds::OneOf(SERIES_SEARCH)),
        sup("PrioritizeTodaysReleases", Ty::Bool, FLAG),
        // Ours: -1 is no limit.
        sup("SearchesPerHour", Ty::Int, int(-1, 10_000)),
        sup("SearchesPerDay", Ty::Int, int(-1, 100_000)),
        uns("Ombi", Ty::Table(&OMBI), Dflt::Any),
        uns("Overseerr", Ty::Table(&OVERSEERR), Dflt::Any),
    ],
};

/// `[<Arr>.EntrySearch.Ombi]`.
pub(super) static OMBI: TableSchema = TableSchema {
    keys: &[
        sup("SearchOmbiRequests", Ty::Bool, FLAG),
        sup("OmbiURI", Ty::Str, URL),
        sup("OmbiAPIKey", Ty::Str, API_KEY),
        sup("ApprovedOnly", Ty::Bool, FLAG),
        sup("SkipTLSVerify", Ty::Bool, FLAG),
    ],
};

/// `[<Arr>.EntrySearch.Overseerr]`.
pub(super) static OVERSEERR: TableSchema = TableSchema {
    keys: &[
        sup("SearchOverseerrRequests", Ty::Bool, FLAG),
        sup("OverseerrURI", Ty::Str, URL),
        sup("OverseerrAPIKey", Ty::Str, API_KEY),
        sup("ApprovedOnly", Ty::Bool, FLAG),
        sup("SkipTLSVerify", Ty::Bool, FLAG),
        sup("Is4K", Ty::Bool, FLAG),
    ],
};

/// Keys whose `CHANGE_ME` means "not set" rather than "set me": the request managers' address
/// and key matter only when their search is on (qBitrr's example config has them so, off).
pub(super) fn placeholder_is_unset(key: &str) -> bool {
    matches!(key, "OmbiURI" | "OmbiAPIKey" | "OverseerrURI" | "OverseerrAPIKey")
}

/// `[<Arr>.Torrent]`.
pub(super) static TORRENT: TableSchema = TableSchema {
    keys: &[
        sup("CaseSensitiveMatches", Ty::Bool, FLAG),
        sup("FolderExclusionRegex", Ty::StrList, PATTERNS),
        sup("FileNameExclusionRegex", Ty::StrList, PATTERNS),
        sup("FileExtensionAllowlist", Ty::StrList, PATTERNS),
        sup("AutoDelete", Ty::Bool, FLAG),
        sup("IgnoreTorrentsYoungerThan", SECS, AGE),
        sup("MaximumETA", SECS, secs_or_off(YEAR)),
        sup(
            "MaximumDeletablePercentage",
            Ty::Float,
            Bounds::Float {
                min: 0.0,
                max: 1.0,
                above: false,
                off: false,
            },
        ),
        sup("DoNotRemoveSlow", Ty::Bool, FLAG),
        // 0 means: tag stalled torrents, never remove them.
        sup("StalledDelay", MINS, secs_or_off(YEAR)),
        sup("ReSearchStalled", Ty::Bool, FLAG),
        // Ours: brakes on mass removal.
        sup("MaxRemovalsPerPass", Ty::Int, int(1, 100_000)),
        sup("MaxRemovalsPerHour", Ty::Int, int(1, 1_000_000)),
        // Ours: remove private torrents no tracker entry speaks for (kept by default).
        sup("RemovePrivateWithoutEntry", Ty::Bool, FLAG),
        // Ours: remove a torrent every tracker calls unregistered once it has said so this
        // long (-1: never), and the texts that say it.
        sup("UnregisteredDelay", MINS, secs_or_off(YEAR)),
        sup("UnregisteredMessages", Ty::StrList, ERROR_TEXTS),
        uns("Trackers", Ty::Tables(&TRACKER), Dflt::Any),
        uns("SeedingMode", Ty::Table(&SEEDING_MODE), Dflt::Any),
    ],
};

/// `[<Arr>.Torrent.SeedingMode]`.
pub(super) static SEEDING_MODE: TableSchema = TableSchema {
    keys: &[
        sup("DownloadRateLimitPerTorrent", Ty::Int, RATE_LIMIT),
        sup("UploadRateLimitPerTorrent", Ty::Int, RATE_LIMIT),
        sup("MaxUploadRatio", Ty::Float, UPLOAD_RATIO),
        sup("MaxSeedingTime", SECS, secs_or_off(10 * YEAR)),
        sup("RemoveTorrent", Ty::Int, REMOVE_TORRENT),
        sup("RemoveDeadTrackers", Ty::Bool, FLAG),
        sup("RemoveTrackerWithMessage", Ty::StrList, ERROR_TEXTS),
    ],
};

// qBitrr's generator picks these defaults from the section name ("anime", "4k") and kind.

const VIDEO_FOLDERS: &[&str] = &[
    r"\bextras?\b",
    r"\bfeaturettes?\b",
    r"\bsamples?\b",
    r"\bscreens?\b",
    r"\bnc(ed|op)?(\\d+)?\b",
];
const ANIME_FOLDERS: &[&str] = &[
    r"\bextras?\b",
    r"\bfeaturettes?\b",
    r"\bsamples?\b",
    r"\bscreens?\b",
    r"\bspecials?\b",
    r"\bova\b",
    r"\bnc(ed|op)?(\\d+)?\b",
];
const AUDIO_FOLDERS: &[&str] = &[r"\bextras?\b", r"\bsamples?\b", r"\bscreens?\b"];
const VIDEO_FILE_NAMES: &[&str] = &[
    r"\bncop\\d+?\b",
    r"\bnced\\d+?\b",
    r"\bsample\b",
    r"brarbg.com\b",
    r"\btrailer\b",
    "music video",
    "comandotorrents.com",
];
const AUDIO_FILE_NAMES: &[&str] = &[
    r"\bsample\b",
    r"brarbg.com\b",
    r"\btrailer\b",
    "comandotorrents.com",
];
const VIDEO_EXTENSIONS: &[&str] = &[".mp4", ".mkv", ".sub", ".ass", ".srt", ".!qB", ".parts"];
const MUSIC_EXTENSIONS: &[&str] = &[
    ".mp3", ".flac", ".m4a", ".aac", ".ogg", ".opus", ".wav", ".ape", ".wma", ".!qB", ".parts",
];
const BOOK_EXTENSIONS: &[&str] = &[
    ".epub", ".kepub", ".mobi", ".azw", ".azw3", ".pdf", ".cbz", ".cbr", ".flac", ".ape", ".wavpack", ".wav",
    ".alac", ".mp2", ".mp3", ".wma", ".m4a", ".m4p", ".m4b", ".aac", ".mp4a", ".ogg", ".oga", ".vorbis",
    ".!qB", ".parts",
];

pub(super) fn folder_exclusion_default(kind: ArrKind, section: &str) -> &'static [&'static str] {
    match kind {
        ArrKind::Lidarr | ArrKind::Readarr => AUDIO_FOLDERS,
        _ if section.to_lowercase().contains("anime") => ANIME_FOLDERS,
        _ => VIDEO_FOLDERS,
    }
}

pub(super) fn file_name_exclusion_default(kind: ArrKind, _section: &str) -> &'static [&'static str] {
    match kind {
        ArrKind::Lidarr | ArrKind::Readarr => AUDIO_FILE_NAMES,
        ArrKind::Radarr | ArrKind::Sonarr => VIDEO_FILE_NAMES,
    }
}

pub(super) fn extension_default(kind: ArrKind, _section: &str) -> &'static [&'static str] {
    match kind {
        ArrKind::Lidarr => MUSIC_EXTENSIONS,
        ArrKind::Readarr => BOOK_EXTENSIONS,
        ArrKind::Radarr | ArrKind::Sonarr => VIDEO_EXTENSIONS,
    }
}

/// ArrErrorCodesToBlocklist when absent: qBitrr's list for the kind of Arr.
pub(super) fn arr_error_codes_default(kind: ArrKind) -> &'static [&'static str] {
    match kind {
        ArrKind::Radarr => &[
            "Not a preferred word upgrade for existing movie file(s)",
            "Not an upgrade for existing movie file(s)",
            "Unable to determine if file is a sample",
        ],
        ArrKind::Sonarr => &[
            "Not a preferred word upgrade for existing episode file(s)",
            "Not an upgrade for existing episode file(s)",
            "Unable to determine if file is a sample",
        ],
        ArrKind::Lidarr => &[
            "Not a preferred word upgrade for existing track file(s)",
            "Not an upgrade for existing track file(s)",
            "Unable to determine if file is a sample",
        ],
        ArrKind::Readarr => &[
            "Not a preferred word upgrade for existing book file(s)",
            "Not an upgrade for existing book file(s)",
            "Unable to determine if file is a sample",
        ],
    }
}

pub(super) fn is_4k_default(section: &str) -> bool {
    section.to_lowercase().contains("4k")
}

/// A section name as a message shows it: as written, or quoted and cut short when it is too
/// long or holds control characters.
pub(super) fn shown_section(name: &str) -> String {
    match text_problem(name, SECTION_NAME_MAX, Chars::Line, false) {
        None => name.to_string(),
        Some(_) => super::report::quoted(name),
    }
}

/// What a top-level section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Settings,
    WebUi,
    Qbit,
    Arr(ArrKind),
}

impl Section {
    /// The schema of the section's own table.
    pub(super) fn schema(self) -> &'static TableSchema {
        match self {
            Section::Settings => &SETTINGS,
            Section::WebUi => &WEBUI,
            Section::Qbit => &QBIT,
            Section::Arr(_) => &ARR,
        }
    }
}

const ARR_PREFIXES: [(&str, ArrKind); 4] = [
    ("Radarr", ArrKind::Radarr),
    ("Sonarr", ArrKind::Sonarr),
    ("Lidarr", ArrKind::Lidarr),
    ("Readarr", ArrKind::Readarr),
];

/// Classifies a top-level section name the way qBitrr does (case-sensitive prefixes).
pub(super) fn classify(name: &str) -> Option<Section> {
    match name {
        "Settings" => return Some(Section::Settings),
        "WebUI" => return Some(Section::WebUi),
        "qBit" => return Some(Section::Qbit),
        _ => {}
    }
    if name.starts_with("qBit-") {
        return Some(Section::Qbit);
    }
    ARR_PREFIXES
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|&(_, kind)| Section::Arr(kind))
}

/// Whether a key holds a secret whose value must never be shown (APIKey, Password, Token, ...).
pub(super) fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["apikey", "password", "token", "secret"]
        .iter()
        .any(|word| key.contains(word))
}

/// Levenshtein distance between two strings, compared case-insensitively.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The closest candidate to an unknown name: one equal ignoring case, else the nearest within
/// Levenshtein distance 3 (and closer than the shorter name's length, so that "Foo" does not
/// suggest "URI").
pub(super) fn suggest<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let d = distance(unknown, candidate);
        let shorter = unknown.chars().count().min(candidate.chars().count());
        if d > 3 || (d != 0 && d >= shorter.max(1)) {
            continue;
        }
        if best.is_none_or(|(best_d, _)| d < best_d) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// A suggestion for an unknown top-level section name: `[qbit]` → `qBit`, `[Sonar-TV]` →
/// `Sonarr-TV`, `[radarr-4k]` → `Radarr-4k`.
pub(super) fn suggest_section(unknown: &str) -> Option<String> {
    if let Some(found) = suggest(unknown, ["Settings", "WebUI", "qBit"]) {
        return Some(found.to_string());
    }
    let (head, tail) = match unknown.split_once('-') {
        Some((head, tail)) => (head, Some(tail)),
        None => (unknown, None),
    };
    let prefixes = ["qBit", "Radarr", "Sonarr", "Lidarr", "Readarr"];
    let prefix = suggest(head, prefixes)?;
    Some(match tail {
        Some(tail) => format!("{prefix}-{tail}"),
        None => prefix.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_follows_qbitrr_prefixes() {
        assert_eq!(classify("Settings"), Some(Section::Settings));
        assert_eq!(classify("qBit"), Some(Section::Qbit));
        assert_eq!(classify("qBit-Seedbox"), Some(Section::Qbit));
        assert_eq!(classify("qbit"), None);
        assert_eq!(classify("Radarr-4K"), Some(Section::Arr(ArrKind::Radarr)));
        assert_eq!(classify("Readarr-Books"), Some(Section::Arr(ArrKind::Readarr)));
        assert_eq!(classify("Sonarr"), Some(Section::Arr(ArrKind::Sonarr)));
        assert_eq!(classify("radarr-4k"), None);
    }

    #[test]
    fn secrets_are_recognised() {
        for key in [
            "APIKey",
            "Password",
            "Token",
            "OmbiAPIKey",
            "ClientSecret",
            "PasswordHash",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["UserName", "URI", "Host", "Category"] {
            assert!(!is_secret(key), "{key}");
        }
    }

    #[test]
    fn levenshtein_distance() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("LoopSleepTimer", "loopsleeptimer"), 0);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggestions_are_close_or_case_insensitive() {
        let keys = SETTINGS.names();
        assert_eq!(suggest("LoopSleepTimr", keys), Some("LoopSleepTimer"));
        assert_eq!(
            suggest("LOOPSLEEPTIMER", SETTINGS.names()),
            Some("LoopSleepTimer")
        );
        assert_eq!(suggest("Frobnicate", SETTINGS.names()), None);
        assert_eq!(suggest("Foo", ARR.names()), None);
        assert_eq!(suggest("Uri", ARR.names()), Some("URI"));
        assert_eq!(suggest_section("qbit").as_deref(), Some("qBit"));
        assert_eq!(suggest_section("Setting").as_deref(), Some("Settings"));
        assert_eq!(suggest_section("Sonar-TV").as_deref(), Some("Sonarr-TV"));
        assert_eq!(suggest_section("radarr-4k").as_deref(), Some("Radarr-4k"));
        assert_eq!(suggest_section("Plex"), None);
    }

    #[test]
    fn per_arr_defaults_follow_the_generator() {
        assert_eq!(folder_exclusion_default(ArrKind::Sonarr, "Sonarr-Anime").len(), 7);
        assert_eq!(folder_exclusion_default(ArrKind::Radarr, "Radarr-1080").len(), 5);
        assert_eq!(folder_exclusion_default(ArrKind::Lidarr, "Lidarr-anime").len(), 3);
        assert!(is_4k_default("Radarr-4K") && is_4k_default("radarr-4k"));
        assert!(!is_4k_default("Radarr-1080"));
    }
}
