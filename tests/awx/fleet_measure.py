# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Measure playbooks/awx_setup.yml for a fleet against the fake AWX controller: wall time, API calls, module runs.

    ANSIBLE_COLLECTIONS_PATH=<built collection>:<awx.awx 24.6.1> python tests/awx/fleet_measure.py [--servers 10 100] [--repeat 3]

For each N: N UCX Suite servers (inventory hosts) with the five sites of examples/inventory each (renamed per server),
on a fresh fake controller; the first run (creates everything), then --repeat reruns with nothing changed. Prints, per
run, the wall time (min and median of the reruns), the API calls by method, and the module runs by module (counted by
a callback: every task result that ran a module, loop items one each; set_fact, assert and debug run no module).
A figure, not a test: it fails only when a run fails or a rerun changes something.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_controller import FakeController  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "awx_setup.yml"
SITES = ROOT / "examples" / "inventory" / "group_vars" / "phonelock" / "sites.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PLAYBOOKS = ["playbooks/nightly_lock.yml", "playbooks/morning_unlock.yml", "playbooks/reconcile.yml"]

# Counts the module runs of a playbook run into the JSON file $PHONELOCK_MODULE_COUNTS: {action: runs}.
COUNTER = '''
import json
import os
import time

from ansible.plugins.callback import CallbackBase

# Action plugins that run no module (they work in the controller's process).
NO_MODULE = {"set_fact", "assert", "debug", "meta", "fail", "include_tasks", "import_tasks", "include_vars", "end_play"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "count_modules"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counts = {}
        # Seconds per task, when $PHONELOCK_TASK_TIMES names a file for them.
        self.times = {}
        self.task = None
        self.started = time.monotonic()

    def _close_task(self):
        if self.task is not None:
            self.times[self.task] = self.times.get(self.task, 0) + time.monotonic() - self.started
        self.started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self.task = task.get_name()

    def _count(self, result):
        action = result._task.action
        if action.rsplit(".", 1)[-1] in NO_MODULE or "results" in result._result:
            return
        self.counts[action] = self.counts.get(action, 0) + 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_runner_item_on_ok(self, result):
        self._count(result)

    def v2_runner_item_on_failed(self, result):
        self._count(result)

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        if os.environ.get("PHONELOCK_TASK_TIMES"):
            with open(os.environ["PHONELOCK_TASK_TIMES"], "w", encoding="utf-8") as handle:
                json.dump(sorted(self.times.items(), key=lambda item: -item[1]), handle, indent=0)
        with open(os.environ["PHONELOCK_MODULE_COUNTS"], "w", encoding="utf-8") as handle:
            json.dump(self.counts, handle)
'''


def counter_env(folder):
    """The environment that enables the counting callback, writing to folder/counts.json."""
    plugins = Path(folder) / "callback_plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "count_modules.py").write_text(COUNTER, encoding="utf-8")
    return {"ANSIBLE_CALLBACK_PLUGINS": str(plugins), "ANSIBLE_CALLBACKS_ENABLED": "count_modules",
            "PHONELOCK_MODULE_COUNTS": str(Path(folder) / "counts.json")}


def read_counts(env):
    """{action: runs} of the last run with env (from counter_env); {} when it wrote none."""
    path = Path(env["PHONELOCK_MODULE_COUNTS"])
    if not path.exists():
        return {}
    counts = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    return counts


def controller_modules(counts):
    """The runs of controller modules (awx.awx / ansible.controller, by their short names too) but controller_meta."""
    plain = {"ansible.builtin.uri", "uri"}
    return sum(runs for action, runs in counts.items() if action not in plain and not action.endswith("controller_meta"))


