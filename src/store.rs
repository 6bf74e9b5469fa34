//! What must survive a restart, in one redb file: per Arr instance and
//! torrent hash, the [`Memory`] of the decision core (imports already sent,
//! when a torrent was first seen stalled, searches and blocklists sent,
//! Tagless tags).
//!
//! The loop writes only what changed, once per pass, in one short write
//! transaction that is never held across an HTTP call. Values carry a
//! version byte. A store file redb cannot open is moved aside (never
//! deleted) and a fresh one is started, so a damaged file cannot make the
//! daemon crash-loop.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use redb::{Database, DatabaseError, ReadableDatabase, TableDefinition};

use crate::decide::Memory;

/// Key: `"<instance>\0<hash>"`; value: an encoded [`Memory`].
const TORRENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("torrents");

/// The current value encoding.
const VALUE_VERSION: u8 = 1;

/// redb's page cache. Its default (1 GiB) would keep every page ever read or
/// written in RAM; the store is read once at start and then written a little,
/// so a small cache costs nothing and keeps the resident size small.
const CACHE_BYTES: usize = 256 << 10;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "qbitrr-lite.redb";

#[derive(Debug)]
pub enum StoreError {
    /// Another process holds the file (a second qbitrr-lite on the same data directory).
    InUse(PathBuf),
    /// The file could not be opened, nor moved aside and recreated.
    Open { path: PathBuf, detail: String },
    /// A read or write failed.
    Io { path: PathBuf, detail: String },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InUse(p) => write!(
                f,
                "{}: the store is open in another process (is another qbitrr-lite using this data directory?)",
                p.display()
            ),
            Self::Open { path, detail } => write!(f, "{}: cannot open the store: {detail}", path.display()),
            Self::Io { path, detail } => write!(f, "{}: store read/write failed: {detail}", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}

/// The redb store. Shared by the workers (`&self`; redb serialises writers).
pub struct Store {
    db: Database,
    path: PathBuf,
}

/// What [`Store::open`] had to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenNote {
    /// Opened (or created) normally.
    Clean,
    /// The old file could not be read; it was moved to this path and a fresh store started.
    MovedAside { moved_to: PathBuf, reason: String },
}

impl Store {
    /// Opens or creates the store at `path`; an unreadable file is moved aside.
    pub fn open(path: &Path) -> Result<(Self, OpenNote), StoreError> {
        match builder().create(path) {
            Ok(db) => Ok((Self::checked(db, path)?, OpenNote::Clean)),
            Err(DatabaseError::DatabaseAlreadyOpen) | Err(DatabaseError::LockProtocolMismatch) => {
                Err(StoreError::InUse(path.to_path_buf()))
            }
            Err(e) => {
                let reason = e.to_string();
                let moved_to = aside_path(path);
                std::fs::rename(path, &moved_to).map_err(|io| StoreError::Open {
                    path: path.to_path_buf(),
                    detail: format!("{reason}; moving it aside also failed: {io}"),
                })?;
                let db = builder().create(path).map_err(|e| StoreError::Open {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                })?;
                Ok((
                    Self::checked(db, path)?,
                    OpenNote::MovedAside { moved_to, reason },
                ))
            }
        }
    }

    /// Makes sure the table exists, so reads never fail on a new file.
    fn checked(db: Database, path: &Path) -> Result<Self, StoreError> {
        let store = Self {
            db,
            path: path.to_path_buf(),
        };
        let txn = store.db.begin_write().map_err(|e| store.io(e))?;
        txn.open_table(TORRENTS).map_err(|e| store.io(e))?;
        txn.commit().map_err(|e| store.io(e))?;
        Ok(store)
    }

