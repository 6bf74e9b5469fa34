//! The free-space guard's inputs for one pass: the free space of each qBittorrent's disk
//! (FreeSpaceFolder measured here when it is a folder on this machine, else qBittorrent's
//! own `free_space_on_disk`), and the downloads of every managed category in its view,
//! handed to the pure walk in `free_space`.

use std::path::PathBuf;

use log::{info, warn};

use crate::config::FreeSpaceGuard;
use crate::disk;
use crate::free_space::{self, human, Download, Space, Verdicts};
use crate::model::tags;
use crate::view::ViewState;

/// The verdicts for one qBittorrent's downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpaceOf {
    /// The guard is off.
    Off,
    /// No free space could be read this pass.
    Unknown,
    Measured(Verdicts),
}

impl SpaceOf {
    pub(crate) fn of(&self, id: &crate::model::TorrentId) -> Space {
        match self {
            Self::Off => Space::Off,
            Self::Unknown => Space::Unknown,
            Self::Measured(v) => v.of(id),
        }
    }
}

/// Where the free space was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpaceSource {
    /// statvfs of this folder.
    Folder(PathBuf),
    /// qBittorrent's `free_space_on_disk`; with why the folder was not measured, if one is set.
    Qbittorrent { folder_error: Option<String> },
    /// Neither: the folder (if set) could not be measured, and this qBittorrent does not report
    /// it (filtered-list mode reads no `sync/maindata`).
    Nowhere { folder_error: Option<String> },
}

/// The free bytes for one qBittorrent, and where they come from.
pub(crate) fn measure(guard: &FreeSpaceGuard, reported: Option<i64>) -> (Option<i64>, SpaceSource) {
    let mut folder_error = None;
    if let Some(folder) = &guard.folder {
        match disk::free_bytes(folder) {
            Ok(free) => return (Some(free), SpaceSource::Folder(folder.clone())),
            Err(e) => folder_error = Some(format!("{}: {e}", folder.display())),
        }
    }
    match reported {
        Some(free) => (Some(free), SpaceSource::Qbittorrent { folder_error }),
        None => (None, SpaceSource::Nowhere { folder_error }),
    }
}

/// Says once where a qBittorrent's free space is now read from.
pub(crate) fn log_source(instance: &str, qbit: &str, guard: &FreeSpaceGuard, source: &SpaceSource) {
    let keep = human(i64::try_from(guard.keep_free).unwrap_or(i64::MAX));
    match source {
        SpaceSource::Folder(f) => info!(
            "{instance}: free-space guard for {qbit}: keeping {keep} free on the disk of {}",
            f.display()
        ),
        SpaceSource::Qbittorrent { folder_error } => {
            let why = folder_error
                .as_ref()
                .map(|e| format!(" (FreeSpaceFolder/CompletedDownloadFolder not measured here: {e})"))
                .unwrap_or_default();
            info!("{instance}: free-space guard for {qbit}: keeping {keep} free, as qBittorrent reports its disk{why}");
        }
        SpaceSource::Nowhere { folder_error } => {
            let why = match folder_error {
                Some(e) => format!("FreeSpaceFolder/CompletedDownloadFolder cannot be measured here ({e})"),
                None => "neither FreeSpaceFolder nor CompletedDownloadFolder is set".into(),
            };
            warn!(
                "{instance}: free-space guard for {qbit}: {why}, and this qBittorrent does not report its free \
                 space (read with filtered lists): nothing is paused for free space, and what was paused for it \
                 stays paused; set FreeSpaceFolder to the download folder as this machine sees it"
            );
        }
    }
}

/// Says when the number of downloads that do not fit changes (the decision log names each).
pub(crate) fn log_change(instance: &str, qbit: &str, before: &SpaceOf, now: &SpaceOf) {
    let short = |s: &SpaceOf| match s {
        SpaceOf::Measured(v) => v.short_count(),
        SpaceOf::Off | SpaceOf::Unknown => 0,
    };
    let (was, is) = (short(before), short(now));
    if was == is {
        return;
    }
    if let SpaceOf::Measured(v) = now {
        info!(
            "{instance}: {is} of {} downloads on {qbit} do not fit in the free space ({} left above FreeSpace \
             after those that fit)",
            v.weighed,
            human(v.left)
        );
    }
}

/// The verdicts for the downloads of every managed category in `state`'s table.
pub(crate) fn weigh(state: &ViewState, free: i64, keep_free: u64) -> Verdicts {
    let managed = state.managed_categories();
    let ignored_bit = tags::READ_BY_RULES
        .iter()
        .position(|t| *t == tags::IGNORED)
        .map_or(0, |bit| 1u8 << bit);
    let downloads = state
        .table
        .entries()
        .iter()
        .filter(|e| managed.contains(&e.category))
        .filter(|e| free_space::weighs(e.state, e.amount_left, e.tags & ignored_bit != 0))
        .map(|e| Download {
            id: e.id,
            queue_position: i64::from(e.queue_position),
            added_on: i64::from(e.added_on),
            amount_left: e.amount_left,
            forced: free_space::is_forced(e.state),
        })
        .collect();
    free_space::plan(free, keep_free, downloads)
}
