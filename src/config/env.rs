//! Environment overrides, applied to the parsed tree before the schema check.
//!
//! `QBITRR_<SECTION>__<KEY>=value`: SECTION is a table path of the file upper-cased with every
//! other character turned into `_` (`Radarr-1080.Torrent` → `RADARR_1080_TORRENT`), split from
//! KEY at the last `__`; KEY matches a schema key ignoring case and underscores. qBitrr's legacy
//! names `QBITRR_SETTINGS_<SNAKE_KEY>` and `QBITRR_QBIT_{HOST,PORT,USERNAME,PASSWORD,DISABLED}`
//! work too (the `__` form wins when both name the same key). A present variable always wins,
//! even "false" or "0". Only sections in the file (and `[Settings]`) can be targeted.
//! `QBITRR_OVERRIDES_*` are not key overrides and are skipped silently.

use std::collections::HashMap;

use super::duration;
use super::report::{quoted, Location, Report};
use super::schema::{self, Key, TableSchema, Ty};
use super::tree::{Item, Table, Val};

const PREFIX: &str = "QBITRR_";
const LEGACY_QBIT_KEYS: [&str; 5] = ["HOST", "PORT", "USERNAME", "PASSWORD", "DISABLED"];

/// One variable that names a key.
struct Override<'a> {
    var: &'a str,
    value: &'a str,
    /// The file's table path, or None when it still has to be found from `section_env`.
    path: Option<Vec<String>>,
    section_env: &'a str,
    key_env: &'a str,
    legacy: bool,
}

/// Applies every `QBITRR_*` override in `env` to `root`.
pub(super) fn apply(root: &mut Table, env: &[(String, String)], file: &str, report: &mut Report) {
    let mut overrides = Vec::new();
    let mut vars: Vec<&(String, String)> = env.iter().filter(|(name, _)| name.starts_with(PREFIX)).collect();
    vars.sort();
    for (var, value) in vars {
        let rest = &var[PREFIX.len()..];
        // qBitrr's own OVERRIDES_*, and QBITRR_LITE_* (this project's tools and tests: the
        // fault-injection hooks, the test chroot), are not config overrides.
        if rest.starts_with("OVERRIDES_") || rest.starts_with("LITE_") {
            continue;
        }
        let mut target = Override {
            var,
            value,
            path: None,
            section_env: "",
            key_env: "",
            legacy: false,
        };
        if let Some(split) = rest.rfind("__") {
            target.section_env = &rest[..split];
            target.key_env = &rest[split + 2..];
        } else if let Some(key) = rest.strip_prefix("SETTINGS_") {
            target.path = Some(vec!["Settings".to_string()]);
            target.key_env = key;
            target.legacy = true;
        } else if let Some(key) = rest
            .strip_prefix("QBIT_")
            .filter(|key| LEGACY_QBIT_KEYS.contains(key))
        {
            target.path = Some(vec!["qBit".to_string()]);
            target.key_env = key;
            target.legacy = true;
        } else {
            report.warn(format!(
                "environment variable {var}: not an override qbitrr-lite knows \
                 (expected QBITRR_<SECTION>__<KEY>, e.g. QBITRR_SETTINGS__LOOPSLEEPTIMER), ignored"
            ));
            continue;
        }
        overrides.push(target);
    }
    // Legacy names first, so that the `__` form wins when both set the same key.
    overrides.sort_by_key(|o| !o.legacy);

    let mut set_by: HashMap<String, &str> = HashMap::new();
    for o in overrides {
        let Some(path) = resolve_section(root, &o, file, report) else {
            continue;
        };
        let display = path.join(".");
        let Some(table_schema) = schema_for(&path) else {
            report.warn(format!(
                "environment variable {}: [{display}] is not a qBitrr section, ignored",
                o.var
            ));
            continue;
        };
        let Some(spec) = find_key(table_schema, o.key_env) else {
            let hint = schema::suggest(&o.key_env.replace('_', ""), settable(table_schema))
                .map(|s| format!("; did you mean `{s}` ({})?", env_name(&path, s)))
                .unwrap_or_default();
            report.warn(format!(
                "environment variable {}: [{display}] has no key {}, ignored{hint}",
                o.var, o.key_env
            ));
            continue;
        };
        let full = format!("{display}.{}", spec.name);
        let val = match convert(o.value, spec.ty) {
            Ok(val) => val,
            Err(()) => {
                let shown = if schema::is_secret(spec.name) {
                    String::new()
                } else {
                    format!(", got {}", quoted(o.value))
                };
                report.error(
                    full,
                    Location::Env(o.var.to_string()),
                    format!("expected {}{shown}", env_describe(spec.ty)),
                );
                continue;
            }
        };
        let Some(table) = table_at(root, &path) else {
            continue;
        };
        if let Some(previous) = set_by.insert(full.clone(), o.var) {
            report.warn(format!(
                "environment variables {previous} and {} both set {full}; {} wins",
                o.var, o.var
            ));
        }
        table.set(
            spec.name,
            Item {
                loc: Location::Env(o.var.to_string()),
                val,
            },
        );
    }
}

