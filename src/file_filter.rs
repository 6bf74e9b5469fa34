//! The file filters of one Arr instance (`[<Arr>.Torrent]` FolderExclusionRegex,
//! FileNameExclusionRegex, FileExtensionAllowlist, CaseSensitiveMatches): which files of a
//! torrent are not wanted, and why. Pure: compiled once from the config, then asked per file.
//!
//! A file's path is qBittorrent's (`torrents/files` `name`: relative, `/`-separated, starting
//! with the torrent's root folder when it has one). The checks run in qBitrr's order, and the
//! first that fails is the reason:
//! 1. every parent folder, innermost first, lower-cased, searched with FolderExclusionRegex;
//! 2. the file name (original case) searched with FileNameExclusionRegex; an empty match does
//!    not count;
//! 3. the extension (from the name's last dot; none for `README`, `.hidden` or `name.`)
//!    searched with each FileExtensionAllowlist entry as a regex, a backslash put in front
//!    (`.mkv` → `\.mkv`), so `.azw` also admits `.azw4`; no extension is never admitted; an
//!    empty list admits everything.
//!
//! The patterns are case-insensitive unless CaseSensitiveMatches is true. They are compiled
//! by `regex-lite`, which treats `\b`, `\w`, `\d` and case folding as ASCII only, where
//! Python's `re` (qBitrr) is Unicode-aware: next to a CJK letter (`特典Extras`) a word
//! boundary is found here and not in qBitrr, and `ſ` (long s) does not fold to `s`. For
//! ASCII names the two agree; `tests/data/filter_cases.tsv` (from `scripts/filter_cases.py`,
//! which runs Python's `re`) holds the cases, and the tests here check every row.

use std::fmt;

use regex_lite::{Regex, RegexBuilder};

/// Which of the three lists a pattern came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterList {
    Folders,
    Names,
    Extensions,
}

impl FilterList {
    /// The config key of the list.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Folders => "FolderExclusionRegex",
            Self::Names => "FileNameExclusionRegex",
            Self::Extensions => "FileExtensionAllowlist",
        }
    }
}

/// A pattern that does not compile: which list, which item (from 1), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    pub(crate) list: FilterList,
    pub(crate) item: usize,
    pub(crate) reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item {} is not a valid regex: {}", self.item, self.reason)
    }
}

impl std::error::Error for PatternError {}

/// One list, compiled: each pattern on its own (an empty match is then judged per pattern,
/// as qBitrr does), with the texts kept for comparison and messages.
#[derive(Debug, Clone, Default)]
struct Patterns {
    sources: Vec<String>,
    compiled: Vec<Regex>,
}

impl Patterns {
    fn compile(
        list: FilterList,
        items: &[String],
        case_sensitive: bool,
        to_regex: impl Fn(&str) -> String,
    ) -> Result<Self, PatternError> {
        let mut compiled = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let regex = RegexBuilder::new(&to_regex(item))
                .case_insensitive(!case_sensitive)
                .build()
                .map_err(|e| PatternError {
                    list,
                    item: i + 1,
                    reason: e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                })?;
            compiled.push(regex);
        }
        Ok(Self {
            sources: items.to_vec(),
            compiled,
        })
    }

    fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// Whether any pattern matches somewhere in `text` (an empty match counts).
    fn any_match(&self, text: &str) -> bool {
        self.compiled.iter().any(|r| r.is_match(text))
    }

    /// Whether any pattern's first match in `text` is not empty.
    fn any_nonempty_match(&self, text: &str) -> bool {
        self.compiled
            .iter()
            .any(|r| r.find(text).is_some_and(|m| !m.as_str().is_empty()))
    }
}

/// Why a file is not wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exclusion<'p> {
    /// This parent folder (as written in the path) matches FolderExclusionRegex.
    Folder(&'p str),
    /// The file name matches FileNameExclusionRegex.
    Name,
    /// The extension (possibly empty) is not admitted by FileExtensionAllowlist.
    Extension(&'p str),
}

impl fmt::Display for Exclusion<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Folder(name) => write!(f, "folder {name:?} matches FolderExclusionRegex"),
            Self::Name => f.write_str("the name matches FileNameExclusionRegex"),
            Self::Extension("") => f.write_str("no extension (FileExtensionAllowlist)"),
            Self::Extension(ext) => write!(f, "extension {ext:?} is not in FileExtensionAllowlist"),
        }
    }
}

/// The three lists of one Arr instance, compiled.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    folders: Patterns,
    names: Patterns,
    extensions: Patterns,
    case_sensitive: bool,
}

