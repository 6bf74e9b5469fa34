//! The view against an in-process qBittorrent that keeps per-session sync
//! state as qBittorrent does and answers in JSON (so the real readers parse
//! every answer): under churn — adds, removals, stop/start, completion,
//! recheck, category and tag changes — the view equals a full
//! `torrents/info` at every read (sync/maindata), or where its filtered
//! reads promise it (filtered lists); restarts, garbage and inconsistent
//! answers drop it and read everything again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use super::table::Entry;
use super::*;
use crate::model::TorrentState;
use crate::qbit::{parse_maindata, parse_torrents_each, Setting};
use crate::test_rng::Rng;

const CATEGORIES: [&str; 4] = ["radarr", "sonarr", "failed", "other"];
const WATCHED: [&str; 3] = ["radarr", "failed", "recheck"];

/// What a sync answer described: each torrent's fields.
type Described = HashMap<String, Map<String, Value>>;

/// qBittorrent as far as the view can tell: torrents as JSON objects, and one
/// session's last sync answer.
struct FakeSync {
    api: ApiVersion,
    torrents: Mutex<BTreeMap<String, Map<String, Value>>>,
    /// The session: the rid of the last answer and what it described.
    session: Mutex<(i64, Described)>,
    /// The next answer is this text instead.
    garbage: Mutex<Option<String>>,
    calls: Mutex<Vec<String>>,
    next: Mutex<u64>,
}

fn torrent_json(rng: &mut Rng, n: u64, category: &str) -> (String, Map<String, Value>) {
    let hash = format!("{:040x}", u128::from(n) * 0x9E37_79B9_7F4A_7C15 + 1);
    let complete = rng.below(10) < 9;
    let state = if complete {
        ["stalledUP", "uploading", "stoppedUP", "queuedUP"][rng.below(4) as usize]
    } else {
        [
            "downloading",
            "stalledDL",
            "metaDL",
            "stoppedDL",
            "error",
            "missingFiles",
        ][rng.below(6) as usize]
    };
    let size = 1_000_000 + rng.below(1 << 30) as i64;
    let left = if complete {
        0
    } else {
        rng.below(size as u64) as i64
    };
    let obj = json!({
        "name": format!("Some Release {n} 1080p"),
        "category": category,
        "state": state,
        "tags": match rng.below(4) {
            0 => "qBitrr-imported, x, y",
            1 => "x",
            2 => "y",
            _ => "",
        },
        "content_path": format!("/downloads/{category}/Some Release {n}"),
        "save_path": format!("/downloads/{category}"),
        "progress": 1.0 - left as f64 / size as f64,
        "ratio": rng.below(300) as f64 / 100.0,
        "amount_left": left,
        "size": size,
        "added_on": 1_700_000_000 + n as i64,
        "completion_on": if complete { 1_700_100_000 + n as i64 } else { -1 },
        "last_activity": 1_700_200_000 + rng.below(1000) as i64,
        "eta": if complete { 8_640_000 } else { rng.below(100_000) as i64 },
        "seeding_time": if complete { rng.below(1_000_000) as i64 } else { 0 },
        "max_ratio": -1,
        "max_seeding_time": -1,
        "dlspeed": rng.below(1000),
        "num_seeds": rng.below(50),
    });
    let Value::Object(map) = obj else { unreachable!() };
    (hash, map)
}

impl FakeSync {
    fn new(api: ApiVersion, n: u64, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let mut torrents = BTreeMap::new();
        for i in 0..n {
            let category = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
            let (hash, obj) = torrent_json(&mut rng, i, category);
            torrents.insert(hash, obj);
        }
        Self {
            api,
            torrents: Mutex::new(torrents),
            session: Mutex::new((0, HashMap::new())),
            garbage: Mutex::new(None),
            calls: Mutex::new(Vec::new()),
            next: Mutex::new(n),
        }
    }

    /// qBittorrent restarted: its sync state (and rid count) is gone.
    fn restart(&self) {
        *lock(&self.session) = (0, HashMap::new());
    }

