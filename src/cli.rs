//! Command line (argh): `run`, `gen-config`, `--version`, and the exit codes.

use std::path::PathBuf;

use argh::FromArgs;

/// Exit code of a clean stop.
pub const EXIT_OK: u8 = 0;
/// Exit code of a fatal runtime error (the store cannot be opened, no thread could start).
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code of a bad configuration or bad usage.
pub const EXIT_CONFIG: u8 = 2;

/// Keeps qBittorrent and Radarr/Sonarr/Lidarr/Readarr in step, reading qBitrr's config.toml.
/// Exit codes: 0 clean stop, 1 fatal runtime error, 2 bad config or usage.
#[derive(FromArgs, Debug)]
pub struct Cli {
    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
    #[argh(subcommand)]
    pub command: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Command {
    Run(RunArgs),
    GenConfig(GenConfigArgs),
}

/// Run the daemon.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "run")]
pub struct RunArgs {
    /// path of qBitrr's config.toml
    #[argh(option)]
    pub config: PathBuf,
    /// directory for the store and logs (default: the config file's directory)
    #[argh(option)]
    pub data_dir: Option<PathBuf>,
    /// decide and log everything, change nothing
    #[argh(switch)]
    pub dry_run: bool,
}

/// Print a commented example config.toml to standard output.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "gen-config")]
pub struct GenConfigArgs {}
