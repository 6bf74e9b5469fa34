use super::*;

use crate::config::SeriesSearch;
use crate::model::QueueEntry;
use crate::search::WantedItem;
use crate::status::WorkerState;
use crate::store::{Store, Writes};
use crate::upstream::dry_run::DryRun;
use crate::upstream::fake::{Call, FakeArr, Journal};
use serde_json::{json, Value};

const NOW: UnixTime = 1_795_381_914;
const NAME: &str = "Radarr-1080";

fn now() -> UnixTime {
    NOW
}

/// After the pause between two rounds.
fn next_round() -> UnixTime {
    NOW + 15 * 60
}

fn movie(id: i64, days_ago: i64) -> WantedItem {
    WantedItem {
        id,
        parent: None,
        season: None,
        tmdb: Some(1000 + id),
        title: format!("Movie {id}"),
        date: Some(NOW - days_ago * 86_400),
        monitored: true,
    }
}

struct Bench {
    journal: Journal,
    fake: Arc<FakeArr>,
    store: Arc<Store>,
    board: Arc<Board>,
}

impl Bench {
    fn new(kind: ArrKind) -> Self {
        let journal = Journal::default();
        let board = Arc::new(Board::new("config.toml", NOW));
        board.register(WorkerState::new(
            NAME,
            kind.name(),
            "radarr",
            "http://r",
            Duration::from_secs(5),
            NOW,
        ));
        Self {
            fake: Arc::new(FakeArr::new(kind, &journal)),
            journal,
            store: Arc::new(Store::in_memory()),
            board,
        }
    }

    fn search_loop(&self, cfg: EntrySearch) -> SearchLoop {
        self.search_loop_with(cfg, false)
    }

    fn search_loop_with(&self, cfg: EntrySearch, dry_run: bool) -> SearchLoop {
        let arr_cfg = Arr {
            search: cfg,
            ..arr_section(self.fake.kind())
        };
        let writes = if dry_run { Writes::Discard } else { Writes::Commit };
        let records = InstanceRecords::new(Arc::clone(&self.store), NAME, writes);
        let budget = SearchBudget::load(&arr_cfg.search, &records, NOW);
        let arr: Box<dyn ArrApi> = if dry_run {
            Box::new(DryRun::new(Arc::clone(&self.fake)))
        } else {
            Box::new(Arc::clone(&self.fake))
        };
        let mut search_loop = SearchLoop::new(
            &arr_cfg,
            Duration::ZERO,
            arr,
            records,
            budget,
            Arc::clone(&self.board),
            dry_run,
        );
        search_loop.clock = now;
        search_loop
    }

    /// The searches sent, in order.
    fn sent(&self) -> Vec<Value> {
        self.fake.sent_commands()
    }

    fn state(&self) -> SearchState {
        self.board.snapshot()[0].search.clone().unwrap_or_default()
    }
}

fn arr_section(kind: ArrKind) -> Arr {
    let text = format!(
        "[qBit]\nHost = \"h\"\n[{}-1080]\nURI = \"http://r\"\nAPIKey = \"k\"\n",
        kind.name()
    );
    let loaded = crate::config::load_str(&text, "config.toml", &[]).expect("config");
    let mut arr = loaded.config.arrs[0].clone();
    arr.name = NAME.into();
    arr
}

fn unlimited() -> EntrySearch {
    EntrySearch {
        per_hour: None,
        per_day: None,
        ..EntrySearch::default()
    }
}

