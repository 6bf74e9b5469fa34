//! The supervisor, the status server, shutdown, config reload, logs and the
//! `check`/`status` commands, through the real binary against a real
//! qbittorrent-nox and fake Arr servers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::daemon::{run_cli, Daemon, TOKEN};
use crate::support::fake_arr::{FakeArr, FakeKind, KEY};
use crate::support::scenario::Scenario;
use crate::support::util::wait_until;
use serde_json::Value;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn wait_for(what: &str, d: &Daemon, timeout: Duration, mut f: impl FnMut() -> bool) {
    assert!(
        wait_until(timeout, Duration::from_millis(100), &mut f),
        "{what} within {timeout:?}:\n{}",
        d.log()
    );
}

#[test]
fn a_crashing_worker_is_restarted_then_stopped_while_the_others_run() {
    // Sonarr-Test's worker panics at the start of every pass (fault injection).
    let Some(s) = Scenario::radarr()
        .sonarr()
        .settings("ProcessRestartDelay = 1\nMaxProcessRestarts = 2\nProcessRestartWindow = 60")
        .env("QBITRR_LITE_FAULT_PANIC", "Sonarr-Test")
        .first_pass_of(&[])
        .start()
    else {
        return;
    };
    let d = &s.daemon;

    wait_for("Sonarr-Test restarting", d, Duration::from_secs(10), || {
        d.process("Sonarr-Test")["restart_count"].as_u64() >= Some(1)
    });
    let radarr_passes = d.process("Radarr-Test")["passes"].as_u64().unwrap();
    wait_for(
        "Sonarr-Test stopped after 2 restarts",
        d,
        Duration::from_secs(15),
        || d.process("Sonarr-Test")["status"] == "stopped",
    );
    let p = d.process("Sonarr-Test");
    assert_eq!(p["restart_count"], 2, "{p}");
    assert!(p["reason"].as_str().unwrap().contains("restart limit"), "{p}");
    assert!(d.log().contains("manual intervention required"), "{}", d.log());
    let (code, body) = d.get("/health", false);
    assert_eq!(code, 503, "{body}");
    let health = json(&body);
    assert_eq!(health["status"], "unhealthy");
    assert!(health["problems"].to_string().contains("Sonarr-Test"), "{body}");
    // The other worker kept going throughout.
    let r = d.process("Radarr-Test");
    assert_eq!(r["status"], "running");
    assert!(r["passes"].as_u64().unwrap() > radarr_passes, "{r}");
    assert_eq!(r["restart_count"], 0);

    // A manual restart resets the count.
    let (code, body) = d.post("/api/processes/Sonarr-Test/restart");
    assert_eq!(code, 200, "{body}");
    // (It crashes again at once, so it may already count one new restart, but no longer two.)
    let p = d.process("Sonarr-Test");
    assert!(p["restart_count"].as_u64() <= Some(1), "{p}");
    assert_ne!(p["status"], "stopped", "{p}");
    assert!(d.log().contains("Sonarr-Test: restart requested"), "{}", d.log());
    let (code, _) = d.post("/api/processes/No-Such/restart");
    assert_eq!(code, 404);
}

