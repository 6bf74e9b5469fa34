//! A real `qbittorrent-nox` per test, on 127.0.0.1 only, plus a small
//! blocking WebUI API client ([`QbitApi`]) and a torrent fixture maker
//! ([`make_torrent`], via `mktorrent`). Two builds ([`Flavor`]): the host's
//! (Debian 12: 4.5.2, WebAPI 2.8.19; [`QbitNox::start`]) and Debian 13's
//! (5.1.0, WebAPI 2.11.4; [`QbitNox::try_start_v5`]) in the chroot that
//! `scripts/qbittorrent5-chroot.sh` builds.
//!
//! # qBittorrent 5.1 in the chroot
//! It runs as `unshare --mount -- sh -c 'mount -t proc proc ROOT/proc; mount
//! --bind TMP ROOT/TMP; exec chroot ROOT qbittorrent-nox --profile=TMP/qbitrr-qbt5-…'`:
//! a private mount namespace of its own, so its /proc and the bind mount of
//! the host's temp dir (TMP, `std::env::temp_dir()`) exist for it alone and
//! vanish with its last process (nothing to unmount, nothing left behind when
//! a test binary is killed, no sharing between parallel instances), while the
//! network namespace (loopback) is the host's. Its PID is the one spawned
//! (every step `exec`s), so stopping by PID stops qBittorrent. Outside the
//! temp dir it sees only what is under ROOT; inside it, every path is the
//! host's own, so profile, fixtures and save paths made with the usual temp
//! dirs need no translation ([`QbitNox::path`] and [`QbitApi::path`] are the
//! identity there), and the daemon, on the host, finds the content paths
//! qBittorrent reports. `QBITRR_LITE_QBITTORRENT=5.1` makes [`QbitNox::start`]
//! and [`QbitNox::try_start`] (and so every scenario) start 5.1: how
//! `scripts/test.sh` runs the integration suite a second time.
//! Needs root (chroot, mount); outside CI the 5.1 tests are skipped loudly
//! when the chroot or root is missing, in CI they fail.
//!
//! # How 5.1 differs here (checked against 5.1.0)
//! - The conf keys below are the same and read the same (checked through
//!   `app/preferences`), and it listens on 127.0.0.1 only (TCP/uTP and the
//!   WebUI; no UPnP, LSD or DHT sockets, checked with `ss`). There is no
//!   default password; the PBKDF2 one works. At exit it adds keys of its own
//!   (`Session\SSL\Port`, random, unused while SSL torrents are off).
//! - Resume data: the same legacy store, `BT_backup/<hash>.fastresume` and
//!   `<hash>.torrent` (the conf pins `Session\ResumeDataStorageType=Legacy`).
//! - `torrents/pause|resume` answer 404; `torrents/stop|start` replace them
//!   (WebAPI ≥ 2.11), and the paused states are `stoppedDL`/`stoppedUP`
//!   ([`QbitApi::pause`], [`QbitApi::resume`] choose by `app/webapiVersion`).
//! - WebUI port taken: logged as `WebUI: Unable to bind…` (4.5.2: `Web UI:`),
//!   and the process keeps running instead of exiting.
//! - `torrents/setShareLimits` requires `inactiveSeedingTimeLimit` (4.6+;
//!   400 without it); 4.5.2 ignores it.
//! - `sync/maindata` can lag `torrents/info` by ~1.5 s: a share-limit change
//!   shows at once in `torrents/info` but in `sync/maindata` only with the
//!   torrent's next periodic update (4.5.2 shows both at once).
//! - `app/shutdown` works the same (exit within 0.3-2.5 s here).
//! - A probe of 5.1.0 without /proc started and served too; the harness
//!   mounts it anyway (checked at each start, see `check_chroot_proc`).
//!
//! # Recipes (measured with 4.5.2 on a 2-core machine; see `harness_selftest.rs`)
//!
//! **A torrent that completes.** Start two instances. On the *seeder*, add the
//! .torrent with `save_path` = the directory that holds the data ([`seed`]
//! does this and waits until the check is over and the state is
//! `stalledUP`/`uploading`: 1.0-2.4 s for 20 MB). On the *leecher*, add the
//! same .torrent with a category (e.g. `radarr`) and its own save path, then
//! `leecher_api.add_peers(hash, &seeder.peer_addr())` (4.5.2 answers
//! `{"<hash>":{"added":1,"failed":0}}`). DHT/LSD/PeX are off and the tracker
//! is a dead loopback URL, so `add_peers` is the only way the two meet. The
//! leecher's 20 MB torrent reaches progress 1 / `stalledUP` 1.2-2.0 s after
//! `add_peers`.
//!
//! **A torrent with no peers.** Add a torrent whose data exists nowhere to one
//! instance (not paused). It shows `checkingResumeData` first and `stalledDL`
//! 1.2-1.5 s after `add_torrent_file` returns (measured 1.21-1.43 s), never
//! `downloading`. It never becomes `metaDL` either: a .torrent file carries
//! its metadata; only magnets sit in `metaDL`. After a restart the same
//! torrent is `checkingResumeData` again for ~1.3-1.5 s, then `stalledDL`.
//!
//! # Config keys
//! See [`QbitNox::config_text`] (Qt INI, written before the first start).
//! Every key there was confirmed by setting the preference through
//! `app/setPreferences` and reading back the file 4.5.2 writes at exit;
//! `Session\ResumeDataStorageType` the other way round (`SQLite` in the conf,
//! read back as `resume_data_storage_type` on 4.5.2 and 5.1).
//!
//! # Quirks of qbittorrent-nox 4.5.2 seen here
//! - The conf file is only written at exit; the first start with just
//!   `[LegalNotice] Accepted=true` listens on every interface (IPv4 and IPv6),
//!   runs UPnP (udp/1900) and LSD (udp/6771), and tries to download the GeoIP
//!   database (`Connection\ResolvePeerCountries=false` stops that).
//! - `Session\Interface=lo` alone is not enough to stay off IPv6 loopback;
//!   `Session\InterfaceAddress=127.0.0.1` makes it listen on 127.0.0.1 only.
//! - PeX cannot be toggled at run time ("Restart is required"): set it in the
//!   conf, as here.
//! - admin/adminadmin is the built-in default (4.6+ has none); the harness
//!   writes `WebUI\Password_PBKDF2` anyway. The value must be quoted.
//! - Torrent state is refreshed about once a second, so every state change
//!   shows up with up to ~1.5 s delay.
//! - SIGKILL within ~0.3 s of a successful `torrents/add` loses the torrent
//!   (its resume data is not on disk yet); later kills keep it. Use
//!   [`QbitNox::stop_process`] (`app/shutdown`) for a clean stop.
//! - A restart invalidates every SID (403 until you log in again).
//! - WebUI port taken: logged at once, exit code 1. BitTorrent port taken:
//!   only a critical log line, and it keeps running without a listen socket.
//!   [`QbitNox::start`] retries with new ports in both cases.
//! - Right after completing, `downloaded` is still 0 (all-time counters are
//!   updated lazily) while `downloaded_session` is the size; `progress` is
//!   the JSON integer `1`; `tags` come back joined with ", ".

