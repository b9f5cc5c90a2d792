# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run playbooks/awx_setup.yml against the fake AWX controller (fake_controller.py) and check what it leaves there.

    ANSIBLE_COLLECTIONS_PATH=<built collection>:<awx.awx 24.6.1> python tests/awx/awx_setup_test.py

Uses the ansible-playbook next to this Python. The runs, each checked against the fake's state:
1. the five sites of examples/inventory: credential type, credential, three job templates, ten schedules;
2. the same again: changed=0, the state untouched;
3. check mode after dropping bangalore, renaming roma to rome and renaming the reconcile template: it names what it
   would remove and changes nothing;
4. the same for real: exactly those schedules and that template are gone, rome's schedules exist, what the playbook
   does not manage (another prefix's template and its like-named schedule, a hand-made schedule on a managed
   template, an unmarked template under the prefix) is kept, and the output names each removal;
5. the same again: changed=0, "Nothing to remove";
6. limited to one site: nothing removed, and it says why.
The fake runs with 4 objects a page, so every list the playbook reads spans several pages. Exit code 1 on a failure.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_controller import ENCRYPTED, FakeController  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "awx_setup.yml"
SITES = ROOT / "examples" / "inventory" / "group_vars" / "phonelock" / "sites.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PASSWORD = "s3cret: pa$$word €"
PLAYBOOKS = ["playbooks/nightly_lock.yml", "playbooks/morning_unlock.yml", "playbooks/reconcile.yml"]
TEMPLATES = {"Phone Lock: nightly lock": "playbooks/nightly_lock.yml",
             "Phone Lock: morning unlock": "playbooks/morning_unlock.yml",
             "Phone Lock: reconcile": "playbooks/reconcile.yml"}
RENAMED_RECONCILE = "Phone Lock: reconcile every 15 minutes"
OPEN, CLOSE = "{" + "{", "}" + "}"

FAILURES = []
OUTPUTS = []


def check(condition, what):
    print(("ok      " if condition else "FAILED  ") + what)
    if not condition:
        FAILURES.append(what)
    return condition


def write_inventory(folder, sites, defaults):
    (folder / "group_vars" / "phonelock").mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(yaml.safe_dump({"phonelock": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}), encoding="utf-8")
    (folder / "group_vars" / "phonelock" / "sites.yml").write_text(
        yaml.safe_dump({"office_hours_sites": sites, "office_hours_defaults": defaults}), encoding="utf-8")


def run(inventory, env, *extra):
    """ansible-playbook awx_setup.yml: (rc, output, changed count from the recap, seconds)."""
    command = [str(ANSIBLE_PLAYBOOK), str(PLAYBOOK), "-i", str(inventory), "-e", "@" + str(inventory / "awx.yml")]
    start = time.monotonic()
    done = subprocess.run(command + list(extra), env=env, capture_output=True, text=True, timeout=900, check=False)
    output = done.stdout + done.stderr
    OUTPUTS.append(output)
    recap = re.search(r"^localhost\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)", output, re.M)
    changed = int(recap.group(1)) if recap and recap.group(2) == "0" else None
    return done.returncode, output, changed, time.monotonic() - start


def removal_lines(output):
    """The message lines of the task "Say what was removed"."""
    match = re.search(r"TASK \[Say what was removed\].*?\n(ok: \[localhost\] => .*?)\n\n", output, re.S)
    if not match:
        return None
    return json.loads(match.group(1).split("=>", 1)[1])["msg"]


def templates_of(controller, organization):
    return {obj["name"]: obj for obj in controller.snapshot()["objects"]["job_templates"].values()
            if obj["organization"] == organization}


def site_of(schedule_name):
    return schedule_name[len("imagicle-phonelock-"):].rsplit("-", 1)[0]


def schedules_by_template(controller):
    templates = {obj["id"]: obj["name"] for obj in controller.snapshot()["objects"]["job_templates"].values()}
    return sorted((templates.get(obj["unified_job_template"]), obj["name"])
                  for obj in controller.named("schedules").values())


def expected_schedules(sites, reconcile_extra=()):
    pairs = []
    for site in sites:
        pairs.append(("Phone Lock: nightly lock", "imagicle-phonelock-%s-lock" % site))
        pairs.append(("Phone Lock: morning unlock", "imagicle-phonelock-%s-unlock" % site))
    return sorted(pairs + list(reconcile_extra))


