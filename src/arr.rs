//! Arr API client (Radarr v3, Sonarr v3, Lidarr v1, Readarr v1): one client
//! type, with the per-application differences carried by [`ArrKind`].
//!
//! It reads `system/status` and the paged `queue`, deletes queue entries
//! (with or without blocklisting) and posts commands. The API key travels in
//! the `X-Api-Key` header, never in a URL, so it cannot leak into logs.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clock;
use crate::config::{Arr, ImportMode};
use crate::http::{self, HttpError};
use crate::model::{ArrKind, QueueEntry, TrackedStatus};
use crate::search::profiles::ProfiledItem;
use crate::search::{OwnedItem, WantedItem};

/// Queue rows fetched per page.
pub(crate) const QUEUE_PAGE_SIZE: u32 = 500;
/// Upper bound on pages read in one pass (250,000 rows), so a misbehaving server cannot loop us.
const QUEUE_MAX_PAGES: u32 = 500;
/// Largest queue page body accepted.
const QUEUE_BODY_LIMIT: u64 = 64 << 20;

/// `system/status`, the fields we show.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SystemStatus {
    #[serde(default)]
    pub app_name: String,
    #[serde(default)]
    pub version: String,
}

/// What `DELETE queue/{id}` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueDelete {
    Deleted,
    /// 404: already imported or removed by the Arr itself.
    NotFound,
}

/// How a queue entry is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDeleteOptions {
    /// Let the Arr remove the torrent from qBittorrent too.
    pub remove_from_client: bool,
    /// Add the release to the blocklist (marks the download failed).
    pub blocklist: bool,
    /// Stop the Arr from searching by itself after blocklisting (we search ourselves, or not at all).
    pub skip_redownload: bool,
}

/// One page of a paged list (`GET queue`, `GET wanted/*`). `records` and `totalRecords` are
/// required: an answer without them (`{}`, an error object, another API) is not an empty list.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<R> {
    #[serde(default)]
    page: u32,
    total_records: u64,
    records: Vec<R>,
}

/// A paged list, as [`ArrClient::pages`] reads it.
struct Paged<'a> {
    path: &'a str,
    /// What the list is, for errors ("queue", "list").
    what: &'a str,
    query: &'a [(&'a str, &'a str)],
    page_size: u32,
    max_pages: u32,
    body_limit: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueueRow {
    id: i64,
    #[serde(default)]
    download_id: Option<String>,
    #[serde(default)]
    tracked_download_state: Option<String>,
    #[serde(default)]
    tracked_download_status: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    status_messages: Vec<StatusMessage>,
    #[serde(default)]
    movie_id: Option<i64>,
    #[serde(default)]
    episode_id: Option<i64>,
    #[serde(default)]
    series_id: Option<i64>,
    #[serde(default)]
    album_id: Option<i64>,
    #[serde(default)]
    artist_id: Option<i64>,
    #[serde(default)]
    book_id: Option<i64>,
    #[serde(default)]
    author_id: Option<i64>,
    #[serde(default)]
    custom_format_score: Option<i64>,
}

#[derive(Deserialize, Default)]
struct StatusMessage {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    messages: Vec<String>,
}

/// The longest message kept from a queue row.
const MESSAGE_MAX: usize = 300;

impl QueueRow {
    /// errorMessage and statusMessages as one line, at most [`MESSAGE_MAX`] bytes.
    fn messages(&self) -> String {
        let mut parts: Vec<&str> = self.error_message.as_deref().into_iter().collect();
        for m in &self.status_messages {
            parts.extend(m.messages.iter().map(String::as_str));
            if m.messages.is_empty() {
                parts.extend(m.title.as_deref());
            }
        }
        let mut line = parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        if line.len() > MESSAGE_MAX {
            let mut cut = MESSAGE_MAX;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        line
    }

    fn media_id(&self, kind: ArrKind) -> Option<i64> {
        match kind {
            ArrKind::Radarr => self.movie_id,
            ArrKind::Sonarr => self.episode_id,
            ArrKind::Lidarr => self.album_id,
            ArrKind::Readarr => self.book_id,
        }
    }

    fn parent_id(&self, kind: ArrKind) -> Option<i64> {
        match kind {
            ArrKind::Radarr => None,
            ArrKind::Sonarr => self.series_id,
            ArrKind::Lidarr => self.artist_id,
            ArrKind::Readarr => self.author_id,
        }
    }
}

/// Folds queue rows into one entry per download, keyed by the LOWER-case hash
/// (the Arrs report `downloadId` upper-case; qBittorrent speaks lower-case).
fn fold_queue(
    kind: ArrKind,
    out: &mut HashMap<String, QueueEntry>,
    rows: impl IntoIterator<Item = QueueRow>,
) {
    for row in rows {
        let Some(hash) = row.download_id.as_deref().map(str::to_ascii_lowercase) else {
            continue; // pending (delay) releases have no download yet
        };
        let entry = out.entry(hash).or_default();
        if !entry.ids.contains(&row.id) {
            entry.ids.push(row.id);
        }
        if let Some(m) = row.media_id(kind) {
            if !entry.media_ids.contains(&m) {
                entry.media_ids.push(m);
            }
        }
        if entry.parent_id.is_none() {
            entry.parent_id = row.parent_id(kind);
        }
        if entry.messages.is_empty() {
            entry.messages = row.messages();
        }
        if let Some(status) = row.tracked_download_status.as_deref() {
            entry.tracked_status = entry.tracked_status.max(TrackedStatus::parse(status));
        }
        for m in &row.status_messages {
            for text in m.title.iter().chain(&m.messages) {
                if !text.trim().is_empty() && !entry.status_messages.contains(text) {
                    entry.status_messages.push(text.clone());
                }
            }
        }
        if let Some(score) = row.custom_format_score {
            entry.format_score = Some(entry.format_score.map_or(score, |s| s.max(score)));
        }
        if entry.tracked_state.is_empty() {
            entry.tracked_state = row.tracked_download_state.unwrap_or_default();
        }
    }
}

/// A client for one Arr section.
pub struct ArrClient {
    name: String,
    kind: ArrKind,
    base: String,
    api_key: String,
    agent: ureq::Agent,
}

impl ArrClient {
    pub fn new(cfg: &Arr) -> Self {
        Self {
            name: cfg.name.clone(),
            kind: cfg.kind,
            base: format!("{}{}", cfg.uri.trim_end_matches('/'), cfg.kind.api_prefix()),
            api_key: cfg.api_key.clone(),
            agent: http::agent(cfg.skip_tls_verify),
        }
    }

