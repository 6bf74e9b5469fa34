//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz): each takes arbitrary bytes,
//! feeds them to one reader of untrusted input, and checks what must hold of the result.
//! A panic is a finding. Not part of the daemon's API.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::ReadMode;
use crate::file_filter::TorrentFile;
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry, Torrent};
use crate::qbit::{lock, parse_maindata, parse_torrents_each, ApiVersion, ListQuery, Setting, SyncItem};
use crate::tracker::{TrackerEdit, TrackerList};
use crate::upstream::Qbittorrent;
use crate::view::{View, ViewTimers, Watch};

/// `config.toml` as a user may write it, with environment overrides: the text up to the
/// first NUL, then `NAME=VALUE` lines.
pub fn config(data: &[u8]) {
    let (text, env) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let env: Vec<(String, String)> = String::from_utf8_lossy(env)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match crate::config::load_str(text, "config.toml", &env) {
        Ok(loaded) => {
            // What a loaded config promises the rest of the daemon.
            assert!(
                !loaded.config.qbit.is_empty(),
                "a config without a qBit section loaded"
            );
            for arr in &loaded.config.arrs {
                assert!(!arr.name.is_empty());
                let _ = crate::decide::Rules::from_config(&loaded.config.settings, arr);
            }
        }
        Err(e) => {
            // Every error names where it is.
            assert!(!e.to_string().is_empty());
        }
    }
}

/// A `torrents/info` answer, streamed; every torrent read goes into a view table and back.
pub fn torrents_info(data: &[u8]) {
    let mut table = crate::view::Table::default();
    let mut read = 0usize;
    let result = parse_torrents_each(data, |t| {
        read += 1;
        if let Some(id) = crate::model::TorrentId::parse(&t.hash) {
            table.upsert(id, t);
            let e = *table.get(&id).expect("a torrent just put in the table");
            let mut back = Torrent::default();
            e.fill(&mut back, &table);
            assert_eq!(back.state, t.state);
            assert_eq!(back.category, t.category);
        }
    });
    if result.is_ok() {
        assert!(table.entries().len() <= read);
    }
    assert!(table.entries().windows(2).all(|w| w[0].id < w[1].id));
}

/// A run of answers (separated by NUL bytes) a qBittorrent gives the shared view, read by
/// `sync/maindata` or by filtered lists as the first byte chooses: whatever they say, the view
/// stays a sorted set of torrents, and an answer it cannot apply is an error, not a panic.
pub fn view_answers(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let api = if mode & 1 == 0 {
        ApiVersion(2, 11, 2)
    } else {
        ApiVersion(2, 8, 19)
    };
    let answers: VecDeque<Vec<u8>> = rest.split(|b| *b == 0).map(<[u8]>::to_vec).collect();
    let client = Arc::new(Answers {
        api,
        answers: Mutex::new(answers),
    });
    let view = View::new(client.clone(), ViewTimers::default(), ReadMode::Auto);
    let watch = Watch {
        category: "radarr".into(),
        subcategories: crate::category::Subcategories {
            matched: mode & 2 != 0,
            yielded: Vec::new(),
        },
        special: vec!["failed".into(), "recheck".into()],
        add_tags: Vec::new(),
    };
    while !lock(&client.answers).is_empty() {
        let _ = view.sync(&watch, Duration::ZERO, 0);
        let state = view.lock();
        let entries = state.table.entries();
        assert!(
            entries.windows(2).all(|w| w[0].id < w[1].id),
            "the view is not a sorted set"
        );
        let _ = watch.own_ids(&state.table);
        let _ = state.managed_categories();
    }
}

