//! End-to-end scenarios through the real binary, against real qbittorrent-nox
//! instances and fake Arr servers that record every request.
//!
//! Without qbittorrent-nox these tests skip loudly locally and fail in CI.

use std::time::Duration;

use crate::support::daemon::{run_cli, TOKEN};
use crate::support::fake_arr::{is_command, profiled_record, queue_record, FakeArr, FakeKind, Recorded};
use crate::support::qbittorrent::{
    add, add_complete, complete_from, make_torrent, seed, AddOptions, QbitApi, TorrentFixture,
};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir, TestRng};
use serde_json::{json, Value};

const MB: u64 = 1 << 20;

fn tags_of(t: &Value) -> Vec<String> {
    t["tags"]
        .as_str()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn completed_download_is_imported_exactly_once_also_after_restart() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = 15")
        .seeder()
        .setup()
    else {
        return;
    };
    let fx = make_torrent(&setup.dir.subdir("seed"), "Movie.One.2024.1080p.mkv", 20 * MB);
    seed(&setup.seeder().api(), &fx, Duration::from_secs(30));
    setup.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        101,
        &fx.hash,
        "Movie.One",
        7,
    )]);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    // The daemon watches the download from its start.
    let mut s = setup.start_daemon();
    let complete = complete_from(&api, &fx, &s.seeder().peer_addr(), Duration::from_secs(60));
    assert!(
        complete,
        "the leecher never completed: {:?}",
        api.torrent(&fx.hash)
    );

    let done = api.torrent(&fx.hash).expect("the leecher has it");
    let cmd = s
        .radarr()
        .wait_for_command("DownloadedMoviesScan", Duration::from_secs(60));
    assert_eq!(cmd["path"], done["content_path"], "imports the content path");
    assert_eq!(cmd["downloadClientId"], json!(fx.download_id()));
    assert_eq!(cmd["importMode"], "Auto");
    api.wait_for(&fx.hash, Duration::from_secs(10), |t| {
        tags_of(t).contains(&"qBitrr-imported".into())
    });

    // More passes send nothing more.
    std::thread::sleep(Duration::from_secs(3));
    let imports = |arr: &FakeArr| {
        arr.requests()
            .iter()
            .filter(|r| is_command(r, "DownloadedMoviesScan"))
            .count()
    };
    assert_eq!(imports(s.radarr()), 1, "exactly one import");

    let (status, took) = s.daemon.terminate();
    assert!(status.success(), "exit status {status:?}:\n{}", s.daemon.log());
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");

    // The store, not only the tag, remembers the import: drop the tag and restart.
    api.post(
        "torrents/removeTags",
        &[("hashes", &fx.hash), ("tags", "qBitrr-imported")],
    );
    s.restart_daemon();
    s.daemon
        .wait_for_log("watching category", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        imports(s.radarr()),
        1,
        "no second import after a restart:\n{}",
        s.daemon.log()
    );
    assert!(s.daemon.terminate().0.success());
    // Every Arr call carried the key in the header, never in the URL.
    for r in s.radarr().requests() {
        assert!(
            r.has_api_key_header() && r.query_value("apikey").is_none(),
            "{}",
            r.summary()
        );
    }
}

#[test]
fn stalled_download_is_removed_blocklisted_and_searched() {
    let Some(setup) = Scenario::radarr().radarr_torrent("StalledDelay = \"3s\"").setup() else {
        return;
    };
    // Its data exists nowhere qBittorrent can reach: no peers, stalledDL.
    let fx = make_torrent(&setup.dir.subdir("nowhere"), "Dead.Movie.2023.mkv", MB);
    setup.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        201,
        &fx.hash,
        "Dead.Movie",
        9,
    )]);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(40));
    assert_eq!(search["movieIds"], json!([9]));
    assert!(
        api.torrent(&fx.hash).is_none(),
        "the torrent is gone from qBittorrent"
    );

    let reqs = arr.requests();
    let delete = reqs
        .iter()
        .position(|r| r.method == "DELETE" && r.path.ends_with("/queue/201"))
        .unwrap_or_else(|| panic!("no queue delete:\n{}", daemon.log()));
    let searched = reqs.iter().position(|r| is_command(r, "MoviesSearch")).unwrap();
    assert!(delete < searched, "blocklist before the search");
    let d = &reqs[delete];
    assert_eq!(d.query_value("blocklist"), Some("true"));
    assert_eq!(d.query_value("removeFromClient"), Some("false"));
    assert_eq!(d.query_value("skipRedownload"), Some("true"));
    daemon.wait_for_log("stalled-delete", Duration::from_secs(1));

    std::thread::sleep(Duration::from_secs(2));
    let reqs = arr.requests();
    assert_eq!(
        reqs.iter().filter(|r| is_command(r, "MoviesSearch")).count(),
        1,
        "one search"
    );
    assert_eq!(
        reqs.iter().filter(|r| r.method == "DELETE").count(),
        1,
        "one blocklist"
    );
}

/// Binds `api`'s qBittorrent to a network interface that does not exist (`None`: back to
/// loopback), and waits until it reports the connection status that follows.
fn bind_interface(api: &QbitApi, interface: Option<&str>) -> String {
    let prefs = match interface {
        Some(name) => json!({"current_network_interface": name}),
        None => json!({"current_network_interface": "lo", "current_interface_address": "127.0.0.1"}),
    };
    api.post("app/setPreferences", &[("json", &prefs.to_string())]);
    let want_down = interface.is_some();
    let mut last = String::new();
    let settled = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        let info: Value = serde_json::from_str(&api.get("transfer/info", &[])).unwrap_or_default();
        last = info["connection_status"].as_str().unwrap_or_default().to_string();
        (last == "disconnected") == want_down
    });
    assert!(settled, "connection_status stayed {last:?}");
    last
}