#[test]
fn sigterm_mid_request_exits_in_time_and_the_store_reopens() {
    // An Arr that accepts connections and never answers: the worker hangs in a request.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_url = format!("http://{}", black_hole.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        black_hole.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok((s, _)) = black_hole.accept() {
                conns.push(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    // Started once a pass of Radarr-Test completed.
    let Some(mut s) = Scenario::radarr()
        .sonarr_at("Sonarr-Hung", hole_url)
        .first_pass_of(&["Radarr-Test"])
        .start()
    else {
        return;
    };
    std::thread::sleep(Duration::from_millis(500));
    let d = &mut s.daemon;
    let (status, took) = d.terminate();
    assert!(status.success(), "{status:?}\n{}", d.log());
    assert!(took < Duration::from_secs(5), "stopped in {took:?}:\n{}", d.log());
    assert!(d.log().contains("Sonarr-Hung: still busy"), "{}", d.log());

    // Again once a pass of Radarr-Test completed after the restart.
    s.restart_daemon();
    let again = &s.daemon;
    assert!(
        !again.log().contains("could not be read"),
        "the store reopens clean:\n{}",
        again.log()
    );
    drop(s);
    drop(held);
}

#[test]
fn health_follows_qbittorrent() {
    let Some(mut s) = Scenario::radarr().start() else {
        return;
    };
    let d = &s.daemon;
    wait_for("/health 200", d, Duration::from_secs(10), || {
        d.get("/health", false).0 == 200
    });
    let (_, ok_body) = d.get("/health", false);
    assert!(
        ok_body.contains("\"status\":\"ok\""),
        "keyword for Uptime Kuma: {ok_body}"
    );

    s.setup.qbit.stop_process();
    let started = Instant::now();
    wait_for("/health 503", d, Duration::from_secs(30), || {
        d.get("/health", false).0 == 503
    });
    let (_, bad_body) = d.get("/health", false);
    assert!(bad_body.contains("qBittorrent unreachable"), "{bad_body}");
    assert!(bad_body.contains("\"part\":\"qBit\""), "{bad_body}");
    eprintln!("503 after {:?}: {bad_body}", started.elapsed());

    s.setup.qbit.start_again();
    wait_for("/health 200 again", d, Duration::from_secs(60), || {
        d.get("/health", false).0 == 200
    });
    eprintln!("bodies: ok={ok_body} unhealthy={bad_body}");
}

/// qBitrr's HTTP conventions: every route under `UrlBase`, `?token=` with
/// AllowInsecureTokenQuery, `/api/logs`, `restart_all` and the `{category}/{kind}` restart.
#[test]
fn routes_answer_under_the_url_base_with_qbitrrs_conventions() {
    let Some(s) = Scenario::radarr()
        .webui_lines("UrlBase = \"/qbitrr/\"\nAllowInsecureTokenQuery = true")
        .first_pass_of(&[])
        .start()
    else {
        return;
    };
    let d = &s.daemon;
    let base = format!("{}/qbitrr", d.url());
    let call = |method: &str, path: &str, auth: bool| {
        let token = format!("Bearer {TOKEN}");
        let headers: Vec<(&str, &str)> = if auth {
            vec![("Authorization", &token)]
        } else {
            vec![]
        };
        crate::support::util::try_http(method, &format!("{base}{path}"), &headers, None).unwrap_or(
            crate::support::util::HttpReply {
                status: 0,
                headers: Vec::new(),
                body: String::new(),
            },
        )
    };
    // A first pass is not enough: /health can still answer 503 for a moment after it (e.g. while
    // a qBittorrent just started reports no connection), so wait for the 200 asserted below.
    wait_for(
        "/health 200 under the URL base",
        d,
        Duration::from_secs(30),
        || call("GET", "/health", false).status == 200,
    );
    assert_eq!(call("GET", "/health", false).status, 200);
    assert_eq!(d.get("/health", false).0, 404, "only under the URL base");
    assert_eq!(call("GET", "/metricsx", true).status, 404);
    // ?token= is accepted because AllowInsecureTokenQuery is on; a wrong one is not.
    assert_eq!(
        call("GET", &format!("/api/status?token={TOKEN}"), false).status,
        200
    );
    assert_eq!(call("GET", "/api/status?token=wrong", false).status, 401);
    assert_eq!(call("GET", "/api/status", false).status, 401);

    let logs = call("GET", "/api/logs?lines=50", true);
    assert_eq!(logs.status, 200, "{}", logs.body);
    let logs: Value = serde_json::from_str(&logs.body).unwrap();
    let lines = logs["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.as_str().unwrap().contains("Radarr-Test: watching category")),
        "{logs}"
    );
    assert!(lines.len() <= 50);
    let own = call("GET", "/api/logs/Radarr-Test", true);
    assert!(own.body.contains("watching category"), "{}", own.body);
    assert!(!own.body.contains("status server listening"), "{}", own.body);
    assert!(!logs.to_string().contains(TOKEN), "no token in the logs");

    assert_eq!(call("GET", "/api/processes/restart_all", true).status, 405);
    let all = call("POST", "/api/processes/restart_all", true);
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.body.contains("Radarr-Test"), "{}", all.body);
    let torrent = call("POST", "/api/processes/radarr/torrent/restart", true);
    assert_eq!(torrent.status, 200, "{}", torrent.body);
    // The search loop runs in the worker's thread: restarting it restarts the worker.
    let search = call("POST", "/api/processes/radarr/search/restart", true);
    assert_eq!(search.status, 200, "{}", search.body);
    assert_eq!(
        call("POST", "/api/processes/tv/torrent/restart", true).status,
        404
    );
    // Each asked the supervisor (a manual restart does not count towards the restart limit).
    assert_eq!(
        d.log().matches("Radarr-Test: restart requested").count(),
        3,
        "{}",
        d.log()
    );
}

