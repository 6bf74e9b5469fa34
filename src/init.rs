//! `qbitrr-lite init`: a first config without reading the docs. It asks for qBittorrent's
//! address and login and for each Arr's kind, address, API key and category, tries each
//! as it goes (saying what to change when one fails, as `check` does), and writes a
//! minimal config in qBitrr's format — never over an existing file, mode 0600 (it holds
//! passwords), and only after the config loader accepted the text.
//!
//! Questions are read line by line from standard input, so the command can be driven by
//! a script (or a test); the end of input aborts without writing anything.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::advice;
use crate::arr::ArrClient;
use crate::config::{self, Config};
use crate::model::ArrKind;
use crate::qbit::QbitClient;

/// Why `init` wrote nothing.
#[derive(Debug)]
pub(crate) enum InitError {
    /// The file is there already.
    Exists(std::path::PathBuf),
    /// Standard input ended before every question was answered.
    NoAnswer,
    /// The text that was put together did not load (a bug, or an answer the schema refuses).
    Invalid(String),
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exists(p) => write!(
                f,
                "{} exists; init never overwrites a config (choose another --config)",
                p.display()
            ),
            Self::NoAnswer => write!(f, "no answer (end of input); nothing was written"),
            Self::Invalid(e) => write!(
                f,
                "the config put together does not load, so it was not written:\n{e}"
            ),
            Self::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// One Arr as answered.
struct ArrAnswer {
    kind: ArrKind,
    section: String,
    uri: String,
    key: String,
    category: String,
}

/// Asks, tries, writes `path`. Prompts go to `out`, answers come from `input`.
pub(crate) fn init(path: &Path, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), InitError> {
    if path.exists() {
        return Err(InitError::Exists(path.to_path_buf()));
    }
    let mut ask = Asker { input, out };
    ask.say("A first config for qbitrr-lite. Press Enter to take the value in [brackets].");
    let (host, user, password) = loop {
        let host = ask.line("qBittorrent WebUI address", Some("http://127.0.0.1:8080"))?;
        let user = ask.line("qBittorrent user name", Some("admin"))?;
        let password = ask.secret("qBittorrent password")?;
        let text = qbit_section(&host, &user, &password);
        let tried = loaded(&format!("{text}\n{}", placeholder_arr())).map(|c| {
            let q = &c.qbit[0];
            let client = QbitClient::new(q);
            client
                .login()
                .and_then(|()| client.version())
                .map_err(|e| advice::described(advice::Upstream::Qbittorrent, "qBit", "Host", &q.url, &e))
        });
        match tried {
            Ok(Ok(version)) => {
                ask.say(&format!("  qBittorrent {version}: logged in."));
                break (host, user, password);
            }
            Ok(Err(problem)) => ask.say(&format!("  That did not work: {problem}")),
            Err(e) => ask.say(&format!("  That is not a usable address: {e}")),
        }
        if !ask.yes("Try again?", true)? {
            ask.say("  Kept as given; fix [qBit] in the file later.");
            break (host, user, password);
        }
    };
    let mut arrs: Vec<ArrAnswer> = Vec::new();
    loop {
        let first = arrs.is_empty();
        let prompt = if first {
            "Arr kind: radarr, sonarr, lidarr or readarr"
        } else {
            "Another Arr? radarr, sonarr, lidarr, readarr (Enter: done)"
        };
        let kind_text = ask.line(prompt, first.then_some("radarr"))?;
        if kind_text.is_empty() {
            break;
        }
        let Some(kind) = kind_of(&kind_text) else {
            ask.say("  Not an Arr kind; one of radarr, sonarr, lidarr, readarr.");
            continue;
        };
        let n = arrs.iter().filter(|a| a.kind == kind).count() + 1;
        let section = if n == 1 {
            format!("{}-{}", kind.name(), default_category(kind))
        } else {
            format!("{}-{}{n}", kind.name(), default_category(kind))
        };
        let uri = ask.line(&format!("{} address", kind.name()), Some(default_uri(kind)))?;
        let key = ask.line(&format!("{} API key (Settings → General)", kind.name()), None)?;
        let category = ask.line(
            &format!("qBittorrent category {} downloads into", kind.name()),
            Some(default_category(kind)),
        )?;
        let answer = ArrAnswer {
            kind,
            section,
            uri,
            key,
            category,
        };
        let text = format!(
            "{}\n{}",
            qbit_section(&host, &user, &password),
            arr_section(&answer)
        );
        let tried = loaded(&text).map(|c| {
            let a = &c.arrs[0];
            match ArrClient::new(a).system_status() {
                Ok(s) => match advice::wrong_kind(&a.name, a.kind, &s.app_name) {
                    None => Ok(format!("{} {}", s.app_name, s.version)),
                    Some(wrong) => Err(wrong),
                },
                Err(e) => Err(advice::described(
                    advice::Upstream::Arr(kind),
                    &a.name,
                    "URI",
                    &a.uri,
                    &e,
                )),
            }
        });
        let keep = match tried {
            Ok(Ok(version)) => {
                ask.say(&format!("  {version}: answers."));
                true
            }
            Ok(Err(problem)) => {
                ask.say(&format!("  That did not work: {problem}"));
                !ask.yes("Try this Arr again?", true)?
            }
            Err(e) => {
                ask.say(&format!("  That is not usable: {e}"));
                false
            }
        };
        if keep {
            arrs.push(answer);
        }
    }
    let mut text = String::from(
        "# Written by `qbitrr-lite init`: qBitrr's config.toml format, qBitrr's defaults for\n\
         # every key not written here. See `qbitrr-lite gen-config` for the keys and what they do.\n\n\
         [Settings]\nConsoleLevel = \"INFO\"\nLogging = true\n\n\
         # The status server: the status page at /, /health, /api/*, /metrics. An empty token is\n\
         # generated at the first start and kept in the data directory (webui-token).\n\
         [WebUI]\nHost = \"0.0.0.0\"\nPort = 6969\nToken = \"\"\n\n",
    );
    text.push_str(&qbit_section(&host, &user, &password));
    for a in &arrs {
        text.push('\n');
        text.push_str(&arr_section(a));
    }
    if arrs.is_empty() {
        ask.say("No Arr was added: the daemon needs one; add a section later (see gen-config).");
    }
    loaded(&text).map_err(InitError::Invalid)?;
    write_new(path, &text)?;
    ask.say(&format!(
        "Wrote {}. Start with: qbitrr-lite run --config {}",
        path.display(),
        path.display()
    ));
    Ok(())
}

/// The loaded config of `text`, or the loader's message.
fn loaded(text: &str) -> Result<Config, String> {
    config::load_str(text, "config.toml", &[])
        .map(|l| l.config)
        .map_err(|e| e.to_string())
}

/// An unmanaged Arr, so a config with only `[qBit]` loads.
fn placeholder_arr() -> &'static str {
    "[Radarr-placeholder]\nManaged = false\nURI = \"http://127.0.0.1:7878\"\nAPIKey = \"x\"\nCategory = \"radarr\"\n"
}