#[test]
fn nothing_is_removed_as_stalled_while_qbittorrent_has_no_connection() {
    let Some(setup) = Scenario::radarr().radarr_torrent("StalledDelay = \"3s\"").setup() else {
        return;
    };
    let fx = make_torrent(&setup.dir.subdir("nowhere"), "Offline.Movie.2020.mkv", MB);
    setup
        .radarr()
        .set_queue(vec![queue_record(FakeKind::Radarr, 601, &fx.hash, "Offline", 31)]);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);
    // The interface qBittorrent is bound to goes away (a VPN down): it listens nowhere.
    bind_interface(&api, Some("qbt-gone0"));

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    daemon.wait_for_log("reports no connection", Duration::from_secs(20));
    let (code, body) = daemon.get("/health", false);
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("connection_status disconnected"), "{body}");
    // Many times StalledDelay, and the torrent stays.
    std::thread::sleep(Duration::from_secs(10));
    assert!(
        api.torrent(&fx.hash).is_some(),
        "removed while offline:\n{}",
        daemon.log()
    );
    assert!(
        s.radarr().mutating_requests().is_empty(),
        "nothing sent to the Arr"
    );
    daemon.wait_for_log("offline", Duration::from_secs(1));

    // Back: removed, blocklisted and searched once stalled for StalledDelay since then.
    let status = bind_interface(&api, None);
    eprintln!("connection_status after the outage: {status}");
    let search = s
        .radarr()
        .wait_for_command("MoviesSearch", Duration::from_secs(40));
    assert_eq!(search["movieIds"], json!([31]));
    assert!(api.torrent(&fx.hash).is_none(), "removed once connected again");
    daemon.wait_for_log("is connected again", Duration::from_secs(1));
}

#[test]
fn with_two_qbittorrents_each_torrent_is_acted_on_where_it_is_and_one_down_stops_nothing() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"3s\"")
        .sonarr()
        .second_qbit()
        .setup()
    else {
        return;
    };
    // Sonarr's section keeps qBitrr's StalledDelay (15 min): its torrent is kept, on the
    // second qBittorrent only.
    let (one, two) = (setup.api(), setup.second_qbit().api());
    let fixtures = setup.dir.subdir("fixtures");
    let dead = |name: &str| make_torrent(&fixtures.join(name), &format!("{name}.mkv"), MB);
    let (on_one, on_two, sonarr_kept) = (
        dead("Radarr.On.One"),
        dead("Radarr.On.Two"),
        dead("Sonarr.On.Two"),
    );
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 701, &on_one.hash, "One", 41),
        queue_record(FakeKind::Radarr, 702, &on_two.hash, "Two", 42),
    ]);
    setup.sonarr().set_queue(vec![queue_record(
        FakeKind::Sonarr,
        801,
        &sonarr_kept.hash,
        "Kept",
        51,
    )]);
    add(&one, &on_one, "radarr", &setup.dir.subdir("leech-1"), None);
    add(&two, &on_two, "radarr", &setup.dir.subdir("leech-2"), None);
    add(&two, &sonarr_kept, "sonarr", &setup.dir.subdir("leech-2"), None);
    for (api, fx) in [(&one, &on_one), (&two, &on_two), (&two, &sonarr_kept)] {
        api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);
    }

    let mut s = setup.start_daemon();
    // Radarr's torrents are found on both, and each is removed from the one that holds it.
    let gone = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        one.torrent(&on_one.hash).is_none() && two.torrent(&on_two.hash).is_none()
    });
    assert!(gone, "not removed from both:\n{}", s.daemon.log());
    let searched = |arr: &FakeArr| {
        let mut ids: Vec<u64> = arr
            .commands_named("MoviesSearch")
            .iter()
            .flat_map(|c| c["movieIds"].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_u64())
            .collect();
        ids.sort_unstable();
        ids
    };
    assert!(
        wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            searched(s.radarr()) == [41, 42]
        }),
        "one search each: {:?}",
        searched(s.radarr())
    );
    assert!(
        two.torrent(&sonarr_kept.hash).is_some(),
        "Sonarr's torrent is kept"
    );
    assert!(s.sonarr().mutating_requests().is_empty());

    // The second qBittorrent goes down: the first is still served.
    s.second_qbit_mut().stop_process();
    let later = dead("Radarr.Later");
    s.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        703,
        &later.hash,
        "Later",
        43,
    )]);
    add(&one, &later, "radarr", &s.dir.subdir("leech-1"), None);
    let removed = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        one.torrent(&later.hash).is_none() && searched(s.radarr()) == [41, 42, 43]
    });
    assert!(
        removed,
        "the first qBittorrent stalled behind the second:\n{}",
        s.daemon.log()
    );
    s.daemon.wait_for_log("qBit-Two", Duration::from_secs(1));
}

