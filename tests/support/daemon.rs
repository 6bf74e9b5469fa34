//! Runs the real `qbitrr-lite` binary for end-to-end tests, and writes the
//! qBitrr-style config it reads.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The daemon binary cargo built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_qbitrr-lite");

/// One Arr section of a test config.
pub struct ArrSection<'a> {
    /// Section name, e.g. "Radarr-Test".
    pub name: &'a str,
    pub uri: String,
    pub api_key: &'a str,
    pub category: &'a str,
    /// Extra lines for the section itself.
    pub extra: &'a str,
    /// Lines for `[<name>.Torrent]`.
    pub torrent: &'a str,
    /// Lines for `[<name>.Torrent.SeedingMode]`.
    pub seeding: &'a str,
}

/// A qBitrr-schema config: one `[qBit]` at `qbit_url`, a 1 s loop, and the given Arr sections.
pub fn config(qbit_url: &str, settings_extra: &str, arrs: &[ArrSection<'_>]) -> String {
    let mut s = format!(
        "[Settings]\nConsoleLevel = \"DEBUG\"\nLogging = true\nLoopSleepTimer = 1\n{settings_extra}\n\n\
         [qBit]\nHost = \"{qbit_url}\"\nUserName = \"admin\"\nPassword = \"adminadmin\"\n\n"
    );
    for a in arrs {
        s.push_str(&format!(
            "[{name}]\nManaged = true\nURI = \"{uri}\"\nAPIKey = \"{key}\"\nCategory = \"{cat}\"\n{extra}\n\n\
             [{name}.Torrent]\nIgnoreTorrentsYoungerThan = 0\n{torrent}\n\n\
             [{name}.Torrent.SeedingMode]\n{seeding}\n\n",
            name = a.name,
            uri = a.uri,
            key = a.api_key,
            cat = a.category,
            extra = a.extra,
            torrent = a.torrent,
            seeding = a.seeding,
        ));
    }
    s
}

/// A running daemon; killed on drop if the test did not stop it.
pub struct Daemon {
    child: Child,
    stderr: PathBuf,
    pub data_dir: PathBuf,
}

impl Daemon {
    /// Writes `config_text` to `dir/config.toml` and starts `qbitrr-lite run` on it.
    pub fn start(dir: &Path, config_text: &str, extra_args: &[&str]) -> Daemon {
        let config = dir.join("config.toml");
        std::fs::write(&config, config_text).expect("write config");
        let data_dir = dir.join("data");
        let stderr = dir.join(format!("daemon-{}.log", crate::support::util::unique_name("run")));
        let err_file = std::fs::File::create(&stderr).expect("create daemon log");
        let child = Command::new(BIN)
            .arg("run")
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file)
            // The host's proxy settings must not matter.
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("http_proxy", "http://127.0.0.1:9")
            .spawn()
            .expect("start qbitrr-lite");
        Daemon {
            child,
            stderr,
            data_dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the daemon wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until the log contains `needle`; panics with the log on timeout.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let ok = crate::support::util::wait_until(timeout, Duration::from_millis(100), || {
            self.log().contains(needle)
        });
        assert!(
            ok,
            "daemon log has no {needle:?} within {timeout:?}:\n{}",
            self.log()
        );
    }

    /// Sends SIGTERM and waits (≤ 10 s) for the exit; returns the status and how long it took.
    pub fn terminate(&mut self) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (status, started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("daemon did not stop within 10 s of SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
