//! The free-space guard (Settings.FreeSpace with AutoPauseResume): which downloads still fit
//! on the disk.
//!
//! Pure: from the free space measured, the bytes to keep free (FreeSpace) and the downloads
//! of every managed category of one qBittorrent, it says for each download whether it fits.
//! The budget is the free space less FreeSpace; the downloads are walked in qBittorrent's
//! queue order and each one that fits takes what it still has to download (`amount_left`)
//! from the budget. One that does not fit takes nothing, so a smaller one behind it may
//! still fit. A forced download takes its share whether it fits or not (qBittorrent starts
//! it regardless, and it is never paused).
//!
//! The decision core turns the verdict into actions (`decide`): a download that does not
//! fit is paused and tagged `qBitrr-free_space_paused`; one paused with that tag is resumed
//! once it fits. Whether a paused download was paused by the guard or by the user does not
//! change the budget: either would take its share once running, so the walk, and its
//! verdicts, are the same for every worker that computes them from the same view.

use std::collections::HashMap;

use crate::model::{TorrentId, TorrentState};

/// What the free-space guard says of one torrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Space {
    /// The guard is off (FreeSpace -1 or AutoPauseResume false).
    #[default]
    Off,
    /// The free space cannot be measured now: nothing is paused, and what the guard paused
    /// stays paused.
    Unknown,
    /// It fits (or it is no download the guard weighs).
    Fits,
    /// It does not fit: it still needs `need` bytes and `budget` bytes were left for it
    /// (negative when the disk is already below FreeSpace).
    Short { need: i64, budget: i64 },
}

impl Space {
    /// The verdict without its numbers (which move every pass while a download runs), for
    /// a decision's fingerprint.
    pub(crate) fn kind(self) -> u8 {
        match self {
            Self::Off => 0,
            Self::Unknown => 1,
            Self::Fits => 2,
            Self::Short { .. } => 3,
        }
    }
}

/// One download as the guard weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Download {
    pub(crate) id: TorrentId,
    /// qBittorrent's queue position (`priority`); 0 or less: none.
    pub(crate) queue_position: i64,
    pub(crate) added_on: i64,
    pub(crate) amount_left: i64,
    /// Forced by the user: it runs whatever the budget, so it always takes its share.
    pub(crate) forced: bool,
}

/// Whether the guard weighs a torrent: an incomplete download, not tagged `qBitrr-ignored`,
/// with bytes still to download (so not before its metadata), whose files are not gone.
pub(crate) fn weighs(state: TorrentState, amount_left: i64, ignored: bool) -> bool {
    !ignored && amount_left > 0 && !state.is_complete() && state != TorrentState::MissingFiles
}

/// Whether a weighed download runs whatever the guard says.
pub(crate) fn is_forced(state: TorrentState) -> bool {
    matches!(state, TorrentState::ForcedDl | TorrentState::ForcedMetaDl)
}

/// The verdicts for one qBittorrent: who does not fit, and what is left of the budget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Verdicts {
    short: HashMap<TorrentId, (i64, i64)>,
    /// The budget left after every download that fits.
    pub(crate) left: i64,
    /// The downloads weighed.
    pub(crate) weighed: usize,
}

impl Verdicts {
    /// The verdict on torrent `id` (a torrent not weighed fits).
    pub(crate) fn of(&self, id: &TorrentId) -> Space {
        match self.short.get(id) {
            Some(&(need, budget)) => Space::Short { need, budget },
            None => Space::Fits,
        }
    }

    /// How many downloads do not fit.
    pub(crate) fn short_count(&self) -> usize {
        self.short.len()
    }
}

/// Walks `downloads` in qBittorrent's queue order (positions first, 1 before 2; then those
/// without one, oldest first; the id breaks ties) against `free - keep_free`.
pub(crate) fn plan(free: i64, keep_free: u64, mut downloads: Vec<Download>) -> Verdicts {
    downloads.sort_unstable_by_key(|d| {
        let queued = d.queue_position > 0;
        (
            !queued,
            if queued { d.queue_position } else { 0 },
            d.added_on,
            d.id,
        )
    });
    let keep_free = i64::try_from(keep_free).unwrap_or(i64::MAX);
    let mut budget = free.saturating_sub(keep_free);
    let mut short = HashMap::new();
    for d in &downloads {
        if d.forced || d.amount_left <= budget {
            budget = budget.saturating_sub(d.amount_left);
        } else {
            short.insert(d.id, (d.amount_left, budget));
        }
    }
    Verdicts {
        short,
        left: budget,
        weighed: downloads.len(),
    }
}

/// Bytes as a person reads them ("1.5 GiB"), for logs and decision details.
pub(crate) fn human(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes.unsigned_abs() < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests;
