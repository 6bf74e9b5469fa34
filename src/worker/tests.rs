//! A whole pass of the loop against the recording fakes: the views are read,
//! then the Arr queue, and each torrent to act on is read again by hash; a
//! completed download is imported once (also on the next pass), and a pass
//! whose queue read failed touches nothing.

use std::sync::Arc;

use super::*;
use crate::config::load_str;
use crate::file_filter::TorrentFile;
use crate::model::{tags, ArrKind, TorrentState};
use crate::store::{Store, Writes};
use crate::upstream::fake::{Call, FakeArr, FakeQbit, Journal};

const NOW: UnixTime = 1_800_000_000;
const HASH: &str = "0123456789abcdef0123456789abcdef01234567";

const CONFIG: &str = "\
[qBit]
Host = \"localhost\"

[Radarr-Movies]
URI = \"http://radarr:7878/\"
APIKey = \"0123456789abcdef\"
Category = \"radarr\"
RssSyncTimer = 0
RefreshDownloadsTimer = 0

[Radarr-Movies.Torrent]
MaxRemovalsPerPass = 3
MaxRemovalsPerHour = 5
# The file filters have their own tests.
FolderExclusionRegex = []
FileNameExclusionRegex = []
FileExtensionAllowlist = []
";

fn completed() -> Torrent {
    Torrent {
        hash: HASH.into(),
        name: "Some.Movie.2024.1080p".into(),
        category: "radarr".into(),
        state: TorrentState::StalledUp,
        progress: 1.0,
        size: 1000,
        added_on: NOW - 7200,
        completion_on: NOW - 3600,
        last_activity: NOW - 60,
        content_path: "/downloads/radarr/Some.Movie.2024.1080p".into(),
        save_path: "/downloads/radarr".into(),
        ..Torrent::default()
    }
}

/// A view of `qbit` that lists every watched category whole on every pass,
/// as the tests' passes come milliseconds apart.
fn every_pass(qbit: Arc<dyn Qbittorrent>) -> Vec<Arc<View>> {
    let timers = crate::view::ViewTimers {
        full_sync: Duration::ZERO,
        full_list: Duration::ZERO,
    };
    vec![Arc::new(View::new(qbit, timers, crate::config::ReadMode::Auto))]
}

/// A worker over fakes sharing one journal.
fn worker(journal: &Journal, torrents: Vec<Torrent>) -> (Worker, Arc<FakeQbit>) {
    let (worker, qbit, _) = worker_and_arr(journal, torrents);
    (worker, qbit)
}

fn worker_and_arr(journal: &Journal, torrents: Vec<Torrent>) -> (Worker, Arc<FakeQbit>, Arc<FakeArr>) {
    let queued = QueueEntry {
        ids: vec![1],
        media_ids: vec![10],
        ..QueueEntry::default()
    };
    let store = Arc::new(Store::in_memory());
    build(journal, torrents, queued, store, CONFIG, false)
}

/// A worker of the first Arr section of `config`, on `store`, over fakes sharing
/// `journal`: qBittorrent lists `torrents` in category `radarr`, and the Arr's queue
/// holds `queued` for [`HASH`].
fn build(
    journal: &Journal,
    torrents: Vec<Torrent>,
    queued: QueueEntry,
    store: Arc<Store>,
    config: &str,
    dry_run: bool,
) -> (Worker, Arc<FakeQbit>, Arc<FakeArr>) {
    let config = load_str(config, "config.toml", &[]).unwrap().config;
    let arr_cfg = &config.arrs[0];
    let qbit = Arc::new(FakeQbit::new("qBit", journal));
    qbit.list("radarr", torrents);
    let arr = Arc::new(FakeArr::new(ArrKind::Radarr, journal));
    arr.enqueue(HASH, queued);
    let connections = Connections {
        arr: Box::new(Arc::clone(&arr)),
        qbits: every_pass(Arc::clone(&qbit) as Arc<dyn Qbittorrent>),
        records: InstanceRecords::new(store, &arr_cfg.name, Writes::Commit),
        decisions: DecisionLog::new(false),
        search_budget: SearchBudget::unlimited(),
        dry_run,
    };
    let board = Arc::new(Board::new("config.toml", NOW));
    board.register(crate::status::WorkerState::new(
        &arr_cfg.name,
        "Radarr",
        "radarr",
        "http://radarr:7878/",
        Duration::from_secs(5),
        NOW,
    ));
    let mut worker = Worker::new(&config.settings, arr_cfg, connections, board).unwrap();
    worker.view_fresh = Duration::ZERO;
    (worker, qbit, arr)
}

#[test]
fn a_pass_reads_the_queue_first_then_imports_a_completed_download_once() {
    let journal = Journal::default();
    let (mut worker, _qbit, arr) = worker_and_arr(&journal, vec![completed()]);
    let report = worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!(report.torrents, 1);
    assert_eq!(report.applied.imports, 1);
    assert_eq!(
        journal.calls(),
        [
            Call::List("radarr".into()),
            Call::List("failed".into()),
            Call::List("recheck".into()),
            Call::Queue,
            // Read again before it is acted on.
            Call::Lookup(HASH.into()),
            Call::Command("DownloadedMoviesScan".into()),
        ]
    );
    // The next pass follows the command; the Arr still lists the download: not imported yet.
    let report = worker.pass(NOW + 5, &Shutdown::new()).unwrap();
    assert_eq!((report.applied.imports, report.applied.imports_confirmed), (0, 0));
    // The Arr imported it (it left the queue). Nothing changed in qBittorrent, so the queue
    // is not read again before QueueRefreshTimer: not seen yet.
    arr.dequeue(HASH);
    let queue_reads = |j: &Journal| j.calls().iter().filter(|c| **c == Call::Queue).count();
    let before = queue_reads(&journal);
    let report = worker.pass(NOW + 10, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.imports_confirmed, 0);
    assert_eq!(queue_reads(&journal), before, "the queue is not read every pass");
    // Once it is due, it is read: imported, tagged, and never sent again.
    worker.queue_refresh = Duration::ZERO;
    let report = worker.pass(NOW + 12, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.imports_confirmed, 1);
    assert!(journal.calls().contains(&Call::AddTags {
        hashes: vec![HASH.into()],
        tags: vec![tags::IMPORTED.into()]
    }));
    worker.pass(NOW + 15, &Shutdown::new()).unwrap();
    let commands = journal
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Command(_)))
        .count();
    assert_eq!(commands, 1);
}

