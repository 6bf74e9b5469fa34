//! qBittorrent WebUI API v2 client: login and session cookie, capability
//! detection from `app/webapiVersion`, and the calls the loop makes.
//!
//! One client per `[qBit]` section, shared by the workers (`&self` methods;
//! the session cookie and capabilities sit behind a mutex). It never decides
//! anything; it maps HTTP answers to [`HttpError`] and JSON to [`Torrent`].
//!
//! Login answers differ by version: ≤ 5.1 says `Ok.`/`Fails.` with status
//! 200, 5.2 answers 204/401. A refused login is retried only every 10
//! minutes (five failures get the IP banned for an hour); a login answered
//! 403 (that ban) is retried after a growing wait (see [`LoginBackoff`]).
//! Until then calls fail at once, without touching the network. A 403 on
//! any other call means the session expired: log in again once and repeat
//! the call.
//!
//! Capabilities are detected again after every new session (qBittorrent may
//! have restarted as another version) and when a version-gated endpoint
//! answers 404; the call is then repeated once with the right endpoint.

use std::sync::Mutex;
use std::time::Instant;

use crate::config::QbitInstance;
use crate::file_filter::TorrentFile;
use crate::http::{self, HttpError};
use crate::model::Torrent;
use crate::tracker::{TrackerEdit, TrackerList};

mod list;
mod login;

/// One thing set on torrents: `torrents/setUploadLimit`, `setDownloadLimit` (bytes/s; 0: no
/// limit), `setSuperSeeding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    UploadLimit(u32),
    DownloadLimit(u32),
    SuperSeeding(bool),
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limit = |f: &mut std::fmt::Formatter<'_>, what: &str, bytes: u32| match bytes {
            0 => write!(f, "{what} limit none"),
            b => write!(f, "{what} limit {} KiB/s", b / 1024),
        };
        match *self {
            Self::UploadLimit(b) => limit(f, "upload", b),
            Self::DownloadLimit(b) => limit(f, "download", b),
            Self::SuperSeeding(on) => write!(f, "super-seeding {}", if on { "on" } else { "off" }),
        }
    }
}
pub(crate) use list::{parse_maindata, Field, Fields, SyncItem};
pub use list::{parse_torrent_list, parse_torrents_each, ListError};
pub use login::LoginBackoff;
use login::LoginGate;

/// Largest `torrents/info` body accepted: 20,000 torrents are about 30 MB.
pub(crate) const TORRENT_LIST_LIMIT: u64 = 128 << 20;

/// qBittorrent's `filter` of `torrents/info`: which states a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    All,
    /// Every download state: downloading, stalled, metadata, checking, queued,
    /// paused/stopped and forced downloads, and allocating.
    Downloading,
    /// `error` and `missingFiles`.
    Errored,
}

impl ListFilter {
    /// Whether qBittorrent lists a torrent in this state under this filter.
    pub fn matches(self, state: crate::model::TorrentState) -> bool {
        use crate::model::TorrentState as S;
        match self {
            Self::All => true,
            Self::Downloading => matches!(
                state,
                S::Downloading
                    | S::MetaDl
                    | S::ForcedMetaDl
                    | S::StalledDl
                    | S::CheckingDl
                    | S::PausedDl
                    | S::StoppedDl
                    | S::QueuedDl
                    | S::ForcedDl
                    | S::Allocating
            ),
            Self::Errored => matches!(state, S::Error | S::MissingFiles),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Downloading => "downloading",
            Self::Errored => "errored",
        }
    }
}

/// Which torrents a `torrents/info` read asks for: a category (`None`: any),
/// a state filter, and, when not empty, only these hashes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListQuery<'a> {
    pub(crate) category: Option<&'a str>,
    pub(crate) filter: ListFilter,
    pub(crate) hashes: &'a [&'a str],
}

/// A WebAPI version such as 2.8.19.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u32, pub u32, pub u32);

impl ApiVersion {
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.trim().trim_start_matches('v').split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        let patch = parts.next().unwrap_or("0").parse().ok()?;
        Some(Self(major, minor, patch))
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// What this qBittorrent's WebAPI can do, from its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub api: ApiVersion,
    /// 5.0+ (API ≥ 2.11.0): `torrents/stop|start` and `stopped*` states instead of pause/resume.
    pub stop_start: bool,
}

