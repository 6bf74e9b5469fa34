//! The status server on qBitrr's `[WebUI] Host`/`Port`: its routes, its token,
//! and what it answers from. How connections are kept is in [`connections`], how
//! requests are read in [`http1`].
//!
//! - `GET /` (no auth): the status page ([`page`]);
//! - `GET /health` (no auth): 200 `{"status":"ok",…}` or 503 naming each failing part;
//! - `GET /api/processes`, `POST /api/processes/{name}/restart`, `POST /api/processes/restart_all`,
//!   qBitrr's `POST /api/processes/{category}/{kind}/restart`,
//!   `POST /api/processes/{name}/acknowledge` (a storm the guard holds back), `GET /api/status`,
//!   `GET /api/actions`, `GET /api/explain/{hash}`, `GET /api/logs`, `GET /api/history`,
//!   `GET /api/upcoming`,
//!   `POST /api/config/reload`;
//! - `GET /metrics` (Prometheus text, with the standard `process_*` metrics: [`process`]).
//!
//! `/api/*` and `/metrics` need `Authorization: Bearer <token>` (or `?token=` with
//! AllowInsecureTokenQuery) unless AuthDisabled. Every route also answers under
//! `[WebUI] UrlBase` (for a reverse proxy). Unknown paths answer 404, wrong methods 405, bodies over
//! 64 KiB 413, malformed requests 4xx; none of them stops the server. Every
//! answer is built from the status board, the store or the supervisor; only
//! `/api/explain` calls an upstream, on a slow thread, so `/health` never waits.

mod connections;
pub(crate) mod http1;
mod page;
mod process;

use std::fmt;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use log::{debug, info, warn};
use serde_json::{json, Value};

use crate::clock::unix_now;
use crate::config::Config;
use crate::control::{Control, ControlError};
use crate::inspect::InspectError;
use crate::model::UnixTime;
use crate::status::Board;
use crate::store::Store;
use connections::{Answer, Limits, Serving};
use http1::{Method, Request, Response};

/// How long an API call waits for the supervisor (restart, reload).
const SUPERVISOR_TIMEOUT: Duration = Duration::from_secs(10);
/// The file, in the data directory, holding a generated token.
pub(crate) const TOKEN_FILE: &str = "webui-token";
/// Most connections kept open; fewer when the descriptor limit is low.
const MAX_CONNECTIONS: u64 = 512;
/// Descriptors left for the rest of the daemon (store, upstream connections, logs).
const RESERVED_FDS: u64 = 64;

/// The running server; [`StatusServer::stop`] closes it.
pub(crate) struct StatusServer {
    serving: Serving,
}

/// Who may call `/api/*` and `/metrics`.
#[derive(Clone)]
pub(crate) enum Access {
    Open,
    /// The token, and whether it may come as `?token=` (AllowInsecureTokenQuery).
    Token {
        token: String,
        in_query: bool,
    },
}

/// Where the server listens, and under which path prefix.
pub(crate) struct Listen<'a> {
    pub host: &'a str,
    pub port: u16,
    /// `[WebUI] UrlBase`, without a trailing `/` ("" for none).
    pub url_base: &'a str,
}

impl StatusServer {
    /// Binds `host:port` and serves until [`StatusServer::stop`].
    pub(crate) fn start(
        listen: Listen<'_>,
        access: Access,
        board: Arc<Board>,
        control: Control,
        store: Arc<Store>,
        config: Arc<RwLock<Config>>,
    ) -> Result<Self, ServerError> {
        let (host, port) = (listen.host, listen.port);
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let listener = TcpListener::bind(&addr).map_err(|source| ServerError::Listen {
            addr: addr.clone(),
            source: Box::new(source),
        })?;
        let bound = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| addr.clone());
        let open_files = raise_open_file_limit();
        let max_connections = open_files
            .map_or(MAX_CONNECTIONS, |soft| soft.saturating_sub(RESERVED_FDS) / 2)
            .clamp(8, MAX_CONNECTIONS);
        let ctx = Arc::new(Context {
            url_base: listen.url_base.trim_end_matches('/').to_string(),
            access,
            board,
            control,
            store,
            config,
        });
        let limits = Limits {
            max_connections: max_connections as usize,
            request_timeout: connections::REQUEST_TIMEOUT,
        };
        let serving = Serving::start(listener, limits, move |request| route(request, &ctx))
            .map_err(ServerError::Thread)?;
        info!(
            "status server listening on http://{bound}{} (/health, /api/*, /metrics)",
            listen.url_base
        );
        Ok(Self { serving })
    }

    pub(crate) fn stop(self) {
        self.serving.stop();
    }
}

