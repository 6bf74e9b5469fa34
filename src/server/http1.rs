//! HTTP/1.x as the status server speaks it: a pure, incremental, bounded request
//! parser and the response writer. No I/O here: [`super::connections`] feeds the
//! bytes a connection has sent so far and writes what comes back.
//!
//! What is accepted: `METHOD SP target SP HTTP/1.0|1.1`, headers of `name: value`
//! (lines ending in CRLF or a bare LF), a body only by `Content-Length`. Anything
//! else is rejected with the status a client can act on: a head over
//! [`MAX_HEAD`] bytes or [`MAX_HEADERS`] lines 431, a body over [`MAX_BODY`] 413,
//! `Transfer-Encoding` 501, another HTTP version 505, the rest 400. A rejected
//! connection is closed after the answer.

/// Largest request head (request line and headers) accepted.
pub(crate) const MAX_HEAD: usize = 16 << 10;
/// Largest request body accepted.
pub(crate) const MAX_BODY: usize = 64 << 10;
/// Most header lines accepted.
pub(crate) const MAX_HEADERS: usize = 64;

/// The methods the routes tell apart; the rest answer 405.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Other,
}

/// One complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: Method,
    /// The method as sent, for the log.
    pub(crate) method_text: String,
    /// The origin-form target (`/path?query`); an absolute-form target is cut to it.
    pub(crate) target: String,
    /// Names as sent; compare with [`Request::header`].
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// Whether the connection stays open after the answer.
    pub(crate) keep_alive: bool,
}

impl Request {
    /// The first header of that name (case-insensitive), trimmed.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// Why a request was refused; the connection closes after the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) status: u16,
    pub(crate) message: &'static str,
}

/// What the bytes received so far amount to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// More bytes are needed. `expects_continue`: the head is complete and asks for
    /// `100 Continue` before sending its body.
    Partial {
        expects_continue: bool,
    },
    /// A request, and how many bytes of the buffer it took.
    Complete {
        request: Request,
        consumed: usize,
    },
    Rejected(Rejection),
}

const fn reject(status: u16, message: &'static str) -> Parsed {
    Parsed::Rejected(Rejection { status, message })
}

/// Parses the first request in `buf`.
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    // Empty lines before a request line are allowed (RFC 9112 §2.2).
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let Some(head_len) = head_end(&buf[start..]) else {
        return if buf.len() - start > MAX_HEAD {
            reject(431, "request head too large")
        } else {
            Parsed::Partial {
                expects_continue: false,
            }
        };
    };
    if head_len > MAX_HEAD {
        return reject(431, "request head too large");
    }
    let Ok(head) = std::str::from_utf8(&buf[start..start + head_len]) else {
        return reject(400, "request head is not UTF-8");
    };
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let Some(request_line) = lines.next() else {
        return reject(400, "no request line");
    };
    let mut parts = request_line.split(' ');
    let (Some(method_text), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return reject(400, "malformed request line");
    };
    if method_text.is_empty() || !method_text.bytes().all(is_token_byte) {
        return reject(400, "malformed method");
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        v if v.starts_with("HTTP/") => return reject(505, "only HTTP/1.0 and HTTP/1.1 are served"),
        _ => return reject(400, "malformed request line"),
    };
    let Some(target) = origin_form(target) else {
        return reject(400, "malformed request target");
    };
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return reject(400, "folded header lines are not accepted");
        }
        let Some((name, value)) = line.split_once(':') else {
            return reject(400, "malformed header line");
        };
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return reject(400, "malformed header name");
        }
        if headers.len() == MAX_HEADERS {
            return reject(431, "too many header lines");
        }
        headers.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
    }
    let mut request = Request {
        method: match method_text {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            _ => Method::Other,
        },
        method_text: method_text.to_string(),
        target,
        headers,
        body: Vec::new(),
        keep_alive: false,
    };
    if request.header("Transfer-Encoding").is_some() {
        return reject(501, "Transfer-Encoding is not accepted; send Content-Length");
    }
    let mut length: Option<usize> = None;
    for (_, value) in request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
    {
        let parsed = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| value.parse::<usize>().ok())
            .flatten();
        match (parsed, length) {
            (None, _) => {
                // All digits but too large for usize is still too large.
                if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                    return reject(413, "request body too large");
                }
                return reject(400, "malformed Content-Length");
            }
            (Some(n), Some(m)) if n != m => return reject(400, "conflicting Content-Length"),
            (Some(n), _) => length = Some(n),
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return reject(413, "request body too large");
    }
    let body_start = start + head_len;
    let Some(body) = buf.get(body_start..body_start + length) else {
        let expects_continue = http11
            && request
                .header("Expect")
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
        return Parsed::Partial { expects_continue };
    };
    request.body = body.to_vec();
    let connection = request.header("Connection").unwrap_or("").to_ascii_lowercase();
    request.keep_alive = if http11 {
        !connection.split(',').any(|t| t.trim() == "close")
    } else {
        connection.split(',').any(|t| t.trim() == "keep-alive")
    };
    Parsed::Complete {
        request,
        consumed: body_start + length,
    }
}

/// The length of the head including the empty line that ends it, if it has ended.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'\n', &buf[from..]) {
        let nl = from + i;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => from = nl + 1,
        }
    }
    None
}

/// `/path?q`, `*` or `http://host/path?q` → the origin form; `None` for anything else.
fn origin_form(target: &str) -> Option<String> {
    if target.starts_with('/') || target == "*" {
        return (!target.bytes().any(|b| b.is_ascii_control())).then(|| target.to_string());
    }
    let lower = target.get(..8)?.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &target[7..]
    } else if lower.starts_with("https://") {
        &target[8..]
    } else {
        return None;
    };
    let path = rest.find(['/', '?']).map_or("/", |i| &rest[i..]);
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    (!path.bytes().any(|b| b.is_ascii_control())).then_some(path)
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// An answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    /// More header lines, each `Name: value` (the status page's security headers).
    pub(crate) headers: &'static [&'static str],
}

