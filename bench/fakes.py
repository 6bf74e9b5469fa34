#!/usr/bin/env python3
"""Fake qBittorrent (WebUI API v2) and fake Radarr/Sonarr/Lidarr/Readarr servers
for the footprint benchmark. Loopback only, Python 3 standard library only.

One process serves one qBittorrent and K Arr instances, each on its own port
(port 0 = pick a free one). Every Arr owns one qBittorrent category holding N
generated torrents with every field qBittorrent 5.0 (or 4.5 with --qbit 4.5)
sends in `torrents/info`: mixed states, long names, many tags, magnet URIs
with trackers. The Arr queue lists each download that is not imported yet,
with the fields the Arr APIs send, paged like the real thing.

Payloads are rendered once; an action the daemon sends (delete, start/stop,
recheck, tags, category, import, queue delete) changes the torrent as
qBittorrent/the Arr would and re-renders only what it touched, so a pass over
unchanged torrents costs the fake a single write of cached bytes.

When listening, one JSON line goes to stdout: {"qbit": port, "arrs": [ports]}.
`GET /_bench/stats` on the qBittorrent port returns request counts per server
and path, torrents/info calls per category, bytes served and the CLOCK_MONOTONIC
time of each first request (comparable with time.monotonic() in the runner).
"""

import argparse
import hashlib
import json
import random
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

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
    __slots__ = ("fields", "fragment")

    def __init__(self, fields):
        self.fields = fields
        self.fragment = None

    def render(self):
        if self.fragment is None:
            self.fragment = json.dumps(self.fields, ensure_ascii=False, separators=(",", ":")).encode()
        return self.fragment

    def touch(self):
        self.fragment = None


def make_torrent(rng, index, category, v4, complete_share):
    h = hashlib.sha1(f"{category}/{index}".encode()).hexdigest()
    name = torrent_name(rng, index)
    complete = rng.random() < complete_share
    state = pick(rng, COMPLETE_STATES if complete else INCOMPLETE_STATES, v4)
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
    return Torrent(f)


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
        self.per_server = Counter()
        self.lists = Counter()  # torrents/info per category
        self.first = {}  # key -> monotonic time of first occurrence
        self.last = {}  # "list <category>" -> monotonic time of the latest one
        self.bytes_out = 0

    def hit(self, server, method, path, extra_key=None):
        now = time.monotonic()
        with self.lock:
            key = f"{server} {method} {path}"
            self.requests[key] += 1
            self.per_server[server] += 1
            self.first.setdefault(key, now)
            if extra_key is not None:
                self.lists[extra_key] += 1
                self.first.setdefault("list " + extra_key, now)
                self.last["list " + extra_key] = now

    def mark(self, key):
        with self.lock:
            self.first.setdefault(key, time.monotonic())

    def snapshot(self):
        with self.lock:
            return {
                "now": time.monotonic(),
                "requests": dict(self.requests),
                "per_server": dict(self.per_server),
                "lists": dict(self.lists),
                "first": dict(self.first),
                "last": dict(self.last),
                "bytes_out": self.bytes_out,
            }


class World:
    """The torrents and queues the fakes serve, with cached renderings."""

    def __init__(self, arrs, n, seed, v4, complete_share):
        self.lock = threading.RLock()
        self.v4 = v4
        self.torrents = {}  # hash -> Torrent
        self.by_category = {}  # category -> list of hashes (ordered)
        self.list_cache = {}  # category -> bytes
        self.arrs = []
        for i, (kind, category) in enumerate(arrs):
            rng = random.Random(seed * 1000 + i)
            hashes = []
            for j in range(n):
                t = make_torrent(rng, j, category, v4, complete_share)
                self.torrents[t.fields["hash"]] = t
                hashes.append(t.fields["hash"])
            self.by_category[category] = hashes
            rows, next_id = [], 1
            for h in hashes:
                t = self.torrents[h]
                if IMPORTED in t.fields["tags"]:
                    continue
                new = queue_rows(kind, i, t, next_id)
                next_id += len(new)
                rows.extend(new)
            self.arrs.append({"kind": kind, "category": category, "rows": rows, "page_cache": {},
                              "commands": 0})
        for special in ("failed", "recheck"):
            self.by_category.setdefault(special, [])

    # --- qBittorrent ---
    def torrent_list(self, category=None, hashes=None):
        with self.lock:
            if hashes is not None:
                wanted = [h for h in hashes if h in self.torrents]
                return b"[" + b",".join(self.torrents[h].render() for h in wanted) + b"]"
            if category is None:
                wanted = list(self.torrents)
                return b"[" + b",".join(self.torrents[h].render() for h in wanted) + b"]"
            cached = self.list_cache.get(category)
            if cached is None:
                hs = self.by_category.get(category, [])
                cached = b"[" + b",".join(self.torrents[h].render() for h in hs) + b"]"
                self.list_cache[category] = cached
            return cached

    def _changed(self, t):
        t.touch()
        self.list_cache.pop(t.fields["category"], None)

    def each(self, hashes):
        for h in hashes:
            t = self.torrents.get(h.lower())
            if t is not None:
                yield t

    def set_state(self, hashes, fn):
        with self.lock:
            for t in self.each(hashes):
                new = fn(t.fields)
                if new and new != t.fields["state"]:
                    t.fields["state"] = new
                    self._changed(t)

    def delete(self, hashes):
        with self.lock:
            for t in list(self.each(hashes)):
                h, c = t.fields["hash"], t.fields["category"]
                del self.torrents[h]
                self.by_category[c] = [x for x in self.by_category[c] if x != h]
                self.list_cache.pop(c, None)

    def tags(self, hashes, tags, add):
        with self.lock:
            for t in self.each(hashes):
                cur = {x.strip() for x in t.fields["tags"].split(",") if x.strip()}
                new = cur | set(tags) if add else cur - set(tags)
                if new != cur:
                    t.fields["tags"] = ", ".join(sorted(new))
                    self._changed(t)

    def set_category(self, hashes, category):
        with self.lock:
            for t in list(self.each(hashes)):
                old = t.fields["category"]
                if old == category:
                    continue
                h = t.fields["hash"]
                self.by_category[old] = [x for x in self.by_category[old] if x != h]
                self.by_category.setdefault(category, []).append(h)
                self.list_cache.pop(old, None)
                t.fields["category"] = category
                self._changed(t)

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
        return raw, {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}

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
        stats = self.server.stats
        with stats.lock:
            stats.bytes_out += len(body)