impl Capabilities {
    pub(crate) fn from_version(api: ApiVersion) -> Self {
        Self {
            api,
            stop_start: api >= ApiVersion(2, 11, 0),
        }
    }
}

enum Auth {
    /// No credentials configured: rely on qBittorrent's localhost/subnet bypass.
    None,
    Login {
        username: String,
        password: String,
    },
    /// qBittorrent 5.2+ API key, sent as a Bearer token.
    ApiKey(String),
}

/// A client for one qBittorrent instance.
pub struct QbitClient {
    name: String,
    base: String,
    agent: ureq::Agent,
    auth: Auth,
    /// `SID=...` cookie of the current session.
    session: Mutex<Option<String>>,
    /// When the next login may be tried, after a refused or banned one. Held
    /// while logging in, so workers sharing the client log in one at a time.
    gate: Mutex<LoginGate>,
    caps: Mutex<Option<Capabilities>>,
    /// Since when this instance has been failing (shared by every worker using it).
    down_since: Mutex<Option<std::time::Instant>>,
}

enum Method {
    Get,
    Post,
}

impl QbitClient {
    pub fn new(cfg: &QbitInstance) -> Self {
        let auth = match (&cfg.api_key, &cfg.username) {
            (Some(key), _) => Auth::ApiKey(key.clone()),
            (None, Some(user)) => Auth::Login {
                username: user.clone(),
                password: cfg.password.clone().unwrap_or_default(),
            },
            (None, None) => Auth::None,
        };
        Self {
            name: cfg.name.clone(),
            base: cfg.url.trim_end_matches('/').to_string(),
            agent: http::agent(cfg.skip_tls_verify),
            auth,
            session: Mutex::new(None),
            gate: Mutex::new(LoginGate::new(login_backoff())),
            caps: Mutex::new(None),
            down_since: Mutex::new(None),
        }
    }

    /// Replaces the waits after a refused or banned login (the default is
    /// [`LoginBackoff::default`]). Public so that the integration tests,
    /// which see only this API, can shorten them instead of sleeping.
    #[must_use]
    pub fn with_login_backoff(self, backoff: LoginBackoff) -> Self {
        *lock(&self.gate) = LoginGate::new(backoff);
        self
    }