#[test]
fn a_pass_whose_queue_read_failed_touches_nothing() {
    let journal = Journal::default();
    let (mut worker, _qbit) = worker(&journal, vec![completed()]);
    journal.fail("queue");
    let result = worker.pass(NOW, &Shutdown::new());
    assert!(matches!(
        result,
        Err(PassError::Upstream(PassFailure::Arr { .. }))
    ));
    // Only reads: the views (each category whole on this first read), then the queue.
    assert_eq!(
        journal.calls(),
        [
            Call::List("radarr".into()),
            Call::List("failed".into()),
            Call::List("recheck".into()),
            Call::Queue
        ]
    );
}

#[test]
fn a_failed_torrent_list_is_an_upstream_failure_not_an_empty_list() {
    let journal = Journal::default();
    let (mut worker, qbit) = worker(&journal, vec![completed()]);
    journal.fail("list");
    let result = worker.pass(NOW, &Shutdown::new());
    assert!(matches!(
        result,
        Err(PassError::Upstream(PassFailure::Qbit { .. }))
    ));
    assert!(!qbit.mark_down(), "the outage was marked, once");
}

#[test]
fn a_torrent_moved_to_the_failed_category_is_blocklisted_after_the_arr_dropped_its_row() {
    let journal = Journal::default();
    let mut downloading = completed();
    downloading.state = TorrentState::Downloading;
    downloading.progress = 0.5;
    downloading.amount_left = 500;
    downloading.completion_on = -1;
    downloading.added_on = NOW - 60;
    let (mut worker, qbit, arr) = worker_and_arr(&journal, vec![downloading.clone()]);
    worker.pass(NOW, &Shutdown::new()).unwrap();

    // The user fails it; the next look at the failed category finds it too young to act on.
    let mut failed = downloading;
    failed.category = "failed".into();
    qbit.list("radarr", vec![]);
    qbit.list("failed", vec![failed]);
    let report = worker.pass(NOW + 30, &Shutdown::new()).unwrap();
    assert_eq!(
        report.applied,
        Applied::default(),
        "IgnoreTorrentsYoungerThan: not yet"
    );

    // A minute later the Arr has dropped its row; the removal still blocklists and searches.
    arr.dequeue(HASH);
    journal.clear();
    let report = worker.pass(NOW + 200, &Shutdown::new()).unwrap();
    assert_eq!(
        (
            report.applied.removals,
            report.applied.blocklists,
            report.applied.searches
        ),
        (1, 1, 1)
    );
    let mutating: Vec<Call> = journal
        .calls()
        .into_iter()
        .filter(|c| !matches!(c, Call::List(_) | Call::Queue))
        .collect();
    assert_eq!(
        mutating,
        [
            // Read again, by hash, and its trackers read, before it is removed.
            Call::Lookup(HASH.into()),
            Call::Trackers(HASH.into()),
            Call::Delete {
                hashes: vec![HASH.into()],
                files: true
            },
            Call::QueueDelete {
                id: 1,
                blocklist: true
            },
            Call::FindSearch(vec![10]),
            Call::Command("MoviesSearch".into()),
        ]
    );
    assert!(worker.held_queue.is_empty(), "released once used");
}

/// `n` torrents of ours: the first `missing` in missingFiles, the rest seeding.
fn library(n: usize, missing: usize) -> Vec<Torrent> {
    (0..n)
        .map(|i| {
            let mut t = completed();
            t.hash = format!("{i:040x}");
            t.name = format!("T{i}");
            t.tags = vec![tags::IMPORTED.into()];
            if i < missing {
                t.state = TorrentState::MissingFiles;
            }
            t
        })
        .collect()
}

fn deletes(journal: &Journal) -> usize {
    journal
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Delete { .. }))
        .count()
}

#[test]
fn removals_are_capped_per_pass_and_per_hour() {
    let journal = Journal::default();
    // 8 of 100 missingFiles: no storm, 8 removals wanted; 3 a pass, 5 an hour.
    let (mut worker, _qbit) = worker(&journal, library(100, 8));
    let report = worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!((report.applied.removals, deletes(&journal)), (3, 3));
    worker.pass(NOW + 5, &Shutdown::new()).unwrap();
    assert_eq!(deletes(&journal), 5, "the hour's 5 are spent");
    worker.pass(NOW + 600, &Shutdown::new()).unwrap();
    assert_eq!(deletes(&journal), 5, "nothing more within the hour");
    worker.pass(NOW + 3600, &Shutdown::new()).unwrap();
    assert_eq!(deletes(&journal), 8, "the rest an hour later");
}

