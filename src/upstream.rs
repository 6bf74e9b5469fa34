//! The seams between the loop and the outside: what a worker needs from a
//! qBittorrent instance ([`Qbittorrent`]) and from an Arr ([`ArrApi`]).
//!
//! Three implementations of each: the HTTP clients ([`QbitClient`],
//! [`ArrClient`]; the impls are in `clients.rs`, so the clients know nothing
//! of the loop), `dry_run`'s wrappers, which read through and answer every
//! change as if it worked, and (in unit tests) `fake`'s in-process
//! recorders. Whether a run is dry is decided once, where the clients are
//! built ([`connect_qbit`], [`connect_arr`]); the loop and the executor never
//! ask.

use std::sync::Arc;

use crate::arr::ArrClient;
use crate::config::{Arr, QbitInstance};
use crate::qbit::QbitClient;

mod clients;
pub(crate) mod dry_run;
#[cfg(test)]
pub(crate) mod fake;
mod no_arr;
mod seams;

pub(crate) use seams::{ArrApi, Qbittorrent};

/// The client for one qBittorrent section, wrapped for a dry run when asked.
pub(crate) fn connect_qbit(cfg: &QbitInstance, dry_run: bool) -> Arc<dyn Qbittorrent> {
    let client = QbitClient::new(cfg);
    if dry_run {
        Arc::new(dry_run::DryRun::new(client))
    } else {
        Arc::new(client)
    }
}

/// The client for one Arr section, wrapped for a dry run when asked; for a managed category,
/// [`no_arr::NoArr`].
pub(crate) fn connect_arr(cfg: &Arr, dry_run: bool) -> Box<dyn ArrApi> {
    if !cfg.has_arr() {
        return Box::new(no_arr::NoArr { kind: cfg.kind });
    }
    let client = ArrClient::new(cfg);
    if dry_run {
        Box::new(dry_run::DryRun::new(client))
    } else {
        Box::new(client)
    }
}
