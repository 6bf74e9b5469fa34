//! The schema check: walks the (overridden) tree against [`super::schema`].
//!
//! It owns the per-key type check (errors with their line; the ill-typed entry is dropped so the
//! validation stage still reads the rest), unknown-key and unknown-section warnings with "did you
//! mean", `CHANGE_ME` detection (required vs. unused) and the compact "ignored (not supported
//! yet)" line. It also records every key's location for the validation stage.

use std::collections::HashMap;

use crate::model::ArrKind;

use super::duration;
use super::report::{at, Location, Problem, Report};
use super::schema::{self, Bounds, Chars, Dflt, Key, Section, TableSchema, Ty, Use, PLACEHOLDER};
use super::tree::{Item, Table, Val};

/// Location of every known key and section, by dotted path (`Radarr-1080.Torrent.StalledDelay`).
pub(super) type Locs = HashMap<String, Location>;

/// What the check found besides errors and warnings (which go to the [`Report`]).
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub(super) locs: Locs,
    /// Keys qbitrr-lite needs that are still `CHANGE_ME`.
    pub(super) required: Vec<Problem>,
    /// Other keys still `CHANGE_ME`.
    pub(super) unused: Vec<Problem>,
    /// The "ignored (not supported yet): ..." warning, when any unsupported key is not at its
    /// default.
    pub(super) ignored: Option<String>,
}

/// The section a table belongs to.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    /// qbitrr-lite acts on the section (Settings; a qBit section not Disabled; a Managed Arr).
    active: bool,
    /// The Arr section's kind and name, for per-kind defaults and grouping.
    arr: Option<(ArrKind, &'a str)>,
}

/// One entry of the ignored list: a label and the Arr sections it was seen in.
struct Ignored {
    label: String,
    arr_sections: Option<Vec<String>>,
}

struct Walker<'a> {
    file: &'a str,
    report: &'a mut Report,
    out: Checked,
    ignored: Vec<Ignored>,
}

/// Checks `root` against the schema; removes entries with a wrong type.
pub(super) fn check(root: &mut Table, file: &str, report: &mut Report) -> Checked {
    let mut walker = Walker {
        file,
        report,
        out: Checked::default(),
        ignored: Vec::new(),
    };
    for name in root.keys() {
        let Some(item) = root.get_mut(&name) else {
            continue;
        };
        walker.section(&name, item);
        if matches!(&item.val, Val::Table(_)) || schema::classify(&name).is_none() {
            continue;
        }
        root.remove(&name);
    }
    let mut out = walker.out;
    if !walker.ignored.is_empty() {
        let list: Vec<String> = walker
            .ignored
            .iter()
            .map(|entry| match &entry.arr_sections {
                None => entry.label.clone(),
                Some(sections) => {
                    let n = sections.len();
                    let noun = if n == 1 { "section" } else { "sections" };
                    format!("{} (in {n} {noun})", entry.label)
                }
            })
            .collect();
        out.ignored = Some(format!("ignored (not supported yet): {}", list.join(", ")));
    }
    out
}

