//! What qBitrr would do with this config that qbitrr-lite does not do yet: one start-up warning
//! per behaviour that is on, at qBitrr's default or as set, naming the sections it is on in.
//!
//! The "ignored (not supported yet)" line of [`super::check`] names keys set to something other
//! than qBitrr's default; this names what a user switching from qBitrr silently loses even when
//! they changed nothing (searching, file filters, ...).

use super::check;
use super::schema::{self, Dflt, TableSchema, Use};
use super::tree::{Table, Val};
use super::types::Config;
use crate::model::ArrKind;

/// Whether a behaviour is on in one table, and whether by qBitrr's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    Off,
    /// With its keys absent or set to qBitrr's default.
    ByDefault,
    /// With a key set to another value.
    AsSet,
}

/// A key's value in `table`, or qBitrr's default for it, and whether it differs from that
/// default (as the "ignored" line judges it).
fn value(table: Option<&Table>, schema: &TableSchema, key: &str) -> (Option<Val>, bool) {
    match (table.and_then(|t| t.get(key)), schema.get(key)) {
        (Some(item), Some(spec)) => {
            let changed = match spec.usage {
                Use::Unsupported(default) => !check::is_default(&item.val, spec.ty, default),
                Use::Supported(_) => true,
            };
            (Some(item.val.clone()), changed)
        }
        (Some(item), None) => (Some(item.val.clone()), true),
        (None, _) => (default_of(schema, key), false),
    }
}

/// qBitrr's default for `key`, as a value.
fn default_of(schema: &TableSchema, key: &str) -> Option<Val> {
    let default = schema.get(key).and_then(|k| match k.usage {
        Use::Unsupported(d) => Some(d),
        Use::Supported(_) => None,
    });
    let val = match default {
        Some(Dflt::Bool(b)) => Some(Val::Bool(b)),
        Some(Dflt::Int(n)) => Some(Val::Int(n)),
        Some(Dflt::Str(s)) => Some(Val::Str(s.to_string())),
        Some(Dflt::List(items)) => Some(Val::Array(
            items
                .iter()
                .map(|s| super::tree::Item {
                    loc: super::report::Location::File,
                    val: Val::Str(s.to_string()),
                })
                .collect(),
        )),
        _ => None,
    };
    val
}

fn on(is_on: bool, changed: bool) -> On {
    match (is_on, changed) {
        (false, _) => On::Off,
        (true, true) => On::AsSet,
        (true, false) => On::ByDefault,
    }
}

/// A flag that is true.
fn flag(table: Option<&Table>, schema: &TableSchema, key: &str) -> On {
    let (val, changed) = value(table, schema, key);
    on(matches!(val, Some(Val::Bool(true))), changed)
}

/// One behaviour of qBitrr that qbitrr-lite does not have yet, and where it is on.
struct Behaviour {
    /// The keys that turn it on, as a user finds them.
    keys: &'static str,
    /// What is not done, completing "… but …".
    missing: &'static str,
    /// Settings-wide (named without sections) rather than per qBit or Arr section.
    global: bool,
    /// (section, on) for each section it was looked for in: by qBitrr's default when the keys
    /// that turn it on are absent or at their default.
    sections: Vec<(String, On)>,
}

impl Behaviour {
    fn new(keys: &'static str, missing: &'static str) -> Self {
        Self {
            keys,
            missing,
            global: false,
            sections: Vec::new(),
        }
    }

    fn global(keys: &'static str, missing: &'static str, on: On) -> Self {
        Self {
            global: true,
            sections: vec![(String::new(), on)],
            ..Self::new(keys, missing)
        }
    }

    fn line(&self) -> Option<String> {
        let named = |want: On| {
            self.sections
                .iter()
                .filter(|(_, on)| *on == want)
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
        };
        let (by_default, set) = (named(On::ByDefault), named(On::AsSet));
        if self.global {
            let how = match self.sections.first() {
                Some((_, On::ByDefault)) => "qBitrr's default",
                Some((_, On::AsSet)) => "as set",
                _ => return None,
            };
            return Some(format!("{} is on ({how}), but {}", self.keys, self.missing));
        }
        let mut parts = Vec::new();
        if !by_default.is_empty() {
            parts.push(format!("{} (qBitrr's default)", by_default.join(", ")));
        }
        if !set.is_empty() {
            parts.push(format!("{} (as set)", set.join(", ")));
        }
        if parts.is_empty() {
            return None;
        }
        Some(format!(
            "{} is on in {}, but {}",
            self.keys,
            parts.join(" and "),
            self.missing
        ))
    }
}

