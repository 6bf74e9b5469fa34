//! Command line (argh): `run`, `check`, `status`, `health`, `actions`, `explain`,
//! `init`, `gen-config`, `--version`, and the exit codes.

use std::path::PathBuf;

use argh::FromArgs;

/// Exit code of a clean stop (or a passing check).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code of a fatal runtime error (the store cannot be opened, the port is taken,
/// an upstream failed its check, the daemon did not answer).
pub(crate) const EXIT_RUNTIME: u8 = 1;
/// Exit code of a bad configuration or bad usage.
pub(crate) const EXIT_CONFIG: u8 = 2;

/// Keeps qBittorrent and Radarr/Sonarr/Lidarr/Readarr in step, reading qBitrr's config.toml.
/// Exit codes: 0 clean stop, 1 fatal runtime error, 2 bad config or usage.
#[derive(FromArgs, Debug)]
pub(crate) struct Cli {
    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
    #[argh(subcommand)]
    pub command: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub(crate) enum Command {
    Run(RunArgs),
    Check(CheckArgs),
    Status(StatusArgs),
    Health(HealthArgs),
    Init(InitArgs),
    Actions(ActionsArgs),
    Explain(ExplainArgs),
    GenConfig(GenConfigArgs),
}

/// Run the daemon.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "run")]
pub(crate) struct RunArgs {
    /// path of qBitrr's config.toml
    #[argh(option)]
    pub config: PathBuf,
    /// directory for the store, the generated WebUI token and logs (default: the config file's directory)
    #[argh(option)]
    pub data_dir: Option<PathBuf>,
    /// decide and log everything, change nothing
    #[argh(switch)]
    pub dry_run: bool,
    /// log to standard output only, no log files (for procd/systemd, which collect it)
    #[argh(switch)]
    pub log_stdout: bool,
}

/// Validate the config and test every qBittorrent and Arr connection.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "check")]
pub(crate) struct CheckArgs {
    /// path of qBitrr's config.toml
    #[argh(option)]
    pub config: PathBuf,
}

/// Ask a running daemon whether it is healthy (its /health): exit 0 when it is, 1 when it
/// is not (each problem printed) or does not answer, 2 on bad usage. For a container's
/// HEALTHCHECK, procd and cron.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "health")]
pub(crate) struct HealthArgs {
    /// the daemon's address (default: from --config's WebUI section, else http://127.0.0.1:6969)
    #[argh(option)]
    pub url: Option<String>,
    /// path of the config.toml the daemon runs with
    #[argh(option)]
    pub config: Option<PathBuf>,
}

/// Show the workers of a running daemon (its /api/processes); exit 1 when it is unhealthy.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "status")]
pub(crate) struct StatusArgs {
    /// the daemon's address (default: from --config's WebUI section, else http://127.0.0.1:6969)
    #[argh(option)]
    pub url: Option<String>,
    /// the API token (default: the config's WebUI.Token, else the data directory's webui-token file)
    #[argh(option)]
    pub token: Option<String>,
    /// path of the config.toml the daemon runs with
    #[argh(option)]
    pub config: Option<PathBuf>,
    /// the daemon's data directory (default: the config file's directory)
    #[argh(option)]
    pub data_dir: Option<PathBuf>,
}

/// Show what a running daemon deleted or changed in an Arr, and why (its audit log).
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "actions")]
pub(crate) struct ActionsArgs {
    /// only this torrent (its hash, or the start of it)
    #[argh(option)]
    pub hash: Option<String>,
    /// only this Arr section, e.g. Radarr-1080
    #[argh(option)]
    pub instance: Option<String>,
    /// only the last while, e.g. 30m, 2h, 7d
    #[argh(option)]
    pub since: Option<String>,
    /// at most this many of the newest (default 200)
    #[argh(option)]
    pub limit: Option<usize>,
    /// the daemon's address (default: from --config's WebUI section, else http://127.0.0.1:6969)
    #[argh(option)]
    pub url: Option<String>,
    /// the API token (default: the config's WebUI.Token, else the data directory's webui-token file)
    #[argh(option)]
    pub token: Option<String>,
    /// path of the config.toml the daemon runs with
    #[argh(option)]
    pub config: Option<PathBuf>,
    /// the daemon's data directory (default: the config file's directory)
    #[argh(option)]
    pub data_dir: Option<PathBuf>,
}

/// Explain what a running daemon decides for one torrent: every rule in order, matched or
/// not and why, and what happens next and when.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "explain")]
pub(crate) struct ExplainArgs {
    /// the torrent's hash (40 hex digits)
    #[argh(positional)]
    pub hash: String,
    /// the daemon's address (default: from --config's WebUI section, else http://127.0.0.1:6969)
    #[argh(option)]
    pub url: Option<String>,
    /// the API token (default: the config's WebUI.Token, else the data directory's webui-token file)
    #[argh(option)]
    pub token: Option<String>,
    /// path of the config.toml the daemon runs with
    #[argh(option)]
    pub config: Option<PathBuf>,
    /// the daemon's data directory (default: the config file's directory)
    #[argh(option)]
    pub data_dir: Option<PathBuf>,
}

/// Write a first config by asking for qBittorrent's and each Arr's address and login,
/// trying each as it goes; never overwrites a file.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "init")]
pub(crate) struct InitArgs {
    /// where to write the config (default: config.toml here)
    #[argh(option, default = "PathBuf::from(\"config.toml\")")]
    pub config: PathBuf,
}

/// Print a commented example config.toml to standard output.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "gen-config")]
pub(crate) struct GenConfigArgs {}
