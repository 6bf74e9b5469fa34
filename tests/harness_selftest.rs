//! Self-test of the integration-test harness in `tests/support/`: the fake
//! Arr contract (auth, paging and clamping, queue removal, commands, faults,
//! recording) and real qbittorrent-nox instances (a 20 MB torrent completing
//! through `addPeers`, a peerless torrent reaching `stalledDL`, a restart).
//! The qbittorrent-nox tests skip loudly when it is not installed, and fail
//! when `CI` is set.

use crate::support::fake_arr::{queue_record, DeleteFlags, FakeArr, FakeKind, KEY};
use crate::support::qbittorrent::{
    make_torrent, qbittorrent_tools, seed, AddOptions, QbitApi, QbitNox, COMPLETE_STATES,
};
use crate::support::util::{http, report, temp_dir, torrent_info_hash, Subdir};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn api(arr: &FakeArr, rest: &str) -> String {
    format!("{}{}{}", arr.url(), arr.kind().api_base(), rest)
}

fn get(arr: &FakeArr, rest: &str) -> crate::support::util::HttpReply {
    http("GET", &api(arr, rest), &[("X-Api-Key", KEY)], None)
}

#[test]
fn fake_arr_auth_follows_the_arrs() {
    for kind in FakeKind::ALL {
        let arr = FakeArr::start(kind, KEY);
        let status_url = api(&arr, "/system/status");

        let r = http("GET", &status_url, &[], None);
        assert_eq!((r.status, r.body.as_str()), (401, ""), "{kind:?} no key");
        let r = http("GET", &status_url, &[("X-Api-Key", "wrong")], None);
        assert_eq!((r.status, r.body.as_str()), (401, ""), "{kind:?} wrong key");

        let r = http("GET", &status_url, &[("X-Api-Key", KEY)], None);
        assert_eq!(r.status, 200);
        let s = r.json();
        assert_eq!(s["appName"], kind.app_name());
        assert_eq!(s["version"], kind.default_version());
        assert!(s["instanceName"].is_string() && s["startTime"].is_string());

        let r = http("GET", &format!("{status_url}?apikey={KEY}"), &[], None);
        assert_eq!(r.status, 200, "{kind:?} query key");
        let bearer = format!("Bearer {KEY}");
        let r = http("GET", &status_url, &[("Authorization", &bearer)], None);
        assert_eq!(r.status, 200, "{kind:?} bearer");
        // The query key is read first: a wrong one loses even with a good header.
        let r = http(
            "GET",
            &format!("{status_url}?apikey=wrong"),
            &[("X-Api-Key", KEY)],
            None,
        );
        assert_eq!(r.status, 401, "{kind:?} query beats header");

        // Other API version, unknown path, wrong method, /ping without a key.
        let other = if kind.api_base() == "/api/v3" {
            "/api/v1"
        } else {
            "/api/v3"
        };
        let r = http(
            "GET",
            &format!("{}{other}/system/status", arr.url()),
            &[("X-Api-Key", KEY)],
            None,
        );
        assert_eq!(r.status, 404);
        assert_eq!(get(&arr, "/nothing/here").status, 404);
        let r = http("POST", &status_url, &[("X-Api-Key", KEY)], Some("{}"));
        assert_eq!(r.status, 405);
        let r = http("GET", &format!("{}/ping", arr.url()), &[], None);
        assert_eq!((r.status, r.json()["status"].clone()), (200, json!("OK")));

        let reqs = arr.requests();
        assert_eq!(reqs.len(), 10);
        assert_eq!(reqs[0].status, 401);
        assert!(!reqs[0].has_api_key_header());
        assert_eq!(reqs[2].x_api_key.as_deref(), Some(KEY));
        assert_eq!(reqs[3].query_value("apikey"), Some(KEY));
        assert_eq!(reqs[4].authorization.as_deref(), Some(bearer.as_str()));
        assert_eq!(arr.mutating_requests().len(), 1);
    }
}