#[test]
fn a_round_searches_the_best_first_skipping_the_queue_and_a_restart_does_not_search_again() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(
        WantedList::Missing,
        true,
        vec![
            movie(1, 400),
            movie(2, 3),
            movie(3, 30),
            movie(4, 1),
            movie(5, 10),
        ],
    );
    // Movie 4 is downloading already.
    b.fake.enqueue(
        "aaaa",
        QueueEntry {
            media_ids: vec![4],
            ..QueueEntry::default()
        },
    );
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(unlimited());
    assert_eq!(search_loop.round(&stop).ok(), Some(Duration::ZERO));
    let ids: Vec<Value> = b.sent().iter().map(|c| c["movieIds"][0].clone()).collect();
    assert_eq!(ids, [json!(2), json!(5), json!(3), json!(1)]);
    let state = b.state();
    assert_eq!(state.sent.get("missing"), Some(&4));
    assert_eq!(state.wanted.get("missing"), Some(&5));
    // Searches are in the audit log.
    let audit = b.store.audit(0, 100, |_| true).expect("audit");
    assert_eq!(audit.iter().filter(|e| e.rule == "search-missing").count(), 4);

    // A restart: nothing searched again; the round is over, and a new one starts after a pause.
    let mut again = b.search_loop(unlimited());
    assert_eq!(again.round(&stop).ok(), Some(ROUND_PAUSE));
    assert_eq!(b.sent().len(), 4);
    assert_eq!(b.state().rounds_done, 1);
    assert!(
        b.state().doing.contains("next round starts at"),
        "{}",
        b.state().doing
    );
    // Another restart during the pause does not start the next round early.
    let mut during = b.search_loop(unlimited());
    assert_eq!(during.round(&stop).ok(), Some(ROUND_PAUSE));
    assert_eq!(b.sent().len(), 4);
    // The next round searches everything again (movie 4 is still in the queue).
    again.clock = next_round;
    assert_eq!(again.round(&stop).ok(), Some(Duration::ZERO));
    assert_eq!(b.sent().len(), 8);
}

#[test]
fn without_search_again_on_completion_a_finished_round_stays_finished() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 1)]);
    let cfg = EntrySearch {
        again_on_completion: false,
        ..unlimited()
    };
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(cfg);
    search_loop.round(&stop).ok();
    for _ in 0..3 {
        assert_eq!(search_loop.round(&stop).ok(), Some(ROUND_PAUSE));
    }
    assert_eq!(b.sent().len(), 1);
    // A new item is still searched.
    b.fake
        .set_wanted(WantedList::Missing, true, vec![movie(1, 1), movie(2, 1)]);
    search_loop.round(&stop).ok();
    assert_eq!(b.sent().len(), 2);
}

#[test]
fn quality_unmet_comes_after_missing_and_unmonitored_only_when_asked() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 100)]);
    b.fake.set_wanted(WantedList::Cutoff, true, vec![movie(2, 1)]);
    let unmonitored = WantedItem {
        monitored: false,
        ..movie(3, 1)
    };
    b.fake.set_wanted(WantedList::Missing, false, vec![unmonitored]);
    let stop = Shutdown::new();
    // Defaults: missing and monitored only.
    b.search_loop(unlimited()).round(&stop).ok();
    assert_eq!(b.sent(), [json!({"name": "MoviesSearch", "movieIds": [1]})]);
    assert!(!b
        .journal
        .calls()
        .contains(&Call::Wanted(WantedList::Cutoff, true)));
    assert!(!b
        .journal
        .calls()
        .contains(&Call::Wanted(WantedList::Missing, false)));

    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 100)]);
    b.fake.set_wanted(WantedList::Cutoff, true, vec![movie(2, 1)]);
    b.fake.set_wanted(
        WantedList::Missing,
        false,
        vec![WantedItem {
            monitored: false,
            ..movie(3, 1)
        }],
    );
    let cfg = EntrySearch {
        quality_unmet: true,
        unmonitored: true,
        ..unlimited()
    };
    b.search_loop(cfg).round(&stop).ok();
    let ids: Vec<Value> = b.sent().iter().map(|c| c["movieIds"][0].clone()).collect();
    assert_eq!(ids, [json!(3), json!(1), json!(2)]);
    assert_eq!(b.state().sent.get("quality"), Some(&1));
}

#[test]
fn sonarr_episodes_are_grouped_by_season_and_specials_left_out() {
    let b = Bench::new(ArrKind::Sonarr);
    let ep = |id, season| WantedItem {
        parent: Some(7),
        season: Some(season),
        ..movie(id, id)
    };
    b.fake.set_wanted(
        WantedList::Missing,
        true,
        vec![ep(1, 1), ep(2, 1), ep(3, 2), ep(4, 0)],
    );
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(unlimited());
    search_loop.round(&stop).ok();
    assert_eq!(
        b.sent(),
        [
            json!({"name": "SeasonSearch", "seriesId": 7, "seasonNumber": 1}),
            json!({"name": "EpisodeSearch", "episodeIds": [3]}),
        ]
    );
    // A later episode of the searched season counts as searched.
    b.fake.set_wanted(
        WantedList::Missing,
        true,
        vec![ep(1, 1), ep(2, 1), ep(3, 2), ep(5, 1)],
    );
    assert_eq!(search_loop.round(&stop).ok(), Some(ROUND_PAUSE));
    assert_eq!(b.sent().len(), 2);

    let b = Bench::new(ArrKind::Sonarr);
    b.fake
        .set_wanted(WantedList::Missing, true, vec![ep(1, 1), ep(2, 1), ep(4, 0)]);
    let cfg = EntrySearch {
        by_series: SeriesSearch::Episode,
        specials: true,
        ..unlimited()
    };
    b.search_loop(cfg).round(&stop).ok();
    assert_eq!(b.sent().len(), 3);
}

