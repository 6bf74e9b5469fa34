#!/usr/bin/env python3
"""Self-test of bench/fakes.py's qBittorrent: sync/maindata against torrents/info, the
torrents/info filters, the per-kind stats, and what an unchanged maindata poll costs.

    python3 bench/test_fakes.py            # about a minute; exit status 1 on a failure

Starts the fakes on an ephemeral 127.0.0.1 port (2 categories x 3,000 torrents, --churn 10),
logs in, and polls sync/maindata while merging the answers as a client does (a full update
replaces the view, a torrent's partial object is merged field by field, *_removed deletes;
the same for categories, tags, trackers and server_state). After each poll taken with the
churn paused, the merged view must equal torrents/info?filter=all (every field of every
torrent), torrents/categories, torrents/tags and the trackers of the magnet URIs. Deletes,
category and tag changes go through the API between polls. Then the filters, and the time of
an unchanged poll at 20,000 torrents (in-process and over HTTP). Every process started here is
stopped by its PID.
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from urllib.parse import quote, unquote, urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakes  # noqa: E402

FAILURES = []
# Written out here rather than taken from fakes.py, so that a typo there shows up.
STATES_DOWNLOADING = {"downloading", "metaDL", "forcedMetaDL", "stalledDL", "checkingDL", "pausedDL", "stoppedDL",
                      "queuedDL", "forcedDL", "allocating"}
STATES_ERRORED = {"error", "missingFiles"}
STATES_SEEDING = {"uploading", "stalledUP", "checkingUP", "queuedUP", "forcedUP"}
STATES_COMPLETED = STATES_SEEDING | {"pausedUP", "stoppedUP"}
STATES_STOPPED = {"pausedDL", "pausedUP", "stoppedDL", "stoppedUP"}
SERVER_STATE_KEYS = {"connection_status", "free_space_on_disk", "dl_info_speed", "up_info_speed", "queueing",
                     "refresh_interval"}


def check(ok, what):
    if not ok:
        FAILURES.append(what)
        print(f"  FAIL: {what}", flush=True)
    return ok


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.sid = None

    def request(self, method, path, form=None):
        headers = {}
        body = None
        if self.sid:
            headers["Cookie"] = f"SID={self.sid}"
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp, data

    def login(self):
        resp, data = self.request("POST", "/api/v2/auth/login", {"username": "admin", "password": "adminadmin"})
        assert data == b"Ok.", data
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            self.sid = cookie.split(";")[0].split("=", 1)[1]
        return cookie

    def get(self, path):
        resp, data = self.request("GET", path)
        assert resp.status == 200, (path, resp.status, data[:200])
        return data

    def json(self, path):
        return json.loads(self.get(path))

    def post(self, path, form):
        resp, data = self.request("POST", path, form)
        return resp.status

    def close(self):
        self.conn.close()


def sorted_keys(pairs):
    keys = [k for k, _ in pairs]
    if keys != sorted(keys):
        raise ValueError(f"keys out of order: {keys[:8]}...")
    return dict(pairs)


def parse_ordered(data):
    """JSON whose every object has its keys in QJsonObject (sorted) order."""
    return json.loads(data, object_pairs_hook=sorted_keys)


class View:
    """A client's merged view of sync/maindata."""

    def __init__(self):
        self.rid = 0
        self.torrents, self.categories, self.tags, self.trackers, self.server_state = {}, {}, set(), {}, {}

    def copy(self):
        v = View()
        v.rid = self.rid
        v.torrents = {h: dict(f) for h, f in self.torrents.items()}
        v.categories = {k: dict(c) for k, c in self.categories.items()}
        v.tags = set(self.tags)
        v.trackers = {u: list(hs) for u, hs in self.trackers.items()}
        v.server_state = dict(self.server_state)
        return v

    def apply(self, d):
        check("rid" in d, "rid present")
        for obj in d.get("torrents", {}).values():
            check("hash" not in obj, "no hash key in maindata torrent objects")
        if d.get("full_update"):
            self.torrents = {h: dict(f) for h, f in d.get("torrents", {}).items()}
            self.categories = {k: dict(c) for k, c in d.get("categories", {}).items()}
            self.tags = set(d.get("tags", []))
            self.trackers = {u: list(hs) for u, hs in d.get("trackers", {}).items()}
            self.server_state = dict(d.get("server_state", {}))
        else:
            check("full_update" not in d, "no full_update key in a diff")
            for key in ("torrents", "categories", "trackers", "server_state", "tags", "torrents_removed",
                        "categories_removed", "tags_removed", "trackers_removed"):
                if key in d:
                    check(len(d[key]) > 0, f"{key} absent rather than empty in a diff")
            for h, obj in d.get("torrents", {}).items():
                self.torrents.setdefault(h, {}).update(obj)
            for h in d.get("torrents_removed", []):
                self.torrents.pop(h, None)
            for k, c in d.get("categories", {}).items():
                self.categories.setdefault(k, {}).update(c)
            for k in d.get("categories_removed", []):
                self.categories.pop(k, None)
            self.tags |= set(d.get("tags", []))
            self.tags -= set(d.get("tags_removed", []))
            for u, hs in d.get("trackers", {}).items():
                self.trackers[u] = list(hs)
            for u in d.get("trackers_removed", []):
                self.trackers.pop(u, None)
            self.server_state.update(d.get("server_state", {}))
        self.rid = d["rid"]


