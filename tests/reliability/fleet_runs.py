# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A fleet's runs under bad input: several UCX Suite servers in one ansible-playbook run, as a fleet timer runs them.

    .venv/tools/bin/python tests/reliability/fleet_runs.py [--examples N] [--seed S]

SERVERS stand-ins in one process (benchmarks/fleet.py's Fleet: each its own account, password and users, tagged with
its name in customField8), two sites each, all closed at the pinned instant, run by nightly_lock over all of them with
office_hours_limit_by_server as the timer's run file passes it, but written by an attacker: per server no entry, an
empty one, a null, its own sites (any case, a list or a comma-separated string, with a blank name), another server's
site, an unknown name, a null in the list, a number, a mapping, a nested list. Then the fixed cases: one server with a wrong password, and one
server that cannot be reached.

The oracle below knows nothing of plugins/: a server whose entry is missing, empty or null gets no request and does not
fail (never every site); a server whose entry names its own sites only (blank names left out) gets exactly those sites'
Lock requests, by its own account; any other
entry gets no request and fails that server alone, with a message naming office_hours_limit. No server ever receives a
request for a site outside its own entry, and no server's password is in the output. Exits 1 when a check failed.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import common

sys.path.insert(0, str(common.ROOT / "benchmarks"))
# The stand-ins of many servers in one process, as make bench-fleet starts them.
from fleet import Fleet  # noqa: E402  pylint: disable=wrong-import-position

SERVERS = 4
CITIES = ("Milano", "Roma")
# Monday 19:05 in Rome: every site is closed, so a nightly_lock run locks every site it is asked to.
NOW = "2026-11-23T19:05:00+01:00"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# The kinds of entry an attacker (or a broken run file) can give a server, and whether the oracle accepts them.
# Blank names are left out, as in office_hours_limit (whose "milano, " is one site); a null entry is an empty one.
GOOD_KINDS = ("absent", "empty", "null", "own", "own, any case", "own, as a string", "own and a blank name")
BAD_KINDS = ("another server's site", "unknown name", "null in the list", "number", "mapping", "nested list")


def sites_of(host):
    return [{"name": f"{host}-{city.lower()}", "timezone": "Europe/Rome", "days": ["mon", "tue", "wed", "thu", "fri"],
             "opens": "08:00", "closes": "19:00", "selections": [{"custom_field8": host, "custom_field1": city}]} for city in CITIES]


def entry(kind, host, hosts, rng):
    """(entry value or the absent marker, names it selects when good)."""
    own = [site["name"] for site in sites_of(host)]
    chosen = rng.sample(own, rng.randint(1, len(own)))
    other = rng.choice([name for name in hosts if name != host])
    return {
        "absent": (None, []),
        "empty": ([], []),
        "own": (chosen, chosen),
        "own, any case": ([name.upper() if rng.random() < 0.5 else name.title() for name in chosen], chosen),
        "own, as a string": (", ".join(chosen), chosen),
        "another server's site": (chosen + [f"{other}-{rng.choice(CITIES).lower()}"], None),
        "unknown name": (chosen + ["nowhere"], None),
        "own and a blank name": (chosen + ["  "], chosen),
        "null": ("NULL", []),
        "null in the list": (chosen + [None], None),
        "number": (7, None),
        "mapping": ({"name": chosen[0]}, None),
        "nested list": ([chosen], None),
    }[kind]


def expected_query(host, name):
    """The one request a site asks for, as the stand-in logs its query (sorted filters, the API's names)."""
    city = name.rsplit("-", 1)[1].title()
    return ("Lock", tuple(sorted({"customField1": city, "customField8": host}.items())))


def inventory(fleet, folder, passwords=None, urls=None):
    hosts = {}
    for host in fleet.hosts:
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                       "office_hours_url": (urls or {}).get(host, fleet.url(host)),
                       "office_hours_username": fleet.accounts[host]["username"],
                       "office_hours_password": (passwords or {}).get(host, fleet.accounts[host]["password"]),
                       "office_hours_sites": sites_of(host), "office_hours_retries": 0}
    path = folder / "inventory.json"
    path.write_text(json.dumps({"fleet": {"hosts": hosts}}), encoding="utf-8")
    return path


def run(fleet, folder, by_server, passwords=None, urls=None):
    """One fleet run; (return code, output, {host: [(action, filters)]}, {host: [(status, user)]})."""
    fleet.reset()
    extra = folder / "run.json"
    # None stands for YAML's null as a whole entry ("NULL" above: a marker, since None means "no entry" there).
    values = {host: (None if value == "NULL" else value) for host, value in by_server.items()}
    extra.write_text(json.dumps({"office_hours_hosts": "fleet", "office_hours_limit_by_server": values, "office_hours_now": NOW}),
                     encoding="utf-8")
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inventory(fleet, folder, passwords, urls)), "--forks", str(SERVERS),
                           "imagicle.phonelock.nightly_lock", "-e", f"@{extra}"], env=common.ansible_env(), capture_output=True,
                          text=True, errors="replace", timeout=900, check=False)
    sent, answers = {}, {}
    for host in fleet.hosts:
        log = fleet.inspect(host, "requests")["requests"]
        sent[host] = sorted((item["path"].rsplit("/", 1)[-1], tuple(sorted(tuple(pair) for pair in item["args"]))) for item in log)
        answers[host] = [(item["status"], item["user"]) for item in log]
    return done.returncode, done.stdout + done.stderr, sent, answers


def recap(output):
    """{host: failed count} from the play recap."""
    counts = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ":" and any(part.startswith("failed=") for part in parts):
            counts[parts[0]] = int(next(part for part in parts if part.startswith("failed="))[len("failed="):])
    return counts


