# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad site lists: one site that is not valid among good ones must be confined to itself.

Each case puts one bad site third in a list of five (a misspelt or unknown selection key, a number, boolean, list,
null, empty or blank value, a control character, a bad, misspelt, fixed-offset or legacy time zone, bad days, hours
and dates, YAML's base-60 reading of an unquoted time, overnight hours, a name that clashes ignoring case, a bad name,
not a dictionary at all), plus generated selection values and zone names (hypothesis). For every case:

* office_hours_plan leaves that one site out (action invalid) with a message that starts with its coordinates,
  office_hours_sites[2], and plans the four others as without it ("confined");
* office_hours_timers and office_hours_rrules refuse the list with a message that starts with those coordinates;
* anything else (a traceback, another site touched, a message elsewhere) is "other".

Then a few cases run end to end: ansible-playbook with the role against the stand-in server; the four good sites'
phones must be set, no request may carry the bad site's filters, and the run must fail at the end naming the site.
Those runs also write the role's status and metrics files (office_hours_status_path, office_hours_metrics_path): the
status must list the five sites with only the bad one failed, the metrics must parse (prometheus_client's parser, when
installed), and common.find_secrets scans both with the run's stdout and stderr, after a self-check that it flags a fake
status and metrics file holding the password.

Writes .build/reliability/sites.json and exits 1 when any case is "other", an end-to-end run did not hold, or a secret was
found. Run by hand after make install: .venv/tools/bin/python tests/reliability/sites.py [--examples N]
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import common

sys.path.insert(0, os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(common.ROOT / ".build" / "collections")).split(os.pathsep)[0])
# pylint: disable=wrong-import-position
from hypothesis import HealthCheck, given, settings, strategies  # noqa: E402
from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_plan import office_hours_plan  # noqa: E402
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_rrules import office_hours_rrules  # noqa: E402
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_timers import office_hours_timers  # noqa: E402

GOOD = [
    {"name": "milano", "timezone": "Europe/Rome", "selections": [{"custom_field1": "Milano"}]},
    {"name": "roma", "timezone": "Europe/Rome", "selections": [{"custom_field1": "Roma"}], "days": ["mon", "tue", "wed", "thu", "fri", "sat"]},
    {"name": "new-york", "timezone": "America/New_York", "selections": [{"custom_field1": "New York"}], "opens": "08:30"},
    {"name": "sydney", "timezone": "Australia/Sydney", "selections": [{"custom_field1": "Sydney"}], "closed_dates": ["2026-12-25"]},
]
AT = "2026-11-24T12:00:00Z"  # Milano and Roma open, New York (07:00) and Sydney (23:00) closed
BAD_NAME = "napoli"


def bad(**changes):
    site = {"name": BAD_NAME, "timezone": "Europe/Rome", "selections": [{"custom_field1": "Napoli"}]}
    site.update(changes)
    return {key: value for key, value in site.items() if value is not Ellipsis}


