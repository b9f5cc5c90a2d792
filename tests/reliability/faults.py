# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Faults: what the phones module does when the server, the network or TLS misbehaves, judged by what the servers saw.

Every case runs through playbooks/faults.yml in every mode of common.run_modes. For each case the suite checks the
module's outcome (ok after N attempts, or a clean failure with the exact message), the attempts the stand-in logged
(statuses, queries, the gaps between attempts) and the phones' state, and counts false successes: the module said
ok for a request the stand-in did not answer with 200, or whose phones it did not lock. A redirect points at a second
stand-in on 127.0.0.2 ("another host"), which must receive nothing. Every text the runs produce, and everything they
registered, is searched for the credentials.

    python tests/reliability/faults.py [NAME-FRAGMENT]   # a fragment runs only the matching cases (no figures)
"""

import json
import re
import shutil
import socket
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

from common import API_PATH, OUTPUT, STANDIN_DIR, StandIn, case_records, credentials_env, find_secrets, report, run_modes, store_figures

SUITE = "faults"
PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "faults.yml"
CASE_TASKS = PLAYBOOK.parent / "tasks" / "faults_case.yml"
USERS = json.loads((STANDIN_DIR / "data" / "users.json").read_text(encoding="utf-8"))["users"]
INITIALLY_LOCKED = frozenset(user["username"] for user in USERS if user["locked"])
# The module's messages after the variable part (requests' root cause).
UNREACHABLE = "). Check url, DNS, proxy and firewall, and that the server is running."
TLS_ADVICE = ("). Give the PEM bundle of the CA that signed the server certificate in ca_path; validate_certs: false "
              "turns the check off (not recommended).")
SSL_FAILED = re.escape("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ")
SSL_WHERE = r" \(_ssl\.c:\d+\)"  # the line in CPython's source
NOT_FOLLOWED = ". Redirects are not followed (they could drop the PUT or send the credentials elsewhere): set url to the final address."


def department_users(department):
    """The users a department filter matches, as the stand-in matches (casefold)."""
    return frozenset(user["username"] for user in USERS if user["department"].casefold() == department.casefold())


def free_port():
    """A port nothing listens on: bound once by the OS, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(department, outcome, attempts, seen, message=None, gaps=(), applied=None):
    """What one request (one selection) must do.

    outcome "ok" or "failed" as the module reports it, after `attempts` attempts; `seen` the statuses the stand-in
    logged for it in order (None: connection dropped), or None when no stand-in is reachable; `message` a regular
    expression the failure message must match whole; `gaps` the least seconds between consecutive attempts;
    `applied` whether the phones end up locked (default: when the outcome is ok).
    """
    return {"department": department, "outcome": outcome, "attempts": attempts, "seen": seen, "message": message,
            "gaps": list(gaps), "applied": outcome == "ok" if applied is None else applied}


def lock_url(base, department):
    """The request URL the module sends for a department filter (UTF-8, percent-encoded)."""
    return f"{base}{API_PATH}Lock?department={quote(department, safe='')}"


def exactly(text):
    return re.escape(text)


