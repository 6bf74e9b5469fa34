//! The commands of the binary: parse the command line, then run the daemon
//! (config, logging, store, status server, supervisor, signal handling),
//! check the connections, or ask a running daemon for its status; map the
//! outcome to an exit code. `src/main.rs` only calls [`main`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::advice;
use crate::arr::ArrClient;
use crate::cli::{
    ActionsArgs, CheckArgs, Cli, Command, ExplainArgs, HealthArgs, InitArgs, RunArgs, StatusArgs,
    EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME,
};
use crate::clock::unix_now;
use crate::http::HttpError;
use crate::qbit::QbitClient;
use crate::requests::{RequestApi, RequestClient};
use crate::server::{self, Access, StatusServer};
use crate::status::Board;
use crate::supervisor::Supervisor;
use crate::{config, logging, store};

const EXAMPLE_CONFIG: &str = include_str!("../config.example.toml");

/// Runs the command line given to the process.
pub fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(code),
    };
    if cli.version {
        println!("qbitrr-lite {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::from(EXIT_OK);
    }
    let code = match cli.command {
        Some(Command::Run(args)) => run(args),
        Some(Command::Check(args)) => check(args),
        Some(Command::Status(args)) => status(args),
        Some(Command::Health(args)) => health(args),
        Some(Command::Init(args)) => init(&args),
        Some(Command::Actions(args)) => actions(args),
        Some(Command::Explain(args)) => explain(args),
        Some(Command::GenConfig(_)) => {
            print!("{EXAMPLE_CONFIG}");
            EXIT_OK
        }
        None => {
            eprintln!(
                "qbitrr-lite: a command is required (run, check, status, health, actions, explain, init, gen-config); see --help"
            );
            EXIT_CONFIG
        }
    };
    ExitCode::from(code)
}

/// Parses the command line; `--help` exits 0, a usage error exits 2 (argh alone would exit 1).
fn parse_args() -> Result<Cli, u8> {
    let args: Vec<String> = std::env::args().collect();
    let cmd = args.first().map(String::as_str).unwrap_or("qbitrr-lite");
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    <Cli as argh::FromArgs>::from_args(&[cmd], &rest).map_err(|early| {
        if early.status.is_ok() {
            println!("{}", early.output);
            EXIT_OK
        } else {
            eprintln!("{}", early.output);
            EXIT_CONFIG
        }
    })
}

