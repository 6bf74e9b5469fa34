//! The compact torrent table behind a view: one fixed-size entry per
//! torrent (its 20-byte id, interned category, the tags the rules read as
//! bits, the numbers the rules read, an interned set of tracker URLs),
//! sorted by id, about 128 bytes each.
//! Names, paths and other tags are not kept, only what the rules ask of the
//! paths (is there a content path; is it the save path), as fingerprints:
//! what a torrent is called, where it lies and how the user tagged it is
//! read again, with everything else, just before anything is done to it.

use std::collections::HashMap;

use crate::model::{tags, Torrent, TorrentId, TorrentState};
use crate::qbit::{Field, Fields};
use crate::tracker;

/// Strings kept once, by number: categories.
#[derive(Default)]
pub(crate) struct Interner {
    strings: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub(crate) fn get(&self, id: u32) -> &str {
        self.strings.get(id as usize).map_or("", |s| s)
    }

    /// The numbers of the strings `wanted` says yes to.
    pub(crate) fn matching(&self, mut wanted: impl FnMut(&str) -> bool) -> Vec<u32> {
        (0u32..)
            .zip(&self.strings)
            .filter(|(_, s)| wanted(s))
            .map(|(id, _)| id)
            .collect()
    }
}

/// One torrent as the view keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    pub(crate) id: TorrentId,
    pub(crate) category: u32,
    /// Which of [`tags::READ_BY_RULES`] it has, one bit each; and [`TRACKERS_FAILING`] and
    /// [`SUPER_SEEDING`].
    pub(crate) tags: u8,
    /// The set of tracker URLs it announces to (a [`TrackerSets`] id; 0: none known).
    pub(crate) trackers: u32,
    pub(crate) state: TorrentState,
    pub(crate) progress: f64,
    pub(crate) ratio: f64,
    pub(crate) max_ratio: f64,
    pub(crate) amount_left: i64,
    pub(crate) size: i64,
    /// Unix times; qBittorrent's "never" (≤ 0) is 0.
    pub(crate) added_on: u32,
    pub(crate) completion_on: u32,
    pub(crate) last_activity: u32,
    pub(crate) seeding_time: u32,
    pub(crate) eta: i32,
    pub(crate) max_seeding_minutes: i32,
    /// Place in qBittorrent's download queue (0: none; places past 65535 share the last).
    pub(crate) queue_position: u16,
    /// Fingerprints of the content and save paths (trailing slashes trimmed); 0: empty.
    pub(crate) content_path: u64,
    pub(crate) save_path: u64,
    /// Its own rate limits, bytes/s (0: none).
    pub(crate) up_limit: u32,
    pub(crate) dl_limit: u32,
    /// Which of the tracker entries' AddTags names ([`Table::add_tag_names`]) it has, one bit
    /// each: the tags the rules set that are not ours. Its other tags are not kept.
    pub(crate) add_tags: u32,
}

/// Every field the rules read, the floats by their bits: equal entries hash equal. (The
/// queue position is left out: it moves for every download when one ahead of them leaves
/// the queue; the free-space guard reads it, and its verdict is fingerprinted on its own.)
impl std::hash::Hash for Entry {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        (self.category, self.tags, self.trackers, self.state).hash(h);
        (
            self.progress.to_bits(),
            self.ratio.to_bits(),
            self.max_ratio.to_bits(),
        )
            .hash(h);
        (self.amount_left, self.size).hash(h);
        (
            self.added_on,
            self.completion_on,
            self.last_activity,
            self.seeding_time,
        )
            .hash(h);
        (
            self.eta,
            self.max_seeding_minutes,
            self.content_path,
            self.save_path,
        )
            .hash(h);
        (self.up_limit, self.dl_limit, self.add_tags).hash(h);
    }
}

/// What a filled-in torrent says for a path the view only fingerprinted.
pub(crate) const CONTENT_PATH_NOT_KEPT: &str = "(content path: read again before use)";
const SAVE_PATH_NOT_KEPT: &str = "(save path: read again before use)";

/// A path without its trailing separators: paths equal once trimmed are the same place.
pub(crate) fn trimmed(path: &str) -> &str {
    path.trim_end_matches(['/', '\\'])
}

