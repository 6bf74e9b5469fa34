use super::*;

const NOW: UnixTime = 1_795_381_914; // 2026-11-22T21:11:54Z
const DAY_S: i64 = 86_400;

fn item(id: i64, date: Option<UnixTime>) -> WantedItem {
    WantedItem {
        id,
        parent: None,
        season: None,
        tmdb: None,
        title: format!("item {id}"),
        date,
        monitored: true,
    }
}

fn episode(id: i64, series: i64, season: i64, date: Option<UnixTime>) -> WantedItem {
    WantedItem {
        parent: Some(series),
        season: Some(season),
        ..item(id, date)
    }
}

fn cfg() -> EntrySearch {
    EntrySearch::default()
}

fn ranked(kind: ArrKind, cfg: &EntrySearch, items: Vec<(Reason, WantedItem)>) -> Vec<i64> {
    let mut picker = Picker::new(items.len());
    for (reason, item) in items {
        picker.offer(Candidate::new(reason, item, kind, cfg, NOW));
    }
    picker.best().iter().map(|c| c.item.id).collect()
}

#[test]
fn missing_comes_before_quality_then_newest_first_and_undated_last() {
    let items = vec![
        (Reason::Quality, item(1, Some(NOW - DAY_S))),
        (Reason::Missing, item(2, Some(NOW - 300 * DAY_S))),
        (Reason::Missing, item(3, None)),
        (Reason::Missing, item(4, Some(NOW - 2 * DAY_S))),
        (Reason::Quality, item(5, Some(NOW - 3 * DAY_S))),
    ];
    assert_eq!(ranked(ArrKind::Radarr, &cfg(), items.clone()), [4, 2, 3, 1, 5]);
    let reverse = EntrySearch {
        reverse: true,
        ..cfg()
    };
    assert_eq!(ranked(ArrKind::Radarr, &reverse, items), [2, 4, 3, 5, 1]);
}

#[test]
fn todays_episodes_go_first_on_sonarr_only_and_only_when_asked() {
    let today = NOW - 3600;
    let items = vec![
        (Reason::Missing, episode(1, 10, 1, Some(NOW + 30 * DAY_S))),
        (Reason::Missing, episode(2, 10, 1, Some(today))),
        (Reason::Missing, episode(3, 10, 1, Some(NOW - 2 * DAY_S))),
        (Reason::Quality, episode(4, 10, 1, Some(today))),
    ];
    assert_eq!(ranked(ArrKind::Sonarr, &cfg(), items.clone()), [2, 1, 3, 4]);
    let off = EntrySearch {
        today_first: false,
        ..cfg()
    };
    assert_eq!(ranked(ArrKind::Sonarr, &off, items.clone()), [1, 2, 3, 4]);
    // The reason still wins over today.
    assert_eq!(ranked(ArrKind::Radarr, &cfg(), items), [1, 2, 3, 4]);
}

#[test]
fn the_picker_keeps_the_same_best_as_a_full_sort_whatever_the_order_seen() {
    let mut rng = crate::test_rng::Rng(7);
    let items: Vec<(Reason, WantedItem)> = (0..2_000)
        .map(|id| {
            let reason = if rng.below(3) == 0 {
                Reason::Quality
            } else {
                Reason::Missing
            };
            let date =
                (rng.below(10) != 0).then(|| NOW - i64::try_from(rng.below(5_000)).unwrap_or(0) * DAY_S);
            (reason, item(id, date))
        })
        .collect();
    let full = ranked(ArrKind::Radarr, &cfg(), items.clone());
    for capacity in [0, 1, 7, 50, 1_999, 2_000, 5_000] {
        let mut picker = Picker::new(capacity);
        for (reason, item) in items.iter().rev().cloned() {
            picker.offer(Candidate::new(reason, item, ArrKind::Radarr, &cfg(), NOW));
        }
        assert_eq!(picker.seen, 2_000);
        let best: Vec<i64> = picker.best().iter().map(|c| c.item.id).collect();
        assert_eq!(best, full[..capacity.min(2_000)], "capacity {capacity}");
    }
}

#[test]
fn unmonitored_and_specials_are_left_out_unless_asked() {
    let unmonitored = WantedItem {
        monitored: false,
        ..item(1, None)
    };
    let special = episode(2, 10, 0, None);
    let regular = episode(3, 10, 1, None);
    let c = cfg();
    assert!(!eligible(ArrKind::Radarr, &unmonitored, &c));
    assert!(!eligible(ArrKind::Sonarr, &special, &c));
    assert!(eligible(ArrKind::Sonarr, &regular, &c));
    // Season 0 is only Sonarr's specials.
    assert!(eligible(ArrKind::Lidarr, &special, &c));
    let all = EntrySearch {
        unmonitored: true,
        specials: true,
        ..cfg()
    };
    assert!(eligible(ArrKind::Radarr, &unmonitored, &all));
    assert!(eligible(ArrKind::Sonarr, &special, &all));
}

fn picked(kind: ArrKind, items: Vec<WantedItem>) -> Vec<Candidate> {
    items
        .into_iter()
        .map(|i| Candidate::new(Reason::Missing, i, kind, &cfg(), NOW))
        .collect()
}

