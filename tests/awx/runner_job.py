# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the nightly-lock playbook as AWX runs a job template, against the stand-in server, and check the outcome.

    python tests/awx/runner_job.py

Needs the built collection installed in .build/collections (make install) and a Python with ansible-core,
ansible-runner, jinja2 and the stand-in's packages (the tools virtual environment).

The job is what AWX hands ansible-runner: a private data dir with env/envvars holding what the "Imagicle Phone Lock"
credential injects (its injectors, from playbooks/vars/awx_credential_type.yml, rendered as AWX renders them),
env/extravars, inventory/ (examples/inventory) and project/ (examples/awx_project/playbooks/nightly_lock.yml). Afterwards the
stand-in's phones and request log must show that exactly the closed sites were locked, the job must have succeeded,
and the password must appear nowhere in the runner's artifacts.

The job's artifacts (what the role publishes with ansible.builtin.set_stats, which AWX shows on the job and hands to a
workflow's next nodes) are read where AWX reads them, the playbook_on_stats event's event_data.artifact_data, and must
say per site exactly what the stand-in did. A second job, with the stand-in refusing one closed site's request (HTTP
400, once), must fail naming that site, lock the other, and list that site, and only it, in phonelock_failed_sites.
Exit code 1 when any check fails.
"""

import json
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml
from ansible.module_utils.parsing.convert_bool import boolean
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
import common  # noqa: E402  pylint: disable=wrong-import-position

CREDENTIAL_TYPE = ROOT / "playbooks" / "vars" / "awx_credential_type.yml"
INVENTORY = ROOT / "examples" / "inventory"
PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "awx_project" / "playbooks" / "nightly_lock.yml"

# Tuesday 2026-11-24, 11:00 in Milano (10:00 UTC): a nightly lock that fires late, after a scheduler outage.
# Milano and Roma (11:00) and Bangalore (15:30) are open and must be skipped; New York (05:00) and Sydney (21:00)
# are closed and must be locked.
NOW = "2026-11-24T11:00:00+01:00"
CLOSED = {"new-york", "sydney"}
OPEN = {"milano", "roma", "bangalore"}
# The run's instant as the artifacts give it (UTC, to the second).
RUN_TIME = datetime.fromisoformat(NOW).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
# The second job: the stand-in refuses this closed site's Lock once, as a server that rejects a request does.
REFUSED = "sydney"
REFUSAL = {"status": 400, "body": '{"error": "refused by runner_job.py"}', "content_type": "application/json"}
# The server, as the artifacts name it: the inventory host the role ran on.
SERVER = "localhost"
ARTIFACTS = {"phonelock_outcome", "phonelock_failed_sites"}


class CredentialTypeLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """YAML loader for the credential type file: !unsafe (kept from Ansible's templating) is the plain string AWX
    stores."""


CredentialTypeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def injected_env(credential_type, inputs):
    """The environment variables AWX injects for a credential with these inputs.

    As AWX's CredentialType.inject_credential builds it: the template namespace holds the inputs that are set (an
    empty string is left out), a boolean field that is not set is False, and every env injector is rendered with
    Jinja's immutable sandbox.
    """
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    problems = [f"unknown input {name}" for name in sorted(set(inputs) - set(fields))]
    problems += [f"required input {name} not set" for name in credential_type["inputs"].get("required", ())
                 if name not in inputs]
    # This test injects environment variables only: a file or extra_vars injector would need more of AWX here.
    problems += [f"injector kind {kind} not modelled by this test" for kind in sorted(set(credential_type["injectors"]) - {"env"})]
    if problems:
        raise SystemExit(f"{CREDENTIAL_TYPE.relative_to(ROOT)}: {'; '.join(problems)}")
    namespace = {name: value for name, value in inputs.items() if isinstance(value, bool) or value}
    for name, field in fields.items():
        if field["type"] == "boolean":
            namespace.setdefault(name, False)
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace)
            for name, template in credential_type["injectors"]["env"].items()}


def inventory_sites():
    """The example inventory's office_hours_sites."""
    return yaml.safe_load((INVENTORY / "group_vars" / "phonelock" / "sites.yml").read_text(encoding="utf-8"))["office_hours_sites"]


def site_selections():
    """{site name: [[(API filter name, value), ...] per selection]} of the example inventory's sites."""
    return {site["name"]: [sorted((re.sub(r"^custom_field(\d+)$", r"customField\1", key), value)
                                  for key, value in selection.items())
                           for selection in site["selections"]]
            for site in inventory_sites()}


