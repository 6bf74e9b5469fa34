//! The executor against the recording fakes: the fixed order of a pass's
//! calls across qBittorrent and the Arr, each partial failure and what is
//! recorded after it, shutdown between actions, and the dry run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::arr::CommandState;
use crate::decide::Rule;
use crate::model::ArrKind;
use crate::store::{Store, Writes};
use crate::upstream::dry_run::DryRun;
use crate::upstream::fake::{Call, FakeArr, FakeQbit, Journal};
use crate::worker::intents::{Intents, ABANDON_AFTER_SECS};
use crate::worker::SearchBudget;

const NOW: UnixTime = 1_800_000_000;
const INSTANCE: &str = "Radarr";

fn hash(c: char) -> String {
    c.to_string().repeat(40)
}

fn hash_of(c: char) -> String {
    hash(c)
}

/// A plan for torrent `c` (hash `cccc…`) with `actions` (also the other worker modules' tests).
pub(in crate::worker) fn plan(c: char, actions: Vec<Action>) -> Plan {
    Plan {
        qbit: 0,
        hash: hash(c),
        name: format!("Torrent.{c}"),
        save_path: String::new(),
        content_path: String::new(),
        decision: Decision {
            rule: Rule::NoAction,
            detail: String::new(),
            actions,
            memory: Memory {
                first_seen: Some(NOW - 3600),
                ..Memory::default()
            },
        },
        removed: false,
        recorded: false,
    }
}

fn queued(id: i64, movie: i64) -> QueueEntry {
    QueueEntry {
        ids: vec![id],
        media_ids: vec![movie],
        ..QueueEntry::default()
    }
}

fn failed_download() -> Action {
    Action::Remove {
        delete_files: true,
        queue: QueueStep::Blocklist,
        research: true,
    }
}

/// The fakes, the store and the queue one test runs the executor against.
struct Bench {
    journal: Journal,
    qbits: Vec<Arc<dyn Qbittorrent>>,
    arr: Box<dyn ArrApi>,
    store: Arc<Store>,
    records: InstanceRecords,
    stop: Shutdown,
    queue: HashMap<String, QueueEntry>,
    intents: Intents,
    fake_qbit: Arc<FakeQbit>,
    fake_arr: Arc<FakeArr>,
    audit: RefCell<Vec<crate::model::AuditEntry>>,
    filter: FileFilter,
    search_budget: SearchBudget,
}

impl Bench {
    fn new() -> Self {
        Self::build(false)
    }

    fn dry_run() -> Self {
        Self::build(true)
    }

    fn build(dry_run: bool) -> Self {
        let journal = Journal::default();
        let fake_qbit = Arc::new(FakeQbit::new("qBit", &journal));
        let fake_arr = Arc::new(FakeArr::new(ArrKind::Radarr, &journal));
        let store = Arc::new(Store::in_memory());
        let (qbit, arr, writes): (Arc<dyn Qbittorrent>, Box<dyn ArrApi>, _) = if dry_run {
            (
                // (`fake_qbit`/`fake_arr` then serve nothing: the dry run has its own.)
                Arc::new(DryRun::new(FakeQbit::new("qBit", &journal))),
                Box::new(DryRun::new(FakeArr::new(ArrKind::Radarr, &journal))),
                Writes::Discard,
            )
        } else {
            (
                Arc::clone(&fake_qbit) as Arc<dyn Qbittorrent>,
                Box::new(Arc::clone(&fake_arr)),
                Writes::Commit,
            )
        };
        Self {
            journal,
            qbits: vec![qbit],
            arr,
            records: InstanceRecords::new(Arc::clone(&store), INSTANCE, writes),
            store,
            stop: Shutdown::new(),
            queue: HashMap::new(),
            intents: Intents::new(),
            fake_qbit,
            fake_arr,
            audit: RefCell::new(Vec::new()),
            filter: FileFilter::default(),
            search_budget: SearchBudget::unlimited(),
        }
    }

    fn enqueue(&mut self, c: char, entry: QueueEntry) {
        self.queue.insert(hash(c), entry);
    }

