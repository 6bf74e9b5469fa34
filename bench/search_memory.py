#!/usr/bin/env python3
"""What the search loop costs in memory over a large library: the release binary against
bench/fakes.py with one Sonarr whose `wanted/missing` lists N episodes (paged as Sonarr pages
them), no search budget and no delay, until it has sent `--searches` searches (each round of 20
reads the whole list again). Prints one Markdown table: peak RSS (VmHWM) and RSS after, with
the list empty and with N items, and the requests the loop made.

    bench/search_memory.py                      # 0 and 50,000 wanted episodes
    bench/search_memory.py --wanted 0,10000,50000
    bench/search_memory.py --wanted '' --library 0,10000   # the temp-profile pass over N series

With `--library N`, the Sonarr lists N series (every other one missing episodes) and the loop has
UseTempForMissing on: the row is taken once its first temp-profile pass has switched what it may
(500 a pass).

Loopback only; every process started is stopped by PID on exit.
"""

import argparse
import atexit
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the footprint runner: fakes, free ports, stopping children)

HERE = run.HERE


def status(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/api/status", headers={"Authorization": f"Bearer {run.WEBUI_TOKEN}"})
        return json.loads(conn.getresponse().read())
    except (OSError, ValueError):
        return None
    finally:
        conn.close()


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])  # KiB
    return out


def one(binary, wanted, searches, timeout, library=None):
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fakes.py"), "--torrents", "100", "--arrs", "sonarr:sonarr-1",
         "--api-key", run.API_KEY, "--wanted", str(wanted), "--library", str(library or 0)],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    run.CHILDREN.append(proc)
    fakes = json.loads(proc.stdout.readline())
    fakes["sections"] = [("Sonarr-1", "sonarr-1")]
    work = tempfile.mkdtemp(prefix="search-memory-", dir=os.path.join(run.REPO, "target", "bench"))
    cfg = os.path.join(work, "config.toml")
    port = run.free_port()
    run.write_config(cfg, fakes, port, 5)
    text = open(cfg).read().replace(
        "[Settings]\n", "[Settings]\nSearchLoopDelay = 0\n", 1) + (
        "\n[Sonarr-1.EntrySearch]\nSearchesPerHour = -1\nSearchesPerDay = -1\n") + (
        "UseTempForMissing = true\nQualityProfileMappings = {\"HD\" = \"SD\"}\n" if library is not None else "")
    with open(cfg, "w") as f:
        f.write(text)
    data = os.path.join(work, "data")
    daemon = subprocess.Popen([binary, "run", "--config", cfg, "--data-dir", data],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "stderr.log"), "w"))
    run.CHILDREN.append(daemon)
    started = time.monotonic()
    sent, doing = 0, ""
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        s = status(port)
        search = (s or {}).get("arrs", [{}])[0].get("search") or {}
        sent = (search.get("sent") or {}).get("missing", 0)
        doing = search.get("doing") or ""
        switched = (search.get("temp_profiles") or {}).get("switched", 0)
        if library is not None:
            if switched >= min(500, library // 2) and "nothing is wanted" in doing:
                sent = switched
                break
        elif sent >= searches or (wanted == 0 and "nothing is wanted" in doing):
            break
    took = time.monotonic() - started
    mem = proc_status(daemon.pid)
    stats = run.fake_stats(fakes)
    pages = sum(v for k, v in stats.get("requests", {}).items() if "wanted/missing" in k)
    puts = sum(v for k, v in stats.get("requests", {}).items() if "/editor" in k)
    run.stop(daemon)
    run.stop(proc)
    return {"wanted": wanted, "library": library, "searches": sent, "pages": pages, "puts": puts,
            "seconds": round(took, 1),
            "peak_kib": mem.get("VmHWM", 0), "rss_kib": mem.get("VmRSS", 0), "doing": doing}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(run.REPO, "target", "bench", "qbitrr-lite.bench"))
    ap.add_argument("--wanted", default="0,50000", help="comma list of wanted-list sizes")
    ap.add_argument("--library", default="", help="comma list of series counts for the temp-profile pass")
    ap.add_argument("--searches", type=int, default=40, help="searches to wait for (20 per read of the list)")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    atexit.register(run.stop_all)
    rows = [one(args.binary, int(w), args.searches, args.timeout) for w in args.wanted.split(",") if w]
    if rows:
        print("| wanted episodes | searches sent | wanted pages read | time | peak RSS | RSS after |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['wanted']:,} | {r['searches']} | {r['pages']} | {r['seconds']} s | "
                  f"{r['peak_kib'] / 1024:.1f} MiB | {r['rss_kib'] / 1024:.1f} MiB |")
    temp = [one(args.binary, 0, 0, args.timeout, int(n)) for n in args.library.split(",") if n]
    if temp:
        print("| series (half missing) | switched in the first pass | editor PUTs | time | peak RSS | RSS after |")
        print("|---|---|---|---|---|---|")
        for r in temp:
            print(f"| {r['library']:,} | {r['searches']} | {r['puts']} | {r['seconds']} s | "
                  f"{r['peak_kib'] / 1024:.1f} MiB | {r['rss_kib'] / 1024:.1f} MiB |")
    print(json.dumps(rows + temp), file=sys.stderr)


if __name__ == "__main__":
    main()