/// `/metrics` as a Prometheus server reads it: `promtool check metrics` finds nothing to
/// say, the conventional families are there, and the labels leave `instance` to Prometheus.
#[test]
fn metrics_pass_promtool_with_the_conventional_families() {
    let Some(promtool) = crate::support::qbittorrent::promtool() else {
        return;
    };
    let Some(s) = Scenario::radarr().start() else {
        return;
    };
    let d = &s.daemon;
    let token = format!("Bearer {TOKEN}");
    let reply = crate::support::util::http(
        "GET",
        &format!("{}/metrics", d.url()),
        &[("Authorization", &token)],
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let mut child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(reply.body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}\n{}",
        reply.body
    );
    let m = &reply.body;
    for family in [
        "process_resident_memory_bytes ",
        "process_cpu_seconds_total ",
        "process_start_time_seconds ",
        "process_open_fds ",
        "process_max_fds ",
        "qbitrr_lite_build_info{version=",
        "qbitrr_lite_upstream_up{upstream=\"qBit\",kind=\"qbittorrent\"} 1",
        "qbitrr_lite_upstream_up{upstream=\"Radarr-Test\",kind=\"radarr\"} 1",
        "qbitrr_lite_worker_running{arr=\"Radarr-Test\"} 1",
        "qbitrr_lite_actions_total{arr=\"Radarr-Test\",rule=\"stalled-delete\"} 0",
    ] {
        assert!(m.contains(family), "{family} missing:\n{m}");
    }
    assert!(!m.contains("instance="), "{m}");
}

