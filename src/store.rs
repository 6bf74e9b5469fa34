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

use std::collections::BTreeSet;
#[cfg(test)]
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use log::{error, warn};

use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};

use crate::model::{AuditEntry, ImportState, Intent, Memory, UnixTime};

/// Key: `"<instance>\0<hash>"`; value: an encoded [`Memory`].
const TORRENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("torrents");
/// Key: `"<instance>\0<hash>"`; value: [`INTENT_VERSION`] then an [`Intent`] as JSON
/// (few and short-lived, so readability wins over size).
const INTENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("intents");

/// The current intent encoding.
const INTENT_VERSION: u8 = 1;
/// Key: time << 20 | a counter (unique, in time order); value: an [`AuditEntry`] as JSON.
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// The audit log keeps at most this many entries…
pub(crate) const AUDIT_MAX_ENTRIES: u64 = 10_000;
/// …and none older than this.
pub(crate) const AUDIT_MAX_AGE_SECS: i64 = 90 * 86_400;

/// The value encoding of a torrent's memory.
const VALUE_VERSION: u8 = 1;
/// The same, followed by an import under way.
const VALUE_VERSION_IMPORT: u8 = 2;

/// redb's page cache. Its default (1 GiB) would keep every page ever read or
/// written in RAM; the store is read once at start and then written a little,
/// so a small cache costs nothing and keeps the resident size small.
const CACHE_BYTES: usize = 256 << 10;

/// The file name inside the data directory.
pub(crate) const FILE_NAME: &str = "qbitrr-lite.redb";

/// What went wrong with the store, sorted by what a caller can do about it.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// Another process holds the file (a second qbitrr-lite on the same data directory).
    InUse { path: PathBuf },
    /// The file's contents are damaged: move it aside and start afresh.
    Corrupt { path: PathBuf, source: redb::Error },
    /// The file or its directory may not be read or written by this user.
    Permission { path: PathBuf, source: redb::Error },
    /// The disk (or quota) is full: retry once space is freed.
    NoSpace { path: PathBuf, source: redb::Error },
    /// An earlier I/O error poisoned the open handle: reopen the store.
    Poisoned { path: PathBuf, source: redb::Error },
    /// Any other read or write failure.
    Io { path: PathBuf, source: redb::Error },
    /// The damaged file could not be moved aside.
    MoveAside {
        path: PathBuf,
        reason: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Sorts a redb error on `path` into what can be done about it.
    fn classify(path: &Path, e: impl Into<redb::Error>) -> Self {
        let path = path.to_path_buf();
        let source: redb::Error = e.into();
        match &source {
            redb::Error::DatabaseAlreadyOpen | redb::Error::LockProtocolMismatch => Self::InUse { path },
            redb::Error::Corrupted(_) | redb::Error::UpgradeRequired(_) => Self::Corrupt { path, source },
            redb::Error::PreviousIo | redb::Error::LockPoisoned(_) | redb::Error::DatabaseClosed => {
                Self::Poisoned { path, source }
            }
            redb::Error::Io(io) => match io.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    Self::Permission { path, source }
                }
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    Self::NoSpace { path, source }
                }
                _ => Self::Io { path, source },
            },
            _ => Self::Io { path, source },
        }
    }

    /// The store file the error is about.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Self::InUse { path }
            | Self::Corrupt { path, .. }
            | Self::Permission { path, .. }
            | Self::NoSpace { path, .. }
            | Self::Poisoned { path, .. }
            | Self::Io { path, .. }
            | Self::MoveAside { path, .. } => path,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path().display();
        match self {
            Self::InUse { .. } => write!(
                f,
                "{path}: the store is open in another process (is another qbitrr-lite using this data directory?)"
            ),
            Self::Corrupt { source, .. } => write!(f, "{path}: the store is damaged: {source}"),
            Self::Permission { source, .. } => write!(f, "{path}: no permission to use the store: {source}"),
            Self::NoSpace { source, .. } => write!(f, "{path}: no space left for the store: {source}"),
            Self::Poisoned { source, .. } => {
                write!(f, "{path}: the store must be reopened after an earlier I/O error: {source}")
            }
            Self::Io { source, .. } => write!(f, "{path}: store read/write failed: {source}"),
            Self::MoveAside { reason, source, .. } => write!(
                f,
                "{path}: cannot open the store: {reason}; moving it aside also failed: {source}"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InUse { .. } => None,
            Self::Corrupt { source, .. }
            | Self::Permission { source, .. }
            | Self::NoSpace { source, .. }
            | Self::Poisoned { source, .. }
            | Self::Io { source, .. } => Some(source),
            Self::MoveAside { source, .. } => Some(source),
        }
    }
}