/// Raises the soft limit on open files to the hard one (systemd, DSM and procd leave
/// 1,024, which a few hundred idle clients would exhaust); the soft limit after.
fn raise_open_file_limit() -> Option<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft >= hard {
        return Some(soft);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => {
            debug!("raised the open-file limit from {soft} to {hard}");
            Some(hard)
        }
        Err(e) => {
            debug!("cannot raise the open-file limit from {soft} to {hard}: {e}");
            Some(soft)
        }
    }
}

/// Why the status server could not start.
#[derive(Debug)]
pub(crate) enum ServerError {
    /// The address is taken or not ours.
    Listen {
        addr: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Its thread could not be started.
    Thread(std::io::Error),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::Thread(e) => write!(f, "cannot start the status server thread: {e}"),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Listen { source, .. } => Some(source.as_ref()),
            Self::Thread(e) => Some(e),
        }
    }
}

/// Why no WebUI token could be had.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// No random bytes for a new token.
    Generate(std::io::Error),
    /// The new token could not be written to the data directory.
    Store {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Generate(e) => write!(f, "cannot generate a WebUI token: {e}"),
            Self::Store { path, source } => {
                write!(f, "cannot store the WebUI token in {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Generate(e) | Self::Store { source: e, .. } => Some(e),
        }
    }
}

/// The token to require: the configured one, else the one stored in the data
/// directory, else a new one written there (mode 0600). Never logged.
pub(crate) fn token(configured: Option<&str>, data_dir: &Path) -> Result<String, TokenError> {
    if let Some(t) = configured {
        return Ok(t.to_string());
    }
    let path = data_dir.join(TOKEN_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let t = text.trim();
        if !t.is_empty() {
            return Ok(t.to_string());
        }
    }
    let token = random_hex(32).map_err(TokenError::Generate)?;
    write_private(&path, &token).map_err(|source| TokenError::Store {
        path: path.clone(),
        source,
    })?;
    info!(
        "WebUI.Token is empty: generated one and stored it in {} (send it as Authorization: Bearer <token>)",
        path.display()
    );
    Ok(token)
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(format!("{text}\n").as_bytes())
}

/// Compares in time independent of where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(request: &Request, access: &Access) -> bool {
    let Access::Token { token, in_query } = access else {
        return true;
    };
    let matches = |given: &str| constant_time_eq(given.trim().as_bytes(), token.as_bytes());
    let by_header = request
        .header("Authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(matches);
    by_header
        || (*in_query
            && query_pairs(&request.target)
                .iter()
                .any(|(k, v)| k == "token" && matches(v)))
}

fn json_response(status: u16, body: &Value) -> Response {
    Response::new(status, "application/json", body.to_string().into_bytes())
}

fn error(status: u16, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

/// What the routes answer from.
struct Context {
    /// `[WebUI] UrlBase` ("" for none).
    url_base: String,
    access: Access,
    board: Arc<Board>,
    control: Control,
    /// For the audit log (`/api/actions`) and `/api/explain`.
    store: Arc<Store>,
    /// The config running now (`/api/explain`).
    config: Arc<RwLock<Config>>,
}

/// The path a route sees: without the query, the URL base and a trailing `/`; None when
/// the request is not under the URL base.
fn local_path<'a>(request: &'a Request, url_base: &str) -> Option<&'a str> {
    let path = request.path();
    let rest = if url_base.is_empty() {
        path
    } else {
        let rest = path.strip_prefix(url_base)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        rest
    };
    Some(rest.trim_end_matches('/'))
}