use super::util::{
    form_encode, free_tcp_port, free_tcp_udp_port, temp_dir, torrent_info_hash, with_headers, TempDir,
};
use serde_json::Value;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// WebUI user name written into every profile.
pub const QBT_USER: &str = "admin";
/// WebUI password written into every profile (4.5.2's default; we also write
/// its PBKDF2 hash so 4.6+ builds, which have no default password, work too).
pub const QBT_PASS: &str = "adminadmin";
/// `adminadmin`, PBKDF2-HMAC-SHA512, 100000 rounds, salt "qbitrr-lite-test",
/// in qBittorrent's `@ByteArray(salt:key)` form (both base64).
const QBT_PASS_PBKDF2: &str = "@ByteArray(cWJpdHJyLWxpdGUtdGVzdA==:1YH38IHDLPjNBbw8+7Ljwfo3AbD4IOIieUtVAfl6+3tK5/U9IxyklIpScxpjsQHPFNbIqgXoVIh4DqSZqgbZ3Q==)";

/// Appears in the log (4.5.2 and 5.1) when the WebUI or BitTorrent port is taken.
const PORT_IN_USE: &str = "already in use";

/// Where `scripts/qbittorrent5-chroot.sh` builds the Debian 13 chroot
/// (`$QBITRR_LITE_CHROOT` overrides, for the script and the tests alike).
pub const DEFAULT_CHROOT: &str = "/var/cache/qbitrr-lite/trixie";

/// Runs in a fresh mount namespace (`unshare --mount`) as
/// `sh -c SCRIPT sh ROOT BIN ARGS…`: mounts /proc in the chroot for this
/// namespace only, then becomes qbittorrent-nox inside the chroot.
const IN_CHROOT: &str = r#"export PATH=/usr/sbin:/usr/bin:/sbin:/bin
root=$1; shared=$2; shift 2
mount -t proc proc "$root/proc" || { echo "qbitrr-lite tests: cannot mount /proc in $root" >&2; exit 125; }
mkdir -p "$root$shared" && mount --bind "$shared" "$root$shared" || { echo "qbitrr-lite tests: cannot bind $shared into $root" >&2; exit 125; }
exec chroot "$root" "$@""#;

/// The flavor [`QbitNox::start`] and [`QbitNox::try_start`] run: 4.5.2, or 5.1 when
/// `QBITRR_LITE_QBITTORRENT=5.1`.
pub fn default_flavor() -> Flavor {
    match std::env::var("QBITRR_LITE_QBITTORRENT").as_deref() {
        Ok("5.1") => Flavor::V5_1,
        _ => Flavor::V4_5,
    }
}

/// Which qbittorrent-nox a [`QbitNox`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// The host's: Debian 12, 4.5.2, WebAPI 2.8.19.
    V4_5,
    /// Debian 13's 5.1.0 (WebAPI 2.11.4), in the chroot of [`qbittorrent5_chroot`].
    V5_1,
}

/// How long `start`/`start_again` wait for `auth/login` to answer `Ok.`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// States in which a torrent has all its data (4.x names and 5.x names).
pub const COMPLETE_STATES: &[&str] = &[
    "uploading",
    "stalledUP",
    "pausedUP",
    "stoppedUP",
    "queuedUP",
    "forcedUP",
];

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A test cannot run because `what` is missing: panics if `CI` is set (tests
/// must fail in CI, not skip), otherwise prints a loud `SKIPPED:` line.
fn skip_or_fail(what: &str, fix: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what}, and CI is set: these tests must not be skipped in CI. {fix}");
    }
    // Straight to fd 2: libtest captures `eprintln!` in passing tests, and
    // a skip must be visible without --nocapture.
    let bar = "*".repeat(74);
    let _ = writeln!(std::io::stderr(), "\n{bar}\nSKIPPED: {what}. {fix}\n{bar}");
}

fn find_tool(name: &str, env_override: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_override) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    if let Some(p) = find_in_path(name) {
        return Some(p);
    }
    skip_or_fail(
        &format!("{name} is not installed"),
        "Run scripts/install-test-deps.sh first (it installs qbittorrent-nox, mktorrent, chromium and promtool).",
    );
    None
}

/// A system tool from `PATH`, else from the usual directories (a test's `PATH` may lack sbin).
fn system_tool(name: &str) -> Option<PathBuf> {
    find_in_path(name).or_else(|| {
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    })
}

/// Whether this process runs as root (effective UID 0, from /proc/self/status).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let uids = s.lines().find_map(|l| l.strip_prefix("Uid:"))?.to_string();
            uids.split_whitespace().nth(1).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// The `qbittorrent-nox` binary (`$QBITTORRENT_NOX`, else `PATH`). When it
