//! Stage two: reads the supported keys straight from the checked tree, by the names
//! [`super::schema`] declares (it is their only declaration), fills qBitrr's defaults, checks
//! ranges and cross-section rules (an enabled qBit section, distinct categories) and builds the
//! [`Config`]. Every problem is collected; none stops the others.

use std::time::Duration;

use crate::model::ArrKind;

use super::check::{default_port, Locs};
use super::duration::{self, DurationValue};
use super::report::{at, Location, Report};
use super::schema::{self, Section, TableSchema, Ty, Use, PLACEHOLDER};
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

/// One table's supported keys, read by their schema names. The check dropped every ill-typed
/// entry, so a key is either absent or has its schema type. Each reader returns `None` for an
/// absent key and for a rejected one (reported here), so that the caller names the default once.
struct Keys<'a> {
    v: Validator<'a>,
    /// Dotted path of the table, for messages.
    path: String,
    table: Option<&'a Table>,
    schema: &'static TableSchema,
}

impl<'a> Keys<'a> {
    /// The dotted path of `key`.
    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn error(&mut self, key: &str, message: impl Into<String>) {
        let path = self.at(key);
        self.v.error(&path, message);
    }

    /// The keys of the sub-table `key` (absent when this table or that key is).
    fn sub(&mut self, key: &str, schema: &'static TableSchema) -> Keys<'_> {
        Keys {
            path: self.at(key),
            table: self.table.and_then(|t| t.table(key)),
            schema,
            v: self.v.reborrow(),
        }
    }

    /// `key`'s value; `key` must be one the schema declares supported in this table.
    fn val(&self, key: &str) -> Option<&'a Val> {
        debug_assert!(
            self.schema
                .get(key)
                .is_some_and(|spec| matches!(spec.usage, Use::Supported)),
            "{}: not a supported key in the schema",
            self.at(key)
        );
        self.table?.get(key).map(|item| &item.val)
    }

    fn bool(&self, key: &str) -> Option<bool> {
        match self.val(key)? {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.val(key)? {
            Val::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// A float key (the check lets integers through too).
    fn float(&self, key: &str) -> Option<f64> {
        match self.val(key)? {
            Val::Int(n) => Some(*n as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn str(&self, key: &str) -> Option<&'a str> {
        self.val(key)?.as_str()
    }

    /// A duration key in its schema unit, with the value as written (for messages).
    fn duration(&self, key: &str) -> Option<(DurationValue, &'a Val)> {
        let val = self.val(key)?;
        let Ty::Duration(unit) = self.schema.get(key)?.ty else {
            return None;
        };
        let value = match val {
            Val::Int(n) => duration::from_int(*n, unit),
            Val::Str(s) => duration::from_str(s, unit),
            _ => None,
        };
        Some((value?, val))
    }

    /// `key` read by `get` and turned by `parse`; a value `parse` rejects is reported.
    fn parse<V, T>(
        &mut self,
        key: &str,
        get: impl FnOnce(&Self, &str) -> Option<V>,
        parse: impl FnOnce(V) -> Result<T, String>,
    ) -> Option<T> {
        match parse(get(self, key)?) {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(key, message);
                None
            }
        }
    }

    /// A duration of at least `min` seconds (-1 not allowed).
    fn secs(&mut self, key: &str, min: u64) -> Option<Duration> {
        self.parse(key, Self::duration, |(value, val)| match value {
            DurationValue::Secs(s) if s >= min => Ok(Duration::from_secs(s)),
            _ if min == 0 => Err(format!("must not be negative (got {})", val.show())),
            _ => {
                let plural = if min == 1 { "" } else { "s" };
                Err(format!(
                    "must be at least {min} second{plural} (got {})",
                    val.show()
                ))
            }
        })
    }

    /// A duration where -1 means off (`Some(None)`).
    fn secs_or_off(&mut self, key: &str) -> Option<Option<Duration>> {
        self.parse(key, Self::duration, |(value, _)| match value {
            DurationValue::Off => Ok(None),
            DurationValue::Secs(s) => Ok(Some(Duration::from_secs(s))),
            DurationValue::Negative(n) => Err(format!(
                "must not be negative, except -1 to turn it off (got {n})"
            )),
        })
    }

    /// A byte size: an integer, or a string with a K/M/G suffix ("5M"). At least 64 KiB.
    fn size(&mut self, key: &str) -> Option<u64> {
        const MIN: u64 = 64 << 10;
        self.parse(key, Self::val, |val| {
            let bytes = match val {
                Val::Int(n) => u64::try_from(*n).ok(),
                Val::Str(t) => parse_size(t),
                _ => None,
            };
            bytes.filter(|n| *n >= MIN).ok_or_else(|| {
                "must be a size of at least 64K: bytes, or a number with K, M or G (e.g. \"5M\")".to_string()
            })
        })
    }

    /// A count of 0 or more.
    fn count(&mut self, key: &str) -> Option<u32> {
        self.parse(key, Self::int, |n| {
            u32::try_from(n).map_err(|_| format!("must be 0 or more (got {n})"))
        })
    }

    /// A category-like name: trimmed, not empty.
    fn name(&mut self, key: &str, default: &str) -> String {
        self.parse(key, Self::str, |name| match name.trim() {
            "" => Err(format!("must not be empty; leave the key out to use {default:?}")),
            name => Ok(name.to_string()),
        })
        .unwrap_or_else(|| default.to_string())
    }
}

impl Validator<'_> {
    /// The same validator for a shorter borrow.
    fn reborrow(&mut self) -> Validator<'_> {
        Validator {
            locs: self.locs,
            file: self.file,
            report: &mut *self.report,
        }
    }

    /// The keys of the table at dotted `path` (absent when the file has no such table).
    fn keys<'s>(
        &'s mut self,
        path: &str,
        table: Option<&'s Table>,
        schema: &'static TableSchema,
    ) -> Keys<'s> {
        Keys {
            v: self.reborrow(),
            path: path.to_string(),
            table,
            schema,
        }
    }

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

