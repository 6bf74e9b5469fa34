//! Stage two: reads the checked tree through the serde structs of [`super::raw`], fills
//! qBitrr's defaults, checks ranges and cross-section rules (an enabled qBit section, distinct
//! categories) and builds the [`Config`]. Every problem is collected; none stops the others.

use std::time::Duration;

use crate::model::ArrKind;

use super::check::{default_port, Locs};
use super::duration::{self, DurationValue};
use super::raw::{
    self, RawArr, RawDuration, RawQbit, RawSeedingMode, RawSettings, RawSize, RawTorrent, RawWebUi,
};
use super::report::{at, Location, Report};
use super::schema::{self, Section, Unit, PLACEHOLDER};
use super::tree::{Table, Val};
use super::types::{
    Arr, Config, ImportMode, QbitInstance, RemoveTorrent, SeedingRules, Settings, StalledDelay, TorrentRules,
    WebUi,
};

const LOG_LEVELS: [&str; 7] = ["CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG", "TRACE"];

/// Builds the [`Config`] from the checked tree; problems and warnings go to `report`.
pub(super) fn validate(root: &Table, locs: &Locs, file: &str, report: &mut Report) -> Config {
    let mut v = Validator { locs, file, report };
    let settings = v.settings(root.table("Settings"));
    let webui = v.webui(root.table("WebUI"));
    let mut qbit = Vec::new();
    let mut qbit_sections = Vec::new();
    let mut arrs = Vec::new();
    for (name, item) in root.iter() {
        let Val::Table(table) = &item.val else {
            continue;
        };
        match schema::classify(name) {
            Some(Section::Qbit) => {
                qbit_sections.push(name);
                qbit.extend(v.qbit(name, table));
            }
            Some(Section::Arr(kind)) => arrs.push(v.arr(name, kind, table)),
            _ => {}
        }
    }
    v.need_qbit(&qbit, &qbit_sections);
    v.distinct_categories(&settings, &arrs);
    Config {
        settings,
        webui,
        qbit,
        arrs,
    }
}

struct Validator<'a> {
    locs: &'a Locs,
    file: &'a str,
    report: &'a mut Report,
}

