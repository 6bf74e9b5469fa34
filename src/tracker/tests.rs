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
        add_url: None,
        remove_if_exists: false,
        sort: false,
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

fn editing(name: &str, host: &str, add_url: Option<&str>, remove: bool) -> TrackerEntry {
    TrackerEntry {
        add_url: add_url.map(str::to_string),
        remove_if_exists: remove,
        sort: false,
        ..entry(name, host, -100)
    }
}

fn list(private: bool, rows: &[(&str, &str)]) -> TrackerList {
    TrackerList {
        private,
        urls: rows.iter().map(|(u, _)| u.to_string()).collect(),
        messages: rows.iter().map(|(_, m)| m.to_string()).collect(),
        working: true,
    }
}

#[test]
fn tracker_edits_add_what_is_missing_remove_what_is_dead_and_never_the_last_tracker() {
    let add = editing(
        "Open",
        "open.example",
        Some("udp://open.example:6969/announce"),
        false,
    );
    let gone = editing("Gone", "gone.example", None, true);
    let dead = DEAD_TRACKER_TEXTS;
    let none: [&str; 0] = [];
    let a = "http://a.example/announce";
    let open = "udp://open.example:1337/announce";
    let old = "https://tracker.gone.example/announce";
    let unreachable = "skipping tracker announce (unreachable)";
    type Case<'c> = (&'c str, TrackerList, &'c [&'c str], Vec<&'c str>, Vec<&'c str>);
    let cases: Vec<Case> = vec![
        (
            "public, missing: added",
            list(false, &[(a, "")]),
            &none,
            vec!["udp://open.example:6969/announce"],
            vec![],
        ),
        (
            "public, present by host: nothing",
            list(false, &[(a, ""), (open, "")]),
            &none,
            vec![],
            vec![],
        ),
        (
            "private: never added to",
            list(true, &[(a, "")]),
            &none,
            vec![],
            vec![],
        ),
        (
            "RemoveIfExists by host (subdomain)",
            list(false, &[(a, ""), (old, "")]),
            &none,
            vec!["udp://open.example:6969/announce"],
            vec![old],
        ),
        (
            "RemoveIfExists on a private torrent",
            list(true, &[(a, ""), (old, "")]),
            &none,
            vec![],
            vec![old],
        ),
        (
            "RemoveIfExists of the only tracker of a private torrent: kept",
            list(true, &[(old, "")]),
            &none,
            vec![],
            vec![],
        ),
        (
            "the only tracker of a public torrent goes when one is added",
            list(false, &[(old, "")]),
            &none,
            vec!["udp://open.example:6969/announce"],
            vec![old],
        ),
        (
            "dead by message, RemoveDeadTrackers on",
            list(true, &[(a, unreachable), ("http://b.example/x", "")]),
            &dead,
            vec![],
            vec![a],
        ),
        (
            "dead by message, RemoveDeadTrackers off",
            list(true, &[(a, unreachable), ("http://b.example/x", "")]),
            &none,
            vec![],
            vec![],
        ),
        (
            "case aside",
            list(true, &[(a, "No Such Host Is Known"), ("http://b.example/x", "")]),
            &dead,
            vec![],
            vec![a],
        ),
        (
            "every tracker dead: none goes",
            list(true, &[(a, unreachable), ("http://b.example/x", unreachable)]),
            &dead,
            vec![],
            vec![],
        ),
        (
            "unauthorized everywhere (unregistered): none goes",
            list(true, &[(a, "info hash is not authorized with this tracker")]),
            &dead,
            vec![],
            vec![],
        ),
        (
            "a dead tracker AddTrackerIfMissing wants stays",
            list(false, &[(a, ""), (open, unreachable)]),
            &dead,
            vec![],
            vec![],
        ),
        (
            "no trackers: added to",
            list(false, &[]),
            &dead,
            vec!["udp://open.example:6969/announce"],
            vec![],
        ),
    ];
    for (name, l, texts, want_add, want_remove) in cases {
        let e = edit(&l, &[add.clone(), gone.clone()], texts);
        assert_eq!(e.add, want_add, "{name}");
        assert_eq!(e.remove, want_remove, "{name}");
        assert_eq!(e.is_empty(), e.why.is_empty(), "{name}: {}", e.why);
    }
}

#[test]
fn a_remove_if_exists_entry_speaks_for_no_torrent() {
    let gone = editing("Gone", "gone.example", None, true);
    let all = entry("All", "", i64::MIN);
    let urls = ["https://tracker.gone.example/announce"];
    assert_eq!(pick(std::slice::from_ref(&gone), &urls), None);
    assert_eq!(pick(&[gone, all], &urls), Some(1));
}

#[test]
fn the_queue_is_sorted_by_priority_with_one_call_per_key_above_the_lowest() {
    let q = |id: &'static str, position: i64, key: i64| Queued { id, position, key };
    let low = i64::MIN;
    type Case = (&'static str, Vec<Queued<&'static str>>, Vec<Vec<&'static str>>);
    let cases: Vec<Case> = vec![
        ("nothing queued", vec![], vec![]),
        (
            "in order already",
            vec![q("a", 1, 10), q("b", 2, 5), q("c", 3, low)],
            vec![],
        ),
        (
            "equals keep their order",
            vec![q("a", 1, 5), q("b", 2, 5), q("c", 7, low)],
            vec![],
        ),
        (
            "reversed",
            vec![q("c", 1, low), q("b", 2, 5), q("a", 3, 10)],
            vec![vec!["b"], vec!["a"]],
        ),
        (
            "a group moves together, in its queue order",
            vec![q("x", 4, 10), q("n", 1, low), q("y", 2, 10), q("m", 3, low)],
            vec![vec!["y", "x"]],
        ),
        (
            "one out of place",
            vec![q("a", 1, 10), q("c", 2, low), q("b", 3, 10)],
            vec![vec!["a", "b"]],
        ),
    ];
    for (name, downloads, want) in cases {
        let moves = queue_moves(&downloads);
        assert_eq!(moves, want, "{name}");
        // Applying the moves as qBittorrent does leaves the keys in order.
        let mut queue: Vec<Queued<&str>> = downloads.clone();
        queue.sort_by_key(|d| d.position);
        for group in &moves {
            let (mut top, rest): (Vec<_>, Vec<_>) = queue.into_iter().partition(|d| group.contains(&d.id));
            top.extend(rest);
            queue = top;
        }
        assert!(
            queue.windows(2).all(|w| w[0].key >= w[1].key),
            "{name}: {queue:?}"
        );
    }
}

#[test]
fn only_an_entry_with_sort_torrents_gives_a_sort_key() {
    let mut e = entry("A", "a.org", 7);
    assert_eq!(sort_key(Some(&e)), i64::MIN);
    e.sort = true;
    assert_eq!(sort_key(Some(&e)), 7);
    assert_eq!(sort_key(None), i64::MIN);
}
