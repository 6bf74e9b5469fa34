//! The fault matrix against the running daemon, compared with a fault-free run.
//!
//! The same scenario (a completed download to import, a dead download to remove,
//! blocklist and search, a torrent of another category) runs on fresh qBittorrents
//! and fake Radarrs, each behind a recording proxy: once with nothing broken, and
//! once with the answers of qBittorrent, or of the Arr, broken at random (a printed
//! seed; `QBITRR_TEST_SEED` repeats a run): 500s, closed connections, HTML instead of
//! JSON, bodies cut short, bodies arriving slowly (below the daemon's timeouts) and
//! answers later than its timeouts (shortened to 3 s with the fault-injection hook);
//! the Arr also refuses connections for a while. The assertion: the fault run makes no
//! call on qBittorrent or the Arr that the fault-free run did not make, the Arr acts on
//! each mutating request exactly as often, no action is lost, both runs end in the same
//! state, and the daemon recovers; then SIGTERM while the broken side hangs stops it
//! in time.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::fake_arr::{queue_record, FakeKind, Recorded};
use crate::support::qbittorrent::{add, add_complete, make_torrent, TorrentFixture};
use crate::support::recording_proxy::{Fault, Injection, RecordingProxy};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir, TestRng};
use serde_json::Value;

const MB: u64 = 1 << 20;
/// The daemon's request and body timeouts in these runs (`QBITRR_LITE_FAULT_HTTP_TIMEOUT_SECS`).
const TIMEOUT_SECS: &str = "3";
/// Longer than the timeouts: the daemon gives up on the request.
const HANG: Duration = Duration::from_secs(5);
/// Shorter than the timeouts: the daemon waits for the rest of the body.
const SLOW: Duration = Duration::from_millis(1500);
/// How long answers are broken in a fault run (at least).
const FAULTY_FOR: Duration = Duration::from_secs(45);

/// Which side a run breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    Nothing,
    Qbittorrent,
    Arr,
}

/// Whether a request to `path` whose body holds `body` reached the upstream and then
/// lost its answer to `fault`.
fn lost_answer(proxy: &RecordingProxy, path: &str, body: &str, fault: Fault) -> bool {
    proxy
        .requests()
        .iter()
        .any(|r| r.path == path && r.body.contains(body) && r.fault == Some(fault) && r.reached_qbittorrent)
}

fn random_faults(first_to: Vec<(&'static str, &'static str, Fault)>) -> Injection {
    Injection::Random {
        rng: TestRng::from_env_or_clock("faults"),
        per_mille: 350,
        kinds: vec![
            Fault::Status500,
            Fault::Close,
            Fault::Garbage,
            Fault::Truncated,
            Fault::SlowBody(SLOW),
            Fault::Hang(HANG),
        ],
        drawn: 0,
        first_to,
    }
}

/// What a run did and how it ended.
#[derive(Debug)]
struct Outcome {
    /// Mutating calls that reached qBittorrent: (endpoint, torrent name).
    qbit_calls: BTreeSet<(String, String)>,
    /// Mutating Arr requests that succeeded, normalised, sorted (duplicates kept).
    arr_calls: Vec<String>,
    /// Each torrent: (name, still in qBittorrent, its qBitrr-* tags).
    end_state: Vec<(String, bool, Vec<String>)>,
}

fn tags_of(t: &Value) -> Vec<String> {
    let mut tags: Vec<String> = t["tags"]
        .as_str()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| s.starts_with("qBitrr-"))
        .collect();
    tags.sort();
    tags
}

/// A mutating Arr request without what differs between runs (the temp-dir paths).
fn arr_call(r: &Recorded) -> String {
    let mut key = format!("{} {} {:?}", r.method, r.path, r.query);
    if let Some(body) = r.json() {
        for field in ["name", "movieIds", "downloadClientId"] {
            if !body[field].is_null() {
                key.push_str(&format!(" {field}={}", body[field]));
            }
        }
    }
    key
}

