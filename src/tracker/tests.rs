use super::*;

fn entry(name: &str, host: &str, priority: i64) -> TrackerEntry {
    TrackerEntry {
        name: name.into(),
        host: host.into(),
        priority,
        maximum_eta: None,
        max_upload_ratio: None,
        max_seeding_time: None,
        settings: Default::default(),
        add_tags: Default::default(),
        hnr: HitAndRun::default(),
    }
}

fn hnr(mode: HnrMode, min_ratio: f64, days: f64) -> HitAndRun {
    HitAndRun {
        mode,
        min_ratio,
        min_seeding_secs: (days * 86_400.0) as i64,
        ..HitAndRun::default()
    }
}

const DAY: i64 = 86_400;

#[test]
fn hosts_come_from_urls_and_bare_names() {
    let cases = [
        (
            "https://Tracker.Example.org:443/announce?passkey=x",
            Some("tracker.example.org"),
        ),
        ("udp://open.tracker.cc:6969", Some("open.tracker.cc")),
        ("http://user:pw@t.example/a", Some("t.example")),
        ("http://[2001:db8::1]:80/announce", Some("2001:db8::1")),
        ("tracker.example.org", Some("tracker.example.org")),
        ("TRACKER.example.org.", Some("tracker.example.org")),
        ("", None),
        ("http:///announce", None),
        ("** [DHT] **", None),
    ];
    for (url, want) in cases {
        assert_eq!(host_of(url).as_deref(), want, "{url}");
    }
}

#[test]
fn the_highest_priority_of_the_matching_entries_wins_and_subdomains_match() {
    let entries = vec![
        entry("low", "example.org", -100),
        entry("high", "tracker.example.org", 10),
        entry("other", "other.net", 50),
        entry("tie", "tracker.example.org", 10),
    ];
    let name = |urls: &[&str]| pick(&entries, urls).map(|i| entries[i].name.as_str());
    let urls = ["https://tracker.example.org/announce"];
    assert_eq!(name(&urls), Some("high"));
    let urls = ["https://a.example.org/announce"];
    assert_eq!(name(&urls), Some("low"));
    // "notexample.org" is not a subdomain of "example.org".
    assert_eq!(pick(&entries, &["http://notexample.org/a"]), None);
    assert_eq!(pick(&entries, &[] as &[&str]), None);
    let urls = ["http://other.net/a", "https://tracker.example.org/b"];
    assert_eq!(name(&urls), Some("other"));
}

#[test]
fn the_category_entry_matches_every_torrent_below_any_tracker_entry() {
    // As the CategorySeeding entry comes: the Arr's list first, at the lowest priority.
    let entries = merge(
        &[entry("tracker", "tracker.example.org", -1_000_000)],
        &[entry("category", "", i64::MIN)],
    );
    let name = |urls: &[&str]| pick(&entries, urls).map(|i| entries[i].name.as_str());
    assert_eq!(name(&["https://tracker.example.org/a"]), Some("tracker"));
    assert_eq!(name(&["https://elsewhere.net/a"]), Some("category"));
    assert_eq!(name(&[]), Some("category"), "a trackerless torrent too");
}

#[test]
fn an_arr_entry_replaces_the_qbit_entry_for_the_same_host() {
    let qbit = vec![entry("q-a", "a.org", 0), entry("q-b", "b.org", 0)];
    let arr = vec![entry("arr-a", "a.org", -5)];
    let names: Vec<String> = merge(&qbit, &arr).into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["arr-a", "q-b"]);
}

