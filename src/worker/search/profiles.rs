//! The search loop's temp-profile pass (`UseTempForMissing`; `search::profiles` decides). Every
//! [`PASS_EVERY`], and at start, it reads the Arr's quality profiles and then its movies,
//! series, artists or authors as they arrive, and sends the profile changes the rules ask for
//! (at most [`STEPS_PER_PASS`]): one `PUT …/editor` per change (from, to, why) and
//! [`IDS_PER_PUT`] items, tried again `ProfileSwitchRetryAttempts` times, and one audit entry
//! each. What it will have to undo is in the store before a change goes out; a record is
//! forgotten after the change that undoes it went through, or when the item is gone from a
//! listing read whole (and not empty). A dry run keeps its records in memory and sends nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use log::{debug, info, warn};

use super::{RoundError, SearchLoop};
use crate::clock::UnixTime;
use crate::config::TempProfiles;
use crate::http::HttpError;
use crate::model::AuditEntry;
use crate::search::profiles::{self, Change, Mapping, ProfiledItem, Rules, Step, Switched, Why};
use crate::shutdown::Shutdown;
use crate::status::{SearchState, TempProfileCounts};

/// How often the pass runs: an imported item goes back to its main profile within this.
pub(crate) const PASS_EVERY: Duration = Duration::from_secs(15 * 60);
/// Items per `PUT …/editor`.
const IDS_PER_PUT: usize = 100;
/// Items changed (or forgotten) per pass; the rest wait for the next, so that a first pass over
/// a large library holds few in memory and asks little of the Arr at once. The searches go
/// slower than this anyway (a round is 20 searches).
const STEPS_PER_PASS: usize = 500;
/// The first wait before a failed change is tried again; it doubles.
const RETRY_FIRST: Duration = Duration::from_secs(2);

/// The pass's own state, kept by the search loop.
pub(super) struct TempPass {
    cfg: TempProfiles,
    /// Unmonitored: unmonitored items are switched too.
    unmonitored: bool,
    /// ForceResetTempProfiles, until a pass went through.
    force_reset: bool,
    /// When the pass runs next.
    next_at: UnixTime,
    /// Mapping problems said (each once).
    said: HashSet<String>,
    /// In a dry run, the records (nothing is written to the store), and the changes said.
    dry_records: Option<HashMap<i64, Switched>>,
    dry_said: HashSet<(i64, i64)>,
    counts: TempProfileCounts,
    /// The last pass failed (said once, until one works).
    failing: bool,
    /// The first wait before a failed change is tried again.
    retry_first: Duration,
}

impl TempPass {
    pub(super) fn new(cfg: &TempProfiles, unmonitored: bool, dry_run: bool) -> Self {
        Self {
            cfg: cfg.clone(),
            unmonitored,
            force_reset: cfg.force_reset,
            next_at: 0,
            said: HashSet::new(),
            dry_records: dry_run.then(HashMap::new),
            dry_said: HashSet::new(),
            counts: TempProfileCounts::default(),
            failing: false,
            retry_first: RETRY_FIRST,
        }
    }

    /// Failed changes are tried again at once (tests).
    #[cfg(test)]
    pub(super) fn retry_at_once(&mut self) {
        self.retry_first = Duration::ZERO;
    }

    #[cfg(test)]
    pub(super) fn counts(&self) -> TempProfileCounts {
        self.counts
    }

    /// How long until the pass is due (`None` when it never has anything to do: off, and
    /// nothing of ours to undo, as the last pass found).
    pub(super) fn due_in(&self, now: UnixTime) -> Option<Duration> {
        let idle = !self.cfg.on && !self.force_reset && self.counts.on_temp == 0 && self.next_at > 0;
        (!idle).then(|| Duration::from_secs(u64::try_from(self.next_at.saturating_sub(now)).unwrap_or(0)))
    }
}

/// One item's change, as sent.
struct Sent {
    item: ProfiledItem,
    step: Step,
}

impl SearchLoop {
    /// Runs the temp-profile pass if it is due. A failed pass is said once and tried again
    /// after [`PASS_EVERY`]; it does not hold the searches up.
    pub(super) fn temp_profiles(&mut self, stop: &Shutdown) {
        let now = self.now();
        if now < self.temp.next_at {
            return;
        }
        match self.temp_pass(now, stop) {
            Ok(()) => {
                if std::mem::replace(&mut self.temp.failing, false) {
                    info!("{}: temp quality profiles are handled again", self.name);
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut self.temp.failing, true) {
                    warn!(
                        "{}: temp quality profiles: {e}; tried again in {} min (nothing is lost)",
                        self.name,
                        PASS_EVERY.as_secs() / 60
                    );
                } else {
                    debug!("{}: temp quality profiles still fail: {e}", self.name);
                }
                self.temp.next_at = self.now().saturating_add(secs(PASS_EVERY));
            }
        }
    }