#[test]
fn a_removal_whose_blocklist_and_search_fail_is_finished_later_and_after_a_crash() {
    let Some(setup) = Scenario::radarr().radarr_torrent("StalledDelay = \"1s\"").setup() else {
        return;
    };
    let fx = make_torrent(&setup.dir.subdir("nowhere"), "Unlucky.Movie.2022.mkv", MB);
    let arr = setup.radarr();
    arr.set_queue(vec![queue_record(FakeKind::Radarr, 401, &fx.hash, "Unlucky", 4)]);
    // A busy Arr: every queue DELETE fails until further notice.
    arr.fail_next("DELETE", "/queue/", usize::MAX);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);

    let mut s = setup.start_daemon();
    let deletes = |arr: &FakeArr, status: u16| {
        arr.requests()
            .iter()
            .filter(|r| r.method == "DELETE" && r.status == status)
            .count()
    };
    let tried = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        api.torrent(&fx.hash).is_none() && deletes(s.radarr(), 500) >= 2
    });
    assert!(tried, "removed, blocklist tried and retried:\n{}", s.daemon.log());
    // A crash while the blocklist is owed; the Arr recovers meanwhile.
    s.daemon.kill();
    // The Arr recovers, but for the first search.
    s.radarr().stop_failing();
    s.radarr().fail_next("POST", "/command", 1);
    s.restart_daemon();

    let searched = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        s.radarr()
            .requests()
            .iter()
            .any(|r| is_command(r, "MoviesSearch") && r.status == 201)
    });
    assert!(searched, "no search:\n{}", s.daemon.log());
    let search = s
        .radarr()
        .wait_for_command("MoviesSearch", Duration::from_secs(1));
    assert_eq!(search["movieIds"], json!([4]));
    std::thread::sleep(Duration::from_secs(3));
    let arr = s.radarr();
    assert_eq!(deletes(arr, 200), 1, "blocklisted exactly once");
    let blocklisted = arr
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE" && r.status == 200)
        .expect("the blocklist");
    assert_eq!(blocklisted.query_value("blocklist"), Some("true"));
    let searches: Vec<u16> = arr
        .requests()
        .iter()
        .filter(|r| is_command(r, "MoviesSearch"))
        .map(|r| r.status)
        .collect();
    assert_eq!(searches, [500, 201], "the failed search sent again, once");
    s.daemon.wait_for_log(
        "unfinished removal(s) from before the restart",
        Duration::from_secs(1),
    );

    // The audit log has every step, from both runs, with the rule and its numbers.
    let (status, body) = s.daemon.get(&format!("/api/actions?hash={}", fx.hash), true);
    assert_eq!(status, 200, "{body}");
    let actions: Value = serde_json::from_str(&body).unwrap();
    let steps: Vec<(String, String)> = actions["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["rule"], "stalled-delete", "{a}");
            assert!(a["detail"].as_str().unwrap().contains("StalledDelay"), "{a}");
            let outcome = if a["outcome"] == "ok" { "ok" } else { "failed" };
            (a["step"].as_str().unwrap().to_string(), outcome.to_string())
        })
        .collect();
    let step = |s: &str, o: &str| (s.to_string(), o.to_string());
    assert_eq!(steps.first(), Some(&step("delete with files", "ok")), "{steps:?}");
    assert!(steps.contains(&step("blocklist", "failed")), "{steps:?}");
    assert_eq!(
        steps[steps.len() - 3..],
        [
            step("blocklist", "ok"),
            step("search", "failed"),
            step("search", "ok")
        ],
        "{steps:?}"
    );
    // The same through the command line.
    let url = s.daemon.url();
    let (code, out, err) = run_cli(&[
        "actions",
        "--url",
        &url,
        "--token",
        TOKEN,
        "--hash",
        &fx.hash[..8],
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("stalled-delete") && out.contains("blocklist"),
        "{out}"
    );
}

#[test]
fn no_removal_while_the_arr_queue_answer_is_not_a_queue() {
    // No pass completes while the queue is unreadable: do not wait for one.
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"1s\"")
        .first_pass_of(&[])
        .setup()
    else {
        return;
    };
    let fx = make_torrent(&setup.dir.subdir("nowhere"), "Dead.Movie.2024.mkv", MB);
    let arr = setup.radarr();
    arr.set_queue(vec![queue_record(
        FakeKind::Radarr,
        301,
        &fx.hash,
        "Dead.Movie",
        7,
    )]);
    // `{}`: an Arr behind a proxy or an API change; it must not read as an empty queue.
    arr.set_queue_answer(Some(json!({})));
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    daemon.wait_for_log("unexpected answer", Duration::from_secs(20));
    // Past the stall delay, over several attempts: nothing removed, nothing sent to the Arr.
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        api.torrent(&fx.hash).is_some(),
        "removed without a queue:\n{}",
        daemon.log()
    );
    let mutating: Vec<String> = arr.mutating_requests().iter().map(Recorded::summary).collect();
    assert!(mutating.is_empty(), "the Arr got: {mutating:?}");

    // The same daemon with a readable queue removes, blocklists and searches.
    arr.set_queue_answer(None);
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(40));
    assert_eq!(search["movieIds"], json!([7]));
    assert!(api.torrent(&fx.hash).is_none());
    assert_eq!(arr.queue_deletes().len(), 1, "blocklisted once");
}