    fn settings(&mut self, table: Option<&Table>) -> Settings {
        let mut s = self.keys("Settings", table, &schema::SETTINGS);
        let console_level = s
            .parse("ConsoleLevel", Keys::str, |level| {
                let upper = level.trim().to_uppercase();
                if LOG_LEVELS.contains(&upper.as_str()) {
                    Ok(upper)
                } else {
                    Err(format!(
                        "{level:?} is not a log level; use one of {}",
                        LOG_LEVELS.join(", ")
                    ))
                }
            })
            .unwrap_or_else(|| "INFO".to_string());
        let max_restarts = s.count("MaxProcessRestarts").unwrap_or(5);
        let log_rotate_size = s.size("LogRotateSize").unwrap_or(5 << 20);
        let log_rotate_count = s.count("LogRotateCount").unwrap_or(3);
        Settings {
            log_rotate_size,
            log_rotate_count,
            console_level,
            logging: s.bool("Logging").unwrap_or(true),
            loop_sleep: s.secs("LoopSleepTimer", 1).unwrap_or(Duration::from_secs(5)),
            failed_category: s.name("FailedCategory", "failed"),
            recheck_category: s.name("RecheckCategory", "recheck"),
            tagless: s.bool("Tagless").unwrap_or(false),
            ignore_younger_than: s
                .secs("IgnoreTorrentsYoungerThan", 0)
                .unwrap_or(Duration::from_secs(180)),
            dry_run: s.bool("DryRun").unwrap_or(false),
            trace_loop: s.bool("TraceLoopExecution").unwrap_or(false),
            auto_restart: s.bool("AutoRestartProcesses").unwrap_or(true),
            max_restarts,
            restart_window: s
                .secs("ProcessRestartWindow", 0)
                .unwrap_or(Duration::from_secs(300)),
            restart_delay: s.secs("ProcessRestartDelay", 0).unwrap_or(Duration::from_secs(5)),
        }
    }

    /// `[WebUI]`: where the status server listens and how it authenticates.
    fn webui(&mut self, table: Option<&Table>) -> WebUi {
        let mut w = self.keys("WebUI", table, &schema::WEBUI);
        let port = w
            .parse("Port", Keys::int, |p| {
                port(p).ok_or_else(|| format!("must be a port number 1-65535 (got {p})"))
            })
            .unwrap_or(6969);
        let host = match w.str("Host").map(str::trim) {
            None | Some("") => "0.0.0.0".to_string(),
            Some(h) => h.trim_start_matches('[').trim_end_matches(']').to_string(),
        };
        WebUi {
            host,
            port,
            token: w
                .str("Token")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            auth_disabled: w.bool("AuthDisabled").unwrap_or(false),
        }
    }

