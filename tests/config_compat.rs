//! qBitrr 5.14.7's own config files, read unchanged: the generated default (which must fail
//! listing every placeholder qbitrr-lite needs) and a filled-in copy (which must load).

use std::path::{Path, PathBuf};
use std::time::Duration;

use qbitrr_lite::config::{load, load_str, ArrKind, ConfigError, Loaded, RemoveTorrent, StalledDelay};

fn compat(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/compat")
        .join(name)
}

fn read(name: &str) -> String {
    let path = compat(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

fn load_text(text: &str, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    load_str(text, "config.toml", &env)
}

const ARRS: [(&str, ArrKind, &str, &str); 6] = [
    ("Sonarr-TV", ArrKind::Sonarr, "sonarr-tv", "http://127.0.0.1:8989"),
    (
        "Sonarr-Anime",
        ArrKind::Sonarr,
        "sonarr-anime",
        "http://127.0.0.1:8989",
    ),
    (
        "Radarr-1080",
        ArrKind::Radarr,
        "radarr-1080",
        "http://127.0.0.1:7878",
    ),
    ("Radarr-4K", ArrKind::Radarr, "radarr-4k", "http://127.0.0.1:7878"),
    (
        "Lidarr-Music",
        ArrKind::Lidarr,
        "lidarr-music",
        "http://127.0.0.1:8686",
    ),
    (
        "Readarr-Books",
        ArrKind::Readarr,
        "readarr-books",
        "http://127.0.0.1:8787",
    ),
];

#[test]
fn filled_qbitrr_config_loads() {
    let loaded = load_text(&read("qbitrr-5.14.7-filled.toml"), &[])
        .unwrap_or_else(|err| panic!("the filled qBitrr config must load:\n{err}"));
    let config = &loaded.config;

    let [qbit] = config.qbit.as_slice() else {
        panic!("one qBit instance, got {:?}", config.qbit);
    };
    assert_eq!(qbit.name, "qBit");
    assert_eq!(qbit.url, "http://127.0.0.1:8080");
    assert_eq!(qbit.username.as_deref(), Some("admin"));
    assert_eq!(qbit.password.as_deref(), Some("adminadmin"));
    assert_eq!(qbit.api_key, None);

    assert_eq!(config.arrs.len(), ARRS.len());
    for (arr, (name, kind, category, uri)) in config.arrs.iter().zip(ARRS) {
        assert_eq!(arr.name, name);
        assert_eq!(arr.kind, kind, "{name}");
        assert_eq!(arr.category, category, "{name}");
        assert_eq!(arr.uri, uri, "{name}");
        assert_eq!(arr.api_key, "0123456789abcdef0123456789abcdef", "{name}");
        assert!(arr.managed && arr.re_search, "{name}");
        assert_eq!(
            arr.torrent.stalled_delay,
            StalledDelay::After(Duration::from_secs(15 * 60)),
            "{name}"
        );
        assert_eq!(arr.torrent.ignore_younger_than, Duration::from_secs(180));
        assert_eq!(arr.torrent.maximum_eta, None);
        assert_eq!(arr.torrent.maximum_deletable_percentage, 0.99);
        // qBitrr's -1 sentinels are within the ranges: off.
        assert_eq!(arr.seeding.max_upload_ratio, None);
        assert_eq!(arr.seeding.max_seeding_time, None);
        assert_eq!(arr.seeding.remove_torrent, RemoveTorrent::Never);
    }

    let s = &config.settings;
    assert_eq!(s.console_level, "INFO");
    assert_eq!(s.loop_sleep, Duration::from_secs(5));
    assert_eq!(
        (s.failed_category.as_str(), s.recheck_category.as_str()),
        ("failed", "recheck")
    );
    assert_eq!(s.max_restarts, 5);
    // qBitrr's defaults for the bounded keys are within their ranges.
    assert_eq!(s.restart_window, Duration::from_secs(300));
    assert_eq!(s.restart_delay, Duration::from_secs(5));
    assert_eq!(s.ignore_younger_than, Duration::from_secs(180));
    assert_eq!(config.webui.port, 6969);

    // FreeSpace is qBitrr's default "-1": the guard is off, whatever the folders say.
    assert_eq!(s.free_space, None);

    // Everything else is at qBitrr's default; the request managers are filled in and off:
    // nothing to warn about, and no unknown keys.
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(config.arrs.iter().all(|a| a.search.requests.is_none()));
    let warnings = loaded.warnings.join("\n");
    assert!(!warnings.contains("ombi-key") && !warnings.contains("adminadmin"));
    // What qBitrr would do with this config that qbitrr-lite does not yet, named once at start.
    assert_eq!(
        loaded.not_done,
        [
            "WebUI is on (qBitrr's default), but only the status page is served at / (not qBitrr's \
             library, config and log views)",
        ]
    );
}

#[test]
fn filled_qbitrr_config_loads_from_its_path() {
    let loaded = load(&compat("qbitrr-5.14.7-filled.toml"))
        .unwrap_or_else(|err| panic!("the filled qBitrr config must load:\n{err}"));
    assert_eq!(loaded.config.arrs.len(), 6);
}

#[test]
fn default_qbitrr_config_lists_every_required_placeholder() {
    let err = load_text(&read("qbitrr-5.14.7-default.toml"), &[])
        .expect_err("the generated default config is not usable as it is");
    assert!(matches!(err, ConfigError::Placeholders { .. }), "{err}");

    let required: Vec<(&str, Option<usize>)> = err
        .problems()
        .iter()
        .map(|p| (p.key.as_str(), p.line()))
        .collect();
    let mut expected = vec![
        ("qBit.Host", Some(171)),
        ("qBit.UserName", Some(177)),
        ("qBit.Password", Some(180)),
    ];
    let arr_lines = [
        ("Sonarr-TV", 254),
        ("Sonarr-Anime", 465),
        ("Radarr-1080", 676),
        ("Radarr-4K", 878),
        ("Lidarr-Music", 1080),
        ("Readarr-Books", 1231),
    ];
    let keys: Vec<(String, String)> = arr_lines
        .iter()
        .map(|(name, _)| (format!("{name}.URI"), format!("{name}.APIKey")))
        .collect();
    for ((uri, api_key), (_, line)) in keys.iter().zip(arr_lines) {
        expected.push((uri.as_str(), Some(line)));
        expected.push((api_key.as_str(), Some(line + 3)));
    }
    assert_eq!(required, expected);
    assert_eq!(required.len(), 15);

    // CHANGE_ME in the folders FreeSpace measures, and in the request managers' addresses and
    // keys while their search is off (as in this file), means "not set": nothing is unused.
    let unused = err.unused_placeholders();
    assert!(unused.is_empty(), "{unused:?}");

    let shown = err.to_string();
    assert!(shown
        .starts_with("config.toml:171: qBit.Host: still CHANGE_ME; set it to the qBittorrent WebUI address"));
    assert!(shown.contains(
        "\nconfig.toml:254: Sonarr-TV.URI: still CHANGE_ME; set it to the Sonarr address, \
         e.g. \"http://127.0.0.1:8989\"\n"
    ));
    assert!(!shown.contains("also still CHANGE_ME"));
    assert!(!shown.contains("Settings.CompletedDownloadFolder") && !shown.contains("Overseerr"));
    // 15 problems, one per line.
    assert_eq!(shown.lines().count(), 15);
}

#[test]
fn environment_can_fill_the_default_config() {
    let text = read("qbitrr-5.14.7-default.toml");
    let mut env: Vec<(String, String)> = [
        ("QBITRR_QBIT_HOST", "qbit.lan"),
        ("QBITRR_QBIT__USERNAME", "admin"),
        ("QBITRR_QBIT_PASSWORD", "pw"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (name, _, _, uri) in ARRS {
        let section = name.to_uppercase().replace('-', "_");
        env.push((format!("QBITRR_{section}__URI"), uri.to_string()));
        env.push((format!("QBITRR_{section}__API_KEY"), "key".to_string()));
    }
    let loaded = load_str(&text, "config.toml", &env).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(loaded.config.qbit[0].url, "http://qbit.lan:8080");
    assert_eq!(loaded.config.qbit[0].username.as_deref(), Some("admin"));
    assert_eq!(loaded.config.arrs[3].uri, "http://127.0.0.1:7878");
    assert!(loaded.config.arrs.iter().all(|a| a.api_key == "key"));
}
