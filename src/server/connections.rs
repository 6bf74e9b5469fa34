//! The status server's connections: one thread waits on every socket with
//! `poll(2)`, so a client that sends nothing costs a file descriptor and a few
//! bytes, never a thread. What it guarantees:
//!
//! - a request must arrive whole within [`REQUEST_TIMEOUT`] of the connection
//!   opening or of the previous answer, and an answer must be taken within as
//!   long again; slow clients are closed, not waited for;
//! - at most [`Limits::max_connections`] are open: a new one closes the one that has waited
//!   longest for a request, so a flood of idle connections never keeps `/health` out;
//! - running out of file descriptors (`EMFILE`/`ENFILE`) closes the oldest idle
//!   connection and pauses accepting briefly; the listener is never given up;
//! - answers that wait on the supervisor, the store or an upstream run on
//!   [`SLOW_THREADS`] threads behind a queue of [`SLOW_QUEUE`]; a full queue answers
//!   503 at once. Everything else is answered on the loop's thread.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use log::{debug, warn};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::http1::{self, Parsed, Request, Response};

/// How long a connection may take to send a whole request, and to take an answer.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection waits for a slow answer before it is closed.
const SLOW_ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// Threads for answers that may block.
pub(crate) const SLOW_THREADS: usize = 2;
/// Slow answers queued beyond those running.
pub(crate) const SLOW_QUEUE: usize = 16;
/// How long accepting pauses when no descriptor can be freed.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// Longest single wait in `poll`, so a stop is seen even if the wake-up is lost.
const MAX_WAIT_MS: u16 = 1000;
/// Most bytes buffered from one connection: a whole request at most.
const MAX_BUFFERED: usize = http1::MAX_HEAD + http1::MAX_BODY + 4096;
/// How long a closing connection is read and discarded, so the client gets the
/// answer instead of a reset caused by bytes it sent that were never read.
const LINGER: Duration = Duration::from_secs(2);

/// A job that computes an answer off the loop's thread.
pub(crate) type SlowAnswer = Box<dyn FnOnce() -> Response + Send>;

/// How much the server holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections kept open at most.
    pub(crate) max_connections: usize,
    /// See [`REQUEST_TIMEOUT`].
    pub(crate) request_timeout: Duration,
}

/// What a handler makes of a request.
pub(crate) enum Answer {
    /// Answered at once (must not block).
    Now(Response),
    /// Answered on a slow thread.
    Later(SlowAnswer),
}

/// The serving thread; [`Serving::stop`] ends it and closes every connection.
pub(crate) struct Serving {
    stop: Arc<AtomicBool>,
    waker: UnixStream,
    thread: Option<JoinHandle<()>>,
}

impl Serving {
    /// Serves `listener` until [`Serving::stop`].
    pub(crate) fn start(
        listener: TcpListener,
        limits: Limits,
        handler: impl Fn(&Request) -> Answer + Send + 'static,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let (wake_rx, waker) = UnixStream::pair()?;
        wake_rx.set_nonblocking(true)?;
        waker.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done_rx) = mpsc::channel();
        let slow = SlowPool::start(done_tx, waker.try_clone()?)?;
        let mut server = Loop {
            listener,
            wake_rx,
            stop: Arc::clone(&stop),
            conns: VecDeque::new(),
            next_id: 0,
            max_connections: limits.max_connections.max(2),
            timeout: limits.request_timeout,
            accept_paused_until: None,
            warned_full: false,
            warned_fds: false,
            slow,
            done: done_rx,
        };
        let thread = std::thread::Builder::new()
            .name("status-server".into())
            .spawn(move || server.run(&handler))?;
        Ok(Self {
            stop,
            waker,
            thread: Some(thread),
        })
    }

    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = (&self.waker).write(&[1]);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where a connection is in its request/answer cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request.
    Reading,
    /// Its request is with a slow thread.
    Waiting,
    /// Sending an answer; closed afterwards unless `keep_alive`.
    Writing { keep_alive: bool },
    /// Answered and shut for writing: what the client still sends is discarded
    /// until it closes or [`LINGER`] passes.
    Draining,
}

struct Conn {
    id: u64,
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
    phase: Phase,
    /// When the current phase must be over.
    deadline: Instant,
    /// When it last started waiting for a request: the oldest is closed first.
    reading_since: Instant,
    sent_continue: bool,
    /// The client has shut its side: answer what is complete, then close.
    peer_closed: bool,
    /// [`Limits::request_timeout`].
    timeout: Duration,
}

