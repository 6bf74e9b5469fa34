//! Tracker entries and hit-and-run protection through the real binary, against a real
//! qbittorrent-nox and a fake Radarr: four imported torrents past RemoveTorrent's
//! MaxSeedingTime — a public one and a private one whose tracker entry has hit-and-run off are
//! removed; a private one whose tracker entry's hit-and-run rule is owed, and a private one no
//! entry speaks for, are kept, with the rule and its numbers in the log. And a private
//! download whose tracker (a test tracker on 127.0.0.1) answers "Unregistered torrent" is
//! failed — removed, blocklisted, searched again — whatever hit-and-run says; a cross-seed of
//! a complete one keeps the files.
//!
//! Without qbittorrent-nox these tests skip loudly locally and fail in CI.

use std::time::Duration;

use serde_json::json;

use crate::support::fake_arr::{queue_record, FakeKind};
use crate::support::qbittorrent::{
    add, add_complete, make_private_torrent, make_private_torrent_from, make_torrent,
};
use crate::support::recording_proxy::RecordingProxy;
use crate::support::scenario::Scenario;
use crate::support::tracker::{Answer, TestTracker};
use crate::support::util::{wait_until, Subdir};

const MB: u64 = 1 << 20;

/// How many `torrents/<path>` requests went through the proxy.
fn calls_to(proxy: &RecordingProxy, path: &str) -> usize {
    let path = format!("/api/v2/torrents/{path}");
    proxy.requests().iter().filter(|r| r.path == path).count()
}

#[test]
fn hit_and_run_and_private_torrents_are_kept_past_the_seeding_limit() {
    let Some(setup) = Scenario::radarr()
        .radarr_torrent(
            "StalledDelay = 15\n\
             [[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Owed\"\n\
             URI = \"http://127.0.0.3:9/announce\"\n\
             HitAndRunMode = \"and\"\n\
             MinSeedRatio = 1.0\n\
             MinSeedingTimeDays = 1\n\
             [[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Cleared\"\n\
             URI = \"localhost\"\n\
             HitAndRunMode = \"disabled\"",
        )
        .radarr_seeding("RemoveTorrent = 2\nMaxSeedingTime = \"2s\"")
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let dir = setup.dir.subdir("data");
    let public = make_torrent(&dir, "Public.Movie.mkv", MB);
    let owed = make_private_torrent(&dir, "Owed.Movie.mkv", MB, "http://127.0.0.3:9/announce");
    let cleared = make_private_torrent(&dir, "Cleared.Movie.mkv", MB, "http://localhost:9/announce");
    let unlisted = make_private_torrent(&dir, "Unlisted.Movie.mkv", MB, "http://127.0.0.4:9/announce");
    let all = [&public, &owed, &cleared, &unlisted];
    let mut queue = Vec::new();
    for (i, fx) in all.iter().enumerate() {
        add_complete(&api, fx, "radarr");
        queue.push(queue_record(
            FakeKind::Radarr,
            300 + i as u64,
            &fx.hash,
            &fx.name,
            10 + i as u64,
        ));
    }
    // qBittorrent says which are private (its DHT, PeX and LSD rows).
    let trackers = api.get("torrents/trackers", &[("hash", &owed.hash)]);
    assert!(trackers.contains("This torrent is private"), "{trackers}");
    setup.radarr().set_queue(queue);

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let gone = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        api.torrent(&public.hash).is_none() && api.torrent(&cleared.hash).is_none()
    });
    assert!(
        gone,
        "the public and the cleared torrent are removed:\n{}",
        daemon.log()
    );
    daemon.wait_for_log("hit-and-run", Duration::from_secs(10));
    daemon.wait_for_log("private-kept", Duration::from_secs(10));
    // Several more passes: still there.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        api.torrent(&owed.hash).is_some(),
        "owed HnR: kept\n{}",
        daemon.log()
    );
    assert!(
        api.torrent(&unlisted.hash).is_some(),
        "private, no entry: kept\n{}",
        daemon.log()
    );
    assert!(owed.data_path.exists() && unlisted.data_path.exists());
    // Tagged as qBitrr tags a torrent hit-and-run holds back; the one kept for being private
    // with no entry is not.
    let tagged = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        api.torrent(&owed.hash)
            .is_some_and(|t| t["tags"].as_str().unwrap_or("").contains("qBitrr-hnr_active"))
    });
    assert!(tagged, "{:?}\n{}", api.torrent(&owed.hash), daemon.log());
    let unlisted_tags = api.torrent(&unlisted.hash).map(|t| t["tags"].to_string());
    assert!(
        !unlisted_tags.clone().unwrap_or_default().contains("hnr_active"),
        "{unlisted_tags:?}"
    );
    let log = daemon.log();
    let veto = log
        .lines()
        .find(|l| l.contains("hit-and-run") && l.contains(&format!("({})", &owed.hash[..8])))
        .unwrap_or_else(|| panic!("no hit-and-run line:\n{log}"));
    assert!(
        veto.contains("seeding-limit would remove it")
            && veto.contains("HnR: seeded 0.00 of 1.00 days")
            && veto.contains("tracker entry \"Owed\""),
        "{veto}"
    );
}