    /// `count` changes of the kinds a library sees.
    fn churn(&self, rng: &mut Rng, count: usize) {
        let mut torrents = lock(&self.torrents);
        for _ in 0..count {
            let keys: Vec<String> = torrents.keys().cloned().collect();
            let hash = keys[rng.below(keys.len() as u64) as usize].clone();
            match rng.below(9) {
                0 => {
                    torrents.remove(&hash);
                }
                1 => {
                    let mut next = lock(&self.next);
                    *next += 1;
                    let category = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
                    let (h, obj) = torrent_json(rng, *next, category);
                    torrents.insert(h, obj);
                }
                2 => {
                    let t = torrents.get_mut(&hash).unwrap();
                    t.insert("category".into(), json!(CATEGORIES[rng.below(4) as usize]));
                }
                3 => {
                    let t = torrents.get_mut(&hash).unwrap();
                    t.insert(
                        "tags".into(),
                        json!(["", "a", "x, b", "qBitrr-imported, x"][rng.below(4) as usize]),
                    );
                }
                4 => {
                    // Completes.
                    let t = torrents.get_mut(&hash).unwrap();
                    t.insert("state".into(), json!("uploading"));
                    t.insert("amount_left".into(), json!(0));
                    t.insert("progress".into(), json!(1.0));
                    t.insert("completion_on".into(), json!(1_700_300_000));
                }
                5 => {
                    let t = torrents.get_mut(&hash).unwrap();
                    let stopped = t["state"].as_str().is_some_and(|s| s.starts_with("stopped"));
                    let done = t["amount_left"].as_i64() == Some(0);
                    let state = match (stopped, done) {
                        (true, true) => "stalledUP",
                        (true, false) => "downloading",
                        (false, true) => "stoppedUP",
                        (false, false) => "stoppedDL",
                    };
                    t.insert("state".into(), json!(state));
                }
                6 => {
                    let t = torrents.get_mut(&hash).unwrap();
                    t.insert("state".into(), json!("checkingUP"));
                }
                7 => {
                    let t = torrents.get_mut(&hash).unwrap();
                    let r = t["ratio"].as_f64().unwrap_or(0.0) + 0.25;
                    t.insert("ratio".into(), json!(r));
                    t.insert(
                        "last_activity".into(),
                        json!(1_700_400_000 + rng.below(1000) as i64),
                    );
                }
                _ => {
                    let t = torrents.get_mut(&hash).unwrap();
                    t.insert("dlspeed".into(), json!(rng.below(1000)));
                }
            }
        }
    }

    /// What `torrents/info` lists for these torrents: the view's entries to compare with.
    fn expected(&self, categories: &[&str], only: impl Fn(&Torrent) -> bool) -> Vec<Row> {
        let torrents = lock(&self.torrents);
        let body = Value::Array(
            torrents
                .iter()
                .map(|(h, t)| {
                    let mut t = t.clone();
                    t.insert("hash".into(), json!(h));
                    Value::Object(t)
                })
                .collect(),
        )
        .to_string();
        let mut table = Table::default();
        table.watch_tags(WATCHED_ADD_TAGS.iter().copied());
        parse_torrents_each(body.as_bytes(), |t| {
            if categories.contains(&t.category.as_str()) && only(t) {
                table.upsert(TorrentId::parse(&t.hash).unwrap(), t);
            }
        })
        .unwrap();
        project(&table, categories)
    }
}

/// A torrent as compared: its entry with its category as the string it stands for.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    category: String,
    tags: String,
    entry: Entry,
}

/// The rows of `categories` in `table`, sorted by id.
fn project(table: &Table, categories: &[&str]) -> Vec<Row> {
    let ids: Vec<u32> = categories
        .iter()
        .filter_map(|c| table.categories.find(c))
        .collect();
    table
        .entries()
        .iter()
        .filter(|e| ids.contains(&e.category))
        .map(|e| Row {
            category: table.categories.get(e.category).to_string(),
            tags: {
                let mut t = Torrent::default();
                e.fill(&mut t, table);
                t.tags.join(", ")
            },
            // A torrent list says nothing of trackers (compared in their own test).
            entry: Entry {
                category: 0,
                add_tags: 0,
                trackers: 0,
                ..*e
            },
        })
        .collect()
}