impl Conn {
    fn idle(&self) -> bool {
        matches!(self.phase, Phase::Reading | Phase::Draining) && self.output.len() == self.written
    }
}

struct Loop {
    listener: TcpListener,
    wake_rx: UnixStream,
    stop: Arc<AtomicBool>,
    conns: VecDeque<Conn>,
    next_id: u64,
    max_connections: usize,
    timeout: Duration,
    accept_paused_until: Option<Instant>,
    warned_full: bool,
    warned_fds: bool,
    slow: SlowPool,
    done: Receiver<Done>,
}

impl Loop {
    fn run(&mut self, handler: &dyn Fn(&Request) -> Answer) {
        let mut ready: Vec<PollFlags> = Vec::new();
        while !self.stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            self.expire(now);
            if self.accept_paused_until.is_some_and(|t| t <= now) {
                self.accept_paused_until = None;
            }
            let accepting = self.accept_paused_until.is_none();
            let wait = self.wait_ms(now);
            ready.clear();
            {
                let mut fds = Vec::with_capacity(self.conns.len() + 2);
                fds.push(PollFd::new(self.wake_rx.as_fd(), PollFlags::POLLIN));
                fds.push(PollFd::new(
                    self.listener.as_fd(),
                    if accepting {
                        PollFlags::POLLIN
                    } else {
                        PollFlags::empty()
                    },
                ));
                for c in &self.conns {
                    let mut events = PollFlags::empty();
                    if matches!(c.phase, Phase::Reading | Phase::Draining) {
                        events |= PollFlags::POLLIN;
                    }
                    if c.output.len() > c.written {
                        events |= PollFlags::POLLOUT;
                    }
                    fds.push(PollFd::new(c.stream.as_fd(), events));
                }
                match poll(&mut fds, PollTimeout::from(wait)) {
                    Ok(_) => ready.extend(fds.iter().map(|f| f.revents().unwrap_or(PollFlags::empty()))),
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => {
                        warn!("status server: poll failed: {e}; retrying");
                        std::thread::sleep(ACCEPT_PAUSE);
                        continue;
                    }
                }
            }
            if !ready[0].is_empty() {
                let mut sink = [0u8; 64];
                while matches!((&self.wake_rx).read(&mut sink), Ok(n) if n > 0) {}
            }
            // Connections first (their indices are those polled), then answers, then new ones.
            let mut closed = Vec::new();
            for (i, flags) in ready[2..].iter().enumerate() {
                if flags.is_empty() {
                    continue;
                }
                let Some(conn) = self.conns.get_mut(i) else { break };
                if !serve(conn, *flags, handler, &self.slow) {
                    closed.push(conn.id);
                }
            }
            if !closed.is_empty() {
                self.conns.retain(|c| !closed.contains(&c.id));
            }
            self.collect_slow_answers(handler);
            if accepting && !ready[1].is_empty() {
                self.accept(handler);
            }
        }
        debug!(
            "status server: stopped; closing {} connection(s)",
            self.conns.len()
        );
    }

    /// Milliseconds until the next deadline, at most [`MAX_WAIT_MS`].
    fn wait_ms(&self, now: Instant) -> u16 {
        let next = self
            .conns
            .iter()
            .map(|c| c.deadline)
            .chain(self.accept_paused_until)
            .min();
        match next {
            Some(t) => {
                let ms = t.saturating_duration_since(now).as_millis() + 1;
                u16::try_from(ms).unwrap_or(MAX_WAIT_MS).min(MAX_WAIT_MS)
            }
            None => MAX_WAIT_MS,
        }
    }

    fn expire(&mut self, now: Instant) {
        let before = self.conns.len();
        self.conns.retain(|c| c.deadline > now);
        if self.conns.len() < before {
            debug!(
                "status server: closed {} connection(s) that timed out",
                before - self.conns.len()
            );
        }
        if self.conns.len() < self.max_connections / 2 {
            self.warned_full = false;
        }
    }

    fn collect_slow_answers(&mut self, handler: &dyn Fn(&Request) -> Answer) {
        while let Ok(done) = self.done.try_recv() {
            let Some(conn) = self.conns.iter_mut().find(|c| c.id == done.conn) else {
                continue; // closed meanwhile
            };
            respond(conn, &done.response, done.head_only, done.keep_alive);
            // Try at once; poll reports when the rest can go.
            if !flush(conn) || !advance(conn, handler, &self.slow) {
                let id = conn.id;
                self.conns.retain(|c| c.id != id);
            }
        }
    }

    fn accept(&mut self, handler: &dyn Fn(&Request) -> Answer) {
        // Bounded per wake-up, so open connections are served between bursts.
        for _ in 0..64 {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    self.warned_fds = false;
                    if self.conns.len() >= self.max_connections && !self.close_oldest_idle() {
                        continue; // every connection is busy: this one is refused by dropping it
                    }
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let now = Instant::now();
                    self.next_id += 1;
                    let mut conn = Conn {
                        id: self.next_id,
                        stream,
                        input: Vec::new(),
                        output: Vec::new(),
                        written: 0,
                        phase: Phase::Reading,
                        deadline: now + self.timeout,
                        reading_since: now,
                        sent_continue: false,
                        peer_closed: false,
                        timeout: self.timeout,
                    };
                    // Most clients send their request with the connection: answer it now.
                    if serve(&mut conn, PollFlags::POLLIN, handler, &self.slow) {
                        self.conns.push_back(conn);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::ConnectionAborted) => {}
                Err(e) => {
                    let out_of_fds = matches!(e.raw_os_error(), Some(nix::libc::EMFILE | nix::libc::ENFILE));
                    if out_of_fds && !self.warned_fds {
                        warn!(
                            "status server: out of file descriptors with {} connection(s) open; closing idle ones",
                            self.conns.len()
                        );
                        self.warned_fds = true;
                    } else if !out_of_fds {
                        warn!("status server: cannot accept a connection: {e}; retrying");
                    }
                    if !(out_of_fds && self.close_oldest_idle()) {
                        self.accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    }
                    return;
                }
            }
        }
    }

    /// Closes the connection that has waited longest for a request; false if none is idle.
    fn close_oldest_idle(&mut self) -> bool {
        if !self.warned_full && self.conns.len() >= self.max_connections {
            warn!(
                "status server: {} connections open (the most kept); closing those idle longest",
                self.conns.len()
            );
            self.warned_full = true;
        }
        let oldest = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.idle())
            .min_by_key(|(_, c)| c.reading_since)
            .map(|(i, _)| i);
        match oldest {
            Some(i) => {
                self.conns.remove(i);
                true
            }
            None => false,
        }
    }
}

