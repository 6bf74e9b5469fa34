//! The bounds of every supported key, through the whole loader: a table of accepted and
//! rejected values per key (which pins each documented range), the README's table of ranges
//! (checked against the schema), and a fuzz-style sweep of extreme values, huge strings and odd
//! section names that must never panic nor yield a config the daemon cannot do arithmetic with.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::load::{load_str, ConfigError, Loaded};
use super::schema::{
    Bounds, TableSchema, ARR, CATEGORY_SEEDING, ENTRY_SEARCH, OMBI, OVERSEERR, QBIT, SEEDING_MODE, SETTINGS,
    TORRENT, WEBUI,
};
use super::types::{Config, StalledDelay};

/// The tables with supported keys: as the README names them, and their path in [`render`]'s
/// config.
fn tables() -> [(&'static str, &'static str, &'static TableSchema); 10] {
    [
        ("[Settings]", "Settings", &SETTINGS),
        ("[WebUI]", "WebUI", &WEBUI),
        ("[qBit]", "qBit", &QBIT),
        (
            "[qBit.CategorySeeding]",
            "qBit.CategorySeeding",
            &CATEGORY_SEEDING,
        ),
        ("[<Arr>]", "Radarr-A", &ARR),
        ("[<Arr>.EntrySearch]", "Radarr-A.EntrySearch", &ENTRY_SEARCH),
        (
            "[<Arr>.EntrySearch.Overseerr]",
            "Radarr-A.EntrySearch.Overseerr",
            &OVERSEERR,
        ),
        ("[<Arr>.EntrySearch.Ombi]", "Radarr-A.EntrySearch.Ombi", &OMBI),
        ("[<Arr>.Torrent]", "Radarr-A.Torrent", &TORRENT),
        (
            "[<Arr>.Torrent.SeedingMode]",
            "Radarr-A.Torrent.SeedingMode",
            &SEEDING_MODE,
        ),
    ]
}

/// The sections of the test config, with what each needs to load.
const BASE: [(&str, &[(&str, &str)]); 10] = [
    ("Settings", &[]),
    ("WebUI", &[]),
    ("qBit", &[("Host", "\"127.0.0.1\"")]),
    ("qBit.CategorySeeding", &[]),
    (
        "Radarr-A",
        &[
            ("URI", "\"http://127.0.0.1:7878\""),
            ("APIKey", "\"0123456789abcdef\""),
        ],
    ),
    ("Radarr-A.EntrySearch", &[]),
    ("Radarr-A.EntrySearch.Overseerr", &[]),
    ("Radarr-A.EntrySearch.Ombi", &[]),
    ("Radarr-A.Torrent", &[]),
    ("Radarr-A.Torrent.SeedingMode", &[]),
];

/// The test config with each `(table, key, TOML value)` of `sets` set (replacing a base value),
/// and the line of each.
fn render(sets: &[(&str, &str, String)]) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut lines = vec![0; sets.len()];
    let mut line = 0;
    let mut push = |text: &mut String, entry: String| {
        text.push_str(&entry);
        text.push('\n');
        line += 1;
        line
    };
    for (table, base) in BASE {
        push(&mut text, format!("[{table}]"));
        let mut keys: Vec<&str> = base.iter().map(|(key, _)| *key).collect();
        for (t, key, _) in sets {
            if *t == table && !keys.contains(key) {
                keys.push(key);
            }
        }
        for key in keys {
            let set = sets.iter().rposition(|(t, k, _)| *t == table && *k == key);
            let value = match set {
                Some(i) => sets[i].2.clone(),
                None => base
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
            };
            let at = push(&mut text, format!("{key} = {value}"));
            for (i, (t, k, _)) in sets.iter().enumerate() {
                if *t == table && *k == key {
                    lines[i] = at;
                }
            }
        }
    }
    (text, lines)
}

fn load(text: &str, env: &[(String, String)]) -> Result<Loaded, ConfigError> {
    load_str(text, "config.toml", env)
}

/// A TOML string of `n` characters.
fn long(n: usize) -> String {
    format!("\"{}\"", "x".repeat(n))
}

/// One supported key: its range as documented, values inside it and values outside it.
struct Case {
    table: &'static str,
    key: &'static str,
    allowed: &'static str,
    ok: Vec<String>,
    bad: Vec<String>,
}

fn case(table: &'static str, key: &'static str, allowed: &'static str, ok: &[&str], bad: &[&str]) -> Case {
    Case {
        table,
        key,
        allowed,
        ok: ok.iter().map(|v| v.to_string()).collect(),
        bad: bad.iter().map(|v| v.to_string()).collect(),
    }
}

impl Case {
    fn more(mut self, ok: Vec<String>, bad: Vec<String>) -> Case {
        self.ok.extend(ok);
        self.bad.extend(bad);
        self
    }
}

const TEXTS: &str =
    "a list of at most 100 texts, each not blank and at most 1000 characters, no control characters";
const CATEGORY: &str =
    "at most 255 characters, no control characters, no backslash, no / at either end or twice in a row";
const CATEGORY_BAD: &[&str] = &[
    "\"a\\nb\"",
    "\"a\\u0000b\"",
    "\"a\\tb\"",
    "\"a\\\\b\"",
    "\"/a\"",
    "\"a/\"",
    "\"a//b\"",
];
const BIG_INTS: &[&str] = &[
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "-99999999999999999999",
];

