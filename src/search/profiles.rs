//! Temporary quality profiles (`UseTempForMissing` and the keys with it): which library item
//! goes to its temp profile, which goes back to its main one, and what is remembered of each.
//! Pure: a function of the item as the Arr reports it, what the store remembers of it, the
//! mapping, the config and the time. The pass that reads the library and sends the changes is
//! `worker::search::profiles`.
//!
//! The item is what carries the profile: a movie, a series, an artist, an author. It is
//! *missing* when it lacks files it should have (a movie without its file; a series, artist or
//! author with fewer files than its monitored episodes, tracks or books).
//!
//! The rules, per item:
//! - missing and on a main profile of the mapping (monitored, or `Unmonitored` on): switch it to
//!   that profile's temp profile, remembering its main one first;
//! - on the temp profile we set, once it is no longer missing: back to its main profile, unless
//!   `KeepTempProfile`;
//! - after `TempProfileResetTimeoutMinutes` on the temp profile: back to its main profile, even
//!   with `KeepTempProfile`; a missing item is then not switched again until it has its files;
//! - `UseTempForMissing` turned off: what we switched goes back (what was kept after its
//!   import stays with `KeepTempProfile`);
//! - `ForceResetTempProfiles`, once at start: every item on a temp profile goes back — what we
//!   switched to the main profile we remembered; another (switched before, by qBitrr) to the one
//!   main profile that maps to it, and not when several do or the temp profile is itself a main
//!   one. An item that would be switched straight back stays, and is remembered as ours;
//! - an item whose profile someone else changed meanwhile is forgotten, never changed back.
//!
//! What we will have to undo is remembered before the change is sent; it is forgotten only
//! after the change that undoes it went through. So a crash or a failed call between the two
//! leaves a record that the next pass finishes from.

use std::collections::HashMap;

use crate::clock::UnixTime;

/// One library item, as far as its profile is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProfiledItem {
    /// The movie's, series', artist's or author's id.
    pub(crate) id: i64,
    pub(crate) title: String,
    /// Its quality profile now.
    pub(crate) profile: i64,
    /// It lacks files it should have.
    pub(crate) missing: bool,
    pub(crate) monitored: bool,
}

/// What the store remembers of an item we switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Switched {
    /// The main profile it had, which it goes back to.
    pub(crate) original: i64,
    /// The temp profile we set.
    pub(crate) temp: i64,
    /// When we switched it (for TempProfileResetTimeoutMinutes).
    pub(crate) since: UnixTime,
    /// Sent back after the timeout: not switched again while it is missing.
    pub(crate) timed_out: bool,
}

/// The stored form's length: three 8-byte little-endian numbers and a flag.
const ENCODED_LEN: usize = 25;

impl Switched {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENCODED_LEN);
        out.extend_from_slice(&self.original.to_le_bytes());
        out.extend_from_slice(&self.temp.to_le_bytes());
        out.extend_from_slice(&self.since.to_le_bytes());
        out.push(u8::from(self.timed_out));
        out
    }

    /// `None` for bytes [`Switched::encode`] did not write.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ENCODED_LEN {
            return None;
        }
        let number = |at: usize| {
            bytes
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(i64::from_le_bytes)
        };
        Some(Self {
            original: number(0)?,
            temp: number(8)?,
            since: number(16)?,
            timed_out: match bytes[24] {
                0 => false,
                1 => true,
                _ => return None,
            },
        })
    }
}

/// `QualityProfileMappings` by profile id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mapping {
    /// Main profile → temp profile.
    to_temp: HashMap<i64, i64>,
    /// Temp profile → the main profiles that map to it.
    mains_of: HashMap<i64, Vec<i64>>,
}

