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
Every rerun that should change nothing is checked to send only GETs and to run no controller module (counted by
fleet_measure.py's callback). Then two servers (two_servers), their placement (placement: instance groups in order and
an execution environment per server, an unknown name refused, dropping detaching; one changed site changes exactly its
two schedules), and a hold ending at the second 02:30 of an autumn change (one_off): its one-off
schedule at the UTC instant, kept by a rerun, removed once the hold is gone. Then logging in with a username and
password (logins): one OAuth2 token for the whole run, none left behind, also by a run that fails half-way, a token
given in CONTROLLER_OAUTH_TOKEN used and kept; and phonelock_awx_update_secrets false keeping the stored password
when the server's URL changes. Then notifications: notification templates attached per job template and per server
(phonelock_awx_notifications, a server's phonelock_awx_server_notifications), two made from specs with secrets never
in the output, a rerun with changed=0, a dropped name detached and a dropped spec's template removed.
The fake runs with 4 objects a page, so every list the playbook reads spans several pages. Exit code 1 on a failure.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, time as datetime_time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_controller import ENCRYPTED, FakeController  # noqa: E402  pylint: disable=wrong-import-position
from fleet_measure import controller_modules, counter_env, read_counts  # noqa: E402  pylint: disable=wrong-import-position

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
# The module runs of the last run, by action (fleet_measure's counting callback).
MODULES = {}


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
    MODULES.clear()
    MODULES.update(read_counts(env))
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


def job_env(controller, url, work, login="token"):
    """The environment of a setup run: the fake controller's address and its login (login: "token", "password" or
    "both"), Ansible's state inside work."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CONTROLLER_", "TOWER_"))}
    env.update(CONTROLLER_HOST=url, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", HOME=str(work),
               ANSIBLE_HOME=str(work / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
               ANSIBLE_REMOTE_TEMP=str(work / "tmp"), **counter_env(work))
    if login in ("token", "both"):
        env["CONTROLLER_OAUTH_TOKEN"] = controller.token
    if login in ("password", "both"):
        env.update(CONTROLLER_USERNAME=controller.username, CONTROLLER_PASSWORD=controller.password)
    return env


def check_first_run(what, inventory, env):
    """The first run on an empty controller: rc 0 and changes. On failure, the end of its output, to see why."""
    rc, output, changed, seconds = run(inventory, env)
    print("%s: rc %d, changed=%s, %.1f s" % (what, rc, changed, seconds))
    if check(rc == 0 and changed, "%s creates everything" % what):
        return True
    print(output[-6000:])
    return False


def check_rerun(what, controller, before, inventory, env, *extra):
    """A rerun with nothing new: rc 0, changed=0, the controller's state exactly as before, nothing but reads sent (the
    run's own login token aside) and no controller module run. Returns its output."""
    start = len(controller.log)
    rc, output, changed, seconds = run(inventory, env, *extra)
    print("%s: rc %d, changed=%s, %.1f s, %s" % (what, rc, changed, seconds, controller.calls(start)))
    check(rc == 0 and changed == 0, "%s reports changed=0" % what)
    check(controller.snapshot() == before, "%s leaves the controller's state exactly as it was" % what)
    sent = sorted({"%s %s" % (entry["method"], entry["path"]) for entry in controller.log[start:]
                   if entry["method"] != "GET" and not entry["path"].startswith("/api/v2/tokens/")})
    check(sent == [] and controller_modules(MODULES) == 0,
          "%s sends only GETs and runs no controller module (sent %s; modules %s)" % (what, sent[:5], MODULES))
    return output


NOTHING_TO_REMOVE = ["Nothing to remove: every schedule and job template of Phone Lock belongs to the current sites."]


def main():  # pylint: disable=too-many-locals,too-many-statements
    if not ANSIBLE_PLAYBOOK.exists():
        sys.exit("no ansible-playbook next to %s" % sys.executable)
    examples = yaml.safe_load(SITES.read_text(encoding="utf-8"))
    sites, defaults = examples["office_hours_sites"], examples["office_hours_defaults"]

    controller = FakeController(page_size=4, max_page_size=4)
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
        env = job_env(controller, url, work)
        try:
            # --- 1. first run ---------------------------------------------------------------------------------------
            if not check_first_run("run 1 (create)", inventory, env):
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
            output = check_rerun("run 2 (rerun)", controller, before, inventory, env)
            check(removal_lines(output) == NOTHING_TO_REMOVE, "run 2 says there is nothing to remove")

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
            # The order of the lines is the controller's id order: compared as sets of lines.
            check(sorted(removal_lines(output) or []) == sorted(line % "Would remove" for line in removals),
                  "run 3 (check mode) names what it would remove")

            # --- 4. the same for real -------------------------------------------------------------------------------
            rc, output, changed, seconds = run(inventory, env, *renamed)
            print("run 4 (sites and a template changed): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed, "run 4 reports changes")
            lines = removal_lines(output)
            check(sorted(lines or []) == sorted(line % "Removed" for line in removals), "run 4 names each removal: %s" % lines)
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
            output = check_rerun("run 5 (rerun)", controller, after, inventory, env, *renamed)
            check(removal_lines(output) == NOTHING_TO_REMOVE, "run 5 says there is nothing to remove")

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
            # GET /api/controller/ is the detection asking whether this is a gateway: AWX answers 404.
            statuses = sorted({entry["status"] for entry in controller.log if entry["path"] != "/api/controller/"})
            check(set(statuses) <= {200, 201, 204}, "every request succeeded (statuses %s)" % statuses)
            check(any(entry["query"] and ("page", "2") in entry["query"] for entry in controller.log),
                  "the playbook read lists across pages")
            check(all(PASSWORD not in text for text in OUTPUTS), "the password is in no run's output")
            check([obj["token"] for obj in controller.tokens()] == [controller.token]
                  and not any(entry["path"] == "/api/v2/tokens/" for entry in controller.log),
                  "with CONTROLLER_OAUTH_TOKEN no token was made or deleted, and the given one is still there")
        finally:
            controller.stop()
    two_servers(sites, defaults)
    placement(sites, defaults)
    one_off(sites, defaults)
    logins(sites, defaults)
    notifications(sites, defaults)
    print("%d checks failed" % len(FAILURES) if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


SERVERS = {"ucx-emea": ["milano", "roma", "bangalore"], "ucx-apac": ["sydney", "new-york"]}


def write_servers(folder, sites, defaults, servers):
    """One inventory host per UCX Suite server, each with its own connection and sites (examples/inventory_two_servers)."""
    by_name = {site["name"]: site for site in sites}
    hosts = {host: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                    "office_hours_url": "https://%s.example.com" % host, "office_hours_username": "api-" + host,
                    "office_hours_password": PASSWORD + host, "office_hours_validate_certs": host != "ucx-apac",
                    "office_hours_sites": [by_name[name] for name in names]}
             for host, names in servers.items()}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(yaml.safe_dump({"phonelock": {"hosts": hosts, "vars": {
        "office_hours_defaults": defaults}}}), encoding="utf-8")


def two_servers(sites, defaults):  # pylint: disable=too-many-locals
    """Two UCX Suite servers: a credential, three job templates and the schedules of its own sites each; a duplicate
    site name and an unknown limit refused before any change; a dropped server's templates, schedules and credential
    removed, the other server's kept."""
    controller = FakeController(page_size=4, max_page_size=4)
    organization = controller.add("organizations", name="Default")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization, PLAYBOOKS)
    url = controller.serve()
    with tempfile.TemporaryDirectory(prefix="awx-setup-servers-") as work:
        work = Path(work)
        inventory = work / "inventory"
        write_servers(inventory, sites, defaults, SERVERS)
        settings = {"phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
                    "phonelock_awx_servers": list(SERVERS)}
        (inventory / "awx.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        env = job_env(controller, url, work)
        try:
            if not check_first_run("servers run 1 (two servers)", inventory, env):
                return
            state = controller.snapshot()
            credentials = controller.named("credentials")
            templates = controller.named("job_templates")
            for host, names in SERVERS.items():
                credential = credentials.get("Imagicle Phone Lock (%s)" % host, {})
                check(credential.get("inputs") == {"url": "https://%s.example.com" % host, "username": "api-" + host,
                                                   "password": ENCRYPTED, "validate_certs": host != "ucx-apac"}
                      and state["secrets"].get(credential.get("id")) == {"password": PASSWORD + host},
                      "%s: its own credential, with its own URL, account and password" % host)
                mine = {name: obj for name, obj in templates.items() if name.startswith("Phone Lock: %s: " % host)}
                check(sorted(mine) == sorted(name.replace("Phone Lock: ", "Phone Lock: %s: " % host) for name in TEMPLATES)
                      and all(state["jt_credentials"][obj["id"]] == [credential.get("id")] and obj["limit"] == host
                              for obj in mine.values()),
                      "%s: three job templates, each with only its credential and limited to its host" % host)
                ids = {obj["id"] for obj in mine.values()}
                schedules = [obj for obj in controller.named("schedules").values() if obj["unified_job_template"] in ids]
                check(sorted(obj["name"] for obj in schedules)
                      == sorted("imagicle-phonelock-%s-%s" % (site, kind) for site in names for kind in ("lock", "unlock"))
                      and all(obj["extra_data"] == {"office_hours_limit": [site_of(obj["name"])], "office_hours_hosts": host}
                              for obj in schedules),
                      "%s: the schedules of its sites only, each for its host and site" % host)
            check(len(templates) == 6 and len(controller.named("schedules")) == 10 and len(credentials) == 2,
                  "six job templates, ten schedules, two credentials in all")
            before = controller.snapshot()

            check_rerun("servers run 2 (rerun)", controller, before, inventory, env)

            write_servers(inventory, sites, defaults, dict(SERVERS, **{"ucx-apac": ["sydney", "new-york", "milano"]}))
            rc, output, changed, seconds = run(inventory, env)
            check(rc != 0 and controller.snapshot() == before and (
                'site "milano" is a site of more than one server (ucx-emea, ucx-apac): site names must be unique across '
                "the inventory, since they name the schedules and the timers") in output,
                "a site name on two servers fails before any change, naming the site and both servers")

            write_servers(inventory, sites, defaults, SERVERS)
            rc, output, changed, seconds = run(inventory, env, "-e", '{"office_hours_limit": ["sydney", "nowhere"]}')
            check(rc != 0 and controller.snapshot() == before and (
                'office_hours_limit names "nowhere", which is a site of none of phonelock_awx_servers') in output,
                "a limit naming no server's site fails before any change")

            (inventory / "awx.yml").write_text(yaml.safe_dump(dict(settings, phonelock_awx_servers=["ucx-emea", "ucx-mars"])),
                                               encoding="utf-8")
            rc, output, changed, seconds = run(inventory, env)
            check(rc != 0 and controller.snapshot() == before and (
                'phonelock_awx_servers names "ucx-mars", which is not a host of the inventory') in output,
                "a server that is not an inventory host fails before any change")

            (inventory / "awx.yml").write_text(yaml.safe_dump(dict(settings, phonelock_awx_servers=["ucx-emea"])),
                                               encoding="utf-8")
            rc, output, changed, seconds = run(inventory, env)
            print("servers run 3 (ucx-apac dropped): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            lines = removal_lines(output) or []
            check(rc == 0 and sorted(lines) == sorted(
                ["Removed schedule 'imagicle-phonelock-%s-%s' of job template 'Phone Lock: ucx-apac: %s'"
                 % (site, kind, "nightly lock" if kind == "lock" else "morning unlock")
                 for site in SERVERS["ucx-apac"] for kind in ("lock", "unlock")]
                + ["Removed job template 'Phone Lock: ucx-apac: %s' (AWX removes its other schedules with it)" % name
                   for name in ("nightly lock", "morning unlock", "reconcile")]
                + ["Removed credential 'Imagicle Phone Lock (ucx-apac)'"]), "servers run 3 names each removal: %s" % lines)
            after = controller.snapshot()
            check(sorted(controller.named("credentials")) == ["Imagicle Phone Lock (ucx-emea)"]
                  and after["secrets"] == {obj["id"]: {"password": PASSWORD + "ucx-emea"}
                                           for obj in controller.named("credentials").values()}
                  and sorted(controller.named("job_templates")) == sorted(
                      name.replace("Phone Lock: ", "Phone Lock: ucx-emea: ") for name in TEMPLATES)
                  and sorted(controller.named("schedules")) == sorted(
                      "imagicle-phonelock-%s-%s" % (site, kind) for site in SERVERS["ucx-emea"] for kind in ("lock", "unlock")),
                  "only ucx-emea's credential (and password), templates and schedules are left")
            check(all(PASSWORD not in text for text in OUTPUTS), "no password is in any run's output")
        finally:
            controller.stop()


def placement_of(controller, host):
    """{job template name: (instance group names in order, execution environment name or None)} of a server's templates."""
    state = controller.snapshot()
    groups = {obj["id"]: obj["name"] for obj in state["objects"]["instance_groups"].values()}
    environments = {obj["id"]: obj["name"] for obj in state["objects"]["execution_environments"].values()}
    return {obj["name"]: ([groups[gid] for gid in state["jt_instance_groups"][obj["id"]]],
                          environments.get(obj["execution_environment"]))
            for obj in state["objects"]["job_templates"].values() if obj["name"].startswith("Phone Lock: %s: " % host)}


def placement(sites, defaults):  # pylint: disable=too-many-locals,too-many-statements
    """Placement per server: a server's instance groups (in order) and execution environment on its job templates only;
    a rerun sends only reads and runs no module; an unknown name fails before any change, naming the server and the
    option; a new order is applied; dropping them detaches them (and a rerun is changed=0); one site changed changes
    exactly its two schedules."""
    controller = FakeController(page_size=4, max_page_size=4)
    organization = controller.add("organizations", name="Default")
    elsewhere = controller.add("organizations", name="Elsewhere")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization, PLAYBOOKS)
    for name in ("default", "emea-nodes", "apac-nodes"):
        controller.add("instance_groups", name=name)
    controller.add("execution_environments", name="Phone Lock EE", image="registry.example.com/phonelock-ee:1")
    controller.add("execution_environments", name="Elsewhere EE", organization=elsewhere, image="registry.example.com/other:1")
    url = controller.serve()
    apac = {"name": "ucx-apac", "instance_groups": ["apac-nodes", "default"], "execution_environment": "Phone Lock EE"}
    emea_templates = {name.replace("Phone Lock: ", "Phone Lock: ucx-emea: "): ([], None) for name in TEMPLATES}
    with tempfile.TemporaryDirectory(prefix="awx-setup-placement-") as work:
        work = Path(work)
        inventory = work / "inventory"
        write_servers(inventory, sites, defaults, SERVERS)
        settings = {"phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
                    "phonelock_awx_servers": ["ucx-emea", apac]}
        (inventory / "awx.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        env = job_env(controller, url, work)
        try:
            if not check_first_run("placement run 1 (ucx-apac on apac-nodes then default, with Phone Lock EE)", inventory, env):
                return
            check(placement_of(controller, "ucx-apac") == {name.replace("Phone Lock: ", "Phone Lock: ucx-apac: "):
                                                           (["apac-nodes", "default"], "Phone Lock EE") for name in TEMPLATES},
                  "ucx-apac's job templates run on apac-nodes, then default, with Phone Lock EE: %s" % placement_of(controller, "ucx-apac"))
            check(placement_of(controller, "ucx-emea") == emea_templates,
                  "ucx-emea's job templates have no instance group and no execution environment")
            check_rerun("placement run 2 (rerun)", controller, controller.snapshot(), inventory, env)

            before = controller.snapshot()
            for entry, option in (({"name": "ucx-apac", "instance_groups": ["apac-nodes", "mars-nodes"]},
                                   'instance_groups of phonelock_awx_servers entry "ucx-apac" names "mars-nodes", which is not an '
                                   'instance group of the controller (it has: apac-nodes, default, emea-nodes)'),
                                  ({"name": "ucx-apac", "execution_environment": "Elsewhere EE"},
                                   'execution_environment of phonelock_awx_servers entry "ucx-apac" names "Elsewhere EE", which is '
                                   'neither a global execution environment of the controller nor one of organization "Default"'),
                                  ({"name": "ucx-apac", "instance_groups": "apac-nodes"},
                                   'instance_groups of phonelock_awx_servers entry "ucx-apac" must be a list of instance group names')):
                (inventory / "awx.yml").write_text(yaml.safe_dump(dict(settings, phonelock_awx_servers=["ucx-emea", entry])),
                                                   encoding="utf-8")
                start = len(controller.log)
                rc, output, changed, seconds = run(inventory, env)
                check(rc != 0 and controller.snapshot() == before and option in output
                      and not [entry for entry in controller.log[start:] if entry["method"] != "GET"],
                      "%s: fails before any change, naming the server and the option" % json.dumps(entry))

            (inventory / "awx.yml").write_text(yaml.safe_dump(dict(settings, phonelock_awx_servers=[
                "ucx-emea", dict(apac, instance_groups=["default", "apac-nodes"])])), encoding="utf-8")
            rc, output, changed, seconds = run(inventory, env)
            print("placement run 3 (the order changed): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed and all(groups == ["default", "apac-nodes"] for groups, dummy in placement_of(controller, "ucx-apac").values())
                  and MODULES.get("job_template") == 3 and controller_modules(MODULES) == 3,
                  "placement run 3 puts default first on ucx-apac's three job templates, with three module runs (%s)" % MODULES)

            (inventory / "awx.yml").write_text(yaml.safe_dump(dict(settings, phonelock_awx_servers=list(SERVERS))), encoding="utf-8")
            rc, output, changed, seconds = run(inventory, env)
            print("placement run 4 (placement dropped): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed and placement_of(controller, "ucx-apac") == {
                name.replace("Phone Lock: ", "Phone Lock: ucx-apac: "): ([], None) for name in TEMPLATES},
                "placement run 4 detaches ucx-apac's instance groups and execution environment: %s" % placement_of(controller, "ucx-apac"))
            check_rerun("placement run 5 (rerun)", controller, controller.snapshot(), inventory, env)

            # sydney moves to Melbourne's time zone: its two schedules change, and nothing else is sent.
            before = controller.snapshot()
            moved = [dict(site, timezone="Australia/Melbourne") if site["name"] == "sydney" else site for site in sites]
            write_servers(inventory, moved, defaults, SERVERS)
            start = len(controller.log)
            rc, output, changed, seconds = run(inventory, env)
            print("placement run 6 (sydney's time zone changed): rc %d, changed=%s, %.1f s, %s" % (rc, changed, seconds, controller.calls(start)))
            after = controller.snapshot()
            differs = sorted(obj["name"] for key, obj in after["objects"]["schedules"].items()
                             if obj != before["objects"]["schedules"].get(key))
            sent = sorted("%s %s" % (entry["method"], entry["path"]) for entry in controller.log[start:] if entry["method"] != "GET")
            sydney = sorted(obj["id"] for obj in before["objects"]["schedules"].values() if obj["name"].startswith("imagicle-phonelock-sydney-"))
            check(rc == 0 and changed == 1 and differs == ["imagicle-phonelock-sydney-lock", "imagicle-phonelock-sydney-unlock"]
                  and sent == ["PATCH /api/v2/schedules/%d/" % sid for sid in sydney] and MODULES.get("schedule") == 2
                  and controller_modules(MODULES) == 2
                  and dict(after["objects"], schedules=None) == dict(before["objects"], schedules=None),
                  "placement run 6 changes exactly sydney's two schedules, with two module runs (sent %s; modules %s)" % (sent, MODULES))
            check(controller.unsupported == [], "awx.awx needed nothing the fake does not implement: %s" % controller.unsupported)
        finally:
            controller.stop()


def second_half_past_two():
    """The second 02:30 of the next autumn change in Europe/Rome (last Sunday of October) at least a week from now and
    within the schedules' horizon (a year): the instant, as the role's calendar writes it (+01:00)."""
    today = datetime.now(ZoneInfo("Europe/Rome")).date()
    for year in (today.year, today.year + 1):
        day = date(year, 10, 31) - timedelta(days=(date(year, 10, 31).weekday() + 1) % 7)
        if today + timedelta(days=7) <= day <= today + timedelta(days=330):
            return datetime.combine(day, datetime_time(2, 30), timezone(timedelta(hours=1)))
    return None


def one_off(sites, defaults):
    """I7 of the role's README: a hold ending at the second 02:30 of an autumn change gets a one-off schedule at its UTC
    instant (a TZID rrule would run at the first 02:30), which a later run removes once the hold is gone."""
    instant = second_half_past_two()
    if instant is None:  # within a week of the change, or too far: the horizon does not reach it
        print("one-off schedules: no autumn change in Rome between 7 and 330 days from now, skipped")
        return
    controller = FakeController(page_size=4, max_page_size=4)
    organization = controller.add("organizations", name="Default")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization, PLAYBOOKS)
    url = controller.serve()
    stamp = instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = "imagicle-phonelock-night-lock-at-" + stamp
    hold = {"state": "unlocked", "reason": "inventory night", "from": (instant - timedelta(hours=8)).isoformat(),
            "until": instant.isoformat()}
    night = {"name": "night", "timezone": "Europe/Rome", "selections": [{"department": "Inventory"}], "holds": [hold]}
    milano = [site for site in sites if site["name"] == "milano"]
    with tempfile.TemporaryDirectory(prefix="awx-setup-once-") as work:
        work = Path(work)
        inventory = work / "inventory"
        write_inventory(inventory, milano + [night], defaults)
        (inventory / "awx.yml").write_text(yaml.safe_dump({
            "phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
            "phonelock_awx_url": "https://ucx.example.com", "phonelock_awx_username": "api-phonelock",
            "phonelock_awx_password": PASSWORD}), encoding="utf-8")
        env = job_env(controller, url, work)
        try:
            if not check_first_run("one-off run 1 (a hold ends at the second 02:30)", inventory, env):
                return
            schedule = controller.named("schedules").get(name, {})
            check(schedule.get("rrule") == "DTSTART:%s RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1" % stamp
                  and schedule.get("extra_data") == {"office_hours_limit": ["night"]}
                  and templates_of(controller, organization)["Phone Lock: nightly lock"]["id"] == schedule.get("unified_job_template"),
                  "%s: the nightly lock, once, at the UTC instant of %s" % (name, instant.isoformat()))
            check("BYHOUR=2;BYMINUTE=30" not in controller.named("schedules")["imagicle-phonelock-night-lock"]["rrule"],
                  "the site's own lock schedule has no part at the first 02:30")
            check_rerun("one-off run 2 (rerun)", controller, controller.snapshot(), inventory, env)

            write_inventory(inventory, milano + [dict(night, holds=[])], defaults)
            rc, output, changed, seconds = run(inventory, env)
            print("one-off run 3 (the hold is gone): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and removal_lines(output) == ["Removed schedule '%s' of job template 'Phone Lock: nightly lock'" % name]
                  and sorted(controller.named("schedules")) == sorted(
                      "imagicle-phonelock-%s-%s" % (site, kind) for site in ("milano", "night") for kind in ("lock", "unlock")),
                  "the one-off schedule is removed with the hold, and named in the output; the weekly ones stay")
        finally:
            controller.stop()


CONTROLLER_PASSWORD = "adm1n: pa$$ €"


def token_requests(controller, start):
    """The requests to /api/v2/tokens/ since log entry start: [(method, path, auth)]."""
    return [(entry["method"], entry["path"], entry["auth"]) for entry in controller.log[start:]
            if entry["path"].startswith("/api/v2/tokens/")]


def check_one_token(what, controller, start):
    """A username/password run made exactly one token, with basic auth, used it for every other request, deleted it at
    the end, and left no token behind."""
    made = [entry.get("id") for entry in controller.log[start:]
            if entry["method"] == "POST" and entry["path"] == "/api/v2/tokens/" and entry["status"] == 201]
    token = "token %s" % made[0] if made else None
    others = {entry["auth"] for entry in controller.log[start:]
              if entry["auth"] and not entry["path"].startswith("/api/v2/tokens/")}
    requests = token_requests(controller, start)
    check(len(made) == 1 and others == {token}
          and requests == [("POST", "/api/v2/tokens/", "basic"), ("DELETE", "/api/v2/tokens/%s/" % made[0], token)],
          "%s: one token, made with basic auth, the login of every module and lookup, deleted at the end (%d POST, %d DELETE"
          " of tokens)" % (what, sum(entry[0] == "POST" for entry in requests),
                           sum(entry[0] == "DELETE" for entry in requests)))
    check([obj["token"] for obj in controller.tokens()] == [controller.token],
          "%s: no token left behind (%d left)" % (what, len(controller.tokens()) - 1))


def logins(sites, defaults):  # pylint: disable=too-many-locals,too-many-statements
    """awx.awx logs in with CONTROLLER_USERNAME and CONTROLLER_PASSWORD by making an OAuth2 token, and its controller_api
    lookup never deletes its own: the playbook makes one token for the run and deletes it, also when the run fails.
    phonelock_awx_update_secrets false keeps the stored password when the credential's URL changes."""
    controller = FakeController(page_size=4, max_page_size=4, password=CONTROLLER_PASSWORD)
    organization = controller.add("organizations", name="Default")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization, PLAYBOOKS)
    url = controller.serve()
    two = [site for site in sites if site["name"] in ("milano", "roma")]
    settings = {"phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
                "phonelock_awx_url": "https://ucx.example.com", "phonelock_awx_username": "api-phonelock",
                "phonelock_awx_password": PASSWORD}
    with tempfile.TemporaryDirectory(prefix="awx-setup-logins-") as work:
        work = Path(work)
        inventory = work / "inventory"
        write_inventory(inventory, two, defaults)
        (inventory / "awx.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        env = job_env(controller, url, work, login="password")
        try:
            start = len(controller.log)
            if not check_first_run("logins run 1 (username and password)", inventory, env):
                return
            check_one_token("logins run 1", controller, start)
            credential = controller.named("credentials")["Imagicle Phone Lock"]
            check(controller.snapshot()["secrets"][credential["id"]] == {"password": PASSWORD},
                  "logins run 1 stores the password")

            # A new URL and a new password, update_secrets false (the default): the URL changes, the password stays.
            (inventory / "awx.yml").write_text(yaml.safe_dump(dict(
                settings, phonelock_awx_url="https://ucx2.example.com", phonelock_awx_password=PASSWORD + "-new")),
                encoding="utf-8")
            start = len(controller.log)
            rc, output, changed, seconds = run(inventory, env)
            print("logins run 2 (new URL and password, update_secrets false): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            credential = controller.named("credentials")["Imagicle Phone Lock"]
            check(rc == 0 and changed and credential["inputs"]["url"] == "https://ucx2.example.com"
                  and controller.snapshot()["secrets"][credential["id"]] == {"password": PASSWORD},
                  "logins run 2: the new URL is stored, the password is kept as it was (update_secrets false): %s"
                  % credential["inputs"])
            check_one_token("logins run 2", controller, start)

            # At -vvv, which shows each module's command line and arguments: the token must not be among them.
            check_rerun("logins run 3 (rerun, username and password, -vvv)", controller, controller.snapshot(), inventory, env,
                        "-vvv")

            # A token given with the username and password: it is the login, never deleted, and no other is made.
            start = len(controller.log)
            check_rerun("logins run 4 (rerun, CONTROLLER_OAUTH_TOKEN with the username and password)", controller,
                        controller.snapshot(), inventory, job_env(controller, url, work, login="both"))
            check(token_requests(controller, start) == []
                  and {entry["auth"] for entry in controller.log[start:] if entry["auth"]} == {"token 1"},
                  "logins run 4 uses the given token for every request and makes or deletes none")

            start = len(controller.log)
            rc, output, changed, seconds = run(inventory, env, "-e", '{"phonelock_awx_update_secrets": true}')
            print("logins run 5 (update_secrets true): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and changed and controller.snapshot()["secrets"][credential["id"]] == {"password": PASSWORD + "-new"},
                  "logins run 5 (update_secrets true) stores the new password")
            check_one_token("logins run 5", controller, start)

            before = controller.snapshot()
            rc, output, changed, seconds = run(inventory, dict(env, CONTROLLER_PASSWORD="wrong"))
            check(rc != 0 and controller.snapshot() == before and (
                "POST %s/api/v2/tokens/ (the login of awx.awx, as CONTROLLER_USERNAME with CONTROLLER_PASSWORD) answered 401: "
                "Invalid username/password. Check CONTROLLER_USERNAME and CONTROLLER_PASSWORD" % url) in output,
                "a wrong CONTROLLER_PASSWORD fails before any change, saying what to check")

            # roma dropped, and the controller refuses to delete schedules: the run fails half-way, after the lookups.
            write_inventory(inventory, [site for site in two if site["name"] == "milano"], defaults)
            controller.forbidden.add(("DELETE", "schedules"))
            start = len(controller.log)
            rc, output, changed, seconds = run(inventory, env)
            print("logins run 7 (deleting schedules refused): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc != 0 and "You don't have permission to DELETE to /api/v2/schedules/" in output
                  and "imagicle-phonelock-roma-lock" in controller.named("schedules"),
                  "logins run 7 fails at removing roma's schedules")
            check_one_token("logins run 7 (failed)", controller, start)
            check(all(CONTROLLER_PASSWORD not in text and PASSWORD not in text for text in OUTPUTS)
                  and not any(token in text for token in controller.issued for text in OUTPUTS),
                  "no password and no token is in any run's output (run 3 ran at -vvv)")
        finally:
            controller.stop()


SLACK_TOKEN = "xoxb-slack-t0ken-never-shown"
HOOK_PASSWORD = "h00k: pa$$ never shown"
SLACK = {"name": "Phone Lock Slack", "notification_type": "slack",
         "notification_configuration": {"token": SLACK_TOKEN, "channels": ["#phones"]}}
HOOK = {"name": "Phone Lock hook", "notification_type": "webhook", "description": "the on-call hook",
        "notification_configuration": {"url": "https://hooks.example.com/phonelock", "headers": {"X-Team": "voice"},
                                       "username": "awx", "password": HOOK_PASSWORD}}


def attached(controller):
    """{job template name: {event: sorted notification template names}} of the job templates that have any."""
    state = controller.snapshot()
    names = {obj["id"]: obj["name"] for obj in state["objects"]["notification_templates"].values()}
    templates = {obj["id"]: obj["name"] for obj in state["objects"]["job_templates"].values()}
    return {templates[jt]: {event.rsplit("_", 1)[1]: sorted(names[nid] for nid in ids) for event, ids in events.items()}
            for jt, events in state["jt_notifications"].items()}


def notifications(sites, defaults):  # pylint: disable=too-many-locals,too-many-statements
    """Notification templates for the job templates of two servers: the common phonelock_awx_notifications and a
    server's own phonelock_awx_server_notifications, attached by id within the organization (another organization has a
    template of the same name); two made from specs, their secrets stored and never shown; a rerun changes nothing;
    dropping a name detaches it, dropping a managed spec removes its template; a misspelt name fails before any change."""
    controller = FakeController(page_size=4, max_page_size=4)
    organization = controller.add("organizations", name="Default")
    elsewhere = controller.add("organizations", name="Elsewhere")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization, PLAYBOOKS)
    mail = {"host": "smtp.example.com", "port": 25, "username": "", "password": "", "use_tls": False, "use_ssl": False,
            "sender": "awx@example.com", "recipients": ["voice@example.com"]}
    controller.add("notification_templates", name="Ops mail", organization=elsewhere, notification_type="email",
                   notification_configuration=mail)
    ops_mail = controller.add("notification_templates", name="Ops mail", organization=organization,
                              notification_type="email", notification_configuration=mail)
    url = controller.serve()
    with tempfile.TemporaryDirectory(prefix="awx-setup-notify-") as work:
        work = Path(work)
        inventory = work / "inventory"
        write_servers(inventory, sites, defaults, SERVERS)
        apac = inventory / "host_vars" / "ucx-apac.yml"
        apac.parent.mkdir()
        apac.write_text(yaml.safe_dump({"phonelock_awx_server_notifications": {
            "error": ["Phone Lock Slack"], "started": ["Phone Lock hook"]}}), encoding="utf-8")
        settings = {"phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
                    "phonelock_awx_servers": list(SERVERS), "phonelock_awx_notification_templates": [SLACK, HOOK],
                    "phonelock_awx_notifications": {"error": ["Ops mail", "Phone Lock Slack"], "success": ["Phone Lock hook"]}}
        (inventory / "awx.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        env = job_env(controller, url, work)
        outputs = []
        try:
            rc, output, changed, seconds = run(inventory, env, "-vvv")
            outputs.append(output)
            print("notifications run 1 (-vvv): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            if not check(rc == 0 and changed, "notifications run 1 creates everything"):
                print(output[-6000:])
                return
            state = controller.snapshot()
            made = {obj["name"]: obj for obj in state["objects"]["notification_templates"].values()
                    if obj["organization"] == organization}
            slack, hook = made.get(SLACK["name"], {}), made.get(HOOK["name"], {})
            marker = "Managed by imagicle.phonelock.awx_setup: it removes this notification template once "
            check(slack.get("notification_configuration") == {"token": ENCRYPTED, "channels": ["#phones"]}
                  and state["notification_secrets"].get(slack.get("id")) == {"token": SLACK_TOKEN}
                  and slack.get("description", "").startswith(marker),
                  "the Slack spec made a Slack notification template in the organization, its token a secret, marked")
            check(hook.get("notification_type") == "webhook"
                  and hook.get("notification_configuration") == dict(HOOK["notification_configuration"], password=ENCRYPTED,
                                                                     http_method="POST", disable_ssl_verification=False)
                  and state["notification_secrets"].get(hook.get("id")) == {"password": HOOK_PASSWORD}
                  and hook.get("description", "").startswith("the on-call hook - " + marker),
                  "the webhook spec made a webhook notification template, its password a secret, its description kept")
            expected = {}
            for host in SERVERS:
                for name in TEMPLATES:
                    expected[name.replace("Phone Lock: ", "Phone Lock: %s: " % host)] = (
                        {"error": ["Ops mail", "Phone Lock Slack"], "success": ["Phone Lock hook"], "started": []}
                        if host == "ucx-emea" else
                        {"error": ["Phone Lock Slack"], "success": ["Phone Lock hook"], "started": ["Phone Lock hook"]})
            check(attached(controller) == expected,
                  "each job template of each server has its server's notifications, by event: %s" % attached(controller))
            check(all(ops_mail in events["notification_templates_error"] for events in state["jt_notifications"].values()
                      if events["notification_templates_error"] and len(events["notification_templates_error"]) == 2),
                  "'Ops mail' is the organization's, not the like-named one of another organization")

            start = len(controller.log)
            before = controller.snapshot()
            outputs.append(check_rerun("notifications run 2 (rerun)", controller, before, inventory, env))
            check(not [entry for entry in controller.log[start:] if entry["method"] != "GET"],
                  "notifications run 2 sends nothing but GETs (the notification templates are compared, not re-sent)")

            # "Ops mail" dropped from error (detached), the hook's spec dropped (removed, being managed).
            # The Slack channel changed too: updated, with the stored token kept (sent back as $encrypted$).
            slack_channel = dict(SLACK, notification_configuration=dict(SLACK["notification_configuration"], channels=["#voice"]))
            settings.update(phonelock_awx_notification_templates=[slack_channel],
                            phonelock_awx_notifications={"error": ["Phone Lock Slack"]})
            (inventory / "awx.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
            apac.write_text(yaml.safe_dump({"phonelock_awx_server_notifications": {"success": ["Ops mail"]}}), encoding="utf-8")
            rc, output, changed, seconds = run(inventory, env)
            outputs.append(output)
            print("notifications run 3 (a name and a spec dropped, a channel changed): rc %d, changed=%s, %.1f s" % (rc, changed, seconds))
            check(rc == 0 and "Removed notification template 'Phone Lock hook'" in (removal_lines(output) or []),
                  "notifications run 3 removes the dropped spec's template and says so: %s" % removal_lines(output))
            for name in expected:
                expected[name] = ({"error": ["Phone Lock Slack"], "success": [], "started": []} if ": ucx-emea: " in name
                                  else {"error": ["Phone Lock Slack"], "success": ["Ops mail"], "started": []})
            check(attached(controller) == expected, "notifications run 3 detaches what was dropped: %s" % attached(controller))
            slack = controller.named("notification_templates").get(SLACK["name"], {})
            check(slack.get("notification_configuration") == {"token": ENCRYPTED, "channels": ["#voice"]}
                  and controller.snapshot()["notification_secrets"].get(slack.get("id")) == {"token": SLACK_TOKEN},
                  "notifications run 3 changes the Slack channel and keeps the stored token")
            check(sorted(obj["name"] for obj in controller.snapshot()["objects"]["notification_templates"].values())
                  == ["Ops mail", "Ops mail", "Phone Lock Slack"], "the hand-made notification templates are kept")
            outputs.append(check_rerun("notifications run 4 (rerun)", controller, controller.snapshot(), inventory, env))

            before = controller.snapshot()
            rc, output, changed, seconds = run(inventory, env, "-e", '{"phonelock_awx_notifications": {"error": ["Ops mial"]}}')
            outputs.append(output)
            check(rc != 0 and controller.snapshot() == before
                  and ('phonelock_awx_notifications error names "Ops mial", which is not a notification template of organization '
                       '"Default": create it there, or give its spec in phonelock_awx_notification_templates') in output,
                  "a misspelt notification template name fails before any change, saying what to do")
            check(controller.unsupported == [], "awx.awx needed nothing the fake does not implement: %s" % controller.unsupported)
            check(not any(secret in text for secret in (SLACK_TOKEN, HOOK_PASSWORD, "h00k") for text in outputs),
                  "no notification secret is in any run's output (run 1 ran at -vvv)")
        finally:
            controller.stop()


if __name__ == "__main__":
    sys.exit(main())