CASES = {
    "misspelt key customfield1": bad(selections=[{"customfield1": "Napoli"}]),
    "unknown key dept": bad(selections=[{"custom_field1": "Napoli", "dept": "Sales"}]),
    "number value": bad(selections=[{"custom_field1": 100}]),
    "boolean value": bad(selections=[{"department": True}]),
    "list value": bad(selections=[{"department": ["Sales"]}]),
    "null value": bad(selections=[{"department": None}]),
    "empty value": bad(selections=[{"department": ""}]),
    "blank value": bad(selections=[{"department": "  "}]),
    "control character": bad(selections=[{"department": "Sales\n"}]),
    "filter and its alias": bad(selections=[{"custom_field1": "Napoli", "customField1": "Napoli"}]),
    "all_phones not a boolean": bad(selections=[{"all_phones": "maybe"}]),
    "all_phones with a filter": bad(selections=[{"all_phones": True, "department": "Sales"}]),
    "no filter": bad(selections=[{"all_phones": False}]),
    "empty selection": bad(selections=[{}]),
    "selections not a list": bad(selections={"custom_field1": "Napoli"}),
    "no selections": bad(selections=Ellipsis),
    "misspelt zone": bad(timezone="Europe/Napoli"),
    "zone in lower case": bad(timezone="europe/rome"),
    "fixed-offset zone EST": bad(timezone="EST"),
    "fixed-offset zone Etc/GMT-1": bad(timezone="Etc/GMT-1"),
    "UTC": bad(timezone="UTC"),
    "legacy zone CET": bad(timezone="CET"),
    "zone a number": bad(timezone=1),
    "no zone": bad(timezone=Ellipsis),
    "bad weekday": bad(days=["mon", "funday"]),
    "days not a list": bad(days="mon-fri"),
    "unquoted time (YAML base 60)": bad(closes=1080),
    "time 25:00": bad(opens="25:00"),
    "overnight hours": bad(opens="22:00", closes="06:00"),
    "hours of a day that is not an office day": bad(hours={"sun": {"opens": "09:00"}}),
    "bad closed date": bad(closed_dates=["2026-02-30"]),
    "range ends before it starts": bad(closed_dates=["2026-12-31..2026-12-01"]),
    "unknown site key": bad(timzone="Europe/Rome"),
    "name that clashes ignoring case": bad(name="MILANO"),
    "name with a space": bad(name="napoli centro"),
    "no name": bad(name=Ellipsis),
    "not a dictionary": "napoli",
    # The office calendar's own keys: holidays, special days and holds are confined to their site like the rest.
    "holidays of an unknown country": bad(holidays="ZZ"),
    "holidays of an unknown subdivision": bad(holidays={"country": "IT", "subdivision": "ZZ"}),
    "holidays of an unknown category": bad(holidays={"country": "IT", "categories": ["nonsense"]}),
    "holidays a number": bad(holidays=39),
    "holidays a list": bad(holidays=["IT", "FR"]),
    "special day on a date that does not exist": bad(special_days=[{"date": "2026-02-30", "closes": "13:00"}]),
    "special day that closes before it opens": bad(special_days=[{"date": "2026-12-24", "opens": "13:00", "closes": "08:00"}]),
    "special day with no hours": bad(special_days=[{"date": "2026-12-24"}]),
    "special days not a list": bad(special_days={"date": "2026-12-24", "closes": "13:00"}),
    "hold that ends before it starts": bad(holds=[{"state": "locked", "from": "2026-12-09T12:00:00+01:00",
                                                   "until": "2026-12-09T07:00:00+01:00", "reason": "INC-1"}]),
    "hold without a reason": bad(holds=[{"state": "locked", "from": "2026-12-09T07:00:00+01:00"}]),
    "hold with an unknown state": bad(holds=[{"state": "frozen", "from": "2026-12-09T07:00:00+01:00", "reason": "INC-2"}]),
    "hold without an offset": bad(holds=[{"state": "locked", "from": "2026-12-09T07:00:00", "reason": "INC-3"}]),
    # Overlapping holds are no longer a problem: they combine, a locked hold winning (I2 of the role's README; holds.py).
    "hold that ends past the year 9000": bad(holds=[{"state": "locked", "from": "2026-12-09T07:00:00+01:00",
                                                     "until": "9999-12-31T23:00:00-14:00", "reason": "INC-4"}]),
    "hold reason with an ESC sequence": bad(holds=[{"state": "locked", "from": "2026-12-09T07:00:00+01:00", "reason": "INC\x1b[2J-5"}]),
    "null filter next to a real one": bad(selections=[{"custom_field1": "Napoli", "department": None}]),
}
END_TO_END = ("misspelt key customfield1", "number value", "fixed-offset zone EST", "unquoted time (YAML base 60)")


def sites_with(site):
    return GOOD[:2] + [site] + GOOD[2:]


