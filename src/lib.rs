//! qbitrr-lite keeps qBittorrent and the *Arr apps (Radarr, Sonarr, Lidarr,
//! Readarr) in step, reading qBitrr's own `config.toml`.
//!
//! # Module map
//!
//! A pure core, clients behind traits, and a thin shell that joins them.
//! Arrows are "uses"; nothing below uses anything above it.
//!
//! ```text
//! app ─┬─ cli                      the binary's commands and exit codes
//!      ├─ advice                   a failed connection in words: http↔https, URL base, wrong kind of Arr
//!      ├─ init                     a first config, asked for and tried as it goes
//!      ├─ server ─┬─ control       status HTTP server; commands to the supervisor
//!      │          ├─ status        the status board: /health, /api/*, /metrics
//!      │          └─ inspect       one torrent explained on request (/api/explain)
//!      └─ supervisor               one worker thread per managed Arr; restarts, reload, shutdown
//!           ├─ notify              systemd: READY, the watchdog fed while workers make progress, STOPPING
//!           ├─ upstream            the seams: Qbittorrent, ArrApi; dry-run wrappers; test fakes
//!           └─ worker              one Arr's loop: read → decide → verify → brake → apply → persist → sleep
//!                ├─ view           one qBittorrent as the workers see it, shared: sync/maindata or filtered lists
//!                ├─ executor       applies decisions in the fixed order; imports exactly once
//!                ├─ intents        removals as durable intents, finished across passes and restarts
//!                ├─ leftovers      AutoDelete on the disk, inside a torrent's content folder only
//!                ├─ space          the free-space guard's inputs: free bytes (disk), downloads in queue order
//!                ├─ search         the Arr's search loop, a thread beside the torrent loop: wanted lists → searches,
//!                │                 and temp quality profiles
//!                └─ guard          removal caps and the storm guard
//! qbit, arr, http   HTTP clients (ureq) for qBittorrent and the Arrs (under upstream and inspect)
//! requests          Overseerr and Ombi: what users requested (under worker's search loop)
//! decide            the pure decision core and explain (under worker and inspect)
//! file_filter       the pure file filters: which files of a torrent are not wanted (under config, decide, worker)
//! free_space        the pure free-space walk: which downloads fit (under decide, worker, inspect)
//! category          the pure category ownership: which categories (and subcategories) are a worker's
//! search            the pure search order and budget: which wanted items, grouped how, how fast;
//!                   which item goes to its temp quality profile and back
//! tracker           the pure tracker entries: which entry speaks for a torrent, what it owes (hit-and-run)
//! disk              statvfs: what a folder's disk has free (under worker)
//! store             redb: memory, intents, queue rows, searches, temp profiles, audit log (under worker, server, inspect)
//! model, config, clock, logging, shutdown: used throughout
//! fuzzing           entry points for the fuzz targets in fuzz/ (not the daemon's API)
//! ```
//!
//! - [`config`]: qBitrr's schema, validated into [`config::Config`].
//! - [`model`]: torrents, queue entries, per-torrent memory, the per-Arr API differences.
//! - [`decide`]: the pure decision core, one function per torrent.
//! - [`file_filter`]: the file filters (folder, name, extension patterns), compiled from the config.
//! - [`free_space`]: which downloads fit in the free space (Settings.FreeSpace), in queue order.
//! - [`category`]: which categories a worker owns (MatchSubcategories).
//! - `search`: what the search loop asks an Arr for, in which order, within which budget.
//! - [`tracker`]: tracker entries (limits, hit-and-run rules) and what a torrent owes its tracker.
//! - [`http`], [`qbit`], [`arr`]: thin HTTP clients for qBittorrent and the Arrs; `requests`
//!   for Overseerr and Ombi.
//! - `upstream`: what the loop needs from qBittorrent and an Arr, as traits;
//!   implemented by the clients, by a dry-run wrapper (decided once, where the
//!   clients are built) and by recording fakes in unit tests.
//! - [`view`]: one compact, shared table of each qBittorrent's torrents, read the
//!   way that costs that qBittorrent least.
//! - `worker`: one Arr instance's polling loop, its executor, durable intents and brakes.
//! - `store`: what must survive a restart, in redb; it survives damage, permission and disk-full errors.
//! - `inspect`: one torrent explained on request.
//! - `supervisor`, `control`: worker threads and the commands they take.
//! - `status`, `server`: the status board and its HTTP server.
//! - [`clock`], `shutdown`, `logging`, `cli`, [`app`]: process plumbing.
#![forbid(unsafe_code)]

mod advice;
pub mod app;
pub mod arr;
pub mod category;
mod cli;
pub mod clock;
pub mod config;
mod control;
pub mod decide;
mod disk;
pub mod file_filter;
pub mod free_space;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod init;
mod inspect;
mod logging;
pub mod model;
mod notify;
pub mod qbit;
mod requests;
mod search;
mod server;
mod shutdown;
mod status;
mod store;
mod supervisor;
#[cfg(test)]
mod test_rng;
pub mod tracker;
mod upstream;
pub mod view;
mod worker;