/// Equal when built from the same texts (a reload compares configs).
impl PartialEq for FileFilter {
    fn eq(&self, other: &Self) -> bool {
        self.case_sensitive == other.case_sensitive
            && self.folders.sources == other.folders.sources
            && self.names.sources == other.names.sources
            && self.extensions.sources == other.extensions.sources
    }
}

impl FileFilter {
    /// Compiles the lists; the first pattern that does not compile is the error.
    pub(crate) fn new(
        folders: &[String],
        names: &[String],
        extensions: &[String],
        case_sensitive: bool,
    ) -> Result<Self, PatternError> {
        let same = |p: &str| p.to_string();
        let escaped = |e: &str| {
            if e.starts_with('\\') {
                e.to_string()
            } else {
                format!("\\{e}")
            }
        };
        Ok(Self {
            folders: Patterns::compile(FilterList::Folders, folders, case_sensitive, same)?,
            names: Patterns::compile(FilterList::Names, names, case_sensitive, same)?,
            extensions: Patterns::compile(FilterList::Extensions, extensions, case_sensitive, escaped)?,
            case_sensitive,
        })
    }

    /// True when no list can exclude anything (every list empty).
    pub(crate) fn is_off(&self) -> bool {
        self.folders.is_empty() && self.names.is_empty() && self.extensions.is_empty()
    }

    /// Why the file at `path` is not wanted, or `None` when it is.
    pub(crate) fn exclusion<'p>(&self, path: &'p str) -> Option<Exclusion<'p>> {
        let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        let name = parts.pop().unwrap_or_default();
        if !self.folders.is_empty() {
            for folder in parts.iter().rev() {
                if self.folders.any_match(&folder.to_lowercase()) {
                    return Some(Exclusion::Folder(folder));
                }
            }
        }
        if self.names.any_nonempty_match(name) {
            return Some(Exclusion::Name);
        }
        if !self.extensions.is_empty() {
            let ext = extension(name);
            if !self.extensions.any_nonempty_match(ext) {
                return Some(Exclusion::Extension(ext));
            }
        }
        None
    }

    /// What to do with a torrent's files: which are excluded and why (see [`FilePlan`]). Files
    /// the user already set to 0 that the filters would keep do not count as excluded.
    pub(crate) fn plan<'f>(&self, files: &'f [TorrentFile]) -> FilePlan<'f> {
        FilePlan {
            total: files.len(),
            excluded: files
                .iter()
                .filter_map(|file| Some((file, self.exclusion(&file.name)?)))
                .collect(),
        }
    }

    /// The files of an imported torrent that AutoDelete may remove: excluded by the filters
    /// and at priority 0 in qBittorrent (so it never wanted them), with a path that stays
    /// inside the torrent (no `..`, not absolute). Paths are relative to the save path.
    pub(crate) fn leftovers<'f>(&self, files: &'f [TorrentFile]) -> Vec<&'f str> {
        files
            .iter()
            .filter(|f| f.priority == 0 && stays_inside(&f.name))
            .filter(|f| self.exclusion(&f.name).is_some())
            .map(|f| f.name.as_str())
            .collect()
    }
}

/// A relative path that cannot leave the folder it is joined to.
fn stays_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains(':')
        && path.split('/').all(|p| p != "..")
}

/// The extension as Python's `pathlib` gives it: from the last dot of the file name, empty
/// when there is none, the name starts with its only dot, or ends with a dot.
fn extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 && i + 1 < name.len() => &name[i..],
        _ => "",
    }
}

/// One file of a torrent as `torrents/files` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TorrentFile {
    /// The file's id for `torrents/filePrio`.
    pub(crate) index: u32,
    /// The path relative to the save path.
    pub(crate) name: String,
    /// 0 = do not download.
    pub(crate) priority: u8,
}

/// What the filters make of one torrent's files.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FilePlan<'f> {
    /// How many files the torrent has.
    pub(crate) total: usize,
    /// The excluded files and why.
    pub(crate) excluded: Vec<(&'f TorrentFile, Exclusion<'f>)>,
}

impl FilePlan<'_> {
    /// The ids to set to priority 0: the excluded files not at 0 already.
    pub(crate) fn to_skip(&self) -> Vec<u32> {
        self.excluded
            .iter()
            .filter(|(file, _)| file.priority != 0)
            .map(|(file, _)| file.index)
            .collect()
    }

    /// Every file of a torrent that has files is excluded.
    pub(crate) fn all_excluded(&self) -> bool {
        self.total > 0 && self.excluded.len() == self.total
    }
}

#[cfg(test)]
mod tests;
