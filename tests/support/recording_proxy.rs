//! A recording HTTP proxy put between the daemon and a real qbittorrent-nox
//! (or a fake Arr), so tests can assert exactly which requests reached it (e.g.
//! that a dry run sent nothing mutating), and which can break answers on the way
//! ([`Fault`]): 500s, closed connections, garbage, truncated and slow bodies,
//! answers later than the daemon's timeouts, and refuse connections altogether
//! ([`RecordingProxy::refuse_connections`]).
//!
//! It speaks HTTP/1.1 itself over plain sockets (a thread per connection,
//! keep-alive as the daemon asks), because a broken answer — a body shorter
//! than its `Content-Length`, a connection closed mid-body — is exactly what an
//! HTTP server library will not produce.

use super::util::{free_tcp_port, TestRng};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request that went through the proxy.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub method: String,
    /// Path without the query string, e.g. "/api/v2/torrents/delete".
    pub path: String,
    pub body: String,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
    /// Whether qBittorrent got the request (a fault may stop it before).
    pub reached_qbittorrent: bool,
    /// The status qBittorrent answered (None: not forwarded, or no answer).
    pub status: Option<u16>,
}

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers 500 without forwarding.
    Status500,
    /// Closes the connection without forwarding or answering.
    Close,
    /// Forwards; answers 200 with an HTML page instead of qBittorrent's answer.
    Garbage,
    /// Forwards; promises the whole body in `Content-Length`, sends half, closes.
    Truncated,
    /// Forwards; sends the body in two halves this far apart.
    SlowBody(Duration),
    /// Forwards; sends nothing for this long, then closes.
    Hang(Duration),
}

/// Which requests get a fault.
pub enum Injection {
    /// The first requests get each of `kinds` in order (so each comes up at once); later
    /// ones, with probability `per_mille`/1000, one of `kinds` drawn from `rng`.
    Random {
        rng: TestRng,
        per_mille: u64,
        kinds: Vec<Fault>,
        drawn: usize,
        /// The first request to each of these (path, a text its body holds; "" for any)
        /// gets this fault, whatever the draw.
        first_to: Vec<(&'static str, &'static str, Fault)>,
    },
    /// Every request.
    Every(Fault),
}

impl Injection {
    fn draw(&mut self, path: &str, body: &str) -> Option<Fault> {
        match self {
            Injection::Every(f) => Some(*f),
            Injection::Random {
                rng,
                per_mille,
                kinds,
                drawn,
                first_to,
            } => {
                if let Some(i) = first_to
                    .iter()
                    .position(|(p, b, _)| *p == path && body.contains(b))
                {
                    return Some(first_to.remove(i).2);
                }
                if *drawn < kinds.len() {
                    *drawn += 1;
                    return Some(kinds[*drawn - 1]);
                }
                if kinds.is_empty() || rng.below(1000) >= *per_mille {
                    return None;
                }
                Some(kinds[rng.below(kinds.len() as u64) as usize])
            }
        }
    }
}

struct Shared {
    target: String,
    agent: ureq::Agent,
    log: Mutex<Vec<Forwarded>>,
    injection: Mutex<Option<Injection>>,
    refusing: AtomicBool,
    stopping: AtomicBool,
}