/// The table path an override targets, or None (with a warning) when the file has no such
/// section. `[Settings]` is created when missing.
fn resolve_section(
    root: &mut Table,
    o: &Override<'_>,
    file: &str,
    report: &mut Report,
) -> Option<Vec<String>> {
    let path = match &o.path {
        Some(path) => path.clone(),
        None => {
            let mut paths = Vec::new();
            table_paths(root, &mut Vec::new(), &mut paths);
            paths.retain(|p| section_env_name(p) == o.section_env);
            match paths.len() {
                1 => paths.remove(0),
                0 if o.section_env == "SETTINGS" => vec!["Settings".to_string()],
                0 => {
                    report.warn(format!(
                        "environment variable {}: no section of {file} matches {}; overrides \
                         apply only to sections in the file (and [Settings]), ignored",
                        o.var, o.section_env
                    ));
                    return None;
                }
                _ => {
                    let names: Vec<String> = paths.iter().map(|p| format!("[{}]", p.join("."))).collect();
                    report.warn(format!(
                        "environment variable {}: {} all match {}, ignored",
                        o.var,
                        names.join(", "),
                        o.section_env
                    ));
                    return None;
                }
            }
        }
    };
    if path == ["Settings"] && root.get("Settings").is_none() {
        root.set(
            "Settings",
            Item {
                loc: Location::File,
                val: Val::Table(Table::default()),
            },
        );
    }
    if table_at(root, &path).is_none() {
        report.warn(format!(
            "environment variable {}: there is no [{}] in {file}; overrides apply only to \
             sections in the file (and [Settings]), ignored",
            o.var,
            path.join(".")
        ));
        return None;
    }
    Some(path)
}

/// Every table path of the tree (tables inside arrays excluded).
fn table_paths(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for (key, item) in table.iter() {
        if let Val::Table(sub) = &item.val {
            prefix.push(key.to_string());
            out.push(prefix.clone());
            table_paths(sub, prefix, out);
            prefix.pop();
        }
    }
}

fn table_at<'t>(root: &'t mut Table, path: &[String]) -> Option<&'t mut Table> {
    let mut table = root;
    for part in path {
        match &mut table.get_mut(part)?.val {
            Val::Table(sub) => table = sub,
            _ => return None,
        }
    }
    Some(table)
}

/// `Radarr-1080.Torrent` → `RADARR_1080_TORRENT`.
fn section_env_name(path: &[String]) -> String {
    path.join(".")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The variable that sets `key` of the table at `path`.
fn env_name(path: &[String], key: &str) -> String {
    format!("{PREFIX}{}__{}", section_env_name(path), key.to_ascii_uppercase())
}

/// The schema of the table at `path` (a section or one of its sub-tables).
fn schema_for(path: &[String]) -> Option<&'static TableSchema> {
    let (first, rest) = path.split_first()?;
    let mut table = schema::classify(first)?.schema();
    for part in rest {
        match table.get(part)?.ty {
            Ty::Table(sub) => table = sub,
            _ => return None,
        }
    }
    Some(table)
}