#[test]
fn hit_and_run_obligations_follow_mode_minimums_and_buffer() {
    use Owing::*;
    let owed = |o: &Owing| matches!(o, Owed(_));
    let cleared = |o: &Owing| matches!(o, Cleared(_));
    // (rule, progress, ratio, seeding secs, owed?)
    let and = hnr(HnrMode::And, 1.0, 7.0);
    let or = hnr(HnrMode::Or, 1.0, 7.0);
    let cases: Vec<(&HitAndRun, f64, f64, i64, bool)> = vec![
        (&and, 1.0, 0.4, 2 * DAY, true),
        (&and, 1.0, 1.0, 2 * DAY, true),
        (&and, 1.0, 0.4, 8 * DAY, true),
        (&and, 1.0, 1.0, 7 * DAY, false),
        (&and, 1.0, -1.0, 7 * DAY, false), // ratio above 9999
        (&or, 1.0, 0.4, 2 * DAY, true),
        (&or, 1.0, 1.2, 0, false),
        (&or, 1.0, 0.0, 7 * DAY, false),
        // Below the minimum download percent: nothing owed.
        (&and, 0.05, 0.0, 0, false),
        // A partial download owes the partial ratio only.
        (&and, 0.5, 0.5, 30 * DAY, true),
        (&and, 0.5, 1.0, 0, false),
    ];
    for (rule, progress, ratio, secs, want) in cases {
        let got = hit_and_run(rule, progress, ratio, secs);
        assert_eq!(owed(&got), want, "{rule:?} {progress} {ratio} {secs}: {got:?}");
        assert!(want || cleared(&got), "{got:?}");
    }
    // Only the minimums that are set count: `or` with no time minimum needs the ratio.
    let ratio_only = hnr(HnrMode::Or, 1.0, 0.0);
    assert!(owed(&hit_and_run(&ratio_only, 1.0, 0.5, 100 * DAY)));
    let nothing_set = hnr(HnrMode::And, 0.0, 0.0);
    assert!(cleared(&hit_and_run(&nothing_set, 1.0, 0.0, 0)));
    // The buffer comes off the seeding time.
    let mut buffered = hnr(HnrMode::And, 0.0, 1.0);
    buffered.update_buffer_secs = 3_600;
    assert!(owed(&hit_and_run(&buffered, 1.0, 0.0, DAY)));
    assert!(cleared(&hit_and_run(&buffered, 1.0, 0.0, DAY + 3_600)));
    assert_eq!(hit_and_run(&HitAndRun::default(), 1.0, 0.0, 0), Nothing);
}

#[test]
fn the_numbers_say_what_is_owed() {
    let rule = hnr(HnrMode::And, 1.0, 7.0);
    let Owing::Owed(text) = hit_and_run(&rule, 1.0, 0.4, 181_440) else {
        panic!("owed")
    };
    assert_eq!(
        text,
        "HnR: seeded 2.10 of 7.00 days, ratio 0.40 of 1.00 (HitAndRunMode and)"
    );
    let Owing::Owed(text) = hit_and_run(&rule, 0.5, 0.1, 0) else {
        panic!("owed")
    };
    assert_eq!(
        text,
        "HnR: partial download (50.0%), ratio 0.10 < HitAndRunPartialSeedRatio 1"
    );
}

fn answered(rows: &[(&str, &str)], working: bool) -> TrackerList {
    TrackerList {
        private: true,
        urls: rows.iter().map(|(u, _)| u.to_string()).collect(),
        messages: rows.iter().map(|(_, m)| m.to_string()).collect(),
        working,
    }
}

#[test]
fn unregistered_only_when_every_tracker_says_so() {
    let texts = UNREGISTERED_TEXTS;
    let one = answered(&[("https://a.org/ann", "Unregistered torrent")], false);
    assert_eq!(unregistered(&one, &texts), Some("Unregistered torrent"));
    // Case aside, as part of the message.
    let shouting = answered(
        &[("https://a.org/ann", "ERROR: TORRENT NOT FOUND (code 2)")],
        false,
    );
    assert!(unregistered(&shouting, &texts).is_some());
    let both = answered(
        &[
            (
                "https://a.org/ann",
                "info hash is not authorized with this tracker",
            ),
            ("https://b.org/ann", "Torrent not registered with this tracker"),
        ],
        false,
    );
    assert!(unregistered(&both, &texts).is_some());
    // One tracker that says something else, or nothing, or works: not unregistered.
    for list in [
        answered(
            &[
                ("https://a.org/ann", "Unregistered torrent"),
                ("https://b.org/ann", "Connection timed out"),
            ],
            false,
        ),
        answered(
            &[
                ("https://a.org/ann", "Unregistered torrent"),
                ("https://b.org/ann", ""),
            ],
            false,
        ),
        answered(&[("https://a.org/ann", "Unregistered torrent")], true),
        answered(&[("https://a.org/ann", "404 Not Found")], false),
        answered(
            &[("https://a.org/ann", "skipping tracker announce (unreachable)")],
            false,
        ),
        answered(&[], false),
    ] {
        assert_eq!(unregistered(&list, &texts), None, "{list:?}");
    }
    // No texts: off.
    assert_eq!(unregistered(&one, &[] as &[&str]), None);
    // A list whose messages do not line up with its URLs says nothing.
    let mut odd = one.clone();
    odd.messages.clear();
    assert_eq!(unregistered(&odd, &texts), None);
}
