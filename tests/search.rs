//! The search loop (`[<Arr>.EntrySearch]`) end to end: the daemon against real
//! qbittorrent-nox, fake Arrs that serve `wanted/missing` and `wanted/cutoff` as the OpenAPI
//! contracts shape them and record every search they are sent, and fake Overseerr and Ombi.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::daemon::run_cli;
use crate::support::fake_arr::{
    album_record, book_record, library_record, profiled_record, queue_record, wanted_record, FakeKind,
};
use crate::support::fake_requests::{FakeRequests, Manager, Request};
use crate::support::scenario::Scenario;
use crate::support::util::wait_until;

/// A movie released `days` days before 2026-11-01.
fn movie(id: u64, day: u32, monitored: bool) -> Value {
    wanted_record(
        FakeKind::Radarr,
        id,
        &format!("Movie {id}"),
        &format!("2026-10-{day:02}T00:00:00Z"),
        monitored,
        0,
    )
}

/// Sonarr episode `id` of series 7000 + id / 10, season `season`, aired on October `day`.
fn episode(id: u64, season: i64, day: u32) -> Value {
    wanted_record(
        FakeKind::Sonarr,
        id,
        &format!("Episode {id}"),
        &format!("2026-10-{day:02}T20:00:00Z"),
        true,
        season,
    )
}

fn movie_ids(searches: &[Value]) -> Vec<i64> {
    searches
        .iter()
        .map(|s| {
            assert_eq!(s["name"], "MoviesSearch", "{s}");
            s["movieIds"][0].as_i64().unwrap_or(-1)
        })
        .collect()
}

fn search_status(s: &Scenario) -> Value {
    let (code, body) = s.daemon.get("/api/status", true);
    assert_eq!(code, 200, "{body}");
    let status: Value = serde_json::from_str(&body).expect("JSON");
    status["arrs"][0]["search"].clone()
}

/// Waits until Radarr-Test's search loop says it does `doing` (a part of it), then a little
/// longer, and checks that the Arr was still sent only `searches` commands.
fn holds_at(s: &Scenario, doing: &str, searches: usize) {
    let ok = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        search_status(s)["doing"]
            .as_str()
            .is_some_and(|d| d.contains(doing))
    });
    assert!(ok, "{}\n{}", search_status(s), s.daemon.log());
    std::thread::sleep(Duration::from_secs(2));
    let sent = s.arr("Radarr-Test").requests();
    let posts = sent
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/command"))
        .count();
    assert_eq!(posts, searches, "{}", s.daemon.log());
}

/// Waits until the fake Arr accepted `n` searches; panics with the daemon's log if not.
fn wait_for_searches(s: &Scenario, name: &str, n: usize) -> Vec<Value> {
    let arr = s.arr(name);
    let ok = wait_until(Duration::from_secs(30), Duration::from_millis(100), || {
        arr.searches().len() >= n
    });
    assert!(
        ok,
        "{} searches, not {n}:\n{}",
        arr.searches().len(),
        s.daemon.log()
    );
    arr.searches()
}

