//! Fake Radarr / Sonarr / Lidarr / Readarr servers for integration tests.
//!
//! Built from the OpenAPI contracts in `shared/api/*.openapi.json` and
//! `shared/reference/apis.md` Part A: the Arrs' API-key rules (query `apikey`,
//! then `X-Api-Key`, then `Authorization: Bearer`; else 401 with an empty
//! body), the paging envelope with its defaults (page 1, pageSize 10) and its
//! "too-high page returns the last page" quirk, queue removal (200 empty,
//! unknown id 404), commands (201 + `Location`, case-insensitive names,
//! unknown name 500), 404 for unknown paths and 405 for a wrong method.
//! Readarr follows Lidarr (`/api/v1`, `authorId`/`bookId`,
//! `DownloadedBooksScan`, `BookSearch{bookIds}`); its library (`author`, `book`, `author/editor`)
//! is shaped as Readarr's public contract (`src/Readarr.Api.V1/openapi.json`) has it.
//!
//! Every request is recorded (method, path, decoded query, API-key headers, body,
//! status answered) for assertions. Fault injection: [`FakeArr::set_down`]
//! (503 to everything) and [`FakeArr::set_garbage`] (200 with a non-JSON body).

use super::util::{now_rfc3339, parse_query, request_header, value_of, LoopbackServer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The API key the tests give every fake Arr.
pub const KEY: &str = "0123456789abcdef0123456789abcdef";

/// Which Arr to imitate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeKind {
    Radarr,
    Sonarr,
    Lidarr,
    Readarr,
}

impl FakeKind {
    pub const ALL: [FakeKind; 4] = [
        FakeKind::Radarr,
        FakeKind::Sonarr,
        FakeKind::Lidarr,
        FakeKind::Readarr,
    ];

    /// `appName` in `system/status`.
    pub fn app_name(self) -> &'static str {
        match self {
            FakeKind::Radarr => "Radarr",
            FakeKind::Sonarr => "Sonarr",
            FakeKind::Lidarr => "Lidarr",
            FakeKind::Readarr => "Readarr",
        }
    }

    /// `/api/v3` (Radarr, Sonarr) or `/api/v1` (Lidarr, Readarr).
    pub fn api_base(self) -> &'static str {
        match self {
            FakeKind::Radarr | FakeKind::Sonarr => "/api/v3",
            FakeKind::Lidarr | FakeKind::Readarr => "/api/v1",
        }
    }

    /// The version `system/status` reports.
    pub fn default_version(self) -> &'static str {
        match self {
            FakeKind::Radarr => "5.14.0.9383",
            FakeKind::Sonarr => "4.0.11.2680",
            FakeKind::Lidarr => "2.8.2.4493",
            FakeKind::Readarr => "0.4.4.2686",
        }
    }

    /// The import command (`{path, downloadClientId, importMode}`).
    pub fn scan_command(self) -> &'static str {
        match self {
            FakeKind::Radarr => "DownloadedMoviesScan",
            FakeKind::Sonarr => "DownloadedEpisodesScan",
            FakeKind::Lidarr => "DownloadedAlbumsScan",
            FakeKind::Readarr => "DownloadedBooksScan",
        }
    }

    /// The per-item search command and its id-list field.
    pub fn search_command(self) -> (&'static str, &'static str) {
        match self {
            FakeKind::Radarr => ("MoviesSearch", "movieIds"),
            FakeKind::Sonarr => ("EpisodeSearch", "episodeIds"),
            FakeKind::Lidarr => ("AlbumSearch", "albumIds"),
            FakeKind::Readarr => ("BookSearch", "bookIds"),
        }
    }

    /// The field a queue row must have to be "known" (else it is hidden unless
    /// `includeUnknown*Items=true`), the name of that flag, and the id filter.
    fn known_field_flag_filter(self) -> (&'static str, &'static str, &'static str) {
        match self {
            FakeKind::Radarr => ("movieId", "includeUnknownMovieItems", "movieIds"),
            FakeKind::Sonarr => ("seriesId", "includeUnknownSeriesItems", "seriesIds"),
            FakeKind::Lidarr => ("artistId", "includeUnknownArtistItems", "artistIds"),
            FakeKind::Readarr => ("authorId", "includeUnknownAuthorItems", "authorIds"),
        }
    }

    /// Command names the fake accepts (matched case-insensitively): the
    /// kind's own, then those all four have.
    fn known_commands(self) -> impl Iterator<Item = &'static str> {
        let own: &[&str] = match self {
            FakeKind::Radarr => &[
                "DownloadedMoviesScan",
                "MoviesSearch",
                "MissingMoviesSearch",
                "CutoffUnmetMoviesSearch",
                "RefreshMovie",
                "RescanMovie",
            ],
            FakeKind::Sonarr => &[
                "DownloadedEpisodesScan",
                "EpisodeSearch",
                "SeriesSearch",
                "SeasonSearch",
                "MissingEpisodeSearch",
                "CutoffUnmetEpisodeSearch",
                "RefreshSeries",
                "RescanSeries",
            ],
            FakeKind::Lidarr => &[
                "DownloadedAlbumsScan",
                "AlbumSearch",
                "ArtistSearch",
                "MissingAlbumSearch",
                "CutoffUnmetAlbumSearch",
                "RefreshArtist",
                "RefreshAlbum",
                "RescanFolders",
            ],
            FakeKind::Readarr => &[
                "DownloadedBooksScan",
                "BookSearch",
                "AuthorSearch",
                "MissingBookSearch",
                "CutoffUnmetBookSearch",
                "RefreshAuthor",
                "RefreshBook",
                "RescanFolders",
            ],
        };
        let shared = [
            "RssSync",
            "RefreshMonitoredDownloads",
            "ProcessMonitoredDownloads",
            "CheckHealth",
            "Backup",
        ];
        own.iter().copied().chain(shared)
    }
}

