//! What must survive a restart, in one redb file: per Arr instance and
//! torrent hash, the [`Memory`] of the decision core (imports already sent,
//! when a torrent was first seen stalled, searches and blocklists sent,
//! Tagless tags), and the unfinished removals ([`Intent`]s).
//!
//! The loop writes only what changed, once per pass, in one short write
//! transaction that is never held across an HTTP call. Values carry a
//! version byte.
//!
//! What can go wrong with the file, and what happens:
//! - **Damage** (an empty file, a bad header, a page redb cannot read, or
//!   redb panicking while it opens the file or reads every record right
//!   after): the file is moved aside as `<name>.corrupt-<unix time>` (never
//!   deleted) and a fresh store is started, so a damaged file cannot make
//!   the daemon crash-loop.
//! - **Permission** (a read-only file, directory or file system, another
//!   owner): [`Store::open`] refuses with a [`StoreError::Permission`] that
//!   names the owner and our uid; the file is left as it is.
//! - **Disk full, I/O errors** (redb then refuses every call until the file
//!   is reopened): the store marks itself unavailable, says so once, and
//!   reopens the file with backoff (1 s doubling to 60 s) when a worker asks
//!   for it ([`Store::available`]); a probe write proves it works again.
//!   Workers skip their passes meanwhile. A store that works costs one
//!   atomic load per pass: nothing is written to check it.

use std::any::Any;
use std::collections::BTreeSet;
#[cfg(test)]
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};

use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    TableError,
};

use crate::model::{AuditEntry, ImportState, Intent, Memory, QueueRow, UnixTime};
use crate::shutdown::Shutdown;

#[cfg(any(test, feature = "fault-injection"))]
mod fault;
#[cfg(any(test, feature = "fault-injection"))]
pub(crate) use fault::Faults;

#[cfg(test)]
mod tests;

/// Records written per transaction by [`InstanceRecords::save`] and `save_queue_rows`.
const SAVE_CHUNK: usize = 500;
/// Key: `"<instance>\0<hash>"`; value: an encoded [`Memory`].
const TORRENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("torrents");
/// Key: `"<instance>\0<hash>"`; value: [`INTENT_VERSION`] then an [`Intent`] as JSON
/// (few and short-lived, so readability wins over size).
const INTENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("intents");
/// Every table, for the full read that checks a file right after it is opened.
/// Key: `"<instance>\0<hash>"`; value: the torrent's Arr queue row (item ids and media
/// ids) as JSON, kept while the torrent is ours so a later removal can still
/// blocklist and search after the Arr dropped the row.
const QUEUE_ROWS: TableDefinition<&str, &[u8]> = TableDefinition::new("queue_rows");

/// Key: `"<instance>\0<job>"` (e.g. `RssSync`); value: when the Arr was last asked to run
/// it, a Unix time as 8 little-endian bytes, so a restart does not ask again at once.
const ARR_JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("arr_jobs");

/// Key: `"<instance>\0<search key>"` (see `search::keys_of`); value: when the search loop sent
/// that search, a Unix time as 8 little-endian bytes, so a restart does not search it again.
/// Under keys that start with `#` (no search key does), the search loop's own state: `#budget`
/// (see `search::Budget::encode`) and `#round` (when the next round starts).
const SEARCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("searches");

/// Key: `"<instance>\0<item id>"` (a movie, series, artist or author); value: a
/// `search::profiles::Switched` (its main profile, the temp profile we set, since when), so that
/// what the search loop switched to a temp profile goes back, also after a restart.
const TEMP_PROFILES: TableDefinition<&str, &[u8]> = TableDefinition::new("temp_profiles");

const TABLES: [TableDefinition<&str, &[u8]>; 6] =
    [TORRENTS, INTENTS, QUEUE_ROWS, ARR_JOBS, SEARCHES, TEMP_PROFILES];

/// The key of the probe write after a reopen: written, then removed (no
/// instance name is empty, so no instance's range holds it).
const PROBE_KEY: &str = "\u{0}probe";
/// The probe's value: large enough to need fresh pages. A small write can
/// land in pages the file already holds and succeed on a full disk, and the
/// next real write then fails again.
const PROBE_BYTES: usize = 64 << 10;

/// The first reopen of an unavailable store is tried this long after it failed…
const REOPEN_FIRST: Duration = Duration::from_secs(1);
/// …then twice as long each time, up to this.
const REOPEN_MAX: Duration = Duration::from_secs(60);
/// A store that fails again this soon after it was reopened is still in the
/// same outage: not said again, and its backoff goes on from where it was
/// (a disk hovering at full does not flap every second).
const SAME_OUTAGE: Duration = Duration::from_secs(600);

/// The current intent encoding.
const INTENT_VERSION: u8 = 1;
/// Key: time << 20 | a counter (unique, in time order); value: an [`AuditEntry`] as JSON.
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// The audit log keeps at most this many entries…
pub(crate) const AUDIT_MAX_ENTRIES: u64 = 10_000;
/// …and none older than this.
pub(crate) const AUDIT_MAX_AGE_SECS: i64 = 90 * 86_400;

/// The current value encoding.
const VALUE_VERSION: u8 = 1;
/// The same, followed by an import under way.
const VALUE_VERSION_IMPORT: u8 = 2;

/// redb's page cache. Its default (1 GiB) would keep every page ever read or
/// written in RAM; the store is read once at start and then written a little,
/// so a small cache costs nothing and keeps the resident size small.
const CACHE_BYTES: usize = 256 << 10;

/// The file name inside the data directory.
pub(crate) const FILE_NAME: &str = "qbitrr-lite.redb";

/// No fault injection in a release build: the store file is opened as redb opens it.
#[cfg(not(any(test, feature = "fault-injection")))]
#[derive(Clone, Default, Debug)]
pub(crate) struct Faults;