#[test]
fn fake_arr_queue_paging_and_clamping() {
    let arr = FakeArr::start(FakeKind::Radarr, KEY);
    let mut records: Vec<Value> = (1..=25)
        .map(|i| {
            queue_record(
                FakeKind::Radarr,
                i,
                &format!("{i:040x}"),
                &format!("Movie {i}"),
                100 + i,
            )
        })
        .collect();
    let mut unknown = queue_record(FakeKind::Radarr, 99, &"ab".repeat(20), "Unknown", 0);
    unknown["movieId"] = Value::Null;
    records.push(unknown);
    arr.set_queue(records);

    let p = get(&arr, "/queue").json();
    assert_eq!(p["page"], 1);
    assert_eq!(p["pageSize"], 10);
    assert_eq!(p["totalRecords"], 25, "unknown items hidden by default");
    assert_eq!(p["records"].as_array().unwrap().len(), 10);
    assert_eq!(p["sortKey"], "timeleft");
    assert_eq!(p["sortDirection"], "ascending");
    let r0 = &p["records"][0];
    assert_eq!(r0["downloadId"], format!("{:040X}", 1));
    for field in [
        "movieId",
        "status",
        "trackedDownloadState",
        "trackedDownloadStatus",
        "statusMessages",
        "protocol",
        "downloadClient",
        "outputPath",
        "size",
        "sizeleft",
        "timeleft",
    ] {
        assert!(r0.get(field).is_some(), "queue record lacks {field}");
    }

    let p = get(&arr, "/queue?page=3&pageSize=10").json();
    assert_eq!(
        (p["page"].clone(), p["records"].as_array().unwrap().len()),
        (json!(3), 5)
    );
    // Too-high page: the last page comes back, not an empty one.
    let p = get(&arr, "/queue?page=9&pageSize=10").json();
    assert_eq!(
        (p["page"].clone(), p["records"].as_array().unwrap().len()),
        (json!(3), 5)
    );
    let p = get(&arr, "/queue?pageSize=1000&includeUnknownMovieItems=true").json();
    assert_eq!(p["totalRecords"], 26);
    assert_eq!(p["records"].as_array().unwrap().len(), 26);
    let p = get(&arr, "/queue?pageSize=5&sortKey=id&sortDirection=descending").json();
    assert_eq!(p["records"][0]["id"], 25);
    assert_eq!(get(&arr, "/queue?page=abc").status, 400);

    let q = arr.requests();
    let last = q.last().unwrap();
    assert_eq!(last.query_value("page"), Some("abc"));
    assert!(arr.mutating_requests().is_empty());
}

#[test]
fn fake_arr_queue_delete_then_404() {
    let arr = FakeArr::start(FakeKind::Sonarr, KEY);
    let rec = queue_record(FakeKind::Sonarr, 5, &"cd".repeat(20), "Show.S01E01", 7);
    assert_eq!(
        (rec["episodeId"].clone(), rec["seriesId"].clone()),
        (json!(7), json!(1007))
    );
    arr.set_queue(vec![
        rec,
        queue_record(FakeKind::Sonarr, 6, &"ef".repeat(20), "Show.S01E02", 8),
        queue_record(FakeKind::Sonarr, 7, &"01".repeat(20), "Show.S01E03", 9),
    ]);
    let url = api(
        &arr,
        "/queue/5?removeFromClient=true&blocklist=true&skipRedownload=false",
    );
    let r = http("DELETE", &url, &[("X-Api-Key", KEY)], None);
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = http("DELETE", &url, &[("X-Api-Key", KEY)], None);
    assert_eq!(r.status, 404, "second delete of the same id");
    assert_eq!(
        http("GET", &api(&arr, "/queue/6"), &[("X-Api-Key", KEY)], None).status,
        405
    );
    let deletes = arr.queue_deletes();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].0, 5);
    assert_eq!(
        DeleteFlags::from_query(&deletes[0].1),
        DeleteFlags {
            remove_from_client: true,
            blocklist: true,
            skip_redownload: false,
            change_category: false
        }
    );
    assert_eq!(get(&arr, "/queue").json()["totalRecords"], 2);

    let r = http(
        "DELETE",
        &api(&arr, "/queue/bulk?removeFromClient=false&blocklist=false"),
        &[("X-Api-Key", KEY), ("Content-Type", "application/json")],
        Some(r#"{"ids":[6,12345]}"#),
    );
    assert_eq!((r.status, r.json()), (200, json!({})));
    assert_eq!(arr.queue().len(), 1);
    assert_eq!(arr.bulk_deletes()[0].0, vec![6, 12345]);
    let d = arr.queue_deletes();
    assert_eq!(d.len(), 2);
    assert!(!DeleteFlags::from_query(&d[1].1).remove_from_client);
    assert_eq!(arr.mutating_requests().len(), 3);
}