/// A path's fingerprint (of [`trimmed`]): 0 for an empty path, never 0 otherwise.
pub(crate) fn path_key(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    if path.is_empty() {
        return 0;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    trimmed(path).hash(&mut h);
    h.finish() | 1
}

fn clamp_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

impl Entry {
    /// A torrent qBittorrent has not described yet: what an object without fields means.
    pub(crate) fn blank(id: TorrentId, category: u32, tags: u8) -> Self {
        Self {
            id,
            category,
            tags,
            trackers: 0,
            state: TorrentState::Unknown,
            progress: 0.0,
            ratio: 0.0,
            max_ratio: -1.0,
            amount_left: 0,
            size: 0,
            added_on: 0,
            completion_on: 0,
            last_activity: 0,
            seeding_time: 0,
            eta: 0,
            max_seeding_minutes: -1,
            queue_position: 0,
            content_path: 0,
            save_path: 0,
            up_limit: 0,
            dl_limit: 0,
            add_tags: 0,
        }
    }

    /// `t`'s fields (category interned, tags as bits).
    pub(crate) fn from_torrent(id: TorrentId, t: &Torrent, category: u32, tags: u8, add_tags: u32) -> Self {
        Self {
            id,
            category,
            tags: tags
                | if t.tracker_working { 0 } else { TRACKERS_FAILING }
                | if t.super_seeding { SUPER_SEEDING } else { 0 },
            trackers: 0,
            state: t.state,
            progress: t.progress,
            ratio: t.ratio,
            max_ratio: t.max_ratio,
            amount_left: t.amount_left,
            size: t.size,
            added_on: clamp_u32(t.added_on),
            completion_on: clamp_u32(t.completion_on),
            last_activity: clamp_u32(t.last_activity),
            seeding_time: clamp_u32(t.seeding_time),
            eta: clamp_i32(t.eta),
            max_seeding_minutes: clamp_i32(t.max_seeding_minutes),
            queue_position: u16::try_from(t.queue_position.max(0)).unwrap_or(u16::MAX),
            content_path: path_key(&t.content_path),
            save_path: path_key(&t.save_path),
            up_limit: t.up_limit,
            dl_limit: t.dl_limit,
            add_tags,
        }
    }

    /// Takes the fields in `present` from `src` (whose category is numbered as
    /// this entry's). Whether its category changed: the one change of a known
    /// torrent that makes reading the Arr queue worth it.
    pub(crate) fn merge(&mut self, src: &Entry, present: Fields) -> bool {
        let before = self.category;
        macro_rules! take {
            ($($field:ident: $name:ident),*) => {
                $(if present.has(Field::$name) {
                    self.$field = src.$field;
                })*
            };
        }
        // The tag bits and the two flags beside them each come with their own field.
        for (field, bits) in [
            (Field::Tags, !(TRACKERS_FAILING | SUPER_SEEDING)),
            (Field::Tracker, TRACKERS_FAILING),
            (Field::SuperSeeding, SUPER_SEEDING),
        ] {
            if present.has(field) {
                self.tags = (self.tags & !bits) | (src.tags & bits);
            }
        }
        take!(
            category: Category,
            state: State,
            progress: Progress,
            ratio: Ratio,
            max_ratio: MaxRatio,
            amount_left: AmountLeft,
            size: Size,
            added_on: AddedOn,
            completion_on: CompletionOn,
            last_activity: LastActivity,
            seeding_time: SeedingTime,
            eta: Eta,
            max_seeding_minutes: MaxSeedingTime,
            queue_position: Priority,
            content_path: ContentPath,
            save_path: SavePath,
            up_limit: UpLimit,
            dl_limit: DlLimit,
            add_tags: Tags
        );
        before != self.category
    }

    /// Writes this entry into `t`, reusing its strings; the name is left empty.
    pub(crate) fn fill(&self, t: &mut Torrent, table: &Table) {
        let strings = &table.categories;
        t.hash.clear();
        self.id.write_hex(&mut t.hash);
        t.name.clear();
        t.content_path.clear();
        t.save_path.clear();
        t.tracker_url.clear();
        // Only what the rules ask of the paths holds: whether there is one, and whether they are the same.
        if self.content_path != 0 {
            t.content_path.push_str(CONTENT_PATH_NOT_KEPT);
        }
        if self.save_path != 0 {
            t.save_path.push_str(if self.save_path == self.content_path {
                CONTENT_PATH_NOT_KEPT
            } else {
                SAVE_PATH_NOT_KEPT
            });
        }
        t.category.clear();
        t.category.push_str(strings.get(self.category));
        let mut n = 0;
        // The tags the rules read: ours and the tracker entries' AddTags.
        let ours = tags::READ_BY_RULES
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.tags & 1 << bit != 0)
            .map(|(_, tag)| *tag);
        let added = (0u32..)
            .zip(&table.add_tag_names)
            .filter(|(bit, _)| self.add_tags & 1 << bit != 0)
            .map(|(_, tag)| &**tag);
        for tag in ours.chain(added) {
            match t.tags.get_mut(n) {
                Some(slot) => {
                    slot.clear();
                    slot.push_str(tag);
                }
                None => t.tags.push(tag.to_string()),
            }
            n += 1;
        }
        t.tags.truncate(n);
        t.state = self.state;
        t.progress = self.progress;
        t.ratio = self.ratio;
        t.max_ratio = self.max_ratio;
        t.amount_left = self.amount_left;
        t.size = self.size;
        t.added_on = i64::from(self.added_on);
        t.completion_on = i64::from(self.completion_on);
        t.last_activity = i64::from(self.last_activity);
        t.seeding_time = i64::from(self.seeding_time);
        t.eta = i64::from(self.eta);
        t.max_seeding_minutes = i64::from(self.max_seeding_minutes);
        t.queue_position = i64::from(self.queue_position);
        t.tracker_working = self.tracker_working();
        t.super_seeding = self.tags & SUPER_SEEDING != 0;
        t.up_limit = self.up_limit;
        t.dl_limit = self.dl_limit;
    }

    /// Whether some tracker answered its last announce (see [`Torrent::tracker_working`]).
    pub(crate) fn tracker_working(&self) -> bool {
        self.tags & TRACKERS_FAILING == 0
    }
}

