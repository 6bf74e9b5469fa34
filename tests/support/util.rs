//! Small std-only helpers shared by the harness: loopback ports, temp dirs,
//! bounded polling, RFC 3339 timestamps, URL decoding, bencode and SHA-1
//! (to compute a torrent's info-hash without extra crates).

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// A name that is unique in this process and very likely across processes.
pub fn unique_name(prefix: &str) -> String {
    let n = UNIQUE.fetch_add(1, Ordering::SeqCst);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{nanos:08x}", std::process::id())
}

/// Ports this process already handed out (never handed out twice, so
/// parallel tests in one binary cannot pick the same "free" port).
static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());

fn claim(port: u16) -> bool {
    let mut used = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    if used.contains(&port) {
        return false;
    }
    used.push(port);
    true
}

/// A free TCP port on 127.0.0.1 (bind port 0, read it back, release it).
pub fn free_tcp_port() -> u16 {
    for _ in 0..64 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind 127.0.0.1:0")
            .port();
        if claim(port) {
            return port;
        }
    }
    panic!("no free TCP port on 127.0.0.1");
}

/// A port that is free for both TCP and UDP on 127.0.0.1 (BitTorrent listens
/// on both: TCP and uTP share the number).
pub fn free_tcp_udp_port() -> u16 {
    for _ in 0..64 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = tcp.local_addr().expect("local_addr").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() && claim(port) {
            return port;
        }
    }
    panic!("could not find a port free for both TCP and UDP on 127.0.0.1");
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

/// A directory under `std::env::temp_dir()` removed (recursively) on drop.
/// Set `QBITRR_TEST_KEEP=1` to keep it for post-mortem debugging.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique_name(prefix));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `self.path().join(rel)`, created as a directory.
    pub fn subdir(&self, rel: &str) -> PathBuf {
        let p = self.path.join(rel);
        std::fs::create_dir_all(&p).expect("create subdir");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("QBITRR_TEST_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Current time as RFC 3339 UTC with milliseconds, e.g. `2024-05-01T12:00:00.123Z`.
pub fn now_rfc3339() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    rfc3339(d.as_secs() as i64, d.subsec_millis())
}

/// Unix seconds (+ milliseconds) as RFC 3339 UTC, e.g. "2026-11-22T21:11:54.123Z".
pub fn rfc3339(secs: i64, millis: u32) -> String {
    let whole = qbitrr_lite::clock::rfc3339(secs);
    format!("{}.{millis:03}Z", whole.trim_end_matches('Z'))
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space).
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|v| v as u8)
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Splits `a=1&b=2` into decoded pairs (order kept, duplicates kept).
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (url_decode(k), url_decode(v)),
            None => (url_decode(p), String::new()),
        })
        .collect()
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
pub fn torrent_info_slice(torrent: &[u8]) -> Option<&[u8]> {
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
    torrent_info_slice(torrent).map(|info| hex(&sha1(info)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Plain SHA-1 (FIPS 180-4). Only used to name torrents, not for security.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hi = hi.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
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
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), HTTP {}: {:?}", self.status, self.body))
    }
}

/// One blocking request (any status is returned, not turned into an error;
/// 10 s timeout). `body` is sent as-is, also for GET/DELETE when given.
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
    let with_headers = |mut rb: ureq::RequestBuilder<ureq::typestate::WithoutBody>| {
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        rb
    };
    let result = match method {
        "GET" | "DELETE" | "HEAD" | "OPTIONS" => {
            let rb = with_headers(match method {
                "GET" => agent.get(url),
                "DELETE" => agent.delete(url),
                "HEAD" => agent.head(url),
                _ => agent.options(url),
            });
            match body {
                Some(b) => rb.force_send_body().send(b),
                None => rb.call(),
            }
        }
        _ => {
            let mut rb = match method {
                "POST" => agent.post(url),
                "PUT" => agent.put(url),
                "PATCH" => agent.patch(url),
                other => panic!("http(): unsupported method {other}"),
            };
            for (k, v) in headers {
                rb = rb.header(*k, *v);
            }
            rb.send(body.unwrap_or(""))
        }
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

/// Writes a line straight to stderr, bypassing libtest's output capture, so
/// skips and measured timings show up in a plain `cargo test` run.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