/// Whether a worker's writes reach the file. Chosen once, where the worker is
/// built: a dry run reads what earlier runs remembered and writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writes {
    Commit,
    Discard,
}

/// The redb store. Shared by the workers (`&self`; redb serialises writers).
pub(crate) struct Store {
    db: Database,
    path: PathBuf,
    /// The last audit key handed out.
    audit_key: std::sync::atomic::AtomicU64,
}

/// One Arr instance's records in the shared store, as its worker reads and writes them.
#[derive(Clone)]
pub(crate) struct InstanceRecords {
    store: Arc<Store>,
    instance: String,
    writes: Writes,
}

impl InstanceRecords {
    pub(crate) fn new(store: Arc<Store>, instance: &str, writes: Writes) -> Self {
        Self {
            store,
            instance: instance.to_string(),
            writes,
        }
    }

    /// Hands each record to `f` (hash, memory).
    pub(crate) fn load_each(&self, f: impl FnMut(&str, Memory)) -> Result<(), StoreError> {
        self.store.load_each(&self.instance, f)
    }

    /// Writes changed records in one transaction (`None` deletes); nothing with [`Writes::Discard`].
    pub(crate) fn save<K: fmt::Display>(&self, changes: &[(K, Option<Memory>)]) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.store.save(&self.instance, changes),
            Writes::Discard => Ok(()),
        }
    }

    /// Appends this worker's audit entries; a dry run's are marked as only decided
    /// (and written all the same: the audit log is ours, not qBittorrent's or the Arr's).
    pub(crate) fn append_audit(&self, mut entries: Vec<AuditEntry>) -> Result<(), StoreError> {
        if self.writes == Writes::Discard {
            for entry in &mut entries {
                entry.dry_run = true;
            }
        }
        self.store.append_audit(&entries)
    }

    /// Hands each unfinished intent to `f` (hash, intent).
    pub(crate) fn load_intents(&self, f: impl FnMut(&str, Intent)) -> Result<(), StoreError> {
        self.store.load_intents(&self.instance, f)
    }

    /// Records an intent (or, with `None`, that it is finished); nothing with [`Writes::Discard`].
    pub(crate) fn save_intent(&self, hash: &str, intent: Option<&Intent>) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.store.save_intent(&self.instance, hash, intent),
            Writes::Discard => Ok(()),
        }
    }
}

/// What [`Store::open`] had to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpenNote {
    /// Opened (or created) normally.
    Clean,
    /// The old file could not be read; it was moved to this path and a fresh store started.
    MovedAside { moved_to: PathBuf, reason: String },
}

/// Opens the store in `data_dir`, moving a damaged file aside (and saying so in the log).
pub(crate) fn open_store(data_dir: &Path) -> Result<Arc<Store>, StoreError> {
    let (store, note) = Store::open(&data_dir.join(FILE_NAME))?;
    if let OpenNote::MovedAside { moved_to, reason } = note {
        error!(
            "the store {} could not be read ({reason}); it was moved to {} and a fresh store was started \
             (imports already sent may be sent once more for torrents without the qBitrr-imported tag)",
            store.path().display(),
            moved_to.display()
        );
    }
    Ok(Arc::new(store))
}

