//! The status page in a real headless Chromium against a running daemon: what it shows
//! once given the token (from `#token=`, never sent to the server), that it logs nothing
//! to the browser console (no script error, no failed request), what it shows without
//! JavaScript, and screenshots (desktop light, phone dark) saved as test artefacts under
//! `target/tmp/status-page/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::daemon::TOKEN;
use crate::support::fake_arr::{queue_record, FakeKind};
use crate::support::qbittorrent::{add, add_complete, chromium, make_torrent};
use crate::support::scenario::Scenario;
use crate::support::util::{http, temp_dir, Subdir};

/// Headless Chromium on `url`, with its own profile, nothing reachable but loopback (every
/// other address goes to a closed port), and `extra` flags: (stdout, stderr).
fn headless(chromium: &Path, url: &str, extra: &[String]) -> (String, String) {
    let profile = temp_dir("chromium-profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-domain-reliability",
            "--proxy-server=http://127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Where screenshots go: `target/tmp/status-page/`.
fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page");
    std::fs::create_dir_all(&dir).expect("artefact dir");
    dir
}

#[test]
fn the_status_page_shows_the_daemon_in_a_real_browser_without_console_errors() {
    let Some(chromium) = chromium() else {
        return;
    };
    let Some(setup) = Scenario::radarr()
        .radarr_torrent("StalledDelay = \"1s\"")
        .radarr_seeding("MaxSeedingTime = 7200\nRemoveTorrent = 2")
        .first_pass_of(&[])
        .setup()
    else {
        return;
    };
    // A stalled download the daemon removes, blocklists and searches: the audit log has
    // something to show.
    let fx = make_torrent(&setup.dir.subdir("nowhere"), "Page.Stalled.Movie.mkv", 1 << 20);
    // And a download that is imported, then seeds until MaxSeedingTime: what happens next.
    let done = make_torrent(&setup.dir.subdir("done"), "Page.Seeding.Movie.mkv", 1 << 20);
    setup.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 71, &fx.hash, "Page.Stalled.Movie", 7),
        queue_record(FakeKind::Radarr, 72, &done.hash, "Page.Seeding.Movie", 8),
    ]);
    let api = setup.api();
    add(&api, &fx, "radarr", &setup.dir.subdir("leech"), None);
    add_complete(&api, &done, "radarr");
    api.wait_for_state(&fx.hash, Duration::from_secs(20), &["stalledDL"]);
    let s = setup.start_daemon();
    s.radarr()
        .wait_for_command("MoviesSearch", Duration::from_secs(40));
    s.radarr()
        .wait_for_command("DownloadedMoviesScan", Duration::from_secs(40));
    let d = &s.daemon;
    let listed =
        crate::support::util::wait_until(Duration::from_secs(30), Duration::from_millis(250), || {
            d.get("/api/upcoming", true).1.contains("Page.Seeding.Movie")
        });
    let (_, upcoming) = d.get("/api/upcoming", true);
    assert!(listed, "{upcoming}\n{}", d.log());
    let upcoming: serde_json::Value = serde_json::from_str(&upcoming).unwrap();
    let next = &upcoming["upcoming"][0];
    assert_eq!(next["next_rule"], "seeding-limit", "{upcoming}");
    let secs = next["in"].as_i64().unwrap();
    assert!((7000..=7200).contains(&secs), "in {secs}s: {upcoming}");

    // Without JavaScript: the health summary, rendered by the server, and no token in it.
    let plain = http("GET", &format!("{}/", d.url()), &[], None);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(plain.header("Content-Security-Policy").is_some());
    assert!(plain.body.contains("healthy</span>"), "{}", plain.body);
    assert!(plain.body.contains("1 worker(s) running"), "{}", plain.body);
    assert!(plain.body.len() < 40 * 1024);
    assert!(!plain.body.contains(TOKEN));

    // With JavaScript and the token: the whole page, and not a word on the console.
    let url = format!("{}/#token={TOKEN}", d.url());
    let (dom, console) = headless(&chromium, &url, &["--dump-dom".into()]);
    // What is rendered, not the script's own text.
    let dom = dom.split("<script>").next().unwrap_or_default();
    for shown in [
        "healthy",
        "Radarr-Test",
        "running",
        "qBittorrent",
        "Page.Stalled.Movie",
        "stalled-delete",
        "blocklist",
        "search",
        "watching category",
        "Page.Seeding.Movie",
        "seeding-limit",
        "<rect",
        "actions per minute",
        // The search loop, with the fake Radarr's empty wanted list, and the budget after the
        // search that followed the removal.
        "nothing is wanted",
        "19 / 199",
    ] {
        assert!(
            dom.contains(shown),
            "{shown:?} not on the page:\n{dom}\n{console}"
        );
    }
    assert!(
        dom.contains("<p id=\"login-error\" class=\"t-bad\" hidden=\"\"></p>"),
        "{dom}"
    );
    assert!(
        dom.contains("<div id=\"details\">"),
        "the details are shown: {dom}"
    );
    let said: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(said.is_empty(), "the page wrote to the console: {said:?}");

    // A wrong token: the page says so and asks again.
    let (dom, _) = headless(
        &chromium,
        &format!("{}/#token=not-the-token", d.url()),
        &["--dump-dom".into()],
    );
    let dom = dom.split("<script>").next().unwrap_or_default();
    assert!(
        dom.contains("<p id=\"login-error\" class=\"t-bad\">That token was refused.</p>"),
        "{dom}"
    );
    assert!(dom.contains("<div id=\"details\" hidden=\"\">"), "{dom}");

    // Screenshots: a desktop in light mode, a phone in dark mode.
    let dir = artefacts();
    for (name, size, dark) in [
        ("desktop-light", "1280,1500", false),
        ("phone-dark", "390,1800", true),
    ] {
        let shot = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let mut flags = vec![
            format!("--screenshot={}", shot.display()),
            format!("--window-size={size}"),
            "--hide-scrollbars".to_string(),
        ];
        if dark {
            flags.push("--force-dark-mode".into());
            flags.push("--blink-settings=preferredColorScheme=0".into());
        }
        headless(&chromium, &url, &flags);
        let bytes = std::fs::read(&shot).unwrap_or_default();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{}: {} bytes",
            shot.display(),
            bytes.len()
        );
        eprintln!("status page screenshot: {}", shot.display());
    }
}