/// The bit of [`Entry::tags`] that says no tracker answered the torrent's last announce (it
/// has room beside the tags).
const TRACKERS_FAILING: u8 = 1 << 7;
/// The bit of [`Entry::tags`] that says super-seeding is on.
const SUPER_SEEDING: u8 = 1 << 6;
const _: () = assert!(tags::READ_BY_RULES.len() < 7);

/// The tags of `t` the rules read, as bits.
pub(crate) fn tag_bits(t: &Torrent) -> u8 {
    tags::READ_BY_RULES
        .iter()
        .enumerate()
        .filter(|(_, tag)| t.has_tag(tag))
        .fold(0, |bits, (bit, _)| bits | 1 << bit)
}

/// Sets of tracker URLs, each kept once; set 0 is the empty one. A torrent's
/// entry holds the id of its set, so a library whose torrents share their
/// trackers (a private tracker's) costs a few sets, not a list per torrent.
pub(crate) struct TrackerSets {
    urls: Interner,
    sets: Vec<Box<[u32]>>,
    ids: HashMap<Box<[u32]>, u32>,
}

impl Default for TrackerSets {
    fn default() -> Self {
        let empty: Box<[u32]> = Box::new([]);
        Self {
            urls: Interner::default(),
            sets: vec![empty.clone()],
            ids: HashMap::from([(empty, 0)]),
        }
    }
}

impl TrackerSets {
    /// Set `set` with `url` added (`present`) or removed.
    fn with(&mut self, set: u32, url: u32, present: bool) -> u32 {
        let mut urls: Vec<u32> = self
            .sets
            .get(set as usize)
            .map(|s| s.to_vec())
            .unwrap_or_default();
        match (urls.binary_search(&url), present) {
            (Err(i), true) => urls.insert(i, url),
            (Ok(i), false) => {
                urls.remove(i);
            }
            _ => return set,
        }
        let urls: Box<[u32]> = urls.into();
        if let Some(&id) = self.ids.get(&urls) {
            return id;
        }
        let id = u32::try_from(self.sets.len()).unwrap_or(u32::MAX);
        self.sets.push(urls.clone());
        self.ids.insert(urls, id);
        id
    }

    fn contains(&self, set: u32, url: u32) -> bool {
        self.sets
            .get(set as usize)
            .is_some_and(|s| s.binary_search(&url).is_ok())
    }

    /// The URLs of set `set`.
    pub(crate) fn urls(&self, set: u32) -> impl Iterator<Item = &str> {
        self.sets
            .get(set as usize)
            .into_iter()
            .flat_map(|s| s.iter())
            .map(|u| self.urls.get(*u))
    }
}

