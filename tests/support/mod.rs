#![allow(dead_code)]
//! Integration-test support for qbitrr-lite: a real `qbittorrent-nox` per
//! test ([`qbittorrent`]), fake Radarr/Sonarr/Lidarr/Readarr servers that
//! record every request ([`fake_arr`]), std-only helpers ([`util`]), the
//! daemon runner ([`daemon`]) and a recording proxy in front of qBittorrent
//! ([`recording_proxy`]).
//!
//! Each test binary does `mod support;` and uses the parts it needs.

pub mod daemon;
pub mod fake_arr;
pub mod qbittorrent;
pub mod recording_proxy;
pub mod util;