/// A TOML string, quoted and escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn qbit_section(host: &str, user: &str, password: &str) -> String {
    format!(
        "[qBit]\nHost = {}\nUserName = {}\nPassword = {}\n",
        quoted(host),
        quoted(user),
        quoted(password)
    )
}

fn arr_section(a: &ArrAnswer) -> String {
    format!(
        "[{}]\nManaged = true\nURI = {}\nAPIKey = {}\nCategory = {}\n",
        a.section,
        quoted(&a.uri),
        quoted(&a.key),
        quoted(&a.category)
    )
}

fn kind_of(text: &str) -> Option<ArrKind> {
    match text.trim().to_ascii_lowercase().as_str() {
        "radarr" => Some(ArrKind::Radarr),
        "sonarr" => Some(ArrKind::Sonarr),
        "lidarr" => Some(ArrKind::Lidarr),
        "readarr" => Some(ArrKind::Readarr),
        _ => None,
    }
}

/// Each Arr's default port.
fn default_uri(kind: ArrKind) -> &'static str {
    match kind {
        ArrKind::Radarr => "http://127.0.0.1:7878",
        ArrKind::Sonarr => "http://127.0.0.1:8989",
        ArrKind::Lidarr => "http://127.0.0.1:8686",
        ArrKind::Readarr => "http://127.0.0.1:8787",
    }
}