/// Every supported key that is not a plain true/false, with the range chosen for it.
fn cases() -> Vec<Case> {
    let big = |mut bad: Vec<&'static str>| {
        bad.extend(BIG_INTS);
        bad
    };
    vec![
        // [Settings]
        case(
            "Settings",
            "ConsoleLevel",
            "CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG or TRACE (any case)",
            &["\"debug\"", "\" Trace \"", "\"CRITICAL\""],
            &["\"LOUD\"", "\"\""],
        )
        .more(vec![], vec![long(100_000)]),
        case(
            "Settings",
            "LoopSleepTimer",
            "1 to 86400 seconds (1d)",
            &["1", "86400", "\"1d\"", "\"23h59m60s\"", "\"1s\""],
            &big(vec![
                "0",
                "-1",
                "86401",
                "\"1d1s\"",
                "\"0s\"",
                "\"99999999999999999999w\"",
            ]),
        ),
        case(
            "Settings",
            "FailedCategory",
            CATEGORY,
            &["\"kaputt\"", "\"failed/old\"", "\"Films ratés\""],
            CATEGORY_BAD,
        )
        .more(vec![long(255)], vec![long(256), long(10_000_000)]),
        case(
            "Settings",
            "RecheckCategory",
            CATEGORY,
            &["\"check\""],
            CATEGORY_BAD,
        )
        .more(vec![long(255)], vec![long(256)]),
        case(
            "Settings",
            "IgnoreTorrentsYoungerThan",
            "0 to 31536000 seconds (365d)",
            &["0", "180", "31536000", "\"365d\""],
            &big(vec!["-1", "31536001", "\"366d\"", "\"53w\""]),
        ),
        case(
            "Settings",
            "MaxProcessRestarts",
            "0 to 1000",
            &["0", "5", "1000"],
            &big(vec!["-1", "1001", "4294967296"]),
        ),
        case(
            "Settings",
            "ProcessRestartWindow",
            "0 to 604800 seconds (7d)",
            &["0", "300", "604800", "\"1w\""],
            &big(vec!["-1", "604801", "\"8d\""]),
        ),
        case(
            "Settings",
            "ProcessRestartDelay",
            "0 to 86400 seconds (1d)",
            &["0", "5", "86400", "\"24h\""],
            &big(vec!["-1", "86401", "\"1d1s\"", "\"18446744073709551615s\""]),
        ),
        case(
            "Settings",
            "FreeSpace",
            "-1 (off) or 0 to 1024T (bytes, or a number with K, M, G or T)",
            &[
                "-1",
                "\"-1\"",
                "0",
                "\"50G\"",
                "\"50GB\"",
                "\"1.5T\"",
                "\"512m\"",
                "\"1024T\"",
                "1073741824",
            ],
            &big(vec![
                "-2",
                "\"-5G\"",
                "\"lots\"",
                "\"G\"",
                "\".5G\"",
                "\"1025T\"",
                "5.5",
                "\"99999999999999999999G\"",
            ]),
        ),
        case(
            "Settings",
            "FreeSpaceFolder",
            "at most 4096 characters, no control characters (CHANGE_ME: not set)",
            &["\"/downloads\"", "\"CHANGE_ME\"", "\"\"", "\"D:/Downloads\""],
            &["\"a\\u0000b\"", "\"a\\nb\""],
        )
        .more(vec![long(4_096)], vec![long(4_097)]),
        case(
            "Settings",
            "CompletedDownloadFolder",
            "at most 4096 characters, no control characters (CHANGE_ME: not set)",
            &[
                "\"/downloads\"",
                "\"CHANGE_ME\"",
                "\"/volume1/downloads/complete\"",
            ],
            &["\"a\\u0000b\"", "\"a\\tb\""],
        )
        .more(vec![long(4_096)], vec![long(4_097)]),
        case(
            "Settings",
            "LogRotateSize",
            "64K to 1G (bytes, or a number with K, M, G or T)",
            &["65536", "\"64K\"", "\"5M\"", "\"1024M\"", "\"1G\"", "1073741824"],
            &big(vec![
                "65535",
                "\"63K\"",
                "\"1025M\"",
                "\"2G\"",
                "1073741825",
                "-1",
                "5.5",
                "\"99999999999999999999G\"",
            ]),
        ),
        case(
            "Settings",
            "LogRotateCount",
            "0 to 100",
            &["0", "3", "100"],
            &big(vec!["-1", "101"]),
        ),
        case(
            "Settings",
            "FullSyncTimer",
            "60 to 86400 seconds (1d)",
            &["60", "600", "86400", "\"10m\""],
            &big(vec!["59", "86401", "\"2d\""]),
        ),
        case(
            "Settings",
            "FullListTimer",
            "30 to 86400 seconds (1d)",
            &["30", "300", "86400", "\"5m\""],
            &big(vec!["29", "86401"]),
        ),
        case(
            "Settings",
            "QueueRefreshTimer",
            "5 to 86400 seconds (1d)",
            &["5", "60", "86400", "\"1m\""],
            &big(vec!["4", "86401"]),
        ),
        case(
            "Settings",
            "SearchLoopDelay",
            "-1 (off) or 0 to 86400 seconds (1d)",
            &["-1", "0", "30", "86400", "\"1m\""],
            &big(vec!["-2", "86401"]),
        ),
        // [<Arr>.EntrySearch]
        case(
            "Radarr-A.EntrySearch",
            "SearchLimit",
            "1 to 100",
            &["1", "5", "100"],
            &big(vec!["0", "-1", "101"]),
        ),
        case(
            "Radarr-A.EntrySearch",
            "SearchBySeries",
            "smart, true or false (any case)",
            &["\"smart\"", "\"True\"", "\"false\"", "true", "false"],
            &["\"series\"", "\"\""],
        ),
        case(
            "Radarr-A.EntrySearch",
            "SearchRequestsEvery",
            "60 to 86400 seconds (1d)",
            &["60", "300", "86400", "\"5m\""],
            &big(vec!["59", "0", "-1", "86401"]),
        ),
        case(
            "Radarr-A.EntrySearch.Overseerr",
            "OverseerrURI",
            "at most 2048 characters, no spaces or control characters",
            &["\"http://overseerr:5055\"", "\"CHANGE_ME\""],
            &["\"http://over seerr\"", "\"http://o\\n:5055\""],
        )
        .more(vec![], vec![long(2_049)]),
        case(
            "Radarr-A.EntrySearch.Overseerr",
            "OverseerrAPIKey",
            "at most 1024 characters, no spaces or control characters",
            &["\"MTY4Nzk0NTY3ODkwMTIzNDU2Nzg5\"", "\"CHANGE_ME\""],
            &["\"0123 4567\"", "\"k\\u007fk\""],
        )
        .more(vec![long(1_024)], vec![long(1_025)]),
        case(
            "Radarr-A.EntrySearch.Ombi",
            "OmbiURI",
            "at most 2048 characters, no spaces or control characters",
            &["\"https://ombi.example/ombi\"", "\"CHANGE_ME\""],
            &["\"http://om bi\""],
        ),
        case(
            "Radarr-A.EntrySearch.Ombi",
            "OmbiAPIKey",
            "at most 1024 characters, no spaces or control characters",
            &["\"0123456789abcdef0123456789abcdef\"", "\"CHANGE_ME\""],
            &["\"0123 4567\""],
        ),
        case(
            "Radarr-A.EntrySearch",
            "SearchesPerHour",
            "-1 to 10000",
            &["-1", "0", "20", "10000"],
            &big(vec!["-2", "10001"]),
        ),
        case(
            "Radarr-A.EntrySearch",
            "SearchesPerDay",
            "-1 to 100000",
            &["-1", "0", "200", "100000"],
            &big(vec!["-2", "100001"]),
        ),
        case(
            "Radarr-A.EntrySearch",
            "QualityProfileMappings",
            "a table of at most 100 names to names, each not blank and at most 255 characters, no control characters",
            &["{}", "{\"HD-1080p\" = \"SD\"}", "{\"Ultra-HD\" = \"HD-1080p\", \"HD-1080p\" = \"Any (MP3)\"}"],
            &["{\"HD\" = \"\"}", "{\"\" = \"SD\"}", "{\"HD\" = 3}", "{\"HD\" = \"S\\nD\"}"],
        )
        .more(
            vec![
                format!("{{\"HD\" = {}}}", long(255)),
                format!(
                    "{{{}}}",
                    (0..100).map(|i| format!("\"P{i}\" = \"T\"")).collect::<Vec<_>>().join(", ")
                ),
            ],
            vec![
                format!("{{\"HD\" = {}}}", long(256)),
                format!(
                    "{{{}}}",
                    (0..101).map(|i| format!("\"P{i}\" = \"T\"")).collect::<Vec<_>>().join(", ")
                ),
            ],
        ),
        case(
            "Radarr-A.EntrySearch",
            "TempProfileResetTimeoutMinutes",
            "0 to 525600 minutes (365d)",
            &["0", "10080", "525600", "\"7d\""],
            &big(vec!["-1", "525601"]),
        ),
        case(
            "Radarr-A.EntrySearch",
            "ProfileSwitchRetryAttempts",
            "0 to 10",
            &["0", "3", "10"],
            &big(vec!["-1", "11"]),
        ),
        // [WebUI]
        case(
            "WebUI",
            "Host",
            "at most 255 characters, no spaces or control characters",
            &["\"127.0.0.1\"", "\"[::1]\"", "\" 0.0.0.0 \""],
            &["\"local host\"", "\"a\\nb\""],
        )
        .more(vec![long(255)], vec![long(256)]),
        case(
            "WebUI",
            "Port",
            "1 to 65535",
            &["1", "6969", "65535"],
            &big(vec!["0", "-1", "65536"]),
        ),
        case(
            "WebUI",
            "Token",
            "at most 1024 characters, no control characters",
            &["\"a token with spaces\""],
            &["\"t\\u0000k\"", "\"t\\nk\""],
        )
        .more(vec![long(1_024)], vec![long(1_025)]),
        case(
            "WebUI",
            "UrlBase",
            "at most 255 characters, empty or from /, no spaces, ?, # or backslash",
            &["\"\"", "\"/qbitrr\"", "\"/a/b/\""],
            &["\"qbitrr\"", "\"/a b\"", "\"/a?b\"", "\"/a#b\"", "\"/a\\\\b\"", "\"/a\\nb\""],
        ),
        // [qBit]
        case(
            "qBit",
            "Host",
            "at most 2048 characters, no spaces or control characters",
            &["\"qbit.lan\"", "\"https://qbit.example.com/qb/\""],
            &["\"qbit lan\"", "\"qbit\\tlan\"", "\"qbit\\n.lan\""],
        )
        .more(vec![long(2_048)], vec![long(2_049)]),
        case(
            "qBit",
            "Port",
            "1 to 65535",
            &["1", "8080", "65535"],
            &big(vec!["0", "-1", "65536"]),
        ),
        case(
            "qBit",
            "ReadMode",
            "auto, maindata or lists (any case)",
            &["\"auto\"", "\"MainData\"", "\" lists \""],
            &["\"sync\"", "\"\""],
        ),
        case(
            "qBit",
            "UserName",
            "at most 255 characters, no control characters",
            &["\"admin\"", "\"Jane Doe\""],
            &["\"ad\\nmin\""],
        )
        .more(vec![long(255)], vec![long(256)]),
        case(
            "qBit",
            "Password",
            "at most 1024 characters",
            &["\"p w\\t!\"", "\"\\u0000\""],
            &[],
        )
        .more(vec![long(1_024)], vec![long(1_025)]),
        case(
            "qBit",
            "APIKey",
            "at most 1024 characters, no spaces or control characters",
            &["\"qbt_0123456789\""],
            &["\"qbt key\"", "\"qbt\\nkey\""],
        )
        .more(vec![long(1_024)], vec![long(1_025)]),
        // [<Arr>]
        case(
            "Radarr-A",
            "URI",
            "at most 2048 characters, no spaces or control characters",
            &["\"http://radarr:7878/radarr/\"", "\"https://[::1]:7878\""],
            &["\"http://radarr 7878\"", "\"http://radarr\\n:7878\""],
        )
        .more(
            vec![format!("\"http://{}\"", "h".repeat(2_041))],
            vec![format!("\"http://{}\"", "h".repeat(2_042))],
        ),
        case(
            "Radarr-A",
            "APIKey",
            "at most 1024 characters, no spaces or control characters",
            &["\"0123456789abcdef0123456789abcdef\""],
            &["\"0123 4567\"", "\"k\\u007fk\""],
        )
        .more(vec![long(1_024)], vec![long(1_025)]),
        case(
            "Radarr-A",
            "Category",
            CATEGORY,
            &["\"movies\"", "\"radarr/4k\"", "\"映画\""],
            CATEGORY_BAD,
        )
        .more(vec![long(255)], vec![long(256), long(10_000_000)]),
        case(
            "Radarr-A",
            "importMode",
            "Auto, Move or Copy (any case)",
            &["\"move\"", "\"COPY\"", "\"Auto\""],
            &["\"Hardlink\"", "\"\""],
        ),
        case(
            "Radarr-A",
            "CheckInterval",
            "1 to 86400 seconds (1d)",
            &["1", "30", "86400", "\"1d\""],
            &big(vec!["0", "-1", "86401"]),
        ),
        case(
            "Radarr-A",
            "DelayAfterImport",
            "0 to 86400 seconds (1d)",
            &["0", "86400"],
            &big(vec!["-1", "86401"]),
        ),
        case(
            "Radarr-A",
            "DelayAfterSearch",
            "0 to 86400 seconds (1d)",
            &["0", "\"1d\""],
            &big(vec!["-1", "\"2d\""]),
        ),
        case(
            "Radarr-A",
            "RssSyncTimer",
            "0 to 1440 minutes (1d)",
            &["0", "1440", "\"1d\""],
            &big(vec!["-1", "1441", "\"2d\""]),
        ),
        case(
            "Radarr-A",
            "RefreshDownloadsTimer",
            "0 to 1440 minutes (1d)",
            &["0", "15", "\"90m\""],
            &big(vec!["-1", "1441"]),
        ),
        case(
            "Radarr-A",
            "ArrErrorCodesToBlocklist",
            "a list of at most 100 texts, each not blank and at most 1000 characters, no control characters",
            &["[]", "[\"Not an upgrade\"]", "[\" padded \"]"],
            &["[\"\"]", "[\"ok\", \"  \"]", "[\"a\\nb\"]"],
        )
        .more(
            vec![
                format!("[{}]", long(1_000)),
                format!("[{}]", vec!["\"x\""; 100].join(", ")),
            ],
            vec![
                format!("[{}]", long(1_001)),
                format!("[{}]", vec!["\"x\""; 101].join(", ")),
            ],
        ),
        case(
            "Radarr-A",
            "DelayAfterBlacklist",
            "0 to 86400 seconds (1d)",
            &["0", "86400"],
            &big(vec!["-1", "86401"]),
        ),
        // [<Arr>.Torrent]
        case(
            "Radarr-A.Torrent",
            "IgnoreTorrentsYoungerThan",
            "0 to 31536000 seconds (365d)",
            &["0", "31536000"],
            &big(vec!["-1", "31536001"]),
        ),
        case(
            "Radarr-A.Torrent",
            "FolderExclusionRegex",
            TEXTS,
            &["[]", r#"["\\bextras?\\b", "\\bnc(ed|op)?(\\\\d+)?\\b"]"#],
            &["[\"\"]", "[\"ok\", \"  \"]", "[\"a\\nb\"]"],
        )
        .more(
            vec![format!("[{}]", vec!["\"x\""; 100].join(", "))],
            vec![
                format!("[{}]", long(1_001)),
                format!("[{}]", vec!["\"x\""; 101].join(", ")),
            ],
        ),
        case(
            "Radarr-A.Torrent",
            "FileNameExclusionRegex",
            TEXTS,
            &["[]", r#"["\\bsample\\b", "music video"]"#],
            &["[\" \"]", "[\"a\\tb\"]"],
        ),
        case(
            "Radarr-A.Torrent",
            "FileExtensionAllowlist",
            TEXTS,
            &["[]", r#"[".mkv", ".!qB", "\\.m(p4|kv)"]"#],
            &["[\"\"]", "[\".mkv\", \"\\u0000\"]"],
        ),
        case(
            "Radarr-A.Torrent",
            "MaximumETA",
            "-1 (off) or 0 to 31536000 seconds (365d)",
            &["-1", "0", "31536000", "\"365d\""],
            &big(vec!["-2", "31536001", "\"366d\""]),
        ),
        case(
            "Radarr-A.Torrent",
            "MaximumDeletablePercentage",
            "0 to 1",
            &["0", "1", "0.99", "1.0", "-0.0"],
            &["-0.01", "1.01", "-1", "nan", "inf", "-inf", "1e308"],
        ),
        case(
            "Radarr-A.Torrent",
            "StalledDelay",
            "-1 (off) or 0 to 525600 minutes (365d)",
            &["-1", "0", "15", "525600", "\"365d\"", "\"90s\""],
            &big(vec!["-2", "525601", "\"366d\"", "\"365d1s\""]),
        ),
        case(
            "Radarr-A.Torrent",
            "MaxRemovalsPerPass",
            "1 to 100000",
            &["1", "20", "100000"],
            &big(vec!["0", "-1", "100001"]),
        ),
        case(
            "Radarr-A.Torrent",
            "MaxRemovalsPerHour",
            "1 to 1000000",
            &["1", "100", "1000000"],
            &big(vec!["0", "-1", "1000001"]),
        ),
        case(
            "Radarr-A.Torrent",
            "UnregisteredDelay",
            "-1 (off) or 0 to 525600 minutes (365d)",
            &["-1", "0", "60", "525600", "\"2h\""],
            &big(vec!["-2", "525601", "\"366d\""]),
        ),
        case(
            "Radarr-A.Torrent",
            "UnregisteredMessages",
            "a list of at most 100 texts, each not blank and at most 1000 characters, no control characters",
            &["[]", "[\"Unregistered torrent\"]"],
            &["[\"\"]", "[\"a\\nb\"]"],
        ),
        // [<Arr>.Torrent.SeedingMode]
        case(
            "Radarr-A.Torrent.SeedingMode",
            "RemoveTrackerWithMessage",
            "a list of at most 100 texts, each not blank and at most 1000 characters, no control characters",
            &["[]", "[\"skipping tracker announce (unreachable)\"]"],
            &["[\"\"]", "[\"a\\nb\"]"],
        ),
        case(
            "Radarr-A.Torrent.SeedingMode",
            "MaxUploadRatio",
            "-1 (off) or more than 0 up to 1000000",
            &["-1", "0.01", "2", "1000000"],
            &["0", "-0.5", "-2", "1000000.5", "nan", "inf", "-inf", "1e308"],
        ),
        case(
            "Radarr-A.Torrent.SeedingMode",
            "MaxSeedingTime",
            "-1 (off) or 0 to 315360000 seconds (3650d)",
            &["-1", "0", "315360000", "\"3650d\""],
            &big(vec!["-2", "315360001", "\"3651d\""]),
        ),
        case(
            "Radarr-A.Torrent.SeedingMode",
            "RemoveTorrent",
            "-1 (never), 1 (at MaxUploadRatio), 2 (at MaxSeedingTime), 3 (at either) or 4 (at both)",
            &["-1", "1", "2", "3", "4"],
            &big(vec!["0", "5", "-2"]),
        ),
        case(
            "Radarr-A.Torrent.SeedingMode",
            "DownloadRateLimitPerTorrent",
            "-1 to 4000000",
            &["-1", "0", "100", "4000000"],
            &big(vec!["-2", "4000001"]),
        ),
        case(
            "Radarr-A.Torrent.SeedingMode",
            "UploadRateLimitPerTorrent",
            "-1 to 4000000",
            &["-1", "0", "100", "4000000"],
            &big(vec!["-2", "4000001"]),
        ),
        // [qBit] ManagedCategories and [qBit.CategorySeeding]
        case(
            "qBit.CategorySeeding",
            "DownloadRateLimitPerTorrent",
            "-1 to 4000000",
            &["-1", "0", "100", "4000000"],
            &big(vec!["-2", "4000001"]),
        ),
        case(
            "qBit.CategorySeeding",
            "UploadRateLimitPerTorrent",
            "-1 to 4000000",
            &["-1", "0", "100", "4000000"],
            &big(vec!["-2", "4000001"]),
        ),
        case(
            "qBit",
            "ManagedCategories",
            "a list of at most 100 texts, each not blank and at most 255 characters, no control characters, no backslash, no / at either end or twice in a row",
            &["[]", "[\"seed\"]", "[\"long/term\", \"Keep Me\"]"],
            &["[\"\"]", "[\"/seed\"]", "[\"a//b\"]", "[\"a\\\\b\"]", "[\"a\\nb\"]"],
        ),
        case(
            "qBit.CategorySeeding",
            "MaxUploadRatio",
            "-1 (off) or more than 0 up to 1000000",
            &["-1", "0.01", "2", "1000000"],
            &["0", "-0.5", "-2", "1000000.5", "nan", "inf"],
        ),
        case(
            "qBit.CategorySeeding",
            "MaxSeedingTime",
            "-1 (off) or 0 to 315360000 seconds (3650d)",
            &["-1", "0", "315360000", "\"3650d\""],
            &big(vec!["-2", "315360001", "\"3651d\""]),
        ),
        case(
            "qBit.CategorySeeding",
            "RemoveTorrent",
            "-1 (never), 1 (at MaxUploadRatio), 2 (at MaxSeedingTime), 3 (at either) or 4 (at both)",
            &["-1", "1", "2", "3", "4"],
            &big(vec!["0", "5", "-2"]),
        ),
        case(
            "qBit.CategorySeeding",
            "HitAndRunMode",
            "and, or or disabled (any case)",
            &["\"and\"", "\"OR\"", "\"disabled\"", "true", "false"],
            &["\"both\"", "\"\""],
        ),
        case(
            "qBit.CategorySeeding",
            "MinSeedRatio",
            "0 to 1000000",
            &["0", "1", "1000000"],
            &["-1", "1000001", "nan"],
        ),
        case(
            "qBit.CategorySeeding",
            "MinSeedingTimeDays",
            "0 to 3650",
            &["0", "7", "3650"],
            &["-1", "3651", "nan"],
        ),
        case(
            "qBit.CategorySeeding",
            "HitAndRunMinimumDownloadPercent",
            "0 to 100",
            &["0", "10", "100"],
            &["-1", "100.5", "nan"],
        ),
        case(
            "qBit.CategorySeeding",
            "HitAndRunPartialSeedRatio",
            "0 to 1000000",
            &["0", "1", "1000000"],
            &["-1", "1000001", "nan"],
        ),
        case(
            "qBit.CategorySeeding",
            "TrackerUpdateBuffer",
            "0 to 2592000 seconds (30d)",
            &["0", "600", "2592000", "\"30d\""],
            &big(vec!["-1", "2592001", "\"31d\""]),
        ),
        case(
            "qBit.CategorySeeding",
            "StalledDelay",
            "-1 (off) or 0 to 525600 minutes (365d)",
            &["-1", "0", "15", "525600", "\"365d\""],
            &big(vec!["-2", "525601", "\"366d\""]),
        ),
        case(
            "qBit.CategorySeeding",
            "IgnoreTorrentsYoungerThan",
            "0 to 31536000 seconds (365d)",
            &["0", "180", "31536000", "\"365d\""],
            &big(vec!["-1", "31536001", "\"366d\""]),
        ),
    ]
}

#[test]
fn every_key_accepts_its_range_and_rejects_the_rest_with_key_line_and_range() {
    for c in cases() {
        let path = format!("{}.{}", c.table, c.key);
        for value in &c.ok {
            let (text, _) = render(&[(c.table, c.key, value.clone())]);
            if let Err(e) = load(&text, &[]) {
                panic!("{path} = {}: expected it to load, got:\n{e}", cut(value));
            }
        }
        for value in &c.bad {
            let (text, lines) = render(&[(c.table, c.key, value.clone())]);
            let e = match load(&text, &[]) {
                Ok(_) => panic!("{path} = {}: expected an error", cut(value)),
                Err(e) => e,
            };
            let shown = e.to_string();
            let prefix = format!("config.toml:{}: {path}: ", lines[0]);
            let line = shown.lines().find(|l| l.starts_with(&prefix));
            let Some(line) = line else {
                panic!(
                    "{path} = {}: no error at {prefix:?} in:\n{}",
                    cut(value),
                    cut(&shown)
                );
            };
            assert!(
                line.contains(c.allowed),
                "{path} = {}: the message does not give the range {:?}:\n{line}",
                cut(value),
                c.allowed
            );
            assert_eq!(
                e.problems().len(),
                1,
                "{path} = {}: one error:\n{}",
                cut(value),
                cut(&shown)
            );
            assert!(
                shown.len() < 1_000,
                "{path}: the message repeats the value:\n{}",
                cut(&shown)
            );
        }
    }
}

#[test]
fn a_file_filter_pattern_that_does_not_compile_names_key_line_and_item() {
    for (key, value, says) in [
        (
            "FolderExclusionRegex",
            r#"["ok", "(unclosed"]"#,
            "item 2 is not a valid regex",
        ),
        ("FileNameExclusionRegex", r#"["(?<!x)y"]"#, "no look-around"),
        ("FileExtensionAllowlist", r#"[".mkv", "mkv"]"#, "with its dot"),
    ] {
        let (text, lines) = render(&[("Radarr-A.Torrent", key, value.to_string())]);
        let e = load(&text, &[]).expect_err("a pattern that does not compile");
        let shown = e.to_string();
        let prefix = format!("config.toml:{}: Radarr-A.Torrent.{key}: ", lines[0]);
        let line = shown.lines().find(|l| l.starts_with(&prefix));
        assert!(line.is_some_and(|l| l.contains(says)), "{key}: {shown}");
        assert_eq!(e.problems().len(), 1, "{shown}");
    }
}

/// A value or message cut short for a test failure.
fn cut(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Every supported key that is not true/false, by (table path, key).
fn bounded_keys() -> BTreeSet<(&'static str, &'static str)> {
    let mut keys = BTreeSet::new();
    for (_, path, schema) in tables() {
        for key in schema.keys {
            if key.bounds().is_some_and(|b| !matches!(b, Bounds::Flag)) {
                keys.insert((path, key.name));
            }
        }
    }
    keys
}

#[test]
fn the_table_covers_every_bounded_key_with_the_schema_range() {
    let mut covered = BTreeSet::new();
    for c in cases() {
        let schema = tables()
            .into_iter()
            .find(|(_, path, _)| *path == c.table)
            .map(|(_, _, schema)| schema)
            .unwrap_or_else(|| panic!("{}: no such table", c.table));
        let key = schema
            .get(c.key)
            .unwrap_or_else(|| panic!("{}.{}: not in the schema", c.table, c.key));
        assert_eq!(key.allowed().as_deref(), Some(c.allowed), "{}.{}", c.table, c.key);
        assert!(
            !c.ok.is_empty(),
            "{}.{}: no value inside the range",
            c.table,
            c.key
        );
        covered.insert((c.table, c.key));
    }
    let missing: Vec<_> = bounded_keys().difference(&covered).copied().collect();
    assert!(missing.is_empty(), "keys without a case: {missing:?}");
}

#[test]
fn the_readme_documents_every_range() {
    let readme = include_str!("../../README.md");
    let mut missing = Vec::new();
    for (label, _, schema) in tables() {
        for key in schema.keys {
            let Some(bounds) = key.bounds() else {
                continue;
            };
            if matches!(bounds, Bounds::Flag) {
                continue;
            }
            let allowed = key.allowed().unwrap_or_default();
            let row = format!("| `{label}` | `{}` | {allowed} |", key.name);
            if !readme.lines().any(|line| line.starts_with(&row)) {
                missing.push(row);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md lacks these rows of its table of ranges:\n{}",
        missing.join("\n")
    );
}

/// What the daemon does with a loaded config's values must not overflow or panic: durations
/// are added to `Instant::now()`, intervals multiplied for `/health`, categories percent-encoded
/// into a `torrents/info` URL (which http limits to 65534 bytes), section names used as thread
/// names.
fn assert_usable(c: &Config) {
    let now = Instant::now();
    let s = &c.settings;
    let mut durations = vec![
        s.loop_sleep,
        s.ignore_younger_than,
        s.restart_window,
        s.restart_delay,
    ];
    let mut intervals = vec![s.loop_sleep];
    let mut categories = vec![&s.failed_category, &s.recheck_category];
    for arr in &c.arrs {
        let (t, seeding) = (&arr.torrent, &arr.seeding);
        durations.extend([
            arr.delay_after_import,
            arr.delay_after_search,
            arr.delay_after_blacklist,
            t.ignore_younger_than,
        ]);
        durations.extend(arr.check_interval);
        durations.extend(arr.rss_sync_every);
        durations.extend(arr.refresh_downloads_every);
        durations.extend(t.maximum_eta);
        durations.extend(seeding.max_seeding_time);
        if let StalledDelay::After(d) = t.stalled_delay {
            durations.push(d);
        }
        intervals.extend(arr.check_interval);
        categories.push(&arr.category);
        assert!(arr.name.chars().count() <= 255 && !arr.name.contains(char::is_control));
        assert!(arr.uri.len() <= 4 * 2_048 && !arr.uri.contains(char::is_whitespace));
        assert!(arr.api_key.chars().count() <= 1_024 && !arr.api_key.contains(char::is_control));
        assert!((0.0..=1.0).contains(&t.maximum_deletable_percentage));
        assert!(seeding.max_upload_ratio.is_none_or(|r| r > 0.0 && r <= 1e6));
    }
    for d in durations {
        assert!(now.checked_add(d).is_some(), "{d:?} does not fit in an Instant");
        assert!(d <= Duration::from_secs(10 * 365 * 86_400), "{d:?}");
    }
    for interval in intervals {
        assert!(interval >= Duration::from_secs(1));
        assert!(interval
            .as_secs()
            .checked_mul(3)
            .is_some_and(|n| n <= u64::from(u32::MAX)));
    }
    for q in &c.qbit {
        assert!(q.name.chars().count() <= 255 && !q.name.contains(char::is_control));
        assert!(!q.url.contains(char::is_whitespace));
        for category in &categories {
            // Every character percent-encoded: at most 4 bytes of UTF-8, 3 characters each.
            let query = 12 * category.chars().count() + 64;
            assert!(q.url.len() + query < 65_534, "{} + {query}", q.url.len());
        }
        assert!(q.username.as_ref().is_none_or(|u| u.chars().count() <= 255));
        assert!(q.password.as_ref().is_none_or(|p| p.chars().count() <= 1_024));
        assert!(q.api_key.as_ref().is_none_or(|k| !k.contains(char::is_control)));
    }
    for category in categories {
        assert!(category.chars().count() <= 255 && !category.contains(char::is_control));
    }
    assert!(s.max_restarts <= 1_000 && s.log_rotate_count <= 100);
    assert!((64 << 10..=1 << 30).contains(&s.log_rotate_size));
    assert!(c.webui.port >= 1 && c.webui.host.chars().count() <= 255);
    assert!(c
        .webui
        .token
        .as_ref()
        .is_none_or(|t| !t.contains(char::is_control)));
}

/// Loads `text`; an accepted config must be usable, a rejected one must say so briefly.
fn load_never_panics(text: &str, env: &[(String, String)]) {
    match load(text, env) {
        Ok(loaded) => assert_usable(&loaded.config),
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.is_empty());
            assert!(
                shown.len() < 20_000,
                "a message repeats a value:\n{}",
                shown.lines().map(cut).collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// Values of every TOML kind, at and past every edge, as TOML literals.
fn extremes() -> Vec<String> {
    let mut values: Vec<String> = [
        "0",
        "1",
        "-1",
        "-2",
        "65535",
        "65536",
        "2147483647",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "-99999999999999999999",
        "999999999999999999999999999999999999999999",
        "0x7fffffffffffffff",
        "0.0",
        "-0.0",
        "0.5",
        "-1.0",
        "1e6",
        "1e308",
        "-1e308",
        "5e-324",
        "nan",
        "-nan",
        "inf",
        "-inf",
        "true",
        "false",
        "[1, 2]",
        "[\"a\", \"b\"]",
        "{ a = 1 }",
        "1979-05-27T07:32:00Z",
        "\"\"",
        "\" \"",
        "\"-1\"",
        "\"0s\"",
        "\"1d\"",
        "\"99999999999999999999w\"",
        "\"18446744073709551615s\"",
        "\"99999999999999999999\"",
        "\"99999999999999999999G\"",
        "\"CHANGE_ME\"",
        "\"a\\nb\"",
        "\"\\u0000\"",
        "\"\\u007f\"",
        "\"\\r\\n\"",
        "\"/\"",
        "\"a//b\"",
        "\"[::1]\"",
        "\"http://[::1\"",
        "\"https://\"",
        "\"http://u:p@h:99999/x?y#z\"",
        "\"ftp://h\"",
        "\"move\"",
        "\"debug\"",
    ]
    .iter()
    .map(|v| v.to_string())
    .collect();
    values.extend([
        long(100_000),
        format!("\"http://{}\"", "x".repeat(70_000)),
        format!("\"{}\"", "é".repeat(70_000)),
        format!("\"{}\"", "\\n".repeat(1_000)),
    ]);
    values
}

/// Environment values of every kind (overrides are strings).
fn env_extremes() -> Vec<String> {
    let mut values: Vec<String> = [
        "99999999999999999999",
        "-99999999999999999999",
        "9223372036854775807",
        "-1",
        "0",
        "inf",
        "nan",
        "1e308",
        "yes",
        "",
        "a\nb",
        "\u{0}",
        "1d",
        "99999999999999999999w",
    ]
    .iter()
    .map(|v| v.to_string())
    .collect();
    values.push("x".repeat(100_000));
    values
}

/// Every supported key, by (table path, key).
fn supported_keys() -> Vec<(&'static str, &'static str)> {
    let mut keys = Vec::new();
    for (_, path, schema) in tables() {
        for key in schema.keys {
            if key.bounds().is_some() {
                keys.push((path, key.name));
            }
        }
    }
    keys
}

/// The environment variable that overrides `key` of `table`.
fn env_name(table: &str, key: &str) -> String {
    let section: String = table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("QBITRR_{section}__{}", key.to_ascii_uppercase())
}

#[test]
fn extreme_values_in_every_supported_key_never_panic() {
    let values = extremes();
    for (table, key) in supported_keys() {
        for value in &values {
            let (text, _) = render(&[(table, key, value.clone())]);
            load_never_panics(&text, &[]);
        }
        for value in env_extremes() {
            let (text, _) = render(&[]);
            load_never_panics(&text, &[(env_name(table, key), value)]);
        }
    }
}

/// xorshift64: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

#[test]
fn random_mixes_of_extreme_values_never_panic() {
    let (values, env_values, keys) = (extremes(), env_extremes(), supported_keys());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let sets: Vec<(&str, &str, String)> = (0..1 + rng.below(12))
            .map(|_| {
                let (table, key) = keys[rng.below(keys.len())];
                (table, key, values[rng.below(values.len())].clone())
            })
            .collect();
        let env: Vec<(String, String)> = (0..rng.below(3))
            .map(|_| {
                let (table, key) = keys[rng.below(keys.len())];
                (
                    env_name(table, key),
                    env_values[rng.below(env_values.len())].clone(),
                )
            })
            .collect();
        let (text, _) = render(&sets);
        load_never_panics(&text, &env);
    }
}

#[test]
fn odd_section_names_are_refused_without_panicking() {
    let names = [
        "Radarr-\\u0000".to_string(),
        "Radarr-a\\nb".to_string(),
        format!("Radarr-{}", "x".repeat(300)),
        format!("qBit-{}", "y".repeat(100_000)),
        "qBit-\\u001b[31m".to_string(),
    ];
    for name in names {
        let text =
            format!("[qBit]\nHost = \"h\"\n[\"{name}\"]\nHost = \"h\"\nURI = \"http://r\"\nAPIKey = \"k\"\n");
        let e = match load(&text, &[]) {
            Ok(_) => panic!("{}: expected an error", cut(&name)),
            Err(e) => e,
        };
        let shown = e.to_string();
        assert!(shown.starts_with("config.toml:3: \""), "{}", cut(&shown));
        assert!(shown.contains("the section name"), "{}", cut(&shown));
        assert!(
            shown.contains("a section name must be at most 255 characters, no control characters"),
            "{}",
            cut(&shown)
        );
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{}",
            cut(&shown)
        );
        assert!(shown.len() < 1_000, "{}", cut(&shown));
    }
    // 255 characters and any letters are fine.
    let name = format!("Radarr-{}", "é".repeat(248));
    let text =
        format!("[qBit]\nHost = \"h\"\n[\"{name}\"]\nURI = \"http://r\"\nAPIKey = \"k\"\nCategory = \"c\"\n");
    let loaded = load(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.config.arrs[0].name, name);
}