/// A schema-shaped `QueueResource`. `entity_id` is the searchable item id
/// (`movieId` / `episodeId` / `albumId` / `bookId`); Sonarr also gets
/// `seriesId = entity_id + 1000` and `seasonNumber = 1`, Lidarr
/// `artistId = entity_id + 1000`, Readarr `authorId = entity_id + 1000`
/// (different numbers, so mixing them up fails a test). `downloadId` is
/// `download_id` in upper case, like the real qBittorrent client code.
pub fn queue_record(kind: FakeKind, id: u64, download_id: &str, title: &str, entity_id: u64) -> Value {
    let size = 20_971_520.0_f64;
    let mut r = json!({
        "id": id,
        "quality": {
            "quality": {"id": 7, "name": "Bluray-1080p", "source": "bluray", "resolution": 1080},
            "revision": {"version": 1, "real": 0, "isRepack": false}
        },
        "customFormats": [],
        "customFormatScore": 0,
        "size": size,
        "title": title,
        "sizeleft": 0.0,
        "timeleft": "00:00:00",
        "estimatedCompletionTime": now_rfc3339(),
        "added": now_rfc3339(),
        "status": "downloading",
        "trackedDownloadStatus": "ok",
        "trackedDownloadState": "downloading",
        "statusMessages": [],
        "downloadId": download_id.to_ascii_uppercase(),
        "protocol": "torrent",
        "downloadClient": "qBittorrent",
        "downloadClientHasPostImportCategory": false,
        "indexer": "Fake Indexer",
        "outputPath": format!("/downloads/{title}"),
    });
    let per_kind = match kind {
        FakeKind::Radarr => json!({"movieId": entity_id, "languages": [{"id": 1, "name": "English"}]}),
        FakeKind::Sonarr => json!({
            "seriesId": entity_id + 1000, "episodeId": entity_id, "seasonNumber": 1, "episodeHasFile": false,
            "languages": [{"id": 1, "name": "English"}]
        }),
        FakeKind::Lidarr => json!({
            "artistId": entity_id + 1000, "albumId": entity_id, "trackFileCount": 0, "trackHasFileCount": 0,
            "downloadForced": false
        }),
        FakeKind::Readarr => {
            json!({"authorId": entity_id + 1000, "bookId": entity_id, "downloadForced": false})
        }
    };
    merge(&mut r, per_kind);
    r
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path without the query string, as sent.
    pub path: String,
    /// Decoded query pairs, in order (duplicates kept).
    pub query: Vec<(String, String)>,
    pub x_api_key: Option<String>,
    pub authorization: Option<String>,
    pub body: String,
    /// The status the fake answered.
    pub status: u16,
}

impl Recorded {
    /// The first value of query parameter `key` (case-insensitive name).
    pub fn query_value(&self, key: &str) -> Option<&str> {
        value_of(&self.query, key)
    }

    /// Whether the key came in the `X-Api-Key` header.
    pub fn has_api_key_header(&self) -> bool {
        self.x_api_key.is_some()
    }

    /// The body parsed as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// `METHOD path?query` (for failure messages).
    pub fn summary(&self) -> String {
        let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} {}?{} → {}", self.method, self.path, q.join("&"), self.status)
    }
}

/// The flags of a queue DELETE with the Arrs' defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeleteFlags {
    pub remove_from_client: bool,
    pub blocklist: bool,
    pub skip_redownload: bool,
    pub change_category: bool,
}

impl DeleteFlags {
    /// Reads `removeFromClient` (default true), `blocklist`, `skipRedownload`,
    /// `changeCategory` (default false) from a recorded query map.
    pub fn from_query(q: &BTreeMap<String, String>) -> DeleteFlags {
        let get = |name: &str, default: bool| {
            q.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.eq_ignore_ascii_case("true"))
                .unwrap_or(default)
        };
        DeleteFlags {
            remove_from_client: get("removeFromClient", true),
            blocklist: get("blocklist", false),
            skip_redownload: get("skipRedownload", false),
            change_category: get("changeCategory", false),
        }
    }
}

#[derive(Default)]
struct State {
    queue: Vec<Value>,
    commands: Vec<Value>,
    command_bodies: Vec<Value>,
    next_command_id: u64,
    requests: Vec<Recorded>,
    queue_deletes: Vec<(u64, BTreeMap<String, String>)>,
    bulk_deletes: Vec<(Vec<u64>, BTreeMap<String, String>)>,
    down: bool,
    garbage: bool,
    /// When set, the API key it takes instead of the one it started with (a key the user
    /// regenerated in the Arr).
    key: Option<String>,
    /// When set, GET queue answers this body (200) instead of a page.
    queue_answer: Option<Value>,
    /// Requests (method, path fragment) to answer 500 "database is locked", and how many more times.
    failing: Vec<(String, String, usize)>,
    /// How long each answer takes (a slow Arr on a busy NAS).
    delay: Duration,
    /// Requests (method, path fragment) of which every n-th answers 500, and how many were seen.
    flaky: Vec<(String, String, usize, usize)>,
    /// `wanted/missing` and `wanted/cutoff` records (each with its `monitored`); `None`: the
    /// Arr has no such endpoint (Radarr before 5.6 answers 404).
    wanted_missing: Option<Vec<Value>>,
    wanted_cutoff: Option<Vec<Value>>,
    /// Search commands stay "started" in the command list (SearchLimit) while set.
    searches_pending: bool,
    /// The next n `POST command` answer 429 with this `Retry-After` (seconds).
    throttled: Option<(usize, u64)>,
    /// Sonarr's series, (id, TVDB id), for `GET series?tvdbId=`.
    series: Vec<(u64, u64)>,
    /// The library with files: Radarr's movies (`GET movie`) or Sonarr's episodes (`GET
    /// episode?seriesId=`, their files' scores in `GET episodefile?seriesId=`), as
    /// [`library_record`] makes them; and the quality profile's minimum custom-format score.
    library: Vec<Value>,
    min_format_score: i64,
    /// Quality profiles (id, name) beyond profile 1 "HD" (temp profiles).
    extra_profiles: Vec<(i64, String)>,
    /// The items that carry a quality profile, as [`profiled_record`] makes them: Radarr's
    /// movies, Sonarr's series, Lidarr's artists, Readarr's authors (`GET movie` etc. list
    /// them when set; `PUT …/editor` changes their `qualityProfileId`).
    profiled: Vec<Value>,
}

struct Ctx {
    kind: FakeKind,
    api_key: String,
    url: String,
    started: String,
    state: Mutex<State>,
}

/// A fake Arr on `127.0.0.1:<random port>`, served by tiny_http in a thread.
/// Dropping it stops the server.
pub struct FakeArr {
    ctx: Arc<Ctx>,
    _server: LoopbackServer,
}

