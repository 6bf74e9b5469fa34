//! What each torrent's trackers said (`torrents/trackers`), kept while the worker runs: read
//! only for a torrent some rule wants to remove, whose limits a tracker entry may set, or whose
//! trackers may be edited (AddTrackerIfMissing, RemoveIfExists, RemoveDeadTrackers), at most
//! [`READS_PER_PASS`] per pass; again once older than [`crate::decide::TRACKERS_FRESH_SECS`]
//! before a removal, after an edit, and a day on while edits are on. Not stored: after a restart a
//! torrent's trackers are read again when they are next needed.

use std::collections::HashMap;

use crate::decide::{Trackers, Unregistered};
use crate::model::{TorrentId, UnixTime};
use crate::tracker::{self, TrackerEdit, TrackerEntry, TrackerList};

/// At most this many `torrents/trackers` calls per worker and pass; the rest wait their turn
/// (kept meanwhile: nothing is removed on trackers not read).
pub(crate) const READS_PER_PASS: usize = 50;

/// What one read said, with the entry it picked (an index into that qBittorrent's entries);
/// 32 bytes, since a large library may have one per torrent.
#[derive(Debug, Clone)]
struct Read {
    /// Unix time of the read (a read past u32 is not kept).
    at: u32,
    entry: Option<u16>,
    qbit: u16,
    private: bool,
    working: bool,
    /// Since when every read has found every tracker calling it unregistered, and what one said
    /// (rare: boxed).
    unregistered: Option<Box<(UnixTime, Box<str>)>>,
    /// What the entries and RemoveDeadTrackers would change in its trackers (none: nothing).
    edit: Option<Box<TrackerEdit>>,
}

impl Read {
    fn on(&self, qbit: usize) -> bool {
        usize::from(self.qbit) == qbit
    }
}

/// The entries per qBittorrent, and what was read per torrent.
#[derive(Debug, Default)]
pub(crate) struct TrackerBook {
    /// Per qBittorrent: the Arr's entries, then that instance's for the hosts the Arr has none for.
    entries: Vec<Vec<TrackerEntry>>,
    /// Torrent.UnregisteredMessages.
    unregistered_texts: Vec<String>,
    /// SeedingMode.RemoveTrackerWithMessage when RemoveDeadTrackers is on.
    dead_texts: Vec<String>,
    reads: HashMap<TorrentId, Read>,
}

impl TrackerBook {
    /// `per_qbit`: each qBittorrent's own entries; `arr`: the Arr's; `unregistered_texts`:
    /// what in a tracker's message says it no longer knows the torrent; `dead_texts`: what says
    /// a tracker is dead (RemoveDeadTrackers; empty when off).
    pub(crate) fn new(
        per_qbit: &[&[TrackerEntry]],
        arr: &[TrackerEntry],
        unregistered_texts: &[String],
        dead_texts: &[String],
    ) -> Self {
        Self {
            entries: per_qbit.iter().map(|q| tracker::merge(q, arr)).collect(),
            unregistered_texts: unregistered_texts.to_vec(),
            dead_texts: dead_texts.to_vec(),
            reads: HashMap::new(),
        }
    }

    /// Every entry that can apply, on any qBittorrent.
    pub(crate) fn all(&self) -> impl Iterator<Item = &TrackerEntry> {
        self.entries.iter().flatten()
    }