/// Reads, answers and writes what `flags` allow; false when the connection is to close.
fn serve(conn: &mut Conn, flags: PollFlags, handler: &dyn Fn(&Request) -> Answer, slow: &SlowPool) -> bool {
    if flags.intersects(PollFlags::POLLERR | PollFlags::POLLNVAL) {
        return false;
    }
    if flags.contains(PollFlags::POLLOUT) && !flush(conn) {
        return false;
    }
    let readable = flags.intersects(PollFlags::POLLIN | PollFlags::POLLHUP);
    match conn.phase {
        Phase::Reading if readable => match read_available(&mut conn.stream, Some(&mut conn.input)) {
            Received::Failed => return false,
            Received::End => conn.peer_closed = true,
            Received::More => {}
        },
        // What a closing connection still sends is read and dropped.
        Phase::Draining if readable => return read_available(&mut conn.stream, None) == Received::More,
        Phase::Waiting if flags.contains(PollFlags::POLLHUP) => return false,
        _ => {}
    }
    if !advance(conn, handler, slow) {
        return false;
    }
    // A client that has shut its side and sent no whole request is done.
    !(conn.peer_closed && conn.phase == Phase::Reading)
}

/// What reading a connection came to.
#[derive(Debug, PartialEq, Eq)]
enum Received {
    /// It may send more (or `into` holds a whole request's worth).
    More,
    /// It shut its side.
    End,
    Failed,
}

