# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile servers and careless input: the module's promises, judged by what the servers saw and what the runs printed.

Every case runs through playbooks/hostile.yml in every mode of common.run_modes, against hostile_server.py (which
echoes the credentials in every spelling, sends garbage Retry-After values, drips, floods, answers 1xx, 2xx error pages
and 401s, and plays a proxy) or against the stand-in (null filters next to real ones). Counted:
- false successes: the module said ok where the server did not apply the request;
- crashes: a traceback, a MODULE FAILURE, or the module's own "unexpected" catch-all;
- secrets: whole secrets and fragments (8+ characters of the password, 12+ of the Basic token) in any output;
- requests sent after a 401, bytes of a huge body read, seconds a dripping reply held a task.

    python tests/reliability/hostile.py [NAME-FRAGMENT]   # a fragment runs only the matching cases (no figures)
"""

import json
import re
import shutil
import socket
import sys
import time
from pathlib import Path

from common import OUTPUT, PASSWORD, USERNAME, StandIn, case_records, credentials_env, find_secrets, report, run_modes, store_figures
from hostile_server import HUGE_BODY, HostileServer

SUITE = "hostile"
PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "hostile.yml"
CASE_TASKS = PLAYBOOK.parent / "tasks" / "hostile_case.yml"
PROXY_PASSWORD = "Pr0xyS3cretPassw0rd"
# What a message may show of the server's 300 characters, and the module's read bound (plugins/module_utils/api.py).
MAX_BODY = 1024 * 1024


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cases(hostile, standin):
    """Every case: the module's arguments, and what must hold (outcome, message pattern, requests the server may see)."""
    base = {"url": hostile.url}
    refusing_proxy = f"http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}"
    table = [
        {"name": "control: a plain success", "department": "ok-control", "expect": "ok", "requests": 1},
        # Credentials echoed by the server, in every spelling and place.
        {"name": "echo: past the cut, after a run of blanks", "department": "echocut", "expect": "failed", "requests": 1,
         "message": r"PUT \S+ failed: HTTP 400 Bad Request: the server refused the request\. Server said: x{290} \*{8} ?\.\.\."},
        {"name": "echo: JSON-escaped", "department": "echojson", "expect": "failed", "requests": 1,
         "message": r".*Server said: \{\"Message\": \"login api-admin/\*{8} refused\", \"Header\": \"Basic \*{8}\"\}"},
        {"name": "echo: percent-encoded", "department": "echopercent", "expect": "failed", "requests": 1,
         "message": r".*Server said: user=api-admin&password=\*{8}&auth=\*{8}"},
        {"name": "echo: in the reason phrase", "department": "echoreason", "expect": "failed", "requests": 1,
         "message": r"PUT \S+ failed: HTTP 400 Bad password \*{8} for \*{8}: the server refused the request\."},
        {"name": "echo: in Location", "department": "echolocation", "expect": "failed", "requests": 1,
         "message": r".*the server redirects to https://elsewhere\.example/\?pw=\*{8}&auth=\*{8}\. Redirects are not followed.*"},
        {"name": "echo: fragments", "department": "echofragment", "expect": "failed", "requests": 1, "retries": 0,
         "message": r".*Server said: audit: pw=\*{8} hdr=\*{8}"},
        # Retry-After values no parser expects.
        {"name": "Retry-After: ²", "department": "retryafter-superscript", "expect": "ok", "requests": 2, "retries": 1},
        {"name": "Retry-After: 400 nines", "department": "retryafter-nines", "expect": "failed", "requests": 1, "retries": 1,
         "message": r".*the server asked to retry after 1000000000 s, longer than the 120 s this module waits\. Run the task again later\."},
        {"name": "Retry-After: 5000 nines (past int()'s digit limit)", "department": "retryafter-manynines", "expect": "failed",
         "requests": 1, "retries": 1,
         "message": r".*the server asked to retry after 1000000000 s, longer than the 120 s this module waits\. Run the task again later\."},
        {"name": "Retry-After: asctime date", "department": "retryafter-asctime", "expect": "ok", "requests": 2, "retries": 1},
        {"name": "Retry-After: -0000 date", "department": "retryafter-minus", "expect": "ok", "requests": 2, "retries": 1},
        {"name": "Retry-After: garbage", "department": "retryafter-garbage", "expect": "ok", "requests": 2, "retries": 1},
        # Replies that never end, or never stop.
        {"name": "slow drip: a byte a second", "department": "drip", "expect": "failed", "requests": 2, "retries": 1, "timeout": 3,
         "max_seconds": 2 * 3 + 1 + 5,  # two attempts of 3 s, the 1 s backoff, and the module's start
         "message": r".*failed after 2 attempt\(s\): no complete reply within 3\.0 s \(the server kept the connection open without "
                    r"finishing its answer\)\. Check the server, or raise timeout\."},
        {"name": "huge body: 300 MB", "department": "huge", "expect": "failed", "requests": 1, "retries": 0,
         "message": r".*HTTP 500 Internal Server Error after 1 attempt\(s\): the server reported an error\. Server said: z{300}\.\.\."},
        {"name": "a 1xx as the final answer", "department": "interim", "expect": "failed", "requests": 1,
         "message": r".*HTTP 102 Processing: an interim \(1xx\) status as the final answer.*"},
        {"name": "a 2xx that is a sign-in page", "department": "htmlok", "expect": "failed", "requests": 1,
         "message": r".*HTTP 200, but with an HTML page instead of a Phone Lock reply.*"},
        {"name": "a 2xx that reports an error", "department": "errorok", "expect": "failed", "requests": 1,
         "message": r".*HTTP 200, but the reply reports an error.*license expired.*"},
        # Several selections: one of them breaks the old code's handler, another fails: all are reported.
        {"name": "a crash-prone reply among concurrent selections", "expect": "ok", "requests": 5, "retries": 1, "concurrency": 4,
         "selections": [{"department": "ok-s1"}, {"department": "retryafter-superscript-selection"}, {"department": "ok-s2"},
                        {"department": "ok-s3"}],
         "count": ["ok-s1", "retryafter-superscript-selection", "ok-s2", "ok-s3"]},
        {"name": "a wrong password with 12 selections", "expect": "failed", "password": "wrong-password", "concurrency": 4,
         "retries": 2, "selections": [{"department": f"unauthorized-{n}"} for n in range(12)],
         "count": [f"unauthorized-{n}" for n in range(12)], "max_requests": 4, "not_sent_at_least": 8},
        # Proxies from the environment.
        {"name": "proxy: refusing, with credentials in its address", "department": "ok-proxy1", "expect": "failed", "requests": 0,
         "retries": 0, "environment": {"HTTP_PROXY": refusing_proxy, "NO_PROXY": ""},
         "message": r"PUT \S+ \(through the proxy http://127\.0\.0\.1:\d+\) failed after 1 attempt\(s\): the proxy "
                    r"http://127\.0\.0\.1:\d+ did not pass the request on.*"},
        {"name": "proxy: asks for credentials (407)", "department": "ok-proxy2", "expect": "failed", "requests": 1,
         "environment": {"HTTP_PROXY": hostile.url, "NO_PROXY": ""},
         "message": r".*HTTP 407 Proxy Authentication Required: the proxy http://127\.0\.0\.1:\d+ wants credentials.*"},
        {"name": "proxy: use_proxy false goes direct", "department": "ok-proxy3", "expect": "ok", "requests": 1, "use_proxy": False,
         "environment": {"HTTP_PROXY": refusing_proxy, "NO_PROXY": ""}},
    ]
    null_message = r".*is null: a filter that is given must have a value\..*"
    nulls = [
        {"name": "null: department next to a site", "department": None, "custom_field1": "Milano"},
        {"name": "null: custom field next to a department", "department": "Sales", "custom_field1": None},
        {"name": "null: in a selection", "selections": [{"department": "Sales"}, {"department": None, "custom_field1": "Milano"}]},
        {"name": "null: selections itself", "selections": None, "custom_field1": "Milano",
         "message": r"selections is null: give a list of selections, or leave the option out\."},
    ]
    for case in nulls:
        case.setdefault("message", null_message)
        case.update(url=standin.url, expect="failed", requests=0, null=True)
    table += nulls
    for case in table:
        for key, value in base.items():
            case.setdefault(key, value)
    return table