#[test]
fn a_download_its_tracker_calls_unregistered_is_failed_despite_hit_and_run() {
    // StalledDelay -1: nothing is removed for stalling; a hit-and-run rule that owes the
    // partial ratio from the first byte (HitAndRunMinimumDownloadPercent 0).
    let Some(setup) = Scenario::radarr()
        .radarr_torrent(
            "StalledDelay = -1\n\
             UnregisteredDelay = 0\n\
             [[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Local\"\n\
             URI = \"127.0.0.1\"\n\
             HitAndRunMode = \"and\"\n\
             MinSeedingTimeDays = 7\n\
             HitAndRunMinimumDownloadPercent = 0",
        )
        .setup()
    else {
        return;
    };
    let tracker = TestTracker::start(Answer::Failure("Unregistered torrent".into()));
    let api = setup.api();
    let seed_dir = setup.dir.subdir("seed");
    let gone = make_private_torrent(&seed_dir, "Gone.Movie.mkv", MB, &tracker.announce_url());
    let kept = make_private_torrent(&seed_dir, "Kept.Movie.mkv", MB, &tracker.announce_url());
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 401, &gone.hash, "Gone", 41),
        queue_record(FakeKind::Radarr, 402, &kept.hash, "Kept", 42),
    ]);
    let leech = setup.dir.subdir("leech");
    add(&api, &gone, "radarr", &leech, None);
    assert!(
        tracker.wait_for_announces(1, Duration::from_secs(20)),
        "qBittorrent never announced to the test tracker"
    );
    // The announce is counted when it arrives; qBittorrent shows the answer a moment later
    // (on a loaded machine, qBittorrent 5.1 was seen still "updating" that tracker 10 s on).
    let said = wait_until(Duration::from_secs(40), Duration::from_millis(100), || {
        api.get("torrents/trackers", &[("hash", &gone.hash)])
            .contains("Unregistered torrent")
    });
    assert!(said, "{}", api.get("torrents/trackers", &[("hash", &gone.hash)]));

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(30));
    assert_eq!(search["movieIds"], json!([41]), "{}", daemon.log());
    assert!(api.torrent(&gone.hash).is_none(), "removed from qBittorrent");
    let reqs = arr.requests();
    let delete = reqs
        .iter()
        .position(|r| r.method == "DELETE" && r.path.ends_with("/queue/401"))
        .unwrap_or_else(|| panic!("no queue delete:\n{}", daemon.log()));
    assert_eq!(reqs[delete].query_value("blocklist"), Some("true"));
    let log = daemon.log();
    let line = log
        .lines()
        .find(|l| l.contains("unregistered") && l.contains(&format!("({})", &gone.hash[..8])))
        .unwrap_or_else(|| panic!("no unregistered line:\n{log}"));
    assert!(line.contains("\"Unregistered torrent\""), "{line}");
    assert!(!log.contains("hit-and-run"), "hit-and-run held it back:\n{log}");

    // The tracker knows the other one: it is downloading (stalled, no peers) and kept.
    tracker.set_answer(Answer::NoPeers);
    let before = tracker.announces();
    add(&api, &kept, "radarr", &leech, None);
    assert!(tracker.wait_for_announces(before + 1, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_secs(4));
    assert!(api.torrent(&kept.hash).is_some(), "kept:\n{}", daemon.log());
    assert!(!arr.requests().iter().any(|r| r.path.ends_with("/queue/402")));
}

