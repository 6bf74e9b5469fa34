//! The store through the real binary: damaged files are moved aside and the
//! daemon runs (never exit 101), a store it may not write exits 1 and is left
//! alone, and a full disk pauses the daemon until space is freed, without a
//! second import.
//!
//! Permission and disk-full need root for the real thing (a read-only or a
//! small tmpfs mount the test makes and unmounts, and `setpriv` to run as
//! another uid). Without root, the permission test uses `chmod` and the
//! disk-full test the daemon's fault-injection hook
//! (`QBITRR_LITE_FAULT_STORE_FULL`; `QBITRR_TEST_NO_MOUNT=1` picks it as
//! root too); each says which on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::daemon::{Daemon, BIN, TOKEN};
use crate::support::fake_arr::{queue_record, FakeKind, KEY};
use crate::support::qbittorrent::{add_complete, make_torrent};
use crate::support::scenario::Scenario;
use crate::support::util::{free_tcp_port, temp_dir, wait_until, Subdir};

const STORE: &str = "qbitrr-lite.redb";

/// A config whose qBittorrent and Arr are closed ports: the daemon runs its
/// workers (each pass fails upstream) and touches nothing.
fn offline_config() -> String {
    format!(
        "[Settings]\nConsoleLevel = \"DEBUG\"\nLogging = false\nLoopSleepTimer = 1\n\n\
         [WebUI]\nHost = \"127.0.0.1\"\nPort = {port}\nToken = \"{TOKEN}\"\n\n\
         [qBit]\nHost = \"http://127.0.0.1:9\"\nUserName = \"admin\"\nPassword = \"adminadmin\"\n\n\
         [Radarr-Test]\nManaged = true\nURI = \"http://127.0.0.1:9\"\nAPIKey = \"{KEY}\"\nCategory = \"radarr\"\n",
        port = free_tcp_port()
    )
}

/// A store file as the daemon writes it: run it once in `dir` and stop it.
fn real_store(dir: &Path) -> Vec<u8> {
    let mut daemon = Daemon::start(dir, &offline_config(), &[], &[]);
    daemon.wait_for_log("Radarr-Test: watching category", Duration::from_secs(10));
    let (status, _) = daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    std::fs::read(daemon.data_dir.join(STORE)).expect("the daemon wrote its store")
}