def cases(main, other, tls, tls_other, closed_port):
    """Every case: what the playbook gets (name, watch, faults, module options) and what must happen (expect)."""
    def watched(standin, name, **extra):
        entry = {"name": name, "url": standin.url, **extra}
        if standin.tls:
            entry["ca_path"] = standin.ca_path
        return entry

    plain = [watched(main, "main")]
    refused_url = f"http://127.0.0.1:{closed_port}"
    unresolved_url = "http://phonelock-standin.invalid"
    # The certificate of tls_other names localhost and 127.0.0.1 only, so its inspection API is read without the check.
    wrong_host = [watched(tls_other, "tls_other", validate_certs=False)]
    redirect_to = lock_url(other.url, "Sales")
    table = [
        {"name": "control: no fault", "fault": "none", "faults": [], "retries": 2, "department": "R&D",
         "expect": [request("R&D", "ok", 1, [200])]},
        {"name": "5xx burst shorter than the retries", "fault": "502 once; retries 2", "retries": 2, "department": "Sales",
         "faults": [{"kind": "status", "status": 502}],
         "expect": [request("Sales", "ok", 2, [502, 200], gaps=[1])]},
        {"name": "5xx burst as long as the retries", "fault": "503 twice; retries 2", "retries": 2, "department": "Finance",
         "faults": [{"kind": "status", "status": 503, "count": 2}],
         "expect": [request("Finance", "ok", 3, [503, 503, 200], gaps=[1, 2])]},
        {"name": "5xx burst longer than the retries", "fault": "500 three times; retries 1", "retries": 1, "department": "IT",
         "faults": [{"kind": "status", "status": 500, "count": 3, "body": "database restarting"}],
         "expect": [request("IT", "failed", 2, [500, 500], gaps=[1], message=exactly(
             f"PUT {lock_url(main.url, 'IT')} failed: HTTP 500 INTERNAL SERVER ERROR after 2 attempt(s): "
             "the server reported an error. Server said: database restarting"))]},
        # Retry-After 2 s against a first backoff of 1 s: the gap shows which one the module waited.
        {"name": "429 with Retry-After", "fault": "429 once, Retry-After: 2; retries 1", "retries": 1, "department": "Support",
         "faults": [{"kind": "status", "status": 429, "retry_after": "2"}],
         "expect": [request("Support", "ok", 2, [429, 200], gaps=[2])]},
        {"name": "429 without Retry-After, longer than the retries", "fault": "429 twice; retries 1", "retries": 1,
         "department": "Qualità", "faults": [{"kind": "status", "status": 429, "count": 2}],
         "expect": [request("Qualità", "failed", 2, [429, 429], gaps=[1], message=exactly(
             f"PUT {lock_url(main.url, 'Qualità')} failed: HTTP 429 TOO MANY REQUESTS after 2 attempt(s): "
             "the server is rate-limiting. Retry later or raise retries."))]},
        {"name": "429 with Retry-After past the module's limit", "fault": "429, Retry-After: 3600; retries 2", "retries": 2,
         "department": "Logística", "faults": [{"kind": "status", "status": 429, "retry_after": "3600"}],
         "expect": [request("Logística", "failed", 1, [429], message=exactly(
             f"PUT {lock_url(main.url, 'Logística')} failed: HTTP 429 TOO MANY REQUESTS: the server asked to retry after "
             "3600 s, longer than the 120 s this module waits. Run the task again later."))]},
        {"name": "connection reset", "fault": "reset once; retries 1", "retries": 1, "department": "Amministrazione",
         "faults": [{"kind": "reset"}],
         "expect": [request("Amministrazione", "ok", 2, [None, 200], gaps=[1])]},
        {"name": "empty reply on every attempt", "fault": "empty reply twice; retries 1", "retries": 1,
         "department": "Human Resources", "faults": [{"kind": "empty", "count": 2}],
         "expect": [request("Human Resources", "failed", 2, [None, None], gaps=[1], message=exactly(
             f"PUT {lock_url(main.url, 'Human Resources')} failed after 2 attempt(s): cannot reach the server (")
             + exactly("Remote end closed connection without response" + UNREACHABLE))]},
        # The server applies the lock after the module gave up: a failure the module cannot avoid reporting, never a
        # false success.
        {"name": "slow reply past the timeout", "fault": "3 s delay; timeout 1, retries 0", "retries": 0, "timeout": 1,
         "department": "Relações Públicas", "faults": [{"kind": "delay", "delay": 3}], "note": "applied after the module gave up",
         "watch": [watched(main, "main", wait_for_requests=1)],
         "expect": [request("Relações Públicas", "failed", 1, [200], applied=True, message=exactly(
             f"PUT {lock_url(main.url, 'Relações Públicas')} failed after 1 attempt(s): no reply within 1.0 s (")
             + exactly("timed out). Check the server, or raise timeout."))]},
        {"name": "connection refused", "fault": "closed port; retries 1", "retries": 1, "department": "Sales",
         "url": refused_url, "watch": [], "faults": [],
         "expect": [request("Sales", "failed", 2, None, message=exactly(
             f"PUT {lock_url(refused_url, 'Sales')} failed after 2 attempt(s): cannot reach the server (")
             + exactly("[Errno 111] Connection refused" + UNREACHABLE))]},
        {"name": "name that does not resolve", "fault": "host *.invalid; retries 1", "retries": 1, "department": "Sales",
         "url": unresolved_url, "watch": [], "faults": [],
         "expect": [request("Sales", "failed", 2, None, message=exactly(
             f"PUT {lock_url(unresolved_url, 'Sales')} failed after 2 attempt(s): cannot reach the server (")
             # The resolver's words: NXDOMAIN, or no DNS server at all.
             + r"\[Errno -[235]\] (Name or service not known|Temporary failure in name resolution|No address associated with hostname)"
             + exactly(UNREACHABLE))]},
        {"name": "control: TLS with the CA in ca_path", "fault": "none", "retries": 2, "department": "R&D",
         "url": tls.url, "ca_path": tls.ca_path, "watch": [watched(tls, "tls")], "faults": [],
         "expect": [request("R&D", "ok", 1, [200])]},
        # Not retried: a certificate does not fix itself. The handshake fails, so no HTTP request reaches the server.
        {"name": "TLS, untrusted certificate", "fault": "no ca_path; retries 2", "retries": 2, "department": "R&D",
         "url": tls.url, "watch": [watched(tls, "tls")], "faults": [],
         "expect": [request("R&D", "failed", 1, [], message=exactly(
             f"PUT {lock_url(tls.url, 'R&D')} failed: TLS certificate verification failed (")
             + SSL_FAILED + exactly("unable to get local issuer certificate") + SSL_WHERE + exactly(TLS_ADVICE))]},
        {"name": "TLS, wrong host name", "fault": "trusted CA, certificate not for 127.0.0.2; retries 2", "retries": 2,
         "department": "R&D", "url": tls_other.url, "ca_path": tls_other.ca_path, "watch": wrong_host, "faults": [],
         "expect": [request("R&D", "failed", 1, [], message=exactly(
             f"PUT {lock_url(tls_other.url, 'R&D')} failed: TLS certificate verification failed (")
             + SSL_FAILED + exactly("IP address mismatch, certificate is not valid for '127.0.0.2'.") + SSL_WHERE
             + exactly(TLS_ADVICE))]},
    ]
    for status, reason in ((307, "TEMPORARY REDIRECT"), (302, "FOUND")):
        table.append({
            "name": f"redirect to another host ({status})", "fault": f"{status} to the same request on 127.0.0.2; retries 2",
            "retries": 2, "department": "Sales", "watch": [watched(main, "main"), watched(other, "other")],
            "faults": [{"kind": "redirect", "status": status, "location": redirect_to}], "other_host": "other",
            "expect": [request("Sales", "failed", 1, [status], message=exactly(
                f"PUT {lock_url(main.url, 'Sales')} failed: HTTP {status} {reason}: the server redirects to {redirect_to}{NOT_FOLLOWED}"))]})
    departments = ["Sales", "Finance", "IT", "Support"]
    for faulted, fault, seen, cause in (
            ("Finance", {"kind": "status", "status": 503}, [503, 503], None),
            ("IT", {"kind": "reset"}, [None, None], exactly("[Errno 104] Connection reset by peer"))):
        url = lock_url(main.url, faulted)
        message = (exactly(f"PUT {url} failed: HTTP 503 SERVICE UNAVAILABLE after 2 attempt(s): the server reported an error.")
                   if cause is None else exactly(f"PUT {url} failed after 2 attempt(s): cannot reach the server (") + cause
                   + exactly(UNREACHABLE))
        table.append({
            "name": f"selections: {'persistent 503' if cause is None else 'connection reset'} on one of four",
            "fault": f"{fault['kind'] if cause else '503'} on every attempt for department={faulted}; retries 1, default concurrency",
            "retries": 1, "selections": [{"department": department} for department in departments],
            "faults": [dict(fault, count=2, match={"department": faulted})],
            "expect": [request(department, "failed", 2, seen, gaps=[1], message=message) if department == faulted
                       else request(department, "ok", 1, [200]) for department in departments]})
    for case in table:
        case.setdefault("watch", plain)
    return table


