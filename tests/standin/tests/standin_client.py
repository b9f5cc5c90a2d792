"""Helpers for the stand-in's tests: the accounts, a client for its APIs, and starting it as a real subprocess.

Not named conftest so that `from standin_client import ...` is unambiguous when other conftest.py files are collected too.
"""

import contextlib
import json
import sys
from pathlib import Path

import pytest
import requests

STANDIN_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(STANDIN_DIR))
import launch  # noqa: E402  pylint: disable=wrong-import-position

SERVER = launch.SERVER
DATA_FILE = STANDIN_DIR / "data" / "users.json"
API = "/fw/Apps/StoneLock/WebAPI/Phones/"

ADMIN = ("api-admin", "Adm1n:Pässwörd€2020")
COMPLETE = ("api-complete", "Complete-Mgmt-2020")
RND_MANAGER = ("api-rnd-manager", "RnD-Manager-2020")
SALES_MANAGER = ("api-sales-manager", "Sales-Manager-2020")
NOBODY = ("api-nobody", "Nobody-2020")

USERS = json.loads(DATA_FILE.read_text(encoding="utf-8"))["users"]


def utf8_auth(account):
    """requests encodes a str password as Latin-1 ('€' fails); Basic credentials are UTF-8, so pass bytes."""
    return account[0].encode("utf-8"), account[1].encode("utf-8")


def count(users, **fields):
    """How many users match every field case-insensitively, as the stand-in matches."""
    return sum(all(user[key].casefold() == value.casefold() for key, value in fields.items()) for user in users)


class Standin:
    """A running stand-in and small helpers around its API and inspection API."""

    def __init__(self, process, base_url, workdir):
        self.process = process
        self.base_url = base_url
        self.workdir = workdir
        self.verify = True

    def api(self, action, query="", account=ADMIN, method="PUT", prefix="", **kwargs):
        """Call the Phone Lock API; query is sent exactly as given (already URL-encoded)."""
        url = f"{self.base_url}{prefix}{API}{action}" + (f"?{query}" if query else "")
        auth = utf8_auth(account) if account else None
        kwargs.setdefault("verify", self.verify)
        return requests.request(method, url, auth=auth, timeout=kwargs.pop("timeout", 10), **kwargs)

    def inspect(self, method, name, **kwargs):
        kwargs.setdefault("verify", self.verify)
        return requests.request(method, f"{self.base_url}/_standin/{name}", timeout=kwargs.pop("timeout", 10), **kwargs)

    def phones(self):
        return self.inspect("GET", "phones").json()["phones"]

    def locked(self):
        return {user["username"] for user in self.phones() if user["locked"]}

    def log(self):
        return self.inspect("GET", "requests").json()["requests"]

    def fault(self, **spec):
        response = self.inspect("POST", "faults", json=spec)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self):
        assert self.inspect("POST", "reset").status_code == 200

    def connections(self):
        """The connection counts (GET /_standin/connections); this request's own connection is among them."""
        return self.inspect("GET", "connections").json()

    def session(self, account=ADMIN):
        """A requests.Session with the account's credentials and the server's CA: one kept-alive connection."""
        session = _Session(self.verify)
        session.auth = utf8_auth(account) if account else None
        return session

    def api_url(self, action, query=""):
        return f"{self.base_url}{API}{action}" + (f"?{query}" if query else "")

    @property
    def address(self):
        """(host, port) of the server."""
        host, port = self.base_url.rsplit("/", 1)[1].split(":")
        return host, int(port)

    def read_log_file(self):
        return (self.workdir / "server.log").read_text(encoding="utf-8")


class _Session(requests.Session):
    """Passes verify on every request: REQUESTS_CA_BUNDLE in the environment would override a Session's verify."""

    def __init__(self, verify):
        super().__init__()
        self.server_verify = verify

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        kwargs.setdefault("verify", self.server_verify)
        return super().request(method, url, *args, **kwargs)


@contextlib.contextmanager
def running_standin(workdir: Path, *options, scheme="http"):
    """Start server.py on port 0 (launch.start), yield a Standin, then stop it."""
    try:
        process, port = launch.start(workdir, *options, timeout=20)
    except launch.StartError as exc:
        pytest.fail(str(exc))
    try:
        yield Standin(process, f"{scheme}://127.0.0.1:{port}", workdir)
    finally:
        launch.stop(process)
