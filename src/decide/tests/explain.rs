//! `explain`: it agrees with `decide`, says why with the numbers, and finds
//! the next change the clock brings, to the second.

use super::*;

/// The inputs of a test: a torrent, its memory and rules, edited from the defaults.
fn explained(
    torrent: impl FnOnce(&mut Torrent),
    memory: impl FnOnce(&mut Memory),
    rules_: impl FnOnce(&mut Rules),
) -> Explanation {
    let mut t = super::torrent();
    torrent(&mut t);
    let mut m = seen();
    memory(&mut m);
    let mut r = rules();
    rules_(&mut r);
    let q = queue();
    explain(Inputs {
        torrent: &t,
        queue: Some(&q),
        memory: &m,
        rules: &r,
        connection: Connection::default(),
        space: Space::Off,
        trackers: PUBLIC,
        now: NOW,
    })
}

/// The why of `rule`'s check; panics when it was not tried.
fn why(e: &Explanation, rule: Rule) -> &str {
    let c = e.checks.iter().find(|c| c.rule == rule);
    &c.unwrap_or_else(|| panic!("{rule} not tried: {e:#?}")).why
}

fn next(e: &Explanation) -> (i64, Rule, &str) {
    let n = e
        .next
        .as_ref()
        .unwrap_or_else(|| panic!("nothing scheduled: {e:#?}"));
    (n.at - NOW, n.rule, n.what.as_str())
}

fn stalled_waiting() -> Explanation {
    explained(
        |t| {
            t.state = TorrentState::StalledDl;
            t.last_activity = NOW - HOUR;
        },
        |m| m.stalled_since = Some(NOW - 720),
        |_| {},
    )
}

#[test]
fn stalled_waiting_says_how_long_and_when_it_is_removed() {
    let e = stalled_waiting();
    assert_eq!(e.decision.rule, Rule::StalledWaiting);
    let rules: Vec<Rule> = e.checks.iter().map(|c| c.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::OtherCategory,
            Rule::IgnoredTag,
            Rule::FailedCategory,
            Rule::RecheckCategory,
            Rule::ProtectedState,
            Rule::ArrError,
            Rule::FormatMinimum,
            Rule::AllFilesExcluded,
            Rule::FileFilter,
            Rule::Import,
            Rule::FreeSpaceHeld,
            Rule::ResumePaused,
            Rule::TooYoung,
            Rule::MissingFiles,
            Rule::ErrorRecheck,
            Rule::Unregistered,
            Rule::SeedingLimit,
            Rule::Offline,
            Rule::StalledOff,
            Rule::StalledFirstSeen,
            Rule::StalledTagOnly,
            Rule::StalledWaiting,
        ]
    );
    assert_eq!(
        why(&e, Rule::StalledWaiting),
        "state stalledDL: stalled for 720s < StalledDelay 900s; idle 3600s ≥ IgnoreTorrentsYoungerThan 180s"
    );
    assert_eq!(
        why(&e, Rule::TooYoung),
        "age 86400s ≥ IgnoreTorrentsYoungerThan 180s"
    );
    assert_eq!(
        next(&e),
        (
            180,
            Rule::StalledDelete,
            "stalled-delete (remove torrent and files, blocklist, search again) once stalled for StalledDelay 900s"
        )
    );
}

#[test]
fn stalled_but_recently_active_waits_for_the_idle_time_too() {
    let e = explained(
        |t| {
            t.state = TorrentState::StalledDl;
            t.last_activity = NOW - 60;
        },
        |m| m.stalled_since = Some(NOW - 16 * 60),
        |_| {},
    );
    assert_eq!(
        why(&e, Rule::StalledWaiting),
        "state stalledDL: stalled for 960s ≥ StalledDelay 900s; idle 60s < IgnoreTorrentsYoungerThan 180s"
    );
    let (at, rule, what) = next(&e);
    assert_eq!((at, rule), (120, Rule::StalledDelete));
    assert!(
        what.ends_with("once idle for IgnoreTorrentsYoungerThan 180s"),
        "{what}"
    );
}

#[test]
fn first_sight_of_a_stall_counts_from_now() {
    let e = explained(
        |t| {
            t.state = TorrentState::StalledDl;
            t.last_activity = NOW - HOUR;
        },
        |_| {},
        |_| {},
    );
    assert_eq!(e.decision.rule, Rule::StalledFirstSeen);
    let (at, rule, _) = next(&e);
    assert_eq!((at, rule), (900, Rule::StalledDelete));
}

