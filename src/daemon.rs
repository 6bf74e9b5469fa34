//! Starts one worker thread per managed Arr section and stops them on
//! shutdown. A worker that panics or whose store fails is restarted after
//! Settings.ProcessRestartDelay while fewer than MaxProcessRestarts restarts
//! fell within ProcessRestartWindow; past that it stays stopped and says so.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use log::{error, info, warn};

use crate::config::{Arr, Config, Settings};
use crate::qbit::QbitClient;
use crate::shutdown::Shutdown;
use crate::store::{OpenNote, Store, StoreError, FILE_NAME};
use crate::worker::Worker;

/// Opens the store in `data_dir`, moving a damaged file aside.
pub fn open_store(data_dir: &Path) -> Result<Arc<Store>, StoreError> {
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

/// Runs every managed Arr's worker until `shutdown`, then joins them.
pub fn run(config: &Config, store: Arc<Store>, dry_run: bool, shutdown: &Shutdown) {
    let qbits: Vec<Arc<QbitClient>> = config.qbit.iter().map(|q| Arc::new(QbitClient::new(q))).collect();
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    for arr in config.arrs.iter().filter(|a| a.managed) {
        let settings = config.settings.clone();
        let arr = arr.clone();
        let qbits = qbits.clone();
        let store = Arc::clone(&store);
        let shutdown = shutdown.clone();
        let thread_name = arr.name.clone();
        let spawned = std::thread::Builder::new()
            .name(thread_name.clone())
            .spawn(move || supervise(&settings, &arr, &qbits, &store, dry_run, &shutdown));
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => error!("{thread_name}: cannot start its thread: {e}"),
        }
    }
    info!("{} worker(s) running", handles.len());
    shutdown.wait();
    for h in handles {
        let _ = h.join();
    }
}

/// Runs one worker, restarting it per the restart policy.
fn supervise(
    settings: &Settings,
    arr: &Arr,
    qbits: &[Arc<QbitClient>],
    store: &Arc<Store>,
    dry_run: bool,
    shutdown: &Shutdown,
) {
    let mut restarts: VecDeque<Instant> = VecDeque::new();
    loop {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut worker = Worker::new(settings, arr, qbits.to_vec(), Arc::clone(store), dry_run)?;
            worker.run(shutdown)
        }));
        let why = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(panic) => panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into()),
        };
        if shutdown.is_set() {
            return;
        }
        let now = Instant::now();
        while restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > settings.restart_window)
        {
            restarts.pop_front();
        }
        if !settings.auto_restart || restarts.len() >= settings.max_restarts as usize {
            error!(
                "{}: worker stopped: {why}; not restarting ({} restarts within {}s): manual intervention required",
                arr.name,
                restarts.len(),
                settings.restart_window.as_secs()
            );
            return;
        }
        warn!(
            "{}: worker failed: {why}; restarting in {}s",
            arr.name,
            settings.restart_delay.as_secs()
        );
        if shutdown.wait_timeout(settings.restart_delay) {
            return;
        }
        restarts.push_back(Instant::now());
    }
}
