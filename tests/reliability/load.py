# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Load: many ansible-playbook runs at once against one stand-in, each locking or unlocking its own selections.

    python tests/reliability/load.py [--runs N] [--selections M]

Every selection of every run is distinct and its effect known in advance, so the stand-in's request log, the runs'
registered results and the final lock state of every user can each be compared with what must have happened.
Figures go to .build/reliability/load.json; the exit code is 1 when any check fails.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import common
import generate_data  # the stand-in's sample directory (tests/standin, on sys.path through common)

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "load.yml"
WORKDIR = common.OUTPUT / "load"
ACTIONS = {"locked": "Lock", "unlocked": "Unlock"}
# Runs cycle through these departments: the filters carry '&', non-ASCII letters and spaces as real ones do.
DEPARTMENTS = ("R&D", "Qualità", "Relações Públicas", "Human Resources", "Logística")
# Part of every customField1 value, so that the module's URL encoding is exercised under load too.
TAGS = ("A&B", "C++", "50%", "#7", "x=y", "Ops 24/7", "Zürich", "東京", "Café?")
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
SHOWN = 10  # problems listed per check; the count says how many there were


def plan_runs(runs, selections):
    """The runs, their selections with their expected counts, and the data file's users.

    Run r locks when r is even and unlocks when it is odd. Selection s of run r is the department of the run plus a
    customField1 value no other selection has, and matches 1 to 3 users ("members"); some members already hold the
    run's state, so changed differs from matched, and every tenth selection changes nothing. One "decoy" per
    selection shares its customField1 value but not its department: the filters must be ANDed. The sample directory's
    300 users are bystanders that no selection matches.
    """
    users = [dict(user) for user in generate_data.build()["users"]]
    plan = []
    for run in range(runs):
        state = "locked" if run % 2 == 0 else "unlocked"
        target = state == "locked"
        department = DEPARTMENTS[run % len(DEPARTMENTS)]
        other_department = DEPARTMENTS[(run + 1) % len(DEPARTMENTS)]
        entries = []
        for index in range(selections):
            value = f"Load {run:02d}-{index:02d} {TAGS[index % len(TAGS)]}"
            size = 1 + index % 3
            already = size if index % 10 == 9 else (1 if size == 3 else 0)
            members = []
            for member in range(size):
                # Stored in capitals now and then: the stand-in matches case-insensitively, so these are members too.
                stored = department.upper() if member == 1 and index % 4 == 1 else department
                members.append(_user(f"load.r{run}.s{index}.m{member}", stored, value, target if member < already else not target))
            users.extend(members)
            users.append(_user(f"load.r{run}.s{index}.decoy", other_department, value, not target))
            entries.append({"filters": {"department": department, "customField1": value},
                            "members": [user["username"] for user in members],
                            "matched": size, "changed": size - already})
        if not any(entry["changed"] for entry in entries):
            raise AssertionError(f"run {run} would change no phone: the plan must make every run do something")
        plan.append({"run": run, "state": state, "selections": entries})
    values = [entry["filters"]["customField1"] for run in plan for entry in run["selections"]]
    if len(set(values)) != len(values):
        raise AssertionError("two selections share a customField1 value: their effects would overlap")
    return plan, users


def _user(username, department, value, locked):
    user = {"username": username, "name": username, "department": department, "customField1": value}
    user.update({f"customField{number}": "" for number in range(2, 11)})
    user["locked"] = locked
    return user


def expected_final_state(plan, users):
    """{username: locked} once every run is done: members hold their run's state, everybody else is untouched."""
    state = {user["username"]: user["locked"] for user in users}
    for run in plan:
        for entry in run["selections"]:
            state.update((member, run["state"] == "locked") for member in entry["members"])
    return state


def expected_requests(plan):
    """{(path, sorted decoded args): (run, selection index, entry)} for the N x M requests that must arrive."""
    expected = {}
    for run in plan:
        path = common.API_PATH + ACTIONS[run["state"]]
        for index, entry in enumerate(run["selections"]):
            expected[(path, tuple(sorted(entry["filters"].items())))] = (run["run"], index, entry)
    return expected