def poll(client, view, rid=None):
    data = client.get(f"/api/v2/sync/maindata?rid={view.rid if rid is None else rid}")
    try:
        d = parse_ordered(data)
    except ValueError as e:
        check(False, f"maindata key order: {e}")
        d = json.loads(data)
    view.apply(d)
    return d, len(data)


def compare(client, view, label):
    """The merged view against torrents/info?filter=all, categories, tags and the magnets' trackers."""
    info = client.json("/api/v2/torrents/info?filter=all")
    expect = {}
    for t in info:
        t = dict(t)
        expect[t.pop("hash")] = t
    ok = check(set(view.torrents) == set(expect),
               f"{label}: hashes differ: {len(set(view.torrents) ^ set(expect))} "
               f"(view {len(view.torrents)}, info {len(expect)})")
    if ok:
        bad = [h for h in expect if view.torrents[h] != expect[h]]
        if bad:
            h = bad[0]
            diff = {k: (view.torrents[h].get(k), expect[h].get(k))
                    for k in set(view.torrents[h]) | set(expect[h]) if view.torrents[h].get(k) != expect[h].get(k)}
            check(False, f"{label}: {len(bad)} torrents differ, e.g. {h}: {diff}")
    check(view.categories == client.json("/api/v2/torrents/categories"), f"{label}: categories")
    check(view.tags == set(client.json("/api/v2/torrents/tags")), f"{label}: tags")
    trackers = {}
    for t in info:
        for part in t["magnet_uri"].split("?", 1)[1].split("&"):
            if part.startswith("tr="):
                trackers.setdefault(unquote(part[3:]), set()).add(t["hash"])
    check({u: set(hs) for u, hs in view.trackers.items()} == trackers, f"{label}: trackers")
    for u, hs in view.trackers.items():
        check(len(hs) == len(set(hs)), f"{label}: tracker {u} lists a hash twice")
    check(SERVER_STATE_KEYS <= set(view.server_state), f"{label}: server_state keys")
    check(view.server_state.get("connection_status") == "connected"
          and isinstance(view.server_state.get("free_space_on_disk"), int), f"{label}: server_state values")
    return info


def start_fakes(args):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fakes.py")] + args,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=5)
        raise RuntimeError("the fakes did not start")
    return proc, json.loads(line)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def churn(client, run):
    return client.json(f"/_bench/churn?run={1 if run else 0}")


