//! Removals and blocklists as durable intents. A removal is three steps —
//! the qBittorrent delete, the Arr queue step (blocklist), the search — and
//! the torrent is gone after the first, so the rest must not depend on it:
//! an [`Intent`] is written to the store before the first step, each step is
//! marked as it succeeds, and what is left is retried with backoff on later
//! passes and after restarts, until done. The backoff counts failures in a row:
//! a step that succeeds starts it over, and so does a restart. An intent is dropped without its
//! steps only when nothing was done yet and the torrent is no longer to be
//! removed, or after [`ABANDON_AFTER_SECS`], with a warning naming what is
//! left.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use log::{debug, info, warn};

use crate::arr::{self, QueueDelete, QueueDeleteOptions};
use crate::http::HttpError;
use crate::model::{AuditEntry, Intent, QueueEntry, QueueStep, UnixTime};
use crate::store::{InstanceRecords, StoreError};
use crate::upstream::{ArrApi, Qbittorrent};

use super::search::{slow_down_wait, NotNow, SearchBudget};

/// Unfinished intents of one instance, by torrent hash.
pub(super) type Intents = BTreeMap<String, Intent>;

/// The longest wait between two attempts.
const RETRY_MAX_SECS: u64 = 3600;
/// After this long an intent's remaining steps are given up, with a warning.
pub(super) const ABANDON_AFTER_SECS: i64 = 7 * 24 * 3600;

/// The wait before attempt `attempts + 1`: `base` × 2^(attempts − 1), at most an hour.
pub(super) fn retry_wait(base: i64, attempts: u32) -> i64 {
    let first = Duration::from_secs(u64::try_from(base.max(1)).unwrap_or(u64::MAX));
    let wait = crate::clock::doubling(first, attempts, Duration::from_secs(RETRY_MAX_SECS));
    i64::try_from(wait.as_secs()).unwrap_or(i64::MAX)
}

/// What running an intent's steps did this time.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Progress {
    /// The torrent was deleted from qBittorrent.
    pub(super) removed: bool,
    /// The queue entry was removed with a blocklist.
    pub(super) blocklisted: bool,
    pub(super) searched: bool,
    pub(super) errors: u32,
    /// The search waits for the search budget until then (not a failure).
    pub(super) search_waits_until: Option<UnixTime>,
}

/// Runs intents' steps against qBittorrent and the Arr, recording each.
pub(super) struct IntentSteps<'a> {
    pub(super) instance: &'a str,
    pub(super) arr: &'a dyn ArrApi,
    pub(super) qbits: &'a [Arc<dyn Qbittorrent>],
    pub(super) records: &'a InstanceRecords,
    pub(super) now: UnixTime,
    /// The first retry waits this many seconds; each further one twice as long.
    pub(super) retry_base: i64,
    /// Where each step's outcome goes (the audit log, written at the end of the pass).
    pub(super) audit: &'a RefCell<Vec<AuditEntry>>,
    /// The Arr's search budget, shared with its search loop: a search waits for it.
    pub(super) search_budget: &'a SearchBudget,
    /// A dry run sends nothing, so it spends no budget.
    pub(super) dry_run: bool,
}

