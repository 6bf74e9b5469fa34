#!/usr/bin/env python3
"""Fake qBittorrent (WebUI API v2) and fake Radarr/Sonarr/Lidarr/Readarr servers
for the footprint benchmark. Loopback only, Python 3 standard library only.

One process serves one qBittorrent and K Arr instances, each on its own port
(port 0 = pick a free one). Every Arr owns one qBittorrent category holding N
generated torrents with every field qBittorrent 5.0 (or 4.5 with --qbit 4.5)
sends in `torrents/info`: mixed states, long names, many tags, magnet URIs
with trackers. The Arr queue lists each download that is not imported yet,
with the fields the Arr APIs send, paged like the real thing.

qBittorrent reads: `torrents/info` with `category`, `filter` (all, downloading,
seeding, completed, paused/stopped, resumed/running, active, inactive, stalled,
stalled_uploading, stalled_downloading, checking, moving, errored), `tag` and
`hashes` (a|b|c), combined by intersection; and `sync/maindata?rid=N` with
qBittorrent's per-session (per SID cookie) state: rid 0 or an unknown rid gets
a full snapshot, the rid of the last response (or of the one before it, when a
client missed an answer) gets only what changed since then.

Payloads are rendered once; an action the daemon sends (delete, start/stop,
recheck, tags, category, import, queue delete) changes the torrent as
qBittorrent/the Arr would and re-renders only what it touched, so a pass over
unchanged torrents costs the fake a single write of cached bytes. A torrent's
fields dict is never changed in place: a change replaces it and bumps the
torrent's version, so a sync session's snapshot is a reference, and a
maindata poll looks only at torrents changed since its base (a change log).

--churn PCT changes PCT % of each category's torrents per minute, in steps
once a second from a seeded RNG: downloads progress and sometimes complete
(their queue rows become importPending), seeds upload, and now and then a
torrent is removed and a new download added in its category (with queue rows).
With --churn-paused it waits for `POST /_bench/churn?run=1`.

When listening, one JSON line goes to stdout: {"qbit": port, "arrs": [ports]}.
`GET /_bench/stats` on the qBittorrent port returns request counts and bytes
out per server and path, qBittorrent requests and bytes per kind ("torrents/info
category", "torrents/info category+filter=downloading", "torrents/info hashes",
"sync/maindata full|diff|unchanged", ...), torrents/info calls per category,
churn counts and the CLOCK_MONOTONIC time of each first request (comparable
with time.monotonic() in the runner).
"""

import argparse
import bisect
import hashlib
import json
import random
import socket
import threading
import time
from collections import Counter, OrderedDict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

NOW = int(time.time())

WORDS = (
    "The Last Winter Chronicles Return Of Shadow Kingdom Silent River Night Falls Over "
    "Northern Lights Empire Beyond Horizon Lost City Golden Age Dark Matter Red Planet "
    "Hidden Valley Iron Crown Broken Arrow Midnight Express Crystal Lake Summer Storm"
).split()
UNICODE_WORDS = ["Amélie", "Léon", "Kōkaku", "Мастер", "千と千尋の神隠し", "Ça", "Zoë", "Ångström"]
QUALITY = [
    "2160p.UHD.BluRay.REMUX.HDR10.DV.HEVC.TrueHD.Atmos.7.1",
    "1080p.BluRay.x264.DTS-HD.MA.5.1",
    "1080p.WEB-DL.DDP5.1.H.264",
    "720p.HDTV.x264.AAC2.0",
    "2160p.WEB-DL.DDP5.1.Atmos.HDR.H.265",
    "FLAC.24bit.96kHz",
    "EPUB.Retail",
]
GROUPS = ["FraMeSToR", "NTb", "SPARKS", "CiNEFiLE", "EVO", "playWEB", "FLUX", "TEPES", "BHDStudio"]
TAG_POOL = [
    "1080p", "2160p", "720p", "remux", "hdr", "dv", "atmos", "private", "public", "ratio-keep",
    "long-seed", "tracker:aither", "tracker:blutopia", "tracker:beyondhd", "tracker:passthepopcorn",
    "tracker:broadcasthenet", "tracker:orpheus", "tracker:redacted", "tracker:myanonamouse",
    "cross-seed", "autobrr", "manual", "imported-by-hand", "keep", "archive", "family", "kids",
    "4k-upgrade", "season-pack", "freeleech", "bonus", "H&R", "limit-up", "no-hardlink",
    "nas-1", "nas-2", "seedbox", "vpn", "re-check-later", "user:alice",
]
TRACKERS = [
    "https://tracker.aither.cc/announce/0123456789abcdef0123456789abcdef",
    "https://blutopia.cc/announce/fedcba9876543210fedcba9876543210",
    "udp://tracker.opentrackr.org:1337/announce",
    "udp://open.demonii.com:1337/announce",
    "http://tracker.bt4g.com:2095/announce",
    "udp://exodus.desync.com:6969/announce",
]
IMPORTED = "qBitrr-imported"
ALLOWED_STALLED = "qBitrr-allowed_stalled"

# (state in 5.x, state in 4.x, weight); complete states first.
COMPLETE_STATES = [
    ("stalledUP", "stalledUP", 55),
    ("uploading", "uploading", 20),
    ("stoppedUP", "pausedUP", 15),
    ("queuedUP", "queuedUP", 5),
    ("forcedUP", "forcedUP", 3),
    ("checkingUP", "checkingUP", 2),
]
INCOMPLETE_STATES = [
    ("downloading", "downloading", 40),
    ("stalledDL", "stalledDL", 22),
    ("queuedDL", "queuedDL", 15),
    ("metaDL", "metaDL", 5),
    ("stoppedDL", "pausedDL", 5),
    ("forcedDL", "forcedDL", 3),
    ("checkingDL", "checkingDL", 2),
    ("error", "error", 4),
    ("missingFiles", "missingFiles", 2),
    ("moving", "moving", 2),
]
KIND_API = {"radarr": "/api/v3", "sonarr": "/api/v3", "lidarr": "/api/v1", "readarr": "/api/v1"}
SCAN = {
    "radarr": "DownloadedMoviesScan",
    "sonarr": "DownloadedEpisodesScan",
    "lidarr": "DownloadedAlbumsScan",
    "readarr": "DownloadedBooksScan",
}

# torrents/info `filter`, as qBittorrent's TorrentFilter matches it (4.x and 5.x state names).
# "downloading" is TorrentImpl::isDownloading(), "errored" isErrored().
DOWNLOADING = frozenset({"downloading", "metaDL", "forcedMetaDL", "stalledDL", "checkingDL", "pausedDL",
                         "stoppedDL", "queuedDL", "forcedDL", "allocating"})
