//! Log set-up: console (stderr) at Settings.ConsoleLevel and, when
//! Settings.Logging is on, a file `logs/Main.log` in the data directory.
//! Messages carry the Arr section name as their first word.

use std::fs::OpenOptions;
use std::path::Path;

use simplelog::{CombinedLogger, ConfigBuilder, LevelFilter, SharedLogger, WriteLogger};

/// qBitrr's level names mapped to `log` levels (NOTICE sits between INFO and WARNING; we show it as INFO).
pub fn level(name: &str) -> LevelFilter {
    match name.to_ascii_uppercase().as_str() {
        "CRITICAL" | "ERROR" => LevelFilter::Error,
        "WARNING" | "WARN" => LevelFilter::Warn,
        "DEBUG" => LevelFilter::Debug,
        "TRACE" => LevelFilter::Trace,
        _ => LevelFilter::Info,
    }
}

/// Installs the global logger. Failing to open the log file is reported and the console keeps working.
pub fn init(console_level: &str, log_dir: Option<&Path>) {
    let config = ConfigBuilder::new()
        .set_target_level(LevelFilter::Off)
        .set_thread_level(LevelFilter::Off)
        .set_location_level(LevelFilter::Off)
        .set_time_format_rfc3339()
        .build();
    let level = level(console_level);
    let mut loggers: Vec<Box<dyn SharedLogger>> =
        vec![WriteLogger::new(level, config.clone(), std::io::stderr())];
    let mut file_error = None;
    if let Some(dir) = log_dir {
        let path = dir.join("Main.log");
        let opened = std::fs::create_dir_all(dir)
            .and_then(|()| OpenOptions::new().create(true).append(true).open(&path));
        match opened {
            Ok(file) => loggers.push(WriteLogger::new(level, config, file)),
            Err(e) => file_error = Some(format!("cannot write log file {}: {e}", path.display())),
        }
    }
    let _ = CombinedLogger::init(loggers);
    if let Some(e) = file_error {
        log::warn!("{e}; logging to the console only");
    }
}
