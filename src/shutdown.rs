//! The shutdown token: one flag and a condition variable shared by every
//! thread. Workers sleep with [`Shutdown::wait_timeout`], so a signal wakes
//! them at once instead of after their interval.
//!
//! A [`Shutdown::child`] is set with its parent and can also be set alone:
//! a pass stops between two actions on shutdown or when the store fails.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

#[derive(Default)]
struct Inner {
    flag: Mutex<bool>,
    cv: Condvar,
    /// Tokens set whenever this one is.
    children: Mutex<Vec<Weak<Inner>>>,
}

#[derive(Clone, Default)]
pub(crate) struct Shutdown(Arc<Inner>);

impl Shutdown {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A token that is set when this one is (at once if it already is), and
    /// that can be set alone without setting this one.
    pub(crate) fn child(&self) -> Self {
        let child = Self::new();
        {
            let mut children = self.0.children.lock().unwrap_or_else(|p| p.into_inner());
            children.retain(|c| c.strong_count() > 0);
            children.push(Arc::downgrade(&child.0));
        }
        // Checked after registering: a trigger in between reaches the child either way.
        if self.is_set() {
            child.trigger();
        }
        child
    }

    /// Asks every thread to stop.
    pub(crate) fn trigger(&self) {
        *self.0.flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.0.cv.notify_all();
        let children: Vec<Shutdown> = self
            .0
            .children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .map(Shutdown)
            .collect();
        for child in children {
            child.trigger();
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        *self.0.flag.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps up to `timeout`; returns true when shutdown was requested.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> bool {
        let guard = self.0.flag.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self
            .0
            .cv
            .wait_timeout_while(guard, timeout, |stop| !*stop)
            .unwrap_or_else(|p| p.into_inner());
        *guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn trigger_wakes_sleepers_at_once() {
        let s = Shutdown::new();
        let s2 = s.clone();
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            assert!(s2.wait_timeout(Duration::from_secs(30)));
            start.elapsed()
        });
        std::thread::sleep(Duration::from_millis(50));
        s.trigger();
        let waited = t.join().unwrap();
        assert!(waited < Duration::from_secs(30));
        assert!(s.is_set());
        assert!(!Shutdown::new().wait_timeout(Duration::from_millis(1)));
    }

    #[test]
    fn an_endless_timeout_neither_overflows_nor_outlives_a_trigger() {
        let s = Shutdown::new();
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait_timeout(Duration::MAX));
        std::thread::sleep(Duration::from_millis(20));
        s.trigger();
        assert!(t.join().unwrap());
    }

    #[test]
    fn a_child_is_set_with_its_parent_and_alone() {
        let parent = Shutdown::new();
        let child = parent.child();
        child.trigger();
        assert!(child.is_set());
        assert!(!parent.is_set(), "a child does not stop its parent");

        let child = parent.child();
        let dropped = parent.child();
        drop(dropped);
        parent.trigger();
        assert!(child.is_set(), "the parent's trigger reaches its children");
        assert!(parent.child().is_set(), "a child of a set token is born set");
    }
}
