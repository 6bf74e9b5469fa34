//! The shared view against a real qbittorrent-nox: under churn (adds,
//! removals, pause/resume, recheck, category and tag changes) it equals a
//! full `torrents/info` — at every read with `sync/maindata`, and with
//! filtered lists wherever those promise it; after qBittorrent restarts with
//! a torrent gone, or is killed while the view is being read, the view is
//! read again from scratch and holds no stale torrent; and with filtered
//! lists the daemon imports a download as soon as it completes.
//!
//! The view's tests run on both qBittorrents of the suite, 4.5.2 (`_on_4_5`)
//! and 5.1 in its chroot (`_on_5_1`); the daemon's on 4.5.2.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use qbitrr_lite::config::load_str;
use qbitrr_lite::model::{tags, Torrent, TorrentState};
use qbitrr_lite::qbit::ListFilter;
use qbitrr_lite::view::{Mode, View, ViewTimers, Watch};

use crate::support::fake_arr::{is_command, queue_record, FakeKind};
use crate::support::qbittorrent::{
    add, add_complete, complete_from, make_torrent, seed, QbitApi, QbitNox, TorrentFixture,
};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir, TempDir};

const KB: u64 = 1024;

fn watch() -> Watch {
    Watch {
        category: "radarr".into(),
        subcategories: Default::default(),
        special: vec!["failed".into(), "recheck".into()],
        add_tags: Vec::new(),
    }
}