impl Store {
    /// Opens or creates the store at `path`; an unreadable file is moved aside.
    pub(crate) fn open(path: &Path) -> Result<(Self, OpenNote), StoreError> {
        match builder().create(path) {
            Ok(db) => Ok((Self::checked(db, path)?, OpenNote::Clean)),
            Err(DatabaseError::DatabaseAlreadyOpen) | Err(DatabaseError::LockProtocolMismatch) => {
                Err(StoreError::InUse {
                    path: path.to_path_buf(),
                })
            }
            Err(e) => {
                let reason = e.to_string();
                let moved_to = aside_path(path);
                std::fs::rename(path, &moved_to).map_err(|source| StoreError::MoveAside {
                    path: path.to_path_buf(),
                    reason: reason.clone(),
                    source,
                })?;
                let db = builder()
                    .create(path)
                    .map_err(|e| StoreError::classify(path, e))?;
                Ok((
                    Self::checked(db, path)?,
                    OpenNote::MovedAside { moved_to, reason },
                ))
            }
        }
    }

    /// A store in memory, for tests of the code that records through it.
    #[cfg(test)]
    pub(crate) fn in_memory() -> Self {
        let db = builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("an in-memory redb database");
        Self::checked(db, Path::new(":memory:")).expect("an in-memory table")
    }

