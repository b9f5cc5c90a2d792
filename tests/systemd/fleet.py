# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet part of the scenario: 20 UCX Suite servers installed as one fleet, whose transitions one firing serves.

It runs after the per-site scenario, in the same container (its prefix extends the first one's), against 20 stand-ins
served by one process on 20 ports (README.md beside this file).
"""

import json
import math
import os
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import checks
import elapse
import roots
from checks import FLEET, Failure, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "standin"))
import launch  # noqa: E402  pylint: disable=wrong-import-position

SERVERS = 20
SERVER_SCRIPT = Path(__file__).resolve().parents[1] / "standin" / "server.py"
# Not the first scenario's account: a fleet password found in a process's environment can only come from the fleet.
USERNAME = "api-complete"
PASSWORD = "Complete-Mgmt-2020"
# The one server whose credentials are wrong: its runs fail (HTTP 401), the other 19 must not notice.
BAD = "ucx-07"
WRONG_PASSWORD = "Fl33t:Wr0ng-2020"
FLEET_DIR = f"/etc/imagicle-phonelock/{FLEET}"
# Inside the container: the fleet's inventory and its failure hook.
TEST_DIR = "/opt/phonelock-test/fleet"
STATUS_DIR = f"/var/lib/{FLEET}"
# Two zones whose clocks always agree, so every site of every server fires at the same UTC instants; the second pair
# serves when the first's local midnight falls between the transitions.
ZONE_PAIRS = (("Europe/Rome", "Europe/Paris"), ("Asia/Tokyo", "Asia/Seoul"))
# Every server's two sites select phones no other site selects (site x department), so a request that reached the
# wrong stand-in cannot pass for the right one.
PLACES = ("Milano", "Roma", "New York", "Bangalore", "Sydney")
DEPARTMENTS = ("R&D", "Sales", "Support", "IT", "Finance", "Amministrazione", "Qualità", "Logística", "Human Resources",
               "Relações Públicas")
# The install of 20 servers takes about 60 s on a 2-core machine (more beside other tests); the opening is the first
# whole minute at least this far ahead (further on a second try). The closing comes a minute later: one run covers 20
# servers, 5 at a time, in about 20 s.
LEAD = 90
GAP = timedelta(minutes=1)
# The lock and unlock services are distinct units: a slow opening run never stops the closing one from starting.
RUN_TIMEOUT = 300
# As for the per-site timers (AccuracySec=1s).
FIRE_DELAY_LIMIT = 2.0


def server_name(number):
    return f"ucx-{number:02d}"


def selection(index):
    return {"custom_field1": PLACES[index // len(DEPARTMENTS)], "department": DEPARTMENTS[index % len(DEPARTMENTS)]}


def make_sites(number, first, second):
    """Server number's two sites, one in each zone of the pair, opening at first and closing at second."""
    zones = next((pair for pair in ZONE_PAIRS
                  if first.astimezone(ZoneInfo(pair[0])).date() == second.astimezone(ZoneInfo(pair[0])).date()), None)
    expect(zones is not None, f"{first} and {second} cross local midnight in every zone pair {ZONE_PAIRS}")
    return [{"name": f"s{number:02d}-{zone.rsplit('/', 1)[1].lower()}", "timezone": zone, "days": elapse.DAYS,
             "opens": elapse.local_hhmm(first, zone), "closes": elapse.local_hhmm(second, zone),
             "selections": [selection(2 * (number - 1) + index)]} for index, zone in enumerate(zones)]


def start_standins(workdir, timeout=30.0):
    """One stand-in process serving SERVERS independent stand-ins, each on a port of its own; returns (process, ports)."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports_file = workdir / "ports"
    command = [sys.executable, str(SERVER_SCRIPT), "--ports", str(SERVERS), "--ports-file", str(ports_file),
               "--pid-file", str(workdir / "pid"), "--log-file", str(workdir / "server-{n}.log")]
    with open(workdir / "stderr", "wb") as stderr:
        process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)  # pylint: disable=consider-using-with
    deadline = time.monotonic() + timeout
    while not ports_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            launch.stop(process)
            raise Failure(f"the fleet's stand-ins did not start (rc={process.poll()}): {(workdir / 'stderr').read_text()}")
        time.sleep(0.05)
    return process, [int(port) for port in ports_file.read_text(encoding="ascii").split()]


class EnvironmentWatch(threading.Thread):
    """Reads the environment of every process of the container while the fleet's runs go: no password may be in one."""

    def __init__(self, container, secrets):
        super().__init__(daemon=True)
        self.namespace = os.stat(f"/proc/{container.leader}/ns/pid").st_ino
        self.secrets = [secret.encode() for secret in secrets]
        self.stopped = threading.Event()
        self.seen = set()
        self.exposed = set()

    def run(self):
        while not self.stopped.wait(0.2):
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    if os.stat(f"/proc/{entry}/ns/pid").st_ino != self.namespace:
                        continue
                    with open(f"/proc/{entry}/environ", "rb") as handle:
                        environment = handle.read()
                    with open(f"/proc/{entry}/cmdline", "rb") as handle:
                        command = handle.read().replace(b"\0", b" ")[:120].decode(errors="replace")
                except OSError:
                    continue
                self.seen.add(entry)
                if any(secret in environment for secret in self.secrets):
                    self.exposed.add(f"{entry} {command}")

    def finish(self):
        self.stopped.set()
        self.join()
        return len(self.seen), sorted(self.exposed)


class Fleet:
    """The fleet part, run after the per-site scenario in its container; run() returns its figures."""

    def __init__(self, container, ports, test_dir, workdir, say):
        self.lead = LEAD
        self.container, self.test_dir, self.workdir = container, test_dir, workdir
        self.say = lambda text: say(f"fleet: {text}")
        self.standins = {server_name(number): checks.StandIn(port) for number, port in enumerate(ports, 1)}
        self.ports = dict(zip(self.standins, ports))
        self.figures = {}

    def run(self):
        try:
            self._run()
        except Failure as exc:
            raise Failure(f"fleet: {exc}") from None
        return self.figures

    def playbook(self, step, *args):
        started = time.monotonic()
        result = self.container.run(["ansible-playbook", "imagicle.phonelock.install_timers", "-i", f"{TEST_DIR}/inventory.json",
                                     "-e", "office_hours_hosts=fleet", *args], check=False, timeout=600)
        (self.workdir / f"fleet-{step}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        expect(result.returncode == 0, f"install_timers ({step}) of the fleet exited {result.returncode}; the end of its output:\n{tail}")
        return time.monotonic() - started

    def _run(self):
        (self.test_dir / "fleet").mkdir()
        (self.test_dir / "fleet" / "hook.py").write_text(checks.HOOK_SCRIPT, encoding="utf-8")
        lead = self.lead
        for attempt in (1, 2):
            for standin in self.standins.values():
                standin.reset()
            first = datetime.fromtimestamp(math.ceil((time.time() + lead) / 60) * 60, elapse.UTC)
            second = first + GAP
            sites = {server: make_sites(number, first, second) for number, server in enumerate(self.standins, 1)}
            self.write_inventory(sites)
            took = self.playbook("install")
            self.say(f"{SERVERS} servers, {2 * SERVERS} sites in {sites[BAD][0]['timezone']} and {sites[BAD][1]['timezone']} "
                     f"opening {first:%H:%M} and closing {second:%H:%M} UTC: installed in {took:.1f} s")
            if first.timestamp() - time.time() > 5:
                break
            expect(attempt == 1, f"the fleet's install took {took:.0f} s, again too slow for the opening")
            self.say(f"too late for {first:%H:%M:%S} UTC: removing the fleet and installing it again further ahead")
            self.playbook("install-again", "-e", "office_hours_timers_state=absent")
            # A run of the missed opening may still go on: let it end, forget it (it fails, for BAD) and start the hook's
            # record afresh.
            deadline = time.time() + RUN_TIMEOUT
            while self.running() and time.time() < deadline:
                time.sleep(0.5)
            self.container.run(["systemctl", "reset-failed", f"{FLEET}-*"], check=False)
            (self.test_dir / "fleet" / "hook.jsonl").unlink(missing_ok=True)
            lead = self.lead + 2 * took
        self.figures["install"] = took
        units = self.check_installed(sites, first, second)
        initial = {server: standin.phones() for server, standin in self.standins.items()}
        states = dict(initial)
        expect(all(not standin.requests() for standin in self.standins.values()), "installing the fleet sent requests")
        watch = EnvironmentWatch(self.container, [PASSWORD, WRONG_PASSWORD])
        watch.start()
        try:
            for instant, transition in ((first, "unlock"), (second, "lock")):
                unit = units[transition]
                delay, ran = self.wait_run(unit, instant)
                self.figures[transition] = (unit, instant, delay, ran)
                self.check_failure(unit, transition, instant, sites[BAD])
                action = transition.capitalize()
                for server, standin in self.standins.items():
                    # Each action is one transition's (by seq, the closing run may already have begun on a busy machine).
                    entries = [entry for entry in standin.requests() if entry["path"].rsplit("/", 1)[-1] == action]
                    self.check_requests(server, entries, action, sites[server], initial[server], instant)
                    if server != BAD:
                        states[server] = apply(states[server], action, sites[server])
                    wrong = [name for name, phone in standin.phones().items() if phone["locked"] != states[server][name]["locked"]]
                    # After a slow opening run the closing one may have begun: only the closing's states are sure then.
                    late = transition == "unlock" and time.time() >= second.timestamp()
                    expect(not wrong or late, f"{server}: after the {transition} run, phones in the wrong state: {wrong[:12]}")
                self.say(f"{transition} ({instant:%H:%M:%S} UTC): {unit}.service fired +{delay:.3f} s, once, ran {ran:.1f} s "
                         f"over {SERVERS} servers; each good server's stand-in received exactly its 2 requests, {BAD}'s 401s")
        finally:
            scanned, exposed = watch.finish()
        expect(not exposed, f"a fleet password was in the environment of: {exposed}")
        self.say(f"no password in the environment of any of the {scanned} processes seen during the runs")
        self.check_invocations(units)
        self.check_status(sites)
        self.check_no_password(units)

        took = self.playbook("remove", "-e", "office_hours_timers_state=absent")
        checks.check_removed(self.container, [units["lock"], units["unlock"]], self.say, FLEET, (FLEET_DIR,))
        left = sorted(path.name for path in self.container.path(STATUS_DIR).glob("*")) if self.container.path(STATUS_DIR).exists() else []
        expect(not left, f"status files left in {STATUS_DIR}: {left}")
        expect(not self.container.path(f"/etc/systemd/system/{FLEET}-failure@.service").exists(), "the fleet's failure unit is left")
        self.figures["remove"] = took
        self.say(f"removed in {took:.1f} s: no unit, timer, failure unit or script, fleet folder or status file left")

    def running(self):
        """The fleet's units that systemd is running (a run, or its failure unit)."""
        listed = json.loads(self.container.run(["systemctl", "list-units", "--all", "--output=json", f"{FLEET}-*"]).stdout)
        return [entry["unit"] for entry in listed if entry["active"] in ("active", "activating", "deactivating")
                and not entry["unit"].endswith(".timer")]

    def write_inventory(self, sites):
        hosts = {}
        for server, port in self.ports.items():
            hosts[server] = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                             "office_hours_sites": sites[server],
                             "office_hours_timers_credentials": {"url": f"http://127.0.0.1:{port}", "username": USERNAME,
                                                                 "password": WRONG_PASSWORD if server == BAD else PASSWORD}}
        hook = [f"{roots.VENV}/bin/python", f"{TEST_DIR}/hook.py", "fleet"]
        inventory = {"fleet": {"hosts": hosts, "vars": {"office_hours_timers_fleet": True, "office_hours_timers_prefix": FLEET,
                                                        "office_hours_timers_on_failure": hook}}}
        (self.test_dir / "fleet" / "inventory.json").write_text(json.dumps(inventory, indent=1), encoding="utf-8")

    def check_installed(self, sites, first, second):
        """Exactly one lock and one unlock unit for the 40 sites, enabled, verified, due at the instants; each server's
        sites and connection in its own closed folder; returns {transition: unit name}."""
        files = checks.unit_files(self.container, FLEET)
        units = {}
        for transition in ("lock", "unlock"):
            names = sorted({Path(name).stem for name in files if Path(name).name.startswith(f"{FLEET}-{transition}-")})
            expect(len(names) == 1, f"the fleet's {transition} units: {names}, expected exactly one for the {2 * SERVERS} sites")
            units[transition] = names[0]
        expected = sorted([f"system/{unit}.{kind}" for unit in units.values() for kind in ("service", "timer")]
                          + [f"system/timers.target.wants/{unit}.timer" for unit in units.values()] + [f"system/{FLEET}-failure@.service"])
        expect(files == expected, f"the fleet's files under /etc/systemd: {files}, expected {expected}")
        paths = [f"{checks.UNIT_DIR}/{name}" for name in ([f"{unit}.{kind}" for unit in units.values() for kind in ("timer", "service")]
                                                          + [f"{FLEET}-failure@.service"])]
        verified = self.container.run(["systemd-analyze", "verify", "--man=no", *paths], check=False)
        expect(verified.returncode == 0 and not (verified.stdout + verified.stderr).strip(),
               f"systemd-analyze verify of the fleet's units (exit {verified.returncode}):\n{verified.stdout}{verified.stderr}")
        listed = checks.list_timers(self.container, FLEET)
        wanted = {f"{units['unlock']}.timer": first, f"{units['lock']}.timer": second}
        expect(listed == wanted, f"the fleet's timers listed: {listed}, expected {wanted}")
        states = checks.show(self.container, [f"{unit}.timer" for unit in units.values()], ["UnitFileState", "ActiveState", "SubState"])
        for unit in units.values():
            got = tuple(states[f"{unit}.timer"][key] for key in ("UnitFileState", "ActiveState", "SubState"))
            expect(got == ("enabled", "active", "waiting"), f"{unit}.timer is {got}")
        for transition, unit in units.items():
            run = json.loads(self.container.path(f"{FLEET_DIR}/runs/{unit}.json").read_text(encoding="utf-8"))
            wanted_run = {"office_hours_hosts": ",".join(sorted(sites)),
                          "office_hours_limit": sorted(site["name"] for own in sites.values() for site in own),
                          "office_hours_limit_by_server": {server: sorted(site["name"] for site in own) for server, own in sites.items()}}
            expect(run == wanted_run, f"the run file of {unit}: {run}, expected {wanted_run}")
            service = self.container.path(f"{checks.UNIT_DIR}/{unit}.service").read_text(encoding="utf-8")
            expect(f"-e @{FLEET_DIR}/runs/{unit}.json" in service and "--forks 5" in service and "EnvironmentFile" not in service,
                   f"{unit}.service runs: {[line for line in service.splitlines() if line.startswith('ExecStart')]}")
        modes = {FLEET_DIR: 0o700, f"{FLEET_DIR}/inventory": 0o700, f"{FLEET_DIR}/inventory/host_vars": 0o700, f"{FLEET_DIR}/runs": 0o700}
        for server, own in sites.items():
            folder = f"{FLEET_DIR}/inventory/host_vars/{server}"
            modes.update({folder: 0o700, f"{folder}/connection.json": 0o600, f"{folder}/sites.json": 0o600})
            connection = json.loads(self.container.path(f"{folder}/connection.json").read_text(encoding="utf-8"))
            expect(connection == {"office_hours_url": f"http://127.0.0.1:{self.ports[server]}", "office_hours_username": USERNAME,
                                  "office_hours_password": WRONG_PASSWORD if server == BAD else PASSWORD},
                   f"{folder}/connection.json is not {server}'s connection")
            written = json.loads(self.container.path(f"{folder}/sites.json").read_text(encoding="utf-8"))
            expect(written["office_hours_sites"] == own and written["office_hours_status_path"] == f"{STATUS_DIR}/{server}.json",
                   f"{folder}/sites.json: {written}")
        wrong = []
        for path, mode in modes.items():
            info = os.lstat(self.container.path(path))
            if stat.S_IMODE(info.st_mode) != mode or info.st_uid != 0:
                wrong.append(f"{path} {stat.S_IMODE(info.st_mode):04o} uid {info.st_uid}, expected {mode:04o} root's")
        expect(not wrong, "the fleet's folder is open to others: " + "; ".join(wrong))
        self.say(f"one timer and service per transition for the {2 * SERVERS} sites ({units['unlock']}, {units['lock']}), "
                 f"enabled, verified, due as intended; {SERVERS} connection.json files 0600 in 0700 folders")
        return units

    def wait_run(self, unit, instant):
        """Wait for unit's run of instant to end; it must have failed (BAD's 401) with exit status 2, never restarted.
        Returns (fire delay, run seconds)."""
        time.sleep(max(0.0, instant.timestamp() - time.time()))
        deadline = instant.timestamp() + RUN_TIMEOUT
        while True:
            info = checks.show(self.container, [f"{unit}.service", f"{unit}.timer"],
                               ["ActiveState", "Result", "ExecMainStatus", "NRestarts", "LastTriggerUSec", "InactiveExitTimestamp",
                                "ExecMainStartTimestamp", "ExecMainExitTimestamp"])
            service, timer = info[f"{unit}.service"], info[f"{unit}.timer"]
            started, ended = checks.parse_usec(service["ExecMainStartTimestamp"]), checks.parse_usec(service["ExecMainExitTimestamp"])
            if service["ActiveState"] in ("failed", "inactive") and started and ended and started >= instant:
                break
            expect(time.time() < deadline, f"{RUN_TIMEOUT} s after {instant:%H:%M:%S} UTC {unit}.service had not run or not "
                                           f"ended: {service}")
            time.sleep(0.5)
        got = (service["ActiveState"], service["Result"], service["ExecMainStatus"], service["NRestarts"])
        expect(got == ("failed", "exit-code", "2", "0"),
               f"{unit}.service ended {got}, expected ('failed', 'exit-code', '2', '0'): {BAD} fails, the others succeed")
        triggered = checks.parse_usec(timer["LastTriggerUSec"])
        expect(triggered and triggered >= instant, f"{unit}.timer last triggered {triggered}, due {instant}")
        delay = (checks.parse_usec(service["InactiveExitTimestamp"]) - instant).total_seconds()
        expect(0 <= delay <= FIRE_DELAY_LIMIT, f"{unit}.service started +{delay:.3f} s after {instant:%H:%M:%S} UTC")
        return delay, (ended - started).total_seconds()

    def check_failure(self, unit, transition, instant, bad_sites):
        """The failure unit logged one err entry naming BAD and its two sites, and ran the hook once with them."""
        # OnFailure=PREFIX-failure@%n.service: the instance is the failed unit's whole name.
        failure = f"{FLEET}-failure@{unit}.service.service"
        hook_log = self.test_dir / "fleet" / "hook.jsonl"
        deadline = time.time() + 60
        while True:
            records = [json.loads(line) for line in hook_log.read_text(encoding="utf-8").splitlines()] if hook_log.exists() else []
            records = [record for record in records if record["env"].get("PHONELOCK_UNIT") == f"{unit}.service"]
            entries = checks.journal(self.container, f"--since=@{int(instant.timestamp())}", f"_SYSTEMD_UNIT={failure}")
            state = checks.show(self.container, [failure], ["ActiveState"])[failure]["ActiveState"]
            if records and entries and state not in ("active", "activating"):
                break
            expect(time.time() < deadline, f"{failure} had not run: state {state}, hook records {records}, journal {entries}")
            time.sleep(0.5)
        messages = [(entry.get("PRIORITY"), entry.get("SYSLOG_IDENTIFIER"), entry.get("MESSAGE")) for entry in entries]
        expect(len(entries) == 1 and messages[0][:2] == ("3", FLEET), f"{failure} logged {messages}, expected one entry at err")
        message = messages[0][2]
        names = sorted(site["name"] for site in bad_sites)
        head = f"{FLEET}: the {transition} run of sites "
        tail = f" on servers {BAD} failed ({unit}.service, exit status 2): {BAD}: "
        named = message[len(head):message.find(tail)].split(", ") if message.startswith(head) and tail in message else []
        expect(sorted(named) == names and "HTTP 401" in message and PASSWORD not in message and WRONG_PASSWORD not in message,
               f"{failure}'s entry: {message}; expected it to name sites {names} on servers {BAD} and HTTP 401")
        expect(len(records) == 1, f"the fleet's hook ran {len(records)} times for {unit}.service")
        env = records[0]["env"]
        got = (records[0]["argv"], records[0]["stdin"], env["PHONELOCK_SERVERS"], sorted(env["PHONELOCK_SITES"].split(",")),
               env["PHONELOCK_TRANSITION"], env["PHONELOCK_EXIT_STATUS"], env["PHONELOCK_MESSAGE"])
        expect(got == (["fleet"], message + "\n", BAD, names, transition, "2", message),
               f"the fleet's hook got {records[0]}")

    def check_requests(self, server, entries, action, sites, initial, instant):
        """server's stand-in received exactly its own sites' requests of this transition; BAD's were refused."""
        wanted = sorted(checks.selection_key(action, site["selections"][0]) for site in sites)
        got = sorted(checks.request_key(entry) for entry in entries)
        early = [entry["seq"] for entry in entries if entry["received"] < instant.timestamp()]
        expect(not early, f"{server}: requests {early} arrived before {instant:%H:%M:%S} UTC")
        if server == BAD:
            expect(entries and all((entry["status"], entry["user"]) == (401, None) for entry in entries)
                   and not Counter(got) - Counter(wanted),
                   f"{server} (wrong password) received {[(entry['status'], checks.request_key(entry)) for entry in entries]}, "
                   f"expected only 401s for its own {wanted}")
            return
        unexpected, missing = Counter(got) - Counter(wanted), Counter(wanted) - Counter(got)
        expect(got == wanted, f"{server}'s stand-in: unexpected {sorted(unexpected.elements())}, missing {sorted(missing.elements())}")
        for entry in entries:
            checks.check_applied(entry, initial, USERNAME, f"{server}: ")

    def check_invocations(self, units):
        """Each service ran exactly once over both transitions: one invocation ID in all its journal entries."""
        for unit in units.values():
            invocation = checks.show(self.container, [f"{unit}.service"], ["InvocationID"])[f"{unit}.service"]["InvocationID"]
            # The run's own output (_SYSTEMD_UNIT) and systemd's lines about it (UNIT): Starting, Failed, ...
            ids = {entry.get("_SYSTEMD_INVOCATION_ID") or entry.get("INVOCATION_ID")
                   for match in (f"_SYSTEMD_UNIT={unit}.service", f"UNIT={unit}.service") for entry in checks.journal(self.container, match)}
            ids.discard(None)
            expect(invocation and ids == {invocation}, f"{unit}.service ran as invocations {sorted(map(str, ids))}, expected one ({invocation})")
        self.say(f"each of the {len(units)} services ran exactly once (one invocation ID in all its journal entries)")

    def check_status(self, sites):
        """Every server's status and metrics files, written by the one run, without its password."""
        for server, own in sites.items():
            status = json.loads(self.container.path(f"{STATUS_DIR}/{server}.json").read_text(encoding="utf-8"))
            metrics = self.container.path(f"{STATUS_DIR}/{server}.prom").read_text(encoding="utf-8")
            outcome = "failed" if server == BAD else "applied"
            got = (status.get("server"), sorted((site["name"], site["outcome"]) for site in status.get("sites", [])))
            expected = (server, sorted((site["name"], outcome) for site in own))
            expect(got == expected, f"{STATUS_DIR}/{server}.json: {got}, expected {expected}")
            text = json.dumps(status) + metrics
            expect(PASSWORD not in text and WRONG_PASSWORD not in text, f"a password is in {server}'s status or metrics")
        self.say(f"status and metrics files for all {SERVERS} servers, {BAD}'s sites failed, the others' applied")

    def check_no_password(self, units):
        paths = [f"{checks.UNIT_DIR}/{unit}.{kind}" for unit in units.values() for kind in ("timer", "service")]
        paths += [f"{checks.UNIT_DIR}/{FLEET}-failure@.service", checks.failure_script(FLEET), f"{FLEET_DIR}/inventory/hosts.json"]
        paths += [f"{FLEET_DIR}/runs/{unit}.json" for unit in units.values()]
        paths += [f"{FLEET_DIR}/inventory/host_vars/{server}/sites.json" for server in self.standins]
        for path in paths:
            text = self.container.path(path).read_text(encoding="utf-8")
            expect(PASSWORD not in text and WRONG_PASSWORD not in text, f"a fleet password is in {path}")
        text = self.container.run(["journalctl", "--no-pager", "-o", "json"]).stdout
        expect(PASSWORD not in text and WRONG_PASSWORD not in text, "a fleet password is in the journal")
        self.say(f"no password in the {len(paths)} unit, run, inventory and sites files, nor in the journal")


def apply(states, action, sites):
    states = dict(states)
    for site in sites:
        for username, phone in states.items():
            if checks.matches(phone, site["selections"][0]):
                states[username] = {**phone, "locked": action == "Lock"}
    return states
