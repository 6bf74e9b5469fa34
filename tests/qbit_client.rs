//! The qBittorrent client against a scripted WebUI: the login answers of
//! 4.x–5.1 ("Ok."/"Fails." with 200) and 5.2 (204/401), re-login on 403,
//! the waits after a refused or banned login, the API-key Bearer mode, and
//! version-gated endpoints (also across an in-place upgrade).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::util::{request_header, LoopbackServer};
use qbitrr_lite::config::load_str;
use qbitrr_lite::http::HttpError;
use qbitrr_lite::qbit::{LoginBackoff, QbitClient};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    url: String,
    cookie: Option<String>,
    authorization: Option<String>,
    body: String,
}

type Reply = (u16, Vec<(&'static str, String)>, String);

/// A scripted qBittorrent WebUI on 127.0.0.1.
struct Scripted {
    _server: LoopbackServer,
    seen: Arc<Mutex<Vec<Seen>>>,
    url: String,
}

impl Scripted {
    /// Answers each request with `handler(request, how many requests so far had its URL)`.
    fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + 'static) -> Self {
        let mut server = LoopbackServer::bind();
        let url = server.url();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        server.serve("scripted-qbittorrent", move |mut req| {
            let mut body = String::new();
            let _ = req.as_reader().read_to_string(&mut body);
            let s = Seen {
                method: req.method().as_str().to_string(),
                url: req.url().to_string(),
                cookie: request_header(&req, "Cookie"),
                authorization: request_header(&req, "Authorization"),
                body,
            };
            let n = {
                let mut l = log.lock().unwrap();
                l.push(s.clone());
                l.iter().filter(|x| x.url == s.url).count()
            };
            let (status, headers, text) = handler(&s, n);
            let mut resp = tiny_http::Response::from_string(text).with_status_code(status);
            for (k, v) in headers {
                resp.add_header(tiny_http::Header::from_bytes(k, v.as_bytes()).unwrap());
            }
            let _ = req.respond(resp);
        });
        Self {
            _server: server,
            seen,
            url,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.url.split('?').next() == Some(path))
            .count()
    }
}

/// A client for `url` as the daemon builds it from a `[qBit]` section.
fn client(url: &str, api_key: Option<&str>) -> QbitClient {
    let key = api_key.map_or(String::new(), |k| format!("APIKey = \"{k}\""));
    let text = format!("[qBit]\nHost = \"{url}\"\nUserName = \"admin\"\nPassword = \"secret\"\n{key}\n");
    let loaded = load_str(&text, "config.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    QbitClient::new(&loaded.config.qbit[0])
}

/// No wait between logins: lets a test see the retries without sleeping
/// (the default waits are minutes; their schedule is unit-tested in src/qbit/login.rs).
const NO_WAIT: LoginBackoff = LoginBackoff {
    ban_first: Duration::ZERO,
    ban_max: Duration::ZERO,
    refused: Duration::ZERO,
    refused_max: u32::MAX,
};

const LIST: &str = r#"[{"hash":"ABC","name":"n","category":"radarr","state":"stalledDL","tags":""}]"#;

fn ok(body: &str) -> Reply {
    (200, vec![], body.to_string())
}

/// An `auth/login` answer that sets `cookie`.
fn login(status: u16, cookie: impl Into<String>, body: &str) -> Reply {
    (status, vec![("Set-Cookie", cookie.into())], body.to_string())
}

#[test]
fn v4_login_keeps_the_sid_cookie() {
    let fake = Scripted::start(|s, _| match s.url.split('?').next().unwrap() {
        "/api/v2/auth/login" => login(200, "SID=abc123; HttpOnly; path=/", "Ok."),
        "/api/v2/torrents/info" if s.cookie.as_deref() == Some("SID=abc123") => ok(LIST),
        _ => (403, vec![], "Forbidden".into()),
    });
    let c = client(&fake.url, None);
    let list = c.torrents("radarr").unwrap();
    assert_eq!(list[0].hash, "abc");
    let info = fake
        .seen()
        .into_iter()
        .find(|s| s.url.starts_with("/api/v2/torrents/info"))
        .unwrap();
    assert!(
        info.url.contains("category=radarr") && info.url.contains("filter=all"),
        "{}",
        info.url
    );
    let login = fake
        .seen()
        .into_iter()
        .find(|s| s.url == "/api/v2/auth/login")
        .unwrap();
    assert_eq!(login.method, "POST");
    assert!(login.body.contains("username=admin"));
    // Later calls reuse the session.
    c.torrents("radarr").unwrap();
    assert_eq!(fake.count("/api/v2/auth/login"), 1);
}

#[test]
fn v52_login_answers_204_with_a_cookie() {
    let fake = Scripted::start(|s, _| match s.url.split('?').next().unwrap() {
        "/api/v2/auth/login" => login(204, "SID=xyz; HttpOnly", ""),
        "/api/v2/torrents/info" if s.cookie.as_deref() == Some("SID=xyz") => ok("[]"),
        _ => (403, vec![], String::new()),
    });
    assert!(client(&fake.url, None).torrents("x").unwrap().is_empty());
}

#[test]
fn a_refused_password_is_not_retried_before_the_slow_interval() {
    for (status, body) in [(200, "Fails."), (401, "")] {
        let fake = Scripted::start(move |_, _| (status, vec![], body.to_string()));
        let c = client(&fake.url, None);
        for _ in 0..3 {
            let err = c.torrents("radarr").unwrap_err();
            assert!(matches!(err, HttpError::Auth { .. }), "{err}");
            assert!(!err.is_transient());
            assert!(
                !err.to_string().contains("secret"),
                "the password never shows: {err}"
            );
            assert!(err.to_string().contains("next login attempt in"), "{err}");
        }
        assert_eq!(
            fake.count("/api/v2/auth/login"),
            1,
            "one login attempt within the interval (status {status})"
        );
    }
}

#[test]
fn a_password_fixed_in_qbittorrent_is_picked_up_without_a_restart() {
    // The first login is refused; then the user sets the password the config names.
    let fake = Scripted::start(|s, n| match s.url.split('?').next().unwrap() {
        "/api/v2/auth/login" if n == 1 => ok("Fails."),
        "/api/v2/auth/login" => login(200, "SID=fixed", "Ok."),
        "/api/v2/torrents/info" if s.cookie.as_deref() == Some("SID=fixed") => ok(LIST),
        _ => (403, vec![], "Forbidden".into()),
    });
    let c = client(&fake.url, None).with_login_backoff(NO_WAIT);
    let err = c.torrents("radarr").unwrap_err();
    assert!(matches!(err, HttpError::Auth { .. }), "{err}");
    assert_eq!(
        c.torrents("radarr").unwrap().len(),
        1,
        "retried once the wait is over"
    );
    assert_eq!(fake.count("/api/v2/auth/login"), 2);
}

/// A WebUI whose first `bans` logins answer 403 (IP banned), then accepts.
fn banning(bans: usize) -> Scripted {
    Scripted::start(move |s, n| match s.url.split('?').next().unwrap() {
        "/api/v2/auth/login" if n <= bans => (
            403,
            vec![],
            "Your IP address has been banned after too many failed authentication attempts.".into(),
        ),
        "/api/v2/auth/login" => login(200, "SID=welcome", "Ok."),
        "/api/v2/torrents/info" if s.cookie.as_deref() == Some("SID=welcome") => ok(LIST),
        _ => (403, vec![], "Forbidden".into()),
    })
}

#[test]
fn a_login_ban_fails_fast_while_backing_off() {
    let fake = banning(1);
    let c = client(&fake.url, None);
    for _ in 0..3 {
        let err = c.torrents("radarr").unwrap_err();
        assert!(matches!(err, HttpError::Banned { .. }), "{err}");
        assert!(err.is_transient(), "a ban lifts by itself");
        assert!(err.to_string().contains("has been banned"), "{err}");
    }
    assert_eq!(fake.count("/api/v2/auth/login"), 1, "no login while backing off");
    assert_eq!(fake.count("/api/v2/torrents/info"), 0);
}

#[test]
fn a_login_ban_is_retried_and_the_client_recovers_without_a_restart() {
    let fake = banning(3);
    let c = client(&fake.url, None).with_login_backoff(NO_WAIT);
    for _ in 0..3 {
        let err = c.torrents("radarr").unwrap_err();
        assert!(matches!(err, HttpError::Banned { .. }), "{err}");
    }
    assert_eq!(c.torrents("radarr").unwrap().len(), 1, "the ban lifted");
    assert_eq!(c.torrents("radarr").unwrap().len(), 1);
    assert_eq!(
        fake.count("/api/v2/auth/login"),
        4,
        "one login per try, then the session is kept"
    );
}

#[test]
fn an_expired_session_logs_in_again_once() {
    let fake = Scripted::start(|s, n| match s.url.split('?').next().unwrap() {
        "/api/v2/auth/login" => login(200, format!("SID=s{n}; path=/"), "Ok."),
        // The first session expires after one call.
        "/api/v2/torrents/info" if s.cookie.as_deref() == Some("SID=s1") && n == 1 => ok(LIST),
        "/api/v2/torrents/info" if s.cookie.as_deref() == Some("SID=s2") => ok(LIST),
        _ => (403, vec![], "Forbidden".into()),
    });
    let c = client(&fake.url, None);
    assert_eq!(c.torrents("radarr").unwrap().len(), 1);
    assert_eq!(
        c.torrents("radarr").unwrap().len(),
        1,
        "re-logged in after the 403"
    );
    assert_eq!(fake.count("/api/v2/auth/login"), 2);
}

#[test]
fn an_api_key_is_a_bearer_token_and_needs_no_login() {
    let fake = Scripted::start(|s, _| match s.authorization.as_deref() {
        Some("Bearer k3y") => ok("[]"),
        _ => (401, vec![], String::new()),
    });
    let c = client(&fake.url, Some("k3y"));
    c.torrents("radarr").unwrap();
    assert_eq!(fake.count("/api/v2/auth/login"), 0);
}

#[test]
fn stop_start_or_pause_resume_by_webapi_version() {
    for (version, pause, resume) in [
        ("2.8.19", "/api/v2/torrents/pause", "/api/v2/torrents/resume"),
        ("2.11.2", "/api/v2/torrents/stop", "/api/v2/torrents/start"),
        ("2.15.1", "/api/v2/torrents/stop", "/api/v2/torrents/start"),
    ] {
        let fake = Scripted::start(move |s, _| match s.url.as_str() {
            "/api/v2/auth/login" => login(200, "SID=a", "Ok."),
            "/api/v2/app/webapiVersion" => ok(version),
            _ => (200, vec![], String::new()),
        });
        let c = client(&fake.url, None);
        c.pause(&["aa", "bb"]).unwrap();
        c.resume(&["aa"]).unwrap();
        assert_eq!(c.capabilities().unwrap().stop_start, version != "2.8.19");
        let seen = fake.seen();
        let p = seen
            .iter()
            .find(|s| s.url == pause)
            .unwrap_or_else(|| panic!("{version}: no {pause}"));
        assert_eq!(p.body, "hashes=aa%7Cbb");
        assert!(seen.iter().any(|s| s.url == resume), "{version}: no {resume}");
        assert_eq!(
            fake.count("/api/v2/app/webapiVersion"),
            1,
            "capabilities are cached"
        );
    }
}

#[test]
fn an_in_place_upgrade_is_detected_again_after_the_re_login() {
    // qBittorrent 4.5 (WebAPI 2.8.19) restarts as 5.0 (2.11.2) between two calls:
    // the old session is gone (403) and torrents/resume no longer exists (404).
    let upgraded = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&upgraded);
    let fake = Scripted::start(move |s, _| {
        let v5 = flag.load(Ordering::SeqCst);
        let sid = if v5 { "SID=v5" } else { "SID=v4" };
        let path = s.url.split('?').next().unwrap();
        if path == "/api/v2/auth/login" {
            return login(200, sid, "Ok.");
        }
        if s.cookie.as_deref() != Some(sid) {
            return (403, vec![], "Forbidden".into());
        }
        match (path, v5) {
            ("/api/v2/app/webapiVersion", false) => ok("2.8.19"),
            ("/api/v2/app/webapiVersion", true) => ok("2.11.2"),
            ("/api/v2/torrents/pause" | "/api/v2/torrents/resume", false)
            | ("/api/v2/torrents/stop" | "/api/v2/torrents/start", true) => ok(""),
            _ => (404, vec![], "Not Found".into()),
        }
    });
    let c = client(&fake.url, None);
    c.resume(&["aa"]).unwrap();
    assert!(!c.capabilities().unwrap().stop_start);
    let before = fake.seen().len();

    upgraded.store(true, Ordering::SeqCst);
    c.resume(&["aa"]).unwrap();
    let after: Vec<String> = fake.seen()[before..].iter().map(|s| s.url.clone()).collect();
    assert_eq!(
        after,
        [
            "/api/v2/torrents/resume", // 403: the session died with the restart
            "/api/v2/auth/login",
            "/api/v2/torrents/resume", // 404: gone in 5.0
            "/api/v2/app/webapiVersion",
            "/api/v2/torrents/start",
        ]
    );
    assert!(c.capabilities().unwrap().stop_start);
    c.pause(&["aa"]).unwrap();
    assert_eq!(
        fake.seen().last().map(|s| s.url.as_str()),
        Some("/api/v2/torrents/stop"),
        "the new capabilities are kept"
    );
    assert_eq!(fake.count("/api/v2/app/webapiVersion"), 2);
}

#[test]
fn a_new_session_detects_the_version_again_before_a_gated_call() {
    // Same upgrade, but first seen by the torrent list: the re-login alone
    // makes the next resume use torrents/start, with no 404 on the way.
    let upgraded = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&upgraded);
    let fake = Scripted::start(move |s, _| {
        let v5 = flag.load(Ordering::SeqCst);
        let sid = if v5 { "SID=v5" } else { "SID=v4" };
        match s.url.split('?').next().unwrap() {
            "/api/v2/auth/login" => login(200, sid, "Ok."),
            _ if s.cookie.as_deref() != Some(sid) => (403, vec![], "Forbidden".into()),
            "/api/v2/app/webapiVersion" => ok(if v5 { "2.11.2" } else { "2.8.19" }),
            "/api/v2/torrents/info" => ok("[]"),
            "/api/v2/torrents/start" if v5 => ok(""),
            "/api/v2/torrents/resume" if !v5 => ok(""),
            _ => (404, vec![], "Not Found".into()),
        }
    });
    let c = client(&fake.url, None);
    c.resume(&["aa"]).unwrap();
    upgraded.store(true, Ordering::SeqCst);
    c.torrents("radarr").unwrap();
    c.resume(&["aa"]).unwrap();
    assert_eq!(
        fake.count("/api/v2/torrents/resume"),
        1,
        "no 404 after the re-login"
    );
    assert_eq!(fake.count("/api/v2/torrents/start"), 1);
    assert_eq!(fake.count("/api/v2/app/webapiVersion"), 2);
}