fn default_data_dir(config: &Path) -> PathBuf {
    config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn load_config(path: &Path) -> Result<config::Loaded, u8> {
    config::load(path).map_err(|e| {
        eprintln!("qbitrr-lite: invalid configuration:\n{e}");
        EXIT_CONFIG
    })
}

fn run(args: RunArgs) -> u8 {
    let loaded = match load_config(&args.config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let cfg = loaded.config;
    let data_dir = args.data_dir.unwrap_or_else(|| default_data_dir(&args.config));
    if let Err(e) = std::fs::create_dir_all(&data_dir) {
        eprintln!(
            "qbitrr-lite: cannot create the data directory {}: {e}",
            data_dir.display()
        );
        return EXIT_RUNTIME;
    }
    let s = &cfg.settings;
    logging::init(logging::Options {
        level: logging::level(&s.console_level),
        console: if args.log_stdout {
            logging::Console::Stdout
        } else {
            logging::Console::Stderr
        },
        dir: (s.logging && !args.log_stdout).then(|| data_dir.join("logs")),
        max_bytes: s.log_rotate_size,
        keep: s.log_rotate_count,
    });
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        log::error!("{}: {info}", thread.name().unwrap_or("thread"));
    }));
    log::info!(
        "qbitrr-lite {} starting with {} (data directory {})",
        env!("CARGO_PKG_VERSION"),
        args.config.display(),
        data_dir.display()
    );
    for w in loaded.warnings.iter().chain(&loaded.not_done) {
        log::warn!("{w}");
    }
    if !cfg.arrs.iter().any(|a| a.managed) {
        log::error!(
            "no managed Radarr/Sonarr/Lidarr/Readarr section in {}: nothing to do",
            args.config.display()
        );
        return EXIT_CONFIG;
    }
    let store = match store::open_store(&data_dir) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e}");
            return EXIT_RUNTIME;
        }
    };
    let access = if cfg.webui.auth_disabled {
        Access::Open
    } else {
        match server::token(cfg.webui.token.as_deref(), &data_dir) {
            Ok(token) => Access::Token {
                token,
                in_query: cfg.webui.allow_token_query,
            },
            Err(e) => {
                log::error!("{e}");
                return EXIT_RUNTIME;
            }
        }
    };
    let board = Arc::new(Board::new(&args.config.display().to_string(), unix_now()));
    let supervisor = Supervisor::new(
        cfg.clone(),
        &args.config,
        args.dry_run,
        Arc::clone(&store),
        Arc::clone(&board),
    )
    .notify_systemd(crate::notify::Notifier::from_env());
    let control = supervisor.control();
    let listen = server::Listen {
        host: &cfg.webui.host,
        port: cfg.webui.port,
        url_base: &cfg.webui.url_base,
    };
    let server = match StatusServer::start(
        listen,
        access,
        board,
        control.clone(),
        Arc::clone(&store),
        supervisor.shared_config(),
    ) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e} (set [WebUI] Host/Port)");
            return EXIT_RUNTIME;
        }
    };
    let mut signalled = false;
    if let Err(e) = ctrlc::set_handler(move || {
        if signalled {
            // A second signal: stop at once.
            std::process::exit(i32::from(EXIT_OK));
        }
        signalled = true;
        log::info!("signal received: stopping (send it again to stop at once)");
        control.shutdown();
    }) {
        log::error!("cannot install the signal handler: {e}");
        return EXIT_RUNTIME;
    }
    supervisor.run();
    server.stop();
    log::info!("stopped cleanly");
    log::logger().flush();
    EXIT_OK
}

