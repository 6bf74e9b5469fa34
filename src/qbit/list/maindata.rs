//! The `sync/maindata` reader: qBittorrent's incremental state, read as a
//! stream with the torrent list's scanner.
//!
//! The answer is one object: `rid`, `full_update`, `torrents` (hash →
//! object of the fields that changed, without `hash`), `torrents_removed`,
//! `categories`, `categories_removed`, `tags`, `tags_removed`, `trackers`
//! (announce URL → hashes), `trackers_removed` and `server_state` (the keys
//! that changed). Each part is handed to the caller as a [`SyncItem`] as
//! soon as it is read: a full update of 20,000 torrents never sits in memory
//! as JSON. What the items mean together is the caller's business; an error
//! part-way leaves the caller with items it must not apply.

use std::io::Read;

use super::{clear, fill_fields, Fields, Input, ListError, ObjectError, Scanner};
use crate::model::{Torrent, TorrentId};

/// One part of a `sync/maindata` answer, borrowed from the reader.
#[derive(Debug)]
pub(crate) enum SyncItem<'a> {
    Rid(i64),
    /// `full_update: true`: everything else replaces what was known.
    FullUpdate(bool),
    /// A torrent's fields that changed (all of them in a full update); `present` says which.
    Torrent {
        hash: &'a str,
        fields: &'a Torrent,
        present: Fields,
    },
    TorrentRemoved(&'a str),
    Category(&'a str),
    CategoryRemoved(&'a str),
    Tag(&'a str),
    TagRemoved(&'a str),
    /// The torrents announcing to `url` (those with a 40-digit hash): the whole
    /// list, replacing the one known.
    Tracker {
        url: &'a str,
        hashes: &'a [TorrentId],
    },
    TrackerRemoved(&'a str),
    /// `server_state.free_space_on_disk` (bytes).
    FreeSpace(i64),
    /// `server_state.connection_status`: connected, firewalled or disconnected.
    Connection(&'a str),
}

/// Reads a `sync/maindata` answer, handing each part to `f` as it is read.
/// On an error, `f` may already have seen part of it.
pub(crate) fn parse_maindata(reader: impl Read, f: &mut dyn FnMut(SyncItem<'_>)) -> Result<(), ListError> {
    let mut input = Input::new(reader);
    let mut key = String::new();
    let mut member = String::new();
    let mut text = String::new();
    let mut torrent = Torrent::default();
    let mut list: Vec<String> = Vec::new();
    let mut ids: Vec<TorrentId> = Vec::new();
    const CUT: &str = "the answer ended in the middle of a value";
    if input.next_byte()? != Some(b'{') {
        return Err(input.error(0, "expected a JSON object"));
    }
    input.start += 1;
    let mut first = true;
    loop {
        // A key, or the end of the object.
        let more = input.with(CUT, |s| {
            s.ws();
            if s.peek() == Some(b'}') && first {
                s.i += 1;
                return Ok(false);
            }
            key_into(s, &mut key)?;
            Ok(true)
        })?;
        if !more {
            break;
        }
        first = false;
        match key.as_str() {
            "rid" => f(SyncItem::Rid(input.with(CUT, |s| s.i64_value())?)),
            "full_update" => f(SyncItem::FullUpdate(input.with(CUT, |s| s.bool_value())?)),
            "torrents" => members(&mut input, &mut member, |input, hash| {
                let present = input.with(CUT, |s| {
                    clear(&mut torrent);
                    let (len, present) = fill_fields(&mut torrent, &mut text, &s.b[s.i..])?;
                    s.i += len;
                    Ok(present)
                })?;
                f(SyncItem::Torrent {
                    hash,
                    fields: &torrent,
                    present,
                });
                Ok(())
            })?,
            "categories" => members(&mut input, &mut member, |input, name| {
                input.with(CUT, |s| s.skip_value())?;
                f(SyncItem::Category(name));
                Ok(())
            })?,
            "trackers" => members(&mut input, &mut member, |input, url| {
                input.with(CUT, |s| ids_into(s, &mut ids))?;
                f(SyncItem::Tracker { url, hashes: &ids });
                Ok(())
            })?,
            "server_state" => members(&mut input, &mut member, |input, name| {
                match name {
                    "free_space_on_disk" => f(SyncItem::FreeSpace(input.with(CUT, |s| s.i64_value())?)),
                    "connection_status" => {
                        input.with(CUT, |s| s.string_into(&mut text))?;
                        f(SyncItem::Connection(&text));
                    }
                    _ => input.with(CUT, |s| s.skip_value())?,
                }
                Ok(())
            })?,
            "torrents_removed" | "categories_removed" | "tags" | "tags_removed" | "trackers_removed" => {
                input.with(CUT, |s| strings_into(s, &mut list))?;
                for item in &list {
                    f(match key.as_str() {
                        "torrents_removed" => SyncItem::TorrentRemoved(item),
                        "categories_removed" => SyncItem::CategoryRemoved(item),
                        "tags" => SyncItem::Tag(item),
                        "tags_removed" => SyncItem::TagRemoved(item),
                        _ => SyncItem::TrackerRemoved(item),
                    });
                }
            }
            _ => input.with(CUT, |s| s.skip_value())?,
        }
        if input.with(CUT, object_ends)? {
            break;
        }
    }
    if input.next_byte()?.is_some() {
        return Err(input.error(0, "text after the object"));
    }
    Ok(())
}

/// After a member: `,` (more follow: false) or `}` (the object ends: true).
fn object_ends(s: &mut Scanner<'_>) -> Result<bool, ObjectError> {
    s.ws();
    match s.next() {
        Some(b',') => Ok(false),
        Some(b'}') => Ok(true),
        _ => Err(s.error("expected ',' or '}' after a value")),
    }
}

/// `"key" :` into `key`.
fn key_into(s: &mut Scanner<'_>, key: &mut String) -> Result<(), ObjectError> {
    s.ws();
    if s.peek() != Some(b'"') {
        return Err(s.error("expected a key"));
    }
    s.string_into(key)?;
    s.ws();
    s.expect(b':')?;
    s.ws();
    Ok(())
}

/// Reads an object member by member: `each` gets the member's key and reads its value.
/// `null` counts as an empty object.
fn members<R: Read>(
    input: &mut Input<R>,
    key: &mut String,
    mut each: impl FnMut(&mut Input<R>, &str) -> Result<(), ListError>,
) -> Result<(), ListError> {
    const CUT: &str = "the answer ended in the middle of an object";
    let empty = input.with(CUT, |s| {
        s.ws();
        if s.peek() == Some(b'n') {
            s.literal_null("expected an object")?;
            return Ok(true);
        }
        s.expect(b'{')?;
        s.ws();
        if s.peek() == Some(b'}') {
            s.i += 1;
            return Ok(true);
        }
        Ok(false)
    })?;
    if empty {
        return Ok(());
    }
    loop {
        input.with(CUT, |s| key_into(s, key))?;
        each(input, key)?;
        if input.with(CUT, object_ends)? {
            return Ok(());
        }
    }
}

/// An array of strings (or `null`, read as empty) into `out`, reusing its strings.
fn strings_into(s: &mut Scanner<'_>, out: &mut Vec<String>) -> Result<(), ObjectError> {
    let mut n = 0;
    array_each(s, |s| {
        if n == out.len() {
            out.push(String::new());
        }
        s.string_into(&mut out[n])?;
        n += 1;
        Ok(())
    })?;
    out.truncate(n);
    Ok(())
}

/// An array of torrent hashes (or `null`) into `out`, without a string each: a
/// popular tracker's list in a full update holds every torrent of the library.
/// Hashes that are not 40 hex digits are left out.
fn ids_into(s: &mut Scanner<'_>, out: &mut Vec<TorrentId>) -> Result<(), ObjectError> {
    out.clear();
    array_each(s, |s| {
        let (raw, escaped) = s.raw_string()?;
        if !escaped {
            if let Some(id) = std::str::from_utf8(raw).ok().and_then(TorrentId::parse) {
                out.push(id);
            }
        }
        Ok(())
    })
}

/// Reads an array (or `null`, as an empty one), `each` reading one element at a time.
fn array_each(
    s: &mut Scanner<'_>,
    mut each: impl FnMut(&mut Scanner<'_>) -> Result<(), ObjectError>,
) -> Result<(), ObjectError> {
    if s.peek() == Some(b'n') {
        return s.literal_null("expected an array");
    }
    s.expect(b'[')?;
    s.ws();
    if s.peek() == Some(b']') {
        s.i += 1;
        return Ok(());
    }
    loop {
        s.ws();
        each(s)?;
        s.ws();
        match s.next() {
            Some(b',') => {}
            Some(b']') => return Ok(()),
            _ => return Err(s.error("expected ',' or ']' in an array")),
        }
    }
}