impl FakeArr {
    pub fn start(kind: FakeKind, api_key: &str) -> FakeArr {
        let mut server = LoopbackServer::bind();
        let ctx = Arc::new(Ctx {
            kind,
            api_key: api_key.to_string(),
            url: server.url(),
            started: now_rfc3339(),
            state: Mutex::new(State {
                next_command_id: 1,
                wanted_missing: Some(Vec::new()),
                wanted_cutoff: Some(Vec::new()),
                ..State::default()
            }),
        });
        let handler_ctx = ctx.clone();
        let thread_name = format!("fake-{}", kind.app_name().to_lowercase());
        server.serve(&thread_name, move |req| handle(&handler_ctx, req));
        FakeArr { ctx, _server: server }
    }

    pub fn kind(&self) -> FakeKind {
        self.ctx.kind
    }

    /// `http://127.0.0.1:PORT` (no trailing slash, no API base).
    pub fn url(&self) -> String {
        self.ctx.url.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.ctx.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the queue records (see [`queue_record`]).
    /// What `wanted/missing` lists (records as [`wanted_record`] makes them); `None`: 404.
    pub fn set_wanted_missing(&self, records: Option<Vec<Value>>) {
        self.state().wanted_missing = records;
    }

    /// What `wanted/cutoff` lists.
    pub fn set_wanted_cutoff(&self, records: Option<Vec<Value>>) {
        self.state().wanted_cutoff = records;
    }

    /// The library's items with files ([`library_record`]) and profile 1's minimum
    /// custom-format score.
    pub fn set_library(&self, records: Vec<Value>, min_format_score: i64) {
        let mut s = self.state();
        s.library = records;
        s.min_format_score = min_format_score;
    }

    /// Quality profiles besides profile 1 "HD", as (id, name).
    pub fn set_quality_profiles(&self, profiles: &[(i64, &str)]) {
        self.state().extra_profiles = profiles.iter().map(|(id, n)| (*id, n.to_string())).collect();
    }

    /// The items that carry a quality profile ([`profiled_record`]).
    pub fn set_profiled(&self, records: Vec<Value>) {
        self.state().profiled = records;
    }

    /// Each profiled item's id and quality profile now.
    pub fn profiles_now(&self) -> Vec<(u64, i64)> {
        self.state()
            .profiled
            .iter()
            .map(|r| {
                (
                    r["id"].as_u64().unwrap_or(0),
                    r["qualityProfileId"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    }

    /// Item `id` got its files (`missing` false) or lost them.
    pub fn set_missing(&self, id: u64, missing: bool) {
        let kind = self.ctx.kind;
        let mut s = self.state();
        if let Some(r) = s.profiled.iter_mut().find(|r| r["id"].as_u64() == Some(id)) {
            let profile = r["qualityProfileId"].as_i64().unwrap_or(1);
            *r = profiled_record(kind, id, profile, missing);
        }
    }

    /// Sonarr's series as (id, TVDB id), for `GET series?tvdbId=`.
    pub fn set_series(&self, series: Vec<(u64, u64)>) {
        self.state().series = series;
    }

    /// While set, search commands stay "started" in `GET command` (they count for SearchLimit).
    pub fn set_searches_pending(&self, pending: bool) {
        self.state().searches_pending = pending;
    }

    /// The next `n` `POST command` answer 429 Too Many Requests with `Retry-After: retry_after`.
    pub fn throttle_commands(&self, n: usize, retry_after: u64) {
        self.state().throttled = Some((n, retry_after));
    }

    /// The search commands accepted (201), in order.
    pub fn searches(&self) -> Vec<Value> {
        self.state()
            .commands
            .iter()
            .filter(|c| c["name"].as_str().is_some_and(|n| n.ends_with("Search")))
            .map(|c| c["body"].clone())
            .collect()
    }

    pub fn set_queue(&self, records: Vec<Value>) {
        self.state().queue = records;
    }

    /// The queue as it is now (after any DELETEs).
    pub fn queue(&self) -> Vec<Value> {
        self.state().queue.clone()
    }

    /// While down, every request gets 503 with an empty body.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// Takes `key` from now on instead of the one it started with (`None`: that one again):
    /// a key regenerated in the Arr, so the daemon's gets 401.
    pub fn set_key(&self, key: Option<&str>) {
        self.state().key = key.map(str::to_string);
    }

    /// While on, every request gets 200 with a non-JSON (HTML) body.
    /// Answers the next `times` requests of `method` whose path contains `fragment` with
    /// 500 "database is locked" (what a busy Arr on SQLite says), after recording them.
    pub fn fail_next(&self, method: &str, fragment: &str, times: usize) {
        self.state()
            .failing
            .push((method.to_string(), fragment.to_string(), times));
    }

    /// Answers every `n`-th request of `method` whose path contains `fragment` with 500
    /// "database is locked" (a share of 1/n, deterministic).
    pub fn fail_every(&self, method: &str, fragment: &str, n: usize) {
        self.state()
            .flaky
            .push((method.to_string(), fragment.to_string(), n.max(1), 0));
    }

    /// Every answer takes `delay` from now on.
    pub fn set_delay(&self, delay: Duration) {
        self.state().delay = delay;
    }

    /// Every request answers as it should again.
    pub fn stop_failing(&self) {
        self.state().failing.clear();
    }

    /// Makes GET queue answer `body` with 200 (a broken or foreign answer); `None` restores the pages.
    pub fn set_queue_answer(&self, body: Option<Value>) {
        self.state().queue_answer = body;
    }

    pub fn set_garbage(&self, garbage: bool) {
        self.state().garbage = garbage;
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// Requests whose method is not GET.
    pub fn mutating_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    /// Every JSON body POSTed to `…/command`, accepted or not, oldest first.
    pub fn commands(&self) -> Vec<Value> {
        self.state().command_bodies.clone()
    }

    /// The POSTed bodies whose `name` equals `name` (case-insensitive).
    pub fn commands_named(&self, name: &str) -> Vec<Value> {
        self.commands()
            .into_iter()
            .filter(|c| c["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .collect()
    }

    /// Successful queue removals: `(id, raw query map)`, including each id of
    /// a `DELETE queue/bulk` that was removed. See [`DeleteFlags::from_query`].
    pub fn queue_deletes(&self) -> Vec<(u64, BTreeMap<String, String>)> {
        self.state().queue_deletes.clone()
    }

    /// `DELETE queue/bulk` calls: `(ids in the body, raw query map)`.
    pub fn bulk_deletes(&self) -> Vec<(Vec<u64>, BTreeMap<String, String>)> {
        self.state().bulk_deletes.clone()
    }

    /// Waits (≤ `timeout`, polling every 50 ms) for a recorded request that
    /// matches; panics with every request seen on timeout.
    pub fn wait_for_request(&self, timeout: Duration, pred: impl Fn(&Recorded) -> bool) -> Recorded {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.requests().into_iter().find(|r| pred(r)) {
                return r;
            }
            if Instant::now() >= deadline {
                let seen: Vec<String> = self.requests().iter().map(Recorded::summary).collect();
                panic!(
                    "fake {} saw no matching request within {timeout:?}; requests:\n{}",
                    self.ctx.kind.app_name(),
                    seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for a POSTed command named `name`; returns its body.
    pub fn wait_for_command(&self, name: &str, timeout: Duration) -> Value {
        let r = self.wait_for_request(timeout, |r| {
            r.method == "POST"
                && r.path.to_ascii_lowercase().ends_with("/command")
                && r.json()
                    .and_then(|j| j["name"].as_str().map(|n| n.eq_ignore_ascii_case(name)))
                    .unwrap_or(false)
        });
        r.json().expect("recorded command is JSON")
    }
}

struct Reply {
    status: u16,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    location: Option<String>,
    retry_after: Option<u64>,
}

impl Reply {
    fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: Vec::new(),
            content_type: None,
            location: None,
            retry_after: None,
        }
    }

    fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            body: v.to_string().into_bytes(),
            content_type: Some("application/json; charset=utf-8"),
            location: None,
            retry_after: None,
        }
    }
}

fn handle(ctx: &Ctx, mut req: tiny_http::Request) {
    let mut raw = Vec::new();
    let _ = req.as_reader().read_to_end(&mut raw);
    let body = String::from_utf8_lossy(&raw).into_owned();
    let method = req.method().as_str().to_ascii_uppercase();
    let (path, query) = match req.url().split_once('?') {
        Some((p, q)) => (p.to_string(), parse_query(q)),
        None => (req.url().to_string(), Vec::new()),
    };
    let mut rec = Recorded {
        method,
        path,
        query,
        x_api_key: request_header(&req, "X-Api-Key"),
        authorization: request_header(&req, "Authorization"),
        body,
        status: 0,
    };
    let delay = ctx.state.lock().unwrap_or_else(|e| e.into_inner()).delay;
    std::thread::sleep(delay);
    let reply = respond(ctx, &rec);
    rec.status = reply.status;
    ctx.state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .requests
        .push(rec);
    let mut resp = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    if let Some(ct) = reply.content_type {
        resp.add_header(tiny_http::Header::from_bytes("Content-Type", ct).expect("header"));
    }
    if let Some(loc) = reply.location {
        resp.add_header(tiny_http::Header::from_bytes("Location", loc).expect("header"));
    }
    if let Some(secs) = reply.retry_after {
        resp.add_header(tiny_http::Header::from_bytes("Retry-After", secs.to_string()).expect("header"));
    }
    let _ = req.respond(resp);
}

/// The API key the way the Arrs read it: query `apikey`, else `X-Api-Key`,
/// else `Authorization: Bearer`; blank values fall through.
fn presented_key(rec: &Recorded) -> Option<String> {
    let nonblank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    rec.query_value("apikey")
        .and_then(nonblank)
        .or_else(|| rec.x_api_key.as_deref().and_then(nonblank))
        .or_else(|| {
            rec.authorization.as_deref().and_then(|a| {
                let (scheme, rest) = a.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| nonblank(rest))
                    .flatten()
            })
        })
}

fn respond(ctx: &Ctx, rec: &Recorded) -> Reply {
    {
        let mut s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.down {
            return Reply::empty(503);
        }
        let scripted = s
            .failing
            .iter_mut()
            .find(|(m, f, n)| *n > 0 && *m == rec.method && rec.path.contains(f.as_str()));
        if let Some((_, _, n)) = scripted {
            *n -= 1;
            return Reply::json(500, &json!({"message": "database is locked"}));
        }
        for (m, f, every, seen) in s.flaky.iter_mut() {
            if *m == rec.method && rec.path.contains(f.as_str()) {
                *seen += 1;
                if *seen % *every == 0 {
                    return Reply::json(500, &json!({"message": "database is locked"}));
                }
            }
        }
        if s.garbage {
            return Reply {
                status: 200,
                body: b"<!DOCTYPE html><html><body>Not JSON: upstream proxy page</body></html>".to_vec(),
                content_type: Some("text/html"),
                location: None,
                retry_after: None,
            };
        }
    }
    let path = rec.path.trim_end_matches('/').to_ascii_lowercase();
    if path == "/ping" {
        return match rec.method.as_str() {
            "GET" => Reply::json(200, &json!({"status": "OK"})),
            _ => Reply::empty(405),
        };
    }
    let key = ctx.state.lock().unwrap_or_else(|e| e.into_inner()).key.clone();
    if presented_key(rec).as_deref() != Some(key.as_deref().unwrap_or(&ctx.api_key)) {
        return Reply::empty(401);
    }
    let Some(rest) = path.strip_prefix(ctx.kind.api_base()) else {
        return Reply::empty(404);
    };
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let m = rec.method.as_str();
    match segs.as_slice() {
        ["system", "status"] => only(m, "GET", || system_status(ctx)),
        ["queue"] => only(m, "GET", || queue_page(ctx, rec)),
        ["queue", "status"] => only(m, "GET", || queue_status(ctx)),
        ["queue", "details"] => only(m, "GET", || queue_details(ctx, rec)),
        ["queue", "bulk"] => only(m, "DELETE", || queue_bulk_delete(ctx, rec)),
        ["wanted", list @ ("missing" | "cutoff")] => only(m, "GET", || wanted_page(ctx, rec, list)),
        [what @ ("movie" | "series" | "artist" | "author"), "editor"] if *what == profiled_path(ctx.kind) => {
            only(m, "PUT", || profile_editor(ctx, rec))
        }
        [what @ ("movie" | "series" | "artist" | "author")]
            if *what == profiled_path(ctx.kind) && profiled_listing(ctx, rec) =>
        {
            only(m, "GET", || {
                let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
                Reply::json(200, &Value::Array(s.profiled.clone()))
            })
        }
        [what @ ("movie" | "series"), id]
            if *what == profiled_path(ctx.kind) && id.parse::<u64>().is_ok() =>
        {
            only(m, "GET", || {
                let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
                let id: u64 = id.parse().unwrap_or(0);
                match s.profiled.iter().find(|r| r["id"].as_u64() == Some(id)) {
                    Some(r) => Reply::json(200, r),
                    None => Reply::json(404, &json!({"message": "NotFound"})),
                }
            })
        }
        [what @ ("album" | "trackfile")] if ctx.kind == FakeKind::Lidarr => {
            only(m, "GET", || album_library(ctx, rec, what))
        }
        [what @ ("book" | "bookfile")] if ctx.kind == FakeKind::Readarr => {
            only(m, "GET", || album_library(ctx, rec, what))
        }
        ["series"] if ctx.kind == FakeKind::Sonarr => only(m, "GET", || series_list(ctx, rec)),
        ["movie"] if ctx.kind == FakeKind::Radarr => only(m, "GET", || library(ctx, rec, "movie")),
        ["episode"] if ctx.kind == FakeKind::Sonarr => only(m, "GET", || library(ctx, rec, "episode")),
        ["episodefile"] if ctx.kind == FakeKind::Sonarr => {
            only(m, "GET", || library(ctx, rec, "episodefile"))
        }
        ["qualityprofile"] => only(m, "GET", || {
            let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
            let min = s.min_format_score;
            let profiles: Vec<Value> = std::iter::once((1, "HD".to_string()))
                .chain(s.extra_profiles.iter().cloned())
                .map(|(id, name)| {
                    json!({"id": id, "name": name, "upgradeAllowed": true, "cutoff": 7, "items": [],
                           "minFormatScore": if id == 1 { min } else { 0 },
                           "cutoffFormatScore": min + 100, "formatItems": []})
                })
                .collect();
            Reply::json(200, &Value::Array(profiles))
        }),
        ["queue", id] if id.parse::<i64>().is_ok() => {
            only(m, "DELETE", || queue_delete(ctx, rec, id.parse().unwrap_or(-1)))
        }
        ["command"] => match m {
            "GET" => {
                let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
                let listing: Vec<Value> = s.commands.iter().map(|c| listed(c, s.searches_pending)).collect();
                Reply::json(200, &Value::Array(listing))
            }
            "POST" => post_command(ctx, rec),
            _ => Reply::empty(405),
        },
        ["command", id] if id.parse::<i64>().is_ok() => {
            let id: i64 = id.parse().unwrap_or(-1);
            let mut s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
            let pos = s.commands.iter().position(|c| c["id"].as_i64() == Some(id));
            match (m, pos) {
                ("GET", Some(i)) => Reply::json(200, &completed(&s.commands[i])),
                ("DELETE", Some(i)) => {
                    s.commands.remove(i);
                    Reply::empty(200)
                }
                ("GET" | "DELETE", None) => Reply::empty(404),
                _ => Reply::empty(405),
            }
        }
        _ => Reply::empty(404),
    }
}

fn only(method: &str, allowed: &str, f: impl FnOnce() -> Reply) -> Reply {
    if method == allowed {
        f()
    } else {
        Reply::empty(405)
    }
}

fn system_status(ctx: &Ctx) -> Reply {
    let kind = ctx.kind;
    let mut v = json!({
        "appName": kind.app_name(),
        "instanceName": kind.app_name(),
        "version": kind.default_version(),
        "buildTime": "2024-01-01T00:00:00Z",
        "isDebug": false,
        "isProduction": true,
        "isAdmin": false,
        "isUserInteractive": false,
        "startupPath": format!("/app/{}/bin", kind.app_name().to_lowercase()),
        "appData": "/config",
        "osName": "debian",
        "osVersion": "12",
        "isNetCore": true,
        "isLinux": true,
        "isOsx": false,
        "isWindows": false,
        "isDocker": false,
        "mode": "console",
        "branch": "main",
        "databaseType": "sqLite",
        "databaseVersion": "3.40.1",
        "authentication": "forms",
        "migrationVersion": 240,
        "urlBase": "",
        "runtimeVersion": "8.0.11",
        "runtimeName": ".NET",
        "startTime": ctx.started,
        "packageVersion": "",
        "packageAuthor": "",
        "packageUpdateMechanism": "builtIn",
        "packageUpdateMechanismMessage": ""
    });
    if kind == FakeKind::Sonarr {
        if let Some(o) = v.as_object_mut() {
            o.remove("databaseType");
            o.insert("sqliteVersion".into(), json!("3.40.1"));
        }
    }
    Reply::json(200, &v)
}

fn query_bool(rec: &Recorded, key: &str) -> bool {
    rec.query_value(key)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Queue rows visible for this request: unknown items hidden unless asked
/// for, and the `movieIds`/`seriesIds`/`artistIds`/`authorIds` filter.
fn visible_queue(ctx: &Ctx, rec: &Recorded) -> Vec<Value> {
    let (known_field, include_flag, ids_param) = ctx.kind.known_field_flag_filter();
    let include_unknown = query_bool(rec, include_flag);
    let ids: Vec<i64> = rec
        .query
        .iter()
        .filter(|(k, _)| {
            k.eq_ignore_ascii_case(ids_param) || k.eq_ignore_ascii_case(&format!("{ids_param}[]"))
        })
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    s.queue
        .iter()
        .filter(|r| include_unknown || r[known_field].is_number())
        .filter(|r| ids.is_empty() || r[known_field].as_i64().is_some_and(|i| ids.contains(&i)))
        .cloned()
        .collect()
}

fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Null, Value::Null) => Equal,
        (Value::Null, _) => Greater,
        (_, Value::Null) => Less,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn queue_page(ctx: &Ctx, rec: &Recorded) -> Reply {
    let answer = ctx
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .queue_answer
        .clone();
    if let Some(body) = answer {
        return Reply::json(200, &body);
    }
    let int = |key: &str, default: i64| -> Result<i64, ()> {
        match rec.query_value(key) {
            None | Some("") => Ok(default),
            Some(v) => v.parse().map_err(|_| ()),
        }
    };
    let (Ok(page), Ok(page_size)) = (int("page", 1), int("pageSize", 10)) else {
        return Reply::json(
            400,
            &json!([{"propertyName": "page", "errorMessage": "The value is not valid."}]),
        );
    };
    let sort_key = rec
        .query_value("sortKey")
        .filter(|s| !s.is_empty())
        .unwrap_or("timeleft")
        .to_string();
    let sort_direction = rec
        .query_value("sortDirection")
        .filter(|s| !s.is_empty())
        .unwrap_or("ascending")
        .to_string();
    let mut records = visible_queue(ctx, rec);
    if records.iter().any(|r| r.get(&sort_key).is_some()) {
        records.sort_by(|a, b| {
            let o = compare_values(&a[sort_key.as_str()], &b[sort_key.as_str()]);
            if sort_direction.eq_ignore_ascii_case("descending") {
                o.reverse()
            } else {
                o
            }
        });
    }
    let total = records.len() as i64;
    let page_size_eff = page_size.max(1);
    let last_page = ((total + page_size_eff - 1) / page_size_eff).max(1);
    // The queue quirk: a page past the end silently becomes the last page.
    let page = page.clamp(1, last_page);
    let start = ((page - 1) * page_size_eff) as usize;
    let slice: Vec<Value> = records
        .into_iter()
        .skip(start)
        .take(page_size_eff as usize)
        .collect();
    Reply::json(
        200,
        &json!({
            "page": page,
            "pageSize": page_size,
            "sortKey": sort_key,
            "sortDirection": sort_direction,
            "totalRecords": total,
            "records": slice,
        }),
    )
}

fn queue_details(ctx: &Ctx, rec: &Recorded) -> Reply {
    Reply::json(200, &Value::Array(visible_queue(ctx, rec)))
}

fn queue_status(ctx: &Ctx) -> Reply {
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    let (known_field, _, _) = ctx.kind.known_field_flag_filter();
    let unknown = s.queue.iter().filter(|r| !r[known_field].is_number()).count();
    let count_status = |st: &str| {
        s.queue
            .iter()
            .filter(|r| r["trackedDownloadStatus"] == st)
            .count()
    };
    Reply::json(
        200,
        &json!({
            "id": 0,
            "totalCount": s.queue.len(),
            "count": s.queue.len() - unknown,
            "unknownCount": unknown,
            "errors": count_status("error") > 0,
            "warnings": count_status("warning") > 0,
            "unknownErrors": false,
            "unknownWarnings": false,
        }),
    )
}

fn query_map(rec: &Recorded) -> BTreeMap<String, String> {
    rec.query.iter().cloned().collect()
}

fn queue_delete(ctx: &Ctx, rec: &Recorded, id: i64) -> Reply {
    let mut s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    match s.queue.iter().position(|r| r["id"].as_i64() == Some(id)) {
        Some(i) => {
            s.queue.remove(i);
            s.queue_deletes.push((id as u64, query_map(rec)));
            Reply::empty(200)
        }
        None => Reply::empty(404),
    }
}

fn queue_bulk_delete(ctx: &Ctx, rec: &Recorded) -> Reply {
    let ids: Vec<u64> = match serde_json::from_str::<Value>(&rec.body) {
        Ok(v) => v["ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
        Err(_) => return Reply::json(400, &json!({"message": "body is not JSON"})),
    };
    let q = query_map(rec);
    let mut s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    s.bulk_deletes.push((ids.clone(), q.clone()));
    for id in ids {
        // Unknown ids are skipped silently, like the real bulk endpoint.
        if let Some(i) = s.queue.iter().position(|r| r["id"].as_u64() == Some(id)) {
            s.queue.remove(i);
            s.queue_deletes.push((id, q.clone()));
        }
    }
    Reply::json(200, &json!({}))
}

/// "DownloadedMoviesScan" → "Downloaded Movies Scan".
fn split_camel(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A stored command as `GET command` lists it: finished, unless it is a search and searches
/// are held pending.
fn listed(c: &Value, pending: bool) -> Value {
    if pending && c["name"].as_str().is_some_and(|n| n.ends_with("Search")) {
        let mut c = c.clone();
        let started = c["queued"].clone();
        merge(&mut c, json!({"status": "started", "started": started}));
        return c;
    }
    completed(c)
}

/// A `wanted/missing` or `wanted/cutoff` page, as the OpenAPI contract shapes it
/// (`*ResourcePagingResource`): `page`, `pageSize`, `totalRecords`, `records`, filtered by
/// `monitored` (default true), in the order the test gave.
fn wanted_page(ctx: &Ctx, rec: &Recorded, list: &str) -> Reply {
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    let records = match list {
        "missing" => &s.wanted_missing,
        _ => &s.wanted_cutoff,
    };
    let Some(records) = records else {
        return Reply::empty(404);
    };
    let monitored = rec
        .query_value("monitored")
        .is_none_or(|v| v.eq_ignore_ascii_case("true"));
    let matching: Vec<&Value> = records
        .iter()
        .filter(|r| r["monitored"].as_bool().unwrap_or(true) == monitored)
        .collect();
    let page: usize = rec
        .query_value("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = rec
        .query_value("pageSize")
        .and_then(|p| p.parse().ok())
        .unwrap_or(10)
        .clamp(1, 10_000);
    let slice: Vec<Value> = matching
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|v| (*v).clone())
        .collect();
    Reply::json(
        200,
        &json!({
            "page": page, "pageSize": size, "sortKey": null, "sortDirection": "default",
            "totalRecords": matching.len(), "records": slice,
        }),
    )
}

/// `GET movie` (every movie), `GET episode?seriesId=` or `GET episodefile?seriesId=` (that
/// series' episodes, or their files with each file's `customFormatScore`).
fn library(ctx: &Ctx, rec: &Recorded, what: &str) -> Reply {
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    let series: Option<u64> = rec.query_value("seriesId").and_then(|v| v.parse().ok());
    let of_series = |r: &&Value| series.is_none_or(|id| r["seriesId"].as_u64() == Some(id));
    let list: Vec<Value> = match what {
        "episodefile" => s
            .library
            .iter()
            .filter(of_series)
            .map(|r| {
                json!({"id": r["episodeFileId"], "seriesId": r["seriesId"], "seasonNumber": r["seasonNumber"],
                       "relativePath": "S01/file.mkv", "size": 1_000_000, "customFormatScore": r["_score"]})
            })
            .collect(),
        _ => s
            .library
            .iter()
            .filter(of_series)
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("_score");
                }
                r
            })
            .collect(),
    };
    Reply::json(200, &Value::Array(list))
}

/// The library of the artist `artistId` (Lidarr) or the author `authorId` (Readarr) asks for:
/// its albums or books (`GET album`, `GET book`, as [`album_record`] and [`book_record`] make
/// them), or Lidarr's track files with their scores (`GET trackfile`).
fn album_library(ctx: &Ctx, rec: &Recorded, what: &str) -> Reply {
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    let key = if ctx.kind == FakeKind::Lidarr {
        "artistId"
    } else {
        "authorId"
    };
    let owner: Option<u64> = rec.query_value(key).and_then(|v| v.parse().ok());
    let albums = s
        .library
        .iter()
        .filter(|r| owner.is_none_or(|id| r[key].as_u64() == Some(id)));
    let list: Vec<Value> = match what {
        "trackfile" => albums
            .flat_map(|r| {
                let album = r["id"].as_u64().unwrap_or(0);
                let artist = r["artistId"].clone();
                r["_tracks"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(move |(i, score)| {
                        json!({"id": album * 100 + i as u64, "artistId": artist, "albumId": album,
                               "path": format!("/music/{album}/{i}.flac"), "size": 30_000_000,
                               "customFormats": [], "customFormatScore": score,
                               "qualityCutoffNotMet": false})
                    })
            })
            .collect(),
        _ => albums
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("_tracks");
                }
                r
            })
            .collect(),
    };
    Reply::json(200, &Value::Array(list))
}

/// A Lidarr `AlbumResource` of artist `artist`, released `date`, with a track file per score in
/// `tracks` (none: no files).
pub fn album_record(id: u64, artist: u64, date: &str, tracks: &[i64]) -> Value {
    json!({
        "id": id, "title": format!("Album {id}"), "artistId": artist, "foreignAlbumId": format!("mb-album-{id}"),
        "monitored": true, "anyReleaseOk": true, "profileId": 1, "albumType": "Album", "releaseDate": date,
        "statistics": {"trackFileCount": tracks.len(), "trackCount": 10, "totalTrackCount": 10,
                       "sizeOnDisk": 300_000_000, "percentOfTracks": tracks.len() as f64 * 10.0},
        "_tracks": tracks,
    })
}

/// A Readarr `BookResource` of author `author`, released `date`, with `files` book files.
pub fn book_record(id: u64, author: u64, date: &str, files: u64) -> Value {
    json!({
        "id": id, "title": format!("Book {id}"), "authorId": author, "foreignBookId": format!("gr-book-{id}"),
        "monitored": true, "anyEditionOk": true, "releaseDate": date, "pageCount": 300,
        "statistics": {"bookFileCount": files, "bookCount": 1, "totalBookCount": 1,
                       "sizeOnDisk": 1_000_000 * files, "percentOfBooks": 100.0 * files as f64},
    })
}

/// A library record with a file whose custom-format score is `score`: a `MovieResource` with its
/// `movieFile`, or an `EpisodeResource` (series 7000 + id / 10, season `season`) whose file
/// (id 5000 + id) carries the score in `GET episodefile`.
pub fn library_record(kind: FakeKind, id: u64, date: &str, score: i64, season: i64) -> Value {
    match kind {
        FakeKind::Sonarr => {
            let mut r = wanted_record(kind, id, &format!("Episode {id}"), date, true, season);
            merge(
                &mut r,
                json!({"hasFile": true, "episodeFileId": 5000 + id, "_score": score}),
            );
            r
        }
        _ => {
            let mut r = wanted_record(kind, id, &format!("Movie {id}"), date, true, 0);
            merge(
                &mut r,
                json!({"hasFile": true, "movieFileId": 5000 + id, "movieFile": {
                    "id": 5000 + id, "movieId": id, "relativePath": "movie.mkv", "size": 1_000_000,
                    "customFormats": [], "customFormatScore": score, "qualityCutoffNotMet": false,
                }}),
            );
            r
        }
    }
}

/// `GET series` (Sonarr's `SeriesResource` list, the fields a client reads), filtered by
/// `tvdbId` when given.
fn series_list(ctx: &Ctx, rec: &Recorded) -> Reply {
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    let tvdb: Option<u64> = rec.query_value("tvdbId").and_then(|v| v.parse().ok());
    let list: Vec<Value> = s
        .series
        .iter()
        .filter(|(_, t)| tvdb.is_none_or(|want| want == *t))
        .map(|(id, t)| {
            json!({"id": id, "tvdbId": t, "title": format!("Series {id}"), "monitored": true,
                   "qualityProfileId": 1, "seasons": []})
        })
        .collect();
    Reply::json(200, &Value::Array(list))
}

/// Where the items that carry a quality profile are listed and edited.
fn profiled_path(kind: FakeKind) -> &'static str {
    match kind {
        FakeKind::Radarr => "movie",
        FakeKind::Sonarr => "series",
        FakeKind::Lidarr => "artist",
        FakeKind::Readarr => "author",
    }
}

/// Whether `GET movie` (etc.) lists the profiled items: they are set, and no other listing
/// (Sonarr's `tvdbId` lookup; the library with files) is asked for.
fn profiled_listing(ctx: &Ctx, rec: &Recorded) -> bool {
    let s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    !s.profiled.is_empty() && rec.query.is_empty()
}

/// `PUT movie/editor` (`series`, `artist`, `author`): the `*Ids` given get `qualityProfileId`;
/// 200 with the items changed, as the contract says. Ids it does not have are skipped.
fn profile_editor(ctx: &Ctx, rec: &Recorded) -> Reply {
    let field = match ctx.kind {
        FakeKind::Radarr => "movieIds",
        FakeKind::Sonarr => "seriesIds",
        FakeKind::Lidarr => "artistIds",
        FakeKind::Readarr => "authorIds",
    };
    let Some(body) = rec.json() else {
        return Reply::json(400, &json!({"message": "body is not JSON"}));
    };
    let (Some(ids), Some(profile)) = (body[field].as_array(), body["qualityProfileId"].as_i64()) else {
        return Reply::json(
            400,
            &json!({"message": format!("{field} and qualityProfileId are required")}),
        );
    };
    let ids: Vec<u64> = ids.iter().filter_map(Value::as_u64).collect();
    let mut s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    let known = std::iter::once(1).chain(s.extra_profiles.iter().map(|(id, _)| *id));
    if !known.into_iter().any(|id| id == profile) {
        return Reply::json(400, &json!({"message": "QualityProfile does not exist"}));
    }
    let mut changed = Vec::new();
    for r in s.profiled.iter_mut() {
        if r["id"].as_u64().is_some_and(|id| ids.contains(&id)) {
            r["qualityProfileId"] = json!(profile);
            changed.push(r.clone());
        }
    }
    Reply::json(200, &Value::Array(changed))
}

/// An item that carries a quality profile, shaped as the contract's resource: a
/// `MovieResource` (`hasFile`), or a `SeriesResource`, `ArtistResource` or `AuthorResource`
/// whose `statistics` count fewer files than it should have when `missing`.
pub fn profiled_record(kind: FakeKind, id: u64, profile: i64, missing: bool) -> Value {
    let have = if missing { 3 } else { 4 };
    match kind {
        FakeKind::Radarr => json!({
            "id": id, "title": format!("Movie {id}"), "year": 2024, "tmdbId": 1000 + id,
            "qualityProfileId": profile, "monitored": true, "hasFile": !missing,
            "isAvailable": true, "status": "released", "path": format!("/movies/Movie {id}"),
        }),
        FakeKind::Sonarr => json!({
            "id": id, "title": format!("Series {id}"), "tvdbId": 2000 + id, "qualityProfileId": profile,
            "monitored": true, "seasonFolder": true, "seriesType": "standard",
            "statistics": {"seasonCount": 1, "episodeFileCount": have, "episodeCount": 4,
                           "totalEpisodeCount": 4, "sizeOnDisk": 1_000_000, "percentOfEpisodes": 75.0},
        }),
        FakeKind::Lidarr => json!({
            "id": id, "artistName": format!("Artist {id}"), "foreignArtistId": format!("mb-{id}"),
            "qualityProfileId": profile, "metadataProfileId": 1, "monitored": true,
            "statistics": {"albumCount": 1, "trackFileCount": have, "trackCount": 4,
                           "totalTrackCount": 4, "sizeOnDisk": 1_000_000, "percentOfTracks": 75.0},
        }),
        FakeKind::Readarr => json!({
            "id": id, "authorName": format!("Author {id}"), "foreignAuthorId": format!("gr-{id}"),
            "qualityProfileId": profile, "metadataProfileId": 1, "monitored": true,
            "statistics": {"bookFileCount": have, "bookCount": 4, "availableBookCount": 4,
                           "totalBookCount": 4, "sizeOnDisk": 1_000_000, "percentOfBooks": 75.0},
        }),
    }
}

/// A schema-shaped wanted record: a `MovieResource`, an `EpisodeResource` (series 7000 + id /
/// 10, season `season`), an `AlbumResource` or a `BookResource`, released `date` (RFC 3339).
pub fn wanted_record(
    kind: FakeKind,
    id: u64,
    title: &str,
    date: &str,
    monitored: bool,
    season: i64,
) -> Value {
    match kind {
        FakeKind::Radarr => json!({
            "id": id, "title": title, "year": date.get(..4).and_then(|y| y.parse::<i64>().ok()),
            "releaseDate": date, "digitalRelease": date, "hasFile": false, "monitored": monitored,
            "isAvailable": true, "qualityProfileId": 1, "tmdbId": 1000 + id,
        }),
        FakeKind::Sonarr => json!({
            "id": id, "seriesId": 7000 + id / 10, "tvdbId": 0, "episodeFileId": 0,
            "seasonNumber": season, "episodeNumber": id % 10 + 1, "title": title,
            "airDate": date.get(..10), "airDateUtc": date, "hasFile": false, "monitored": monitored,
        }),
        FakeKind::Lidarr => json!({
            "id": id, "title": title, "artistId": 7000 + id / 10, "foreignAlbumId": format!("a{id}"),
            "monitored": monitored, "releaseDate": date, "albumType": "Album",
        }),
        FakeKind::Readarr => json!({
            "id": id, "title": title, "authorId": 7000 + id / 10, "monitored": monitored,
            "releaseDate": date,
        }),
    }
}

fn post_command(ctx: &Ctx, rec: &Recorded) -> Reply {
    let body: Value = match serde_json::from_str(&rec.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Reply::json(
                400,
                &json!([{"propertyName": "", "errorMessage": "A non-empty JSON object body is required."}]),
            )
        }
    };
    let mut s = ctx.state.lock().unwrap_or_else(|e| e.into_inner());
    s.command_bodies.push(body.clone());
    if let Some((n, secs)) = s.throttled.filter(|(n, _)| *n > 0) {
        s.throttled = Some((n - 1, secs));
        let mut reply = Reply::json(429, &json!({"message": "Too Many Requests"}));
        reply.retry_after = Some(secs);
        return reply;
    }
    let asked = body["name"].as_str().unwrap_or("");
    let Some(name) = ctx.kind.known_commands().find(|n| n.eq_ignore_ascii_case(asked)) else {
        // The real servers' `.Single()` throws: 500, not 400.
        return Reply::json(
            500,
            &json!({"message": "Sequence contains no matching element", "description": format!("Unknown command {asked:?}")}),
        );
    };
    let id = s.next_command_id;
    s.next_command_id += 1;
    // An import scan imports the download: it leaves the queue, as on a real Arr.
    if name == ctx.kind.scan_command() {
        if let Some(download) = body["downloadClientId"].as_str() {
            s.queue.retain(|r| {
                !r["downloadId"]
                    .as_str()
                    .is_some_and(|d| d.eq_ignore_ascii_case(download))
            });
        }
    }
    let now = now_rfc3339();
    let resource = json!({
        "id": id,
        "name": name,
        "commandName": split_camel(name),
        "body": body,
        "priority": "normal",
        "status": "queued",
        "result": "unknown",
        "queued": now,
        "trigger": "manual",
        "stateChangeTime": now,
        "sendUpdatesToClient": false,
        "updateScheduledTask": true,
    });
    s.commands.push(resource.clone());
    let mut reply = Reply::json(201, &resource);
    reply.location = Some(format!("{}{}/command/{id}", ctx.url, ctx.kind.api_base()));
    reply
}

/// The stored (queued) resource as later GETs see it: finished.
fn completed(c: &Value) -> Value {
    let mut c = c.clone();
    let queued = c["queued"].clone();
    let done = json!({
        "status": "completed", "result": "successful", "message": "Completed",
        "started": queued, "ended": queued, "stateChangeTime": queued, "duration": "00:00:00.0100000"
    });
    merge(&mut c, done);
    c
}

/// Copies the fields of object `from` into object `into`.
fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// Whether `r` is a `POST …/command` named `name`.
pub fn is_command(r: &Recorded, name: &str) -> bool {
    r.method == "POST"
        && r.path.ends_with("/command")
        && r.json().is_some_and(|j| j["name"].as_str() == Some(name))
}
