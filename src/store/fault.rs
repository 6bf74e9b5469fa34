//! Fault injection for the store file, in test builds and with the
//! `fault-injection` feature only (never in a release build).
//!
//! The store opens its file through [`FaultyBackend`], a redb storage backend
//! that passes every call to the real one but fails writes as a full disk
//! does (`ENOSPC`) while its trigger is on. redb then poisons its handle
//! exactly as it does after a real disk-full error, so the reopen path is the
//! one a real full disk takes.
//!
//! The binary reads `QBITRR_LITE_FAULT_STORE_FULL=<file>`: writes fail while
//! that file exists. Unit tests flip a switch instead.

use std::fmt;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use redb::{BackendError, Database, DatabaseError, StorageBackend};

/// ENOSPC.
const NO_SPACE: i32 = 28;

/// When the store file behaves as if the disk were full.
#[derive(Clone, Default)]
enum Trigger {
    #[default]
    Never,
    /// While the switch is on (unit tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Switch(Arc<AtomicBool>),
    /// While this file exists (the binary, from the environment).
    FlagFile(PathBuf),
}

/// The faults a store is opened with; none by default.
#[derive(Clone, Default)]
pub(crate) struct Faults {
    full: Trigger,
    /// Opening the file fails with this error kind (a permission error as root, say).
    open_error: Option<io::ErrorKind>,
    /// Calls that reach the file's `write` (counted whether or not they fail).
    writes: Arc<AtomicU64>,
    /// Calls that reach the file's `read`.
    reads: Arc<AtomicU64>,
    /// The read with this number (from 1) panics, as redb does on some damaged
    /// files; once only.
    panic_at_read: Option<u64>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("full", &self.full())
            .field("open_error", &self.open_error)
            .finish()
    }
}

impl Faults {
    /// `QBITRR_LITE_FAULT_STORE_FULL=<file>`: writes fail while that file exists.
    pub(crate) fn from_env() -> Self {
        match std::env::var_os("QBITRR_LITE_FAULT_STORE_FULL") {
            Some(flag) if !flag.is_empty() => Self {
                full: Trigger::FlagFile(PathBuf::from(flag)),
                ..Self::default()
            },
            _ => Self::default(),
        }
    }

    /// Faults driven by a switch: while it is on, writes fail with ENOSPC.
    #[cfg(test)]
    pub(crate) fn switch() -> (Self, Arc<AtomicBool>) {
        let on = Arc::new(AtomicBool::new(false));
        let faults = Self {
            full: Trigger::Switch(Arc::clone(&on)),
            ..Self::default()
        };
        (faults, on)
    }

    /// Opening the file fails with `kind`.
    #[cfg(test)]
    pub(crate) fn failing_open(kind: io::ErrorKind) -> Self {
        Self {
            open_error: Some(kind),
            ..Self::default()
        }
    }

    /// How many writes reached the file so far.
    #[cfg(test)]
    pub(crate) fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// The `n`-th read of the file (from 1) panics, once.
    #[cfg(test)]
    pub(crate) fn panic_at_read(n: u64) -> Self {
        Self {
            panic_at_read: Some(n),
            ..Self::default()
        }
    }

    /// How many reads reached the file so far.
    #[cfg(test)]
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Counts every read (a fault with nothing to inject still goes through the backend).
    #[cfg(test)]
    pub(crate) fn counting() -> Self {
        Self {
            open_error: None,
            panic_at_read: Some(u64::MAX),
            ..Self::default()
        }
    }

    fn full(&self) -> bool {
        match &self.full {
            Trigger::Never => false,
            Trigger::Switch(on) => on.load(Ordering::Relaxed),
            Trigger::FlagFile(flag) => flag.exists(),
        }
    }

    fn injected(&self) -> bool {
        !matches!(self.full, Trigger::Never) || self.open_error.is_some() || self.panic_at_read.is_some()
    }

    /// Opens (or creates) the database at `path` as `builder.create(path)` does,
    /// through a [`FaultyBackend`] when any fault is set.
    pub(crate) fn create(&self, builder: &redb::Builder, path: &Path) -> Result<Database, DatabaseError> {
        if let Some(kind) = self.open_error {
            return Err(io::Error::from(kind).into());
        }
        if !self.injected() {
            return builder.create(path);
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let inner: Arc<dyn StorageBackend> = Arc::new(redb::backends::FileBackend::new(file)?);
        builder.create_with_backend(FaultyBackend {
            inner,
            faults: self.clone(),
        })
    }

    /// Opens the database kept in `memory` (the same data on every reopen).
    #[cfg(test)]
    pub(crate) fn create_in_memory(
        &self,
        builder: &redb::Builder,
        memory: &Arc<redb::backends::InMemoryBackend>,
    ) -> Result<Database, DatabaseError> {
        let inner: Arc<dyn StorageBackend> = Arc::clone(memory) as Arc<dyn StorageBackend>;
        builder.create_with_backend(FaultyBackend {
            inner,
            faults: self.clone(),
        })
    }
}

/// A storage backend that fails writes while its disk is "full".
pub(crate) struct FaultyBackend {
    inner: Arc<dyn StorageBackend>,
    faults: Faults,
}

impl fmt::Debug for FaultyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyBackend")
            .field("inner", &self.inner)
            .field("faults", &self.faults)
            .finish()
    }
}

impl FaultyBackend {
    fn check(&self) -> Result<(), io::Error> {
        if self.faults.full() {
            return Err(io::Error::from_raw_os_error(NO_SPACE));
        }
        Ok(())
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> Result<u64, io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        let n = self.faults.reads.fetch_add(1, Ordering::Relaxed) + 1;
        if self.faults.panic_at_read == Some(n) {
            panic!("fault injection: read {n} of the store file panics");
        }
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.check()?;
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.faults.writes.fetch_add(1, Ordering::Relaxed);
        self.check()?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> Result<(), io::Error> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
