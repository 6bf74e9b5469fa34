//! Fake request managers on loopback, shaped as their public APIs document and recording every
//! request:
//!
//! - Overseerr: `GET /api/v1/request?take&skip&filter&sort` answers
//!   `{"pageInfo":{"pages","pageSize","results","page"},"results":[MediaRequest]}`, a
//!   `MediaRequest` being `{id, status (1 pending, 2 approved, 3 declined), is4k, type,
//!   media: {id, mediaType, tmdbId, tvdbId, status, status4k (5 available)}, requestedBy}`;
//!   `filter=approved` keeps status 2. Key in `X-Api-Key`, else 403.
//! - Ombi: `GET /api/v1/Request/movie` answers `[{id, theMovieDbId, title, approved, available,
//!   denied}]`, `GET /api/v1/Request/tvlite` answers `[{id, tvDbId, title, childRequests:
//!   [{approved, available, denied}]}]`. Key in `ApiKey`, else 401.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::support::util::{parse_query, request_header, value_of, LoopbackServer};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Manager {
    Overseerr,
    Ombi,
}

/// One request as a test writes it; rendered in each manager's shape.
#[derive(Clone, Debug)]
pub struct Request {
    pub movie: bool,
    /// TMDB id for a movie, TVDB id for a series.
    pub id: i64,
    pub approved: bool,
    pub available: bool,
    pub is4k: bool,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    seen: Vec<(String, Vec<(String, String)>)>,
}

pub struct FakeRequests {
    state: Arc<Mutex<State>>,
    url: String,
    _server: LoopbackServer,
}

impl FakeRequests {
    pub fn start(manager: Manager, key: &str) -> FakeRequests {
        let mut server = LoopbackServer::bind();
        let url = server.url();
        let state = Arc::new(Mutex::new(State::default()));
        let (st, key) = (Arc::clone(&state), key.to_string());
        server.serve("fake-requests", move |mut req| {
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(req.as_reader(), &mut sink);
            let (path, query) = match req.url().split_once('?') {
                Some((p, q)) => (p.to_string(), parse_query(q)),
                None => (req.url().to_string(), Vec::new()),
            };
            let header = match manager {
                Manager::Overseerr => "X-Api-Key",
                Manager::Ombi => "ApiKey",
            };
            let authorised = request_header(&req, header).as_deref() == Some(key.as_str());
            let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
            s.seen.push((path.clone(), query.clone()));
            let (status, body) = if !authorised {
                (
                    if manager == Manager::Overseerr { 403 } else { 401 },
                    json!({"message": "Unauthorized"}),
                )
            } else {
                match (manager, path.as_str()) {
                    (Manager::Overseerr, "/api/v1/request") => (200, overseerr_page(&s.requests, &query)),
                    (Manager::Ombi, "/api/v1/Request/movie") => (200, ombi_movies(&s.requests)),
                    (Manager::Ombi, "/api/v1/Request/tvlite") => (200, ombi_series(&s.requests)),
                    _ => (404, json!({"message": "Not Found"})),
                }
            };
            drop(s);
            let resp = tiny_http::Response::from_data(body.to_string().into_bytes())
                .with_status_code(status)
                .with_header(
                    tiny_http::Header::from_bytes("Content-Type", "application/json; charset=utf-8")
                        .expect("header"),
                );
            let _ = req.respond(resp);
        });
        FakeRequests {
            state,
            url,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn set(&self, requests: Vec<Request>) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).requests = requests;
    }

    /// The paths asked for, with their queries, in order.
    pub fn seen(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).seen.clone()
    }
}

fn overseerr_page(requests: &[Request], query: &[(String, String)]) -> Value {
    let take: usize = value_of(query, "take")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .max(1);
    let skip: usize = value_of(query, "skip").and_then(|v| v.parse().ok()).unwrap_or(0);
    let approved_only = value_of(query, "filter") == Some("approved");
    let matching: Vec<(usize, &Request)> = requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.approved || !approved_only)
        .collect();
    let results: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|(i, r)| {
            let media_status = if r.available { 5 } else { 3 };
            let (status, status4k) = if r.is4k {
                (1, media_status)
            } else {
                (media_status, 1)
            };
            json!({
                "id": i + 1, "status": if r.approved { 2 } else { 1 }, "is4k": r.is4k,
                "type": if r.movie { "movie" } else { "tv" },
                "createdAt": "2026-11-01T10:00:00.000Z", "updatedAt": "2026-11-01T10:00:00.000Z",
                "requestedBy": {"id": 1, "displayName": "someone"},
                "media": {
                    "id": i + 100, "mediaType": if r.movie { "movie" } else { "tv" },
                    "tmdbId": if r.movie { Some(r.id) } else { Some(r.id + 50_000) },
                    "tvdbId": if r.movie { None } else { Some(r.id) },
                    "status": status, "status4k": status4k,
                },
            })
        })
        .collect();
    json!({
        "pageInfo": {"pages": matching.len().div_ceil(take), "pageSize": take, "results": matching.len(), "page": skip / take + 1},
        "results": results,
    })
}

fn ombi_movies(requests: &[Request]) -> Value {
    Value::Array(
        requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.movie)
            .map(|(i, r)| {
                json!({"id": i + 1, "theMovieDbId": r.id, "title": format!("Movie {}", r.id),
                       "approved": r.approved, "available": r.available, "denied": false})
            })
            .collect(),
    )
}

fn ombi_series(requests: &[Request]) -> Value {
    Value::Array(
        requests
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.movie)
            .map(|(i, r)| {
                json!({"id": i + 1, "tvDbId": r.id, "title": format!("Series {}", r.id),
                       "childRequests": [{"id": i + 1, "approved": r.approved, "available": r.available, "denied": null}]})
            })
            .collect(),
    )
}
