//! HTTP plumbing shared by the qBittorrent and Arr clients: one ureq
//! [`Agent`](ureq::Agent) per upstream with explicit timeouts and no proxy
//! taken from the environment, and [`HttpError`], which says which endpoint
//! failed and whether retrying can help.
//!
//! Secrets (API keys, passwords, cookies) never appear in an error: the
//! endpoint is recorded as a path, and bodies are truncated.

use std::fmt;
use std::io::Read;
use std::time::Duration;

/// Timeout for sending a request, for its response to start, and for any one read.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout for receiving a whole response body (a 20,000-torrent list is ~30 MB).
pub(crate) const BODY_TIMEOUT: Duration = Duration::from_secs(120);
/// Timeout for establishing the connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest body read for small answers (status, commands, errors).
pub(crate) const SMALL_BODY_LIMIT: u64 = 1 << 20;

/// Builds the agent for one upstream. Statuses are mapped by the caller,
/// redirects are not followed (an API answering with a redirect is misconfigured).
pub(crate) fn agent(skip_tls_verify: bool) -> ureq::Agent {
    let (request_timeout, body_timeout) = timeouts();
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(skip_tls_verify)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        // Per-phase timeouts, not a global one: a global (or per-call) budget also
        // covers the host name lookup, for which ureq then starts a thread on every
        // request. Lookups are bounded by the system resolver's own timeouts.
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_send_request(Some(request_timeout))
        .timeout_recv_response(Some(request_timeout))
        .timeout_recv_body(Some(body_timeout))
        .timeout_per_read(Some(request_timeout))
        // ureq's default buffers are 128 KiB each per connection.
        .input_buffer_size(32 * 1024)
        .output_buffer_size(16 * 1024)
        .user_agent(concat!("qbitrr-lite/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .new_agent()
}

/// The request and body timeouts. Test builds of the binary (the `fault-injection`
/// feature) take `QBITRR_LITE_FAULT_HTTP_TIMEOUT_SECS` for both, so a test can drive an
/// upstream past them in seconds.
fn timeouts() -> (Duration, Duration) {
    #[cfg(feature = "fault-injection")]
    if let Some(secs) = std::env::var("QBITRR_LITE_FAULT_HTTP_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let timeout = Duration::from_secs(secs);
        return (timeout, timeout);
    }
    (REQUEST_TIMEOUT, BODY_TIMEOUT)
}

/// The error underneath an [`HttpError`] (ureq's, serde_json's, an I/O error).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong talking to an upstream.
#[derive(Debug)]
pub enum HttpError {
    /// No answer: connection refused, DNS, timeout, TLS or a broken connection.
    Unreachable {
        endpoint: String,
        detail: String,
        source: Option<Cause>,
    },
    /// Credentials refused (qBittorrent "Fails."/401, Arr 401): needs a config change.
    Auth { endpoint: String, detail: String },
    /// qBittorrent banned this IP after too many failed logins (403 at login).
    /// The ban lifts by itself; the next login is tried after `retry_in`.
    Banned {
        endpoint: String,
        detail: String,
        retry_in: Duration,
    },
    /// Any other unexpected status.
    Status {
        endpoint: String,
        status: u16,
        body: String,
        /// A 429 or 503's `Retry-After`, in seconds (a date there is not read).
        retry_after: Option<Duration>,
    },
    /// The body was not what the API documents.
    Decode {
        endpoint: String,
        detail: String,
        source: Option<Cause>,
    },
}

impl HttpError {
    /// Whether the same request may succeed later without the user changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Decode { .. } | Self::Banned { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429,
            Self::Auth { .. } => false,
        }
    }

    /// The endpoint the error is about.
    pub fn endpoint(&self) -> &str {
        match self {
            Self::Unreachable { endpoint, .. }
            | Self::Auth { endpoint, .. }
            | Self::Banned { endpoint, .. }
            | Self::Status { endpoint, .. }
            | Self::Decode { endpoint, .. } => endpoint,
        }
    }

    pub(crate) fn from_ureq(endpoint: &str, err: ureq::Error) -> Self {
        Self::Unreachable {
            endpoint: endpoint.to_string(),
            detail: err.to_string(),
            source: Some(Box::new(err)),
        }
    }

    pub(crate) fn status(endpoint: &str, status: u16, body: &mut ureq::Body) -> Self {
        Self::Status {
            endpoint: endpoint.to_string(),
            status,
            body: read_snippet(body),
            retry_after: None,
        }
    }

    /// An unexpected status, with the `Retry-After` seconds of a 429 or 503.
    pub(crate) fn status_of(endpoint: &str, resp: &mut ureq::http::Response<ureq::Body>) -> Self {
        let status = resp.status().as_u16();
        let retry_after = matches!(status, 429 | 503)
            .then(|| {
                resp.headers()
                    .get("retry-after")?
                    .to_str()
                    .ok()?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .flatten()
            .map(Duration::from_secs);
        let mut err = Self::status(endpoint, status, resp.body_mut());
        if let Self::Status { retry_after: r, .. } = &mut err {
            *r = retry_after;
        }
        err
    }

    /// The Arr asked us to slow down (429, or 503 with a `Retry-After`): how long, if it said.
    pub fn slow_down(&self) -> Option<Option<Duration>> {
        match self {
            Self::Status {
                status: 429,
                retry_after,
                ..
            } => Some(*retry_after),
            Self::Status {
                status: 503,
                retry_after: Some(wait),
                ..
            } => Some(Some(*wait)),
            _ => None,
        }
    }

    /// The answer could not be read as documented; `detail` says how.
    pub(crate) fn decode(endpoint: &str, detail: impl fmt::Display) -> Self {
        Self::Decode {
            endpoint: endpoint.to_string(),
            detail: detail.to_string(),
            source: None,
        }
    }

    /// The answer could not be parsed; `err` is kept as the source.
    pub(crate) fn decode_error(endpoint: &str, err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Decode {
            endpoint: endpoint.to_string(),
            detail: err.to_string(),
            source: Some(Box::new(err)),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable { endpoint, detail, .. } => write!(f, "{endpoint}: unreachable: {detail}"),
            Self::Auth { endpoint, detail } => write!(f, "{endpoint}: authentication failed: {detail}"),
            Self::Banned {
                endpoint,
                detail,
                retry_in,
            } => write!(
                f,
                "{endpoint}: login banned: {detail} (next login attempt in {}s)",
                ceil_secs(*retry_in)
            ),
            Self::Status {
                endpoint,
                status,
                body,
                retry_after,
            } => {
                write!(f, "{endpoint}: HTTP {status}")?;
                if let Some(wait) = retry_after {
                    write!(f, " (retry after {}s)", ceil_secs(*wait))?;
                }
                if body.is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {body}")
                }
            }
            Self::Decode { endpoint, detail, .. } => write!(f, "{endpoint}: unexpected answer: {detail}"),
        }
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unreachable { source, .. } | Self::Decode { source, .. } => {
                source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
            }
            Self::Auth { .. } | Self::Banned { .. } | Self::Status { .. } => None,
        }
    }
}

