//! In-process recording fakes of [`Qbittorrent`] and [`ArrApi`] for unit
//! tests: they serve what the test gives them, record every call in one
//! shared [`Journal`] (so the order across qBittorrent and the Arr can be
//! asserted), and fail the calls the test names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use super::seams::{ArrApi, Qbittorrent};
use crate::arr::{CommandState, QueueDelete, QueueDeleteOptions, SearchSeen, WantedList};
use crate::file_filter::TorrentFile;
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry, Torrent};
use crate::qbit::{ApiVersion, ListFilter, ListQuery, Setting, SyncItem};
use crate::search::profiles::ProfiledItem;
use crate::search::{OwnedItem, WantedItem};
use crate::tracker::{TrackerEdit, TrackerList};

/// One call a fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    List(String),
    /// `has_torrent`.
    Lookup(String),
    Delete {
        hashes: Vec<String>,
        files: bool,
    },
    Recheck(Vec<String>),
    Resume(Vec<String>),
    Pause(Vec<String>),
    SetCategory {
        hashes: Vec<String>,
        category: String,
    },
    AddTags {
        hashes: Vec<String>,
        tags: Vec<String>,
    },
    Set {
        hashes: Vec<String>,
        setting: Setting,
    },
    RemoveTags {
        hashes: Vec<String>,
        tags: Vec<String>,
    },
    TopPriority(Vec<String>),
    EditTrackers {
        hash: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    Queue,
    QueueDelete {
        id: i64,
        blocklist: bool,
    },
    /// A command, by name.
    Command(String),
    /// `command_state`.
    CommandState(i64),
    /// `find_command`, by download id.
    FindCommand(String),
    /// `search_seen`, with the media ids.
    FindSearch(Vec<i64>),
    /// `wanted`, which list and whether monitored.
    Wanted(WantedList, bool),
    /// `searches_running`.
    SearchesRunning,
    /// `series_by_tvdb`.
    SeriesByTvdb(i64),
    /// `format_minimums`.
    FormatMinimums,
    /// `library`.
    Library,
    /// `quality_profiles`.
    QualityProfiles,
    /// `profiled_items`.
    ProfiledItems,
    /// `set_profile`: the items and the profile.
    SetProfile(Vec<i64>, i64),
    /// `profile_of`, by movie or series id.
    ProfileOf(i64),
    /// `files`, by hash.
    Files(String),
    /// `trackers`, by hash.
    Trackers(String),
    SkipFiles {
        hash: String,
        ids: Vec<u32>,
    },
}

impl Call {
    /// The name a test uses to make this kind of call fail.
    fn op(&self) -> &'static str {
        match self {
            Self::List(_) => "list",
            Self::Lookup(_) => "lookup",
            Self::Delete { .. } => "delete",
            Self::Recheck(_) => "recheck",
            Self::Resume(_) => "resume",
            Self::Pause(_) => "pause",
            Self::SetCategory { .. } => "set_category",
            Self::AddTags { .. } => "add_tags",
            Self::Set { .. } => "set",
            Self::RemoveTags { .. } => "remove_tags",
            Self::EditTrackers { .. } => "edit_trackers",
            Self::TopPriority(_) => "top_priority",
            Self::Queue => "queue",
            Self::QueueDelete { .. } => "queue_delete",
            Self::Command(_) => "command",
            Self::CommandState(_) => "command_state",
            Self::FindCommand(_) => "find_command",
            Self::FindSearch(_) => "find_search",
            Self::Wanted(..) => "wanted",
            Self::SearchesRunning => "searches_running",
            Self::SeriesByTvdb(_) => "series_by_tvdb",
            Self::FormatMinimums => "format_minimums",
            Self::Library => "library",
            Self::QualityProfiles => "quality_profiles",
            Self::ProfiledItems => "profiled_items",
            Self::SetProfile(..) => "set_profile",
            Self::ProfileOf(_) => "profile_of",
            Self::Files(_) => "files",
            Self::Trackers(_) => "trackers",
            Self::SkipFiles { .. } => "skip_files",
        }
    }
}

/// The calls of every fake sharing it, in order, and the calls to fail.
#[derive(Clone, Default)]
pub(crate) struct Journal {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Calls that fail, with the status and `Retry-After` they answer.
    failing: Arc<Mutex<HashMap<&'static str, Failure>>>,
}