fn route(request: &Request, ctx: &Arc<Context>) -> Answer {
    let (access, board) = (&ctx.access, &*ctx.board);
    let now = unix_now();
    let method = request.method;
    let get = method == Method::Get || method == Method::Head;
    let post = method == Method::Post;
    let Some(path) = local_path(request, &ctx.url_base) else {
        return Answer::Now(error(404, "not found"));
    };
    let known = matches!(
        path,
        "" | "/health"
            | "/api/history"
            | "/api/upcoming"
            | "/metrics"
            | "/api/processes"
            | "/api/processes/restart_all"
            | "/api/status"
            | "/api/config/reload"
            | "/api/actions"
            | "/api/logs"
    ) || restart_target(path).is_some()
        || category_restart_target(path).is_some()
        || explain_target(path).is_some()
        || acknowledge_target(path).is_some()
        || log_target(path).is_some();
    if !known {
        return Answer::Now(error(404, "not found"));
    }
    if !matches!(path, "" | "/health") && !authorized(request, access) {
        return Answer::Now(error(
            401,
            "missing or wrong token: send Authorization: Bearer <WebUI.Token>",
        ));
    }
    // Answers that wait on the supervisor, the store or an upstream run off the loop.
    let later = |f: fn(&Context, &Request) -> Response| {
        let (ctx, request) = (Arc::clone(ctx), request.clone());
        Answer::Later(Box::new(move || {
            let response = f(&ctx, &request);
            debug!(
                "status server: {} {} → {}",
                request.method_text,
                request.path(),
                response.status
            );
            response
        }))
    };
    let response = match (path, get, post) {
        ("", true, _) => {
            let in_query = matches!(access, Access::Token { in_query: true, .. });
            page::render(&board.health(now).1, &ctx.url_base, in_query)
        }
        ("/health", true, _) => {
            let (ok, body) = board.health(now);
            json_response(if ok { 200 } else { 503 }, &body)
        }
        ("/metrics", true, _) => {
            let mut text = board.metrics(now);
            text.push_str(&store_metrics(&ctx.store));
            text.push_str(&process::metrics(board.started_at()));
            Response::new(200, "text/plain; version=0.0.4; charset=utf-8", text.into_bytes())
        }
        ("/api/processes", true, _) => json_response(200, &board.processes_json(now)),
        ("/api/status", true, _) => {
            let mut status = board.status_json(now);
            status["health"] = board.health(now).1;
            json_response(200, &status)
        }
        ("/api/history", true, _) => json_response(200, &board.history_json()),
        ("/api/upcoming", true, _) => json_response(200, &board.upcoming_json(now)),
        ("/api/actions", true, _) => return later(|ctx, r| actions(&r.target, &ctx.store)),
        ("/api/logs", true, _) => logs(&request.target, None),
        (p, true, _) if log_target(p).is_some() => logs(&request.target, log_target(p)),
        ("/api/processes/restart_all", _, true) => {
            return later(|ctx, _| restart_all(&ctx.control, &ctx.board))
        }
        (p, _, true) if category_restart_target(p).is_some() => {
            return later(|ctx, r| {
                let path = local_path(r, &ctx.url_base).unwrap_or_default();
                let (category, kind) = category_restart_target(path).unwrap_or_default();
                restart_category(&ctx.control, &ctx.board, category, kind)
            })
        }
        (p, true, _) if explain_target(p).is_some() => {
            return later(|ctx, r| {
                let path = local_path(r, &ctx.url_base).unwrap_or_default();
                let hash = explain_target(path).unwrap_or_default();
                let snapshot = ctx.config.read().unwrap_or_else(|p| p.into_inner()).clone();
                explain_response(&snapshot, &ctx.store, hash)
            })
        }
        ("/api/config/reload", _, true) => return later(|ctx, _| reload(&ctx.control)),
        (p, _, true) if acknowledge_target(p).is_some() => {
            let name = acknowledge_target(p).unwrap_or_default();
            if board.acknowledge_storm(name) {
                info!("{name}: storm acknowledged: its missingFiles/errored torrents are acted on again");
                json_response(200, &json!({ "result": "acknowledged" }))
            } else {
                error(404, &format!("no storm held back by a worker named {name:?}"))
            }
        }
        (p, _, true) if restart_target(p).is_some() => {
            return later(|ctx, r| {
                let path = local_path(r, &ctx.url_base).unwrap_or_default();
                let name = restart_target(path).unwrap_or_default();
                restart(&ctx.control, name)
            })
        }
        _ => {
            warn!(
                "status server: {} {path}: method not allowed",
                request.method_text
            );
            error(405, "method not allowed")
        }
    };
    Answer::Now(response)
}

