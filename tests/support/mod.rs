//! Integration-test support for qbitrr-lite: a real `qbittorrent-nox` per
//! test ([`qbittorrent`]), fake Radarr/Sonarr/Lidarr/Readarr servers that
//! record every request ([`fake_arr`]), small helpers ([`util`]), the
//! daemon runner ([`daemon`]), fake Overseerr and Ombi ([`fake_requests`]), a recording proxy in front of qBittorrent
//! ([`recording_proxy`]), a BitTorrent tracker ([`tracker`]), and all of them set up in one
//! call ([`scenario`]).

pub mod daemon;
pub mod fake_arr;
pub mod fake_requests;
pub mod qbittorrent;
pub mod recording_proxy;
pub mod scenario;
pub mod tracker;
pub mod util;