    /// A `[qBit]` / `[qBit-<Name>]` section; None when Disabled.
    fn qbit(&mut self, name: &str, table: &Table) -> Option<QbitInstance> {
        let mut q = self.keys(name, Some(table), &schema::QBIT);
        if q.bool("Disabled") == Some(true) {
            return None;
        }
        let host = match q.str("Host").map(str::trim) {
            None => {
                q.error(
                    "Host",
                    "missing; add Host = \"127.0.0.1\" (the qBittorrent WebUI address, \
                     Options > Web UI)",
                );
                None
            }
            Some("") => {
                q.error(
                    "Host",
                    "must not be empty; set it to the qBittorrent WebUI address",
                );
                None
            }
            Some(PLACEHOLDER) => None, // reported by the schema check
            Some(host) if host.contains("://") && scheme_len(host).is_none() => {
                let message = format!(
                    "{:?} must start with http:// or https:// when it names a scheme",
                    redact_userinfo(host)
                );
                q.error("Host", message);
                None
            }
            Some(host) => Some(host.to_string()),
        };
        let port = q
            .parse("Port", Keys::int, |p| {
                port(p).ok_or_else(|| format!("must be between 1 and 65535 (got {p})"))
            })
            .unwrap_or(8080);
        let present = |key| q.str(key).filter(|v| !v.trim().is_empty()).map(str::to_string);
        Some(QbitInstance {
            name: name.to_string(),
            url: host.map(|h| qbit_url(&h, port)).unwrap_or_default(),
            username: present("UserName"),
            password: present("Password"),
            api_key: present("APIKey").map(|k| k.trim().to_string()),
            skip_tls_verify: q.bool("SkipTLSVerify").unwrap_or(false),
        })
    }