fn reload(control: &Control) -> Response {
    match control.reload(SUPERVISOR_TIMEOUT) {
        Ok(summary) => json_response(200, &json!({ "result": summary })),
        Err(ControlError::Refused(e)) => json_response(
            422,
            &json!({ "error": "the config is invalid; still running the previous one", "detail": e.to_string() }),
        ),
        Err(e) => error(503, &e.to_string()),
    }
}

/// `POST /api/processes/restart_all`: every worker, one after the other.
fn restart_all(control: &Control, board: &Board) -> Response {
    let mut restarted = Vec::new();
    for w in board.snapshot() {
        match control.restart(&w.name, SUPERVISOR_TIMEOUT) {
            Ok(()) => restarted.push(w.name),
            Err(ControlError::Refused(_)) => {} // left the config meanwhile
            Err(e) => return error(503, &e.to_string()),
        }
    }
    json_response(200, &json!({ "result": "restarting", "restarted": restarted }))
}

/// qBitrr's `POST /api/processes/{category}/{kind}/restart`: kind `torrent` is the worker
/// watching that category; kind `search` is its search loop, which runs in the worker's thread
/// and restarts with it.
fn restart_category(control: &Control, board: &Board, category: &str, kind: &str) -> Response {
    let Some(w) = board.snapshot().into_iter().find(|w| w.category == category) else {
        return error(404, &format!("no worker watches category {category:?}"));
    };
    if kind == "search" && w.search.is_none() {
        return error(
            404,
            &format!(
                "{} has no search loop (EntrySearch.SearchMissing is off, or it has no Arr)",
                w.name
            ),
        );
    }
    restart(control, &w.name)
}

/// `GET /api/logs[/{section}]?lines=N`: the newest lines at INFO and above (default 200,
/// at most all that are kept), of one Arr section or of all.
fn logs(url: &str, section: Option<&str>) -> Response {
    let mut n = 200;
    for (key, value) in query_pairs(url) {
        if key == "lines" {
            match value.parse::<usize>() {
                Ok(v) => n = v.clamp(1, crate::logging::TAIL_LINES),
                Err(_) => return error(400, "lines: a number expected"),
            }
        }
    }
    let lines = crate::logging::tail(section, n);
    json_response(200, &json!({ "section": section, "lines": lines }))
}

fn restart(control: &Control, name: &str) -> Response {
    match control.restart(name, SUPERVISOR_TIMEOUT) {
        Ok(()) => json_response(200, &json!({ "result": "restarting" })),
        Err(ControlError::Refused(e)) => error(404, &e.to_string()),
        Err(e) => error(503, &e.to_string()),
    }
}

/// `GET /api/actions?instance=&hash=&since=&limit=`: the audit log, oldest first, at most
/// `limit` (default 200, at most 10,000) of the newest entries that match.
fn actions(url: &str, store: &Store) -> Response {
    let mut instance = None;
    let mut hash = None;
    let mut since: UnixTime = 0;
    let mut limit: usize = 200;
    for (key, value) in query_pairs(url) {
        match key.as_str() {
            "instance" => instance = Some(value),
            "hash" => hash = Some(value.to_ascii_lowercase()),
            "since" => match value.parse() {
                Ok(t) => since = t,
                Err(_) => return error(400, "since: Unix seconds expected"),
            },
            "limit" => match value.parse::<usize>() {
                Ok(n) => limit = n.clamp(1, 10_000),
                Err(_) => return error(400, "limit: a number expected"),
            },
            _ => {}
        }
    }
    let found = store.audit(since, limit, |e| {
        instance.as_deref().is_none_or(|i| e.instance == i)
            && hash.as_deref().is_none_or(|h| e.hash.starts_with(h))
    });
    match found {
        Ok(entries) => json_response(200, &json!({ "actions": entries })),
        Err(e) => error(503, &format!("the audit log cannot be read: {e}")),
    }
}

/// `/api/explain/{hash}` → hash.
fn explain_target(path: &str) -> Option<&str> {
    let hash = path.strip_prefix("/api/explain/")?;
    (!hash.is_empty() && !hash.contains('/')).then_some(hash)
}