/// The Arr down (503), refusing the key (401, a key regenerated in the Arr), then answering an
/// HTML page, each asked at least once past the stall delay: nothing is removed, the daemon
/// keeps answering, and nothing is sent to the Arr but reads; once it answers again with the key it had, the
/// stalled download is removed, blocklisted and searched, once.
#[test]
fn nothing_is_removed_while_the_arr_is_down_refuses_the_key_or_answers_garbage() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"1s\"")
        .first_pass_of(&[])
        .setup()
    else {
        return;
    };
    let fx = make_torrent(&setup.dir.subdir("nowhere"), "Dead.Movie.2025.mkv", MB);
    let arr = setup.radarr();
    arr.set_queue(vec![queue_record(
        FakeKind::Radarr,
        401,
        &fx.hash,
        "Dead.Movie",
        17,
    )]);
    arr.set_down(true);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    // Each fault, and what /health names at once (an outage only after three passes).
    type Switch<'a> = &'a dyn Fn(bool);
    let faults: [(&str, Switch, Option<&str>); 3] = [
        ("down (503)", &|on| arr.set_down(on), None),
        (
            "refusing the key (401)",
            &|on| arr.set_key(on.then_some("a-key-regenerated-in-the-arr")),
            Some("Radarr refused the API key (check [Radarr-Test] APIKey)"),
        ),
        ("answering an HTML page", &|on| arr.set_garbage(on), None),
    ];
    for (what, fault, health_says) in faults {
        fault(true);
        // Asked again while the fault lasts (the worker backs off: 2, 4, 8 s).
        let before = arr.requests().len();
        let asked = wait_until(Duration::from_secs(30), Duration::from_millis(100), || {
            arr.requests().len() > before
        });
        assert!(asked, "the Arr {what} was not asked again:\n{}", daemon.log());
        let (health, _) = daemon.get("/health", false);
        assert!(
            matches!(health, 200 | 503),
            "the Arr {what}: /health answered {health}"
        );
        if let Some(says) = health_says {
            let named = wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
                let (code, body) = daemon.get("/health", false);
                code == 503 && body.contains(says)
            });
            assert!(
                named,
                "the Arr {what}: /health says {:?}",
                daemon.get("/health", false)
            );
        }
        assert!(
            api.torrent(&fx.hash).is_some(),
            "removed while the Arr was {what}:\n{}",
            daemon.log()
        );
        let mutating: Vec<String> = arr.mutating_requests().iter().map(Recorded::summary).collect();
        assert!(mutating.is_empty(), "the Arr {what} got: {mutating:?}");
        fault(false);
    }

    // It answers again: removed, blocklisted and searched, once.
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(40));
    assert_eq!(search["movieIds"], json!([17]));
    assert!(api.torrent(&fx.hash).is_none());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(arr.queue_deletes().len(), 1, "blocklisted once");
    assert_eq!(arr.commands_named("MoviesSearch").len(), 1, "searched once");
}

#[test]
fn unmanaged_and_ignored_torrents_are_never_touched() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"1s\"")
        .recording_proxy()
        .setup()
    else {
        return;
    };
    let api = setup.api();
    api.create_category("other", "");
    let dir = &setup.dir;
    let leech = dir.subdir("leech");
    let other = make_torrent(&dir.subdir("a"), "Other.Category.mkv", MB);
    let ignored = make_torrent(&dir.subdir("b"), "Ignored.Tag.mkv", MB);
    let other_done = make_torrent(&dir.subdir("c"), "Other.Done.mkv", MB);
    let control = make_torrent(&dir.subdir("d"), "Control.Stalled.mkv", MB);
    add(&api, &other, "other", &leech, None);
    add(&api, &ignored, "radarr", &leech, Some("qBitrr-ignored"));
    add_complete(&api, &other_done, "other");
    add(&api, &control, "radarr", &leech, None);
    for fx in [&other, &ignored, &control] {
        api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);
    }

    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 1, &other.hash, "Other", 1),
        queue_record(FakeKind::Radarr, 2, &ignored.hash, "Ignored", 2),
        queue_record(FakeKind::Radarr, 3, &other_done.hash, "OtherDone", 3),
        queue_record(FakeKind::Radarr, 4, &control.hash, "Control", 4),
    ]);
    let s = setup.start_daemon();
    let (arr, proxy, daemon) = (s.radarr(), s.proxy(), &s.daemon);
    // The control torrent proves the daemon was acting all along.
    arr.wait_for_command("MoviesSearch", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(3));

    for fx in [&other, &ignored, &other_done] {
        let t = api
            .torrent(&fx.hash)
            .unwrap_or_else(|| panic!("{} was removed:\n{}", fx.name, daemon.log()));
        assert!(
            !tags_of(&t)
                .iter()
                .any(|t| t.starts_with("qBitrr-") && t != "qBitrr-ignored"),
            "{t}"
        );
        for r in proxy.mutating() {
            assert!(
                !r.body.contains(&fx.hash),
                "{} touched: {} {}",
                fx.name,
                r.path,
                r.body
            );
        }
    }
    for r in arr.mutating_requests() {
        assert!(
            r.path.ends_with("/queue/4") || is_command(&r, "MoviesSearch"),
            "unexpected: {}",
            r.summary()
        );
    }
    assert!(
        api.torrent(&control.hash).is_none(),
        "the control torrent was removed"
    );

    // explain says why, rule by rule: by API and from the command line.
    let (status, body) = daemon.get(&format!("/api/explain/{}", ignored.hash), true);
    assert_eq!(status, 200, "{body}");
    let found: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(found["state"], "stalledDL");
    let text = found["explanations"][0]["text"].as_str().unwrap();
    assert!(text.contains("✓ ignored-tag"), "{text}");
    let url = daemon.url();
    let (code, out, err) = run_cli(&["explain", "--url", &url, "--token", TOKEN, &other.hash]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Other.Category.mkv") && out.contains("left alone"),
        "{out}"
    );
    assert_eq!(
        daemon.get(&format!("/api/explain/{}", "0".repeat(40)), true).0,
        404
    );
    assert_eq!(daemon.get("/api/explain/xyz", true).0, 400);
    assert_eq!(
        daemon.get(&format!("/api/explain/{}", ignored.hash), false).0,
        401
    );
}

