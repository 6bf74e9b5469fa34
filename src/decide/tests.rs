//! Table tests (one row per rule) and property tests of the safety gates.

use std::collections::BTreeSet;

use super::*;
use crate::model::{ImportState, TrackedStatus, ETA_INFINITE};

const NOW: i64 = 1_700_000_000;
const HOUR: i64 = 3600;

fn rules() -> Rules {
    Rules {
        category: "radarr".into(),
        failed_category: "failed".into(),
        recheck_category: "recheck".into(),
        tagless: false,
        category_min_age: 180,
        min_age: 180,
        stalled_delay: StalledDelay::After(Duration::from_secs(15 * 60)),
        re_search_stalled: false,
        re_search: true,
        maximum_eta: None,
        do_not_remove_slow: true,
        max_deletable_progress: 0.99,
        max_upload_ratio: None,
        max_seeding_time: None,
        settings: Default::default(),
        remove_torrent: RemoveTorrent::Never,
        import_mode: ImportMode::Auto,
        arr_error_codes: vec![
            "Not an upgrade for existing movie file(s)".into(),
            "Unable to determine if file is a sample".into(),
        ],
        format_minimum: false,
        file_filter: FileFilter::default(),
        auto_delete: false,
        remove_private_without_entry: false,
        tracker_limits: false,
        unregistered_delay: Some(HOUR),
        owned_tags: Vec::new(),
        has_arr: true,
        subcategories: Default::default(),
        tracker_edits: false,
        sorts_queue: false,
    }
}

/// What a row's torrent's trackers said.
#[derive(Clone, Copy)]
enum Tr {
    /// Read just now: not private, no tracker entry (what most rows need).
    Public,
    Unread,
    /// Private, no tracker entry.
    Private,
    /// Private, with this tracker entry.
    Entry(fn() -> TrackerEntry),
    /// Private, with the hit-and-run entry; every tracker has called it unregistered since
    /// `.0` seconds ago, in a read `.1` seconds ago.
    Unreg(i64, i64),
    /// Read `.0` seconds ago: public, no entry, some tracker working then (`.1`) or none.
    ReadAgo(i64, bool),
    /// Read just now: public, no entry, with [`EDIT`] to make.
    Edit,
    /// Unread; the view's announce URLs pick this entry.
    Hosts(fn() -> TrackerEntry),
    /// Read `.0` seconds ago: private, no entry, a tracker working then.
    PrivateAgo(i64),
}

/// A tracker edit, for [`Tr::Edit`].
static EDIT: std::sync::LazyLock<crate::tracker::TrackerEdit> =
    std::sync::LazyLock::new(|| crate::tracker::TrackerEdit {
        add: vec!["udp://open.example:6969/announce".into()],
        remove: vec!["http://dead.example/announce".into()],
        why: "because".into(),
    });

impl Tr {
    fn inputs(self, entry: &Option<TrackerEntry>) -> Trackers<'_> {
        match self {
            Tr::Unread => Trackers::Unread,
            Tr::Public => PUBLIC,
            Tr::Private | Tr::Entry(_) => Trackers::Read {
                private: true,
                entry: entry.as_ref(),
                at: NOW - 60,
                working: true,
                unregistered: None,
                edit: None,
            },
            Tr::Unreg(since, read) => Trackers::Read {
                private: true,
                entry: entry.as_ref(),
                at: NOW - read,
                working: false,
                unregistered: Some(Unregistered {
                    since: NOW - since,
                    message: "Unregistered torrent",
                }),
                edit: None,
            },
            Tr::PrivateAgo(ago) => Trackers::Read {
                private: true,
                entry: None,
                at: NOW - ago,
                working: true,
                unregistered: None,
                edit: None,
            },
            Tr::Hosts(_) => Trackers::Hosts {
                entry: entry.as_ref(),
            },
            Tr::Edit => Trackers::Read {
                private: false,
                entry: None,
                at: NOW - 60,
                working: true,
                unregistered: None,
                edit: Some(&EDIT),
            },
            Tr::ReadAgo(ago, working) => Trackers::Read {
                private: false,
                entry: None,
                at: NOW - ago,
                working,
                unregistered: None,
                edit: None,
            },
        }
    }

    fn entry(self) -> Option<TrackerEntry> {
        match self {
            Tr::Entry(f) | Tr::Hosts(f) => Some(f()),
            Tr::Unreg(..) => Some(hnr_entry()),
            _ => None,
        }
    }
}

/// A private tracker's entry: HnR "and", ratio 1.0 and 7 days.
fn hnr_entry() -> TrackerEntry {
    TrackerEntry {
        name: "Priv".into(),
        host: "tracker.example.org".into(),
        priority: 0,
        maximum_eta: None,
        max_upload_ratio: None,
        max_seeding_time: None,
        settings: Default::default(),
        add_tags: Default::default(),
        add_url: None,
        remove_if_exists: false,
        sort: false,
        hnr: crate::tracker::HitAndRun {
            mode: crate::tracker::HnrMode::And,
            min_ratio: 1.0,
            min_seeding_secs: 7 * 24 * HOUR,
            ..crate::tracker::HitAndRun::default()
        },
    }
}

/// A filter that excludes `Sample` folders and anything but `.mkv`.
fn video_filter() -> FileFilter {
    FileFilter::new(&[r"\bsamples?\b".into()], &[], &[".mkv".into()], false).expect("compiles")
}

/// A day-old download in our category, downloading at half progress.
fn torrent() -> Torrent {
    Torrent {
        hash: "0123456789abcdef0123456789abcdef01234567".into(),
        name: "Some.Movie.2024.1080p".into(),
        category: "radarr".into(),
        state: TorrentState::Downloading,
        tags: vec![],
        progress: 0.5,
        amount_left: 500,
        size: 1000,
        added_on: NOW - 24 * HOUR,
        completion_on: -1,
        last_activity: NOW - 10,
        eta: 600,
        ratio: 0.0,
        seeding_time: 0,
        max_ratio: -1.0,
        max_seeding_minutes: -1,
        content_path: "/downloads/radarr/Some.Movie.2024.1080p".into(),
        save_path: "/downloads/radarr".into(),
        queue_position: 0,
        tracker_working: true,
        up_limit: 0,
        dl_limit: 0,
        super_seeding: false,
        tracker_url: String::new(),
        tracker_status_unknown: false,
    }
}

/// Trackers read just now: not private, no tracker entry.
const PUBLIC: Trackers<'static> = Trackers::Read {
    private: false,
    entry: None,
    at: NOW,
    working: true,
    unregistered: None,
    edit: None,
};

fn completed(t: &mut Torrent) {
    t.state = TorrentState::StalledUp;
    t.progress = 1.0;
    t.amount_left = 0;
    t.completion_on = NOW - HOUR;
}

fn queue() -> QueueEntry {
    QueueEntry {
        ids: vec![42],
        media_ids: vec![7],
        parent_id: None,
        tracked_state: "downloading".into(),
        messages: String::new(),
        tracked_status: TrackedStatus::Ok,
        status_messages: vec![],
        format_score: None,
        format_minimum: None,
    }
}

/// A download whose custom-format score (-10) is below its profile's minimum (0).
fn below_minimum(q: &mut QueueEntry) {
    q.format_score = Some(-10);
    q.format_minimum = Some(0);
}

fn force_minimum(r: &mut Rules) {
    r.format_minimum = true;
}

/// What Radarr reports for a release that is no better than the file it has.
fn not_an_upgrade(q: &mut QueueEntry) {
    q.tracked_state = "importPending".into();
    q.tracked_status = TrackedStatus::Warning;
    q.status_messages = vec![
        "Some.Movie.2024.1080p.mkv".into(),
        "Not an upgrade for existing movie file(s). Existing quality: Bluray-1080p.".into(),
    ];
}

/// The import of [`torrent`] once complete.
fn import() -> Vec<Action> {
    vec![Action::Import {
        path: "/downloads/radarr/Some.Movie.2024.1080p".into(),
    }]
}

fn seen() -> Memory {
    Memory {
        first_seen: Some(NOW - 24 * HOUR),
        ..Memory::default()
    }
}

fn fail(blocklist: bool, research: bool) -> Action {
    Action::Remove {
        delete_files: true,
        queue: if blocklist {
            QueueStep::Blocklist
        } else {
            QueueStep::Remove
        },
        research,
    }
}

struct Row {
    name: &'static str,
    torrent: fn(&mut Torrent),
    memory: fn(&mut Memory),
    rules: fn(&mut Rules),
    queue: bool,
    queue_of: fn(&mut QueueEntry),
    connection: Connection,
    space: Space,
    trackers: Tr,
    rule: Rule,
    actions: Vec<Action>,
}

fn row(name: &'static str, rule: Rule, actions: Vec<Action>) -> Row {
    Row {
        name,
        torrent: |_| {},
        memory: |_| {},
        rules: |_| {},
        queue: true,
        queue_of: |_| {},
        connection: Connection::default(),
        space: Space::Off,
        trackers: Tr::Public,
        rule,
        actions,
    }
}

fn run(r: &Row) -> Decision {
    let mut t = torrent();
    (r.torrent)(&mut t);
    let mut m = seen();
    (r.memory)(&mut m);
    let mut ru = rules();
    (r.rules)(&mut ru);
    let mut q = queue();
    (r.queue_of)(&mut q);
    let entry = r.trackers.entry();
    decide(Inputs {
        torrent: &t,
        queue: r.queue.then_some(&q),
        memory: &m,
        rules: &ru,
        connection: r.connection,
        space: r.space,
        trackers: r.trackers.inputs(&entry),
        now: NOW,
    })
}