#[test]
fn fake_arr_commands() {
    for kind in FakeKind::ALL {
        let arr = FakeArr::start(kind, KEY);
        let url = api(&arr, "/command");
        let h = [("X-Api-Key", KEY), ("Content-Type", "application/json")];
        let scan = json!({"name": kind.scan_command(), "path": "/downloads/x", "downloadClientId": "AB".repeat(20), "importMode": "auto"});
        let r = http("POST", &url, &h, Some(&scan.to_string()));
        assert_eq!(r.status, 201, "{kind:?}");
        let c = r.json();
        assert_eq!(c["id"], 1);
        assert_eq!(c["name"], kind.scan_command());
        assert_eq!(c["status"], "queued");
        assert_eq!(c["trigger"], "manual");
        assert_eq!(c["body"], scan);
        assert!(c["queued"].as_str().unwrap().ends_with('Z'));
        let loc = r.header("location").expect("Location header").to_string();
        assert!(loc.ends_with(&format!("{}/command/1", kind.api_base())), "{loc}");

        let (search, field) = kind.search_command();
        let body = json!({"name": search.to_lowercase(), field: [42]});
        let r = http("POST", &url, &h, Some(&body.to_string()));
        assert_eq!(r.status, 201, "case-insensitive {search}");
        assert_eq!(
            (r.json()["id"].clone(), r.json()["name"].clone()),
            (json!(2), json!(search))
        );

        let r = http("POST", &url, &h, Some(r#"{"name":"NoSuchCommand"}"#));
        assert_eq!(r.status, 500);

        let r = http("GET", &loc, &[("X-Api-Key", KEY)], None);
        assert_eq!(r.json()["status"], "completed");
        assert_eq!(get(&arr, "/command/999").status, 404);
        assert_eq!(get(&arr, "/command").json().as_array().unwrap().len(), 2);

        assert_eq!(arr.commands().len(), 3, "all POSTed bodies are recorded");
        assert_eq!(arr.commands_named(kind.scan_command()), vec![scan.clone()]);
        assert_eq!(
            arr.wait_for_command(search, Duration::from_secs(1))[field],
            json!([42])
        );
        assert_eq!(arr.mutating_requests().len(), 3);
        assert_eq!(arr.mutating_requests()[0].body, scan.to_string());
    }
}

#[test]
fn fake_arr_fault_injection() {
    let arr = FakeArr::start(FakeKind::Lidarr, KEY);
    assert_eq!(get(&arr, "/system/status").status, 200);
    arr.set_down(true);
    assert_eq!(get(&arr, "/system/status").status, 503);
    assert_eq!(http("GET", &api(&arr, "/queue"), &[], None).status, 503);
    arr.set_down(false);
    arr.set_garbage(true);
    let r = get(&arr, "/queue");
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.body).is_err(), "{}", r.body);
    arr.set_garbage(false);
    assert_eq!(get(&arr, "/queue").json()["totalRecords"], 0);
    let statuses: Vec<u16> = arr.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 503, 503, 200, 200]);
    let rec = queue_record(FakeKind::Readarr, 1, &"aa".repeat(20), "Book", 3);
    assert_eq!(
        (rec["bookId"].clone(), rec["authorId"].clone()),
        (json!(3), json!(1003))
    );
    let rec = queue_record(FakeKind::Lidarr, 1, &"aa".repeat(20), "Album", 3);
    assert_eq!(
        (rec["albumId"].clone(), rec["artistId"].clone()),
        (json!(3), json!(1003))
    );
}

#[test]
fn qbittorrent_two_instances_complete_a_torrent_via_add_peers() {
    let Some(_) = qbittorrent_tools() else { return };
    let tmp = temp_dir("qbitrr-selftest-complete");
    let t0 = Instant::now();
    let seeder = QbitNox::start();
    let leecher = QbitNox::start();
    let started = t0.elapsed();
    let (s, l) = (seeder.api(), leecher.api());
    assert_eq!(s.webapi_version().split('.').next(), Some("2"));
    assert_ne!(seeder.peer_port(), leecher.peer_port());

    let t = Instant::now();
    let fx = make_torrent(&tmp.subdir("data"), "Some.Movie.2020.1080p.mkv", 20 << 20);
    let made = t.elapsed();
    assert_eq!(
        torrent_info_hash(&fx.torrent_bytes).as_deref(),
        Some(fx.hash.as_str())
    );

    let t = Instant::now();
    seed(&s, &fx, Duration::from_secs(20));
    let seeded = t.elapsed();

    l.create_category("radarr", "");
    let leech_dir = tmp.subdir("leech");
    l.add_torrent_file(
        &fx.torrent_bytes,
        &AddOptions {
            category: Some("radarr".into()),
            save_path: Some(leech_dir.display().to_string()),
            ..AddOptions::default()
        },
    );
    let hash = l.wait_for_hash_by_name(&fx.name, Duration::from_secs(10));
    assert_eq!(hash, fx.hash, "qBittorrent's hash equals ours");
    let t = Instant::now();
    let added = l.add_peers(&hash, &seeder.peer_addr());
    assert!(added.contains("\"added\":1"), "addPeers answered {added}");
    let done = l.wait_for(&hash, Duration::from_secs(30), |t| {
        t["progress"].as_f64() == Some(1.0)
            && t["state"].as_str().is_some_and(|s| COMPLETE_STATES.contains(&s))
    });
    let completed = t.elapsed();
    assert_eq!(done["category"], "radarr");
    assert_eq!(l.torrents(Some("radarr")).len(), 1);
    assert!(l.torrents(Some("sonarr")).is_empty());
    let got = std::fs::read(leech_dir.join(&fx.name)).expect("downloaded file");
    assert!(got == std::fs::read(&fx.data_path).unwrap(), "data differs");

    l.add_tags(&hash, "qbitrr-imported");
    l.pause(&hash);
    let t = l.wait_for_state(&hash, Duration::from_secs(10), &["pausedUP", "stoppedUP"]);
    assert!(t["tags"].as_str().unwrap().contains("qbitrr-imported"));
    l.delete(&hash, true);
    assert!(crate::support::util::wait_until(
        Duration::from_secs(10),
        Duration::from_millis(100),
        || l.torrent(&hash).is_none() && !leech_dir.join(&fx.name).exists()
    ));
    report(&format!(
        "TIMING two instances started in {started:?}; 20 MB fixture made in {made:?}; \
         seeder checked+seeding in {seeded:?}; leecher complete {completed:?} after addPeers"
    ));
}