#[test]
fn a_storm_of_missing_files_is_held_back_until_acknowledged() {
    let journal = Journal::default();
    // 40 of 100 missingFiles at once: a mount missing, not 40 broken torrents.
    let (mut worker, qbit) = worker(&journal, library(100, 40));
    let report = worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!(report.applied, Applied::default());
    assert_eq!(deletes(&journal), 0);
    let (healthy, body) = worker.board.health(NOW);
    assert!(
        !healthy && body.to_string().contains("40 of 100 torrents"),
        "{body}"
    );

    // The user says it is expected: the removals go ahead (within the caps).
    assert!(worker.board.acknowledge_storm("Radarr-Movies"));
    worker.pass(NOW + 5, &Shutdown::new()).unwrap();
    assert_eq!(deletes(&journal), 3);
    assert!(!worker
        .board
        .health(NOW + 5)
        .1
        .to_string()
        .contains("missingFiles"));

    // It clears (the mount is back): a later storm needs a new acknowledgement.
    qbit.list("radarr", library(100, 0));
    worker.pass(NOW + 10, &Shutdown::new()).unwrap();
    assert!(!worker.board.storm_acknowledged("Radarr-Movies"));
    qbit.list("radarr", library(100, 50));
    journal.clear();
    worker.pass(NOW + 4000, &Shutdown::new()).unwrap();
    assert_eq!(deletes(&journal), 0, "a new storm is held back again");
}

/// A worker over fakes whose store is in memory and can be made "full".
fn worker_on_store(journal: &Journal, torrents: Vec<Torrent>, store: Arc<Store>) -> Worker {
    worker_from(journal, torrents, store, CONFIG, false)
}

fn worker_from(
    journal: &Journal,
    torrents: Vec<Torrent>,
    store: Arc<Store>,
    config: &str,
    dry_run: bool,
) -> Worker {
    build(journal, torrents, QueueEntry::default(), store, config, dry_run).0
}

/// The Arr's periodic jobs: RssSync and RefreshMonitoredDownloads one period after the
/// start and every period after; none in a dry run; a long period's last run survives a
/// restart, so the restarted worker does not ask again at once.
#[test]
fn the_arrs_periodic_jobs_run_on_time_not_in_a_dry_run_and_not_again_after_a_restart() {
    let jobs_config = |keys: &str| CONFIG.replace("RssSyncTimer = 0\nRefreshDownloadsTimer = 0\n", keys);
    let sent = |journal: &Journal| -> Vec<String> {
        journal
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Command(name) => Some(name),
                _ => None,
            })
            .collect()
    };

    let journal = Journal::default();
    let defaults = jobs_config("");
    let mut worker = worker_from(&journal, vec![], Arc::new(Store::in_memory()), &defaults, false);
    for at in [NOW, NOW + 30, NOW + 55] {
        worker.pass(at, &Shutdown::new()).unwrap();
    }
    assert_eq!(sent(&journal), [] as [String; 0], "not before one minute");
    worker.pass(NOW + 60, &Shutdown::new()).unwrap();
    assert_eq!(sent(&journal), ["RssSync", "RefreshMonitoredDownloads"]);
    worker.pass(NOW + 90, &Shutdown::new()).unwrap();
    worker.pass(NOW + 120, &Shutdown::new()).unwrap();
    assert_eq!(sent(&journal).len(), 4, "once a minute: {:?}", sent(&journal));

    let journal = Journal::default();
    let mut dry = worker_from(&journal, vec![], Arc::new(Store::in_memory()), &defaults, true);
    for at in [NOW, NOW + 60, NOW + 120] {
        dry.pass(at, &Shutdown::new()).unwrap();
    }
    assert_eq!(sent(&journal), [] as [String; 0], "a dry run asks for nothing");

    // RssSync every 15 minutes: never recorded, so it runs at the first pass, and is recorded.
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let long = jobs_config("RssSyncTimer = 15\nRefreshDownloadsTimer = 0\n");
    let mut worker = worker_from(&journal, vec![], Arc::clone(&store), &long, false);
    worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!(sent(&journal), ["RssSync"]);
    // Restarted five minutes later: not again until 15 minutes after that run.
    journal.clear();
    let mut restarted = worker_from(&journal, vec![], Arc::clone(&store), &long, false);
    restarted.pass(NOW + 300, &Shutdown::new()).unwrap();
    restarted.pass(NOW + 899, &Shutdown::new()).unwrap();
    assert_eq!(sent(&journal), [] as [String; 0]);
    restarted.pass(NOW + 900, &Shutdown::new()).unwrap();
    assert_eq!(sent(&journal), ["RssSync"]);
}

/// The disk fills as an import is about to be recorded: it is not sent (it could not be
/// recorded first), the pass stops there, the next passes touch nothing upstream while
/// the store is unavailable, and once it works again the import is sent once and
/// followed to completion, never sent twice (also after a restart).
#[test]
fn a_full_store_skips_passes_and_sends_the_import_once_it_works_again() {
    let journal = Journal::default();
    let (faults, full) = crate::store::Faults::switch();
    let store = Arc::new(Store::in_memory_with(faults));
    let mut worker = worker_on_store(&journal, vec![completed()], Arc::clone(&store));
    full.store(true, std::sync::atomic::Ordering::Relaxed);

    let result = worker.pass(NOW, &Shutdown::new());
    let Err(PassError::Store(e)) = result else {
        panic!("expected a store error, got {result:?}");
    };
    assert!(e.is_outage(), "{e}");
    let commands = |calls: &[Call]| calls.iter().filter(|c| matches!(c, Call::Command(_))).count();
    assert_eq!(
        commands(&journal.calls()),
        0,
        "not sent: it could not be recorded first"
    );

    // Still full: each pass is skipped before any call upstream.
    journal.clear();
    for at in [NOW + 5, NOW + 10] {
        store.retry_now();
        let result = worker.pass(at, &Shutdown::new());
        assert!(
            matches!(&result, Err(PassError::Store(e)) if e.is_outage()),
            "{result:?}"
        );
    }
    assert_eq!(
        journal.calls(),
        [],
        "nothing is done while the store is unavailable"
    );

    // Space freed: the import is sent once, and recorded as sent.
    full.store(false, std::sync::atomic::Ordering::Relaxed);
    store.retry_now();
    let report = worker.pass(NOW + 15, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.imports, 1);
    assert_eq!(commands(&journal.calls()), 1);
    let remembered = store.load("Radarr-Movies").unwrap();
    assert!(
        matches!(remembered[HASH].import, crate::model::ImportState::Sent { .. }),
        "recorded: {:?}",
        remembered[HASH]
    );

    // A worker started on that store (a restart) does not import it again.
    journal.clear();
    let mut restarted = worker_on_store(&journal, vec![completed()], store);
    let report = restarted.pass(NOW + 25, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.imports, 0);
    assert_eq!(commands(&journal.calls()), 0);
}