/// Reads what `stream` has now, into `into` (at most [`MAX_BUFFERED`] bytes) or dropped.
fn read_available(stream: &mut TcpStream, mut into: Option<&mut Vec<u8>>) -> Received {
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Received::End,
            Ok(n) => {
                if let Some(input) = into.as_deref_mut() {
                    input.extend_from_slice(&chunk[..n]);
                    if input.len() > MAX_BUFFERED {
                        return Received::More;
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Received::More,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Received::Failed,
        }
    }
}

/// Answers every complete request buffered, one at a time; false to close.
fn advance(conn: &mut Conn, handler: &dyn Fn(&Request) -> Answer, slow: &SlowPool) -> bool {
    loop {
        match conn.phase {
            Phase::Waiting | Phase::Draining => return true,
            Phase::Writing { keep_alive } => {
                if conn.written < conn.output.len() {
                    return true;
                }
                if !keep_alive {
                    if conn.peer_closed {
                        return false;
                    }
                    let _ = conn.stream.shutdown(std::net::Shutdown::Write);
                    conn.phase = Phase::Draining;
                    conn.input = Vec::new();
                    conn.output = Vec::new();
                    conn.written = 0;
                    conn.deadline = Instant::now() + LINGER;
                    return true;
                }
                conn.output.clear();
                conn.written = 0;
                conn.phase = Phase::Reading;
                let now = Instant::now();
                conn.deadline = now + conn.timeout;
                conn.reading_since = now;
                conn.sent_continue = false;
            }
            Phase::Reading => match http1::parse(&conn.input) {
                Parsed::Partial { expects_continue } => {
                    if expects_continue && !conn.sent_continue {
                        conn.sent_continue = true;
                        conn.output.extend_from_slice(http1::CONTINUE);
                        return flush(conn);
                    }
                    return true;
                }
                Parsed::Rejected(r) => {
                    debug!("status server: rejected a request: {} {}", r.status, r.message);
                    let body = serde_json::json!({ "error": r.message }).to_string().into_bytes();
                    respond(
                        conn,
                        &Response::new(r.status, "application/json", body),
                        false,
                        false,
                    );
                    conn.input.clear();
                }
                Parsed::Complete {
                    mut request,
                    consumed,
                } => {
                    conn.input.drain(..consumed);
                    request.keep_alive &= !conn.peer_closed;
                    let head_only = request.method == http1::Method::Head;
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&request)))
                        .unwrap_or_else(|_| Answer::Now(internal_error()));
                    match answer {
                        Answer::Now(response) => {
                            debug!(
                                "status server: {} {} → {}",
                                request.method_text,
                                request.path(),
                                response.status
                            );
                            respond(conn, &response, head_only, request.keep_alive);
                        }
                        Answer::Later(job) => {
                            let queued = slow.submit(Job {
                                conn: conn.id,
                                head_only,
                                keep_alive: request.keep_alive,
                                work: job,
                            });
                            if queued {
                                conn.phase = Phase::Waiting;
                                conn.deadline = Instant::now() + SLOW_ANSWER_TIMEOUT;
                                return true;
                            }
                            warn!(
                                "status server: {} {}: too many slow requests queued; answered 503",
                                request.method_text,
                                request.path()
                            );
                            let body =
                                serde_json::json!({ "error": "busy: too many requests waiting; try again" })
                                    .to_string()
                                    .into_bytes();
                            respond(
                                conn,
                                &Response::new(503, "application/json", body),
                                head_only,
                                request.keep_alive,
                            );
                        }
                    }
                }
            },
        }
        if !flush(conn) {
            return false;
        }
    }
}

fn respond(conn: &mut Conn, response: &Response, head_only: bool, keep_alive: bool) {
    conn.output
        .extend_from_slice(&http1::serialize(response, head_only, keep_alive));
    conn.phase = Phase::Writing { keep_alive };
    conn.deadline = Instant::now() + conn.timeout;
}