#[test]
fn an_unregistered_torrent_with_a_cross_seed_is_removed_without_its_files() {
    let Some(setup) = Scenario::radarr().radarr_torrent("UnregisteredDelay = 0").setup() else {
        return;
    };
    let tracker = TestTracker::start(Answer::Failure("Torrent not registered with this tracker".into()));
    let api = setup.api();
    let dir = setup.dir.subdir("data");
    let fx = make_private_torrent(&dir, "Shared.Movie.mkv", MB, &tracker.announce_url());
    // The same data under another tracker's torrent, in a category no Arr owns.
    let other = TestTracker::start(Answer::NoPeers);
    let cross = make_private_torrent_from(&dir, "Shared.Movie.mkv", MB, &other.announce_url(), "OTHER");
    assert_ne!(cross.hash, fx.hash);
    add_complete(&api, &fx, "radarr");
    add_complete(&api, &cross, "cross-seed");
    setup
        .radarr()
        .set_queue(vec![queue_record(FakeKind::Radarr, 501, &fx.hash, "Shared", 51)]);
    // Imported already (the tag), so only the unregistered rule can remove it.
    api.add_tags(&fx.hash, "qBitrr-imported");
    assert!(tracker.wait_for_announces(1, Duration::from_secs(20)));
    // The announce is counted when it arrives; qBittorrent shows the answer a moment later
    // (on a loaded machine, qBittorrent 5.1 was seen still "updating" that tracker 10 s on).
    let said = wait_until(Duration::from_secs(40), Duration::from_millis(100), || {
        api.get("torrents/trackers", &[("hash", &fx.hash)])
            .contains("not registered")
    });
    assert!(said, "{}", api.get("torrents/trackers", &[("hash", &fx.hash)]));

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let removed = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        api.torrent(&fx.hash).is_none()
    });
    assert!(removed, "the unregistered torrent is removed:\n{}", daemon.log());
    assert!(fx.data_path.exists(), "the cross-seed's files are kept");
    assert!(api.torrent(&cross.hash).is_some());
    daemon.wait_for_log("files kept: torrent", Duration::from_secs(5));
}

/// `[qBit] ManagedCategories`: a category no Arr owns gets `[qBit.CategorySeeding]`'s rules
/// from a worker of its own, and no Arr hears of it. (MaxSeedingTime 0: qBittorrent 4.5.2 may
/// not update an idle torrent's seeding time for a long while, so a limit of seconds would
/// make the test depend on when it does.)
#[test]
fn a_managed_category_torrent_is_removed_by_category_seeding_without_an_arr_call() {
    let Some(setup) = Scenario::radarr()
        .qbit_lines(
            "ManagedCategories = [\"seed\"]\n\
             [qBit.CategorySeeding]\n\
             RemoveTorrent = 2\n\
             MaxSeedingTime = 0\n\
             IgnoreTorrentsYoungerThan = 0",
        )
        .setup()
    else {
        return;
    };
    let api = setup.api();
    api.create_category("seed", "");
    let dir = setup.dir.subdir("data");
    let seeded = make_torrent(&dir, "Seeded.Linux.iso", MB);
    let private = make_private_torrent(&dir, "Private.Linux.iso", MB, "http://127.0.0.4:9/announce");
    let radarrs = make_torrent(&dir, "Radarr.Movie.mkv", MB);
    add_complete(&api, &seeded, "seed");
    add_complete(&api, &private, "seed");
    add_complete(&api, &radarrs, "radarr");

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let gone = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        api.torrent(&seeded.hash).is_none()
    });
    assert!(
        gone,
        "past CategorySeeding's MaxSeedingTime: removed\n{}",
        daemon.log()
    );
    assert!(!seeded.data_path.exists(), "with its files");
    daemon.wait_for_log("private-kept", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        api.torrent(&private.hash).is_some() && private.data_path.exists(),
        "private, no tracker entry: kept\n{}",
        daemon.log()
    );
    assert!(
        api.torrent(&radarrs.hash).is_some(),
        "Radarr's category is not the managed category's: kept\n{}",
        daemon.log()
    );

    // The worker is listed as a category, its removal audited under its name.
    let worker = daemon.process("qBit.seed");
    assert_eq!(worker["kind"], "category", "{worker}");
    assert_eq!(worker["category"], "seed", "{worker}");
    let (code, body) = daemon.get("/api/actions?instance=qBit.seed", true);
    assert_eq!(code, 200, "{body}");
    let actions: serde_json::Value = serde_json::from_str(&body).unwrap();
    let removal = actions["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["hash"] == seeded.hash.as_str())
        .unwrap_or_else(|| panic!("no audit entry for the removal: {body}"));
    assert_eq!(removal["rule"], "seeding-limit", "{removal}");

    // No Arr heard of any of it: nothing sent to Radarr names a torrent of the category.
    let radarr = s.radarr();
    for r in radarr.requests() {
        let text = format!("{} {} {:?} {}", r.method, r.path, r.query, r.body).to_lowercase();
        assert!(
            !text.contains(&seeded.hash.to_lowercase()) && !text.contains(&private.hash.to_lowercase()),
            "Radarr was told about a managed-category torrent: {}",
            r.summary()
        );
    }
    assert!(radarr.queue_deletes().is_empty() && radarr.commands().is_empty());
}