/// Keys that take a value from the environment (not sub-tables or lists of tables).
fn settable(table: &'static TableSchema) -> impl Iterator<Item = &'static str> {
    table
        .keys
        .iter()
        .filter(|k| !matches!(k.ty, Ty::Table(_) | Ty::Tables(_) | Ty::Map))
        .map(|k| k.name)
}

/// The key `key_env` names, ignoring case and underscores.
fn find_key(table: &'static TableSchema, key_env: &str) -> Option<&'static Key> {
    let wanted = normalize(key_env);
    let name = settable(table).find(|name| normalize(name) == wanted)?;
    table.get(name)
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What an environment value must look like, for messages.
fn env_describe(ty: Ty) -> &'static str {
    match ty {
        Ty::Bool => "a boolean (true/false, yes/no, y/n, t/f, on/off, 1/0)",
        other => other.describe(),
    }
}

/// qBitrr's boolean spellings.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// An integer literal too large for i64, as a float.
fn huge_integer(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Converts an environment value to the key's type.
fn convert(value: &str, ty: Ty) -> Result<Val, ()> {
    let trimmed = value.trim();
    match ty {
        Ty::Bool => parse_bool(value).map(Val::Bool).ok_or(()),
        Ty::Int => match trimmed.parse() {
            Ok(n) => Ok(Val::Int(n)),
            // Too large for i64: kept as a number, as the TOML reader does, for the range check.
            Err(_) => huge_integer(trimmed).map(Val::Float).ok_or(()),
        },
        Ty::Float => match trimmed.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Val::Float(f)),
            _ => Err(()),
        },
        Ty::Str | Ty::Scalar => Ok(Val::Str(value.to_string())),
        Ty::Duration(unit) => match trimmed.parse::<i64>() {
            Ok(n) => Ok(Val::Int(n)),
            Err(_) if duration::from_str(trimmed, unit).is_some() => Ok(Val::Str(trimmed.to_string())),
            Err(_) => Err(()),
        },
        Ty::BoolOrStr => Ok(parse_bool(value).map_or_else(|| Val::Str(value.to_string()), Val::Bool)),
        Ty::StrList => Ok(Val::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Item {
                    loc: Location::File,
                    val: Val::Str(s.to_string()),
                })
                .collect(),
        )),
        Ty::Map | Ty::Table(_) | Ty::Tables(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn applied(text: &str, env: &[(&str, &str)]) -> (Table, Report) {
        let mut root = tree::parse(text).expect("valid TOML");
        let mut report = Report::default();
        apply(&mut root, &vars(env), "config.toml", &mut report);
        (root, report)
    }

    fn value<'t>(root: &'t Table, path: &[&str]) -> Option<&'t Item> {
        let (last, tables) = path.split_last()?;
        let mut table = root;
        for part in tables {
            table = table.table(part)?;
        }
        table.get(last)
    }

    #[test]
    fn section_names_follow_the_table_path() {
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        assert_eq!(section_env_name(&path("Settings")), "SETTINGS");
        assert_eq!(section_env_name(&path("Radarr-1080")), "RADARR_1080");
        assert_eq!(
            section_env_name(&path("Radarr-1080.Torrent")),
            "RADARR_1080_TORRENT"
        );
        assert_eq!(section_env_name(&path("qBit-Seed Box")), "QBIT_SEED_BOX");
    }

    #[test]
    fn booleans_and_lists_are_converted() {
        for yes in ["y", "YES", "t", "True", "on", "1"] {
            assert!(matches!(convert(yes, Ty::Bool), Ok(Val::Bool(true))), "{yes}");
        }
        for no in ["n", "No", "f", "FALSE", "off", "0"] {
            assert!(matches!(convert(no, Ty::Bool), Ok(Val::Bool(false))), "{no}");
        }
        assert!(convert("maybe", Ty::Bool).is_err());
        let Ok(Val::Array(items)) = convert("a.example, b.example,", Ty::StrList) else {
            panic!("a list");
        };
        let items: Vec<_> = items.iter().filter_map(|i| i.val.as_str()).collect();
        assert_eq!(items, ["a.example", "b.example"]);
    }

    #[test]
    fn false_and_zero_override_and_unset_keeps_the_file() {
        let text = "[Settings]\nTagless = true\nLoopSleepTimer = 9\nLogging = true\n";
        let (root, report) = applied(
            text,
            &[
                ("QBITRR_SETTINGS__TAGLESS", "false"),
                ("QBITRR_SETTINGS__LOOP_SLEEP_TIMER", "0"),
            ],
        );
        assert!(report.problems.is_empty() && report.warnings.is_empty());
        let tagless = value(&root, &["Settings", "Tagless"]).expect("Tagless");
        assert!(matches!(tagless.val, Val::Bool(false)));
        assert_eq!(tagless.loc, Location::Env("QBITRR_SETTINGS__TAGLESS".to_string()));
        assert!(matches!(
            value(&root, &["Settings", "LoopSleepTimer"]).map(|i| &i.val),
            Some(Val::Int(0))
        ));
        let logging = value(&root, &["Settings", "Logging"]).expect("Logging");
        assert!(matches!(logging.val, Val::Bool(true)));
        assert_eq!(logging.loc, Location::Line(4));
    }

    #[test]
    fn legacy_names_work_and_the_new_form_wins() {
        let text = "[qBit]\nHost = \"file\"\nPort = 8080\n";
        let (root, report) = applied(
            text,
            &[
                ("QBITRR_QBIT_HOST", "legacy"),
                ("QBITRR_QBIT__HOST", "new"),
                ("QBITRR_QBIT_PORT", "9090"),
                ("QBITRR_SETTINGS_LOOP_SLEEP_TIMER", "30s"),
                ("QBITRR_SETTINGS_PING_URLS", "a.example,b.example"),
                ("QBITRR_SETTINGS_FFPROBE_AUTO_UPDATE", "off"),
            ],
        );
        assert!(report.problems.is_empty());
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].contains("QBITRR_QBIT_HOST and QBITRR_QBIT__HOST"));
        assert_eq!(
            value(&root, &["qBit", "Host"]).and_then(|i| i.val.as_str()),
            Some("new")
        );
        assert!(matches!(
            value(&root, &["qBit", "Port"]).map(|i| &i.val),
            Some(Val::Int(9090))
        ));
        // [Settings] did not exist: it is created for overrides.
        assert_eq!(
            value(&root, &["Settings", "LoopSleepTimer"]).and_then(|i| i.val.as_str()),
            Some("30s")
        );
        assert!(matches!(
            value(&root, &["Settings", "PingURLS"]).map(|i| &i.val),
            Some(Val::Array(items)) if items.len() == 2
        ));
        assert!(matches!(
            value(&root, &["Settings", "FFprobeAutoUpdate"]).map(|i| &i.val),
            Some(Val::Bool(false))
        ));
    }

    #[test]
    fn nested_sections_and_last_double_underscore() {
        let text = "[Radarr-1080]\nURI = \"x\"\n[Radarr-1080.Torrent]\nStalledDelay = 15\n";
        let (root, report) = applied(
            text,
            &[
                ("QBITRR_RADARR_1080__APIKEY", "k"),
                ("QBITRR_RADARR_1080_TORRENT__STALLEDDELAY", "-1"),
                ("QBITRR_RADARR_1080_TORRENT__STALLED_DELAY", "30"),
            ],
        );
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(
            value(&root, &["Radarr-1080", "APIKey"]).and_then(|i| i.val.as_str()),
            Some("k")
        );
        // Both spell the same key; the later name (sorted) wins, with a warning.
        assert!(matches!(
            value(&root, &["Radarr-1080", "Torrent", "StalledDelay"]).map(|i| &i.val),
            Some(Val::Int(30))
        ));
        assert_eq!(report.warnings.len(), 1);
    }

    #[test]
    fn unknown_targets_warn_and_overrides_namespace_is_silent() {
        let text = "[Settings]\nTagless = false\n";
        let (root, report) = applied(
            text,
            &[
                ("QBITRR_OVERRIDES_SEARCH_ONLY", "1"),
                ("QBITRR_OVERRIDES_DATA_PATH", "/config"),
                ("QBITRR_SONARR_TV__URI", "http://x"),
                ("QBITRR_QBIT_HOST", "h"),
                ("QBITRR_SETTINGS__TAGLES", "1"),
                ("QBITRR_SOMETHING", "1"),
                ("QBITRR_LITE_QBITTORRENT", "5.1"),
                ("PATH", "/usr/bin"),
            ],
        );
        assert!(report.problems.is_empty());
        let all = report.warnings.join("\n");
        assert_eq!(report.warnings.len(), 4, "{all}");
        assert!(!all.contains("OVERRIDES") && !all.contains("LITE"));
        assert!(all.contains("QBITRR_SONARR_TV__URI: no section of config.toml matches SONARR_TV"));
        assert!(all.contains("QBITRR_QBIT_HOST: there is no [qBit]"));
        assert!(all.contains("did you mean `Tagless` (QBITRR_SETTINGS__TAGLESS)?"));
        assert!(all.contains("QBITRR_SOMETHING: not an override"));
        assert!(root.table("qBit").is_none() && root.table("Sonarr-TV").is_none());
    }

    #[test]
    fn malformed_values_are_errors_naming_the_variable() {
        let text = "[Settings]\n[qBit]\nHost = \"h\"\n";
        let (_, report) = applied(
            text,
            &[
                ("QBITRR_SETTINGS__TAGLESS", "perhaps"),
                ("QBITRR_QBIT__PORT", "80a"),
                ("QBITRR_SETTINGS__LOOPSLEEPTIMER", "soon"),
            ],
        );
        let problems: Vec<_> = report
            .problems
            .iter()
            .map(|p| (p.key.as_str(), &p.location))
            .collect();
        assert_eq!(problems.len(), 3);
        assert!(problems.contains(&(
            "Settings.Tagless",
            &Location::Env("QBITRR_SETTINGS__TAGLESS".into())
        )));
        assert!(problems.contains(&("qBit.Port", &Location::Env("QBITRR_QBIT__PORT".into()))));
        assert!(report.problems.iter().any(|p| p.message.contains("\"perhaps\"")));
    }
}