/// Whole seconds, rounded up: a wait of 0.2 s is "1s", never "0s".
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Reads at most 200 bytes of a body as text, for error messages.
pub(crate) fn read_snippet(body: &mut ureq::Body) -> String {
    let mut buf = Vec::new();
    let _ = body
        .with_config()
        .limit(SMALL_BODY_LIMIT)
        .reader()
        .take(200)
        .read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).trim().to_string()
}

/// Reads a small text body (version strings, login answers).
pub(crate) fn read_text(endpoint: &str, body: &mut ureq::Body) -> Result<String, HttpError> {
    body.with_config()
        .limit(SMALL_BODY_LIMIT)
        .read_to_string()
        .map_err(|e| HttpError::decode_error(endpoint, e))
}

/// Reads a JSON body of at most `limit` bytes, then parses it from the slice
/// (several times faster than parsing from the reader, for a transient copy of the body).
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    endpoint: &str,
    body: &mut ureq::Body,
    limit: u64,
) -> Result<T, HttpError> {
    let bytes = read_bytes(endpoint, body, limit)?;
    serde_json::from_slice(&bytes).map_err(|e| HttpError::decode_error(endpoint, e))
}

/// Reads a JSON array body of at most `limit` bytes element by element, handing each to `f`,
/// so that a large library is never in memory at once; returns how many there were. A body
/// that is not such an array is an error (after `f` saw the elements before the fault).
pub(crate) fn read_json_array<T: serde::de::DeserializeOwned>(
    endpoint: &str,
    body: &mut ureq::Body,
    limit: u64,
    f: &mut dyn FnMut(T),
) -> Result<u64, HttpError> {
    use serde::Deserializer as _;
    struct Each<'f, T>(&'f mut dyn FnMut(T));
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Each<'_, T> {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            let mut n = 0;
            while let Some(item) = seq.next_element::<T>()? {
                (self.0)(item);
                n += 1;
            }
            Ok(n)
        }
    }
    let reader = std::io::BufReader::with_capacity(64 << 10, body.with_config().limit(limit).reader());
    let mut de = serde_json::Deserializer::from_reader(reader);
    let n = de
        .deserialize_seq(Each(f))
        .map_err(|e| HttpError::decode_error(endpoint, e))?;
    de.end().map_err(|e| HttpError::decode_error(endpoint, e))?;
    Ok(n)
}

/// Reads a body of at most `limit` bytes.
pub(crate) fn read_bytes(endpoint: &str, body: &mut ureq::Body, limit: u64) -> Result<Vec<u8>, HttpError> {
    body.with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| HttpError::from_ureq(endpoint, e))
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn an_error_keeps_its_cause_and_says_which_endpoint() {
        let cause = serde_json::from_str::<u32>("nope").unwrap_err();
        let err = HttpError::decode_error("qBit GET /api/v2/app/version", cause);
        assert!(err.source().is_some_and(|s| s.is::<serde_json::Error>()));
        assert!(err.is_transient());
        assert!(err
            .to_string()
            .starts_with("qBit GET /api/v2/app/version: unexpected answer:"));
        let refused = HttpError::Auth {
            endpoint: "qBit POST /api/v2/auth/login".into(),
            detail: "Fails.".into(),
        };
        assert!(refused.source().is_none() && !refused.is_transient());
        let banned = HttpError::Banned {
            endpoint: "qBit POST /api/v2/auth/login".into(),
            detail: "Your IP address has been banned".into(),
            retry_in: Duration::from_millis(59_200),
        };
        assert!(banned.is_transient(), "a ban lifts by itself");
        assert!(
            banned.to_string().ends_with("(next login attempt in 60s)"),
            "{banned}"
        );
    }
}
