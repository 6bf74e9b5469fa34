//! How a worker tells its decisions: every decision with actions at info,
//! with the rule and the numbers it compared; decisions without actions at
//! debug (trace for the everyday "nothing to do"), except those the user
//! must act on (an import refused), which warn once per torrent. A dry run
//! announces each torrent's decision once, as "would …", since nothing it
//! says is done and the same decision comes back every pass.

use std::collections::HashSet;

use log::{debug, info, trace, warn};

use crate::decide::{Decision, Rule};
use crate::model::Torrent;

/// The decision log of one worker; whether it is a dry run's is chosen where the worker is built.
pub(crate) struct DecisionLog {
    /// In a dry run: the (hash, rule) pairs already announced.
    dry_run: Option<HashSet<(String, Rule)>>,
    /// The (hash, rule) pairs already warned about.
    warned: HashSet<(String, Rule)>,
}

impl DecisionLog {
    pub(crate) fn new(dry_run: bool) -> Self {
        Self {
            dry_run: dry_run.then(HashSet::new),
            warned: HashSet::new(),
        }
    }

    /// Said once when the worker starts, after what it watches.
    pub(crate) fn mode_note(&self) -> &'static str {
        match self.dry_run {
            None => "",
            Some(_) => " (dry-run: nothing will be changed)",
        }
    }

    pub(crate) fn log(&mut self, instance: &str, t: &Torrent, d: &Decision) {
        let short = Label(t);
        if d.actions.is_empty() {
            match d.rule {
                Rule::NoAction | Rule::OtherCategory | Rule::UnclaimedCategory => {
                    trace!("{instance}: {}: {short}: {}", d.rule, d.detail)
                }
                Rule::ImportRefused if self.warned.insert((t.hash.clone(), d.rule)) => {
                    warn!("{instance}: {}: {short}: {}", d.rule, d.detail)
                }
                _ => debug!("{instance}: {}: {short}: {}", d.rule, d.detail),
            }
            return;
        }
        let actions: Vec<String> = d.actions.iter().map(ToString::to_string).collect();
        if d.rule == Rule::ImportPending {
            // Following an import every pass until the Arr is done: not news.
            debug!(
                "{instance}: {}: {short}: {} → {}",
                d.rule,
                d.detail,
                actions.join(", ")
            );
            return;
        }
        match &mut self.dry_run {
            None => info!(
                "{instance}: {}: {short}: {} → {}",
                d.rule,
                d.detail,
                actions.join(", ")
            ),
            Some(announced) => {
                if announced.insert((t.hash.clone(), d.rule)) {
                    info!(
                        "{instance}: [dry-run] {}: {short}: {} → would {}",
                        d.rule,
                        d.detail,
                        actions.join(", ")
                    );
                }
            }
        }
    }
}

/// A torrent as the log names it: `"name" (hash prefix)`, or the prefix alone
/// when the name is not known (torrents read from a view carry none).
struct Label<'a>(&'a Torrent);

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.0;
        let short = &t.hash[..t.hash.len().min(8)];
        if t.name.is_empty() {
            write!(f, "({short})")
        } else {
            write!(f, "{:?} ({short})", t.name)
        }
    }
}
