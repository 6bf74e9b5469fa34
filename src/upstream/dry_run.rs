//! The dry run as one implementation: [`DryRun`] wraps a real client, passes
//! every read through, and answers every change as if it had worked after
//! logging what it would have sent — once per distinct call, so a decision
//! that repeats every pass is not announced every pass.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use log::info;
use serde_json::Value;

use super::seams::{ArrApi, Qbittorrent};
use crate::arr::{CommandState, QueueDelete, QueueDeleteOptions, SearchSeen, WantedList};
use crate::file_filter::TorrentFile;
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry, Torrent};
use crate::qbit::{ApiVersion, ListQuery, Setting, SyncItem};
use crate::search::profiles::ProfiledItem;
use crate::search::{OwnedItem, WantedItem};
use crate::tracker::{TrackerEdit, TrackerList};

/// The id a dry run's commands get (the Arrs number theirs from 1).
const DRY_RUN_COMMAND: i64 = 0;

/// A client that reads for real and changes nothing.
pub(crate) struct DryRun<C> {
    inner: C,
    /// The changes already announced.
    announced: Mutex<HashSet<String>>,
}

impl<C> DryRun<C> {
    pub(crate) fn new(inner: C) -> Self {
        Self {
            inner,
            announced: Mutex::new(HashSet::new()),
        }
    }

    /// Logs "would …" the first time this exact change comes up; always succeeds.
    fn would(&self, target: &str, change: String) -> Result<(), HttpError> {
        let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
        if !announced.contains(&change) {
            info!("[dry-run] {target}: would {change}");
            announced.insert(change);
        }
        Ok(())
    }
}

impl<C: Qbittorrent> Qbittorrent for DryRun<C> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn url(&self) -> &str {
        self.inner.url()
    }
    fn version(&self) -> Result<String, HttpError> {
        self.inner.version()
    }
    fn api_version(&self) -> Result<ApiVersion, HttpError> {
        self.inner.api_version()
    }
    fn torrents_where(&self, query: &ListQuery<'_>, f: &mut dyn FnMut(&Torrent)) -> Result<(), HttpError> {
        self.inner.torrents_where(query, f)
    }
    fn maindata(&self, rid: i64, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), HttpError> {
        self.inner.maindata(rid, f)
    }
    fn has_torrent(&self, hash: &str) -> Result<bool, HttpError> {
        self.inner.has_torrent(hash)
    }
    fn connection_status(&self) -> Result<String, HttpError> {
        self.inner.connection_status()
    }
    fn delete(&self, hashes: &[&str], delete_files: bool) -> Result<(), HttpError> {
        let files = if delete_files { "with" } else { "without" };
        let change = format!("delete {} {files} files", hashes.join(","));
        self.would(self.name(), change)
    }
    fn recheck(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.would(self.name(), format!("recheck {}", hashes.join(",")))
    }
    fn resume(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.would(self.name(), format!("resume {}", hashes.join(",")))
    }
    fn pause(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.would(self.name(), format!("pause {}", hashes.join(",")))
    }
    fn set_category(&self, hashes: &[&str], category: &str) -> Result<(), HttpError> {
        let change = format!("move {} to category {category:?}", hashes.join(","));
        self.would(self.name(), change)
    }
    fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, HttpError> {
        self.inner.files(hash)
    }
    fn trackers(&self, hash: &str) -> Result<TrackerList, HttpError> {
        self.inner.trackers(hash)
    }
    fn skip_files(&self, hash: &str, ids: &[u32]) -> Result<(), HttpError> {
        let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
        let change = format!("skip files {} of {hash}", ids.join(","));
        self.would(self.name(), change)
    }
    fn set(&self, hashes: &[&str], setting: Setting) -> Result<(), HttpError> {
        self.would(self.name(), format!("set {setting} on {}", hashes.join(",")))
    }
    fn add_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        let change = format!("tag {} with {}", hashes.join(","), tags.join(","));
        self.would(self.name(), change)
    }
    fn remove_tags(&self, hashes: &[&str], tags: &[&str]) -> Result<(), HttpError> {
        let change = format!("untag {} from {}", tags.join(","), hashes.join(","));
        self.would(self.name(), change)
    }
    fn top_priority(&self, hashes: &[&str]) -> Result<(), HttpError> {
        self.would(
            self.name(),
            format!("move {} to the top of the queue", hashes.join(",")),
        )
    }
    fn edit_trackers(&self, hash: &str, edit: &TrackerEdit) -> Result<(), HttpError> {
        let change = format!("edit the trackers of {hash}: {}", edit.why);
        self.would(self.name(), change)
    }
    fn mark_down(&self) -> bool {
        self.inner.mark_down()
    }
    fn mark_up(&self) -> Option<Duration> {
        self.inner.mark_up()
    }
}