#[test]
fn the_api_needs_the_token_and_never_logs_it() {
    let Some(s) = Scenario::radarr().start() else {
        return;
    };
    let d = &s.daemon;

    for path in ["/api/processes", "/api/status", "/metrics"] {
        assert_eq!(d.get(path, false).0, 401, "{path} without a token");
        let wrong = crate::support::util::http(
            "GET",
            &format!("{}{path}", d.url()),
            &[("Authorization", "Bearer not-the-token-0000000")],
            None,
        );
        assert_eq!(wrong.status, 401, "{path} with a wrong token");
        let (code, body) = d.get(path, true);
        assert_eq!(code, 200, "{path}: {body}");
    }
    let (_, status) = d.get("/api/status", true);
    let status = json(&status);
    assert_eq!(status["qbit"][0]["alive"], true, "{status}");
    let qbit_version = s.api().get("app/version", &[]);
    assert_eq!(status["qbit"][0]["version"], qbit_version.trim(), "{status}");
    assert_eq!(status["arrs"][0]["version"], "5.14.0.9383", "{status}");
    let (_, metrics) = d.get("/metrics", true);
    assert!(
        metrics.contains("qbitrr_lite_passes_total{arr=\"Radarr-Test\"}"),
        "{metrics}"
    );
    let commits = metrics
        .lines()
        .find_map(|l| l.strip_prefix("qbitrr_lite_store_commits_total "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(commits.is_some(), "the store's commits: {metrics}");
    assert_eq!(d.get("/nope", true).0, 404);
    assert_eq!(d.post("/health").0, 405);
    assert_eq!(d.get("/api/config/reload", true).0, 405);

    let logs = d.data_dir.join("logs");
    let main = std::fs::read_to_string(logs.join("Main.log")).unwrap();
    let section_log = std::fs::read_to_string(logs.join("Radarr-Test.log")).unwrap();
    assert!(
        section_log.contains("Radarr-Test: watching category"),
        "{section_log}"
    );
    assert!(
        !section_log.contains("status server listening"),
        "only the section's lines"
    );
    for text in [main.as_str(), section_log.as_str(), &d.log()] {
        assert!(!text.contains(TOKEN), "the token leaked into a log");
        assert!(!text.contains(KEY), "an API key leaked into a log");
        assert!(!text.contains("adminadmin"), "a password leaked into a log");
    }
}

#[test]
fn an_empty_token_is_generated_once_and_kept_private() {
    let Some(s) = Scenario::radarr().generated_token().start() else {
        return;
    };
    let d = &s.daemon;
    let file = d.data_dir.join("webui-token");
    wait_for("the token file", d, Duration::from_secs(10), || file.exists());
    let token = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert_eq!(token.len(), 64);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let ok = crate::support::util::http(
        "GET",
        &format!("{}/api/processes", d.url()),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(ok.status, 200);
    assert!(
        d.log().contains(&file.display().to_string()),
        "says where the token is"
    );
    assert!(!d.log().contains(&token), "never prints the token");
    assert!(
        !std::fs::read_to_string(&d.config_path).unwrap().contains(&token),
        "the config is not rewritten"
    );
}

#[test]
fn malformed_requests_do_not_stop_the_server_or_the_workers() {
    let Some(s) = Scenario::radarr().start() else {
        return;
    };
    let d = &s.daemon;
    wait_for("a pass", d, Duration::from_secs(10), || {
        d.get("/health", false).0 == 200
    });
    let addr = format!("127.0.0.1:{}", d.port);
    let send = |bytes: &[u8]| {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let _ = s.write_all(bytes);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    // Garbage bytes.
    let garbage = send(&[0xff, 0x00, 0x13, 0x37, b'\r', b'\n', b'\r', b'\n']);
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    let garbage = send(b"NOT HTTP AT ALL\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    // A huge header.
    let huge = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let huge = send(huge.as_bytes());
    assert!(huge.starts_with("HTTP/1.1 431"), "{huge}");
    // An oversized body.
    let big = send(b"POST /api/config/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
    assert!(big.starts_with("HTTP/1.1 413"), "{big}");
    // Slowloris: partial requests held open for a while (bounded: 5 connections, 2 s).
    let slow: Vec<TcpStream> = (0..5)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
            s
        })
        .collect();
    let mut passes = None;
    wait_for(
        "/api/processes while slow connections are open",
        d,
        Duration::from_secs(10),
        || {
            passes = d.process("Radarr-Test")["passes"].as_u64();
            passes.is_some()
        },
    );
    std::thread::sleep(Duration::from_secs(2));
    wait_for(
        "/health 200 while slow connections are open",
        d,
        Duration::from_secs(10),
        || d.get("/health", false).0 == 200,
    );
    wait_for("the worker kept working", d, Duration::from_secs(10), || {
        d.process("Radarr-Test")["passes"].as_u64() > passes
    });
    drop(slow);
}

#[test]
fn config_edits_restart_only_the_affected_worker_and_bad_edits_are_refused() {
    // Started once both workers completed a pass.
    let Some(s) = Scenario::radarr().sonarr().start() else {
        return;
    };
    let (d, cfg) = (&s.daemon, &s.config);
    std::thread::sleep(Duration::from_millis(1100));
    let sonarr_uptime = d.process("Sonarr-Test")["uptime"].as_i64().unwrap();

    // Change Radarr-Test's category.
    std::fs::write(
        &d.config_path,
        cfg.replace("Category = \"radarr\"", "Category = \"movies\""),
    )
    .unwrap();
    wait_for("the new category", d, Duration::from_secs(10), || {
        d.process("Radarr-Test")["category"] == "movies"
    });
    wait_for(
        "qBittorrent asked for the new category",
        d,
        Duration::from_secs(10),
        || d.log().contains("Radarr-Test: watching category \"movies\""),
    );
    let sonarr_now = d.process("Sonarr-Test")["uptime"].as_i64().unwrap();
    assert!(
        sonarr_now >= sonarr_uptime,
        "Sonarr-Test was not restarted ({sonarr_uptime} → {sonarr_now})"
    );

    // An invalid edit: the daemon keeps running on the old config and says why.
    std::fs::write(
        &d.config_path,
        cfg.replace("LoopSleepTimer = 1", "LoopSleepTimer = \"soon\""),
    )
    .unwrap();
    wait_for(
        "the config error in /api/status",
        d,
        Duration::from_secs(10),
        || json(&d.get("/api/status", true).1)["config"]["error"].is_string(),
    );
    assert!(
        d.log()
            .contains("the new config is invalid; still running the previous one"),
        "{}",
        d.log()
    );
    assert_eq!(d.process("Radarr-Test")["status"], "running");
    assert_eq!(d.process("Radarr-Test")["category"], "movies");
    // A reload through the API says the same.
    let (code, body) = d.post("/api/config/reload");
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("LoopSleepTimer"), "{body}");
}

#[test]
fn check_and_status_commands() {
    let Some(setup) = Scenario::radarr().setup() else {
        return;
    };
    let (radarr, path) = (setup.radarr(), setup.config_path.to_str().unwrap());
    let (code, out, err) = run_cli(&["check", "--config", path]);
    assert_eq!(code, 0, "{out}{err}");
    let qbit_version = setup.api().get("app/version", &[]);
    assert!(
        out.contains(qbit_version.trim()) && out.contains("Radarr 5.14.0.9383"),
        "{out}"
    );

    radarr.set_down(true);
    let (code, out, _) = run_cli(&["check", "--config", path]);
    assert_eq!(code, 1, "{out}");
    radarr.set_down(false);

    // Mistakes in the Radarr section's URI, each explained in words.
    let sonarr = FakeArr::start(FakeKind::Sonarr, KEY);
    let mistakes = [
        (
            sonarr.url(),
            "[Radarr-Test] is a Radarr section, but its URI reaches a Sonarr",
        ),
        (format!("{}/radarr", radarr.url()), "URL Base"),
        (
            radarr.url().replace("http://", "https://"),
            // (a server that answers the TLS hello with an error says "plain HTTP, not HTTPS";
            // this fake waits for a request line, so the handshake times out)
            "write http:// in [Radarr-Test] URI",
        ),
    ];
    for (uri, says) in mistakes {
        let wrong = setup.dir.path().join("mistake.toml");
        let text = setup.config.replace(
            &format!("URI = \"{}\"", radarr.url()),
            &format!("URI = \"{uri}\""),
        );
        assert_ne!(text, setup.config);
        std::fs::write(&wrong, text).unwrap();
        let (code, out, err) = run_cli(&["check", "--config", wrong.to_str().unwrap()]);
        assert_eq!(code, 1, "{uri}: {out}{err}");
        assert!(err.contains(says), "{uri}: {err}");
    }

    let mut s = setup.start_daemon();
    let config = s.daemon.config_path.to_str().unwrap().to_string();
    let d = &s.daemon;
    wait_for("a pass", d, Duration::from_secs(10), || {
        d.get("/health", false).0 == 200
    });
    let (code, out, err) = run_cli(&["status", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Radarr-Test") && out.contains("running"), "{out}");
    let (code, _, _) = run_cli(&["status", "--url", &d.url(), "--token", "wrong"]);
    assert_eq!(code, 1);

    // `health`: 0 when healthy, 1 when not or not answering, 2 on bad usage.
    let (code, out, err) = run_cli(&["health", "--config", &config]);
    assert_eq!(
        (code, out.trim_end()),
        (0, format!("healthy ({})", d.url()).as_str()),
        "{err}"
    );
    let (code, out, _) = run_cli(&["health", "--url", "http://127.0.0.1:9"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not answer"), "{out}");
    let (code, _, err) = run_cli(&["health", "--bogus"]);
    assert_eq!(code, 2, "{err}");

    s.qbit.stop_process();
    let d = &s.daemon;
    wait_for("/health 503", d, Duration::from_secs(60), || {
        d.get("/health", false).0 == 503
    });
    let (code, out, _) = run_cli(&["health", "--config", &config]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("unhealthy") && out.contains("qBit: qBittorrent unreachable"),
        "{out}"
    );
    let (code, out, err) = run_cli(&["status", "--config", &config]);
    assert_eq!(code, 1, "the table, then unhealthy: {out}{err}");
    assert!(
        out.contains("Radarr-Test") && err.contains("qBittorrent unreachable"),
        "{err}"
    );
}

/// What arrives on a notify socket for `for_how_long`.
fn notifications(socket: &std::os::unix::net::UnixDatagram, for_how_long: Duration) -> Vec<String> {
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let deadline = Instant::now() + for_how_long;
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    got
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Under systemd (`Type=notify`, `WatchdogSec`): READY once the workers run, the watchdog
/// fed while they make progress, STOPPING at SIGTERM; a stuck worker starves the watchdog.
#[test]
fn systemd_is_told_ready_fed_while_workers_progress_and_told_stopping() {
    let dir = crate::support::util::temp_dir("notify");
    let path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    let path = leak(path.display().to_string());
    let Some(mut s) = Scenario::radarr()
        .env("NOTIFY_SOCKET", path)
        .env("WATCHDOG_USEC", "1000000")
        .start()
    else {
        return;
    };
    let got = notifications(&socket, Duration::from_secs(3));
    assert_eq!(got.first().map(String::as_str), Some("READY=1"), "{got:?}");
    let pings = got.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(pings >= 4, "fed every half second: {got:?}");
    let (status, _) = s.daemon.terminate();
    assert!(status.success());
    let got = notifications(&socket, Duration::from_millis(300));
    assert!(got.contains(&"STOPPING=1".to_string()), "{got:?}");

    // A worker that hangs: once it is overdue, the watchdog is no longer fed.
    let Some(s) = Scenario::radarr()
        .env("NOTIFY_SOCKET", path)
        .env("WATCHDOG_USEC", "1000000")
        .env("QBITRR_LITE_FAULT_HANG", "Radarr-Test")
        .env("QBITRR_LITE_FAULT_STUCK_AFTER_SECS", "2")
        .first_pass_of(&[])
        .start()
    else {
        return;
    };
    let early = notifications(&socket, Duration::from_secs(4));
    assert_eq!(early.first().map(String::as_str), Some("READY=1"), "{early:?}");
    let late = notifications(&socket, Duration::from_secs(3));
    assert!(
        !late.contains(&"WATCHDOG=1".to_string()),
        "still fed while stuck: {late:?}\n{}",
        s.daemon.log()
    );
    s.daemon
        .wait_for_log("the service watchdog is no longer fed", Duration::from_secs(1));
    assert!(s.daemon.log().contains("Radarr-Test"));
}

/// `GET /health` on a new connection, within `limit` from connecting to the last byte:
/// the status code, or the error.
fn health_within(port: u16, limit: Duration) -> Result<u16, String> {
    let started = Instant::now();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, limit).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(limit)).map_err(|e| e.to_string())?;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .map_err(|e| format!("read after {:?}: {e}", started.elapsed()))?;
    if started.elapsed() > limit {
        return Err(format!("answered after {:?}", started.elapsed()));
    }
    let text = String::from_utf8_lossy(&answer);
    text.get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {text:?}"))
}

/// Lets this test process hold many sockets (the soft limit is often 1,024).
fn raise_own_open_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

/// The soft and hard `Max open files` of a process.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let mut fields = line["Max open files".len()..].split_whitespace();
    (
        fields.next().unwrap().to_string(),
        fields.next().unwrap().to_string(),
    )
}

#[test]
fn health_answers_within_a_second_through_600_idle_connections() {
    let Some(s) = Scenario::radarr().start() else {
        return;
    };
    let d = &s.daemon;
    wait_for("a pass", d, Duration::from_secs(10), || {
        d.get("/health", false).0 == 200
    });
    let (soft, hard) = open_file_limits(d.pid());
    assert_eq!(
        soft, hard,
        "the daemon raised its soft open-file limit to the hard one"
    );
    raise_own_open_file_limit();
    let addr = format!("127.0.0.1:{}", d.port);
    let passes = d.process("Radarr-Test")["passes"].as_u64();
    let mut idle = Vec::new();
    for i in 0..600 {
        let mut c = TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connection {i}: {e}"));
        // Half send nothing, half a request head that never ends.
        if i % 2 == 1 {
            let _ = c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n");
        }
        idle.push(c);
        if i % 100 == 99 {
            let status = health_within(d.port, Duration::from_secs(1));
            assert_eq!(
                status,
                Ok(200),
                "with {} idle connections open:\n{}",
                i + 1,
                d.log()
            );
        }
    }
    drop(idle);
    let status = health_within(d.port, Duration::from_secs(1));
    assert_eq!(status, Ok(200), "after the idle connections closed:\n{}", d.log());
    wait_for("the worker kept working", d, Duration::from_secs(10), || {
        d.process("Radarr-Test")["passes"].as_u64() > passes
    });
    d.wait_for_log("connections open (the most kept)", Duration::from_secs(1));
}

#[test]
fn running_out_of_file_descriptors_closes_idle_connections_not_the_listener() {
    let Some(s) = Scenario::radarr().start() else {
        return;
    };
    let d = &s.daemon;
    wait_for("a pass", d, Duration::from_secs(10), || {
        d.get("/health", false).0 == 200
    });
    // Far below what the idle connections below need.
    let limited = std::process::Command::new("prlimit")
        .args(["--pid", &d.pid().to_string(), "--nofile=64:64"])
        .status()
        .expect("run prlimit (util-linux)");
    assert!(limited.success());
    let addr = format!("127.0.0.1:{}", d.port);
    let mut idle = Vec::new();
    for i in 0..120 {
        idle.push(TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connection {i}: {e}")));
        if i % 20 == 19 {
            // Any answer: a worker that cannot open a connection to qBittorrent may make it 503.
            let status = health_within(d.port, Duration::from_secs(1));
            assert!(
                status.is_ok(),
                "with {} idle connections open: {status:?}\n{}",
                i + 1,
                d.log()
            );
        }
    }
    d.wait_for_log("out of file descriptors", Duration::from_secs(5));
    drop(idle);
    wait_for(
        "/health 200 once the idle connections closed",
        d,
        Duration::from_secs(15),
        || health_within(d.port, Duration::from_secs(1)) == Ok(200),
    );
    let passes = d.process("Radarr-Test")["passes"].as_u64();
    wait_for("the worker kept working", d, Duration::from_secs(15), || {
        d.process("Radarr-Test")["passes"].as_u64() > passes
    });
}