/// While the Arr has not imported a download yet, each pass checks the import command,
/// and none of those checks writes the store; the outcome is written once it comes.
#[test]
fn an_import_that_is_still_pending_writes_nothing_until_it_ends() {
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let mut worker = worker_on_store(&journal, vec![completed()], Arc::clone(&store));
    let report = worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.imports, 1);
    let after_send = store.commits();
    assert!(after_send > 0, "the import was recorded before it was sent");

    journal.clear();
    for at in (1..=6).map(|i| NOW + 5 * i) {
        worker.pass(at, &Shutdown::new()).unwrap();
    }
    let checks = journal
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::CommandState(_)))
        .count();
    assert_eq!(checks, 6, "the command is checked every pass");
    assert_eq!(store.commits(), after_send, "a pending import writes nothing");

    // Still in the queue long after the command completed: the failure is written.
    worker
        .pass(NOW + executor::IMPORT_CONFIRM_SECS + 5, &Shutdown::new())
        .unwrap();
    assert!(store.commits() > after_send);
    let remembered = store.load("Radarr-Movies").unwrap();
    assert!(
        matches!(remembered[HASH].import, crate::model::ImportState::Failed { .. }),
        "{:?}",
        remembered[HASH]
    );
}

/// A worker built while the store is unavailable starts anyway and reads its
/// records at its first pass once the store works (no restart storm).
#[test]
fn a_worker_started_while_the_store_is_unavailable_waits_for_it() {
    let journal = Journal::default();
    let (faults, full) = crate::store::Faults::switch();
    let store = Arc::new(Store::in_memory_with(faults));
    store
        .save(
            "Radarr-Movies",
            &[(
                HASH,
                Some(Memory {
                    imported_at: Some(NOW - 60),
                    ..Memory::default()
                }),
            )],
        )
        .unwrap();
    full.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(store.save("x", &[("y", Some(Memory::default()))]).is_err());
    assert!(store.is_down());

    let mut worker = worker_on_store(&journal, vec![completed()], Arc::clone(&store));
    assert!(worker.pass(NOW, &Shutdown::new()).is_err());
    assert_eq!(journal.calls(), []);

    full.store(false, std::sync::atomic::Ordering::Relaxed);
    store.retry_now();
    let report = worker.pass(NOW + 5, &Shutdown::new()).unwrap();
    assert_eq!(
        report.applied.imports, 0,
        "its records were read: imported already"
    );
}

/// The Arr queue row of a torrent of ours is remembered in the store, so a torrent the
/// user fails while qbitrr-lite is down (the Arr drops the row a minute later) is still
/// blocklisted and searched after the restart.
#[test]
fn a_queue_row_remembered_before_a_restart_serves_a_later_removal() {
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let config = load_str(CONFIG, "config.toml", &[]).unwrap().config;
    let arr_cfg = &config.arrs[0];
    let start = |torrents: Vec<Torrent>, queued: bool| {
        let qbit = Arc::new(FakeQbit::new("qBit", &journal));
        for t in torrents {
            let category = t.category.clone();
            qbit.list(&category, vec![t]);
        }
        let arr = Arc::new(FakeArr::new(ArrKind::Radarr, &journal));
        if queued {
            arr.enqueue(
                HASH,
                QueueEntry {
                    ids: vec![77],
                    media_ids: vec![770],
                    ..QueueEntry::default()
                },
            );
        }
        let connections = Connections {
            arr: Box::new(arr),
            qbits: every_pass(qbit as Arc<dyn Qbittorrent>),
            records: InstanceRecords::new(Arc::clone(&store), &arr_cfg.name, Writes::Commit),
            decisions: DecisionLog::new(false),
            search_budget: SearchBudget::unlimited(),
            dry_run: false,
        };
        let board = Arc::new(Board::new("config.toml", NOW));
        let mut worker = Worker::new(&config.settings, arr_cfg, connections, board).unwrap();
        worker.view_fresh = Duration::ZERO;
        worker
    };
    let mut downloading = completed();
    downloading.state = TorrentState::Downloading;
    downloading.progress = 0.5;
    downloading.amount_left = 500;
    downloading.completion_on = -1;
    let mut worker = start(vec![downloading.clone()], true);
    worker.pass(NOW, &Shutdown::new()).unwrap();
    drop(worker);

    // Down meanwhile: the user moved it to the failed category, the Arr dropped its row.
    let mut failed = downloading;
    failed.category = "failed".into();
    let mut restarted = start(vec![failed], false);
    journal.clear();
    let report = restarted.pass(NOW + 600, &Shutdown::new()).unwrap();
    assert_eq!(
        (
            report.applied.removals,
            report.applied.blocklists,
            report.applied.searches
        ),
        (1, 1, 1)
    );
    assert!(journal.calls().contains(&Call::QueueDelete {
        id: 77,
        blocklist: true
    }));
    assert_eq!(
        store.queue_row("Radarr-Movies", HASH).unwrap(),
        None,
        "forgotten with the torrent"
    );
}