fn viewed(view: &View, categories: &[&str], only: impl Fn(&Torrent) -> bool) -> Vec<Row> {
    let state = view.lock();
    let mut rows = project(&state.table, categories);
    let mut t = Torrent::default();
    rows.retain(|r| {
        let mut e = r.entry;
        e.category = state.table.categories.find(&r.category).unwrap_or(0);
        e.fill(&mut t, &state.table);
        only(&t)
    });
    rows
}

fn render(value: &Value) -> String {
    value.to_string()
}

impl Qbittorrent for FakeSync {
    fn name(&self) -> &str {
        "qBit"
    }
    fn url(&self) -> &str {
        "http://fake"
    }
    fn version(&self) -> Result<String, HttpError> {
        Ok(format!("v{}", self.api))
    }
    fn api_version(&self) -> Result<ApiVersion, HttpError> {
        Ok(self.api)
    }
    fn torrents_where(&self, query: &ListQuery<'_>, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError> {
        lock(&self.calls).push(format!(
            "list {:?} {:?} {}",
            query.category,
            query.filter,
            query.hashes.len()
        ));
        let torrents = lock(&self.torrents);
        let mut items = Vec::new();
        for (h, t) in torrents.iter() {
            let state = TorrentState::parse(t["state"].as_str().unwrap_or(""));
            if query.category.is_some_and(|c| t["category"] != c)
                || !query.filter.matches(state)
                || (!query.hashes.is_empty() && !query.hashes.contains(&h.as_str()))
            {
                continue;
            }
            let mut t = t.clone();
            t.insert("hash".into(), json!(h));
            items.push(Value::Object(t));
        }
        let body = render(&Value::Array(items));
        parse_torrents_each(body.as_bytes(), f).map_err(|e| HttpError::decode("list", e.to_string()))
    }
    fn maindata(&self, rid: i64, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError> {
        lock(&self.calls).push(format!("maindata {rid}"));
        if let Some(text) = lock(&self.garbage).take() {
            return parse_maindata(text.as_bytes(), f)
                .map_err(|e| HttpError::decode("maindata", e.to_string()));
        }
        let torrents = lock(&self.torrents);
        let mut session = lock(&self.session);
        let (last_rid, last) = &mut *session;
        let full = rid == 0 || rid != *last_rid;
        let mut changed = Map::new();
        let mut removed = Vec::new();
        for (h, t) in torrents.iter() {
            match last.get(h).filter(|_| !full) {
                None => {
                    changed.insert(h.clone(), Value::Object(t.clone()));
                }
                Some(before) => {
                    let diff: Map<String, Value> = t
                        .iter()
                        .filter(|(k, v)| before.get(*k) != Some(*v))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if !diff.is_empty() {
                        changed.insert(h.clone(), Value::Object(diff));
                    }
                }
            }
        }
        if !full {
            removed.extend(last.keys().filter(|h| !torrents.contains_key(*h)).cloned());
        }
        *last_rid += 1;
        *last = torrents.iter().map(|(h, t)| (h.clone(), t.clone())).collect();
        let mut answer = json!({ "rid": *last_rid });
        if full {
            answer["full_update"] = json!(true);
            answer["server_state"] =
                json!({"connection_status": "connected", "free_space_on_disk": 123_456_789});
            answer["categories"] = json!({"radarr": {"name": "radarr", "savePath": ""}});
            answer["tags"] = json!(["qBitrr-imported"]);
            answer["trackers"] = json!({"http://tracker.example/announce": [torrents.keys().next()]});
        }
        if !changed.is_empty() {
            answer["torrents"] = Value::Object(changed);
        }
        if !removed.is_empty() {
            answer["torrents_removed"] = json!(removed);
        }
        drop(session);
        drop(torrents);
        let body = render(&answer);
        parse_maindata(body.as_bytes(), f).map_err(|e| HttpError::decode("maindata", e.to_string()))
    }
    fn has_torrent(&self, hash: &str) -> Result<bool, HttpError> {
        Ok(lock(&self.torrents).contains_key(hash))
    }
    fn connection_status(&self) -> Result<String, HttpError> {
        Ok("connected".into())
    }
    fn delete(&self, _: &[&str], _: bool) -> Result<(), HttpError> {
        Ok(())
    }
    fn recheck(&self, _: &[&str]) -> Result<(), HttpError> {
        Ok(())
    }
    fn resume(&self, _: &[&str]) -> Result<(), HttpError> {
        Ok(())
    }
    fn pause(&self, _: &[&str]) -> Result<(), HttpError> {
        Ok(())
    }
    fn set_category(&self, _: &[&str], _: &str) -> Result<(), HttpError> {
        Ok(())
    }
    fn files(&self, _: &str) -> Result<Vec<crate::file_filter::TorrentFile>, HttpError> {
        Ok(Vec::new())
    }
    fn trackers(&self, _: &str) -> Result<crate::tracker::TrackerList, HttpError> {
        unreachable!("the view never reads trackers")
    }
    fn skip_files(&self, _: &str, _: &[u32]) -> Result<(), HttpError> {
        Ok(())
    }
    fn set(&self, _: &[&str], _: Setting) -> Result<(), HttpError> {
        Ok(())
    }
    fn add_tags(&self, _: &[&str], _: &[&str]) -> Result<(), HttpError> {
        Ok(())
    }
    fn remove_tags(&self, _: &[&str], _: &[&str]) -> Result<(), HttpError> {
        Ok(())
    }
    fn top_priority(&self, _: &[&str]) -> Result<(), HttpError> {
        Ok(())
    }
    fn edit_trackers(&self, _: &str, _: &crate::tracker::TrackerEdit) -> Result<(), HttpError> {
        Ok(())
    }
    fn mark_down(&self) -> bool {
        false
    }
    fn mark_up(&self) -> Option<Duration> {
        None
    }
}

/// The AddTags names the tests' worker has: "x" is kept, the fake's other tags are not.
const WATCHED_ADD_TAGS: [&str; 1] = ["x"];

fn watch() -> Watch {
    Watch {
        category: "radarr".into(),
        subcategories: Default::default(),
        special: vec!["failed".into(), "recheck".into()],
        add_tags: WATCHED_ADD_TAGS.iter().map(|t| t.to_string()).collect(),
    }
}

fn view_of(fake: &Arc<FakeSync>, timers: ViewTimers) -> View {
    View::new(Arc::clone(fake) as Arc<dyn Qbittorrent>, timers, ReadMode::Auto)
}

fn diff(a: &[Row], b: &[Row]) -> String {
    let a: HashMap<_, _> = a.iter().map(|r| (r.entry.id, r)).collect();
    let b: HashMap<_, _> = b.iter().map(|r| (r.entry.id, r)).collect();
    let mut out = Vec::new();
    for (id, e) in &a {
        match b.get(id) {
            None => out.push(format!("only in the view: {id}")),
            Some(x) if x != e => out.push(format!("differs: {e:?}\n   qBittorrent: {x:?}")),
            _ => {}
        }
    }
    for id in b.keys().filter(|id| !a.contains_key(id)) {
        out.push(format!("missing from the view: {id}"));
    }
    out.truncate(5);
    out.join("\n")
}

#[test]
fn maindata_keeps_the_view_equal_to_a_full_list_under_churn_at_20000_torrents() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 11, 2), 20_000, 7));
    let view = view_of(&fake, ViewTimers::default());
    let mut rng = Rng(99);
    for round in 0..12 {
        view.sync(&watch(), Duration::ZERO, 0).unwrap();
        let (got, want) = (
            viewed(&view, &WATCHED, |_| true),
            fake.expected(&WATCHED, |_| true),
        );
        assert!(got == want, "round {round}:\n{}", diff(&got, &want));
        fake.churn(&mut rng, 200);
    }
    let state = view.lock();
    assert_eq!(state.mode, Some(Mode::MainData));
    assert_eq!(
        (
            state.reads.maindata_full,
            state.reads.maindata,
            state.reads.resets
        ),
        (1, 11, 0),
        "one full read, then only changes"
    );
    assert_eq!(state.server.free_space_on_disk, Some(123_456_789));
    assert_eq!(state.server.connection_status.as_deref(), Some("connected"));
    assert!(state.server.categories.contains("radarr"));
    // Every torrent is kept, whatever its category: ~128 bytes each.
    assert!(state.table.len() > 19_000);
    assert!(
        std::mem::size_of::<Entry>() <= 128,
        "{}",
        std::mem::size_of::<Entry>()
    );
}