    fn executor(&self, now: UnixTime) -> Executor<'_> {
        Executor {
            instance: INSTANCE,
            arr: self.arr.as_ref(),
            qbits: &self.qbits,
            records: &self.records,
            stop: &self.stop,
            tagless: false,
            import_mode: ImportMode::Auto,
            now,
            retry_base: 5,
            audit: &self.audit,
            filter: &self.filter,
            auto_delete: false,
            dry_run: false,
            search_budget: &self.search_budget,
        }
    }

    fn apply(&mut self, plans: &mut [Plan]) -> Applied {
        let mut intents = std::mem::take(&mut self.intents);
        let held = HashMap::new();
        let view = QueueView {
            current: &self.queue,
            held: &held,
        };
        let done = self.executor(NOW).apply(plans, &view, &mut intents);
        self.intents = intents;
        done
    }

    /// A later pass at `now`: what is due of the unfinished intents.
    fn resume(&mut self, now: UnixTime) -> Applied {
        let mut intents = std::mem::take(&mut self.intents);
        let executor = self.executor(now);
        let mut done = Applied::default();
        for (_, progress) in executor.intent_steps().resume_due(&mut intents) {
            executor.count(&progress, &mut done);
        }
        self.intents = intents;
        done
    }

    /// A restart: the unfinished intents as the store has them.
    fn reload_intents(&mut self) {
        self.intents.clear();
        let intents = &mut self.intents;
        self.records
            .load_intents(|hash, intent| {
                intents.insert(hash.to_string(), intent);
            })
            .unwrap();
    }

    fn stored_intent(&self, c: char) -> Option<Intent> {
        let mut found = None;
        self.store
            .load_intents(INSTANCE, |hash, intent| {
                if hash == hash_of(c) {
                    found = Some(intent);
                }
            })
            .unwrap();
        found
    }

    fn recorded(&self, c: char) -> Option<Memory> {
        self.store.load(INSTANCE).unwrap().remove(&hash(c))
    }

    fn fail(&self, op: &'static str) {
        self.journal.fail(op);
    }
}

fn hashes(cs: &[char]) -> Vec<String> {
    cs.iter().map(|&c| hash(c)).collect()
}

fn delete(c: char) -> Call {
    Call::Delete {
        hashes: hashes(&[c]),
        files: true,
    }
}

fn command(name: &str) -> Call {
    Call::Command(name.into())
}

#[test]
fn a_pass_runs_its_actions_in_the_fixed_order() {
    let mut bench = Bench::new();
    bench.enqueue('e', queued(5, 50));
    bench.enqueue('f', queued(6, 60));
    // Listed in the reverse of the order they must run in.
    let mut plans = vec![
        plan('g', vec![Action::AddTag(tags::ALLOWED_STALLED)]),
        plan('f', vec![Action::BlocklistKeep { research: true }]),
        plan('e', vec![failed_download()]),
        plan('d', vec![Action::Import { path: "/dl/d".into() }]),
        plan('c', vec![Action::SetCategory("radarr".into())]),
        plan('b', vec![Action::Recheck]),
        plan('a', vec![Action::Resume]),
    ];
    let done = bench.apply(&mut plans);
    assert_eq!(
        bench.journal.calls(),
        [
            Call::Resume(hashes(&['a'])),
            Call::Recheck(hashes(&['b'])),
            Call::SetCategory {
                hashes: hashes(&['c']),
                category: "radarr".into()
            },
            command("DownloadedMoviesScan"),
            delete('e'),
            Call::QueueDelete {
                id: 5,
                blocklist: true
            },
            Call::FindSearch(vec![50]),
            command("MoviesSearch"),
            Call::QueueDelete {
                id: 6,
                blocklist: true
            },
            Call::FindSearch(vec![60]),
            command("MoviesSearch"),
            Call::AddTags {
                hashes: hashes(&['g']),
                tags: vec![tags::ALLOWED_STALLED.into()]
            },
        ]
    );
    assert_eq!(
        done,
        Applied {
            imports: 1,
            imports_confirmed: 0,
            searches: 2,
            blocklists: 2,
            removals: 1,
            errors: 0
        }
    );
    // Imports and removals are in the store at once; the removed torrent is forgotten.
    // An import is followed to completion before it counts (see the import tests).
    assert_eq!(
        bench.recorded('d').map(|m| m.import),
        Some(ImportState::Sent {
            since: NOW,
            command: 1,
            attempt: 1
        })
    );
    assert!(plans[3].recorded);
    assert_eq!(bench.recorded('e'), None);
    assert!(plans[2].removed && plans[2].recorded);
    let kept = &plans[1].decision.memory;
    assert_eq!((kept.blocklisted_at, kept.searched_at), (Some(NOW), Some(NOW)));
    assert_eq!(plans[1].decision.memory.rechecked_at, None);
    assert_eq!(plans[5].decision.memory.rechecked_at, Some(NOW));
}

