//! The two traits the loop is written against; see the parent module.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::arr::{CommandState, QueueDelete, QueueDeleteOptions, SearchSeen, WantedList};
use crate::file_filter::TorrentFile;
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry, Torrent};
use crate::qbit::{ApiVersion, ListQuery, Setting, SyncItem};
use crate::search::profiles::ProfiledItem;
use crate::search::{OwnedItem, WantedItem};
use crate::tracker::{TrackerEdit, TrackerList};

/// What the loop needs from one qBittorrent instance. Shared by the workers
/// of every Arr that uses it, so `&self` and `Send + Sync`.
pub(crate) trait Qbittorrent: Send + Sync {
    /// The section name (`qBit` or `qBit-<Name>`).
    fn name(&self) -> &str;
    /// The WebUI address, for logs.
    fn url(&self) -> &str;
    /// `app/version`, e.g. "v4.5.2".
    fn version(&self) -> Result<String, HttpError>;
    /// The WebAPI version (`app/webapiVersion`), which chooses how the torrents are read.
    fn api_version(&self) -> Result<ApiVersion, HttpError>;
    /// The torrents `query` asks for (`torrents/info`), handed to `f` as they
    /// are read; on an error `f` may already have seen part of the list.
    fn torrents_where(&self, query: &ListQuery<'_>, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError>;
    /// `sync/maindata?rid=`, each part handed to `f` as it is read; on an
    /// error `f` may already have seen part of the answer.
    fn maindata(&self, rid: i64, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError>;
    /// Whether qBittorrent holds this torrent (in any category).
    fn has_torrent(&self, hash: &str) -> Result<bool, HttpError>;
    /// `transfer/info`'s `connection_status` (the filtered-list view reads it each time).
    fn connection_status(&self) -> Result<String, HttpError>;
    fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError>;
    fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError>;
    /// Starts (5.x) or resumes (4.x) torrents.
    fn resume(&self, hashes: &[&str]) -> Result<(), HttpError>;
    /// Stops (5.x) or pauses (4.x) torrents.
    fn pause(&self, hashes: &[&str]) -> Result<(), HttpError>;
    fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError>;
    /// `torrents/files`: the torrent's files (empty before its metadata is known).
    fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, HttpError>;
    /// `torrents/trackers`: whether the torrent is private, and its trackers' URLs.
    fn trackers(&self, hash: &str) -> Result<TrackerList, HttpError>;
    /// `torrents/filePrio` priority 0 for these file ids of one torrent.
    fn skip_files(&self, hash: &str, ids: &[u32]) -> Result<(), HttpError>;
    /// A rate limit or super-seeding on `hashes`.
    fn set(&self, hashes: &[&str], setting: Setting) -> Result<(), HttpError>;
    fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError>;
    fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError>;
    /// Moves these torrents to the top of the queue, keeping their order.
    fn top_priority(&self, hashes: &[&str]) -> Result<(), HttpError>;
    /// Adds and removes trackers of one torrent.
    fn edit_trackers(&self, hash: &str, edit: &TrackerEdit) -> Result<(), HttpError>;
    /// Records a failed call; true when this starts an outage, so exactly one worker reports it.
    fn mark_down(&self) -> bool;
    /// Records a good call; the outage's length when this ends one.
    fn mark_up(&self) -> Option<Duration>;
}

/// What the loop needs from one Arr instance (owned by its worker).
pub(crate) trait ArrApi: Send {
    fn kind(&self) -> ArrKind;
    /// The Arr's version, for `/api/status`.
    fn version(&self) -> Result<String, HttpError>;
    /// The whole queue, folded per download hash (lower case).
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError>;
    /// `DELETE queue/{id}`; a 404 is [`QueueDelete::NotFound`], not an error.
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError>;
    /// `POST command`; the command's id.
    fn command(&self, body: &Value) -> Result<i64, HttpError>;
    /// Where command `id` stands; `None` when the Arr no longer knows it.
    fn command_state(&self, id: i64) -> Result<Option<CommandState>, HttpError>;
    /// The newest command named `name` for download `download_id` the Arr still lists.
    fn find_command(&self, name: &str, download_id: &str) -> Result<Option<i64>, HttpError>;
    /// The newest command id the Arr lists, and whether a search for `media_ids` was
    /// queued after command `sent_after`.
    fn search_seen(&self, media_ids: &[i64], sent_after: Option<i64>) -> Result<SearchSeen, HttpError>;
    /// Every page of a wanted list, one page at a time; `Ok(false)` when the Arr has none.
    fn wanted(
        &self,
        list: WantedList,
        monitored: bool,
        page: &mut dyn FnMut(Vec<WantedItem>),
    ) -> Result<bool, HttpError>;
    /// How many `*Search` commands are queued or running.
    fn searches_running(&self) -> Result<usize, HttpError>;
    /// Sonarr's id of the series with TVDB id `tvdb`, if it has it.
    fn series_by_tvdb(&self, tvdb: i64) -> Result<Option<i64>, HttpError>;
    /// Each quality profile's minimum custom-format score.
    fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError>;
    /// Every library item that has a file, as it is read; `Ok(false)` when not read for this kind.
    fn library(&self, f: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError>;
    /// Each quality profile's id and name.
    fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError>;
    /// Every item that carries a quality profile (movie, series, artist, author), as it is read.
    fn profiled_items(&self, f: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError>;
    /// Gives the items `ids` quality profile `profile`.
    fn set_profile(&self, ids: &[i64], profile: i64) -> Result<(), HttpError>;
    /// The quality profile of Radarr's movie, Sonarr's series, Lidarr's artist or Readarr's
    /// author `id` (`None`: not known).
    fn profile_of(&self, id: i64) -> Result<Option<i64>, HttpError>;
}
