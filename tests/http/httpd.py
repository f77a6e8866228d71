#!/usr/bin/env python3
"""A small HTTP/1.1 server for the webhook plugin's tests, on loopback only.

    httpd.py PORT_FILE [MAX_SECONDS]

Listens on 127.0.0.1 on a free port, writes the port number to PORT_FILE once it
accepts connections, serves until killed or MAX_SECONDS (default 900) have passed,
and logs each request to stderr. Every method (GET, HEAD, POST, PUT, PATCH, DELETE)
is answered by path:

    /status/CODE          answers CODE with the body "status CODE"
    /delay/MS             waits MS milliseconds, then 200 "slept MS"
    /echo                 200, a JSON object: method, path, headers (lower-case
                          names), body (text)
    /flaky/KEY/N          503 for the first N requests naming KEY, then 200
                          {"key": KEY, "request": n}
    /redirect?to=URL      302 with Location: URL
    /bytes/N              200 with N bytes "0123456789..." (text/plain)
    /binary               200 with bytes 0x00..0xff (application/octet-stream)
    /retry-after          429 with Retry-After: 7
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

COUNTS = {}
COUNTS_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "taskhost-test-httpd"

    def log_message(self, fmt, *args):
        sys.stderr.write("httpd: %s\n" % (fmt % args))
        sys.stderr.flush()

    def reply(self, status, body=b"", content_type="text/plain; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def handle_any(self):
        body = self.read_body()
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        route = parts[0] if parts else ""
        if route == "status" and len(parts) == 2:
            self.reply(int(parts[1]), "status %s" % parts[1])
        elif route == "delay" and len(parts) == 2:
            time.sleep(int(parts[1]) / 1000.0)
            self.reply(200, "slept %s" % parts[1])
        elif route == "echo":
            echo = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            self.reply(200, json.dumps(echo, sort_keys=True), "application/json")
        elif route == "flaky" and len(parts) == 3:
            with COUNTS_LOCK:
                COUNTS[parts[1]] = n = COUNTS.get(parts[1], 0) + 1
            if n <= int(parts[2]):
                self.reply(503, "busy, request %d" % n)
            else:
                self.reply(200, json.dumps({"key": parts[1], "request": n}), "application/json")
        elif route == "redirect":
            to = parse_qs(url.query).get("to", ["/"])[0]
            self.reply(302, "moved", headers=[("Location", to)])
        elif route == "bytes" and len(parts) == 2:
            n = int(parts[1])
            self.reply(200, ("0123456789" * (n // 10 + 1))[:n])
        elif route == "binary":
            self.reply(200, bytes(range(256)), "application/octet-stream")
        elif route == "retry-after":
            self.reply(429, "slow down", headers=[("Retry-After", "7")])
        else:
            self.reply(404, "no route %s" % url.path)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    max_seconds = float(sys.argv[2]) if len(sys.argv) == 3 else 900.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, sys.argv[1])
    stopper = threading.Timer(max_seconds, server.shutdown)
    stopper.daemon = True
    stopper.start()
    server.serve_forever(poll_interval=0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