#[test]
fn missing_media_is_searched_newest_first_within_the_budget_and_the_budget_survives_a_restart() {
    let Some(setup) = Scenario::radarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = 3\nSearchesPerDay = 10")
        .setup()
    else {
        return;
    };
    let radarr = setup.arr("Radarr-Test");
    radarr.set_wanted_missing(Some(vec![
        movie(1, 1, true),
        movie(2, 20, true),
        movie(3, 10, true),
        movie(4, 30, true),  // downloading: in the queue
        movie(5, 25, false), // unmonitored
        movie(6, 5, true),
    ]));
    radarr.set_queue(vec![queue_record(FakeKind::Radarr, 40, "ABCDEF", "Movie.4", 4)]);
    let mut s = setup.start_daemon();

    // Newest first, without the queued and the unmonitored one, three (the hourly budget).
    let searches = wait_for_searches(&s, "Radarr-Test", 3);
    assert_eq!(movie_ids(&searches), [2, 3, 6]);
    // The third search spends the hour before the loop finds the budget spent and says so: wait
    // for both.
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        let status = search_status(&s);
        status["budget"]["hour_left"] == 0
            && status["doing"]
                .as_str()
                .is_some_and(|d| d.contains("budget is spent"))
    });
    assert!(ok, "{}", search_status(&s));
    let status = search_status(&s);
    assert_eq!(status["budget"]["hour_left"], 0, "{status}");
    assert_eq!(status["budget"]["day_left"], 7, "{status}");
    assert_eq!(status["sent"]["missing"], 3, "{status}");
    assert_eq!(status["wanted"]["missing"], 5, "{status}");
    assert!(
        status["doing"].as_str().unwrap_or("").contains("budget is spent"),
        "{status}"
    );
    let (_, metrics) = s.daemon.get("/metrics", true);
    for line in [
        "qbitrr_lite_searches_total{arr=\"Radarr-Test\",reason=\"missing\"} 3",
        "qbitrr_lite_searches_total{arr=\"Radarr-Test\",reason=\"quality\"} 0",
        "qbitrr_lite_search_budget_remaining{arr=\"Radarr-Test\",window=\"hour\"} 0",
        "qbitrr_lite_search_wanted{arr=\"Radarr-Test\",reason=\"missing\"} 5",
    ] {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
    let (_, audit) = s.daemon.get("/api/actions", true);
    assert!(audit.contains("search-missing"), "{audit}");

    // A restart keeps the budget: nothing more this hour.
    let (code, _) = s.daemon.terminate();
    assert!(code.success());
    s.restart_daemon();
    holds_at(&s, "budget is spent", 3);
}

#[test]
fn what_was_searched_is_not_searched_again_after_a_restart_and_quality_comes_after_missing() {
    let Some(setup) = Scenario::radarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = -1\nSearchesPerDay = -1\nQualityUnmetSearch = true")
        .setup()
    else {
        return;
    };
    let radarr = setup.arr("Radarr-Test");
    radarr.set_wanted_missing(Some(vec![movie(1, 1, true), movie(2, 2, true)]));
    radarr.set_wanted_cutoff(Some(vec![movie(3, 30, true)]));
    let mut s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Radarr-Test", 3);
    assert_eq!(movie_ids(&searches), [2, 1, 3]);
    assert!(
        s.arr("Radarr-Test")
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/wanted/cutoff") && r.query_value("pageSize").is_some()),
        "the cutoff list is read in pages"
    );

    // Killed without a goodbye, then started again: nothing is searched twice.
    s.daemon.kill();
    s.restart_daemon();
    holds_at(&s, "the next round starts at", 3);
}

#[test]
fn a_429_holds_every_search_until_retry_after_also_across_a_restart() {
    let Some(setup) = Scenario::radarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = -1\nSearchesPerDay = -1")
        .setup()
    else {
        return;
    };
    let radarr = setup.arr("Radarr-Test");
    radarr.set_wanted_missing(Some(vec![movie(1, 1, true), movie(2, 2, true)]));
    radarr.throttle_commands(1, 3600);
    let mut s = setup.start_daemon();
    let radarr = s.arr("Radarr-Test");
    radarr.wait_for_request(Duration::from_secs(30), |r| r.method == "POST" && r.status == 429);
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        search_status(&s)["budget"]["held_until"].is_i64()
    });
    assert!(ok, "{}", search_status(&s));
    let held = search_status(&s)["budget"]["held_until"].as_i64().unwrap_or(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    assert!(
        (now + 3500..=now + 3600).contains(&held),
        "held until {held}, now {now}"
    );
    s.daemon
        .wait_for_log("asked us to slow down", Duration::from_secs(5));
    // Nothing more is sent while held, also after a restart.
    holds_at(&s, "asked us to wait", 1);
    let (code, _) = s.daemon.terminate();
    assert!(code.success());
    s.restart_daemon();
    holds_at(&s, "asked us to wait", 1);
}

