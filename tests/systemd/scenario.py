# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One Debian release: boot a copy of its root and put the role's timers through its systemd.

Install timers for sites whose transitions are one and two minutes ahead, watch them fire against a stand-in server
on the host, reinstall with one site dropped and one renamed, then remove everything (README.md beside this file).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import checks
import elapse
import fleet
import roots
from checks import PREFIX, SECOND, Failure, expect
from container import Container

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "standin"))
import launch  # noqa: E402  pylint: disable=wrong-import-position

# The stand-in's admin: its password holds ':' and '€', so the credentials file's quoting is exercised too.
USERNAME = "api-admin"
PASSWORD = "Adm1n:Pässwörd€2020"
COLLECTIONS = "/usr/share/ansible/collections"
# Inside the container: the built collection and the variables files of the runs.
TEST_DIR = "/opt/phonelock-test"
# Seconds from choosing the times to the first transition: the install takes 5-10 s on an idle 2-core machine. On a
# loaded one that misses it, the timers are removed and installed again further ahead (_scenario).
# A run must end before the next transition, a minute later.
LEAD = 30
RUN_TIMEOUT = 50
# With AccuracySec=1s a timer fires within a second of its time; systemd's default would allow a minute.
FIRE_DELAY_LIMIT = 2.0

# The second prefix's site, whose credentials hold a wrong password: each of its runs fails (HTTP 401) and starts
# SECOND-failure@.service, which must log one err entry and run the hook with the facts in its environment.
WRONG_PASSWORD = "Wr0ng:Pässwörd-2020"
SECOND_DIR = f"/etc/{SECOND}"
TOKYO = {"custom_field1": "Tokyo"}
# The on-failure command (checks.HOOK_SCRIPT). Its argument has %, $, quotes and spaces, which must reach it as written.
HOOK_ARG = "50% of $HOME, it's \"quoted\""

NEW_YORK = {"custom_field1": "New York"}
BANGALORE = {"custom_field1": "Bangalore"}
# Nested in BANGALORE (all its filters and one more): the role orders it after the broader site.
RECEPTION = {"custom_field1": "Bangalore", "custom_field4": "Reception"}

# The runs each transition starts, at the same instant, each with its requests in the order it must send them.
# bangalore-reception is closed today (a closed date): its unlock run sends nothing, and bangalore's runs re-assert it
# after their own request, so its phones stay locked while the rest of Bangalore opens.
OPENING = (("newyork-unlock", [("Unlock", NEW_YORK)]),
           ("bangalore-unlock", [("Unlock", BANGALORE), ("Lock", RECEPTION)]),
           ("bangalore-reception-unlock", []))
CLOSING = (("newyork-lock", [("Lock", NEW_YORK)]),
           ("bangalore-lock", [("Lock", BANGALORE), ("Lock", RECEPTION)]),
           ("bangalore-reception-lock", [("Lock", RECEPTION)]))


def make_sites(first, second, west, non_whole):
    def hours(zone):
        return {"days": elapse.DAYS, "opens": elapse.local_hhmm(first, zone), "closes": elapse.local_hhmm(second, zone)}
    today = first.astimezone(ZoneInfo(non_whole)).date().isoformat()
    return [{"name": "newyork", "timezone": west, "selections": [NEW_YORK], **hours(west)},
            {"name": "bangalore", "timezone": non_whole, "selections": [BANGALORE], **hours(non_whole)},
            {"name": "bangalore-reception", "timezone": non_whole, "selections": [RECEPTION], **hours(non_whole),
             "closed_dates": [today]}]


def timers_of(sites, after):
    """{unit name without suffix: next elapse after `after`} of the sites' timers."""
    return {f"{PREFIX}-{site['name']}-{kind}": elapse.next_elapse(site["timezone"], site[key], after)
            for site in sites for kind, key in (("unlock", "opens"), ("lock", "closes"))}


def check_dst(container):
    """systemd-analyze calendar follows the README's DST rule on this systemd; returns what it printed, per case."""
    seen = []
    for what, value, base, expected in elapse.dst_expectations():
        output = container.run(["systemd-analyze", "calendar", "--iterations=3", f"--base-time={base}", value]).stdout
        got = [match.group(2) for match in re.finditer(r"(Next elapse|Iter\. #\d|Iteration #\d): (.+)", output)]
        expect(got == expected, f"DST, {what}: systemd-analyze calendar --iterations=3 --base-time='{base}' '{value}' "
                                f"gives {got}, the documented rule {expected}")
        seen.append(f"{what}: {', '.join(got)}")
    return seen


