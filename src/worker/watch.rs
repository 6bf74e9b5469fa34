//! What happens next: the torrents of one worker whose decision the clock alone will
//! change within a day (a delay running out, a seeding limit reached), the soonest
//! [`WATCH_MAX`], each with what `explain` says will happen then — for the status page.
//! Bounded: a torrent that does not fit is not explained, and comes back when it is
//! decided again (no later than its time).

use std::collections::HashMap;

use crate::model::UnixTime;
pub(crate) use crate::status::Upcoming;

/// At most this many torrents are kept per worker.
pub(crate) const WATCH_MAX: usize = 20;
/// Only changes this close are kept (a day).
pub(crate) const WATCH_WITHIN_SECS: i64 = 24 * 3600;

/// The soonest changes of one worker's torrents.
#[derive(Debug, Default)]
pub(crate) struct Watchlist {
    items: HashMap<String, Upcoming>,
}

impl Watchlist {
    /// Whether a change of `hash` at `at` (seen at `now`) is worth explaining: within the
    /// day, and there is room, or it is sooner than the latest kept (or it is kept already).
    pub(crate) fn wants(&self, hash: &str, at: UnixTime, now: UnixTime) -> bool {
        if at > now.saturating_add(WATCH_WITHIN_SECS) {
            return false;
        }
        self.items.contains_key(hash)
            || self.items.len() < WATCH_MAX
            || self.items.values().any(|u| u.at > at)
    }

    /// `hash` was decided: its next change (None: nothing the clock will change soon).
    pub(crate) fn set(&mut self, hash: &str, upcoming: Option<Upcoming>) {
        match upcoming {
            None => {
                self.items.remove(hash);
            }
            Some(mut u) => {
                // The view keeps no names: one looked up before stays.
                if u.name.is_empty() {
                    if let Some(old) = self.items.get(hash) {
                        u.name.clone_from(&old.name);
                    }
                }
                self.items.insert(hash.to_string(), u);
                if self.items.len() > WATCH_MAX {
                    let latest = self
                        .items
                        .iter()
                        .max_by_key(|(h, u)| (u.at, (*h).clone()))
                        .map(|(h, _)| h.clone());
                    if let Some(h) = latest {
                        self.items.remove(&h);
                    }
                }
            }
        }
    }

    /// Drops what is past (decided again by then) and what `keep` says left.
    pub(crate) fn prune(&mut self, now: UnixTime, keep: impl Fn(&Upcoming) -> bool) {
        self.items.retain(|_, u| u.at > now && keep(u));
    }

    /// The hashes of qBittorrent `qbit`'s torrents kept without a name yet.
    pub(crate) fn unnamed(&self, qbit: usize) -> Vec<String> {
        self.items
            .values()
            .filter(|u| u.qbit == qbit && u.name.is_empty())
            .map(|u| u.hash.clone())
            .collect()
    }

    /// The name of a kept torrent, as qBittorrent says it.
    pub(crate) fn name(&mut self, hash: &str, name: &str) {
        if let Some(u) = self.items.get_mut(hash) {
            name.clone_into(&mut u.name);
        }
    }

    /// The changes kept, soonest first.
    pub(crate) fn soonest(&self) -> Vec<Upcoming> {
        let mut list: Vec<Upcoming> = self.items.values().cloned().collect();
        list.sort_by(|a, b| (a.at, &a.hash).cmp(&(b.at, &b.hash)));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Rule;

    fn up(hash: &str, at: UnixTime) -> Upcoming {
        Upcoming {
            qbit: 0,
            hash: hash.into(),
            name: format!("{hash}.mkv"),
            rule: Rule::StalledWaiting,
            detail: "stalled for 10s < StalledDelay 900s".into(),
            at,
            next_rule: Rule::StalledDelete,
            what: "stalled-delete".into(),
        }
    }

    #[test]
    fn keeps_the_soonest_within_a_day_and_forgets_what_passed() {
        let now = 1_000;
        let mut w = Watchlist::default();
        assert!(!w.wants("far", now + WATCH_WITHIN_SECS + 1, now));
        for i in 0..WATCH_MAX as i64 {
            let h = format!("h{i:02}");
            assert!(w.wants(&h, now + 100 + i, now));
            w.set(&h, Some(up(&h, now + 100 + i)));
        }
        // Full: a later one is not wanted, a sooner one takes the latest's place.
        assert!(!w.wants("late", now + 10_000, now));
        assert!(w.wants("h05", now + 10_000, now), "kept ones are updated");
        assert!(w.wants("soon", now + 50, now));
        w.set("soon", Some(up("soon", now + 50)));
        let list = w.soonest();
        assert_eq!(list.len(), WATCH_MAX);
        assert_eq!(list[0].hash, "soon");
        assert!(!list.iter().any(|u| u.hash == format!("h{:02}", WATCH_MAX - 1)));
        // Names are looked up once and kept when the view decides again without one.
        assert_eq!(w.unnamed(0).len(), 0);
        let mut nameless = up("new", now + 107);
        nameless.name.clear();
        w.set("new", Some(nameless.clone()));
        assert_eq!(w.unnamed(0), ["new"]);
        assert!(w.unnamed(1).is_empty(), "per qBittorrent");
        w.name("new", "New.mkv");
        w.set("new", Some(nameless));
        assert!(w.unnamed(0).is_empty());
        assert!(w.soonest().iter().any(|u| u.name == "New.mkv"));
        // Decided with nothing to come, gone from qBittorrent, or past: dropped.
        w.set("h00", None);
        w.prune(now + 105, |u| u.hash != "h10");
        let list = w.soonest();
        assert!(list
            .iter()
            .all(|u| u.at > now + 105 && u.hash != "h10" && u.hash != "h00"));
        assert_eq!(list.first().map(|u| u.at), Some(now + 106));
    }
}