SEEDING = frozenset({"uploading", "stalledUP", "checkingUP", "queuedUP", "forcedUP"})
COMPLETED = SEEDING | {"pausedUP", "stoppedUP"}
STOPPED = frozenset({"pausedDL", "pausedUP", "stoppedDL", "stoppedUP"})
ERRORED = frozenset({"error", "missingFiles"})
CHECKING = frozenset({"checkingUP", "checkingDL", "checkingResumeData"})
ACTIVE = frozenset({"metaDL", "forcedMetaDL", "downloading", "forcedDL", "uploading", "forcedUP", "moving"})
FILTERS = {
    "downloading": lambda f: f["state"] in DOWNLOADING,
    "seeding": lambda f: f["state"] in SEEDING,
    "completed": lambda f: f["state"] in COMPLETED,
    "paused": lambda f: f["state"] in STOPPED,
    "stopped": lambda f: f["state"] in STOPPED,
    "resumed": lambda f: f["state"] not in STOPPED,
    "running": lambda f: f["state"] not in STOPPED,
    "active": lambda f: f["state"] in ACTIVE or (f["state"] == "stalledDL" and f["upspeed"] > 0),
    "inactive": lambda f: not (f["state"] in ACTIVE or (f["state"] == "stalledDL" and f["upspeed"] > 0)),
    "stalled": lambda f: f["state"] in ("stalledUP", "stalledDL"),
    "stalled_uploading": lambda f: f["state"] == "stalledUP",
    "stalled_downloading": lambda f: f["state"] == "stalledDL",
    "checking": lambda f: f["state"] in CHECKING,
    "moving": lambda f: f["state"] == "moving",
    "errored": lambda f: f["state"] in ERRORED,
}  # any other value (and "all") is no filter, as in qBittorrent

SESSIONS_MAX = 256  # SIDs kept (qBittorrent expires idle sessions; the fake forgets the oldest)
LOG_MAX = 1 << 18  # change-log entries kept; a sync base older than the log is diffed by a full scan
CHURN_MAX_STEP = 2000  # changes per category per one-second step, at most
FREE_SPACE = 7 << 40
ALLTIME_DL, ALLTIME_UL = 91 << 40, 187 << 40


def pick(rng, table, v4):
    total = sum(w for _, _, w in table)
    x = rng.uniform(0, total)
    for s5, s4, w in table:
        x -= w
        if x <= 0:
            return s4 if v4 else s5
    return table[-1][1] if v4 else table[-1][0]


def torrent_name(rng, i):
    words = rng.sample(WORDS, rng.randint(3, 9))
    if rng.random() < 0.08:
        words.insert(rng.randint(0, len(words)), rng.choice(UNICODE_WORDS))
    year = rng.randint(1950, 2025)
    name = ".".join(words) + f".{year}.{rng.choice(QUALITY)}-{rng.choice(GROUPS)}"
    if rng.random() < 0.2:
        name += ".PROPER.REPACK.Extended.Directors.Cut.Remastered.Limited.Edition"
    return f"{name}.{i:05d}"


class Torrent:
    """One torrent. `fields` is replaced, never changed in place (sync sessions keep references to
    the dicts they sent); `version` is the world's change counter at its last change."""

    __slots__ = ("fields", "fragment", "version", "trackers")

    def __init__(self, fields, trackers):
        self.fields = fields
        self.fragment = None
        self.version = 0
        self.trackers = tuple(trackers)  # the magnet URI's tr= URLs

    def render(self):
        if self.fragment is None:
            self.fragment = json.dumps(self.fields, ensure_ascii=False, separators=(",", ":")).encode()
        return self.fragment

    def render_without_hash(self):
        """The object as sync/maindata sends it: the hash is the key, not a field."""
        h = self.fields["hash"].encode()
        return self.render().replace(b'"hash":"' + h + b'",', b"", 1)

    def touch(self):
        self.fragment = None


def magnet_trackers(magnet):
    return [unquote(v) for k, _, v in (p.partition("=") for p in magnet.split("?", 1)[-1].split("&")) if k == "tr"]


def make_torrent(rng, index, category, v4, complete_share, state=None):
    h = hashlib.sha1(f"{category}/{index}".encode()).hexdigest()
    name = torrent_name(rng, index)
    complete = rng.random() < complete_share
    state = state or pick(rng, COMPLETE_STATES if complete else INCOMPLETE_STATES, v4)
    size = rng.randint(50 << 20, 80 << 30)
    added = NOW - rng.randint(3600, 2 * 365 * 86400)
    tags = set(rng.sample(TAG_POOL, rng.randint(2, 8)))
    if complete:
        progress = 1.0
        left = 0
        completion = added + rng.randint(60, 86400)
        # A few completed downloads are not imported yet: imported during warm-up.
        if rng.random() < 0.98:
            tags.add(IMPORTED)
        seeding_time = max(0, NOW - completion - rng.randint(0, 3600))
        ratio = round(rng.uniform(0, 12), 3)
        eta = 8640000
        dlspeed, upspeed = 0, rng.choice([0, 0, 0, rng.randint(1000, 5 << 20)])
    else:
        progress = 0.0 if state == "metaDL" else round(rng.uniform(0, 0.98), 4)
        left = int(size * (1 - progress))
        completion = -1
        seeding_time = 0
        ratio = round(rng.uniform(0, 0.3), 3)
        eta = rng.choice([8640000, rng.randint(60, 7 * 86400)])
        dlspeed, upspeed = (rng.randint(10_000, 50 << 20), rng.randint(0, 1 << 20)) if state == "downloading" else (0, 0)
    if state == "metaDL":
        size = 0
        left = 0
    downloaded = size - left
    uploaded = int(downloaded * ratio)
    trackers = rng.sample(TRACKERS, rng.randint(1, 5))
    save_path = f"/data/torrents/{category}"
    magnet = f"magnet:?xt=urn:btih:{h}&dn={quote(name)}" + "".join(
        f"&tr={quote(t, safe='')}" for t in trackers
    )
    f = {
        "added_on": added,
        "amount_left": left,
        "auto_tmm": True,
        "availability": -1 if complete else round(rng.uniform(0, 3), 3),
        "category": category,
        "comment": "" if rng.random() < 0.5 else f"https://tracker.example.org/torrents/{rng.randint(1, 10**6)}",
        "completed": downloaded,
        "completion_on": completion,
        "content_path": f"{save_path}/{name}",
        "dl_limit": -1,
        "dlspeed": dlspeed,
        "download_path": "",
        "downloaded": downloaded,
        "downloaded_session": downloaded // 3,
        "eta": eta,
        "f_l_piece_prio": False,
        "force_start": state.startswith("forced"),
        "has_metadata": state != "metaDL",
        "hash": h,
        "inactive_seeding_time_limit": -2,
        "infohash_v1": h,
        "infohash_v2": "",
        "last_activity": NOW - rng.randint(0, 30 * 86400),
        "magnet_uri": magnet,
        "max_inactive_seeding_time": -1,
        "max_ratio": -1,
        "max_seeding_time": -1,
        "name": name,
        "num_complete": rng.randint(0, 500),
        "num_incomplete": rng.randint(0, 80),
        "num_leechs": rng.randint(0, 10),
        "num_seeds": rng.randint(0, 30),
        "popularity": round(rng.uniform(0, 5), 4),
        "priority": 0 if complete else rng.randint(1, 50),
        "private": "aither" in trackers[0] or "blutopia" in trackers[0],
        "progress": progress,
        "ratio": ratio,
        "ratio_limit": -2,
        "reannounce": rng.randint(0, 1800),
        "root_path": f"{save_path}/{name}",
        "save_path": save_path,
        "seeding_time": seeding_time,
        "seeding_time_limit": -2,
        "seen_complete": completion if complete else NOW - rng.randint(0, 86400),
        "seq_dl": False,
        "size": size,
        "state": state,
        "super_seeding": False,
        "tags": ", ".join(sorted(tags)),
        "time_active": NOW - added,
        "total_size": size,
        "tracker": trackers[0],
        "trackers_count": len(trackers),
        "up_limit": -1,
        "uploaded": uploaded,
        "uploaded_session": uploaded // 4,
        "upspeed": upspeed,
    }
    if v4:
        for k in ("comment", "has_metadata", "popularity", "private", "reannounce"):
            del f[k]
    return Torrent(f, magnet_trackers(magnet))


