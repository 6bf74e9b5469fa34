//! The `torrents/info` reader: qBittorrent's torrent list, read as a stream.
//!
//! Each object is scanned once, straight from the read buffer, for the
//! sixteen fields the rules use, into one [`Torrent`] that is reused for the
//! next object; the other ~40 fields are skipped without being decoded. An
//! object cut by the end of the buffer is read again once more bytes are in.
//! Once its buffers have grown, reading a list allocates nothing, and memory
//! stays at about one buffer (32 KiB) however long the list is (20,000
//! torrents are ~40 MB of JSON).
//!
//! It reads what serde_json reads (a test holds the two to the same result),
//! and tolerates more: `null` for a string or a number, a float where an
//! integer is expected (truncated), an unpaired surrogate escape (U+FFFD).
//! Skipped values are checked only for where they end, not for validity.

use std::fmt;
use std::io::Read;

use crate::model::{Torrent, TorrentState};

/// Why a torrent list could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// Reading the body failed: connection dropped, timeout, size limit.
    Io(String),
    /// The bytes are not a torrent list: what was wrong, at which byte of the body.
    Syntax { at: u64, what: String },
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "reading the torrent list failed: {e}"),
            Self::Syntax { at, what } => write!(f, "not a torrent list: {what} (byte {at})"),
        }
    }
}

impl std::error::Error for ListError {}

/// Reads a whole `torrents/info` list (for small lists and tests; the loop uses
/// [`parse_torrents_each`]).
pub fn parse_torrent_list(reader: impl Read) -> Result<Vec<Torrent>, ListError> {
    let mut out = Vec::new();
    parse_torrents_each(reader, |t| out.push(t.clone()))?;
    Ok(out)
}

/// Hands each torrent of a `torrents/info` list to `f` as soon as its object
/// has arrived. On an error, `f` may already have seen part of the list.
pub fn parse_torrents_each(reader: impl Read, mut f: impl FnMut(&Torrent)) -> Result<(), ListError> {
    let mut input = Input::new(reader);
    let mut torrent = Torrent::default();
    let mut scratch = String::new();
    if input.next_byte()? != Some(b'[') {
        return Err(input.error(0, "expected a JSON array of torrents"));
    }
    input.start += 1;
    // After '[' an object or ']'; after an object ',' or ']'; after ',' an object.
    let mut after_object = false;
    loop {
        match (input.next_byte()?, after_object) {
            (Some(b'{'), false) => {
                input.object(&mut torrent, &mut scratch)?;
                f(&torrent);
                after_object = true;
            }
            (Some(b','), true) => {
                input.start += 1;
                after_object = false;
            }
            (Some(b']'), _) => {
                input.start += 1;
                break;
            }
            (Some(_), false) => return Err(input.error(0, "expected a torrent object")),
            (Some(_), true) => return Err(input.error(0, "expected ',' or ']' after a torrent")),
            (None, _) => return Err(input.error(0, "the torrent list ended before its closing bracket")),
        }
    }
    if input.next_byte()?.is_some() {
        return Err(input.error(0, "text after the list"));
    }
    Ok(())
}