#[test]
fn a_404_from_an_endpoint_of_the_same_version_is_an_error() {
    // Detected again, the version still names torrents/resume: not repeated.
    let fake = Scripted::start(|s, _| match s.url.as_str() {
        "/api/v2/auth/login" => login(200, "SID=a", "Ok."),
        "/api/v2/app/webapiVersion" => ok("2.8.19"),
        _ => (404, vec![], "Not Found".into()),
    });
    let c = client(&fake.url, None);
    let err = c.resume(&["aa"]).unwrap_err();
    assert!(matches!(err, HttpError::Status { status: 404, .. }), "{err}");
    assert_eq!(fake.count("/api/v2/torrents/resume"), 1);
    assert_eq!(fake.count("/api/v2/app/webapiVersion"), 2);
}

#[test]
fn mutating_calls_are_form_posts() {
    let fake = Scripted::start(|s, _| match s.url.as_str() {
        "/api/v2/auth/login" => login(200, "SID=a", "Ok."),
        _ => (200, vec![], String::new()),
    });
    let c = client(&fake.url, None);
    c.delete(&["aa"], true).unwrap();
    c.delete(&["bb"], false).unwrap();
    c.add_tags(&["aa"], &["qBitrr-imported"]).unwrap();
    c.recheck(&["aa"]).unwrap();
    c.set_category(&["aa"], "failed").unwrap();
    let bodies: Vec<(String, String)> = fake
        .seen()
        .into_iter()
        .filter(|s| s.url != "/api/v2/auth/login")
        .map(|s| (s.url, s.body))
        .collect();
    assert_eq!(
        bodies,
        vec![
            (
                "/api/v2/torrents/delete".into(),
                "hashes=aa&deleteFiles=true".into()
            ),
            (
                "/api/v2/torrents/delete".into(),
                "hashes=bb&deleteFiles=false".into()
            ),
            (
                "/api/v2/torrents/addTags".into(),
                "hashes=aa&tags=qBitrr-imported".into()
            ),
            ("/api/v2/torrents/recheck".into(), "hashes=aa".into()),
            (
                "/api/v2/torrents/setCategory".into(),
                "hashes=aa&category=failed".into()
            ),
        ]
    );
    for s in fake.seen() {
        assert_eq!(s.method, "POST", "{}", s.url);
    }
}