/// is missing: panics if `CI` is set (tests must fail in CI, not skip),
/// otherwise prints a loud `SKIPPED:` line to stderr and returns None.
pub fn qbittorrent_nox() -> Option<PathBuf> {
    find_tool("qbittorrent-nox", "QBITTORRENT_NOX")
}

/// `promtool` (`$PROMTOOL`, `PATH`, else where scripts/install-test-deps.sh puts it),
/// with the same skip/fail rules as [`qbittorrent_nox`].
pub fn promtool() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    if let Some(p) = cache.map(|c| c.join("qbitrr-lite-tools/promtool")) {
        if p.is_file() && std::env::var_os("PROMTOOL").is_none() && find_in_path("promtool").is_none() {
            return Some(p);
        }
    }
    find_tool("promtool", "PROMTOOL")
}

/// `chromium` (`$CHROMIUM`, else `PATH`), with the same skip/fail rules as [`qbittorrent_nox`].
pub fn chromium() -> Option<PathBuf> {
    find_tool("chromium", "CHROMIUM")
}

/// The `mktorrent` binary, with the same skip/fail rules as [`qbittorrent_nox`].
pub fn mktorrent() -> Option<PathBuf> {
    find_tool("mktorrent", "MKTORRENT")
}

/// The Debian 13 chroot with qbittorrent-nox 5.1 (`$QBITRR_LITE_CHROOT`, else
/// [`DEFAULT_CHROOT`]), canonical. It must be complete (the marker
/// `scripts/qbittorrent5-chroot.sh` leaves) and usable (root, `unshare`).
/// Otherwise: panics if `CI` is set, else a loud `SKIPPED:` line and None.
pub fn qbittorrent5_chroot() -> Option<PathBuf> {
    let root = std::env::var_os("QBITRR_LITE_CHROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROOT));
    let fix = "Run scripts/qbittorrent5-chroot.sh as root (scripts/install-test-deps.sh does when root).";
    if !root.join("usr/bin/qbittorrent-nox").is_file() || !root.join(".qbitrr-lite-complete").is_file() {
        let what = format!("no qbittorrent-nox 5.1 chroot at {}", root.display());
        skip_or_fail(&what, fix);
        return None;
    }
    if !is_root() {
        skip_or_fail(
            "qbittorrent-nox 5.1 runs in a chroot, which needs root",
            "Run the tests as root.",
        );
        return None;
    }
    if system_tool("unshare").is_none() || system_tool("chroot").is_none() {
        skip_or_fail(
            "unshare or chroot is missing",
            "Install util-linux and coreutils.",
        );
        return None;
    }
    Some(std::fs::canonicalize(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())))
}

/// Both tools needed by the real-qBittorrent tests, or None (skip) locally.
pub fn qbittorrent_tools() -> Option<(PathBuf, PathBuf)> {
    let qbt = qbittorrent_nox();
    let mkt = mktorrent();
    Some((qbt?, mkt?))
}

/// One `qbittorrent-nox` process with its own profile directory and ports.
pub struct QbitNox {
    flavor: Flavor,
    /// The binary: a host path, or (5.1) its path inside the chroot.
    bin: PathBuf,
    /// 5.1: the chroot qBittorrent runs in, and sees nothing outside of.
    root: Option<PathBuf>,
    /// The profile (host path; under `ROOT/tmp` for 5.1).
    dir: TempDir,
    webui_port: u16,
    peer_port: u16,
    child: Option<Child>,
}

impl QbitNox {
    /// Starts a fresh instance of the [`default_flavor`] (panics if it cannot run; use
    /// [`QbitNox::try_start`] to skip politely).
    pub fn start() -> QbitNox {
        QbitNox::start_flavor(default_flavor())
    }