    fn temp_pass(&mut self, now: UnixTime, stop: &Shutdown) -> Result<(), RoundError> {
        let mut records = self.temp_records()?;
        if !self.temp.cfg.on && !self.temp.force_reset && records.is_empty() {
            self.temp.next_at = now.saturating_add(secs(PASS_EVERY));
            self.temp.counts.on_temp = 0;
            return Ok(());
        }
        let profiles = self.arr.quality_profiles().map_err(RoundError::Arr)?;
        let (mapping, problems) = Mapping::resolve(&self.temp.cfg.mappings, &profiles);
        self.say_problems(problems, &mapping);
        let rules = Rules {
            on: self.temp.cfg.on,
            keep: self.temp.cfg.keep,
            timeout: self.temp.cfg.timeout.map(secs),
            unmonitored: self.temp.unmonitored,
            force_reset: self.temp.force_reset,
        };
        let mut steps: Vec<Sent> = Vec::new();
        let (mut deferred, mut listed) = (0u64, 0u64);
        self.arr
            .profiled_items(&mut |item| {
                listed += 1;
                let record = records.remove(&item.id);
                let step = profiles::step(&item, record.as_ref(), &mapping, &rules, now);
                match (step.is_nothing(), steps.len() < STEPS_PER_PASS) {
                    (true, _) => {}
                    (false, true) => steps.push(Sent { item, step }),
                    (false, false) => deferred += 1,
                }
            })
            .map_err(RoundError::Arr)?;
        if deferred > 0 {
            info!(
                "{}: temp quality profiles: {deferred} more items change at the next passes ({STEPS_PER_PASS} per pass)",
                self.name
            );
        }
        // Read whole: what is left is gone from the Arr. An empty listing is not trusted with
        // that (an Arr answering `[]` for a moment must not make us forget what to send back).
        let gone: Vec<i64> = if listed > 0 {
            records.into_keys().collect()
        } else {
            Vec::new()
        };
        let names: HashMap<i64, String> = profiles.into_iter().collect();
        self.send_steps(steps, gone, &names, stop)?;
        // ForceResetTempProfiles is done once every item it concerns was seen to.
        if deferred == 0 {
            self.temp.force_reset = false;
        }
        self.temp.next_at = self.now().saturating_add(secs(PASS_EVERY));
        let on_temp = self.temp_records()?.values().filter(|r| !r.timed_out).count() as u64;
        self.temp.counts.on_temp = on_temp;
        let counts = self.temp.counts;
        self.board.update(&self.name, |w| {
            w.search.get_or_insert_with(SearchState::default).temp_profiles = Some(counts);
        });
        Ok(())
    }

    /// What the store (or, in a dry run, memory) remembers of the items we switched; a record
    /// that cannot be read is dropped (its item is left as it is).
    fn temp_records(&self) -> Result<HashMap<i64, Switched>, RoundError> {
        if let Some(dry) = &self.temp.dry_records {
            return Ok(dry.clone());
        }
        let stored = self.records.temp_profiles().map_err(RoundError::Store)?;
        Ok(stored
            .into_iter()
            .filter_map(|(id, bytes)| match Switched::decode(&bytes) {
                Some(r) => Some((id, r)),
                None => {
                    debug!(
                        "{}: an unreadable temp-profile record of item {id} is ignored",
                        self.name
                    );
                    None
                }
            })
            .collect())
    }

    /// Remembers and forgets, in one transaction.
    fn save_temp_records(&mut self, changes: Vec<(i64, Option<Switched>)>) -> Result<(), RoundError> {
        if changes.is_empty() {
            return Ok(());
        }
        if let Some(dry) = &mut self.temp.dry_records {
            for (id, record) in changes {
                match record {
                    Some(r) => dry.insert(id, r),
                    None => dry.remove(&id),
                };
            }
            return Ok(());
        }
        let bytes = changes
            .into_iter()
            .map(|(id, r)| (id, r.map(|r| r.encode())))
            .collect();
        self.records.save_temp_profiles(bytes).map_err(RoundError::Store)
    }

    fn say_problems(&mut self, problems: Vec<String>, mapping: &Mapping) {
        let name = &self.name;
        let on = self.temp.cfg.on;
        let mut lines = problems;
        if on && mapping.is_empty() && lines.is_empty() {
            lines.push("it maps no profile, so UseTempForMissing switches nothing".into());
        }
        for p in lines {
            if self.temp.said.insert(p.clone()) {
                warn!("{name}: QualityProfileMappings: {p}");
            }
        }
    }

