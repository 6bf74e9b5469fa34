//! The request managers, Overseerr and Ombi (`[<Arr>.EntrySearch.Overseerr]` / `.Ombi`): which
//! movies (by TMDB id) and series (by TVDB id) users asked for and do not have yet, so that
//! the search loop searches them ahead of the rest.
//!
//! - Overseerr: `GET /api/v1/request?take=100&skip=N&sort=added&filter=approved|all`, paged by
//!   `pageInfo.results`, header `X-Api-Key`. A request counts when it is not declined (status
//!   3), approved (status 2) if ApprovedOnly, for the 4K server exactly when Is4K, and its media
//!   is not available (media `status`, or `status4k` for a 4K request, is not 5).
//! - Ombi: `GET /api/v1/Request/movie` and `GET /api/v1/Request/tvlite`, header `ApiKey`. A
//!   request counts when it is neither available nor denied, and approved if ApprovedOnly (a
//!   series when any of its season requests does).
//!
//! An answer that is not what these document is an error: the search loop then searches
//! without requests first, and says so once.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::config::{RequestManager, RequestSource};
use crate::http::{self, HttpError};

#[cfg(test)]
mod tests;

/// Overseerr requests read per page.
const OVERSEERR_PAGE: u64 = 100;
/// Upper bound on Overseerr pages read (20,000 requests), so a misbehaving server cannot loop us.
const OVERSEERR_MAX_PAGES: u64 = 200;
/// Largest answer accepted.
const BODY_LIMIT: u64 = 32 << 20;

/// What users asked for and do not have yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Requested {
    /// Movies, by TMDB id.
    pub(crate) movies: BTreeSet<i64>,
    /// Series, by TVDB id.
    pub(crate) series: BTreeSet<i64>,
}

/// A request manager, as the search loop needs it.
pub(crate) trait RequestApi: Send {
    fn manager(&self) -> RequestManager;
    /// Every request that counts (see the module docs).
    fn requested(&self) -> Result<Requested, HttpError>;
}

/// The HTTP client of one request manager.
pub(crate) struct RequestClient {
    source: RequestSource,
    agent: ureq::Agent,
}

impl RequestClient {
    pub(crate) fn new(source: &RequestSource) -> Self {
        Self {
            agent: http::agent(source.skip_tls_verify),
            source: source.clone(),
        }
    }

    fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<u8>, HttpError> {
        let endpoint = format!("{} GET {path}", self.source.manager.name());
        let header = match self.source.manager {
            RequestManager::Overseerr => "X-Api-Key",
            RequestManager::Ombi => "ApiKey",
        };
        let mut req = self
            .agent
            .get(format!("{}{path}", self.source.uri))
            .header(header, &self.source.api_key);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        let mut resp = req.call().map_err(|e| HttpError::from_ureq(&endpoint, e))?;
        match resp.status().as_u16() {
            200..=299 => {}
            401 | 403 => {
                return Err(HttpError::Auth {
                    endpoint,
                    detail: format!("API key refused (check {}APIKey)", self.source.manager.name()),
                })
            }
            _ => return Err(HttpError::status_of(&endpoint, &mut resp)),
        }
        http::read_bytes(&endpoint, resp.body_mut(), BODY_LIMIT)
    }

    fn overseerr(&self) -> Result<Requested, HttpError> {
        let filter = if self.source.approved_only {
            "approved"
        } else {
            "all"
        };
        let mut out = Requested::default();
        for page in 0..OVERSEERR_MAX_PAGES {
            let skip = page * OVERSEERR_PAGE;
            let body = self.get(
                "/api/v1/request",
                &[
                    ("take", OVERSEERR_PAGE.to_string()),
                    ("skip", skip.to_string()),
                    ("sort", "added".into()),
                    ("filter", filter.into()),
                ],
            )?;
            let total = overseerr_page(&body, &self.source, &mut out)
                .map_err(|e| HttpError::decode_error("Overseerr GET /api/v1/request", e))?;
            if skip + OVERSEERR_PAGE >= total {
                return Ok(out);
            }
        }
        Err(HttpError::decode(
            "Overseerr GET /api/v1/request",
            format!("more than {OVERSEERR_MAX_PAGES} pages of {OVERSEERR_PAGE}; not read whole"),
        ))
    }