/// One failed download's removal with the call named by `fail` failing (and with or without
/// its queue entry): what was called, what it counted, whether the torrent is gone and its
/// memory with it.
struct RemovalCase {
    fail: Option<&'static str>,
    queued: bool,
    calls: &'static [Step],
    /// (removals, blocklists, searches, errors)
    counts: (u32, u32, u32, u32),
    removed: bool,
    /// An unfinished intent is left (in RAM and in the store).
    pending: bool,
}

#[test]
fn each_partial_failure_of_a_removal_stops_where_it_failed() {
    use Step::*;
    let cases = [
        RemovalCase {
            fail: None,
            queued: true,
            calls: &[Delete, QueueDelete, FindSearch, Search],
            counts: (1, 1, 1, 0),
            removed: true,
            pending: false,
        },
        // qBittorrent first: if it did not delete, the Arr is told nothing.
        RemovalCase {
            fail: Some("delete"),
            queued: true,
            calls: &[Delete],
            counts: (0, 0, 0, 1),
            removed: false,
            pending: true,
        },
        RemovalCase {
            fail: Some("queue_delete"),
            queued: true,
            calls: &[Delete, QueueDelete],
            counts: (1, 0, 0, 1),
            removed: true,
            pending: true,
        },
        RemovalCase {
            fail: Some("command"),
            queued: true,
            calls: &[Delete, QueueDelete, FindSearch, Search],
            counts: (1, 1, 0, 1),
            removed: true,
            pending: true,
        },
        // The Arr's command list unreadable: the search is not sent blind.
        RemovalCase {
            fail: Some("find_search"),
            queued: true,
            calls: &[Delete, QueueDelete, FindSearch],
            counts: (1, 1, 0, 1),
            removed: true,
            pending: true,
        },
        // Not in the Arr's queue: nothing to blocklist or search.
        RemovalCase {
            fail: None,
            queued: false,
            calls: &[Delete],
            counts: (1, 0, 0, 0),
            removed: true,
            pending: false,
        },
    ];
    for case in cases {
        let mut bench = Bench::new();
        if case.queued {
            bench.enqueue('e', queued(5, 50));
        }
        if let Some(op) = case.fail {
            bench.fail(op);
        }
        let mut plans = vec![plan('e', vec![failed_download()])];
        let done = bench.apply(&mut plans);
        let label = format!("failing {:?}", case.fail);
        let expected: Vec<Call> = case.calls.iter().map(|step| step.call()).collect();
        assert_eq!(bench.journal.calls(), expected, "{label}");
        assert_eq!(
            (done.removals, done.blocklists, done.searches, done.errors),
            case.counts,
            "{label}"
        );
        assert_eq!(plans[0].removed, case.removed, "{label}");
        let memory = &plans[0].decision.memory;
        assert_eq!(memory.blocklisted_at.is_some(), case.counts.1 == 1, "{label}");
        assert_eq!(memory.searched_at.is_some(), case.counts.2 == 1, "{label}");
        // What is recorded: a torrent still in qBittorrent keeps its memory (decided again
        // next pass); a removed one is forgotten at once; what is left undone is an intent.
        assert_eq!(bench.recorded('e').is_some(), !case.removed, "{label}");
        assert_eq!(bench.intents.contains_key(&hash('e')), case.pending, "{label}");
        // The audit log has one entry per step tried, with its outcome.
        let audit: Vec<(String, bool)> = bench
            .audit
            .borrow()
            .iter()
            .map(|a| (a.step.clone(), a.outcome == "ok"))
            .collect();
        let expected: Vec<(String, bool)> = case
            .calls
            .iter()
            .filter_map(|step| {
                let name = match step {
                    Step::Delete => "delete with files",
                    Step::QueueDelete => "blocklist",
                    // The lookup before a search is audited only when it fails (as the search).
                    Step::FindSearch if case.fail == Some("find_search") => "search",
                    Step::FindSearch => return None,
                    Step::Search => "search",
                };
                let failed = matches!(
                    (step, case.fail),
                    (Step::Delete, Some("delete"))
                        | (Step::QueueDelete, Some("queue_delete"))
                        | (Step::FindSearch, Some("find_search"))
                        | (Step::Search, Some("command"))
                );
                Some((name.to_string(), !failed))
            })
            .collect();
        assert_eq!(audit, expected, "{label}");
        assert_eq!(bench.stored_intent('e').is_some(), case.pending, "{label}");
    }
}