#[test]
fn seeded_enough_torrent_is_removed_after_its_import() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = 15")
        .radarr_seeding("RemoveTorrent = 2\nMaxSeedingTime = \"2s\"")
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let fx = make_torrent(&setup.dir.subdir("data"), "Seeded.Movie.mkv", MB);
    add_complete(&api, &fx, "radarr");
    setup
        .radarr()
        .set_queue(vec![queue_record(FakeKind::Radarr, 301, &fx.hash, "Seeded", 11)]);

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    arr.wait_for_command("DownloadedMoviesScan", Duration::from_secs(40));
    let gone = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        api.torrent(&fx.hash).is_none()
    });
    assert!(gone, "not removed after seeding:\n{}", daemon.log());
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || !fx
            .data_path
            .exists()),
        "its files are deleted with it"
    );
    daemon.wait_for_log("seeding-limit", Duration::from_secs(1));
    let mutating: Vec<String> = arr.mutating_requests().iter().map(Recorded::summary).collect();
    assert_eq!(
        mutating.len(),
        1,
        "only the import reached the Arr (no blocklist, no search): {mutating:?}"
    );
}

/// What Radarr reports for a download it will not import: importPending, with a warning.
fn import_held_back(id: u64, hash: &str, title: &str, movie: u64, message: &str) -> Value {
    let mut r = queue_record(FakeKind::Radarr, id, hash, title, movie);
    r["status"] = json!("completed");
    r["trackedDownloadState"] = json!("importPending");
    r["trackedDownloadStatus"] = json!("warning");
    r["statusMessages"] = json!([{"title": format!("{title}.mkv"), "messages": [message]}]);
    r
}

/// A queue record whose release scores `score` in custom formats.
fn scored(id: u64, hash: &str, title: &str, movie: u64, score: i64) -> Value {
    let mut r = queue_record(FakeKind::Radarr, id, hash, title, movie);
    r["customFormatScore"] = json!(score);
    r
}

#[test]
fn force_minimum_custom_format_fails_only_downloads_below_their_profiles_minimum() {
    let Some(setup) = Scenario::radarr()
        .search_lines("CustomFormatUnmetSearch = true\nForceMinimumCustomFormat = true")
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let below = make_torrent(&setup.dir.subdir("a"), "Low.Score.2021.mkv", MB);
    let above = make_torrent(&setup.dir.subdir("b"), "High.Score.2021.mkv", MB);
    let lenient = make_torrent(&setup.dir.subdir("c"), "Lenient.Profile.2021.mkv", MB);
    for t in [&below, &above, &lenient] {
        add_complete(&api, t, "radarr");
    }
    let radarr = setup.radarr();
    // Profile 1 "HD" asks for a score of 50; profile 2 "Any" for nothing.
    radarr.set_library(Vec::new(), 50);
    radarr.set_quality_profiles(&[(2, "Any")]);
    radarr.set_profiled(vec![
        profiled_record(FakeKind::Radarr, 21, 1, true),
        profiled_record(FakeKind::Radarr, 22, 1, true),
        profiled_record(FakeKind::Radarr, 23, 2, true),
    ]);
    radarr.set_queue(vec![
        scored(501, &below.hash, "Low.Score", 21, 10),
        scored(502, &above.hash, "High.Score", 22, 60),
        scored(503, &lenient.hash, "Lenient.Profile", 23, 10),
    ]);

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(40));
    assert_eq!(search["movieIds"], json!([21]), "{}", daemon.log());
    // `explain` compares as the worker does (asked before the others' imports, 10 s after
    // they completed, take them out of the queue).
    let (status, body) = daemon.get(&format!("/api/explain/{}", lenient.hash), true);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("custom-format score 10 is not below the minimum 0"),
        "{body}"
    );
    assert!(api.torrent(&below.hash).is_none(), "removed from qBittorrent");
    let reqs = arr.requests();
    let delete = reqs
        .iter()
        .find(|r| r.method == "DELETE" && r.path.ends_with("/queue/501"))
        .unwrap_or_else(|| panic!("no queue delete:\n{}", daemon.log()));
    assert_eq!(delete.query_value("blocklist"), Some("true"));
    daemon.wait_for_log("custom-format-min", Duration::from_secs(1));

    // The others are imported as usual and kept: one scores its profile's minimum, the other's
    // profile asks for nothing.
    let imports_of = |hash: &str| {
        arr.commands_named("DownloadedMoviesScan")
            .iter()
            .filter(|c| c["downloadClientId"] == json!(hash.to_ascii_uppercase()))
            .count()
    };
    let ok = wait_until(Duration::from_secs(20), Duration::from_millis(100), || {
        imports_of(&above.hash) == 1 && imports_of(&lenient.hash) == 1
    });
    assert!(ok, "{}", daemon.log());
    assert_eq!(imports_of(&below.hash), 0);
    for t in [&above, &lenient] {
        assert!(api.torrent(&t.hash).is_some(), "kept in qBittorrent");
    }
    let reqs = arr.requests();
    assert!(!reqs
        .iter()
        .any(|r| r.method == "DELETE" && (r.path.ends_with("/queue/502") || r.path.ends_with("/queue/503"))));
    // Only the movies whose score is below the highest minimum were looked up.
    let looked_up: Vec<&str> = reqs
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/movie/"))
        .map(|r| r.path.as_str())
        .collect();
    assert!(
        looked_up
            .iter()
            .all(|p| p.ends_with("/movie/21") || p.ends_with("/movie/23")),
        "{looked_up:?}"
    );
    let (_, actions) = daemon.get("/api/actions", true);
    assert!(actions.contains("below its profile's minimum 50"), "{actions}");
}