#[test]
fn search_limit_waits_for_the_arrs_running_searches_and_sonarr_gets_season_searches() {
    let Some(setup) = Scenario::radarr()
        .sonarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = -1\nSearchLimit = 1")
        .setup()
    else {
        return;
    };
    let ep = episode;
    let sonarr = setup.arr("Sonarr-Test");
    // Series 7001: two episodes of season 2 and one of season 3; a special.
    sonarr.set_wanted_missing(Some(vec![ep(10, 2, 5), ep(11, 2, 6), ep(12, 3, 1), ep(13, 0, 9)]));
    sonarr.set_searches_pending(true);
    let s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Sonarr-Test", 1);
    assert_eq!(
        searches[0],
        json!({"name": "SeasonSearch", "seriesId": 7001, "seasonNumber": 2})
    );
    // One search runs in the Arr: the next waits for it.
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        let (_, body) = s.daemon.get("/api/status", true);
        body.contains("SearchLimit 1")
    });
    assert!(ok, "{}", s.daemon.log());
    assert_eq!(s.arr("Sonarr-Test").searches().len(), 1);
    s.arr("Sonarr-Test").set_searches_pending(false);
    let searches = wait_for_searches(&s, "Sonarr-Test", 2);
    assert_eq!(searches[1], json!({"name": "EpisodeSearch", "episodeIds": [12]}));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(s.arr("Sonarr-Test").searches().len(), 2, "no special searched");
}

#[test]
fn a_dry_run_reads_the_wanted_lists_and_sends_no_search() {
    let Some(setup) = Scenario::radarr()
        .dry_run()
        .settings("SearchLoopDelay = 0")
        .setup()
    else {
        return;
    };
    setup
        .arr("Radarr-Test")
        .set_wanted_missing(Some(vec![movie(1, 1, true), movie(2, 2, true)]));
    let s = setup.start_daemon();
    s.daemon
        .wait_for_log("would search \"Movie 2\"", Duration::from_secs(30));
    s.daemon
        .wait_for_log("would search \"Movie 1\"", Duration::from_secs(10));
    let radarr = s.arr("Radarr-Test");
    assert!(radarr
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/wanted/missing")));
    assert!(
        !radarr.requests().iter().any(|r| r.method == "POST"),
        "a dry run sends nothing:\n{}",
        s.daemon.log()
    );
}

#[test]
fn an_arr_without_wanted_lists_is_named_once_and_the_torrent_loop_runs_on() {
    let Some(setup) = Scenario::radarr().setup() else {
        return;
    };
    setup.arr("Radarr-Test").set_wanted_missing(None);
    let s = setup.start_daemon();
    s.daemon.wait_for_log(
        "has no wanted lists (Radarr needs 5.6 or later)",
        Duration::from_secs(30),
    );
    let passes = s.daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0);
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        s.daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0) > passes + 2
    });
    assert!(ok, "the torrent loop goes on");
    assert_eq!(s.daemon.log().matches("has no wanted lists").count(), 1);
}

fn request(movie: bool, id: i64, approved: bool) -> Request {
    Request {
        movie,
        id,
        approved,
        available: false,
        is4k: false,
    }
}

