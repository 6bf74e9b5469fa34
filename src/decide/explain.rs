//! Why a torrent is decided as it is: every rule [`decide`](super::decide)
//! tried, in its order, with the numbers it compared; the decision; and the
//! next change the clock alone brings.
//!
//! [`explain`] runs the decision core itself (the rules report to a tracer
//! that [`decide`](super::decide) leaves silent), so the two never disagree.

use std::fmt::Write as _;

use super::{decide_traced, Action, Decision, Inputs, Rule, Trace};
use crate::model::{Torrent, UnixTime};

/// One rule tried for a torrent.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The rule. A group of rules whose common condition does not hold is
    /// reported once, by its main rule: `import` ("not complete"),
    /// `seeding-limit`, `stalled-delete` ("not stalled").
    pub rule: Rule,
    /// True for the rule that decided (the last check), false for those before it.
    pub matched: bool,
    /// The condition and the numbers compared, e.g. "age 95s < IgnoreTorrentsYoungerThan 180s".
    pub why: String,
}

/// The next change of decision the clock alone brings: a delay running out,
/// a gate opening.
#[derive(Debug, Clone, PartialEq)]
pub struct Next {
    /// The first second at which the decision differs.
    pub at: UnixTime,
    /// The rule that decides then.
    pub rule: Rule,
    /// What happens and what is reached then, e.g. "stalled-delete (remove torrent
    /// and files, blocklist, search again) once stalled for StalledDelay 900s".
    pub what: String,
}

/// What [`explain`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The rules in the order they were tried, up to and including the one
    /// that decided (the rules after it are not reached and not listed).
    pub checks: Vec<Check>,
    /// Exactly what [`decide`](super::decide) returns for the same inputs.
    pub decision: Decision,
    /// The next time-driven change, if nothing else changes; `None` when
    /// nothing is scheduled (only qBittorrent, the Arr or a finished action
    /// can change the decision).
    pub next: Option<Next>,
}

/// Records what the rules report.
#[derive(Default)]
struct Recorder {
    checks: Vec<Check>,
    clocks: Vec<(UnixTime, String)>,
}

impl Trace for Recorder {
    fn passed(&mut self, rule: Rule, why: impl FnOnce() -> String) {
        self.checks.push(Check {
            rule,
            matched: false,
            why: why(),
        });
    }

    fn clock(&mut self, at: UnixTime, what: impl FnOnce() -> String) {
        self.clocks.push((at, what()));
    }
}

/// Runs the decision core on `input` and reports every rule it tried, its
/// decision (the same as [`decide`](super::decide)'s) and the next change the
/// clock brings.
///
/// The next change assumes nothing else changes: qBittorrent keeps reporting
/// the same torrent (no activity; seeding time grows while it seeds), the
/// Arr's queue stays as it is, and what this pass remembers is kept. It is
/// found by running the core at the times its rules compared the clock
/// with (the next pass first, then each such time in turn), so it is exact
/// to the second.
pub fn explain(input: Inputs<'_>) -> Explanation {
    let mut rec = Recorder::default();
    let decision = decide_traced(input, &mut rec);
    let mut checks = rec.checks;
    checks.push(Check {
        rule: decision.rule,
        matched: true,
        why: decision.detail.clone(),
    });
    let next = next_change(input, &decision);
    Explanation {
        checks,
        decision,
        next,
    }
}

/// How many clock times [`next_change`] follows before it gives up: more than
/// any one torrent's rules compare with.
const MAX_STEPS: usize = 16;

fn next_change(input: Inputs<'_>, decision: &Decision) -> Option<Next> {
    // The next pass, with what this one remembered: a first sighting (of the
    // torrent, of its stall) is not a change the clock brings.
    let mut memory = decision.memory.clone();
    let mut at = input.now;
    let mut rec = Recorder::default();
    let steady = decide_traced(
        Inputs {
            memory: &memory,
            ..input
        },
        &mut rec,
    );
    memory = steady.memory;
    for _ in 0..MAX_STEPS {
        // The earliest time a comparison turns; before it, every rule on the
        // path compares the same way, so the decision cannot change.
        let (when, what) = rec
            .clocks
            .into_iter()
            .filter(|(t, _)| *t > at)
            .min_by_key(|(t, _)| *t)?;
        let torrent = aged(input.torrent, when - input.now);
        rec = Recorder::default();
        let d = decide_traced(
            Inputs {
                torrent: &torrent,
                memory: &memory,
                now: when,
                ..input
            },
            &mut rec,
        );
        if d.rule != steady.rule {
            let what = if d.actions.is_empty() {
                format!("{} once {what}", d.rule)
            } else {
                format!("{} ({}) once {what}", d.rule, actions_text(&d.actions))
            };
            return Some(Next {
                at: when,
                rule: d.rule,
                what,
            });
        }
        at = when;
        memory = d.memory;
    }
    None
}

/// The torrent `secs` later if nothing changes but the seeding time.
pub(super) fn aged(t: &Torrent, secs: i64) -> Torrent {
    let mut t = t.clone();
    if super::seeds(t.state) {
        t.seeding_time = t.seeding_time.saturating_add(secs);
    }
    t
}

fn actions_text(actions: &[Action]) -> String {
    let texts: Vec<String> = actions.iter().map(Action::to_string).collect();
    texts.join("; ")
}

/// The explanation as plain text, as the CLI prints it: one line per rule
/// tried (`✓` for the one that decided, `·` for those before it), the
/// decision's actions, then the next change with its time as `rfc3339`
/// writes it and how far it is from `now`.
///
/// ```text
/// · other-category      category "radarr" is ours
/// …
/// ✓ stalled-waiting     state stalledDL: stalled for 720 of StalledDelay 900s; idle 3600s ≥ IgnoreTorrentsYoungerThan 180s
/// decision: stalled-waiting, no action
/// next: stalled-delete (remove torrent and files, blocklist, search again) once stalled for StalledDelay 900s at 2023-11-14T22:16:20Z (in 3m), if nothing else changes
/// ```
pub fn render(e: &Explanation, now: UnixTime, rfc3339: impl Fn(UnixTime) -> String) -> String {
    let mut out = String::new();
    for c in &e.checks {
        let mark = if c.matched { '✓' } else { '·' };
        let _ = writeln!(out, "{mark} {:<19} {}", c.rule.name(), c.why);
    }
    let d = &e.decision;
    if d.actions.is_empty() {
        let _ = writeln!(out, "decision: {}, no action", d.rule);
    } else {
        let _ = writeln!(out, "decision: {}: {}", d.rule, actions_text(&d.actions));
    }
    match &e.next {
        Some(n) => {
            let _ = writeln!(
                out,
                "next: {} at {} ({}), if nothing else changes",
                n.what,
                rfc3339(n.at),
                until(n.at - now)
            );
        }
        None => out.push_str("next: nothing scheduled\n"),
    }
    out
}

/// "in 3m", "in 1h 5m"; "due now" for no time left.
fn until(secs: i64) -> String {
    if secs <= 0 {
        return "due now".into();
    }
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let text = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 && s > 0 {
        format!("{m}m {s}s")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    };
    format!("in {text}")
}
