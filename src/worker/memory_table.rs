//! The worker's per-torrent memory in RAM: the decision core's [`Memory`] of
//! every torrent it remembers, and when it last saw each one, in about 50
//! bytes per torrent.
//!
//! Most torrents only ever have `first_seen` and, once imported,
//! `imported_at`: those are kept as two 32-bit Unix times. Anything else
//! (stall clock, blocklist, search, recheck times, Tagless tags) is rarer and
//! boxed. A full `Memory` keyed by its hex hash took ~480 bytes.

use std::collections::HashMap;

use crate::decide::Memory;
use crate::model::{TorrentId, UnixTime};

/// Per-torrent memory, keyed by [`TorrentId`].
#[derive(Default)]
pub struct MemoryTable {
    entries: HashMap<TorrentId, Entry>,
}

struct Entry {
    memory: Packed,
    /// When the torrent was last listed, in the caller's clock (seconds).
    last_seen: u32,
}

enum Packed {
    /// Only these two times, 0 for none.
    Common {
        first_seen: u32,
        imported_at: u32,
    },
    Other(Box<Memory>),
}

impl Packed {
    fn new(m: &Memory) -> Self {
        let rare = m.stalled_since.is_some()
            || m.blocklisted_at.is_some()
            || m.searched_at.is_some()
            || m.rechecked_at.is_some()
            || !m.tags.is_empty();
        match (rare, pack_time(m.first_seen), pack_time(m.imported_at)) {
            (false, Some(first_seen), Some(imported_at)) => Self::Common {
                first_seen,
                imported_at,
            },
            _ => Self::Other(Box::new(m.clone())),
        }
    }

    fn unpack(&self) -> Memory {
        match self {
            Self::Common {
                first_seen,
                imported_at,
            } => Memory {
                first_seen: unpack_time(*first_seen),
                imported_at: unpack_time(*imported_at),
                ..Memory::default()
            },
            Self::Other(m) => (**m).clone(),
        }
    }
}

/// `None` → 0; a time from 1970 to 2106 → itself; anything else cannot be packed.
fn pack_time(t: Option<UnixTime>) -> Option<u32> {
    match t {
        None => Some(0),
        Some(t) => u32::try_from(t).ok().filter(|&t| t > 0),
    }
}

fn unpack_time(t: u32) -> Option<UnixTime> {
    (t != 0).then_some(UnixTime::from(t))
}

impl MemoryTable {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// What is remembered of `id`.
    pub fn get(&self, id: &TorrentId) -> Option<Memory> {
        self.entries.get(id).map(|e| e.memory.unpack())
    }

    /// What is remembered of `id`, recording that it was listed at `now` (one lookup).
    pub fn get_seen(&mut self, id: &TorrentId, now: u32) -> Option<Memory> {
        self.entries.get_mut(id).map(|e| {
            e.last_seen = now;
            e.memory.unpack()
        })
    }

    /// Remembers `memory` for `id`, seen at `now`.
    pub fn insert(&mut self, id: TorrentId, memory: &Memory, now: u32) {
        let entry = Entry {
            memory: Packed::new(memory),
            last_seen: now,
        };
        self.entries.insert(id, entry);
    }

    /// Records that `id` was listed at `now`, if it is remembered.
    pub fn seen(&mut self, id: &TorrentId, now: u32) {
        if let Some(e) = self.entries.get_mut(id) {
            e.last_seen = now;
        }
    }

    /// Forgets `id`; true when it was remembered.
    pub fn remove(&mut self, id: &TorrentId) -> bool {
        self.entries.remove(id).is_some()
    }

    /// Forgets and returns every torrent last seen before `before`.
    pub fn forget_unseen_since(&mut self, before: u32) -> Vec<TorrentId> {
        let gone: Vec<TorrentId> = self
            .entries
            .iter()
            .filter(|(_, e)| e.last_seen < before)
            .map(|(id, _)| *id)
            .collect();
        for id in &gone {
            self.entries.remove(id);
        }
        if !gone.is_empty() {
            self.entries.shrink_to_fit();
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> TorrentId {
        TorrentId::parse(&format!("{n:02x}").repeat(20)).unwrap()
    }

    #[test]
    fn every_memory_comes_back_as_it_went_in() {
        let common = Memory {
            first_seen: Some(1_700_000_000),
            imported_at: Some(1_700_000_100),
            ..Memory::default()
        };
        let rare = Memory {
            stalled_since: Some(1_700_000_200),
            searched_at: Some(5),
            tags: ["qBitrr-allowed_stalled".to_string()].into(),
            ..common.clone()
        };
        let odd_times = Memory {
            first_seen: Some(-5),
            imported_at: Some(i64::from(u32::MAX) + 1),
            ..Memory::default()
        };
        let zero = Memory {
            first_seen: Some(0),
            ..Memory::default()
        };
        let mut table = MemoryTable::default();
        for (n, m) in [&Memory::default(), &common, &rare, &odd_times, &zero]
            .into_iter()
            .enumerate()
        {
            table.insert(id(n as u8), m, 1);
            assert_eq!(table.get(&id(n as u8)).as_ref(), Some(m));
        }
        assert!(matches!(Packed::new(&common), Packed::Common { .. }));
        assert!(matches!(Packed::new(&rare), Packed::Other(_)));
        assert!(matches!(Packed::new(&odd_times), Packed::Other(_)));
        assert!(matches!(Packed::new(&zero), Packed::Other(_)));
        assert_eq!(table.get(&id(9)), None);
    }

    #[test]
    fn only_torrents_unseen_since_the_cut_off_are_forgotten() {
        let mut table = MemoryTable::default();
        table.insert(id(1), &Memory::default(), 10);
        table.insert(id(2), &Memory::default(), 10);
        table.seen(&id(2), 20);
        table.seen(&id(3), 20); // not remembered: stays so
        assert_eq!(table.get_seen(&id(4), 30), None);
        table.insert(id(5), &Memory::default(), 10);
        assert_eq!(table.get_seen(&id(5), 20), Some(Memory::default()));
        assert_eq!(table.forget_unseen_since(15), vec![id(1)]);
        assert_eq!(table.len(), 2);
        assert!(table.remove(&id(5)));
        assert!(table.forget_unseen_since(20).is_empty());
        assert!(table.remove(&id(2)));
        assert!(!table.remove(&id(2)));
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn an_entry_stays_small() {
        assert!(std::mem::size_of::<(TorrentId, Entry)>() <= 48);
    }
}