#[test]
fn decision_table() {
    let mut rows = vec![
        Row {
            torrent: |t| t.category = "sonarr".into(),
            ..row("other category is never ours", Rule::OtherCategory, vec![])
        },
        Row {
            torrent: |t| {
                t.tags = vec!["qBitrr-ignored".into()];
                t.state = TorrentState::MissingFiles;
            },
            ..row("ignored tag wins over everything", Rule::IgnoredTag, vec![])
        },
        Row {
            torrent: |t| t.category = "failed".into(),
            ..row(
                "failed category: remove, blocklist, search",
                Rule::FailedCategory,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| t.category = "failed".into(),
            memory: |m| m.first_seen = None,
            ..row(
                "failed category, never ours: left alone",
                Rule::UnclaimedCategory,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.category = "failed".into();
                t.added_on = NOW - 60;
            },
            ..row("failed category, too young", Rule::TooYoung, vec![])
        },
        Row {
            torrent: |t| t.category = "recheck".into(),
            ..row(
                "recheck category: recheck and move back",
                Rule::RecheckCategory,
                vec![Action::Recheck, Action::SetCategory("radarr".into())],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::QueuedDl,
            ..row("queuedDL is protected", Rule::ProtectedState, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::ForcedDl,
            ..row("forcedDL is protected", Rule::ProtectedState, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::CheckingDl,
            ..row("checking is protected", Rule::ProtectedState, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::Moving,
            ..row("moving is protected", Rule::ProtectedState, vec![])
        },
        Row {
            rules: |r| r.file_filter = video_filter(),
            ..row(
                "a download with metadata whose files were not checked: check them",
                Rule::NoAction,
                vec![Action::FilterFiles],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - 2 * HOUR;
            },
            rules: |r| r.file_filter = video_filter(),
            memory: |m| m.stalled_since = Some(NOW - 2 * HOUR),
            ..row(
                "a removal goes first: no file check for a torrent on its way out",
                Rule::StalledDelete,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::PausedDl,
            rules: |r| r.file_filter = video_filter(),
            ..row(
                "the file check goes with the other rules' decision",
                Rule::ResumePaused,
                vec![Action::Resume, Action::FilterFiles],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MetaDl;
                t.size = 0;
            },
            rules: |r| {
                r.file_filter = video_filter();
                r.stalled_delay = StalledDelay::Off;
            },
            ..row("no metadata yet: no file check", Rule::StalledOff, vec![])
        },
        Row {
            rules: |r| r.file_filter = video_filter(),
            memory: |m| m.files_checked_at = Some(NOW - HOUR),
            ..row("checked before: not again", Rule::NoAction, vec![])
        },
        Row {
            torrent: completed,
            rules: |r| r.file_filter = video_filter(),
            ..row("complete: its files stay as they are", Rule::Import, import())
        },
        Row {
            torrent: |t| t.state = TorrentState::ForcedDl,
            rules: |r| r.file_filter = video_filter(),
            ..row("forced downloads are not checked", Rule::ProtectedState, vec![])
        },
        Row {
            memory: |m| {
                m.files_checked_at = Some(NOW - 60);
                m.all_files_excluded_at = Some(NOW - 60);
            },
            ..row(
                "every file excluded: fail it",
                Rule::AllFilesExcluded,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                // Every file at priority 0 reads as complete.
                completed(t);
                t.added_on = NOW - 60;
            },
            memory: |m| m.all_files_excluded_at = Some(NOW - 30),
            ..row(
                "every file excluded but younger than the age gate: wait, and no import",
                Rule::TooYoung,
                vec![],
            )
        },
        Row {
            torrent: completed,
            memory: |m| {
                m.all_files_excluded_at = Some(NOW - 2 * HOUR);
                m.imported_at = Some(NOW - HOUR);
            },
            ..row(
                "every file excluded, yet imported: never failed for it",
                Rule::TagImported,
                vec![Action::AddTag(tags::IMPORTED)],
            )
        },
        Row {
            torrent: |t| t.tags = vec![tags::IGNORED.into()],
            memory: |m| m.all_files_excluded_at = Some(NOW - HOUR),
            ..row(
                "every file excluded but ignored: nothing",
                Rule::IgnoredTag,
                vec![],
            )
        },
        Row {
            torrent: completed,
            queue_of: not_an_upgrade,
            ..row(
                "the Arr holds the import back for a listed reason: fail it",
                Rule::ArrError,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: completed,
            queue_of: |q| {
                not_an_upgrade(q);
                q.tracked_state = "importBlocked".into();
                q.tracked_status = TrackedStatus::Ok;
            },
            ..row(
                "importBlocked counts as held back",
                Rule::ArrError,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: completed,
            queue_of: |q| {
                not_an_upgrade(q);
                q.tracked_state = "downloading".into();
            },
            ..row(
                "a warning alone counts as held back",
                Rule::ArrError,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: completed,
            memory: |m| {
                m.blocklisted_at = Some(NOW - HOUR);
                m.searched_at = Some(NOW - HOUR);
            },
            queue_of: not_an_upgrade,
            ..row(
                "blocklisted and searched already: removed from the queue only",
                Rule::ArrError,
                vec![fail(false, false)],
            )
        },
        Row {
            torrent: completed,
            rules: |r| r.re_search = false,
            queue_of: not_an_upgrade,
            ..row("ReSearch off: no search", Rule::ArrError, vec![fail(true, false)])
        },
        Row {
            torrent: completed,
            rules: force_minimum,
            queue_of: below_minimum,
            ..row(
                "ForceMinimumCustomFormat: complete, below its profile's minimum: fail it",
                Rule::FormatMinimum,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::Downloading;
                t.progress = 0.5;
            },
            rules: force_minimum,
            queue_of: below_minimum,
            ..row(
                "ForceMinimumCustomFormat: downloading, below the minimum: fail it",
                Rule::FormatMinimum,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: completed,
            queue_of: below_minimum,
            ..row(
                "below the minimum, ForceMinimumCustomFormat off: imported as usual",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: completed,
            rules: force_minimum,
            queue_of: |q| {
                q.format_score = Some(0);
                q.format_minimum = Some(0);
            },
            ..row("at the minimum: imported as usual", Rule::Import, import())
        },
        Row {
            torrent: completed,
            rules: force_minimum,
            queue_of: |q| q.format_score = Some(-10),
            ..row(
                "its profile's minimum not known: imported as usual",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: completed,
            rules: force_minimum,
            queue: false,
            ..row(
                "not in the queue: nothing to compare; imported as usual",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::Downloading;
                t.progress = 0.995;
            },
            rules: force_minimum,
            queue_of: below_minimum,
            ..row(
                "below the minimum but above MaximumDeletablePercentage: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.added_on = NOW - 60;
                t.completion_on = NOW - 30;
            },
            rules: force_minimum,
            queue_of: below_minimum,
            ..row(
                "below the minimum but younger than IgnoreTorrentsYoungerThan: not failed",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: completed,
            rules: force_minimum,
            queue_of: |q| {
                below_minimum(q);
                q.tracked_state = "importing".into();
            },
            ..row(
                "below the minimum while the Arr imports it: not failed",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::Downloading;
                t.progress = 0.5;
                t.ratio = 0.2;
            },
            rules: force_minimum,
            queue_of: below_minimum,
            trackers: Tr::Entry(hnr_entry),
            ..row(
                "below the minimum, its tracker's hit-and-run owed: kept",
                Rule::HitAndRun,
                vec![Action::AddTag(tags::HNR_ACTIVE)],
            )
        },
        Row {
            torrent: completed,
            queue_of: |q| {
                not_an_upgrade(q);
                q.tracked_state = "importing".into();
                q.tracked_status = TrackedStatus::Ok;
            },
            ..row(
                "a listed text while the import is not held back: imported as usual",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: completed,
            queue_of: |q| {
                not_an_upgrade(q);
                q.status_messages = vec![
                    "Found matching movie via grab history, but release was matched to movie by ID".into(),
                ];
            },
            ..row(
                "held back for an unlisted reason: imported as usual",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: completed,
            rules: |r| r.arr_error_codes.clear(),
            queue_of: not_an_upgrade,
            ..row(
                "ArrErrorCodesToBlocklist empty: imported as usual",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.added_on = NOW - 60;
                t.completion_on = NOW - 30;
            },
            queue_of: not_an_upgrade,
            ..row(
                "younger than IgnoreTorrentsYoungerThan: not failed yet",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::StalledDl,
            queue_of: not_an_upgrade,
            memory: |m| m.stalled_since = Some(NOW - 60),
            ..row(
                "an incomplete download is never failed for it",
                Rule::StalledWaiting,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec!["qBitrr-ignored".into()];
            },
            queue_of: not_an_upgrade,
            ..row("the ignored tag wins", Rule::IgnoredTag, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.state = TorrentState::ForcedUp;
            },
            queue_of: not_an_upgrade,
            ..row("a protected state wins", Rule::ProtectedState, vec![])
        },
        Row {
            torrent: completed,
            ..row("completed: import", Rule::Import, import())
        },
        Row {
            torrent: |t| {
                completed(t);
                t.state = TorrentState::PausedUp;
            },
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.max_upload_ratio = Some(0.0);
            },
            ..row(
                "completed and stopped by share limits: still imported first",
                Rule::Import,
                import(),
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.completion_on = NOW - 3;
            },
            ..row("completed seconds ago: settling", Rule::ImportSettling, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.content_path = "/downloads/radarr".into();
            },
            ..row(
                "no root folder (content path = save path): import refused, never the category folder",
                Rule::ImportRefused,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.content_path = "/downloads/radarr/".into();
            },
            ..row("the same with a trailing slash", Rule::ImportRefused, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.content_path = "/downloads/radarr/Some.Movie.2024.1080p.mkv".into();
            },
            ..row(
                "a single-file torrent imports its file",
                Rule::Import,
                vec![Action::Import {
                    path: "/downloads/radarr/Some.Movie.2024.1080p.mkv".into(),
                }],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec!["qBitrr-imported".into()];
            },
            ..row("imported (tag): nothing more", Rule::NoAction, vec![])
        },
        Row {
            torrent: completed,
            memory: |m| m.imported_at = Some(NOW - 100),
            ..row(
                "imported (memory): never twice; its tag is put back",
                Rule::TagImported,
                vec![Action::AddTag(tags::IMPORTED)],
            )
        },
        Row {
            torrent: completed,
            memory: |m| m.imported_at = Some(NOW - 100),
            rules: |r| r.tagless = true,
            ..row("imported (memory), Tagless: nothing more", Rule::NoAction, vec![])
        },
        Row {
            torrent: completed,
            memory: |m| {
                m.import = ImportState::Sending {
                    since: NOW - 30,
                    attempt: 1,
                }
            },
            ..row(
                "import recorded, answer lost: look for it before sending again",
                Rule::ImportPending,
                vec![Action::FindImport {
                    path: "/downloads/radarr/Some.Movie.2024.1080p".into(),
                }],
            )
        },
        Row {
            torrent: completed,
            memory: |m| {
                m.import = ImportState::Sent {
                    since: NOW - 30,
                    command: 12,
                    attempt: 1,
                }
            },
            ..row(
                "import sent: follow the command",
                Rule::ImportPending,
                vec![Action::CheckImport { command: 12 }],
            )
        },
        Row {
            torrent: completed,
            memory: |m| {
                m.import = ImportState::Failed {
                    attempts: 2,
                    retry_at: NOW + 60,
                }
            },
            ..row("import failed: wait for the retry", Rule::ImportFailed, vec![])
        },
        Row {
            torrent: completed,
            memory: |m| {
                m.import = ImportState::Failed {
                    attempts: 2,
                    retry_at: NOW,
                }
            },
            ..row("import failed, retry due: send again", Rule::Import, import())
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec!["qBitrr-imported".into()];
            },
            memory: |m| {
                m.import = ImportState::Sent {
                    since: NOW - 30,
                    command: 12,
                    attempt: 1,
                }
            },
            ..row(
                "imported as the tag says while followed: settled, no check",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::PausedDl,
            ..row(
                "paused download: resume",
                Rule::ResumePaused,
                vec![Action::Resume],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::StoppedDl,
            ..row(
                "stopped download (qBittorrent 5): resume",
                Rule::ResumePaused,
                vec![Action::Resume],
            )
        },
        // Free space (5b).
        Row {
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "a download that does not fit: paused and tagged",
                Rule::FreeSpacePause,
                vec![Action::Pause, Action::AddTag(tags::FREE_SPACE_PAUSED)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.added_on = NOW - 60;
            },
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "stalled and young, not fitting: paused too (pausing loses nothing)",
                Rule::FreeSpacePause,
                vec![Action::Pause, Action::AddTag(tags::FREE_SPACE_PAUSED)],
            )
        },
        Row {
            rules: |r| r.tagless = true,
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "Tagless: paused, the tag kept in the store",
                Rule::FreeSpacePause,
                vec![Action::Pause],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::PausedDl,
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "paused by the user, not fitting: not resumed, not tagged",
                Rule::FreeSpaceHeld,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::PausedDl;
                t.tags = vec![tags::FREE_SPACE_PAUSED.into()];
            },
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "paused by the guard, still not fitting: held",
                Rule::FreeSpaceHeld,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::PausedDl;
                t.tags = vec![tags::FREE_SPACE_PAUSED.into()];
            },
            space: Space::Unknown,
            ..row(
                "paused by the guard, free space unknown: held",
                Rule::FreeSpaceHeld,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StoppedDl;
                t.tags = vec![tags::FREE_SPACE_PAUSED.into()];
            },
            space: Space::Fits,
            ..row(
                "paused by the guard, fits again: resumed and untagged",
                Rule::FreeSpaceResume,
                vec![Action::Resume, Action::RemoveTag(tags::FREE_SPACE_PAUSED)],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::PausedDl,
            space: Space::Unknown,
            ..row(
                "paused by the user, free space unknown: resumed as ever",
                Rule::ResumePaused,
                vec![Action::Resume],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::PausedDl;
                t.tags = vec![tags::FREE_SPACE_PAUSED.into()];
            },
            ..row(
                "guard turned off: what it paused is resumed and untagged",
                Rule::ResumePaused,
                vec![Action::Resume, Action::RemoveTag(tags::FREE_SPACE_PAUSED)],
            )
        },
        Row {
            torrent: |t| t.tags = vec![tags::FREE_SPACE_PAUSED.into()],
            space: Space::Fits,
            ..row(
                "running again (the user resumed it) and fitting: untagged",
                Rule::NoAction,
                vec![Action::RemoveTag(tags::FREE_SPACE_PAUSED)],
            )
        },
        Row {
            torrent: |t| t.tags = vec![tags::IGNORED.into()],
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row("ignored, not fitting: untouched", Rule::IgnoredTag, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::QueuedDl,
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "queued, not fitting: untouched (protected)",
                Rule::ProtectedState,
                vec![],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::ForcedDl,
            space: Space::Short {
                need: 500,
                budget: 100,
            },
            ..row(
                "forced, not fitting: untouched (protected)",
                Rule::ProtectedState,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MissingFiles;
                t.added_on = NOW - 60;
            },
            ..row("missing files but too young", Rule::TooYoung, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::MissingFiles,
            ..row(
                "missing files: remove, keep files, no blocklist",
                Rule::MissingFiles,
                vec![Action::Remove {
                    delete_files: false,
                    queue: QueueStep::Remove,
                    research: true,
                }],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MissingFiles;
                t.category = "radarr/4k".into();
            },
            ..row(
                "a subcategory, not matched: not ours",
                Rule::OtherCategory,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MissingFiles;
                t.category = "radarr/4k".into();
            },
            rules: |r| r.subcategories.matched = true,
            ..row(
                "a subcategory matched (MatchSubcategories): ours",
                Rule::MissingFiles,
                vec![Action::Remove {
                    delete_files: false,
                    queue: QueueStep::Remove,
                    research: true,
                }],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MissingFiles;
                t.category = "radarr/4k".into();
            },
            rules: |r| {
                r.subcategories.matched = true;
                r.subcategories.yielded = vec![("radarr/4k".into(), false)];
            },
            ..row(
                "a subcategory another owner has: not ours",
                Rule::OtherCategory,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MissingFiles;
                t.category = "radarrx".into();
            },
            rules: |r| r.subcategories.matched = true,
            ..row(
                "a look-alike category is not below ours",
                Rule::OtherCategory,
                vec![],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::Error,
            ..row("error: recheck", Rule::ErrorRecheck, vec![Action::Recheck])
        },
        Row {
            torrent: |t| t.state = TorrentState::Error,
            memory: |m| m.rechecked_at = Some(NOW - 60),
            ..row("error rechecked recently: wait", Rule::NoAction, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.ratio = 2.5;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.max_upload_ratio = Some(2.0);
            },
            ..row(
                "seeded to MaxUploadRatio (RemoveTorrent 1)",
                Rule::SeedingLimit,
                vec![Action::Remove {
                    delete_files: true,
                    queue: QueueStep::Keep,
                    research: false,
                }],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.ratio = 2.5;
                t.max_ratio = 3.0;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.max_upload_ratio = Some(2.0);
            },
            ..row(
                "qBittorrent's own ratio limit (the indexer's) is higher: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.ratio = 3.0;
                t.max_ratio = 3.0;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.max_upload_ratio = Some(2.0);
            },
            ..row(
                "seeded to the higher of both ratio limits",
                Rule::SeedingLimit,
                vec![Action::Remove {
                    delete_files: true,
                    queue: QueueStep::Keep,
                    research: false,
                }],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.ratio = 2.5;
                t.max_ratio = 0.5;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.max_upload_ratio = Some(2.0);
            },
            ..row(
                "a lower qBittorrent limit does not lower ours",
                Rule::SeedingLimit,
                vec![Action::Remove {
                    delete_files: true,
                    queue: QueueStep::Keep,
                    research: false,
                }],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.seeding_time = 2 * HOUR;
                t.max_seeding_minutes = 7 * 24 * 60;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Time;
                r.max_seeding_time = Some(HOUR);
            },
            ..row(
                "qBittorrent's own seeding time limit (7 days, in minutes) is higher: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.ratio = 5.0;
                t.max_ratio = 3.0;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| r.remove_torrent = RemoveTorrent::Ratio,
            ..row(
                "no MaxUploadRatio: qBittorrent's limit alone removes nothing",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.seeding_time = 2 * HOUR;
                t.tags = vec!["qBitrr-imported".into()];
            },
            rules: |r| {
                r.remove_torrent = RemoveTorrent::RatioAndTime;
                r.max_upload_ratio = Some(2.0);
                r.max_seeding_time = Some(HOUR);
            },
            ..row("RemoveTorrent 4 needs ratio AND time", Rule::NoAction, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.seeding_time = 2 * HOUR;
                t.tags = vec!["qBitrr-imported".into()];
            },
            rules: |r| {
                r.remove_torrent = RemoveTorrent::RatioOrTime;
                r.max_upload_ratio = Some(2.0);
                r.max_seeding_time = Some(HOUR);
            },
            ..row(
                "RemoveTorrent 3: time alone is enough",
                Rule::SeedingLimit,
                vec![Action::Remove {
                    delete_files: true,
                    queue: QueueStep::Keep,
                    research: false,
                }],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::StalledDl,
            ..row(
                "stalled first seen: tag, start the clock",
                Rule::StalledFirstSeen,
                vec![Action::AddTag(tags::ALLOWED_STALLED)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.progress = 0.995;
            },
            rules: |r| r.re_search_stalled = true,
            ..row(
                "ReSearchStalled never gives up on a download above MaximumDeletablePercentage",
                Rule::StalledFirstSeen,
                vec![Action::AddTag(tags::ALLOWED_STALLED)],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::StalledDl,
            rules: |r| r.re_search_stalled = true,
            ..row(
                "stalled first seen with ReSearchStalled: blocklist now, keep torrent",
                Rule::StalledFirstSeen,
                vec![
                    Action::AddTag(tags::ALLOWED_STALLED),
                    Action::BlocklistKeep { research: true },
                ],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| m.stalled_since = Some(NOW - 5 * 60),
            ..row("stalled within StalledDelay: wait", Rule::StalledWaiting, vec![])
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            ..row(
                "stalled past StalledDelay: fail",
                Rule::StalledDelete,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MetaDl;
                t.last_activity = NOW - 1;
            },
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            ..row(
                "metaDL past StalledDelay: last_activity ignored",
                Rule::StalledDelete,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| {
                m.stalled_since = Some(NOW - 16 * 60);
                m.blocklisted_at = Some(NOW - 16 * 60);
                m.searched_at = Some(NOW - 16 * 60);
            },
            ..row(
                "stalled delete after ReSearchStalled: no second blocklist or search",
                Rule::StalledDelete,
                vec![fail(false, false)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
                t.progress = 0.995;
            },
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            ..row("stalled but nearly done: kept", Rule::StalledNearlyDone, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::StalledDl,
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            rules: |r| r.stalled_delay = StalledDelay::TagOnly,
            ..row("StalledDelay 0: never removed", Rule::StalledTagOnly, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::StalledDl,
            rules: |r| r.stalled_delay = StalledDelay::Off,
            ..row("StalledDelay -1: stalled handling off", Rule::StalledOff, vec![])
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.eta = ETA_INFINITE;
                t.last_activity = NOW - 3 * HOUR;
            },
            rules: |r| {
                r.stalled_delay = StalledDelay::Off;
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            ..row(
                "StalledDelay -1: a stalled torrent is not removed as slow or stale either",
                Rule::StalledOff,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::MetaDl;
                t.added_on = NOW - 3 * HOUR;
            },
            rules: |r| {
                r.stalled_delay = StalledDelay::Off;
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            ..row(
                "StalledDelay -1: nor is a metadata download",
                Rule::StalledOff,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.eta = ETA_INFINITE;
                t.last_activity = NOW - 3 * HOUR;
            },
            rules: |r| {
                r.stalled_delay = StalledDelay::Off;
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            ..row(
                "StalledDelay -1 leaves the slow rule to downloading torrents",
                Rule::Slow,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::Downloading;
                t.tags = vec![tags::ALLOWED_STALLED.into()];
            },
            memory: |m| m.stalled_since = Some(NOW - 60),
            ..row(
                "no longer stalled: tag removed",
                Rule::NoAction,
                vec![Action::RemoveTag(tags::ALLOWED_STALLED)],
            )
        },
        Row {
            torrent: |t| t.eta = 2 * HOUR,
            rules: |r| {
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            ..row("ETA above MaximumETA: slow", Rule::Slow, vec![fail(true, true)])
        },
        Row {
            torrent: |t| t.eta = 2 * HOUR,
            rules: |r| r.maximum_eta = Some(HOUR),
            ..row("DoNotRemoveSlow keeps slow torrents", Rule::NoAction, vec![])
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            connection: Connection::Down { since: NOW - 20 * 60 },
            ..row(
                "no connection: a stalled download past StalledDelay is kept",
                Rule::Offline,
                vec![],
            )
        },
        Row {
            torrent: |t| t.state = TorrentState::StalledDl,
            rules: |r| r.re_search_stalled = true,
            memory: |m| m.stalled_since = None,
            connection: Connection::Down { since: NOW - 60 },
            ..row(
                "no connection: no stalled clock starts, no ReSearchStalled blocklist",
                Rule::Offline,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.eta = ETA_INFINITE;
                t.last_activity = NOW - 3 * HOUR;
            },
            rules: |r| {
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            connection: Connection::Down {
                since: NOW - 2 * HOUR,
            },
            ..row("no connection: neither slow nor stale", Rule::Offline, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.ratio = 3.0;
            },
            memory: |m| m.imported_at = Some(NOW - HOUR),
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.max_upload_ratio = Some(2.0);
            },
            connection: Connection::Down { since: NOW - 60 },
            ..row(
                "no connection: seeding limits still apply",
                Rule::SeedingLimit,
                vec![Action::Remove {
                    delete_files: true,
                    queue: QueueStep::Keep,
                    research: false,
                }],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            connection: Connection::Up {
                back_at: Some(NOW - 5 * 60),
            },
            ..row(
                "connected again 5 minutes ago: the stalled clock counts from then",
                Rule::StalledWaiting,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| m.stalled_since = Some(NOW - HOUR),
            connection: Connection::Up {
                back_at: Some(NOW - 16 * 60),
            },
            ..row(
                "connected again for longer than StalledDelay: removed",
                Rule::StalledDelete,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| t.last_activity = NOW - 3 * HOUR,
            rules: |r| r.maximum_eta = Some(HOUR),
            connection: Connection::Up {
                back_at: Some(NOW - 30 * 60),
            },
            ..row(
                "connected again for less than MaximumETA: not stale yet",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| t.eta = 2 * HOUR,
            rules: |r| {
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            connection: Connection::Up {
                back_at: Some(NOW - 60),
            },
            ..row(
                "connected again a minute ago: not slow yet (ETA still settling)",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| t.eta = ETA_INFINITE,
            rules: |r| {
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            queue: false,
            ..row("infinite ETA is slow too", Rule::Slow, vec![fail(true, true)])
        },
        Row {
            torrent: |t| t.last_activity = NOW - 3 * HOUR,
            rules: |r| r.maximum_eta = Some(HOUR),
            ..row(
                "no activity for MaximumETA: stale",
                Rule::Stale,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                t.last_activity = NOW - 3 * HOUR;
                t.progress = 0.995;
            },
            rules: |r| r.maximum_eta = Some(HOUR),
            ..row(
                "stale but above MaximumDeletablePercentage: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            rules: |r| r.re_search = false,
            torrent: |t| {
                t.state = TorrentState::StalledDl;
                t.last_activity = NOW - HOUR;
            },
            memory: |m| m.stalled_since = Some(NOW - 16 * 60),
            ..row(
                "ReSearch off: blocklist without search",
                Rule::StalledDelete,
                vec![fail(true, false)],
            )
        },
        row("downloading fine: nothing", Rule::NoAction, vec![]),
    ];
    rows.extend(tracker_rows());
    rows.extend(unregistered_rows());
    rows.extend(managed_category_rows());
    rows.extend(settings_rows());
    for r in &rows {
        let d = run(r);
        assert_eq!(d.rule, r.rule, "{}: {}", r.name, d.detail);
        assert_eq!(d.actions, r.actions, "{}: {}", r.name, d.detail);
    }
}

/// SeedingMode's UploadRateLimitPerTorrent 100 KiB/s.
fn upload_100k(r: &mut Rules) {
    r.settings.upload_limit = Some(100 * 1024);
}

/// A private tracker's entry that sets its own upload limit, 50 KiB/s, and super-seeding.
fn limiting_entry() -> TrackerEntry {
    TrackerEntry {
        settings: crate::tracker::TorrentSettings {
            upload_limit: Some(50 * 1024),
            download_limit: None,
            super_seed: true,
        },
        ..hnr_entry()
    }
}

/// Rate limits and super-seeding: set where the torrent differs, once.
fn settings_rows() -> Vec<Row> {
    vec![
        Row {
            rules: upload_100k,
            ..row(
                "SeedingMode upload limit, torrent unlimited: set",
                Rule::NoAction,
                vec![Action::Set(Setting::UploadLimit(102_400))],
            )
        },
        Row {
            torrent: |t| t.up_limit = 102_400,
            rules: upload_100k,
            ..row("already at the limit: nothing sent", Rule::NoAction, vec![])
        },
        Row {
            torrent: |t| t.up_limit = 5_000,
            rules: |r| {
                upload_100k(r);
                r.settings.download_limit = Some(0);
            },
            ..row(
                "drifted (the user changed it): set again; download unlimited already",
                Rule::NoAction,
                vec![Action::Set(Setting::UploadLimit(102_400))],
            )
        },
        Row {
            torrent: |t| t.dl_limit = 5_000,
            rules: |r| r.settings.download_limit = Some(0),
            ..row(
                "download limit 0: unlimited",
                Rule::NoAction,
                vec![Action::Set(Setting::DownloadLimit(0))],
            )
        },
        Row {
            rules: upload_100k,
            trackers: Tr::Entry(limiting_entry),
            ..row(
                "the tracker entry's limit wins; no super-seeding for a download",
                Rule::NoAction,
                vec![Action::Set(Setting::UploadLimit(51_200))],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.up_limit = 51_200;
            },
            trackers: Tr::Entry(limiting_entry),
            ..row(
                "complete, the entry wants super-seeding: set",
                Rule::NoAction,
                vec![Action::Set(Setting::SuperSeeding(true))],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.up_limit = 51_200;
                t.super_seeding = true;
            },
            trackers: Tr::Entry(limiting_entry),
            ..row("super-seeding already: nothing", Rule::NoAction, vec![])
        },
        Row {
            rules: |r| {
                upload_100k(r);
                r.tracker_limits = true;
            },
            trackers: Tr::Unread,
            ..row(
                "an entry may set its own: trackers read first, nothing set yet",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: |r| {
                remove_at_ratio(r);
                upload_100k(r);
            },
            ..row(
                "removed: nothing set on it",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: |t| t.category = "sonarr".into(),
            rules: upload_100k,
            ..row("not our category: nothing set", Rule::OtherCategory, vec![])
        },
        Row {
            rules: owns_tags,
            trackers: Tr::Entry(tagging_entry),
            ..row(
                "its entry's AddTags: tagged",
                Rule::NoAction,
                vec![Action::TagWith("priv".into())],
            )
        },
        Row {
            torrent: |t| t.tags = vec!["priv".into(), "mine".into()],
            rules: owns_tags,
            trackers: Tr::Entry(tagging_entry),
            ..row("tagged already: nothing", Rule::NoAction, vec![])
        },
        Row {
            torrent: |t| t.tags = vec!["priv".into(), "hd".into()],
            rules: owns_tags,
            trackers: Tr::Entry(tagging_entry),
            ..row(
                "another entry's tag: taken off, the user's own left",
                Rule::NoAction,
                vec![Action::Untag("hd".into())],
            )
        },
        Row {
            torrent: |t| t.tags = vec!["priv".into()],
            rules: owns_tags,
            ..row(
                "no entry speaks for it (any more): its tag taken off",
                Rule::NoAction,
                vec![Action::Untag("priv".into())],
            )
        },
        Row {
            rules: |r| {
                owns_tags(r);
                r.tagless = true;
            },
            trackers: Tr::Entry(tagging_entry),
            ..row("Tagless: no AddTags in qBittorrent", Rule::NoAction, vec![])
        },
    ]
}

/// Entries with AddTags "priv" and "hd" can apply.
fn owns_tags(r: &mut Rules) {
    r.tracker_limits = true;
    r.owned_tags = vec!["priv".into(), "hd".into()];
}

/// A private tracker's entry with AddTags "priv".
fn tagging_entry() -> TrackerEntry {
    TrackerEntry {
        add_tags: vec!["priv".to_string()].into(),
        add_url: None,
        remove_if_exists: false,
        sort: false,
        ..hnr_entry()
    }
}

fn without_arr(r: &mut Rules) {
    r.has_arr = false;
    r.re_search = false;
}

fn without_arr_at_ratio(r: &mut Rules) {
    without_arr(r);
    remove_at_ratio(r);
}

/// Complete and past ratio 2.0, never imported.
fn past_ratio(t: &mut Torrent) {
    completed(t);
    t.ratio = 2.5;
}

/// The rules of a `[qBit] ManagedCategories` category: no Arr, so no queue, no import, no
/// blocklist, no search.
fn managed_category_rows() -> Vec<Row> {
    // Only the torrent and its files: no queue step, no search.
    let removal = SEEDING_REMOVAL;
    vec![
        Row {
            torrent: past_ratio,
            rules: without_arr_at_ratio,
            queue: false,
            ..row(
                "no Arr: complete, never imported, past the ratio: removed, nothing sent to an Arr",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: completed,
            rules: without_arr,
            queue: false,
            ..row(
                "no Arr: complete below the limits: nothing to import, kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: stalled_long,
            memory: stalled_since,
            rules: without_arr,
            queue: false,
            ..row(
                "no Arr: stalled past StalledDelay: removed without blocklist or search",
                Rule::StalledDelete,
                vec![removal.clone()],
            )
        },
        Row {
            torrent: stalled_long,
            memory: stalled_since,
            rules: |r| {
                without_arr(r);
                r.re_search_stalled = true;
            },
            queue: false,
            ..row(
                "no Arr, ReSearchStalled: nothing to blocklist in, removed only",
                Rule::StalledDelete,
                vec![removal.clone()],
            )
        },
        Row {
            torrent: |t| t.category = "failed".into(),
            rules: without_arr,
            queue: false,
            ..row(
                "no Arr: failed category: removed without blocklist or search",
                Rule::FailedCategory,
                vec![removal],
            )
        },
        Row {
            torrent: |t| {
                past_ratio(t);
                t.seeding_time = 2 * 24 * HOUR;
            },
            rules: without_arr_at_ratio,
            queue: false,
            trackers: Tr::Entry(category_entry),
            ..row(
                "no Arr: CategorySeeding hit-and-run owed (2 of 7 days): kept",
                Rule::HitAndRun,
                vec![Action::AddTag(tags::HNR_ACTIVE)],
            )
        },
        Row {
            torrent: past_ratio,
            rules: without_arr_at_ratio,
            queue: false,
            trackers: Tr::Private,
            ..row(
                "no Arr: private, no entry (CategorySeeding hit-and-run disabled): kept",
                Rule::PrivateKept,
                vec![],
            )
        },
    ]
}

/// The entry `[qBit.CategorySeeding]` makes when its HitAndRunMode is on: every host.
fn category_entry() -> TrackerEntry {
    TrackerEntry {
        name: "qBit.CategorySeeding".into(),
        host: String::new(),
        priority: i64::MIN,
        ..hnr_entry()
    }
}

/// Seeded past RemoveTorrent 1's MaxUploadRatio 2.0, imported.
fn seeded_past_ratio(t: &mut Torrent) {
    completed(t);
    t.tags = vec![tags::IMPORTED.into()];
    t.ratio = 2.5;
    t.seeding_time = 2 * 24 * HOUR;
}

fn remove_at_ratio(r: &mut Rules) {
    r.remove_torrent = RemoveTorrent::Ratio;
    r.max_upload_ratio = Some(2.0);
}

fn imported(m: &mut Memory) {
    m.imported_at = Some(NOW - HOUR);
}

/// Stalled past StalledDelay: `stalled-delete` unless the trackers say otherwise.
fn stalled_long(t: &mut Torrent) {
    t.state = TorrentState::StalledDl;
    t.last_activity = NOW - HOUR;
}

fn stalled_since(m: &mut Memory) {
    m.stalled_since = Some(NOW - 16 * 60);
}

const SEEDING_REMOVAL: Action = Action::Remove {
    delete_files: true,
    queue: QueueStep::Keep,
    research: false,
};

/// A seeding torrent none of whose trackers answered its last announce.
fn trackers_failing(t: &mut Torrent) {
    completed(t);
    t.tags = vec![tags::IMPORTED.into()];
    t.tracker_working = false;
}

/// Rule 9a, and the reads of failing trackers it rests on (UnregisteredDelay 1 h).
fn unregistered_rows() -> Vec<Row> {
    vec![
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            trackers: Tr::Unreg(2 * HOUR, 60),
            ..row(
                "imported, unregistered for 2 h (HnR owed): removed with files, no blocklist",
                Rule::Unregistered,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            trackers: Tr::Unreg(30 * 60, 60),
            ..row(
                "unregistered for 30 min < UnregisteredDelay: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            trackers: Tr::Unreg(2 * HOUR, 90 * 60),
            ..row(
                "delay passed, last read within it: read again to confirm",
                Rule::Unregistered,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: |r| r.unregistered_delay = None,
            trackers: Tr::Unreg(2 * HOUR, 60),
            ..row("UnregisteredDelay -1: kept", Rule::NoAction, vec![])
        },
        Row {
            torrent: stalled_long,
            memory: stalled_since,
            trackers: Tr::Unreg(2 * HOUR, 60),
            ..row(
                "an unregistered download: failed (blocklist, search), HnR aside",
                Rule::Unregistered,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| t.progress = 0.995,
            trackers: Tr::Unreg(2 * HOUR, 60),
            ..row(
                "an unregistered download above MaximumDeletablePercentage: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: completed,
            trackers: Tr::Unreg(2 * HOUR, 60),
            ..row(
                "complete, not imported: imported first",
                Rule::Import,
                vec![Action::Import {
                    path: "/downloads/radarr/Some.Movie.2024.1080p".into(),
                }],
            )
        },
        Row {
            torrent: |t| {
                seeded_past_ratio(t);
                t.added_on = NOW - 60;
            },
            memory: imported,
            trackers: Tr::Unreg(2 * HOUR, 60),
            ..row("too young: kept", Rule::TooYoung, vec![])
        },
        Row {
            torrent: trackers_failing,
            trackers: Tr::Unread,
            ..row(
                "trackers failing, not read: read",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: trackers_failing,
            trackers: Tr::ReadAgo(60, true),
            ..row(
                "trackers failing since a read found one working: read again",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: trackers_failing,
            trackers: Tr::ReadAgo(60, false),
            ..row(
                "trackers failing, read a minute ago, failing then: not read again",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: trackers_failing,
            trackers: Tr::ReadAgo(2 * HOUR, false),
            ..row(
                "trackers failing, read 2 h ago: read again",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: |t| {
                trackers_failing(t);
                t.state = TorrentState::PausedUp;
            },
            trackers: Tr::Unread,
            ..row(
                "paused (not announcing): trackers not read",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: trackers_failing,
            rules: |r| r.unregistered_delay = None,
            trackers: Tr::Unread,
            ..row(
                "UnregisteredDelay -1: failing trackers not read",
                Rule::NoAction,
                vec![],
            )
        },
    ]
}

#[test]
fn a_removal_keeps_the_files_another_torrent_shares() {
    let mut t = torrent();
    seeded_past_ratio(&mut t);
    let mut m = seen();
    imported(&mut m);
    let entry = None;
    let mut d = decide(Inputs {
        torrent: &t,
        queue: None,
        memory: &m,
        rules: &rules(),
        connection: Connection::default(),
        space: Space::Off,
        trackers: Tr::Unreg(2 * HOUR, 60).inputs(&entry),
        now: NOW,
    });
    assert_eq!(d.actions, [SEEDING_REMOVAL]);
    keep_files(&mut d, "torrent abc has the same content path");
    assert_eq!(
        d.actions,
        [Action::Remove {
            delete_files: false,
            queue: QueueStep::Keep,
            research: false
        }]
    );
    assert!(
        d.detail
            .ends_with("; files kept: torrent abc has the same content path"),
        "{}",
        d.detail
    );
    // Nothing to keep: the decision is left as it was.
    let mut kept = d.clone();
    keep_files(&mut kept, "again");
    assert_eq!(kept, d);
}

/// Rule 15: the trackers' say over every removal.
fn tracker_rows() -> Vec<Row> {
    vec![
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Unread,
            ..row(
                "seeding limit, trackers not read: read first, nothing removed",
                Rule::TrackersUnread,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Private,
            ..row("private, no tracker entry: kept", Rule::PrivateKept, vec![])
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: |r| {
                remove_at_ratio(r);
                r.remove_private_without_entry = true;
            },
            trackers: Tr::Private,
            ..row(
                "private, no entry, RemovePrivateWithoutEntry: removed",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: stalled_long,
            memory: stalled_since,
            trackers: Tr::Private,
            ..row(
                "private stalled download, no entry: kept",
                Rule::PrivateKept,
                vec![],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Entry(hnr_entry),
            ..row(
                "HnR and: ratio met, seeded 2 of 7 days: kept",
                Rule::HitAndRun,
                vec![Action::AddTag(tags::HNR_ACTIVE)],
            )
        },
        Row {
            torrent: |t| {
                seeded_past_ratio(t);
                t.seeding_time = 8 * 24 * HOUR;
            },
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Entry(hnr_entry),
            ..row(
                "HnR and: ratio and 7 days met: removed",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Entry(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Or;
                e
            }),
            ..row(
                "HnR or: the ratio is enough: removed",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Entry(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Disabled;
                e
            }),
            ..row(
                "private with an entry whose HnR is disabled: removed",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: |t| {
                stalled_long(t);
                t.progress = 0.5;
                t.ratio = 0.2;
            },
            memory: stalled_since,
            trackers: Tr::Entry(hnr_entry),
            ..row(
                "HnR: a partial download (50%) below its partial ratio: kept",
                Rule::HitAndRun,
                vec![Action::AddTag(tags::HNR_ACTIVE)],
            )
        },
        Row {
            torrent: |t| {
                stalled_long(t);
                t.progress = 0.05;
            },
            memory: stalled_since,
            trackers: Tr::Entry(hnr_entry),
            ..row(
                "HnR: 5% downloaded, below HitAndRunMinimumDownloadPercent: removed",
                Rule::StalledDelete,
                vec![fail(true, true)],
            )
        },
        Row {
            torrent: |t| {
                seeded_past_ratio(t);
                t.seeding_time = 8 * 24 * HOUR;
                t.tags.push(tags::HNR_ACTIVE.into());
                t.ratio = 0.5;
            },
            memory: imported,
            rules: |r| r.remove_torrent = RemoveTorrent::Time,
            trackers: Tr::Entry(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Or;
                e
            }),
            ..row(
                "HnR cleared below the seeding limit: qBitrr-hnr_active goes",
                Rule::NoAction,
                vec![Action::RemoveTag(tags::HNR_ACTIVE)],
            )
        },
        Row {
            torrent: |t| {
                seeded_past_ratio(t);
                t.tags.push(tags::HNR_ACTIVE.into());
            },
            memory: imported,
            trackers: Tr::Unread,
            ..row(
                "qBitrr-hnr_active stays while the trackers are not read",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| t.category = "failed".into(),
            trackers: Tr::Entry(hnr_entry),
            ..row(
                "HnR vetoes FailedCategory too",
                Rule::HitAndRun,
                vec![Action::AddTag(tags::HNR_ACTIVE)],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: remove_at_ratio,
            trackers: Tr::Entry(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Disabled;
                e.max_upload_ratio = Some(3.0);
                e
            }),
            ..row(
                "a tracker entry's MaxUploadRatio 3.0 replaces SeedingMode's 2.0: kept",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                seeded_past_ratio(t);
                t.ratio = 0.6;
            },
            memory: imported,
            rules: |r| r.remove_torrent = RemoveTorrent::Ratio,
            trackers: Tr::Entry(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Disabled;
                e.max_upload_ratio = Some(0.5);
                e
            }),
            ..row(
                "a tracker entry's MaxUploadRatio applies where SeedingMode has none",
                Rule::SeedingLimit,
                vec![SEEDING_REMOVAL],
            )
        },
        Row {
            torrent: |t| {
                t.eta = 3 * HOUR;
            },
            rules: |r| {
                r.maximum_eta = Some(HOUR);
                r.do_not_remove_slow = false;
            },
            trackers: Tr::Entry(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Disabled;
                e.maximum_eta = Some(4 * HOUR);
                e
            }),
            ..row(
                "a tracker entry's MaximumETA replaces Torrent.MaximumETA: not slow",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
            },
            memory: imported,
            rules: |r| r.tracker_limits = true,
            trackers: Tr::Unread,
            ..row(
                "tracker entries set limits, trackers unread: read them",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: |t| t.category = "sonarr".into(),
            rules: |r| r.tracker_limits = true,
            trackers: Tr::Unread,
            ..row("not ours: trackers never read", Rule::OtherCategory, vec![])
        },
        Row {
            rules: |r| {
                upload_100k(r);
                r.tracker_limits = true;
            },
            trackers: Tr::Hosts(limiting_entry),
            ..row(
                "unread, the view's announce URLs pick the entry: its limit, no read",
                Rule::NoAction,
                vec![Action::Set(Setting::UploadLimit(51_200))],
            )
        },
        Row {
            torrent: seeded_past_ratio,
            memory: imported,
            rules: |r| {
                r.remove_torrent = RemoveTorrent::Ratio;
                r.tracker_limits = true;
            },
            trackers: Tr::Hosts(|| {
                let mut e = hnr_entry();
                e.hnr.mode = crate::tracker::HnrMode::Disabled;
                e.max_upload_ratio = Some(0.5);
                e
            }),
            ..row(
                "the view's entry says its limit is reached: its trackers are read before removing",
                Rule::TrackersUnread,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            rules: |r| r.tracker_edits = true,
            trackers: Tr::Hosts(limiting_entry),
            ..row(
                "tracker edits need the trackers' messages: read them",
                Rule::NoAction,
                vec![Action::ReadTrackers, Action::Set(Setting::UploadLimit(51_200))],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.tracker_status_unknown = true;
            },
            rules: |r| r.unregistered_delay = Some(HOUR),
            trackers: Tr::Unread,
            ..row(
                "qBittorrent 5 does not say whether trackers answer: an announcing torrent's are read once",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.tracker_status_unknown = true;
            },
            rules: |r| r.unregistered_delay = Some(HOUR),
            trackers: Tr::PrivateAgo(7 * HOUR),
            ..row(
                "… and a private one's again six hours on",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.tracker_status_unknown = true;
            },
            rules: |r| r.unregistered_delay = Some(HOUR),
            trackers: Tr::PrivateAgo(5 * HOUR),
            ..row("… not sooner", Rule::NoAction, vec![])
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.tracker_status_unknown = true;
                t.tracker_working = false;
            },
            rules: |r| r.unregistered_delay = Some(HOUR),
            trackers: Tr::ReadAgo(7 * HOUR, true),
            ..row(
                "… and a public one's not again while one answered (its tracker field means nothing)",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.tracker_status_unknown = true;
            },
            rules: |r| r.unregistered_delay = Some(HOUR),
            trackers: Tr::ReadAgo(HOUR, false),
            ..row(
                "… but an hour on when none answered at the last read",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            torrent: |t| {
                completed(t);
                t.tags = vec![tags::IMPORTED.into()];
                t.tracker_status_unknown = true;
            },
            rules: |r| r.unregistered_delay = None,
            trackers: Tr::Unread,
            ..row("UnregisteredDelay off: not read", Rule::NoAction, vec![])
        },
        Row {
            rules: |r| r.tracker_edits = true,
            trackers: Tr::Unread,
            ..row(
                "tracker edits on, trackers unread: read them",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            rules: |r| r.tracker_edits = true,
            trackers: Tr::ReadAgo(HOUR, true),
            ..row(
                "tracker edits on, read an hour ago: not again",
                Rule::NoAction,
                vec![],
            )
        },
        Row {
            rules: |r| r.tracker_edits = true,
            trackers: Tr::ReadAgo(24 * HOUR, true),
            ..row(
                "tracker edits on, read a day ago: again",
                Rule::NoAction,
                vec![Action::ReadTrackers],
            )
        },
        Row {
            rules: |r| r.tracker_edits = true,
            trackers: Tr::Edit,
            ..row(
                "an edit to make: made",
                Rule::NoAction,
                vec![Action::EditTrackers(EDIT.clone())],
            )
        },
        Row {
            torrent: |t| t.category = "sonarr".into(),
            rules: |r| r.tracker_edits = true,
            trackers: Tr::Edit,
            ..row("not ours: no edit", Rule::OtherCategory, vec![])
        },
        Row {
            torrent: |t| t.state = TorrentState::MissingFiles,
            rules: |r| r.tracker_edits = true,
            trackers: Tr::Edit,
            ..row(
                "removed: no edit",
                Rule::MissingFiles,
                vec![Action::Remove {
                    delete_files: false,
                    queue: QueueStep::Remove,
                    research: true,
                }],
            )
        },
    ]
}

#[test]
fn stalled_clock_starts_and_is_forgotten() {
    let mut t = torrent();
    t.state = TorrentState::StalledDl;
    let r = rules();
    let m = seen();
    let d = decide(Inputs {
        torrent: &t,
        queue: None,
        memory: &m,
        rules: &r,
        connection: Connection::default(),
        space: Space::Off,
        trackers: PUBLIC,
        now: NOW,
    });
    assert_eq!(d.memory.stalled_since, Some(NOW));
    t.state = TorrentState::Downloading;
    let d2 = decide(Inputs {
        torrent: &t,
        queue: None,
        memory: &d.memory,
        rules: &r,
        connection: Connection::default(),
        space: Space::Off,
        trackers: PUBLIC,
        now: NOW + 10,
    });
    assert_eq!(d2.memory.stalled_since, None);
}

#[test]
fn tagless_keeps_tags_in_memory() {
    let mut t = torrent();
    t.state = TorrentState::StalledDl;
    let mut r = rules();
    r.tagless = true;
    let d = decide(Inputs {
        torrent: &t,
        queue: None,
        memory: &seen(),
        rules: &r,
        connection: Connection::default(),
        space: Space::Off,
        trackers: PUBLIC,
        now: NOW,
    });
    assert!(d.actions.is_empty());
    assert!(d.memory.tags.contains(tags::ALLOWED_STALLED));
}

#[test]
fn first_sight_is_remembered() {
    let t = torrent();
    let d = decide(Inputs {
        torrent: &t,
        queue: None,
        memory: &Memory::default(),
        rules: &rules(),
        connection: Connection::default(),
        space: Space::Off,
        trackers: PUBLIC,
        now: NOW,
    });
    assert_eq!(d.memory.first_seen, Some(NOW));
}

/// A small deterministic generator, so the property tests need no extra crate.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn opt_time(&mut self) -> Option<i64> {
        (self.below(2) == 0).then(|| NOW - self.below(3 * HOUR as u64) as i64)
    }
}

fn arbitrary(g: &mut Gen) -> (Torrent, Option<QueueEntry>, Memory, Rules) {
    let mut t = torrent();
    t.category = g.pick(&["radarr", "failed", "recheck", "sonarr", ""]).to_string();
    t.state = *g.pick(&TorrentState::ALL);
    t.tags = match g.below(6) {
        0 => vec![tags::IGNORED.into()],
        1 => vec![tags::IMPORTED.into()],
        2 => vec![tags::ALLOWED_STALLED.into(), "other".into()],
        3 => vec![tags::FREE_SPACE_PAUSED.into()],
        4 => vec![tags::FREE_SPACE_PAUSED.into(), tags::IGNORED.into()],
        _ => vec![],
    };
    t.progress = g.below(1001) as f64 / 1000.0;
    t.amount_left = if g.below(3) == 0 { 0 } else { g.below(1000) as i64 };
    t.added_on = NOW - g.below(600) as i64;
    t.completion_on = if g.below(2) == 0 {
        -1
    } else {
        NOW - g.below(600) as i64
    };
    t.last_activity = NOW - g.below(2 * HOUR as u64) as i64;
    t.eta = *g.pick(&[0, 60, 2 * HOUR, ETA_INFINITE]);
    t.content_path = g
        .pick(&[
            "/downloads/radarr/Some.Movie",
            "/downloads/radarr",
            "/downloads/radarr/",
            "",
        ])
        .to_string();
    t.ratio = *g.pick(&[-1.0, 0.0, 1.0, 5.0]);
    t.max_ratio = *g.pick(&[-2.0, -1.0, 0.0, 1.0, 3.0, 10.0]);
    t.max_seeding_minutes = *g.pick(&[-2, -1, 0, 30, 120, 600]);
    t.seeding_time = g.below(3 * HOUR as u64) as i64;
    let q = match g.below(4) {
        0 | 1 => None,
        2 => Some(queue()),
        _ => {
            let mut q = queue();
            not_an_upgrade(&mut q);
            q.tracked_state = g
                .pick(&["importPending", "importBlocked", "importing", "imported"])
                .to_string();
            q.tracked_status = *g.pick(&[TrackedStatus::Ok, TrackedStatus::Warning]);
            Some(q)
        }
    };
    let m = Memory {
        first_seen: g.opt_time(),
        imported_at: g.opt_time(),
        import: *g.pick(&[
            ImportState::None,
            ImportState::Sending {
                since: NOW - 60,
                attempt: 1,
            },
            ImportState::Sent {
                since: NOW - 60,
                command: 3,
                attempt: 2,
            },
            ImportState::Failed {
                attempts: 2,
                retry_at: NOW + 60,
            },
            ImportState::Failed {
                attempts: 1,
                retry_at: NOW - 1,
            },
        ]),
        stalled_since: g.opt_time(),
        blocklisted_at: g.opt_time(),
        searched_at: g.opt_time(),
        rechecked_at: g.opt_time(),
        files_checked_at: g.opt_time(),
        all_files_excluded_at: if g.below(4) == 0 { g.opt_time() } else { None },
        tags: if g.below(3) == 0 {
            BTreeSet::from([tags::FREE_SPACE_PAUSED.to_string()])
        } else {
            BTreeSet::new()
        },
    };
    let mut r = rules();
    r.tagless = g.below(2) == 0;
    r.min_age = g.below(400) as i64;
    r.category_min_age = g.below(400) as i64;
    r.stalled_delay = *g.pick(&[
        StalledDelay::Off,
        StalledDelay::TagOnly,
        StalledDelay::After(Duration::from_secs(0)),
        StalledDelay::After(Duration::from_secs(900)),
    ]);
    r.re_search_stalled = g.below(2) == 0;
    if g.below(2) == 0 {
        r.file_filter = video_filter();
    }
    r.maximum_eta = *g.pick(&[None, Some(60), Some(HOUR)]);
    r.do_not_remove_slow = g.below(2) == 0;
    r.max_upload_ratio = *g.pick(&[None, Some(0.5), Some(2.0)]);
    r.max_seeding_time = *g.pick(&[None, Some(60), Some(HOUR)]);
    r.remove_torrent = *g.pick(&[
        RemoveTorrent::Never,
        RemoveTorrent::Ratio,
        RemoveTorrent::Time,
        RemoveTorrent::RatioOrTime,
        RemoveTorrent::RatioAndTime,
    ]);
    (t, q, m, r)
}

/// What the free-space guard says: off, unknown, fits, or short (by a little or by a lot).
fn arbitrary_space(g: &mut Gen) -> Space {
    match g.below(5) {
        0 => Space::Off,
        1 => Space::Unknown,
        2 => Space::Fits,
        3 => Space::Short {
            need: 500,
            budget: 100,
        },
        _ => Space::Short {
            need: 500,
            budget: -1 << 30,
        },
    }
}

/// Connected (most often), connected again a moment or a while ago, or not connected.
fn arbitrary_connection(g: &mut Gen) -> Connection {
    match g.below(6) {
        0 => Connection::Down {
            since: NOW - g.below(600) as i64,
        },
        1 | 2 => Connection::Up {
            back_at: Some(NOW - g.below(2 * HOUR as u64) as i64),
        },
        _ => Connection::Up { back_at: None },
    }
}

/// What the trackers said: read just now or a while ago, or not; private or not; with a
/// hit-and-run entry (HnR and/or/disabled, arbitrary minimums) or none; some working, or
/// every one calling it unregistered since a while or not.
fn arbitrary_trackers(g: &mut Gen) -> (Option<TrackerEntry>, bool, Option<i64>, Option<i64>) {
    let entry = (g.below(2) == 0).then(|| {
        let mut e = hnr_entry();
        e.hnr.mode = match g.below(3) {
            0 => crate::tracker::HnrMode::And,
            1 => crate::tracker::HnrMode::Or,
            _ => crate::tracker::HnrMode::Disabled,
        };
        e.hnr.min_ratio = [0.0, 0.5, 1.0, 2.0][g.below(4) as usize];
        e.hnr.min_seeding_secs = [0, HOUR, 7 * 24 * HOUR][g.below(3) as usize];
        e.hnr.min_download_percent = [0.0, 10.0, 60.0][g.below(3) as usize];
        e.hnr.update_buffer_secs = [0, HOUR][g.below(2) as usize];
        if g.below(3) == 0 {
            e.max_upload_ratio = Some(0.5);
            e.max_seeding_time = Some(HOUR);
        }
        if g.below(3) == 0 {
            e.settings = limiting_entry().settings;
        }
        if g.below(3) == 0 {
            e.add_tags = tagging_entry().add_tags;
        }
        e
    });
    let private = g.below(2) == 0;
    let at = match g.below(4) {
        0 => None,
        1 => Some(NOW - TRACKERS_FRESH_SECS - g.below(100) as i64),
        _ => Some(NOW - g.below(TRACKERS_FRESH_SECS as u64) as i64),
    };
    let unregistered_since = match (at, g.below(3)) {
        (Some(at), 0) => Some(at - [0, 60, 2 * HOUR][g.below(3) as usize]),
        _ => None,
    };
    (entry, private, at, unregistered_since)
}

fn trackers_of(
    entry: &Option<TrackerEntry>,
    private: bool,
    at: Option<i64>,
    unregistered_since: Option<i64>,
) -> Trackers<'_> {
    match at {
        None => Trackers::Unread,
        Some(at) => Trackers::Read {
            private,
            entry: entry.as_ref(),
            at,
            working: unregistered_since.is_none(),
            unregistered: unregistered_since.map(|since| Unregistered {
                since,
                message: "Unregistered torrent",
            }),
            edit: None,
        },
    }
}

#[test]
fn safety_gates_hold_for_arbitrary_inputs() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for case in 0..200_000 {
        let (t, q, m, mut r) = arbitrary(&mut g);
        let connection = arbitrary_connection(&mut g);
        let space = arbitrary_space(&mut g);
        let (entry, private, read_at, unregistered_since) = arbitrary_trackers(&mut g);
        r.remove_private_without_entry = g.below(4) == 0;
        r.tracker_limits = entry.as_ref().is_some_and(TrackerEntry::sets_limits);
        r.unregistered_delay = [None, Some(0), Some(HOUR)][g.below(3) as usize];
        r.has_arr = g.below(4) != 0;
        r.settings.upload_limit = [None, Some(0), Some(102_400)][g.below(3) as usize];
        if g.below(3) == 0 {
            owns_tags(&mut r);
        }
        r.tracker_limits |= entry.as_ref().is_some_and(TrackerEntry::sets_limits);
        // Unread, sometimes with the entry the view's announce URLs pick.
        let trackers = if read_at.is_none() && g.below(2) == 0 {
            Trackers::Hosts {
                entry: entry.as_ref(),
            }
        } else {
            trackers_of(&entry, private, read_at, unregistered_since)
        };
        let input = Inputs {
            torrent: &t,
            queue: q.as_ref(),
            memory: &m,
            rules: &r,
            connection,
            space,
            trackers,
            now: NOW,
        };
        let d = decide(input);
        let ctx =
            || format!("case {case}: {t:?}\n{m:?}\n{r:?}\n{connection:?}\n{space:?}\n{trackers:?}\n=> {d:?}");
        let removes = d.actions.iter().any(|a| matches!(a, Action::Remove { .. }));

        // Nothing is removed on trackers not read.
        assert!(
            !removes || read_at.is_some(),
            "removed on trackers not read: {}",
            ctx()
        );
        // An unregistered torrent is removed only once every tracker has said so for
        // UnregisteredDelay, confirmed by a read at least that long after the first.
        let unregistered = d.rule == Rule::Unregistered && removes;
        if unregistered {
            let (Some(delay), Some(since), Some(at)) = (r.unregistered_delay, unregistered_since, read_at)
            else {
                panic!(
                    "unregistered without the delay, the trackers saying so or a read: {}",
                    ctx()
                );
            };
            assert!(NOW >= since + delay && at >= since + delay, "{}", ctx());
        }
        // Nothing else is removed while its tracker entry's hit-and-run rule is owed.
        if let Some(e) = &entry {
            let owing = crate::tracker::hit_and_run(&e.hnr, t.progress, t.ratio, t.seeding_time);
            let owed = matches!(owing, crate::tracker::Owing::Owed(_));
            assert!(
                !removes || !owed || unregistered,
                "hit-and-run: {owing:?}: {}",
                ctx()
            );
        }
        // A private torrent no entry speaks for is kept unless the user allows its removal
        // (or its tracker no longer knows it).
        if entry.is_none() && private && !r.remove_private_without_entry {
            assert!(!removes || unregistered, "private torrent removed: {}", ctx());
        }

        // Without an Arr (a managed category) nothing is ever asked of one.
        if !r.has_arr {
            let asks_arr = d.actions.iter().any(|a| match a {
                Action::Remove { queue, research, .. } => *queue != QueueStep::Keep || *research,
                Action::BlocklistKeep { .. }
                | Action::Import { .. }
                | Action::FindImport { .. }
                | Action::CheckImport { .. } => true,
                _ => false,
            });
            assert!(!asks_arr, "an Arr call without an Arr: {}", ctx());
        }

        // Settings only on a torrent of ours that stays, once the entry that speaks for it (which
        // may set its own) is known, read or from the view; super-seeding only once complete.
        let entry_unknown = trackers == Trackers::Unread;
        for a in &d.actions {
            if let Action::Set(setting) = a {
                assert!(t.category == r.category && !removes, "{}", ctx());
                assert!(!(entry_unknown && r.tracker_limits), "{}", ctx());
                if matches!(setting, Setting::SuperSeeding(_)) {
                    assert!(t.state.is_complete() && t.amount_left == 0, "{}", ctx());
                }
            }
            // AddTags: only its entry's on, only tags of ours off, never with Tagless.
            if let Action::TagWith(tag) | Action::Untag(tag) = a {
                assert!(t.category == r.category && !removes && !r.tagless, "{}", ctx());
                assert!(!entry_unknown || !r.tracker_limits, "{}", ctx());
                assert!(r.owned_tags.contains(tag), "{}", ctx());
            }
            if let Action::TagWith(tag) = a {
                assert!(
                    entry.as_ref().is_some_and(|e| e.add_tags.contains(tag)),
                    "{}",
                    ctx()
                );
            }
        }

        // qBitrr-hnr_active goes on only where hit-and-run holds a removal back.
        if d.actions.contains(&Action::AddTag(tags::HNR_ACTIVE)) {
            assert_eq!(d.rule, Rule::HitAndRun, "{}", ctx());
        }

        // Same input, same output.
        assert_eq!(decide(input), d, "{}", ctx());

        let destructive = d.actions.iter().any(Action::is_destructive);
        let ours = t.category == r.category;
        let special = t.category == r.failed_category || t.category == r.recheck_category;

        // Nothing at all outside the managed categories, or for the ignored tag.
        if !ours && !special {
            assert!(d.actions.is_empty(), "outside our categories: {}", ctx());
        }
        if t.has_tag(tags::IGNORED) {
            assert!(d.actions.is_empty(), "ignored tag: {}", ctx());
        }
        // Failed/recheck categories: only torrents we saw as ours.
        if special && m.first_seen.is_none() {
            assert!(d.actions.is_empty(), "unclaimed: {}", ctx());
        }
        // Protected states are never touched in our own category.
        if ours && t.state.is_protected() {
            assert!(d.actions.is_empty(), "protected state: {}", ctx());
        }
        if destructive {
            // The age gate.
            let min_age = if ours { r.min_age } else { r.category_min_age };
            assert!(
                NOW - t.added_on >= min_age,
                "younger than the age gate: {}",
                ctx()
            );
            if ours {
                assert!(!t.state.is_protected(), "{}", ctx());
                // Nearly finished downloads are never failed; completed ones only after import.
                let complete = t.state.is_complete() && t.amount_left == 0;
                if d.rule == Rule::AllFilesExcluded {
                    // Only after a file check found every file excluded, and never once imported.
                    assert!(m.all_files_excluded_at.is_some(), "{}", ctx());
                    let imported = !r.has_arr
                        || m.imported_at.is_some()
                        || (!r.tagless && t.has_tag(tags::IMPORTED))
                        || q.as_ref().is_some_and(|q| q.tracked_state == "imported");
                    assert!(!imported, "imported, then failed for its files: {}", ctx());
                } else if complete && d.rule == Rule::ArrError {
                    // Only when the Arr refuses the import for a listed reason.
                    let q = q.as_ref().expect("arr-error without a queue entry");
                    let held = ["importPending", "importBlocked"].contains(&q.tracked_state.as_str())
                        || q.tracked_status != TrackedStatus::Ok;
                    let listed = q
                        .status_messages
                        .iter()
                        .any(|m| r.arr_error_codes.iter().any(|c| m.contains(c.as_str())));
                    assert!(held && listed, "arr-error without a listed refusal: {}", ctx());
                } else if complete && d.rule == Rule::Unregistered {
                    let imported = !r.has_arr
                        || m.imported_at.is_some()
                        || (!r.tagless && t.has_tag(tags::IMPORTED))
                        || q.as_ref().is_some_and(|q| q.tracked_state == "imported");
                    assert!(imported, "unregistered, removed before import: {}", ctx());
                } else if complete {
                    let imported = !r.has_arr
                        || m.imported_at.is_some()
                        || (!r.tagless && t.has_tag(tags::IMPORTED))
                        || q.as_ref().is_some_and(|q| q.tracked_state == "imported");
                    assert!(imported, "completed torrent removed before import: {}", ctx());
                    assert_eq!(d.rule, Rule::SeedingLimit, "{}", ctx());
                    // Never before qBittorrent's own limit (the indexer's seed criteria).
                    let ratio = if t.ratio < 0.0 { f64::INFINITY } else { t.ratio };
                    let ratio_done = t.max_ratio < 0.0 || ratio >= t.max_ratio;
                    let time_done = t.max_seeding_minutes < 0 || t.seeding_time >= t.max_seeding_minutes * 60;
                    let owed = match r.remove_torrent {
                        RemoveTorrent::Ratio => ratio_done,
                        RemoveTorrent::Time => time_done,
                        RemoveTorrent::RatioOrTime => ratio_done || time_done,
                        RemoveTorrent::RatioAndTime => ratio_done && time_done,
                        RemoveTorrent::Never => false,
                    };
                    assert!(owed, "removed below qBittorrent's own limit: {}", ctx());
                } else if t.state != TorrentState::MissingFiles {
                    assert!(
                        t.progress <= r.max_deletable_progress,
                        "above MaximumDeletablePercentage: {}",
                        ctx()
                    );
                }
            }
        }
        // StalledDelay -1: a stalled torrent of ours is never removed (not as slow or stale either).
        if ours && destructive && r.stalled_delay == StalledDelay::Off {
            // (A torrent whose every file is excluded goes for its files, not for stalling.)
            // (Nor one its trackers no longer know.)
            let for_files = matches!(d.rule, Rule::AllFilesExcluded | Rule::Unregistered);
            assert!(
                !t.state.is_stalled() || for_files,
                "stalled with StalledDelay -1: {}",
                ctx()
            );
        }
        // An import never names the save path (the category folder).
        for a in &d.actions {
            if let Action::Import { path } = a {
                assert_ne!(
                    path.trim_end_matches('/'),
                    t.save_path.trim_end_matches('/'),
                    "{}",
                    ctx()
                );
            }
        }
        // Without a connection nothing is removed as stalled, slow or stale.
        if let Connection::Down { .. } = connection {
            let inactivity = [
                Rule::StalledDelete,
                Rule::Slow,
                Rule::Stale,
                Rule::StalledFirstSeen,
            ];
            assert!(!inactivity.contains(&d.rule), "offline: {}", ctx());
        }
        // After an outage, a stalled torrent is removed only once stalled for StalledDelay
        // since the connection came back.
        if let (Connection::Up { back_at: Some(b) }, Rule::StalledDelete) = (connection, d.rule) {
            if let StalledDelay::After(delay) = r.stalled_delay {
                assert!(
                    NOW - b >= delay.as_secs() as i64,
                    "stalled during the outage: {}",
                    ctx()
                );
            }
        }
        // The file check is asked for only for a download of ours that is not complete, has
        // its metadata, and was not checked before, while a filter is set.
        if d.actions.contains(&Action::FilterFiles) {
            assert!(
                ours && !t.state.is_protected() && !t.state.is_metadata(),
                "{}",
                ctx()
            );
            assert!(
                m.files_checked_at.is_none() && !r.file_filter.is_off(),
                "{}",
                ctx()
            );
            assert!(!(t.state.is_complete() && t.amount_left == 0), "{}", ctx());
            assert!(!d.actions.iter().any(Action::is_destructive), "{}", ctx());
        }
        // Never resume and remove at once.
        let resumes = d.actions.contains(&Action::Resume);
        assert!(!(resumes && destructive), "{}", ctx());

        // The free-space guard. Our tag, where this instance keeps it.
        let tagged = if r.tagless {
            m.tags.contains(tags::FREE_SPACE_PAUSED)
        } else {
            t.has_tag(tags::FREE_SPACE_PAUSED)
        };
        // It resumes only what it paused (our tag), and only once it fits.
        if d.rule == Rule::FreeSpaceResume {
            assert!(tagged && space == Space::Fits, "{}", ctx());
        }
        // Nothing that does not fit is resumed, by any rule; and what the guard paused stays
        // paused while the free space cannot be measured.
        if resumes {
            assert!(
                !matches!(space, Space::Short { .. }),
                "resumed without room: {}",
                ctx()
            );
            assert!(!(space == Space::Unknown && tagged), "{}", ctx());
        }
        // It pauses only a download of ours that does not fit, never one ignored, protected,
        // complete, or already paused; and pausing is all it does to it.
        let pauses = d.actions.contains(&Action::Pause);
        if pauses {
            assert!(matches!(space, Space::Short { .. }), "{}", ctx());
            assert!(ours && !t.has_tag(tags::IGNORED), "{}", ctx());
            assert!(
                !t.state.is_protected() && !t.state.is_stopped_download(),
                "{}",
                ctx()
            );
            assert!(t.amount_left > 0 && !t.state.is_complete(), "{}", ctx());
            assert!(!resumes && !destructive, "{}", ctx());
            let tag_after = if r.tagless {
                d.memory.tags.contains(tags::FREE_SPACE_PAUSED)
            } else {
                tagged || d.actions.contains(&Action::AddTag(tags::FREE_SPACE_PAUSED))
            };
            assert!(tag_after, "paused without our tag: {}", ctx());
        }
        // With the guard off, nothing is paused and a paused download is held for nobody.
        if space == Space::Off {
            assert!(!pauses && d.rule != Rule::FreeSpaceHeld, "{}", ctx());
        }
    }
}

#[test]
fn every_state_in_every_category_is_decided_without_panic() {
    let r = rules();
    for state in TorrentState::ALL {
        for cat in ["radarr", "failed", "recheck", "other"] {
            let mut t = torrent();
            t.state = state;
            t.category = cat.into();
            let d = decide(Inputs {
                torrent: &t,
                queue: None,
                memory: &seen(),
                rules: &r,
                connection: Connection::default(),
                space: Space::Off,
                trackers: PUBLIC,
                now: NOW,
            });
            assert!(!d.rule.name().is_empty());
        }
    }
}

mod explain;

#[test]
fn every_rule_is_listed_in_declaration_order() {
    for (i, rule) in Rule::ALL.iter().enumerate() {
        assert_eq!(*rule as usize, i, "{}", rule.name());
    }
}

/// `decide_until`'s promise, which lets the loop skip torrents whose inputs did not
/// change: until the time it names, the same inputs get the same decision.
#[test]
fn a_decision_stands_until_the_time_decide_until_names() {
    let mut g = Gen(0x2545_F491_4F6C_DD1D);
    let mut held = 0;
    for case in 0..100_000 {
        let (t, q, m, r) = arbitrary(&mut g);
        let connection = arbitrary_connection(&mut g);
        let (entry, private, read_at, unregistered_since) = arbitrary_trackers(&mut g);
        let at = |now| Inputs {
            torrent: &t,
            queue: q.as_ref(),
            memory: &m,
            rules: &r,
            connection,
            space: Space::Off,
            trackers: trackers_of(&entry, private, read_at, unregistered_since),
            now,
        };
        let (d, until) = decide_until(at(NOW));
        assert_eq!(d, decide(at(NOW)), "case {case}");
        if d.memory != m {
            continue; // the memory changes: the loop decides again anyway
        }
        held += 1;
        let until = until.unwrap_or(NOW + 30 * 24 * HOUR);
        assert!(until > NOW, "case {case}");
        for later in [
            NOW + 1,
            NOW + 59,
            NOW + 600,
            NOW + 3 * HOUR,
            NOW + 2 * 24 * HOUR,
            until - 1,
        ] {
            if later >= until {
                continue;
            }
            let again = decide(at(later));
            assert!(
                again.rule == d.rule && again.actions == d.actions && again.memory == d.memory,
                "case {case}: at {NOW} {d:?}, held until {until}, but at {later} {again:?}\n{t:?}\n{q:?}\n{m:?}\n{r:?}"
            );
        }
    }
    assert!(held > 10_000, "{held}");
}