impl<C: ArrApi> ArrApi for DryRun<C> {
    fn kind(&self) -> ArrKind {
        self.inner.kind()
    }
    fn version(&self) -> Result<String, HttpError> {
        self.inner.version()
    }
    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        self.inner.queue()
    }
    fn delete_queue_item(&self, id: i64, opts: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        let blocklist = if opts.blocklist { " and blocklist it" } else { "" };
        self.would(self.kind().name(), format!("remove queue item {id}{blocklist}"))?;
        Ok(QueueDelete::Deleted)
    }
    fn command(&self, body: &Value) -> Result<i64, HttpError> {
        self.would(self.kind().name(), format!("send {body}"))?;
        Ok(DRY_RUN_COMMAND)
    }
    fn command_state(&self, id: i64) -> Result<Option<CommandState>, HttpError> {
        if id == DRY_RUN_COMMAND {
            return Ok(Some(CommandState {
                status: "completed".into(),
                message: Some("dry run: not sent".into()),
            }));
        }
        self.inner.command_state(id)
    }
    fn find_command(&self, name: &str, download_id: &str) -> Result<Option<i64>, HttpError> {
        self.inner.find_command(name, download_id)
    }
    /// No search is sent in a dry run, so none is looked up either.
    fn search_seen(&self, _: &[i64], _: Option<i64>) -> Result<SearchSeen, HttpError> {
        Ok(SearchSeen::default())
    }
    fn wanted(
        &self,
        list: WantedList,
        monitored: bool,
        page: &mut dyn FnMut(Vec<WantedItem>),
    ) -> Result<bool, HttpError> {
        self.inner.wanted(list, monitored, page)
    }
    /// No search is sent in a dry run, so none counts as running.
    fn searches_running(&self) -> Result<usize, HttpError> {
        Ok(0)
    }
    fn series_by_tvdb(&self, tvdb: i64) -> Result<Option<i64>, HttpError> {
        self.inner.series_by_tvdb(tvdb)
    }
    fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError> {
        self.inner.format_minimums()
    }
    fn library(&self, f: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError> {
        self.inner.library(f)
    }
    fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError> {
        self.inner.quality_profiles()
    }
    fn profiled_items(&self, f: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError> {
        self.inner.profiled_items(f)
    }
    fn profile_of(&self, id: i64) -> Result<Option<i64>, HttpError> {
        self.inner.profile_of(id)
    }
    fn set_profile(&self, ids: &[i64], profile: i64) -> Result<(), HttpError> {
        self.would(
            self.kind().name(),
            format!("give {ids:?} quality profile {profile}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::fake::{Call, FakeArr, FakeQbit, Journal};

    #[test]
    fn reads_pass_through_and_changes_never_reach_the_client() {
        let journal = Journal::default();
        let qbit = DryRun::new(FakeQbit::new("qBit", &journal));
        qbit.inner.list(
            "radarr",
            vec![Torrent {
                hash: "aa".into(),
                ..Torrent::default()
            }],
        );
        let mut seen = Vec::new();
        let query = ListQuery {
            category: Some("radarr"),
            filter: crate::qbit::ListFilter::All,
            hashes: &[],
        };
        qbit.torrents_where(&query, &mut |t| seen.push(t.hash.clone()))
            .unwrap();
        assert_eq!(seen, ["aa"]);
        qbit.delete(&["aa"], true).unwrap();
        qbit.recheck(&["aa"]).unwrap();
        qbit.resume(&["aa"]).unwrap();
        qbit.set_category(&["aa"], "radarr").unwrap();
        qbit.add_tags(&["aa"], &["t"]).unwrap();
        qbit.remove_tags(&["aa"], &["t"]).unwrap();
        qbit.skip_files("aa", &[0, 2]).unwrap();
        qbit.files("aa").unwrap();

        let arr = DryRun::new(FakeArr::new(ArrKind::Radarr, &journal));
        arr.queue().unwrap();
        let opts = QueueDeleteOptions {
            remove_from_client: false,
            blocklist: true,
            skip_redownload: true,
        };
        assert_eq!(arr.delete_queue_item(1, opts).unwrap(), QueueDelete::Deleted);
        arr.command(&serde_json::json!({"name": "MoviesSearch"})).unwrap();

        assert_eq!(
            journal.calls(),
            [Call::List("radarr".into()), Call::Files("aa".into()), Call::Queue]
        );
        assert_eq!(qbit.announced.lock().unwrap().len(), 7);
        assert_eq!(arr.announced.lock().unwrap().len(), 2);
        // The same change again is not announced again.
        qbit.delete(&["aa"], true).unwrap();
        assert_eq!(qbit.announced.lock().unwrap().len(), 7);
    }
}