    pub fn kind(&self) -> ArrKind {
        self.kind
    }

    fn endpoint(&self, method: &str, path: &str) -> String {
        format!("{} {method} {}{path}", self.name, self.kind.api_prefix())
    }

    fn check(
        &self,
        endpoint: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, HttpError> {
        let mut resp = result.map_err(|e| HttpError::from_ureq(endpoint, e))?;
        match resp.status().as_u16() {
            200..=299 => Ok(resp),
            401 => Err(HttpError::Auth {
                endpoint: endpoint.to_string(),
                detail: "API key refused (check APIKey)".into(),
            }),
            _ => Err(HttpError::status_of(endpoint, &mut resp)),
        }
    }

    /// `GET system/status`.
    pub fn system_status(&self) -> Result<SystemStatus, HttpError> {
        self.get_json("/system/status", http::SMALL_BODY_LIMIT)
    }

    /// `GET path` (under the API prefix), its JSON body of at most `limit` bytes.
    fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str, limit: u64) -> Result<T, HttpError> {
        let (endpoint, mut resp) = self.get(path)?;
        http::read_json(&endpoint, resp.body_mut(), limit)
    }

    /// `GET path` (under the API prefix): the endpoint, for errors, and the answer.
    fn get(&self, path: &str) -> Result<(String, ureq::http::Response<ureq::Body>), HttpError> {
        let endpoint = self.endpoint("GET", path);
        let req = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("X-Api-Key", &self.api_key);
        let resp = self.check(&endpoint, req.call())?;
        Ok((endpoint, resp))
    }

    /// The whole queue (every page), folded per download hash. A queue that
    /// could not be read whole — a page that is not a queue page, fewer rows
    /// than the Arr said it has, more pages than we read — is an error, never
    /// a shorter queue: the loop takes no destructive action without it.
    pub fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        let mut queue = HashMap::new();
        let list = Paged {
            path: "/queue",
            what: "queue",
            query: &[
                ("sortKey", "timeleft"),
                ("sortDirection", "ascending"),
                (self.kind.include_unknown_param(), "true"),
            ],
            page_size: QUEUE_PAGE_SIZE,
            max_pages: QUEUE_MAX_PAGES,
            body_limit: QUEUE_BODY_LIMIT,
        };
        self.pages(&list, &mut |rows: Vec<QueueRow>| {
            fold_queue(self.kind, &mut queue, rows)
        })?;
        Ok(queue)
    }

    /// Every page of `list`, each page's records handed to `f`. A list that could not be read
    /// whole — a page that is not a page, fewer records than the Arr said it has (records that
    /// left between two pages make it short too: read it again later), more pages than we
    /// read — is an error, never a shorter list.
    fn pages<R: serde::de::DeserializeOwned>(
        &self,
        list: &Paged,
        f: &mut dyn FnMut(Vec<R>),
    ) -> Result<(), HttpError> {
        let endpoint = self.endpoint("GET", list.path);
        let page_size = list.page_size.to_string();
        let (mut read, mut total) = (0u64, 0u64);
        let mut whole = false;
        for number in 1..=list.max_pages {
            let number_str = number.to_string();
            let mut req = self
                .agent
                .get(format!("{}{}", self.base, list.path))
                .header("X-Api-Key", &self.api_key)
                .query("page", &number_str)
                .query("pageSize", &page_size);
            for (key, value) in list.query {
                req = req.query(*key, *value);
            }
            let mut resp = self.check(&endpoint, req.call())?;
            let body: Page<R> = http::read_json(&endpoint, resp.body_mut(), list.body_limit)?;
            // The Arrs answer a too-high page with the last page: stop when the page differs.
            if body.page != 0 && body.page != number {
                whole = true;
                break;
            }
            total = body.total_records;
            let got = body.records.len() as u64;
            read += got;
            f(body.records);
            if got == 0 || u64::from(number) * u64::from(list.page_size) >= total {
                whole = true;
                break;
            }
        }
        if !whole {
            let (max, size) = (list.max_pages, list.page_size);
            return Err(HttpError::decode(
                &endpoint,
                format!("more than {max} pages of {size}; not read whole"),
            ));
        }
        if read < total {
            return Err(HttpError::decode(
                &endpoint,
                format!("incomplete {}: {read} of {total} records", list.what),
            ));
        }
        Ok(())
    }

