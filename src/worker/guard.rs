//! Brakes on mass removal, above the per-torrent rules: a cap on removals per
//! pass and per hour (`MaxRemovalsPerPass`, `MaxRemovalsPerHour`, ours), and
//! the storm guard — when a large share of the category turns missingFiles or
//! errored at once (a disk or mount missing when qBittorrent started, most
//! likely), none of those torrents is acted on until it clears or the user
//! acknowledges it. Pure but for the budget's memory of recent removals.

use std::collections::VecDeque;

use crate::decide::{Action, Rule};
use crate::model::UnixTime;

use super::executor::Plan;

/// A storm needs at least this many broken torrents…
pub(crate) const STORM_MIN_TORRENTS: u64 = 5;
/// …and at least this share (percent) of the category's torrents.
pub(crate) const STORM_MIN_PERCENT: u64 = 25;

/// Whether `broken` of `listed` torrents in missingFiles or error is a storm.
pub(super) fn is_storm(listed: u64, broken: u64) -> bool {
    broken >= STORM_MIN_TORRENTS && broken.saturating_mul(100) >= listed.saturating_mul(STORM_MIN_PERCENT)
}

/// The rules a storm holds back: what missingFiles and errored torrents would get.
fn held_back_by_storm(rule: Rule) -> bool {
    matches!(rule, Rule::MissingFiles | Rule::ErrorRecheck)
}

/// During a storm: drops the actions of every plan a storm holds back; how many.
pub(super) fn hold_back_storm(plans: &mut [Plan]) -> usize {
    let mut held = 0;
    for plan in plans.iter_mut().filter(|p| held_back_by_storm(p.decision.rule)) {
        if !plan.decision.actions.is_empty() {
            plan.decision.actions.clear();
            held += 1;
        }
    }
    held
}

/// Keeps the removals of the first `allowance` plans that have one and drops the
/// rest (they are decided again next pass); how many were dropped.
pub(super) fn defer_removals(plans: &mut [Plan], allowance: u32) -> u32 {
    let mut left = allowance;
    let mut deferred = 0;
    for plan in plans.iter_mut() {
        let removes = plan
            .decision
            .actions
            .iter()
            .any(|a| matches!(a, Action::Remove { .. }));
        if !removes {
            continue;
        }
        if left > 0 {
            left -= 1;
        } else {
            plan.decision
                .actions
                .retain(|a| !matches!(a, Action::Remove { .. }));
            deferred += 1;
        }
    }
    deferred
}

/// The removals of the last hour, to keep within `MaxRemovalsPerHour`.
#[derive(Debug, Default)]
pub(super) struct RemovalBudget {
    recent: VecDeque<UnixTime>,
}

impl RemovalBudget {
    /// How many removals this pass may start at `now`.
    pub(super) fn allowance(&mut self, per_pass: u32, per_hour: u32, now: UnixTime) -> u32 {
        while self.recent.front().is_some_and(|&t| now - t >= 3600) {
            self.recent.pop_front();
        }
        let used = u32::try_from(self.recent.len()).unwrap_or(u32::MAX);
        per_pass.min(per_hour.saturating_sub(used))
    }

