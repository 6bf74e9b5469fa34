//! One call for the setup the end-to-end tests share: a real qbittorrent-nox,
//! fake Arrs, a qBitrr-style config, the daemon, and its first completed pass.
//!
//! ```ignore
//! let Some(s) = Scenario::radarr().radarr_torrent("StalledDelay = \"3s\"").start() else {
//!     return; // qbittorrent-nox is not installed (and CI is not set)
//! };
//! s.radarr().wait_for_command("MoviesSearch", Duration::from_secs(40));
//! ```
//!
//! When the test must prepare qBittorrent or the Arrs before the daemon
//! starts, [`ScenarioBuilder::setup`] starts everything but the daemon and
//! [`Setup::start_daemon`] continues from there. Everything started here is
//! stopped on drop (the daemon first), each process by its PID.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::time::Duration;

use super::daemon::{Daemon, TOKEN};
use super::fake_arr::{FakeArr, FakeKind, KEY};
use super::qbittorrent::{QbitApi, QbitNox};
use super::recording_proxy::RecordingProxy;
use super::util::{free_tcp_port, temp_dir, wait_until, TempDir};

/// How long [`Setup::start_daemon`] waits for each worker's first pass.
const FIRST_PASS_TIMEOUT: Duration = Duration::from_secs(10);

struct Section {
    name: &'static str,
    category: &'static str,
    kind: FakeKind,
    /// Where the section points instead of a fake Arr started for it.
    uri: Option<String>,
    /// Lines for `[<name>.Torrent]`.
    torrent: &'static str,
    /// The file-filter lines of `[<name>.Torrent]`: by default every list is empty, so the
    /// single-file test torrents (no extension) are not failed for their names.
    file_filters: &'static str,
    /// Lines for `[<name>.Torrent.SeedingMode]`.
    seeding: &'static str,
    /// More lines for `[<name>]`; by default the Arr's periodic jobs are off, so they do
    /// not mix with the commands a test counts.
    arr_lines: &'static str,
    /// Lines for `[<name>.EntrySearch]` (the search loop runs at qBitrr's defaults without);
    /// they may open its sub-tables (`[<name>.EntrySearch.Overseerr]`).
    search: String,
}

/// The default of [`Section::file_filters`].
const NO_FILE_FILTERS: &str =
    "FolderExclusionRegex = []\nFileNameExclusionRegex = []\nFileExtensionAllowlist = []";

/// The default of [`Section::arr_lines`].
const NO_ARR_JOBS: &str = "RssSyncTimer = 0\nRefreshDownloadsTimer = 0";

impl Section {
    fn new(name: &'static str, category: &'static str, kind: FakeKind, uri: Option<String>) -> Section {
        Section {
            name,
            category,
            kind,
            uri,
            torrent: "",
            file_filters: NO_FILE_FILTERS,
            seeding: "",
            arr_lines: NO_ARR_JOBS,
            search: String::new(),
        }
    }
}

/// What a scenario runs; see the module docs.
#[derive(Default)]
pub struct ScenarioBuilder {
    sections: Vec<Section>,
    settings: &'static str,
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    seeder: bool,
    /// A second managed qBittorrent, `[qBit-Two]`.
    second_qbit: bool,
    proxy: bool,
    /// A [`RecordingProxy`] in front of each fake Arr.
    arr_proxy: bool,
    generated_token: bool,
    first_pass_of: Option<Vec<&'static str>>,
    /// `[qBit] ReadMode`; `None`: sync/maindata, the path of qBittorrent 5, on the 4.5.2
    /// of the suite too (filtered lists have their own tests: `read_modes`).
    read_mode: Option<&'static str>,
    /// Lines at the end of `[qBit]` (they may open its sub-tables).
    qbit_lines: &'static str,
    /// More lines for `[WebUI]`.
    webui_lines: &'static str,
}

impl ScenarioBuilder {
    /// `[qBit] ReadMode` (default `maindata`).
    pub fn read_mode(mut self, mode: &'static str) -> Self {
        self.read_mode = Some(mode);
        self
    }

    /// Lines at the end of `[qBit]`, e.g. `ManagedCategories` and `[qBit.CategorySeeding]`.
    pub fn qbit_lines(mut self, lines: &'static str) -> Self {
        self.qbit_lines = lines;
        self
    }

