#!/usr/bin/env python3
"""Footprint benchmark runner: starts bench/fakes.py and the release binary
with K Arr instances of N torrents each, measures it from /proc and
`/usr/bin/time -v`, and prints one Markdown table.

Every process it starts is stopped by PID (SIGTERM, then SIGKILL) on exit.
Measurements, per scenario:
  peak RSS        VmHWM at the end of the window (and time -v "Maximum resident set size")
  steady RSS      median VmRSS sampled once a second over the window (after warm-up)
  CPU s/min       utime+stime of the process (/proc/PID/stat) over the window
  CPU/pass        per worker thread: on-CPU time (/proc/PID/task/TID/schedstat, user+sys, ns)
                  between two mid-sleep points (the thread idle for 40 % of a loop), divided by
                  the passes in between (one per idle stretch)
  writes/h        /proc/PID/io write_bytes over the window, scaled to one hour
  req/min         requests the fakes received over the window; per kind of qBittorrent request
                  (category list, filtered list, hashes, sync/maindata full/diff/unchanged) in the JSON
  qBit bytes/min  response bytes qBittorrent sent over the window (per kind in the JSON)
  threads, fds    /proc/PID/task, /proc/PID/fd at the end of the window
Passes are the daemon's own count (/api/processes). With --churn PCT the fakes change PCT % of each
category's torrents per minute; the churn starts once the warm-up is over, one loop before the window.
Start-up, from exec (binary started directly, median of several starts): GET /health answers
200; the first torrent read (torrents/info or sync/maindata) reaches the fake; every worker has
completed its first pass (/api/processes). Once on an empty data directory ("first start", whose first pass also
does the initial imports, tags and store records) and once more on the same data directory
("restart").
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
API_KEY = "benchkey0123456789abcdef01234567"
WEBUI_TOKEN = "benchtoken0123456789abcdef0123456"
KINDS = ["radarr", "sonarr", "lidarr", "readarr"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

CHILDREN = []  # Popen objects to stop on exit
SMAPS_DIR = None  # --smaps: copy /proc/PID/smaps here at the end of each window


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def stop(proc, grace=5.0):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def stop_all():
    while CHILDREN:
        stop(CHILDREN.pop())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- /proc
def read(path):
    with open(path) as f:
        return f.read()


def proc_status(pid):
    out = {}
    for line in read(f"/proc/{pid}/status").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def kb(v):
    return int(v.split()[0])


def proc_cpu_ticks(pid):
    fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def proc_io(pid):
    out = {}
    for line in read(f"/proc/{pid}/io").splitlines():
        k, _, v = line.partition(":")
        out[k] = int(v)
    return out


def threads(pid):
    """{tid: (comm, on-CPU ns)}"""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = read(f"/proc/{pid}/task/{tid}/comm").strip()
            ns = int(read(f"/proc/{pid}/task/{tid}/schedstat").split()[0])
        except OSError:
            continue
        out[int(tid)] = (comm, ns)
    return out


def count_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def child_pid(parent, binary, timeout=5.0):
    """The daemon under /usr/bin/time is its only child."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kids = read(f"/proc/{parent}/task/{parent}/children").split()
            if kids:
                pid = int(kids[0])
                if os.readlink(f"/proc/{pid}/exe") == os.path.realpath(binary):
                    return pid
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError("the daemon did not start under /usr/bin/time")


# ---------------------------------------------------------------- fakes
def start_fakes(k, n, qbit_version, churn=0.0):
    arrs = ",".join(f"{KINDS[i % 4]}:{KINDS[i % 4]}-{i + 1}" for i in range(k))
    extra = ["--churn", f"{churn:g}", "--churn-paused"] if churn > 0 else []
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fakes.py"), "--torrents", str(n), "--arrs", arrs,
         "--qbit", qbit_version, "--api-key", API_KEY] + extra,
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    CHILDREN.append(proc)
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the fakes did not start")
    info = json.loads(line)
    info["proc"] = proc
    info["sections"] = [(f"{KINDS[i % 4].capitalize()}-{i + 1}", f"{KINDS[i % 4]}-{i + 1}") for i in range(k)]
    return info