#[test]
fn maindata_recovers_from_a_restart_garbage_and_an_inconsistent_answer() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 11, 2), 2_000, 3));
    let view = view_of(&fake, ViewTimers::default());
    let mut rng = Rng(5);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();

    // qBittorrent restarts mid-sync, and the library changed meanwhile: our rid means
    // nothing to it, it answers with a full update, which replaces the view.
    fake.churn(&mut rng, 300);
    fake.restart();
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let (got, want) = (
        viewed(&view, &WATCHED, |_| true),
        fake.expected(&WATCHED, |_| true),
    );
    assert!(got == want, "after a restart:\n{}", diff(&got, &want));

    // A torrent removed while the view was dropped is not in it afterwards.
    // Garbage: the read fails, the view is dropped, nothing stale stays in it.
    *lock(&fake.garbage) = Some(r#"{"rid": 9, "torrents": {"abc"#.into());
    assert!(view.sync(&watch(), Duration::ZERO, 0).is_err());
    {
        let state = view.lock();
        assert_eq!(state.table.len(), 0, "a failed read leaves nothing to decide on");
        assert!(!state.complete_for(&watch()));
    }
    fake.churn(&mut rng, 300);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert_eq!(lock(&fake.calls).last().map(String::as_str), Some("maindata 0"));
    let (got, want) = (
        viewed(&view, &WATCHED, |_| true),
        fake.expected(&WATCHED, |_| true),
    );
    assert!(got == want, "after garbage:\n{}", diff(&got, &want));

    // A partial update about a torrent the view never saw: read everything again at once.
    let rid = view.lock().rid;
    *lock(&fake.garbage) = Some(format!(
        r#"{{"rid": {}, "torrents": {{"{}": {{"ratio": 1.5}}}}}}"#,
        rid + 1,
        "f".repeat(40)
    ));
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert_eq!(lock(&fake.calls).last().map(String::as_str), Some("maindata 0"));
    assert!(view
        .lock()
        .table
        .get(&TorrentId::parse(&"f".repeat(40)).unwrap())
        .is_none());
    let resets = view.lock().reads.resets;
    assert_eq!(resets, 2, "garbage and the inconsistent answer");
}

