//! A look at one torrent on request (`GET /api/explain/{hash}`, `qbitrr-lite
//! explain`): find it in qBittorrent, read its Arr's queue and what the store
//! remembers of it, and explain the decision core's verdict rule by rule. Read
//! only: it changes nothing anywhere, and it does not disturb the workers (its
//! own clients, its own reads).

use std::collections::HashMap;
use std::fmt;

use crate::arr::ArrClient;
use crate::clock::rfc3339;
use crate::config::{Arr, Config};
use crate::decide::{explain, render, Inputs, Rules, Trackers, Unregistered};
use crate::free_space::Space;
use crate::http::HttpError;
use crate::model::{Connection, Torrent, TorrentId, UnixTime};
use crate::qbit::QbitClient;
use crate::store::{Store, StoreError};
use crate::tracker;
use crate::view::{View, ViewTimers, Watch};
use crate::worker::format_minimum::FormatMinimums;
use crate::worker::space;

/// What the explanation of one torrent found, per Arr section that could act on it.
#[derive(Debug)]
pub(crate) struct Inspection {
    pub(crate) qbit: String,
    pub(crate) torrent: Torrent,
    /// (Arr section, rendered explanation).
    pub(crate) explanations: Vec<(String, String)>,
}

/// Why a torrent could not be explained.
#[derive(Debug)]
pub(crate) enum InspectError {
    /// Not 40 hex digits.
    BadHash(String),
    /// No qBittorrent instance holds it.
    NotFound(String),
    Http(HttpError),
    Store(StoreError),
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadHash(h) => write!(f, "{h:?} is not a torrent hash (40 hex digits)"),
            Self::NotFound(h) => write!(f, "no qBittorrent instance holds torrent {h}"),
            Self::Http(e) => write!(f, "{e}"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InspectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Http(e) => Some(e),
            Self::Store(e) => Some(e),
            Self::BadHash(_) | Self::NotFound(_) => None,
        }
    }
}

/// Explains what the daemon decides for torrent `hash` at `now`, for every managed Arr
/// section whose category (or the failed/recheck category) the torrent is in.
pub(crate) fn inspect(
    config: &Config,
    store: &Store,
    hash: &str,
    now: UnixTime,
) -> Result<Inspection, InspectError> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(InspectError::BadHash(hash));
    }
    let mut found = None;
    for q in &config.qbit {
        let client = QbitClient::new(q);
        if let Some(mut t) = client.torrent(&hash).map_err(InspectError::Http)? {
            t.tracker_status_unknown = client.capabilities().map_err(InspectError::Http)?.api
                >= crate::view::TRACKER_FIELD_ALWAYS_SET;
            // When the outage began is not known here: it counts as beginning now.
            let status = client.connection_status().map_err(InspectError::Http)?;
            let connection = Connection::default().after(Some(&status), now);
            found = Some((q.name.clone(), t, connection));
            break;
        }
    }
    let Some((qbit, torrent, connection)) = found else {
        return Err(InspectError::NotFound(hash));
    };
    let space = space_of(config, &qbit, &hash);
    let section = config.qbit.iter().find(|q| q.name == qbit);
    // Read as the worker would before a removal; explained as unread when that fails.
    let listed = section.and_then(|q| QbitClient::new(q).trackers(&hash).ok());
    let qbit_entries = section.map(|q| q.trackers.as_slice()).unwrap_or_default();
    let s = &config.settings;
    let concerned: Vec<&Arr> = config
        .arrs
        .iter()
        .filter(|a| a.managed && a.watches(&qbit))
        .filter(|a| {
            a.subcategories.owns(&a.category, &torrent.category)
                || torrent.category == s.failed_category
                || torrent.category == s.recheck_category
        })
        .collect();
    let mut explanations = Vec::new();
    for arr in concerned {
        let mut queue = HashMap::new();
        if arr.has_arr() {
            let client = ArrClient::new(arr);
            let mut all = client.queue().map_err(InspectError::Http)?;
            queue.extend(all.remove_entry(&hash));
            // As the worker sees it: with its profile's custom-format minimum.
            if arr.search.forces_format_minimum() {
                FormatMinimums::default().fill(&arr.name, &client, &mut queue);
            }
        }
        let memory = store
            .memory_of(&arr.name, &hash)
            .map_err(InspectError::Store)?
            .unwrap_or_default();
        let entries = tracker::merge(qbit_entries, &arr.torrent.trackers);
        let rules = Rules::from_config(s, arr).with_entries(&entries);
        let edit = listed
            .as_ref()
            .map(|list| tracker::edit(list, &entries, &arr.seeding.dead_tracker_texts))
            .unwrap_or_default();
        let trackers = match &listed {
            Some(list) => Trackers::Read {
                private: list.private,
                entry: tracker::pick(&entries, &list.urls).and_then(|i| entries.get(i)),
                at: now,
                working: list.working,
                // Read once, now: a delay counts from this read.
                unregistered: tracker::unregistered(list, &arr.torrent.unregistered_messages)
                    .map(|message| Unregistered { since: now, message }),
                edit: Some(&edit).filter(|e| !e.is_empty()),
            },
            None => Trackers::Unread,
        };
        let e = explain(Inputs {
            torrent: &torrent,
            queue: queue.get(&hash),
            memory: &memory,
            rules: &rules,
            connection,
            space,
            trackers,
            now,
        });
        explanations.push((arr.name.clone(), render(&e, now, rfc3339)));
    }
    Ok(Inspection {
        qbit,
        torrent,
        explanations,
    })
}

/// What the free-space guard says of torrent `hash` of qBittorrent section `qbit`, from a view
/// of that instance read for this purpose (`Unknown` when it cannot be read or measured).
fn space_of(config: &Config, qbit: &str, hash: &str) -> Space {
    let Some(guard) = &config.settings.free_space else {
        return Space::Off;
    };
    let (Some(q), Some(id)) = (
        config.qbit.iter().find(|q| q.name == qbit),
        TorrentId::parse(hash),
    ) else {
        return Space::Unknown;
    };
    let view = View::connect(q, ViewTimers::default());
    let mut watches = config
        .arrs
        .iter()
        .filter(|a| a.managed)
        .map(|a| Watch::of(&config.settings, a));
    let Some(first) = watches.next() else {
        return Space::Unknown;
    };
    for w in watches {
        view.register(&w);
    }
    if view.refresh(&first).is_err() {
        return Space::Unknown;
    }
    let state = view.lock();
    match space::measure(guard, state.server.free_space_on_disk).0 {
        Some(free) => space::weigh(&state, free, guard.keep_free).of(&id),
        None => Space::Unknown,
    }
}
