//! Logging: the console plus, like qBitrr, `Main.log` (every line) and one
//! `<Section>.log` per Arr instance in the data directory's `logs/` folder,
//! with size-based rotation (`X.log` → `X.log.1` … `X.log.N`), which qBitrr
//! lacks and small NAS partitions need.
//!
//! A worker thread names its section once with [`set_section`]; its lines
//! then go to that section's file too. The newest lines at INFO and above are also
//! kept in memory ([`tail`]) for `/api/logs` and the status page, with or without files. Under procd or systemd, `--log-stdout`
//! sends everything to standard output instead, for the service manager to
//! collect. Secrets are never passed to the logger: callers log key names
//! and endpoints, never values.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

/// qBitrr's level names mapped to `log` levels (NOTICE sits between INFO and WARNING; shown as INFO).
pub(crate) fn level(name: &str) -> LevelFilter {
    match name.to_ascii_uppercase().as_str() {
        "CRITICAL" | "ERROR" => LevelFilter::Error,
        "WARNING" | "WARN" => LevelFilter::Warn,
        "DEBUG" => LevelFilter::Debug,
        "TRACE" => LevelFilter::Trace,
        _ => LevelFilter::Info,
    }
}

thread_local! {
    static SECTION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Lines kept in memory for [`tail`] (about 75 KB).
pub(crate) const TAIL_LINES: usize = 500;

/// The newest lines at INFO and above, with the section that logged each.
static TAIL: Mutex<VecDeque<(Option<String>, String)>> = Mutex::new(VecDeque::new());

/// The newest `n` lines kept in memory (oldest first), of one section when `section`
/// is given (a worker's own lines), else of all.
pub(crate) fn tail(section: Option<&str>, n: usize) -> Vec<String> {
    let kept = TAIL.lock().unwrap_or_else(|p| p.into_inner());
    let mut lines: Vec<String> = kept
        .iter()
        .rev()
        .filter(|(s, _)| section.is_none_or(|want| s.as_deref() == Some(want)))
        .take(n)
        .map(|(_, line)| line.clone())
        .collect();
    lines.reverse();
    lines
}

fn keep(section: Option<String>, line: &str) {
    let mut kept = TAIL.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() == TAIL_LINES {
        kept.pop_front();
    }
    kept.push_back((section, line.trim_end().to_string()));
}

/// Routes this thread's log lines to `<section>.log` as well as `Main.log`.
pub(crate) fn set_section(section: &str) {
    SECTION.with(|s| *s.borrow_mut() = Some(section.to_string()));
}

/// Where console lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Console {
    Stderr,
    Stdout,
}

/// How logs are written.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub level: LevelFilter,
    pub console: Console,
    /// `logs/` directory for files; `None` for console only.
    pub dir: Option<PathBuf>,
    /// Rotate a file when it would grow past this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept per log.
    pub keep: u32,
}

struct Logger {
    console: Console,
    files: Option<Files>,
}

/// Installs the global logger. A log directory that cannot be created is
/// reported and the console keeps working.
pub(crate) fn init(opts: Options) {
    let mut problem = None;
    let files = opts
        .dir
        .as_ref()
        .and_then(|dir| match std::fs::create_dir_all(dir) {
            Ok(()) => Some(Files {
                dir: dir.clone(),
                max_bytes: opts.max_bytes,
                keep: opts.keep,
                open: Mutex::new(HashMap::new()),
            }),
            Err(e) => {
                problem = Some(format!("cannot create log directory {}: {e}", dir.display()));
                None
            }
        });
    let logger = Logger {
        console: opts.console,
        files,
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(opts.level);
    }
    if let Some(p) = problem {
        log::warn!("{p}; logging to the console only");
    }
}