#[test]
fn more_suspects_than_one_lookup_take_turns() {
    let journal = Journal::default();
    let (mut worker, _qbit) = worker(&journal, vec![]);
    let all: Vec<String> = (0..450).map(|i| format!("{i:040x}")).collect();
    let mut seen = std::collections::HashSet::new();
    let mut turns = Vec::new();
    for _ in 0..3 {
        let mut list = all.clone();
        worker.take_turn(0, &mut list);
        assert_eq!(list.len(), VERIFY_PER_PASS);
        turns.push((list[0].clone(), list[VERIFY_PER_PASS - 1].clone()));
        seen.extend(list);
    }
    assert_eq!(seen.len(), 450, "every suspect had its turn within three passes");
    assert_eq!(turns[0].0, all[0]);
    assert_eq!(turns[1].0, all[200]);
    assert_eq!(
        turns[2].0, all[400],
        "the third turn starts after the second and wraps"
    );
    let mut few = all[..10].to_vec();
    worker.take_turn(0, &mut few);
    assert_eq!(few, all[..10], "a few are all read at once");
}

#[test]
fn a_removal_is_decided_on_a_queue_read_in_the_same_pass() {
    let journal = Journal::default();
    let mut stalled = completed();
    stalled.state = TorrentState::StalledDl;
    stalled.progress = 0.2;
    stalled.amount_left = 800;
    stalled.completion_on = -1;
    stalled.added_on = NOW - 3600;
    let (mut worker, _qbit) = worker(&journal, vec![stalled]);
    worker.pass(NOW, &Shutdown::new()).unwrap();
    // Nothing changes in qBittorrent and the queue is not due: a pass reads no queue...
    journal.clear();
    worker.pass(NOW + 60, &Shutdown::new()).unwrap();
    assert!(!journal.calls().contains(&Call::Queue), "{:?}", journal.calls());
    // ...until StalledDelay (15 minutes) is over: the removal reads the queue first.
    journal.clear();
    let report = worker.pass(NOW + 16 * 60, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 1, "{report:?}");
    let calls = journal.calls();
    let queue = calls.iter().position(|c| *c == Call::Queue);
    let lookup = calls.iter().position(|c| matches!(c, Call::Lookup(_)));
    let delete = calls.iter().position(|c| matches!(c, Call::Delete { .. }));
    assert!(
        lookup < queue && queue < delete && lookup.is_some(),
        "read again, then the queue, then the delete: {calls:?}"
    );
}

#[test]
fn nothing_is_removed_for_stalling_while_qbittorrent_has_no_connection() {
    let journal = Journal::default();
    let stalled = Torrent {
        state: TorrentState::StalledDl,
        progress: 0.2,
        amount_left: 800,
        completion_on: -1,
        last_activity: NOW - 7200,
        ..completed()
    };
    let config = format!("{CONFIG}StalledDelay = \"5m\"\n");
    let queued = QueueEntry {
        ids: vec![1],
        media_ids: vec![10],
        ..QueueEntry::default()
    };
    let store = Arc::new(Store::in_memory());
    let (mut worker, qbit, _) = build(&journal, vec![stalled], queued, store, &config, false);
    let board = Arc::clone(&worker.board);
    board.set_qbits(vec![crate::status::QbitState {
        name: "qBit".into(),
        ..crate::status::QbitState::default()
    }]);
    let outage_named = |now| {
        board
            .health(now)
            .1
            .to_string()
            .contains("connection_status disconnected")
    };
    // Seen stalled while connected: its clock starts.
    worker.pass(NOW, &Shutdown::new()).unwrap();
    // The VPN goes down for an hour: nothing is removed, however long it stalls.
    qbit.set_connection("disconnected");
    for minute in 1..=60 {
        let report = worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
        assert_eq!(report.applied.removals, 0, "minute {minute}");
    }
    assert!(outage_named(NOW + 3600), "/health names the outage");
    // Back: the stalled clock counts from now, so not before StalledDelay has passed again.
    qbit.set_connection("firewalled");
    let back = NOW + 3660;
    for secs in [0, 60, 240] {
        let report = worker.pass(back + secs, &Shutdown::new()).unwrap();
        assert_eq!(report.applied.removals, 0, "{secs}s after the outage");
    }
    assert!(!outage_named(back + 240), "and no longer once it is back");
    let report = worker.pass(back + 301, &Shutdown::new()).unwrap();
    assert_eq!(
        report.applied.removals, 1,
        "stalled for StalledDelay since it came back"
    );
}

fn torrent_file(index: u32, name: &str) -> TorrentFile {
    TorrentFile {
        index,
        name: name.into(),
        priority: 1,
    }
}