impl Mapping {
    /// The mapping of profile names `pairs` (main → temp), with the Arr's `profiles` (id,
    /// name), and what could not be used: a name the Arr does not have (names match exactly,
    /// as in the Arr), a profile mapped to itself.
    pub(crate) fn resolve(pairs: &[(String, String)], profiles: &[(i64, String)]) -> (Self, Vec<String>) {
        let id_of = |name: &str| profiles.iter().find(|(_, n)| n == name).map(|(id, _)| *id);
        let mut mapping = Self::default();
        let mut problems = Vec::new();
        for (main, temp) in pairs {
            match (id_of(main), id_of(temp)) {
                (Some(m), Some(t)) if m == t => {
                    problems.push(format!("\"{main}\" is mapped to itself"));
                }
                (Some(m), Some(t)) => {
                    mapping.to_temp.insert(m, t);
                    mapping.mains_of.entry(t).or_default().push(m);
                }
                (m, t) => {
                    let unknown: Vec<String> = [(m, main), (t, temp)]
                        .into_iter()
                        .filter(|(id, _)| id.is_none())
                        .map(|(_, name)| format!("\"{name}\""))
                        .collect();
                    problems.push(format!(
                        "the Arr has no quality profile named {} (names must match exactly)",
                        unknown.join(" or ")
                    ));
                }
            }
        }
        (mapping, problems)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.to_temp.is_empty()
    }

    /// The temp profile of main profile `main`.
    pub(crate) fn temp_of(&self, main: i64) -> Option<i64> {
        self.to_temp.get(&main).copied()
    }

    /// The one main profile an unremembered item on `temp` goes back to: `None` when `temp` is
    /// no temp profile, when several main profiles map to it, or when it is a main profile
    /// itself (an item on it may have been given it on purpose).
    fn only_main_of(&self, temp: i64) -> Option<i64> {
        match self.mains_of.get(&temp).map(Vec::as_slice) {
            Some([main]) if !self.to_temp.contains_key(&temp) => Some(*main),
            _ => None,
        }
    }
}

/// The keys that decide the switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    /// UseTempForMissing.
    pub(crate) on: bool,
    /// KeepTempProfile.
    pub(crate) keep: bool,
    /// TempProfileResetTimeoutMinutes, in seconds (`None`: 0, never).
    pub(crate) timeout: Option<i64>,
    /// Unmonitored: unmonitored items are switched too.
    pub(crate) unmonitored: bool,
    /// ForceResetTempProfiles, on this pass (the first after a start).
    pub(crate) force_reset: bool,
}

/// Why a profile changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Why {
    /// Missing: to its temp profile.
    Missing,
    /// It has its files now: back to its main profile.
    Imported,
    /// TempProfileResetTimeoutMinutes passed.
    Timeout,
    /// UseTempForMissing is off.
    TurnedOff,
    /// ForceResetTempProfiles.
    ForceReset,
}

impl Why {
    pub(crate) fn words(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Imported => "it has its files",
            Self::Timeout => "TempProfileResetTimeoutMinutes passed",
            Self::TurnedOff => "UseTempForMissing is off",
            Self::ForceReset => "ForceResetTempProfiles",
        }
    }
}

/// A profile change to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Change {
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) why: Why,
}

/// What to do with one item. A record to keep (`Some(Some(_))`) is written before the change
/// is sent; one to forget (`Some(None)`) only after the change went through (at once when
/// there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Step {
    pub(crate) change: Option<Change>,
    /// `None`: the record stays as it is.
    pub(crate) record: Option<Option<Switched>>,
}

impl Step {
    const NOTHING: Self = Self {
        change: None,
        record: None,
    };
    const FORGET: Self = Self {
        change: None,
        record: Some(None),
    };

    fn back(r: &Switched, why: Why) -> Self {
        Self {
            change: Some(Change {
                from: r.temp,
                to: r.original,
                why,
            }),
            record: Some(None),
        }
    }

    pub(crate) fn is_nothing(&self) -> bool {
        *self == Self::NOTHING
    }
}