def queue_rows(kind, arr_index, t, next_id):
    """The queue rows of one download (Sonarr season packs have several)."""
    f = t.fields
    n = 1
    if kind == "sonarr" and int(f["hash"][:2], 16) < 64:
        n = 1 + int(f["hash"][2], 16) % 10
    state = "importPending" if f["amount_left"] == 0 and f["progress"] >= 1 else "downloading"
    rows = []
    media = 10_000 * (arr_index + 1) + int(f["hash"][:6], 16) % 9_000_000
    for k in range(n):
        r = {
            "id": next_id + k,
            "quality": {
                "quality": {"id": 7, "name": "Bluray-1080p", "source": "bluray", "resolution": 1080},
                "revision": {"version": 1, "real": 0, "isRepack": False},
            },
            "customFormats": [{"id": 3, "name": "HDR"}] if "HDR" in f["name"] else [],
            "customFormatScore": 0,
            "size": float(f["size"]),
            "title": f["name"],
            "sizeleft": float(f["amount_left"]),
            "timeleft": "01:02:03",
            "estimatedCompletionTime": "2030-01-01T00:00:00Z",
            "added": "2024-05-01T12:00:00Z",
            "status": "downloading" if state == "downloading" else "completed",
            "trackedDownloadStatus": "ok",
            "trackedDownloadState": state,
            "statusMessages": [],
            "downloadId": f["hash"].upper(),
            "protocol": "torrent",
            "downloadClient": "qBittorrent",
            "downloadClientHasPostImportCategory": False,
            "indexer": "Aither (API)",
            "outputPath": f["content_path"],
        }
        if kind == "radarr":
            r.update(movieId=media, languages=[{"id": 1, "name": "English"}])
        elif kind == "sonarr":
            r.update(seriesId=media // 10, episodeId=media + k, seasonNumber=1 + k // 20,
                     episodeHasFile=False, languages=[{"id": 1, "name": "English"}])
        elif kind == "lidarr":
            r.update(artistId=media // 10, albumId=media, trackFileCount=0, trackHasFileCount=0,
                     downloadForced=False)
        else:
            r.update(authorId=media // 10, bookId=media, downloadForced=False)
        rows.append(r)
    return rows


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = Counter()  # "server METHOD path" -> count
        self.bytes = Counter()  # "server METHOD path" -> body bytes sent
        self.per_server = Counter()
        self.kinds = Counter()  # qBittorrent requests by kind ("torrents/info category", "sync/maindata diff", ...)
        self.kind_bytes = Counter()
        self.lists = Counter()  # torrents/info per category: "C" (the whole list), "C filter=F" (filtered)
        self.first = {}  # key -> monotonic time of first occurrence ("read": first torrents/info or maindata)
        self.last = {}  # "list <category>" -> monotonic time of the latest one
        self.reads = 0  # torrents/info and sync/maindata requests
        self.read_times = deque(maxlen=256)  # monotonic times of the latest ones
        self.bytes_out = 0
        self.churn = Counter()

    def hit(self, server, method, path, extra_key=None, kind=None, read=False):
        """Counts a request (`read`: a torrents/info or sync/maindata one); returns the key its bytes go to."""
        now = time.monotonic()
        key = f"{server} {method} {path}"
        with self.lock:
            self.requests[key] += 1
            self.per_server[server] += 1
            self.first.setdefault(key, now)
            if kind is not None:
                self.kinds[kind] += 1
            if read:
                self.reads += 1
                self.read_times.append(now)
                self.first.setdefault("read", now)
            if extra_key is not None:
                self.lists[extra_key] += 1
                self.first.setdefault("list " + extra_key, now)
                self.last["list " + extra_key] = now
        return key

    def sent(self, key, kind, n):
        with self.lock:
            self.bytes_out += n
            self.bytes[key] += n
            if kind is not None:
                self.kind_bytes[kind] += n

    def mark(self, key):
        with self.lock:
            self.first.setdefault(key, time.monotonic())

    def snapshot(self):
        with self.lock:
            return {
                "now": time.monotonic(),
                "requests": dict(self.requests),
                "bytes": dict(self.bytes),
                "per_server": dict(self.per_server),
                "kinds": dict(self.kinds),
                "kind_bytes": dict(self.kind_bytes),
                "lists": dict(self.lists),
                "first": dict(self.first),
                "last": dict(self.last),
                "reads": self.reads,
                "read_times": list(self.read_times),
                "bytes_out": self.bytes_out,
                "churn": dict(self.churn),
            }


def info_kind(params):
    """The stats kind of a torrents/info request: which of category, hashes, filter, tag it used."""
    parts = [k for k in ("category", "hashes") if k in params]
    f = params.get("filter", "all") or "all"
    if f != "all":
        parts.append("filter=" + f)
    if "tag" in params:
        parts.append("tag")
    return "torrents/info " + ("+".join(parts) or "all")


def json_bytes(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def json_object(items):
    """A JSON object from (key, encoded value) pairs, keys sorted as Qt's QJsonObject keeps them."""
    items = sorted(items)
    return b"{" + b",".join(json_bytes(k) + b":" + v for k, v in items) + b"}"


def same(a, b):
    return a == b and type(a) is type(b)


class SyncBase:
    """What one sync/maindata response contained: the base of the next diff."""

    __slots__ = ("rid", "seq", "torrents", "categories", "tags", "trackers", "server_state")

    def __init__(self, rid, seq, torrents, categories, tags, trackers, server_state):
        self.rid = rid
        self.seq = seq  # the world's change counter when it was made
        self.torrents = torrents  # hash -> (version, fields dict): references, never changed
        self.categories = categories  # name -> {"name", "savePath"}
        self.tags = tags  # frozenset
        self.trackers = trackers  # url -> the world's version of that url's hash list
        self.server_state = server_state


class SyncSession:
    __slots__ = ("next_rid", "last", "accepted")

    def __init__(self):
        self.next_rid = 1
        self.last = None  # the last response sent
        self.accepted = None  # the last response the client confirmed (by sending its rid)


class World:
    """The torrents and queues the fakes serve, with cached renderings."""

    def __init__(self, arrs, n, seed, v4, complete_share):
        self.lock = threading.RLock()
        self.v4 = v4
        self.torrents = {}  # hash -> Torrent
        self.by_category = {}  # category -> {hash: None} (insertion-ordered)
        self.list_cache = {}  # category -> bytes of the whole list
        self.filter_cache = {}  # category -> {filter: bytes}
        self.categories = {}  # name -> {"name", "savePath"}
        self.tag_set = set()
        self.tracker_hashes = {}  # url -> {hash: None}
        self.tracker_version = {}  # url -> change counter at its last change
        self.seq = 0  # change counter: every torrent change, add and removal
        self.log_seq, self.log_hash = [], []  # change log, seq ascending
        self.log_floor = 0  # changes up to this seq are no longer in the log
        self.sessions = {}  # SID -> SyncSession
        self.speed = {"dlspeed": 0, "upspeed": 0}
        self.data = {"downloaded": 0, "uploaded": 0}  # session totals (only grow)
        self.arrs = []
        self.arr_of = {}  # category -> index in arrs
        self.next_index = {}  # category -> index of the next generated torrent
        for i, (kind, category) in enumerate(arrs):
            rng = random.Random(seed * 1000 + i)
            self.create_category(category)
            self.by_category[category] = {}
            for j in range(n):
                self._add(make_torrent(rng, j, category, v4, complete_share))
            self.next_index[category] = n
            self.arr_of[category] = i
            rows, next_id = [], 1
            for h in self.by_category[category]:
                t = self.torrents[h]
                if IMPORTED in t.fields["tags"]:
                    continue
                new = queue_rows(kind, i, t, next_id)
                next_id += len(new)
                rows.extend(new)
            self.arrs.append({"kind": kind, "category": category, "rows": rows, "page_cache": {},
                              "commands": 0, "next_id": next_id})
        for special in ("failed", "recheck"):
            self.create_category(special)
            self.by_category.setdefault(special, {})
        self.log_seq.clear()
        self.log_hash.clear()
        self.log_floor = self.seq

    # --- changes: every one goes through _add, _remove or _update ---
    def _log(self, h):
        self.seq += 1
        self.log_seq.append(self.seq)
        self.log_hash.append(h)
        if len(self.log_seq) > LOG_MAX:
            cut = len(self.log_seq) // 2
            self.log_floor = self.log_seq[cut - 1]
            del self.log_seq[:cut], self.log_hash[:cut]
        return self.seq

    def _invalidate(self, category):
        self.list_cache.pop(category, None)
        self.filter_cache.pop(category, None)

    def _add(self, t):
        f = t.fields
        h, c = f["hash"], f["category"]
        self.torrents[h] = t
        self.by_category.setdefault(c, {})[h] = None
        if c and c not in self.categories:
            self.create_category(c)
        t.touch()
        t.version = self._log(h)
        for url in t.trackers:
            self.tracker_hashes.setdefault(url, {})[h] = None
            self.tracker_version[url] = self.seq
        self.tag_set.update(x for x in f["tags"].split(", ") if x)
        for k in self.speed:
            self.speed[k] += f[k]
        self._invalidate(c)

    def _remove(self, h):
        t = self.torrents.pop(h)
        f = t.fields
        self.by_category[f["category"]].pop(h, None)
        self._log(h)
        for url in t.trackers:
            hs = self.tracker_hashes[url]
            hs.pop(h, None)
            if hs:
                self.tracker_version[url] = self.seq
            else:
                del self.tracker_hashes[url], self.tracker_version[url]
        for k in self.speed:
            self.speed[k] -= f[k]
        self._invalidate(f["category"])
        return t

    def _update(self, t, changes):
        """Applies changes to a torrent (a new fields dict); False when nothing changed."""
        old = t.fields
        if all(same(old[k], v) for k, v in changes.items()):
            return False
        new = dict(old)
        new.update(changes)
        t.fields = new
        t.touch()
        t.version = self._log(new["hash"])
        for k in self.speed:
            if k in changes:
                self.speed[k] += new[k] - old[k]
        for k in self.data:
            if k in changes and new[k] > old[k]:
                self.data[k] += new[k] - old[k]
        self._invalidate(new["category"])
        if old["category"] != new["category"]:
            self._invalidate(old["category"])
        return True

    def create_category(self, name, save_path=None):
        with self.lock:
            if name in self.categories:
                return False
            self.categories[name] = {"name": name, "savePath": save_path or f"/data/torrents/{name}"}
            self.by_category.setdefault(name, {})
            return True

    # --- qBittorrent ---
    def torrent_list(self, category=None, hashes=None, filter_="all", tag=None):
        """torrents/info: category, hashes, filter and tag intersect. The whole list of a category
        and its filtered lists are cached as bytes until a torrent of the category changes."""
        with self.lock:
            match = FILTERS.get(filter_ or "all")
            if hashes is None and tag is None and category is not None:
                if match is None:
                    cached = self.list_cache.get(category)
                    if cached is None:
                        hs = self.by_category.get(category, ())
                        cached = b"[" + b",".join(self.torrents[h].render() for h in hs) + b"]"
                        self.list_cache[category] = cached
                    return cached
                per = self.filter_cache.setdefault(category, {})
                cached = per.get(filter_)
                if cached is None:
                    ts = (self.torrents[h] for h in self.by_category.get(category, ()))
                    cached = b"[" + b",".join(t.render() for t in ts if match(t.fields)) + b"]"
                    per[filter_] = cached
                return cached
            if hashes is not None:
                seen = set()
                ts = []
                for h in hashes:
                    h = h.lower()
                    if h in self.torrents and h not in seen:
                        seen.add(h)
                        ts.append(self.torrents[h])
            elif category is not None:
                ts = [self.torrents[h] for h in self.by_category.get(category, ())]
            else:
                ts = list(self.torrents.values())
            out = []
            for t in ts:
                f = t.fields
                if category is not None and f["category"] != category:
                    continue
                if match is not None and not match(f):
                    continue
                if tag is not None and tag not in f["tags"].split(", "):
                    continue
                out.append(t.render())
            return b"[" + b",".join(out) + b"]"

    def server_state(self):
        dl, ul = self.data["downloaded"], self.data["uploaded"]
        st = {
            "alltime_dl": ALLTIME_DL + dl,
            "alltime_ul": ALLTIME_UL + ul,
            "average_time_queue": 142,
            "connection_status": "connected",
            "dht_nodes": 381,
            "dl_info_data": dl,
            "dl_info_speed": self.speed["dlspeed"],
            "dl_rate_limit": 0,
            "free_space_on_disk": FREE_SPACE - dl,
            "global_ratio": f"{(ALLTIME_UL + ul) / (ALLTIME_DL + dl):.2f}",
            "queued_io_jobs": 0,
            "queueing": True,
            "read_cache_hits": "0",
            "read_cache_overload": "0",
            "refresh_interval": 1500,
            "total_buffers_size": 0,
            "total_peer_connections": 93,
            "total_queued_size": 0,
            "total_wasted_session": 0,
            "up_info_data": ul,
            "up_info_speed": self.speed["upspeed"],
            "up_rate_limit": 0,
            "use_alt_speed_limits": False,
            "use_subcategories": False,
            "write_cache_overload": "0",
        }
        if not self.v4:
            st["last_external_address_v4"] = "203.0.113.7"
            st["last_external_address_v6"] = ""
        return st

    def forget_session(self, sid):
        with self.lock:
            self.sessions.pop(sid, None)

    def maindata(self, sid, rid):
        """sync/maindata for the session SID: (kind, body bytes). As qBittorrent's SyncController:
        the rid of the last response confirms it; a diff is made against the last confirmed
        response; rid 0 or any other rid gets a full update."""
        with self.lock:
            s = self.sessions.get(sid)
            if s is None:
                s = self.sessions[sid] = SyncSession()
            if s.last is not None and rid == s.last.rid:
                s.accepted = s.last
            base = s.accepted if rid > 0 and s.accepted is not None and rid == s.accepted.rid else None
            new_rid = s.next_rid
            s.next_rid += 1
            categories = self.categories
            tags = frozenset(self.tag_set)
            server_state = self.server_state()
            if base is None:
                snap = {h: (t.version, t.fields) for h, t in self.torrents.items()}
                trackers = dict(self.tracker_version)
                items = [
                    ("categories", json_bytes(categories)),
                    ("full_update", b"true"),
                    ("rid", str(new_rid).encode()),
                    ("server_state", json_bytes(server_state)),
                    ("tags", json_bytes(sorted(tags))),
                    ("torrents", b"{" + b",".join(
                        b'"' + h.encode() + b'":' + self.torrents[h].render_without_hash()
                        for h in sorted(self.torrents)) + b"}"),
                    ("trackers", json_bytes({u: list(hs) for u, hs in self.tracker_hashes.items()})),
                ]
                s.last = SyncBase(new_rid, self.seq, snap, dict(categories), tags, trackers, server_state)
                return "sync/maindata full", json_object(items)
            out = {}
            snap = base.torrents
            if self.seq != base.seq:
                if base.seq >= self.log_floor:
                    i = bisect.bisect_right(self.log_seq, base.seq)
                    candidates = set(self.log_hash[i:])
                else:
                    candidates = set(self.torrents) | set(base.torrents)
                changed, removed = {}, []
                snap = dict(snap)
                for h in candidates:
                    t = self.torrents.get(h)
                    old = base.torrents.get(h)
                    if t is None:
                        if old is not None:
                            removed.append(h)
                            del snap[h]
                        continue
                    if old is None:
                        d = dict(t.fields)
                        del d["hash"]
                    elif old[0] != t.version:
                        of = old[1]
                        d = {k: v for k, v in t.fields.items() if k != "hash" and not (k in of and same(of[k], v))}
                    else:
                        continue
                    snap[h] = (t.version, t.fields)
                    if d:
                        changed[h] = d
                if changed:
                    out["torrents"] = changed
                if removed:
                    out["torrents_removed"] = sorted(removed)
            if categories != base.categories:
                c = {k: v for k, v in categories.items() if base.categories.get(k) != v}
                if c:
                    out["categories"] = c
                gone = sorted(k for k in base.categories if k not in categories)
                if gone:
                    out["categories_removed"] = gone
            if tags != base.tags:
                if tags - base.tags:
                    out["tags"] = sorted(tags - base.tags)
                if base.tags - tags:
                    out["tags_removed"] = sorted(base.tags - tags)
            trackers = base.trackers
            if self.tracker_version != base.trackers:
                trackers = dict(self.tracker_version)
                tr = {u: list(self.tracker_hashes[u]) for u, v in trackers.items() if base.trackers.get(u) != v}
                if tr:
                    out["trackers"] = tr
                gone = sorted(u for u in base.trackers if u not in trackers)
                if gone:
                    out["trackers_removed"] = gone
            ss = {k: v for k, v in server_state.items() if not same(base.server_state.get(k), v)}
            if ss:
                out["server_state"] = ss
            kind = "sync/maindata diff" if out else "sync/maindata unchanged"
            out["rid"] = new_rid
            s.last = SyncBase(new_rid, self.seq, snap, dict(categories), tags, trackers, server_state)
            return kind, json_bytes(out)

    def each(self, hashes):
        if hashes == ["all"]:
            yield from list(self.torrents.values())
            return
        for h in hashes:
            t = self.torrents.get(h.lower())
            if t is not None:
                yield t

    def set_state(self, hashes, fn):
        with self.lock:
            for t in list(self.each(hashes)):
                new = fn(t.fields)
                if new and new != t.fields["state"]:
                    self._update(t, {"state": new})

    def delete(self, hashes):
        with self.lock:
            for t in list(self.each(hashes)):
                self._remove(t.fields["hash"])

    def tags(self, hashes, tags, add):
        with self.lock:
            if add:
                self.tag_set.update(tags)
            for t in list(self.each(hashes)):
                cur = {x.strip() for x in t.fields["tags"].split(",") if x.strip()}
                new = cur | set(tags) if add else cur - set(tags)
                if new != cur:
                    self._update(t, {"tags": ", ".join(sorted(new))})

    def set_fields(self, hashes, fields):
        """Rate limits and super-seeding, as setUploadLimit/setDownloadLimit/setSuperSeeding."""
        with self.lock:
            for t in list(self.each(hashes)):
                changed = {k: v for k, v in fields.items() if t.fields.get(k) != v}
                if changed:
                    self._update(t, changed)

    def create_tags(self, tags):
        with self.lock:
            self.tag_set.update(tags)

    def delete_tags(self, tags):
        with self.lock:
            gone = set(tags) & self.tag_set
            if not gone:
                return
            self.tag_set -= gone
            for t in list(self.torrents.values()):
                cur = {x for x in t.fields["tags"].split(", ") if x}
                if cur & gone:
                    self._update(t, {"tags": ", ".join(sorted(cur - gone))})

    def set_category(self, hashes, category):
        """Lenient: a category that does not exist is created (qBittorrent answers 409)."""
        with self.lock:
            if category and category not in self.categories:
                self.create_category(category)
            for t in list(self.each(hashes)):
                old = t.fields["category"]
                if old == category:
                    continue
                h = t.fields["hash"]
                self.by_category[old].pop(h, None)
                self.by_category.setdefault(category, {})[h] = None
                save_path = self.categories[category]["savePath"] if category else "/data/torrents"
                self._update(t, {"category": category, "save_path": save_path})

    def remove_categories(self, names):
        """The torrents of a removed category become uncategorized, as in qBittorrent."""
        with self.lock:
            for name in names:
                if name not in self.categories:
                    continue
                self.set_category(list(self.by_category.get(name, ())), "")
                del self.categories[name]

    def trackers_of(self, h):
        with self.lock:
            t = self.torrents.get(h.lower())
            return None if t is None else t.trackers

    # --- churn ---
    def churn_step(self, rng, pct, acc):
        """One second of churn: pct % of each Arr category's torrents per minute. Returns what it did."""
        now = int(time.time())
        done_ = Counter()
        with self.lock:
            for a in self.arrs:
                c = a["category"]
                hs = self.by_category.get(c, {})
                acc[c] = acc.get(c, 0.0) + len(hs) * pct / 100 / 60
                k = min(int(acc[c]), CHURN_MAX_STEP)
                acc[c] -= k
                if k == 0:
                    continue
                dl, seed, every = [], [], list(hs)
                for h in every:
                    f = self.torrents[h].fields
                    if f["state"] in ("downloading", "forcedDL", "stalledDL") and f["size"] > 0:
                        dl.append(h)
                    elif f["state"] in ("uploading", "stalledUP", "forcedUP"):
                        seed.append(h)
                for _ in range(k):
                    r = rng.random()
                    if r < 0.02 and every:
                        h = every.pop(rng.randrange(len(every)))
                        if h in self.torrents:
                            self._churn_replace(rng, a, h, now)
                            done_["replaced"] += 1
                    elif r < 0.62 and dl:
                        h = dl[rng.randrange(len(dl))]
                        if h in self.torrents:
                            done = self._churn_progress(rng, a, self.torrents[h], now)
                            done_["completed" if done else "progressed"] += 1
                            if done:
                                dl.remove(h)
                    elif seed:
                        h = seed[rng.randrange(len(seed))]
                        if h in self.torrents:
                            self._churn_seed(rng, self.torrents[h], now)
                            done_["seeded"] += 1
        return done_

    def _queue_update(self, a, h, **values):
        did = h.upper()
        hit = False
        for r in a["rows"]:
            if r["downloadId"] == did:
                r.update(values)
                hit = True
        if hit:
            a["page_cache"].clear()

    def _churn_progress(self, rng, a, t, now):
        f = t.fields
        size = f["size"]
        progress = round(min(1.0, f["progress"] + rng.uniform(0.02, 0.3)), 4)
        if progress >= 1.0 or rng.random() < 0.05:
            forced = f["state"] == "forcedDL"
            self._update(t, {
                "amount_left": 0, "availability": -1, "completed": size, "completion_on": now,
                "dlspeed": 0, "downloaded": size,
                "downloaded_session": f["downloaded_session"] + size - f["completed"], "eta": 8640000,
                "last_activity": now, "priority": 0, "progress": 1.0, "seen_complete": now,
                "state": "forcedUP" if forced else rng.choice(["uploading", "stalledUP"]),
            })
            self._queue_update(a, f["hash"], sizeleft=0.0, status="completed",
                               trackedDownloadState="importPending", timeleft="00:00:00")
            return True
        left = int(size * (1 - progress))
        speed = rng.randint(100_000, 50 << 20)
        self._update(t, {
            "amount_left": left, "completed": size - left, "dlspeed": speed, "downloaded": size - left,
            "downloaded_session": f["downloaded_session"] + (size - left) - f["completed"],
            "eta": max(1, left // speed), "last_activity": now, "progress": progress,
            "state": "forcedDL" if f["state"] == "forcedDL" else "downloading",
        })
        self._queue_update(a, f["hash"], sizeleft=float(left))
        return False

    def _churn_seed(self, rng, t, now):
        f = t.fields
        up = rng.randint(1 << 20, 2 << 30)
        uploaded = f["uploaded"] + up
        stall = rng.random() < 0.25
        state = f["state"]
        if state != "forcedUP":
            state = "stalledUP" if stall else "uploading"
        self._update(t, {
            "last_activity": now, "ratio": round(uploaded / max(1, f["downloaded"]), 3),
            "state": state, "uploaded": uploaded, "uploaded_session": f["uploaded_session"] + up,
            "upspeed": 0 if stall else rng.randint(10_000, 10 << 20),
        })

    def _churn_replace(self, rng, a, h, now):
        """A torrent goes away (and its queue rows with it); a new download joins the category."""
        self._remove(h)
        did = h.upper()
        if any(r["downloadId"] == did for r in a["rows"]):
            a["rows"] = [r for r in a["rows"] if r["downloadId"] != did]
            a["page_cache"].clear()
        c = a["category"]
        i = self.next_index[c]
        self.next_index[c] = i + 1
        state = "metaDL" if rng.random() < 0.1 else "downloading"
        t = make_torrent(rng, i, c, self.v4, 0.0, state)
        added = now - rng.randint(0, 30)
        t.fields.update(added_on=added, last_activity=now, seen_complete=now, time_active=now - added)
        self._add(t)
        new = queue_rows(a["kind"], self.arr_of[c], t, a["next_id"])
        a["next_id"] += len(new)
        a["rows"].extend(new)
        a["page_cache"].clear()

    # --- Arr ---
    def queue_page(self, arr, page, size):
        with self.lock:
            a = self.arrs[arr]
            rows = a["rows"]
            last = max(1, (len(rows) + size - 1) // size)
            page = min(max(page, 1), last)  # the Arrs answer a too-high page with the last page
            key = (page, size)
            cached = a["page_cache"].get(key)
            if cached is None:
                body = {
                    "page": page,
                    "pageSize": size,
                    "sortKey": "timeleft",
                    "sortDirection": "ascending",
                    "totalRecords": len(rows),
                    "records": rows[(page - 1) * size: page * size],
                }
                cached = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
                a["page_cache"][key] = cached
            return cached

    def queue_delete(self, arr, qid):
        with self.lock:
            a = self.arrs[arr]
            before = len(a["rows"])
            a["rows"] = [r for r in a["rows"] if r["id"] != qid]
            a["page_cache"].clear()
            return len(a["rows"]) != before

    def imported(self, arr, download_id):
        with self.lock:
            a = self.arrs[arr]
            did = (download_id or "").upper()
            a["rows"] = [r for r in a["rows"] if r["downloadId"] != did]
            a["page_cache"].clear()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake"
    sys_version = ""
    stat_key = None  # the request's key in Stats.requests, for its bytes
    stat_kind = None

    def setup(self):
        super().setup()
        # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK would add 40 ms to every small answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def body_params(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return raw, {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace"), keep_blank_values=True).items()}

    def send(self, status, body=b"", ctype="application/json", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)
        if self.stat_key is not None:
            self.server.stats.sent(self.stat_key, self.stat_kind, len(body))


def cookie(headers, name):
    for part in (headers.get("Cookie") or "").split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


class QbitHandler(Handler):
    def handle_any(self, method):
        self.stat_key = self.stat_kind = None
        url = urlsplit(self.path)
        path = url.path
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw, form = self.body_params() if method == "POST" else (b"", {})
        srv = self.server
        world = srv.world
        if path == "/_bench/stats":
            return self.send(200, json.dumps(srv.stats.snapshot()))
        if path == "/_bench/churn":
            p = {**q, **form}
            state = srv.churn.set(float(p["pct"]) if "pct" in p else None,
                                  p["run"] not in ("0", "false", "") if "run" in p else None)
            return self.send(200, json.dumps(state))
        if path.startswith("/_bench/"):
            return self.send(404)
        params = form if method == "POST" else q
        short = path[len("/api/v2/"):] if path.startswith("/api/v2/") else path
        list_key = None
        if short == "torrents/info":
            kind = info_kind(params)
            if "hashes" not in params and params.get("category") is not None:
                f = params.get("filter", "all") or "all"
                list_key = params["category"] if f == "all" and "tag" not in params else (
                    f"{params['category']} filter={f}")
        elif short == "sync/maindata":
            kind = None  # full, diff or unchanged: counted once answered
        else:
            kind = f"{method} {short}"
        read = short in ("torrents/info", "sync/maindata")
        self.stat_key = srv.stats.hit("qbit", method, path, list_key, kind, read)
        self.stat_kind = kind
        if path == "/api/v2/auth/login":
            if method != "POST":
                return self.send(405)
            if form.get("username") == srv.user and form.get("password") == srv.password:
                if cookie(self.headers, "SID") in srv.sids:
                    return self.send(200, "Ok.", "text/plain; charset=UTF-8")  # already logged in
                sid = srv.new_sid()
                return self.send(200, "Ok.", "text/plain; charset=UTF-8",
                                 [("Set-Cookie", f"SID={sid}; HttpOnly; SameSite=Strict; path=/")])
            return self.send(200, "Fails.", "text/plain; charset=UTF-8")
        sid = cookie(self.headers, "SID")
        if sid not in srv.sids:
            return self.send(403, "Forbidden", "text/plain; charset=UTF-8")
        hashes = [h for h in params.get("hashes", "").split("|") if h]
        v4 = world.v4
        if path == "/api/v2/app/version":
            return self.send(200, "v4.5.5" if v4 else "v5.0.4", "text/plain; charset=UTF-8")
        if path == "/api/v2/app/webapiVersion":
            return self.send(200, "2.8.19" if v4 else "2.11.2", "text/plain; charset=UTF-8")
        if path == "/api/v2/torrents/info":
            return self.send(200, world.torrent_list(
                category=params.get("category"), hashes=hashes if "hashes" in params else None,
                filter_=params.get("filter", "all"), tag=params.get("tag")))
        if path == "/api/v2/sync/maindata":
            try:
                rid = int(params.get("rid", "0"))
            except ValueError:
                rid = 0
            kind, body = world.maindata(sid, rid)
            self.stat_kind = kind
            with srv.stats.lock:
                srv.stats.kinds[kind] += 1
            return self.send(200, body)
        if path == "/api/v2/torrents/categories":
            with world.lock:
                return self.send(200, json_bytes(world.categories))
        if path == "/api/v2/torrents/tags":
            with world.lock:
                return self.send(200, json_bytes(sorted(world.tag_set)))
        if path in ("/api/v2/torrents/files", "/api/v2/torrents/trackers"):
            h = params.get("hash", "").lower()
            with world.lock:
                t = world.torrents.get(h)
                f = t.fields if t is not None else None
            if t is None:
                return self.send(404, "Not Found", "text/plain")
            if path.endswith("files"):
                return self.send(200, json.dumps([{"index": 0, "name": f["name"] + ".mkv", "size": f["size"],
                                                   "progress": f["progress"], "priority": 1,
                                                   "is_seed": f["progress"] >= 1, "piece_range": [0, 100],
                                                   "availability": 1}]))
            return self.send(200, json.dumps([{"url": u, "status": 2, "tier": 0, "num_peers": 3, "num_seeds": 1,
                                               "num_leeches": 2, "num_downloaded": 9, "msg": ""}
                                              for u in t.trackers]))
        if method != "POST":
            return self.send(404, "Not Found", "text/plain")
        running = lambda f: "downloading" if f["amount_left"] > 0 else "uploading"  # noqa: E731
        stopped = lambda f: ("pausedDL" if v4 else "stoppedDL") if f["amount_left"] > 0 else (  # noqa: E731
            "pausedUP" if v4 else "stoppedUP")
        if path == "/api/v2/torrents/delete":
            world.delete(hashes)
        elif path in ("/api/v2/torrents/start", "/api/v2/torrents/resume"):
            if (path.endswith("start")) == v4:
                return self.send(404, "Not Found", "text/plain")
            world.set_state(hashes, running)
        elif path in ("/api/v2/torrents/stop", "/api/v2/torrents/pause"):
            if (path.endswith("stop")) == v4:
                return self.send(404, "Not Found", "text/plain")
            world.set_state(hashes, stopped)
        elif path == "/api/v2/torrents/recheck":
            world.set_state(hashes, lambda f: "checkingDL" if f["amount_left"] > 0 else "checkingUP")
        elif path in ("/api/v2/torrents/addTags", "/api/v2/torrents/removeTags"):
            tags = [t.strip() for t in form.get("tags", "").split(",") if t.strip()]
            world.tags(hashes, tags, path.endswith("addTags"))
        elif path in ("/api/v2/torrents/setUploadLimit", "/api/v2/torrents/setDownloadLimit"):
            try:
                limit = int(form.get("limit", ""))
            except ValueError:
                return self.send(400, "Bad Request", "text/plain")
            key = "up_limit" if "Upload" in path else "dl_limit"
            world.set_fields(hashes, {key: limit if limit > 0 else -1})
        elif path == "/api/v2/torrents/setSuperSeeding":
            world.set_fields(hashes, {"super_seeding": form.get("value") == "true"})
        elif path in ("/api/v2/torrents/createTags", "/api/v2/torrents/deleteTags"):
            tags = [t.strip() for t in form.get("tags", "").split(",") if t.strip()]
            (world.create_tags if path.endswith("createTags") else world.delete_tags)(tags)
        elif path == "/api/v2/torrents/setCategory":
            world.set_category(hashes, form.get("category", ""))
        elif path == "/api/v2/torrents/createCategory":
            name = form.get("category", "")
            if not name:
                return self.send(400, "Bad Request", "text/plain")
            if not world.create_category(name, form.get("savePath") or None):
                return self.send(409, "Conflict", "text/plain")
        elif path == "/api/v2/torrents/removeCategories":
            world.remove_categories([c for c in form.get("categories", "").split("\n") if c])
        else:
            return self.send(404, "Not Found", "text/plain")
        return self.send(200, b"", "text/plain")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


def wanted_record(kind, i):
    """Wanted item i (`wanted/missing`), shaped like the Arr's resource, about as large: an
    episode of series i // 20 on Sonarr, else a movie, album or book. Generated per page, so a
    50,000-item library costs the fake nothing to hold."""
    year = 2000 + i % 26
    date = f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}T20:00:00Z"
    overview = ("A generated overview of about the length the Arrs send, so that pages weigh "
                "what real ones do. ") * 3
    if kind == "sonarr":
        return {"id": i + 1, "seriesId": i // 20 + 1, "tvdbId": 100000 + i, "episodeFileId": 0,
                "seasonNumber": i // 10 % 5 + 1, "episodeNumber": i % 10 + 1,
                "title": f"Episode {i + 1}", "airDate": date[:10], "airDateUtc": date,
                "lastSearchTime": None, "runtime": 42, "overview": overview, "hasFile": False,
                "monitored": True, "unverifiedSceneNumbering": False, "grabbed": False}
    if kind == "radarr":
        return {"id": i + 1, "title": f"Movie {i + 1}", "originalTitle": f"Movie {i + 1}",
                "sortTitle": f"movie {i + 1}", "year": year, "releaseDate": date,
                "digitalRelease": date, "overview": overview, "hasFile": False, "monitored": True,
                "isAvailable": True, "qualityProfileId": 1, "tmdbId": 100000 + i,
                "path": f"/movies/Movie {i + 1} ({year})", "genres": ["Drama"], "tags": []}
    parent = "artistId" if kind == "lidarr" else "authorId"
    return {"id": i + 1, "title": f"Title {i + 1}", parent: i // 20 + 1, "monitored": True,
            "releaseDate": date, "overview": overview, "genres": []}


def profiled_record(kind, i, profile):
    """Library item i carrying a quality profile (a movie on Radarr, a series on Sonarr), shaped
    and sized like the Arr's resource; every other one lacks files."""
    missing = i % 2 == 0
    overview = ("A generated overview of about the length the Arrs send, so that pages weigh "
                "what real ones do. ") * 3
    if kind == "sonarr":
        return {"id": i + 1, "title": f"Series {i + 1}", "sortTitle": f"series {i + 1}",
                "tvdbId": 200000 + i, "overview": overview, "qualityProfileId": profile,
                "monitored": True, "seasonFolder": True, "seriesType": "standard",
                "path": f"/tv/Series {i + 1}", "genres": ["Drama"], "tags": [],
                "statistics": {"seasonCount": 3, "episodeFileCount": 20 if missing else 30,
                               "episodeCount": 30, "totalEpisodeCount": 30,
                               "sizeOnDisk": 10 ** 10, "percentOfEpisodes": 66.7 if missing else 100.0}}
    year = 2000 + i % 26
    return {"id": i + 1, "title": f"Movie {i + 1}", "originalTitle": f"Movie {i + 1}",
            "sortTitle": f"movie {i + 1}", "year": year, "overview": overview,
            "hasFile": not missing, "monitored": True, "isAvailable": True,
            "qualityProfileId": profile, "tmdbId": 100000 + i,
            "path": f"/movies/Movie {i + 1} ({year})", "genres": ["Drama"], "tags": []}


class ArrHandler(Handler):
    def handle_any(self, method):
        url = urlsplit(self.path)
        srv = self.server
        idx = srv.arr_index
        kind = srv.world.arrs[idx]["kind"]
        api = KIND_API[kind]
        path = url.path
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        # Count by route, not by id.
        route = path
        if path.startswith(api + "/queue/"):
            route = api + "/queue/{id}"
        elif path.startswith(api + "/command/"):
            route = api + "/command/{id}"
        self.stat_key, self.stat_kind = srv.stats.hit(f"arr{idx}", method, route), None
        if self.headers.get("X-Api-Key") != srv.api_key and q.get("apikey") != srv.api_key:
            return self.send(401)
        if not path.startswith(api + "/"):
            return self.send(404)
        sub = path[len(api):]
        if sub == "/system/status" and method == "GET":
            return self.send(200, json.dumps({"appName": kind.capitalize(), "version": "5.14.0.9383",
                                              "instanceName": kind.capitalize()}))
        if sub == "/queue" and method == "GET":
            page = int(q.get("page", "1"))
            size = int(q.get("pageSize", "10"))
            return self.send(200, srv.world.queue_page(idx, page, size))
        if sub.startswith("/queue/") and method == "DELETE":
            try:
                qid = int(sub.split("/")[2])
            except ValueError:
                return self.send(404)
            return self.send(200 if srv.world.queue_delete(idx, qid) else 404)
        if sub == "/command" and method == "POST":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self.send(400)
            name = body.get("name", "")
            if name == SCAN[kind]:
                srv.world.imported(idx, body.get("downloadClientId"))
            with srv.stats.lock:
                srv.world.arrs[idx]["commands"] += 1
                cid = srv.world.arrs[idx]["commands"]
            answer = {"id": cid, "name": name, "commandName": name, "status": "queued",
                      "queued": "2025-01-01T00:00:00Z", "trigger": "manual", "body": body}
            return self.send(201, json.dumps(answer), headers=[("Location", f"{api}/command/{cid}")])
        if sub.startswith("/command/") and method == "GET":
            return self.send(200, json.dumps({"id": 1, "status": "completed"}))
        if sub == "/command" and method == "GET":
            return self.send(200, "[]")
        owners = "/series" if kind == "sonarr" else "/movie"
        if sub == owners and method == "GET" and not q:
            with srv.stats.lock:
                profiles = dict(srv.profiles)
            items = (json.dumps(profiled_record(kind, i, profiles.get(i + 1, 1))) for i in range(srv.library))
            return self.send(200, "[" + ",".join(items) + "]")
        if sub == "/qualityprofile" and method == "GET":
            return self.send(200, json.dumps([
                {"id": 1, "name": "HD", "upgradeAllowed": True, "cutoff": 7, "items": [],
                 "minFormatScore": 0, "cutoffFormatScore": 0, "formatItems": []},
                {"id": 2, "name": "SD", "upgradeAllowed": True, "cutoff": 1, "items": [],
                 "minFormatScore": 0, "cutoffFormatScore": 0, "formatItems": []}]))
        if sub == owners + "/editor" and method == "PUT":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self.send(400)
            field = "seriesIds" if kind == "sonarr" else "movieIds"
            with srv.stats.lock:
                for item in body.get(field) or []:
                    srv.profiles[item] = body.get("qualityProfileId")
            return self.send(202, "[]")
        if sub in ("/wanted/missing", "/wanted/cutoff") and method == "GET":
            monitored = q.get("monitored", "true").lower() == "true"
            total = srv.wanted if sub.endswith("missing") and monitored else 0
            page = max(1, int(q.get("page", "1")))
            size = max(1, min(int(q.get("pageSize", "10")), 1000))
            first = (page - 1) * size
            records = [wanted_record(kind, i) for i in range(first, min(first + size, total))]
            return self.send(200, json.dumps({"page": page, "pageSize": size, "sortKey": None,
                                              "sortDirection": "default", "totalRecords": total,
                                              "records": records}))
        return self.send(404 if method in ("GET", "POST", "DELETE", "PUT") else 405)

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class QbitServer(Server):
    """The fake qBittorrent: a new SID per login (each its own sync/maindata session)."""

    def __init__(self, addr, world, stats, user, password, seed):
        super().__init__(addr, QbitHandler)
        self.world, self.stats, self.user, self.password = world, stats, user, password
        self.seed = seed
        self.sids = OrderedDict()
        self.sid_lock = threading.Lock()
        self.logins = 0
        self.churn = None

    def new_sid(self):
        with self.sid_lock:
            self.logins += 1
            sid = hashlib.sha1(f"sid/{self.seed}/{self.logins}".encode()).hexdigest()[:32]
            self.sids[sid] = None
            while len(self.sids) > SESSIONS_MAX:
                old, _ = self.sids.popitem(last=False)
                self.world.forget_session(old)
            return sid


class Churn(threading.Thread):
    """Applies --churn once a second, from its own seeded RNG."""

    def __init__(self, world, stats, pct, seed, running):
        super().__init__(daemon=True)
        self.world, self.stats = world, stats
        self.pct = pct
        self.running = running
        self.rng = random.Random(seed * 7919 + 17)
        self.acc = {}
        self.gate = threading.Lock()  # held during a step: a pause takes effect before it returns

    def set(self, pct=None, running=None):
        with self.gate:
            if pct is not None:
                self.pct = pct
            if running is not None:
                self.running = running
            return {"pct": self.pct, "running": self.running}

    def run(self):
        due = time.monotonic()
        while True:
            due += 1.0
            time.sleep(max(0.0, due - time.monotonic()))
            with self.gate:
                if not (self.running and self.pct > 0):
                    continue
                done = self.world.churn_step(self.rng, self.pct, self.acc)
            with self.stats.lock:
                self.stats.churn.update(done)
                self.stats.churn["steps"] += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torrents", type=int, default=1000, help="torrents per Arr category")
    ap.add_argument("--arrs", default="radarr:radarr-1", help="comma list of kind:category")
    ap.add_argument("--qbit", choices=["4.5", "5.0"], default="5.0")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--wanted", type=int, default=0,
                    help="items in each Arr's wanted/missing list (0: an empty list)")
    ap.add_argument("--library", type=int, default=0,
                    help="movies (Radarr) or series (Sonarr) carrying a quality profile, every other one missing")
    ap.add_argument("--complete-share", type=float, default=0.85)
    ap.add_argument("--qbit-port", type=int, default=0)
    ap.add_argument("--api-key", default="benchkey0123456789abcdef01234567")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="adminadmin")
    ap.add_argument("--churn", type=float, default=0.0, metavar="PCT",
                    help="percent of each category's torrents changed per minute (in one-second steps)")
    ap.add_argument("--churn-paused", action="store_true",
                    help="churn only after POST /_bench/churn?run=1 (e.g. once a warm-up is over)")
    args = ap.parse_args()
    arrs = [tuple(a.split(":", 1)) for a in args.arrs.split(",") if a]
    for kind, _ in arrs:
        if kind not in KIND_API:
            ap.error(f"unknown Arr kind {kind}")
    world = World(arrs, args.torrents, args.seed, args.qbit == "4.5", args.complete_share)
    stats = Stats()
    servers = []
    q = QbitServer(("127.0.0.1", args.qbit_port), world, stats, args.user, args.password, args.seed)
    q.churn = Churn(world, stats, args.churn, args.seed, not args.churn_paused)
    servers.append(q)
    for i in range(len(arrs)):
        s = Server(("127.0.0.1", 0), ArrHandler)
        s.world, s.stats, s.arr_index, s.api_key = world, stats, i, args.api_key
        s.wanted = args.wanted
        s.library, s.profiles = args.library, {}
        servers.append(s)
    # Render every payload once before announcing readiness.
    for _, category in arrs:
        world.torrent_list(category=category)
    for i in range(len(arrs)):
        world.queue_page(i, 1, 500)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    q.churn.start()
    sizes = {c: len(world.torrent_list(category=c)) for _, c in arrs}
    queue = [len(a["rows"]) for a in world.arrs]
    print(json.dumps({"qbit": q.server_address[1], "arrs": [s.server_address[1] for s in servers[1:]],
                      "list_bytes": sizes, "queue_rows": queue}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