def to_playbook(case):
    return {key: value for key, value in case.items()
            if key in ("name", "url", "password", "timeout", "retries", "concurrency", "use_proxy", "department", "custom_field1",
                       "selections", "environment")}


CRASH = re.compile(r"Traceback \(most recent call last\)|MODULE FAILURE|unexpected \w+Error|could not convert|cannot convert")


def judge(case, run, seconds_held):
    """Problems of one case in one mode, and whether it was a false success or a crash."""
    problems = []
    outcome = "failed" if run.get("failed") else "ok"
    text = json.dumps(run, ensure_ascii=False)
    crash = bool(CRASH.search(text))
    false_success = outcome == "ok" and case["expect"] == "failed"
    if outcome != case["expect"]:
        problems.append(f"outcome {outcome}, expected {case['expect']}: {run.get('msg')}")
    if "message" in case and outcome == "failed" and not re.fullmatch(case["message"], run.get("msg") or "", re.DOTALL):
        problems.append(f"message {run.get('msg')!r} does not match {case['message']!r}")
    if crash:
        problems.append(f"crash: {run.get('msg') or run.get('module_stderr')}")
    if "max_seconds" in case and seconds_held > case["max_seconds"]:
        problems.append(f"the task took {seconds_held:.1f} s, more than {case['max_seconds']} s")
    if "not_sent_at_least" in case:
        not_sent = [entry for entry in run.get("results", []) if " not sent: " in (entry.get("msg") or "")]
        if len(not_sent) < case["not_sent_at_least"]:
            problems.append(f"{len(not_sent)} selections reported 'not sent', expected at least {case['not_sent_at_least']}")
    if case.get("selections") and not case.get("null") and len(run.get("results", [])) != len(case["selections"]):
        problems.append(f"{len(run.get('results', []))} results for {len(case['selections'])} selections: some went unreported")
    return problems, false_success, crash


