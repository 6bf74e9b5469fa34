//! Runs the real `qbitrr-lite` binary for end-to-end tests (the configs it
//! reads are written by [`super::scenario`] or the test).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The daemon binary cargo built for this test run (for `examples/demo.rs`, which cargo
/// does not tell: the debug build, from the repository's root).
pub const BIN: &str = match option_env!("CARGO_BIN_EXE_qbitrr-lite") {
    Some(path) => path,
    None => "target/debug/qbitrr-lite",
};

/// Runs `qbitrr-lite ARGS` to its end: (exit code or -1, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run qbitrr-lite");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status server's token in test configs.
pub const TOKEN: &str = "test-token-0123456789";

/// A running daemon; killed on drop if the test did not stop it.
pub struct Daemon {
    child: Child,
    stderr: PathBuf,
    pub data_dir: PathBuf,
    pub config_path: PathBuf,
    /// The status server's port (from the config's `[WebUI]`).
    pub port: u16,
}

/// The `Port` of the `[WebUI]` section of a config text.
pub fn webui_port(config_text: &str) -> u16 {
    config_text
        .split("[WebUI]")
        .nth(1)
        .and_then(|rest| rest.lines().find_map(|l| l.trim().strip_prefix("Port = ")))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(6969)
}

impl Daemon {
    /// Writes `config_text` to `dir/config.toml` and starts `qbitrr-lite run`
    /// on it with `extra_args` and the environment plus `env`.
    pub fn start(dir: &Path, config_text: &str, extra_args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let config = dir.join("config.toml");
        std::fs::write(&config, config_text).expect("write config");
        let data_dir = dir.join("data");
        let (err_file, stderr) = tempfile::Builder::new()
            .prefix("daemon-")
            .suffix(".log")
            .tempfile_in(dir)
            .and_then(|f| f.keep().map_err(|e| e.error))
            .expect("create daemon log");
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
            .envs(env.iter().copied())
            .spawn()
            .expect("start qbitrr-lite");
        Daemon {
            child,
            stderr,
            data_dir,
            config_path: config,
            port: webui_port(config_text),
        }
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:<port>` of the status server.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// GET `path` on the status server, with the token when `auth`; (status, body),
    /// or (0, error) when nothing answers yet.
    pub fn get(&self, path: &str, auth: bool) -> (u16, String) {
        let token = format!("Bearer {TOKEN}");
        let headers: Vec<(&str, &str)> = if auth {
            vec![("Authorization", &token)]
        } else {
            vec![]
        };
        match crate::support::util::try_http("GET", &format!("{}{path}", self.url()), &headers, None) {
            Ok(r) => (r.status, r.body),
            Err(e) => (0, e),
        }
    }

    /// The `/api/processes` entry of worker `name` (Null until the server answers and lists it).
    pub fn process(&self, name: &str) -> Value {
        let (code, body) = self.get("/api/processes", true);
        if code == 0 {
            return Value::Null;
        }
        // Anything else is a stranger on the port or a daemon that refuses its token:
        // its log says which.
        assert_eq!(code, 200, "/api/processes answered: {body}\n{}", self.log());
        let all: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
        let list = all["processes"]
            .as_array()
            .unwrap_or_else(|| panic!("no process list: {body}"));
        // Just after a start the server answers before the supervisor registered its workers.
        list.iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// POST `path` on the status server with the token; (status, body).
    pub fn post(&self, path: &str) -> (u16, String) {
        let token = format!("Bearer {TOKEN}");
        let r = crate::support::util::http(
            "POST",
            &format!("{}{path}", self.url()),
            &[("Authorization", &token)],
            Some(""),
        );
        (r.status, r.body)
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

    /// SIGKILL, as a crash or a power cut would stop it, and waits for the exit.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the daemon");
        let _ = self.child.wait();
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