/// Runs the scenario, with `broken`'s answers broken from before the daemon starts,
/// for [`FAULTY_FOR`] at random and then until the answers the run must lose were lost
/// (at most 420 s), every kind of fault coming up first. None when
/// qbittorrent-nox is missing.
fn run(broken: Broken) -> Option<Outcome> {
    let faults = broken != Broken::Nothing;
    let setup = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"1s\"")
        .read_mode("auto")
        .recording_proxy()
        .arr_proxy()
        .env("QBITRR_LITE_FAULT_HTTP_TIMEOUT_SECS", TIMEOUT_SECS)
        .first_pass_of(&[])
        .setup()?;
    let api = setup.api();
    api.create_category("other", "");
    let dir = &setup.dir;
    let done = make_torrent(&dir.subdir("done"), "Fault.Done.2025.mkv", MB);
    let dead = make_torrent(&dir.subdir("nowhere"), "Fault.Dead.2025.mkv", MB);
    let other = make_torrent(&dir.subdir("other"), "Fault.Other.2025.mkv", MB);
    let fixtures: [&TorrentFixture; 3] = [&done, &dead, &other];
    add_complete(&api, &done, "radarr");
    add(&api, &dead, "radarr", &dir.subdir("leech"), None);
    add(&api, &other, "other", &dir.subdir("leech"), None);
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 601, &done.hash, "Fault.Done", 61),
        queue_record(FakeKind::Radarr, 602, &dead.hash, "Fault.Dead", 62),
        queue_record(FakeKind::Radarr, 603, &other.hash, "Fault.Other", 63),
    ]);
    api.wait_for_state(&dead.hash, Duration::from_secs(20), &["stalledDL"]);
    api.wait_for_state(&other.hash, Duration::from_secs(20), &["stalledDL"]);
    api.wait_for_state(
        &done.hash,
        Duration::from_secs(20),
        &["stalledUP", "uploading", "pausedUP", "stoppedUP", "queuedUP"],
    );
    // What each fault run must lose: answers to requests the upstream carried out.
    let must_lose: Vec<(&'static str, &'static str, Fault)> = match broken {
        Broken::Nothing => vec![],
        Broken::Qbittorrent => vec![
            ("/api/v2/torrents/delete", "", Fault::Truncated),
            ("/api/v2/torrents/addTags", "", Fault::Garbage),
        ],
        Broken::Arr => vec![
            ("/api/v3/command", "DownloadedMoviesScan", Fault::Truncated),
            ("/api/v3/command", "MoviesSearch", Fault::Hang(HANG)),
            ("/api/v3/queue/602", "", Fault::Garbage),
        ],
    };
    let broken_proxy = match broken {
        Broken::Nothing => None,
        Broken::Qbittorrent => Some(setup.proxy()),
        Broken::Arr => Some(setup.arr_proxy("Radarr-Test")),
    };
    if let Some(proxy) = broken_proxy {
        proxy.inject(Some(random_faults(must_lose.clone())));
    }
    let mut s = setup.start_daemon();
    if faults {
        let proxy = match broken {
            Broken::Arr => s.arr_proxy("Radarr-Test"),
            _ => s.proxy(),
        };
        let started = Instant::now();
        let mut refused = false;
        let mut calm = false;
        // Long enough for a worker in its longest backoff (300 s) to come back.
        let lost = wait_until(Duration::from_secs(420), Duration::from_millis(100), || {
            // Random faults for FAULTY_FOR; then only the answers still to be lost, so a
            // worker that backed off far comes back and makes those requests.
            if !calm && started.elapsed() >= FAULTY_FOR {
                calm = true;
                proxy.calm();
            }
            // The Arr also refuses connections for 10 s, 15 s in.
            if broken == Broken::Arr {
                let refusing = (15..25).contains(&started.elapsed().as_secs());
                refused |= refusing;
                proxy.refuse_connections(refusing);
            }
            let kinds: BTreeSet<String> = proxy
                .requests()
                .iter()
                .filter_map(|r| r.fault.map(|f| format!("{f:?}")))
                .collect();
            started.elapsed() >= FAULTY_FOR
                && kinds.len() == 6
                && must_lose
                    .iter()
                    .all(|(path, body, fault)| lost_answer(proxy, path, body, *fault))
        });
        proxy.refuse_connections(false);
        assert!(
            lost,
            "not every kind of fault came up, or not every answer that must be lost was ({broken:?}): {:?}\n{}",
            proxy
                .requests()
                .iter()
                .map(|r| format!("{} {:?} {:?}", r.path, r.fault, r.status))
                .collect::<Vec<_>>(),
            s.daemon.log()
        );
        assert!(refused || broken != Broken::Arr);
        proxy.inject(None);
        let requests = proxy.requests();
        let injected: BTreeSet<String> = requests
            .iter()
            .filter_map(|r| r.fault.map(|f| format!("{f:?}")))
            .collect();
        let n = requests.iter().filter(|r| r.fault.is_some()).count();
        eprintln!("{broken:?}: {n} of {} requests broken", requests.len());
        assert_eq!(injected.len(), 6, "not every kind of fault came up: {injected:?}");
    }

    let settled = wait_until(Duration::from_secs(180), Duration::from_millis(250), || {
        let imported = api
            .torrent(&done.hash)
            .is_some_and(|t| tags_of(&t).contains(&"qBitrr-imported".to_string()));
        imported && api.torrent(&dead.hash).is_none() && !s.radarr().commands_named("MoviesSearch").is_empty()
    });
    assert!(
        settled,
        "the import, removal or search did not happen ({broken:?}):\n{}",
        s.daemon.log()
    );
    // Healthy again once a pass succeeds: a worker whose passes failed in a row waits
    // out its backoff (doubling from the 1 s interval) first.
    let healthy = wait_until(Duration::from_secs(180), Duration::from_millis(250), || {
        s.daemon.get("/health", false).0 == 200
    });
    assert!(
        healthy,
        "not recovered ({broken:?}): {:?}\n{}",
        s.daemon.get("/health", false),
        s.daemon.log()
    );
    // Time for anything owed or repeated to show.
    std::thread::sleep(Duration::from_secs(5));
    assert!(s.daemon.is_running(), "the daemon died:\n{}", s.daemon.log());

    let name_of = |body: &str| {
        fixtures
            .iter()
            .find(|fx| body.to_ascii_lowercase().contains(&fx.hash.to_ascii_lowercase()))
            .map_or_else(|| "(none)".to_string(), |fx| fx.name.clone())
    };
    let outcome = Outcome {
        qbit_calls: s
            .proxy()
            .mutating()
            .iter()
            .filter(|r| r.reached_qbittorrent)
            .map(|r| (r.path.clone(), name_of(&r.body)))
            .collect(),
        arr_calls: {
            let mut calls: Vec<String> = s
                .radarr()
                .mutating_requests()
                .iter()
                .filter(|r| (200..300).contains(&r.status))
                .map(arr_call)
                .collect();
            calls.sort();
            calls
        },
        end_state: fixtures
            .iter()
            .map(|fx| {
                let t = api.torrent(&fx.hash);
                (
                    fx.name.clone(),
                    t.is_some(),
                    t.as_ref().map(tags_of).unwrap_or_default(),
                )
            })
            .collect(),
    };
    if broken == Broken::Qbittorrent {
        // Every Arr request that reached the fake succeeded (only qBittorrent is broken).
        let failed: Vec<String> = s
            .radarr()
            .mutating_requests()
            .iter()
            .filter(|r| !(200..300).contains(&r.status))
            .map(Recorded::summary)
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
    }
    if faults {
        sigterm_while_hanging(&mut s, broken);
    }
    Some(outcome)
}