#[test]
fn the_budget_stops_a_round_and_is_kept_across_a_restart() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(
        WantedList::Missing,
        true,
        (1..=10).map(|id| movie(id, id)).collect(),
    );
    let cfg = EntrySearch {
        per_hour: Some(3),
        per_day: Some(100),
        ..EntrySearch::default()
    };
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(cfg.clone());
    assert_eq!(search_loop.round(&stop).ok(), Some(Duration::from_secs(3600)));
    assert_eq!(b.sent().len(), 3);
    let state = b.state();
    assert_eq!(state.budget.hour, Some(0));
    assert_eq!(state.budget.day, Some(97));
    assert_eq!(state.next_at, Some(NOW + 3600));
    // A restart remembers the budget: nothing more this hour, and the lists are not read.
    b.journal.clear();
    let mut again = b.search_loop(cfg);
    assert_eq!(again.round(&stop).ok(), Some(Duration::from_secs(3600)));
    assert_eq!(b.sent().len(), 3);
    assert!(!b.journal.calls().iter().any(|c| matches!(c, Call::Wanted(..))));
}

#[test]
fn the_searches_after_a_removal_share_the_budget() {
    let b = Bench::new(ArrKind::Radarr);
    let cfg = EntrySearch {
        per_hour: Some(2),
        ..EntrySearch::default()
    };
    let records = InstanceRecords::new(Arc::clone(&b.store), NAME, Writes::Commit);
    let budget = SearchBudget::load(&cfg, &records, NOW);
    // The torrent loop searched twice after removals.
    budget.take(&records, NOW - 10).expect("first");
    budget.take(&records, NOW - 5).expect("second");
    assert!(matches!(budget.take(&records, NOW), Err(NotNow::Until(t)) if t == NOW - 10 + 3600));
    // The search loop, started later, sees the same budget in the store.
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 1)]);
    let mut search_loop = b.search_loop(cfg);
    search_loop.round(&Shutdown::new()).ok();
    assert!(b.sent().is_empty());
}

#[test]
fn search_limit_waits_while_the_arr_runs_that_many_searches() {
    let b = Bench::new(ArrKind::Radarr);
    let cfg = EntrySearch {
        limit: 2,
        ..unlimited()
    };
    let mut search_loop = b.search_loop(cfg);
    let search = &crate::search::commands(
        ArrKind::Radarr,
        &[Candidate::new(
            Reason::Missing,
            movie(1, 1),
            ArrKind::Radarr,
            &unlimited(),
            NOW,
        )],
        SeriesSearch::Smart,
    )[0];
    let stopped = Shutdown::new();
    stopped.trigger();
    b.fake.set_searches_running(2);
    assert_eq!(
        search_loop.send(search, &stopped).ok(),
        Some(Some(Duration::ZERO))
    );
    assert!(b.sent().is_empty());
    assert!(b.state().doing.contains("SearchLimit 2"), "{}", b.state().doing);
    b.fake.set_searches_running(1);
    assert_eq!(search_loop.send(search, &Shutdown::new()).ok(), Some(None));
    assert_eq!(b.sent().len(), 1);
}