/// The torrents, sorted by id, with a change counter per category.
#[derive(Default)]
pub(crate) struct Table {
    entries: Vec<Entry>,
    pub(crate) categories: Interner,
    /// The tracker entries' AddTags names, bit `i` of [`Entry::add_tags`] standing for the `i`th
    /// (at most [`tracker::MAX_ADD_TAG_NAMES`]). Fixed before the first read: kept as bits, a
    /// library's tags cost nothing per distinct combination.
    add_tag_names: Vec<Box<str>>,
    pub(crate) trackers: TrackerSets,
    /// Bumped for a category whenever a torrent comes into it or leaves it
    /// (added, removed, moved): what makes reading the Arr queue worth it (its
    /// rows are remembered for removals). A completion needs no queue: the
    /// import command is sent on the torrent alone and followed to its end.
    changes: HashMap<u32, u64>,
}

impl Table {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// An empty table that keeps the same AddTags names.
    pub(crate) fn empty_like(&self) -> Self {
        Self {
            add_tag_names: self.add_tag_names.clone(),
            ..Self::default()
        }
    }

    /// Keeps these AddTags names too; whether one was new (what the table holds then says
    /// nothing of it: read it all again). Names past [`tracker::MAX_ADD_TAG_NAMES`] are not kept
    /// (the config allows no more).
    pub(crate) fn watch_tags<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> bool {
        let mut new = false;
        for name in names {
            if !self.add_tag_names.iter().any(|n| **n == *name)
                && self.add_tag_names.len() < tracker::MAX_ADD_TAG_NAMES
            {
                self.add_tag_names.push(name.into());
                new = true;
            }
        }
        new
    }

    /// Which of the AddTags names `t` has, as [`Entry::add_tags`] bits.
    fn add_tag_bits(&self, t: &Torrent) -> u32 {
        (0u32..)
            .zip(&self.add_tag_names)
            .filter(|(_, name)| t.has_tag(name))
            .fold(0, |bits, (bit, _)| bits | 1 << bit)
    }

    /// `bits` of `from`'s AddTags names, as this table numbers them.
    fn add_tags_from(&self, bits: u32, from: &Table) -> u32 {
        if bits == 0 || from.add_tag_names == self.add_tag_names {
            return bits;
        }
        (0u32..)
            .zip(&from.add_tag_names)
            .filter(|(bit, _)| bits & 1 << bit != 0)
            .filter_map(|(_, name)| self.add_tag_names.iter().position(|n| n == name))
            .fold(0, |out, bit| out | 1 << bit)
    }

