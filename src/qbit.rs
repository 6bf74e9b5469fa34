//! qBittorrent WebUI API v2 client: login and session cookie, capability
//! detection from `app/webapiVersion`, and the calls the loop makes.
//!
//! One client per `[qBit]` section, shared by the workers (`&self` methods;
//! the session cookie and capabilities sit behind a mutex). It never decides
//! anything; it maps HTTP answers to [`HttpError`] and JSON to [`Torrent`].
//!
//! Login answers differ by version: ≤ 5.1 says `Ok.`/`Fails.` with status
//! 200, 5.2 answers 204/401. A refused login is not retried in a loop (five
//! failures get the IP banned for an hour). A 403 on any call means the
//! session expired: log in again once and repeat the call.

use std::sync::Mutex;

use serde::Deserialize;

use crate::config::QbitInstance;
use crate::http::{self, HttpError};
use crate::model::{Torrent, TorrentState};

/// Largest `torrents/info` body accepted: 20,000 torrents are about 30 MB.
pub const TORRENT_LIST_LIMIT: u64 = 128 << 20;

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
    /// 4.6+ (API ≥ 2.9.0): `setShareLimits` requires `inactiveSeedingTimeLimit`.
    pub share_limits_inactive_time: bool,
    /// 5.2+ (API ≥ 2.15.0): `setShareLimits` requires `shareLimitAction`.
    pub share_limits_action: bool,
}

impl Capabilities {
    pub fn from_version(api: ApiVersion) -> Self {
        Self {
            api,
            stop_start: api >= ApiVersion(2, 11, 0),
            share_limits_inactive_time: api >= ApiVersion(2, 9, 0),
            share_limits_action: api >= ApiVersion(2, 15, 0),
        }
    }
}

/// The subset of `torrents/info` fields we read; everything else is skipped while parsing.
#[derive(Deserialize)]
struct TorrentInfo {
    hash: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    progress: f64,
    #[serde(default)]
    amount_left: i64,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    added_on: i64,
    #[serde(default)]
    completion_on: i64,
    #[serde(default)]
    last_activity: i64,
    #[serde(default)]
    eta: i64,
    #[serde(default)]
    ratio: f64,
    #[serde(default)]
    seeding_time: i64,
    #[serde(default)]
    content_path: String,
    #[serde(default)]
    save_path: String,
}

impl From<TorrentInfo> for Torrent {
    fn from(t: TorrentInfo) -> Self {
        Torrent {
            hash: t.hash.to_ascii_lowercase(),
            name: t.name,
            category: t.category,
            state: TorrentState::parse(&t.state),
            tags: split_tags(&t.tags),
            progress: t.progress,
            amount_left: t.amount_left,
            size: t.size,
            added_on: t.added_on,
            completion_on: t.completion_on,
            last_activity: t.last_activity,
            eta: t.eta,
            ratio: t.ratio,
            seeding_time: t.seeding_time,
            content_path: t.content_path,
            save_path: t.save_path,
        }
    }
}

