//! The shutdown token: one flag and a condition variable shared by every
//! thread. Workers sleep with [`Shutdown::wait_timeout`], so a signal wakes
//! them at once instead of after their interval.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
pub(crate) struct Shutdown(Arc<(Mutex<bool>, Condvar)>);

impl Shutdown {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Asks every thread to stop.
    pub(crate) fn trigger(&self) {
        let (flag, cv) = &*self.0;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }

    pub(crate) fn is_set(&self) -> bool {
        *self.0 .0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps up to `timeout`; returns true when shutdown was requested.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> bool {
        let (flag, cv) = &*self.0;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = cv
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
}
