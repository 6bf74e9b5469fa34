//! The file filters (`[<Arr>.Torrent]` FolderExclusionRegex, FileNameExclusionRegex,
//! FileExtensionAllowlist) and AutoDelete through the real binary, with qBitrr's default
//! patterns, against a real qbittorrent-nox and a fake Radarr.
//!
//! Without qbittorrent-nox these tests skip loudly locally and fail in CI.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::fake_arr::{is_command, queue_record, FakeKind};
use crate::support::qbittorrent::{add, make_multi_file_torrent, QbitApi};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir};

const KB: u64 = 1 << 10;

/// A movie release with the usual clutter, as qBittorrent lists its files.
const MOVIE_FILES: &[(&str, u64)] = &[
    ("Inception.2010.1080p.BluRay.x264-GRP.mkv", 512 * KB),
    ("Sample/inception.sample.mkv", 64 * KB),
    ("Featurettes/The Dream Is Collapsing.mkv", 64 * KB),
    ("Inception.2010.1080p.BluRay.x264-GRP.nfo", 4 * KB),
    ("RARBG_DO_NOT_MIRROR.exe", 16 * KB),
    ("Subs/English.srt", 4 * KB),
];

/// `torrents/files` of `hash`: (name, priority) in qBittorrent's order.
fn priorities(api: &QbitApi, hash: &str) -> Vec<(String, i64)> {
    let body = api.get("torrents/files", &[("hash", hash)]);
    let files: Vec<Value> = serde_json::from_str(&body).expect("a JSON file list");
    files
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().to_string(),
                f["priority"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

fn priority_of(list: &[(String, i64)], suffix: &str) -> i64 {
    list.iter()
        .find(|(name, _)| name.ends_with(suffix))
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("no file {suffix} in {list:?}"))
}

#[test]
fn only_the_wanted_files_keep_their_priority_and_an_all_excluded_torrent_is_failed() {
    let Some(setup) = Scenario::radarr().radarr_file_filters("").setup() else {
        return;
    };
    let api = setup.api();
    let movie = make_multi_file_torrent(
        &setup.dir.subdir("seed"),
        "Inception.2010.1080p.BluRay.x264-GRP",
        MOVIE_FILES,
    );
    let junk = make_multi_file_torrent(
        &setup.dir.subdir("seed"),
        "Inception.2010.Promo-GRP",
        &[
            ("Sample/inception.sample.mkv", 64 * KB),
            ("Inception.2010.Promo-GRP.nfo", 4 * KB),
            ("Play Movie.lnk", 4 * KB),
        ],
    );
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 301, &movie.hash, "Inception", 31),
        queue_record(FakeKind::Radarr, 302, &junk.hash, "Inception.Promo", 32),
    ]);
    // Nothing to download from: both stay incomplete, with their metadata.
    add(&api, &movie, "radarr", &setup.dir.subdir("leech"), None);
    add(&api, &junk, "radarr", &setup.dir.subdir("leech"), None);
    api.wait_for_state(
        &movie.hash,
        Duration::from_secs(20),
        &["stalledDL", "downloading"],
    );

    let s = setup.start_daemon();
    let (arr, daemon) = (s.radarr(), &s.daemon);
    let checked = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        priority_of(&priorities(&api, &movie.hash), ".exe") == 0
    });
    assert!(checked, "the .exe was never skipped:\n{}", daemon.log());
    let files = priorities(&api, &movie.hash);
    for (suffix, wanted) in [
        ("GRP.mkv", 1),
        ("Subs/English.srt", 1),
        ("Sample/inception.sample.mkv", 0),
        ("Featurettes/The Dream Is Collapsing.mkv", 0),
        (".nfo", 0),
        (".exe", 0),
    ] {
        assert_eq!(priority_of(&files, suffix), wanted, "{suffix}: {files:?}");
    }

    // The torrent of only excluded files: removed with its files, blocklisted, searched.
    let search = arr.wait_for_command("MoviesSearch", Duration::from_secs(30));
    assert_eq!(search["movieIds"], json!([32]), "{}", daemon.log());
    assert!(api.torrent(&junk.hash).is_none(), "removed from qBittorrent");
    let reqs = arr.requests();
    let delete = reqs
        .iter()
        .position(|r| r.method == "DELETE" && r.path.ends_with("/queue/302"))
        .unwrap_or_else(|| panic!("no queue delete:\n{}", daemon.log()));
    assert_eq!(reqs[delete].query_value("blocklist"), Some("true"));
    daemon.wait_for_log("all-files-excluded", Duration::from_secs(1));

    // The movie is kept, and its files are asked for once only (remembered).
    std::thread::sleep(Duration::from_secs(3));
    assert!(api.torrent(&movie.hash).is_some(), "the movie is kept");
    assert!(
        !reqs.iter().any(|r| r.path.ends_with("/queue/301")),
        "the movie is never blocklisted"
    );
    assert_eq!(
        arr.requests()
            .iter()
            .filter(|r| is_command(r, "MoviesSearch"))
            .count(),
        1
    );
    assert_eq!(
        daemon
            .log()
            .matches("set to \"do not download\" by the file filters")
            .count(),
        1,
        "{}",
        daemon.log()
    );
}