#[test]
fn too_young_says_the_age_and_when_the_gate_opens() {
    let e = explained(
        |t| {
            t.state = TorrentState::MissingFiles;
            t.added_on = NOW - 95;
        },
        |_| {},
        |_| {},
    );
    assert_eq!(e.decision.rule, Rule::TooYoung);
    assert_eq!(
        why(&e, Rule::TooYoung),
        "age 95s < IgnoreTorrentsYoungerThan 180s"
    );
    assert_eq!(
        next(&e),
        (
            85,
            Rule::MissingFiles,
            "missing-files (remove torrent (keep files), remove from the Arr queue, search again) \
             once age reaches IgnoreTorrentsYoungerThan 180s"
        )
    );
}

#[test]
fn import_settling_says_when_it_is_imported() {
    let e = explained(
        |t| {
            completed(t);
            t.completion_on = NOW - 3;
        },
        |_| {},
        |_| {},
    );
    assert_eq!(e.decision.rule, Rule::ImportSettling);
    assert_eq!(
        why(&e, Rule::ImportSettling),
        "completed 3s ago (< 10s) or no content path"
    );
    assert_eq!(
        next(&e),
        (
            7,
            Rule::Import,
            "import (import \"/downloads/radarr/Some.Movie.2024.1080p\") once completed 10s ago"
        )
    );
}

#[test]
fn a_failed_import_says_when_it_is_tried_again() {
    let e = explained(
        completed,
        |m| {
            m.import = ImportState::Failed {
                attempts: 2,
                retry_at: NOW + 60,
            }
        },
        |_| {},
    );
    assert_eq!(e.decision.rule, Rule::ImportFailed);
    assert_eq!(
        why(&e, Rule::ImportSettling),
        "complete, not imported; completed 3600s ago (≥ 10s)"
    );
    assert_eq!(
        why(&e, Rule::ImportFailed),
        "the import failed 2 time(s) in a row; next try in 60s"
    );
    let (at, rule, what) = next(&e);
    assert_eq!((at, rule), (60, Rule::Import));
    assert!(
        what.ends_with("once the import's retry is due (after 2 failure(s))"),
        "{what}"
    );
}

#[test]
fn seeding_says_the_ratio_and_time_and_when_the_time_limit_is_reached() {
    let e = explained(
        |t| {
            completed(t);
            t.state = TorrentState::Uploading;
            t.tags = vec![tags::IMPORTED.into()];
            t.ratio = 0.8;
            t.max_ratio = 2.0;
            t.seeding_time = 2 * HOUR;
        },
        |_| {},
        |r| {
            r.remove_torrent = RemoveTorrent::RatioOrTime;
            r.max_upload_ratio = Some(1.0);
            r.max_seeding_time = Some(3 * HOUR);
        },
    );
    assert_eq!(e.decision.rule, Rule::NoAction);
    assert_eq!(why(&e, Rule::Import), "imported already (tagged qBitrr-imported)");
    assert_eq!(
        why(&e, Rule::SeedingLimit),
        "RemoveTorrent RatioOrTime: ratio 0.800 < qBittorrent's 2 (MaxUploadRatio 1); \
         seeding 7200s < MaxSeedingTime 10800s"
    );
    assert_eq!(
        why(&e, Rule::TagImported),
        "imported as the tag or the Arr's queue says; no import of ours to tag"
    );
    let (at, rule, what) = next(&e);
    assert_eq!((at, rule), (HOUR, Rule::SeedingLimit));
    assert!(
        what.starts_with("seeding-limit (remove torrent and files) once seeding for 10800s"),
        "{what}"
    );
}

#[test]
fn a_stopped_seed_does_not_count_seeding_time() {
    let e = explained(
        |t| {
            completed(t);
            t.state = TorrentState::StoppedUp;
            t.tags = vec![tags::IMPORTED.into()];
            t.seeding_time = 2 * HOUR;
        },
        |_| {},
        |r| {
            r.remove_torrent = RemoveTorrent::Time;
            r.max_seeding_time = Some(3 * HOUR);
        },
    );
    assert_eq!(e.decision.rule, Rule::NoAction);
    assert_eq!(e.next, None);
}