#[test]
fn a_download_the_arr_refuses_for_a_listed_reason_is_removed_blocklisted_and_searched() {
    let Some(setup) = Scenario::radarr().setup() else {
        return;
    };
    let api = setup.api();
    let refused = make_torrent(&setup.dir.subdir("a"), "No.Upgrade.2021.mkv", MB);
    let other = make_torrent(&setup.dir.subdir("b"), "Other.Reason.2021.mkv", MB);
    add_complete(&api, &refused, "radarr");
    add_complete(&api, &other, "radarr");
    // qBitrr's default list for Radarr holds the first message, not the second.
    setup.radarr().set_queue(vec![
        import_held_back(
            501,
            &refused.hash,
            "No.Upgrade",
            21,
            "Not an upgrade for existing movie file(s). Existing quality: Bluray-1080p. New Quality Bluray-1080p.",
        ),
        import_held_back(502, &other.hash, "Other.Reason", 22, "Movie title mismatch"),
    ]);

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(40));
    assert_eq!(search["movieIds"], json!([21]), "{}", daemon.log());
    assert!(api.torrent(&refused.hash).is_none(), "removed from qBittorrent");
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || !refused
            .data_path
            .exists()),
        "its files are deleted with it"
    );
    let reqs = arr.requests();
    let delete = reqs
        .iter()
        .position(|r| r.method == "DELETE" && r.path.ends_with("/queue/501"))
        .unwrap_or_else(|| panic!("no queue delete:\n{}", daemon.log()));
    let searched = reqs.iter().position(|r| is_command(r, "MoviesSearch")).unwrap();
    assert!(delete < searched, "blocklist before the search");
    assert_eq!(reqs[delete].query_value("blocklist"), Some("true"));
    daemon.wait_for_log("arr-error", Duration::from_secs(1));
    // No import is sent for it: the Arr has said why it will not take it.
    let imports_of = |hash: &str| {
        arr.commands_named("DownloadedMoviesScan")
            .iter()
            .filter(|c| c["downloadClientId"] == json!(hash.to_ascii_uppercase()))
            .count()
    };
    assert_eq!(imports_of(&refused.hash), 0);

    // The other reason is not listed: that download is imported as usual and kept.
    arr.wait_for_command("DownloadedMoviesScan", Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(imports_of(&other.hash), 1);
    assert!(api.torrent(&other.hash).is_some(), "kept in qBittorrent");
    assert!(other.data_path.exists(), "its files are kept");
    let reqs = arr.requests();
    assert!(
        !reqs
            .iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with("/queue/502")),
        "never blocklisted"
    );
    assert_eq!(
        reqs.iter().filter(|r| is_command(r, "MoviesSearch")).count(),
        1,
        "one search"
    );
}

#[test]
fn a_torrent_below_its_own_qbittorrent_share_limit_is_kept() {
    let Some(setup) = Scenario::radarr()
        .radarr_seeding("RemoveTorrent = 2\nMaxSeedingTime = \"2s\"")
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let owed = make_torrent(&setup.dir.subdir("a"), "Owed.Seeding.mkv", MB);
    let done = make_torrent(&setup.dir.subdir("b"), "Seeded.Enough.mkv", MB);
    add_complete(&api, &owed, "radarr");
    add_complete(&api, &done, "radarr");
    // What an Arr sets from the indexer's seed criteria: 10 hours, in minutes.
    let version: Vec<u32> = api
        .webapi_version()
        .trim()
        .split('.')
        .filter_map(|n| n.parse().ok())
        .collect();
    let mut form = vec![
        ("hashes", owed.hash.as_str()),
        ("ratioLimit", "-2"),
        ("seedingTimeLimit", "600"),
    ];
    // Required from WebAPI 2.9 (qBittorrent 4.6) on.
    if version >= vec![2, 9] {
        form.push(("inactiveSeedingTimeLimit", "-2"));
    }
    api.post("torrents/setShareLimits", &form);
    // qBittorrent publishes torrent changes on its own refresh tick.
    let limited = wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
        api.torrent(&owed.hash)
            .is_some_and(|t| t["max_seeding_time"] == 600)
    });
    assert!(limited, "qBittorrent did not take the share limit");

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let gone = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        api.torrent(&done.hash).is_none()
    });
    assert!(gone, "the other torrent was not removed:\n{}", daemon.log());
    // Several more passes: the owed torrent stays until qBittorrent's own limit.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        api.torrent(&owed.hash).is_some(),
        "removed before its seed time:\n{}",
        daemon.log()
    );
    daemon.wait_for_log("seeding-limit", Duration::from_secs(1));
    // explain says why it stays, with the numbers of both limits.
    let (status, body) = daemon.get(&format!("/api/explain/{}", owed.hash), true);
    assert_eq!(status, 200, "{body}");
    let text = serde_json::from_str::<Value>(&body).unwrap()["explanations"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("< qBittorrent's 36000s (MaxSeedingTime 2s)"),
        "{text}"
    );
}

