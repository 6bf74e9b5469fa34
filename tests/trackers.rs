//! Tracker entries and hit-and-run protection through the real binary, against a real
//! qbittorrent-nox and a fake Radarr: four imported torrents past RemoveTorrent's
//! MaxSeedingTime — a public one and a private one whose tracker entry has hit-and-run off are
//! removed; a private one whose tracker entry's hit-and-run rule is owed, and a private one no
//! entry speaks for, are kept, with the rule and its numbers in the log.
//!
//! Without qbittorrent-nox these tests skip loudly locally and fail in CI.

use std::time::Duration;

use crate::support::fake_arr::{queue_record, FakeKind};
use crate::support::qbittorrent::{add_complete, make_private_torrent, make_torrent};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir};

const MB: u64 = 1 << 20;

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
    let log = daemon.log();
    let veto = log
        .lines()
        .find(|l| l.contains("hit-and-run") && l.contains("Owed.Movie"))
        .unwrap_or_else(|| panic!("no hit-and-run line:\n{log}"));
    assert!(
        veto.contains("seeding-limit would remove it")
            && veto.contains("HnR: seeded 0.00 of 1.00 days")
            && veto.contains("tracker entry \"Owed\""),
        "{veto}"
    );
}