    /// `DELETE queue/{id}`; a 404 (already gone) is reported, not an error.
    pub fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        let path = format!("/queue/{id}");
        let endpoint = self.endpoint("DELETE", &path);
        let req = self
            .agent
            .delete(format!("{}{path}", self.base))
            .header("X-Api-Key", &self.api_key)
            .query("removeFromClient", bool_str(opts.remove_from_client))
            .query("blocklist", bool_str(opts.blocklist))
            .query("skipRedownload", bool_str(opts.skip_redownload));
        match self.check(&endpoint, req.call()) {
            Ok(mut resp) => {
                let _ = http::read_snippet(resp.body_mut());
                Ok(QueueDelete::Deleted)
            }
            Err(HttpError::Status { status: 404, .. }) => Ok(QueueDelete::NotFound),
            Err(e) => Err(e),
        }
    }

    /// `POST command`; returns the command id.
    pub fn command(&self, body: &Value) -> Result<i64, HttpError> {
        let path = "/command";
        let name = body.get("name").and_then(Value::as_str).unwrap_or("?");
        let endpoint = format!("{} ({name})", self.endpoint("POST", path));
        let req = self.agent.post(format!("{}{path}", self.base));
        let mut resp = self.send_json(&endpoint, req, body)?;
        let value: Value = http::read_json(&endpoint, resp.body_mut(), http::SMALL_BODY_LIMIT)?;
        value
            .get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| HttpError::decode(&endpoint, "command resource without an id"))
    }

    /// `GET command/{id}`: where the command stands; `None` when the Arr no longer knows it
    /// (finished commands are purged after a while, and all of them at a restart).
    pub fn command_state(&self, id: i64) -> Result<Option<CommandState>, HttpError> {
        match self.get_json(&format!("/command/{id}"), http::SMALL_BODY_LIMIT) {
            Ok(state) => Ok(Some(state)),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET command`: the newest id it lists, and whether a search for exactly `media_ids`
    /// was queued after command `sent_after` (the newest id read before an earlier attempt
    /// whose answer was lost).
    pub fn search_seen(&self, media_ids: &[i64], sent_after: Option<i64>) -> Result<SearchSeen, HttpError> {
        let commands: Vec<ListedCommand> = self.get_json("/command", QUEUE_BODY_LIMIT)?;
        Ok(seen_search(self.kind, &commands, media_ids, sent_after))
    }

    /// Every page of the wanted list `list` (`monitored` or unmonitored items), handed to
    /// `page` one page at a time; `Ok(false)` when this Arr has no such list (Radarr before
    /// 5.6). A list that could not be read whole — fewer items than it says it has, more pages
    /// than we read — is an error, never a shorter list.
    pub(crate) fn wanted(
        &self,
        list: WantedList,
        monitored: bool,
        page: &mut dyn FnMut(Vec<WantedItem>),
    ) -> Result<bool, HttpError> {
        let paged = Paged {
            path: list.path(),
            what: "list",
            query: &[("monitored", bool_str(monitored))],
            page_size: WANTED_PAGE_SIZE,
            max_pages: WANTED_MAX_PAGES,
            body_limit: WANTED_BODY_LIMIT,
        };
        let mut started = false;
        let read = self.pages(&paged, &mut |rows: Vec<WantedRow>| {
            started = true;
            page(rows.into_iter().map(|r| r.item(self.kind)).collect());
        });
        match read {
            Ok(()) => Ok(true),
            Err(HttpError::Status { status: 404, .. }) if !started => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET qualityprofile`: each profile's minimum custom-format score.
    pub(crate) fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError> {
        let profiles = self.profile_rows()?;
        Ok(profiles.into_iter().map(|p| (p.id, p.min_format_score)).collect())
    }

    /// `GET qualityprofile`, the fields read of each profile.
    fn profile_rows(&self) -> Result<Vec<ProfileRow>, HttpError> {
        self.get_json("/qualityprofile", QUEUE_BODY_LIMIT)
    }

    /// Every item of the library that has a file, handed to `f` as it is read (never the
    /// whole library in memory): Radarr's `GET movie`; Sonarr's `GET series`, then per series
    /// `GET episodefile?seriesId=` and `GET episode?seriesId=`; Lidarr's `GET artist`, then per
    /// artist `GET trackfile?artistId=` and `GET album?artistId=` (an album with track files,
    /// scored as its lowest track); Readarr's `GET author`, then per author
    /// `GET book?authorId=` (a book with files; unscored).
    pub(crate) fn library(&self, f: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError> {
        let kind = self.kind;
        match kind {
            ArrKind::Radarr => {
                self.get_each("/movie", &mut |row: WantedRow| {
                    if row.has_file {
                        let cf_score = row.movie_file.as_ref().and_then(|m| m.custom_format_score);
                        let profile = row.quality_profile_id;
                        f(OwnedItem {
                            item: row.item(kind),
                            profile,
                            cf_score,
                        });
                    }
                })?;
                Ok(true)
            }
            ArrKind::Sonarr => {
                let mut series: Vec<ParentRow> = Vec::new();
                self.get_each("/series", &mut |s: ParentRow| series.push(s))?;
                for s in series {
                    let mut scores: HashMap<i64, Option<i64>> = HashMap::new();
                    self.get_each(
                        &format!("/episodefile?seriesId={}", s.id),
                        &mut |file: FileScore| {
                            scores.insert(file.id, file.custom_format_score);
                        },
                    )?;
                    self.get_each(&format!("/episode?seriesId={}", s.id), &mut |row: WantedRow| {
                        if row.has_file {
                            let cf_score = row
                                .episode_file_id
                                .and_then(|id| scores.get(&id).copied().flatten());
                            let mut item = row.item(kind);
                            item.monitored &= s.monitored;
                            f(OwnedItem {
                                item,
                                profile: s.quality_profile_id,
                                cf_score,
                            });
                        }
                    })?;
                }
                Ok(true)
            }
            ArrKind::Lidarr | ArrKind::Readarr => {
                let (children, parent_key) = match kind {
                    ArrKind::Lidarr => ("/album", "artistId"),
                    _ => ("/book", "authorId"),
                };
                let mut owners: Vec<ParentRow> = Vec::new();
                self.get_each(profile_path(kind), &mut |a: ParentRow| owners.push(a))?;
                for a in owners {
                    // An album scores as its lowest track file; Readarr's book files carry no
                    // score.
                    let mut scores: HashMap<i64, i64> = HashMap::new();
                    if kind == ArrKind::Lidarr {
                        self.get_each(
                            &format!("/trackfile?artistId={}", a.id),
                            &mut |file: TrackScore| {
                                if let Some(score) = file.custom_format_score {
                                    let lowest = scores.entry(file.album_id).or_insert(score);
                                    *lowest = (*lowest).min(score);
                                }
                            },
                        )?;
                    }
                    let path = format!("{children}?{parent_key}={}", a.id);
                    self.get_each(&path, &mut |row: WantedRow| {
                        let has_files = row
                            .statistics
                            .as_ref()
                            .is_some_and(|s| s.track_file_count > 0 || s.book_file_count > 0);
                        if has_files {
                            let cf_score = scores.get(&row.id).copied();
                            let mut item = row.item(kind);
                            item.monitored &= a.monitored;
                            f(OwnedItem {
                                item,
                                profile: a.quality_profile_id,
                                cf_score,
                            });
                        }
                    })?;
                }
                Ok(true)
            }
        }
    }

    /// `GET qualityprofile`: each profile's id and name.
    pub(crate) fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError> {
        let profiles = self.profile_rows()?;
        Ok(profiles.into_iter().map(|p| (p.id, p.name)).collect())
    }

    /// Every item that carries a quality profile — Radarr's movies, Sonarr's series, Lidarr's
    /// artists, Readarr's authors — with whether it lacks files, handed to `f` as it is read
    /// (never the whole library in memory).
    pub(crate) fn profiled_items(&self, f: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError> {
        let kind = self.kind;
        self.get_each(profile_path(kind), &mut |row: ProfiledRow| {
            if let Some(item) = row.item(kind) {
                f(item);
            }
        })?;
        Ok(())
    }

    /// `GET movie/{id}` (Radarr), `series/{id}` (Sonarr), `artist/{id}` (Lidarr) or
    /// `author/{id}` (Readarr): that item's quality profile; `None` when the Arr does not have
    /// it (404).
    pub(crate) fn profile_of(&self, id: i64) -> Result<Option<i64>, HttpError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Owner {
            #[serde(default)]
            quality_profile_id: Option<i64>,
        }
        let path = format!("{}/{id}", profile_path(self.kind));
        match self.get_json::<Owner>(&path, QUEUE_BODY_LIMIT) {
            Ok(owner) => Ok(owner.quality_profile_id),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT movie/editor` (`series`, `artist`, `author`): gives the items `ids` the quality
    /// profile `profile`, and changes nothing else of them.
    pub(crate) fn set_profile(&self, ids: &[i64], profile: i64) -> Result<(), HttpError> {
        let field = match self.kind {
            ArrKind::Radarr => "movieIds",
            ArrKind::Sonarr => "seriesIds",
            ArrKind::Lidarr => "artistIds",
            ArrKind::Readarr => "authorIds",
        };
        let path = format!("{}/editor", profile_path(self.kind));
        let endpoint = self.endpoint("PUT", &path);
        let req = self.agent.put(format!("{}{path}", self.base));
        let body = json!({ field: ids, "qualityProfileId": profile });
        // The answer lists the items changed, which is not needed: it is not read.
        self.send_json(&endpoint, req, &body)?;
        Ok(())
    }

    /// Sends `body` as JSON with `req` (a POST or PUT to the Arr), with the API key; the
    /// answer once checked.
    fn send_json(
        &self,
        endpoint: &str,
        req: ureq::RequestBuilder<ureq::typestate::WithBody>,
        body: &Value,
    ) -> Result<ureq::http::Response<ureq::Body>, HttpError> {
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::decode_error(endpoint, e))?;
        let req = req
            .header("X-Api-Key", &self.api_key)
            .header("Content-Type", "application/json");
        self.check(endpoint, req.send(&bytes[..]))
    }

    /// `GET path`, a JSON array read element by element into `f`.
    fn get_each<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        f: &mut dyn FnMut(T),
    ) -> Result<u64, HttpError> {
        let (endpoint, mut resp) = self.get(path)?;
        http::read_json_array(&endpoint, resp.body_mut(), LIBRARY_BODY_LIMIT, f)
    }

    /// `GET series?tvdbId=`: Sonarr's id of the series with TVDB id `tvdb`, if it has it.
    pub(crate) fn series_by_tvdb(&self, tvdb: i64) -> Result<Option<i64>, HttpError> {
        #[derive(Deserialize)]
        struct Series {
            id: i64,
        }
        let series: Vec<Series> = self.get_json(&format!("/series?tvdbId={tvdb}"), QUEUE_BODY_LIMIT)?;
        Ok(series.first().map(|s| s.id))
    }

    /// `GET command`: how many `*Search` commands are queued or running (SearchLimit).
    pub(crate) fn searches_running(&self) -> Result<usize, HttpError> {
        let commands: Vec<ListedCommand> = self.get_json("/command", QUEUE_BODY_LIMIT)?;
        Ok(running_searches(&commands))
    }

    /// `GET command`: the newest command named `name` (any case) for download `download_id`
    /// (its `downloadClientId`, any case), among those the Arr still lists.
    pub fn find_command(&self, name: &str, download_id: &str) -> Result<Option<i64>, HttpError> {
        let commands: Vec<ListedCommand> = self.get_json("/command", QUEUE_BODY_LIMIT)?;
        Ok(newest_command(&commands, name, download_id))
    }
}

/// What `GET command` says before a search is sent; see [`ArrClient::search_seen`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchSeen {
    /// The newest command id listed (0 when none is).
    pub newest_id: i64,
    /// A search for the same media was queued after the id read before the last attempt.
    pub already_queued: bool,
}

fn seen_search(
    kind: ArrKind,
    commands: &[ListedCommand],
    media_ids: &[i64],
    sent_after: Option<i64>,
) -> SearchSeen {
    let (name, _) = kind.search_command();
    let mut wanted = media_ids.to_vec();
    wanted.sort_unstable();
    let same_media = |c: &ListedCommand| {
        let mut ids = c.body.media_ids(kind).to_vec();
        ids.sort_unstable();
        ids == wanted
    };
    SearchSeen {
        newest_id: commands.iter().map(|c| c.id).max().unwrap_or(0).max(0),
        already_queued: sent_after.is_some_and(|after| {
            commands
                .iter()
                .any(|c| c.id > after && c.name.eq_ignore_ascii_case(name) && same_media(c))
        }),
    }
}

/// How many of `commands` are searches still queued or running.
fn running_searches(commands: &[ListedCommand]) -> usize {
    commands
        .iter()
        .filter(|c| c.name.to_ascii_lowercase().ends_with("search"))
        .filter(|c| matches!(c.status.as_deref(), Some("queued" | "started")))
        .count()
}

/// Largest library answer accepted (read element by element, never held whole).
const LIBRARY_BODY_LIMIT: u64 = 1 << 30;

/// Wanted items fetched per page.
pub(crate) const WANTED_PAGE_SIZE: u32 = 250;
/// Upper bound on pages read (250,000 items), so a misbehaving server cannot loop us.
const WANTED_MAX_PAGES: u32 = 1_000;
/// Largest wanted page body accepted.
const WANTED_BODY_LIMIT: u64 = 32 << 20;

/// The Arr's wanted lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WantedList {
    /// `wanted/missing`: monitored, without a file.
    Missing,
    /// `wanted/cutoff`: with a file below the profile's quality cutoff.
    Cutoff,
}

impl WantedList {
    fn path(self) -> &'static str {
        match self {
            Self::Missing => "/wanted/missing",
            Self::Cutoff => "/wanted/cutoff",
        }
    }
}

/// One `wanted/*` record: a movie, an episode, an album or a book; the fields the search loop
/// uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WantedRow {
    id: i64,
    #[serde(default)]
    series_id: Option<i64>,
    #[serde(default)]
    artist_id: Option<i64>,
    #[serde(default)]
    author_id: Option<i64>,
    #[serde(default)]
    season_number: Option<i64>,
    #[serde(default)]
    episode_number: Option<i64>,
    #[serde(default)]
    tmdb_id: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    air_date_utc: Option<String>,
    #[serde(default)]
    release_date: Option<String>,
    #[serde(default)]
    digital_release: Option<String>,
    #[serde(default)]
    physical_release: Option<String>,
    #[serde(default)]
    in_cinemas: Option<String>,
    #[serde(default)]
    year: Option<i64>,
    #[serde(default = "yes")]
    monitored: bool,
    /// Library reads (DoUpgradeSearch, CustomFormatUnmetSearch): whether it has a file, its
    /// profile, and its file's custom-format score (Radarr's `movieFile`; Sonarr's by
    /// `episodeFileId` from `episodefile`).
    #[serde(default)]
    has_file: bool,
    #[serde(default)]
    quality_profile_id: Option<i64>,
    #[serde(default)]
    movie_file: Option<FileScore>,
    #[serde(default)]
    episode_file_id: Option<i64>,
    /// Lidarr's albums, Readarr's books: how many files it has.
    #[serde(default)]
    statistics: Option<FileCounts>,
}

/// A Lidarr track file's album and custom-format score.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrackScore {
    #[serde(default)]
    album_id: i64,
    #[serde(default)]
    custom_format_score: Option<i64>,
}

/// A file's id and custom-format score (`movieFile`, an `episodefile` entry).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileScore {
    #[serde(default)]
    id: i64,
    #[serde(default)]
    custom_format_score: Option<i64>,
}

/// A Sonarr series, Lidarr artist or Readarr author, the fields the library read uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParentRow {
    id: i64,
    #[serde(default)]
    quality_profile_id: Option<i64>,
    #[serde(default = "yes")]
    monitored: bool,
}

fn yes() -> bool {
    true
}

/// A quality profile (`GET qualityprofile`), the fields read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileRow {
    id: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    min_format_score: i64,
}

/// Where the items that carry a quality profile are listed (and, under it, looked up by id
/// and edited).
fn profile_path(kind: ArrKind) -> &'static str {
    match kind {
        ArrKind::Radarr => "/movie",
        ArrKind::Sonarr => "/series",
        ArrKind::Lidarr => "/artist",
        ArrKind::Readarr => "/author",
    }
}

/// A movie, series, artist or author, the fields the temp-profile pass reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfiledRow {
    id: i64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    artist_name: Option<String>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    quality_profile_id: Option<i64>,
    #[serde(default = "yes")]
    monitored: bool,
    /// Radarr.
    #[serde(default)]
    has_file: Option<bool>,
    /// Sonarr, Lidarr, Readarr.
    #[serde(default)]
    statistics: Option<FileCounts>,
}

/// A series', artist's or author's `statistics`: the files it has and the files it should have
/// (its monitored episodes, tracks or books).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FileCounts {
    #[serde(default)]
    episode_file_count: i64,
    #[serde(default)]
    episode_count: i64,
    #[serde(default)]
    track_file_count: i64,
    #[serde(default)]
    track_count: i64,
    #[serde(default)]
    book_file_count: i64,
    #[serde(default)]
    book_count: i64,
}

impl ProfiledRow {
    /// `None` without a profile. Without what tells whether it lacks files, it counts as not
    /// missing (so it is never switched to a temp profile on a guess).
    fn item(self, kind: ArrKind) -> Option<ProfiledItem> {
        let profile = self.quality_profile_id?;
        let missing = match (kind, self.has_file, self.statistics) {
            (ArrKind::Radarr, Some(has), _) => !has,
            (ArrKind::Sonarr, _, Some(s)) => s.episode_file_count < s.episode_count,
            (ArrKind::Lidarr, _, Some(s)) => s.track_file_count < s.track_count,
            (ArrKind::Readarr, _, Some(s)) => s.book_file_count < s.book_count,
            _ => false,
        };
        Some(ProfiledItem {
            id: self.id,
            title: self
                .title
                .or(self.artist_name)
                .or(self.author_name)
                .unwrap_or_default(),
            profile,
            missing,
            monitored: self.monitored,
        })
    }
}

/// The items a profile listing (`GET movie`, `series`, `artist`, `author`) makes (fuzz targets
/// and tests).
pub(crate) fn profiled_items_in(kind: ArrKind, body: &[u8]) -> Result<Vec<ProfiledItem>, serde_json::Error> {
    let rows: Vec<ProfiledRow> = serde_json::from_slice(body)?;
    Ok(rows.into_iter().filter_map(|r| r.item(kind)).collect())
}

impl WantedRow {
    fn item(self, kind: ArrKind) -> WantedItem {
        let parent = match kind {
            ArrKind::Radarr => None,
            ArrKind::Sonarr => self.series_id,
            ArrKind::Lidarr => self.artist_id,
            ArrKind::Readarr => self.author_id,
        };
        let date = [
            &self.air_date_utc,
            &self.release_date,
            &self.digital_release,
            &self.physical_release,
            &self.in_cinemas,
        ]
        .into_iter()
        .find_map(|d| d.as_deref().and_then(clock::parse_rfc3339))
        .or_else(|| {
            // A movie known only by its year: the first of January.
            let year = self.year.filter(|y| (1800..=9999).contains(y))?;
            clock::parse_rfc3339(&format!("{year:04}-01-01"))
        });
        let title = self.title.unwrap_or_default();
        let title = match (kind, self.season_number, self.episode_number) {
            (ArrKind::Sonarr, Some(s), Some(e)) => format!("S{s:02}E{e:02} {title}"),
            _ => title,
        };
        WantedItem {
            id: self.id,
            parent,
            season: if kind == ArrKind::Sonarr {
                self.season_number
            } else {
                None
            },
            tmdb: if kind == ArrKind::Radarr {
                self.tmdb_id
            } else {
                None
            },
            title,
            date,
            monitored: self.monitored,
        }
    }
}

/// A `wanted/*` page and the items [`ArrClient::wanted`] makes of it, with how many the list
/// says it has (for the fuzz targets and tests).
pub(crate) fn wanted_page_in(
    kind: ArrKind,
    body: &[u8],
) -> Result<(u64, Vec<WantedItem>), serde_json::Error> {
    let page: Page<WantedRow> = serde_json::from_slice(body)?;
    Ok((
        page.total_records,
        page.records.into_iter().map(|r| r.item(kind)).collect(),
    ))
}

/// A `GET command` answer and how many searches are still queued or running in it.
pub(crate) fn searches_running_in(body: &[u8]) -> Result<usize, serde_json::Error> {
    let commands: Vec<ListedCommand> = serde_json::from_slice(body)?;
    Ok(running_searches(&commands))
}

/// Of `commands`, the newest named `name` for download `download_id` (any case).
fn newest_command(commands: &[ListedCommand], name: &str, download_id: &str) -> Option<i64> {
    commands
        .iter()
        .filter(|c| c.name.eq_ignore_ascii_case(name))
        .filter(|c| {
            c.body
                .download_client_id
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(download_id))
        })
        .map(|c| c.id)
        .max()
}

/// A `GET queue` page folded into `out` as [`ArrClient::queue`] does, and how many records it
/// says the queue has (for the fuzz targets).
pub(crate) fn fold_queue_page(
    kind: ArrKind,
    body: &[u8],
    out: &mut HashMap<String, QueueEntry>,
) -> Result<u64, serde_json::Error> {
    let page: Page<QueueRow> = serde_json::from_slice(body)?;
    fold_queue(kind, out, page.records);
    Ok(page.total_records)
}

/// A `GET command` answer and the newest command in it named `name` for `download_id`, as
/// [`ArrClient::find_command`] decides (for the fuzz targets).
pub(crate) fn newest_command_in(
    body: &[u8],
    name: &str,
    download_id: &str,
) -> Result<Option<i64>, serde_json::Error> {
    let commands: Vec<ListedCommand> = serde_json::from_slice(body)?;
    Ok(newest_command(&commands, name, download_id))
}

/// A `GET command` answer and what [`ArrClient::search_seen`] makes of it (for the fuzz
/// targets).
pub(crate) fn search_seen_in(
    kind: ArrKind,
    body: &[u8],
    media_ids: &[i64],
    sent_after: Option<i64>,
) -> Result<SearchSeen, serde_json::Error> {
    let commands: Vec<ListedCommand> = serde_json::from_slice(body)?;
    Ok(seen_search(kind, &commands, media_ids, sent_after))
}

/// A command as `GET command/{id}` answers: its status (queued, started, completed,
/// failed, aborted, cancelled, orphaned) and the Arr's message.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CommandState {
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
}

impl CommandState {
    /// Still to run or running.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "started")
    }

    /// Ended without doing its work.
    pub(crate) fn is_failed(&self) -> bool {
        matches!(
            self.status.as_str(),
            "failed" | "aborted" | "cancelled" | "orphaned"
        )
    }
}

/// One entry of `GET command`, the fields used to find an import or a search.
#[derive(Deserialize)]
struct ListedCommand {
    id: i64,
    #[serde(default)]
    name: String,
    /// queued, started, completed, failed, …
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    body: ListedCommandBody,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListedCommandBody {
    #[serde(default)]
    download_client_id: Option<String>,
    /// What a search command was for (one of these, by the Arr's kind).
    #[serde(default)]
    movie_ids: Vec<i64>,
    #[serde(default)]
    episode_ids: Vec<i64>,
    #[serde(default)]
    album_ids: Vec<i64>,
    #[serde(default)]
    book_ids: Vec<i64>,
}

impl ListedCommandBody {
    /// The media ids of `kind`'s search command ([`ArrKind::search_command`]).
    fn media_ids(&self, kind: ArrKind) -> &[i64] {
        match kind {
            ArrKind::Radarr => &self.movie_ids,
            ArrKind::Sonarr => &self.episode_ids,
            ArrKind::Lidarr => &self.album_ids,
            ArrKind::Readarr => &self.book_ids,
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The import command for a finished download.
pub fn import_command(kind: ArrKind, path: &str, hash: &str, mode: ImportMode) -> Value {
    let mode = match mode {
        ImportMode::Auto => "Auto",
        ImportMode::Move => "Move",
        ImportMode::Copy => "Copy",
    };
    json!({
        "name": kind.scan_command(),
        "path": path,
        "downloadClientId": hash.to_ascii_uppercase(),
        "importMode": mode,
    })
}

/// The search command for the media of a queue entry, if it names any.
pub fn search_command(kind: ArrKind, entry: &QueueEntry) -> Option<Value> {
    if entry.media_ids.is_empty() {
        return None;
    }
    let (name, field) = kind.search_command();
    Some(json!({ "name": name, field: entry.media_ids }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_rows_fold_per_download_and_kind() {
        let rows = vec![
            json!({"id": 1, "downloadId": "ABC", "episodeId": 11, "seriesId": 5, "trackedDownloadState": "downloading"}),
            json!({"id": 2, "downloadId": "ABC", "episodeId": 12, "seriesId": 5}),
            json!({"id": 3, "downloadId": null, "episodeId": 13}),
            json!({"id": 4, "downloadId": "DEF", "episodeId": 14, "seriesId": 6}),
        ];
        let rows = rows
            .into_iter()
            .map(|v| serde_json::from_value::<QueueRow>(v).unwrap());
        let mut q = HashMap::new();
        fold_queue(ArrKind::Sonarr, &mut q, rows);
        assert_eq!(q.len(), 2);
        let abc = &q["abc"];
        assert_eq!(abc.ids, vec![1, 2]);
        assert_eq!(abc.media_ids, vec![11, 12]);
        assert_eq!(abc.parent_id, Some(5));
        assert_eq!(abc.tracked_state, "downloading");
        assert_eq!(
            search_command(ArrKind::Sonarr, abc),
            Some(json!({"name": "EpisodeSearch", "episodeIds": [11, 12]}))
        );
    }

    #[test]
    fn status_messages_are_kept_whole_and_the_worst_status_wins() {
        let long = "x".repeat(2 * MESSAGE_MAX);
        let rows = vec![
            json!({"id": 1, "downloadId": "ABC", "episodeId": 11, "trackedDownloadStatus": "ok",
                   "trackedDownloadState": "importPending",
                   "statusMessages": [{"title": "One.S01E01.mkv", "messages": ["Not an upgrade for existing episode file(s)"]}]}),
            json!({"id": 2, "downloadId": "ABC", "episodeId": 12, "trackedDownloadStatus": "warning",
                   "statusMessages": [{"title": "One.S01E02.mkv", "messages": [long.clone(), "  "]},
                                      {"title": "One.S01E01.mkv", "messages": []}]}),
            json!({"id": 3, "downloadId": "DEF", "trackedDownloadStatus": "something new"}),
        ];
        let rows = rows
            .into_iter()
            .map(|v| serde_json::from_value::<QueueRow>(v).unwrap());
        let mut q = HashMap::new();
        fold_queue(ArrKind::Sonarr, &mut q, rows);
        let abc = &q["abc"];
        assert_eq!(abc.tracked_status, TrackedStatus::Warning);
        assert_eq!(abc.tracked_state, "importPending");
        assert_eq!(
            abc.status_messages,
            [
                "One.S01E01.mkv",
                "Not an upgrade for existing episode file(s)",
                "One.S01E02.mkv",
                long.as_str()
            ]
        );
        assert!(
            abc.messages.len() <= MESSAGE_MAX + '…'.len_utf8(),
            "the log line stays short"
        );
        assert_eq!(
            q["def"].tracked_status,
            TrackedStatus::Ok,
            "unknown statuses count as ok"
        );
        assert!(q["def"].status_messages.is_empty());
    }

    #[test]
    fn a_search_counts_as_sent_when_listed_after_the_attempt_for_the_same_media() {
        // As Radarr lists commands: the body echoes what was posted, plus its own fields.
        let listed: Vec<ListedCommand> = serde_json::from_str(
            r#"[
              {"id": 7, "name": "MoviesSearch", "body": {"movieIds": [62, 61], "sendUpdatesToClient": true}},
              {"id": 9, "name": "RefreshMonitoredDownloads", "body": {}},
              {"id": 11, "name": "moviessearch", "body": {"movieIds": [61, 62]}},
              {"id": 12, "name": "MoviesSearch", "body": {"movieIds": [61]}},
              {"id": 13, "name": "DownloadedMoviesScan", "body": {"downloadClientId": "AB"}}
            ]"#,
        )
        .unwrap();
        let seen = |ids: &[i64], after| seen_search(ArrKind::Radarr, &listed, ids, after);
        assert_eq!(seen(&[61, 62], None).newest_id, 13);
        assert!(
            !seen(&[61, 62], None).already_queued,
            "no attempt yet: nothing counts"
        );
        assert!(
            seen(&[61, 62], Some(7)).already_queued,
            "id 11, any order and case"
        );
        assert!(!seen(&[61, 62], Some(11)).already_queued, "nothing newer");
        assert!(seen(&[61], Some(11)).already_queued);
        assert!(!seen(&[62], Some(0)).already_queued, "other media");
        // Sonarr lists episodeIds; a Radarr field means nothing to it.
        assert!(!seen_search(ArrKind::Sonarr, &listed, &[61], Some(0)).already_queued);
        let none = seen_search(ArrKind::Radarr, &[], &[1], Some(5));
        assert_eq!(
            none,
            SearchSeen {
                newest_id: 0,
                already_queued: false
            }
        );
    }

    #[test]
    fn commands_per_kind() {
        let cmd = import_command(ArrKind::Radarr, "/dl/movie", "abcdef", ImportMode::Move);
        assert_eq!(
            cmd,
            json!({"name": "DownloadedMoviesScan", "path": "/dl/movie", "downloadClientId": "ABCDEF", "importMode": "Move"})
        );
        let entry = QueueEntry {
            media_ids: vec![7],
            ..QueueEntry::default()
        };
        assert_eq!(
            search_command(ArrKind::Radarr, &entry).unwrap()["movieIds"],
            json!([7])
        );
        assert_eq!(
            search_command(ArrKind::Lidarr, &entry).unwrap()["name"],
            "AlbumSearch"
        );
        assert_eq!(
            search_command(ArrKind::Readarr, &entry).unwrap()["bookIds"],
            json!([7])
        );
        assert_eq!(search_command(ArrKind::Radarr, &QueueEntry::default()), None);
    }

    #[test]
    fn each_kind_says_which_items_lack_files_and_an_item_without_a_profile_is_skipped() {
        let cases = [
            (
                ArrKind::Radarr,
                json!([
                    {"id": 1, "title": "A", "qualityProfileId": 4, "monitored": true, "hasFile": false},
                    {"id": 2, "title": "B", "qualityProfileId": 4, "monitored": false, "hasFile": true},
                    {"id": 3, "title": "C", "qualityProfileId": 4},
                    {"id": 4, "title": "D", "hasFile": false},
                ]),
            ),
            (
                ArrKind::Sonarr,
                json!([
                    {"id": 1, "title": "A", "qualityProfileId": 4, "monitored": true,
                     "statistics": {"episodeFileCount": 3, "episodeCount": 4, "totalEpisodeCount": 9}},
                    {"id": 2, "title": "B", "qualityProfileId": 4, "monitored": false,
                     "statistics": {"episodeFileCount": 4, "episodeCount": 4, "totalEpisodeCount": 9}},
                    {"id": 3, "title": "C", "qualityProfileId": 4},
                    {"id": 4, "title": "D", "statistics": {"episodeFileCount": 0, "episodeCount": 4}},
                ]),
            ),
            (
                ArrKind::Lidarr,
                json!([
                    {"id": 1, "artistName": "A", "qualityProfileId": 4, "monitored": true,
                     "statistics": {"trackFileCount": 3, "trackCount": 4}},
                    {"id": 2, "artistName": "B", "qualityProfileId": 4, "monitored": false,
                     "statistics": {"trackFileCount": 4, "trackCount": 4}},
                    {"id": 3, "artistName": "C", "qualityProfileId": 4},
                    {"id": 4, "artistName": "D"},
                ]),
            ),
            (
                ArrKind::Readarr,
                json!([
                    {"id": 1, "authorName": "A", "qualityProfileId": 4, "monitored": true,
                     "statistics": {"bookFileCount": 0, "bookCount": 2}},
                    {"id": 2, "authorName": "B", "qualityProfileId": 4, "monitored": false,
                     "statistics": {"bookFileCount": 2, "bookCount": 2}},
                    {"id": 3, "authorName": "C", "qualityProfileId": 4},
                    {"id": 4, "authorName": "D"},
                ]),
            ),
        ];
        for (kind, body) in cases {
            let items = profiled_items_in(kind, body.to_string().as_bytes()).expect("parses");
            let seen: Vec<(i64, &str, bool, bool)> = items
                .iter()
                .map(|i| (i.id, i.title.as_str(), i.missing, i.monitored))
                .collect();
            // Without what tells whether files lack, an item is not missing; without a profile,
            // it is not listed.
            assert_eq!(
                seen,
                [
                    (1, "A", true, true),
                    (2, "B", false, false),
                    (3, "C", false, true)
                ],
                "{kind:?}"
            );
            assert!(items.iter().all(|i| i.profile == 4));
        }
    }
}
