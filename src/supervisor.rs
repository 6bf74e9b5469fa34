//! The supervisor: one thread per managed Arr section, restarted per
//! qBitrr's policy, reloaded when the config changes, stopped on shutdown.
//!
//! Everything that changes which workers run goes through one event loop on
//! the main thread (`Event` over a std channel, with deadlines for restart
//! timers and the config-file check), so no lock is held across a restart
//! and the order of events is the order they happened in.
//!
//! Restart policy (`[Settings]`): a worker that panics or returns an error is
//! restarted after ProcessRestartDelay while fewer than MaxProcessRestarts
//! restarts fell within ProcessRestartWindow (a sliding window) and
//! AutoRestartProcesses is on; past that it stays stopped, its state says
//! why and the log says "manual intervention required". A manual restart
//! (`POST /api/processes/{name}/restart`) resets its count.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use log::{error, info, warn};

use crate::clock::unix_now;
use crate::config::{self, Arr, Config};
use crate::control::{Command, Control, ReloadError, RestartError};
use crate::logging;
use crate::notify::Notifier;
use crate::requests::RequestClient;
use crate::shutdown::Shutdown;
use crate::status::{Board, Life, QbitState, WorkerState};
use crate::store::{InstanceRecords, Store, Writes};
use crate::upstream;
use crate::view::{View, ViewTimers, Watch};
use crate::worker::{Connections, DecisionLog, SearchBudget, SearchLoop, Worker, WorkerError};

/// How long shutdown waits for workers to finish the action in hand.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_millis(4500);
/// How often the config file's modification time is checked.
const CONFIG_CHECK_EVERY: Duration = Duration::from_secs(2);

/// What the supervisor reacts to.
enum Event {
    /// A worker thread ended (`Ok` when it stopped because it was asked to).
    Exited {
        name: String,
        generation: u64,
        outcome: Result<(), WorkerExit>,
    },
    /// A request from the status server or the signal handler.
    Command(Command),
}

/// Why a worker thread ended without being asked to.
#[derive(Debug)]
pub(crate) enum WorkerExit {
    Failed(WorkerError),
    Panicked(String),
}

impl fmt::Display for WorkerExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(e) => write!(f, "{e}"),
            Self::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

impl std::error::Error for WorkerExit {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Failed(e) => Some(e),
            Self::Panicked(_) => None,
        }
    }
}

struct Slot {
    arr: Arr,
    stop: Shutdown,
    handle: Option<JoinHandle<()>>,
    generation: u64,
    /// When automatic restarts happened, within the window.
    restarts: VecDeque<Instant>,
    /// A restart is due at this time.
    restart_at: Option<Instant>,
    /// It was stopped on purpose (manual restart or reload): start it again at once.
    respawn_on_exit: bool,
    /// It was stopped because its section left the config.
    remove_on_exit: bool,
}

/// The supervisor's state; [`Supervisor::run`] is its event loop.
pub(crate) struct Supervisor {
    config: Config,
    /// The config running now, for readers outside the event loop (`/api/explain`).
    shared_config: Arc<RwLock<Config>>,
    config_path: PathBuf,
    config_mtime: Option<SystemTime>,
    /// `--dry-run` was given (`Settings.DryRun` may also ask for one).
    dry_run_flag: bool,
    store: Arc<Store>,
    board: Arc<Board>,
    /// One shared view per qBittorrent instance (its client inside).
    qbits: Vec<Arc<View>>,
    slots: BTreeMap<String, Slot>,
    events: Sender<Event>,
    inbox: Receiver<Event>,
    next_config_check: Instant,
    /// systemd's notifications, when run as a `Type=notify` service.
    notifier: Option<Notifier>,
    /// The next watchdog ping, when systemd's watchdog is on.
    next_watchdog: Option<Instant>,
    /// The workers last seen stuck (logged when that changes).
    stuck: Vec<String>,
}

impl Supervisor {
    pub(crate) fn new(
        config: Config,
        config_path: &Path,
        dry_run: bool,
        store: Arc<Store>,
        board: Arc<Board>,
    ) -> Self {
        let (events, inbox) = mpsc::channel();
        let qbits = qbit_clients(&config, dry_run);
        board.set_qbits(qbit_states(&config));
        Self {
            config_mtime: mtime(config_path),
            shared_config: Arc::new(RwLock::new(config.clone())),
            config,
            config_path: config_path.to_path_buf(),
            dry_run_flag: dry_run,
            store,
            board,
            qbits,
            slots: BTreeMap::new(),
            events,
            inbox,
            next_config_check: Instant::now() + CONFIG_CHECK_EVERY,
            notifier: None,
            next_watchdog: None,
            stuck: Vec::new(),
        }
    }