def matches(phone, selection):
    """Whether the stand-in matches this phone's user with the selection (filters ANDed, compared casefolded)."""
    return all(phone[key].casefold() == value.casefold() for key, value in selection)


def check_phones(before, after, lock_selections):
    """Problems with the phones' state: every phone of a closed site locked, every other phone as it was."""
    problems = []
    states = {phone["username"]: phone["locked"] for phone in before}
    for phone in after:
        should_lock = any(matches(phone, selection) for selection in lock_selections)
        expected = True if should_lock else states[phone["username"]]
        if phone["locked"] != expected:
            problems.append(f"{phone['username']} ({phone['customField1']}) locked={phone['locked']}, expected {expected}")
    return problems


def check_log(log, before, lock_selections, refused=()):
    """Problems with the request log: one PUT .../Lock per selection of a closed site, with the right counts (the
    refused selections answered 400 by the queued fault, with no count), and nothing else."""
    problems = []
    expected = {}
    for selection in lock_selections:
        members = [phone for phone in before if matches(phone, selection)]
        expected[tuple(selection)] = ((400, None, None) if selection in refused
                                      else (200, len(members), sum(not phone["locked"] for phone in members)))
    seen = set()
    for entry in log:
        key = tuple(sorted(tuple(pair) for pair in entry["args"]))
        what = f"#{entry['seq']} {entry['method']} {entry['path']}?{entry['query_string']}"
        if entry["method"] != "PUT" or not entry["path"].endswith(common.API_PATH + "Lock") or key not in expected:
            problems.append(f"unexpected request {what}")
            continue
        if key in seen:
            problems.append(f"repeated request {what}")
        seen.add(key)
        if entry["user"] != common.USERNAME:
            problems.append(f"{what}: user {entry['user']}")
        if (entry["status"], entry["matched"], entry["changed"]) != expected[key]:
            problems.append(f"{what}: status/matched/changed {entry['status']}/{entry['matched']}/{entry['changed']}, expected {expected[key]}")
    problems += [f"no request for {dict(key)}" for key in sorted(set(expected) - seen)]
    return problems


def stats_artifacts(texts):
    """(the job's artifacts, problems): event_data.artifact_data of the one playbook_on_stats event, where AWX reads them
    (None when there is no such event; returned also when its keys are wrong, for the secrets scan)."""
    events = [json.loads(text) for name, text in sorted(texts.items()) if name.startswith("job/job_events/") and name.endswith(".json")]
    stats = [event for event in events if event.get("event") == "playbook_on_stats"]
    if len(stats) != 1:
        return None, [f"{len(stats)} playbook_on_stats events among {len(events)} job events, expected 1"]
    data = stats[0].get("event_data", {}).get("artifact_data")
    if not isinstance(data, dict) or set(data) != ARTIFACTS:
        return data, [f"artifact_data holds {sorted(data) if isinstance(data, dict) else data!r}, expected {sorted(ARTIFACTS)}"]
    return data, []


def expected_outcome(site, log, refused):
    """What the artifacts must say of one site: its calendar at NOW (CLOSED, OPEN), and for a closed site what the
    stand-in's request log shows it did with the site's selections. The errors of a refused site are checked apart."""
    name = site["name"]
    common_fields = {"name": name, "in_last_run": True, "last_run": RUN_TIME, "timezone": site["timezone"], "requested": "locked", "holds": []}
    if name in OPEN:
        return dict(common_fields, state_wanted="unlocked", action="skip", outcome="skipped", state_applied=None, phones_matched=None,
                    phones_changed=None, errors=[], succeeded=True, last_success=RUN_TIME, last_state_applied=None,
                    last_state_applied_at=None, in_wanted_state=False, failed_runs=0)
    if name in refused:
        return dict(common_fields, state_wanted="locked", action="locked", outcome="failed", state_applied=None, phones_matched=None,
                    phones_changed=None, succeeded=False, last_success=None, last_state_applied=None, last_state_applied_at=None,
                    in_wanted_state=False, failed_runs=1)
    mine = [tuple(selection) for selection in site_selections()[name]]
    served = [entry for entry in log if tuple(sorted(tuple(pair) for pair in entry["args"])) in mine]
    return dict(common_fields, state_wanted="locked", action="locked", outcome="applied", state_applied="locked",
                phones_matched=sum(entry["matched"] or 0 for entry in served), phones_changed=sum(entry["changed"] or 0 for entry in served),
                errors=[], succeeded=True, last_success=RUN_TIME, last_state_applied="locked", last_state_applied_at=RUN_TIME,
                in_wanted_state=True, failed_runs=0)