class QbitHandler(Handler):
    def handle_any(self, method):
        url = urlsplit(self.path)
        path = url.path
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        raw, form = self.body_params() if method == "POST" else (b"", {})
        srv = self.server
        if path == "/_bench/stats":
            return self.send(200, json.dumps(srv.stats.snapshot()))
        if path.startswith("/_bench/"):
            return self.send(404)
        category = q.get("category") if path == "/api/v2/torrents/info" and "hashes" not in q else None
        srv.stats.hit("qbit", method, path, category)
        world = srv.world
        if path == "/api/v2/auth/login":
            if method != "POST":
                return self.send(405)
            if form.get("username") == srv.user and form.get("password") == srv.password:
                return self.send(200, "Ok.", "text/plain; charset=UTF-8",
                                 [("Set-Cookie", f"SID={srv.sid}; HttpOnly; SameSite=Strict; path=/")])
            return self.send(200, "Fails.", "text/plain; charset=UTF-8")
        if f"SID={srv.sid}" not in (self.headers.get("Cookie") or ""):
            return self.send(403, "Forbidden", "text/plain; charset=UTF-8")
        params = form if method == "POST" else q
        hashes = [h for h in params.get("hashes", "").split("|") if h]
        v4 = world.v4
        if path == "/api/v2/app/version":
            return self.send(200, "v4.5.5" if v4 else "v5.0.4", "text/plain; charset=UTF-8")
        if path == "/api/v2/app/webapiVersion":
            return self.send(200, "2.8.19" if v4 else "2.11.2", "text/plain; charset=UTF-8")
        if path == "/api/v2/torrents/info":
            if "hashes" in q:
                return self.send(200, world.torrent_list(hashes=hashes))
            return self.send(200, world.torrent_list(category=q.get("category")))
        if path in ("/api/v2/torrents/files", "/api/v2/torrents/trackers"):
            h = q.get("hash", "")
            if h.lower() not in world.torrents:
                return self.send(404, "Not Found", "text/plain")
            if path.endswith("files"):
                t = world.torrents[h.lower()].fields
                return self.send(200, json.dumps([{"index": 0, "name": t["name"] + ".mkv", "size": t["size"],
                                                   "progress": t["progress"], "priority": 1,
                                                   "is_seed": t["progress"] >= 1, "piece_range": [0, 100],
                                                   "availability": 1}]))
            return self.send(200, json.dumps([{"url": u, "status": 2, "tier": 0, "num_peers": 3, "num_seeds": 1,
                                               "num_leeches": 2, "num_downloaded": 9, "msg": ""}
                                              for u in TRACKERS[:3]]))
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
        elif path == "/api/v2/torrents/setCategory":
            world.set_category(hashes, form.get("category", ""))
        elif path == "/api/v2/torrents/createCategory":
            pass
        else:
            return self.send(404, "Not Found", "text/plain")
        return self.send(200, b"", "text/plain")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


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
        srv.stats.hit(f"arr{idx}", method, route)
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
        return self.send(404 if method in ("GET", "POST", "DELETE") else 405)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torrents", type=int, default=1000, help="torrents per Arr category")
    ap.add_argument("--arrs", default="radarr:radarr-1", help="comma list of kind:category")
    ap.add_argument("--qbit", choices=["4.5", "5.0"], default="5.0")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--complete-share", type=float, default=0.85)
    ap.add_argument("--qbit-port", type=int, default=0)
    ap.add_argument("--api-key", default="benchkey0123456789abcdef01234567")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="adminadmin")
    args = ap.parse_args()
    arrs = [tuple(a.split(":", 1)) for a in args.arrs.split(",") if a]
    for kind, _ in arrs:
        if kind not in KIND_API:
            ap.error(f"unknown Arr kind {kind}")
    world = World(arrs, args.torrents, args.seed, args.qbit == "4.5", args.complete_share)
    stats = Stats()
    servers = []
    q = Server(("127.0.0.1", args.qbit_port), QbitHandler)
    q.world, q.stats, q.user, q.password = world, stats, args.user, args.password
    q.sid = hashlib.sha1(str(random.random()).encode()).hexdigest()[:32]
    servers.append(q)
    for i in range(len(arrs)):
        s = Server(("127.0.0.1", 0), ArrHandler)
        s.world, s.stats, s.arr_index, s.api_key = world, stats, i, args.api_key
        servers.append(s)
    # Render every payload once before announcing readiness.
    for _, category in arrs:
        world.torrent_list(category=category)
    for i in range(len(arrs)):
        world.queue_page(i, 1, 500)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
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