#[test]
fn garbage_and_outages_are_errors_not_panics() {
    let fake = Scripted::start(|s, _| match s.url.split('?').next().unwrap() {
        "/api/v2/auth/login" => login(200, "SID=a", "Ok."),
        _ => ok("<html>not json"),
    });
    let err = client(&fake.url, None).torrents("radarr").unwrap_err();
    assert!(matches!(err, HttpError::Decode { .. }), "{err}");
    assert!(err.is_transient());
    drop(fake);
    let err = client("http://127.0.0.1:9", None).torrents("radarr").unwrap_err();
    assert!(matches!(err, HttpError::Unreachable { .. }), "{err}");
}

/// What a scripted qBittorrent serves the daemon: a session generation (a new one
/// expires every older cookie, as a restart does), the WebAPI version, one paused
/// download in `radarr`, and a ban switch.
struct Served {
    banned: bool,
    generation: u32,
    webapi: &'static str,
    state: &'static str,
}

/// The daemon run against a scripted qBittorrent (`served`) and a fake Radarr.
fn daemon_on_scripted(
    dir: &std::path::Path,
    served: Arc<Mutex<Served>>,
) -> (
    Scripted,
    crate::support::fake_arr::FakeArr,
    crate::support::daemon::Daemon,
) {
    use crate::support::fake_arr::{FakeArr, FakeKind, KEY};
    let fake = Scripted::start(move |s, _| {
        let st = served.lock().unwrap();
        let cookie = format!("SID=g{}", st.generation);
        let path = s.url.split('?').next().unwrap_or("");
        if path == "/api/v2/auth/login" {
            return if st.banned {
                (
                    403,
                    vec![],
                    "Your IP address has been banned after too many failed authentication attempts.".into(),
                )
            } else {
                login(200, cookie, "Ok.")
            };
        }
        if s.cookie.as_deref() != Some(cookie.as_str()) {
            return (403, vec![], "Forbidden".into());
        }
        let v5 = st.webapi.starts_with("2.11");
        match path {
            "/api/v2/app/webapiVersion" => ok(st.webapi),
            "/api/v2/app/version" => ok(if v5 { "v5.0.0" } else { "v4.5.2" }),
            "/api/v2/torrents/info"
                if s.url.contains("category=radarr") || s.url.contains(&"ab".repeat(20)) =>
            {
                ok(&format!(
                    r#"[{{"hash":"{}","name":"Paused.Movie","category":"radarr","state":"{}","tags":"","amount_left":100,"size":200,"progress":0.5,"added_on":1000,"completion_on":-1}}]"#,
                    "ab".repeat(20),
                    st.state
                ))
            }
            // 5.x is read by sync/maindata: always a full update here.
            "/api/v2/sync/maindata" => ok(&format!(
                r#"{{"rid":1,"full_update":true,"torrents":{{"{}":{{"name":"Paused.Movie","category":"radarr","state":"{}","tags":"","amount_left":100,"size":200,"progress":0.5,"added_on":1000,"completion_on":-1}}}}}}"#,
                "ab".repeat(20),
                st.state
            )),
            "/api/v2/torrents/info" => ok("[]"),
            "/api/v2/torrents/resume" | "/api/v2/torrents/pause" if v5 => (404, vec![], "Not Found".into()),
            "/api/v2/torrents/start" | "/api/v2/torrents/stop" if !v5 => (404, vec![], "Not Found".into()),
            _ => ok(""),
        }
    });
    let arr = FakeArr::start(FakeKind::Radarr, KEY);
    let port = crate::support::util::free_tcp_port();
    let config = format!(
        "[Settings]\nConsoleLevel = \"DEBUG\"\nLoopSleepTimer = 1\n\n\
         [WebUI]\nHost = \"127.0.0.1\"\nPort = {port}\nToken = \"{token}\"\n\n\
         [qBit]\nHost = \"{qbit}\"\nUserName = \"admin\"\nPassword = \"secret\"\n\n\
         [Radarr-Test]\nManaged = true\nURI = \"{arr}\"\nAPIKey = \"{KEY}\"\nCategory = \"radarr\"\n",
        token = crate::support::daemon::TOKEN,
        qbit = fake.url,
        arr = arr.url(),
    );
    let daemon = crate::support::daemon::Daemon::start(
        dir,
        &config,
        &[],
        &[("QBITRR_LITE_FAULT_LOGIN_WAIT_SECS", "1")],
    );
    (fake, arr, daemon)
}