def start_runs(plan, standin):
    """Start one ansible-playbook per run at the same moment; returns [{"rc", "recap", "start", "end", ...}]."""
    env = common.credentials_env(standin)
    gate = threading.Barrier(len(plan))
    outcomes = [None] * len(plan)

    for run in plan:
        folder = WORKDIR / "runs" / f"{run['run']:02d}"
        folder.mkdir(parents=True)
        extravars = {"load_state": run["state"], "load_results_path": str(folder / "results.json"),
                     "load_selections": [entry["filters"] for entry in run["selections"]]}
        (folder / "extravars.json").write_text(json.dumps(extravars, ensure_ascii=False), encoding="utf-8")

    def job(run):
        folder = WORKDIR / "runs" / f"{run['run']:02d}"
        gate.wait()
        start = time.monotonic()
        try:
            done = common.run_playbook(PLAYBOOK, "-e", f"@{folder / 'extravars.json'}", env=env)
            rc, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            # run() leaves the output captured so far as bytes on a timeout.
            partial = exc.stdout or b""
            rc, stderr = None, f"timed out after {exc.timeout} s"
            stdout = partial.decode("utf-8", "replace") if isinstance(partial, bytes) else partial
        end = time.monotonic()
        (folder / "stdout.txt").write_text(stdout, encoding="utf-8")
        (folder / "stderr.txt").write_text(stderr, encoding="utf-8")
        outcomes[run["run"]] = {"rc": rc, "recap": RECAP.findall(stdout), "start": start, "end": end,
                                "results_file": folder / "results.json", "stdout": stdout, "stderr": stderr}

    threads = [threading.Thread(target=job, args=(run,)) for run in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def check_runs(outcomes):
    """Problems with the runs themselves: an exit code other than 0, or a recap that is missing or shows a failure."""
    problems = []
    for number, outcome in enumerate(outcomes):
        recap = outcome["recap"]
        if outcome["rc"] == 0 and len(recap) == 1 and recap[0][2:] == ("0", "0"):
            continue
        lines = common.redact(outcome["stdout"] + outcome["stderr"]).strip().splitlines()[-8:]
        tail = "\n      ".join(line if len(line) <= 300 else line[:300] + " ..." for line in lines)
        problems.append(f"run {number}: exit {outcome['rc']}, recap {recap or 'missing'}; last lines:\n      {tail}")
    return problems


def check_results(plan, outcomes):
    """Problems with what each run's task registered: one result per selection, in order, with the expected counts."""
    problems = []
    for run, outcome in zip(plan, outcomes):
        try:
            results = json.loads(outcome["results_file"].read_text(encoding="utf-8")).get("results")
        except (OSError, ValueError) as exc:
            problems.append(f"run {run['run']}: no readable results file ({exc.__class__.__name__})")
            continue
        if not isinstance(results, list) or len(results) != len(run["selections"]):
            problems.append(f"run {run['run']}: {len(results) if isinstance(results, list) else 'no'} results for "
                            f"{len(run['selections'])} selections")
            continue
        for index, (entry, result) in enumerate(zip(run["selections"], results)):
            want = {"filters": entry["filters"], "status": 200, "failed": False, "phones_matched": entry["matched"],
                    "phones_changed": entry["changed"], "changed": entry["changed"] > 0}
            got = {key: result.get(key) for key in want}
            if got != want:
                problems.append(f"run {run['run']} selection {index}: registered {got}, expected {want}")
    return problems


def check_log(plan, log):
    """Problems with the stand-in's request log, and how many of its entries were applied exactly as expected."""
    expected = expected_requests(plan)
    keys = [(entry["path"], tuple(sorted(tuple(pair) for pair in entry["args"]))) for entry in log]
    seen = Counter(keys)
    problems = [f"{len(log)} requests logged, {len(expected)} expected"] if len(log) != len(expected) else []
    problems += [f"never arrived: run {run} selection {index} {path} {dict(args)}"
                 for (path, args), (run, index, dummy) in expected.items() if not seen[(path, args)]]
    problems += [f"arrived {count} times: {path} {dict(args)}" for (path, args), count in seen.items() if count > 1]
    applied = set()  # a request retried after an error is applied once, by the attempt that got its 200
    for entry, key in zip(log, keys):
        if key not in expected:
            problems.append(f"unexpected request #{entry['seq']}: {entry['method']} {entry['path']} args {entry['args']}")
            continue
        run, index, want = expected[key]
        fields = {"method": entry["method"], "user": entry["user"], "status": entry["status"], "fault": entry["fault"],
                  "matched": entry["matched"], "changed": entry["changed"]}
        wanted = {"method": "PUT", "user": common.USERNAME, "status": 200, "fault": None,
                  "matched": want["matched"], "changed": want["changed"]}
        if fields != wanted:
            problems.append(f"request #{entry['seq']} (run {run} selection {index}): {fields}, expected {wanted}")
        else:
            applied.add(key)
    return problems, len(applied)


def check_state(expected, phones):
    """Problems with the final lock state: every user, the untouched ones too, must be as expected."""
    actual = {phone["username"]: phone["locked"] for phone in phones}
    problems = [f"{name}: locked={actual.get(name, 'missing')}, expected locked={locked}"
                for name, locked in expected.items() if actual.get(name) != locked]
    problems += [f"{name}: a user the data file does not have" for name in actual if name not in expected]
    return problems


def report(title, problems):
    """Print one check's verdict (at most SHOWN of its problems) and return whether it held."""
    if not problems:
        print(f"ok    {title}")
        return True
    print(f"FAIL  {title}: {len(problems)} problem(s)")
    for problem in problems[:SHOWN]:
        print(f"      - {problem}")
    if len(problems) > SHOWN:
        print(f"      ... and {len(problems) - SHOWN} more")
    return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="concurrent ansible-playbook runs (default 20)")
    parser.add_argument("--selections", type=int, default=50, help="selections per run, one request each (default 50)")
    options = parser.parse_args(argv)
    if options.runs < 1 or options.selections < 1:
        parser.error("--runs and --selections must be 1 or more")
    began = time.monotonic()

    # A results file left over from an earlier run must never stand in for this one's.
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    plan, users = plan_runs(options.runs, options.selections)
    data_file = WORKDIR / "users.json"
    data_file.write_text(json.dumps({"accounts": generate_data.ACCOUNTS, "users": users}, ensure_ascii=False),
                         encoding="utf-8")
    requests_total = options.runs * options.selections
    print(f"load: {options.runs} concurrent ansible-playbook runs x {options.selections} selections "
          f"({sum(run['state'] == 'locked' for run in plan)} lock, {sum(run['state'] == 'unlocked' for run in plan)} unlock)"
          f" = {requests_total} requests, {len(users)} users in the stand-in", flush=True)

    with common.StandIn(WORKDIR / "standin", "--data", str(data_file)) as standin:
        outcomes = start_runs(plan, standin)
        log = standin.log()
        phones = standin.phones()

    wall = max(outcome["end"] for outcome in outcomes) - min(outcome["start"] for outcome in outcomes)
    run_problems = check_runs(outcomes)
    log_problems, applied = check_log(plan, log)
    state_problems = check_state(expected_final_state(plan, users), phones)
    held = [
        report(f"every run exited 0 with failed=0 in its recap ({options.runs} runs)", run_problems),
        report(f"every run registered the expected result for each of its {options.selections} selections, in order",
               check_results(plan, outcomes)),
        report(f"the stand-in logged exactly the {requests_total} expected requests, each once, 200, with the exact "
               "decoded filters and the expected matched/changed counts", log_problems),
        report(f"the final lock state of all {len(users)} users is the expected one (untouched users included)",
               state_problems),
    ]
    figures = {
        "runs": options.runs,
        "selections_per_run": options.selections,
        "sent": len(log),
        "applied": applied,
        "failed_runs": len(run_problems),
        "requests_per_second": round(applied / wall, 1),
        "slowest_run_s": round(max(outcome["end"] - outcome["start"] for outcome in outcomes), 2),
        "wall_s": round(wall, 2),
        "final_state_exact": not state_problems,
    }
    print(f"{applied} requests applied in {wall:.1f} s from the first start to the last end: "
          f"{figures['requests_per_second']} requests/s; slowest run {figures['slowest_run_s']} s")
    common.write_figures("load", figures)
    print(f"load: {'every check held' if all(held) else 'FAILED'} ({time.monotonic() - began:.0f} s in all)")
    if not all(held):
        print("load: FAILED: a check above did not hold; each run's output is in "
              f"{(WORKDIR / 'runs').relative_to(common.ROOT)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