    /// The section name (`qBit` or `qBit-<Name>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{} {}", self.name, path)
    }

    /// Logs in with user name and password and keeps the session cookie.
    /// After a refused or banned login, fails at once until the wait is over.
    pub fn login(&self) -> Result<(), HttpError> {
        let mut gate = lock(&self.gate);
        self.login_gated(&mut gate)
    }

    /// Logs in again unless another worker already replaced the session
    /// `stale` (`None`: there was none); the session to use.
    fn relogin(&self, stale: Option<&str>) -> Result<Option<String>, HttpError> {
        let mut gate = lock(&self.gate);
        {
            let mut session = lock(&self.session);
            if session.is_some() && session.as_deref() != stale {
                return Ok(session.clone());
            }
            *session = None;
        }
        self.login_gated(&mut gate)?;
        Ok(lock(&self.session).clone())
    }

    fn login_gated(&self, gate: &mut LoginGate) -> Result<(), HttpError> {
        let Auth::Login { username, password } = &self.auth else {
            return Ok(());
        };
        let path = "/api/v2/auth/login";
        let endpoint = self.endpoint(path);
        gate.check(&endpoint, Instant::now())?;
        let mut resp = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_form([("username", username.as_str()), ("password", password.as_str())])
            .map_err(|e| HttpError::from_ureq(&endpoint, e))?;
        let status = resp.status().as_u16();
        // The session cookie is SID unless qBittorrent was configured otherwise: prefer SID, else the first.
        let cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|kv| kv.trim().to_string())
            .filter(|kv| kv.contains('='))
            .collect();
        let cookie = cookies
            .iter()
            .find(|kv| kv.starts_with("SID="))
            .or_else(|| cookies.first())
            .cloned();
        let body = http::read_text(&endpoint, resp.body_mut()).unwrap_or_default();
        let now = Instant::now();
        match status {
            200 | 204 if body.trim() == "Fails." => {
                Err(gate.refused(&endpoint, "user name or password refused".into(), now))
            }
            200 | 204 => {
                gate.succeeded();
                // "Ok." without a cookie means the request already had a valid session,
                // or the WebUI bypasses auth for this address.
                if let Some(c) = cookie {
                    *lock(&self.session) = Some(c);
                    // A new session: qBittorrent may have restarted as another version.
                    *lock(&self.caps) = None;
                }
                Ok(())
            }
            401 => Err(gate.refused(
                &endpoint,
                "user name or password refused (or the Host header was rejected)".into(),
                now,
            )),
            403 => {
                let said = body.trim();
                let detail = if said.is_empty() {
                    "this IP is banned after too many failed logins".to_string()
                } else {
                    said.to_string()
                };
                Err(gate.banned(&endpoint, detail, now))
            }
            _ => Err(HttpError::Status {
                endpoint,
                status,
                body,
                retry_after: None,
            }),
        }
    }

    fn send(
        &self,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
        session: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let url = format!("{}{path}", self.base);
        match method {
            Method::Get => {
                let mut req = self.agent.get(&url).query_pairs(params.iter().copied());
                if let Some(c) = session {
                    req = req.header("Cookie", c);
                }
                if let Auth::ApiKey(k) = &self.auth {
                    req = req.header("Authorization", format!("Bearer {k}"));
                }
                req.call()
            }
            Method::Post => {
                // No Origin/Referer: qBittorrent's CSRF check lets such requests through,
                // while a Referer that differs from its Host (reverse proxies) gets a 401.
                let mut req = self.agent.post(&url);
                if let Some(c) = session {
                    req = req.header("Cookie", c);
                }
                if let Auth::ApiKey(k) = &self.auth {
                    req = req.header("Authorization", format!("Bearer {k}"));
                }
                req.send_form(params.iter().copied())
            }
        }
    }

    /// Sends a request; on 403 (no or expired session) logs in once and repeats it.
    fn request(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<ureq::http::Response<ureq::Body>, HttpError> {
        let endpoint = self.endpoint(path);
        let logs_in = matches!(self.auth, Auth::Login { .. });
        let mut session = lock(&self.session).clone();
        if logs_in && session.is_none() {
            session = self.relogin(None)?;
        }
        let mut resp = self
            .send(&method, path, params, session.as_deref())
            .map_err(|e| HttpError::from_ureq(&endpoint, e))?;
        if resp.status().as_u16() == 403 && logs_in {
            session = self.relogin(session.as_deref())?;
            resp = self
                .send(&method, path, params, session.as_deref())
                .map_err(|e| HttpError::from_ureq(&endpoint, e))?;
        }
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(resp),
            403 => Err(HttpError::Auth {
                endpoint,
                detail: "forbidden: no valid session (set UserName/Password, or enable the localhost bypass)"
                    .into(),
            }),
            401 => Err(HttpError::Auth {
                endpoint,
                detail: "unauthorized (API key refused, or CSRF/Host header validation failed)".into(),
            }),
            _ => Err(HttpError::status(&endpoint, status, resp.body_mut())),
        }
    }

    fn get_text(&self, path: &str) -> Result<String, HttpError> {
        let mut resp = self.request(Method::Get, path, &[])?;
        http::read_text(&self.endpoint(path), resp.body_mut())
    }

    fn post(&self, path: &str, params: &[(&str, &str)]) -> Result<(), HttpError> {
        let mut resp = self.request(Method::Post, path, params)?;
        // Drain the (usually empty) body so the connection can be reused.
        let _ = http::read_snippet(resp.body_mut());
        Ok(())
    }

    /// `app/version`, e.g. "v4.5.2".
    pub fn version(&self) -> Result<String, HttpError> {
        self.get_text("/api/v2/app/version").map(|s| s.trim().to_string())
    }

    /// Capabilities, detected from `app/webapiVersion` and cached until the
    /// next new session, outage or 404 from a version-gated endpoint.
    pub fn capabilities(&self) -> Result<Capabilities, HttpError> {
        if let Some(c) = *lock(&self.caps) {
            return Ok(c);
        }
        let path = "/api/v2/app/webapiVersion";
        let text = self.get_text(path)?;
        let api = ApiVersion::parse(&text).ok_or_else(|| {
            HttpError::decode(&self.endpoint(path), format!("not a version: {:?}", text.trim()))
        })?;
        let caps = Capabilities::from_version(api);
        *lock(&self.caps) = Some(caps);
        Ok(caps)
    }

    /// Records a failed call; true when this starts an outage (so exactly one worker reports it).
    pub(crate) fn mark_down(&self) -> bool {
        let mut since = lock(&self.down_since);
        let started = since.is_none();
        if started {
            *since = Some(std::time::Instant::now());
            // It may come back upgraded: detect the version again.
            *lock(&self.caps) = None;
        }
        started
    }

    /// Records a good call; the outage's length when this ends one.
    pub(crate) fn mark_up(&self) -> Option<std::time::Duration> {
        lock(&self.down_since).take().map(|t| t.elapsed())
    }

    /// `torrents/info` for one category, parsed as a stream.
    pub fn torrents(&self, category: &str) -> Result<Vec<Torrent>, HttpError> {
        self.torrent_list(&[("filter", "all"), ("category", category)])
    }

    /// This torrent as qBittorrent lists it, in any category (`torrents/info?hashes=`).
    pub(crate) fn torrent(&self, hash: &str) -> Result<Option<Torrent>, HttpError> {
        let mut found = None;
        self.torrent_stream(&[("hashes", hash)], |t| {
            if t.hash == hash {
                found = Some(t.clone());
            }
        })?;
        Ok(found)
    }

    /// `transfer/info`'s `connection_status`: connected, firewalled or disconnected.
    pub(crate) fn connection_status(&self) -> Result<String, HttpError> {
        #[derive(serde::Deserialize)]
        struct TransferInfo {
            connection_status: String,
        }
        let path = "/api/v2/transfer/info";
        let text = self.get_text(path)?;
        serde_json::from_str::<TransferInfo>(&text)
            .map(|t| t.connection_status)
            .map_err(|e| HttpError::decode_error(&self.endpoint(path), e))
    }

    /// Whether this torrent exists, in any category (`torrents/info?hashes=`).
    pub(crate) fn has_torrent(&self, hash: &str) -> Result<bool, HttpError> {
        Ok(self.torrent(hash)?.is_some())
    }

    /// The torrents `query` asks for, each handed to `f` as it is parsed.
    /// On an error, `f` may already have seen part of the list.
    pub(crate) fn torrents_where(
        &self,
        query: &ListQuery<'_>,
        f: impl FnMut(&Torrent),
    ) -> Result<(), HttpError> {
        let joined = query.hashes.join("|");
        let mut params = vec![("filter", query.filter.as_str())];
        if let Some(c) = query.category {
            params.push(("category", c));
        }
        if !query.hashes.is_empty() {
            params.push(("hashes", &joined));
        }
        self.torrent_stream(&params, f)
    }

    /// `sync/maindata?rid=`, each part handed to `f` as it is read.
    /// On an error, `f` may already have seen part of the answer.
    pub(crate) fn maindata(&self, rid: i64, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError> {
        let path = "/api/v2/sync/maindata";
        let endpoint = self.endpoint(path);
        let rid = rid.to_string();
        let mut resp = self.request(Method::Get, path, &[("rid", &rid)])?;
        let body = resp.body_mut().with_config().limit(TORRENT_LIST_LIMIT).reader();
        parse_maindata(body, f).map_err(|e| match e {
            ListError::Io(detail) => HttpError::Unreachable {
                endpoint,
                detail,
                source: None,
            },
            ListError::Syntax { .. } => HttpError::decode_error(&endpoint, e),
        })
    }

    fn torrent_list(&self, params: &[(&str, &str)]) -> Result<Vec<Torrent>, HttpError> {
        let mut out = Vec::new();
        self.torrent_stream(params, |t| out.push(t.clone()))?;
        Ok(out)
    }

    fn torrent_stream(&self, params: &[(&str, &str)], f: impl FnMut(&Torrent)) -> Result<(), HttpError> {
        let path = "/api/v2/torrents/info";
        let endpoint = self.endpoint(path);
        let mut resp = self.request(Method::Get, path, params)?;
        let body = resp.body_mut().with_config().limit(TORRENT_LIST_LIMIT).reader();
        parse_torrents_each(body, f).map_err(|e| match e {
            ListError::Io(detail) => HttpError::Unreachable {
                endpoint,
                detail,
                source: None,
            },
            ListError::Syntax { .. } => HttpError::decode_error(&endpoint, e),
        })
    }

    /// Deletes torrents; `delete_files` also removes their data.
    pub fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError> {
        let joined = hashes.join("|");
        let files = if delete_files { "true" } else { "false" };
        self.post(
            "/api/v2/torrents/delete",
            &[("hashes", &joined), ("deleteFiles", files)],
        )
    }

    pub fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.post("/api/v2/torrents/recheck", &[("hashes", &hashes.join("|"))])
    }

    /// Stops (5.x) or pauses (4.x) torrents.
    pub fn pause(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.post_gated(
            |c| {
                if c.stop_start {
                    "/api/v2/torrents/stop"
                } else {
                    "/api/v2/torrents/pause"
                }
            },
            hashes,
        )
    }

    /// Starts (5.x) or resumes (4.x) torrents.
    pub fn resume(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.post_gated(
            |c| {
                if c.stop_start {
                    "/api/v2/torrents/start"
                } else {
                    "/api/v2/torrents/resume"
                }
            },
            hashes,
        )
    }

    /// Posts `hashes` to the endpoint `pick` names for the capabilities. On a
    /// 404 (qBittorrent changed version since they were detected) detects them
    /// again and, if that names another endpoint, posts there once.
    fn post_gated(&self, pick: fn(Capabilities) -> &'static str, hashes: &[&str]) -> Result<(), HttpError> {
        let joined = hashes.join("|");
        let params = [("hashes", joined.as_str())];
        let path = pick(self.capabilities()?);
        match self.post(path, &params) {
            Err(gone @ HttpError::Status { status: 404, .. }) => {
                *lock(&self.caps) = None;
                let caps = self.capabilities()?;
                let again = pick(caps);
                if again == path {
                    return Err(gone);
                }
                log::info!(
                    "{}: {path} answered 404; WebAPI is now {}, using {again}",
                    self.name,
                    caps.api
                );
                self.post(again, &params)
            }
            other => other,
        }
    }

    /// Sets `setting` on `hashes`.
    pub(crate) fn set(&self, hashes: &[&str], setting: Setting) -> Result<(), HttpError> {
        let joined = hashes.join("|");
        match setting {
            Setting::UploadLimit(bytes) => self.post(
                "/api/v2/torrents/setUploadLimit",
                &[("hashes", &joined), ("limit", &bytes.to_string())],
            ),
            Setting::DownloadLimit(bytes) => self.post(
                "/api/v2/torrents/setDownloadLimit",
                &[("hashes", &joined), ("limit", &bytes.to_string())],
            ),
            Setting::SuperSeeding(on) => self.post(
                "/api/v2/torrents/setSuperSeeding",
                &[("hashes", &joined), ("value", if on { "true" } else { "false" })],
            ),
        }
    }

    pub fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        self.post(
            "/api/v2/torrents/addTags",
            &[("hashes", &hashes.join("|")), ("tags", &tags.join(","))],
        )
    }

    /// `torrents/topPrio`: these torrents to the top of the queue, in their order.
    pub(crate) fn top_priority(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.post("/api/v2/torrents/topPrio", &[("hashes", &hashes.join("|"))])
    }

    /// `torrents/addTrackers`, then `torrents/removeTrackers`, on one torrent.
    pub(crate) fn edit_trackers(&self, hash: &str, edit: &TrackerEdit) -> Result<(), HttpError> {
        if !edit.add.is_empty() {
            self.post(
                "/api/v2/torrents/addTrackers",
                &[("hash", hash), ("urls", &edit.add.join("\n"))],
            )?;
        }
        if !edit.remove.is_empty() {
            self.post(
                "/api/v2/torrents/removeTrackers",
                &[("hash", hash), ("urls", &edit.remove.join("|"))],
            )?;
        }
        Ok(())
    }

    pub(crate) fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        self.post(
            "/api/v2/torrents/removeTags",
            &[("hashes", &hashes.join("|")), ("tags", &tags.join(","))],
        )
    }

    /// `torrents/files?hash=`: the torrent's files (empty before its metadata is known).
    pub(crate) fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, HttpError> {
        #[derive(serde::Deserialize)]
        struct Row {
            /// Since WebAPI 2.8.2; the position before.
            index: Option<u32>,
            name: String,
            priority: i64,
        }
        let path = "/api/v2/torrents/files";
        let mut resp = self.request(Method::Get, path, &[("hash", hash)])?;
        let text = http::read_text(&self.endpoint(path), resp.body_mut())?;
        let rows: Vec<Row> =
            serde_json::from_str(&text).map_err(|e| HttpError::decode_error(&self.endpoint(path), e))?;
        let mut files = Vec::with_capacity(rows.len());
        for (position, row) in rows.into_iter().enumerate() {
            let index = match row.index {
                Some(i) => i,
                None => u32::try_from(position)
                    .map_err(|_| HttpError::decode(&self.endpoint(path), "more than 2^32 files"))?,
            };
            files.push(TorrentFile {
                index,
                name: row.name,
                priority: u8::try_from(row.priority.clamp(0, 255)).unwrap_or(u8::MAX),
            });
        }
        Ok(files)
    }

    /// `torrents/trackers?hash=`: whether the torrent is private (its DHT, PeX and LSD rows say
    /// "This torrent is private"), and the URLs of its real trackers.
    pub(crate) fn trackers(&self, hash: &str) -> Result<TrackerList, HttpError> {
        let path = "/api/v2/torrents/trackers";
        let mut resp = self.request(Method::Get, path, &[("hash", hash)])?;
        let text = http::read_text(&self.endpoint(path), resp.body_mut())?;
        tracker_list(&text).map_err(|e| HttpError::decode_error(&self.endpoint(path), e))
    }

    /// `torrents/filePrio` with priority 0 (do not download) for these file ids.
    pub(crate) fn skip_files(&self, hash: &str, ids: &[u32]) -> Result<(), HttpError> {
        let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
        self.post(
            "/api/v2/torrents/filePrio",
            &[("hash", hash), ("id", &ids.join("|")), ("priority", "0")],
        )
    }

    pub fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError> {
        self.post(
            "/api/v2/torrents/setCategory",
            &[("hashes", &hashes.join("|")), ("category", category)],
        )
    }
}