/// Changes the level of the installed logger (config reload).
pub(crate) fn set_level(level: LevelFilter) {
    log::set_max_level(level);
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Libraries (ureq, rustls, tiny_http) only speak up for warnings: their
        // debug output is per request and would drown ours.
        let own = metadata.target().starts_with(env!("CARGO_CRATE_NAME"));
        metadata.level() <= log::max_level() && (own || metadata.level() <= log::Level::Warn)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "{} {:<5} {}\n",
            crate::clock::rfc3339(crate::clock::unix_now()),
            record.level(),
            record.args()
        );
        match self.console {
            Console::Stderr => {
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            Console::Stdout => {
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
        }
        let section = SECTION.with(|s| s.borrow().clone());
        if record.level() <= log::Level::Info {
            keep(section.clone(), &line);
        }
        if let Some(files) = &self.files {
            files.write("Main", &line);
            if let Some(section) = section.as_deref() {
                files.write(section, &line);
            }
        }
    }

    fn flush(&self) {
        if let Some(files) = &self.files {
            for f in files.open.lock().unwrap_or_else(|p| p.into_inner()).values_mut() {
                let _ = f.file.flush();
            }
        }
    }
}

struct Files {
    dir: PathBuf,
    max_bytes: u64,
    keep: u32,
    open: Mutex<HashMap<String, RotatingFile>>,
}

struct RotatingFile {
    path: PathBuf,
    file: File,
    size: u64,
}

impl Files {
    fn write(&self, name: &str, line: &str) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if !open.contains_key(name) {
            let path = self.dir.join(format!("{}.log", sanitize(name)));
            let Ok(file) = OpenOptions::new().create(true).append(true).open(&path) else {
                return;
            };
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            open.insert(name.to_string(), RotatingFile { path, file, size });
        }
        let Some(f) = open.get_mut(name) else { return };
        let len = line.len() as u64;
        if f.size > 0 && f.size + len > self.max_bytes {
            if let Ok(file) = rotate(&f.path, self.keep) {
                f.file = file;
                f.size = 0;
            }
        }
        if f.file.write_all(line.as_bytes()).is_ok() {
            f.size += len;
        }
    }
}

/// `X.log.(n-1)` → `X.log.n`, …, `X.log` → `X.log.1`; returns the new, empty `X.log`.
fn rotate(path: &Path, keep: u32) -> std::io::Result<File> {
    let numbered = |n: u32| {
        let mut p = path.as_os_str().to_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    };
    if keep == 0 {
        let _ = std::fs::remove_file(path);
    } else {
        let _ = std::fs::remove_file(numbered(keep));
        for n in (1..keep).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        std::fs::rename(path, numbered(1))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .truncate(false)
        .open(path)
}

/// A section name as a file name: letters, digits, `-`, `_` and `.`; anything else becomes `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_rotate_by_size_and_keep_n() {
        let dir = std::env::temp_dir().join(format!("qbitrr-lite-logs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = Files {
            dir: dir.clone(),
            max_bytes: 100,
            keep: 2,
            open: Mutex::new(HashMap::new()),
        };
        let line = format!("{}\n", "x".repeat(39)); // 40 bytes
        for _ in 0..10 {
            files.write("Radarr-1080", &line);
        }
        let size = |n: &str| std::fs::metadata(dir.join(n)).map(|m| m.len()).ok();
        assert_eq!(size("Radarr-1080.log"), Some(80), "two lines fit in 100 bytes");
        assert_eq!(size("Radarr-1080.log.1"), Some(80));
        assert_eq!(size("Radarr-1080.log.2"), Some(80));
        assert_eq!(size("Radarr-1080.log.3"), None, "only two rotated files are kept");
        files.write("a/b", "y\n");
        assert!(dir.join("a_b.log").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_tail_keeps_the_newest_lines_per_section() {
        for i in 0..TAIL_LINES + 5 {
            let section = (i % 2 == 0).then(|| "Radarr-Tail".to_string());
            keep(section, &format!("line {i}\n"));
        }
        let all = tail(None, TAIL_LINES + 100);
        assert!(all.len() <= TAIL_LINES);
        let last = TAIL_LINES + 4;
        assert_eq!(
            all.last().map(String::as_str),
            Some(format!("line {last}").as_str())
        );
        let ours = tail(Some("Radarr-Tail"), 3);
        assert_eq!(
            ours,
            [
                format!("line {}", last - 4),
                format!("line {}", last - 2),
                format!("line {last}")
            ]
        );
    }

    #[test]
    fn qbitrr_levels() {
        assert_eq!(level("critical"), LevelFilter::Error);
        assert_eq!(level("NOTICE"), LevelFilter::Info);
        assert_eq!(level("TRACE"), LevelFilter::Trace);
    }
}
