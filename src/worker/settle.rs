//! What a pass sets on torrents (rate limits, super-seeding, AddTags) is sent once; qBittorrent
//! reports some of it a moment late (super-seeding comes with libtorrent's next status update,
//! about a second later), and the next pass would send it again. [`Settle`] remembers, in
//! memory, what was sent to each torrent in the last [`SETTLE_SECS`] and takes exactly those
//! actions out of a plan until then. A different setting (a drift, a new limit) goes at once.

use std::collections::HashMap;

use crate::decide::Action;
use crate::model::UnixTime;

use super::executor::Plan;

/// How long an action sent to a torrent is not sent again (a drift in that time is set back
/// once it is over).
pub(super) const SETTLE_SECS: i64 = 10;

/// The setting actions sent per torrent, each with when.
#[derive(Default)]
pub(super) struct Settle {
    sent: HashMap<String, Vec<(Action, UnixTime)>>,
}

fn is_setting(a: &Action) -> bool {
    matches!(a, Action::Set(_) | Action::TagWith(_) | Action::Untag(_))
}

impl Settle {
    /// Takes out of `plans` the setting actions sent to the same torrent within
    /// [`SETTLE_SECS`], and remembers the ones that go now.
    pub(super) fn pace(&mut self, plans: &mut [Plan], now: UnixTime) {
        self.sent.retain(|_, sent| {
            sent.retain(|(_, at)| now - *at < SETTLE_SECS);
            !sent.is_empty()
        });
        for plan in plans.iter_mut() {
            let actions = &mut plan.decision.actions;
            if !actions.iter().any(is_setting) {
                continue;
            }
            let sent = self.sent.entry(plan.hash.clone()).or_default();
            actions.retain(|a| !(is_setting(a) && sent.iter().any(|(s, _)| s == a)));
            sent.extend(actions.iter().filter(|a| is_setting(a)).map(|a| (a.clone(), now)));
        }
        self.sent.retain(|_, sent| !sent.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbit::Setting;
    use crate::worker::executor::tests::plan;

    #[test]
    fn a_setting_sent_is_not_sent_again_until_it_settled_but_a_new_one_goes_at_once() {
        let mut settle = Settle::default();
        let seed = Action::Set(Setting::SuperSeeding(true));
        let limit = Action::Set(Setting::UploadLimit(102_400));
        let mut plans = vec![plan('a', vec![seed.clone(), Action::Resume])];
        settle.pace(&mut plans, 1_000);
        assert_eq!(plans[0].decision.actions, [seed.clone(), Action::Resume]);
        // The next pass, before qBittorrent reports it: not again; other actions stay.
        let mut plans = vec![plan('a', vec![seed.clone(), limit.clone(), Action::Resume])];
        settle.pace(&mut plans, 1_001);
        assert_eq!(plans[0].decision.actions, [limit.clone(), Action::Resume]);
        // Another torrent is its own.
        let mut plans = vec![plan('b', vec![seed.clone()])];
        settle.pace(&mut plans, 1_002);
        assert_eq!(plans[0].decision.actions, std::slice::from_ref(&seed));
        // Still wanted once it settled (qBittorrent refused it): sent again.
        let mut plans = vec![plan('a', vec![seed.clone()])];
        settle.pace(&mut plans, 1_000 + SETTLE_SECS);
        assert_eq!(plans[0].decision.actions, [seed]);
    }
}