    fn ombi(&self) -> Result<Requested, HttpError> {
        let approved_only = self.source.approved_only;
        let movies = self.get("/api/v1/Request/movie", &[])?;
        let series = self.get("/api/v1/Request/tvlite", &[])?;
        Ok(Requested {
            movies: ombi_movies(&movies, approved_only)
                .map_err(|e| HttpError::decode_error("Ombi GET /api/v1/Request/movie", e))?,
            series: ombi_series(&series, approved_only)
                .map_err(|e| HttpError::decode_error("Ombi GET /api/v1/Request/tvlite", e))?,
        })
    }
}

impl RequestApi for RequestClient {
    fn manager(&self) -> RequestManager {
        self.source.manager
    }

    fn requested(&self) -> Result<Requested, HttpError> {
        match self.source.manager {
            RequestManager::Overseerr => self.overseerr(),
            RequestManager::Ombi => self.ombi(),
        }
    }
}

/// An Overseerr request page.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OverseerrPage {
    page_info: PageInfo,
    results: Vec<OverseerrRequest>,
}

#[derive(Deserialize)]
struct PageInfo {
    /// Requests in all pages.
    results: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OverseerrRequest {
    /// 1 pending approval, 2 approved, 3 declined.
    status: u8,
    #[serde(default)]
    is4k: bool,
    media: OverseerrMedia,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OverseerrMedia {
    media_type: String,
    #[serde(default)]
    tmdb_id: Option<i64>,
    #[serde(default)]
    tvdb_id: Option<i64>,
    /// 1 unknown, 2 pending, 3 processing, 4 partially available, 5 available.
    #[serde(default)]
    status: u8,
    #[serde(default)]
    status4k: u8,
}

const DECLINED: u8 = 3;
const APPROVED: u8 = 2;
const AVAILABLE: u8 = 5;

/// One Overseerr page's requests that count, added to `out`; the number of requests in all
/// pages.
pub(crate) fn overseerr_page(
    body: &[u8],
    source: &RequestSource,
    out: &mut Requested,
) -> Result<u64, serde_json::Error> {
    let page: OverseerrPage = serde_json::from_slice(body)?;
    for r in page.results {
        let media_status = if r.is4k { r.media.status4k } else { r.media.status };
        let counts = r.status != DECLINED
            && (r.status == APPROVED || !source.approved_only)
            && r.is4k == source.is_4k
            && media_status != AVAILABLE;
        if !counts {
            continue;
        }
        match (r.media.media_type.as_str(), r.media.tmdb_id, r.media.tvdb_id) {
            ("movie", Some(tmdb), _) => {
                out.movies.insert(tmdb);
            }
            ("tv", _, Some(tvdb)) => {
                out.series.insert(tvdb);
            }
            _ => {}
        }
    }
    Ok(page.page_info.results)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OmbiState {
    #[serde(default)]
    approved: bool,
    #[serde(default)]
    available: bool,
    #[serde(default)]
    denied: Option<bool>,
}

impl OmbiState {
    fn counts(&self, approved_only: bool) -> bool {
        !self.available && self.denied != Some(true) && (self.approved || !approved_only)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OmbiMovie {
    the_movie_db_id: i64,
    #[serde(flatten)]
    state: OmbiState,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OmbiSeries {
    tv_db_id: i64,
    #[serde(default)]
    child_requests: Vec<OmbiState>,
}

/// Ombi's movie requests that count, by TMDB id.
pub(crate) fn ombi_movies(body: &[u8], approved_only: bool) -> Result<BTreeSet<i64>, serde_json::Error> {
    let movies: Vec<OmbiMovie> = serde_json::from_slice(body)?;
    Ok(movies
        .into_iter()
        .filter(|m| m.state.counts(approved_only))
        .map(|m| m.the_movie_db_id)
        .collect())
}

/// Ombi's series requests that count (any season request does), by TVDB id.
pub(crate) fn ombi_series(body: &[u8], approved_only: bool) -> Result<BTreeSet<i64>, serde_json::Error> {
    let series: Vec<OmbiSeries> = serde_json::from_slice(body)?;
    Ok(series
        .into_iter()
        .filter(|s| s.child_requests.iter().any(|c| c.counts(approved_only)))
        .map(|s| s.tv_db_id)
        .collect())
}