#[test]
fn qbittorrent_peerless_torrent_stalls_and_survives_a_restart() {
    let Some(_) = qbittorrent_tools() else { return };
    let tmp = temp_dir("qbitrr-selftest-stall");
    let mut q = QbitNox::start();
    let api = q.api();
    assert!(q.log().contains("qBittorrent"), "log is readable");
    let fx = make_torrent(&tmp.subdir("data"), "Nobody.Seeds.This.mkv", 1 << 20);
    std::fs::remove_file(&fx.data_path).unwrap();

    let t = Instant::now();
    api.add_torrent_file(
        &fx.torrent_bytes,
        &AddOptions {
            category: Some("sonarr".into()),
            save_path: Some(tmp.subdir("leech").display().to_string()),
            ..AddOptions::default()
        },
    );
    let st = api.wait_for_state(&fx.hash, Duration::from_secs(15), &["stalledDL", "metaDL"]);
    let stalled = t.elapsed();
    assert_eq!(st["category"], "sonarr", "add created the category");
    assert_eq!(st["progress"].as_f64(), Some(0.0));

    // A paused add with tags; category handling; properties; delete.
    let fx2 = make_torrent(&tmp.subdir("data2"), "Paused.Album.flac", 1 << 20);
    api.add_torrent_file(
        &fx2.torrent_bytes,
        &AddOptions {
            paused: true,
            tags: Some("one,two".into()),
            ..AddOptions::default()
        },
    );
    let p = api.wait_for_state(&fx2.hash, Duration::from_secs(10), &["pausedDL", "stoppedDL"]);
    assert_eq!(p["tags"], "one, two", "tags come back joined with \", \"");
    api.create_category("lidarr", "/tmp/lidarr-downloads");
    api.set_category(&fx2.hash, "lidarr");
    assert_eq!(api.categories()["lidarr"]["savePath"], "/tmp/lidarr-downloads");
    assert_eq!(api.torrents(Some("lidarr")).len(), 1);
    let props = api.properties(&fx2.hash).expect("properties");
    assert!(props["save_path"].as_str().unwrap().contains("downloads"));
    assert!(api.properties(&"0".repeat(40)).is_none(), "unknown hash → 404");
    api.delete(&fx2.hash, false);
    assert!(crate::support::util::wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || api.torrent(&fx2.hash).is_none()
    ));
    assert!(fx2.data_path.exists(), "deleteFiles=false keeps the data");

    // Same profile and ports after a graceful restart; the old SID is gone
    // and the client logs in again by itself.
    let (port, sid) = (q.webui_port(), api.sid());
    let t = Instant::now();
    q.restart();
    let restarted = t.elapsed();
    assert_eq!(q.webui_port(), port);
    let t = Instant::now();
    let st = api.wait_for_state(&fx.hash, Duration::from_secs(15), &["stalledDL"]);
    let back = t.elapsed();
    assert_ne!(api.sid(), sid, "re-logged in after the restart");
    assert_eq!(st["category"], "sonarr");

    // Talking to a stopped instance is an error, not a hang.
    q.stop_process();
    assert!(QbitApi::new(&q.url()).try_login().is_err());
    q.start_again();
    q.stop();
    report(&format!(
        "TIMING peerless torrent stalledDL {stalled:?} after add; graceful restart {restarted:?}; \
         stalledDL again {back:?} after the restart"
    ));
}