def main(argv):
    only = argv[1] if len(argv) > 1 else None
    started = time.monotonic()
    workdir = OUTPUT / SUITE
    shutil.rmtree(workdir, ignore_errors=True)
    runner_tasks = workdir / "modes" / "runner" / "project" / "tasks"
    runner_tasks.mkdir(parents=True)
    shutil.copy(CASE_TASKS, runner_tasks / CASE_TASKS.name)
    with HostileServer(USERNAME, PASSWORD) as hostile, StandIn(workdir / "standin") as standin:
        table = [case for case in cases(hostile, standin) if not only or only in case["name"]]
        if not table:
            print(f"no case matches {only!r}")
            return 1
        runs = run_modes(PLAYBOOK, workdir / "modes", {"hostile_cases": [to_playbook(case) for case in table]},
                         credentials_env(standin))
        # Let abandoned exchanges (the drip) end before the logs are read.
        time.sleep(1)
        standin_log = standin.log()
        huge_sent = list(hostile.huge_bytes_sent)

    problems, sources = [], {}
    false_successes = crashes = 0
    case_problems = {case["name"]: [] for case in table}
    for mode, case, record in case_records(runs, table, sources, problems, case_problems):
        found, false_success, crash = judge(case, record["run"], float(record["seconds"]))
        false_successes += false_success
        crashes += crash
        case_problems[case["name"]] += [f"{mode}: {problem}" for problem in found]

    after_401 = 0
    for case in table:
        departments = case.get("count") or ([case["department"]] if case.get("department") and not case.get("null") else [])
        seen = sum(len(hostile.requests_for(department)) for department in departments) if departments else 0
        if "requests" in case and not case.get("null") and seen != case["requests"] * len(runs):
            case_problems[case["name"]].append(f"the hostile server saw {seen} requests, expected {case['requests']} per run")
        if "max_requests" in case:
            after_401 += max(0, seen - len(runs))
            if seen > case["max_requests"] * len(runs):
                case_problems[case["name"]].append(f"the server saw {seen} logins, more than {case['max_requests']} per run")
    null_requests = [entry for entry in standin_log if "Milano" in entry.get("query_string", "") or "Sales" in entry.get("query_string", "")]
    if any(case.get("null") for case in table) and null_requests:
        problems.append(f"a null filter reached the stand-in: {null_requests}")
    huge_read = max(huge_sent or [0])
    if any(case["department"] == "huge" for case in table if "department" in case) and not 0 < huge_read < 16 * MAX_BODY:
        problems.append(f"the huge body case: the server sent {huge_read} bytes before the module closed the connection "
                        f"(of {HUGE_BODY}); the module must stop reading at about {MAX_BODY}")

    secrets = find_secrets(sources)
    # The proxy address is the case's own input, which Ansible prints with the task at -vvvv: what the module
    # returned must not hold its password.
    registered = {source: text for source, text in sources.items() if source.endswith("registered results")}
    secrets.update(find_secrets(registered, secrets={"proxy password": PROXY_PASSWORD}))
    problems += [f"secret found: {form} in {source} ({hits} times)" for (source, form), hits in secrets.items()]
    for case in table:
        problems += [f"{case['name']}: {problem}" for problem in case_problems[case["name"]]]

    tried = [case for case in table if not case["name"].startswith("control:")]
    figures = {
        "hostile_cases_tried": sum(not case.get("null") for case in tried),
        "null_cases_tried": sum(bool(case.get("null")) for case in tried),
        "null_requests_sent": len(null_requests),
        "held": sum(not case_problems[case["name"]] for case in tried),
        "false_successes": false_successes,
        "crashes": crashes,
        "requests_after_401": after_401,
        "huge_body_bytes_sent_before_close": huge_read,
        "secrets_found": sum(secrets.values()),
        "secret_sources_scanned": len(sources),
        "seconds": round(time.monotonic() - started, 1),
        "cases": [{"case": case["name"], "expected": case["expect"], "ok": not case_problems[case["name"]]} for case in table],
    }
    store_figures(SUITE, figures, only)
    print(f"\nChecked {len(table)} cases in {len(runs)} modes ({', '.join(run['mode'] for run in runs)}).")
    for case in table:
        print(f"| {case['name']} | {case['expect']} | {'yes' if not case_problems[case['name']] else '**no**'} |")
    return report(problems, f"{figures['held']} of {len(tried)} cases held; 0 false successes, 0 crashes, no secret or "
                            f"fragment in {len(sources)} texts.")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