fn view_of(qbit: &QbitNox, mode: &str, timers: ViewTimers) -> View {
    let text = format!(
        "[qBit]\nHost = \"{}\"\nUserName = \"admin\"\nPassword = \"adminadmin\"\nReadMode = \"{mode}\"\n",
        qbit.url()
    );
    let loaded = load_str(&text, "config.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    View::connect(&loaded.config.qbit[0], timers)
}

/// What is compared of a torrent: the fields the rules read that do not move by
/// themselves between two reads of an idle library.
fn key(t: &Torrent) -> String {
    format!(
        "{} cat={} tags={:?} state={} progress={} left={} size={} added={} completed={} \
         max_ratio={} max_seed={} content={} rootless={}",
        t.hash,
        t.category,
        // The view keeps only the tags the rules read.
        t.tags
            .iter()
            .filter(|tag| tags::READ_BY_RULES.contains(&tag.as_str()))
            .collect::<Vec<_>>(),
        t.state,
        t.progress,
        t.amount_left,
        t.size,
        t.added_on,
        t.completion_on.max(0),
        t.max_ratio,
        t.max_seeding_minutes,
        !t.content_path.is_empty(),
        !t.save_path.is_empty() && t.save_path == t.content_path,
    )
}

/// The same from qBittorrent's full list.
fn listed(api: &QbitApi, categories: &[&str]) -> BTreeMap<String, String> {
    let body = api.get("torrents/info", &[]);
    let all = qbitrr_lite::qbit::parse_torrent_list(body.as_bytes()).expect("a torrent list");
    all.iter()
        .filter(|t| categories.contains(&t.category.as_str()))
        .map(|t| {
            let mut t = t.clone();
            // What the view keeps of the paths: whether there is one, whether it is the save path.
            let trim = |p: &str| p.trim_end_matches('/').to_string();
            let rootless = !t.save_path.is_empty() && trim(&t.content_path) == trim(&t.save_path);
            t.save_path = if t.save_path.is_empty() {
                String::new()
            } else if rootless {
                t.content_path.clone()
            } else {
                "other".into()
            };
            (t.hash.clone(), key(&t))
        })
        .collect()
}

fn viewed(view: &View, categories: &[&str]) -> BTreeMap<String, String> {
    view.torrents(categories)
        .iter()
        .map(|t| (t.hash.clone(), key(t)))
        .collect()
}

fn difference(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    let mut out = Vec::new();
    for (h, v) in a {
        match b.get(h) {
            None => out.push(format!("only in the view: {v}")),
            Some(w) if w != v => out.push(format!("view:        {v}\nqBittorrent: {w}")),
            _ => {}
        }
    }
    for (h, w) in b {
        if !a.contains_key(h) {
            out.push(format!("missing from the view: {w}"));
        }
    }
    out.join("\n")
}

/// Reads the view until it equals qBittorrent's full list (states settle after a
/// recheck or a start); panics with the difference after 20 s.
fn assert_converges(view: &View, api: &QbitApi, categories: &[&str], what: &str) {
    let mut last = String::new();
    let same = wait_until(Duration::from_secs(20), Duration::from_millis(300), || {
        if let Err(e) = view.refresh(&watch()) {
            last = format!("read failed: {e}");
            return false;
        }
        let (got, want) = (viewed(view, categories), listed(api, categories));
        last = difference(&got, &want);
        got == want
    });
    assert!(same, "{what}: the view never equalled the full list:\n{last}");
}

/// A small library: complete torrents (data present) and downloads (no data, no peers).
struct Library {
    _dir: TempDir,
    complete: Vec<TorrentFixture>,
    downloads: Vec<TorrentFixture>,
}

fn library(qbit: &QbitNox, api: &QbitApi, n: usize) -> Library {
    let dir = qbit.temp_dir("read-modes");
    for c in ["radarr", "failed", "recheck", "other"] {
        api.create_category(c, "");
    }
    let mut complete = Vec::new();
    let mut downloads = Vec::new();
    for i in 0..n {
        let fx = make_torrent(
            &dir.subdir(&format!("c{i}")),
            &format!("Complete.{i}.mkv"),
            64 * KB,
        );
        add_complete(api, &fx, if i % 4 == 3 { "other" } else { "radarr" });
        complete.push(fx);
        let fx = make_torrent(
            &dir.subdir(&format!("d{i}")),
            &format!("Download.{i}.mkv"),
            64 * KB,
        );
        add(api, &fx, "radarr", &dir.subdir(&format!("empty{i}")), None);
        downloads.push(fx);
    }
    Library {
        _dir: dir,
        complete,
        downloads,
    }
}

/// Every kind of change a library sees, one after another, each followed by `check`.
fn churn(api: &QbitApi, lib: &Library, mut check: impl FnMut(&str)) {
    let c = |i: usize| lib.complete[i].hash.as_str();
    let d = |i: usize| lib.downloads[i].hash.as_str();
    api.set_category(c(0), "failed");
    check("a category change");
    api.add_tags(c(1), "keep,x,qBitrr-ignored");
    check("tags added");
    api.post(
        "torrents/removeTags",
        &[("hashes", c(1)), ("tags", "x,qBitrr-ignored")],
    );
    check("tags removed");
    api.pause(d(0));
    check("a download paused");
    api.resume(d(0));
    check("a download resumed");
    api.post("torrents/recheck", &[("hashes", c(2))]);
    check("a recheck");
    api.delete(d(1), false);
    check("a removal");
    api.set_category(d(2), "other");
    check("a download moved out of the category");
    // 4.6+ requires `inactiveSeedingTimeLimit` (400 without it; -2: the global
    // limit); 4.5.2 ignores it.
    api.post(
        "torrents/setShareLimits",
        &[
            ("hashes", c(4)),
            ("ratioLimit", "2"),
            ("seedingTimeLimit", "60"),
            ("inactiveSeedingTimeLimit", "-2"),
        ],
    );
    check("share limits set");
}

#[test]
fn with_sync_maindata_the_view_equals_a_full_list_under_churn_on_4_5() {
    if let Some(qbit) = QbitNox::try_start() {
        with_sync_maindata_the_view_equals_a_full_list_under_churn(&qbit);
    }
}

#[test]
fn with_sync_maindata_the_view_equals_a_full_list_under_churn_on_5_1() {
    if let Some(qbit) = QbitNox::try_start_v5() {
        with_sync_maindata_the_view_equals_a_full_list_under_churn(&qbit);
    }
}

fn with_sync_maindata_the_view_equals_a_full_list_under_churn(qbit: &QbitNox) {
    let api = qbit.api();
    let lib = library(qbit, &api, 6);
    let view = view_of(qbit, "maindata", ViewTimers::default());
    let cats = ["radarr", "failed", "recheck"];
    assert_converges(&view, &api, &cats, "the first read");
    churn(&api, &lib, |what| assert_converges(&view, &api, &cats, what));
    // A torrent added while the view is kept.
    let dir = qbit.temp_dir("late");
    let fx = make_torrent(&dir.subdir("late"), "Late.mkv", 64 * KB);
    add_complete(&api, &fx, "radarr");
    assert_converges(&view, &api, &cats, "an added torrent");
    let reads = view.reads();
    assert_eq!(view.mode(), Some(Mode::MainData));
    assert_eq!(reads.maindata_full, 1, "{reads:?}");
    assert!(
        reads.maindata >= 10,
        "one incremental read per change at least: {reads:?}"
    );
    assert_eq!(reads.resets, 0, "{reads:?}");
}

#[test]
fn with_filtered_lists_downloads_stay_current_and_a_sweep_makes_the_view_whole_on_4_5() {
    if let Some(qbit) = QbitNox::try_start() {
        with_filtered_lists_downloads_stay_current_and_a_sweep_makes_the_view_whole(&qbit);
    }
}

#[test]
fn with_filtered_lists_downloads_stay_current_and_a_sweep_makes_the_view_whole_on_5_1() {
    if let Some(qbit) = QbitNox::try_start_v5() {
        with_filtered_lists_downloads_stay_current_and_a_sweep_makes_the_view_whole(&qbit);
    }
}

fn with_filtered_lists_downloads_stay_current_and_a_sweep_makes_the_view_whole(qbit: &QbitNox) {
    let api = qbit.api();
    let lib = library(qbit, &api, 6);
    let cats = ["radarr", "failed", "recheck"];
    // Every read whole: always equal.
    let whole = view_of(
        qbit,
        "lists",
        ViewTimers {
            full_list: Duration::ZERO,
            ..ViewTimers::default()
        },
    );
    // Whole lists every 5 minutes (the default): between them, downloads and errored torrents.
    let filtered = view_of(qbit, "lists", ViewTimers::default());
    assert_converges(&filtered, &api, &cats, "the first read");
    // qBittorrent's downloading and errored filters.
    let downloading =
        |t: &Torrent| ListFilter::Downloading.matches(t.state) || ListFilter::Errored.matches(t.state);
    churn(&api, &lib, |what| {
        assert_converges(&whole, &api, &cats, what);
        // What the filtered reads promise: every download of the category as qBittorrent lists it.
        let mut last = String::new();
        let ok = wait_until(Duration::from_secs(20), Duration::from_millis(300), || {
            filtered.refresh(&watch()).expect("a filtered read");
            let want: BTreeMap<_, _> = listed(&api, &["radarr"])
                .into_iter()
                .filter(|(h, _)| {
                    api.torrent(h).is_some_and(|t| {
                        downloading(&Torrent {
                            state: TorrentState::parse(t["state"].as_str().unwrap_or("")),
                            ..Torrent::default()
                        })
                    })
                })
                .collect();
            let got = viewed(&filtered, &["radarr"]);
            last = want
                .iter()
                .filter(|(h, w)| got.get(*h) != Some(*w))
                .map(|(_, w)| w.clone())
                .collect::<Vec<_>>()
                .join("\n");
            last.is_empty()
        });
        assert!(ok, "{what}: downloads not current in the filtered view:\n{last}");
    });
    let reads = filtered.reads();
    assert!(reads.filtered_lists >= 18, "{reads:?}");
    assert!(
        reads.lookups >= 1,
        "those that left the downloads were looked up: {reads:?}"
    );
    assert_eq!(whole.mode(), Some(Mode::Lists));
}

#[test]
fn after_qbittorrent_restarts_the_view_is_read_from_scratch_without_stale_torrents_on_4_5() {
    if let Some(mut qbit) = QbitNox::try_start() {
        after_qbittorrent_restarts_the_view_is_read_from_scratch_without_stale_torrents(&mut qbit);
    }
}

#[test]
fn after_qbittorrent_restarts_the_view_is_read_from_scratch_without_stale_torrents_on_5_1() {
    if let Some(mut qbit) = QbitNox::try_start_v5() {
        after_qbittorrent_restarts_the_view_is_read_from_scratch_without_stale_torrents(&mut qbit);
    }
}

fn after_qbittorrent_restarts_the_view_is_read_from_scratch_without_stale_torrents(qbit: &mut QbitNox) {
    let api = qbit.api();
    let lib = library(qbit, &api, 3);
    let cats = ["radarr", "failed", "recheck"];
    for mode in ["maindata", "lists"] {
        let view = view_of(qbit, mode, ViewTimers::default());
        assert_converges(&view, &api, &cats, "before the restart");
        let gone = if mode == "maindata" {
            &lib.complete[0].hash
        } else {
            &lib.downloads[0].hash
        };
        assert!(viewed(&view, &cats).contains_key(gone.as_str()));
        // It goes away while qBittorrent is down: its resume data is deleted.
        qbit.stop_process();
        assert!(
            view.refresh(&watch()).is_err(),
            "{mode}: a read while it is down fails"
        );
        assert!(
            view.torrents(&cats).is_empty(),
            "{mode}: a failed read leaves nothing to decide on"
        );
        // Both builds keep resume data as files (the harness pins the legacy store).
        let backup = qbit.profile().join("qBittorrent/data/BT_backup");
        for ext in ["torrent", "fastresume"] {
            let file = backup.join(format!("{gone}.{ext}"));
            std::fs::remove_file(&file)
                .unwrap_or_else(|e| panic!("{mode}: removing {}: {e}", file.display()));
        }
        qbit.start_again();
        let api = qbit.api();
        assert_converges(&view, &api, &cats, "after the restart");
        assert!(
            !viewed(&view, &cats).contains_key(gone.as_str()),
            "{mode}: the torrent removed while qBittorrent was down is not in the view"
        );
        assert!(view.reads().resets >= 1, "{:?}", view.reads());
    }
}

#[test]
fn a_view_being_read_when_qbittorrent_is_killed_is_dropped_and_read_again_on_4_5() {
    if let Some(mut qbit) = QbitNox::try_start() {
        a_view_being_read_when_qbittorrent_is_killed_is_dropped_and_read_again(&mut qbit);
    }
}

#[test]
fn a_view_being_read_when_qbittorrent_is_killed_is_dropped_and_read_again_on_5_1() {
    if let Some(mut qbit) = QbitNox::try_start_v5() {
        a_view_being_read_when_qbittorrent_is_killed_is_dropped_and_read_again(&mut qbit);
    }
}

/// SIGKILL while a reader reads as fast as it can (every read a full update, the
/// longest answer): each read that fails drops the view, none leaves part of an
/// answer behind, and after the restart the view is whole again.
fn a_view_being_read_when_qbittorrent_is_killed_is_dropped_and_read_again(qbit: &mut QbitNox) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let api = qbit.api();
    let _lib = library(qbit, &api, 4);
    let cats = ["radarr", "failed", "recheck"];
    let timers = ViewTimers {
        full_sync: Duration::ZERO,
        ..ViewTimers::default()
    };
    let view = view_of(qbit, "maindata", timers);
    assert_converges(&view, &api, &cats, "before the kill");
    let stop = AtomicBool::new(false);
    let (reads, failed, stale) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Bounded: it stops once qBittorrent is back (or after 60 s).
            let started = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
                reads.fetch_add(1, Ordering::Relaxed);
                if view.refresh(&watch()).is_err() {
                    failed.fetch_add(1, Ordering::Relaxed);
                    if !view.torrents(&cats).is_empty() {
                        stale.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        qbit.kill_process();
        std::thread::sleep(Duration::from_millis(500));
        qbit.start_again();
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
    });
    let (reads, failed) = (reads.into_inner(), failed.into_inner());
    assert!(
        failed >= 1,
        "reads failed while qBittorrent was down ({reads} reads)"
    );
    assert_eq!(stale.into_inner(), 0, "a failed read left torrents in the view");
    assert!(view.reads().resets >= 1, "{:?}", view.reads());
    let api = qbit.api();
    assert_converges(&view, &api, &cats, "after the kill and restart");
}