/// A `torrents/trackers` answer. The pseudo-rows (`** [DHT] **`, `** [PeX] **`, `** [LSD] **`)
/// carry no URL; for a private torrent their message says so.
pub(crate) fn tracker_list(text: &str) -> Result<TrackerList, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        url: String,
        #[serde(default)]
        msg: String,
        /// 0 disabled, 1 not contacted yet, 2 working, 3 updating, 4 not working.
        #[serde(default)]
        status: i64,
    }
    let rows: Vec<Row> = serde_json::from_str(text)?;
    let mut list = TrackerList::default();
    for row in rows {
        if row.url.starts_with("** [") {
            list.private |= row.msg.to_ascii_lowercase().contains("private");
        } else {
            list.working |= row.status == 2;
            list.urls.push(row.url);
            list.messages.push(row.msg);
        }
    }
    Ok(list)
}

/// The waits after a refused or banned login. Test builds of the binary take
/// `QBITRR_LITE_FAULT_LOGIN_WAIT_SECS` for all of them, so a ban can lift within a test.
fn login_backoff() -> LoginBackoff {
    #[cfg(feature = "fault-injection")]
    if let Some(secs) = std::env::var("QBITRR_LITE_FAULT_LOGIN_WAIT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let wait = std::time::Duration::from_secs(secs);
        return LoginBackoff {
            ban_first: wait,
            ban_max: wait,
            refused: wait,
            ..LoginBackoff::default()
        };
    }
    LoginBackoff::default()
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it
/// (the guarded values are plain caches, always consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_lists_say_private_and_real_urls_and_refuse_garbage() {
        // qBittorrent 4.4+ (tier -1 on the pseudo-rows) for a private torrent.
        let private = r#"[
            {"url":"** [DHT] **","status":0,"tier":-1,"msg":"This torrent is private","num_peers":0},
            {"url":"** [PeX] **","status":0,"tier":-1,"msg":"This torrent is private","num_peers":0},
            {"url":"** [LSD] **","status":0,"tier":-1,"msg":"This torrent is private","num_peers":0},
            {"url":"https://t.example/announce","status":4,"tier":0,"msg":"Unregistered torrent"}
        ]"#;
        let list = tracker_list(private).unwrap();
        assert!(list.private);
        assert_eq!(list.urls, ["https://t.example/announce"]);
        assert_eq!(list.messages, ["Unregistered torrent"]);
        assert!(!list.working);
        // qBittorrent 4.3 (tier "" on the pseudo-rows), public, a row without msg.
        let public = r#"[
            {"url":"** [DHT] **","status":2,"tier":"","msg":""},
            {"url":"udp://open.example:6969"}
        ]"#;
        let list = tracker_list(public).unwrap();
        assert!(!list.private);
        assert_eq!(list.urls, ["udp://open.example:6969"]);
        assert_eq!(list.messages, [""]);
        // Not a list of rows: an error (nothing is removed on it), never "no trackers".
        for garbage in ["", "{}", "[{\"msg\":\"x\"}]", "null", "[1]"] {
            assert!(tracker_list(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn api_versions_gate_capabilities() {
        let v452 = Capabilities::from_version(ApiVersion::parse("2.8.19").unwrap());
        assert!(!v452.stop_start);
        let v46 = Capabilities::from_version(ApiVersion::parse("2.9.2").unwrap());
        assert!(!v46.stop_start);
        let v50 = Capabilities::from_version(ApiVersion::parse("2.11.2").unwrap());
        assert!(v50.stop_start);
        let v52 = Capabilities::from_version(ApiVersion::parse("2.15.1\n").unwrap());
        assert!(v52.stop_start);
        assert_eq!(ApiVersion::parse("nonsense"), None);
    }

    /// A client for a port nothing listens on: any request it sent would fail as `Unreachable`.
    fn dead_end_client() -> QbitClient {
        let text = "[qBit]\nHost = \"http://127.0.0.1:9\"\nUserName = \"admin\"\nPassword = \"secret\"\n";
        let loaded = crate::config::load_str(text, "config.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
        QbitClient::new(&loaded.config.qbit[0])
    }

    #[test]
    fn while_backing_off_calls_fail_fast_without_the_network() {
        let c = dead_end_client();
        let login = c.endpoint("/api/v2/auth/login");
        lock(&c.gate).banned(&login, "Your IP address has been banned".into(), Instant::now());
        for _ in 0..2 {
            let err = c.torrents("radarr").unwrap_err();
            assert!(
                matches!(err, HttpError::Banned { .. }),
                "no request was sent: {err}"
            );
            assert!(err.is_transient());
            assert_eq!(err.endpoint(), login);
        }
        let err = c.resume(&["aa"]).unwrap_err();
        assert!(matches!(err, HttpError::Banned { .. }), "{err}");

        let c = dead_end_client();
        lock(&c.gate).refused(&login, "user name or password refused".into(), Instant::now());
        let err = c.login().unwrap_err();
        assert!(
            matches!(err, HttpError::Auth { .. }) && !err.is_transient(),
            "{err}"
        );
        let err = c.torrents("radarr").unwrap_err();
        assert!(
            matches!(err, HttpError::Auth { .. }),
            "no request was sent: {err}"
        );
        assert!(!err.to_string().contains("secret"), "{err}");

        // Once the wait is over the login is tried, and only then the network is reached.
        let c = dead_end_client().with_login_backoff(LoginBackoff {
            ban_first: std::time::Duration::ZERO,
            ban_max: std::time::Duration::ZERO,
            refused: std::time::Duration::ZERO,
            refused_max: 3,
        });
        lock(&c.gate).banned(&login, "banned".into(), Instant::now());
        let err = c.torrents("radarr").unwrap_err();
        assert!(matches!(err, HttpError::Unreachable { .. }), "{err}");
    }
}