def fake_stats(fakes, path="/_bench/stats"):
    conn = http.client.HTTPConnection("127.0.0.1", fakes["qbit"], timeout=10)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def start_churn(fakes):
    return fake_stats(fakes, "/_bench/churn?run=1")


def delta(c1, c0, minutes):
    """Per-minute rates of the keys of a counter snapshot that grew."""
    return {k: round((v - c0.get(k, 0)) / minutes, 1) for k, v in sorted(c1.items()) if v - c0.get(k, 0) > 0}


# --trackers: tracker entries for the fakes' private trackers (limits, tags, hit-and-run) and a
# public one, so a pass weighs every torrent's entry.
TRACKER_ENTRIES = [
    "[[qBit.Trackers]]",
    'Name = "Aither"',
    'URI = "tracker.aither.cc"',
    "Priority = 10",
    "UploadRateLimit = 1024",
    'AddTags = ["aither"]',
    'HitAndRunMode = "and"',
    "MinSeedRatio = 1.0",
    "MinSeedingTimeDays = 7",
    "",
    "[[qBit.Trackers]]",
    'Name = "Blutopia"',
    'URI = "blutopia.cc"',
    "Priority = 5",
    'MaxSeedingTime = "30d"',
    "SuperSeedMode = true",
    'HitAndRunMode = "or"',
    "MinSeedRatio = 1.0",
    "",
    "[[qBit.Trackers]]",
    'Name = "OpenTrackr"',
    'URI = "tracker.opentrackr.org"',
    "DownloadRateLimit = 4096",
    "",
]
TRACKERS_ON = False


