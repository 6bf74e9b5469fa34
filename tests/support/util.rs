//! Small helpers shared by the harness: loopback ports, temp dirs, bounded
//! polling, RFC 3339 timestamps, form encoding, a torrent's info-hash and a
//! plain HTTP client.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
pub use tempfile::TempDir;

/// The band handed-out ports come from: the 8,000 ports below the kernel's
/// ephemeral range (`net.ipv4.ip_local_port_range`, 32768 by default).
///
/// A port is written into a config, released, and bound by the program under
/// test only later, often tens of seconds later (a test seeds a torrent
/// first). A port the kernel picked for `bind(0)` could in that time be
/// handed to anything else that binds port 0 — another test's fake Arr — or
/// used as the source port of an outgoing connection; the daemon then finds
/// its port taken, and the test talks to a stranger. The kernel never picks
/// a port outside its ephemeral range, so the band below it stays ours.
fn port_band() -> std::ops::Range<u16> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let low = ephemeral_low.saturating_sub(8000).max(10000);
    low..ephemeral_low.max(low + 1000)
}

/// This process's walk through [`port_band`]: where it started and how many
/// ports it has tried. It goes round the band at most once, so no port is
/// handed out twice, even to tests running in parallel.
struct PortWalk {
    band: std::ops::Range<u16>,
    start: u16,
    tried: u16,
}

static PORT_WALK: Mutex<Option<PortWalk>> = Mutex::new(None);

/// Hands out the next port of [`port_band`] that `free` accepts. The walk
/// starts at a place picked by the process id, so that two test runs side by
/// side do not walk the band in step.
fn hand_out(free: impl Fn(u16) -> bool) -> u16 {
    let mut guard = PORT_WALK.lock().unwrap_or_else(|e| e.into_inner());
    let walk = guard.get_or_insert_with(|| {
        let band = port_band();
        let width = u32::from(band.end - band.start);
        let start = (std::process::id() % width) as u16;
        PortWalk {
            band,
            start,
            tried: 0,
        }
    });
    let width = walk.band.end - walk.band.start;
    while walk.tried < width {
        let port = walk.band.start + (walk.start + walk.tried) % width;
        walk.tried += 1;
        if free(port) {
            return port;
        }
    }
    panic!("no free port left on 127.0.0.1 in {:?}", walk.band);
}

/// A free TCP port on 127.0.0.1, outside the kernel's ephemeral range (see
/// [`port_band`]).
pub fn free_tcp_port() -> u16 {
    hand_out(|port| TcpListener::bind(("127.0.0.1", port)).is_ok())
}

/// A port that is free for both TCP and UDP on 127.0.0.1 (BitTorrent listens
/// on both: TCP and uTP share the number), outside the kernel's ephemeral range.
pub fn free_tcp_udp_port() -> u16 {
    hand_out(|port| {
        let tcp = TcpListener::bind(("127.0.0.1", port));
        tcp.is_ok() && UdpSocket::bind(("127.0.0.1", port)).is_ok()
    })
}

/// Polls `f` every `every` until it returns true or `timeout` passes.
/// Returns whether it became true.
pub fn wait_until(timeout: Duration, every: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// A directory under the system temp dir, removed (recursively) on drop.
/// Set `QBITRR_TEST_KEEP=1` to keep it for post-mortem debugging.
pub fn temp_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .disable_cleanup(std::env::var_os("QBITRR_TEST_KEEP").is_some())
        .tempdir()
        .expect("create temp dir")
}

pub trait Subdir {
    /// `self.path().join(rel)`, created as a directory.
    fn subdir(&self, rel: &str) -> PathBuf;
}

impl Subdir for TempDir {
    fn subdir(&self, rel: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(&p).expect("create subdir");
        p
    }
}

/// Current time as RFC 3339 UTC with milliseconds, e.g. `2024-05-01T12:00:00.123Z`.
pub fn now_rfc3339() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let whole = qbitrr_lite::clock::rfc3339(d.as_secs() as i64);
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), d.subsec_millis())
}

/// Splits `a=1&b=2` into `application/x-www-form-urlencoded`-decoded pairs
/// (`+` is a space; order and duplicates kept).
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `k=v&...` with everything but RFC 3986's unreserved characters percent-encoded.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let enc = |s| utf8_percent_encode(s, UNRESERVED);
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Byte range of the bencoded value that starts at `pos`, or None if malformed.
fn bencode_skip(b: &[u8], pos: usize) -> Option<usize> {
    match *b.get(pos)? {
        b'i' => Some(pos + b[pos..].iter().position(|&c| c == b'e')? + 1),
        b'l' | b'd' => {
            let mut p = pos + 1;
            while *b.get(p)? != b'e' {
                p = bencode_skip(b, p)?;
            }
            Some(p + 1)
        }
        b'0'..=b'9' => {
            let colon = pos + b[pos..].iter().position(|&c| c == b':')?;
            let len: usize = std::str::from_utf8(&b[pos..colon]).ok()?.parse().ok()?;
            let end = colon + 1 + len;
            (end <= b.len()).then_some(end)
        }
        _ => None,
    }
}

