"""The stand-in's WSGI app: the two Phone Lock API calls, the /_standin/ inspection API and injected faults.

Plain werkzeug rather than Flask: the stand-in needs the raw request target, case-insensitive routing
and access to the connection's socket (for reset/empty faults), none of which a router helps with.
"""

import json
import os
import re
import socket
import struct
import time
from urllib.parse import unquote_to_bytes

from werkzeug.wrappers import Request, Response

from connections import ConnectionStats
from directory import FILTER_FIELDS
from journal import parse_fault

API_PATH = "/fw/Apps/StoneLock/WebAPI/Phones/"
ACTIONS = ("Lock", "Unlock")
INSPECTION_PREFIX = "/_standin/"
CHALLENGE = 'Basic realm="Imagicle UCX Suite"'
JSON_TYPE = "application/json"
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class ConnectionAborted(ConnectionAbortedError):
    """Raised once a reset/empty fault has closed the connection; werkzeug's server treats it as a dropped client."""


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers, content_type=JSON_TYPE)


def error_response(status: int, message: str, headers: dict | None = None, **extra) -> Response:
    return json_response({"error": message, **extra}, status, headers)


def _wire_bytes(text: str) -> bytes:
    """Undo the WSGI encoding dance: http.server reads the request line as Latin-1, werkzeug re-encodes it as UTF-8."""
    try:
        return text.encode("latin-1").decode("utf-8").encode("latin-1")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text.encode("utf-8", "replace")


def request_target(environ: dict) -> tuple[str, bytes]:
    """(percent-decoded path, raw query) exactly as the client sent them.

    server.py's handler keeps the target from the request line, because http.server reduces a leading '//' to '/'
    (hiding a client's bad URL join) and werkzeug's QUERY_STRING went through urlsplit; REQUEST_URI is the fallback.
    """
    target = environ.get("standin.target")
    if target is None:
        target = _wire_bytes(environ.get("REQUEST_URI", ""))
    path, dummy, query = target.partition(b"?")
    if not path.startswith(b"/"):  # absolute-form target (http://host/path): keep the path only
        parts = path.split(b"/", 3)
        path = b"/" + (parts[3] if len(parts) == 4 else b"")
    return unquote_to_bytes(path).decode("utf-8", "replace"), query


def _form_decode(part: bytes) -> tuple[str, bool]:
    """Decode one key or value like a form ('+' is a space, then %XX as UTF-8); return (text, decodable)."""
    part = part.replace(b"+", b" ")
    decodable = _BAD_PERCENT.search(part) is None
    data = unquote_to_bytes(part)
    try:
        return data.decode("utf-8"), decodable
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), False


def parse_query(raw: bytes) -> list[tuple[str, str, bool]]:
    """Split a query string into (key, value, decodable) in order; empty pieces ('a=1&&b=2') are skipped."""
    pairs = []
    for piece in raw.split(b"&"):
        if piece:
            key, dummy, value = piece.partition(b"=")
            key_text, key_ok = _form_decode(key)
            value_text, value_ok = _form_decode(value)
            pairs.append((key_text, value_text, key_ok and value_ok))
    return pairs


def check_filters(pairs: list[tuple[str, str, bool]]) -> tuple[dict[str, str], Response | None]:
    """Reject anything that could make a client's call act on more phones than it meant to."""
    filters: dict[str, str] = {}
    for key, value, decodable in pairs:
        if not decodable:
            return {}, error_response(400, f"query parameter {key!r} is not valid percent-encoded UTF-8", parameter=key)
        if key not in FILTER_FIELDS:
            return {}, error_response(400, f"unknown query parameter {key!r}", parameter=key, allowed=list(FILTER_FIELDS))
        if key in filters:
            return {}, error_response(400, f"query parameter {key!r} is repeated", parameter=key)
        if value == "":
            return {}, error_response(400, f"query parameter {key!r} is empty", parameter=key)
        filters[key] = value
    return filters, None