/// The body as it arrives: a buffer that holds at least the object being read.
struct Input<R> {
    reader: R,
    buf: Vec<u8>,
    /// `buf[start..end]` is read but not yet used.
    start: usize,
    end: usize,
    /// Offset in the body of `buf[0]`.
    offset: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            buf: vec![0; 32 * 1024],
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
    }

    /// An error at `at` bytes past the current position.
    fn error(&self, at: usize, what: &str) -> ListError {
        ListError::Syntax {
            at: self.offset + (self.start + at) as u64,
            what: what.to_string(),
        }
    }

    /// Reads more of the body, keeping `buf[start..end]` (moved to the front, the buffer grown if full).
    fn read_more(&mut self) -> Result<(), ListError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.offset += self.start as u64;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ListError::Io(e.to_string())),
            }
            return Ok(());
        }
    }

    /// The next byte that is not whitespace (not consumed); `None` at the end of the body.
    fn next_byte(&mut self) -> Result<Option<u8>, ListError> {
        loop {
            while self.start < self.end {
                let b = self.buf[self.start];
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.start += 1;
            }
            if self.eof {
                return Ok(None);
            }
            self.read_more()?;
        }
    }

    /// Reads the object that starts at `start` into `t`, reading more of the body until it is whole.
    fn object(&mut self, t: &mut Torrent, scratch: &mut String) -> Result<(), ListError> {
        self.with("the torrent list ended in the middle of a torrent", |s| {
            let len = fill(t, scratch, &s.b[s.i..])?;
            s.i += len;
            Ok(())
        })
    }

    /// Runs `read` on what is buffered; when it needs more bytes than that,
    /// reads more of the body and runs it again from the same place. On
    /// success the bytes it used are consumed. `cut` says what an end of the
    /// body in the middle means.
    fn with<T>(
        &mut self,
        cut: &'static str,
        mut read: impl FnMut(&mut Scanner<'_>) -> Result<T, ObjectError>,
    ) -> Result<T, ListError> {
        loop {
            let mut s = Scanner {
                b: &self.buf[self.start..self.end],
                i: 0,
            };
            match read(&mut s) {
                Ok(value) => {
                    self.start += s.i;
                    return Ok(value);
                }
                Err(e) if e.truncated && !self.eof => self.read_more()?,
                Err(e) if e.truncated => return Err(self.error(e.at, cut)),
                Err(e) => return Err(self.error(e.at, e.what)),
            }
        }
    }
}

/// A syntax error inside one object: what, and the byte offset in the object.
struct ObjectError {
    at: usize,
    what: &'static str,
    /// The bytes ended first: with more of them it may be no error at all.
    truncated: bool,
}

/// Fills `t` from the torrent object at the start of `bytes`, and returns
/// its length; fields the object lacks get their defaults.
fn fill(t: &mut Torrent, scratch: &mut String, bytes: &[u8]) -> Result<usize, ObjectError> {
    clear(t);
    let (len, present) = fill_fields(t, scratch, bytes)?;
    if !present.has(Field::Hash) {
        return Err(ObjectError::at(0, "a torrent without a hash"));
    }
    Ok(len)
}

/// Reads the torrent object at the start of `bytes` into `t`, field by
/// field: what the object lacks is left as it was. Its length, and which
/// fields it held.
fn fill_fields(t: &mut Torrent, scratch: &mut String, bytes: &[u8]) -> Result<(usize, Fields), ObjectError> {
    let mut s = Scanner { b: bytes, i: 0 };
    let mut present = Fields::NONE;
    s.ws();
    s.expect(b'{')?;
    s.ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
    } else {
        loop {
            s.ws();
            let key_at = s.i;
            let (raw_key, key_escaped) = s.raw_string()?;
            let key = if key_escaped {
                unescape(raw_key, scratch).map_err(|what| ObjectError::at(key_at, what))?;
                scratch.as_bytes()
            } else {
                raw_key
            };
            let field = Field::of(key);
            present.insert(field);
            s.ws();
            s.expect(b':')?;
            s.ws();
            match field {
                Field::Hash => {
                    s.string_into(&mut t.hash)?;
                    t.hash.make_ascii_lowercase();
                }
                Field::Name => s.string_into(&mut t.name)?,
                Field::Category => s.string_into(&mut t.category)?,
                Field::State => {
                    s.string_into(scratch)?;
                    t.state = TorrentState::parse(scratch);
                }
                Field::Tags => {
                    s.string_into(scratch)?;
                    fill_tags(&mut t.tags, scratch);
                }
                Field::ContentPath => s.string_into(&mut t.content_path)?,
                Field::SavePath => s.string_into(&mut t.save_path)?,
                Field::Progress => t.progress = s.f64_value()?,
                Field::Ratio => t.ratio = s.f64_value()?,
                Field::AmountLeft => t.amount_left = s.i64_value()?,
                Field::Size => t.size = s.i64_value()?,
                Field::AddedOn => t.added_on = s.i64_value()?,
                Field::CompletionOn => t.completion_on = s.i64_value()?,
                Field::LastActivity => t.last_activity = s.i64_value()?,
                Field::Eta => t.eta = s.i64_value()?,
                Field::SeedingTime => t.seeding_time = s.i64_value()?,
                Field::MaxRatio => t.max_ratio = s.f64_value()?,
                Field::MaxSeedingTime => t.max_seeding_minutes = s.i64_value()?,
                Field::Priority => t.queue_position = s.i64_value()?,
                Field::UpLimit => t.up_limit = rate_limit(s.i64_value()?),
                Field::DlLimit => t.dl_limit = rate_limit(s.i64_value()?),
                Field::SuperSeeding => t.super_seeding = s.bool_value()?,
                Field::Tracker => {
                    if s.peek() == Some(b'n') {
                        s.null()?;
                        t.tracker_url.clear();
                    } else {
                        s.string_into(&mut t.tracker_url)?;
                    }
                    t.tracker_working = !t.tracker_url.is_empty();
                }
                Field::Other => s.skip_value()?,
            }
            s.ws();
            match s.next() {
                Some(b',') => {}
                Some(b'}') => break,
                _ => return Err(s.error("expected ',' or '}' after a value")),
            }
        }
    }
    Ok((s.i, present))
}