#[test]
fn one_command_per_item_with_each_kinds_name_and_field() {
    for (kind, body) in [
        (ArrKind::Radarr, json!({"name": "MoviesSearch", "movieIds": [5]})),
        (
            ArrKind::Sonarr,
            json!({"name": "EpisodeSearch", "episodeIds": [5]}),
        ),
        (ArrKind::Lidarr, json!({"name": "AlbumSearch", "albumIds": [5]})),
        (ArrKind::Readarr, json!({"name": "BookSearch", "bookIds": [5]})),
    ] {
        let item = WantedItem {
            parent: Some(1),
            ..item(5, None)
        };
        let searches = commands(kind, &picked(kind, vec![item]), SeriesSearch::Episode);
        assert_eq!(searches.len(), 1);
        assert_eq!(searches[0].body, body, "{kind:?}");
        assert_eq!(searches[0].media_ids, [5]);
    }
}

#[test]
fn series_search_groups_episodes_as_asked() {
    let eps = vec![
        episode(1, 10, 1, Some(NOW)),
        episode(2, 20, 3, Some(NOW - 1)),
        episode(3, 10, 1, Some(NOW - 2)),
        episode(4, 10, 2, Some(NOW - 3)),
    ];
    let p = picked(ArrKind::Sonarr, eps);
    let names = |by| -> Vec<Value> {
        commands(ArrKind::Sonarr, &p, by)
            .into_iter()
            .map(|s| s.body)
            .collect()
    };
    assert_eq!(
        names(SeriesSearch::Smart),
        [
            json!({"name": "SeasonSearch", "seriesId": 10, "seasonNumber": 1}),
            json!({"name": "EpisodeSearch", "episodeIds": [2]}),
            json!({"name": "EpisodeSearch", "episodeIds": [4]}),
        ]
    );
    assert_eq!(
        names(SeriesSearch::Series),
        [
            json!({"name": "SeriesSearch", "seriesId": 10}),
            json!({"name": "SeriesSearch", "seriesId": 20}),
        ]
    );
    assert_eq!(names(SeriesSearch::Episode).len(), 4);
    let season = &commands(ArrKind::Sonarr, &p, SeriesSearch::Smart)[0];
    assert_eq!(season.keys, ["s10:1", "e1", "e3"]);
    assert_eq!(season.media_ids, [1, 3]);
    // An episode's own keys include its season's and series', so either search covers it.
    assert_eq!(
        keys_of(ArrKind::Sonarr, &episode(3, 10, 1, None)),
        ["e3", "s10:1", "S10"]
    );
}

fn budget(per_hour: Option<u32>, per_day: Option<u32>) -> Budget {
    Budget::new(&EntrySearch {
        per_hour,
        per_day,
        ..cfg()
    })
}

#[test]
fn the_budget_allows_per_hour_and_per_day_and_frees_as_the_windows_move() {
    let mut b = budget(Some(2), Some(3));
    assert_eq!(b.next_at(NOW), None);
    b.spend(NOW);
    b.spend(NOW + 10);
    // The hour is spent: free when the first leaves it.
    assert_eq!(b.next_at(NOW + 20), Some(NOW + 3600));
    assert_eq!(b.left(NOW + 20).hour, Some(0));
    assert_eq!(b.left(NOW + 20).day, Some(1));
    assert_eq!(b.next_at(NOW + 3600), None);
    b.spend(NOW + 3600);
    // The day is spent: free when the first leaves the day, though the hour has room.
    assert_eq!(b.next_at(NOW + 3700), Some(NOW + DAY_S));
    assert_eq!(b.next_at(NOW + DAY_S), None);

    let mut unlimited = budget(None, None);
    for t in 0..1_000 {
        unlimited.spend(NOW + t);
    }
    assert_eq!(unlimited.next_at(NOW + 1_000), None);
    assert_eq!(unlimited.left(NOW).hour, None);
    // Nothing to count, so nothing kept: the stored budget stays the hold alone.
    assert_eq!(unlimited.encode().len(), 8);
    // An hourly limit keeps at most its last hour, and no more than the limit.
    let mut hourly = budget(Some(5), None);
    for t in 0..100 {
        hourly.spend(NOW + t * 60);
    }
    assert_eq!(hourly.encode().len(), 8 + 5 * 8);
    assert_eq!(hourly.next_at(NOW + 99 * 60), Some(NOW + 95 * 60 + 3600));
    assert_eq!(budget(Some(0), None).next_at(NOW), Some(UnixTime::MAX));
}

#[test]
fn a_hold_from_the_arr_stops_searches_until_it_ends() {
    let mut b = budget(None, None);
    b.hold(NOW + 120);
    b.hold(NOW + 60); // a shorter one does not shorten it
    assert_eq!(b.next_at(NOW), Some(NOW + 120));
    assert_eq!(b.left(NOW).held_until, Some(NOW + 120));
    assert_eq!(b.next_at(NOW + 120), None);
}

#[test]
fn the_budget_survives_a_restart_but_not_a_clock_in_the_future() {
    let mut b = budget(Some(5), Some(10));
    b.spend(NOW - 2 * DAY_S);
    b.spend(NOW - 100);
    b.spend(NOW - 10);
    b.hold(NOW + 50);
    let bytes = b.encode();
    let mut back = budget(Some(2), Some(10));
    back.restore(&bytes, NOW);
    assert_eq!(back.left(NOW).hour, Some(0));
    assert_eq!(back.next_at(NOW), Some(NOW + 3600 - 100));
    assert_eq!(back.left(NOW).held_until, Some(NOW + 50));

    let mut future = budget(Some(5), None);
    let mut far = budget(None, None);
    far.hold(NOW + 30 * DAY_S);
    future.restore(&far.encode(), NOW);
    assert_eq!(future.next_at(NOW), None);
    for damaged in [&b"abc"[..], &[], &[0u8; 7]] {
        let mut d = budget(Some(1), None);
        d.restore(damaged, NOW);
        assert_eq!(d.next_at(NOW), None);
    }
}
