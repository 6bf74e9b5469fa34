#!/usr/bin/env python3
"""A fake qBittorrent WebUI and a fake Radarr on 127.0.0.1, for smoke runs.

Answers just enough for qbitrr-lite to log in, poll an empty torrent list and
an empty Radarr queue:

  qBittorrent  POST /api/v2/auth/login        -> 200 "Ok." + Set-Cookie: SID=x
               GET  /api/v2/app/webapiVersion -> "2.8.19"
               GET  /api/v2/app/version       -> "v4.6.7"
               GET  /api/v2/torrents/info     -> []
  Radarr       GET  /api/v3/system/status     -> {"appName":"Radarr","version":"5.0.0"}
               GET  /api/v3/queue             -> {"page":1,...,"records":[]}

Anything else gets 404 and is logged, so a smoke test can see what was asked.

Usage: fake_upstreams.py --ports-file FILE [--log FILE]
Binds both servers to free loopback ports, writes "QBIT_PORT RADARR_PORT" to
FILE once both listen, and serves until SIGTERM/SIGINT. Standard library only.
"""

import argparse
import http.server
import json
import os
import signal
import sys
import threading

QUEUE = {"page": 1, "pageSize": 500, "totalRecords": 0, "records": []}
STATUS = {"appName": "Radarr", "version": "5.0.0"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-upstream"
    kind = "?"
    log_file = None
    lock = threading.Lock()

    def log_message(self, format, *args):  # noqa: A002 (signature from the base class)
        pass

    def record(self, status):
        line = "%s %s %s %d\n" % (self.kind, self.command, self.path, status)
        with self.lock:
            out = self.log_file or sys.stderr
            out.write(line)
            out.flush()

    def reply(self, status, body, content_type="text/plain", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.record(status)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def route(self):
        path = self.path.split("?", 1)[0]
        return self.ROUTES.get((self.command, path))

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.read_body()
        self.serve()

    def serve(self):
        answer = self.route()
        if answer is None:
            self.reply(404, "not found")
        else:
            self.reply(*answer)


class QbitHandler(Handler):
    kind = "qbit"
    ROUTES = {
        ("POST", "/api/v2/auth/login"): (200, "Ok.", "text/plain", [("Set-Cookie", "SID=x; HttpOnly; path=/")]),
        ("GET", "/api/v2/app/webapiVersion"): (200, "2.8.19"),
        ("GET", "/api/v2/app/version"): (200, "v4.6.7"),
        ("GET", "/api/v2/torrents/info"): (200, "[]", "application/json"),
        ("GET", "/api/v2/torrents/categories"): (200, "{}", "application/json"),
        ("POST", "/api/v2/torrents/createCategory"): (200, ""),
        ("POST", "/api/v2/torrents/createTags"): (200, ""),
    }


class RadarrHandler(Handler):
    kind = "radarr"
    ROUTES = {
        ("GET", "/api/v3/system/status"): (200, json.dumps(STATUS), "application/json"),
        ("GET", "/api/v3/queue"): (200, json.dumps(QUEUE), "application/json"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports-file", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()

    if args.log:
        Handler.log_file = open(args.log, "a", buffering=1)

    servers = []
    for handler in (QbitHandler, RadarrHandler):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    ports = " ".join(str(s.server_address[1]) for s in servers)
    tmp = args.ports_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(ports + "\n")
    os.replace(tmp, args.ports_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    for server in servers:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
