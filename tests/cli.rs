//! The binary's command line: exit codes, config errors (out-of-range values
//! among them), and qBitrr's real config files from `../shared/compat/`.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::daemon::{run_cli, Daemon, TOKEN};
use crate::support::util::{free_tcp_port, temp_dir, wait_until};

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
    // Every key of the file is acted on or at qBitrr's default; each Arr searches.
    daemon.wait_for_log("searching for missing media", Duration::from_secs(10));
    let log = daemon.log();
    assert!(!log.contains("ignored (not supported yet)"), "{log}");
    assert!(
        !log.contains("0123456789abcdef0123456789abcdef"),
        "an API key leaked into the log"
    );
    assert!(!log.contains("adminadmin"), "a password leaked into the log");
    let (status, took) = daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
}

/// A config that needs nothing running: qBittorrent and the Arr on a closed port, the
/// status server on loopback; `settings` and `arr` go into [Settings] and [Radarr-A].
fn offline_config(settings: &str, arr: &str) -> String {
    format!(
        "[Settings]\nLogging = false\n{settings}\n\
         [WebUI]\nHost = \"127.0.0.1\"\nPort = {}\nToken = \"{TOKEN}\"\n\
         [qBit]\nHost = \"127.0.0.1\"\nPort = 9\n\
         [Radarr-A]\nURI = \"http://127.0.0.1:9\"\nAPIKey = \"0123456789abcdef\"\n{arr}\n",
        free_tcp_port()
    )
}

/// The start of a long output, for a failure message.
fn head(text: &str) -> String {
    text.chars().take(2_000).collect()
}

/// `run` and `check` on `text`: both must refuse it with exit code 2; returns run's stderr.
fn refused(name: &str, text: &str) -> String {
    let dir = temp_dir(name);
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let (path, data) = (path.to_str().unwrap(), dir.path().join("data"));
    let (code, _, err) = run_cli(&["run", "--config", path, "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 2, "run: {}", head(&err));
    let (code, _, check_err) = run_cli(&["check", "--config", path]);
    assert_eq!(code, 2, "check: {}", head(&check_err));
    assert!(
        !data.join("qbitrr-lite.redb").exists(),
        "nothing is created for a bad config"
    );
    err
}

#[test]
fn a_restart_delay_past_its_range_exits_2_instead_of_overflowing() {
    // Used to be accepted, then panic the supervisor at the first worker failure (exit 101).
    let text = offline_config("ProcessRestartDelay = 9223372036854775807", "");
    let err = refused("cli-delay", &text);
    assert!(
        err.contains(
            "config.toml:3: Settings.ProcessRestartDelay: must be 0 to 86400 seconds (1d), \
             got 9223372036854775807"
        ),
        "{err}"
    );
}

#[test]
fn a_10_mb_category_exits_2_without_repeating_it() {
    // Used to be accepted, then panic ureq in every pass (the URL is over http's limit).
    let category = "x".repeat(10_000_000);
    let text = offline_config("", &format!("Category = \"{category}\""));
    let err = refused("cli-category", &text);
    assert!(
        err.contains(
            "Radarr-A.Category: is 10000000 characters long: must be at most 255 characters, \
             no control characters"
        ),
        "{}",
        head(&err)
    );
    assert!(
        err.len() < 2_000,
        "the value is not repeated: {} bytes",
        err.len()
    );
}

#[test]
fn a_nul_in_a_section_name_exits_2_instead_of_panicking() {
    // Used to panic the main thread naming the worker's thread (exit 101).
    let text = offline_config("", "").replace("[Radarr-A]", "[\"Radarr-A\\u0000\"]");
    let err = refused("cli-section", &text);
    assert!(
        err.contains("\"Radarr-A\\0\": the section name contains a NUL character"),
        "{err}"
    );
}

#[test]
fn out_of_range_reloads_keep_the_running_config_and_the_longest_delay_is_safe() {
    let dir = temp_dir("cli-reload-range");
    let text = offline_config("ProcessRestartDelay = \"1d\"", "");
    // The worker panics at every pass, so the restart timer is armed with the longest delay.
    let mut d = Daemon::start(
        dir.path(),
        &text,
        &["--dry-run"],
        &[("QBITRR_LITE_FAULT_PANIC", "Radarr-A")],
    );
    d.wait_for_log("Radarr-A: worker failed", Duration::from_secs(15));
    d.wait_for_log("restarting in 86400s", Duration::from_secs(5));

    let bad = text.replace(
        "ProcessRestartDelay = \"1d\"",
        "ProcessRestartDelay = 9223372036854775807\nLogRotateCount = 4294967295",
    );
    std::fs::write(&d.config_path, bad).unwrap();
    let (code, body) = d.post("/api/config/reload");
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("Settings.ProcessRestartDelay"), "{body}");
    assert!(body.contains("must be 0 to 100, got 4294967295"), "{body}");
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || d
            .log()
            .contains("still running the previous one")),
        "{}",
        d.log()
    );
    assert!(d.is_running(), "{}", d.log());
    assert_eq!(d.process("Radarr-A")["status"], "restarting");
    let (status, _) = d.terminate();
    assert!(status.success(), "{status:?}\n{}", d.log());
}

/// `init` driven through standard input against a real qBittorrent and fake Arrs: a wrong
/// password and a Sonarr given as the Radarr are caught and asked again, the file written
/// is one `check` accepts, readable by its owner only, and never written over.
#[test]
fn init_asks_tries_each_answer_and_writes_a_config_check_accepts() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt;
    let Some(setup) = crate::support::scenario::Scenario::radarr().setup() else {
        return;
    };
    let sonarr = crate::support::fake_arr::FakeArr::start(
        crate::support::fake_arr::FakeKind::Sonarr,
        crate::support::fake_arr::KEY,
    );
    let (qbit, radarr, key) = (
        setup.qbit.url(),
        setup.radarr().url(),
        crate::support::fake_arr::KEY,
    );
    let path = setup.dir.path().join("first").join("config.toml");
    let answers = format!(
        "{qbit}\nadmin\nnot-the-password\ny\n\
         {qbit}\n\nadminadmin\n\
         radarr\n{sonarr}\n{key}\n\ny\n\
         radarr\n{radarr}\n{key}\n\n\
         \n",
        sonarr = sonarr.url()
    );
    let run = |input: &str| {
        let mut child = std::process::Command::new(crate::support::daemon::BIN)
            .args(["init", "--config", path.to_str().unwrap()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // It may exit before reading (an existing file): the pipe closing is not an error here.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&answers);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("That did not work") && out.contains("refused"),
        "{out}"
    );
    assert!(
        out.contains("[Radarr-radarr] is a Radarr section, but its URI reaches a Sonarr"),
        "{out}"
    );
    assert!(
        out.contains("logged in") && out.contains("Radarr 5.14.0.9383: answers"),
        "{out}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("[Radarr-radarr]") && !text.contains(&sonarr.url()),
        "{text}"
    );
    let (code, out, err) = run_cli(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");

    // Never over an existing file; the end of input writes nothing.
    let (code, _, err) = run(&answers);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    std::fs::remove_file(&path).unwrap();
    let (code, _, err) = run(&format!("{qbit}\n"));
    assert_eq!(code, 2, "{err}");
    assert!(!path.exists());
}