/// What to do with `item`, remembered as `record`, at `now`.
pub(crate) fn step(
    item: &ProfiledItem,
    record: Option<&Switched>,
    mapping: &Mapping,
    rules: &Rules,
    now: UnixTime,
) -> Step {
    let wants_temp = rules.on && item.missing && (item.monitored || rules.unmonitored);
    match record {
        // On the temp profile we set.
        Some(r) if item.profile == r.temp => {
            let expired = r.timed_out || rules.timeout.is_some_and(|t| now.saturating_sub(r.since) >= t);
            if expired {
                return Step {
                    record: Some(Some(Switched {
                        timed_out: true,
                        ..*r
                    })),
                    ..Step::back(r, Why::Timeout)
                };
            }
            let would_stay = wants_temp && mapping.temp_of(r.original) == Some(r.temp);
            let kept_after_import = rules.keep && !item.missing;
            if rules.force_reset && !would_stay {
                Step::back(r, Why::ForceReset)
            } else if !rules.on && !kept_after_import {
                Step::back(r, Why::TurnedOff)
            } else if rules.on && !item.missing && !rules.keep {
                Step::back(r, Why::Imported)
            } else {
                Step::NOTHING
            }
        }
        // Back on its main profile (sent back, or the switch did not go through yet).
        Some(r) if item.profile == r.original => {
            if wants_temp && !r.timed_out && mapping.temp_of(r.original) == Some(r.temp) {
                Step {
                    change: Some(Change {
                        from: r.original,
                        to: r.temp,
                        why: Why::Missing,
                    }),
                    record: None,
                }
            } else if r.timed_out && wants_temp {
                Step::NOTHING
            } else {
                Step::FORGET
            }
        }
        // Someone else changed its profile: theirs.
        Some(_) => Step::FORGET,
        None => {
            if let Some(temp) = mapping.temp_of(item.profile).filter(|_| wants_temp) {
                return Step {
                    change: Some(Change {
                        from: item.profile,
                        to: temp,
                        why: Why::Missing,
                    }),
                    record: Some(Some(Switched {
                        original: item.profile,
                        temp,
                        since: now,
                        timed_out: false,
                    })),
                };
            }
            let Some(main) = mapping.only_main_of(item.profile).filter(|_| rules.force_reset) else {
                return Step::NOTHING;
            };
            if wants_temp {
                // It would be switched straight back: it stays, and is ours from now on.
                return Step {
                    change: None,
                    record: Some(Some(Switched {
                        original: main,
                        temp: item.profile,
                        since: now,
                        timed_out: false,
                    })),
                };
            }
            Step {
                change: Some(Change {
                    from: item.profile,
                    to: main,
                    why: Why::ForceReset,
                }),
                record: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HD: i64 = 1;
    const SD: i64 = 2;
    const UHD: i64 = 3;
    const ANY: i64 = 4;
    const NOW: UnixTime = 1_000_000;
    const HOUR: i64 = 3600;

    fn mapping() -> Mapping {
        let profiles: Vec<(i64, String)> = [(HD, "HD"), (SD, "SD"), (UHD, "Ultra-HD"), (ANY, "Any")]
            .into_iter()
            .map(|(id, n)| (id, n.to_string()))
            .collect();
        let pairs = [("HD", "SD"), ("Ultra-HD", "HD")].map(|(a, b)| (a.to_string(), b.to_string()));
        let (m, problems) = Mapping::resolve(&pairs, &profiles);
        assert!(problems.is_empty(), "{problems:?}");
        m
    }

    fn rules() -> Rules {
        Rules {
            on: true,
            keep: false,
            timeout: None,
            unmonitored: false,
            force_reset: false,
        }
    }

    fn item(profile: i64, missing: bool, monitored: bool) -> ProfiledItem {
        ProfiledItem {
            id: 7,
            title: "Movie".into(),
            profile,
            missing,
            monitored,
        }
    }

    fn rec(original: i64, temp: i64, since: UnixTime, timed_out: bool) -> Switched {
        Switched {
            original,
            temp,
            since,
            timed_out,
        }
    }

    fn to(from: i64, to: i64, why: Why) -> Option<Change> {
        Some(Change { from, to, why })
    }

    #[test]
    fn names_resolve_exactly_and_problems_are_named() {
        let profiles = vec![(1, "HD-1080p".to_string()), (2, "SD".to_string())];
        let pairs: Vec<(String, String)> = [
            ("HD-1080p", "SD"),
            ("hd-1080p", "SD"),
            ("SD", "SD"),
            ("HD-1080p", "Nope"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .to_vec();
        let (m, problems) = Mapping::resolve(&pairs, &profiles);
        assert_eq!(m.temp_of(1), Some(2));
        assert_eq!(m.temp_of(2), None);
        assert_eq!(
            problems,
            [
                "the Arr has no quality profile named \"hd-1080p\" (names must match exactly)",
                "\"SD\" is mapped to itself",
                "the Arr has no quality profile named \"Nope\" (names must match exactly)",
            ]
        );
    }

    #[test]
    fn the_record_survives_encoding_and_odd_bytes_are_refused() {
        let r = rec(HD, SD, -5, true);
        assert_eq!(Switched::decode(&r.encode()), Some(r));
        assert_eq!(Switched::decode(&r.encode()[..24]), None);
        let mut bad = r.encode();
        bad[24] = 9;
        assert_eq!(Switched::decode(&bad), None);
    }

    /// Each rule, and each place where it must not fire.
    #[test]
    fn what_each_item_gets() {
        let m = mapping();
        let r = rules();
        let on_sd = rec(HD, SD, NOW - HOUR, false);
        let cases: Vec<(&str, ProfiledItem, Option<Switched>, Rules, Step)> = vec![
            (
                "missing on a main profile: to its temp, remembered first",
                item(HD, true, true),
                None,
                r,
                Step {
                    change: to(HD, SD, Why::Missing),
                    record: Some(Some(rec(HD, SD, NOW, false))),
                },
            ),
            (
                "missing, unmonitored: left",
                item(HD, true, false),
                None,
                r,
                Step::NOTHING,
            ),
            (
                "missing, unmonitored, Unmonitored on: switched",
                item(HD, true, false),
                None,
                Rules {
                    unmonitored: true,
                    ..r
                },
                Step {
                    change: to(HD, SD, Why::Missing),
                    record: Some(Some(rec(HD, SD, NOW, false))),
                },
            ),
            (
                "has its files: left",
                item(HD, false, true),
                None,
                r,
                Step::NOTHING,
            ),
            (
                "a profile not in the mapping: left",
                item(ANY, true, true),
                None,
                r,
                Step::NOTHING,
            ),
            (
                "UseTempForMissing off: nothing switched",
                item(HD, true, true),
                None,
                Rules { on: false, ..r },
                Step::NOTHING,
            ),
            (
                "unremembered on a temp profile: never touched without ForceReset",
                item(SD, false, true),
                None,
                Rules { on: false, ..r },
                Step::NOTHING,
            ),
            (
                "ours, still missing: stays",
                item(SD, true, true),
                Some(on_sd),
                r,
                Step::NOTHING,
            ),
            (
                "ours, imported: back to its main, forgotten after",
                item(SD, false, true),
                Some(on_sd),
                r,
                Step {
                    change: to(SD, HD, Why::Imported),
                    record: Some(None),
                },
            ),
            (
                "ours, imported, KeepTempProfile: stays",
                item(SD, false, true),
                Some(on_sd),
                Rules { keep: true, ..r },
                Step::NOTHING,
            ),
            (
                "ours, timed out: back, remembered as timed out first",
                item(SD, true, true),
                Some(on_sd),
                Rules {
                    timeout: Some(HOUR),
                    ..r
                },
                Step {
                    change: to(SD, HD, Why::Timeout),
                    record: Some(Some(rec(HD, SD, NOW - HOUR, true))),
                },
            ),
            (
                "ours, not timed out yet",
                item(SD, true, true),
                Some(on_sd),
                Rules {
                    timeout: Some(HOUR + 1),
                    ..r
                },
                Step::NOTHING,
            ),
            (
                "ours, kept after import, timed out: back even with KeepTempProfile",
                item(SD, false, true),
                Some(on_sd),
                Rules {
                    keep: true,
                    timeout: Some(60),
                    ..r
                },
                Step {
                    change: to(SD, HD, Why::Timeout),
                    record: Some(Some(rec(HD, SD, NOW - HOUR, true))),
                },
            ),
            (
                "timed out and back on its main, still missing: not switched again",
                item(HD, true, true),
                Some(rec(HD, SD, NOW - HOUR, true)),
                r,
                Step::NOTHING,
            ),
            (
                "timed out, its PUT failed: sent back again",
                item(SD, true, true),
                Some(rec(HD, SD, NOW - HOUR, true)),
                r,
                Step {
                    change: to(SD, HD, Why::Timeout),
                    record: Some(Some(rec(HD, SD, NOW - HOUR, true))),
                },
            ),
            (
                "timed out, then imported: forgotten",
                item(HD, false, true),
                Some(rec(HD, SD, NOW - HOUR, true)),
                r,
                Step::FORGET,
            ),
            (
                "remembered, switch not through yet (crash): sent again",
                item(HD, true, true),
                Some(rec(HD, SD, NOW - 5, false)),
                r,
                Step {
                    change: to(HD, SD, Why::Missing),
                    record: None,
                },
            ),
            (
                "remembered, back on its main and imported (forget lost): forgotten",
                item(HD, false, true),
                Some(on_sd),
                r,
                Step::FORGET,
            ),
            (
                "someone else changed the profile: forgotten, not changed back",
                item(ANY, true, true),
                Some(on_sd),
                r,
                Step::FORGET,
            ),
            (
                "turned off: ours go back",
                item(SD, true, true),
                Some(on_sd),
                Rules { on: false, ..r },
                Step {
                    change: to(SD, HD, Why::TurnedOff),
                    record: Some(None),
                },
            ),
            (
                "turned off, kept after import: stays",
                item(SD, false, true),
                Some(on_sd),
                Rules {
                    on: false,
                    keep: true,
                    ..r
                },
                Step::NOTHING,
            ),
            (
                "force reset, ours, would be switched straight back: stays",
                item(SD, true, true),
                Some(on_sd),
                Rules {
                    force_reset: true,
                    ..r
                },
                Step::NOTHING,
            ),
            (
                "force reset, ours, kept after import: back",
                item(SD, false, true),
                Some(on_sd),
                Rules {
                    force_reset: true,
                    keep: true,
                    ..r
                },
                Step {
                    change: to(SD, HD, Why::ForceReset),
                    record: Some(None),
                },
            ),
            (
                "force reset, unremembered on a temp with one main: back to it",
                item(SD, false, true),
                None,
                Rules {
                    force_reset: true,
                    ..r
                },
                Step {
                    change: to(SD, HD, Why::ForceReset),
                    record: None,
                },
            ),
            (
                "force reset, unremembered, missing: stays and becomes ours",
                item(SD, true, true),
                None,
                Rules {
                    force_reset: true,
                    ..r
                },
                Step {
                    change: None,
                    record: Some(Some(rec(HD, SD, NOW, false))),
                },
            ),
            (
                "force reset, unremembered on a temp that is a main too: left",
                item(HD, false, true),
                None,
                Rules {
                    force_reset: true,
                    ..r
                },
                Step::NOTHING,
            ),
        ];
        for (what, item, record, rules, want) in cases {
            assert_eq!(step(&item, record.as_ref(), &m, &rules, NOW), want, "{what}");
        }
    }

    #[test]
    fn a_temp_profile_several_mains_map_to_is_not_reset_without_a_record() {
        let profiles: Vec<(i64, String)> = [(1, "A"), (2, "B"), (3, "Any")]
            .into_iter()
            .map(|(id, n)| (id, n.to_string()))
            .collect();
        let pairs = [("A", "Any"), ("B", "Any")].map(|(a, b)| (a.to_string(), b.to_string()));
        let (m, _) = Mapping::resolve(&pairs, &profiles);
        let rules = Rules {
            force_reset: true,
            ..rules()
        };
        assert_eq!(step(&item(3, false, true), None, &m, &rules, NOW), Step::NOTHING);
        // With a record it knows where to go.
        let r = rec(2, 3, NOW, false);
        assert_eq!(
            step(&item(3, false, true), Some(&r), &m, &rules, NOW).change,
            to(3, 2, Why::ForceReset)
        );
    }
}