#[test]
fn maindata_reads_everything_again_when_the_full_sync_timer_is_due() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 11, 2), 500, 11));
    let timers = ViewTimers {
        full_sync: Duration::ZERO,
        ..ViewTimers::default()
    };
    let view = view_of(&fake, timers);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert_eq!(*lock(&fake.calls), ["maindata 0", "maindata 0"]);
}

#[test]
fn a_view_read_recently_is_not_read_again() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 11, 2), 100, 1));
    let view = view_of(&fake, ViewTimers::default());
    view.sync(&watch(), Duration::from_secs(60), 0).unwrap();
    view.sync(&watch(), Duration::from_secs(60), 0).unwrap();
    assert_eq!(
        lock(&fake.calls).len(),
        1,
        "the second worker's pass used the first one's read"
    );
}

/// The view keeps of a torrent's tags only those the rules read (ours and the tracker entries'
/// AddTags), as bits: a library of many tag combinations costs nothing per combination, and an
/// AddTags name made known after a read makes the next read a whole one.
#[test]
fn only_the_tags_the_rules_read_are_kept_and_a_new_addtags_name_reads_everything_again() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 11, 2), 200, 3));
    let view = view_of(&fake, ViewTimers::default());
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let tags_of = |view: &View| -> Vec<String> {
        let mut seen: Vec<String> = view
            .torrents(&["radarr"])
            .iter()
            .flat_map(|t| t.tags.clone())
            .collect();
        seen.sort();
        seen.dedup();
        seen
    };
    assert_eq!(
        tags_of(&view),
        ["qBitrr-imported", "x"],
        "\"y\" is no AddTags name"
    );
    assert_eq!(lock(&fake.calls).as_slice(), ["maindata 0"]);

    let mut with_y = watch();
    with_y.add_tags.push("y".into());
    view.sync(&with_y, Duration::ZERO, 0).unwrap();
    assert_eq!(tags_of(&view), ["qBitrr-imported", "x", "y"]);
    assert_eq!(
        lock(&fake.calls).as_slice(),
        ["maindata 0", "maindata 0"],
        "read again whole"
    );

    let mut table = Table::default();
    table.watch_tags(["x"]);
    let mut t = Torrent {
        hash: "ab".repeat(20),
        category: "radarr".into(),
        tags: vec!["a".into(), "x".into(), "qBitrr-ignored".into(), "b".into()],
        ..Torrent::default()
    };
    let id = TorrentId::parse(&t.hash).unwrap();
    table.upsert(id, &t);
    let mut filled = Torrent::default();
    table.get(&id).unwrap().fill(&mut filled, &table);
    assert_eq!(filled.tags, ["qBitrr-ignored", "x"]);
    t.tags = vec!["b".into()];
    table.upsert(id, &t);
    table.get(&id).unwrap().fill(&mut filled, &table);
    assert!(filled.tags.is_empty(), "{:?}", filled.tags);

    // Merged from a table that numbers the names otherwise, the bits follow the names: "y" is
    // its first name and not one of this table's, where the first is "x".
    t.tags = vec!["x".into()];
    table.upsert(id, &t);
    let mut from = Table::default();
    from.watch_tags(["y", "x"]);
    t.tags = vec!["y".into()];
    from.upsert(id, &t);
    let mut tags_field = Fields::NONE;
    let answer = format!(r#"{{"rid":1,"torrents":{{"{}":{{"tags":"x, y"}}}}}}"#, t.hash);
    parse_maindata(answer.as_bytes(), &mut |item| {
        if let SyncItem::Torrent { present, .. } = item {
            tags_field = present;
        }
    })
    .unwrap();
    assert!(tags_field.has(Field::Tags));
    table.merge_from(from.get(&id).unwrap(), tags_field, &from);
    table.get(&id).unwrap().fill(&mut filled, &table);
    assert!(filled.tags.is_empty(), "{:?}", filled.tags);
}