impl ObjectError {
    /// An error that more bytes would not change.
    fn at(at: usize, what: &'static str) -> Self {
        Self {
            at,
            what,
            truncated: false,
        }
    }
}

/// Resets every field to what an object without it means.
fn clear(t: &mut Torrent) {
    for s in [
        &mut t.hash,
        &mut t.name,
        &mut t.category,
        &mut t.content_path,
        &mut t.save_path,
        &mut t.tracker_url,
    ] {
        s.clear();
    }
    t.tags.clear();
    t.state = TorrentState::Unknown;
    t.progress = 0.0;
    t.ratio = 0.0;
    t.amount_left = 0;
    t.size = 0;
    t.added_on = 0;
    t.completion_on = 0;
    t.last_activity = 0;
    t.eta = 0;
    t.seeding_time = 0;
    t.max_ratio = -1.0;
    t.max_seeding_minutes = -1;
    t.queue_position = 0;
    t.tracker_working = true;
    t.up_limit = 0;
    t.dl_limit = 0;
    t.super_seeding = false;
}

/// qBittorrent's per-torrent limit in bytes/s (-1 or 0: none) as [`Torrent::up_limit`] keeps it.
fn rate_limit(bytes: i64) -> u32 {
    u32::try_from(bytes.max(0)).unwrap_or(u32::MAX)
}

/// qBittorrent's ", "-joined tags into `tags`, reusing its strings.
fn fill_tags(tags: &mut Vec<String>, joined: &str) {
    let mut n = 0;
    for tag in joined.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match tags.get_mut(n) {
            Some(slot) => {
                slot.clear();
                slot.push_str(tag);
            }
            None => tags.push(tag.to_string()),
        }
        n += 1;
    }
    tags.truncate(n);
}

/// A set of [`Field`]s: those an object held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Fields(u32);

impl Fields {
    pub(crate) const NONE: Self = Self(0);

    fn insert(&mut self, f: Field) {
        self.0 |= 1 << f as u32;
    }

    pub(crate) fn has(self, f: Field) -> bool {
        self.0 & (1 << f as u32) != 0
    }
}

/// The fields read; everything else is [`Field::Other`] and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Hash,
    Name,
    Category,
    State,
    Tags,
    ContentPath,
    SavePath,
    Progress,
    Ratio,
    AmountLeft,
    Size,
    AddedOn,
    CompletionOn,
    LastActivity,
    Eta,
    SeedingTime,
    MaxRatio,
    MaxSeedingTime,
    Priority,
    Tracker,
    UpLimit,
    DlLimit,
    SuperSeeding,
    Other,
}