    /// An Arr section (managed or not).
    fn arr(&mut self, name: &str, kind: ArrKind, table: &Table) -> Arr {
        let mut a = self.keys(name, Some(table), &schema::ARR);
        let managed = a.bool("Managed").unwrap_or(true);
        let example = format!("http://127.0.0.1:{}", default_port(kind));
        let uri = match a.str("URI").map(str::trim) {
            None | Some("") if managed => {
                let message = format!("missing; set URI = {example:?} (the address of this {kind:?})");
                a.error("URI", message);
                String::new()
            }
            None => String::new(),
            Some(PLACEHOLDER) => PLACEHOLDER.to_string(),
            Some(uri) => {
                let uri = uri.trim_end_matches('/').to_string();
                if managed && scheme_len(&uri).is_none() {
                    let message = format!(
                        "{:?} must start with http:// or https://, e.g. {example:?}",
                        redact_userinfo(&uri)
                    );
                    a.error("URI", message);
                }
                uri
            }
        };
        let api_key = match a.str("APIKey").map(str::trim) {
            None | Some("") if managed => {
                a.error(
                    "APIKey",
                    format!("missing; copy the API key from {kind:?}'s Settings > General > Security"),
                );
                String::new()
            }
            key => key.unwrap_or_default().to_string(),
        };
        let category = a.name("Category", &name.to_lowercase());
        let import_mode = a
            .parse("importMode", Keys::str, |mode| {
                let mode = mode.trim();
                match mode.to_ascii_lowercase().as_str() {
                    "auto" => Ok(ImportMode::Auto),
                    "move" => Ok(ImportMode::Move),
                    "copy" => Ok(ImportMode::Copy),
                    _ => Err(format!("{mode:?} is not an import mode; use Auto, Move or Copy")),
                }
            })
            .unwrap_or(ImportMode::Auto);
        let check_interval = a.secs("CheckInterval", 1);
        let delay_after_import = a.secs("DelayAfterImport", 0).unwrap_or_default();
        let delay_after_search = a.secs("DelayAfterSearch", 0).unwrap_or_default();
        let delay_after_blacklist = a.secs("DelayAfterBlacklist", 0).unwrap_or_default();
        let skip_tls_verify = a.bool("SkipTLSVerify").unwrap_or(false);
        let re_search = a.bool("ReSearch").unwrap_or(true);
        let mut t = a.sub("Torrent", &schema::TORRENT);
        let torrent = torrent(&mut t);
        let seeding = seeding(&mut t.sub("SeedingMode", &schema::SEEDING_MODE), managed);
        Arr {
            name: name.to_string(),
            kind,
            managed,
            uri,
            api_key,
            skip_tls_verify,
            category,
            re_search,
            import_mode,
            check_interval,
            delay_after_import,
            delay_after_search,
            delay_after_blacklist,
            torrent,
            seeding,
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

/// `[<Arr>.Torrent]`.
fn torrent(t: &mut Keys) -> TorrentRules {
    let maximum_deletable_percentage = t
        .parse("MaximumDeletablePercentage", Keys::float, |p| {
            if (0.0..=1.0).contains(&p) {
                Ok(p)
            } else {
                Err(format!(
                    "must be a fraction between 0 and 1, e.g. 0.99 for 99% (got {p})"
                ))
            }
        })
        .unwrap_or(0.99);
    let stalled = t
        .secs_or_off("StalledDelay")
        .unwrap_or(Some(Duration::from_secs(15 * 60)));
    TorrentRules {
        ignore_younger_than: t
            .secs("IgnoreTorrentsYoungerThan", 0)
            .unwrap_or(Duration::from_secs(180)),
        maximum_eta: t.secs_or_off("MaximumETA").flatten(),
        maximum_deletable_percentage,
        do_not_remove_slow: t.bool("DoNotRemoveSlow").unwrap_or(true),
        stalled_delay: match stalled {
            None => StalledDelay::Off,
            Some(Duration::ZERO) => StalledDelay::TagOnly,
            Some(delay) => StalledDelay::After(delay),
        },
        re_search_stalled: t.bool("ReSearchStalled").unwrap_or(false),
    }
}

/// `[<Arr>.Torrent.SeedingMode]`; a removal rule without its limit is a warning when `managed`.
fn seeding(s: &mut Keys, managed: bool) -> SeedingRules {
    let max_upload_ratio = s
        .parse("MaxUploadRatio", Keys::float, |r| match r {
            -1.0 => Ok(None),
            r if r > 0.0 && r.is_finite() => Ok(Some(r)),
            r => Err(format!("must be greater than 0, or -1 for no limit (got {r})")),
        })
        .flatten();
    let max_seeding_time = s.secs_or_off("MaxSeedingTime").flatten();
    let remove_torrent = s
        .parse("RemoveTorrent", Keys::int, |n| match n {
            -1 => Ok(RemoveTorrent::Never),
            1 => Ok(RemoveTorrent::Ratio),
            2 => Ok(RemoveTorrent::Time),
            3 => Ok(RemoveTorrent::RatioOrTime),
            4 => Ok(RemoveTorrent::RatioAndTime),
            n => Err(format!(
                "must be -1 (never), 1 (at MaxUploadRatio), 2 (at MaxSeedingTime), \
                 3 (at either) or 4 (at both) (got {n})"
            )),
        })
        .unwrap_or(RemoveTorrent::Never);
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
        let path = s.at("RemoveTorrent");
        s.v.warn(
            &path,
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

/// A TCP port: 1-65535.
fn port(n: i64) -> Option<u16> {
    u16::try_from(n).ok().filter(|p| *p > 0)
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

/// The qBittorrent base URL: Host may carry a scheme and a port; `:Port` is added only when it
/// has none; bare IPv6 addresses get brackets; no trailing slash.
fn qbit_url(host: &str, port: u16) -> String {
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
    use crate::config::tree;

    #[test]
    fn keys_are_read_by_their_schema_names() {
        let root = tree::parse(
            "[Radarr-1080]\nimportMode = \"Move\"\n[Radarr-1080.Torrent]\nStalledDelay = \"1h\"\nMaxUnknown = 1\n\
             [Radarr-1080.Torrent.SeedingMode]\nMaxUploadRatio = 2\n",
        )
        .expect("valid TOML");
        let (locs, mut report) = (Locs::new(), Report::default());
        let mut v = Validator {
            locs: &locs,
            file: "config.toml",
            report: &mut report,
        };
        let mut arr = v.keys("Radarr-1080", root.table("Radarr-1080"), &schema::ARR);
        assert_eq!(arr.str("importMode"), Some("Move"));
        assert_eq!(arr.bool("Managed"), None);
        let mut torrent = arr.sub("Torrent", &schema::TORRENT);
        let stalled = torrent.duration("StalledDelay").map(|(d, val)| (d, val.show()));
        assert_eq!(stalled, Some((DurationValue::Secs(3_600), "\"1h\"".to_string())));
        let seeding = torrent.sub("SeedingMode", &schema::SEEDING_MODE);
        assert_eq!(seeding.float("MaxUploadRatio"), Some(2.0));
        let settings = v.keys("Settings", None, &schema::SETTINGS);
        assert_eq!(settings.bool("Logging"), None);
        assert!(report.problems.is_empty());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "Settings.FreeSpace: not a supported key in the schema")]
    fn reading_a_key_the_schema_does_not_support_is_a_bug() {
        let (locs, mut report) = (Locs::new(), Report::default());
        let mut v = Validator {
            locs: &locs,
            file: "config.toml",
            report: &mut report,
        };
        v.keys("Settings", None, &schema::SETTINGS).str("FreeSpace");
    }

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
