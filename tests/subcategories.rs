//! MatchSubcategories through the real binary, against a real qbittorrent-nox (read by
//! filtered lists, the path of qBittorrent 4.x, whose category filter leaves subcategories
//! out unless its own option is on) and a fake Radarr: a download in `radarr/4k` is imported
//! by the Radarr section whose category is `radarr`; torrents in the managed category
//! `radarr/seed` and below it are removed by `[qBit.CategorySeeding]` without a word to
//! Radarr (the most specific owner wins); `radarrx` is nobody's.
//!
//! Without qbittorrent-nox these tests skip loudly locally and fail in CI.

use std::time::Duration;

use crate::support::fake_arr::{is_command, queue_record, FakeKind};
use crate::support::qbittorrent::{add_complete, make_torrent};
use crate::support::scenario::Scenario;
use crate::support::util::{wait_until, Subdir};

const MB: u64 = 1 << 20;

#[test]
fn subcategories_belong_to_the_most_specific_owner() {
    let Some(setup) = Scenario::radarr()
        .read_mode("lists")
        .qbit_lines(
            "MatchSubcategories = true\n\
             ManagedCategories = [\"radarr/seed\"]\n\
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
    for category in ["radarr/4k", "radarr/seed", "radarr/seed/deep", "radarrx"] {
        api.create_category(category, "");
    }
    let dir = setup.dir.subdir("data");
    let movie = make_torrent(&dir, "Movie.4K.2024.mkv", MB);
    let seeded = make_torrent(&dir, "Seeded.Linux.iso", MB);
    let deep = make_torrent(&dir, "Deep.Linux.iso", MB);
    let stranger = make_torrent(&dir, "Stranger.Linux.iso", MB);
    setup.radarr().set_queue(vec![queue_record(
        FakeKind::Radarr,
        101,
        &movie.hash,
        "Movie.4K",
        7,
    )]);
    add_complete(&api, &movie, "radarr/4k");
    add_complete(&api, &seeded, "radarr/seed");
    add_complete(&api, &deep, "radarr/seed/deep");
    add_complete(&api, &stranger, "radarrx");

    let s = setup.start_daemon();
    let daemon = &s.daemon;
    let import = s
        .radarr()
        .wait_for_command("DownloadedMoviesScan", Duration::from_secs(40));
    let listed = api.torrent(&movie.hash).expect("the download is kept");
    assert_eq!(import["path"], listed["content_path"], "{}", daemon.log());

    let gone = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        api.torrent(&seeded.hash).is_none() && api.torrent(&deep.hash).is_none()
    });
    assert!(
        gone,
        "the managed category and its subcategory: removed past MaxSeedingTime\n{}",
        daemon.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        api.torrent(&movie.hash).is_some() && movie.data_path.exists(),
        "Radarr's download is not the managed category's\n{}",
        daemon.log()
    );
    assert!(
        api.torrent(&stranger.hash).is_some() && stranger.data_path.exists(),
        "radarrx is below no owner\n{}",
        daemon.log()
    );

    // Radarr heard only of its own download, once.
    let radarr = s.radarr();
    for r in radarr.requests() {
        let text = format!("{} {:?} {}", r.path, r.query, r.body).to_lowercase();
        for other in [&seeded, &deep, &stranger] {
            assert!(
                !text.contains(&other.hash.to_lowercase()),
                "Radarr was told about a torrent it does not own: {}",
                r.summary()
            );
        }
    }
    let imports = radarr
        .requests()
        .iter()
        .filter(|r| is_command(r, "DownloadedMoviesScan"))
        .count();
    assert_eq!(imports, 1, "imported once");
    assert!(radarr.queue_deletes().is_empty());
}