/// The calls of torrent e's removal.
#[derive(Clone, Copy)]
enum Step {
    Delete,
    QueueDelete,
    FindSearch,
    Search,
}

impl Step {
    fn call(self) -> Call {
        match self {
            Self::Delete => delete('e'),
            Self::QueueDelete => Call::QueueDelete {
                id: 5,
                blocklist: true,
            },
            Self::FindSearch => Call::FindSearch(vec![50]),
            Self::Search => command("MoviesSearch"),
        }
    }
}

#[test]
fn a_failed_import_is_not_recorded_and_not_tagged() {
    let mut bench = Bench::new();
    bench.fail("command");
    let mut plans = vec![plan('d', vec![Action::Import { path: "/dl/d".into() }])];
    let done = bench.apply(&mut plans);
    assert_eq!(bench.journal.calls(), [command("DownloadedMoviesScan")]);
    assert_eq!((done.imports, done.errors), (0, 1));
    let kept = bench.recorded('d').expect("recorded as it was");
    assert_eq!(kept.imported_at, None, "retried next pass");
}

/// A plan for torrent d at import stage `state`, with `action`.
fn import_plan(state: ImportState, action: Action) -> Plan {
    let mut p = plan('d', vec![action]);
    p.decision.memory.import = state;
    p
}

fn check(command: i64) -> Action {
    Action::CheckImport { command }
}

fn sent(since: UnixTime) -> ImportState {
    ImportState::Sent {
        since,
        command: 1,
        attempt: 1,
    }
}

#[test]
fn an_import_is_recorded_as_sending_before_it_goes_out() {
    let mut bench = Bench::new();
    bench.fail("command");
    let mut plans = vec![plan('d', vec![Action::Import { path: "/dl/d".into() }])];
    let done = bench.apply(&mut plans);
    assert_eq!(bench.journal.calls(), [command("DownloadedMoviesScan")]);
    assert_eq!((done.imports, done.errors), (0, 1));
    // The answer is lost, not the import: the next pass looks for it before sending again.
    assert_eq!(
        bench.recorded('d').map(|m| m.import),
        Some(ImportState::Sending {
            since: NOW,
            attempt: 1
        })
    );
}

#[test]
fn a_lost_answer_is_found_in_the_arrs_commands_and_not_sent_again() {
    let mut bench = Bench::new();
    bench
        .fake_arr
        .list_command(7, "DownloadedMoviesScan", &hash('d').to_uppercase());
    let sending = ImportState::Sending {
        since: NOW - 20,
        attempt: 1,
    };
    let mut plans = vec![import_plan(sending, Action::FindImport { path: "/dl/d".into() })];
    bench.apply(&mut plans);
    assert_eq!(bench.journal.calls(), [Call::FindCommand(hash('d'))]);
    assert_eq!(
        plans[0].decision.memory.import,
        ImportState::Sent {
            since: NOW - 20,
            command: 7,
            attempt: 1
        }
    );
}

#[test]
fn an_import_the_arr_never_got_is_sent() {
    let mut bench = Bench::new();
    let sending = ImportState::Sending {
        since: NOW - 20,
        attempt: 1,
    };
    let mut plans = vec![import_plan(sending, Action::FindImport { path: "/dl/d".into() })];
    let done = bench.apply(&mut plans);
    assert_eq!(
        bench.journal.calls(),
        [Call::FindCommand(hash('d')), command("DownloadedMoviesScan")]
    );
    assert_eq!(done.imports, 1);
}

