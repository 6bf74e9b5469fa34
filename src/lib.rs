//! qbitrr-lite keeps qBittorrent and the *Arr apps (Radarr, Sonarr, Lidarr,
//! Readarr) in step, reading qBitrr's own `config.toml`.
//!
//! Architecture, one module per part:
//! - [`config`]: qBitrr's schema, parsed (serde) then validated into [`config::Config`].
//! - [`model`]: torrents, queue entries, the per-Arr API differences.
//! - [`http`], [`qbit`], [`arr`]: thin HTTP clients (ureq) for qBittorrent and the Arrs.
//! - [`decide`]: the pure decision core, one function per torrent.
//! - [`store`]: what must survive a restart, in redb.
//! - [`worker`]: one Arr instance's polling loop: fetch → decide → apply → persist → sleep.
//! - [`supervisor`]: one worker thread per managed Arr; restarts, config reload, shutdown.
//! - [`status`], [`server`]: the status board and its HTTP server (`/health`, `/api/*`, `/metrics`).
//! - [`shutdown`], [`logging`], [`cli`]: process plumbing.
#![forbid(unsafe_code)]

pub mod apply;
pub mod arr;
pub mod cli;
pub mod clock;
pub mod config;
pub mod decide;
pub mod http;
pub mod logging;
pub mod model;
pub mod qbit;
pub mod server;
pub mod shutdown;
pub mod status;
pub mod store;
pub mod supervisor;
pub mod worker;