    /// Remembers what must be remembered first, sends the changes, then forgets what they
    /// undid (and the items gone from the Arr).
    fn send_steps(
        &mut self,
        steps: Vec<Sent>,
        gone: Vec<i64>,
        names: &HashMap<i64, String>,
        stop: &Shutdown,
    ) -> Result<(), RoundError> {
        let first: Vec<(i64, Option<Switched>)> = steps
            .iter()
            .filter_map(|s| match s.step.record {
                Some(Some(r)) => Some((s.item.id, Some(r))),
                _ => None,
            })
            .chain(gone.into_iter().map(|id| (id, None)))
            .collect();
        self.save_temp_records(first)?;
        let mut forget: Vec<(i64, Option<Switched>)> = Vec::new();
        let mut by_change: BTreeMap<Change, Vec<Sent>> = BTreeMap::new();
        for s in steps {
            match s.step.change {
                Some(change) => by_change.entry(change).or_default().push(s),
                None if s.step.record == Some(None) => forget.push((s.item.id, None)),
                None => {}
            }
        }
        let mut failed = None;
        let mut audit = Vec::new();
        'changes: for (change, sent) in by_change {
            for chunk in sent.chunks(IDS_PER_PUT) {
                let ids: Vec<i64> = chunk.iter().map(|s| s.item.id).collect();
                let result = self.put_profile(&ids, change.to, stop);
                let mut said: Vec<&ProfiledItem> = Vec::new();
                if result.is_ok() {
                    for s in chunk {
                        if self.said_changed(&s.item, change, names) {
                            said.push(&s.item);
                        }
                        if s.step.record == Some(None) {
                            forget.push((s.item.id, None));
                        }
                    }
                } else {
                    said.extend(chunk.iter().map(|s| &s.item));
                }
                audit.extend(self.audit_entry(&said, change, names, &result));
                if let Err(e) = result {
                    failed = Some(e);
                    break 'changes;
                }
            }
        }
        self.save_temp_records(forget)?;
        // One write for the pass's entries: a first pass may change hundreds of items.
        if let Err(e) = self.records.append_audit(audit) {
            debug!("{}: the audit log could not be written: {e}", self.name);
        }
        failed.map_or(Ok(()), |e| Err(RoundError::Arr(e)))
    }

    /// `set_profile`, tried again `ProfileSwitchRetryAttempts` times (a refused API key is not).
    fn put_profile(&self, ids: &[i64], to: i64, stop: &Shutdown) -> Result<(), HttpError> {
        let mut attempt = 0;
        loop {
            match self.arr.set_profile(ids, to) {
                Ok(()) => return Ok(()),
                Err(e) if attempt < self.temp.cfg.retries && !matches!(e, HttpError::Auth { .. }) => {
                    attempt += 1;
                    debug!(
                        "{}: a profile change failed, tried again ({attempt} of {}): {e}",
                        self.name, self.temp.cfg.retries
                    );
                    let wait =
                        crate::clock::doubling(self.temp.retry_first, attempt, Duration::from_secs(60));
                    if stop.wait_timeout(wait) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Logs and counts one item's change, which went through; false when it was said before
    /// (a dry run says each once).
    fn said_changed(&mut self, item: &ProfiledItem, change: Change, names: &HashMap<i64, String>) -> bool {
        let dry = self.temp.dry_records.is_some();
        if dry && !self.temp.dry_said.insert((item.id, change.to)) {
            return false;
        }
        let verb = match (dry, change.why) {
            (true, Why::Missing) => "would switch",
            (true, _) => "would switch back",
            (false, Why::Missing) => "switched",
            (false, _) => "switched back",
        };
        info!(
            "{}: {verb} \"{}\" from quality profile \"{}\" to \"{}\" ({})",
            self.name,
            item.title,
            profile_name(names, change.from),
            profile_name(names, change.to),
            change.why.words()
        );
        if !dry {
            match change.why {
                Why::Missing => self.temp.counts.switched += 1,
                _ => self.temp.counts.restored += 1,
            }
        }
        true
    }

    /// The audit entry of one `PUT …/editor`: the change, and the items it was for (none when
    /// a dry run said them all before).
    fn audit_entry(
        &self,
        items: &[&ProfiledItem],
        change: Change,
        names: &HashMap<i64, String>,
        result: &Result<(), HttpError>,
    ) -> Option<AuditEntry> {
        if items.is_empty() {
            return None;
        }
        let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
        let name = match titles.as_slice() {
            [one] => one.to_string(),
            _ => format!("{} items", titles.len()),
        };
        const LISTED: usize = 5;
        let mut listed = titles
            .iter()
            .take(LISTED)
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        if titles.len() > LISTED {
            listed.push_str(&format!(" and {} more", titles.len() - LISTED));
        }
        Some(AuditEntry {
            time: self.now(),
            instance: self.name.clone(),
            hash: String::new(),
            name,
            rule: "temp-profile".into(),
            detail: format!(
                "{} -> {} ({}): {listed}",
                profile_name(names, change.from),
                profile_name(names, change.to),
                change.why.words()
            ),
            step: "profile".into(),
            outcome: match result {
                Ok(()) => "ok".into(),
                Err(e) => format!("failed: {e}"),
            },
            dry_run: self.temp.dry_records.is_some(),
        })
    }
}

fn profile_name(names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("profile {id}"))
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