    /// Makes sure the table exists, so reads never fail on a new file.
    fn checked(db: Database, path: &Path) -> Result<Self, StoreError> {
        let store = Self {
            db,
            path: path.to_path_buf(),
            audit_key: std::sync::atomic::AtomicU64::new(0),
        };
        let txn = store.db.begin_write().map_err(|e| store.error(e))?;
        txn.open_table(TORRENTS).map_err(|e| store.error(e))?;
        txn.open_table(INTENTS).map_err(|e| store.error(e))?;
        let last = txn
            .open_table(AUDIT)
            .map_err(|e| store.error(e))?
            .last()
            .map_err(|e| store.error(e))?
            .map(|(key, _)| key.value());
        txn.commit().map_err(|e| store.error(e))?;
        store
            .audit_key
            .store(last.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
        Ok(store)
    }

    fn error(&self, e: impl Into<redb::Error>) -> StoreError {
        StoreError::classify(&self.path, e)
    }

    /// Everything remembered for one instance, by torrent hash. Undecodable values are skipped.
    #[cfg(test)]
    pub(crate) fn load(&self, instance: &str) -> Result<HashMap<String, Memory>, StoreError> {
        let mut out = HashMap::new();
        self.load_each(instance, |hash, memory| {
            out.insert(hash.to_string(), memory);
        })?;
        Ok(out)
    }

    /// Hands each record of one instance to `f` (hash, memory), without collecting them.
    pub(crate) fn load_each(
        &self,
        instance: &str,
        mut f: impl FnMut(&str, Memory),
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(TORRENTS).map_err(|e| self.error(e))?;
        let start = format!("{instance}\u{0}");
        let end = format!("{instance}\u{1}");
        for item in table
            .range(start.as_str()..end.as_str())
            .map_err(|e| self.error(e))?
        {
            let (key, value) = item.map_err(|e| self.error(e))?;
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
    pub(crate) fn save<K: fmt::Display>(
        &self,
        instance: &str,
        changes: &[(K, Option<Memory>)],
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        {
            let mut table = txn.open_table(TORRENTS).map_err(|e| self.error(e))?;
            for (hash, memory) in changes {
                let key = format!("{instance}\u{0}{hash}");
                match memory {
                    Some(m) => {
                        table
                            .insert(key.as_str(), encode(m).as_slice())
                            .map_err(|e| self.error(e))?;
                    }
                    None => {
                        table.remove(key.as_str()).map_err(|e| self.error(e))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| self.error(e))
    }

    /// Hands each unfinished intent of one instance to `f` (hash, intent); undecodable ones
    /// are skipped with a warning (a newer version's, or damage).
    pub(crate) fn load_intents(
        &self,
        instance: &str,
        mut f: impl FnMut(&str, Intent),
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(INTENTS).map_err(|e| self.error(e))?;
        let start = format!("{instance}\u{0}");
        let end = format!("{instance}\u{1}");
        for item in table
            .range(start.as_str()..end.as_str())
            .map_err(|e| self.error(e))?
        {
            let (key, value) = item.map_err(|e| self.error(e))?;
            let Some(hash) = key.value().strip_prefix(start.as_str()) else {
                continue;
            };
            match decode_intent(value.value()) {
                Some(intent) => f(hash, intent),
                None => warn!(
                    "{instance}: the unfinished removal of {hash} in {} cannot be read; it is skipped",
                    self.path.display()
                ),
            }
        }
        Ok(())
    }

    /// Writes (or, with `None`, deletes) one intent in its own transaction.
    pub(crate) fn save_intent(
        &self,
        instance: &str,
        hash: &str,
        intent: Option<&Intent>,
    ) -> Result<(), StoreError> {
        let key = format!("{instance}\u{0}{hash}");
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        {
            let mut table = txn.open_table(INTENTS).map_err(|e| self.error(e))?;
            match intent {
                Some(intent) => {
                    let value = encode_intent(intent);
                    table
                        .insert(key.as_str(), value.as_slice())
                        .map_err(|e| self.error(e))?;
                }
                None => {
                    table.remove(key.as_str()).map_err(|e| self.error(e))?;
                }
            }
        }
        txn.commit().map_err(|e| self.error(e))
    }

    /// Appends audit entries in one transaction, then drops the oldest beyond
    /// [`AUDIT_MAX_ENTRIES`] and those older than [`AUDIT_MAX_AGE_SECS`].
    pub(crate) fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        {
            let mut table = txn.open_table(AUDIT).map_err(|e| self.error(e))?;
            for entry in entries {
                let key = self.next_audit_key(entry.time);
                let value = serde_json::to_vec(entry).unwrap_or_default();
                table.insert(key, value.as_slice()).map_err(|e| self.error(e))?;
            }
            let newest = entries.iter().map(|e| e.time).max().unwrap_or(0);
            let cutoff = audit_key_floor(newest.saturating_sub(AUDIT_MAX_AGE_SECS));
            let len = table.len().map_err(|e| self.error(e))?;
            let mut excess = len.saturating_sub(AUDIT_MAX_ENTRIES);
            loop {
                let Some(key) = table
                    .first()
                    .map_err(|e| self.error(e))?
                    .map(|(key, _)| key.value())
                else {
                    break;
                };
                if excess == 0 && key >= cutoff {
                    break;
                }
                table.remove(key).map_err(|e| self.error(e))?;
                excess = excess.saturating_sub(1);
            }
        }
        txn.commit().map_err(|e| self.error(e))
    }

    /// Audit entries, oldest first, that pass `keep`, at most the newest `limit`.
    pub(crate) fn audit(
        &self,
        since: UnixTime,
        limit: usize,
        mut keep: impl FnMut(&AuditEntry) -> bool,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(AUDIT).map_err(|e| self.error(e))?;
        let mut out = std::collections::VecDeque::new();
        for item in table.range(audit_key_floor(since)..).map_err(|e| self.error(e))? {
            let (_, value) = item.map_err(|e| self.error(e))?;
            let Ok(entry) = serde_json::from_slice::<AuditEntry>(value.value()) else {
                continue;
            };
            if keep(&entry) {
                out.push_back(entry);
                if out.len() > limit {
                    out.pop_front();
                }
            }
        }
        Ok(out.into())
    }

    /// A key after every key handed out so far, in the order of `time`.
    fn next_audit_key(&self, time: UnixTime) -> u64 {
        use std::sync::atomic::Ordering;
        let floor = audit_key_floor(time);
        let mut last = self.audit_key.load(Ordering::Relaxed);
        loop {
            let next = floor.max(last.saturating_add(1));
            match self
                .audit_key
                .compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(now) => last = now,
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The smallest audit key of second `time`.
fn audit_key_floor(time: UnixTime) -> u64 {
    u64::try_from(time).unwrap_or(0) << 20
}

fn encode_intent(intent: &Intent) -> Vec<u8> {
    let mut out = vec![INTENT_VERSION];
    // Serialising plain data into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, intent);
    out
}

fn decode_intent(bytes: &[u8]) -> Option<Intent> {
    let (&version, json) = bytes.split_first()?;
    (version == INTENT_VERSION)
        .then(|| serde_json::from_slice(json).ok())
        .flatten()
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
/// (i64 LE), then the tags (u16 count, u16 length + UTF-8 each). Version 2 is
/// version 1 followed by the import state (a kind byte and its numbers); it is
/// written only while an import is under way, so settled records keep version 1.
pub(crate) fn encode(m: &Memory) -> Vec<u8> {
    let times = times(m);
    let mut out = Vec::with_capacity(2 + 8 * times.len() + 8);
    out.push(if m.import == ImportState::None {
        VALUE_VERSION
    } else {
        VALUE_VERSION_IMPORT
    });
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
    match m.import {
        ImportState::None => {}
        ImportState::Sending { since, attempt } => {
            out.push(1);
            out.extend_from_slice(&since.to_le_bytes());
            out.extend_from_slice(&attempt.to_le_bytes());
        }
        ImportState::Sent {
            since,
            command,
            attempt,
        } => {
            out.push(2);
            out.extend_from_slice(&since.to_le_bytes());
            out.extend_from_slice(&command.to_le_bytes());
            out.extend_from_slice(&attempt.to_le_bytes());
        }
        ImportState::Failed { attempts, retry_at } => {
            out.push(3);
            out.extend_from_slice(&attempts.to_le_bytes());
            out.extend_from_slice(&retry_at.to_le_bytes());
        }
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
pub(crate) fn decode(bytes: &[u8]) -> Option<Memory> {
    let (&version, rest) = bytes.split_first()?;
    if version != VALUE_VERSION && version != VALUE_VERSION_IMPORT {
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
    let import = if version == VALUE_VERSION_IMPORT {
        decode_import(rest)?
    } else {
        ImportState::None
    };
    let [first_seen, imported_at, stalled_since, blocklisted_at, searched_at, rechecked_at] = times;
    Some(Memory {
        first_seen,
        imported_at,
        import,
        stalled_since,
        blocklisted_at,
        searched_at,
        rechecked_at,
        tags,
    })
}

fn decode_import(bytes: &[u8]) -> Option<ImportState> {
    let (&kind, rest) = bytes.split_first()?;
    let i64_at =
        |at: usize| -> Option<i64> { Some(i64::from_le_bytes(rest.get(at..at + 8)?.try_into().ok()?)) };
    let u32_at =
        |at: usize| -> Option<u32> { Some(u32::from_le_bytes(rest.get(at..at + 4)?.try_into().ok()?)) };
    match kind {
        1 => Some(ImportState::Sending {
            since: i64_at(0)?,
            attempt: u32_at(8)?,
        }),
        2 => Some(ImportState::Sent {
            since: i64_at(0)?,
            command: i64_at(8)?,
            attempt: u32_at(16)?,
        }),
        3 => Some(ImportState::Failed {
            attempts: u32::from_le_bytes(rest.get(0..4)?.try_into().ok()?),
            retry_at: i64::from_le_bytes(rest.get(4..12)?.try_into().ok()?),
        }),
        _ => None,
    }
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
            import: ImportState::None,
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

    #[test]
    fn an_import_under_way_round_trips_as_version_two() {
        for import in [
            ImportState::Sending { since: 7, attempt: 1 },
            ImportState::Sent {
                since: -1,
                command: i64::MAX,
                attempt: u32::MAX,
            },
            ImportState::Failed {
                attempts: 3,
                retry_at: 1_800_000_000,
            },
        ] {
            let m = Memory { import, ..sample() };
            let bytes = encode(&m);
            assert_eq!(bytes[0], VALUE_VERSION_IMPORT);
            assert_eq!(decode(&bytes), Some(m.clone()), "{import:?}");
            for cut in 0..bytes.len() {
                assert_eq!(decode(&bytes[..cut]), None, "{import:?} truncated at {cut}");
            }
        }
        assert_eq!(
            encode(&sample())[0],
            VALUE_VERSION,
            "settled records stay version 1"
        );
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

    fn audit_entry(time: UnixTime, hash: &str) -> AuditEntry {
        AuditEntry {
            time,
            instance: "Radarr".into(),
            hash: hash.into(),
            name: "T".into(),
            rule: "stalled-delete".into(),
            detail: "stalled for 900s".into(),
            step: "delete with files".into(),
            outcome: "ok".into(),
            dry_run: false,
        }
    }

    #[test]
    fn the_audit_log_is_kept_in_order_filtered_and_bounded() {
        let store = Store::in_memory();
        let now = 1_800_000_000;
        store
            .append_audit(&[audit_entry(now - 10, "aa"), audit_entry(now - 10, "bb")])
            .unwrap();
        store.append_audit(&[audit_entry(now, "aa")]).unwrap();
        let all = store.audit(0, 100, |_| true).unwrap();
        assert_eq!(
            all.iter().map(|e| e.hash.as_str()).collect::<Vec<_>>(),
            ["aa", "bb", "aa"]
        );
        assert_eq!(store.audit(0, 100, |e| e.hash == "aa").unwrap().len(), 2);
        assert_eq!(store.audit(now, 100, |_| true).unwrap().len(), 1, "since");
        assert_eq!(
            store.audit(0, 1, |_| true).unwrap()[0].time,
            now,
            "the newest `limit`"
        );
        // Older than the age cap: dropped at the next append.
        store
            .append_audit(&[audit_entry(now + AUDIT_MAX_AGE_SECS + 5, "cc")])
            .unwrap();
        let kept = store.audit(0, 100, |_| true).unwrap();
        assert_eq!(kept.iter().map(|e| e.hash.as_str()).collect::<Vec<_>>(), ["cc"]);
    }

    #[test]
    fn the_audit_log_keeps_at_most_its_cap() {
        let store = Store::in_memory();
        let entries: Vec<AuditEntry> = (0..AUDIT_MAX_ENTRIES + 25)
            .map(|i| audit_entry(1_800_000_000 + i as i64, &format!("{i}")))
            .collect();
        store.append_audit(&entries).unwrap();
        let kept = store.audit(0, usize::MAX, |_| true).unwrap();
        assert_eq!(kept.len() as u64, AUDIT_MAX_ENTRIES);
        assert_eq!(kept[0].hash, "25", "the oldest went first");
    }

    #[test]
    fn errors_are_sorted_by_what_can_be_done_about_them() {
        use std::io::{Error as IoError, ErrorKind};
        let path = Path::new("/data/qbitrr-lite.redb");
        let kind = |e: redb::Error| match StoreError::classify(path, e) {
            StoreError::InUse { .. } => "in use",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::Permission { .. } => "permission",
            StoreError::NoSpace { .. } => "no space",
            StoreError::Poisoned { .. } => "poisoned",
            StoreError::Io { .. } => "io",
            StoreError::MoveAside { .. } => "move aside",
        };
        let io = |k: ErrorKind| redb::Error::Io(IoError::from(k));
        assert_eq!(kind(redb::Error::DatabaseAlreadyOpen), "in use");
        assert_eq!(kind(redb::Error::Corrupted("bad header".into())), "corrupt");
        assert_eq!(kind(io(ErrorKind::PermissionDenied)), "permission");
        assert_eq!(kind(io(ErrorKind::ReadOnlyFilesystem)), "permission");
        assert_eq!(kind(io(ErrorKind::StorageFull)), "no space");
        assert_eq!(kind(redb::Error::Io(IoError::from_raw_os_error(28))), "no space");
        assert_eq!(kind(redb::Error::PreviousIo), "poisoned");
        assert_eq!(kind(io(ErrorKind::UnexpectedEof)), "io");
        let e = StoreError::classify(path, io(ErrorKind::StorageFull));
        assert!(
            e.to_string().starts_with("/data/qbitrr-lite.redb: no space left"),
            "{e}"
        );
        assert!(std::error::Error::source(&e).is_some(), "the redb error is kept");
    }

    #[test]
    fn a_second_open_of_the_same_file_is_refused() {
        let dir = temp_dir("inuse");
        let path = dir.join(FILE_NAME);
        let (_store, _) = Store::open(&path).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::InUse { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
