use super::*;

/// qBitrr's generated default config, which the ground-truth table was computed from.
const DEFAULT_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/compat/qbitrr-5.14.7-default.toml"
);

/// Rows of `tests/data/filter_cases.tsv` where regex-lite's ASCII-only `\b` and case folding
/// give another answer than Python's Unicode-aware `re` (see the module documentation), with
/// the answer given here. `scripts/filter_cases.py --ascii-diff` lists the same rows.
const ASCII_DIFFERENCES: &[(&str, &str)] = &[
    (
        "鬼滅の刃 無限列車編 (2020) [BD 1080p]/特典Extras/メイキング.mkv",
        "folder:特典Extras",
    ),
    (
        "鬼滅の刃 無限列車編 (2020) [BD 1080p]/NCOPノンクレジット/OP.mkv",
        "folder:NCOPノンクレジット",
    ),
    ("鬼滅の刃 無限列車編 (2020) [BD 1080p]/予告編Trailer.mp4", "name"),
    ("鬼滅の刃 無限列車編 (2020) [BD 1080p]/ſample.mkv", "-"),
];

fn list(table: &toml::Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Each section's filter, compiled from the TOML as qBitrr reads it.
fn default_filters() -> std::collections::HashMap<String, FileFilter> {
    let text = std::fs::read_to_string(DEFAULT_CONFIG).expect("../shared/compat is beside the project");
    let config: toml::Table = text.parse().expect("the default config parses");
    let mut out = std::collections::HashMap::new();
    for (section, value) in &config {
        let Some(torrent) = value.get("Torrent").and_then(toml::Value::as_table) else {
            continue;
        };
        let case = torrent
            .get("CaseSensitiveMatches")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
        let filter = FileFilter::new(
            &list(torrent, "FolderExclusionRegex"),
            &list(torrent, "FileNameExclusionRegex"),
            &list(torrent, "FileExtensionAllowlist"),
            case,
        )
        .expect("qBitrr's default patterns compile");
        out.insert(section.clone(), filter);
    }
    out
}

fn reason(exclusion: Option<Exclusion<'_>>) -> String {
    match exclusion {
        None => "-".into(),
        Some(Exclusion::Folder(name)) => format!("folder:{name}"),
        Some(Exclusion::Name) => "name".into(),
        Some(Exclusion::Extension(_)) => "extension".into(),
    }
}

#[test]
fn qbitrr_default_patterns_decide_every_case_as_python_re_does() {
    let filters = default_filters();
    let table = include_str!("../../tests/data/filter_cases.tsv");
    let mut rows = 0;
    let mut differences = Vec::new();
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [section, path, excluded, expected] = cols[..] else {
            panic!("a row of four columns: {line:?}");
        };
        let filter = &filters[section];
        let got = reason(filter.exclusion(path));
        assert_eq!(excluded == "1", expected != "-", "{line:?}");
        match ASCII_DIFFERENCES.iter().find(|(p, _)| *p == path) {
            Some((_, ours)) => {
                assert_eq!(got, *ours, "{section} {path}");
                assert_ne!(got, expected, "{section} {path}: no longer differs from Python");
                differences.push(path);
            }
            None => assert_eq!(got, expected, "{section} {path}"),
        }
        rows += 1;
    }
    assert_eq!(rows, 196);
    // Each differing file is listed under both Radarr sections.
    assert_eq!(differences.len(), 2 * ASCII_DIFFERENCES.len());
}

#[test]
fn default_lists_match_the_schema_defaults() {
    // Sections without these keys take the schema's defaults: they must be qBitrr's.
    let filters = default_filters();
    let radarr = &filters["Radarr-1080"];
    assert!(!radarr.is_off());
    assert_eq!(radarr.extensions.sources[0], ".mp4");
    assert_eq!(radarr.folders.sources[4], r"\bnc(ed|op)?(\\d+)?\b");
}

fn filter(folders: &[&str], names: &[&str], exts: &[&str], case: bool) -> FileFilter {
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    FileFilter::new(&own(folders), &own(names), &own(exts), case).expect("compiles")
}