/// The category each Arr's qBittorrent download client uses by default.
fn default_category(kind: ArrKind) -> &'static str {
    match kind {
        ArrKind::Radarr => "radarr",
        ArrKind::Sonarr => "tv-sonarr",
        ArrKind::Lidarr => "lidarr",
        ArrKind::Readarr => "readarr",
    }
}

/// Creates `path` (never replacing one), readable by its owner only.
fn write_new(path: &Path, text: &str) -> Result<(), InitError> {
    let fail = |source| InitError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => InitError::Exists(path.to_path_buf()),
        _ => fail(e),
    })?;
    file.write_all(text.as_bytes()).map_err(fail)
}

/// Questions and answers.
struct Asker<'a> {
    input: &'a mut dyn BufRead,
    out: &'a mut dyn Write,
}

impl Asker<'_> {
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// One answer; the default for an empty one.
    fn line(&mut self, question: &str, default: Option<&str>) -> Result<String, InitError> {
        match default {
            Some(d) => {
                let _ = write!(self.out, "{question} [{d}]: ");
            }
            None => {
                let _ = write!(self.out, "{question}: ");
            }
        }
        let _ = self.out.flush();
        let mut answer = String::new();
        match self.input.read_line(&mut answer) {
            Ok(0) | Err(_) => Err(InitError::NoAnswer),
            Ok(_) => {
                let answer = answer.trim();
                Ok(match (answer.is_empty(), default) {
                    (true, Some(d)) => d.to_string(),
                    _ => answer.to_string(),
                })
            }
        }
    }

    /// An answer not shown as it is typed, when standard input is a terminal.
    fn secret(&mut self, question: &str) -> Result<String, InitError> {
        let terminal = std::io::stdin().is_terminal();
        let echo = |on: bool| {
            if terminal {
                let _ = std::process::Command::new("stty")
                    .arg(if on { "echo" } else { "-echo" })
                    .stdin(std::process::Stdio::inherit())
                    .status();
            }
        };
        echo(false);
        let answer = self.line(question, None);
        echo(true);
        if terminal {
            self.say("");
        }
        answer
    }

    fn yes(&mut self, question: &str, default: bool) -> Result<bool, InitError> {
        let d = if default { "Y/n" } else { "y/N" };
        let answer = self.line(
            &format!("{question} ({d})"),
            Some(if default { "y" } else { "n" }),
        )?;
        Ok(answer.to_ascii_lowercase().starts_with('y'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_quoted_for_toml_and_the_result_loads() {
        let a = ArrAnswer {
            kind: ArrKind::Sonarr,
            section: "Sonarr-tv-sonarr".into(),
            uri: "http://nas:8989".into(),
            key: "0123456789abcdef0123456789abcdef".into(),
            category: "tv-sonarr".into(),
        };
        let text = format!(
            "{}\n{}",
            qbit_section("http://nas:8080", "admin", "p\"w\\d"),
            arr_section(&a)
        );
        let c = loaded(&text).unwrap();
        assert_eq!(c.qbit[0].password.as_deref(), Some("p\"w\\d"));
        assert_eq!(
            (c.arrs[0].kind, c.arrs[0].category.as_str()),
            (ArrKind::Sonarr, "tv-sonarr")
        );
    }

    #[test]
    fn the_end_of_input_writes_nothing_and_an_existing_file_is_never_replaced() {
        let dir = std::env::temp_dir().join(format!("qbitrr-lite-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        let mut out = Vec::new();
        let r = init(&path, &mut &b"http://127.0.0.1:9\n"[..], &mut out);
        assert!(matches!(r, Err(InitError::NoAnswer)), "{r:?}");
        assert!(!path.exists());
        std::fs::write(&path, "mine").unwrap();
        let r = init(&path, &mut &b""[..], &mut out);
        assert!(matches!(r, Err(InitError::Exists(_))), "{r:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
        let _ = std::fs::remove_dir_all(dir);
    }
}