/// How a scripted call fails: its status and `Retry-After`.
type Failure = (u16, Option<Duration>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Journal {
    pub(crate) fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }

    /// From now on, calls of this kind (see [`Call`]: "delete", "queue_delete", "command", …) fail.
    pub(crate) fn fail(&self, op: &'static str) {
        self.fail_with(op, 500, None);
    }

    /// From now on, calls of this kind answer `status`, with `retry_after` as `Retry-After`.
    pub(crate) fn fail_with(&self, op: &'static str, status: u16, retry_after: Option<Duration>) {
        lock(&self.failing).insert(op, (status, retry_after));
    }

    /// Calls of this kind answer again.
    pub(crate) fn heal(&self, op: &'static str) {
        lock(&self.failing).remove(op);
    }

    /// Forgets the calls recorded so far.
    pub(crate) fn clear(&self) {
        lock(&self.calls).clear();
    }

    /// Records the call, then answers as scripted.
    fn record(&self, call: Call) -> Result<(), HttpError> {
        let op = call.op();
        lock(&self.calls).push(call);
        if let Some(&(status, retry_after)) = lock(&self.failing).get(op) {
            return Err(HttpError::Status {
                endpoint: format!("fake {op}"),
                status,
                body: "scripted failure".into(),
                retry_after,
            });
        }
        Ok(())
    }
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// A qBittorrent that lists what the test put in it.
pub(crate) struct FakeQbit {
    name: String,
    journal: Journal,
    lists: Mutex<HashMap<String, Vec<Torrent>>>,
    down: Mutex<bool>,
    connection: Mutex<&'static str>,
    files: Mutex<HashMap<String, Vec<TorrentFile>>>,
    trackers: Mutex<HashMap<String, TrackerList>>,
}

impl FakeQbit {
    pub(crate) fn new(name: &str, journal: &Journal) -> Self {
        Self {
            name: name.to_string(),
            journal: journal.clone(),
            lists: Mutex::new(HashMap::new()),
            down: Mutex::new(false),
            connection: Mutex::new("connected"),
            files: Mutex::new(HashMap::new()),
            trackers: Mutex::new(HashMap::new()),
        }
    }

    /// Sets what `trackers(hash)` reports (by default: not private, no trackers).
    pub(crate) fn set_trackers(&self, hash: &str, list: TrackerList) {
        lock(&self.trackers).insert(hash.to_string(), list);
    }

    /// Sets what `files(hash)` reports; `skip_files` sets those ids to priority 0.
    pub(crate) fn set_files(&self, hash: &str, files: Vec<TorrentFile>) {
        lock(&self.files).insert(hash.to_string(), files);
    }

    /// The files of `hash` as they stand.
    pub(crate) fn files_of(&self, hash: &str) -> Vec<TorrentFile> {
        lock(&self.files).get(hash).cloned().unwrap_or_default()
    }

    /// Sets what `transfer/info` reports as `connection_status` (not journaled).
    pub(crate) fn set_connection(&self, status: &'static str) {
        *lock(&self.connection) = status;
    }

    /// What `torrents_each(category)` lists now.
    pub(crate) fn listed(&self, category: &str) -> Vec<Torrent> {
        lock(&self.lists).get(category).cloned().unwrap_or_default()
    }

    /// Sets what `torrents_each(category)` lists.
    pub(crate) fn list(&self, category: &str, torrents: Vec<Torrent>) {
        lock(&self.lists).insert(category.to_string(), torrents);
    }
}

impl Qbittorrent for FakeQbit {
    fn name(&self) -> &str {
        &self.name
    }
    fn url(&self) -> &str {
        "http://fake-qbittorrent"
    }
    fn version(&self) -> Result<String, HttpError> {
        Ok("v4.5.2".into())
    }
    fn api_version(&self) -> Result<ApiVersion, HttpError> {
        Ok(ApiVersion(2, 8, 19))
    }
    /// A category list records `List("<category>")` (`"<category>:downloading"` when
    /// filtered); a read by hashes records `Lookup("<hash>|<hash>…")`.
    fn torrents_where(&self, query: &ListQuery<'_>, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError> {
        if query.hashes.is_empty() {
            let category = query.category.unwrap_or("");
            self.journal.record(Call::List(match query.filter {
                ListFilter::All => category.to_string(),
                ListFilter::Downloading => format!("{category}:downloading"),
                ListFilter::Errored => format!("{category}:errored"),
            }))?;
        } else {
            self.journal.record(Call::Lookup(query.hashes.join("|")))?;
        }
        let listed: Vec<Torrent> = lock(&self.lists)
            .iter()
            .filter(|(c, _)| query.category.is_none_or(|q| q == c.as_str()))
            .flat_map(|(_, list)| list.iter())
            .filter(|t| query.filter.matches(t.state))
            .filter(|t| query.hashes.is_empty() || query.hashes.contains(&t.hash.as_str()))
            .cloned()
            .collect();
        listed.iter().for_each(f);
        Ok(())
    }
    fn maindata(&self, _rid: i64, _f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError> {
        Err(HttpError::Status {
            endpoint: format!("{} /api/v2/sync/maindata", self.name),
            status: 404,
            body: "the fake lists torrents only".into(),
            retry_after: None,
        })
    }
    fn connection_status(&self) -> Result<String, HttpError> {
        Ok(lock(&self.connection).to_string())
    }
    fn has_torrent(&self, hash: &str) -> Result<bool, HttpError> {
        self.journal.record(Call::Lookup(hash.to_string()))?;
        let lists = lock(&self.lists);
        Ok(lists.values().flatten().any(|t| t.hash == hash))
    }
    fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError> {
        self.journal.record(Call::Delete {
            hashes: owned(hashes),
            files: delete_files,
        })?;
        // Deleted torrents are listed no more.
        let mut lists = lock(&self.lists);
        for list in lists.values_mut() {
            list.retain(|t| !hashes.contains(&t.hash.as_str()));
        }
        Ok(())
    }
    fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.journal.record(Call::Recheck(owned(hashes)))
    }
    fn resume(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.journal.record(Call::Resume(owned(hashes)))
    }
    fn pause(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.journal.record(Call::Pause(owned(hashes)))
    }
    fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError> {
        self.journal.record(Call::SetCategory {
            hashes: owned(hashes),
            category: category.to_string(),
        })
    }
    fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, HttpError> {
        self.journal.record(Call::Files(hash.to_string()))?;
        Ok(self.files_of(hash))
    }
    fn trackers(&self, hash: &str) -> Result<TrackerList, HttpError> {
        self.journal.record(Call::Trackers(hash.to_string()))?;
        Ok(lock(&self.trackers).get(hash).cloned().unwrap_or_default())
    }
    fn skip_files(&self, hash: &str, ids: &[u32]) -> Result<(), HttpError> {
        self.journal.record(Call::SkipFiles {
            hash: hash.to_string(),
            ids: ids.to_vec(),
        })?;
        for file in lock(&self.files).get_mut(hash).into_iter().flatten() {
            if ids.contains(&file.index) {
                file.priority = 0;
            }
        }
        Ok(())
    }
    fn set(&self, hashes: &[&str], setting: Setting) -> Result<(), HttpError> {
        self.journal.record(Call::Set {
            hashes: owned(hashes),
            setting,
        })
    }
    fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        self.journal.record(Call::AddTags {
            hashes: owned(hashes),
            tags: owned(tags),
        })
    }
    fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        self.journal.record(Call::RemoveTags {
            hashes: owned(hashes),
            tags: owned(tags),
        })
    }
    fn top_priority(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.journal.record(Call::TopPriority(owned(hashes)))?;
        // As qBittorrent: to the top of the queue, keeping their order; the rest keep theirs.
        let mut lists = lock(&self.lists);
        let mut queue: Vec<(bool, i64, String)> = lists
            .values()
            .flatten()
            .filter(|t| t.queue_position > 0)
            .map(|t| {
                (
                    !hashes.contains(&t.hash.as_str()),
                    t.queue_position,
                    t.hash.clone(),
                )
            })
            .collect();
        queue.sort();
        for t in lists.values_mut().flatten() {
            if let Some(place) = queue.iter().position(|(_, _, h)| *h == t.hash) {
                t.queue_position = i64::try_from(place).unwrap_or(i64::MAX) + 1;
            }
        }
        Ok(())
    }
    fn edit_trackers(&self, hash: &str, edit: &TrackerEdit) -> Result<(), HttpError> {
        self.journal.record(Call::EditTrackers {
            hash: hash.to_string(),
            add: edit.add.clone(),
            remove: edit.remove.clone(),
        })?;
        let mut trackers = lock(&self.trackers);
        let list = trackers.entry(hash.to_string()).or_default();
        for url in &edit.remove {
            if let Some(i) = list.urls.iter().position(|u| u == url) {
                list.urls.remove(i);
                list.messages.remove(i);
            }
        }
        for url in &edit.add {
            list.urls.push(url.clone());
            list.messages.push(String::new());
        }
        Ok(())
    }
    fn mark_down(&self) -> bool {
        !std::mem::replace(&mut *lock(&self.down), true)
    }
    fn mark_up(&self) -> Option<Duration> {
        std::mem::replace(&mut *lock(&self.down), false).then_some(Duration::ZERO)
    }
}

