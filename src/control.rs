//! The commands other threads send the supervisor — restart a worker, reload
//! the config, shut down — and their typed answers. [`Control`] is the
//! sending side, handed to the status server and the signal handler; it does
//! not know the supervisor's channel type, so neither do they.

use std::fmt;
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

use crate::config::ConfigError;

/// A request to the supervisor.
pub(crate) enum Command {
    /// Restart one worker now and reset its restart count.
    Restart {
        name: String,
        reply: Sender<Result<(), RestartError>>,
    },
    /// Re-read the config file; the answer summarises what changed.
    Reload {
        reply: Option<Sender<Result<String, ReloadError>>>,
    },
    /// Stop everything.
    Shutdown,
}

/// Why a restart was refused.
#[derive(Debug)]
pub(crate) enum RestartError {
    UnknownWorker(String),
}

impl fmt::Display for RestartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownWorker(name) => write!(f, "no worker named {name:?}"),
        }
    }
}

impl std::error::Error for RestartError {}

/// Why a reload was refused; the previous config keeps running.
#[derive(Debug)]
pub(crate) enum ReloadError {
    Invalid(ConfigError),
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
        }
    }
}

/// What a caller of [`Control`] gets when the answer is not a success.
#[derive(Debug)]
pub(crate) enum ControlError<E> {
    /// The supervisor is gone (shutting down).
    Gone,
    /// It did not answer in time.
    NoAnswer,
    /// It answered with a refusal.
    Refused(E),
}

impl<E: fmt::Display> fmt::Display for ControlError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gone => write!(f, "shutting down"),
            Self::NoAnswer => write!(f, "the supervisor did not answer"),
            Self::Refused(e) => write!(f, "{e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ControlError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused(e) => Some(e),
            Self::Gone | Self::NoAnswer => None,
        }
    }
}

/// The sending side of the supervisor's commands; cheap to clone.
#[derive(Clone)]
pub(crate) struct Control {
    send: Arc<dyn Fn(Command) -> bool + Send + Sync>,
}

impl Control {
    /// `send` hands a command to the supervisor; false when it is gone.
    pub(crate) fn new(send: impl Fn(Command) -> bool + Send + Sync + 'static) -> Self {
        Self { send: Arc::new(send) }
    }

    pub(crate) fn restart(&self, name: &str, wait: Duration) -> Result<(), ControlError<RestartError>> {
        let (reply, answer) = mpsc::channel();
        self.ask(
            Command::Restart {
                name: name.to_string(),
                reply,
            },
            answer,
            wait,
        )
    }

    pub(crate) fn reload(&self, wait: Duration) -> Result<String, ControlError<ReloadError>> {
        let (reply, answer) = mpsc::channel();
        self.ask(Command::Reload { reply: Some(reply) }, answer, wait)
    }

    /// Asks for a shutdown; false when the supervisor is already gone.
    pub(crate) fn shutdown(&self) -> bool {
        (self.send)(Command::Shutdown)
    }

    fn ask<T, E>(
        &self,
        command: Command,
        answer: mpsc::Receiver<Result<T, E>>,
        wait: Duration,
    ) -> Result<T, ControlError<E>> {
        if !(self.send)(command) {
            return Err(ControlError::Gone);
        }
        match answer.recv_timeout(wait) {
            Ok(result) => result.map_err(ControlError::Refused),
            Err(_) => Err(ControlError::NoAnswer),
        }
    }
}