    fn io(&self, e: impl fmt::Display) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }

    /// Everything remembered for one instance, by torrent hash. Undecodable values are skipped.
    pub fn load(&self, instance: &str) -> Result<HashMap<String, Memory>, StoreError> {
        let mut out = HashMap::new();
        self.load_each(instance, |hash, memory| {
            out.insert(hash.to_string(), memory);
        })?;
        Ok(out)
    }

    /// Hands each record of one instance to `f` (hash, memory), without collecting them.
    pub fn load_each(&self, instance: &str, mut f: impl FnMut(&str, Memory)) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(TORRENTS).map_err(|e| self.io(e))?;
        let start = format!("{instance}\u{0}");
        let end = format!("{instance}\u{1}");
        for item in table
            .range(start.as_str()..end.as_str())
            .map_err(|e| self.io(e))?
        {
            let (key, value) = item.map_err(|e| self.io(e))?;
            let Some(hash) = key.value().strip_prefix(start.as_str()) else {
                continue;
            };
            if let Some(memory) = decode(value.value()) {
                f(hash, memory);
            }
        }
        Ok(())
    }

    /// Writes the changed records of one instance in one transaction; `None` deletes.
    pub fn save<K: fmt::Display>(
        &self,
        instance: &str,
        changes: &[(K, Option<Memory>)],
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        {
            let mut table = txn.open_table(TORRENTS).map_err(|e| self.io(e))?;
            for (hash, memory) in changes {
                let key = format!("{instance}\u{0}{hash}");
                match memory {
                    Some(m) => {
                        table
                            .insert(key.as_str(), encode(m).as_slice())
                            .map_err(|e| self.io(e))?;
                    }
                    None => {
                        table.remove(key.as_str()).map_err(|e| self.io(e))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| self.io(e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn builder() -> redb::Builder {
    let mut b = redb::Builder::new();
    b.set_cache_size(CACHE_BYTES);
    b
}

fn aside_path(path: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".corrupt-{stamp}"));
    path.with_file_name(name)
}

/// Encodes a [`Memory`]: version byte, presence bits, the present times
/// (i64 LE), then the tags (u16 count, u16 length + UTF-8 each).
pub fn encode(m: &Memory) -> Vec<u8> {
    let times = times(m);
    let mut out = Vec::with_capacity(2 + 8 * times.len() + 8);
    out.push(VALUE_VERSION);
    let mut bits = 0u8;
    for (i, t) in times.iter().enumerate() {
        if t.is_some() {
            bits |= 1 << i;
        }
    }
    out.push(bits);
    for t in times.iter().flatten() {
        out.extend_from_slice(&t.to_le_bytes());
    }
    let tags: Vec<&String> = m
        .tags
        .iter()
        .filter(|t| t.len() <= usize::from(u16::MAX))
        .collect();
    out.extend_from_slice(&u16::try_from(tags.len()).unwrap_or(u16::MAX).to_le_bytes());
    for t in tags.into_iter().take(usize::from(u16::MAX)) {
        out.extend_from_slice(&u16::try_from(t.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    out
}

fn times(m: &Memory) -> [Option<i64>; 6] {
    [
        m.first_seen,
        m.imported_at,
        m.stalled_since,
        m.blocklisted_at,
        m.searched_at,
        m.rechecked_at,
    ]
}

/// Decodes a value written by [`encode`]; `None` for an unknown version or a damaged value.
pub fn decode(bytes: &[u8]) -> Option<Memory> {
    let (&version, rest) = bytes.split_first()?;
    if version != VALUE_VERSION {
        return None;
    }
    let (&bits, mut rest) = rest.split_first()?;
    let mut times = [None; 6];
    for (i, slot) in times.iter_mut().enumerate() {
        if bits & (1 << i) != 0 {
            let (head, tail) = rest.split_at_checked(8)?;
            *slot = Some(i64::from_le_bytes(head.try_into().ok()?));
            rest = tail;
        }
    }
    let (count, mut rest) = take_u16(rest)?;
    let mut tags = BTreeSet::new();
    for _ in 0..count {
        let (len, tail) = take_u16(rest)?;
        let (tag, tail) = tail.split_at_checked(usize::from(len))?;
        tags.insert(std::str::from_utf8(tag).ok()?.to_string());
        rest = tail;
    }
    let [first_seen, imported_at, stalled_since, blocklisted_at, searched_at, rechecked_at] = times;
    Some(Memory {
        first_seen,
        imported_at,
        stalled_since,
        blocklisted_at,
        searched_at,
        rechecked_at,
        tags,
    })
}

fn take_u16(bytes: &[u8]) -> Option<(u16, &[u8])> {
    let (head, tail) = bytes.split_at_checked(2)?;
    Some((u16::from_le_bytes([head[0], head[1]]), tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Memory {
        Memory {
            first_seen: Some(1),
            imported_at: None,
            stalled_since: Some(-5),
            blocklisted_at: None,
            searched_at: Some(i64::MAX),
            rechecked_at: None,
            tags: ["qBitrr-imported".to_string(), "ü".to_string()]
                .into_iter()
                .collect(),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qbitrr-lite-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn values_round_trip_and_reject_damage() {
        let m = sample();
        let bytes = encode(&m);
        assert_eq!(decode(&bytes), Some(m));
        assert_eq!(decode(&encode(&Memory::default())), Some(Memory::default()));
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[99, 0, 0, 0]), None, "unknown version");
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "truncated at {cut}");
        }
    }

    /// The version-1 layout, byte for byte: a store written by this release stays readable.
    #[test]
    fn version_one_layout_is_stable() {
        let m = Memory {
            first_seen: Some(2),
            imported_at: Some(3),
            tags: ["t".to_string()].into_iter().collect(),
            ..Memory::default()
        };
        let expected: Vec<u8> = [
            vec![1, 0b0000_0011],
            2i64.to_le_bytes().to_vec(),
            3i64.to_le_bytes().to_vec(),
            vec![1, 0, 1, 0, b't'],
        ]
        .concat();
        assert_eq!(encode(&m), expected);
    }

    #[test]
    fn records_survive_reopen_and_are_per_instance() {
        let dir = temp_dir("reopen");
        let path = dir.join(FILE_NAME);
        {
            let (store, note) = Store::open(&path).unwrap();
            assert_eq!(note, OpenNote::Clean);
            store
                .save(
                    "Radarr-1080",
                    &[("aa", Some(sample())), ("bb", Some(Memory::default()))],
                )
                .unwrap();
            store
                .save("Radarr-10800", &[("cc", Some(Memory::default()))])
                .unwrap();
            store.save("Radarr-1080", &[("bb", None)]).unwrap();
        }
        let (store, _) = Store::open(&path).unwrap();
        let loaded = store.load("Radarr-1080").unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded["aa"], sample());
        assert_eq!(store.load("Radarr-10800").unwrap().len(), 1);
        assert!(store.load("Sonarr").unwrap().is_empty());
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_moved_aside_not_deleted() {
        let dir = temp_dir("corrupt");
        let path = dir.join(FILE_NAME);
        let garbage = vec![0xA5u8; 64 * 1024];
        std::fs::write(&path, &garbage).unwrap();
        let (store, note) = Store::open(&path).unwrap();
        let OpenNote::MovedAside { moved_to, .. } = note else {
            panic!("expected the file to be moved aside, got {note:?}");
        };
        assert_eq!(
            std::fs::read(&moved_to).unwrap(),
            garbage,
            "the old file is kept as it was"
        );
        store.save("X", &[("h", Some(sample()))]).unwrap();
        assert_eq!(store.load("X").unwrap()["h"], sample());
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_open_of_the_same_file_is_refused() {
        let dir = temp_dir("inuse");
        let path = dir.join(FILE_NAME);
        let (_store, _) = Store::open(&path).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::InUse(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