impl Validator<'_> {
    /// Where `path` was set; for a key left out, its table's header.
    fn loc(&self, path: &str) -> Location {
        let mut path = path;
        loop {
            if let Some(loc) = self.locs.get(path) {
                return loc.clone();
            }
            match path.rfind('.') {
                Some(dot) => path = &path[..dot],
                None => return Location::File,
            }
        }
    }

    fn error(&mut self, path: &str, message: impl Into<String>) {
        let loc = self.loc(path);
        self.report.error(path, loc, message);
    }

    fn warn(&mut self, path: &str, message: &str) {
        let loc = at(self.file, &self.loc(path));
        self.report.warn(format!("{loc}: {path}: {message}"));
    }

    fn read<T: serde::de::DeserializeOwned + Default>(&mut self, path: &str, table: Option<&Table>) -> T {
        match raw::read(table) {
            Some(value) => value,
            None => {
                self.error(path, "could not be read: a value has an unexpected type");
                T::default()
            }
        }
    }

    /// A duration key's value (None when absent, or unreadable with an error reported).
    fn duration(&mut self, path: &str, raw: Option<&RawDuration>, unit: Unit) -> Option<DurationValue> {
        let value = match raw? {
            RawDuration::Int(n) => duration::from_int(*n, unit),
            RawDuration::Text(s) => duration::from_str(s, unit),
        };
        if value.is_none() {
            self.error(
                path,
                format!(
                    "expected {}, got {}",
                    schema::Ty::Duration(unit).describe(),
                    show(raw?)
                ),
            );
        }
        value
    }

    /// A duration of at least `min` seconds (-1 not allowed).
    fn secs(
        &mut self,
        path: &str,
        raw: Option<&RawDuration>,
        unit: Unit,
        default: u64,
        min: u64,
    ) -> Duration {
        match self.duration(path, raw, unit) {
            None => Duration::from_secs(default),
            Some(DurationValue::Secs(s)) if s >= min => Duration::from_secs(s),
            Some(_) => {
                let got = raw.map(show).unwrap_or_default();
                let message = if min == 0 {
                    format!("must not be negative (got {got})")
                } else {
                    let plural = if min == 1 { "" } else { "s" };
                    format!("must be at least {min} second{plural} (got {got})")
                };
                self.error(path, message);
                Duration::from_secs(default)
            }
        }
    }

    /// A duration where -1 means off (None).
    fn secs_or_off(
        &mut self,
        path: &str,
        raw: Option<&RawDuration>,
        unit: Unit,
        default: Option<Duration>,
    ) -> Option<Duration> {
        match self.duration(path, raw, unit) {
            None => default,
            Some(DurationValue::Off) => None,
            Some(DurationValue::Secs(s)) => Some(Duration::from_secs(s)),
            Some(DurationValue::Negative(n)) => {
                self.error(
                    path,
                    format!("must not be negative, except -1 to turn it off (got {n})"),
                );
                default
            }
        }
    }

    /// A byte size: an integer, or a string with a K/M/G suffix ("5M"). At least 64 KiB.
    fn size(&mut self, path: &str, raw: Option<&RawSize>, default: u64) -> u64 {
        const MIN: u64 = 64 << 10;
        let parsed = match raw {
            None => return default,
            Some(RawSize::Int(n)) => u64::try_from(*n).ok(),
            Some(RawSize::Text(t)) => parse_size(t),
        };
        match parsed {
            Some(n) if n >= MIN => n,
            _ => {
                self.error(
                    path,
                    "must be a size of at least 64K: bytes, or a number with K, M or G (e.g. \"5M\")",
                );
                default
            }
        }
    }

    /// `[WebUI]`: where the status server listens and how it authenticates.
    fn webui(&mut self, table: Option<&Table>) -> WebUi {
        let raw: RawWebUi = self.read("WebUI", table);
        let port = match raw.port {
            None => 6969,
            Some(p) => u16::try_from(p).ok().filter(|p| *p > 0).unwrap_or_else(|| {
                self.error("WebUI.Port", format!("must be a port number 1-65535 (got {p})"));
                6969
            }),
        };
        let host = match raw.host.as_deref().map(str::trim) {
            None | Some("") => "0.0.0.0".to_string(),
            Some(h) => h.trim_start_matches('[').trim_end_matches(']').to_string(),
        };
        WebUi {
            host,
            port,
            token: raw.token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            auth_disabled: raw.auth_disabled.unwrap_or(false),
        }
    }

    /// A category-like name: trimmed, not empty.
    fn name(&mut self, path: &str, value: Option<String>, default: &str) -> String {
        match value.as_deref().map(str::trim) {
            None => default.to_string(),
            Some("") => {
                self.error(
                    path,
                    format!("must not be empty; leave the key out to use {default:?}"),
                );
                default.to_string()
            }
            Some(name) => name.to_string(),
        }
    }

    fn settings(&mut self, table: Option<&Table>) -> Settings {
        let raw: RawSettings = self.read("Settings", table);
        let console_level = match raw.console_level {
            None => "INFO".to_string(),
            Some(level) => {
                let upper = level.trim().to_uppercase();
                if LOG_LEVELS.contains(&upper.as_str()) {
                    upper
                } else {
                    self.error(
                        "Settings.ConsoleLevel",
                        format!(
                            "{level:?} is not a log level; use one of {}",
                            LOG_LEVELS.join(", ")
                        ),
                    );
                    "INFO".to_string()
                }
            }
        };
        let max_restarts = match raw.max_process_restarts {
            None => 5,
            Some(n) => u32::try_from(n).unwrap_or_else(|_| {
                self.error(
                    "Settings.MaxProcessRestarts",
                    format!("must be 0 or more (got {n})"),
                );
                5
            }),
        };
        let log_rotate_size = self.size("Settings.LogRotateSize", raw.log_rotate_size.as_ref(), 5 << 20);
        let log_rotate_count = match raw.log_rotate_count {
            None => 3,
            Some(n) => u32::try_from(n).unwrap_or_else(|_| {
                self.error("Settings.LogRotateCount", format!("must be 0 or more (got {n})"));
                3
            }),
        };
        let secs = Unit::Seconds;
        Settings {
            log_rotate_size,
            log_rotate_count,
            console_level,
            logging: raw.logging.unwrap_or(true),
            loop_sleep: self.secs(
                "Settings.LoopSleepTimer",
                raw.loop_sleep_timer.as_ref(),
                secs,
                5,
                1,
            ),
            failed_category: self.name("Settings.FailedCategory", raw.failed_category, "failed"),
            recheck_category: self.name("Settings.RecheckCategory", raw.recheck_category, "recheck"),
            tagless: raw.tagless.unwrap_or(false),
            ignore_younger_than: self.secs(
                "Settings.IgnoreTorrentsYoungerThan",
                raw.ignore_torrents_younger_than.as_ref(),
                secs,
                180,
                0,
            ),
            dry_run: raw.dry_run.unwrap_or(false),
            trace_loop: raw.trace_loop_execution.unwrap_or(false),
            auto_restart: raw.auto_restart_processes.unwrap_or(true),
            max_restarts,
            restart_window: self.secs(
                "Settings.ProcessRestartWindow",
                raw.process_restart_window.as_ref(),
                secs,
                300,
                0,
            ),
            restart_delay: self.secs(
                "Settings.ProcessRestartDelay",
                raw.process_restart_delay.as_ref(),
                secs,
                5,
                0,
            ),
        }
    }

    /// A `[qBit]` / `[qBit-<Name>]` section; None when Disabled.
    fn qbit(&mut self, name: &str, table: &Table) -> Option<QbitInstance> {
        let raw: RawQbit = self.read(name, Some(table));
        if raw.disabled == Some(true) {
            return None;
        }
        let host_path = format!("{name}.Host");
        let host = match raw.host.as_deref().map(str::trim) {
            None => {
                self.error(
                    &host_path,
                    "missing; add Host = \"127.0.0.1\" (the qBittorrent WebUI address, \
                     Options > Web UI)",
                );
                None
            }
            Some("") => {
                self.error(
                    &host_path,
                    "must not be empty; set it to the qBittorrent WebUI address",
                );
                None
            }
            Some(PLACEHOLDER) => None, // reported by the schema check
            Some(host) if host.contains("://") && scheme_len(host).is_none() => {
                self.error(
                    &host_path,
                    format!(
                        "{:?} must start with http:// or https:// when it names a scheme",
                        redact_userinfo(host)
                    ),
                );
                None
            }
            Some(host) => Some(host.to_string()),
        };
        let port = match raw.port {
            None => 8080,
            Some(port) => match u16::try_from(port) {
                Ok(port) if port > 0 => port,
                _ => {
                    self.error(
                        &format!("{name}.Port"),
                        format!("must be between 1 and 65535 (got {port})"),
                    );
                    8080
                }
            },
        };
        let present = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Some(QbitInstance {
            name: name.to_string(),
            url: host.map(|h| qbit_url(&h, port)).unwrap_or_default(),
            username: present(raw.user_name),
            password: present(raw.password),
            api_key: present(raw.api_key).map(|k| k.trim().to_string()),
            skip_tls_verify: raw.skip_tls_verify.unwrap_or(false),
        })
    }

    /// An Arr section (managed or not).
    fn arr(&mut self, name: &str, kind: ArrKind, table: &Table) -> Arr {
        let raw: RawArr = self.read(name, Some(table));
        let managed = raw.managed.unwrap_or(true);
        let uri_path = format!("{name}.URI");
        let example = format!("http://127.0.0.1:{}", default_port(kind));
        let uri = match raw.uri.as_deref().map(str::trim) {
            None | Some("") if managed => {
                self.error(
                    &uri_path,
                    format!("missing; set URI = {example:?} (the address of this {kind:?})"),
                );
                String::new()
            }
            None => String::new(),
            Some(PLACEHOLDER) => PLACEHOLDER.to_string(),
            Some(uri) => {
                let uri = uri.trim_end_matches('/');
                if managed && scheme_len(uri).is_none() {
                    self.error(
                        &uri_path,
                        format!(
                            "{:?} must start with http:// or https://, e.g. {example:?}",
                            redact_userinfo(uri)
                        ),
                    );
                }
                uri.to_string()
            }
        };
        let api_key = match raw.api_key.as_deref().map(str::trim) {
            None | Some("") if managed => {
                self.error(
                    &format!("{name}.APIKey"),
                    format!("missing; copy the API key from {kind:?}'s Settings > General > Security"),
                );
                String::new()
            }
            key => key.unwrap_or_default().to_string(),
        };
        let category = self.name(&format!("{name}.Category"), raw.category, &name.to_lowercase());
        let import_mode = match raw.import_mode.as_deref().map(str::trim) {
            None => ImportMode::Auto,
            Some(mode) => match mode.to_ascii_lowercase().as_str() {
                "auto" => ImportMode::Auto,
                "move" => ImportMode::Move,
                "copy" => ImportMode::Copy,
                _ => {
                    self.error(
                        &format!("{name}.importMode"),
                        format!("{mode:?} is not an import mode; use Auto, Move or Copy"),
                    );
                    ImportMode::Auto
                }
            },
        };
        let secs = Unit::Seconds;
        let check_interval = raw
            .check_interval
            .as_ref()
            .map(|interval| self.secs(&format!("{name}.CheckInterval"), Some(interval), secs, 5, 1));
        let mut delay =
            |key: &str, value: Option<&RawDuration>| self.secs(&format!("{name}.{key}"), value, secs, 0, 0);
        let delay_after_import = delay("DelayAfterImport", raw.delay_after_import.as_ref());
        let delay_after_search = delay("DelayAfterSearch", raw.delay_after_search.as_ref());
        let delay_after_blacklist = delay("DelayAfterBlacklist", raw.delay_after_blacklist.as_ref());
        let mut torrent_raw = raw.torrent.unwrap_or_default();
        let seeding_raw = torrent_raw.seeding_mode.take().unwrap_or_default();
        let torrent = self.torrent(&format!("{name}.Torrent"), torrent_raw);
        let seeding = self.seeding(&format!("{name}.Torrent.SeedingMode"), seeding_raw, managed);
        Arr {
            name: name.to_string(),
            kind,
            managed,
            uri,
            api_key,
            skip_tls_verify: raw.skip_tls_verify.unwrap_or(false),
            category,
            re_search: raw.re_search.unwrap_or(true),
            import_mode,
            check_interval,
            delay_after_import,
            delay_after_search,
            delay_after_blacklist,
            torrent,
            seeding,
        }
    }

    fn torrent(&mut self, path: &str, raw: RawTorrent) -> TorrentRules {
        let key = |k: &str| format!("{path}.{k}");
        let maximum_deletable_percentage = match raw.maximum_deletable_percentage {
            None => 0.99,
            Some(p) if (0.0..=1.0).contains(&p) => p,
            Some(p) => {
                self.error(
                    &key("MaximumDeletablePercentage"),
                    format!("must be a fraction between 0 and 1, e.g. 0.99 for 99% (got {p})"),
                );
                0.99
            }
        };
        let stalled = self.secs_or_off(
            &key("StalledDelay"),
            raw.stalled_delay.as_ref(),
            Unit::Minutes,
            Some(Duration::from_secs(15 * 60)),
        );
        TorrentRules {
            ignore_younger_than: self.secs(
                &key("IgnoreTorrentsYoungerThan"),
                raw.ignore_torrents_younger_than.as_ref(),
                Unit::Seconds,
                180,
                0,
            ),
            maximum_eta: self.secs_or_off(&key("MaximumETA"), raw.maximum_eta.as_ref(), Unit::Seconds, None),
            maximum_deletable_percentage,
            do_not_remove_slow: raw.do_not_remove_slow.unwrap_or(true),
            stalled_delay: match stalled {
                None => StalledDelay::Off,
                Some(Duration::ZERO) => StalledDelay::TagOnly,
                Some(delay) => StalledDelay::After(delay),
            },
            re_search_stalled: raw.re_search_stalled.unwrap_or(false),
        }
    }

    fn seeding(&mut self, path: &str, raw: RawSeedingMode, managed: bool) -> SeedingRules {
        let key = |k: &str| format!("{path}.{k}");
        let max_upload_ratio = match raw.max_upload_ratio {
            None => None,
            Some(-1.0) => None,
            Some(r) if r > 0.0 && r.is_finite() => Some(r),
            Some(r) => {
                self.error(
                    &key("MaxUploadRatio"),
                    format!("must be greater than 0, or -1 for no limit (got {r})"),
                );
                None
            }
        };
        let max_seeding_time = self.secs_or_off(
            &key("MaxSeedingTime"),
            raw.max_seeding_time.as_ref(),
            Unit::Seconds,
            None,
        );
        let remove_torrent = match raw.remove_torrent {
            None | Some(-1) => RemoveTorrent::Never,
            Some(1) => RemoveTorrent::Ratio,
            Some(2) => RemoveTorrent::Time,
            Some(3) => RemoveTorrent::RatioOrTime,
            Some(4) => RemoveTorrent::RatioAndTime,
            Some(n) => {
                self.error(
                    &key("RemoveTorrent"),
                    format!(
                        "must be -1 (never), 1 (at MaxUploadRatio), 2 (at MaxSeedingTime), \
                         3 (at either) or 4 (at both) (got {n})"
                    ),
                );
                RemoveTorrent::Never
            }
        };
        let (ratio, time) = (max_upload_ratio.is_none(), max_seeding_time.is_none());
        let missing = match remove_torrent {
            RemoveTorrent::Ratio if ratio => Some((1, "MaxUploadRatio is not")),
            RemoveTorrent::Time if time => Some((2, "MaxSeedingTime is not")),
            RemoveTorrent::RatioOrTime if ratio && time => {
                Some((3, "neither MaxUploadRatio nor MaxSeedingTime is"))
            }
            RemoveTorrent::RatioAndTime if ratio && time => {
                Some((4, "neither MaxUploadRatio nor MaxSeedingTime is"))
            }
            RemoveTorrent::RatioAndTime if ratio => Some((4, "MaxUploadRatio is not")),
            RemoveTorrent::RatioAndTime if time => Some((4, "MaxSeedingTime is not")),
            _ => None,
        };
        if let (Some((code, what)), true) = (missing, managed) {
            self.warn(
                &key("RemoveTorrent"),
                &format!(
                    "RemoveTorrent = {code} but {what} set (-1); like qBitrr, qbitrr-lite \
                     removes no torrent by this rule"
                ),
            );
        }
        SeedingRules {
            max_upload_ratio,
            max_seeding_time,
            remove_torrent,
        }
    }

    /// At least one qBit section must be enabled.
    fn need_qbit(&mut self, enabled: &[QbitInstance], sections: &[&str]) {
        if !enabled.is_empty() {
            return;
        }
        match sections.first() {
            None => self.report.error(
                "",
                Location::File,
                "qbitrr-lite needs a [qBit] section (Host, Port, UserName, Password); add one",
            ),
            Some(first) => self.error(
                &format!("{first}.Disabled"),
                "every qBit section is Disabled; qbitrr-lite needs a [qBit] section that is not \
                 Disabled",
            ),
        }
    }

    /// Managed Arr sections need their own category, distinct from Failed/RecheckCategory.
    fn distinct_categories(&mut self, settings: &Settings, arrs: &[Arr]) {
        let mut seen: Vec<&Arr> = Vec::new();
        for arr in arrs.iter().filter(|a| a.managed && a.category != PLACEHOLDER) {
            let path = format!("{}.Category", arr.name);
            if let Some(other) = seen.iter().find(|o| o.category == arr.category) {
                let where_other = match self.loc(&format!("{}.Category", other.name)) {
                    Location::Line(line) => format!(" (line {line})"),
                    _ => String::new(),
                };
                self.error(
                    &path,
                    format!(
                        "{:?} is also the Category of [{}]{where_other}; every managed Arr \
                         section needs its own qBittorrent category",
                        arr.category, other.name
                    ),
                );
            }
            for (key, reserved) in [
                ("FailedCategory", &settings.failed_category),
                ("RecheckCategory", &settings.recheck_category),
            ] {
                if &arr.category == reserved {
                    self.error(
                        &path,
                        format!(
                            "{:?} is also Settings.{key}, which qbitrr-lite handles itself; \
                             use another category",
                            arr.category
                        ),
                    );
                }
            }
            seen.push(arr);
        }
    }
}

