//! The worker's per-torrent memory in RAM: the decision core's [`Memory`] of
//! every torrent it remembers, and when it last saw each one, in 32 bytes
//! per torrent.
//!
//! Most torrents only ever have `first_seen` and, once imported,
//! `imported_at`: those are kept as two 32-bit Unix times in a vector sorted
//! by id (binary search; no hash-table slack, which at 5,000 torrents doubles
//! the size). Anything else (stall clock, blocklist, search, recheck times,
//! Tagless tags) is rarer and kept whole in a side map. Torrents first
//! remembered during a pass wait in a small map and are merged in by
//! [`MemoryTable::settle`] at its end, so a first pass over thousands of new
//! torrents does not shift the vector once per torrent.
//!
//! Each slot also holds the torrent's last decision without actions, while it
//! stands ([`Held`]): a fingerprint of what it was decided on and until when,
//! so a pass decides again only the torrents whose inputs changed or whose
//! time came. Any change of the memory drops it.

use std::collections::HashMap;

use crate::model::{ImportState, Memory};
use crate::model::{TorrentId, UnixTime};

/// Per-torrent memory, keyed by [`TorrentId`].
#[derive(Default)]
pub(super) struct MemoryTable {
    /// Sorted by id, no duplicates.
    sorted: Vec<(TorrentId, Slot)>,
    /// Remembered since the last `settle()`; never also in `sorted`.
    fresh: HashMap<TorrentId, Slot>,
    /// The whole memory of slots marked [`Slot::RARE`].
    rare: HashMap<TorrentId, Memory>,
}

/// A decision without actions that stands until `until` while its inputs
/// (their fingerprint `print`) do not change; `until == 0`: none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Held {
    pub(super) print: u32,
    /// Unix time (clamped to u32).
    pub(super) until: u32,
    /// The rule, as an index into `Rule::ALL`.
    pub(super) rule: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// Unix time, 0 for none, or [`Slot::RARE`]: the memory is in `rare`.
    first_seen: u32,
    /// Unix time, 0 for none.
    imported_at: u32,
    /// When the torrent was last listed, in the caller's clock (seconds).
    last_seen: u32,
    held: Held,
}

impl Slot {
    const RARE: u32 = u32::MAX;

    /// The slot for `m`, and whether it needs a `rare` entry.
    fn new(m: &Memory, last_seen: u32) -> (Self, bool) {
        let common = m.import == ImportState::None
            && m.stalled_since.is_none()
            && m.blocklisted_at.is_none()
            && m.searched_at.is_none()
            && m.rechecked_at.is_none()
            && m.files_checked_at.is_none()
            && m.all_files_excluded_at.is_none()
            && m.tags.is_empty();
        match (common, pack_time(m.first_seen), pack_time(m.imported_at)) {
            (true, Some(first_seen), Some(imported_at)) => (
                Self {
                    first_seen,
                    imported_at,
                    last_seen,
                    held: Held::default(),
                },
                false,
            ),
            _ => (
                Self {
                    first_seen: Self::RARE,
                    imported_at: 0,
                    last_seen,
                    held: Held::default(),
                },
                true,
            ),
        }
    }
}

/// `None` → 0; a time from 1970 to 2106 → itself; anything else cannot be packed.
fn pack_time(t: Option<UnixTime>) -> Option<u32> {
    match t {
        None => Some(0),
        Some(t) => u32::try_from(t).ok().filter(|&t| t > 0 && t != Slot::RARE),
    }
}

fn unpack_time(t: u32) -> Option<UnixTime> {
    (t != 0).then_some(UnixTime::from(t))
}

impl MemoryTable {
    pub(super) fn len(&self) -> usize {
        self.sorted.len() + self.fresh.len()
    }

    fn slot(&self, id: &TorrentId) -> Option<Slot> {
        match self.sorted.binary_search_by(|(k, _)| k.cmp(id)) {
            Ok(i) => Some(self.sorted[i].1),
            Err(_) => self.fresh.get(id).copied(),
        }
    }