impl Field {
    fn of(key: &[u8]) -> Self {
        match key {
            b"hash" => Self::Hash,
            b"name" => Self::Name,
            b"category" => Self::Category,
            b"state" => Self::State,
            b"tags" => Self::Tags,
            b"content_path" => Self::ContentPath,
            b"save_path" => Self::SavePath,
            b"progress" => Self::Progress,
            b"ratio" => Self::Ratio,
            b"amount_left" => Self::AmountLeft,
            b"size" => Self::Size,
            b"added_on" => Self::AddedOn,
            b"completion_on" => Self::CompletionOn,
            b"last_activity" => Self::LastActivity,
            b"eta" => Self::Eta,
            b"seeding_time" => Self::SeedingTime,
            b"max_ratio" => Self::MaxRatio,
            b"max_seeding_time" => Self::MaxSeedingTime,
            b"priority" => Self::Priority,
            b"tracker" => Self::Tracker,
            b"up_limit" => Self::UpLimit,
            b"dl_limit" => Self::DlLimit,
            b"super_seeding" => Self::SuperSeeding,
            _ => Self::Other,
        }
    }
}

/// A cursor over one object's bytes.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    /// An error here; at the end of the bytes, one that more bytes may resolve.
    fn error(&self, what: &'static str) -> ObjectError {
        ObjectError {
            at: self.i,
            what,
            truncated: self.i >= self.b.len(),
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    #[inline(always)]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Result<(), ObjectError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(match c {
                b'{' => "expected '{'",
                b':' => "expected ':' after a key",
                _ => "expected a string",
            }))
        }
    }

    /// A string's bytes between its quotes, and whether they hold escapes.
    fn raw_string(&mut self) -> Result<(&'a [u8], bool), ObjectError> {
        self.expect(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let Some(k) = memchr::memchr2(b'"', b'\\', &self.b[self.i..]) else {
                self.i = self.b.len();
                return Err(self.error("unterminated string"));
            };
            let at = self.i + k;
            if self.b[at] == b'"' {
                self.i = at + 1;
                return Ok((&self.b[start..at], escaped));
            }
            escaped = true;
            self.i = (at + 2).min(self.b.len());
        }
    }

    /// A string (or `null`, read as empty) into `out`.
    fn string_into(&mut self, out: &mut String) -> Result<(), ObjectError> {
        out.clear();
        if self.peek() == Some(b'n') {
            return self.null();
        }
        let at = self.i;
        let (raw, escaped) = self.raw_string()?;
        let done = if escaped {
            unescape(raw, out)
        } else {
            std::str::from_utf8(raw)
                .map(|s| out.push_str(s))
                .map_err(|_| "invalid UTF-8 in a string")
        };
        done.map_err(|what| ObjectError::at(at, what))
    }

    fn null(&mut self) -> Result<(), ObjectError> {
        self.literal_null("expected a string")
    }

    /// `null`; a part of it at the end of the bytes is a truncation.
    fn literal_null(&mut self, otherwise: &'static str) -> Result<(), ObjectError> {
        let rest = &self.b[self.i..];
        if rest.starts_with(b"null") {
            self.i += 4;
            Ok(())
        } else if rest.len() < 4 && b"null".starts_with(rest) {
            self.i = self.b.len();
            Err(self.error(otherwise))
        } else {
            Err(self.error(otherwise))
        }
    }

    fn number_token(&mut self) -> Result<&'a [u8], ObjectError> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')) {
            self.i += 1;
        }
        if self.i == start || self.i == self.b.len() {
            // At the end of the bytes the number may go on.
            Err(self.error("expected a number"))
        } else {
            Ok(&self.b[start..self.i])
        }
    }

    /// A number (or `null`, read as 0) as an integer; a fraction is truncated.
    fn i64_value(&mut self) -> Result<i64, ObjectError> {
        if self.peek() == Some(b'n') {
            return self.null_number();
        }
        let at = self.i;
        let token = self.number_token()?;
        parse_int(token)
            .or_else(|| parse_float(token).map(|f| f as i64))
            .ok_or(ObjectError::at(at, "not a number"))
    }

    /// A number (or `null`, read as 0) as a float.
    fn f64_value(&mut self) -> Result<f64, ObjectError> {
        if self.peek() == Some(b'n') {
            return self.null_number().map(|n| n as f64);
        }
        let at = self.i;
        let token = self.number_token()?;
        parse_float(token).ok_or(ObjectError::at(at, "not a number"))
    }

    /// `true` or `false` (or `null`, read as false).
    fn bool_value(&mut self) -> Result<bool, ObjectError> {
        let rest = &self.b[self.i..];
        for (word, value) in [(&b"true"[..], true), (b"false", false), (b"null", false)] {
            if rest.starts_with(word) {
                self.i += word.len();
                return Ok(value);
            }
            if rest.len() < word.len() && word.starts_with(rest) {
                self.i = self.b.len();
                return Err(self.error("expected true or false"));
            }
        }
        Err(self.error("expected true or false"))
    }

    fn null_number(&mut self) -> Result<i64, ObjectError> {
        self.literal_null("expected a number").map(|()| 0)
    }

    /// Skips one value of any type.
    fn skip_value(&mut self) -> Result<(), ObjectError> {
        match self.peek() {
            Some(b'"') => self.raw_string().map(drop),
            Some(b'{' | b'[') => self.skip_nested(),
            Some(_) => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                {
                    self.i += 1;
                }
                if self.i == start || self.i == self.b.len() {
                    Err(self.error("expected a value"))
                } else {
                    Ok(())
                }
            }
            None => Err(self.error("expected a value")),
        }
    }

    /// Skips an array or object, strings and nesting included.
    fn skip_nested(&mut self) -> Result<(), ObjectError> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated array or object")),
                Some(b'"') => {
                    self.raw_string()?;
                    continue;
                }
                Some(b'{' | b'[') => depth += 1,
                Some(b'}' | b']') => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Ok(());
                    }
                }
                Some(_) => {}
            }
            self.i += 1;
        }
    }
}