/// A duration as the user wrote it, for messages.
fn show(raw: &RawDuration) -> String {
    match raw {
        RawDuration::Int(n) => n.to_string(),
        RawDuration::Text(s) => format!("{s:?}"),
    }
}

/// Length of a leading `http://` or `https://` (any case).
fn scheme_len(url: &str) -> Option<usize> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") {
        Some(8)
    } else if lower.starts_with("http://") {
        Some(7)
    } else {
        None
    }
}

/// The URL with any `user:password@` replaced, so that messages never show credentials.
fn redact_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

/// The qBittorrent base URL: Host may carry a scheme and a port; `:Port` is added only when it
/// has none; bare IPv6 addresses get brackets; no trailing slash.
/// "5M", "512K", "1G" or plain bytes.
fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (digits, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1u64 << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(mult)
}

pub(super) fn qbit_url(host: &str, port: u16) -> String {
    let host = host.trim().trim_end_matches('/');
    let (scheme, rest) = match scheme_len(host) {
        Some(len) => (host[..len].to_ascii_lowercase(), &host[len..]),
        None => ("http://".to_string(), host),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host_part = authority.rsplit('@').next().unwrap_or(authority);
    let has_port = if host_part.starts_with('[') {
        host_part.contains("]:")
    } else {
        host_part.matches(':').count() == 1
    };
    let authority = if has_port {
        authority.to_string()
    } else if host_part.contains(':') && !host_part.starts_with('[') {
        let userinfo = &authority[..authority.len() - host_part.len()];
        format!("{userinfo}[{host_part}]:{port}")
    } else {
        format!("{authority}:{port}")
    };
    format!("{scheme}{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5M"), Some(5 << 20));
        assert_eq!(parse_size("512k"), Some(512 << 10));
        assert_eq!(parse_size("1GB"), Some(1 << 30));
        assert_eq!(parse_size("70000"), Some(70000));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn qbit_urls() {
        assert_eq!(qbit_url("127.0.0.1", 8080), "http://127.0.0.1:8080");
        assert_eq!(qbit_url("qbit.lan", 9090), "http://qbit.lan:9090");
        assert_eq!(qbit_url("http://qbit.lan", 8080), "http://qbit.lan:8080");
        assert_eq!(qbit_url("https://qbit.lan:443/", 8080), "https://qbit.lan:443");
        assert_eq!(qbit_url("HTTPS://qbit.lan/qb/", 8443), "https://qbit.lan:8443/qb");
        assert_eq!(qbit_url("127.0.0.1:9000", 8080), "http://127.0.0.1:9000");
        assert_eq!(qbit_url("::1", 8080), "http://[::1]:8080");
        assert_eq!(qbit_url("http://[::1]", 8080), "http://[::1]:8080");
        assert_eq!(qbit_url("http://[::1]:9000", 8080), "http://[::1]:9000");
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_userinfo("http://user:hunter2@host:1/x"),
            "http://***@host:1/x"
        );
        assert_eq!(redact_userinfo("host:1"), "host:1");
    }
}
