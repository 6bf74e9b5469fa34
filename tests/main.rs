//! The integration tests, one binary: each former test crate is a module,
//! `support` is the shared harness. Run one area with e.g.
//! `cargo test --test integration daemon_e2e::`.

mod support;

mod arr_client;
mod cli;
mod config_compat;
mod daemon_e2e;
mod faults;
mod file_filters;
mod free_space;
mod harness_selftest;
mod qbit_client;
mod read_modes;
mod search;
mod status_page;
mod store;
mod subcategories;
mod supervisor_e2e;
mod trackers;