impl Walker<'_> {
    /// A top-level entry. Leaves a non-table known section in place only to be removed by the
    /// caller (after the type error is reported).
    fn section(&mut self, name: &str, item: &mut Item) {
        let Some(section) = schema::classify(name) else {
            let loc = at(self.file, &item.loc);
            let hint = schema::suggest_section(name)
                .map(|s| format!("; did you mean `{}`?", schema::shown_section(&s)))
                .unwrap_or_default();
            let name = &schema::shown_section(name);
            if matches!(item.val, Val::Table(_)) {
                self.report.warn(format!(
                    "{loc}: [{name}]: unknown section (qBitrr has Settings, WebUI, qBit, qBit-<Name> \
                     and Arr sections named Radarr*, Sonarr*, Lidarr*, Readarr*), ignored{hint}"
                ));
            } else {
                self.report.warn(format!(
                    "{loc}: {name}: unknown key outside any section, ignored{hint}"
                ));
            }
            self.unknown_placeholders(name, item);
            return;
        };
        self.out.locs.insert(name.to_string(), item.loc.clone());
        if schema::text_problem(name, schema::SECTION_NAME_MAX, Chars::Line, false).is_some() {
            // The validation stage refuses the name; its keys would only repeat it.
            return;
        }
        let loc = item.loc.clone();
        let Val::Table(table) = &mut item.val else {
            self.report.error(
                name,
                loc,
                format!("expected a [{name}] section, got {}", item.val.type_name()),
            );
            return;
        };
        let ctx = Ctx {
            active: match section {
                Section::Settings => true,
                Section::WebUi => false,
                Section::Qbit => !flag(table, "Disabled", false),
                Section::Arr(_) => flag(table, "Managed", true),
            },
            arr: match section {
                Section::Arr(kind) => Some((kind, name)),
                _ => None,
            },
        };
        self.walk(table, section.schema(), name, "", ctx);
    }

    /// Checks every entry of `table` (at dotted `path`; `rel` is the path inside an Arr section).
    fn walk(&mut self, table: &mut Table, schema: &TableSchema, path: &str, rel: &str, ctx: Ctx) {
        for key in table.keys() {
            let full = format!("{path}.{key}");
            let rel_key = if rel.is_empty() {
                key.clone()
            } else {
                format!("{rel}.{key}")
            };
            let Some(spec) = schema.get(&key) else {
                if let Some(item) = table.get(&key) {
                    self.unknown_key(&full, &key, item, schema);
                    self.unknown_placeholders(&full, item);
                }
                continue;
            };
            let Some(item) = table.get_mut(&key) else {
                continue;
            };
            self.out.locs.insert(full.clone(), item.loc.clone());
            if let Some(message) = type_error(&item.val, spec) {
                self.report.error(full, item.loc.clone(), message);
                table.remove(&key);
                continue;
            }
            match (&mut item.val, spec.ty) {
                (Val::Table(sub), Ty::Table(sub_schema)) => {
                    self.walk(sub, sub_schema, &full, &rel_key, ctx);
                }
                (Val::Array(entries), Ty::Tables(entry_schema)) => {
                    let inactive = Ctx { active: false, ..ctx };
                    for (i, entry) in entries.iter_mut().enumerate() {
                        let entry_path = format!("{full}[{}]", i + 1);
                        self.out.locs.insert(entry_path.clone(), entry.loc.clone());
                        if let Val::Table(t) = &mut entry.val {
                            self.walk(t, entry_schema, &entry_path, &rel_key, inactive);
                        }
                    }
                }
                _ => {}
            }
            self.placeholder(&full, spec, item, ctx);
            if let Use::Unsupported(default) = spec.usage {
                if !is_default(&item.val, spec.ty, default) {
                    self.ignore(&full, &rel_key, ctx);
                }
            }
        }
    }

    fn unknown_key(&mut self, full: &str, key: &str, item: &Item, schema: &TableSchema) {
        let what = if matches!(item.val, Val::Table(_)) {
            "unknown table"
        } else {
            "unknown key"
        };
        let hint = schema::suggest(key, schema.names())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        self.report.warn(format!(
            "{}: {full}: {what}, ignored{hint}",
            at(self.file, &item.loc)
        ));
    }

    /// `CHANGE_ME` in a known scalar key: required when qbitrr-lite uses it, else unused.
    fn placeholder(&mut self, full: &str, spec: &Key, item: &Item, ctx: Ctx) {
        if item.val.as_str() != Some(PLACEHOLDER) {
            return;
        }
        let optional = matches!(
            spec.usage,
            Use::Supported(Bounds::Text {
                chars: Chars::Folder,
                ..
            })
        );
        if optional || schema::placeholder_is_unset(spec.name) {
            return;
        }
        if matches!(spec.usage, Use::Supported(_)) && ctx.active {
            self.out.required.push(Problem {
                key: full.to_string(),
                location: item.loc.clone(),
                message: placeholder_message(spec.name, ctx.arr.map(|(kind, _)| kind)),
            });
        } else {
            self.unused(full, item);
        }
    }

    /// `CHANGE_ME` anywhere under an unknown key or section counts as unused.
    fn unknown_placeholders(&mut self, full: &str, item: &Item) {
        match &item.val {
            Val::Str(s) if s == PLACEHOLDER => self.unused(full, item),
            Val::Table(t) => {
                for (key, sub) in t.iter() {
                    self.unknown_placeholders(&format!("{full}.{key}"), sub);
                }
            }
            _ => {}
        }
    }

    fn unused(&mut self, full: &str, item: &Item) {
        self.out.unused.push(Problem {
            key: full.to_string(),
            location: item.loc.clone(),
            message: "still CHANGE_ME (not used by qbitrr-lite)".to_string(),
        });
    }

    fn ignore(&mut self, full: &str, rel: &str, ctx: Ctx) {
        let (label, section) = match ctx.arr {
            Some((_, section)) => (rel, Some(section)),
            None => (full, None),
        };
        let existing = self
            .ignored
            .iter_mut()
            .find(|e| e.label == label && e.arr_sections.is_some() == section.is_some());
        match (existing, section) {
            (Some(entry), Some(section)) => {
                if let Some(sections) = &mut entry.arr_sections {
                    if !sections.iter().any(|s| s == section) {
                        sections.push(section.to_string());
                    }
                }
            }
            (Some(_), None) => {}
            (None, section) => self.ignored.push(Ignored {
                label: label.to_string(),
                arr_sections: section.map(|s| vec![s.to_string()]),
            }),
        }
    }
}

/// A boolean key's value, or `default` when absent or not a boolean (the type error is
/// reported by the walk).
fn flag(table: &Table, key: &str, default: bool) -> bool {
    match table.get(key).map(|item| &item.val) {
        Some(Val::Bool(b)) => *b,
        _ => default,
    }
}