#[test]
fn the_daemon_recovers_when_a_login_ban_lifts() {
    let dir = crate::support::util::temp_dir("ban-lifts");
    let served = Arc::new(Mutex::new(Served {
        banned: true,
        generation: 1,
        webapi: "2.8.19",
        state: "stalledDL",
    }));
    let (fake, _arr, mut daemon) = daemon_on_scripted(dir.path(), Arc::clone(&served));
    let named_ban = |daemon: &crate::support::daemon::Daemon| {
        crate::support::util::wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            let (status, body) = daemon.get("/health", false);
            status == 503 && body.contains("login banned")
        })
    };
    assert!(named_ban(&daemon), "/health names the ban:\n{}", daemon.log());
    served.lock().unwrap().banned = false;
    let healthy =
        crate::support::util::wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            daemon.get("/health", false).0 == 200
        });
    assert!(healthy, "recovered without a restart:\n{}", daemon.log());
    assert!(
        fake.count("/api/v2/torrents/info") > 0,
        "the daemon reads qBittorrent again"
    );

    // Banned again (qBittorrent restarted, the session gone): SIGTERM stops it in time.
    {
        let mut st = served.lock().unwrap();
        st.banned = true;
        st.generation += 1;
    }
    assert!(named_ban(&daemon), "/health names the new ban:\n{}", daemon.log());
    let (status, took) = daemon.terminate();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    assert!(took < Duration::from_secs(5), "stopped in {took:?}");
}