def check(site):
    """'confined' or the reason the case is 'other'."""
    where = "office_hours_sites[2]"
    try:
        plan = office_hours_plan(sites_with(site), "auto", AT)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return "plan raised %s: %s" % (type(exc).__name__, exc)
    alone = office_hours_plan(GOOD, "auto", AT)
    invalid = [entry for entry in plan if entry["action"] == "invalid"]
    clash = site.get("name") == "MILANO" if isinstance(site, dict) else False
    if clash:
        # Both sites that share the name are told; the others are planned as without them.
        if [entry["name"] for entry in invalid] != ["milano", "MILANO"] or not invalid[1]["problems"][0].startswith(where):
            return "the clash was not reported on both sites: %s" % invalid
        others = [entry for entry in plan if entry["action"] != "invalid"]
        if [(entry["name"], entry["action"]) for entry in others] != [(entry["name"], entry["action"]) for entry in alone[1:]]:
            return "the other sites changed: %s" % others
    else:
        if len(invalid) != 1 or not invalid[0]["problems"][0].startswith(where):
            return "not confined to the site: %s" % [(entry["name"], entry["action"], entry["problems"]) for entry in plan]
        others = [entry for entry in plan if entry is not invalid[0]]
        if [(entry["name"], entry["action"], entry["why"]) for entry in others] != [(entry["name"], entry["action"], entry["why"]) for entry in alone]:
            return "the other sites changed"
    for name, function, args in (("office_hours_timers", office_hours_timers, ()), ("office_hours_rrules", office_hours_rrules, ("2026-11-30",))):
        try:
            function(sites_with(site), *args)
        except AnsibleFilterError as exc:
            if not str(exc.message).startswith("%s: " % name) or where not in str(exc.message):
                return "%s said: %s" % (name, exc.message)
            continue
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return "%s raised %s: %s" % (name, type(exc).__name__, exc)
        return "%s accepted the list" % name
    return "confined"