/// CONFIG with qBitrr's default file filters for a Radarr section (the lists removed).
fn config_with_default_filters() -> String {
    CONFIG
        .lines()
        .filter(|l| !l.ends_with("= []") && !l.starts_with("# The file filters"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn excluded_files_are_skipped_once_and_a_torrent_of_only_excluded_files_is_failed() {
    let journal = Journal::default();
    let downloading = |hash: &str, name: &str| Torrent {
        hash: hash.into(),
        name: name.into(),
        content_path: format!("/downloads/radarr/{name}"),
        state: TorrentState::Downloading,
        progress: 0.2,
        amount_left: 800,
        completion_on: -1,
        last_activity: NOW - 5,
        ..completed()
    };
    let movie = downloading(HASH, "Movie");
    let junk_hash = "b".repeat(40);
    let junk = downloading(&junk_hash, "Trailer");
    let store = Arc::new(Store::in_memory());
    let config = config_with_default_filters();
    let (mut worker, qbit, arr) = build(
        &journal,
        vec![movie, junk],
        QueueEntry {
            ids: vec![1],
            media_ids: vec![10],
            ..QueueEntry::default()
        },
        Arc::clone(&store),
        &config,
        false,
    );
    arr.enqueue(
        &junk_hash,
        QueueEntry {
            ids: vec![2],
            media_ids: vec![20],
            ..QueueEntry::default()
        },
    );
    qbit.set_files(
        HASH,
        vec![
            torrent_file(0, "Movie/Movie.2024.1080p.mkv"),
            torrent_file(1, "Movie/Sample/sample.mkv"),
            torrent_file(2, "Movie/Movie.nfo"),
            torrent_file(3, "Movie/Subs/English.srt"),
        ],
    );
    qbit.set_files(
        &junk_hash,
        vec![
            torrent_file(0, "Trailer/Movie.Trailer.mkv"),
            torrent_file(1, "Trailer/setup.exe"),
        ],
    );
    let report = worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 0, "a file check removes nothing itself");
    let calls = journal.calls();
    assert!(
        calls.contains(&Call::SkipFiles {
            hash: HASH.into(),
            ids: vec![1, 2]
        }),
        "{calls:?}"
    );
    assert!(calls.contains(&Call::SkipFiles {
        hash: junk_hash.clone(),
        ids: vec![0, 1]
    }));
    let priorities: Vec<u8> = qbit.files_of(HASH).iter().map(|f| f.priority).collect();
    assert_eq!(
        priorities,
        [1, 0, 0, 1],
        "only the main video and its subtitles are wanted"
    );

    // The next pass asks for no file list again, and fails the torrent of only excluded files.
    journal.clear();
    let report = worker.pass(NOW + 5, &Shutdown::new()).unwrap();
    let calls = journal.calls();
    assert!(!calls.iter().any(|c| matches!(c, Call::Files(_))), "{calls:?}");
    assert_eq!(report.applied.removals, 1, "{report:?}");
    assert!(calls.contains(&Call::Delete {
        hashes: vec![junk_hash.clone()],
        files: true
    }));
    assert!(calls.contains(&Call::QueueDelete {
        id: 2,
        blocklist: true
    }));
    assert!(calls.contains(&Call::Command("MoviesSearch".into())), "{calls:?}");
    assert!(!calls
        .iter()
        .any(|c| matches!(c, Call::Delete { hashes, .. } if hashes[0] == HASH)));

    // Remembered across a restart: a new worker on the same store does not check again.
    drop(worker);
    journal.clear();
    let (mut again, qbit2, _) = build(
        &journal,
        vec![downloading(HASH, "Movie")],
        QueueEntry::default(),
        store,
        &config,
        false,
    );
    qbit2.set_files(HASH, vec![torrent_file(0, "Movie/Sample/sample.mkv")]);
    again.pass(NOW + 10, &Shutdown::new()).unwrap();
    let calls = journal.calls();
    assert!(!calls.iter().any(|c| matches!(c, Call::Files(_))), "{calls:?}");
}

/// Radarr stalled for two hours at 60 %, past a StalledDelay of 5 minutes.
fn stalled_at_60_percent() -> Torrent {
    Torrent {
        state: TorrentState::StalledDl,
        progress: 0.6,
        amount_left: 400,
        completion_on: -1,
        last_activity: NOW - 7200,
        ..completed()
    }
}

const PRIVATE_TRACKER: &str = "\
[[Radarr-Movies.Torrent.Trackers]]
Name = \"Priv\"
URI = \"https://tracker.example.org/announce\"
HitAndRunMode = \"and\"
MinSeedRatio = 1.0
MinSeedingTimeDays = 7
";

fn private_list() -> crate::tracker::TrackerList {
    crate::tracker::TrackerList {
        private: true,
        urls: vec!["https://tracker.example.org/announce/abcdef".into()],
        ..Default::default()
    }
}

/// The `torrents/trackers` calls made.
fn trackers_read(journal: &Journal) -> usize {
    journal
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Trackers(_)))
        .count()
}

fn removals(journal: &Journal) -> Vec<Call> {
    journal
        .calls()
        .into_iter()
        .filter(|c| {
            matches!(
                c,
                Call::Delete { .. } | Call::QueueDelete { .. } | Call::Command(_)
            )
        })
        .collect()
}

#[test]
fn trackers_are_read_before_a_removal_and_hit_and_run_or_privacy_keep_the_torrent() {
    // A fresh worker over fakes for the stalled download, with `config`.
    let stalled_worker = |config: &str| {
        let journal = Journal::default();
        let queued = QueueEntry {
            ids: vec![1],
            media_ids: vec![10],
            ..QueueEntry::default()
        };
        let store = Arc::new(Store::in_memory());
        let (worker, qbit, _) = build(
            &journal,
            vec![stalled_at_60_percent()],
            queued,
            store,
            config,
            false,
        );
        (journal, worker, qbit)
    };
    let config = format!("{CONFIG}StalledDelay = \"5m\"\n{PRIVATE_TRACKER}");

    // A private torrent of a tracker with a hit-and-run rule, 60 % downloaded, ratio 0:
    // its trackers are read once, and it is kept, pass after pass.
    let (journal, mut worker, qbit) = stalled_worker(&config);
    qbit.set_trackers(HASH, private_list());
    for minute in 0..20 {
        let report = worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
        assert_eq!(report.applied.removals, 0, "minute {minute}");
    }
    assert_eq!(removals(&journal), []);
    assert_eq!(trackers_read(&journal), 1, "read once: {:?}", journal.calls());
    let report = worker.pass(NOW + 1200, &Shutdown::new()).unwrap();
    assert!(
        report.decisions.iter().any(|(rule, _)| *rule == Rule::HitAndRun),
        "{:?}",
        report.decisions
    );

    // The same torrent without a tracker entry: private, so kept too.
    let plain = format!("{CONFIG}StalledDelay = \"5m\"\n");
    let (journal, mut worker, qbit) = stalled_worker(&plain);
    qbit.set_trackers(HASH, private_list());
    for minute in 0..20 {
        worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
    }
    assert_eq!(removals(&journal), []);

    // Trackers that cannot be read: kept (fail safe), and read again on later passes.
    let (journal, mut worker, _) = stalled_worker(&plain);
    journal.fail("trackers");
    for minute in 0..20 {
        worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
    }
    assert_eq!(removals(&journal), []);
    assert!(trackers_read(&journal) > 1);
    // Once they answer (a public torrent), it is removed, blocklisted and searched.
    journal.heal("trackers");
    let report = worker.pass(NOW + 1260, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 1);
    assert_eq!(removals(&journal).len(), 3, "{:?}", removals(&journal));
}

