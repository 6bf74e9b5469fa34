//! Configuration: qBitrr's `config.toml` schema read as it is, in two stages.
//!
//! Stage one parses the TOML text into a tree that remembers the line of every
//! key, applies environment overrides (`QBITRR_<SECTION>__<KEY>`) to it and
//! checks it against the key schema. Stage two (`validate`) reads the keys we
//! support from that tree by their schema names, fills qBitrr's defaults,
//! checks values and produces the [`Config`], which is all the rest of the
//! daemon ever sees.
//!
//! This module owns: the key schema (which keys exist in qBitrr, which we
//! support), placeholder (`CHANGE_ME`) detection, "did you mean" warnings for
//! unknown keys and the once-at-start-up "ignored (not supported yet)" list.
//! This file is only the facade: the list of parts and what the rest of the crate sees.

#[cfg(test)]
mod bounds_tests;
mod check;
mod duration;
mod env;
mod load;
mod not_done;
mod report;
mod schema;
mod tree;
mod types;
mod validate;

pub use crate::model::ArrKind;
pub(crate) use duration::seconds as duration_seconds;
pub use load::{load, load_str, ConfigError, Loaded};
pub use report::{Location, Problem};
pub use types::{
    Arr, Config, EntrySearch, FreeSpaceGuard, ImportMode, Owner, QbitInstance, ReadMode, RemoveTorrent,
    RequestManager, RequestSource, SeedingRules, SeriesSearch, Settings, StalledDelay, TempProfiles,
    TorrentRules, WebUi,
};
