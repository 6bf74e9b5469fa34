//! Stage two: reads the supported keys straight from the checked tree, by the names
//! [`super::schema`] declares (it is their only declaration), fills qBitrr's defaults, checks
//! ranges and cross-section rules (an enabled qBit section, distinct categories) and builds the
//! [`Config`]. Every problem is collected; none stops the others.

use std::path::PathBuf;
use std::time::Duration;

use crate::category::Subcategories;
use crate::file_filter::{FileFilter, FilterList};
use crate::model::ArrKind;
use crate::tracker::{self, HitAndRun, HnrMode, TorrentSettings, TrackerEntry};

use super::check::{default_port, Locs};
use super::duration::{self, DurationValue};
use super::report::{at, quoted, Location, Report};
use super::schema::{
    self, text_problem, Bounds, Chars, Key, Section, TableSchema, Ty, Use, PLACEHOLDER, SECTION_NAME_MAX,
};
use super::tree::{Item, Table, Val};
use super::types::{
    Arr, Config, EntrySearch, FreeSpaceGuard, ImportMode, Owner, QbitInstance, ReadMode, RemoveTorrent,
    RequestManager, RequestSource, SeedingRules, SeriesSearch, Settings, StalledDelay, TempProfiles,
    TorrentRules, WebUi,
};

/// RssSyncTimer and RefreshDownloadsTimer when absent: qBitrr's default, one minute.
const ARR_JOB_DEFAULT_PERIOD: Duration = Duration::from_secs(60);

/// Builds the [`Config`] from the checked tree; problems and warnings go to `report`.
pub(super) fn validate(root: &Table, locs: &Locs, file: &str, report: &mut Report) -> Config {
    let mut v = Validator { locs, file, report };
    let settings = v.settings(root.table("Settings"));
    let webui = v.webui(root.table("WebUI"));
    let mut qbit = Vec::new();
    let mut qbit_sections = Vec::new();
    let mut bad_names = false;
    let mut arrs = Vec::new();
    for (name, item) in root.iter() {
        let Val::Table(table) = &item.val else {
            continue;
        };
        let section = schema::classify(name);
        if matches!(section, Some(Section::Qbit | Section::Arr(_))) && !v.section_name(name) {
            // Its keys are not read: each message would repeat the name.
            bad_names = true;
            continue;
        }
        match section {
            Some(Section::Qbit) => {
                qbit_sections.push(name);
                if let Some(q) = v.qbit(name, table) {
                    arrs.extend(v.managed_categories(name, table));
                    qbit.push(q);
                }
            }
            Some(Section::Arr(kind)) => arrs.push(v.arr(name, kind, table)),
            _ => {}
        }
    }
    if !bad_names {
        v.need_qbit(&qbit, &qbit_sections);
    }
    v.distinct_categories(&settings, &arrs);
    subcategory_owners(root, &settings, &qbit, &mut arrs);
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
                .is_some_and(|spec| matches!(spec.usage, Use::Supported(_))),
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

    /// The bounds the schema declares for `key` (a supported key; see [`Keys::val`]).
    fn bounds(&self, key: &str) -> Bounds {
        self.schema.get(key).and_then(Key::bounds).unwrap_or(Bounds::Flag)
    }

    /// `key`'s accepted values in words, for messages.
    fn allowed(&self, key: &str) -> String {
        self.schema.get(key).and_then(Key::allowed).unwrap_or_default()
    }

    /// A reader was used on a key whose schema bounds are of another kind: a bug (caught by the
    /// tests, which read every supported key); in a release build the key counts as absent.
    fn mismatch<T>(&self, key: &str) -> Option<T> {
        if cfg!(debug_assertions) {
            panic!("{}: its schema bounds do not fit this reader", self.at(key));
        }
        None
    }

    /// A duration within its schema bounds; `Some(None)` for -1 where they allow "off".
    fn secs_or_off(&mut self, key: &str) -> Option<Option<Duration>> {
        let Bounds::Secs { min, max, off } = self.bounds(key) else {
            return self.mismatch(key);
        };
        let allowed = self.allowed(key);
        self.parse(key, Self::duration, |(value, val)| match value {
            DurationValue::Off if off => Ok(None),
            DurationValue::Secs(s) if (min..=max).contains(&s) => Ok(Some(Duration::from_secs(s))),
            _ => Err(format!("must be {allowed}, got {}", val.show())),
        })
    }

    /// A duration within its schema bounds, for a key that has no "off".
    fn secs(&mut self, key: &str) -> Option<Duration> {
        self.secs_or_off(key).flatten()
    }

    /// A byte size within its schema bounds: an integer, or a string with a K/M/G suffix ("5M").
    /// A byte size within its schema bounds; `None` also for -1 where that means off.
    fn size(&mut self, key: &str) -> Option<u64> {
        let Bounds::Size { min, max, off } = self.bounds(key) else {
            return self.mismatch(key);
        };
        let allowed = self.allowed(key);
        self.parse(key, Self::val, |val| {
            let is_off = matches!(val, Val::Int(-1)) || matches!(val, Val::Str(t) if t.trim() == "-1");
            if off && is_off {
                return Ok(None);
            }
            let bytes = match val {
                Val::Int(n) => u64::try_from(*n).ok(),
                Val::Str(t) => parse_size(t),
                _ => None,
            };
            bytes
                .filter(|n| (min..=max).contains(n))
                .map(Some)
                .ok_or_else(|| format!("must be {allowed}, got {}", val.show()))
        })
        .flatten()
    }

    /// A whole number within its schema bounds, as `T` (which holds every value in them).
    fn number<T: TryFrom<i64>>(&mut self, key: &str) -> Option<T> {
        let Bounds::Int { min, max } = self.bounds(key) else {
            return self.mismatch(key);
        };
        let allowed = self.allowed(key);
        self.parse(key, Self::int, |n| {
            (min..=max)
                .contains(&n)
                .then(|| T::try_from(n).ok())
                .flatten()
                .ok_or_else(|| format!("must be {allowed}, got {n}"))
        })
    }

    /// One of the codes the schema lists for `key`.
    fn code(&mut self, key: &str) -> Option<i64> {
        let Bounds::Codes(codes) = self.bounds(key) else {
            return self.mismatch(key);
        };
        let allowed = self.allowed(key);
        self.parse(key, Self::int, |n| {
            if codes.iter().any(|(code, _)| *code == n) {
                Ok(n)
            } else {
                Err(format!("must be {allowed}, got {n}"))
            }
        })
    }

    /// A number within its schema bounds; `Some(None)` for -1 where they allow "off". `hint`
    /// follows the range in a message.
    fn real(&mut self, key: &str, hint: &str) -> Option<Option<f64>> {
        let Bounds::Float { min, max, above, off } = self.bounds(key) else {
            return self.mismatch(key);
        };
        let allowed = self.allowed(key);
        self.parse(key, Self::float, |x| {
            let low = if above { x > min } else { x >= min };
            if off && x == -1.0 {
                Ok(None)
            } else if low && x <= max {
                Ok(Some(x))
            } else {
                Err(format!("must be {allowed}{hint}, got {x}"))
            }
        })
    }

    /// One of the words the schema lists for `key`, matched in any case, as the schema spells it.
    fn one_of(&mut self, key: &str) -> Option<&'static str> {
        let Bounds::OneOf(words) = self.bounds(key) else {
            return self.mismatch(key);
        };
        let allowed = self.allowed(key);
        self.parse(key, Self::str, |text| {
            words
                .iter()
                .copied()
                .find(|word| word.eq_ignore_ascii_case(text.trim()))
                .ok_or_else(|| format!("must be {allowed}, got {}", quoted(text)))
        })
    }

    /// A text key as written, within its schema bounds: `Ok(None)` when absent, `Err` when it
    /// breaks them (reported, never with the value, which may be a secret).
    fn text(&mut self, key: &str) -> Result<Option<&'a str>, Rejected> {
        let Some(text) = self.str(key) else {
            return Ok(None);
        };
        let Bounds::Text { max, chars } = self.bounds(key) else {
            return self.mismatch(key).ok_or(Rejected);
        };
        match text_problem(text, max, chars, schema::is_secret(key)) {
            None => Ok(Some(text)),
            Some(problem) => {
                let allowed = self.allowed(key);
                self.error(key, format!("{problem}: must be {allowed}"));
                Err(Rejected)
            }
        }
    }

    /// A list of texts within its schema bounds, trimmed; `None` when absent or rejected (each
    /// problem reported). A blank text would match everything, so it is refused.
    fn texts(&mut self, key: &str) -> Option<Vec<String>> {
        let Bounds::Texts { items, max, chars } = self.bounds(key) else {
            return self.mismatch(key);
        };
        let Val::Array(list) = self.val(key)? else {
            return None;
        };
        let allowed = self.allowed(key);
        if list.len() > items {
            self.error(key, format!("has {} items: must be {allowed}", list.len()));
            return None;
        }
        let mut out = Vec::with_capacity(list.len());
        let mut problems = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let text = item.val.as_str().unwrap_or_default();
            match item_problem(text, max, chars, "is blank (it would match everything)") {
                Some(p) => problems.push(format!("item {} {p}", i + 1)),
                None => out.push(text.trim().to_string()),
            }
        }
        if problems.is_empty() {
            Some(out)
        } else {
            self.error(key, format!("{}: must be {allowed}", problems.join("; ")));
            None
        }
    }

    /// A table of names to names within its schema bounds, as written (names are matched
    /// exactly); `None` when absent or rejected (each problem reported).
    fn name_map(&mut self, key: &str) -> Option<Vec<(String, String)>> {
        let Bounds::NameMap { items, max } = self.bounds(key) else {
            return self.mismatch(key);
        };
        let Val::Table(table) = self.val(key)? else {
            return None;
        };
        let allowed = self.allowed(key);
        let pairs: Vec<(&str, &Item)> = table.iter().collect();
        if pairs.len() > items {
            self.error(key, format!("has {} entries: must be {allowed}", pairs.len()));
            return None;
        }
        let mut out = Vec::with_capacity(pairs.len());
        let mut problems = Vec::new();
        for (name, item) in pairs {
            let Some(temp) = item.val.as_str() else {
                problems.push(format!("\"{name}\" maps to {}, not a name", item.val.type_name()));
                continue;
            };
            for (what, text) in [("the name", name), ("its temp profile", temp)] {
                if let Some(p) = item_problem(text, max, Chars::Line, "is blank") {
                    problems.push(format!("{what} of entry \"{}\" {p}", name.escape_debug()));
                }
            }
            out.push((name.to_string(), temp.to_string()));
        }
        if problems.is_empty() {
            Some(out)
        } else {
            self.error(key, format!("{}: must be {allowed}", problems.join("; ")));
            None
        }
    }

    /// A category-like name within its bounds: trimmed, not empty; `default` when absent or
    /// rejected.
    fn name(&mut self, key: &str, default: &str) -> String {
        match self.text(key).map(|name| name.map(str::trim)) {
            Ok(Some("")) => {
                self.error(
                    key,
                    format!("must not be empty; leave the key out to use {}", quoted(default)),
                );
                default.to_string()
            }
            Ok(Some(name)) => name.to_string(),
            Ok(None) | Err(Rejected) => default.to_string(),
        }
    }
}