def generated(examples):
    """Selection values and zone names from hypothesis; each must be confined (or valid and planned)."""
    outcomes = []
    values = strategies.one_of(strategies.text(max_size=30), strategies.integers(), strategies.booleans(), strategies.none(),
                               strategies.lists(strategies.text(max_size=5), max_size=2), strategies.floats(allow_nan=False))
    zones = strategies.one_of(strategies.sampled_from(["Europe/Rome", "EST", "Etc/GMT+3", "America/Sao_Paolo", "Asia/Calcuta"]),
                              strategies.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/_+-0123456789", max_size=25))

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(value=values, zone=zones)
    def one(value, zone):
        site = bad(timezone=zone, selections=[{"department": value}])
        try:
            plan = office_hours_plan(sites_with(site), "auto", AT)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            outcomes.append(("other", "%r %r: plan raised %s: %s" % (value, zone, type(exc).__name__, exc)))
            return
        if plan[2]["action"] != "invalid":
            outcomes.append(("valid", None))
        else:
            outcomes.append(("confined", None) if check(site) == "confined" else ("other", "%r %r: %s" % (value, zone, check(site))))

    one()  # pylint: disable=no-value-for-parameter
    return outcomes


def end_to_end(workdir, sources):
    """Run the role against the stand-in for a few cases; return [(case, held, why)]. The runs' output and status and
    metrics files go to sources ({name: text}) for the secrets scan."""
    held = []
    with common.StandIn(workdir) as standin:
        for number, case in enumerate(END_TO_END):
            standin.reset()
            before = dict((phone["username"], phone["locked"]) for phone in standin.phones())
            extravars = Path(workdir) / "extravars.json"
            result = Path(workdir) / "result.json"
            result.unlink(missing_ok=True)
            status, metrics = common.monitoring_paths(workdir, f"case-{number}")
            extravars.write_text(json.dumps({"office_hours_sites": sites_with(CASES[case]), "office_hours_now": AT,
                                             "office_hours_status_path": str(status), "office_hours_metrics_path": str(metrics),
                                             "sites_result_file": str(result)}), encoding="utf-8")
            done = common.run_playbook(common.ROOT / "tests" / "reliability" / "playbooks" / "sites.yml", "-e", "@%s" % extravars,
                                       env=common.credentials_env(standin))
            outcome = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
            phones = standin.phones()
            sent = [entry["query_string"] for entry in standin.log()]
            wanted = {"Milano": False, "Roma": False, "New York": True, "Sydney": True}
            wrong = [phone["username"] for phone in phones if phone["customField1"] in wanted and phone["locked"] != wanted[phone["customField1"]]]
            # The bad site's own phones (the stand-in has no Napoli) and every other phone stay as they were.
            moved = [phone["username"] for phone in phones if phone["customField1"] not in wanted and phone["locked"] != before[phone["username"]]]
            message = str((outcome.get("failed") or {}).get("msg", ""))
            problems = []
            if done.returncode == 0 or not message.startswith("1 of 5 sites failed: napoli: office_hours_sites[2] (napoli): "):
                problems.append("the run did not fail naming the site (rc %d): %s" % (done.returncode, message or done.stdout[-400:]))
            if wrong or moved:
                problems.append("phones in the wrong state: %s, moved: %s" % (wrong[:5], moved[:5]))
            if any("Napoli" in query for query in sent) or len(sent) != 4:
                problems.append("requests: %s" % sent)
            files, missing = common.monitoring_files(status, metrics)
            problems += missing + monitoring_problems(files)
            sources.update({"%s: %s" % (case, source): text for source, text in files.items()})
            sources.update({"%s: ansible-playbook %s" % (case, name): text for name, text in (("stdout", done.stdout), ("stderr", done.stderr))})
            held.append((case, not problems, "; ".join(problems)))
    return held


def monitoring_problems(files):
    """Problems with one run's status and metrics files: the status must be the run's (the five sites, the bad one alone
    failed), so that the scan reads what monitoring would; the metrics must parse, when prometheus_client is installed."""
    problems = []
    for source, text in files.items():
        if source.startswith("status file "):
            try:
                listed = [(site["name"], site["succeeded"]) for site in json.loads(text)["sites"]]
            except (ValueError, KeyError, TypeError) as exc:
                problems.append("%s is not a status document: %s" % (source, exc))
                continue
            wanted = sorted((site["name"], site["name"] != BAD_NAME) for site in sites_with(bad()))
            if sorted(listed) != wanted:
                problems.append("%s lists %s, expected %s" % (source, sorted(listed), wanted))
        elif common.metrics_parser():
            problems += common.metrics_problems(text, source)[0]
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--examples", type=int, default=150, help="hypothesis examples (default 150)")
    args = parser.parse_args()
    fixed = dict((case, check(site)) for case, site in CASES.items())
    others = ["%s: %s" % (case, outcome) for case, outcome in fixed.items() if outcome != "confined"]
    drawn = generated(args.examples)
    others += [detail for outcome, detail in drawn if outcome == "other"]
    sources = {}
    with tempfile.TemporaryDirectory(prefix="sites-") as workdir:
        self_check = common.monitoring_scan_self_check(workdir)
        runs = end_to_end(workdir, sources)
    leaks = common.find_secrets(sources)
    files = [source for source in sources if " status file " in source or " metrics file " in source]
    if not common.metrics_parser():
        print("sites: prometheus_client is not installed in this Python: the metrics files are scanned but not parsed")
    figures = {
        "site_cases_tried": len(CASES) + len(drawn),
        "site_cases_confined": sum(outcome == "confined" for outcome in fixed.values()) + sum(outcome == "confined" for outcome, dummy in drawn),
        "site_cases_valid": sum(outcome == "valid" for outcome, dummy in drawn),
        "site_cases_other": len(others),
        "site_end_to_end_runs": len(runs),
        "site_end_to_end_held": sum(ok for dummy, ok, dummy2 in runs),
        "other_examples": others[:10],
        "end_to_end_problems": ["%s: %s" % (case, why) for case, ok, why in runs if not ok],
        "status_metrics_files_scanned": len(files),
        "metrics_files_parsed": sum(" metrics file " in source for source in files) if common.metrics_parser() else "skipped: no prometheus_client",
        "secret_sources_scanned": len(sources),
        "secrets_found": sum(leaks.values()),
        "secrets_examples": ["%s: %s x%d" % (source, form, count) for (source, form), count in sorted(leaks.items())][:10],
        "scan_self_check_problems": self_check,
    }
    common.write_figures("sites", figures)
    print("Bad site lists: %d tried (%d fixed, %d generated): %d confined to their site, %d valid, %d other; end to end %d of %d held"
          % (figures["site_cases_tried"], len(CASES), len(drawn), figures["site_cases_confined"], figures["site_cases_valid"],
             figures["site_cases_other"], figures["site_end_to_end_held"], figures["site_end_to_end_runs"]))
    print("Secrets: %d found in %d sources (status/metrics files scanned: %d, metrics parsed: %s); self-check %s"
          % (figures["secrets_found"], figures["secret_sources_scanned"], figures["status_metrics_files_scanned"],
             figures["metrics_files_parsed"], "; ".join(self_check) or "flagged the fake leaks"))
    return 0 if not others and all(ok for dummy, ok, dummy2 in runs) and not leaks and not self_check else 1


if __name__ == "__main__":
    sys.exit(main())