#[test]
fn with_filtered_lists_a_download_is_imported_when_it_completes() {
    let Some(setup) = Scenario::radarr().read_mode("lists").seeder().setup() else {
        return;
    };
    let fx = make_torrent(
        &setup.dir.subdir("seed"),
        "Movie.Two.2024.1080p.mkv",
        20 * 1024 * KB,
    );
    seed(&setup.seeder().api(), &fx, Duration::from_secs(30));
    setup.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        102,
        &fx.hash,
        "Movie.Two",
        8,
    )]);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    let s = setup.start_daemon();
    let complete = complete_from(&api, &fx, &s.seeder().peer_addr(), Duration::from_secs(60));
    assert!(
        complete,
        "the leecher never completed: {:?}",
        api.torrent(&fx.hash)
    );
    // Seen leaving the downloads on the next pass (not at the next whole list, 5 minutes on).
    let cmd = s
        .radarr()
        .wait_for_command("DownloadedMoviesScan", Duration::from_secs(20));
    assert_eq!(cmd["downloadClientId"], json!(fx.download_id()));
    let log = s.daemon.log();
    assert!(log.contains("reading torrents by filtered lists"), "{log}");
}

#[test]
fn with_filtered_lists_a_queued_download_added_complete_is_found_by_hash() {
    // The scenario reads the queue at least every 5 s (QueueRefreshTimer).
    let Some(setup) = Scenario::radarr().read_mode("lists").setup() else {
        return;
    };
    let s = setup.start_daemon();
    let fx = make_torrent(&s.dir.subdir("done"), "Movie.Three.2024.1080p.mkv", 64 * KB);
    add_complete(&s.api(), &fx, "radarr");
    // Never in a downloading list; the Arr's queue names it.
    s.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        103,
        &fx.hash,
        "Movie.Three",
        9,
    )]);
    let found = wait_until(Duration::from_secs(90), Duration::from_millis(500), || {
        s.radarr().requests().iter().any(|r| {
            is_command(r, "DownloadedMoviesScan")
                && r.json()
                    .is_some_and(|j| j["downloadClientId"] == json!(fx.download_id()))
        })
    });
    assert!(found, "not imported:\n{}", s.daemon.log());
}