/// The Arr answers the daemon decodes (the first byte chooses which): a queue page, folded
/// per download; a command's state or a request manager's answer; `system/status` or a wanted
/// page; the command list.
pub fn arr_json(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let kind = [
        ArrKind::Radarr,
        ArrKind::Sonarr,
        ArrKind::Lidarr,
        ArrKind::Readarr,
    ][usize::from(which >> 4) % 4];
    match which % 4 {
        0 => {
            let mut queue: HashMap<String, QueueEntry> = HashMap::new();
            let _ = crate::arr::fold_queue_page(kind, body, &mut queue);
            for (hash, entry) in &queue {
                assert_eq!(*hash, hash.to_ascii_lowercase());
                assert!(!entry.ids.is_empty());
            }
        }
        1 => {
            let _ = serde_json::from_slice::<crate::arr::CommandState>(body);
            // The request managers' answers (Overseerr's page, Ombi's lists).
            let source = crate::config::RequestSource {
                manager: crate::config::RequestManager::Overseerr,
                uri: String::new(),
                api_key: String::new(),
                approved_only: which & 1 == 1,
                skip_tls_verify: false,
                is_4k: which & 2 == 2,
            };
            let _ = crate::requests::overseerr_page(body, &source, &mut Default::default());
            let _ = crate::requests::ombi_movies(body, source.approved_only);
            let _ = crate::requests::ombi_series(body, source.approved_only);
        }
        2 => {
            let _ = serde_json::from_slice::<crate::arr::SystemStatus>(body);
            // A wanted page: every item it yields is searchable and orderable.
            if let Ok((_, items)) = crate::arr::wanted_page_in(kind, body) {
                let cfg = crate::config::EntrySearch::default();
                let mut picker = crate::search::Picker::new(5);
                for item in items {
                    let _ = crate::search::keys_of(kind, &item);
                    let candidate =
                        crate::search::Candidate::new(crate::search::Reason::Missing, item, kind, &cfg, 0);
                    picker.offer(candidate);
                }
                let picked = picker.best();
                let _ = crate::search::commands(kind, &picked, cfg.by_series);
            }
            // A library listing, through the temp-profile rules.
            if let Ok(items) = crate::arr::profiled_items_in(kind, body) {
                use crate::search::profiles::{step, Mapping, Rules, Switched};
                let profiles = [(1, "HD".to_string()), (2, "SD".to_string())];
                let (mapping, _) = Mapping::resolve(&[("HD".into(), "SD".into())], &profiles);
                let rules = Rules {
                    on: true,
                    keep: which & 1 == 1,
                    timeout: Some(3600),
                    unmonitored: which & 2 == 2,
                    force_reset: which & 4 == 4,
                };
                for item in items {
                    let record = Switched::decode(body.get(..25).unwrap_or_default());
                    let s = step(&item, record.as_ref(), &mapping, &rules, 7_200);
                    if let Some(change) = s.change {
                        assert_ne!(change.from, change.to);
                    }
                }
            }
        }
        _ => {
            let _ = crate::arr::searches_running_in(body);
            let _ = crate::arr::newest_command_in(body, "DownloadedMoviesScan", "ABC");
            let _ = crate::arr::search_seen_in(crate::model::ArrKind::Sonarr, body, &[1, 2], Some(3));
        }
    }
}

/// Bytes received on a status-server connection: every request they hold, pipelined, each
/// taking some bytes and no more than there are.
pub fn http_request(data: &[u8]) {
    let mut rest = data;
    loop {
        match crate::server::http1::parse(rest) {
            crate::server::http1::Parsed::Complete { request, consumed } => {
                assert!(consumed > 0 && consumed <= rest.len());
                assert!(request.body.len() <= crate::server::http1::MAX_BODY);
                let _ = request.path();
                rest = &rest[consumed..];
            }
            crate::server::http1::Parsed::Partial { .. } | crate::server::http1::Parsed::Rejected(_) => {
                return;
            }
        }
    }
}

/// A qBittorrent that answers each read with the next of its answers, and takes every action.
struct Answers {
    api: ApiVersion,
    answers: Mutex<VecDeque<Vec<u8>>>,
}

impl Answers {
    fn next(&self) -> Result<Vec<u8>, HttpError> {
        lock(&self.answers)
            .pop_front()
            .ok_or_else(|| HttpError::decode("fuzz", "no more answers"))
    }
}

impl Qbittorrent for Answers {
    fn name(&self) -> &str {
        "qBit"
    }
    fn url(&self) -> &str {
        "http://fuzz"
    }
    fn version(&self) -> Result<String, HttpError> {
        Ok("v5.1.0".into())
    }
    fn api_version(&self) -> Result<ApiVersion, HttpError> {
        Ok(self.api)
    }
    fn torrents_where(&self, _: &ListQuery<'_>, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError> {
        let answer = self.next()?;
        parse_torrents_each(&answer[..], f).map_err(|e| HttpError::decode("fuzz", e))
    }
    fn maindata(&self, _: i64, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError> {
        let answer = self.next()?;
        parse_maindata(&answer[..], f).map_err(|e| HttpError::decode("fuzz", e))
    }
    fn has_torrent(&self, _: &str) -> Result<bool, HttpError> {
        Ok(true)
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
    fn files(&self, _: &str) -> Result<Vec<TorrentFile>, HttpError> {
        Ok(Vec::new())
    }
    fn trackers(&self, _: &str) -> Result<TrackerList, HttpError> {
        Ok(TrackerList::default())
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
    fn edit_trackers(&self, _: &str, _: &TrackerEdit) -> Result<(), HttpError> {
        Ok(())
    }
    fn mark_down(&self) -> bool {
        false
    }
    fn mark_up(&self) -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    /// Every entry point takes the committed seeds without a finding (what the CI fuzz run
    /// starts from), and odd bytes too.
    #[test]
    fn the_seeds_and_odd_bytes_pass() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 5] = [
            ("config", super::config),
            ("torrents_info", super::torrents_info),
            ("view_answers", super::view_answers),
            ("arr_json", super::arr_json),
            ("http_request", super::http_request),
        ];
        for (name, target) in targets {
            let dir = root.join(name);
            let mut seeds = 0;
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
                let path = entry.unwrap().path();
                target(&std::fs::read(&path).unwrap());
                seeds += 1;
            }
            assert!(seeds > 0, "{name}: no seeds");
            for odd in [&b""[..], b"\0", b"\xff\xfe", b"{", b"[{\"hash\":", b"\0\0\0"] {
                target(odd);
            }
        }
    }
}
