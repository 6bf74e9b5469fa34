//! Applies the decisions of one pass, in a fixed order: resume, pause, recheck,
//! category moves, file filters, imports (AutoDelete after a confirmed one), failures (qBittorrent delete first, then the Arr
//! queue entry with blocklist, then the search), blocklist-only, tags.
//!
//! Facts that depend on a call succeeding (an import was accepted, a search
//! was sent) are recorded in the plan's memory only after it succeeded, so a
//! failed call is simply retried next pass; imports and removals are written
//! to the store at once. Removals and blocklists run as durable intents
//! (`intents.rs`): recorded before their first step and finished on later
//! passes when a step fails. On shutdown the action in hand is finished and no
//! other starts. It talks to qBittorrent and the Arr only through
//! [`Qbittorrent`] and [`ArrApi`], so a dry run is just other clients.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use log::{debug, info, warn};

use crate::arr;
use crate::config::ImportMode;
use crate::decide::{Action, Decision, QueueStep};
use crate::file_filter::FileFilter;
use crate::http::HttpError;
use crate::model::{tags, AuditEntry, ImportState, Intent, Memory, QueueEntry, UnixTime};
use crate::qbit::Setting;
use crate::shutdown::Shutdown;
use crate::store::InstanceRecords;
use crate::upstream::{ArrApi, Qbittorrent};

use super::intents::{IntentSteps, Intents, Progress};
use super::leftovers::delete_leftovers;
use super::search::SearchBudget;

/// One torrent's decision, with where it lives.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Index of the qBittorrent instance holding the torrent.
    pub qbit: usize,
    pub hash: String,
    pub name: String,
    /// qBittorrent's save path and content path (AutoDelete works inside the latter).
    pub save_path: String,
    pub content_path: String,
    pub decision: Decision,
    /// Set when the torrent was removed from qBittorrent (its memory is then dropped).
    pub removed: bool,
    /// Set when what the actions did is already in the store (nothing left to write for it).
    pub recorded: bool,
}

impl Plan {
    pub(super) fn has(&self, pred: impl Fn(&Action) -> bool) -> bool {
        self.decision.actions.iter().any(pred)
    }
}

/// The Arr queue as the executor looks rows up: this pass's, then the rows held for
/// torrents the user moved to the failed category (the Arr drops a row about a minute
/// after its torrent leaves the Arr's category, and the removal still needs its ids).
pub(super) struct QueueView<'a> {
    pub current: &'a HashMap<String, QueueEntry>,
    pub held: &'a HashMap<String, QueueEntry>,
}

impl QueueView<'_> {
    fn get(&self, hash: &str) -> Option<&QueueEntry> {
        self.current.get(hash).or_else(|| self.held.get(hash))
    }
}

/// After a completed import command, how long the download may still wait in the queue
/// before the import counts as failed.
pub(super) const IMPORT_CONFIRM_SECS: i64 = 600;

/// The wait after failed import attempt `attempt`: 5 minutes, doubling, at most 6 hours.
pub(super) fn import_retry_wait(attempt: u32) -> i64 {
    let wait = crate::clock::doubling(Duration::from_secs(300), attempt, Duration::from_secs(6 * 3600));
    i64::try_from(wait.as_secs()).unwrap_or(i64::MAX)
}

enum ImportStep {
    Send(String),
    Find(String),
    Check(i64),
}

/// What a pass did, for the next sleep and the logs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Import commands sent.
    pub imports: u32,
    /// Imports the Arr was seen to complete.
    pub imports_confirmed: u32,
    pub searches: u32,
    pub blocklists: u32,
    pub removals: u32,
    pub errors: u32,
}