impl IntentSteps<'_> {
    /// Records `intent` for `hash`, then runs its steps; what is left stays in `intents`.
    /// When it cannot be recorded, nothing is started.
    pub(super) fn start(&self, hash: &str, intent: Intent, intents: &mut Intents) -> Progress {
        if let Err(e) = self.records.save_intent(hash, Some(&intent)) {
            warn!(
                "{}: {} of {}: could not be recorded, so it is not started: {e}",
                self.instance,
                intent.rule,
                label(hash, &intent)
            );
            return Progress {
                errors: 1,
                ..Progress::default()
            };
        }
        self.run(hash, intent, intents)
    }

    /// Runs the intents that are due (those run this pass are not). Returns what each did.
    pub(super) fn resume_due(&self, intents: &mut Intents) -> Vec<(String, Progress)> {
        let due: Vec<String> = intents
            .iter()
            .filter(|(_, i)| i.next_try_at <= self.now)
            .map(|(h, _)| h.clone())
            .collect();
        let mut out = Vec::new();
        for hash in due {
            let Some(mut intent) = intents.remove(&hash) else {
                continue;
            };
            if self.now - intent.started_at > ABANDON_AFTER_SECS {
                warn!(
                    "{}: {} of {}: given up after {} days and {} attempts; left undone: {}",
                    self.instance,
                    intent.rule,
                    label(&hash, &intent),
                    ABANDON_AFTER_SECS / 86_400,
                    intent.attempts,
                    left_undone(&intent)
                );
                self.record(
                    &hash,
                    &intent,
                    "give up",
                    format!("left undone: {}", left_undone(&intent)),
                );
                self.forget(&hash, &intent);
                continue;
            }
            if intent.delete.is_some() && !intent.deleted {
                // The delete failed (or its answer was lost): ask qBittorrent whether it is still there.
                let still_there = match self.qbits.iter().find(|q| q.name() == intent.qbit) {
                    Some(client) => client.has_torrent(&hash),
                    None => Ok(false),
                };
                match still_there {
                    Ok(true) => {
                        // This pass decided no removal (a removal would have run it): nothing was done,
                        // nothing is owed.
                        info!(
                            "{}: {} of {}: no longer decided, and nothing was done yet; dropped",
                            self.instance,
                            intent.rule,
                            label(&hash, &intent)
                        );
                        self.forget(&hash, &intent);
                        continue;
                    }
                    Ok(false) => {
                        info!(
                            "{}: {} of {}: gone from qBittorrent; doing what is left: {}",
                            self.instance,
                            intent.rule,
                            label(&hash, &intent),
                            left_undone(&intent)
                        );
                        intent.deleted = true;
                    }
                    Err(e) => {
                        let mut progress = Progress::default();
                        self.failed("lookup", &hash, &intent, &e, &mut progress);
                        self.reschedule(&hash, &mut intent);
                        intents.insert(hash.clone(), intent);
                        out.push((hash, progress));
                        continue;
                    }
                }
            }
            let progress = self.run(&hash, intent, intents);
            out.push((hash, progress));
        }
        out
    }

    fn forget(&self, hash: &str, intent: &Intent) {
        if let Err(e) = self.records.save_intent(hash, None) {
            warn!(
                "{}: could not forget the intent for {}: {e}",
                self.instance,
                label(hash, intent)
            );
        }
    }

    /// Runs what is left of `intent`; records it as finished, or reschedules it.
    fn run(&self, hash: &str, mut intent: Intent, intents: &mut Intents) -> Progress {
        let mut progress = Progress::default();
        self.advance(hash, &mut intent, &mut progress);
        if intent.is_done() {
            self.forget(hash, &intent);
            return progress;
        }
        if let Some(at) = progress.search_waits_until.filter(|_| progress.errors == 0) {
            // Not a failure: the search goes out when the budget allows, without a warning.
            intent.next_try_at = at;
            if let Err(e) = self.records.save_intent(hash, Some(&intent)) {
                warn!(
                    "{}: could not record the progress of {}: {e}",
                    self.instance,
                    label(hash, &intent)
                );
            }
        } else {
            self.reschedule(hash, &mut intent);
        }
        intents.insert(hash.to_string(), intent);
        progress
    }

    /// Counts a failed attempt, sets the next, and records both.
    fn reschedule(&self, hash: &str, intent: &mut Intent) {
        intent.attempts = intent.attempts.saturating_add(1);
        let wait = retry_wait(self.retry_base, intent.attempts);
        intent.next_try_at = self.now.saturating_add(wait);
        warn!(
            "{}: {} of {}: left undone: {}; attempt {} in {wait}s",
            self.instance,
            intent.rule,
            label(hash, intent),
            left_undone(intent),
            intent.attempts + 1
        );
        if let Err(e) = self.records.save_intent(hash, Some(intent)) {
            warn!(
                "{}: could not record the progress of {}: {e}",
                self.instance,
                label(hash, intent)
            );
        }
    }

    /// The steps left, in order, stopping at the first that fails.
    fn advance(&self, hash: &str, intent: &mut Intent, progress: &mut Progress) {
        if let Some(delete_files) = intent.delete.filter(|_| !intent.deleted) {
            let Some(client) = self.qbits.iter().find(|q| q.name() == intent.qbit) else {
                progress.errors += 1;
                warn!(
                    "{}: {}: no qBittorrent section named {:?} any more",
                    self.instance,
                    label(hash, intent),
                    intent.qbit
                );
                return;
            };
            let step = if delete_files {
                "delete with files"
            } else {
                "delete, keep files"
            };
            if let Err(e) = client.delete(&[hash], delete_files) {
                self.record(hash, intent, step, format!("failed: {e}"));
                self.failed("delete", hash, intent, &e, progress);
                return;
            }
            self.record(hash, intent, step, "ok".into());
            debug!(
                "{}: removed {} from {}{}",
                self.instance,
                label(hash, intent),
                intent.qbit,
                if delete_files {
                    " with its files"
                } else {
                    " (files kept)"
                }
            );
            intent.deleted = true;
            intent.attempts = 0;
            progress.removed = true;
            // The torrent is gone now: what follows must survive a crash.
            if let Err(e) = self.records.save_intent(hash, Some(intent)) {
                warn!(
                    "{}: could not record the removal of {}: {e}",
                    self.instance,
                    label(hash, intent)
                );
            }
        }
        if intent.queue != QueueStep::Keep && !intent.queue_done && !intent.queue_ids.is_empty() {
            let blocklist = intent.queue == QueueStep::Blocklist;
            let opts = QueueDeleteOptions {
                // We removed the torrent ourselves (and chose whether its files go).
                remove_from_client: false,
                blocklist,
                // The Arr would search by itself after a blocklist; we search only when ReSearch is on.
                skip_redownload: true,
            };
            for &id in &intent.queue_ids {
                match self.arr.delete_queue_item(id, opts) {
                    Ok(QueueDelete::Deleted) => debug!(
                        "{}: queue entry {id} of {} removed{}",
                        self.instance,
                        label(hash, intent),
                        if blocklist { " and blocklisted" } else { "" }
                    ),
                    // Imported or removed meanwhile: nothing left to do for it.
                    Ok(QueueDelete::NotFound) => debug!(
                        "{}: queue entry {id} of {} already gone",
                        self.instance,
                        label(hash, intent)
                    ),
                    Err(e) => {
                        let step = if blocklist {
                            "blocklist"
                        } else {
                            "remove from queue"
                        };
                        self.record(hash, intent, step, format!("failed: {e}"));
                        self.failed("queue delete", hash, intent, &e, progress);
                        return;
                    }
                }
            }
            let step = if blocklist {
                "blocklist"
            } else {
                "remove from queue"
            };
            self.record(hash, intent, step, "ok".into());
            intent.queue_done = true;
            intent.attempts = 0;
            progress.blocklisted = blocklist;
        }
        if intent.research && !intent.searched {
            let entry = QueueEntry {
                media_ids: intent.media_ids.clone(),
                ..QueueEntry::default()
            };
            let Some(cmd) = arr::search_command(self.arr.kind(), &entry) else {
                return; // no media ids: nothing to search (is_done says so too)
            };
            // The Arr's command list first: a search whose answer was lost is found there
            // and not sent again (indexers count every search); otherwise its newest id,
            // recorded before the send, is what the next attempt looks after.
            let seen = match self.arr.search_seen(&intent.media_ids, intent.search_after) {
                Ok(seen) => seen,
                Err(e) => {
                    self.record(hash, intent, "search", format!("failed: {e}"));
                    self.failed("search", hash, intent, &e, progress);
                    return;
                }
            };
            if seen.already_queued {
                self.record(
                    hash,
                    intent,
                    "search",
                    "ok (the Arr queued the last attempt, whose answer was lost)".into(),
                );
                info!(
                    "{}: the search for {} was queued by the Arr though its answer was lost; not sent again",
                    self.instance,
                    label(hash, intent)
                );
                intent.searched = true;
                intent.search_after = None;
                progress.searched = true;
                return;
            }
            if !self.dry_run {
                match self.search_budget.take(self.records, self.now) {
                    Ok(()) => {}
                    Err(NotNow::Until(UnixTime::MAX)) => {
                        // A budget of 0: no search at all, so none is owed.
                        self.record(hash, intent, "search", "skipped: the search budget is 0".into());
                        info!(
                            "{}: no search for {}: SearchesPerHour or SearchesPerDay is 0",
                            self.instance,
                            label(hash, intent)
                        );
                        intent.research = false;
                        return;
                    }
                    Err(NotNow::Until(at)) => {
                        info!(
                            "{}: the search for {} waits for the search budget (SearchesPerHour/\
                             SearchesPerDay) until {}",
                            self.instance,
                            label(hash, intent),
                            crate::clock::rfc3339(at)
                        );
                        progress.search_waits_until = Some(at);
                        return;
                    }
                    Err(NotNow::Store(e)) => return self.unrecorded(hash, intent, &e, progress),
                }
            }
            intent.search_after = Some(seen.newest_id);
            if let Err(e) = self.records.save_intent(hash, Some(intent)) {
                // Sent unrecorded, a lost answer would mean a second search after a restart.
                return self.unrecorded(hash, intent, &e, progress);
            }
            if let Err(e) = self.arr.command(&cmd) {
                if let Some(wait) = slow_down_wait(&e, intent.attempts + 1) {
                    let secs = i64::try_from(wait.as_secs()).unwrap_or(i64::MAX);
                    self.search_budget
                        .hold(self.records, self.now.saturating_add(secs));
                }
                self.record(hash, intent, "search", format!("failed: {e}"));
                self.failed("search", hash, intent, &e, progress);
                return;
            }
            self.record(hash, intent, "search", "ok".into());
            debug!(
                "{}: search sent for {}: {cmd}",
                self.instance,
                label(hash, intent)
            );
            intent.searched = true;
            intent.search_after = None;
            progress.searched = true;
        }
    }

    /// A search that could not be recorded first is not sent yet.
    fn unrecorded(&self, hash: &str, intent: &Intent, err: &StoreError, progress: &mut Progress) {
        warn!(
            "{}: the search for {} could not be recorded first, so it is not sent yet: {err}",
            self.instance,
            label(hash, intent)
        );
        progress.errors += 1;
    }

    /// One step's outcome for the audit log.
    fn record(&self, hash: &str, intent: &Intent, step: &str, outcome: String) {
        self.audit.borrow_mut().push(AuditEntry {
            time: self.now,
            instance: self.instance.to_string(),
            hash: hash.to_string(),
            name: intent.name.clone(),
            rule: intent.rule.clone(),
            detail: intent.detail.clone(),
            step: step.to_string(),
            outcome,
            dry_run: false,
        });
    }

    fn failed(&self, what: &str, hash: &str, intent: &Intent, err: &HttpError, progress: &mut Progress) {
        progress.errors += 1;
        warn!(
            "{}: {what} failed for {}: {err}",
            self.instance,
            label(hash, intent)
        );
    }
}

fn label(hash: &str, intent: &Intent) -> String {
    format!("{:?} ({})", intent.name, &hash[..hash.len().min(8)])
}

/// The steps not done yet, in words.
fn left_undone(intent: &Intent) -> String {
    let mut left = Vec::new();
    if intent.delete.is_some() && !intent.deleted {
        left.push("delete from qBittorrent");
    }
    if intent.queue != QueueStep::Keep && !intent.queue_done && !intent.queue_ids.is_empty() {
        left.push(if intent.queue == QueueStep::Blocklist {
            "blocklist in the Arr"
        } else {
            "remove from the Arr queue"
        });
    }
    if intent.research && !intent.searched && !intent.media_ids.is_empty() {
        left.push("search again");
    }
    if left.is_empty() {
        "nothing".into()
    } else {
        left.join(", ")
    }
}