    /// Records `n` removals started at `now`.
    pub(super) fn spend(&mut self, n: u32, now: UnixTime) {
        self.recent.extend(std::iter::repeat_n(now, n as usize));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Decision;
    use crate::model::{Memory, QueueStep};

    fn plan(i: usize, rule: Rule, actions: Vec<Action>) -> Plan {
        Plan {
            qbit: 0,
            hash: format!("{i:040x}"),
            name: format!("T{i}"),
            save_path: String::new(),
            content_path: String::new(),
            decision: Decision {
                rule,
                detail: String::new(),
                actions,
                memory: Memory::default(),
            },
            removed: false,
            recorded: false,
        }
    }

    fn remove() -> Action {
        Action::Remove {
            delete_files: true,
            queue: QueueStep::Blocklist,
            research: true,
        }
    }

    #[test]
    fn a_storm_is_many_and_a_large_share() {
        for (listed, broken, storm) in [
            (0, 0, false),
            (10, 4, false),
            (10, 5, true),
            (100, 24, false),
            (100, 25, true),
            (1000, 249, false),
            (1000, 1000, true),
            (4, 4, false),
            (u64::MAX, u64::MAX, true),
        ] {
            assert_eq!(is_storm(listed, broken), storm, "{broken} of {listed}");
        }
    }

    #[test]
    fn a_storm_holds_back_only_missing_files_and_error_plans() {
        let mut plans = vec![
            plan(1, Rule::MissingFiles, vec![remove()]),
            plan(2, Rule::ErrorRecheck, vec![Action::Recheck]),
            plan(3, Rule::SeedingLimit, vec![remove()]),
            plan(4, Rule::Import, vec![Action::Import { path: "/x".into() }]),
        ];
        assert_eq!(hold_back_storm(&mut plans), 2);
        assert!(plans[0].decision.actions.is_empty() && plans[1].decision.actions.is_empty());
        assert_eq!(plans[2].decision.actions.len(), 1);
        assert_eq!(plans[3].decision.actions.len(), 1);
    }

    #[test]
    fn removals_past_the_allowance_are_deferred_other_actions_kept() {
        let mut plans = vec![
            plan(1, Rule::StalledDelete, vec![remove()]),
            plan(2, Rule::Import, vec![Action::Import { path: "/x".into() }]),
            plan(3, Rule::Slow, vec![remove(), Action::RemoveTag("t")]),
            plan(4, Rule::Stale, vec![remove()]),
        ];
        assert_eq!(defer_removals(&mut plans, 1), 2);
        assert_eq!(plans[0].decision.actions, vec![remove()]);
        assert_eq!(plans[1].decision.actions.len(), 1);
        assert_eq!(plans[2].decision.actions, vec![Action::RemoveTag("t")]);
        assert!(plans[3].decision.actions.is_empty());
    }

    #[test]
    fn the_hourly_budget_is_spent_and_comes_back() {
        let mut budget = RemovalBudget::default();
        assert_eq!(budget.allowance(20, 50, 0), 20);
        budget.spend(20, 0);
        budget.spend(20, 600);
        assert_eq!(budget.allowance(20, 50, 1200), 10, "50 an hour, 40 spent");
        budget.spend(10, 1200);
        assert_eq!(budget.allowance(20, 50, 1800), 0);
        assert_eq!(budget.allowance(20, 50, 3600), 20, "the first 20 are an hour old");
    }

    /// Property: over any sequence of passes, no pass starts more than the per-pass cap
    /// and no hour more than the hourly one.
    #[test]
    fn caps_are_never_exceeded() {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let per_pass = 1 + next(30) as u32;
            let per_hour = 1 + next(100) as u32;
            let mut budget = RemovalBudget::default();
            let mut started: Vec<UnixTime> = Vec::new();
            let mut now: UnixTime = 0;
            for _ in 0..100 {
                now += 1 + next(300) as i64;
                let wanted = next(50) as usize;
                let mut plans: Vec<Plan> = (0..wanted)
                    .map(|i| plan(i, Rule::StalledDelete, vec![remove()]))
                    .collect();
                let allowance = budget.allowance(per_pass, per_hour, now);
                defer_removals(&mut plans, allowance);
                let kept = plans.iter().filter(|p| !p.decision.actions.is_empty()).count() as u32;
                assert!(kept <= per_pass);
                budget.spend(kept, now);
                started.extend(std::iter::repeat_n(now, kept as usize));
                let last_hour = started.iter().filter(|&&t| now - t < 3600).count() as u32;
                assert!(last_hour <= per_hour, "{last_hour} > {per_hour} in an hour");
            }
        }
    }
}