#[test]
fn approved_overseerr_requests_are_searched_first_and_overseerr_wins_over_ombi() {
    let overseerr = FakeRequests::start(Manager::Overseerr, "overseerr-key");
    // Ombi is on too, with another request: Overseerr wins, Ombi is never asked.
    let ombi = FakeRequests::start(Manager::Ombi, "ombi-key");
    ombi.set(vec![request(true, 1003, true)]);
    // Movie 1, the oldest, is requested and approved; movie 3's request waits for approval;
    // movie 2's is for the 4K server.
    overseerr.set(vec![
        request(true, 1001, true),
        request(true, 1003, false),
        Request {
            is4k: true,
            ..request(true, 1002, true)
        },
    ]);
    let Some(setup) = Scenario::radarr()
        .settings("SearchLoopDelay = 0")
        .search_lines(format!(
            "SearchesPerHour = -1\n[Radarr-Test.EntrySearch.Overseerr]\nSearchOverseerrRequests = true\n\
             OverseerrURI = \"{}\"\nOverseerrAPIKey = \"overseerr-key\"\n\
             [Radarr-Test.EntrySearch.Ombi]\nSearchOmbiRequests = true\nOmbiURI = \"{}\"\n\
             OmbiAPIKey = \"ombi-key\"\n",
            overseerr.url(),
            ombi.url()
        ))
        .setup()
    else {
        return;
    };
    setup.arr("Radarr-Test").set_wanted_missing(Some(vec![
        movie(1, 1, true),
        movie(2, 20, true),
        movie(3, 10, true),
    ]));
    // `check` reads the requests too, and says when it cannot.
    let path = setup.config_path.to_str().unwrap_or_default();
    let (code, out, err) = run_cli(&["check", "--config", path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Radarr-Test.Overseerr") && out.contains("1 open requests"),
        "{out}"
    );
    let wrong = setup.dir.path().join("wrong-key.toml");
    std::fs::write(&wrong, setup.config.replace("\"overseerr-key\"", "\"stale-key\"")).unwrap();
    let (code, out, err) = run_cli(&["check", "--config", wrong.to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("Radarr-Test.EntrySearch.Overseerr") && err.contains("OverseerrAPIKey"),
        "{err}"
    );
    let s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Radarr-Test", 3);
    assert_eq!(movie_ids(&searches), [1, 2, 3]);
    let status = search_status(&s);
    assert_eq!(
        status["requests"],
        json!({"manager": "Overseerr", "open": 1}),
        "{status}"
    );
    assert_eq!(status["sent"]["request"], 1, "{status}");
    let seen = overseerr.seen();
    assert!(
        seen.iter().any(|(path, q)| path == "/api/v1/request"
            && q.contains(&("filter".into(), "approved".into()))
            && q.contains(&("take".into(), "100".into()))),
        "{seen:?}"
    );
    assert!(ombi.seen().is_empty(), "{:?}", ombi.seen());
}

#[test]
fn ombi_requested_series_are_searched_first_on_sonarr() {
    let ombi = FakeRequests::start(Manager::Ombi, "ombi-key");
    ombi.set(vec![request(false, 81_002, true), request(true, 5, true)]);
    let Some(setup) = Scenario::radarr()
        .sonarr()
        .settings("SearchLoopDelay = 0")
        .search_lines(format!(
            "SearchesPerHour = -1\nSearchBySeries = false\n[Sonarr-Test.EntrySearch.Ombi]\n\
             SearchOmbiRequests = true\nOmbiURI = \"{}\"\nOmbiAPIKey = \"ombi-key\"\n",
            ombi.url()
        ))
        .setup()
    else {
        return;
    };
    let ep = |id, day| episode(id, 1, day);
    let sonarr = setup.arr("Sonarr-Test");
    // Series 7001 (episodes 10, 11) and 7002 (episode 20, the oldest), TVDB 81001 and 81002.
    sonarr.set_wanted_missing(Some(vec![ep(10, 20), ep(11, 21), ep(20, 1)]));
    sonarr.set_series(vec![(7001, 81_001), (7002, 81_002)]);
    let s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Sonarr-Test", 3);
    let ids: Vec<Value> = searches.iter().map(|c| c["episodeIds"][0].clone()).collect();
    assert_eq!(ids, [json!(20), json!(11), json!(10)]);
    let seen: Vec<String> = ombi.seen().into_iter().map(|(p, _)| p).collect();
    assert!(seen.contains(&"/api/v1/Request/tvlite".to_string()), "{seen:?}");
    assert!(s
        .arr("Sonarr-Test")
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/series") && r.query_value("tvdbId") == Some("81002")));
}

#[test]
fn upgrades_and_files_below_the_custom_format_minimum_are_searched_from_the_library() {
    let Some(setup) = Scenario::radarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = -1\nDoUpgradeSearch = true\nCustomFormatUnmetSearch = true")
        .sonarr()
        .search_lines("SearchesPerHour = -1\nSearchBySeries = false\nCustomFormatUnmetSearch = true")
        .setup()
    else {
        return;
    };
    let radarr = setup.arr("Radarr-Test");
    radarr.set_wanted_missing(Some(vec![movie(1, 1, true)]));
    // Profile 1's minimum is 50: movie 2's file scores 10, movie 3's 100 (an upgrade only).
    radarr.set_library(
        vec![
            library_record(FakeKind::Radarr, 3, "2026-10-20T00:00:00Z", 100, 0),
            library_record(FakeKind::Radarr, 2, "2026-10-02T00:00:00Z", 10, 0),
        ],
        50,
    );
    let sonarr = setup.arr("Sonarr-Test");
    sonarr.set_series(vec![(7001, 81_001)]);
    sonarr.set_library(
        vec![
            library_record(FakeKind::Sonarr, 10, "2026-10-05T20:00:00Z", 0, 1),
            library_record(FakeKind::Sonarr, 11, "2026-10-06T20:00:00Z", 80, 1),
        ],
        50,
    );
    let s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Radarr-Test", 3);
    assert_eq!(movie_ids(&searches), [1, 2, 3]);
    // The board counts a search once the Arr's answer is back, just after the fake saw it.
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
        search_status(&s)["sent"]["upgrade"] == 1
    });
    assert!(ok, "{}", search_status(&s));
    let status = search_status(&s);
    assert_eq!(status["sent"]["custom-format"], 1, "{status}");
    assert_eq!(status["sent"]["upgrade"], 1, "{status}");
    // Sonarr: only the episode whose file is below the minimum (no upgrade search asked for).
    let searches = wait_for_searches(&s, "Sonarr-Test", 1);
    assert_eq!(searches, [json!({"name": "EpisodeSearch", "episodeIds": [10]})]);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(s.arr("Sonarr-Test").searches().len(), 1);
    let paths: Vec<String> = s
        .arr("Sonarr-Test")
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    for path in [
        "/api/v3/series",
        "/api/v3/episodefile",
        "/api/v3/episode",
        "/api/v3/qualityprofile",
    ] {
        assert!(paths.iter().any(|p| p == path), "no {path} in {paths:?}");
    }
}

/// The `PUT …/editor` bodies the fake Arr `name` answered 200, in order.
fn profile_puts(s: &Scenario, name: &str) -> Vec<Value> {
    s.arr(name)
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/editor") && r.status == 200)
        .filter_map(|r| r.json())
        .collect()
}

fn wait_for_profile(s: &Scenario, name: &str, id: u64, profile: i64) {
    let ok = wait_until(Duration::from_secs(30), Duration::from_millis(100), || {
        s.arr(name).profiles_now().contains(&(id, profile))
    });
    assert!(
        ok,
        "item {id} not on profile {profile}: {:?}\n{}",
        s.arr(name).profiles_now(),
        s.daemon.log()
    );
}

#[test]
fn missing_media_goes_to_its_temp_profile_and_back_after_import_also_after_a_kill() {
    let Some(setup) = Scenario::radarr()
        .settings("SearchLoopDelay = 0")
        .search_lines(
            "SearchesPerHour = -1\nUseTempForMissing = true\nQualityProfileMappings = {\"HD\" = \"SD\"}\n\
             ProfileSwitchRetryAttempts = 2",
        )
        .setup()
    else {
        return;
    };
    let radarr = setup.arr("Radarr-Test");
    radarr.set_quality_profiles(&[(2, "SD"), (3, "Any")]);
    radarr.set_profiled(vec![
        profiled_record(FakeKind::Radarr, 1, 1, true),
        profiled_record(FakeKind::Radarr, 2, 1, false),
        profiled_record(FakeKind::Radarr, 3, 3, true),
    ]);
    radarr.set_wanted_missing(Some(vec![movie(1, 1, true), movie(3, 2, true)]));
    // `check` reads the Arr's profiles: the names must be its own, exactly.
    let path = setup.config_path.to_str().unwrap_or_default();
    let (code, out, err) = run_cli(&["check", "--config", path]);
    assert_eq!(code, 0, "{out}{err}");
    let wrong = setup.dir.path().join("wrong-name.toml");
    std::fs::write(&wrong, setup.config.replace("\"SD\"}", "\"sd\"}")).unwrap();
    let (code, out, err) = run_cli(&["check", "--config", wrong.to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("Radarr-Test.EntrySearch.QualityProfileMappings")
            && err.contains("no quality profile named \"sd\"")
            && err.contains("the Radarr has \"HD\", \"SD\", \"Any\""),
        "{err}"
    );
    assert!(
        radarr.requests().iter().all(|r| r.method == "GET"),
        "check changes nothing"
    );
    // The first switch fails (a busy Arr): it is tried again.
    radarr.fail_next("PUT", "/movie/editor", 1);
    let mut s = setup.start_daemon();
    wait_for_profile(&s, "Radarr-Test", 1, 2);
    assert_eq!(
        profile_puts(&s, "Radarr-Test"),
        [json!({"movieIds": [1], "qualityProfileId": 2})]
    );
    let failed = s
        .arr("Radarr-Test")
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.status == 500)
        .count();
    assert_eq!(failed, 1);
    assert_eq!(
        s.arr("Radarr-Test").profiles_now(),
        [(1, 2), (2, 1), (3, 3)],
        "only the missing movie on a mapped profile"
    );
    // Both are searched as usual.
    wait_for_searches(&s, "Radarr-Test", 2);
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        search_status(&s)["temp_profiles"]["on_temp"] == 1
    });
    assert!(ok, "{}", search_status(&s));
    let (_, metrics) = s.daemon.get("/metrics", true);
    assert!(
        metrics.contains("qbitrr_lite_search_temp_profiles{arr=\"Radarr-Test\"} 1"),
        "{metrics}"
    );

    // Killed; the movie is imported meanwhile; started again: it goes back to its main profile.
    s.daemon.kill();
    s.arr("Radarr-Test").set_missing(1, false);
    s.restart_daemon();
    wait_for_profile(&s, "Radarr-Test", 1, 1);
    assert_eq!(
        profile_puts(&s, "Radarr-Test")[1..],
        [json!({"movieIds": [1], "qualityProfileId": 1})]
    );
    let (_, actions) = s.daemon.get("/api/actions", true);
    assert!(actions.contains("SD -> HD (it has its files)"), "{actions}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(profile_puts(&s, "Radarr-Test").len(), 2, "{}", s.daemon.log());
}