/// Rate limits, super-seeding and AddTags: SeedingMode's upload limit on every torrent, a
/// tracker entry's own limit, super-seeding and tag on its torrents; each sent once, and again
/// only after the torrent drifted (here: the user changed its limit and took the tag off).
#[test]
fn rate_limits_super_seeding_and_tags_are_set_once_and_again_only_after_a_drift() {
    let Some(setup) = Scenario::radarr()
        .recording_proxy()
        .radarr_seeding("UploadRateLimitPerTorrent = 100")
        .radarr_torrent(
            "[[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Limited\"\n\
             URI = \"http://127.0.0.3:9/announce\"\n\
             UploadRateLimit = 50\n\
             SuperSeedMode = true\n\
             AddTags = [\"limited\"]",
        )
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let dir = setup.dir.subdir("data");
    let public = make_torrent(&dir, "Public.Movie.mkv", MB);
    let limited = make_private_torrent(&dir, "Limited.Movie.mkv", MB, "http://127.0.0.3:9/announce");
    let mut queue = Vec::new();
    for (i, fx) in [&public, &limited].iter().enumerate() {
        add_complete(&api, fx, "radarr");
        queue.push(queue_record(
            FakeKind::Radarr,
            400 + i as u64,
            &fx.hash,
            &fx.name,
            20 + i as u64,
        ));
    }
    setup.radarr().set_queue(queue);
    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let field = |hash: &str, key: &str| api.torrent(hash).map(|t| t[key].clone()).unwrap_or_default();
    let set = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        field(&public.hash, "up_limit") == json!(102_400)
            && field(&limited.hash, "up_limit") == json!(51_200)
            && field(&limited.hash, "super_seeding") == json!(true)
            && field(&limited.hash, "tags")
                .as_str()
                .unwrap_or("")
                .contains("limited")
    });
    assert!(
        set,
        "public {:?}, limited {:?}\n{}",
        api.torrent(&public.hash),
        api.torrent(&limited.hash),
        daemon.log()
    );
    let sent = |path: &str| calls_to(s.proxy(), path);
    let tagged = || {
        s.proxy()
            .requests()
            .iter()
            .filter(|r| r.path == "/api/v2/torrents/addTags" && r.body.contains("tags=limited"))
            .count()
    };
    // Several more passes (LoopSleepTimer 1 s): nothing sent again.
    let passes = daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0);
    let more = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0) >= passes + 3
    });
    assert!(more, "{}", daemon.log());
    assert_eq!(
        (sent("setUploadLimit"), sent("setSuperSeeding"), tagged()),
        (2, 1, 1),
        "one upload limit per value (100 and 50 KiB/s), one super-seeding, one tag"
    );
    let public_tags = field(&public.hash, "tags");
    assert!(!public_tags.to_string().contains("limited"), "{public_tags}");

    // The user sets another limit: it drifted, so it is set back, once (a drift within 10 s of
    // the last time is set back once those 10 s are over).
    api.post(
        "torrents/setUploadLimit",
        &[("hashes", &public.hash), ("limit", "5000")],
    );
    let back = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        field(&public.hash, "up_limit") == json!(102_400)
    });
    assert!(back, "{:?}\n{}", api.torrent(&public.hash), daemon.log());
    let passes = daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0);
    let more = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0) >= passes + 3
    });
    assert!(more, "{}", daemon.log());
    assert_eq!(sent("setUploadLimit"), 3, "set back once after the drift");

    // The user takes the tag off: put back, once.
    api.post(
        "torrents/removeTags",
        &[("hashes", &limited.hash), ("tags", "limited")],
    );
    let back = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        field(&limited.hash, "tags")
            .as_str()
            .unwrap_or("")
            .contains("limited")
    });
    assert!(back, "{:?}\n{}", api.torrent(&limited.hash), daemon.log());
    assert_eq!(tagged(), 2, "tagged again once");
    assert!(api.torrent(&public.hash).is_some() && api.torrent(&limited.hash).is_some());
}