impl Response {
    pub(crate) fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            body,
            headers: &[],
        }
    }
}

/// The bytes of `response`; `head_only` for HEAD (the length is still the body's).
pub(crate) fn serialize(response: &Response, head_only: bool, keep_alive: bool) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\nCache-Control: no-store\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    for line in response.headers {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(&response.body);
    }
    out
}

/// The interim answer to `Expect: 100-continue`.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> (Request, usize) {
        match parse(buf) {
            Parsed::Complete { request, consumed } => (request, consumed),
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(buf)),
        }
    }

    fn rejected(buf: &[u8]) -> u16 {
        match parse(buf) {
            Parsed::Rejected(r) => r.status,
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(buf)),
        }
    }

    #[test]
    fn a_plain_get_with_keep_alive() {
        let buf = b"GET /health?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization:  Bearer t \r\n\r\nGET /next";
        let (r, consumed) = complete(buf);
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.path(), "/health");
        assert_eq!(r.target, "/health?x=1");
        assert_eq!(r.header("authorization"), Some("Bearer t"));
        assert!(r.keep_alive);
        assert_eq!(
            &buf[consumed..],
            b"GET /next",
            "a pipelined request stays in the buffer"
        );
    }

    #[test]
    fn connection_persistence_follows_the_version_and_the_header() {
        assert!(
            !complete(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").0.keep_alive);
        assert!(
            complete(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                .0
                .keep_alive
        );
    }

    #[test]
    fn bare_newlines_and_leading_empty_lines_are_accepted() {
        let (r, consumed) = complete(b"\r\n\nHEAD /metrics HTTP/1.1\nHost: a\n\n");
        assert_eq!(r.method, Method::Head);
        assert_eq!(consumed, 35);
    }

    #[test]
    fn a_body_is_read_by_content_length() {
        let buf = b"POST /api/config/reload HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdEXTRA";
        let (r, consumed) = complete(buf);
        assert_eq!(r.body, b"abcd");
        assert_eq!(&buf[consumed..], b"EXTRA");
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nab"),
            Parsed::Partial {
                expects_continue: true
            }
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab"),
            Parsed::Partial {
                expects_continue: false
            }
        );
    }

    #[test]
    fn absolute_targets_are_cut_to_their_path() {
        assert_eq!(
            complete(b"GET http://h:1/health?a HTTP/1.1\r\n\r\n").0.target,
            "/health?a"
        );
        assert_eq!(complete(b"GET HTTP://h HTTP/1.1\r\n\r\n").0.target, "/");
        assert_eq!(complete(b"GET http://h?q HTTP/1.1\r\n\r\n").0.target, "/?q");
    }

    #[test]
    fn incomplete_heads_wait_for_more() {
        for buf in [&b""[..], b"GE", b"GET /health HTTP/1.1\r\nHost: x\r\n", b"\r\n"] {
            assert_eq!(
                parse(buf),
                Parsed::Partial {
                    expects_continue: false
                },
                "{buf:?}"
            );
        }
    }

    #[test]
    fn malformed_and_oversized_requests_are_rejected_with_a_status() {
        let huge_head = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        let unfinished_huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD + 1));
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(MAX_HEADERS + 1));
        let cases: &[(&[u8], u16)] = &[
            (&[0xff, 0x00, 0x13, 0x37, b'\r', b'\n', b'\r', b'\n'], 400),
            (b"NOT HTTP AT ALL\r\n\r\n", 400),
            (b"GET /\r\n\r\n", 400),
            (b"GET  / HTTP/1.1\r\n\r\n", 400),
            (b"G(T / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (b"GET / FTP/1.0\r\n\r\n", 400),
            (b"GET relative HTTP/1.1\r\n\r\n", 400),
            (b"GET /\x7f HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n: x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\n",
                400,
            ),
            (b"POST / HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n", 413),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                413,
            ),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            (huge_head.as_bytes(), 431),
            (unfinished_huge.as_bytes(), 431),
            (many.as_bytes(), 431),
        ];
        for (buf, status) in cases {
            assert_eq!(rejected(buf), *status, "{:?}", String::from_utf8_lossy(buf));
        }
    }

    #[test]
    fn equal_repeated_lengths_are_one_length() {
        let (r, _) = complete(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
        assert_eq!(r.body, b"x");
    }

    #[test]
    fn every_prefix_of_a_valid_request_is_partial_and_never_panics() {
        let buf = b"POST /api/config/reload HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
        for n in 0..buf.len() {
            assert!(matches!(parse(&buf[..n]), Parsed::Partial { .. }), "{n}");
        }
        assert!(matches!(parse(buf), Parsed::Complete { consumed, .. } if consumed == buf.len()));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut rng = crate::test_rng::Rng(7);
        let alphabet = b"GET /HTP1.0\r\n:Content-Length: 9Expect100-continue\xff ";
        for _ in 0..20_000 {
            let len = rng.index(200);
            let buf: Vec<u8> = (0..len).map(|_| alphabet[rng.index(alphabet.len())]).collect();
            let _ = parse(&buf);
        }
    }

    #[test]
    fn responses_carry_their_length_and_head_answers_no_body() {
        let r = Response::new(200, "application/json", b"{}".to_vec());
        assert_eq!(
            serialize(&r, false, true),
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\nCache-Control: no-store\r\n\r\n{}"
        );
        let head = serialize(&r, true, false);
        assert!(head.ends_with(b"Content-Length: 2\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n"));
    }
}