#[test]
fn sonarr_series_follow_their_statistics_and_force_reset_sends_back_what_was_switched_before() {
    let Some(setup) = Scenario::radarr()
        .sonarr()
        .settings("SearchLoopDelay = 0")
        .search_lines(
            "SearchesPerHour = -1\nUseTempForMissing = true\nForceResetTempProfiles = true\n\
             QualityProfileMappings = {\"HD\" = \"SD\"}",
        )
        .setup()
    else {
        return;
    };
    let sonarr = setup.arr("Sonarr-Test");
    sonarr.set_quality_profiles(&[(2, "SD")]);
    sonarr.set_profiled(vec![
        // Switched before (by qBitrr), all its episodes in: back to HD.
        profiled_record(FakeKind::Sonarr, 1, 2, false),
        // Episodes missing: to SD.
        profiled_record(FakeKind::Sonarr, 2, 1, true),
        // Complete, on HD: left alone.
        profiled_record(FakeKind::Sonarr, 3, 1, false),
    ]);
    sonarr.set_wanted_missing(Some(vec![]));
    let s = setup.start_daemon();
    wait_for_profile(&s, "Sonarr-Test", 1, 1);
    wait_for_profile(&s, "Sonarr-Test", 2, 2);
    let mut puts = profile_puts(&s, "Sonarr-Test");
    puts.sort_by_key(|p| p["qualityProfileId"].as_i64());
    assert_eq!(
        puts,
        [
            json!({"seriesIds": [1], "qualityProfileId": 1}),
            json!({"seriesIds": [2], "qualityProfileId": 2}),
        ]
    );
    assert_eq!(s.arr("Sonarr-Test").profiles_now()[2], (3, 1));
}