#[test]
fn a_429_holds_every_search_until_the_arr_said_and_the_item_is_searched_later() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake
        .set_wanted(WantedList::Missing, true, vec![movie(1, 1), movie(2, 2)]);
    b.journal
        .fail_with("command", 429, Some(Duration::from_secs(120)));
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(unlimited());
    assert_eq!(search_loop.round(&stop).ok(), Some(Duration::from_secs(120)));
    let records = InstanceRecords::new(Arc::clone(&b.store), NAME, Writes::Commit);
    // Not remembered as searched (the Arr did not take it), and held in the stored budget.
    assert_eq!(records.searched(&["m1".into()]).ok(), Some(vec![None]));
    let budget = SearchBudget::load(&unlimited(), &records, NOW);
    assert_eq!(budget.next_at(NOW), Some(NOW + 120));
    assert_eq!(b.state().budget.held_until, Some(NOW + 120));
    // The torrent loop's searches wait too.
    assert!(matches!(budget.take(&records, NOW + 60), Err(NotNow::Until(t)) if t == NOW + 120));
    // Without Retry-After: a doubling wait.
    assert_eq!(slow_down_wait(&http_status(429, None), 1), Some(BACKOFF_FIRST));
    assert_eq!(
        slow_down_wait(&http_status(429, None), 3),
        Some(BACKOFF_FIRST * 4)
    );
    assert_eq!(slow_down_wait(&http_status(503, None), 1), None);
    assert_eq!(
        slow_down_wait(&http_status(503, Some(Duration::from_secs(9))), 1),
        Some(Duration::from_secs(9))
    );
    assert_eq!(slow_down_wait(&http_status(500, None), 1), None);
}

fn http_status(status: u16, retry_after: Option<Duration>) -> HttpError {
    HttpError::Status {
        endpoint: "e".into(),
        status,
        body: String::new(),
        retry_after,
    }
}

#[test]
fn a_refused_search_is_searched_again_and_a_lost_answer_is_not() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 1)]);
    let records = InstanceRecords::new(Arc::clone(&b.store), NAME, Writes::Commit);
    b.journal.fail("command");
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(unlimited());
    assert!(search_loop.round(&stop).is_err());
    assert_eq!(records.searched(&["m1".into()]).ok(), Some(vec![None]));
    assert!(b.sent().is_empty());
    // An Arr whose answer is lost may have queued it: it stays searched, and is not sent again.
    b.journal.heal("command");
    b.fake.lose_command_answers(true);
    assert!(search_loop.round(&stop).is_err());
    assert_eq!(b.sent().len(), 1);
    assert_eq!(records.searched(&["m1".into()]).ok(), Some(vec![Some(NOW)]));
    b.fake.lose_command_answers(false);
    assert_eq!(search_loop.round(&stop).ok(), Some(ROUND_PAUSE));
    assert_eq!(b.sent().len(), 1);
}

#[test]
fn a_dry_run_sends_nothing_records_nothing_and_says_each_search_once() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake
        .set_wanted(WantedList::Missing, true, vec![movie(1, 1), movie(2, 2)]);
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop_with(EntrySearch::default(), true);
    search_loop.round(&stop).ok();
    assert!(b.sent().is_empty());
    assert_eq!(b.state().sent.get("missing"), Some(&2));
    // Said once: the next read finds both said, and the budget was not spent.
    assert_eq!(search_loop.round(&stop).ok(), Some(ROUND_PAUSE));
    assert_eq!(search_loop.round(&stop).ok(), Some(ROUND_PAUSE));
    assert_eq!(b.state().sent.get("missing"), Some(&2));
    let records = InstanceRecords::new(Arc::clone(&b.store), NAME, Writes::Commit);
    assert_eq!(
        records.searched(&["m1".into(), "m2".into()]).ok(),
        Some(vec![None, None])
    );
    assert_eq!(records.search_budget().ok(), Some(None));
    let audit = b.store.audit(0, 100, |_| true).expect("audit");
    assert!(audit.iter().all(|e| e.dry_run), "{audit:?}");
}

#[test]
fn an_arr_without_wanted_lists_is_said_once_and_asked_again_hourly() {
    let b = Bench::new(ArrKind::Radarr);
    let stop = Shutdown::new();
    let mut search_loop = b.search_loop(unlimited());
    assert_eq!(search_loop.round(&stop).ok(), Some(BACKOFF_MAX));
    assert!(b.state().doing.contains("no wanted lists"));
    assert!(b.sent().is_empty());
}

/// A request manager that answers what the test set, and counts its reads.
#[derive(Clone, Default)]
struct FakeRequests {
    answer: Arc<std::sync::Mutex<Option<crate::requests::Requested>>>,
    reads: Arc<std::sync::atomic::AtomicUsize>,
}

impl crate::requests::RequestApi for FakeRequests {
    fn manager(&self) -> crate::config::RequestManager {
        crate::config::RequestManager::Overseerr
    }
    fn requested(&self) -> Result<crate::requests::Requested, HttpError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.answer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| http_status(503, None))
    }
}