def check_artifacts(data, log, url, refused=()):
    """Problems with the job's artifacts: phonelock_outcome of the one server, per site as expected_outcome says, a
    refused site's errors naming its refused request, and phonelock_failed_sites listing the refused sites only."""
    outcome = data["phonelock_outcome"]
    if not isinstance(outcome, dict) or list(outcome) != [SERVER]:
        return [f"phonelock_outcome is keyed by {list(outcome) if isinstance(outcome, dict) else outcome!r}, expected [{SERVER!r}]"]
    sites = inventory_sites()
    problems = []
    if list(outcome[SERVER]) != [site["name"] for site in sites]:
        problems.append(f"phonelock_outcome[{SERVER}] has sites {list(outcome[SERVER])}, expected {[site['name'] for site in sites]}")
    for site in sites:
        got = outcome[SERVER].get(site["name"])
        if not isinstance(got, dict):
            continue
        for field, wanted in expected_outcome(site, log, refused).items():
            if got.get(field, "<missing>") != wanted:
                problems.append(f"{site['name']}: {field} {got.get(field, '<missing>')!r}, expected {wanted!r}")
        if site["name"] in refused:
            # The module's message for each refused request: method, URL with the query the stand-in logged, the status.
            wanted = [f"PUT {url}{entry['path']}?{entry['query_string']} failed: HTTP 400 " for entry in log if entry["status"] == 400]
            if len(got.get("errors") or []) != len(wanted) or not all(error.startswith(start) for error, start in zip(got["errors"], wanted)):
                problems.append(f"{site['name']}: errors {got.get('errors')!r}, expected one starting with each of {wanted}")
    failed = [site["name"] for site in sites if site["name"] in refused]
    if data["phonelock_failed_sites"] != failed:
        problems.append(f"phonelock_failed_sites {data['phonelock_failed_sites']!r}, expected {failed!r}")
    return problems


def run_job(standin, env, private):
    """Run the nightly lock as an AWX job against the stand-in; what the job and the stand-in give afterwards."""
    before = standin.phones()
    shutil.copytree(INVENTORY, private / "inventory")
    rc, texts = common.run_with_runner(PLAYBOOK, private, extravars={"office_hours_now": NOW}, envvars=env)
    # The password must have reached the job (env/envvars), or finding it nowhere in the artifacts proves nothing.
    given = common.find_secrets({"env/envvars": (private / "env" / "envvars").read_text(encoding="utf-8")})
    return {"rc": rc, "texts": texts, "before": before, "after": standin.phones(), "log": standin.log(), "given": given}


def job_checks(job, label, lock_selections, url, refused=()):
    """The checks of one job: its status, the phones, the request log, its artifacts, and the secrets scan."""
    texts, rc = job["texts"], job["rc"]
    refused_selections = [selection for name in refused for selection in site_selections()[name]]
    status = texts.get("job/status", "").strip()
    wanted = (0, "successful", "0") if not refused else (2, "failed", "2")
    checks = [(f"{label}ansible-runner: rc {wanted[0]}, status {wanted[1]}",
               [] if (rc, status, texts.get("job/rc", "").strip()) == wanted
               else [f"rc {rc}, artifacts/job/status {status!r}, artifacts/job/rc {texts.get('job/rc', '').strip()!r}"])]
    stdout = texts.get("job/stdout", "")
    if refused:
        message = f"1 of {len(site_selections())} sites failed: {', '.join(refused)}: PUT {url}"
        checks.append((f"{label}the job fails at the end naming the refused site",
                       [] if message in stdout else [f"no {message!r} in the job's stdout"]))
    checks.append((f"{label}exactly the closed sites' phones are locked{' (not the refused one)' if refused else ''}, the others are as they were",
                   check_phones(job["before"], job["after"], [selection for selection in lock_selections if selection not in refused_selections])))
    checks.append((f"{label}request log: one PUT .../Lock per closed site's selection{' (400 for the refused one)' if refused else ''}, nothing else",
                   check_log(job["log"], job["before"], lock_selections, refused_selections)))

    data, problems = stats_artifacts(texts)
    if not problems:
        problems = check_artifacts(data, job["log"], url, refused)
    checks.append((f"{label}artifacts (playbook_on_stats artifact_data): every site's outcome as the stand-in did it, "
                   f"phonelock_failed_sites {list(refused)}", problems))
    checks.append((f"{label}the artifacts hold no secret",
                   [f"{source}: {form} x{count}" for (source, form), count in sorted(common.find_secrets(
                       {"artifact_data": json.dumps(data, ensure_ascii=False)}).items())]))

    events = [name for name in texts if name.startswith("job/job_events/")]
    coverage = [] if job["given"] else ["the password is not in env/envvars: the job was not given the credential"]
    if not events:
        coverage.append("no job events in the artifacts")
    # The per-site summary: the scan read the job's real output, with the skipped sites' reasons.
    coverage += [f"job stdout has no summary line for {name}" for name in sorted(CLOSED | OPEN)
                 if not re.search(rf"^\s*\"{re.escape(name)}\s", stdout, re.MULTILINE)]
    checks.append((f"{label}artifacts scanned: job stdout, {len(events)} job events, {len(texts)} sources in all", coverage))
    leaks = common.find_secrets(texts)
    checks.append((f"{label}the password appears nowhere in the runner's artifacts",
                   [f"{source}: {form} x{count}" for (source, form), count in sorted(leaks.items())]))
    return checks