#[cfg(not(any(test, feature = "fault-injection")))]
impl Faults {
    fn from_env() -> Self {
        Self
    }

    fn create(&self, builder: &redb::Builder, path: &Path) -> Result<Database, DatabaseError> {
        builder.create(path)
    }
}

/// Who owns the file (or, when there is none yet, its directory) that may not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) path: PathBuf,
    pub(crate) uid: u32,
}

/// Who may not write the store: its owner and us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Who {
    /// The owner of the file, or of its directory when the file does not exist.
    pub(crate) owner: Option<Owner>,
    /// Our effective uid.
    pub(crate) ours: Option<u32>,
}

/// What went wrong with the store, sorted by what a caller can do about it.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// Another process holds the file (a second qbitrr-lite on the same data directory).
    InUse { path: PathBuf },
    /// The file's contents are damaged: move it aside and start afresh.
    Corrupt { path: PathBuf, source: redb::Error },
    /// The file or its directory may not be read or written by this user, or
    /// its file system is read-only.
    Permission {
        path: PathBuf,
        source: redb::Error,
        who: Box<Who>,
    },
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
    /// An earlier failure made the store unavailable; it is being reopened.
    Unavailable { path: PathBuf, reason: String },
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
                    Self::permission(path, source)
                }
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    Self::NoSpace { path, source }
                }
                _ => Self::Io { path, source },
            },
            _ => Self::Io { path, source },
        }
    }

    /// A permission error on `path`, with who owns it and who we are.
    fn permission(path: PathBuf, source: redb::Error) -> Self {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let owner = [path.as_path(), dir].into_iter().find_map(|p| {
            uid_of(p).map(|uid| Owner {
                path: p.to_path_buf(),
                uid,
            })
        });
        Self::Permission {
            path,
            source,
            who: Box::new(Who {
                owner,
                ours: our_uid(),
            }),
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
            | Self::MoveAside { path, .. }
            | Self::Unavailable { path, .. } => path,
        }
    }

    /// Whether this is an outage that may pass by itself (space freed, the
    /// file system remounted, the handle reopened): the store is marked
    /// unavailable and reopened, and workers wait instead of stopping.
    pub(crate) fn is_outage(&self) -> bool {
        matches!(
            self,
            Self::Permission { .. }
                | Self::NoSpace { .. }
                | Self::Poisoned { .. }
                | Self::Io { .. }
                | Self::Unavailable { .. }
        )
    }

    /// What is wrong, in a few words and without the path (for `/health`).
    pub(crate) fn summary(&self) -> String {
        match self {
            Self::InUse { .. } => "open in another process".into(),
            Self::Corrupt { source, .. } => format!("damaged: {source}"),
            Self::Permission { source, .. } if read_only_fs(source) => "read-only file system".into(),
            Self::Permission { .. } => "no permission to write it".into(),
            Self::NoSpace { .. } => "no space left on device".into(),
            Self::Poisoned { source, .. } => format!("reopening after an I/O error ({source})"),
            Self::Io { source, .. } => source.to_string(),
            Self::MoveAside { reason, .. } => reason.clone(),
            Self::Unavailable { reason, .. } => reason.clone(),
        }
    }

    /// The `/health` problem: `store unavailable: <summary> (<path>)`.
    pub(crate) fn problem(&self) -> String {
        format!(
            "store unavailable: {} ({})",
            self.summary(),
            self.path().display()
        )
    }
}

fn read_only_fs(source: &redb::Error) -> bool {
    matches!(source, redb::Error::Io(io) if io.kind() == std::io::ErrorKind::ReadOnlyFilesystem)
}

#[cfg(unix)]
fn uid_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn uid_of(_path: &Path) -> Option<u32> {
    None
}

/// Our effective uid, from `/proc/self/status` (`Uid: real effective saved fs`).
fn our_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_uid(&status)
}