    /// More lines for `[WebUI]`, e.g. `UrlBase`.
    pub fn webui_lines(mut self, lines: &'static str) -> Self {
        self.webui_lines = lines;
        self
    }

    /// Lines for `[Radarr-Test.Torrent]`.
    pub fn radarr_torrent(mut self, lines: &'static str) -> Self {
        self.sections[0].torrent = lines;
        self
    }

    /// File-filter lines for `[Radarr-Test.Torrent]` in place of the empty lists (`""`:
    /// qBitrr's default filters).
    pub fn radarr_file_filters(mut self, lines: &'static str) -> Self {
        self.sections[0].file_filters = lines;
        self
    }

    /// Lines for `[Radarr-Test]` in place of the ones that turn its periodic jobs off.
    pub fn radarr_lines(mut self, lines: &'static str) -> Self {
        self.sections[0].arr_lines = lines;
        self
    }

    /// Lines for `[Radarr-Test.Torrent.SeedingMode]`.
    pub fn radarr_seeding(mut self, lines: &'static str) -> Self {
        self.sections[0].seeding = lines;
        self
    }

    /// Lines for `[<name>.EntrySearch]` of the section added last.
    pub fn search_lines(mut self, lines: impl Into<String>) -> Self {
        if let Some(section) = self.sections.last_mut() {
            section.search = lines.into();
        }
        self
    }

    /// Adds `[Sonarr-Test]` (category `sonarr`) with its own fake Sonarr.
    pub fn sonarr(mut self) -> Self {
        let section = Section::new("Sonarr-Test", "sonarr", FakeKind::Sonarr, None);
        self.sections.push(section);
        self
    }

    /// Adds `[Lidarr-Test]` (category `lidarr`) with its own fake Lidarr.
    pub fn lidarr(mut self) -> Self {
        let section = Section::new("Lidarr-Test", "lidarr", FakeKind::Lidarr, None);
        self.sections.push(section);
        self
    }

    /// Adds `[Readarr-Test]` (category `readarr`) with its own fake Readarr.
    pub fn readarr(mut self) -> Self {
        let section = Section::new("Readarr-Test", "readarr", FakeKind::Readarr, None);
        self.sections.push(section);
        self
    }

    /// Adds a Sonarr section that points at `uri` instead of a fake Arr.
    pub fn sonarr_at(mut self, name: &'static str, uri: String) -> Self {
        self.sections
            .push(Section::new(name, "sonarr", FakeKind::Sonarr, Some(uri)));
        self
    }

    /// Extra lines for `[Settings]`.
    pub fn settings(mut self, lines: &'static str) -> Self {
        self.settings = lines;
        self
    }

    /// Runs the daemon with `--dry-run`.
    pub fn dry_run(mut self) -> Self {
        self.args.push("--dry-run");
        self
    }

