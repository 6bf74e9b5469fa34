//! The binary's command line: exit codes, config errors, and qBitrr's real
//! config files from `../shared/compat/`.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::daemon::{run_cli, Daemon};
use crate::support::util::temp_dir;

fn compat(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/compat")
        .join(name)
}

/// The Arr sections of both compat configs.
const COMPAT_ARR_SECTIONS: [&str; 6] = [
    "Sonarr-TV",
    "Sonarr-Anime",
    "Radarr-1080",
    "Radarr-4K",
    "Lidarr-Music",
    "Readarr-Books",
];

#[test]
fn version_and_usage_exit_codes() {
    let (code, out, _) = run_cli(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("qbitrr-lite {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(run_cli(&["--no-such-flag"]).0, 2, "usage errors exit 2");
    assert_eq!(run_cli(&[]).0, 2, "a command is required");
    assert_eq!(run_cli(&["run"]).0, 2, "run needs --config");
    assert_eq!(run_cli(&["--help"]).0, 0);
}

#[test]
fn gen_config_prints_a_config_that_loads_once_filled_in() {
    let (code, out, _) = run_cli(&["gen-config"]);
    assert_eq!(code, 0);
    assert!(out.contains("[Settings]") && out.contains("StalledDelay"));
    let dir = temp_dir("cli-gen");
    let path = dir.path().join("config.toml");
    // As printed it still has a placeholder: refused, with the key named.
    std::fs::write(&path, &out).unwrap();
    let (code, _, err) = run_cli(&["run", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Radarr-Movies.APIKey"), "{err}");
}

#[test]
fn qbitrr_default_config_is_refused_listing_every_placeholder() {
    let path = compat("qbitrr-5.14.7-default.toml");
    let dir = temp_dir("cli-default");
    let (code, _, err) = run_cli(&[
        "run",
        "--config",
        path.to_str().unwrap(),
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    for key in ["qBit.Host", "qBit.UserName", "qBit.Password"] {
        assert!(err.contains(key), "{key} missing from:\n{err}");
    }
    for arr in COMPAT_ARR_SECTIONS {
        for key in ["URI", "APIKey"] {
            assert!(
                err.contains(&format!("{arr}.{key}")),
                "{arr}.{key} missing from:\n{err}"
            );
        }
    }
    assert!(err.contains(":171:"), "the line of qBit.Host is given:\n{err}");
    assert!(
        !dir.path().join("qbitrr-lite.redb").exists(),
        "nothing is created for a bad config"
    );
}

#[test]
fn qbitrr_filled_config_runs_and_stops_cleanly_on_sigterm() {
    let dir = temp_dir("cli-filled");
    let text = std::fs::read_to_string(compat("qbitrr-5.14.7-filled.toml")).unwrap();
    // Point qBittorrent at a closed port so nothing on the machine is contacted,
    // and keep the status server on loopback.
    let port = crate::support::util::free_tcp_port();
    let text = text
        .replace("Port = 8080", "Port = 9")
        .replacen("Host = \"0.0.0.0\"", "Host = \"127.0.0.1\"", 1)
        .replacen("Port = 6969", &format!("Port = {port}"), 1);
    let mut daemon = Daemon::start(dir.path(), &text, &["--dry-run"], &[]);
    for arr in COMPAT_ARR_SECTIONS {
        daemon.wait_for_log(&format!("{arr}: watching category"), Duration::from_secs(10));
    }
    daemon.wait_for_log("unreachable", Duration::from_secs(10));
    let log = daemon.log();
    assert!(log.contains("ignored (not supported yet)"), "{log}");
    assert!(
        !log.contains("0123456789abcdef0123456789abcdef"),
        "an API key leaked into the log"
    );
    assert!(!log.contains("adminadmin"), "a password leaked into the log");
    let (status, took) = daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
}