    fn slot_mut(&mut self, id: &TorrentId) -> Option<&mut Slot> {
        match self.sorted.binary_search_by(|(k, _)| k.cmp(id)) {
            Ok(i) => Some(&mut self.sorted[i].1),
            Err(_) => self.fresh.get_mut(id),
        }
    }

    fn unpack(&self, id: &TorrentId, slot: Slot) -> Memory {
        if slot.first_seen == Slot::RARE {
            return self.rare.get(id).cloned().unwrap_or_default();
        }
        Memory {
            first_seen: unpack_time(slot.first_seen),
            imported_at: unpack_time(slot.imported_at),
            ..Memory::default()
        }
    }

    /// Whether `id` is remembered.
    pub(super) fn contains(&self, id: &TorrentId) -> bool {
        self.slot(id).is_some()
    }

    /// What is remembered of `id`.
    pub(super) fn get(&self, id: &TorrentId) -> Option<Memory> {
        self.slot(id).map(|slot| self.unpack(id, slot))
    }

    /// What is remembered of `id` and its held decision, recording that it was
    /// listed at `now` (one lookup).
    pub(super) fn get_seen_held(&mut self, id: &TorrentId, now: u32) -> Option<(Memory, Held)> {
        let slot = self.slot_mut(id)?;
        slot.last_seen = now;
        let slot = *slot;
        Some((self.unpack(id, slot), slot.held))
    }

    /// Holds a decision for `id` (remembered; otherwise nothing is held).
    pub(super) fn hold(&mut self, id: &TorrentId, held: Held) {
        if let Some(slot) = self.slot_mut(id) {
            slot.held = held;
        }
    }

    /// Remembers `memory` for `id`, seen at `now` (dropping a held decision).
    pub(super) fn insert(&mut self, id: TorrentId, memory: &Memory, now: u32) {
        let (slot, rare) = Slot::new(memory, now);
        if rare {
            self.rare.insert(id, memory.clone());
        } else {
            self.rare.remove(&id);
        }
        match self.slot_mut(&id) {
            Some(existing) => *existing = slot,
            None => {
                self.fresh.insert(id, slot);
            }
        }
    }

    /// Records that `id` was listed at `now`, if it is remembered.
    pub(super) fn seen(&mut self, id: &TorrentId, now: u32) {
        if let Some(slot) = self.slot_mut(id) {
            slot.last_seen = now;
        }
    }

    /// Forgets `id`; true when it was remembered.
    pub(super) fn remove(&mut self, id: &TorrentId) -> bool {
        self.rare.remove(id);
        match self.sorted.binary_search_by(|(k, _)| k.cmp(id)) {
            Ok(i) => {
                self.sorted.remove(i);
                true
            }
            Err(_) => self.fresh.remove(id).is_some(),
        }
    }

