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
and the password must appear nowhere in the runner's artifacts. Exit code 1 when any check fails.
"""

import re
import shutil
import sys
import tempfile
import time
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


def site_selections():
    """{site name: [[(API filter name, value), ...] per selection]} of the example inventory's sites."""
    sites = yaml.safe_load((INVENTORY / "group_vars" / "phonelock" / "sites.yml").read_text(encoding="utf-8"))
    return {site["name"]: [sorted((re.sub(r"^custom_field(\d+)$", r"customField\1", key), value)
                                  for key, value in selection.items())
                           for selection in site["selections"]]
            for site in sites["office_hours_sites"]}


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


def check_log(log, before, lock_selections):
    """Problems with the request log: one PUT .../Lock per selection of a closed site, with the right counts, and
    nothing else."""
    problems = []
    expected = {}
    for selection in lock_selections:
        members = [phone for phone in before if matches(phone, selection)]
        expected[tuple(selection)] = (len(members), sum(not phone["locked"] for phone in members))
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
        if (entry["status"], entry["user"]) != (200, common.USERNAME):
            problems.append(f"{what}: status {entry['status']}, user {entry['user']}")
        if (entry["matched"], entry["changed"]) != expected[key]:
            problems.append(f"{what}: matched/changed {entry['matched']}/{entry['changed']}, expected {expected[key]}")
    problems += [f"no request for {dict(key)}" for key in sorted(set(expected) - seen)]
    return problems


def main():
    started = time.monotonic()
    credential_type = yaml.load(CREDENTIAL_TYPE.read_text(encoding="utf-8"),  # a SafeLoader, plus !unsafe
                                Loader=CredentialTypeLoader)["phonelock_awx_credential_type"]
    selections = site_selections()
    checks = []  # (what, problems)
    checks.append(("the pinned time splits the example sites into closed and open ones",
                   [] if CLOSED and OPEN and set(selections) == CLOSED | OPEN and not CLOSED & OPEN
                   else [f"inventory sites {sorted(selections)}, expected {sorted(CLOSED | OPEN)}"]))
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

            before = standin.phones()
            private = workdir / "private"
            shutil.copytree(INVENTORY, private / "inventory")
            rc, texts = common.run_with_runner(PLAYBOOK, private, extravars={"office_hours_now": NOW}, envvars=env)
            after, log = standin.phones(), standin.log()

            # The password must have reached the job (env/envvars), or finding it nowhere in the artifacts proves nothing.
            given = common.find_secrets({"env/envvars": (private / "env" / "envvars").read_text(encoding="utf-8")})

        status = texts.get("job/status", "").strip()
        checks.append(("ansible-runner: rc 0, status successful",
                       [] if (rc, status, texts.get("job/rc", "").strip()) == (0, "successful", "0")
                       else [f"rc {rc}, artifacts/job/status {status!r}, artifacts/job/rc {texts.get('job/rc', '').strip()!r}"]))
        checks.append(("exactly the closed sites' phones are locked, the others are as they were",
                       check_phones(before, after, lock_selections)))
        checks.append(("request log: one PUT .../Lock per closed site's selection, nothing else",
                       check_log(log, before, lock_selections)))

        events = [name for name in texts if name.startswith("job/job_events/")]
        stdout = texts.get("job/stdout", "")
        coverage = [] if given else ["the password is not in env/envvars: the job was not given the credential"]
        if not events:
            coverage.append("no job events in the artifacts")
        # The per-site summary: the scan read the job's real output, with the skipped sites' reasons.
        coverage += [f"job stdout has no summary line for {name}" for name in sorted(CLOSED | OPEN)
                     if not re.search(rf"^\s*\"{re.escape(name)}\s", stdout, re.MULTILINE)]
        checks.append((f"artifacts scanned: job stdout, {len(events)} job events, {len(texts)} sources in all", coverage))
        leaks = common.find_secrets(texts)
        checks.append(("the password appears nowhere in the artifacts",
                       [f"{source}: {form} x{count}" for (source, form), count in sorted(leaks.items())]))

        failed = [what for what, problems in checks if problems]
        if rc != 0 or failed:
            tail = stdout.splitlines()[-30:]
            shown = not common.find_secrets({"tail": "\n".join(tail)})
            print("--- last lines of artifacts/job/stdout" + ("" if shown else " (not shown: they hold the password)"))
            if shown:
                print("\n".join(tail))

    print(f"AWX-style job (ansible-runner), nightly lock at {NOW}: closed {', '.join(sorted(CLOSED))}; "
          f"open {', '.join(sorted(OPEN))}")
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
