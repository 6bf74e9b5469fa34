//! The free-space guard (`[Settings]` FreeSpace, FreeSpaceFolder, AutoPauseResume) through the
//! real binary, against a real qbittorrent-nox and a fake Radarr: with FreeSpace above what
//! the disk has, the downloads of the managed category are paused and tagged; with it lowered,
//! what the guard paused is resumed and untagged.
//!
//! Without qbittorrent-nox these tests skip loudly locally and fail in CI.

use std::time::Duration;

use serde_json::Value;

use crate::support::qbittorrent::{add, make_torrent, AddOptions, QbitApi};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir};

const TAG: &str = "qBitrr-free_space_paused";

fn tags_of(t: &Value) -> Vec<String> {
    t["tags"]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn state_of(api: &QbitApi, hash: &str) -> (String, Vec<String>) {
    let t = api.torrent(hash).unwrap_or_else(|| panic!("{hash} is gone"));
    (t["state"].as_str().unwrap_or_default().to_string(), tags_of(&t))
}

fn is_paused(state: &str) -> bool {
    matches!(state, "pausedDL" | "stoppedDL")
}

#[test]
fn downloads_that_do_not_fit_are_paused_and_tagged_then_resumed_when_they_fit() {
    // 1024 TiB to keep free: nothing fits on this machine's disk (measured here: /tmp).
    let Some(setup) = Scenario::radarr()
        .settings("FreeSpace = \"1024T\"\nFreeSpaceFolder = \"/tmp\"\nAutoPauseResume = true")
        .setup()
    else {
        return;
    };
    let api = setup.api();
    api.create_category("music", "");
    let seed = setup.dir.subdir("seed");
    let leech = setup.dir.subdir("leech");
    // Nothing to download from: each stays incomplete with all its bytes left.
    let movie = make_torrent(&seed, "Movie.One.2024.1080p", 256 << 10);
    let ignored = make_torrent(&seed, "Movie.Ignored.2024.1080p", 256 << 10);
    let user_paused = make_torrent(&seed, "Movie.Paused.2024.1080p", 256 << 10);
    let other = make_torrent(&seed, "Album.2024.FLAC", 256 << 10);
    add(&api, &movie, "radarr", &leech, None);
    add(&api, &ignored, "radarr", &leech, Some("qBitrr-ignored"));
    add(&api, &other, "music", &leech, None);
    api.add_torrent_file(
        &user_paused.torrent_bytes,
        &AddOptions {
            category: Some("radarr".into()),
            save_path: Some(api.path(&leech)),
            paused: true,
            ..AddOptions::default()
        },
    );
    for fx in [&movie, &ignored, &other] {
        api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL", "downloading"]);
    }

    let mut s = setup.start_daemon();
    let paused = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        let (state, tags) = state_of(&api, &movie.hash);
        is_paused(&state) && tags.iter().any(|t| t == TAG)
    });
    assert!(
        paused,
        "not paused with {TAG}: {:?}\n{}",
        state_of(&api, &movie.hash),
        s.daemon.log()
    );
    s.daemon.wait_for_log("free-space-pause", Duration::from_secs(1));
    // A few passes later: the ignored one and the other category still run, untagged; the
    // one the user paused stays paused (not resumed: it does not fit) and untagged.
    std::thread::sleep(Duration::from_secs(3));
    for fx in [&ignored, &other] {
        let (state, tags) = state_of(&api, &fx.hash);
        assert!(!is_paused(&state), "{}: {state}\n{}", fx.hash, s.daemon.log());
        assert!(!tags.iter().any(|t| t == TAG), "{}: {tags:?}", fx.hash);
    }
    let (state, tags) = state_of(&api, &user_paused.hash);
    assert!(
        is_paused(&state),
        "the user's paused download was resumed: {state}"
    );
    assert!(
        !tags.iter().any(|t| t == TAG),
        "the user's paused download was tagged"
    );
    let (state, _) = state_of(&api, &movie.hash);
    assert!(is_paused(&state), "held paused while it does not fit: {state}");

    // Lowered (and measured as qBittorrent reports its disk): it fits, so what the guard
    // paused is resumed and untagged; the download the user paused is resumed as qBitrr
    // resumes paused downloads.
    s.daemon.terminate();
    s.setup.config = s.setup.config.replace(
        "FreeSpace = \"1024T\"\nFreeSpaceFolder = \"/tmp\"",
        "FreeSpace = \"1K\"",
    );
    assert!(!s.setup.config.contains("1024T"));
    s.restart_daemon();
    let resumed = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        let (state, tags) = state_of(&api, &movie.hash);
        !is_paused(&state) && !tags.iter().any(|t| t == TAG)
    });
    assert!(
        resumed,
        "not resumed and untagged: {:?}\n{}",
        state_of(&api, &movie.hash),
        s.daemon.log()
    );
    s.daemon.wait_for_log("free-space-resume", Duration::from_secs(1));
    s.daemon
        .wait_for_log("as qBittorrent reports its disk", Duration::from_secs(1));
    let (state, _) = state_of(&api, &ignored.hash);
    assert!(!is_paused(&state), "{state}");
}