#[test]
fn dry_run_sends_nothing_mutating() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"1s\"\nReSearchStalled = true")
        .recording_proxy()
        .dry_run()
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let dir = &setup.dir;
    let leech = dir.subdir("leech");
    let stalled = make_torrent(&dir.subdir("a"), "Would.Be.Removed.mkv", MB);
    let complete = make_torrent(&dir.subdir("b"), "Would.Be.Imported.mkv", MB);
    let paused = make_torrent(&dir.subdir("c"), "Would.Be.Resumed.mkv", MB);
    add(&api, &stalled, "radarr", &leech, None);
    add_complete(&api, &complete, "radarr");
    api.add_torrent_file(
        &paused.torrent_bytes,
        &AddOptions {
            category: Some("radarr".into()),
            save_path: Some(leech.display().to_string()),
            paused: true,
            ..AddOptions::default()
        },
    );
    api.wait_for_state(&stalled.hash, Duration::from_secs(20), &["stalledDL"]);
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 1, &stalled.hash, "Stalled", 1),
        queue_record(FakeKind::Radarr, 2, &complete.hash, "Complete", 2),
        queue_record(FakeKind::Radarr, 3, &paused.hash, "Paused", 3),
    ]);
    let s = setup.start_daemon();
    let (arr, proxy, daemon) = (s.radarr(), s.proxy(), &s.daemon);
    daemon.wait_for_log("[dry-run] stalled-delete", Duration::from_secs(30));
    daemon.wait_for_log("[dry-run] import", Duration::from_secs(30));
    daemon.wait_for_log("[dry-run] resume-paused", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));

    assert!(
        proxy.mutating().is_empty(),
        "qBittorrent got: {:?}",
        proxy.mutating()
    );
    assert!(
        proxy.requests().iter().any(|r| r.path == "/api/v2/torrents/info"),
        "the daemon did read qBittorrent"
    );
    let arr_mutating: Vec<String> = arr.mutating_requests().iter().map(Recorded::summary).collect();
    assert!(arr_mutating.is_empty(), "the Arr got: {arr_mutating:?}");
    for fx in [&stalled, &complete, &paused] {
        let t = api.torrent(&fx.hash).expect("still there");
        assert!(tags_of(&t).is_empty(), "no tags added: {t}");
    }
    // Each "would" is said once, not every pass.
    assert_eq!(
        daemon.log().matches("[dry-run] import").count(),
        1,
        "{}",
        daemon.log()
    );
}

#[test]
fn outages_are_logged_once_and_do_not_stall_other_instances() {
    let Some(setup) = Scenario::radarr()
        .sonarr()
        .first_pass_of(&["Radarr-Test"])
        .setup()
    else {
        return;
    };
    setup.sonarr().set_down(true);
    let mut s = setup.start_daemon();
    let api = s.api();

    // Sonarr is down: Radarr still imports.
    let first = make_torrent(&s.dir.subdir("one"), "First.Movie.mkv", MB);
    add_complete(&api, &first, "radarr");
    s.radarr()
        .wait_for_command("DownloadedMoviesScan", Duration::from_secs(40));
    s.daemon
        .wait_for_log("Sonarr-Test: Arr queue", Duration::from_secs(5));
    // Asked again and again (with backoff), and logged once.
    let retried = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        s.sonarr().requests().len() >= 3
    });
    assert!(retried, "Sonarr was not asked again:\n{}", s.daemon.log());
    let log = s.daemon.log();
    let sonarr_warnings = log
        .lines()
        .filter(|l| (l.contains(" WARN ") || l.contains(" ERROR ")) && l.contains("Sonarr-Test: Arr queue"))
        .count();
    assert_eq!(sonarr_warnings, 1, "the Arr's outage is logged once:\n{log}");

    // qBittorrent goes away: logged once per instance, the daemon keeps running.
    s.qbit.stop_process();
    std::thread::sleep(Duration::from_secs(6));
    assert!(s.daemon.is_running(), "the daemon survived the outage");
    let log = s.daemon.log();
    let warnings = log
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("qBit (http"))
        .count();
    assert_eq!(
        warnings, 1,
        "the outage is logged once when it starts, not once per instance:\n{log}"
    );

    // It comes back: work resumes.
    s.qbit.start_again();
    let api = s.api();
    let second = make_torrent(&s.dir.subdir("two"), "Second.Movie.mkv", MB);
    add_complete(&api, &second, "radarr");
    let ok = wait_until(Duration::from_secs(90), Duration::from_millis(200), || {
        s.radarr().requests().iter().any(|r| {
            is_command(r, "DownloadedMoviesScan")
                && r.json()
                    .is_some_and(|j| j["downloadClientId"] == json!(second.download_id()))
        })
    });
    assert!(ok, "no import after qBittorrent came back:\n{}", s.daemon.log());
    s.daemon.wait_for_log("answers again", Duration::from_secs(1));
    assert!(s.daemon.terminate().0.success());
}

