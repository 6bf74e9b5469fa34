#!/usr/bin/env python3
"""What polling costs qBittorrent: CPU seconds per minute of a real qbittorrent-nox
holding N tiny torrents, for each way of asking, and while qbitrr-lite runs.

A real qbittorrent-nox (the host's, or another build with --qbit-bin / --chroot for
a Debian chroot) starts on 127.0.0.1 with a fresh profile. N torrents of one 16 KiB
piece each are generated here (bencode + SHA-1, standard library only) and added
in batches: split evenly over --categories categories, a share --downloading of
them without their data (they stay incomplete), the rest with their data in place
and seeding. Then, for --window seconds each, the CPU (utime + stime from
/proc/PID/stat) of the qbittorrent-nox process is read while nobody polls, while
this script asks one way every --every seconds, and while qbitrr-lite runs (one
Radarr section on the first category, a fake Radarr from bench/fakes.py; a real run,
measured once its first imports are done and the complete torrents carry
qBitrr-imported, so the window shows the steady state; one row per --modes
ReadMode). Prints a Markdown table. Loopback only; every process it starts
is stopped by PID; the temporary directory is removed unless --keep.

    python3 bench/qbittorrent_load.py --torrents 4000 --binary target/release/qbitrr-lite
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PIECE = 16 * 1024
HZ = os.sysconf("SC_CLK_TCK")
PASSWORD_PBKDF2 = (
    "@ByteArray(cWJpdHJyLWxpdGUtdGVzdA==:1YH38IHDLPjNBbw8+7Ljwfo3AbD4IOIieUtVAfl6+3tK5/U9"
    "IxyklIpScxpjsQHPFNbIqgXoVIh4DqSZqgbZ3Q==)"
)  # "adminadmin", as the integration tests write it


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, str):
        return bencode(v.encode())
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def make_torrent(i):
    """A one-piece private-free torrent and its content; (name, info-hash, .torrent bytes, data)."""
    data = (b"qbitrr-lite load %08d " % i) * (PIECE // 24) + b"x" * (PIECE % 24)
    data = data[:PIECE]
    name = "Load.Test.%05d.mkv" % i
    info = {"length": len(data), "name": name, "piece length": PIECE, "pieces": hashlib.sha1(data).digest()}
    raw = bencode({"info": info, "created by": "qbitrr-lite bench"})
    return name, hashlib.sha1(bencode(info)).hexdigest(), raw, data


class Qbit:
    def __init__(self, args, root):
        self.root = root
        self.chroot = args.chroot
        self.mounted_proc = False
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        profile = os.path.join(root, "profile")
        conf_dir = os.path.join(profile, "qBittorrent", "config")
        os.makedirs(conf_dir)
        self.downloads = os.path.join(root, "downloads")
        os.makedirs(self.downloads)
        with open(os.path.join(conf_dir, "qBittorrent.conf"), "w") as f:
            f.write(
                "[BitTorrent]\nSession\\Port=%d\nSession\\Interface=lo\nSession\\InterfaceName=lo\n"
                "Session\\InterfaceAddress=127.0.0.1\nSession\\DHTEnabled=false\nSession\\LSDEnabled=false\n"
                "Session\\PeXEnabled=false\nSession\\QueueingSystemEnabled=false\n"
                "Session\\DefaultSavePath=%s\n\n[LegalNotice]\nAccepted=true\n\n"
                "[Network]\nPortForwardingEnabled=false\n\n"
                "[Preferences]\nWebUI\\Enabled=true\nWebUI\\Address=127.0.0.1\nWebUI\\Port=%d\n"
                "WebUI\\UseUPnP=false\nWebUI\\Username=admin\nWebUI\\Password_PBKDF2=\"%s\"\n"
                "WebUI\\LocalHostAuth=false\nConnection\\ResolvePeerCountries=false\n"
                % (free_port(), self.inside(self.downloads), self.port, PASSWORD_PBKDF2)
            )
        cmd = [args.qbit_bin, "--profile=%s" % self.inside(profile)]
        if args.chroot:
            proc = os.path.join(args.chroot, "proc")
            if not os.path.exists(os.path.join(proc, "self")):
                subprocess.run(["mount", "-t", "proc", "proc", proc], check=True)
                self.mounted_proc = True
            cmd = ["chroot", args.chroot] + cmd
        env = {k: v for k, v in os.environ.items() if not k.startswith("QBT_")}
        self.log = open(os.path.join(root, "qbittorrent.out"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        # One session, as a client keeps it: qBittorrent keeps sync/maindata's state per session.
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                login = urllib.parse.urlencode({"username": "admin", "password": "adminadmin"}).encode()
                self.opener.open(self.url + "/api/v2/auth/login", data=login, timeout=10).read()
                self.version = self.get("/api/v2/app/version").decode().strip()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("qbittorrent-nox did not answer on %s" % self.url)

    def inside(self, path):
        """`path` as qbittorrent-nox sees it (inside the chroot, if any)."""
        return "/" + os.path.relpath(path, self.chroot) if self.chroot else path

    def get(self, path):
        with self.opener.open(self.url + path, timeout=60) as r:
            return r.read()

    def post(self, path, fields=None, files=None):
        boundary = "qbitrrlitebench"
        body = b""
        for k, v in (fields or {}).items():
            body += b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (
                boundary.encode(), k.encode(), str(v).encode())
        for name, raw in files or []:
            body += (b"--%s\r\nContent-Disposition: form-data; name=\"torrents\"; filename=\"%s\"\r\n"
                     b"Content-Type: application/x-bittorrent\r\n\r\n" % (boundary.encode(), name.encode())) + raw + b"\r\n"
        body += b"--%s--\r\n" % boundary.encode()
        req = urllib.request.Request(self.url + path, data=body, method="POST")
        req.add_header("Content-Type", "multipart/form-data; boundary=%s" % boundary)
        with self.opener.open(req, timeout=120) as r:
            return r.read()

    def cpu(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / HZ

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.mounted_proc:
            if subprocess.run(["umount", os.path.join(self.chroot, "proc")]).returncode != 0:
                subprocess.run(["umount", "-l", os.path.join(self.chroot, "proc")])


def populate(q, args):
    """Adds the torrents; returns {category: [hashes]} and the hash of one downloading torrent."""
    cats = ["load-%d" % c for c in range(args.categories)]
    for c in cats:
        q.post("/api/v2/torrents/createCategory", {"category": c, "savePath": ""})
    by_cat = {c: [] for c in cats}
    downloading_every = max(1, round(1 / args.downloading)) if args.downloading > 0 else 0
    batches = {}
    one_downloading = None
    for i in range(args.torrents):
        name, h, raw, data = make_torrent(i)
        cat = cats[i % len(cats)]
        downloading = downloading_every and i % downloading_every == 0
        save = os.path.join(q.downloads, "empty" if downloading else "data")
        if not downloading:
            os.makedirs(save, exist_ok=True)
            with open(os.path.join(save, name), "wb") as f:
                f.write(data)
        elif one_downloading is None:
            one_downloading = h
        by_cat[cat].append(h)
        batches.setdefault((cat, save, downloading), []).append((name + ".torrent", raw))
    for (cat, save, downloading), files in batches.items():
        for k in range(0, len(files), 200):
            fields = {"category": cat, "savepath": q.inside(save), "autoTMM": "false"}
            if not downloading:
                fields["skip_checking"] = "true"
            q.post("/api/v2/torrents/add", fields, files[k:k + 200])
    deadline = time.time() + 600
    while time.time() < deadline:
        listed = json.loads(q.get("/api/v2/torrents/info"))
        busy = sum(1 for t in listed if t["state"].startswith("checking") or t["state"] in ("allocating", "metaDL", "moving"))
        if len(listed) >= args.torrents and busy == 0:
            break
        time.sleep(2)
    else:
        raise SystemExit("torrents still being added or checked after 10 minutes")
    return by_cat, one_downloading


def measure(q, window, ask=None, every=5.0):
    """CPU seconds per minute of qbittorrent-nox over `window` seconds, asking with `ask` every `every` s."""
    start_cpu, start = q.cpu(), time.monotonic()
    next_ask = start
    bytes_read = 0
    while time.monotonic() - start < window:
        if ask and time.monotonic() >= next_ask:
            bytes_read += len(ask())
            next_ask += every
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    return (q.cpu() - start_cpu) * 60 / elapsed, bytes_read * 60 / elapsed


def imported_share(q, category):
    """The share of complete torrents in `category` tagged qBitrr-imported."""
    cat = urllib.parse.quote(category)
    done = json.loads(q.get("/api/v2/torrents/info?category=%s&filter=completed" % cat))
    if not done:
        return 1.0
    return sum("qBitrr-imported" in t.get("tags", "") for t in done) / len(done)


def run_daemon(q, args, root, category, mode):
    """qbitrr-lite on `category` with [qBit] ReadMode `mode`, measured once its
    imports are done; qBittorrent's CPU, the daemon's own, and the warm-up time."""
    fakes = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(__file__), "fakes.py"), "--torrents", "0",
         "--arrs", "radarr:%s" % category],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ports = json.loads(fakes.stdout.readline())
        data = os.path.join(root, "daemon-%s" % mode)
        os.makedirs(data, exist_ok=True)
        config = os.path.join(data, "config.toml")
        with open(config, "w") as f:
            f.write(
                "[Settings]\nLoopSleepTimer = %d\nLogging = false\n\n[WebUI]\nHost = \"127.0.0.1\"\nPort = %d\n"
                "AuthDisabled = true\n\n[qBit]\nHost = \"%s\"\nUserName = \"admin\"\nPassword = \"adminadmin\"\n"
                "ReadMode = \"%s\"\n\n"
                "[Radarr-Load]\nURI = \"http://127.0.0.1:%d\"\nAPIKey = \"benchkey0123456789abcdef01234567\"\n"
                "Category = \"%s\"\n"
                % (args.every, free_port(), q.url, mode, ports["arrs"][0], category))
        daemon = subprocess.Popen([args.binary, "run", "--config", config, "--data-dir", data],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            # Warm-up: the first imports and tags (up to 200 torrents per pass), then a few quiet passes.
            while time.monotonic() - started < 600 and imported_share(q, category) < 0.999:
                time.sleep(2)
            warm = time.monotonic() - started
            time.sleep(3 * args.every)
            with open("/proc/%d/stat" % daemon.pid) as f:
                d0 = f.read().rsplit(")", 1)[1].split()
            qbit_cpu, _ = measure(q, args.window)
            with open("/proc/%d/stat" % daemon.pid) as f:
                d1 = f.read().rsplit(")", 1)[1].split()
            ours = ((int(d1[11]) + int(d1[12])) - (int(d0[11]) + int(d0[12]))) / HZ * 60 / args.window
            return qbit_cpu, ours, warm
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
    finally:
        fakes.terminate()
        fakes.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torrents", type=int, default=4000)
    ap.add_argument("--categories", type=int, default=2)
    ap.add_argument("--downloading", type=float, default=0.1, help="share without data (incomplete)")
    ap.add_argument("--window", type=float, default=60, help="seconds measured per row")
    ap.add_argument("--every", type=int, default=5, help="seconds between requests (LoopSleepTimer)")
    ap.add_argument("--qbit-bin", default="qbittorrent-nox")
    ap.add_argument("--chroot", help="run qbittorrent-nox inside this chroot (e.g. a Debian 13 one)")
    ap.add_argument("--binary", help="a qbitrr-lite binary: adds a row with it running")
    ap.add_argument("--modes", default="auto", help="[qBit] ReadMode values to run the daemon with, comma-separated")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    base = args.chroot + "/tmp" if args.chroot else None
    root = tempfile.mkdtemp(prefix="qbitrr-lite-qbit-load-", dir=base)
    q = None
    try:
        q = Qbit(args, root)
        by_cat, one = populate(q, args)
        first = next(iter(by_cat))
        cat = urllib.parse.quote(first)
        rows = [("nobody polling", None)]
        rows.append(("`torrents/info?category=C` (%d torrents)" % len(by_cat[first]),
                     lambda: q.get("/api/v2/torrents/info?category=%s" % cat)))
        rows.append(("`torrents/info?category=C&filter=downloading`",
                     lambda: q.get("/api/v2/torrents/info?category=%s&filter=downloading" % cat)))
        rows.append(("`torrents/info?hashes=H` (one torrent)", lambda: q.get("/api/v2/torrents/info?hashes=%s" % one)))
        rows.append(("`torrents/info` (all %d)" % args.torrents, lambda: q.get("/api/v2/torrents/info")))
        rid = {"rid": 0}

        def maindata():
            body = q.get("/api/v2/sync/maindata?rid=%d" % rid["rid"])
            rid["rid"] = json.loads(body).get("rid", rid["rid"])
            return body
        maindata()  # the full first answer is not what a poll costs
        rows.append(("`sync/maindata?rid=R`, nothing changed", maindata))
        print("qbittorrent-nox %s, %d torrents in %d categories (%.0f %% incomplete), one request every %d s, %d s per row\n"
              % (q.version, args.torrents, args.categories, args.downloading * 100, args.every, args.window))
        print("| request | qBittorrent CPU s/min | bytes/min |")
        print("|---|---|---|")
        for label, ask in rows:
            cpu, rate = measure(q, args.window, ask, args.every)
            print("| %s | %.2f | %s |" % (label, cpu, "%.1f MiB" % (rate / 2**20) if ask else "-"), flush=True)
        if args.binary:
            for mode in args.modes.split(","):
                cpu, ours, warm = run_daemon(q, args, root, first, mode)
                print("| qbitrr-lite running (one Radarr on C, ReadMode %s; imports done in %.0f s) | %.2f | ours: %.3f CPU s/min |"
                      % (mode, warm, cpu, ours), flush=True)
    finally:
        if q:
            q.stop()
        if args.keep:
            print("kept: %s" % root, file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
