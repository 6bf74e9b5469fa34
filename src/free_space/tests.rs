//! The walk in queue order, and a property: whatever the downloads, what fits never needs
//! more than the budget, and each shortfall is real.

use super::*;
use crate::test_rng::Rng;

fn id(n: u8) -> TorrentId {
    let hex = format!("{n:02x}").repeat(20);
    TorrentId::parse(&hex).expect("40 hex digits")
}

fn download(n: u8, queue_position: i64, amount_left: i64) -> Download {
    Download {
        id: id(n),
        queue_position,
        added_on: 1_000 + i64::from(n),
        amount_left,
        forced: false,
    }
}

const GIB: i64 = 1 << 30;

#[test]
fn the_queue_order_decides_who_fits() {
    // 10 GiB free, 2 GiB kept: 8 GiB to share.
    let v = plan(
        10 * GIB,
        2 << 30,
        vec![
            download(3, 3, 2 * GIB),
            download(1, 1, 5 * GIB),
            download(2, 2, 4 * GIB),
        ],
    );
    assert_eq!(v.of(&id(1)), Space::Fits);
    // Second in the queue needs 4 GiB of the 3 left: short; the third still fits in them.
    assert_eq!(
        v.of(&id(2)),
        Space::Short {
            need: 4 * GIB,
            budget: 3 * GIB
        }
    );
    assert_eq!(v.of(&id(3)), Space::Fits);
    assert_eq!(v.left, GIB);
    assert_eq!(v.weighed, 3);
    assert_eq!(v.short_count(), 1);
}

#[test]
fn without_queue_positions_the_oldest_goes_first() {
    let v = plan(
        3 * GIB,
        0,
        vec![download(2, 0, 2 * GIB), download(1, -1, 2 * GIB)],
    );
    assert_eq!(v.of(&id(1)), Space::Fits, "added first");
    assert!(matches!(v.of(&id(2)), Space::Short { .. }));
    // A queued download comes before one without a place in the queue.
    let v = plan(3 * GIB, 0, vec![download(1, 0, 2 * GIB), download(2, 7, 2 * GIB)]);
    assert_eq!(v.of(&id(2)), Space::Fits);
    assert!(matches!(v.of(&id(1)), Space::Short { .. }));
}

#[test]
fn below_the_reserve_nothing_fits_and_forced_downloads_take_their_share_anyway() {
    let v = plan(GIB, 5 << 30, vec![download(1, 1, 1)]);
    assert_eq!(
        v.of(&id(1)),
        Space::Short {
            need: 1,
            budget: -4 * GIB
        }
    );
    let mut forced = download(1, 1, 6 * GIB);
    forced.forced = true;
    let v = plan(8 * GIB, 0, vec![forced, download(2, 2, 3 * GIB)]);
    assert_eq!(v.of(&id(1)), Space::Fits);
    assert!(matches!(v.of(&id(2)), Space::Short { need, budget } if need == 3 * GIB && budget == 2 * GIB));
}

#[test]
fn extreme_numbers_saturate() {
    let v = plan(i64::MIN, u64::MAX, vec![download(1, 1, i64::MAX)]);
    assert!(matches!(v.of(&id(1)), Space::Short { .. }));
    let v = plan(
        i64::MAX,
        0,
        vec![download(1, 1, i64::MAX), download(2, 2, i64::MAX)],
    );
    assert_eq!(v.of(&id(1)), Space::Fits);
    assert!(matches!(v.of(&id(2)), Space::Short { .. }));
}

#[test]
fn what_fits_stays_within_the_budget_and_each_shortfall_is_real() {
    let mut rng = Rng(0x5eed_f5ac);
    for _ in 0..2_000 {
        let n = rng.below(12) as u8;
        let downloads: Vec<Download> = (0..n)
            .map(|i| {
                let mut d = download(i, rng.below(5) as i64, 1 + rng.below(10) as i64 * GIB);
                d.forced = rng.below(6) == 0;
                d
            })
            .collect();
        let free = rng.below(40) as i64 * GIB;
        let keep = rng.below(10) << 30;
        let v = plan(free, keep, downloads.clone());
        let budget = free - keep as i64;
        let fitting: i64 = downloads
            .iter()
            .filter(|d| !d.forced && v.of(&d.id) == Space::Fits)
            .map(|d| d.amount_left)
            .sum();
        let forced: i64 = downloads.iter().filter(|d| d.forced).map(|d| d.amount_left).sum();
        // What fits never needs more than the budget; forced downloads take theirs on top.
        assert!(fitting <= budget.max(0), "{fitting} > {budget}");
        assert_eq!(v.left, budget - fitting - forced);
        for d in &downloads {
            match v.of(&d.id) {
                Space::Short { need, budget } => {
                    assert!(!d.forced, "a forced download is never short");
                    assert_eq!(need, d.amount_left);
                    assert!(need > budget);
                }
                Space::Fits => {}
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn weighs_only_incomplete_downloads_not_ignored() {
    assert!(weighs(TorrentState::Downloading, 1, false));
    assert!(weighs(TorrentState::PausedDl, 1, false));
    assert!(weighs(TorrentState::StalledDl, 1, false));
    assert!(!weighs(TorrentState::Downloading, 1, true), "ignored");
    assert!(!weighs(TorrentState::MetaDl, 0, false), "no size yet");
    assert!(!weighs(TorrentState::Uploading, 0, false));
    assert!(!weighs(TorrentState::MissingFiles, 5, false));
}

#[test]
fn sizes_read_as_people_read_them() {
    assert_eq!(human(512), "512 B");
    assert_eq!(human(1536), "1.5 KiB");
    assert_eq!(human(3 * GIB), "3.0 GiB");
    assert_eq!(human(-4 * GIB), "-4.0 GiB");
}