def to_playbook(case):
    """The case as the playbook takes it: no expectations."""
    return {key: value for key, value in case.items() if key not in ("expect", "fault", "other_host", "note")}


def attempts_text(count):
    return f"{count} attempt{'s' if count != 1 else ''}"


def describe(requests_, task_failed, selections):
    """The outcome in words, from [(department, outcome, attempts)], for the table and the comparison."""
    if not selections:
        dummy, outcome, attempts = requests_[0]
        return f"{'ok' if outcome == 'ok' else 'clean failure'} after {attempts_text(attempts)}"
    failed = [f"selections[{index}] failed after {attempts_text(attempts)}"
              for index, (dummy, outcome, attempts) in enumerate(requests_) if outcome != "ok"]
    applied = sum(outcome == "ok" for dummy, outcome, dummy2 in requests_)
    return f"task {'failed' if task_failed else 'ok'}; {', '.join(failed) or 'none failed'}; {applied} applied"


def expected_text(case):
    selections = "selections" in case
    expect = case["expect"]
    return describe([(item["department"], item["outcome"], item["attempts"]) for item in expect],
                    any(item["outcome"] != "ok" for item in expect), selections)


def judge(case, record):
    """Check one case's record from one run.

    Returns (observation, gaps between attempts, problems, false successes, Authorization headers at the other host).
    """
    problems = []
    run = record["run"]
    selections = "selections" in case
    outcomes = run.get("results", []) if selections else [run]
    if len(outcomes) != len(case["expect"]):
        return {"outcome": f"{len(outcomes)} results", "attempts_seen": None, "seen": None}, [], [
            f"{len(outcomes)} results for {len(case['expect'])} requests: {run.get('msg')}"], 0, 0
    target = case["watch"][0]["name"] if case["watch"] else None
    log = record["logs"].get(target, []) if target else None
    locked = frozenset(record["locked"]) if record["locked"] is not None else None
    expected_locked = set(INITIALLY_LOCKED)
    false_successes = 0
    observed = []
    seen = {}
    gaps_seen = []
    for expect, outcome in zip(case["expect"], outcomes):
        department = expect["department"]
        label = f"{department}: " if selections else ""
        said_ok = not outcome.get("failed")
        observed.append((department, "ok" if said_ok else "failed", outcome.get("attempts")))
        if expect["applied"]:
            expected_locked |= department_users(department)
        if said_ok != (expect["outcome"] == "ok"):
            problems.append(f"{label}expected {expect['outcome']}, the module said {'ok' if said_ok else 'failed'}: {outcome.get('msg')}")
        if outcome.get("attempts") != expect["attempts"]:
            problems.append(f"{label}the module reports {outcome.get('attempts')} attempts, expected {expect['attempts']}")
        if expect["message"] and not re.fullmatch(expect["message"], outcome.get("msg") or "", re.DOTALL):
            problems.append(f"{label}message {outcome.get('msg')!r} does not match {expect['message']!r}")
        if not said_ok and outcome.get("changed"):
            problems.append(f"{label}a failure reported changed=true")
        mine = None if log is None else sorted((entry for entry in log if entry["args"] == [["department", department]]),
                                               key=lambda entry: entry["received"])
        if mine is not None:
            statuses = seen[department] = [entry["status"] for entry in mine]
            if statuses != expect["seen"]:
                problems.append(f"{label}the stand-in saw statuses {statuses}, expected {expect['seen']}")
            gaps = [round(later["received"] - earlier["received"], 2) for earlier, later in zip(mine, mine[1:])]
            gaps_seen += gaps
            for least, gap in zip(expect["gaps"], gaps):
                if gap < least:
                    problems.append(f"{label}attempts {gaps} s apart, expected at least {expect['gaps']} s")
                    break
        if said_ok:
            accepted = mine is not None and any(entry["status"] == 200 for entry in mine)
            if not accepted or locked is None or not department_users(department) <= locked:
                false_successes += 1
                problems.append(f"{label}FALSE SUCCESS: the module said ok, but the stand-in "
                                f"{'locked nothing for it' if accepted else 'never answered it with 200'}")
    if selections:
        failed = [f"selections[{index}]: {item.get('msg')}" for index, item in enumerate(outcomes) if item.get("failed")]
        summary = f"{len(failed)} of {len(outcomes)} selections failed (the others were applied): {' | '.join(failed)}"
        if failed and (not run.get("failed") or run.get("msg") != summary):
            problems.append(f"the task's message {run.get('msg')!r} is not {summary!r}")
        if not failed and run.get("failed"):
            problems.append(f"the task failed with no selection failed: {run.get('msg')}")
    if log is not None and len(log) != sum(len(item["seen"]) for item in case["expect"]):
        problems.append(f"the stand-in logged {len(log)} requests: {[(e['args'], e['status']) for e in log]}")
    if locked is not None and locked != expected_locked:
        problems.append(f"phones locked: {len(locked)}, expected {len(expected_locked)} "
                        f"(unexpected {sorted(locked - expected_locked)[:5]}, missing {sorted(expected_locked - locked)[:5]})")
    # Only what must be the same in every mode: concurrent requests arrive in any order, gaps vary with the load.
    observation = {"outcome": describe(observed, bool(run.get("failed")), selections),
                   "attempts_seen": None if log is None else len(log), "seen": None if log is None else seen}
    leaks = 0
    if case.get("other_host"):
        elsewhere = record["logs"][case["other_host"]]
        leaks = sum(bool(entry["authorization"]) for entry in elsewhere)
        observation["other_host_saw"] = len(elsewhere)
        if elsewhere:
            problems.append(f"the other host received {len(elsewhere)} requests, {leaks} with an Authorization header")
    return observation, gaps_seen, problems, false_successes, leaks