/// A JSON integer; `None` for anything else or an overflow.
fn parse_int(token: &[u8]) -> Option<i64> {
    let (negative, digits) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if negative { -n } else { n })
}

fn parse_float(token: &[u8]) -> Option<f64> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// Decodes a string's escapes into `out` (replacing what it held), checking UTF-8.
fn unescape(raw: &[u8], out: &mut String) -> Result<(), &'static str> {
    const BAD_UTF8: &str = "invalid UTF-8 in a string";
    out.clear();
    let mut rest = raw;
    while let Some(k) = memchr::memchr(b'\\', rest) {
        out.push_str(std::str::from_utf8(&rest[..k]).map_err(|_| BAD_UTF8)?);
        let escape = *rest.get(k + 1).ok_or("unterminated escape")?;
        rest = &rest[k + 2..];
        let c = match escape {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(rest).ok_or("bad \\u escape")?;
                rest = &rest[4..];
                if (0xD800..0xDC00).contains(&unit) {
                    // A leading surrogate: a trailing one must follow to make one character.
                    let low = rest
                        .strip_prefix(b"\\u")
                        .and_then(hex4)
                        .filter(|low| (0xDC00..0xE000).contains(low));
                    match low {
                        Some(low) => {
                            rest = &rest[6..];
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                                .unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        None => char::REPLACEMENT_CHARACTER,
                    }
                } else {
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            }
            _ => return Err("invalid escape in a string"),
        };
        out.push(c);
    }
    out.push_str(std::str::from_utf8(rest).map_err(|_| BAD_UTF8)?);
    Ok(())
}

/// Four hex digits at the start of `b`.
fn hex4(b: &[u8]) -> Option<u32> {
    let digits = b.get(..4)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + char::from(d).to_digit(16)?;
    }
    Some(n)
}

mod maindata;
pub(crate) use maindata::{parse_maindata, SyncItem};

#[cfg(test)]
mod tests;