#[test]
fn completed_and_gone_from_the_queue_is_imported_then_tagged() {
    let mut bench = Bench::new();
    let mut plans = vec![import_plan(sent(NOW - 20), check(1))];
    let done = bench.apply(&mut plans);
    assert_eq!(
        bench.journal.calls(),
        [
            Call::CommandState(1),
            Call::AddTags {
                hashes: hashes(&['d']),
                tags: vec![tags::IMPORTED.into()]
            }
        ]
    );
    assert_eq!(done.imports_confirmed, 1);
    let m = bench.recorded('d').unwrap();
    assert_eq!((m.imported_at, m.import), (Some(NOW), ImportState::None));
}

#[test]
fn a_failed_tag_after_an_import_keeps_the_import_recorded() {
    let mut bench = Bench::new();
    bench.fail("add_tags");
    let mut plans = vec![import_plan(sent(NOW - 20), check(1))];
    bench.apply(&mut plans);
    assert_eq!(bench.recorded('d').and_then(|m| m.imported_at), Some(NOW));
}

#[test]
fn a_pending_command_is_waited_for() {
    let mut bench = Bench::new();
    let queued = CommandState {
        status: "started".into(),
        message: None,
    };
    bench.fake_arr.set_command_state(1, Some(queued));
    let mut plans = vec![import_plan(sent(NOW - 20), check(1))];
    bench.apply(&mut plans);
    assert_eq!(plans[0].decision.memory.import, sent(NOW - 20));
}

/// The import outcomes that are failures: what the Arr said, and the state after.
#[test]
fn failed_imports_are_retried_with_backoff_and_the_arrs_message() {
    let blocked = QueueEntry {
        tracked_state: "importBlocked".into(),
        messages: "No files found are eligible for import".into(),
        ..queued(5, 50)
    };
    let waiting = QueueEntry {
        tracked_state: "importPending".into(),
        ..queued(5, 50)
    };
    let failed_command = CommandState {
        status: "failed".into(),
        message: Some("Path does not exist".into()),
    };
    // (command state, queue entry, sent at, attempt) → failed?
    let cases: Vec<(Option<CommandState>, Option<QueueEntry>, UnixTime, bool)> = vec![
        (Some(failed_command), None, NOW - 20, true),
        (None, Some(blocked.clone()), NOW - 20, true),
        (None, Some(waiting.clone()), NOW - 20, false),
        (None, Some(waiting), NOW - IMPORT_CONFIRM_SECS - 1, true),
    ];
    for (i, (state, entry, since, fails)) in cases.into_iter().enumerate() {
        let mut bench = Bench::new();
        if let Some(state) = state {
            bench.fake_arr.set_command_state(1, Some(state));
        }
        if let Some(entry) = entry {
            bench.enqueue('d', entry);
        }
        let mut plans = vec![import_plan(sent(since), check(1))];
        let done = bench.apply(&mut plans);
        let expected = if fails {
            ImportState::Failed {
                attempts: 1,
                retry_at: NOW + 300,
            }
        } else {
            sent(since)
        };
        assert_eq!(plans[0].decision.memory.import, expected, "case {i}");
        assert_eq!(done.errors, u32::from(fails), "case {i}");
        assert_eq!(plans[0].decision.memory.imported_at, None, "case {i}");
    }
    assert_eq!(
        [1, 2, 3, 7, 20].map(import_retry_wait),
        [300, 600, 1200, 19_200, 6 * 3600]
    );
}

#[test]
fn a_failed_batch_leaves_its_effect_unrecorded() {
    let mut bench = Bench::new();
    bench.fail("recheck");
    let mut plans = vec![plan('b', vec![Action::Recheck])];
    let done = bench.apply(&mut plans);
    assert_eq!(done.errors, 1);
    assert_eq!(plans[0].decision.memory.rechecked_at, None);
}

#[test]
fn after_shutdown_no_import_or_removal_starts() {
    let mut bench = Bench::new();
    bench.enqueue('e', queued(5, 50));
    bench.stop.trigger();
    let mut plans = vec![
        plan('d', vec![Action::Import { path: "/dl/d".into() }]),
        plan('e', vec![failed_download()]),
    ];
    let done = bench.apply(&mut plans);
    assert_eq!(bench.journal.calls(), []);
    assert_eq!(done, Applied::default());
}

