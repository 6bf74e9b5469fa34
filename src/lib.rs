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
//!      ├─ server ── control        status HTTP server; commands to the supervisor
//!      │    └────── status         the status board: /health, /api/*, /metrics
//!      └─ supervisor               one worker thread per managed Arr; restarts, reload, shutdown
//!           ├─ upstream            the seams: Qbittorrent, ArrApi; dry-run wrappers; test fakes
//!           │    ├─ qbit, arr      HTTP clients (ureq) for qBittorrent and the Arrs
//!           │    └─ http           agents and HttpError
//!           └─ worker              one Arr's loop: fetch → decide → apply → persist → sleep
//!                ├─ executor       applies decisions in the fixed order (worker/executor.rs)
//!                ├─ decide         the pure decision core
//!                └─ store          redb: per-torrent memory that survives restarts
//! model, config, clock, logging, shutdown: used throughout
//! ```
//!
//! - [`config`]: qBitrr's schema, validated into [`config::Config`].
//! - [`model`]: torrents, queue entries, per-torrent memory, the per-Arr API differences.
//! - [`decide`]: the pure decision core, one function per torrent.
//! - [`http`], [`qbit`], [`arr`]: thin HTTP clients for qBittorrent and the Arrs.
//! - `upstream`: what the loop needs from qBittorrent and an Arr, as traits;
//!   implemented by the clients, by a dry-run wrapper (decided once, where the
//!   clients are built) and by recording fakes in unit tests.
//! - `worker`: one Arr instance's polling loop and its executor.
//! - `store`: what must survive a restart, in redb.
//! - `supervisor`, `control`: worker threads and the commands they take.
//! - `status`, `server`: the status board and its HTTP server.
//! - [`clock`], `shutdown`, `logging`, `cli`, [`app`]: process plumbing.
#![forbid(unsafe_code)]

pub mod app;
pub mod arr;
mod cli;
pub mod clock;
pub mod config;
mod control;
pub mod decide;
pub mod http;
mod inspect;
mod logging;
pub mod model;
pub mod qbit;
mod server;
mod shutdown;
mod status;
mod store;
mod supervisor;
mod upstream;
mod worker;