fn parse_uid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
            Self::Permission { source, .. } if read_only_fs(source) => write!(
                f,
                "{path}: the store's file system is read-only ({source}); remount it read-write \
                 or choose another --data-dir (nothing was changed)"
            ),
            Self::Permission { source, who, .. } => {
                let (owner, ours) = (&who.owner, &who.ours);
                write!(f, "{path}: no permission to write the store ({source})")?;
                let dir = self
                    .path()
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .display();
                match (owner, ours) {
                    (Some(o), Some(ours)) if o.uid == *ours => write!(
                        f,
                        "; {} belongs to uid {ours}, which qbitrr-lite runs as, but is not writable: \
                         make it and {dir} writable (chmod u+w)",
                        o.path.display()
                    )?,
                    (Some(o), Some(ours)) => write!(
                        f,
                        "; {} belongs to uid {} but qbitrr-lite runs as uid {ours}: give the data \
                         directory to uid {ours} (chown -R {ours} {dir}) or run qbitrr-lite as uid {}",
                        o.path.display(),
                        o.uid,
                        o.uid
                    )?,
                    (Some(o), None) => write!(
                        f,
                        "; {} belongs to uid {}: give {dir} to the user qbitrr-lite runs as (chown -R)",
                        o.path.display(),
                        o.uid
                    )?,
                    (None, _) => write!(f, "; give {dir} to the user qbitrr-lite runs as (chown -R)")?,
                }
                write!(f, " (nothing was changed)")
            }
            Self::NoSpace { source, .. } => write!(f, "{path}: no space left for the store: {source}"),
            Self::Poisoned { source, .. } => {
                write!(f, "{path}: the store must be reopened after an earlier I/O error: {source}")
            }
            Self::Io { source, .. } => write!(f, "{path}: store read/write failed: {source}"),
            Self::MoveAside { reason, source, .. } => write!(
                f,
                "{path}: cannot open the store: {reason}; moving it aside also failed: {source}"
            ),
            Self::Unavailable { reason, .. } => {
                write!(f, "{path}: the store is unavailable ({reason}); it is being reopened")
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InUse { .. } | Self::Unavailable { .. } => None,
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

/// Where the database lives.
enum Source {
    File,
    /// redb's in-memory backend, kept across reopens (tests).
    #[cfg(test)]
    Memory(Arc<redb::backends::InMemoryBackend>),
}

/// Why the store is unavailable, and when to try again.
struct Outage {
    /// [`StoreError::summary`] of the last failure.
    reason: String,
    since: Instant,
    next_try: Instant,
    /// The wait before `next_try`; doubles after each failed reopen.
    delay: Duration,
    /// When the store was last reopened (it works since, unless it failed again).
    reopened_at: Option<Instant>,
}

/// The redb store. Shared by the workers (`&self`; redb serialises writers).
pub(crate) struct Store {
    path: PathBuf,
    source: Source,
    faults: Faults,
    /// The open database; `None` while it is being reopened or could not be.
    /// redb refuses a second open of a file while the first handle lives, so a
    /// reopen drops the old one first, under the write lock.
    db: RwLock<Option<Database>>,
    /// Set while the store is unavailable (read once per pass, so a store that
    /// works costs one atomic load).
    down: AtomicBool,
    /// Why, while `down`; its lock also serialises reopens.
    outage: Mutex<Option<Outage>>,
    /// The last audit key handed out.
    audit_key: std::sync::atomic::AtomicU64,
    /// Write transactions committed since the start: each costs the disk a few pages
    /// and two syncs, so a pass that changed nothing must not add one.
    commits: std::sync::atomic::AtomicU64,
}

/// One Arr instance's records in the shared store, as its worker reads and writes them.
#[derive(Clone)]
pub(crate) struct InstanceRecords {
    store: Arc<Store>,
    instance: String,
    writes: Writes,
    /// Triggered when a write fails because the store is unavailable (see
    /// [`InstanceRecords::halt_on_outage`]).
    halt: Option<Shutdown>,
}

impl InstanceRecords {
    pub(crate) fn new(store: Arc<Store>, instance: &str, writes: Writes) -> Self {
        Self {
            store,
            instance: instance.to_string(),
            writes,
            halt: None,
        }
    }

    /// From now on, a write that fails because the store is unavailable
    /// triggers `token`: the pass that holds it starts no further action
    /// (what it would do could not be recorded).
    pub(crate) fn halt_on_outage(&mut self, token: Option<Shutdown>) {
        self.halt = token;
    }

    /// `Ok` when the store works; otherwise reopens it when that is due, and
    /// says why it is still unavailable.
    pub(crate) fn available(&self) -> Result<(), StoreError> {
        self.store.available()
    }

    /// Whether the store is unavailable right now (no reopen is tried).
    pub(crate) fn is_down(&self) -> bool {
        self.store.is_down()
    }

    /// How long until the next reopen of an unavailable store; `None` while it works.
    pub(crate) fn retry_in(&self) -> Option<Duration> {
        self.store.retry_in()
    }

    fn noted<R>(&self, result: Result<R, StoreError>) -> Result<R, StoreError> {
        if let (Err(e), Some(halt)) = (&result, &self.halt) {
            if e.is_outage() {
                halt.trigger();
            }
        }
        result
    }

    /// Hands each record to `f` (hash, memory).
    pub(crate) fn load_each(&self, f: impl FnMut(&str, Memory)) -> Result<(), StoreError> {
        self.store.load_each(&self.instance, f)
    }

    /// Writes changed records, [`SAVE_CHUNK`] per transaction (`None` deletes); nothing with [`Writes::Discard`].
    pub(crate) fn save<K: fmt::Display>(&self, changes: &[(K, Option<Memory>)]) -> Result<(), StoreError> {
        match self.writes {
            // In transactions of at most SAVE_CHUNK records: a first pass over a large library
            // remembers every torrent, and one transaction for all of them is a peak of memory
            // the allocator keeps. Each record stands alone; a failure keeps them all for the
            // next try (written again, the same).
            Writes::Commit => changes
                .chunks(SAVE_CHUNK)
                .try_for_each(|chunk| self.noted(self.store.save(&self.instance, chunk))),
            Writes::Discard => Ok(()),
        }
    }

    /// Hands each remembered queue row to `f` (hash, item ids, media ids).
    pub(crate) fn load_queue_rows(&self, f: impl FnMut(&str, QueueRow)) -> Result<(), StoreError> {
        self.store.load_queue_rows(&self.instance, f)
    }

    /// The remembered queue row of one torrent.
    pub(crate) fn queue_row(&self, hash: &str) -> Result<Option<QueueRow>, StoreError> {
        self.store.queue_row(&self.instance, hash)
    }

    /// When the Arr was last asked to run `job`, if that was recorded.
    pub(crate) fn job_ran_at(&self, job: &str) -> Result<Option<UnixTime>, StoreError> {
        self.store.job_ran_at(&self.instance, job)
    }

    /// Records that the Arr was asked to run `job` at `at`; nothing with [`Writes::Discard`].
    pub(crate) fn save_job_ran_at(&self, job: &str, at: UnixTime) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.noted(self.store.save_job_ran_at(&self.instance, job, at)),
            Writes::Discard => Ok(()),
        }
    }

    /// Which of `keys` the search loop searched, and when (see [`Store::searched`]).
    pub(crate) fn searched(&self, keys: &[String]) -> Result<Vec<Option<UnixTime>>, StoreError> {
        self.store.searched(&self.instance, keys)
    }

    /// Records searches sent; nothing with [`Writes::Discard`].
    pub(crate) fn mark_searched(&self, keys: &[String], at: UnixTime) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.noted(self.store.mark_searched(&self.instance, keys, at)),
            Writes::Discard => Ok(()),
        }
    }

    /// Forgets searches the Arr refused; nothing with [`Writes::Discard`].
    pub(crate) fn unmark_searched(&self, keys: &[String]) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.noted(self.store.unmark_searched(&self.instance, keys)),
            Writes::Discard => Ok(()),
        }
    }

    /// Forgets every search sent (a new round); nothing with [`Writes::Discard`].
    pub(crate) fn forget_searched(&self) -> Result<usize, StoreError> {
        match self.writes {
            Writes::Commit => self.noted(self.store.forget_searched(&self.instance)),
            Writes::Discard => Ok(0),
        }
    }

    /// The stored search budget.
    pub(crate) fn search_budget(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.search_state(&self.instance, "#budget")
    }

    /// Stores the search budget; nothing with [`Writes::Discard`].
    pub(crate) fn save_search_budget(&self, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.save_search_state("#budget", Some(bytes))
    }

    /// When the search loop's next round starts, if it finished one.
    pub(crate) fn next_search_round(&self) -> Result<Option<UnixTime>, StoreError> {
        let bytes = self.store.search_state(&self.instance, "#round")?;
        Ok(bytes.and_then(|b| {
            <[u8; 8]>::try_from(b.as_slice())
                .ok()
                .map(UnixTime::from_le_bytes)
        }))
    }

    /// Records when the next search round starts (`None`: it started); nothing with
    /// [`Writes::Discard`].
    pub(crate) fn save_next_search_round(&self, at: Option<UnixTime>) -> Result<(), StoreError> {
        self.save_search_state("#round", at.map(|t| t.to_le_bytes().to_vec()))
    }

    /// What the search loop remembers of the items it switched to a temp profile: id and bytes.
    pub(crate) fn temp_profiles(&self) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        self.noted(self.store.temp_profiles(&self.instance))
    }

    /// Remembers (`Some`) or forgets items switched to a temp profile, in one transaction;
    /// nothing with [`Writes::Discard`].
    pub(crate) fn save_temp_profiles(&self, changes: Vec<(i64, Option<Vec<u8>>)>) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.noted(self.store.save_temp_profiles(&self.instance, changes)),
            Writes::Discard => Ok(()),
        }
    }

    fn save_search_state(&self, name: &str, bytes: Option<Vec<u8>>) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => self.noted(self.store.save_search_state(&self.instance, name, bytes)),
            Writes::Discard => Ok(()),
        }
    }

    /// Writes the records of `ids` as `memory_of` gives them (`None` deletes), built and
    /// written [`SAVE_CHUNK`] at a time, so a first pass over a large library never holds a
    /// copy of every record at once.
    pub(crate) fn save_each<K: fmt::Display>(
        &self,
        ids: &[K],
        memory_of: impl Fn(&K) -> Option<Memory>,
    ) -> Result<(), StoreError> {
        ids.chunks(SAVE_CHUNK).try_for_each(|chunk| {
            let changes: Vec<(&K, Option<Memory>)> = chunk.iter().map(|id| (id, memory_of(id))).collect();
            self.save(&changes)
        })
    }

    /// Writes changed queue rows, [`SAVE_CHUNK`] per transaction (`None` deletes); nothing with [`Writes::Discard`].
    pub(crate) fn save_queue_rows(&self, changes: &[(String, Option<QueueRow>)]) -> Result<(), StoreError> {
        match self.writes {
            Writes::Commit => changes
                .chunks(SAVE_CHUNK)
                .try_for_each(|chunk| self.store.save_queue_rows(&self.instance, chunk)),
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
            Writes::Commit => self.noted(self.store.save_intent(&self.instance, hash, intent)),
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

/// Why a file could not be opened as a store.
#[derive(Debug)]
enum OpenFailure {
    /// Its contents: move it aside.
    Damaged(String),
    /// Anything else (permission, disk full, in use, …): leave it as it is.
    Refused(StoreError),
}

impl OpenFailure {
    fn of(path: &Path, e: impl Into<redb::Error>) -> Self {
        let e: redb::Error = e.into();
        if is_damage(&e) {
            Self::Damaged(e.to_string())
        } else {
            Self::Refused(StoreError::classify(path, e))
        }
    }

    fn into_error(self, path: &Path) -> StoreError {
        match self {
            Self::Damaged(reason) => StoreError::Corrupt {
                path: path.to_path_buf(),
                source: redb::Error::Corrupted(reason),
            },
            Self::Refused(e) => e,
        }
    }
}

/// Errors that say the file's contents cannot be a store of ours.
fn is_damage(e: &redb::Error) -> bool {
    match e {
        redb::Error::Corrupted(_)
        | redb::Error::UpgradeRequired(_)
        | redb::Error::ValueTooLarge(_)
        | redb::Error::TableTypeMismatch { .. }
        | redb::Error::TableIsMultimap(_)
        | redb::Error::TableIsNotMultimap(_)
        | redb::Error::TypeDefinitionChanged { .. }
        // A panic inside redb while it held a lock: the file made it panic.
        | redb::Error::LockPoisoned(_) => true,
        redb::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
        ),
        _ => false,
    }
}

/// The text of a caught panic.
fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// Drops a database that may be in a bad state; a panic in its drop is swallowed.
fn close_quietly(db: Database) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(db)));
}