    /// What the trackers of torrent `id` on qBittorrent `qbit` said, for the rules; when unread,
    /// the entry its announce URLs `urls` (as the view holds them) pick.
    pub(crate) fn of<'u>(
        &self,
        qbit: usize,
        id: &TorrentId,
        urls: impl IntoIterator<Item = &'u str>,
    ) -> Trackers<'_> {
        let entries = self.entries.get(qbit).map(Vec::as_slice).unwrap_or_default();
        match self.reads.get(id) {
            Some(r) if r.on(qbit) => Trackers::Read {
                private: r.private,
                entry: r.entry.and_then(|i| entries.get(usize::from(i))),
                at: UnixTime::from(r.at),
                working: r.working,
                unregistered: r.unregistered.as_deref().map(|(since, message)| Unregistered {
                    since: *since,
                    message,
                }),
                edit: r.edit.as_deref(),
            },
            // Without entries there is nothing to pick (and nothing to pay for it).
            _ if entries.is_empty() => Trackers::Unread,
            _ => {
                let urls: Vec<&str> = urls.into_iter().collect();
                if urls.is_empty() {
                    Trackers::Unread
                } else {
                    Trackers::Hosts {
                        entry: tracker::pick(entries, &urls).and_then(|i| entries.get(i)),
                    }
                }
            }
        }
    }

    /// When the trackers of `id` were last read (0: never), for the inputs' fingerprint.
    pub(crate) fn read_at(&self, id: &TorrentId) -> UnixTime {
        self.reads.get(id).map_or(0, |r| UnixTime::from(r.at))
    }

    /// Records what `torrents/trackers` said of `id` on qBittorrent `qbit` at `now`; the name
    /// of the entry that speaks for it.
    pub(crate) fn record(
        &mut self,
        qbit: usize,
        id: TorrentId,
        list: &TrackerList,
        now: UnixTime,
    ) -> Option<&str> {
        let entries = self.entries.get(qbit).map(Vec::as_slice).unwrap_or_default();
        let entry = tracker::pick(entries, &list.urls);
        let unregistered = tracker::unregistered(list, &self.unregistered_texts).map(|message| {
            // The clock runs from the first of an unbroken run of reads that said so.
            let since = match self.reads.get(&id) {
                Some(r) if r.on(qbit) => r.unregistered.as_deref().map_or(now, |(since, _)| *since),
                _ => now,
            };
            Box::new((since, message.into()))
        });
        let edit = Some(tracker::edit(list, entries, &self.dead_texts))
            .filter(|e| !e.is_empty())
            .map(Box::new);
        // Beyond these bounds (65,535 instances or entries; the year 2106) a read is not kept:
        // the torrent counts as unread, on which nothing is removed.
        let (Ok(qbit_index), Ok(at), Ok(entry_index)) = (
            u16::try_from(qbit),
            u32::try_from(now),
            entry.map(u16::try_from).transpose(),
        ) else {
            self.reads.remove(&id);
            return None;
        };
        self.reads.insert(
            id,
            Read {
                at,
                entry: entry_index,
                qbit: qbit_index,
                private: list.private,
                working: list.working,
                unregistered,
                edit,
            },
        );
        entry.and_then(|i| entries.get(i)).map(|e| e.name.as_str())
    }

    /// Forgets the torrents `keep` says no longer matter.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&TorrentId) -> bool) {
        self.reads.retain(|id, _| keep(id));
    }

    pub(crate) fn forget(&mut self, id: &TorrentId) {
        self.reads.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::HitAndRun;

    fn entry(name: &str, host: &str) -> TrackerEntry {
        TrackerEntry {
            name: name.into(),
            host: host.into(),
            priority: -100,
            maximum_eta: None,
            max_upload_ratio: None,
            max_seeding_time: None,
            settings: Default::default(),
            add_tags: Default::default(),
            add_url: None,
            remove_if_exists: false,
            sort: false,
            hnr: HitAndRun::default(),
        }
    }

    #[test]
    fn a_read_takes_32_bytes() {
        assert!(
            std::mem::size_of::<Read>() <= 32,
            "{}",
            std::mem::size_of::<Read>()
        );
    }

    #[test]
    fn a_read_is_known_only_on_its_qbittorrent_with_that_qbittorrents_entries() {
        let one = [entry("one-a", "a.org")];
        let two = [entry("two-a", "a.org"), entry("two-b", "b.org")];
        let arr = [entry("arr-b", "b.org")];
        let mut book = TrackerBook::new(&[&one, &two], &arr, &[], &[]);
        let id = TorrentId::parse(&"ab".repeat(20)).unwrap();
        assert_eq!(book.of(0, &id, []), Trackers::Unread);
        let list = TrackerList {
            private: true,
            urls: vec!["https://b.org/announce".into()],
            ..TrackerList::default()
        };
        assert_eq!(book.record(1, id, &list, 100), Some("arr-b"));
        let Trackers::Read {
            private, entry, at, ..
        } = book.of(1, &id, [])
        else {
            panic!("read")
        };
        assert!(private);
        assert_eq!((entry.map(|e| e.name.as_str()), at), (Some("arr-b"), 100));
        assert_eq!(book.of(0, &id, []), Trackers::Unread);
        assert_eq!(book.read_at(&id), 100);
        book.forget(&id);
        assert_eq!(book.of(1, &id, []), Trackers::Unread);
    }
}