#[test]
fn auto_delete_removes_the_excluded_leftovers_after_the_import_and_nothing_else() {
    let Some(setup) = Scenario::radarr()
        .radarr_file_filters("AutoDelete = true")
        .setup()
    else {
        return;
    };
    let api = setup.api();
    let root = "Inception.2010.1080p.BluRay.x264-GRP";
    let movie = make_multi_file_torrent(&setup.dir.subdir("seed"), root, MOVIE_FILES);
    setup.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        401,
        &movie.hash,
        "Inception",
        41,
    )]);
    let leech = setup.dir.subdir("leech");
    add(&api, &movie, "radarr", &leech, None);
    api.wait_for_state(
        &movie.hash,
        Duration::from_secs(20),
        &["stalledDL", "downloading"],
    );
    // A file beside the torrent's folder, which AutoDelete must never touch.
    std::fs::write(leech.join("unrelated.exe"), b"not ours").expect("write");

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let checked = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        priority_of(&priorities(&api, &movie.hash), ".exe") == 0
    });
    assert!(checked, "the files were never checked:\n{}", daemon.log());
    // The download completes with the excluded files on the disk too (as pieces shared with
    // wanted files leave them), then the Arr imports it.
    copy_dir(&movie.data_path, &leech.join(root));
    api.post("torrents/recheck", &[("hashes", &movie.hash)]);
    api.wait_for_state(&movie.hash, Duration::from_secs(30), &["stalledUP", "uploading"]);
    s.radarr()
        .wait_for_command("DownloadedMoviesScan", Duration::from_secs(40));
    api.wait_for(&movie.hash, Duration::from_secs(20), |t| {
        t["tags"].as_str().unwrap_or("").contains("qBitrr-imported")
    });
    let content = leech.join(root);
    let gone = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        !content.join("RARBG_DO_NOT_MIRROR.exe").exists()
    });
    assert!(gone, "the .exe was not deleted:\n{}", daemon.log());
    assert!(!content.join(format!("{root}.nfo")).exists());
    assert!(!content.join("Sample").exists(), "an emptied folder goes too");
    assert!(!content.join("Featurettes").exists());
    assert!(content.join(format!("{root}.mkv")).exists(), "the movie stays");
    assert!(content.join("Subs/English.srt").exists(), "its subtitles stay");
    assert!(
        leech.join("unrelated.exe").exists(),
        "nothing outside the torrent"
    );
    assert!(api.torrent(&movie.hash).is_some(), "the torrent stays");
    daemon.wait_for_log(
        "AutoDelete removed 4 file(s), 2 emptied folder(s)",
        Duration::from_secs(1),
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
