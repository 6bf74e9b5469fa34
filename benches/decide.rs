//! Micro-benchmark of the decision core and the torrent-list parser.
//!
//! `cargo bench --bench decide` (add `-- --quick` for fewer rounds). Prints:
//! - decide() over 10,000 generated torrents of mixed states: time per torrent;
//! - parse_torrents_each() of a 10,000-torrent `torrents/info` payload carrying every
//!   field qBittorrent 5.0 sends: time per torrent and throughput.
//!
//! Timings are wall clock (std::time::Instant), best and median of several rounds;
//! other load on the machine shows up in the median first.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use qbitrr_lite::config::{ImportMode, RemoveTorrent, StalledDelay};
use qbitrr_lite::decide::{decide, Inputs, Rules, Trackers};
use qbitrr_lite::free_space::Space;
use qbitrr_lite::model::Memory;
use qbitrr_lite::model::{tags, Connection, QueueEntry, Torrent, TorrentState};
use qbitrr_lite::qbit::{parse_torrent_list, parse_torrents_each};

const N: usize = 10_000;
const NOW: i64 = 1_760_000_000;

/// A small deterministic generator (xorshift64*), so every run sees the same torrents.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "The",
    "Last",
    "Winter",
    "Chronicles",
    "Return",
    "Shadow",
    "Kingdom",
    "Silent",
    "River",
    "Night",
    "Northern",
    "Lights",
    "Empire",
    "Beyond",
    "Horizon",
    "Lost",
    "City",
    "Golden",
    "Age",
    "Amélie",
];
const QUALITY: &[&str] = &[
    "2160p.UHD.BluRay.REMUX.HDR10.DV.HEVC.TrueHD.Atmos.7.1-FraMeSToR",
    "1080p.BluRay.x264.DTS-HD.MA.5.1-CiNEFiLE",
    "1080p.WEB-DL.DDP5.1.H.264-FLUX",
    "FLAC.24bit.96kHz-TEPES",
];
const TAG_POOL: &[&str] = &[
    "1080p",
    "2160p",
    "remux",
    "hdr",
    "private",
    "tracker:aither",
    "tracker:blutopia",
    "cross-seed",
    "autobrr",
    "keep",
    "season-pack",
    "freeleech",
    "H&R",
    "nas-1",
    "user:alice",
];
/// (state, weight): mostly seeding, as in a real library, with every other state present.
const STATES: &[(TorrentState, u32)] = &[
    (TorrentState::StalledUp, 47),
    (TorrentState::Uploading, 17),
    (TorrentState::StoppedUp, 13),
    (TorrentState::QueuedUp, 4),
    (TorrentState::ForcedUp, 2),
    (TorrentState::Downloading, 6),
    (TorrentState::StalledDl, 4),
    (TorrentState::QueuedDl, 2),
    (TorrentState::MetaDl, 1),
    (TorrentState::StoppedDl, 1),
    (TorrentState::Error, 1),
    (TorrentState::MissingFiles, 1),
    (TorrentState::CheckingDl, 1),
];

fn state(rng: &mut Rng) -> TorrentState {
    let total: u32 = STATES.iter().map(|(_, w)| w).sum();
    let mut x = rng.below(u64::from(total)) as u32;
    for (s, w) in STATES {
        if x < *w {
            return *s;
        }
        x -= w;
    }
    TorrentState::StalledUp
}

fn hash(i: usize) -> String {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
    format!("{:016x}{:016x}{:08x}", r.next(), r.next(), r.next() as u32)
}

/// One generated torrent, its queue entry (downloads not imported yet) and what the store remembers.
struct Case {
    torrent: Torrent,
    queue: Option<QueueEntry>,
    memory: Memory,
}