#[test]
fn after_an_in_place_upgrade_the_daemon_uses_start_instead_of_resume() {
    let dir = crate::support::util::temp_dir("upgrade");
    let served = Arc::new(Mutex::new(Served {
        banned: false,
        generation: 1,
        webapi: "2.8.19",
        state: "pausedDL",
    }));
    let (fake, _arr, daemon) = daemon_on_scripted(dir.path(), Arc::clone(&served));
    let resumed =
        crate::support::util::wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            fake.count("/api/v2/torrents/resume") > 0
        });
    assert!(resumed, "4.x: torrents/resume:\n{}", daemon.log());
    // qBittorrent restarts as 5.0 between two passes: the old session is gone.
    let resumes_before = fake.count("/api/v2/torrents/resume");
    {
        let mut st = served.lock().unwrap();
        st.generation = 2;
        st.webapi = "2.11.2";
        st.state = "stoppedDL";
    }
    let started =
        crate::support::util::wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            fake.count("/api/v2/torrents/start") > 0
        });
    assert!(started, "5.x: torrents/start:\n{}", daemon.log());
    assert!(
        fake.count("/api/v2/torrents/resume") <= resumes_before + 1,
        "at most one resume answered 404 after the upgrade"
    );
    assert!(
        fake.count("/api/v2/app/webapiVersion") >= 2,
        "the version was detected again"
    );
}