/// `GET /api/explain/{hash}`: every rule in order for that torrent, per Arr section.
fn explain_response(config: &Config, store: &Store, hash: &str) -> Response {
    match crate::inspect::inspect(config, store, hash, unix_now()) {
        Ok(found) => json_response(
            200,
            &json!({
                "hash": found.torrent.hash,
                "name": found.torrent.name,
                "qbit": found.qbit,
                "category": found.torrent.category,
                "state": found.torrent.state.as_str(),
                "explanations": found
                    .explanations
                    .iter()
                    .map(|(instance, text)| json!({"instance": instance, "text": text}))
                    .collect::<Vec<_>>(),
            }),
        ),
        Err(e @ InspectError::BadHash(_)) => error(400, &e.to_string()),
        Err(e @ InspectError::NotFound(_)) => error(404, &e.to_string()),
        Err(e) => error(503, &e.to_string()),
    }
}

/// The query of `url` as decoded (key, value) pairs.
fn query_pairs(url: &str) -> Vec<(String, String)> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(b) = hex {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/api/logs/{section}` → section.
fn log_target(path: &str) -> Option<&str> {
    let name = path.strip_prefix("/api/logs/")?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// qBitrr's `/api/processes/{category}/{kind}/restart` → (category, kind).
fn category_restart_target(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/api/processes/")?.strip_suffix("/restart")?;
    let (category, kind) = rest.rsplit_once('/')?;
    (!category.is_empty() && matches!(kind, "torrent" | "search")).then_some((category, kind))
}

/// `/api/processes/{name}/restart` → name (URL-decoded `%20` etc. are not expected in section names).
fn restart_target(path: &str) -> Option<&str> {
    process_target(path, "/restart")
}

/// `/api/processes/{name}/acknowledge` → name: the user expects the storm the guard holds back.
fn acknowledge_target(path: &str) -> Option<&str> {
    process_target(path, "/acknowledge")
}

fn process_target<'a>(path: &'a str, action: &str) -> Option<&'a str> {
    let name = path.strip_prefix("/api/processes/")?.strip_suffix(action)?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// The store's own metrics: what the daemon costs the disk.
fn store_metrics(store: &Store) -> String {
    format!(
        "# HELP qbitrr_lite_store_commits_total Write transactions committed to the store (each a few pages and two syncs).\n\
         # TYPE qbitrr_lite_store_commits_total counter\n\
         qbitrr_lite_store_commits_total {}\n",
        store.commits()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn qbitrrs_category_restart_paths() {
        assert_eq!(
            category_restart_target("/api/processes/radarr/torrent/restart"),
            Some(("radarr", "torrent"))
        );
        assert_eq!(
            category_restart_target("/api/processes/movies/4k/search/restart"),
            Some(("movies/4k", "search"))
        );
        assert_eq!(
            category_restart_target("/api/processes/radarr/other/restart"),
            None
        );
        assert_eq!(
            category_restart_target("/api/processes/Radarr-1080/restart"),
            None
        );
        assert_eq!(category_restart_target("/api/processes//torrent/restart"), None);
    }

    #[test]
    fn restart_paths() {
        assert_eq!(
            restart_target("/api/processes/Radarr-1080/restart"),
            Some("Radarr-1080")
        );
        assert_eq!(restart_target("/api/processes//restart"), None);
        assert_eq!(restart_target("/api/processes/a/b/restart"), None);
    }

    #[test]
    fn a_generated_token_is_kept_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("qbitrr-lite-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t1 = token(None, &dir).unwrap();
        assert_eq!(t1.len(), 64);
        assert_eq!(token(None, &dir).unwrap(), t1, "reused on the next start");
        assert_eq!(
            token(Some("mine"), &dir).unwrap(),
            "mine",
            "a configured token wins"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn queries_are_decoded() {
        assert_eq!(
            query_pairs("/api/actions?instance=Radarr%201080&hash=AB+C&since=5&bad=%zz&flag"),
            [
                ("instance".to_string(), "Radarr 1080".to_string()),
                ("hash".into(), "AB C".into()),
                ("since".into(), "5".into()),
                ("bad".into(), "%zz".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert!(query_pairs("/api/actions").is_empty());
    }
}
