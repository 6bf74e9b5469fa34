//! Where configuration values and problems come from, and what the loading stages collect.
//!
//! This file owns [`Location`] (a line of the file or an environment variable), [`Problem`]
//! (one thing wrong with the configuration), [`Report`] (the errors and warnings gathered by the
//! stages), [`at`], the `file:line` prefix every message starts with, and [`quoted`], how a
//! value is shown in one.

/// Where a value (or a problem) comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole (e.g. a missing section).
    File,
    /// A 1-based line of the file.
    Line(usize),
    /// An environment variable (`QBITRR_...`) that overrode the file.
    Env(String),
}

/// One problem in the configuration: a dotted key (`Radarr-1080.Torrent.StalledDelay`, empty
/// for problems that concern the whole file), where it was found and what to do about it.
/// Messages never contain the value of a secret (API keys, passwords, tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key, e.g. `Sonarr-TV.URI`; empty when the problem concerns the whole file.
    pub key: String,
    /// The line or environment variable the value came from (a missing key: its section's line).
    pub location: Location,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Problem {
    /// The line, when the problem comes from a line of the file.
    pub fn line(&self) -> Option<usize> {
        match self.location {
            Location::Line(line) => Some(line),
            _ => None,
        }
    }
}

/// `file:line`, `file: environment variable QBITRR_...` or `file`.
pub(super) fn at(file: &str, location: &Location) -> String {
    match location {
        Location::File => file.to_string(),
        Location::Line(line) => format!("{file}:{line}"),
        Location::Env(var) => format!("{file}: environment variable {var}"),
    }
}

/// How many characters of a value a message shows.
const SHOWN_CHARS: usize = 64;

/// A (non-secret) value as a message shows it: quoted, with control characters escaped, and
/// cut after [`SHOWN_CHARS`] characters with its length, so that a huge value cannot flood
/// the log: `"xxxx…" (10000000 characters)`.
pub(super) fn quoted(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => {
            let shown = format!("{:?}", &text[..cut]);
            let open = shown.strip_suffix('"').unwrap_or(&shown);
            format!("{open}…\" ({} characters)", text.chars().count())
        }
    }
}

/// What the stages collect on the way: errors and warnings.
#[derive(Debug, Default)]
pub(super) struct Report {
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<String>,
    /// Every AddTags name met so far, across the sections (at most
    /// [`crate::tracker::MAX_ADD_TAG_NAMES`]).
    pub(super) add_tag_names: Vec<String>,
}

impl Report {
    pub(super) fn error(&mut self, key: impl Into<String>, location: Location, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.into(),
            location,
            message: message.into(),
        });
    }

    pub(super) fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_and_control_characters_escaped() {
        assert_eq!(quoted("movies"), "\"movies\"");
        assert_eq!(quoted("a\nb\u{0}"), "\"a\\nb\\0\"");
        let long = "é".repeat(100);
        let shown = quoted(&long);
        assert_eq!(
            shown,
            format!("\"{}…\" (100 characters)", "é".repeat(SHOWN_CHARS))
        );
        assert_eq!(
            quoted(&"x".repeat(SHOWN_CHARS)),
            format!("\"{}\"", "x".repeat(SHOWN_CHARS))
        );
    }
}
