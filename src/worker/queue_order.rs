//! SortTorrents: the worker's downloads in qBittorrent's queue, in the order of the Priority
//! of the tracker entries that speak for them (entries with SortTorrents on; the others'
//! downloads below). Only the order among the worker's own downloads is kept: another
//! worker sorting its own moves them as a block, so workers never undo each other. The moves
//! are planned by [`crate::tracker::queue_moves`]; nothing is moved while a download's trackers
//! are unread, nor again within [`SORT_SETTLE_SECS`] of a sort.

use log::{info, warn};

use crate::model::UnixTime;
use crate::tracker::{self, Queued};
use crate::upstream::Qbittorrent;
use crate::view::Table;

use super::trackers::TrackerBook;

/// A sort is not done again within this many seconds (qBittorrent's queue as the view holds
/// it may lag the moves).
pub(super) const SORT_SETTLE_SECS: i64 = 30;

/// When each qBittorrent's queue was last sorted.
#[derive(Debug, Default)]
pub(super) struct QueueOrder {
    sorted_at: Vec<Option<UnixTime>>,
}

/// The `torrents/topPrio` calls that sort the downloads in categories `own` of `table` on
/// qBittorrent `qbit`; `None` while one of them has no known tracker entry yet.
pub(super) fn plan(table: &Table, own: &[u32], book: &TrackerBook, qbit: usize) -> Option<Vec<Vec<String>>> {
    let mut downloads = Vec::new();
    let mut known = true;
    table.each_of(own, |e| {
        if e.queue_position == 0 {
            return;
        }
        match book
            .of(qbit, &e.id, table.trackers.urls(e.trackers))
            .known_entry()
        {
            Some(entry) => downloads.push(Queued {
                id: e.id,
                position: i64::from(e.queue_position),
                key: tracker::sort_key(entry),
            }),
            None => known = false,
        }
    });
    known.then(|| {
        tracker::queue_moves(&downloads)
            .into_iter()
            .map(|ids| ids.iter().map(ToString::to_string).collect())
            .collect()
    })
}

impl QueueOrder {
    /// Sends `moves` (per qBittorrent, from [`plan`]) where due; `name` names the worker. In a
    /// dry run the clients log what they would do, and nothing here.
    pub(super) fn apply(
        &mut self,
        name: &str,
        qbits: &[std::sync::Arc<dyn Qbittorrent>],
        moves: Vec<Option<Vec<Vec<String>>>>,
        now: UnixTime,
        dry_run: bool,
    ) {
        self.sorted_at.resize(qbits.len(), None);
        for ((qbit, moves), sorted_at) in qbits.iter().zip(moves).zip(&mut self.sorted_at) {
            let Some(moves) = moves.filter(|m| !m.is_empty()) else {
                continue;
            };
            if sorted_at.is_some_and(|at| now - at < SORT_SETTLE_SECS) {
                continue;
            }
            *sorted_at = Some(now);
            let moved: usize = moves.iter().map(Vec::len).sum();
            for hashes in &moves {
                let hashes: Vec<&str> = hashes.iter().map(String::as_str).collect();
                if let Err(e) = qbit.top_priority(&hashes) {
                    warn!(
                        "{name}: {}: could not sort the queue by tracker priority: {e}",
                        qbit.name()
                    );
                    return;
                }
            }
            if dry_run {
                continue;
            }
            info!(
                "{name}: {}: queue sorted by tracker priority (SortTorrents): {moved} download(s) moved \
                 in {} call(s)",
                qbit.name(),
                moves.len()
            );
        }
    }
}
