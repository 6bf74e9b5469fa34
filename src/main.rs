//! The binary: parse the command line, load the config, set up logging and
//! the signal handler, run the daemon, map the outcome to an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use qbitrr_lite::cli::{Cli, Command, RunArgs, EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME};
use qbitrr_lite::{config, daemon, logging, shutdown::Shutdown};

const EXAMPLE_CONFIG: &str = include_str!("../config.example.toml");

fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(code),
    };
    if cli.version {
        println!("qbitrr-lite {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::from(EXIT_OK);
    }
    match cli.command {
        Some(Command::Run(args)) => ExitCode::from(run(args)),
        Some(Command::GenConfig(_)) => {
            print!("{EXAMPLE_CONFIG}");
            ExitCode::from(EXIT_OK)
        }
        None => {
            eprintln!("qbitrr-lite: a command is required (run, gen-config); see --help");
            ExitCode::from(EXIT_CONFIG)
        }
    }
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

fn run(args: RunArgs) -> u8 {
    let loaded = match config::load(&args.config) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("qbitrr-lite: invalid configuration:\n{e}");
            return EXIT_CONFIG;
        }
    };
    let cfg = loaded.config;
    let data_dir = args.data_dir.unwrap_or_else(|| {
        args.config
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    if let Err(e) = std::fs::create_dir_all(&data_dir) {
        eprintln!(
            "qbitrr-lite: cannot create the data directory {}: {e}",
            data_dir.display()
        );
        return EXIT_RUNTIME;
    }
    let log_dir = data_dir.join("logs");
    logging::init(
        &cfg.settings.console_level,
        cfg.settings.logging.then_some(log_dir.as_path()),
    );
    log::info!(
        "qbitrr-lite {} starting with {} (data directory {})",
        env!("CARGO_PKG_VERSION"),
        args.config.display(),
        data_dir.display()
    );
    for w in &loaded.warnings {
        log::warn!("{w}");
    }
    if !cfg.arrs.iter().any(|a| a.managed) {
        log::error!(
            "no managed Radarr/Sonarr/Lidarr/Readarr section in {}: nothing to do",
            args.config.display()
        );
        return EXIT_CONFIG;
    }
    let store = match daemon::open_store(&data_dir) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e}");
            return EXIT_RUNTIME;
        }
    };
    let shutdown = Shutdown::new();
    let on_signal = shutdown.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        if on_signal.is_set() {
            // A second signal: stop at once.
            std::process::exit(i32::from(EXIT_OK));
        }
        log::info!("signal received: stopping (send it again to stop at once)");
        on_signal.trigger();
    }) {
        log::error!("cannot install the signal handler: {e}");
        return EXIT_RUNTIME;
    }
    daemon::run(&cfg, store, args.dry_run, &shutdown);
    log::info!("stopped cleanly");
    EXIT_OK
}
