//! What ForceMinimumCustomFormat compares a download's custom-format score with (rule
//! `custom-format-min`): the minimum of its movie's, series', artist's or author's quality
//! profile, written into its queue entry after each queue read.
//!
//! The profiles' minimums (`GET qualityprofile`) are read again every [`REREAD`]. A download's
//! movie, series, artist or author is looked up (`GET movie/{id}`, `series/{id}`, …) only
//! when its score is below the highest minimum, once each until the next reread: most
//! libraries have no minimum above the scores they get, and then nothing is looked up at all.
//! What cannot be read stays unknown, and an unknown minimum removes nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::{debug, info, warn};

use crate::model::{ArrKind, QueueEntry};
use crate::upstream::ArrApi;

/// How long the minimums and the profiles looked up are trusted.
const REREAD: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub(crate) struct FormatMinimums {
    /// Profile → minimum custom-format score, and when they were read.
    minimums: HashMap<i64, i64>,
    read_at: Option<Instant>,
    /// Movie, series, artist or author → its profile (`None`: the Arr does not have it).
    owners: HashMap<i64, Option<i64>>,
    /// The last read of the minimums failed (said once, until one works).
    failing: bool,
}

impl FormatMinimums {
    /// Gives each download of `queue` whose score is below some profile's minimum the
    /// minimum of its own profile, where that can be read.
    pub(crate) fn fill(&mut self, name: &str, arr: &dyn ArrApi, queue: &mut HashMap<String, QueueEntry>) {
        let scored = queue.values().filter_map(|e| e.format_score).min();
        let Some(lowest_score) = scored else {
            return;
        };
        if self.read_at.is_none_or(|at| at.elapsed() >= REREAD) {
            match arr.format_minimums() {
                Ok(minimums) => {
                    if std::mem::replace(&mut self.failing, false) {
                        info!("{name}: the quality profiles' custom-format minimums are read again");
                    }
                    self.minimums = minimums;
                    self.owners.clear();
                    self.read_at = Some(Instant::now());
                }
                Err(e) => {
                    if !std::mem::replace(&mut self.failing, true) {
                        warn!(
                            "{name}: the quality profiles could not be read, so no download is \
                             removed for its custom-format score until they are: {e}"
                        );
                    }
                    return;
                }
            }
        }
        let Some(highest) = self.minimums.values().copied().max() else {
            return;
        };
        if lowest_score >= highest {
            return;
        }
        let kind = arr.kind();
        for entry in queue.values_mut() {
            let Some(score) = entry.format_score.filter(|s| *s < highest) else {
                continue;
            };
            let owner = match kind {
                ArrKind::Radarr => entry.media_ids.first().copied(),
                ArrKind::Sonarr | ArrKind::Lidarr | ArrKind::Readarr => entry.parent_id,
            };
            let Some(owner) = owner else {
                continue;
            };
            let profile = match self.owners.get(&owner) {
                Some(p) => *p,
                None => match arr.profile_of(owner) {
                    Ok(p) => *self.owners.entry(owner).or_insert(p),
                    Err(e) => {
                        debug!("{name}: the quality profile of {owner} could not be read: {e}");
                        continue;
                    }
                },
            };
            entry.format_minimum = profile.and_then(|p| self.minimums.get(&p).copied());
            if let Some(minimum) = entry.format_minimum.filter(|m| score < *m) {
                debug!("{name}: a download of {owner} scores {score}, below its profile's minimum {minimum}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::profiles::ProfiledItem;
    use crate::upstream::fake::{Call, FakeArr, Journal};

    fn entry(movie: i64, score: Option<i64>) -> QueueEntry {
        QueueEntry {
            ids: vec![movie * 10],
            media_ids: vec![movie],
            format_score: score,
            ..QueueEntry::default()
        }
    }

    fn movie(id: i64, profile: i64) -> ProfiledItem {
        ProfiledItem {
            id,
            title: format!("Movie {id}"),
            profile,
            missing: true,
            monitored: true,
        }
    }

    #[test]
    fn only_scores_below_the_highest_minimum_are_looked_up_once_each() {
        let journal = Journal::default();
        let arr = FakeArr::new(ArrKind::Radarr, &journal);
        arr.set_library(Vec::new(), &[(1, 0), (2, 100)]);
        arr.set_profiled(
            &[(1, "Any"), (2, "Strict")],
            vec![movie(7, 2), movie(8, 1), movie(9, 2)],
        );
        let mut queue: HashMap<String, QueueEntry> = [
            ("a", entry(7, Some(50))),
            ("b", entry(8, Some(50))),
            ("c", entry(9, Some(150))),
            ("d", entry(6, None)),
            ("e", entry(5, Some(10))),
        ]
        .into_iter()
        .map(|(h, e)| (h.to_string(), e))
        .collect();
        let mut minimums = FormatMinimums::default();
        minimums.fill("Radarr", &arr, &mut queue);
        assert_eq!(
            queue["a"].format_minimum,
            Some(100),
            "below its profile's minimum"
        );
        assert_eq!(queue["b"].format_minimum, Some(0), "its profile asks for nothing");
        assert_eq!(
            queue["c"].format_minimum, None,
            "above every minimum: not looked up"
        );
        assert_eq!(queue["d"].format_minimum, None, "no score");
        assert_eq!(queue["e"].format_minimum, None, "a movie the Arr does not have");
        let lookups = |j: &Journal| {
            j.calls()
                .into_iter()
                .filter(|c| matches!(c, Call::ProfileOf(_) | Call::FormatMinimums))
                .count()
        };
        assert_eq!(lookups(&journal), 4, "{:?}", journal.calls());
        // The next queue read looks nothing up again.
        minimums.fill("Radarr", &arr, &mut queue);
        assert_eq!(lookups(&journal), 4);
    }

    #[test]
    fn without_minimums_or_when_they_cannot_be_read_nothing_is_known() {
        let journal = Journal::default();
        let arr = FakeArr::new(ArrKind::Sonarr, &journal);
        arr.set_library(Vec::new(), &[(1, 0)]);
        let mut queue: HashMap<String, QueueEntry> =
            [("a".to_string(), entry(7, Some(-20)))].into_iter().collect();
        let mut minimums = FormatMinimums::default();
        minimums.fill("Sonarr", &arr, &mut queue);
        assert_eq!(queue["a"].format_minimum, None);
        assert!(!journal.calls().iter().any(|c| matches!(c, Call::ProfileOf(_))));
        journal.fail("format_minimums");
        let mut fresh = FormatMinimums::default();
        fresh.fill("Sonarr", &arr, &mut queue);
        assert_eq!(queue["a"].format_minimum, None);
    }
}