fn requested(movies: &[i64], series: &[i64]) -> Option<crate::requests::Requested> {
    Some(crate::requests::Requested {
        movies: movies.iter().copied().collect(),
        series: series.iter().copied().collect(),
    })
}

#[test]
fn requested_movies_are_searched_first_and_requests_are_read_every_so_often() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(
        WantedList::Missing,
        true,
        vec![movie(1, 400), movie(2, 3), movie(3, 30)],
    );
    let requests = FakeRequests::default();
    // Movie 1 (the oldest) was requested in Overseerr, by its TMDB id.
    *requests.answer.lock().unwrap() = requested(&[1001, 99_999], &[]);
    let cfg = EntrySearch {
        per_hour: Some(1),
        ..unlimited()
    };
    let mut search_loop = b.search_loop(cfg).with_requests(Box::new(requests.clone()));
    let stop = Shutdown::new();
    search_loop.round(&stop).ok();
    assert_eq!(b.sent(), [json!({"name": "MoviesSearch", "movieIds": [1]})]);
    let state = b.state();
    assert_eq!(state.sent.get("request"), Some(&1));
    assert_eq!(state.requests, Some(("Overseerr", 2)));
    // Read once per SearchRequestsEvery (300 s by default), not every round.
    search_loop.round(&stop).ok();
    assert_eq!(requests.reads.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn requested_series_go_first_on_sonarr_by_their_tvdb_id() {
    let b = Bench::new(ArrKind::Sonarr);
    let ep = |id, series| WantedItem {
        parent: Some(series),
        season: Some(1),
        tmdb: None,
        ..movie(id, id)
    };
    b.fake
        .set_wanted(WantedList::Missing, true, vec![ep(1, 7), ep(2, 8), ep(3, 7)]);
    let requests = FakeRequests::default();
    // The fake Sonarr's series n has TVDB id n + 1000; 5000 is not in Sonarr yet.
    *requests.answer.lock().unwrap() = requested(&[], &[1008, 5000]);
    let cfg = EntrySearch {
        by_series: SeriesSearch::Episode,
        ..unlimited()
    };
    let mut search_loop = b.search_loop(cfg).with_requests(Box::new(requests));
    search_loop.round(&Shutdown::new()).ok();
    let ids: Vec<Value> = b.sent().iter().map(|c| c["episodeIds"][0].clone()).collect();
    assert_eq!(ids, [json!(2), json!(1), json!(3)]);
    assert_eq!(b.state().requests, Some(("Overseerr", 1)));
    let lookups: Vec<Call> = b
        .journal
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::SeriesByTvdb(_)))
        .collect();
    assert_eq!(lookups, [Call::SeriesByTvdb(1008), Call::SeriesByTvdb(5000)]);
}

#[test]
fn unreadable_requests_change_nothing_but_the_order() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake
        .set_wanted(WantedList::Missing, true, vec![movie(1, 400), movie(2, 3)]);
    let requests = FakeRequests::default(); // answers 503
    let mut search_loop = b.search_loop(unlimited()).with_requests(Box::new(requests));
    search_loop.round(&Shutdown::new()).ok();
    let ids: Vec<Value> = b.sent().iter().map(|c| c["movieIds"][0].clone()).collect();
    assert_eq!(ids, [json!(2), json!(1)]);
    assert_eq!(b.state().requests, None);
}

fn owned(id: i64, days_ago: i64, cf_score: Option<i64>) -> crate::search::OwnedItem {
    crate::search::OwnedItem {
        item: movie(id, days_ago),
        profile: Some(1),
        cf_score,
    }
}