    /// An environment variable for the daemon.
    pub fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.env.push((key, value));
        self
    }

    /// Starts a second qbittorrent-nox to seed from ([`Setup::seeder`]).
    pub fn seeder(mut self) -> Self {
        self.seeder = true;
        self
    }

    /// Starts a second qbittorrent-nox the daemon manages too, as `[qBit-Two]`
    /// ([`Setup::second_qbit`]), with every section's category.
    pub fn second_qbit(mut self) -> Self {
        self.second_qbit = true;
        self
    }

    /// Puts a [`RecordingProxy`] between the daemon and qBittorrent ([`Setup::proxy`]).
    pub fn recording_proxy(mut self) -> Self {
        self.proxy = true;
        self
    }

    /// Puts a [`RecordingProxy`] between the daemon and each fake Arr ([`Setup::arr_proxy`]).
    pub fn arr_proxy(mut self) -> Self {
        self.arr_proxy = true;
        self
    }

    /// An empty `[WebUI] Token`, so the daemon generates one. The first-pass
    /// wait needs the token: with this, [`Setup::start_daemon`] waits for none.
    pub fn generated_token(mut self) -> Self {
        self.generated_token = true;
        self
    }

    /// The workers whose first completed pass [`Setup::start_daemon`] waits
    /// for (default: every section); `&[]` waits for none.
    pub fn first_pass_of(mut self, sections: &[&'static str]) -> Self {
        self.first_pass_of = Some(sections.to_vec());
        self
    }

    /// Everything but the daemon; None (after a loud SKIPPED line) when
    /// qbittorrent-nox is not installed and `CI` is not set.
    pub fn setup(self) -> Option<Setup> {
        let qbit = QbitNox::try_start()?;
        let seeder = self.seeder.then(QbitNox::start);
        let second = self.second_qbit.then(QbitNox::start);
        let proxy = self.proxy.then(|| RecordingProxy::start(&qbit.url()));
        let api = qbit.api();
        let mut arrs = Vec::new();
        let mut arr_proxies = Vec::new();
        let mut sections_text = String::new();
        for s in &self.sections {
            api.create_category(s.category, "");
            if let Some(second) = &second {
                second.api().create_category(s.category, "");
            }
            let uri = s.uri.clone().unwrap_or_else(|| {
                let arr = FakeArr::start(s.kind, KEY);
                let mut uri = arr.url();
                if self.arr_proxy {
                    let proxy = RecordingProxy::start(&uri);
                    uri = proxy.url();
                    arr_proxies.push((s.name, proxy));
                }
                arrs.push((s.name, arr));
                uri
            });
            sections_text.push_str(&format!(
                "[{name}]\nManaged = true\nURI = \"{uri}\"\nAPIKey = \"{KEY}\"\nCategory = \"{cat}\"\n{lines}\n\n\
                 [{name}.Torrent]\nIgnoreTorrentsYoungerThan = 0\n{filters}\n{torrent}\n\n\
                 [{name}.Torrent.SeedingMode]\n{seeding}\n\n[{name}.EntrySearch]\n{search}\n\n",
                name = s.name,
                cat = s.category,
                torrent = s.torrent,
                filters = s.file_filters,
                seeding = s.seeding,
                lines = s.arr_lines,
                search = &s.search,
            ));
        }
        let qbit_url = proxy.as_ref().map_or_else(|| qbit.url(), RecordingProxy::url);
        let token = if self.generated_token { "" } else { TOKEN };
        let second_text = second.as_ref().map_or_else(String::new, |q| {
            format!(
                "[qBit-Two]\nHost = \"{}\"\nUserName = \"admin\"\nPassword = \"adminadmin\"\n\
                 ReadMode = \"{}\"\n\n",
                q.url(),
                self.read_mode.unwrap_or("maindata"),
            )
        });
        let config = format!(
            "[Settings]\nConsoleLevel = \"DEBUG\"\nLogging = true\nLoopSleepTimer = 1\nQueueRefreshTimer = 5\n{settings}\n\n\
             [WebUI]\nHost = \"127.0.0.1\"\nPort = {port}\nToken = \"{token}\"\n{webui_lines}\n\n\
             [qBit]\nHost = \"{qbit_url}\"\nUserName = \"admin\"\nPassword = \"adminadmin\"\n\
             ReadMode = \"{read_mode}\"\n{qbit_lines}\n\n\
             {second_text}{sections_text}",
            qbit_lines = self.qbit_lines,
            webui_lines = self.webui_lines,
            settings = self.settings,
            read_mode = self.read_mode.unwrap_or("maindata"),
            port = free_tcp_port(),
        );
        let dir = temp_dir("scenario");
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, &config).expect("write config");
        let first_pass_of = match (self.generated_token, self.first_pass_of) {
            (true, _) => Vec::new(),
            (false, Some(names)) => names,
            (false, None) => self.sections.iter().map(|s| s.name).collect(),
        };
        Some(Setup {
            proxy,
            arr_proxies,
            arrs,
            qbit,
            seeder,
            second,
            dir,
            config,
            config_path,
            args: self.args,
            env: self.env,
            first_pass_of,
        })
    }

    /// [`ScenarioBuilder::setup`] then [`Setup::start_daemon`].
    pub fn start(self) -> Option<Scenario> {
        Some(self.setup()?.start_daemon())
    }
}

/// qbittorrent-nox, the fake Arrs and the config of a scenario, before (and
/// under) its daemon.
pub struct Setup {
    proxy: Option<RecordingProxy>,
    arr_proxies: Vec<(&'static str, RecordingProxy)>,
    arrs: Vec<(&'static str, FakeArr)>,
    /// The qBittorrent the daemon manages.
    pub qbit: QbitNox,
    seeder: Option<QbitNox>,
    second: Option<QbitNox>,
    /// Holds `config.toml`, the daemon's data dir and logs, and test fixtures.
    pub dir: TempDir,
    /// The config text the daemon starts with.
    pub config: String,
    pub config_path: PathBuf,
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    first_pass_of: Vec<&'static str>,
}

impl Setup {
    /// The fake Arr behind section `name`.
    pub fn arr(&self, name: &str) -> &FakeArr {
        self.arrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, arr)| arr)
            .unwrap_or_else(|| panic!("no fake Arr for section {name}"))
    }