/// What is wrong with one text of a list or table (`blank` when it is blank), if anything.
fn item_problem(text: &str, max: usize, chars: Chars, blank: &str) -> Option<String> {
    if text.trim().is_empty() {
        Some(blank.to_string())
    } else {
        text_problem(text, max, chars, false)
    }
}

/// A text value broke its bounds (and was reported).
struct Rejected;

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
        let console_level = s.one_of("ConsoleLevel").unwrap_or("INFO").to_string();
        let max_restarts = s.number("MaxProcessRestarts").unwrap_or(5);
        let log_rotate_size = s.size("LogRotateSize").unwrap_or(5 << 20);
        let log_rotate_count = s.number("LogRotateCount").unwrap_or(3);
        Settings {
            log_rotate_size,
            log_rotate_count,
            console_level,
            logging: s.bool("Logging").unwrap_or(true),
            loop_sleep: s.secs("LoopSleepTimer").unwrap_or(Duration::from_secs(5)),
            failed_category: s.name("FailedCategory", "failed"),
            recheck_category: s.name("RecheckCategory", "recheck"),
            tagless: s.bool("Tagless").unwrap_or(false),
            ignore_younger_than: s.secs("IgnoreTorrentsYoungerThan").unwrap_or(AGE_GATE_DEFAULT),
            dry_run: s.bool("DryRun").unwrap_or(false),
            trace_loop: s.bool("TraceLoopExecution").unwrap_or(false),
            auto_restart: s.bool("AutoRestartProcesses").unwrap_or(true),
            max_restarts,
            restart_window: s.secs("ProcessRestartWindow").unwrap_or(Duration::from_secs(300)),
            restart_delay: s.secs("ProcessRestartDelay").unwrap_or(Duration::from_secs(5)),
            full_sync: s.secs("FullSyncTimer").unwrap_or(Duration::from_secs(600)),
            full_list: s.secs("FullListTimer").unwrap_or(Duration::from_secs(300)),
            queue_refresh: s.secs("QueueRefreshTimer").unwrap_or(Duration::from_secs(60)),
            search_delay: s
                .secs_or_off("SearchLoopDelay")
                .unwrap_or(None)
                .unwrap_or(SEARCH_DELAY_DEFAULT),
            free_space: free_space(&mut s),
        }
    }

    /// `[WebUI]`: where the status server listens and how it authenticates.
    fn webui(&mut self, table: Option<&Table>) -> WebUi {
        let mut w = self.keys("WebUI", table, &schema::WEBUI);
        let port = w.number("Port").unwrap_or(6969);
        let host = match w.text("Host").map(|h| h.map(str::trim)) {
            Ok(Some(h)) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_string(),
            _ => "0.0.0.0".to_string(),
        };
        let token = w.text("Token").ok().flatten().map(str::trim);
        WebUi {
            host,
            port,
            token: token.filter(|t| !t.is_empty()).map(str::to_string),
            auth_disabled: w.bool("AuthDisabled").unwrap_or(false),
            allow_token_query: w.bool("AllowInsecureTokenQuery").unwrap_or(false),
            url_base: w
                .text("UrlBase")
                .ok()
                .flatten()
                .map(|b| b.trim().trim_end_matches('/').to_string())
                .unwrap_or_default(),
        }
    }

    /// A `[qBit]` / `[qBit-<Name>]` section; None when Disabled.
    fn qbit(&mut self, name: &str, table: &Table) -> Option<QbitInstance> {
        let mut q = self.keys(name, Some(table), &schema::QBIT);
        if q.bool("Disabled") == Some(true) {
            return None;
        }
        let host = match q.text("Host").map(|h| h.map(str::trim)) {
            Err(Rejected) => None,
            Ok(None) => {
                q.error(
                    "Host",
                    "missing; add Host = \"127.0.0.1\" (the qBittorrent WebUI address, \
                     Options > Web UI)",
                );
                None
            }
            Ok(Some("")) => {
                q.error(
                    "Host",
                    "must not be empty; set it to the qBittorrent WebUI address",
                );
                None
            }
            Ok(Some(PLACEHOLDER)) => None, // reported by the schema check
            Ok(Some(host)) if host.contains("://") && scheme_len(host).is_none() => {
                let message = format!(
                    "{} must start with http:// or https:// when it names a scheme",
                    quoted(&redact_userinfo(host))
                );
                q.error("Host", message);
                None
            }
            Ok(Some(host)) => Some(host.to_string()),
        };
        let port = q.number("Port").unwrap_or(8080);
        let mut present = |key| {
            q.text(key)
                .ok()
                .flatten()
                .filter(|v| !v.trim().is_empty())
                .map(str::to_string)
        };
        let username = present("UserName");
        let password = present("Password");
        let api_key = present("APIKey").map(|k| k.trim().to_string());
        Some(QbitInstance {
            name: name.to_string(),
            url: host.map(|h| qbit_url(&h, port)).unwrap_or_default(),
            username,
            password,
            api_key,
            skip_tls_verify: q.bool("SkipTLSVerify").unwrap_or(false),
            read_mode: match q.one_of("ReadMode") {
                Some("maindata") => ReadMode::MainData,
                Some("lists") => ReadMode::Lists,
                _ => ReadMode::Auto,
            },
            trackers: trackers(&mut q),
            match_subcategories: q.bool("MatchSubcategories").unwrap_or(false),
        })
    }

    /// An Arr section (managed or not).
    fn arr(&mut self, name: &str, kind: ArrKind, table: &Table) -> Arr {
        let mut a = self.keys(name, Some(table), &schema::ARR);
        let managed = a.bool("Managed").unwrap_or(true);
        let example = format!("http://127.0.0.1:{}", default_port(kind));
        let uri = match a.text("URI").map(|u| u.map(str::trim)) {
            Err(Rejected) => String::new(),
            Ok(None | Some("")) if managed => {
                let message = format!("missing; set URI = {example:?} (the address of this {kind:?})");
                a.error("URI", message);
                String::new()
            }
            Ok(None) => String::new(),
            Ok(Some(PLACEHOLDER)) => PLACEHOLDER.to_string(),
            Ok(Some(uri)) => {
                let uri = uri.trim_end_matches('/').to_string();
                if managed && scheme_len(&uri).is_none() {
                    let message = format!(
                        "{} must start with http:// or https://, e.g. {example:?}",
                        quoted(&redact_userinfo(&uri))
                    );
                    a.error("URI", message);
                }
                uri
            }
        };
        let api_key = match a.text("APIKey").map(|k| k.map(str::trim)) {
            Err(Rejected) => String::new(),
            Ok(None | Some("")) if managed => {
                a.error(
                    "APIKey",
                    format!("missing; copy the API key from {kind:?}'s Settings > General > Security"),
                );
                String::new()
            }
            Ok(key) => key.unwrap_or_default().to_string(),
        };
        let category = a.name("Category", &name.to_lowercase());
        // Unset: `[qBit]`'s (see `subcategory_owners`).
        let match_subcategories = a.bool("MatchSubcategories");
        let import_mode = match a.one_of("importMode") {
            Some("Move") => ImportMode::Move,
            Some("Copy") => ImportMode::Copy,
            _ => ImportMode::Auto,
        };
        let check_interval = a.secs("CheckInterval");
        let delay_after_import = a.secs("DelayAfterImport").unwrap_or_default();
        let delay_after_search = a.secs("DelayAfterSearch").unwrap_or_default();
        let delay_after_blacklist = a.secs("DelayAfterBlacklist").unwrap_or_default();
        // qBitrr's default is one minute; 0 turns a job off.
        let mut every = |key| Some(a.secs(key).unwrap_or(ARR_JOB_DEFAULT_PERIOD)).filter(|d| !d.is_zero());
        let rss_sync_every = every("RssSyncTimer");
        let refresh_downloads_every = every("RefreshDownloadsTimer");
        let skip_tls_verify = a.bool("SkipTLSVerify").unwrap_or(false);
        let re_search = a.bool("ReSearch").unwrap_or(true);
        let arr_error_codes = a
            .texts("ArrErrorCodesToBlocklist")
            .unwrap_or_else(|| owned(schema::arr_error_codes_default(kind)));
        let search = entry_search(&mut a.sub("EntrySearch", &schema::ENTRY_SEARCH), kind, name);
        let mut t = a.sub("Torrent", &schema::TORRENT);
        let torrent = torrent(&mut t, kind, name);
        let mut seeding_keys = t.sub("SeedingMode", &schema::SEEDING_MODE);
        let mut seeding = seeding(&mut seeding_keys, managed);
        seeding.dead_tracker_texts = dead_tracker_texts(&mut seeding_keys);
        Arr {
            name: name.to_string(),
            kind,
            owner: Owner::Arr,
            managed,
            uri,
            api_key,
            skip_tls_verify,
            category,
            subcategories: Subcategories {
                matched: match_subcategories.unwrap_or(false),
                yielded: Vec::new(),
            },
            re_search,
            import_mode,
            check_interval,
            delay_after_import,
            delay_after_search,
            delay_after_blacklist,
            rss_sync_every,
            refresh_downloads_every,
            arr_error_codes,
            torrent,
            seeding,
            search,
        }
    }

    /// A worker's section per `[qBit] ManagedCategories` entry, with the rules of
    /// `[qBit.CategorySeeding]` (qBitrr's defaults: no seeding limit, stalled removal off, the
    /// age gate at 180 s, hit-and-run disabled).
    fn managed_categories(&mut self, qbit: &str, table: &Table) -> Vec<Arr> {
        let mut q = self.keys(qbit, Some(table), &schema::QBIT);
        let categories = q.texts("ManagedCategories").unwrap_or_default();
        let match_subcategories = q.bool("MatchSubcategories").unwrap_or(false);
        // Read (and so checked) even when no category uses them.
        let mut s = q.sub("CategorySeeding", &schema::CATEGORY_SEEDING);
        let seeding = seeding(&mut s, !categories.is_empty());
        let hnr = hit_and_run(&mut s);
        // One entry for every torrent of the category, below any tracker entry that matches.
        let category_entry = (hnr.mode != HnrMode::Disabled).then(|| TrackerEntry {
            name: format!("{qbit}.CategorySeeding"),
            host: String::new(),
            priority: i64::MIN,
            maximum_eta: None,
            max_upload_ratio: None,
            max_seeding_time: None,
            hnr,
            settings: TorrentSettings::default(),
            add_tags: Default::default(),
            add_url: None,
            remove_if_exists: false,
            sort: false,
        });
        let torrent = TorrentRules {
            ignore_younger_than: s.secs("IgnoreTorrentsYoungerThan").unwrap_or(AGE_GATE_DEFAULT),
            maximum_eta: None,
            maximum_deletable_percentage: MAX_DELETABLE_DEFAULT,
            do_not_remove_slow: true,
            stalled_delay: stalled_delay(s.secs_or_off("StalledDelay").unwrap_or(None)),
            re_search_stalled: false,
            max_removals_per_pass: MAX_REMOVALS_PER_PASS_DEFAULT,
            max_removals_per_hour: MAX_REMOVALS_PER_HOUR_DEFAULT,
            file_filter: FileFilter::default(),
            auto_delete: false,
            trackers: category_entry.into_iter().collect(),
            remove_private_without_entry: false,
            unregistered_delay: Some(UNREGISTERED_DELAY_DEFAULT),
            unregistered_messages: owned(&crate::tracker::UNREGISTERED_TEXTS),
        };
        let mut arrs = Vec::with_capacity(categories.len());
        for category in categories {
            let name = format!("{qbit}.{}", category.replace('/', "_"));
            if name.chars().count() > SECTION_NAME_MAX {
                q.error(
                    "ManagedCategories",
                    format!(
                        "{category:?}: with the section name, too long to name its worker (at most \
                         {SECTION_NAME_MAX} characters)"
                    ),
                );
                continue;
            }
            arrs.push(Arr {
                name,
                // Unused without an Arr.
                kind: ArrKind::Radarr,
                owner: Owner::Qbit(qbit.to_string()),
                managed: true,
                uri: String::new(),
                api_key: String::new(),
                skip_tls_verify: false,
                category,
                subcategories: Subcategories {
                    matched: match_subcategories,
                    yielded: Vec::new(),
                },
                re_search: false,
                import_mode: ImportMode::Auto,
                check_interval: None,
                delay_after_import: Duration::ZERO,
                delay_after_search: Duration::ZERO,
                delay_after_blacklist: Duration::ZERO,
                rss_sync_every: None,
                refresh_downloads_every: None,
                arr_error_codes: Vec::new(),
                torrent: torrent.clone(),
                seeding: seeding.clone(),
                search: EntrySearch::off(),
            });
        }
        arrs
    }

    /// Whether a qBit or Arr section's name can name a worker thread, a log file and a status
    /// entry: at most [`SECTION_NAME_MAX`] characters, no control characters. Reported if not,
    /// under the name as a message can show it.
    fn section_name(&mut self, name: &str) -> bool {
        let Some(problem) = text_problem(name, SECTION_NAME_MAX, Chars::Line, false) else {
            return true;
        };
        let loc = self.loc(name);
        self.report.error(
            quoted(name),
            loc,
            format!(
                "the section name {problem}: a section name must be at most {SECTION_NAME_MAX} \
                 characters, no control characters"
            ),
        );
        false
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

    /// Managed Arr sections need their own category, distinct from Failed/RecheckCategory and
    /// from every ManagedCategories entry (which need only differ on the same qBit section).
    fn distinct_categories(&mut self, settings: &Settings, arrs: &[Arr]) {
        let mut seen: Vec<&Arr> = Vec::new();
        for arr in arrs.iter().filter(|a| a.managed && a.category != PLACEHOLDER) {
            let path = arr.category_key();
            let clash = |o: &&&Arr| {
                o.category == arr.category && (o.has_arr() || arr.has_arr() || o.owner == arr.owner)
            };
            if let Some(other) = seen.iter().find(clash) {
                let where_other = match self.loc(&other.category_key()) {
                    Location::Line(line) => format!(" (line {line})"),
                    _ => String::new(),
                };
                let whose = match &other.owner {
                    Owner::Arr => format!("the Category of [{}]", other.name),
                    Owner::Qbit(qbit) => format!("in [{qbit}] ManagedCategories"),
                };
                self.error(
                    &path,
                    format!(
                        "{:?} is also {whose}{where_other}; every managed Arr section and \
                         managed category needs its own qBittorrent category",
                        arr.category
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

/// Settles MatchSubcategories: an Arr section without the key takes `[qBit]`'s (the first
/// enabled qBit section's when there is no `[qBit]`); then each managed owner yields the
/// categories of the owners below its own, on any qBittorrent (so a torrent in a category
/// some owner claims on one instance is never another's on a second), and FailedCategory and
/// RecheckCategory, which have rules of their own.
fn subcategory_owners(root: &Table, settings: &Settings, qbit: &[QbitInstance], arrs: &mut [Arr]) {
    let main = qbit.iter().find(|q| q.name == "qBit").or(qbit.first());
    let inherited = main.is_some_and(|q| q.match_subcategories);
    for arr in arrs.iter_mut().filter(|a| a.has_arr()) {
        let set = root
            .table(&arr.name)
            .is_some_and(|t| t.get("MatchSubcategories").is_some());
        if !set {
            arr.subcategories.matched = inherited;
        }
    }
    let managed: Vec<usize> = (0..arrs.len()).filter(|&i| arrs[i].managed).collect();
    let mut owners: Vec<(&str, bool)> = managed
        .iter()
        .map(|&i| (arrs[i].category.as_str(), arrs[i].subcategories.matched))
        .collect();
    owners.push((&settings.failed_category, false));
    owners.push((&settings.recheck_category, false));
    let resolved = crate::category::resolve(&owners);
    for (&i, subcategories) in managed.iter().zip(resolved) {
        arrs[i].subcategories = subcategories;
    }
}

/// UnregisteredDelay when absent (ours): an hour, so a tracker's passing trouble removes nothing.
const UNREGISTERED_DELAY_DEFAULT: Duration = Duration::from_secs(60 * 60);
/// IgnoreTorrentsYoungerThan when absent, in every section that has it: qBitrr's 180 s.
const AGE_GATE_DEFAULT: Duration = Duration::from_secs(180);
/// MaximumDeletablePercentage when absent: qBitrr's 0.99.
const MAX_DELETABLE_DEFAULT: f64 = 0.99;
/// MaxRemovalsPerPass / MaxRemovalsPerHour when absent (ours).
const MAX_REMOVALS_PER_PASS_DEFAULT: u32 = 20;
const MAX_REMOVALS_PER_HOUR_DEFAULT: u32 = 100;

/// SearchLoopDelay at -1 (qBitrr's default).
const SEARCH_DELAY_DEFAULT: Duration = Duration::from_secs(30);

/// `[<Arr>.EntrySearch]`, with qBitrr's defaults (and ours for the budget).
fn entry_search(e: &mut Keys, kind: ArrKind, section: &str) -> EntrySearch {
    let d = EntrySearch::default();
    let by_series = match e.table.and_then(|t| t.get("SearchBySeries")).map(|i| &i.val) {
        Some(Val::Bool(true)) => SeriesSearch::Series,
        Some(Val::Bool(false)) => SeriesSearch::Episode,
        _ => match e.one_of("SearchBySeries") {
            Some("true") => SeriesSearch::Series,
            Some("false") => SeriesSearch::Episode,
            _ => d.by_series,
        },
    };
    // -1: no limit.
    let mut budget = |key, default| match e.number::<i64>(key) {
        Some(-1) => None,
        Some(n) => u32::try_from(n).ok(),
        None => default,
    };
    let per_hour = budget("SearchesPerHour", d.per_hour);
    let per_day = budget("SearchesPerDay", d.per_day);
    EntrySearch {
        missing: e.bool("SearchMissing").unwrap_or(d.missing),
        quality_unmet: e.bool("QualityUnmetSearch").unwrap_or(d.quality_unmet),
        upgrade: e.bool("DoUpgradeSearch").unwrap_or(d.upgrade),
        custom_format: e.bool("CustomFormatUnmetSearch").unwrap_or(d.custom_format),
        specials: e.bool("AlsoSearchSpecials").unwrap_or(d.specials),
        unmonitored: e.bool("Unmonitored").unwrap_or(d.unmonitored),
        limit: e.number("SearchLimit").unwrap_or(d.limit),
        by_year: e.bool("SearchByYear").unwrap_or(d.by_year),
        reverse: e.bool("SearchInReverse").unwrap_or(d.reverse),
        again_on_completion: e
            .bool("SearchAgainOnSearchCompletion")
            .unwrap_or(d.again_on_completion),
        by_series,
        today_first: e.bool("PrioritizeTodaysReleases").unwrap_or(d.today_first),
        per_hour,
        per_day,
        requests: request_source(e, kind, section),
        requests_every: e.secs("SearchRequestsEvery").unwrap_or(d.requests_every),
        temp: TempProfiles {
            on: e.bool("UseTempForMissing").unwrap_or(d.temp.on),
            keep: e.bool("KeepTempProfile").unwrap_or(d.temp.keep),
            mappings: e.name_map("QualityProfileMappings").unwrap_or_default(),
            force_reset: e.bool("ForceResetTempProfiles").unwrap_or(d.temp.force_reset),
            // 0: never.
            timeout: e
                .secs("TempProfileResetTimeoutMinutes")
                .filter(|t| !t.is_zero())
                .or(d.temp.timeout),
            retries: e.number("ProfileSwitchRetryAttempts").unwrap_or(d.temp.retries),
        },
        force_minimum_format: e
            .bool("ForceMinimumCustomFormat")
            .unwrap_or(d.force_minimum_format),
    }
}

/// `[<Arr>.EntrySearch.Overseerr]`, else `.Ombi`, when its search is on (qBitrr: Radarr and
/// Sonarr only; Overseerr wins when both are on). Its address and key must then be set.
fn request_source(e: &mut Keys, kind: ArrKind, section: &str) -> Option<RequestSource> {
    // qBitrr asks them for movies and series only: on Lidarr and Readarr the keys do nothing.
    let can = matches!(kind, ArrKind::Radarr | ArrKind::Sonarr);
    let mut o = e.sub("Overseerr", &schema::OVERSEERR);
    let overseerr_on = can && o.bool("SearchOverseerrRequests").unwrap_or(false);
    let is_4k = o.bool("Is4K").unwrap_or_else(|| schema::is_4k_default(section));
    let overseerr = manager(&mut o, RequestManager::Overseerr, overseerr_on, is_4k);
    let mut b = e.sub("Ombi", &schema::OMBI);
    let ombi_on = can && !overseerr_on && b.bool("SearchOmbiRequests").unwrap_or(false);
    let ombi = manager(&mut b, RequestManager::Ombi, ombi_on, false);
    overseerr.or(ombi)
}

/// A text key's value unless it is empty or `CHANGE_ME` ("not set").
fn set_text(value: Option<&str>) -> Option<&str> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != PLACEHOLDER)
}

/// One request manager's keys, each checked; when its search is `on`, its address and key must
/// be set (reported when not).
fn manager(m: &mut Keys, manager: RequestManager, on: bool, is_4k: bool) -> Option<RequestSource> {
    let name = manager.name();
    let (uri_key, key_key) = match manager {
        RequestManager::Overseerr => ("OverseerrURI", "OverseerrAPIKey"),
        RequestManager::Ombi => ("OmbiURI", "OmbiAPIKey"),
    };
    let switch = format!("Search{name}Requests");
    let uri = m.text(uri_key).map(set_text);
    let api_key = m.text(key_key).map(set_text);
    let approved_only = m.bool("ApprovedOnly").unwrap_or(true);
    let skip_tls_verify = m.bool("SkipTLSVerify").unwrap_or(false);
    let uri = match uri {
        Ok(Some(uri)) if scheme_len(uri).is_none() => {
            let message = format!(
                "{} must start with http:// or https://",
                quoted(&redact_userinfo(uri))
            );
            m.error(uri_key, message);
            None
        }
        Ok(Some(uri)) => Some(uri.trim_end_matches('/').to_string()),
        Ok(None) if on => {
            m.error(
                uri_key,
                format!("not set; set {name}'s address, or {switch} = false"),
            );
            None
        }
        _ => None,
    };
    let api_key = match api_key {
        Ok(Some(key)) => Some(key.to_string()),
        Ok(None) if on => {
            m.error(
                key_key,
                format!("not set; copy {name}'s API key, or {switch} = false"),
            );
            None
        }
        _ => None,
    };
    Some(RequestSource {
        manager,
        uri: uri?,
        api_key: api_key?,
        approved_only,
        skip_tls_verify,
        is_4k,
    })
    .filter(|_| on)
}

/// `[<Arr>.Torrent]`.
fn torrent(t: &mut Keys, kind: ArrKind, section: &str) -> TorrentRules {
    let maximum_deletable_percentage = t
        .real("MaximumDeletablePercentage", " (a fraction: 0.99 is 99%)")
        .flatten()
        .unwrap_or(MAX_DELETABLE_DEFAULT);
    let stalled = t
        .secs_or_off("StalledDelay")
        .unwrap_or(Some(Duration::from_secs(15 * 60)));
    let stalled_delay = stalled_delay(stalled);
    TorrentRules {
        ignore_younger_than: t.secs("IgnoreTorrentsYoungerThan").unwrap_or(AGE_GATE_DEFAULT),
        maximum_eta: t.secs_or_off("MaximumETA").flatten(),
        maximum_deletable_percentage,
        do_not_remove_slow: t.bool("DoNotRemoveSlow").unwrap_or(true),
        stalled_delay,
        re_search_stalled: t.bool("ReSearchStalled").unwrap_or(false),
        max_removals_per_pass: t
            .number("MaxRemovalsPerPass")
            .unwrap_or(MAX_REMOVALS_PER_PASS_DEFAULT),
        max_removals_per_hour: t
            .number("MaxRemovalsPerHour")
            .unwrap_or(MAX_REMOVALS_PER_HOUR_DEFAULT),
        file_filter: file_filter(t, kind, section),
        auto_delete: t.bool("AutoDelete").unwrap_or(false),
        trackers: trackers(t),
        remove_private_without_entry: t.bool("RemovePrivateWithoutEntry").unwrap_or(false),
        unregistered_delay: t
            .secs_or_off("UnregisteredDelay")
            .unwrap_or(Some(UNREGISTERED_DELAY_DEFAULT)),
        unregistered_messages: t
            .texts("UnregisteredMessages")
            .unwrap_or_else(|| owned(&crate::tracker::UNREGISTERED_TEXTS)),
    }
}

/// StalledDelay: -1 off, 0 tag only, else after that long.
fn stalled_delay(value: Option<Duration>) -> StalledDelay {
    match value {
        None => StalledDelay::Off,
        Some(Duration::ZERO) => StalledDelay::TagOnly,
        Some(delay) => StalledDelay::After(delay),
    }
}

/// The `Trackers` entries of a `[qBit]` or `[<Arr>.Torrent]` table. An entry without a usable
/// URI is an error (it would match nothing, and its hit-and-run rule would protect nothing).
fn trackers(k: &mut Keys) -> Vec<TrackerEntry> {
    let Some(Val::Array(items)) = k.table.and_then(|t| t.get("Trackers")).map(|item| &item.val) else {
        return Vec::new();
    };
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Val::Table(table) = &item.val else { continue };
        let mut e = Keys {
            path: format!("{}.Trackers[{}]", k.path, i + 1),
            table: Some(table),
            schema: &schema::TRACKER,
            v: k.v.reborrow(),
        };
        if let Some(entry) = tracker_entry(&mut e) {
            entries.push(entry);
        }
    }
    entries
}

/// One tracker entry; `None` when its URI is missing or names no host (reported).
fn tracker_entry(e: &mut Keys) -> Option<TrackerEntry> {
    let uri = e.text("URI").ok()?;
    let Some(host) = uri.and_then(tracker::host_of) else {
        let problem = if uri.is_some_and(|u| !u.trim().is_empty()) {
            "names no host"
        } else {
            "missing"
        };
        e.error(
            "URI",
            format!(
                "{problem}: set URI to the tracker's announce URL or host, e.g. \
                 URI = \"https://tracker.example.org/announce\" (torrents are matched by host)"
            ),
        );
        return None;
    };
    let name = match e.text("Name") {
        Ok(Some(name)) if !name.trim().is_empty() => name.trim().to_string(),
        _ => host.clone(),
    };
    let positive = |x: Option<Option<f64>>| x.flatten().filter(|x| *x > 0.0);
    let positive_secs = |d: Option<Option<Duration>>| {
        d.flatten()
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .filter(|s| *s > 0)
    };
    Some(TrackerEntry {
        name,
        host,
        priority: e.number("Priority").unwrap_or(-100),
        maximum_eta: positive_secs(e.secs_or_off("MaximumETA")),
        max_upload_ratio: positive(e.real("MaxUploadRatio", "")),
        max_seeding_time: positive_secs(e.secs_or_off("MaxSeedingTime")),
        hnr: hit_and_run(e),
        settings: TorrentSettings {
            download_limit: rate_limit(e, "DownloadRateLimit"),
            upload_limit: rate_limit(e, "UploadRateLimit"),
            super_seed: e.bool("SuperSeedMode").unwrap_or(false),
        },
        add_tags: add_tags(e),
        add_url: add_url(e, uri.unwrap_or_default()),
        remove_if_exists: e.bool("RemoveIfExists").unwrap_or(false),
        sort: e.bool("SortTorrents").unwrap_or(false),
    })
}

/// URI when AddTrackerIfMissing is on: it must then be an announce URL qBittorrent can add
/// (http, https or udp); with RemoveIfExists too the entry would undo itself (an error).
fn add_url(e: &mut Keys, uri: &str) -> Option<String> {
    if e.bool("AddTrackerIfMissing") != Some(true) {
        return None;
    }
    if e.bool("RemoveIfExists") == Some(true) {
        e.error(
            "AddTrackerIfMissing",
            "and RemoveIfExists are both on: the entry would add its tracker and remove it again; \
             turn one off",
        );
        return None;
    }
    let uri = uri.trim();
    let scheme = uri.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https" | "udp")) {
        e.error(
            "AddTrackerIfMissing",
            format!(
                "needs URI to be a whole announce URL to add (http://, https:// or udp://), not \
                 {}",
                quoted(&redact_userinfo(uri))
            ),
        );
        return None;
    }
    Some(uri.to_string())
}

/// AddTags, trimmed, without repeats; a tag of our own (`qBitrr-…`) is an error: the rules set
/// and clear those themselves.
fn add_tags(e: &mut Keys) -> tracker::Tags {
    let mut tags: Vec<String> = Vec::new();
    for tag in e.texts("AddTags").unwrap_or_default() {
        let tag = tag.trim().to_string();
        if tag.to_ascii_lowercase().starts_with("qbitrr-") {
            e.error(
                "AddTags",
                format!("{tag:?}: tags starting with qBitrr- are qbitrr-lite's own; choose another name"),
            );
        } else if tags.contains(&tag) {
            continue;
        } else if e.v.report.add_tag_names.contains(&tag) {
            tags.push(tag);
        } else if e.v.report.add_tag_names.len() >= tracker::MAX_ADD_TAG_NAMES {
            e.error(
                "AddTags",
                format!(
                    "{tag:?}: at most {} different AddTags names across all tracker entries",
                    tracker::MAX_ADD_TAG_NAMES
                ),
            );
        } else {
            e.v.report.add_tag_names.push(tag.clone());
            tags.push(tag);
        }
    }
    tags.into()
}

/// The hit-and-run keys of a tracker entry or of `[qBit.CategorySeeding]`, with qBitrr's defaults.
fn hit_and_run(e: &mut Keys) -> HitAndRun {
    let defaults = HitAndRun::default();
    let mode = match e.table.and_then(|t| t.get("HitAndRunMode")).map(|i| &i.val) {
        Some(Val::Bool(true)) => Some(HnrMode::And),
        Some(Val::Bool(false)) => Some(HnrMode::Disabled),
        _ => match e.one_of("HitAndRunMode") {
            Some("and") => Some(HnrMode::And),
            Some("or") => Some(HnrMode::Or),
            Some(_) => Some(HnrMode::Disabled),
            None => None,
        },
    };
    let days = e.real("MinSeedingTimeDays", " (days)").flatten().unwrap_or(0.0);
    HitAndRun {
        mode: mode.unwrap_or(defaults.mode),
        min_ratio: e.real("MinSeedRatio", "").flatten().unwrap_or(defaults.min_ratio),
        // At most 3650 days: whole seconds fit easily.
        min_seeding_secs: (days * 86_400.0).round() as i64,
        min_download_percent: e
            .real("HitAndRunMinimumDownloadPercent", "")
            .flatten()
            .unwrap_or(defaults.min_download_percent),
        partial_ratio: e
            .real("HitAndRunPartialSeedRatio", "")
            .flatten()
            .unwrap_or(defaults.partial_ratio),
        update_buffer_secs: e
            .secs("TrackerUpdateBuffer")
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    }
}

/// A default list of texts from the schema, owned.
fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

/// The three file-filter lists, compiled; qBitrr's lists for the kind of Arr where a key is
/// absent. A list with a pattern that does not compile is reported (key, item, reason) and
/// leaves the filter off, which the report's error stops from running anyway.
fn file_filter(t: &mut Keys, kind: ArrKind, section: &str) -> FileFilter {
    let mut list = |key: &str, default: fn(ArrKind, &str) -> &'static [&'static str]| {
        t.texts(key).unwrap_or_else(|| owned(default(kind, section)))
    };
    let folders = list("FolderExclusionRegex", schema::folder_exclusion_default);
    let names = list("FileNameExclusionRegex", schema::file_name_exclusion_default);
    let extensions = list("FileExtensionAllowlist", schema::extension_default);
    let case_sensitive = t.bool("CaseSensitiveMatches").unwrap_or(false);
    match FileFilter::new(&folders, &names, &extensions, case_sensitive) {
        Ok(filter) => filter,
        Err(e) => {
            let hint = match e.list {
                FilterList::Extensions => " (write each extension with its dot, e.g. \".mkv\")",
                FilterList::Folders | FilterList::Names => {
                    " (regex-lite syntax: no look-around or back-references)"
                }
            };
            t.error(e.list.key(), format!("{e}{hint}"));
            FileFilter::default()
        }
    }
}

/// `[<Arr>.Torrent.SeedingMode]` (or `[qBit.CategorySeeding]`); a removal rule without its limit
/// is a warning when `managed`. RemoveDeadTrackers is the Arr section's alone ([`dead_tracker_texts`]).
fn seeding(s: &mut Keys, managed: bool) -> SeedingRules {
    let max_upload_ratio = s.real("MaxUploadRatio", "").flatten();
    let max_seeding_time = s.secs_or_off("MaxSeedingTime").flatten();
    let remove_torrent = match s.code("RemoveTorrent") {
        Some(1) => RemoveTorrent::Ratio,
        Some(2) => RemoveTorrent::Time,
        Some(3) => RemoveTorrent::RatioOrTime,
        Some(4) => RemoveTorrent::RatioAndTime,
        _ => RemoveTorrent::Never,
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
        settings: TorrentSettings {
            download_limit: rate_limit(s, "DownloadRateLimitPerTorrent"),
            upload_limit: rate_limit(s, "UploadRateLimitPerTorrent"),
            super_seed: false,
        },
        dead_tracker_texts: Vec::new(),
    }
}

/// `[<Arr>.Torrent.SeedingMode]` RemoveTrackerWithMessage when RemoveDeadTrackers is on; else
/// none.
fn dead_tracker_texts(s: &mut Keys) -> Vec<String> {
    // Read (and so checked) even when off.
    let texts = s.texts("RemoveTrackerWithMessage");
    if s.bool("RemoveDeadTrackers") != Some(true) {
        return Vec::new();
    }
    texts.unwrap_or_else(|| owned(&tracker::DEAD_TRACKER_TEXTS))
}

/// A rate limit in KiB/s as bytes/s; `None` for -1 (and absent).
fn rate_limit(k: &mut Keys, key: &str) -> Option<u32> {
    let kib: i64 = k.number(key)?;
    // At most 4,000,000 KiB/s (the schema's range): the bytes fit.
    (kib >= 0).then(|| u32::try_from(kib.saturating_mul(1024)).unwrap_or(u32::MAX))
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

/// Settings.FreeSpace, FreeSpaceFolder, CompletedDownloadFolder, AutoPauseResume.
fn free_space(s: &mut Keys<'_>) -> Option<FreeSpaceGuard> {
    let keep_free = s.size("FreeSpace");
    let mut folder = |key: &str| match s.text(key) {
        Ok(Some(f)) if !f.trim().is_empty() && f.trim() != PLACEHOLDER => Some(PathBuf::from(f.trim())),
        _ => None,
    };
    let folder = folder("FreeSpaceFolder").or_else(|| folder("CompletedDownloadFolder"));
    let on = s.bool("AutoPauseResume").unwrap_or(true);
    Some(FreeSpaceGuard {
        keep_free: keep_free?,
        folder,
    })
    .filter(|_| on)
}

/// "5M", "512K", "1G", "1.5T" (units of 1024) or plain bytes; `None` for "-1" (off) too.
fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (digits, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1u64 << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        'T' => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let digits = digits.trim();
    if let Ok(n) = digits.parse::<u64>() {
        return n.checked_mul(mult);
    }
    // A fraction ("1.5T"): whole bytes, rounded down.
    let (whole, frac) = digits.split_once('.')?;
    if whole.is_empty() || frac.is_empty() || !(whole.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: f64 = digits.parse().ok()?;
    let bytes = value * mult as f64;
    (bytes < u64::MAX as f64).then_some(bytes as u64)
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
    #[should_panic(expected = "Settings.AutoUpdateCron: not a supported key in the schema")]
    fn reading_a_key_the_schema_does_not_support_is_a_bug() {
        let (locs, mut report) = (Locs::new(), Report::default());
        let mut v = Validator {
            locs: &locs,
            file: "config.toml",
            report: &mut report,
        };
        v.keys("Settings", None, &schema::SETTINGS).str("AutoUpdateCron");
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

#[cfg(test)]
mod tracker_tests {
    use super::super::load::load_str;
    use crate::tracker::{HnrMode, TrackerEntry};

    const BASE: &str = "[qBit]\nHost = \"h\"\n";
    const ARR: &str = "[Radarr-A]\nURI = \"http://a\"\nAPIKey = \"k\"\n";

    fn loaded(text: &str) -> (Vec<TrackerEntry>, Vec<TrackerEntry>, bool) {
        match load_str(text, "config.toml", &[]) {
            Ok(l) => {
                let arr = &l.config.arrs[0];
                (
                    l.config.qbit[0].trackers.clone(),
                    arr.torrent.trackers.clone(),
                    arr.torrent.remove_private_without_entry,
                )
            }
            Err(e) => panic!("{e}"),
        }
    }

    fn refused(text: &str) -> String {
        match load_str(text, "config.toml", &[]) {
            Ok(_) => panic!("loaded:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn tracker_edits_are_read_and_an_entry_that_cannot_add_its_tracker_is_refused() {
        let base = "[qBit]\nHost = \"h\"\n[Radarr-A]\nURI = \"http://a\"\nAPIKey = \"k\"\n";
        let (_, arr, _) = loaded(&format!(
            "{base}[[Radarr-A.Torrent.Trackers]]\nURI = \"udp://open.example:6969/announce\"\n\
             AddTrackerIfMissing = true\n[[Radarr-A.Torrent.Trackers]]\nURI = \"old.example\"\n\
             RemoveIfExists = true\n"
        ));
        assert_eq!(
            arr[0].add_url.as_deref(),
            Some("udp://open.example:6969/announce")
        );
        assert!(!arr[0].remove_if_exists);
        assert_eq!((arr[1].add_url.as_deref(), arr[1].remove_if_exists), (None, true));

        let e = refused(&format!(
            "{base}[[Radarr-A.Torrent.Trackers]]\nURI = \"open.example\"\nAddTrackerIfMissing = true\n"
        ));
        assert!(
            e.contains("Radarr-A.Torrent.Trackers[1].AddTrackerIfMissing")
                && e.contains("needs URI to be a whole announce URL"),
            "{e}"
        );
        let e = refused(&format!(
            "{base}[[Radarr-A.Torrent.Trackers]]\nURI = \"https://t.example/a\"\n\
             AddTrackerIfMissing = true\nRemoveIfExists = true\n"
        ));
        assert!(e.contains("and RemoveIfExists are both on"), "{e}");

        let texts = |seeding: &str| {
            let text = format!("{base}[Radarr-A.Torrent.SeedingMode]\n{seeding}");
            load_str(&text, "config.toml", &[]).unwrap().config.arrs[0]
                .seeding
                .dead_tracker_texts
                .clone()
        };
        assert!(texts("").is_empty(), "off by default");
        assert!(
            texts("RemoveTrackerWithMessage = [\"x\"]\n").is_empty(),
            "off without RemoveDeadTrackers"
        );
        assert_eq!(texts("RemoveDeadTrackers = true\n").len(), 4, "qBitrr's texts");
        assert_eq!(
            texts("RemoveDeadTrackers = true\nRemoveTrackerWithMessage = [\"gone\"]\n"),
            ["gone"]
        );
    }

    #[test]
    fn tracker_entries_are_read_with_qbitrrs_defaults() {
        let text = format!(
            "{BASE}[[qBit.Trackers]]\nName = \"Priv\"\nURI = \"https://Tracker.Example.org/announce\"\n\
             Priority = 5\nMaxUploadRatio = 2.5\nMaxSeedingTime = \"2d\"\nMaximumETA = -1\n\
             HitAndRunMode = \"or\"\nMinSeedRatio = 1.5\nMinSeedingTimeDays = 7\n\
             HitAndRunMinimumDownloadPercent = 20\nHitAndRunPartialSeedRatio = 0.5\n\
             TrackerUpdateBuffer = \"1h\"\nUploadRateLimit = 100\nDownloadRateLimit = 0\n\
             SuperSeedMode = true\nAddTags = [\" priv \", \"hd\", \"priv\"]\n\
             [[qBit.Trackers]]\nURI = \"other.net\"\nHitAndRunMode = true\n\
             {ARR}[Radarr-A.Torrent]\nRemovePrivateWithoutEntry = true\n\
             [[Radarr-A.Torrent.Trackers]]\nURI = \"udp://other.net:6969\"\nMaxUploadRatio = -1\n"
        );
        let (qbit, arr, remove_private) = loaded(&text);
        assert!(remove_private);
        assert_eq!(qbit.len(), 2);
        let p = &qbit[0];
        assert_eq!(
            (p.name.as_str(), p.host.as_str(), p.priority),
            ("Priv", "tracker.example.org", 5)
        );
        assert_eq!(
            (p.max_upload_ratio, p.max_seeding_time, p.maximum_eta),
            (Some(2.5), Some(172_800), None)
        );
        assert_eq!(p.hnr.mode, HnrMode::Or);
        assert_eq!((p.hnr.min_ratio, p.hnr.min_seeding_secs), (1.5, 7 * 86_400));
        assert_eq!(
            (
                p.hnr.min_download_percent,
                p.hnr.partial_ratio,
                p.hnr.update_buffer_secs
            ),
            (20.0, 0.5, 3_600)
        );
        // KiB/s as bytes/s (0: unlimited); tags trimmed, each once.
        assert_eq!(
            p.settings,
            crate::tracker::TorrentSettings {
                upload_limit: Some(102_400),
                download_limit: Some(0),
                super_seed: true
            }
        );
        assert_eq!(&*p.add_tags, ["priv".to_string(), "hd".to_string()]);
        // Defaults: named by host, priority -100, legacy `true` is "and", -1 sets no limit.
        let o = &qbit[1];
        assert_eq!(
            (o.name.as_str(), o.priority, o.hnr.mode),
            ("other.net", -100, HnrMode::And)
        );
        assert_eq!(
            (
                o.hnr.min_ratio,
                o.hnr.min_seeding_secs,
                o.hnr.min_download_percent
            ),
            (1.0, 0, 10.0)
        );
        assert_eq!(arr[0].host, "other.net");
        assert_eq!(arr[0].max_upload_ratio, None);
        assert_eq!(o.settings, crate::tracker::TorrentSettings::default());
        assert!(o.add_tags.is_empty());
        assert!(!loaded(&format!("{BASE}{ARR}")).2);
    }

    #[test]
    fn add_tags_of_our_own_or_with_a_comma_are_refused() {
        let e = refused(&format!(
            "{BASE}[[qBit.Trackers]]\nURI = \"t.example\"\nAddTags = [\"qBitrr-imported\"]\n{ARR}"
        ));
        assert!(
            e.contains("qBit.Trackers[1].AddTags: \"qBitrr-imported\": tags starting with qBitrr-"),
            "{e}"
        );
        let e = refused(&format!(
            "{BASE}[[qBit.Trackers]]\nURI = \"t.example\"\nAddTags = [\"a,b\"]\n{ARR}"
        ));
        assert!(e.contains("no comma"), "{e}");
    }

    #[test]
    fn at_most_32_addtags_names_across_all_tracker_entries() {
        let names = |r: std::ops::Range<usize>| r.map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(", ");
        // 20 on the qBit's entry, 12 new and 4 repeated on the Arr's: 32 in all.
        let config = |arr_names: String| {
            format!(
                "{BASE}[[qBit.Trackers]]\nURI = \"a.example\"\nAddTags = [{}]\n{ARR}\
                 [[Radarr-A.Torrent.Trackers]]\nURI = \"b.example\"\nAddTags = [{arr_names}]\n",
                names(0..20)
            )
        };
        let (qbit, arr, _) = loaded(&config(names(16..32)));
        assert_eq!((qbit[0].add_tags.len(), arr[0].add_tags.len()), (20, 16));
        let e = refused(&config(names(16..33)));
        assert!(
            e.contains("Radarr-A.Torrent.Trackers[1].AddTags: \"t32\": at most 32 different AddTags names"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_tracker_entry_names_its_key_and_line() {
        let bad = [
            ("Name = \"x\"", "qBit.Trackers[1].URI", "missing"),
            (
                "URI = \"http:///announce\"",
                "qBit.Trackers[1].URI",
                "names no host",
            ),
            (
                "URI = \"t.org\"\nHitAndRunMode = \"sometimes\"",
                "qBit.Trackers[1].HitAndRunMode",
                "and, or or disabled",
            ),
            (
                "URI = \"t.org\"\nMinSeedingTimeDays = -2",
                "qBit.Trackers[1].MinSeedingTimeDays",
                "got -2",
            ),
            (
                "URI = \"t.org\"\nHitAndRunMinimumDownloadPercent = 101",
                "qBit.Trackers[1].HitAndRunMinimumDownloadPercent",
                "got 101",
            ),
            (
                "URI = \"t.org\"\nMaxUploadRatio = 0",
                "qBit.Trackers[1].MaxUploadRatio",
                "got 0",
            ),
        ];
        for (entry, key, why) in bad {
            let text = format!("{BASE}[[qBit.Trackers]]\n{entry}\n{ARR}");
            let message = refused(&text);
            assert!(
                message.contains(key) && message.contains(why),
                "{entry}: {message}"
            );
            assert!(message.contains("config.toml:"), "{message}");
        }
    }
}