#[test]
fn trackers_read_more_than_an_hour_ago_are_read_again_before_a_removal() {
    let queued = QueueEntry {
        ids: vec![1],
        media_ids: vec![10],
        ..QueueEntry::default()
    };
    // A public torrent seeding under a tracker entry's limits: its trackers are read at once.
    let config = format!(
        "{CONFIG}[Radarr-Movies.Torrent.SeedingMode]\nRemoveTorrent = 2\n\
         [[Radarr-Movies.Torrent.Trackers]]\nURI = \"tracker.example.org\"\nMaxSeedingTime = \"2h\"\n"
    );
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let seeding = Torrent {
        state: TorrentState::Uploading,
        seeding_time: 3600,
        tags: vec![tags::IMPORTED.into()],
        ..completed()
    };
    let (mut worker, qbit, _) = build(&journal, vec![seeding.clone()], queued, store, &config, false);
    qbit.set_trackers(
        HASH,
        crate::tracker::TrackerList {
            private: false,
            urls: vec!["udp://tracker.example.org:6969".into()],
            ..Default::default()
        },
    );
    worker.pass(NOW, &Shutdown::new()).unwrap();
    assert_eq!(trackers_read(&journal), 1);
    // Two hours later it has seeded its tracker entry's 2 hours: read again, then removed.
    qbit.list(
        "radarr",
        vec![Torrent {
            seeding_time: 3 * 3600,
            ..seeding
        }],
    );
    journal.clear();
    let report = worker.pass(NOW + 2 * 3600, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 1);
    let calls = journal.calls();
    let read = calls.iter().position(|c| matches!(c, Call::Trackers(_)));
    let delete = calls.iter().position(|c| matches!(c, Call::Delete { .. }));
    assert!(read.is_some() && read < delete, "{calls:?}");
}

/// What a tracker that no longer knows the torrent answers.
fn unregistered_list() -> crate::tracker::TrackerList {
    crate::tracker::TrackerList {
        private: true,
        urls: vec!["https://tracker.example.org/announce/abcdef".into()],
        messages: vec!["Unregistered torrent".into()],
        working: false,
    }
}

/// Imported and seeding, its trackers failing.
fn seeding_unanswered() -> Torrent {
    Torrent {
        tags: vec![tags::IMPORTED.into()],
        tracker_working: false,
        ..completed()
    }
}

#[test]
fn an_unregistered_torrent_is_removed_after_the_delay_despite_hit_and_run() {
    // HnR owed (ratio 0, not 7 days).
    let seeding = seeding_unanswered();
    let run = |cross_seed: Option<Torrent>| {
        let journal = Journal::default();
        let store = Arc::new(Store::in_memory());
        let config = format!("{CONFIG}UnregisteredDelay = 60\n{PRIVATE_TRACKER}");
        let (mut worker, qbit, _) = build(
            &journal,
            vec![seeding.clone()],
            QueueEntry::default(),
            store,
            &config,
            false,
        );
        qbit.list("cross-seed", cross_seed.into_iter().collect());
        qbit.set_trackers(HASH, unregistered_list());
        // First sight: read, unregistered from now on; kept for the hour, not read again.
        for minute in 0..60 {
            let report = worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
            assert_eq!(report.applied.removals, 0, "minute {minute}");
        }
        assert_eq!(trackers_read(&journal), 1, "{:?}", journal.calls());
        assert_eq!(removals(&journal), []);
        // The hour over: read again to confirm, then removed (no blocklist: it was imported).
        let report = worker.pass(NOW + 3600, &Shutdown::new()).unwrap();
        assert_eq!(report.applied.removals, 1);
        assert!(report
            .decisions
            .iter()
            .any(|(rule, acted)| *rule == Rule::Unregistered && *acted));
        assert_eq!(trackers_read(&journal), 2);
        removals(&journal)
    };
    assert_eq!(
        run(None),
        [Call::Delete {
            hashes: vec![HASH.into()],
            files: true
        }]
    );
    // A cross-seed of the same content in another category: the files stay.
    let cross = Torrent {
        hash: "c".repeat(40),
        category: "cross-seed".into(),
        ..completed()
    };
    assert_eq!(
        run(Some(cross)),
        [Call::Delete {
            hashes: vec![HASH.into()],
            files: false
        }]
    );
}