#[test]
fn a_dry_run_changes_nothing_and_records_nothing() {
    let mut bench = Bench::dry_run();
    bench.enqueue('e', queued(5, 50));
    bench.enqueue('f', queued(6, 60));
    let mut plans = vec![
        plan('a', vec![Action::Resume]),
        plan('d', vec![Action::Import { path: "/dl/d".into() }]),
        plan('e', vec![failed_download()]),
        plan('f', vec![Action::BlocklistKeep { research: false }]),
        plan('g', vec![Action::RemoveTag(tags::ALLOWED_STALLED)]),
    ];
    let done = bench.apply(&mut plans);
    assert_eq!(
        bench.journal.calls(),
        [],
        "nothing reached qBittorrent or the Arr"
    );
    // It answers as if everything worked, so the worker remembers and says each "would" once.
    assert_eq!(
        done,
        Applied {
            imports: 1,
            imports_confirmed: 0,
            searches: 1,
            blocklists: 2,
            removals: 1,
            errors: 0
        }
    );
    assert_eq!(
        plans[1].decision.memory.import,
        ImportState::Sent {
            since: NOW,
            command: 0,
            attempt: 1
        }
    );
    assert!(
        bench.store.load(INSTANCE).unwrap().is_empty(),
        "the store is untouched"
    );
}

/// One failed download in the queue as entry 5 (movie 50), its removal started with
/// `fail` failing, then healed.
fn removal_left_undone(fail: &'static str) -> Bench {
    let mut bench = Bench::new();
    bench.enqueue('e', queued(5, 50));
    bench.fail(fail);
    let mut plans = vec![plan('e', vec![failed_download()])];
    bench.apply(&mut plans);
    bench.journal.heal(fail);
    bench.journal.clear();
    bench
}

#[test]
fn what_a_removal_left_undone_is_done_on_a_later_pass_exactly_once() {
    let mut bench = removal_left_undone("queue_delete");
    // Not before its retry time.
    assert_eq!(bench.resume(NOW + 1), Applied::default());
    assert_eq!(bench.journal.calls(), []);
    let done = bench.resume(NOW + 5);
    assert_eq!(
        bench.journal.calls(),
        [
            Step::QueueDelete.call(),
            Step::FindSearch.call(),
            Step::Search.call()
        ],
        "the blocklist, then the search; no second delete"
    );
    assert_eq!((done.blocklists, done.searches, done.errors), (1, 1, 0));
    assert!(bench.intents.is_empty() && bench.stored_intent('e').is_none());
    // Nothing more, ever.
    bench.resume(NOW + 86_400);
    assert_eq!(bench.journal.calls().len(), 3);
}

#[test]
fn only_the_failed_search_is_sent_again() {
    let mut bench = removal_left_undone("command");
    bench.resume(NOW + 5);
    assert_eq!(
        bench.journal.calls(),
        [Step::FindSearch.call(), Step::Search.call()]
    );
    assert!(bench.intents.is_empty());
}

#[test]
fn a_search_whose_answer_was_lost_is_found_in_the_arrs_commands_and_not_sent_again() {
    let mut bench = Bench::new();
    bench.enqueue('e', queued(5, 50));
    // The Arr already lists two commands, one of them an older search for the same movie.
    bench.fake_arr.list_search(1, &[50]);
    bench.fake_arr.list_command(2, "RefreshMonitoredDownloads", "");
    bench.fail("command");
    let mut plans = vec![plan('e', vec![failed_download()])];
    bench.apply(&mut plans);
    let stored = bench.stored_intent('e').expect("the search is owed");
    assert_eq!(
        stored.search_after,
        Some(2),
        "the newest command id before the send, recorded first"
    );
    bench.journal.heal("command");
    bench.journal.clear();

    // The search went out after all (only its answer was lost): the Arr lists it.
    bench.fake_arr.list_search(3, &[50]);
    let done = bench.resume(NOW + 5);
    assert_eq!(bench.journal.calls(), [Step::FindSearch.call()], "not sent again");
    assert_eq!((done.searches, done.errors), (1, 0));
    assert!(bench.intents.is_empty() && bench.stored_intent('e').is_none());
    let audit = bench.audit.borrow();
    let last = audit.last().expect("audited");
    assert_eq!(last.step, "search");
    assert!(last.outcome.starts_with("ok"), "{}", last.outcome);
}