def main():  # pylint: disable=too-many-locals,too-many-statements
    if not ANSIBLE_PLAYBOOK.exists():
        sys.exit("no ansible-playbook next to %s" % sys.executable)
    examples = yaml.safe_load(SITES.read_text(encoding="utf-8"))
    sites, defaults = examples["office_hours_sites"], examples["office_hours_defaults"]

    controller = FakeController(page_size=4)
    organization = controller.add("organizations", name="Default")
    other_organization = controller.add("organizations", name="Elsewhere")
    inventory_id = controller.add("inventories", name="Phone Lock", organization=organization)
    project = controller.add_project("Phone Lock", organization, PLAYBOOKS)
    url = controller.serve()
    with tempfile.TemporaryDirectory(prefix="awx-setup-") as work:
        work = Path(work)
        inventory = work / "inventory"
        write_inventory(inventory, sites, defaults)
        (inventory / "awx.yml").write_text(yaml.safe_dump({
            "phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
            "phonelock_awx_url": "https://ucx.example.com", "phonelock_awx_username": "api-phonelock",
            "phonelock_awx_password": PASSWORD}), encoding="utf-8")
        env = dict(os.environ, CONTROLLER_HOST=url, CONTROLLER_OAUTH_TOKEN=controller.token, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", HOME=str(work), ANSIBLE_HOME=str(work / "ansible-home"),
                   ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_REMOTE_TEMP=str(work / "tmp"))
        try:
            # --- 1. first run ---------------------------------------------------------------------------------------
            rc, output, changed, seconds = run(inventory, env)
            print("run 1 (create): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            if not check(rc == 0 and changed, "run 1 creates everything"):
                print(output[-6000:])
                return 1
            kinds = controller.named("credential_types")
            kind = kinds.get("Imagicle Phone Lock", {})
            check(kind.get("kind") == "cloud" and kind.get("injectors", {}).get("env") == {
                "IMAGICLE_URL": OPEN + " url " + CLOSE, "IMAGICLE_USERNAME": OPEN + " username " + CLOSE,
                "IMAGICLE_PASSWORD": OPEN + " password " + CLOSE,
                "IMAGICLE_VALIDATE_CERTS": OPEN + " validate_certs " + CLOSE},
                "the credential type is stored with its injectors unrendered")
            credential = controller.named("credentials").get("Imagicle Phone Lock", {})
            state = controller.snapshot()
            check(credential.get("inputs") == {"url": "https://ucx.example.com", "username": "api-phonelock",
                                               "password": ENCRYPTED, "validate_certs": True}
                  and state["secrets"].get(credential.get("id")) == {"password": PASSWORD}
                  and credential.get("organization") == organization,
                  "the credential holds the account, validate_certs true, the password as a secret")
            templates = controller.named("job_templates")
            check({name: obj["playbook"] for name, obj in templates.items()} == TEMPLATES,
                  "three job templates, each with its playbook")
            check(all(obj["project"] == project and obj["inventory"] == inventory_id and obj["ask_variables_on_launch"]
                      and obj["organization"] == organization
                      and "Managed by imagicle.phonelock.awx_setup" in obj["description"]
                      and state["jt_credentials"][obj["id"]] == [credential.get("id")] for obj in templates.values()),
                  "each template: the project, the inventory, prompts for variables, the marker, the credential")
            site_names = [site["name"] for site in sites]
            check(schedules_by_template(controller) == expected_schedules(site_names),
                  "ten schedules, each site's lock and unlock on the nightly-lock and morning-unlock templates")
            schedules = controller.named("schedules")
            check(all(obj["extra_data"] == {"office_hours_limit": [site_of(obj["name"])]} and obj["enabled"]
                      for obj in schedules.values()),
                  "each schedule is enabled and limits its job to its own site")
            milano = schedules.get("imagicle-phonelock-milano-lock", {})
            check(milano.get("rrule") == "DTSTART;TZID=Europe/Rome:20260105T190000 "
                                         "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR",
                  "milano's lock schedule: 19:00 Europe/Rome, Monday to Friday")

            # What the playbook does not manage, and must keep.
            foreign_template = controller.add("job_templates", name="Other: nightly lock", organization=organization,
                                              project=project, inventory=inventory_id,
                                              playbook="playbooks/nightly_lock.yml", ask_variables_on_launch=True,
                                              description="Managed by imagicle.phonelock.awx_setup")
            controller.add("schedules", name="imagicle-phonelock-bangalore-lock", unified_job_template=foreign_template,
                           rrule=milano["rrule"], extra_data={"office_hours_limit": ["bangalore"]})
            controller.add("job_templates", name="Phone Lock: ad hoc", organization=organization, project=project,
                           inventory=inventory_id, playbook="playbooks/reconcile.yml")
            controller.add("job_templates", name="Phone Lock: reconcile", organization=other_organization,
                           project=project, inventory=inventory_id, playbook="playbooks/reconcile.yml",
                           description="Managed by imagicle.phonelock.awx_setup")
            nightly = templates["Phone Lock: nightly lock"]["id"]
            controller.add("schedules", name="Extra lock at 23:00", unified_job_template=nightly,
                           rrule="DTSTART;TZID=Europe/Rome:20260105T230000 RRULE:FREQ=DAILY;INTERVAL=1")
            before = controller.snapshot()

            # --- 2. rerun -------------------------------------------------------------------------------------------
            rc, output, changed, seconds = run(inventory, env)
            print("run 2 (rerun): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed == 0, "run 2 reports changed=0")
            check(controller.snapshot() == before, "run 2 leaves the controller's state exactly as it was")
            check(removal_lines(output) == ["Nothing to remove: every schedule and job template of Phone Lock "
                                            "belongs to the current sites."], "run 2 says there is nothing to remove")

            # --- 3. check mode after the changes --------------------------------------------------------------------
            changed_sites = [dict(site, name="rome") if site["name"] == "roma" else site
                             for site in sites if site["name"] != "bangalore"]
            write_inventory(inventory, changed_sites, defaults)
            renamed = ["-e", json.dumps({"phonelock_awx_templates": {
                "nightly_lock": "Phone Lock: nightly lock", "morning_unlock": "Phone Lock: morning unlock",
                "reconcile": RENAMED_RECONCILE}})]
            removals = [
                "%s schedule 'imagicle-phonelock-roma-lock' of job template 'Phone Lock: nightly lock'",
                "%s schedule 'imagicle-phonelock-roma-unlock' of job template 'Phone Lock: morning unlock'",
                "%s schedule 'imagicle-phonelock-bangalore-lock' of job template 'Phone Lock: nightly lock'",
                "%s schedule 'imagicle-phonelock-bangalore-unlock' of job template 'Phone Lock: morning unlock'",
                "%s job template 'Phone Lock: reconcile' (AWX removes its other schedules with it)"]
            rc, output, changed, seconds = run(inventory, env, "--check", *renamed)
            print("run 3 (check mode, sites and a template changed): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed, "run 3 (check mode) reports changes")
            check(controller.snapshot() == before, "run 3 (check mode) changes nothing on the controller")
            check(removal_lines(output) == [line % "Would remove" for line in removals],
                  "run 3 (check mode) names what it would remove")

            # --- 4. the same for real -------------------------------------------------------------------------------
            rc, output, changed, seconds = run(inventory, env, *renamed)
            print("run 4 (sites and a template changed): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed, "run 4 reports changes")
            lines = removal_lines(output)
            check(lines == [line % "Removed" for line in removals], "run 4 names each removal: %s" % lines)
            templates = templates_of(controller, organization)
            check(sorted(templates) == sorted(["Phone Lock: nightly lock", "Phone Lock: morning unlock",
                                               RENAMED_RECONCILE, "Other: nightly lock", "Phone Lock: ad hoc"])
                  and templates[RENAMED_RECONCILE]["playbook"] == "playbooks/reconcile.yml",
                  "templates: the three current ones and the two it does not manage")
            check(list(templates_of(controller, other_organization)) == ["Phone Lock: reconcile"],
                  "the like-named template of another organization is kept")
            check(schedules_by_template(controller) == expected_schedules(
                [site["name"] for site in changed_sites],
                [("Other: nightly lock", "imagicle-phonelock-bangalore-lock"),
                 ("Phone Lock: nightly lock", "Extra lock at 23:00")]),
                "schedules: exactly the current sites', plus the two it does not manage")
            after = controller.snapshot()

            # --- 5. rerun -------------------------------------------------------------------------------------------
            rc, output, changed, seconds = run(inventory, env, *renamed)
            print("run 5 (rerun): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed == 0, "run 5 reports changed=0")
            check(controller.snapshot() == after, "run 5 leaves the state as it was")
            check(removal_lines(output) == ["Nothing to remove: every schedule and job template of Phone Lock "
                                            "belongs to the current sites."], "run 5 says there is nothing to remove")

            # --- 6. limited run -------------------------------------------------------------------------------------
            write_inventory(inventory, [site for site in changed_sites if site["name"] != "sydney"], defaults)
            rc, output, changed, seconds = run(inventory, env, "-e", '{"office_hours_limit": ["milano"]}', *renamed)
            print("run 6 (office_hours_limit, sydney dropped): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed == 0 and controller.snapshot() == after,
                  "run 6 (limited to milano) removes nothing, sydney's schedules included")
            check("office_hours_limit is set: only the schedules of its sites were created or updated, and nothing "
                  "was removed." in output, "run 6 says why nothing was removed")

            check(controller.unsupported == [], "awx.awx needed nothing the fake does not implement: %s"
                  % controller.unsupported)
            statuses = sorted({entry["status"] for entry in controller.log})
            check(set(statuses) <= {200, 201, 204}, "every request succeeded (statuses %s)" % statuses)
            check(any(entry["query"] and ("page", "2") in entry["query"] for entry in controller.log),
                  "the playbook read lists across pages")
            check(all(PASSWORD not in text for text in OUTPUTS), "the password is in no run's output")
        finally:
            controller.stop()
    print("%d checks failed" % len(FAILURES) if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