/// The raw bencoded `info` dictionary of a .torrent file.
fn torrent_info_slice(torrent: &[u8]) -> Option<&[u8]> {
    if torrent.first() != Some(&b'd') {
        return None;
    }
    let mut p = 1;
    while *torrent.get(p)? != b'e' {
        let key_end = bencode_skip(torrent, p)?;
        let colon = p + torrent[p..].iter().position(|&c| c == b':')?;
        let key = &torrent[colon + 1..key_end];
        let val_end = bencode_skip(torrent, key_end)?;
        if key == b"info" {
            return Some(&torrent[key_end..val_end]);
        }
        p = val_end;
    }
    None
}

/// The v1 info-hash (lower-case hex SHA-1 of the `info` dictionary).
pub fn torrent_info_hash(torrent: &[u8]) -> Option<String> {
    torrent_info_slice(torrent).map(|info| sha1_smol::Sha1::from(info).digest().to_string())
}

/// The value of the first pair whose name is `name`, ignoring ASCII case.
pub fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A plain HTTP answer: status, headers (lower-cased names) and body text.
#[derive(Clone, Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        value_of(&self.headers, name)
    }

    /// The body as JSON; panics with the body if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), HTTP {}: {:?}", self.status, self.body))
    }
}

/// One blocking request (any status is returned, not turned into an error;
/// 10 s timeout) with GET, POST or DELETE; `body` is sent as-is, also for DELETE.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> HttpReply {
    try_http(method, url, headers, body).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

/// [`http`], with a transport error (e.g. connection refused) as `Err`.
pub fn try_http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<HttpReply, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let headers = headers.iter().copied();
    let result = match (method, body) {
        ("GET", None) => with_headers(agent.get(url), headers).call(),
        ("DELETE", None) => with_headers(agent.delete(url), headers).call(),
        ("DELETE", Some(b)) => with_headers(agent.delete(url), headers).force_send_body().send(b),
        ("POST", b) => with_headers(agent.post(url), headers).send(b.unwrap_or("")),
        (other, _) => panic!("http(): unsupported {other} (with body: {})", body.is_some()),
    };
    let mut resp = result.map_err(|e| e.to_string())?;
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    Ok(HttpReply {
        status,
        headers,
        body,
    })
}

/// A tiny_http server on 127.0.0.1 and a free port, serving in its own
/// thread from [`LoopbackServer::serve`] on; dropping it stops the thread.
pub struct LoopbackServer {
    server: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    pub fn bind() -> LoopbackServer {
        LoopbackServer {
            server: Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0")),
            stopping: Arc::new(AtomicBool::new(false)),
            thread: None,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!(
            "http://{}",
            self.server.server_addr().to_ip().expect("an IP listener")
        )
    }

    /// Hands each request to `handle`, one at a time, in a thread named `name`.
    pub fn serve(&mut self, name: &str, mut handle: impl FnMut(tiny_http::Request) + Send + 'static) {
        let (server, stopping) = (self.server.clone(), self.stopping.clone());
        let serve = move || loop {
            match server.recv() {
                Ok(req) => handle(req),
                Err(_) if stopping.load(Ordering::SeqCst) => break,
                // An accept error: keep serving.
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        let thread = std::thread::Builder::new().name(name.into()).spawn(serve);
        self.thread = Some(thread.expect("spawn server thread"));
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `req` with the given headers added.
pub fn with_headers<B, K: AsRef<str>, V: AsRef<str>>(
    req: ureq::RequestBuilder<B>,
    headers: impl IntoIterator<Item = (K, V)>,
) -> ureq::RequestBuilder<B> {
    headers
        .into_iter()
        .fold(req, |req, (k, v)| req.header(k.as_ref(), v.as_ref()))
}

/// The value of header `name` (case-insensitive) of a request to a test server.
pub fn request_header(req: &tiny_http::Request, name: &'static str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_string())
}

/// Writes a line straight to stderr, bypassing libtest's output capture, so
/// skips and measured timings show up in a plain `cargo test` run.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A small seeded generator (xorshift64*) for tests that draw fault points.
pub struct TestRng(u64);

impl TestRng {
    /// Seeded from `QBITRR_TEST_SEED` if set, else from the clock; the seed is
    /// printed, so a failing run can be repeated with `QBITRR_TEST_SEED=<seed>`.
    pub fn from_env_or_clock(what: &str) -> TestRng {
        let seed = std::env::var("QBITRR_TEST_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos() as u64
            });
        eprintln!("{what}: seed {seed} (repeat with QBITRR_TEST_SEED={seed})");
        TestRng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