def abort_connection(environ: dict, kind: str) -> None:
    """Drop the client's connection without a reply: RST for 'reset', FIN for 'empty'. Always raises."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("reset and empty faults need werkzeug's server (no werkzeug.socket)")
    if kind == "reset":
        # Linger 0 turns close() into an RST. Detach first: the handler's file objects hold references that
        # would otherwise keep the descriptor open, and a detached socket cannot touch a reused descriptor.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(sock.detach())
    else:
        sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAborted(f"{kind} fault")


class StandinApp:  # pylint: disable=too-few-public-methods  # a WSGI callable
    """WSGI callable serving the API under /fw/... (and PREFIX/fw/...) and the inspection API under /_standin/.

    ``connections`` is the server's ConnectionStats (server.py counts into it; made here when the app runs alone).
    """

    def __init__(self, directory, journal, latency: float = 0.0, path_prefix: str | None = None, connections=None):
        self.directory = directory
        self.journal = journal
        self.latency = latency
        self.connections = connections if connections is not None else ConnectionStats(directory.lock)
        prefixes = [""] + ([path_prefix] if path_prefix else [])
        # IIS matches paths case-insensitively.
        self._routes = {f"{prefix}{API_PATH}{action}".casefold(): action for prefix in prefixes for action in ACTIONS}
        self._inspection = {
            "health": {"GET": lambda request: json_response({"ok": True})},
            "phones": {"GET": lambda request: json_response({"phones": self.directory.phones()})},
            "reset": {"POST": self._reset},
            "requests": {"GET": lambda request: json_response({"requests": self.journal.entries()}),
                         "DELETE": self._clear_requests},
            "faults": {"GET": lambda request: json_response({"faults": self.journal.faults()}),
                       "POST": self._add_faults, "DELETE": self._clear_faults},
            "connections": {"GET": lambda request: json_response(self.connections.snapshot()),
                            "DELETE": self._clear_connections},
        }

    def __call__(self, environ, start_response):
        request = Request(environ)
        path, query = request_target(environ)
        if path.startswith(INSPECTION_PREFIX):
            environ["standin.inspection"] = True  # for the access log, which marks these lines
            response = self._inspect(request, path[len(INSPECTION_PREFIX):])
        else:
            response = self._serve_api(request, path, query)
        return response(environ, start_response)

    # ---- the Phone Lock API -------------------------------------------------------------------------------

    def _serve_api(self, request: Request, path: str, raw: bytes) -> Response:
        received = time.time()
        pairs = parse_query(raw)
        args = [[key, value] for key, value, dummy in pairs]
        fault = self.journal.next_fault(args)  # taken on arrival, so faults go to requests in the order they came in
        header = request.headers.get("Authorization")
        account = self.directory.authenticate(header)
        request.environ["standin.user"] = account.username if account else None  # for the access log
        connection = request.environ.get("standin.connection")  # its number, from server.py
        if connection is not None:
            self.connections.carried_api_request(connection)
        entry = {
            "method": request.method, "path": path, "query_string": raw.decode("utf-8", "backslashreplace"),
            "args": args, "user": account.username if account else None,
            "authorization": header is not None, "status": None, "matched": None, "changed": None,
            "fault": fault.kind if fault else None, "host": request.headers.get("Host"), "received": round(received, 3),
            "connection": connection,
        }
        if self.latency:
            time.sleep(self.latency)
        response = self._apply_fault(fault, request, entry) if fault else None
        if response is None:
            response = self._phone_lock(request, account, pairs, entry)
        entry["status"] = response.status_code
        self.journal.record(entry)  # before the reply goes out, so a client that got it finds the entry
        return response

    def _apply_fault(self, fault, request: Request, entry: dict) -> Response | None:
        """The fault's reply, or None when the request should then be served normally (a bare delay)."""
        if fault.delay:
            time.sleep(fault.delay)
        if fault.kind in ("reset", "empty"):
            self.journal.record(entry)
            abort_connection(request.environ, fault.kind)
        if fault.kind == "redirect":
            return Response(status=fault.status, headers={"Location": fault.location})
        if fault.status is None:
            return None
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        return Response(fault.body or "", status=fault.status, headers=headers, content_type=fault.content_type or "text/plain; charset=utf-8")

    def _phone_lock(self, request: Request, account, pairs, entry: dict) -> Response:
        action = self._routes.get(entry["path"].casefold())
        if action is None:
            return error_response(404, "not found")
        if request.method != "PUT":
            return error_response(405, "method not allowed", {"Allow": "PUT"})
        if account is None:
            message = "invalid credentials" if entry["authorization"] else "authentication required"
            return error_response(401, message, {"WWW-Authenticate": CHALLENGE})
        if not account.may_use_phone_lock:
            return error_response(403, "the account has no Phone Lock permission")
        filters, problem = check_filters(pairs)
        if problem is not None:
            return problem
        matched, changed = self.directory.apply(account, action == "Lock", filters)
        entry.update(matched=matched, changed=changed)
        return json_response({"action": action, "matched": matched, "changed": changed})

    # ---- the inspection API (no auth, not in the request log, never faulted or delayed) ---------------------

    def _inspect(self, request: Request, name: str) -> Response:
        methods = self._inspection.get(name)
        if methods is None:
            return error_response(404, "no such inspection route")
        handler = methods.get(request.method)
        if handler is None:
            return error_response(405, "method not allowed", {"Allow": ", ".join(methods)})
        return handler(request)

    def _reset(self, _request: Request) -> Response:
        with self.directory.lock:  # the journal shares this lock: the reset is atomic
            self.directory.reset()
            self.journal.clear_entries()
            self.journal.clear_faults()
            self.connections.reset()
        return json_response({"ok": True})

    def _clear_connections(self, _request: Request) -> Response:
        self.connections.reset()
        return json_response({"ok": True})

    def _clear_requests(self, _request: Request) -> Response:
        self.journal.clear_entries()
        return json_response({"ok": True})

    def _add_faults(self, request: Request) -> Response:
        try:
            spec = json.loads(request.get_data(as_text=True) or "{}")
            count, fault = parse_fault(spec)
        except ValueError as error:  # json.JSONDecodeError and FaultError are both ValueErrors
            return error_response(400, str(error))
        self.journal.add_faults(count, fault)
        return json_response({"queued": count, "faults": self.journal.faults()})

    def _clear_faults(self, _request: Request) -> Response:
        self.journal.clear_faults()
        return json_response({"ok": True})
