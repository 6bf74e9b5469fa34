//! Stage one's serde view of the file: the keys qbitrr-lite supports, each an `Option` under
//! qBitrr's key name. Read from the checked tree, so types are already right; unsupported and
//! unknown keys are simply not fields here.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::tree::Table;

/// A duration as written: an integer in the key's unit, or a string like "15m".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(super) enum RawDuration {
    Int(i64),
    Text(String),
}

/// `[Settings]`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawSettings {
    #[serde(rename = "ConsoleLevel")]
    pub(super) console_level: Option<String>,
    #[serde(rename = "Logging")]
    pub(super) logging: Option<bool>,
    #[serde(rename = "LoopSleepTimer")]
    pub(super) loop_sleep_timer: Option<RawDuration>,
    #[serde(rename = "FailedCategory")]
    pub(super) failed_category: Option<String>,
    #[serde(rename = "RecheckCategory")]
    pub(super) recheck_category: Option<String>,
    #[serde(rename = "Tagless")]
    pub(super) tagless: Option<bool>,
    #[serde(rename = "IgnoreTorrentsYoungerThan")]
    pub(super) ignore_torrents_younger_than: Option<RawDuration>,
    #[serde(rename = "AutoRestartProcesses")]
    pub(super) auto_restart_processes: Option<bool>,
    #[serde(rename = "MaxProcessRestarts")]
    pub(super) max_process_restarts: Option<i64>,
    #[serde(rename = "ProcessRestartWindow")]
    pub(super) process_restart_window: Option<RawDuration>,
    #[serde(rename = "ProcessRestartDelay")]
    pub(super) process_restart_delay: Option<RawDuration>,
    #[serde(rename = "DryRun")]
    pub(super) dry_run: Option<bool>,
    #[serde(rename = "TraceLoopExecution")]
    pub(super) trace_loop_execution: Option<bool>,
    #[serde(rename = "LogRotateSize")]
    pub(super) log_rotate_size: Option<RawSize>,
    #[serde(rename = "LogRotateCount")]
    pub(super) log_rotate_count: Option<i64>,
}

/// A size as written: bytes, or a string like "5M" / "512K".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(super) enum RawSize {
    Int(i64),
    Text(String),
}

/// `[WebUI]`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawWebUi {
    #[serde(rename = "Host")]
    pub(super) host: Option<String>,
    #[serde(rename = "Port")]
    pub(super) port: Option<i64>,
    #[serde(rename = "Token")]
    pub(super) token: Option<String>,
    #[serde(rename = "AuthDisabled")]
    pub(super) auth_disabled: Option<bool>,
}

/// `[qBit]` / `[qBit-<Name>]`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawQbit {
    #[serde(rename = "Disabled")]
    pub(super) disabled: Option<bool>,
    #[serde(rename = "Host")]
    pub(super) host: Option<String>,
    #[serde(rename = "Port")]
    pub(super) port: Option<i64>,
    #[serde(rename = "UserName")]
    pub(super) user_name: Option<String>,
    #[serde(rename = "Password")]
    pub(super) password: Option<String>,
    #[serde(rename = "SkipTLSVerify")]
    pub(super) skip_tls_verify: Option<bool>,
    #[serde(rename = "APIKey")]
    pub(super) api_key: Option<String>,
}

/// An Arr section.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawArr {
    #[serde(rename = "Managed")]
    pub(super) managed: Option<bool>,
    #[serde(rename = "URI")]
    pub(super) uri: Option<String>,
    #[serde(rename = "APIKey")]
    pub(super) api_key: Option<String>,
    #[serde(rename = "SkipTLSVerify")]
    pub(super) skip_tls_verify: Option<bool>,
    #[serde(rename = "Category")]
    pub(super) category: Option<String>,
    #[serde(rename = "ReSearch")]
    pub(super) re_search: Option<bool>,
    #[serde(rename = "importMode")]
    pub(super) import_mode: Option<String>,
    #[serde(rename = "CheckInterval")]
    pub(super) check_interval: Option<RawDuration>,
    #[serde(rename = "DelayAfterImport")]
    pub(super) delay_after_import: Option<RawDuration>,
    #[serde(rename = "DelayAfterSearch")]
    pub(super) delay_after_search: Option<RawDuration>,
    #[serde(rename = "DelayAfterBlacklist")]
    pub(super) delay_after_blacklist: Option<RawDuration>,
    #[serde(rename = "Torrent")]
    pub(super) torrent: Option<RawTorrent>,
}

/// `[<Arr>.Torrent]`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawTorrent {
    #[serde(rename = "IgnoreTorrentsYoungerThan")]
    pub(super) ignore_torrents_younger_than: Option<RawDuration>,
    #[serde(rename = "MaximumETA")]
    pub(super) maximum_eta: Option<RawDuration>,
    #[serde(rename = "MaximumDeletablePercentage")]
    pub(super) maximum_deletable_percentage: Option<f64>,
    #[serde(rename = "DoNotRemoveSlow")]
    pub(super) do_not_remove_slow: Option<bool>,
    #[serde(rename = "StalledDelay")]
    pub(super) stalled_delay: Option<RawDuration>,
    #[serde(rename = "ReSearchStalled")]
    pub(super) re_search_stalled: Option<bool>,
    #[serde(rename = "SeedingMode")]
    pub(super) seeding_mode: Option<RawSeedingMode>,
}

/// `[<Arr>.Torrent.SeedingMode]`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawSeedingMode {
    #[serde(rename = "MaxUploadRatio")]
    pub(super) max_upload_ratio: Option<f64>,
    #[serde(rename = "MaxSeedingTime")]
    pub(super) max_seeding_time: Option<RawDuration>,
    #[serde(rename = "RemoveTorrent")]
    pub(super) remove_torrent: Option<i64>,
}

/// Deserializes a checked table (or the defaults when the section is absent). `None` only if
/// the schema check let a wrong type through; serde's message is dropped because it may quote a
/// secret.
pub(super) fn read<T: DeserializeOwned + Default>(table: Option<&Table>) -> Option<T> {
    match table {
        None => Some(T::default()),
        Some(table) => toml::Value::Table(table.to_toml()).try_into().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree;

    #[test]
    fn serde_reads_renamed_optional_fields() {
        let root = tree::parse(
            "[Radarr-1080]\nimportMode = \"Move\"\n[Radarr-1080.Torrent]\nStalledDelay = \"1h\"\nMaxUnknown = 1\n\
             [Radarr-1080.Torrent.SeedingMode]\nMaxUploadRatio = 2\n",
        )
        .expect("valid TOML");
        let arr: RawArr = read(root.table("Radarr-1080")).expect("deserializes");
        assert_eq!(arr.import_mode.as_deref(), Some("Move"));
        assert_eq!(arr.managed, None);
        let torrent = arr.torrent.expect("Torrent");
        assert_eq!(torrent.stalled_delay, Some(RawDuration::Text("1h".into())));
        assert_eq!(torrent.seeding_mode.and_then(|s| s.max_upload_ratio), Some(2.0));
        let settings: RawSettings = read(None).expect("defaults");
        assert_eq!(settings.logging, None);
    }
}