/// Older qBittorrent: between whole lists, downloads and errored torrents are read every
/// pass, and those that left those lists by hash.
#[test]
fn filtered_lists_keep_every_unfinished_torrent_current_and_equal_at_each_sweep() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 8, 19), 5_000, 21));
    let timers = ViewTimers {
        full_list: Duration::from_secs(3600),
        ..ViewTimers::default()
    };
    let view = view_of(&fake, timers);
    let mut rng = Rng(4);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let (got, want) = (
        viewed(&view, &WATCHED, |_| true),
        fake.expected(&WATCHED, |_| true),
    );
    assert!(got == want, "first read:\n{}", diff(&got, &want));
    // What the filtered reads promise: whatever qBittorrent lists as downloading or errored.
    let unfinished =
        |t: &Torrent| ListFilter::Downloading.matches(t.state) || ListFilter::Errored.matches(t.state);
    let mine = ["radarr"];
    for round in 0..10 {
        lock(&fake.calls).clear();
        fake.churn(&mut rng, 100);
        view.sync(&watch(), Duration::ZERO, 0).unwrap();
        // Every download of the category is in the view as qBittorrent lists it.
        let want = fake.expected(&mine, unfinished);
        let got = viewed(&view, &mine, unfinished);
        let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} not current: {:?}",
            missing.len(),
            missing.first()
        );
        let calls = lock(&fake.calls).clone();
        assert!(
            calls.iter().all(|c| !c.contains("All 0")),
            "round {round}: no whole list between sweeps: {calls:?}"
        );
    }
    // A sweep makes it whole again.
    let mut state = view.lock();
    for l in &mut state.listed {
        l.full_at = None;
    }
    drop(state);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let (got, want) = (
        viewed(&view, &WATCHED, |_| true),
        fake.expected(&WATCHED, |_| true),
    );
    assert!(got == want, "after the sweep:\n{}", diff(&got, &want));
    assert_eq!(view.mode(), Some(Mode::Lists));
}