#[test]
fn upgrades_and_custom_formats_below_the_minimum_come_after_missing_and_only_when_asked() {
    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 400)]);
    // Profile 1 wants at least 50: movie 2's file scores 10, movie 3's 100, movie 4's none.
    b.fake.set_library(
        vec![owned(2, 30, Some(10)), owned(3, 1, Some(100)), owned(4, 2, None)],
        &[(1, 50)],
    );
    let stop = Shutdown::new();
    // Neither asked: the library is not read.
    b.search_loop(unlimited()).round(&stop).ok();
    assert!(!b.journal.calls().contains(&Call::Library));
    assert_eq!(b.sent().len(), 1);

    let b = Bench::new(ArrKind::Radarr);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(1, 400)]);
    b.fake.set_library(
        vec![owned(2, 30, Some(10)), owned(3, 1, Some(100)), owned(4, 2, None)],
        &[(1, 50)],
    );
    let cf_only = EntrySearch {
        custom_format: true,
        ..unlimited()
    };
    b.search_loop(cf_only).round(&stop).ok();
    let ids: Vec<Value> = b.sent().iter().map(|c| c["movieIds"][0].clone()).collect();
    // Missing first, then the custom formats below the minimum (no score counts as 0).
    assert_eq!(ids, [json!(1), json!(4), json!(2)]);
    assert_eq!(b.state().sent.get("custom-format"), Some(&2));

    let b = Bench::new(ArrKind::Radarr);
    b.fake
        .set_library(vec![owned(2, 30, Some(10)), owned(3, 1, Some(100))], &[(1, 50)]);
    let both = EntrySearch {
        custom_format: true,
        upgrade: true,
        ..unlimited()
    };
    b.search_loop(both).round(&stop).ok();
    let ids: Vec<Value> = b.sent().iter().map(|c| c["movieIds"][0].clone()).collect();
    assert_eq!(ids, [json!(2), json!(3)]);
    assert_eq!(b.state().sent.get("upgrade"), Some(&1));
    assert_eq!(b.state().wanted.get("upgrade"), Some(&1));
}

// Temp quality profiles.

const HD: i64 = 1;
const SD: i64 = 2;
const ANY: i64 = 3;

fn two_hours_later() -> UnixTime {
    NOW + 2 * 3600
}

fn three_hours_later() -> UnixTime {
    NOW + 3 * 3600
}

fn profiled(id: i64, profile: i64, missing: bool, monitored: bool) -> crate::search::profiles::ProfiledItem {
    crate::search::profiles::ProfiledItem {
        id,
        title: format!("Movie {id}"),
        profile,
        missing,
        monitored,
    }
}

fn temp_cfg(f: impl FnOnce(&mut crate::config::TempProfiles)) -> EntrySearch {
    let mut cfg = unlimited();
    cfg.temp.on = true;
    cfg.temp.mappings = vec![("HD".into(), "SD".into())];
    f(&mut cfg.temp);
    cfg
}

impl Bench {
    fn library_with_profiles(&self, items: Vec<crate::search::profiles::ProfiledItem>) {
        self.fake
            .set_profiled(&[(HD, "HD"), (SD, "SD"), (ANY, "Any")], items);
    }

    fn profile_of(&self, id: i64) -> i64 {
        self.fake
            .profiled()
            .iter()
            .find(|i| i.id == id)
            .map_or(-1, |i| i.profile)
    }

    fn profile_changes(&self) -> Vec<(Vec<i64>, i64)> {
        self.journal
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::SetProfile(ids, to) => Some((ids, to)),
                _ => None,
            })
            .collect()
    }

    fn remembered(&self) -> Vec<(i64, crate::search::profiles::Switched)> {
        let records = InstanceRecords::new(Arc::clone(&self.store), NAME, Writes::Commit);
        let mut out: Vec<_> = records
            .temp_profiles()
            .expect("records")
            .into_iter()
            .filter_map(|(id, b)| Some((id, crate::search::profiles::Switched::decode(&b)?)))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }
}

#[test]
fn missing_items_go_to_their_temp_profile_and_back_after_import_also_across_a_restart() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles(vec![
        profiled(10, HD, true, true),
        profiled(11, HD, false, true),
        profiled(12, ANY, true, true),
        profiled(13, HD, true, false),
    ]);
    let stop = Shutdown::new();
    let mut first = b.search_loop(temp_cfg(|_| {}));
    first.temp_profiles(&stop);
    // Only the missing, monitored item on a mapped profile.
    assert_eq!(b.profile_changes(), [(vec![10], SD)]);
    assert_eq!(b.profile_of(10), SD);
    assert_eq!(b.remembered().len(), 1, "remembered before it was sent");
    assert_eq!(b.remembered()[0].1.original, HD);
    assert_eq!(first.temp.counts().on_temp, 1);
    assert_eq!(
        b.state().temp_profiles.map(|t| (t.on_temp, t.switched)),
        Some((1, 1))
    );
    // Not due again at once.
    first.temp_profiles(&stop);
    assert_eq!(b.profile_changes().len(), 1);
    drop(first);

    // A restart; the movie was imported meanwhile.
    b.fake.update_profiled(10, |i| i.missing = false);
    let mut second = b.search_loop(temp_cfg(|_| {}));
    second.clock = next_round;
    second.temp_profiles(&stop);
    assert_eq!(b.profile_changes(), [(vec![10], SD), (vec![10], HD)]);
    assert_eq!(b.profile_of(10), HD);
    assert!(b.remembered().is_empty(), "forgotten once it went back");
    let audit = b.store.audit(0, 10, |_| true).expect("audit");
    let details: Vec<&str> = audit.iter().map(|e| e.detail.as_str()).collect();
    assert!(
        details.contains(&"HD -> SD (missing): \"Movie 10\""),
        "{details:?}"
    );
    assert!(
        details.contains(&"SD -> HD (it has its files): \"Movie 10\""),
        "{details:?}"
    );
}