/// The message for a required key that is still `CHANGE_ME`.
fn placeholder_message(key: &str, arr: Option<ArrKind>) -> String {
    match (key, arr) {
        ("Host", None) => "still CHANGE_ME; set it to the qBittorrent WebUI address, \
                           e.g. \"127.0.0.1\" or \"https://qbit.example.com\""
            .to_string(),
        ("UserName", None) => "still CHANGE_ME; set the qBittorrent WebUI user name, or remove \
                               the line if qBittorrent bypasses authentication for this host"
            .to_string(),
        ("Password", None) => "still CHANGE_ME; set the qBittorrent WebUI password, or remove \
                               the line if qBittorrent bypasses authentication for this host"
            .to_string(),
        ("URI", Some(kind)) => format!(
            "still CHANGE_ME; set it to the {kind:?} address, e.g. \"http://127.0.0.1:{}\"",
            default_port(kind)
        ),
        ("APIKey", Some(kind)) => {
            format!("still CHANGE_ME; copy the API key from {kind:?}'s Settings > General > Security")
        }
        _ => "still CHANGE_ME; set a real value".to_string(),
    }
}

/// The port each Arr listens on by default.
pub(super) fn default_port(kind: ArrKind) -> u16 {
    match kind {
        ArrKind::Radarr => 7878,
        ArrKind::Sonarr => 8989,
        ArrKind::Lidarr => 8686,
        ArrKind::Readarr => 8787,
    }
}

/// Why `val` does not fit `spec`'s type, if it does not. Never shows a secret's value.
fn type_error(val: &Val, spec: &Key) -> Option<String> {
    if matches!(spec.ty, Ty::Int | Ty::Duration(_)) && val.is_huge_integer() {
        // A whole number too large for i64: out of range, whatever the key's range is.
        return Some(match spec.allowed() {
            Some(allowed) => format!("must be {allowed}, got {}", val.show()),
            None => format!("{} is too large a number", val.show()),
        });
    }
    let ok = match (spec.ty, val) {
        (Ty::Bool, Val::Bool(_))
        | (Ty::Int, Val::Int(_))
        | (Ty::Float, Val::Int(_) | Val::Float(_))
        | (Ty::Str, Val::Str(_))
        | (Ty::Scalar, Val::Str(_) | Val::Int(_) | Val::Float(_))
        | (Ty::BoolOrStr, Val::Bool(_) | Val::Str(_))
        | (Ty::Map | Ty::Table(_), Val::Table(_)) => true,
        (Ty::Duration(unit), Val::Int(n)) => duration::from_int(*n, unit).is_some(),
        (Ty::Duration(unit), Val::Str(s)) => duration::from_str(s, unit).is_some(),
        (Ty::StrList, Val::Array(items)) => items.iter().all(|i| matches!(i.val, Val::Str(_))),
        (Ty::Tables(_), Val::Array(items)) => items.iter().all(|i| matches!(i.val, Val::Table(_))),
        _ => false,
    };
    if ok {
        return None;
    }
    let expected = spec.ty.describe();
    Some(if schema::is_secret(spec.name) {
        format!("expected {expected}, got {}", val.type_name())
    } else if val.as_str() == Some(PLACEHOLDER) {
        format!("still CHANGE_ME; expected {expected}")
    } else {
        match val {
            Val::Array(_) | Val::Table(_) => {
                format!("expected {expected}, got {} with other values", val.type_name())
            }
            _ => format!("expected {expected}, got {}", val.show()),
        }
    })
}

/// Whether `val` is qBitrr's `default` for a key of type `ty`; `CHANGE_ME` counts as the
/// default.
pub(super) fn is_default(val: &Val, ty: Ty, default: Dflt) -> bool {
    if val.as_str() == Some(PLACEHOLDER) {
        return true;
    }
    match default {
        Dflt::Any => true,
        Dflt::Bool(b) => matches!(val, Val::Bool(v) if *v == b),
        Dflt::Int(n) => match (val, ty) {
            (Val::Int(v), Ty::Duration(unit)) => duration::from_int(*v, unit) == duration::from_int(n, unit),
            (Val::Str(s), Ty::Duration(unit)) => duration::from_str(s, unit) == duration::from_int(n, unit),
            (Val::Int(v), _) => *v == n,
            (Val::Float(v), _) => *v == n as f64,
            (Val::Str(s), _) => s.trim() == n.to_string(),
            _ => false,
        },
        Dflt::Str(s) => match val {
            Val::Str(v) => v == s,
            Val::Int(v) => v.to_string() == s,
            _ => false,
        },
        Dflt::List(list) => match val {
            Val::Array(items) => {
                let mut have: Vec<&str> = items.iter().filter_map(|i| i.val.as_str()).collect();
                let mut want: Vec<&str> = list.to_vec();
                have.sort_unstable();
                want.sort_unstable();
                have == want
            }
            _ => false,
        },
    }
}