/// The `.corrupt-*` files in `dir`.
fn moved_aside(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().contains(".corrupt-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `qbitrr-lite run` on `config` and `data_dir` to its end (killed after
/// `timeout`): (exit code, None if killed; stderr).
fn run_to_end(prefix: &[&str], config: &Path, data_dir: &Path, timeout: Duration) -> (Option<i32>, String) {
    let (program, args) = match prefix.split_first() {
        Some((p, rest)) => (*p, [rest, &[BIN]].concat()),
        None => (BIN, Vec::new()),
    };
    let mut child = Command::new(program)
        .args(args)
        .arg("run")
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start qbitrr-lite");
    let started = Instant::now();
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
    }
    (code, err)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn tool_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A tmpfs the test mounted; unmounted on drop (lazily if still busy).
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs with `options` at `at`; None when this process may not mount.
    fn tmpfs(at: &Path, options: &str) -> Option<Mount> {
        if !is_root() {
            return None;
        }
        std::fs::create_dir_all(at).expect("create mount point");
        let mounted = tool_works(
            "mount",
            &["-t", "tmpfs", "-o", options, "tmpfs", &at.display().to_string()],
        );
        mounted.then(|| Mount(at.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let opts = format!("remount,{options}");
        assert!(
            tool_works("mount", &["-o", &opts, &self.0.display().to_string()]),
            "mount -o {opts} {} failed",
            self.0.display()
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let at = self.0.display().to_string();
        if !tool_works("umount", &[&at]) {
            let _ = tool_works("umount", &["-l", &at]);
        }
    }
}

/// Writes `file` until the file system is full.
fn fill(file: &Path) {
    let mut f = std::fs::File::create(file).expect("create filler");
    let chunk = vec![0x5Au8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    // Whatever is left, byte by byte.
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn damaged_store_files_are_moved_aside_and_the_daemon_runs() {
    let template = temp_dir("store-template");
    let good = real_store(template.path());
    assert!(good.len() > 8192, "{} bytes", good.len());
    let mut random_pages = good.clone();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in &mut random_pages[4096..] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let variants: [(&str, Vec<u8>); 3] = [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("random pages", random_pages),
        ("0-byte", Vec::new()),
    ];
    for (name, bytes) in variants {
        let dir = temp_dir("store-damaged");
        let data = dir.subdir("data");
        std::fs::write(data.join(STORE), &bytes).unwrap();
        let mut daemon = Daemon::start(dir.path(), &offline_config(), &[], &[]);
        daemon.wait_for_log("could not be read", Duration::from_secs(10));
        daemon.wait_for_log("Radarr-Test: watching category", Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(1500));
        assert!(daemon.is_running(), "{name}: the daemon runs:\n{}", daemon.log());
        let log = daemon.log();
        assert!(!log.contains("panicked"), "{name}: no panic:\n{log}");
        let aside = moved_aside(&data);
        assert_eq!(aside.len(), 1, "{name}: {aside:?}");
        assert!(
            std::fs::read(&aside[0]).unwrap() == bytes,
            "{name}: the damaged file is kept as it was"
        );
        assert!(data.join(STORE).exists(), "{name}: a fresh store");
        let (status, _) = daemon.terminate();
        assert!(status.success(), "{name}: {status:?}\n{}", daemon.log());
        // The fresh store opens clean on the next start.
        let mut again = Daemon::start(dir.path(), &offline_config(), &[], &[]);
        again.wait_for_log("Radarr-Test: watching category", Duration::from_secs(10));
        assert!(
            !again.log().contains("could not be read"),
            "{name}:\n{}",
            again.log()
        );
        assert!(again.terminate().0.success());
    }
}

/// A second daemon on a data directory in use: exit 1 naming the store and the
/// likely cause; the first daemon runs on and its store is not moved aside.
#[test]
fn a_second_daemon_on_the_same_data_directory_exits_1_and_the_first_runs_on() {
    let dir = temp_dir("store-second");
    let mut first = Daemon::start(dir.path(), &offline_config(), &[], &[]);
    first.wait_for_log("Radarr-Test: watching category", Duration::from_secs(10));
    // Its own status port, so the store is what stops it.
    let config = dir.subdir("second").join("config.toml");
    std::fs::write(&config, offline_config()).unwrap();
    let (code, err) = run_to_end(&[], &config, &first.data_dir, Duration::from_secs(10));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(STORE) && err.contains("another qbitrr-lite"),
        "names the store and the cause: {err}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(first.is_running(), "the first daemon runs on:\n{}", first.log());
    assert!(moved_aside(&first.data_dir).is_empty(), "nothing moved aside");
    let (status, body) = first.get("/api/status", true);
    assert_eq!(status, 200, "{body}");
    let passes = first.process("Radarr-Test")["passes"].as_u64();
    assert!(first.terminate().0.success(), "{passes:?}\n{}", first.log());
}

/// A store the daemon may not write: exit 1 with the file, both uids and
/// what to do; the file keeps its bytes and its place.
#[test]
fn a_store_the_daemon_may_not_write_exits_1_and_is_left_alone() {
    let dir = temp_dir("store-permission");
    let good = real_store(dir.path());
    let data = dir.path().join("data");
    let store = data.join(STORE);
    let config = dir.path().join("config.toml");
    let unchanged = |case: &str, at: &Path| {
        assert!(
            std::fs::read(at.join(STORE)).unwrap() == good,
            "{case}: same bytes"
        );
        assert!(moved_aside(at).is_empty(), "{case}: not moved aside");
    };

    if is_root() && tool_works("setpriv", &["--version"]) {
        // A uid change after an upgrade: the store belongs to root, the daemon runs as nobody.
        eprintln!("permission: running as uid 65534 with setpriv; a read-only tmpfs");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
        let (code, err) = run_to_end(&as_nobody, &config, &data, Duration::from_secs(10));
        assert_eq!(code, Some(1), "exit 1:\n{err}");
        for needle in [
            store.display().to_string(),
            "belongs to uid 0".into(),
            "runs as uid 65534".into(),
            "chown -R 65534".into(),
        ] {
            assert!(err.contains(&needle), "{needle:?} missing:\n{err}");
        }
        unchanged("another owner", &data);

        // A read-only file system.
        let ro = dir.path().join("ro");
        let Some(mount) = Mount::tmpfs(&ro, "size=4m") else {
            panic!("root could not mount a tmpfs at {}", ro.display());
        };
        std::fs::write(ro.join(STORE), &good).unwrap();
        mount.remount("ro");
        let (code, err) = run_to_end(&[], &config, &ro, Duration::from_secs(10));
        assert_eq!(code, Some(1), "exit 1:\n{err}");
        assert!(
            err.contains("read-only") && err.contains(&ro.join(STORE).display().to_string()),
            "{err}"
        );
        unchanged("read-only file system", &ro);
        drop(mount);
    } else {
        eprintln!("permission: not root; chmod 0444 on the file and 0555 on its directory");
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        mode(&store, 0o444);
        mode(&data, 0o555);
        let (code, err) = run_to_end(&[], &config, &data, Duration::from_secs(10));
        mode(&data, 0o755);
        mode(&store, 0o644);
        assert_eq!(code, Some(1), "exit 1:\n{err}");
        assert!(
            err.contains(&store.display().to_string()) && err.contains("uid"),
            "{err}"
        );
        unchanged("read-only file", &data);
    }
}

fn health(daemon: &Daemon) -> (u16, Value) {
    let (code, body) = daemon.get("/health", false);
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The disk fills under the daemon just as it records an import: it keeps
/// running, `/health` names the store, nothing more is sent, and once space
/// is freed it recovers by itself; the import is sent once, also across a
/// restart (the store has it).
#[test]
fn a_full_disk_pauses_the_daemon_until_space_is_freed() {
    // Without root, the fault-injection hook: store writes fail while this file exists.
    let flag_dir = temp_dir("store-full-flag");
    let flag = flag_dir.path().join("disk-full");
    let flag_env: &'static str = Box::leak(flag.display().to_string().into_boxed_str());
    let probe = temp_dir("store-full-probe");
    let real = std::env::var_os("QBITRR_TEST_NO_MOUNT").is_none()
        && Mount::tmpfs(&probe.path().join("m"), "size=1m").is_some();
    let mut builder = Scenario::radarr();
    if !real {
        builder = builder.env("QBITRR_LITE_FAULT_STORE_FULL", flag_env);
    }
    let Some(setup) = builder.setup() else {
        return;
    };
    let data = setup.dir.path().join("data");
    let mount = if real {
        eprintln!("disk full: a 4 MiB tmpfs data directory, filled");
        Some(Mount::tmpfs(&data, "size=4m").expect("mount the data directory"))
    } else {
        eprintln!(
            "disk full: no tmpfs mount (not root, or QBITRR_TEST_NO_MOUNT); QBITRR_LITE_FAULT_STORE_FULL"
        );
        None
    };
    let api = setup.api();
    let fx = make_torrent(&setup.dir.subdir("media"), "Full.Disk.Movie.mkv", 1 << 20);
    let mut s = setup.start_daemon();

    // A download completes; its first sight is recorded while it settles
    // (no import before it has been complete for 10 s)…
    s.radarr()
        .set_queue(vec![queue_record(FakeKind::Radarr, 501, &fx.hash, "Full", 9)]);
    add_complete(&api, &fx, "radarr");
    let settling = wait_until(Duration::from_secs(20), Duration::from_millis(100), || {
        s.daemon.log().matches("import-settling").count() >= 2
    });
    assert!(settling, "{}", s.daemon.log());
    // …then the disk fills, so the write after the import is the one that fails.
    let filler = data.join("filler");
    if real {
        fill(&filler);
    } else {
        std::fs::write(&flag, b"full").unwrap();
    }
    let imports = |s: &Scenario| s.radarr().commands_named("DownloadedMoviesScan").len();

    let named = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        let (code, body) = health(&s.daemon);
        code == 503
            && body["problems"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["part"] == "store"))
    });
    assert!(
        named,
        "/health never named the store: {:?}\n{}",
        health(&s.daemon),
        s.daemon.log()
    );
    let (_, body) = health(&s.daemon);
    let problem = body["problems"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["part"] == "store"))
        .map(|p| p["problem"].as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    assert!(
        problem.starts_with("store unavailable: no space left on device") && problem.contains(STORE),
        "{problem}"
    );
    assert!(imports(&s) <= 1, "{}", s.daemon.log());
    if s.daemon.log().contains("could not record what was done") {
        eprintln!("disk full: the import was sent, then its record failed");
    }

    // Several passes while it is full: the daemon runs and sends nothing more.
    let mutating = s.radarr().mutating_requests().len();
    std::thread::sleep(Duration::from_secs(4));
    assert!(s.daemon.is_running(), "{}", s.daemon.log());
    assert_eq!(
        s.radarr().mutating_requests().len(),
        mutating,
        "nothing sent while full"
    );
    let log = s.daemon.log();
    assert_eq!(
        log.matches("the store is unavailable: passes are skipped")
            .count(),
        1,
        "logged once:\n{log}"
    );
    assert!(!log.contains("restarting"), "no worker restart:\n{log}");

    // Space freed: it recovers by itself.
    if real {
        std::fs::remove_file(&filler).unwrap();
    } else {
        std::fs::remove_file(&flag).unwrap();
    }
    s.daemon
        .wait_for_log("the store works again", Duration::from_secs(90));
    let healthy = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        health(&s.daemon).0 == 200
    });
    assert!(healthy, "{:?}\n{}", health(&s.daemon), s.daemon.log());
    // Imported exactly once: sent before the write failed, or after the store came back.
    let once = wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
        imports(&s) == 1
    });
    assert!(once, "{} imports:\n{}", imports(&s), s.daemon.log());

    // The store has it: without the tag, a restart imports nothing more.
    let (status, _) = s.daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", s.daemon.log());
    api.post(
        "torrents/removeTags",
        &[("hashes", &fx.hash), ("tags", "qBitrr-imported")],
    );
    s.restart_daemon();
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        imports(&s),
        1,
        "no second import after a restart:\n{}",
        s.daemon.log()
    );

    // SIGTERM while the disk is full: a clean exit in time, and a clean start once freed.
    // A second download gives the daemon something to record, so it meets the full disk.
    if real {
        fill(&filler);
    } else {
        std::fs::write(&flag, b"full").unwrap();
    }
    let second = make_torrent(&s.dir.subdir("media2"), "Full.Disk.Second.mkv", 1 << 20);
    s.radarr().set_queue(vec![
        queue_record(FakeKind::Radarr, 501, &fx.hash, "Full", 9),
        queue_record(FakeKind::Radarr, 502, &second.hash, "Second", 10),
    ]);
    add_complete(&api, &second, "radarr");
    let named = wait_until(Duration::from_secs(30), Duration::from_millis(200), || {
        health(&s.daemon).0 == 503
    });
    assert!(named, "{:?}\n{}", health(&s.daemon), s.daemon.log());
    let (status, took) = s.daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", s.daemon.log());
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
    if real {
        std::fs::remove_file(&filler).unwrap();
    } else {
        std::fs::remove_file(&flag).unwrap();
    }
    s.restart_daemon();
    assert!(
        !s.daemon.log().contains("could not be read"),
        "the store opens clean:\n{}",
        s.daemon.log()
    );
    let both = wait_until(Duration::from_secs(40), Duration::from_millis(200), || {
        imports(&s) == 2
    });
    assert!(both, "{} imports:\n{}", imports(&s), s.daemon.log());
    std::thread::sleep(Duration::from_secs(2));
    let ids: Vec<Value> = s
        .radarr()
        .commands_named("DownloadedMoviesScan")
        .iter()
        .map(|c| c["downloadClientId"].clone())
        .collect();
    assert_eq!(ids.len(), 2, "each imported once: {ids:?}");
    assert_ne!(ids[0], ids[1], "each imported once: {ids:?}");
    assert!(s.daemon.terminate().0.success());
    drop(mount);
}