/// AddTrackerIfMissing, RemoveIfExists and RemoveDeadTrackers on a public torrent: the
/// missing tracker is added, the listed host's and the dead one (its tracker answers "No such
/// host is known", one of RemoveTrackerWithMessage's defaults) removed, each with one call;
/// the torrent keeps the trackers no rule names, and nothing is sent again.
#[test]
fn trackers_are_added_and_removed_once() {
    let alive = TestTracker::start(Answer::NoPeers);
    let dead = TestTracker::start(Answer::Failure("No such host is known".into()));
    let alias = alive.announce_url().replace("127.0.0.1", "localhost");
    let entries: &'static str = Box::leak(
        format!(
            "[[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Alias\"\n\
             URI = \"{alias}\"\n\
             AddTrackerIfMissing = true\n\
             [[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Retired\"\n\
             URI = \"127.0.0.3\"\n\
             RemoveIfExists = true"
        )
        .into_boxed_str(),
    );
    let Some(setup) = Scenario::radarr()
        .recording_proxy()
        .radarr_seeding("RemoveDeadTrackers = true")
        .radarr_torrent(entries)
        .setup()
    else {
        return;
    };
    let api = setup.api();
    // Trackers added by the WebAPI share a tier: announce to each, not only the first that works.
    api.post(
        "app/setPreferences",
        &[("json", "{\"announce_to_all_trackers\":true}")],
    );
    let fx = make_torrent(&setup.dir.subdir("data"), "Public.Movie.mkv", MB);
    add_complete(&api, &fx, "radarr");
    let retired = "http://127.0.0.3:9/announce";
    let urls = [alive.announce_url(), dead.announce_url(), retired.to_string()];
    api.post(
        "torrents/addTrackers",
        &[("hash", &fx.hash), ("urls", &urls.join("\n"))],
    );
    setup
        .radarr()
        .set_queue(vec![queue_record(FakeKind::Radarr, 501, &fx.hash, &fx.name, 51)]);
    // The dead tracker has said so before the daemon looks.
    let said = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        api.get("torrents/trackers", &[("hash", &fx.hash)])
            .contains("No such host is known")
    });
    assert!(said, "{}", api.get("torrents/trackers", &[("hash", &fx.hash)]));

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let trackers = || -> Vec<String> {
        let text = api.get("torrents/trackers", &[("hash", &fx.hash)]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        let mut urls: Vec<String> = rows
            .iter()
            .filter_map(|r| r["url"].as_str())
            .filter(|u| !u.starts_with("** ["))
            .map(str::to_string)
            .collect();
        urls.sort();
        urls
    };
    let mut want = vec![
        "http://127.0.0.1:9/announce".to_string(),
        alive.announce_url(),
        alias.clone(),
    ];
    want.sort();
    let edited = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        trackers() == want
    });
    assert!(edited, "{:?}\n{}", trackers(), daemon.log());

    // Several more passes (LoopSleepTimer 1 s): nothing sent again.
    let passes = daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0);
    let more = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0) >= passes + 3
    });
    assert!(more, "{}", daemon.log());
    let sent = |path: &str| calls_to(s.proxy(), path);
    assert_eq!(
        (sent("addTrackers"), sent("removeTrackers")),
        (1, 1),
        "{}",
        daemon.log()
    );
    assert_eq!(trackers(), want);
    // Read to decide, and once more to see the edit took.
    assert_eq!(sent("trackers"), 2, "{}", daemon.log());
    assert!(api.torrent(&fx.hash).is_some(), "the torrent stays");
}