    /// Tells systemd when the workers run, feeds its watchdog while they make progress, and
    /// says when it stops (see [`Notifier`]).
    pub(crate) fn notify_systemd(mut self, notifier: Option<Notifier>) -> Self {
        self.next_watchdog = notifier
            .as_ref()
            .and_then(Notifier::watchdog_every)
            .map(|_| Instant::now());
        self.notifier = notifier;
        self
    }

    /// The command handle for the status server and the signal handler.
    pub(crate) fn control(&self) -> Control {
        let events = self.events.clone();
        Control::new(move |command| events.send(Event::Command(command)).is_ok())
    }

    /// The config running now, kept up to date across reloads.
    pub(crate) fn shared_config(&self) -> Arc<RwLock<Config>> {
        Arc::clone(&self.shared_config)
    }

    /// Whether workers change nothing: `--dry-run` or `Settings.DryRun`.
    fn dry_run(&self, config: &Config) -> bool {
        self.dry_run_flag || config.settings.dry_run
    }

    /// Starts every managed worker and handles events until shutdown; then
    /// stops the workers, waiting up to [`SHUTDOWN_GRACE`] for them.
    pub(crate) fn run(mut self) {
        let arrs: Vec<Arr> = self.config.arrs.iter().filter(|a| a.managed).cloned().collect();
        for arr in arrs {
            self.add(arr);
        }
        info!("{} worker(s) running", self.slots.len());
        if let Some(n) = &self.notifier {
            n.ready();
        }
        loop {
            let timeout = self.next_deadline().saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(timeout) {
                Ok(Event::Command(Command::Shutdown)) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Event::Exited {
                    name,
                    generation,
                    outcome,
                }) => self.exited(&name, generation, outcome),
                Ok(Event::Command(Command::Restart { name, reply })) => {
                    let _ = reply.send(self.manual_restart(&name));
                }
                Ok(Event::Command(Command::Reload { reply })) => {
                    let result = self.reload();
                    if let Some(reply) = reply {
                        let _ = reply.send(result);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.due_restarts();
            self.feed_watchdog();
            if Instant::now() >= self.next_config_check {
                self.next_config_check = Instant::now() + CONFIG_CHECK_EVERY;
                let now = mtime(&self.config_path);
                if now.is_some() && now != self.config_mtime {
                    self.config_mtime = now;
                    info!("{} changed; reloading", self.config_path.display());
                    let _ = self.reload();
                }
            }
        }
        if let Some(n) = &self.notifier {
            n.stopping();
        }
        self.stop_all();
    }

    fn next_deadline(&self) -> Instant {
        self.slots
            .values()
            .filter_map(|s| s.restart_at)
            .chain(self.next_watchdog)
            .fold(self.next_config_check, Instant::min)
    }

    /// Pings systemd's watchdog when it is due and no worker is stuck: a worker that shows
    /// no life long past its pass and sleep (a hang) lets the watchdog restart the service.
    fn feed_watchdog(&mut self) {
        let (Some(n), Some(due)) = (&self.notifier, self.next_watchdog) else {
            return;
        };
        let now = Instant::now();
        if now < due {
            return;
        }
        let stuck = self.board.stuck(unix_now());
        if stuck != self.stuck {
            if stuck.is_empty() {
                info!("every worker makes progress again; feeding the service watchdog again");
            } else {
                error!(
                    "stuck, with no progress for far longer than a pass: {}; the service watchdog is \
                     no longer fed, so the service manager restarts the daemon",
                    stuck.join(", ")
                );
            }
            self.stuck = stuck;
        }
        if self.stuck.is_empty() {
            n.watchdog();
        }
        self.next_watchdog = n.watchdog_every().map(|every| now + every);
    }

    fn add(&mut self, arr: Arr) {
        let name = arr.name.clone();
        self.slots.insert(
            name.clone(),
            Slot {
                arr,
                stop: Shutdown::new(),
                handle: None,
                generation: 0,
                restarts: VecDeque::new(),
                restart_at: None,
                respawn_on_exit: false,
                remove_on_exit: false,
            },
        );
        self.spawn(&name);
    }

    fn spawn(&mut self, name: &str) {
        let dry_run = self.dry_run(&self.config);
        let Some(slot) = self.slots.get_mut(name) else {
            return;
        };
        slot.generation += 1;
        slot.stop = Shutdown::new();
        slot.restart_at = None;
        let (arr, stop, generation) = (slot.arr.clone(), slot.stop.clone(), slot.generation);
        // New or reloaded: the board shows the section as it is now.
        self.board.register(WorkerState::new(
            &arr.name,
            arr.kind_label(),
            &arr.category,
            &arr.uri,
            arr.check_interval.unwrap_or(self.config.settings.loop_sleep),
            unix_now(),
        ));
        let settings = self.config.settings.clone();
        let qbits = watched_qbits(&self.config, &self.qbits, &arr);
        let (store, board, events) = (
            Arc::clone(&self.store),
            Arc::clone(&self.board),
            self.events.clone(),
        );
        let thread_name = name.to_string();
        let spawned = std::thread::Builder::new()
            .name(thread_name.clone())
            .spawn(move || {
                logging::set_section(&arr.name);
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let writes = if dry_run { Writes::Discard } else { Writes::Commit };
                    let search_records = InstanceRecords::new(Arc::clone(&store), &arr.name, writes);
                    let search_budget = if arr.has_arr() {
                        SearchBudget::load(&arr.search, &search_records, unix_now())
                    } else {
                        SearchBudget::unlimited()
                    };
                    let connections = Connections {
                        arr: upstream::connect_arr(&arr, dry_run),
                        qbits,
                        records: InstanceRecords::new(store, &arr.name, writes),
                        decisions: DecisionLog::new(dry_run),
                        search_budget: search_budget.clone(),
                        dry_run,
                    };
                    let mut worker = Worker::new(&settings, &arr, connections, Arc::clone(&board))?;
                    std::thread::scope(|scope| {
                        // The search loop runs beside the torrent loop and stops with it, also
                        // when the torrent loop panics (the scope waits for every thread first).
                        let search_stop = stop.child();
                        let _stop_search = StopOnDrop(search_stop.clone());
                        if arr.has_arr() && arr.search.runs() {
                            let mut search = SearchLoop::new(
                                &arr,
                                settings.search_delay,
                                upstream::connect_arr(&arr, dry_run),
                                search_records,
                                search_budget,
                                board,
                                dry_run,
                            );
                            if let Some(source) = &arr.search.requests {
                                search = search.with_requests(Box::new(RequestClient::new(source)));
                            }
                            spawn_search_loop(scope, &arr.name, search, search_stop.clone());
                        }
                        worker.run(&stop)
                    })
                }));
                let outcome = match outcome {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(WorkerExit::Failed(e)),
                    Err(panic) => Err(WorkerExit::Panicked(panic_message(panic.as_ref()))),
                };
                let _ = events.send(Event::Exited {
                    name: arr.name.clone(),
                    generation,
                    outcome,
                });
            });
        let now = unix_now();
        match spawned {
            Ok(handle) => {
                slot.handle = Some(handle);
                self.board.update(name, |w| {
                    w.life = Life::Running;
                    w.reason = None;
                    w.started_at = now;
                });
            }
            Err(e) => {
                error!("{thread_name}: cannot start its thread: {e}");
                self.board.update(name, |w| {
                    w.life = Life::Stopped;
                    w.reason = Some(format!("cannot start a thread: {e}"));
                });
            }
        }
    }

    fn exited(&mut self, name: &str, generation: u64, outcome: Result<(), WorkerExit>) {
        let Some(slot) = self.slots.get_mut(name) else {
            return;
        };
        if slot.generation != generation {
            return;
        }
        if let Some(h) = slot.handle.take() {
            let _ = h.join();
        }
        if slot.remove_on_exit {
            self.slots.remove(name);
            self.board.unregister(name);
            info!("{name}: removed");
            return;
        }
        if std::mem::take(&mut slot.respawn_on_exit) {
            self.spawn(name);
            return;
        }
        let why = match outcome {
            Ok(()) => "stopped".to_string(),
            Err(e) => e.to_string(),
        };
        let settings = &self.config.settings;
        let now = Instant::now();
        while slot
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > settings.restart_window)
        {
            slot.restarts.pop_front();
        }
        if !settings.auto_restart || slot.restarts.len() >= settings.max_restarts as usize {
            let reason = if settings.auto_restart {
                format!(
                    "{why}; restart limit hit ({} restarts within {}s)",
                    slot.restarts.len(),
                    settings.restart_window.as_secs()
                )
            } else {
                format!("{why}; AutoRestartProcesses is off")
            };
            error!("{name}: worker stopped: {reason}: manual intervention required");
            self.board.update(name, |w| {
                w.life = Life::Stopped;
                w.reason = Some(reason);
                w.last_error = Some(why);
            });
            return;
        }
        let delay = settings.restart_delay;
        warn!("{name}: worker failed: {why}; restarting in {}s", delay.as_secs());
        slot.restarts.push_back(now);
        slot.restart_at = Some(deadline(now, delay));
        let count = u32::try_from(slot.restarts.len()).unwrap_or(u32::MAX);
        let at = unix_now();
        self.board.update(name, |w| {
            w.life = Life::Restarting;
            w.reason = Some(why.clone());
            w.last_error = Some(why);
            w.restart_count = count;
            w.restarts_total += 1;
            w.last_restart = Some(at);
        });
    }

    fn due_restarts(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| s.restart_at.is_some_and(|t| t <= now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            info!("{name}: restarting");
            self.spawn(&name);
        }
    }

    fn manual_restart(&mut self, name: &str) -> Result<(), RestartError> {
        let Some(slot) = self.slots.get_mut(name) else {
            return Err(RestartError::UnknownWorker(name.to_string()));
        };
        slot.restarts.clear();
        self.board.update(name, |w| w.restart_count = 0);
        info!("{name}: restart requested");
        if slot.handle.is_some() {
            slot.respawn_on_exit = true;
            slot.stop.trigger();
        } else {
            self.spawn(name);
        }
        Ok(())
    }

    /// Re-reads the config. Valid: restarts the workers whose settings changed
    /// and keeps the others running. Invalid: keeps the running config and says why.
    fn reload(&mut self) -> Result<String, ReloadError> {
        let loaded = match config::load(&self.config_path) {
            Ok(l) => l,
            Err(e) => {
                let msg = e.to_string();
                error!("the new config is invalid; still running the previous one:\n{msg}");
                self.board.set_config_error(Some(msg));
                return Err(ReloadError::Invalid(e));
            }
        };
        self.board.set_config_error(None);
        for w in &loaded.warnings {
            warn!("{w}");
        }
        let new = loaded.config;
        if new.webui != self.config.webui {
            warn!("[WebUI] changes take effect after a restart of qbitrr-lite");
        }
        logging::set_level(logging::level(&new.settings.console_level));
        let everything = new.settings != self.config.settings || new.qbit != self.config.qbit;
        if new.qbit != self.config.qbit
            || self.dry_run(&new) != self.dry_run(&self.config)
            || view_timers(&new) != view_timers(&self.config)
        {
            self.qbits = qbit_clients(&new, self.dry_run(&new));
            self.board.set_qbits(qbit_states(&new));
        }
        *self.shared_config.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
        self.config = new;
        let wanted: BTreeMap<String, Arr> = self
            .config
            .arrs
            .iter()
            .filter(|a| a.managed)
            .map(|a| (a.name.clone(), a.clone()))
            .collect();
        let mut changed = Vec::new();
        for (name, slot) in &mut self.slots {
            match wanted.get(name) {
                None => {
                    slot.remove_on_exit = true;
                    slot.stop.trigger();
                    changed.push(format!("{name} removed"));
                }
                Some(arr) if everything || *arr != slot.arr => {
                    slot.arr = arr.clone();
                    changed.push(format!("{name} restarted"));
                    if slot.handle.is_some() {
                        slot.respawn_on_exit = true;
                        slot.stop.trigger();
                    } else {
                        slot.restart_at = Some(Instant::now());
                    }
                }
                Some(_) => {}
            }
        }
        let new_arrs: Vec<Arr> = wanted
            .into_values()
            .filter(|a| !self.slots.contains_key(&a.name))
            .collect();
        for arr in new_arrs {
            changed.push(format!("{} started", arr.name));
            self.add(arr);
        }
        let summary = if changed.is_empty() {
            "config reloaded; no worker affected".to_string()
        } else {
            format!("config reloaded: {}", changed.join(", "))
        };
        info!("{summary}");
        Ok(summary)
    }

    /// Asks every worker to stop and waits up to [`SHUTDOWN_GRACE`].
    fn stop_all(&mut self) {
        for slot in self.slots.values() {
            slot.stop.trigger();
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        for (name, slot) in &mut self.slots {
            let Some(handle) = slot.handle.take() else {
                continue;
            };
            while !handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                warn!("{name}: still busy with a request; not waiting for it");
            }
        }
    }
}