/// Writes what the socket takes now; false if the connection failed.
fn flush(conn: &mut Conn) -> bool {
    while conn.written < conn.output.len() {
        match conn.stream.write(&conn.output[conn.written..]) {
            Ok(0) => return false,
            Ok(n) => conn.written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    if conn.phase == Phase::Reading {
        // The interim 100 Continue went out.
        conn.output.clear();
        conn.written = 0;
    }
    true
}

/// The answer when building one panicked (a bug): the connection and the server live on.
fn internal_error() -> Response {
    let body = serde_json::json!({ "error": "internal error; see the daemon's log" });
    Response::new(500, "application/json", body.to_string().into_bytes())
}

struct Job {
    conn: u64,
    head_only: bool,
    keep_alive: bool,
    work: SlowAnswer,
}

struct Done {
    conn: u64,
    head_only: bool,
    keep_alive: bool,
    response: Response,
}

/// [`SLOW_THREADS`] threads taking jobs from a queue of [`SLOW_QUEUE`].
struct SlowPool {
    queue: SyncSender<Job>,
}

impl SlowPool {
    fn start(done: Sender<Done>, waker: UnixStream) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::sync_channel::<Job>(SLOW_QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..SLOW_THREADS {
            let (jobs, done, waker) = (Arc::clone(&jobs), done.clone(), waker.try_clone()?);
            // Not joined: a job may wait on the supervisor, and stopping must not.
            std::thread::Builder::new()
                .name(format!("status-slow-{i}"))
                .spawn(move || loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    let Ok(job) = job else { return };
                    let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job.work))
                        .unwrap_or_else(|_| internal_error());
                    let sent = done.send(Done {
                        conn: job.conn,
                        head_only: job.head_only,
                        keep_alive: job.keep_alive,
                        response,
                    });
                    if sent.is_err() {
                        return;
                    }
                    let _ = (&waker).write(&[1]);
                })?;
        }
        Ok(Self { queue })
    }

    /// False when the queue is full (or the threads are gone).
    fn submit(&self, job: Job) -> bool {
        match self.queue.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    /// A server on 127.0.0.1 answering `/fast` at once, `/slow` after `gate` opens,
    /// `/panic` by panicking.
    fn server(limits: Limits, gate: Arc<Mutex<()>>) -> (Serving, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let serving = Serving::start(listener, limits, move |r: &Request| match r.path() {
            "/slow" => {
                let gate = Arc::clone(&gate);
                Answer::Later(Box::new(move || {
                    drop(gate.lock());
                    Response::new(200, "text/plain", b"slow".to_vec())
                }))
            }
            "/panic" => panic!("a handler bug"),
            _ => Answer::Now(Response::new(
                200,
                "text/plain",
                format!("{} {}", r.method_text, r.target).into_bytes(),
            )),
        })
        .unwrap();
        (serving, addr)
    }

    const ROOMY: Limits = Limits {
        max_connections: 64,
        request_timeout: Duration::from_secs(10),
    };

    fn connect(addr: SocketAddr) -> TcpStream {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    /// Reads one answer (head and `Content-Length` body) from `s`.
    fn read_answer(s: &mut TcpStream) -> (u16, String) {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            match s.read(&mut byte) {
                Ok(1) => buf.push(byte[0]),
                other => panic!(
                    "connection ended in a head ({other:?}): {:?}",
                    String::from_utf8_lossy(&buf)
                ),
            }
        }
        let head = String::from_utf8(buf).unwrap();
        let status = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        let mut body = vec![0u8; length];
        s.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
    }

    fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut s = connect(addr);
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        read_answer(&mut s)
    }

    #[test]
    fn keep_alive_and_pipelined_requests_are_answered_in_order() {
        let (serving, addr) = server(ROOMY, Arc::default());
        let mut s = connect(addr);
        s.write_all(b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nHEAD /c HTTP/1.1\r\n\r\n")
            .unwrap();
        assert_eq!(read_answer(&mut s), (200, "GET /a".into()));
        assert_eq!(read_answer(&mut s), (200, "GET /b".into()));
        // HEAD: the length of the body, no body; then the connection is still usable.
        let mut head = [0u8; 200];
        let n = s.read(&mut head).unwrap();
        assert!(String::from_utf8_lossy(&head[..n]).contains("Content-Length: 7\r\n"));
        s.write_all(b"GET /d HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(read_answer(&mut s), (200, "GET /d".into()));
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "closed after Connection: close");
        serving.stop();
    }

    #[test]
    fn a_request_sent_before_the_client_shuts_its_side_is_answered() {
        let (serving, addr) = server(ROOMY, Arc::default());
        let mut s = connect(addr);
        s.write_all(b"GET /half HTTP/1.1\r\n\r\n").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(read_answer(&mut s), (200, "GET /half".into()));
        serving.stop();
    }

    #[test]
    fn a_rejected_request_gets_its_status_even_with_an_unread_body() {
        let (serving, addr) = server(ROOMY, Arc::default());
        let mut s = connect(addr);
        s.write_all(b"POST /x HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n")
            .unwrap();
        // The client keeps sending what it announced; the answer must still arrive.
        let _ = s.write_all(&vec![b'a'; 256 << 10]);
        let (status, body) = read_answer(&mut s);
        assert_eq!(status, 413, "{body}");
        for garbage in [&b"\xff\x00\x13\x37\r\n\r\n"[..], b"NOT HTTP AT ALL\r\n\r\n"] {
            let mut s = connect(addr);
            s.write_all(garbage).unwrap();
            assert_eq!(read_answer(&mut s).0, 400);
        }
        assert_eq!(get(addr, "/after").0, 200);
        serving.stop();
    }

    #[test]
    fn expect_continue_gets_an_interim_answer() {
        let (serving, addr) = server(ROOMY, Arc::default());
        let mut s = connect(addr);
        s.write_all(b"POST /up HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
            .unwrap();
        let mut interim = [0u8; 25];
        s.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        s.write_all(b"abc").unwrap();
        assert_eq!(read_answer(&mut s), (200, "POST /up".into()));
        serving.stop();
    }

    #[test]
    fn slow_clients_are_closed_after_the_request_timeout() {
        let limits = Limits {
            max_connections: 64,
            request_timeout: Duration::from_millis(300),
        };
        let (serving, addr) = server(limits, Arc::default());
        let mut s = connect(addr);
        s.write_all(b"GET /never-finished HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let mut rest = Vec::new();
        // Closed by the server (EOF), well before the client's own 5 s read timeout.
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        assert_eq!(get(addr, "/fast").0, 200);
        serving.stop();
    }

    #[test]
    fn idle_connections_beyond_the_cap_close_the_oldest_and_never_keep_requests_out() {
        let limits = Limits {
            max_connections: 16,
            request_timeout: Duration::from_secs(30),
        };
        let (serving, addr) = server(limits, Arc::default());
        let mut idle: Vec<TcpStream> = Vec::new();
        for i in 0..40 {
            let mut s = connect(addr);
            if i % 2 == 0 {
                s.write_all(b"GET /slowloris HTTP/1.1\r\n").unwrap();
            }
            idle.push(s);
            assert_eq!(get(addr, "/fast").0, 200, "after {i} idle connections");
        }
        // The first ones were closed to make room (EOF), the newest are still open.
        let mut first = [0u8; 1];
        assert_eq!(idle[0].read(&mut first).unwrap(), 0);
        idle[39]
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        assert!(idle[39].read(&mut first).is_err(), "the newest is still open");
        serving.stop();
    }

    #[test]
    fn slow_answers_never_hold_up_fast_ones_and_a_full_queue_answers_503() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let (serving, addr) = server(ROOMY, Arc::clone(&gate));
        // Slow requests until one is refused: the ones before it wait for the gate.
        let mut waiting = Vec::new();
        let mut refused = None;
        while refused.is_none() && waiting.len() < 4 * (SLOW_THREADS + SLOW_QUEUE) {
            let mut s = connect(addr);
            s.write_all(b"GET /slow HTTP/1.1\r\n\r\n").unwrap();
            s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
            let mut first = [0u8; 1];
            match s.read(&mut first) {
                Ok(1) => {
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    // The answer's first byte is already read.
                    let mut rest = [0u8; 11];
                    s.read_exact(&mut rest).unwrap();
                    refused = Some(format!("H{}", String::from_utf8_lossy(&rest)));
                }
                _ => {
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    waiting.push(s);
                }
            }
        }
        let refused = refused.expect("a full queue refuses");
        assert_eq!(refused, "HTTP/1.1 503", "a full queue answers 503");
        assert!(waiting.len() >= SLOW_QUEUE, "{} waited", waiting.len());
        assert_eq!(get(addr, "/fast").0, 200, "fast answers go on meanwhile");
        drop(held);
        for mut s in waiting {
            assert_eq!(read_answer(&mut s), (200, "slow".into()));
        }
        serving.stop();
    }

    #[test]
    fn a_panicking_handler_answers_500_and_the_server_goes_on() {
        let (serving, addr) = server(ROOMY, Arc::default());
        assert_eq!(get(addr, "/panic").0, 500);
        assert_eq!(get(addr, "/fast").0, 200);
        serving.stop();
    }

    #[test]
    fn stop_closes_the_listener_and_every_connection() {
        let (serving, addr) = server(ROOMY, Arc::default());
        let mut open = connect(addr);
        open.write_all(b"GET /partial").unwrap();
        serving.stop();
        let mut rest = Vec::new();
        assert!(matches!(open.read_to_end(&mut rest), Ok(0) | Err(_)));
        assert!(TcpStream::connect(addr).is_err(), "nothing listens after stop");
    }
}