def show_tail(stdout):
    tail = stdout.splitlines()[-30:]
    shown = not common.find_secrets({"tail": "\n".join(tail)})
    print("--- last lines of artifacts/job/stdout" + ("" if shown else " (not shown: they hold the password)"))
    if shown:
        print("\n".join(tail))


def main():
    started = time.monotonic()
    credential_type = yaml.load(CREDENTIAL_TYPE.read_text(encoding="utf-8"),  # a SafeLoader, plus !unsafe
                                Loader=CredentialTypeLoader)["phonelock_awx_credential_type"]
    selections = site_selections()
    checks = []  # (what, problems)
    checks.append(("the pinned time splits the example sites into closed and open ones",
                   [] if CLOSED and OPEN and set(selections) == CLOSED | OPEN and not CLOSED & OPEN and REFUSED in CLOSED
                   else [f"inventory sites {sorted(selections)}, expected {sorted(CLOSED | OPEN)}, {REFUSED} among the closed"]))
    lock_selections = [selection for name in sorted(CLOSED) for selection in selections.get(name, ())]

    with tempfile.TemporaryDirectory(prefix="phonelock-awx-") as workdir:
        workdir = Path(workdir)
        with common.StandIn(workdir / "standin", "--tls-dir", str(workdir / "standin")) as standin:
            inputs = {"url": standin.url, "username": common.USERNAME, "password": common.PASSWORD,
                      "validate_certs": True}
            env = injected_env(credential_type, inputs)
            wanted = common.credentials_env(standin)
            checks.append(("the injectors give the module its connection variables", [
                f"{name} is not the credential's input" for name in ("IMAGICLE_URL", "IMAGICLE_USERNAME", "IMAGICLE_PASSWORD")
                if env.get(name) != wanted[name]] + (
                [] if boolean(env.get("IMAGICLE_VALIDATE_CERTS"), strict=False) is True
                else [f"IMAGICLE_VALIDATE_CERTS={env.get('IMAGICLE_VALIDATE_CERTS')!r} does not read as true"])))
            # The execution environment trusts the server's CA, as an EE image with the corporate CA installed does.
            env["REQUESTS_CA_BUNDLE"] = standin.ca_path

            job = run_job(standin, env, workdir / "private")
            # The second job starts from the data file again, with the refused site's Lock answered 400 once.
            standin.reset()
            for selection in selections[REFUSED]:
                standin.fault(match=dict(selection), **REFUSAL)
            refused_job = run_job(standin, env, workdir / "private-refused")

        checks += job_checks(job, "", lock_selections, standin.url)
        first = len(checks)
        checks += job_checks(refused_job, f"job 2 ({REFUSED} refused): ", lock_selections, standin.url, refused=(REFUSED,))

        failed = [what for what, problems in checks if problems]
        if job["rc"] != 0 or any(problems for dummy, problems in checks[:first]):
            show_tail(job["texts"].get("job/stdout", ""))
        if any(problems for dummy, problems in checks[first:]):
            show_tail(refused_job["texts"].get("job/stdout", ""))

    print(f"AWX-style jobs (ansible-runner), nightly lock at {NOW}: closed {', '.join(sorted(CLOSED))}; "
          f"open {', '.join(sorted(OPEN))}; job 2 with {REFUSED}'s Lock refused (HTTP 400)")
    for what, problems in checks:
        print(f"{'FAIL' if problems else 'ok  '} {what}")
        for problem in problems[:10]:
            print(f"       {problem}")
        if len(problems) > 10:
            print(f"       ... {len(problems) - 10} more")
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed ({time.monotonic() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