#[test]
fn imports_are_sent_exactly_once_through_crashes_with_a_slow_arr() {
    let Some(setup) = Scenario::radarr().first_pass_of(&[]).setup() else {
        return;
    };
    let api = setup.api();
    let fixtures: Vec<TorrentFixture> = (0..3)
        .map(|i| {
            make_torrent(
                &setup.dir.subdir(&format!("d{i}")),
                &format!("Crash.Test.{i}.mkv"),
                MB,
            )
        })
        .collect();
    let records: Vec<Value> = fixtures
        .iter()
        .enumerate()
        .map(|(i, fx)| queue_record(FakeKind::Radarr, 500 + i as u64, &fx.hash, "Crash", 50 + i as u64))
        .collect();
    for fx in &fixtures {
        add_complete(&api, fx, "radarr");
    }
    let arr = setup.radarr();
    arr.set_queue(records);
    // 1.5 s an answer: kills land before, during and after import commands.
    arr.set_delay(Duration::from_millis(1500));
    for fx in &fixtures {
        api.wait_for_state(
            &fx.hash,
            Duration::from_secs(20),
            &["stalledUP", "uploading", "pausedUP", "stoppedUP", "queuedUP"],
        );
    }
    std::thread::sleep(Duration::from_secs(11)); // past the import settling time

    let mut s = setup.start_daemon();
    // Kill points drawn at random (the seed is printed): before, during and after imports.
    let mut rng = TestRng::from_env_or_clock("SIGKILL points");
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(300 + rng.below(2700)));
        s.daemon.kill();
        s.restart_daemon();
    }
    let scans = |arr: &FakeArr| -> Vec<String> {
        arr.requests()
            .iter()
            .filter(|r| is_command(r, "DownloadedMoviesScan") && r.status == 201)
            .filter_map(|r| r.json()?["downloadClientId"].as_str().map(str::to_string))
            .collect()
    };
    let all = wait_until(Duration::from_secs(90), Duration::from_millis(500), || {
        fixtures.iter().all(|fx| {
            api.torrent(&fx.hash)
                .is_some_and(|t| tags_of(&t).contains(&"qBitrr-imported".into()))
        })
    });
    assert!(all, "not every torrent imported and tagged:\n{}", s.daemon.log());
    let sent = scans(s.radarr());
    for fx in &fixtures {
        let n = sent.iter().filter(|d| d.eq_ignore_ascii_case(&fx.hash)).count();
        assert_eq!(n, 1, "import commands for {}: {sent:?}", fx.hash);
    }
}

#[test]
fn with_a_third_of_arr_calls_failing_every_removal_is_blocklisted_and_searched_once() {
    let Some(setup) = Scenario::radarr().radarr_torrent("StalledDelay = \"1s\"").setup() else {
        return;
    };
    let api = setup.api();
    let fixtures: Vec<TorrentFixture> = (0..4)
        .map(|i| make_torrent(&setup.dir.subdir(&format!("n{i}")), &format!("Flaky.{i}.mkv"), MB))
        .collect();
    let arr = setup.radarr();
    arr.set_queue(
        fixtures
            .iter()
            .enumerate()
            .map(|(i, fx)| queue_record(FakeKind::Radarr, 600 + i as u64, &fx.hash, "Flaky", 60 + i as u64))
            .collect(),
    );
    arr.fail_every("DELETE", "/queue/", 3);
    arr.fail_every("POST", "/command", 3);
    for fx in &fixtures {
        add(&api, fx, "radarr", &setup.dir.subdir("leech"), None);
    }
    for fx in &fixtures {
        api.wait_for_state(&fx.hash, Duration::from_secs(30), &["stalledDL"]);
    }
    let s = setup.start_daemon();
    let arr = s.radarr();
    let ok = |method: &str, status: u16, fragment: &str| -> Vec<String> {
        arr.requests()
            .into_iter()
            .filter(|r| r.method == method && r.status == status && r.path.contains(fragment))
            .map(|r| match r.json() {
                Some(j) => j["movieIds"].to_string(),
                None => r.path.clone(),
            })
            .collect()
    };
    let done = wait_until(Duration::from_secs(60), Duration::from_millis(300), || {
        ok("POST", 201, "/command").len() >= 4
    });
    assert!(done, "not every removal searched:\n{}", s.daemon.log());
    std::thread::sleep(Duration::from_secs(3));
    let mut deletes = ok("DELETE", 200, "/queue/");
    deletes.sort();
    let expected: Vec<String> = (0..4).map(|i| format!("/api/v3/queue/{}", 600 + i)).collect();
    assert_eq!(deletes, expected, "each blocklisted exactly once");
    let mut searches = ok("POST", 201, "/command");
    searches.sort();
    let expected: Vec<String> = (0..4).map(|i| format!("[{}]", 60 + i)).collect();
    assert_eq!(searches, expected, "each searched exactly once");
    assert!(
        !ok("DELETE", 500, "/queue/").is_empty() && !ok("POST", 500, "/command").is_empty(),
        "the faults were hit"
    );
    for fx in &fixtures {
        assert!(api.torrent(&fx.hash).is_none(), "removed from qBittorrent");
    }
}

/// RssSync and RefreshMonitoredDownloads reach the Arr on their timers. RssSync every 15
/// minutes was never recorded, so it is asked for at the first pass and recorded; after a
/// restart it is not asked for again, while the 2-second refresh goes on.
#[test]
fn the_arrs_periodic_jobs_are_asked_for_on_time_and_not_again_after_a_restart() {
    let Some(mut s) = Scenario::radarr()
        .radarr_lines("RssSyncTimer = \"15m\"\nRefreshDownloadsTimer = \"2s\"")
        .start()
    else {
        return;
    };
    let rss = |s: &Scenario| s.radarr().commands_named("RssSync").len();
    let refreshes = |s: &Scenario| s.radarr().commands_named("RefreshMonitoredDownloads").len();
    let both = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        rss(&s) == 1 && refreshes(&s) >= 2
    });
    assert!(
        both,
        "RssSync {} time(s), RefreshMonitoredDownloads {}:\n{}",
        rss(&s),
        refreshes(&s),
        s.daemon.log()
    );
    assert!(s.daemon.log().contains("asks the Arr for RssSync every 900s"));

    let (status, _) = s.daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", s.daemon.log());
    let before = refreshes(&s);
    s.restart_daemon();
    let more = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        refreshes(&s) >= before + 2
    });
    assert!(more, "the refresh goes on after the restart:\n{}", s.daemon.log());
    assert_eq!(
        rss(&s),
        1,
        "RssSync not again after the restart:\n{}",
        s.daemon.log()
    );
    assert!(s.daemon.terminate().0.success());
}