    /// Starts a fresh instance of `flavor` (panics if it cannot).
    pub fn start_flavor(flavor: Flavor) -> QbitNox {
        let (bin, root) = match flavor {
            Flavor::V4_5 => {
                let bin = qbittorrent_nox()
                    .expect("qbittorrent-nox not installed (run scripts/install-test-deps.sh)");
                (bin, None)
            }
            Flavor::V5_1 => {
                let root = qbittorrent5_chroot().expect(
                    "no usable qbittorrent-nox 5.1 chroot (run scripts/qbittorrent5-chroot.sh as root)",
                );
                (PathBuf::from("/usr/bin/qbittorrent-nox"), Some(root))
            }
        };
        let dir = match &root {
            None => temp_dir("qbitrr-qbt"),
            Some(_) => temp_dir("qbitrr-qbt5"),
        };
        let config_dir = dir.path().join("qBittorrent").join("config");
        std::fs::create_dir_all(&config_dir).expect("create qBittorrent profile dir");
        std::fs::create_dir_all(dir.path().join("downloads")).expect("create downloads dir");
        let mut q = QbitNox {
            flavor,
            bin,
            root,
            dir,
            webui_port: 0,
            peer_port: 0,
            child: None,
        };
        // A "free" port can be taken by another process before qBittorrent
        // binds it: then pick new ports and try again.
        for attempt in 1..=3 {
            q.webui_port = free_tcp_port();
            q.peer_port = free_tcp_udp_port();
            let downloads = q.path(&q.dir.path().join("downloads"));
            let conf = QbitNox::config_text(&downloads, q.webui_port, q.peer_port);
            std::fs::write(config_dir.join("qBittorrent.conf"), conf).expect("write qBittorrent.conf");
            match q.spawn_and_wait() {
                Ok(()) => return q,
                Err(e) if attempt < 3 && e.contains(PORT_IN_USE) => {
                    eprintln!("qbittorrent-nox: port clash, retrying with new ports: {e}");
                }
                Err(e) => panic!("{e}\n{}", q.log()),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// [`QbitNox::start`], or None (after the loud SKIPPED line) when
    /// that qbittorrent-nox cannot run here and `CI` is not set.
    pub fn try_start() -> Option<QbitNox> {
        QbitNox::try_start_flavor(default_flavor())
    }

    /// A fresh 5.1 instance in the chroot, or None (after the loud SKIPPED line) when the
    /// chroot (or root) is missing and `CI` is not set.
    pub fn try_start_v5() -> Option<QbitNox> {
        QbitNox::try_start_flavor(Flavor::V5_1)
    }

    /// [`QbitNox::start_flavor`], or None (after the loud SKIPPED line) when
    /// that flavor cannot run here and `CI` is not set.
    pub fn try_start_flavor(flavor: Flavor) -> Option<QbitNox> {
        match flavor {
            Flavor::V4_5 => qbittorrent_nox().map(drop)?,
            Flavor::V5_1 => qbittorrent5_chroot().map(drop)?,
        }
        Some(QbitNox::start_flavor(flavor))
    }

    /// The qBittorrent.conf the harness writes (Qt INI; backslashes are
    /// literal); `downloads` as qBittorrent sees it.
    fn config_text(downloads: &str, webui_port: u16, peer_port: u16) -> String {
        format!(
            r#"[BitTorrent]
Session\Port={peer_port}
Session\Interface=lo
Session\InterfaceName=lo
Session\InterfaceAddress=127.0.0.1
Session\DHTEnabled=false
Session\LSDEnabled=false
Session\PeXEnabled=false
Session\QueueingSystemEnabled=false
Session\AnonymousMode=false
Session\MultiConnectionsPerIp=true
Session\DefaultSavePath={downloads}
Session\ResumeDataStorageType=Legacy

[LegalNotice]
Accepted=true

[Network]
PortForwardingEnabled=false

[Preferences]
WebUI\Enabled=true
WebUI\Address=127.0.0.1
WebUI\Port={webui_port}
WebUI\UseUPnP=false
WebUI\Username={QBT_USER}
WebUI\Password_PBKDF2="{QBT_PASS_PBKDF2}"
Connection\ResolvePeerCountries=false
"#
        )
    }

    /// The profile directory (`--profile`), as a host path: qBittorrent's
    /// conf, logs and resume data (`qBittorrent/data/BT_backup`).
    pub fn profile(&self) -> &Path {
        self.dir.path()
    }

    /// A temp dir (removed on drop) this instance can see, under the system temp dir
    /// (bound into the 5.1 chroot at the same path). For fixtures and save paths.
    pub fn temp_dir(&self, prefix: &str) -> TempDir {
        temp_dir(prefix)
    }

    /// `host` as this instance sees it, to send it (e.g. `AddOptions::save_path`):
    /// unchanged (for 5.1, paths must be under the system temp dir, which its chroot
    /// shares; panics otherwise).
    pub fn path(&self, host: &Path) -> String {
        chroot_path(self.root.is_some(), host)
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.webui_port)
    }

    pub fn webui_port(&self) -> u16 {
        self.webui_port
    }

    /// The BitTorrent listen port (TCP and uTP) on 127.0.0.1.
    pub fn peer_port(&self) -> u16 {
        self.peer_port
    }

    /// `127.0.0.1:PEER_PORT`, ready for [`QbitApi::add_peers`].
    pub fn peer_addr(&self) -> String {
        format!("127.0.0.1:{}", self.peer_port)
    }

    /// A logged-in API client for this instance (its [`QbitApi::path`]
    /// translates to this instance's paths).
    pub fn api(&self) -> QbitApi {
        let mut api = QbitApi::new(&self.url());
        api.root = self.root.clone();
        api.login();
        api
    }

    /// stdout/stderr of the process followed by qBittorrent's own log file.
    pub fn log(&self) -> String {
        let out = std::fs::read_to_string(self.dir.path().join("qbittorrent-nox.out")).unwrap_or_default();
        format!(
            "--- stdout/stderr ---\n{out}--- qbittorrent.log ---\n{}",
            self.own_log()
        )
    }

    /// qBittorrent's own log (`PROFILE/qBittorrent/data/logs/qbittorrent.log`).
    pub fn own_log(&self) -> String {
        let path = self.dir.path().join("qBittorrent/data/logs/qbittorrent.log");
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// (Re)spawns qbittorrent-nox on the same profile and ports, and waits
    /// (≤ [`STARTUP_TIMEOUT`]) until `auth/login` answers `Ok.`.
    pub fn start_again(&mut self) {
        if let Err(e) = self.spawn_and_wait() {
            panic!("{e}\n{}", self.log());
        }
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "qbittorrent-nox is already running");
        let log_path = self.dir.path().join("qbittorrent-nox.out");
        let out = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open qbittorrent-nox.out");
        let err = out.try_clone().expect("clone log handle");
        let profile = format!("--profile={}", self.path(self.dir.path()));
        let mut cmd = match &self.root {
            None => Command::new(&self.bin),
            Some(root) => {
                let mut cmd = Command::new(system_tool("unshare").expect("unshare"));
                cmd.args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
                    .args([IN_CHROOT, "sh"])
                    .arg(root)
                    .arg(shared_temp())
                    .arg(&self.bin);
                cmd
            }
        };
        cmd.arg(profile)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        // QBT_* variables act as command-line options; keep them out.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("QBT_") {
                cmd.env_remove(k);
            }
        }
        let own_log_before = self.own_log().len();
        let new_own_log = |q: &QbitNox| q.own_log().get(own_log_before..).unwrap_or("").to_string();
        self.child = Some(cmd.spawn().expect("spawn qbittorrent-nox"));
        let started = Instant::now();
        // Short timeout: something else may hold the port and never answer.
        let api = QbitApi::with_timeout(&self.url(), Duration::from_secs(2));
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!(
                    "qbittorrent-nox exited during startup ({status}): {}",
                    new_own_log(self)
                ));
            }
            // Fail fast on the logged bind error instead of waiting for the
            // exit (4.5.2 exits; 5.1 keeps running without its WebUI).
            let webui_failed = |log: &str| {
                let port = format!("port: {}.", self.webui_port);
                log.lines()
                    .any(|l| l.contains("Unable to bind") && l.contains(&port))
            };
            let fresh = new_own_log(self);
            if webui_failed(&fresh) {
                self.kill_process();
                return Err(format!("WebUI port {}: {PORT_IN_USE}: {fresh}", self.webui_port));
            }
            if api.try_login().is_ok() {
                // Whoever answered may hold the port we failed to bind.
                let fresh = new_own_log(self);
                if webui_failed(&fresh) {
                    self.kill_process();
                    return Err(format!("WebUI port {}: {PORT_IN_USE}: {fresh}", self.webui_port));
                }
                // The BitTorrent port failing to bind is only logged (as critical).
                let failed = format!(
                    "Port: \"TCP/{}\". Reason: \"Address {PORT_IN_USE}",
                    self.peer_port
                );
                if new_own_log(self).contains(&failed) {
                    self.kill_process();
                    return Err(format!("peer port {}: {PORT_IN_USE}", self.peer_port));
                }
                return self.check_chroot_proc();
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                self.kill_process();
                return Err(format!(
                    "qbittorrent-nox did not answer auth/login within {STARTUP_TIMEOUT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// 5.1: /proc is mounted where the running qBittorrent sees it (its root,
    /// through `/proc/PID/root`, which follows its mount namespace).
    fn check_chroot_proc(&mut self) -> Result<(), String> {
        let (Some(_), Some(child)) = (&self.root, &self.child) else {
            return Ok(());
        };
        let seen = PathBuf::from(format!("/proc/{}/root/proc/self", child.id()));
        if seen.exists() {
            return Ok(());
        }
        self.kill_process();
        Err(format!(
            "qbittorrent-nox 5.1 runs without /proc ({} is missing)",
            seen.display()
        ))
    }

    /// Graceful stop that keeps the profile (torrents, resume data, ports):
    /// `POST app/shutdown`, wait ≤ 10 s for the exit, then kill by PID.
    pub fn stop_process(&mut self) {
        if self.child.is_none() {
            return;
        }
        let api = QbitApi::with_timeout(&self.url(), Duration::from_secs(5));
        if api.try_login().is_ok() {
            let _ = api.try_post("app/shutdown", &[]);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill_process();
    }

    /// Hard stop (SIGKILL by PID, then wait), like a crash. Keeps the profile.
    pub fn kill_process(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// [`QbitNox::stop_process`] then [`QbitNox::start_again`].
    pub fn restart(&mut self) {
        self.stop_process();
        self.start_again();
    }

    /// Kills the process and removes the profile directory.
    pub fn stop(mut self) {
        self.shutdown_and_clean();
    }

    fn shutdown_and_clean(&mut self) {
        if std::thread::panicking() && self.child.is_some() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "qbittorrent-nox ({:?}) on {} (last log lines):\n{}",
                self.flavor,
                self.url(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        self.kill_process();
    }
}

impl Drop for QbitNox {
    fn drop(&mut self) {
        self.shutdown_and_clean();
    }
}

/// The host's temp dir, bound into the 5.1 chroot at the same path.
fn shared_temp() -> PathBuf {
    let tmp = std::env::temp_dir();
    std::fs::canonicalize(&tmp).unwrap_or(tmp)
}

/// `host` as qBittorrent sees it: the same path (a chrooted 5.1 sees the host's temp dir at
/// the same path, and nothing else of the host's).
fn chroot_path(chrooted: bool, host: &Path) -> String {
    if chrooted {
        let host_real = std::fs::canonicalize(host).unwrap_or_else(|_| host.to_path_buf());
        assert!(
            host_real.starts_with(shared_temp()),
            "{} is outside the temp dir {}: qBittorrent 5.1 cannot see it (make it with QbitNox::temp_dir)",
            host.display(),
            shared_temp().display()
        );
    }
    host.display().to_string()
}

/// Adds a torrent whose data is already in place, so it is complete at once.
pub fn add_complete(api: &QbitApi, fx: &TorrentFixture, category: &str) {
    api.add_torrent_file(
        &fx.torrent_bytes,
        &AddOptions {
            category: Some(category.into()),
            save_path: Some(api.path(fx.data_dir())),
            skip_checking: true,
            ..AddOptions::default()
        },
    );
}

/// Adds `fx` to `api` in `category`, saving into `save_path` (as the instance sees
/// it), with `tags`.
pub fn add(api: &QbitApi, fx: &TorrentFixture, category: &str, save_path: &Path, tags: Option<&str>) {
    api.add_torrent_file(
        &fx.torrent_bytes,
        &AddOptions {
            category: Some(category.into()),
            save_path: Some(api.path(save_path)),
            tags: tags.map(str::to_string),
            ..AddOptions::default()
        },
    );
}

/// Lets `fx`, added to `api`, download from the seeder at `peer` until it is
/// complete (true) or `timeout` passes. Peers added while the leecher still
/// checks its (empty) files can be dropped, so they are added again until done.
pub fn complete_from(api: &QbitApi, fx: &TorrentFixture, peer: &str, timeout: Duration) -> bool {
    crate::support::util::wait_until(timeout, Duration::from_secs(2), || {
        api.add_peers(&fx.hash, peer);
        api.torrent(&fx.hash)
            .is_some_and(|t| t["progress"].as_f64() == Some(1.0))
    })
}

/// Options for [`QbitApi::add_torrent_file`]. `None` leaves a field out.
#[derive(Clone, Debug, Default)]
pub struct AddOptions {
    pub category: Option<String>,
    pub save_path: Option<String>,
    pub tags: Option<String>,
    pub paused: bool,
    pub skip_checking: bool,
}

/// A raw answer: (HTTP status, body), or a transport error.
type Answer = Result<(u16, String), String>;
/// A POST body: (content type, bytes).
type Body<'a> = Option<(&'a str, Vec<u8>)>;

/// A blocking qBittorrent WebUI API v2 client for tests. It keeps the `SID`
/// cookie itself, logs in again once on a 403 (e.g. after a restart), and
/// panics with the status and body on anything unexpected.
pub struct QbitApi {
    base: String,
    agent: ureq::Agent,
    sid: Mutex<Option<String>>,
    /// The chroot of the instance (5.1), for [`QbitApi::path`].
    root: Option<PathBuf>,
    /// Whether the WebAPI is ≥ 2.11 (`torrents/stop|start`), asked once.
    stop_start: OnceLock<bool>,
}

impl QbitApi {
    /// A client for `base_url` with the harness credentials (not logged in yet).
    pub fn new(base_url: &str) -> QbitApi {
        QbitApi::with_timeout(base_url, Duration::from_secs(15))
    }

    /// [`QbitApi::new`] whose every call gives up after `timeout`.
    pub fn with_timeout(base_url: &str, timeout: Duration) -> QbitApi {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        QbitApi {
            base: base_url.trim_end_matches('/').to_string(),
            agent,
            sid: Mutex::new(None),
            root: None,
            stop_start: OnceLock::new(),
        }
    }

    /// `host` as the instance sees it (see [`QbitNox::path`]; unchanged for
    /// a client made with [`QbitApi::new`]).
    pub fn path(&self, host: &Path) -> String {
        chroot_path(self.root.is_some(), host)
    }

    /// The current SID cookie value, if logged in.
    pub fn sid(&self) -> Option<String> {
        self.sid.lock().unwrap().clone()
    }

    /// Logs in; panics unless the answer is `Ok.` with a SID cookie.
    pub fn login(&self) {
        if let Err(e) = self.try_login() {
            panic!("qBittorrent login at {} failed: {e}", self.base);
        }
    }

    /// Logs in; Err on transport errors, `Fails.`, or a non-2xx status.
    pub fn try_login(&self) -> Result<(), String> {
        let url = format!("{}/api/v2/auth/login", self.base);
        let mut resp = self
            .agent
            .post(&url)
            .send_form([("username", QBT_USER), ("password", QBT_PASS)])
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let sid = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("SID="))
            .map(|v| v.split(';').next().unwrap_or("").to_string());
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) || body.trim() == "Fails." {
            return Err(format!("HTTP {status}: {body:?}"));
        }
        match sid {
            Some(sid) => {
                *self.sid.lock().unwrap() = Some(sid);
                Ok(())
            }
            // Already logged in with a valid cookie: `Ok.` and no new cookie.
            None if self.sid().is_some() => Ok(()),
            None => Err(format!("HTTP {status} {body:?} without a SID cookie")),
        }
    }

    /// GET `api/v2/PATH?query` when `body` is None, else POST `body` as
    /// (content type, bytes); → (status, text). Logs in again once on 403.
    fn send(&self, path: &str, query: &[(&str, &str)], body: Body) -> Answer {
        let first = self.send_once(path, query, body.clone())?;
        if first.0 == 403 {
            self.try_login()?;
            return self.send_once(path, query, body);
        }
        Ok(first)
    }

    fn send_once(&self, path: &str, query: &[(&str, &str)], body: Body) -> Answer {
        let url = format!("{}/api/v2/{}", self.base, path.trim_start_matches('/'));
        let method = if body.is_some() { "POST" } else { "GET" };
        let cookie = self.sid().map(|s| ("Cookie", format!("SID={s}")));
        let result = match body {
            None => with_headers(self.agent.get(&url), cookie)
                .query_pairs(query.iter().copied())
                .call(),
            Some((ctype, bytes)) => with_headers(self.agent.post(&url), cookie)
                .content_type(ctype)
                .send(&bytes[..]),
        };
        let mut resp = result.map_err(|e| format!("{method} {url}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| format!("{method} {url}: reading body: {e}"))?;
        Ok((status, text))
    }

    /// Raw GET `api/v2/PATH?query` → (status, body); re-logs in once on 403.
    pub fn try_get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.send(path, query, None)
    }

    /// Raw form POST `api/v2/PATH` → (status, body); re-logs in once on 403.
    pub fn try_post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = form_encode(form).into_bytes();
        self.send(path, &[], Some(("application/x-www-form-urlencoded", body)))
    }

    /// GET that must answer 200; returns the body.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> String {
        match self.try_get(path, query) {
            Ok((200, body)) => body,
            Ok((status, body)) => panic!("GET {path} {query:?} → HTTP {status}: {body}"),
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    /// Form POST that must answer 2xx; returns the body.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> String {
        match self.try_post(path, form) {
            Ok((200..=299, body)) => body,
            Ok((status, body)) => panic!("POST {path} {form:?} → HTTP {status}: {body}"),
            Err(e) => panic!("POST {path}: {e}"),
        }
    }

    fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let body = self.get(path, query);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: bad JSON ({e}): {body}"))
    }

    /// `app/webapiVersion`, e.g. `2.8.19`.
    pub fn webapi_version(&self) -> String {
        self.get("app/webapiVersion", &[])
    }

    /// `torrents/add` with a hand-built multipart body (field `torrents` with a
    /// file name, plus `category`, `savepath`, `tags`, `paused`/`stopped`,
    /// `skip_checking`, `autoTMM=false`). Panics on `Fails.`.
    pub fn add_torrent_file(&self, torrent_bytes: &[u8], opts: &AddOptions) {
        // Cannot occur in a .torrent's bencoded text, and is unlikely in its binary piece hashes.
        let boundary = "----qbitrr-lite-test-boundary-Zq7xK2wPLm";
        let mut body: Vec<u8> = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"torrents\"; \
                 filename=\"upload.torrent\"\r\nContent-Type: application/x-bittorrent\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(torrent_bytes);
        body.extend_from_slice(b"\r\n");
        let flag = |b: bool| if b { "true" } else { "false" }.to_string();
        let mut fields: Vec<(&str, String)> = vec![
            ("autoTMM", "false".into()),
            ("paused", flag(opts.paused)),
            // qBittorrent 5.x renamed `paused` to `stopped`; 4.x ignores it.
            ("stopped", flag(opts.paused)),
            ("skip_checking", flag(opts.skip_checking)),
        ];
        if let Some(c) = &opts.category {
            fields.push(("category", c.clone()));
        }
        if let Some(p) = &opts.save_path {
            fields.push(("savepath", p.clone()));
        }
        if let Some(t) = &opts.tags {
            fields.push(("tags", t.clone()));
        }
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let ctype = format!("multipart/form-data; boundary={boundary}");
        match self.send("torrents/add", &[], Some((&ctype, body))) {
            Ok((200..=299, text)) if text.trim() != "Fails." => {}
            Ok((status, text)) => panic!("torrents/add → HTTP {status}: {text:?}"),
            Err(e) => panic!("torrents/add: {e}"),
        }
    }

    /// `torrents/createCategory`; a 409 (already exists) is accepted.
    pub fn create_category(&self, name: &str, save_path: &str) {
        match self.try_post(
            "torrents/createCategory",
            &[("category", name), ("savePath", save_path)],
        ) {
            Ok((200..=299, _)) | Ok((409, _)) => {}
            other => panic!("createCategory {name}: {other:?}"),
        }
    }

    /// `torrents/categories` (object keyed by name).
    pub fn categories(&self) -> Value {
        self.get_json("torrents/categories", &[])
    }

    /// `torrents/addPeers hashes=HASH&peers=PEERS` (`|`-separated `ip:port`).
    /// Returns the (possibly empty) response body.
    pub fn add_peers(&self, hash: &str, peers: &str) -> String {
        self.post("torrents/addPeers", &[("hashes", hash), ("peers", peers)])
    }

    /// `torrents/info` (optionally `category=`; `Some("")` = uncategorized).
    pub fn torrents(&self, category: Option<&str>) -> Vec<Value> {
        let q: Vec<(&str, &str)> = category.map(|c| ("category", c)).into_iter().collect();
        match self.get_json("torrents/info", &q) {
            Value::Array(a) => a,
            other => panic!("torrents/info is not an array: {other}"),
        }
    }

    fn try_torrent(&self, hash: &str) -> Result<Option<Value>, String> {
        let (status, body) = self.try_get("torrents/info", &[("hashes", hash)])?;
        if status != 200 {
            return Err(format!("torrents/info → HTTP {status}: {body}"));
        }
        match serde_json::from_str::<Value>(&body) {
            Ok(Value::Array(a)) => Ok(a.into_iter().next()),
            _ => Err(format!("torrents/info: not a JSON array: {body}")),
        }
    }

    /// One torrent's `torrents/info` object, or None.
    pub fn torrent(&self, hash: &str) -> Option<Value> {
        self.try_torrent(hash).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `torrents/properties?hash=` (None on 404).
    pub fn properties(&self, hash: &str) -> Option<Value> {
        match self.try_get("torrents/properties", &[("hash", hash)]) {
            Ok((200, body)) => serde_json::from_str(&body).ok(),
            Ok((404, _)) => None,
            other => panic!("torrents/properties: {other:?}"),
        }
    }

    pub fn set_category(&self, hash: &str, category: &str) {
        self.post(
            "torrents/setCategory",
            &[("hashes", hash), ("category", category)],
        );
    }

    /// `torrents/addTags` (comma-separated; missing tags are created).
    pub fn add_tags(&self, hash: &str, tags: &str) {
        self.post("torrents/addTags", &[("hashes", hash), ("tags", tags)]);
    }

    /// Whether this qBittorrent speaks WebAPI 2.11 or later (5.x):
    /// `torrents/stop|start` instead of `pause|resume`, states `stoppedDL/UP`.
    pub fn stops_and_starts(&self) -> bool {
        *self.stop_start.get_or_init(|| {
            let version = self.webapi_version();
            let mut parts = version.trim().split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
            (major, minor) >= (2, 11)
        })
    }

    /// Pauses: `torrents/stop` on 5.x, `torrents/pause` on 4.x.
    pub fn pause(&self, hash: &str) {
        let path = if self.stops_and_starts() {
            "torrents/stop"
        } else {
            "torrents/pause"
        };
        self.post(path, &[("hashes", hash)]);
    }

    /// Resumes: `torrents/start` on 5.x, `torrents/resume` on 4.x.
    pub fn resume(&self, hash: &str) {
        let path = if self.stops_and_starts() {
            "torrents/start"
        } else {
            "torrents/resume"
        };
        self.post(path, &[("hashes", hash)]);
    }

    /// `torrents/delete` (`deleteFiles` is required by the API).
    pub fn delete(&self, hash: &str, delete_files: bool) {
        let df = if delete_files { "true" } else { "false" };
        self.post("torrents/delete", &[("hashes", hash), ("deleteFiles", df)]);
    }

    /// Polls the torrent every 200 ms until `pred` holds and returns it; on
    /// timeout panics with the last state seen (or the last error).
    pub fn wait_for(&self, hash: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last: String;
        loop {
            match self.try_torrent(hash) {
                Ok(Some(t)) => {
                    if pred(&t) {
                        return t;
                    }
                    last = serde_json::to_string_pretty(&t).unwrap_or_default();
                }
                Ok(None) => last = "(torrent not present)".into(),
                Err(e) => last = format!("(error: {e})"),
            }
            if Instant::now() >= deadline {
                panic!("timed out after {timeout:?} waiting for torrent {hash}; last seen: {last}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// [`QbitApi::wait_for`] until `state` is one of `states`.
    pub fn wait_for_state(&self, hash: &str, timeout: Duration, states: &[&str]) -> Value {
        self.wait_for(hash, timeout, |t| {
            t["state"].as_str().is_some_and(|s| states.contains(&s))
        })
    }

    /// Polls `torrents/info` until a torrent named `name` exists; its hash.
    pub fn wait_for_hash_by_name(&self, name: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok((200, body)) = self.try_get("torrents/info", &[]) {
                if let Ok(Value::Array(list)) = serde_json::from_str::<Value>(&body) {
                    if let Some(h) = list
                        .iter()
                        .find(|t| t["name"] == name)
                        .and_then(|t| t["hash"].as_str())
                    {
                        return h.to_string();
                    }
                }
            }
            if Instant::now() >= deadline {
                panic!("timed out after {timeout:?} waiting for a torrent named {name:?}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A single-file torrent made by [`make_torrent`].
#[derive(Clone, Debug)]
pub struct TorrentFixture {
    /// The data file (`dir/name`).
    pub data_path: PathBuf,
    pub torrent_bytes: Vec<u8>,
    pub name: String,
    /// v1 info-hash, lower-case hex (what qBittorrent calls `hash`).
    pub hash: String,
}

impl TorrentFixture {
    /// The directory holding the data: the seeder's save path.
    pub fn data_dir(&self) -> &Path {
        self.data_path.parent().expect("data file has a parent")
    }

    /// The hash as the Arrs write it (`downloadId`): upper case.
    pub fn download_id(&self) -> String {
        self.hash.to_ascii_uppercase()
    }
}

/// Writes `size_bytes` of xorshift pseudo-random data to `dir/name` and runs
/// `mktorrent -a http://127.0.0.1:9/announce -o dir/name.torrent -l 18 FILE`
/// (public torrent, dead loopback tracker, 256 KiB pieces).
pub fn make_torrent(dir: &Path, name: &str, size_bytes: u64) -> TorrentFixture {
    std::fs::create_dir_all(dir).expect("create fixture dir");
    let data_path = dir.join(name);
    write_data(&data_path, name, size_bytes);
    torrent_of(dir, name, data_path)
}

/// A private torrent (`mktorrent -p`) announcing to `announce`.
pub fn make_private_torrent(dir: &Path, name: &str, size_bytes: u64, announce: &str) -> TorrentFixture {
    std::fs::create_dir_all(dir).expect("create fixture dir");
    let data_path = dir.join(name);
    write_data(&data_path, name, size_bytes);
    torrent_with(dir, name, data_path, &["-p", "-a", announce])
}

/// [`make_private_torrent`] with a `source` field in its info: the same data under another
/// info-hash, as a cross-seed on another tracker has it.
pub fn make_private_torrent_from(
    dir: &Path,
    name: &str,
    size_bytes: u64,
    announce: &str,
    source: &str,
) -> TorrentFixture {
    std::fs::create_dir_all(dir).expect("create fixture dir");
    let data_path = dir.join(name);
    write_data(&data_path, name, size_bytes);
    torrent_with(dir, name, data_path, &["-p", "-a", announce, "-s", source])
}

/// A multi-file torrent: folder `dir/root` with `files` (path inside the root, size), each
/// written with its own pseudo-random bytes. `data_path` is the root folder.
pub fn make_multi_file_torrent(dir: &Path, root: &str, files: &[(&str, u64)]) -> TorrentFixture {
    let data_path = dir.join(root);
    for (path, size) in files {
        let file = data_path.join(path);
        std::fs::create_dir_all(file.parent().expect("in a folder")).expect("create fixture dir");
        write_data(&file, &format!("{root}/{path}"), *size);
    }
    torrent_of(dir, root, data_path)
}

/// Writes `size_bytes` pseudo-random bytes seeded by `label` to `path`.
fn write_data(path: &Path, label: &str, size_bytes: u64) {
    let digest = sha1_smol::Sha1::from(format!("{label}/{size_bytes}"))
        .digest()
        .bytes();
    let mut seed = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) | 1;
    let mut file = std::io::BufWriter::new(File::create(path).expect("create data file"));
    let mut left = size_bytes;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes = seed.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        file.write_all(&buf[..n]).expect("write data");
        left -= n as u64;
    }
    file.flush().expect("flush data");
}

/// Runs mktorrent on `data_path` (a file or a folder) into `dir/<name>.torrent`.
fn torrent_of(dir: &Path, name: &str, data_path: PathBuf) -> TorrentFixture {
    torrent_with(dir, name, data_path, &["-a", "http://127.0.0.1:9/announce"])
}

/// Runs mktorrent with `args` (announce, private flag) on `data_path` into `dir/<name>.torrent`.
fn torrent_with(dir: &Path, name: &str, data_path: PathBuf, args: &[&str]) -> TorrentFixture {
    let torrent_path = dir.join(format!("{name}.torrent"));
    let _ = std::fs::remove_file(&torrent_path);
    let bin = mktorrent().expect("mktorrent not installed (run scripts/install-test-deps.sh)");
    let out = Command::new(bin)
        .args(args)
        .args(["-l", "18", "-o"])
        .arg(&torrent_path)
        .arg(&data_path)
        .stdin(Stdio::null())
        .output()
        .expect("run mktorrent");
    assert!(
        out.status.success(),
        "mktorrent failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let torrent_bytes = std::fs::read(&torrent_path).expect("read .torrent");
    let hash = torrent_info_hash(&torrent_bytes).expect("parse .torrent info dict");
    TorrentFixture {
        data_path,
        torrent_bytes,
        name: name.to_string(),
        hash,
    }
}

/// Adds `fx` to `seeder` with the data's directory as save path (so the
/// check finds the data) and waits (≤ `timeout`) until it is complete
/// (`stalledUP`/`uploading`). Returns the hash.
pub fn seed(seeder: &QbitApi, fx: &TorrentFixture, timeout: Duration) -> String {
    seeder.add_torrent_file(
        &fx.torrent_bytes,
        &AddOptions {
            save_path: Some(seeder.path(fx.data_dir())),
            ..AddOptions::default()
        },
    );
    seeder.wait_for(&fx.hash, timeout, |t| {
        t["progress"].as_f64() == Some(1.0)
            && t["state"].as_str().is_some_and(|s| COMPLETE_STATES.contains(&s))
    });
    fx.hash.clone()
}
