//! How a worker tells its decisions: every decision with actions at info,
//! with the rule and the numbers it compared; decisions without actions at
//! debug (trace for the everyday "nothing to do"). A dry run announces each
//! torrent's decision once, as "would …", since nothing it says is done and
//! the same decision comes back every pass.

use std::collections::HashSet;

use log::{debug, info, trace};

use crate::decide::{Decision, Rule};
use crate::model::Torrent;

/// The decision log of one worker; which kind is chosen where the worker is built.
pub(crate) enum DecisionLog {
    Live,
    DryRun {
        /// (hash, rule) pairs already announced.
        announced: HashSet<(String, Rule)>,
    },
}

impl DecisionLog {
    pub(crate) fn new(dry_run: bool) -> Self {
        if dry_run {
            Self::DryRun {
                announced: HashSet::new(),
            }
        } else {
            Self::Live
        }
    }

    /// Said once when the worker starts, after what it watches.
    pub(crate) fn mode_note(&self) -> &'static str {
        match self {
            Self::Live => "",
            Self::DryRun { .. } => " (dry-run: nothing will be changed)",
        }
    }

    pub(crate) fn log(&mut self, instance: &str, t: &Torrent, d: &Decision) {
        let short = &t.hash[..t.hash.len().min(8)];
        if d.actions.is_empty() {
            match d.rule {
                Rule::NoAction | Rule::OtherCategory | Rule::UnclaimedCategory => {
                    trace!("{instance}: {}: {:?} ({short}): {}", d.rule, t.name, d.detail)
                }
                _ => debug!("{instance}: {}: {:?} ({short}): {}", d.rule, t.name, d.detail),
            }
            return;
        }
        let actions: Vec<String> = d.actions.iter().map(ToString::to_string).collect();
        match self {
            Self::Live => info!(
                "{instance}: {}: {:?} ({short}): {} → {}",
                d.rule,
                t.name,
                d.detail,
                actions.join(", ")
            ),
            Self::DryRun { announced } => {
                if announced.insert((t.hash.clone(), d.rule)) {
                    info!(
                        "{instance}: [dry-run] {}: {:?} ({short}): {} → would {}",
                        d.rule,
                        t.name,
                        d.detail,
                        actions.join(", ")
                    );
                }
            }
        }
    }
}