/// An Arr whose queue is what the test put in it. Commands are numbered from 1 and
/// listed (name, download id); each is "completed" unless the test says otherwise.
/// A command the fake Arr lists.
struct Listed {
    id: i64,
    name: String,
    download_id: String,
    /// What a search was for.
    media_ids: Vec<i64>,
}

pub(crate) struct FakeArr {
    kind: ArrKind,
    journal: Journal,
    queue: Mutex<HashMap<String, QueueEntry>>,
    commands: Mutex<Vec<Listed>>,
    states: Mutex<HashMap<i64, Option<CommandState>>>,
    /// The wanted lists, by list and monitored; a list absent here is one the Arr lacks.
    wanted: Mutex<HashMap<(WantedList, bool), Vec<WantedItem>>>,
    /// What `searches_running` answers.
    running: Mutex<usize>,
    /// The bodies of the commands sent, in order.
    bodies: Mutex<Vec<Value>>,
    /// Commands are carried out, but their answers lost (a timeout).
    lose_answers: Mutex<bool>,
    /// The library's items with a file, and each profile's minimum custom-format score.
    library: Mutex<Vec<OwnedItem>>,
    minimums: Mutex<HashMap<i64, i64>>,
    /// The quality profiles (id, name), and the items that carry one (`set_profile` changes
    /// them).
    profiles: Mutex<Vec<(i64, String)>>,
    profiled: Mutex<Vec<ProfiledItem>>,
}