#[test]
fn a_dry_run_says_which_profiles_it_would_switch_and_sends_no_change() {
    let Some(setup) = Scenario::radarr()
        .dry_run()
        .search_lines("UseTempForMissing = true\nQualityProfileMappings = {\"HD\" = \"SD\"}")
        .setup()
    else {
        return;
    };
    let radarr = setup.arr("Radarr-Test");
    radarr.set_quality_profiles(&[(2, "SD")]);
    radarr.set_profiled(vec![profiled_record(FakeKind::Radarr, 1, 1, true)]);
    radarr.set_wanted_missing(Some(vec![]));
    let s = setup.start_daemon();
    let ok = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        s.daemon
            .log()
            .contains("would switch \"Movie 1\" from quality profile \"HD\" to \"SD\"")
    });
    assert!(ok, "{}", s.daemon.log());
    assert!(profile_puts(&s, "Radarr-Test").is_empty());
    assert_eq!(s.arr("Radarr-Test").profiles_now(), [(1, 1)]);
}

#[test]
fn lidarr_albums_below_the_custom_format_minimum_then_upgrades_are_searched_from_the_library() {
    let Some(setup) = Scenario::radarr()
        .lidarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = -1\nDoUpgradeSearch = true\nCustomFormatUnmetSearch = true")
        .setup()
    else {
        return;
    };
    let lidarr = setup.arr("Lidarr-Test");
    lidarr.set_wanted_missing(Some(vec![]));
    // Artist 1 on profile 1 (minimum 50); album 10 has a track scoring 10, album 11 only good
    // tracks, album 12 no files; artist 2 is unmonitored.
    lidarr.set_profiled(vec![profiled_record(FakeKind::Lidarr, 1, 1, false), {
        let mut a = profiled_record(FakeKind::Lidarr, 2, 1, false);
        a["monitored"] = json!(false);
        a
    }]);
    lidarr.set_library(
        vec![
            album_record(10, 1, "2024-03-01T00:00:00Z", &[80, 10]),
            album_record(11, 1, "2024-05-01T00:00:00Z", &[90, 95]),
            album_record(12, 1, "2024-06-01T00:00:00Z", &[]),
            album_record(20, 2, "2024-07-01T00:00:00Z", &[5]),
        ],
        50,
    );
    let s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Lidarr-Test", 2);
    assert_eq!(
        searches,
        [
            json!({"name": "AlbumSearch", "albumIds": [10]}),
            json!({"name": "AlbumSearch", "albumIds": [11]}),
        ]
    );
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        let (_, body) = s.daemon.get("/api/status", true);
        let status: Value = serde_json::from_str(&body).unwrap_or_default();
        status["arrs"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["name"] == "Lidarr-Test"))
            .is_some_and(|a| a["search"]["sent"]["upgrade"] == 1 && a["search"]["sent"]["custom-format"] == 1)
    });
    assert!(ok, "{}", s.daemon.log());
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        s.arr("Lidarr-Test").searches().len(),
        2,
        "no album without files, nor an unmonitored artist's"
    );
}

#[test]
fn readarr_books_with_files_are_searched_for_upgrades() {
    let Some(setup) = Scenario::radarr()
        .readarr()
        .settings("SearchLoopDelay = 0")
        .search_lines("SearchesPerHour = -1\nDoUpgradeSearch = true")
        .setup()
    else {
        return;
    };
    let readarr = setup.arr("Readarr-Test");
    readarr.set_wanted_missing(Some(vec![]));
    readarr.set_profiled(vec![profiled_record(FakeKind::Readarr, 1, 1, false)]);
    readarr.set_library(
        vec![
            book_record(30, 1, "2023-01-01T00:00:00Z", 1),
            book_record(31, 1, "2024-01-01T00:00:00Z", 1),
            book_record(32, 1, "2025-01-01T00:00:00Z", 0),
        ],
        0,
    );
    let s = setup.start_daemon();
    let searches = wait_for_searches(&s, "Readarr-Test", 2);
    assert_eq!(
        searches,
        [
            json!({"name": "BookSearch", "bookIds": [31]}),
            json!({"name": "BookSearch", "bookIds": [30]}),
        ],
        "newest first; the book without a file is not an upgrade"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(s.arr("Readarr-Test").searches().len(), 2);
}