#[test]
fn a_search_older_than_the_attempt_or_for_other_media_does_not_count_as_sent() {
    let mut bench = removal_left_undone("command");
    // Listed, but not after the id read before the attempt (0), or for other media.
    assert_eq!(bench.stored_intent('e').and_then(|i| i.search_after), Some(0));
    bench.fake_arr.list_search(0, &[50]);
    bench.fake_arr.list_search(4, &[51]);
    bench.resume(NOW + 5);
    assert_eq!(
        bench.journal.calls(),
        [Step::FindSearch.call(), Step::Search.call()]
    );
    assert!(bench.intents.is_empty());
}

#[test]
fn an_unfinished_removal_survives_a_restart() {
    let mut bench = removal_left_undone("queue_delete");
    let stored = bench.stored_intent('e').expect("recorded");
    assert!(stored.deleted && !stored.queue_done && !stored.searched);
    assert_eq!(
        (stored.queue_ids.clone(), stored.media_ids.clone()),
        (vec![5], vec![50])
    );
    bench.reload_intents();
    bench.resume(NOW + 5);
    assert_eq!(
        bench.journal.calls(),
        [
            Step::QueueDelete.call(),
            Step::FindSearch.call(),
            Step::Search.call()
        ]
    );
    assert!(bench.stored_intent('e').is_none());
}

#[test]
fn a_failed_delete_is_dropped_when_the_torrent_is_still_there() {
    let mut bench = removal_left_undone("delete");
    let still = crate::model::Torrent {
        hash: hash('e'),
        ..Default::default()
    };
    bench.fake_qbit.list("radarr", vec![still]);
    // This pass decided nothing for it (no plan): the removal is no longer owed.
    bench.resume(NOW + 5);
    assert_eq!(bench.journal.calls(), [Call::Lookup(hash('e'))]);
    assert!(bench.intents.is_empty() && bench.stored_intent('e').is_none());
}

#[test]
fn a_delete_whose_answer_was_lost_carries_on_when_the_torrent_is_gone() {
    let mut bench = removal_left_undone("delete");
    let done = bench.resume(NOW + 5);
    assert_eq!(
        bench.journal.calls(),
        [
            Call::Lookup(hash('e')),
            Step::QueueDelete.call(),
            Step::FindSearch.call(),
            Step::Search.call()
        ]
    );
    assert_eq!((done.removals, done.blocklists, done.searches), (0, 1, 1));
}

#[test]
fn a_removal_decided_again_takes_over_the_unfinished_intent() {
    let mut bench = removal_left_undone("delete");
    let mut plans = vec![plan('e', vec![failed_download()])];
    bench.apply(&mut plans);
    assert_eq!(
        bench.journal.calls(),
        [
            delete('e'),
            Step::QueueDelete.call(),
            Step::FindSearch.call(),
            Step::Search.call()
        ]
    );
    assert!(plans[0].removed && bench.intents.is_empty());
}

#[test]
fn retries_back_off_and_are_given_up_after_a_week() {
    let mut bench = removal_left_undone("queue_delete");
    bench.fail("queue_delete");
    let mut waits = Vec::new();
    for _ in 0..4 {
        let at = bench.intents[&hash('e')].next_try_at;
        bench.resume(at);
        waits.push(bench.intents[&hash('e')].next_try_at - at);
    }
    assert_eq!(waits, [10, 20, 40, 80], "doubling from the loop interval");
    bench.journal.clear();
    bench.resume(NOW + ABANDON_AFTER_SECS + 1);
    assert_eq!(bench.journal.calls(), [], "given up: nothing more sent");
    assert!(bench.intents.is_empty() && bench.stored_intent('e').is_none());
}

#[test]
fn a_blocklist_that_failed_for_a_kept_torrent_is_retried() {
    let mut bench = Bench::new();
    bench.enqueue('f', queued(6, 60));
    bench.fail("queue_delete");
    let mut plans = vec![plan('f', vec![Action::BlocklistKeep { research: true }])];
    bench.apply(&mut plans);
    assert_eq!(plans[0].decision.memory.blocklisted_at, None);
    bench.journal.heal("queue_delete");
    bench.journal.clear();
    let done = bench.resume(NOW + 5);
    assert_eq!(
        bench.journal.calls(),
        [
            Call::QueueDelete {
                id: 6,
                blocklist: true
            },
            Call::FindSearch(vec![60]),
            command("MoviesSearch")
        ],
        "the torrent stays: no lookup, no delete"
    );
    assert_eq!((done.blocklists, done.searches), (1, 1));
}