fn generate(n: usize, category: &str) -> Vec<Case> {
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let state = state(&mut rng);
            let complete = state.is_complete() || state == TorrentState::ForcedUp;
            let mut name = String::new();
            for _ in 0..3 + rng.below(6) {
                name.push_str(rng.pick(WORDS));
                name.push('.');
            }
            let _ = write!(name, "{}.{}.{i:05}", 1950 + rng.below(75), rng.pick(QUALITY));
            let size = (50 << 20) + rng.below(80 << 30) as i64;
            let progress = if complete {
                1.0
            } else {
                (rng.unit() * 0.98 * 1e4).round() / 1e4
            };
            let added_on = NOW - 3600 - rng.below(2 * 365 * 86_400) as i64;
            let mut tag_list: Vec<String> = (0..2 + rng.below(6))
                .map(|_| rng.pick(TAG_POOL).to_string())
                .collect();
            let imported = complete && rng.below(50) != 0;
            if imported {
                tag_list.push(tags::IMPORTED.to_string());
            }
            if state == TorrentState::StalledDl && rng.below(2) == 0 {
                tag_list.push(tags::ALLOWED_STALLED.to_string());
            }
            tag_list.sort();
            tag_list.dedup();
            let save_path = format!("/data/torrents/{category}");
            let torrent = Torrent {
                hash: hash(i),
                content_path: format!("{save_path}/{name}"),
                name,
                category: category.to_string(),
                state,
                tags: tag_list,
                progress,
                amount_left: ((1.0 - progress) * size as f64) as i64,
                size,
                added_on,
                completion_on: if complete { added_on + 600 } else { -1 },
                last_activity: NOW - rng.below(30 * 86_400) as i64,
                eta: if complete {
                    8_640_000
                } else {
                    60 + rng.below(7 * 86_400) as i64
                },
                ratio: rng.unit() * 12.0,
                seeding_time: if complete {
                    rng.below(300 * 86_400) as i64
                } else {
                    0
                },
                max_ratio: -1.0,
                max_seeding_minutes: -1,
                tracker_working: true,
                up_limit: 0,
                dl_limit: 0,
                super_seeding: false,
                tracker_url: String::new(),
                tracker_status_unknown: false,
                save_path,
                queue_position: 0,
            };
            let queue = (!imported).then(|| QueueEntry {
                ids: vec![i as i64 + 1],
                media_ids: vec![10_000 + i as i64],
                parent_id: None,
                tracked_state: if complete { "importPending" } else { "downloading" }.to_string(),
                messages: String::new(),
                ..QueueEntry::default()
            });
            // Steady state: every torrent seen before; stalled ones have their clock running.
            let memory = Memory {
                first_seen: Some(added_on + 5),
                imported_at: imported.then_some(added_on + 700),
                stalled_since: (state == TorrentState::StalledDl).then_some(NOW - 120),
                tags: BTreeSet::new(),
                ..Memory::default()
            };
            Case {
                torrent,
                queue,
                memory,
            }
        })
        .collect()
}

/// Trackers read just now: not private, no tracker entry (the common case).
const PUBLIC: Trackers<'static> = Trackers::Read {
    private: false,
    entry: None,
    at: NOW,
    working: true,
    unregistered: None,
    edit: None,
};

fn rules(category: &str) -> Rules {
    Rules {
        category: category.to_string(),
        failed_category: "failed".into(),
        recheck_category: "recheck".into(),
        tagless: false,
        category_min_age: 180,
        min_age: 180,
        stalled_delay: StalledDelay::After(Duration::from_secs(15 * 60)),
        re_search_stalled: false,
        re_search: true,
        maximum_eta: Some(7 * 86_400),
        do_not_remove_slow: false,
        max_deletable_progress: 0.99,
        max_upload_ratio: Some(10.0),
        max_seeding_time: None,
        settings: Default::default(),
        remove_torrent: RemoveTorrent::Ratio,
        import_mode: ImportMode::Auto,
        arr_error_codes: vec!["Not an upgrade for existing movie file(s)".into()],
        format_minimum: false,
        file_filter: qbitrr_lite::file_filter::FileFilter::default(),
        auto_delete: false,
        remove_private_without_entry: false,
        tracker_limits: false,
        unregistered_delay: Some(3_600),
        owned_tags: Vec::new(),
        has_arr: true,
        subcategories: Default::default(),
        tracker_edits: false,
        sorts_queue: false,
    }
}