#[test]
fn a_tracker_that_answers_again_resets_the_unregistered_clock() {
    let seeding = seeding_unanswered();
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let config = format!("{CONFIG}UnregisteredDelay = 60\n");
    let (mut worker, qbit, _) = build(
        &journal,
        vec![seeding],
        QueueEntry::default(),
        store,
        &config,
        false,
    );
    qbit.set_trackers(HASH, unregistered_list());
    worker.pass(NOW, &Shutdown::new()).unwrap();
    // An hour on, read again to confirm: the tracker answers with a passing error, the run is broken.
    qbit.set_trackers(
        HASH,
        crate::tracker::TrackerList {
            messages: vec!["Connection timed out".into()],
            ..unregistered_list()
        },
    );
    worker.pass(NOW + 3601, &Shutdown::new()).unwrap();
    // An hour after that read it is read again: unregistered anew, the hour starts over.
    qbit.set_trackers(HASH, unregistered_list());
    let report = worker.pass(NOW + 7201, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 0);
    let report = worker.pass(NOW + 7201 + 3599, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 0);
    assert_eq!(removals(&journal), []);
    // An hour after the first read of the new run: removed.
    let report = worker.pass(NOW + 7201 + 3600, &Shutdown::new()).unwrap();
    assert_eq!(report.applied.removals, 1, "{:?}", journal.calls());
}

/// AddTrackerIfMissing and RemoveDeadTrackers: a torrent's trackers are read once, edited
/// once, read again to see the edit took, and then left alone until a day on.
#[test]
fn trackers_are_edited_once_then_read_again_only_a_day_later() {
    let config = format!(
        "{CONFIG}[Radarr-Movies.Torrent.SeedingMode]\nRemoveDeadTrackers = true\n\
         [[Radarr-Movies.Torrent.Trackers]]\nURI = \"udp://open.example:6969/announce\"\n\
         AddTrackerIfMissing = true\n"
    );
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let seeding = Torrent {
        state: TorrentState::Uploading,
        tags: vec![tags::IMPORTED.into()],
        ..completed()
    };
    let (mut worker, qbit, _) = build(
        &journal,
        vec![seeding],
        QueueEntry::default(),
        store,
        &config,
        false,
    );
    let dead = "http://dead.example/announce";
    qbit.set_trackers(
        HASH,
        crate::tracker::TrackerList {
            private: false,
            urls: vec!["http://alive.example/announce".into(), dead.into()],
            messages: vec![String::new(), "skipping tracker announce (unreachable)".into()],
            working: true,
        },
    );
    let edits = |journal: &Journal| -> Vec<Call> {
        journal
            .calls()
            .into_iter()
            .filter(|c| matches!(c, Call::EditTrackers { .. }))
            .collect()
    };
    for minute in 0..30 {
        worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
    }
    assert_eq!(
        edits(&journal),
        [Call::EditTrackers {
            hash: HASH.into(),
            add: vec!["udp://open.example:6969/announce".into()],
            remove: vec![dead.into()],
        }]
    );
    assert_eq!(
        trackers_read(&journal),
        2,
        "read, edited, read again: {:?}",
        journal.calls()
    );
    assert!(removals(&journal).is_empty());
    // A day on: read again; nothing more to change.
    worker.pass(NOW + 86_400 + 60, &Shutdown::new()).unwrap();
    worker.pass(NOW + 86_400 + 120, &Shutdown::new()).unwrap();
    assert_eq!(trackers_read(&journal), 3);
    assert_eq!(edits(&journal).len(), 1);
}

/// SortTorrents: once every download's trackers are read, the downloads are put in the order
/// of their entries' Priority with one `topPrio` per priority above the lowest, and left alone
/// once in order.
#[test]
fn downloads_are_sorted_by_tracker_priority_once() {
    let config = format!(
        "{CONFIG}[[Radarr-Movies.Torrent.Trackers]]\nURI = \"a.example\"\nPriority = 10\nSortTorrents = true\n\
         [[Radarr-Movies.Torrent.Trackers]]\nURI = \"b.example\"\nPriority = 5\nSortTorrents = true\n"
    );
    let download = |hash: char, position: i64| Torrent {
        hash: hash.to_string().repeat(40),
        name: format!("D-{hash}"),
        state: TorrentState::Downloading,
        progress: 0.5,
        amount_left: 500,
        completion_on: -1,
        last_activity: NOW,
        queue_position: position,
        ..completed()
    };
    // In the queue: no entry first, then b (5), then a (10).
    let torrents = vec![download('c', 1), download('b', 2), download('a', 3)];
    let journal = Journal::default();
    let store = Arc::new(Store::in_memory());
    let (mut worker, qbit, _) = build(&journal, torrents, QueueEntry::default(), store, &config, false);
    for (hash, host) in [('a', "a.example"), ('b', "b.example"), ('c', "c.example")] {
        qbit.set_trackers(
            &hash.to_string().repeat(40),
            crate::tracker::TrackerList {
                urls: vec![format!("https://{host}/announce")],
                messages: vec![String::new()],
                working: true,
                ..Default::default()
            },
        );
    }
    let moves = |journal: &Journal| -> Vec<Vec<String>> {
        journal
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::TopPriority(hashes) => Some(hashes),
                _ => None,
            })
            .collect()
    };
    for minute in 0..10 {
        worker.pass(NOW + minute * 60, &Shutdown::new()).unwrap();
    }
    assert_eq!(
        moves(&journal),
        [vec!["b".repeat(40)], vec!["a".repeat(40)]],
        "{:?}",
        journal.calls()
    );
    assert_eq!(trackers_read(&journal), 3, "each download's trackers read once");
    let mut order: Vec<(i64, String)> = qbit
        .listed("radarr")
        .into_iter()
        .map(|t| (t.queue_position, t.name))
        .collect();
    order.sort();
    let names: Vec<&str> = order.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["D-a", "D-b", "D-c"]);
}