/// `check`: the config, then every connection, as a table.
fn check(args: CheckArgs) -> u8 {
    let loaded = match load_config(&args.config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    for w in loaded.warnings.iter().chain(&loaded.not_done) {
        eprintln!("warning: {w}");
    }
    let cfg = loaded.config;
    println!("config {} is valid", args.config.display());
    let mut rows = vec![[
        "instance".to_string(),
        "url".into(),
        "reachable".into(),
        "version".into(),
        "auth".into(),
    ]];
    let mut failed = false;
    let mut problems: Vec<String> = Vec::new();
    for q in &cfg.qbit {
        let client = QbitClient::new(q);
        let outcome = client.login().and_then(|()| client.version()).map(|v| {
            let api = client.capabilities().map(|c| format!(" (WebAPI {})", c.api));
            format!("{v}{}", api.unwrap_or_default())
        });
        let checked = match outcome {
            Ok(version) => Checked::answered(version),
            Err(e) => {
                problems.push(advice::described(
                    advice::Upstream::Qbittorrent,
                    &q.name,
                    "Host",
                    &q.url,
                    &e,
                ));
                Checked::failed(&e)
            }
        };
        failed |= !checked.ok;
        rows.push(checked.row(&q.name, &q.url));
    }
    for a in cfg.arrs.iter().filter(|a| a.managed && a.has_arr()) {
        let client = ArrClient::new(a);
        let mut checked = match client.system_status() {
            Ok(s) => {
                let mut checked = Checked::answered(format!("{} {}", s.app_name, s.version));
                if let Some(wrong) = advice::wrong_kind(&a.name, a.kind, &s.app_name) {
                    problems.push(format!("{}: not a {}\n  → {wrong}", a.name, a.kind.name()));
                    checked.ok = false;
                }
                checked
            }
            Err(e) => {
                let upstream = advice::Upstream::Arr(a.kind);
                problems.push(advice::described(upstream, &a.name, "URI", &a.uri, &e));
                Checked::failed(&e)
            }
        };
        // Temp profiles: the names must be the Arr's, exactly.
        if checked.ok && a.search.runs() && a.search.temp.on {
            if let Some(problem) = temp_profile_problem(a, &client) {
                problems.push(problem);
                checked.ok = false;
            }
        }
        failed |= !checked.ok;
        rows.push(checked.row(&a.name, &a.uri));
        // Its request manager, whose requests are searched first.
        if let Some(source) = &a.search.requests {
            let manager = source.manager.name();
            let checked = match RequestClient::new(source).requested() {
                Ok(requested) => Checked::answered(format!(
                    "{} open requests",
                    requested.movies.len() + requested.series.len()
                )),
                Err(e) => {
                    problems.push(format!(
                        "{}.EntrySearch.{manager}: {e}\n  → check {manager}URI and {manager}APIKey, or turn \
                         Search{manager}Requests off",
                        a.name
                    ));
                    Checked::failed(&e)
                }
            };
            failed |= !checked.ok;
            rows.push(checked.row(&format!("{}.{manager}", a.name), &source.uri));
        }
    }
    for p in &problems {
        eprintln!("{p}");
    }
    print_table(&rows);
    if failed {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    }
}

/// What is wrong with an Arr section's QualityProfileMappings, as its Arr's quality profiles
/// say; `None` when every name is one of them.
fn temp_profile_problem(a: &crate::config::Arr, client: &ArrClient) -> Option<String> {
    let at = format!("{}.EntrySearch.QualityProfileMappings", a.name);
    let profiles = match client.quality_profiles() {
        Ok(p) => p,
        Err(e) => return Some(format!("{at}: the quality profiles could not be read: {e}")),
    };
    let (mapping, problems) = crate::search::profiles::Mapping::resolve(&a.search.temp.mappings, &profiles);
    let names: Vec<String> = profiles.iter().map(|(_, n)| format!("\"{n}\"")).collect();
    if !problems.is_empty() {
        Some(format!(
            "{at}: {}\n  → the {} has {}",
            problems.join("; "),
            a.kind.name(),
            names.join(", ")
        ))
    } else if mapping.is_empty() {
        Some(format!(
            "{at}: maps no profile, so UseTempForMissing switches nothing\n  → map a main profile to a temp one, e.g. {{\"HD-1080p\" = \"SD\"}}"
        ))
    } else {
        None
    }
}

/// One upstream as `check` found it.
struct Checked {
    reachable: bool,
    version: String,
    auth: &'static str,
    ok: bool,
}

impl Checked {
    fn answered(version: String) -> Self {
        Self {
            reachable: true,
            version,
            auth: "ok",
            ok: true,
        }
    }

    fn failed(e: &HttpError) -> Self {
        let (reachable, auth) = match e {
            HttpError::Auth { .. } => (true, "refused"),
            HttpError::Banned { .. } => (true, "banned"),
            HttpError::Status { .. } | HttpError::Decode { .. } => (true, "-"),
            _ => (false, "-"),
        };
        Self {
            reachable,
            version: "-".into(),
            auth,
            ok: false,
        }
    }

    fn row(&self, name: &str, url: &str) -> [String; 5] {
        [
            name.to_string(),
            url.to_string(),
            if self.reachable { "yes" } else { "no" }.into(),
            self.version.clone(),
            self.auth.into(),
        ]
    }
}

/// GETs `path_and_query` of a running daemon's API: (the daemon's address, the JSON it
/// answered). Where the daemon is and its token come from the command line, the config
/// file, or the data directory's generated token.
fn daemon_api_get(
    url: Option<&str>,
    token: Option<&str>,
    config: Option<&Path>,
    data_dir: Option<&Path>,
    path_and_query: &str,
) -> Result<(String, serde_json::Value), u8> {
    let cfg = match config {
        Some(path) => Some(load_config(path)?.config),
        None => None,
    };
    let url = daemon_url(url, cfg.as_ref());
    let data_dir = data_dir
        .map(Path::to_path_buf)
        .or_else(|| config.map(default_data_dir));
    let token = token
        .map(str::to_string)
        .or_else(|| cfg.as_ref().and_then(|c| c.webui.token.clone()))
        .or_else(|| {
            let dir = data_dir?;
            std::fs::read_to_string(dir.join(server::TOKEN_FILE))
                .ok()
                .map(|t| t.trim().to_string())
        });
    let agent = crate::http::agent(false);
    let mut req = agent.get(format!("{}{path_and_query}", url.trim_end_matches('/')));
    if let Some(t) = &token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = req.call().map_err(|e| {
        eprintln!("qbitrr-lite: cannot reach the daemon at {url}: {e}");
        EXIT_RUNTIME
    })?;
    let code = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_string()
        .unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        eprintln!("qbitrr-lite: {url} answered HTTP {code} with no JSON: {e}");
        EXIT_RUNTIME
    })?;
    if code != 200 {
        eprintln!("qbitrr-lite: {url} answered HTTP {code}: {body}");
        return Err(EXIT_RUNTIME);
    }
    Ok((url, body))
}

