//! The loader's public face: [`load`], [`load_str`], [`Loaded`] and [`ConfigError`].
//!
//! It runs the stages in order (parse with lines → environment overrides → schema check →
//! validation) and turns what they collected into one result: either a [`Config`] with
//! start-up warnings, or one error listing every problem at once.

use std::fmt;
use std::path::{Path, PathBuf};

use super::report::{at, Location, Problem, Report};
use super::types::Config;
use super::{check, env, not_done, tree, validate};

/// A configuration that passed validation, with the warnings to log once at start-up
/// (unknown keys, ignored qBitrr keys, ineffective settings).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The validated configuration.
    pub config: Config,
    /// One line each, e.g. `config.toml:12: Settings.LoopSleepTimr: unknown key, ignored; did you
    /// mean `LoopSleepTimer`?` or `ignored (not supported yet): Settings.FreeSpace, ...`.
    pub warnings: Vec<String>,
    /// What qBitrr does with this config that qbitrr-lite does not do yet, one line per
    /// behaviour that is on (at qBitrr's default or as set), e.g. `EntrySearch.Overseerr/Ombi
    /// requests is on in Radarr-1080 (as set), but requests are not searched for yet`. Logged
    /// once at start.
    pub not_done: Vec<String>,
}

/// Why the configuration cannot be used. The caller exits with code 2 on any of these.
///
/// `Display` writes one problem per line, e.g.
/// `config.toml:254: Sonarr-TV.URI: still CHANGE_ME; set it to ...`.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The path as given.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    Syntax {
        /// The file name used in messages.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The parser's message (never the offending text, which could be a secret).
        message: String,
    },
    /// Values are wrong (type, range, missing, conflicting). Also lists required keys that are
    /// still `CHANGE_ME` (among `problems`) and, when there are some, the unused ones.
    Invalid {
        /// The file name used in messages.
        file: String,
        /// Every problem found, in file order, then environment variables, then whole-file ones.
        problems: Vec<Problem>,
        /// Keys still `CHANGE_ME` that qbitrr-lite does not use (listed for completeness).
        unused_placeholders: Vec<Problem>,
        /// Warnings found on the way (unknown keys often explain a "missing" error).
        warnings: Vec<String>,
    },
    /// The only problems are required keys still set to `CHANGE_ME`.
    Placeholders {
        /// The file name used in messages.
        file: String,
        /// Keys qbitrr-lite needs that are still `CHANGE_ME`.
        required: Vec<Problem>,
        /// Keys still `CHANGE_ME` that qbitrr-lite does not use.
        unused: Vec<Problem>,
        /// Warnings found on the way.
        warnings: Vec<String>,
    },
}

impl ConfigError {
    /// The problems that make the configuration unusable (for `Placeholders`: the required ones).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Placeholders { required, .. } => required,
            ConfigError::Read { .. } | ConfigError::Syntax { .. } => &[],
        }
    }

    /// Keys still `CHANGE_ME` that qbitrr-lite does not use (listed only next to required ones).
    pub fn unused_placeholders(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid {
                unused_placeholders, ..
            } => unused_placeholders,
            ConfigError::Placeholders { unused, .. } => unused,
            ConfigError::Read { .. } | ConfigError::Syntax { .. } => &[],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, problems, unused, warnings) = match self {
            ConfigError::Read { path, source } => {
                return write!(f, "cannot read {}: {source}", path.display());
            }
            ConfigError::Syntax {
                file,
                line,
                column,
                message,
            } => return write!(f, "{file}:{line}:{column}: invalid TOML: {message}"),
            ConfigError::Invalid {
                file,
                problems,
                unused_placeholders,
                warnings,
            } => (file, problems, unused_placeholders, warnings),
            ConfigError::Placeholders {
                file,
                required,
                unused,
                warnings,
            } => (file, required, unused, warnings),
        };
        let mut first = true;
        let mut line = |f: &mut fmt::Formatter<'_>, text: &str| {
            if !std::mem::take(&mut first) {
                writeln!(f)?;
            }
            f.write_str(text)
        };
        for problem in problems {
            line(f, &format_problem(file, problem))?;
        }
        if !unused.is_empty() {
            line(
                f,
                "also still CHANGE_ME (not used by qbitrr-lite; they can stay as they are):",
            )?;
            for problem in unused {
                line(f, &format!("  {}: {}", at(file, &problem.location), problem.key))?;
            }
        }
        for warning in warnings {
            line(f, &format!("warning: {warning}"))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `file:line: key: message` (without `key: ` when the problem concerns the whole file).
fn format_problem(file: &str, problem: &Problem) -> String {
    if problem.key.is_empty() {
        format!("{}: {}", at(file, &problem.location), problem.message)
    } else {
        format!(
            "{}: {}: {}",
            at(file, &problem.location),
            problem.key,
            problem.message
        )
    }
}

/// Reads `path` and the process environment, and loads the configuration.
///
/// Environment variables that are not valid Unicode are skipped.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    load_str(&text, &path.display().to_string(), &env)
}