/// Reads every record of every table (redb reads pages lazily, so a damaged
/// page shows only when it is read). Returns whether a table is missing.
fn verify(db: &Database) -> Result<bool, redb::Error> {
    let txn = db.begin_read()?;
    let mut missing = false;
    for def in TABLES {
        let table = match txn.open_table(def) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => {
                missing = true;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for item in table.iter()? {
            let (key, value) = item?;
            // Touch both, so every page is read and checked.
            std::hint::black_box((key.value().len(), value.value().len()));
        }
    }
    match txn.open_table(AUDIT) {
        Ok(table) => {
            for item in table.iter()? {
                let (key, value) = item?;
                std::hint::black_box((key.value(), value.value().len()));
            }
        }
        Err(TableError::TableDoesNotExist(_)) => missing = true,
        Err(e) => return Err(e.into()),
    }
    Ok(missing)
}

/// Creates the tables that do not exist yet, so reads never fail on a new file.
fn create_tables(db: &Database) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    for def in TABLES {
        txn.open_table(def)?;
    }
    txn.open_table(AUDIT)?;
    txn.commit()?;
    Ok(())
}

impl Store {
    /// Opens or creates the store at `path`. A damaged file is moved aside and
    /// a fresh store started; a full disk leaves the store unavailable (it is
    /// reopened once space is freed); other failures (permission, in use) are
    /// errors and leave the file as it is.
    pub(crate) fn open(path: &Path) -> Result<(Self, OpenNote), StoreError> {
        Self::open_with(path, Faults::from_env())
    }