def playbook(container, workdir, step, *args):
    """Run install_timers inside with args while the credentials are watched; its output goes to workdir/STEP.log."""
    watch = checks.SecretWatch(container)
    watch.start()
    try:
        result = container.run(["ansible-playbook", "imagicle.phonelock.install_timers", *args], check=False, timeout=300)
    finally:
        watched, exposed = watch.finish()
    (workdir / f"{step}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
    expect(result.returncode == 0, f"install_timers ({step}) exited {result.returncode}; the end of its output:\n{tail}")
    expect(not exposed, f"during install_timers ({step}) the credentials were open to others: {exposed}")
    return watched


def wait_runs(container, instant, runs):
    """Wait for instant's timers to fire and their services to finish; {timer: (fire delay, run seconds)}."""
    time.sleep(max(0.0, instant.timestamp() - time.time()))
    names = [f"{PREFIX}-{run[0]}" for run in runs]
    deadline = instant.timestamp() + RUN_TIMEOUT
    while True:
        info = checks.show(container, [f"{name}.{kind}" for name in names for kind in ("timer", "service")],
                           ["ActiveState", "Result", "ExecMainStatus", "LastTriggerUSec", "InactiveExitTimestamp",
                            "ExecMainStartTimestamp", "ExecMainExitTimestamp"])
        done = {}
        for name in names:
            service, timer = info[f"{name}.service"], info[f"{name}.timer"]
            if service["ActiveState"] == "failed":
                journal = container.run(["journalctl", "--no-pager", "-o", "cat", "-n", "40", "-u", f"{name}.service"],
                                        check=False).stdout
                raise Failure(f"{name}.service failed (Result={service['Result']}, exit status "
                              f"{service['ExecMainStatus']}); its journal:\n{journal}")
            started, ended = checks.parse_usec(service["ExecMainStartTimestamp"]), checks.parse_usec(service["ExecMainExitTimestamp"])
            if service["ActiveState"] == "inactive" and started and ended and started >= instant:
                expect(service["Result"] == "success" and service["ExecMainStatus"] == "0",
                       f"{name}.service ended with Result={service['Result']}, exit status {service['ExecMainStatus']}")
                # The timer's LastTriggerUSec is its due time; the service leaving "inactive" is when it really ran.
                triggered = checks.parse_usec(timer["LastTriggerUSec"])
                expect(triggered and triggered >= instant, f"{name}.timer last triggered {triggered}, due {instant}")
                activated = checks.parse_usec(service["InactiveExitTimestamp"])
                done[name] = ((activated - instant).total_seconds(), (ended - started).total_seconds())
        if len(done) == len(names):
            return done
        if time.time() > deadline:
            states = {n: info[n + '.service']['ActiveState'] for n in names}
            raise Failure(f"{RUN_TIMEOUT} s after {instant:%H:%M:%S} UTC these timers had not fired or their runs had "
                          f"not ended: {sorted(set(names) - set(done))}; {states}")
        time.sleep(0.5)


def hook_records(test_dir):
    path = test_dir / "hook.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def check_failure(container, test_dir, transition, instant):
    """The second prefix's run of this transition failed, and its failure unit logged one err entry and ran the hook
    with the facts; returns the entry."""
    unit = f"{SECOND}-tokyo-{transition}.service"
    # OnFailure=PREFIX-failure@%n.service: the instance is the failed unit's whole name.
    failure = f"{SECOND}-failure@{unit}.service"
    deadline = instant.timestamp() + RUN_TIMEOUT
    # A failure unit that succeeded is unloaded at once (systemctl show knows nothing of it then): its end is the hook's
    # record, and its entry in the journal.
    while True:
        info = checks.show(container, [unit, failure], ["ActiveState", "Result", "ExecMainStatus"])
        records = [record for record in hook_records(test_dir) if record["env"].get("PHONELOCK_UNIT") == unit]
        entries = checks.journal(container, f"--since=@{int(instant.timestamp())}", f"_SYSTEMD_UNIT={failure}")
        if records and entries and info[failure]["ActiveState"] not in ("active", "activating"):
            break
        expect(time.time() < deadline, f"{RUN_TIMEOUT} s after {instant:%H:%M:%S} UTC {failure} had not run: {info}, "
                                       f"hook records {records}, journal {entries}")
        time.sleep(0.5)
    expect((info[unit]["ActiveState"], info[unit]["Result"], info[unit]["ExecMainStatus"]) == ("failed", "exit-code", "2"),
           f"{unit}: {info[unit]}, expected failed with exit status 2")
    errors = [entry for entry in entries if int(entry.get("PRIORITY", 6)) <= 3]
    expect(len(errors) == 1 and len(entries) == 1, f"{failure} logged {[(e.get('PRIORITY'), e.get('MESSAGE')) for e in entries]}, "
                                                   "expected exactly one entry at priority err")
    message = errors[0]["MESSAGE"]
    head = f"{SECOND}: the {transition} run of site tokyo failed ({unit}, exit status 2): "
    expect(message.startswith(head + "1 of 1 sites failed: tokyo: ") and "HTTP 401" in message
           and errors[0].get("SYSLOG_IDENTIFIER") == SECOND and WRONG_PASSWORD not in message,
           f"{failure}'s entry: {errors[0].get('SYSLOG_IDENTIFIER')}: {message}")
    wanted = {"argv": ["second", HOOK_ARG], "stdin": message + "\n",
              "env": {"PHONELOCK_PREFIX": SECOND, "PHONELOCK_UNIT": unit, "PHONELOCK_SITES": "tokyo",
                      "PHONELOCK_TRANSITION": transition, "PHONELOCK_REASON": message[len(head):],
                      "PHONELOCK_RESULT": "exit-code", "PHONELOCK_EXIT_STATUS": "2", "PHONELOCK_MESSAGE": message}}
    expect(records == [wanted], f"the hook got {records}, expected [{wanted}]")
    return message


def check_requests(entries, runs, initial):
    """The requests of one transition are exactly its runs' (any interleaving of runs), each run's in its order."""
    entries = sorted(entries, key=lambda entry: entry["seq"])
    got = sorted(checks.request_key(entry) for entry in entries)
    wanted = sorted(checks.selection_key(action, selection) for run in runs for action, selection in run[1])
    unexpected, missing = Counter(got) - Counter(wanted), Counter(wanted) - Counter(got)
    expect(got == wanted, f"the stand-in did not receive the expected requests: unexpected {sorted(unexpected.elements())}, "
                          f"missing {sorted(missing.elements())}")
    for entry in entries:
        checks.check_applied(entry, initial, USERNAME)
    keys = [checks.request_key(entry) for entry in entries]
    for name, requests in runs:
        position = -1
        for action, selection in requests:
            later = [i for i, key in enumerate(keys) if key == checks.selection_key(action, selection) and i > position]
            expect(later, f"{name}: {action} {selection} was not sent after the run's earlier requests; the stand-in "
                          f"received, in order: {keys}")
            position = later[0]


def apply(states, runs):
    """The phones' lock states after the runs' requests (runs of one transition touch disjoint phones or agree)."""
    states = dict(states)
    for run in runs:
        for action, selection in run[1]:
            for username, phone in states.items():
                if checks.matches(phone, selection):
                    states[username] = {**phone, "locked": action == "Lock"}
    return states


def check_phones(standin, wanted, when):
    got = standin.phones()
    wrong = [name for name, phone in wanted.items() if got[name]["locked"] != phone["locked"]]
    expect(not wrong, f"after {when}, {len(wrong)} phones are in the wrong state: " + ", ".join(
        f"{name} ({got[name]['customField1']}, {got[name]['customField4']}): locked={got[name]['locked']}"
        for name in wrong[:12]))


def run(release, cached_root, tarball, workdir, say, cleanups, with_fleet=False):
    """Put the timers through release's systemd; returns the figures. cleanups gets what must run on an abort. with_fleet:
    then install a fleet of fleet.SERVERS servers in the same container and see its firings (fleet.py)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    root = workdir / "root"
    started = time.monotonic()
    subprocess.run(["cp", "-a", "--reflink=auto", str(cached_root), str(root)], check=True)
    say(f"copied the cached root in {time.monotonic() - started:.1f} s")
    test_dir = root / TEST_DIR.lstrip("/")
    test_dir.mkdir()
    shutil.copy(tarball, test_dir / "collection.tar.gz")
    server, port = launch.start(workdir / "standin")
    cleanups.append(lambda: launch.stop(server))
    fleet_server = fleet_ports = None
    if with_fleet:
        try:
            fleet_server, fleet_ports = fleet.start_standins(workdir / "fleet-standins")
        except Failure:
            launch.stop(server)
            raise
        cleanups.append(lambda: launch.stop(fleet_server))
    container = Container(root, f"phonelock-{release}", workdir / "console.log")
    cleanups.append(container.poweroff)
    try:
        figures = _scenario(release, container, checks.StandIn(port), fleet_ports, test_dir, workdir, say)
    finally:
        say(f"container: {container.poweroff()}")
        launch.stop(server)
        if fleet_server is not None:
            launch.stop(fleet_server)
    shutil.rmtree(root)
    return figures


def _scenario(release, container, standin, fleet_ports, test_dir, workdir, say):
    figures = {}
    started = time.monotonic()
    container.boot()
    booted = time.monotonic() - started
    versions = roots.describe(container)
    expect(versions[:2] == roots.RELEASES[release], f"{release} runs systemd {versions[0]} with Python {versions[1]}, "
                                                    f"expected {roots.RELEASES[release]}")
    say(f"booted in {booted:.1f} s: systemd {versions[0]}, Python {versions[1]}, ansible-core {versions[2]}")
    figures["versions"] = versions
    container.run([f"{roots.VENV}/bin/ansible-galaxy", "collection", "install", "--offline", "-p", COLLECTIONS,
                   f"{TEST_DIR}/collection.tar.gz"])
    figures["dst"] = check_dst(container)
    say("DST rule as documented:\n  " + "\n  ".join(figures["dst"]))

    credentials = {"url": f"http://127.0.0.1:{standin.url.rsplit(':', 1)[1]}", "username": USERNAME, "password": PASSWORD}
    (test_dir / "credentials.json").write_text(json.dumps({"office_hours_timers_credentials": credentials}), encoding="utf-8")
    (test_dir / "hook.py").write_text(checks.HOOK_SCRIPT, encoding="utf-8")
    hook = [f"{roots.VENV}/bin/python", f"{TEST_DIR}/hook.py"]
    (test_dir / "timers.json").write_text(json.dumps({"office_hours_timers_on_failure": [*hook, "main", HOOK_ARG]}), encoding="utf-8")
    (test_dir / "second.json").write_text(json.dumps({
        "office_hours_timers_prefix": SECOND, "office_hours_timers_sites_file": f"{SECOND_DIR}/office_hours.json",
        "office_hours_timers_environment_file": f"{SECOND_DIR}/phonelock.env",
        "office_hours_timers_credentials": {**credentials, "password": WRONG_PASSWORD},
        "office_hours_timers_on_failure": [*hook, "second", HOOK_ARG]}), encoding="utf-8")
    main_args = ["-e", f"@{TEST_DIR}/credentials.json", "-e", f"@{TEST_DIR}/timers.json"]
    second_args = ["-e", f"@{TEST_DIR}/second.json"]
    lead = LEAD
    for attempt in (1, 2):
        standin.reset()
        initial = standin.phones()
        first, second, west, non_whole = elapse.transitions(datetime.now(elapse.UTC), lead)
        sites = make_sites(first, second, west, non_whole)
        figures["plan"] = (f"opening {first:%H:%M} UTC, closing {second:%H:%M} UTC; newyork in {west} "
                           f"({elapse.local_hhmm(first, west)}-{elapse.local_hhmm(second, west)}), bangalore and "
                           f"bangalore-reception in {non_whole} ({elapse.local_hhmm(first, non_whole)}-"
                           f"{elapse.local_hhmm(second, non_whole)})")
        say(figures["plan"])
        (test_dir / "sites.json").write_text(json.dumps({"office_hours_sites": sites}), encoding="utf-8")
        tokyo = {**sites[1], "name": "tokyo", "selections": [TOKYO]}
        (test_dir / "second-sites.json").write_text(json.dumps({"office_hours_sites": [tokyo]}), encoding="utf-8")
        started = time.time()
        playbook(container, workdir, "install-second", *second_args, "-e", f"@{TEST_DIR}/second-sites.json")
        watched = playbook(container, workdir, "install", "-e", f"@{TEST_DIR}/sites.json", *main_args)
        say(f"installed in {time.time() - started:.1f} s; credentials watched: {watched}")
        if first.timestamp() - time.time() > 5:
            break
        # A loaded machine: too late for the first transition. Remove it all, let any run that started end, and
        # start again with the times further ahead.
        expect(attempt == 1, f"the install took {time.time() - started:.0f} s, again too slow for the first transition")
        say(f"too late for {first:%H:%M:%S} UTC: removing the timers and starting again further ahead")
        playbook(container, workdir, "install-again", *main_args, "-e", "office_hours_timers_state=absent")
        playbook(container, workdir, "install-again-second", *second_args, "-e", "office_hours_timers_state=absent")
        deadline = time.time() + RUN_TIMEOUT
        while (checks.list_units(container) or checks.list_units(container, SECOND)) and time.time() < deadline:
            time.sleep(0.5)
        # The second prefix's runs of the missed transition failed and ran the hook: start its record afresh.
        (test_dir / "hook.jsonl").unlink(missing_ok=True)
        lead = LEAD + 2 * (time.time() - started)
    checks.check_installed(container, timers_of(sites, datetime.now(elapse.UTC)), say)
    second_files = sorted([f"system/{SECOND}-tokyo-{kind}.{suffix}" for kind in ("lock", "unlock") for suffix in ("timer", "service")]
                          + [f"system/timers.target.wants/{SECOND}-tokyo-{kind}.timer" for kind in ("lock", "unlock")]
                          + [f"system/{SECOND}-failure@.service"])
    expect(checks.unit_files(container, SECOND) == second_files, f"{SECOND}'s unit files: {checks.unit_files(container, SECOND)}")
    checks.check_secret_at_rest(container)
    written = json.loads(container.path(checks.SITES_FILE).read_text(encoding="utf-8"))
    expect(written.get("office_hours_sites") == sites, f"{checks.SITES_FILE} holds {written}")
    for unit in container.path(checks.UNIT_DIR).glob(f"{PREFIX}-*"):
        expect(PASSWORD not in unit.read_text(encoding="utf-8"), f"the password is in {unit.name}")
    expect(standin.requests() == [], f"installing the timers sent requests: {standin.requests()}")

    figures["fired"] = {}
    states, seen = initial, 0
    for instant, runs, when in ((first, OPENING, "opening"), (second, CLOSING, "closing")):
        fired = wait_runs(container, instant, runs)
        figures["fired"].update({name: (instant, delay, took) for name, (delay, took) in fired.items()})
        say(f"{when} ({instant:%H:%M:%S} UTC): " + "; ".join(
            f"{name.removeprefix(PREFIX + '-')} fired +{delay:.3f} s, ran {took:.1f} s" for name, (delay, took) in fired.items()))
        late = {name: timing[0] for name, timing in fired.items() if not 0 <= timing[0] <= FIRE_DELAY_LIMIT}
        expect(not late, f"timers fired outside [0, {FIRE_DELAY_LIMIT}] s of {instant:%H:%M:%S} UTC: {late}")
        transition = "unlock" if when == "opening" else "lock"
        message = check_failure(container, test_dir, transition, instant)
        say(f"{when}: {SECOND}-tokyo-{transition} failed; its failure unit logged at err: {message[:160]}...; the hook got the facts")
        entries = [entry for entry in standin.requests() if entry["seq"] > seen]
        early = [entry["seq"] for entry in entries if entry["received"] < instant.timestamp()]
        expect(not early, f"requests {early} arrived before the {when} transition")
        refused = [entry for entry in entries if entry["user"] is None]
        expect(refused and all((entry["status"], entry["path"].rsplit("/", 1)[-1], entry["args"])
                               == (401, transition.capitalize(), [["customField1", "Tokyo"]]) for entry in refused),
               f"the second prefix's requests: {refused}")
        seen = max([seen] + [entry["seq"] for entry in entries])
        entries = [entry for entry in entries if entry["user"] is not None]
        check_requests(entries, runs, initial)
        states = apply(states, runs)
        check_phones(standin, states, f"the {when} runs")
        say(f"{when}: the stand-in received exactly {len(entries)} expected requests, in order; every phone as expected")

    # The main prefix's runs all succeeded: its failure unit never started, and the hook ran only for the second's.
    started_failure = [entry.get("MESSAGE") for entry in checks.journal(container)
                       if f"{PREFIX}-failure@" in (entry.get("_SYSTEMD_UNIT", "") + entry.get("UNIT", ""))]
    expect(not started_failure, f"{PREFIX}-failure@ ran after successful runs: {started_failure}")
    expect([record["argv"][0] for record in hook_records(test_dir)] == ["second", "second"],
           f"the hook ran for: {[record['argv'][0] for record in hook_records(test_dir)]}")

    # A site dropped (newyork) and one renamed (bangalore-reception): exactly the current units remain.
    renamed = [sites[1], {**sites[2], "name": "bangalore-front-desk"}]
    (test_dir / "sites.json").write_text(json.dumps({"office_hours_sites": renamed}), encoding="utf-8")
    watched = playbook(container, workdir, "reinstall", "-e", f"@{TEST_DIR}/sites.json", *main_args)
    say(f"reinstalled without newyork, bangalore-reception renamed bangalore-front-desk; credentials watched: {watched}")
    checks.check_installed(container, timers_of(renamed, datetime.now(elapse.UTC)), say)
    gone = [f"{PREFIX}-{name}-{kind}" for name in ("newyork", "bangalore-reception") for kind in ("lock", "unlock")]
    still = sorted(set(checks.list_units(container)) & {f"{name}.{kind}" for name in gone for kind in ("timer", "service")})
    expect(not still, f"units of the dropped and renamed sites are still loaded: {still}")
    checks.check_secret_at_rest(container)

    # Removal needs no sites; the credentials variable says the role manages the credentials file.
    second_paths = [f"/etc/systemd/{name}" for name in second_files] + [
        checks.failure_script(SECOND), f"{SECOND_DIR}/office_hours.json", f"{SECOND_DIR}/phonelock.env"]

    def content(path):
        # An enablement link's absolute target would resolve on the host: compare the link itself.
        inside = container.path(path)
        return ("link", os.readlink(inside)) if inside.is_symlink() else inside.read_bytes() if inside.exists() else None
    second_before = {path: content(path) for path in second_paths}
    watched = playbook(container, workdir, "remove", *main_args, "-e", "office_hours_timers_state=absent")
    say(f"removed with office_hours_timers_state=absent; credentials watched: {watched}")
    checks.check_removed(container, gone + list(timers_of(renamed, datetime.now(elapse.UTC))), say)
    second_after = {path: content(path) for path in second_paths}
    expect(second_after == second_before, f"removing {PREFIX} changed {SECOND}'s files: "
                                          f"{sorted(path for path in second_paths if second_after[path] != second_before[path])}")
    expect(sorted(checks.list_timers(container, SECOND)) == [f"{SECOND}-tokyo-{kind}.timer" for kind in ("lock", "unlock")],
           f"{SECOND}'s timers after removing {PREFIX}: {checks.list_timers(container, SECOND)}")
    say(f"{SECOND} untouched by the removal of {PREFIX}: its files byte for byte, its timers listed")
    playbook(container, workdir, "remove-second", *second_args, "-e", "office_hours_timers_state=absent")
    checks.check_removed(container, [f"{SECOND}-tokyo-lock", f"{SECOND}-tokyo-unlock"], say, SECOND,
                         (f"{SECOND_DIR}/office_hours.json", f"{SECOND_DIR}/phonelock.env"))
    expect(len(standin.requests()) == seen, f"reinstalling or removing sent requests: {standin.requests()[seen:]}")
    text = container.run(["journalctl", "--no-pager", "-o", "cat"]).stdout
    expect(PASSWORD not in text and WRONG_PASSWORD not in text, "a password appears in the container's journal")
    if fleet_ports is not None:
        # After the rest, not beside it: the fleet's 20 servers would load the machine while the rest's runs are timed.
        figures["fleet"] = fleet.Fleet(container, fleet_ports, test_dir, workdir, say).run()
    return figures


def delays_table(figures):
    return [(name.removeprefix(PREFIX + "-"), instant, delay, took)
            for name, (instant, delay, took) in sorted(figures.get("fired", {}).items(), key=lambda item: item[1][0])]
