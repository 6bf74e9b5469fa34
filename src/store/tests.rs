use super::*;

fn sample() -> Memory {
    Memory {
        first_seen: Some(1),
        imported_at: None,
        import: ImportState::None,
        stalled_since: Some(-5),
        blocklisted_at: None,
        searched_at: Some(i64::MAX),
        rechecked_at: None,
        files_checked_at: Some(7),
        all_files_excluded_at: None,
        tags: ["qBitrr-imported".to_string(), "ü".to_string()]
            .into_iter()
            .collect(),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qbitrr-lite-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn values_round_trip_and_reject_damage() {
    let m = sample();
    let bytes = encode(&m);
    assert_eq!(decode(&bytes), Some(m));
    assert_eq!(decode(&encode(&Memory::default())), Some(Memory::default()));
    assert_eq!(decode(&[]), None);
    assert_eq!(decode(&[99, 0, 0, 0]), None, "unknown version");
    for cut in 0..bytes.len() {
        assert_eq!(decode(&bytes[..cut]), None, "truncated at {cut}");
    }
}

/// The version-1 layout, byte for byte: a store written by this release stays readable.
#[test]
fn version_one_layout_is_stable() {
    let m = Memory {
        first_seen: Some(2),
        imported_at: Some(3),
        tags: ["t".to_string()].into_iter().collect(),
        ..Memory::default()
    };
    let expected: Vec<u8> = [
        vec![1, 0b0000_0011],
        2i64.to_le_bytes().to_vec(),
        3i64.to_le_bytes().to_vec(),
        vec![1, 0, 1, 0, b't'],
    ]
    .concat();
    assert_eq!(encode(&m), expected);
}

#[test]
fn records_survive_reopen_and_are_per_instance() {
    let dir = temp_dir("reopen");
    let path = dir.join(FILE_NAME);
    {
        let (store, note) = Store::open(&path).unwrap();
        assert_eq!(note, OpenNote::Clean);
        store
            .save(
                "Radarr-1080",
                &[("aa", Some(sample())), ("bb", Some(Memory::default()))],
            )
            .unwrap();
        store
            .save("Radarr-10800", &[("cc", Some(Memory::default()))])
            .unwrap();
        store.save("Radarr-1080", &[("bb", None)]).unwrap();
    }
    let (store, _) = Store::open(&path).unwrap();
    let loaded = store.load("Radarr-1080").unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded["aa"], sample());
    assert_eq!(store.load("Radarr-10800").unwrap().len(), 1);
    assert!(store.load("Sonarr").unwrap().is_empty());
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaged_file_is_moved_aside_not_deleted() {
    let dir = temp_dir("corrupt");
    let path = dir.join(FILE_NAME);
    let garbage = vec![0xA5u8; 64 * 1024];
    std::fs::write(&path, &garbage).unwrap();
    let (store, note) = Store::open(&path).unwrap();
    let OpenNote::MovedAside { moved_to, .. } = note else {
        panic!("expected the file to be moved aside, got {note:?}");
    };
    assert_eq!(
        std::fs::read(&moved_to).unwrap(),
        garbage,
        "the old file is kept as it was"
    );
    store.save("X", &[("h", Some(sample()))]).unwrap();
    assert_eq!(store.load("X").unwrap()["h"], sample());
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_are_sorted_by_what_can_be_done_about_them() {
    use std::io::{Error as IoError, ErrorKind};
    let path = Path::new("/data/qbitrr-lite.redb");
    let kind = |e: redb::Error| match StoreError::classify(path, e) {
        StoreError::InUse { .. } => "in use",
        StoreError::Corrupt { .. } => "corrupt",
        StoreError::Permission { .. } => "permission",
        StoreError::NoSpace { .. } => "no space",
        StoreError::Poisoned { .. } => "poisoned",
        StoreError::Io { .. } => "io",
        StoreError::MoveAside { .. } => "move aside",
        StoreError::Unavailable { .. } => "unavailable",
    };
    let io = |k: ErrorKind| redb::Error::Io(IoError::from(k));
    assert_eq!(kind(redb::Error::DatabaseAlreadyOpen), "in use");
    assert_eq!(kind(redb::Error::Corrupted("bad header".into())), "corrupt");
    assert_eq!(kind(io(ErrorKind::PermissionDenied)), "permission");
    assert_eq!(kind(io(ErrorKind::ReadOnlyFilesystem)), "permission");
    assert_eq!(kind(io(ErrorKind::StorageFull)), "no space");
    assert_eq!(kind(redb::Error::Io(IoError::from_raw_os_error(28))), "no space");
    assert_eq!(kind(redb::Error::PreviousIo), "poisoned");
    assert_eq!(kind(io(ErrorKind::UnexpectedEof)), "io");
    let e = StoreError::classify(path, io(ErrorKind::StorageFull));
    assert!(
        e.to_string().starts_with("/data/qbitrr-lite.redb: no space left"),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some(), "the redb error is kept");
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = temp_dir("inuse");
    let path = dir.join(FILE_NAME);
    let (_store, _) = Store::open(&path).unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::InUse { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- A store that survives: damage, permission, a full disk ----

use crate::model::QueueStep;
use std::io::ErrorKind;
use std::sync::atomic::Ordering;

use crate::test_rng::Rng;

const INSTANCE: &str = "Radarr-1080";
const RECORDS: usize = 400;

fn hash(i: usize) -> String {
    format!("{i:040x}")
}

fn intent(i: usize) -> Intent {
    Intent {
        name: format!("Movie.{i}"),
        rule: "stalled".into(),
        detail: String::new(),
        qbit: "qBit".into(),
        delete: Some(true),
        queue: QueueStep::Blocklist,
        research: true,
        queue_ids: vec![i64::try_from(i).unwrap()],
        media_ids: vec![7],
        deleted: false,
        queue_done: false,
        searched: false,
        search_after: None,
        started_at: 1_800_000_000,
        attempts: 0,
        next_try_at: 1_800_000_000,
    }
}

/// A real store with records in both tables, several pages of them; its bytes.
fn real_store(dir: &Path) -> Vec<u8> {
    let path = dir.join("template.redb");
    {
        let (store, note) = Store::open(&path).unwrap();
        assert_eq!(note, OpenNote::Clean);
        let changes: Vec<(String, Option<Memory>)> =
            (0..RECORDS).map(|i| (hash(i), Some(sample()))).collect();
        store.save(INSTANCE, &changes).unwrap();
        for i in 0..20 {
            store.save_intent(INSTANCE, &hash(i), Some(&intent(i))).unwrap();
        }
    }
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    bytes
}

/// The `.corrupt-*` files in `dir`.
fn moved_aside(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect()
}

/// Opens `bytes` as a store file: it must be moved aside (kept byte for byte),
/// with a fresh, writable store in its place. Returns the reason given.
fn assert_moved_aside(name: &str, bytes: &[u8]) -> String {
    let dir = temp_dir(name);
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, bytes).unwrap();
    let (store, note) = Store::open(&path).unwrap();
    let OpenNote::MovedAside { moved_to, reason } = note else {
        panic!("{name}: expected the file to be moved aside, got {note:?}");
    };
    assert!(
        moved_to
            .to_string_lossy()
            .contains(&format!("{FILE_NAME}.corrupt-")),
        "{moved_to:?}"
    );
    assert!(
        std::fs::read(&moved_to).unwrap() == bytes,
        "{name}: kept as it was"
    );
    assert!(store.load(INSTANCE).unwrap().is_empty(), "{name}: a fresh store");
    store.save(INSTANCE, &[("h", Some(sample()))]).unwrap();
    assert_eq!(store.load(INSTANCE).unwrap()["h"], sample());
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
    reason
}

#[test]
fn an_empty_file_is_moved_aside_not_taken_for_a_new_store() {
    let reason = assert_moved_aside("empty", &[]);
    assert!(reason.contains("empty"), "{reason}");
}

#[test]
fn a_file_of_random_bytes_is_moved_aside() {
    let bytes = Rng(7).bytes(96 * 1024);
    assert_moved_aside("random", &bytes);
}

#[test]
fn a_truncated_store_is_moved_aside() {
    let dir = temp_dir("truncated-template");
    let bytes = real_store(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_moved_aside("truncated", &bytes[..bytes.len() / 2]);
}

/// One damaged variant of a real store file.
struct Variant {
    name: String,
    bytes: Vec<u8>,
}

/// ≥ 20 damaged variants of `good`: truncated at several offsets, random bytes
/// flipped in the header and in the pages, pages zeroed or overwritten, empty.
fn variants(good: &[u8]) -> Vec<Variant> {
    const PAGE: usize = 4096;
    let len = good.len();
    let pages = len / PAGE;
    let mut out = vec![Variant {
        name: "empty".into(),
        bytes: Vec::new(),
    }];
    for cut in [
        1,
        64,
        511,
        PAGE - 1,
        PAGE,
        PAGE + 100,
        len / 4,
        len / 2,
        len * 3 / 4,
        len - PAGE,
        len - 1,
    ] {
        out.push(Variant {
            name: format!("truncated at {cut}"),
            bytes: good[..cut].to_vec(),
        });
    }
    let mut rng = Rng(0x5EED);
    for n in 0..4 {
        let mut bytes = good.to_vec();
        for _ in 0..4 {
            let at = rng.index(512);
            bytes[at] ^= 1 << rng.index(8);
        }
        out.push(Variant {
            name: format!("header bits flipped #{n}"),
            bytes,
        });
    }
    for n in 0..5 {
        let mut bytes = good.to_vec();
        for _ in 0..8 {
            let at = PAGE + rng.index(len - PAGE);
            bytes[at] = rng.next() as u8;
        }
        out.push(Variant {
            name: format!("page bytes changed #{n}"),
            bytes,
        });
    }
    for page in [0, 1, 2, pages / 2, pages - 1] {
        let mut bytes = good.to_vec();
        bytes[page * PAGE..(page + 1) * PAGE].fill(0);
        out.push(Variant {
            name: format!("page {page} zeroed"),
            bytes,
        });
    }
    for page in [1, pages / 3, pages - 2] {
        let mut bytes = good.to_vec();
        let noise = rng.bytes(PAGE);
        bytes[page * PAGE..(page + 1) * PAGE].copy_from_slice(&noise);
        out.push(Variant {
            name: format!("page {page} random"),
            bytes,
        });
    }
    out
}

/// Every damaged variant of a real store either opens with its data (and can
/// be written) or is moved aside; `Store::open` never panics out, whatever
/// redb does inside it.
#[test]
fn damaged_store_files_never_panic_out_of_open() {
    let dir = temp_dir("damaged-table");
    let good = real_store(&dir);
    let expected: HashMap<String, Memory> = (0..RECORDS).map(|i| (hash(i), sample())).collect();
    let variants = variants(&good);
    assert!(variants.len() >= 20, "{} variants", variants.len());
    let (mut opened, mut aside, mut caught) = (0, 0, 0);
    let mut table = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let case = dir.join(format!("case-{i}"));
        std::fs::create_dir_all(&case).unwrap();
        let path = case.join(FILE_NAME);
        std::fs::write(&path, &v.bytes).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| Store::open(&path)));
        let Ok(result) = outcome else {
            panic!("{}: Store::open panicked", v.name);
        };
        let (store, note) = result.unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let row = match &note {
            OpenNote::Clean => {
                opened += 1;
                let loaded = store.load(INSTANCE).unwrap();
                let differing: Vec<&String> = expected
                    .iter()
                    .filter(|(k, m)| loaded.get(*k) != Some(*m))
                    .map(|(k, _)| k)
                    .collect();
                assert!(
                    differing.is_empty() && loaded.len() == expected.len(),
                    "{}: opened, so with all its data; {} of {} records differ or are missing",
                    v.name,
                    differing.len(),
                    expected.len()
                );
                let mut intents = 0;
                store.load_intents(INSTANCE, |_, _| intents += 1).unwrap();
                assert_eq!(intents, 20, "{}", v.name);
                "opened with its data".to_string()
            }
            OpenNote::MovedAside { moved_to, reason } => {
                aside += 1;
                assert!(
                    std::fs::read(moved_to).unwrap() == v.bytes,
                    "{}: kept as it was",
                    v.name
                );
                assert!(store.load(INSTANCE).unwrap().is_empty(), "{}: fresh", v.name);
                if reason.contains("panicked") {
                    caught += 1;
                }
                format!("moved aside: {reason}")
            }
        };
        store.save(INSTANCE, &[("after", Some(sample()))]).unwrap();
        assert_eq!(
            store.load(INSTANCE).unwrap()["after"],
            sample(),
            "{}: writable",
            v.name
        );
        assert!(!store.is_down(), "{}", v.name);
        table.push(format!("{:<26} {row}", v.name));
        drop(store);
    }
    eprintln!(
        "{} damaged variants: {opened} opened with their data, {aside} moved aside \
         ({caught} of them after a panic inside redb, caught)\n{}",
        variants.len(),
        table.join("\n")
    );
    assert_eq!(opened + aside, variants.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Reads `/proc/self/status` (effective uid).
#[test]
fn our_uid_is_the_effective_one() {
    let status = "Name:\tqbitrr-lite\nUid:\t1000\t1001\t1001\t1001\nGid:\t100\t100\t100\t100\n";
    assert_eq!(parse_uid(status), Some(1001));
    assert_eq!(parse_uid("Name:\tx\n"), None);
    assert!(our_uid().is_some(), "Linux has /proc/self/status");
}

fn is_root() -> bool {
    our_uid() == Some(0)
}

/// A permission error is not damage: refused with the owner, our uid and what
/// to do, and the file is left as it was (not moved, same bytes). Root may
/// write anything, so as root the error is injected where the file is opened;
/// as another user a real read-only file and a real read-only directory are used.
#[test]
fn a_store_that_may_not_be_written_is_refused_and_left_alone() {
    let dir = temp_dir("permission");
    let good = real_store(&dir);
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, &good).unwrap();

    for kind in [ErrorKind::PermissionDenied, ErrorKind::ReadOnlyFilesystem] {
        let err = Store::open_with(&path, Faults::failing_open(kind))
            .err()
            .unwrap_or_else(|| panic!("{kind:?}: opened"));
        assert!(matches!(err, StoreError::Permission { .. }), "{kind:?}: {err:?}");
        let text = err.to_string();
        assert!(text.starts_with(&path.display().to_string()), "{text}");
        assert!(text.contains("nothing was changed"), "{text}");
        if kind == ErrorKind::PermissionDenied {
            let ours = our_uid().unwrap();
            let owner = uid_of(&path).unwrap();
            assert!(text.contains(&format!("belongs to uid {owner}")), "{text}");
            if owner != ours {
                assert!(text.contains(&format!("runs as uid {ours}")), "{text}");
                assert!(text.contains("chown"), "{text}");
            }
        } else {
            assert!(text.contains("read-only"), "{text}");
        }
        assert!(!err.summary().is_empty());
    }
    // Another owner: the message names both uids and the chown to run.
    let text = StoreError::Permission {
        path: path.clone(),
        source: redb::Error::Io(ErrorKind::PermissionDenied.into()),
        who: Box::new(Who {
            owner: Some(Owner {
                path: path.clone(),
                uid: 0,
            }),
            ours: Some(1000),
        }),
    }
    .to_string();
    assert!(
        text.contains("belongs to uid 0 but qbitrr-lite runs as uid 1000") && text.contains("chown -R 1000"),
        "{text}"
    );

    if is_root() {
        eprintln!("running as root: real read-only files cannot be provoked here; injected only");
    } else {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        // A read-only file.
        mode(&path, 0o444);
        let err = Store::open(&path).err().expect("a read-only file is refused");
        assert!(matches!(err, StoreError::Permission { .. }), "{err:?}");
        mode(&path, 0o644);
        // A read-only directory, no store in it yet.
        let ro = dir.join("ro");
        std::fs::create_dir_all(&ro).unwrap();
        mode(&ro, 0o555);
        let err = Store::open(&ro.join(FILE_NAME))
            .err()
            .expect("a read-only directory is refused");
        assert!(matches!(err, StoreError::Permission { .. }), "{err:?}");
        assert!(err.to_string().contains(&ro.display().to_string()), "{err}");
        mode(&ro, 0o755);
    }
    assert_eq!(std::fs::read(&path).unwrap(), good, "the file is untouched");
    assert!(moved_aside(&dir).is_empty(), "nothing was moved aside");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A write that fails as on a full disk poisons redb's handle: the store is
/// unavailable (fails at once, no reopen before it is due) until a reopen and
/// a probe write succeed, and keeps what it had.
#[test]
fn a_full_disk_makes_the_store_unavailable_until_a_reopen_works() {
    let dir = temp_dir("full");
    let path = dir.join(FILE_NAME);
    let (faults, full) = Faults::switch();
    let (store, _) = Store::open_with(&path, faults).unwrap();
    store.save(INSTANCE, &[("kept", Some(sample()))]).unwrap();
    store.available().unwrap();

    full.store(true, Ordering::Relaxed);
    let err = store.save(INSTANCE, &[("lost", Some(sample()))]).unwrap_err();
    assert!(matches!(err, StoreError::NoSpace { .. }), "{err:?}");
    assert!(err.is_outage());
    assert!(store.is_down());
    assert!(store.retry_in().is_some_and(|d| d <= REOPEN_FIRST));
    let err = store.save_intent(INSTANCE, "h", Some(&intent(1))).unwrap_err();
    assert!(
        matches!(err, StoreError::Unavailable { .. }),
        "fails at once: {err:?}"
    );
    assert_eq!(
        err.problem(),
        format!("store unavailable: no space left on device ({})", path.display())
    );
    assert!(
        store.load(INSTANCE).is_err(),
        "no reads from a poisoned handle either"
    );
    assert!(store.available().is_err(), "no reopen before it is due");

    // Still full at the reopen: the probe write fails, and the wait doubles.
    store.retry_now();
    assert!(store.available().is_err());
    assert!(store
        .retry_in()
        .is_some_and(|d| d > REOPEN_FIRST && d <= 2 * REOPEN_FIRST));

    // Space freed: the next reopen works, with the data written before.
    full.store(false, Ordering::Relaxed);
    store.retry_now();
    store.available().unwrap();
    assert!(!store.is_down());
    assert_eq!(store.retry_in(), None);
    let loaded = store.load(INSTANCE).unwrap();
    assert_eq!(loaded.keys().collect::<Vec<_>>(), ["kept"]);
    store.save(INSTANCE, &[("after", Some(sample()))]).unwrap();
    drop(store);
    let (store, note) = Store::open(&path).unwrap();
    assert_eq!(note, OpenNote::Clean);
    assert_eq!(store.load(INSTANCE).unwrap().len(), 2);
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A full disk at start: the store starts unavailable instead of refusing to
/// run, and works once space is freed.
#[test]
fn a_store_opened_on_a_full_disk_starts_unavailable() {
    let dir = temp_dir("full-at-start");
    let path = dir.join(FILE_NAME);
    let (faults, full) = Faults::switch();
    full.store(true, Ordering::Relaxed);
    let (store, note) = Store::open_with(&path, faults).unwrap();
    assert_eq!(note, OpenNote::Clean);
    assert!(store.is_down());
    assert!(store.available().is_err());
    full.store(false, Ordering::Relaxed);
    store.retry_now();
    store.available().unwrap();
    store.save(INSTANCE, &[("h", Some(sample()))]).unwrap();
    assert_eq!(store.load(INSTANCE).unwrap().len(), 1);
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A store that works is asked once per pass; asking writes nothing (the
/// "0 B written per hour" of an idle daemon stays true).
#[test]
fn asking_a_working_store_writes_nothing() {
    let dir = temp_dir("steady");
    let path = dir.join(FILE_NAME);
    let (faults, _full) = Faults::switch();
    let (store, _) = Store::open_with(&path, faults.clone()).unwrap();
    store.save(INSTANCE, &[("h", Some(sample()))]).unwrap();
    let before = faults.writes();
    for _ in 0..1000 {
        store.available().unwrap();
        assert!(!store.is_down());
    }
    store.load(INSTANCE).unwrap();
    assert_eq!(faults.writes(), before, "no probe writes while the store works");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The instance view: an outage error triggers the pass's halt token.
#[test]
fn an_outage_halts_the_pass_that_saw_it() {
    let (faults, full) = Faults::switch();
    let store = Arc::new(Store::in_memory_with(faults));
    let mut records = InstanceRecords::new(Arc::clone(&store), INSTANCE, Writes::Commit);
    let halt = Shutdown::new();
    records.halt_on_outage(Some(halt.clone()));
    records.save(&[("a", Some(sample()))]).unwrap();
    assert!(!halt.is_set());
    full.store(true, Ordering::Relaxed);
    assert!(records.save(&[("b", Some(sample()))]).is_err());
    assert!(halt.is_set());
    assert!(records.is_down() && records.available().is_err());
    full.store(false, Ordering::Relaxed);
    store.retry_now();
    records.available().unwrap();
    let mut seen = Vec::new();
    records.load_each(|h, _| seen.push(h.to_string())).unwrap();
    assert_eq!(
        seen,
        ["a"],
        "the in-memory store keeps its data across the reopen"
    );
}

/// redb panicking inside the open or the full read (as it did on damaged
/// files before every page was checked at open): caught, the file moved
/// aside, a fresh store started. Each read in turn is made to panic.
#[test]
fn a_panic_inside_redb_is_caught_and_the_file_moved_aside() {
    let dir = temp_dir("panic-template");
    let good = real_store(&dir);
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, &good).unwrap();
    let counting = Faults::counting();
    let (store, note) = Store::open_with(&path, counting.clone()).unwrap();
    assert_eq!(note, OpenNote::Clean);
    let reads = counting.reads();
    drop(store);
    assert!(reads > 2, "{reads} reads");
    std::fs::remove_dir_all(&dir).unwrap();

    for n in [1, 2, reads / 2, reads - 1, reads] {
        let dir = temp_dir(&format!("panic-{n}"));
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, &good).unwrap();
        let opened = catch_unwind(AssertUnwindSafe(|| {
            Store::open_with(&path, Faults::panic_at_read(n))
        }));
        let Ok(Ok((store, note))) = opened else {
            panic!("read {n}: the panic got out of Store::open, or it failed");
        };
        let OpenNote::MovedAside { moved_to, reason } = note else {
            panic!("read {n}: {note:?}");
        };
        assert!(reason.contains("redb panicked"), "read {n}: {reason}");
        // Kept, though not always byte for byte: redb may have written to it
        // (its open commits) before the read that panicked.
        assert!(
            std::fs::metadata(&moved_to).is_ok_and(|m| m.len() > 0),
            "read {n}: kept"
        );
        store.save(INSTANCE, &[("h", Some(sample()))]).unwrap();
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A disk hovering at full: a store that fails again soon after its reopen is
/// the same outage (said once), and its backoff goes on instead of starting
/// over at a second.
#[test]
fn a_store_that_fails_again_soon_after_its_reopen_backs_off_further() {
    let (faults, full) = Faults::switch();
    let store = Store::in_memory_with(faults);
    full.store(true, Ordering::Relaxed);
    assert!(store.save(INSTANCE, &[("a", Some(sample()))]).is_err());
    full.store(false, Ordering::Relaxed);
    store.retry_now();
    store.available().unwrap();
    full.store(true, Ordering::Relaxed);
    assert!(store.save(INSTANCE, &[("b", Some(sample()))]).is_err());
    assert!(store.is_down());
    assert!(
        store.retry_in().is_some_and(|d| d > REOPEN_FIRST),
        "{:?}",
        store.retry_in()
    );
    full.store(false, Ordering::Relaxed);
    store.retry_now();
    store.available().unwrap();
}

/// The probe after a reopen needs fresh pages: a store whose file has room
/// for a small write but whose disk is full stays unavailable.
#[test]
fn the_probe_write_needs_room_to_grow() {
    let dir = temp_dir("probe");
    let path = dir.join(FILE_NAME);
    let (faults, _full) = Faults::switch();
    let (store, _) = Store::open_with(&path, faults.clone()).unwrap();
    let before = faults.writes();
    let guard = store.read_db();
    Store::probe(guard.as_ref().unwrap()).unwrap();
    drop(guard);
    let written = faults.writes() - before;
    assert!(written >= 2, "{written} writes");
    assert!(
        std::fs::metadata(&path).unwrap().len() >= u64::try_from(PROBE_BYTES).unwrap(),
        "the probe value reached the file"
    );
    assert!(store.load(INSTANCE).unwrap().is_empty(), "and was removed");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_import_under_way_round_trips_as_version_two() {
    for import in [
        ImportState::Sending { since: 7, attempt: 1 },
        ImportState::Sent {
            since: -1,
            command: i64::MAX,
            attempt: u32::MAX,
        },
        ImportState::Failed {
            attempts: 3,
            retry_at: 1_800_000_000,
        },
    ] {
        let m = Memory { import, ..sample() };
        let bytes = encode(&m);
        assert_eq!(bytes[0], VALUE_VERSION_IMPORT);
        assert_eq!(decode(&bytes), Some(m.clone()), "{import:?}");
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "{import:?} truncated at {cut}");
        }
    }
    assert_eq!(
        encode(&sample())[0],
        VALUE_VERSION,
        "settled records stay version 1"
    );
}

fn audit_entry(time: UnixTime, hash: &str) -> AuditEntry {
    AuditEntry {
        time,
        instance: "Radarr".into(),
        hash: hash.into(),
        name: "T".into(),
        rule: "stalled-delete".into(),
        detail: "stalled for 900s".into(),
        step: "delete with files".into(),
        outcome: "ok".into(),
        dry_run: false,
    }
}

#[test]
fn the_audit_log_is_kept_in_order_filtered_and_bounded() {
    let store = Store::in_memory();
    let now = 1_800_000_000;
    store
        .append_audit(&[audit_entry(now - 10, "aa"), audit_entry(now - 10, "bb")])
        .unwrap();
    store.append_audit(&[audit_entry(now, "aa")]).unwrap();
    let all = store.audit(0, 100, |_| true).unwrap();
    assert_eq!(
        all.iter().map(|e| e.hash.as_str()).collect::<Vec<_>>(),
        ["aa", "bb", "aa"]
    );
    assert_eq!(store.audit(0, 100, |e| e.hash == "aa").unwrap().len(), 2);
    assert_eq!(store.audit(now, 100, |_| true).unwrap().len(), 1, "since");
    assert_eq!(
        store.audit(0, 1, |_| true).unwrap()[0].time,
        now,
        "the newest `limit`"
    );
    // Older than the age cap: dropped at the next append.
    store
        .append_audit(&[audit_entry(now + AUDIT_MAX_AGE_SECS + 5, "cc")])
        .unwrap();
    let kept = store.audit(0, 100, |_| true).unwrap();
    assert_eq!(kept.iter().map(|e| e.hash.as_str()).collect::<Vec<_>>(), ["cc"]);
}

#[test]
fn the_audit_log_keeps_at_most_its_cap() {
    let store = Store::in_memory();
    let entries: Vec<AuditEntry> = (0..AUDIT_MAX_ENTRIES + 25)
        .map(|i| audit_entry(1_800_000_000 + i as i64, &format!("{i}")))
        .collect();
    store.append_audit(&entries).unwrap();
    let kept = store.audit(0, usize::MAX, |_| true).unwrap();
    assert_eq!(kept.len() as u64, AUDIT_MAX_ENTRIES);
    assert_eq!(kept[0].hash, "25", "the oldest went first");
}