/// Applies plans for one Arr instance.
pub(super) struct Executor<'a> {
    pub instance: &'a str,
    pub arr: &'a dyn ArrApi,
    pub qbits: &'a [Arc<dyn Qbittorrent>],
    /// Where imports and removals are recorded as soon as they happened.
    pub records: &'a InstanceRecords,
    /// Set on shutdown: finish the action in hand, start no other.
    pub stop: &'a Shutdown,
    pub tagless: bool,
    pub import_mode: ImportMode,
    pub now: UnixTime,
    /// Seconds before the first retry of an unfinished removal (doubling after).
    pub retry_base: i64,
    /// What deleted something or changed an Arr, for the audit log (written after the pass).
    pub audit: &'a RefCell<Vec<AuditEntry>>,
    /// The instance's file filters (FilterFiles, AutoDelete).
    pub filter: &'a FileFilter,
    /// Torrent.AutoDelete.
    pub auto_delete: bool,
    /// A dry run: AutoDelete only says what it would delete.
    pub dry_run: bool,
    /// The Arr's search budget: a search after a removal waits for it.
    pub search_budget: &'a SearchBudget,
}

impl Executor<'_> {
    /// Applies every plan's actions in the fixed order.
    pub(super) fn apply(&self, plans: &mut [Plan], queue: &QueueView<'_>, intents: &mut Intents) -> Applied {
        let mut done = Applied::default();
        let now = self.now;
        self.batch(
            plans,
            &mut done,
            "resume",
            |a| *a == Action::Resume,
            |q, h| q.resume(h),
            |_| {},
        );
        self.batch(
            plans,
            &mut done,
            "pause",
            |a| *a == Action::Pause,
            |q, h| q.pause(h),
            |_| {},
        );
        self.batch(
            plans,
            &mut done,
            "recheck",
            |a| *a == Action::Recheck,
            |q, h| q.recheck(h),
            |m| m.rechecked_at = Some(now),
        );
        self.set_categories(plans, &mut done);
        for plan in plans.iter_mut() {
            if self.stop.is_set() {
                return done;
            }
            if plan.has(|a| *a == Action::FilterFiles) {
                self.filter_files(plan, &mut done);
            }
        }
        for plan in plans.iter_mut() {
            if self.stop.is_set() {
                return done;
            }
            let imports = |a: &Action| {
                matches!(
                    a,
                    Action::Import { .. } | Action::FindImport { .. } | Action::CheckImport { .. }
                )
            };
            if plan.has(imports) {
                // A check that finds the import still pending changes nothing: written
                // every pass, it would cost the disk a commit per pass for as long as
                // the Arr takes (up to IMPORT_CONFIRM_SECS).
                let before = plan.decision.memory.clone();
                self.import(plan, queue, &mut done);
                if plan.decision.memory != before {
                    self.record(plan);
                }
            }
        }
        for plan in plans.iter_mut() {
            if self.stop.is_set() {
                return done;
            }
            let remove = plan.decision.actions.iter().find_map(|a| match a {
                Action::Remove {
                    delete_files,
                    queue,
                    research,
                } => Some((*delete_files, *queue, *research)),
                _ => None,
            });
            if let Some((delete_files, step, research)) = remove {
                let entry = queue.get(&plan.hash);
                self.run_intent(
                    plan,
                    entry,
                    Some(delete_files),
                    step,
                    research,
                    intents,
                    &mut done,
                );
                self.record(plan);
            }
        }
        for plan in plans.iter_mut() {
            if self.stop.is_set() {
                return done;
            }
            let keep = plan.decision.actions.iter().find_map(|a| match a {
                Action::BlocklistKeep { research } => Some(*research),
                _ => None,
            });
            if let Some(research) = keep {
                if let Some(entry) = queue.get(&plan.hash) {
                    let step = QueueStep::Blocklist;
                    self.run_intent(plan, Some(entry), None, step, research, intents, &mut done);
                    self.record(plan);
                }
            }
        }
        self.tags(plans, &mut done);
        self.settings(plans, &mut done);
        self.edit_trackers(plans, &mut done);
        done
    }

    /// Writes what a plan's actions did to the store right away, so it is never redone.
    fn record(&self, plan: &mut Plan) {
        let memory = (!plan.removed).then(|| plan.decision.memory.clone());
        let saved = self.records.save(&[(plan.hash.clone(), memory)]);
        plan.recorded = saved.is_ok();
        if let Err(e) = saved {
            warn!(
                "{}: could not record what was done for {}: {e}",
                self.instance,
                Self::label(plan)
            );
        }
    }

    fn label(plan: &Plan) -> String {
        format!("{:?} ({})", plan.name, &plan.hash[..plan.hash.len().min(8)])
    }

    fn failed(&self, done: &mut Applied, what: &str, plan_label: &str, err: &HttpError) {
        done.errors += 1;
        warn!(
            "{}: {what} failed for {plan_label}: {err}; will retry next pass",
            self.instance
        );
    }

    /// Runs one batched qBittorrent call per instance for the plans whose action matches.
    fn batch(
        &self,
        plans: &mut [Plan],
        done: &mut Applied,
        what: &str,
        wants: impl Fn(&Action) -> bool,
        call: impl Fn(&dyn Qbittorrent, &[&str]) -> Result<(), HttpError>,
        effect: impl Fn(&mut Memory),
    ) {
        for (q, client) in self.qbits.iter().enumerate() {
            let idx: Vec<usize> = (0..plans.len())
                .filter(|&i| plans[i].qbit == q && !plans[i].removed && plans[i].has(&wants))
                .collect();
            if idx.is_empty() {
                continue;
            }
            let hashes: Vec<&str> = idx.iter().map(|&i| plans[i].hash.as_str()).collect();
            match call(client.as_ref(), &hashes) {
                Ok(()) => {
                    for &i in &idx {
                        effect(&mut plans[i].decision.memory);
                    }
                }
                Err(e) => self.failed(done, what, &format!("{} torrent(s)", idx.len()), &e),
            }
        }
    }

    fn set_categories(&self, plans: &mut [Plan], done: &mut Applied) {
        let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
        for (i, plan) in plans.iter().enumerate() {
            for a in &plan.decision.actions {
                if let Action::SetCategory(c) = a {
                    groups.entry((plan.qbit, c.clone())).or_default().push(i);
                }
            }
        }
        for ((q, category), idx) in groups {
            let hashes: Vec<&str> = idx.iter().map(|&i| plans[i].hash.as_str()).collect();
            if let Err(e) = self.qbits[q].set_category(&hashes, &category) {
                self.failed(done, "set category", &format!("{} torrent(s)", idx.len()), &e);
            }
        }
    }

    /// An import, as the decision asks: send it (recorded first), find one whose answer
    /// was lost, or follow one to completion.
    fn import(&self, plan: &mut Plan, queue: &QueueView<'_>, done: &mut Applied) {
        let step = plan.decision.actions.iter().find_map(|a| match a {
            Action::Import { path } => Some(ImportStep::Send(path.clone())),
            Action::FindImport { path } => Some(ImportStep::Find(path.clone())),
            Action::CheckImport { command } => Some(ImportStep::Check(*command)),
            _ => None,
        });
        match step {
            Some(ImportStep::Send(path)) => self.send_import(plan, &path, done),
            Some(ImportStep::Find(path)) => self.find_import(plan, &path, done),
            Some(ImportStep::Check(command)) => self.check_import(plan, command, queue, done),
            None => {}
        }
    }

    /// Records the import as being sent, then sends it. If the record cannot be written,
    /// nothing is sent; if the answer is lost, the record makes the next pass look for the
    /// command before sending it again.
    fn send_import(&self, plan: &mut Plan, path: &str, done: &mut Applied) {
        let attempt = match plan.decision.memory.import {
            ImportState::Failed { attempts, .. } => attempts.saturating_add(1),
            ImportState::Sending { attempt, .. } | ImportState::Sent { attempt, .. } => attempt,
            ImportState::None => 1,
        };
        let before = plan.decision.memory.import;
        plan.decision.memory.import = ImportState::Sending {
            since: self.now,
            attempt,
        };
        if let Err(e) = self
            .records
            .save(&[(plan.hash.clone(), Some(plan.decision.memory.clone()))])
        {
            plan.decision.memory.import = before;
            done.errors += 1;
            warn!(
                "{}: import of {} not sent: it could not be recorded first: {e}",
                self.instance,
                Self::label(plan)
            );
            return;
        }
        let cmd = arr::import_command(self.arr.kind(), path, &plan.hash, self.import_mode);
        let step = format!("import (attempt {attempt})");
        match self.arr.command(&cmd) {
            Ok(command) => {
                self.note_step(plan, &step, format!("ok: command {command}"));
                debug!(
                    "{}: import sent for {} as command {command}: {} {path:?}",
                    self.instance,
                    Self::label(plan),
                    self.arr.kind().scan_command()
                );
                done.imports += 1;
                plan.decision.memory.import = ImportState::Sent {
                    since: self.now,
                    command,
                    attempt,
                };
            }
            // It may have gone out: the next pass asks the Arr before sending it again.
            Err(e) => {
                self.note_step(plan, &step, format!("no answer: {e}"));
                self.failed(done, "import", &Self::label(plan), &e)
            }
        }
    }

    /// An import recorded as being sent whose answer never came: adopt the Arr's command
    /// for this download if it has one, else send it.
    fn find_import(&self, plan: &mut Plan, path: &str, done: &mut Applied) {
        let scan = self.arr.kind().scan_command();
        match self.arr.find_command(scan, &plan.hash) {
            Ok(Some(command)) => {
                info!(
                    "{}: the import of {} was sent before (command {command}); following it",
                    self.instance,
                    Self::label(plan)
                );
                let (since, attempt) = match plan.decision.memory.import {
                    ImportState::Sending { since, attempt } => (since, attempt),
                    _ => (self.now, 1),
                };
                plan.decision.memory.import = ImportState::Sent {
                    since,
                    command,
                    attempt,
                };
            }
            Ok(None) => self.send_import(plan, path, done),
            Err(e) => self.failed(done, "import lookup", &Self::label(plan), &e),
        }
    }

    /// Follows an import command: imported once it completed and the download left the
    /// queue (or the queue says imported); failed when the command failed, or the queue
    /// shows the import blocked or failed, or it still waits there long after.
    fn check_import(&self, plan: &mut Plan, command: i64, queue: &QueueView<'_>, done: &mut Applied) {
        let (since, attempt) = match plan.decision.memory.import {
            ImportState::Sent { since, attempt, .. } => (since, attempt),
            _ => (self.now, 1),
        };
        let state = match self.arr.command_state(command) {
            Ok(state) => state,
            Err(e) => {
                self.failed(done, "import check", &Self::label(plan), &e);
                return;
            }
        };
        if let Some(state) = &state {
            if state.is_pending() {
                return;
            }
            if state.is_failed() {
                let why = format!(
                    "command {command} {}: {}",
                    state.status,
                    state.message.as_deref().unwrap_or("no message")
                );
                self.import_failed(plan, attempt, &why, done);
                return;
            }
        }
        // Completed (or too old for the Arr to remember): the queue tells whether it imported.
        match queue.get(&plan.hash) {
            None => self.imported(plan, done),
            Some(entry) if entry.tracked_state.eq_ignore_ascii_case("imported") => self.imported(plan, done),
            Some(entry)
                if ["importBlocked", "failedPending", "failed"]
                    .iter()
                    .any(|s| entry.tracked_state.eq_ignore_ascii_case(s)) =>
            {
                let why = format!(
                    "the Arr shows it {}: {}",
                    entry.tracked_state,
                    if entry.messages.is_empty() {
                        "no message"
                    } else {
                        &entry.messages
                    }
                );
                self.import_failed(plan, attempt, &why, done);
            }
            // The Arr updates its queue about once a minute after an import.
            Some(entry) if self.now - since > IMPORT_CONFIRM_SECS => {
                let why = format!(
                    "command {command} completed {}s ago but the download is still {} in the queue{}",
                    self.now - since,
                    entry.tracked_state,
                    if entry.messages.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", entry.messages)
                    }
                );
                self.import_failed(plan, attempt, &why, done);
            }
            Some(_) => {}
        }
    }

    /// Reads a torrent's files once and sets those the filters exclude to priority 0; then
    /// remembers the check, and whether every file was excluded (the torrent is then failed
    /// by a later decision). Nothing is remembered when a call fails: the next pass tries
    /// again.
    fn filter_files(&self, plan: &mut Plan, done: &mut Applied) {
        let client = &self.qbits[plan.qbit];
        let files = match client.files(&plan.hash) {
            Ok(files) => files,
            Err(e) => return self.failed(done, "read the files", &Self::label(plan), &e),
        };
        if files.is_empty() {
            // The decision asks only once the metadata is in (a size, not metaDL): no files
            // then is qBittorrent's odd answer, not a reason to ask every pass.
            debug!(
                "{}: {} lists no files: nothing to filter",
                self.instance,
                Self::label(plan)
            );
            plan.decision.memory.files_checked_at = Some(self.now);
            return;
        }
        let checked = self.filter.plan(&files);
        let to_skip = checked.to_skip();
        if !to_skip.is_empty() {
            if let Err(e) = client.skip_files(&plan.hash, &to_skip) {
                return self.failed(done, "skip files", &Self::label(plan), &e);
            }
        }
        let memory = &mut plan.decision.memory;
        memory.files_checked_at = Some(self.now);
        if checked.excluded.is_empty() {
            debug!(
                "{}: {}: all {} file(s) pass the file filters",
                self.instance,
                Self::label(plan),
                checked.total
            );
            return;
        }
        let shown: Vec<String> = checked
            .excluded
            .iter()
            .take(5)
            .map(|(file, why)| format!("{:?} ({why})", file.name))
            .collect();
        let more = checked.excluded.len().saturating_sub(shown.len());
        let list = if more > 0 {
            format!("{}, and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        };
        if checked.all_excluded() {
            memory.all_files_excluded_at = Some(self.now);
            warn!(
                "{}: every file of {} is excluded by the file filters ({list}); it will be removed, \
                 blocklisted and searched again",
                self.instance,
                Self::label(plan)
            );
        } else {
            info!(
                "{}: {}: {} of {} file(s) set to \"do not download\" by the file filters: {list}",
                self.instance,
                Self::label(plan),
                checked.excluded.len(),
                checked.total
            );
        }
    }

    /// AutoDelete after a confirmed import: the files the filters excluded go from the disk
    /// (see `leftovers`). A failure is logged; the import stands.
    fn delete_leftovers(&self, plan: &Plan) {
        let files = match self.qbits[plan.qbit].files(&plan.hash) {
            Ok(files) => files,
            Err(e) => {
                warn!(
                    "{}: AutoDelete: could not read the files of {}: {e}",
                    self.instance,
                    Self::label(plan)
                );
                return;
            }
        };
        let names = self.filter.leftovers(&files);
        if names.is_empty() {
            return;
        }
        if self.dry_run {
            info!(
                "[dry-run] {}: AutoDelete would delete {} excluded file(s) of {} under {:?}",
                self.instance,
                names.len(),
                Self::label(plan),
                plan.content_path
            );
            return;
        }
        let save = std::path::Path::new(&plan.save_path);
        match delete_leftovers(save, std::path::Path::new(&plan.content_path), &names) {
            Ok(cleaned) => {
                for (path, why) in &cleaned.kept {
                    warn!(
                        "{}: AutoDelete left {} of {}: {why}",
                        self.instance,
                        path.display(),
                        Self::label(plan)
                    );
                }
                if !cleaned.files.is_empty() {
                    let outcome = format!(
                        "{} file(s), {} emptied folder(s)",
                        cleaned.files.len(),
                        cleaned.folders.len()
                    );
                    info!(
                        "{}: AutoDelete removed {outcome} of {}",
                        self.instance,
                        Self::label(plan)
                    );
                    self.note_step(plan, "delete excluded files", outcome);
                }
            }
            Err(e) => warn!("{}: AutoDelete for {}: {e}", self.instance, Self::label(plan)),
        }
    }

    fn imported(&self, plan: &mut Plan, done: &mut Applied) {
        let memory = &mut plan.decision.memory;
        memory.import = ImportState::None;
        memory.imported_at = Some(self.now);
        done.imports_confirmed += 1;
        info!("{}: {} imported", self.instance, Self::label(plan));
        self.note_step(plan, "imported", "ok".into());
        if self.auto_delete {
            self.delete_leftovers(plan);
        }
        if self.tagless {
            plan.decision.memory.tags.insert(tags::IMPORTED.to_string());
        } else if let Err(e) = self.qbits[plan.qbit].add_tags(&[&plan.hash], &[tags::IMPORTED]) {
            // The tag-imported rule tries again next pass.
            warn!(
                "{}: could not tag {} as imported: {e}",
                self.instance,
                Self::label(plan)
            );
        }
    }

    fn import_failed(&self, plan: &mut Plan, attempt: u32, why: &str, done: &mut Applied) {
        let wait = import_retry_wait(attempt);
        plan.decision.memory.import = ImportState::Failed {
            attempts: attempt,
            retry_at: self.now.saturating_add(wait),
        };
        done.errors += 1;
        self.note_step(plan, "import", format!("failed: {why}"));
        warn!(
            "{}: the import of {} failed (attempt {attempt}): {why}; next try in {wait}s",
            self.instance,
            Self::label(plan)
        );
    }

    /// The steps that run removals and blocklists as durable intents.
    pub(super) fn intent_steps(&self) -> IntentSteps<'_> {
        IntentSteps {
            instance: self.instance,
            arr: self.arr,
            qbits: self.qbits,
            records: self.records,
            now: self.now,
            retry_base: self.retry_base,
            audit: self.audit,
            search_budget: self.search_budget,
            dry_run: self.dry_run,
        }
    }

    /// The failure path as an intent: qBittorrent first (when `delete` is set), then the
    /// Arr queue entry, then the search. An unfinished intent for the torrent is taken over.
    #[allow(clippy::too_many_arguments)]
    fn run_intent(
        &self,
        plan: &mut Plan,
        entry: Option<&QueueEntry>,
        delete: Option<bool>,
        step: QueueStep,
        research: bool,
        intents: &mut Intents,
        done: &mut Applied,
    ) {
        let intent = match intents.remove(&plan.hash) {
            Some(mut pending) => {
                pending.merge(delete, step, research);
                if pending.queue_ids.is_empty() {
                    if let Some(e) = entry {
                        pending.queue_ids = e.ids.clone();
                        pending.media_ids = e.media_ids.clone();
                    }
                }
                pending
            }
            None => Intent {
                name: plan.name.clone(),
                rule: plan.decision.rule.name().to_string(),
                detail: plan.decision.detail.clone(),
                qbit: self.qbits[plan.qbit].name().to_string(),
                delete,
                queue: step,
                research,
                queue_ids: entry.map(|e| e.ids.clone()).unwrap_or_default(),
                media_ids: entry.map(|e| e.media_ids.clone()).unwrap_or_default(),
                deleted: false,
                queue_done: false,
                searched: false,
                search_after: None,
                started_at: self.now,
                attempts: 0,
                next_try_at: self.now,
            },
        };
        if entry.is_none() && step != QueueStep::Keep {
            debug!(
                "{}: {} is not in the Arr queue; nothing to blocklist or search",
                self.instance,
                Self::label(plan)
            );
        }
        let progress = self.intent_steps().start(&plan.hash, intent, intents);
        self.count(&progress, done);
        plan.removed |= progress.removed;
        if progress.blocklisted {
            plan.decision.memory.blocklisted_at = Some(self.now);
        }
        if progress.searched {
            plan.decision.memory.searched_at = Some(self.now);
        }
    }

    /// One step's outcome for the audit log.
    fn note_step(&self, plan: &Plan, step: &str, outcome: String) {
        self.audit.borrow_mut().push(AuditEntry {
            time: self.now,
            instance: self.instance.to_string(),
            hash: plan.hash.clone(),
            name: plan.name.clone(),
            rule: plan.decision.rule.name().to_string(),
            detail: plan.decision.detail.clone(),
            step: step.to_string(),
            outcome,
            dry_run: false,
        });
    }

    /// Adds what an intent's steps did to the pass's tally.
    pub(super) fn count(&self, progress: &Progress, done: &mut Applied) {
        done.removals += u32::from(progress.removed);
        done.blocklists += u32::from(progress.blocklisted);
        done.searches += u32::from(progress.searched);
        done.errors += progress.errors;
    }

    /// Rate limits and super-seeding: one call per qBittorrent and value.
    fn settings(&self, plans: &mut [Plan], done: &mut Applied) {
        let mut groups: BTreeMap<(usize, Setting), Vec<usize>> = BTreeMap::new();
        for (i, plan) in plans.iter().enumerate() {
            if plan.removed {
                continue;
            }
            for a in &plan.decision.actions {
                if let Action::Set(setting) = a {
                    groups.entry((plan.qbit, *setting)).or_default().push(i);
                }
            }
        }
        for ((q, setting), idx) in groups {
            if self.stop.is_set() {
                return;
            }
            let hashes: Vec<&str> = idx.iter().map(|&i| plans[i].hash.as_str()).collect();
            if let Err(e) = self.qbits[q].set(&hashes, setting) {
                self.failed(done, "set", &setting.to_string(), &e);
            }
        }
    }

    /// Trackers added and removed, one torrent at a time (qBittorrent takes one hash).
    fn edit_trackers(&self, plans: &mut [Plan], done: &mut Applied) {
        for plan in plans.iter().filter(|p| !p.removed) {
            for a in &plan.decision.actions {
                let Action::EditTrackers(edit) = a else { continue };
                if self.stop.is_set() {
                    return;
                }
                match self.qbits[plan.qbit].edit_trackers(&plan.hash, edit) {
                    Ok(()) if self.dry_run => {}
                    Ok(()) => {
                        info!("{}: {}: trackers edited: {}", self.instance, plan.name, edit.why);
                        self.note_step(plan, "edit trackers", edit.why.clone());
                    }
                    Err(e) => self.failed(done, "edit trackers", &plan.hash, &e),
                }
            }
        }
    }

    fn tags(&self, plans: &mut [Plan], done: &mut Applied) {
        let mut groups: BTreeMap<(usize, bool, &str), Vec<usize>> = BTreeMap::new();
        for (i, plan) in plans.iter().enumerate() {
            if plan.removed {
                continue;
            }
            for a in &plan.decision.actions {
                let (add, tag) = match a {
                    Action::AddTag(t) => (true, *t),
                    Action::RemoveTag(t) => (false, *t),
                    Action::TagWith(t) => (true, t.as_str()),
                    Action::Untag(t) => (false, t.as_str()),
                    _ => continue,
                };
                groups.entry((plan.qbit, add, tag)).or_default().push(i);
            }
        }
        for ((q, add, tag), idx) in groups {
            let hashes: Vec<&str> = idx.iter().map(|&i| plans[i].hash.as_str()).collect();
            let result = if add {
                self.qbits[q].add_tags(&hashes, &[tag])
            } else {
                self.qbits[q].remove_tags(&hashes, &[tag])
            };
            if let Err(e) = result {
                self.failed(done, if add { "add tag" } else { "remove tag" }, tag, &e);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
