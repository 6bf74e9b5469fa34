//! The seams between the loop and the outside: what a worker needs from a
//! qBittorrent instance ([`Qbittorrent`]) and from an Arr ([`ArrApi`]).
//!
//! Three implementations of each: the HTTP clients ([`QbitClient`],
//! [`ArrClient`]; the impls are here so the clients know nothing of the loop),
//! [`dry_run`]'s wrappers, which read through and answer every change as if
//! it worked, and (in unit tests) `fake`'s in-process recorders. Whether a
//! run is dry is decided once, where the clients are built
//! ([`connect_qbit`], [`connect_arr`]); the loop and the executor never ask.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::arr::{ArrClient, QueueDelete, QueueDeleteOptions};
use crate::config::{Arr, QbitInstance};
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry, Torrent};
use crate::qbit::QbitClient;

pub(crate) mod dry_run;
#[cfg(test)]
pub(crate) mod fake;

/// What the loop needs from one qBittorrent instance. Shared by the workers
/// of every Arr that uses it, so `&self` and `Send + Sync`.
pub(crate) trait Qbittorrent: Send + Sync {
    /// The section name (`qBit` or `qBit-<Name>`).
    fn name(&self) -> &str;
    /// The WebUI address, for logs.
    fn url(&self) -> &str;
    /// `app/version`, e.g. "v4.5.2".
    fn version(&self) -> Result<String, HttpError>;
    /// Every torrent of `category`, handed to `f` as it is read; on an error
    /// `f` may already have seen part of the list.
    fn torrents_each(&self, category: &str, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError>;
    fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError>;
    fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError>;
    /// Starts (5.x) or resumes (4.x) torrents.
    fn resume(&self, hashes: &[&str]) -> Result<(), HttpError>;
    fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError>;
    fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError>;
    fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError>;
    /// Records a failed call; true when this starts an outage, so exactly one worker reports it.
    fn mark_down(&self) -> bool;
    /// Records a good call; the outage's length when this ends one.
    fn mark_up(&self) -> Option<Duration>;
}

/// What the loop needs from one Arr instance (owned by its worker).
pub(crate) trait ArrApi: Send {
    fn kind(&self) -> ArrKind;
    /// The Arr's version, for `/api/status`.
    fn version(&self) -> Result<String, HttpError>;
    /// The whole queue, folded per download hash (lower case).
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError>;
    /// `DELETE queue/{id}`; a 404 is [`QueueDelete::NotFound`], not an error.
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError>;
    /// `POST command`; the command's id.
    fn command(&self, body: &Value) -> Result<i64, HttpError>;
}

/// The client for one qBittorrent section, wrapped for a dry run when asked.
pub(crate) fn connect_qbit(cfg: &QbitInstance, dry_run: bool) -> Arc<dyn Qbittorrent> {
    let client = QbitClient::new(cfg);
    if dry_run {
        Arc::new(dry_run::DryRun::new(client))
    } else {
        Arc::new(client)
    }
}

/// The client for one Arr section, wrapped for a dry run when asked.
pub(crate) fn connect_arr(cfg: &Arr, dry_run: bool) -> Box<dyn ArrApi> {
    let client = ArrClient::new(cfg);
    if dry_run {
        Box::new(dry_run::DryRun::new(client))
    } else {
        Box::new(client)
    }
}

impl Qbittorrent for QbitClient {
    fn name(&self) -> &str {
        QbitClient::name(self)
    }
    fn url(&self) -> &str {
        QbitClient::url(self)
    }
    fn version(&self) -> Result<String, HttpError> {
        QbitClient::version(self)
    }
    fn torrents_each(&self, category: &str, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError> {
        QbitClient::torrents_each(self, category, f)
    }
    fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError> {
        QbitClient::delete(self, hashes, delete_files)
    }
    fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError> {
        QbitClient::recheck(self, hashes)
    }
    fn resume(&self, hashes: &[&str]) -> Result<(), HttpError> {
        QbitClient::resume(self, hashes)
    }
    fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError> {
        QbitClient::set_category(self, hashes, category)
    }
    fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        QbitClient::add_tags(self, hashes, tags)
    }
    fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        QbitClient::remove_tags(self, hashes, tags)
    }
    fn mark_down(&self) -> bool {
        QbitClient::mark_down(self)
    }
    fn mark_up(&self) -> Option<Duration> {
        QbitClient::mark_up(self)
    }
}

impl ArrApi for ArrClient {
    fn kind(&self) -> ArrKind {
        ArrClient::kind(self)
    }
    fn version(&self) -> Result<String, HttpError> {
        self.system_status().map(|s| s.version)
    }
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        ArrClient::queue(self)
    }
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        ArrClient::delete_queue_item(self, id, opts)
    }
    fn command(&self, body: &Value) -> Result<i64, HttpError> {
        ArrClient::command(self, body)
    }
}