#[test]
fn keep_temp_profile_keeps_it_after_import_and_the_timeout_sends_it_back_once() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles(vec![profiled(10, HD, true, true), profiled(20, HD, true, true)]);
    let stop = Shutdown::new();
    let cfg = temp_cfg(|t| {
        t.keep = true;
        t.timeout = Some(Duration::from_secs(3600));
    });
    let mut search = b.search_loop(cfg.clone());
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes(), [(vec![10, 20], SD)]);
    b.fake.update_profiled(10, |i| i.missing = false);
    search.clock = next_round;
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes().len(), 1, "kept after its import");
    // Two hours on the temp profile: both go back, the missing one is remembered as timed out…
    search.clock = two_hours_later;
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes()[1..], [(vec![10, 20], HD)]);
    let remembered = b.remembered();
    assert_eq!(remembered.len(), 2);
    assert!(remembered.iter().all(|(_, r)| r.timed_out));
    // …and is not switched again while it is missing; the imported one is forgotten.
    search.clock = three_hours_later;
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes().len(), 2);
    assert_eq!(b.remembered().iter().map(|(id, _)| *id).collect::<Vec<_>>(), [20]);
}

#[test]
fn a_failed_switch_is_remembered_and_finished_by_a_later_pass_and_searches_go_on() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles(vec![profiled(10, HD, true, true)]);
    b.fake.set_wanted(WantedList::Missing, true, vec![movie(10, 1)]);
    b.journal.fail("set_profile");
    let stop = Shutdown::new();
    let mut search = b.search_loop(temp_cfg(|t| t.retries = 2));
    search.temp.retry_at_once();
    search.round(&stop).expect("round");
    assert_eq!(b.profile_changes().len(), 3, "tried, then tried again twice");
    assert_eq!(b.profile_of(10), HD);
    assert_eq!(b.remembered().len(), 1, "the intent is kept");
    assert_eq!(b.sent().len(), 1, "the search still went out");
    b.journal.heal("set_profile");
    search.clock = next_round;
    search.temp_profiles(&stop);
    assert_eq!(b.profile_of(10), SD);
    assert_eq!(b.remembered()[0].1.since, NOW, "the same record finished");
}

#[test]
fn a_profile_changed_by_someone_else_is_theirs_and_turning_it_off_undoes_ours() {
    let b = Bench::new(ArrKind::Sonarr);
    b.library_with_profiles(vec![profiled(10, HD, true, true), profiled(20, HD, true, true)]);
    let stop = Shutdown::new();
    let mut search = b.search_loop(temp_cfg(|_| {}));
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes(), [(vec![10, 20], SD)]);
    // The user moves series 10 to "Any" in Sonarr.
    b.fake.update_profiled(10, |i| i.profile = ANY);
    drop(search);
    let mut off = b.search_loop(temp_cfg(|t| t.on = false));
    off.temp_profiles(&stop);
    assert_eq!(b.profile_changes()[1..], [(vec![20], HD)]);
    assert_eq!(b.profile_of(10), ANY, "never changed back");
    assert!(b.remembered().is_empty());
    // Nothing of ours is left: later passes read nothing.
    b.journal.clear();
    off.clock = next_round;
    off.temp_profiles(&stop);
    assert!(b.journal.calls().is_empty(), "{:?}", b.journal.calls());
}

