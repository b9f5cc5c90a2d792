# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the real systemd in a container says about the role's units, and what the stand-in received and holds."""

import ctypes
import json
import os
import select
import stat
import threading
import urllib.request
from datetime import datetime

from elapse import UTC

PREFIX = "imagicle-phonelock"
# A second installation whose prefix extends the first: each one's globs must leave the other's units alone.
SECOND = "imagicle-phonelock-b"
# A fleet of 20 servers (fleet.py), installed beside the other two in the same container.
FLEET = "imagicle-phonelock-fleet"
PREFIXES = (PREFIX, SECOND, FLEET)
UNIT_DIR = "/etc/systemd/system"
SECRET_DIR = "/etc/imagicle-phonelock"
ENV_FILE = f"{SECRET_DIR}/phonelock.env"
SITES_FILE = f"{SECRET_DIR}/office_hours.json"
API_PATH = "/fw/Apps/StoneLock/WebAPI/Phones/"
# The stand-in's field names for the role's filter keys.
FIELDS = {"department": "department", **{f"custom_field{n}": f"customField{n}" for n in range(1, 11)}}


# The on-failure command of the tests: appends its argv, standard input and PHONELOCK_* variables to hook.jsonl beside it.
HOOK_SCRIPT = """import json, os, sys
record = {"argv": sys.argv[1:], "stdin": sys.stdin.read(),
          "env": {key: value for key, value in os.environ.items() if key.startswith("PHONELOCK_")}}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hook.jsonl"), "a", encoding="utf-8") as log:
    log.write(json.dumps(record) + "\\n")
"""


class Failure(AssertionError):
    """An outcome differs from the expected one; the message says both."""


def expect(condition, message):
    if not condition:
        raise Failure(message)


def parse_usec(text):
    """An instant as systemctl show --timestamp=us+utc prints it ('Mon 2026-11-30 05:01:00.123456 UTC'), else None.

    A whole second may come without its fraction.
    """
    if not text or text == "n/a":
        return None
    fraction = ".%f" if "." in text else ""
    return datetime.strptime(text, f"%a %Y-%m-%d %H:%M:%S{fraction} UTC").replace(tzinfo=UTC)


def show(container, units, properties):
    """{unit: {property: value}} from one systemctl show."""
    output = container.run(["systemctl", "show", "--timestamp=us+utc", "-p", ",".join(["Id", *properties]), *units]).stdout
    found = {}
    for block in output.strip().split("\n\n"):
        values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        found[values.get("Id")] = values
    return found


def journal(container, *matches):
    """The journal entries (dicts) that journalctl's matches select."""
    output = container.run(["journalctl", "--no-pager", "-o", "json", *matches]).stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def own(name, prefix):
    """Whether a name that PREFIX-* matches is prefix's, not a longer prefix's."""
    return not any(other != prefix and other.startswith(prefix) and name.startswith(other + "-") for other in PREFIXES)


def failure_script(prefix=PREFIX):
    return f"/usr/local/libexec/{prefix}-failure.py"


def list_timers(container, prefix=PREFIX):
    """{timer: next elapse (UTC datetime or None)} of the prefix's timers, from systemctl list-timers --all."""
    listed = json.loads(container.run(["systemctl", "list-timers", "--all", "--output=json", f"{prefix}-*"]).stdout)
    return {entry["unit"]: (datetime.fromtimestamp(entry["next"] / 1e6, UTC) if entry["next"] else None)
            for entry in listed if own(entry["unit"], prefix)}


def list_units(container, prefix=PREFIX):
    """The prefix's units systemd has loaded (any state)."""
    listed = json.loads(container.run(["systemctl", "list-units", "--all", "--output=json", f"{prefix}-*"]).stdout)
    return sorted(entry["unit"] for entry in listed if own(entry["unit"], prefix))


def unit_files(container, prefix=PREFIX):
    """The prefix's files anywhere under /etc/systemd (unit files and the enablement links), relative to it."""
    base = container.path("/etc/systemd")
    return sorted(str(path.relative_to(base)) for path in base.rglob(f"{prefix}-*") if own(path.name, prefix))


