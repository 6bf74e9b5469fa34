//! The Arr of a `[qBit] ManagedCategories` category: there is none. The rules never ask it
//! for anything (no import, no queue step, no search: see `Rules::has_arr`); its queue is
//! empty, and anything else is answered as done or refused, never sent anywhere.

use std::collections::HashMap;

use serde_json::Value;

use super::ArrApi;
use crate::arr::{CommandState, QueueDelete, QueueDeleteOptions, SearchSeen, WantedList};
use crate::http::HttpError;
use crate::model::{ArrKind, QueueEntry};
use crate::search::profiles::ProfiledItem;
use crate::search::{OwnedItem, WantedItem};

/// Stands in for the Arr of a managed category.
pub(crate) struct NoArr {
    pub(crate) kind: ArrKind,
}

/// Where a refused call is said to have gone.
const ENDPOINT: &str = "(no Arr: qBit.ManagedCategories)";

impl ArrApi for NoArr {
    fn kind(&self) -> ArrKind {
        self.kind
    }

    fn version(&self) -> Result<String, HttpError> {
        Ok("none (qBit.ManagedCategories)".into())
    }

    fn queue(&self) -> Result<HashMap<String, QueueEntry>, HttpError> {
        Ok(HashMap::new())
    }

    fn delete_queue_item(&self, _: i64, _: QueueDeleteOptions) -> Result<QueueDelete, HttpError> {
        Ok(QueueDelete::NotFound)
    }

    fn command(&self, body: &Value) -> Result<i64, HttpError> {
        Err(HttpError::Auth {
            endpoint: ENDPOINT.into(),
            detail: format!("a category without an Arr cannot run {body}"),
        })
    }

    fn command_state(&self, _: i64) -> Result<Option<CommandState>, HttpError> {
        Ok(None)
    }

    fn find_command(&self, _: &str, _: &str) -> Result<Option<i64>, HttpError> {
        Ok(None)
    }

    fn search_seen(&self, _: &[i64], _: Option<i64>) -> Result<SearchSeen, HttpError> {
        Ok(SearchSeen::default())
    }
    fn wanted(&self, _: WantedList, _: bool, _: &mut dyn FnMut(Vec<WantedItem>)) -> Result<bool, HttpError> {
        Ok(false)
    }
    fn searches_running(&self) -> Result<usize, HttpError> {
        Ok(0)
    }
    fn series_by_tvdb(&self, _: i64) -> Result<Option<i64>, HttpError> {
        Ok(None)
    }
    fn format_minimums(&self) -> Result<HashMap<i64, i64>, HttpError> {
        Ok(HashMap::new())
    }
    fn library(&self, _: &mut dyn FnMut(OwnedItem)) -> Result<bool, HttpError> {
        Ok(false)
    }
    fn quality_profiles(&self) -> Result<Vec<(i64, String)>, HttpError> {
        Ok(Vec::new())
    }
    fn profiled_items(&self, _: &mut dyn FnMut(ProfiledItem)) -> Result<(), HttpError> {
        Ok(())
    }
    fn profile_of(&self, _: i64) -> Result<Option<i64>, HttpError> {
        Ok(None)
    }
    fn set_profile(&self, ids: &[i64], _: i64) -> Result<(), HttpError> {
        Err(HttpError::Auth {
            endpoint: ENDPOINT.into(),
            detail: format!("a category without an Arr has no quality profiles to give {ids:?}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_queue_is_empty_and_nothing_is_sent() {
        let arr = NoArr {
            kind: ArrKind::Radarr,
        };
        assert!(arr.queue().unwrap().is_empty());
        let opts = QueueDeleteOptions {
            remove_from_client: false,
            blocklist: true,
            skip_redownload: true,
        };
        assert_eq!(arr.delete_queue_item(1, opts).unwrap(), QueueDelete::NotFound);
        let refused = arr
            .command(&serde_json::json!({"name": "MoviesSearch"}))
            .unwrap_err();
        assert!(!refused.is_transient(), "never retried: {refused}");
        assert_eq!(arr.find_command("DownloadedMoviesScan", "ABC").unwrap(), None);
    }
}