def maindata_test(port, cats):
    print("sync/maindata merged view vs torrents/info, 2 x 3,000 torrents, --churn 10")
    c = Client(port)
    c.login()
    check(c.get("/api/v2/app/webapiVersion") == b"2.11.2", "webapiVersion 2.11.2")
    churn(c, False)
    view = View()
    d, size = poll(c, view)
    check(d.get("full_update") is True, "rid=0 gives full_update: true")
    check(len(view.torrents) == 6000, f"full update holds 6,000 torrents ({len(view.torrents)})")
    check(d["rid"] == 1, f"first rid is 1 ({d['rid']})")
    print(f"  full update: rid {d['rid']}, {len(view.torrents)} torrents, {size:,} bytes")
    compare(c, view, "after the full update")
    d, size = poll(c, view)
    check(d == {"rid": 2}, f"an unchanged poll is only the rid: {str(d)[:200]}")
    print(f"  unchanged poll: {size} bytes: {d}")

    rng = random.Random(5)
    polls = diffs = 0
    changed_seen = removed_seen = 0
    for round_ in range(12):
        churn(c, True)
        time.sleep(0.7)
        d, _ = poll(c, view)  # taken while the churn runs: merged, compared after the next poll
        polls += 1
        time.sleep(0.7)
        # Actions through the API between polls.
        hashes = sorted(view.torrents)
        pick = rng.sample(hashes, 6)
        if round_ % 3 == 0:
            check(c.post("/api/v2/torrents/delete", {"hashes": pick[0] + "|" + pick[1].upper(),
                                                     "deleteFiles": "false"}) == 200, "delete")
        if round_ % 3 == 1:
            check(c.post("/api/v2/torrents/setCategory", {"hashes": pick[2], "category": "recheck"}) == 200,
                  "setCategory")
            check(c.post("/api/v2/torrents/stop", {"hashes": pick[3]}) == 200, "stop")
        c.post("/api/v2/torrents/addTags", {"hashes": "|".join(pick[3:5]), "tags": f"bench-{round_},qBitrr-imported"})
        c.post("/api/v2/torrents/removeTags", {"hashes": pick[5], "tags": "keep,1080p"})
        if round_ == 4:
            check(c.post("/api/v2/torrents/createCategory", {"category": "bench-new", "savePath": "/x"}) == 200,
                  "createCategory")
            c.post("/api/v2/torrents/setCategory", {"hashes": pick[0 if round_ % 3 else 2], "category": "bench-new"})
        if round_ == 7:
            c.post("/api/v2/torrents/removeCategories", {"categories": "bench-new"})
            c.post("/api/v2/torrents/deleteTags", {"tags": "bench-1"})
        churn(c, False)
        d, size = poll(c, view)
        polls += 1
        diffs += "full_update" not in d
        changed_seen += len(d.get("torrents", {}))
        removed_seen += len(d.get("torrents_removed", []))
        compare(c, view, f"round {round_} (rid {view.rid})")
        if round_ >= 7:
            check("bench-1" not in view.tags and "bench-new" not in view.categories,
                  "deleted tag and removed category are gone from the view")
    print(f"  {polls} more polls merged, {diffs} compared diffs; torrents changed in them {changed_seen}, "
          f"removed {removed_seen}; view equal to torrents/info: "
          f"{'yes' if not [f for f in FAILURES if 'round' in f] else 'NO'}")

    # A client that missed an answer sends the previous rid again: a diff against that one.
    churn(c, True)
    time.sleep(1.2)
    churn(c, False)
    before = view.copy()
    d1, _ = poll(c, view)
    c.post("/api/v2/torrents/addTags", {"hashes": sorted(view.torrents)[0], "tags": "missed-answer"})
    again = before.copy()
    d2, _ = poll(c, again, rid=before.rid)
    check("full_update" not in d2 and d2["rid"] == d1["rid"] + 1,
          f"the previous rid again gives a diff against it (rid {d2['rid']})")
    compare(c, again, "diff against the previous rid")
    view = again
    d, _ = poll(c, view, rid=987654)
    check(d.get("full_update") is True, "an unknown rid gives a full update")
    compare(c, view, "after an unknown rid")

    # Sessions are per SID: logging in again with a valid cookie keeps it; a new login gets its own.
    check(c.login() is None, "login with a valid SID answers Ok. without a new cookie")
    c2 = Client(port)
    check(c2.login() is not None and c2.sid != c.sid, "a new login gets a new SID")
    v2 = View()
    d, _ = poll(c2, v2, rid=view.rid)
    check(d.get("full_update") is True, "a new session's first poll is a full update, whatever its rid")
    compare(c2, v2, "second session")
    d, _ = poll(c, view)
    check(d == {"rid": view.rid}, f"the first session is still diffed against its own base: {str(d)[:120]}")
    c3 = Client(port)
    check(c3.request("GET", "/api/v2/sync/maindata?rid=0")[0].status == 403, "no SID: 403")
    c2.close()
    c3.close()
    return c, view