impl FakeArr {
    pub(crate) fn new(kind: ArrKind, journal: &Journal) -> Self {
        Self {
            kind,
            journal: journal.clone(),
            queue: Mutex::new(HashMap::new()),
            commands: Mutex::new(Vec::new()),
            states: Mutex::new(HashMap::new()),
            wanted: Mutex::new(HashMap::new()),
            running: Mutex::new(0),
            bodies: Mutex::new(Vec::new()),
            lose_answers: Mutex::new(false),
            library: Mutex::new(Vec::new()),
            minimums: Mutex::new(HashMap::new()),
            profiles: Mutex::new(Vec::new()),
            profiled: Mutex::new(Vec::new()),
        }
    }

    /// The quality profiles (id, name) and the items that carry one.
    pub(crate) fn set_profiled(&self, profiles: &[(i64, &str)], items: Vec<ProfiledItem>) {
        *lock(&self.profiles) = profiles.iter().map(|(id, n)| (*id, n.to_string())).collect();
        *lock(&self.profiled) = items;
    }

    /// The items that carry a profile, as they are now.
    pub(crate) fn profiled(&self) -> Vec<ProfiledItem> {
        lock(&self.profiled).clone()
    }

    /// Changes one item as the Arr would: its files arrived or went (`missing`), or someone
    /// gave it another profile.
    pub(crate) fn update_profiled(&self, id: i64, f: impl FnOnce(&mut ProfiledItem)) {
        if let Some(item) = lock(&self.profiled).iter_mut().find(|i| i.id == id) {
            f(item);
        }
    }

    /// The library's items with a file, and each profile's minimum custom-format score.
    pub(crate) fn set_library(&self, items: Vec<OwnedItem>, minimums: &[(i64, i64)]) {
        *lock(&self.library) = items;
        *lock(&self.minimums) = minimums.iter().copied().collect();
    }

    /// From now on (`true`), commands are carried out but answer with a timeout.
    pub(crate) fn lose_command_answers(&self, lose: bool) {
        *lock(&self.lose_answers) = lose;
    }

    /// The bodies of the commands sent so far, in order.
    pub(crate) fn sent_commands(&self) -> Vec<Value> {
        lock(&self.bodies).clone()
    }