/// One view per qBittorrent section, each around its client.
fn qbit_clients(config: &Config, dry_run: bool) -> Vec<Arc<View>> {
    config
        .qbit
        .iter()
        .map(|q| {
            let client = upstream::connect_qbit(q, dry_run);
            let view = View::new(client, view_timers(config), q.read_mode).with_trackers(q.trackers.clone());
            for arr in config.arrs.iter().filter(|a| a.managed && a.watches(&q.name)) {
                view.register(&Watch::of(&config.settings, arr));
            }
            Arc::new(view)
        })
        .collect()
}

/// The views `arr`'s worker reads (`views` in the order of `config.qbit`).
fn watched_qbits(config: &Config, views: &[Arc<View>], arr: &Arr) -> Vec<Arc<View>> {
    config
        .qbit
        .iter()
        .zip(views)
        .filter(|(q, _)| arr.watches(&q.name))
        .map(|(_, v)| Arc::clone(v))
        .collect()
}

fn view_timers(config: &Config) -> ViewTimers {
    ViewTimers {
        full_sync: config.settings.full_sync,
        full_list: config.settings.full_list,
    }
}

fn qbit_states(config: &Config) -> Vec<QbitState> {
    config
        .qbit
        .iter()
        .map(|q| QbitState {
            name: q.name.clone(),
            url: q.url.clone(),
            ..QbitState::default()
        })
        .collect()
}