def write_config(path, fakes, webui_port, loop):
    lines = [
        "[Settings]",
        'ConsoleLevel = "INFO"',
        "Logging = true",
        f"LoopSleepTimer = {loop}",
        'FailedCategory = "failed"',
        'RecheckCategory = "recheck"',
        "IgnoreTorrentsYoungerThan = 180",
        "",
        "[WebUI]",
        'Host = "127.0.0.1"',
        f"Port = {webui_port}",
        f'Token = "{WEBUI_TOKEN}"',
        "",
        "[qBit]",
        'Host = "127.0.0.1"',
        f"Port = {fakes['qbit']}",
        'UserName = "admin"',
        'Password = "adminadmin"',
        "",
    ]
    if TRACKERS_ON:
        lines += TRACKER_ENTRIES
    for (section, category), port in zip(fakes["sections"], fakes["arrs"]):
        lines += [
            f"[{section}]",
            "Managed = true",
            f'URI = "http://127.0.0.1:{port}"',
            f'APIKey = "{API_KEY}"',
            f'Category = "{category}"',
            "ReSearch = true",
            "",
            f"[{section}.Torrent]",
            "IgnoreTorrentsYoungerThan = 180",
            "StalledDelay = 15",
            "ReSearchStalled = false",
            "MaximumETA = -1",
            "DoNotRemoveSlow = true",
            "MaximumDeletablePercentage = 0.99",
            "",
            f"[{section}.Torrent.SeedingMode]",
            "RemoveTorrent = -1",
            "MaxUploadRatio = -1",
            "MaxSeedingTime = -1",
            "",
        ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def get(port, path, timeout=0.2, token=False):
    """(status, body) of a GET to the status server, or (None, None) when it does not answer."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path, headers={"Authorization": f"Bearer {WEBUI_TOKEN}"} if token else {})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, body
    except (OSError, http.client.HTTPException):
        return None, None


def health(port, timeout=0.2):
    return get(port, "/health", timeout)[0]


def worker_passes(port, timeout=0.5):
    """{worker name: completed passes} from /api/processes, or None when it does not answer."""
    status, body = get(port, "/api/processes", timeout, token=True)
    if status != 200:
        return None
    try:
        return {p["name"]: p.get("passes", 0) for p in json.loads(body)["processes"]}
    except (ValueError, KeyError, TypeError):
        return None


def first_pass_done(port, k):
    """True once every worker reports a completed pass on /api/processes."""
    passes = worker_passes(port)
    return passes is not None and len(passes) >= k and all(v >= 1 for v in passes.values())


def metrics(port):
    """Per-instance values of the daemon's own /metrics (pass durations), if it serves them."""
    status, body = get(port, "/metrics", 1.0, token=True)
    out = {}
    if status != 200:
        return out
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("qbitrr_lite_last_pass_duration_seconds{"):
            # The worker's label: `arr` (`instance` in binaries before 2f2b0d5, still measured
            # back to back with newer ones).
            labels = line.split("{", 1)[1].split("}", 1)[0]
            for key in ('arr="', 'instance="'):
                if key in labels:
                    out[labels.split(key, 1)[1].split('"', 1)[0]] = float(line.rsplit(" ", 1)[1])
                    break
    return out


LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"


def start_malloc_count(pid, window):
    """Counts malloc/realloc calls of a glibc-linked daemon with a perf uprobe (root, perf)."""
    if not shutil.which("perf") or not os.path.exists(LIBC):
        log("malloc count: needs perf and glibc; skipped")
        return None
    probes = subprocess.run(["perf", "probe", "-l"], capture_output=True, text=True).stdout
    for fn in ("malloc", "realloc"):
        if f"probe_libc:{fn} " not in probes:
            subprocess.run(["perf", "probe", "-q", "-x", LIBC, "--add", fn], capture_output=True)
    proc = subprocess.Popen(["perf", "stat", "-x,", "-e", "probe_libc:malloc,probe_libc:realloc", "-p", str(pid),
                             "--", "sleep", str(window)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    CHILDREN.append(proc)
    return proc


def finish_malloc_count(proc):
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        stop(proc)
        return None
    total = None
    for line in err.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0].isdigit():
            total = (total or 0) + int(parts[0])
    return total


def actions(stats):
    """Requests that change something (everything but reads)."""
    total = 0
    for key, v in stats["requests"].items():
        _, method, path = key.split(" ", 2)
        if method != "GET" and not path.endswith("/auth/login"):
            total += v
    return total


# ---------------------------------------------------------------- scenario
def scenario(binary, workdir, label, k, n, warmup_min, warmup_max, window, loop, qbit_version, env=None,
             count_mallocs=False, churn=0.0):
    log(f"{label}: generating {k} x {n} torrents" + (f", churn {churn:g} %/min" if churn else ""))
    fakes = start_fakes(k, n, qbit_version, churn)
    data = tempfile.mkdtemp(prefix=f"{label}-", dir=workdir)
    cfg = os.path.join(data, "config.toml")
    webui = free_port()
    write_config(cfg, fakes, webui, loop)
    timefile = os.path.join(data, "time-v.txt")
    stderr = open(os.path.join(data, "stderr.log"), "w")
    t0 = time.monotonic()
    tproc = subprocess.Popen(["/usr/bin/time", "-v", "-o", timefile, binary, "run", "--config", cfg,
                              "--data-dir", data], stdout=subprocess.DEVNULL, stderr=stderr,
                             stdin=subprocess.DEVNULL, env=env)
    CHILDREN.append(tproc)
    res = {"label": label, "k": k, "n": n, "loop": loop, "window_s": window, "churn_pct_per_min": churn,
           "list_bytes": sum(fakes["list_bytes"].values()) // max(1, k), "queue_rows": fakes["queue_rows"]}
    try:
        pid = child_pid(tproc.pid, binary)
        cats = [c for _, c in fakes["sections"]]
        # Warm-up: at least warmup_min seconds and 3 passes per instance, until a whole
        # pass interval goes by without a single changing request (or warmup_max).
        health_at = None
        last_actions, quiet_since = -1, time.monotonic()
        while True:
            now = time.monotonic()
            if health_at is None and health(webui) == 200:
                health_at = now - t0
            st = fake_stats(fakes)
            a = actions(st)
            if a != last_actions:
                last_actions, quiet_since = a, now
            wp = worker_passes(webui, 0.2) if health_at is not None else None
            if wp:
                passes = min(wp.values()) if len(wp) >= k else 0
            else:
                passes = min(st["lists"].get(c, 0) for c in cats)
            if tproc.poll() is not None:
                raise RuntimeError(f"the daemon exited early; see {data}/stderr.log")
            elapsed = now - t0
            if elapsed >= warmup_min and passes >= 3 and now - quiet_since > loop + 1:
                break
            if elapsed >= warmup_max:
                log(f"{label}: still acting after {warmup_max}s of warm-up; measuring anyway")
                break
            time.sleep(0.25)
        first_list = st["first"].get("read", 1e18) - t0
        res["warmup_s"] = round(time.monotonic() - t0, 1)
        res["first_list_s"] = round(first_list, 4)
        res["health_s"] = round(health_at, 4) if health_at is not None else None
        if churn:
            # The churn starts now, so that the warm-up converges; one loop later the window opens.
            start_churn(fakes)
            time.sleep(loop)
        log(f"{label}: warm-up done after {res['warmup_s']}s; measuring for {window}s")

        # Window.
        tids = {}
        for tid, (comm, _) in threads(pid).items():
            for section, cat in fakes["sections"]:
                if comm == section[:15]:
                    tids[cat] = tid
        passes0 = worker_passes(webui, 2.0)
        st0 = fake_stats(fakes)
        cpu0, io0 = proc_cpu_ticks(pid), proc_io(pid)
        w0 = time.monotonic()
        rss = []
        # Mid-sleep samples per instance: the worker thread's on-CPU ns once it has not changed for
        # 40 % of a loop, one sample per idle stretch; each stretch after the first ends one pass.
        # This does not depend on which requests a pass sends.
        th = threads(pid)
        last_ns = {c: th[tids[c]][1] if c in tids and tids[c] in th else None for c in cats}
        last_change = {c: w0 for c in cats}
        sampled = {c: False for c in cats}
        mid = {c: [] for c in cats}
        while time.monotonic() - w0 < window:
            time.sleep(0.1)
            now = time.monotonic()
            th = threads(pid)
            for c in cats:
                if c not in tids or tids[c] not in th:
                    continue
                ns = th[tids[c]][1]
                if ns != last_ns[c]:
                    last_ns[c], last_change[c], sampled[c] = ns, now, False
                elif not sampled[c] and now - last_change[c] >= 0.4 * loop:
                    mid[c].append(ns)
                    sampled[c] = True
            if int(now - w0) != int(now - w0 - 0.1):
                rss.append(kb(proc_status(pid)["VmRSS"]))
        w1 = time.monotonic()
        st1 = fake_stats(fakes)
        cpu1, io1 = proc_cpu_ticks(pid), proc_io(pid)
        passes1 = worker_passes(webui, 2.0)
        status = proc_status(pid)
        minutes = (w1 - w0) / 60
        res["rss_peak_kb"] = kb(status["VmHWM"])
        res["rss_steady_kb"] = int(statistics.median(rss)) if rss else kb(status["VmRSS"])
        res["rss_end_kb"] = kb(status["VmRSS"])
        res["rss_anon_kb"] = kb(status.get("RssAnon", "0 kB"))
        res["rss_file_kb"] = kb(status.get("RssFile", "0 kB"))
        if SMAPS_DIR:
            # Where the resident pages are, per mapping, for memory work (--smaps).
            with open(os.path.join(SMAPS_DIR, f"{label}.smaps"), "w") as out:
                out.write(read(f"/proc/{pid}/smaps"))
        res["threads"] = int(status["Threads"])
        res["fds"] = count_fds(pid)
        res["cpu_s_per_min"] = round((cpu1 - cpu0) / CLK_TCK / minutes, 3)
        per_pass = []
        for c in cats:
            m = mid[c]
            if len(m) >= 2:
                per_pass.append((m[-1] - m[0]) / (len(m) - 1) / 1e6)
        res["pass_ms"] = [round(x, 2) for x in per_pass]
        res["write_bytes_per_h"] = int((io1["write_bytes"] - io0["write_bytes"]) * 3600 / (w1 - w0))
        res["wchar_per_h"] = int((io1["wchar"] - io0["wchar"]) * 3600 / (w1 - w0))
        res["actions_in_window"] = actions(st1) - actions(st0)
        req = {}
        for server, v in st1["per_server"].items():
            req[server] = round((v - st0["per_server"].get(server, 0)) / minutes, 1)
        res["req_per_min"] = req
        res["req_paths_per_min"] = delta(st1["requests"], st0["requests"], minutes)
        res["bytes_paths_per_min"] = delta(st1["bytes"], st0["bytes"], minutes)
        # qBittorrent requests and response bytes per kind: "torrents/info category",
        # "torrents/info category+filter=downloading", "torrents/info hashes", "sync/maindata diff", ...
        res["qbit_kinds_per_min"] = delta(st1["kinds"], st0["kinds"], minutes)
        res["qbit_kind_bytes_per_min"] = delta(st1["kind_bytes"], st0["kind_bytes"], minutes)
        res["qbit_bytes_per_min"] = int(sum(v - st0["bytes"].get(key, 0) for key, v in st1["bytes"].items()
                                            if key.startswith("qbit ")) / minutes)
        res["churn_per_min"] = delta(st1["churn"], st0["churn"], minutes)
        own_lists = sum(st1["lists"].get(c, 0) - st0["lists"].get(c, 0) for c in cats)
        if passes0 is not None and passes1 is not None:
            passes = sum(v - passes0.get(name, 0) for name, v in passes1.items())
        else:
            passes = own_lists
        qbit_reqs = st1["per_server"].get("qbit", 0) - st0["per_server"].get("qbit", 0)
        arr_reqs = sum(v - st0["per_server"].get(s, 0) for s, v in st1["per_server"].items() if s.startswith("arr"))
        res["passes_in_window"] = passes
        res["qbit_req_per_pass"] = round(qbit_reqs / passes, 2) if passes else None
        res["arr_req_per_pass"] = round(arr_reqs / passes, 2) if passes else None
        res["lists_per_min"] = round(sum(st1["lists"].get(c, 0) - st0["lists"].get(c, 0) for c in cats)
                                     / minutes / k, 2)
        res["per_torrent_calls"] = sum(
            v - st0["requests"].get(key, 0) for key, v in st1["requests"].items()
            if key.endswith("/torrents/files") or key.endswith("/torrents/trackers")
            or key.endswith("/torrents/properties"))
        if count_mallocs:
            # A separate window: the uprobe costs about a microsecond per call and would
            # inflate the CPU figures above.
            span = 2 * loop + 1
            counter = start_malloc_count(pid, span)
            if counter is not None:
                c0 = worker_passes(webui, 2.0) or {}
                mallocs = finish_malloc_count(counter)
                c1 = worker_passes(webui, 2.0) or {}
                passes = sum(v - c0.get(name, 0) for name, v in c1.items())
                if mallocs is not None and passes:
                    res["mallocs_per_pass"] = int(mallocs / passes)
                    res["mallocs_per_torrent_pass"] = round(mallocs / passes / max(1, n), 2)
        res["daemon_last_pass_wall_ms"] = {k_: round(v * 1000, 1) for k_, v in metrics(webui).items()}
        log_path = os.path.join(data, "logs", "Main.log")
        res["log_bytes"] = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        store = os.path.join(data, "qbitrr-lite.redb")
        res["store_bytes"] = os.path.getsize(store) if os.path.exists(store) else 0
    finally:
        # SIGTERM to the daemon itself; /usr/bin/time then exits with its report.
        try:
            os.kill(pid, signal.SIGTERM)
        except (ProcessLookupError, UnboundLocalError, NameError):
            pass
        try:
            tproc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            stop(tproc)
        stderr.close()
        stop(fakes["proc"])
    tv = {}
    if os.path.exists(timefile):
        for line in read(timefile).splitlines():
            k_, _, v = line.strip().rpartition(": ")
            tv[k_] = v
    res["time_v_max_rss_kb"] = int(tv.get("Maximum resident set size (kbytes)", 0))
    res["time_v_user_s"] = float(tv.get("User time (seconds)", 0))
    res["time_v_sys_s"] = float(tv.get("System time (seconds)", 0))
    res["time_v_fs_outputs"] = int(tv.get("File system outputs", 0))
    res["exit_status"] = tv.get("Exit status")
    log(f"{label}: {json.dumps(res)}")
    return res


def start_once(binary, cfg, data, webui, k, fakes):
    """Starts the daemon; returns (health s, first torrent read s, first pass s) from exec, then stops it."""
    before = fake_stats(fakes)["reads"]
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "run", "--config", cfg, "--data-dir", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    CHILDREN.append(proc)
    h = p = first = None
    try:
        deadline = t0 + 15.0
        polls = 0
        while time.monotonic() < deadline and proc.poll() is None:
            now = time.monotonic()
            if h is None and health(webui, timeout=0.5) == 200:
                h = now - t0
            if first is None and polls % 5 == 0:
                st = fake_stats(fakes)
                if st["reads"] > before:
                    # The fakes time-stamp the latest torrents/info and sync/maindata requests; the
                    # first one of this start is the earliest one newer than t0.
                    times = [t for t in st["read_times"] if t > t0]
                    first = (min(times) - t0) if times else None
            if h is not None and first_pass_done(webui, k):
                p = time.monotonic() - t0
                break
            polls += 1
            time.sleep(0.001)
    finally:
        stop(proc)
        CHILDREN.remove(proc)
    return h, first, p


def startup(binary, workdir, runs, k, n, qbit_version):
    """Start-up, from exec: the status server answers /health 200; the first torrents/info request
    arrives; every worker has completed its first pass (/api/processes). 'first start' runs on an
    empty data directory against fresh fakes, so its first pass also does the initial work
    (imports, tags, store records); 'restart' starts again on the same data directory once that
    work is done, as after an upgrade or reboot. The binary is started directly (no /usr/bin/time)."""
    out = {"k": k, "n": n, "runs": runs}
    for kind in ("first start", "restart"):
        out[kind] = {"health_ms": [], "first_list_ms": [], "first_pass_ms": []}
    for _ in range(runs):
        fakes = start_fakes(k, n, qbit_version)
        try:
            data = tempfile.mkdtemp(prefix="startup-", dir=workdir)
            cfg = os.path.join(data, "config.toml")
            webui = free_port()
            write_config(cfg, fakes, webui, 5)
            for kind in ("first start", "restart"):
                h, f, p = start_once(binary, cfg, data, webui, k, fakes)
                for key, v in (("health_ms", h), ("first_list_ms", f), ("first_pass_ms", p)):
                    if v is not None:
                        out[kind][key].append(round(v * 1000, 1))
        finally:
            stop(fakes["proc"])
    return out


def release_profile(source):
    """The [profile.release] keys of the Cargo.toml the binary was built with."""
    keys, inside = [], False
    try:
        for line in read(os.path.join(source, "Cargo.toml")).splitlines():
            s = line.split("#", 1)[0].strip()
            if s.startswith("["):
                inside = s == "[profile.release]"
            elif inside and "=" in s:
                keys.append(s.replace(" ", ""))
    except OSError:
        pass
    return ", ".join(keys) or "cargo defaults"


def machine(commit):
    cpu = "unknown"
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = kb(dict(line.split(":", 1) for line in read("/proc/meminfo").splitlines())["MemTotal"].strip())
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    commit = commit or subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                      capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem / 1024 / 1024, 1),
            "kernel": platform.release(), "os": platform.freedesktop_os_release().get("PRETTY_NAME", "")
            if hasattr(platform, "freedesktop_os_release") else "", "rustc": rustc, "commit": commit,
            "python": platform.python_version()}


def fmt_kib(kb_):
    return f"{kb_ / 1024:.1f} MiB"


def fmt_bytes(b):
    if b < 1024:
        return f"{b} B"
    if b < 1 << 20:
        return f"{b / 1024:.1f} KiB"
    return f"{b / (1 << 20):.1f} MiB"


def table(results, start, binary_size, mach, profile, target, churn=0.0):
    out = []
    out.append(f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['mem_gib']} GiB, {mach['os']}, "
               f"kernel {mach['kernel']}; {mach['rustc']}; commit {mach['commit']}")
    out.append(f"Binary: {target} release build, {binary_size:,} bytes "
               f"({binary_size / (1 << 20):.2f} MiB); [profile.release] {profile}")
    out.append("Config: LoopSleepTimer = 5, ConsoleLevel = INFO, Logging = true, StalledDelay = 15, "
               "one [qBit], K Arr sections (Radarr, Sonarr, Lidarr, Readarr in turn) with N torrents each")
    if churn:
        out.append(f"Churn: {churn:g} % of each category's torrents changed per minute during the windows "
                   "(downloads progressing and completing, seeds uploading, a few torrents replaced).")
    else:
        out.append("Churn: none (unchanged torrents once warmed up).")
    if TRACKERS_ON:
        out.append("Tracker entries (--trackers): three [[qBit.Trackers]] (two private trackers with rate limits, "
                   "AddTags, SuperSeedMode and hit-and-run rules; one public with a download limit).")
    out.append("")
    out.append("| K × N | list JSON | peak RSS | steady RSS (anon + file) | CPU s/min | CPU/pass/instance | "
               "writes/h | threads | fds | qBit req/min | bytes from qBit/min | req/min per Arr | "
               "requests per pass per instance: qBit / Arr |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        arr = [v for s, v in sorted(r["req_per_min"].items()) if s.startswith("arr")]
        arr_s = "–".join(sorted({f"{v:g}" for v in arr})) if arr else "0"
        pm = r["pass_ms"]
        pm_s = (f"{statistics.mean(pm):.1f} ms" if len(pm) == 1 else
                f"{statistics.mean(pm):.1f} ms ({min(pm):.1f}–{max(pm):.1f})") if pm else "n/a"
        out.append(
            f"| {r['k']} × {r['n']:,} | {fmt_bytes(r['list_bytes'])} | {fmt_kib(r['rss_peak_kb'])} | "
            f"{fmt_kib(r['rss_steady_kb'])} ({r['rss_anon_kb'] / 1024:.1f} + {r['rss_file_kb'] / 1024:.1f}) | "
            f"{r['cpu_s_per_min']:.2f} | {pm_s} | "
            f"{fmt_bytes(r['write_bytes_per_h'])} | {r['threads']} | {r['fds']} | "
            f"{r['req_per_min'].get('qbit', 0):g} | {fmt_bytes(r.get('qbit_bytes_per_min', 0))} | {arr_s} | "
            f"{r['qbit_req_per_pass']} / {r['arr_req_per_pass']} |")
    out.append("")
    if start:
        out.append("| start-up, from exec | K × N | runs | median | min | max |")
        out.append("|---|---|---|---|---|---|")
    for s in start:
        for kind in ("first start", "restart"):
            rows = [("GET /health answers 200", s[kind]["health_ms"]),
                    ("first torrent read (torrents/info or sync/maindata)", s[kind]["first_list_ms"]),
                    ("first pass of every worker done", s[kind]["first_pass_ms"])]
            for label, xs in rows:
                what = f"| {kind}: {label} | {s['k']} × {s['n']:,} | {len(xs)} |"
                if xs:
                    out.append(f"{what} {statistics.median(xs):.1f} ms | {min(xs):.1f} ms | {max(xs):.1f} ms |")
                else:
                    out.append(f"{what} n/a | | |")
    if start:
        out.append("")
    steady = [r for r in results if r["k"] == 1 and r["n"] == 1000]
    for r in steady:
        what = f"churn {churn:g} %/min" if churn else "unchanged torrents"
        out.append(f"Steady state, 1 × 1,000, {what}, {r['window_s']} s window: write_bytes "
                   f"{fmt_bytes(r['write_bytes_per_h'])}/h, Main.log {fmt_bytes(r['log_bytes'])} in total, "
                   f"store {fmt_bytes(r['store_bytes'])}, changing requests in the window: "
                   f"{r['actions_in_window']}.")
    acts = [f"{r['k']}×{r['n']}: {r['actions_in_window']}" for r in results]
    out.append("Changing requests (POST/DELETE) during the measuring windows: " + ", ".join(acts) + ".")
    allocs = [f"{r['k']}×{r['n']}: {r['mallocs_per_torrent_pass']}" for r in results
              if "mallocs_per_torrent_pass" in r]
    if allocs:
        out.append("malloc+realloc calls per torrent per pass (perf uprobe): " + ", ".join(allocs) + ".")
    calls = sum(r["per_torrent_calls"] for r in results)
    out.append(f"Per-torrent qBittorrent calls (files/trackers/properties) in the windows: {calls}.")
    for r in results:
        kinds = r.get("qbit_kinds_per_min", {})
        reads = [k_ for k_ in kinds if k_.startswith(("torrents/info", "sync/maindata"))]
        if reads:
            out.append(f"qBittorrent reads per minute at {r['k']}×{r['n']}: " + ", ".join(
                f"{k_} {kinds[k_]:g} ({fmt_bytes(int(r['qbit_kind_bytes_per_min'].get(k_, 0)))})" for k_ in reads)
                + ".")
    if churn:
        ch = [f"{r['k']}×{r['n']}: " + ", ".join(f"{k_} {v:g}" for k_, v in r.get("churn_per_min", {}).items()
                                                if k_ != "steps") for r in results]
        out.append("Churn applied per minute: " + "; ".join(ch) + ".")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "bench", "release", "qbitrr-lite"))
    ap.add_argument("--workdir", default=os.path.join(REPO, "target", "bench", "runs"))
    ap.add_argument("--quick", action="store_true", help="short windows (a smoke test, not for publishing)")
    ap.add_argument("--qbit", choices=["4.5", "5.0"], default="5.0")
    ap.add_argument("--only", default="", help="comma list of KxN scenarios, e.g. 1x1000,4x5000")
    ap.add_argument("--json", default="", help="also write the results here")
    ap.add_argument("--daemon-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for the daemon (e.g. GLIBC_TUNABLES=...), for experiments")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up runs")
    ap.add_argument("--churn", type=float, default=0.0, metavar="PCT",
                    help="percent of each category's torrents the fakes change per minute during the windows")
    ap.add_argument("--count-mallocs", action="store_true",
                    help="also count malloc/realloc calls per pass (perf uprobe on glibc; root)")
    ap.add_argument("--target-label", default="x86_64-unknown-linux-gnu", help="the binary's target, for the table")
    ap.add_argument("--commit", default="", help="the commit the binary was built from")
    ap.add_argument("--source", default=REPO, help="the source tree the binary was built from")
    ap.add_argument("--keep", action="store_true", help="keep the daemon's data, config and logs")
    ap.add_argument("--warmup-min", type=float, default=0, metavar="S",
                    help="warm up at least S seconds (default: per scenario, 12-15)")
    ap.add_argument("--warmup-max", type=float, default=0, metavar="S",
                    help="wait up to S seconds for the warm-up to end (default: per scenario, 60-90)")
    ap.add_argument("--trackers", action="store_true",
                    help="add [[qBit.Trackers]] entries (limits, tags, hit-and-run) for the fakes' trackers")
    ap.add_argument("--smaps", metavar="DIR", help="copy the daemon's /proc/PID/smaps into DIR at the end of each window")
    args = ap.parse_args()
    global SMAPS_DIR, TRACKERS_ON
    SMAPS_DIR = args.smaps
    TRACKERS_ON = args.trackers
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary}: not built (bench/run.sh builds it)")
    os.makedirs(args.workdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="run-", dir=args.workdir)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: (stop_all(), sys.exit(130)))
    q = args.quick
    env = dict(os.environ)
    for kv in args.daemon_env:
        name, _, value = kv.partition("=")
        env[name] = value
    # (K, N, warm-up min, warm-up max, window)
    plan = [
        (1, 1000, 12, 60, 20 if q else 60),
        (1, 10000, 12, 60, 15 if q else 30),
        (1, 20000, 15, 90, 15 if q else 30),
        (4, 5000, 15, 90, 15 if q else 30),
        (8, 2500, 15, 90, 15 if q else 30),
    ]
    if args.only:
        wanted = {tuple(int(x) for x in s.lower().split("x")) for s in args.only.split(",")}
        known = {(p[0], p[1]): p for p in plan}
        plan = [known.get(w, (w[0], w[1], 12, 90, 15 if q else 30)) for w in sorted(wanted)]
    results = []
    try:
        for k, n, wmin, wmax, window in plan:
            wmin = args.warmup_min or wmin
            wmax = max(args.warmup_max or wmax, wmin)
            results.append(scenario(binary, work, f"{k}x{n}", k, n, wmin, wmax, window, 5, args.qbit, env,
                                    args.count_mallocs, args.churn))
        start = []
        if not args.no_startup:
            runs = 3 if q else 5
            log(f"start-up: {runs} runs with 1 x 1000, 1 run with 4 x 5000")
            start.append(startup(binary, work, runs, 1, 1000, args.qbit))
            start.append(startup(binary, work, 1, 4, 5000, args.qbit))
    finally:
        stop_all()
    mach = machine(args.commit)
    profile = release_profile(args.source)
    out = table(results, start, os.path.getsize(binary), mach, profile, args.target_label, args.churn)
    print(out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": mach, "profile": profile, "churn_pct_per_min": args.churn, "results": results,
                       "startup": start}, f, indent=1)
    if args.keep:
        log(f"kept the daemon's data, config and logs in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