pub struct RecordingProxy {
    addr: String,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl RecordingProxy {
    /// Forwards every request to `target` ("http://127.0.0.1:PORT").
    pub fn start(target: &str) -> Self {
        // A port of the harness's band, not the kernel's pick: while the proxy
        // refuses connections it closes its listener, and a port from the
        // ephemeral range could then be taken by anyone binding port 0.
        let port = free_tcp_port();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind a handed-out port");
        let addr = listener.local_addr().expect("local_addr").to_string();
        listener.set_nonblocking(true).expect("nonblocking listener");
        let shared = Arc::new(Shared {
            target: target.to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .max_redirects(0)
                .build()
                .new_agent(),
            log: Mutex::new(Vec::new()),
            injection: Mutex::new(None),
            refusing: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        });
        let (sh, bound) = (Arc::clone(&shared), addr.clone());
        let accept = std::thread::Builder::new()
            .name("recording-proxy".into())
            .spawn(move || {
                let mut listener = Some(listener);
                while !sh.stopping.load(Ordering::SeqCst) {
                    if sh.refusing.load(Ordering::SeqCst) {
                        listener = None;
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    let Some(l) = listener.as_ref() else {
                        // Listening again on the same port (std sets SO_REUSEADDR).
                        listener = TcpListener::bind(&bound)
                            .and_then(|l| l.set_nonblocking(true).map(|()| l))
                            .ok();
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    match l.accept() {
                        Ok((stream, _)) => {
                            let sh = Arc::clone(&sh);
                            let _ = std::thread::Builder::new()
                                .name("recording-proxy-conn".into())
                                .spawn(move || serve_connection(&sh, stream));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
            .expect("spawn proxy thread");
        Self {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Refuses connections (the port closed, open connections closed) until called with false.
    pub fn refuse_connections(&self, refuse: bool) {
        self.shared.refusing.store(refuse, Ordering::SeqCst);
    }

    /// No more random faults; what `first_to` still waits for stays.
    pub fn calm(&self) {
        if let Some(Injection::Random { per_mille, .. }) = self.shared.injection.lock().unwrap().as_mut() {
            *per_mille = 0;
        }
    }

    /// From now on, faults as `injection` says (None: none).
    pub fn inject(&self, injection: Option<Injection>) {
        *self.shared.injection.lock().unwrap() = injection;
    }

    pub fn requests(&self) -> Vec<Forwarded> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Requests that change something in qBittorrent (POSTs other than login and reads).
    pub fn mutating(&self) -> Vec<Forwarded> {
        const READS: [&str; 6] = [
            "/api/v2/auth/login",
            "/api/v2/torrents/info",
            "/api/v2/torrents/files",
            "/api/v2/torrents/trackers",
            "/api/v2/app/version",
            "/api/v2/app/webapiVersion",
        ];
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !READS.contains(&r.path.as_str()))
            .collect()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// A request as read off the socket.
struct Incoming {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request; None at end of stream or on anything malformed.
fn read_request(reader: &mut impl BufRead) -> Option<Incoming> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut req = Incoming {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if req
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = req.header("Content-Length").and_then(|v| v.parse::<usize>().ok()) {
        req.body = vec![0; n];
        reader.read_exact(&mut req.body).ok()?;
    }
    Some(req)
}

/// What qBittorrent answered.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn forward(sh: &Shared, req: &Incoming) -> Option<Answer> {
    let url = format!("{}{}", sh.target, req.target);
    let forwarded: Vec<(&str, &str)> = ["Cookie", "Authorization", "Content-Type", "X-Api-Key"]
        .into_iter()
        .filter_map(|name| Some((name, req.header(name)?)))
        .collect();
    let result = match req.method.as_str() {
        "GET" | "DELETE" if req.body.is_empty() => {
            let mut b = match req.method.as_str() {
                "GET" => sh.agent.get(&url),
                _ => sh.agent.delete(&url),
            };
            for (k, v) in &forwarded {
                b = b.header(*k, *v);
            }
            b.call()
        }
        method => {
            let mut b = match method {
                "PUT" => sh.agent.put(&url),
                "DELETE" => sh.agent.delete(&url).force_send_body(),
                _ => sh.agent.post(&url),
            };
            for (k, v) in &forwarded {
                b = b.header(*k, *v);
            }
            b.send(&req.body[..])
        }
    };
    let mut resp = result.ok()?;
    let mut headers = Vec::new();
    for name in ["set-cookie", "content-type"] {
        for v in resp.headers().get_all(name) {
            if let Ok(v) = v.to_str() {
                headers.push((name.to_string(), v.to_string()));
            }
        }
    }
    let body = resp
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .ok()?;
    Some(Answer {
        status: resp.status().as_u16(),
        headers,
        body,
    })
}

fn head(status: u16, headers: &[(String, String)], content_length: usize, close: bool) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} X\r\nContent-Length: {content_length}\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    if close {
        h.push_str("Connection: close\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// Serves one connection's requests until it closes or a fault closes it.
fn serve_connection(sh: &Shared, stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    while !sh.stopping.load(Ordering::SeqCst) {
        let Some(req) = read_request(&mut reader) else {
            break;
        };
        if sh.refusing.load(Ordering::SeqCst) {
            break;
        }
        let path = req.target.split('?').next().unwrap_or("").to_string();
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let fault = sh
            .injection
            .lock()
            .unwrap()
            .as_mut()
            .and_then(|i| i.draw(&path, &body));
        let mut record = Forwarded {
            method: req.method.clone(),
            path,
            body,
            fault,
            reached_qbittorrent: false,
            status: None,
        };
        let before = matches!(fault, Some(Fault::Status500 | Fault::Close));
        let answer = if before {
            None
        } else {
            record.reached_qbittorrent = true;
            forward(sh, &req)
        };
        record.status = answer.as_ref().map(|a| a.status);
        sh.log.lock().unwrap().push(record);
        let keep_going = match (fault, answer) {
            (Some(Fault::Status500), _) => {
                let body = b"scripted failure";
                let _ = out.write_all(&head(500, &[], body.len(), false));
                out.write_all(body).is_ok()
            }
            (Some(Fault::Close), _) => false,
            (Some(Fault::Hang(d)), _) => {
                std::thread::sleep(d);
                false
            }
            (_, None) => {
                let _ = out.write_all(&head(502, &[], 0, true));
                false
            }
            (Some(Fault::Garbage), Some(_)) => {
                let body = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>";
                let headers = [("Content-Type".to_string(), "text/html".to_string())];
                let _ = out.write_all(&head(200, &headers, body.len(), false));
                out.write_all(body).is_ok()
            }
            (Some(Fault::Truncated), Some(a)) => {
                let _ = out.write_all(&head(a.status, &a.headers, a.body.len().max(2), false));
                let _ = out.write_all(&a.body[..a.body.len() / 2]);
                false
            }
            (Some(Fault::SlowBody(d)), Some(a)) => {
                let half = a.body.len() / 2;
                let _ = out.write_all(&head(a.status, &a.headers, a.body.len(), false));
                let _ = out.write_all(&a.body[..half]);
                let _ = out.flush();
                std::thread::sleep(d);
                out.write_all(&a.body[half..]).is_ok()
            }
            (None, Some(a)) => {
                let _ = out.write_all(&head(a.status, &a.headers, a.body.len(), false));
                out.write_all(&a.body).is_ok()
            }
        };
        let _ = out.flush();
        if !keep_going {
            break;
        }
    }
    let _ = out.shutdown(Shutdown::Both);
}