def seen_text(observation, case):
    if observation["attempts_seen"] is None:
        return "no server"
    if not observation["attempts_seen"]:
        return "0 (TLS handshake failed)"
    by_request = [(department, ", ".join("drop" if status is None else str(status) for status in statuses))
                  for department, statuses in observation["seen"].items()]
    statuses = "; ".join(f"{department} {text}" for department, text in by_request) if len(by_request) > 1 else by_request[0][1]
    text = f"{observation['attempts_seen']}: {statuses}" + (f" ({case['note']})" if "note" in case else "")
    if "other_host_saw" in observation:
        text += f"; other host: {observation['other_host_saw']}"
    return text


def main(argv):
    only = argv[1] if len(argv) > 1 else None
    started = time.monotonic()
    workdir = OUTPUT / SUITE
    shutil.rmtree(workdir, ignore_errors=True)
    # The runner's project is the playbook's folder, as an AWX project checkout has it: the case tasks beside it.
    runner_tasks = workdir / "modes" / "runner" / "project" / "tasks"
    runner_tasks.mkdir(parents=True)
    shutil.copy(CASE_TASKS, runner_tasks / CASE_TASKS.name)
    with StandIn(workdir / "main") as main_standin, StandIn(workdir / "other", host="127.0.0.2") as other, \
            StandIn(workdir / "tls", "--tls-dir", str(workdir / "tls")) as tls, \
            StandIn(workdir / "tls_other", "--tls-dir", str(workdir / "tls_other"), host="127.0.0.2") as tls_other:
        table = [case for case in cases(main_standin, other, tls, tls_other, free_port()) if not only or only in case["name"]]
        if not table:
            print(f"no case matches {only!r}")
            return 1
        extravars = {"faults_cases": [to_playbook(case) for case in table]}
        runs = run_modes(PLAYBOOK, workdir / "modes", extravars, credentials_env(main_standin))
        # The redirect cases' Location is live: a request sent there is logged, so "the other host received
        # nothing" means the module did not follow.
        other.reset()
        requests.put(lock_url(other.url, "Sales"), timeout=10)
        location_live = [entry["status"] for entry in other.log()] == [401]

    problems = []
    sources = {}
    false_successes = leaks = 0
    per_case = {case["name"]: [] for case in table}
    case_problems = {case["name"]: [] for case in table}
    case_gaps = {case["name"]: [] for case in table}
    for mode, case, record in case_records(runs, table, sources, problems, case_problems):
        observation, gaps, found, false_count, leak_count = judge(case, record)
        case_gaps[case["name"]].append(gaps)
        false_successes += false_count
        leaks += leak_count
        case_problems[case["name"]] += [f"{mode}: {problem}" for problem in found]
        per_case[case["name"]].append(observation)
    if not location_live:
        problems.append("the redirect target on 127.0.0.2 does not log a request sent to it: its checks would prove nothing")

    secrets = find_secrets(sources)
    # The runner's env/envvars holds the injected password by design (common.run_with_runner): the scan must see it.
    envvars = workdir / "modes" / "runner" / "env" / "envvars"
    if not find_secrets({"envvars": envvars.read_text(encoding="utf-8") if envvars.exists() else ""}):
        problems.append(f"the secrets scan finds nothing in {envvars}, which holds the password: it would find nothing anywhere")
    problems += [f"secret found: {form} in {source} ({hits} times)" for (source, form), hits in secrets.items()]

    rows = []
    for case in table:
        observations = per_case[case["name"]]
        if len({json.dumps(observation, sort_keys=True) for observation in observations}) > 1:
            case_problems[case["name"]].append(f"the modes differ: {observations}")
        problems += [f"{case['name']}: {problem}" for problem in case_problems[case["name"]]]
        observation = observations[0] if observations else {"outcome": "not run", "attempts_seen": None, "seen": None}
        # The least gap at each position over the modes: what the backoff at least waited.
        gaps = [min(column) for column in zip(*case_gaps[case["name"]])]
        case_ok = len(observations) == len(runs) and not case_problems[case["name"]]
        rows.append({"case": case["name"], "fault": case["fault"], "expected": expected_text(case),
                     "outcome": observation["outcome"], "attempts_seen": observation["attempts_seen"],
                     "server_saw": seen_text(observation, case) if observations else "-", "ok": case_ok,
                     "gaps": ", ".join(f"{gap:.1f}" for gap in gaps) if gaps else "-"})

    faults = [row for row, case in zip(rows, table) if not case["name"].startswith("control:")]
    figures = {
        "faults_tried": len(faults),
        "survived": sum(row["outcome"].startswith("ok") and row["ok"] for row in faults),
        "clean_failures": sum(not row["outcome"].startswith("ok") and row["ok"] for row in faults),
        "false_successes": false_successes,
        "redirect_authorization_leaks": leaks,
        "secrets_found": sum(secrets.values()),
        "secret_sources_scanned": len(sources),
        "seconds": round(time.monotonic() - started, 1),
        "cases": [{key: row[key] for key in ("case", "expected", "outcome", "attempts_seen", "ok")} for row in rows],
    }
    store_figures(SUITE, figures, only)

    print(f"\nChecked {len(table)} cases ({len(faults)} faults, {len(table) - len(faults)} controls) in {len(runs)} modes "
          f"({', '.join(run['mode'] for run in runs)}): the module's outcome, attempts and message, the statuses, queries and gaps "
          f"the stand-in logged, the phones' state, the other host's log, and {len(sources)} texts for secrets.\n")
    print("| case | fault injected | expected | outcome (every mode) | server saw | s between attempts | ok |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['case']} | {row['fault']} | {row['expected']} | {row['outcome']} | {row['server_saw']} | "
              f"{row['gaps']} | {'yes' if row['ok'] else '**no**'} |")
    return report(problems, f"{figures['survived']} faults survived, {figures['clean_failures']} clean failures, 0 false "
                            f"successes, no Authorization header at the other host, no secret in {len(sources)} texts.")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