    /// [`Store::open`] with faults to inject (tests).
    fn open_with(path: &Path, faults: Faults) -> Result<(Self, OpenNote), StoreError> {
        let store = Self::closed(path, Source::File, faults);
        let empty = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
        let reason = if empty {
            // redb would silently start a new store in it.
            "the file is empty (0 bytes)".to_string()
        } else {
            match store.connect() {
                Ok(db) => {
                    store.install(db);
                    return Ok((store, OpenNote::Clean));
                }
                Err(OpenFailure::Damaged(reason)) => reason,
                Err(OpenFailure::Refused(e)) => {
                    store.start_down(e)?;
                    return Ok((store, OpenNote::Clean));
                }
            }
        };
        let moved_to = aside_path(path);
        std::fs::rename(path, &moved_to).map_err(|source| StoreError::MoveAside {
            path: path.to_path_buf(),
            reason: reason.clone(),
            source,
        })?;
        match store.connect() {
            Ok(db) => store.install(db),
            Err(failure) => store.start_down(failure.into_error(path))?,
        }
        Ok((store, OpenNote::MovedAside { moved_to, reason }))
    }

    /// A store in memory, for tests of the code that records through it.
    #[cfg(test)]
    pub(crate) fn in_memory() -> Self {
        Self::in_memory_with(Faults::default())
    }

    /// A store in memory with faults to inject; a reopen keeps its data.
    #[cfg(test)]
    pub(crate) fn in_memory_with(faults: Faults) -> Self {
        let memory = Arc::new(redb::backends::InMemoryBackend::new());
        let store = Self::closed(Path::new(":memory:"), Source::Memory(memory), faults);
        match store.connect() {
            Ok(db) => store.install(db),
            Err(e) => panic!("an in-memory store: {e:?}"),
        }
        store
    }

