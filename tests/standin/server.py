"""Command line entry point of the Imagicle Phone Lock stand-in: python tests/standin/server.py --help"""

import argparse
import logging
import math
import os
import selectors
import signal
import socket
import ssl
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run by path from any directory: the sibling modules must be importable.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# pylint: disable=wrong-import-position
from werkzeug.exceptions import ClientDisconnected  # noqa: E402
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from werkzeug.wsgi import LimitedStream  # noqa: E402

from app import ConnectionAborted, StandinApp  # noqa: E402
from directory import Directory  # noqa: E402
from journal import Journal  # noqa: E402

LOG = logging.getLogger("standin")
DEFAULT_DATA = HERE / "data" / "users.json"
# IIS's default connectionTimeout (2 minutes): how long a connection may stay silent before the server closes it.
DEFAULT_IDLE_TIMEOUT = 120.0
# Request body bytes the server reads past (the API ignores bodies) to reach the next request on the connection;
# a longer body ends the connection after the reply instead.
MAX_DRAIN = 1024 * 1024
# Statuses whose reply carries no body (nor Content-Length), besides 1xx (only a fault sends one as the final answer).
NO_BODY = (204, 304)
DROPPED = (ConnectionError, TimeoutError, ssl.SSLEOFError)


class StandinRequestHandler(WSGIRequestHandler):
    """One connection, kept alive as IIS keeps it (HTTP/1.1, Content-Length on every reply, Connection: close honoured,
    an idle timeout), with TLS handshakes off the accept loop, fault-aware drops, counting and a plain access log.

    werkzeug's own run_wsgi always answers Connection: close; this one sends each reply in one write with its length,
    reads what the app left of the request body, and then waits for the next request on the same connection.
    """

    protocol_version = "HTTP/1.1"
    number = 0  # the connection's number (ConnectionStats), set in setup()

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout  # StreamRequestHandler sets it on the socket: every read and write
        super().setup()
        self.environ = {}
        self.number = self.server.connections.opened()
        try:
            # Each reply goes out in one write; no Nagle delay waiting for the client's delayed ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.connections.closed()

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            # The handshake runs here, in the connection's own thread, so a slow or failing client cannot block accept().
            try:
                self.connection.do_handshake()
            except OSError as error:  # ssl.SSLError is an OSError; so is a timeout
                self.server.connections.count("tls_handshake_failures")
                if isinstance(error, TimeoutError):
                    self.server.connections.count("idle_timeouts")
                self.server.log.info("%s #%d TLS handshake failed: %s", self.client_address[0], self.number, error)
                self.close_connection = True
                return
            self.server.connections.count("tls_handshakes")
        super().handle()

    def handle_one_request(self) -> None:
        """Read one request and answer it; http.server's handle() calls this until close_connection is set."""
        self.environ = {}  # the previous request's, if any, must not name the user of a bad request line in the log
        self.requestline = ""
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except TimeoutError:
            self.connection_dropped(TimeoutError("idle"))
            return
        if not self.raw_requestline:  # the client closed the connection between requests
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.request_version = self.command = ""
            self.send_error(414)
            return
        if self.parse_request():  # else it sent a 400 with Connection: close
            self.run_wsgi()

    def make_environ(self):
        environ = super().make_environ()
        # The target as sent, for app.py: self.path (hence REQUEST_URI) has a leading '//' already reduced to '/'.
        words = getattr(self, "requestline", "").split()
        if len(words) >= 2:
            environ["standin.target"] = words[1].encode("latin-1")
        environ["standin.connection"] = self.number
        if not environ.get("wsgi.input_terminated"):  # not chunked: the body is Content-Length bytes (none without it)
            environ["wsgi.input"] = LimitedStream(self.rfile, int(self.headers.get("Content-Length") or 0))
            environ["wsgi.input_terminated"] = True
        return environ

    def run_wsgi(self) -> None:
        if not _valid_length(self.headers.get_all("Content-Length") or []):
            self.send_error(400, "Bad Content-Length")  # closes: the next request's start is unknown
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        reply: list = []
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):  # pylint: disable=unused-argument  # nothing is sent before the end
            reply[:] = [status, headers]
            return chunks.append

        try:
            iterable = self.server.app(environ, start_response)
            try:
                chunks.extend(iterable)
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
        except DROPPED as error:  # a reset/empty fault, or the client went away
            self.connection_dropped(error, environ)
            return
        except Exception:  # pylint: disable=broad-exception-caught  # a bug in the stand-in: a 500, and the traceback logged
            self.server.log.exception("%s #%d error on request %r", self.address_string(), self.number, self.requestline)
            reply[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")]]
            chunks[:] = [b"stand-in error (see its log)"]
            self.close_connection = True
        try:
            if not _drain(environ["wsgi.input"]):
                self.close_connection = True
        except TimeoutError as error:
            self.connection_dropped(error, environ)
            return
        except (OSError, ValueError, ClientDisconnected):  # a malformed chunked body, a client that stopped half-way
            self.close_connection = True
        self._send(reply[0], reply[1], b"".join(chunks))

    def _send(self, status: str, headers: list, body: bytes) -> None:
        """The whole reply in one write: status line, headers with Content-Length (and Connection), body."""
        code = int(status.split(None, 1)[0])
        if code < 200:
            self.close_connection = True  # an interim status as the final answer (a fault): nothing can follow it
        may_have_body = code >= 200 and code not in NO_BODY
        fields = [("Server", self.version_string()), ("Date", self.date_time_string())]
        length = None
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-length":
                length = value
            elif lowered not in ("connection", "keep-alive", "transfer-encoding"):
                fields.append((name, value))
        if may_have_body:
            # A HEAD reply keeps the length the app gave (of the body it would send); every other reply has its own.
            fields.append(("Content-Length", length if self.command == "HEAD" and length is not None else str(len(body))))
        if self.close_connection:
            fields.append(("Connection", "close"))
        elif self.request_version == "HTTP/1.0":
            fields.append(("Connection", "keep-alive"))  # an HTTP/1.0 client asked for it
        head = "".join(f"{name}: {value}\r\n" for name, value in fields)
        payload = body if may_have_body and self.command != "HEAD" else b""
        self.log_request(code, len(payload))
        if self.request_version == "HTTP/0.9":
            self.wfile.write(payload)
            return
        self.wfile.write(f"{self.protocol_version} {status}\r\n{head}\r\n".encode("latin-1") + payload)

    def connection_dropped(self, error, environ=None) -> None:
        # A reset/empty fault closed the socket on purpose, the client went away, or it stayed silent too long:
        # never read another request from this connection.
        self.close_connection = True
        if isinstance(error, ConnectionAborted):
            self.server.connections.count("closed_by_fault")
            self._access(f"dropped by {error}")
        elif isinstance(error, TimeoutError):
            self.server.connections.count("idle_timeouts")
            where = "waiting for a request" if str(error) == "idle" else "in the middle of a request"
            self.server.log.info("%s #%d closed: nothing from the client for %g s, %s", self.address_string(), self.number,
                                 self.server.idle_timeout, where)

    def log_request(self, code="-", size="-") -> None:  # pylint: disable=unused-argument
        self._access(code)

    def _access(self, outcome) -> None:
        # Only the request line (which never holds credentials) and the authenticated account's name.
        environ = getattr(self, "environ", None) or {}
        user = environ.get("standin.user") or "-"
        line = getattr(self, "requestline", "").encode("unicode_escape").decode("ascii")  # no control characters in the log
        mark = " inspection" if environ.get("standin.inspection") else ""
        self.server.log.info('%s #%d %s "%s" %s%s', self.address_string(), self.number, user, line, outcome, mark)

    def log(self, type, message, *args) -> None:  # pylint: disable=redefined-builtin
        self.server.log.log(logging.ERROR if type == "error" else logging.INFO, "%s #%d " + message.rstrip("\n"),
                            self.address_string(), self.number, *args)


def _valid_length(values: list[str]) -> bool:
    """Content-Length: absent, or one value (repeated identically at most) of digits only."""
    return len(set(values)) <= 1 and all(value.strip().isdigit() for value in values)


def _drain(stream) -> bool:
    """Read the rest of the request body so that the next request starts at its request line; False when too long."""
    left = MAX_DRAIN
    while left > 0:
        data = stream.read(min(left, 64 * 1024))
        if not data:
            return True
        left -= len(data)
    return not stream.read(1)


class StandinServer(ThreadedWSGIServer):
    """Threaded werkzeug server (a thread per connection); TLS sockets are wrapped lazily so the handshake happens in
    the connection's thread. ``app.connections`` counts the connections; ``log`` is the access and error log."""

    def __init__(self, host: str, port: int, app, tls_context: ssl.SSLContext | None = None,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT, log: logging.Logger | None = None):
        super().__init__(host, port, app, StandinRequestHandler)
        self.idle_timeout = idle_timeout
        self.log = log or LOG
        self.timeout = None  # how long handle_request() waits for a connection (serve_many: 0, it asks on a ready socket)
        self.connections = app.connections
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
            self.ssl_context = tls_context  # makes werkzeug report wsgi.url_scheme https


def make_tls_context(tls_dir: Path, hostnames: list[str]) -> ssl.SSLContext:
    """A throw-away CA and server certificate; the CA goes to DIR/ca.pem, the server's chain and key to DIR/server.pem."""
    import trustme  # pylint: disable=import-outside-toplevel  # only TLS runs need it

    names = list(dict.fromkeys(["localhost", "127.0.0.1", *hostnames]))
    authority = trustme.CA(organization_name="Imagicle Phone Lock stand-in")
    certificate = authority.issue_cert(*names)
    tls_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(tls_dir / "ca.pem", authority.cert_pem.bytes())
    write_atomically(tls_dir / "server.pem", certificate.private_key_and_cert_chain_pem.bytes(), mode=0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # Clients rarely send close_notify before closing a kept-alive connection: that is an ordinary end, not an error.
    context.options |= getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    certificate.configure_cert(context)
    return context


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write then rename, so a reader polling for the file never sees it half-written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def remove_if_ours(path: Path | None, content: bytes) -> None:
    """Remove a port/pid file on exit unless another server has replaced it meanwhile."""
    try:
        if path is not None and path.read_bytes() == content:
            path.unlink()
    except OSError:
        pass


def path_prefix(value: str) -> str:
    prefix = "/" + value.strip("/")
    if prefix == "/":
        raise argparse.ArgumentTypeError("the prefix must name at least one path segment, e.g. /ucx")
    return prefix


def non_negative(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError("must be zero or more seconds")
    return number


def positive(value: str) -> float:
    number = non_negative(value)
    if number == 0:
        raise argparse.ArgumentTypeError("must be more than zero seconds")
    return number


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Stand-in for the Imagicle Phone Lock REST API (tests and demos only).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once ready to serve (atomically)")
    parser.add_argument("--pid-file", type=Path, help="write the server's PID here")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="users and accounts JSON (default: data/users.json beside this file)")
    parser.add_argument("--tls-dir", type=Path, help="serve HTTPS with a generated CA; write DIR/ca.pem and DIR/server.pem")
    parser.add_argument("--tls-hostname", action="append", default=[], metavar="NAME",
                        help="extra certificate name besides localhost and 127.0.0.1 (repeatable)")
    parser.add_argument("--latency", type=non_negative, default=0.0, metavar="SECONDS",
                        help="delay before answering each API request (not the inspection API)")
    parser.add_argument("--idle-timeout", type=positive, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                        help="close a connection on which the client sent nothing (or read nothing) for this long, "
                             "between requests or within one (default: %(default)g, IIS's connectionTimeout)")
    parser.add_argument("--path-prefix", type=path_prefix, metavar="/PREFIX", help="also serve the API under PREFIX/fw/...")
    parser.add_argument("--log-file", type=Path, help="access and error log (default: standard error)")
    parser.add_argument("--ports", type=server_count, metavar="N",
                        help="serve N independent stand-ins from this one process, each on a free port of its own with its own users, "
                             "request log, faults and connection counts; {n} (1 to N) in --data and --log-file gives each its own file")
    parser.add_argument("--ports-file", type=Path, help="with --ports: write the N ports here, one a line, once all of them listen")
    args = parser.parse_args(argv)
    if args.ports is None and args.ports_file is not None:
        parser.error("--ports-file needs --ports N")
    if args.ports is not None and (args.port or args.port_file is not None):
        parser.error("--ports picks N free ports and writes them to --ports-file: leave out --port and --port-file")
    return args


def server_count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more servers")
    return number


def numbered(path: Path | None, number: int) -> Path | None:
    """--data or --log-file of server ``number`` under --ports: {n} replaced by its number (str.format would choke on other braces)."""
    return None if path is None else Path(str(path).replace("{n}", str(number)))


def serve_many(args: argparse.Namespace) -> int:
    """--ports N: N stand-ins in one process (lighter than N processes for a fleet benchmark). Each has its own state
    and its own logger (its own file when --log-file holds {n}); one thread accepts on every port."""
    own_logs = args.log_file is not None and "{n}" in str(args.log_file)
    shared = logging.FileHandler(args.log_file, encoding="utf-8") if args.log_file and not own_logs else logging.StreamHandler()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=[shared])
    try:
        tls_context = make_tls_context(args.tls_dir, args.tls_hostname) if args.tls_dir else None
    except ImportError:
        LOG.error("--tls-dir needs the trustme package (pip install trustme)")
        return 2
    servers = []
    try:
        for number in range(1, args.ports + 1):
            data = numbered(args.data, number)
            try:
                directory = Directory.load(data)
            except (OSError, ValueError) as error:
                LOG.error("server %d: %s %s: %s", number, "cannot read" if isinstance(error, OSError) else "invalid data in", data, error)
                return 2
            log = logging.getLogger(f"standin.{number}")
            if own_logs:
                handler = logging.FileHandler(numbered(args.log_file, number), encoding="utf-8")
                handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
                log.addHandler(handler)
                log.propagate = False
            app = StandinApp(directory, Journal(directory.lock), latency=args.latency, path_prefix=args.path_prefix)
            server = StandinServer(args.host, 0, app, tls_context, idle_timeout=args.idle_timeout, log=log)
            server.timeout = 0  # handle_request() below only runs on a ready socket: it must never wait
            servers.append(server)
            log.info("Phone Lock stand-in %d of %d serving %s://%s:%s (pid %s, %d users)", number, args.ports,
                     "https" if tls_context else "http", args.host, server.port, os.getpid(), len(directory.phones()))
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *dummy: stopping.set())
        pid, ports = str(os.getpid()).encode(), "".join(f"{server.port}\n" for server in servers).encode()
        if args.pid_file:
            write_atomically(args.pid_file, pid)
        if args.ports_file:
            write_atomically(args.ports_file, ports)  # last: its appearance means "ready" (every socket already listens)
        try:
            with selectors.DefaultSelector() as selector:
                for server in servers:
                    selector.register(server.socket, selectors.EVENT_READ, server)
                while not stopping.is_set():
                    for key, dummy in selector.select(0.1):
                        key.data.handle_request()  # accepts one connection, served in a thread of its own
        finally:
            LOG.info("shutting down %d servers", len(servers))
            remove_if_ours(args.ports_file, ports)
            remove_if_ours(args.pid_file, pid)
    finally:
        for server in servers:
            server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.ports is not None:
        return serve_many(args)
    handler = logging.FileHandler(args.log_file, encoding="utf-8") if args.log_file else logging.StreamHandler()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=[handler])

    try:
        directory = Directory.load(args.data)
    except (OSError, ValueError) as error:  # DataError and json.JSONDecodeError are ValueErrors
        LOG.error("%s %s: %s", "cannot read" if isinstance(error, OSError) else "invalid data in", args.data, error)
        return 2
    app = StandinApp(directory, Journal(directory.lock), latency=args.latency, path_prefix=args.path_prefix)
    try:
        tls_context = make_tls_context(args.tls_dir, args.tls_hostname) if args.tls_dir else None
    except ImportError:
        LOG.error("--tls-dir needs the trustme package (pip install trustme)")
        return 2
    server = StandinServer(args.host, args.port, app, tls_context, idle_timeout=args.idle_timeout)

    def stop(*_):
        # shutdown() waits for serve_forever() to return, so it cannot run in this (the serving) thread.
        threading.Thread(target=server.shutdown, name="standin-stop", daemon=True).start()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    pid, port = str(os.getpid()).encode(), str(server.port).encode()
    if args.pid_file:
        write_atomically(args.pid_file, pid)
    if args.port_file:
        write_atomically(args.port_file, port)  # last: its appearance means "ready" (the socket already listens)
    scheme = "https" if tls_context else "http"
    LOG.info("Phone Lock stand-in serving %s://%s:%s (pid %s, %d users)", scheme, args.host, server.port, os.getpid(), len(directory.phones()))
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        LOG.info("shutting down")
        server.server_close()
        remove_if_ours(args.port_file, port)
        remove_if_ours(args.pid_file, pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