    /// Merges the torrents remembered since the last call into the sorted vector.
    pub(super) fn settle(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        let mut fresh: Vec<(TorrentId, Slot)> = self.fresh.drain().collect();
        self.fresh.shrink_to_fit();
        fresh.sort_unstable_by_key(|(id, _)| *id);
        let old = std::mem::take(&mut self.sorted);
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        loop {
            let take_old = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0 < y.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_old { a.next() } else { b.next() });
        }
        self.sorted = merged;
    }

    /// Forgets and returns every torrent last seen before `before`.
    pub(super) fn forget_unseen_since(&mut self, before: u32) -> Vec<TorrentId> {
        let mut gone = Vec::new();
        self.sorted.retain(|(id, slot)| {
            let keep = slot.last_seen >= before;
            if !keep {
                gone.push(*id);
            }
            keep
        });
        self.fresh.retain(|id, slot| {
            let keep = slot.last_seen >= before;
            if !keep {
                gone.push(*id);
            }
            keep
        });
        for id in &gone {
            self.rare.remove(id);
        }
        if !gone.is_empty() {
            self.sorted.shrink_to_fit();
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
        let importing = Memory {
            import: crate::model::ImportState::Sent {
                since: 1_700_000_300,
                command: 9,
                attempt: 1,
            },
            ..common.clone()
        };
        let mut table = MemoryTable::default();
        for (n, m) in [&Memory::default(), &common, &rare, &odd_times, &zero, &importing]
            .into_iter()
            .enumerate()
        {
            table.insert(id(n as u8), m, 1);
            assert_eq!(table.get(&id(n as u8)).as_ref(), Some(m));
        }
        assert!(!Slot::new(&common, 0).1);
        for m in [&rare, &odd_times, &zero, &importing] {
            assert!(Slot::new(m, 0).1, "{m:?}");
        }
        assert_eq!(table.get(&id(9)), None);
        // The same after they are merged into the sorted vector, and after a change.
        table.settle();
        for (n, m) in [&Memory::default(), &common, &rare, &odd_times, &zero]
            .into_iter()
            .enumerate()
        {
            assert_eq!(table.get(&id(n as u8)).as_ref(), Some(m));
        }
        table.insert(id(2), &common, 2);
        table.insert(id(1), &rare, 2);
        assert_eq!(table.get(&id(2)), Some(common.clone()));
        assert_eq!(table.get(&id(1)), Some(rare.clone()));
        assert_eq!(table.rare.len(), 4, "rare, odd_times, zero, importing");
    }

    #[test]
    fn only_torrents_unseen_since_the_cut_off_are_forgotten() {
        let mut table = MemoryTable::default();
        table.insert(id(1), &Memory::default(), 10);
        table.insert(id(2), &Memory::default(), 10);
        table.seen(&id(2), 20);
        table.seen(&id(3), 20); // not remembered: stays so
        assert_eq!(table.get_seen_held(&id(4), 30), None);
        table.insert(id(5), &Memory::default(), 10);
        assert_eq!(
            table.get_seen_held(&id(5), 20),
            Some((Memory::default(), Held::default()))
        );
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
        assert_eq!(std::mem::size_of::<(TorrentId, Slot)>(), 44);
    }

    #[test]
    fn settling_keeps_the_vector_sorted_and_every_torrent_once() {
        let mut table = MemoryTable::default();
        let m = |t: i64| Memory {
            first_seen: Some(t),
            ..Memory::default()
        };
        for round in 0..3u8 {
            for n in (0..60u8).rev().filter(|n| n % 3 == round) {
                table.insert(id(n), &m(1000 + i64::from(n)), 1);
                // Listed again in the same pass (a second qBittorrent): still one entry.
                table.insert(id(n), &m(1000 + i64::from(n)), 1);
            }
            table.settle();
        }
        assert_eq!(table.len(), 60);
        assert!(table.fresh.is_empty());
        assert!(table.sorted.windows(2).all(|w| w[0].0 < w[1].0));
        for n in 0..60u8 {
            assert_eq!(table.get(&id(n)), Some(m(1000 + i64::from(n))));
        }
        assert!(table.remove(&id(30)));
        assert_eq!(table.get(&id(30)), None);
        assert_eq!(table.len(), 59);
    }
}

#[cfg(test)]
mod held_tests {
    use super::*;

    #[test]
    fn a_held_decision_is_kept_until_the_memory_changes() {
        let id = TorrentId::parse(&"ab".repeat(20)).unwrap();
        let mut table = MemoryTable::default();
        let held = Held {
            print: 7,
            until: 100,
            rule: 3,
        };
        table.hold(&id, held);
        assert_eq!(
            table.get_seen_held(&id, 1),
            None,
            "nothing is held for a torrent not remembered"
        );
        table.insert(id, &Memory::default(), 1);
        table.hold(&id, held);
        assert_eq!(table.get_seen_held(&id, 2).map(|(_, h)| h), Some(held));
        table.settle();
        assert_eq!(
            table.get_seen_held(&id, 3).map(|(_, h)| h),
            Some(held),
            "settling keeps it"
        );
        let changed = Memory {
            first_seen: Some(5),
            ..Memory::default()
        };
        table.insert(id, &changed, 4);
        assert_eq!(table.get_seen_held(&id, 5), Some((changed, Held::default())));
    }
}