    /// What the wanted list `list` holds (`monitored` or not), read in pages of 3.
    pub(crate) fn set_wanted(&self, list: WantedList, monitored: bool, items: Vec<WantedItem>) {
        lock(&self.wanted).insert((list, monitored), items);
    }

    /// How many searches the Arr says are queued or running.
    pub(crate) fn set_searches_running(&self, n: usize) {
        *lock(&self.running) = n;
    }

    /// What `command_state(id)` answers from now on (`None`: unknown to the Arr).
    pub(crate) fn set_command_state(&self, id: i64, state: Option<CommandState>) {
        lock(&self.states).insert(id, state);
    }

    /// A command the Arr lists though this fake was not sent it (one sent before a crash).
    pub(crate) fn list_command(&self, id: i64, name: &str, download_id: &str) {
        lock(&self.commands).push(Listed {
            id,
            name: name.to_string(),
            download_id: download_id.to_string(),
            media_ids: Vec::new(),
        });
    }

    /// A search the Arr lists though this fake was not told it went out (its answer was lost).
    pub(crate) fn list_search(&self, id: i64, media_ids: &[i64]) {
        let (name, _) = self.kind.search_command();
        lock(&self.commands).push(Listed {
            id,
            name: name.to_string(),
            download_id: String::new(),
            media_ids: media_ids.to_vec(),
        });
    }

    /// Takes a download out of the queue.
    pub(crate) fn dequeue(&self, hash: &str) {
        lock(&self.queue).remove(hash);
    }

    /// Puts a download (by lower-case hash) in the queue.
    pub(crate) fn enqueue(&self, hash: &str, entry: QueueEntry) {
        lock(&self.queue).insert(hash.to_string(), entry);
    }
}

impl ArrApi for FakeArr {
    fn kind(&self) -> ArrKind {
        self.kind
    }
    fn version(&self) -> Result<String, HttpError> {
        Ok("5.0.0".into())
    }
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        self.journal.record(Call::Queue)?;
        Ok(lock(&self.queue).clone())
    }
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        self.journal.record(Call::QueueDelete {
            id,
            blocklist: opts.blocklist,
        })?;
        Ok(QueueDelete::Deleted)
    }
    fn command(&self, body: &Value) -> Result<i64, HttpError> {
        let name = body.get("name").and_then(Value::as_str).unwrap_or("?");
        self.journal.record(Call::Command(name.to_string()))?;
        let download = body
            .get("downloadClientId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let (_, field) = self.kind.search_command();
        let media: Vec<i64> = body
            .get(field)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        lock(&self.bodies).push(body.clone());
        let mut commands = lock(&self.commands);
        let id = commands.iter().map(|c| c.id).max().unwrap_or(0) + 1;
        commands.push(Listed {
            id,
            name: name.to_string(),
            download_id: download,
            media_ids: media,
        });
        if *lock(&self.lose_answers) {
            return Err(HttpError::Unreachable {
                endpoint: "fake command".into(),
                detail: "timed out reading the answer".into(),
                source: None,
            });
        }
        Ok(id)
    }
    fn command_state(&self, id: i64) -> Result<Option<CommandState>, HttpError> {
        self.journal.record(Call::CommandState(id))?;
        Ok(lock(&self.states).get(&id).cloned().unwrap_or(Some(CommandState {
            status: "completed".into(),
            message: None,
        })))
    }
    fn find_command(&self, name: &str, download_id: &str) -> Result<Option<i64>, HttpError> {
        self.journal.record(Call::FindCommand(download_id.to_string()))?;
        Ok(lock(&self.commands)
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case(name) && c.download_id.eq_ignore_ascii_case(download_id))
            .map(|c| c.id)
            .max())
    }
    fn wanted(
        &self,
        list: WantedList,
        monitored: bool,
        page: &mut dyn FnMut(Vec<WantedItem>),
    ) -> Result<bool, HttpError> {
        self.journal.record(Call::Wanted(list, monitored))?;
        let Some(items) = lock(&self.wanted).get(&(list, monitored)).cloned() else {
            return Ok(false);
        };
        for chunk in items.chunks(3) {
            page(chunk.to_vec());
        }
        Ok(true)
    }
    fn searches_running(&self) -> Result<usize, HttpError> {
        self.journal.record(Call::SearchesRunning)?;
        Ok(*lock(&self.running))
    }
    /// Series `n` has TVDB id `n + 1000`, for n below 1000.
    fn series_by_tvdb(&self, tvdb: i64) -> Result<Option<i64>, HttpError> {
        self.journal.record(Call::SeriesByTvdb(tvdb))?;
        Ok(Some(tvdb - 1000).filter(|id| (0..1000).contains(id)))
    }
    fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError> {
        self.journal.record(Call::FormatMinimums)?;
        Ok(lock(&self.minimums).clone())
    }
    fn library(&self, f: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError> {
        self.journal.record(Call::Library)?;
        for item in lock(&self.library).clone() {
            f(item);
        }
        Ok(true)
    }
    fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError> {
        self.journal.record(Call::QualityProfiles)?;
        Ok(lock(&self.profiles).clone())
    }
    fn profiled_items(&self, f: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError> {
        self.journal.record(Call::ProfiledItems)?;
        for item in lock(&self.profiled).clone() {
            f(item);
        }
        Ok(())
    }
    /// The profile of the item `set_profiled` gave (by id).
    fn profile_of(&self, id: i64) -> Result<Option<i64>, HttpError> {
        self.journal.record(Call::ProfileOf(id))?;
        Ok(lock(&self.profiled)
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.profile))
    }
    fn set_profile(&self, ids: &[i64], profile: i64) -> Result<(), HttpError> {
        self.journal.record(Call::SetProfile(ids.to_vec(), profile))?;
        for item in lock(&self.profiled).iter_mut().filter(|i| ids.contains(&i.id)) {
            item.profile = profile;
        }
        Ok(())
    }
    fn search_seen(&self, media_ids: &[i64], sent_after: Option<i64>) -> Result<SearchSeen, HttpError> {
        self.journal.record(Call::FindSearch(media_ids.to_vec()))?;
        let (name, _) = self.kind.search_command();
        let commands = lock(&self.commands);
        Ok(SearchSeen {
            newest_id: commands.iter().map(|c| c.id).max().unwrap_or(0),
            already_queued: sent_after.is_some_and(|after| {
                commands
                    .iter()
                    .any(|c| c.id > after && c.name == name && c.media_ids == media_ids)
            }),
        })
    }
}