/// A `torrents/info` body for the cases, with every field qBittorrent 5.0 sends.
fn payload(cases: &[Case]) -> String {
    let mut s = String::with_capacity(cases.len() * 2048);
    s.push('[');
    for (i, c) in cases.iter().enumerate() {
        let t = &c.torrent;
        if i > 0 {
            s.push(',');
        }
        let tags = t.tags.join(", ");
        let magnet = format!(
            "magnet:?xt=urn:btih:{}&dn={}&tr=https%3A%2F%2Ftracker.aither.cc%2Fannounce%2F0123456789abcdef0123456789abcdef\
             &tr=udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce&tr=udp%3A%2F%2Fopen.demonii.com%3A1337%2Fannounce",
            t.hash, t.name
        );
        let downloaded = t.size - t.amount_left;
        let _ = write!(
            s,
            r#"{{"added_on":{},"amount_left":{},"auto_tmm":true,"availability":-1,"category":"{}","comment":"","completed":{downloaded},"completion_on":{},"content_path":"{}","dl_limit":-1,"dlspeed":0,"download_path":"","downloaded":{downloaded},"downloaded_session":0,"eta":{},"f_l_piece_prio":false,"force_start":false,"has_metadata":true,"hash":"{}","inactive_seeding_time_limit":-2,"infohash_v1":"{}","infohash_v2":"","last_activity":{},"magnet_uri":"{magnet}","max_inactive_seeding_time":-1,"max_ratio":-1,"max_seeding_time":-1,"name":"{}","num_complete":17,"num_incomplete":2,"num_leechs":0,"num_seeds":3,"popularity":0.0123,"priority":0,"private":false,"progress":{},"ratio":{},"ratio_limit":-2,"reannounce":1234,"root_path":"{}","save_path":"{}","seeding_time":{},"seeding_time_limit":-2,"seen_complete":{},"seq_dl":false,"size":{},"state":"{}","super_seeding":false,"tags":"{tags}","time_active":{},"total_size":{},"tracker":"https://tracker.aither.cc/announce/0123456789abcdef0123456789abcdef","trackers_count":3,"up_limit":-1,"uploaded":{},"uploaded_session":0,"upspeed":0}}"#,
            t.added_on,
            t.amount_left,
            t.category,
            t.completion_on,
            t.content_path,
            t.eta,
            t.hash,
            t.hash,
            t.last_activity,
            t.name,
            t.progress,
            t.ratio,
            t.content_path,
            t.save_path,
            t.seeding_time,
            t.completion_on,
            t.size,
            t.state,
            NOW - t.added_on,
            t.size,
            (downloaded as f64 * t.ratio) as i64,
        );
    }
    s.push(']');
    s
}

/// Runs `f` `rounds` times; returns (best, median).
fn time_rounds(rounds: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[times.len() / 2])
}

fn per(d: Duration, n: usize) -> String {
    let ns = d.as_nanos() as f64 / n as f64;
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 30 };
    let category = "radarr-movies";
    let cases = generate(N, category);
    let rules = rules(category);

    // Warm up once, and show what the mix decides.
    let mut by_rule = std::collections::BTreeMap::new();
    for c in &cases {
        let d = decide(Inputs {
            torrent: &c.torrent,
            queue: c.queue.as_ref(),
            memory: &c.memory,
            rules: &rules,
            connection: Connection::default(),
            space: Space::Off,
            trackers: PUBLIC,
            now: NOW,
        });
        *by_rule.entry(d.rule.name()).or_insert(0u32) += 1;
    }
    let (best, median) = time_rounds(rounds, || {
        for c in &cases {
            black_box(decide(black_box(Inputs {
                torrent: &c.torrent,
                queue: c.queue.as_ref(),
                memory: &c.memory,
                rules: &rules,
                connection: Connection::default(),
                space: Space::Off,
                trackers: PUBLIC,
                now: NOW,
            })));
        }
    });
    println!("decide: {N} torrents, {rounds} rounds");
    println!(
        "  whole list: best {:.3} ms, median {:.3} ms; per torrent: best {}, median {}",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        per(best, N),
        per(median, N)
    );
    let mix: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!("  rules fired: {}", mix.join(", "));

    let body = payload(&cases);
    let parsed = parse_torrent_list(body.as_bytes()).expect("the generated payload parses");
    assert_eq!(parsed.len(), N);
    assert_eq!(parsed[17].hash, cases[17].torrent.hash);
    // What the loop does: each torrent handed over as it is read, none kept.
    let (best, median) = time_rounds(rounds.min(15), || {
        let mut seen = 0usize;
        parse_torrents_each(black_box(body.as_bytes()), |t| {
            black_box(t);
            seen += 1;
        })
        .unwrap();
        assert_eq!(seen, N);
    });
    let mib = body.len() as f64 / (1 << 20) as f64;
    println!(
        "parse_torrents_each: {N} torrents, {:.1} MiB of JSON ({} bytes per torrent)",
        mib,
        body.len() / N
    );
    println!(
        "  whole list: best {:.2} ms, median {:.2} ms; per torrent: best {}, median {}; {:.0} MiB/s",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        per(best, N),
        per(median, N),
        mib / best.as_secs_f64()
    );
}
