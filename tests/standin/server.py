"""Command line entry point of the Imagicle Phone Lock stand-in: python tests/standin/server.py --help"""

import argparse
import logging
import math
import os
import signal
import ssl
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run by path from any directory: the sibling modules must be importable.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# pylint: disable=wrong-import-position
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402

from app import StandinApp  # noqa: E402
from directory import Directory  # noqa: E402
from journal import Journal  # noqa: E402

LOG = logging.getLogger("standin")
DEFAULT_DATA = HERE / "data" / "users.json"


class StandinRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with TLS handshakes off the accept loop, fault-aware drops and a plain access log."""

    timeout = 60  # a silent client must not pin a thread forever

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            # The handshake runs here, in the request's own thread, so a slow or failing client cannot block accept().
            try:
                self.connection.do_handshake()
            except OSError as error:  # ssl.SSLError is an OSError
                LOG.info("%s TLS handshake failed: %s", self.client_address[0], error)
                self.close_connection = True
                return
        super().handle()

    def make_environ(self):
        environ = super().make_environ()
        # The target as sent, for app.py: self.path (hence REQUEST_URI) has a leading '//' already reduced to '/'.
        words = getattr(self, "requestline", "").split()
        if len(words) >= 2:
            environ["standin.target"] = words[1].encode("latin-1")
        return environ

    def connection_dropped(self, error, environ=None) -> None:
        # A reset/empty fault closed the socket on purpose: never read another request from it.
        self.close_connection = True
        if isinstance(error, ConnectionAbortedError):
            self._access(f"dropped by {error}")

    def log_request(self, code="-", size="-") -> None:  # pylint: disable=unused-argument
        self._access(code)

    def _access(self, outcome) -> None:
        # Only the request line (which never holds credentials) and the authenticated account's name.
        user = (getattr(self, "environ", None) or {}).get("standin.user") or "-"
        line = getattr(self, "requestline", "").encode("unicode_escape").decode("ascii")  # no control characters in the log
        LOG.info('%s %s "%s" %s', self.address_string(), user, line, outcome)

    def log(self, type, message, *args) -> None:  # pylint: disable=redefined-builtin
        LOG.log(logging.ERROR if type == "error" else logging.INFO, "%s " + message.rstrip("\n"), self.address_string(), *args)


class StandinServer(ThreadedWSGIServer):
    """Threaded werkzeug server; TLS sockets are wrapped lazily so the handshake happens in the worker thread."""

    def __init__(self, host: str, port: int, app, tls_context: ssl.SSLContext | None = None):
        super().__init__(host, port, app, StandinRequestHandler)
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
    parser.add_argument("--path-prefix", type=path_prefix, metavar="/PREFIX", help="also serve the API under PREFIX/fw/...")
    parser.add_argument("--log-file", type=Path, help="access and error log (default: standard error)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
    server = StandinServer(args.host, args.port, app, tls_context)

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