#[test]
fn settings_go_in_one_call_per_value_after_the_tags() {
    let mut bench = Bench::new();
    let up = |bytes| Action::Set(crate::qbit::Setting::UploadLimit(bytes));
    let mut plans = vec![
        plan('a', vec![up(102_400)]),
        plan(
            'b',
            vec![up(102_400), Action::Set(crate::qbit::Setting::SuperSeeding(true))],
        ),
        plan('c', vec![up(51_200), Action::AddTag(tags::HNR_ACTIVE)]),
    ];
    let done = bench.apply(&mut plans);
    assert_eq!(
        bench.journal.calls(),
        [
            Call::AddTags {
                hashes: hashes(&['c']),
                tags: vec![tags::HNR_ACTIVE.into()]
            },
            Call::Set {
                hashes: hashes(&['c']),
                setting: crate::qbit::Setting::UploadLimit(51_200)
            },
            Call::Set {
                hashes: hashes(&['a', 'b']),
                setting: crate::qbit::Setting::UploadLimit(102_400)
            },
            Call::Set {
                hashes: hashes(&['b']),
                setting: crate::qbit::Setting::SuperSeeding(true)
            },
        ]
    );
    assert_eq!(done.errors, 0);
}

/// A budget of `per_hour` searches an hour, `spent` of them already.
fn budget_spent(bench: &mut Bench, per_hour: u32, spent: u32) {
    let cfg = crate::config::EntrySearch {
        per_hour: Some(per_hour),
        per_day: None,
        ..crate::config::EntrySearch::default()
    };
    bench.search_budget = SearchBudget::load(&cfg, &bench.records, NOW);
    for i in 0..spent {
        let at = NOW - 100 + i64::from(i);
        assert!(bench.search_budget.take(&bench.records, at).is_ok());
    }
}

#[test]
fn a_search_after_a_removal_waits_for_the_search_budget_without_counting_a_failure() {
    let mut bench = Bench::new();
    budget_spent(&mut bench, 1, 1);
    bench.enqueue('e', queued(5, 50));
    let mut plans = vec![plan('e', vec![failed_download()])];
    let done = bench.apply(&mut plans);
    // Removed and blocklisted now; the search waits until the budget frees, an hour after
    // the last one.
    assert_eq!(
        (done.removals, done.blocklists, done.searches, done.errors),
        (1, 1, 0, 0)
    );
    assert!(!bench.journal.calls().contains(&Step::Search.call()));
    let stored = bench.stored_intent('e').expect("the search is owed");
    assert!(!stored.searched);
    assert_eq!(stored.next_try_at, NOW - 100 + 3600);
    assert_eq!(stored.attempts, 0, "waiting for the budget is not a failure");
    // Not due before then; then sent.
    bench.journal.clear();
    bench.resume(NOW + 60);
    assert!(bench.journal.calls().is_empty());
    let done = bench.resume(NOW - 100 + 3600);
    assert_eq!(done.searches, 1);
    assert!(bench.stored_intent('e').is_none());
}

#[test]
fn a_search_budget_of_zero_sends_no_search_after_a_removal_and_owes_none() {
    let mut bench = Bench::new();
    budget_spent(&mut bench, 0, 0);
    bench.enqueue('e', queued(5, 50));
    let mut plans = vec![plan('e', vec![failed_download()])];
    let done = bench.apply(&mut plans);
    assert_eq!((done.removals, done.blocklists, done.searches), (1, 1, 0));
    assert!(!bench.journal.calls().contains(&Step::Search.call()));
    assert!(bench.stored_intent('e').is_none());
    let audit = bench.audit.borrow();
    assert!(audit
        .iter()
        .any(|e| e.step == "search" && e.outcome.contains("budget is 0")));
}

#[test]
fn a_429_on_a_search_after_a_removal_holds_the_search_loop_too() {
    let mut bench = Bench::new();
    bench.enqueue('e', queued(5, 50));
    bench
        .journal
        .fail_with("command", 429, Some(std::time::Duration::from_secs(600)));
    let mut plans = vec![plan('e', vec![failed_download()])];
    let done = bench.apply(&mut plans);
    assert_eq!(done.errors, 1);
    assert_eq!(bench.search_budget.next_at(NOW), Some(NOW + 600));
}