/// `now + after`, or a deadline far away when that does not fit in an [`Instant`] (the config
/// bounds ProcessRestartDelay; this keeps a value past them from panicking the event loop).
fn deadline(now: Instant, after: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 86_400);
    [after, FAR, Duration::from_secs(86_400)]
        .into_iter()
        .find_map(|d| now.checked_add(d))
        .unwrap_or(now)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The text of a panic payload.
/// Starts `search` in its own thread of `scope`, until `stop`. A panic in it is logged and
/// the loop starts again after a pause: the torrent loop beside it runs on.
fn spawn_search_loop<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    name: &str,
    mut search: SearchLoop,
    stop: Shutdown,
) {
    let section = name.to_string();
    let spawned = std::thread::Builder::new()
        .name(format!("{name}.search"))
        .spawn_scoped(scope, move || {
            logging::set_section(&section);
            loop {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| search.run(&stop))) {
                    Ok(()) => break,
                    Err(panic) => {
                        error!(
                            "{section}: the search loop failed ({}); it starts again in {} min",
                            panic_message(panic.as_ref()),
                            SEARCH_RESTART_PAUSE.as_secs() / 60
                        );
                        if stop.wait_timeout(SEARCH_RESTART_PAUSE) {
                            break;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        error!("{name}: cannot start its search thread, so nothing is searched: {e}");
    }
}

/// Sets its token when dropped, on return or while a panic unwinds.
struct StopOnDrop(Shutdown);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.trigger();
    }
}

/// The pause before a search loop that panicked starts again.
const SEARCH_RESTART_PAUSE: Duration = Duration::from_secs(15 * 60);

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_deadlines_saturate_instead_of_overflowing() {
        let now = Instant::now();
        let five = Duration::from_secs(5);
        assert_eq!(deadline(now, five), now + five);
        assert_eq!(deadline(now, Duration::ZERO), now);
        // ProcessRestartDelay = i64::MAX seconds used to panic here at the first failure.
        for huge in [Duration::from_secs(i64::MAX as u64), Duration::MAX] {
            assert!(deadline(now, huge) > now + Duration::from_secs(365 * 86_400));
        }
    }
}