#[test]
fn checks_run_in_order_and_name_the_first_failure() {
    let f = filter(&[r"\bsamples?\b"], &[r"\bsample\b"], &[".mkv"], false);
    let cases: &[(&str, Option<Exclusion<'_>>)] = &[
        ("Movie/Movie.mkv", None),
        ("Movie/Sample/Movie.sample.exe", Some(Exclusion::Folder("Sample"))),
        ("Movie/Movie.sample.mkv", Some(Exclusion::Name)),
        ("Movie/Movie.exe", Some(Exclusion::Extension(".exe"))),
        ("Movie/README", Some(Exclusion::Extension(""))),
        ("Movie/.hidden", Some(Exclusion::Extension(""))),
        ("Movie/name.", Some(Exclusion::Extension(""))),
        ("Movie.MKV", None),
        // The innermost matching folder is named.
        ("Samples/x/Sample/a.mkv", Some(Exclusion::Folder("Sample"))),
    ];
    for (path, want) in cases {
        assert_eq!(f.exclusion(path), *want, "{path}");
    }
}

#[test]
fn case_sensitive_matching_still_lower_cases_folders_as_qbitrr_does() {
    let f = filter(&[r"\bSample\b"], &[r"\bTrailer\b"], &[".mkv"], true);
    // Folders are lower-cased before the search, so an upper-case folder pattern never matches.
    assert_eq!(f.exclusion("M/Sample/a.mkv"), None);
    assert_eq!(f.exclusion("M/Trailer.mkv"), Some(Exclusion::Name));
    assert_eq!(f.exclusion("M/trailer.mkv"), None);
    assert_eq!(f.exclusion("M/a.MKV"), Some(Exclusion::Extension(".MKV")));
}

#[test]
fn empty_lists_exclude_nothing_and_an_empty_name_match_does_not_count() {
    let off = filter(&[], &[], &[], false);
    assert!(off.is_off());
    assert_eq!(off.exclusion("a/b/README"), None);
    let starry = filter(&[], &["x*"], &[], false);
    assert_eq!(starry.exclusion("abc.mkv"), None);
    assert_eq!(starry.exclusion("xabc.mkv"), Some(Exclusion::Name));
}

#[test]
fn an_invalid_pattern_names_its_list_and_item() {
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let err = FileFilter::new(&own(&["ok", "(unclosed"]), &[], &[], false).unwrap_err();
    assert_eq!((err.list, err.item), (FilterList::Folders, 2));
    assert!(!err.reason.is_empty() && !err.reason.contains('\n'), "{err}");
    // Python's re refuses `\m` too: an extension must be written with its dot.
    let err = FileFilter::new(&[], &[], &own(&[".mkv", "mkv"]), false).unwrap_err();
    assert_eq!((err.list, err.item), (FilterList::Extensions, 2));
    // Look-around is Python-only: refused with a reason rather than ignored.
    assert!(FileFilter::new(&[], &own(&["(?<!x)y"]), &[], false).is_err());
}

fn file(index: u32, name: &str, priority: u8) -> TorrentFile {
    TorrentFile {
        index,
        name: name.into(),
        priority,
    }
}

#[test]
fn a_plan_skips_only_files_not_at_zero_and_sees_when_all_are_excluded() {
    let f = filter(&[r"\bsamples?\b"], &[], &[".mkv"], false);
    let files = [
        file(0, "M/M.mkv", 1),
        file(1, "M/Sample/s.mkv", 1),
        file(2, "M/M.nfo", 0),
        file(3, "M/Setup.exe", 6),
    ];
    let plan = f.plan(&files);
    assert_eq!(plan.to_skip(), vec![1, 3]);
    assert_eq!(plan.excluded.len(), 3);
    assert!(!plan.all_excluded());

    let junk = [file(0, "T/Sample/s.mkv", 1), file(1, "T/T.nfo", 1)];
    let plan = f.plan(&junk);
    assert!(plan.all_excluded());
    assert_eq!(plan.to_skip(), vec![0, 1]);

    // A file the user set to 0 that the filters keep is not counted as excluded.
    let user = [file(0, "T/Sample/s.mkv", 1), file(1, "T/T.mkv", 0)];
    assert!(!f.plan(&user).all_excluded());
    assert!(!f.plan(&[]).all_excluded());
}

#[test]
fn leftovers_are_excluded_files_at_priority_zero_inside_the_torrent() {
    let f = filter(&[], &[], &[".mkv"], false);
    let files = [
        file(0, "M/M.mkv", 1),
        file(1, "M/M.nfo", 0),
        file(2, "M/Setup.exe", 1),
        file(3, "M/../../etc/passwd.txt", 0),
        file(4, "/etc/shadow.txt", 0),
        file(5, "M/sub/x.lnk", 0),
        file(6, "M/keep.mkv", 0),
    ];
    assert_eq!(f.leftovers(&files), vec!["M/M.nfo", "M/sub/x.lnk"]);
}