#[test]
fn an_error_says_when_it_is_rechecked_again() {
    let e = explained(
        |t| t.state = TorrentState::Error,
        |m| m.rechecked_at = Some(NOW - 60),
        |_| {},
    );
    assert_eq!(e.decision.rule, Rule::NoAction);
    assert_eq!(
        why(&e, Rule::ErrorRecheck),
        "state error, rechecked 60s ago (< 600s)"
    );
    assert_eq!(
        next(&e),
        (
            540,
            Rule::ErrorRecheck,
            "error-recheck (recheck) once the last recheck is 600s old"
        )
    );
}

#[test]
fn stale_says_when_no_activity_lasts_too_long() {
    let e = explained(
        |t| t.last_activity = NOW - 100,
        |_| {},
        |r| r.maximum_eta = Some(HOUR),
    );
    assert_eq!(e.decision.rule, Rule::NoAction);
    assert_eq!(
        why(&e, Rule::Slow),
        "DoNotRemoveSlow (ETA 600s, MaximumETA 3600s)"
    );
    assert_eq!(why(&e, Rule::Stale), "no activity for 100s ≤ MaximumETA 3600s");
    let (at, rule, _) = next(&e);
    assert_eq!((at, rule), (HOUR - 100 + 1, Rule::Stale));
}

#[test]
fn nothing_scheduled_for_a_healthy_download() {
    let e = explained(|_| {}, |_| {}, |_| {});
    assert_eq!(e.decision.rule, Rule::NoAction);
    assert_eq!(
        why(&e, Rule::StalledDelete),
        "state downloading is not stalled (stalledDL, metaDL)"
    );
    assert_eq!(why(&e, Rule::Slow), "MaximumETA off");
    assert_eq!(e.next, None);
}

#[test]
fn gates_that_decide_say_so() {
    let e = explained(|t| t.category = "sonarr".into(), |_| {}, |_| {});
    assert_eq!(e.checks.len(), 1);
    assert_eq!(
        e.checks[0].why,
        "category \"sonarr\" is none of ours (\"radarr\", FailedCategory \"failed\", RecheckCategory \"recheck\")"
    );
    assert_eq!(e.next, None);
    let e = explained(
        |t| {
            t.category = "failed".into();
            t.added_on = NOW - 100;
        },
        |_| {},
        |_| {},
    );
    assert_eq!(e.decision.rule, Rule::TooYoung);
    assert_eq!(
        why(&e, Rule::UnclaimedCategory),
        "first seen in \"radarr\" 86400s ago"
    );
    assert_eq!(
        why(&e, Rule::TooYoung),
        "age 100s < Settings.IgnoreTorrentsYoungerThan 180s"
    );
    let (at, rule, _) = next(&e);
    assert_eq!((at, rule), (80, Rule::FailedCategory));
    let e = explained(|t| t.state = TorrentState::ForcedDl, |_| {}, |_| {});
    assert_eq!(e.checks.last().map(|c| c.why.as_str()), Some("state forcedDL"));
    assert_eq!(e.next, None);
}

#[test]
fn render_is_one_line_per_check_then_the_decision_and_the_next_change() {
    let text = render(&stalled_waiting(), NOW, crate::clock::rfc3339);
    let golden = "\
· other-category      category \"radarr\" is ours
· ignored-tag         no qBitrr-ignored tag
· failed-category     category \"radarr\" is not FailedCategory \"failed\"
· recheck-category    category \"radarr\" is not RecheckCategory \"recheck\"
· protected-state     state stalledDL is not protected
· arr-error           not complete
· custom-format-min   ForceMinimumCustomFormat (with CustomFormatUnmetSearch) is off
· all-files-excluded  no file check found every file excluded
· file-filter         every file-filter list is empty
· import              not complete: state stalledDL, 500 bytes left
· free-space-held     Settings.FreeSpace is off
· resume-paused       state stalledDL is not a paused or stopped download
· too-young           age 86400s ≥ IgnoreTorrentsYoungerThan 180s
· missing-files       state stalledDL is not missingFiles
· error-recheck       state stalledDL is not error
· unregistered        not every tracker calls it unregistered
· seeding-limit       not complete: state stalledDL
· offline             qBittorrent is connected
· stalled-off         state stalledDL, StalledDelay 900s (not -1)
· stalled-first-seen  state stalledDL, first seen stalled 720s ago
· stalled-tag-only    StalledDelay 900s (not 0)
✓ stalled-waiting     state stalledDL: stalled for 720s < StalledDelay 900s; idle 3600s ≥ IgnoreTorrentsYoungerThan 180s
decision: stalled-waiting, no action
next: stalled-delete (remove torrent and files, blocklist, search again) once stalled for StalledDelay 900s at 2023-11-14T22:16:20Z (in 3m), if nothing else changes
";
    assert_eq!(text, golden);
}