#[test]
fn a_completed_download_is_seen_on_the_next_read_with_filtered_lists() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 8, 19), 300, 8));
    let view = view_of(&fake, ViewTimers::default());
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let hash = {
        let torrents = lock(&fake.torrents);
        torrents
            .iter()
            .find(|(_, t)| t["category"] == "radarr" && t["state"] == "downloading")
            .map(|(h, _)| h.clone())
            .expect("a download in radarr")
    };
    {
        let mut torrents = lock(&fake.torrents);
        let t = torrents.get_mut(&hash).unwrap();
        t.insert("state".into(), json!("stalledUP"));
        t.insert("amount_left".into(), json!(0));
    }
    let before = view.lock().table.changes_of("radarr");
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let state = view.lock();
    let e = state.table.get(&TorrentId::parse(&hash).unwrap()).unwrap();
    assert_eq!(e.state, TorrentState::StalledUp);
    assert_eq!(
        state.table.changes_of("radarr"),
        before,
        "a completion alone does not make the queue worth reading"
    );
    drop(state);
    // A torrent moved out of the category does.
    {
        let mut torrents = lock(&fake.torrents);
        torrents
            .get_mut(&hash)
            .unwrap()
            .insert("category".into(), json!("other"));
    }
    view.lock().listed.iter_mut().for_each(|l| l.full_at = None);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let state = view.lock();
    assert!(
        state.table.changes_of("radarr") > before,
        "a torrent left the category"
    );
    assert!(
        lock(&fake.calls).iter().any(|c| c.ends_with(" 1")),
        "looked up by hash"
    );
}

#[test]
fn tracker_urls_follow_sync_maindata_per_torrent() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 11, 2), 50, 2));
    let view = view_of(&fake, ViewTimers::default());
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    let hashes: Vec<String> = lock(&fake.torrents).keys().take(2).cloned().collect();
    let (first, second) = (&hashes[0], &hashes[1]);
    let main = "http://tracker.example/announce";
    assert_eq!(view.trackers_of(first), [main]);
    assert!(view.trackers_of(second).is_empty());

    // A URL's list is replaced whole; another URL is added.
    let rid = view.lock().rid;
    *lock(&fake.garbage) = Some(format!(
        r#"{{"rid": {}, "trackers": {{"{main}": ["{second}"], "udp://other.example:6969/announce": ["{first}", "{second}"]}}}}"#,
        rid + 1
    ));
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert_eq!(view.trackers_of(first), ["udp://other.example:6969/announce"]);
    assert_eq!(
        view.trackers_of(second),
        [main, "udp://other.example:6969/announce"]
    );

    // A URL no torrent announces to any more.
    *lock(&fake.garbage) = Some(format!(
        r#"{{"rid": {}, "trackers_removed": ["udp://other.example:6969/announce"]}}"#,
        rid + 2
    ));
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert!(view.trackers_of(first).is_empty());
    assert_eq!(view.trackers_of(second), [main]);
    // Torrents that share their trackers share one set.
    let state = view.lock();
    let sets: HashSet<u32> = state.table.entries().iter().map(|e| e.trackers).collect();
    assert!(sets.len() <= 3, "{sets:?}");
}