def check_installed(container, timers, say):
    """The units of {timer unit name (no suffix): next elapse} are exactly those installed, loaded, enabled and
    waiting, systemd-analyze verify finds nothing in them, and list-timers shows each one's NEXT as intended."""
    names = sorted(timers)
    expected_files = sorted([f"system/{name}.{kind}" for name in names for kind in ("service", "timer")]
                            + [f"system/timers.target.wants/{name}.timer" for name in names] + [f"system/{PREFIX}-failure@.service"])
    found_files = unit_files(container)
    expect(found_files == expected_files, f"unit files under /etc/systemd: {found_files}, expected {expected_files}")
    states = show(container, [f"{name}.{kind}" for name in names for kind in ("timer", "service")],
                  ["LoadState", "UnitFileState", "ActiveState", "SubState"])
    for name in names:
        timer, service = states[f"{name}.timer"], states[f"{name}.service"]
        got = (timer["LoadState"], timer["UnitFileState"], timer["ActiveState"], timer["SubState"], service["LoadState"])
        expect(got == ("loaded", "enabled", "active", "waiting", "loaded"),
               f"{name}: timer load/file/active/sub state and service load state are {got}, "
               "expected ('loaded', 'enabled', 'active', 'waiting', 'loaded')")
    expect(container.path(failure_script()).is_file(), f"no failure script {failure_script()}")
    paths = [f"{UNIT_DIR}/{name}.{kind}" for name in names for kind in ("timer", "service")] + [f"{UNIT_DIR}/{PREFIX}-failure@.service"]
    verified = container.run(["systemd-analyze", "verify", "--man=no", *paths], check=False)
    expect(verified.returncode == 0 and not verified.stdout.strip() and not verified.stderr.strip(),
           f"systemd-analyze verify of the installed units (exit {verified.returncode}):\n{verified.stdout}{verified.stderr}")
    listed = list_timers(container)
    wanted = {f"{name}.timer": instant for name, instant in timers.items()}
    expect(listed == wanted, "systemctl list-timers NEXT differs:\n" + "\n".join(
        f"  {unit}: listed {_utc(listed.get(unit))}, intended {_utc(wanted.get(unit))}"
        for unit in sorted(set(listed) | set(wanted)) if listed.get(unit) != wanted.get(unit)))
    text = container.run(["systemctl", "list-timers", "--all", "--no-pager", f"{PREFIX}-*"]).stdout
    say("units loaded, enabled and verified clean; list-timers NEXT as intended:\n" + text.rstrip())


def check_removed(container, gone, say, prefix=PREFIX, files=(SITES_FILE, ENV_FILE)):
    """Nothing of the prefix is left: no file under /etc/systemd, no loaded unit (no failed run either), no listed
    timer, no failure script, sites or credentials file; systemd knows none of the gone units."""
    expect(unit_files(container, prefix) == [], f"unit files left under /etc/systemd: {unit_files(container, prefix)}")
    expect(list_units(container, prefix) == [], f"units still loaded: {list_units(container, prefix)}")
    expect(list_timers(container, prefix) == {}, f"timers still listed: {sorted(list_timers(container, prefix))}")
    for path in (*files, failure_script(prefix)):
        expect(not container.path(path).exists(), f"{path} is still there")
    units = [f"{name}.{kind}" for name in gone for kind in ("timer", "service")] + [f"{prefix}-failure@{gone[0]}.service.service"]
    states = show(container, units, ["LoadState"])
    loaded = sorted(unit for unit, values in states.items() if values.get("LoadState") != "not-found")
    expect(not loaded, f"systemd still finds {loaded}")
    say(f"removed: no unit file, loaded unit or timer of {prefix}-*, no failure script, sites file or credentials file")


def _utc(instant):
    return instant.strftime("%Y-%m-%d %H:%M:%S UTC") if instant else "-"


