# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the reliability suites and print the figures table (make reliability; make test runs a smaller load).

Each suite is its own process, so one that fails still leaves the others' figures. The table is also written to
.build/reliability/figures.md, which is what docs/docsite/rst/reliability.rst carries.
"""

import argparse
import json
import subprocess
import sys
import time

import common

SUITES = ("bad_input", "faults", "hostile", "sites", "holds", "fleet_runs", "load")


def run_suite(name, args):
    """Run one suite; returns (figures or None, exit code)."""
    result = common.OUTPUT / f"{name}.json"
    result.unlink(missing_ok=True)
    print(f"\n===== reliability: {name} {' '.join(args)}", flush=True)
    started = time.monotonic()
    code = subprocess.run([sys.executable, str(common.ROOT / "tests" / "reliability" / f"{name}.py"), *args],
                          check=False).returncode
    print(f"===== reliability: {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
    figures = json.loads(result.read_text(encoding="utf-8")) if result.exists() else None
    return figures, code


def rows(figures):
    """The table rows: (check, what was measured, what must hold, whether it held)."""
    bad, faults, hostile, sites, holds, fleet, load = (figures.get(name) or {} for name in SUITES)
    secrets = sum(suite.get("secrets_found", 0) for suite in (bad, faults, hostile, sites, holds, fleet))
    sources = sum(suite.get("secret_sources_scanned", 0) for suite in (bad, faults, hostile, sites, holds, fleet))
    monitoring = sum(suite.get("status_metrics_files_scanned", 0) for suite in (sites, holds))
    return [
        ("Bad filter values (hypothesis)",
         f"{bad.get('inputs_tried', '?')} tried: {bad.get('exact', '?')} arrived exactly, {bad.get('refused', '?')} refused, "
         f"{bad.get('other', '?')} other", "0 other", bool(bad) and bad.get("other") == 0),
        ("Bad arguments (types, options, URLs)",
         f"{bad.get('argument_cases_tried', '?')} tried: {bad.get('argument_cases_refused_cleanly', '?')} refused cleanly, "
         f"{bad.get('argument_cases_other', '?')} other", "0 other", bool(bad) and bad.get("argument_cases_other") == 0),
        ("Null filters next to real ones (YAML null, unset variable)",
         f"{hostile.get('null_cases_tried', '?')} tried: {hostile.get('null_requests_sent', '?')} requests reached the server",
         "0 requests", bool(hostile) and hostile.get("null_requests_sent") == 0),
        ("Bad site lists (one bad site among good ones)",
         f"{sites.get('site_cases_tried', '?')} tried: {sites.get('site_cases_confined', '?')} confined to their site, "
         f"{sites.get('site_cases_valid', '?')} valid, {sites.get('site_cases_other', '?')} other; end to end "
         f"{sites.get('site_end_to_end_held', '?')} of {sites.get('site_end_to_end_runs', '?')} held", "0 other, all held",
         bool(sites) and sites.get("site_cases_other") == 0 and sites.get("site_end_to_end_held") == sites.get("site_end_to_end_runs")),
        ("Holds (generated site lists, I1-I6)",
         f"{holds.get('site_lists', '?')} site lists ({holds.get('site_lists_fixed', '?')} fixed, the rest from hypothesis), "
         f"{holds.get('runs', '?')} runs, {holds.get('faults_injected', '?')} faults injected: {holds.get('violations', '?')} invariant "
         f"violations ({', '.join(f'{name} {count}' for name, count in (holds.get('violations_by_invariant') or {}).items() if count) or 'none'})",
         "0 violations", bool(holds) and holds.get("violations") == 0),
        ("A fleet's runs (office_hours_limit_by_server from an attacker, a wrong password, an unreachable server)",
         f"{fleet.get('runs', '?')} runs of {fleet.get('servers_per_run', '?')} servers, {fleet.get('entry_kinds_tried', '?')} kinds of "
         f"entry: {fleet.get('problems', '?')} problems", "0 problems: each server its own entry's requests, one server's trouble "
         "its own", bool(fleet) and fleet.get("problems") == 0 and not fleet.get("entry_kinds_not_tried")),
        ("Faults",
         f"{faults.get('faults_tried', '?')} tried: {faults.get('survived', '?')} survived, "
         f"{faults.get('clean_failures', '?')} clean failures, {faults.get('false_successes', '?')} false successes",
         "0 false successes", bool(faults) and faults.get("false_successes") == 0),
        ("Hostile servers (echoed credentials, garbage Retry-After, drip, 300 MB body, 1xx, 2xx error pages, 401s, proxies)",
         f"{hostile.get('hostile_cases_tried', '?')} tried: {hostile.get('held', '?')} held (with the null cases), "
         f"{hostile.get('false_successes', '?')} false successes, {hostile.get('crashes', '?')} crashes; "
         f"{hostile.get('requests_after_401', '?')} logins after a 401 (already in flight); "
         f"{hostile.get('huge_body_bytes_sent_before_close', 0) / 1048576:.1f} MiB of a 300 MB body sent before the module closed",
         "0 false successes, 0 crashes", bool(hostile) and hostile.get("false_successes") == 0 and hostile.get("crashes") == 0
         and hostile.get("held") == hostile.get("hostile_cases_tried", 0) + hostile.get("null_cases_tried", 0)),
        ("Secrets and fragments (-vvvv, ANSIBLE_DEBUG=1, no_log: false, ansible-runner, status and metrics files)",
         f"{secrets} found in {sources} outputs and artifacts (whole, every spelling, 8+ characters of the password, 12+ of "
         f"the token); status/metrics files scanned: {monitoring}; Authorization sent to the redirect host "
         f"{faults.get('redirect_authorization_leaks', '?')} times",
         "0 found, 0 sent",
         bool(bad) and bool(faults) and bool(hostile) and secrets == 0 and faults.get("redirect_authorization_leaks") == 0),
        ("Load",
         f"{load.get('applied', '?')} of {load.get('sent', '?')} requests applied; {load.get('runs', '?')} concurrent runs × "
         f"{load.get('selections_per_run', '?')} selections, {load.get('failed_runs', '?')} failed; "
         f"{load.get('requests_per_second', 0):.1f} requests/s, slowest run {load.get('slowest_run_s', 0):.1f} s",
         "all applied, final state exact",
         bool(load) and load.get("applied") == load.get("sent") and load.get("failed_runs") == 0
         and load.get("final_state_exact") is True),
    ]


def table(figures):
    lines = ["| check | measured | must hold | held |", "| --- | --- | --- | --- |"]
    lines += [f"| {check} | {measured} | {rule} | {'yes' if held else '**NO**'} |" for check, measured, rule, held in rows(figures)]
    cases = (figures.get("faults") or {}).get("cases") or []
    if cases:
        lines += ["", "| fault | expected | outcome | attempts the server saw | held |", "| --- | --- | --- | --- | --- |"]
        # None: nothing listens there (refused, unresolvable), so no server could count attempts.
        lines += [f"| {case['case']} | {case['expected']} | {case['outcome']} | "
                  f"{'no server' if case['attempts_seen'] is None else case['attempts_seen']} | "
                  f"{'yes' if case['ok'] else '**NO**'} |" for case in cases]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load-runs", type=int, default=20, help="concurrent ansible-playbook runs in the load test")
    parser.add_argument("--holds-examples", type=int, default=40, help="generated site lists in the holds suite (default 40)")
    parser.add_argument("--fleet-examples", type=int, default=16,
                        help="generated office_hours_limit_by_server maps in the fleet_runs suite (default 16)")
    parser.add_argument("--suites", nargs="+", choices=SUITES, default=list(SUITES))
    options = parser.parse_args()
    figures, failed = {}, []
    for name in options.suites:
        args = {"load": ["--runs", str(options.load_runs)], "holds": ["--examples", str(options.holds_examples)],
                "fleet_runs": ["--examples", str(options.fleet_examples)]}.get(name, [])
        figures[name], code = run_suite(name, args)
        if code or figures[name] is None:
            failed.append(name)
    text = table(figures)
    (common.OUTPUT / "figures.md").write_text(text + "\n", encoding="utf-8")
    print(f"\n{text}\n")
    held = all(row[3] for row in rows(figures)) if options.suites == list(SUITES) else True
    if failed or not held:
        print(f"reliability: FAILED ({', '.join(failed) or 'a figure above did not hold'})", file=sys.stderr)
        return 1
    print(f"reliability: every check held (table in {common.OUTPUT.relative_to(common.ROOT) / 'figures.md'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