    pub(crate) fn get(&self, id: &TorrentId) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.id.cmp(id))
            .ok()
            .map(|i| &self.entries[i])
    }

    fn bump(&mut self, category: u32) {
        *self.changes.entry(category).or_default() += 1;
    }

    /// The change counters of these categories, summed.
    pub(crate) fn changes_of_all(&self, categories: &[u32]) -> u64 {
        categories
            .iter()
            .filter_map(|c| self.changes.get(c))
            .fold(0, |sum, n| sum.wrapping_add(*n))
    }

    /// The change counter of `category` (0 for one never seen).
    #[cfg(test)]
    pub(crate) fn changes_of(&self, category: &str) -> u64 {
        self.categories
            .find(category)
            .and_then(|c| self.changes.get(&c).copied())
            .unwrap_or(0)
    }

    /// Merges the fields in `present` of `src` (numbered as `from`'s strings)
    /// into the torrent, adding it if new.
    pub(crate) fn merge_from(&mut self, src: &Entry, present: Fields, from: &Table) {
        let mut e = *src;
        e.category = self.categories.intern(from.categories.get(src.category));
        e.add_tags = self.add_tags_from(src.add_tags, from);
        match self.entries.binary_search_by(|x| x.id.cmp(&src.id)) {
            Ok(i) => {
                let old = self.entries[i].category;
                if self.entries[i].merge(&e, present) {
                    let new = self.entries[i].category;
                    self.bump(old);
                    if new != old {
                        self.bump(new);
                    }
                }
            }
            Err(i) => {
                let mut blank = Entry::blank(e.id, self.categories.intern(""), 0);
                blank.merge(&e, present);
                self.bump(blank.category);
                self.insert_at(i, blank);
            }
        }
    }

    /// The torrent as `torrents/info` lists it (every field), added if new.
    /// Puts `t` in as a torrent list has it: its announce URLs are only the one that answered
    /// last (`tracker`).
    pub(crate) fn upsert(&mut self, id: TorrentId, t: &Torrent) {
        let category = self.categories.intern(&t.category);
        let mut e = Entry::from_torrent(id, t, category, tag_bits(t), self.add_tag_bits(t));
        if !t.tracker_url.is_empty() {
            let url = self.trackers.urls.intern(&t.tracker_url);
            e.trackers = self.trackers.with(0, url, true);
        }
        match self.entries.binary_search_by(|x| x.id.cmp(&id)) {
            Ok(i) => {
                let old = self.entries[i];
                self.entries[i] = e;
                if old.category != e.category {
                    self.bump(old.category);
                    self.bump(e.category);
                }
            }
            Err(i) => {
                self.bump(e.category);
                self.insert_at(i, e);
            }
        }
    }

    pub(crate) fn remove(&mut self, id: &TorrentId) -> bool {
        match self.entries.binary_search_by(|e| e.id.cmp(id)) {
            Ok(i) => {
                let e = self.entries.remove(i);
                self.bump(e.category);
                true
            }
            Err(_) => false,
        }
    }

    /// Announce URL `url` now has exactly the torrents `hashes` (sorted; `None`: the
    /// URL is gone).
    pub(crate) fn set_tracker(&mut self, url: &str, hashes: Option<&[TorrentId]>) {
        let uid = self.trackers.urls.intern(url);
        let hashes = hashes.unwrap_or_default();
        for e in &mut self.entries {
            let want = hashes.binary_search(&e.id).is_ok();
            if self.trackers.contains(e.trackers, uid) != want {
                e.trackers = self.trackers.with(e.trackers, uid, want);
            }
        }
    }

    /// Drops the torrents of `category` that `keep` does not hold.
    pub(crate) fn retain_in_categories(&mut self, categories: &[u32], keep: impl Fn(&TorrentId) -> bool) {
        let mut dropped = Vec::new();
        self.entries.retain(|e| {
            let stays = !categories.contains(&e.category) || keep(&e.id);
            if !stays && !dropped.contains(&e.category) {
                dropped.push(e.category);
            }
            stays
        });
        for c in dropped {
            self.bump(c);
        }
    }

    /// Replaces everything with `entries` (a full update), keeping the change counters
    /// (bumped for every category, since anything may have changed).
    pub(crate) fn replace(&mut self, mut fresh: Table) {
        for (c, n) in &self.changes {
            let name = self.categories.get(*c);
            let id = fresh.categories.intern(name);
            *fresh.changes.entry(id).or_default() += n + 1;
        }
        fresh.entries.sort_unstable_by_key(|e| e.id);
        fresh.entries.dedup_by(|a, b| a.id == b.id);
        fresh
            .entries
            .shrink_to(fresh.entries.len() + fresh.entries.len() / 8 + 16);
        *self = fresh;
    }

    /// Adds an entry for a table being built (sorted once, by [`Self::replace`]);
    /// what `present` does not hold is the default.
    pub(crate) fn push_unsorted(&mut self, id: TorrentId, t: &Torrent, present: Fields) {
        let category = self.categories.intern(if present.has(Field::Category) {
            &t.category
        } else {
            ""
        });
        let (tags, add_tags) = if present.has(Field::Tags) {
            (tag_bits(t), self.add_tag_bits(t))
        } else {
            (0, 0)
        };
        let mut e = Entry::blank(id, category, tags);
        e.merge(&Entry::from_torrent(id, t, category, tags, add_tags), present);
        self.entries.push(e);
    }

    /// Inserts at `i`, growing the table by an eighth when full (not by doubling:
    /// a library grows a little at a time).
    fn insert_at(&mut self, i: usize, e: Entry) {
        if self.entries.len() == self.entries.capacity() {
            self.entries.reserve_exact(self.entries.len() / 8 + 16);
        }
        self.entries.insert(i, e);
    }

    /// The entries of the torrents whose category is one of `categories`.
    pub(crate) fn each_in(&self, categories: &[&str], f: impl FnMut(&Entry)) {
        let ids: Vec<u32> = categories
            .iter()
            .filter_map(|c| self.categories.find(c))
            .collect();
        self.each_of(&ids, f);
    }

    /// Each torrent whose category has one of these numbers.
    pub(crate) fn each_of(&self, categories: &[u32], mut f: impl FnMut(&Entry)) {
        for e in &self.entries {
            if categories.contains(&e.category) {
                f(e);
            }
        }
    }
}