/// Splits qBittorrent's ", "-joined tag string.
pub fn split_tags(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses a `torrents/info` JSON array from a reader, keeping only the fields the rules use.
///
/// The array is cut into its objects as it streams in, and each object is
/// parsed from a slice: memory stays at one torrent's JSON (not the whole
/// list, ~30 MB for 20,000 torrents), and slice parsing is about three
/// times faster than parsing from a reader.
pub fn parse_torrent_list(reader: impl std::io::Read) -> Result<Vec<Torrent>, serde_json::Error> {
    let mut out = Vec::new();
    parse_torrents_each(reader, |t| out.push(t))?;
    Ok(out)
}

/// Like [`parse_torrent_list`], handing each torrent to `f` as soon as it is
/// parsed, so the whole list is never held in memory.
pub fn parse_torrents_each(
    reader: impl std::io::Read,
    mut f: impl FnMut(Torrent),
) -> Result<(), serde_json::Error> {
    for_each_object(reader, |object| {
        let info: TorrentInfo = serde_json::from_slice(object)?;
        f(Torrent::from(info));
        Ok(())
    })
}

/// Calls `f` with the bytes of each element of a top-level JSON array of objects.
fn for_each_object(
    reader: impl std::io::Read,
    mut f: impl FnMut(&[u8]) -> Result<(), serde_json::Error>,
) -> Result<(), serde_json::Error> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    let mut object: Vec<u8> = Vec::with_capacity(4096);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut opened, mut closed) = (false, false);
    loop {
        let chunk = reader.fill_buf().map_err(serde_json::Error::io)?;
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        let mut start = 0;
        let mut i = 0;
        while i < len {
            let b = chunk[i];
            if in_string {
                if escaped {
                    escaped = false;
                    i += 1;
                } else {
                    // Most bytes are inside strings: jump to the next quote or backslash.
                    match chunk[i..].iter().position(|&c| c == b'"' || c == b'\\') {
                        Some(k) => {
                            if chunk[i + k] == b'"' {
                                in_string = false;
                            } else {
                                escaped = true;
                            }
                            i += k + 1;
                        }
                        None => i = len,
                    }
                }
                continue;
            }
            i += 1;
            if closed {
                continue;
            }
            if !opened {
                if b == b'[' {
                    opened = true;
                    start = i;
                } else if !b.is_ascii_whitespace() {
                    return Err(serde::de::Error::custom("expected a JSON array of torrents"));
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b']' if depth == 0 => closed = true,
                b'{' | b'[' => {
                    if depth == 0 {
                        object.clear();
                        start = i - 1;
                    }
                    depth += 1;
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        object.extend_from_slice(&chunk[start..i]);
                        f(&object)?;
                        object.clear();
                        start = i;
                    }
                }
                _ => {}
            }
        }
        if depth > 0 {
            object.extend_from_slice(&chunk[start.min(len)..]);
        }
        reader.consume(len);
    }
    if closed {
        Ok(())
    } else {
        Err(serde::de::Error::custom(
            "the torrent list ended before its closing bracket",
        ))
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
    /// Set once qBittorrent refused our credentials: never try them again
    /// (five failures get this IP banned for an hour).
    refused: Mutex<Option<String>>,
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
            refused: Mutex::new(None),
            caps: Mutex::new(None),
            down_since: Mutex::new(None),
        }
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
    pub fn login(&self) -> Result<(), HttpError> {
        let Auth::Login { username, password } = &self.auth else {
            return Ok(());
        };
        let path = "/api/v2/auth/login";
        let endpoint = self.endpoint(path);
        if let Some(why) = lock(&self.refused).clone() {
            return Err(HttpError::Auth {
                endpoint,
                detail: format!(
                    "{why} earlier; not retried, to avoid a ban: fix UserName/Password and restart"
                ),
            });
        }
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
        let refuse = |why: String| {
            *lock(&self.refused) = Some(why.clone());
            Err(HttpError::Auth {
                endpoint: endpoint.clone(),
                detail: why,
            })
        };
        match status {
            200 | 204 if body.trim() == "Fails." => refuse("user name or password refused".into()),
            200 | 204 => {
                // "Ok." without a cookie means the request already had a valid session,
                // or the WebUI bypasses auth for this address.
                if let Some(c) = cookie {
                    *lock(&self.session) = Some(c);
                }
                Ok(())
            }
            401 => refuse("user name or password refused (or the Host header was rejected)".into()),
            403 => refuse(format!(
                "this IP is banned after too many failed logins: {}",
                body.trim()
            )),
            _ => Err(HttpError::Status {
                endpoint,
                status,
                body,
            }),
        }
    }

    fn send(
        &self,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let session = lock(&self.session).clone();
        match method {
            Method::Get => {
                let mut req = self.agent.get(&url).query_pairs(params.iter().copied());
                if let Some(c) = &session {
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
                if let Some(c) = &session {
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
        if matches!(self.auth, Auth::Login { .. }) && lock(&self.session).is_none() {
            self.login()?;
        }
        let mut resp = self
            .send(&method, path, params)
            .map_err(|e| HttpError::from_ureq(&endpoint, e))?;
        if resp.status().as_u16() == 403 && matches!(self.auth, Auth::Login { .. }) {
            *lock(&self.session) = None;
            self.login()?;
            resp = self
                .send(&method, path, params)
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

    /// Capabilities, detected once from `app/webapiVersion` and cached.
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
    pub fn mark_down(&self) -> bool {
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
    pub fn mark_up(&self) -> Option<std::time::Duration> {
        lock(&self.down_since).take().map(|t| t.elapsed())
    }

    /// `torrents/info` for one category, parsed as a stream.
    pub fn torrents(&self, category: &str) -> Result<Vec<Torrent>, HttpError> {
        let mut out = Vec::new();
        self.torrents_each(category, |t| out.push(t))?;
        Ok(out)
    }

    /// `torrents/info` for one category, each torrent handed to `f` as it is parsed.
    /// On an error, `f` may already have seen part of the list.
    pub fn torrents_each(&self, category: &str, f: impl FnMut(Torrent)) -> Result<(), HttpError> {
        self.torrent_stream(&[("filter", "all"), ("category", category)], f)
    }

    /// `torrents/info` for a set of hashes.
    pub fn torrents_by_hash(&self, hashes: &[&str]) -> Result<Vec<Torrent>, HttpError> {
        let joined = hashes.join("|");
        self.torrent_list(&[("hashes", joined.as_str())])
    }

    fn torrent_list(&self, params: &[(&str, &str)]) -> Result<Vec<Torrent>, HttpError> {
        let mut out = Vec::new();
        self.torrent_stream(params, |t| out.push(t))?;
        Ok(out)
    }

    fn torrent_stream(&self, params: &[(&str, &str)], f: impl FnMut(Torrent)) -> Result<(), HttpError> {
        let path = "/api/v2/torrents/info";
        let endpoint = self.endpoint(path);
        let mut resp = self.request(Method::Get, path, params)?;
        let body = resp.body_mut().with_config().limit(TORRENT_LIST_LIMIT).reader();
        parse_torrents_each(body, f).map_err(|e| {
            if e.is_io() {
                HttpError::Unreachable {
                    endpoint: endpoint.clone(),
                    detail: e.to_string(),
                }
            } else {
                HttpError::decode(&endpoint, e)
            }
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
        let path = if self.capabilities()?.stop_start {
            "/api/v2/torrents/stop"
        } else {
            "/api/v2/torrents/pause"
        };
        self.post(path, &[("hashes", &hashes.join("|"))])
    }

    /// Starts (5.x) or resumes (4.x) torrents.
    pub fn resume(&self, hashes: &[&str]) -> Result<(), HttpError> {
        let path = if self.capabilities()?.stop_start {
            "/api/v2/torrents/start"
        } else {
            "/api/v2/torrents/resume"
        };
        self.post(path, &[("hashes", &hashes.join("|"))])
    }

    pub fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        self.post(
            "/api/v2/torrents/addTags",
            &[("hashes", &hashes.join("|")), ("tags", &tags.join(","))],
        )
    }

    pub fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        self.post(
            "/api/v2/torrents/removeTags",
            &[("hashes", &hashes.join("|")), ("tags", &tags.join(","))],
        )
    }

    pub fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError> {
        self.post(
            "/api/v2/torrents/setCategory",
            &[("hashes", &hashes.join("|")), ("category", category)],
        )
    }

    /// Creates a category; an existing one (409) is not an error.
    pub fn create_category(&self, name: &str, save_path: &str) -> Result<(), HttpError> {
        match self.post(
            "/api/v2/torrents/createCategory",
            &[("category", name), ("savePath", save_path)],
        ) {
            Err(HttpError::Status { status: 409, .. }) => Ok(()),
            other => other,
        }
    }

    /// `torrents/files` of one torrent (only for rules that need the file list).
    pub fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, HttpError> {
        let path = "/api/v2/torrents/files";
        let mut resp = self.request(Method::Get, path, &[("hash", hash)])?;
        http::read_json(&self.endpoint(path), resp.body_mut(), TORRENT_LIST_LIMIT)
    }

    /// `torrents/trackers` of one torrent, without the DHT/PeX/LSD pseudo rows.
    pub fn trackers(&self, hash: &str) -> Result<Vec<Tracker>, HttpError> {
        let path = "/api/v2/torrents/trackers";
        let mut resp = self.request(Method::Get, path, &[("hash", hash)])?;
        let all: Vec<Tracker> =
            http::read_json(&self.endpoint(path), resp.body_mut(), http::SMALL_BODY_LIMIT)?;
        Ok(all.into_iter().filter(|t| !t.url.starts_with("** [")).collect())
    }
}

/// One entry of `torrents/files`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct TorrentFile {
    pub name: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub progress: f64,
    #[serde(default)]
    pub priority: i64,
}

/// One entry of `torrents/trackers`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Tracker {
    pub url: String,
    #[serde(default)]
    pub status: i64,
    #[serde(default)]
    pub msg: String,
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
    fn api_versions_gate_capabilities() {
        let v452 = Capabilities::from_version(ApiVersion::parse("2.8.19").unwrap());
        assert!(!v452.stop_start && !v452.share_limits_inactive_time && !v452.share_limits_action);
        let v46 = Capabilities::from_version(ApiVersion::parse("2.9.2").unwrap());
        assert!(!v46.stop_start && v46.share_limits_inactive_time);
        let v50 = Capabilities::from_version(ApiVersion::parse("2.11.2").unwrap());
        assert!(v50.stop_start && !v50.share_limits_action);
        let v52 = Capabilities::from_version(ApiVersion::parse("2.15.1\n").unwrap());
        assert!(v52.stop_start && v52.share_limits_action);
        assert_eq!(ApiVersion::parse("nonsense"), None);
    }

    #[test]
    fn the_list_is_cut_into_objects_whatever_the_chunking() {
        let json = r#" [ {"hash":"A1","name":"brace } and [ bracket in \"a name\"","tags":"x"},
            {"hash":"b2","trackers":[{"url":"u"}],"nested":{"a":[1,{"b":2}]}}, {"hash":"c3"} ] "#;
        // A reader that hands out one byte at a time exercises every chunk boundary.
        struct Trickle<'a>(&'a [u8]);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        for list in [
            parse_torrent_list(json.as_bytes()).unwrap(),
            parse_torrent_list(Trickle(json.as_bytes())).unwrap(),
        ] {
            let hashes: Vec<&str> = list.iter().map(|t| t.hash.as_str()).collect();
            assert_eq!(hashes, ["a1", "b2", "c3"]);
            assert_eq!(list[0].name, "brace } and [ bracket in \"a name\"");
        }
        assert!(parse_torrent_list("[]".as_bytes()).unwrap().is_empty());
        assert!(
            parse_torrent_list("[{\"hash\":\"a\"}".as_bytes()).is_err(),
            "cut short"
        );
        assert!(
            parse_torrent_list("{\"hash\":\"a\"}".as_bytes()).is_err(),
            "not an array"
        );
        assert!(parse_torrent_list("<html>".as_bytes()).is_err());
        assert!(parse_torrent_list("[{\"name\":\"no hash\"}]".as_bytes()).is_err());
    }

    #[test]
    fn tags_split_on_comma_and_trim() {
        assert_eq!(
            split_tags("qBitrr-imported, a,b"),
            vec!["qBitrr-imported", "a", "b"]
        );
        assert!(split_tags("").is_empty());
    }

    #[test]
    fn torrent_list_parses_only_used_fields_and_unknown_states() {
        let json = r#"[{"hash":"ABCDEF","name":"x","category":"radarr","state":"stoppedDL","tags":"t1, t2",
            "progress":0.5,"amount_left":10,"size":20,"added_on":1,"completion_on":-1,"last_activity":3,
            "eta":8640000,"ratio":0.1,"seeding_time":0,"content_path":"/d/x","save_path":"/d",
            "magnet_uri":"magnet:?xt=urn:btih:abc","popularity":1.5,"private":null},
            {"hash":"00","state":"someFutureState"}]"#;
        let list = parse_torrent_list(json.as_bytes()).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].hash, "abcdef");
        assert_eq!(list[0].state, TorrentState::StoppedDl);
        assert_eq!(list[0].tags, vec!["t1", "t2"]);
        assert_eq!(list[0].completed_at(), None);
        assert_eq!(list[1].state, TorrentState::Unknown);
    }
}