/// The running daemon's address: `url`, else the config's `[WebUI]` (a wildcard host as
/// 127.0.0.1), else qBitrr's default port on this machine.
fn daemon_url(url: Option<&str>, cfg: Option<&config::Config>) -> String {
    if let Some(u) = url {
        return u.trim_end_matches('/').to_string();
    }
    match cfg {
        Some(c) => {
            let host = match c.webui.host.as_str() {
                "0.0.0.0" | "::" | "" => "127.0.0.1".to_string(),
                h if h.contains(':') => format!("[{h}]"),
                h => h.to_string(),
            };
            format!("http://{host}:{}", c.webui.port)
        }
        None => "http://127.0.0.1:6969".into(),
    }
}

/// The daemon's `/health` at `url`: Ok when healthy, else each problem in words (or why it
/// could not be asked). A short timeout: a health probe must not hang.
fn daemon_health(url: &str) -> Result<(), Vec<String>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .new_agent();
    let mut resp = agent
        .get(format!("{url}/health"))
        .call()
        .map_err(|e| vec![format!("the daemon at {url} does not answer: {e}")])?;
    let code = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| vec![format!("{url}/health answered HTTP {code} without JSON: {e}")])?;
    if code == 200 && body["status"] == "ok" {
        return Ok(());
    }
    let problems: Vec<String> = body["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{}: {}",
                p["part"].as_str().unwrap_or("?"),
                p["problem"].as_str().unwrap_or("?")
            )
        })
        .collect();
    if problems.is_empty() {
        return Err(vec![format!("{url}/health answered HTTP {code}: {body}")]);
    }
    Err(problems)
}

/// `init`: 0 when written, 2 when it may not or was not answered, 1 when writing failed.
fn init(args: &InitArgs) -> u8 {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout();
    match crate::init::init(&args.config, &mut input, &mut out) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("qbitrr-lite: {e}");
            match e {
                crate::init::InitError::Exists(_) | crate::init::InitError::NoAnswer => EXIT_CONFIG,
                _ => EXIT_RUNTIME,
            }
        }
    }
}

/// `health`: exit 0 when the daemon is healthy, 1 when it is not or does not answer.
fn health(args: HealthArgs) -> u8 {
    let cfg = match args.config.as_deref().map(load_config).transpose() {
        Ok(loaded) => loaded.map(|l| l.config),
        Err(code) => return code,
    };
    let url = daemon_url(args.url.as_deref(), cfg.as_ref());
    match daemon_health(&url) {
        Ok(()) => {
            println!("healthy ({url})");
            EXIT_OK
        }
        Err(problems) => {
            println!("unhealthy ({url})");
            for p in problems {
                println!("  {p}");
            }
            EXIT_RUNTIME
        }
    }
}