def queue_test(c, arr_ports, cats):
    """The Arr queues after the churn: rows follow their torrent (sizeleft, importPending once
    complete), and downloads the churn added have rows."""
    print("Arr queues after the churn")
    info = {t["hash"]: t for t in c.json("/api/v2/torrents/info")}
    for port, cat in zip(arr_ports, cats):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rows, page = [], 1
        while True:
            conn.request("GET", f"/api/v3/queue?page={page}&pageSize=500",
                         headers={"X-Api-Key": "benchkey0123456789abcdef01234567"})
            body = json.loads(conn.getresponse().read())
            rows += body["records"]
            if page * 500 >= body["totalRecords"]:
                break
            page += 1
        conn.close()
        bad = 0
        pending = 0
        for r in rows:
            t = info.get(r["downloadId"].lower())
            if t is None:
                continue  # deleted through the API: the Arr keeps the row until it is removed
            complete = t["amount_left"] == 0 and t["progress"] >= 1
            pending += complete
            bad += r["sizeleft"] != t["amount_left"] or (r["trackedDownloadState"] == "importPending") != complete
        ids = {r["downloadId"].lower() for r in rows}
        new = [h for h, t in info.items() if t["category"] == cat and int(t["name"].rsplit(".", 1)[1]) >= 3000]
        check(bad == 0, f"{cat}: {bad} queue rows out of step with their torrent")
        check(all(h in ids for h in new), f"{cat}: every download the churn added has queue rows")
        print(f"  {cat}: {len(rows)} rows, {pending} importPending, {len(new)} downloads added by the churn")