def secrets_of(fleet, extra=()):
    return dict({f"{host}'s password": account["password"] for host, account in fleet.accounts.items()},
                **{f"secret {number}": secret for number, secret in enumerate(extra)})


def generated_cases(fleet, examples, seed):
    """examples by_server maps; each kind of entry appears at least once over the first few."""
    rng = random.Random(seed)
    kinds = list(GOOD_KINDS + BAD_KINDS)
    cases = []
    for number in range(examples):
        by_server, wanted, bad = {}, {}, set()
        for index, host in enumerate(fleet.hosts):
            # Round-robin first, so that a small --examples still tries every kind; then at random.
            position = number * SERVERS + index
            kind = kinds[position] if position < len(kinds) else rng.choice(kinds)
            value, names = entry(kind, host, fleet.hosts, rng)
            if kind != "absent":
                by_server[host] = value
            if names is None:
                bad.add(host)
            wanted[host] = sorted(expected_query(host, name) for name in names or [])
            by_server.setdefault("_kinds", {})[host] = kind
        cases.append((by_server.pop("_kinds"), by_server, wanted, bad))
    return cases


def check_run(name, fleet, outcome, wanted, bad, problems, unreachable=()):
    code, output, sent, answers = outcome
    failed = recap(output)
    for host in fleet.hosts:
        if host in unreachable:
            continue
        if sent[host] != wanted[host]:
            problems.append(f"{name}: {host} received {sent[host]}, expected {wanted[host]}")
        if any(user != fleet.accounts[host]["username"] for status, user in answers[host] if status == 200):
            problems.append(f"{name}: {host} answered a request by another account: {answers[host]}")
        if bool(failed.get(host)) != (host in bad):
            problems.append(f"{name}: {host} {'failed' if failed.get(host) else 'did not fail'} (recap {failed.get(host)}), "
                            f"expected {'a failure' if host in bad else 'no failure'}")
    if (code != 0) != bool(bad):
        problems.append(f"{name}: ansible-playbook exited {code}")
    return output


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=8, help="generated office_hours_limit_by_server maps (default 8)")
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    problems, outputs, kinds_tried = [], {}, set()
    with tempfile.TemporaryDirectory(prefix="phonelock-fleet-runs-") as temp:
        folder = Path(temp)
        fleet = Fleet(folder, SERVERS)
        try:
            cases = generated_cases(fleet, args.examples, args.seed)
            for number, (kinds, by_server, wanted, bad) in enumerate(cases, 1):
                name = f"map {number}"
                kinds_tried.update(kinds.values())
                output = check_run(name, fleet, run(fleet, folder, by_server), wanted, bad, problems)
                outputs[name] = output
                for host in bad:
                    if f"[{host}]" not in output or "office_hours_limit" not in output:
                        problems.append(f"{name}: {host}'s failure ({kinds[host]}) does not name office_hours_limit")
                print(f"{name}: " + "; ".join(f"{host} {kinds.get(host, 'absent')}" for host in fleet.hosts))

            every = {host: [site["name"] for site in sites_of(host)] for host in fleet.hosts}
            wanted = {host: sorted(expected_query(host, site) for site in names) for host, names in every.items()}
            # One server's wrong password: it alone fails, its requests all refused (only its own sites' filters, and no
            # more than one login per request in flight); the others get exactly their requests.
            victim, wrong = fleet.hosts[1], "Wr0ng:Pässwörd-fleet"
            code, output, sent, answers = run(fleet, folder, every, passwords={victim: wrong})
            outputs["wrong password"] = check_run("wrong password", fleet, (code, output, dict(sent, **{victim: wanted[victim]}), answers),
                                                  wanted, {victim}, problems)
            if not answers[victim] or any(status != 401 for status, dummy in answers[victim]) or not set(sent[victim]) <= set(wanted[victim]):
                problems.append(f"wrong password: {victim} received {sent[victim]} answered {answers[victim]}, expected 401s for its own sites")
            print(f"wrong password on {victim}: exit {code}, {len(answers[victim])} request(s) refused")
            # One server that cannot be reached (nothing listens on port 9): it alone fails; the others are served.
            lost = fleet.hosts[2]
            code, output, sent, answers = run(fleet, folder, every, urls={lost: "http://127.0.0.1:9"})
            outputs["unreachable"] = check_run("unreachable", fleet, (code, output, sent, answers), wanted, {lost}, problems, unreachable={lost})
            if sent[lost] or recap(output).get(lost) != 1:
                problems.append(f"unreachable: {lost} received {sent[lost]} or did not fail (recap {recap(output).get(lost)})")
            print(f"unreachable {lost}: exit {code}")
            leaks = common.find_secrets(outputs, secrets_of(fleet, [wrong]))
        finally:
            fleet.stop()
    for (source, form), hits in sorted(leaks.items()):
        problems.append(f"{form} in the output of {source} ({hits}x)")
    missing = set(GOOD_KINDS + BAD_KINDS) - kinds_tried
    figures = {"runs": len(outputs), "servers_per_run": SERVERS, "entry_kinds_tried": len(kinds_tried),
               "entry_kinds_not_tried": sorted(missing), "secret_sources_scanned": len(outputs),
               "secrets_found": sum(leaks.values()), "problems": len(problems)}
    common.write_figures("fleet_runs", figures)
    return common.report(problems, f"{len(outputs)} fleet runs of {SERVERS} servers: each server exactly its own entry's requests, "
                                   f"a bad entry or a wrong password failed that server alone; no password in the output")


if __name__ == "__main__":
    sys.exit(main())