/// MatchSubcategories: the torrents of every subcategory the worker owns are in the view and
/// its own ids, read either way; a more specific owner's and a look-alike's are not its own.
#[test]
fn subcategories_are_read_and_owned_in_both_modes() {
    const SUBCATEGORIES: [&str; 7] = [
        "radarr",
        "radarr/4k",
        "radarr/4k/hdr",
        "radarr/kids",
        "radarrx",
        "sonarr",
        "failed",
    ];
    let watch = Watch {
        category: "radarr".into(),
        subcategories: crate::category::Subcategories {
            matched: true,
            yielded: vec![("radarr/kids".into(), false)],
        },
        special: vec!["failed".into(), "recheck".into()],
        add_tags: WATCHED_ADD_TAGS.iter().map(|t| t.to_string()).collect(),
    };
    let own = ["radarr", "radarr/4k", "radarr/4k/hdr"];
    let relabel = |fake: &FakeSync, rng: &mut Rng, count: usize| {
        let mut torrents = lock(&fake.torrents);
        let keys: Vec<String> = torrents.keys().cloned().collect();
        for _ in 0..count {
            let hash = &keys[rng.below(keys.len() as u64) as usize];
            let category = SUBCATEGORIES[rng.below(SUBCATEGORIES.len() as u64) as usize];
            if let Some(t) = torrents.get_mut(hash) {
                t.insert("category".into(), json!(category));
            }
        }
    };
    for api in [ApiVersion(2, 8, 19), ApiVersion(2, 11, 2)] {
        let fake = Arc::new(FakeSync::new(api, 2_000, 31));
        let mut rng = Rng(7);
        relabel(&fake, &mut rng, 2_000);
        let timers = ViewTimers {
            full_list: Duration::from_secs(3600),
            ..ViewTimers::default()
        };
        let view = view_of(&fake, timers);
        let unfinished =
            |t: &Torrent| ListFilter::Downloading.matches(t.state) || ListFilter::Errored.matches(t.state);
        for round in 0..8 {
            if round > 0 {
                fake.churn(&mut rng, 50);
                relabel(&fake, &mut rng, 50);
            }
            let sweep = round % 2 == 0;
            if sweep {
                view.lock().listed.iter_mut().for_each(|l| l.full_at = None);
            }
            lock(&fake.calls).clear();
            view.sync(&watch, Duration::ZERO, 0).unwrap();
            let state = view.lock();
            let ids = watch.own_ids(&state.table);
            let mut names: Vec<&str> = ids.iter().map(|&i| state.table.categories.get(i)).collect();
            names.sort_unstable();
            names.dedup();
            assert!(
                names.iter().all(|n| own.contains(n)),
                "{api}: own ids name only owned categories: {names:?}"
            );
            drop(state);
            let only: &dyn Fn(&Torrent) -> bool = if sweep || api >= MAINDATA_FROM {
                &|_| true
            } else {
                &unfinished
            };
            let (got, want) = (viewed(&view, &own, only), fake.expected(&own, only));
            assert!(got == want, "{api} round {round}:\n{}", diff(&got, &want));
            if api < MAINDATA_FROM {
                let calls = lock(&fake.calls).clone();
                assert!(
                    calls.iter().all(|c| !c.starts_with("list Some(\"radarr\")")),
                    "{api}: a category with subcategories is listed without the filter: {calls:?}"
                );
            }
        }
    }
}

/// Filtered lists carry one announce URL per torrent, the tracker that answered last: the view
/// keeps it, so the entry that speaks for the torrent is known without reading its trackers.
#[test]
fn filtered_lists_keep_the_tracker_that_answered_last() {
    let fake = Arc::new(FakeSync::new(ApiVersion(2, 8, 19), 40, 5));
    let (answered, silent) = {
        let mut torrents = lock(&fake.torrents);
        let mut radarr = torrents
            .iter_mut()
            .filter(|(_, t)| t["category"] == "radarr")
            .map(|(h, t)| (h.clone(), t));
        let (a, t) = radarr.next().expect("a radarr torrent");
        t.insert("tracker".into(), json!("https://t.example/announce?k=1"));
        let (b, t) = radarr.next().expect("another");
        t.insert("tracker".into(), json!(""));
        (a, b)
    };
    let view = view_of(&fake, ViewTimers::default());
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert_eq!(view.mode(), Some(Mode::Lists));
    assert_eq!(view.trackers_of(&answered), ["https://t.example/announce?k=1"]);
    assert!(view.trackers_of(&silent).is_empty());
    // It stops answering: gone from the view too.
    lock(&fake.torrents)
        .get_mut(&answered)
        .unwrap()
        .insert("tracker".into(), json!(""));
    view.lock().listed.iter_mut().for_each(|l| l.full_at = None);
    view.sync(&watch(), Duration::ZERO, 0).unwrap();
    assert!(view.trackers_of(&answered).is_empty());
}