def fleet_inventory(folder, servers):
    """servers inventory hosts, each with the five example sites renamed SITE-NNN and its own account."""
    examples = yaml.safe_load(SITES.read_text(encoding="utf-8"))
    hosts = {}
    for number in range(servers):
        host = "ucx-%03d" % number
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                       "office_hours_url": "https://%s.example.com" % host, "office_hours_username": "api-" + host,
                       "office_hours_password": "pw-" + host,
                       "office_hours_sites": [dict(site, name="%s-%03d" % (site["name"], number))
                                              for site in examples["office_hours_sites"]]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(yaml.safe_dump({"phonelock": {"hosts": hosts, "vars": {
        "office_hours_defaults": examples["office_hours_defaults"]}}}), encoding="utf-8")
    (folder / "awx.yml").write_text(yaml.safe_dump({"phonelock_awx_project": "Phone Lock", "phonelock_awx_inventory": "Phone Lock",
                                                    "phonelock_awx_servers": sorted(hosts)}), encoding="utf-8")


def run(inventory, env):
    """One ansible-playbook run: (seconds, changed count, output)."""
    command = [str(ANSIBLE_PLAYBOOK), str(PLAYBOOK), "-i", str(inventory), "-e", "@" + str(inventory / "awx.yml")]
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=False)
    seconds = time.monotonic() - start
    output = done.stdout + done.stderr
    recap = re.search(r"^localhost\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", output, re.M)
    if done.returncode != 0 or not recap:
        sys.exit("awx_setup failed (rc %d):\n%s" % (done.returncode, output[-4000:]))
    return seconds, int(recap.group(1)), output


def measure(servers, repeat):
    """[(what, [seconds], calls by method, module runs by action, changed, calls by path)] for one fleet size."""
    controller = FakeController()
    organization = controller.add("organizations", name="Default")
    controller.add("inventories", name="Phone Lock", organization=organization)
    controller.add_project("Phone Lock", organization, PLAYBOOKS)
    url = controller.serve()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="awx-fleet-") as work:
            work = Path(work)
            inventory = work / "inventory"
            fleet_inventory(inventory, servers)
            env = {key: value for key, value in os.environ.items() if not key.startswith(("CONTROLLER_", "TOWER_"))}
            env.update(CONTROLLER_HOST=url, CONTROLLER_OAUTH_TOKEN=controller.token, ANSIBLE_NOCOLOR="1", HOME=str(work),
                       ANSIBLE_HOME=str(work / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(work / "tmp"), **counter_env(work))
            for what, times in (("first run", 1), ("no-change rerun", repeat)):
                seconds, calls, modules, changed, paths = [], {}, {}, [], {}
                for dummy in range(times):
                    start = len(controller.log)
                    took, count, dummy_output = run(inventory, env)
                    seconds.append(took)
                    calls = controller.calls(start)
                    paths = controller.paths(start)
                    modules = read_counts(env)
                    changed.append(count)
                rows.append((what, seconds, calls, modules, changed, paths))
    finally:
        controller.stop()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--servers", type=int, nargs="+", default=[10, 100], help="fleet sizes (default 10 100)")
    parser.add_argument("--repeat", type=int, default=3, help="no-change reruns per size (default 3)")
    args = parser.parse_args()
    if not ANSIBLE_PLAYBOOK.exists():
        sys.exit("no ansible-playbook next to %s" % sys.executable)
    print("awx_setup against the fake AWX controller, 5 sites per server (3 job templates, 10 schedules, 1 credential each)")
    columns = ("servers", "run", "min s", "median s", "GET", "POST", "PATCH", "DELETE", "modules", "changed")
    header = "%8s  %-16s %9s %9s %6s %5s %6s %7s %8s %8s" % columns
    print(header)
    failed = False
    for servers in args.servers:
        for what, seconds, calls, modules, changed, paths in measure(servers, args.repeat):
            print("%8d  %-16s %9.1f %9.1f %6d %5d %6d %7d %8d %8s" % (
                servers, what, min(seconds), statistics.median(seconds), calls.get("GET", 0), calls.get("POST", 0),
                calls.get("PATCH", 0), calls.get("DELETE", 0), controller_modules(modules),
                ",".join(str(count) for count in changed)), flush=True)
            print("%8s  %-16s modules: %s" % ("", "", json.dumps(modules, sort_keys=True)), flush=True)
            print("%8s  %-16s calls: %s" % ("", "", json.dumps(paths, sort_keys=True)), flush=True)
            failed = failed or (what != "first run" and any(changed))
    print("(calls and modules of the last run of each row; modules: controller modules, not controller_meta or uri)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