/// The warnings, one per behaviour that is on somewhere, in a fixed order.
pub(super) fn warnings(root: &Table, config: &Config) -> Vec<String> {
    let mut upgrades = Behaviour::new(
        "EntrySearch.CustomFormatUnmetSearch",
        "Readarr's book files carry no custom-format score, so no book is searched for one \
         (ForceMinimumCustomFormat works, from the queue's score)",
    );
    let mut force_minimum = Behaviour::new(
        "EntrySearch.ForceMinimumCustomFormat",
        "downloads below the custom-format minimum are removed only with CustomFormatUnmetSearch \
         on too (as in qBitrr)",
    );
    let settings = root.table("Settings");
    let auto_update = Behaviour::global(
        "Settings.AutoUpdateEnabled",
        "self-update is not done (update the package instead)",
        flag(settings, &schema::SETTINGS, "AutoUpdateEnabled"),
    );
    // qBitrr always serves its pages; no key turns them off.
    let web_pages = Behaviour::global(
        "WebUI",
        "only the status page is served at / (not qBitrr's library, config and log views)",
        On::ByDefault,
    );

    for arr in config.arrs.iter().filter(|a| a.managed && a.has_arr()) {
        let name = &arr.name;
        let t = root.table(name);
        let search_t = t.and_then(|t| t.table("EntrySearch"));
        let es = &schema::ENTRY_SEARCH;
        if arr.kind == ArrKind::Readarr {
            let custom_format = flag(search_t, es, "CustomFormatUnmetSearch");
            upgrades.sections.push((name.clone(), custom_format));
        }
        // On but not acted on: without CustomFormatUnmetSearch.
        let idle = !arr.search.forces_format_minimum();
        let forced = flag(search_t, es, "ForceMinimumCustomFormat");
        force_minimum
            .sections
            .push((name.clone(), if idle { forced } else { On::Off }));
    }

    [upgrades, force_minimum, auto_update, web_pages]
        .iter()
        .filter_map(Behaviour::line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::load::load_str;

    fn not_done(text: &str) -> Vec<String> {
        match load_str(text, "config.toml", &[]) {
            Ok(loaded) => loaded.not_done,
            Err(e) => panic!("{e}"),
        }
    }

    const BASE: &str = "[qBit]\nHost = \"h\"\n[Radarr-A]\nURI = \"http://a\"\nAPIKey = \"k\"\n";

    #[test]
    fn what_is_on_at_qbitrrs_defaults_is_named() {
        assert_eq!(
            not_done(BASE),
            [
                "WebUI is on (qBitrr's default), but only the status page is served at / (not \
                 qBitrr's library, config and log views)",
            ]
        );
    }

    #[test]
    fn what_is_turned_off_is_not_named() {
        let text =
            format!("{BASE}[Radarr-A.EntrySearch]\nSearchMissing = false\n[Radarr-B]\nManaged = false\n");
        let lines = not_done(&text);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("WebUI is on"));
    }

    #[test]
    fn what_is_set_is_named_as_set_per_section() {
        let text = "\
[Settings]
FreeSpace = \"50G\"
AutoUpdateEnabled = true
[qBit]
Host = \"h\"
ManagedCategories = [\"seed\"]
MatchSubcategories = true
[qBit.CategorySeeding]
UploadRateLimitPerTorrent = 500
[[qBit.Trackers]]
Name = \"T\"
URI = \"t.example\"
SortTorrents = true
[[qBit.Trackers]]
URI = \"u.example\"
HitAndRunMode = \"and\"
[Radarr-A]
URI = \"http://a\"
APIKey = \"k\"
[Radarr-A.EntrySearch]
DoUpgradeSearch = true
ForceMinimumCustomFormat = true
[Radarr-A.Torrent]
AutoDelete = true
FileExtensionAllowlist = [\".mkv\"]
[Radarr-A.Torrent.SeedingMode]
UploadRateLimitPerTorrent = 1000
RemoveDeadTrackers = true
[Readarr-M]
URI = \"http://m\"
APIKey = \"k\"
[Readarr-M.EntrySearch]
CustomFormatUnmetSearch = true
";
        let lines = not_done(text);
        let has = |want: &str| lines.iter().any(|l| l == want);
        for want in [
            // Done for Radarr.
            "EntrySearch.CustomFormatUnmetSearch is on in Readarr-M (as set), but Readarr's book \
             files carry no custom-format score, so no book is searched for one \
             (ForceMinimumCustomFormat works, from the queue's score)",
            "EntrySearch.ForceMinimumCustomFormat is on in Radarr-A (as set), but downloads below \
             the custom-format minimum are removed only with CustomFormatUnmetSearch on too (as in \
             qBitrr)",
            "Settings.AutoUpdateEnabled is on (as set), but self-update is not done (update the \
             package instead)",
        ] {
            assert!(has(want), "missing {want:?} in {lines:#?}");
        }
        assert_eq!(lines.len(), 4, "{lines:#?}");
    }
}