#[test]
fn render_shows_actions_nothing_scheduled_and_other_distances() {
    let e = explained(|t| t.state = TorrentState::PausedDl, |_| {}, |_| {});
    let text = render(&e, NOW, crate::clock::rfc3339);
    assert!(
        text.ends_with(
            "✓ resume-paused       state pausedDL, 500 bytes left\n\
             decision: resume-paused: resume\n\
             next: nothing scheduled\n"
        ),
        "{text}"
    );
    let e = stalled_waiting();
    // The same explanation printed later: the distance is from the printing time.
    for (now, dist) in [
        (NOW + 100, "in 1m 20s"),
        (NOW + 170, "in 10s"),
        (NOW + 180, "due now"),
        (NOW - 2 * HOUR, "in 2h 3m"),
        (NOW - 3 * 86_400, "in 3d 0h"),
    ] {
        let text = render(&e, now, crate::clock::rfc3339);
        assert!(text.contains(&format!("({dist}), if")), "{dist}: {text}");
    }
}

/// The torrent `secs` later if nothing changes: qBittorrent counts seeding time while it seeds.
fn later(t: &Torrent, secs: i64) -> Torrent {
    let mut t = t.clone();
    if matches!(t.state, TorrentState::Uploading | TorrentState::StalledUp) {
        t.seeding_time += secs;
    }
    t
}

#[test]
fn explain_agrees_with_decide_and_its_next_change_is_exact() {
    let mut g = Gen(0xD1B5_4A32_D192_ED03);
    let mut scheduled = 0;
    for case in 0..100_000 {
        let (t, q, m, r) = arbitrary(&mut g);
        let input = Inputs {
            torrent: &t,
            queue: q.as_ref(),
            memory: &m,
            rules: &r,
            connection: Connection::default(),
            space: Space::Off,
            trackers: PUBLIC,
            now: NOW,
        };
        let d = decide(input);
        let e = explain(input);
        let ctx = || format!("case {case}: {t:?}\n{m:?}\n{r:?}\n=> {e:#?}");
        assert_eq!(e.decision, d, "{}", ctx());

        // Every rule tried, once; only the last matched, and it is the decision.
        let (last, before) = e.checks.split_last().expect("at least the deciding check");
        assert!(last.matched, "{}", ctx());
        assert_eq!(last.rule, d.rule, "{}", ctx());
        assert_eq!(last.why, d.detail, "{}", ctx());
        assert!(
            before.iter().all(|c| !c.matched && !c.why.is_empty()),
            "{}",
            ctx()
        );
        let mut rules: Vec<Rule> = e.checks.iter().map(|c| c.rule).collect();
        rules.sort();
        rules.dedup();
        assert_eq!(rules.len(), e.checks.len(), "a rule tried twice: {}", ctx());

        // The next change: the decision of the next pass (with what this one
        // remembered) holds until `at`, and not at `at`; nothing scheduled: it holds on.
        let memory = d.memory.clone();
        let at_time = |now: i64| {
            let t = later(&t, now - NOW);
            decide(Inputs {
                torrent: &t,
                memory: &memory,
                now,
                ..input
            })
            .rule
        };
        let steady = at_time(NOW);
        match &e.next {
            Some(n) => {
                scheduled += 1;
                assert!(n.at > NOW, "{}", ctx());
                for now in [NOW + 1, (NOW + n.at) / 2, n.at - 1] {
                    if now < n.at {
                        assert_eq!(at_time(now), steady, "changes before `next` at {now}: {}", ctx());
                    }
                }
                assert_eq!(at_time(n.at), n.rule, "{}", ctx());
                assert_ne!(n.rule, steady, "{}", ctx());
            }
            None => {
                for now in [NOW + 1, NOW + HOUR, NOW + 30 * 86_400] {
                    assert_eq!(
                        at_time(now),
                        steady,
                        "changes at {now}, nothing scheduled: {}",
                        ctx()
                    );
                }
            }
        }
    }
    // The generator reaches the clocks, not only the timeless paths.
    assert!(scheduled > 5_000, "{scheduled}");
}
