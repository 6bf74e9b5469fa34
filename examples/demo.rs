//! The whole job in a minute, on this machine and loopback only: a seeding and a
//! downloading qbittorrent-nox, a fake Radarr (the test suite's, which records every
//! request), the daemon with short delays, and two downloads — one that completes and
//! is imported, one that stalls and is removed, blocklisted and searched again — told
//! as they happen, with the status page to look at. Everything started is stopped on
//! exit (by its process id).
//!
//! Run it with `scripts/demo.sh` (it installs qbittorrent-nox first and builds the
//! daemon); `--for SECONDS` keeps everything up that long after the story (default:
//! until Ctrl-C).

#[allow(dead_code)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::daemon::TOKEN;
use support::fake_arr::{is_command, queue_record, FakeKind};
use support::qbittorrent::{add, complete_from, make_torrent, seed};
use support::scenario::Scenario;
use support::util::{wait_until, Subdir};

const MB: u64 = 1 << 20;

fn say(started: Instant, text: &str) {
    println!("[{:>5.1}s] {text}", started.elapsed().as_secs_f64());
}

fn main() {
    let stay = std::env::args()
        .skip_while(|a| a != "--for")
        .nth(1)
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    if let Err(e) = run(stay, &stop) {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

fn run(stay: Option<Duration>, stop: &AtomicBool) -> Result<(), String> {
    let started = Instant::now();
    say(started, "starting two qbittorrent-nox on 127.0.0.1 (a seeder, and the one the daemon manages) and a fake Radarr");
    let setup = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"20s\"")
        .seeder()
        .first_pass_of(&[])
        .setup()
        .ok_or("qbittorrent-nox is not installed: run scripts/install-test-deps.sh")?;
    let api = setup.api();
    let good = make_torrent(
        &setup.dir.subdir("seed"),
        "Big.Buck.Bunny.2008.1080p.mkv",
        24 * MB,
    );
    seed(&setup.seeder().api(), &good, Duration::from_secs(60));
    let dead = make_torrent(&setup.dir.subdir("nowhere"), "Nobody.Seeds.This.2024.mkv", 8 * MB);
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 1, &good.hash, "Big Buck Bunny", 101),
        queue_record(FakeKind::Radarr, 2, &dead.hash, "Nobody Seeds This", 102),
    ]);
    let leech = setup.dir.subdir("downloads");
    add(&api, &good, "radarr", &leech, None);
    add(&api, &dead, "radarr", &leech, None);
    say(
        started,
        "two downloads in category radarr, both in Radarr's queue: one has a seeder, one has none",
    );

    let s = setup.start_daemon();
    say(
        started,
        &format!(
            "qbitrr-lite runs (StalledDelay 20s); its log: {}",
            s.dir.path().join("data/logs/Main.log").display()
        ),
    );
    say(
        started,
        &format!("status page: {}/#token={TOKEN}", s.daemon.url()),
    );
    let peer = s.seeder().peer_addr();
    let arr = s.radarr();
    let mut told = [false; 6];
    let deadline = Instant::now() + Duration::from_secs(180);
    while !told.iter().all(|t| *t) && Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        if !told[0] && complete_from(&api, &good, &peer, Duration::from_millis(500)) {
            told[0] = true;
            say(started, "Big.Buck.Bunny completed in qBittorrent");
        }
        let requests = arr.requests();
        let command = |name: &str| requests.iter().find(|r| is_command(r, name) && r.status == 201);
        if !told[1] {
            if let Some(r) = command("DownloadedMoviesScan") {
                told[1] = true;
                say(started, &format!("import sent to Radarr: {}", r.body));
            }
        }
        if !told[2] {
            let tagged = api
                .torrent(&good.hash)
                .is_some_and(|t| t["tags"].as_str().unwrap_or("").contains("qBitrr-imported"));
            if tagged {
                told[2] = true;
                say(
                    started,
                    "Radarr imported it: tagged qBitrr-imported (it seeds on; the store remembers it)",
                );
            }
        }
        if !told[3] && told[0] && api.torrent(&dead.hash).is_none() {
            told[3] = true;
            say(
                started,
                "Nobody.Seeds.This stalled for 20s: removed from qBittorrent with its files",
            );
        }
        if !told[4] {
            if let Some((id, flags)) = arr.queue_deletes().first() {
                told[4] = true;
                say(
                    started,
                    &format!("blocklisted in Radarr: DELETE queue/{id} {flags:?}"),
                );
            }
        }
        if !told[5] {
            if let Some(r) = command("MoviesSearch") {
                told[5] = true;
                say(started, &format!("searched again: {}", r.body));
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if !told.iter().all(|t| *t) {
        return Err(format!(
            "the story did not finish (told {told:?}); the daemon's log:\n{}",
            s.daemon.log()
        ));
    }
    say(
        started,
        "that is the job: imported once, the dead download removed, blocklisted and searched again",
    );
    match stay {
        Some(d) => {
            say(
                started,
                &format!(
                    "everything stays up {}s more; the status page: {}/#token={TOKEN}",
                    d.as_secs(),
                    s.daemon.url()
                ),
            );
            wait_until(d, Duration::from_millis(200), || stop.load(Ordering::SeqCst));
        }
        None => {
            say(
                started,
                &format!(
                    "the status page: {}/#token={TOKEN} — Ctrl-C stops everything",
                    s.daemon.url()
                ),
            );
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
    say(
        started,
        "stopping the daemon, the qBittorrents and the fake Radarr",
    );
    Ok(())
}