/// SIGTERM while every request to the broken side hangs: exit 0 within 5 s.
fn sigterm_while_hanging(s: &mut Scenario, broken: Broken) {
    let proxy: &RecordingProxy = match broken {
        Broken::Arr => s.arr_proxy("Radarr-Test"),
        _ => s.proxy(),
    };
    let seen = proxy.requests().len();
    proxy.inject(Some(Injection::Every(Fault::Hang(Duration::from_secs(60)))));
    let hanging = wait_until(Duration::from_secs(20), Duration::from_millis(50), || {
        proxy.requests().len() > seen
    });
    assert!(
        hanging,
        "no request after the switch ({broken:?}):\n{}",
        s.daemon.log()
    );
    let started = Instant::now();
    let (status, took) = s.daemon.terminate();
    assert!(
        status.success(),
        "exit status {status:?} after {:?}:\n{}",
        started.elapsed(),
        s.daemon.log()
    );
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
}

/// The fault run against the fault-free one; see the module docs.
fn compare(clean: &Outcome, faulty: &Outcome) {
    eprintln!("fault-free: {clean:#?}\nfaulty: {faulty:#?}");
    let extra: Vec<_> = faulty.qbit_calls.difference(&clean.qbit_calls).collect();
    assert!(
        extra.is_empty(),
        "calls on qBittorrent only the fault run made: {extra:?}"
    );
    let deleted: Vec<_> = clean
        .qbit_calls
        .iter()
        .filter(|(path, _)| path.ends_with("/torrents/delete"))
        .collect();
    assert_eq!(
        deleted,
        [&(
            "/api/v2/torrents/delete".to_string(),
            "Fault.Dead.2025.mkv".to_string()
        )],
        "the fault-free run deletes only the dead download"
    );
    assert_eq!(
        faulty.arr_calls, clean.arr_calls,
        "the Arr acted on different mutating requests"
    );
    assert_eq!(faulty.end_state, clean.end_state, "the runs ended differently");
    assert_eq!(
        clean.end_state,
        [
            (
                "Fault.Done.2025.mkv".to_string(),
                true,
                vec!["qBitrr-imported".to_string()]
            ),
            ("Fault.Dead.2025.mkv".to_string(), false, vec![]),
            ("Fault.Other.2025.mkv".to_string(), true, vec![]),
        ]
    );
}

#[test]
fn broken_qbittorrent_answers_cause_no_call_a_fault_free_run_would_not_make() {
    let Some(clean) = run(Broken::Nothing) else { return };
    let Some(faulty) = run(Broken::Qbittorrent) else {
        return;
    };
    compare(&clean, &faulty);
}

#[test]
fn broken_arr_answers_cause_no_call_a_fault_free_run_would_not_make() {
    let Some(clean) = run(Broken::Nothing) else { return };
    let Some(faulty) = run(Broken::Arr) else { return };
    compare(&clean, &faulty);
}