#[test]
fn force_reset_sends_back_what_is_on_a_temp_profile_and_keeps_what_would_come_straight_back() {
    let b = Bench::new(ArrKind::Radarr);
    // Switched before (by qBitrr): one imported, one still missing; one the user put on "Any".
    b.library_with_profiles(vec![
        profiled(10, SD, false, true),
        profiled(20, SD, true, true),
        profiled(30, ANY, false, true),
    ]);
    let stop = Shutdown::new();
    let mut search = b.search_loop(temp_cfg(|t| t.force_reset = true));
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes(), [(vec![10], HD)]);
    assert_eq!(b.remembered().iter().map(|(id, _)| *id).collect::<Vec<_>>(), [20]);
    // Once only: the imported one goes back as ours from now on.
    b.fake.update_profiled(20, |i| i.missing = false);
    search.clock = next_round;
    search.temp_profiles(&stop);
    assert_eq!(b.profile_changes()[1..], [(vec![20], HD)]);
    assert_eq!(b.profile_of(30), ANY);
}

#[test]
fn a_dry_run_says_what_it_would_switch_and_changes_and_records_nothing() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles(vec![profiled(10, HD, true, true)]);
    let stop = Shutdown::new();
    let mut search = b.search_loop_with(temp_cfg(|_| {}), true);
    search.temp_profiles(&stop);
    search.clock = next_round;
    search.temp_profiles(&stop);
    assert!(b.profile_changes().is_empty());
    assert_eq!(b.profile_of(10), HD);
    assert!(b.remembered().is_empty());
}

#[test]
fn names_the_arr_lacks_are_said_and_switch_nothing() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles(vec![profiled(10, HD, true, true)]);
    let stop = Shutdown::new();
    let mut search = b.search_loop(temp_cfg(|t| t.mappings = vec![("hd".into(), "SD".into())]));
    search.temp_profiles(&stop);
    assert!(b.profile_changes().is_empty());
    assert!(b.remembered().is_empty());
}

#[test]
fn a_large_library_is_switched_a_few_hundred_items_a_pass_in_puts_of_a_hundred() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles((1..=620).map(|id| profiled(id, HD, true, true)).collect());
    let stop = Shutdown::new();
    let mut search = b.search_loop(temp_cfg(|_| {}));
    let commits = b.store.commits();
    search.temp_profiles(&stop);
    assert_eq!(
        b.store.commits() - commits,
        2,
        "the records, then the audit entries: one write each"
    );
    let sizes: Vec<usize> = b.profile_changes().iter().map(|(ids, _)| ids.len()).collect();
    assert_eq!(sizes, [100; 5]);
    assert_eq!(b.remembered().len(), 500);
    // One audit entry per PUT, written together.
    let audit = b.store.audit(0, 100, |_| true).expect("audit");
    assert_eq!(audit.len(), 5);
    assert_eq!(audit[0].name, "100 items");
    assert!(
        audit[0].detail.starts_with(
            "HD -> SD (missing): \"Movie 1\", \"Movie 2\", \"Movie 3\", \"Movie 4\", \"Movie 5\" and 95 more"
        ),
        "{}",
        audit[0].detail
    );
    search.clock = next_round;
    search.temp_profiles(&stop);
    let sizes: Vec<usize> = b.profile_changes().iter().map(|(ids, _)| ids.len()).collect();
    assert_eq!(sizes, [100, 100, 100, 100, 100, 100, 20]);
    assert!(b.fake.profiled().iter().all(|i| i.profile == SD));
}

#[test]
fn an_empty_listing_forgets_nothing_and_an_item_gone_from_the_arr_is_forgotten() {
    let b = Bench::new(ArrKind::Radarr);
    b.library_with_profiles(vec![profiled(10, HD, true, true), profiled(20, HD, true, true)]);
    let stop = Shutdown::new();
    let mut search = b.search_loop(temp_cfg(|_| {}));
    search.temp_profiles(&stop);
    assert_eq!(b.remembered().len(), 2);
    // The Arr answers an empty list for a moment: both records stay.
    b.library_with_profiles(Vec::new());
    search.clock = next_round;
    search.temp_profiles(&stop);
    assert_eq!(b.remembered().len(), 2);
    // Movie 20 was deleted in the Arr: its record goes; movie 10's stays.
    b.library_with_profiles(vec![profiled(10, SD, true, true)]);
    search.clock = two_hours_later;
    search.temp_profiles(&stop);
    assert_eq!(b.remembered().iter().map(|(id, _)| *id).collect::<Vec<_>>(), [10]);
}