    /// The fake Radarr behind `[Radarr-Test]`.
    pub fn radarr(&self) -> &FakeArr {
        self.arr("Radarr-Test")
    }

    /// The fake Sonarr behind `[Sonarr-Test]` ([`ScenarioBuilder::sonarr`]).
    pub fn sonarr(&self) -> &FakeArr {
        self.arr("Sonarr-Test")
    }

    /// A logged-in client of the qBittorrent the daemon manages.
    pub fn api(&self) -> QbitApi {
        self.qbit.api()
    }

    /// The second qBittorrent ([`ScenarioBuilder::seeder`]).
    pub fn seeder(&self) -> &QbitNox {
        self.seeder.as_ref().expect("built without .seeder()")
    }

    /// The second managed qBittorrent, `[qBit-Two]` ([`ScenarioBuilder::second_qbit`]).
    pub fn second_qbit(&self) -> &QbitNox {
        self.second.as_ref().expect("built without .second_qbit()")
    }

    /// The second managed qBittorrent, to stop and start ([`ScenarioBuilder::second_qbit`]).
    pub fn second_qbit_mut(&mut self) -> &mut QbitNox {
        self.second.as_mut().expect("built without .second_qbit()")
    }

    /// The proxy the daemon reaches qBittorrent through ([`ScenarioBuilder::recording_proxy`]).
    pub fn proxy(&self) -> &RecordingProxy {
        self.proxy.as_ref().expect("built without .recording_proxy()")
    }

    /// The proxy the daemon reaches section `name`'s fake Arr through ([`ScenarioBuilder::arr_proxy`]).
    pub fn arr_proxy(&self, name: &str) -> &RecordingProxy {
        self.arr_proxies
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p)
            .unwrap_or_else(|| panic!("built without .arr_proxy(), or no fake Arr for {name}"))
    }

    /// Starts the daemon on the config and waits until each worker of
    /// [`ScenarioBuilder::first_pass_of`] has completed a pass.
    pub fn start_daemon(self) -> Scenario {
        let daemon = self.launch_daemon();
        Scenario { daemon, setup: self }
    }

    fn launch_daemon(&self) -> Daemon {
        let daemon = Daemon::start(self.dir.path(), &self.config, &self.args, &self.env);
        for name in &self.first_pass_of {
            let passed = wait_until(FIRST_PASS_TIMEOUT, Duration::from_millis(100), || {
                daemon.process(name)["passes"].as_u64() >= Some(1)
            });
            assert!(
                passed,
                "{name} completed no pass within {FIRST_PASS_TIMEOUT:?}:\n{}",
                daemon.log()
            );
        }
        daemon
    }
}

/// A [`Setup`] with its daemon running; derefs to the [`Setup`].
pub struct Scenario {
    pub daemon: Daemon,
    pub setup: Setup,
}

impl Scenario {
    /// One fake Radarr behind `[Radarr-Test]` (category `radarr`), on one
    /// qbittorrent-nox; add to it with the builder's methods.
    pub fn radarr() -> ScenarioBuilder {
        let radarr = Section::new("Radarr-Test", "radarr", FakeKind::Radarr, None);
        ScenarioBuilder {
            sections: vec![radarr],
            ..ScenarioBuilder::default()
        }
    }

    /// Starts a new daemon on the same config and data dir, once the old one
    /// has stopped (e.g. by [`Daemon::terminate`]), and waits for its first pass.
    pub fn restart_daemon(&mut self) {
        assert!(!self.daemon.is_running(), "stop the old daemon first");
        self.daemon = self.setup.launch_daemon();
    }
}

impl Deref for Scenario {
    type Target = Setup;

    fn deref(&self) -> &Setup {
        &self.setup
    }
}

impl DerefMut for Scenario {
    fn deref_mut(&mut self) -> &mut Setup {
        &mut self.setup
    }
}
