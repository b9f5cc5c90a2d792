# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A hostile Phone Lock server on 127.0.0.1: it answers each request as its department filter says, byte by byte.

The stand-in models the published API; this one models what a broken, compromised or misconfigured server (or a
proxy in front of one) may send: the credentials echoed in every spelling, garbage Retry-After values, a reply that
drips one byte a second, a 300 MB body, an interim status as the final answer, a 2xx that is an error page, 401s.
It writes raw bytes, so nothing a real server could send is out of reach. Every request is logged.
"""

import base64
import json
import socket
import socketserver
import threading
import time
from urllib.parse import parse_qs, quote, urlsplit

# How long the drip goes on at most, and how big the huge body is.
DRIP_SECONDS = 30
HUGE_BODY = 300 * 1024 * 1024


class HostileServer:
    """Start with ``with HostileServer(username, password) as server``; ``server.log`` lists every request."""

    def __init__(self, username, password):
        self.username = username
        self.password = password
        self.token = base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")
        self.log = []
        self.counts = {}
        self.lock = threading.Lock()
        self.huge_bytes_sent = []
        handler = type("Handler", (_Handler,), {"owner": self})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
        self.server.daemon_threads = True
        self.server.allow_reuse_address = True
        self.server.server_bind()
        self.server.server_activate()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def requests_for(self, department):
        with self.lock:
            return [entry for entry in self.log if entry["department"] == department]

    def answer(self, department, through_proxy):
        """The raw bytes to send for a department filter: a status line, headers and a body (or a callable that writes)."""
        password, token = self.password, self.token
        with self.lock:
            seen = self.counts[department] = self.counts.get(department, 0) + 1
        if through_proxy:
            return _raw(407, "Proxy Authentication Required", b"", {"Proxy-Authenticate": 'Basic realm="proxy"'})
        kind = department.split("-")[0]
        ok = _raw(200, "OK", json.dumps({"matched": 3, "changed": 3}).encode(), {"Content-Type": "application/json"})
        if kind == "ok":
            return ok
        if kind == "echocut":
            # The password after a run of blanks, straddling the 300th character once blanks are collapsed.
            return _raw(400, "Bad Request", ("x" * 290 + " " * 40 + password + "   " + token).encode())
        if kind == "echojson":
            return _raw(400, "Bad Request", json.dumps({"Message": f"login {self.username}/{password} refused",
                                                        "Header": f"Basic {token}"}).encode(), {"Content-Type": "application/json"})
        if kind == "echopercent":
            return _raw(400, "Bad Request", f"user={self.username}&password={quote(password, safe='')}&auth={quote(token, safe='')}".encode())
        if kind == "echoreason":
            return _raw(400, f"Bad password {password} for {token}", b"")
        if kind == "echolocation":
            return _raw(302, "Found", b"", {"Location": f"https://elsewhere.example/?pw={password}&auth={token}"})
        if kind == "echofragment":
            return _raw(500, "Internal Server Error", f"audit: pw={password[:10]} hdr={token[3:17]}".encode())
        if kind == "retryafter":
            # Every other request succeeds (the retry), except after a wait too long to retry at all.
            if seen % 2 == 0 and not department.endswith("nines"):
                return ok
            value = {"superscript": "²", "nines": "9" * 400, "manynines": "9" * 5000, "asctime": "Sun Nov  6 08:49:37 1994",
                     "minus": "Sun, 06 Nov 1994 08:49:37 -0000", "garbage": "soon, please"}[department.split("-")[1]]
            return _raw(503, "Service Unavailable", b"busy", {"Retry-After": value})
        if kind == "drip":
            return _drip
        if kind == "huge":
            return self._huge
        if kind == "interim":
            return b"HTTP/1.1 102 Processing\r\n\r\n"
        if kind == "htmlok":
            return _raw(200, "OK", b"<html><body><form>Please sign in</form></body></html>", {"Content-Type": "text/html"})
        if kind == "errorok":
            return _raw(200, "OK", json.dumps({"success": False, "message": "Phone Lock license expired"}).encode(),
                        {"Content-Type": "application/json"})
        if kind == "unauthorized":
            time.sleep(0.2)  # in flight long enough for the other selections to be queued behind it
            return _raw(401, "Unauthorized", b"", {"WWW-Authenticate": 'Basic realm="UCX"'})
        return _raw(404, "Not Found", b"unknown case")

    def _huge(self, stream):
        """A 500 whose body is 300 MB: count what could be sent before the client closed the connection."""
        stream.write(f"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {HUGE_BODY}\r\n\r\n".encode())
        chunk, sent = b"z" * 65536, 0
        try:
            while sent < HUGE_BODY:
                stream.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        with self.lock:
            self.huge_bytes_sent.append(sent)


def _raw(status, reason, body, headers=None):
    fields = dict({"Content-Length": len(body), "Connection": "close"}, **(headers or {}))
    lines = [f"HTTP/1.1 {status} {reason}".encode("utf-8")] + [f"{name}: {value}".encode("utf-8") for name, value in fields.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _drip(stream):
    """A 200 whose headers come at once and whose body comes one byte a second: a timeout per read never trips."""
    body = json.dumps({"matched": 1, "changed": 1}).ljust(DRIP_SECONDS).encode()
    stream.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    try:
        for byte in body:
            stream.write(bytes([byte]))
            stream.flush()
            time.sleep(1)
    except OSError:
        pass


class _Handler(socketserver.StreamRequestHandler):
    owner = None
    timeout = 120

    def handle(self):
        request_line = self.rfile.readline(65537).decode("latin-1").strip()
        headers = {}
        while True:
            line = self.rfile.readline(65537).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, dummy, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, dummy, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0]
        # A proxy receives the absolute URI; a server only the path.
        through_proxy = target.startswith("http://")
        query = parse_qs(urlsplit(target).query)
        department = (query.get("department") or query.get("customField1") or [""])[0]
        with self.owner.lock:
            self.owner.log.append({"method": method, "target": target, "department": department, "time": time.time(),
                                   "authorization": headers.get("authorization", ""), "through_proxy": through_proxy})
        answer = self.owner.answer(department, through_proxy)
        try:
            if callable(answer):
                answer(self.wfile)
            else:
                self.wfile.write(answer)
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