    /// A store with no database yet.
    fn closed(path: &Path, source: Source, faults: Faults) -> Self {
        Self {
            path: path.to_path_buf(),
            source,
            faults,
            db: RwLock::new(None),
            down: AtomicBool::new(false),
            outage: Mutex::new(None),
            audit_key: std::sync::atomic::AtomicU64::new(0),
            commits: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Write transactions committed since the start (`/metrics`, and the tests that a
    /// pass which changed nothing writes nothing).
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// At open: a full disk (or a failed first write) leaves the store
    /// unavailable, to be reopened later; anything else is an error.
    fn start_down(&self, e: StoreError) -> Result<(), StoreError> {
        match e {
            StoreError::NoSpace { .. } | StoreError::Poisoned { .. } => {
                self.mark_down(&e);
                Ok(())
            }
            e => Err(e),
        }
    }

    fn install(&self, db: Database) {
        // Audit keys go on after the newest one in the file.
        let last = db
            .begin_read()
            .ok()
            .and_then(|txn| txn.open_table(AUDIT).ok())
            .and_then(|table| table.last().ok().flatten().map(|(key, _)| key.value()));
        self.audit_key
            .fetch_max(last.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
        *self.write_db() = Some(db);
    }

    fn read_db(&self) -> RwLockReadGuard<'_, Option<Database>> {
        self.db.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_db(&self) -> RwLockWriteGuard<'_, Option<Database>> {
        self.db.write().unwrap_or_else(|p| p.into_inner())
    }

    fn outage(&self) -> MutexGuard<'_, Option<Outage>> {
        self.outage.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn create_db(&self) -> Result<Database, DatabaseError> {
        match &self.source {
            Source::File => self.faults.create(&builder(), &self.path),
            #[cfg(test)]
            Source::Memory(memory) => self.faults.create_in_memory(&builder(), memory),
        }
    }

    /// Opens the file and reads every record; a panic inside redb is caught
    /// and counts as damage. Creates missing tables.
    fn connect(&self) -> Result<Database, OpenFailure> {
        let db = match catch_unwind(AssertUnwindSafe(|| self.create_db())) {
            Ok(Ok(db)) => db,
            Ok(Err(DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch)) => {
                return Err(OpenFailure::Refused(StoreError::InUse {
                    path: self.path.clone(),
                }))
            }
            Ok(Err(e)) => return Err(OpenFailure::of(&self.path, e)),
            Err(panic) => {
                return Err(OpenFailure::Damaged(format!(
                    "redb panicked opening it: {}",
                    panic_text(panic.as_ref())
                )))
            }
        };
        let checked = catch_unwind(AssertUnwindSafe(|| {
            let missing = verify(&db)?;
            if missing {
                create_tables(&db)?;
            }
            Ok::<(), redb::Error>(())
        }));
        match checked {
            Ok(Ok(())) => Ok(db),
            Ok(Err(e)) => {
                close_quietly(db);
                Err(OpenFailure::of(&self.path, e))
            }
            Err(panic) => {
                close_quietly(db);
                Err(OpenFailure::Damaged(format!(
                    "redb panicked reading it: {}",
                    panic_text(panic.as_ref())
                )))
            }
        }
    }

    /// Writes and removes one key: proves a reopened store can be written.
    /// Two commits, so the value's pages are written, not freed unwritten.
    fn probe(db: &Database) -> Result<(), redb::Error> {
        let value = vec![0u8; PROBE_BYTES];
        let txn = db.begin_write()?;
        txn.open_table(TORRENTS)?.insert(PROBE_KEY, value.as_slice())?;
        txn.commit()?;
        let txn = db.begin_write()?;
        txn.open_table(TORRENTS)?.remove(PROBE_KEY)?;
        txn.commit()?;
        Ok(())
    }

    /// Marks the store unavailable (said once per outage).
    fn mark_down(&self, e: &StoreError) {
        let mut outage = self.outage();
        let now = Instant::now();
        match outage.as_mut() {
            Some(o) if o.reopened_at.is_none() => debug!("{e} (the store is already unavailable)"),
            Some(o)
                if o.reopened_at
                    .is_some_and(|at| now.duration_since(at) < SAME_OUTAGE) =>
            {
                let after = o.reopened_at.map_or(0, |at| now.duration_since(at).as_secs());
                o.reopened_at = None;
                o.delay = (o.delay * 2).min(REOPEN_MAX);
                o.next_try = now + o.delay;
                o.reason = e.summary();
                warn!(
                    "{e}; the store failed again {after}s after it was reopened: passes are skipped \
                     again (next reopen in {}s)",
                    o.delay.as_secs()
                );
            }
            _ => {
                error!(
                    "{e}; the store is unavailable: passes are skipped (nothing is done that would have \
                     to be recorded) and the store is reopened with backoff until it works again"
                );
                *outage = Some(Outage {
                    reason: e.summary(),
                    since: now,
                    next_try: now + REOPEN_FIRST,
                    delay: REOPEN_FIRST,
                    reopened_at: None,
                });
            }
        }
        self.down.store(true, Ordering::Release);
    }

    fn unavailable(&self, reason: &str) -> StoreError {
        StoreError::Unavailable {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    /// `Ok` when the store works; otherwise reopens it when that is due.
    pub(crate) fn available(&self) -> Result<(), StoreError> {
        if !self.is_down() {
            return Ok(());
        }
        let mut outage = self.outage();
        let Some(o) = outage.as_mut().filter(|o| o.reopened_at.is_none()) else {
            return Ok(()); // reopened by another worker meanwhile
        };
        let now = Instant::now();
        if now < o.next_try {
            return Err(self.unavailable(&o.reason));
        }
        let mut db = self.write_db();
        if let Some(old) = db.take() {
            close_quietly(old);
        }
        let reopened =
            self.connect()
                .map_err(|f| f.into_error(&self.path))
                .and_then(|new| match Self::probe(&new) {
                    Ok(()) => Ok(new),
                    Err(e) => {
                        close_quietly(new);
                        Err(StoreError::classify(&self.path, e))
                    }
                });
        match reopened {
            Ok(new) => {
                *db = Some(new);
                drop(db);
                info!(
                    "{}: the store works again (unavailable for {}s); passes resume",
                    self.path.display(),
                    o.since.elapsed().as_secs()
                );
                o.reopened_at = Some(Instant::now());
                self.down.store(false, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                o.delay = (o.delay * 2).min(REOPEN_MAX);
                o.next_try = now + o.delay;
                let reason = e.summary();
                if reason == o.reason {
                    debug!(
                        "{e}; the store is still unavailable (next try in {}s)",
                        o.delay.as_secs()
                    );
                } else {
                    warn!(
                        "{e}; the store is still unavailable (next try in {}s)",
                        o.delay.as_secs()
                    );
                    o.reason = reason;
                }
                Err(self.unavailable(&o.reason))
            }
        }
    }

    /// Whether the store is unavailable (no reopen is tried).
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// How long until the next reopen; `None` while the store works.
    pub(crate) fn retry_in(&self) -> Option<Duration> {
        if !self.is_down() {
            return None;
        }
        let outage = self.outage();
        outage
            .as_ref()
            .map(|o| o.next_try.saturating_duration_since(Instant::now()))
    }

    /// Makes the next [`Store::available`] reopen at once (tests).
    #[cfg(test)]
    pub(crate) fn retry_now(&self) {
        if let Some(o) = self.outage().as_mut() {
            o.next_try = Instant::now();
        }
    }

    /// Runs `op` on the database; an outage error marks the store unavailable.
    /// While it is unavailable, fails at once.
    fn with_db<R>(&self, op: impl FnOnce(&Database) -> Result<R, redb::Error>) -> Result<R, StoreError> {
        if self.is_down() {
            return Err(self.unavailable_now());
        }
        let result = {
            let db = self.read_db();
            match db.as_ref() {
                Some(db) => op(db),
                None => return Err(self.unavailable_now()),
            }
        };
        result.map_err(|e| {
            let e = StoreError::classify(&self.path, e);
            if e.is_outage() {
                self.mark_down(&e);
            }
            e
        })
    }

    fn unavailable_now(&self) -> StoreError {
        let reason = self
            .outage()
            .as_ref()
            .map_or_else(|| "being reopened".to_string(), |o| o.reason.clone());
        self.unavailable(&reason)
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
        self.scan(TORRENTS, instance, |hash, value| {
            if let Some(memory) = decode(value) {
                f(hash, memory);
            }
        })
    }

    /// Hands the key (without its instance prefix) and value of each entry of one instance
    /// in `table` to `f`.
    fn scan(
        &self,
        table: TableDefinition<&str, &[u8]>,
        instance: &str,
        mut f: impl FnMut(&str, &[u8]),
    ) -> Result<(), StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(table)?;
            let start = format!("{instance}\u{0}");
            let end = format!("{instance}\u{1}");
            for item in table.range(start.as_str()..end.as_str())? {
                let (key, value) = item?;
                if let Some(hash) = key.value().strip_prefix(start.as_str()) {
                    f(hash, value.value());
                }
            }
            Ok(())
        })
    }

    /// Writes (`Some`) or deletes (`None`) entries of one instance in `table`, in one transaction.
    fn write(
        &self,
        table: TableDefinition<&str, &[u8]>,
        instance: &str,
        changes: impl Iterator<Item = (String, Option<Vec<u8>>)>,
    ) -> Result<(), StoreError> {
        let changes: Vec<(String, Option<Vec<u8>>)> = changes
            .map(|(hash, value)| (format!("{instance}\u{0}{hash}"), value))
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        self.with_db(|db| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(table)?;
                for (key, value) in &changes {
                    match value {
                        Some(v) => {
                            table.insert(key.as_str(), v.as_slice())?;
                        }
                        None => {
                            table.remove(key.as_str())?;
                        }
                    }
                }
            }
            txn.commit()?;
            self.committed();
            Ok(())
        })
    }

    /// Hands each remembered queue row of one instance to `f`.
    pub(crate) fn load_queue_rows(
        &self,
        instance: &str,
        mut f: impl FnMut(&str, QueueRow),
    ) -> Result<(), StoreError> {
        self.scan(QUEUE_ROWS, instance, |hash, value| {
            if let Ok(row) = serde_json::from_slice::<QueueRow>(value) {
                f(hash, row);
            }
        })
    }

    /// When the Arr of `instance` was last asked to run `job`.
    pub(crate) fn job_ran_at(&self, instance: &str, job: &str) -> Result<Option<UnixTime>, StoreError> {
        self.get(ARR_JOBS, instance, job, |v| {
            <[u8; 8]>::try_from(v).ok().map(UnixTime::from_le_bytes)
        })
    }

    /// Records when the Arr of `instance` was asked to run `job`.
    pub(crate) fn save_job_ran_at(&self, instance: &str, job: &str, at: UnixTime) -> Result<(), StoreError> {
        let change = (job.to_string(), Some(at.to_le_bytes().to_vec()));
        self.write(ARR_JOBS, instance, std::iter::once(change))
    }

    /// Which of `keys` the search loop of `instance` searched (and when), in their order.
    pub(crate) fn searched(
        &self,
        instance: &str,
        keys: &[String],
    ) -> Result<Vec<Option<UnixTime>>, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(SEARCHES)?;
            keys.iter()
                .map(|key| {
                    let full = format!("{instance}\u{0}{key}");
                    Ok(table
                        .get(full.as_str())?
                        .and_then(|v| <[u8; 8]>::try_from(v.value()).ok())
                        .map(UnixTime::from_le_bytes))
                })
                .collect()
        })
    }

    /// Records that the search loop of `instance` searched `keys` at `at`.
    pub(crate) fn mark_searched(
        &self,
        instance: &str,
        keys: &[String],
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let changes = keys.iter().map(|k| (k.clone(), Some(at.to_le_bytes().to_vec())));
        self.write(SEARCHES, instance, changes)
    }

    /// Forgets the searches `keys` of `instance` (the Arr refused them).
    pub(crate) fn unmark_searched(&self, instance: &str, keys: &[String]) -> Result<(), StoreError> {
        self.write(SEARCHES, instance, keys.iter().map(|k| (k.clone(), None)))
    }

    /// Forgets every search of `instance` (a new round over its wanted lists); the loop's own
    /// state stays.
    /// Returns how many were forgotten.
    pub(crate) fn forget_searched(&self, instance: &str) -> Result<usize, StoreError> {
        let mut keys = Vec::new();
        self.scan(SEARCHES, instance, |key, _| {
            if !key.starts_with('#') {
                keys.push(key.to_string());
            }
        })?;
        let n = keys.len();
        self.write(SEARCHES, instance, keys.into_iter().map(|k| (k, None)))?;
        Ok(n)
    }

    /// The search loop's own state `name` of `instance` (`#budget`, `#round`).
    pub(crate) fn search_state(&self, instance: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        debug_assert!(name.starts_with('#'));
        self.get(SEARCHES, instance, name, |v| Some(v.to_vec()))
    }

    /// Stores (`Some`) or forgets the search loop's own state `name` of `instance`.
    pub(crate) fn save_search_state(
        &self,
        instance: &str,
        name: &str,
        bytes: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        debug_assert!(name.starts_with('#'));
        self.write(SEARCHES, instance, std::iter::once((name.to_string(), bytes)))
    }

    /// The items of `instance` switched to a temp profile: id and the bytes remembered.
    pub(crate) fn temp_profiles(&self, instance: &str) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        self.scan(TEMP_PROFILES, instance, |key, value| {
            if let Ok(id) = key.parse() {
                out.push((id, value.to_vec()));
            }
        })?;
        Ok(out)
    }

    /// Remembers (`Some`) or forgets items of `instance` switched to a temp profile.
    pub(crate) fn save_temp_profiles(
        &self,
        instance: &str,
        changes: Vec<(i64, Option<Vec<u8>>)>,
    ) -> Result<(), StoreError> {
        self.write(
            TEMP_PROFILES,
            instance,
            changes.into_iter().map(|(id, bytes)| (id.to_string(), bytes)),
        )
    }

    /// The remembered queue row of one torrent of one instance.
    pub(crate) fn queue_row(&self, instance: &str, hash: &str) -> Result<Option<QueueRow>, StoreError> {
        self.get(QUEUE_ROWS, instance, hash, |v| serde_json::from_slice(v).ok())
    }

    /// One entry of one instance in `table`, decoded by `decode` (`None` when absent or undecodable).
    fn get<T>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        instance: &str,
        hash: &str,
        decode: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Result<Option<T>, StoreError> {
        let key = format!("{instance}\u{0}{hash}");
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(table)?;
            Ok(table.get(key.as_str())?.and_then(|v| decode(v.value())))
        })
    }

    /// Writes (or, with `None`, deletes) queue rows of one instance in one transaction.
    pub(crate) fn save_queue_rows(
        &self,
        instance: &str,
        changes: &[(String, Option<QueueRow>)],
    ) -> Result<(), StoreError> {
        let changes = changes.iter().map(|(hash, row)| {
            let value = row.as_ref().map(|r| serde_json::to_vec(r).unwrap_or_default());
            (hash.clone(), value)
        });
        self.write(QUEUE_ROWS, instance, changes)
    }

    /// What is remembered of one torrent of one instance.
    pub(crate) fn memory_of(&self, instance: &str, hash: &str) -> Result<Option<Memory>, StoreError> {
        self.get(TORRENTS, instance, hash, decode)
    }

    /// Writes the changed records of one instance in one transaction; `None` deletes.
    pub(crate) fn save<K: fmt::Display>(
        &self,
        instance: &str,
        changes: &[(K, Option<Memory>)],
    ) -> Result<(), StoreError> {
        let changes = changes
            .iter()
            .map(|(hash, memory)| (hash.to_string(), memory.as_ref().map(encode)));
        self.write(TORRENTS, instance, changes)
    }

    /// Hands each unfinished intent of one instance to `f` (hash, intent); undecodable ones
    /// are skipped with a warning (a newer version's, or damage).
    pub(crate) fn load_intents(
        &self,
        instance: &str,
        mut f: impl FnMut(&str, Intent),
    ) -> Result<(), StoreError> {
        self.scan(INTENTS, instance, |hash, value| match decode_intent(value) {
            Some(intent) => f(hash, intent),
            None => warn!(
                "{instance}: the unfinished removal of {hash} in {} cannot be read; it is skipped",
                self.path.display()
            ),
        })
    }

    /// Writes (or, with `None`, deletes) one intent in its own transaction.
    pub(crate) fn save_intent(
        &self,
        instance: &str,
        hash: &str,
        intent: Option<&Intent>,
    ) -> Result<(), StoreError> {
        let change = (hash.to_string(), intent.map(encode_intent));
        self.write(INTENTS, instance, std::iter::once(change))
    }

    /// Appends audit entries in one transaction, then drops the oldest beyond
    /// [`AUDIT_MAX_ENTRIES`] and those older than [`AUDIT_MAX_AGE_SECS`].
    pub(crate) fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let keyed: Vec<(u64, Vec<u8>)> = entries
            .iter()
            .map(|e| {
                (
                    self.next_audit_key(e.time),
                    serde_json::to_vec(e).unwrap_or_default(),
                )
            })
            .collect();
        let newest = entries.iter().map(|e| e.time).max().unwrap_or(0);
        let cutoff = audit_key_floor(newest.saturating_sub(AUDIT_MAX_AGE_SECS));
        self.with_db(|db| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(AUDIT)?;
                for (key, value) in &keyed {
                    table.insert(*key, value.as_slice())?;
                }
                let mut excess = table.len()?.saturating_sub(AUDIT_MAX_ENTRIES);
                loop {
                    let first = table.first()?.map(|(key, _)| key.value());
                    let Some(key) = first else { break };
                    if excess == 0 && key >= cutoff {
                        break;
                    }
                    table.remove(key)?;
                    excess = excess.saturating_sub(1);
                }
            }
            txn.commit()?;
            self.committed();
            Ok(())
        })
    }

    /// Audit entries, oldest first, that pass `keep`, at most the newest `limit`.
    pub(crate) fn audit(
        &self,
        since: UnixTime,
        limit: usize,
        mut keep: impl FnMut(&AuditEntry) -> bool,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(AUDIT)?;
            let mut out = std::collections::VecDeque::new();
            for item in table.range(audit_key_floor(since)..)? {
                let (_, value) = item?;
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
        })
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
    // redb trusts a file it closed cleanly and reads pages without checking
    // them: a byte changed outside redb would be read as data, or make it
    // panic. This checks every page's checksum at each open (start and
    // reopen only), so damage is found there and the file moved aside.
    b.set_check_integrity_on_open(true);
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

/// The times of a [`Memory`], in the order of their presence bits (new ones go at the end,
/// so older records read as "absent").
fn times(m: &Memory) -> [Option<i64>; 8] {
    [
        m.first_seen,
        m.imported_at,
        m.stalled_since,
        m.blocklisted_at,
        m.searched_at,
        m.rechecked_at,
        m.files_checked_at,
        m.all_files_excluded_at,
    ]
}

/// Decodes a value written by [`encode`]; `None` for an unknown version or a damaged value.
pub(crate) fn decode(bytes: &[u8]) -> Option<Memory> {
    let (&version, rest) = bytes.split_first()?;
    if version != VALUE_VERSION && version != VALUE_VERSION_IMPORT {
        return None;
    }
    let (&bits, mut rest) = rest.split_first()?;
    let mut times = [None; 8];
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
    let [first_seen, imported_at, stalled_since, blocklisted_at, searched_at, rechecked_at, files_checked_at, all_files_excluded_at] =
        times;
    Some(Memory {
        first_seen,
        imported_at,
        import,
        stalled_since,
        blocklisted_at,
        searched_at,
        rechecked_at,
        files_checked_at,
        all_files_excluded_at,
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