/// SortTorrents against qbittorrent-nox's own queue: three downloads added lowest priority
/// first end up highest first, with one `torrents/topPrio` per priority above the lowest, and
/// nothing is sent again once they are in order.
#[test]
fn downloads_are_sorted_by_tracker_priority_in_the_queue() {
    let Some(setup) = Scenario::radarr()
        .recording_proxy()
        .radarr_torrent(
            "[[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"High\"\n\
             URI = \"127.0.0.5\"\n\
             Priority = 10\n\
             SortTorrents = true\n\
             [[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Middle\"\n\
             URI = \"127.0.0.6\"\n\
             Priority = 5\n\
             SortTorrents = true",
        )
        .setup()
    else {
        return;
    };
    let api = setup.api();
    api.post(
        "app/setPreferences",
        &[(
            "json",
            "{\"queueing_enabled\":true,\"max_active_downloads\":1,\"max_active_torrents\":1}",
        )],
    );
    let seed = setup.dir.subdir("seed");
    let leech = setup.dir.subdir("leech");
    let plain = make_private_torrent(&seed, "Plain.Movie.mkv", MB, "http://127.0.0.7:9/announce");
    let middle = make_private_torrent(&seed, "Middle.Movie.mkv", MB, "http://127.0.0.6:9/announce");
    let high = make_private_torrent(&seed, "High.Movie.mkv", MB, "http://127.0.0.5:9/announce");
    for fx in [&plain, &middle, &high] {
        add(&api, fx, "radarr", &leech, None);
    }
    let position = |hash: &str| {
        api.torrent(hash)
            .and_then(|t| t["priority"].as_i64())
            .unwrap_or(-1)
    };
    let queued = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        (
            position(&plain.hash),
            position(&middle.hash),
            position(&high.hash),
        ) == (1, 2, 3)
    });
    assert!(
        queued,
        "added in order: {} {} {}",
        position(&plain.hash),
        position(&middle.hash),
        position(&high.hash)
    );

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let sorted = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        (
            position(&high.hash),
            position(&middle.hash),
            position(&plain.hash),
        ) == (1, 2, 3)
    });
    assert!(
        sorted,
        "high {} middle {} plain {}\n{}",
        position(&high.hash),
        position(&middle.hash),
        position(&plain.hash),
        daemon.log()
    );
    let passes = daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0);
    let more = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0) >= passes + 3
    });
    assert!(more, "{}", daemon.log());
    assert_eq!(calls_to(s.proxy(), "topPrio"), 2, "{}", daemon.log());
    assert_eq!(
        (
            position(&high.hash),
            position(&middle.hash),
            position(&plain.hash)
        ),
        (1, 2, 3)
    );
}

/// A tracker entry's limit, set from the announce URLs the view already holds (sync/maindata's
/// tracker map; with filtered lists, the tracker that answered last): no `torrents/trackers`
/// call for a torrent whose trackers answer and that nothing wants to remove (on qBittorrent
/// 4.x; 5.x does not say whether they answer, see below).
fn limits_are_set_without_reading_trackers(read_mode: &'static str) {
    let tracker = TestTracker::start(Answer::NoPeers);
    let Some(setup) = Scenario::radarr()
        .read_mode(read_mode)
        .recording_proxy()
        .radarr_torrent(
            "[[Radarr-Test.Torrent.Trackers]]\n\
             Name = \"Local\"\n\
             URI = \"127.0.0.1\"\n\
             UploadRateLimit = 50",
        )
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let fx = make_private_torrent(
        &setup.dir.subdir("data"),
        "Answered.Movie.mkv",
        MB,
        &tracker.announce_url(),
    );
    add_complete(&api, &fx, "radarr");
    setup
        .radarr()
        .set_queue(vec![queue_record(FakeKind::Radarr, 601, &fx.hash, &fx.name, 61)]);
    let answered = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        api.torrent(&fx.hash)
            .is_some_and(|t| t["tracker"].as_str().is_some_and(|u| !u.is_empty()))
    });
    assert!(answered, "{:?}", api.torrent(&fx.hash));

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let limited = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        api.torrent(&fx.hash)
            .is_some_and(|t| t["up_limit"] == serde_json::json!(51_200))
    });
    assert!(limited, "{:?}\n{}", api.torrent(&fx.hash), daemon.log());
    let passes = daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0);
    let more = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        daemon.process("Radarr-Test")["passes"].as_u64().unwrap_or(0) >= passes + 3
    });
    assert!(more, "{}", daemon.log());
    // qBittorrent 5 names a tracker in `tracker` whether or not it answers, so an announcing
    // torrent's trackers are read once for the unregistered rule (and a private one's again
    // six hours on); 4.5 says so itself.
    let qbit5 = api
        .get("app/version", &[])
        .trim_start_matches('v')
        .starts_with('5');
    let reads = if qbit5 { 1 } else { 0 };
    assert_eq!(calls_to(s.proxy(), "trackers"), reads, "{}", daemon.log());
    assert_eq!(calls_to(s.proxy(), "setUploadLimit"), 1);
}

#[test]
fn limits_are_set_without_reading_trackers_with_sync_maindata() {
    limits_are_set_without_reading_trackers("maindata");
}

#[test]
fn limits_are_set_without_reading_trackers_with_filtered_lists() {
    limits_are_set_without_reading_trackers("lists");
}
