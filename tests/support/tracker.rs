//! A BitTorrent HTTP tracker on 127.0.0.1 for tests: every announce gets the answer the test
//! set — a `failure reason` (what a tracker says of a torrent it no longer knows) or an empty
//! peer list — and is counted. Served by tiny_http in a thread, stopped when dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the tracker answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `d8:intervali60e5:peers0:e`: known, no peers.
    NoPeers,
    /// `d14:failure reason…e`, with this text.
    Failure(String),
}

pub struct TestTracker {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    answer: Arc<Mutex<Answer>>,
    announces: Arc<AtomicUsize>,
    port: u16,
}

impl TestTracker {
    pub fn start(answer: Answer) -> TestTracker {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind the test tracker"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let answer = Arc::new(Mutex::new(answer));
        let announces = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (server, answer, announces) =
                (Arc::clone(&server), Arc::clone(&answer), Arc::clone(&announces));
            std::thread::spawn(move || {
                for req in server.incoming_requests() {
                    if req.url().starts_with("/announce") {
                        announces.fetch_add(1, Ordering::SeqCst);
                    }
                    let body = match &*answer.lock().unwrap_or_else(|p| p.into_inner()) {
                        Answer::NoPeers => b"d8:intervali60e5:peers0:e".to_vec(),
                        Answer::Failure(text) => {
                            format!("d14:failure reason{}:{text}e", text.len()).into_bytes()
                        }
                    };
                    let _ = req.respond(tiny_http::Response::from_data(body).with_status_code(200));
                }
            })
        };
        TestTracker {
            server,
            thread: Some(thread),
            answer,
            announces,
            port,
        }
    }

    /// The announce URL to build torrents with.
    pub fn announce_url(&self) -> String {
        format!("http://127.0.0.1:{}/announce", self.port)
    }

    pub fn set_answer(&self, answer: Answer) {
        *self.answer.lock().unwrap_or_else(|p| p.into_inner()) = answer;
    }

    /// Announces received so far.
    pub fn announces(&self) -> usize {
        self.announces.load(Ordering::SeqCst)
    }

    /// Waits (≤ `timeout`) for at least `n` announces.
    pub fn wait_for_announces(&self, n: usize, timeout: Duration) -> bool {
        crate::support::util::wait_until(timeout, Duration::from_millis(100), || self.announces() >= n)
    }
}

impl Drop for TestTracker {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