def filters_test(c, cats):
    print("torrents/info filters")
    info = c.json("/api/v2/torrents/info")
    states = {t["state"] for t in info}
    by_hash = {t["hash"]: t for t in info}
    cases = {
        "downloading": STATES_DOWNLOADING, "errored": STATES_ERRORED, "seeding": STATES_SEEDING,
        "completed": STATES_COMPLETED, "stopped": STATES_STOPPED, "paused": STATES_STOPPED,
        "stalled": {"stalledUP", "stalledDL"}, "all": None,
    }
    by_key = lambda t: t["hash"]  # noqa: E731 (qBittorrent's list order is its own; compared sorted)
    for cat in cats + ["recheck"]:
        in_cat = sorted((t for t in info if t["category"] == cat), key=by_key)
        plain = c.get(f"/api/v2/torrents/info?category={quote(cat)}")
        check(sorted(json.loads(plain), key=by_key) == in_cat, f"{cat}: the whole category list")
        for f, want in cases.items():
            got = sorted(c.json(f"/api/v2/torrents/info?category={quote(cat)}&filter={f}"), key=by_key)
            exp = [t for t in in_cat if want is None or t["state"] in want]
            check(got == exp, f"{cat} filter={f}: {len(got)} torrents, expected {len(exp)}")
            if cat == cats[0] and f in ("downloading", "errored"):
                print(f"  {cat} filter={f}: {len(got)} of {len(in_cat)} "
                      f"(states {sorted({t['state'] for t in got})})")
        check(c.get(f"/api/v2/torrents/info?category={quote(cat)}&filter=all") == plain,
              f"{cat}: filter=all is the cached category list")
    rng = random.Random(9)
    pick = rng.sample(sorted(by_hash), 40)
    got = c.json("/api/v2/torrents/info?hashes=" + "|".join(pick))
    check([t["hash"] for t in got] == pick, "hashes: those torrents, in that order")
    got = c.json(f"/api/v2/torrents/info?hashes={'|'.join(pick)}&category={quote(cats[0])}")
    exp = [h for h in pick if by_hash[h]["category"] == cats[0]]
    check([t["hash"] for t in got] == exp, f"hashes + category intersect ({len(got)} of 40)")
    got = c.json(f"/api/v2/torrents/info?hashes={'|'.join(pick)}&category={quote(cats[1])}&filter=downloading")
    exp = [h for h in pick if by_hash[h]["category"] == cats[1] and by_hash[h]["state"] in STATES_DOWNLOADING]
    check([t["hash"] for t in got] == exp, f"hashes + category + filter=downloading ({len(got)})")
    got = c.json("/api/v2/torrents/info?filter=errored")
    check(len(got) == sum(t["state"] in STATES_ERRORED for t in info), "filter=errored over every category")
    print(f"  hashes (40) + category + filter=downloading: {len(exp)}; states present: {len(states)}")
    st = c.json("/_bench/stats")
    for kind in ("torrents/info all", "torrents/info category", "torrents/info category+filter=downloading",
                 "torrents/info category+filter=errored", "torrents/info hashes",
                 "torrents/info category+hashes", "sync/maindata full", "sync/maindata diff",
                 "sync/maindata unchanged"):
        check(st["kinds"].get(kind, 0) > 0 and st["kind_bytes"].get(kind, -1) >= 0, f"stats kind {kind}")
    check(st["lists"].get(cats[0], 0) > 0 and st["lists"].get(f"{cats[0]} filter=downloading", 0) > 0,
          "stats lists per category, whole and filtered")
    check(st["bytes"].get("qbit GET /api/v2/sync/maindata", 0) > 0, "stats bytes per path")
    print("  stats kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(st["kinds"].items()) if "/" in k))
    print(f"  churn: {st['churn']}")


def log_trim_test():
    print("a base older than the change log (diffed by a full scan)")
    saved = fakes.LOG_MAX
    fakes.LOG_MAX = 64
    try:
        world = fakes.World([("radarr", "radarr-1")], 2000, 2, False, 0.85)
        view = View()
        view.apply(json.loads(world.maindata("a", 0)[1]))
        rng, acc = random.Random(4), {}
        for _ in range(10):
            world.churn_step(rng, 100.0, acc)  # ~33 changes a step
        check(world.log_floor > 1, f"the log was trimmed (floor {world.log_floor})")
        kind, body = world.maindata("a", view.rid)
        d = json.loads(body)
        view.apply(d)
        full = View()
        full.apply(json.loads(world.maindata("b", 0)[1]))
        check(kind == "sync/maindata diff" and view.torrents == full.torrents and view.trackers == full.trackers
              and view.server_state == full.server_state,
              "the full-scan diff merges into the full snapshot")
        print(f"  {len(d.get('torrents', {}))} changed, {len(d.get('torrents_removed', []))} removed; "
              f"merged view equal to a new full update: {view.torrents == full.torrents}")
    finally:
        fakes.LOG_MAX = saved


def timing_test():
    print("unchanged sync/maindata poll at 20,000 torrents")
    t0 = time.perf_counter()
    world = fakes.World([("radarr", "radarr-1")], 20000, 1, False, 0.85)
    print(f"  generated in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    kind, body = world.maindata("sid", 0)
    full_ms = (time.perf_counter() - t0) * 1000
    times = []
    rid = json.loads(body)["rid"]
    for _ in range(200):
        t0 = time.perf_counter()
        kind, body = world.maindata("sid", rid)
        times.append((time.perf_counter() - t0) * 1000)
        rid += 1
    check(kind == "sync/maindata unchanged" and body == b'{"rid":%d}' % rid, f"unchanged body {body[:80]}")
    med = statistics.median(times)
    print(f"  in-process: full update {full_ms:.0f} ms; unchanged poll median {med:.3f} ms "
          f"(max {max(times):.3f} ms over {len(times)})")
    check(med < 5, f"an unchanged poll takes a few ms at most ({med:.3f} ms)")
    # A few changed torrents: still cheap (only those are diffed).
    rng = random.Random(3)
    acc = {}
    world.churn_step(rng, 1.0, acc)  # 1 % per minute of 20,000: ~3 changes
    t0 = time.perf_counter()
    kind, body = world.maindata("sid", rid)
    small = (time.perf_counter() - t0) * 1000
    print(f"  in-process: poll after one churn step (~3 changes): {small:.3f} ms, {len(body)} bytes")
    del world

    proc, info = start_fakes(["--torrents", "20000", "--arrs", "radarr:radarr-1"])
    try:
        c = Client(info["qbit"])
        c.login()
        view = View()
        t0 = time.perf_counter()
        _, size = poll(c, view)
        full_ms = (time.perf_counter() - t0) * 1000
        times = []
        for _ in range(100):
            t0 = time.perf_counter()
            data = c.get(f"/api/v2/sync/maindata?rid={view.rid}")
            times.append((time.perf_counter() - t0) * 1000)
            view.rid = json.loads(data)["rid"]
        t0 = time.perf_counter()
        c.get("/api/v2/torrents/info?category=radarr-1&filter=all")
        list_ms = (time.perf_counter() - t0) * 1000
        med = statistics.median(times)
        print(f"  over HTTP: full update {full_ms:.0f} ms ({size / (1 << 20):.1f} MiB); unchanged poll median "
              f"{med:.2f} ms (max {max(times):.2f}); the cached category list: {list_ms:.1f} ms")
        c.close()
    finally:
        stop(proc)


def main():
    t_start = time.monotonic()
    cats = ["radarr-1", "sonarr-2"]
    proc, info = start_fakes(["--torrents", "3000", "--arrs", "radarr:radarr-1,sonarr:sonarr-2",
                              "--churn", "10", "--churn-paused"])
    try:
        c, _ = maindata_test(info["qbit"], cats)
        queue_test(c, info["arrs"], cats)
        filters_test(c, cats)
        c.close()
    finally:
        stop(proc)
    proc, info = start_fakes(["--torrents", "500", "--arrs", "radarr:radarr-1", "--qbit", "4.5"])
    try:
        print("qBittorrent 4.5 (WebAPI 2.8.19): maindata and filters")
        c = Client(info["qbit"])
        c.login()
        check(c.get("/api/v2/app/webapiVersion") == b"2.8.19", "webapiVersion 2.8.19")
        view = View()
        poll(c, view)
        c.post("/api/v2/torrents/pause", {"hashes": sorted(view.torrents)[0]})
        poll(c, view)
        compare(c, view, "4.5")
        got = c.json("/api/v2/torrents/info?category=radarr-1&filter=paused")
        check(got and all(t["state"] in ("pausedDL", "pausedUP") for t in got), "4.5 filter=paused")
        c.close()
    finally:
        stop(proc)
    log_trim_test()
    timing_test()
    print(f"{'FAILED: ' + str(len(FAILURES)) if FAILURES else 'all checks passed'} "
          f"({time.monotonic() - t_start:.0f} s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