/// `status`: the workers of a running daemon, as a table.
fn status(args: StatusArgs) -> u8 {
    let (url, body) = match daemon_api_get(
        args.url.as_deref(),
        args.token.as_deref(),
        args.config.as_deref(),
        args.data_dir.as_deref(),
        "/api/processes",
    ) {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    let mut rows = vec![[
        "name".to_string(),
        "category".into(),
        "status".into(),
        "restarts".into(),
        "uptime".into(),
        "last pass".into(),
        "last error".into(),
    ]];
    for p in body["processes"].as_array().into_iter().flatten() {
        let text = |k: &str| match &p[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "-".into(),
            v => v.to_string(),
        };
        rows.push([
            text("name"),
            text("category"),
            text("status"),
            text("restart_count"),
            format!("{}s", text("uptime")),
            text("last_pass"),
            text("last_error"),
        ]);
    }
    print_table(&rows);
    match daemon_health(&url) {
        Ok(()) => EXIT_OK,
        Err(problems) => {
            eprintln!("unhealthy:");
            for p in problems {
                eprintln!("  {p}");
            }
            EXIT_RUNTIME
        }
    }
}

/// `actions`: the audit log of a running daemon, as a table.
fn actions(args: ActionsArgs) -> u8 {
    let mut query = format!("/api/actions?limit={}", args.limit.unwrap_or(200));
    if let Some(hash) = &args.hash {
        query.push_str(&format!("&hash={}", hash.trim()));
    }
    if let Some(instance) = &args.instance {
        query.push_str(&format!("&instance={}", percent_encode(instance)));
    }
    if let Some(since) = &args.since {
        let Some(secs) = config::duration_seconds(since) else {
            eprintln!("qbitrr-lite: --since {since:?}: expected a duration like 30m, 2h or 7d");
            return EXIT_CONFIG;
        };
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        query.push_str(&format!("&since={}", unix_now().saturating_sub(secs)));
    }
    let body = match daemon_api_get(
        args.url.as_deref(),
        args.token.as_deref(),
        args.config.as_deref(),
        args.data_dir.as_deref(),
        &query,
    ) {
        Ok((_, body)) => body,
        Err(code) => return code,
    };
    let mut rows = vec![[
        "time".to_string(),
        "instance".into(),
        "torrent".into(),
        "rule".into(),
        "step".into(),
        "outcome".into(),
        "why".into(),
    ]];
    for a in body["actions"].as_array().into_iter().flatten() {
        let text = |k: &str| a[k].as_str().unwrap_or("-").to_string();
        let hash = text("hash");
        rows.push([
            crate::clock::rfc3339(a["time"].as_i64().unwrap_or(0)),
            text("instance"),
            format!("{} ({})", text("name"), &hash[..hash.len().min(8)]),
            text("rule"),
            text("step"),
            if a["dry_run"].as_bool() == Some(true) {
                format!("would ({})", text("outcome"))
            } else {
                text("outcome")
            },
            text("detail"),
        ]);
    }
    print_table(&rows);
    EXIT_OK
}

/// `explain`: a running daemon's reasoning about one torrent, as text.
fn explain(args: ExplainArgs) -> u8 {
    let body = match daemon_api_get(
        args.url.as_deref(),
        args.token.as_deref(),
        args.config.as_deref(),
        args.data_dir.as_deref(),
        &format!("/api/explain/{}", percent_encode(args.hash.trim())),
    ) {
        Ok((_, body)) => body,
        Err(code) => return code,
    };
    let text = |k: &str| body[k].as_str().unwrap_or("-").to_string();
    println!(
        "{} ({}) in {}: category {:?}, state {}",
        text("name"),
        text("hash"),
        text("qbit"),
        text("category"),
        text("state")
    );
    let explanations = body["explanations"].as_array().cloned().unwrap_or_default();
    if explanations.is_empty() {
        println!("no managed Arr section has this torrent's category: it is left alone");
    }
    for e in explanations {
        println!("\n{}:", e["instance"].as_str().unwrap_or("-"));
        println!("{}", e["text"].as_str().unwrap_or(""));
    }
    EXIT_OK
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn print_table<const N: usize>(rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}
