//! The Arr client against the fake Radarr/Sonarr/Lidarr/Readarr servers
//! (built from the OpenAPI contracts): paging, per-kind ids and commands,
//! queue deletes, and error mapping.

use crate::support::fake_arr::{queue_record, FakeArr, FakeKind, KEY};
use qbitrr_lite::arr::{self, ArrClient, QueueDelete, QueueDeleteOptions};
use qbitrr_lite::config::{load_str, ArrKind, ImportMode};
use qbitrr_lite::http::HttpError;
use serde_json::json;

/// A client built, as the daemon builds it, from a `[<Kind>-Test]` section for `uri`.
fn client(kind: ArrKind, uri: &str, key: &str) -> ArrClient {
    let text = format!(
        "[qBit]\nHost = \"http://127.0.0.1:9\"\n\n\
         [{}-Test]\nURI = \"{uri}\"\nAPIKey = \"{key}\"\nCategory = \"test\"\n",
        kind.name()
    );
    let loaded = load_str(&text, "config.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
    ArrClient::new(&loaded.config.arrs[0])
}

fn kinds() -> [(ArrKind, FakeKind); 4] {
    [
        (ArrKind::Radarr, FakeKind::Radarr),
        (ArrKind::Sonarr, FakeKind::Sonarr),
        (ArrKind::Lidarr, FakeKind::Lidarr),
        (ArrKind::Readarr, FakeKind::Readarr),
    ]
}

fn hash(i: u64) -> String {
    format!("{i:040x}")
}

#[test]
fn the_whole_queue_is_read_page_by_page_for_every_kind() {
    for (kind, fake_kind) in kinds() {
        let fake = FakeArr::start(fake_kind, KEY);
        // 1,203 rows: three pages of 500; torrent 0 has two rows (two episodes/albums/books).
        let mut rows: Vec<_> = (0..1202)
            .map(|i| queue_record(fake_kind, i + 1, &hash(i), "t", i + 10))
            .collect();
        rows.push(queue_record(fake_kind, 5000, &hash(0), "t", 4999));
        fake.set_queue(rows);
        let client = client(kind, &fake.url(), KEY);
        let status = client.system_status().unwrap();
        assert_eq!(status.app_name, kind.name());
        let queue = client.queue().unwrap();
        assert_eq!(queue.len(), 1202, "{kind:?}");
        let first = &queue[&hash(0)];
        assert_eq!(first.ids, vec![1, 5000]);
        assert_eq!(
            first.media_ids,
            vec![10, 4999],
            "{kind:?}: searchable ids from {}",
            kind.media_id_field()
        );
        if kind != ArrKind::Radarr {
            assert_eq!(first.parent_id, Some(1010), "{kind:?}");
        }
        let pages = fake
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/queue"))
            .count();
        assert_eq!(pages, 3, "{kind:?}: pages read");
        for r in fake.requests().iter().filter(|r| r.path.ends_with("/queue")) {
            assert!(r.path.starts_with(kind.api_prefix()), "{}", r.summary());
            assert_eq!(r.query_value(kind.include_unknown_param()), Some("true"));
            assert!(r.has_api_key_header() && r.query_value("apikey").is_none());
        }
        // The per-kind commands are accepted by the fake (it knows each app's command names).
        let cmd = arr::search_command(kind, first).unwrap();
        assert!(client.command(&cmd).unwrap() > 0, "{kind:?} {cmd}");
        let import = arr::import_command(kind, "/data/x", &hash(0), ImportMode::Copy);
        let id = client.command(&import).unwrap();
        let state = client.command_state(id).unwrap().expect("known");
        assert_eq!(state.status, "completed");
        assert_eq!(
            client
                .find_command(kind.scan_command(), &hash(0).to_ascii_lowercase())
                .unwrap(),
            Some(id),
            "found in the command list by its download id, any case"
        );
        assert_eq!(client.command_state(987_654).unwrap(), None, "unknown: None");
        let posted = fake.commands_named(kind.scan_command());
        assert_eq!(posted[0]["downloadClientId"], json!(hash(0).to_uppercase()));
        assert_eq!(posted[0]["importMode"], "Copy");
    }
}

#[test]
fn queue_deletes_carry_their_flags_and_tolerate_404() {
    let fake = FakeArr::start(FakeKind::Sonarr, KEY);
    fake.set_queue(vec![queue_record(FakeKind::Sonarr, 7, &hash(1), "t", 3)]);
    let client = client(ArrKind::Sonarr, &fake.url(), KEY);
    let opts = QueueDeleteOptions {
        remove_from_client: false,
        blocklist: true,
        skip_redownload: true,
    };
    assert_eq!(client.delete_queue_item(7, opts).unwrap(), QueueDelete::Deleted);
    assert_eq!(client.delete_queue_item(7, opts).unwrap(), QueueDelete::NotFound);
    let (id, q) = &fake.queue_deletes()[0];
    assert_eq!(*id, 7);
    assert_eq!(q["blocklist"], "true");
    assert_eq!(q["removeFromClient"], "false");
    assert_eq!(q["skipRedownload"], "true");
}

#[test]
fn errors_are_typed() {
    let fake = FakeArr::start(FakeKind::Radarr, KEY);
    let wrong = client(ArrKind::Radarr, &fake.url(), "wrong");
    let err = wrong.queue().unwrap_err();
    assert!(
        matches!(err, HttpError::Auth { .. }) && !err.is_transient(),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong"), "the key never shows: {err}");

    let client = client(ArrKind::Radarr, &fake.url(), KEY);
    let err = client.command(&json!({"name": "NoSuchCommand"})).unwrap_err();
    assert!(matches!(err, HttpError::Status { status: 500, .. }), "{err}");

    fake.set_garbage(true);
    let err = client.queue().unwrap_err();
    assert!(
        matches!(err, HttpError::Decode { .. }) && err.is_transient(),
        "{err}"
    );
    fake.set_garbage(false);
    fake.set_down(true);
    let err = client.queue().unwrap_err();
    assert!(
        matches!(err, HttpError::Status { status: 503, .. }) && err.is_transient(),
        "{err}"
    );
    fake.set_down(false);
    assert!(client.queue().unwrap().is_empty());
}

#[test]
fn a_queue_answer_that_is_not_a_whole_queue_is_an_error_not_an_empty_queue() {
    let fake = FakeArr::start(FakeKind::Sonarr, KEY);
    let client = client(ArrKind::Sonarr, &fake.url(), KEY);
    let row = queue_record(FakeKind::Sonarr, 1, &hash(1), "One", 11);
    for (answer, why) in [
        (json!({}), "no records"),
        (json!({"page": 1, "records": []}), "no totalRecords"),
        (
            json!({"page": 1, "totalRecords": 1, "records": "none"}),
            "records not a list",
        ),
        (
            json!({"page": 1, "totalRecords": "1", "records": []}),
            "totalRecords not a number",
        ),
        (json!([]), "a list, not a page"),
        (
            json!({"page": 1, "totalRecords": 3, "records": [row]}),
            "fewer rows than totalRecords",
        ),
        (
            json!({"page": 1, "totalRecords": 1, "records": [{"downloadId": "X"}]}),
            "a row without an id",
        ),
    ] {
        fake.set_queue_answer(Some(answer));
        let err = client.queue().expect_err(why);
        assert!(
            matches!(err, HttpError::Decode { .. }) && err.is_transient(),
            "{why}: {err}"
        );
    }
    fake.set_queue_answer(None);
    fake.set_queue(vec![queue_record(FakeKind::Sonarr, 1, &hash(1), "One", 11)]);
    assert_eq!(client.queue().unwrap().len(), 1);
}