/// So a test can keep a handle on the fake Arr it hands to a worker.
impl<T: ArrApi + Sync> ArrApi for Arc<T> {
    fn kind(&self) -> ArrKind {
        T::kind(self)
    }
    fn version(&self) -> Result<String, HttpError> {
        T::version(self)
    }
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        T::queue(self)
    }
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        T::delete_queue_item(self, id, opts)
    }
    fn command(&self, body: &Value) -> Result<i64, HttpError> {
        T::command(self, body)
    }
    fn command_state(&self, id: i64) -> Result<Option<CommandState>, HttpError> {
        T::command_state(self, id)
    }
    fn find_command(&self, name: &str, download_id: &str) -> Result<Option<i64>, HttpError> {
        T::find_command(self, name, download_id)
    }
    fn search_seen(&self, media_ids: &[i64], sent_after: Option<i64>) -> Result<SearchSeen, HttpError> {
        T::search_seen(self, media_ids, sent_after)
    }
    fn wanted(
        &self,
        list: WantedList,
        monitored: bool,
        page: &mut dyn FnMut(Vec<WantedItem>),
    ) -> Result<bool, HttpError> {
        T::wanted(self, list, monitored, page)
    }
    fn searches_running(&self) -> Result<usize, HttpError> {
        T::searches_running(self)
    }
    fn series_by_tvdb(&self, tvdb: i64) -> Result<Option<i64>, HttpError> {
        T::series_by_tvdb(self, tvdb)
    }
    fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError> {
        T::format_minimums(self)
    }
    fn library(&self, f: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError> {
        T::library(self, f)
    }
    fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError> {
        T::quality_profiles(self)
    }
    fn profiled_items(&self, f: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError> {
        T::profiled_items(self, f)
    }
    fn set_profile(&self, ids: &[i64], profile: i64) -> Result<(), HttpError> {
        T::set_profile(self, ids, profile)
    }
    fn profile_of(&self, id: i64) -> Result<Option<i64>, HttpError> {
        T::profile_of(self, id)
    }
}
