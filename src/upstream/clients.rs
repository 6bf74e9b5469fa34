//! The HTTP clients as the loop sees them: [`Qbittorrent`] for
//! [`QbitClient`] and [`ArrApi`] for [`ArrClient`], each call delegated.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::seams::{ArrApi, Qbittorrent};
use crate::arr::{ArrClient, CommandState, QueueDelete, QueueDeleteOptions, SearchSeen, WantedList};
use crate::file_filter::TorrentFile;
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry, Torrent};
use crate::qbit::{ApiVersion, ListQuery, QbitClient, Setting, SyncItem};
use crate::search::profiles::ProfiledItem;
use crate::search::{OwnedItem, WantedItem};
use crate::tracker::{TrackerEdit, TrackerList};

impl Qbittorrent for QbitClient {
    fn name(&self) -> &str {
        QbitClient::name(self)
    }
    fn url(&self) -> &str {
        QbitClient::url(self)
    }
    fn version(&self) -> Result<String, HttpError> {
        QbitClient::version(self)
    }
    fn api_version(&self) -> Result<ApiVersion, HttpError> {
        self.capabilities().map(|c| c.api)
    }
    fn torrents_where(&self, query: &ListQuery<'_>, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError> {
        QbitClient::torrents_where(self, query, f)
    }
    fn maindata(&self, rid: i64, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError> {
        QbitClient::maindata(self, rid, f)
    }
    fn has_torrent(&self, hash: &str) -> Result<bool, HttpError> {
        QbitClient::has_torrent(self, hash)
    }
    fn connection_status(&self) -> Result<String, HttpError> {
        QbitClient::connection_status(self)
    }
    fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError> {
        QbitClient::delete(self, hashes, delete_files)
    }
    fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError> {
        QbitClient::recheck(self, hashes)
    }
    fn resume(&self, hashes: &[&str]) -> Result<(), HttpError> {
        QbitClient::resume(self, hashes)
    }
    fn pause(&self, hashes: &[&str]) -> Result<(), HttpError> {
        QbitClient::pause(self, hashes)
    }
    fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError> {
        QbitClient::set_category(self, hashes, category)
    }
    fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, HttpError> {
        QbitClient::files(self, hash)
    }
    fn trackers(&self, hash: &str) -> Result<TrackerList, HttpError> {
        QbitClient::trackers(self, hash)
    }
    fn skip_files(&self, hash: &str, ids: &[u32]) -> Result<(), HttpError> {
        QbitClient::skip_files(self, hash, ids)
    }
    fn set(&self, hashes: &[&str], setting: Setting) -> Result<(), HttpError> {
        QbitClient::set(self, hashes, setting)
    }
    fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        QbitClient::add_tags(self, hashes, tags)
    }
    fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        QbitClient::remove_tags(self, hashes, tags)
    }
    fn top_priority(&self, hashes: &[&str]) -> Result<(), HttpError> {
        QbitClient::top_priority(self, hashes)
    }
    fn edit_trackers(&self, hash: &str, edit: &TrackerEdit) -> Result<(), HttpError> {
        QbitClient::edit_trackers(self, hash, edit)
    }
    fn mark_down(&self) -> bool {
        QbitClient::mark_down(self)
    }
    fn mark_up(&self) -> Option<Duration> {
        QbitClient::mark_up(self)
    }
}

impl ArrApi for ArrClient {
    fn kind(&self) -> ArrKind {
        ArrClient::kind(self)
    }
    fn version(&self) -> Result<String, HttpError> {
        self.system_status().map(|s| s.version)
    }
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        ArrClient::queue(self)
    }
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        ArrClient::delete_queue_item(self, id, opts)
    }
    fn command(&self, body: &Value) -> Result<i64, HttpError> {
        ArrClient::command(self, body)
    }
    fn command_state(&self, id: i64) -> Result<Option<CommandState>, HttpError> {
        ArrClient::command_state(self, id)
    }
    fn find_command(&self, name: &str, download_id: &str) -> Result<Option<i64>, HttpError> {
        ArrClient::find_command(self, name, download_id)
    }
    fn search_seen(&self, media_ids: &[i64], sent_after: Option<i64>) -> Result<SearchSeen, HttpError> {
        ArrClient::search_seen(self, media_ids, sent_after)
    }
    fn wanted(
        &self,
        list: WantedList,
        monitored: bool,
        page: &mut dyn FnMut(Vec<WantedItem>),
    ) -> Result<bool, HttpError> {
        ArrClient::wanted(self, list, monitored, page)
    }
    fn searches_running(&self) -> Result<usize, HttpError> {
        ArrClient::searches_running(self)
    }
    fn series_by_tvdb(&self, tvdb: i64) -> Result<Option<i64>, HttpError> {
        ArrClient::series_by_tvdb(self, tvdb)
    }
    fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError> {
        ArrClient::format_minimums(self)
    }
    fn library(&self, f: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError> {
        ArrClient::library(self, f)
    }
    fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError> {
        ArrClient::quality_profiles(self)
    }
    fn profiled_items(&self, f: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError> {
        ArrClient::profiled_items(self, f)
    }
    fn set_profile(&self, ids: &[i64], profile: i64) -> Result<(), HttpError> {
        ArrClient::set_profile(self, ids, profile)
    }
    fn profile_of(&self, id: i64) -> Result<Option<i64>, HttpError> {
        ArrClient::profile_of(self, id)
    }
}