class SecretWatch(threading.Thread):
    """Watches the credentials file and its folder from the host while the role runs: neither may ever be open to
    group or others, not even while it is being created.

    inotify wakes the watch on every creation, rename and mode change in /etc and in the folder, so a mode that holds
    for a few milliseconds is still seen; a stat every 5 ms covers what inotify cannot report.
    """

    EVENTS = 0x00000004 | 0x00000008 | 0x00000080 | 0x00000100  # IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE

    def __init__(self, container):
        super().__init__(daemon=True)
        self.paths = (container.path(SECRET_DIR), container.path(ENV_FILE))
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.inotify = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        expect(self.inotify >= 0, f"inotify_init1: {os.strerror(ctypes.get_errno())}")
        self.watching_folder = False
        self._watch(self.paths[0].parent)
        self.stopped = threading.Event()
        self.seen = set()
        self.exposed = []
        self.polls = 0

    def _watch(self, path):
        return self.libc.inotify_add_watch(self.inotify, bytes(path), self.EVENTS) >= 0

    def run(self):
        try:
            while not self.stopped.is_set():
                if not self.watching_folder:
                    self.watching_folder = self._watch(self.paths[0])
                self._look()
                if select.select([self.inotify], [], [], 0.005)[0]:
                    try:
                        os.read(self.inotify, 65536)
                    except BlockingIOError:
                        pass
        finally:
            os.close(self.inotify)

    def _look(self):
        self.polls += 1
        for path in self.paths:
            try:
                info = os.lstat(path)
            except OSError:
                continue
            mode = stat.S_IMODE(info.st_mode)
            self.seen.add((path.name, f"{mode:04o}"))
            if mode & 0o077 or info.st_uid != 0:
                self.exposed.append(f"{path.name} {mode:04o} uid {info.st_uid}")

    def finish(self):
        """Stop watching; returns (what was seen, the exposures: empty when the credentials were never open)."""
        self.stopped.set()
        self.join()
        seen = ", ".join(sorted(f"{name} {mode}" for name, mode in self.seen)) or "neither present"
        return f"{self.polls} looks saw {seen}", sorted(set(self.exposed))


def check_secret_at_rest(container):
    folder, env = os.lstat(container.path(SECRET_DIR)), os.lstat(container.path(ENV_FILE))
    expect(stat.S_IMODE(folder.st_mode) & 0o077 == 0 and folder.st_uid == 0,
           f"{SECRET_DIR} is {stat.S_IMODE(folder.st_mode):04o} uid {folder.st_uid}: expected 0700 or stricter, root's")
    expect(stat.S_IMODE(env.st_mode) == 0o600 and env.st_uid == 0,
           f"{ENV_FILE} is {stat.S_IMODE(env.st_mode):04o} uid {env.st_uid}: expected 0600, root's")


class StandIn:
    """The stand-in's inspection API (tests/standin/README.md)."""

    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}"

    def _call(self, method, path):
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.load(reply)

    def reset(self):
        self._call("POST", "/_standin/reset")

    def phones(self):
        return {phone["username"]: phone for phone in self._call("GET", "/_standin/phones")["phones"]}

    def requests(self):
        return self._call("GET", "/_standin/requests")["requests"]


def matches(phone, selection):
    """Whether a phone matches a selection of the role's filter keys, as the stand-in matches (casefold, AND)."""
    return all(phone[FIELDS[key]].casefold() == str(value).casefold() for key, value in selection.items())


def request_key(entry):
    """(action, decoded filters) of a logged request, comparable with the expected ones."""
    return entry["path"].rsplit("/", 1)[-1], tuple(sorted(tuple(pair) for pair in entry["args"]))


def check_applied(entry, initial, username, where=""):
    """A logged request was a PUT that username's account got applied (200), matching as many phones of initial
    (username: phone) as its filters select."""
    filters = dict(entry["args"])
    count = sum(all(phone[field].casefold() == value.casefold() for field, value in filters.items()) for phone in initial.values())
    got = (entry["method"], entry["status"], entry["user"], entry["matched"])
    expect(got == ("PUT", 200, username, count), f"{where}request {entry['seq']} {entry['path']}?{entry['query_string']}: method, "
                                                 f"status, user, matched are {got}, expected {('PUT', 200, username, count)}")


def selection_key(action, selection):
    return action, tuple(sorted((FIELDS[key], str(value)) for key, value in selection.items()))