/// Loads a configuration from `text`; `file_name` is used in messages and `env` stands for the
/// process environment (only `QBITRR_*` variables are looked at).
pub fn load_str(text: &str, file_name: &str, env: &[(String, String)]) -> Result<Loaded, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut root = tree::parse(text).map_err(|err| ConfigError::Syntax {
        file: file_name.to_string(),
        line: err.line,
        column: err.column,
        message: err.message,
    })?;
    let mut report = Report::default();
    env::apply(&mut root, env, file_name, &mut report);
    let checked = check::check(&mut root, file_name, &mut report);
    let config = validate::validate(&root, &checked.locs, file_name, &mut report);

    let Report {
        mut problems,
        mut warnings,
        ..
    } = report;
    if problems.is_empty() && checked.required.is_empty() {
        warnings.extend(checked.ignored);
        let not_done = not_done::warnings(&root, &config);
        return Ok(Loaded {
            config,
            warnings,
            not_done,
        });
    }
    let file = file_name.to_string();
    if problems.is_empty() {
        return Err(ConfigError::Placeholders {
            file,
            required: checked.required,
            unused: checked.unused,
            warnings,
        });
    }
    let unused_placeholders = if checked.required.is_empty() {
        Vec::new()
    } else {
        checked.unused
    };
    problems.extend(checked.required);
    // File order first, then environment variables, then whole-file problems.
    problems.sort_by_key(|p| match p.location {
        Location::Line(line) => (0, line),
        Location::Env(_) => (1, 0),
        Location::File => (2, 0),
    });
    Err(ConfigError::Invalid {
        file,
        problems,
        unused_placeholders,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::types::{ImportMode, Owner, RemoveTorrent, StalledDelay};
    use crate::model::ArrKind;
    use crate::tracker::HnrMode;

    const MINIMAL: &str = "\
[qBit]
Host = \"localhost\"

[Radarr-Movies]
URI = \"http://radarr:7878/\"
APIKey = \"0123456789abcdef\"
";

    fn load_env(text: &str, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        load_str(text, "config.toml", &env)
    }

    fn ok(text: &str) -> Loaded {
        match load_env(text, &[]) {
            Ok(loaded) => loaded,
            Err(err) => panic!("expected a valid config, got:\n{err}"),
        }
    }

    fn err(text: &str) -> ConfigError {
        match load_env(text, &[]) {
            Ok(loaded) => panic!("expected an error, got {loaded:#?}"),
            Err(err) => err,
        }
    }

    /// (key, line) of every problem.
    fn keys_and_lines(err: &ConfigError) -> Vec<(String, Option<usize>)> {
        err.problems().iter().map(|p| (p.key.clone(), p.line())).collect()
    }

    fn has(err: &ConfigError, key: &str, line: usize) -> bool {
        err.problems()
            .iter()
            .any(|p| p.key == key && p.line() == Some(line))
    }

    #[test]
    fn entry_search_keys_are_read_with_qbitrrs_defaults_and_ours() {
        let arr = |extra: &str| {
            let loaded = ok(&format!("{MINIMAL}{extra}"));
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
            (
                loaded.config.arrs[0].search.clone(),
                loaded.config.settings.search_delay,
            )
        };
        let (search, delay) = arr("");
        assert_eq!(search, crate::config::EntrySearch::default());
        assert!(search.runs() && search.today_first && search.again_on_completion);
        assert_eq!(
            (search.limit, search.per_hour, search.per_day),
            (5, Some(20), Some(200))
        );
        assert_eq!(delay, Duration::from_secs(30));
        let (search, delay) = arr(
            "[Settings]\nSearchLoopDelay = 0\n[Radarr-Movies.EntrySearch]\nSearchMissing = false\n\
             QualityUnmetSearch = true\nAlsoSearchSpecials = true\nUnmonitored = true\nSearchLimit = 2\n\
             SearchInReverse = true\nSearchAgainOnSearchCompletion = false\nSearchBySeries = false\n\
             PrioritizeTodaysReleases = false\nSearchesPerHour = -1\nSearchesPerDay = 50\n",
        );
        assert_eq!(delay, Duration::ZERO);
        assert!(!search.runs() && search.quality_unmet && search.specials && search.unmonitored);
        assert!(search.reverse && !search.again_on_completion && !search.today_first);
        assert_eq!(search.by_series, crate::config::SeriesSearch::Episode);
        assert_eq!(
            (search.limit, search.per_hour, search.per_day),
            (2, None, Some(50))
        );
        for (value, want) in [
            ("true", crate::config::SeriesSearch::Series),
            ("\"SMART\"", crate::config::SeriesSearch::Smart),
        ] {
            let (search, _) = arr(&format!(
                "[Radarr-Movies.EntrySearch]\nSearchBySeries = {value}\n"
            ));
            assert_eq!(search.by_series, want, "{value}");
        }
        // Temp profiles: off, nothing mapped, three retries, no timeout, by default.
        let (search, _) = arr("");
        assert!(!search.temp.on && search.temp.mappings.is_empty() && search.temp.timeout.is_none());
        assert_eq!(search.temp.retries, 3);
        let (search, _) = arr(
            "[Radarr-Movies.EntrySearch]\nUseTempForMissing = true\nKeepTempProfile = true\n\
             QualityProfileMappings = {\"Ultra-HD\" = \"HD-1080p\", \"HD-1080p\" = \"Any (MP3)\"}\n\
             ForceResetTempProfiles = true\nTempProfileResetTimeoutMinutes = 10080\nProfileSwitchRetryAttempts = 0\n",
        );
        assert_eq!(
            search.temp,
            crate::config::TempProfiles {
                on: true,
                keep: true,
                mappings: vec![
                    ("HD-1080p".into(), "Any (MP3)".into()),
                    ("Ultra-HD".into(), "HD-1080p".into()),
                ],
                force_reset: true,
                timeout: Some(Duration::from_secs(10080 * 60)),
                retries: 0,
            }
        );
        // 0 minutes: never.
        let (search, _) = arr("[Radarr-Movies.EntrySearch]\nTempProfileResetTimeoutMinutes = 0\n");
        assert_eq!(search.temp.timeout, None);
        // A managed category has no Arr to search in.
        let loaded = ok(&MINIMAL.replace("[qBit]\n", "[qBit]\nManagedCategories = [\"seed\"]\n"));
        assert!(loaded
            .config
            .arrs
            .iter()
            .any(|a| !a.has_arr() && !a.search.runs()));
    }

    #[test]
    fn request_managers_are_read_when_on_and_must_then_be_set() {
        use crate::config::RequestManager;
        let base = "[qBit]\nHost = \"h\"\n[Radarr-4K]\nURI = \"http://r\"\nAPIKey = \"k\"\n";
        let source = |extra: &str| {
            ok(&format!("{base}{extra}")).config.arrs[0]
                .search
                .requests
                .clone()
        };
        assert_eq!(source(""), None);
        let overseerr = "[Radarr-4K.EntrySearch.Overseerr]\nSearchOverseerrRequests = true\n\
                         OverseerrURI = \"http://o:5055/\"\nOverseerrAPIKey = \"ok\"\n";
        let ombi = "[Radarr-4K.EntrySearch.Ombi]\nSearchOmbiRequests = true\nOmbiURI = \"http://b\"\n\
                    OmbiAPIKey = \"bk\"\nApprovedOnly = false\n";
        let o = source(overseerr).expect("Overseerr");
        assert_eq!(
            (o.manager, o.uri.as_str(), o.api_key.as_str()),
            (RequestManager::Overseerr, "http://o:5055", "ok")
        );
        // Is4K defaults from the section name, as qBitrr's generator does.
        assert!(o.is_4k && o.approved_only && !o.skip_tls_verify);
        let b = source(ombi).expect("Ombi");
        assert_eq!(
            (b.manager, b.approved_only, b.is_4k),
            (RequestManager::Ombi, false, false)
        );
        // Both on: Overseerr, as in qBitrr.
        assert_eq!(
            source(&format!("{overseerr}{ombi}")).map(|s| s.manager),
            Some(RequestManager::Overseerr)
        );
        // On without its address or key: an error naming the key.
        let e = err(&format!(
            "{base}[Radarr-4K.EntrySearch.Overseerr]\nSearchOverseerrRequests = true\n\
             OverseerrURI = \"CHANGE_ME\"\n"
        ));
        assert!(has(&e, "Radarr-4K.EntrySearch.Overseerr.OverseerrURI", 8), "{e}");
        assert!(
            e.to_string().contains("or SearchOverseerrRequests = false"),
            "{e}"
        );
        // An absent key is placed at its table.
        assert!(
            has(&e, "Radarr-4K.EntrySearch.Overseerr.OverseerrAPIKey", 6),
            "{e}"
        );
        // Lidarr: qBitrr does not ask request managers for music; the keys do nothing.
        let lidarr = ok(
            "[qBit]\nHost = \"h\"\n[Lidarr-M]\nURI = \"http://l\"\nAPIKey = \"k\"\n\
                         [Lidarr-M.EntrySearch.Ombi]\nSearchOmbiRequests = true\n",
        );
        assert_eq!(lidarr.config.arrs[0].search.requests, None);
        let every = ok(&format!(
            "{base}[Radarr-4K.EntrySearch]\nSearchRequestsEvery = \"10m\"\n"
        ));
        assert_eq!(
            every.config.arrs[0].search.requests_every,
            Duration::from_secs(600)
        );
    }

    #[test]
    fn minimal_config_gets_qbitrr_defaults() {
        let loaded = ok(MINIMAL);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let s = &loaded.config.settings;
        assert_eq!(s.console_level, "INFO");
        assert!(s.logging);
        assert_eq!(s.loop_sleep, Duration::from_secs(5));
        assert_eq!(s.failed_category, "failed");
        assert_eq!(s.recheck_category, "recheck");
        assert!(!s.tagless && !s.dry_run && !s.trace_loop);
        assert_eq!(s.ignore_younger_than, Duration::from_secs(180));
        assert!(s.auto_restart);
        assert_eq!(s.max_restarts, 5);
        assert_eq!(s.restart_window, Duration::from_secs(300));
        assert_eq!(s.restart_delay, Duration::from_secs(5));
        assert_eq!((s.log_rotate_size, s.log_rotate_count), (5 << 20, 3));
        let w = &loaded.config.webui;
        assert_eq!(
            (w.host.as_str(), w.port, w.token.as_deref(), w.auth_disabled),
            ("0.0.0.0", 6969, None, false)
        );

        let [qbit] = loaded.config.qbit.as_slice() else {
            panic!("one qBit instance");
        };
        assert_eq!(qbit.name, "qBit");
        assert_eq!(qbit.url, "http://localhost:8080");
        assert_eq!((qbit.username.as_deref(), qbit.password.as_deref()), (None, None));
        assert_eq!(qbit.api_key, None);
        assert!(!qbit.skip_tls_verify);

        let [arr] = loaded.config.arrs.as_slice() else {
            panic!("one Arr section");
        };
        assert_eq!(arr.kind, ArrKind::Radarr);
        assert!(arr.managed && arr.re_search && !arr.skip_tls_verify);
        assert_eq!(arr.uri, "http://radarr:7878");
        assert_eq!(arr.category, "radarr-movies");
        assert_eq!(arr.import_mode, ImportMode::Auto);
        assert_eq!(arr.check_interval, None);
        assert_eq!(arr.delay_after_import, Duration::ZERO);
        assert_eq!(arr.delay_after_search, Duration::ZERO);
        assert_eq!(arr.delay_after_blacklist, Duration::ZERO);
        let t = &arr.torrent;
        assert_eq!(t.ignore_younger_than, Duration::from_secs(180));
        assert_eq!(t.maximum_eta, None);
        assert_eq!(t.maximum_deletable_percentage, 0.99);
        assert!(t.do_not_remove_slow && !t.re_search_stalled);
        assert_eq!(t.stalled_delay, StalledDelay::After(Duration::from_secs(900)));
        assert_eq!(arr.seeding.max_upload_ratio, None);
        assert_eq!(arr.seeding.max_seeding_time, None);
        assert_eq!(arr.seeding.remove_torrent, RemoveTorrent::Never);
    }

    #[test]
    fn supported_keys_are_read() {
        let loaded = ok("\
[Settings]
ConsoleLevel = \"debug\"
Logging = false
LoopSleepTimer = \"1m\"
FailedCategory = \"kaputt\"
Tagless = true
DryRun = true
TraceLoopExecution = true
MaxProcessRestarts = 0

[qBit]
Host = \"https://qbit.example.com/\"
UserName = \"admin\"
Password = \"pw\"
APIKey = \"qbt_key\"
SkipTLSVerify = true

[qBit-Old]
Disabled = true
Host = \"CHANGE_ME\"

[qBit-Second]
Host = \"10.0.0.2\"
Port = 9091

[Sonarr-TV]
Managed = false
importMode = \"copy\"
CheckInterval = 30
DelayAfterImport = \"2m\"

[Sonarr-TV.Torrent]
MaximumETA = \"1d\"
StalledDelay = 0
MaximumDeletablePercentage = 1

[Sonarr-TV.Torrent.SeedingMode]
MaxUploadRatio = 2
MaxSeedingTime = \"2w\"
RemoveTorrent = 4

[Lidarr-Music]
URI = \"http://lidarr:8686\"
APIKey = \"k\"
Category = \"music\"
[Lidarr-Music.Torrent]
StalledDelay = -1
");
        let c = &loaded.config;
        assert_eq!(c.settings.console_level, "DEBUG");
        assert!(!c.settings.logging && c.settings.tagless && c.settings.dry_run);
        assert!(c.settings.trace_loop);
        assert_eq!(c.settings.loop_sleep, Duration::from_secs(60));
        assert_eq!(c.settings.failed_category, "kaputt");
        assert_eq!(c.settings.max_restarts, 0);
        let names: Vec<_> = c.qbit.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["qBit", "qBit-Second"], "disabled sections are left out");
        assert_eq!(c.qbit[0].url, "https://qbit.example.com:8080");
        assert_eq!(c.qbit[0].username.as_deref(), Some("admin"));
        assert_eq!(c.qbit[0].api_key.as_deref(), Some("qbt_key"));
        assert!(c.qbit[0].skip_tls_verify);
        assert_eq!(c.qbit[1].url, "http://10.0.0.2:9091");
        let sonarr = &c.arrs[0];
        assert_eq!(
            (sonarr.name.as_str(), sonarr.kind),
            ("Sonarr-TV", ArrKind::Sonarr)
        );
        assert!(!sonarr.managed);
        assert_eq!(sonarr.import_mode, ImportMode::Copy);
        assert_eq!(sonarr.check_interval, Some(Duration::from_secs(30)));
        assert_eq!(sonarr.delay_after_import, Duration::from_secs(120));
        assert_eq!(sonarr.torrent.maximum_eta, Some(Duration::from_secs(86_400)));
        assert_eq!(sonarr.torrent.stalled_delay, StalledDelay::TagOnly);
        assert_eq!(sonarr.torrent.maximum_deletable_percentage, 1.0);
        assert_eq!(sonarr.seeding.max_upload_ratio, Some(2.0));
        assert_eq!(
            sonarr.seeding.max_seeding_time,
            Some(Duration::from_secs(14 * 86_400))
        );
        assert_eq!(sonarr.seeding.remove_torrent, RemoveTorrent::RatioAndTime);
        assert_eq!(c.arrs[1].category, "music");
        assert_eq!(c.arrs[1].torrent.stalled_delay, StalledDelay::Off);
    }

    #[test]
    fn duration_strings_and_units() {
        let loaded = ok("\
[Settings]
IgnoreTorrentsYoungerThan = \"1h30m\"
ProcessRestartWindow = \"2h\"
[qBit]
Host = \"h\"
[Radarr-A]
URI = \"http://a\"
APIKey = \"k\"
[Radarr-A.Torrent]
StalledDelay = \"90s\"
IgnoreTorrentsYoungerThan = \"3m\"
[Radarr-B]
URI = \"http://b\"
APIKey = \"k\"
[Radarr-B.Torrent]
StalledDelay = 20
");
        let c = &loaded.config;
        assert_eq!(c.settings.ignore_younger_than, Duration::from_secs(5_400));
        assert_eq!(c.settings.restart_window, Duration::from_secs(7_200));
        assert_eq!(
            c.arrs[0].torrent.stalled_delay,
            StalledDelay::After(Duration::from_secs(90))
        );
        assert_eq!(c.arrs[0].torrent.ignore_younger_than, Duration::from_secs(180));
        // A bare StalledDelay is in minutes.
        assert_eq!(
            c.arrs[1].torrent.stalled_delay,
            StalledDelay::After(Duration::from_secs(1_200))
        );
    }

    #[test]
    fn every_validation_error_is_reported_with_its_line() {
        let e = err("\
[Settings]
ConsoleLevel = \"LOUD\"
LoopSleepTimer = 0
MaxProcessRestarts = -2
ProcessRestartDelay = -3
FailedCategory = \"\"

[qBit]
Host = \"h\"
Port = 70000

[Radarr-1080]
Managed = true
URI = \"radarr:7878\"
APIKey = \"k\"
importMode = \"Hardlink\"
CheckInterval = 0

[Radarr-1080.Torrent]
MaximumDeletablePercentage = 1.5
StalledDelay = -5
MaximumETA = \"soon\"

[Radarr-1080.Torrent.SeedingMode]
MaxUploadRatio = 0
RemoveTorrent = 5
MaxSeedingTime = -2

[Sonarr-TV]
Category = \"tv\"
");
        let expected = [
            ("Settings.ConsoleLevel", 2),
            ("Settings.LoopSleepTimer", 3),
            ("Settings.MaxProcessRestarts", 4),
            ("Settings.ProcessRestartDelay", 5),
            ("Settings.FailedCategory", 6),
            ("qBit.Port", 10),
            ("Radarr-1080.URI", 14),
            ("Radarr-1080.importMode", 16),
            ("Radarr-1080.CheckInterval", 17),
            ("Radarr-1080.Torrent.MaximumDeletablePercentage", 20),
            ("Radarr-1080.Torrent.StalledDelay", 21),
            ("Radarr-1080.Torrent.MaximumETA", 22),
            ("Radarr-1080.Torrent.SeedingMode.MaxUploadRatio", 25),
            ("Radarr-1080.Torrent.SeedingMode.RemoveTorrent", 26),
            ("Radarr-1080.Torrent.SeedingMode.MaxSeedingTime", 27),
            // Missing keys point at the section header.
            ("Sonarr-TV.URI", 29),
            ("Sonarr-TV.APIKey", 29),
        ];
        for (key, line) in expected {
            assert!(
                has(&e, key, line),
                "{key} at line {line} in {:?}",
                keys_and_lines(&e)
            );
        }
        assert_eq!(e.problems().len(), expected.len(), "{e}");
        assert!(matches!(e, ConfigError::Invalid { .. }));
        let text = e.to_string();
        assert!(
            text.contains("config.toml:3: Settings.LoopSleepTimer: must be 1 to 86400 seconds (1d), got 0")
        );
        assert!(text.contains(
            "config.toml:14: Radarr-1080.URI: \"radarr:7878\" must start with http:// or https://, \
             e.g. \"http://127.0.0.1:7878\""
        ));
        assert!(text.contains(
            "config.toml:2: Settings.ConsoleLevel: must be CRITICAL, ERROR, WARNING, NOTICE, INFO, \
             DEBUG or TRACE (any case), got \"LOUD\""
        ));
        assert!(text.contains("importMode: must be Auto, Move or Copy (any case), got \"Hardlink\""));
        assert_eq!(
            text.lines().count(),
            expected.len(),
            "one problem per line:\n{text}"
        );
    }

    #[test]
    fn type_errors_name_the_line_and_do_not_hide_other_errors() {
        let e = err("\
[Settings]
LoopSleepTimer = \"abc\"
Tagless = \"yes\"
[qBit]
Host = \"h\"
Port = \"8080\"
[Radarr-1080]
Managed = \"yes\"
URI = \"http://r\"
APIKey = \"k\"
[Radarr-1080.Torrent]
MaximumDeletablePercentage = 2.0
");
        assert!(has(&e, "Settings.LoopSleepTimer", 2));
        assert!(has(&e, "Settings.Tagless", 3));
        assert!(has(&e, "qBit.Port", 6));
        assert!(has(&e, "Radarr-1080.Managed", 8));
        assert!(has(&e, "Radarr-1080.Torrent.MaximumDeletablePercentage", 12));
        assert_eq!(e.problems().len(), 5, "{e}");
        let text = e.to_string();
        assert!(text.contains("config.toml:3: Settings.Tagless: expected true or false, got \"yes\""));
        assert!(text.contains(
            "config.toml:2: Settings.LoopSleepTimer: expected a number of seconds or a duration \
             string like \"30s\", \"15m\", \"2h\", \"1d\", \"1h30m\", got \"abc\""
        ));
    }

    #[test]
    fn required_placeholders_are_all_listed_with_the_unused_ones() {
        let text = "\
[Settings]
CompletedDownloadFolder = \"CHANGE_ME\"
[qBit]
Host = \"CHANGE_ME\"
Password = \"CHANGE_ME\"
[qBit-Off]
Disabled = true
Host = \"CHANGE_ME\"
[Sonarr-TV]
URI = \"CHANGE_ME\"
APIKey = \"CHANGE_ME\"
[Sonarr-TV.EntrySearch.Ombi]
OmbiAPIKey = \"CHANGE_ME\"
[Radarr-Off]
Managed = false
URI = \"CHANGE_ME\"
";
        let e = err(text);
        let ConfigError::Placeholders { required, unused, .. } = &e else {
            panic!("placeholders only: {e}");
        };
        // CompletedDownloadFolder at CHANGE_ME is "not set" (the free-space guard then reads
        // qBittorrent's own free space): neither required nor unused.
        let required: Vec<_> = required.iter().map(|p| (p.key.as_str(), p.line())).collect();
        assert_eq!(
            required,
            [
                ("qBit.Host", Some(4)),
                ("qBit.Password", Some(5)),
                ("Sonarr-TV.URI", Some(10)),
                ("Sonarr-TV.APIKey", Some(11)),
            ]
        );
        let unused: Vec<_> = unused.iter().map(|p| (p.key.as_str(), p.line())).collect();
        assert_eq!(
            unused,
            [
                // A request manager's key at CHANGE_ME is "not set" while its search is off.
                ("qBit-Off.Host", Some(8)),
                ("Radarr-Off.URI", Some(16)),
            ]
        );
        let shown = e.to_string();
        assert!(
            shown.contains("config.toml:10: Sonarr-TV.URI: still CHANGE_ME; set it to the Sonarr address")
        );
        assert!(shown.contains("also still CHANGE_ME (not used by qbitrr-lite"));
        assert!(shown.contains("  config.toml:8: qBit-Off.Host"));
        assert!(!shown.contains("OmbiAPIKey"), "{shown}");

        // With another error too, placeholders join the problems and the unused list stays.
        let e =
            err(&format!("{text}[Settings.X]\n").replace("[Settings]\n", "[Settings]\nLoopSleepTimer = 0\n"));
        assert!(matches!(e, ConfigError::Invalid { .. }));
        assert!(has(&e, "Settings.LoopSleepTimer", 2) && has(&e, "qBit.Host", 5));
        assert_eq!(e.unused_placeholders().len(), 2);

        // Unused placeholders alone are fine.
        let loaded = ok(&format!("{MINIMAL}[Settings]\nAutoUpdateCron = \"CHANGE_ME\"\n"));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn qbit_section_is_required() {
        let e = err("[Settings]\nTagless = true\n");
        let [problem] = e.problems() else {
            panic!("one problem: {e}");
        };
        assert_eq!(problem.location, Location::File);
        assert_eq!(
            e.to_string(),
            "config.toml: qbitrr-lite needs a [qBit] section (Host, Port, UserName, Password); add one"
        );
        let e = err("[qBit]\nDisabled = true\nHost = \"h\"\n");
        assert!(has(&e, "qBit.Disabled", 2), "{e}");
        assert!(e.to_string().contains("every qBit section is Disabled"));
        let e = err("[qBit]\nPort = 8080\n");
        assert!(has(&e, "qBit.Host", 1), "{e}");
        // Zero managed Arr sections is the caller's business.
        assert!(ok("[qBit]\nHost = \"h\"\n").config.arrs.is_empty());
    }

    #[test]
    fn categories_must_be_distinct() {
        let e = err("\
[Settings]
FailedCategory = \"failed\"
[qBit]
Host = \"h\"
[Radarr-1080]
URI = \"http://r\"
APIKey = \"k\"
Category = \"movies\"
[Radarr-4K]
URI = \"http://r\"
APIKey = \"k\"
Category = \"movies\"
[Sonarr-TV]
URI = \"http://s\"
APIKey = \"k\"
Category = \"failed\"
[Sonarr-Old]
Managed = false
Category = \"movies\"
[Lidarr-recheck]
URI = \"http://l\"
APIKey = \"k\"
");
        assert_eq!(keys_and_lines(&e).len(), 2, "{e}");
        assert!(has(&e, "Radarr-4K.Category", 12));
        assert!(has(&e, "Sonarr-TV.Category", 16));
        // Default category "lidarr-recheck" is fine; only exact names collide.
        let text = e.to_string();
        assert!(text.contains(
            "config.toml:12: Radarr-4K.Category: \"movies\" is also the Category of [Radarr-1080] \
             (line 8); every managed Arr section and managed category needs its own qBittorrent \
             category"
        ));
        assert!(text.contains("\"failed\" is also Settings.FailedCategory"));
        let e = err("[qBit]\nHost = \"h\"\n[Radarr-recheck]\nURI = \"http://r\"\nAPIKey = \"k\"\nCategory = \"recheck\"\n");
        assert!(has(&e, "Radarr-recheck.Category", 6), "{e}");
    }

    #[test]
    fn managed_categories_get_a_worker_each_with_the_category_seeding_rules() {
        let loaded = ok("\
[qBit]
Host = \"h\"
ManagedCategories = [\"seed\", \"long/term\"]
[qBit.CategorySeeding]
MaxUploadRatio = 2.5
MaxSeedingTime = \"7d\"
RemoveTorrent = 3
HitAndRunMode = \"and\"
MinSeedingTimeDays = 2
StalledDelay = 30
[qBit-B]
Host = \"b\"
ManagedCategories = [\"seed\"]
");
        let c = &loaded.config;
        let names: Vec<&str> = c.arrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["qBit.seed", "qBit.long_term", "qBit-B.seed"]);
        let seed = &c.arrs[0];
        assert_eq!(seed.owner, Owner::Qbit("qBit".into()));
        assert!(seed.managed && !seed.has_arr() && !seed.re_search);
        assert_eq!((seed.category.as_str(), seed.kind_label()), ("seed", "category"));
        assert_eq!(seed.seeding.max_upload_ratio, Some(2.5));
        assert_eq!(
            seed.seeding.max_seeding_time,
            Some(Duration::from_secs(7 * 86_400))
        );
        assert_eq!(seed.seeding.remove_torrent, RemoveTorrent::RatioOrTime);
        assert_eq!(
            seed.torrent.stalled_delay,
            StalledDelay::After(Duration::from_secs(1_800))
        );
        assert_eq!(seed.torrent.ignore_younger_than, Duration::from_secs(180));
        assert_eq!((seed.rss_sync_every, seed.refresh_downloads_every), (None, None));
        // Hit-and-run for every torrent of the category, below any tracker entry.
        let [entry] = seed.torrent.trackers.as_slice() else {
            panic!("{:?}", seed.torrent.trackers)
        };
        assert_eq!(
            (entry.name.as_str(), entry.host.as_str()),
            ("qBit.CategorySeeding", "")
        );
        assert_eq!(entry.priority, i64::MIN);
        assert_eq!(entry.hnr.mode, HnrMode::And);
        assert_eq!(entry.hnr.min_seeding_secs, 2 * 86_400);
        // qBitrr's defaults where [qBit.CategorySeeding] is absent: nothing removed for seeding
        // or stalling, no hit-and-run entry.
        let other = &c.arrs[2];
        assert_eq!(other.owner, Owner::Qbit("qBit-B".into()));
        assert_eq!(other.seeding.remove_torrent, RemoveTorrent::Never);
        assert_eq!(other.torrent.stalled_delay, StalledDelay::Off);
        assert!(other.torrent.trackers.is_empty());
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn match_subcategories_is_inherited_from_qbit_and_the_most_specific_owner_wins() {
        let loaded = ok("\
[Settings]
FailedCategory = \"movies/failed\"
[qBit]
Host = \"h\"
MatchSubcategories = true
ManagedCategories = [\"movies/seed\"]
[Radarr-A]
URI = \"http://a\"
APIKey = \"k\"
Category = \"movies\"
[Radarr-B]
URI = \"http://b\"
APIKey = \"k\"
Category = \"movies/4k\"
MatchSubcategories = false
[Radarr-C]
Managed = false
Category = \"movies/old\"
[Sonarr-A]
URI = \"http://s\"
APIKey = \"k\"
Category = \"tv\"
");
        let c = &loaded.config;
        let arr = |name: &str| c.arrs.iter().find(|a| a.name == name).unwrap();
        let owner_of = |category: &str| -> Vec<&str> {
            c.arrs
                .iter()
                .filter(|a| a.managed && a.subcategories.owns(&a.category, category))
                .map(|a| a.name.as_str())
                .collect()
        };
        assert!(arr("Radarr-A").subcategories.matched, "inherited from [qBit]");
        assert!(!arr("Radarr-B").subcategories.matched, "its own key wins");
        assert!(arr("Sonarr-A").subcategories.matched);
        assert!(
            arr("qBit.movies_seed").subcategories.matched,
            "its qBit section's"
        );
        for (category, owners) in [
            ("movies", vec!["Radarr-A"]),
            ("movies/hd", vec!["Radarr-A"]),
            ("movies/4k", vec!["Radarr-B"]),
            // Radarr-B does not take its subcategories.
            ("movies/4k/hdr", vec!["Radarr-A"]),
            ("movies/seed", vec!["qBit.movies_seed"]),
            ("movies/seed/x", vec!["qBit.movies_seed"]),
            // FailedCategory has rules of its own; an unmanaged section owns nothing.
            ("movies/failed", vec![]),
            ("movies/old", vec!["Radarr-A"]),
            ("tv/anime", vec!["Sonarr-A"]),
            ("tvx", vec![]),
        ] {
            assert_eq!(owner_of(category), owners, "{category:?}");
        }
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        // Off by default.
        let plain = ok("[qBit]\nHost = \"h\"\n[Radarr-A]\nURI = \"http://a\"\nAPIKey = \"k\"\n");
        assert!(!plain.config.arrs[0].subcategories.matched);
    }

    #[test]
    fn a_managed_category_must_not_be_an_arrs_nor_listed_twice_on_one_qbit() {
        let e = err("\
[qBit]
Host = \"h\"
ManagedCategories = [\"movies\", \"seed\", \"seed\"]
[Radarr-A]
URI = \"http://r\"
APIKey = \"k\"
Category = \"movies\"
");
        assert!(has(&e, "Radarr-A.Category", 7), "{e}");
        assert!(has(&e, "qBit.ManagedCategories", 3), "{e}");
        assert!(
            e.to_string()
                .contains("\"movies\" is also in [qBit] ManagedCategories (line 3)"),
            "{e}"
        );
        assert!(err("[qBit]\nHost = \"h\"\nManagedCategories = [\"failed\"]\n")
            .to_string()
            .contains("qBit.ManagedCategories: \"failed\" is also Settings.FailedCategory"));
    }

    #[test]
    fn remove_torrent_without_its_limit_is_a_warning() {
        let loaded = ok(&format!(
            "{MINIMAL}[Radarr-Movies.Torrent.SeedingMode]\nMaxSeedingTime = 3600\nRemoveTorrent = 4\n"
        ));
        assert_eq!(
            loaded.warnings,
            [
                "config.toml:9: Radarr-Movies.Torrent.SeedingMode.RemoveTorrent: RemoveTorrent = 4 \
              but MaxUploadRatio is not set (-1); like qBitrr, qbitrr-lite removes no torrent by \
              this rule"
            ]
        );
        let loaded = ok(&format!(
            "{MINIMAL}[Radarr-Movies.Torrent.SeedingMode]\nRemoveTorrent = 3\n"
        ));
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].contains("neither MaxUploadRatio nor MaxSeedingTime"));
        let loaded = ok(&format!(
            "{MINIMAL}[Radarr-Movies.Torrent.SeedingMode]\nMaxUploadRatio = 1.5\nRemoveTorrent = 1\n"
        ));
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn env_overrides_win_even_when_false_or_zero() {
        let text = "\
[Settings]
Tagless = true
Logging = true
ProcessRestartDelay = 9
[qBit]
Host = \"file-host\"
";
        let c = ok(text).config;
        assert!(c.settings.tagless && c.settings.logging);
        let loaded = load_env(
            text,
            &[
                ("QBITRR_SETTINGS__TAGLESS", "false"),
                ("QBITRR_SETTINGS_LOGGING", "0"),
                ("QBITRR_SETTINGS__PROCESS_RESTART_DELAY", "0"),
                ("QBITRR_QBIT_HOST", "env-host"),
                ("QBITRR_QBIT_PASSWORD", "from-env"),
                ("QBITRR_SETTINGS_DRY_RUN", "yes"),
            ],
        )
        .expect("valid");
        let c = loaded.config;
        assert!(!c.settings.tagless, "\"false\" overrides true");
        assert!(!c.settings.logging, "\"0\" overrides true (legacy name)");
        assert_eq!(c.settings.restart_delay, Duration::ZERO);
        assert!(c.settings.dry_run);
        assert_eq!(c.qbit[0].url, "http://env-host:8080");
        assert_eq!(c.qbit[0].password.as_deref(), Some("from-env"));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn env_errors_name_the_variable() {
        let e = load_env(
            MINIMAL,
            &[
                ("QBITRR_SETTINGS__LOOPSLEEPTIMER", "0"),
                ("QBITRR_RADARR_MOVIES_TORRENT__STALLEDDELAY", "5"),
                ("QBITRR_SETTINGS__TAGLESS", "perhaps"),
            ],
        )
        .expect_err("invalid");
        let text = e.to_string();
        assert!(
            text.contains(
                "config.toml: environment variable QBITRR_SETTINGS__LOOPSLEEPTIMER: \
             Settings.LoopSleepTimer: must be 1 to 86400 seconds (1d), got 0"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "config.toml: environment variable QBITRR_SETTINGS__TAGLESS: Settings.Tagless: \
             expected a boolean"
            ),
            "{text}"
        );
        // [Radarr-Movies.Torrent] is not in the file, so that override only warns.
        let ConfigError::Invalid { warnings, .. } = &e else {
            panic!("invalid");
        };
        assert_eq!(
            warnings,
            &[
                "environment variable QBITRR_RADARR_MOVIES_TORRENT__STALLEDDELAY: no section of \
                 config.toml matches RADARR_MOVIES_TORRENT; overrides apply only to sections in \
                 the file (and [Settings]), ignored"
            ]
        );
    }

    #[test]
    fn unknown_keys_and_sections_warn_with_suggestions() {
        let loaded = ok("\
[Settings]
LoopSleepTimr = 5
loglevel = \"x\"

[qBit]
Host = \"h\"
username = \"u\"

[qbit-second]
Host = \"h\"

[Sonar-TV]
URI = \"x\"

[Radarr-Movies]
URI = \"http://radarr:7878\"
APIKey = \"k\"
Catgory = \"movies\"

[Radarr-Movies.Torent]
StalledDelay = 1

[Radarr-Movies.Torrent.SeedingMode]
MaxUploadRatioo = 1

[WebUI.OIDC]
LiveArr = true
Theme = \"Dark\"
ViewDensity = \"Comfortable\"
");
        assert_eq!(
            loaded.warnings,
            [
                "config.toml:2: Settings.LoopSleepTimr: unknown key, ignored; did you mean `LoopSleepTimer`?",
                "config.toml:3: Settings.loglevel: unknown key, ignored",
                "config.toml:7: qBit.username: unknown key, ignored; did you mean `UserName`?",
                "config.toml:9: [qbit-second]: unknown section (qBitrr has Settings, WebUI, qBit, \
                 qBit-<Name> and Arr sections named Radarr*, Sonarr*, Lidarr*, Readarr*), ignored; \
                 did you mean `qBit-second`?",
                "config.toml:12: [Sonar-TV]: unknown section (qBitrr has Settings, WebUI, qBit, \
                 qBit-<Name> and Arr sections named Radarr*, Sonarr*, Lidarr*, Readarr*), ignored; \
                 did you mean `Sonarr-TV`?",
                "config.toml:18: Radarr-Movies.Catgory: unknown key, ignored; did you mean `Category`?",
                "config.toml:20: Radarr-Movies.Torent: unknown table, ignored; did you mean `Torrent`?",
                "config.toml:24: Radarr-Movies.Torrent.SeedingMode.MaxUploadRatioo: unknown key, \
                 ignored; did you mean `MaxUploadRatio`?",
            ]
        );
        assert_eq!(loaded.config.arrs[0].category, "radarr-movies");
    }

    #[test]
    fn unsupported_keys_are_listed_once_and_compactly() {
        let loaded = ok("\
[Settings]
FreeSpace = \"50G\"
CompletedDownloadFolder = \"CHANGE_ME\"
NoInternetSleepTimer = \"15s\"
PingURLS = [\"dns.google.com\", \"one.one.one.one\"]
ConfigVersion = \"5.0.0\"

[WebUI]
Port = 6969
Token = \"abcdef0123456789\"
LiveArr = false

[qBit]
Host = \"h\"
ManagedCategories = [\"seed\"]
[[qBit.Trackers]]
Name = \"Tracker\"
URI = \"tracker.example\"
SortTorrents = true
MinSeedRatio = 2.0

[Radarr-A]
URI = \"http://a\"
APIKey = \"k\"
[Radarr-A.Torrent]
FileExtensionAllowlist = [\".mkv\"]
AutoDelete = true
FolderExclusionRegex = [\"\\\\bextras?\\\\b\", \"\\\\bfeaturettes?\\\\b\", \"\\\\bsamples?\\\\b\", \"\\\\bscreens?\\\\b\", \"\\\\bnc(ed|op)?(\\\\\\\\d+)?\\\\b\"]
[Radarr-A.Torrent.SeedingMode]
UploadRateLimitPerTorrent = 1000
[Radarr-A.EntrySearch]
ForceMinimumCustomFormat = true

[Sonarr-Anime]
URI = \"http://b\"
APIKey = \"k\"
RssSyncTimer = \"1m\"
[Sonarr-Anime.Torrent]
FileExtensionAllowlist = [\".mkv\"]
FolderExclusionRegex = [\"\\\\bextras?\\\\b\", \"\\\\bfeaturettes?\\\\b\", \"\\\\bsamples?\\\\b\", \"\\\\bscreens?\\\\b\", \"\\\\bnc(ed|op)?(\\\\\\\\d+)?\\\\b\"]
[Sonarr-Anime.EntrySearch]
ForceMinimumCustomFormat = true
");
        assert_eq!(loaded.warnings, ["ignored (not supported yet): WebUI.LiveArr"]);
    }

    #[test]
    fn secrets_never_appear_in_messages() {
        let secret = "s3cr3t-Value";
        let text = format!(
            "\
[WebUI]
Token = \"{secret}\"
[WebUI.OIDC]
ClientSecret = \"{secret}\"
[qBit]
Host = \"ftp://admin:{secret}@qbit\"
Password = \"{secret}\"
APIKey = 12345
[Radarr-A]
URI = \"http://a\"
APIKey = [\"{secret}\"]
[Radarr-B]
URI = \"http://user:{secret}@b:7878\"
APIKey = \"{secret}\"
LoopSleepTimer = \"{secret}\"
[Radarr-B.EntrySearch.Ombi]
OmbiAPIKey = true
"
        );
        let e = load_env(
            &text,
            &[
                ("QBITRR_QBIT__PASSWORD", secret),
                ("QBITRR_RADARR_B__APIKEY", secret),
                ("QBITRR_RADARR_B__APIKEYS", secret),
            ],
        )
        .expect_err("invalid");
        let shown = format!("{e}\n{e:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains("12345"), "{shown}");
        assert!(has(&e, "qBit.Host", 6) && has(&e, "qBit.APIKey", 8));
        assert!(has(&e, "Radarr-A.APIKey", 11) && has(&e, "Radarr-B.EntrySearch.Ombi.OmbiAPIKey", 17));
        assert!(shown.contains("expected a string, got an integer"));
        assert!(shown.contains("ftp://***@qbit"));
        // Warnings too (ignored list and unknown keys name keys, never values).
        let loaded = load_env(
            &format!("{MINIMAL}[WebUI]\nToken = \"{secret}\"\n[Radarr-Movies.EntrySearch.Ombi]\nOmbiAPIKey = \"{secret}\"\nApiKey = \"{secret}\"\n"),
            &[("QBITRR_RADARR_MOVIES__APIKEY", secret)],
        )
        .expect("valid");
        let warnings = loaded.warnings.join("\n");
        assert!(!warnings.contains(secret), "{warnings}");
        assert!(warnings.contains("EntrySearch.Ombi.ApiKey"), "{warnings}");
        assert_eq!(loaded.config.webui.token.as_deref(), Some(secret));
        assert_eq!(loaded.config.arrs[0].api_key, secret);
    }

    #[test]
    fn webui_and_log_rotation_keys() {
        let text = format!(
            "[Settings]\nLogRotateSize = \"1M\"\nLogRotateCount = 5\n{MINIMAL}\
             [WebUI]\nHost = \"127.0.0.1\"\nPort = 7000\nToken = \"t0k\"\nAuthDisabled = true\n"
        );
        let loaded = ok(&text);
        let w = &loaded.config.webui;
        assert_eq!(
            (w.host.as_str(), w.port, w.token.as_deref(), w.auth_disabled),
            ("127.0.0.1", 7000, Some("t0k"), true)
        );
        assert_eq!(loaded.config.settings.log_rotate_size, 1 << 20);
        assert_eq!(loaded.config.settings.log_rotate_count, 5);
        let e = err(&text
            .replace("Port = 7000", "Port = 70000")
            .replace("\"1M\"", "\"tiny\""));
        assert!(
            e.to_string()
                .contains("WebUI.Port: must be 1 to 65535, got 70000"),
            "{e}"
        );
        assert!(e.to_string().contains("Settings.LogRotateSize"), "{e}");
    }

    #[test]
    fn a_decimal_log_rotate_size_is_an_error_of_its_own() {
        let e = err(&format!(
            "[Settings]\nLogRotateSize = 5.5\nLoopSleepTimer = 0\n{MINIMAL}"
        ));
        assert_eq!(
            keys_and_lines(&e),
            [
                ("Settings.LogRotateSize".to_string(), Some(2)),
                ("Settings.LoopSleepTimer".to_string(), Some(3)),
            ]
        );
        assert!(
            e.to_string()
                .contains("must be 64K to 1G (bytes, or a number with K, M, G or T), got 5.5"),
            "{e}"
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = err("[Settings]\nTagless = true\nLoopSleepTimer = \n");
        let ConfigError::Syntax { line, column, .. } = e else {
            panic!("syntax error: {e}");
        };
        assert_eq!((line, column), (3, 18));
        assert!(e.to_string().starts_with("config.toml:3:18: invalid TOML: "));
    }

    #[test]
    fn unreadable_file_is_an_error() {
        let e = load(Path::new("/nonexistent/qbitrr-lite/config.toml")).expect_err("missing");
        assert!(matches!(e, ConfigError::Read { .. }));
        assert!(e
            .to_string()
            .starts_with("cannot read /nonexistent/qbitrr-lite/config.toml: "));
        assert!(std::error::Error::source(&e).is_some());
    }
}
